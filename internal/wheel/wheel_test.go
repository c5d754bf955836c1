package wheel

import (
	"archive/zip"
	"bytes"
	"errors"
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

// TestInspectRefusesUnsafe: a wheel that could make an installer write or
// later delete outside its folders, or unpack without bound, is refused
// with the entry named.
func TestInspectRefusesUnsafe(t *testing.T) {
	meta := "Metadata-Version: 2.1\nName: x\nVersion: 1.0\n"
	type member struct {
		name, body string
		symlink    bool
	}
	build := func(ms ...member) *zip.Reader {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for _, m := range append([]member{{name: "x-1.0.dist-info/METADATA", body: meta}}, ms...) {
			h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
			if m.symlink {
				h.SetMode(os.ModeSymlink | 0o777)
			}
			w, _ := zw.CreateHeader(h)
			w.Write([]byte(m.body))
		}
		zw.Close()
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		return zr
	}
	bomb := strings.Repeat("\x00", 70<<20)
	tests := []struct {
		name    string
		zr      *zip.Reader
		windows bool
		entry   string
		why     string
	}{
		{"zip slip", build(member{name: "../evil.py"}), false, "../evil.py", "it leaves its folder"},
		{"deep zip slip", build(member{name: "x/../../up.py"}), false, "x/../../up.py", "it leaves its folder"},
		{"absolute", build(member{name: "/etc/cron.d/x"}), false, "/etc/cron.d/x", "an absolute path"},
		{"drive", build(member{name: "C:/x.py"}), false, "C:/x.py", "an absolute path"},
		{"backslash", build(member{name: `x\..\..\y.py`}), false, `x\..\..\y.py`, "a backslash"},
		{"data escape", build(member{name: "x-1.0.data/purelib/../../y.py"}), false, "x-1.0.data/purelib/../../y.py", "it leaves its folder"},
		{"unknown scheme", build(member{name: "x-1.0.data/etc/passwd"}), false, "x-1.0.data/etc/passwd", `"etc" is not a wheel scheme`},
		{"symlink", build(member{name: "x/link", body: "/etc/shadow", symlink: true}), false, "x/link", "a symbolic link"},
		{"device on Windows", build(member{name: "x/con.py"}), true, "x/con.py", "a Windows device name"},
		{"device LPT1 on Windows", build(member{name: "LPT1"}), true, "LPT1", "a Windows device name"},
		{"RECORD escape", build(member{name: "x-1.0.dist-info/RECORD", body: "../../outside/file,sha256=x,1\n"}), false, "../../outside/file", "it leaves its folder"},
		{"entry point escape", build(member{name: "x-1.0.dist-info/entry_points.txt", body: "[console_scripts]\n../../outside/x = x:main\n"}), false, "../../outside/x", "a plain file name"},
		{"gui entry point with a slash", build(member{name: "x-1.0.dist-info/entry_points.txt", body: "[gui_scripts]\nbin/x = x:main\n"}), false, "bin/x", "a plain file name"},
		{"bomb", build(member{name: "x/zeros.bin", body: bomb}), false, "x/zeros.bin", "a zip bomb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := read(tt.zr, tt.windows)
			var ue *UnsafeError
			if !errors.As(err, &ue) || ue.Entry != tt.entry || !strings.Contains(ue.Why, tt.why) {
				t.Fatalf("err = %v, want an UnsafeError for %q: %s", err, tt.entry, tt.why)
			}
		})
	}
	// What is safe stays accepted: a device name off Windows, ordinary
	// entry points, plugins of other groups.
	ok := build(member{name: "x/aux.py"}, member{name: "x-1.0.dist-info/entry_points.txt", body: "[console_scripts]\nx-tool = x:main\n[influxdb3.plugins]\n../weird = x:y\n"})
	c, err := read(ok, false)
	if err != nil || len(c.Scripts) != 1 || c.Scripts[0] != "x-tool" {
		t.Errorf("safe wheel: %+v %v", c, err)
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
		c, err := read(zr, true)
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
