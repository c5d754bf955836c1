// Package artifact gets the files selected from a PEP 751 lock onto local
// disk and verifies them before anything is installed. A file is taken from
// the lock's path, a --find-links directory, the content-addressed cache, or a
// download, in that order, and every one of them is checked against the
// lock's size and sha256: a local file is no more trusted than a remote one.
package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/tags"
)

// Where a Result's file came from.
const (
	SourcePath      = "path"       // the lock's path, or a file: URL
	SourceFindLinks = "find-links" // a --find-links directory
	SourceCache     = "cache"      // the content-addressed cache
	SourceDownload  = "download"   // downloaded into the cache by this call
)

// DefaultJobs is how many downloads run at once when Fetcher.Jobs is 0: enough
// to hide latency, few enough not to hammer an index.
const DefaultJobs = 4

// Request is one file the lock selected.
type Request struct {
	Name    string // file name, e.g. foo-1.0-py3-none-any.whl
	Package string // for messages, e.g. "foo 1.0"
	Path    string // absolute local path from the lock's path; may be empty
	URL     string // http, https or file URL; may be empty
	Size    int64  // bytes; -1 when the lock does not say
	SHA256  string // lowercase hex; required
}

// Result is a verified local copy of a Request's file.
type Result struct {
	Request
	File   string // local path of the verified file
	Source string // SourcePath, SourceFindLinks, SourceCache or SourceDownload
}

// Fetcher finds, downloads and verifies files. The zero value works offline
// with no cache; set CacheDir to download.
type Fetcher struct {
	Client    *http.Client // nil means http.DefaultClient
	CacheDir  string       // root of the cache; files live under artifacts/sha256
	FindLinks []string     // local directories searched by file name
	// Remote are remote folders (an https URL, an S3 prefix) whose files
	// are fetched by name into the cache, after the local places and before
	// the lock's URL. The user named them, so they are used offline too
	// (offline keeps away from indexes and the lock's URLs).
	Remote []string
	// Within are the folders whose files a mismatch may describe (the
	// plugin dir). A lock path elsewhere is only compared: a lock must not
	// be a way to learn the hash or size of any file the user can read.
	Within  []string
	Offline bool // never download
	// Verified, if set, is called as each file is found and verified (from
	// several goroutines), for a progress display.
	Verified func(name string)
	// Progress, if set, is called once per download with the file name and
	// its expected size (-1 when unknown); the bytes read are copied to the
	// writer it returns. A writer that is also an io.Closer is closed when the
	// download ends.
	Progress func(name string, total int64) io.Writer
	Log      io.Writer // verbose messages; may be nil
	Jobs     int       // downloads at a time; 0 means DefaultJobs
}

// outcome is what became of one request.
type outcome struct {
	res      Result
	done     bool
	err      error
	looked   []string
	staleHit bool // a cache entry exists but failed verification
}

// fetch holds the state of one Fetch call.
type fetch struct {
	*Fetcher
	cacheDir string
	logMu    sync.Mutex
	// dl downloads every file of this Fetch: one S3 client (and its
	// credentials) serves them all.
	dl *fetchpkg.Client
}

