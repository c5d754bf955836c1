package artifact

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// blob returns n bytes that differ per seed.
func blob(n int, seed string) []byte {
	b := make([]byte, n)
	h := sha256.Sum256([]byte(seed))
	for i := range b {
		b[i] = h[i%len(h)] ^ byte(i/len(h))
	}
	return b
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// file is a served artifact and the request that asks for it.
type file struct {
	name string
	data []byte
}

func (f file) req(base string) Request {
	r := Request{Name: f.name, Package: strings.SplitN(f.name, "-", 2)[0] + " 1.0",
		Size: int64(len(f.data)), SHA256: digest(f.data)}
	if base != "" {
		r.URL = base + "/files/" + f.name
	}
	return r
}

func mkfile(name string, n int) file { return file{name, blob(n, name)} }

// server serves files under /files/ and counts every request it gets.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t testing.TB, files []file, extra http.Handler) *server {
	s := &server{}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.name] = f.data
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		name, ok := strings.CutPrefix(r.URL.Path, "/files/")
		data, known := byName[name]
		if !ok || !known {
			if extra != nil {
				extra.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func cacheEntry(cache string, r Request) string {
	return filepath.Join(cache, "artifacts", "sha256", r.SHA256[:2], r.SHA256, r.Name)
}

// putCache writes data where the cache keeps r, bypassing Fetch.
func putCache(t testing.TB, cache string, r Request, data []byte) string {
	t.Helper()
	p := cacheEntry(cache, r)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// cacheFiles lists what the cache holds besides lock files.
func cacheFiles(t testing.TB, cache string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(cache, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(cache, p)
		switch {
		case d.IsDir() && len(d.Name()) == 64:
			out = append(out, rel+"/")
		case !d.IsDir() && !strings.HasSuffix(p, ".lock"):
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func mustRead(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDownload(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 100_000)
	srv := newServer(t, []file{f}, nil)
	for _, sizeKnown := range []bool{true, false} {
		t.Run(fmt.Sprint("size known ", sizeKnown), func(t *testing.T) {
			cache := t.TempDir()
			r := f.req(srv.URL)
			if !sizeKnown {
				r.Size = -1
			}
			var log bytes.Buffer
			var got bytes.Buffer
			var total int64 = -2
			fe := &Fetcher{CacheDir: cache, Log: &log, Progress: func(name string, n int64) io.Writer {
				if name != f.name {
					t.Errorf("progress for %q", name)
				}
				total = n
				return &got
			}}
			before := srv.hits.Load()
			res, err := fe.Fetch(context.Background(), []Request{r})
			if err != nil {
				t.Fatal(err)
			}
			if n := srv.hits.Load() - before; n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if res[0].Source != SourceDownload || res[0].File != cacheEntry(cache, r) {
				t.Errorf("got %s from %s, want %s download", res[0].File, res[0].Source, cacheEntry(cache, r))
			}
			if !bytes.Equal(mustRead(t, res[0].File), f.data) {
				t.Error("downloaded bytes differ")
			}
			if !bytes.Equal(got.Bytes(), f.data) || total != int64(len(f.data)) {
				t.Errorf("progress saw %d bytes of total %d, want %d", got.Len(), total, len(f.data))
			}
			if !strings.Contains(log.String(), "downloading") {
				t.Errorf("log lacks the download: %q", log.String())
			}
			entries, _ := os.ReadDir(filepath.Dir(res[0].File))
			if len(entries) != 1 {
				t.Errorf("entry dir holds %d files, want only the artifact", len(entries))
			}
		})
	}
}

// TestDownloadSweepsKilledDownloads: a download killed half-way leaves its
// temporary file in the entry's folder; the next download of that file
// removes it.
func TestDownloadSweepsKilledDownloads(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 10_000)
	srv := newServer(t, []file{f}, nil)
	cache := t.TempDir()
	r := f.req(srv.URL)
	entry := cacheEntry(cache, r)
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	// What a killed download leaves: half a file, named as fsutil names
	// its temporaries, locked by nobody.
	dead := filepath.Join(filepath.Dir(entry), "."+f.name+".tmp-123456")
	if err := os.WriteFile(dead, f.data[:5000], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := (&Fetcher{CacheDir: cache}).Fetch(context.Background(), []Request{r}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(entry))
	if len(entries) != 1 || entries[0].Name() != f.name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("entry dir holds %v, want only %s", names, f.name)
	}
}

// A server that labels a .tar.gz as gzip-encoded (a common misconfiguration)
// must not make the client unpack it: the lock's hash is of the stored bytes.
func TestDownloadNoTransparentGzip(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(blob(5000, "tar"))
	zw.Close()
	f := file{"foo-1.0.tar.gz", gz.Bytes()}
	srv := newServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(f.data)
	}))
	r := f.req(srv.URL)
	res, err := (&Fetcher{CacheDir: t.TempDir()}).Fetch(context.Background(), []Request{r})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mustRead(t, res[0].File), f.data) {
		t.Error("bytes differ")
	}
}

func TestDownloadErrors(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 4096)
	handlers := map[string]http.HandlerFunc{
		"/404": http.NotFound,
		"/500": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
		"/truncated": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
			w.Write(f.data[:1000])
		},
		"/wrong": func(w http.ResponseWriter, r *http.Request) {
			bad := bytes.Clone(f.data)
			bad[10] ^= 1
			w.Write(bad)
		},
		"/long": func(w http.ResponseWriter, r *http.Request) {
			w.Write(append(bytes.Clone(f.data), 'x'))
		},
		// A server that never stops: the download must end one byte past
		// the lock's size, not when the disk is full.
		"/endless": func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length
			chunk := bytes.Repeat([]byte{'x'}, 32<<10)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"/long-chunked": func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length
			w.Write(append(bytes.Clone(f.data), 'x'))
		},
	}
	srv := newServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers[r.URL.Path](w, r)
	}))
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	badData := bytes.Clone(f.data)
	badData[10] ^= 1
	isDownload := func(code int) func(error) bool {
		return func(err error) bool {
			var d *DownloadError
			if !errors.As(err, &d) {
				return false
			}
			var s *StatusError
			return code == 0 || errors.As(err, &s) && s.Code == code
		}
	}
	isHash := func(err error) bool {
		var h *HashMismatchError
		return errors.As(err, &h) && h.Expected == digest(f.data) && h.Actual == digest(badData) && h.Origin == SourceDownload
	}
	isSize := func(err error) bool {
		var s *SizeMismatchError
		return errors.As(err, &s) && s.Expected == int64(len(f.data)) && s.Actual == int64(len(f.data)+1)
	}
	tests := []struct {
		name     string
		url      string
		noCache  bool
		is       func(error) bool
		contains []string
	}{
		{"404", srv.URL + "/404", false, isDownload(404),
			[]string{"download " + f.name + " from " + srv.URL + "/404: 404 Not Found"}},
		{"500", srv.URL + "/500", false, isDownload(500), []string{"500 Internal Server Error"}},
		{"truncated", srv.URL + "/truncated", false, isDownload(0), []string{"download " + f.name, "unexpected EOF"}},
		{"wrong hash", srv.URL + "/wrong", false, isHash,
			[]string{"expected " + digest(f.data), "got " + digest(badData), srv.URL + "/wrong"}},
		{"wrong size", srv.URL + "/long", false, isSize, []string{"expected 4096 bytes, got 4097"}},
		{"wrong size chunked", srv.URL + "/long-chunked", false, isSize, []string{"expected 4096 bytes, got 4097"}},
		{"endless", srv.URL + "/endless", false, isSize, []string{"expected 4096 bytes, got 4097"}},
		{"connection refused", deadURL + "/x.whl", false, isDownload(0), []string{"download " + f.name + " from " + deadURL, "refused"}},
		{"ftp URL", "ftp://example.invalid/" + f.name, false, isDownload(0), []string{`unsupported URL scheme "ftp"`}},
		{"no cache", srv.URL + "/404", true, isDownload(0), []string{"no cache directory"}},
		{"password redacted", strings.Replace(srv.URL, "http://", "http://me:s3cret@", 1) + "/404", false, isDownload(404), []string{"me:xxxxx@"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			fe := &Fetcher{CacheDir: cache}
			if tt.noCache {
				fe.CacheDir = ""
			}
			r := f.req("")
			r.URL = tt.url
			res, err := fe.Fetch(context.Background(), []Request{r})
			if err == nil {
				t.Fatalf("no error; got %+v", res)
			}
			if !tt.is(err) {
				t.Errorf("wrong error type %T: %v", err, err)
			}
			for _, s := range tt.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q lacks %q", err, s)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
			if left := cacheFiles(t, cache); len(left) > 0 {
				t.Errorf("cache keeps %v", left)
			}
		})
	}
}

