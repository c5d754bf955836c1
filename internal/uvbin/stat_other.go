//go:build !unix

package uvbin

// fileKey does not trust stat here: every use hashes.
func fileKey(string) (statKey, bool) { return statKey{}, false }
