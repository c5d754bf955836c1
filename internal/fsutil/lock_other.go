//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package fsutil

import (
	"io/fs"
	"os"
)

// canLock: without flock a live writer cannot be told from a dead one, so
// temporary files are never swept here.
const canLock = false

// renameWhileOpen: Windows cannot rename a file that is open.
const renameWhileOpen = false

func tryLock(*os.File) (bool, error) { return true, nil }

func keepOwner(*os.File, fs.FileInfo) {}

const openNonBlock = 0
