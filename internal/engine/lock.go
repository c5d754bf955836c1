package engine

import (
	"bytes"
	"context"
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

	"github.com/influx-py/influx-py/internal/fallback"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/index"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/resolve"
	"github.com/influx-py/influx-py/internal/uvbin"
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
	// LockTimeout bounds the wait for another influx-py on the same venv.
	LockTimeout time.Duration
	// Sync, when set, syncs the venv to the new lock before the lock
	// replaces the old one: a sync that fails leaves the old lock in place.
	Sync *SyncOptions
}

// LockResult reports a rewrite of the lock.
type LockResult struct {
	Lock         string       `json:"lock"`
	Requirements []string     `json:"requirements"`
	Backend      string       `json:"backend"`
	Changed      bool         `json:"changed"`
	Changes      []LockChange `json:"changes"`
	Packages     int          `json:"packages"`
	Sync         *SyncResult  `json:"sync,omitempty"`
}

// LockChange is one package whose pin the rewrite changed. Old is empty for
// an added package, New for a removed one.
type LockChange struct {
	Name string `json:"name"`
	Old  string `json:"old,omitempty"`
	New  string `json:"new,omitempty"`
}

// CheckLock reports whether the lock still answers the requirements it
// records (lock --check): no resolution, no network.
func (e *Engine) CheckLock(w Where) ([]string, string, error) {
	loc, err := Locate(w, e.Sys)
	if err != nil {
		return nil, "", err
	}
	l, _, err := readLock(loc.Lock)
	if err != nil {
		return nil, loc.Lock, err
	}
	if l == nil {
		return nil, loc.Lock, &NoLockError{Path: loc.Lock}
	}
	p, err := projectOf(l)
	if err != nil {
		return nil, loc.Lock, fmt.Errorf("%s: %w", loc.Lock, err)
	}
	return staleness(l, p.Requirements), loc.Lock, nil
}