// TestLockPathIsNoOracle: a lock path is read only under the distribution
// file name the lock gives it, and a mismatch of a file outside Within says
// nothing of the file.
func TestLockPathIsNoOracle(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "shadow")
	os.WriteFile(secret, []byte("root:secret\n"), 0o600)
	fe := &Fetcher{Offline: true, Within: []string{t.TempDir()}}
	sum := strings.Repeat("0", 64)
	for _, r := range []Request{
		{Name: "shadow", Package: "x", Path: secret, Size: -1, SHA256: sum},
		{Name: "x-1.0-py3-none-any.whl", Package: "x 1.0", Path: secret, Size: -1, SHA256: sum},
	} {
		_, err := fe.Fetch(context.Background(), []Request{r})
		if err == nil || !strings.Contains(err.Error(), "invalid file request") {
			t.Errorf("%s at %s: %v", r.Name, r.Path, err)
		}
	}
	// A wheel outside the plugin dir with the wrong bytes: only the
	// expected hash and size are said.
	f := mkfile("x-1.0-py3-none-any.whl", 100)
	p := filepath.Join(t.TempDir(), f.name)
	os.WriteFile(p, []byte("other bytes"), 0o644)
	for _, size := range []int64{-1, 100} {
		r := f.req("")
		r.Path, r.Size = p, size
		_, err := fe.Fetch(context.Background(), []Request{r})
		if err == nil || !strings.Contains(err.Error(), "is not shown") || strings.Contains(err.Error(), digest([]byte("other bytes"))) || strings.Contains(err.Error(), "got 11") {
			t.Errorf("size %d: %v", size, err)
		}
	}
}

