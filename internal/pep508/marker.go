package pep508

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/influx-py/influx-py/internal/pep440"
)

// Marker is a parsed environment marker such as
// `python_version >= "3.8" and sys_platform == "linux"`.
type Marker struct {
	expr markerList
	str  string // canonical form, computed once
}

// markerList is a sequence of items joined by "and"/"or"; "and" binds
// tighter, as in Python.
type markerList struct {
	items []markerItem
	ops   []string // len(items)-1 entries, "and" or "or"
}

// markerItem is a comparison or a parenthesized sub-expression.
type markerItem struct {
	cmp  *comparison
	list *markerList
}

type comparison struct {
	lhs, rhs operand
	op       string // one of == != <= >= < > ~= === in "not in"
}

type operand struct {
	value string // variable name or literal string
	isVar bool
}

// MarkerVariables returns the names of the standard PEP 508 marker variables
// that describe an interpreter; an environment should define all of them.
// (The context variables "extra", "extras" and "dependency_groups" are not
// included.)
func MarkerVariables() []string {
	return []string{
		"implementation_name",
		"implementation_version",
		"os_name",
		"platform_machine",
		"platform_python_implementation",
		"platform_release",
		"platform_system",
		"platform_version",
		"python_full_version",
		"python_version",
		"sys_platform",
	}
}

// ParseMarker parses a marker expression. It accepts what packaging accepts,
// including the legacy spellings "os.name", "sys.platform",
// "platform.version", "platform.machine", "platform.python_implementation"
// and "python_implementation". Errors are *SyntaxError.
func ParseMarker(s string) (*Marker, error) {
	sc := &scanner{src: s}
	expr, err := sc.parseMarker()
	if err != nil {
		return nil, err
	}
	if !sc.atEnd() {
		return nil, sc.errHere("expected end of marker expression")
	}
	return newMarker(expr), nil
}

func newMarker(expr markerList) *Marker {
	expr.normalizeNames()
	return &Marker{expr: expr, str: expr.format(true)}
}

// String returns the canonical form: double-quoted values (single quotes when
// the value contains a double quote), single spaces, legacy variable names
// replaced, redundant outer parentheses dropped and extra names normalized.
// It equals packaging's str(Marker) except that values containing a
// backslash, a line break or a NUL are written with escapes so that they read
// back unchanged.
func (m *Marker) String() string {
	if m == nil {
		return ""
	}
	return m.str
}

// Equal reports whether two markers have the same canonical form.
func (m *Marker) Equal(o *Marker) bool {
	if m == nil || o == nil {
		return m == o
	}
	return m.str == o.str
}

// parseMarker: marker = atom (BOOLOP atom)*
func (s *scanner) parseMarker() (markerList, error) {
	var l markerList
	item, err := s.parseAtom()
	if err != nil {
		return l, err
	}
	l.items = append(l.items, item)
	for {
		n := s.word("or", "and")
		if n < 0 {
			return l, nil
		}
		l.ops = append(l.ops, s.src[s.pos:s.pos+n])
		s.pos += n
		item, err := s.parseAtom()
		if err != nil {
			return l, err
		}
		l.items = append(l.items, item)
	}
}

// parseAtom: WS? ( "(" WS? marker WS? ")" | item ) WS?
func (s *scanner) parseAtom() (markerItem, error) {
	s.skipWS()
	var item markerItem
	if s.peek('(') {
		open := s.pos
		s.pos++
		s.skipWS()
		inner, err := s.parseMarker()
		if err != nil {
			return item, err
		}
		s.skipWS()
		if !s.consume(')') {
			return item, s.errAt(open, "expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after marker expression")
		}
		item.list = &inner
	} else {
		cmp, err := s.parseComparison()
		if err != nil {
			return item, err
		}
		item.cmp = cmp
	}
	s.skipWS()
	return item, nil
}

