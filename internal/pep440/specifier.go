package pep440

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// ErrInvalidSpecifier is wrapped by every error the specifier parsers return.
var ErrInvalidSpecifier = errors.New("invalid specifier")

// Pre is a tri-state pre-release policy, packaging's prereleases=None/True/False.
type Pre int

const (
	// PreDefault follows PEP 440: pre-releases are admitted when the
	// specifier itself names one, or when nothing but pre-releases match.
	PreDefault Pre = iota
	// PreAllow always admits pre-releases.
	PreAllow
	// PreForbid never admits pre-releases.
	PreForbid
)

func (p Pre) String() string {
	switch p {
	case PreAllow:
		return "allow"
	case PreForbid:
		return "forbid"
	}
	return "default"
}

// pyWS and pyNotArbitrary are Python's \s and [^\s;)] as RE2 classes.
const (
	pyWSChars      = `\t\n\v\f\r \x1c-\x1f\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}`
	pyWS           = `[` + pyWSChars + `]`
	pyNotArbitrary = `[^` + pyWSChars + `;)]`
)

// specBody is packaging's Specifier regex (without surrounding whitespace),
// written for ASCII-lowercased input. RE2's leftmost-first matching picks the
// same match as Python's backtracking engine, which matters when a PEP 508
// tokenizer takes the longest specifier prefix.
const specBody = `(?:` +
	// === takes an arbitrary string up to whitespace, ';' or ')'.
	`===` + pyWS + `*` + pyNotArbitrary + `*` +
	`|` +
	// == and != also allow a trailing .* or a local label.
	`(?:==|!=)` + pyWS + `*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` +
	`(?:\.\*|` + specPre + `?` + specPost + `?` + specDev + `?` + `(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?)?` +
	`|` +
	// ~= needs at least two release components.
	`~=` + pyWS + `*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+` + specPre + `?` + specPost + `?` + specDev + `?` +
	`|` +
	`(?:<=|>=|<|>)` + pyWS + `*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*` + specPre + `?` + specPost + `?` + specDev + `?` +
	`)`

const (
	specPre  = `(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)`
	specPost = `(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)`
	specDev  = `(?:[-_.]?dev[-_.]?[0-9]*)`
)

