package venv

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RecordEntry is one row of a RECORD file: a path relative to
// site-packages (scripts and data files reach outside it with ".."), and
// the hash and size the installer wrote, when it wrote them.
type RecordEntry struct {
	Path string
	Hash string // "sha256=<urlsafe base64>", or "" (RECORD itself, .pyc files)
	Size int64  // -1 when not recorded
}

// maxRecordBytes bounds a RECORD read: real ones are a few hundred KiB at
// most (tens of thousands of files).
const maxRecordBytes = 64 << 20

// ParseRecord reads a RECORD file, the CSV the wheel spec defines (Python's
// csv module, default dialect). Rows without a path are skipped; a size
// that is not a number counts as unrecorded.
func ParseRecord(r io.Reader) ([]RecordEntry, error) {
	cr := csv.NewReader(io.LimitReader(r, maxRecordBytes))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	var out []RecordEntry
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("parse RECORD: %w", err)
		}
		if len(row) == 0 || row[0] == "" {
			continue
		}
		e := RecordEntry{Path: row[0], Size: -1}
		if len(row) > 1 {
			e.Hash = row[1]
		}
		if len(row) > 2 {
			if n, err := strconv.ParseInt(row[2], 10, 64); err == nil && n >= 0 {
				e.Size = n
			}
		}
		out = append(out, e)
	}
}

// ReadRecord reads the RECORD of an installed distribution. One without a
// RECORD (an egg-info, a damaged dist-info) gives an error satisfying
// errors.Is(err, fs.ErrNotExist).
func ReadRecord(d Dist) ([]RecordEntry, error) {
	if d.Kind != "dist-info" {
		return nil, fmt.Errorf("%s: %w", d.DistInfo, os.ErrNotExist)
	}
	f, err := os.Open(filepath.Join(d.DistInfo, "RECORD"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseRecord(f)
}

// SitePath turns a RECORD path into a clean path relative to site-packages,
// with forward slashes. ok is false for a path that leaves site-packages
// (console scripts in ../../../bin) or is absolute.
func SitePath(p string) (clean string, ok bool) {
	p = strings.ReplaceAll(p, `\`, "/")
	if p == "" || strings.HasPrefix(p, "/") || (len(p) > 1 && p[1] == ':') {
		return "", false
	}
	c := filepath.ToSlash(filepath.Clean(filepath.FromSlash(p)))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// Metadata is what influx-py reads from a core-metadata file (METADATA,
// PKG-INFO).
type Metadata struct {
	Name           string
	Version        string
	RequiresPython string
	RequiresDist   []string // PEP 508 requirements, as written
}

// ParseMetadata reads the header block of a core-metadata file, the way
// importlib.metadata does (see readHeaders).
func ParseMetadata(r io.Reader) (Metadata, error) {
	h, err := readHeaders(r)
	if err != nil {
		return Metadata{}, err
	}
	m := Metadata{Name: h.get("name"), Version: h.get("version"), RequiresPython: h.get("requires-python")}
	for _, f := range h {
		if f.name == "requires-dist" {
			m.RequiresDist = append(m.RequiresDist, f.value)
		}
	}
	return m, nil
}

// ReadMetadata reads the core metadata of an installed distribution
// (METADATA, or PKG-INFO for an egg).
func ReadMetadata(d Dist) (Metadata, error) {
	p := d.DistInfo
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		name := "METADATA"
		if d.Kind == "egg-info" {
			name = "PKG-INFO"
		}
		p = filepath.Join(p, name)
	}
	f, err := os.Open(p)
	if err != nil {
		return Metadata{}, fmt.Errorf("read metadata of %s: %w", d.DisplayName, err)
	}
	defer f.Close()
	m, err := ParseMetadata(io.LimitReader(f, maxHeaderBytes))
	if err != nil {
		return Metadata{}, fmt.Errorf("read metadata of %s: %w", d.DisplayName, err)
	}
	return m, nil
}
