// Package wheelbuild makes real, installable wheels from a small
// description, byte for byte the same every time. Tests and the example
// plugin use it so that nothing ever has to come from an index: a wheel built
// here installs with pip, imports, and uninstalls cleanly, and the same Spec
// always yields the same bytes, so committed wheels and the hashes in a lock
// can be checked by rebuilding them.
package wheelbuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"hash/crc32"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// Spec describes one wheel.
type Spec struct {
	Name           string   // project name as written in METADATA, e.g. "Influx-Stats"
	Version        string   // a PEP 440 version in normalized form, e.g. "1.0.post1"
	Summary        string   // one line; omitted from METADATA when empty
	RequiresDist   []string // Requires-Dist lines, in the order given
	ProvidesExtra  []string // Provides-Extra lines, in the order given
	RequiresPython string   // Requires-Python; omitted when empty
	// Tag is the compatibility tag of the file name, possibly compressed
	// ("py2.py3-none-any"); empty means "py3-none-any".
	Tag string
	// Files maps a slash-separated path inside the wheel to its content.
	// METADATA, WHEEL and RECORD are generated and may not be given; other
	// files under the .dist-info folder (entry_points.txt, ...) may.
	Files map[string][]byte
}

// DefaultTag is the tag of a pure-Python wheel for any Python 3.
const DefaultTag = "py3-none-any"

// Generator is the WHEEL file's Generator value.
const Generator = "influx-py wheelbuild"

// modTime is the fixed MS-DOS timestamp of every entry: 1980-01-01 00:00:00,
// the earliest a zip can record, so no clock ever reaches the output.
const (
	modDate = 1<<5 | 1 // year 1980 (0), month 1, day 1
	modTime = 0
)

// fileMode is the permission of every entry; pip applies it on install.
const fileMode = 0o644

// Pieces of versionRE: a number without leading zeros, and one segment of
// a local version label.
const (
	num      = `(?:0|[1-9][0-9]*)`
	localSeg = `(?:0|[1-9][0-9]*|[0-9]*[a-z][a-z0-9]*)`
)

var (
	// A PEP 508 project name.
	nameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?i:[a-z0-9]|[a-z0-9][a-z0-9._-]*[a-z0-9])$`) })
	// A PEP 440 version exactly as packaging prints it after normalizing.
	// Only that form is accepted, so that the version in the file name and
	// in METADATA agree with what every installer computes from either.
	versionRE = regexp.MustCompile(`^(?:[1-9][0-9]*!)?` + num + `(?:\.` + num + `)*` +
		`(?:(?:a|b|rc)` + num + `)?(?:\.post` + num + `)?(?:\.dev` + num + `)?` +
		`(?:\+` + localSeg + `(?:\.` + localSeg + `)*)?$`)
	// One part of a compatibility tag: letters, digits and underscores; an
	// interpreter tag must also not start with a digit ("2" or "py3.2" are
	// typos for a version, not interpreters).
	tagPartRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_]+$`) })
	interpRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`) })
	// Runs of the separators that PEP 503 folds together.
	sepRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[-_.]+`) })
)

// SpecError reports a Spec that cannot become a valid wheel.
type SpecError struct {
	Field string // "name", "version", "tag", "file", ...
	Value string
	Msg   string
}

func (e *SpecError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Msg)
}

