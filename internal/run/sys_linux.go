package run

import (
	"os"
	"os/exec"
	"syscall"
)

// interrupt asks a child to stop, as Ctrl-C would.
func interrupt(p *os.Process) error { return p.Signal(os.Interrupt) }

// dieWithParent makes the kernel kill the child when influx-py dies, even
// by SIGKILL: a pip left running after its parent was killed would go on
// changing the venv while the next sync repairs it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
