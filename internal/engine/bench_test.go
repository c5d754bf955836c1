package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// The benchmarks compare influx-py with plain pip on the same machine, in
// the same run: 30 small wheels into a new venv, and the no-op sync that
// runs before every server start.
//
//	go test ./internal/engine -run '^$' -bench . -benchtime 3x
//	INFLUX_PY_TEST_UV=/path/to/uv go test ./internal/engine -run '^$' -bench . -benchtime 3x

const benchWheels = 30

func benchSetup(b *testing.B) (py, dir string) {
	b.Helper()
	py = testPython(b)
	dir = b.TempDir()
	pluginDir(b, dir, wheelbuild.Many(benchWheels, "1.0"))
	return py, dir
}

func benchSync(b *testing.B, backend string) {
	py, dir := benchSetup(b)
	opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true, Backend: backend}
	if backend == engine.BackendUV {
		opts.UV = os.Getenv("INFLUX_PY_TEST_UV")
		if opts.UV == "" {
			b.Skip("INFLUX_PY_TEST_UV is not set")
		}
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(filepath.Join(dir, ".venv"))
		b.StartTimer()
		if _, err := testEngine(py).Sync(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFreshSyncPip: influx-py with the pip backend, new venv.
func BenchmarkFreshSyncPip(b *testing.B) { benchSync(b, engine.BackendPip) }

// BenchmarkFreshSyncUV: influx-py with a real uv, new venv.
func BenchmarkFreshSyncUV(b *testing.B) { benchSync(b, engine.BackendUV) }

// BenchmarkPlainPip is the baseline: python -m venv, then pip install of the
// same 30 files with hashes, as an operator would script it by hand.
func BenchmarkPlainPip(b *testing.B) {
	py, dir := benchSetup(b)
	matches, err := filepath.Glob(filepath.Join(dir, "wheels", "*.whl"))
	if err != nil || len(matches) != benchWheels {
		b.Fatalf("wheels: %v %v", matches, err)
	}
	env := run.Env(os.Environ(), run.PythonEnv())
	venvDir := filepath.Join(dir, ".venv")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(venvDir)
		b.StartTimer()
		for _, argv := range [][]string{
			{py, "-m", "venv", venvDir},
			append([]string{filepath.Join(venvDir, "bin", "python"), "-m", "pip", "--isolated", "install", "--no-index", "--no-deps"}, matches...),
		} {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = env
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%v: %v\n%s", argv, err, out)
			}
		}
	}
}

// BenchmarkNoOpSync is the cost of the sync before every server start once
// the venv matches: it reads the lock, the stamp and site-packages' listing
// and starts no process.
func BenchmarkNoOpSync(b *testing.B) {
	py, dir := benchSetup(b)
	opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true, Backend: engine.BackendPip}
	ctx := context.Background()
	if _, err := testEngine(py).Sync(ctx, opts); err != nil {
		b.Fatal(err)
	}
	e := testEngine(py)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := e.Sync(ctx, opts)
		if err != nil || !res.UpToDate {
			b.Fatalf("%+v %v", res, err)
		}
	}
	if n := e.Runner.Started.Load(); n != 0 {
		b.Fatalf("no-op sync started %d processes", n)
	}
}
