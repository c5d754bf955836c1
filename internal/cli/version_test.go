package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionString(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}
	for _, tt := range []struct {
		release string
		bi      *debug.BuildInfo
		want    string
	}{
		{"", nil, "dev"},
		{"v1.2.0", nil, "v1.2.0"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "dev (commit 0123456789ab, 2026-12-01T10:00:00Z, modified)"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}}, "v0.3.0"},
		{"v1.0.0", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: vcs[:1]}, "v1.0.0 (commit 0123456789ab)"},
	} {
		if got := Version(tt.release, tt.bi); got != tt.want {
			t.Errorf("Version(%q) = %q, want %q", tt.release, got, tt.want)
		}
	}
}
