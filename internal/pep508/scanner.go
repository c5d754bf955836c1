package pep508

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/influx-py/influx-py/internal/pep440"
)

// SyntaxError is a requirement or marker that does not parse. Its message
// follows packaging's wording and draws a caret under the offending place.
type SyntaxError struct {
	Input string // the whole text being parsed
	Pos   int    // byte offset of the caret
	Start int    // byte offset where the underlined span begins (Start == Pos for a point)
	Msg   string // e.g. "expected end of dependency specifier"
}

// Error renders the message, the input and a caret line:
//
//	expected comma between extra names
//	    name[bar baz]
//	             ^
//
// Control characters in the input are shown as Unicode control pictures so
// that the caret stays aligned.
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	b.WriteString("\n    ")
	for _, r := range e.Input {
		b.WriteRune(visible(r))
	}
	b.WriteString("\n    ")
	start := min(max(e.Start, 0), len(e.Input))
	pos := min(max(e.Pos, start), len(e.Input))
	b.WriteString(strings.Repeat(" ", utf8.RuneCountInString(e.Input[:start])))
	b.WriteString(strings.Repeat("~", utf8.RuneCountInString(e.Input[start:pos])))
	b.WriteString("^")
	return b.String()
}

func visible(r rune) rune {
	switch {
	case r < 0x20:
		return 0x2400 + r
	case r == 0x7f:
		return 0x2421
	}
	return r
}

// scanner is a position in the input with packaging's context-sensitive
// token matchers. Each match method returns the token length at the current
// position, or -1.
type scanner struct {
	src string
	pos int
}

func (s *scanner) rest() string { return s.src[s.pos:] }

func (s *scanner) errAt(start int, msg string) *SyntaxError {
	return &SyntaxError{Input: s.src, Pos: s.pos, Start: start, Msg: msg}
}

func (s *scanner) errHere(msg string) *SyntaxError { return s.errAt(s.pos, msg) }

func (s *scanner) atEnd() bool { return s.pos == len(s.src) }

// skipWS consumes spaces and tabs (packaging's WS token).
func (s *scanner) skipWS() bool {
	start := s.pos
	for s.pos < len(s.src) && (s.src[s.pos] == ' ' || s.src[s.pos] == '\t') {
		s.pos++
	}
	return s.pos > start
}

// consume consumes the single byte c if it is next.
func (s *scanner) consume(c byte) bool {
	if s.pos < len(s.src) && s.src[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) peek(c byte) bool { return s.pos < len(s.src) && s.src[s.pos] == c }

// isWord is Python's \w for str patterns: letters, digits and underscore,
// in the Unicode sense.
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// boundary is Python's \b at byte offset i.
func (s *scanner) boundary(i int) bool {
	before, after := false, false
	if i > 0 {
		r, _ := utf8.DecodeLastRuneInString(s.src[:i])
		before = isWord(r)
	}
	if i < len(s.src) {
		r, _ := utf8.DecodeRuneInString(s.src[i:])
		after = isWord(r)
	}
	return before != after
}

// word matches one of the literal words (tried in order) between word
// boundaries, like packaging's \b(a|b|...)\b tokens.
func (s *scanner) word(words ...string) int {
	if !s.boundary(s.pos) {
		return -1
	}
	for _, w := range words {
		if strings.HasPrefix(s.rest(), w) && s.boundary(s.pos+len(w)) {
			return len(w)
		}
	}
	return -1
}

// identifier matches \b[a-zA-Z0-9][a-zA-Z0-9._-]*\b, backing off trailing
// characters until the end is a word boundary as Python's engine does.
func (s *scanner) identifier() int {
	if !s.boundary(s.pos) {
		return -1
	}
	rest := s.rest()
	if rest == "" || !isAlnum(rest[0]) {
		return -1
	}
	n := 1
	for n < len(rest) && (isAlnum(rest[n]) || rest[n] == '.' || rest[n] == '_' || rest[n] == '-') {
		n++
	}
	for ; n > 0; n-- {
		if s.boundary(s.pos + n) {
			return n
		}
	}
	return -1
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// variableWords are the marker variable spellings packaging's tokenizer
// accepts, in its alternation order ("extras" before "extra").
var variableWords = []string{
	"python_version", "python_full_version",
	"os_name", "os.name", "sys_platform", "sys.platform",
	"platform_release", "platform_system",
	"platform_version", "platform.version", "platform_machine", "platform.machine",
	"platform_python_implementation", "platform.python_implementation",
	"python_implementation",
	"implementation_name", "implementation_version",
	"extras", "extra",
	"dependency_groups",
}

// markerOp matches the comparison operators, longest first.
func (s *scanner) markerOp() int {
	for _, op := range []string{"===", "==", "~=", "!=", "<=", ">=", "<", ">"} {
		if strings.HasPrefix(s.rest(), op) {
			return len(op)
		}
	}
	return -1
}

// quoted matches a '...' or "..." string (no escapes at this level; the
// closing quote is the next quote of the same kind).
func (s *scanner) quoted() int {
	rest := s.rest()
	if rest == "" || (rest[0] != '\'' && rest[0] != '"') {
		return -1
	}
	if i := strings.IndexByte(rest[1:], rest[0]); i >= 0 {
		return i + 2
	}
	return -1
}

// url matches [^ \t]+.
func (s *scanner) url() int {
	rest := s.rest()
	n := strings.IndexAny(rest, " \t")
	if n < 0 {
		n = len(rest)
	}
	if n == 0 {
		return -1
	}
	return n
}

func (s *scanner) specifier() int { return pep440.SpecifierPrefixLen(s.rest()) }

// localLabelTrail matches \+[a-z0-9]+(?:[-_.][a-z0-9]+)* (lowercase only).
func (s *scanner) localLabelTrail() bool {
	rest := s.rest()
	if !strings.HasPrefix(rest, "+") {
		return false
	}
	return len(rest) > 1 && isLowerAlnum(rest[1])
}

func isLowerAlnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
