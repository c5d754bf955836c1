package engine

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/index"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/redact"
	"github.com/influx-py/influx-py/internal/reqs"
)

// Declared is what requirements files (add -r, a plugin's requirements.txt)
// and plugin manifests ask of a resolution besides their requirements: the
// options they carry, the --hash pins of their lines, and where each
// requirement came from, so that a failure can name the file and line.
// add -r and add --from-plugins build it alike.
type Declared struct {
	// FindLinks are the --find-links of the files, made absolute (a local
	// folder) or kept as URLs.
	FindLinks []string
	// Indexes are the --index-url and --extra-index-url lines: they are
	// honoured only when the run already resolves from that index (a file
	// cannot choose where packages come from), else refused.
	Indexes []reqs.Option
	// Constraints are the requirement lines of the -c files.
	Constraints []string
	// Hashes are the --hash pins, by normalized name.
	Hashes map[string][]HashPin
	// Origins are where each requirement was declared, by normalized name.
	Origins map[string][]Origin
	// Needs are the plugins that plugins depend on, which influx-py does
	// not install.
	Needs []reqs.PluginNeed
	// venv is what add --from-venv read: every distribution it holds
	// must be in the new lock at its installed version.
	venv *fromVenv
}

// Origin is where a requirement was declared: a plugin ("" for a file
// given to add -r) and the file and line ("requirements.txt:2").
type Origin struct {
	Plugin, Where string
}

// joinOrigins writes origins with each plugin named once:
// "plugin a (requirements.txt:1, manifest.toml:19), r.txt:3".
func joinOrigins(origins []Origin) string {
	var order []string
	by := map[string][]string{}
	for _, o := range origins {
		if _, ok := by[o.Plugin]; !ok {
			order = append(order, o.Plugin)
		}
		by[o.Plugin] = append(by[o.Plugin], o.Where)
	}
	parts := make([]string, len(order))
	for i, p := range order {
		if p == "" {
			parts[i] = strings.Join(by[p], ", ")
		} else {
			parts[i] = fmt.Sprintf("plugin %s (%s)", p, strings.Join(by[p], ", "))
		}
	}
	return strings.Join(parts, ", ")
}

// HashPin is one requirement line's --hash values: a file of the package
// must have one of them.
type HashPin struct {
	Source string
	SHA256 []string // lowercase hex
}

// HashPinError is a --hash pin that no file of the resolved version has.
type HashPinError struct {
	Name, Version string
	Pin           HashPin
	Files         []string // "name sha256:hex", what the version has
}

func (e *HashPinError) Error() string {
	want := make([]string, len(e.Pin.SHA256))
	for i, h := range e.Pin.SHA256 {
		want[i] = "sha256:" + h
	}
	return fmt.Sprintf("%s pins %s with --hash %s, but the files of %s %s have %s",
		e.Pin.Source, e.Name, strings.Join(want, ", "), e.Name, e.Version, strings.Join(e.Files, ", "))
}

// OptionError is an option of a requirements file that influx-py will not
// apply, with the file and line and what to do instead.
type OptionError struct {
	Option reqs.Option
	Why    string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("%s: %s: %s", e.Option.Source, redact.Text(e.Option.String()), e.Why)
}

