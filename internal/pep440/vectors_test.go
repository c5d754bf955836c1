package pep440

import (
	"fmt"
	"slices"
	"testing"

	"github.com/influx-py/influx-py/internal/testvec"
)

// counter tallies vector results per section and reports them.
type counter struct {
	t      *testing.T
	name   string
	passed int
	total  int
}

func newCounter(t *testing.T, name string) *counter { return &counter{t: t, name: name} }

func (c *counter) check(ok bool, format string, args ...any) {
	c.t.Helper()
	c.total++
	if ok {
		c.passed++
		return
	}
	c.t.Errorf("%s: %s", c.name, fmt.Sprintf(format, args...))
}

func (c *counter) report() {
	c.t.Logf("%s: %d/%d pass", c.name, c.passed, c.total)
	if c.total == 0 {
		c.t.Errorf("%s: no vectors checked", c.name)
	}
}

type versionsFile struct {
	Valid      []string `json:"valid"`
	Invalid    []string `json:"invalid"`
	Normalized []struct {
		Input      string `json:"input"`
		Normalized string `json:"normalized"`
	} `json:"normalized"`
	Parts        []map[string]any `json:"parts"`
	Canonicalize []struct {
		Input     string  `json:"input"`
		Canonical *string `json:"canonical"`
		NoStrip   *string `json:"canonical_no_strip_trailing_zero"`
	} `json:"canonicalize"`
}

func TestVersionVectors(t *testing.T) {
	var f versionsFile
	testvec.Load(t, "versions.json", &f)

	valid := newCounter(t, "versions.valid")
	for _, s := range f.Valid {
		_, err := Parse(s)
		valid.check(err == nil, "Parse(%q): %v", s, err)
	}
	valid.report()

	invalid := newCounter(t, "versions.invalid")
	for _, s := range f.Invalid {
		v, err := Parse(s)
		invalid.check(err != nil, "Parse(%q) = %v, want error", s, v)
	}
	invalid.report()

	norm := newCounter(t, "versions.normalized")
	for _, r := range f.Normalized {
		v, err := Parse(r.Input)
		norm.check(err == nil && v.String() == r.Normalized, "Parse(%q) = %q, %v; want %q", r.Input, v, err, r.Normalized)
	}
	norm.report()

	parts := newCounter(t, "versions.parts")
	for _, r := range f.Parts {
		in := r["input"].(string)
		v, err := Parse(in)
		if err != nil {
			parts.check(false, "Parse(%q): %v", in, err)
			continue
		}
		parts.check(sameParts(v, r), "parts of %q: got %s", in, describe(v))
	}
	parts.report()

	canon := newCounter(t, "versions.canonicalize")
	for _, r := range f.Canonicalize {
		if r.Canonical != nil {
			got := Canonicalize(r.Input)
			canon.check(got == *r.Canonical, "Canonicalize(%q) = %q, want %q", r.Input, got, *r.Canonical)
		}
		if r.NoStrip != nil {
			got := CanonicalizeKeepZeros(r.Input)
			canon.check(got == *r.NoStrip, "CanonicalizeKeepZeros(%q) = %q, want %q", r.Input, got, *r.NoStrip)
		}
	}
	canon.report()
}

func describe(v Version) string {
	l, n, _ := v.Pre()
	post, hasPost := v.Post()
	dev, hasDev := v.Dev()
	return fmt.Sprintf("epoch=%d release=%v pre=%s%d post=%d/%v dev=%d/%v local=%q public=%q base=%q",
		v.Epoch(), v.Release(), l, n, post, hasPost, dev, hasDev, v.Local(), v.Public(), v.BaseVersion())
}

