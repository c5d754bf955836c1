package cli

import (
	"context"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// Run runs the app on a command line whose flags may come after the
// arguments, as uv, pip and git accept them: `add requests --plugin-dir
// DIR`, `sync DIR --offline`. urfave/cli stops reading flags at the first
// argument, so Interspersed moves them before it first.
//
// A command with --json that fails prints {"error": {...}} on stdout too,
// so that a script reading stdout learns why.
func Run(ctx context.Context, app *cli.App, args []string) error {
	args = Interspersed(app, args)
	unsetEmptyEnv(app)
	err := app.RunContext(ctx, args)
	if err != nil && wantsJSON(app, args) {
		writeJSONError(app.Writer, err)
	}
	return err
}

// wantsJSON reports whether the command args run has a --json flag that is
// on: given before "--", or from INFLUX_PY_JSON.
func wantsJSON(app *cli.App, args []string) bool {
	cmd := commandOf(app, args)
	if cmd == nil || findFlag(cmd.Flags, "json") == nil {
		return false
	}
	on := false
	if environ, ok := app.Metadata["environ"].([]string); ok {
		for _, kv := range environ {
			if v, ok := strings.CutPrefix(kv, "INFLUX_PY_JSON="); ok {
				on, _ = strconv.ParseBool(v)
			}
		}
	}
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		switch {
		case a == "--json":
			on = true
		case strings.HasPrefix(a, "--json="):
			on, _ = strconv.ParseBool(strings.TrimPrefix(a, "--json="))
		}
	}
	return on
}

// commandOf is the (sub)command args name, or nil.
func commandOf(app *cli.App, args []string) *cli.Command {
	var cmd *cli.Command
	cmds := app.Commands
	for _, a := range args[1:] {
		if a == "--" {
			break
		}
		if isFlag(a) {
			continue
		}
		next := findCommand(cmds, a)
		if next == nil {
			break
		}
		cmd, cmds = next, next.Subcommands
	}
	return cmd
}

// Interspersed rewrites args (args[0] is the program) so that each
// command's flags come before its arguments, keeping their order. What
// follows "--" stays where it is, as arguments; so does everything after
// the first argument of a command that runs a command line (run), whose
// flags are the child's.
func Interspersed(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	out := []string{args[0]}
	rest := args[1:]
	// The app's own flags, then the command, then its subcommand.
	flags, cmds := app.Flags, app.Commands
	var cmd *cli.Command
	for {
		lead, tail := leadingFlags(rest, flags)
		out = append(out, lead...)
		rest = tail
		if len(rest) == 0 || rest[0] == "--" {
			return append(out, rest...)
		}
		next := findCommand(cmds, rest[0])
		if next == nil {
			break
		}
		cmd = next
		out = append(out, rest[0])
		rest = rest[1:]
		flags, cmds = cmd.Flags, cmd.Subcommands
		if len(cmds) == 0 {
			break
		}
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return append(out, rest...)
	}
	var moved, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i:]...)
			break
		}
		if !isFlag(a) {
			positional = append(positional, a)
			if runsCommandLine(cmd) {
				positional = append(positional, rest[i+1:]...)
				break
			}
			continue
		}
		moved = append(moved, a)
		if takesValue(flags, a) && i+1 < len(rest) {
			moved = append(moved, rest[i+1])
			i++
		}
	}
	out = append(out, moved...)
	if len(positional) > 0 && positional[0] != "--" && hasDashArg(positional) {
		// An argument that starts with "-" after the flags would be read
		// as a flag: "--" keeps it an argument.
		out = append(out, "--")
	}
	return append(out, positional...)
}

// leadingFlags splits off the flags (with their values) at the start of
// args.
func leadingFlags(args []string, flags []cli.Flag) (lead, rest []string) {
	i := 0
	for i < len(args) && isFlag(args[i]) {
		if takesValue(flags, args[i]) && i+1 < len(args) {
			i++
		}
		i++
	}
	return args[:i], args[i:]
}

func isFlag(a string) bool {
	return len(a) > 1 && a[0] == '-' && a != "--"
}

// hasDashArg reports an argument (not "--") that looks like a flag.
func hasDashArg(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isFlag(a) {
			return true
		}
	}
	return false
}

// takesValue reports whether the flag token a (such as "--lock", "-r" or
// "--lock=x") needs the next token as its value: a flag that is not a
// boolean, written without "=". An unknown flag takes none; urfave then
// reports it.
func takesValue(flags []cli.Flag, a string) bool {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if v, ok := f.(cli.DocGenerationFlag); ok {
				return v.TakesValue()
			}
			return true
		}
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// runsCommandLine marks commands whose arguments are a command line to
// run: the flags after its first word are the child's.
func runsCommandLine(c *cli.Command) bool { return c.Name == "run" }

// unsetEmptyEnv removes from the process environment each variable a flag
// reads that is set but empty: `INFLUX_PY_BACKEND=` means the default, as
// an empty variable does for most Unix tools, where urfave/cli would take
// it as the value "" (and refuse it for a boolean or a duration). Run is the
// process's entry, so the process environment is its own to change.
func unsetEmptyEnv(app *cli.App) {
	var walk func(flags []cli.Flag, cmds []*cli.Command)
	walk = func(flags []cli.Flag, cmds []*cli.Command) {
		for _, f := range flags {
			ev, ok := f.(interface{ GetEnvVars() []string })
			if !ok {
				continue
			}
			for _, name := range ev.GetEnvVars() {
				if v, set := os.LookupEnv(name); set && v == "" {
					os.Unsetenv(name)
				}
			}
		}
		for _, c := range cmds {
			walk(c.Flags, c.Subcommands)
		}
	}
	walk(app.Flags, app.Commands)
}