// Filename returns the wheel's file name per the binary distribution format:
// {name}-{version}-{tag}.whl with the name normalized and escaped.
func Filename(s Spec) (string, error) {
	if err := s.validateHead(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%s-%s.whl", escapeName(s.Name), s.Version, s.tag()), nil
}

// DistInfo returns the name of the wheel's .dist-info folder.
func DistInfo(s Spec) string {
	return escapeName(s.Name) + "-" + s.Version + ".dist-info"
}

// escapeName is the PEP 503 normalized name with "-" turned into "_", the
// form both the file name and the .dist-info folder use.
func escapeName(name string) string {
	return strings.ToLower(sepRE().ReplaceAllString(name, "_"))
}

func (s Spec) tag() string {
	if s.Tag == "" {
		return DefaultTag
	}
	return s.Tag
}

// validateHead checks the parts that make up the file name.
func (s Spec) validateHead() error {
	if !nameRE().MatchString(s.Name) {
		return &SpecError{"name", s.Name, "not a valid project name (letters, digits, '.', '-', '_'; alphanumeric at both ends)"}
	}
	if !versionRE.MatchString(s.Version) {
		return &SpecError{"version", s.Version, "not a PEP 440 version in normalized form"}
	}
	if _, err := expandTag(s.tag()); err != nil {
		return err
	}
	return nil
}

// expandTag turns a possibly compressed tag into its triples, in the order
// the dotted parts are written.
func expandTag(tag string) ([]string, error) {
	parts := strings.Split(tag, "-")
	if len(parts) != 3 {
		return nil, &SpecError{"tag", tag, "want python-abi-platform"}
	}
	var sets [3][]string
	for i, p := range parts {
		for _, x := range strings.Split(p, ".") {
			if !tagPartRE().MatchString(x) || i == 0 && !interpRE().MatchString(x) {
				return nil, &SpecError{"tag", tag, fmt.Sprintf("bad component %q", x)}
			}
			sets[i] = append(sets[i], x)
		}
	}
	var out []string
	for _, py := range sets[0] {
		for _, abi := range sets[1] {
			for _, plat := range sets[2] {
				out = append(out, py+"-"+abi+"-"+plat)
			}
		}
	}
	return out, nil
}

// pure reports whether a tag needs no particular ABI or platform, which is
// what decides Root-Is-Purelib.
func pure(triples []string) bool {
	for _, t := range triples {
		if !strings.HasSuffix(t, "-none-any") {
			return false
		}
	}
	return true
}

// checkLine rejects header values that would break the email-style METADATA.
func checkLine(field, v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return &SpecError{field, v, "must be one line"}
	}
	if strings.TrimSpace(v) != v {
		return &SpecError{field, v, "leading or trailing space"}
	}
	return nil
}

// checkPath accepts a clean, relative, slash-separated file path.
func checkPath(p string) error {
	switch {
	case p == "" || strings.HasSuffix(p, "/"):
		return &SpecError{"file", p, "want a file path"}
	case strings.HasPrefix(p, "/") || strings.Contains(p, "\\"):
		return &SpecError{"file", p, "want a relative, slash-separated path"}
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return &SpecError{"file", p, "not a clean path inside the wheel"}
	case strings.ContainsAny(p, "\x00\r\n"):
		return &SpecError{"file", p, "control character in path"}
	}
	return nil
}

type entry struct {
	name string
	data []byte
}

// Build returns the wheel's file name and content. The output depends on
// nothing but s: entries are sorted (package files, then .dist-info with
// RECORD last), stored uncompressed so that no compressor version can change
// a byte, stamped 1980-01-01 and given mode 0644.
func Build(s Spec) (filename string, data []byte, err error) {
	filename, err = Filename(s)
	if err != nil {
		return "", nil, fmt.Errorf("build wheel: %w", err)
	}
	if err := s.validateBody(); err != nil {
		return "", nil, fmt.Errorf("build wheel %s: %w", filename, err)
	}
	distInfo := DistInfo(s)
	triples, _ := expandTag(s.tag())

	var pkg, extra []entry
	for p, d := range s.Files {
		if err := checkPath(p); err != nil {
			return "", nil, fmt.Errorf("build wheel %s: %w", filename, err)
		}
		dir, rest, nested := strings.Cut(p, "/")
		switch {
		case !nested || !strings.HasSuffix(strings.ToLower(dir), ".dist-info"):
			pkg = append(pkg, entry{p, d})
		case !strings.EqualFold(dir, distInfo):
			return "", nil, fmt.Errorf("build wheel %s: %w", filename, &SpecError{"file", p, "only " + distInfo + " may hold metadata"})
		case strings.EqualFold(rest, "METADATA") || strings.EqualFold(rest, "WHEEL") || strings.EqualFold(rest, "RECORD"):
			return "", nil, fmt.Errorf("build wheel %s: %w", filename, &SpecError{"file", p, "generated by wheelbuild"})
		default:
			extra = append(extra, entry{distInfo + "/" + rest, d})
		}
	}
	byName := func(es []entry) {
		sort.Slice(es, func(i, j int) bool { return es[i].name < es[j].name })
	}
	byName(pkg)
	byName(extra)
	if err := checkCaseClash(append(append([]entry(nil), pkg...), extra...)); err != nil {
		return "", nil, fmt.Errorf("build wheel %s: %w", filename, err)
	}

	entries := append(pkg, entry{distInfo + "/METADATA", s.metadata()}, entry{distInfo + "/WHEEL", wheelFile(triples)})
	entries = append(entries, extra...)
	record := distInfo + "/RECORD"
	entries = append(entries, entry{record, recordFile(entries, record)})

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if err := addStored(zw, e); err != nil {
			return "", nil, fmt.Errorf("build wheel %s: %w", filename, err)
		}
	}
	if err := zw.Close(); err != nil {
		return "", nil, fmt.Errorf("build wheel %s: %w", filename, err)
	}
	return filename, buf.Bytes(), nil
}

