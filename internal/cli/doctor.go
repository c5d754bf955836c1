package cli

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type doctorFlags struct {
	whereFlags
	uv   uvFlags
	json bool
}

func doctorCommand(g *global, stdio IO, version string) *cli.Command {
	f := &doctorFlags{}
	return &cli.Command{
		Name:      "doctor",
		Usage:     "check everything a sync depends on, with a hint for each problem",
		UsageText: "influx-py doctor [options]",
		Description: `Checks the plugin dir (exists, writable), the interpreter (found how,
starts, has venv and a pip wheel for new venvs), uv (cached and verified),
the lock (valid, has files for this interpreter), and the venv (healthy,
what the version policy makes of it, pip inside, no interrupted sync).
Changes nothing. Exit status 0 when all is well, 1 otherwise.

Examples:
   influx-py doctor
   influx-py doctor --plugin-dir /var/lib/influxdb3/plugins --json`,
		Flags: append(f.flags(), f.uv.pathFlag(), f.uv.mirrorFlag(), jsonFlag(&f.json)),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("doctor takes no arguments, got %q", c.Args().Slice())}
			}
			e := newEngine(g, stdio, version, f.output)
			findings := e.Doctor(c.Context, engine.DoctorOptions{Where: f.where(), CacheDir: f.cache(), UV: f.uv.path, UVMirror: f.uv.mirror})
			bad := 0
			for _, x := range findings {
				if !x.OK {
					bad++
				}
			}
			if f.json {
				if err := writeJSON(stdio.Stdout, doctorJSON{OK: bad == 0, Checks: findings}); err != nil {
					return err
				}
			} else {
				for _, x := range findings {
					mark := "ok  "
					if !x.OK {
						mark = "FAIL"
					}
					fmt.Fprintf(stdio.Stdout, "%s %s: %s\n", mark, x.Check, x.Detail)
					if x.Hint != "" {
						fmt.Fprintf(stdio.Stdout, "     hint: %s\n", x.Hint)
					}
				}
			}
			if bad > 0 {
				return exitCode(ExitDrift)
			}
			return nil
		},
	}
}

// doctorJSON is doctor's --json result.
type doctorJSON struct {
	OK     bool             `json:"ok"` // every check passed
	Checks []engine.Finding `json:"checks"`
}
