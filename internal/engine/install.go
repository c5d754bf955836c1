package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheel"
)

// NoSpaceError refuses an install that would not fit on the disk.
type NoSpaceError struct {
	Dir      string
	Unpacked int64 // what the wheels unpack to
	Need     int64 // with the new venv's pip, bytecode and room to work
	Free     int64
}

func (e *NoSpaceError) Error() string {
	return fmt.Sprintf("not enough space for the install: it needs about %s (the wheels unpack to %s) and %s has %s free",
		mib(e.Need), mib(e.Unpacked), e.Dir, mib(e.Free))
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// OverwriteError refuses a wheel that would overwrite files of a
// distribution the sync keeps (pip's own, say): the installer would replace
// them without a word, and the venv would hold a pip that no longer runs.
type OverwriteError struct {
	Wheel string   // file name
	Owner string   // the distribution whose files it would overwrite
	Paths []string // a few of them
}

func (e *OverwriteError) Error() string {
	verb := "belong"
	if len(e.Paths) == 1 {
		verb = "belongs"
	}
	return fmt.Sprintf("%s would overwrite %s, which %s to %s: refusing to install it", e.Wheel, strings.Join(e.Paths, ", "), verb, e.Owner)
}

// preflight reads the wheels the plan installs and refuses, before the venv
// is touched, an install that would not fit on the disk or that would
// overwrite the files of a distribution that stays. The contents it read
// are kept, keyed by sha256, to clean up after an install that fails.
func (e *Engine) preflight(s *session, d *decision, files map[string]string, info *interp.Info) (map[string]*wheel.Contents, error) {
	wheels := map[string]*wheel.Contents{}
	var unpacked, need int64
	for _, w := range installs(d.plan) {
		if !strings.HasSuffix(strings.ToLower(w.File), ".whl") {
			continue // an sdist: its size is known only once built
		}
		c, err := wheel.Inspect(files[w.SHA256])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", w.Name, w.Version, err)
		}
		if err := sameDistribution(w, c); err != nil {
			return nil, err
		}
		wheels[w.SHA256] = c
		unpacked += c.Unpacked
	}
	need = unpacked
	if d.action != venvKeep {
		// The new venv's pip, and its bytecode, come first.
		if pw := pipWheel(info); pw != "" {
			if c, err := wheel.Inspect(pw); err == nil {
				need += c.Unpacked
			}
		}
		need += 16 << 20
	}
	// Installers also write bytecode and their own temporary files.
	need += need / 5
	if free, ok := e.freeSpace(s); ok && free < need {
		return nil, &NoSpaceError{Dir: filepath.Dir(s.loc.Venv), Unpacked: unpacked, Need: need, Free: free}
	}
	if d.action == venvKeep {
		if err := checkOverwrites(s.state.SitePackages, d.plan, wheels); err != nil {
			return nil, err
		}
	}
	return wheels, nil
}

// MismatchError refuses a wheel whose metadata names another distribution
// or version than the lock gives it.
type MismatchError struct {
	File                    string
	LockName, LockVersion   string
	WheelName, WheelVersion string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s says it is %s %s, the lock says %s %s: refusing to install it", e.File, e.WheelName, e.WheelVersion, e.LockName, e.LockVersion)
}

// sameDistribution checks a wheel's METADATA against what the lock says it
// is: a file the hashes vouch for may still not be the package it is
// locked as (a lock edited by hand, or made from a mislabelled mirror).
func sameDistribution(w Want, c *wheel.Contents) error {
	name, version := pep508.NormalizeName(c.Metadata.Name), normVersion(c.Metadata.Version)
	if name != w.Name || (w.Version != "" && version != w.Version) {
		return &MismatchError{File: w.File, LockName: w.Name, LockVersion: w.Version, WheelName: c.Metadata.Name, WheelVersion: c.Metadata.Version}
	}
	return nil
}

func (e *Engine) freeSpace(s *session) (int64, bool) {
	if e.Sys.FreeSpace == nil {
		return 0, false
	}
	dir := s.state.SitePackages
	if dir == "" {
		// A venv still to be made: the filesystem it will be made on.
		dir = filepath.Dir(s.loc.Venv)
	}
	return e.Sys.FreeSpace(dir)
}

// UnsafeUninstallError refuses to uninstall a distribution whose RECORD
// names a file outside the venv: an installer deletes what RECORD lists.
type UnsafeUninstallError struct {
	Dist string
	Path string
}

