// Package fallback is the backend that needs nothing but the interpreter:
// the standard library's venv module creates the environment (with pip in
// it, which the InfluxDB 3 server requires), and that pip installs the
// verified local files.
package fallback

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/influx-py/influx-py/internal/run"
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
func (p *Pip) Install(ctx context.Context, venvPython, requirements string) error {
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
