package venv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testpy"
)

func hasProblem(h Health, sub string) bool {
	for _, p := range h.Problems {
		if strings.Contains(p, sub) {
			return true
		}
	}
	return false
}

func TestInspectNotAVenv(t *testing.T) {
	tmp := t.TempDir()
	tests := []struct {
		name    string
		setup   func(root string)
		want    Health // Problems is compared by substring below
		problem string
	}{
		{"missing", func(string) {}, Health{}, "does not exist"},
		{"empty", func(root string) { os.Mkdir(root, 0o755) }, Health{Exists: true, Empty: true}, "is empty"},
		{"only influx-py leftovers", func(root string) {
			os.Mkdir(root, 0o755)
			writeFile(t, filepath.Join(root, InstallingFile), "pid 1")
		}, Health{Exists: true, Empty: true}, "is empty"},
		{"someone else's files", func(root string) {
			writeFile(t, filepath.Join(root, "main.py"), "print(1)")
			writeFile(t, filepath.Join(root, "data", "x.csv"), "")
		}, Health{Exists: true, NotVenv: true}, "not a virtual environment"},
		{"a file", func(root string) { writeFile(t, root, "x") }, Health{Exists: true, NotVenv: true}, "not a directory"},
	}
	for _, tt := range tests {
		root := filepath.Join(tmp, strings.ReplaceAll(tt.name, " ", "_"))
		tt.setup(root)
		st, err := Inspect(PosixLayout(root))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := st.Health
		got.Problems = nil
		if got.Exists != tt.want.Exists || got.Empty != tt.want.Empty || got.NotVenv != tt.want.NotVenv || got.HasConfig {
			t.Errorf("%s: health %+v, want %+v", tt.name, got, tt.want)
		}
		if !hasProblem(st.Health, tt.problem) {
			t.Errorf("%s: problems %q lack %q", tt.name, st.Health.Problems, tt.problem)
		}
		if st.Health.OK() || st.Config != nil || st.Dists != nil {
			t.Errorf("%s: reported usable: %+v", tt.name, st)
		}
	}
}

func TestInspectRealVenv(t *testing.T) {
	root := filepath.Join(t.TempDir(), ".venv")
	l := makeVenv(t, root, "--without-pip", "--prompt", "My plugins")
	site := l.SitePackages(3, 11)
	writeDist(t, site, "requests-2.31.0.dist-info", map[string]string{"METADATA": "Name: requests\nVersion: 2.31.0\n"})

	st, err := Inspect(l)
	if err != nil {
		t.Fatal(err)
	}
	h := st.Health
	if !h.OK() || len(h.Problems) != 0 || h.Empty || h.NotVenv {
		t.Fatalf("healthy venv reported as %+v", h)
	}
	if st.Version != "3.11.7" || st.PyVersion != (PyVersion{3, 11, 7}) {
		t.Errorf("version %q %+v", st.Version, st.PyVersion)
	}
	if st.SitePackages != site {
		t.Errorf("site-packages %q, want %q", st.SitePackages, site)
	}
	if len(st.Dists) != 1 || st.Dists[0].Name != "requests" || st.Dists[0].Version != "2.31.0" {
		t.Errorf("dists %+v", st.Dists)
	}
	// CPython's venv writer conventions (pyvenv_cfg.json writer_expectations).
	c := st.Config
	prefix := testpy.Prefix(needPython(t))
	if c.Home() != prefix+"/bin" {
		t.Errorf("home = %q", c.Home())
	}
	if c.IncludeSystemSitePackages() || c.Get("include-system-site-packages") != "false" {
		t.Errorf("include-system-site-packages = %q", c.Get("include-system-site-packages"))
	}
	if c.Prompt() != "My plugins" || c.Get("prompt") != "'My plugins'" {
		t.Errorf("prompt %q (raw %q)", c.Prompt(), c.Get("prompt"))
	}
	if c.Executable() != prefix+"/bin/python3.11" {
		t.Errorf("executable = %q", c.Executable())
	}
	if !strings.Contains(c.Command(), "-m venv") || !strings.HasSuffix(c.Command(), root) {
		t.Errorf("command = %q", c.Command())
	}
	// bin/python -> .../python3 -> python3.11: getpath's realpath rule.
	if st.Base.Executable != prefix+"/bin/python3.11" || st.Base.Prefix != prefix {
		t.Errorf("base %+v", st.Base)
	}
	base := strings.TrimSpace(runPy(t, l.Python(), "-c", "import sys, os; print(os.path.realpath(sys._base_executable)); print(sys.base_prefix)"))
	if want := st.Base.Executable + "\n" + st.Base.Prefix; base != want {
		t.Errorf("python reports base %q, Inspect %q", base, want)
	}

	// The stamp and marker do not disturb inspection.
	if err := MarkInstalling(l, "x"); err != nil {
		t.Fatal(err)
	}
	if st, _ := Inspect(l); !st.Health.OK() {
		t.Errorf("marker made the venv unhealthy: %v", st.Health.Problems)
	}

	// Damage: duplicate distribution, pip leftovers, missing metadata.
	writeDist(t, site, "Requests-2.30.0.dist-info", map[string]string{"METADATA": "Name: Requests\nVersion: 2.30.0\n"})
	writeDist(t, site, "~equests-2.29.0.dist-info", map[string]string{"METADATA": "Name: requests\nVersion: 2.29.0\n"})
	writeDist(t, site, "idna-3.6.dist-info", map[string]string{"RECORD": ""})
	st, err = Inspect(l)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Health.OK() {
		t.Errorf("damaged distributions should not make the venv unusable: %+v", st.Health)
	}
	for _, want := range []string{"installed twice", "interrupted pip uninstall", "METADATA is missing"} {
		if !hasProblem(st.Health, want) {
			t.Errorf("problems %q lack %q", st.Health.Problems, want)
		}
	}
}

