package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type syncFlags struct {
	whereFlags
	findLinks   cli.StringSlice
	offline     bool
	dryRun      bool
	allowBuild  bool
	json        bool
	uv          uvFlags
	backend     string
	lockTimeout time.Duration
	verify      bool
	compile     bool
}

func syncCommand(g *global, stdio IO, version string) *cli.Command {
	f := &syncFlags{}
	return &cli.Command{
		Name:      "sync",
		Usage:     "create or repair the venv and make it match the lock exactly",
		UsageText: "influx-py sync [options]",
		Description: `Creates <plugin-dir>/.venv if it is missing (with pip inside, which the
InfluxDB 3 server needs), then installs, replaces and removes distributions
until the venv holds exactly what pylock.toml lists for this interpreter.
Every file is checked against the lock's size and sha256 before anything is
installed. A sync with nothing to do starts no process.

Files are taken from the lock's "path", then --find-links folders, then the
download cache, then the lock's "url" (not with --offline).

Examples:
   influx-py sync
   influx-py sync --plugin-dir /var/lib/influxdb3/plugins --python /usr/lib/influxdb3/python/bin/python3
   influx-py sync --offline --find-links /srv/wheels
   influx-py sync --dry-run --json
   influx-py sync --backend pip                     # never use uv
   influx-py sync --uv-mirror https://artifacts.example.com/uv   # air-gapped uv mirror`,
		Flags: append(f.flags(),
			&cli.StringSliceFlag{Name: "find-links", Usage: "look for files by name in `DIR`, or a source: https://HOST/DIR/, s3://BUCKET/PREFIX/, an archive, git::URL (repeatable)", EnvVars: []string{"INFLUX_PY_FIND_LINKS"}, Destination: &f.findLinks},
			offlineFlag(&f.offline, "never use the network; fail listing every file not found locally"),
			&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "print what would change and change nothing", EnvVars: []string{"INFLUX_PY_DRY_RUN"}, Destination: &f.dryRun},
			&cli.BoolFlag{Name: "allow-build", Usage: "install from a source distribution when no wheel fits (runs its build backend)", EnvVars: []string{"INFLUX_PY_ALLOW_BUILD"}, Destination: &f.allowBuild},
			jsonFlag(&f.json),
			&cli.StringFlag{Name: "backend", Value: "auto", Usage: "install with `NAME`: auto (uv when it can be had, else pip), uv or pip", EnvVars: []string{"INFLUX_PY_BACKEND"}, Destination: &f.backend, Action: oneOf("backend", "auto", "uv", "pip")},
			f.uv.pathFlag(),
			f.uv.mirrorFlag(),
			lockTimeoutFlag(&f.lockTimeout),
			compileFlag(&f.compile),
			&cli.BoolFlag{Name: "verify", Usage: "hash every installed file against its RECORD; reinstall what changed, remove files no distribution owns", EnvVars: []string{"INFLUX_PY_VERIFY"}, Destination: &f.verify},
		),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{err: fmt.Errorf("sync takes no arguments, got %q", c.Args().Slice())}
			}
			e := newEngine(g, stdio, version, f.output)
			res, err := e.Sync(c.Context, engine.SyncOptions{
				Where:       f.where(),
				CacheDir:    f.cache(),
				FindLinks:   f.findLinks.Value(),
				Offline:     f.offline,
				DryRun:      f.dryRun,
				AllowBuild:  f.allowBuild,
				Backend:     f.backend,
				UV:          f.uv.path,
				UVMirror:    f.uv.mirror,
				LockTimeout: f.lockTimeout,
				Verify:      f.verify,
				Compile:     f.compile,
			})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(stdio.Stdout, res)
			}
			printSync(stdio.Stdout, res)
			return nil
		},
	}
}

func printSync(w io.Writer, r *engine.SyncResult) {
	verb := map[bool][3]string{
		true:  {"would install", "would replace", "would remove"},
		false: {"installed", "replaced", "removed"},
	}[r.DryRun]
	for _, d := range r.Damage {
		fmt.Fprintf(w, "found %s\n", d)
	}
	p := r.Plan
	if p != nil {
		for _, x := range p.Install {
			// A package locked without a version (an archive) shows none.
			fmt.Fprintln(w, strings.TrimSpace(verb[0]+" "+x.Name+" "+x.Version))
		}
		for _, x := range p.Replace {
			fmt.Fprintf(w, "%s %s %s -> %s (%s)\n", verb[1], x.To.Name, x.From.Version, x.To.Version, x.Why)
		}
		for _, x := range p.Remove {
			fmt.Fprintf(w, "%s %s %s\n", verb[2], x.Name, x.Version)
		}
		for _, x := range p.Adopted {
			fmt.Fprintf(w, "adopted %s %s (installed by another tool; its files are the locked wheel's)\n", x.Name, x.Version)
		}
	}
	switch {
	case r.UpToDate:
		fmt.Fprintf(w, "up to date: %s (%d packages, python %s)\n", r.Venv, r.Packages, r.PythonVersion)
	case r.DryRun:
		var what []string
		if r.Create {
			what = append(what, "would create the venv")
		}
		if p != nil && p.Empty() && !r.Create {
			what = append(what, "nothing to change")
		}
		fmt.Fprintf(w, "dry run: %s%s\n", r.Venv, prefixed(": ", strings.Join(what, ", ")))
	default:
		created := ""
		if r.Create {
			created = "created, "
		}
		fmt.Fprintf(w, "synced %s: %s%d installed, %d replaced, %d removed, %d unchanged (%s, python %s)\n",
			r.Venv, created, len(p.Install), len(p.Replace), len(p.Remove), len(p.Keep), r.Backend, r.PythonVersion)
	}
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
