package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type lockCmdFlags struct {
	lockFlags
	upgrade         bool
	upgradePackages cli.StringSlice
	check           bool
}

func lockCommand(g *global, stdio IO, version string) *cli.Command {
	f := &lockCmdFlags{}
	return &cli.Command{
		Name:      "lock",
		Usage:     "resolve the lock's requirements again and rewrite it",
		UsageText: "influx-py lock [options]",
		Description: `Resolves the direct requirements recorded in pylock.toml ([tool.influx-py])
and rewrites the lock with every transitive dependency pinned and every file
hashed. Without upgrade flags every pin that still satisfies the requirements
is kept. The lock is written only when the resolution succeeds.

With --check nothing is resolved or written: exit 1 when the lock no longer
answers its requirements (for CI), 0 when it does.

Examples:
   influx-py lock
   influx-py lock --upgrade
   influx-py lock --upgrade-package requests
   influx-py lock --offline --find-links /srv/wheels
   influx-py lock --check`,
		Flags: append(f.commandFlags(),
			&cli.BoolFlag{Name: "upgrade", Aliases: []string{"U"}, Usage: "take the newest versions the requirements allow", EnvVars: []string{"INFLUX_PY_UPGRADE"}, Destination: &f.upgrade},
			&cli.StringSliceFlag{Name: "upgrade-package", Aliases: []string{"P"}, Usage: "take the newest version of `NAME` only (repeatable)", EnvVars: []string{"INFLUX_PY_UPGRADE_PACKAGE"}, Destination: &f.upgradePackages},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 when the lock is stale against its requirements; change nothing", EnvVars: []string{"INFLUX_PY_LOCK_CHECK"}, Destination: &f.check},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("lock takes no arguments, got %q (use 'influx-py add')", c.Args().Slice())}
			}
			e := newEngine(g, stdio, version, f.output)
			if f.check {
				chk, err := e.CheckLock(c.Context, f.options())
				if err != nil {
					return err
				}
				if f.json {
					if err := writeJSON(stdio.Stdout, lockCheckJSON{Lock: chk.Lock, Fresh: len(chk.Stale) == 0, Stale: nonNil(chk.Stale), Adopted: chk.Adopted}); err != nil {
						return err
					}
				} else {
					if chk.Adopted != nil {
						fmt.Fprintf(stdio.Stdout, "assumed: %s records no requirements ([tool.influx-py]); influx-py %s\n", chk.Lock, chk.Adopted)
					}
					for _, w := range chk.Stale {
						fmt.Fprintf(stdio.Stdout, "stale: %s\n", w)
					}
					if len(chk.Stale) == 0 {
						fmt.Fprintf(stdio.Stdout, "ok: %s answers its requirements\n", chk.Lock)
					}
				}
				if len(chk.Stale) > 0 {
					return exitCode(ExitDrift)
				}
				return nil
			}
			o := f.options()
			o.Upgrade = f.upgrade
			o.UpgradePackages = f.upgradePackages.Value()
			res, err := e.Relock(c.Context, o, func(reqs []string) ([]string, error) { return reqs, nil })
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(stdio.Stdout, res)
			}
			printLock(stdio.Stdout, res)
			return nil
		},
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func printLock(w io.Writer, r *engine.LockResult) {
	for _, c := range r.Changes {
		switch {
		case c.Old == "":
			fmt.Fprintf(w, "+ %s %s\n", c.Name, c.New)
		case c.New == "":
			fmt.Fprintf(w, "- %s %s\n", c.Name, c.Old)
		default:
			fmt.Fprintf(w, "~ %s %s -> %s\n", c.Name, c.Old, c.New)
		}
	}
	if r.Changed {
		fmt.Fprintf(w, "locked %d packages in %s (%s)\n", r.Packages, r.Lock, r.Backend)
	} else {
		fmt.Fprintf(w, "unchanged: %s (%d packages)\n", r.Lock, r.Packages)
	}
}

// lockCheckJSON is lock --check's --json result.
type lockCheckJSON struct {
	Lock    string           `json:"lock"`
	Fresh   bool             `json:"fresh"` // the lock still answers its requirements
	Stale   []string         `json:"stale"` // why not
	Adopted *engine.Adoption `json:"adopted"`
}
