package fsutil

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteFileNewAndExisting(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pylock.toml")
	if err := WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "one", 0o644)
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	// A rewrite keeps the file's mode: a 0600 lock stays 0600.
	if err := WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	assertFile(t, p, "two", 0o600)
	assertOnly(t, dir, "pylock.toml")
}

func TestWriteFileFollowsLinks(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "shared", "pylock.toml")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	// A relative link to a relative link.
	if err := os.Symlink("shared/pylock.toml", filepath.Join(dir, "mid.toml")); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "pylock.toml")
	if err := os.Symlink("mid.toml", link); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(link, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi, err)
	}
	assertFile(t, real, "new", 0o640)

	// A dangling link: its target is created.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink("shared/new.toml", dangling); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(dangling, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	assertFile(t, filepath.Join(dir, "shared", "new.toml"), "x", 0o644)

	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(loop, []byte("x"), 0o644); err == nil || !strings.Contains(err.Error(), "too many levels of symbolic links") {
		t.Fatalf("a link loop: %v", err)
	}
}

func TestWriteFileRefusesNonRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "d")
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(p, []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "is not a regular file") {
		t.Fatalf("err = %v", err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Fatal("the directory was touched")
	}
}

func TestFailedFillLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteFrom(p, 0o644, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	assertFile(t, p, "keep", 0o644)
	assertOnly(t, dir, "f")
}

// TestSweepKeepsLiveRemovesDead: a temporary file whose writer is running
// stays; one whose writer was killed is removed by the next write.
func TestSweepKeepsLiveRemovesDead(t *testing.T) {
	if !canLock {
		t.Skip("no flock on " + runtime.GOOS + ": temporary files are never swept")
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "stamp.json")

	// A writer in another process, killed with SIGKILL while it writes.
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), "FSUTIL_HELPER_TARGET="+target)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	deadTemp := strings.TrimSpace(line)
	if _, err := os.Stat(deadTemp); err != nil {
		t.Fatalf("the helper's temporary file: %v", err)
	}
	// While the helper lives, its file is not debris.
	SweepTemps(dir, TempPattern(target))
	if _, err := os.Stat(deadTemp); err != nil {
		t.Fatalf("a live writer's file was swept: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()

	// A live writer in this process.
	live, err := createLockedTemp(dir, TempPattern(target))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	// Unrelated files that only look alike stay.
	for _, n := range []string{".stamp.json.tmp", "stamp.json.tmp-1", ".other.tmp-1"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := WriteFile(target, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(deadTemp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the killed writer's temporary file is still there: %v", err)
	}
	assertOnly(t, dir, ".other.tmp-1", ".stamp.json.tmp", filepath.Base(live.Name()), "stamp.json", "stamp.json.tmp-1")
}

// TestHelperWriter is the writer TestSweepKeepsLiveRemovesDead kills.
func TestHelperWriter(t *testing.T) {
	target := os.Getenv("FSUTIL_HELPER_TARGET")
	if target == "" {
		t.Skip("a helper process, run by TestSweepKeepsLiveRemovesDead")
	}
	f, err := createLockedTemp(filepath.Dir(target), TempPattern(target))
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString(f.Name() + "\n")
	select {} // until killed
}

func TestFollowLink(t *testing.T) {
	dir := t.TempDir()
	if got, err := FollowLink(filepath.Join(dir, "absent")); err != nil || got != filepath.Join(dir, "absent") {
		t.Fatalf("absent: %q %v", got, err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	abs := filepath.Join(dir, "venvs", "plugins")
	if err := os.Symlink(abs, filepath.Join(dir, ".venv")); err != nil {
		t.Fatal(err)
	}
	if got, err := FollowLink(filepath.Join(dir, ".venv")); err != nil || got != abs {
		t.Fatalf("dangling absolute link: %q %v", got, err)
	}
}

func assertFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != content {
		t.Errorf("%s = %q, want %q", p, data, content)
	}
	if runtime.GOOS == "windows" {
		return
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != mode {
		t.Errorf("%s mode = %v, want %v", p, fi.Mode().Perm(), mode)
	}
}

func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}
