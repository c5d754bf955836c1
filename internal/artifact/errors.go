package artifact

import (
	"fmt"
	"strings"
)

// HashMismatchError reports a file whose sha256 is not the one the lock
// records. Installing it would install something nobody reviewed, so it is
// always fatal, wherever the file came from.
type HashMismatchError struct {
	Name     string // file name, e.g. foo-1.0-py3-none-any.whl
	Source   string // local path or URL (password redacted) the bytes came from
	Origin   string // where Source is: SourcePath, SourceFindLinks, SourceCache or SourceDownload
	Expected string // sha256 from the lock
	Actual   string // sha256 of the bytes
}

func (e *HashMismatchError) Error() string {
	if e.Actual == "" {
		return fmt.Sprintf("sha256 mismatch for %s from %s: expected %s (the file is outside the plugin dir, the cache and --find-links, so its own hash is not shown)%s",
			e.Name, e.Source, e.Expected, originHint(e.Origin))
	}
	return fmt.Sprintf("sha256 mismatch for %s from %s: expected %s, got %s%s",
		e.Name, e.Source, e.Expected, e.Actual, originHint(e.Origin))
}

// SizeMismatchError reports a file whose size is not the one the lock records.
type SizeMismatchError struct {
	Name     string
	Source   string
	Origin   string
	Expected int64
	Actual   int64
}

func (e *SizeMismatchError) Error() string {
	if e.Actual < 0 {
		return fmt.Sprintf("size mismatch for %s from %s: expected %d bytes (the file is outside the plugin dir, the cache and --find-links, so its own size is not shown)%s",
			e.Name, e.Source, e.Expected, originHint(e.Origin))
	}
	return fmt.Sprintf("size mismatch for %s from %s: expected %d bytes, got %d%s",
		e.Name, e.Source, e.Expected, e.Actual, originHint(e.Origin))
}

// originHint tells the user what to do about a bad local file. A bad file in a
// find-links directory is not skipped in favour of another source: a mirror
// that serves wrong bytes must be noticed, not papered over.
func originHint(origin string) string {
	switch origin {
	case SourceFindLinks:
		return " (corrupt file in a find-links directory; it was not skipped: replace or remove it)"
	case SourcePath:
		return " (file at the path given in the lock; replace or remove it)"
	}
	return ""
}

// MissingError lists every requested file that could be found neither
// locally nor by download, so the user sees the whole gap at once rather than
// one file per run.
type MissingError struct {
	Missing []Request
	Offline bool
	// Looked[i] lists the places searched for Missing[i].
	Looked [][]string
}

func (e *MissingError) Error() string {
	var b strings.Builder
	n := len(e.Missing)
	files := "files are"
	if n == 1 {
		files = "file is"
	}
	if e.Offline {
		fmt.Fprintf(&b, "%d %s not available offline:", n, files)
	} else {
		fmt.Fprintf(&b, "%d %s not available:", n, files)
	}
	for i, r := range e.Missing {
		fmt.Fprintf(&b, "\n  %s: %s", r.Package, r.Name)
		if i < len(e.Looked) && len(e.Looked[i]) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(e.Looked[i], "; "))
		}
	}
	return b.String()
}

// DownloadError is a failed HTTP fetch: a bad status, a refused connection, a
// truncated body, an unsupported URL scheme.
type DownloadError struct {
	Name string
	URL  string // password redacted
	Err  error
}

func (e *DownloadError) Error() string {
	return fmt.Sprintf("download %s from %s: %v", e.Name, e.URL, e.Err)
}

func (e *DownloadError) Unwrap() error { return e.Err }

// StatusError is an HTTP response other than 200 OK. Code lets a caller tell
// a missing file (404) from a server fault.
type StatusError struct {
	Code   int
	Status string // e.g. "404 Not Found"
}

func (e *StatusError) Error() string { return e.Status }
