package lockfile

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

// ReadFile reads and parses the lock file at path. Errors name the path.
func ReadFile(path string) (*Lock, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a pylock.toml. filename is used only in error
// messages. Malformed TOML gives a *SyntaxError with line and column; a file
// that breaks the spec gives ValidationErrors listing every problem found.
//
// A lock whose lock-version has an unsupported major version is reported
// alone: its other keys may mean something this package does not know.
func Parse(filename string, data []byte) (*Lock, error) {
	// A byte-order mark some editors write is not part of the TOML.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := checkShape(filename, data); err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(filename, err)
	}
	d := &decoder{file: filename}
	l := d.lock(doc)
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	l.Warnings = d.warns
	return l, nil
}

func syntaxError(filename string, err error) error {
	se := &SyntaxError{File: filename, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		se.Line, se.Column = de.Position()
		se.Context = de.String()
	}
	return se
}

// decoder turns the generic TOML tree into the model, checking types and
// the spec's rules on the way and collecting every problem.
type decoder struct {
	file  string
	errs  ValidationErrors
	warns []string

	// the package being decoded; index -1 outside packages
	index int
	id    string
}

func (d *decoder) fail(field, format string, args ...any) {
	d.errs = append(d.errs, &ValidationError{
		File: d.file, Package: d.id, Index: d.index, Field: field,
		Msg: strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", "\n    "),
	})
}

func (d *decoder) warn(field, format string, args ...any) {
	var b strings.Builder
	b.WriteString(fileLabel(d.file))
	b.WriteString(": ")
	if d.index >= 0 {
		if d.id != "" {
			fmt.Fprintf(&b, "package %q (packages[%d]): ", d.id, d.index)
		} else {
			fmt.Fprintf(&b, "packages[%d]: ", d.index)
		}
	}
	if field != "" {
		b.WriteString(field)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, format, args...)
	d.warns = append(d.warns, b.String())
}

// table reads the keys of one TOML table. Keys nobody asked for are the
// unknown ones.
type table struct {
	d     *decoder
	m     map[string]any
	field string // path of this table, "" at the top of the file or a package
	seen  map[string]bool
}

func (d *decoder) table(m map[string]any, field string) *table {
	return &table{d: d, m: m, field: field, seen: map[string]bool{}}
}

func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}

func (t *table) get(key string) (any, bool) {
	t.seen[key] = true
	v, ok := t.m[key]
	return v, ok
}

func (t *table) str(key string, required bool) string {
	v, ok := t.get(key)
	if !ok {
		if required {
			t.d.fail(join(t.field, key), "missing (required)")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		t.d.fail(join(t.field, key), "expected a string, got %s", tomlType(v))
		return ""
	}
	if required && s == "" {
		t.d.fail(join(t.field, key), "must not be empty")
	}
	return s
}

func (t *table) strings(key string) []string {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		t.d.fail(join(t.field, key), "expected an array of strings, got %s", tomlType(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			t.d.fail(fmt.Sprintf("%s[%d]", join(t.field, key), i), "expected a string, got %s", tomlType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (t *table) boolean(key string) *bool {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		t.d.fail(join(t.field, key), "expected a boolean, got %s", tomlType(v))
		return nil
	}
	return &b
}

func (t *table) size(key string) *int64 {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	n, ok := v.(int64)
	if !ok {
		t.d.fail(join(t.field, key), "expected an integer, got %s", tomlType(v))
		return nil
	}
	if n < 0 {
		t.d.fail(join(t.field, key), "negative size %d", n)
		return nil
	}
	return &n
}

// uploadTime accepts an offset datetime in UTC, or a local datetime, which
// is taken to be UTC; the spec requires UTC.
func (t *table) uploadTime(key string) *time.Time {
	v, ok := t.get(key)
	if !ok {
		return nil
	}
	switch v := v.(type) {
	case time.Time:
		if _, off := v.Zone(); off != 0 {
			t.d.fail(join(t.field, key), "%s is not in UTC", v.Format(time.RFC3339Nano))
			return nil
		}
		u := v.UTC()
		return &u
	case toml.LocalDateTime:
		u := v.AsTime(time.UTC)
		return &u
	default:
		t.d.fail(join(t.field, key), "expected a datetime, got %s", tomlType(v))
		return nil
	}
}

func (t *table) subtable(key string) (map[string]any, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.d.fail(join(t.field, key), "expected a table, got %s", tomlType(v))
		return nil, true
	}
	return m, true
}

// tables reads an array of tables. present reports whether the key exists.
func (t *table) tables(key string) (out []map[string]any, present bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		t.d.fail(join(t.field, key), "expected an array of tables, got %s", tomlType(v))
		return nil, true
	}
	out = make([]map[string]any, 0, len(arr))
	for i, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			t.d.fail(fmt.Sprintf("%s[%d]", join(t.field, key), i), "expected a table, got %s", tomlType(e))
			out = append(out, nil)
			continue
		}
		out = append(out, m)
	}
	return out, true
}

