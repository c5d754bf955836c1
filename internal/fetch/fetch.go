// Package fetch is the one way bytes come to influx-py from elsewhere: a
// wheel from a lock's URL, the uv release archive, an index page. Files go
// through go-getter, configured to do nothing but copy bytes (only the
// http(s) and file getters, no decompression, no checksum or subdirectory
// magic, no X-Terraform-Get redirection, no netrc, no HEAD or Range resume,
// a local file copied rather than linked); small documents (index pages)
// are read with the same HTTP client. Every body is capped, every failure
// is classified by what happened on the wire (unreachable, a status, cut
// short, too large) rather than by error text, passwords never reach a
// message, and a file's sha256 and size are computed as it is written, for
// the caller to check before anything uses it.
//
// What the bytes must be (the lock's hashes, the pinned uv checksum) is the
// caller's to say: fetch only reports what arrived.
package fetch

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	getter "github.com/hashicorp/go-getter/v2"

	"github.com/influx-py/influx-py/internal/redact"
)

// Client fetches. The zero value works, with http.DefaultClient.
type Client struct {
	HTTP      *http.Client
	UserAgent string // default "influx-py"
	// Getenv reads the environment for S3's configuration; nil means
	// os.Getenv.
	Getenv func(string) string

	// One S3 client per region, profile and endpoint: its credentials
	// (an STS call, the instance role) are fetched once for all the
	// objects this Client reads.
	s3mu      sync.Mutex
	s3clients map[s3Config]*s3.Client
}

// Options bound and watch one file's download.
type Options struct {
	// Size, when >= 0, is the size the file must have: the body is cut off
	// one byte past it, and a file of another size is refused.
	Size int64
	// Max bounds a download whose size is not known (Size < 0); 0 means
	// DefaultMax.
	Max int64
	// Progress, when set, is called once with the expected size (-1 when
	// unknown) and sees every byte through the writer it returns. A writer
	// that is also an io.Closer is closed when the download ends.
	Progress func(total int64) io.Writer
}

// DefaultMax bounds a download of unknown size.
const DefaultMax = 2 << 30

// Result is what arrived.
type Result struct {
	SHA256 string // lowercase hex
	Size   int64
}

// StatusError is an HTTP answer other than 200.
type StatusError struct {
	URL    string // redacted
	Code   int
	Status string // "404 Not Found"
}

func (e *StatusError) Error() string { return fmt.Sprintf("%s: HTTP %s", e.URL, e.Status) }

// UnreachableError is a source that could not be reached at all: no route,
// no answer, a refused connection, a missing local file.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string { return fmt.Sprintf("cannot reach %s: %v", e.URL, e.Err) }
func (e *UnreachableError) Unwrap() error { return e.Err }

// CutShortError is a body that ended (or broke off) before its length.
type CutShortError struct {
	URL string
	Err error
}

func (e *CutShortError) Error() string {
	return fmt.Sprintf("download of %s cut short: %v", e.URL, e.Err)
}
func (e *CutShortError) Unwrap() error { return e.Err }

// TooLargeError is a body longer than the bound.
type TooLargeError struct {
	URL   string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: more than %d bytes", e.URL, e.Limit)
}

// SizeError is a file whose size is not the one expected.
type SizeError struct {
	URL           string
	Expected, Got int64
}

func (e *SizeError) Error() string {
	return fmt.Sprintf("%s: expected %d bytes, got %d", e.URL, e.Expected, e.Got)
}

// Redact hides a URL's secrets (userinfo, token query values) before it
// goes into a message.
func Redact(raw string) string { return redact.URL(raw) }

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return "influx-py"
}

