// Command influx-py keeps the Python virtual environment of the InfluxDB 3
// processing engine exactly as a PEP 751 lock file says.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"

	"github.com/influx-py/influx-py/internal/backends"
	"github.com/influx-py/influx-py/internal/cli"
	"github.com/influx-py/influx-py/internal/engine"
	internalrun "github.com/influx-py/influx-py/internal/run"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = ""

func main() {
	os.Exit(run())
}

// run is main without the exit, so that testscript can call it in-process.
func run() int { return runWith(backends.Real{}, nil) }

// runWith is run with the given backends and a hook around every child
// process start: the interruption tests set the hook, and the tests of the
// whole pinned-uv path pin a uv they can have.
func runWith(b engine.Backends, intercept func(int64, internalrun.Cmd, func() ([]byte, error)) ([]byte, error)) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := cli.New(appVersion(), cli.IO{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Environ:   os.Environ(),
		Terminal:  term.IsTerminal(int(os.Stderr.Fd())),
		Backends:  b,
		Intercept: intercept,
	})
	return cli.Report(os.Stderr, cli.Run(ctx, app, os.Args))
}

func appVersion() string {
	bi, _ := debug.ReadBuildInfo()
	return cli.Version(version, bi)
}
