package tags

import (
	"errors"
	"sort"
	"strconv"
	"testing"

	"github.com/influx-py/influx-py/internal/testvec"
)

type wheelVectors struct {
	Wheels []struct {
		Filename               string   `json:"filename"`
		Valid                  bool     `json:"valid"`
		ValidWithValidateOrder *bool    `json:"valid_with_validate_order"`
		Name                   string   `json:"name"`
		Version                string   `json:"version"`
		Build                  []any    `json:"build"`
		Tags                   []string `json:"tags"`
		Origin                 string   `json:"origin"`
	} `json:"wheels"`
	Sdists []struct {
		Filename string `json:"filename"`
		Valid    bool   `json:"valid"`
		Name     string `json:"name"`
		Version  string `json:"version"`
	} `json:"sdists"`
	TagStrings []struct {
		Tag     string `json:"tag"`
		Test    string `json:"test"`
		Options *struct {
			Limit         *int `json:"limit"`
			ValidateOrder bool `json:"validate_order"`
		} `json:"options"`
		Valid bool     `json:"valid"`
		Tags  []string `json:"tags"`
	} `json:"tag_strings"`
}

func tagStrings(ts []Tag) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	sort.Strings(out)
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestWheelFilenameVectors(t *testing.T) {
	var v wheelVectors
	testvec.Load(t, "wheel_filenames.json", &v)
	pass := 0
	for _, c := range v.Wheels {
		w, err := ParseWheelFilename(c.Filename)
		if !c.Valid {
			if err == nil {
				t.Errorf("%q: parsed as %+v, want error", c.Filename, w)
				continue
			}
			if !errors.Is(err, ErrInvalidFilename) {
				t.Errorf("%q: error %v does not wrap ErrInvalidFilename", c.Filename, err)
				continue
			}
			pass++
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.Filename, err)
			continue
		}
		ok := true
		if c.Name != "" && w.Name != c.Name {
			t.Errorf("%q: name %q, want %q", c.Filename, w.Name, c.Name)
			ok = false
		}
		// The vectors give packaging's normalized version; every valid file
		// name in them already spells its version normalized, and this
		// package returns the spelling of the file name.
		if c.Version != "" && w.Version != c.Version {
			t.Errorf("%q: version %q, want %q", c.Filename, w.Version, c.Version)
			ok = false
		}
		num, suffix := w.BuildNumber()
		if c.Build == nil {
			if w.Build != "" {
				t.Errorf("%q: build %q, want none", c.Filename, w.Build)
				ok = false
			}
		} else if want := strconv.Itoa(int(c.Build[0].(float64))); num != want || suffix != c.Build[1].(string) {
			t.Errorf("%q: build (%s, %q), want (%s, %q)", c.Filename, num, suffix, want, c.Build[1])
			ok = false
		}
		if c.Tags != nil && !equalStrings(tagStrings(w.Tags), c.Tags) {
			t.Errorf("%q: tags %v, want %v", c.Filename, tagStrings(w.Tags), c.Tags)
			ok = false
		}
		if c.ValidWithValidateOrder != nil {
			_, err := ParseWheelFilenameWith(c.Filename, ParseOptions{ValidateOrder: true})
			if (err == nil) != *c.ValidWithValidateOrder {
				t.Errorf("%q: with ValidateOrder err=%v, want valid=%v", c.Filename, err, *c.ValidWithValidateOrder)
				ok = false
			}
		}
		if ok {
			pass++
		}
	}
	t.Logf("%d/%d wheel file name vectors pass", pass, len(v.Wheels))

	pass = 0
	for _, c := range v.Sdists {
		name, version, err := ParseSdistFilename(c.Filename)
		switch {
		case !c.Valid && err == nil:
			t.Errorf("%q: parsed as %q %q, want error", c.Filename, name, version)
		case c.Valid && err != nil:
			t.Errorf("%q: %v", c.Filename, err)
		case c.Valid && (name != c.Name || version != c.Version):
			t.Errorf("%q: got %q %q, want %q %q", c.Filename, name, version, c.Name, c.Version)
		default:
			pass++
		}
	}
	t.Logf("%d/%d sdist file name vectors pass", pass, len(v.Sdists))

	pass = 0
	for _, c := range v.TagStrings {
		var o ParseOptions
		if c.Options != nil {
			o.ValidateOrder = c.Options.ValidateOrder
			if c.Options.Limit != nil {
				// packaging's limit=0 (no tag at all) has no spelling here;
				// the vectors do not use it.
				if *c.Options.Limit == 0 {
					t.Fatalf("%q: limit 0 not expressible as MaxTags", c.Tag)
				}
				o.MaxTags = *c.Options.Limit
			}
		}
		got, err := ParseTagSetWith(c.Tag, o)
		switch {
		case !c.Valid && err == nil:
			t.Errorf("%q (%s): parsed as %v, want error", c.Tag, c.Test, got)
		case c.Valid && err != nil:
			t.Errorf("%q (%s): %v", c.Tag, c.Test, err)
		case c.Valid && !equalStrings(tagStrings(got), c.Tags):
			t.Errorf("%q (%s): %v, want %v", c.Tag, c.Test, tagStrings(got), c.Tags)
		default:
			pass++
		}
	}
	t.Logf("%d/%d tag string vectors pass", pass, len(v.TagStrings))
}

