package engine

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/wheel"
)

// Adoption is how influx-py took the direct requirements of a lock that
// records none (a lock pip, uv or a person wrote): its top-level packages,
// those no other locked package depends on, pinned to their locked
// versions, so that rewriting the lock keeps what it had.
type Adoption struct {
	Requirements []string `json:"requirements"`
	// From says how the dependencies were known: "dependencies arrays",
	// "wheel metadata", both, or "nothing" (every package is taken).
	From string `json:"from"`
}

func (a *Adoption) String() string {
	return fmt.Sprintf("took its %d top-level packages (dependencies from %s) as the requirements, pinned: %s",
		len(a.Requirements), a.From, strings.Join(a.Requirements, ", "))
}

// adopt derives requirements for a lock without [tool.influx-py]. A
// package's dependencies come from its `dependencies` array when the lock
// has one, else from the METADATA of one of its wheels when a verified copy
// is at hand locally (its path, a file: URL, a --find-links folder, the
// cache); a package whose dependencies cannot be known is never taken for
// a dependency of nothing, so that in doubt more is kept, never less.
// Dependencies behind an `extra` marker do not count: the lock does not say
// which extras were asked for.
func (e *Engine) adopt(ctx context.Context, l *lockfile.Lock, lockPath string, findLinks []string, cacheDir string) *Adoption {
	needed := map[string]bool{}
	var fromArrays, fromMetadata int
	if e.trustCache(cacheDir) != nil {
		cacheDir = "" // read nothing from a cache that cannot be trusted
	}
	fetch := &artifact.Fetcher{CacheDir: cacheDir, FindLinks: findLinks, Offline: true, Within: []string{filepath.Dir(lockPath)}}
	for i := range l.Packages {
		p := &l.Packages[i]
		self := pep508.NormalizeName(p.Name)
		var deps []string
		switch {
		case p.Dependencies != nil:
			fromArrays++
			for _, d := range p.Dependencies {
				if n, ok := d["name"].(string); ok {
					deps = append(deps, n)
				}
			}
		default:
			md, ok := e.localMetadata(ctx, fetch, p, lockPath)
			if !ok {
				continue
			}
			fromMetadata++
			for _, rd := range md {
				r, err := pep508.ParseRequirement(rd)
				if err != nil || (r.Marker != nil && strings.Contains(r.Marker.String(), "extra")) {
					continue
				}
				deps = append(deps, r.Name)
			}
		}
		for _, d := range deps {
			if n := pep508.NormalizeName(d); n != self {
				needed[n] = true
			}
		}
	}
	a := &Adoption{Requirements: []string{}}
	switch {
	case fromArrays > 0 && fromMetadata > 0:
		a.From = "dependencies arrays and wheel metadata"
	case fromArrays > 0:
		a.From = "dependencies arrays"
	case fromMetadata > 0:
		a.From = "wheel metadata"
	default:
		a.From = "nothing at hand, so every package is one"
	}
	byName := map[string][]*lockfile.Package{}
	for i := range l.Packages {
		n := pep508.NormalizeName(l.Packages[i].Name)
		byName[n] = append(byName[n], &l.Packages[i])
	}
	for n, ps := range byName {
		if !needed[n] {
			a.Requirements = append(a.Requirements, pinned(n, ps, lockPath))
		}
	}
	sort.Strings(a.Requirements)
	return a
}

// pinned is the requirement that keeps a locked package as it is: its
// version, or for an archive locked without one, the archive itself.
func pinned(name string, ps []*lockfile.Package, lockPath string) string {
	if len(ps) != 1 {
		return name // several versions for several environments
	}
	p := ps[0]
	r := name
	switch {
	case p.Version != "":
		r += "==" + p.Version
	case p.Archive != nil && p.Archive.URL != "":
		r += " @ " + p.Archive.URL
	case p.Archive != nil && p.Archive.Path != "":
		abs := filepath.FromSlash(p.Archive.Path)
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(filepath.Dir(lockPath), abs)
		}
		r += " @ " + (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	}
	if p.Marker != "" {
		if p.Archive != nil && p.Version == "" {
			r += " " // "name @ url ; marker": the space keeps the URL whole
		}
		r += "; " + p.Marker
	}
	return r
}

// localMetadata reads the Requires-Dist of a package from one of its
// wheels, verified against the lock's hash, when a copy is at hand without
// the network.
func (e *Engine) localMetadata(ctx context.Context, f *artifact.Fetcher, p *lockfile.Package, lockPath string) ([]string, bool) {
	var files []*lockfile.File
	for i := range p.Wheels {
		files = append(files, &p.Wheels[i])
	}
	if p.Archive != nil && strings.HasSuffix(strings.ToLower(p.Archive.Filename()), ".whl") {
		files = append(files, &p.Archive.File)
	}
	for _, file := range files {
		req := fileRequest(p, file, lockPath)
		if req.Name == "" || len(req.SHA256) != 64 {
			continue
		}
		res, err := f.Fetch(ctx, []artifact.Request{req})
		if err != nil {
			continue
		}
		c, err := wheel.Inspect(res[0].File)
		if err != nil {
			continue
		}
		return c.Metadata.RequiresDist, true
	}
	return nil, false
}
