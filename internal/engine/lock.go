package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/index"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/redact"
	"github.com/influx-py/influx-py/internal/reqs"
	"github.com/influx-py/influx-py/internal/resolve"
)

// LockOptions are the inputs of every verb that rewrites the lock.
type LockOptions struct {
	Where          Where
	CacheDir       string
	Backend        string
	UV             string
	UVMirror       string
	IndexURL       string
	ExtraIndexURLs []string
	FindLinks      []string
	Offline        bool // resolve from --find-links alone
	AllowBuild     bool
	// Upgrade re-resolves everything to the newest versions allowed; by
	// default every pin that still satisfies the requirements is kept.
	Upgrade         bool
	UpgradePackages []string
	// AbsolutePaths records files outside the lock's folder by absolute
	// path; by default they are relative to it (with "..").
	AbsolutePaths bool
	// IndexTimeout bounds the wait for each index to answer before the
	// resolver starts (0: 5 seconds): an index that does not answer fails
	// the command in seconds, not after the resolver's retries.
	IndexTimeout time.Duration
	// Targets are the kinds of node to lock for ("3.13-linux-x86_64",
	// --target): one resolution each, merged into one lock. nil means as
	// the lock records (none: this interpreter).
	Targets []string
	// LockTimeout bounds the wait for another influx-py on the same venv.
	LockTimeout time.Duration
	// Sync, when set, syncs the venv to the new lock before the lock
	// replaces the old one: a sync that fails leaves the old lock in place.
	Sync *SyncOptions
	// Declared is what requirements files and plugins asked for besides
	// their requirements (add -r, add --from-plugins).
	Declared *Declared
}

// LockResult reports a rewrite of the lock.
type LockResult struct {
	Lock         string       `json:"lock"`
	Requirements []string     `json:"requirements"`
	Backend      string       `json:"backend"`
	Changed      bool         `json:"changed"`
	Changes      []LockChange `json:"changes"`
	Packages     int          `json:"packages"`
	// Adopted is set when the old lock recorded no requirements and
	// influx-py took its top-level packages for them.
	Adopted *Adoption   `json:"adopted"` // null unless adopted
	Sync    *SyncResult `json:"sync"`    // null without a sync
	// PluginNeeds are the plugins that plugins depend on, which are not
	// Python packages and not locked (add --from-plugins).
	PluginNeeds []reqs.PluginNeed `json:"plugin_needs"`
}

