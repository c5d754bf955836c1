package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

type cacheFlags struct {
	cacheDir  string
	json      bool
	olderThan string
	dryRun    bool
	verify    bool
	output
}

func cacheCommand(g *global, stdio IO, version string) *cli.Command {
	f := &cacheFlags{}
	common := func() []cli.Flag {
		return append([]cli.Flag{cacheDirFlag(&f.cacheDir), jsonFlag(&f.json)}, f.output.flags()...)
	}
	noArgs := func(c *cli.Context) error {
		if c.NArg() > 0 {
			return usageError{err: fmt.Errorf("%s takes no arguments, got %q", c.Command.FullName(), c.Args().Slice()), cmd: c.Command.FullName()}
		}
		return nil
	}
	report := func(c *cli.Context, r *engine.CacheReport, err error) error {
		if err != nil {
			return err
		}
		if f.json {
			if err := writeJSON(stdio.Stdout, r); err != nil {
				return err
			}
		} else {
			printCache(stdio.Stdout, c.Command.Name, r)
		}
		if !r.OK && c.Command.Name == "verify" {
			fmt.Fprintf(stdio.Stderr, "influx-py: error: %s: %s damaged or left by interrupted writes\n", r.Dir, entries(countBad(r), "is", "are"))
			fmt.Fprintln(stdio.Stderr, "influx-py: hint: 'influx-py cache prune --verify' removes them; a sync fetches them again (or, offline, names what is missing)")
			return exitCode(ExitDrift)
		}
		return nil
	}
	return &cli.Command{
		Name:  "cache",
		Usage: "show, verify and prune the download cache and the cached uv",
		Description: `The cache holds every file a sync downloaded, filed under its sha256 and
checked again on every read; the pinned uv; and interpreter probes. Every
entry can be removed: it is fetched again when needed (not offline: keep
the cache, or a wheelhouse, on nodes without network).

Examples:
   influx-py cache dir
   influx-py cache list --json
   influx-py cache verify
   influx-py cache prune --older-than 30d`,
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return cli.ShowSubcommandHelp(c)
			}
			name := c.Args().First()
			msg := fmt.Sprintf("unknown command %q for influx-py cache", name)
			if s := suggest(name, c.Command.Subcommands); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return usageError{err: fmt.Errorf("%s", msg), cmd: "cache"}
		},
		Subcommands: []*cli.Command{
			{
				Name:      "dir",
				Usage:     "print the cache directory",
				UsageText: "influx-py cache dir [--cache-dir DIR]",
				Description: `Prints the directory influx-py caches in: --cache-dir, else
INFLUX_PY_CACHE_DIR, else the user cache dir.

Examples:
   influx-py cache dir
   du -sh "$(influx-py cache dir)"`,
				Flags: []cli.Flag{cacheDirFlag(&f.cacheDir)},
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					fmt.Fprintln(stdio.Stdout, cacheOrDefault(f.cacheDir))
					return nil
				},
			},
			{
				Name:      "list",
				Usage:     "list what the cache holds",
				UsageText: "influx-py cache list [options]",
				Description: `Lists every cached download (name, size, last use, sha256), every cached
uv and the interpreter probes, without reading their content.

Examples:
   influx-py cache list
   influx-py cache list --json | jq '.items[] | select(.kind == "file") | .name'`,
				Flags: common(),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					e := newEngine(g, stdio, version, f.output)
					r, err := e.Cache(c.Context, engine.CacheOptions{CacheDir: cacheOrDefault(f.cacheDir)})
					return report(c, r, err)
				},
			},
			{
				Name:      "verify",
				Usage:     "hash every cache entry again",
				UsageText: "influx-py cache verify [options]",
				Description: `Hashes every cached download against the sha256 it is filed under, and
every cached uv against the digests recorded when it was installed and the
pin. Exits 1 listing what is bad. A sync never uses a bad entry in any
case: it drops it and fetches the file again, or offline reports it.

Examples:
   influx-py cache verify
   influx-py cache verify --json`,
				Flags: common(),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					e := newEngine(g, stdio, version, f.output)
					r, err := e.Cache(c.Context, engine.CacheOptions{CacheDir: cacheOrDefault(f.cacheDir), Verify: true})
					return report(c, r, err)
				},
			},
			{
				Name:      "prune",
				Usage:     "remove what cannot be used, and downloads unused for a while",
				UsageText: "influx-py cache prune [--older-than AGE] [--verify] [--dry-run] [options]",
				Description: `Removes what interrupted downloads and installs left, uvs other than the
pinned one, with --verify every entry that fails verification, and with
--older-than downloads and probes not used for that long (a download's
last use is set each time a sync takes it from the cache). The pinned
uv is kept. Each entry is removed under its lock: a sync running at
the same time is not disturbed.

Examples:
   influx-py cache prune
   influx-py cache prune --older-than 30d --dry-run
   influx-py cache prune --verify --older-than 720h`,
				Flags: append(common(),
					&cli.StringFlag{Name: "older-than", Usage: "also remove downloads not used for `AGE` (30d, 12h, 90m)", EnvVars: []string{"INFLUX_PY_OLDER_THAN"}, Destination: &f.olderThan},
					&cli.BoolFlag{Name: "verify", Usage: "hash every entry and remove those that fail", EnvVars: []string{"INFLUX_PY_VERIFY"}, Destination: &f.verify},
					&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "say what would be removed and remove nothing", EnvVars: []string{"INFLUX_PY_DRY_RUN"}, Destination: &f.dryRun},
				),
				Action: func(c *cli.Context) error {
					if err := noArgs(c); err != nil {
						return err
					}
					age, err := parseAge(f.olderThan)
					if err != nil {
						return usageError{err: err, cmd: "cache prune"}
					}
					e := newEngine(g, stdio, version, f.output)
					r, err := e.PruneCache(c.Context, engine.CacheOptions{CacheDir: cacheOrDefault(f.cacheDir), Verify: f.verify, OlderThan: age, DryRun: f.dryRun})
					if err != nil {
						return err
					}
					if f.json {
						return writeJSON(stdio.Stdout, r)
					}
					verb := "removed"
					if f.dryRun {
						verb = "would remove"
					}
					for _, it := range r.Removed {
						why := it.Problem
						if why == "" {
							why = "not used since " + it.LastUsed.Format(time.RFC3339)
						}
						fmt.Fprintf(stdio.Stdout, "%s %s %s (%s)\n", verb, it.Kind, it.Name, why)
					}
					fmt.Fprintf(stdio.Stdout, "%s %s, %s; %s, %s kept in %s\n", verb, entries(len(r.Removed)), humanBytes(r.Freed), entries(len(r.Items)), humanBytes(r.Size), r.Dir)
					return nil
				},
			},
		},
	}
}

