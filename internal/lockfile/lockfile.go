// Package lockfile reads, validates, writes and installs-from PEP 751 lock
// files (pylock.toml).
//
// The model mirrors the file: strings stay as written (a version is not
// re-rendered, a marker is not canonicalized) so that writing a parsed lock
// back changes only layout, never meaning. Validation happens in Parse, once;
// Select then assumes a valid lock and only answers "what does this
// interpreter install".
package lockfile

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// SupportedVersion is the lock-version this package implements. Files with
// the same major version and a higher minor version are read with a warning;
// any other major version is rejected, as the spec requires.
const SupportedVersion = "1.0"

// Lock is a parsed pylock.toml.
//
// Optional arrays keep the difference between absent (nil) and empty: the
// spec gives `extras = []` its own meaning ("the inputs had no extras").
type Lock struct {
	LockVersion      string
	Environments     []string // markers; at least one must hold at install time
	RequiresPython   string
	ExtrasList       []string // `extras`: the extras this lock can install
	DependencyGroups []string
	DefaultGroups    []string
	CreatedBy        string
	Packages         []Package
	Tool             map[string]any // `[tool]`, kept as decoded TOML values

	// Unknown holds top-level keys this package does not know (a newer
	// minor lock-version may add some). They are kept and written back.
	Unknown map[string]any

	// Warnings are the problems Parse found that the spec says to warn
	// about rather than fail on (newer minor lock-version, unknown keys,
	// files without a sha256 hash). Marshal ignores them.
	Warnings []string
}

// Package is one `[[packages]]` entry. Exactly one source is set: VCS,
// Directory, Archive, or Sdist and/or Wheels.
type Package struct {
	Name                  string // normalized
	Version               string // empty when not recorded
	Marker                string
	RequiresPython        string
	Dependencies          []map[string]any // informational only; never used to install
	Index                 string
	VCS                   *VCS
	Directory             *Directory
	Archive               *Archive
	Sdist                 *File
	Wheels                []File
	AttestationIdentities []map[string]any // each has a string `kind`
	Tool                  map[string]any
	Unknown               map[string]any
}

// VCS is `[packages.vcs]`.
type VCS struct {
	Type              string
	URL               string
	Path              string
	RequestedRevision string // informational; never used to check out
	CommitID          string
	Subdirectory      string
	Unknown           map[string]any
}

// Directory is `[packages.directory]`: a local source tree.
type Directory struct {
	Path         string
	Editable     *bool
	Subdirectory string
	Unknown      map[string]any
}

// File is a downloadable distribution: an entry of `wheels`, the `sdist`,
// or (embedded in Archive) the `archive`.
type File struct {
	Name       string // file name; empty when the last part of Path or URL gives it
	URL        string
	Path       string // relative to the lock file's directory when relative
	Size       *int64
	UploadTime *time.Time // UTC
	Hashes     map[string]string
	Unknown    map[string]any
}

// Archive is `[packages.archive]`: a direct reference to an archive file.
// It has no `name` key in the spec, so File.Name is never set or written.
type Archive struct {
	File
	Subdirectory string
}

// Filename is the file's name: Name when recorded, else the last component
// of Path, else of URL (percent-decoded, without query or fragment).
func (f *File) Filename() string {
	if f.Name != "" {
		return f.Name
	}
	if f.Path != "" {
		return lastPathComponent(f.Path)
	}
	if f.URL != "" {
		return urlFilename(f.URL)
	}
	return ""
}

// SHA256 returns the file's sha256 hash, if the lock records one.
func (f *File) SHA256() (string, bool) {
	h, ok := f.Hashes["sha256"]
	return h, ok
}

// ID names the package for messages: "name==version", or the bare name
// when the version is not recorded.
func (p *Package) ID() string {
	if p.Version == "" {
		return p.Name
	}
	return p.Name + "==" + p.Version
}

// Digest is the hex sha256 of a lock file's bytes. The engine records it to
// tell whether the environment still matches the lock it was synced from.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