// declare adds lines and options read from requirements files or manifests
// to d, applying the options influx-py honours and refusing the others:
//
//   - --find-links: a folder (relative to the file; for a plugin, inside
//     the plugin dir) or a URL, searched as if given on the command line;
//   - -c/--constraint: its lines constrain the resolution;
//   - --index-url, --extra-index-url: checked against the run's indexes
//     when the resolution starts (Indexes);
//   - --only-binary, --prefer-binary: what influx-py does anyway (wheels
//     only, unless --allow-build);
//   - --require-hashes: every requirement of the file must carry --hash;
//   - --no-index: only with --offline;
//   - --pre, --no-binary, --trusted-host: refused.
func (d *Declared) declare(lines []reqs.Line, opts []reqs.Option, offline, allowBuild bool) error {
	if d.Hashes == nil {
		d.Hashes = map[string][]HashPin{}
		d.Origins = map[string][]Origin{}
	}
	requireHashes := map[string]bool{}
	for _, o := range opts {
		switch o.Name {
		case "--find-links":
			fl, err := findLinksOption(o)
			if err != nil {
				return err
			}
			if !contains(d.FindLinks, fl) {
				d.FindLinks = append(d.FindLinks, fl)
			}
		case "--constraint":
			cons, err := constraintOption(o)
			if err != nil {
				return err
			}
			d.Constraints = append(d.Constraints, cons...)
		case "--index-url", "--extra-index-url":
			d.Indexes = append(d.Indexes, o)
		case "--only-binary", "--prefer-binary":
			if allowBuild && o.Name == "--only-binary" && o.Value != ":all:" {
				return &OptionError{Option: o, Why: "wheels only for some packages is not applied with --allow-build; leave out --allow-build or the option"}
			}
		case "--require-hashes":
			requireHashes[o.File] = true
		case "--no-index":
			if !offline {
				return &OptionError{Option: o, Why: "the file asks for no index: run with --offline (and --find-links) to resolve that way"}
			}
		case "--pre":
			return &OptionError{Option: o, Why: "pre-releases are allowed per requirement instead: name one in the specifier (e.g. pkg>=2.0rc1)"}
		case "--no-binary":
			return &OptionError{Option: o, Why: "influx-py installs wheels; building from source is --allow-build on its command line, for packages without a fitting wheel"}
		case "--trusted-host":
			return &OptionError{Option: o, Why: "influx-py always verifies TLS; use an https index whose certificate the system trusts"}
		default:
			return &OptionError{Option: o, Why: "not applied by influx-py; give its equivalent on the command line"}
		}
	}
	for _, l := range lines {
		n := pep508.NormalizeName(l.Req.Name)
		src := l.Source
		if src == "" {
			src = fmt.Sprintf("%s:%d", l.File, l.LineNo)
		}
		o := Origin{Plugin: l.Plugin, Where: src}
		if l.Plugin != "" {
			o.Where = strings.TrimSuffix(strings.TrimPrefix(src, "plugin "+l.Plugin+" ("), ")")
		}
		if !slices.Contains(d.Origins[n], o) {
			d.Origins[n] = append(d.Origins[n], o)
		}
		if requireHashes[l.File] && len(l.Hashes) == 0 {
			return fmt.Errorf("%s: %s has no --hash, and the file says --require-hashes", src, l.Req.Name)
		}
		if len(l.Hashes) == 0 {
			continue
		}
		pin := HashPin{Source: src}
		for _, h := range l.Hashes {
			alg, hex, _ := strings.Cut(h, ":")
			if alg != "sha256" {
				return fmt.Errorf("%s: --hash %s: influx-py checks sha256 pins only (the lock records sha256); pin %s with --hash=sha256:...", src, alg, l.Req.Name)
			}
			pin.SHA256 = append(pin.SHA256, strings.ToLower(hex))
		}
		d.Hashes[n] = append(d.Hashes[n], pin)
	}
	return nil
}

// findLinksOption is the folder or URL of a --find-links line.
func findLinksOption(o reqs.Option) (string, error) {
	v := o.Value
	if strings.Contains(v, "://") {
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file" {
			return "", &OptionError{Option: o, Why: "not an http(s) URL or a folder"}
		}
		if u.Scheme != "file" {
			return v, nil
		}
		v = filepath.FromSlash(u.Path)
	}
	if !filepath.IsAbs(v) {
		v = filepath.Join(filepath.Dir(o.File), v)
	}
	abs, err := filepath.Abs(v)
	if err != nil {
		return "", &OptionError{Option: o, Why: err.Error()}
	}
	if o.Bound != "" && !insideDir(o.Bound, abs) {
		return "", &OptionError{Option: o, Why: fmt.Sprintf("outside the plugin dir %s; a plugin may only point at folders inside it (give --find-links on the command line for one elsewhere)", o.Bound)}
	}
	return abs, nil
}

// constraintOption reads the requirement lines of a -c file, inside the
// plugin dir for a plugin's file.
func constraintOption(o reqs.Option) ([]string, error) {
	p := o.Value
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(o.File), p)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, &OptionError{Option: o, Why: err.Error()}
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	if o.Bound != "" && !insideDir(o.Bound, abs) {
		return nil, &OptionError{Option: o, Why: fmt.Sprintf("outside the plugin dir %s; a plugin's constraints must be inside it", o.Bound)}
	}
	lines, opts, err := reqs.ParseRequirementsIn(abs, o.Bound)
	if err != nil {
		return nil, fmt.Errorf("%s: -c %s: %w", o.Source, o.Value, err)
	}
	if len(opts) > 0 {
		return nil, &OptionError{Option: opts[0], Why: "options in a constraints file are not applied"}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.Req.String()
	}
	return out, nil
}

