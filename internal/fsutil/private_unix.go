//go:build unix

package fsutil

import (
	"fmt"
	"os"
	"syscall"
)

// PrivateDir makes sure dir exists and is this user's alone: created 0700,
// and refused when another user owns it or others may write to it, since
// what influx-py keeps there (interpreter probes, the uv binary, verified
// downloads) decides what it trusts and runs.
func PrivateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return &UnsafeDirError{Path: dir, Why: "it is not a directory"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return &UnsafeDirError{Path: dir, Why: fmt.Sprintf("it is owned by uid %d, not by this user (uid %d)", st.Uid, os.Geteuid())}
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return &UnsafeDirError{Path: dir, Why: fmt.Sprintf("others may write to it (mode %v)", fi.Mode().Perm())}
	}
	return nil
}
