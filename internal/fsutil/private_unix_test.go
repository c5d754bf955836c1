//go:build unix

package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivateDir(t *testing.T) {
	base := t.TempDir()
	fresh := filepath.Join(base, "a", "influx-py")
	if err := PrivateDir(fresh); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(fresh); fi.Mode().Perm() != 0o700 {
		t.Errorf("created with mode %v, want 0700", fi.Mode().Perm())
	}

	open := filepath.Join(base, "open")
	os.Mkdir(open, 0o777)
	os.Chmod(open, 0o777)
	var ue *UnsafeDirError
	if err := PrivateDir(open); !errors.As(err, &ue) || !strings.Contains(err.Error(), "others may write to it") {
		t.Errorf("world-writable: %v", err)
	}

	if os.Geteuid() != 0 {
		t.Log("not root: the test of a directory another user owns is skipped")
		return
	}
	theirs := filepath.Join(base, "theirs")
	os.Mkdir(theirs, 0o700)
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := PrivateDir(theirs); !errors.As(err, &ue) || !strings.Contains(err.Error(), "owned by uid 65534") {
		t.Errorf("another user's: %v", err)
	}
}
