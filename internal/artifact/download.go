package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// download fetches r.URL into r's cache entry, unless another process has
// put it there while this one waited for the entry's lock.
func (s *fetch) download(ctx context.Context, r Request, o outcome) outcome {
	fail := func(err error) outcome {
		o.err = err
		return o
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		return fail(&DownloadError{Name: r.Name, URL: r.URL, Err: err})
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail(&DownloadError{Name: r.Name, URL: redact(r.URL),
			Err: fmt.Errorf("unsupported URL scheme %q (only http, https and file)", u.Scheme)})
	}
	if s.cacheDir == "" {
		return fail(&DownloadError{Name: r.Name, URL: redact(r.URL), Err: errors.New("no cache directory to download into")})
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
	s.logf("%s: downloading %s", r.Name, redact(r.URL))
	if err := s.get(ctx, r, p); err != nil {
		os.Remove(dir) // only succeeds when empty: leave no half entry
		return fail(err)
	}
	return foundAt(r, p, SourceDownload)
}

// get downloads r.URL to dest, hashing while writing. dest appears only if
// the size and hash are right.
func (s *fetch) get(ctx context.Context, r Request, dest string) error {
	where := redact(r.URL)
	dlErr := func(err error) error {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return &DownloadError{Name: r.Name, URL: where, Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return dlErr(err)
	}
	// Ask for the bytes as stored. Go's transport would otherwise request
	// gzip and silently decompress, and a server that compresses a .tar.gz
	// on the fly would then hand over bytes that do not match the lock.
	req.Header.Set("Accept-Encoding", "identity")
	req.Header.Set("User-Agent", "influx-py")
	client := s.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return dlErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return dlErr(&StatusError{Code: resp.StatusCode, Status: resp.Status})
	}
	if r.Size >= 0 && resp.ContentLength >= 0 && resp.ContentLength != r.Size {
		return &SizeMismatchError{Name: r.Name, Source: where, Origin: SourceDownload, Expected: r.Size, Actual: resp.ContentLength}
	}

	total := r.Size
	if total < 0 {
		total = resp.ContentLength
	}
	var progress io.Writer
	if s.Progress != nil {
		if pw := s.Progress(r.Name, total); pw != nil {
			progress = quietWriter{pw}
			if c, ok := pw.(io.Closer); ok {
				defer c.Close()
			}
		}
	}

	var bad error // a verification or read failure, reported as is
	err = fsutil.WriteFrom(dest, 0o644, func(w io.Writer) error {
		h := sha256.New()
		dst := io.MultiWriter(w, h)
		if progress != nil {
			dst = io.MultiWriter(w, h, progress)
		}
		body := io.Reader(resp.Body)
		if r.Size >= 0 {
			// A server that sends more than the lock says (no
			// Content-Length, or a lying one) is cut off one byte past
			// it, not written until the disk is full.
			body = io.LimitReader(resp.Body, r.Size+1)
		}
		n, err := io.Copy(dst, body)
		if err != nil {
			bad = dlErr(err)
			return bad
		}
		if r.Size >= 0 && n != r.Size {
			bad = &SizeMismatchError{Name: r.Name, Source: where, Origin: SourceDownload, Expected: r.Size, Actual: n}
			return bad
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != r.SHA256 {
			bad = &HashMismatchError{Name: r.Name, Source: where, Origin: SourceDownload, Expected: r.SHA256, Actual: sum}
			return bad
		}
		return nil
	})
	if bad != nil {
		return bad
	}
	if err != nil {
		return fmt.Errorf("store %s in cache: %w", r.Name, err)
	}
	return nil
}

// quietWriter keeps a failing progress display from failing the download.
type quietWriter struct{ w io.Writer }

func (q quietWriter) Write(p []byte) (int, error) {
	q.w.Write(p)
	return len(p), nil
}

// redact hides a password in a URL before it goes into a message.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
