// Package backends wires the concrete installers into the engine: the pip
// fallback (the interpreter's own venv and pip) and the pinned uv. It is the
// one place that knows both; the engine sees only its own interfaces.
package backends

import (
	"context"
	"io"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/fallback"
	"github.com/influx-py/influx-py/internal/uvbin"
)

// Real implements engine.Backends with fallback and uvbin.
type Real struct{}

var _ engine.Backends = Real{}

// Pip is the stdlib venv + pip backend.
func (Real) Pip(c engine.BackendConfig) engine.Backend {
	return &fallback.Pip{Runner: c.Runner, Environ: c.Environ, Stderr: c.Stderr, PipWheel: c.PipWheel, Item: c.Item}
}

// UV is the uv backend running bin.
func (Real) UV(bin *engine.UV, c engine.BackendConfig) engine.Backend {
	return &uvbin.Backend{
		UV:       &uvbin.Binary{Path: bin.Path, Version: bin.Version, Target: bin.Target, Pinned: bin.Pinned, Warning: bin.Warning},
		Runner:   c.Runner,
		Environ:  c.Environ,
		Stderr:   c.Stderr,
		CacheDir: c.UVCache,
		PipWheel: c.PipWheel,
	}
}

func manager(o engine.UVOptions, t engine.Tools) *uvbin.Manager {
	m := &uvbin.Manager{
		CacheDir: o.CacheDir,
		BaseURL:  o.Mirror,
		Offline:  o.Offline,
		HTTP:     t.HTTP,
		Runner:   t.Runner,
		Environ:  t.Environ,
		Log:      t.Log,
	}
	if t.Progress != nil {
		m.Progress = func(total int64) io.Writer { return t.Progress("uv "+uvbin.Version, total) }
	}
	return m
}

func fromBinary(b *uvbin.Binary, err error) (*engine.UV, error) {
	if err != nil {
		return nil, err
	}
	return &engine.UV{Path: b.Path, Version: b.Version, Target: b.Target, Pinned: b.Pinned, Warning: b.Warning}, nil
}

// FindUV is --uv when given, else the pinned uv (cached or downloaded).
func (Real) FindUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	m := manager(o, t)
	if o.Path != "" {
		return fromBinary(m.UseExisting(ctx, o.Path))
	}
	return fromBinary(m.Ensure(ctx))
}

// CachedUV is the pinned uv from the cache, hashed again.
func (Real) CachedUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	return fromBinary(manager(o, t).Cached(ctx))
}

// VerifyUV hashes the cached uv again and runs it.
func (Real) VerifyUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	return fromBinary(manager(o, t).Verify(ctx))
}

// PinnedUV is the pinned uv's version.
func (Real) PinnedUV() string { return uvbin.Version }
