package engine

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFleetMajority(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	node := func(name, fp string, age time.Duration, healthy bool) *Status {
		return &Status{Node: name, Reported: now.Add(-age), Fingerprint: fp, LockDigest: "L", VenvPythonVersion: "3.11.7", Healthy: healthy, InSync: healthy,
			Installed: []Installed{{Name: "alpha", Version: map[string]string{"A": "1.0", "B": "2.0", "C": "3.0"}[fp], SHA256: fp}}}
	}
	for _, tt := range []struct {
		name     string
		nodes    []*Status
		maxAge   time.Duration
		majority string
		drifted  string // nodes with drift, in order
	}{
		{"all alike", []*Status{node("n1", "A", time.Minute, true), node("n2", "A", time.Minute, true)}, 0, "A", ""},
		{"one differs", []*Status{node("n1", "A", 0, true), node("n2", "A", 0, true), node("n3", "B", 0, true)}, 0, "A", "n3"},
		{"a tie has no majority", []*Status{node("n1", "A", 0, true), node("n2", "B", 0, true)}, 0, "", "n1 n2"},
		{"three ways", []*Status{node("n1", "A", 0, true), node("n2", "B", 0, true), node("n3", "C", 0, true), node("n4", "A", 0, true)}, 0, "A", "n2 n3"},
		{"unhealthy with the majority's set", []*Status{node("n1", "A", 0, true), node("n2", "A", 0, false), node("n3", "A", 0, true)}, 0, "A", "n2"},
		{"stale", []*Status{node("n1", "A", time.Hour, true), node("n2", "A", time.Minute, true)}, 15 * time.Minute, "A", "n1"},
		{"one node", []*Status{node("n1", "A", 0, true)}, 0, "A", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, st := range tt.nodes {
				data, _ := json.Marshal(st)
				os.WriteFile(filepath.Join(dir, st.Node+".json"), data, 0o644)
			}
			e := &Engine{Now: func() time.Time { return now }}
			r, err := e.Fleet(context.Background(), FleetOptions{Source: dir, MaxAge: tt.maxAge})
			if err != nil {
				t.Fatal(err)
			}
			var drifted []string
			for _, n := range r.Nodes {
				if n.Drift {
					drifted = append(drifted, n.Node)
				}
				if n.Drift && n.Fingerprint != r.Majority && r.Majority != "" && len(n.Differences) == 0 {
					t.Errorf("%s differs from the majority but lists no difference", n.Node)
				}
			}
			if r.Majority != tt.majority || strings.Join(drifted, " ") != tt.drifted || r.Drift != len(drifted) {
				t.Errorf("majority %q, drift %v (%d); want %q, %q", r.Majority, drifted, r.Drift, tt.majority, tt.drifted)
			}
		})
	}
}

func TestFleetRefuses(t *testing.T) {
	e := &Engine{Now: time.Now}
	if _, err := e.Fleet(context.Background(), FleetOptions{Source: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "holds no node reports") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := e.Fleet(context.Background(), FleetOptions{Source: "https://example.invalid/fleet/"}); err == nil || !strings.Contains(err.Error(), "folder or an S3 prefix") {
		t.Errorf("https: %v", err)
	}
	for _, bad := range []string{"", "../x", ".hidden", "a/b", strings.Repeat("n", 300)} {
		if CheckNodeName(bad) == nil {
			t.Errorf("node name %q accepted", bad)
		}
	}
	for _, good := range []string{"node1", "influxdb3-0", "db.eu-west-1a", "N_2"} {
		if err := CheckNodeName(good); err != nil {
			t.Errorf("node name %q: %v", good, err)
		}
	}
}
