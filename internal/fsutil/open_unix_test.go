//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO in place of a file is refused at once: opening it for reading
// would wait for a writer forever.
func TestReadRegularRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "six-1.16.0-py2.py3-none-any.whl")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, err := ReadRegular(fifo, 0)
	var nr *NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "is a named pipe (FIFO), not a regular file") {
		t.Fatalf("err = %v", err)
	}
	// Through a symlink too.
	link := filepath.Join(dir, "link.whl")
	os.Symlink(fifo, link)
	if _, err := ReadRegular(link, 0); !errors.As(err, &nr) {
		t.Fatalf("through a link: %v", err)
	}
	if _, err := ReadRegular(dir, 0); err == nil || !strings.Contains(err.Error(), "is a directory, not a file") {
		t.Fatalf("a directory: %v", err)
	}
	big := filepath.Join(dir, "big")
	os.WriteFile(big, make([]byte, 100), 0o644)
	if _, err := ReadRegular(big, 99); err == nil || !strings.Contains(err.Error(), "more than the 99") {
		t.Fatalf("over the limit: %v", err)
	}
	if data, err := ReadRegular(big, 100); err != nil || len(data) != 100 {
		t.Fatalf("at the limit: %d %v", len(data), err)
	}
}
