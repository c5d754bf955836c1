package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type wheelhouseFlags struct {
	whereFlags
	findLinks cli.StringSlice
	offline   bool
	all       bool
	uvTargets cli.StringSlice
	noUV      bool
	uv        uvFlags
	json      bool
}

func wheelhouseCommand(g *global, stdio IO, version string) *cli.Command {
	f := &wheelhouseFlags{}
	var verifyJSON bool
	var verifyOut output
	return &cli.Command{
		Name:      "wheelhouse",
		Usage:     "put every file the lock needs, the pinned uv and an index into a folder for offline nodes",
		UsageText: "influx-py wheelhouse [options] DIR\n   influx-py wheelhouse verify [--json] DIR",
		Description: `Makes DIR a wheelhouse: every file the lock selects for this interpreter
(with --all, every file the lock lists: one wheelhouse for a mixed cluster),
each checked against the lock's sha256; the pinned uv release archive for
this machine (--uv-target for others), checked against the pin; a flat
index.html and a PEP 503 simple/ index; the lock itself; and a manifest,
influx-py-wheelhouse.json, with every file's size and sha256 and the digest
of the lock it was made for. Running it again adds what a new lock needs.

A node without network then syncs from it, through uv:
   influx-py sync --offline --find-links DIR

Files come from the lock's paths, --find-links, the download cache, then
the lock's URLs (not with --offline). uv comes from DIR, --find-links
folders that are wheelhouses, or the release host (--uv-mirror).

Examples:
   influx-py wheelhouse /srv/wheelhouse
   influx-py wheelhouse --all --uv-target x86_64-unknown-linux-gnu --uv-target aarch64-unknown-linux-gnu /srv/wheelhouse
   influx-py wheelhouse verify /srv/wheelhouse
   rsync -a /srv/wheelhouse/ node3:/srv/wheelhouse/ && ssh node3 influx-py sync --offline --find-links /srv/wheelhouse`,
		Flags: append(f.flags(),
			&cli.StringSliceFlag{Name: "find-links", Usage: "look for files by name in `DIR`, or a source: https://HOST/DIR/, s3://BUCKET/PREFIX/, an archive, git::URL (repeatable)", EnvVars: []string{"INFLUX_PY_FIND_LINKS"}, Destination: &f.findLinks},
			offlineFlag(&f.offline, "never use the network: files and uv only from what is at hand"),
			&cli.BoolFlag{Name: "all", Usage: "every file the lock lists, for every interpreter and platform", EnvVars: []string{"INFLUX_PY_WHEELHOUSE_ALL"}, Destination: &f.all},
			&cli.StringSliceFlag{Name: "uv-target", Usage: "carry the pinned uv for `TRIPLE` (repeatable; default: this machine's)", EnvVars: []string{"INFLUX_PY_UV_TARGET"}, Destination: &f.uvTargets},
			&cli.BoolFlag{Name: "no-uv", Usage: "carry no uv (nodes then install with pip)", EnvVars: []string{"INFLUX_PY_NO_UV"}, Destination: &f.noUV},
			f.uv.mirrorFlag(),
			jsonFlag(&f.json),
		),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{err: fmt.Errorf("wheelhouse takes one folder, got %q", c.Args().Slice()), cmd: "wheelhouse"}
			}
			if f.noUV && len(f.uvTargets.Value()) > 0 {
				return usageError{err: fmt.Errorf("--no-uv and --uv-target contradict each other"), cmd: "wheelhouse"}
			}
			var targets []string
			switch {
			case f.noUV:
				targets = []string{}
			case len(f.uvTargets.Value()) > 0:
				targets = f.uvTargets.Value()
			}
			e := newEngine(g, stdio, version, f.output)
			res, err := e.Wheelhouse(c.Context, engine.WheelhouseOptions{
				Where:     f.where(),
				Dir:       c.Args().First(),
				CacheDir:  f.cache(),
				FindLinks: f.findLinks.Value(),
				Offline:   f.offline,
				All:       f.all,
				UVTargets: targets,
				UVMirror:  f.uv.mirror,
			})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(stdio.Stdout, res)
			}
			printWheelhouse(stdio.Stdout, res)
			return nil
		},
		Subcommands: []*cli.Command{{
			Name:      "verify",
			Usage:     "hash every file of a wheelhouse again",
			UsageText: "influx-py wheelhouse verify [--json] DIR",
			Description: `Hashes every file the wheelhouse's manifest lists, and checks the uv
archives against the pins this influx-py carries. Exits 1 listing every
file that is missing or changed. Files the manifest does not list are
named, and are not a fault (an older lock's files).

Examples:
   influx-py wheelhouse verify /srv/wheelhouse
   influx-py wheelhouse verify --json /mnt/usb/wheelhouse`,
			Flags: append(verifyOut.flags(), jsonFlag(&verifyJSON)),
			Action: func(c *cli.Context) error {
				if c.NArg() != 1 {
					return usageError{err: fmt.Errorf("wheelhouse verify takes one folder, got %q", c.Args().Slice()), cmd: "wheelhouse verify"}
				}
				e := newEngine(g, stdio, version, verifyOut)
				res, err := e.VerifyWheelhouse(c.Context, c.Args().First())
				if err != nil {
					return err
				}
				if verifyJSON {
					if err := writeJSON(stdio.Stdout, res); err != nil {
						return err
					}
				} else {
					for _, p := range res.Problems {
						fmt.Fprintf(stdio.Stdout, "bad %s\n", p)
					}
					for _, x := range res.Extra {
						fmt.Fprintf(stdio.Stdout, "extra %s (not in the manifest)\n", x)
					}
					if res.OK {
						fmt.Fprintf(stdio.Stdout, "ok: %s (%d files verified)\n", res.Dir, res.Files)
					}
				}
				if !res.OK {
					fmt.Fprintf(stdio.Stderr, "influx-py: error: wheelhouse %s: %d of %d files missing or changed\n", res.Dir, len(res.Problems), res.Files)
					fmt.Fprintf(stdio.Stderr, "influx-py: hint: make it again with 'influx-py wheelhouse %s' where the lock's files can be had, or copy it anew\n", res.Dir)
					return exitCode(ExitDrift)
				}
				return nil
			},
		}},
	}
}

func printWheelhouse(w io.Writer, r *engine.WheelhouseResult) {
	for _, n := range r.Added {
		fmt.Fprintf(w, "+ %s\n", n)
	}
	for _, n := range r.Replaced {
		fmt.Fprintf(w, "replaced %s\n", n)
	}
	m := r.Manifest
	var uv []string
	for _, a := range m.UV {
		uv = append(uv, a.Target)
	}
	uvs := "no uv"
	if len(uv) > 0 {
		uvs = "uv " + m.UV[0].Version + " for " + strings.Join(uv, ", ")
	}
	var size int64
	for _, f := range m.Files {
		size += f.Size
	}
	files := fmt.Sprintf("%d files", len(m.Files))
	if len(m.Files) == 1 {
		files = "1 file"
	}
	fmt.Fprintf(w, "wheelhouse %s: %s (%s), %s, for lock sha256 %s\n", r.Dir, files, humanBytes(size), uvs, m.LockDigest)
}
