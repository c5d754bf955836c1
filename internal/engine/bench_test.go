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
//
// check and check --verify are measured against the same hashes checked by
// the venv's Python (BenchmarkPythonVerify).

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

// benchSynced is a plugin dir whose venv matches its 30-wheel lock.
func benchSynced(b *testing.B) (py string, opts engine.CheckOptions) {
	py, dir := benchSetup(b)
	sync := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true, Backend: engine.BackendPip}
	if _, err := testEngine(py).Sync(context.Background(), sync); err != nil {
		b.Fatal(err)
	}
	return py, engine.CheckOptions{Where: sync.Where, CacheDir: sync.CacheDir}
}

func benchCheck(b *testing.B, verify bool) {
	py, opts := benchSynced(b)
	opts.Verify = verify
	e := testEngine(py)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := e.Check(ctx, opts)
		if err != nil || !res.InSync || len(res.Damage) != 0 {
			b.Fatalf("%+v %v", res, err)
		}
	}
}

// BenchmarkCheck is the stat-only check: no file's content is read.
func BenchmarkCheck(b *testing.B) { benchCheck(b, false) }

// BenchmarkCheckVerify hashes every file the 30 RECORDs list and walks
// site-packages for files none owns (pip's own files included).
func BenchmarkCheckVerify(b *testing.B) { benchCheck(b, true) }

// BenchmarkPythonVerify is the baseline for --verify: the same hashes
// checked by the venv's own interpreter through importlib.metadata, as an
// operator would script it (it does not look for unowned files).
func BenchmarkPythonVerify(b *testing.B) {
	_, opts := benchSynced(b)
	const script = `
import base64, hashlib, importlib.metadata as md, sys
bad = 0
for d in md.distributions():
    for f in d.files or ():
        if f.hash is None:
            continue
        try:
            data = f.locate().read_bytes()
        except OSError:
            bad += 1
            continue
        h = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, data).digest()).rstrip(b"=").decode()
        if h != f.hash.value or (f.size is not None and f.size != len(data)):
            bad += 1
sys.exit(1 if bad else 0)
`
	python := filepath.Join(opts.Where.PluginDir, ".venv", "bin", "python")
	env := run.Env(os.Environ(), run.PythonEnv())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(python, "-I", "-c", script)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%v\n%s", err, out)
		}
	}
}
