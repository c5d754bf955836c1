package engine

import (
	"fmt"
	"strings"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/tags"
)

// environmentOf is the lock's environments marker for a resolution made
// here: only what the chosen files require. A package all of whose files
// are built for one interpreter version (cp311) pins python_version; one
// all of whose files are built for a platform (manylinux_x86_64, say)
// pins sys_platform and platform_machine. A lock of pure-Python wheels
// (or with an sdist or universal wheel for every package) records no
// environment: requires-python already says which Pythons it was
// resolved for, and a node the files do not fit is told so by name when
// the sync selects them. It returns nil when nothing is required.
func environmentOf(pkgs []lockfile.Package, info *interp.Info) []string {
	needPython, needPlatform := false, false
	for _, p := range pkgs {
		py, plat := fileNeeds(p)
		needPython = needPython || py
		needPlatform = needPlatform || plat
	}
	m := info.MarkerVars()
	var parts []string
	if needPython {
		parts = append(parts, fmt.Sprintf("python_version == %q", m["python_version"]))
	}
	if needPlatform {
		parts = append(parts, fmt.Sprintf("sys_platform == %q and platform_machine == %q", m["sys_platform"], m["platform_machine"]))
	}
	if len(parts) == 0 {
		return nil
	}
	return []string{strings.Join(parts, " and ")}
}

// fileNeeds reports whether every file of p is bound to one Python version
// (py) and to one platform (plat): the package then fits only where one of
// its files does. An sdist or an archive builds anywhere, so it binds
// neither.
func fileNeeds(p lockfile.Package) (py, plat bool) {
	if p.Sdist != nil || p.Archive != nil || p.Directory != nil || p.VCS != nil || len(p.Wheels) == 0 {
		return false, false
	}
	py, plat = true, true
	for _, w := range p.Wheels {
		name, err := tags.ParseWheelFilename(w.Filename())
		if err != nil {
			continue // the lock's validation has already named it
		}
		// A file fits any Python 3 when one of its tags is "py3" (or
		// "py2"), or is abi3 (this version and later, which
		// requires-python already bounds); any platform when one of its
		// tags is "any".
		anyPy, anyPlat := false, false
		for _, t := range name.Tags {
			if t.Platform == "any" {
				anyPlat = true
			}
			if t.ABI == "abi3" || t.Interpreter == "py3" || t.Interpreter == "py2" {
				anyPy = true
			}
		}
		if anyPy {
			py = false
		}
		if anyPlat {
			plat = false
		}
	}
	return py, plat
}
