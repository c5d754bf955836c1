package venv

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testpy"
)

// tree is every file and folder under root: path -> mode and content.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "link " + target
		case fi.IsDir():
			out[rel] = "dir " + fi.Mode().Perm().String()
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			// The venvs are in different folders: their paths in scripts
			// (shebangs) and in pyvenv.cfg differ by that alone.
			out[rel] = fi.Mode().Perm().String() + " " + string(bytes.ReplaceAll(data, []byte(root), []byte("$VENV")))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSeedPipAsPip: for every interpreter pyenv has, a venv seeded by
// SeedPip holds exactly what one seeded by pip (from the same wheel, no
// bytecode) holds, file for file, byte for byte and mode for mode; and pip
// then runs.
func TestSeedPipAsPip(t *testing.T) {
	if testing.Short() {
		t.Skip("creates real venvs; skipped with -short")
	}
	for minor := range testpy.Pyenv() {
		t.Run(minor, func(t *testing.T) {
			t.Parallel()
			py := testpy.Minor(t, minor)
			wheel := testpy.PipWheel(t, minor)
			major, _ := strconv.Atoi(strings.Split(minor, ".")[0])
			min, _ := strconv.Atoi(strings.Split(minor, ".")[1])
			// One path for both, so that the shebangs (and their hashes in
			// RECORD) are the same.
			venvDir := filepath.Join(t.TempDir(), ".venv")
			mkvenv := func() {
				os.RemoveAll(venvDir)
				if out, err := exec.Command(py, "-m", "venv", "--without-pip", venvDir).CombinedOutput(); err != nil {
					t.Fatalf("venv: %v\n%s", err, out)
				}
			}
			mkvenv()
			cmd := exec.Command(filepath.Join(venvDir, "bin", "python"), filepath.Join(wheel, "pip"), "--isolated", "--disable-pip-version-check", "--no-input",
				"install", "--no-index", "--no-deps", "--no-compile", "--no-warn-script-location", "--find-links", filepath.Dir(wheel), "pip")
			cmd.Env = append(os.Environ(), "PIP_FIND_LINKS=", "PYTHONDONTWRITEBYTECODE=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("pip seed: %v\n%s", err, out)
			}
			a := tree(t, venvDir)
			mkvenv()
			if err := SeedPip(wheel, venvDir, major, min); errors.Is(err, ErrSeedUnsupported) {
				t.Skipf("SeedPip does not reproduce pip %s here: %v", filepath.Base(wheel), err)
			} else if err != nil {
				t.Fatal(err)
			}
			b := tree(t, venvDir)
			byGo := venvDir
			var diffs []string
			for k := range a {
				if a[k] != b[k] {
					diffs = append(diffs, k)
				}
			}
			for k := range b {
				if _, ok := a[k]; !ok {
					diffs = append(diffs, k+" (only from SeedPip)")
				}
			}
			sort.Strings(diffs)
			if len(diffs) > 0 {
				t.Errorf("%d differences from pip's seed, e.g. %v", len(diffs), diffs[:min2(len(diffs), 8)])
				for _, d := range diffs[:min2(len(diffs), 2)] {
					t.Logf("%s:\n pip: %.300q\n go:  %.300q", d, a[d], b[d])
				}
			}
			out, err := exec.Command(filepath.Join(byGo, "bin", "pip"), "--version").CombinedOutput()
			if err != nil || !strings.HasPrefix(string(out), "pip ") {
				t.Errorf("the seeded pip does not run: %v\n%s", err, out)
			}
		})
	}
	if len(testpy.Pyenv()) == 0 {
		t.Skip("no pyenv interpreters: SeedPip is not compared with pip")
	}
}

func min2(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func TestSeedPipUnsupported(t *testing.T) {
	dir := t.TempDir()
	// A venv that has a pip already is left to the installer.
	withPip := filepath.Join(dir, "with-pip")
	os.MkdirAll(filepath.Join(withPip, "lib", "python3.11", "site-packages", "pip"), 0o755)
	if err := SeedPip(filepath.Join(dir, "pip-23.2.1-py3-none-any.whl"), withPip, 3, 11); !errors.Is(err, ErrSeedUnsupported) {
		t.Errorf("SeedPip over an installed pip = %v, want ErrSeedUnsupported", err)
	}
	for _, tt := range []struct{ wheel, dir string }{
		{"setuptools-65.5.0-py3-none-any.whl", dir},
		{"pip-23.2.1-py3-none-any.whl", "/tmp/a dir with spaces/.venv"},
		{"pip-23.2.1-py3-none-any.whl", "/" + strings.Repeat("x", 130)},
		{"pip-23.2.1-py3-none-any.whl", filepath.Join(dir, "no-site-packages")},
	} {
		if err := SeedPip(filepath.Join(dir, tt.wheel), tt.dir, 3, 11); !errors.Is(err, ErrSeedUnsupported) {
			t.Errorf("SeedPip(%s, %s) = %v, want ErrSeedUnsupported", tt.wheel, tt.dir, err)
		}
	}
}
