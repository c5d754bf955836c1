package engine

import (
	"os"
	"path/filepath"

	"github.com/influx-py/influx-py/internal/venv"
)

// recoverRebuild finishes what a rebuild killed half-way left behind. A
// rebuild moves the old venv aside as <venv>.old-<pid> before it creates the
// new one; if the process died before the new venv was marked as influx-py's
// own (or before the old one was removed), the next sync finds the old one
// here. Whatever is at the venv path then is either influx-py's new venv
// (marked: keep it and drop the old one) or the remains of the interrupted
// creation (put the old venv back, and let this sync decide again).
func (e *Engine) recoverRebuild(venvDir string) error {
	olds, _ := filepath.Glob(venvDir + ".old-*")
	for _, old := range olds {
		if st, err := venv.ReadStamp(venv.NewLayout(old, e.Sys.GOOS)); err != nil || st == nil {
			continue // not a venv influx-py made: not ours to touch
		}
		l := venv.NewLayout(venvDir, e.Sys.GOOS)
		marked, _ := venv.Installing(l)
		stamp, _ := venv.ReadStamp(l)
		if marked || stamp != nil {
			e.logf("removing %s, left by an interrupted rebuild that got as far as a new venv", old)
			if err := os.RemoveAll(old); err != nil {
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
