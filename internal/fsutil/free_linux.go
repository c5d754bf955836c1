package fsutil

import "syscall"

// FreeSpace is the space, in bytes, an unprivileged user may still write on
// the filesystem holding path. ok is false where it cannot be told.
func FreeSpace(path string) (free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