// readLock reads and parses the lock at path; a missing file gives nil.
func readLock(path string) (*lockfile.Lock, []byte, error) {
	data, err := os.ReadFile(path)
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
// writes the lock. The lock file is written only when the resolution
// succeeded, and only when its bytes change.
func (e *Engine) Relock(ctx context.Context, opts LockOptions, edit func([]string) ([]string, error)) (*LockResult, error) {
	loc, err := Locate(opts.Where, e.Sys)
	if err != nil {
		return nil, err
	}
	unlock, err := e.lockVenv(ctx, loc.Venv, opts.LockTimeout, "lock")
	if err != nil {
		return nil, err
	}
	defer unlock()

	old, oldData, err := readLock(loc.Lock)
	if err != nil {
		return nil, err
	}
	proj, err := projectOf(old)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.Lock, err)
	}
	reqs, err := edit(proj.Requirements)
	if err != nil {
		return nil, err
	}
	res := &LockResult{Lock: loc.Lock, Requirements: reqs, Changes: []LockChange{}}
	if old == nil && len(reqs) == 0 {
		return nil, errors.New("no requirements to lock: add some with 'influx-py add SPEC'")
	}

	info, err := e.prober(opts.CacheDir).Probe(ctx, loc.Python)
	if err != nil {
		return nil, err
	}
	major, minor, _ := info.Version()
	pyver := fmt.Sprintf("%d.%d", major, minor)
	lockDir := filepath.Dir(loc.Lock)

	// Where to look: flags first, else what the lock recorded.
	proj.Requirements, proj.Python = reqs, pyver
	if opts.IndexURL != "" {
		proj.IndexURL = opts.IndexURL
	}
	if opts.ExtraIndexURLs != nil {
		proj.ExtraIndexURLs = opts.ExtraIndexURLs
	}
	if opts.FindLinks != nil {
		proj.FindLinks = nil
		for _, d := range opts.FindLinks {
			proj.FindLinks = append(proj.FindLinks, relTo(lockDir, d))
		}
	}
	findLinks := make([]string, len(proj.FindLinks))
	for i, d := range proj.FindLinks {
		findLinks[i] = d
		if !filepath.IsAbs(d) && !strings.Contains(d, "://") {
			findLinks[i] = filepath.Join(lockDir, filepath.FromSlash(d))
		}
	}
	indexURL := proj.IndexURL
	if indexURL == "" && !opts.Offline {
		indexURL = "https://pypi.org/simple/"
	}

	var pins []resolve.Pin
	backendName := "none"
	if len(reqs) > 0 {
		r, name, err := e.chooseResolver(ctx, opts, loc, info)
		if err != nil {
			return nil, err
		}
		backendName = name
		tmp, err := os.MkdirTemp("", "influx-py-lock-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		req := resolve.Request{
			Requirements:   reqs,
			Constraints:    keepPins(old, reqs, opts),
			Python:         loc.Python,
			PythonVersion:  pyver,
			IndexURL:       indexURL,
			ExtraIndexURLs: proj.ExtraIndexURLs,
			FindLinks:      findLinks,
			NoIndex:        opts.Offline,
			AllowSdist:     opts.AllowBuild,
			Dir:            tmp,
		}
		pins, err = r(ctx, req)
		if err != nil && len(req.Constraints) > 0 {
			// The kept pins may be what makes the new requirements
			// unsatisfiable; try once more without them.
			e.logf("resolution keeping the current pins failed; resolving afresh")
			req.Constraints = nil
			pins, err = r(ctx, req)
		}
		if err != nil {
			// pip reports an index that fails as "no matching
			// distribution"; ask the index directly so the user learns
			// which it is.
			if !opts.Offline && indexURL != "" {
				if ierr := e.pingIndex(ctx, indexURL); ierr != nil {
					return nil, fmt.Errorf("index %s is not answering: %v\n%w", indexURL, ierr, err)
				}
			}
			return nil, err
		}
	}
	res.Backend = backendName

	client := &index.Client{HTTP: e.HTTP, FindLinks: findLinks, Offline: opts.Offline}
	if !opts.Offline {
		client.IndexURL = indexURL
	}
	nl := &lockfile.Lock{
		LockVersion:    lockfile.SupportedVersion,
		CreatedBy:      "influx-py",
		RequiresPython: ">=" + pyver,
		Tool:           map[string]any{},
	}
	if old != nil {
		for k, v := range old.Tool {
			nl.Tool[k] = v
		}
	}
	nl.Tool[toolKey] = proj.table()
	for _, pin := range pins {
		pkg, err := e.lockPackage(ctx, client, pin, lockDir)
		if err != nil {
			return nil, err
		}
		nl.Packages = append(nl.Packages, *pkg)
	}
	if len(pins) > 0 {
		// Both backends resolve for this interpreter's environment: a
		// dependency behind a marker for another platform is not in the
		// lock. Say so, so that an installer elsewhere refuses the lock
		// instead of installing an incomplete set.
		m := info.MarkerVars()
		nl.Environments = []string{fmt.Sprintf("python_version == %q and sys_platform == %q and platform_machine == %q",
			m["python_version"], m["sys_platform"], m["platform_machine"])}
	}
	data, err := nl.Marshal()
	if err != nil {
		return nil, err
	}
	if _, err := lockfile.Parse(loc.Lock, data); err != nil {
		return nil, fmt.Errorf("internal error: the new lock does not validate: %w", err)
	}
	res.Packages = len(nl.Packages)
	res.Changes = diffLocks(old, nl)
	res.Changed = !bytes.Equal(data, oldData)
	if opts.Sync == nil {
		if res.Changed {
			if err := fsutil.WriteFile(loc.Lock, data, 0o644); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	// Sync to the candidate lock first, from a file beside the real one
	// (its relative paths stay valid), and let it replace the lock only
	// when the venv matches it.
	so := *opts.Sync
	so.held = true
	so.Where.Lock = loc.Lock
	var candidate string
	if res.Changed {
		f, err := os.CreateTemp(lockDir, ".pylock.toml.new-*")
		if err != nil {
			return nil, fmt.Errorf("write lock: %w", err)
		}
		candidate = f.Name()
		f.Close()
		defer os.Remove(candidate)
		if err := fsutil.WriteFile(candidate, data, 0o644); err != nil {
			return nil, err
		}
		so.Where.Lock = candidate
	}
	sres, err := e.Sync(ctx, so)
	if err != nil {
		return nil, fmt.Errorf("sync to the new lock (the lock file is unchanged): %w", err)
	}
	sres.Lock = loc.Lock
	res.Sync = sres
	if candidate != "" {
		if err := os.Rename(candidate, loc.Lock); err != nil {
			return nil, fmt.Errorf("write lock: %w", err)
		}
	}
	return res, nil
}

// pingIndex checks that an index root answers.
func (e *Engine) pingIndex(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	c := e.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

type resolveFunc func(context.Context, resolve.Request) ([]resolve.Pin, error)

// chooseResolver picks the backend that resolves, as for a sync.
func (e *Engine) chooseResolver(ctx context.Context, opts LockOptions, loc *Locations, info *interp.Info) (resolveFunc, string, error) {
	b, reason, err := e.chooseBackend(ctx, opts.Backend, UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: opts.Offline}, filepath.Join(opts.CacheDir, "uv-cache"), info)
	if err != nil {
		return nil, "", err
	}
	e.logf("resolving with %s (%s)", b.Name(), reason)
	switch b := b.(type) {
	case *fallback.Pip:
		return b.Resolve, b.Name(), nil
	case *uvbin.Backend:
		return b.Resolve, b.Name(), nil
	}
	return nil, "", fmt.Errorf("backend %s cannot resolve", b.Name())
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
func (e *Engine) lockPackage(ctx context.Context, c *index.Client, pin resolve.Pin, lockDir string) (*lockfile.Package, error) {
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
	for _, f := range files {
		lf := lockfile.File{Name: f.Filename, Hashes: map[string]string{"sha256": f.SHA256}}
		if f.Size >= 0 {
			size := f.Size
			lf.Size = &size
		}
		if f.Path != "" {
			lf.Path = relTo(lockDir, f.Path)
		} else {
			lf.URL = f.URL
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

func path(u string) string {
	if p, err := url.Parse(u); err == nil && p.Path != "" {
		return filepath.Base(p.Path)
	}
	return filepath.Base(u)
}

// relTo writes p relative to dir when p is inside dir (so the lock travels
// with the plugin dir), and absolute otherwise. URLs are kept as given.
func relTo(dir, p string) string {
	if strings.Contains(p, "://") {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	rel, err := filepath.Rel(dir, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
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
