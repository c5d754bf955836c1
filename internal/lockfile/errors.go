package lockfile

import (
	"fmt"
	"strings"
)

// SyntaxError is a pylock.toml that is not valid TOML.
type SyntaxError struct {
	File         string
	Line, Column int    // 1-based; 0 when the decoder gave no position
	Msg          string // the decoder's message
	Context      string // the offending lines with a marker, when known
}

func (e *SyntaxError) Error() string {
	msg := fmt.Sprintf("%s: %s", fileLabel(e.File), e.Msg)
	if e.Line > 0 {
		msg = fmt.Sprintf("%s:%d:%d: %s", fileLabel(e.File), e.Line, e.Column, e.Msg)
	}
	return msg
}

// Detail is the message with the offending lines and a marker under the
// fault, for a person to read.
func (e *SyntaxError) Detail() string {
	if strings.TrimSpace(e.Context) == "" {
		return e.Error()
	}
	return e.Error() + "\n" + strings.TrimRight(e.Context, "\n")
}

// ValidationError is one way a lock file breaks the PEP 751 rules.
type ValidationError struct {
	File    string // the name given to Parse
	Package string // the package's ID (name==version or name); empty for lock-level fields
	Index   int    // the package's index in packages; -1 for lock-level fields
	Field   string // the key, relative to the package for package fields, e.g. "wheels[0].hashes"
	Msg     string
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(fileLabel(e.File))
	b.WriteString(": ")
	if e.Index >= 0 {
		if e.Package != "" {
			fmt.Fprintf(&b, "package %q (packages[%d]): ", e.Package, e.Index)
		} else {
			fmt.Fprintf(&b, "packages[%d]: ", e.Index)
		}
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ValidationErrors is every validation error Parse found, in file order, so
// that one run shows all that needs fixing.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the individual *ValidationError values.
func (es ValidationErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

func fileLabel(name string) string {
	if name == "" {
		return "pylock.toml"
	}
	return name
}
