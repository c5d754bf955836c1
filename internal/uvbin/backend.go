package uvbin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/venv"
)

// Backend creates venvs and installs into them with uv. It implements the
// engine's Backend interface with the same contract as the pip fallback:
// pip is present in every venv it creates (the InfluxDB 3 server needs it),
// and installs use only the verified local files they are given, with
// hashes required and no dependency resolution.
type Backend struct {
	UV      *Binary
	Runner  *run.Runner
	Environ []string  // the parent environment the child's is built from
	Stderr  io.Writer // when set, uv's stderr is shown live (-v)
	// CacheDir is uv's cache. On the venv's filesystem, uv links files from
	// it instead of copying them. Empty means no persistent cache.
	CacheDir string
	// PipWheel is the pip wheel put into new venvs, normally the one the
	// interpreter bundles for ensurepip. Empty means look for it beside the
	// interpreter (FindPipWheel).
	PipWheel string
	// Compile writes bytecode at install (--compile-bytecode); uv's
	// default, and influx-py's, is not to.
	Compile bool
	// CopyFiles makes uv copy installed files from its cache rather than
	// try hard links first (a cache on another filesystem).
	CopyFiles bool
}

// Name identifies the backend in messages and the stamp.
func (b *Backend) Name() string { return "uv" }

// Create makes a venv at dir for python with `uv venv`, then installs pip
// into it from a local wheel, offline. dir is absent or an empty directory
// (the engine clears it first); what it holds is kept.
func (b *Backend) Create(ctx context.Context, python, dir string) error {
	if b.UV == nil {
		return errNoUV
	}
	abs, err := filepath.Abs(python)
	if err != nil {
		return fmt.Errorf("create venv %s with %s: %w", dir, python, err)
	}
	args, err := VenvArgs(b.UV.Version, abs, dir)
	if err != nil {
		return fmt.Errorf("create venv %s with %s: %w", dir, python, err)
	}
	if _, err := b.run(ctx, args); err != nil {
		return fmt.Errorf("create venv %s with %s: %w", dir, python, err)
	}
	wheel := b.PipWheel
	if wheel == "" {
		if wheel, err = FindPipWheel(abs, runtime.GOOS); err != nil {
			return fmt.Errorf("create venv %s: put pip in it: %w", dir, err)
		}
	}
	if !b.Compile {
		// pip's files unpacked in Go, as pip writes them: one uv process
		// fewer for every new venv.
		err := venv.SeedPipInto(wheel, dir)
		if err == nil {
			return nil
		}
		if !errors.Is(err, venv.ErrSeedUnsupported) {
			return fmt.Errorf("create venv %s: put pip in it: %w", dir, err)
		}
	}
	if _, err := b.run(ctx, PipSeedArgs(venvPython(dir, runtime.GOOS), wheel)); err != nil {
		return fmt.Errorf("create venv %s: put pip in it: %w", dir, err)
	}
	return nil
}

// Install installs the files named in requirements (local paths with
// --hash, and --find-links lines) into the venv whose interpreter is
// venvPython, replacing any installed version.
func (b *Backend) Install(ctx context.Context, venvPython, requirements string) error {
	args := InstallArgs(venvPython, requirements)
	if b.Compile {
		args = append(args, "--compile-bytecode")
	}
	if _, err := b.run(ctx, args); err != nil {
		return fmt.Errorf("uv pip install: %w", err)
	}
	return nil
}

// Build builds the source tree src into a wheel in outDir with `uv build`,
// for python: build isolation, build requirements from the find-links
// folders only, never an index.
func (b *Backend) Build(ctx context.Context, python, src, outDir string, findLinks []string) error {
	if _, err := b.run(ctx, BuildArgs(python, src, outDir, findLinks)); err != nil {
		return fmt.Errorf("uv build %s: %w", src, err)
	}
	return nil
}

// BuildArgs is the argv of Build.
func BuildArgs(python, src, outDir string, findLinks []string) []string {
	args := []string{"build", "--wheel", "--out-dir", outDir, "--python", python, "--no-index"}
	for _, fl := range findLinks {
		args = append(args, "--find-links", fl)
	}
	return append(args, src)
}

// Uninstall removes the named distributions from the venv.
func (b *Backend) Uninstall(ctx context.Context, venvPython string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := b.run(ctx, UninstallArgs(venvPython, names)); err != nil {
		return fmt.Errorf("uv pip uninstall: %w", err)
	}
	return nil
}

func (b *Backend) run(ctx context.Context, args []string) ([]byte, error) {
	if b.UV == nil || b.UV.Path == "" {
		return nil, errNoUV
	}
	r := b.Runner
	if r == nil {
		r = &run.Runner{}
	}
	env := Env(b.Environ, b.CacheDir)
	if b.CopyFiles {
		env = append(env, "UV_LINK_MODE=copy")
	}
	return r.Run(ctx, run.Cmd{
		Path:   b.UV.Path,
		Args:   args,
		Env:    env,
		Stderr: b.Stderr,
	})
}

// Env is the environment of every uv child: the parent's without anything
// that would redirect uv or Python (run.Env drops VIRTUAL_ENV and every
// UV_* and PIP_* variable), plus the settings that make uv use only what
// influx-py gives it: its own cache, no uv.toml or pyproject.toml settings
// from anywhere, and never a downloaded Python.
func Env(environ []string, cacheDir string) []string {
	o := run.PythonEnv()
	o["UV_NO_CONFIG"] = "1"
	o["UV_PYTHON_DOWNLOADS"] = "never"
	if cacheDir != "" {
		o["UV_CACHE_DIR"] = cacheDir
	} else {
		o["UV_NO_CACHE"] = "1"
	}
	return run.Env(environ, o)
}

