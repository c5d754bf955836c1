package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type statusFlags struct {
	whereFlags
	json    bool
	publish string
	node    string
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

With --publish, the report (the JSON) is also written as <node>.json into a
folder or an S3 prefix that every node of a cluster publishes to, where
'influx-py fleet' compares them all.

Examples:
   influx-py status
   influx-py status --json > node1.json
   influx-py status --publish s3://ops-bucket/influx-py/fleet/ --node "$(hostname -s)"
   influx-py status --publish /mnt/shared/fleet`,
		Flags: append(f.flags(), jsonFlag(&f.json),
			&cli.StringFlag{Name: "publish", Usage: "also write the report to `SOURCE`/<node>.json: a folder or s3://BUCKET/PREFIX/", EnvVars: []string{"INFLUX_PY_PUBLISH"}, Destination: &f.publish},
			&cli.StringFlag{Name: "node", Usage: "this node's `NAME` in the report (default: the host name)", EnvVars: []string{"INFLUX_PY_NODE"}, Destination: &f.node},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("status takes no arguments, got %q", c.Args().Slice())}
			}
			node := f.node
			if node == "" {
				node = hostName()
			}
			if err := engine.CheckNodeName(node); err != nil {
				return usageError{err: fmt.Errorf("--node: %w", err), cmd: "status"}
			}
			e := newEngine(g, stdio, version, f.output)
			st, err := e.Status(c.Context, engine.StatusOptions{Where: f.where(), CacheDir: f.cache(), Node: node})
			if err != nil {
				return err
			}
			if f.publish != "" {
				where, err := e.PublishStatus(c.Context, st, f.publish)
				if err != nil {
					return err
				}
				if !f.json {
					defer fmt.Fprintf(stdio.Stdout, "published: %s\n", where)
				}
			}
			if f.json {
				return writeJSON(stdio.Stdout, st)
			}
			printStatus(stdio.Stdout, st)
			return nil
		},
	}
}

// hostName is this machine's short host name, the default node name.
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "node"
	}
	h, _, _ = strings.Cut(h, ".")
	return h
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
