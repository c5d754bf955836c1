//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package fsutil

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// canLock says that tryLock can tell a live writer from a dead one. The
// lock is flock(2), the one lockedfile uses on these systems too; the
// kernel drops it when its process dies, however it dies.
const canLock = true

// renameWhileOpen: POSIX renames an open file.
const renameWhileOpen = true

func tryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, &fs.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}

// keepOwner gives the new file the old one's owner, when this process may
// (root rewriting a file the service user owns); otherwise it stays ours.
func keepOwner(f *os.File, old fs.FileInfo) {
	if st, ok := old.Sys().(*syscall.Stat_t); ok {
		f.Chown(int(st.Uid), int(st.Gid))
	}
}

// openNonBlock keeps an open of a FIFO from waiting for a writer.
const openNonBlock = syscall.O_NONBLOCK
