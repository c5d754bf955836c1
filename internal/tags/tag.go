// Package tags implements PEP 425 compatibility tags: parsing the compressed
// tag sets found in wheel file names, parsing wheel and sdist file names, and
// computing the ordered list of tags an interpreter supports, so that
// influx-py can decide which wheel of a lock file fits the target interpreter
// without asking Python.
package tags

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Tag is one interpreter-ABI-platform triple. Components are lower case, as
// packaging's Tag stores them, so that tags compare with ==.
type Tag struct {
	Interpreter string
	ABI         string
	Platform    string
}

// NewTag builds a Tag, lower-casing its components.
func NewTag(interpreter, abi, platform string) Tag {
	return Tag{strings.ToLower(interpreter), strings.ToLower(abi), strings.ToLower(platform)}
}

// String gives the tag as it appears in a wheel file name,
// e.g. "cp311-cp311-manylinux_2_17_x86_64".
func (t Tag) String() string {
	return t.Interpreter + "-" + t.ABI + "-" + t.Platform
}

// Errors wrapped by ParseTagSet, for callers that need to tell the cases apart.
var (
	ErrInvalidTag   = errors.New("invalid tag")
	ErrUnsortedTags = errors.New("compressed tag set not in sorted order")
	ErrTooManyTags  = errors.New("compressed tag set too large")
)

// ParseOptions tightens parsing beyond packaging's defaults.
type ParseOptions struct {
	// ValidateOrder rejects compressed tag sets whose dotted components are
	// not sorted, as PEP 425 asks ("py3.py2" is accepted by default).
	ValidateOrder bool
	// MaxTags caps how many tags a compressed set may expand to (the product
	// of its components' sizes); 0 means no cap and a negative value is an
	// error. A hostile file name cannot then make us build a huge list.
	MaxTags int
}

// ParseTagSet expands a tag string, possibly a compressed tag set such as
// "py2.py3-none-any", into its tags, in the order interpreter, ABI, platform
// vary (platform fastest), without duplicates.
func ParseTagSet(s string) ([]Tag, error) {
	return ParseTagSetWith(s, ParseOptions{})
}

// ParseTagSetWith is ParseTagSet with options.
func ParseTagSetWith(s string, o ParseOptions) ([]Tag, error) {
	if o.MaxTags < 0 {
		return nil, fmt.Errorf("parse tag %q: negative tag limit %d", s, o.MaxTags)
	}
	var comps [][]string
	for _, c := range strings.Split(s, "-") {
		parts := strings.Split(c, ".")
		for _, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("parse tag %q: empty component %q: %w", s, c, ErrInvalidTag)
			}
		}
		if o.ValidateOrder && !sort.StringsAreSorted(parts) {
			return nil, fmt.Errorf("parse tag %q: component %q: %w", s, c, ErrUnsortedTags)
		}
		comps = append(comps, parts)
	}
	if o.MaxTags > 0 {
		n := 1
		for _, c := range comps {
			n *= len(c)
			if n > o.MaxTags {
				// Counting stops early: n only grows, and overflow is avoided.
				return nil, fmt.Errorf("parse tag %q: more than %d tags: %w", s, o.MaxTags, ErrTooManyTags)
			}
		}
	}
	if len(comps) != 3 {
		return nil, fmt.Errorf("parse tag %q: want 3 dash-separated components, have %d: %w", s, len(comps), ErrInvalidTag)
	}
	for _, interp := range comps[0] {
		if !isIdentifier(interp) {
			return nil, fmt.Errorf("parse tag %q: interpreter %q is not an identifier: %w", s, interp, ErrInvalidTag)
		}
	}
	seen := make(map[Tag]bool)
	var out []Tag
	for _, i := range comps[0] {
		for _, a := range comps[1] {
			for _, p := range comps[2] {
				t := NewTag(i, a, p)
				if !seen[t] {
					seen[t] = true
					out = append(out, t)
				}
			}
		}
	}
	return out, nil
}

// isIdentifier approximates Python's str.isidentifier: a letter or
// underscore, then letters, digits, underscores and combining marks.
// packaging requires it of interpreter tags so that "2.7.6-none-any" (a
// version where a tag belongs) is rejected.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		start := r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
		if i == 0 {
			if !start {
				return false
			}
			continue
		}
		if !start && !unicode.In(r, unicode.Mn, unicode.Mc, unicode.Nd, unicode.Pc) {
			return false
		}
	}
	return true
}
