// Package reqs reads the direct requirements that plugins declare, in pip's
// requirements.txt format and in the [dependencies] table of an InfluxDB 3
// manifest.toml, and merges them into one requirement per project, so that
// influx-py can lock what a plugin folder needs and tell the user which
// plugins disagree.
//
// Every requirement keeps where it came from (file, line, plugin): a
// conflict is only useful when it says who asked for what.
package reqs

import (
	"fmt"

	"github.com/influx-py/influx-py/internal/pep508"
)

// Line is one requirement as a file declares it.
type Line struct {
	Req *pep508.Requirement
	// Raw is the requirement as written: continuation lines joined,
	// comment and per-requirement options removed.
	Raw string
	// Hashes are the line's --hash values as written ("sha256:<hex>").
	Hashes []string
	// File is the path the requirement was read from (as opened, built
	// from the path given to the parser) and LineNo its 1-based line; for
	// a continued line, its first physical line.
	File   string
	LineNo int
	// Plugin names the plugin that declared it ("" when the requirement
	// is not a plugin's: a top-level requirements.txt, or a file parsed
	// directly). Set by CollectPlugins.
	Plugin string
	// Source says where the requirement came from, for messages:
	// "requirements.txt:3", or from CollectPlugins
	// "plugin anomaly_alert (manifest.toml:3)".
	Source string
}

// Option is an option line of a requirements file (--index-url, -f, ...).
// Options are not requirements, but they change where packages come from,
// so the parser reports them instead of dropping them.
type Option struct {
	// Name is the option's long form: "--index-url", "--extra-index-url",
	// "--find-links", "--no-index", "--constraint", "--pre",
	// "--trusted-host", "--only-binary", "--no-binary", "--prefer-binary",
	// "--require-hashes".
	Name string
	// Value is the argument as written ("" for flags). As with pip,
	// a relative --find-links or --constraint path is relative to the
	// folder of File.
	Value  string
	File   string
	LineNo int
	Source string
	// Bound is the folder a path in Value must stay inside: the plugin
	// dir, for an option from a plugin's file ("" for no bound). Set by
	// CollectPlugins.
	Bound string
}

func (o Option) String() string {
	if o.Value == "" {
		return o.Name
	}
	return o.Name + " " + o.Value
}

// ParseError is a line that cannot be read. Err is a *pep508.SyntaxError
// for a malformed requirement, whose message draws a caret under the fault.
type ParseError struct {
	File string
	Line int // 0 when the error concerns the whole file
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

func where(file string, line int) string {
	return fmt.Sprintf("%s:%d", file, line)
}
