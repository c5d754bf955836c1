package lockfile

import (
	"fmt"
	"strings"

	"github.com/influx-py/influx-py/internal/tags"
)

// Env is the interpreter Select installs for.
type Env struct {
	// Markers are the PEP 508 environment marker variables
	// (python_version, sys_platform, ...).
	Markers map[string]string
	// PythonFullVersion is checked against requires-python; empty means
	// Markers["python_full_version"].
	PythonFullVersion string
	// Tags are the interpreter's supported tags, most preferred first.
	Tags []tags.Tag
	// Extras are the extras to install (none by default).
	Extras []string
	// DependencyGroups are the groups to install; nil means the lock's
	// default-groups, an empty non-nil slice means none.
	DependencyGroups []string
	// AllowSdist lets a package without a fitting wheel fall back to its
	// sdist (which then has to be built).
	AllowSdist bool
}

// Selection is one package to install and what to install it from.
type Selection struct {
	Package *Package
	// File is the chosen wheel, the sdist, or the archive's file; nil for
	// vcs and directory sources.
	File *File
	Kind string // "wheel", "sdist", "archive", "directory" or "vcs"
}

// Source kinds of a Selection.
const (
	KindWheel     = "wheel"
	KindSdist     = "sdist"
	KindArchive   = "archive"
	KindDirectory = "directory"
	KindVCS       = "vcs"
)

// NoMatchingWheelError is a package whose wheels all target other
// interpreters or platforms, with no sdist to fall back on (or sdists not
// allowed).
type NoMatchingWheelError struct {
	Package, Version string
	WheelTags        []string // every tag the package's wheels carry, in file order
	Supported        []string // the interpreter's most preferred tags (the first few)
	HasSdist         bool     // an sdist exists but Env.AllowSdist is off
}

// supportedShown is how many of the interpreter's tags an error lists.
const supportedShown = 5

