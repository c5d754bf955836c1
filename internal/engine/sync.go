package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheel"
)

// SyncOptions are sync's inputs.
type SyncOptions struct {
	Where      Where
	CacheDir   string
	FindLinks  []string
	Offline    bool
	DryRun     bool
	AllowBuild bool
	Backend    string // auto (default), uv or pip
	UV         string // an existing uv to use instead of the pinned one
	UVMirror   string // base URL replacing uv's release host

	// LockTimeout bounds the wait for another influx-py working on the
	// same venv; zero waits as long as it takes.
	LockTimeout time.Duration

	// Compile writes bytecode at install (--compile); by default Python
	// compiles each module when it is first imported, as after uv.
	Compile bool

	// Verify hashes every installed file against its RECORD (--verify):
	// distributions whose files changed are reinstalled, and files no
	// RECORD owns are removed. It bypasses the fast path.
	Verify bool

	// held is set when the caller already holds the venv lock (a sync
	// inside add or remove).
	held bool
	// remote are the --find-links that are remote folders, read by name
	// (FindLinks keeps the local ones once syncLocked has split them).
	remote []string
	// candidate, when set, is synced in place of the lock file's content:
	// the lock add or remove is about to write.
	candidate []byte
}

// SyncResult reports what a sync found and did.
type SyncResult struct {
	PluginDir     string `json:"plugin_dir"`
	Venv          string `json:"venv"`
	Lock          string `json:"lock"`
	Python        string `json:"python"`
	PythonVersion string `json:"python_version"` // the interpreter's
	Backend       string `json:"backend"`
	BackendReason string `json:"backend_reason"`
	// InSync: the venv matches the lock (after the sync; for a dry run,
	// before it). Changed: the sync changed the venv (false when it was
	// up to date, and for a dry run).
	InSync   bool   `json:"in_sync"`
	Changed  bool   `json:"changed"`
	UpToDate bool   `json:"-"` // it matched before the sync
	DryRun   bool   `json:"dry_run"`
	Create   bool   `json:"create"`
	Rebuild  string `json:"rebuild"` // why the venv was rebuilt; "" when it was not
	Packages int    `json:"packages"`
	Plan     *Plan  `json:"plan"`
	// Damage is what --verify found (and the sync repaired).
	Damage []venv.Damage `json:"damage"`
}

// MarshalJSON writes the result with in_sync and changed derived from
// what the sync did, and an empty plan and damage list rather than null.
func (r SyncResult) MarshalJSON() ([]byte, error) {
	type plain SyncResult
	p := plain(r)
	empty := p.Plan == nil || p.Plan.Empty()
	p.InSync = !p.DryRun || (empty && !p.Create)
	p.Changed = !p.DryRun && !p.UpToDate
	if p.Plan == nil {
		p.Plan = MakePlan(nil, nil, nil)
	}
	if p.Damage == nil {
		p.Damage = []venv.Damage{}
	}
	return json.Marshal(p)
}

// keepNames are never removed when the lock does not list them: the
// InfluxDB 3 server needs pip in its venv to start.
var keepNames = []string{"pip"}

