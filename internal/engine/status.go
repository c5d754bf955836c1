package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/influx-py/influx-py/internal/fsutil"

	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/venv"
)

// StatusOptions are status's inputs.
type StatusOptions struct {
	Where    Where
	CacheDir string
	Node     string // the name of this node in its report (the host name)
}

// Status is a node's venv as status reports it. Paths differ between
// machines; Fingerprint, the installed set and the versions do not, so two
// nodes synced to the same lock with the same Python can be compared.
type Status struct {
	// Node and Reported name the node and say when the report was made,
	// for the fleet table.
	Node      string    `json:"node"`
	Reported  time.Time `json:"reported"`
	PluginDir string    `json:"plugin_dir"`
	Venv      string    `json:"venv"`
	Lock      string    `json:"lock"`
	Healthy   bool      `json:"healthy"` // the venv exists and is whole
	InSync    bool      `json:"in_sync"` // and the stamp says it matches the lock
	Problems  []string  `json:"problems"`
	Python    string    `json:"python"`
	// PythonVersion is the version of the interpreter at Python, as the
	// last sync found it ("" when the venv was not synced with it);
	// VenvPythonVersion the version the venv was made with (pyvenv.cfg).
	PythonVersion     string      `json:"python_version"`
	VenvPythonVersion string      `json:"venv_python_version"`
	Backend           string      `json:"backend"`
	BackendReason     string      `json:"backend_reason"`
	UVVersion         string      `json:"uv_version"` // the cached pinned uv; "" when none
	LockDigest        string      `json:"lock_digest"`
	Fingerprint       string      `json:"fingerprint"`
	Installed         []Installed `json:"installed"`
}

// Installed is one distribution status lists: the file it was installed
// from and its sha256 when a sync of influx-py's vouches for it, else "".
type Installed struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	File    string `json:"file"`
}

// Status describes the venv without changing it and without starting any
// process: everything comes from pyvenv.cfg, site-packages and the stamp.
func (e *Engine) Status(ctx context.Context, opts StatusOptions) (*Status, error) {
	var err error
	if opts.Where.Lock, err = e.remoteFile(ctx, opts.CacheDir, opts.Where.Lock, "pylock.toml"); err != nil {
		return nil, err
	}
	s, err := e.open(opts.Where, true, nil)
	if err != nil {
		return nil, err
	}
	if err := s.loadDists(); err != nil {
		return nil, err
	}
	st := &Status{
		Node:       opts.Node,
		Reported:   e.Now().UTC().Truncate(time.Second),
		PluginDir:  s.loc.PluginDir,
		Venv:       s.loc.Venv,
		Lock:       s.loc.Lock,
		Python:     s.loc.Python,
		LockDigest: s.digest,
		Problems:   []string{},
		Installed:  []Installed{},
	}
	h := s.state.Health
	st.Healthy = h.OK() && h.Exists && !h.Empty
	switch {
	case !h.Exists || h.Empty:
		st.Problems = append(st.Problems, "the venv does not exist")
	case h.NotVenv:
		st.Problems = append(st.Problems, "not a venv: it holds files but no pyvenv.cfg")
	default:
		st.Problems = append(st.Problems, h.Problems...)
	}
	if s.installing {
		st.Healthy = false
		st.Problems = append(st.Problems, interruptedWhat(s))
	}
	st.VenvPythonVersion = s.state.Version
	files := map[string]string{}
	if s.stamp != nil {
		st.Backend, st.BackendReason = s.stamp.Backend, s.stamp.BackendReason
		if s.stamp.Interpreter.Path == s.loc.Python {
			st.PythonVersion = s.stamp.Interpreter.Version
		}
		for _, d := range s.stamp.Installed {
			files[d.Name+" "+d.SHA256] = d.File
		}
	}
	if ok, _ := s.upToDate(); ok {
		st.InSync = true
	}
	if bin, err := e.CachedUV(ctx, UVOptions{CacheDir: opts.CacheDir, Offline: true}); err == nil {
		st.UVVersion = bin.Version
	}
	var dists []venv.StampDist
	for _, h := range s.haves(s.state.Dists) {
		file := ""
		if h.SHA256 != "" {
			file = files[h.Name+" "+h.SHA256]
		}
		st.Installed = append(st.Installed, Installed{Name: h.Name, Version: h.Version, SHA256: h.SHA256, File: file})
		dists = append(dists, venv.StampDist{Name: h.Name, Version: h.Version, SHA256: h.SHA256})
	}
	st.Fingerprint = venv.Fingerprint(dists)
	return st, nil
}

// Difference is one way two nodes' venvs differ.
type Difference struct {
	What  string `json:"what"`
	Here  string `json:"here"`
	There string `json:"there"`
}

// CompareStatus lists how this node's status differs from another's (check
// --against): the Python version, the lock, and each distribution's version
// and the file it was installed from.
func CompareStatus(here, there *Status) []Difference {
	var out []Difference
	// Statuses written before venv_python_version existed named it
	// python_version.
	venvPython := func(s *Status) string {
		if s.VenvPythonVersion == "" {
			return s.PythonVersion
		}
		return s.VenvPythonVersion
	}
	if ours, theirs := venvPython(here), venvPython(there); ours != theirs {
		out = append(out, Difference{"python", ours, theirs})
	}
	if here.LockDigest != there.LockDigest {
		out = append(out, Difference{"lock", here.LockDigest, there.LockDigest})
	}
	index := func(ds []Installed) map[string]Installed {
		m := map[string]Installed{}
		for _, d := range ds {
			m[pep508.NormalizeName(d.Name)] = d
		}
		return m
	}
	a, b := index(here.Installed), index(there.Installed)
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	desc := func(d Installed, ok bool) string {
		if !ok {
			return "absent"
		}
		if d.SHA256 == "" {
			return d.Version + " (unverified)"
		}
		return d.Version + " (sha256 " + d.SHA256[:min(12, len(d.SHA256))] + ")"
	}
	for _, n := range sorted {
		x, okx := a[n]
		y, oky := b[n]
		if okx && oky && x.Version == y.Version && x.SHA256 == y.SHA256 {
			continue
		}
		out = append(out, Difference{n, desc(x, okx), desc(y, oky)})
	}
	if len(out) == 0 && here.Fingerprint != there.Fingerprint {
		out = append(out, Difference{"fingerprint", here.Fingerprint, there.Fingerprint})
	}
	return out
}

// ReadStatusFrom reads another node's `status --json` output from a file
// or a source.
func (e *Engine) ReadStatusFrom(ctx context.Context, cacheDir, src string) (*Status, error) {
	p, err := e.remoteFile(ctx, cacheDir, src, "status.json")
	if err != nil {
		return nil, err
	}
	return ReadStatus(p)
}

// ReadStatus reads a status report saved by 'status --json'.
func ReadStatus(path string) (*Status, error) {
	data, err := fsutil.ReadRegular(path, maxStatusBytes)
	if err != nil {
		return nil, fmt.Errorf("read status: %w", err)
	}
	st, err := ParseStatus(data)
	if err != nil {
		return nil, fmt.Errorf("read status %s: %w", path, err)
	}
	return st, nil
}

// maxStatusBytes bounds another node's status document.
const maxStatusBytes = 64 << 20

// ParseStatus reads the output of `status --json`.
func ParseStatus(data []byte) (*Status, error) {
	var st Status
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, err
	}
	if st.Fingerprint == "" {
		return nil, errors.New("no fingerprint: not the output of 'influx-py status --json'")
	}
	return &st, nil
}
