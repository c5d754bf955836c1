//go:build !linux

package run

import (
	"os"
	"os/exec"
	"runtime"
)

// interrupt asks a child to stop; Windows has no interrupt signal to send to
// another process, so it is killed there.
func interrupt(p *os.Process) error {
	if runtime.GOOS == "windows" {
		return p.Kill()
	}
	return p.Signal(os.Interrupt)
}

// dieWithParent has no portable equivalent outside Linux; there the next
// sync waits for the venv lock and repairs what a surviving child did.
func dieWithParent(cmd *exec.Cmd) {}
