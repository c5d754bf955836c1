package wheelbuild

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// unzip reads a built wheel back with archive/zip and checks the fixed header
// fields on every entry.
func unzip(data []byte) (names []string, files map[string][]byte, err error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, nil, err
	}
	files = map[string][]byte{}
	want := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range zr.File {
		if f.Method != zip.Store {
			return nil, nil, fmt.Errorf("%s: method %d, want stored", f.Name, f.Method)
		}
		if !f.Modified.Equal(want) {
			return nil, nil, fmt.Errorf("%s: modified %v, want %v", f.Name, f.Modified, want)
		}
		if m := f.Mode(); m != 0o644 {
			return nil, nil, fmt.Errorf("%s: mode %v, want 0644", f.Name, m)
		}
		if len(f.Extra) != 0 {
			return nil, nil, fmt.Errorf("%s: extra field %x", f.Name, f.Extra)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(rc) // checks the CRC at EOF
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if _, dup := files[f.Name]; dup {
			return nil, nil, fmt.Errorf("%s: duplicate entry", f.Name)
		}
		names = append(names, f.Name)
		files[f.Name] = b
	}
	return names, files, nil
}

// checkRecord verifies RECORD the way an installer would: it lists every
// entry exactly once with the right hash and size, and itself without them.
func checkRecord(data []byte, distInfo string) error {
	names, files, err := unzip(data)
	if err != nil {
		return err
	}
	record := distInfo + "/RECORD"
	if len(names) == 0 || names[len(names)-1] != record {
		return fmt.Errorf("last entry %v, want %s", names, record)
	}
	rows, err := csv.NewReader(bytes.NewReader(files[record])).ReadAll()
	if err != nil {
		return fmt.Errorf("parse RECORD: %w", err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		if len(r) != 3 {
			return fmt.Errorf("RECORD row %q: want 3 fields", r)
		}
		if seen[r[0]] {
			return fmt.Errorf("RECORD lists %s twice", r[0])
		}
		seen[r[0]] = true
		content, ok := files[r[0]]
		switch {
		case !ok:
			return fmt.Errorf("RECORD lists %s, not in the wheel", r[0])
		case r[0] == record:
			if r[1] != "" || r[2] != "" {
				return fmt.Errorf("RECORD row for itself %q: want no hash or size", r)
			}
		case r[1] != HashRecord(content) || r[2] != fmt.Sprint(len(content)):
			return fmt.Errorf("RECORD row %q: file has %s,%d", r, HashRecord(content), len(content))
		}
	}
	for _, n := range names {
		if !seen[n] {
			return fmt.Errorf("%s missing from RECORD", n)
		}
	}
	return nil
}

func sample() Spec {
	return Spec{
		Name:           "Influx-Stats",
		Version:        "1.2.0",
		Summary:        "rolling statistics",
		RequiresDist:   []string{"tinyunits>=1.0", `chain-b ; extra == "b"`},
		ProvidesExtra:  []string{"b"},
		RequiresPython: ">=3.8",
		Files: map[string][]byte{
			"influx_stats/__init__.py":                      []byte("VERSION = '1.2.0'\n"),
			"influx_stats/rolling.py":                       []byte("def mean(xs):\n    return sum(xs) / len(xs)\n"),
			"influx_stats/data/a,b.txt":                     []byte("comma in the name\n"),
			"influx_stats-1.2.0.dist-info/entry_points.txt": []byte("[console_scripts]\nistats = influx_stats:main\n"),
		},
	}
}

func TestBuildContents(t *testing.T) {
	name, data, err := Build(sample())
	if err != nil {
		t.Fatal(err)
	}
	if want := "influx_stats-1.2.0-py3-none-any.whl"; name != want {
		t.Errorf("filename %q, want %q", name, want)
	}
	names, files, err := unzip(data)
	if err != nil {
		t.Fatal(err)
	}
	di := "influx_stats-1.2.0.dist-info/"
	wantNames := []string{
		"influx_stats/__init__.py",
		"influx_stats/data/a,b.txt",
		"influx_stats/rolling.py",
		di + "METADATA",
		di + "WHEEL",
		di + "entry_points.txt",
		di + "RECORD",
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("entries\n%q\nwant\n%q", names, wantNames)
	}
	wantMeta := "Metadata-Version: 2.1\nName: Influx-Stats\nVersion: 1.2.0\nSummary: rolling statistics\n" +
		"Requires-Python: >=3.8\nProvides-Extra: b\nRequires-Dist: tinyunits>=1.0\nRequires-Dist: chain-b ; extra == \"b\"\n"
	if got := string(files[di+"METADATA"]); got != wantMeta {
		t.Errorf("METADATA\n%s\nwant\n%s", got, wantMeta)
	}
	wantWheel := "Wheel-Version: 1.0\nGenerator: influx-py wheelbuild\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
	if got := string(files[di+"WHEEL"]); got != wantWheel {
		t.Errorf("WHEEL\n%s\nwant\n%s", got, wantWheel)
	}
	if err := checkRecord(data, DistInfo(sample())); err != nil {
		t.Error(err)
	}
	if !strings.Contains(string(files[di+"RECORD"]), `"influx_stats/data/a,b.txt",sha256=`) {
		t.Errorf("RECORD does not quote a path with a comma:\n%s", files[di+"RECORD"])
	}
}

func TestMinimalMetadata(t *testing.T) {
	_, data, err := Build(Spec{Name: "bare", Version: "0"})
	if err != nil {
		t.Fatal(err)
	}
	names, files, err := unzip(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 3 {
		t.Errorf("entries %q, want only METADATA, WHEEL, RECORD", names)
	}
	if got, want := string(files["bare-0.dist-info/METADATA"]), "Metadata-Version: 2.1\nName: bare\nVersion: 0\n"; got != want {
		t.Errorf("METADATA %q, want %q", got, want)
	}
}

func TestPlatformTag(t *testing.T) {
	tests := []struct {
		tag      string
		tags     []string
		purelib  bool
		filename string
	}{
		{"py2.py3-none-any", []string{"py2-none-any", "py3-none-any"}, true, "x-1.0-py2.py3-none-any.whl"},
		{"cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
			[]string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64"}, false,
			"x-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"},
		{"cp38-abi3-any", []string{"cp38-abi3-any"}, false, "x-1.0-cp38-abi3-any.whl"},
	}
	for _, tt := range tests {
		t.Run(tt.tag, func(t *testing.T) {
			s := Spec{Name: "x", Version: "1.0", Tag: tt.tag}
			name, data, err := Build(s)
			if err != nil {
				t.Fatal(err)
			}
			if name != tt.filename {
				t.Errorf("filename %q, want %q", name, tt.filename)
			}
			_, files, err := unzip(data)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			fmt.Fprintf(&want, "Wheel-Version: 1.0\nGenerator: %s\nRoot-Is-Purelib: %t\n", Generator, tt.purelib)
			for _, tg := range tt.tags {
				fmt.Fprintf(&want, "Tag: %s\n", tg)
			}
			if got := string(files["x-1.0.dist-info/WHEEL"]); got != want.String() {
				t.Errorf("WHEEL\n%s\nwant\n%s", got, want.String())
			}
		})
	}
}

func TestFilename(t *testing.T) {
	// Odd but valid names: the file name uses the PEP 503 name with runs
	// of -_. folded into one underscore, lowercased.
	tests := []struct{ name, version, want string }{
		{"foo", "1.0", "foo-1.0-py3-none-any.whl"},
		{"Foo", "1.0", "foo-1.0-py3-none-any.whl"},
		{"Foo.Bar", "1.0", "foo_bar-1.0-py3-none-any.whl"},
		{"foo-bar", "2.0.post1", "foo_bar-2.0.post1-py3-none-any.whl"},
		{"foo__bar", "1.0", "foo_bar-1.0-py3-none-any.whl"},
		{"Foo-_.Bar", "1.0", "foo_bar-1.0-py3-none-any.whl"},
		{"zope.interface", "6.0", "zope_interface-6.0-py3-none-any.whl"},
		{"A", "1!2.0rc1.dev3", "a-1!2.0rc1.dev3-py3-none-any.whl"},
		{"x9", "1.0+local.7", "x9-1.0+local.7-py3-none-any.whl"},
		{"ALL.CAPS-NAME", "0.0.1a0", "all_caps_name-0.0.1a0-py3-none-any.whl"},
	}
	for _, tt := range tests {
		got, err := Filename(Spec{Name: tt.name, Version: tt.version})
		if err != nil {
			t.Errorf("Filename(%q, %q): %v", tt.name, tt.version, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Filename(%q, %q) = %q, want %q", tt.name, tt.version, got, tt.want)
		}
		if di, want := DistInfo(Spec{Name: tt.name, Version: tt.version}), strings.SplitN(tt.want, "-", 3); di != want[0]+"-"+want[1]+".dist-info" {
			t.Errorf("DistInfo(%q) = %q", tt.name, di)
		}
	}
}

func TestBuildRejects(t *testing.T) {
	ok := func() Spec { return Spec{Name: "ok", Version: "1.0", Files: map[string][]byte{"ok.py": nil}} }
	with := func(f func(*Spec)) Spec { s := ok(); f(&s); return s }
	tests := []struct {
		name  string
		spec  Spec
		field string
	}{
		{"empty name", with(func(s *Spec) { s.Name = "" }), "name"},
		{"leading dash", with(func(s *Spec) { s.Name = "-x" }), "name"},
		{"trailing dot", with(func(s *Spec) { s.Name = "x." }), "name"},
		{"space", with(func(s *Spec) { s.Name = "a b" }), "name"},
		{"non-ascii", with(func(s *Spec) { s.Name = "café" }), "name"},
		{"empty version", with(func(s *Spec) { s.Version = "" }), "version"},
		{"unnormalized version", with(func(s *Spec) { s.Version = "1.0-1" }), "version"},
		{"v prefix", with(func(s *Spec) { s.Version = "v1.0" }), "version"},
		{"leading zero", with(func(s *Spec) { s.Version = "01.0" }), "version"},
		{"uppercase pre", with(func(s *Spec) { s.Version = "1.0RC1" }), "version"},
		{"two dashes in tag", with(func(s *Spec) { s.Tag = "py3-none" }), "tag"},
		{"empty tag part", with(func(s *Spec) { s.Tag = "py3..py2-none-any" }), "tag"},
		{"newline summary", with(func(s *Spec) { s.Summary = "a\nb" }), "summary"},
		{"newline requirement", with(func(s *Spec) { s.RequiresDist = []string{"a\nRequires-Dist: b"} }), "requires-dist"},
		{"empty requirement", with(func(s *Spec) { s.RequiresDist = []string{""} }), "requires-dist"},
		{"bad extra", with(func(s *Spec) { s.ProvidesExtra = []string{"a b"} }), "provides-extra"},
		{"absolute path", with(func(s *Spec) { s.Files["/etc/x"] = nil }), "file"},
		{"dotdot path", with(func(s *Spec) { s.Files["../x.py"] = nil }), "file"},
		{"unclean path", with(func(s *Spec) { s.Files["a//b.py"] = nil }), "file"},
		{"backslash", with(func(s *Spec) { s.Files[`a\b.py`] = nil }), "file"},
		{"directory", with(func(s *Spec) { s.Files["a/"] = nil }), "file"},
		{"own METADATA", with(func(s *Spec) { s.Files["ok-1.0.dist-info/METADATA"] = nil }), "file"},
		{"own RECORD other case", with(func(s *Spec) { s.Files["OK-1.0.dist-info/record"] = nil }), "file"},
		{"foreign dist-info", with(func(s *Spec) { s.Files["other-1.0.dist-info/x"] = nil }), "file"},
		{"case clash", with(func(s *Spec) { s.Files["OK.py"] = nil }), "file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Build(tt.spec)
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Build: err %v, want a *SpecError", err)
			}
			if se.Field != tt.field {
				t.Errorf("Build: %v: field %q, want %q", err, se.Field, tt.field)
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	_, a, err := Build(sample())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ { // map order differs from run to run
		_, b, err := Build(sample())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("build %d differs from the first", i)
		}
	}
	changed := sample()
	changed.Files["influx_stats/rolling.py"] = []byte("def mean(xs):\n    return 0\n")
	if _, c, _ := Build(changed); bytes.Equal(a, c) {
		t.Error("changing a file did not change the wheel")
	}
	// The bytes are pinned so that a change to the writer (or to Go's
	// archive/zip) that would silently alter every committed wheel's hash
	// fails here first.
	const want = "sha256=k0k5cxUa9KIZ-x5BosTJKc_wZmdDTb9e9jv561IOaFI"
	if got := HashRecord(a); got != want {
		t.Errorf("sample wheel hash %s, want %s (if the format change is deliberate, update this and run go test ./examples -update)", got, want)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p, err := WriteFile(dir, sample())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "influx_stats-1.2.0-py3-none-any.whl"); p != want {
		t.Errorf("path %q, want %q", p, want)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	_, want, _ := Build(sample())
	if !bytes.Equal(got, want) {
		t.Error("written file differs from Build's bytes")
	}
	if _, err := WriteFile(filepath.Join(dir, "missing"), sample()); err == nil {
		t.Error("WriteFile into a missing folder: no error")
	}
	paths, err := WriteAll(dir, Many(3, "1.0"))
	if err != nil || len(paths) != 3 {
		t.Fatalf("WriteAll: %v %v", paths, err)
	}
}

func TestMany(t *testing.T) {
	for _, n := range []int{1, 30, 100} {
		specs := Many(n, "2.0")
		if len(specs) != n {
			t.Fatalf("Many(%d): %d specs", n, len(specs))
		}
		seen := map[string]bool{}
		for _, s := range specs {
			fn, data, err := Build(s)
			if err != nil {
				t.Fatal(err)
			}
			if seen[fn] {
				t.Errorf("Many(%d): %s twice", n, fn)
			}
			seen[fn] = true
			if err := checkRecord(data, DistInfo(s)); err != nil {
				t.Error(err)
			}
			src := string(s.Files[s.Name+"/__init__.py"])
			if !strings.Contains(src, `VERSION = "2.0"`) || !strings.Contains(src, "def ident():") {
				t.Errorf("%s/__init__.py:\n%s", s.Name, src)
			}
		}
		last := specs[n-1].Name
		if want := map[int]string{1: "pkg01", 30: "pkg30", 100: "pkg100"}[n]; last != want {
			t.Errorf("Many(%d): last is %s, want %s", n, last, want)
		}
	}
	if Many(100, "1.0")[0].Name != "pkg001" {
		t.Error("Many(100) does not pad to three digits")
	}
}

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFromDir(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{
		"one/wheel.json": `{"name": "One.Pkg", "version": "1.0", "summary": "s",
			"requires_dist": ["two>=1"], "requires_python": ">=3.8", "tag": "py3-none-any"}`,
		"one/src/one_pkg/__init__.py":                          "X = 1\n",
		"one/src/one_pkg/sub/data.txt":                         "d",
		"one/src/one_pkg/__pycache__/__init__.cpython-311.pyc": "junk",
		"one/src/one_pkg/stale.pyc":                            "junk",
		"one/README.md":                                        "not in the wheel",
		"two/wheel.json":                                       `{"name": "two", "version": "2.0"}`,
		"notes/readme.txt":                                     "no wheel.json here",
	})
	s, err := FromDir(filepath.Join(root, "one"))
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{
		Name: "One.Pkg", Version: "1.0", Summary: "s", RequiresDist: []string{"two>=1"},
		RequiresPython: ">=3.8", Tag: "py3-none-any",
		Files: map[string][]byte{"one_pkg/__init__.py": []byte("X = 1\n"), "one_pkg/sub/data.txt": []byte("d")},
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("FromDir:\n%+v\nwant\n%+v", s, want)
	}
	specs, err := FromTree(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[0].Name != "One.Pkg" || specs[1].Name != "two" || len(specs[1].Files) != 0 {
		t.Errorf("FromTree: %+v", specs)
	}
	if _, err := FromDir(filepath.Join(root, "notes")); !errors.Is(err, ErrNoSpec) {
		t.Errorf("FromDir without wheel.json: %v, want ErrNoSpec", err)
	}
	if _, err := FromTree(filepath.Join(root, "missing")); err == nil {
		t.Error("FromTree of a missing folder: no error")
	}
	if err := os.Symlink("/etc/hostname", filepath.Join(root, "one/src/link.txt")); err == nil {
		if _, err := FromDir(filepath.Join(root, "one")); err == nil {
			t.Error("FromDir with a symlink: no error")
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		name string
	}{
		{`{"name": "a", "version": "1.0"}`, true, "a"},
		{`{"name": "a", "version": "1.0", "provides_extra": ["x"], "requires_dist": ["b ; extra == \"x\""]}`, true, "a"},
		{`{"name": "a", "version": "1.0", "require_dist": ["b"]}`, false, ""}, // typo
		{`{"name": "a", "version": "1.0"} {}`, false, ""},
		{`{"name": "a"}`, false, ""},
		{`{"name": "a", "version": "1.0", "tag": "py3"}`, false, ""},
		{`{"name": "a", "version": 1.0}`, false, ""},
		{`[]`, false, ""},
		{``, false, ""},
	}
	for _, tt := range tests {
		s, err := ParseConfig([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("ParseConfig(%s): err %v, want ok=%t", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && s.Name != tt.name {
			t.Errorf("ParseConfig(%s): name %q", tt.in, s.Name)
		}
	}
}

// TestTestdataWheels checks the committed sources that other packages' tests
// build: the resolution chain must keep its dependency edges.
func TestTestdataWheels(t *testing.T) {
	specs, err := FromTree(filepath.Join("..", "..", "testdata", "wheels"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Spec{}
	var names []string
	for _, s := range specs {
		fn, data, err := Build(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkRecord(data, DistInfo(s)); err != nil {
			t.Errorf("%s: %v", fn, err)
		}
		names = append(names, fn)
		got[s.Name+"=="+s.Version] = s
	}
	sort.Strings(names)
	want := []string{
		"chain_a-1.0-py3-none-any.whl", "chain_b-1.0-py3-none-any.whl",
		"chain_b-2.0-py3-none-any.whl", "chain_c-1.0-py3-none-any.whl",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("testdata wheels %q, want %q", names, want)
	}
	if r := got["chain-a==1.0"].RequiresDist; !reflect.DeepEqual(r, []string{"chain-b>=1"}) {
		t.Errorf("chain-a requires %q", r)
	}
	c := got["chain-c==1.0"]
	if !reflect.DeepEqual(c.RequiresDist, []string{`chain-b ; extra == "b"`}) || !reflect.DeepEqual(c.ProvidesExtra, []string{"b"}) {
		t.Errorf("chain-c requires %q, extras %q", c.RequiresDist, c.ProvidesExtra)
	}
}

// FuzzBuild: whatever the input, Build either refuses it with a *SpecError
// or makes a readable wheel whose RECORD checks out, the same twice.
func FuzzBuild(f *testing.F) {
	f.Add("foo", "1.0", "py3-none-any", "foo/__init__.py", []byte("x = 1\n"))
	f.Add("Odd.Name_x", "1!2.0rc1.post3.dev4+abc.5", "py2.py3-none-any", "odd/a,b \"q\".txt", []byte{0, 1, 2})
	f.Add("-bad", "1.0", "", "x.py", []byte(nil))
	f.Add("a", "1.0-1", "", "x.py", []byte(nil))
	f.Add("a", "1.0", "py3-none-any", "../x.py", []byte(nil))
	f.Add("a", "1.0", "py3-none-any", "a-1.0.dist-info/RECORD", []byte(nil))
	f.Add("a", "1.0", "py3-none-any", "a-1.0.dist-info/licenses/LICENSE", []byte("MIT"))
	f.Add("a", "1.0", "cp3\n-x-y", "é/ü.py", []byte("# utf-8"))
	f.Fuzz(func(t *testing.T, name, version, tag, path string, content []byte) {
		s := Spec{Name: name, Version: version, Tag: tag, Files: map[string][]byte{path: content}}
		fn, data, err := Build(s)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("Build error %v is not a *SpecError", err)
			}
			return
		}
		if !strings.HasSuffix(fn, ".whl") || strings.Count(fn, "-") != 4 {
			t.Fatalf("filename %q is not name-version-py-abi-plat.whl", fn)
		}
		if err := checkRecord(data, DistInfo(s)); err != nil {
			t.Fatal(err)
		}
		_, again, _ := Build(s)
		if !bytes.Equal(data, again) {
			t.Fatal("two builds differ")
		}
	})
}

// FuzzParseConfig: the wheel.json parser never panics, and what it accepts
// always builds.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"name": "a", "version": "1.0"}`))
	f.Add([]byte(`{"name": "chain-c", "version": "1.0", "provides_extra": ["b"], "requires_dist": ["chain-b ; extra == \"b\""]}`))
	f.Add([]byte(`{"name": "a", "version": "1.0", "summary": "x\ny"}`))
	f.Add([]byte(`{"name": "a", "version": "1.0", "tag": "cp311-cp311-linux_x86_64"}`))
	f.Add([]byte(`{"name": null}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseConfig(data)
		if err != nil {
			return
		}
		if _, _, err := Build(s); err != nil {
			t.Fatalf("ParseConfig accepted %q but Build fails: %v", data, err)
		}
	})
}
