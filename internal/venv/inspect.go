package venv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// Health is what can be checked about a venv from the file system alone.
type Health struct {
	Exists             bool // the root directory exists
	Empty              bool // it exists and has nothing in it but influx-py's own files
	NotVenv            bool // it holds other files but no pyvenv.cfg: not ours to touch
	HasConfig          bool // pyvenv.cfg exists and parses
	HomeExists         bool // the directory its "home" names exists
	PythonExists       bool // the venv interpreter exists (a symlink resolves)
	SitePackagesExists bool
	Problems           []string // each failed check and any damage found, in words
}

// OK reports whether the venv is usable as it is: it exists, is a venv, and
// its interpreter, base installation and site-packages are all there.
// Damaged distributions (listed in Problems) do not make it unusable; a sync
// reinstalls them.
func (h Health) OK() bool {
	return h.Exists && !h.NotVenv && h.HasConfig && h.HomeExists && h.PythonExists && h.SitePackagesExists
}

// State is a venv as found on disk.
type State struct {
	Layout       Layout
	Config       *Config   // nil when there is no readable pyvenv.cfg
	Version      string    // the Python version pyvenv.cfg records, as written
	PyVersion    PyVersion // Version parsed; zero when it does not parse
	Base         Base      // the base interpreter, as getpath would find it
	SitePackages string    // "" when it cannot be determined
	Health       Health
	Dists        []Dist // installed distributions, sorted by name (after LoadDists)
	distsLoaded  bool
}

// Inspect examines the venv at l without starting Python. Conditions of the
// venv (missing, not a venv, broken) are reported in State.Health; the error
// is for failures to read what is there, such as permission errors.
//
// A directory with files but no pyvenv.cfg is reported as NotVenv so the
// engine refuses to delete or install into someone else's directory.
func Inspect(l Layout) (*State, error) {
	st, err := InspectShallow(l)
	if err != nil {
		return nil, err
	}
	if err := st.LoadDists(); err != nil {
		return nil, err
	}
	return st, nil
}

// InspectShallow is Inspect without reading the installed distributions:
// the venv's shape, its configuration and its interpreter, from a few
// stats. The no-op sync decides on this and the stamp alone; LoadDists
// reads the rest when a decision needs it.
func InspectShallow(l Layout) (*State, error) {
	st := &State{Layout: l}
	h := &st.Health
	fi, err := os.Stat(l.Root())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		h.Problems = append(h.Problems, "venv directory "+l.Root()+" does not exist")
		return st, nil
	case err != nil:
		return nil, fmt.Errorf("inspect venv: %w", err)
	case !fi.IsDir():
		h.Exists, h.NotVenv = true, true
		h.Problems = append(h.Problems, l.Root()+" is not a virtual environment: it is not a directory")
		return st, nil
	}
	entries, err := os.ReadDir(l.Root())
	if err != nil {
		return nil, fmt.Errorf("inspect venv: %w", err)
	}
	h.Exists = true
	var foreign []string
	for _, e := range entries {
		switch e.Name() {
		case StampFile, InstallingFile:
		default:
			foreign = append(foreign, e.Name())
		}
	}
	h.Empty = len(foreign) == 0

	cfg, err := ReadConfig(l.ConfigPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if h.Empty {
			h.Problems = append(h.Problems, "venv directory "+l.Root()+" is empty")
		} else {
			h.NotVenv = true
			h.Problems = append(h.Problems, fmt.Sprintf("%s is not a virtual environment: it has no pyvenv.cfg but holds %s",
				l.Root(), summarize(foreign)))
		}
		return st, nil
	case err != nil && isPermission(err):
		return nil, fmt.Errorf("inspect venv: %w", err)
	case err != nil:
		h.Problems = append(h.Problems, err.Error())
	default:
		h.HasConfig = true
		st.Config = cfg
	}

	if cfg != nil {
		inspectConfig(st, cfg)
	}
	inspectPython(st)

	st.SitePackages = findSitePackages(l, st.PyVersion)
	if st.SitePackages == "" {
		h.Problems = append(h.Problems, "site-packages not found under "+l.LibDir())
		return st, nil
	}
	h.SitePackagesExists = true
	return st, nil
}

