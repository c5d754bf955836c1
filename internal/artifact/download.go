package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// download fetches r.URL into r's cache entry, unless another process has
// put it there while this one waited for the entry's lock.
func (s *fetch) download(ctx context.Context, r Request, o outcome) outcome {
	fail := func(err error) outcome {
		o.err = err
		return o
	}
	// Where to download from, in order: the remote folders by name, then
	// the lock's URL (not offline).
	var srcs []string
	for _, base := range s.Remote {
		srcs = append(srcs, fetchpkg.Join(base, r.Name))
	}
	if r.URL != "" && !isFileURL(r.URL) && !s.Offline {
		u, err := url.Parse(r.URL)
		if err != nil {
			return fail(&DownloadError{Name: r.Name, URL: r.URL, Err: err})
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fail(&DownloadError{Name: r.Name, URL: fetchpkg.Redact(r.URL),
				Err: fmt.Errorf("unsupported URL scheme %q (only http, https and file)", u.Scheme)})
		}
		srcs = append(srcs, r.URL)
	}
	if len(srcs) == 0 {
		if why := notDownloaded(r, s.Offline); why != "" {
			o.looked = append(o.looked, why)
		}
		return o
	}
	if s.cacheDir == "" {
		return fail(&DownloadError{Name: r.Name, URL: fetchpkg.Redact(srcs[0]), Err: errors.New("no cache directory to download into")})
	}

	// Another process downloading the same file holds this lock: waiting
	// for it costs less than downloading twice.
	s.logf("%s: not in the cache; taking its lock to download it", r.Name)
	unlock, err := s.lockEntry(ctx, r)
	if err != nil {
		return fail(fmt.Errorf("lock cache entry for %s: %w", r.Name, err))
	}
	defer unlock()

	// Another process may have downloaded the file while this one waited.
	p := s.entryFile(r)
	err = verifyFile(r, p, SourceCache)
	switch {
	case err == nil:
		s.logf("%s: using %s (cached meanwhile)", r.Name, p)
		return foundAt(r, p, SourceCache)
	case isMismatch(err):
		if err := os.Remove(p); err != nil {
			return fail(err)
		}
		s.logf("%s: removed bad cache entry %s", r.Name, p)
	case !errors.Is(err, os.ErrNotExist):
		return fail(err)
	}

	dir := s.entryDir(r)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(err)
	}
	for i, src := range srcs {
		s.logf("%s: downloading %s", r.Name, fetchpkg.Redact(src))
		err := s.get(ctx, r, src, p)
		if err == nil {
			return foundAt(r, p, SourceDownload)
		}
		// A remote folder without the file: try the next place. Wrong
		// bytes anywhere are an error, never a reason to look further.
		if i < len(s.Remote) && isNotThere(err) {
			o.looked = append(o.looked, "not in "+fetchpkg.Redact(s.Remote[i]))
			continue
		}
		os.Remove(dir) // only succeeds when empty: leave no half entry
		return fail(err)
	}
	os.Remove(dir)
	if why := notDownloaded(r, s.Offline); why != "" {
		o.looked = append(o.looked, why)
	}
	return o
}

// isNotThere reports a download that failed because the source has no
// such file (HTTP 404 or 410, a missing S3 key).
func isNotThere(err error) bool {
	var st *StatusError
	if errors.As(err, &st) {
		return st.Code == 404 || st.Code == 410 || st.Code == 403
	}
	var de *DownloadError
	return errors.As(err, &de) && errors.Is(de.Err, os.ErrNotExist)
}

// get downloads r.URL to dest through the fetch layer, into a temporary
// file beside dest that becomes dest only once its size and hash are the
// lock's.
func (s *fetch) get(ctx context.Context, r Request, src, dest string) error {
	where := fetchpkg.Redact(src)
	t, err := fsutil.NewTemp(dest, 0o644)
	if err != nil {
		return fmt.Errorf("store %s in cache: %w", r.Name, err)
	}
	o := fetchpkg.Options{Size: r.Size}
	if s.Progress != nil {
		var pw io.Writer
		o.Progress = func(total int64) io.Writer {
			if pw = s.Progress(r.Name, total); pw == nil {
				return nil
			}
			return progressWriter{pw}
		}
	}
	res, err := s.dl.File(ctx, src, t.Path(), o)
	if err != nil {
		t.Abort()
		return downloadError(r, where, err)
	}
	if res.SHA256 != r.SHA256 {
		t.Abort()
		return &HashMismatchError{Name: r.Name, Source: where, Origin: SourceDownload, Expected: r.SHA256, Actual: res.SHA256}
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("store %s in cache: %w", r.Name, err)
	}
	return nil
}

// downloadError says what went wrong in the lock's terms.
func downloadError(r Request, where string, err error) error {
	var (
		status *fetchpkg.StatusError
		gone   *fetchpkg.UnreachableError
		short  *fetchpkg.CutShortError
		size   *fetchpkg.SizeError
	)
	switch {
	case errors.As(err, &size):
		return &SizeMismatchError{Name: r.Name, Source: where, Origin: SourceDownload, Expected: size.Expected, Actual: size.Got}
	case errors.As(err, &status):
		err = &StatusError{Code: status.Code, Status: status.Status}
	case errors.As(err, &gone):
		err = gone.Err
	case errors.As(err, &short):
		err = short.Err
	}
	return &DownloadError{Name: r.Name, URL: where, Err: err}
}

// progressWriter passes bytes to a progress display, which is closed when
// the download ends, and never fails the download.
type progressWriter struct{ w io.Writer }

func (p progressWriter) Write(b []byte) (int, error) {
	p.w.Write(b)
	return len(b), nil
}

func (p progressWriter) Close() error {
	if c, ok := p.w.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
