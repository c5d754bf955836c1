package resolve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "report.json")
	if err := os.WriteFile(stale, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := Prepare(Request{Requirements: []string{"Chain_A>=1", "b[x]; python_version >= '3'"}, Constraints: []string{"chain-a==1.0"}, Dir: dir}, "report.json")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if got, _ := os.ReadFile(in.Requirements); string(got) != "Chain_A>=1\nb[x]; python_version >= '3'\n" {
		t.Errorf("requirements.in = %q", got)
	}
	if in.Constraints != ConstraintsFile(in.Requirements) {
		t.Errorf("constraints at %q, want %q", in.Constraints, ConstraintsFile(in.Requirements))
	}
	if got, _ := os.ReadFile(in.Constraints); string(got) != "chain-a==1.0\n" {
		t.Errorf("constraints.txt = %q", got)
	}
	if !in.Direct["chain-a"] || !in.Direct["b"] || len(in.Direct) != 2 {
		t.Errorf("direct = %v", in.Direct)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale output survived")
	}
	in.Close()
	if _, err := os.Stat(dir); err != nil {
		t.Error("Close removed a folder Prepare did not make")
	}
}

func TestPrepareTempDirAndRefusals(t *testing.T) {
	in, err := Prepare(Request{Requirements: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if in.Constraints != "" {
		t.Errorf("constraints written without constraints: %q", in.Constraints)
	}
	in.Close()
	if _, err := os.Stat(in.Dir); !os.IsNotExist(err) {
		t.Errorf("temporary folder %s left behind", in.Dir)
	}
	if in, err := Prepare(Request{}); in != nil || err != nil {
		t.Errorf("no requirements: %v, %v; want nothing", in, err)
	}
	for _, bad := range []string{"--index-url http://x", "a\nb", "a[", "-r other.txt"} {
		if _, err := Prepare(Request{Requirements: []string{bad}, Dir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "requirement") {
			t.Errorf("Prepare accepted %q (err %v)", bad, err)
		}
	}
}
