package engine

import (
	"context"
	"encoding/json"

	"github.com/influx-py/influx-py/internal/venv"
)

// CheckOptions are check's inputs.
type CheckOptions struct {
	Where    Where
	CacheDir string
	// Verify hashes every installed file against its RECORD and looks for
	// files no RECORD owns (--verify): the deep look, for cron or an
	// audit; without it check reads no file's content.
	Verify bool
}

// CheckResult says whether the venv matches the lock, and how it differs.
type CheckResult struct {
	PluginDir     string   `json:"plugin_dir"`
	Venv          string   `json:"venv"`
	Lock          string   `json:"lock"`
	Python        string   `json:"python"`
	PythonVersion string   `json:"python_version"`
	InSync        bool     `json:"in_sync"`
	Problems      []string `json:"problems"` // about the venv as a whole
	Plan          *Plan    `json:"plan"`
	// Damage is what --verify found: files changed, missing or added
	// since the sync.
	Damage []venv.Damage `json:"damage"`
}

// MarshalJSON writes the result with an empty plan and lists rather than
// null.
func (r CheckResult) MarshalJSON() ([]byte, error) {
	type plain CheckResult
	q := plain(r)
	if q.Plan == nil {
		q.Plan = MakePlan(nil, nil, nil)
	}
	q.Problems, q.Damage = orEmpty(q.Problems), orEmpty(q.Damage)
	return json.Marshal(q)
}

// Check compares the venv with the lock and changes nothing. When the stamp
// vouches for the venv it starts no process; otherwise it probes the
// interpreter (cached) and reads site-packages.
func (e *Engine) Check(ctx context.Context, opts CheckOptions) (*CheckResult, error) {
	var err error
	if opts.Where.Lock, err = e.remoteFile(ctx, opts.CacheDir, opts.Where.Lock, "pylock.toml"); err != nil {
		return nil, err
	}
	s, err := e.open(opts.Where, true, nil)
	if err != nil {
		return nil, err
	}
	res := &CheckResult{PluginDir: s.loc.PluginDir, Venv: s.loc.Venv, Lock: s.loc.Lock, Python: s.loc.Python, Problems: []string{}}
	if opts.Verify && s.state.SitePackages != "" {
		if err := s.loadDists(); err != nil {
			return nil, err
		}
		if res.Damage, err = s.verifyFiles(); err != nil {
			return nil, err
		}
	}
	if ok, _ := s.upToDate(); ok {
		res.InSync = len(res.Damage) == 0
		res.PythonVersion = s.stamp.Interpreter.Version
		res.Plan = s.stampPlan()
		return res, nil
	}
	if err := s.loadDists(); err != nil {
		return nil, err
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
	res.InSync = len(res.Problems) == 0 && res.Plan.Empty() && len(res.Damage) == 0
	return res, nil
}

// verifyFiles is venv.Verify with the stamp's baseline of files no RECORD
// owns.
func (v *venvView) verifyFiles() ([]venv.Damage, error) {
	var baseline map[string]string
	if v.stamp != nil {
		baseline = v.stamp.Extra
	}
	return venv.Verify(v.layout, v.state.SitePackages, v.state.Dists, baseline)
}
