package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/redact"
	"github.com/influx-py/influx-py/internal/venv"
)

// NoLockError reports a lock file that does not exist.
type NoLockError struct{ Path string }

func (e *NoLockError) Error() string { return fmt.Sprintf("lock file %s does not exist", e.Path) }

// NotVenvError reports a venv path that holds something influx-py did not
// make and will not touch.
type NotVenvError struct {
	Path   string
	Reason string
}

func (e *NotVenvError) Error() string {
	return fmt.Sprintf("%s is not a virtual environment influx-py can use: %s", e.Path, e.Reason)
}

// VenvPythonError reports a venv made for another Python than the chosen
// one, which influx-py did not make and so will not rebuild.
type VenvPythonError struct {
	Path        string
	VenvVersion string
	Python      string
	Version     string
}

func (e *VenvPythonError) Error() string {
	return fmt.Sprintf("venv %s was made by Python %s, but the interpreter is %s (Python %s)", e.Path, e.VenvVersion, e.Python, e.Version)
}

// venvView is a venv as found on disk, with what influx-py left in it (its
// stamp, its marker): all that decides what to do with the directory.
// Reading it starts no process.
type venvView struct {
	loc    *Locations
	layout venv.Layout
	state  *venv.State
	stamp  *venv.Stamp
	// installing is set when an earlier sync was interrupted: the venv may
	// hold half-done changes, so the stamp's record of files is not trusted.
	// marker says how far it got.
	installing bool
	marker     venv.Marker
}