// LockChange is one package whose pin the rewrite changed. Old is empty for
// an added package, New for a removed one.
type LockChange struct {
	Name string `json:"name"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// LockCheck is what lock --check found.
type LockCheck struct {
	Lock  string   `json:"lock"`
	Stale []string `json:"stale"` // why the lock no longer answers its requirements
	// Adopted is set for a lock that records no requirements: what
	// influx-py took them to be.
	Adopted *Adoption `json:"adopted"` // null for a lock that records them
}

// CheckLock reports whether the lock still answers the requirements it
// records (lock --check): no resolution, no network. A lock that records
// none is checked against the requirements influx-py would adopt, and the
// result says so.
func (e *Engine) CheckLock(ctx context.Context, opts LockOptions) (*LockCheck, error) {
	loc, l, _, err := e.lockAt(ctx, opts.Where, opts.CacheDir)
	if err != nil {
		return nil, err
	}
	p, err := projectOf(l)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.Lock, err)
	}
	c := &LockCheck{Lock: loc.Lock}
	if !p.Recorded {
		c.Adopted = e.adopt(ctx, l, loc.Lock, absFindLinks(opts.FindLinks), opts.CacheDir)
		p.Requirements = c.Adopted.Requirements
	}
	c.Stale = staleness(l, p.Requirements, !p.Recorded)
	return c, nil
}

// lockAt locates w (its lock fetched first when it is a remote source)
// and reads the lock, which must exist: the verbs that only read a lock
// without a venv decision (lock --check, wheelhouse).
func (e *Engine) lockAt(ctx context.Context, w Where, cacheDir string) (*Locations, *lockfile.Lock, []byte, error) {
	var err error
	if w.Lock, err = e.remoteFile(ctx, cacheDir, w.Lock, "pylock.toml"); err != nil {
		return nil, nil, nil, err
	}
	loc, err := Locate(w, e.Sys)
	if err != nil {
		return nil, nil, nil, err
	}
	l, data, err := readLock(loc.Lock)
	if err != nil {
		return nil, nil, nil, err
	}
	if l == nil {
		return nil, nil, nil, &NoLockError{Path: loc.Lock}
	}
	return loc, l, data, nil
}

// readLock reads and parses the lock at path; a missing file gives nil.
func readLock(path string) (*lockfile.Lock, []byte, error) {
	data, err := fsutil.ReadRegular(path, maxLockBytes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read lock: %w", err)
	}
	l, err := lockfile.Parse(path, data)
	if err != nil {
		return nil, nil, err
	}
	return l, data, nil
}

// Relock resolves the requirements that edit makes of the recorded ones and
// writes the lock. Its steps: read what the lock has (adopting the
// requirements of a lock another tool wrote), resolve, build the new lock,
// and commit it: with a sync, the venv is synced to the new lock first and
// the file is written only when that succeeded. A failure anywhere leaves
// the lock file byte-identical.
func (e *Engine) Relock(ctx context.Context, opts LockOptions, edit func([]string) ([]string, error)) (*LockResult, error) {
	if fetch.IsRemote(opts.Where.Lock) {
		return nil, &ReadOnlyLockError{Source: fetch.Redact(opts.Where.Lock)}
	}
	loc, err := Locate(opts.Where, e.Sys)
	if err != nil {
		return nil, err
	}
	release, err := e.takeVenv(ctx, loc.Venv, opts.LockTimeout, "lock")
	if err != nil {
		return nil, err
	}
	defer release()
	sweepLockCandidates(loc.Lock)

	old, oldData, err := readLock(loc.Lock)
	if err != nil {
		return nil, err
	}
	proj, err := projectOf(old)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.Lock, err)
	}
	res := &LockResult{Lock: loc.Lock, Changes: []LockChange{}, PluginNeeds: []reqs.PluginNeed{}}
	lockDir := filepath.Dir(loc.Lock)
	if old != nil && !proj.Recorded {
		fl := proj.FindLinks
		if opts.FindLinks != nil {
			fl = opts.FindLinks
		}
		res.Adopted = e.adopt(ctx, old, loc.Lock, absFindLinks(fl), opts.CacheDir)
		proj.Requirements = res.Adopted.Requirements
		e.warnf("%s records no requirements of its own (no [tool.%s] table: another tool wrote it); influx-py %s", loc.Lock, toolKey, res.Adopted)
	}
	reqs, err := edit(proj.Requirements)
	if err != nil {
		return nil, err
	}
	res.Requirements = reqs
	if old == nil && len(reqs) == 0 {
		return nil, errors.New("no requirements to lock: add some with 'influx-py add SPEC'")
	}

	info, err := e.probe(ctx, opts.CacheDir, loc.Python)
	if err != nil {
		return nil, err
	}
	targets, err := e.lockTargets(opts, proj, info)
	if err != nil {
		return nil, err
	}
	src := lockSources(&proj, opts, lockDir, info, targets)
	if err := opts.Declared.checkIndexes(src); err != nil {
		return nil, err
	}
	// Remote folders are fetched whole for the resolvers (an https folder
	// stays a URL, which they read as a page of links); the lock records
	// them as given.
	if src.findLinks, _, err = e.findLinkSources(ctx, opts.CacheDir, src.findLinks, true); err != nil {
		return nil, err
	}
	src.findLinks = e.existingFolders(src.findLinks)
	if opts.Declared != nil && opts.Declared.venv != nil {
		// What python -m venv seeds a venv with (setuptools before 3.12)
		// is in the interpreter's own wheel folder: --from-venv finds it
		// there offline. The folder serves this run only.
		if pw := pipWheel(info); pw != "" && !contains(src.findLinks, filepath.Dir(pw)) {
			e.logf("also looking in %s for the distributions the venv was seeded with", filepath.Dir(pw))
			src.findLinks = append(src.findLinks, filepath.Dir(pw))
		}
	}
	// Credentials typed into an index URL serve this whole run (the index
	// pages, the files, the sync) and nothing after it.
	e = e.withCredentials(append(append([]string{src.indexURL}, src.extra...), src.findLinks...))
	proj.Requirements = reqs
	if !src.offline {
		if err := e.reachIndexes(ctx, append([]string{src.indexURL}, src.extra...), opts.IndexTimeout); err != nil {
			return nil, err
		}
	}
	pins, backendName, err := e.resolveAll(ctx, opts, loc, info, old, src, reqs)
	if err == nil && opts.Declared != nil && opts.Declared.venv != nil {
		// A distribution of the venv that the resolution left out (a
		// dependency behind a marker that does not hold here, or one that
		// nothing needs any more) becomes a requirement itself, so that
		// the sync after this removes nothing the venv had.
		if extra := opts.Declared.venv.unpinned(pins); len(extra) > 0 {
			e.logf("the resolution left out %s of the venv; adding them as requirements", strings.Join(extra, ", "))
			reqs = append(reqs, extra...)
			res.Requirements = reqs
			pins, backendName, err = e.resolveAll(ctx, opts, loc, info, old, src, reqs)
		}
	}
	if err != nil && opts.Declared != nil && opts.Declared.venv != nil {
		if verr := e.missingVersions(ctx, src, opts.Declared.venv.Pins); verr != nil {
			return nil, fmt.Errorf("%w; the lock is unchanged", verr)
		}
	}
	if err != nil {
		if uerr := e.unfound(ctx, opts.Declared, src, opts.AllowBuild, err); uerr != nil {
			return nil, uerr
		}
		return nil, opts.Declared.trace(err)
	}
	res.Backend = backendName
	if err := keepsEverything(old, reqs, pins, info); err != nil {
		return nil, fmt.Errorf("%w; the lock is unchanged", err)
	}
	nl, err := e.buildLock(ctx, old, proj, pins, src, lockDir, info)
	if err != nil {
		return nil, err
	}
	if err := opts.Declared.applyHashes(nl); err != nil {
		return nil, fmt.Errorf("%w; the lock is unchanged", err)
	}
	data, err := nl.Marshal()
	if err != nil {
		return nil, err
	}
	if _, err := lockfile.Parse(loc.Lock, data); err != nil {
		return nil, fmt.Errorf("internal error: the new lock does not validate: %w", err)
	}
	if secret := lockSecrets(nl); len(secret) > 0 {
		return nil, fmt.Errorf("refusing to write a lock that holds credentials (%s): put them in ~/.netrc; the lock is unchanged", strings.Join(secret, ", "))
	}
	res.Packages = len(nl.Packages)
	res.Changes = diffLocks(old, nl)
	res.Changed = !bytes.Equal(data, oldData)
	if err := e.commitLock(ctx, opts, loc, data, res); err != nil {
		return nil, err
	}
	return res, nil
}

// sources is where a resolution looks: the flags, else what the lock
// recorded.
type sources struct {
	offline   bool
	indexURL  string   // with the credentials given, if any
	extra     []string // extra index URLs, likewise
	findLinks []string // absolute
	pyver     string   // "3.11"
	absolute  bool     // --absolute-paths
	targets   []resolve.Target
}

func lockSources(proj *Project, opts LockOptions, lockDir string, info *interp.Info, targets []resolve.Target) sources {
	major, minor, _ := info.Version()
	proj.Python = fmt.Sprintf("%d.%d", major, minor)
	proj.Targets = nil
	if len(targets) > 0 {
		// The lock is for the targets, not for this interpreter.
		proj.Python = ""
		for _, t := range targets {
			proj.Targets = append(proj.Targets, t.String())
		}
	}
	src := sources{offline: opts.Offline, indexURL: proj.IndexURL, extra: proj.ExtraIndexURLs, pyver: fmt.Sprintf("%d.%d", major, minor), absolute: opts.AbsolutePaths, targets: targets}
	// What the lock records carries no credentials (the lock travels to
	// every node and into version control); this run resolves with the
	// ones given on the command line, and later runs take them from
	// ~/.netrc.
	if opts.IndexURL != "" {
		src.indexURL, proj.IndexURL = opts.IndexURL, redact.Strip(opts.IndexURL)
	}
	if opts.ExtraIndexURLs != nil {
		src.extra, proj.ExtraIndexURLs = opts.ExtraIndexURLs, nil
		for _, u := range opts.ExtraIndexURLs {
			proj.ExtraIndexURLs = append(proj.ExtraIndexURLs, redact.Strip(u))
		}
	}
	if opts.FindLinks != nil {
		proj.FindLinks = nil
		for _, d := range opts.FindLinks {
			src.findLinks = append(src.findLinks, d)
			proj.FindLinks = append(proj.FindLinks, redact.Strip(relTo(lockDir, d, opts.AbsolutePaths)))
		}
	} else {
		for _, d := range proj.FindLinks {
			if !filepath.IsAbs(d) && !strings.Contains(d, "://") {
				d = filepath.Join(lockDir, filepath.FromSlash(d))
			}
			src.findLinks = append(src.findLinks, d)
		}
	}
	if opts.Declared != nil {
		// What a requirements file points at is searched and recorded
		// like a --find-links of the command line.
		for _, d := range opts.Declared.FindLinks {
			if !contains(src.findLinks, d) {
				src.findLinks = append(src.findLinks, d)
				proj.FindLinks = append(proj.FindLinks, redact.Strip(relTo(lockDir, d, opts.AbsolutePaths)))
			}
		}
	}
	for i, d := range src.findLinks {
		if !strings.Contains(d, "://") {
			if abs, err := filepath.Abs(d); err == nil {
				src.findLinks[i] = abs
			}
		}
	}
	if src.indexURL == "" && !opts.Offline {
		src.indexURL = "https://pypi.org/simple/"
	}
	return src
}

// existingFolders drops, with a warning, the local find-links folders that
// do not exist (a folder recorded on another machine): the resolvers would
// skip them with a warning of their own, and the lock's files are looked
// for elsewhere.
func (e *Engine) existingFolders(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		if !strings.Contains(d, "://") {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				e.warnf("find-links folder %s does not exist here; not searched", d)
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

// absFindLinks makes --find-links folders absolute.
func absFindLinks(dirs []string) []string {
	out := make([]string, len(dirs))
	for i, d := range dirs {
		out[i] = d
		if abs, err := filepath.Abs(d); err == nil && !strings.Contains(d, "://") {
			out[i] = abs
		}
	}
	return out
}

// resolvePins runs the resolver of the chosen backend, keeping the current
// pins as constraints where they still fit.
func (e *Engine) resolvePins(ctx context.Context, opts LockOptions, loc *Locations, info *interp.Info, old *lockfile.Lock, src sources, reqs []string, target *resolve.Target) ([]resolve.Pin, string, error) {
	if len(reqs) == 0 {
		return nil, "none", nil
	}
	tmp, err := newScratch(loc.Venv, "resolve")
	if err != nil {
		return nil, "", err
	}
	// Credentials reach the resolver through a netrc file in the scratch
	// dir, never on its command line (which ps shows and -v prints).
	urls := append([]string{src.indexURL}, src.extra...)
	netrc, err := writeNetrc(tmp, append(urls, src.findLinks...))
	if err != nil {
		return nil, "", err
	}
	r, name, err := e.chooseResolver(ctx, opts, loc, info, tmp, netrc)
	if err != nil {
		return nil, "", err
	}
	req := resolve.Request{
		Requirements:  reqs,
		Constraints:   append(declaredConstraints(opts), keepPins(old, reqs, opts)...),
		Python:        loc.Python,
		PythonVersion: src.pyver,
		IndexURL:      redact.Strip(src.indexURL),
		NoIndex:       opts.Offline,
		AllowSdist:    opts.AllowBuild,
		Dir:           tmp,
		Target:        target,
	}
	for _, u := range src.extra {
		req.ExtraIndexURLs = append(req.ExtraIndexURLs, redact.Strip(u))
	}
	for _, d := range src.findLinks {
		req.FindLinks = append(req.FindLinks, redact.Strip(d))
	}
	what := "resolving"
	if target != nil {
		what = "resolving for " + target.String()
	}
	stop := e.phase(what, 0)
	defer stop()
	pins, err := r.Resolve(ctx, req)
	if err != nil && len(req.Constraints) > len(declaredConstraints(opts)) {
		// The kept pins may be what makes the new requirements
		// unsatisfiable; try once more without them.
		e.logf("resolution keeping the current pins failed; resolving afresh")
		req.Constraints = declaredConstraints(opts)
		pins, err = r.Resolve(ctx, req)
	}
	if err != nil {
		// pip reports an index that fails as "no matching distribution";
		// ask the index directly so the user learns which it is.
		if !opts.Offline && src.indexURL != "" {
			if ierr := e.pingIndex(ctx, src.indexURL); ierr != nil {
				return nil, "", fmt.Errorf("index %s is not answering: %v\n%w", redact.URL(src.indexURL), ierr, err)
			}
		}
		return nil, "", err
	}
	return pins, name, nil
}

// DroppedError refuses a rewrite that would leave out a requirement the old
// lock had: influx-py resolves for this interpreter only, so a requirement
// whose marker does not hold here would silently leave the lock.
type DroppedError struct {
	Dropped []string // requirements, with why
}

func (e *DroppedError) Error() string {
	return "the new lock would drop " + strings.Join(e.Dropped, ", ")
}

// keepsEverything checks that every requirement the old lock had a package
// for is still pinned.
func keepsEverything(old *lockfile.Lock, reqs []string, pins []resolve.Pin, info *interp.Info) error {
	if old == nil {
		return nil
	}
	had := map[string]bool{}
	for _, p := range old.Packages {
		had[pep508.NormalizeName(p.Name)] = true
	}
	pinned := map[string]bool{}
	for _, p := range pins {
		pinned[pep508.NormalizeName(p.Name)] = true
	}
	var dropped []string
	for _, r := range reqs {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			continue
		}
		n := pep508.NormalizeName(req.Name)
		if !had[n] || pinned[n] {
			continue
		}
		why := "the resolver left it out"
		if ok, err := req.Marker.Evaluate(pep508.Environment{Vars: info.MarkerVars()}); err == nil && !ok {
			why = fmt.Sprintf("its marker %q does not hold for Python %s here, and influx-py resolves for this interpreter only", req.Marker.String(), info.FullVersion)
		}
		dropped = append(dropped, fmt.Sprintf("%s (a requirement: %s)", req.Name, why))
	}
	if len(dropped) > 0 {
		return &DroppedError{Dropped: dropped}
	}
	return nil
}

// buildLock makes the new lock from the pins: every file of each pinned
// version that the index and find-links hold, hashed. Other tools' tables
// are kept.
func (e *Engine) buildLock(ctx context.Context, old *lockfile.Lock, proj Project, pins []resolve.Pin, src sources, lockDir string, info *interp.Info) (*lockfile.Lock, error) {
	client := &index.Client{HTTP: e.HTTP, FindLinks: src.findLinks, Offline: src.offline}
	if !src.offline {
		client.IndexURL = src.indexURL
	}
	nl := &lockfile.Lock{
		LockVersion:    lockfile.SupportedVersion,
		CreatedBy:      "influx-py",
		RequiresPython: ">=" + src.pyver,
		Tool:           map[string]any{},
	}
	if len(src.targets) > 0 {
		low := src.targets[0]
		for _, t := range src.targets[1:] {
			if t.Minor < low.Minor {
				low = t
			}
		}
		nl.RequiresPython = ">=" + low.PythonVersion()
	}
	if old != nil {
		for k, v := range old.Tool {
			nl.Tool[k] = v
		}
	}
	nl.Tool[toolKey] = proj.table()
	for _, pin := range pins {
		pkg, err := e.lockPackage(ctx, client, pin, lockDir, src.absolute)
		if err != nil {
			return nil, err
		}
		nl.Packages = append(nl.Packages, *pkg)
	}
	nl.Environments = environmentOf(nl.Packages, info)
	if len(src.targets) > 0 {
		// Resolved once per target: the lock is for those nodes exactly.
		nl.Environments = nil
		for _, t := range src.targets {
			nl.Environments = append(nl.Environments, t.Marker())
		}
	}
	return nl, nil
}

// commitLock writes the new lock. With a sync, the venv is synced to the new
// lock's bytes first (read from memory, its relative paths taken from the
// real lock's folder), and the file is written only once the venv matches
// it: a failed sync leaves the old lock, and a kill between the two leaves
// a venv the next sync brings back to the old lock. The write goes through
// a symbolic link at the lock's path and keeps the file's mode.
func (e *Engine) commitLock(ctx context.Context, opts LockOptions, loc *Locations, data []byte, res *LockResult) error {
	if opts.Sync != nil {
		so := *opts.Sync
		so.held = true
		so.Where.Lock = loc.Lock
		if res.Changed {
			so.candidate = data
		}
		sres, err := e.Sync(ctx, so)
		if err != nil {
			return fmt.Errorf("sync to the new lock (the lock file is unchanged): %w", err)
		}
		res.Sync = sres
	}
	if res.Changed {
		if err := fsutil.WriteFile(loc.Lock, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sweepLockCandidates removes the candidate locks earlier versions of
// influx-py wrote beside the lock and a kill left behind. The caller holds
// the venv lock.
func sweepLockCandidates(lockPath string) {
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(lockPath), "."+filepath.Base(lockPath)+".new-*"))
	for _, m := range matches {
		os.Remove(m)
	}
}

// IndexUnreachableError is an index that did not answer in time.
type IndexUnreachableError struct {
	URL     string // redacted
	Timeout time.Duration
	Err     error
}

func (e *IndexUnreachableError) Error() string {
	if errors.Is(e.Err, context.DeadlineExceeded) {
		return fmt.Sprintf("index %s does not answer within %s", e.URL, e.Timeout)
	}
	return fmt.Sprintf("index %s cannot be reached: %v", e.URL, e.Err)
}

func (e *IndexUnreachableError) Unwrap() error { return e.Err }

// reachIndexes asks each index for its root page's headers, and fails
// when one does not answer within timeout. Any HTTP answer counts (some
// servers refuse HEAD); what the index then says is the resolver's
// business.
func (e *Engine) reachIndexes(ctx context.Context, urls []string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	client := e.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	for _, u := range urls {
		if u == "" || !strings.HasPrefix(u, "http") {
			continue
		}
		tctx, cancel := context.WithTimeout(ctx, timeout)
		req, err := http.NewRequestWithContext(tctx, http.MethodHead, redact.Strip(u), nil)
		if err != nil {
			cancel()
			return fmt.Errorf("index %s: %w", redact.URL(u), err)
		}
		resp, err := client.Do(req)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &IndexUnreachableError{URL: redact.URL(u), Timeout: timeout, Err: unwrapURLError(err)}
		}
		resp.Body.Close()
	}
	return nil
}

// unwrapURLError drops net/http's "Head \"url\": " prefix, which repeats
// the URL (with its credentials redacted by nobody).
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// pingIndex checks that an index root answers.
func (e *Engine) pingIndex(ctx context.Context, u string) error {
	_, err := (&fetch.Client{HTTP: e.HTTP}).Read(ctx, u, "", 64<<20)
	var status *fetch.StatusError
	if errors.As(err, &status) {
		return fmt.Errorf("HTTP %s", status.Status)
	}
	return err
}

// chooseResolver picks the backend that resolves, as for a sync.
func (e *Engine) chooseResolver(ctx context.Context, opts LockOptions, loc *Locations, info *interp.Info, tmp, netrc string) (Resolver, string, error) {
	b, reason, err := e.chooseBackendWith(ctx, opts.Backend, UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: opts.Offline, Archives: uvArchives(opts.FindLinks)}, filepath.Join(opts.CacheDir, "uv-cache"), tmp, netrc, info, false, false)
	if err != nil {
		return nil, "", err
	}
	e.logf("resolving with %s (%s)", b.Name(), reason)
	return b, b.Name(), nil
}

// declaredConstraints are the constraints requirements files gave.
func declaredConstraints(opts LockOptions) []string {
	if opts.Declared == nil {
		return nil
	}
	return opts.Declared.Constraints
}

// keepPins are the current lock's pins offered to the resolver as
// constraints, for minimal churn: all of them unless upgrading, less the
// packages named by --upgrade-package.
func keepPins(old *lockfile.Lock, reqs []string, opts LockOptions) []string {
	if old == nil || opts.Upgrade {
		return nil
	}
	skip := map[string]bool{}
	for _, n := range opts.UpgradePackages {
		skip[pep508.NormalizeName(n)] = true
	}
	var out []string
	for _, p := range old.Packages {
		n := pep508.NormalizeName(p.Name)
		if skip[n] || p.Version == "" || p.Marker != "" {
			continue
		}
		out = append(out, n+"=="+p.Version)
	}
	sort.Strings(out)
	return out
}

// lockPackage turns a pin into a lock entry with every file of that version
// the index and the find-links folders hold, each with its sha256 (and size
// when known). A file inside the lock's folder is recorded by relative path.
func (e *Engine) lockPackage(ctx context.Context, c *index.Client, pin resolve.Pin, lockDir string, absolute bool) (*lockfile.Package, error) {
	if pin.Version == "" && pin.URL != "" {
		return lockDirect(pin, lockDir, absolute)
	}
	files, err := c.Files(ctx, pin.Name)
	if err != nil {
		return nil, fmt.Errorf("lock %s %s: %w", pin.Name, pin.Version, err)
	}
	files = index.ForVersion(files, pin.Name, pin.Version)
	if len(pin.Hashes) > 0 {
		// The resolver named the files it considered: keep only those (an
		// index may hold files uv chose not to trust, such as yanked ones).
		known := map[string]bool{}
		for _, h := range pin.Hashes {
			known[strings.ToLower(h)] = true
		}
		var kept []index.File
		for _, f := range files {
			if f.SHA256 == "" || known[f.SHA256] {
				kept = append(kept, f)
			}
		}
		files = kept
	}
	if err := c.FillHashes(ctx, files); err != nil {
		return nil, fmt.Errorf("lock %s %s: %w", pin.Name, pin.Version, err)
	}
	if len(files) == 0 && pin.URL != "" && pin.SHA256 != "" {
		// The resolver found a file that no index page lists (a direct
		// URL): lock that one.
		f := index.File{Filename: path(pin.URL), SHA256: pin.SHA256, Size: -1}
		if strings.Contains(pin.URL, "://") {
			f.URL = pin.URL
		} else {
			f.Path = pin.URL
			if fi, err := os.Stat(pin.URL); err == nil {
				f.Size = fi.Size()
			}
		}
		files = []index.File{f}
	}
	pkg := &lockfile.Package{Name: pin.Name, Version: pin.Version, Marker: pin.Marker}
	seen := map[string]bool{}
	for _, f := range files {
		// The same file from two places (the index and a find-links
		// folder) is locked once, from the first (the index).
		if seen[f.Filename] {
			continue
		}
		seen[f.Filename] = true
		lf := lockfile.File{Name: f.Filename, Hashes: map[string]string{"sha256": f.SHA256}}
		if f.Size >= 0 {
			size := f.Size
			lf.Size = &size
		}
		if f.Path != "" {
			lf.Path = relTo(lockDir, f.Path, absolute)
		} else {
			lf.URL = redact.Strip(f.URL)
		}
		if f.IsWheel() {
			pkg.Wheels = append(pkg.Wheels, lf)
		} else if pkg.Sdist == nil {
			sd := lf
			pkg.Sdist = &sd
		}
	}
	if len(pkg.Wheels) == 0 && pkg.Sdist == nil {
		return nil, fmt.Errorf("lock %s %s: no file of that version found on the index or in --find-links", pin.Name, pin.Version)
	}
	return pkg, nil
}

// lockDirect locks a direct reference (name @ url) as PEP 751 does, as an
// archive without a version: a local file by path (relative inside the
// lock's folder) or by its file: URL, anything else by URL. Its sha256 is
// the resolver's, or for a local file its own.
func lockDirect(pin resolve.Pin, lockDir string, absolute bool) (*lockfile.Package, error) {
	sum := pin.SHA256
	if sum == "" && len(pin.Hashes) == 1 {
		sum = strings.ToLower(pin.Hashes[0])
	}
	f := lockfile.File{}
	local := pin.URL
	if !strings.Contains(pin.URL, "://") || strings.HasPrefix(strings.ToLower(pin.URL), "file:") {
		if u, err := url.Parse(pin.URL); err == nil && strings.EqualFold(u.Scheme, "file") {
			local = filepath.FromSlash(u.Path)
		}
		data, err := fsutil.ReadRegular(local, 0)
		if err != nil {
			return nil, fmt.Errorf("lock %s @ %s: %w", pin.Name, pin.URL, err)
		}
		got := sha256.Sum256(data)
		if own := hex.EncodeToString(got[:]); sum == "" {
			sum = own
		} else if own != sum {
			return nil, fmt.Errorf("lock %s @ %s: the resolver saw sha256 %s, the file has %s", pin.Name, pin.URL, sum, own)
		}
		size := int64(len(data))
		f.Size = &size
		if rel := relTo(lockDir, local, absolute); !filepath.IsAbs(filepath.FromSlash(rel)) {
			f.Path = rel
		} else {
			f.URL = (&url.URL{Scheme: "file", Path: filepath.ToSlash(local)}).String()
		}
	} else {
		f.URL = redact.Strip(pin.URL)
	}
	if sum == "" {
		return nil, fmt.Errorf("lock %s @ %s: the resolver gave no sha256 for it", pin.Name, pin.URL)
	}
	f.Hashes = map[string]string{"sha256": sum}
	return &lockfile.Package{Name: pin.Name, Marker: pin.Marker, Archive: &lockfile.Archive{File: f}}, nil
}

func path(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return filepath.Base(p.Path)
	}
	return filepath.Base(u)
}

// relTo writes p as the lock records it: relative to dir (the lock's
// folder), with ".." where p lies outside it, so that the lock works on
// every node that has the same files beside it; with absolute, a path
// outside dir is kept absolute (--absolute-paths). URLs are kept as given;
// a path that cannot be made relative (another Windows volume) stays
// absolute.
func relTo(dir, p string, absolute bool) string {
	if strings.Contains(p, "://") {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	if absolute && (rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))) {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

// diffLocks lists the packages whose pins differ between two locks.
func diffLocks(old, nl *lockfile.Lock) []LockChange {
	versions := func(l *lockfile.Lock) map[string]string {
		m := map[string]string{}
		if l == nil {
			return m
		}
		for _, p := range l.Packages {
			n := pep508.NormalizeName(p.Name)
			if m[n] != "" {
				m[n] += ", "
			}
			m[n] += p.Version
		}
		return m
	}
	a, b := versions(old), versions(nl)
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	out := []LockChange{}
	for n := range names {
		if a[n] != b[n] {
			out = append(out, LockChange{Name: n, Old: a[n], New: b[n]})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// writeNetrc writes the credentials of urls (those that carry any) into a
// netrc file in dir, followed by the user's own netrc, for a child that
// must reach those hosts. It returns "" when no URL carries credentials.
func writeNetrc(dir string, urls []string) (string, error) {
	var b strings.Builder
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			continue
		}
		pass, _ := u.User.Password()
		fmt.Fprintf(&b, "machine %s login %s password %s\n", u.Hostname(), u.User.Username(), pass)
	}
	if b.Len() == 0 {
		return "", nil
	}
	if own, err := os.ReadFile(fetch.NetrcPath()); err == nil {
		b.Write(own)
	}
	p := filepath.Join(dir, "netrc")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	return p, nil
}

// withCredentials is e with an HTTP client that adds the credentials the
// URLs carry to requests for their hosts.
func (e *Engine) withCredentials(urls []string) *Engine {
	base := http.DefaultTransport
	client := &http.Client{}
	if e.HTTP != nil {
		c := *e.HTTP
		client = &c
		if c.Transport != nil {
			base = c.Transport
		}
	}
	rt := fetch.WithCredentials(base, urls)
	if rt == base {
		return e
	}
	client.Transport = rt
	c := *e
	c.HTTP = client
	return &c
}
