package uvbin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// CacheEntry is one uv in the cache: <CacheDir>/uv/<version>/<target>/.
type CacheEntry struct {
	Version string
	Target  string
	Path    string // the entry folder
	Size    int64  // of its files
	Used    time.Time
	Pinned  bool   // the version and target have a pin here
	Problem string // set by Entries with verify: why it cannot be used
}

// Entries lists the uvs in the cache. With verify, each pinned entry is
// hashed again (as before every use) and each other one is marked as not
// the pinned uv; interrupted installs are listed with their problem.
func (m *Manager) Entries(verify bool) ([]CacheEntry, error) {
	if m.CacheDir == "" {
		return nil, errors.New("no cache directory for uv")
	}
	root := filepath.Join(m.CacheDir, "uv")
	versions, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("uv cache: %w", err)
	}
	var out []CacheEntry
	for _, v := range versions {
		if !v.IsDir() {
			continue
		}
		targets, err := os.ReadDir(filepath.Join(root, v.Name()))
		if err != nil {
			return nil, fmt.Errorf("uv cache: %w", err)
		}
		for _, t := range targets {
			if !t.IsDir() {
				continue
			}
			dir := filepath.Join(root, v.Name(), t.Name())
			e := CacheEntry{Version: v.Name(), Target: t.Name(), Path: dir}
			if fi, err := os.Stat(filepath.Join(dir, recordName)); err == nil {
				e.Used = fi.ModTime()
			}
			files, _ := os.ReadDir(dir)
			for _, f := range files {
				if fi, err := f.Info(); err == nil && fi.Mode().IsRegular() {
					e.Size += fi.Size()
				}
			}
			pin, ok := findPin(m.pins(), t.Name())
			e.Pinned = ok && v.Name() == m.version()
			interrupted := strings.HasPrefix(t.Name(), ".tmp-") || strings.Contains(t.Name(), ".old-")
			switch {
			case interrupted:
				e.Problem = "left by an interrupted install"
			case !verify:
			case !e.Pinned:
				e.Problem = fmt.Sprintf("not the pinned uv %s", m.version())
			default:
				if _, err := m.checkFull(dir, t.Name(), pin); err != nil {
					e.Problem = err.Error()
				}
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// RemoveEntry removes a cache entry Entries listed, under its lock.
func (m *Manager) RemoveEntry(ctx context.Context, e CacheEntry) error {
	root := filepath.Join(m.CacheDir, "uv")
	if rel, err := filepath.Rel(root, e.Path); err != nil || strings.HasPrefix(rel, "..") || strings.Count(rel, string(filepath.Separator)) != 1 {
		return fmt.Errorf("uv cache: %s is not an entry of %s", e.Path, root)
	}
	lockPath := e.Path + ".lock"
	if strings.HasPrefix(e.Target, ".tmp-") || strings.Contains(e.Target, ".old-") {
		// Debris of an install of some target: that target's lock.
		t := strings.TrimPrefix(e.Target, ".tmp-")
		if i := strings.LastIndex(t, "-"); strings.HasPrefix(e.Target, ".tmp-") && i > 0 {
			t = t[:i]
		}
		t, _, _ = strings.Cut(t, ".old-")
		lockPath = filepath.Join(filepath.Dir(e.Path), t+".lock")
	}
	unlock, err := fsutil.Lock(ctx, lockPath)
	if err != nil {
		return fmt.Errorf("uv cache: lock %s: %w", lockPath, err)
	}
	defer unlock()
	return discard(e.Path)
}
