package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	holder := func() string {
		if data, err := os.ReadFile(info); err == nil && len(data) > 0 {
			return strings.TrimSpace(string(data))
		}
		return "is being changed by another influx-py"
	}
	wait := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	// A free lock is taken at once and says nothing; a held one is named.
	slow := time.AfterFunc(200*time.Millisecond, func() {
		e.warnf("waiting for %s: it %s", venvDir, holder())
	})
	unlock, err := fsutil.Lock(wait, path)
	slow.Stop()
	if err != nil {
		if ctx.Err() == nil && wait.Err() != nil {
			return nil, &LockTimeoutError{Venv: venvDir, Holder: holder(), Timeout: timeout}
		}
		return nil, fmt.Errorf("lock venv %s: %w", venvDir, err)
	}
	host, _ := os.Hostname()
	// Best effort: the lock itself is what protects the venv.
	_ = fsutil.WriteFile(info, []byte(fmt.Sprintf("is being changed by influx-py %s (pid %d on %s, since %s)\n",
		verb, os.Getpid(), host, e.Now().UTC().Format(time.RFC3339))), 0o644)
	return func() {
		os.Remove(info)
		unlock()
	}, nil
}
