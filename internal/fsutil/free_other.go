//go:build !linux && !darwin

package fsutil

// FreeSpace is the space, in bytes, an unprivileged user may still write on
// the filesystem holding path. ok is false where it cannot be told, as
// here: the engine then installs without checking first.
func FreeSpace(path string) (free int64, ok bool) { return 0, false }
