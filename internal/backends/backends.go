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

// Real implements engine.Backends with fallback and uvbin. Its zero value
// is what influx-py ships: uv pinned by uvbin.Pins and uvbin.Version. A
// test that runs the whole pinned-uv path (download or wheelhouse, verify,
// extract, run) with a uv it can have sets Pins and Version to its own.
type Real struct {
	Pins    []uvbin.Pin
	Version string
}

var _ engine.Backends = Real{}

// Pip is the stdlib venv + pip backend.
func (Real) Pip(c engine.BackendConfig) engine.Backend {
	return &fallback.Pip{Runner: c.Runner, Environ: c.Environ, Stderr: c.Stderr, PipWheel: c.PipWheel, Item: c.Item, Compile: c.Compile}
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
		Compile:  c.Compile,
		// A uv cache outside the venv (in memory, for a new venv) is on
		// another filesystem: copy, without trying links first.
		CopyFiles: c.UVCacheElsewhere,
	}
}

func (r Real) manager(o engine.UVOptions, t engine.Tools) *uvbin.Manager {
	m := &uvbin.Manager{
		Pins:     r.Pins,
		Version:  r.Version,
		CacheDir: o.CacheDir,
		BaseURL:  o.Mirror,
		Offline:  o.Offline,
		HTTP:     t.HTTP,
		Runner:   t.Runner,
		Environ:  t.Environ,
		Log:      t.Log,
		Archives: o.Archives,
	}
	if t.Progress != nil {
		m.Progress = func(total int64) io.Writer { return t.Progress("uv "+r.PinnedUV(), total) }
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
func (r Real) FindUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	m := r.manager(o, t)
	if o.Path != "" {
		return fromBinary(m.UseExisting(ctx, o.Path))
	}
	return fromBinary(m.Ensure(ctx))
}

// CachedUV is the pinned uv from the cache, hashed again.
func (r Real) CachedUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	return fromBinary(r.manager(o, t).Cached(ctx))
}

// VerifyUV hashes the cached uv again and runs it.
func (r Real) VerifyUV(ctx context.Context, o engine.UVOptions, t engine.Tools) (*engine.UV, error) {
	return fromBinary(r.manager(o, t).Verify(ctx))
}

// PinnedUV is the pinned uv's version.
func (r Real) PinnedUV() string {
	if r.Version != "" {
		return r.Version
	}
	return uvbin.Version
}

// UVArchive puts the pinned archive for target into dir.
func (r Real) UVArchive(ctx context.Context, o engine.UVOptions, t engine.Tools, target, dir string) (*engine.UVArchive, error) {
	m := r.manager(o, t)
	m.Target = target
	a, err := m.Archive(ctx, dir)
	if err != nil {
		return nil, err
	}
	return &engine.UVArchive{Version: a.Version, Target: a.Target, Name: a.Name, SHA256: a.SHA256, Size: a.Size, Path: a.Path}, nil
}

// UVPins are the pinned archives' digests by target.
func (r Real) UVPins() map[string]string {
	pins := r.Pins
	if pins == nil {
		pins = uvbin.Pins()
	}
	out := map[string]string{}
	for _, p := range pins {
		out[p.Target] = p.SHA256
	}
	return out
}

// UVCache lists the cached uvs.
func (r Real) UVCache(o engine.UVOptions, verify bool) ([]engine.UVCacheEntry, error) {
	es, err := r.manager(o, engine.Tools{}).Entries(verify)
	if err != nil {
		return nil, err
	}
	out := make([]engine.UVCacheEntry, len(es))
	for i, e := range es {
		out[i] = engine.UVCacheEntry{Version: e.Version, Target: e.Target, Path: e.Path, Size: e.Size, Used: e.Used, Pinned: e.Pinned, Problem: e.Problem}
	}
	return out, nil
}

// RemoveUVCache removes a cached uv.
func (r Real) RemoveUVCache(ctx context.Context, o engine.UVOptions, e engine.UVCacheEntry) error {
	return r.manager(o, engine.Tools{}).RemoveEntry(ctx, uvbin.CacheEntry{Version: e.Version, Target: e.Target, Path: e.Path})
}
