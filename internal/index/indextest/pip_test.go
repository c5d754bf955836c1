package indextest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// TestRealPip checks that pip accepts the served index: it resolves the
// chain-a -> chain-b>=1 dependency to the newest chain-b, verifying the
// published hashes as it downloads.
func TestRealPip(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	if err := exec.Command(py, "-m", "pip", "--version").Run(); err != nil {
		t.Skipf("%s has no pip: %v", py, err)
	}
	specs, err := wheelbuild.FromTree("../../../testdata/wheels")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := wheelbuild.WriteAll(dir, specs); err != nil {
		t.Fatal(err)
	}
	s := Serve(t, dir, RequiresPythonFromWheels())
	dest := t.TempDir()
	cmd := exec.Command(py, "-m", "pip", "download", "--disable-pip-version-check", "--no-cache-dir",
		"--index-url", s.URL(), "--dest", dest, "chain-a")
	cmd.Env = run.Env(os.Environ(), run.PythonEnv())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pip download: %v\n%s", err, out)
	}
	got, _ := filepath.Glob(filepath.Join(dest, "*.whl"))
	var names []string
	for _, g := range got {
		names = append(names, filepath.Base(g))
	}
	if strings.Join(names, " ") != "chain_a-1.0-py3-none-any.whl chain_b-2.0-py3-none-any.whl" {
		t.Errorf("pip downloaded %v\n%s", names, out)
	}
	if s.Requests("/simple/chain-a/") == 0 || s.Requests("/simple/chain-b/") == 0 {
		t.Error("pip did not read the project pages")
	}
}
