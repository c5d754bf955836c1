package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type checkFlags struct {
	whereFlags
	json    bool
	against string
	verify  bool
}

func checkCommand(g *global, stdio IO, version string) *cli.Command {
	f := &checkFlags{}
	return &cli.Command{
		Name:      "check",
		Usage:     "compare the venv with the lock and change nothing",
		UsageText: "influx-py check [options]",
		Description: `Reports whether the venv holds exactly what the lock lists for this
interpreter: missing, extra and changed distributions, and a venv that is
missing or unhealthy. Nothing is downloaded or installed.

Exit status: 0 when the venv matches, 1 when it differs, 2 on an error.

With --against, compares this node's venv with another node's instead
(the output of 'influx-py status --json' there): exit 1 when they differ.

With --verify, also hashes every installed file against its distribution's
RECORD and looks for files no distribution owns (.pth files first): an
edited module, an added .pth or a deleted file is reported. This reads
every installed file; without it check reads none ('sync --verify' repairs
what it finds).

Examples:
   influx-py check
   influx-py check --plugin-dir /var/lib/influxdb3/plugins --json
   influx-py check --verify                 # from cron, or before an audit
   influx-py check --against node1.json`,
		Flags: append(f.flags(),
			jsonFlag(&f.json),
			&cli.StringFlag{Name: "against", Usage: "compare with another node's 'influx-py status --json' saved in `FILE`", EnvVars: []string{"INFLUX_PY_AGAINST"}, Destination: &f.against},
			&cli.BoolFlag{Name: "verify", Usage: "hash every installed file against its RECORD and find files no distribution owns", EnvVars: []string{"INFLUX_PY_VERIFY"}, Destination: &f.verify},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("check takes no arguments, got %q", c.Args().Slice())}
			}
			e := newEngine(g, stdio, version, f.output)
			if f.against != "" {
				return checkAgainst(c, e, stdio, f)
			}
			res, err := e.Check(c.Context, engine.CheckOptions{Where: f.where(), CacheDir: f.cache(), Verify: f.verify})
			if err != nil {
				return err
			}
			if f.json {
				if err := writeJSON(stdio.Stdout, res); err != nil {
					return err
				}
			} else {
				printCheck(stdio.Stdout, res)
			}
			if !res.InSync {
				// Drift is check's answer, not a failure: say on stderr
				// what puts it right.
				fmt.Fprintln(stdio.Stderr, "influx-py: hint: run 'influx-py sync' to make the venv match the lock ('influx-py sync --dry-run' shows what it would do)")
				return exitCode(ExitDrift)
			}
			return nil
		},
	}
}

func printCheck(w io.Writer, r *engine.CheckResult) {
	for _, p := range r.Problems {
		fmt.Fprintf(w, "venv: %s\n", p)
	}
	for _, d := range r.Damage {
		fmt.Fprintf(w, "%s\n", d)
	}
	if p := r.Plan; p != nil {
		for _, x := range p.Install {
			fmt.Fprintf(w, "missing: %s %s\n", x.Name, x.Version)
		}
		for _, x := range p.Replace {
			switch x.Why {
			case "version":
				fmt.Fprintf(w, "wrong version: %s %s (lock: %s)\n", x.To.Name, x.From.Version, x.To.Version)
			case "hash":
				fmt.Fprintf(w, "changed: %s %s was installed from another file than the lock's\n", x.To.Name, x.To.Version)
			default:
				fmt.Fprintf(w, "unverified: %s %s was not installed by influx-py\n", x.To.Name, x.To.Version)
			}
		}
		for _, x := range p.Remove {
			fmt.Fprintf(w, "extra: %s %s\n", x.Name, x.Version)
		}
	}
	if r.InSync {
		fmt.Fprintf(w, "ok: %s matches %s\n", r.Venv, r.Lock)
	} else {
		fmt.Fprintf(w, "drift: %s does not match %s\n", r.Venv, r.Lock)
	}
}

func checkAgainst(c *cli.Context, e *engine.Engine, stdio IO, f *checkFlags) error {
	there, err := e.ReadStatusFrom(c.Context, f.cache(), f.against)
	if err != nil {
		return err
	}
	here, err := e.Status(c.Context, engine.StatusOptions{Where: f.where(), CacheDir: f.cache()})
	if err != nil {
		return err
	}
	diffs := engine.CompareStatus(here, there)
	if f.json {
		if err := writeJSON(stdio.Stdout, map[string]any{"same": len(diffs) == 0, "differences": append([]engine.Difference{}, diffs...)}); err != nil {
			return err
		}
	} else {
		for _, d := range diffs {
			fmt.Fprintf(stdio.Stdout, "differs: %s: here %s, there %s\n", d.What, d.Here, d.There)
		}
		if len(diffs) == 0 {
			fmt.Fprintf(stdio.Stdout, "same: fingerprint %s\n", here.Fingerprint)
		}
	}
	if len(diffs) > 0 {
		return exitCode(ExitDrift)
	}
	return nil
}
