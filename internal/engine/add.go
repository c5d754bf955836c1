package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/reqs"
)

// AddOptions are add's inputs: requirements given as arguments, read from
// requirements files, or collected from the plugins in the plugin dir.
type AddOptions struct {
	Lock             LockOptions
	Specs            []string
	RequirementFiles []string
	FromPlugins      bool
	// FromVenv takes what the venv holds (another tool filled it) as
	// requirements, pinned to the installed versions.
	FromVenv bool
}

// Add puts requirements into the lock's direct requirements and re-locks.
// Requirements files and plugins are read alike (Declared): their
// find-links and constraints are applied, their --hash pins checked
// against the files locked, their index options accepted only for an index
// the run already uses, and a resolver failure names the file and line
// that asked for what failed.
func (e *Engine) Add(ctx context.Context, o AddOptions) (*LockResult, error) {
	var add []string
	d := &Declared{Hashes: map[string][]HashPin{}, Origins: map[string][]Origin{}}
	for _, s := range o.Specs {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("requirement %q: %w", s, err)
		}
		add = append(add, r.String())
		n := pep508.NormalizeName(r.Name)
		d.Origins[n] = append(d.Origins[n], Origin{Where: "the command line"})
	}
	for _, f := range o.RequirementFiles {
		lines, opts, err := reqs.ParseRequirements(f)
		if err != nil {
			return nil, err
		}
		if err := d.declare(lines, opts, o.Lock.Offline, o.Lock.AllowBuild); err != nil {
			return nil, err
		}
		for _, l := range lines {
			add = append(add, l.Req.String())
		}
	}
	if o.FromPlugins {
		loc, err := Locate(o.Lock.Where, e.Sys)
		if err != nil {
			return nil, err
		}
		found, err := e.pluginRequirements(loc.PluginDir, d, o.Lock)
		if err != nil {
			return nil, err
		}
		add = append(add, found...)
	}
	if o.FromVenv {
		loc, err := Locate(o.Lock.Where, e.Sys)
		if err != nil {
			return nil, err
		}
		fv, err := readVenv(loc.Venv)
		if err != nil {
			return nil, err
		}
		if len(fv.Pins) == 0 {
			return nil, fmt.Errorf("--from-venv: %s holds no distribution but pip", loc.Venv)
		}
		e.logf("from the venv: %s", strings.Join(fv.Requirements, ", "))
		add = append(add, fv.Requirements...)
		d.Constraints = append(d.Constraints, fv.constraints()...)
		d.venv = fv
	}
	if len(add) == 0 {
		return nil, fmt.Errorf("nothing to add")
	}
	// Two requirements for one distribution in a single add would silently
	// keep the last one: refuse instead.
	seen := map[string]string{}
	for _, a := range add {
		r, _ := pep508.ParseRequirement(a)
		n := pep508.NormalizeName(r.Name)
		if prev, ok := seen[n]; ok && prev != a {
			return nil, fmt.Errorf("conflicting requirements for %s: %s and %s", r.Name, prev, a)
		}
		seen[n] = a
	}
	o.Lock.Declared = d
	res, err := e.Relock(ctx, o.Lock, func(old []string) ([]string, error) {
		return mergeRequirements(old, add)
	})
	if res != nil && d.Needs != nil {
		res.PluginNeeds = d.Needs
	}
	return res, err
}

// Remove takes distributions out of the lock's direct requirements and
// re-locks; what only they needed leaves the lock.
func (e *Engine) Remove(ctx context.Context, o LockOptions, names []string) (*LockResult, error) {
	return e.Relock(ctx, o, func(old []string) ([]string, error) {
		kept, missing, err := dropRequirements(old, names)
		if err != nil {
			return nil, err
		}
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: not a direct requirement of the lock (it has: %s)", strings.Join(missing, ", "), strings.Join(old, ", "))
		}
		return kept, nil
	})
}

// PluginConflictError lists requirements of the plugins that cannot all
// hold, each naming the plugin and file it comes from.
type PluginConflictError struct {
	Conflicts []reqs.Conflict
}

func (e *PluginConflictError) Error() string {
	lines := make([]string, len(e.Conflicts))
	for i, c := range e.Conflicts {
		lines[i] = c.Error()
	}
	return strings.Join(lines, "\n")
}

// pluginRequirements collects and merges what the plugins in dir declare,
// adding their options and origins to d.
func (e *Engine) pluginRequirements(dir string, d *Declared, o LockOptions) ([]string, error) {
	col, err := reqs.CollectPlugins(dir)
	if err != nil {
		return nil, err
	}
	for _, f := range col.Files {
		e.logf("plugin requirements: %s", f)
	}
	merged, conflicts := reqs.Merge(col.Lines)
	if len(conflicts) > 0 {
		return nil, &PluginConflictError{Conflicts: conflicts}
	}
	if len(merged) == 0 {
		return nil, &NoPluginsError{Dir: dir, Searched: col.Searched}
	}
	if err := d.declare(col.Lines, col.Options, o.Offline, o.AllowBuild); err != nil {
		return nil, err
	}
	d.Needs = col.Needs
	if len(col.Needs) > 0 {
		e.warnf("%s", describeNeeds(col))
	}
	out := make([]string, len(merged))
	for i, m := range merged {
		out[i] = m.Req.String()
	}
	return out, nil
}

// NoPluginsError is a plugin dir in which no plugin declares requirements.
type NoPluginsError struct {
	Dir      string
	Searched int // folders below Dir looked in
}

func (e *NoPluginsError) Error() string {
	return fmt.Sprintf("no plugin in %s declares requirements: looked in it and %d folders below it (to %d levels; dot-folders, __pycache__, node_modules, venvs and test suites skipped) for %s and %s [dependencies] python",
		e.Dir, e.Searched, reqs.MaxDepth, reqs.RequirementsFile, reqs.ManifestFile)
}

// describeNeeds says, once, which plugins need other plugins: influx-py
// locks Python packages, not plugins. Plugins that need the same plugin are
// named together.
func describeNeeds(col *reqs.Collection) string {
	type key struct{ name, version string }
	var order []key
	by := map[key][]string{}
	for _, n := range col.Needs {
		k := key{n.Name, n.Version}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], n.Source)
	}
	var parts []string
	for _, k := range order {
		what := "plugin " + k.name
		if k.version != "" {
			what += " " + k.version
		}
		here := "not in the plugin dir"
		for _, p := range col.Plugins {
			if p == k.name || strings.HasSuffix(p, "/"+k.name) {
				here = "its folder " + p + " is here, so its Python requirements are locked too"
				break
			}
		}
		parts = append(parts, fmt.Sprintf("%s (%s) is needed by %s", what, here, strings.Join(by[k], ", ")))
	}
	return "plugins that need other plugins (influx-py installs Python packages, not plugins): " + strings.Join(parts, "; ")
}
