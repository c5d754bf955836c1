package venv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testpy"
)

// needPython is the interpreter real venvs are made from in these tests:
// pyenv's 3.11 (the tests read its pyvenv.cfg, so no other will do).
func needPython(t testing.TB) string {
	t.Helper()
	return testpy.Minor(t, "3.11")
}

// childEnv is the environment for Python children: this machine sets PIP_*
// variables (find-links and the like) that must not reach ensurepip.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(k, "PIP_"), strings.HasPrefix(k, "UV_"), strings.HasPrefix(k, "PYTHON"),
			k == "VIRTUAL_ENV":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1", "PYTHONDONTWRITEBYTECODE=1")
}

func runPy(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = childEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// makeVenv creates a real venv at dir with CPython's venv module.
func makeVenv(t testing.TB, dir string, args ...string) Layout {
	t.Helper()
	py := needPython(t)
	runPy(t, py, append([]string{"-m", "venv"}, append(args, dir)...)...)
	return PosixLayout(dir)
}

// writeDist writes a fake .dist-info directory with the given files.
func writeDist(t testing.TB, site, dir string, files map[string]string) string {
	t.Helper()
	p := filepath.Join(site, dir)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(p, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
