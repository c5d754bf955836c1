package cli

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryFlagHasAnEnvVar: operators configure influx-py from a service
// unit's environment, so each flag of each command must have an
// INFLUX_PY_* (or the server's own) variable.
func TestEveryFlagHasAnEnvVar(t *testing.T) {
	app := New("test", IO{Stdout: io.Discard, Stderr: io.Discard})
	var walk func(prefix string, cmds []*cli.Command)
	check := func(where string, flags []cli.Flag) {
		for _, f := range flags {
			d, ok := f.(cli.DocGenerationFlag)
			if !ok {
				t.Errorf("%s: flag %v cannot report its variables", where, f.Names())
				continue
			}
			if len(d.GetEnvVars()) == 0 {
				t.Errorf("%s: flag --%s has no environment variable", where, f.Names()[0])
			}
		}
	}
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			check(prefix+c.Name, c.Flags)
			walk(prefix+c.Name+" ", c.Subcommands)
		}
	}
	check("influx-py", app.Flags)
	walk("", app.Commands)
}

// TestREADMEListsEveryEnvVar: the README's table of variables is where an
// operator looks; a flag's variable missing from it is a variable nobody
// finds.
func TestREADMEListsEveryEnvVar(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	app := New("test", IO{Stdout: io.Discard, Stderr: io.Discard})
	seen := map[string]bool{}
	var walk func(cmds []*cli.Command, flags []cli.Flag)
	walk = func(cmds []*cli.Command, flags []cli.Flag) {
		for _, f := range flags {
			if d, ok := f.(cli.DocGenerationFlag); ok {
				for _, v := range d.GetEnvVars() {
					if !seen[v] && !strings.Contains(string(readme), "`"+v+"`") {
						t.Errorf("README.md does not list %s (--%s)", v, f.Names()[0])
					}
					seen[v] = true
				}
			}
		}
		for _, c := range cmds {
			walk(c.Subcommands, c.Flags)
		}
	}
	walk(app.Commands, app.Flags)
}
