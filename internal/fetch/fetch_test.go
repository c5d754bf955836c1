package fetch

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestFile(t *testing.T) {
	data := bytes.Repeat([]byte("influx-py "), 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data)
		case "/gzip":
			// A server that labels the bytes gzip: they are the file, not
			// something to decompress.
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(data)
		case "/404":
			http.NotFound(w, r)
		case "/truncated":
			w.Header().Set("Content-Length", fmt.Sprint(len(data)))
			w.Write(data[:100])
		case "/endless":
			w.(http.Flusher).Flush()
			for {
				if _, err := w.Write(data); err != nil {
					return
				}
			}
		}
	}))
	defer srv.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	c := &Client{}
	ctx := context.Background()

	for _, path := range []string{"/ok", "/gzip"} {
		dst := filepath.Join(t.TempDir(), "f")
		var seen bytes.Buffer
		total := int64(-2)
		res, err := c.File(ctx, srv.URL+path, dst, Options{Size: int64(len(data)), Progress: func(n int64) io.Writer { total = n; return &seen }})
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		got, _ := os.ReadFile(dst)
		if res.SHA256 != digest(data) || res.Size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Errorf("%s: %+v, %d bytes on disk", path, res, len(got))
		}
		if !bytes.Equal(seen.Bytes(), data) || total != int64(len(data)) {
			t.Errorf("%s: progress saw %d bytes of %d", path, seen.Len(), total)
		}
	}

	tests := []struct {
		name, url string
		o         Options
		is        func(error) bool
		msg       string
	}{
		{"404", srv.URL + "/404", Options{Size: -1}, func(e error) bool { var s *StatusError; return errors.As(e, &s) && s.Code == 404 }, "HTTP 404 Not Found"},
		{"refused", deadURL + "/x", Options{Size: -1}, func(e error) bool { var u *UnreachableError; return errors.As(e, &u) }, "cannot reach " + deadURL + "/x"},
		{"truncated", srv.URL + "/truncated", Options{Size: -1}, func(e error) bool { var c *CutShortError; return errors.As(e, &c) }, "cut short"},
		{"endless, size known", srv.URL + "/endless", Options{Size: 5000}, func(e error) bool {
			var s *SizeError
			return errors.As(e, &s) && s.Expected == 5000 && s.Got == 5001
		}, "expected 5000 bytes, got 5001"},
		{"endless, bounded", srv.URL + "/endless", Options{Size: -1, Max: 20000}, func(e error) bool { var l *TooLargeError; return errors.As(e, &l) }, "more than 20000 bytes"},
		{"password hidden", strings.Replace(srv.URL, "http://", "http://me:s3cret@", 1) + "/404", Options{Size: -1}, func(e error) bool { return !strings.Contains(e.Error(), "s3cret") }, "me:xxxxx@"},
		{"scheme", "ftp://h/x", Options{Size: -1}, func(e error) bool { return e != nil }, `unsupported URL scheme "ftp"`},
		{"missing local file", "file://" + filepath.Join(t.TempDir(), "none"), Options{Size: -1}, func(e error) bool { var u *UnreachableError; return errors.As(e, &u) }, "cannot reach file://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.File(ctx, tt.url, filepath.Join(t.TempDir(), "f"), tt.o)
			if err == nil || !tt.is(err) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v (%T), want %q", err, err, tt.msg)
			}
		})
	}

	// A local file by file: URL is copied and hashed.
	src := filepath.Join(t.TempDir(), "src.whl")
	os.WriteFile(src, data, 0o644)
	dst := filepath.Join(t.TempDir(), "dst")
	res, err := c.File(ctx, "file://"+src, dst, Options{Size: -1})
	if err != nil || res.SHA256 != digest(data) || res.Size != int64(len(data)) {
		t.Errorf("file URL: %+v %v", res, err)
	}
	if fi, err := os.Lstat(dst); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("file URL: the copy is not a regular file: %v", err)
	}
}

func TestFileWritesOverTheGivenFile(t *testing.T) {
	data := []byte("the new content")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(data) }))
	defer srv.Close()
	dst := filepath.Join(t.TempDir(), "tmp")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	before, _ := f.Stat()
	if _, err := (&Client{}).File(context.Background(), srv.URL, dst, Options{Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(dst)
	if err != nil || !os.SameFile(before, after) {
		t.Fatal("the download replaced the caller's file instead of writing into it")
	}
}

func TestRead(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("compressed page"))
	zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/x/":
			w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
			fmt.Fprintf(w, `{"accept": %q}`, r.Header.Get("Accept"))
		case "/simple/X/":
			http.Redirect(w, r, "/simple/x/", http.StatusMovedPermanently)
		case "/big":
			w.Write(bytes.Repeat([]byte("x"), 2000))
		case "/down":
			http.Error(w, "down", 500)
		}
	}))
	defer srv.Close()
	c := &Client{}
	d, err := c.Read(context.Background(), srv.URL+"/simple/X/", "application/vnd.pypi.simple.v1+json", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if string(d.Body) != `{"accept": "application/vnd.pypi.simple.v1+json"}` || d.ContentType != "application/vnd.pypi.simple.v1+json" || d.URL.Path != "/simple/x/" {
		t.Errorf("document %q %q %v", d.Body, d.ContentType, d.URL)
	}
	var tl *TooLargeError
	if _, err := c.Read(context.Background(), srv.URL+"/big", "", 1000); !errors.As(err, &tl) {
		t.Errorf("big: %v", err)
	}
	var se *StatusError
	if _, err := c.Read(context.Background(), srv.URL+"/down", "", 1000); !errors.As(err, &se) || se.Code != 500 || err.Error() != srv.URL+"/down: HTTP 500 Internal Server Error" {
		t.Errorf("down: %v", err)
	}
}

func TestNetrc(t *testing.T) {
	got := ParseNetrc("machine a.example login u1 password p1\nmachine b.example\n  login u2\n  password p2\ndefault login d password dp\n")
	if got["a.example"] != [2]string{"u1", "p1"} || got["b.example"] != [2]string{"u2", "p2"} || got[""] != [2]string{"d", "dp"} {
		t.Fatalf("ParseNetrc = %v", got)
	}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		seen = append(seen, fmt.Sprintf("%v %s:%s", ok, u, p))
	}))
	defer srv.Close()
	file := filepath.Join(t.TempDir(), "netrc")
	os.WriteFile(file, []byte("machine 127.0.0.1 login me password secret\n"), 0o600)
	c := &http.Client{Transport: &Netrc{File: file}}
	c.Get(srv.URL + "/simple/")
	req, _ := http.NewRequest("GET", strings.Replace(srv.URL, "http://", "http://other:pw@", 1)+"/x", nil)
	c.Do(req)
	if strings.Join(seen, ";") != "true me:secret;true other:pw" {
		t.Errorf("server saw %q", seen)
	}
}
