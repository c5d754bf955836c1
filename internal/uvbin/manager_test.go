package uvbin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
)

func TestEnsureDownloadsVerifiesAndCaches(t *testing.T) {
	m, rel, archive := setup(t, Version)
	var log bytes.Buffer
	m.Log = &log
	var total int64
	var progressed bytes.Buffer
	m.Progress = func(n int64) io.Writer { total = n; return &progressed }

	b, err := m.Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &Binary{Path: filepath.Join(m.CacheDir, "uv", Version, testTarget, "uv"), Version: Version, Target: testTarget, Pinned: true}
	if !reflect.DeepEqual(b, want) {
		t.Errorf("Ensure = %+v, want %+v", b, want)
	}
	if p, _ := m.Path(); p != b.Path {
		t.Errorf("Path() = %s, want %s", p, b.Path)
	}
	if n := rel.gets.Load(); n != 1 {
		t.Errorf("%d GET requests, want 1", n)
	}
	if total != int64(len(archive)) || !bytes.Equal(progressed.Bytes(), archive) {
		t.Errorf("progress saw total %d and %d bytes, want %d and the archive", total, progressed.Len(), len(archive))
	}
	if m.Runner.Started.Load() != 1 {
		t.Errorf("%d processes started, want 1 (uv --version)", m.Runner.Started.Load())
	}
	// The cache holds the entry and its lock, and no temporary leftovers.
	tree := listTree(t, filepath.Join(m.CacheDir, "uv", Version))
	wantTree := []string{testTarget, testTarget + ".lock", testTarget + "/influx-py-uv.json", testTarget + "/uv", testTarget + "/uvx"}
	sort.Strings(tree)
	sort.Strings(wantTree)
	if !reflect.DeepEqual(tree, wantTree) {
		t.Errorf("cache holds %v, want %v", tree, wantTree)
	}
	rec, err := os.ReadFile(filepath.Join(m.CacheDir, "uv", Version, testTarget, recordName))
	if err != nil || !strings.Contains(string(rec), sha(archive)) || !strings.Contains(string(rec), sha([]byte(fakeUV(Version)))) {
		t.Errorf("record %s lacks the archive's or the binary's digest (%v)", rec, err)
	}
	for _, s := range []string{"downloading " + rel.URL, "matches the pin", "installed uv"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}

	// A second Ensure, from a fresh Manager, uses the cache: no request, no process.
	m2 := *m
	m2.Progress = nil
	started := m.Runner.Started.Load()
	b2, err := m2.Ensure(context.Background())
	if err != nil || b2.Path != b.Path {
		t.Fatalf("second Ensure = %+v, %v", b2, err)
	}
	if rel.gets.Load() != 1 || m.Runner.Started.Load() != started {
		t.Errorf("cached Ensure made %d requests and started %d processes", rel.gets.Load()-1, m.Runner.Started.Load()-started)
	}

	// Cached starts nothing; Verify runs uv --version.
	if c, err := m.Cached(context.Background()); err != nil || c.Path != b.Path {
		t.Errorf("Cached = %+v, %v", c, err)
	}
	if m.Runner.Started.Load() != started {
		t.Error("Cached started a process")
	}
	if v, err := m.Verify(context.Background()); err != nil || v.Version != Version {
		t.Errorf("Verify = %+v, %v", v, err)
	}
	if m.Runner.Started.Load() != started+1 {
		t.Error("Verify did not run uv")
	}
}

// noEntry fails the test when anything but the lock and temporary-free
// folders exist in the cache: a failed Ensure installs nothing.
func noEntry(t *testing.T, m *Manager) {
	t.Helper()
	dir := filepath.Join(m.CacheDir, "uv", m.version())
	for _, p := range listTree(t, dir) {
		if p != testTarget+".lock" {
			t.Errorf("failed Ensure left %s in the cache", p)
		}
	}
}

func TestEnsureRefusesWrongChecksum(t *testing.T) {
	m, rel, _ := setup(t, Version)
	other := buildTarGz(t, releaseMembers(testTarget, "0.0.1"))
	rel.put(Version, m.Pins[0].Archive, other)
	_, err := m.Ensure(context.Background())
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("Ensure = %v, want a ChecksumError", err)
	}
	if ce.Expected != m.Pins[0].SHA256 || ce.Actual != sha(other) || !strings.Contains(ce.URL, rel.URL) {
		t.Errorf("ChecksumError = %+v", ce)
	}
	for _, s := range []string{ce.Expected, ce.Actual, "download uv " + Version + " for " + testTarget} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
	var ue *UnavailableError
	if errors.As(err, &ue) {
		t.Error("a checksum mismatch must not be an UnavailableError (no silent pip fallback)")
	}
	if m.Runner.Started.Load() != 0 {
		t.Error("a binary from a mismatched archive was run")
	}
	noEntry(t, m)
}