// VenvArgs is the argv of `uv venv` for a uv of version uvVersion.
//
//   - --python is the absolute interpreter path, so uv looks for no other;
//     --no-python-downloads (with UV_PYTHON_DOWNLOADS=never) makes sure of it.
//   - --no-project stops uv from reading a pyproject.toml or .python-version
//     in the working directory.
//   - --no-cache: this step needs no cache, and a cache inside dir (the
//     engine may put it there) would make dir look like an existing
//     non-venv folder that uv refuses to replace.
//   - --allow-existing (every uv from 0.1.40): the engine hands over an
//     empty directory holding only its "creating" marker, which must
//     survive, so that a creation killed half-way is known for what it
//     is. Without it uv 0.8 and 0.9 ask, and 0.10 and later refuse, before
//     touching an existing directory (--clear would remove the marker).
func VenvArgs(uvVersion, python, dir string) ([]string, error) {
	if _, err := parseVersion(uvVersion); err != nil {
		return nil, fmt.Errorf("uv version: %w", err)
	}
	return []string{"venv", "--python", python, "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", dir}, nil
}

// PipSeedArgs is the argv that installs pip into a new venv from a local
// wheel, without an index or the network.
func PipSeedArgs(venvPython, wheel string) []string {
	return []string{"pip", "install", "--python", venvPython,
		"--offline", "--no-index", "--no-deps", "--", wheel}
}

// InstallArgs is the argv of an install from a hashed requirements file.
// --reinstall is pip's --force-reinstall: a distribution of the same
// version that came from another file is replaced. uv reads --find-links
// lines inside the requirements file itself.
func InstallArgs(venvPython, requirements string) []string {
	return []string{"pip", "install", "--python", venvPython,
		"--require-hashes", "--no-deps", "--offline", "--no-index", "--reinstall",
		"-r", requirements}
}

// UninstallArgs is the argv that removes names.
func UninstallArgs(venvPython string, names []string) []string {
	args := []string{"pip", "uninstall", "--python", venvPython, "--"}
	return append(args, names...)
}

// venvPython is the interpreter of the venv at dir.
func venvPython(dir, goos string) string {
	if goos == "windows" {
		return filepath.Join(dir, "Scripts", "python.exe")
	}
	return filepath.Join(dir, "bin", "python")
}

var pipWheelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pip-([0-9]+(?:\.[0-9]+)*)-py3-none-any\.whl$`) })

// FindPipWheel finds the pip wheel an interpreter ships, without running
// it: ensurepip's bundle (<prefix>/lib/pythonX.Y/ensurepip/_bundled, or
// <prefix>\Lib\ensurepip\_bundled on Windows), then Debian's
// <prefix>/share/python-wheels. The prefix is the parent of the folder
// holding the interpreter, after symlinks are followed. With several
// candidates the newest pip wins.
func FindPipWheel(python, goos string) (string, error) {
	resolved, err := filepath.EvalSymlinks(python)
	if err != nil {
		return "", fmt.Errorf("find pip wheel for %s: %w", python, err)
	}
	var patterns []string
	for _, exe := range uniq([]string{python, resolved}) {
		bin := filepath.Dir(exe)
		if goos == "windows" {
			patterns = append(patterns, filepath.Join(bin, "Lib", "ensurepip", "_bundled", "pip-*.whl"))
			continue
		}
		prefix := filepath.Dir(bin)
		lib := "python3.*"
		if mm := pythonMinorRE().FindString(filepath.Base(resolved)); mm != "" {
			lib = mm
		}
		patterns = append(patterns,
			filepath.Join(prefix, "lib", lib, "ensurepip", "_bundled", "pip-*.whl"),
			filepath.Join(prefix, "share", "python-wheels", "pip-*.whl"))
	}
	for _, pat := range patterns {
		matches, _ := filepath.Glob(pat)
		if best := newestPip(matches); best != "" {
			return best, nil
		}
	}
	return "", &NoPipWheelError{Python: python}
}

var pythonMinorRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^python[0-9]+\.[0-9]+$`) })

// NoPipWheelError says an interpreter ships no pip wheel (Debian without
// python3-venv / python3-pip-whl), so a venv made with uv cannot get pip
// offline.
type NoPipWheelError struct{ Python string }

func (e *NoPipWheelError) Error() string {
	return fmt.Sprintf("no pip wheel bundled with %s (ensurepip's _bundled folder or share/python-wheels)", e.Python)
}

// newestPip returns the path of the highest pip version among wheel paths.
func newestPip(paths []string) string {
	type cand struct {
		path string
		v    []int
	}
	var cs []cand
	for _, p := range paths {
		m := pipWheelRE().FindStringSubmatch(filepath.Base(p))
		if m == nil {
			continue
		}
		var v []int
		for _, s := range strings.Split(m[1], ".") {
			n, err := strconv.Atoi(s)
			if err != nil {
				n = 0
			}
			v = append(v, n)
		}
		cs = append(cs, cand{p, v})
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i].v, cs[j].v
		for k := 0; k < len(a) && k < len(b); k++ {
			if a[k] != b[k] {
				return a[k] > b[k]
			}
		}
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return cs[i].path < cs[j].path
	})
	return cs[0].path
}

func uniq(xs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// errNoUV guards against a Backend built without a binary.
var errNoUV = errors.New("uv backend has no uv binary")