// Sync makes the venv match the lock exactly. Its steps: the fast path
// (the stamp vouches for the venv: no process); then, under the venv lock,
// decide (lock + interpreter + venv -> what to do with the venv and the
// plan), prepare (every file fetched and verified, and the install checked
// against the disk and the files it would overwrite, before anything
// changes), apply (create or rebuild the venv, install, remove), and seal
// (check what is installed, write the stamp). A failure or a kill at any
// point leaves the old venv, or one marked as interrupted that the next
// sync repairs.
func (e *Engine) Sync(ctx context.Context, opts SyncOptions) (*SyncResult, error) {
	var err error
	if opts.Where.Lock, err = e.remoteFile(ctx, opts.CacheDir, opts.Where.Lock, "pylock.toml"); err != nil {
		return nil, err
	}
	s, err := e.open(opts.Where, true, opts.candidate)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{PluginDir: s.loc.PluginDir, Venv: s.loc.Venv, Lock: s.loc.Lock, Python: s.loc.Python, DryRun: opts.DryRun}
	ok, why := s.upToDate()
	if opts.Verify {
		ok, why = false, "--verify"
	}
	if ok {
		if !opts.DryRun && !opts.held {
			e.sweepScratch(s.loc.Venv)
		}
		return e.upToDateResult(res, s), nil
	}
	e.logf("sync needed: %s", why)
	if !opts.DryRun && !opts.held {
		release, err := e.takeVenv(ctx, s.loc.Venv, opts.LockTimeout, "sync")
		if err != nil {
			return nil, err
		}
		defer release()
		// Another process may have synced while this one waited.
		if s, err = e.open(opts.Where, false, opts.candidate); err != nil {
			return nil, err
		}
		if ok, _ := s.upToDate(); ok && !opts.Verify {
			return e.upToDateResult(res, s), nil
		}
	}
	return e.syncLocked(ctx, s, opts, res)
}

// syncLocked is a sync with the venv lock held (or a dry run): decide,
// prepare, apply, seal.
func (e *Engine) syncLocked(ctx context.Context, s *session, opts SyncOptions, res *SyncResult) (*SyncResult, error) {
	if err := s.loadDists(); err != nil {
		return nil, err
	}
	info, err := e.probe(ctx, opts.CacheDir, s.loc.Python)
	if err != nil {
		return nil, err
	}
	res.PythonVersion = info.FullVersion
	e.logf("interpreter: %s %s (%s)", info.Implementation, info.FullVersion, info.Platform)
	d, err := e.decide(ctx, s, info, opts)
	if err != nil {
		return nil, err
	}
	res.Packages, res.Plan, res.Damage = len(d.wants), d.plan, d.damage
	res.Create, res.Rebuild = d.action == venvCreate, ""
	if d.action == venvRebuild {
		res.Rebuild = d.why
	}
	if opts.DryRun {
		return res, nil
	}
	if err := e.removeStrays(s, d); err != nil {
		return nil, err
	}
	if d.action == venvKeep && d.plan.Empty() {
		// Only the stamp is stale (the lock was reformatted, or
		// site-packages was touched without changing what is installed):
		// record the state without choosing, let alone downloading, an
		// installer.
		res.Backend, res.BackendReason = "none", "nothing to install"
		if s.stamp != nil {
			res.Backend, res.BackendReason = s.stamp.Backend, s.stamp.BackendReason
		}
		return res, e.seal(s, s.venvView, info, res.Backend, res.BackendReason, d.wants, nil)
	}
	if d.action == venvRebuild {
		e.warnf("rebuilding venv %s: %s; reinstalling %s from the lock", s.loc.Venv, d.why, wantNames(d.wants))
	}
	// Remote --find-links are reached only now that files are needed: a
	// sync with nothing to install never touches them.
	if opts.FindLinks, opts.remote, err = e.findLinkSources(ctx, opts.CacheDir, opts.FindLinks, false); err != nil {
		return nil, err
	}
	backend, done, err := e.syncBackend(ctx, s, opts, info, res, d)
	if err != nil {
		return nil, err
	}
	defer done()
	files, wheels, err := e.prepare(ctx, backend, s, d, opts, info)
	if err != nil {
		return nil, err
	}
	if err := e.adoptInstalled(s, d, wheels); err != nil {
		return nil, err
	}
	v, plan, err := e.applyPlan(ctx, backend, s, d, files, wheels, opts)
	if err != nil {
		return nil, err
	}
	res.Plan = plan
	return res, e.seal(s, v, info, res.Backend, res.BackendReason, d.wants, wheels)
}

