package uvbin

import (
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// verifiedName is where check remembers the files of an entry it has
// hashed, by their stat when they matched their digests. A file whose
// stat is unchanged, its change time included (which no one can set back
// without the clock), is not hashed again: hashing uv's 40 MB was 40 ms
// of every sync with work. 'influx-py cache verify' and 'uv verify' hash
// everything regardless.
const verifiedName = "influx-py-verified.json"

// statKey is what identifies a file's content without reading it; ok is
// false where the platform does not tell (then the file is hashed).
type statKey struct {
	Size, MtimeNS, CtimeNS int64
	Ino, Dev               uint64
}

// verifiedFile is one remembered file: its stat and the digest it had.
type verifiedFile struct {
	Stat   statKey `json:"stat"`
	SHA256 string  `json:"sha256"`
}

func readVerified(dir string) map[string]verifiedFile {
	data, err := os.ReadFile(filepath.Join(dir, verifiedName))
	if err != nil {
		return nil
	}
	var v map[string]verifiedFile
	if json.Unmarshal(data, &v) != nil {
		return nil
	}
	return v
}

// writeVerified records what was just hashed; a cache it cannot write
// (read-only, full) only means the next use hashes again.
func writeVerified(dir string, v map[string]verifiedFile) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	_ = fsutil.WriteFile(filepath.Join(dir, verifiedName), data, 0o644)
}
