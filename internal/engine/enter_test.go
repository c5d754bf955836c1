package engine

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestActivation(t *testing.T) {
	dir := t.TempDir()
	e := &Engine{Sys: HostSystem(exec.LookPath)}
	mk := func(name string, files map[string]string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, data := range files {
			if err := os.WriteFile(filepath.Join(p, f), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	mk("empty", nil)
	mk("foreign", map[string]string{"notes.txt": "x"})
	mk("cfgonly", map[string]string{"pyvenv.cfg": "home = /nonexistent\nprompt = 'my prompt'\n"})

	tests := []struct {
		venv, reason, hint string
	}{
		{"missing", "does not exist", "influx-py sync"},
		{"empty", "is empty", "influx-py sync"},
		{"foreign", "not a virtual environment", "--venv"},
	}
	for _, tt := range tests {
		_, err := e.Activation(Where{PluginDir: dir, Venv: filepath.Join(dir, tt.venv)})
		var nv *NoVenvError
		if !errors.As(err, &nv) || !strings.Contains(err.Error(), tt.reason) || !strings.Contains(err.Error(), tt.hint) ||
			!strings.Contains(err.Error(), filepath.Join(dir, tt.venv)) {
			t.Errorf("%s: err %v, want a NoVenvError saying %q and %q", tt.venv, err, tt.reason, tt.hint)
		}
	}
	if _, err := e.Activation(Where{PluginDir: filepath.Join(dir, "nowhere")}); !errors.Is(err, ErrNoPluginDir) {
		t.Errorf("missing plugin dir: err %v", err)
	}

	// A venv whose base Python is gone can still be entered; what is wrong
	// is reported for the caller to warn about.
	a, err := e.Activation(Where{PluginDir: dir, Venv: "cfgonly"})
	if err == nil {
		t.Errorf("relative --venv is resolved against the working directory, not the plugin dir: want an error, got %+v", a)
	}
	a, err = e.Activation(Where{PluginDir: dir, Venv: filepath.Join(dir, "cfgonly")})
	if err != nil {
		t.Fatal(err)
	}
	if a.Prompt != "my prompt" || a.Layout.Root() != filepath.Join(dir, "cfgonly") || len(a.Problems) == 0 {
		t.Errorf("cfgonly: %+v", a)
	}

	// The default venv is .venv in the plugin dir, and needs no interpreter
	// to be found.
	mk(".venv", map[string]string{"pyvenv.cfg": "home = /usr/bin\n"})
	noPython := HostSystem(func(string) (string, error) { return "", exec.ErrNotFound })
	a, err = (&Engine{Sys: noPython}).Activation(Where{PluginDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if a.Layout.Root() != filepath.Join(dir, ".venv") || a.Prompt != ".venv" {
		t.Errorf("default venv: %+v", a)
	}
}
