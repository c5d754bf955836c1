package pep508

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testvec"
)

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

func TestNameVectors(t *testing.T) {
	var f struct {
		Canonicalize []struct {
			Name, Canonical string
		} `json:"canonicalize"`
		CanonicalizeInvalid []struct {
			Name      string
			Canonical string `json:"canonical_without_validation"`
			Valid     bool
		} `json:"canonicalize_invalid"`
		IsNormalized []struct {
			Name         string
			IsNormalized bool `json:"is_normalized"`
		} `json:"is_normalized"`
		SpecEquivalent struct {
			Canonical string
			Names     []string
		} `json:"spec_equivalent"`
	}
	testvec.Load(t, "names.json", &f)

	c := newCounter(t, "names.canonicalize")
	for _, r := range f.Canonicalize {
		c.check(NormalizeName(r.Name) == r.Canonical && ValidName(r.Name), "NormalizeName(%q) = %q, want %q (valid %v)", r.Name, NormalizeName(r.Name), r.Canonical, ValidName(r.Name))
	}
	c.report()

	inv := newCounter(t, "names.canonicalize_invalid")
	for _, r := range f.CanonicalizeInvalid {
		inv.check(NormalizeName(r.Name) == r.Canonical && ValidName(r.Name) == r.Valid, "%q: NormalizeName %q (want %q), ValidName %v", r.Name, NormalizeName(r.Name), r.Canonical, ValidName(r.Name))
	}
	inv.report()

	isn := newCounter(t, "names.is_normalized")
	for _, r := range f.IsNormalized {
		isn.check(IsNormalized(r.Name) == r.IsNormalized, "IsNormalized(%q) = %v", r.Name, IsNormalized(r.Name))
	}
	isn.report()

	eq := newCounter(t, "names.spec_equivalent")
	for _, n := range f.SpecEquivalent.Names {
		eq.check(NormalizeName(n) == f.SpecEquivalent.Canonical && ValidName(n), "NormalizeName(%q) = %q", n, NormalizeName(n))
	}
	eq.report()
}

type requirementRecord struct {
	Input     string
	Valid     bool
	Name      string
	Extras    []string
	URL       *string
	Specifier string
	Marker    *string
	Str       string
	Error     string
	Test      string
}

// checkRequirement compares a parse result with a valid=true/false record.
func checkRequirement(c *counter, r requirementRecord) {
	c.t.Helper()
	req, err := ParseRequirement(r.Input)
	if !r.Valid {
		var se *SyntaxError
		c.check(err != nil && errors.As(err, &se), "ParseRequirement(%q) = %v, %v; want *SyntaxError (%s)", r.Input, req, err, r.Error)
		return
	}
	if err != nil {
		c.check(false, "ParseRequirement(%q): %v", r.Input, err)
		return
	}
	url := ""
	if r.URL != nil {
		url = *r.URL
	}
	marker := ""
	if r.Marker != nil {
		marker = *r.Marker
	}
	gotMarker := ""
	if req.Marker != nil {
		gotMarker = req.Marker.String()
	}
	ok := req.Name == r.Name && slices.Equal(req.Extras, r.Extras) && req.URL == url &&
		req.Specifier.String() == r.Specifier && gotMarker == marker && (req.Marker != nil) == (r.Marker != nil) &&
		req.String() == r.Str
	c.check(ok, "ParseRequirement(%q) = name %q extras %q url %q spec %q marker %q str %q; want %q %q %q %q %q %q",
		r.Input, req.Name, req.Extras, req.URL, req.Specifier, gotMarker, req.String(),
		r.Name, r.Extras, url, r.Specifier, marker, r.Str)
}

func TestRequirementVectors(t *testing.T) {
	var f struct {
		Requirements []requirementRecord `json:"requirements"`
		Pairs        []struct {
			Left, Right string
			Equal       bool
			SameStr     bool `json:"same_str"`
		} `json:"pairs"`
		NormalizedStr []struct {
			Input, Str string
		} `json:"normalized_str"`
		Grammar struct {
			Requirements []requirementRecord `json:"requirements"`
		} `json:"pep508_grammar_tests"`
	}
	testvec.Load(t, "requirements.json", &f)

	valid, invalid := newCounter(t, "requirements.valid"), newCounter(t, "requirements.invalid")
	for _, r := range f.Requirements {
		if r.Valid {
			checkRequirement(valid, r)
		} else {
			checkRequirement(invalid, r)
		}
	}
	valid.report()
	invalid.report()

	grammar := newCounter(t, "requirements.pep508_grammar_tests")
	for _, r := range f.Grammar.Requirements {
		checkRequirement(grammar, r)
	}
	grammar.report()

	pairs := newCounter(t, "requirements.pairs")
	for _, p := range f.Pairs {
		a, errA := ParseRequirement(p.Left)
		b, errB := ParseRequirement(p.Right)
		if errA != nil || errB != nil {
			pairs.check(false, "parse %q / %q: %v / %v", p.Left, p.Right, errA, errB)
			continue
		}
		pairs.check(a.Equal(b) == p.Equal && b.Equal(a) == p.Equal && (a.String() == b.String()) == p.SameStr,
			"%q vs %q: Equal %v, same str %v; want %v, %v", p.Left, p.Right, a.Equal(b), a.String() == b.String(), p.Equal, p.SameStr)
	}
	pairs.report()

	ns := newCounter(t, "requirements.normalized_str")
	for _, r := range f.NormalizedStr {
		req, err := ParseRequirement(r.Input)
		ns.check(err == nil && req.String() == r.Str, "%q: %v, %v; want %q", r.Input, req, err, r.Str)
	}
	ns.report()
}

