// Package engine holds influx-py's verbs. Each one resolves locations,
// reads the lock and the venv, plans with pure functions, and only then acts
// through a Backend. It knows nothing of TOML, pip, uv or HTTP: those live
// in the leaf packages it calls.
package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/influx-py/influx-py/internal/run"
)

// Backend creates venvs and changes what is installed in them. The pip
// fallback and uv implement it.
type Backend interface {
	Name() string
	// Create makes a new venv at dir with python, with pip inside.
	Create(ctx context.Context, python, dir string) error
	// Install installs the local files named in a requirements file (one
	// path per line, each with --hash=sha256:...), without dependencies and
	// without an index, reinstalling any that are already present.
	Install(ctx context.Context, venvPython, requirements string) error
	// Uninstall removes the named distributions.
	Uninstall(ctx context.Context, venvPython string, names []string) error
}

// Engine carries what every verb needs from the outside world. Nothing in
// it is global: tests build one with their own runner, client and clock.
type Engine struct {
	Runner  *run.Runner
	Environ []string // the parent environment children's are built from
	HTTP    *http.Client
	Sys     System
	Now     func() time.Time
	// Log receives -v diagnostics; Warn receives warnings. Either may be nil.
	Log  io.Writer
	Warn io.Writer
	// Progress returns a writer that shows a download's progress, or nil.
	Progress func(name string, total int64) io.Writer
	// ChildStderr, when set, shows children's stderr live (-v).
	ChildStderr io.Writer
	// Version is influx-py's version, recorded in the stamp.
	Version string
}

func (e *Engine) logf(format string, args ...any) {
	if e.Log != nil {
		fmt.Fprintf(e.Log, format+"\n", args...)
	}
}

func (e *Engine) warnf(format string, args ...any) {
	if e.Warn != nil {
		fmt.Fprintf(e.Warn, format+"\n", args...)
	}
}
