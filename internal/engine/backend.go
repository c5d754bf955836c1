package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/resolve"
	"github.com/influx-py/influx-py/internal/run"
)

// Backend names accepted by --backend.
const (
	BackendAuto = "auto"
	BackendUV   = "uv"
	BackendPip  = "pip"
)

// Installer creates venvs and changes what is installed in them. Every
// implementation keeps one contract: pip is in every venv it creates (the
// InfluxDB 3 server needs it), and installs use only the verified local
// files they are given, hashes required, no dependency resolution.
type Installer interface {
	Name() string
	// Create makes a new venv at dir with python, with pip inside. dir is
	// an empty directory (holding only influx-py's marker, which must stay).
	Create(ctx context.Context, python, dir string) error
	// Install installs the local files named in a requirements file (one
	// path per line, each with --hash=sha256:...), without dependencies and
	// without an index, reinstalling any that are already present.
	Install(ctx context.Context, venvPython, requirements string) error
	// Uninstall removes the named distributions.
	Uninstall(ctx context.Context, venvPython string, names []string) error
}

// Resolver pins requirements, with every transitive dependency, for one
// interpreter.
type Resolver interface {
	Resolve(ctx context.Context, req resolve.Request) ([]resolve.Pin, error)
}

// Builder builds a source tree into a wheel (directory and vcs sources,
// --allow-build).
type Builder interface {
	// Build builds the project at src into one wheel in outDir, for the
	// interpreter python, taking build requirements from findLinks only.
	Build(ctx context.Context, python, src, outDir string, findLinks []string) error
}

// Backend installs, resolves and builds: the pip fallback and uv are each
// one.
type Backend interface {
	Installer
	Resolver
	Builder
}

// Tools are the engine's means a backend or uv's manager uses.
type Tools struct {
	Runner   *run.Runner
	HTTP     *http.Client
	Environ  []string  // the environment children's are built from
	Log      io.Writer // -v diagnostics; may be nil
	Stderr   io.Writer // children's stderr, live (-v); may be nil
	Progress func(name string, total int64) io.Writer
	// Item, when set, is told of each package an install is at, for the
	// progress display.
	Item func(name string)
}

// BackendConfig is what one backend is made with.
type BackendConfig struct {
	Tools
	// PipWheel is the pip wheel new venvs get (the interpreter's own).
	PipWheel string
	// UVCache is uv's own cache: inside the venv for installs (so that uv
	// hard-links files from it), under influx-py's cache for resolution.
	UVCache string
	// Compile writes bytecode at install (--compile).
	Compile bool
	// UVCacheElsewhere says UVCache is not on the venv's filesystem.
	UVCacheElsewhere bool
}

// UV is a uv binary a backend may run.
type UV struct {
	Path    string
	Version string
	Target  string
	Pinned  bool   // the version influx-py pins
	Warning string // set when it is not the pinned version
}

// UVOptions say where uv comes from.
type UVOptions struct {
	Path     string // --uv: use this uv instead of the pinned one
	Mirror   string // --uv-mirror: base URL replacing uv's release host
	CacheDir string // where the pinned uv is kept (the --cache-dir)
	Offline  bool
	// Archives are local folders holding pinned release archives as
	// <dir>/<version>/<archive>: a wheelhouse's uv/ folder. What is found
	// there is used before a download, and offline.
	Archives []string
}

// UVArchive is a pinned uv release archive put into a wheelhouse.
type UVArchive struct {
	Version string `json:"version"`
	Target  string `json:"target"`
	Name    string `json:"name"` // the archive's file name
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	Path    string `json:"-"` // where it now is
}

// UVCacheEntry is one uv in the cache.
type UVCacheEntry struct {
	Version string
	Target  string
	Path    string
	Size    int64
	Used    time.Time
	Pinned  bool
	Problem string
}