// syncBackend chooses the installer for a sync with work to do and says so.
func (e *Engine) syncBackend(ctx context.Context, s *session, opts SyncOptions, info *interp.Info, res *SyncResult, d *decision) (Backend, func(), error) {
	tmp, err := newScratch(s.loc.Venv, "tmp")
	if err != nil {
		return nil, nil, err
	}
	// uv's cache lives inside the venv, on its filesystem, so that uv
	// hard-links installed files from it instead of copying them: a
	// later sync links what it has unpacked before. A new venv has an
	// empty cache, and every file would be written twice to the disk
	// (unpacked into the cache, then linked): there, a cache in memory,
	// copied from, is faster (measured by bench/: 0.8 s against 1.2 s
	// for 50 projects) when there is room for it.
	uvCache, done := filepath.Join(s.loc.Venv, uvCacheDir), func() {}
	elsewhere := false
	if d.action != venvKeep && opts.Backend != BackendPip {
		if dir, release, ok := memoryCache(d); ok {
			uvCache, elsewhere, done = dir, true, release
			e.logf("uv cache for the new venv: %s (in memory; removed after the sync)", dir)
		}
	}
	uv := UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: opts.Offline, Archives: uvArchives(append(append([]string{}, opts.FindLinks...), opts.remote...))}
	backend, reason, err := e.chooseBackend(ctx, opts.Backend, uv, uvCache, tmp, info, opts.Compile, elsewhere)
	if err != nil {
		done()
		return nil, nil, err
	}
	res.Backend, res.BackendReason = backend.Name(), reason
	e.logf("backend: %s (%s)", backend.Name(), reason)
	if !opts.Compile {
		e.logf("bytecode: not written at install; Python writes it on first import (--compile writes it now)")
	}
	return backend, done, nil
}

// memoryCache is a new folder on /dev/shm for the uv cache of a new venv,
// when /dev/shm is there and has room for the files to install unpacked
// (counted as four times their size, and 256 MB to spare): a container's
// /dev/shm is often 64 MB. The folder is held by a file lock while in
// use; folders of syncs that were killed (no one holds their lock) are
// removed first, since memory is not reclaimed by the next run's sweep of
// the venv.
func memoryCache(d *decision) (dir string, release func(), ok bool) {
	if runtime.GOOS != "linux" {
		return "", nil, false
	}
	var size int64
	for _, r := range d.reqs {
		if r.Size < 0 {
			return "", nil, false
		}
		size += r.Size
	}
	old, _ := filepath.Glob("/dev/shm/influx-py-uv-*")
	for _, o := range old {
		if unlock, held, err := fsutil.TryLockFile(filepath.Join(o, ".lock")); err == nil && held {
			os.RemoveAll(o)
			unlock()
		}
	}
	free, ok := fsutil.FreeSpace("/dev/shm")
	if !ok || free < 4*size+256<<20 {
		return "", nil, false
	}
	dir, err := os.MkdirTemp("/dev/shm", "influx-py-uv-")
	if err != nil {
		return "", nil, false
	}
	unlock, held, err := fsutil.TryLockFile(filepath.Join(dir, ".lock"))
	if err != nil || !held {
		os.RemoveAll(dir)
		return "", nil, false
	}
	return dir, func() { os.RemoveAll(dir); unlock() }, true
}

// prepare finds and verifies every file the plan installs, and checks the
// install against the disk and the venv, before the venv is touched: a
// missing or corrupt file, a full disk or a wheel that would overwrite pip
// changes nothing.
func (e *Engine) prepare(ctx context.Context, b Builder, s *session, d *decision, opts SyncOptions, info *interp.Info) (map[string]string, map[string]*wheel.Contents, error) {
	files, err := e.fetch(ctx, opts, s.loc, d.plan, d.reqs)
	if err != nil {
		return nil, nil, err
	}
	if files == nil {
		files = map[string]string{}
	}
	if err := e.buildSources(ctx, b, s, d, opts, files); err != nil {
		return nil, nil, err
	}
	wheels, err := e.preflight(s, d, files, info)
	if err != nil {
		return nil, nil, err
	}
	return files, wheels, nil
}