// TestFileURL: a file: URL (pip lock writes them) names a local file, read
// offline like a lock path and verified like any other.
func TestFileURL(t *testing.T) {
	f := mkfile("six-1.16.0-py2.py3-none-any.whl", 2000)
	dir := t.TempDir()
	p := filepath.Join(dir, f.name)
	if err := os.WriteFile(p, f.data, 0o644); err != nil {
		t.Fatal(err)
	}
	fe := &Fetcher{CacheDir: t.TempDir(), Offline: true, Within: []string{dir}}
	for _, u := range []string{"file://" + filepath.ToSlash(p), "file://localhost" + filepath.ToSlash(p), "FILE://" + filepath.ToSlash(p)} {
		r := f.req("")
		r.URL = u
		res, err := fe.Fetch(context.Background(), []Request{r})
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		if res[0].File != p || res[0].Source != SourcePath {
			t.Errorf("%s: got %s from %s", u, res[0].File, res[0].Source)
		}
	}

	// Missing: listed with the URL; never downloaded, online or not.
	r := f.req("")
	r.URL = "file://" + filepath.ToSlash(filepath.Join(dir, "gone", f.name))
	_, err := (&Fetcher{CacheDir: t.TempDir()}).Fetch(context.Background(), []Request{r})
	var m *MissingError
	if !errors.As(err, &m) || !strings.Contains(err.Error(), "no file at "+r.URL) || m.Offline {
		t.Errorf("missing file URL: %v", err)
	}

	// Wrong bytes at the URL: the hash check holds as for any source.
	bad := append([]byte(nil), f.data...)
	bad[0] ^= 1
	os.WriteFile(p, bad, 0o644)
	r = f.req("")
	r.URL = "file://" + filepath.ToSlash(p)
	var h *HashMismatchError
	if _, err := fe.Fetch(context.Background(), []Request{r}); !errors.As(err, &h) || h.Expected != digest(f.data) || h.Actual != digest(bad) {
		t.Errorf("corrupt file URL: %v", err)
	}

	// Another host's file is not ours to read.
	r.URL = "file://fileserver/share/" + f.name
	var d *DownloadError
	if _, err := fe.Fetch(context.Background(), []Request{r}); !errors.As(err, &d) || !strings.Contains(err.Error(), `names host "fileserver"`) {
		t.Errorf("remote file URL: %v", err)
	}
}