// unknown returns the keys not read, warning about each.
func (t *table) unknown() map[string]any {
	var out map[string]any
	keys := make([]string, 0)
	for k := range t.m {
		if !t.seen[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if out == nil {
			out = map[string]any{}
		}
		out[k] = t.m[k]
		t.d.warn(join(t.field, k), "unknown key, kept as is")
	}
	return out
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case time.Time:
		return "datetime"
	case toml.LocalDateTime:
		return "local datetime"
	case toml.LocalDate:
		return "local date"
	case toml.LocalTime:
		return "local time"
	case []any:
		return "array"
	case map[string]any:
		return "table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func (d *decoder) lock(doc map[string]any) *Lock {
	d.index = -1
	t := d.table(doc, "")
	l := &Lock{}

	l.LockVersion = t.str("lock-version", true)
	if l.LockVersion != "" {
		supported, newer, err := checkLockVersion(l.LockVersion)
		switch {
		case err != nil:
			d.fail("lock-version", "%v", err)
			return l
		case !supported:
			d.fail("lock-version", "unsupported lock-version %q: only major version 1 is supported", l.LockVersion)
			return l
		case newer:
			d.warn("lock-version", "lock-version %s is newer than the supported %s; keys added since are kept but not used", l.LockVersion, SupportedVersion)
		}
	}

	l.Environments = t.strings("environments")
	for i, env := range l.Environments {
		if err := checkMarker(env); err != nil {
			d.fail(fmt.Sprintf("environments[%d]", i), "%v", err)
		}
	}
	l.RequiresPython = t.str("requires-python", false)
	if l.RequiresPython != "" {
		if err := checkSpecifiers(l.RequiresPython); err != nil {
			d.fail("requires-python", "%v", err)
		}
	}
	l.ExtrasList = t.strings("extras")
	for i, e := range l.ExtrasList {
		d.checkName(fmt.Sprintf("extras[%d]", i), e)
	}
	l.DependencyGroups = t.strings("dependency-groups")
	l.DefaultGroups = t.strings("default-groups")
	l.CreatedBy = t.str("created-by", true)

	pkgs, ok := t.tables("packages")
	if !ok {
		d.fail("packages", "missing (required)")
	}
	l.Packages = make([]Package, 0, len(pkgs))
	for i, m := range pkgs {
		if m == nil {
			continue // already reported as not a table
		}
		l.Packages = append(l.Packages, d.pkg(i, m))
	}
	d.index, d.id = -1, ""
	if m, ok := t.subtable("tool"); ok && m != nil {
		l.Tool = m
	}
	l.Unknown = t.unknown()
	d.checkConflicts(l.Packages, pkgs)
	return l
}

// checkName requires a valid, normalized name, as the spec stores names
// normalized.
func (d *decoder) checkName(field, name string) {
	if !validName(name) {
		d.fail(field, "invalid name %q", name)
		return
	}
	if !isNormalized(name) {
		n := normalizeName(name)
		d.fail(field, "name %q is not normalized (want %q)", name, n)
	}
}

func (d *decoder) pkg(index int, m map[string]any) Package {
	d.index, d.id = index, ""
	t := d.table(m, "")
	var p Package
	p.Name = t.str("name", true)
	if p.Name != "" {
		d.checkName("name", p.Name)
	}
	d.id = p.Name
	p.Version = t.str("version", false)
	if p.Version != "" {
		if _, err := parseVersion(p.Version); err != nil {
			d.fail("version", "%v", err)
		}
	}
	d.id = p.ID()
	p.Marker = t.str("marker", false)
	if p.Marker != "" {
		if err := checkMarker(p.Marker); err != nil {
			d.fail("marker", "%v", err)
		}
	}
	p.RequiresPython = t.str("requires-python", false)
	if p.RequiresPython != "" {
		if err := checkSpecifiers(p.RequiresPython); err != nil {
			d.fail("requires-python", "%v", err)
		}
	}
	if deps, ok := t.tables("dependencies"); ok {
		p.Dependencies = deps
	}
	p.Index = t.str("index", false)

	var sources []string
	if v, ok := t.subtable("vcs"); ok {
		sources = append(sources, "vcs")
		if v != nil {
			p.VCS = d.vcs(v)
		}
	}
	if v, ok := t.subtable("directory"); ok {
		sources = append(sources, "directory")
		if v != nil {
			p.Directory = d.directory(v)
		}
	}
	if v, ok := t.subtable("archive"); ok {
		sources = append(sources, "archive")
		if v != nil {
			f := d.dist(v, "archive", true)
			p.Archive = &Archive{File: f}
			p.Archive.Subdirectory = d.subdirectory(v, "archive")
		}
	}
	if v, ok := t.subtable("sdist"); ok {
		sources = append(sources, "sdist")
		if v != nil {
			f := d.dist(v, "sdist", false)
			p.Sdist = &f
			d.checkSdist(&p)
		}
	}
	if ws, ok := t.tables("wheels"); ok {
		if len(ws) > 0 {
			sources = append(sources, "wheels")
		}
		p.Wheels = make([]File, 0, len(ws))
		for i, w := range ws {
			if w == nil {
				p.Wheels = append(p.Wheels, File{})
				continue
			}
			field := fmt.Sprintf("wheels[%d]", i)
			p.Wheels = append(p.Wheels, d.dist(w, field, false))
			d.checkWheel(&p, i)
		}
	}
	d.checkSources(sources)

	if ais, ok := t.tables("attestation-identities"); ok {
		p.AttestationIdentities = ais
		for i, ai := range ais {
			if ai == nil {
				continue
			}
			field := fmt.Sprintf("attestation-identities[%d].kind", i)
			switch k := ai["kind"].(type) {
			case string:
				if k == "" {
					d.fail(field, "must not be empty")
				}
			case nil:
				d.fail(field, "missing (required)")
			default:
				d.fail(field, "expected a string, got %s", tomlType(k))
			}
		}
	}
	if m, ok := t.subtable("tool"); ok && m != nil {
		p.Tool = m
	}
	p.Unknown = t.unknown()
	return p
}

// checkSources enforces that a package has exactly one kind of source:
// vcs, directory, archive, or sdist and/or wheels.
func (d *decoder) checkSources(sources []string) {
	var direct, dists []string
	for _, s := range sources {
		if s == "sdist" || s == "wheels" {
			dists = append(dists, s)
		} else {
			direct = append(direct, s)
		}
	}
	switch {
	case len(direct) > 0 && len(dists) > 0:
		d.fail("", "has both %s and %s; vcs, directory and archive exclude sdist and wheels",
			strings.Join(direct, ", "), strings.Join(dists, ", "))
	case len(direct) > 1:
		d.fail("", "has %s; only one of vcs, directory and archive may be set", strings.Join(direct, ", "))
	case len(direct) == 0 && len(dists) == 0:
		d.fail("", "no source: one of vcs, directory, archive, sdist or wheels is required")
	}
}

func (d *decoder) vcs(m map[string]any) *VCS {
	t := d.table(m, "vcs")
	v := &VCS{
		Type:              t.str("type", true),
		URL:               t.str("url", false),
		Path:              t.str("path", false),
		RequestedRevision: t.str("requested-revision", false),
		CommitID:          t.str("commit-id", true),
	}
	v.Subdirectory = d.subdirectory(m, "vcs")
	t.seen["subdirectory"] = true
	if v.URL == "" && v.Path == "" {
		d.fail("vcs", "one of url and path is required")
	}
	if v.Type != "" {
		switch v.Type {
		case "git", "hg", "bzr", "svn":
		default:
			d.fail("vcs.type", "unknown version control system %q (want git, hg, bzr or svn)", v.Type)
		}
	}
	v.Unknown = t.unknown()
	return v
}

func (d *decoder) directory(m map[string]any) *Directory {
	t := d.table(m, "directory")
	dir := &Directory{
		Path:     t.str("path", true),
		Editable: t.boolean("editable"),
	}
	dir.Subdirectory = d.subdirectory(m, "directory")
	t.seen["subdirectory"] = true
	dir.Unknown = t.unknown()
	return dir
}

// subdirectory reads a `subdirectory` key, which must be a relative path
// inside the source tree.
func (d *decoder) subdirectory(m map[string]any, field string) string {
	v, ok := m["subdirectory"]
	if !ok {
		return ""
	}
	field = join(field, "subdirectory")
	s, ok := v.(string)
	if !ok {
		d.fail(field, "expected a string, got %s", tomlType(v))
		return ""
	}
	p := strings.ReplaceAll(s, `\`, "/")
	if strings.HasPrefix(p, "/") || (len(p) >= 2 && p[1] == ':') {
		d.fail(field, "%q is not a relative path", s)
	}
	return s
}

// dist reads a wheels entry, the sdist or the archive (whose table has no
// name but a subdirectory, read by the caller).
func (d *decoder) dist(m map[string]any, field string, archive bool) File {
	t := d.table(m, field)
	var f File
	if archive {
		t.seen["subdirectory"] = true
	} else {
		f.Name = t.str("name", false)
	}
	f.UploadTime = t.uploadTime("upload-time")
	f.URL = t.str("url", false)
	f.Path = t.str("path", false)
	f.Size = t.size("size")
	if f.URL == "" && f.Path == "" {
		d.fail(field, "one of url and path is required")
	}
	hf := join(field, "hashes")
	if h, ok := t.subtable("hashes"); !ok {
		d.fail(hf, "missing (required)")
	} else if h != nil {
		f.Hashes = make(map[string]string, len(h))
		algs := make([]string, 0, len(h))
		for alg, v := range h {
			algs = append(algs, alg)
			s, ok := v.(string)
			if !ok {
				d.fail(join(hf, alg), "expected a string, got %s", tomlType(v))
				continue
			}
			if s == "" {
				d.fail(join(hf, alg), "empty hash")
				continue
			}
			f.Hashes[alg] = s
		}
		sort.Strings(algs)
		switch {
		case len(h) == 0:
			d.fail(hf, "no hashes: at least one is required")
		case f.Hashes["sha256"] == "" && len(f.Hashes) > 0:
			d.warn(hf, "no sha256 hash (only %s); the file cannot be verified with sha256", strings.Join(algs, ", "))
		}
	}
	f.Unknown = t.unknown()
	return f
}

func (d *decoder) checkWheel(p *Package, i int) {
	w := &p.Wheels[i]
	field := fmt.Sprintf("wheels[%d]", i)
	fn := w.Filename()
	if fn == "" {
		return // no url or path, already reported
	}
	name, version, _, err := wheelInfo(fn)
	if err != nil {
		d.fail(field, "invalid wheel filename %q: %v", fn, err)
		return
	}
	d.checkDistName(p, field, fn, name, version)
}

func (d *decoder) checkSdist(p *Package) {
	fn := p.Sdist.Filename()
	if fn == "" {
		return
	}
	name, version, err := sdistInfo(fn)
	if err != nil {
		d.fail("sdist", "invalid sdist filename %q: %v", fn, err)
		return
	}
	d.checkDistName(p, "sdist", fn, name, version)
}

// checkDistName compares the name and version a file name carries with the
// package's. Both sides are normalized: "Foo_Bar-1.0.0" matches foo-bar 1.0.
func (d *decoder) checkDistName(p *Package, field, fn, name, version string) {
	if p.Name != "" && normalizeName(name) != normalizeName(p.Name) {
		d.fail(field, "file %q is for package %q, not %q", fn, normalizeName(name), p.Name)
	}
	if p.Version != "" {
		same, err := sameVersion(version, p.Version)
		if err != nil {
			d.fail(field, "file %q: %v", fn, err)
		} else if !same {
			d.fail(field, "file %q has version %s, not the package's %s", fn, version, p.Version)
		}
	}
}

// checkConflicts reports entries of the same package that would both be
// installed: two entries can share a name only if markers tell them apart,
// so two unconditional entries, an unconditional and a conditional one, or
// two with the same marker are an error. Entries whose markers merely
// overlap are caught by Select, for the environment at hand.
func (d *decoder) checkConflicts(pkgs []Package, raw []map[string]any) {
	// pkgs skips entries that were not tables; map back to file indexes.
	idx := make([]int, 0, len(pkgs))
	for i, m := range raw {
		if m != nil {
			idx = append(idx, i)
		}
	}
	first := map[string][]int{}
	for k := range pkgs {
		p := &pkgs[k]
		if p.Name == "" {
			continue
		}
		name := normalizeName(p.Name)
		for _, j := range first[name] {
			q := &pkgs[j]
			if p.Marker != "" && q.Marker != "" && !sameMarker(p.Marker, q.Marker) {
				continue
			}
			d.index, d.id = idx[k], p.ID()
			why := "neither has a marker"
			switch {
			case p.Marker != "" && q.Marker != "":
				why = "both have the marker " + p.Marker
			case p.Marker != "" || q.Marker != "":
				why = "one of them has no marker"
			}
			d.fail("", "conflicts with packages[%d] (%s): both would be installed (%s)", idx[j], q.ID(), why)
			break
		}
		first[name] = append(first[name], k)
	}
	d.index, d.id = -1, ""
}

// lastPathComponent takes what follows the last separator; a relative path
// may use either style.
func lastPathComponent(p string) string {
	return p[strings.LastIndexAny(p, `/\`)+1:]
}

// urlFilename is the percent-decoded last path segment of a URL. It avoids
// a full URL parse so that an unusual host does not hide the file name.
func urlFilename(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	name := u[strings.LastIndexByte(u, '/')+1:]
	if dec, err := url.PathUnescape(name); err == nil {
		return dec
	}
	return name
}
