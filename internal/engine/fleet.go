package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// A fleet folder holds one report per node, <node>.json, each the node's
// 'status --json' with its name and the time it was made: a local or
// shared folder, or an S3 prefix. Each node replaces only its own report,
// whole (an atomic rename, or one S3 PUT), so readers never see half of
// one and nodes never need to coordinate.

// CheckNodeName refuses a node name that cannot be a report's file name:
// letters, digits, '.', '_' and '-', starting with a letter or digit, at
// most 253 bytes (a host name's limit).
func CheckNodeName(n string) error {
	ok := n != "" && len(n) <= 253
	for i := 0; ok && i < len(n); i++ {
		c := n[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		ok = alnum || i > 0 && (c == '.' || c == '_' || c == '-')
	}
	if !ok {
		return fmt.Errorf("node name %q: want letters, digits, '.', '_' and '-', starting with a letter or digit", n)
	}
	return nil
}

// PublishStatus writes st as the report of node st.Node into the fleet
// folder dest, and returns where it went.
func (e *Engine) PublishStatus(ctx context.Context, st *Status, dest string) (string, error) {
	if err := CheckNodeName(st.Node); err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return "", err
	}
	data = append(data, '\n')
	name := st.Node + ".json"
	switch {
	case fetch.IsS3(dest):
		loc, err := fetch.ParseS3(dest)
		if err != nil {
			return "", err
		}
		loc = loc.Join(name)
		if err := (&fetch.Client{HTTP: e.HTTP}).S3Put(ctx, loc, data); err != nil {
			return "", &SourceError{Source: loc.String(), Err: err}
		}
		return loc.String(), nil
	case fetch.IsRemote(dest):
		return "", fmt.Errorf("status --publish %s: reports are written to a folder or an S3 prefix (s3://BUCKET/PREFIX/)", fetch.Redact(dest))
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return "", fmt.Errorf("status --publish: %w", err)
	}
	p := filepath.Join(dest, name)
	if err := fsutil.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("status --publish: %w", err)
	}
	return p, nil
}

// FleetOptions say where the reports are and how old one may be.
type FleetOptions struct {
	Source   string
	CacheDir string
	// MaxAge marks reports older than it as stale, which is drift; zero
	// accepts any age.
	MaxAge time.Duration
}

// FleetNode is one node's line of the fleet table.
type FleetNode struct {
	Node          string       `json:"node"`
	Fingerprint   string       `json:"fingerprint"`
	LockDigest    string       `json:"lock_digest"`
	PythonVersion string       `json:"python_version"` // the venv's
	Backend       string       `json:"backend"`
	Reported      time.Time    `json:"reported"`
	AgeSeconds    int64        `json:"age_seconds"`
	Healthy       bool         `json:"healthy"`
	InSync        bool         `json:"in_sync"`
	Stale         bool         `json:"stale"`
	Drift         bool         `json:"drift"`
	Differences   []Difference `json:"differences"` // from the majority
}

// FleetReport is the fleet table.
type FleetReport struct {
	Source string `json:"source"`
	// Majority is the fingerprint most nodes have ("" when no fingerprint
	// has more nodes than every other).
	Majority    string      `json:"majority"`
	MajorityOf  int         `json:"majority_of"` // how many nodes have it
	Nodes       []FleetNode `json:"nodes"`
	Drift       int         `json:"drift"`   // nodes that differ, are unhealthy, out of sync or stale
	Skipped     []string    `json:"skipped"` // files in the folder that are not reports
	GeneratedAt time.Time   `json:"generated_at"`
}

