package cli

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type statusFlags struct {
	whereFlags
	json bool
}

func statusCommand(g *global, stdio IO, version string) *cli.Command {
	f := &statusFlags{}
	return &cli.Command{
		Name:      "status",
		Usage:     "describe the venv: health, interpreter, backend, lock and fingerprint",
		UsageText: "influx-py status [options]",
		Description: `Describes the venv without changing it or starting any process. The
fingerprint is a digest of what is installed (names, versions and the sha256
of the file each came from), the same on every node synced to the same lock
with the same Python, wherever the plugin dir is: compare nodes with
'influx-py check --against OTHER.json'.

Examples:
   influx-py status
   influx-py status --json > node1.json`,
		Flags: append(f.flags(), jsonFlag(&f.json)),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("status takes no arguments, got %q", c.Args().Slice())}
			}
			e := newEngine(g, stdio, version, f.output)
			st, err := e.Status(c.Context, engine.StatusOptions{Where: f.where(), CacheDir: f.cache()})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(stdio.Stdout, st)
			}
			printStatus(stdio.Stdout, st)
			return nil
		},
	}
}

func printStatus(w io.Writer, st *engine.Status) {
	health := "healthy"
	if !st.Healthy {
		health = "unhealthy"
	}
	fmt.Fprintf(w, "venv:        %s (%s)\n", st.Venv, health)
	for _, p := range st.Problems {
		fmt.Fprintf(w, "             %s\n", p)
	}
	made := "no venv"
	if st.VenvPythonVersion != "" {
		made = "the venv was made by Python " + st.VenvPythonVersion
	}
	fmt.Fprintf(w, "python:      %s (%s)\n", st.Python, made)
	fmt.Fprintf(w, "backend:     %s\n", orNone(st.Backend, "none: not synced by influx-py"))
	fmt.Fprintf(w, "uv:          %s\n", orNone(st.UVVersion, "none cached"))
	fmt.Fprintf(w, "lock:        %s (sha256 %s)\n", st.Lock, st.LockDigest)
	fmt.Fprintf(w, "in sync:     %v\n", st.InSync)
	fmt.Fprintf(w, "packages:    %d\n", len(st.Installed))
	fmt.Fprintf(w, "fingerprint: %s\n", st.Fingerprint)
}

// orNone is s, or what its absence means.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
