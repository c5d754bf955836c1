package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/influx-py/influx-py/internal/activate"
)

func runCommand(g *global, stdio IO, version string) *cli.Command {
	f := &whereFlags{}
	return &cli.Command{
		Name:      "run",
		Usage:     "run a command inside the venv",
		UsageText: "influx-py run [options] -- COMMAND [ARGS...]",
		Description: `Runs COMMAND as if the venv were activated: with VIRTUAL_ENV set, the venv's
bin dir first on PATH (so python and pip are the venv's) and PYTHONHOME unset.
The rest of the environment is passed on as it is, and so are stdin, stdout
and stderr. Options for influx-py go before "--".

Exit status: the command's own (128+N when signal N killed it); 2 when
influx-py could not start it. SIGTERM and SIGHUP sent to influx-py are passed
on; Ctrl-C from a terminal reaches the command directly, and a SIGINT sent to
influx-py when there is no terminal is passed on.

Examples:
   influx-py run -- python -c 'import requests; print(requests.__version__)'
   influx-py run -- pip list
   influx-py run --plugin-dir /var/lib/influxdb3/plugins -- python -m pytest tests/`,
		Flags: activationFlags(f),
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usageError{err: fmt.Errorf("run needs a command: influx-py run [options] -- COMMAND [ARGS...]")}
			}
			args := c.Args().Slice()
			e := newEngine(g, stdio, version, f.output)
			a, err := e.Activation(f.where())
			if err != nil {
				return err
			}
			warnProblems(stdio, a)
			env, err := activate.Env(stdio.Environ, a.Layout, a.Prompt)
			if err != nil {
				return err
			}
			path, err := activate.FindCommand(args[0], env, a.Layout)
			if err != nil {
				return err
			}
			if e.Log != nil {
				fmt.Fprintf(e.Log, "run: %s %s\n", path, strings.Join(args[1:], " "))
			}
			return runChild(path, args, env, stdio)
		},
	}
}

// runChild runs the command and turns its end into influx-py's exit code.
//
// Signals: the child stays in influx-py's process group, so the signals a
// terminal sends to the foreground group (Ctrl-C, Ctrl-\, a hangup) reach it
// directly, and influx-py only has to stay alive until it exits (main
// already catches SIGINT and SIGTERM; SIGQUIT and SIGHUP are caught here so
// that influx-py does not die, or dump its goroutines, under the child).
// Forwarding those would deliver them twice, and a Python that is cleaning
// up after its first KeyboardInterrupt would be interrupted again. When
// stdin is not a terminal, such a signal was sent to influx-py alone (kill,
// a supervisor) and is passed on. SIGTERM never comes from a terminal and is
// always passed on. exec.CommandContext is not used because cancelling the
// context cannot tell these cases apart.
func runChild(path string, args, env []string, stdio IO) error {
	cmd := exec.Command(path, args[1:]...)
	cmd.Args[0] = args[0] // the name the user typed, as a shell passes it
	cmd.Env = env
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdio.Stdout
	cmd.Stderr = stdio.Stderr

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", args[0], err)
	}
	fromTerminal := term.IsTerminal(int(os.Stdin.Fd()))
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				if forwardSignal(s, fromTerminal) {
					// The child may have exited in the meantime; nothing
					// to do then. (Windows can only kill; a console's
					// Ctrl-C reaches every process on it anyway.)
					_ = cmd.Process.Signal(s)
				}
			case <-done:
				return
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(childExitCode(ee.ProcessState))
	}
	return fmt.Errorf("run %s: %w", args[0], err)
}

// forwardSignal decides whether a signal influx-py received is passed to the
// child: not when a terminal sent it to the whole foreground process group,
// child included.
func forwardSignal(s os.Signal, stdinIsTerminal bool) bool {
	switch s {
	case os.Interrupt, syscall.SIGQUIT, syscall.SIGHUP:
		return !stdinIsTerminal
	}
	return true
}

// childExitCode is the exit code a shell would report for the child: its
// own, or 128 plus the number of the signal that killed it.
func childExitCode(ps *os.ProcessState) int {
	if code := ps.ExitCode(); code >= 0 {
		return code
	}
	if ws, ok := ps.Sys().(interface {
		Signaled() bool
		Signal() syscall.Signal
	}); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ExitError
}
