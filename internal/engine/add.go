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
}

// Add puts requirements into the lock's direct requirements and re-locks.
func (e *Engine) Add(ctx context.Context, o AddOptions) (*LockResult, error) {
	var add []string
	for _, s := range o.Specs {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			return nil, fmt.Errorf("requirement %q: %w", s, err)
		}
		add = append(add, r.String())
	}
	for _, f := range o.RequirementFiles {
		lines, err := reqs.ParseRequirementsFile(f)
		if err != nil {
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
		found, err := e.pluginRequirements(loc.PluginDir)
		if err != nil {
			return nil, err
		}
		add = append(add, found...)
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
	return e.Relock(ctx, o.Lock, func(old []string) ([]string, error) {
		return mergeRequirements(old, add)
	})
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

// pluginRequirements collects and merges what the plugins in dir declare.
func (e *Engine) pluginRequirements(dir string) ([]string, error) {
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
		return nil, fmt.Errorf("no plugin in %s declares requirements (requirements.txt, manifest.toml [dependencies] python)", dir)
	}
	out := make([]string, len(merged))
	for i, m := range merged {
		out[i] = m.Req.String()
	}
	return out, nil
}