func (e *UnsafeUninstallError) Error() string {
	return fmt.Sprintf("refusing to uninstall %s: its RECORD lists %s, outside the venv", e.Dist, e.Path)
}

// uninstallStaysInside reads the RECORD of each distribution about to be
// removed and refuses when any file it lists is outside the venv (console
// scripts in ../../../bin are inside it).
func uninstallStaysInside(v *venvView, names []string) error {
	remove := map[string]bool{}
	for _, n := range names {
		remove[n] = true
	}
	dists, err := venv.Installed(v.state.SitePackages)
	if err != nil {
		return err
	}
	root := filepath.Clean(v.loc.Venv) + string(filepath.Separator)
	for _, d := range dists {
		if !remove[d.Name] {
			continue
		}
		entries, err := venv.ReadRecord(d)
		if err != nil {
			continue // no RECORD: the installer removes nothing but the metadata
		}
		for _, e := range entries {
			p := filepath.FromSlash(e.Path)
			if !filepath.IsAbs(p) {
				p = filepath.Join(v.state.SitePackages, p)
			}
			if !strings.HasPrefix(filepath.Clean(p)+string(filepath.Separator), root) {
				return &UnsafeUninstallError{Dist: d.DisplayName + " " + d.Version, Path: e.Path}
			}
		}
	}
	return nil
}

// installs lists what the plan installs: new distributions and replacements.
func installs(p *Plan) []Want {
	out := append([]Want(nil), p.Install...)
	for _, c := range p.Replace {
		out = append(out, c.To)
	}
	return out
}

// checkOverwrites refuses a wheel that would overwrite, with other bytes, a
// file that belongs to a distribution the plan leaves installed. Files two
// distributions share with the same content (old-style namespace
// packages' __init__.py) are fine.
func checkOverwrites(sitePackages string, plan *Plan, wheels map[string]*wheel.Contents) error {
	if len(wheels) == 0 || sitePackages == "" {
		return nil
	}
	changing := map[string]bool{}
	for _, w := range installs(plan) {
		changing[w.Name] = true
	}
	for _, h := range plan.Remove {
		changing[h.Name] = true
	}
	dists, err := venv.Installed(sitePackages)
	if err != nil {
		return err
	}
	type owned struct{ dist, hash string }
	owners := map[string]owned{}
	for _, d := range dists {
		if changing[d.Name] {
			continue
		}
		entries, err := venv.ReadRecord(d)
		if err != nil {
			continue // no RECORD: nothing known to protect
		}
		for _, e := range entries {
			if p, ok := venv.SitePath(e.Path); ok {
				owners[p] = owned{d.DisplayName + " " + d.Version, e.Hash}
			}
		}
	}
	for _, w := range installs(plan) {
		c := wheels[w.SHA256]
		if c == nil {
			continue
		}
		byOwner := map[string][]string{}
		for _, p := range c.Site {
			o, ok := owners[p]
			if !ok || (o.hash != "" && o.hash == c.Hashes[p]) {
				continue
			}
			byOwner[o.dist] = append(byOwner[o.dist], p)
		}
		for owner, paths := range byOwner {
			sort.Strings(paths)
			if len(paths) > 3 {
				paths = append(paths[:3], fmt.Sprintf("and %d more", len(paths)-3))
			}
			return &OverwriteError{Wheel: w.File, Owner: owner, Paths: paths}
		}
	}
	return nil
}

