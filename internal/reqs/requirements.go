package reqs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/influx-py/influx-py/internal/pep508"
)

// logicalLine is a requirements file line after continuation joining and
// comment removal.
type logicalLine struct {
	text   string // trimmed, never empty
	lineNo int    // first physical line
}

// splitLines turns a requirements file into its logical lines the way pip
// reads one: a line ending in a backslash continues on the next (unless it
// is a comment line, which never continues), then "#" at the start or after
// white space starts a comment running to the end of the line, and blank
// lines are dropped. A "#" inside a word, as in a URL fragment, is kept.
func splitLines(data string) []logicalLine {
	data = strings.TrimPrefix(data, "\ufeff")
	phys := strings.Split(data, "\n")
	var out []logicalLine
	var joined strings.Builder
	first := 0 // line number where the pending continuation started
	emit := func(s string, n int) {
		if s = strings.TrimSpace(stripComment(s)); s != "" {
			out = append(out, logicalLine{text: s, lineNo: n})
		}
	}
	for i, l := range phys {
		l = strings.TrimSuffix(l, "\r")
		n := i + 1
		if !strings.HasSuffix(l, `\`) || isCommentLine(l) {
			if first != 0 {
				if isCommentLine(l) {
					// A comment line ends a continuation and stays a
					// comment, however it is glued on.
					l = " " + l
				}
				joined.WriteString(l)
				emit(joined.String(), first)
				joined.Reset()
				first = 0
			} else {
				emit(l, n)
			}
			continue
		}
		if first == 0 {
			first = n
		}
		joined.WriteString(strings.TrimRight(l, `\`))
	}
	if first != 0 { // the file ended on a backslash
		emit(joined.String(), first)
	}
	return out
}

// isCommentLine reports whether l is blank up to a "#".
func isCommentLine(l string) bool {
	return strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "#")
}

// stripComment removes a "#" comment that starts the line or follows white
// space (Unicode white space, as Python's \s), together with the white
// space before it.
func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '#' {
			continue
		}
		if r, _ := utf8.DecodeLastRuneInString(s[:i]); i == 0 || unicode.IsSpace(r) {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace)
		}
	}
	return s
}

// ParseRequirements reads a pip requirements file: one PEP 508
// requirement per line, optionally followed by --hash options; "-r FILE"
// includes another file (a relative path is relative to the including
// file); option lines such as --index-url or --find-links are returned as
// Options, in file order, with those of included files. Include cycles are
// an error. Editable requirements (-e), bare paths and URLs without a
// project name cannot be locked and are errors, as are unknown options.
// Environment variables (${VAR}) are not expanded.
func ParseRequirements(path string) ([]Line, []Option, error) {
	return ParseRequirementsIn(path, "")
}

// ParseRequirementsIn is ParseRequirements for a file that belongs to a
// folder: its -r and -c includes must stay inside root (after symbolic
// links are followed), so that a plugin's requirements.txt cannot make
// influx-py read, and quote in an error, a file elsewhere. root "" allows
// any include (a file the user named on the command line).
func ParseRequirementsIn(path, root string) ([]Line, []Option, error) {
	p := &reqParser{}
	if root != "" {
		r, err := filepath.Abs(root)
		if err != nil {
			return nil, nil, err
		}
		if rr, err := filepath.EvalSymlinks(r); err == nil {
			r = rr
		}
		p.root = r
	}
	if err := p.file(path, nil); err != nil {
		return nil, nil, err
	}
	return p.lines, p.options, nil
}

type reqParser struct {
	root    string // includes must stay inside it; "" for no bound
	lines   []Line
	options []Option
}

// inside reports whether the cleaned absolute path p is root or below it.
func (p *reqParser) inside(abs string) bool {
	if p.root == "" {
		return true
	}
	rel, err := filepath.Rel(p.root, abs)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// quotable says whether an error may show a line of the file at path: only
// a file named like a requirements file (*.txt, *.in) is shown, never what
// an include made influx-py open elsewhere.
func quotable(path string) bool {
	ext := strings.ToLower(filepath.Ext(path))
	return ext == ".txt" || ext == ".in"
}

// file parses one file; stack holds the files including it, outermost
// first, as cleaned absolute paths.
func (p *reqParser) file(path string, stack []string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read requirements: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("read requirements: %w", err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	stack = append(stack, abs)
	for _, ll := range splitLines(string(data)) {
		if err := p.line(path, ll, stack); err != nil {
			return err
		}
	}
	return nil
}

// optSpec describes an option pip allows in a requirements file.
type optSpec struct {
	long     string
	hasValue bool
}

// globalOpt returns the long form of an option pip allows in a
// requirements file and whether it takes a value. Options pip accepts that
// influx-py cannot honour (-e, --editable) are not listed and get their own
// error.
func globalOpt(name string) (spec optSpec, ok bool) {
	switch name {
	case "-i", "--index-url":
		return optSpec{"--index-url", true}, true
	case "--extra-index-url":
		return optSpec{"--extra-index-url", true}, true
	case "-f", "--find-links":
		return optSpec{"--find-links", true}, true
	case "-r", "--requirement":
		return optSpec{"--requirement", true}, true
	case "-c", "--constraint":
		return optSpec{"--constraint", true}, true
	case "--only-binary", "--no-binary", "--trusted-host":
		return optSpec{name, true}, true
	case "--no-index", "--pre", "--prefer-binary", "--require-hashes":
		return optSpec{name, false}, true
	}
	return optSpec{}, false
}

// line handles one logical line.
func (p *reqParser) line(path string, ll logicalLine, stack []string) error {
	fail := func(err error) error {
		if !quotable(path) {
			// Not a requirements file by name: say where, not what.
			err = errors.New("not a requirement (the line is not shown: the file is not named like a requirements file)")
		}
		return &ParseError{File: path, Line: ll.lineNo, Err: err}
	}
	if strings.HasPrefix(ll.text, "-") {
		return p.optionLine(path, ll, stack, fail)
	}
	// The requirement runs up to the first word that starts with "-";
	// the rest are options for this requirement (pip's rule).
	words := strings.Fields(ll.text)
	reqText := ll.text
	var optWords []string
	for i, w := range words {
		if strings.HasPrefix(w, "-") {
			cut := wordOffset(ll.text, words, i)
			reqText = strings.TrimSpace(ll.text[:cut])
			optWords = words[i:]
			break
		}
	}
	if looksLikePath(reqText) {
		return fail(fmt.Errorf("%q is a path or URL without a project name; write it as \"name @ url\"", reqText))
	}
	req, err := pep508.ParseRequirement(reqText)
	if err != nil {
		return fail(fmt.Errorf("invalid requirement: %w", err))
	}
	line := Line{Req: req, Raw: reqText, File: path, LineNo: ll.lineNo, Source: where(path, ll.lineNo)}
	for i := 0; i < len(optWords); i++ {
		name, value, hasValue := strings.Cut(optWords[i], "=")
		if name != "--hash" {
			return fail(fmt.Errorf("option %s is not supported after a requirement (only --hash is)", name))
		}
		if !hasValue {
			if i+1 >= len(optWords) {
				return fail(errors.New("--hash needs a value"))
			}
			i++
			value = optWords[i]
		}
		if err := checkHash(value); err != nil {
			return fail(err)
		}
		line.Hashes = append(line.Hashes, value)
	}
	p.lines = append(p.lines, line)
	return nil
}

// wordOffset returns the byte offset in s of words[i], words being
// strings.Fields(s).
func wordOffset(s string, words []string, i int) int {
	off := 0
	for j := 0; j <= i; j++ {
		k := strings.Index(s[off:], words[j])
		off += k
		if j < i {
			off += len(words[j])
		}
	}
	return off
}

// looksLikePath spots what pip would install from a path or a bare URL:
// such lines have no project name to lock under.
func looksLikePath(s string) bool {
	return strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.Contains(s, "://") && !strings.Contains(s, "@")
}

// checkHash validates a --hash value: algorithm:hexdigest, with an
// algorithm pip accepts.
func checkHash(v string) error {
	alg, digest, ok := strings.Cut(v, ":")
	want := map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}[alg]
	if !ok || want == 0 {
		return fmt.Errorf("--hash %q: want sha256:<hex>, sha384:<hex> or sha512:<hex>", v)
	}
	if len(digest) != want || strings.Trim(strings.ToLower(digest), "0123456789abcdef") != "" {
		return fmt.Errorf("--hash %q: %s digest must be %d hex digits", v, alg, want)
	}
	return nil
}

// optionLine handles a line of global options, possibly several.
func (p *reqParser) optionLine(path string, ll logicalLine, stack []string, fail func(error) error) error {
	words := strings.Fields(ll.text)
	for i := 0; i < len(words); i++ {
		w := words[i]
		name, value, inline := w, "", false
		if strings.HasPrefix(w, "--") {
			if n, v, ok := strings.Cut(w, "="); ok {
				name, value, inline = n, v, true
			}
		} else if len(w) > 2 && w[0] == '-' {
			name, value, inline = w[:2], w[2:], true // -ihttps://..., -rfile.txt
		}
		switch name {
		case "-e", "--editable":
			return fail(fmt.Errorf("%s: editable requirements cannot be locked", name))
		case "--hash":
			return fail(errors.New("--hash must follow a requirement on the same line"))
		}
		spec, ok := globalOpt(name)
		if !ok {
			if !strings.HasPrefix(name, "-") {
				return fail(fmt.Errorf("unexpected %q after options (put requirements on their own lines)", w))
			}
			return fail(fmt.Errorf("unknown option %s", name))
		}
		if !spec.hasValue {
			if inline {
				return fail(fmt.Errorf("option %s takes no value", name))
			}
			p.options = append(p.options, Option{Name: spec.long, File: path, LineNo: ll.lineNo, Source: where(path, ll.lineNo)})
			continue
		}
		if !inline {
			if i+1 >= len(words) {
				return fail(fmt.Errorf("option %s needs a value", name))
			}
			i++
			value = words[i]
		}
		if value == "" {
			return fail(fmt.Errorf("option %s needs a value", name))
		}
		if spec.long == "--requirement" {
			if err := p.include(path, value, ll, stack, fail); err != nil {
				return err
			}
			continue
		}
		p.options = append(p.options, Option{Name: spec.long, Value: value, File: path, LineNo: ll.lineNo, Source: where(path, ll.lineNo)})
	}
	return nil
}

// include follows "-r name" from the file at path.
func (p *reqParser) include(path, name string, ll logicalLine, stack []string, fail func(error) error) error {
	if strings.Contains(name, "://") {
		return fail(fmt.Errorf("-r %s: including requirements from a URL is not supported", name))
	}
	target := name
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(path), target)
	}
	abs, err := filepath.Abs(target)
	if err != nil {
		return fail(err)
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	}
	if !p.inside(abs) {
		return fail(fmt.Errorf("-r %s: outside the plugin dir %s; a plugin's requirements may only include files inside it", name, p.root))
	}
	for i, s := range stack {
		if s == abs {
			chain := make([]string, 0, len(stack)-i+1)
			for _, c := range stack[i:] {
				chain = append(chain, filepath.Base(c))
			}
			chain = append(chain, filepath.Base(abs))
			return fail(fmt.Errorf("-r %s: include cycle: %s", name, strings.Join(chain, " -> ")))
		}
	}
	if err := p.file(target, stack); err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			return err // already names its own file and line
		}
		return fail(fmt.Errorf("-r %s: %w", name, err))
	}
	return nil
}
