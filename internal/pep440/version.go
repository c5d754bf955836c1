// Package pep440 implements PEP 440 versions and version specifiers with the
// semantics of pypa/packaging (the library pip and most Python tools use), so
// that influx-py accepts, orders and matches versions exactly as the Python
// side of the processing engine would.
package pep440

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// ErrInvalidVersion is wrapped by every error Parse returns.
var ErrInvalidVersion = errors.New("invalid version")

// Version is a parsed PEP 440 version. It is a value type; the zero Version is
// not a valid version (its String is empty), so always obtain one from Parse.
type Version struct {
	epoch   uint64
	release []uint64
	preL    string // "", "a", "b" or "rc"
	preN    uint64
	post    uint64
	hasPost bool
	dev     uint64
	hasDev  bool
	local   []localPart
}

// localPart is one dot-separated segment of a local version label. Numeric
// segments keep their digits without leading zeros so that labels of any
// length compare numerically, as Python's unbounded ints do.
type localPart struct {
	text  string
	isNum bool
}

// versionRE is packaging's VERSION_PATTERN, applied to an ASCII-lowercased,
// whitespace-stripped string. Lowercasing only ASCII letters keeps byte
// offsets and avoids Unicode case folding (packaging matches the letters in
// ASCII mode, so "poſt" is not "post").
var versionRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^v?` +
		`(?:([0-9]+)!)?` + // epoch
		`([0-9]+(?:\.[0-9]+)*)` + // release
		`(?:[._-]?(alpha|a|beta|b|preview|pre|c|rc)[._-]?([0-9]+)?)?` + // pre
		`(?:-([0-9]+)|[._-]?(post|rev|r)[._-]?([0-9]+)?)?` + // post
		`(?:[._-]?(dev)[._-]?([0-9]+)?)?` + // dev
		`(?:\+([a-z0-9]+(?:[._-][a-z0-9]+)*))?$`) // local
})

// Parse parses a PEP 440 version. Like packaging it accepts surrounding
// whitespace, a leading "v", any letter case and the alternative spellings
// PEP 440 normalizes (e.g. "1.0-alpha_1" is 1.0a1).
//
// Numbers above 2^64-1 are rejected; Python accepts them, but no real
// distribution uses them.
func Parse(s string) (Version, error) {
	v, err := parse(s)
	if err != nil {
		return Version{}, fmt.Errorf("parse version %q: %w", s, err)
	}
	return v, nil
}

// MustParse is Parse for versions known to be valid (constants, tests). It
// panics on error.
func MustParse(s string) Version {
	v, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return v
}

func parse(s string) (Version, error) {
	m := versionRE().FindStringSubmatch(asciiLower(trimSpace(s)))
	if m == nil {
		return Version{}, ErrInvalidVersion
	}
	var v Version
	var err error
	num := func(s string) uint64 {
		if s == "" || err != nil {
			return 0
		}
		n, e := strconv.ParseUint(s, 10, 64)
		if e != nil {
			err = fmt.Errorf("%w: number %s is too large", ErrInvalidVersion, s)
		}
		return n
	}
	v.epoch = num(m[1])
	for _, part := range strings.Split(m[2], ".") {
		v.release = append(v.release, num(part))
	}
	if m[3] != "" {
		v.preL = normalizeLetter(m[3])
		v.preN = num(m[4])
	}
	switch {
	case m[5] != "":
		v.hasPost, v.post = true, num(m[5])
	case m[6] != "":
		v.hasPost, v.post = true, num(m[7])
	}
	if m[8] != "" {
		v.hasDev, v.dev = true, num(m[9])
	}
	if m[10] != "" {
		v.local = parseLocal(m[10])
	}
	if err != nil {
		return Version{}, err
	}
	return v, nil
}

func normalizeLetter(l string) string {
	switch l {
	case "alpha":
		return "a"
	case "beta":
		return "b"
	case "c", "pre", "preview":
		return "rc"
	}
	return l
}

func parseLocal(s string) []localPart {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '_' || r == '-' })
	out := make([]localPart, len(parts))
	for i, p := range parts {
		if isDigits(p) {
			p = strings.TrimLeft(p, "0")
			if p == "" {
				p = "0"
			}
			out[i] = localPart{text: p, isNum: true}
		} else {
			out[i] = localPart{text: p}
		}
	}
	return out
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// asciiLower lowercases ASCII letters only, leaving every other byte (and so
// every offset) unchanged.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// isSpace reports whether r is whitespace for Python's str.isspace and the
// re module's \s, which is what packaging strips and skips. It differs from
// unicode.IsSpace only in also accepting the separators U+001C..U+001F.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// trimSpace is Python's str.strip() without arguments.
func trimSpace(s string) string { return strings.TrimFunc(s, isSpace) }

// String returns the normalized form, e.g. "1!2.0rc1.post2.dev3+local.7".
func (v Version) String() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.FormatUint(v.epoch, 10))
		b.WriteByte('!')
	}
	writeRelease(&b, v.release)
	v.writeSuffix(&b)
	if len(v.local) > 0 {
		b.WriteByte('+')
		b.WriteString(v.Local())
	}
	return b.String()
}

func writeRelease(b *strings.Builder, rel []uint64) {
	for i, n := range rel {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(n, 10))
	}
}

func (v Version) writeSuffix(b *strings.Builder) {
	if v.preL != "" {
		b.WriteString(v.preL)
		b.WriteString(strconv.FormatUint(v.preN, 10))
	}
	if v.hasPost {
		b.WriteString(".post")
		b.WriteString(strconv.FormatUint(v.post, 10))
	}
	if v.hasDev {
		b.WriteString(".dev")
		b.WriteString(strconv.FormatUint(v.dev, 10))
	}
}

// Epoch returns the epoch (0 when absent).
func (v Version) Epoch() uint64 { return v.epoch }

// Release returns a copy of the release segment, trailing zeros included.
func (v Version) Release() []uint64 { return append([]uint64(nil), v.release...) }

// Pre returns the normalized pre-release label ("a", "b" or "rc") and number.
func (v Version) Pre() (label string, n uint64, ok bool) {
	return v.preL, v.preN, v.preL != ""
}

// Post returns the post-release number.
func (v Version) Post() (n uint64, ok bool) { return v.post, v.hasPost }

// Dev returns the development-release number.
func (v Version) Dev() (n uint64, ok bool) { return v.dev, v.hasDev }

// Local returns the normalized local label ("" when there is none).
func (v Version) Local() string {
	parts := make([]string, len(v.local))
	for i, p := range v.local {
		parts[i] = p.text
	}
	return strings.Join(parts, ".")
}

// Public returns the version without its local label, as a string.
func (v Version) Public() string {
	s := v.String()
	if i := strings.IndexByte(s, '+'); i >= 0 {
		return s[:i]
	}
	return s
}

// BaseVersion returns epoch and release only, e.g. "1!2.0" for 1!2.0rc1+x.
func (v Version) BaseVersion() string {
	var b strings.Builder
	if v.epoch != 0 {
		b.WriteString(strconv.FormatUint(v.epoch, 10))
		b.WriteByte('!')
	}
	writeRelease(&b, v.release)
	return b.String()
}

// IsPrerelease reports whether v is an alpha, beta, rc or dev release.
func (v Version) IsPrerelease() bool { return v.preL != "" || v.hasDev }

// IsPostrelease reports whether v has a post-release segment.
func (v Version) IsPostrelease() bool { return v.hasPost }

// IsDevrelease reports whether v has a dev segment.
func (v Version) IsDevrelease() bool { return v.hasDev }

// Equal reports whether v and o are the same version (1.0 equals 1.0.0).
func (v Version) Equal(o Version) bool { return v.Compare(o) == 0 }

// Compare orders versions per PEP 440: -1 if v < o, 0 if equal, +1 if v > o.
// Trailing zeros in the release are insignificant, dev releases sort before
// pre-releases, and a local label sorts after the same public version.
func (v Version) Compare(o Version) int {
	if c := v.comparePublic(o); c != 0 {
		return c
	}
	return compareLocal(v.local, o.local)
}

// comparePublic compares everything but the local label.
func (v Version) comparePublic(o Version) int {
	if c := cmpUint(v.epoch, o.epoch); c != 0 {
		return c
	}
	if c := compareRelease(v.release, o.release); c != 0 {
		return c
	}
	a, b := v.suffixKey(), o.suffixKey()
	for i := range a {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// suffixKey encodes pre, post and dev so that element-wise comparison gives
// PEP 440 order. Ranks are shifted by one to stay unsigned: a bare dev
// release ranks below any pre-release, a final release above rc.
func (v Version) suffixKey() [6]uint64 {
	var preRank, preN uint64
	switch v.preL {
	case "a":
		preRank, preN = 1, v.preN
	case "b":
		preRank, preN = 2, v.preN
	case "rc":
		preRank, preN = 3, v.preN
	default:
		preRank = 4
		if !v.hasPost && v.hasDev {
			preRank = 0
		}
	}
	var postRank, devRank uint64 = 0, 1
	if v.hasPost {
		postRank = 1
	}
	if v.hasDev {
		devRank = 0
	}
	return [6]uint64{preRank, preN, postRank, v.post, devRank, v.dev}
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// trimZeros drops trailing zero components (all of them, like packaging's
// comparison key; "0" and "0.0" both become empty).
func trimZeros(r []uint64) []uint64 {
	i := len(r)
	for i > 0 && r[i-1] == 0 {
		i--
	}
	return r[:i]
}

func compareRelease(a, b []uint64) int {
	a, b = trimZeros(a), trimZeros(b)
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := cmpUint(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(a), len(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareLocal orders local labels: none sorts first; then segment by
// segment, strings before numbers, numbers numerically, strings
// lexicographically; a shorter label that is a prefix sorts first.
func compareLocal(a, b []localPart) int {
	if (a == nil) != (b == nil) {
		if a == nil {
			return -1
		}
		return 1
	}
	for i := 0; i < len(a) && i < len(b); i++ {
		x, y := a[i], b[i]
		switch {
		case x.isNum && y.isNum:
			if c := cmpInt(len(x.text), len(y.text)); c != 0 {
				return c
			}
			if c := strings.Compare(x.text, y.text); c != 0 {
				return c
			}
		case x.isNum:
			return 1
		case y.isNum:
			return -1
		default:
			if c := strings.Compare(x.text, y.text); c != 0 {
				return c
			}
		}
	}
	return cmpInt(len(a), len(b))
}

// Canonicalize is packaging.utils.canonicalize_version: the normalized
// version with trailing ".0" release components removed (keeping at least
// one component). Strings that are not valid versions are returned unchanged.
func Canonicalize(s string) string {
	v, err := parse(s)
	if err != nil {
		return s
	}
	return v.canonical(true)
}

// CanonicalizeKeepZeros is canonicalize_version(s, strip_trailing_zero=False):
// the normalized version, or s unchanged when it is not a valid version.
func CanonicalizeKeepZeros(s string) string {
	v, err := parse(s)
	if err != nil {
		return s
	}
	return v.String()
}

func (v Version) canonical(stripZeros bool) string {
	if !stripZeros {
		return v.String()
	}
	w := v
	i := len(w.release)
	for i > 1 && w.release[i-1] == 0 {
		i--
	}
	w.release = w.release[:i]
	return w.String()
}

// withDev returns a copy of v with the given dev number and no local label
// (the building block of the exclusive bounds PEP 440 defines).
func (v Version) withDev(n uint64) Version {
	w := v
	w.hasDev, w.dev = true, n
	w.local = nil
	return w
}
