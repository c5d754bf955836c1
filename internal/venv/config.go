package venv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Config is a parsed pyvenv.cfg. It keeps every line as it was read, so that
// writing it back changes only the lines that were Set.
//
// Reading follows CPython (Lib/site.py venv() and Modules/getpath.py), the
// reader that decides how the interpreter actually behaves:
//   - lines end at \n, \r\n or \r (Python's universal newlines);
//   - a line without '=' is ignored, and there is no comment syntax: "# a = b"
//     is the key "# a";
//   - the line is split at its first '='; key and value are stripped of
//     whitespace (Python's notion of it) and the key is compared
//     case-insensitively; quotes are not removed from values (Prompt does).
type Config struct {
	lines []cfgLine
}

type cfgLine struct {
	text  string // the line without its terminator
	eol   string // "\n", "\r\n", "\r" or "" for a last line without one
	isKV  bool   // has '='
	key   string // lowercased, stripped
	value string // stripped
}

// Entry is one key = value line of a pyvenv.cfg.
type Entry struct {
	Key   string // as written, stripped
	Value string // stripped, quotes kept
}

// ParseConfig parses the contents of a pyvenv.cfg. It fails only on input
// CPython itself refuses: the file is read as strict UTF-8.
func ParseConfig(data []byte) (*Config, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("parse pyvenv.cfg: not valid UTF-8")
	}
	c := &Config{}
	s := string(data)
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		var text, eol string
		switch {
		case i < 0:
			text, s = s, ""
		case s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n':
			text, eol, s = s[:i], "\r\n", s[i+2:]
		default:
			text, eol, s = s[:i], s[i:i+1], s[i+1:]
		}
		c.lines = append(c.lines, makeLine(text, eol))
	}
	return c, nil
}

func makeLine(text, eol string) cfgLine {
	l := cfgLine{text: text, eol: eol}
	if k, v, ok := strings.Cut(text, "="); ok {
		l.isKV = true
		l.key = strings.ToLower(pyStrip(k))
		l.value = pyStrip(v)
	}
	return l
}

// ReadConfig reads and parses the pyvenv.cfg at path. A missing file is
// reported with an error that satisfies errors.Is(err, fs.ErrNotExist).
func ReadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pyvenv.cfg: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Bytes is the file content: the input byte for byte, except for lines
// changed or added by Set.
func (c *Config) Bytes() []byte {
	var b strings.Builder
	for _, l := range c.lines {
		b.WriteString(l.text)
		b.WriteString(l.eol)
	}
	return []byte(b.String())
}

// Entries lists the key = value lines in file order (lines without '=' are
// left out). Keys keep the case they were written in.
func (c *Config) Entries() []Entry {
	var out []Entry
	for _, l := range c.lines {
		if l.isKV {
			k, _, _ := strings.Cut(l.text, "=")
			out = append(out, Entry{Key: pyStrip(k), Value: l.value})
		}
	}
	return out
}

// Lookup returns the value of key (compared case-insensitively) and whether it
// is present. When a key repeats, the last line wins, as in site.py.
func (c *Config) Lookup(key string) (string, bool) {
	key = strings.ToLower(key)
	for i := len(c.lines) - 1; i >= 0; i-- {
		if l := c.lines[i]; l.isKV && l.key == key {
			return l.value, true
		}
	}
	return "", false
}

// Get is Lookup without the presence flag.
func (c *Config) Get(key string) string {
	v, _ := c.Lookup(key)
	return v
}

// Set makes key = value the setting for key. The first line holding key is
// replaced by "key = value" and any later lines for the same key are removed,
// so that readers that take the first occurrence (getpath) and the last
// (site.py) agree; without one, the line is appended. Every other line is
// kept byte for byte, and the file ends with a line terminator afterwards.
// Keys and values that would change the file's line structure are refused.
func (c *Config) Set(key, value string) error {
	k := pyStrip(key)
	switch {
	case k == "" || k != key:
		return fmt.Errorf("set pyvenv.cfg key %q: empty or surrounded by spaces", key)
	case strings.ContainsAny(key, "=\r\n"):
		return fmt.Errorf("set pyvenv.cfg key %q: contains '=' or a line break", key)
	case strings.ContainsAny(value, "\r\n"):
		return fmt.Errorf("set pyvenv.cfg %s: value contains a line break", key)
	case pyStrip(value) != value:
		return fmt.Errorf("set pyvenv.cfg %s: value %q has leading or trailing spaces, which readers strip", key, value)
	case !utf8.ValidString(key) || !utf8.ValidString(value):
		return fmt.Errorf("set pyvenv.cfg %s: not valid UTF-8", key)
	}
	eol := c.lineEnding()
	nl := makeLine(key+" = "+value, eol)
	lk := strings.ToLower(key)
	out := c.lines[:0:0]
	done := false
	for _, l := range c.lines {
		if l.isKV && l.key == lk {
			if !done {
				nl.eol = l.eol
				out = append(out, nl)
				done = true
			}
			continue
		}
		out = append(out, l)
	}
	if !done {
		if n := len(out); n > 0 && out[n-1].eol == "" {
			out[n-1].eol = eol
		}
		out = append(out, nl)
	}
	if last := &out[len(out)-1]; last.eol == "" {
		last.eol = eol
	}
	c.lines = out
	return nil
}

