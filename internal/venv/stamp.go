package venv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// StampSchema is the stamp format this build writes and reads.
const StampSchema = 1

// Stamp is what influx-py records in <venv>/influx-py.json after a
// successful sync. Comparing it with the lock file and the venv's listing is
// what lets a repeated sync do nothing without starting Python.
type Stamp struct {
	Schema        int              `json:"schema"`
	Tool          string           `json:"tool"`        // "influx-py <version>"
	LockDigest    string           `json:"lock_digest"` // of the pylock.toml the venv was synced to
	Interpreter   StampInterpreter `json:"interpreter"`
	Backend       string           `json:"backend"` // which installer did the work
	BackendReason string           `json:"backend_reason,omitempty"`
	Installed     []StampDist      `json:"installed"`
	ListingDigest string           `json:"listing_digest"` // ListingDigest of site-packages after the sync
	Time          string           `json:"time"`           // RFC 3339, supplied by the caller
	// Extra are the files in site-packages no RECORD owns that the sync
	// left (the venv creator's own, such as uv's _virtualenv.pth), with
	// their sha256: the baseline of check --verify.
	Extra map[string]string `json:"extra,omitempty"`
}

// StampInterpreter identifies the venv's interpreter at sync time.
type StampInterpreter struct {
	Path     string `json:"path"`
	Version  string `json:"version"`
	Identity string `json:"identity"`
}

// StampDist is one distribution the sync installed, with the digest of the
// artifact it came from.
type StampDist struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	File    string `json:"file"`
	// Record is the sha256 of the distribution's installed RECORD file. An
	// installer writes the same RECORD for the same wheel, so a different
	// one means the distribution was reinstalled from another file since.
	Record string `json:"record,omitempty"`
}

// CorruptStampError means a stamp exists but cannot be used: it does not
// parse or has a schema this build does not know. The engine treats it like
// a missing stamp (a full check), not as a failure.
type CorruptStampError struct {
	Path string
	Err  error
}

func (e *CorruptStampError) Error() string {
	return fmt.Sprintf("corrupt stamp %s: %v", e.Path, e.Err)
}

func (e *CorruptStampError) Unwrap() error { return e.Err }

// ReadStamp reads the venv's stamp. No stamp gives (nil, nil); an unusable
// one gives a *CorruptStampError; other errors are failures to read.
func ReadStamp(l Layout) (*Stamp, error) {
	path := l.StampPath()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read stamp: %w", err)
	}
	s, err := decodeStamp(data)
	if err != nil {
		return nil, &CorruptStampError{Path: path, Err: err}
	}
	return s, nil
}

func decodeStamp(data []byte) (*Stamp, error) {
	s, ok := fastDecodeStamp(data)
	if !ok {
		var err error
		if s, err = jsonDecodeStamp(data); err != nil {
			return nil, err
		}
	}
	if s.Schema != StampSchema {
		return nil, fmt.Errorf("schema %d is not supported (this build reads %d)", s.Schema, StampSchema)
	}
	return s, nil
}

// jsonDecodeStamp is decodeStamp for any JSON, through encoding/json.
func jsonDecodeStamp(data []byte) (*Stamp, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var s Stamp
	if err := dec.Decode(&s); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return &s, nil
}

// WriteStamp writes the stamp atomically. A zero Schema is filled in;
// Installed is written sorted by name so equal syncs give equal files.
func WriteStamp(l Layout, s *Stamp) error {
	if s == nil {
		return errors.New("write stamp: nil stamp")
	}
	c := *s
	if c.Schema == 0 {
		c.Schema = StampSchema
	}
	if c.Schema != StampSchema {
		return fmt.Errorf("write stamp: schema %d, this build writes %d", c.Schema, StampSchema)
	}
	c.Installed = append([]StampDist(nil), s.Installed...)
	sort.SliceStable(c.Installed, func(i, j int) bool {
		a, b := c.Installed[i], c.Installed[j]
		if na, nb := NormalizeName(a.Name), NormalizeName(b.Name); na != nb {
			return na < nb
		}
		return a.Version < b.Version
	})
	if c.Installed == nil {
		c.Installed = []StampDist{}
	}
	data, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return fmt.Errorf("write stamp: %w", err)
	}
	data = append(data, '\n')
	if err := fsutil.WriteFile(l.StampPath(), data, 0o644); err != nil {
		return fmt.Errorf("write stamp: %w", err)
	}
	return nil
}

