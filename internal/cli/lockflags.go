package cli

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

// lockFlags are shared by the commands that rewrite the lock (add, remove,
// lock): where to resolve from, and with which backend.
type lockFlags struct {
	whereFlags
	uv           uvFlags
	backend      string
	indexURL     string
	extraIndex   cli.StringSlice
	findLinks    cli.StringSlice
	offline      bool
	allowBuild   bool
	compile      bool
	json         bool
	noSync       bool
	withSyncFlag bool
	lockTimeout  time.Duration
	absolute     bool
	targets      cli.StringSlice
	indexTimeout time.Duration
}

func (f *lockFlags) commandFlags() []cli.Flag {
	flags := append(f.flags(),
		&cli.StringFlag{Name: "index-url", Usage: "resolve from the simple (PEP 503) index at `URL` (default: the one the lock records, else PyPI)", EnvVars: []string{"INFLUX_PY_INDEX_URL"}, Destination: &f.indexURL},
		&cli.StringSliceFlag{Name: "extra-index-url", Usage: "further index `URL` (repeatable)", EnvVars: []string{"INFLUX_PY_EXTRA_INDEX_URL"}, Destination: &f.extraIndex},
		&cli.StringSliceFlag{Name: "find-links", Usage: "also look for files in `DIR` or a source (https://, s3://, an archive, git::URL; repeatable); recorded in the lock", EnvVars: []string{"INFLUX_PY_FIND_LINKS"}, Destination: &f.findLinks},
		offlineFlag(&f.offline, "resolve from --find-links alone, without any index"),
		&cli.BoolFlag{Name: "allow-build", Usage: "allow source distributions when no wheel fits", EnvVars: []string{"INFLUX_PY_ALLOW_BUILD"}, Destination: &f.allowBuild},
		compileFlag(&f.compile),
		&cli.DurationFlag{Name: "index-timeout", Value: 5 * time.Second, Usage: "fail when an index does not answer within `DURATION`", EnvVars: []string{"INFLUX_PY_INDEX_TIMEOUT"}, Destination: &f.indexTimeout},
		&cli.StringFlag{Name: "backend", Value: "auto", Usage: "resolve and install with `NAME`: auto (uv when it can be had, else pip), uv or pip", EnvVars: []string{"INFLUX_PY_BACKEND"}, Destination: &f.backend, Action: oneOf("backend", "auto", "uv", "pip")},
		f.uv.pathFlag(),
		f.uv.mirrorFlag(),
		&cli.StringSliceFlag{Name: "target", Usage: "lock for nodes of `PYVER-OS-ARCH` (repeatable), e.g. 3.13-linux-x86_64, 3.12-linux-aarch64; default: this interpreter, or the targets the lock records", EnvVars: []string{"INFLUX_PY_TARGET"}, Destination: &f.targets},
		&cli.BoolFlag{Name: "absolute-paths", Usage: "record files outside the lock's folder by absolute path (default: relative to the lock, with ..)", EnvVars: []string{"INFLUX_PY_ABSOLUTE_PATHS"}, Destination: &f.absolute},
		jsonFlag(&f.json),
		lockTimeoutFlag(&f.lockTimeout),
	)
	if f.withSyncFlag {
		flags = append(flags, &cli.BoolFlag{Name: "no-sync", Usage: "stop after writing the lock; do not sync the venv", EnvVars: []string{"INFLUX_PY_NO_SYNC"}, Destination: &f.noSync})
	}
	return flags
}

func (f *lockFlags) options() engine.LockOptions {
	o := engine.LockOptions{
		Where:         f.where(),
		CacheDir:      f.cache(),
		Backend:       f.backend,
		UV:            f.uv.path,
		UVMirror:      f.uv.mirror,
		IndexURL:      f.indexURL,
		Offline:       f.offline,
		AllowBuild:    f.allowBuild,
		LockTimeout:   f.lockTimeout,
		AbsolutePaths: f.absolute,
		IndexTimeout:  f.indexTimeout,
	}
	// nil means "as the lock records"; a given flag replaces the record.
	if v := f.extraIndex.Value(); len(v) > 0 {
		o.ExtraIndexURLs = v
	}
	if v := f.findLinks.Value(); len(v) > 0 {
		o.FindLinks = v
	}
	if v := f.targets.Value(); len(v) > 0 {
		o.Targets = v
	}
	return o
}

// withSync is options() with the sync that add and remove finish with,
// unless --no-sync.
func (f *lockFlags) withSync() engine.LockOptions {
	o := f.options()
	if !f.noSync {
		s := f.syncOptions()
		o.Sync = &s
	}
	return o
}

func (f *lockFlags) syncOptions() engine.SyncOptions {
	return engine.SyncOptions{
		Where:       f.where(),
		CacheDir:    f.cache(),
		FindLinks:   f.findLinks.Value(),
		Offline:     f.offline,
		AllowBuild:  f.allowBuild,
		Compile:     f.compile,
		Backend:     f.backend,
		UV:          f.uv.path,
		UVMirror:    f.uv.mirror,
		LockTimeout: f.lockTimeout,
	}
}