func TestParseWheelFilename(t *testing.T) {
	tests := []struct {
		fn      string
		name    string
		version string
		build   string
		tags    []string
	}{
		{"Foo.Bar_baz-1.0rc1-py3-none-any.whl", "foo-bar-baz", "1.0rc1", "", []string{"py3-none-any"}},
		{"numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "2.1.0", "",
			[]string{"cp311-cp311-manylinux2014_x86_64", "cp311-cp311-manylinux_2_17_x86_64"}},
		{"pkg-1.0-007abc-PY3-NONE-ANY.whl", "pkg", "1.0", "007abc", []string{"py3-none-any"}},
		{"pkg-1!2.0.post1.dev3+local.7-py2.py3.py3-none-any.whl", "pkg", "1!2.0.post1.dev3+local.7", "", []string{"py2-none-any", "py3-none-any"}},
		{"pkg-V1.0-py3-none-any.whl", "pkg", "V1.0", "", []string{"py3-none-any"}},
	}
	for _, tc := range tests {
		w, err := ParseWheelFilename(tc.fn)
		if err != nil {
			t.Errorf("%s: %v", tc.fn, err)
			continue
		}
		if w.Name != tc.name || w.Version != tc.version || w.Build != tc.build || !equalStrings(tagStrings(w.Tags), tc.tags) {
			t.Errorf("%s: got %+v", tc.fn, w)
		}
	}
	for _, fn := range []string{
		"pkg-1.0-py3-none-any.WHL",
		"pkg-1.0-py3-none-any",
		"pkg-1.0.0.0.0.a.b-py3-none-any.whl",
		"pkg-1.0-\u0661-py3-none-any.whl", // a build tag must start with an ASCII digit
		"pkg-1.\u0661-py3-none-any.whl",   // and so must version numbers
		"pkg-1.0+-py3-none-any.whl",
		"pkg-1.0-py3-none-any.py3-none-any.whl",
		"pk g-1.0-py3-none-any.whl",
		"pkg-1.0-3py-none-any.whl",
		"pkg-1.0-py3-none-any-.whl",
		"pkg-1.0-py3--none-any.whl",
	} {
		if w, err := ParseWheelFilename(fn); err == nil {
			t.Errorf("%q: parsed as %+v, want error", fn, w)
		}
	}
}

func TestParseTagSetErrors(t *testing.T) {
	tests := []struct {
		s    string
		o    ParseOptions
		want error
	}{
		{"py3-none", ParseOptions{}, ErrInvalidTag},
		{"py3.-none-any", ParseOptions{}, ErrInvalidTag},
		{"3-none-any", ParseOptions{}, ErrInvalidTag},
		{"py3.py2-none-any", ParseOptions{ValidateOrder: true}, ErrUnsortedTags},
		{"a.b.c-d.e-f.g", ParseOptions{MaxTags: 11}, ErrTooManyTags},
	}
	for _, tc := range tests {
		if _, err := ParseTagSetWith(tc.s, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%q: error %v, want %v", tc.s, err, tc.want)
		}
	}
	got, err := ParseTagSetWith("a.b.c-d.e-f.g", ParseOptions{MaxTags: 12})
	if err != nil || len(got) != 12 {
		t.Errorf("12 tags under a limit of 12: %v %v", got, err)
	}
	if got[0].String() != "a-d-f" || got[1].String() != "a-d-g" || got[11].String() != "c-e-g" {
		t.Errorf("expansion order: %v", got)
	}
}

func TestParseSdistFilename(t *testing.T) {
	tests := []struct{ fn, name, version string }{
		{"Foo_Bar-1.0.tar.gz", "foo-bar", "1.0"},
		{"foo-bar-2.0.post1.zip", "foo-bar", "2.0.post1"},
		{"foo.bar-1.0-1.tar.gz", "foo-bar-1-0", "1"},
	}
	for _, tc := range tests {
		name, version, err := ParseSdistFilename(tc.fn)
		if err != nil || name != tc.name || version != tc.version {
			t.Errorf("%s: %q %q %v, want %q %q", tc.fn, name, version, err, tc.name, tc.version)
		}
	}
	for _, fn := range []string{"foo-1.0.tgz", "foo-1.0.tar.bz2", "foo-.tar.gz", "foo-1.0-.zip", "-1.0.zip"} {
		if n, v, err := ParseSdistFilename(fn); err == nil {
			t.Errorf("%q: parsed as %q %q, want error", fn, n, v)
		}
	}
}

