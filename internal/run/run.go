// Package run is the one way influx-py starts a child process: with an
// explicitly built environment, cancellation through a context, the full
// command line logged at -v, and the child's stderr kept for the error when it
// fails.
package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/influx-py/influx-py/internal/redact"
)

// Runner starts child processes. The zero value is usable: it logs nothing.
type Runner struct {
	// Log, when set, receives the command line of every child before it starts
	// (the -v output).
	Log io.Writer
	// Started counts children started through this Runner. Tests use it to
	// prove that a no-op sync starts no process.
	Started atomic.Int64
	// WaitDelay bounds how long a cancelled child may keep its pipes open.
	WaitDelay time.Duration
	// Intercept, when set, is called for every child instead of starting
	// it; start starts it. n numbers the calls of Run from 1. It lets the
	// wiring trace children or inject faults (the interruption tests fail
	// or abandon the run at the Nth child) without a global.
	Intercept func(n int64, c Cmd, start func() ([]byte, error)) ([]byte, error)

	calls atomic.Int64
}

// Cmd describes one child process.
type Cmd struct {
	Path string   // program to run
	Args []string // arguments, without the program name
	Env  []string // the complete environment; see Env for building one
	Dir  string   // working directory; empty means the current one
	// Stdout, when set, receives the child's stdout as it is written;
	// otherwise stdout is collected and returned by Output.
	Stdout io.Writer
	// Stderr, when set, also receives the child's stderr live. It is always
	// collected for the error message as well.
	Stderr io.Writer
	// Shown, when set, are the arguments as messages and -v show them,
	// for a command whose real ones are a program text no one should
	// have to read in an error (the interpreter probe's script).
	Shown []string
}

// Error reports a child that could not start or exited unsuccessfully.
type Error struct {
	Cmd      string // the command line, quoted for a shell
	ExitCode int    // -1 when the process did not start or was killed
	Stderr   string // the tail of the child's stderr
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.ExitCode >= 0 {
		fmt.Fprintf(&b, "%s: exit status %d", e.Cmd, e.ExitCode)
	} else {
		fmt.Fprintf(&b, "%s: %v", e.Cmd, e.Err)
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		b.WriteString("\n")
		b.WriteString(indent(redact.Text(s)))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// stderrLimit keeps the end of a chatty child's stderr; the last lines are
// where tools such as pip put the reason for a failure.
const stderrLimit = 16 << 10

// Run starts c, waits for it and returns its collected stdout. A child that
// fails gives an *Error carrying its stderr; a cancelled context kills it.
func (r *Runner) Run(ctx context.Context, c Cmd) ([]byte, error) {
	n := r.calls.Add(1)
	if r.Intercept != nil {
		return r.Intercept(n, c, func() ([]byte, error) { return r.start(ctx, c) })
	}
	return r.start(ctx, c)
}

func (r *Runner) start(ctx context.Context, c Cmd) ([]byte, error) {
	shown := c.Args
	if c.Shown != nil {
		shown = c.Shown
	}
	line := CommandLine(c.Path, shown)
	if r.Log != nil {
		fmt.Fprintf(r.Log, "+ %s\n", line)
	}
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Env = c.Env
	if cmd.Env == nil {
		// A nil Env would inherit ours; children get exactly what they were given.
		cmd.Env = []string{}
	}
	cmd.Dir = c.Dir
	dieWithParent(cmd)
	// On cancellation (Ctrl-C, SIGTERM) the child is asked to stop first,
	// so that pip can finish writing a file and roll back what it
	// uninstalled; WaitDelay then bounds how long it may take.
	cmd.Cancel = func() error { return interrupt(cmd.Process) }
	cmd.WaitDelay = r.WaitDelay
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	var stdout bytes.Buffer
	if c.Stdout != nil {
		cmd.Stdout = c.Stdout
	} else {
		cmd.Stdout = &stdout
	}
	tail := &tailBuffer{limit: stderrLimit}
	if c.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, c.Stderr)
	} else {
		cmd.Stderr = tail
	}
	r.Started.Add(1)
	err := cmd.Run()
	if err == nil {
		return stdout.Bytes(), nil
	}
	e := &Error{Cmd: line, ExitCode: -1, Stderr: tail.String(), Err: err}
	var exit *exec.ExitError
	if ctx.Err() != nil {
		e.Err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	} else if errors.As(err, &exit) && exit.ExitCode() >= 0 {
		e.ExitCode = exit.ExitCode()
	}
	return stdout.Bytes(), e
}

// CommandLine renders a command as one could paste it into a POSIX shell,
// except that an inline script (an argument of several lines, such as the
// interpreter probe's -c program) is summarized: its text is in influx-py's
// source, and pages of it would bury the rest of the -v output.
//
// Secrets in URLs (a password, a token) are hidden: the line goes to logs
// and error messages.
func CommandLine(path string, args []string) string {
	parts := make([]string, 0, len(args)+1)
	parts = append(parts, shellQuote(path))
	for _, a := range args {
		a = redact.Text(a)
		if strings.Contains(a, "\n") {
			// A final newline ends the last line; it does not start another.
			n := strings.Count(strings.TrimSuffix(a, "\n"), "\n") + 1
			parts = append(parts, fmt.Sprintf("'<script of %d lines>'", n))
			continue
		}
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = "    " + l
	}
	return strings.Join(lines, "\n")
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	limit int
	buf   []byte
	cut   bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	if t.cut {
		return "...\n" + string(t.buf)
	}
	return string(t.buf)
}
