package pep508

import (
	"slices"
	"strings"

	"github.com/influx-py/influx-py/internal/pep440"
)

// Requirement is a parsed PEP 508 dependency specifier.
type Requirement struct {
	Name      string   // as written; compare with NormalizeName
	Extras    []string // as written, sorted, without duplicates
	Specifier pep440.Specifiers
	URL       string // for "name @ url"; empty otherwise
	Marker    *Marker
}

// ParseRequirement parses a dependency specifier such as
// `requests[security] >= 2.8.1, == 2.8.* ; python_version < "2.7"` or
// `name @ https://example.com/name.whl ; os_name == "posix"`. It accepts what
// packaging accepts: leading whitespace, trailing spaces and tabs, a
// parenthesized or comma-terminated specifier list. Errors are *SyntaxError.
func ParseRequirement(s string) (*Requirement, error) {
	sc := &scanner{src: s}
	sc.skipWS()
	n := sc.identifier()
	if n < 0 {
		return nil, sc.errHere("expected package name at the start of dependency specifier")
	}
	r := &Requirement{Name: s[sc.pos : sc.pos+n]}
	sc.pos += n
	sc.skipWS()

	extras, err := sc.parseExtras()
	if err != nil {
		return nil, err
	}
	r.Extras = sortedUnique(extras)
	sc.skipWS()

	spec, err := sc.parseDetails(r)
	if err != nil {
		return nil, err
	}
	if !sc.atEnd() {
		return nil, sc.errHere("expected end of dependency specifier")
	}
	// Like packaging, validate the clauses only once the whole text parsed,
	// so that a syntax error further on is the one reported.
	r.Specifier, err = pep440.ParseSpecifiers(spec.text)
	if err != nil {
		return nil, &SyntaxError{Input: s, Start: spec.start, Pos: spec.end, Msg: err.Error()}
	}
	return r, nil
}

// specText is the specifier list as the tokenizer saw it.
type specText struct {
	text       string
	start, end int
}

// parseExtras: ( "[" WS? (IDENT (WS? "," WS? IDENT)*)? WS? "]" )?
func (s *scanner) parseExtras() ([]string, error) {
	if !s.peek('[') {
		return nil, nil
	}
	open := s.pos
	s.pos++
	s.skipWS()
	var extras []string
	if n := s.identifier(); n >= 0 {
		extras = append(extras, s.src[s.pos:s.pos+n])
		s.pos += n
		for {
			s.skipWS()
			if s.identifier() >= 0 {
				return nil, s.errHere("expected comma between extra names")
			}
			if !s.consume(',') {
				break
			}
			s.skipWS()
			n := s.identifier()
			if n < 0 {
				return nil, s.errHere("expected extra name after comma")
			}
			extras = append(extras, s.src[s.pos:s.pos+n])
			s.pos += n
		}
	}
	s.skipWS()
	if !s.consume(']') {
		return nil, s.errAt(open, "expected matching RIGHT_BRACKET for LEFT_BRACKET, after extras")
	}
	return extras, nil
}

// parseDetails: "@" WS? URL (WS marker?)? | specifier WS? marker?
func (s *scanner) parseDetails(r *Requirement) (specText, error) {
	var spec specText
	if s.consume('@') {
		s.skipWS()
		urlStart := s.pos
		n := s.url()
		if n < 0 {
			return spec, s.errHere("expected URL after @")
		}
		r.URL = s.src[s.pos : s.pos+n]
		s.pos += n
		if s.atEnd() {
			return spec, nil
		}
		if !s.skipWS() {
			return spec, s.errHere("expected whitespace after URL")
		}
		if s.atEnd() {
			return spec, nil
		}
		return spec, s.parseRequirementMarker(r, urlStart, "semicolon (after URL and whitespace)")
	}

	spec.start = s.pos
	text, err := s.parseSpecifierList()
	if err != nil {
		return spec, err
	}
	spec.text, spec.end = text, s.pos
	s.skipWS()
	if s.atEnd() {
		return spec, nil
	}
	expected := "semicolon (after name with no version specifier)"
	if text != "" {
		expected = "comma (within version specifier), semicolon (after version specifier)"
	}
	return spec, s.parseRequirementMarker(r, spec.start, expected)
}

// parseRequirementMarker: ";" marker WS?
func (s *scanner) parseRequirementMarker(r *Requirement, spanStart int, expected string) error {
	if !s.consume(';') {
		return s.errAt(spanStart, "expected "+expected+" or end")
	}
	expr, err := s.parseMarker()
	if err != nil {
		return err
	}
	r.Marker = newMarker(expr)
	s.skipWS()
	return nil
}

// parseSpecifierList: "(" WS? clauses WS? ")" | WS? clauses WS?, returning
// the clauses joined as written (commas kept, whitespace between clauses
// dropped), for pep440.ParseSpecifiers.
func (s *scanner) parseSpecifierList() (string, error) {
	open := -1
	if s.consume('(') {
		open = s.pos - 1
	}
	s.skipWS()
	var b strings.Builder
	for {
		n := s.specifier()
		if n < 0 {
			break
		}
		start := s.pos
		clause := s.src[s.pos : s.pos+n]
		s.pos += n
		b.WriteString(clause)
		if strings.HasPrefix(s.rest(), ".*") {
			msg := ".* suffix can only be used with `==` or `!=` operators"
			if strings.HasPrefix(clause, "!=") || (strings.HasPrefix(clause, "==") && !strings.HasPrefix(clause, "===")) {
				msg = ".* suffix cannot be used with pre-release, post-release, dev or local versions"
			}
			s.pos++
			return "", s.errAt(start, msg)
		}
		if s.localLabelTrail() {
			return "", s.errAt(start, "local version label can only be used with `==` or `!=` operators")
		}
		s.skipWS()
		if !s.consume(',') {
			break
		}
		b.WriteByte(',')
		s.skipWS()
	}
	s.skipWS()
	if open >= 0 && !s.consume(')') {
		return "", s.errAt(open, "expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier")
	}
	return b.String(), nil
}

func sortedUnique(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	out := slices.Clone(xs)
	slices.Sort(out)
	return slices.Compact(out)
}

// String returns packaging's str(Requirement): name, sorted extras,
// canonical specifier, " @ url" and "; marker", e.g.
// `requests[security,tests]==2.8.*,>=2.8.1; python_version < "2.7"`.
func (r *Requirement) String() string {
	var b strings.Builder
	b.WriteString(r.Name)
	if extras := sortedUnique(r.Extras); len(extras) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(extras, ","))
		b.WriteByte(']')
	}
	b.WriteString(r.Specifier.String())
	if r.URL != "" {
		b.WriteString(" @ ")
		b.WriteString(r.URL)
		if r.Marker != nil {
			b.WriteByte(' ')
		}
	}
	if r.Marker != nil {
		b.WriteString("; ")
		b.WriteString(r.Marker.String())
	}
	return b.String()
}

// Equal reports whether two requirements mean the same: names and extras
// equal after normalization, equivalent specifiers ("==1.0" and "==1.0.0"),
// the same URL and the same canonical marker.
func (r *Requirement) Equal(o *Requirement) bool {
	return NormalizeName(r.Name) == NormalizeName(o.Name) &&
		slices.Equal(normalizedSet(r.Extras), normalizedSet(o.Extras)) &&
		r.Specifier.Equal(o.Specifier) &&
		r.URL == o.URL &&
		r.Marker.Equal(o.Marker)
}

func normalizedSet(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = NormalizeName(n)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
