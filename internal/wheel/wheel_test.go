package wheel

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func build(t *testing.T, s wheelbuild.Spec) string {
	t.Helper()
	name, data, err := wheelbuild.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	// Recompress: wheelbuild stores members, real wheels deflate them, and
	// only a deflated wheel tells its size from what it unpacks to.
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, r); err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInspect(t *testing.T) {
	p := build(t, wheelbuild.Spec{
		Name:           "Influx_Stats",
		Version:        "0.3.0",
		RequiresDist:   []string{"tinyunits>=1", `colorama; sys_platform == "win32"`},
		RequiresPython: ">=3.8",
		Files: map[string][]byte{
			"influx_stats/__init__.py":                   []byte("X = 1\n"),
			"influx_stats/big.bin":                       bytes.Repeat([]byte{0}, 100000),
			"influx_stats-0.3.0.data/purelib/extra.py":   []byte("pass\n"),
			"influx_stats-0.3.0.data/scripts/stats-tool": []byte("#!python\n"),
			"influx_stats-0.3.0.data/data/share/x.txt":   []byte("data\n"),
		},
	})
	c, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.DistInfo != "influx_stats-0.3.0.dist-info" {
		t.Errorf("DistInfo = %q", c.DistInfo)
	}
	sort.Strings(c.Site)
	want := []string{"extra.py", "influx_stats-0.3.0.dist-info/METADATA", "influx_stats-0.3.0.dist-info/RECORD",
		"influx_stats-0.3.0.dist-info/WHEEL", "influx_stats/__init__.py", "influx_stats/big.bin"}
	if !reflect.DeepEqual(c.Site, want) {
		t.Errorf("Site = %q\nwant %q", c.Site, want)
	}
	if c.Unpacked < 100000 || c.Unpacked > 110000 {
		t.Errorf("Unpacked = %d", c.Unpacked)
	}
	if fi, _ := os.Stat(p); fi.Size() > 10000 {
		t.Fatalf("the test wheel is not compressed (%d bytes): Unpacked proves nothing", fi.Size())
	}
	m := c.Metadata
	if m.Name != "Influx_Stats" || m.Version != "0.3.0" || m.RequiresPython != ">=3.8" ||
		!reflect.DeepEqual(m.RequiresDist, []string{"tinyunits>=1", `colorama; sys_platform == "win32"`}) {
		t.Errorf("Metadata = %+v", m)
	}
	if h := c.Hashes["extra.py"]; !strings.HasPrefix(h, "sha256=") {
		t.Errorf("hash of a purelib data file = %q", h)
	}
	if h := c.Hashes["influx_stats/__init__.py"]; !strings.HasPrefix(h, "sha256=") {
		t.Errorf("hash of a root file = %q", h)
	}
}

func TestInspectRejects(t *testing.T) {
	zipOf := func(files map[string]string) string {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for n, body := range files {
			w, _ := zw.Create(n)
			w.Write([]byte(body))
		}
		zw.Close()
		p := filepath.Join(t.TempDir(), "x-1.0-py3-none-any.whl")
		os.WriteFile(p, buf.Bytes(), 0o644)
		return p
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"not a zip", nil, "not a valid zip file"},
		{"no dist-info", map[string]string{"x/__init__.py": ""}, "no .dist-info directory"},
		{"no METADATA", map[string]string{"x-1.0.dist-info/RECORD": ""}, "no x-1.0.dist-info/METADATA"},
		{"two dist-infos", map[string]string{"x-1.0.dist-info/METADATA": "", "y-1.0.dist-info/METADATA": ""}, "two .dist-info directories"},
	}
	for _, tt := range tests {
		p := filepath.Join(t.TempDir(), "x.whl")
		if tt.files == nil {
			os.WriteFile(p, []byte("not a zip"), 0o644)
		} else {
			p = zipOf(tt.files)
		}
		_, err := Inspect(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

// Paths that leave site-packages are not site paths, whatever the wheel says.
func TestInspectKeepsInside(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range []string{"x-1.0.dist-info/METADATA", "../evil.py", "/abs.py", "x/../../up.py", "x/ok.py", "x-1.0.data/purelib/../../y.py"} {
		w, _ := zw.Create(n)
		w.Write([]byte("Name: x\nVersion: 1.0\n"))
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "x-1.0-py3-none-any.whl")
	os.WriteFile(p, buf.Bytes(), 0o644)
	c, err := Inspect(p)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(c.Site)
	if want := []string{"x-1.0.dist-info/METADATA", "x/ok.py"}; !reflect.DeepEqual(c.Site, want) {
		t.Errorf("Site = %q, want %q", c.Site, want)
	}
}

func FuzzInspect(f *testing.F) {
	_, data, err := wheelbuild.Build(wheelbuild.Spec{Name: "x", Version: "1.0", Files: map[string][]byte{"x/__init__.py": nil}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		c, err := read(zr)
		if err != nil {
			return
		}
		for _, p := range c.Site {
			if strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") {
				t.Fatalf("site path %q leaves site-packages", p)
			}
		}
		if c.Unpacked < 0 {
			t.Fatalf("Unpacked = %d", c.Unpacked)
		}
	})
}
