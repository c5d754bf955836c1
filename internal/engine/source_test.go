package engine

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTreeDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string, mode os.FileMode) {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("pkg/__init__.py", "X = 1\n", 0o644)
	write("pyproject.toml", "[project]\n", 0o644)
	base, err := treeDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	// What builds and tools leave in a tree is not the source.
	for _, rel := range []string{"build/lib/pkg/__init__.py", "dist/x.whl", "pkg.egg-info/PKG-INFO", ".git/HEAD", "pkg/__pycache__/x.pyc", "pkg/y.pyc", ".venv/pyvenv.cfg"} {
		write(rel, "noise", 0o644)
	}
	if got, _ := treeDigest(dir); got != base {
		t.Error("build leftovers changed the digest")
	}
	for name, change := range map[string]func(){
		"content":    func() { write("pkg/__init__.py", "X = 2\n", 0o644) },
		"new file":   func() { write("pkg/more.py", "", 0o644) },
		"executable": func() { os.Chmod(filepath.Join(dir, "pyproject.toml"), 0o755) },
	} {
		change()
		got, err := treeDigest(dir)
		if err != nil || got == base {
			t.Errorf("%s: digest unchanged (%v)", name, err)
		}
		base = got
	}
	if _, err := treeDigest(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing tree has a digest")
	}
}
