// Package resolve holds what the two resolving backends (pip in
// internal/fallback, uv in internal/uvbin) share: the request, the pins a
// resolution gives, and the input files both write before running their
// resolver. The backends stay independent of each other; the engine speaks
// to both in these terms.
package resolve

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/pep508"
)

// Request is what to resolve and where to look.
type Request struct {
	Requirements []string // PEP 508 requirements, one each
	// Constraints are name==version pins the resolver must keep when it
	// includes those packages (the current lock's, for minimal churn); they
	// add no package. Written to constraints.txt beside requirements.in.
	Constraints    []string
	Python         string // the target interpreter (absolute path)
	PythonVersion  string // "3.11": the version the resolution is for
	IndexURL       string
	ExtraIndexURLs []string
	FindLinks      []string
	NoIndex        bool // find-links only; the index URLs are then not passed
	AllowSdist     bool // without it only wheels are considered
	Dir            string
	// Target, when set, is the kind of node to resolve for instead of the
	// interpreter's own (--target); PythonVersion is then the target's.
	Target *Target
}

// Pin is one distribution of a resolution.
type Pin struct {
	Name    string // PEP 503 normalized
	Version string // empty for a direct reference ("name @ url")
	// URL is the file the resolver chose, when it says (pip does; a
	// file:// URL is given as a local path), or a direct reference.
	URL string
	// SHA256 is that file's digest (lowercase hex), when known.
	SHA256    string
	Hashes    []string // every sha256 the resolver listed for the pin
	Requested bool     // a direct requirement rather than a dependency
	Marker    string
}

// Inputs are the files a resolver reads, written by Prepare.
type Inputs struct {
	Dir          string          // the work folder
	Requirements string          // requirements.in
	Constraints  string          // constraints.txt, or "" without constraints
	Direct       map[string]bool // normalized names of the direct requirements
	cleanup      func()
}

// Close removes the work folder when Prepare made it.
func (in *Inputs) Close() {
	if in.cleanup != nil {
		in.cleanup()
	}
}

// Prepare checks every requirement (so that a line such as "--index-url x"
// or "-r f" cannot slip into the file) and writes requirements.in and, with
// constraints, constraints.txt into req.Dir, or into a new temporary folder.
// Outputs named in stale (a report, a compiled file) are removed: one left
// from an earlier run must neither steer this one nor pass for its result.
// With no requirements it writes nothing and returns nil.
func Prepare(req Request, stale ...string) (*Inputs, error) {
	direct, err := CheckRequirements(req.Requirements)
	if err != nil {
		return nil, err
	}
	if len(direct) == 0 {
		return nil, nil
	}
	in := &Inputs{Dir: req.Dir, Direct: direct}
	if in.Dir == "" {
		if in.Dir, err = os.MkdirTemp("", "influx-py-resolve-"); err != nil {
			return nil, err
		}
		dir := in.Dir
		in.cleanup = func() { os.RemoveAll(dir) }
	}
	in.Requirements = filepath.Join(in.Dir, "requirements.in")
	if err := fsutil.WriteFile(in.Requirements, []byte(strings.Join(req.Requirements, "\n")+"\n"), 0o644); err != nil {
		in.Close()
		return nil, fmt.Errorf("write requirements: %w", err)
	}
	if len(req.Constraints) > 0 {
		in.Constraints = filepath.Join(in.Dir, "constraints.txt")
		if err := fsutil.WriteFile(in.Constraints, []byte(strings.Join(req.Constraints, "\n")+"\n"), 0o644); err != nil {
			in.Close()
			return nil, fmt.Errorf("write constraints: %w", err)
		}
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(in.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			in.Close()
			return nil, err
		}
	}
	return in, nil
}

// ConstraintsFile is where Prepare writes constraints, beside the
// requirements file requirementsIn.
func ConstraintsFile(requirementsIn string) string {
	return filepath.Join(filepath.Dir(requirementsIn), "constraints.txt")
}

// CheckRequirements parses every requirement and returns the normalized
// names of the direct ones.
func CheckRequirements(reqs []string) (map[string]bool, error) {
	names := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		if strings.ContainsAny(r, "\r\n") {
			return nil, fmt.Errorf("requirement %q: more than one line", r)
		}
		parsed, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, fmt.Errorf("requirement %q: %w", r, err)
		}
		names[pep508.NormalizeName(parsed.Name)] = true
	}
	return names, nil
}

// SourceArgs are the flags, spelled alike by pip and uv, that say where a
// resolver may look: wheels only unless sdists are allowed, the index URLs
// (or noIndex, the backend's own spelling of "no index at all"), and the
// find-links folders.
func SourceArgs(req Request, noIndex ...string) []string {
	var args []string
	if !req.AllowSdist {
		args = append(args, "--only-binary", ":all:")
	}
	if req.NoIndex {
		args = append(args, noIndex...)
	} else {
		if req.IndexURL != "" {
			args = append(args, "--index-url", req.IndexURL)
		}
		for _, u := range req.ExtraIndexURLs {
			args = append(args, "--extra-index-url", u)
		}
	}
	for _, d := range req.FindLinks {
		args = append(args, "--find-links", d)
	}
	// An index or folder the user gave as plain http (an internal mirror)
	// is meant to be used: pip and uv would skip it without --trusted-host
	// (uv's alias of --allow-insecure-host). Loopback needs none.
	var urls []string
	if !req.NoIndex {
		urls = append(append(urls, req.IndexURL), req.ExtraIndexURLs...)
	}
	seen := map[string]bool{}
	for _, u := range append(urls, req.FindLinks...) {
		if h := insecureHost(u); h != "" && !seen[h] {
			seen[h] = true
			args = append(args, "--trusted-host", h)
		}
	}
	return args
}

// insecureHost is the host[:port] of a plain-http URL that is not
// loopback, or "".
func insecureHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return ""
	}
	switch h := u.Hostname(); {
	case h == "localhost", h == "::1", strings.HasPrefix(h, "127."):
		return ""
	}
	return u.Host
}