// File fetches src (an http, https or file URL) into dst, which is created
// or, when it exists, written over from its start (a caller's locked
// temporary file stays the same file). The sha256 and size come from the
// bytes as they were written.
func (c *Client) File(ctx context.Context, src, dst string, o Options) (Result, error) {
	if IsS3(src) {
		return c.s3File(ctx, src, dst, o)
	}
	u, err := url.Parse(src)
	if err != nil {
		return Result{}, fmt.Errorf("fetch %s: %w", Redact(src), err)
	}
	shown := Redact(src)
	limit := o.Max
	if o.Size >= 0 {
		limit = o.Size + 1
	} else if limit <= 0 {
		limit = DefaultMax
	}
	switch u.Scheme {
	case "http", "https":
	case "file":
		// go-getter says a local file is missing only in words.
		fi, err := os.Stat(u.Path)
		if err != nil {
			return Result{}, &UnreachableError{URL: shown, Err: err}
		}
		if !fi.Mode().IsRegular() {
			return Result{}, fmt.Errorf("%s is not a regular file", shown)
		}
		if fi.Size() >= limit {
			return Result{}, c.sizeErr(shown, o, fi.Size(), limit)
		}
	default:
		return Result{}, fmt.Errorf("fetch %s: unsupported URL scheme %q (http, https or file)", shown, u.Scheme)
	}

	rec := &recorder{limit: limit}
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	client := *base
	rec.base = client.Transport
	if rec.base == nil {
		rec.base = http.DefaultTransport
	}
	client.Transport = rec

	w := &watch{h: sha256.New(), size: o.Size, progress: o.Progress}
	hg := &getter.HttpGetter{
		Client:                &client,
		Netrc:                 false,
		XTerraformGetDisabled: true,
		DoNotCheckHeadFirst:   true, // one GET: no HEAD, no Range resume
		Header: http.Header{
			"User-Agent": {c.userAgent()},
			// The bytes as stored: Go's transport would otherwise ask for
			// gzip and decompress silently, and a server that compresses a
			// .tar.gz on the fly would hand over other bytes.
			"Accept-Encoding": {"identity"},
		},
	}
	gc := &getter.Client{
		Getters:         []getter.Getter{hg, new(getter.FileGetter)},
		Decompressors:   map[string]getter.Decompressor{}, // empty, not nil: nil means "all"
		DisableSymlinks: true,
	}
	req := &getter.Request{
		Src:              src,
		Dst:              dst,
		GetMode:          getter.ModeFile,
		Copy:             true,
		DisableSymlinks:  true,
		ProgressListener: w,
	}
	_, err = gc.Get(ctx, req)
	w.finish()
	if cerr := ctx.Err(); cerr != nil {
		return Result{}, cerr
	}
	if rec.isTooLarge() {
		return Result{}, c.sizeErr(shown, o, limit, limit)
	}
	if err != nil {
		return Result{}, rec.classify(err, shown)
	}
	res := Result{Size: w.n}
	if w.tracked {
		res.SHA256 = hex.EncodeToString(w.h.Sum(nil))
	} else {
		// A local file is copied without a progress stream: hash the copy.
		if res.SHA256, res.Size, err = HashFile(dst); err != nil {
			return Result{}, err
		}
	}
	if o.Size >= 0 && res.Size != o.Size {
		return Result{}, &SizeError{URL: shown, Expected: o.Size, Got: res.Size}
	}
	return res, nil
}

func (c *Client) sizeErr(shown string, o Options, got, limit int64) error {
	if o.Size >= 0 {
		return &SizeError{URL: shown, Expected: o.Size, Got: got}
	}
	return &TooLargeError{URL: shown, Limit: limit}
}

// Document is a small resource read into memory.
type Document struct {
	Body        []byte
	ContentType string
	URL         *url.URL // after redirects
}

// Read GETs a small document (an index page) of at most max bytes, asking
// for the media types in accept. Any status but 200 is a *StatusError.
func (c *Client) Read(ctx context.Context, src, accept string, max int64) (*Document, error) {
	var buf bytes.Buffer
	d, err := c.Stream(ctx, src, accept, &buf, max)
	if err != nil {
		return nil, err
	}
	d.Body = buf.Bytes()
	return d, nil
}

