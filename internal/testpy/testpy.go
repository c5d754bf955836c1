// Package testpy finds the real Python interpreters tests run: pyenv's, by
// minor version, under `pyenv root` (else $PYENV_ROOT, else ~/.pyenv), and
// python3 on PATH. A test asks for what it needs and is skipped, saying
// what was missing and where it looked, when it is not there: never a
// literal path, never a quiet pass.
package testpy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Interpreter is one Python found.
type Interpreter struct {
	Version string // "3.11.7" (pyenv's folder name), or "" for python3 on PATH
	Path    string // .../bin/python3
}

var found = sync.OnceValues(func() (string, map[string]Interpreter) {
	root := pyenvRoot()
	out := map[string]Interpreter{}
	matches, _ := filepath.Glob(filepath.Join(root, "versions", "3.*", "bin", "python3"))
	for _, m := range matches {
		v := filepath.Base(filepath.Dir(filepath.Dir(m)))
		parts := strings.Split(v, ".")
		if len(parts) != 3 {
			continue // 3.13t, 3.12-dev and the like are not what a test means
		}
		minor := parts[0] + "." + parts[1]
		if prev, ok := out[minor]; !ok || patch(v) > patch(prev.Version) {
			out[minor] = Interpreter{Version: v, Path: m}
		}
	}
	return root, out
})

func patch(v string) int {
	n, _ := strconv.Atoi(v[strings.LastIndexByte(v, '.')+1:])
	return n
}

func pyenvRoot() string {
	if out, err := exec.Command("pyenv", "root").Output(); err == nil {
		if r := strings.TrimSpace(string(out)); r != "" {
			return r
		}
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		return r
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".pyenv")
	}
	return ""
}

// Pyenv returns pyenv's interpreters by minor version ("3.11").
func Pyenv() map[string]Interpreter {
	_, m := found()
	return m
}

// Minor returns pyenv's Python of that minor version (the highest patch
// there is), or skips the test.
func Minor(t testing.TB, minor string) string {
	t.Helper()
	root, m := found()
	if i, ok := m[minor]; ok {
		return i.Path
	}
	t.Skipf("needs Python %s: not under pyenv's root %s (found %s)", minor, root, Describe())
	return ""
}

// Default is the interpreter for tests that need one and do not care
// which: pyenv's 3.11, else python3 on PATH; or it skips the test.
func Default(t testing.TB) string {
	t.Helper()
	if i, ok := Pyenv()["3.11"]; ok {
		return i.Path
	}
	if p, err := exec.LookPath("python3"); err == nil {
		return p
	}
	t.Skipf("needs a Python: neither pyenv's 3.11 nor python3 on PATH (found %s)", Describe())
	return ""
}

// Describe lists what was found, for skip messages and the top of a run.
func Describe() string {
	root, m := found()
	var vs []string
	for _, i := range m {
		vs = append(vs, i.Version)
	}
	sort.Slice(vs, func(a, b int) bool { return versionLess(vs[a], vs[b]) })
	s := fmt.Sprintf("pyenv root %s: %s", root, strings.Join(vs, ", "))
	if len(vs) == 0 {
		s = fmt.Sprintf("pyenv root %s: none", root)
	}
	if p, err := exec.LookPath("python3"); err == nil {
		s += "; python3 on PATH: " + p
	} else {
		s += "; no python3 on PATH"
	}
	return s
}

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// PipWheel is the pip wheel ensurepip bundles with pyenv's Python of that
// minor version, or skips the test.
func PipWheel(t testing.TB, minor string) string {
	t.Helper()
	py := Minor(t, minor)
	prefix := filepath.Dir(filepath.Dir(py))
	m, _ := filepath.Glob(filepath.Join(prefix, "lib", "python"+minor, "ensurepip", "_bundled", "pip-*.whl"))
	if len(m) != 1 {
		t.Skipf("needs the pip wheel ensurepip bundles with Python %s: %d found under %s", minor, len(m), prefix)
	}
	return m[0]
}

// Prefix is the installation prefix of an interpreter found here (the
// parent of its bin folder).
func Prefix(python string) string { return filepath.Dir(filepath.Dir(python)) }