func TestEnsureUnavailable(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(m *Manager, rel *release)
		reason  string
	}{
		{"404", func(m *Manager, rel *release) {
			rel.put(Version, m.Pins[0].Archive, nil)
			delete(rel.files, "/"+Version+"/"+m.Pins[0].Archive)
		}, "HTTP 404"},
		{"500", func(m *Manager, rel *release) { rel.status["/"+Version+"/"+m.Pins[0].Archive] = 500 }, "HTTP 500"},
		{"503", func(m *Manager, rel *release) { rel.status["/"+Version+"/"+m.Pins[0].Archive] = 503 }, "HTTP 503"},
		{"truncated", func(m *Manager, rel *release) {
			rel.handler = func(w http.ResponseWriter, r *http.Request) bool {
				data := rel.files[r.URL.Path]
				w.Header().Set("Content-Length", fmt.Sprint(len(data)))
				w.Write(data[:len(data)/2])
				// Returning with fewer bytes than announced cuts the connection.
				return true
			}
		}, "download of http://127.0.0.1:"},
		{"connection refused", func(m *Manager, rel *release) { m.BaseURL = closedURL(t) }, "cannot reach"},
		{"unsupported target", func(m *Manager, rel *release) { m.Target = "riscv64gc-unknown-linux-gnu" }, "no uv " + Version + " build is pinned for riscv64gc-unknown-linux-gnu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, rel, _ := setup(t, Version)
			tt.prepare(m, rel)
			_, err := m.Ensure(context.Background())
			var ue *UnavailableError
			if !errors.As(err, &ue) {
				t.Fatalf("Ensure = %v, want an UnavailableError", err)
			}
			if !strings.Contains(ue.Reason, tt.reason) || (tt.name == "truncated" && !strings.HasSuffix(ue.Reason, " cut short")) {
				t.Errorf("reason %q lacks %q", ue.Reason, tt.reason)
			}
			t.Logf("%v", err)
			if m.Runner.Started.Load() != 0 {
				t.Error("a process was started")
			}
			noEntry(t, m)
		})
	}
}

// closedURL is an http URL on which nothing listens.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestEnsureRefusesBadArchives serves archives whose checksum matches the
// (test) pin but whose content does not have the release's shape.
func TestEnsureRefusesBadArchives(t *testing.T) {
	top := "uv-" + testTarget + "/"
	good := releaseMembers(testTarget, Version)
	tests := map[string][]member{
		"dot-dot":      with(good, member{Name: "../x", Body: "evil"}),
		"absolute":     with(good, member{Name: "/tmp/influx-py-evil", Body: "evil"}),
		"symlink":      {good[0], {Name: top + "uv", Type: '2', Linkname: "/bin/sh"}},
		"unexpected":   with(good, member{Name: top + "install.sh", Body: "evil"}),
		"uv missing":   {good[0], good[2]},
		"another root": {{Name: "uv-aarch64-apple-darwin/uv", Body: fakeUV(Version)}},
	}
	for name, ms := range tests {
		t.Run(name, func(t *testing.T) {
			m, rel, _ := setup(t, Version)
			data := buildTarGz(t, ms)
			m.Pins = []Pin{testPin(testTarget, data)}
			rel.put(Version, m.Pins[0].Archive, data)
			_, err := m.Ensure(context.Background())
			var ae *ArchiveError
			if !errors.As(err, &ae) {
				t.Fatalf("Ensure = %v, want an ArchiveError", err)
			}
			var ue *UnavailableError
			if errors.As(err, &ue) {
				t.Error("a bad archive must not be an UnavailableError")
			}
			if m.Runner.Started.Load() != 0 {
				t.Error("a binary from a bad archive was run")
			}
			noEntry(t, m)
			if _, err := os.Lstat("/tmp/influx-py-evil"); err == nil {
				t.Error("an absolute member was written")
			}
		})
	}
}

