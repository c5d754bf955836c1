package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type addFlags struct {
	lockFlags
	requirementFiles cli.StringSlice
	fromPlugins      bool
	fromVenv         bool
}

func addCommand(g *global, stdio IO, version string) *cli.Command {
	f := &addFlags{}
	f.withSyncFlag = true
	return &cli.Command{
		Name:      "add",
		Usage:     "add direct requirements, re-lock, and sync",
		UsageText: "influx-py add [options] SPEC...",
		Description: `Adds PEP 508 requirements to the lock's direct requirements (a requirement
for a distribution already listed replaces it), resolves, writes pylock.toml,
then syncs the venv (unless --no-sync). On any failure the lock and the venv
are left as they were.

--from-plugins collects what the plugins in the plugin dir declare: a
top-level requirements.txt, and the requirements.txt and manifest.toml
([dependencies] python = [...]) of every plugin folder below it, at any
depth (<org>/<plugin>/, as in influxdata/influxdb3_plugins). Requirements
that cannot all hold are reported with the plugin each comes from, and a
resolver failure names the plugin and line that asked. In plugins' files
and in -r files alike, --find-links and -c are applied, --hash pins are
checked against the files locked, and --index-url is accepted only for an
index given to influx-py itself.

--from-venv takes what the venv already holds (filled by 'influxdb3 install
package' or pip) as requirements pinned to the installed versions; the sync
that follows keeps every installed distribution that is file for file the
locked wheel, and reinstalls nothing else that works.

Examples:
   influx-py add 'pandas==2.2.3'
   influx-py add 'requests>=2.32' 'numpy<3'
   influx-py add -r requirements.txt
   influx-py add --from-plugins
   influx-py add --from-venv --find-links /srv/wheels
   influx-py add --offline --find-links /srv/wheels 'influx-stats>=0.3'`,
		Flags: append(f.commandFlags(),
			&cli.StringSliceFlag{Name: "requirements", Aliases: []string{"r"}, Usage: "add the requirements in `FILE` (repeatable)", EnvVars: []string{"INFLUX_PY_REQUIREMENTS"}, Destination: &f.requirementFiles},
			&cli.BoolFlag{Name: "from-plugins", Usage: "add what the plugins in the plugin dir declare", EnvVars: []string{"INFLUX_PY_FROM_PLUGINS"}, Destination: &f.fromPlugins},
			&cli.BoolFlag{Name: "from-venv", Usage: "add what the venv holds, pinned to the installed versions", EnvVars: []string{"INFLUX_PY_FROM_VENV"}, Destination: &f.fromVenv},
		),
		Action: func(c *cli.Context) error {
			specs := c.Args().Slice()
			if len(specs) == 0 && len(f.requirementFiles.Value()) == 0 && !f.fromPlugins && !f.fromVenv {
				return usageError{err: fmt.Errorf("add needs SPEC arguments, -r FILE, --from-plugins or --from-venv")}
			}
			e := newEngine(g, stdio, version, f.output)
			res, err := e.Add(c.Context, engine.AddOptions{
				Lock:             f.withSync(),
				Specs:            specs,
				RequirementFiles: f.requirementFiles.Value(),
				FromPlugins:      f.fromPlugins,
				FromVenv:         f.fromVenv,
			})
			if err != nil {
				return err
			}
			return finishLockCommand(stdio, &f.lockFlags, res)
		},
	}
}

func removeCommand(g *global, stdio IO, version string) *cli.Command {
	f := &lockFlags{withSyncFlag: true}
	return &cli.Command{
		Name:      "remove",
		Usage:     "remove direct requirements, re-lock, and sync",
		UsageText: "influx-py remove [options] NAME...",
		Description: `Removes distributions from the lock's direct requirements, resolves what is
left, writes pylock.toml and syncs the venv (unless --no-sync), which
uninstalls what nothing needs any more.

Examples:
   influx-py remove pandas
   influx-py remove --no-sync requests numpy`,
		Flags: f.commandFlags(),
		Action: func(c *cli.Context) error {
			names := c.Args().Slice()
			if len(names) == 0 {
				return usageError{err: fmt.Errorf("remove needs the NAME of at least one distribution")}
			}
			e := newEngine(g, stdio, version, f.output)
			res, err := e.Remove(c.Context, f.withSync(), names)
			if err != nil {
				return err
			}
			return finishLockCommand(stdio, f, res)
		},
	}
}

// finishLockCommand prints a lock rewrite and the sync that went with it.
func finishLockCommand(stdio IO, f *lockFlags, res *engine.LockResult) error {
	if f.json {
		return writeJSON(stdio.Stdout, res)
	}
	printLock(stdio.Stdout, res)
	if res.Sync != nil {
		printSync(stdio.Stdout, res.Sync)
	}
	return nil
}