// uvArchives are the uv/ folders of the --find-links folders: a wheelhouse
// passed as --find-links carries uv with it.
func uvArchives(findLinks []string) []string {
	var out []string
	for _, d := range findLinks {
		switch {
		case fetch.IsRemote(d):
			out = append(out, fetch.Join(d, WheelhouseUVDir))
		case !strings.Contains(d, "://"):
			out = append(out, filepath.Join(d, WheelhouseUVDir))
		}
	}
	return out
}

// Backends makes the backends and finds the uv they may use. The engine
// owns this interface and is handed an implementation: main wires the pip
// fallback and the pinned uv in (package backends), tests give fakes.
//
// An error meaning "uv cannot be had" (offline without a cached uv, a
// release host that is unreachable or answers 404) has a method
// Unavailable() string giving the reason: only that lets --backend auto
// fall back to pip.
type Backends interface {
	Pip(c BackendConfig) Backend
	UV(bin *UV, c BackendConfig) Backend
	// FindUV is --uv when given, else the pinned uv from the cache,
	// downloaded and verified when it is not there (unless offline).
	FindUV(ctx context.Context, o UVOptions, t Tools) (*UV, error)
	// CachedUV is the pinned uv from the cache, hashed again: no network
	// and no process.
	CachedUV(ctx context.Context, o UVOptions, t Tools) (*UV, error)
	// VerifyUV is CachedUV, then runs it.
	VerifyUV(ctx context.Context, o UVOptions, t Tools) (*UV, error)
	// PinnedUV is the version of uv influx-py pins.
	PinnedUV() string
	// UVArchive puts the pinned release archive for target (a uv target
	// triple; "" for this machine) into dir as <dir>/<version>/<archive>,
	// verified against the pin, from o.Archives or a download.
	UVArchive(ctx context.Context, o UVOptions, t Tools, target, dir string) (*UVArchive, error)
	// UVPins are the pinned archives' sha256 by uv target triple.
	UVPins() map[string]string
	// UVCache lists the uvs in o.CacheDir; with verify, each pinned one is
	// hashed again and each other marked with its Problem.
	UVCache(o UVOptions, verify bool) ([]UVCacheEntry, error)
	// RemoveUVCache removes one entry UVCache listed, under its lock.
	RemoveUVCache(ctx context.Context, o UVOptions, e UVCacheEntry) error
}

// unavailable says why uv cannot be had, when err means that.
func unavailable(err error) (string, bool) {
	var u interface{ Unavailable() string }
	if errors.As(err, &u) {
		return u.Unavailable(), true
	}
	return "", false
}

// UVUnavailableError says why uv cannot be used for this interpreter.
type UVUnavailableError struct{ Reason string }

func (e *UVUnavailableError) Error() string       { return "uv unavailable: " + e.Reason }
func (e *UVUnavailableError) Unavailable() string { return e.Reason }

func (e *Engine) tools() Tools {
	return Tools{Runner: e.Runner, HTTP: e.HTTP, Environ: e.Environ, Log: e.Log, Stderr: e.ChildStderr, Progress: e.Progress, Item: e.item}
}

func (e *Engine) backends() (Backends, error) {
	if e.Backends == nil {
		return nil, errors.New("internal error: no backends wired into the engine")
	}
	return e.Backends, nil
}

// FindUV returns the uv that a sync would use: --uv when given, else the
// pinned one, from the cache or (unless offline) downloaded and verified.
func (e *Engine) FindUV(ctx context.Context, o UVOptions) (*UV, error) {
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	if err := e.trustCache(o.CacheDir); err != nil {
		return nil, err
	}
	return b.FindUV(ctx, o, e.tools())
}

// CachedUV returns the pinned uv from the cache without running it.
func (e *Engine) CachedUV(ctx context.Context, o UVOptions) (*UV, error) {
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	if err := e.trustCache(o.CacheDir); err != nil {
		return nil, err
	}
	return b.CachedUV(ctx, o, e.tools())
}

