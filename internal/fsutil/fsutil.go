// Package fsutil holds the file operations that must not leave a half-written
// file behind, nor debris that nothing removes.
package fsutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/lockedfile"
)

// tempInfix marks influx-py's temporary files: a write of NAME goes through
// ".NAME.tmp-RANDOM" in the same directory.
const tempInfix = ".tmp-"

// TempPattern is the os.CreateTemp pattern of the temporary files a write
// of name uses.
func TempPattern(name string) string {
	return "." + filepath.Base(name) + tempInfix + "*"
}

// WriteFile writes data to name atomically: into a temporary file in the same
// directory, synced, then renamed over name. A reader sees the old content or
// the new one, never a mix, and a crash leaves at most a temporary file that
// the next write of name removes.
//
// When name is a symbolic link, the file it points to is written and the
// link stays. An existing file keeps its permission bits (and, where the
// platform allows, its owner); perm applies to a new file only.
func WriteFile(name string, data []byte, perm os.FileMode) error {
	return WriteFrom(name, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFrom is WriteFile for content produced by a function.
func WriteFrom(name string, perm os.FileMode, fill func(io.Writer) error) (err error) {
	t, err := NewTemp(name, perm)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			t.Abort()
		}
	}()
	if err = fill(t.File()); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return t.Commit()
}

// Temp is a file being written that becomes name when committed, as
// WriteFile does it, for writers that need the file itself (a download
// written by path).
type Temp struct {
	name, target string
	perm         os.FileMode
	old          fs.FileInfo
	f            *os.File
}

// NewTemp starts a write of name: a locked temporary file beside the file
// name resolves to, after sweeping the temporaries of writes of it that
// were killed. perm applies when name does not exist yet.
func NewTemp(name string, perm os.FileMode) (*Temp, error) {
	target, err := FollowLink(name)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	t := &Temp{name: name, target: target, perm: perm}
	if fi, err := os.Stat(target); err == nil {
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("write %s: %s is not a regular file", name, target)
		}
		t.old, t.perm = fi, fi.Mode().Perm()
	}
	dir := filepath.Dir(target)
	SweepTemps(dir, TempPattern(target))
	if t.f, err = createLockedTemp(dir, TempPattern(target)); err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	return t, nil
}

// File is the open temporary file.
func (t *Temp) File() *os.File { return t.f }

// Path is the temporary file's path.
func (t *Temp) Path() string { return t.f.Name() }

// Abort removes the temporary file; name is left as it was.
func (t *Temp) Abort() {
	t.f.Close()
	os.Remove(t.f.Name())
}

// Commit makes the temporary file name: its mode set, synced, renamed.
func (t *Temp) Commit() (err error) {
	defer func() {
		if err != nil {
			t.Abort()
			err = fmt.Errorf("write %s: %w", t.name, err)
		}
	}()
	if err = t.f.Chmod(t.perm); err != nil {
		return err
	}
	if t.old != nil {
		keepOwner(t.f, t.old)
	}
	if err = t.f.Sync(); err != nil {
		return err
	}
	tmp := t.f.Name()
	if renameWhileOpen {
		// The temporary file stays locked until it has its final name, so
		// that no other process mistakes it for debris.
		if err = os.Rename(tmp, t.target); err != nil {
			return err
		}
		err = t.f.Close()
	} else {
		if err = t.f.Close(); err != nil {
			return err
		}
		err = os.Rename(tmp, t.target)
	}
	if err != nil {
		return err
	}
	syncDir(filepath.Dir(t.target))
	return nil
}

// FollowLink returns the path a chain of symbolic links at name ends at,
// whether or not that path exists. Intermediate directories are left as
// they are: only the last component decides what a rename or a removal of
// name would replace. A name that is not a link is returned unchanged.
func FollowLink(name string) (string, error) {
	p := name
	for range 40 {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(p), target)
		}
		p = target
	}
	return "", fmt.Errorf("%s: too many levels of symbolic links", name)
}

// createLockedTemp creates a temporary file that holds a lock for as long as
// it is open: SweepTemps removes only the temporary files whose writer has
// gone. A sweeper that got the new file in the instant between its creation
// and its locking has removed it; then another is made.
func createLockedTemp(dir, pattern string) (*os.File, error) {
	for range 8 {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		ok, err := tryLock(f)
		if err == nil && ok && samePath(f) {
			return f, nil
		}
		f.Close()
		if err != nil {
			os.Remove(f.Name())
			return nil, err
		}
	}
	return nil, errors.New("could not create a temporary file that stays put")
}

// samePath reports whether f's name still refers to f.
func samePath(f *os.File) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(f.Name())
	return err == nil && os.SameFile(a, b)
}

// SweepTemps removes the files in dir matching pattern (os.CreateTemp's
// syntax, as TempPattern gives it) whose writer is no longer running: a
// process killed in the middle of a write leaves its temporary file, and the
// next write of the same file removes it. A file another process is still
// writing is locked and left alone. Where locks are not available nothing is
// removed. Errors are ignored: sweeping is housekeeping.
func SweepTemps(dir, pattern string) {
	if !canLock {
		return
	}
	prefix, suffix, _ := strings.Cut(pattern, "*")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || len(n) < len(prefix)+len(suffix) || !strings.HasPrefix(n, prefix) || !strings.HasSuffix(n, suffix) {
			continue
		}
		removeIfAbandoned(filepath.Join(dir, n))
	}
}

func removeIfAbandoned(p string) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if ok, err := tryLock(f); err != nil || !ok {
		return
	}
	if samePath(f) {
		os.Remove(p)
	}
}

// syncDir makes a rename durable. Errors are ignored: some platforms and
// filesystems cannot fsync a directory, and the rename itself has succeeded.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}

// TryLockFile takes the lock lockedfile.Mutex takes on path, if no other
// process holds it, without waiting. ok is false when it is held, or when
// this platform cannot tell.
func TryLockFile(path string) (unlock func(), ok bool, err error) {
	if !canLock {
		return nil, false, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, false, err
	}
	if ok, err := tryLock(f); err != nil || !ok {
		f.Close()
		return nil, false, err
	}
	return func() { f.Close() }, true, nil
}

// Lock takes the cross-process lock lockedfile.Mutex takes on path, waiting
// for it until ctx is done. An attempt given up releases the lock as soon
// as it gets it.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	type locked struct {
		unlock func()
		err    error
	}
	ch := make(chan locked, 1)
	go func() {
		u, err := lockedfile.MutexAt(path).Lock()
		ch <- locked{u, err}
	}()
	select {
	case l := <-ch:
		return l.unlock, l.err
	case <-ctx.Done():
		go func() {
			if l := <-ch; l.err == nil {
				l.unlock()
			}
		}()
		return nil, ctx.Err()
	}
}

// UnsafeDirError refuses a directory another user could have put things in.
type UnsafeDirError struct {
	Path string
	Why  string
}

func (e *UnsafeDirError) Error() string {
	return fmt.Sprintf("%s cannot be trusted: %s", e.Path, e.Why)
}
