// Package cli turns command lines into calls of the engine: one file per
// command, flags bound to an options struct, results on stdout (text or
// --json) and diagnostics on stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/run"
)

// Exit codes, the same for every command.
const (
	ExitOK    = 0
	ExitDrift = 1 // check: the venv differs from the lock
	ExitError = 2 // anything failed, including bad usage
)

// IO is what the app reads and writes; main passes the process's.
type IO struct {
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	// Terminal reports whether stderr is a terminal (progress bars).
	Terminal bool
}

// global holds the flags accepted before the command.
type global struct {
	verbose bool
}

// New builds the application.
func New(version string, stdio IO) *cli.App {
	g := &global{}
	// urfave's default version flag takes -v, which is --verbose here.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version"}
	app := &cli.App{
		Name:    "influx-py",
		Usage:   "a verified, reproducible Python environment for InfluxDB 3 plugins",
		Version: version,
		Description: `influx-py keeps the virtual environment of the InfluxDB 3 processing engine
(<plugin-dir>/.venv) exactly as a PEP 751 lock file (<plugin-dir>/pylock.toml) says,
with every file's hash verified. Run "influx-py sync" before the server starts.

Examples:
   influx-py sync --plugin-dir /var/lib/influxdb3/plugins
   influx-py sync --offline --find-links /srv/wheels
   influx-py check --json`,
		Writer:                 stdio.Stdout,
		ErrWriter:              stdio.Stderr,
		HideHelpCommand:        true,
		UseShortOptionHandling: true,
		Suggest:                true,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show what influx-py decides and runs, on stderr", EnvVars: []string{"INFLUX_PY_VERBOSE"}, Destination: &g.verbose},
		},
		// Errors are printed once, by Report; urfave must not print them too.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
	}
	app.Commands = []*cli.Command{
		syncCommand(g, stdio, version),
		checkCommand(g, stdio, version),
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}

// usageError marks bad command lines, which get a hint to read --help.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// exitCode is an outcome that is not an error but has its own exit code
// (check's drift).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// newEngine wires an engine for one command run.
func newEngine(g *global, stdio IO, version string, verbose bool) *engine.Engine {
	e := &engine.Engine{
		Runner:  &run.Runner{},
		Environ: stdio.Environ,
		HTTP:    &http.Client{Timeout: 10 * time.Minute},
		Sys:     engine.HostSystem(exec.LookPath),
		Now:     time.Now,
		Warn:    prefixWriter(stdio.Stderr, "influx-py: warning: "),
		Version: version,
	}
	if g.verbose || verbose {
		e.Log = prefixWriter(stdio.Stderr, "influx-py: ")
		e.Runner.Log = e.Log
		e.ChildStderr = stdio.Stderr
	}
	if stdio.Terminal {
		e.Progress = progressBar(stdio.Stderr)
	}
	return e
}

// defaultCacheDir is where downloads and interpreter probes are kept
// between runs when neither --cache-dir nor INFLUX_PY_CACHE_DIR says.
func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "influx-py")
	}
	return filepath.Join(os.TempDir(), "influx-py-cache")
}

// isCanceled reports an interrupted run.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled)
}