func TestEnsureWrongVersion(t *testing.T) {
	tests := map[string]string{
		"older version":  fakeUV("0.12.17"),
		"garbage output": "#!/bin/sh\necho hello\n",
		"fails to run":   "#!/bin/sh\nexit 1\n",
	}
	for name, script := range tests {
		t.Run(name, func(t *testing.T) {
			m, rel, _ := setup(t, Version)
			ms := releaseMembers(testTarget, Version)
			ms[1].Body = script
			data := buildTarGz(t, ms)
			m.Pins = []Pin{testPin(testTarget, data)}
			rel.put(Version, m.Pins[0].Archive, data)
			_, err := m.Ensure(context.Background())
			if err == nil {
				t.Fatal("Ensure accepted a uv that does not report the pinned version")
			}
			var ue *UnavailableError
			if errors.As(err, &ue) {
				t.Errorf("Ensure = %v; a wrong version must not be an UnavailableError", err)
			}
			t.Logf("%v", err)
			noEntry(t, m)
		})
	}
}

func TestEnsureOffline(t *testing.T) {
	m, rel, _ := setup(t, Version)
	m.Offline = true
	_, err := m.Ensure(context.Background())
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "offline") {
		t.Fatalf("offline Ensure without a cache = %v, want an UnavailableError about offline", err)
	}
	if _, err := m.Cached(context.Background()); !errors.As(err, &ue) {
		t.Errorf("Cached without a cache = %v, want an UnavailableError", err)
	}
	if _, err := m.Verify(context.Background()); !errors.As(err, &ue) {
		t.Errorf("Verify without a cache = %v, want an UnavailableError", err)
	}
	if rel.gets.Load() != 0 {
		t.Fatal("offline Ensure made a request")
	}
	m.Offline = false
	if _, err := m.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.Offline = true
	started := m.Runner.Started.Load()
	b, err := m.Ensure(context.Background())
	if err != nil || !b.Pinned {
		t.Fatalf("offline Ensure with a cache = %+v, %v", b, err)
	}
	if rel.gets.Load() != 1 || m.Runner.Started.Load() != started {
		t.Error("offline Ensure with a cache made a request or started a process")
	}
}

func TestEnsureTamperedCache(t *testing.T) {
	tamper := map[string]func(t *testing.T, dir string){
		"binary changed": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "uv"), []byte("#!/bin/sh\necho uv "+Version+"\ntouch \"$0.ran\"\n"), 0o755)
		},
		"uvx changed": func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "uvx"), []byte("#!/bin/sh\nexit 0 # changed\n"), 0o755)
		},
		"binary replaced by a symlink": func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "uv"), filepath.Join(dir, "uv.real"))
			os.Symlink("uv.real", filepath.Join(dir, "uv"))
		},
		"binary removed": func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, "uv")) },
		"record removed": func(t *testing.T, dir string) { os.Remove(filepath.Join(dir, recordName)) },
		"record corrupt": func(t *testing.T, dir string) { os.WriteFile(filepath.Join(dir, recordName), []byte("{"), 0o644) },
		"record for another pin": func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, recordName))
			var m map[string]any
			jsonUnmarshal(t, data, &m)
			m["archive_sha256"] = strings.Repeat("0", 64)
			os.WriteFile(filepath.Join(dir, recordName), jsonMarshal(t, m), 0o644)
		},
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			m, rel, _ := setup(t, Version)
			b, err := m.Ensure(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Dir(b.Path)
			f(t, dir)

			// Offline: refused, not run, left in place.
			off := *m
			off.Offline = true
			started := m.Runner.Started.Load()
			_, err = off.Ensure(context.Background())
			if err == nil {
				t.Fatal("offline Ensure accepted a changed cache entry")
			}
			var ue *UnavailableError
			if errors.As(err, &ue) {
				t.Errorf("offline Ensure of a changed entry = %v; want a hard error, not UnavailableError", err)
			}
			if !strings.Contains(err.Error(), "offline") {
				t.Errorf("error %q does not say why it was not fetched again", err)
			}
			if _, err := m.Cached(context.Background()); err == nil {
				t.Error("Cached accepted a changed entry")
			}
			if m.Runner.Started.Load() != started {
				t.Error("a changed cached binary was run")
			}
			if _, err := os.Stat(b.Path + ".ran"); err == nil {
				t.Error("the tampered binary ran")
			}

			// Online: discarded and downloaded again.
			b2, err := m.Ensure(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if rel.gets.Load() != 2 {
				t.Errorf("%d requests, want 2 (the entry downloaded again)", rel.gets.Load())
			}
			data, _ := os.ReadFile(b2.Path)
			if string(data) != fakeUV(Version) {
				t.Error("the cached binary was not restored")
			}
			if _, err := m.Cached(context.Background()); err != nil {
				t.Errorf("Cached after repair: %v", err)
			}
			noStale(t, m)
		})
	}
}

