package uvbin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// realUV returns the real uv binary named by INFLUX_PY_TEST_UV (a uv 0.6.14
// from a third-party npm package, a test peer only), or skips.
func realUV(t *testing.T) string {
	t.Helper()
	p := os.Getenv("INFLUX_PY_TEST_UV")
	if p == "" {
		t.Skip("INFLUX_PY_TEST_UV is not set: no real uv to test with (.ci/run fetches one)")
	}
	if _, err := os.Stat(p); err != nil {
		t.Skipf("INFLUX_PY_TEST_UV=%s: %v", p, err)
	}
	return p
}

func needPython(t *testing.T) string {
	t.Helper()
	return testpy.Minor(t, "3.11")
}

// realRelease serves the real uv in a release-layout archive and returns a
// Manager with a test pin table for it.
func realRelease(t *testing.T) (*Manager, *release, string) {
	t.Helper()
	bin := realUV(t)
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manager{Environ: []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}}
	out, err := m.versionOf(context.Background(), bin)
	if err != nil {
		t.Fatalf("real uv %s: %v", bin, err)
	}
	top := "uv-" + testTarget + "/"
	archive := buildTarGz(t, []member{
		{Name: top, Type: '5', Mode: 0o755},
		{Name: top + "uv", Body: string(data), Mode: 0o755},
		{Name: top + "uvx", Body: "#!/bin/sh\nexit 0\n", Mode: 0o755},
	})
	rel := newRelease(t)
	pin := testPin(testTarget, archive)
	rel.put(out.Version, pin.Archive, archive)
	m.CacheDir = t.TempDir()
	m.BaseURL = rel.URL
	m.HTTP = rel.Client()
	m.Runner = &run.Runner{}
	m.Pins = []Pin{pin}
	m.Version = out.Version
	m.Target = testTarget
	return m, rel, out.Version
}