func TestOfflineMissing(t *testing.T) {
	cached := mkfile("a-1.0-py3-none-any.whl", 300)
	withURL := mkfile("b-1.0-py3-none-any.whl", 300)
	noURL := mkfile("c-1.0.tar.gz", 300)
	srv := newServer(t, []file{cached, withURL, noURL}, nil)
	cache, links := t.TempDir(), t.TempDir()
	rc := cached.req(srv.URL)
	putCache(t, cache, rc, cached.data)
	rb := withURL.req(srv.URL)
	rb.Path = filepath.Join(t.TempDir(), "gone", withURL.name)
	rn := noURL.req("")

	fe := &Fetcher{CacheDir: cache, FindLinks: []string{links}, Offline: true}
	_, err := fe.Fetch(context.Background(), []Request{rb, rc, rn})
	var m *MissingError
	if !errors.As(err, &m) {
		t.Fatalf("got %v, want *MissingError", err)
	}
	if !m.Offline || len(m.Missing) != 2 || m.Missing[0].Name != rb.Name || m.Missing[1].Name != rn.Name {
		t.Errorf("missing = %+v", m)
	}
	msg := err.Error()
	for _, s := range []string{"2 files are not available offline", "b 1.0: " + rb.Name, "c 1.0: " + rn.Name,
		"no file at lock path " + rb.Path, "not in find-links " + links, "not in cache " + cache,
		"not downloaded from " + rb.URL + " (offline)", "the lock gives no URL"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message lacks %q:\n%s", s, msg)
		}
	}
	if got := strings.Count(msg, "\n"); got != 2 {
		t.Errorf("message has %d lines after the first, want 2:\n%s", got, msg)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d HTTP requests offline", n)
	}

	// Offline with everything present works.
	res, err := fe.Fetch(context.Background(), []Request{rc})
	if err != nil || res[0].Source != SourceCache {
		t.Errorf("cached file offline: %v %+v", err, res)
	}
}

// Online, a file without a URL is missing, but the other files are still
// downloaded and every failure is reported.
func TestOnlineFailuresCollected(t *testing.T) {
	ok := mkfile("ok-1.0-py3-none-any.whl", 2000)
	gone := mkfile("gone-1.0-py3-none-any.whl", 2000)
	nourl := mkfile("nourl-1.0-py3-none-any.whl", 2000)
	srv := newServer(t, []file{ok}, nil)
	cache := t.TempDir()
	reqs := []Request{nourl.req(""), gone.req(srv.URL), ok.req(srv.URL)}
	_, err := (&Fetcher{CacheDir: cache}).Fetch(context.Background(), reqs)
	var m *MissingError
	if !errors.As(err, &m) || m.Offline || len(m.Missing) != 1 || m.Missing[0].Name != nourl.name {
		t.Fatalf("want one missing file, got %v", err)
	}
	var d *DownloadError
	if !errors.As(err, &d) || d.Name != gone.name {
		t.Errorf("want the 404 for %s in %v", gone.name, err)
	}
	for _, s := range []string{"1 file is not available", nourl.name, "download " + gone.name, "404 Not Found"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message lacks %q:\n%v", s, err)
		}
	}
	if !bytes.Equal(mustRead(t, cacheEntry(cache, reqs[2])), ok.data) {
		t.Error("the good file was not downloaded")
	}
}

