package cli

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/influx-py/influx-py/internal/engine"
)

// whereFlags are the location flags shared by every command that works on a
// plugin dir. The plugin dir honours INFLUXDB3_PLUGIN_DIR like the server.
type whereFlags struct {
	pluginDir string
	venv      string
	lock      string
	python    string
	cacheDir  string
	output
}

// output are the flags of what a command shows on stderr besides results
// and errors.
type output struct {
	verbose    bool
	quiet      bool
	noProgress bool
}

func (o *output) flags() []cli.Flag {
	return []cli.Flag{
		verboseFlag(&o.verbose),
		quietFlag(&o.quiet),
		&cli.BoolFlag{Name: "no-progress", Usage: "never show progress, even on a terminal", EnvVars: []string{"INFLUX_PY_NO_PROGRESS"}, Destination: &o.noProgress},
	}
}

func quietFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "show no progress on stderr", EnvVars: []string{"INFLUX_PY_QUIET"}, Destination: dest}
}

func (w *whereFlags) flags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "plugin-dir", Usage: "the InfluxDB 3 plugin `DIR` (default: the current directory)", EnvVars: []string{"INFLUX_PY_PLUGIN_DIR", "INFLUXDB3_PLUGIN_DIR"}, Destination: &w.pluginDir},
		&cli.StringFlag{Name: "venv", Usage: "the virtual environment `DIR` (default: <plugin-dir>/.venv)", EnvVars: []string{"INFLUX_PY_VENV"}, Destination: &w.venv},
		&cli.StringFlag{Name: "lock", Usage: "the PEP 751 lock `FILE`, or a source: https://..., s3://BUCKET/KEY, s3::http://HOST/BUCKET/KEY (default: <plugin-dir>/pylock.toml)", EnvVars: []string{"INFLUX_PY_LOCK"}, Destination: &w.lock},
		&cli.StringFlag{Name: "python", Usage: "the interpreter at `PATH` (default: InfluxDB's bundled Python, else python3 on PATH)", EnvVars: []string{"INFLUX_PY_PYTHON"}, Destination: &w.python},
		cacheDirFlag(&w.cacheDir),
	}, w.output.flags()...)
}

// Flags that several commands share, each with its environment variable.

func cacheDirFlag(dest *string) cli.Flag {
	return &cli.StringFlag{Name: "cache-dir", Usage: "keep downloads and interpreter probes in `DIR` (default: the user cache dir)", EnvVars: []string{"INFLUX_PY_CACHE_DIR"}, Destination: dest}
}

func verboseFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "show what influx-py decides and runs, on stderr", EnvVars: []string{"INFLUX_PY_VERBOSE"}, Destination: dest}
}

func offlineFlag(dest *bool, usage string) cli.Flag {
	return &cli.BoolFlag{Name: "offline", Usage: usage, EnvVars: []string{"INFLUX_PY_OFFLINE"}, Destination: dest}
}

func lockTimeoutFlag(dest *time.Duration) cli.Flag {
	return &cli.DurationFlag{Name: "lock-timeout", Usage: "give up after `DURATION` waiting for another influx-py on the same venv (0: wait)", EnvVars: []string{"INFLUX_PY_LOCK_TIMEOUT"}, Destination: dest}
}

func compileFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "compile", Usage: "write bytecode (.pyc) at install; by default Python writes it on first import, as after uv (use it when the server cannot write to the venv)", EnvVars: []string{"INFLUX_PY_COMPILE"}, Destination: dest}
}

func jsonFlag(dest *bool) cli.Flag {
	return &cli.BoolFlag{Name: "json", Usage: "print the result as JSON", EnvVars: []string{"INFLUX_PY_JSON"}, Destination: dest}
}

// cacheOrDefault is the --cache-dir, or the user cache dir.
func cacheOrDefault(dir string) string {
	if dir != "" {
		return dir
	}
	return defaultCacheDir()
}

func (w *whereFlags) where() engine.Where {
	return engine.Where{PluginDir: w.pluginDir, Venv: w.venv, Lock: w.lock, Python: w.python}
}

func (w *whereFlags) cache() string { return cacheOrDefault(w.cacheDir) }
