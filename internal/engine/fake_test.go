package engine

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/resolve"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/wheel"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// The fakes below let the engine's decisions be tested without Python: an
// interpreter described by hand, and backends that make venvs and install
// wheels in Go, recording what they were asked.

// fakeInfo describes a CPython of version v ("3.12.1") on Linux x86_64.
func fakeInfo(v string) *interp.Info {
	var major, minor, patch int
	fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch)
	xy := fmt.Sprintf("%d.%d", major, minor)
	return &interp.Info{
		FullVersion:    v,
		VersionInfo:    interp.VersionInfo{Major: major, Minor: minor, Micro: patch, ReleaseLevel: "final"},
		Implementation: "cpython",
		Platform:       "linux-x86_64",
		System:         "Linux",
		Machine:        "x86_64",
		Is64Bit:        true,
		Libc:           &interp.Libc{Name: "glibc", Version: "2.36"},
		HasVenv:        true,
		VenvPaths:      interp.VenvPaths{Purelib: "lib/python" + xy + "/site-packages", Platlib: "lib/python" + xy + "/site-packages", Scripts: "bin", Data: "."},
		Markers: map[string]string{
			"python_version": xy, "python_full_version": v, "implementation_name": "cpython",
			"implementation_version": v, "platform_python_implementation": "CPython", "sys_platform": "linux",
			"os_name": "posix", "platform_system": "Linux", "platform_machine": "x86_64",
			"platform_release": "6.1", "platform_version": "#1",
		},
	}
}

// fakeBackends makes fakeBackends, and stands for uv: available unless
// uvErr says otherwise.
type fakeBackends struct {
	t        *testing.T
	base     string // the fake base interpreter's home (pyvenv.cfg's home)
	version  string // the Python version venvs are made for
	uvErr    error  // what FindUV returns; nil means uv is there
	mu       sync.Mutex
	calls    []string
	failNext map[string]error // a call ("create", "install", "uninstall") to fail, once
	// partial, with failNext["install"], is what the failed install leaves:
	// the first wheel's files without its RECORD.
	partial bool
}

type fakeUnavailable struct{ reason string }

func (e *fakeUnavailable) Error() string       { return "uv unavailable: " + e.reason }
func (e *fakeUnavailable) Unavailable() string { return e.reason }

func newFakeBackends(t *testing.T, version string) *fakeBackends {
	base := filepath.Join(t.TempDir(), "base", "bin")
	if err := os.MkdirAll(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return &fakeBackends{t: t, base: base, version: version, failNext: map[string]error{}}
}

func (f *fakeBackends) record(call string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
	verb, _, _ := strings.Cut(call, " ")
	if err, ok := f.failNext[verb]; ok {
		delete(f.failNext, verb)
		return err
	}
	return nil
}

func (f *fakeBackends) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fakeBackends) Pip(c BackendConfig) Backend { return &fakeBackend{f: f, name: "pip"} }
func (f *fakeBackends) UV(bin *UV, c BackendConfig) Backend {
	return &fakeBackend{f: f, name: "uv"}
}
func (f *fakeBackends) FindUV(ctx context.Context, o UVOptions, t Tools) (*UV, error) {
	if f.uvErr != nil {
		return nil, f.uvErr
	}
	return &UV{Path: "/fake/uv", Version: "0.12.18", Pinned: true}, nil
}
func (f *fakeBackends) CachedUV(ctx context.Context, o UVOptions, t Tools) (*UV, error) {
	return f.FindUV(ctx, o, t)
}
func (f *fakeBackends) VerifyUV(ctx context.Context, o UVOptions, t Tools) (*UV, error) {
	return f.FindUV(ctx, o, t)
}
func (f *fakeBackends) PinnedUV() string { return "0.12.18" }
func (f *fakeBackends) UVArchive(ctx context.Context, o UVOptions, t Tools, target, dir string) (*UVArchive, error) {
	return nil, errors.New("fake backends carry no uv archive")
}
func (f *fakeBackends) UVPins() map[string]string                                { return map[string]string{} }
func (f *fakeBackends) UVCache(o UVOptions, verify bool) ([]UVCacheEntry, error) { return nil, nil }
func (f *fakeBackends) RemoveUVCache(ctx context.Context, o UVOptions, e UVCacheEntry) error {
	return nil
}

