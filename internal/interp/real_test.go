package interp

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/tags"
	"github.com/influx-py/influx-py/internal/testpy"
)

// realInterpreters lists the interpreters of this machine the tests run
// against: every pyenv CPython 3.6 .. 3.13 and /usr/bin/python3, those
// that exist.
func realInterpreters(t *testing.T) []string {
	t.Helper()
	var out []string
	found := testpy.Pyenv()
	for minor := 6; minor <= 13; minor++ {
		i, ok := found["3."+strconv.Itoa(minor)]
		switch {
		case !ok:
			t.Logf("skip Python 3.%d: not under pyenv's root", minor)
		case !isExecutable(i.Path):
			t.Logf("skip %s: not executable", i.Path)
		default:
			out = append(out, i.Path)
		}
	}
	if isExecutable("/usr/bin/python3") {
		out = append(out, "/usr/bin/python3")
	} else {
		t.Log("skip /usr/bin/python3: missing")
	}
	if len(out) == 0 {
		t.Skip("no Python interpreter found (pyenv versions 3.6..3.13, /usr/bin/python3)")
	}
	return out
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

func pythonEnv() []string { return run.Env(os.Environ(), run.PythonEnv()) }

// packagingScript reports what a copy of packaging computes in the running
// interpreter. argv: a directory to put first on sys.path ("" for none) and
// the module name of packaging in it.
const packagingScript = `
import importlib, json, os, sys
path, mod = sys.argv[1], sys.argv[2]
if path:
    sys.path.insert(0, path)
pkg = importlib.import_module(mod)
version = getattr(pkg, "__version__", None)
if version is None:
    version = importlib.import_module(mod + ".__about__").__version__
out = {"version": version, "file": pkg.__file__, "tags": None}
out["markers"] = importlib.import_module(mod + ".markers").default_environment()
try:
    t = importlib.import_module(mod + ".tags")
    if hasattr(t, "sys_tags"):
        out["tags"] = [str(x) for x in t.sys_tags()]
except ImportError:
    pass
print(json.dumps(out))
`

type packagingAnswer struct {
	Version string            `json:"version"`
	File    string            `json:"file"`
	Tags    []string          `json:"tags"`
	Markers map[string]string `json:"markers"`
}

// packagingCopy is a packaging that can be imported from dir as module.
type packagingCopy struct {
	dir, module, version string
}

func runPackaging(python string, c packagingCopy) (*packagingAnswer, error) {
	cmd := exec.Command(python, "-I", "-c", packagingScript, c.dir, c.module)
	cmd.Env = pythonEnv()
	out, err := cmd.Output()
	if err != nil {
		return nil, err
	}
	var a packagingAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// versionAtLeast compares the leading major.minor of a packaging version.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	ma, _ := strconv.Atoi(parts[0])
	mi := 0
	if len(parts) > 1 {
		mi, _ = strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	}
	return ma > major || ma == major && mi >= minor
}

// expectedFor is Supported(target) as a given packaging version orders it.
// tags.Supported follows packaging 26.3+; older releases differ in two
// documented ways that matter for CPython on Linux:
//   - before 26.3 the native linux_<arch> tags came after the manylinux and
//     musllinux ones (packaging issue 160);
//   - before 22.0 there was no cpXY-none-any tag (packaging issue 541).
func expectedFor(target tags.Target, version string) []string {
	plats := tags.Platforms(target)
	if !versionAtLeast(version, 26, 3) {
		var native, rest []string
		for _, p := range plats {
			if strings.HasPrefix(p, "linux_") {
				native = append(native, p)
			} else {
				rest = append(rest, p)
			}
		}
		plats = append(rest, native...)
	}
	var out []string
	for _, tg := range tags.SupportedOn(target, plats) {
		if !versionAtLeast(version, 22, 0) && tg.ABI == "none" && tg.Platform == "any" && strings.HasPrefix(tg.Interpreter, "cp") {
			continue
		}
		out = append(out, tg.String())
	}
	return out
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return "at " + strconv.Itoa(i) + ": " + a[i] + " vs " + b[i]
		}
	}
	return "lengths " + strconv.Itoa(len(a)) + " vs " + strconv.Itoa(len(b))
}