// parseAge reads --older-than: a Go duration, or a whole number of days
// ("30d"), the unit people prune caches by.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("invalid value %q for --older-than: want an age such as 30d, 12h or 90m", s)
}

func countBad(r *engine.CacheReport) int {
	n := 0
	for _, it := range r.Items {
		if it.Problem != "" {
			n++
		}
	}
	return n
}

func printCache(w io.Writer, verb string, r *engine.CacheReport) {
	for _, it := range r.Items {
		used := "-"
		if !it.LastUsed.IsZero() {
			used = it.LastUsed.Format("2006-01-02")
		}
		line := fmt.Sprintf("%-6s %-60s %9s  %s", it.Kind, it.Name, humanBytes(it.Size), used)
		if it.Problem != "" {
			line += "  BAD: " + it.Problem
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	switch {
	case verb == "verify" && r.OK:
		fmt.Fprintf(w, "ok: %s (%s verified, %s)\n", r.Dir, entries(len(r.Items)), humanBytes(r.Size))
	case verb == "list":
		fmt.Fprintf(w, "%s, %s in %s\n", entries(len(r.Items)), humanBytes(r.Size), r.Dir)
	}
}

// entries is "1 entry" or "N entries", with the verb that agrees.
func entries(n int, verb ...string) string {
	s := fmt.Sprintf("%d entries", n)
	if n == 1 {
		s = "1 entry"
	}
	if len(verb) == 2 {
		if n == 1 {
			s += " " + verb[0]
		} else {
			s += " " + verb[1]
		}
	}
	return s
}
