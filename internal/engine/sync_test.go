package engine_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/backends"
	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// testPython is a real interpreter for the sync tests, or a skip.
func testPython(t testing.TB) string {
	t.Helper()
	return testpy.Default(t)
}

// pluginDir writes wheels for specs into dir/wheels and a lock for them.
func pluginDir(t testing.TB, dir string, specs []wheelbuild.Spec) {
	t.Helper()
	wheels := filepath.Join(dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	l := &lockfile.Lock{LockVersion: "1.0", CreatedBy: "test"}
	for _, s := range specs {
		name, data, err := wheelbuild.Build(s)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wheels, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		size := int64(len(data))
		l.Packages = append(l.Packages, lockfile.Package{Name: s.Name, Version: s.Version, Wheels: []lockfile.File{{
			Name: name, Path: "wheels/" + name, Size: &size, Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])},
		}}})
	}
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "pylock.toml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func testEngine(python string) *engine.Engine {
	return &engine.Engine{
		Backends: backends.Real{},
		Runner:   &run.Runner{},
		Environ:  os.Environ(),
		Sys:      engine.HostSystem(exec.LookPath),
		Now:      func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) },
		Version:  "test",
	}
}

// TestSyncNoOpStartsNoProcess is the promise behind running sync before
// every server start: once the venv matches, sync and check start nothing.
func TestSyncNoOpStartsNoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv")
	}
	py := testPython(t)
	dir := t.TempDir()
	pluginDir(t, dir, wheelbuild.Many(3, "1.0"))
	opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true}
	ctx := context.Background()

	e := testEngine(py)
	res, err := e.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Create || len(res.Plan.Install) != 3 {
		t.Fatalf("first sync: create=%v plan=%+v", res.Create, res.Plan)
	}
	if n := e.Runner.Started.Load(); n < 3 {
		t.Fatalf("first sync started %d processes; want probe, venv and pip", n)
	}

	e = testEngine(py)
	res, err = e.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.UpToDate {
		t.Errorf("second sync not up to date: %+v", res)
	}
	if n := e.Runner.Started.Load(); n != 0 {
		t.Errorf("no-op sync started %d processes, want 0", n)
	}
	cres, err := e.Check(ctx, engine.CheckOptions{Where: opts.Where, CacheDir: opts.CacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if !cres.InSync {
		t.Errorf("check after sync: %+v", cres)
	}
	if n := e.Runner.Started.Load(); n != 0 {
		t.Errorf("check of a synced venv started %d processes, want 0", n)
	}

	// A change to site-packages behind influx-py's back ends the fast path.
	l := venv.NewLayout(filepath.Join(dir, ".venv"), "linux")
	st, err := venv.Inspect(l)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(st.SitePackages, "pkg02-1.0.dist-info")); err != nil {
		t.Fatal(err)
	}
	// check's slow path: the interpreter's probe is cached, so the one
	// process it starts is the server's own probe of the venv, pip
	// --version.
	e = testEngine(py)
	var started []string
	e.Runner.Intercept = func(_ int64, c run.Cmd, start func() ([]byte, error)) ([]byte, error) {
		started = append(started, run.CommandLine(filepath.Base(c.Path), c.Args))
		return start()
	}
	cres, err = e.Check(ctx, engine.CheckOptions{Where: opts.Where, CacheDir: opts.CacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if cres.InSync || len(cres.Plan.Install) != 1 || cres.Plan.Install[0].Name != "pkg02" {
		t.Errorf("check after removing pkg02 by hand: in sync %v, plan %+v", cres.InSync, cres.Plan)
	}
	if strings.Join(started, "; ") != "python -I -m pip --version" {
		t.Errorf("check's slow path started %q, want only the venv's pip probe", started)
	}
	res, err = e.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Install) != 1 {
		t.Errorf("repair plan: %+v", res.Plan)
	}

	// A lock edited without changing what it selects (a comment) refreshes
	// the stamp and installs nothing: no installer, no uv, no pip.
	lock := filepath.Join(dir, "pylock.toml")
	data, err := os.ReadFile(lock)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lock, append([]byte("# reviewed\n"), data...), 0o644); err != nil {
		t.Fatal(err)
	}
	e = testEngine(py)
	res, err = e.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.UpToDate || !res.Plan.Empty() || res.Backend != "pip" {
		t.Errorf("sync after a comment: up to date %v, plan %+v, backend %q", res.UpToDate, res.Plan, res.Backend)
	}
	if n := e.Runner.Started.Load(); n != 0 {
		t.Errorf("sync after a comment started %d processes, want 0", n)
	}
	if res, err := testEngine(py).Sync(ctx, opts); err != nil || !res.UpToDate {
		t.Errorf("the stamp was not refreshed: %+v %v", res, err)
	}
}