func TestLocalSources(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 1500)
	srv := newServer(t, []file{f}, nil)
	write := func(dir string, data []byte) string {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		path      bool // put the file at the lock's path
		links     int  // number of find-links dirs, the last holding the file
		cached    bool
		want      string
		wantLinks int // index of the find-links dir used
	}{
		{name: "path", path: true, links: 1, cached: true, want: SourcePath},
		{name: "find-links", links: 1, cached: true, want: SourceFindLinks},
		{name: "second find-links dir", links: 3, want: SourceFindLinks, wantLinks: 2},
		{name: "cache", cached: true, want: SourceCache},
		{name: "lock path absent", want: SourceDownload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache := t.TempDir()
			r := f.req(srv.URL)
			r.Path = filepath.Join(t.TempDir(), f.name)
			if tt.path {
				write(filepath.Dir(r.Path), f.data)
			}
			var links []string
			for i := 0; i < tt.links; i++ {
				links = append(links, t.TempDir())
			}
			if tt.links > 0 {
				write(links[len(links)-1], f.data)
			}
			if tt.cached {
				putCache(t, cache, r, f.data)
			}
			before := srv.hits.Load()
			res, err := (&Fetcher{CacheDir: cache, FindLinks: links}).Fetch(context.Background(), []Request{r})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Source != tt.want {
				t.Errorf("source %s, want %s", res[0].Source, tt.want)
			}
			want := map[string]string{SourcePath: r.Path, SourceCache: cacheEntry(cache, r), SourceDownload: cacheEntry(cache, r)}[tt.want]
			if tt.want == SourceFindLinks {
				want = filepath.Join(links[tt.wantLinks], f.name)
			}
			if res[0].File != want {
				t.Errorf("file %s, want %s", res[0].File, want)
			}
			wantHits := int64(0)
			if tt.want == SourceDownload {
				wantHits = 1
			}
			if n := srv.hits.Load() - before; n != wantHits {
				t.Errorf("%d HTTP requests, want %d", n, wantHits)
			}
		})
	}
}

// A bad local file stops the fetch even when a good copy is elsewhere: the
// user has to learn that their mirror or lock path is wrong.
func TestLocalCorrupt(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 1500)
	flipped := bytes.Clone(f.data)
	flipped[0] ^= 0xff
	srv := newServer(t, []file{f}, nil)
	tests := []struct {
		name     string
		inPath   bool
		data     []byte
		contains []string
		hash     bool
	}{
		{"find-links wrong bytes", false, flipped, []string{"find-links", "expected " + digest(f.data), "got " + digest(flipped)}, true},
		{"find-links short", false, f.data[:10], []string{"find-links", "expected 1500 bytes, got 10"}, false},
		{"path wrong bytes", true, flipped, []string{"path given in the lock", "expected " + digest(f.data), "got " + digest(flipped)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cache, bad, good := t.TempDir(), t.TempDir(), t.TempDir()
			r := f.req(srv.URL)
			var where string
			fe := &Fetcher{CacheDir: cache, FindLinks: []string{good}, Within: []string{bad}}
			if tt.inPath {
				where = filepath.Join(bad, f.name)
				r.Path = where
			} else {
				where = filepath.Join(bad, f.name)
				fe.FindLinks = []string{bad, good}
			}
			os.WriteFile(where, tt.data, 0o644)
			os.WriteFile(filepath.Join(good, f.name), f.data, 0o644)
			putCache(t, cache, r, f.data)
			_, err := fe.Fetch(context.Background(), []Request{r})
			var h *HashMismatchError
			var s *SizeMismatchError
			switch {
			case err == nil:
				t.Fatal("no error")
			case tt.hash && !(errors.As(err, &h) && h.Source == where):
				t.Errorf("want *HashMismatchError for %s, got %T %v", where, err, err)
			case !tt.hash && !(errors.As(err, &s) && s.Source == where):
				t.Errorf("want *SizeMismatchError for %s, got %T %v", where, err, err)
			}
			for _, c := range append(tt.contains, where) {
				if !strings.Contains(err.Error(), c) {
					t.Errorf("error %q lacks %q", err, c)
				}
			}
			if n := srv.hits.Load(); n != 0 {
				t.Errorf("%d HTTP requests", n)
			}
		})
	}
}

func TestCacheHitNoRequest(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 50_000)
	srv := newServer(t, []file{f}, nil)
	cache := t.TempDir()
	r := f.req(srv.URL)
	if _, err := (&Fetcher{CacheDir: cache}).Fetch(context.Background(), []Request{r}); err != nil {
		t.Fatal(err)
	}
	res, err := (&Fetcher{CacheDir: cache}).Fetch(context.Background(), []Request{r, r})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res {
		if x.Source != SourceCache || x.File != cacheEntry(cache, r) {
			t.Errorf("got %s from %s", x.File, x.Source)
		}
	}
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("%d HTTP requests, want 1", n)
	}
}