func TestValidVersion(t *testing.T) {
	for _, s := range []string{"1", "1.0", " 1.0\t", "v1.0", "1.0a1", "1.0-a.1", "1.0_RC2", "1.0c1", "1.0preview3",
		"1.0-1", "1.0.post", "1.0rev2", "1.0r", "1.0.dev", "1.0-dev_1", "1!1.0", "1.0+abc.5", "1.0+ABC-def_1",
		"1.0a1.post2.dev3+local", "\u20001.0"} {
		if !ValidVersion(s) {
			t.Errorf("%q: invalid, want valid", s)
		}
	}
	for _, s := range []string{"", ".", "1.", ".1", "1..0", "1.0+", "1.0+a..b", "1.x", "a1", "1.0-", "1.0.-1", "1!",
		"1.0+\u212a", "1.0a\u212a", "\u0661", "1.0 1", "1.0.post.post", "1_0", "1-0-0"} {
		if ValidVersion(s) {
			t.Errorf("%q: valid, want invalid", s)
		}
	}
}

func TestNormalizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Django": "django", "oslo.concurrency": "oslo-concurrency", "a__b--c..d": "a-b-c-d",
		"_not_legal": "-not-legal", "trail.": "trail-", "foo_BÁR": "foo-bár",
	} {
		if got := NormalizeName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestCompareBuild(t *testing.T) {
	order := []string{"", "0", "1", "1a", "1b", "02", "9", "10", "10abc", "99999999999999999999999"}
	for i := range order {
		for j := range order {
			want := 0
			switch {
			case i < j:
				want = -1
			case i > j:
				want = 1
			}
			// "1" and "01" style spellings compare by number.
			if got := CompareBuild(order[i], order[j]); got != want {
				t.Errorf("CompareBuild(%q, %q) = %d, want %d", order[i], order[j], got, want)
			}
		}
	}
	if CompareBuild("007", "7") != 0 {
		t.Error("007 and 7 differ")
	}
}

func FuzzParseWheelFilename(f *testing.F) {
	for _, s := range []string{
		"foo-1.0-py3-none-any.whl", "foo-1.0-1000abc-py3-none-any.whl", "foo-1.0--none-any.whl",
		"pyvirtualcam-0.13.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl",
		"foo_bár-1.0-1000-py3-none-any.whl", "a-b-c-d-e-f-g.whl", "-.whl", "x-1-1\n-a-b-c.whl",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		w, err := ParseWheelFilename(fn)
		if err != nil {
			if !errors.Is(err, ErrInvalidFilename) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidFilename", fn, err)
			}
			return
		}
		if len(w.Tags) == 0 || w.Name == "" || !ValidVersion(w.Version) {
			t.Fatalf("%q: accepted as %+v", fn, w)
		}
		if NormalizeName(w.Name) != w.Name {
			t.Fatalf("%q: name %q not normalized", fn, w.Name)
		}
		for _, tg := range w.Tags {
			// A tag of a parsed name parses back to itself.
			again, err := ParseTagSet(tg.String())
			if err != nil || len(again) != 1 || again[0] != tg {
				t.Fatalf("%q: tag %v does not round-trip: %v %v", fn, tg, again, err)
			}
		}
	})
}

func FuzzParseTagSet(f *testing.F) {
	for _, s := range []string{"py2.py3-none-any", "cp37-cp37m-macosx_10_6_intel.macosx_10_9_x86_64", "--", "a.b-c-d.", "_x-y-z"} {
		f.Add(s, 0, false)
	}
	f.Fuzz(func(t *testing.T, s string, limit int, validate bool) {
		if limit < 0 || limit > 1000 {
			limit = 0
		}
		got, err := ParseTagSetWith(s, ParseOptions{MaxTags: limit, ValidateOrder: validate})
		if err != nil {
			return
		}
		if len(got) == 0 || limit > 0 && len(got) > limit {
			t.Fatalf("%q: %d tags under limit %d", s, len(got), limit)
		}
	})
}

func FuzzParseSdistFilename(f *testing.F) {
	for _, s := range []string{"foo-1.0.tar.gz", "foo-1.0.zip", "-1.0.zip", "foo-.tar.gz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, fn string) {
		name, version, err := ParseSdistFilename(fn)
		if err == nil && (name == "" || !ValidVersion(version)) {
			t.Fatalf("%q: accepted as %q %q", fn, name, version)
		}
	})
}
