package uvbin

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnsureFromLocalArchives: offline, the pinned archive in a
// wheelhouse's uv/ folder is verified and installed; a copy with other
// bytes is refused, never installed and never replaced by a download.
func TestEnsureFromLocalArchives(t *testing.T) {
	m, rel, archive := setup(t, Version)
	house := t.TempDir()
	dir := filepath.Join(house, Version)
	os.MkdirAll(dir, 0o755)
	m.Offline = true
	m.Archives = []string{filepath.Join(t.TempDir(), "nothing-here"), house}

	_, err := m.Ensure(context.Background())
	var ue *UnavailableError
	if !errors.As(err, &ue) || !strings.Contains(ue.Reason, filepath.Join(dir, m.Pins[0].Archive)) {
		t.Fatalf("offline without the archive = %v, want an UnavailableError naming where it looked", err)
	}

	bad := append(bytes.Clone(archive), 0)
	os.WriteFile(filepath.Join(dir, m.Pins[0].Archive), bad, 0o644)
	m.Offline = false // even online, a bad local copy is an error, not a download
	_, err = m.Ensure(context.Background())
	var ce *ChecksumError
	if !errors.As(err, &ce) || ce.Expected != m.Pins[0].SHA256 || ce.Actual != sha(bad) {
		t.Fatalf("a local archive with other bytes = %v, want a ChecksumError with both digests", err)
	}
	if rel.gets.Load() != 0 {
		t.Fatal("a bad local archive led to a download")
	}
	if _, err := os.Stat(filepath.Join(m.CacheDir, "uv", Version, testTarget)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a bad archive left a cache entry: %v", err)
	}

	os.WriteFile(filepath.Join(dir, m.Pins[0].Archive), archive, 0o644)
	m.Offline = true
	b, err := m.Ensure(context.Background())
	if err != nil || !b.Pinned {
		t.Fatalf("offline with the archive = %+v, %v", b, err)
	}
	if rel.gets.Load() != 0 {
		t.Error("a local archive led to a download")
	}
	// Now cached: the wheelhouse is no longer needed.
	m.Archives = nil
	if _, err := m.Ensure(context.Background()); err != nil {
		t.Fatalf("cached after the wheelhouse: %v", err)
	}
}

func TestArchive(t *testing.T) {
	m, rel, archive := setup(t, Version)
	out := t.TempDir()
	info, err := m.Archive(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(out, Version, m.Pins[0].Archive)
	if info.Path != want || info.SHA256 != sha(archive) || info.Size != int64(len(archive)) || info.Target != testTarget {
		t.Errorf("Archive = %+v, want %s with sha256 %s, %d bytes", info, want, sha(archive), len(archive))
	}
	if data, err := os.ReadFile(want); err != nil || !bytes.Equal(data, archive) {
		t.Fatalf("archive not written: %v", err)
	}
	// Again: kept, not fetched.
	if _, err := m.Archive(context.Background(), out); err != nil || rel.gets.Load() != 1 {
		t.Errorf("second Archive: %v, %d downloads, want 1", err, rel.gets.Load())
	}
	// Tampered in place: fetched again and replaced.
	os.WriteFile(want, []byte("junk"), 0o644)
	if _, err := m.Archive(context.Background(), out); err != nil || rel.gets.Load() != 2 {
		t.Errorf("Archive over junk: %v, %d downloads, want 2", err, rel.gets.Load())
	}
	if data, _ := os.ReadFile(want); !bytes.Equal(data, archive) {
		t.Error("junk not replaced")
	}
	// Offline, from another wheelhouse.
	m.Offline = true
	out2 := t.TempDir()
	if _, err := m.Archive(context.Background(), out2); err == nil {
		t.Fatal("offline Archive without a source succeeded")
	}
	m.Archives = []string{out}
	if _, err := m.Archive(context.Background(), out2); err != nil || rel.gets.Load() != 2 {
		t.Fatalf("offline Archive from a wheelhouse: %v (%d downloads)", err, rel.gets.Load())
	}
	// A server with other bytes: refused, nothing left behind.
	m.Offline, m.Archives = false, nil
	rel.put(Version, m.Pins[0].Archive, []byte("other"))
	out3 := t.TempDir()
	_, err = m.Archive(context.Background(), out3)
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("Archive of other bytes = %v, want a ChecksumError", err)
	}
	if left := listTree(t, out3); len(left) != 1 || left[0] != Version {
		t.Errorf("a refused archive left %v", left)
	}
}
