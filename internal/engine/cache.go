package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/artifact"
)

// The cache dir holds, each part owned by the package that writes it:
//
//	artifacts/   the content-addressed download cache (package artifact)
//	uv/          the pinned uv, verified and extracted (package uvbin)
//	probe/       interpreter probes, keyed by the interpreter file (package interp)
//	uv-cache/    uv's own cache for resolution (uv's layout)
//
// Every part can be removed: it is fetched, extracted or probed again.

// CacheOptions say which cache and what to do to it.
type CacheOptions struct {
	CacheDir string
	// Verify hashes every entry again (list, prune).
	Verify bool
	// OlderThan, for prune, also removes downloads not used for that long
	// and probes that old; zero keeps them.
	OlderThan time.Duration
	// DryRun, for prune, says what would go and removes nothing.
	DryRun bool
}

// CacheItem is one thing in the cache.
type CacheItem struct {
	Kind     string    `json:"kind"` // "file", "uv", "probe", "debris"
	Name     string    `json:"name"`
	SHA256   string    `json:"sha256"` // of a file; "" otherwise
	Size     int64     `json:"size"`
	LastUsed time.Time `json:"last_used"`
	Path     string    `json:"path"`
	Problem  string    `json:"problem"` // why it is bad; "" when it is not, or was not checked
}

// CacheReport is what a cache command found and did.
type CacheReport struct {
	Dir      string      `json:"dir"`
	Items    []CacheItem `json:"items"`
	Size     int64       `json:"size"`
	Verified bool        `json:"verified"`
	OK       bool        `json:"ok"` // no item has a problem
	Removed  []CacheItem `json:"removed"`
	Freed    int64       `json:"freed"`
}

// Cache lists the cache; with opts.Verify every download is hashed against
// the digest it is filed under and every uv against its record and pin.
func (e *Engine) Cache(ctx context.Context, opts CacheOptions) (*CacheReport, error) {
	if opts.CacheDir == "" {
		return nil, errors.New("no cache directory (set --cache-dir or INFLUX_PY_CACHE_DIR)")
	}
	dir, err := filepath.Abs(opts.CacheDir)
	if err != nil {
		return nil, err
	}
	r := &CacheReport{Dir: dir, Items: []CacheItem{}, Removed: []CacheItem{}, Verified: opts.Verify}
	if fi, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		r.OK = true
		return r, nil
	} else if err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("cache directory %s is not a directory", dir)
	}
	if err := e.trustCache(dir); err != nil {
		return nil, err
	}
	files, debris, err := artifact.ListCache(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		it := CacheItem{Kind: "file", Name: f.Name, SHA256: f.SHA256, Size: f.Size, LastUsed: f.Used.UTC(), Path: f.Path}
		if opts.Verify {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if err := artifact.VerifyCacheEntry(f); err != nil {
				it.Problem = err.Error()
			}
		}
		r.Items = append(r.Items, it)
	}
	for _, d := range debris {
		r.Items = append(r.Items, CacheItem{Kind: "debris", Name: filepath.Base(d.Path), Size: d.Size, Path: d.Path, Problem: "left by an interrupted download"})
	}
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	uvs, err := b.UVCache(UVOptions{CacheDir: dir, Offline: true}, opts.Verify)
	if err != nil {
		return nil, err
	}
	for _, u := range uvs {
		r.Items = append(r.Items, CacheItem{Kind: "uv", Name: "uv " + u.Version + " " + u.Target, Size: u.Size, LastUsed: u.Used.UTC(), Path: u.Path, Problem: u.Problem})
	}
	probes, _ := os.ReadDir(filepath.Join(dir, "probe"))
	for _, p := range probes {
		if fi, err := p.Info(); err == nil && fi.Mode().IsRegular() {
			r.Items = append(r.Items, CacheItem{Kind: "probe", Name: p.Name(), Size: fi.Size(), LastUsed: fi.ModTime().UTC(), Path: filepath.Join(dir, "probe", p.Name())})
		}
	}
	r.OK = true
	for _, it := range r.Items {
		r.Size += it.Size
		if it.Problem != "" {
			r.OK = false
		}
	}
	return r, nil
}

// PruneCache removes from the cache what cannot be used (debris of
// interrupted writes, entries that fail verification with opts.Verify, uvs
// of other versions than the pinned one) and, with opts.OlderThan,
// downloads and probes not used for that long. The pinned uv is kept
// while it verifies: an offline node needs it. Each removal takes the
// entry's lock, so that a sync reading it is never cut.
func (e *Engine) PruneCache(ctx context.Context, opts CacheOptions) (*CacheReport, error) {
	r, err := e.Cache(ctx, opts)
	if err != nil {
		return nil, err
	}
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	now := e.Now()
	var keep []CacheItem
	for _, it := range r.Items {
		old := opts.OlderThan > 0 && !it.LastUsed.IsZero() && now.Sub(it.LastUsed) > opts.OlderThan
		remove := false
		switch it.Kind {
		case "debris":
			remove = true
		case "file", "probe":
			remove = it.Problem != "" || old
		case "uv":
			// A damaged or foreign uv is never run anyway.
			remove = it.Problem != "" || !strings.HasPrefix(it.Name, "uv "+b.PinnedUV()+" ")
		}
		if !remove {
			keep = append(keep, it)
			continue
		}
		if !opts.DryRun {
			if err := e.removeCacheItem(ctx, b, r.Dir, it); err != nil {
				return nil, fmt.Errorf("prune %s: %w", it.Path, err)
			}
		}
		r.Removed = append(r.Removed, it)
		r.Freed += it.Size
	}
	r.Items = append([]CacheItem{}, keep...)
	sort.Slice(r.Removed, func(i, j int) bool { return r.Removed[i].Path < r.Removed[j].Path })
	r.Size -= r.Freed
	r.OK = true
	for _, it := range r.Items {
		if it.Problem != "" {
			r.OK = false
		}
	}
	return r, nil
}

func (e *Engine) removeCacheItem(ctx context.Context, b Backends, dir string, it CacheItem) error {
	switch it.Kind {
	case "file":
		return artifact.RemoveCacheEntry(ctx, dir, artifact.CacheEntry{SHA256: it.SHA256, Name: it.Name, Path: it.Path})
	case "debris":
		return artifact.RemoveCacheDebris(ctx, artifact.CacheDebris{Path: it.Path})
	case "uv":
		version, target, _ := strings.Cut(strings.TrimPrefix(it.Name, "uv "), " ")
		return b.RemoveUVCache(ctx, UVOptions{CacheDir: dir, Offline: true}, UVCacheEntry{Version: version, Target: target, Path: it.Path})
	case "probe":
		// A probe is written atomically and read whole: removing it only
		// means the next run probes again.
		err := os.Remove(it.Path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	return nil
}
