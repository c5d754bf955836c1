package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
)

// toolKey is influx-py's table in pylock.toml: [tool.influx-py]. PEP 751
// gives each tool a table of its own that other tools keep and ignore, so
// the direct requirements live in the lock and there is no second file to
// keep in step.
const toolKey = "influx-py"

// Project is what [tool.influx-py] records: the direct requirements and
// where they were resolved from, for what Python.
type Project struct {
	// Recorded is set when the lock has [tool.influx-py] requirements (an
	// empty list included): a lock without them was written by another
	// tool, and its requirements must be adopted, not taken as none.
	Recorded       bool
	Requirements   []string // PEP 508, one per distribution, sorted by name
	Python         string   // the Python minor version resolved for, "3.11"
	IndexURL       string
	ExtraIndexURLs []string
	FindLinks      []string // relative to the lock's folder where inside it
	// Targets are the kinds of node the lock was made for (--target),
	// "3.13-linux-x86_64"; empty for a lock made for this interpreter.
	Targets []string
}

// projectOf reads [tool.influx-py] from a lock; a lock without it (written
// by another tool) has no recorded requirements.
func projectOf(l *lockfile.Lock) (Project, error) {
	var p Project
	if l == nil || l.Tool == nil {
		return p, nil
	}
	raw, ok := l.Tool[toolKey]
	if !ok {
		return p, nil
	}
	t, ok := raw.(map[string]any)
	if !ok {
		return p, fmt.Errorf("[tool.%s] is not a table", toolKey)
	}
	var err error
	str := func(key string) string {
		v, ok := t[key]
		if !ok {
			return ""
		}
		s, ok := v.(string)
		if !ok && err == nil {
			err = fmt.Errorf("[tool.%s].%s: want a string", toolKey, key)
		}
		return s
	}
	list := func(key string) []string {
		v, ok := t[key]
		if !ok {
			return nil
		}
		items, ok := v.([]any)
		if !ok {
			if err == nil {
				err = fmt.Errorf("[tool.%s].%s: want an array of strings", toolKey, key)
			}
			return nil
		}
		out := make([]string, 0, len(items))
		for i, it := range items {
			s, ok := it.(string)
			if !ok && err == nil {
				err = fmt.Errorf("[tool.%s].%s[%d]: want a string", toolKey, key, i)
			}
			out = append(out, s)
		}
		return out
	}
	_, p.Recorded = t["requirements"]
	p.Requirements = list("requirements")
	p.Python = str("python")
	p.IndexURL = str("index-url")
	p.ExtraIndexURLs = list("extra-index-urls")
	p.FindLinks = list("find-links")
	p.Targets = list("targets")
	if err != nil {
		return p, err
	}
	for i, r := range p.Requirements {
		if _, perr := pep508.ParseRequirement(r); perr != nil {
			return p, fmt.Errorf("[tool.%s].requirements[%d]: %w", toolKey, i, perr)
		}
	}
	return p, nil
}

// table is p as the TOML table written into the lock. Empty fields are left
// out so that the table stays short.
func (p Project) table() map[string]any {
	t := map[string]any{"requirements": toAny(p.Requirements)}
	if p.Python != "" {
		t["python"] = p.Python
	}
	if p.IndexURL != "" {
		t["index-url"] = p.IndexURL
	}
	if len(p.ExtraIndexURLs) > 0 {
		t["extra-index-urls"] = toAny(p.ExtraIndexURLs)
	}
	if len(p.FindLinks) > 0 {
		t["find-links"] = toAny(p.FindLinks)
	}
	if len(p.Targets) > 0 {
		t["targets"] = toAny(p.Targets)
	}
	return t
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// mergeRequirements returns reqs with each of add put in place of any
// requirement of the same distribution (`add 'pandas==2.2.3'` replaces
// `pandas>=2`), sorted by normalized name.
func mergeRequirements(reqs, add []string) ([]string, error) {
	byName := map[string]string{}
	for _, r := range reqs {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, err
		}
		byName[pep508.NormalizeName(req.Name)] = req.String()
	}
	for _, r := range add {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, err
		}
		byName[pep508.NormalizeName(req.Name)] = req.String()
	}
	return sortedValues(byName), nil
}

// dropRequirements removes the named distributions; names that are not
// direct requirements are returned as missing.
func dropRequirements(reqs, names []string) (kept, missing []string, err error) {
	byName := map[string]string{}
	for _, r := range reqs {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			return nil, nil, err
		}
		byName[pep508.NormalizeName(req.Name)] = req.String()
	}
	for _, n := range names {
		if !pep508.ValidName(n) {
			return nil, nil, fmt.Errorf("%q is not a valid distribution name", n)
		}
		key := pep508.NormalizeName(n)
		if _, ok := byName[key]; !ok {
			missing = append(missing, n)
			continue
		}
		delete(byName, key)
	}
	return sortedValues(byName), missing, nil
}

func sortedValues(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// staleness says why a lock no longer answers its requirements, without
// resolving anything: the requirements recorded in it differ from reqs, or
// a direct requirement is missing from the packages or not satisfied by the
// locked version. An empty result means the lock is current. adopted says
// that reqs were derived from the lock itself (it records none).
func staleness(l *lockfile.Lock, reqs []string, adopted bool) []string {
	var why []string
	p, err := projectOf(l)
	if err != nil {
		return []string{err.Error()}
	}
	if !adopted && strings.Join(p.Requirements, "\n") != strings.Join(reqs, "\n") {
		why = append(why, fmt.Sprintf("the lock was made for the requirements [%s], not [%s]",
			strings.Join(p.Requirements, ", "), strings.Join(reqs, ", ")))
	}
	locked := map[string][]string{}
	for _, pkg := range l.Packages {
		n := pep508.NormalizeName(pkg.Name)
		locked[n] = append(locked[n], pkg.Version)
	}
	for _, r := range reqs {
		req, err := pep508.ParseRequirement(r)
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		versions, ok := locked[pep508.NormalizeName(req.Name)]
		if !ok {
			why = append(why, fmt.Sprintf("%s is not in the lock", req.Name))
			continue
		}
		// A direct reference (name @ url) or a bare name fits whatever
		// version is locked, a package locked without one included.
		fits := req.URL != "" || req.Specifier.String() == ""
		for _, v := range versions {
			pv, err := pep440.Parse(v)
			fits = fits || (err == nil && req.Specifier.Contains(pv, pep440.PreAllow))
		}
		if !fits {
			why = append(why, fmt.Sprintf("the lock has %s %s, which does not satisfy %s", req.Name, strings.Join(versions, ", "), r))
		}
	}
	return why
}
