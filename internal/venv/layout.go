// Package venv reads and describes a Python virtual environment (the InfluxDB 3
// plugin venv) without starting Python: where its files are on POSIX and on
// Windows, what its pyvenv.cfg says, which distributions are installed, whether
// it is healthy, and the stamp influx-py leaves after a successful sync.
package venv

import (
	"strconv"
	"strings"
)

// DefaultDir is the venv directory name inside the plugin directory.
const DefaultDir = ".venv"

// File names influx-py itself writes into the venv root.
const (
	StampFile      = "influx-py.json"
	InstallingFile = "influx-py.installing"
	ConfigFile     = "pyvenv.cfg"
)

// Layout is the one place that knows where things live in a venv. Every path
// the rest of influx-py uses goes through it, so POSIX and Windows venvs differ
// in exactly one type. Paths are built by joining strings with the layout's own
// separator rather than with path/filepath, so a Windows layout produces
// Windows paths on any OS (and can be tested on Linux).
type Layout struct {
	root    string
	windows bool
}

// PosixLayout is the layout of a venv created on Linux or macOS:
// bin/python, lib/pythonX.Y/site-packages.
func PosixLayout(root string) Layout {
	return Layout{root: trimRoot(root, "/"), windows: false}
}

// WindowsLayout is the layout of a venv created on Windows:
// Scripts\python.exe, Lib\site-packages.
func WindowsLayout(root string) Layout {
	t := trimRoot(root, `\/`)
	if len(t) == 2 && t[1] == ':' && len(root) > 2 {
		t += `\` // "D:\" is the drive's root; "D:" would be its current directory
	}
	return Layout{root: t, windows: true}
}

// NewLayout picks the layout for a GOOS value (runtime.GOOS for the venv on
// this machine).
func NewLayout(root, goos string) Layout {
	if goos == "windows" {
		return WindowsLayout(root)
	}
	return PosixLayout(root)
}

// trimRoot drops trailing separators so joins do not double them, but keeps a
// root that is nothing but separators ("/") intact.
func trimRoot(root, seps string) string {
	t := strings.TrimRight(root, seps)
	if t == "" && root != "" {
		return root[:1]
	}
	return t
}

// Root is the venv directory.
func (l Layout) Root() string { return l.root }

// Windows reports whether this is a Windows layout.
func (l Layout) Windows() bool { return l.windows }

// Sep is the path separator the layout joins with.
func (l Layout) Sep() string {
	if l.windows {
		return `\`
	}
	return "/"
}

// Join joins elements under the venv root with the layout's separator.
func (l Layout) Join(elem ...string) string {
	sep := l.Sep()
	var b strings.Builder
	b.WriteString(l.root)
	for _, e := range elem {
		if e == "" {
			continue
		}
		if s := b.String(); s != "" && !isSep(s[len(s)-1], l.windows) {
			b.WriteString(sep)
		}
		b.WriteString(e)
	}
	return b.String()
}

// ConfigPath is pyvenv.cfg, the file that makes a directory a venv (PEP 405).
func (l Layout) ConfigPath() string { return l.Join(ConfigFile) }

// StampPath is the stamp influx-py writes after a successful sync.
func (l Layout) StampPath() string { return l.Join(StampFile) }

// InstallingPath is the marker present while influx-py is changing the venv.
func (l Layout) InstallingPath() string { return l.Join(InstallingFile) }

// BinDir holds the interpreter, console scripts and activate scripts.
func (l Layout) BinDir() string {
	if l.windows {
		return l.Join("Scripts")
	}
	return l.Join("bin")
}

// Script is the path of an executable named name in BinDir, with ".exe"
// added on Windows (console-script launchers are .exe files there).
func (l Layout) Script(name string) string {
	if l.windows && !strings.HasSuffix(strings.ToLower(name), ".exe") {
		name += ".exe"
	}
	return l.BinDir() + l.Sep() + name
}

// Python is the venv's interpreter: bin/python or Scripts\python.exe.
func (l Layout) Python() string { return l.Script("python") }

// Pip is the venv's pip launcher, present only when pip is installed.
func (l Layout) Pip() string { return l.Script("pip") }

// LibDir is the directory that holds site-packages: Lib on Windows and lib on
// POSIX (where site-packages sits one level further down, in pythonX.Y).
func (l Layout) LibDir() string {
	if l.windows {
		return l.Join("Lib")
	}
	return l.Join("lib")
}

// SitePackages is where distributions are installed for a CPython X.Y.
// Windows venvs do not version the directory, so major and minor are unused
// there.
func (l Layout) SitePackages(major, minor int) string {
	if l.windows {
		return l.Join("Lib", "site-packages")
	}
	return l.Join("lib", "python"+strconv.Itoa(major)+"."+strconv.Itoa(minor), "site-packages")
}

// Activate is the activate script a user runs in the platform's default
// shell: bin/activate (sh) or Scripts\activate.bat (cmd.exe).
func (l Layout) Activate() string {
	if l.windows {
		return l.BinDir() + `\activate.bat`
	}
	return l.BinDir() + "/activate"
}

// ActivateScripts lists every activate script CPython's venv writes for the
// platform, default shell first.
func (l Layout) ActivateScripts() []string {
	var names []string
	if l.windows {
		names = []string{"activate.bat", "Activate.ps1", "deactivate.bat", "activate"}
	} else {
		names = []string{"activate", "activate.csh", "activate.fish", "Activate.ps1"}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = l.BinDir() + l.Sep() + n
	}
	return out
}
