package interp

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/run"
)

// probeScript is the Python program the probe runs. It is part of the cache
// key, so editing it invalidates every cached answer.
//
//go:embed probe.py
var probeScript string

// probeSchema is the version of the Info layout the script prints; an
// answer of another schema is not used.
const probeSchema = 2

// outputMarker starts the line of the script's output that holds the JSON,
// so that noise printed by a sitecustomize module cannot confuse decoding.
const outputMarker = "influx-py-probe:"

// ProbeError reports an interpreter that could not be probed: it does not
// exist, does not start, fails, or prints something that is not a probe
// answer.
type ProbeError struct {
	Python string // the interpreter as given to Probe
	Err    error
}

func (e *ProbeError) Error() string {
	return fmt.Sprintf("probe python interpreter %s: %v", e.Python, e.Err)
}

func (e *ProbeError) Unwrap() error { return e.Err }

// Prober runs and caches interpreter probes.
type Prober struct {
	// Runner starts the interpreter; nil means a zero run.Runner.
	Runner *run.Runner
	// CacheDir holds answers under CacheDir/probe/<key>.json; empty
	// disables the cache.
	CacheDir string
	// Environ is the environment the child's is built from (run.Env strips
	// what must not leak into it); nil means os.Environ().
	Environ []string
}

// Probe reports on the interpreter python: a path, or a bare name looked up
// in PATH.
//
// The answer is cached by the identity of the interpreter file (the path as
// invoked, then the symlink-resolved file's path, size, modification time
// and, on Linux and macOS, device, inode and change time), the probe
// script and its schema; a cached answer is also dropped when the real
// executable it names has changed since. A launcher script (a file starting
// with "#!", such as a pyenv shim) is never cached: which interpreter it
// starts can change without the file changing.
func (p *Prober) Probe(ctx context.Context, python string) (*Info, error) {
	fail := func(err error) (*Info, error) {
		return nil, &ProbeError{Python: python, Err: err}
	}
	invoked, err := resolvePython(python)
	if err != nil {
		return fail(err)
	}
	resolved, err := filepath.EvalSymlinks(invoked)
	if err != nil {
		return fail(err)
	}
	id, err := statID(resolved)
	if err != nil {
		return fail(err)
	}
	cacheable := p.CacheDir != "" && !isScript(resolved)
	var cacheFile string
	if cacheable {
		cacheFile = filepath.Join(p.CacheDir, "probe", cacheKey(invoked, id)+".json")
		if info := loadCached(cacheFile, invoked, id); info != nil {
			return info, nil
		}
	}
	runner := p.Runner
	if runner == nil {
		runner = &run.Runner{}
	}
	environ := p.Environ
	if environ == nil {
		environ = os.Environ()
	}
	// -I (isolated mode, Python 3.4+) keeps the user's site-packages,
	// PYTHON* variables and the current directory out of the answer.
	out, err := runner.Run(ctx, run.Cmd{
		Path:  invoked,
		Args:  []string{"-I", "-c", probeScript},
		Shown: []string{"-I", "-c", "<influx-py's interpreter probe>"},
		Env:   run.Env(environ, run.PythonEnv()),
	})
	if err != nil {
		return fail(childFailure(err))
	}
	info, err := DecodeOutput(out)
	if err != nil {
		return fail(err)
	}
	if cacheable {
		// A cache that cannot be written costs a probe next time, nothing
		// more; the answer itself is good.
		_ = storeCached(cacheFile, invoked, id, info)
	}
	return info, nil
}

// resolvePython makes python an absolute path: a bare name is looked up in
// PATH, a relative path is taken from the current directory.
func resolvePython(python string) (string, error) {
	if python == "" {
		return "", errors.New("empty interpreter name")
	}
	if !strings.ContainsRune(python, '/') && !strings.ContainsRune(python, filepath.Separator) {
		p, err := exec.LookPath(python)
		if err != nil {
			return "", err
		}
		python = p
	}
	return filepath.Abs(python)
}

// isScript reports whether the file starts with "#!".
func isScript(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	n, _ := io.ReadFull(f, b[:])
	return n == 2 && b[0] == '#' && b[1] == '!'
}

