// Package cli turns command lines into calls of the engine: one file per
// command, flags bound to an options struct, results on stdout (text or
// --json) and diagnostics on stderr.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/run"
)

// Exit codes, the same for every command.
const (
	ExitOK    = 0
	ExitDrift = 1 // check: the venv differs from the lock
	ExitError = 2 // anything failed, including bad usage
)

// IO is what main gives the app: the process's streams and environment,
// and the implementations it wires in.
type IO struct {
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	// Terminal reports whether stderr is a terminal (progress bars).
	Terminal bool
	// Backends are the installers the engine uses; main wires the real
	// ones in (package backends).
	Backends engine.Backends
	// Intercept, when set, wraps the start of every child process (see
	// run.Runner.Intercept): the interruption tests stop the run at the
	// Nth child. main leaves it nil.
	Intercept func(n int64, c run.Cmd, start func() ([]byte, error)) ([]byte, error)
}

// global holds the flags accepted before the command.
type global struct {
	output
}

// New builds the application.
func New(version string, stdio IO) *cli.App {
	g := &global{}
	// urfave's default version flag takes -v, which is --verbose here.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Aliases: []string{"V"}, Usage: "print the version, with the commit it was built from"}
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
		Metadata:               map[string]any{"environ": stdio.Environ},
		Writer:                 stdio.Stdout,
		ErrWriter:              stdio.Stderr,
		HideHelpCommand:        false,
		UseShortOptionHandling: true,
		Suggest:                true,
		Flags:                  g.output.flags(),
		// A mistyped command is a usage error like any other; no command at
		// all shows the help.
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				name := c.Args().First()
				if s := suggest(name, c.App.Commands); s != "" {
					return usageError{err: fmt.Errorf("unknown command %q (did you mean %q?)", name, s)}
				}
				return usageError{err: fmt.Errorf("unknown command %q", name)}
			}
			return cli.ShowAppHelp(c)
		},
		// Errors are printed once, by Report; urfave must not print them too.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageProblem(c, err)
		},
	}
	app.Commands = []*cli.Command{
		syncCommand(g, stdio, version),
		checkCommand(g, stdio, version),
		statusCommand(g, stdio, version),
		doctorCommand(g, stdio, version),
		addCommand(g, stdio, version),
		removeCommand(g, stdio, version),
		lockCommand(g, stdio, version),
		uvCommand(g, stdio, version),
		envCommand(g, stdio, version),
		runCommand(g, stdio, version),
		wheelhouseCommand(g, stdio, version),
		cacheCommand(g, stdio, version),
		fleetCommand(g, stdio, version),
		completionCommand(stdio),
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
		c.Action = namesCommand(c.Action)
		for _, sub := range c.Subcommands {
			sub.OnUsageError = app.OnUsageError
			sub.Action = namesCommand(sub.Action)
		}
	}
	return app
}

// namesCommand makes a usage error of a command's action name the command,
// so that its hint points at that command's --help.
func namesCommand(action cli.ActionFunc) cli.ActionFunc {
	if action == nil {
		return nil
	}
	return func(c *cli.Context) error {
		err := action(c)
		var u usageError
		if errors.As(err, &u) && u.cmd == "" && c.Command != nil {
			u.cmd = c.Command.FullName()
			return u
		}
		return err
	}
}

// usageError marks bad command lines, which get a hint to read --help.
type usageError struct {
	err error
	cmd string // the command whose --help to read, "" for the app's
}

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// exitCode is an outcome that is not an error but has its own exit code
// (check's drift).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

// newEngine wires an engine for one command run.
func newEngine(g *global, stdio IO, version string, o output) *engine.Engine {
	stderr := stdio.Stderr
	var term *terminal
	if stdio.Terminal && !(o.quiet || g.quiet || o.noProgress || g.noProgress || dumbTerminal(stdio.Environ)) {
		term = newTerminal(stdio.Stderr)
		stderr = term.Writer(stdio.Stderr)
	}
	e := &engine.Engine{
		Backends: stdio.Backends,
		Runner:   &run.Runner{Intercept: stdio.Intercept},
		Environ:  stdio.Environ,
		HTTP:     httpClient(),
		Sys:      engine.HostSystem(exec.LookPath),
		Now:      time.Now,
		Warn:     prefixWriter(stderr, "influx-py: warning: "),
		Version:  version,
	}
	if g.verbose || o.verbose {
		e.Log = prefixWriter(stderr, "influx-py: ")
		e.Runner.Log = e.Log
		e.ChildStderr = prefixWriter(stderr, "")
	}
	if term != nil {
		e.Report, e.Progress = term, term.download
	}
	return e
}

// dumbTerminal is a terminal that cannot redraw a line (TERM=dumb, as in
// Emacs' shell).
func dumbTerminal(environ []string) bool {
	for _, kv := range environ {
		if kv == "TERM=dumb" {
			return true
		}
	}
	return false
}

// httpClient bounds each phase of a download: an unreachable host (an
// air-gapped site without --offline) fails in seconds instead of hanging a
// server start, while a large file on a slow link may still take minutes.
//
// Credentials come from ~/.netrc (or $NETRC), never from a lock; and an
// Authorization header never follows a redirect to another scheme, host
// or port (Go's own rule looks at the host alone).
func httpClient() *http.Client {
	dialer := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: 30 * time.Minute,
		Transport: &fetch.Netrc{Base: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: time.Minute,
			MaxIdleConnsPerHost:   4,
		}},
		CheckRedirect: dropAuthOnRedirect,
	}
}

func dropAuthOnRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if first := via[0].URL; req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		req.Header.Del("Authorization")
	}
	return nil
}

// defaultCacheDir is where downloads and interpreter probes are kept
// between runs when neither --cache-dir nor INFLUX_PY_CACHE_DIR says.
//
// Never a shared folder such as /tmp: another local user could put an
// interpreter probe or a uv there first. Without a home, root uses
// /var/cache/influx-py; anyone else caches nothing (and is told so).
func defaultCacheDir() string {
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "influx-py")
	}
	if os.Geteuid() == 0 {
		return "/var/cache/influx-py"
	}
	return ""
}

// isCanceled reports an interrupted run.
func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled)
}

// suggest returns the command whose name is within two edits of name.
func suggest(name string, cmds []*cli.Command) string {
	best, bestDist := "", 3
	for _, c := range cmds {
		if d := editDistance(name, c.Name); d < bestDist {
			best, bestDist = c.Name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance, with a transposition counted
// as one edit ("snyc" is one edit from "sync").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}