// checkCaseClash rejects two paths that only differ in case: they would
// overwrite each other on a case-insensitive file system.
func checkCaseClash(es []entry) error {
	seen := make(map[string]string, len(es))
	for _, e := range es {
		k := strings.ToLower(e.name)
		if prev, ok := seen[k]; ok {
			return &SpecError{"file", e.name, fmt.Sprintf("differs from %q only in case", prev)}
		}
		seen[k] = e.name
	}
	return nil
}

func (s Spec) validateBody() error {
	if err := checkLine("summary", s.Summary); err != nil {
		return err
	}
	if err := checkLine("requires-python", s.RequiresPython); err != nil {
		return err
	}
	for _, r := range s.RequiresDist {
		if err := checkLine("requires-dist", r); err != nil {
			return err
		}
		if r == "" {
			return &SpecError{"requires-dist", r, "empty"}
		}
	}
	for _, x := range s.ProvidesExtra {
		if !nameRE().MatchString(x) {
			return &SpecError{"provides-extra", x, "not a valid extra name"}
		}
	}
	return nil
}

func (s Spec) metadata() []byte {
	var b strings.Builder
	b.WriteString("Metadata-Version: 2.1\n")
	fmt.Fprintf(&b, "Name: %s\n", s.Name)
	fmt.Fprintf(&b, "Version: %s\n", s.Version)
	if s.Summary != "" {
		fmt.Fprintf(&b, "Summary: %s\n", s.Summary)
	}
	if s.RequiresPython != "" {
		fmt.Fprintf(&b, "Requires-Python: %s\n", s.RequiresPython)
	}
	for _, x := range s.ProvidesExtra {
		fmt.Fprintf(&b, "Provides-Extra: %s\n", x)
	}
	for _, r := range s.RequiresDist {
		fmt.Fprintf(&b, "Requires-Dist: %s\n", r)
	}
	return []byte(b.String())
}

func wheelFile(triples []string) []byte {
	var b strings.Builder
	b.WriteString("Wheel-Version: 1.0\n")
	fmt.Fprintf(&b, "Generator: %s\n", Generator)
	fmt.Fprintf(&b, "Root-Is-Purelib: %t\n", pure(triples))
	for _, t := range triples {
		fmt.Fprintf(&b, "Tag: %s\n", t)
	}
	return []byte(b.String())
}

// recordFile lists every entry with its hash and size, and RECORD itself
// with neither, as the wheel format requires. encoding/csv quotes a path
// holding a comma or a quote the way Python's csv module reads it back.
func recordFile(entries []entry, record string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	for _, e := range entries {
		w.Write([]string{e.name, HashRecord(e.data), fmt.Sprint(len(e.data))})
	}
	w.Write([]string{record, "", ""})
	w.Flush()
	return b.Bytes()
}

// HashRecord formats a digest as RECORD and direct URLs write it:
// sha256= and the unpadded URL-safe base64 of the SHA-256.
func HashRecord(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:])
}

// addStored writes one uncompressed entry with every header field fixed.
// CreateRaw is used rather than CreateHeader so that the writer adds no
// data descriptor and no extended-timestamp field.
func addStored(zw *zip.Writer, e entry) error {
	fh := &zip.FileHeader{
		Name:               e.name,
		Method:             zip.Store,
		Flags:              0x800, // names are UTF-8
		CreatorVersion:     3<<8 | 20,
		ReaderVersion:      20,
		ModifiedDate:       modDate,
		ModifiedTime:       modTime,
		ExternalAttrs:      (0o100000 | fileMode) << 16,
		CRC32:              crc32.ChecksumIEEE(e.data),
		CompressedSize64:   uint64(len(e.data)),
		UncompressedSize64: uint64(len(e.data)),
	}
	w, err := zw.CreateRaw(fh)
	if err != nil {
		return fmt.Errorf("add %s: %w", e.name, err)
	}
	if _, err := w.Write(e.data); err != nil {
		return fmt.Errorf("add %s: %w", e.name, err)
	}
	return nil
}

// WriteFile builds s and writes it atomically into dir under its wheel file
// name, returning the full path.
func WriteFile(dir string, s Spec) (string, error) {
	name, data, err := Build(s)
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, name)
	if err := fsutil.WriteFile(p, data, 0o644); err != nil {
		return "", fmt.Errorf("write wheel: %w", err)
	}
	return p, nil
}

// WriteAll writes every spec into dir and returns the paths in the same
// order. It stops at the first error.
func WriteAll(dir string, specs []Spec) ([]string, error) {
	paths := make([]string, 0, len(specs))
	for _, s := range specs {
		p, err := WriteFile(dir, s)
		if err != nil {
			return paths, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