// VerifyUV hashes the cached uv again and runs it.
func (e *Engine) VerifyUV(ctx context.Context, o UVOptions) (*UV, error) {
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	if err := e.trustCache(o.CacheDir); err != nil {
		return nil, err
	}
	return b.VerifyUV(ctx, o, e.tools())
}

// PinnedUV is the version of uv influx-py pins.
func (e *Engine) PinnedUV() string {
	if e.Backends == nil {
		return ""
	}
	return e.Backends.PinnedUV()
}

// chooseBackend picks the backend for a sync and says why. With auto, uv is
// used when it can be had; only "uv is unavailable" falls back to pip: a
// checksum mismatch or a uv that fails is an error, never a silent switch.
//
// uvCache is uv's own cache. tmp, when set, is where the backend's children
// keep their temporary files (TMPDIR): in the venv's scratch dir, so that
// what a killed pip or uv leaves there is removed by the next run that
// takes the venv lock.
func (e *Engine) chooseBackend(ctx context.Context, name string, o UVOptions, uvCache, tmp string, info *interp.Info, compile, cacheElsewhere bool) (Backend, string, error) {
	return e.chooseBackendWith(ctx, name, o, uvCache, tmp, "", info, compile, cacheElsewhere)
}

// chooseBackendWith is chooseBackend whose children read credentials from
// the netrc file given (NETRC), when it is set.
func (e *Engine) chooseBackendWith(ctx context.Context, name string, o UVOptions, uvCache, tmp, netrc string, info *interp.Info, compile, cacheElsewhere bool) (Backend, string, error) {
	bs, err := e.backends()
	if err != nil {
		return nil, "", err
	}
	cfg := BackendConfig{Tools: e.tools(), PipWheel: pipWheel(info), UVCache: uvCache, Compile: compile, UVCacheElsewhere: cacheElsewhere}
	cfg.Environ = withTemp(e.Environ, tmp)
	if netrc != "" {
		cfg.Environ = append(cfg.Environ, "NETRC="+netrc)
	}
	switch name {
	case BackendPip:
		return bs.Pip(cfg), "--backend pip", nil
	case "", BackendAuto, BackendUV:
	default:
		return nil, "", fmt.Errorf("unknown backend %q (want auto, uv or pip)", name)
	}
	// uv refuses interpreters older than 3.7 ("Python 3.6 is not
	// supported"); for those, uv cannot be had in the sense that matters.
	if major, minor, _ := info.Version(); major == 3 && minor < 7 {
		why := fmt.Sprintf("uv does not support Python %s", info.FullVersion)
		if name == BackendUV {
			return nil, "", &UVUnavailableError{Reason: why}
		}
		return bs.Pip(cfg), why, nil
	}
	bin, err := e.FindUV(ctx, o)
	if err != nil {
		if why, ok := unavailable(err); ok && name != BackendUV {
			return bs.Pip(cfg), "uv unavailable: " + why, nil
		}
		return nil, "", err
	}
	if bin.Warning != "" {
		e.warnf("%s", bin.Warning)
	}
	reason := "--backend uv"
	if name != BackendUV {
		reason = "uv " + bin.Version + " available"
	}
	if o.Path != "" {
		reason += " (--uv " + bin.Path + ")"
	}
	return bs.UV(bin, cfg), reason, nil
}

// pipWheel is the wheel new venvs get their pip from: ensurepip's own comes
// first in the probe's list, the pip `python -m venv` would have put in.
func pipWheel(info *interp.Info) string {
	if len(info.PipWheels) == 0 {
		return ""
	}
	return info.PipWheels[0]
}

// withTemp is environ with the temporary directory variables of every
// platform set to dir; dir "" leaves environ as it is.
func withTemp(environ []string, dir string) []string {
	if dir == "" {
		return environ
	}
	out := make([]string, 0, len(environ)+3)
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(k) {
		case "TMPDIR", "TMP", "TEMP":
			continue
		}
		out = append(out, kv)
	}
	return append(out, "TMPDIR="+dir, "TMP="+dir, "TEMP="+dir)
}
