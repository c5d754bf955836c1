package uvbin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	getter "github.com/hashicorp/go-getter/v2"
)

// maxArchive bounds a download. uv's archives are a few tens of megabytes;
// a server sending more is not serving a uv release.
const maxArchive = 512 << 20

// archiveURL is <base>/<version>/<archive>. The base must be an http, https
// or file URL without a query or fragment: go-getter gives meaning to some
// query parameters (checksum, archive, filename) and to "//" in a path
// (a subdirectory), and none of that may come in through a mirror setting.
func archiveURL(base, version, archive string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("uv mirror %q: %w", base, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("uv mirror %q: no host", base)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("uv mirror %q: a file URL names a local path (file:///dir)", base)
		}
		if u.Path == "" {
			return "", fmt.Errorf("uv mirror %q: no path", base)
		}
	default:
		return "", fmt.Errorf("uv mirror %q: want an http, https or file URL", base)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(base, "#") {
		return "", fmt.Errorf("uv mirror %q: a query or fragment is not allowed", base)
	}
	full := u.JoinPath(version, archive)
	s := full.String()
	if rest := s[len(full.Scheme)+len("://"):]; strings.Contains(rest, "//") {
		return "", fmt.Errorf("uv mirror %q: empty path segment", base)
	}
	return s, nil
}

// fetch downloads src into the file dst (which must not exist) with
// go-getter, configured to do nothing but copy bytes: only the http(s) and
// file getters, no decompression, no checksum or subdirectory magic, no
// X-Terraform-Get redirection, no netrc, and a local file copied rather than
// linked. Failures that mean "uv cannot be had" come back as
// *UnavailableError; anything else is returned as it is.
func (m *Manager) fetch(ctx context.Context, src, dst string, progress func(int64) io.Writer) error {
	u, err := url.Parse(src)
	if err != nil {
		return err
	}
	if u.Scheme == "file" {
		// go-getter reports a missing source only as text; check it here so
		// that a mirror folder without the file means "unavailable".
		fi, err := os.Stat(u.Path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return &UnavailableError{Reason: "not found at " + src, Err: err}
			}
			return &UnavailableError{Reason: "cannot read " + src, Err: err}
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", src)
		}
	}

	rec := &recorder{limit: m.maxBytes}
	if rec.limit <= 0 {
		rec.limit = maxArchive
	}
	base := m.HTTP
	if base == nil {
		base = &http.Client{}
	}
	client := *base
	rec.base = client.Transport
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	client.Transport = rec

	hg := &getter.HttpGetter{
		Client:                &client,
		Netrc:                 false,
		XTerraformGetDisabled: true,
		DoNotCheckHeadFirst:   true, // one GET; no HEAD, no Range resume
		Header:                http.Header{"User-Agent": {"influx-py (uv " + m.version() + ")"}},
	}
	c := &getter.Client{
		Getters:         []getter.Getter{hg, new(getter.FileGetter)},
		Decompressors:   map[string]getter.Decompressor{}, // empty, not nil: nil means "all"
		DisableSymlinks: true,
	}
	req := &getter.Request{
		Src:             src,
		Dst:             dst,
		GetMode:         getter.ModeFile,
		Copy:            true,
		DisableSymlinks: true,
	}
	if progress != nil {
		req.ProgressListener = progressTracker(progress)
	}
	_, err = c.Get(ctx, req)
	if cerr := ctx.Err(); cerr != nil {
		return cerr
	}
	if err != nil {
		return rec.classify(err, u.Redacted())
	}
	if rec.tooLarge {
		return fmt.Errorf("%s: larger than %d bytes", u.Redacted(), rec.limit)
	}
	fi, err := os.Lstat(dst)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("download of %s is not a regular file", u.Redacted())
	}
	return nil
}

// recorder sees every HTTP exchange of one download, so that a failure can
// be classified by what happened on the wire rather than by go-getter's
// error text. It also caps the body at maxArchive.
type recorder struct {
	base  http.RoundTripper
	limit int64

	mu           sync.Mutex
	status       int
	transportErr error
	bodyErr      error
	tooLarge     bool
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.transportErr = err
		return nil, err
	}
	r.status = resp.StatusCode
	resp.Body = &cappedBody{rc: resp.Body, rec: r, left: r.limit}
	return resp, nil
}

func (r *recorder) classify(err error, src string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.tooLarge:
		return fmt.Errorf("%s: larger than %d bytes", src, r.limit)
	case r.transportErr != nil:
		return &UnavailableError{Reason: "cannot reach " + src, Err: r.transportErr}
	case r.status != 0 && (r.status < 200 || r.status > 299):
		return &UnavailableError{Reason: fmt.Sprintf("HTTP %d %s from %s", r.status, http.StatusText(r.status), src)}
	case r.bodyErr != nil:
		return &UnavailableError{Reason: "download of " + src + " interrupted", Err: r.bodyErr}
	case errors.Is(err, io.ErrShortWrite), errors.Is(err, io.ErrUnexpectedEOF):
		return &UnavailableError{Reason: "download of " + src + " cut short", Err: err}
	}
	return fmt.Errorf("download %s: %w", src, err)
}

type cappedBody struct {
	rc   io.ReadCloser
	rec  *recorder
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// The cap is reached: the body may end exactly here, or be too large.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n == 0 && err != nil {
			return 0, err
		}
		b.rec.mu.Lock()
		b.rec.tooLarge = true
		b.rec.mu.Unlock()
		return 0, errors.New("response body too large")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if err != nil && err != io.EOF {
		b.rec.mu.Lock()
		b.rec.bodyErr = err
		b.rec.mu.Unlock()
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// progressTracker adapts the Manager's Progress hook to go-getter's.
type progressTracker func(total int64) io.Writer

func (p progressTracker) TrackProgress(_ string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	if total <= current {
		total = -1 // unknown length
	}
	w := p(total)
	if w == nil {
		return stream
	}
	return &trackedBody{Reader: io.TeeReader(stream, w), stream: stream, w: w}
}

type trackedBody struct {
	io.Reader
	stream io.ReadCloser
	w      io.Writer
}

// Close ends the download and, when the progress writer is also a Closer
// (a progress bar), finishes it.
func (t *trackedBody) Close() error {
	err := t.stream.Close()
	if c, ok := t.w.(io.Closer); ok {
		c.Close()
	}
	return err
}