// checkIndexes refuses an index a requirements file names that the run
// does not already resolve from.
func (d *Declared) checkIndexes(src sources) error {
	if d == nil {
		return nil
	}
	have := map[string]bool{normIndex(src.indexURL): true}
	for _, u := range src.extra {
		have[normIndex(u)] = true
	}
	for _, o := range d.Indexes {
		if !have[normIndex(o.Value)] {
			return &OptionError{Option: o, Why: "a requirements file cannot choose the index influx-py resolves from; if you trust it, pass --index-url or --extra-index-url " + redact.URL(o.Value)}
		}
	}
	return nil
}

// normIndex compares index URLs without their credentials and trailing
// slash.
func normIndex(u string) string {
	return strings.TrimSuffix(redact.Strip(u), "/")
}

// applyHashes keeps, for each package the files pin with --hash, only the
// files whose sha256 every pin of that package allows; a package left with
// none is a HashPinError naming both sides.
func (d *Declared) applyHashes(l *lockfile.Lock) error {
	if d == nil || len(d.Hashes) == 0 {
		return nil
	}
	for i := range l.Packages {
		p := &l.Packages[i]
		pins := d.Hashes[pep508.NormalizeName(p.Name)]
		if len(pins) == 0 {
			continue
		}
		ok := func(f *lockfile.File) bool {
			sum, _ := f.SHA256()
			for _, pin := range pins {
				if !contains(pin.SHA256, sum) {
					return false
				}
			}
			return true
		}
		var files []string
		var kept []lockfile.File
		for j := range p.Wheels {
			sum, _ := p.Wheels[j].SHA256()
			files = append(files, p.Wheels[j].Filename()+" sha256:"+sum)
			if ok(&p.Wheels[j]) {
				kept = append(kept, p.Wheels[j])
			}
		}
		if p.Sdist != nil {
			sum, _ := p.Sdist.SHA256()
			files = append(files, p.Sdist.Filename()+" sha256:"+sum)
			if !ok(p.Sdist) {
				p.Sdist = nil
			}
		}
		if p.Archive != nil {
			sum, _ := p.Archive.File.SHA256()
			files = append(files, "archive sha256:"+sum)
			if !ok(&p.Archive.File) {
				return &HashPinError{Name: p.Name, Version: p.Version, Pin: pins[0], Files: files}
			}
		}
		p.Wheels = kept
		if len(p.Wheels) == 0 && p.Sdist == nil && p.Archive == nil {
			// Name the pin that fails (with several, the first that no
			// file meets).
			pin := pins[0]
			for _, pn := range pins {
				if !anyFile(files, pn) {
					pin = pn
					break
				}
			}
			return &HashPinError{Name: p.Name, Version: p.Version, Pin: pin, Files: files}
		}
	}
	return nil
}

func anyFile(files []string, pin HashPin) bool {
	for _, f := range files {
		for _, h := range pin.SHA256 {
			if strings.HasSuffix(f, "sha256:"+h) {
				return true
			}
		}
	}
	return false
}

// UnfoundError names every declared requirement that the index and the
// find-links folders have no file for at all, with where each was
// declared (what a resolver reports one at a time), and the projects that
// have only source distributions where wheels are required.
type UnfoundError struct {
	Missing   []string // "adtk (plugin influxdata/stateless_adtk_detector (requirements.txt:3))"
	SdistOnly []string // "legacy-pkg 1.0 (an sdist only)"
	// NoSources: --offline without any --find-links folder.
	NoSources bool
	Err       error // the resolver's own failure
}

func (e *UnfoundError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "no file on the index or in --find-links for:\n  "+strings.Join(e.Missing, "\n  "))
	}
	if len(e.SdistOnly) > 0 {
		parts = append(parts, "only source distributions, and wheels are required without --allow-build, for:\n  "+strings.Join(e.SdistOnly, "\n  "))
	}
	if e.NoSources {
		parts = append(parts, "--offline resolves from --find-links folders only, and none was given")
	}
	return strings.Join(parts, "\n")
}

func (e *UnfoundError) Unwrap() error { return e.Err }