func TestInspectDanglingHome(t *testing.T) {
	root := filepath.Join(t.TempDir(), "venv")
	l := makeVenv(t, root, "--without-pip", "--copies")
	c, err := ReadConfig(l.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(t.TempDir(), "removed-python", "bin")
	if err := c.Set("home", gone); err != nil {
		t.Fatal(err)
	}
	writeFile(t, l.ConfigPath(), string(c.Bytes()))
	st, err := Inspect(l)
	if err != nil {
		t.Fatal(err)
	}
	h := st.Health
	if h.OK() || h.HomeExists || !h.HasConfig || !h.PythonExists || !h.SitePackagesExists {
		t.Errorf("health %+v", h)
	}
	if !hasProblem(h, gone) {
		t.Errorf("problems %q do not name the missing home", h.Problems)
	}
	if st.Base.Executable != filepath.Join(gone, "python") {
		t.Errorf("base %q", st.Base.Executable)
	}
}

// TestInspectHandMade covers venvs no real tool made: a dangling interpreter
// symlink, an unknown version with a single site-packages, and a broken
// pyvenv.cfg.
func TestInspectHandMade(t *testing.T) {
	home := t.TempDir()
	t.Run("dangling interpreter, version from the only site-packages", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, ConfigFile), "home = "+home+"\n")
		os.MkdirAll(filepath.Join(root, "bin"), 0o755)
		if err := os.Symlink(filepath.Join(home, "python3.99"), filepath.Join(root, "bin", "python")); err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(root, "lib", "pypy3.10", "site-packages"), 0o755)
		st, err := Inspect(PosixLayout(root))
		if err != nil {
			t.Fatal(err)
		}
		h := st.Health
		if h.OK() || h.PythonExists || !h.HomeExists || !h.SitePackagesExists {
			t.Errorf("health %+v", h)
		}
		for _, want := range []string{"dangling symlink", "records no version"} {
			if !hasProblem(h, want) {
				t.Errorf("problems %q lack %q", h.Problems, want)
			}
		}
		if st.SitePackages != filepath.Join(root, "lib", "pypy3.10", "site-packages") {
			t.Errorf("site-packages %q", st.SitePackages)
		}
	})
	t.Run("ambiguous site-packages", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, ConfigFile), "home = "+home+"\n")
		os.MkdirAll(filepath.Join(root, "lib", "python3.10", "site-packages"), 0o755)
		os.MkdirAll(filepath.Join(root, "lib", "python3.11", "site-packages"), 0o755)
		st, _ := Inspect(PosixLayout(root))
		if st.Health.SitePackagesExists || st.SitePackages != "" || !hasProblem(st.Health, "site-packages not found") {
			t.Errorf("picked %q from two candidates: %+v", st.SitePackages, st.Health)
		}
	})
	t.Run("invalid pyvenv.cfg", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, filepath.Join(root, ConfigFile), "home = \xff\n")
		st, err := Inspect(PosixLayout(root))
		if err != nil {
			t.Fatal(err)
		}
		if st.Health.HasConfig || st.Health.NotVenv || st.Config != nil || !hasProblem(st.Health, "UTF-8") {
			t.Errorf("%+v", st.Health)
		}
	})
}