// RemoveStamp deletes the stamp; a missing stamp is not an error. The engine
// removes it before changing a venv so a crash cannot leave a stamp that
// vouches for a half-changed venv.
func RemoveStamp(l Layout) error {
	if err := os.Remove(l.StampPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stamp: %w", err)
	}
	return nil
}

// Fingerprint digests what was installed, independent of paths, order and
// machine: sha256 over the sorted lines "name==version==sha256", with the name
// PEP 503 normalized and the digest lowercased. The artifact file name is
// left out on purpose: the same bytes from a different mirror are the same
// install.
func Fingerprint(dists []StampDist) string {
	lines := make([]string, len(dists))
	for i, d := range dists {
		lines[i] = NormalizeName(d.Name) + "==" + d.Version + "==" + strings.ToLower(d.SHA256) + "\n"
	}
	sort.Strings(lines)
	h := sha256.New()
	for _, l := range lines {
		io.WriteString(h, l)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The phases the marker records. A venv marked "creating" is a directory
// influx-py was turning into a venv (interpreter, pip) when it stopped:
// nothing in it can be trusted, and the next sync makes it again. A venv
// marked "installing" has its interpreter and pip, and may hold half-done
// installs that the next sync repairs.
const (
	PhaseCreating   = "creating"
	PhaseInstalling = "installing"
)

// Marker is what the "installing" marker file records.
type Marker struct {
	Phase string // PhaseCreating or PhaseInstalling
	Info  string // what was being done, by which influx-py
}

// MarkCreating records, in an otherwise empty directory, that influx-py is
// about to make a venv there. It is written before the interpreter is run,
// so a creation killed at any moment leaves a directory marked as ours.
func MarkCreating(l Layout, info string) error {
	return writeMarker(l, PhaseCreating, info)
}

// MarkInstalling records, before influx-py changes the venv, that a change is
// under way; info (what is being done, by which process) is stored for the
// message a later run shows if the change never finished. The marker is
// cleared only after the new stamp is written, so its presence means the venv
// may be half-changed.
func MarkInstalling(l Layout, info string) error {
	return writeMarker(l, PhaseInstalling, info)
}

func writeMarker(l Layout, phase, info string) error {
	if err := fsutil.WriteFile(l.InstallingPath(), []byte(phase+"\n"+info+"\n"), 0o644); err != nil {
		return fmt.Errorf("mark venv as %s: %w", phase, err)
	}
	return nil
}

// Installing reports whether the marker is present, whatever its phase.
func Installing(l Layout) (bool, error) {
	_, ok, err := ReadMarker(l)
	return ok, err
}

// ReadMarker returns the marker, if present. A marker from an older
// influx-py, which recorded no phase, reads as PhaseInstalling: those were
// written only once the venv had been made.
func ReadMarker(l Layout) (Marker, bool, error) {
	data, err := os.ReadFile(l.InstallingPath())
	if errors.Is(err, fs.ErrNotExist) {
		return Marker{}, false, nil
	}
	if err != nil {
		return Marker{}, false, fmt.Errorf("read installing marker: %w", err)
	}
	first, rest, _ := strings.Cut(string(data), "\n")
	switch first {
	case PhaseCreating, PhaseInstalling:
		return Marker{Phase: first, Info: strings.TrimSpace(rest)}, true, nil
	}
	return Marker{Phase: PhaseInstalling, Info: strings.TrimSpace(string(data))}, true, nil
}

// ClearInstalling removes the installing marker; a missing marker is not an
// error.
func ClearInstalling(l Layout) error {
	if err := os.Remove(l.InstallingPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clear installing marker: %w", err)
	}
	return nil
}
