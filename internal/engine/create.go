package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/venv"
)

// uvCacheDir is uv's cache inside the venv (see Sync).
const uvCacheDir = ".uv-cache"

// scratchDir is where a command holding the venv lock keeps its temporary
// files (the install's requirements file, the resolver's inputs): beside the
// venv, so that whoever takes the lock next knows that what is there is
// debris of a run that was killed, and removes it.
func scratchDir(venvDir string) string { return venvDir + ".influx-py-tmp" }

// takeVenv takes the venv lock for a command that changes the venv or its
// lock, then clears up after an earlier run that was killed: its scratch
// files, and a rebuild it left half-way. release gives the lock back and
// removes this run's scratch files.
func (e *Engine) takeVenv(ctx context.Context, venvDir string, timeout time.Duration, verb string) (release func(), err error) {
	unlock, err := e.lockVenv(ctx, venvDir, timeout, verb)
	if err != nil {
		return nil, err
	}
	scratch := scratchDir(venvDir)
	release = func() {
		os.RemoveAll(scratch)
		unlock()
	}
	if err := os.RemoveAll(scratch); err != nil {
		release()
		return nil, fmt.Errorf("remove %s, left by an earlier run: %w", scratch, err)
	}
	if err := e.recoverRebuild(venvDir); err != nil {
		release()
		return nil, fmt.Errorf("recover an interrupted rebuild: %w", err)
	}
	return release, nil
}

// sweepScratch removes the scratch files of a run that was killed, when no
// other process holds the venv lock: the no-op path of sync, which takes no
// lock, pays one stat for it.
func (e *Engine) sweepScratch(venvDir string) {
	scratch := scratchDir(venvDir)
	if _, err := os.Lstat(scratch); err != nil {
		return
	}
	unlock, ok, err := fsutil.TryLockFile(venvDir + ".lock")
	if err != nil || !ok {
		return
	}
	defer unlock()
	e.logf("removing %s, left by an earlier run", scratch)
	os.RemoveAll(scratch)
}

// newScratch makes an empty folder for one step's temporary files in the
// venv's scratch dir. The caller holds the venv lock.
func newScratch(venvDir, name string) (string, error) {
	dir := filepath.Join(scratchDir(venvDir), name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, nil
}

// createVenv makes the venv, or rebuilds it. The directory is marked
// "creating" before the interpreter runs, and "installing" once the venv
// has its interpreter and pip, so a kill at any moment leaves something the
// next sync recognizes as its own: a half-made venv is made again, never
// trusted. A rebuild first moves the old venv aside on the same filesystem
// and puts it back if the new one cannot be made.
//
// It returns the new venv as found on disk; the old view, of the venv as it
// was, is left alone.
func (e *Engine) createVenv(ctx context.Context, b Backend, old *venvView, rebuild bool) (*venvView, error) {
	dir := old.loc.Venv
	var aside string
	if rebuild {
		aside = fmt.Sprintf("%s.old-%d", dir, os.Getpid())
		if err := os.Rename(dir, aside); err != nil {
			return nil, fmt.Errorf("move old venv aside: %w", err)
		}
	} else if err := e.discardIfThere(dir); err != nil {
		// Only an empty directory or influx-py's own leftovers get here.
		return nil, fmt.Errorf("clear %s: %w", dir, err)
	}
	fail := func(err error) error {
		e.discardIfThere(dir)
		if aside != "" {
			if rerr := os.Rename(aside, dir); rerr != nil {
				return fmt.Errorf("%w (and restoring the old venv from %s failed: %v)", err, aside, rerr)
			}
		}
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fail(fmt.Errorf("create venv %s: %w", dir, err))
	}
	if err := venv.MarkCreating(old.layout, e.markerInfo()); err != nil {
		return nil, fail(err)
	}
	e.logf("creating venv %s with %s", dir, old.loc.Python)
	stop := e.phase("creating the venv", 0)
	err := b.Create(ctx, old.loc.Python, dir)
	stop()
	if err != nil {
		return nil, fail(err)
	}
	if err := venv.MarkInstalling(old.layout, e.markerInfo()); err != nil {
		return nil, fail(err)
	}
	st, err := venv.Inspect(old.layout)
	if err == nil && st.SitePackages == "" {
		err = fmt.Errorf("new venv %s has no site-packages", dir)
	}
	if err != nil {
		return nil, fail(err)
	}
	// The new venv is marked as ours, with pip, before the old one goes, so
	// an interruption from here on leaves something the next sync repairs.
	if aside != "" {
		if err := e.discard(dir, aside); err != nil {
			e.warnf("remove old venv %s: %v", aside, err)
		}
	}
	return &venvView{loc: old.loc, layout: old.layout, state: st, installing: true, marker: venv.Marker{Phase: venv.PhaseInstalling}}, nil
}

// discardIfThere discards the venv directory, when there is one.
func (e *Engine) discardIfThere(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return e.discard(dir, dir)
}

// discard removes a directory beside the venv that is no longer wanted (an
// old venv a rebuild replaced). It is first moved into the scratch dir, in
// one rename: a kill in the middle of the removal then leaves only scratch
// files, which the next run removes, never half an old venv that no longer
// says it is ours.
func (e *Engine) discard(venvDir, dir string) error {
	trash := filepath.Join(scratchDir(venvDir), "trash")
	if err := os.MkdirAll(trash, 0o700); err != nil {
		return err
	}
	gone := filepath.Join(trash, fmt.Sprintf("%s-%d", filepath.Base(dir), time.Now().UnixNano()))
	if err := os.Rename(dir, gone); err != nil {
		return err
	}
	return os.RemoveAll(gone)
}

// recoverRebuild finishes what a rebuild killed half-way left behind. A
// rebuild moves the old venv aside as <venv>.old-<pid> before it creates the
// new one; if the process died before the new venv had its interpreter and
// pip (marked "installing"), or before the old one was removed, the next
// sync finds the old one here. Whatever is at the venv path then is either
// influx-py's new venv, far enough to be repaired (keep it and drop the old
// one), or the remains of the interrupted creation (put the old venv back,
// and let this sync decide again).
func (e *Engine) recoverRebuild(venvDir string) error {
	olds, _ := filepath.Glob(venvDir + ".old-*")
	for _, old := range olds {
		if st, err := venv.ReadStamp(venv.NewLayout(old, e.Sys.GOOS)); err != nil || st == nil {
			if m, ok, _ := venv.ReadMarker(venv.NewLayout(old, e.Sys.GOOS)); !ok || m.Phase != venv.PhaseInstalling {
				continue // not a venv influx-py made: not ours to touch
			}
		}
		l := venv.NewLayout(venvDir, e.Sys.GOOS)
		m, marked, _ := venv.ReadMarker(l)
		stamp, _ := venv.ReadStamp(l)
		if stamp != nil || marked && m.Phase == venv.PhaseInstalling {
			e.logf("removing %s, left by an interrupted rebuild that got as far as a new venv", old)
			if err := e.discard(venvDir, old); err != nil {
				return err
			}
			continue
		}
		e.warnf("an earlier rebuild of %s was interrupted; putting the old venv back from %s", venvDir, old)
		if err := os.RemoveAll(venvDir); err != nil {
			return err
		}
		if err := os.Rename(old, venvDir); err != nil {
			return err
		}
	}
	return nil
}