// sameParts compares v with the fields present in a parts record.
func sameParts(v Version, r map[string]any) bool {
	num := func(x any) uint64 { return uint64(x.(float64)) }
	for k, want := range r {
		switch k {
		case "input":
		case "public":
			if v.Public() != want {
				return false
			}
		case "base_version":
			if v.BaseVersion() != want {
				return false
			}
		case "epoch":
			if v.Epoch() != num(want) {
				return false
			}
		case "release":
			var rel []uint64
			for _, x := range want.([]any) {
				rel = append(rel, num(x))
			}
			if !slices.Equal(v.Release(), rel) {
				return false
			}
		case "local":
			w, _ := want.(string)
			if v.Local() != w {
				return false
			}
		case "pre":
			l, n, ok := v.Pre()
			if want == nil {
				if ok {
					return false
				}
				continue
			}
			p := want.([]any)
			if !ok || l != p[0].(string) || n != num(p[1]) {
				return false
			}
		case "post", "dev":
			n, ok := v.Post()
			if k == "dev" {
				n, ok = v.Dev()
			}
			if want == nil {
				if ok {
					return false
				}
			} else if !ok || n != num(want) {
				return false
			}
		case "is_prerelease":
			if v.IsPrerelease() != want.(bool) {
				return false
			}
		case "is_postrelease":
			if v.IsPostrelease() != want.(bool) {
				return false
			}
		case "is_devrelease":
			if v.IsDevrelease() != want.(bool) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func TestVersionOrderingVectors(t *testing.T) {
	var f struct {
		Versions []string `json:"versions"`
	}
	testvec.Load(t, "versions_ordering.json", &f)
	vs := make([]Version, len(f.Versions))
	for i, s := range f.Versions {
		vs[i] = MustParse(s)
	}
	c := newCounter(t, "versions_ordering pairs")
	for i := range vs {
		for j := range vs {
			got := vs[i].Compare(vs[j])
			c.check(got == cmpInt(i, j), "Compare(%s, %s) = %d, want %d", vs[i], vs[j], got, cmpInt(i, j))
		}
	}
	c.report()
}

// pre converts a vector's prereleases value (null/true/false).
func pre(b *bool) Pre {
	switch {
	case b == nil:
		return PreDefault
	case *b:
		return PreAllow
	}
	return PreForbid
}

type specifiersFile struct {
	Valid   []string `json:"valid"`
	Invalid []string `json:"invalid"`
	Str     []struct {
		Input, Str, Kind string
	} `json:"str"`
	OperatorVersion []struct {
		Spec, Operator, Version string
	} `json:"operator_version"`
	SetLength []struct {
		Spec   string
		Length int
	} `json:"set_length"`
	SetItems []struct {
		Spec  string
		Items []string
	} `json:"set_items"`
	Equality []struct {
		Kind, Left, Right, Op string
		Expected              bool
	} `json:"equality"`
	PrereleaseDetection []struct {
		Spec        string
		Prereleases bool
	} `json:"prerelease_detection"`
	Contains []struct {
		Kind                string
		Spec                string
		Version             string
		Prereleases         *bool
		ContainsPrereleases *bool `json:"contains_prereleases"`
		Installed           *bool
		Expected            bool
		Test                string
	} `json:"contains"`
	Filter []struct {
		Kind              string
		Spec              string
		Prereleases       *bool
		FilterPrereleases *bool `json:"filter_prereleases"`
		Input             []string
		Expected          []string
		Test              string
	} `json:"filter"`
	Combine []struct {
		Left, Right, Expected string
	} `json:"combine"`
}

func TestSpecifierVectors(t *testing.T) {
	var f specifiersFile
	testvec.Load(t, "specifiers.json", &f)

	valid := newCounter(t, "specifiers.valid")
	for _, s := range f.Valid {
		_, err := ParseSpecifier(s)
		_, err2 := ParseSpecifiers(s)
		valid.check(err == nil && err2 == nil, "ParseSpecifier(%q): %v / %v", s, err, err2)
	}
	valid.report()

	invalid := newCounter(t, "specifiers.invalid")
	for _, s := range f.Invalid {
		_, err := ParseSpecifier(s)
		_, err2 := ParseSpecifiers(s)
		invalid.check(err != nil && err2 != nil, "ParseSpecifier(%q) succeeded, want error", s)
	}
	invalid.report()

	str := newCounter(t, "specifiers.str")
	for _, r := range f.Str {
		var got string
		var err error
		if r.Kind == "Specifier" {
			var sp Specifier
			sp, err = ParseSpecifier(r.Input)
			got = sp.String()
		} else {
			var ss Specifiers
			ss, err = ParseSpecifiers(r.Input)
			got = ss.String()
		}
		str.check(err == nil && got == r.Str, "%s(%q).String() = %q, %v; want %q", r.Kind, r.Input, got, err, r.Str)
	}
	str.report()

	opv := newCounter(t, "specifiers.operator_version")
	for _, r := range f.OperatorVersion {
		sp, err := ParseSpecifier(r.Spec)
		opv.check(err == nil && sp.Operator() == r.Operator && sp.Version() == r.Version,
			"%q: operator %q version %q, %v", r.Spec, sp.Operator(), sp.Version(), err)
	}
	opv.report()

	sets := newCounter(t, "specifiers.set_length+set_items")
	for _, r := range f.SetLength {
		ss, err := ParseSpecifiers(r.Spec)
		sets.check(err == nil && ss.Len() == r.Length, "%q: Len %d, want %d (%v)", r.Spec, ss.Len(), r.Length, err)
	}
	for _, r := range f.SetItems {
		ss, err := ParseSpecifiers(r.Spec)
		var items []string
		for _, c := range ss.Clauses() {
			items = append(items, c.String())
		}
		slices.Sort(items)
		want := slices.Clone(r.Items)
		slices.Sort(want)
		sets.check(err == nil && slices.Equal(items, want), "%q: clauses %q, want %q", r.Spec, items, want)
	}
	sets.report()

	eq := newCounter(t, "specifiers.equality")
	for _, r := range f.Equality {
		var equal bool
		if r.Kind == "Specifier" {
			a, errA := ParseSpecifier(r.Left)
			b, errB := ParseSpecifier(r.Right)
			equal = errA == nil && errB == nil && a.Equal(b)
		} else {
			a, errA := ParseSpecifiers(r.Left)
			b, errB := ParseSpecifiers(r.Right)
			equal = errA == nil && errB == nil && a.Equal(b)
		}
		got := equal
		if r.Op == "!=" {
			got = !equal
		}
		eq.check(got == r.Expected, "%s %q %s %q = %v, want %v", r.Kind, r.Left, r.Op, r.Right, got, r.Expected)
	}
	eq.report()

	det := newCounter(t, "specifiers.prerelease_detection")
	for _, r := range f.PrereleaseDetection {
		sp, err := ParseSpecifier(r.Spec)
		det.check(err == nil && sp.ImpliesPrereleases() == r.Prereleases, "%q: ImpliesPrereleases = %v, want %v", r.Spec, sp.ImpliesPrereleases(), r.Prereleases)
	}
	det.report()

	contains := newCounter(t, "specifiers.contains")
	for _, r := range f.Contains {
		var got bool
		if r.Kind == "Specifier" {
			sp, err := ParseSpecifier(r.Spec)
			if err != nil {
				contains.check(false, "ParseSpecifier(%q): %v", r.Spec, err)
				continue
			}
			got = sp.WithPrereleases(pre(r.Prereleases)).ContainsString(r.Version, pre(r.ContainsPrereleases))
		} else {
			ss, err := ParseSpecifiers(r.Spec)
			if err != nil {
				contains.check(false, "ParseSpecifiers(%q): %v", r.Spec, err)
				continue
			}
			ss = ss.WithPrereleases(pre(r.Prereleases))
			if r.Installed != nil && *r.Installed {
				got = ss.ContainsInstalled(MustParse(r.Version), pre(r.ContainsPrereleases))
			} else {
				got = ss.ContainsString(r.Version, pre(r.ContainsPrereleases))
			}
		}
		contains.check(got == r.Expected, "[%s] %s(%q, prereleases=%s).contains(%q, prereleases=%s, installed=%v) = %v, want %v",
			r.Test, r.Kind, r.Spec, pre(r.Prereleases), r.Version, pre(r.ContainsPrereleases), r.Installed, got, r.Expected)
	}
	contains.report()

	filter := newCounter(t, "specifiers.filter")
	for _, r := range f.Filter {
		var got []string
		if r.Kind == "Specifier" {
			sp, err := ParseSpecifier(r.Spec)
			if err != nil {
				filter.check(false, "ParseSpecifier(%q): %v", r.Spec, err)
				continue
			}
			got = sp.WithPrereleases(pre(r.Prereleases)).Filter(r.Input, pre(r.FilterPrereleases))
		} else {
			ss, err := ParseSpecifiers(r.Spec)
			if err != nil {
				filter.check(false, "ParseSpecifiers(%q): %v", r.Spec, err)
				continue
			}
			got = ss.WithPrereleases(pre(r.Prereleases)).Filter(r.Input, pre(r.FilterPrereleases))
		}
		filter.check(slices.Equal(got, r.Expected) || (len(got) == 0 && len(r.Expected) == 0),
			"[%s] %s(%q, prereleases=%s).filter(%q, prereleases=%s) = %q, want %q",
			r.Test, r.Kind, r.Spec, pre(r.Prereleases), r.Input, pre(r.FilterPrereleases), got, r.Expected)
	}
	filter.report()

	combine := newCounter(t, "specifiers.combine")
	for _, r := range f.Combine {
		a, b, want := MustParseSpecifiers(r.Left), MustParseSpecifiers(r.Right), MustParseSpecifiers(r.Expected)
		got, err := a.And(b)
		combine.check(err == nil && got.Equal(want), "%q & %q = %q, %v; want %q", r.Left, r.Right, got, err, r.Expected)
	}
	combine.report()
}
