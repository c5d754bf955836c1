package artifact

import (
	"errors"
	"fmt"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// verifyFile checks the file at p against r's size and sha256. A missing file
// gives an error satisfying errors.Is(err, os.ErrNotExist); a wrong one gives
// *SizeMismatchError or *HashMismatchError naming origin.
func verifyFile(r Request, p, origin string) error {
	f, fi, err := fsutil.OpenRegular(p)
	if err != nil {
		var nr *fsutil.NotRegularError
		if errors.As(err, &nr) {
			return fmt.Errorf("file for %s: %w", r.Package, err)
		}
		return err
	}
	defer f.Close()
	// The size is free to check and catches most truncated copies without
	// reading them.
	if r.Size >= 0 && fi.Size() != r.Size {
		return &SizeMismatchError{Name: r.Name, Source: p, Origin: origin, Expected: r.Size, Actual: fi.Size()}
	}
	sum, _, err := fetchpkg.HashReader(f)
	if err != nil {
		return fmt.Errorf("hash %s: %w", p, err)
	}
	if sum != r.SHA256 {
		return &HashMismatchError{Name: r.Name, Source: p, Origin: origin, Expected: r.SHA256, Actual: sum}
	}
	return nil
}

// isMismatch reports whether err says a file's bytes are wrong, as opposed
// to the file being unreadable.
func isMismatch(err error) bool {
	var h *HashMismatchError
	var s *SizeMismatchError
	return errors.As(err, &h) || errors.As(err, &s)
}