// LoadDists reads the installed distributions (their METADATA and RECORD
// headers) into Dists and adds their damage to Health.Problems. It does
// nothing the second time, or without site-packages.
func (st *State) LoadDists() error {
	if st.distsLoaded || st.SitePackages == "" {
		st.distsLoaded = true
		return nil
	}
	h := &st.Health
	dists, err := Installed(st.SitePackages)
	if err != nil {
		return fmt.Errorf("inspect venv: %w", err)
	}
	st.Dists, st.distsLoaded = dists, true
	seen := map[string]string{}
	for _, d := range dists {
		if d.Problem != "" {
			h.Problems = append(h.Problems, fmt.Sprintf("distribution %s (%s): %s", d.Name, filepath.Base(d.DistInfo), d.Problem))
		}
		if prev, dup := seen[d.Name]; dup {
			h.Problems = append(h.Problems, fmt.Sprintf("distribution %s is installed twice: %s and %s", d.Name, prev, filepath.Base(d.DistInfo)))
		}
		seen[d.Name] = filepath.Base(d.DistInfo)
	}
	if left, err := leftovers(st.SitePackages); err == nil && len(left) > 0 {
		h.Problems = append(h.Problems, "leftovers of an interrupted pip uninstall in site-packages: "+summarize(left))
	}
	return nil
}

func inspectConfig(st *State, cfg *Config) {
	h := &st.Health
	st.Version = cfg.Version()
	if st.Version == "" {
		h.Problems = append(h.Problems, "pyvenv.cfg records no version")
	} else if v, err := ParsePyVersion(st.Version); err != nil {
		h.Problems = append(h.Problems, "pyvenv.cfg: "+err.Error())
	} else {
		st.PyVersion = v
	}
	home := cfg.Home()
	if home == "" {
		h.Problems = append(h.Problems, "pyvenv.cfg has no home")
		return
	}
	if fi, err := os.Stat(home); err == nil && fi.IsDir() {
		h.HomeExists = true
	} else {
		h.Problems = append(h.Problems, "the base interpreter's directory "+home+" (pyvenv.cfg home) does not exist")
	}
	goos := runtime.GOOS
	if st.Layout.Windows() {
		goos = "windows"
	}
	if b, ok := ResolveBase(goos, cfg, st.Layout.Python(), st.PyVersion.Major, st.PyVersion.Minor, OSProbe{}); ok {
		st.Base = b
	}
}

func inspectPython(st *State) {
	h := &st.Health
	py := st.Layout.Python()
	if _, err := os.Stat(py); err == nil {
		h.PythonExists = true
		return
	}
	if target, err := os.Readlink(py); err == nil {
		h.Problems = append(h.Problems, fmt.Sprintf("the venv interpreter %s is a dangling symlink to %s", py, target))
		return
	}
	h.Problems = append(h.Problems, "the venv interpreter "+py+" does not exist")
}

// FindSitePackages is the one site-packages of the venv at root, or ""
// when there is not exactly one.
func FindSitePackages(root, goos string) string {
	return findSitePackages(NewLayout(root, goos), PyVersion{})
}

// findSitePackages is the site-packages for the recorded version, or, when
// that is unknown or absent, the single lib/*/site-packages there is (PyPy
// uses lib/pypyX.Y, free-threaded CPython lib/pythonX.Yt).
func findSitePackages(l Layout, v PyVersion) string {
	if l.Windows() || v.Major > 0 {
		if p := l.SitePackages(v.Major, v.Minor); isDir(p) {
			return p
		}
		if l.Windows() {
			return ""
		}
	}
	matches, _ := filepath.Glob(filepath.Join(l.LibDir(), "*", "site-packages"))
	var dirs []string
	for _, m := range matches {
		if isDir(m) {
			dirs = append(dirs, m)
		}
	}
	if len(dirs) == 1 {
		return dirs[0]
	}
	return ""
}

func leftovers(sitePackages string) ([]string, error) {
	entries, err := os.ReadDir(sitePackages)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if isLeftover(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func isPermission(err error) bool { return errors.Is(err, fs.ErrPermission) }

// summarize names up to three entries.
func summarize(names []string) string {
	sort.Strings(names)
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
}
