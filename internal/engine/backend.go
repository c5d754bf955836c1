package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/influx-py/influx-py/internal/fallback"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/uvbin"
)

// Backend names accepted by --backend.
const (
	BackendAuto = "auto"
	BackendUV   = "uv"
	BackendPip  = "pip"
)

// UVOptions say where uv comes from.
type UVOptions struct {
	Path     string // --uv: use this uv instead of the pinned one
	Mirror   string // --uv-mirror: base URL replacing uv's release host
	CacheDir string // where the pinned uv is kept (the --cache-dir)
	Offline  bool
}

// UVManager returns the manager of the pinned uv for these options.
func (e *Engine) UVManager(o UVOptions) *uvbin.Manager {
	return &uvbin.Manager{
		CacheDir: o.CacheDir,
		BaseURL:  o.Mirror,
		Offline:  o.Offline,
		HTTP:     e.HTTP,
		Runner:   e.Runner,
		Environ:  e.Environ,
		Log:      e.Log,
		Progress: e.uvProgress(),
	}
}

func (e *Engine) uvProgress() func(int64) io.Writer {
	if e.Progress == nil {
		return nil
	}
	return func(total int64) io.Writer { return e.Progress("uv "+uvbin.Version, total) }
}

// FindUV returns the uv that a sync would use: --uv when given, else the
// pinned one, from the cache or (unless offline) downloaded and verified.
func (e *Engine) FindUV(ctx context.Context, o UVOptions) (*uvbin.Binary, error) {
	m := e.UVManager(o)
	if o.Path != "" {
		return m.UseExisting(ctx, o.Path)
	}
	return m.Ensure(ctx)
}

// chooseBackend picks the backend for a sync and says why. With auto, uv is
// used when it can be had; only "uv is unavailable" falls back to pip: a
// checksum mismatch or a uv that fails is an error, never a silent switch.
//
// uvCache is uv's own cache: for installs, a folder inside the venv (so
// that uv hard-links files instead of copying them); for resolution, one
// under influx-py's cache (the venv may not exist yet).
//
// tmp, when set, is where the backend's children keep their temporary
// files (TMPDIR): in the venv's scratch dir, so that what a killed pip or
// uv leaves there is removed by the next run that takes the venv lock.
func (e *Engine) chooseBackend(ctx context.Context, name string, o UVOptions, uvCache, tmp string, info *interp.Info) (Backend, string, error) {
	environ := withTemp(e.Environ, tmp)
	pip := &fallback.Pip{Runner: e.Runner, Environ: environ, Stderr: e.ChildStderr, PipWheel: pipWheel(info)}
	switch name {
	case BackendPip:
		return pip, "--backend pip", nil
	case "", BackendAuto, BackendUV:
	default:
		return nil, "", fmt.Errorf("unknown backend %q (want auto, uv or pip)", name)
	}
	// uv refuses interpreters older than 3.7 ("Python 3.6 is not
	// supported"); for those, uv cannot be had in the sense that matters.
	if major, minor, _ := info.Version(); major == 3 && minor < 7 {
		why := fmt.Sprintf("uv does not support Python %s", info.FullVersion)
		if name == BackendUV {
			return nil, "", &uvbin.UnavailableError{Reason: why}
		}
		return pip, why, nil
	}
	bin, err := e.FindUV(ctx, o)
	var unavailable *uvbin.UnavailableError
	if err != nil {
		if name != BackendUV && errors.As(err, &unavailable) {
			return pip, "uv unavailable: " + unavailable.Reason, nil
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
	b := &uvbin.Backend{
		UV:       bin,
		Runner:   e.Runner,
		Environ:  environ,
		Stderr:   e.ChildStderr,
		CacheDir: uvCache,
	}
	b.PipWheel = pipWheel(info)
	return b, reason, nil
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
