package venv

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Dist is one installed distribution, as its metadata directory in
// site-packages describes it.
type Dist struct {
	Name        string // PEP 503 normalized, for comparing with the lock
	DisplayName string // the Name header as written
	Version     string // the Version header as written
	DistInfo    string // path of the .dist-info / .egg-info directory (or file)
	Kind        string // "dist-info" or "egg-info"
	Installer   string // first line of INSTALLER ("pip", "uv"); empty if absent
	Requested   bool   // REQUESTED is present: installed by explicit request
	// MetadataMissing is set when METADATA (PKG-INFO for eggs) is absent,
	// unreadable or lacks Name/Version, so Name and Version came from the
	// directory name. Such a distribution is damaged and worth reinstalling.
	MetadataMissing bool
	Problem         string // why MetadataMissing, or "" when fine
}

// NormalizeName is the PEP 503 form of a project name: lowercase, with each
// run of '-', '_' and '.' replaced by one '-'.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	run := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' || c == '_' || c == '.' {
			if !run {
				b.WriteByte('-')
			}
			run = true
			continue
		}
		run = false
		b.WriteByte(c)
	}
	return strings.ToLower(b.String())
}

// metaKind classifies a site-packages entry name: "dist-info", "egg-info" or
// "". Matching ignores case, as importlib.metadata does.
func metaKind(name string) string {
	low := strings.ToLower(name)
	switch {
	case strings.HasSuffix(low, ".dist-info") && len(low) > len(".dist-info"):
		return "dist-info"
	case strings.HasSuffix(low, ".egg-info") && len(low) > len(".egg-info"):
		return "egg-info"
	}
	return ""
}

// isLeftover reports a metadata entry pip renamed aside ("~ip-1.0.dist-info")
// while uninstalling; it is not an installed distribution.
func isLeftover(name string) bool { return strings.HasPrefix(name, "~") }

// InstalledNames are the normalized names of the distributions in
// sitePackages, from their metadata entries' names alone (no file is
// read).
func InstalledNames(sitePackages string) (map[string]bool, error) {
	entries, err := os.ReadDir(sitePackages)
	if err != nil {
		return nil, fmt.Errorf("list installed distributions: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		n := e.Name()
		if kind := metaKind(n); kind == "" || isLeftover(n) {
			continue
		}
		stem := n[:strings.LastIndexByte(n, '.')]
		name, _, _ := strings.Cut(stem, "-")
		names[NormalizeName(name)] = true
	}
	return names, nil
}

// Installed lists the distributions installed in sitePackages, sorted by
// normalized name (then version), reading only their metadata files: no
// Python is started. Entries pip left aside during an interrupted uninstall
// ("~name") are skipped; Inspect reports them. A missing directory gives an
// error satisfying errors.Is(err, fs.ErrNotExist).
func Installed(sitePackages string) ([]Dist, error) {
	entries, err := os.ReadDir(sitePackages)
	if err != nil {
		return nil, fmt.Errorf("list installed distributions: %w", err)
	}
	var out []Dist
	for _, e := range entries {
		kind := metaKind(e.Name())
		if kind == "" || isLeftover(e.Name()) {
			continue
		}
		d, err := readDist(filepath.Join(sitePackages, e.Name()), kind)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Version != b.Version {
			return a.Version < b.Version
		}
		return a.DistInfo < b.DistInfo
	})
	return out, nil
}

// readDist reads one metadata directory. Damage to the distribution is
// recorded in the Dist; only failures to read site-packages itself (such as
// permission errors on the directory) are returned as errors.
func readDist(path, kind string) (Dist, error) {
	d := Dist{DistInfo: path, Kind: kind}
	fi, err := os.Stat(path)
	if err != nil {
		return d, fmt.Errorf("read distribution %s: %w", path, err)
	}
	metaPath := path // an .egg-info file is itself the PKG-INFO
	if fi.IsDir() {
		name := "METADATA"
		if kind == "egg-info" {
			name = "PKG-INFO"
		}
		metaPath = filepath.Join(path, name)
		d.Installer = firstLine(filepath.Join(path, "INSTALLER"))
		_, err := os.Stat(filepath.Join(path, "REQUESTED"))
		d.Requested = err == nil
	}
	h, err := readMetadataFile(metaPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.Problem = filepath.Base(metaPath) + " is missing"
	case err != nil:
		d.Problem = fmt.Sprintf("read %s: %v", filepath.Base(metaPath), err)
	default:
		d.DisplayName = h.get("name")
		d.Version = h.get("version")
		if d.DisplayName == "" || d.Version == "" {
			d.Problem = filepath.Base(metaPath) + " has no Name or Version"
		}
	}
	if d.Problem != "" {
		d.MetadataMissing = true
		n, v := nameFromDir(filepath.Base(path), kind)
		if d.DisplayName == "" {
			d.DisplayName = n
		}
		if d.Version == "" {
			d.Version = v
		}
	}
	d.Name = NormalizeName(d.DisplayName)
	return d, nil
}

// nameFromDir recovers name and version from "name-version.dist-info" (the
// wheel spec escapes '-' in both parts to '_') or
// "name-version[-pyX.Y].egg-info".
func nameFromDir(base, kind string) (name, version string) {
	stem := base[:len(base)-len("."+kind)]
	name, rest, _ := strings.Cut(stem, "-")
	version, _, _ = strings.Cut(rest, "-")
	return name, version
}

func firstLine(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	line, _ := bufio.NewReader(io.LimitReader(f, 4096)).ReadString('\n')
	return strings.TrimSpace(line)
}

