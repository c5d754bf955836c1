// Package fallback is the backend that needs nothing but the interpreter:
// the standard library's venv module creates the environment (with pip in
// it, which the InfluxDB 3 server requires), and that pip installs the
// verified local files.
package fallback

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/tags"
	"github.com/influx-py/influx-py/internal/venv"
)

// Pip creates venvs with `python -m venv` and changes them with the venv's
// own pip.
type Pip struct {
	Runner  *run.Runner
	Environ []string  // the parent environment the child's is built from
	Stderr  io.Writer // when set, children's stderr is shown live (-v)
	// PipWheel, when set, is the pip wheel that comes with the interpreter
	// (ensurepip's bundle). Create then installs only pip from it, run
	// straight from the wheel, instead of letting ensurepip install pip and,
	// before Python 3.12, setuptools that the sync would remove again.
	PipWheel string
	// Item, when set, is told of each file pip's install is at (its
	// "Processing" lines), for a progress display.
	Item func(name string)
	// Compile writes bytecode at install (pip's default; --compile). Off,
	// Python compiles each module on its first import instead, as after uv.
	Compile bool
}

// Name identifies the backend in messages and the stamp.
func (p *Pip) Name() string { return "pip" }

// Create makes a venv at dir with python's venv module. ensurepip inside the
// module installs the pip wheel bundled with the interpreter, so no index is
// contacted.
func (p *Pip) Create(ctx context.Context, python, dir string) error {
	if p.PipWheel == "" {
		if _, err := p.run(ctx, python, CreateArgs(dir)); err != nil {
			return fmt.Errorf("create venv %s with %s: %w", dir, python, err)
		}
		return nil
	}
	if _, err := p.run(ctx, python, CreateBareArgs(dir)); err != nil {
		return fmt.Errorf("create venv %s with %s: %w", dir, python, err)
	}
	if !p.Compile {
		// pip's own files, unpacked in Go as pip would write them: no
		// second pip process, and no seconds spent installing pip.
		err := venv.SeedPipInto(p.PipWheel, dir)
		if err == nil {
			return nil
		}
		if !errors.Is(err, venv.ErrSeedUnsupported) {
			return fmt.Errorf("put pip into venv %s from %s: %w", dir, p.PipWheel, err)
		}
	}
	if _, err := p.run(ctx, venvPython(dir), SeedArgs(p.PipWheel, p.Compile)); err != nil {
		return fmt.Errorf("put pip into venv %s from %s: %w", dir, p.PipWheel, err)
	}
	return nil
}

// venvPython is the interpreter of a venv this backend just made.
func venvPython(dir string) string {
	if runtime.GOOS == "windows" {
		return filepath.Join(dir, "Scripts", "python.exe")
	}
	return filepath.Join(dir, "bin", "python")
}

// Install installs the files named in requirements (a requirements file of
// local paths, each with --hash) into the venv whose interpreter is
// venvPython, replacing any installed version. It never resolves dependencies or contacts an index: the lock
// already chose every file, and each was verified before this call.
//
// Files of distributions the venv does not have yet (all of them, in a
// new venv) are installed by several pips at once, one per core, each
// given a share of the bytes: pip installs one file after another, and
// most of a cold sync through pip is that. They only add directories
// and files no one else touches (the engine refuses wheels that would
// write over each other) and, with --no-deps, look up nothing but their
// own names; a replacement, or pip itself, is installed by one pip.
func (p *Pip) Install(ctx context.Context, venvPython, requirements string) error {
	groups, err := p.split(venvPython, requirements)
	if err != nil {
		return err
	}
	if len(groups) <= 1 {
		return p.install(ctx, venvPython, requirements)
	}
	var mu sync.Mutex
	q := *p
	if p.Item != nil {
		q.Item = func(name string) { mu.Lock(); defer mu.Unlock(); p.Item(name) }
	}
	if p.Stderr != nil {
		q.Stderr = &lockedWriter{mu: &mu, w: p.Stderr}
	}
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, g := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = q.install(ctx, venvPython, g)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (p *Pip) install(ctx context.Context, venvPython, requirements string) error {
	c := run.Cmd{Path: venvPython, Args: InstallArgs(requirements, p.Compile), Env: run.Env(p.Environ, run.PythonEnv()), Stderr: p.Stderr}
	if p.Item != nil {
		c.Stdout = &lineWriter{line: func(l string) {
			// "Processing /x/a-1.0-py3-none-any.whl (from -r ...)"
			if f, ok := strings.CutPrefix(strings.TrimSpace(l), "Processing "); ok {
				if w := strings.Fields(f); len(w) > 0 {
					p.Item(filepath.Base(w[0]))
				}
			}
		}}
	}
	if _, err := p.Runner.Run(ctx, c); err != nil {
		return fmt.Errorf("pip install: %w", err)
	}
	return nil
}

// minPerJob is the fewest files worth a pip of their own: each pays
// about 0.3 s to start.
const minPerJob = 8

// split divides requirements into files of its own beside it, one per
// pip to run, balanced by installWeight; one group (the file itself) when the
// install is small, replaces something, installs pip, or has options
// other than --find-links.
func (p *Pip) split(venvPython, requirements string) ([]string, error) {
	data, err := os.ReadFile(requirements)
	if err != nil {
		// pip says what is wrong with it.
		return []string{requirements}, nil
	}
	type req struct {
		line   string
		weight int64
	}
	var opts []string
	var reqs []req
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if strings.HasPrefix(line, "--find-links ") {
			opts = append(opts, line)
			continue
		}
		path, _, ok := strings.Cut(line, " --hash=")
		if strings.HasPrefix(line, "-") || !ok {
			return []string{requirements}, nil
		}
		w, ok := installWeight(path)
		if !ok {
			return []string{requirements}, nil
		}
		reqs = append(reqs, req{line, w})
	}
	// GOMAXPROCS, not the machine's cores: it follows a container's CPU
	// limit.
	jobs := min(runtime.GOMAXPROCS(0), 4, len(reqs)/minPerJob)
	if jobs <= 1 {
		return []string{requirements}, nil
	}
	// <venv>/bin/python, <venv>\Scripts\python.exe
	site := venv.FindSitePackages(filepath.Dir(filepath.Dir(venvPython)), runtime.GOOS)
	installed, err := venv.InstalledNames(site)
	if site == "" || err != nil {
		return []string{requirements}, nil
	}
	for _, r := range reqs {
		path, _, _ := strings.Cut(r.line, " --hash=")
		w, err := tags.ParseWheelFilename(filepath.Base(path))
		if err != nil || w.Name == "pip" || installed[w.Name] {
			return []string{requirements}, nil
		}
	}
	// Heaviest first, each to the lightest group.
	sort.SliceStable(reqs, func(i, j int) bool { return reqs[i].weight > reqs[j].weight })
	lines := make([][]string, jobs)
	load := make([]int64, jobs)
	for _, r := range reqs {
		k := 0
		for i := range load {
			if load[i] < load[k] {
				k = i
			}
		}
		lines[k] = append(lines[k], r.line)
		load[k] += r.weight
	}
	var out []string
	for i, l := range lines {
		f := fmt.Sprintf("%s.%d", requirements, i+1)
		text := strings.Join(append(append([]string(nil), opts...), l...), "\n") + "\n"
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("pip install: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

// installWeight is how long pip takes over a wheel, in a unit of its
// own: pip's time goes to each member it writes (about a millisecond)
// more than to the bytes (a few milliseconds a megabyte).
func installWeight(path string) (int64, bool) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return 0, false
	}
	defer zr.Close()
	var w int64
	for _, f := range zr.File {
		w += 256<<10 + int64(f.UncompressedSize64)
	}
	return w, true
}

// lockedWriter serialises the writes of several children to one writer.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// lineWriter calls line for each complete line written to it.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	return len(b), nil
}