func (e *NoMatchingWheelError) Error() string {
	id := e.Package
	if e.Version != "" {
		id += " " + e.Version
	}
	if len(e.WheelTags) == 0 {
		return fmt.Sprintf("%s has no wheels, only an sdist, and building from source is not allowed", id)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no wheel of %s fits this interpreter: the lock's wheels are tagged %s", id, strings.Join(e.WheelTags, ", "))
	if len(e.Supported) == 0 {
		b.WriteString("; the interpreter supports no tags")
	} else {
		fmt.Fprintf(&b, "; the interpreter supports %s", strings.Join(e.Supported, ", "))
	}
	if e.HasSdist {
		b.WriteString(" (an sdist exists, but building from source is not allowed)")
	} else {
		b.WriteString(" (and the lock has no sdist to build from)")
	}
	return b.String()
}

// RequiresPythonError is an interpreter the lock, or one of its packages,
// does not support.
type RequiresPythonError struct {
	Package   string // package ID; empty when it is the lock's own requires-python
	Index     int    // the package's index; -1 for the lock
	Specifier string
	Python    string
}

func (e *RequiresPythonError) Error() string {
	if e.Package == "" {
		return fmt.Sprintf("the lock file requires Python %s, but the interpreter is %s", e.Specifier, e.Python)
	}
	return fmt.Sprintf("package %q (packages[%d]) requires Python %s, but the interpreter is %s", e.Package, e.Index, e.Specifier, e.Python)
}

// EnvironmentError is an interpreter that matches none of the lock's
// environments.
type EnvironmentError struct {
	Environments []string
}

func (e *EnvironmentError) Error() string {
	return fmt.Sprintf("the interpreter matches none of the lock file's environments: %s", strings.Join(e.Environments, "; "))
}

// ConflictError is two entries of one package that both apply to the
// interpreter; the spec requires the lock to narrow down to one.
type ConflictError struct {
	Name           string
	First, Second  int // indexes in packages
	FirstID, SecID string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("package %q is locked twice for this interpreter: packages[%d] (%s) and packages[%d] (%s)", e.Name, e.First, e.FirstID, e.Second, e.SecID)
}

// Select decides what to install, following the spec's installation steps:
// the lock's requires-python and environments must admit the interpreter;
// packages whose marker is false are skipped; a selected package's
// requires-python must hold; no name may be selected twice. Each selected
// package then installs from its vcs, directory or archive source, else its
// best wheel (the one whose best tag ranks highest in env.Tags, the first
// such in file order on a tie), else its sdist when env.AllowSdist.
//
// Extras and groups the lock does not list are refused, when it lists
// them. Selections come in the lock's package order and point into l. The
// lock must be valid (as Parse returns it).
func (l *Lock) Select(env Env) ([]Selection, error) {
	python := env.PythonFullVersion
	if python == "" {
		python = env.Markers["python_full_version"]
	}
	python = pep440PythonVersion(python)
	groups := env.DependencyGroups
	if groups == nil {
		groups = l.DefaultGroups
	}
	extras := env.Extras
	if extras == nil {
		extras = []string{}
	}
	if groups == nil {
		groups = []string{}
	}

	if err := checkRequested("extra", env.Extras, l.ExtrasList, nil); err != nil {
		return nil, err
	}
	if err := checkRequested("dependency group", env.DependencyGroups, l.DependencyGroups, l.DefaultGroups); err != nil {
		return nil, err
	}

	if l.RequiresPython != "" {
		ok, err := pythonMatches(l.RequiresPython, python)
		if err != nil {
			return nil, fmt.Errorf("check the lock's requires-python: %w", err)
		}
		if !ok {
			return nil, &RequiresPythonError{Index: -1, Specifier: l.RequiresPython, Python: python}
		}
	}
	if l.Environments != nil {
		matched := false
		for i, m := range l.Environments {
			ok, err := evalEnvironment(m, env.Markers)
			if err != nil {
				return nil, fmt.Errorf("evaluate environments[%d] %q: %w", i, m, err)
			}
			if ok {
				matched = true
				break
			}
		}
		if !matched {
			return nil, &EnvironmentError{Environments: l.Environments}
		}
	}

	var chosen []int
	byName := map[string]int{}
	for i := range l.Packages {
		p := &l.Packages[i]
		if p.Marker != "" {
			ok, err := evalMarker(p.Marker, env.Markers, extras, groups)
			if err != nil {
				return nil, fmt.Errorf("package %q (packages[%d]): evaluate marker %q: %w", p.ID(), i, p.Marker, err)
			}
			if !ok {
				continue
			}
		}
		if p.RequiresPython != "" {
			ok, err := pythonMatches(p.RequiresPython, python)
			if err != nil {
				return nil, fmt.Errorf("package %q (packages[%d]): check requires-python: %w", p.ID(), i, err)
			}
			if !ok {
				return nil, &RequiresPythonError{Package: p.ID(), Index: i, Specifier: p.RequiresPython, Python: python}
			}
		}
		name := normalizeName(p.Name)
		if j, dup := byName[name]; dup {
			return nil, &ConflictError{Name: name, First: j, Second: i, FirstID: l.Packages[j].ID(), SecID: p.ID()}
		}
		byName[name] = i
		chosen = append(chosen, i)
	}

	index := tags.NewIndex(env.Tags)
	out := make([]Selection, 0, len(chosen))
	for _, i := range chosen {
		s, err := choose(&l.Packages[i], env, index)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// checkRequested refuses extras or groups the lock does not offer, when it
// lists what it offers: a misspelt name would otherwise install less than
// asked, silently.
func checkRequested(what string, requested, listed, defaults []string) error {
	if listed == nil {
		return nil
	}
	known := map[string]bool{}
	for _, n := range append(append([]string(nil), listed...), defaults...) {
		known[normalizeName(n)] = true
	}
	for _, r := range requested {
		if !known[normalizeName(r)] {
			offered := strings.Join(listed, ", ")
			if offered == "" {
				offered = "none"
			}
			return fmt.Errorf("the lock file has no %s %q (it offers: %s)", what, r, offered)
		}
	}
	return nil
}

// choose picks the source of one selected package.
func choose(p *Package, env Env, index tags.Index) (Selection, error) {
	switch {
	case p.VCS != nil:
		return Selection{Package: p, Kind: KindVCS}, nil
	case p.Directory != nil:
		return Selection{Package: p, Kind: KindDirectory}, nil
	case p.Archive != nil:
		return Selection{Package: p, File: &p.Archive.File, Kind: KindArchive}, nil
	}
	best, bestRank := -1, 0
	var wheelTags []string
	seen := map[string]bool{}
	for i := range p.Wheels {
		w, err := wheelTagsOf(p.Wheels[i].Filename())
		if err != nil {
			return Selection{}, fmt.Errorf("package %q: wheels[%d]: %w", p.ID(), i, err)
		}
		for _, t := range w {
			if s := t.String(); !seen[s] {
				seen[s] = true
				wheelTags = append(wheelTags, s)
			}
		}
		if rank, ok := index.Best(w); ok && (best < 0 || rank < bestRank) {
			best, bestRank = i, rank
		}
	}
	if best >= 0 {
		return Selection{Package: p, File: &p.Wheels[best], Kind: KindWheel}, nil
	}
	if p.Sdist != nil && env.AllowSdist {
		return Selection{Package: p, File: p.Sdist, Kind: KindSdist}, nil
	}
	supported := make([]string, 0, supportedShown)
	for i, t := range env.Tags {
		if i == supportedShown {
			break
		}
		supported = append(supported, t.String())
	}
	return Selection{}, &NoMatchingWheelError{
		Package: p.Name, Version: p.Version,
		WheelTags: wheelTags, Supported: supported, HasSdist: p.Sdist != nil,
	}
}

// pep440PythonVersion repairs the version string of an untagged CPython
// build ("3.14.0a1+"), which is not valid PEP 440, as packaging does.
func pep440PythonVersion(v string) string {
	if strings.HasSuffix(v, "+") {
		return v + "local"
	}
	return v
}