// maxHeaderBytes bounds how much of a METADATA file is read; the header block
// of real metadata is a few KiB, the body (the README) can be large.
const maxHeaderBytes = 1 << 20

func readMetadataFile(path string) (headers, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readHeaders(f)
}

// headers are the header fields of a core-metadata file in order, with
// lowercased names.
type headers []header

type header struct{ name, value string }

// get is the first value of name (lowercase).
func (h headers) get(name string) string {
	for _, f := range h {
		if f.name == name {
			return f.value
		}
	}
	return ""
}

// readHeaders reads the RFC 822 style header block of a core-metadata file
// (METADATA, PKG-INFO) the way importlib.metadata sees it (a text-mode read,
// so \r\n, \r and \n all end lines, then Python's email parser): it stops at
// the first blank line or at the first line that is neither a "Name: value"
// field nor a continuation, continuation lines (leading space or tab) are
// unfolded into the previous field, and a continuation before any field is
// ignored. Only the header block is read.
func readHeaders(r io.Reader) (headers, error) {
	br := bufio.NewReader(io.LimitReader(r, maxHeaderBytes))
	var h headers
	for {
		chunk, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return h, err
		}
		chunk = strings.TrimSuffix(chunk, "\n")
		chunk = strings.TrimSuffix(chunk, "\r")
		for _, line := range strings.Split(chunk, "\r") {
			if !headerLine(&h, line) {
				return h, nil
			}
		}
		if err == io.EOF {
			return h, nil
		}
	}
}

// headerLine adds one line to h and reports whether the header block goes on.
func headerLine(h *headers, line string) bool {
	if line == "" {
		return false // blank line (end of headers) or end of input
	}
	if c := line[0]; c == ' ' || c == '\t' {
		if n := len(*h); n > 0 {
			last := &(*h)[n-1]
			last.value = strings.TrimSpace(last.value + " " + strings.TrimSpace(line))
		}
		return true
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok || !isFieldName(name) {
		return false // the body starts without a separating blank line
	}
	*h = append(*h, header{strings.ToLower(name), strings.TrimSpace(value)})
	return true
}

// isFieldName: printable ASCII other than ':' (RFC 5322 ftext).
func isFieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// ListingDigest fingerprints the installed set cheaply: the sorted names of
// the .dist-info / .egg-info entries in sitePackages, plus for each the
// modification time of the entry and the size and modification time of its
// METADATA (PKG-INFO) and RECORD (installed-files.txt). Adding, removing or
// reinstalling a distribution changes it, since an installer writes a new
// metadata directory; compiling bytecode, editing a module or writing files
// elsewhere in site-packages does not. It stats a handful of files per
// distribution and reads none.
func ListingDigest(sitePackages string) (string, error) {
	entries, err := os.ReadDir(sitePackages)
	if err != nil {
		return "", fmt.Errorf("digest installed distributions: %w", err)
	}
	var metas []fs.DirEntry
	for _, e := range entries { // ReadDir sorts by name
		if metaKind(e.Name()) != "" {
			metas = append(metas, e)
		}
	}
	// The stats are independent: spread over the cores, they are most of
	// the no-op sync of a large venv. The digest is written in order.
	lines := make([][]byte, len(metas))
	workers := min(runtime.GOMAXPROCS(0)*2, 8)
	if len(metas) < 64 {
		workers = 1
	}
	// Paths are put together by hand: site-packages is clean and a
	// directory entry has no separator, and filepath.Join's Clean of
	// each long path was a tenth of a no-op sync of 1,000 distributions.
	dir := sitePackages + string(filepath.Separator)
	work := func(w int) {
		var path []byte
		for i := w; i < len(metas); i += workers {
			lines[i], path = listingLine(lines[i], path, dir, metas[i])
		}
	}
	if workers == 1 {
		// No goroutine: one would wake another thread for nothing.
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				work(w)
			}(w)
		}
		wg.Wait()
	}
	h := sha256.New()
	for _, l := range lines {
		h.Write(l)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// listingLine appends one distribution's part of ListingDigest to line;
// path is scratch space, returned for reuse.
func listingLine(line, path []byte, dir string, e fs.DirEntry) ([]byte, []byte) {
	name := e.Name()
	path = append(append(path[:0], dir...), name...)
	line = append(append(line, name...), 0)
	line = append(appendStat(line, string(path)), '\n')
	if !e.IsDir() && e.Type()&fs.ModeSymlink == 0 {
		return line, path
	}
	meta, record := "METADATA", "RECORD"
	if metaKind(name) == "egg-info" {
		meta, record = "PKG-INFO", "installed-files.txt"
	}
	base := len(path)
	for _, f := range []string{meta, record} {
		path = append(append(path[:base], filepath.Separator), f...)
		line = append(append(append(line, '\t'), f...), 0)
		line = append(appendStat(line, string(path)), '\n')
	}
	return line, path
}

// appendStat appends "size mtime(ns) mode", or "-" for a missing file.
func appendStat(b []byte, path string) []byte {
	fi, err := os.Stat(path)
	if err != nil {
		return append(b, '-')
	}
	b = strconv.AppendInt(b, fi.Size(), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, fi.ModTime().UnixNano(), 10)
	b = append(b, ' ')
	return append(b, fi.Mode().String()...)
}

// RecordDigest is the sha256 of d's RECORD file, or "" when it has none
// (egg-info, or a damaged dist-info).
func RecordDigest(d Dist) string {
	if d.Kind != "dist-info" {
		return ""
	}
	data, err := os.ReadFile(filepath.Join(d.DistInfo, "RECORD"))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