func TestProbeRealInterpreters(t *testing.T) {
	pythons := realInterpreters(t)
	cache := t.TempDir()
	runner := &run.Runner{}
	prober := &Prober{Runner: runner, CacheDir: cache, Environ: os.Environ()}
	ctx := context.Background()

	type result struct {
		info *Info
		own  *packagingAnswer // the interpreter's own pip's packaging
		err  error
	}
	results := make([]result, len(pythons))
	var wg sync.WaitGroup
	for i, py := range pythons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[i]
			r.info, r.err = prober.Probe(ctx, py)
			r.own, _ = runPackaging(py, packagingCopy{module: "pip._vendor.packaging"})
		}()
	}
	wg.Wait()
	if got := runner.Started.Load(); got != int64(len(pythons)) {
		t.Errorf("%d probe processes for %d interpreters", got, len(pythons))
	}

	// Every packaging copy found through the interpreters' pips, newest
	// first, plus INFLUX_PY_PACKAGING_SRC (a packaging source tree's "src"
	// folder) when set, to compare against a packaging with the current
	// ordering.
	var copies []packagingCopy
	seen := map[string]bool{}
	for _, r := range results {
		if r.own == nil {
			continue
		}
		// .../site-packages/pip/_vendor/packaging/__init__.py
		dir := filepath.Dir(filepath.Dir(filepath.Dir(filepath.Dir(r.own.File))))
		if !seen[dir] {
			seen[dir] = true
			copies = append(copies, packagingCopy{dir: dir, module: "pip._vendor.packaging", version: r.own.Version})
		}
	}
	if src := os.Getenv("INFLUX_PY_PACKAGING_SRC"); src != "" {
		a, err := runPackaging(pythons[len(pythons)-1], packagingCopy{dir: src, module: "packaging"})
		if err != nil {
			// Try the newest interpreter among the pyenv ones.
			for i := len(pythons) - 1; i >= 0 && err != nil; i-- {
				a, err = runPackaging(pythons[i], packagingCopy{dir: src, module: "packaging"})
			}
		}
		if err != nil {
			t.Errorf("INFLUX_PY_PACKAGING_SRC=%s: %v", src, err)
		} else {
			copies = append(copies, packagingCopy{dir: src, module: "packaging", version: a.Version})
		}
	}
	sort.SliceStable(copies, func(i, j int) bool {
		a, b := copies[i].version, copies[j].version
		return majorOf(a) > majorOf(b) || majorOf(a) == majorOf(b) && minorOf(a) > minorOf(b)
	})

	for i, py := range pythons {
		r := results[i]
		t.Run(py, func(t *testing.T) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			info := r.info
			checkVersion(t, py, info)
			target := info.Target()
			goTags := info.Tags()
			got := make([]string, len(goTags))
			for i, tg := range goTags {
				got[i] = tg.String()
			}

			compare := func(what string, a *packagingAnswer) bool {
				if !reflect.DeepEqual(info.MarkerVars(), a.Markers) {
					t.Errorf("markers differ from default_environment() of %s:\n go: %v\npy: %v", what, info.MarkerVars(), a.Markers)
				}
				if a.Tags == nil {
					t.Logf("%s has no tags.sys_tags() (pip 18 used its own pep425tags); tags not compared with it", what)
					return false
				}
				want := expectedFor(target, a.Version)
				if !reflect.DeepEqual(want, a.Tags) {
					t.Errorf("tags differ from sys_tags() of %s: %s", what, firstDiff(want, a.Tags))
					return false
				}
				if versionAtLeast(a.Version, 26, 3) {
					t.Logf("%d tags equal to sys_tags() of %s, same order", len(a.Tags), what)
				} else {
					t.Logf("%d tags equal to sys_tags() of %s, after its documented differences (Go gives %d in the 26.3 order)", len(a.Tags), what, len(got))
				}
				return true
			}
			if r.own == nil {
				t.Log("pip's packaging cannot be imported; own-pip comparison skipped")
			} else {
				compare("pip's packaging "+r.own.Version, r.own)
			}
			// The newest packaging that imports in this interpreter.
			for _, c := range copies {
				if r.own != nil && c.version == r.own.Version && c.module == "pip._vendor.packaging" {
					break // nothing newer than its own
				}
				a, err := runPackaging(py, c)
				if err != nil {
					continue // too new for this Python
				}
				compare("packaging "+a.Version+" ("+c.dir+")", a)
				break
			}

			// (d) A second probe is answered from the cache.
			before := runner.Started.Load()
			again, err := prober.Probe(ctx, py)
			if err != nil {
				t.Fatal(err)
			}
			if n := runner.Started.Load() - before; n != 0 {
				t.Errorf("second probe started %d processes", n)
			}
			if !reflect.DeepEqual(again, info) {
				t.Errorf("cached answer differs:\n%+v\n%+v", again, info)
			}
		})
	}
}

func majorOf(v string) int {
	n, _ := strconv.Atoi(strings.SplitN(v, ".", 2)[0])
	return n
}

func minorOf(v string) int {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(parts[1])
	return n
}

// checkVersion compares the probe's version with `python --version`.
func checkVersion(t *testing.T, py string, info *Info) {
	t.Helper()
	cmd := exec.Command(py, "--version")
	cmd.Env = pythonEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v", py, err)
	}
	want := strings.TrimPrefix(strings.TrimSpace(string(out)), "Python ")
	if info.FullVersion != want {
		t.Errorf("version %q, python --version says %q", info.FullVersion, want)
	}
	major, minor, patch := info.Version()
	if prefix := strconv.Itoa(major) + "." + strconv.Itoa(minor) + "." + strconv.Itoa(patch); !strings.HasPrefix(want, prefix) {
		t.Errorf("Version() = %s, python --version says %q", prefix, want)
	}
	if info.Markers["python_full_version"] != want {
		t.Errorf("python_full_version %q, want %q", info.Markers["python_full_version"], want)
	}
	if info.VenvPaths.Purelib == "" || filepath.IsAbs(info.VenvPaths.Purelib) || strings.HasPrefix(info.VenvPaths.Purelib, "..") {
		t.Errorf("venv purelib %q is not relative to the venv", info.VenvPaths.Purelib)
	}
	if want := "lib/python" + strconv.Itoa(major) + "." + strconv.Itoa(minor) + "/site-packages"; info.System == "Linux" && info.VenvPaths.Purelib != want {
		t.Errorf("venv purelib %q, want %q", info.VenvPaths.Purelib, want)
	}
}
