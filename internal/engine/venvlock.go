package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/lockedfile"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// LockTimeoutError reports a venv lock that another process held for
// longer than --lock-timeout.
type LockTimeoutError struct {
	Venv    string
	Holder  string
	Timeout time.Duration
}

func (e *LockTimeoutError) Error() string {
	return fmt.Sprintf("gave up after %s waiting for %s, which %s", e.Timeout, e.Venv, e.Holder)
}

// lockVenv serializes the commands that change one venv or its lock (two
// servers starting at once, a deploy racing a restart). The lock file lives
// beside the venv so that it survives the venv being rebuilt; beside it, the
// holder writes who it is, so that a waiting process can name it.
func (e *Engine) lockVenv(ctx context.Context, venvDir string, timeout time.Duration, verb string) (func(), error) {
	path := venvDir + ".lock"
	info := path + ".holder"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock venv: %w", err)
	}
	type result struct {
		unlock func()
		err    error
	}
	done := make(chan result, 1)
	go func() {
		u, err := lockedfile.MutexAt(path).Lock()
		done <- result{u, err}
	}()
	acquired := func(r result) (func(), error) {
		if r.err != nil {
			return nil, fmt.Errorf("lock venv %s: %w", venvDir, r.err)
		}
		host, _ := os.Hostname()
		// Best effort: the lock itself is what protects the venv.
		_ = fsutil.WriteFile(info, []byte(fmt.Sprintf("is being changed by influx-py %s (pid %d on %s, since %s)\n",
			verb, os.Getpid(), host, e.Now().UTC().Format(time.RFC3339))), 0o644)
		return func() {
			os.Remove(info)
			r.unlock()
		}, nil
	}
	// A free lock is taken at once and says nothing.
	select {
	case r := <-done:
		return acquired(r)
	case <-time.After(200 * time.Millisecond):
	}
	holder := "is being changed by another influx-py"
	if data, err := os.ReadFile(info); err == nil && len(data) > 0 {
		holder = strings.TrimSpace(string(data))
	}
	e.warnf("waiting for %s: it %s", venvDir, holder)
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	release := func() {
		// The goroutine still waits for the lock; let it go when it gets it.
		go func() {
			if r := <-done; r.unlock != nil {
				r.unlock()
			}
		}()
	}
	select {
	case r := <-done:
		return acquired(r)
	case <-expired:
		release()
		return nil, &LockTimeoutError{Venv: venvDir, Holder: holder, Timeout: timeout}
	case <-ctx.Done():
		release()
		return nil, fmt.Errorf("lock venv %s: %w", venvDir, ctx.Err())
	}
}
