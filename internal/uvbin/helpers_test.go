package uvbin

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testvec"
)

const testTarget = "x86_64-unknown-linux-gnu"

// member is one entry of an archive a test builds.
type member struct {
	Name     string
	Body     string
	Mode     int64
	Type     byte   // tar type; 0 means a regular file
	Linkname string // for links
}

// fakeUV is a shell script standing in for uv: it prints version for
// --version and fails otherwise.
func fakeUV(version string) string {
	return "#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'uv " + version + " (abc1234 2026-01-01 " + testTarget + ")'; exit 0; fi\necho \"fake uv: $*\" >&2\nexit 3\n"
}

// releaseMembers is a release-shaped archive holding a fake uv of version.
func releaseMembers(target, version string) []member {
	top := "uv-" + target + "/"
	return []member{
		{Name: top, Type: tar.TypeDir, Mode: 0o755},
		{Name: top + "uv", Body: fakeUV(version), Mode: 0o755},
		{Name: top + "uvx", Body: "#!/bin/sh\nexit 0\n", Mode: 0o755},
	}
}

func buildTarGz(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.HuffmanOnly) // fast; size does not matter here
	tw := tar.NewWriter(zw)
	for _, m := range ms {
		h := &tar.Header{Name: m.Name, Mode: m.Mode, Typeflag: m.Type, Linkname: m.Linkname, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(m.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write([]byte(m.Body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// buildZip makes a zip; a member with Linkname set is stored as a symlink.
func buildZip(t testing.TB, ms []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range ms {
		h := &zip.FileHeader{Name: m.Name, Method: zip.Deflate}
		mode := os.FileMode(0o755)
		body := m.Body
		switch {
		case m.Linkname != "":
			mode |= os.ModeSymlink
			body = m.Linkname
		case strings.HasSuffix(m.Name, "/"):
			mode |= os.ModeDir
		}
		h.SetMode(mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func testPin(target string, archive []byte) Pin {
	ext := ".tar.gz"
	if isWindowsTarget(target) {
		ext = ".zip"
	}
	return Pin{Target: target, Archive: "uv-" + target + ext, SHA256: sha(archive)}
}

// release is a loopback release host serving archives under
// /<version>/<archive>, counting the GET requests it answers.
type release struct {
	*httptest.Server
	mu      sync.Mutex
	files   map[string][]byte
	status  map[string]int
	delay   time.Duration
	gets    atomic.Int64
	handler func(w http.ResponseWriter, r *http.Request) bool // may take over
}

func newRelease(t testing.TB) *release {
	rel := &release{files: map[string][]byte{}, status: map[string]int{}}
	rel.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			rel.gets.Add(1)
		}
		if rel.handler != nil && rel.handler(w, r) {
			return
		}
		time.Sleep(rel.delay)
		rel.mu.Lock()
		data, ok := rel.files[r.URL.Path]
		code := rel.status[r.URL.Path]
		rel.mu.Unlock()
		if code != 0 {
			http.Error(w, http.StatusText(code), code)
			return
		}
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}))
	t.Cleanup(rel.Close)
	return rel
}

func (r *release) put(version, archive string, data []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.files["/"+version+"/"+archive] = data
}

// setup serves a release-shaped archive with a fake uv of uvVersion and
// returns a Manager for it with a test pin table.
func setup(t *testing.T, uvVersion string) (*Manager, *release, []byte) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake uv is a shell script")
	}
	archive := buildTarGz(t, releaseMembers(testTarget, uvVersion))
	rel := newRelease(t)
	pin := testPin(testTarget, archive)
	rel.put(Version, pin.Archive, archive)
	m := &Manager{
		CacheDir: t.TempDir(),
		BaseURL:  rel.URL,
		HTTP:     rel.Client(),
		Runner:   &run.Runner{},
		Environ:  []string{"PATH=/usr/bin:/bin"},
		Pins:     []Pin{pin},
		Target:   testTarget,
	}
	return m, rel, archive
}

// listTree lists every path under dir, relative and sorted.
func listTree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	return out
}

// sharedPinsFile is ../shared/uv-pins/uv-<Version>.sha256, or a skip.
func sharedPinsFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(testvec.Dir(t), "..", "uv-pins", "uv-"+Version+".sha256")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared uv pins not found at %s", p)
	}
	return p
}

func jsonUnmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatal(err)
	}
}

func jsonMarshal(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