func TestCacheCorrupt(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 3000)
	flipped := bytes.Clone(f.data)
	flipped[2999] ^= 1
	for _, bad := range [][]byte{flipped, f.data[:100], nil} {
		t.Run(fmt.Sprintf("%d bytes", len(bad)), func(t *testing.T) {
			srv := newServer(t, []file{f}, nil)
			cache := t.TempDir()
			r := f.req(srv.URL)
			p := putCache(t, cache, r, bad)

			// Offline: the bad entry is removed and the file reported missing.
			_, err := (&Fetcher{CacheDir: cache, Offline: true}).Fetch(context.Background(), []Request{r})
			var m *MissingError
			if !errors.As(err, &m) || !strings.Contains(err.Error(), "bad cache entry") {
				t.Errorf("offline: got %v, want *MissingError naming the bad entry", err)
			}
			if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("bad entry still there: %v", err)
			}

			// Online: it is downloaded again.
			putCache(t, cache, r, bad)
			res, err := (&Fetcher{CacheDir: cache}).Fetch(context.Background(), []Request{r})
			if err != nil {
				t.Fatal(err)
			}
			if res[0].Source != SourceDownload || !bytes.Equal(mustRead(t, p), f.data) {
				t.Errorf("got %s from %s", res[0].File, res[0].Source)
			}
			if n := srv.hits.Load(); n != 1 {
				t.Errorf("%d HTTP requests, want 1", n)
			}
		})
	}
}

// Separate Fetchers sharing a cache (standing in for separate processes:
// the lock is a file lock, not a Go mutex) download a file once.
func TestConcurrentFetchersShareDownload(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 20_000)
	const n = 4
	// missed signals each fetcher that found no cache entry and went for
	// the entry's lock; the server answers the one download only when all
	// of them have, so none of them can have seen the entry by luck.
	missed := make(chan int, n)
	srv := newServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < n; i++ {
			select {
			case <-missed:
			case <-time.After(10 * time.Second):
				t.Error("not every fetcher missed the cache before the download")
			}
		}
		w.Write(f.data)
	}))
	cache := t.TempDir()
	r := f.req(srv.URL)
	var wg sync.WaitGroup
	results := make([][]Result, n)
	errs := make([]error, n)
	logs := make([]*signalWriter, n)
	for i := 0; i < n; i++ {
		logs[i] = &signalWriter{on: "taking its lock", signal: func() { missed <- i }}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = (&Fetcher{CacheDir: cache, Log: logs[i]}).Fetch(context.Background(), []Request{r})
		}()
	}
	wg.Wait()
	downloads, waited := 0, 0
	for i := range errs {
		if errs[i] != nil {
			t.Fatalf("fetcher %d: %v", i, errs[i])
		}
		if results[i][0].Source == SourceDownload {
			downloads++
		}
		if strings.Contains(logs[i].String(), "(cached meanwhile)") {
			waited++
		}
	}
	if got := srv.hits.Load(); got != 1 || downloads != 1 || waited != n-1 {
		t.Errorf("%d HTTP requests, %d downloads, %d fetchers that waited for it; want 1, 1, %d", got, downloads, waited, n-1)
	}
}