// Stream GETs src over HTTP into w, at most max bytes (0: DefaultMax),
// with the checks and classification of Read; the returned Document has
// no Body.
func (c *Client) Stream(ctx context.Context, src, accept string, w io.Writer, max int64) (*Document, error) {
	if max <= 0 {
		max = DefaultMax
	}
	shown := Redact(src)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", c.userAgent())
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, password and all
		}
		return nil, &UnreachableError{URL: shown, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: shown, Code: resp.StatusCode, Status: resp.Status}
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, &CutShortError{URL: shown, Err: err}
	}
	if n > max {
		return nil, &TooLargeError{URL: shown, Limit: max}
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return nil, &CutShortError{URL: shown, Err: fmt.Errorf("got %d bytes, the server announced %d", n, resp.ContentLength)}
	}
	return &Document{ContentType: resp.Header.Get("Content-Type"), URL: resp.Request.URL}, nil
}

// IsSHA256 reports whether s is a sha256 as this package writes them: 64
// lowercase hex digits.
func IsSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// HashFile is the sha256 and size of the file at p.
func HashFile(p string) (sum string, size int64, err error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return HashReader(f)
}

// HashReader is the sha256 and length of what r holds.
func HashReader(r io.Reader) (sum string, size int64, err error) {
	h := sha256.New()
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	// Hide WriteTo so that the pooled buffer is used, not a fresh one.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{r}, *buf)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 128<<10)
	return &b
}}

// watch sees the body as go-getter copies it: it hashes and counts it, and
// feeds the caller's progress writer.
type watch struct {
	h        hash.Hash
	size     int64
	progress func(int64) io.Writer
	pw       io.Writer
	n        int64
	tracked  bool
}

func (w *watch) TrackProgress(_ string, current, total int64, stream io.ReadCloser) io.ReadCloser {
	w.tracked = true
	if w.progress != nil {
		t := w.size
		if t < 0 && total > current {
			t = total
		}
		if t < 0 {
			t = -1
		}
		w.pw = w.progress(t)
	}
	return &watched{stream: stream, w: w}
}

func (w *watch) finish() {
	if c, ok := w.pw.(io.Closer); ok {
		c.Close()
	}
}

type watched struct {
	stream io.ReadCloser
	w      *watch
}

func (r *watched) Read(p []byte) (int, error) {
	n, err := r.stream.Read(p)
	if n > 0 {
		r.w.h.Write(p[:n])
		r.w.n += int64(n)
		if r.w.pw != nil {
			r.w.pw.Write(p[:n]) // a failing progress display never fails a download
		}
	}
	return n, err
}

func (r *watched) Close() error { return r.stream.Close() }

// recorder sees every HTTP exchange of one download, so that a failure can
// be classified by what happened on the wire rather than by go-getter's
// error text. It also caps the body.
type recorder struct {
	base  http.RoundTripper
	limit int64

	mu           sync.Mutex
	status       int
	statusText   string
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
	r.status, r.statusText = resp.StatusCode, resp.Status
	resp.Body = &cappedBody{rc: resp.Body, rec: r, left: r.limit}
	return resp, nil
}

func (r *recorder) isTooLarge() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tooLarge
}

func (r *recorder) classify(err error, src string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.tooLarge:
		return &TooLargeError{URL: src, Limit: r.limit}
	case r.transportErr != nil:
		var ue *url.Error
		e := r.transportErr
		if errors.As(e, &ue) {
			e = ue.Err
		}
		return &UnreachableError{URL: src, Err: e}
	case r.status != 0 && r.status != http.StatusOK:
		return &StatusError{URL: src, Code: r.status, Status: r.statusText}
	case r.bodyErr != nil:
		return &CutShortError{URL: src, Err: r.bodyErr}
	case errors.Is(err, io.ErrShortWrite), errors.Is(err, io.ErrUnexpectedEOF):
		return &CutShortError{URL: src, Err: io.ErrUnexpectedEOF}
	case errors.Is(err, fs.ErrNotExist), strings.Contains(err.Error(), "source path error"):
		return &UnreachableError{URL: src, Err: err}
	}
	return fmt.Errorf("fetch %s: %w", src, err)
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