// resolverNameRE finds the projects a resolver's failure is about: pip's
// "No matching distribution found for NAME", uv's "Because NAME was not
// found" and "NAME==1.0 has no usable wheels".
var resolverNameRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:no matching distribution found for|because|and) ([a-z0-9][a-z0-9._-]*)(?:[<>=!~ ;\[(]|$)`)
})

// unfound asks the sources, after a failed resolution, for each declared
// requirement and each project the failure names; nil when each has a
// usable file (the failure is a conflict) or when the sources cannot be
// asked.
func (e *Engine) unfound(ctx context.Context, d *Declared, src sources, allowSdist bool, resolveErr error) error {
	ue := &UnfoundError{Err: resolveErr, NoSources: src.offline && len(src.findLinks) == 0}
	client := &index.Client{HTTP: e.HTTP, FindLinks: src.findLinks, Offline: src.offline}
	if !src.offline {
		client.IndexURL = src.indexURL
	}
	names := map[string]bool{}
	if d != nil {
		for n := range d.Origins {
			names[n] = true
		}
	}
	for _, m := range resolverNameRE().FindAllStringSubmatch(strings.ToLower(resolveErr.Error()), -1) {
		if n := pep508.NormalizeName(strings.TrimRight(m[1], ".")); pep508.ValidName(n) {
			names[n] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for n := range names {
		sorted = append(sorted, n)
	}
	sort.Strings(sorted)
	for _, n := range sorted {
		files, err := client.Files(ctx, n) // a 404 is no files
		if err != nil {
			return nil
		}
		var origins []Origin
		if d != nil {
			origins = d.Origins[n]
		}
		label := n
		if len(origins) > 0 {
			label = fmt.Sprintf("%s (%s)", n, joinOrigins(origins))
		}
		wheels := 0
		for _, f := range files {
			if f.IsWheel() {
				wheels++
			}
		}
		switch {
		case len(files) == 0 && len(origins) > 0:
			// An undeclared name with no files may just be a word of the
			// message; a declared one is surely missing.
			ue.Missing = append(ue.Missing, label)
		case len(files) > 0 && wheels == 0 && !allowSdist:
			ue.SdistOnly = append(ue.SdistOnly, label)
		}
	}
	if len(ue.Missing) == 0 && len(ue.SdistOnly) == 0 && !ue.NoSources {
		return nil
	}
	return ue
}

// TracedError is a resolver failure with the files and lines that asked
// for the requirements it names.
type TracedError struct {
	Err   error
	Asked []string // "adtk: plugin influxdata/stateless_adtk_detector (requirements.txt:3)"
}

func (e *TracedError) Error() string {
	return e.Err.Error() + "\nasked for by:\n  " + strings.Join(e.Asked, "\n  ")
}

func (e *TracedError) Unwrap() error { return e.Err }

// trace names, for each declared requirement the resolver's message
// mentions, where it was declared. err comes back unchanged when the
// message names none.
func (d *Declared) trace(err error) error {
	if d == nil || err == nil || len(d.Origins) == 0 {
		return err
	}
	msg := strings.ToLower(err.Error())
	var asked []string
	names := make([]string, 0, len(d.Origins))
	for n := range d.Origins {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if mentions(msg, n) {
			asked = append(asked, n+": "+joinOrigins(d.Origins[n]))
		}
	}
	if len(asked) == 0 {
		return err
	}
	return &TracedError{Err: err, Asked: asked}
}

// mentions reports whether the resolver's message names the project n (in
// any of the spellings PEP 503 folds together) as a whole word.
func mentions(msg, n string) bool {
	for _, spelling := range []string{n, strings.ReplaceAll(n, "-", "_"), strings.ReplaceAll(n, "-", ".")} {
		for i := 0; ; {
			j := strings.Index(msg[i:], spelling)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(spelling)
			if (start == 0 || !nameByte(msg[start-1])) && !continues(msg, end) {
				return true
			}
			i = end
		}
	}
	return false
}

func nameByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_' || b == '.'
}

// continues reports whether the name that ended at msg[end] goes on: a
// name byte follows, other than a full stop that ends a sentence.
func continues(msg string, end int) bool {
	if end == len(msg) || !nameByte(msg[end]) {
		return false
	}
	if msg[end] == '.' || msg[end] == '-' {
		return end+1 < len(msg) && nameByte(msg[end+1]) && msg[end+1] != '.'
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// insideDir reports whether p is dir or below it, after links.
func insideDir(dir, p string) bool {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
