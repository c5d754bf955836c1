package wheelbuild

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testvec"
)

// TestNameVectors: the file-name form of a project name is its PEP 503
// name with "-" as "_", and names packaging rejects are rejected here.
func TestNameVectors(t *testing.T) {
	var v struct {
		Canonicalize []struct {
			Name      string `json:"name"`
			Canonical string `json:"canonical"`
		} `json:"canonicalize"`
		Invalid []struct {
			Name string `json:"name"`
		} `json:"canonicalize_invalid"`
		Equivalent struct {
			Canonical string   `json:"canonical"`
			Names     []string `json:"names"`
		} `json:"spec_equivalent"`
	}
	testvec.Load(t, "names.json", &v)
	pass, total := 0, 0
	check := func(name, canonical string) {
		total++
		got, err := Filename(Spec{Name: name, Version: "1.0"})
		want := strings.ReplaceAll(canonical, "-", "_") + "-1.0-py3-none-any.whl"
		if err != nil || got != want {
			t.Errorf("Filename(%q) = %q, %v; want %q", name, got, err, want)
			return
		}
		pass++
	}
	for _, c := range v.Canonicalize {
		check(c.Name, c.Canonical)
	}
	for _, n := range v.Equivalent.Names {
		check(n, v.Equivalent.Canonical)
	}
	for _, c := range v.Invalid {
		total++
		var se *SpecError
		if _, err := Filename(Spec{Name: c.Name, Version: "1.0"}); !errors.As(err, &se) || se.Field != "name" {
			t.Errorf("Filename(%q): err %v, want an invalid-name error", c.Name, err)
			continue
		}
		pass++
	}
	t.Logf("%d/%d name vectors pass", pass, total)
}

// TestVersionVectors: only a version already in normalized form is
// accepted, so that the version in the file name is the one every tool
// computes from METADATA. Every normalized output must be accepted, every
// input that normalizes to something else and every invalid version refused.
func TestVersionVectors(t *testing.T) {
	var v struct {
		Invalid    []string `json:"invalid"`
		Normalized []struct {
			Input      string `json:"input"`
			Normalized string `json:"normalized"`
		} `json:"normalized"`
	}
	testvec.Load(t, "versions.json", &v)
	pass, total := 0, 0
	accepts := func(ver string) bool {
		_, err := Filename(Spec{Name: "a", Version: ver})
		return err == nil
	}
	for _, n := range v.Normalized {
		total++
		if !accepts(n.Normalized) {
			t.Errorf("normalized version %q refused", n.Normalized)
			continue
		}
		if n.Input != n.Normalized {
			total++
			if accepts(n.Input) {
				t.Errorf("unnormalized version %q (normalizes to %q) accepted", n.Input, n.Normalized)
				continue
			}
			pass++
		}
		pass++
	}
	for _, s := range v.Invalid {
		total++
		if accepts(s) {
			t.Errorf("invalid version %q accepted", s)
			continue
		}
		pass++
	}
	t.Logf("%d/%d version vectors pass", pass, total)
}

// TestTagVectors: a compressed tag expands to the same triples as
// packaging.tags.parse_tag, and WHEEL lists exactly those.
func TestTagVectors(t *testing.T) {
	var v struct {
		TagStrings []struct {
			Tag     string         `json:"tag"`
			Options map[string]any `json:"options"`
			Valid   bool           `json:"valid"`
			Tags    []string       `json:"tags"`
		} `json:"tag_strings"`
	}
	testvec.Load(t, "wheel_filenames.json", &v)
	pass, total, skipped := 0, 0, 0
	for _, c := range v.TagStrings {
		// Skipped on purpose: cases with options (limit, validate_order)
		// test packaging's optional checks, which a wheel's own tag does
		// not go through.
		if len(c.Options) > 0 {
			skipped++
			continue
		}
		total++
		got, err := expandTag(c.Tag)
		if !c.Valid {
			if err == nil {
				t.Errorf("expandTag(%q) accepted, packaging refuses it", c.Tag)
				continue
			}
			pass++
			continue
		}
		if err != nil {
			t.Errorf("expandTag(%q): %v", c.Tag, err)
			continue
		}
		got = uniqueSorted(got)
		if !reflect.DeepEqual(got, c.Tags) {
			t.Errorf("expandTag(%q) = %q, want %q", c.Tag, got, c.Tags)
			continue
		}
		pass++
	}
	t.Logf("%d/%d tag vectors pass (%d with packaging-only options skipped)", pass, total, skipped)
}

func uniqueSorted(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
