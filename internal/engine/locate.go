package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// Locations are the paths a command works on, resolved the way InfluxDB 3
// resolves them.
type Locations struct {
	PluginDir string
	// Venv is where the venv is: when the path given (or <plugin-dir>/.venv)
	// is a symbolic link, the path it points to, which is synced in place
	// of the link; VenvLink is then the link.
	Venv     string
	VenvLink string
	Lock     string
	Python   string
	// PythonFrom says how Python was chosen: "--python", "bundled with
	// influxdb3 at ...", "python3 on PATH".
	PythonFrom string
}

// Where holds what the user gave (flags, or their INFLUX_PY_* variables,
// already merged by the CLI); empty fields take InfluxDB's defaults.
type Where struct {
	PluginDir string // --plugin-dir, INFLUX_PY_PLUGIN_DIR, INFLUXDB3_PLUGIN_DIR
	Venv      string // --venv
	Lock      string // --lock
	Python    string // --python, INFLUX_PY_PYTHON
}

// System is what location resolution asks of the machine, passed in so that
// tests can describe a machine without changing the one they run on.
type System struct {
	Getwd    func() (string, error)
	LookPath func(string) (string, error)
	Stat     func(string) (os.FileInfo, error)
	// FreeSpace is the space left on the filesystem holding a path; ok is
	// false (or FreeSpace nil) when it cannot be told.
	FreeSpace func(string) (int64, bool)
	GOOS      string
}

// HostSystem is the machine influx-py runs on.
func HostSystem(lookPath func(string) (string, error)) System {
	return System{Getwd: os.Getwd, LookPath: lookPath, Stat: os.Stat, FreeSpace: fsutil.FreeSpace, GOOS: runtime.GOOS}
}

// ErrNoPluginDir reports a plugin directory that does not exist.
var ErrNoPluginDir = errors.New("plugin directory does not exist")

// NoInterpreterError says that no Python could be found, and where it looked.
type NoInterpreterError struct {
	Tried []string
}

func (e *NoInterpreterError) Error() string {
	return fmt.Sprintf("no Python interpreter found (looked for %s)", joinOr(e.Tried))
}

// Locate resolves the plugin dir, venv, lock and interpreter. The plugin dir
// must exist; the others are checked by the steps that use them.
func Locate(w Where, sys System) (*Locations, error) {
	abs, err := findPluginDir(w, sys)
	if err != nil {
		return nil, err
	}
	loc := &Locations{PluginDir: abs}
	loc.Venv = absOr(w.Venv, filepath.Join(abs, ".venv"))
	// A venv kept elsewhere and linked into the plugin dir is synced where
	// it is: a rebuild must never replace the link with a directory.
	if real, err := fsutil.FollowLink(loc.Venv); err != nil {
		return nil, fmt.Errorf("venv %s: %w", loc.Venv, err)
	} else if real != loc.Venv {
		loc.VenvLink, loc.Venv = loc.Venv, real
	}
	loc.Lock = absOr(w.Lock, filepath.Join(abs, "pylock.toml"))

	py, from, err := findPython(w.Python, sys)
	if err != nil {
		return nil, err
	}
	loc.Python, loc.PythonFrom = py, from
	return loc, nil
}

// findPluginDir is the plugin dir, absolute; it must exist.
func findPluginDir(w Where, sys System) (string, error) {
	dir := w.PluginDir
	if dir == "" {
		wd, err := sys.Getwd()
		if err != nil {
			return "", fmt.Errorf("find plugin directory: %w", err)
		}
		dir = wd
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("find plugin directory %s: %w", dir, err)
	}
	if fi, err := sys.Stat(abs); err != nil || !fi.IsDir() {
		return "", fmt.Errorf("plugin dir %s: %w", dir, ErrNoPluginDir)
	}
	return abs, nil
}

func absOr(p, def string) string {
	if p == "" {
		return def
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// findPython follows InfluxDB 3: an explicit choice, then the interpreter
// the server bundles (python/ beside the influxdb3 binary, or the packaged
// /usr/lib/influxdb3/python), then python3 on PATH.
func findPython(explicit string, sys System) (path, from string, err error) {
	if explicit != "" {
		p, err := lookInterpreter(explicit, sys)
		if err != nil {
			return "", "", fmt.Errorf("python %s: %w", explicit, err)
		}
		return p, "--python", nil
	}
	var tried []string
	if server, err := sys.LookPath(exe("influxdb3", sys.GOOS)); err == nil {
		if real, err := filepath.EvalSymlinks(server); err == nil {
			server = real
		}
		p := bundledPython(filepath.Join(filepath.Dir(server), "python"), sys.GOOS)
		tried = append(tried, p)
		if isFile(p, sys) {
			return p, "bundled with " + server, nil
		}
	}
	if sys.GOOS != "windows" {
		p := bundledPython("/usr/lib/influxdb3/python", sys.GOOS)
		tried = append(tried, p)
		if isFile(p, sys) {
			return p, "bundled with the influxdb3 package", nil
		}
	}
	for _, name := range pathNames(sys.GOOS) {
		tried = append(tried, name+" on PATH")
		if p, err := sys.LookPath(name); err == nil {
			return p, name + " on PATH", nil
		}
	}
	return "", "", &NoInterpreterError{Tried: tried}
}

func lookInterpreter(p string, sys System) (string, error) {
	if filepath.Base(p) == p {
		// A bare name such as python3.12 is looked up on PATH, as a shell would.
		found, err := sys.LookPath(p)
		if err != nil {
			return "", &NoInterpreterError{Tried: []string{p + " on PATH"}}
		}
		return found, nil
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if !isFile(abs, sys) {
		return "", &NoInterpreterError{Tried: []string{abs}}
	}
	return abs, nil
}

// bundledPython is the interpreter inside a python-build-standalone tree.
func bundledPython(root, goos string) string {
	if goos == "windows" {
		return filepath.Join(root, "python.exe")
	}
	return filepath.Join(root, "bin", "python3")
}

func pathNames(goos string) []string {
	if goos == "windows" {
		return []string{"python.exe", "python3.exe"}
	}
	return []string{"python3"}
}

func exe(name, goos string) string {
	if goos == "windows" {
		return name + ".exe"
	}
	return name
}

func isFile(p string, sys System) bool {
	fi, err := sys.Stat(p)
	return err == nil && !fi.IsDir()
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return "nothing"
	case 1:
		return s[0]
	}
	out := ""
	for i, x := range s {
		switch {
		case i == 0:
			out = x
		case i == len(s)-1:
			out += " or " + x
		default:
			out += ", " + x
		}
	}
	return out
}
