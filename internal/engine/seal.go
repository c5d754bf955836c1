package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheel"
)

// seal checks that the venv now holds exactly the lock, and that what was
// just installed is what the verified wheels hold, then writes the stamp
// and clears the marker. A package the lock records without a version (an
// archive, a directory) is recorded with the version its installed metadata
// gives. wheels are the contents of the wheels installed by this sync.
//
// s is the sync's session (the lock's digest, the interpreter), v the venv
// as it now is (after a rebuild, the new one).
func (e *Engine) seal(s *session, v *venvView, info *interp.Info, backend, reason string, wants []Want, wheels map[string]*wheel.Contents) error {
	dists, err := venv.Installed(v.state.SitePackages)
	if err != nil {
		return err
	}
	wanted := map[string]Want{}
	for _, w := range wants {
		wanted[w.Name] = w
	}
	installed := map[string]venv.Dist{}
	var have []Have
	for _, d := range dists {
		installed[d.Name] = d
		h := Have{Name: d.Name, Version: normVersion(d.Version)}
		if w, ok := wanted[d.Name]; ok && (w.Version == "" || w.Version == h.Version) && !d.MetadataMissing {
			h.SHA256 = w.SHA256
		}
		have = append(have, h)
	}
	if left := MakePlan(wants, have, keepNames); !left.Empty() {
		return fmt.Errorf("after installing, the venv still differs from the lock: %s", describe(left))
	}
	for _, w := range wants {
		if c := wheels[w.SHA256]; c != nil {
			if err := sameFiles(installed[w.Name], c); err != nil {
				return fmt.Errorf("after installing %s: %w", w.File, err)
			}
		}
	}
	listing, err := venv.ListingDigest(v.state.SitePackages)
	if err != nil {
		return err
	}
	extra, err := venv.Unowned(v.state.SitePackages, dists)
	if err != nil {
		return err
	}
	st := &venv.Stamp{
		Tool:          "influx-py " + e.Version,
		LockDigest:    s.digest,
		Interpreter:   venv.StampInterpreter{Path: s.loc.Python, Version: info.FullVersion, Identity: s.identity},
		Backend:       backend,
		BackendReason: reason,
		ListingDigest: listing,
		Time:          e.Now().UTC().Format(time.RFC3339),
		Extra:         extra,
	}
	for _, w := range wants {
		d := installed[w.Name]
		st.Installed = append(st.Installed, venv.StampDist{Name: w.Name, Version: normVersion(d.Version), SHA256: w.SHA256, File: w.File, Record: venv.RecordDigest(d)})
	}
	if err := venv.WriteStamp(v.layout, st); err != nil {
		return err
	}
	return venv.ClearInstalling(v.layout)
}

// sameFiles checks an installed distribution against the wheel it was
// installed from: the installer's RECORD must list every file of the wheel
// with the hash the wheel's own RECORD gives it. A distribution installed
// from another file, or whose files another install changed since, fails.
func sameFiles(d venv.Dist, c *wheel.Contents) error {
	entries, err := venv.ReadRecord(d)
	if err != nil {
		return fmt.Errorf("read the RECORD of %s: %w", d.DisplayName, err)
	}
	got := make(map[string]string, len(entries))
	for _, e := range entries {
		if p, ok := venv.SitePath(e.Path); ok {
			got[p] = e.Hash
		}
	}
	var bad []string
	for p, h := range c.Hashes {
		// Installers record sha256; a wheel may have used another hash.
		if strings.HasPrefix(h, "sha256=") && got[p] != h {
			bad = append(bad, p)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return fmt.Errorf("the installed files of %s %s are not the wheel's: %s", d.DisplayName, d.Version, bad[0])
	}
	return nil
}
