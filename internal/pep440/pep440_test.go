package pep440

import (
	"errors"
	"slices"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"1.0", "1.0"},
		{" V1.0-ALPHA_2 ", "1.0a2"},
		{"1!2.0.0rc1.post2.dev3+Ubuntu-01.x", "1!2.0.0rc1.post2.dev3+ubuntu.1.x"},
		{"1.0-5", "1.0.post5"},
		{"1.0.r", "1.0.post0"},
		{"1.0c1", "1.0rc1"},
		{"2.0.dev", "2.0.dev0"},
		{"18446744073709551615", "18446744073709551615"},
	}
	for _, tt := range tests {
		v, err := Parse(tt.in)
		if err != nil || v.String() != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", tt.in, v, err, tt.want)
		}
	}
	for _, in := range []string{"", "1.0+", "1..0", "v", "1.0 a1", "18446744073709551616", "1.0poſt1"} {
		if v, err := Parse(in); err == nil || !errors.Is(err, ErrInvalidVersion) {
			t.Errorf("Parse(%q) = %q, %v; want ErrInvalidVersion", in, v, err)
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0.dev1", "1.0a1", -1},
		{"1.0a1.post1", "1.0a2.dev1", -1},
		{"1.0", "1.0+local", -1},
		{"1.0+abc", "1.0+1", -1},
		{"1.0+2", "1.0+10", -1},
		{"1.0+1", "1.0+1.0", -1},
		{"1.0+99999999999999999999998", "1.0+99999999999999999999999", -1},
		{"1!0.1", "2.0", 1},
		{"1.0.post1", "1.0.1.dev0", -1},
	}
	for _, tt := range tests {
		a, b := MustParse(tt.a), MustParse(tt.b)
		if got := a.Compare(b); got != tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("Compare(%s, %s) = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
		if a.Equal(b) != (tt.want == 0) {
			t.Errorf("Equal(%s, %s) = %v", tt.a, tt.b, a.Equal(b))
		}
	}
}

func TestSpecifierContains(t *testing.T) {
	tests := []struct {
		spec, version string
		pre           Pre
		want          bool
	}{
		{"==1.0", "1.0+local", PreDefault, true},
		{"==1.0+local", "1.0", PreDefault, false},
		{"!=1.0", "1.0+local", PreDefault, false},
		{"==1.*", "1.9a1", PreDefault, true},
		{"==1.0.*", "1", PreDefault, true},
		{"==1.1.*", "1.10", PreDefault, false},
		{"!=1.1.*", "1.10", PreDefault, true},
		{">1.0", "1.0.post1", PreDefault, false},
		{">1.0", "1.0+local", PreDefault, false},
		{">1.0.post1", "1.0.post2", PreDefault, true},
		{">1.0.dev1", "1.0.dev1+x", PreDefault, false},
		{"<1.0", "1.0rc1", PreDefault, false},
		{"<1.0rc2", "1.0rc1", PreDefault, true},
		{"<=1.0", "1.0+local", PreDefault, true},
		{"~=1.4.5", "1.4.9", PreDefault, true},
		{"~=1.4.5", "1.5", PreDefault, false},
		{"~=1.4.5", "1!1.4.6", PreDefault, false},
		{">=1.0", "2.0a1", PreDefault, true}, // a lone pre-release has no final alternative
		{">=1.0", "2.0a1", PreForbid, false},
		{"===1.0", "1.0", PreDefault, true},
		{"===1.0", "1.0.0", PreDefault, false},
		{"===FooBar", "foobar", PreDefault, true},
		{">=1.0,<2.0,!=1.5.*", "1.5.3", PreDefault, false},
		{">=1.0,<2.0,!=1.5.*", "1.6", PreDefault, true},
		{"", "anything", PreDefault, true},
		{">=1.0", "anything", PreDefault, false},
	}
	for _, tt := range tests {
		ss := MustParseSpecifiers(tt.spec)
		if got := ss.ContainsString(tt.version, tt.pre); got != tt.want {
			t.Errorf("%q.ContainsString(%q, %s) = %v, want %v", tt.spec, tt.version, tt.pre, got, tt.want)
		}
		if v, err := Parse(tt.version); err == nil && ss.Len() == 1 {
			sp := ss.Clauses()[0]
			if sp.Operator() != "===" && sp.Contains(v, tt.pre) != tt.want {
				t.Errorf("Specifier %q.Contains(%s, %s) != %v", tt.spec, v, tt.pre, tt.want)
			}
		}
	}
}

func TestFilter(t *testing.T) {
	items := []string{"1.0", "1.5a1", "2.0", "2.1.dev1", "junk"}
	tests := []struct {
		spec string
		pre  Pre
		want []string
	}{
		{">=1.0", PreDefault, []string{"1.0", "2.0"}},
		{">=1.0", PreAllow, []string{"1.0", "1.5a1", "2.0", "2.1.dev1"}},
		{">=2.1.dev0", PreDefault, []string{"2.1.dev1"}}, // the specifier names a pre-release
		{">2.0", PreDefault, []string{"2.1.dev1"}},       // only pre-releases match
		{">2.0", PreForbid, []string{}},
		{"", PreDefault, []string{"1.0", "2.0", "junk"}},
	}
	for _, tt := range tests {
		got := MustParseSpecifiers(tt.spec).Filter(items, tt.pre)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q.Filter(%s) = %q, want %q", tt.spec, tt.pre, got, tt.want)
		}
	}
	vs := []Version{MustParse("3.0"), MustParse("3.1rc1")}
	if got := MustParseSpecifiers(">=3").FilterVersions(vs, PreDefault); len(got) != 1 || got[0].String() != "3.0" {
		t.Errorf("FilterVersions = %v", got)
	}
}

