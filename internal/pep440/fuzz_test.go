package pep440

import "testing"

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"1.0", "v1!2.3.4rc5.post6.dev7+abc.8", " 1.0-alpha_1 ", "1.0-1", "1.0+", "0", "1.0+01.A-b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			return
		}
		out := v.String()
		w, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not re-parse: %v", s, out, err)
		}
		if !v.Equal(w) || w.String() != out {
			t.Fatalf("Parse(%q) = %q, re-parsed as %q", s, out, w)
		}
		if v.Compare(w) != 0 || Canonicalize(out) != Canonicalize(s) {
			t.Fatalf("inconsistent compare/canonicalize for %q", s)
		}
	})
}

func FuzzParseSpecifiers(f *testing.F) {
	for _, s := range []string{">=1.0,<2", "==1.*", "~=1.4.5", "===foo", "!=1.0+local", " <= 1.0 ,", "", "==1.0,==1.0.0"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, s, version string) {
		ss, err := ParseSpecifiers(s)
		if err != nil {
			return
		}
		out := ss.String()
		again, err := ParseSpecifiers(out)
		if err != nil {
			t.Fatalf("ParseSpecifiers(%q) ok, but its String %q does not re-parse: %v", s, out, err)
		}
		if !ss.Equal(again) || again.String() != out {
			t.Fatalf("ParseSpecifiers(%q) = %q, re-parsed as %q", s, out, again)
		}
		for _, p := range []Pre{PreDefault, PreAllow, PreForbid} {
			if ss.ContainsString(version, p) != again.ContainsString(version, p) {
				t.Fatalf("%q and its re-parse disagree on %q", s, version)
			}
			ss.Filter([]string{version, "1.0", "2.0a1"}, p)
		}
	})
}