// apply carries out the plan with the backend. When the install fails, what
// it left half-written in site-packages is removed, so that the next sync
// starts from a venv it can repair (and a disk filled by a partial file has
// its space back).
func (e *Engine) apply(ctx context.Context, b Backend, s *venvView, plan *Plan, files map[string]string, wheels map[string]*wheel.Contents, findLinks []string) error {
	py := s.layout.Python()
	var remove []string
	for _, h := range plan.Remove {
		remove = append(remove, h.Name)
	}
	// Replacing uninstalls the old files too: check those RECORDs as well.
	replaced := append([]string(nil), remove...)
	for _, c := range plan.Replace {
		replaced = append(replaced, c.To.Name)
	}
	if err := uninstallStaysInside(s, replaced); err != nil {
		return err
	}
	if len(remove) > 0 {
		e.logf("removing %s", strings.Join(remove, " "))
		if err := b.Uninstall(ctx, py, remove); err != nil {
			return err
		}
	}
	// Replacements are not uninstalled first: the backend reinstalls what it
	// is given, which also covers a lock that pins another pip (pip cannot
	// install anything once it has uninstalled itself).
	install := installs(plan)
	if len(install) == 0 {
		return nil
	}
	tmp, err := newScratch(s.loc.Venv, "install")
	if err != nil {
		return err
	}
	var req strings.Builder
	// Every requirement is a verified local file, so the installer never
	// needs an index; the find-links folders are offered only for the build
	// dependencies of an sdist (--allow-build).
	for _, d := range findLinks {
		if abs, err := filepath.Abs(d); err == nil {
			fmt.Fprintf(&req, "--find-links %s\n", abs)
		}
	}
	for _, w := range install {
		path, ok := files[w.SHA256]
		if !ok {
			return fmt.Errorf("internal error: no verified file for %s %s", w.Name, w.Version)
		}
		// Installers name a wheel's contents from its file name, so the file
		// is offered under the name the lock gives it.
		link := filepath.Join(tmp, w.File)
		if err := os.Symlink(path, link); err != nil {
			link = path
		}
		sum := w.SHA256
		if w.src != nil {
			// A wheel built from source by this sync: its own hash.
			if sum, _, err = fetch.HashFile(path); err != nil {
				return err
			}
		}
		fmt.Fprintf(&req, "%s --hash=sha256:%s\n", link, sum)
	}
	reqFile := filepath.Join(tmp, "requirements.txt")
	if err := os.WriteFile(reqFile, []byte(req.String()), 0o644); err != nil {
		return err
	}
	e.logf("installing %d files", len(install))
	stop := e.phase("installing", len(install))
	err = b.Install(ctx, py, reqFile)
	stop()
	if err != nil {
		if n := e.cleanupFailed(s, install, wheels); n > 0 {
			e.logf("removed %d files a failed install left in %s", n, s.state.SitePackages)
		}
		return err
	}
	return nil
}

// cleanupFailed removes what a failed install left of the wheels it did not
// finish: their files in site-packages that no installed distribution's
// RECORD claims, and their unfinished metadata directories. uv's cache in
// the venv goes too (it is only a cache, and may hold the rest of a partial
// unpack). It returns how many files it removed.
func (e *Engine) cleanupFailed(s *venvView, install []Want, wheels map[string]*wheel.Contents) int {
	site := s.state.SitePackages
	os.RemoveAll(filepath.Join(s.loc.Venv, uvCacheDir))
	if site == "" {
		return 0
	}
	dists, err := venv.Installed(site)
	if err != nil {
		return 0
	}
	claimed := map[string]bool{}
	complete := map[string]bool{} // dist-info directories with a RECORD
	for _, d := range dists {
		entries, err := venv.ReadRecord(d)
		if err != nil {
			continue
		}
		complete[filepath.Base(d.DistInfo)] = true
		for _, e := range entries {
			if p, ok := venv.SitePath(e.Path); ok {
				claimed[p] = true
			}
		}
	}
	removed := 0
	for _, w := range install {
		c := wheels[w.SHA256]
		if c == nil || complete[c.DistInfo] {
			continue
		}
		dirs := map[string]bool{}
		for _, p := range c.Site {
			if claimed[p] {
				continue
			}
			full := filepath.Join(site, filepath.FromSlash(p))
			if err := os.Remove(full); err == nil {
				removed++
			} else if !errors.Is(err, fs.ErrNotExist) {
				continue
			}
			for d := filepath.Dir(p); d != "." && d != "/"; d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
		dirs[c.DistInfo] = true
		removeEmptyDirs(site, dirs)
	}
	return removed
}

// removeEmptyDirs removes the directories (relative to root) that are
// empty, deepest first; bytecode caches a failed install left in them go
// too.
func removeEmptyDirs(root string, dirs map[string]bool) {
	list := make([]string, 0, len(dirs))
	for d := range dirs {
		list = append(list, d)
	}
	sort.Slice(list, func(i, j int) bool { return strings.Count(list[i], "/") > strings.Count(list[j], "/") })
	for _, d := range list {
		full := filepath.Join(root, filepath.FromSlash(d))
		os.RemoveAll(filepath.Join(full, "__pycache__"))
		os.Remove(full) // fails, as it should, when something else is there
	}
}
