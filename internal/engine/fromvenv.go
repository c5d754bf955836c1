package engine

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/index"
	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/resolve"
	"github.com/influx-py/influx-py/internal/venv"
)

// fromVenv is what add --from-venv takes from a venv another tool filled
// (the server's `influxdb3 install package`, a bare pip install): every
// distribution in it but pip, pinned to its installed version, read from
// site-packages without starting a process.
type fromVenv struct {
	// Requirements are the distributions asked for by name (pip writes
	// REQUESTED for them) and those nothing else installed requires,
	// pinned: the lock's direct requirements.
	Requirements []string
	// Pins are every distribution's name==version: constraints, so that
	// the resolution keeps what the venv has, and a check afterwards that
	// the lock has each.
	Pins map[string]string
	// Display are the names as installed, for messages.
	Display map[string]string
}

// readVenv reads the venv at root for add --from-venv.
func readVenv(root string) (*fromVenv, error) {
	l := venv.NewLayout(root, runtime.GOOS)
	st, err := venv.Inspect(l)
	if err != nil {
		return nil, err
	}
	if st.SitePackages == "" || len(st.Health.Problems) > 0 && st.Config == nil {
		return nil, fmt.Errorf("--from-venv: %s is not a venv influx-py can read: %s", root, strings.Join(st.Health.Problems, "; "))
	}
	fv := &fromVenv{Pins: map[string]string{}, Display: map[string]string{}}
	needed := map[string]bool{}
	var dists []venv.Dist
	for _, d := range st.Dists {
		if contains(keepNames, d.Name) {
			continue
		}
		if d.MetadataMissing {
			return nil, fmt.Errorf("--from-venv: %s in %s has no readable metadata (%s): reinstall it, or remove it, first", d.DisplayName, st.SitePackages, d.Problem)
		}
		if _, err := pep440.Parse(d.Version); err != nil {
			return nil, fmt.Errorf("--from-venv: %s %s in %s: the version is not a PEP 440 version, so it cannot be pinned", d.DisplayName, d.Version, st.SitePackages)
		}
		dists = append(dists, d)
		fv.Pins[d.Name] = normVersion(d.Version)
		fv.Display[d.Name] = d.DisplayName
	}
	for _, d := range dists {
		md, err := venv.ReadMetadata(d)
		if err != nil {
			return nil, err
		}
		for _, rd := range md.RequiresDist {
			r, err := pep508.ParseRequirement(rd)
			// A dependency behind an extra does not count (which extras
			// were asked for is not recorded); one behind any other
			// marker does: if the marker is false here, the check after
			// resolving puts the distribution back as a requirement.
			if err != nil || r.Marker != nil && strings.Contains(r.Marker.String(), "extra") {
				continue
			}
			if n := pep508.NormalizeName(r.Name); n != d.Name {
				needed[n] = true
			}
		}
	}
	for _, d := range dists {
		if d.Requested || !needed[d.Name] {
			fv.Requirements = append(fv.Requirements, d.Name+"=="+fv.Pins[d.Name])
		}
	}
	sort.Strings(fv.Requirements)
	return fv, nil
}

// constraints are the venv's pins as the resolver's constraints.
func (fv *fromVenv) constraints() []string {
	out := make([]string, 0, len(fv.Pins))
	for n, v := range fv.Pins {
		out = append(out, n+"=="+v)
	}
	sort.Strings(out)
	return out
}

// unpinned are the venv's distributions that pins lack, pinned as
// requirements.
func (fv *fromVenv) unpinned(pins []resolve.Pin) []string {
	have := map[string]bool{}
	for _, p := range pins {
		have[pep508.NormalizeName(p.Name)] = true
	}
	var out []string
	for n, v := range fv.Pins {
		if !have[n] {
			out = append(out, n+"=="+v)
		}
	}
	sort.Strings(out)
	return out
}

// VersionsError names the distributions of a venv whose installed version
// the index and find-links do not have, with the versions they do.
type VersionsError struct {
	Missing []MissingVersion
}

// MissingVersion is one distribution VersionsError names.
type MissingVersion struct {
	Name, Version string
	Available     []string
}

func (e *VersionsError) Error() string {
	parts := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		have := "none"
		if len(m.Available) > 0 {
			have = strings.Join(m.Available, ", ")
		}
		parts[i] = fmt.Sprintf("%s %s (versions found: %s)", m.Name, m.Version, have)
	}
	return "the venv holds versions that the index and --find-links do not have: " + strings.Join(parts, "; ")
}

// missingVersions asks the index and find-links for each pinned version;
// it returns nil when all are there (the resolution failed for another
// reason) or when the sources cannot be asked.
func (e *Engine) missingVersions(ctx context.Context, src sources, pins map[string]string) error {
	client := &index.Client{HTTP: e.HTTP, FindLinks: src.findLinks, Offline: src.offline}
	if !src.offline {
		client.IndexURL = src.indexURL
	}
	names := make([]string, 0, len(pins))
	for n := range pins {
		names = append(names, n)
	}
	sort.Strings(names)
	var missing []MissingVersion
	for _, n := range names {
		files, err := client.Files(ctx, n)
		if err != nil {
			return nil
		}
		if len(index.ForVersion(files, n, pins[n])) > 0 {
			continue
		}
		seen := map[string]bool{}
		var avail []string
		for _, f := range files {
			if v := f.Version; v != "" && pep508.NormalizeName(f.Name) == n && !seen[v] {
				seen[v] = true
				avail = append(avail, v)
			}
		}
		sort.Slice(avail, func(i, j int) bool {
			a, errA := pep440.Parse(avail[i])
			b, errB := pep440.Parse(avail[j])
			if errA != nil || errB != nil {
				return avail[i] < avail[j]
			}
			return a.Compare(b) < 0
		})
		missing = append(missing, MissingVersion{Name: n, Version: pins[n], Available: avail})
	}
	if len(missing) == 0 {
		return nil
	}
	return &VersionsError{Missing: missing}
}