type fakeBackend struct {
	f    *fakeBackends
	name string
}

func (b *fakeBackend) Name() string { return b.name }

// Create writes what a venv needs to pass for one: pyvenv.cfg, an
// interpreter file, site-packages, and pip.
func (b *fakeBackend) Create(ctx context.Context, python, dir string) error {
	if err := b.f.record("create " + filepath.Base(dir)); err != nil {
		return err
	}
	xy := b.f.version[:strings.LastIndexByte(b.f.version, '.')]
	site := filepath.Join(dir, "lib", "python"+xy, "site-packages")
	for _, d := range []string{filepath.Join(dir, "bin"), site} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf("home = %s\ninclude-system-site-packages = false\nversion = %s\n", b.f.base, b.f.version)
	files := map[string]string{
		filepath.Join(dir, "pyvenv.cfg"):                              cfg,
		filepath.Join(dir, "bin", "python"):                           "#!/bin/false\n",
		filepath.Join(dir, "bin", "activate"):                         "# activate\n",
		filepath.Join(site, "pip", "__init__.py"):                     "__version__ = '24.0'\n",
		filepath.Join(site, "pip-24.0.dist-info", "METADATA"):         "Metadata-Version: 2.1\nName: pip\nVersion: 24.0\n",
		filepath.Join(site, "pip-24.0.dist-info", "INSTALLER"):        b.name + "\n",
		filepath.Join(site, "pip-24.0.dist-info", "RECORD"):           "pip/__init__.py,sha256=x,21\npip-24.0.dist-info/METADATA,,\npip-24.0.dist-info/RECORD,,\n",
		filepath.Join(site, "pip-24.0.dist-info", "entry_points.txt"): "",
	}
	for p, data := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Install unpacks each wheel named in the requirements file into
// site-packages and writes its RECORD from the wheel's own, as an
// installer does.
func (b *fakeBackend) Install(ctx context.Context, venvPython, requirements string) error {
	paths, err := requirementPaths(requirements)
	if err != nil {
		return err
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	if err := b.f.record("install " + strings.Join(names, " ")); err != nil {
		if b.f.partial && len(paths) > 0 {
			site := sitePackagesOf(venvPython)
			unpack(paths[0], site, false)
		}
		return err
	}
	site := sitePackagesOf(venvPython)
	for _, p := range paths {
		if err := unpack(p, site, true); err != nil {
			return err
		}
	}
	return nil
}

func (b *fakeBackend) Uninstall(ctx context.Context, venvPython string, names []string) error {
	if err := b.f.record("uninstall " + strings.Join(names, " ")); err != nil {
		return err
	}
	site := sitePackagesOf(venvPython)
	entries, _ := os.ReadDir(site)
	for _, e := range entries {
		for _, n := range names {
			if strings.HasPrefix(strings.ToLower(e.Name()), strings.ReplaceAll(n, "-", "_")+"-") && strings.HasSuffix(e.Name(), ".dist-info") {
				rec, _ := os.ReadFile(filepath.Join(site, e.Name(), "RECORD"))
				for _, line := range strings.Split(string(rec), "\n") {
					if p, _, _ := strings.Cut(line, ","); p != "" {
						os.Remove(filepath.Join(site, p))
					}
				}
				os.RemoveAll(filepath.Join(site, e.Name()))
			}
		}
	}
	return nil
}

func (b *fakeBackend) Build(ctx context.Context, python, src, outDir string, findLinks []string) error {
	return errors.New("the fake backend builds nothing")
}

func (b *fakeBackend) Resolve(ctx context.Context, req resolve.Request) ([]resolve.Pin, error) {
	return nil, errors.New("the fake backend does not resolve")
}

func sitePackagesOf(venvPython string) string {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(filepath.Dir(venvPython)), "lib", "python*", "site-packages"))
	if len(m) == 0 {
		return ""
	}
	return m[0]
}

func requirementPaths(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "--find-links") {
			continue
		}
		p, _, _ := strings.Cut(line, " --hash=")
		out = append(out, p)
	}
	return out, sc.Err()
}