// Fetch returns a verified local file for every request, in request order.
// Problems are collected rather than reported one at a time: every missing
// file is listed in one *MissingError, and when online the other files are
// still downloaded, so a retry after fixing one problem does not uncover the
// next. Several errors come back joined (errors.Join); use errors.As to pick
// out a *MissingError, *HashMismatchError, *SizeMismatchError or
// *DownloadError.
func (f *Fetcher) Fetch(ctx context.Context, reqs []Request) ([]Result, error) {
	for _, r := range reqs {
		if err := checkRequest(r); err != nil {
			return nil, err
		}
	}
	s := &fetch{Fetcher: f, dl: &fetchpkg.Client{HTTP: f.Client}}
	if f.CacheDir != "" {
		abs, err := filepath.Abs(f.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("cache directory %s: %w", f.CacheDir, err)
		}
		s.cacheDir = abs
	}

	// Look locally first, for all files, so that when offline every missing
	// file is known before anything else happens. Hashing is CPU-bound, so
	// this runs as wide as the machine.
	outs := make([]outcome, len(reqs))
	parallel(ctx, len(reqs), runtime.GOMAXPROCS(0), func(i int) {
		outs[i] = s.lookLocal(reqs[i])
		if outs[i].done && f.Verified != nil {
			f.Verified(reqs[i].Name)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("fetch files: %w", err)
	}

	var need []int
	for i := range outs {
		if outs[i].done || outs[i].err != nil {
			continue
		}
		if len(f.Remote) == 0 && (f.Offline || reqs[i].URL == "" || isFileURL(reqs[i].URL)) {
			if outs[i].staleHit {
				outs[i] = s.dropStale(ctx, reqs[i], outs[i])
			}
			if why := notDownloaded(reqs[i], f.Offline); !outs[i].done && outs[i].err == nil && why != "" {
				outs[i].looked = append(outs[i].looked, why)
			}
			continue
		}
		need = append(need, i)
	}
	if len(need) > 0 {
		jobs := f.Jobs
		if jobs <= 0 {
			jobs = DefaultJobs
		}
		parallel(ctx, len(need), jobs, func(k int) {
			i := need[k]
			outs[i] = s.download(ctx, reqs[i], outs[i])
			if outs[i].done && f.Verified != nil {
				f.Verified(reqs[i].Name)
			}
		})
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("fetch files: %w", err)
		}
	}

	var errs []error
	missing := &MissingError{Offline: f.Offline}
	results := make([]Result, len(reqs))
	for i, o := range outs {
		switch {
		case o.err != nil:
			errs = append(errs, o.err)
		case o.done:
			results[i] = o.res
		default:
			missing.Missing = append(missing.Missing, reqs[i])
			missing.Looked = append(missing.Looked, o.looked)
		}
	}
	if len(missing.Missing) > 0 {
		errs = append([]error{missing}, errs...)
	}
	switch len(errs) {
	case 0:
		return results, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// checkRequest rejects requests that would make the cache or a find-links
// lookup touch a path outside where it should, or that cannot be verified.
func checkRequest(r Request) error {
	bad := func(why string) error {
		return fmt.Errorf("invalid file request %q for %s: %s", r.Name, r.Package, why)
	}
	if r.Name == "" || r.Name == "." || r.Name == ".." ||
		strings.ContainsAny(r.Name, `/\`+"\x00") {
		return bad("the file name must be a plain name")
	}
	if !fetchpkg.IsSHA256(r.SHA256) {
		return bad(fmt.Sprintf("sha256 %q is not 64 lowercase hex digits", r.SHA256))
	}
	if r.Size < -1 {
		return bad(fmt.Sprintf("size %d is negative", r.Size))
	}
	if r.Path != "" && !filepath.IsAbs(r.Path) {
		return bad(fmt.Sprintf("path %q is not absolute", r.Path))
	}
	// A local file is read only under the distribution file name the lock
	// gives it: a lock cannot point influx-py at /etc/shadow.
	if _, err := tags.ParseWheelFilename(r.Name); err != nil {
		if _, _, err := tags.ParseSdistFilename(r.Name); err != nil {
			return bad("not a wheel or sdist file name")
		}
	}
	local := r.Path
	if p, ok, _ := fileURLPath(r.URL); ok {
		local = p
	}
	if local != "" && filepath.Base(local) != r.Name {
		return bad(fmt.Sprintf("the lock names the file %s but its path ends in %s", r.Name, filepath.Base(local)))
	}
	return nil
}

// within reports whether p is inside one of dirs.
func within(p string, dirs []string) bool {
	for _, d := range dirs {
		if rel, err := filepath.Rel(d, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return true
		}
	}
	return false
}

// lookLocal tries the lock's path, the find-links directories and the cache.
// A file that exists but does not verify is an error, except in the cache,
// which this program owns and can repair.
func (s *fetch) lookLocal(r Request) outcome {
	var o outcome
	if p, ok, err := fileURLPath(r.URL); ok {
		// A file: URL (what pip lock writes for local files) is a local
		// path like any other, and may be used offline.
		if err != nil {
			return outcome{err: &DownloadError{Name: r.Name, URL: fetchpkg.Redact(r.URL), Err: err}}
		}
		found, err := s.tryLocal(r, p, SourcePath)
		switch {
		case err != nil:
			return outcome{err: s.hide(p, err)}
		case found:
			return foundAt(r, p, SourcePath)
		}
		o.looked = append(o.looked, "no file at "+r.URL)
	}
	if r.Path != "" {
		ok, err := s.tryLocal(r, r.Path, SourcePath)
		switch {
		case err != nil:
			return outcome{err: s.hide(r.Path, err)}
		case ok:
			return foundAt(r, r.Path, SourcePath)
		}
		o.looked = append(o.looked, "no file at lock path "+r.Path)
	}
	for _, dir := range s.FindLinks {
		p := filepath.Join(dir, r.Name)
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		ok, err := s.tryLocal(r, p, SourceFindLinks)
		switch {
		case err != nil:
			return outcome{err: err}
		case ok:
			return foundAt(r, p, SourceFindLinks)
		}
		o.looked = append(o.looked, "not in find-links "+dir)
	}
	if s.cacheDir != "" {
		p := s.entryFile(r)
		err := verifyFile(r, p, SourceCache)
		switch {
		case err == nil:
			s.logf("%s: using cached %s", r.Name, p)
			// The modification time says when the entry was last used,
			// for 'cache prune --older-than'.
			now := time.Now()
			os.Chtimes(p, now, now)
			return foundAt(r, p, SourceCache)
		case isMismatch(err):
			s.logf("%s: cache entry is bad (%v); it will be replaced", r.Name, err)
			o.staleHit = true
			o.looked = append(o.looked, "bad cache entry "+p)
		case errors.Is(err, os.ErrNotExist):
			o.looked = append(o.looked, "not in cache "+s.cacheDir)
		default:
			return outcome{err: err}
		}
	}
	return o
}

// tryLocal verifies the file at p. It reports false, nil when there is no
// file there.
func (s *fetch) tryLocal(r Request, p, origin string) (bool, error) {
	err := verifyFile(r, p, origin)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	s.logf("%s: using %s (%s)", r.Name, p, origin)
	return true, nil
}

// hide drops what a mismatch says of a file outside Within.
func (s *fetch) hide(p string, err error) error {
	if within(p, s.Within) {
		return err
	}
	var h *HashMismatchError
	if errors.As(err, &h) {
		c := *h
		c.Actual = ""
		return &c
	}
	var z *SizeMismatchError
	if errors.As(err, &z) {
		c := *z
		c.Actual = -1
		return &c
	}
	return err
}

func foundAt(r Request, file, source string) outcome {
	return outcome{done: true, res: Result{Request: r, File: file, Source: source}}
}

func notDownloaded(r Request, offline bool) string {
	switch {
	case r.URL == "":
		return "the lock gives no URL"
	case offline:
		return "not downloaded from " + fetchpkg.Redact(r.URL) + " (offline)"
	}
	return ""
}

func (s *fetch) logf(format string, args ...any) {
	if s.Log == nil {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if !strings.HasSuffix(msg, "\n") {
		msg += "\n"
	}
	s.logMu.Lock()
	defer s.logMu.Unlock()
	io.WriteString(s.Log, msg)
}

// parallel calls fn(0) … fn(n-1) with at most width calls at once. It stops
// starting new calls once ctx is done.
func parallel(ctx context.Context, n, width int, fn func(int)) {
	if width > n {
		width = n
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < width; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(i)
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

func isFileURL(raw string) bool {
	_, ok, _ := fileURLPath(raw)
	return ok
}

// fileURLPath is the local path a file: URL names. ok is false for other
// URLs; err is set for a file: URL that names no local path (another host).
func fileURLPath(raw string) (p string, ok bool, err error) {
	if len(raw) < 5 || !strings.EqualFold(raw[:5], "file:") {
		return "", false, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", true, err
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", true, fmt.Errorf("file URL names host %q: only local files can be read", u.Host)
	}
	p = filepath.FromSlash(u.Path)
	if runtime.GOOS == "windows" && len(p) > 2 && p[0] == '\\' && p[2] == ':' {
		p = p[1:] // file:///C:/x
	}
	if p == "" || !filepath.IsAbs(p) {
		return "", true, fmt.Errorf("file URL %s does not name an absolute path", raw)
	}
	return p, true, nil
}
