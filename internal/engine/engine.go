// Package engine holds influx-py's verbs. Each one resolves locations,
// reads the lock and the venv, plans with pure functions, and only then acts
// through a Backend it is handed. It knows nothing of TOML, pip, uv or HTTP:
// those live in the leaf packages it calls and the backends main wires in.
package engine

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/run"
)

// Engine carries what every verb needs from the outside world. Nothing in
// it is global: tests build one with their own runner, client, clock and
// backends.
type Engine struct {
	// Backends are the installers and resolvers, wired in by main.
	Backends Backends
	// Probe, when set, replaces the cached interpreter probe (tests of the
	// decisions describe an interpreter without running one).
	Probe func(ctx context.Context, cacheDir, python string) (*interp.Info, error)

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
	// Report shows the phases of a long command; nil shows nothing.
	Report Reporter
	// ChildStderr, when set, shows children's stderr live (-v).
	ChildStderr io.Writer
	// Version is influx-py's version, recorded in the stamp.
	Version string

	trusted map[string]error  // cache dirs checked, and what was found
	fetched map[string]string // remote folder sources fetched by this command, and where
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

// trustCache checks, once per engine, that the cache dir is this user's
// alone before anything in it is read or run (see fsutil.PrivateDir). An
// empty dir means no cache.
func (e *Engine) trustCache(dir string) error {
	if dir == "" {
		return nil
	}
	if err, ok := e.trusted[dir]; ok {
		return err
	}
	err := fsutil.PrivateDir(dir)
	if err != nil {
		err = fmt.Errorf("cache directory: %w", err)
	}
	if e.trusted == nil {
		e.trusted = map[string]error{}
	}
	e.trusted[dir] = err
	return err
}