// childFailure says in one line why the probe did not run: the exit status
// and the last line of stderr (where Python puts its exception), with the
// probe's own text, which a program that is not Python may echo back, left
// out. A child that could not start, or was interrupted, is left as it is.
func childFailure(err error) error {
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode < 0 {
		return err
	}
	lines := strings.Split(strings.TrimSpace(re.Stderr), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if strings.Contains(last, "influx-py interpreter probe") || len(last) > 240 {
		last = "" // the probe's text echoed back
	}
	msg := fmt.Sprintf("it did not run the probe (exit status %d)", re.ExitCode)
	if last != "" {
		msg += ": " + last
	}
	return &childError{msg: msg, run: re}
}

// childError is a probe that failed, worded for the user, keeping the
// child's error for errors.As.
type childError struct {
	msg string
	run *run.Error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.run }

// DecodeOutput reads the probe script's answer from its stdout and checks
// that it is one: right schema, a version, an implementation, markers.
func DecodeOutput(out []byte) (*Info, error) {
	var line []byte
	for _, l := range bytes.Split(out, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(bytes.TrimRight(l, "\r"), []byte(outputMarker)); ok {
			line = rest
		}
	}
	if line == nil {
		if len(bytes.TrimSpace(out)) == 0 {
			return nil, errors.New("it is not a Python interpreter: it ran the probe and printed nothing")
		}
		return nil, fmt.Errorf("it is not a Python interpreter: it ran the probe and printed %q", abbreviate(out))
	}
	var info Info
	if err := json.Unmarshal(line, &info); err != nil {
		return nil, fmt.Errorf("decode probe answer: %w", err)
	}
	if err := info.check(); err != nil {
		return nil, err
	}
	return &info, nil
}

func (i *Info) check() error {
	switch {
	case i.Schema != probeSchema:
		return fmt.Errorf("probe answer has schema %d, want %d", i.Schema, probeSchema)
	case i.VersionInfo.Major <= 0:
		return errors.New("probe answer has no version")
	case i.Implementation == "":
		return errors.New("probe answer has no implementation name")
	case len(i.Markers) == 0:
		return errors.New("probe answer has no marker environment")
	}
	// Tag lists grow with these numbers; an absurd one would make Tags()
	// build millions of tags rather than fail.
	if v := i.VersionInfo; v.Major > 99 || v.Minor < 0 || v.Minor > 999 {
		return fmt.Errorf("probe answer has implausible version %d.%d", v.Major, v.Minor)
	}
	if i.Libc != nil {
		if m := leadingMajorMinor().FindStringSubmatch(i.Libc.Version); m != nil && (len(m[1]) > 1 || len(m[2]) > 3) {
			return fmt.Errorf("probe answer has implausible %s version %q", i.Libc.Name, i.Libc.Version)
		}
	}
	for _, v := range []*string{i.MacVersion, i.IOSVersion} {
		if v == nil {
			continue
		}
		if major, minor := majorMinor(*v); major < 0 || major > 99 || minor < 0 || minor > 99 {
			return fmt.Errorf("probe answer has implausible OS version %q", *v)
		}
	}
	if i.AndroidAPILevel != nil && (*i.AndroidAPILevel < 0 || *i.AndroidAPILevel > 1000) {
		return fmt.Errorf("probe answer has implausible Android API level %d", *i.AndroidAPILevel)
	}
	return nil
}

func abbreviate(b []byte) string {
	const limit = 200
	if len(b) > limit {
		return string(b[:limit]) + "..."
	}
	return string(b)
}

// fileID identifies the content of a file without reading it.
type fileID struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
	Dev     uint64 `json:"dev,omitempty"`
	Inode   uint64 `json:"inode,omitempty"`
	Ctime   int64  `json:"ctime_ns,omitempty"`
}

func statID(path string) (fileID, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileID{}, err
	}
	if !fi.Mode().IsRegular() {
		return fileID{}, fmt.Errorf("%s is not a regular file", path)
	}
	id := fileID{Path: path, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()}
	sysIdentity(fi, &id)
	return id, nil
}

func cacheKey(invoked string, id fileID) string {
	h := sha256.New()
	fmt.Fprintf(h, "influx-py interpreter probe\nschema %d\n", probeSchema)
	script := sha256.Sum256([]byte(probeScript))
	fmt.Fprintf(h, "script %x\ninvoked %q\n", script, invoked)
	fmt.Fprintf(h, "file %q %d %d %d %d %d\n", id.Path, id.Size, id.ModTime, id.Dev, id.Inode, id.Ctime)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// cacheEntry is one cached answer with what it was keyed on, checked again
// on load, and the identity of the real executable the answer names.
type cacheEntry struct {
	Invoked string `json:"invoked"`
	File    fileID `json:"file"`
	RealExe fileID `json:"real_executable"`
	Info    *Info  `json:"info"`
}

func loadCached(name, invoked string, id fileID) *Info {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	var e cacheEntry
	if json.Unmarshal(data, &e) != nil || e.Info == nil || e.Invoked != invoked || e.File != id || e.Info.check() != nil {
		return nil
	}
	// The interpreter that answered may be another file than the one
	// invoked (a wrapper, a venv's symlink); it must not have changed either.
	if now, err := statID(e.RealExe.Path); err != nil || now != e.RealExe {
		return nil
	}
	return e.Info
}

func storeCached(name, invoked string, id fileID, info *Info) error {
	realExe, err := statID(info.RealExecutable)
	if err != nil {
		return err
	}
	data, err := json.Marshal(cacheEntry{Invoked: invoked, File: id, RealExe: realExe, Info: info})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFile(name, data, 0o644)
}

// Identity is a short digest of the interpreter file python names (resolved
// as Probe resolves it), without starting it. A sync records it in the
// venv's stamp; a different value later means the interpreter was replaced
// or upgraded in place.
func Identity(python string) (string, error) {
	invoked, err := resolvePython(python)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(invoked)
	if err != nil {
		return "", err
	}
	id, err := statID(resolved)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "file %q %d %d %d %d %d\n", id.Path, id.Size, id.ModTime, id.Dev, id.Inode, id.Ctime)
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}