// Fleet reads every node's report in opts.Source and compares each with
// the majority.
func (e *Engine) Fleet(ctx context.Context, opts FleetOptions) (*FleetReport, error) {
	reports, skipped, err := e.readReports(ctx, opts)
	if err != nil {
		return nil, err
	}
	now := e.Now()
	r := &FleetReport{Source: fetch.Redact(opts.Source), Nodes: []FleetNode{}, Skipped: append([]string{}, skipped...), GeneratedAt: now.UTC().Truncate(time.Second)}
	if len(reports) == 0 {
		return nil, fmt.Errorf("%s holds no node reports (publish them with 'influx-py status --publish %s')", r.Source, r.Source)
	}
	count := map[string]int{}
	first := map[string]*Status{}
	for _, st := range reports {
		count[st.Fingerprint]++
		if first[st.Fingerprint] == nil {
			first[st.Fingerprint] = st
		}
	}
	for fp, n := range count {
		switch {
		case n > r.MajorityOf:
			r.Majority, r.MajorityOf = fp, n
		case n == r.MajorityOf:
			r.Majority = "" // a tie: no majority
		}
	}
	if r.Majority == "" {
		r.MajorityOf = 0
	}
	for _, st := range reports {
		venvPy := st.VenvPythonVersion
		if venvPy == "" {
			venvPy = st.PythonVersion
		}
		n := FleetNode{Node: st.Node, Fingerprint: st.Fingerprint, LockDigest: st.LockDigest, PythonVersion: venvPy,
			Backend: st.Backend, Reported: st.Reported, Healthy: st.Healthy, InSync: st.InSync, Differences: []Difference{}}
		if !st.Reported.IsZero() {
			n.AgeSeconds = int64(now.Sub(st.Reported) / time.Second)
		}
		n.Stale = opts.MaxAge > 0 && (st.Reported.IsZero() || now.Sub(st.Reported) > opts.MaxAge)
		switch {
		case r.Majority == "":
			n.Drift = len(count) > 1
		case st.Fingerprint != r.Majority:
			n.Drift = true
			n.Differences = append(n.Differences, CompareStatus(st, first[r.Majority])...)
		}
		if !st.Healthy || !st.InSync || n.Stale {
			n.Drift = true
		}
		if n.Drift {
			r.Drift++
		}
		r.Nodes = append(r.Nodes, n)
	}
	sort.Slice(r.Nodes, func(i, j int) bool { return r.Nodes[i].Node < r.Nodes[j].Node })
	return r, nil
}

// readReports reads the <node>.json files of a folder or an S3 prefix.
func (e *Engine) readReports(ctx context.Context, opts FleetOptions) ([]*Status, []string, error) {
	var out []*Status
	var skipped []string
	add := func(name string, data []byte) {
		st, err := ParseStatus(data)
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s (%v)", name, err))
			return
		}
		if st.Node == "" {
			st.Node = strings.TrimSuffix(name, ".json")
		}
		out = append(out, st)
	}
	src := opts.Source
	switch {
	case fetch.IsS3(src):
		loc, err := fetch.ParseS3(src)
		if err != nil {
			return nil, nil, err
		}
		c := &fetch.Client{HTTP: e.HTTP}
		objs, err := c.S3List(ctx, loc)
		if err != nil {
			return nil, nil, &SourceError{Source: loc.String(), Err: err}
		}
		tmp, err := os.MkdirTemp("", "influx-py-fleet-")
		if err != nil {
			return nil, nil, err
		}
		defer os.RemoveAll(tmp)
		for _, o := range objs {
			if strings.Contains(o.Key, "/") || !strings.HasSuffix(o.Key, ".json") {
				continue
			}
			if o.Size > maxStatusBytes {
				skipped = append(skipped, o.Key+" (too large)")
				continue
			}
			p := filepath.Join(tmp, o.Key)
			if err := c.S3Get(ctx, loc.Join(o.Key), p, maxStatusBytes); err != nil {
				return nil, nil, &SourceError{Source: loc.Join(o.Key).String(), Err: err}
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil, nil, err
			}
			add(o.Key, data)
		}
	case fetch.IsRemote(src):
		return nil, nil, fmt.Errorf("fleet %s: reports are read from a folder or an S3 prefix (s3://BUCKET/PREFIX/)", fetch.Redact(src))
	default:
		ents, err := os.ReadDir(src)
		if err != nil {
			return nil, nil, fmt.Errorf("fleet: %w", err)
		}
		for _, d := range ents {
			if !d.Type().IsRegular() || !strings.HasSuffix(d.Name(), ".json") || strings.HasPrefix(d.Name(), ".") {
				continue
			}
			data, err := fsutil.ReadRegular(filepath.Join(src, d.Name()), maxStatusBytes)
			if err != nil {
				return nil, nil, fmt.Errorf("fleet: %w", err)
			}
			add(d.Name(), data)
		}
	}
	return out, skipped, nil
}