func TestChecksumErrorOfTamperedBinary(t *testing.T) {
	m, _, _ := setup(t, Version)
	b, err := m.Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(b.Path, []byte("changed"), 0o755)
	_, err = m.Cached(context.Background())
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Actual != sha([]byte("changed")) || ce.Expected != sha([]byte(fakeUV(Version))) {
		t.Fatalf("Cached = %v, want a ChecksumError with both digests", err)
	}
	if !strings.Contains(err.Error(), ce.Expected) || !strings.Contains(err.Error(), ce.Actual) {
		t.Errorf("message %q lacks a digest", err)
	}
}

// noStale checks that no temporary or discarded folders remain.
func noStale(t *testing.T, m *Manager) {
	t.Helper()
	for _, p := range listTree(t, filepath.Join(m.CacheDir, "uv", m.version())) {
		if strings.Contains(p, ".tmp-") || strings.Contains(p, ".old-") {
			t.Errorf("left over: %s", p)
		}
	}
}

func TestEnsureConcurrentShareOneDownload(t *testing.T) {
	m, rel, _ := setup(t, Version)
	rel.delay = 300 * time.Millisecond
	const n = 4
	var wg sync.WaitGroup
	paths := make([]string, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			mi := *m // separate Managers, as separate invocations would have
			b, err := mi.Ensure(context.Background())
			errs[i] = err
			if b != nil {
				paths[i] = b.Path
			}
		}(i)
	}
	wg.Wait()
	for i := range errs {
		if errs[i] != nil || paths[i] != paths[0] {
			t.Errorf("Ensure %d = %q, %v", i, paths[i], errs[i])
		}
	}
	if g := rel.gets.Load(); g != 1 {
		t.Errorf("%d concurrent Ensure calls made %d requests, want 1", n, g)
	}
	noStale(t, m)
}

// TestEnsureConcurrentProcesses runs Ensure in several processes (this test
// binary, re-executed) against one cache: one download between them.
func TestEnsureConcurrentProcesses(t *testing.T) {
	if os.Getenv("UVBIN_TEST_HELPER") == "ensure" {
		helperEnsure()
		return
	}
	m, rel, _ := setup(t, Version)
	rel.delay = 300 * time.Millisecond
	const n = 3
	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^TestEnsureConcurrentProcesses$")
			cmd.Env = append(os.Environ(), "UVBIN_TEST_HELPER=ensure",
				"UVBIN_TEST_CACHE="+m.CacheDir, "UVBIN_TEST_URL="+rel.URL,
				"UVBIN_TEST_PIN="+m.Pins[0].SHA256)
			outs[i], errs[i] = cmd.CombinedOutput()
		}(i)
	}
	wg.Wait()
	want := filepath.Join(m.CacheDir, "uv", Version, testTarget, "uv")
	for i := range outs {
		if errs[i] != nil || !strings.Contains(string(outs[i]), "ensured "+want) {
			t.Errorf("process %d: %v\n%s", i, errs[i], outs[i])
		}
	}
	if g := rel.gets.Load(); g != 1 {
		t.Errorf("%d processes made %d requests, want 1", n, g)
	}
}

func helperEnsure() {
	pin := Pin{Target: testTarget, Archive: "uv-" + testTarget + ".tar.gz", SHA256: os.Getenv("UVBIN_TEST_PIN")}
	m := &Manager{
		CacheDir: os.Getenv("UVBIN_TEST_CACHE"),
		BaseURL:  os.Getenv("UVBIN_TEST_URL"),
		Environ:  []string{"PATH=/usr/bin:/bin"},
		Pins:     []Pin{pin},
		Target:   testTarget,
	}
	b, err := m.Ensure(context.Background())
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ensured", b.Path)
}

func TestEnsureFromFileMirror(t *testing.T) {
	m, rel, archive := setup(t, Version)
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, Version), 0o755)
	os.WriteFile(filepath.Join(mirror, Version, m.Pins[0].Archive), archive, 0o644)
	m.BaseURL = (&url.URL{Scheme: "file", Path: mirror}).String()
	b, err := m.Ensure(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rel.gets.Load() != 0 {
		t.Error("a file mirror used HTTP")
	}
	// The cache holds a copy, not a link into the mirror.
	if fi, err := os.Lstat(b.Path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("cached uv is not a regular file: %v %v", fi, err)
	}

	m2, _, _ := setup(t, Version)
	m2.BaseURL = (&url.URL{Scheme: "file", Path: t.TempDir()}).String()
	_, err = m2.Ensure(context.Background())
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Errorf("a file mirror without the archive: %v, want UnavailableError", err)
	}
}