// signalWriter collects a log and calls signal once when a line holding on
// is written.
type signalWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	on     string
	signal func()
	done   bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.done && strings.Contains(w.buf.String(), w.on) {
		w.done = true
		w.signal()
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestCancelMidDownload(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 64_000)
	srv := newServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(f.data)))
		w.Write(f.data[:len(f.data)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fe := &Fetcher{CacheDir: cache, Progress: func(string, int64) io.Writer {
		return writerFunc(func(p []byte) (int, error) { cancel(); return len(p), nil })
	}}
	_, err := fe.Fetch(ctx, []Request{f.req(srv.URL)})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if left := cacheFiles(t, cache); len(left) > 0 {
		t.Errorf("cache keeps %v", left)
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// A fetch waiting for another process's download gives up with its context.
func TestCancelWhileLocked(t *testing.T) {
	f := mkfile("foo-1.0-py3-none-any.whl", 100)
	srv := newServer(t, []file{f}, nil)
	cache := t.TempDir()
	r := f.req(srv.URL)
	lockDir := filepath.Dir(filepath.Dir(cacheEntry(cache, r)))
	os.MkdirAll(lockDir, 0o755)
	unlock, err := lockedfile.MutexAt(filepath.Join(lockDir, r.SHA256+".lock")).Lock()
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = (&Fetcher{CacheDir: cache}).Fetch(ctx, []Request{r})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Errorf("%d HTTP requests while another holder had the lock", n)
	}
}

func TestParallelLimit(t *testing.T) {
	var files []file
	for i := 0; i < 8; i++ {
		files = append(files, mkfile(fmt.Sprintf("p%d-1.0-py3-none-any.whl", i), 1000))
	}
	byName := map[string][]byte{}
	for _, f := range files {
		byName[f.name] = f.data
	}
	var cur, peak atomic.Int64
	srv := newServer(t, nil, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		w.Write(byName[strings.TrimPrefix(r.URL.Path, "/files/")])
	}))
	for _, jobs := range []int{2, 0} {
		peak.Store(0)
		var reqs []Request
		for _, f := range files {
			reqs = append(reqs, f.req(srv.URL))
		}
		if _, err := (&Fetcher{CacheDir: t.TempDir(), Jobs: jobs}).Fetch(context.Background(), reqs); err != nil {
			t.Fatal(err)
		}
		want := int64(jobs)
		if jobs == 0 {
			want = DefaultJobs
		}
		if p := peak.Load(); p > want || p < 2 {
			t.Errorf("jobs %d: %d downloads at once, want between 2 and %d", jobs, p, want)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	good := Request{Name: "foo-1.0.tar.gz", Package: "foo 1.0", Size: -1, SHA256: strings.Repeat("ab", 32)}
	tests := []struct {
		name   string
		change func(*Request)
		ok     bool
	}{
		{"good", func(*Request) {}, true},
		{"empty size", func(r *Request) { r.Size = 0 }, true},
		{"absolute path", func(r *Request) { r.Path = "/x/foo-1.0.tar.gz" }, true},
		{"empty name", func(r *Request) { r.Name = "" }, false},
		{"dot dot", func(r *Request) { r.Name = ".." }, false},
		{"slash", func(r *Request) { r.Name = "../foo-1.0.tar.gz" }, false},
		{"backslash", func(r *Request) { r.Name = `..\foo-1.0.tar.gz` }, false},
		{"no hash", func(r *Request) { r.SHA256 = "" }, false},
		{"upper hash", func(r *Request) { r.SHA256 = strings.Repeat("AB", 32) }, false},
		{"short hash", func(r *Request) { r.SHA256 = strings.Repeat("ab", 31) }, false},
		{"non-hex hash", func(r *Request) { r.SHA256 = strings.Repeat("g", 64) }, false},
		{"negative size", func(r *Request) { r.Size = -2 }, false},
		{"relative path", func(r *Request) { r.Path = "dist/foo-1.0.tar.gz" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.change(&r)
			_, err := (&Fetcher{Offline: true}).Fetch(context.Background(), []Request{r})
			var m *MissingError
			if tt.ok && !errors.As(err, &m) {
				t.Errorf("valid request rejected: %v", err)
			}
			if !tt.ok && (err == nil || errors.As(err, &m) || !strings.Contains(err.Error(), "invalid file request")) {
				t.Errorf("invalid request not rejected: %v", err)
			}
		})
	}
}

func BenchmarkFetchCached(b *testing.B) {
	cache := b.TempDir()
	var reqs []Request
	for i := 0; i < 30; i++ {
		f := mkfile(fmt.Sprintf("pkg%d-1.0-py3-none-any.whl", i), 256<<10)
		r := f.req("http://127.0.0.1:1")
		putCache(b, cache, r, f.data)
		reqs = append(reqs, r)
	}
	fe := &Fetcher{CacheDir: cache}
	b.SetBytes(30 * 256 << 10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := fe.Fetch(context.Background(), reqs)
		if err != nil || res[29].Source != SourceCache {
			b.Fatal(err)
		}
	}
}