// viewVenv reads the venv at loc.Venv.
func (e *Engine) viewVenv(loc *Locations) (*venvView, error) {
	v := &venvView{loc: loc, layout: venv.NewLayout(loc.Venv, runtime.GOOS)}
	var err error
	if v.state, err = venv.InspectShallow(v.layout); err != nil {
		return nil, fmt.Errorf("inspect venv %s: %w", loc.Venv, err)
	}
	if v.state.Health.Exists {
		// The marker is read even from a directory that is not (yet) a
		// venv: one marked "creating" is influx-py's own, half made.
		if v.marker, v.installing, err = venv.ReadMarker(v.layout); err != nil {
			return nil, err
		}
	}
	if v.state.Health.Exists && !v.state.Health.NotVenv {
		v.stamp, err = venv.ReadStamp(v.layout)
		var corrupt *venv.CorruptStampError
		if errors.As(err, &corrupt) {
			e.warnf("%v; treating the venv as not synced", err)
			v.stamp, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

// loadDists reads the installed distributions, which the fast path does
// without: every decision past it calls this first.
func (v *venvView) loadDists() error {
	if err := v.state.LoadDists(); err != nil {
		return fmt.Errorf("inspect venv %s: %w", v.loc.Venv, err)
	}
	return nil
}

// session is what every verb reads before it decides anything: the
// locations, the lock and the venv as found on disk. Reading it starts no
// process.
type session struct {
	*venvView
	lockData []byte
	digest   string
	lock     *lockfile.Lock // nil until parse
	parse    func() error   // parses lockData into lock, once
	identity string         // of the chosen interpreter file
}

// maxLockBytes bounds the lock file read: real locks are a few hundred KiB.
const maxLockBytes = 64 << 20

// open reads the session; report says whether to log the locations (not
// again when re-reading after waiting for the venv lock). candidate, when
// set, is read in place of the lock file's bytes: a lock that add or lock
// is about to write, synced first (its relative paths are relative to the
// lock file all the same).
func (e *Engine) open(w Where, report bool, candidate []byte) (*session, error) {
	loc, err := Locate(w, e.Sys)
	if err != nil {
		return nil, err
	}
	if report {
		e.logf("plugin dir: %s", loc.PluginDir)
		if loc.VenvLink != "" {
			e.logf("venv: %s (the link %s points there)", loc.Venv, loc.VenvLink)
		} else {
			e.logf("venv: %s", loc.Venv)
		}
		e.logf("lock: %s", loc.Lock)
		e.logf("python: %s (%s)", loc.Python, loc.PythonFrom)
		e.warnServerVenv(loc)
	}
	s := &session{}
	if candidate != nil {
		s.lockData = candidate
	} else if s.lockData, err = fsutil.ReadRegular(loc.Lock, maxLockBytes); errors.Is(err, fs.ErrNotExist) {
		return nil, &NoLockError{Path: loc.Lock}
	} else if err != nil {
		return nil, fmt.Errorf("read lock: %w", err)
	}
	s.digest = lockfile.Digest(s.lockData)
	s.parse = func() error {
		if s.lock != nil {
			return nil
		}
		l, err := lockfile.Parse(loc.Lock, s.lockData)
		if err != nil {
			return err
		}
		for _, w := range l.Warnings {
			e.warnf("%s: %s", loc.Lock, w)
		}
		if secret := lockSecrets(l); len(secret) > 0 {
			e.warnf("%s holds credentials in %s; they are not used (credentials come from ~/.netrc): remove them from the lock", loc.Lock, strings.Join(secret, ", "))
		}
		s.lock = l
		return nil
	}
	if s.venvView, err = e.viewVenv(loc); err != nil {
		return nil, err
	}
	// The lock is parsed when a decision needs it: a lock whose bytes are
	// the ones the stamp records was parsed, checked and synced before,
	// and the no-op sync needs only their digest.
	if s.stamp == nil || s.stamp.LockDigest != s.digest {
		if err := s.parse(); err != nil {
			return nil, err
		}
	}
	if s.identity, err = interp.Identity(loc.Python); err != nil {
		return nil, &interp.ProbeError{Python: loc.Python, Err: err}
	}
	return s, nil
}

// warnServerVenv says when VIRTUAL_ENV names another venv than this one:
// the InfluxDB 3 server reads VIRTUAL_ENV as --virtual-env-location, so a
// server started from this environment would not use the venv synced here.
// influx-py itself never follows it (an operator's activated shell must not
// redirect a sync).
func (e *Engine) warnServerVenv(loc *Locations) {
	ve := envValue(e.Environ, "VIRTUAL_ENV")
	if ve == "" {
		return
	}
	abs, err := filepath.Abs(ve)
	if err != nil {
		abs = ve
	}
	if real, err := fsutil.FollowLink(abs); err == nil {
		abs = real
	}
	if filepath.Clean(abs) == filepath.Clean(loc.Venv) {
		return
	}
	e.warnf("VIRTUAL_ENV is %s, but this is the venv %s: an InfluxDB 3 server started from this environment would use %s (it reads VIRTUAL_ENV as --virtual-env-location); unset VIRTUAL_ENV or pass --venv %s", ve, loc.Venv, ve, ve)
}

// envValue is the value of key in an environment list (the last one wins,
// as for exec).
func envValue(environ []string, key string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// ours reports whether influx-py made or synced this venv, and so may
// replace it.
func (v *venvView) ours() bool {
	return v.stamp != nil || v.installing
}

// upToDate is the fast path: the stamp says the venv was synced to exactly
// this lock with exactly this interpreter, and site-packages has not been
// touched since. Deciding it reads a few files and starts no process.
func (s *session) upToDate() (bool, string) {
	st := s.stamp
	switch {
	case st == nil:
		return false, "no stamp: the venv was not synced by influx-py"
	case s.installing:
		return false, "an earlier sync was interrupted"
	case !s.state.Health.OK():
		return false, "the venv is unhealthy"
	case st.LockDigest != s.digest:
		return false, "the lock changed"
	case st.Interpreter.Path != s.loc.Python || st.Interpreter.Identity != s.identity:
		return false, "the interpreter changed"
	case s.state.SitePackages == "":
		return false, "no site-packages"
	}
	if why, changed := s.sourceChanged(); changed {
		return false, why
	}
	listing, err := venv.ListingDigest(s.state.SitePackages)
	if err != nil || listing != st.ListingDigest {
		return false, "site-packages changed"
	}
	return true, ""
}

// venvVerdict decides what to do with the venv directory for this
// interpreter: keep it, create it, or rebuild it.
type venvAction int

const (
	venvKeep venvAction = iota
	venvCreate
	venvRebuild
)

func (v *venvView) verdict(info *interp.Info) (venvAction, string, error) {
	h := v.state.Health
	switch {
	case !h.Exists || h.Empty:
		return venvCreate, "the venv does not exist", nil
	case v.installing && v.marker.Phase == venv.PhaseCreating:
		// Killed while the interpreter or pip was being put in: nothing
		// in it can be trusted, and it is ours to make again.
		return venvCreate, "an earlier sync was interrupted while creating it", nil
	case h.NotVenv:
		return 0, "", &NotVenvError{Path: v.loc.Venv, Reason: "it holds files but no pyvenv.cfg"}
	}
	major, minor, _ := info.Version()
	var why string
	switch {
	case !h.HasConfig:
		why = "pyvenv.cfg is missing or unreadable"
	case !h.HomeExists:
		why = fmt.Sprintf("its Python home %s no longer exists", v.state.Config.Home())
	case !h.PythonExists:
		why = "its interpreter is missing"
	case v.state.PyVersion.Major != major || v.state.PyVersion.Minor != minor:
		why = fmt.Sprintf("it was made by Python %s and the interpreter is Python %s", v.state.Version, info.FullVersion)
	case v.state.Config.Implementation() != "" && !strings.EqualFold(v.state.Config.Implementation(), info.Implementation):
		// uv and virtualenv record the implementation; CPython's venv does not.
		why = fmt.Sprintf("it was made by %s and the interpreter is %s", v.state.Config.Implementation(), info.Implementation)
	case !h.SitePackagesExists:
		why = "its site-packages is missing"
	default:
		return venvKeep, "", nil
	}
	if !v.ours() {
		if v.state.PyVersion.Major != major || v.state.PyVersion.Minor != minor {
			return 0, "", &VenvPythonError{Path: v.loc.Venv, VenvVersion: v.state.Version, Python: v.loc.Python, Version: info.FullVersion}
		}
		return 0, "", &NotVenvError{Path: v.loc.Venv, Reason: why + ", and influx-py did not make it"}
	}
	return venvRebuild, why, nil
}

// wants turns the lock's selection for this interpreter into the plan's
// terms.
func (s *session) wants(info *interp.Info, allowBuild bool) ([]Want, map[string]artifact.Request, error) {
	if err := s.parse(); err != nil {
		return nil, nil, err
	}
	sel, err := s.lock.Select(lockfile.Env{
		Markers:           info.MarkerVars(),
		PythonFullVersion: info.FullVersion,
		Tags:              info.Tags(),
		AllowSdist:        allowBuild,
	})
	var envErr *lockfile.EnvironmentError
	var pyErr *lockfile.RequiresPythonError
	if errors.As(err, &envErr) || errors.As(err, &pyErr) {
		if p, perr := projectOf(s.lock); perr == nil && len(p.Targets) > 0 {
			return nil, nil, fmt.Errorf("%s: %w", s.loc.Lock, &TargetError{Here: describeHost(info), Targets: p.Targets})
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", s.loc.Lock, err)
	}
	wants := make([]Want, 0, len(sel))
	reqs := make(map[string]artifact.Request, len(sel))
	for _, x := range sel {
		if x.Kind == lockfile.KindDirectory || x.Kind == lockfile.KindVCS {
			src, id, err := sourceOf(x.Package, x.Kind, s.loc.Lock, allowBuild)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", s.loc.Lock, err)
			}
			wants = append(wants, Want{Name: pep508.NormalizeName(x.Package.Name), Version: normVersion(x.Package.Version), SHA256: id, src: src})
			continue
		}
		if x.File == nil || (x.Kind != lockfile.KindWheel && x.Kind != lockfile.KindSdist && x.Kind != lockfile.KindArchive) {
			return nil, nil, fmt.Errorf("%s: package %s: %s sources are not supported; lock wheels instead", s.loc.Lock, x.Package.ID(), x.Kind)
		}
		sum, ok := x.File.SHA256()
		if !ok {
			return nil, nil, fmt.Errorf("%s: package %s: file %s has no sha256 hash, which influx-py requires", s.loc.Lock, x.Package.ID(), x.File.Filename())
		}
		w := Want{
			Name:    pep508.NormalizeName(x.Package.Name),
			Version: normVersion(x.Package.Version),
			File:    x.File.Filename(),
			SHA256:  strings.ToLower(sum),
		}
		wants = append(wants, w)
		req := fileRequest(x.Package, x.File, s.loc.Lock)
		req.SHA256 = w.SHA256
		reqs[w.Name] = req
	}
	return wants, reqs, nil
}

// fileRequest is what the fetch layer needs to find and verify one of the
// lock's files. PEP 751: a relative path is relative to the lock file's
// folder.
func fileRequest(p *lockfile.Package, f *lockfile.File, lockPath string) artifact.Request {
	sum, _ := f.SHA256()
	req := artifact.Request{
		Name:    f.Filename(),
		Package: strings.TrimSpace(p.Name + " " + p.Version),
		URL:     f.URL,
		Size:    -1,
		SHA256:  strings.ToLower(sum),
	}
	if f.Size != nil {
		req.Size = *f.Size
	}
	if f.Path != "" {
		req.Path = filepath.FromSlash(f.Path)
		if !filepath.IsAbs(req.Path) {
			req.Path = filepath.Join(filepath.Dir(lockPath), req.Path)
		}
	}
	return req
}

// haves lists what site-packages holds, with the file each came from when
// the stamp can vouch for it: same version, and the same RECORD the sync
// left (a reinstall from another file, by hand, writes another one).
func (v *venvView) haves(dists []venv.Dist) []Have {
	recorded := map[string]venv.StampDist{}
	if v.stamp != nil && !v.installing {
		for _, d := range v.stamp.Installed {
			recorded[pep508.NormalizeName(d.Name)] = d
		}
	}
	out := make([]Have, 0, len(dists))
	for _, d := range dists {
		h := Have{Name: d.Name, Version: normVersion(d.Version)}
		r, ok := recorded[d.Name]
		if ok && normVersion(r.Version) == h.Version && !d.MetadataMissing && r.Record == venv.RecordDigest(d) {
			h.SHA256 = r.SHA256
		}
		out = append(out, h)
	}
	return out
}

// normVersion puts a version in PEP 440 normal form, so that spellings of
// one version ("1.0-post1" in a lock, "1.0.post1" in METADATA) compare
// equal.
func normVersion(v string) string {
	if pv, err := pep440.Parse(v); err == nil {
		return pv.String()
	}
	return v
}

// probe describes the interpreter: the cached probe, or what the engine was
// given instead.
func (e *Engine) probe(ctx context.Context, cacheDir, python string) (*interp.Info, error) {
	if err := e.trustCache(cacheDir); err != nil {
		return nil, err
	}
	if e.Probe != nil {
		return e.Probe(ctx, cacheDir, python)
	}
	return (&interp.Prober{Runner: e.Runner, CacheDir: cacheDir, Environ: e.Environ}).Probe(ctx, python)
}

// interruptedWhat says how far an interrupted sync got.
func interruptedWhat(s *session) string {
	if s.marker.Phase == venv.PhaseCreating {
		return "an earlier sync was interrupted while creating the venv"
	}
	return "an earlier sync was interrupted"
}

// lockSecrets lists, redacted, the URLs in a lock that carry credentials or
// tokens: a lock travels to every node and into version control.
func lockSecrets(l *lockfile.Lock) []string {
	var out []string
	check := func(u string) {
		if u != "" && redact.HasSecret(u) {
			out = append(out, redact.URL(u))
		}
	}
	for i := range l.Packages {
		p := &l.Packages[i]
		for _, w := range p.Wheels {
			check(w.URL)
		}
		if p.Sdist != nil {
			check(p.Sdist.URL)
		}
		if p.Archive != nil {
			check(p.Archive.URL)
		}
		if p.VCS != nil {
			check(p.VCS.URL)
		}
		check(p.Index)
	}
	if proj, err := projectOf(l); err == nil {
		check(proj.IndexURL)
		for _, u := range append(append([]string(nil), proj.ExtraIndexURLs...), proj.FindLinks...) {
			check(u)
		}
	}
	return out
}