// lineEnding is the terminator of the file's first terminated line, so that
// added lines match a CRLF file.
func (c *Config) lineEnding() string {
	for _, l := range c.lines {
		if l.eol != "" {
			return l.eol
		}
	}
	return "\n"
}

// Home is the directory of the interpreter the venv was created from. It is
// the first "home" line: getpath, which finds the base installation from it,
// stops at the first one.
func (c *Config) Home() string {
	for _, l := range c.lines {
		if l.isKV && l.key == "home" {
			return l.value
		}
	}
	return ""
}

// Version is the Python version the venv records: "version" as CPython's venv
// writes it, else "version_info" as uv and virtualenv write it (uv may write
// just "3.12"; virtualenv "3.12.3.final.0"). Empty when neither is present.
func (c *Config) Version() string {
	if v, ok := c.Lookup("version"); ok && v != "" {
		return v
	}
	return c.Get("version_info")
}

// Executable is the resolved interpreter that created the venv (CPython venv
// and virtualenv write it; uv does not).
func (c *Config) Executable() string { return c.Get("executable") }

// Command is the command line that created the venv (CPython venv only).
func (c *Config) Command() string { return c.Get("command") }

// Implementation is the interpreter implementation ("CPython", "PyPy"), as
// uv and virtualenv record it.
func (c *Config) Implementation() string { return c.Get("implementation") }

// IncludeSystemSitePackages reports whether the base interpreter's
// site-packages are visible inside the venv. As in site.py, an absent key
// means true and only a value equal to "true" ignoring case is true otherwise.
func (c *Config) IncludeSystemSitePackages() bool {
	v, ok := c.Lookup("include-system-site-packages")
	return !ok || strings.ToLower(v) == "true"
}

// Prompt is the shell prompt prefix, with one pair of matching surrounding
// quotes removed: CPython writes 'name', virtualenv "name", uv name.
func (c *Config) Prompt() string {
	return unquote(c.Get("prompt"))
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// PyVersion is a Python version as a venv records it.
type PyVersion struct {
	Major, Minor int
	Patch        int // -1 when not recorded
}

// String is "X.Y" or "X.Y.Z".
func (v PyVersion) String() string {
	s := strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor)
	if v.Patch >= 0 {
		s += "." + strconv.Itoa(v.Patch)
	}
	return s
}

// ParsePyVersion reads "X.Y", "X.Y.Z", "X.Y.Z.final.0" or "X.Y.Zrc1". Major
// and minor must be numbers; the patch is the leading digits of the third
// part when it has any (uv test output such as "3.12.[X]" has none).
func ParsePyVersion(s string) (PyVersion, error) {
	parts := strings.SplitN(s, ".", 4)
	if len(parts) < 2 {
		return PyVersion{}, fmt.Errorf("parse python version %q: want X.Y", s)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil || major < 0 || minor < 0 || !allDigits(parts[0]) || !allDigits(parts[1]) {
		return PyVersion{}, fmt.Errorf("parse python version %q: major and minor must be numbers", s)
	}
	v := PyVersion{Major: major, Minor: minor, Patch: -1}
	if len(parts) > 2 {
		p := parts[2]
		n := 0
		for n < len(p) && p[n] >= '0' && p[n] <= '9' {
			n++
		}
		if n > 0 {
			if patch, err := strconv.Atoi(p[:n]); err == nil {
				v.Patch = patch
			}
		}
	}
	return v, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// pyStrip is Python's str.strip(): it removes what str.isspace() calls
// whitespace, which is Go's unicode.IsSpace plus the ASCII separators
// U+001C..U+001F.
func pyStrip(s string) string {
	return strings.TrimFunc(s, isPySpace)
}

func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}
