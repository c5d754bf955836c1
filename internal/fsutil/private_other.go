//go:build !unix

package fsutil

import "os"

// PrivateDir makes sure dir exists. Ownership is left to the platform's
// ACLs here.
func PrivateDir(dir string) error { return os.MkdirAll(dir, 0o700) }