// Uninstall removes the named distributions from the venv.
func (p *Pip) Uninstall(ctx context.Context, venvPython string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := p.run(ctx, venvPython, UninstallArgs(names)); err != nil {
		return fmt.Errorf("pip uninstall: %w", err)
	}
	return nil
}

func (p *Pip) run(ctx context.Context, python string, args []string) ([]byte, error) {
	return p.Runner.Run(ctx, run.Cmd{
		Path:   python,
		Args:   args,
		Env:    run.Env(p.Environ, run.PythonEnv()),
		Stderr: p.Stderr,
	})
}

// CreateArgs is the argv (after the interpreter) that creates a venv.
func CreateArgs(dir string) []string {
	return []string{"-m", "venv", dir}
}

// CreateBareArgs makes a venv without pip, for SeedArgs to fill.
func CreateBareArgs(dir string) []string {
	return []string{"-m", "venv", "--without-pip", dir}
}

// SeedArgs installs pip into a venv by running pip from its own wheel (a
// wheel is importable as a zip: this is how ensurepip does it).
func SeedArgs(wheel string, compile bool) []string {
	args := []string{filepath.Join(wheel, "pip"), "--isolated", "--disable-pip-version-check", "--no-input",
		"install", "--no-index", "--no-deps", "--no-warn-script-location"}
	if !compile {
		args = append(args, "--no-compile")
	}
	return append(args, wheel)
}

// pipArgs are common to every pip call: --isolated makes pip ignore
// PIP_* variables and user/site configuration files, so what runs is exactly
// what influx-py asked for; the rest keep it quiet and non-interactive.
var pipArgs = []string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input"}

// InstallArgs is the argv of an install from a hashed requirements file.
// --force-reinstall makes pip replace a distribution of the same version
// that came from another file; with --no-deps it touches nothing else.
// Without compile, --no-compile: pip's bytecode compilation is most of the
// time it spends on small packages.
func InstallArgs(requirements string, compile bool) []string {
	args := append([]string(nil), pipArgs...)
	args = append(args, "install",
		"--no-deps", "--no-index", "--require-hashes", "--force-reinstall",
		"--no-warn-script-location")
	if !compile {
		args = append(args, "--no-compile")
	}
	return append(args, "-r", requirements)
}

// UninstallArgs is the argv that removes names.
func UninstallArgs(names []string) []string {
	args := append([]string(nil), pipArgs...)
	args = append(args, "uninstall", "-y")
	return append(args, names...)
}

// Build builds the source tree src (a project with a pyproject.toml or
// setup.py) into a wheel in outDir with pip, under python: build
// isolation, no dependencies, and build requirements from the find-links
// folders only, never an index.
func (p *Pip) Build(ctx context.Context, python, src, outDir string, findLinks []string) error {
	if _, err := p.run(ctx, python, BuildArgs(p.PipWheel, src, outDir, findLinks)); err != nil {
		return fmt.Errorf("build %s with pip: %w", src, err)
	}
	return nil
}

// BuildArgs is the argv (after the interpreter) of Build.
func BuildArgs(wheel, src, outDir string, findLinks []string) []string {
	args := append(pipPrefix(wheel), "wheel", "--no-deps", "--no-index", "--wheel-dir", outDir)
	for _, fl := range findLinks {
		args = append(args, "--find-links", fl)
	}
	return append(args, src)
}
