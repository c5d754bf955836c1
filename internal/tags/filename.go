package tags

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

// ErrInvalidFilename is wrapped by every error of ParseWheelFilename and
// ParseSdistFilename.
var ErrInvalidFilename = errors.New("invalid distribution file name")

// WheelName is a parsed wheel file name (binary distribution format,
// formerly PEP 427): {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl.
type WheelName struct {
	// Name is the project name normalized as PEP 503 does.
	Name string
	// Version is the version as written in the file name; it has the shape
	// of a PEP 440 version but is not normalized here.
	Version string
	// Build is the optional build tag as written ("" when absent); it starts
	// with a digit. See CompareBuild.
	Build string
	// Tags is the expanded tag set.
	Tags []Tag
}

// ParseWheelFilename parses a wheel file name the way
// packaging.utils.parse_wheel_filename does.
func ParseWheelFilename(fn string) (WheelName, error) {
	return ParseWheelFilenameWith(fn, ParseOptions{})
}

// ParseWheelFilenameWith is ParseWheelFilename with tag parsing options.
func ParseWheelFilenameWith(fn string, o ParseOptions) (WheelName, error) {
	bad := func(format string, args ...any) (WheelName, error) {
		return WheelName{}, fmt.Errorf("parse wheel file name %q: %s: %w", fn, fmt.Sprintf(format, args...), ErrInvalidFilename)
	}
	stem, ok := strings.CutSuffix(fn, ".whl")
	if !ok {
		return bad("extension is not .whl")
	}
	dashes := strings.Count(stem, "-")
	if dashes != 4 && dashes != 5 {
		return bad("want 5 or 6 dash-separated parts, have %d", dashes+1)
	}
	// The tag set keeps its two inner dashes: split only the leading fields.
	parts := strings.SplitN(stem, "-", dashes-1)
	namePart := parts[0]
	if strings.Contains(namePart, "__") || !isWheelName(namePart) {
		return bad("invalid project name %q", namePart)
	}
	w := WheelName{Name: NormalizeName(namePart), Version: parts[1]}
	if !ValidVersion(parts[1]) {
		return bad("invalid version %q", parts[1])
	}
	if dashes == 5 {
		b := parts[2]
		if b == "" || b[0] < '0' || b[0] > '9' {
			return bad("build tag %q does not start with a digit", b)
		}
		w.Build = b
	}
	t, err := ParseTagSetWith(parts[len(parts)-1], o)
	if err != nil {
		return WheelName{}, fmt.Errorf("parse wheel file name %q: %w: %w", fn, err, ErrInvalidFilename)
	}
	w.Tags = t
	return w, nil
}

// isWheelName checks the escaped project name of a wheel: word characters
// (Unicode letters and digits, underscore) and dots, at least one.
func isWheelName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '_' && r != '.' && !unicode.IsLetter(r) && !unicode.IsNumber(r) {
			return false
		}
	}
	return true
}

// ParseSdistFilename parses a source distribution file name,
// {name}-{version}.tar.gz or .zip, as packaging.utils.parse_sdist_filename
// does: the version is what follows the last dash. The name is normalized.
func ParseSdistFilename(fn string) (name, version string, err error) {
	bad := func(format string, args ...any) (string, string, error) {
		return "", "", fmt.Errorf("parse sdist file name %q: %s: %w", fn, fmt.Sprintf(format, args...), ErrInvalidFilename)
	}
	var stem string
	switch {
	case strings.HasSuffix(fn, ".tar.gz"):
		stem = strings.TrimSuffix(fn, ".tar.gz")
	case strings.HasSuffix(fn, ".zip"):
		stem = strings.TrimSuffix(fn, ".zip")
	default:
		return bad("extension is not .tar.gz or .zip")
	}
	i := strings.LastIndexByte(stem, '-')
	if i < 0 {
		return bad("no dash between name and version")
	}
	if i == 0 {
		return bad("empty project name")
	}
	version = stem[i+1:]
	if !ValidVersion(version) {
		return bad("invalid version %q", version)
	}
	return NormalizeName(stem[:i]), version, nil
}

// NormalizeName lower-cases a project name and turns every run of "-", "_"
// and "." into one "-" (PEP 503), so that names compare equal however a
// file or index spells them.
func NormalizeName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	sep := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			sep = true
			continue
		}
		if sep {
			b.WriteByte('-')
			sep = false
		}
		b.WriteRune(r)
	}
	if sep {
		b.WriteByte('-')
	}
	return b.String()
}

// versionShape is PEP 440's version grammar (the canonical regular
// expression of the specification), matched against an ASCII-lower-cased
// string. It only answers "is this a version"; ordering and normalization
// belong to the version package.
var versionShape = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?` +
		`(?:[0-9]+!)?` +
		`[0-9]+(?:\.[0-9]+)*` +
		`(?:[._-]?(?:alpha|a|beta|b|preview|pre|c|rc)[._-]?[0-9]*)?` +
		`(?:-[0-9]+|[._-]?(?:post|rev|r)[._-]?[0-9]*)?` +
		`(?:[._-]?dev[._-]?[0-9]*)?` +
		`(?:\+[a-z0-9]+(?:[._-][a-z0-9]+)*)?$`)
})

// ValidVersion reports whether s is a valid PEP 440 version (surrounding
// white space allowed, case ignored), which wheel and sdist names require.
func ValidVersion(s string) bool {
	s = strings.TrimFunc(s, isPySpace)
	// Lower-case ASCII only: a regexp (?i) would also fold the Kelvin sign
	// into "k", which PEP 440 does not allow.
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return versionShape().Match(b)
}

// isPySpace is Python's str.isspace, which the \s of packaging's version
// pattern follows.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// CompareBuild orders two build tags as the wheel specification sorts them:
// by the leading number, then by the rest as a string; an empty build tag
// sorts first. It returns -1, 0 or +1.
func CompareBuild(a, b string) int {
	an, as := splitBuild(a)
	bn, bs := splitBuild(b)
	if c := compareDigits(an, bn); c != 0 {
		return c
	}
	return strings.Compare(as, bs)
}

// BuildNumber splits a build tag into its leading number (decimal digits
// without leading zeros, "" when there is no build tag) and the rest.
func (w WheelName) BuildNumber() (number, suffix string) {
	return splitBuild(w.Build)
}

func splitBuild(s string) (num, suffix string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	num = strings.TrimLeft(s[:i], "0")
	if num == "" && i > 0 {
		num = "0"
	}
	suffix = s[i:]
	// packaging's (\d+)(.*) match stops the suffix at a line break.
	if j := strings.IndexByte(suffix, '\n'); j >= 0 {
		suffix = suffix[:j]
	}
	return num, suffix
}

// compareDigits compares decimal numbers of any length without leading
// zeros; "" (no build tag) sorts before every number.
func compareDigits(a, b string) int {
	if a == "" || b == "" {
		return strings.Compare(a, b)
	}
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}
