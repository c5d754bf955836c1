package wheelbuild

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
)

// findPython is the interpreter the install tests use: pyenv's 3.11, else
// python3 on PATH.
func findPython(t *testing.T) string {
	t.Helper()
	return testpy.Default(t)
}

// venv is a throwaway virtual environment with pip.
type venv struct {
	t    *testing.T
	dir  string
	py   string
	env  []string
	r    *run.Runner
	base string
}

func newVenv(t *testing.T) *venv {
	t.Helper()
	base := findPython(t)
	v := &venv{
		t:   t,
		dir: filepath.Join(t.TempDir(), "venv"),
		// The machine's PIP_FIND_LINKS and the like must not reach pip:
		// run.Env drops them. No bytecode from merely running Python, so
		// the before/after snapshots see only what pip installs.
		env:  run.Env(os.Environ(), merge(run.PythonEnv(), map[string]string{"PYTHONDONTWRITEBYTECODE": "1"})),
		r:    &run.Runner{},
		base: base,
	}
	v.py = filepath.Join(v.dir, "bin", "python")
	// A venv that sees the base interpreter's pip through
	// --system-site-packages is made in a fraction of a second, where
	// ensurepip takes several; pip still runs as the venv's own
	// interpreter and installs into the venv. Without a usable base pip,
	// the venv gets its own.
	ctx := context.Background()
	if _, err := v.r.Run(ctx, run.Cmd{Path: base, Args: []string{"-m", "venv", "--without-pip", "--system-site-packages", v.dir}, Env: v.env}); err != nil {
		t.Fatalf("create venv: %v", err)
	}
	if _, err := v.r.Run(ctx, run.Cmd{Path: v.py, Args: []string{"-c", "import pip"}, Env: v.env}); err == nil {
		return v
	}
	if err := os.RemoveAll(v.dir); err != nil {
		t.Fatal(err)
	}
	if _, err := v.r.Run(ctx, run.Cmd{Path: base, Args: []string{"-m", "venv", v.dir}, Env: v.env}); err != nil {
		var re *run.Error
		if errors.As(err, &re) && strings.Contains(re.Stderr, "ensurepip") {
			t.Skipf("%s has no pip and cannot make a venv with one: %v", base, err)
		}
		t.Fatalf("create venv: %v", err)
	}
	return v
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// python runs the venv's interpreter and returns its stdout.
func (v *venv) python(args ...string) string {
	v.t.Helper()
	out, err := v.r.Run(context.Background(), run.Cmd{Path: v.py, Args: args, Env: v.env})
	if err != nil {
		v.t.Fatal(err)
	}
	return string(out)
}

func (v *venv) pip(args ...string) string {
	v.t.Helper()
	return v.python(append([]string{"-m", "pip"}, args...)...)
}

// snapshot lists every file in the venv, so that an install followed by an
// uninstall can be shown to leave nothing behind.
func (v *venv) snapshot() []string {
	v.t.Helper()
	var files []string
	err := filepath.WalkDir(v.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(v.dir, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		v.t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func (v *venv) sameAs(before []string) {
	v.t.Helper()
	after := v.snapshot()
	if reflect.DeepEqual(before, after) {
		return
	}
	was := map[string]bool{}
	for _, f := range before {
		was[f] = true
	}
	for _, f := range after {
		if !was[f] {
			v.t.Errorf("left behind after uninstall: %s", f)
		}
		delete(was, f)
	}
	for f := range was {
		v.t.Errorf("removed though not installed by the test: %s", f)
	}
}

// pipShow returns name -> version for each project pip show reports.
func (v *venv) pipShow(names ...string) map[string]string {
	v.t.Helper()
	out := v.pip(append([]string{"show"}, names...)...)
	got := map[string]string{}
	var name string
	for _, line := range strings.Split(out, "\n") {
		if k, val, ok := strings.Cut(line, ": "); ok {
			switch k {
			case "Name":
				name = val
			case "Version":
				got[name] = strings.TrimSpace(val)
			}
		}
	}
	return got
}

// importAll imports each module in the venv and returns module -> VERSION.
func (v *venv) importAll(modules ...string) map[string]string {
	v.t.Helper()
	const script = `import importlib, json, sys
print(json.dumps({m: importlib.import_module(m).VERSION for m in sys.argv[1:]}))`
	var got map[string]string
	if err := json.Unmarshal([]byte(v.python(append([]string{"-c", script}, modules...)...)), &got); err != nil {
		v.t.Fatal(err)
	}
	return got
}

// checkWheelsScript verifies wheels with Python's own zipfile, csv and
// hashlib, independently of both this package and pip: the archive's CRCs,
// that RECORD lists exactly the archive's entries, and every hash and size.
const checkWheelsScript = `import base64, csv, email.parser, hashlib, io, json, os, sys, zipfile
out = {}
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None, path
        names = z.namelist()
        records = [n for n in names if n.endswith(".dist-info/RECORD")]
        assert len(records) == 1, (path, records)
        record = records[0]
        rows = list(csv.reader(io.StringIO(z.read(record).decode("utf-8"))))
        assert sorted(r[0] for r in rows) == sorted(names), (path, rows, names)
        for p, h, size in rows:
            if p == record:
                assert h == "" and size == "", (path, p, h, size)
                continue
            data = z.read(p)
            algo, _, digest = h.partition("=")
            want = base64.urlsafe_b64encode(hashlib.new(algo, data).digest()).rstrip(b"=").decode()
            assert algo == "sha256" and digest == want and int(size) == len(data), (path, p)
        meta = email.parser.Parser().parsestr(z.read(record[: -len("RECORD")] + "METADATA").decode("utf-8"))
        out[os.path.basename(path)] = [meta["Name"], meta["Version"], len(names)]
print(json.dumps(out))
`

func TestPipRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("installs into a fresh venv")
	}
	t.Run("odd names", func(t *testing.T) {
		t.Parallel()
		v := newVenv(t)
		before := v.snapshot()
		specs := []struct {
			spec    Spec
			modules []string
		}{
			{Spec{Name: "Odd.Name", Version: "1.0", Files: map[string][]byte{
				"odd_mod/__init__.py": []byte("VERSION = '1.0'\n"),
			}}, []string{"odd_mod"}},
			{Spec{Name: "dash-ed--Name", Version: "2.0.post1", RequiresPython: ">=3.6", Files: map[string][]byte{
				"dashed/__init__.py":     []byte("from dashed.sub.deep import VERSION\n"),
				"dashed/sub/__init__.py": nil,
				"dashed/sub/deep.py":     []byte("VERSION = '2.0.post1'\n"),
				"dashed/data/a,b.txt":    []byte("comma\n"),
			}}, []string{"dashed"}},
			{Spec{Name: "UPPER_case", Version: "0.1a1", Files: map[string][]byte{
				"upper_case.py": []byte("VERSION = '0.1a1'\n"),
			}}, []string{"upper_case"}},
			{Spec{Name: "x", Version: "1!1.0+local.2", Tag: "py2.py3-none-any", Files: map[string][]byte{
				"x_mod/__init__.py": []byte("VERSION = 'epoch'\n"),
			}}, []string{"x_mod"}},
			{Spec{Name: "entry.points", Version: "3.0", Files: map[string][]byte{
				"ep_mod/__init__.py":                          []byte("VERSION = '3.0'\n\ndef main():\n    print('hello from ep')\n"),
				"entry_points-3.0.dist-info/entry_points.txt": []byte("[console_scripts]\nep-hello = ep_mod:main\n"),
			}}, []string{"ep_mod"}},
		}
		dir := t.TempDir()
		var paths, names, modules []string
		wantVersions := map[string]string{}
		for _, s := range specs {
			p, err := WriteFile(dir, s.spec)
			if err != nil {
				t.Fatal(err)
			}
			paths = append(paths, p)
			names = append(names, s.spec.Name)
			modules = append(modules, s.modules...)
			wantVersions[s.spec.Name] = s.spec.Version
		}

		var checked map[string][]any
		if err := json.Unmarshal([]byte(v.python(append([]string{"-c", checkWheelsScript}, paths...)...)), &checked); err != nil {
			t.Fatal(err)
		}
		for _, s := range specs {
			fn, _ := Filename(s.spec)
			if c := checked[fn]; len(c) != 3 || c[0] != s.spec.Name || c[1] != s.spec.Version {
				t.Errorf("python read %s as %v", fn, c)
			}
		}

		v.pip(append([]string{"install", "--no-index", "--no-deps"}, paths...)...)
		if got := v.pipShow(names...); !reflect.DeepEqual(got, wantVersions) {
			t.Errorf("pip show: %v, want %v", got, wantVersions)
		}
		got := v.importAll(modules...)
		want := map[string]string{"odd_mod": "1.0", "dashed": "2.0.post1", "upper_case": "0.1a1", "x_mod": "epoch", "ep_mod": "3.0"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("imported VERSIONs %v, want %v", got, want)
		}
		out, err := v.r.Run(context.Background(), run.Cmd{Path: filepath.Join(v.dir, "bin", "ep-hello"), Env: v.env})
		if err != nil || strings.TrimSpace(string(out)) != "hello from ep" {
			t.Errorf("console script from entry_points.txt: %q %v", out, err)
		}
		v.pip(append([]string{"uninstall", "-y"}, names...)...)
		v.sameAs(before)
	})

	t.Run("chain", func(t *testing.T) {
		t.Parallel()
		v := newVenv(t)
		before := v.snapshot()
		specs, err := FromTree(filepath.Join("..", "..", "testdata", "wheels"))
		if err != nil {
			t.Fatal(err)
		}
		links := t.TempDir()
		if _, err := WriteAll(links, specs); err != nil {
			t.Fatal(err)
		}
		install := func(reqs ...string) {
			v.pip(append([]string{"install", "--no-index", "--find-links", links}, reqs...)...)
		}
		// What each step leaves installed, read with importlib.metadata
		// (a pip show per step would double the test's time).
		installed := func() map[string]string {
			const script = `import importlib.metadata as m, json
print(json.dumps({d.metadata["Name"]: d.version for d in m.distributions() if d.metadata["Name"].startswith("chain-")}))`
			var got map[string]string
			if err := json.Unmarshal([]byte(v.python("-c", script)), &got); err != nil {
				t.Fatal(err)
			}
			return got
		}
		install("chain-c")
		if got := installed(); !reflect.DeepEqual(got, map[string]string{"chain-c": "1.0"}) {
			t.Errorf("chain-c without its extra installed %v", got)
		}
		install("chain-c[b]")
		if got := installed(); !reflect.DeepEqual(got, map[string]string{"chain-c": "1.0", "chain-b": "2.0"}) {
			t.Errorf("chain-c[b] installed %v, want chain-b 2.0 added", got)
		}
		v.pip("uninstall", "-y", "chain-b")
		install("chain-a")
		if got := installed(); !reflect.DeepEqual(got, map[string]string{"chain-a": "1.0", "chain-b": "2.0", "chain-c": "1.0"}) {
			t.Errorf("chain-a installed %v, want it to pull chain-b 2.0", got)
		}
		if got := strings.TrimSpace(v.python("-c", "import chain_a, chain_c; print(chain_a.b_version(), chain_c.has_b())")); got != "2.0 True" {
			t.Errorf("chain_a.b_version(), chain_c.has_b() = %q", got)
		}
		v.pip("uninstall", "-y", "chain-a", "chain-b", "chain-c")
		v.sameAs(before)
	})

	t.Run("many", func(t *testing.T) {
		t.Parallel()
		v := newVenv(t)
		before := v.snapshot()
		const n = 30
		gen := func(version string) (paths, names, modules []string, want map[string]string) {
			want = map[string]string{}
			var err error
			specs := Many(n, version)
			paths, err = WriteAll(t.TempDir(), specs)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range specs {
				names = append(names, s.Name)
				modules = append(modules, s.Name)
				want[s.Name] = version
			}
			return
		}
		p1, names, modules, want1 := gen("1.0")
		p2, _, _, want2 := gen("2.0")
		v.pip(append([]string{"install", "--no-index", "--no-deps"}, p1...)...)
		if got := v.importAll(modules...); !reflect.DeepEqual(got, want1) {
			t.Errorf("v1 imports: %v", got)
		}
		v.pip(append([]string{"install", "--no-index", "--no-deps"}, p2...)...)
		if got := v.importAll(modules...); !reflect.DeepEqual(got, want2) {
			t.Errorf("after upgrading to v2: %v", got)
		}
		if got := strings.TrimSpace(v.python("-c", "import pkg17; print(pkg17.ident())")); got != "pkg17==2.0" {
			t.Errorf("pkg17.ident() = %q", got)
		}
		v.pip(append([]string{"uninstall", "-y"}, names...)...)
		v.sameAs(before)
	})
}
