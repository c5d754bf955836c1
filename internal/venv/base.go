package venv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Probe is what base-interpreter resolution needs to ask the file system. It
// is an interface so the resolution can be checked against CPython's mocked
// file systems (and Windows paths) on any machine.
type Probe interface {
	// IsFile reports whether path exists and is not a directory.
	IsFile(path string) bool
	// Realpath resolves every symbolic link in path.
	Realpath(path string) (string, error)
}

// OSProbe answers from the real file system.
type OSProbe struct{}

// IsFile implements Probe.
func (OSProbe) IsFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}

// Realpath implements Probe.
func (OSProbe) Realpath(path string) (string, error) {
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(p)
}

// Base is the installation a venv was created from.
type Base struct {
	Executable string // the base interpreter
	Prefix     string // its installation prefix (sys.base_prefix)
}

// ResolveBase finds the base interpreter of a venv the way CPython's getpath
// does when the venv's interpreter (executable) starts, without starting it.
// goos selects path rules ("windows" or anything else for POSIX); major and
// minor are the interpreter's version, used for the fallback names getpath
// tries. It reports false when the config has no home.
//
// The rules, from Modules/getpath.py:
//   - home is the first "home" line;
//   - if executable is a symlink, its resolved target is the base (this is
//     how a symlinked POSIX venv finds python3.11 behind bin/python);
//   - otherwise the base is home joined with the executable's file name, and
//     on POSIX, when that file does not exist, python<major> and then
//     python<major>.<minor> in home are tried;
//   - on macOS, a home inside a framework (X.framework/Versions/V/bin) gives
//     that framework's bin/python<major>.<minor>: getpath derives it from the
//     framework library, whose directory is home's parent.
//
// Prefix is home itself on Windows and home's parent elsewhere, which is where
// CPython's landmark search (lib/pythonX.Y/os.py, Lib\os.py) ends for every
// standard installation; the landmark is not checked here.
func ResolveBase(goos string, cfg *Config, executable string, major, minor int, p Probe) (Base, bool) {
	home := cfg.Home()
	if home == "" {
		return Base{}, false
	}
	nt := goos == "windows"
	b := Base{Prefix: pathDir(home, nt)}
	if nt {
		b.Prefix = home
	}
	mm := strconv.Itoa(major) + "." + strconv.Itoa(minor)
	if goos == "darwin" && isFrameworkBin(home) {
		b.Executable = pathJoin(home, "python"+mm, nt)
		return b, true
	}
	if real, err := p.Realpath(executable); err == nil && real != executable {
		b.Executable = real
		return b, true
	}
	exe := pathBase(executable, nt)
	b.Executable = pathJoin(home, exe, nt)
	if !nt && !p.IsFile(b.Executable) {
		for _, cand := range []string{"python" + strconv.Itoa(major), "python" + mm} {
			if cand == exe {
				continue
			}
			if c := pathJoin(home, cand, nt); p.IsFile(c) {
				b.Executable = c
				break
			}
		}
	}
	return b, true
}

// isFrameworkBin matches .../Name.framework/Versions/V/bin.
func isFrameworkBin(home string) bool {
	parts := strings.Split(strings.TrimRight(home, "/"), "/")
	n := len(parts)
	return n >= 4 && parts[n-1] == "bin" && parts[n-3] == "Versions" &&
		strings.HasSuffix(parts[n-4], ".framework")
}

func isSep(c byte, nt bool) bool { return c == '/' || (nt && c == '\\') }

// pathBase and pathDir split at the last separator of the given OS's rules;
// on Windows both / and \ separate.
func pathBase(p string, nt bool) string {
	for i := len(p) - 1; i >= 0; i-- {
		if isSep(p[i], nt) {
			return p[i+1:]
		}
	}
	return p
}

func pathDir(p string, nt bool) string {
	for len(p) > 1 && isSep(p[len(p)-1], nt) {
		p = p[:len(p)-1]
	}
	for i := len(p) - 1; i >= 0; i-- {
		if isSep(p[i], nt) {
			d := p[:i]
			for len(d) > 1 && isSep(d[len(d)-1], nt) {
				d = d[:len(d)-1]
			}
			if d == "" || (nt && len(d) == 2 && d[1] == ':') {
				return p[:i+1]
			}
			return d
		}
	}
	return "."
}

func pathJoin(dir, name string, nt bool) string {
	if dir == "" {
		return name
	}
	sep := "/"
	if nt {
		sep = `\`
	}
	if isSep(dir[len(dir)-1], nt) {
		return dir + name
	}
	return dir + sep + name
}
