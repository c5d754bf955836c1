package uvbin

import "fmt"

// ChecksumError reports bytes that are not the ones influx-py pins or
// recorded: a downloaded archive whose SHA-256 differs from the pin, or a
// cached binary that changed since it was installed. Nothing from them is
// extracted or run. It is never a reason to fall back to pip silently.
type ChecksumError struct {
	What     string // "archive uv-x86_64-unknown-linux-gnu.tar.gz", "cached binary /c/uv"
	URL      string // where the bytes came from; empty for a cached file
	Expected string
	Actual   string
}

func (e *ChecksumError) Error() string {
	from := ""
	if e.URL != "" {
		from = " from " + e.URL
	}
	return fmt.Sprintf("sha256 mismatch for %s%s: expected %s, got %s", e.What, from, e.Expected, e.Actual)
}

// UnavailableError says uv cannot be had here and now: offline without a
// cached copy, no pinned build for this platform, or the release host (or
// mirror) unreachable, missing the file, failing, or cutting the download
// short. It is the only error on which sync's automatic backend choice falls
// back to pip; a wrong checksum, a bad archive or a binary that reports the
// wrong version are hard errors.
type UnavailableError struct {
	Reason string // short, for messages and the stamp: "offline and uv 0.12.18 is not cached"
	Err    error  // the underlying error, when there is one
}

func (e *UnavailableError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("uv unavailable: %s: %v", e.Reason, e.Err)
	}
	return "uv unavailable: " + e.Reason
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable is the reason, for callers that fall back to another
// installer when (and only when) uv cannot be had.
func (e *UnavailableError) Unavailable() string { return e.Reason }