// applyPlan changes the venv: it makes (or remakes) it when the decision
// says so, and plans again against the new venv (which comes with pip, and
// before Python 3.12 with setuptools); or it marks the kept venv as being
// changed. Then it installs and removes. It returns the venv as it now is
// and the plan carried out.
func (e *Engine) applyPlan(ctx context.Context, b Backend, s *session, d *decision, files map[string]string, wheels map[string]*wheel.Contents, opts SyncOptions) (*venvView, *Plan, error) {
	v, plan := s.venvView, d.plan
	if d.action != venvKeep {
		var err error
		if v, err = e.createVenv(ctx, b, s.venvView, d.action == venvRebuild); err != nil {
			return nil, nil, err
		}
		dists, err := venv.Installed(v.state.SitePackages)
		if err != nil {
			return nil, nil, err
		}
		plan = MakePlan(d.wants, v.haves(dists), keepNames)
		if err := checkOverwrites(v.state.SitePackages, plan, wheels); err != nil {
			return nil, nil, err
		}
	} else if err := venv.MarkInstalling(v.layout, e.markerInfo()); err != nil {
		return nil, nil, err
	}
	if err := e.apply(ctx, b, v, plan, files, wheels, opts.FindLinks); err != nil {
		return nil, nil, err
	}
	return v, plan, nil
}

// decision is what decide found: what to do with the venv directory, why,
// and the plan against the venv as it is.
type decision struct {
	action venvAction
	why    string
	wants  []Want
	reqs   map[string]artifact.Request
	plan   *Plan
	damage []venv.Damage // what --verify found in a kept venv
	stray  []string      // files no RECORD owns, to remove (--verify)
}

// decide turns the lock, the interpreter and the venv into a decision. It
// starts a process only when there is work to do in a venv that is kept:
// its interpreter and pip must still work (see venvWorks).
func (e *Engine) decide(ctx context.Context, s *session, info *interp.Info, opts SyncOptions) (*decision, error) {
	action, why, err := s.verdict(info)
	if err != nil {
		return nil, err
	}
	wants, reqs, err := s.wants(info, opts.AllowBuild)
	if err != nil {
		return nil, err
	}
	d := &decision{action: action, why: why, wants: wants, reqs: reqs}
	if action != venvKeep {
		d.plan = MakePlan(wants, nil, keepNames)
		return d, nil
	}
	d.plan = MakePlan(wants, s.haves(s.state.Dists), keepNames)
	if opts.Verify {
		if err := d.verify(s); err != nil {
			return nil, err
		}
	}
	if (!d.plan.Empty() || len(d.stray) > 0) && !opts.DryRun {
		if d.action, d.why, err = e.venvWorks(ctx, s); err != nil {
			return nil, err
		}
		if d.action == venvRebuild {
			d.plan = MakePlan(wants, nil, keepNames)
		}
	}
	if d.action == venvKeep && s.state.Version != info.FullVersion {
		e.logf("Python %s -> %s is a patch upgrade: the venv is kept", s.state.Version, info.FullVersion)
	}
	return d, nil
}

func (e *Engine) upToDateResult(res *SyncResult, s *session) *SyncResult {
	res.UpToDate = true
	res.Plan = s.stampPlan()
	res.PythonVersion = s.stamp.Interpreter.Version
	res.Backend, res.BackendReason = s.stamp.Backend, s.stamp.BackendReason
	res.Packages = len(s.stamp.Installed)
	e.logf("up to date: the stamp matches the lock, the interpreter and site-packages")
	return res
}

// stampPlan is the plan of a venv the stamp vouches for: everything kept,
// as the stamp records it.
func (v *venvView) stampPlan() *Plan {
	p := MakePlan(nil, nil, nil)
	if v.stamp != nil {
		for _, d := range v.stamp.Installed {
			p.Keep = append(p.Keep, Want{Name: d.Name, Version: d.Version, File: d.File, SHA256: d.SHA256})
		}
	}
	return p
}