// parseComparison: WS? var WS? op WS? var WS?
func (s *scanner) parseComparison() (*comparison, error) {
	s.skipWS()
	lhs, err := s.parseOperand()
	if err != nil {
		return nil, err
	}
	s.skipWS()
	op, err := s.parseOp()
	if err != nil {
		return nil, err
	}
	s.skipWS()
	rhs, err := s.parseOperand()
	if err != nil {
		return nil, err
	}
	s.skipWS()
	return &comparison{lhs: lhs, op: op, rhs: rhs}, nil
}

func (s *scanner) parseOperand() (operand, error) {
	if n := s.word(variableWords...); n >= 0 {
		name := strings.ReplaceAll(s.src[s.pos:s.pos+n], ".", "_")
		s.pos += n
		if name == "python_implementation" {
			name = "platform_python_implementation"
		}
		return operand{value: name, isVar: true}, nil
	}
	if n := s.quoted(); n >= 0 {
		start := s.pos
		s.pos += n
		v, ok := pyStringLiteral(s.src[start:s.pos])
		if !ok {
			return operand{}, s.errAt(start, "invalid quoted string")
		}
		return operand{value: v}, nil
	}
	return operand{}, s.errHere("expected a marker variable or quoted string")
}

func (s *scanner) parseOp() (string, error) {
	if n := s.word("in"); n >= 0 {
		s.pos += n
		return "in", nil
	}
	if n := s.word("not"); n >= 0 {
		s.pos += n
		if !s.skipWS() {
			return "", s.errHere("expected whitespace after 'not'")
		}
		n := s.word("in")
		if n < 0 {
			return "", s.errHere("expected 'in' after 'not'")
		}
		s.pos += n
		return "not in", nil
	}
	if n := s.markerOp(); n >= 0 {
		op := s.src[s.pos : s.pos+n]
		s.pos += n
		return op, nil
	}
	return "", s.errHere("expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in")
}

// pyStringLiteral decodes a quoted marker value the way Python's
// ast.literal_eval does: backslash escapes are interpreted, unknown escapes
// are kept literally, and a raw line break, a NUL or a truncated escape make
// the string invalid. \N{...} (named characters) is not supported and is
// rejected.
func pyStringLiteral(tok string) (string, bool) {
	body := tok[1 : len(tok)-1]
	var b strings.Builder
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case c == 0 || c == '\n' || c == '\r':
			return "", false
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		}
		if i+1 >= len(body) {
			return "", false // the backslash escapes the closing quote
		}
		e := body[i+1]
		i += 2
		switch e {
		case '\n':
		case '\r':
			if i < len(body) && body[i] == '\n' {
				i++
			}
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0', '1', '2', '3', '4', '5', '6', '7':
			n := rune(e - '0')
			for k := 0; k < 2 && i < len(body) && '0' <= body[i] && body[i] <= '7'; k++ {
				n = n*8 + rune(body[i]-'0')
				i++
			}
			b.WriteRune(n)
		case 'x', 'u', 'U':
			width := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if i+width > len(body) {
				return "", false
			}
			n, err := strconv.ParseUint(body[i:i+width], 16, 32)
			if err != nil || n > 0x10ffff {
				return "", false
			}
			b.WriteRune(rune(n))
			i += width
		case 'N':
			return "", false
		default:
			b.WriteByte('\\') // unknown escape: kept as written
			i--
		}
	}
	return b.String(), true
}

// normalizeNames applies PEP 685 at parse time, like packaging: a literal
// compared with "extra", or tested for membership in "extras" or
// "dependency_groups", is name-normalized.
func (l *markerList) normalizeNames() {
	for i := range l.items {
		if l.items[i].list != nil {
			l.items[i].list.normalizeNames()
			continue
		}
		c := l.items[i].cmp
		switch {
		case c.lhs.isVar && c.lhs.value == "extra" && !c.rhs.isVar:
			c.rhs.value = NormalizeName(c.rhs.value)
		case c.rhs.isVar && c.rhs.value == "extra" && !c.lhs.isVar:
			c.lhs.value = NormalizeName(c.lhs.value)
		case c.rhs.isVar && isSetVariable(c.rhs.value) && !c.lhs.isVar:
			c.lhs.value = NormalizeName(c.lhs.value)
		}
	}
}

func isSetVariable(name string) bool { return name == "extras" || name == "dependency_groups" }

