package artifact

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// The cache is content-addressed: <CacheDir>/artifacts/sha256/<2 hex>/<hex>/<name>.
// An entry is written to a temporary file beside its final name and renamed
// only once verified, so a file at the final name is always complete. The
// digest in the path is what was verified; the name is kept so installers
// that read the wheel file name get it unchanged.

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
