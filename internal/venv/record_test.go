package venv

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseRecord(t *testing.T) {
	in := "pip/__init__.py,sha256=abc,357\n" +
		"\"quoted,name.py\",sha256=def,12\n" +
		"pip-24.0.dist-info/RECORD,,\n" +
		"\n" +
		"../../../bin/pip,sha256=ghi,not-a-number\n" +
		"short.py\n"
	got, err := ParseRecord(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []RecordEntry{
		{"pip/__init__.py", "sha256=abc", 357},
		{"quoted,name.py", "sha256=def", 12},
		{"pip-24.0.dist-info/RECORD", "", -1},
		{"../../../bin/pip", "sha256=ghi", -1},
		{"short.py", "", -1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseRecord =\n%+v\nwant\n%+v", got, want)
	}
}

func TestSitePath(t *testing.T) {
	for in, want := range map[string]string{
		"pip/__init__.py":           "pip/__init__.py",
		"./pip//x.py":               "pip/x.py",
		`pip\win.py`:                "pip/win.py",
		"a/../b.py":                 "b.py",
		"../../../bin/pip":          "",
		"/etc/passwd":               "",
		`C:\x.py`:                   "",
		"..":                        "",
		".":                         "",
		"":                          "",
		"a/../../escape.py":         "",
		"pip-24.0.dist-info/RECORD": "pip-24.0.dist-info/RECORD",
	} {
		got, ok := SitePath(in)
		if got != want || ok != (want != "") {
			t.Errorf("SitePath(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

// FuzzParseRecord: any input parses or fails without panicking, and every
// site path it yields stays inside site-packages.
func FuzzParseRecord(f *testing.F) {
	for _, s := range []string{"a.py,sha256=x,1\n", "\"a\n\"b\",,\n", "\"unterminated", ",,,,\n", "../x,,\n/abs,,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		entries, err := ParseRecord(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, e := range entries {
			if e.Path == "" || e.Size < -1 {
				t.Fatalf("entry %+v", e)
			}
			if p, ok := SitePath(e.Path); ok && (strings.HasPrefix(p, "/") || p == ".." || strings.HasPrefix(p, "../")) {
				t.Fatalf("SitePath(%q) = %q leaves site-packages", e.Path, p)
			}
		}
	})
}

// FuzzParseMetadata: the fields read are those of the header block only.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"Metadata-Version: 2.1\nName: x\nVersion: 1.0\nRequires-Dist: y>=1\nRequires-Dist: z; extra == \"a\"\n\nbody\nRequires-Dist: not-this\n",
		"Name: x\r\nVersion: 1\r\n", "Name:\n folded\n", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMetadata(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range m.RequiresDist {
			if strings.ContainsAny(r, "\r\n") {
				t.Fatalf("Requires-Dist %q spans lines", r)
			}
		}
	})
}
