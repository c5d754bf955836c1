//go:build !linux

package run

import "os/exec"

// dieWithParent has no portable equivalent outside Linux; there the next
// sync waits for the venv lock and repairs what a surviving child did.
func dieWithParent(cmd *exec.Cmd) {}
