package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/venv"
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

	// held is set when the caller already holds the venv lock (a sync
	// inside add or remove).
	held bool
}

// SyncResult reports what a sync found and did.
type SyncResult struct {
	PluginDir     string `json:"plugin_dir"`
	Venv          string `json:"venv"`
	Lock          string `json:"lock"`
	Python        string `json:"python"`
	PythonVersion string `json:"python_version,omitempty"`
	Backend       string `json:"backend,omitempty"`
	BackendReason string `json:"backend_reason,omitempty"`
	UpToDate      bool   `json:"up_to_date"`
	DryRun        bool   `json:"dry_run"`
	Create        bool   `json:"create"`
	Rebuild       string `json:"rebuild,omitempty"` // why the venv was rebuilt
	Packages      int    `json:"packages"`
	Plan          *Plan  `json:"plan,omitempty"`
}

// keepNames are never removed when the lock does not list them: the
// InfluxDB 3 server needs pip in its venv to start.
var keepNames = []string{"pip"}

// Sync makes the venv match the lock exactly.
func (e *Engine) Sync(ctx context.Context, opts SyncOptions) (*SyncResult, error) {
	s, err := e.open(opts.Where, true)
	if err != nil {
		return nil, err
	}
	res := &SyncResult{PluginDir: s.loc.PluginDir, Venv: s.loc.Venv, Lock: s.loc.Lock, Python: s.loc.Python, DryRun: opts.DryRun}
	ok, why := s.upToDate()
	if ok {
		return e.upToDateResult(res, s), nil
	}
	e.logf("sync needed: %s", why)
	if !opts.DryRun && !opts.held {
		unlock, err := e.lockVenv(ctx, s.loc.Venv, opts.LockTimeout, "sync")
		if err != nil {
			return nil, err
		}
		defer unlock()
		if err := e.recoverRebuild(s.loc.Venv); err != nil {
			return nil, fmt.Errorf("recover an interrupted rebuild: %w", err)
		}
		// Another process may have synced while this one waited.
		if s, err = e.open(opts.Where, false); err != nil {
			return nil, err
		}
		if ok, _ := s.upToDate(); ok {
			return e.upToDateResult(res, s), nil
		}
	}

	info, err := e.prober(opts.CacheDir).Probe(ctx, s.loc.Python)
	if err != nil {
		return nil, err
	}
	res.PythonVersion = info.FullVersion
	e.logf("interpreter: %s %s (%s)", info.Implementation, info.FullVersion, info.Platform)
	action, why, err := s.verdict(info)
	if err != nil {
		return nil, err
	}
	wants, reqs, err := s.wants(info, opts.AllowBuild)
	if err != nil {
		return nil, err
	}
	res.Packages = len(wants)

	if action == venvKeep && !opts.DryRun && !MakePlan(wants, s.haves(s.state.Dists), keepNames).Empty() {
		// There is work to do in this venv: first make sure its
		// interpreter still starts.
		if action, why, err = e.startsOrRebuild(ctx, s); err != nil {
			return nil, err
		}
	}
	var have []Have
	switch action {
	case venvCreate:
		res.Create = true
	case venvRebuild:
		res.Rebuild = why
		e.warnf("rebuilding venv %s: %s; reinstalling %s from the lock", s.loc.Venv, why, wantNames(wants))
	default:
		if s.state.Version != info.FullVersion {
			e.logf("Python %s -> %s is a patch upgrade: the venv is kept", s.state.Version, info.FullVersion)
		}
		have = s.haves(s.state.Dists)
	}
	plan := MakePlan(wants, have, keepNames)
	res.Plan = plan
	if opts.DryRun {
		return res, nil
	}
	if action == venvKeep && plan.Empty() {
		// Only the stamp is stale (the lock was reformatted, or
		// site-packages was touched without changing what is installed):
		// record the state without choosing, let alone downloading, an
		// installer.
		backend, reason := "none", "nothing to install"
		if s.stamp != nil {
			backend, reason = s.stamp.Backend, s.stamp.BackendReason
		}
		res.Backend, res.BackendReason = backend, reason
		if err := e.finish(s, info, backend, reason, wants); err != nil {
			return nil, err
		}
		return res, nil
	}

	// uv's cache lives inside the venv, on its filesystem, so that uv
	// hard-links installed files from it instead of copying them.
	backend, reason, err := e.chooseBackend(ctx, opts.Backend, UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: opts.Offline}, filepath.Join(s.loc.Venv, ".uv-cache"), info)
	if err != nil {
		return nil, err
	}
	res.Backend, res.BackendReason = backend.Name(), reason
	e.logf("backend: %s (%s)", backend.Name(), reason)

	// Every file is found and verified before the venv is touched, so a
	// missing or corrupt file changes nothing.
	files, err := e.fetch(ctx, opts, plan, reqs)
	if err != nil {
		return nil, err
	}

	if action != venvKeep {
		if err := e.createVenv(ctx, backend, s, action == venvRebuild); err != nil {
			return nil, err
		}
		// A new venv comes with pip (and, before Python 3.12, setuptools);
		// plan again against what is really there.
		dists, err := venv.Installed(s.state.SitePackages)
		if err != nil {
			return nil, err
		}
		plan = MakePlan(wants, s.haves(dists), keepNames)
		res.Plan = plan
	} else if err := venv.MarkInstalling(s.layout, e.Version); err != nil {
		return nil, err
	}

	if err := e.apply(ctx, backend, s, plan, files, opts.FindLinks); err != nil {
		return nil, err
	}
	if err := e.finish(s, info, backend.Name(), reason, wants); err != nil {
		return nil, err
	}
	return res, nil
}

