package venv

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/testvec"
)

func TestNormalizeNameVectors(t *testing.T) {
	var v struct {
		Canonicalize []struct {
			Name, Canonical string
		} `json:"canonicalize"`
		Invalid []struct {
			Name                       string `json:"name"`
			CanonicalWithoutValidation string `json:"canonical_without_validation"`
		} `json:"canonicalize_invalid"`
		Spec struct {
			Canonical string   `json:"canonical"`
			Names     []string `json:"names"`
		} `json:"spec_equivalent"`
	}
	testvec.Load(t, "names.json", &v)
	pass, total := 0, 0
	check := func(in, want string) {
		total++
		if got := NormalizeName(in); got != want {
			t.Errorf("NormalizeName(%q) = %q, want %q", in, got, want)
		} else {
			pass++
		}
	}
	for _, c := range v.Canonicalize {
		check(c.Name, c.Canonical)
	}
	for _, c := range v.Invalid {
		check(c.Name, c.CanonicalWithoutValidation)
	}
	for _, n := range v.Spec.Names {
		check(n, v.Spec.Canonical)
	}
	t.Logf("name normalization vectors: %d/%d pass", pass, total)
	if total == 0 {
		t.Error("no name vectors")
	}
}

func TestReadHeaders(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want headers
	}{
		{"basic", "Metadata-Version: 2.1\nName: Foo_Bar\nVersion: 1.0\n\nName: body\n",
			headers{{"metadata-version", "2.1"}, {"name", "Foo_Bar"}, {"version", "1.0"}}},
		{"CRLF and case", "NAME:  requests \r\nversion:2.31.0\r\n\r\n",
			headers{{"name", "requests"}, {"version", "2.31.0"}}},
		{"continuation unfolded", "Name: a\nSummary: one\n  two\n\tthree\nVersion: 1\n",
			headers{{"name", "a"}, {"summary", "one two three"}, {"version", "1"}}},
		{"leading continuation ignored", " stray\nName: a\n", headers{{"name", "a"}}},
		{"non-header line ends the block", "Name: a\nthis is the body\nVersion: 9\n", headers{{"name", "a"}}},
		{"whitespace-only line is a continuation", "Name: a\n   \nVersion: 1\n",
			headers{{"name", "a"}, {"version", "1"}}},
		{"bare CR ends lines", "Name: a\rVersion: 1\r\rBody: x\r", headers{{"name", "a"}, {"version", "1"}}},
		{"bare CR splits a value", "Name: 0\r0\n", headers{{"name", "0"}}},
		{"no final newline", "Name: a\nVersion: 2", headers{{"name", "a"}, {"version", "2"}}},
		{"empty", "", nil},
		{"space in field name ends the block", "Name: a\nBad Name: x\nVersion: 1\n", headers{{"name", "a"}}},
		{"empty field name is a field", ": x\nName: a\n", headers{{"", "x"}, {"name", "a"}}},
		{"value with colons", "Home-page: https://x.org:8080/\n", headers{{"home-page", "https://x.org:8080/"}}},
	}
	for _, tt := range tests {
		got, err := readHeaders(strings.NewReader(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	h, _ := readHeaders(strings.NewReader("Name: a\nName: b\n"))
	if h.get("name") != "a" || h.get("missing") != "" {
		t.Error("get should return the first value and empty for a missing field")
	}
}

// TestReadHeadersStopsAtBody checks that only the header block is read: the
// reader must not consume the body (which may be a large README).
func TestReadHeadersStopsAtBody(t *testing.T) {
	r := &countingReader{s: "Name: a\nVersion: 1\n\n" + strings.Repeat("body\n", 1<<16)}
	if _, err := readHeaders(r); err != nil {
		t.Fatal(err)
	}
	if r.n > 8192 {
		t.Errorf("read %d bytes of a file whose headers are 20 bytes", r.n)
	}
}

type countingReader struct {
	s string
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= len(c.s) {
		return 0, errors.New("EOF")
	}
	k := copy(p, c.s[c.n:])
	c.n += k
	return k, nil
}

func FuzzReadHeaders(f *testing.F) {
	f.Add("Metadata-Version: 2.1\nName: x\nVersion: 1.0\n\nbody")
	f.Add("Name: a\r\n b\r\n\r\n")
	f.Add(" \n:\n\t\n")
	f.Add("Name: a\nnot a header\nVersion: 1")
	f.Add("Name: 0\r0")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := readHeaders(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range h {
			if f.name != strings.ToLower(f.name) || strings.ContainsAny(f.name, ": \t\r\n") {
				t.Fatalf("bad field name %q", f.name)
			}
			if f.value != strings.TrimSpace(f.value) || strings.ContainsAny(f.value, "\r\n") {
				t.Fatalf("value %q not unfolded and trimmed", f.value)
			}
		}
		// Headers end at the first blank line: what follows cannot add any.
		if i := strings.Index(in, "\n\n"); i >= 0 {
			h2, _ := readHeaders(strings.NewReader(in[:i+1]))
			if !reflect.DeepEqual(h, h2) {
				t.Fatalf("text after the blank line changed the headers: %q vs %q", h, h2)
			}
		}
	})
}

func TestNameFromDir(t *testing.T) {
	tests := []struct{ base, kind, name, version string }{
		{"foo_bar-1.2.3.dist-info", "dist-info", "foo_bar", "1.2.3"},
		{"Foo-1.0-py3.11.egg-info", "egg-info", "Foo", "1.0"},
		{"foo.egg-info", "egg-info", "foo", ""},
		{"pip-23.2.1.DIST-INFO", "dist-info", "pip", "23.2.1"},
	}
	for _, tt := range tests {
		n, v := nameFromDir(tt.base, tt.kind)
		if n != tt.name || v != tt.version {
			t.Errorf("nameFromDir(%q) = %q, %q", tt.base, n, v)
		}
	}
}

func TestInstalledMissingDir(t *testing.T) {
	_, err := Installed(filepath.Join(t.TempDir(), "nope"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

// TestInstalledRealVenv fills the site-packages of a real venv (made
// --without-pip, so it starts empty) with fake distributions of every shape.
func TestInstalledRealVenv(t *testing.T) {
	l := makeVenv(t, filepath.Join(t.TempDir(), "venv"), "--without-pip")
	site := l.SitePackages(3, 11)
	got, err := Installed(site)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("fresh --without-pip venv lists %v", got)
	}
	writeDist(t, site, "Zope.Interface-6.0.dist-info", map[string]string{
		"METADATA":  "Metadata-Version: 2.1\nName: zope.interface\nVersion: 6.0\n\nlong description\nName: wrong\n",
		"INSTALLER": "uv\n", "RECORD": "", "REQUESTED": "",
	})
	writeDist(t, site, "charset_normalizer-3.3.2.dist-info", map[string]string{
		"METADATA":  "Metadata-Version: 2.1\r\nName: charset-normalizer\r\nVersion: 3.3.2\r\n\r\n",
		"INSTALLER": "pip\n",
	})
	writeDist(t, site, "broken_pkg-0.1.dist-info", map[string]string{"RECORD": ""})
	writeDist(t, site, "noversion-2.0.dist-info", map[string]string{"METADATA": "Name: NoVersion\n\n"})
	writeDist(t, site, "Legacy_Thing-1.4-py3.11.egg-info", map[string]string{"PKG-INFO": "Metadata-Version: 1.0\nName: Legacy-Thing\nVersion: 1.4\n"})
	writeFile(t, filepath.Join(site, "oldfile-0.9-py3.11.egg-info"), "Metadata-Version: 1.0\nName: oldfile\nVersion: 0.9\n")
	writeDist(t, site, "~ip-23.0.dist-info", map[string]string{"METADATA": "Name: pip\nVersion: 23.0\n"})
	writeDist(t, site, "zope", map[string]string{"__init__.py": ""})
	writeFile(t, filepath.Join(site, "distutils-precedence.pth"), "")

	got, err = Installed(site)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name, Display, Version, Kind, Installer string
		Requested, Missing                      bool
	}
	var rows []row
	for _, d := range got {
		rows = append(rows, row{d.Name, d.DisplayName, d.Version, d.Kind, d.Installer, d.Requested, d.MetadataMissing})
		if filepath.Dir(d.DistInfo) != site {
			t.Errorf("%s: DistInfo %q not in site-packages", d.Name, d.DistInfo)
		}
		if d.MetadataMissing == (d.Problem == "") {
			t.Errorf("%s: MetadataMissing %v but Problem %q", d.Name, d.MetadataMissing, d.Problem)
		}
	}
	want := []row{
		{"broken-pkg", "broken_pkg", "0.1", "dist-info", "", false, true},
		{"charset-normalizer", "charset-normalizer", "3.3.2", "dist-info", "pip", false, false},
		{"legacy-thing", "Legacy-Thing", "1.4", "egg-info", "", false, false},
		{"noversion", "NoVersion", "2.0", "dist-info", "", false, true},
		{"oldfile", "oldfile", "0.9", "egg-info", "", false, false},
		{"zope-interface", "zope.interface", "6.0", "dist-info", "uv", true, false},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("Installed:\n got  %+v\n want %+v", rows, want)
	}
}

func TestListingDigest(t *testing.T) {
	site := t.TempDir()
	digest := func() string {
		t.Helper()
		d, err := ListingDigest(site)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// Times are set explicitly so the test does not depend on the file
	// system's timestamp resolution.
	stamp := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	setTimes := func(paths ...string) {
		t.Helper()
		stamp = stamp.Add(time.Second)
		for _, p := range paths {
			if err := os.Chtimes(p, stamp, stamp); err != nil {
				t.Fatal(err)
			}
		}
	}
	install := func(name, version string) string {
		p := writeDist(t, site, name+"-"+version+".dist-info", map[string]string{
			"METADATA": "Name: " + name + "\nVersion: " + version + "\n", "RECORD": name + "/__init__.py,,\n",
		})
		writeFile(t, filepath.Join(site, name, "__init__.py"), "")
		setTimes(filepath.Join(p, "METADATA"), filepath.Join(p, "RECORD"), p)
		return p
	}
	empty := digest()
	a := install("alpha", "1.0")
	d1 := digest()
	if d1 == empty {
		t.Fatal("adding a distribution did not change the digest")
	}
	if digest() != d1 {
		t.Fatal("digest is not stable")
	}

	// Changes that do not touch the installed set.
	writeFile(t, filepath.Join(site, "alpha", "__pycache__", "x.cpython-311.pyc"), "bytecode")
	writeFile(t, filepath.Join(site, "alpha", "__init__.py"), "edited = True\n")
	writeFile(t, filepath.Join(site, "notes.pth"), "")
	if err := os.Mkdir(filepath.Join(site, "__pycache__"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := digest(); got != d1 {
		t.Error("digest changed without a distribution change")
	}

	b := install("beta", "2.0")
	d2 := digest()
	if d2 == d1 {
		t.Error("adding beta did not change the digest")
	}

	// Reinstall of the same version: new METADATA/RECORD written.
	writeFile(t, filepath.Join(b, "RECORD"), "beta/__init__.py,,\n")
	setTimes(filepath.Join(b, "RECORD"))
	d3 := digest()
	if d3 == d2 {
		t.Error("rewriting RECORD (a reinstall) did not change the digest")
	}
	// Reinstall that hardlinks an identical METADATA and RECORD from a
	// cache (uv): the files keep size and times, only the new directory's
	// time differs.
	mtimes := map[string]time.Time{}
	for _, f := range []string{"METADATA", "RECORD"} {
		fi, err := os.Stat(filepath.Join(b, f))
		if err != nil {
			t.Fatal(err)
		}
		mtimes[f] = fi.ModTime()
	}
	if err := os.RemoveAll(b); err != nil {
		t.Fatal(err)
	}
	b = writeDist(t, site, "beta-2.0.dist-info", map[string]string{"METADATA": "Name: beta\nVersion: 2.0\n", "RECORD": "beta/__init__.py,,\n"})
	for f, mt := range mtimes {
		if err := os.Chtimes(filepath.Join(b, f), mt, mt); err != nil {
			t.Fatal(err)
		}
	}
	setTimes(b)
	if digest() == d3 {
		t.Error("recreating the dist-info directory did not change the digest")
	}

	// Upgrade: a different dist-info name.
	if err := os.RemoveAll(a); err != nil {
		t.Fatal(err)
	}
	before := digest()
	install("alpha", "1.1")
	if digest() == before {
		t.Error("upgrading alpha did not change the digest")
	}

	// Removal.
	before = digest()
	if err := os.RemoveAll(b); err != nil {
		t.Fatal(err)
	}
	if digest() == before {
		t.Error("removing beta did not change the digest")
	}

	if _, err := ListingDigest(filepath.Join(site, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing site-packages: err = %v", err)
	}
}

func TestInstalledNames(t *testing.T) {
	site := t.TempDir()
	for _, d := range []string{"Zope.Interface-5.0.dist-info", "my_pkg-1.0.DIST-INFO", "old-0.1-py3.11.egg-info", "~ip-23.0.dist-info", "pkg"} {
		os.Mkdir(filepath.Join(site, d), 0o755)
	}
	os.WriteFile(filepath.Join(site, "flat.egg-info"), []byte("Name: flat\n"), 0o644)
	got, err := InstalledNames(site)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"zope-interface": true, "my-pkg": true, "old": true, "flat": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("InstalledNames = %v, want %v", got, want)
	}
}