// markerInfo is what the marker records of this run, for the message of a
// later one.
func (e *Engine) markerInfo() string {
	return fmt.Sprintf("influx-py %s, started %s", e.Version, e.Now().UTC().Format(time.RFC3339))
}

// fetch gets every file the plan installs, verified, keyed by sha256.
func (e *Engine) fetch(ctx context.Context, opts SyncOptions, loc *Locations, plan *Plan, all map[string]artifact.Request) (map[string]string, error) {
	var reqs []artifact.Request
	for _, w := range installs(plan) {
		if w.src == nil { // a source is built, not fetched
			reqs = append(reqs, all[w.Name])
		}
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	f := &artifact.Fetcher{
		Client:    e.HTTP,
		CacheDir:  opts.CacheDir,
		FindLinks: opts.FindLinks,
		Remote:    opts.remote,
		Within:    []string{loc.PluginDir, filepath.Dir(loc.Lock)},
		Offline:   opts.Offline,
		Progress:  e.Progress,
		Verified:  e.item,
		Log:       e.Log,
	}
	defer e.phase("verifying", len(reqs))()
	results, err := f.Fetch(ctx, reqs)
	if err != nil {
		return nil, err
	}
	files := make(map[string]string, len(results))
	for _, r := range results {
		e.logf("verified %s (from %s)", r.Name, r.Source)
		files[r.SHA256] = r.File
	}
	return files, nil
}

func describe(p *Plan) string {
	var parts []string
	for _, w := range p.Install {
		parts = append(parts, "missing "+w.Name+" "+w.Version)
	}
	for _, c := range p.Replace {
		parts = append(parts, fmt.Sprintf("%s %s instead of %s", c.To.Name, c.From.Version, c.To.Version))
	}
	for _, h := range p.Remove {
		parts = append(parts, "extra "+h.Name+" "+h.Version)
	}
	return strings.Join(parts, ", ")
}

// wantNames lists the distributions a rebuild puts back, for its warning.
func wantNames(wants []Want) string {
	if len(wants) == 0 {
		return "nothing"
	}
	names := make([]string, len(wants))
	for i, w := range wants {
		names[i] = strings.TrimSpace(w.Name + " " + w.Version)
	}
	return strings.Join(names, ", ")
}

// venvWorks runs `python -m pip --version` in the venv, as the InfluxDB 3
// server does before it starts: a venv whose files are all there can still
// have an interpreter that no longer starts (its shared library went with an
// upgrade) or a pip that no longer imports (a wheel overwrote its files, an
// earlier creation was cut short), and the server refuses to install into
// it. Such a venv is rebuilt when influx-py made it, and refused otherwise.
// Only syncs with packages to change get here (and check's and doctor's
// slow paths): the no-op path, a stamp refresh and a dry run start nothing.
func (e *Engine) venvWorks(ctx context.Context, s *session) (venvAction, string, error) {
	err := e.pipWorks(ctx, s.layout)
	if err == nil {
		return venvKeep, "", nil
	}
	if ctx.Err() != nil {
		return 0, "", ctx.Err()
	}
	why := fmt.Sprintf("its pip does not run (%s)", childReason(err))
	if _, perr := e.Runner.Run(ctx, run.Cmd{Path: s.layout.Python(), Args: []string{"-I", "-c", "pass"}, Env: run.Env(e.Environ, run.PythonEnv())}); perr != nil {
		why = fmt.Sprintf("its interpreter does not start (%s)", childReason(perr))
	}
	if !s.ours() {
		return 0, "", &NotVenvError{Path: s.loc.Venv, Reason: why + ", and influx-py did not make it"}
	}
	return venvRebuild, why, nil
}

// pipWorks is the server's own probe of a venv.
func (e *Engine) pipWorks(ctx context.Context, l venv.Layout) error {
	_, err := e.Runner.Run(ctx, run.Cmd{Path: l.Python(), Args: []string{"-I", "-m", "pip", "--version"}, Env: run.Env(e.Environ, run.PythonEnv())})
	return err
}

// childReason is the gist of a failed child for a one-line message: the
// last line of its stderr (where Python puts the exception), else the
// error's first line.
func childReason(err error) string {
	var re *run.Error
	if errors.As(err, &re) {
		lines := strings.Split(strings.TrimSpace(re.Stderr), "\n")
		if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
			return last
		}
	}
	return firstLine(err.Error())
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// adoptInstalled keeps, instead of reinstalling, a distribution someone
// else installed (plain pip, the server's own `influxdb3 install package`)
// that is, file for file, the lock's wheel: the version the lock pins, an
// installed RECORD that lists every file of the verified wheel with the
// wheel's hash, and installed files that still match that RECORD. The
// seal then records it in the stamp as installed from that wheel.
func (e *Engine) adoptInstalled(s *session, d *decision, wheels map[string]*wheel.Contents) error {
	if d.action != venvKeep {
		return nil
	}
	installed := map[string]venv.Dist{}
	for _, dist := range s.state.Dists {
		installed[dist.Name] = dist
	}
	var replace []Change
	for _, c := range d.plan.Replace {
		dist, ok := installed[c.To.Name]
		contents := wheels[c.To.SHA256]
		if c.Why != "unverified" || !ok || contents == nil || dist.MetadataMissing {
			replace = append(replace, c)
			continue
		}
		if sameFiles(dist, contents) != nil {
			replace = append(replace, c)
			continue
		}
		damage, err := venv.VerifyDist(s.layout, s.state.SitePackages, dist)
		if err != nil {
			return err
		}
		if len(damage) > 0 {
			replace = append(replace, c)
			continue
		}
		e.logf("adopted %s %s: its installed files are those of %s", dist.DisplayName, dist.Version, c.To.File)
		d.plan.Keep = append(d.plan.Keep, c.To)
		d.plan.Adopted = append(d.plan.Adopted, c.To)
	}
	d.plan.Replace = append([]Change{}, replace...)
	sort.Slice(d.plan.Keep, func(i, j int) bool { return d.plan.Keep[i].Name < d.plan.Keep[j].Name })
	return nil
}

// verify looks at a kept venv's files (--verify): a distribution with a
// changed or missing file is replaced, files no RECORD owns are strays.
func (d *decision) verify(s *session) error {
	damage, err := s.verifyFiles()
	if err != nil {
		return err
	}
	d.damage = damage
	damaged := map[string]bool{}
	for _, x := range damage {
		if x.Name != "" {
			damaged[x.Name] = true
		} else {
			d.stray = append(d.stray, x.Path)
		}
	}
	var keep []Want
	for _, w := range d.plan.Keep {
		if damaged[w.Name] {
			d.plan.Replace = append(d.plan.Replace, Change{From: Have{Name: w.Name, Version: w.Version}, To: w, Why: "damaged"})
			continue
		}
		keep = append(keep, w)
	}
	d.plan.Keep = append([]Want{}, keep...)
	return nil
}

// removeStrays deletes the files --verify found that no distribution owns
// (a .pth dropped into site-packages runs at every start), with the venv
// marked as being changed, and drops uv's cache when any file was damaged.
func (e *Engine) removeStrays(s *session, d *decision) error {
	if len(d.damage) > 0 {
		// uv installs by hard-linking from its cache in the venv: an edited
		// installed file is an edited cache entry too, which a reinstall
		// would link back. The cache goes; uv unpacks the verified wheel
		// again.
		os.RemoveAll(filepath.Join(s.loc.Venv, uvCacheDir))
	}
	if len(d.stray) == 0 || d.action != venvKeep {
		return nil
	}
	if err := venv.MarkInstalling(s.layout, e.markerInfo()); err != nil {
		return err
	}
	for _, p := range d.stray {
		e.warnf("removing %s from %s: no distribution owns it", p, s.state.SitePackages)
		if err := os.Remove(filepath.Join(s.state.SitePackages, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