func TestAllowsPython(t *testing.T) {
	tests := []struct {
		spec, python string
		want         bool
	}{
		{">=3.8", "3.11.7", true},
		{">=3.8,<3.11", "3.11.0", false},
		{">=3.13", "3.14.0rc1", true},
		{">=3.13", "3.13.0rc1", false},
		{"~=3.10", "3.13.0", true},
		{"!=3.12.*", "3.12.1", false},
	}
	for _, tt := range tests {
		if got := MustParseSpecifiers(tt.spec).AllowsPython(MustParse(tt.python)); got != tt.want {
			t.Errorf("%q.AllowsPython(%s) = %v, want %v", tt.spec, tt.python, got, tt.want)
		}
	}
}

func TestSpecifiersString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{" >= 1.0 , < 2 ", "<2,>=1.0"},
		{"==1.0,==1.0.0", "==1.0"},
		{">=1.0,", ">=1.0"},
		{"== v1.0", "==v1.0"},
	}
	for _, tt := range tests {
		ss, err := ParseSpecifiers(tt.in)
		if err != nil || ss.String() != tt.want {
			t.Errorf("ParseSpecifiers(%q) = %q, %v; want %q", tt.in, ss, err, tt.want)
		}
	}
	for _, in := range []string{"1.0", ">=1.0.*", "~=1", "==1.0,,foo", ">=1.0+local"} {
		if _, err := ParseSpecifiers(in); !errors.Is(err, ErrInvalidSpecifier) {
			t.Errorf("ParseSpecifiers(%q) error = %v, want ErrInvalidSpecifier", in, err)
		}
	}
}

func TestAnd(t *testing.T) {
	a := MustParseSpecifiers(">=1").WithPrereleases(PreAllow)
	b := MustParseSpecifiers("<2").WithPrereleases(PreForbid)
	if _, err := a.And(b); err == nil {
		t.Error("And with conflicting policies succeeded")
	}
	got, err := a.And(MustParseSpecifiers("<2,>=1"))
	if err != nil || got.String() != "<2,>=1" || got.Prereleases() != PreAllow {
		t.Errorf("And = %q (%s), %v", got, got.Prereleases(), err)
	}
}

func TestSpecifierPrefixLen(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"==1.0.org1", 5},
		{">= 1.0, <2", 6},
		{"===x,y z", 6},
		{"==1.0.*;", 7},
		{"name", -1},
		{">=1.0a", 6},
	}
	for _, tt := range tests {
		if got := SpecifierPrefixLen(tt.in); got != tt.want {
			t.Errorf("SpecifierPrefixLen(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}
