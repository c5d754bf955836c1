package fetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	getter "github.com/hashicorp/go-getter/v2"

	"github.com/influx-py/influx-py/internal/redact"
)

// A source is where the user says a lock, a folder of wheels or a status
// report is: a local path, or what go-getter fetches:
//
//	https://host/dir/          a folder served over http: files fetched by name
//	https://host/wh.tar.gz     an archive, unpacked (?checksum=sha256:... honoured)
//	s3://bucket/prefix/        an S3 folder (see ParseS3), files fetched by name
//	s3::https://host/b/wh.zip  an archive in S3
//	git::https://host/repo.git a git repository (?ref=...), cloned
//
// Whatever the transport, what arrives is checked by the caller against
// the lock's hashes or a pin: the transport is never trusted.

var forcedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([A-Za-z0-9]+)::`) })

// IsRemote reports whether s names a remote source rather than a local
// path (a file: URL is a local path).
func IsRemote(s string) bool {
	if forcedRE().MatchString(s) {
		return true
	}
	for _, p := range []string{"http://", "https://", "s3://", "gs://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// IsArchive reports whether a source names an archive go-getter unpacks.
func IsArchive(s string) bool {
	u := strings.TrimPrefix(s, forcedRE().FindString(s))
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		if strings.Contains(u[i:], "archive=") {
			return true
		}
		u = u[:i]
	}
	for _, ext := range []string{".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst", ".tzst", ".zip", ".tar"} {
		if strings.HasSuffix(u, ext) {
			return true
		}
	}
	return false
}

// IsGit reports whether a source is a git repository.
func IsGit(s string) bool { return strings.HasPrefix(s, "git::") }

// IsS3 reports whether a source is in S3.
func IsS3(s string) bool { return strings.HasPrefix(s, "s3::") || strings.HasPrefix(s, "s3://") }

// unsupported says why a source cannot be read by this build.
func unsupported(s string) error {
	if strings.HasPrefix(s, "gcs::") || strings.HasPrefix(s, "gs://") {
		return fmt.Errorf("%s: GCS sources are not built into influx-py; use GCS's S3-compatible API (s3::https://storage.googleapis.com/BUCKET/PATH with HMAC keys in the AWS variables) or copy the folder with gsutil", Redact(s))
	}
	if m := forcedRE().FindStringSubmatch(s); m != nil && m[1] != "s3" && m[1] != "git" && m[1] != "http" && m[1] != "https" {
		return fmt.Errorf("%s: %s:: sources are not supported (want https://, s3://, s3:: or git::)", Redact(s), m[1])
	}
	return nil
}

// Join is the source of the file name inside the folder source base.
func Join(base, name string) string {
	q := ""
	if i := strings.IndexByte(base, '?'); i >= 0 {
		base, q = base[:i], base[i:]
	}
	return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(name) + q
}

// Retry is how often and how patiently a source that does not answer is
// asked again.
var retryDelays = []time.Duration{500 * time.Millisecond, 2 * time.Second}

// transient reports whether a failure may pass on its own: no answer, a
// body cut short, a server error.
func transient(err error) bool {
	var st *StatusError
	if errors.As(err, &st) {
		return st.Code >= 500 || st.Code == http.StatusTooManyRequests
	}
	var gone *UnreachableError
	if errors.As(err, &gone) {
		return !errors.Is(gone.Err, fs.ErrNotExist)
	}
	var short *CutShortError
	return errors.As(err, &short)
}

// retry runs f until it succeeds, fails for good, or the delays run out.
func retry(ctx context.Context, f func() error) error {
	err := f()
	for _, d := range retryDelays {
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		err = f()
	}
	return err
}

// GetFile fetches the file source src to dst (a lock, a status report):
// a local path is read, http(s) and S3 are downloaded, with retries, at
// most max bytes. dst is written atomically.
func (c *Client) GetFile(ctx context.Context, src, dst string, max int64) error {
	if err := unsupported(src); err != nil {
		return err
	}
	if IsGit(src) || IsArchive(src) {
		return fmt.Errorf("%s: want a file, not an archive or a repository", Redact(src))
	}
	if IsS3(src) {
		loc, err := ParseS3(src)
		if err != nil {
			return err
		}
		return retry(ctx, func() error { return c.S3Get(ctx, loc, dst, max) })
	}
	src = strings.TrimPrefix(strings.TrimPrefix(src, "http::"), "https::")
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	err = retry(ctx, func() error {
		_, err := c.File(ctx, src, tmp.Name(), Options{Size: -1, Max: max})
		return err
	})
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// GetDir fetches a folder source (an archive, a git repository, an S3
// prefix) into the new folder dst, through go-getter: archives are
// unpacked (safely: go-getter refuses members that leave the folder), a
// checksum= parameter is checked, git is cloned. dst must not exist; it
// appears only complete.
func (c *Client) GetDir(ctx context.Context, src, dst string) error {
	if err := unsupported(src); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "d")
	base := c.HTTP
	if base == nil {
		base = http.DefaultClient
	}
	err = retry(ctx, func() error {
		os.RemoveAll(work)
		// What happened on the wire, for a failure go-getter tells only in
		// words.
		rec := &recorder{limit: DefaultMax, base: base.Transport}
		if rec.base == nil {
			rec.base = http.DefaultTransport
		}
		client := *base
		client.Transport = rec
		hg := &getter.HttpGetter{
			Client:                &client,
			Netrc:                 false,
			XTerraformGetDisabled: true,
			DoNotCheckHeadFirst:   true,
			Header:                http.Header{"User-Agent": {c.userAgent()}, "Accept-Encoding": {"identity"}},
		}
		gc := &getter.Client{
			Getters:         []getter.Getter{&s3Getter{c: c}, &getter.GitGetter{Timeout: 10 * time.Minute}, hg},
			Decompressors:   getter.Decompressors,
			DisableSymlinks: true,
		}
		_, err := gc.Get(ctx, &getter.Request{Src: src, Dst: work, GetMode: getter.ModeDir, DisableSymlinks: true, Copy: true})
		if err == nil || ctx.Err() != nil {
			return err
		}
		if rec.status != 0 && rec.status != http.StatusOK || rec.transportErr != nil || rec.tooLarge {
			return rec.classify(err, Redact(src))
		}
		// go-getter's words name the URL as given: redact it.
		return &sourceError{src: Redact(src), msg: redact.Text(err.Error()), err: err}
	})
	if err != nil {
		return err
	}
	return os.Rename(work, dst)
}

type sourceError struct {
	src, msg string
	err      error
}

func (e *sourceError) Error() string { return "fetch " + e.src + ": " + e.msg }
func (e *sourceError) Unwrap() error { return e.err }