func (e *Engine) upToDateResult(res *SyncResult, s *session) *SyncResult {
	res.UpToDate = true
	res.PythonVersion = s.stamp.Interpreter.Version
	res.Backend, res.BackendReason = s.stamp.Backend, s.stamp.BackendReason
	res.Packages = len(s.stamp.Installed)
	e.logf("up to date: the stamp matches the lock, the interpreter and site-packages")
	return res
}

// fetch gets every file the plan installs, verified, keyed by sha256.
func (e *Engine) fetch(ctx context.Context, opts SyncOptions, plan *Plan, all map[string]artifact.Request) (map[string]string, error) {
	var reqs []artifact.Request
	for _, w := range plan.Install {
		reqs = append(reqs, all[w.Name])
	}
	for _, c := range plan.Replace {
		reqs = append(reqs, all[c.To.Name])
	}
	if len(reqs) == 0 {
		return nil, nil
	}
	f := &artifact.Fetcher{
		Client:    e.HTTP,
		CacheDir:  opts.CacheDir,
		FindLinks: opts.FindLinks,
		Offline:   opts.Offline,
		Progress:  e.Progress,
		Log:       e.Log,
	}
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

// createVenv makes the venv, or rebuilds it: the old one is moved aside on
// the same filesystem and put back if the new one cannot be made.
func (e *Engine) createVenv(ctx context.Context, b Backend, s *session, rebuild bool) error {
	dir := s.loc.Venv
	var aside string
	if rebuild {
		aside = fmt.Sprintf("%s.old-%d", dir, os.Getpid())
		if err := os.Rename(dir, aside); err != nil {
			return fmt.Errorf("move old venv aside: %w", err)
		}
	} else if err := os.RemoveAll(dir); err != nil {
		// Only an empty directory or influx-py's own leftovers get here.
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	e.logf("creating venv %s with %s", dir, s.loc.Python)
	err := b.Create(ctx, s.loc.Python, dir)
	if err == nil {
		err = venv.MarkInstalling(s.layout, e.Version)
	}
	if err == nil {
		s.state, err = venv.Inspect(s.layout)
		if err == nil && s.state.SitePackages == "" {
			err = fmt.Errorf("new venv %s has no site-packages", dir)
		}
	}
	if err != nil {
		if aside != "" {
			os.RemoveAll(dir)
			if rerr := os.Rename(aside, dir); rerr != nil {
				return fmt.Errorf("%w (and restoring the old venv from %s failed: %v)", err, aside, rerr)
			}
		}
		return err
	}
	// The new venv is marked as ours before the old one goes, so an
	// interruption here leaves something the next sync may repair.
	s.stamp = nil
	if aside != "" {
		if err := os.RemoveAll(aside); err != nil {
			e.warnf("remove old venv %s: %v", aside, err)
		}
	}
	return nil
}

// apply carries out the plan with the backend.
func (e *Engine) apply(ctx context.Context, b Backend, s *session, plan *Plan, files map[string]string, findLinks []string) error {
	py := s.layout.Python()
	var remove []string
	for _, h := range plan.Remove {
		remove = append(remove, h.Name)
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
	install := append([]Want(nil), plan.Install...)
	for _, c := range plan.Replace {
		install = append(install, c.To)
	}
	if len(install) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp("", "influx-py-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
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
		fmt.Fprintf(&req, "%s --hash=sha256:%s\n", link, w.SHA256)
	}
	reqFile := filepath.Join(tmp, "requirements.txt")
	if err := os.WriteFile(reqFile, []byte(req.String()), 0o644); err != nil {
		return err
	}
	e.logf("installing %d files", len(install))
	return b.Install(ctx, py, reqFile)
}

// finish checks that the venv now holds exactly the lock, then writes the
// stamp and clears the installing marker.
func (e *Engine) finish(s *session, info *interp.Info, backend, reason string, wants []Want) error {
	dists, err := venv.Installed(s.state.SitePackages)
	if err != nil {
		return err
	}
	wanted := map[string]Want{}
	for _, w := range wants {
		wanted[w.Name] = w
	}
	var have []Have
	records := map[string]string{}
	for _, d := range dists {
		h := Have{Name: d.Name, Version: normVersion(d.Version)}
		if w, ok := wanted[d.Name]; ok && w.Version == h.Version && !d.MetadataMissing {
			h.SHA256 = w.SHA256
			records[d.Name] = venv.RecordDigest(d)
		}
		have = append(have, h)
	}
	if left := MakePlan(wants, have, keepNames); !left.Empty() {
		return fmt.Errorf("after installing, the venv still differs from the lock: %s", describe(left))
	}
	listing, err := venv.ListingDigest(s.state.SitePackages)
	if err != nil {
		return err
	}
	st := &venv.Stamp{
		Tool:          "influx-py " + e.Version,
		LockDigest:    s.digest,
		Interpreter:   venv.StampInterpreter{Path: s.loc.Python, Version: info.FullVersion, Identity: s.identity},
		Backend:       backend,
		BackendReason: reason,
		ListingDigest: listing,
		Time:          e.Now().UTC().Format(time.RFC3339),
	}
	for _, w := range wants {
		st.Installed = append(st.Installed, venv.StampDist{Name: w.Name, Version: w.Version, SHA256: w.SHA256, File: w.File, Record: records[w.Name]})
	}
	if err := venv.WriteStamp(s.layout, st); err != nil {
		return err
	}
	return venv.ClearInstalling(s.layout)
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
		names[i] = w.Name + " " + w.Version
	}
	return strings.Join(names, ", ")
}

// startsOrRebuild runs the venv's interpreter once: a venv whose files are
// all there can still have an interpreter that no longer starts (its
// shared library went with an upgrade). Such a venv is rebuilt when
// influx-py made it, and refused otherwise. Only syncs with packages to
// change get here (and check's slow path): the no-op path, a stamp refresh
// and a dry run start nothing.
func (e *Engine) startsOrRebuild(ctx context.Context, s *session) (venvAction, string, error) {
	_, err := e.Runner.Run(ctx, run.Cmd{Path: s.layout.Python(), Args: []string{"-I", "-c", "pass"}, Env: run.Env(e.Environ, run.PythonEnv())})
	if err == nil {
		return venvKeep, "", nil
	}
	if ctx.Err() != nil {
		return 0, "", ctx.Err()
	}
	why := fmt.Sprintf("its interpreter does not start (%v)", firstLine(err.Error()))
	if !s.ours() {
		return 0, "", &NotVenvError{Path: s.loc.Venv, Reason: why + ", and influx-py did not make it"}
	}
	return venvRebuild, why, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
