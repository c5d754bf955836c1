package engine

import (
	"encoding/json"
	"sort"
)

// Want is one distribution the lock asks for, with the file chosen for this
// interpreter.
type Want struct {
	Name    string `json:"name"` // normalized (PEP 503)
	Version string `json:"version"`
	File    string `json:"file"` // file name, e.g. foo-1.0-py3-none-any.whl
	// SHA256 is the file's sha256; for a package built from source
	// (directory, vcs) the source's identity: "tree:<sha256>",
	// "git:<commit>".
	SHA256 string `json:"sha256"`
	src    *source
}

// Have is one distribution found in the venv's site-packages.
type Have struct {
	Name    string `json:"name"` // normalized (PEP 503)
	Version string `json:"version"`
	// SHA256 is the digest of the file it was installed from, as recorded in
	// influx-py's stamp; empty when influx-py did not install it (someone ran
	// pip by hand), in which case its content cannot be vouched for.
	SHA256 string `json:"sha256"`
}

// Change is a distribution whose installed form differs from the lock.
type Change struct {
	From Have   `json:"from"`
	To   Want   `json:"to"`
	Why  string `json:"why"` // "version", "hash", "source", "unverified" or "damaged"
}

// Plan is what an exact sync must do. It is computed without touching the
// venv so that --dry-run and check can show it.
type Plan struct {
	Install []Want   `json:"install"` // in the lock, not installed
	Replace []Change `json:"replace"` // installed, but not as the lock says
	Remove  []Have   `json:"remove"`  // installed, not in the lock
	Keep    []Want   `json:"keep"`    // installed exactly as the lock says
	// Adopted are the distributions of Keep that another installer put
	// there and that this sync found to be the lock's wheels, file for
	// file: kept, not reinstalled.
	Adopted []Want `json:"adopted"`
}

// MarshalJSON writes every list, empty ones as [] (never null).
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	q := plain(p)
	q.Install, q.Keep, q.Adopted = orEmpty(q.Install), orEmpty(q.Keep), orEmpty(q.Adopted)
	q.Replace, q.Remove = orEmpty(q.Replace), orEmpty(q.Remove)
	return json.Marshal(q)
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Empty reports whether the venv already matches.
func (p *Plan) Empty() bool {
	return len(p.Install) == 0 && len(p.Replace) == 0 && len(p.Remove) == 0
}

// Plan compares what the lock wants with what the venv has. Names in keep are
// never removed when the lock does not mention them: the venv's own pip,
// which the InfluxDB 3 server needs in order to start.
func MakePlan(want []Want, have []Have, keep []string) *Plan {
	installed := make(map[string]Have, len(have))
	for _, h := range have {
		installed[h.Name] = h
	}
	wanted := make(map[string]bool, len(want))
	// Empty lists rather than nil, so that --json shows [] and not null.
	p := &Plan{Install: []Want{}, Replace: []Change{}, Remove: []Have{}, Keep: []Want{}, Adopted: []Want{}}
	for _, w := range want {
		wanted[w.Name] = true
		h, ok := installed[w.Name]
		switch {
		case !ok:
			p.Install = append(p.Install, w)
		case w.Version != "" && h.Version != w.Version:
			// A package locked without a version (an archive) matches
			// whatever version its file installs; its hash decides.
			p.Replace = append(p.Replace, Change{From: h, To: w, Why: "version"})
		case h.SHA256 == "":
			p.Replace = append(p.Replace, Change{From: h, To: w, Why: "unverified"})
		case h.SHA256 != w.SHA256 && w.src != nil:
			// Built from a tree or commit that is not the one installed.
			p.Replace = append(p.Replace, Change{From: h, To: w, Why: "source"})
		case h.SHA256 != w.SHA256:
			p.Replace = append(p.Replace, Change{From: h, To: w, Why: "hash"})
		default:
			p.Keep = append(p.Keep, w)
		}
	}
	kept := make(map[string]bool, len(keep))
	for _, k := range keep {
		kept[k] = true
	}
	for _, h := range have {
		if !wanted[h.Name] && !kept[h.Name] {
			p.Remove = append(p.Remove, h)
		}
	}
	sort.Slice(p.Install, func(i, j int) bool { return p.Install[i].Name < p.Install[j].Name })
	sort.Slice(p.Replace, func(i, j int) bool { return p.Replace[i].To.Name < p.Replace[j].To.Name })
	sort.Slice(p.Remove, func(i, j int) bool { return p.Remove[i].Name < p.Remove[j].Name })
	sort.Slice(p.Keep, func(i, j int) bool { return p.Keep[i].Name < p.Keep[j].Name })
	return p
}
