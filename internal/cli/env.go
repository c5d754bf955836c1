package cli

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/activate"
	"github.com/influx-py/influx-py/internal/engine"
)

type envFlags struct {
	whereFlags
	shell string
}

func envCommand(g *global, stdio IO, version string) *cli.Command {
	f := &envFlags{}
	return &cli.Command{
		Name:      "env",
		Usage:     "print the shell commands that enter the venv",
		UsageText: "influx-py env [--shell " + strings.Join(activate.Shells(), "|") + "] [options]",
		Description: `Prints what the venv's activate script does, for one shell: VIRTUAL_ENV set,
the venv's bin dir first on PATH, PYTHONHOME unset, the prompt prefixed with
the venv's name, and a deactivate command to leave. Paths and the prompt are
quoted for that shell, so a venv under a path with spaces or quotes works.
Nothing is changed: the output is meant to be evaluated by the shell.

The shell defaults to the one $SHELL names (sh, bash, zsh or fish), and to
PowerShell on Windows. sh, bash and zsh get one script that works in all three.
The venv's own activate scripts keep working too ("source .venv/bin/activate").

Examples:
   eval "$(influx-py env)"
   eval "$(influx-py env --plugin-dir /var/lib/influxdb3/plugins)"
   influx-py env --shell fish | source
   influx-py env --shell powershell | Out-String | Invoke-Expression
   influx-py env --shell cmd > "%TEMP%\influx-py-env.bat" && call "%TEMP%\influx-py-env.bat"`,
		Flags: append(activationFlags(&f.whereFlags),
			&cli.StringFlag{Name: "shell", Usage: "write for `SHELL`: " + strings.Join(activate.Shells(), ", ") + " (default: from $SHELL; powershell on Windows)", EnvVars: []string{"INFLUX_PY_SHELL"}, Destination: &f.shell},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("env takes no arguments, got %q", c.Args().Slice())}
			}
			// The shell is checked before anything is read, so a typo is a
			// usage error whatever state the venv is in.
			shell, err := chooseShell(f.shell, runtime.GOOS, stdio.Environ)
			if err != nil {
				return usageError{err: err}
			}
			e := newEngine(g, stdio, version, f.output)
			a, err := e.Activation(f.where())
			if err != nil {
				return err
			}
			warnProblems(stdio, a)
			script, err := activate.Script(shell, a.Layout, a.Prompt)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(stdio.Stdout, script)
			return err
		},
	}
}

// chooseShell is --shell when given, else the default for the OS and
// $SHELL.
func chooseShell(flag, goos string, environ []string) (string, error) {
	if flag != "" {
		return activate.ParseShell(flag)
	}
	shell, err := activate.DefaultShell(goos, environ)
	if err != nil {
		return "", fmt.Errorf("%w; pass --shell", err)
	}
	return shell, nil
}

// activationFlags are the location flags that entering a venv uses: where
// it is and -v. The lock, interpreter and cache play no part.
func activationFlags(w *whereFlags) []cli.Flag {
	var out []cli.Flag
	for _, fl := range w.flags() {
		switch fl.Names()[0] {
		case "plugin-dir", "venv", "verbose":
			out = append(out, fl)
		}
	}
	return out
}

// warnProblems says on stderr what is wrong with a venv that can still be
// entered (its interpreter gone, say), so the failure that follows is not a
// mystery. stdout is left to the script.
func warnProblems(stdio IO, a *engine.Activation) {
	for _, p := range a.Problems {
		fmt.Fprintf(stdio.Stderr, "influx-py: warning: venv %s: %s\n", a.Layout.Root(), p)
	}
	if len(a.Problems) > 0 {
		fmt.Fprintln(stdio.Stderr, "influx-py: hint: run 'influx-py sync' to repair the venv")
	}
}