// unpack writes a wheel's files into site-packages; with record, also its
// INSTALLER and RECORD (the wheel's own RECORD, as the installer would
// write it).
func unpack(wheelPath, site string, record bool) error {
	zr, err := zip.OpenReader(wheelPath)
	if err != nil {
		return err
	}
	defer zr.Close()
	c, err := wheel.Inspect(wheelPath)
	if err != nil {
		return err
	}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") || (!record && strings.HasSuffix(zf.Name, "/RECORD")) {
			continue
		}
		dst := filepath.Join(site, filepath.FromSlash(zf.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		r, err := zf.Open()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return err
		}
	}
	if record {
		return os.WriteFile(filepath.Join(site, c.DistInfo, "INSTALLER"), []byte("fake\n"), 0o644)
	}
	return nil
}

// fakeWorld is a plugin dir with a lock over some wheels, an engine wired
// to the fakes, and a runner that starts no process: the venv's pip probe
// answers as pipBroken says.
type fakeWorld struct {
	t         *testing.T
	dir       string
	be        *fakeBackends
	e         *Engine
	info      *interp.Info
	pipBroken bool
	children  []string
}

func newFakeWorld(t *testing.T, version string, specs []wheelbuild.Spec) *fakeWorld {
	t.Helper()
	w := &fakeWorld{t: t, dir: t.TempDir(), be: newFakeBackends(t, version), info: fakeInfo(version)}
	if err := os.WriteFile(filepath.Join(w.dir, "python3"), []byte("#!/bin/false\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	w.writeLock(specs)
	w.e = w.engine()
	return w
}

// engine is a fresh engine (as for a new run of influx-py) on the fakes.
func (w *fakeWorld) engine() *Engine {
	w.children = nil
	r := &run.Runner{}
	r.Intercept = func(n int64, c run.Cmd, start func() ([]byte, error)) ([]byte, error) {
		w.children = append(w.children, filepath.Base(c.Path)+" "+strings.Join(c.Args, " "))
		if w.pipBroken {
			return nil, &run.Error{Cmd: c.Path, ExitCode: 1, Stderr: "ModuleNotFoundError: No module named 'pip'\n", Err: errors.New("exit status 1")}
		}
		return []byte("pip 24.0\n"), nil
	}
	return &Engine{
		Backends: w.be,
		Probe: func(ctx context.Context, cacheDir, python string) (*interp.Info, error) {
			return w.info, nil
		},
		Runner:  r,
		Environ: []string{"PATH=/usr/bin:/bin"},
		Sys:     HostSystem(func(string) (string, error) { return "", os.ErrNotExist }),
		Now:     func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) },
		Version: "test",
	}
}

// upgrade makes the interpreter another Python: its file changes (so does
// its identity) and its probe says v.
func (w *fakeWorld) upgrade(v string) {
	w.t.Helper()
	w.be.version, w.info = v, fakeInfo(v)
	if err := os.WriteFile(filepath.Join(w.dir, "python3"), []byte("#!/bin/false\n# "+v+"\n"), 0o755); err != nil {
		w.t.Fatal(err)
	}
}

func (w *fakeWorld) writeLock(specs []wheelbuild.Spec) {
	w.t.Helper()
	wheels := filepath.Join(w.dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		w.t.Fatal(err)
	}
	l := &lockfile.Lock{LockVersion: "1.0", CreatedBy: "test"}
	for _, s := range specs {
		name, data, err := wheelbuild.Build(s)
		if err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wheels, name), data, 0o644); err != nil {
			w.t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		size := int64(len(data))
		l.Packages = append(l.Packages, lockfile.Package{Name: s.Name, Version: s.Version, Wheels: []lockfile.File{{
			Name: name, Path: "wheels/" + name, Size: &size, Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])},
		}}})
	}
	data, err := l.Marshal()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.dir, "pylock.toml"), data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

func (w *fakeWorld) opts(backend string) SyncOptions {
	return SyncOptions{Where: Where{PluginDir: w.dir, Python: filepath.Join(w.dir, "python3")}, CacheDir: filepath.Join(w.dir, "cache"), Offline: true, Backend: backend}
}

func (w *fakeWorld) sync(backend string) (*SyncResult, error) {
	return w.e.Sync(context.Background(), w.opts(backend))
}

func (w *fakeWorld) venv() string { return filepath.Join(w.dir, ".venv") }

// siblings lists what is beside the venv (old venvs, scratch dirs).
func (w *fakeWorld) siblings() []string {
	entries, _ := os.ReadDir(w.dir)
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".venv.") && e.Name() != ".venv.lock" {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