var (
	// Compiled on first use: a process that parses no specifier (the
	// no-op sync) does not pay for them at start.
	specFullRE   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + pyWS + `*` + specBody + pyWS + `*$`) })
	specPrefixRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^` + specBody) })
)

// SpecifierPrefixLen returns the length in bytes of the version specifier
// clause (operator and version, no leading whitespace) at the start of s, or
// -1 if there is none. It is the SPECIFIER token of packaging's PEP 508
// tokenizer, exposed for package pep508.
func SpecifierPrefixLen(s string) int {
	loc := specPrefixRE().FindStringIndex(asciiLower(s))
	if loc == nil {
		return -1
	}
	return loc[1]
}

// Specifier is one clause of a version specifier: an operator and a version
// string as written (after trimming whitespace).
type Specifier struct {
	op       string
	version  string
	v        Version // parsed version (without ".*"); unset for unparsable ===
	vok      bool
	wildcard bool
	hasLocal bool
	pre      Pre
}

// ParseSpecifier parses a single clause such as ">=1.0", "== 2.1.*" or
// "===foobar".
func ParseSpecifier(s string) (Specifier, error) {
	sp, err := parseSpecifier(s)
	if err != nil {
		return Specifier{}, fmt.Errorf("parse specifier %q: %w", s, err)
	}
	return sp, nil
}

func parseSpecifier(s string) (Specifier, error) {
	if !specFullRE().MatchString(asciiLower(s)) {
		return Specifier{}, ErrInvalidSpecifier
	}
	s = trimSpace(s)
	var sp Specifier
	switch {
	case strings.HasPrefix(s, "==="):
		sp.op = "==="
	case strings.HasPrefix(s, "~="), strings.HasPrefix(s, "=="), strings.HasPrefix(s, "!="),
		strings.HasPrefix(s, "<="), strings.HasPrefix(s, ">="):
		sp.op = s[:2]
	default:
		sp.op = s[:1]
	}
	sp.version = trimSpace(s[len(sp.op):])
	if sp.op == "===" {
		if v, err := parse(sp.version); err == nil {
			sp.v, sp.vok = v, true
		}
		return sp, nil
	}
	vs := sp.version
	if strings.HasSuffix(vs, ".*") {
		sp.wildcard = true
		vs = strings.TrimSuffix(vs, ".*")
	}
	v, err := parse(vs)
	if err != nil {
		return Specifier{}, fmt.Errorf("%w: %w", ErrInvalidSpecifier, err)
	}
	sp.v, sp.vok = v, true
	sp.hasLocal = strings.Contains(vs, "+")
	return sp, nil
}

// Operator returns the clause's operator: one of ~= == != <= >= < > ===.
func (s Specifier) Operator() string { return s.op }

// Version returns the clause's version string as written, e.g. "2.1.*".
func (s Specifier) Version() string { return s.version }

// String returns operator and version without spaces, e.g. ">=1.0".
func (s Specifier) String() string { return s.op + s.version }

// WithPrereleases returns a copy of s with a fixed pre-release policy, like
// packaging's Specifier(spec, prereleases=...).
func (s Specifier) WithPrereleases(p Pre) Specifier {
	s.pre = p
	return s
}

// ImpliesPrereleases reports whether the clause itself names a pre-release
// (">=1.0.dev1" does, "!=1.0a1" and "==1.*" never do), in which case
// pre-releases are admitted by default.
func (s Specifier) ImpliesPrereleases() bool {
	if s.op == "!=" || (s.op == "==" && s.wildcard) || !s.vok {
		return false
	}
	return s.v.IsPrerelease()
}

// effectivePre is the clause's own policy: its explicit setting, else
// PreAllow when it names a pre-release, else PreDefault.
func (s Specifier) effectivePre() Pre {
	if s.pre != PreDefault {
		return s.pre
	}
	if s.ImpliesPrereleases() {
		return PreAllow
	}
	return PreDefault
}

// canonicalKey is what equality compares: the version with trailing zeros
// removed (except for ~=, where they are significant), or the raw string for
// === and wildcards.
func (s Specifier) canonicalKey() string {
	if s.op == "===" || s.wildcard {
		return s.op + s.version
	}
	return s.op + s.v.canonical(s.op != "~=")
}

// Equal reports whether two clauses are equivalent: same operator and
// versions equal up to trailing zeros ("==1.0" equals "==1.0.0"). The
// pre-release policy is ignored.
func (s Specifier) Equal(o Specifier) bool { return s.canonicalKey() == o.canonicalKey() }

// Specifiers is a set of clauses, all of which must match (a comma-separated
// specifier such as ">=1.0,!=1.3.*,<2"). The zero value is the empty set,
// which matches every version.
type Specifiers struct {
	specs []Specifier // sorted by String, duplicates removed
	pre   Pre
}

// ParseSpecifiers parses a comma-separated list of clauses. Empty items are
// ignored, so "" is the empty set and ">=1.0," is valid.
func ParseSpecifiers(s string) (Specifiers, error) {
	var specs []Specifier
	for _, item := range strings.Split(s, ",") {
		item = trimSpace(item)
		if item == "" {
			continue
		}
		sp, err := parseSpecifier(item)
		if err != nil {
			return Specifiers{}, fmt.Errorf("parse specifier %q: %w", item, err)
		}
		specs = append(specs, sp)
	}
	return Specifiers{specs: canonicalOrder(specs)}, nil
}

// MustParseSpecifiers is ParseSpecifiers for constant input; it panics on error.
func MustParseSpecifiers(s string) Specifiers {
	ss, err := ParseSpecifiers(s)
	if err != nil {
		panic(err)
	}
	return ss
}

// canonicalOrder sorts clauses by their string and drops later duplicates,
// which is how packaging orders a set for str() and equality.
func canonicalOrder(specs []Specifier) []Specifier {
	sort.SliceStable(specs, func(i, j int) bool { return specs[i].String() < specs[j].String() })
	out := specs[:0]
	seen := map[string]bool{}
	for _, sp := range specs {
		k := sp.canonicalKey()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, sp)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// String returns the clauses sorted and comma-joined, e.g. "!=1.3,<2,>=1.0".
func (s Specifiers) String() string {
	parts := make([]string, len(s.specs))
	for i, sp := range s.specs {
		parts[i] = sp.String()
	}
	return strings.Join(parts, ",")
}

// Len returns the number of distinct clauses.
func (s Specifiers) Len() int { return len(s.specs) }

// IsEmpty reports whether the set has no clauses (and so matches anything).
func (s Specifiers) IsEmpty() bool { return len(s.specs) == 0 }

// Clauses returns a copy of the clauses in canonical order.
func (s Specifiers) Clauses() []Specifier { return append([]Specifier(nil), s.specs...) }

// Equal reports whether both sets have pairwise equivalent clauses. The
// pre-release policy is ignored.
func (s Specifiers) Equal(o Specifiers) bool {
	if len(s.specs) != len(o.specs) {
		return false
	}
	for i := range s.specs {
		if !s.specs[i].Equal(o.specs[i]) {
			return false
		}
	}
	return true
}

// WithPrereleases returns a copy of s with a fixed pre-release policy, like
// packaging's SpecifierSet(spec, prereleases=...).
func (s Specifiers) WithPrereleases(p Pre) Specifiers {
	s.pre = p
	return s
}

// Prereleases returns the set's default policy: its explicit setting, else
// PreAllow when a clause names a pre-release, else PreDefault.
func (s Specifiers) Prereleases() Pre {
	if s.pre != PreDefault {
		return s.pre
	}
	for _, sp := range s.specs {
		if sp.effectivePre() == PreAllow {
			return PreAllow
		}
	}
	return PreDefault
}

// And returns the intersection of two sets (packaging's SpecifierSet & other).
// It fails only when the sets carry opposite explicit pre-release policies.
func (s Specifiers) And(o Specifiers) (Specifiers, error) {
	pre := s.pre
	switch {
	case s.pre == PreDefault || s.pre == o.pre:
		pre = o.pre
	case o.pre == PreDefault:
	default:
		return Specifiers{}, fmt.Errorf("combine specifiers %q and %q: conflicting pre-release policies", s, o)
	}
	specs := append(append([]Specifier(nil), s.specs...), o.specs...)
	return Specifiers{specs: canonicalOrder(specs), pre: pre}, nil
}

func (s Specifiers) hasArbitrary() bool {
	for _, sp := range s.specs {
		if sp.op == "===" {
			return true
		}
	}
	return false
}