func TestArchiveURL(t *testing.T) {
	const a = "uv-x86_64-unknown-linux-gnu.tar.gz"
	tests := []struct {
		base, want string
	}{
		{DefaultBaseURL, "https://github.com/astral-sh/uv/releases/download/0.12.18/" + a},
		{"https://artifacts.example.com/uv/", "https://artifacts.example.com/uv/0.12.18/" + a},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/0.12.18/" + a},
		{"https://user:secret@artifacts.example.com/uv", "https://user:secret@artifacts.example.com/uv/0.12.18/" + a},
		{"file:///srv/mirror", "file:///srv/mirror/0.12.18/" + a},
		{"https://example.com/a/../b", "https://example.com/b/0.12.18/" + a},
		{"https://example.com/x?checksum=sha256:00", ""},
		{"https://example.com/x?archive=zip", ""},
		{"https://example.com/x?", ""},
		{"https://example.com/x#frag", ""},
		{"https://example.com//sub", "https://example.com/sub/0.12.18/" + a}, // cleaned: no go-getter subdirectory
		{"git::https://example.com/x", ""},
		{"s3::https://s3.amazonaws.com/bucket", ""},
		{"ftp://example.com/x", ""},
		{"example.com/x", ""},
		{"/srv/mirror", ""},
		{"https://", ""},
		{"file://host/x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := archiveURL(tt.base, Version, a)
		if tt.want == "" {
			if err == nil {
				t.Errorf("archiveURL(%q) = %q, want an error", tt.base, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("archiveURL(%q) = %q, %v; want %q", tt.base, got, err, tt.want)
		}
	}
	if r := fetchpkg.Redact("https://user:secret@example.com/x"); strings.Contains(r, "secret") {
		t.Errorf("redact kept the password: %s", r)
	}
}

func TestEnsureBadMirrorIsAnError(t *testing.T) {
	m, rel, _ := setup(t, Version)
	m.BaseURL = rel.URL + "/?checksum=file:" + rel.URL + "/sums"
	_, err := m.Ensure(context.Background())
	var ue *UnavailableError
	if err == nil || errors.As(err, &ue) {
		t.Fatalf("Ensure with a mirror URL carrying a query = %v, want a hard error", err)
	}
	if rel.gets.Load() != 0 {
		t.Error("a request was made")
	}
}

func TestEnsureNoCacheDir(t *testing.T) {
	m, _, _ := setup(t, Version)
	m.CacheDir = ""
	if _, err := m.Ensure(context.Background()); err == nil {
		t.Error("Ensure without a cache dir succeeded")
	}
	if _, err := m.Path(); err == nil {
		t.Error("Path without a cache dir succeeded")
	}
}

func TestEnsureTooLarge(t *testing.T) {
	m, _, archive := setup(t, Version)
	m.maxBytes = int64(len(archive)) // the real bound is maxArchive
	// Exactly at the bound is fine.
	if _, err := m.Ensure(context.Background()); err != nil {
		t.Fatalf("an archive exactly at the bound: %v", err)
	}
	m2, rel2, archive2 := setup(t, Version)
	m2.maxBytes = int64(len(archive2)) - 1
	rel2.handler = func(w http.ResponseWriter, r *http.Request) bool {
		// No Content-Length: the body must be stopped at the bound, not
		// trusted to end.
		w.(http.Flusher).Flush()
		w.Write(archive2)
		return true
	}
	_, err := m2.Ensure(context.Background())
	var ue *UnavailableError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Ensure of an oversized download = %v, want a hard 'larger than' error", err)
	}
	noEntry(t, m2)
}

func TestUseExisting(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fake uv is a shell script")
	}
	dir := t.TempDir()
	write := func(name, script string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m := &Manager{Environ: []string{"PATH=/usr/bin:/bin"}}

	b, err := m.UseExisting(context.Background(), write("uv-pinned", fakeUV(Version)))
	if err != nil || !b.Pinned || b.Warning != "" || b.Version != Version || b.Target != testTarget {
		t.Errorf("pinned version: %+v, %v", b, err)
	}

	b, err = m.UseExisting(context.Background(), write("uv-old", "#!/bin/sh\necho 'uv 0.6.14'\n"))
	if err != nil || b.Pinned || b.Version != "0.6.14" || !strings.Contains(b.Warning, "0.6.14") || !strings.Contains(b.Warning, Version) {
		t.Errorf("0.6.14: %+v, %v", b, err)
	}

	if _, err := m.UseExisting(context.Background(), write("uv-ancient", "#!/bin/sh\necho 'uv 0.4.3'\n")); err == nil || !strings.Contains(err.Error(), MinVersion) {
		t.Errorf("uv 0.4.3 accepted or the error does not name %s: %v", MinVersion, err)
	}
	if _, err := m.UseExisting(context.Background(), write("not-uv", "#!/bin/sh\necho 'ruff 0.12.18'\n")); err == nil {
		t.Error("a program that is not uv was accepted")
	}
	if _, err := m.UseExisting(context.Background(), write("broken", "#!/bin/sh\nexit 2\n")); err == nil {
		t.Error("a uv that fails was accepted")
	}
	if _, err := m.UseExisting(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing path was accepted")
	}
	if _, err := m.UseExisting(context.Background(), "influx-py-no-such-uv-anywhere"); err == nil {
		t.Error("a missing program name was accepted")
	}
	// A relative path is made absolute.
	t.Chdir(dir)
	b, err = m.UseExisting(context.Background(), "./uv-pinned")
	if err != nil || b.Path != filepath.Join(dir, "uv-pinned") {
		t.Errorf("relative path: %+v, %v", b, err)
	}
}

// A use after the first hashes only what changed since, by stat: a
// rewrite is caught even with its modification time put back (the
// change time cannot be), and what the stat cannot see, the full checks
// of 'cache verify' and 'uv verify' can.
func TestCheckRemembersVerifiedFiles(t *testing.T) {
	m, _, _ := setup(t, Version)
	ctx := context.Background()
	b, err := m.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(b.Path)
	if _, err := m.Cached(ctx); err != nil {
		t.Fatal(err)
	}
	known := readVerified(dir)
	if len(known) != 2 || known["uv"].SHA256 != sha([]byte(fakeUV(Version))) {
		t.Fatalf("remembered %+v, want uv and uvx with their digests", known)
	}

	// Same size, same mtime, other bytes: still refused.
	fi, _ := os.Stat(b.Path)
	orig, _ := os.ReadFile(b.Path)
	other := append([]byte(nil), orig...)
	other[len(other)-2] ^= 1
	os.WriteFile(b.Path, other, 0o755)
	os.Chtimes(b.Path, fi.ModTime(), fi.ModTime())
	var ce *ChecksumError
	if _, err := m.Cached(ctx); !errors.As(err, &ce) {
		t.Fatalf("a rewritten binary with its old mtime passed: %v", err)
	}
	os.WriteFile(b.Path, orig, 0o755)
	if _, err := m.Cached(ctx); err != nil {
		t.Fatalf("restored: %v", err)
	}

	// A remembered stat that matches a changed file is trusted by a use
	// (that is the point: no read) but not by the full checks.
	os.WriteFile(b.Path, other, 0o755)
	key, ok := fileKey(b.Path)
	if !ok {
		t.Skip("no stat key on " + runtime.GOOS)
	}
	known = readVerified(dir)
	known["uv"] = verifiedFile{Stat: key, SHA256: known["uv"].SHA256}
	writeVerified(dir, known)
	if _, err := m.Cached(ctx); err != nil {
		t.Fatalf("a use re-hashed a file whose stat it remembered: %v", err)
	}
	if _, err := m.Verify(ctx); !errors.As(err, &ce) {
		t.Errorf("Verify trusted the remembered stat: %v", err)
	}
	entries, err := m.Entries(true)
	if err != nil || len(entries) != 1 || !strings.Contains(entries[0].Problem, "changed since it was installed") {
		t.Errorf("Entries(verify) = %+v, %v; want the changed binary named", entries, err)
	}
	// A remembered digest other than the record's is no proof.
	known["uv"] = verifiedFile{Stat: key, SHA256: strings.Repeat("0", 64)}
	writeVerified(dir, known)
	if _, err := m.Cached(ctx); !errors.As(err, &ce) {
		t.Errorf("a remembered digest unlike the record's was trusted: %v", err)
	}
}
