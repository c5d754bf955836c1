package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/resolve"
)

// TargetError is a sync after a re-lock on a machine that is none of the
// lock's targets.
type TargetError struct {
	Here    string   // this machine, as a target
	Targets []string // the lock's
	Relock  bool     // found before a re-lock's sync, not by a sync
}

func (e *TargetError) Error() string {
	return fmt.Sprintf("this machine (%s) is not one of the targets %s: the lock would not install here", e.Here, strings.Join(e.Targets, ", "))
}

// lockTargets are the targets of a re-lock: --target, else what the lock
// records. With a sync to follow, this machine must be one of them; and a
// lock for other nodes is made of wheels only.
func (e *Engine) lockTargets(opts LockOptions, proj Project, info *interp.Info) ([]resolve.Target, error) {
	raw := opts.Targets
	if raw == nil {
		raw = proj.Targets
	}
	seen := map[resolve.Target]bool{}
	var out []resolve.Target
	for _, s := range raw {
		t, err := resolve.ParseTarget(s)
		if err != nil {
			return nil, err
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	if opts.AllowBuild {
		return nil, errors.New("--allow-build cannot be used with --target: a lock for other nodes holds wheels only (an sdist would be built on each node, for its own platform)")
	}
	if opts.Sync != nil {
		if _, ok := hostTarget(out, info); !ok {
			names := make([]string, len(out))
			for i, t := range out {
				names[i] = t.String()
			}
			return nil, &TargetError{Here: describeHost(info), Targets: names, Relock: true}
		}
	}
	return out, nil
}

// hostTarget is the target this interpreter is, if any.
func hostTarget(targets []resolve.Target, info *interp.Info) (resolve.Target, bool) {
	env := pep508.Environment{Vars: info.MarkerVars()}
	for _, t := range targets {
		m, err := pep508.ParseMarker(t.Marker())
		if err != nil {
			continue
		}
		if ok, err := m.Evaluate(env); err == nil && ok {
			return t, true
		}
	}
	return resolve.Target{}, false
}

// describeHost writes this interpreter as a target would be written.
func describeHost(info *interp.Info) string {
	m := info.MarkerVars()
	os := map[string]string{"linux": "linux", "darwin": "macos", "win32": "windows"}[m["sys_platform"]]
	if os == "" {
		os = m["sys_platform"]
	}
	arch := strings.ToLower(m["platform_machine"])
	if arch == "amd64" {
		arch = "x86_64"
	}
	return m["python_version"] + "-" + os + "-" + arch
}

// resolveAll resolves for this interpreter, or once per target and merges
// the results (mergeTargets).
func (e *Engine) resolveAll(ctx context.Context, opts LockOptions, loc *Locations, info *interp.Info, old *lockfile.Lock, src sources, reqs []string) ([]resolve.Pin, string, error) {
	if len(src.targets) == 0 {
		return e.resolvePins(ctx, opts, loc, info, old, src, reqs, nil)
	}
	var sets [][]resolve.Pin
	name := ""
	for i := range src.targets {
		t := src.targets[i]
		e.logf("resolving for %s", t)
		pins, n, err := e.resolvePins(ctx, opts, loc, info, old, src, reqs, &t)
		if err != nil {
			return nil, "", fmt.Errorf("resolve for %s: %w", t, err)
		}
		sets, name = append(sets, pins), n
		m := info.MarkerVars()
		if n == "pip" && (t.SysPlatform() != m["sys_platform"] || t.PlatformMachine() != m["platform_machine"]) {
			e.warnf("pip resolved for %s with the markers of this machine (%s %s) except python_version: a dependency only %s needs by marker may be missing; uv (--backend uv) judges every marker for the target", t, m["sys_platform"], m["platform_machine"], t)
		}
	}
	return mergeTargets(src.targets, sets), name, nil
}

// mergeTargets makes one set of pins from one resolution per target: a
// pin every target shares is kept as it is; one only some targets have
// gets the marker of those targets, so that a package pinned at two
// versions for two kinds of node becomes two lock entries, each installed
// where its marker holds.
func mergeTargets(targets []resolve.Target, sets [][]resolve.Pin) []resolve.Pin {
	type key struct{ name, version, url string }
	var order []key
	pins := map[key]*resolve.Pin{}
	where := map[key][]int{}
	for i, set := range sets {
		for _, p := range set {
			k := key{pep508.NormalizeName(p.Name), p.Version, ""}
			if p.Version == "" {
				k.url = p.URL
			}
			if pins[k] == nil {
				cp := p
				cp.Hashes = append([]string(nil), p.Hashes...)
				pins[k] = &cp
				order = append(order, k)
			} else {
				m := pins[k]
				m.Requested = m.Requested || p.Requested
				for _, h := range p.Hashes {
					if !contains(m.Hashes, h) {
						m.Hashes = append(m.Hashes, h)
					}
				}
			}
			where[k] = append(where[k], i)
		}
	}
	out := make([]resolve.Pin, 0, len(order))
	for _, k := range order {
		p := *pins[k]
		if len(where[k]) < len(targets) {
			parts := make([]string, len(where[k]))
			for j, i := range where[k] {
				parts[j] = targets[i].Marker()
				if len(where[k]) > 1 {
					parts[j] = "(" + parts[j] + ")"
				}
			}
			p.Marker = strings.Join(parts, " or ")
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
