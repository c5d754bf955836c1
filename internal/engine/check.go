package engine

import (
	"context"
)

// CheckOptions are check's inputs.
type CheckOptions struct {
	Where    Where
	CacheDir string
}

// CheckResult says whether the venv matches the lock, and how it differs.
type CheckResult struct {
	PluginDir     string   `json:"plugin_dir"`
	Venv          string   `json:"venv"`
	Lock          string   `json:"lock"`
	Python        string   `json:"python"`
	PythonVersion string   `json:"python_version,omitempty"`
	InSync        bool     `json:"in_sync"`
	Problems      []string `json:"problems"` // about the venv as a whole
	Plan          *Plan    `json:"plan,omitempty"`
}

// Check compares the venv with the lock and changes nothing. When the stamp
// vouches for the venv it starts no process; otherwise it probes the
// interpreter (cached) and reads site-packages.
func (e *Engine) Check(ctx context.Context, opts CheckOptions) (*CheckResult, error) {
	s, err := e.open(opts.Where, true, nil)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{PluginDir: s.loc.PluginDir, Venv: s.loc.Venv, Lock: s.loc.Lock, Python: s.loc.Python, Problems: []string{}}
	if ok, _ := s.upToDate(); ok {
		res.InSync = true
		res.PythonVersion = s.stamp.Interpreter.Version
		res.Plan = MakePlan(nil, nil, nil)
		return res, nil
	}
	info, err := e.probe(ctx, opts.CacheDir, s.loc.Python)
	if err != nil {
		return nil, err
	}
	res.PythonVersion = info.FullVersion
	wants, _, err := s.wants(info, true)
	if err != nil {
		return nil, err
	}
	action, why, err := s.verdict(info)
	if err == nil && action == venvKeep {
		action, why, err = e.venvWorks(ctx, s)
	}
	var have []Have
	switch {
	case err != nil:
		// A venv that sync would refuse is drift, not a failure of check.
		res.Problems = append(res.Problems, err.Error())
	case action == venvCreate:
		res.Problems = append(res.Problems, "missing: "+why)
	case action == venvRebuild:
		res.Problems = append(res.Problems, "needs rebuilding: "+why)
	default:
		have = s.haves(s.state.Dists)
	}
	if s.installing {
		res.Problems = append(res.Problems, interruptedWhat(s)+"; run sync to repair")
	}
	if err == nil && action == venvKeep {
		// Damage inside a usable venv (a dist-info without METADATA, a
		// leftover of an aborted pip run) is drift too.
		res.Problems = append(res.Problems, s.state.Health.Problems...)
	}
	res.Plan = MakePlan(wants, have, keepNames)
	res.InSync = len(res.Problems) == 0 && res.Plan.Empty()
	return res, nil
}
