package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type fleetFlags struct {
	cacheDir string
	json     bool
	maxAge   time.Duration
	output
}

func fleetCommand(g *global, stdio IO, version string) *cli.Command {
	f := &fleetFlags{}
	return &cli.Command{
		Name:      "fleet",
		Usage:     "compare every node's published status: who differs from the majority",
		UsageText: "influx-py fleet [options] SOURCE",
		Description: `Reads the reports that 'influx-py status --publish SOURCE' wrote, one per
node, from a folder or an S3 prefix, and prints one table: node,
fingerprint, lock digest, Python, backend, age of the report, and how the
node differs from the majority (the fingerprint most nodes have). Exits 1
when a node differs, is unhealthy or out of sync, or (with --max-age) has
not reported for too long.

Examples:
   influx-py fleet s3://ops-bucket/influx-py/fleet/
   influx-py fleet --max-age 15m /mnt/shared/fleet
   influx-py fleet --json s3::https://minio.internal:9000/ops/fleet/ | jq '.nodes[] | select(.drift)'`,
		Flags: append([]cli.Flag{
			cacheDirFlag(&f.cacheDir), jsonFlag(&f.json),
			&cli.DurationFlag{Name: "max-age", Usage: "a report older than `DURATION` is stale, which is drift (0: any age)", EnvVars: []string{"INFLUX_PY_MAX_AGE"}, Destination: &f.maxAge},
		}, f.output.flags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{err: fmt.Errorf("fleet takes one source, got %q", c.Args().Slice()), cmd: "fleet"}
			}
			e := newEngine(g, stdio, version, f.output)
			r, err := e.Fleet(c.Context, engine.FleetOptions{Source: c.Args().First(), CacheDir: cacheOrDefault(f.cacheDir), MaxAge: f.maxAge})
			if err != nil {
				return err
			}
			for _, s := range r.Skipped {
				fmt.Fprintf(stdio.Stderr, "influx-py: warning: not a node report: %s\n", s)
			}
			if f.json {
				if err := writeJSON(stdio.Stdout, r); err != nil {
					return err
				}
			} else {
				printFleet(stdio.Stdout, r)
			}
			if r.Drift > 0 {
				return exitCode(ExitDrift)
			}
			return nil
		},
	}
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	if s == "" {
		return "-"
	}
	return s
}

func age(secs int64, reported time.Time) string {
	if reported.IsZero() {
		return "?"
	}
	d := time.Duration(secs) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", secs)
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

func printFleet(w io.Writer, r *engine.FleetReport) {
	rows := [][]string{{"NODE", "FINGERPRINT", "LOCK", "PYTHON", "BACKEND", "AGE", "DIFFERS"}}
	for _, n := range r.Nodes {
		var why []string
		if !n.Healthy {
			why = append(why, "unhealthy")
		} else if !n.InSync {
			why = append(why, "out of sync with its lock")
		}
		if n.Stale {
			why = append(why, "stale report")
		}
		for _, d := range n.Differences {
			here, there := d.Here, d.There
			if d.What == "lock" || d.What == "fingerprint" {
				here, there = short(here), short(there)
			}
			why = append(why, fmt.Sprintf("%s %s (majority %s)", d.What, here, there))
		}
		if len(why) == 0 && n.Drift {
			why = append(why, "no majority")
		}
		differs := "-"
		if len(why) > 0 {
			differs = strings.Join(why, "; ")
		}
		rows = append(rows, []string{n.Node, short(n.Fingerprint), short(n.LockDigest), orNone(n.PythonVersion, "-"), orNone(n.Backend, "-"), age(n.AgeSeconds, n.Reported), differs})
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			if i < len(row)-1 {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
	switch {
	case r.Drift == 0:
		fmt.Fprintf(w, "ok: all %d nodes match (fingerprint %s)\n", len(r.Nodes), short(r.Majority))
	case r.Majority == "":
		fmt.Fprintf(w, "drift: no fingerprint is held by a majority of the %d nodes\n", len(r.Nodes))
	default:
		fmt.Fprintf(w, "drift: %d of %d nodes differ from the majority (fingerprint %s, %d nodes)\n", r.Drift, len(r.Nodes), short(r.Majority), r.MajorityOf)
	}
}
