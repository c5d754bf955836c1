package lockfile

import (
	"bytes"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	toml "github.com/pelletier/go-toml/v2"

	"github.com/influx-py/influx-py/internal/fsutil"
)

// WriteFile writes the lock to path atomically: readers see the old file or
// the new one, never a mix.
func WriteFile(path string, l *Lock) error {
	data, err := l.Marshal()
	if err != nil {
		return fmt.Errorf("write lock file %s: %w", path, err)
	}
	return fsutil.WriteFile(path, data, 0o644)
}

// Validate checks a lock built in code against the same rules Parse
// applies to a file, by writing it and parsing the result. Package indexes
// in errors follow the written (sorted) order.
func (l *Lock) Validate() error {
	data, err := l.Marshal()
	if err != nil {
		return err
	}
	_, err = Parse("", data)
	return err
}

// Marshal renders the lock as TOML, the same bytes for the same lock: keys
// in the order the spec lists them, packages sorted by name, then version,
// then marker, sources as inline tables, wheels one per line. [tool] tables
// and unknown keys are written back with their keys sorted.
func (l *Lock) Marshal() ([]byte, error) {
	w := &writer{}
	w.str("lock-version", l.LockVersion)
	w.strs("environments", l.Environments)
	w.optStr("requires-python", l.RequiresPython)
	w.strs("extras", l.ExtrasList)
	w.strs("dependency-groups", l.DependencyGroups)
	w.strs("default-groups", l.DefaultGroups)
	w.str("created-by", l.CreatedBy)
	if len(l.Packages) == 0 {
		w.raw("packages = []\n")
	}
	w.unknown(l.Unknown)

	for _, i := range sortedPackages(l.Packages) {
		w.pkg(&l.Packages[i])
	}
	if l.Tool != nil {
		w.section([]string{"tool"}, l.Tool, false)
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.b.Bytes(), nil
}

// sortedPackages returns package indexes in writing order. The order is
// total up to entries that are identical in name, version and marker,
// which keep their relative order.
func sortedPackages(pkgs []Package) []int {
	idx := make([]int, len(pkgs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		p, q := &pkgs[idx[a]], &pkgs[idx[b]]
		if c := strings.Compare(normalizeName(p.Name), normalizeName(q.Name)); c != 0 {
			return c < 0
		}
		if c := compareVersions(p.Version, q.Version); c != 0 {
			return c < 0
		}
		return p.Marker < q.Marker
	})
	return idx
}

type writer struct {
	b   bytes.Buffer
	err error
}

func (w *writer) raw(s string) { w.b.WriteString(s) }

func (w *writer) setErr(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) str(key, v string) {
	w.kv(key, v)
}

func (w *writer) optStr(key, v string) {
	if v != "" {
		w.kv(key, v)
	}
}

func (w *writer) strs(key string, v []string) {
	if v == nil {
		return
	}
	items := make([]string, len(v))
	for i, s := range v {
		items[i] = w.value(s)
	}
	w.raw(tomlKey(key) + " = " + w.array(items, 100-len(key)) + "\n")
}

// kv writes key = value; a long array of plain values is written one item
// per line.
func (w *writer) kv(key string, v any) {
	if arr, ok := v.([]any); ok && len(arr) > 1 {
		items := make([]string, len(arr))
		for i, e := range arr {
			items[i] = w.value(e)
		}
		w.raw(tomlKey(key) + " = " + w.array(items, 100-len(key)) + "\n")
		return
	}
	w.raw(tomlKey(key) + " = " + w.value(v) + "\n")
}

// array renders items inline when they fit in width, else one per line.
func (w *writer) array(items []string, width int) string {
	inline := "[" + strings.Join(items, ", ") + "]"
	if len(items) <= 1 || len(inline) <= width {
		return inline
	}
	return "[\n    " + strings.Join(items, ",\n    ") + ",\n]"
}

// lines renders items one per line, as for wheels: a changed file shows as
// one changed line in a diff.
func lines(items []string) string {
	if len(items) == 0 {
		return "[]"
	}
	return "[\n    " + strings.Join(items, ",\n    ") + ",\n]"
}

func (w *writer) unknown(m map[string]any) {
	for _, k := range sortedKeys(m) {
		w.kv(k, m[k])
	}
}

func (w *writer) pkg(p *Package) {
	w.raw("\n[[packages]]\n")
	w.str("name", p.Name)
	w.optStr("version", p.Version)
	w.optStr("marker", p.Marker)
	w.optStr("requires-python", p.RequiresPython)
	if p.Dependencies != nil {
		items := make([]string, len(p.Dependencies))
		for i, d := range p.Dependencies {
			items[i] = w.inlineMap(d, "name", "version")
		}
		w.raw("dependencies = " + lines(items) + "\n")
	}
	w.optStr("index", p.Index)
	if v := p.VCS; v != nil {
		w.raw("vcs = " + w.inline([]field{
			{"type", v.Type}, {"url", v.URL}, {"path", v.Path},
			{"requested-revision", v.RequestedRevision}, {"commit-id", v.CommitID},
			{"subdirectory", v.Subdirectory},
		}, v.Unknown) + "\n")
	}
	if d := p.Directory; d != nil {
		fs := []field{{"path", d.Path}}
		if d.Editable != nil {
			fs = append(fs, field{"editable", *d.Editable})
		}
		fs = append(fs, field{"subdirectory", d.Subdirectory})
		w.raw("directory = " + w.inline(fs, d.Unknown) + "\n")
	}
	if a := p.Archive; a != nil {
		fs := []field{{"url", a.URL}, {"path", a.Path}}
		fs = append(fs, sizeTime(&a.File)...)
		fs = append(fs, field{"hashes", a.Hashes}, field{"subdirectory", a.Subdirectory})
		w.raw("archive = " + w.inline(fs, a.Unknown) + "\n")
	}
	if p.Sdist != nil {
		w.raw("sdist = " + w.file(p.Sdist) + "\n")
	}
	if p.Wheels != nil {
		items := make([]string, len(p.Wheels))
		for i := range p.Wheels {
			items[i] = w.file(&p.Wheels[i])
		}
		w.raw("wheels = " + lines(items) + "\n")
	}
	if p.AttestationIdentities != nil {
		items := make([]string, len(p.AttestationIdentities))
		for i, a := range p.AttestationIdentities {
			items[i] = w.inlineMap(a, "kind")
		}
		w.raw("attestation-identities = " + lines(items) + "\n")
	}
	w.unknown(p.Unknown)
	if p.Tool != nil {
		w.section([]string{"packages", "tool"}, p.Tool, false)
	}
}

// file renders a wheel or sdist in the spec's key order.
func (w *writer) file(f *File) string {
	fs := []field{{"name", f.Name}}
	if f.UploadTime != nil {
		fs = append(fs, field{"upload-time", *f.UploadTime})
	}
	fs = append(fs, field{"url", f.URL}, field{"path", f.Path})
	if f.Size != nil {
		fs = append(fs, field{"size", *f.Size})
	}
	fs = append(fs, field{"hashes", f.Hashes})
	return w.inline(fs, f.Unknown)
}

// sizeTime gives an archive's size and upload-time, in the archive's order.
func sizeTime(f *File) []field {
	var fs []field
	if f.Size != nil {
		fs = append(fs, field{"size", *f.Size})
	}
	if f.UploadTime != nil {
		fs = append(fs, field{"upload-time", *f.UploadTime})
	}
	return fs
}

type field struct {
	key string
	val any
}

// inline renders known fields in order, skipping empty strings, then the
// unknown keys sorted.
func (w *writer) inline(fs []field, unknown map[string]any) string {
	parts := make([]string, 0, len(fs)+len(unknown))
	for _, f := range fs {
		if s, ok := f.val.(string); ok && s == "" {
			continue
		}
		parts = append(parts, tomlKey(f.key)+" = "+w.value(f.val))
	}
	for _, k := range sortedKeys(unknown) {
		parts = append(parts, tomlKey(k)+" = "+w.value(unknown[k]))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// inlineMap renders a table with the keys in first leading, then the rest
// sorted.
func (w *writer) inlineMap(m map[string]any, first ...string) string {
	var fs []field
	rest := map[string]any{}
	for k, v := range m {
		rest[k] = v
	}
	for _, k := range first {
		if v, ok := m[k]; ok {
			fs = append(fs, field{k, v})
			delete(rest, k)
		}
	}
	parts := make([]string, 0, len(m))
	for _, f := range fs {
		parts = append(parts, tomlKey(f.key)+" = "+w.value(f.val))
	}
	for _, k := range sortedKeys(rest) {
		parts = append(parts, tomlKey(k)+" = "+w.value(rest[k]))
	}
	if len(parts) == 0 {
		return "{}"
	}
	return "{ " + strings.Join(parts, ", ") + " }"
}

// section writes a table with a [header], its plain keys first, then its
// sub-tables and arrays of tables as their own sections, so [tool.*] data
// reads back as the same tree. The header is omitted for a table that holds
// only sub-tables, as TOML creates it implicitly.
func (w *writer) section(path []string, m map[string]any, array bool) {
	var plain, tables, arrays []string
	for _, k := range sortedKeys(m) {
		switch v := m[k].(type) {
		case map[string]any:
			tables = append(tables, k)
		case []any:
			if isTableArray(v) {
				arrays = append(arrays, k)
			} else {
				plain = append(plain, k)
			}
		default:
			plain = append(plain, k)
		}
	}
	header := headerPath(path)
	switch {
	case array:
		w.raw("\n[[" + header + "]]\n")
	case len(plain) > 0 || len(m) == 0:
		w.raw("\n[" + header + "]\n")
	}
	for _, k := range plain {
		w.kv(k, m[k])
	}
	for _, k := range tables {
		w.section(append(path[:len(path):len(path)], k), m[k].(map[string]any), false)
	}
	for _, k := range arrays {
		for _, e := range m[k].([]any) {
			w.section(append(path[:len(path):len(path)], k), e.(map[string]any), true)
		}
	}
}

func isTableArray(v []any) bool {
	if len(v) == 0 {
		return false
	}
	for _, e := range v {
		if _, ok := e.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func headerPath(path []string) string {
	var b []byte
	for i, k := range path {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendKey(b, k)
	}
	return string(b)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// value renders a TOML value inline.
func (w *writer) value(v any) string {
	switch v := v.(type) {
	case string:
		if !utf8.ValidString(v) {
			w.setErr(fmt.Errorf("marshal lock: string %q is not valid UTF-8", v))
		}
		return string(appendString(nil, v))
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.FormatInt(int64(v), 10)
	case int32:
		return strconv.FormatInt(int64(v), 10)
	case int64:
		return strconv.FormatInt(v, 10)
	case uint32:
		return strconv.FormatUint(uint64(v), 10)
	case uint64:
		if v > math.MaxInt64 {
			w.setErr(fmt.Errorf("marshal lock: integer %d does not fit TOML's 64-bit integers", v))
		}
		return strconv.FormatUint(v, 10)
	case float32:
		return formatFloat(float64(v), 32)
	case float64:
		return formatFloat(v, 64)
	case time.Time:
		if _, off := v.Zone(); off == 0 {
			v = v.UTC()
		}
		return v.Format(time.RFC3339Nano)
	case toml.LocalDateTime:
		return v.String()
	case toml.LocalDate:
		return v.String()
	case toml.LocalTime:
		return v.String()
	case []string:
		items := make([]string, len(v))
		for i, s := range v {
			items[i] = w.value(s)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case []any:
		items := make([]string, len(v))
		for i, e := range v {
			items[i] = w.value(e)
		}
		return "[" + strings.Join(items, ", ") + "]"
	case map[string]string:
		m := make(map[string]any, len(v))
		for k, s := range v {
			m[k] = s
		}
		return w.inlineMap(m)
	case map[string]any:
		return w.inlineMap(v)
	default:
		w.setErr(fmt.Errorf("marshal lock: unsupported value type %T", v))
		return `""`
	}
}

func formatFloat(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return s
}

func tomlKey(k string) string { return string(appendKey(nil, k)) }

func appendKey(b []byte, k string) []byte {
	if k != "" && isBare(k) {
		return append(b, k...)
	}
	return appendString(b, k)
}

func isBare(k string) bool {
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// appendString writes a TOML basic string, escaping what TOML requires.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for _, r := range s {
		switch r {
		case '"':
			b = append(b, `\"`...)
		case '\\':
			b = append(b, `\\`...)
		case '\b':
			b = append(b, `\b`...)
		case '\t':
			b = append(b, `\t`...)
		case '\n':
			b = append(b, `\n`...)
		case '\f':
			b = append(b, `\f`...)
		case '\r':
			b = append(b, `\r`...)
		default:
			if r < 0x20 || r == 0x7f {
				b = fmt.Appendf(b, `\u%04X`, r)
			} else {
				b = utf8.AppendRune(b, r)
			}
		}
	}
	return append(b, '"')
}
