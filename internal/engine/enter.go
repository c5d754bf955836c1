package engine

import (
	"fmt"
	"path/filepath"

	"github.com/influx-py/influx-py/internal/activate"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/venv"
)

// Entering a venv needs only the venv: `influx-py env` and `run` find it as
// sync does and hand it to the activate package, which writes the shell
// text and builds the child's environment.

// NoVenvError reports a venv that cannot be entered because it is not there
// or is not a venv.
type NoVenvError struct {
	Path   string
	Reason string
	Hint   string
}

func (e *NoVenvError) Error() string {
	return fmt.Sprintf("no venv to enter at %s: %s; %s", e.Path, e.Reason, e.Hint)
}

// Activation is a venv ready to be entered.
type Activation struct {
	Layout venv.Layout
	// Prompt is what the shell prompt shows: pyvenv.cfg's prompt, else the
	// venv directory's name, as CPython's activate scripts decide it.
	Prompt string
	// Problems are what is wrong with the venv without keeping a shell from
	// entering it (its interpreter or base Python is gone, say); the caller
	// shows them as warnings.
	Problems []string
}

// Activation finds the venv as sync and check do and makes sure it is one.
// No interpreter is chosen and no process started: entering a venv needs only
// the venv.
func (e *Engine) Activation(w Where) (*Activation, error) {
	dir, err := LocateVenv(w, e.Sys)
	if err != nil {
		return nil, err
	}
	l := venv.NewLayout(dir, e.Sys.GOOS)
	st, err := venv.Inspect(l)
	if err != nil {
		return nil, err
	}
	h := st.Health
	create := "run 'influx-py sync' to create it"
	switch {
	case !h.Exists:
		return nil, &NoVenvError{Path: dir, Reason: "the directory does not exist", Hint: create}
	case h.NotVenv:
		return nil, &NoVenvError{Path: dir, Reason: "it is not a virtual environment (no pyvenv.cfg)", Hint: "pass --venv DIR to choose another"}
	case h.Empty && !h.HasConfig:
		return nil, &NoVenvError{Path: dir, Reason: "the directory is empty", Hint: create}
	case !h.HasConfig:
		return nil, &NoVenvError{Path: dir, Reason: "its pyvenv.cfg cannot be read", Hint: "run 'influx-py sync' to repair it"}
	}
	a := &Activation{Layout: l, Prompt: activate.Prompt(l, st.Config)}
	if !h.OK() {
		a.Problems = h.Problems
	}
	e.logf("venv: %s", dir)
	return a, nil
}

// LocateVenv resolves the venv the way Locate does (--venv, else .venv in
// the plugin dir, which must exist) without looking for an interpreter.
func LocateVenv(w Where, sys System) (string, error) {
	dir, err := findPluginDir(w, sys)
	if err != nil {
		return "", err
	}
	p := absOr(w.Venv, filepath.Join(dir, venv.DefaultDir))
	// As for sync: a linked venv is entered where the link points.
	if real, err := fsutil.FollowLink(p); err == nil {
		p = real
	}
	return p, nil
}
