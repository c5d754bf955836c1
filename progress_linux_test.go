package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// openPTY opens a pseudo terminal: the master, read by the test, and the
// terminal a child writes to.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m, s
}

// syncOnTerminal runs a cold sync of dir with stderr on a pseudo terminal
// (or, with tty false, on a pipe) and returns what the terminal showed.
func syncOnTerminal(t *testing.T, bin, dir string, tty bool, extra ...string) (stderr, stdout string) {
	t.Helper()
	os.RemoveAll(filepath.Join(dir, ".venv"))
	cmd := exec.Command(bin, append([]string{"sync", "--offline", "--plugin-dir", dir, "--backend", "pip"}, extra...)...)
	cmd.Env = append(os.Environ(), "INFLUX_PY_CACHE_DIR="+filepath.Join(dir, "cache"), "TERM=xterm")
	var out, errBuf bytes.Buffer
	cmd.Stdout = &out
	if !tty {
		cmd.Stderr = &errBuf
		if err := cmd.Run(); err != nil {
			t.Fatalf("sync: %v\n%s", err, errBuf.String())
		}
		return errBuf.String(), out.String()
	}
	master, term := openPTY(t)
	defer master.Close()
	cmd.Stderr = term
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term.Close()
	var shown bytes.Buffer
	// Reading ends when the child's side closes (EIO on Linux).
	if _, err := io.Copy(&shown, master); err != nil && !errors.Is(err, syscall.EIO) {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("sync: %v\n%s", err, shown.String())
	}
	return shown.String(), out.String()
}

// TestProgressOnATerminal: a cold sync on a terminal shows its phases as
// they happen (verifying, creating the venv, installing with the package
// it is at), on one line redrawn in place and cleared at the end; on a
// pipe, or with -q or --no-progress, stderr has none of it.
func TestProgressOnATerminal(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3 on PATH")
	}
	bin, err := exec.LookPath("influx-py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wheels := filepath.Join(dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := wheelbuild.WriteAll(wheels, wheelbuild.Many(8, "1.0")); err != nil {
		t.Fatal(err)
	}
	add := exec.Command(bin, "add", "--offline", "--find-links", wheels, "--plugin-dir", dir, "--python", py, "--no-sync",
		"pkg01", "pkg02", "pkg03", "pkg04", "pkg05", "pkg06", "pkg07", "pkg08")
	add.Env = append(os.Environ(), "INFLUX_PY_CACHE_DIR="+filepath.Join(dir, "cache"))
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("add: %v\n%s", err, out)
	}

	shown, stdout := syncOnTerminal(t, bin, dir, true, "--python", py)
	if !strings.Contains(stdout, "synced ") {
		t.Errorf("stdout: %q", stdout)
	}
	for _, want := range []string{"verifying", "creating the venv", "installing", "pkg0", "/8", "\r"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the terminal never showed %q:\n%q", want, shown)
		}
	}
	// The last thing drawn clears the line: nothing of the bar is left.
	if last := shown[strings.LastIndex(shown, "\r")+1:]; strings.TrimSpace(last) != "" {
		t.Errorf("the bar was left on the terminal: %q", last)
	}

	for _, tc := range []struct {
		name  string
		tty   bool
		flags []string
	}{
		{"pipe", false, nil},
		{"-q", true, []string{"-q"}},
		{"--no-progress", true, []string{"--no-progress"}},
	} {
		shown, _ := syncOnTerminal(t, bin, dir, tc.tty, append([]string{"--python", py}, tc.flags...)...)
		if strings.Contains(shown, "installing") || strings.Contains(shown, "\r") {
			t.Errorf("%s: progress shown: %q", tc.name, shown)
		}
	}
}
