package cli

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

// pinnedUV is the version of uv the wired-in backends pin, for help text.
func pinnedUV(stdio IO) string {
	if stdio.Backends == nil {
		return "(none wired)"
	}
	return stdio.Backends.PinnedUV()
}

// uvFlags say where uv comes from; sync shares them.
type uvFlags struct {
	path   string
	mirror string
}

func (u *uvFlags) pathFlag() cli.Flag {
	return &cli.StringFlag{Name: "uv", Usage: "use the uv at `PATH` instead of the pinned one", EnvVars: []string{"INFLUX_PY_UV"}, Destination: &u.path}
}

func (u *uvFlags) mirrorFlag() cli.Flag {
	return &cli.StringFlag{Name: "uv-mirror", Usage: "base `URL` to download uv releases from (checksums stay pinned)", EnvVars: []string{"INFLUX_PY_UV_MIRROR"}, Destination: &u.mirror}
}

type uvCmdFlags struct {
	uv       uvFlags
	cacheDir string
	offline  bool
	output
}

func (f *uvCmdFlags) flags() []cli.Flag {
	return append([]cli.Flag{
		f.uv.mirrorFlag(),
		cacheDirFlag(&f.cacheDir),
		offlineFlag(&f.offline, "never use the network: only the cached uv"),
	}, f.output.flags()...)
}

func (f *uvCmdFlags) options() engine.UVOptions {
	return engine.UVOptions{Path: f.uv.path, Mirror: f.uv.mirror, CacheDir: cacheOrDefault(f.cacheDir), Offline: f.offline}
}

func uvCommand(g *global, stdio IO, version string) *cli.Command {
	f := &uvCmdFlags{}
	noArgs := func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageError{err: fmt.Errorf("%s takes no arguments, got %q", c.Command.FullName(), c.Args().Slice())}
		}
		return nil
	}
	return &cli.Command{
		Name:  "uv",
		Usage: "fetch, locate and verify the pinned uv",
		Description: fmt.Sprintf(`influx-py installs with uv %s when it can: downloaded once from uv's release
host (or --uv-mirror), checked against the SHA-256 pinned in influx-py, and
kept in the cache. A cached binary is hashed again before every use.

Examples:
   influx-py uv fetch
   influx-py uv fetch --uv-mirror https://artifacts.example.com/uv
   influx-py uv path
   influx-py uv verify`, pinnedUV(stdio)),
		// A mistyped subcommand gets the same words as a mistyped command.
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			name := c.Args().First()
			msg := fmt.Sprintf("unknown command %q for influx-py uv", name)
			if s := suggest(name, c.Command.Subcommands); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return usageError{err: errors.New(msg), cmd: "uv"}
		},
		Subcommands: []*cli.Command{
			{
				Name:      "fetch",
				Usage:     "download and verify the pinned uv, then print its path",
				UsageText: "influx-py uv fetch [options]",
				Description: `Downloads the release archive of the pinned uv for this machine (once: a
cached, verified uv is used as it is), checks its SHA-256 against the pin
before opening it, extracts uv, checks that it reports the pinned version,
and prints the path of the binary.

Examples:
   influx-py uv fetch
   influx-py uv fetch --uv-mirror https://artifacts.example.com/uv
   INFLUX_PY_CACHE_DIR=/var/cache/influx-py influx-py uv fetch`,
				Flags: f.flags(),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					e := newEngine(g, stdio, version, f.output)
					o := f.options()
					o.Path = "" // fetch is of the pinned uv
					bin, err := e.FindUV(c.Context, o)
					if err != nil {
						return err
					}
					fmt.Fprintln(stdio.Stdout, bin.Path)
					return nil
				},
			},
			{
				Name:      "path",
				Usage:     "print the path of the uv a sync would use, or why there is none",
				UsageText: "influx-py uv path [options]",
				Description: `Prints the path of the uv a sync would install with, without downloading
anything: the cached, verified pinned uv, or the one --uv names. Exits 2,
saying why, when there is none.

Examples:
   influx-py uv path
   influx-py uv path --uv /usr/local/bin/uv`,
				Flags: append(f.flags(), f.uv.pathFlag()),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					e := newEngine(g, stdio, version, f.output)
					o := f.options()
					var bin *engine.UV
					var err error
					if o.Path != "" {
						bin, err = e.FindUV(c.Context, o)
					} else {
						bin, err = e.CachedUV(c.Context, o)
					}
					if err != nil {
						return err
					}
					if bin.Warning != "" {
						fmt.Fprintf(stdio.Stderr, "influx-py: warning: %s\n", bin.Warning)
					}
					fmt.Fprintln(stdio.Stdout, bin.Path)
					return nil
				},
			},
			{
				Name:      "verify",
				Usage:     "hash the cached uv again and run it",
				UsageText: "influx-py uv verify [options]",
				Description: `Hashes the cached uv's files against what was recorded when it was installed
from the verified archive, and runs 'uv --version', which must report the
pinned version. Nothing is downloaded or changed.

Examples:
   influx-py uv verify
   influx-py uv verify --cache-dir /var/cache/influx-py`,
				Flags: f.flags(),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					e := newEngine(g, stdio, version, f.output)
					bin, err := e.VerifyUV(c.Context, f.options())
					if err != nil {
						return err
					}
					fmt.Fprintf(stdio.Stdout, "ok: %s is uv %s for %s\n", bin.Path, bin.Version, bin.Target)
					return nil
				},
			},
		},
	}
}