// TestRequirementUVVectors reports agreement with uv's verdicts; uv is
// stricter than packaging in places, so disagreements are informative. What
// must hold is agreement with packaging's verdict recorded beside uv's.
func TestRequirementUVVectors(t *testing.T) {
	var f struct {
		Requirements []struct {
			Input          string
			UVValid        bool `json:"uv_valid"`
			PackagingValid bool `json:"packaging_valid"`
		} `json:"requirements"`
	}
	testvec.Load(t, "requirements_uv.json", &f)
	pkg := newCounter(t, "requirements_uv vs packaging")
	agreeUV := 0
	for _, r := range f.Requirements {
		_, err := ParseRequirement(r.Input)
		got := err == nil
		pkg.check(got == r.PackagingValid, "ParseRequirement(%q) valid=%v, packaging says %v (%v)", r.Input, got, r.PackagingValid, err)
		if got == r.UVValid {
			agreeUV++
		} else {
			t.Logf("differs from uv (packaging agrees with us): %q valid=%v", r.Input, got)
		}
	}
	pkg.report()
	t.Logf("requirements_uv: agree with uv on %d/%d", agreeUV, len(f.Requirements))
}

type markersFile struct {
	HarvestEnv map[string]string `json:"harvest_default_environment"`
	Parse      []struct {
		Marker string
		Valid  bool
		Str    string
		Error  string
		Test   string
	} `json:"parse"`
	Evaluate []struct {
		Marker    string
		Env       map[string]any
		Context   string
		MarkerStr string `json:"marker_str"`
		Expected  *bool
		Error     string
		Test      string
	} `json:"evaluate"`
}

func TestMarkerVectors(t *testing.T) {
	var f markersFile
	testvec.Load(t, "markers.json", &f)

	parse := newCounter(t, "markers.parse")
	for _, r := range f.Parse {
		m, err := ParseMarker(r.Marker)
		if !r.Valid {
			var se *SyntaxError
			parse.check(errors.As(err, &se), "ParseMarker(%q) = %v, %v; want *SyntaxError (%s)", r.Marker, m, err, r.Error)
			continue
		}
		parse.check(err == nil && m.String() == r.Str, "ParseMarker(%q) = %v, %v; want %q", r.Marker, m, err, r.Str)
	}
	parse.report()

	eval := newCounter(t, "markers.evaluate")
	for _, r := range f.Evaluate {
		m, err := ParseMarker(r.Marker)
		if err != nil {
			eval.check(false, "ParseMarker(%q): %v", r.Marker, err)
			continue
		}
		if r.MarkerStr != "" && m.String() != r.MarkerStr {
			eval.check(false, "ParseMarker(%q) = %q, want %q", r.Marker, m, r.MarkerStr)
			continue
		}
		env := vectorEnvironment(f.HarvestEnv, r.Env, r.Context)
		got, err := m.Evaluate(env)
		switch r.Error {
		case "":
			eval.check(err == nil && r.Expected != nil && got == *r.Expected, "[%s] %q with %v (%s) = %v, %v; want %v", r.Test, r.Marker, r.Env, r.Context, got, err, *r.Expected)
		case "UndefinedComparison":
			var e *UndefinedComparisonError
			eval.check(errors.As(err, &e), "[%s] %q with %v = %v, %v; want UndefinedComparison", r.Test, r.Marker, r.Env, got, err)
		case "UndefinedEnvironmentName", "KeyError":
			var e *UndefinedNameError
			eval.check(errors.As(err, &e), "[%s] %q with %v = %v, %v; want UndefinedEnvironmentName", r.Test, r.Marker, r.Env, got, err)
		default:
			eval.check(false, "unknown error kind %q", r.Error)
		}
	}
	eval.report()
}

// vectorEnvironment builds what packaging evaluated: the harvesting
// interpreter's default environment overlaid with the record's env.
func vectorEnvironment(defaults map[string]string, env map[string]any, context string) Environment {
	e := Environment{Vars: map[string]string{}}
	for k, v := range defaults {
		e.Vars[k] = v
	}
	switch context {
	case "lock_file":
		e.Context = ContextLockFile
	case "requirement":
		e.Context = ContextRequirement
	}
	for k, v := range env {
		switch v := v.(type) {
		case nil:
			e.Vars[k] = "" // packaging treats extra=None as ""
		case string:
			e.Vars[k] = v
		case []any:
			set := []string{}
			for _, x := range v {
				set = append(set, x.(string))
			}
			switch k {
			case "extras":
				e.Extras = set
			case "dependency_groups":
				e.DependencyGroups = set
			}
		}
	}
	return e
}

func TestSyntaxErrorRendering(t *testing.T) {
	var f struct {
		Requirements []struct {
			Input     string
			Valid     bool
			Error     string
			ErrorFull string `json:"error_full"`
		} `json:"requirements"`
	}
	testvec.Load(t, "requirements.json", &f)
	c := newCounter(t, "requirements.invalid caret position")
	for _, r := range f.Requirements {
		if r.Valid || !strings.Contains(r.ErrorFull, "\n") || strings.ContainsAny(r.Input, "\r\n") {
			continue
		}
		// packaging's last line is 4 spaces, the span start, tildes and "^".
		lines := strings.Split(r.ErrorFull, "\n")
		want := lines[len(lines)-1]
		_, err := ParseRequirement(r.Input)
		var se *SyntaxError
		if !errors.As(err, &se) {
			c.check(false, "ParseRequirement(%q): %v", r.Input, err)
			continue
		}
		got := strings.Split(se.Error(), "\n")
		c.check(got[len(got)-1] == want && strings.EqualFold(se.Msg, r.Error),
			"%q: caret line %q msg %q; want %q %q", r.Input, got[len(got)-1], se.Msg, want, r.Error)
	}
	c.report()
}