// format is packaging's _format_marker: a list holding a single item is
// unwrapped; nested lists get parentheses.
func (l *markerList) format(top bool) string {
	if len(l.items) == 1 {
		if l.items[0].list != nil {
			return l.items[0].list.format(top)
		}
		return l.items[0].cmp.format()
	}
	var b strings.Builder
	if !top {
		b.WriteByte('(')
	}
	for i, it := range l.items {
		if i > 0 {
			b.WriteByte(' ')
			b.WriteString(l.ops[i-1])
			b.WriteByte(' ')
		}
		if it.list != nil {
			b.WriteString(it.list.format(false))
		} else {
			b.WriteString(it.cmp.format())
		}
	}
	if !top {
		b.WriteByte(')')
	}
	return b.String()
}

func (c *comparison) format() string {
	return c.lhs.format() + " " + c.op + " " + c.rhs.format()
}

func (o operand) format() string {
	if o.isVar {
		return o.value
	}
	return quoteValue(o.value)
}

// quoteValue writes a value as a marker string literal that reads back as
// the same value.
func quoteValue(v string) string {
	plain := !strings.ContainsAny(v, "\\\n\r\x00")
	if plain && !strings.Contains(v, `"`) {
		return `"` + v + `"`
	}
	if plain && !strings.Contains(v, `'`) {
		return `'` + v + `'`
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\x22`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\x00`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Context says where a marker is evaluated, which decides the defaults of
// the context variables (packaging's EvaluateContext).
type Context int

const (
	// ContextMetadata is core metadata (the default): "extra" defaults to "".
	ContextMetadata Context = iota
	// ContextLockFile is a PEP 751 lock file: "extras" and
	// "dependency_groups" default to empty sets.
	ContextLockFile
	// ContextRequirement is any other requirement: no context variable has
	// a default.
	ContextRequirement
)

// Environment is what a marker is evaluated against.
type Environment struct {
	// Vars holds the marker variables (see MarkerVariables), and "extra"
	// for the legacy `extra == "name"` form.
	Vars map[string]string
	// Extras and DependencyGroups are the PEP 751 set-valued variables,
	// used as `"name" in extras`. nil means "not supplied": they are then
	// empty in ContextLockFile and undefined otherwise.
	Extras           []string
	DependencyGroups []string
	Context          Context
}

// UndefinedNameError reports a marker variable missing from the environment.
type UndefinedNameError struct {
	Name string
}

func (e *UndefinedNameError) Error() string {
	return fmt.Sprintf("undefined environment name %q", e.Name)
}

// UndefinedComparisonError reports a comparison that has no meaning, such as
// `os_name ~= "posix"` (a version operator on a non-version) or a set-valued
// variable used outside `in`/`not in`.
type UndefinedComparisonError struct {
	Msg string
}

func (e *UndefinedComparisonError) Error() string { return e.Msg }

// versionVariables are compared as PEP 440 versions when both sides parse.
var versionVariables = map[string]bool{
	"implementation_version": true,
	"platform_release":       true,
	"python_full_version":    true,
	"python_version":         true,
}

// Evaluate reports whether the marker holds in env. Like packaging it
// evaluates every comparison (no short-circuit), so a missing variable is an
// error even where "and"/"or" would not need it. Errors wrap
// *UndefinedNameError or *UndefinedComparisonError.
//
// Comparisons on python_version, python_full_version, platform_release and
// implementation_version use PEP 440 (pre-releases allowed) when the
// right-hand side makes a valid specifier; otherwise, and for all other
// variables, values compare as strings where only ==, !=, in and not in are
// meaningful: < and > are false, <= and >= mean ==, and ~= or === is an
// UndefinedComparisonError.
//
// A nil *Marker (a requirement without a marker) is true everywhere.
func (m *Marker) Evaluate(env Environment) (bool, error) {
	if m == nil {
		return true, nil
	}
	ok, err := m.expr.eval(newEvalEnv(env))
	if err != nil {
		return false, fmt.Errorf("evaluate marker %q: %w", m.str, err)
	}
	return ok, nil
}

type evalEnv struct {
	vars map[string]string
	env  Environment
}

func newEvalEnv(env Environment) *evalEnv {
	vars := make(map[string]string, len(env.Vars)+1)
	for k, v := range env.Vars {
		vars[k] = v
	}
	if extra, ok := vars["extra"]; ok {
		vars["extra"] = NormalizeName(extra)
	} else if env.Context == ContextMetadata {
		vars["extra"] = ""
	}
	// Untagged CPython builds report e.g. "3.11.1+", which is not PEP 440.
	if v, ok := vars["python_full_version"]; ok && strings.HasSuffix(v, "+") {
		vars["python_full_version"] = v + "local"
	}
	return &evalEnv{vars: vars, env: env}
}

// value is a variable's value: a string, or a set for extras and
// dependency_groups.
type value struct {
	s     string
	set   []string
	isSet bool
}

func (e *evalEnv) lookup(name string) (value, error) {
	switch {
	case name == "extras" && e.env.Extras != nil:
		return value{set: e.env.Extras, isSet: true}, nil
	case name == "dependency_groups" && e.env.DependencyGroups != nil:
		return value{set: e.env.DependencyGroups, isSet: true}, nil
	}
	if v, ok := e.vars[name]; ok {
		return value{s: v}, nil
	}
	if isSetVariable(name) && e.env.Context == ContextLockFile {
		return value{isSet: true}, nil
	}
	return value{}, &UndefinedNameError{Name: name}
}

func (l *markerList) eval(e *evalEnv) (bool, error) {
	// Evaluate everything, then combine: any group of and-ed items all true.
	result, group := false, true
	for i, it := range l.items {
		if i > 0 && l.ops[i-1] == "or" {
			result = result || group
			group = true
		}
		var ok bool
		var err error
		if it.list != nil {
			ok, err = it.list.eval(e)
		} else {
			ok, err = it.cmp.eval(e)
		}
		if err != nil {
			return false, err
		}
		group = group && ok
	}
	return result || group, nil
}

func (c *comparison) eval(e *evalEnv) (bool, error) {
	var key string
	var lhs, rhs value
	var err error
	if c.lhs.isVar {
		key = c.lhs.value
		lhs, err = e.lookup(key)
		rhs = value{s: c.rhs.value}
	} else {
		key = c.rhs.value
		lhs = value{s: c.lhs.value}
		rhs, err = e.lookup(key)
	}
	if err != nil {
		return false, err
	}
	if lhs.isSet {
		return false, &UndefinedComparisonError{Msg: fmt.Sprintf(
			"set-valued marker %q can only be used with the membership form (e.g. \"<name>\" in %s); it cannot appear on the left-hand side of %q",
			key, key, c.op)}
	}
	if isSetVariable(key) {
		lhs.s = NormalizeName(lhs.s)
		if rhs.isSet {
			set := make([]string, len(rhs.set))
			for i, v := range rhs.set {
				set[i] = NormalizeName(v)
			}
			rhs.set = set
		} else {
			rhs.s = NormalizeName(rhs.s)
		}
	}
	return evalOp(lhs.s, c.op, rhs, key)
}

func evalOp(lhs, op string, rhs value, key string) (bool, error) {
	if versionVariables[key] && !rhs.isSet {
		if sp, err := pep440.ParseSpecifier(op + rhs.s); err == nil {
			return sp.ContainsString(lhs, pep440.PreAllow), nil
		}
	}
	eq := !rhs.isSet && lhs == rhs.s
	switch op {
	case "in", "not in":
		var in bool
		if rhs.isSet {
			in = slices.Contains(rhs.set, lhs)
		} else {
			in = strings.Contains(rhs.s, lhs)
		}
		return in == (op == "in"), nil
	case "<", ">":
		return false, nil
	case "==", "<=", ">=":
		return eq, nil
	case "!=":
		return !eq, nil
	}
	rhsText := rhs.s
	if rhs.isSet {
		rhsText = fmt.Sprint(rhs.set)
	}
	return false, &UndefinedComparisonError{Msg: fmt.Sprintf("undefined %s on %q and %q", op, lhs, rhsText)}
}
