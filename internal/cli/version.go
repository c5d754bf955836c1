package cli

import (
	"runtime/debug"
)

// Version is what --version prints: the release version set at build time
// (-ldflags "-X main.version=..."), else the module version go install
// records, else "dev"; followed by the commit and its time when the build
// recorded them (a build in a clone does), and "modified" for a work tree
// with uncommitted changes.
func Version(release string, bi *debug.BuildInfo) string {
	v := release
	if v == "" && bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "dev"
	}
	if bi == nil {
		return v
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return v
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v += " (commit " + rev
	if at != "" {
		v += ", " + at
	}
	if modified {
		v += ", modified"
	}
	return v + ")"
}
