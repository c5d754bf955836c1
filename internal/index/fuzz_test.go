package index

import (
	"fmt"
	"html"
	"reflect"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
)

// render writes links back as a page that must parse to the same links.
func render(links []link, base string) []byte {
	var b strings.Builder
	if base != "" {
		fmt.Fprintf(&b, "<base href=\"%s\">\n", html.EscapeString(base))
	}
	for _, l := range links {
		fmt.Fprintf(&b, "<a href=\"%s\"", html.EscapeString(l.href))
		if l.requiresPython != "" {
			fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(l.requiresPython))
		}
		if l.yanked {
			fmt.Fprintf(&b, " data-yanked=\"%s\"", html.EscapeString(l.yankedReason))
		}
		b.WriteString(">x</a>\n")
	}
	return []byte(b.String())
}

func FuzzParseHTML(f *testing.F) {
	for _, s := range []string{
		`<a href="p-1.0.tar.gz#sha256=00">p</a>`,
		`<A HREF='x' data-yanked data-requires-python=&gt;=3>`,
		`<a href=x/y.whl>`,
		`<!-- <a href="hidden"> --><a href="shown">`,
		`<base href="/b/"><a href="c">`,
		`<script><a href="no"></script><a href="yes">`,
		`<a href="unterminated`,
		`<a =x href="y">`,
		`<a href="&amp;&lt;&#x3e;&bogus;">`,
		`<title>Links</title><a href= "spaced" / >`,
		"<a\thref\n=\n'tab'>",
		`<<a href="double">`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		links, base := parseHTML(page)
		for _, l := range links {
			if l.size != -1 || l.filename != "" || l.sha256 != "" {
				t.Fatalf("HTML link with JSON-only fields: %+v", l)
			}
			if !l.yanked && l.yankedReason != "" {
				t.Fatalf("reason without yank: %+v", l)
			}
		}
		// What was read survives being written back and read again.
		again, base2 := parseHTML(render(links, base))
		if base2 != base || !reflect.DeepEqual(again, links) {
			t.Fatalf("round trip changed the links:\n%+v %q\n%+v %q", links, base, again, base2)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"meta":{"api-version":"1.0"},"files":[{"filename":"p-1.0.tar.gz","url":"p-1.0.tar.gz","hashes":{"sha256":"aa"},"yanked":"r","size":3}]}`,
		`{"meta":{"api-version":"1.1"},"files":[{"yanked":null,"size":-5}]}`,
		`{"meta":{"api-version":"2"}}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, page []byte) {
		links, err := parseJSON(page)
		if err != nil {
			if links != nil {
				t.Fatal("links with an error")
			}
			return
		}
		for _, l := range links {
			if l.size < -1 {
				t.Fatalf("negative size %d", l.size)
			}
		}
	})
}

// FuzzParseFilename: the names an index page or a find-links folder gives
// its files are parsed to a normalized project name and a canonical
// version, or ignored.
func FuzzParseFilename(f *testing.F) {
	for _, s := range []string{"chain_a-1.0-py3-none-any.whl", "Foo.Bar-2.0.post1.tar.gz", "x-1.0.zip", "x-1.0", "a-b-c-d-e-f.whl", "-1.0.tar.gz", "x-v1.0.tar.gz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		name, version, ok := parseFilename(fn)
		if !ok {
			return
		}
		if name == "" || name != pep508.NormalizeName(name) {
			t.Fatalf("%q: name %q is not normalized", fn, name)
		}
		v, err := pep440.Parse(version)
		if err != nil || v.String() != version {
			t.Fatalf("%q: version %q is not canonical (%v)", fn, version, err)
		}
	})
}
