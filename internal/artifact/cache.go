package artifact

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

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// The download cache, <CacheDir>/artifacts, is content-addressed:
//
//	artifacts/sha256/<2 hex>/<hex>/<name>   one verified file
//	artifacts/sha256/<2 hex>/<hex>.lock     its lock (never removed)
//	artifacts/sha256/<2 hex>/<hex>/.<name>.tmp-*   a download under way, or killed
//
// An entry is written to a temporary file beside its final name under the
// entry's lock and renamed only once verified, so a file at the final name
// is always complete. The digest in the path is what was verified; the name
// is kept so installers that read the wheel file name get it unchanged.
// Every read verifies the file again: a bad entry is dropped and fetched
// again, or, offline, reported missing. A file's modification time is when
// it was last used (set on each cache hit), which is what prune goes by.
//
// Sync, rebuilds, wheelhouses and adoption read the cache through Fetch.
// add, remove and lock resolve through a backend, whose own downloads stay
// in its cache beside this one (<CacheDir>/uv-cache for uv); the sync that
// follows a re-lock then takes the new lock's files into this cache, where
// later rebuilds, other venvs on the host and wheelhouses find them.

func (s *fetch) entryDir(r Request) string {
	return filepath.Join(s.cacheDir, "artifacts", "sha256", r.SHA256[:2], r.SHA256)
}

func (s *fetch) entryFile(r Request) string {
	return filepath.Join(s.entryDir(r), r.Name)
}

// lockEntry takes the cross-process lock for r's cache entry. The lock file
// sits beside the entry directory rather than inside it, so that an entry
// directory only ever holds finished files and their temporaries. Lock files
// are never removed: deleting one while another process waits on it would
// let two processes hold "the" lock at once.
func (s *fetch) lockEntry(ctx context.Context, r Request) (unlock func(), err error) {
	dir := s.entryDir(r)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	return fsutil.Lock(ctx, dir+".lock")
}

// dropStale removes a cache entry that failed verification, under the
// entry's lock so that it cannot remove a good entry another process has just
// put in its place. If such a good entry is found, it is used.
func (s *fetch) dropStale(ctx context.Context, r Request, o outcome) outcome {
	unlock, err := s.lockEntry(ctx, r)
	if err != nil {
		o.err = err
		return o
	}
	defer unlock()
	p := s.entryFile(r)
	err = verifyFile(r, p, SourceCache)
	switch {
	case err == nil:
		return foundAt(r, p, SourceCache)
	case isMismatch(err):
		if err := os.Remove(p); err != nil {
			o.err = err
			return o
		}
		os.Remove(s.entryDir(r)) // only succeeds when empty
		s.logf("%s: removed bad cache entry %s", r.Name, p)
	case !errors.Is(err, os.ErrNotExist):
		o.err = err
	}
	return o
}

// CacheEntry is one file of the download cache.
type CacheEntry struct {
	SHA256 string    // the digest it was verified against (its path)
	Name   string    // the distribution file name
	Path   string    // the file
	Size   int64     // bytes
	Used   time.Time // last used
}

// CacheDebris is what interrupted writes left in the cache: temporaries
// of downloads killed half-way, and entry folders without a file.
type CacheDebris struct {
	Path string
	Size int64
}

// ListCache lists the download cache under cacheDir, by digest. A missing
// cache is empty.
func ListCache(cacheDir string) (entries []CacheEntry, debris []CacheDebris, err error) {
	root := filepath.Join(cacheDir, "artifacts", "sha256")
	shards, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("download cache: %w", err)
	}
	for _, sh := range shards {
		if !sh.IsDir() || len(sh.Name()) != 2 {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(root, sh.Name()))
		if err != nil {
			return nil, nil, fmt.Errorf("download cache: %w", err)
		}
		for _, d := range ents {
			if !d.IsDir() || !fetchpkg.IsSHA256(d.Name()) || d.Name()[:2] != sh.Name() {
				continue
			}
			dir := filepath.Join(root, sh.Name(), d.Name())
			files, err := os.ReadDir(dir)
			if err != nil {
				return nil, nil, fmt.Errorf("download cache: %w", err)
			}
			found := false
			for _, f := range files {
				p := filepath.Join(dir, f.Name())
				fi, err := f.Info()
				if err != nil {
					continue
				}
				if strings.HasPrefix(f.Name(), ".") || !fi.Mode().IsRegular() {
					debris = append(debris, CacheDebris{Path: p, Size: fi.Size()})
					continue
				}
				found = true
				entries = append(entries, CacheEntry{SHA256: d.Name(), Name: f.Name(), Path: p, Size: fi.Size(), Used: fi.ModTime()})
			}
			if !found && len(files) == 0 {
				debris = append(debris, CacheDebris{Path: dir})
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	return entries, debris, nil
}

// VerifyCacheEntry hashes the entry's file: it must have the digest its
// path names.
func VerifyCacheEntry(e CacheEntry) error {
	sum, _, err := fetchpkg.HashFile(e.Path)
	if err != nil {
		return err
	}
	if sum != e.SHA256 {
		return &HashMismatchError{Name: e.Name, Source: e.Path, Origin: SourceCache, Expected: e.SHA256, Actual: sum}
	}
	return nil
}

// RemoveCacheEntry removes an entry under its lock, as a reader would
// drop it, so that no download or read of the same digest is cut.
func RemoveCacheEntry(ctx context.Context, cacheDir string, e CacheEntry) error {
	s := &fetch{Fetcher: &Fetcher{}, cacheDir: cacheDir}
	r := Request{SHA256: e.SHA256, Name: e.Name}
	unlock, err := s.lockEntry(ctx, r)
	if err != nil {
		return err
	}
	defer unlock()
	if err := os.Remove(s.entryFile(r)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(s.entryDir(r)) // only when empty
	return nil
}

// RemoveCacheDebris removes what an interrupted write left, under the
// entry's lock: a temporary being written now is held by its writer, who
// holds the lock too.
func RemoveCacheDebris(ctx context.Context, d CacheDebris) error {
	dir := d.Path
	if filepath.Base(filepath.Dir(filepath.Dir(dir))) != "sha256" {
		dir = filepath.Dir(dir) // a temporary inside an entry folder
	}
	unlock, err := fsutil.Lock(ctx, dir+".lock")
	if err != nil {
		return err
	}
	defer unlock()
	if dir == d.Path {
		return os.Remove(dir) // an empty entry folder
	}
	if err := os.Remove(d.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	os.Remove(dir)
	return nil
}