// TestSyncRepairsInterruptedInstall: a sync killed half-way leaves the
// installing marker; the next sync trusts nothing it did not verify and
// reinstalls to the exact lock state.
func TestSyncRepairsInterruptedInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv")
	}
	py := testPython(t)
	dir := t.TempDir()
	pluginDir(t, dir, wheelbuild.Many(2, "1.0"))
	opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true}
	ctx := context.Background()
	if _, err := testEngine(py).Sync(ctx, opts); err != nil {
		t.Fatal(err)
	}
	l := venv.NewLayout(filepath.Join(dir, ".venv"), "linux")
	if err := venv.MarkInstalling(l, "test"); err != nil {
		t.Fatal(err)
	}
	cres, err := testEngine(py).Check(ctx, engine.CheckOptions{Where: opts.Where, CacheDir: opts.CacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if cres.InSync {
		t.Fatal("check passed a venv with an interrupted install")
	}
	res, err := testEngine(py).Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Neither is vouched for by the stamp: each is reinstalled, or kept
	// when its files are the wheel's.
	if len(res.Plan.Replace)+len(res.Plan.Adopted) != 2 {
		t.Errorf("repair should reinstall or adopt both packages, plan %+v", res.Plan)
	}
	if ok, _ := venv.Installing(l); ok {
		t.Error("marker still present after a successful sync")
	}
	if res, err := testEngine(py).Sync(ctx, opts); err != nil || !res.UpToDate {
		t.Errorf("sync after repair: %+v, %v", res, err)
	}
}

// TestDryRunChangesNothing: --dry-run prints the plan and leaves the venv,
// its stamp and the lock as they were.
func TestDryRunChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv")
	}
	py := testPython(t)
	dir := t.TempDir()
	pluginDir(t, dir, wheelbuild.Many(2, "1.0"))
	opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true}
	ctx := context.Background()

	opts.DryRun = true
	res, err := testEngine(py).Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Create || len(res.Plan.Install) != 2 {
		t.Errorf("dry run plan: create %v, %+v", res.Create, res.Plan)
	}
	if _, err := os.Stat(filepath.Join(dir, ".venv")); !os.IsNotExist(err) {
		t.Fatalf("dry run created the venv: %v", err)
	}

	opts.DryRun = false
	if _, err := testEngine(py).Sync(ctx, opts); err != nil {
		t.Fatal(err)
	}
	pluginDir(t, dir, wheelbuild.Many(1, "2.0"))
	stamp, _ := os.ReadFile(filepath.Join(dir, ".venv", venv.StampFile))
	opts.DryRun = true
	e := testEngine(py)
	res, err = e.Sync(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan.Replace) != 1 || len(res.Plan.Remove) != 1 {
		t.Errorf("dry run plan after lock change: %+v", res.Plan)
	}
	after, _ := os.ReadFile(filepath.Join(dir, ".venv", venv.StampFile))
	if !bytes.Equal(stamp, after) {
		t.Error("dry run rewrote the stamp")
	}
	if n := e.Runner.Started.Load(); n != 0 {
		t.Errorf("dry run started %d processes (the probe is cached)", n)
	}
}