// TestRealUVEndToEnd: download -> checksum -> extract -> uv --version ->
// cached, then a venv with pip, a hashed install, a refused wrong hash and
// an uninstall, all through the real uv.
func TestRealUVEndToEnd(t *testing.T) {
	m, rel, version := realRelease(t)
	python := needPython(t)
	ctx := context.Background()

	b, err := m.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != version || !b.Pinned || rel.gets.Load() != 1 {
		t.Fatalf("Ensure = %+v after %d requests", b, rel.gets.Load())
	}
	if _, err := m.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("real uv %s installed through the release path at %s", version, b.Path)
	if c, err := (&Manager{CacheDir: m.CacheDir, Pins: m.Pins, Version: m.Version, Target: m.Target, Offline: true}).Ensure(ctx); err != nil || c.Path != b.Path {
		t.Fatalf("offline Ensure from the cache = %+v, %v", c, err)
	}

	work := t.TempDir()
	venv := filepath.Join(work, "venv")
	var stderr strings.Builder
	be := &Backend{
		UV:       b,
		Runner:   m.Runner,
		Environ:  append(os.Environ(), "VIRTUAL_ENV=/nonexistent", "UV_INDEX_URL=http://127.0.0.1:9/simple"),
		Stderr:   &stderr,
		CacheDir: filepath.Join(venv, ".uv-cache"), // as the engine sets it
	}
	if err := be.Create(ctx, python, venv); err != nil {
		t.Fatalf("Create: %v\n%s", err, stderr.String())
	}
	vpy := venvPython(venv, "linux")
	py := func(args ...string) (string, error) {
		out, err := m.Runner.Run(ctx, run.Cmd{Path: vpy, Args: args, Env: run.Env(os.Environ(), run.PythonEnv())})
		return strings.TrimSpace(string(out)), err
	}
	if out, err := py("-m", "pip", "--version"); err != nil || !strings.HasPrefix(out, "pip ") {
		t.Fatalf("pip in the new venv: %q, %v", out, err)
	} else {
		t.Logf("new venv has %s", out)
	}

	wheels := filepath.Join(work, "wheels")
	os.MkdirAll(wheels, 0o755)
	spec := wheelbuild.Spec{Name: "influx-uv-probe", Version: "1.0", Files: map[string][]byte{
		"influx_uv_probe/__init__.py": []byte("VALUE = 'one'\n"),
	}}
	whl, err := wheelbuild.WriteFile(wheels, spec)
	if err != nil {
		t.Fatal(err)
	}
	whlData, _ := os.ReadFile(whl)
	req := func(hash string) string {
		p := filepath.Join(work, "req-"+hash[:8]+".txt")
		body := fmt.Sprintf("--find-links %s\n%s --hash=sha256:%s\n", wheels, whl, hash)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	good := req(sha(whlData))
	if err := be.Install(ctx, vpy, good); err != nil {
		t.Fatalf("Install: %v", err)
	}
	if out, err := py("-c", "import influx_uv_probe as m; print(m.VALUE)"); err != nil || out != "one" {
		t.Fatalf("import after install: %q, %v", out, err)
	}
	// Installing again reinstalls (the pip backend's --force-reinstall).
	if err := be.Install(ctx, vpy, good); err != nil {
		t.Fatalf("second Install: %v", err)
	}
	if !strings.Contains(stderr.String(), "~ influx-uv-probe==1.0") {
		t.Errorf("the second install did not reinstall:\n%s", stderr.String())
	}

	// A wrong hash is refused and changes nothing.
	bad := req(strings.Repeat("0", 64))
	err = be.Install(ctx, vpy, bad)
	var re *run.Error
	if !errors.As(err, &re) || !strings.Contains(strings.ToLower(re.Stderr), "hash") {
		t.Fatalf("Install with a wrong hash = %v, want uv's hash mismatch", err)
	}
	if out, err := py("-c", "import influx_uv_probe as m; print(m.VALUE)"); err != nil || out != "one" {
		t.Errorf("after the refused install: %q, %v", out, err)
	}

	if err := be.Uninstall(ctx, vpy, []string{"influx-uv-probe"}); err != nil {
		t.Fatalf("Uninstall: %v", err)
	}
	if _, err := py("-c", "import influx_uv_probe"); err == nil {
		t.Error("the distribution is still importable after Uninstall")
	}
	if out, err := py("-m", "pip", "--version"); err != nil {
		t.Errorf("pip gone after Uninstall: %q, %v", out, err)
	}
	// The uv cache is where the engine put it, not in the user's home.
	if _, err := os.Stat(filepath.Join(venv, ".uv-cache")); err != nil {
		t.Errorf("no uv cache in the venv: %v", err)
	}

	// Create over an existing venv replaces it (0.6.x needs no flag for it).
	if err := be.Create(ctx, python, venv); err != nil {
		t.Fatalf("Create over an existing venv: %v\n%s", err, stderr.String())
	}
	if out, err := py("-m", "pip", "--version"); err != nil {
		t.Errorf("pip after re-creating: %q, %v", out, err)
	}
}

// TestRealUVUseExisting accepts the real uv through --uv: older than the
// pin, so with a warning.
func TestRealUVUseExisting(t *testing.T) {
	bin := realUV(t)
	m := &Manager{Environ: []string{"PATH=/usr/bin:/bin"}}
	b, err := m.UseExisting(context.Background(), bin)
	if err != nil {
		t.Fatal(err)
	}
	if b.Pinned || b.Warning == "" || b.Version == Version {
		t.Errorf("UseExisting(real uv) = %+v", b)
	}
	t.Logf("real uv %s: %s", b.Version, b.Warning)
}

// TestRealUVRefusesTamperedArchive serves the real binary with one byte
// changed under the real binary's pin: nothing is extracted or run.
func TestRealUVRefusesTamperedArchive(t *testing.T) {
	m, rel, version := realRelease(t)
	data := rel.files["/"+version+"/"+m.Pins[0].Archive]
	tampered := append([]byte(nil), data...)
	tampered[len(tampered)/2] ^= 0xff
	rel.put(version, m.Pins[0].Archive, tampered)
	_, err := m.Ensure(context.Background())
	var ce *ChecksumError
	if !errors.As(err, &ce) {
		t.Fatalf("Ensure = %v, want a ChecksumError", err)
	}
	if m.Runner.Started.Load() != 0 {
		t.Error("something was run")
	}
	noEntry(t, m)
}
