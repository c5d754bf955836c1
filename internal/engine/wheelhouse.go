package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
)

// A wheelhouse is a folder that carries everything a lock needs to a site
// without network:
//
//	DIR/influx-py-wheelhouse.json   the manifest: files, sizes, sha256, the lock digest
//	DIR/pylock.toml                 the lock it was made for, byte for byte
//	DIR/<file>.whl, <file>.tar.gz   the lock's files, flat: DIR is a --find-links folder
//	DIR/index.html                  a flat page of every file, for a wheelhouse served over http
//	DIR/simple/<project>/index.html a PEP 503 index (--index-url file:///DIR/simple or http)
//	DIR/uv/<version>/<archive>      the pinned uv release archives, a --uv-mirror layout
//
// sync --find-links DIR takes the files and, from uv/, the pinned uv: an
// air-gapped node installs through uv. Every file is checked against the
// lock (or the pin) when it is put in and again when it is used.
const (
	WheelhouseManifest = "influx-py-wheelhouse.json"
	WheelhouseLock     = "pylock.toml"
	WheelhouseUVDir    = "uv"
	wheelhouseFormat   = 1
)

// WheelhouseOptions say what goes into a wheelhouse.
type WheelhouseOptions struct {
	Where     Where
	Dir       string
	CacheDir  string
	FindLinks []string
	Offline   bool
	// All puts in every file the lock lists, for every interpreter and
	// platform, instead of those this interpreter selects.
	All bool
	// UVTargets are the uv targets whose archives go in; nil means this
	// machine's, an empty non-nil slice none.
	UVTargets []string
	UVMirror  string
}

// Wheelhouse is a wheelhouse's manifest.
type Wheelhouse struct {
	Format     int    `json:"format"`
	LockDigest string `json:"lock_digest"`
	// Python is the interpreter the files were selected for; empty for
	// --all.
	Python  string           `json:"python"`
	All     bool             `json:"all"`
	MadeBy  string           `json:"made_by"`
	Created time.Time        `json:"created"`
	Files   []WheelhouseFile `json:"files"`
	UV      []UVArchive      `json:"uv"`
	// Skipped are the lock's packages a wheelhouse cannot carry (directory
	// and vcs sources, built at sync).
	Skipped []string `json:"skipped"`
}

// WheelhouseFile is one distribution file in a wheelhouse.
type WheelhouseFile struct {
	Name    string `json:"name"`
	Package string `json:"package"`
	Version string `json:"version"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
}

// WheelhouseResult is what Wheelhouse did.
type WheelhouseResult struct {
	Dir      string      `json:"dir"`
	Lock     string      `json:"lock"`
	Manifest *Wheelhouse `json:"manifest"`
	Added    []string    `json:"added"`    // files copied in by this run
	Replaced []string    `json:"replaced"` // files that were there with other bytes
}

// NotWheelhouseError is a folder that has other things in it and no
// manifest: influx-py does not write into it.
type NotWheelhouseError struct {
	Dir   string
	Found []string
}

func (e *NotWheelhouseError) Error() string {
	return fmt.Sprintf("%s is not empty and not a wheelhouse (no %s; it holds %s)", e.Dir, WheelhouseManifest, strings.Join(e.Found, ", "))
}

// Wheelhouse puts into opts.Dir every file the lock selects (or lists),
// verified, with the index pages, the uv archives and the manifest. The
// manifest is written last: a wheelhouse whose making was interrupted has
// the manifest of the run before, or none, and the next run completes it.
func (e *Engine) Wheelhouse(ctx context.Context, opts WheelhouseOptions) (*WheelhouseResult, error) {
	loc, l, data, err := e.lockAt(ctx, opts.Where, opts.CacheDir)
	if err != nil {
		return nil, err
	}
	var remote []string
	if opts.FindLinks, remote, err = e.findLinkSources(ctx, opts.CacheDir, opts.FindLinks, false); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkWheelhouseDir(dir); err != nil {
		return nil, err
	}
	if err := e.trustCache(opts.CacheDir); err != nil {
		return nil, err
	}
	m := &Wheelhouse{Format: wheelhouseFormat, LockDigest: lockfile.Digest(data), All: opts.All,
		MadeBy: "influx-py " + e.Version, Created: e.Now().UTC().Truncate(time.Second)}
	reqs, skipped, python, err := e.wheelhouseFiles(ctx, opts, loc, l)
	if err != nil {
		return nil, err
	}
	m.Python, m.Skipped = python, append([]string{}, skipped...)
	for _, s := range skipped {
		e.warnf("%s is built from source at sync and is not in the wheelhouse", s)
	}

	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wheelhouse: %w", err)
	}
	unlock, err := fsutil.Lock(ctx, filepath.Join(dir, ".influx-py-wheelhouse.lock"))
	if err != nil {
		return nil, fmt.Errorf("wheelhouse %s: %w", dir, err)
	}
	defer unlock()

	f := &artifact.Fetcher{
		Client:    e.HTTP,
		CacheDir:  opts.CacheDir,
		FindLinks: append([]string{dir}, opts.FindLinks...),
		Remote:    remote,
		Within:    []string{loc.PluginDir, filepath.Dir(loc.Lock), dir},
		Offline:   opts.Offline,
		Progress:  e.Progress,
		Verified:  e.item,
		Log:       e.Log,
	}
	stop := e.phase("verifying", len(reqs))
	results, err := f.Fetch(ctx, reqs)
	stop()
	if err != nil {
		return nil, err
	}
	res := &WheelhouseResult{Dir: dir, Lock: loc.Lock, Manifest: m, Added: []string{}, Replaced: []string{}}
	for i, r := range results {
		added, replaced, err := placeFile(r.File, filepath.Join(dir, r.Name), r.SHA256)
		if err != nil {
			return nil, fmt.Errorf("wheelhouse: %s: %w", r.Name, err)
		}
		if added {
			res.Added = append(res.Added, r.Name)
		}
		if replaced {
			res.Replaced = append(res.Replaced, r.Name)
			e.warnf("%s in %s had other bytes than the lock says; replaced", r.Name, dir)
		}
		fi, err := os.Stat(filepath.Join(dir, r.Name))
		if err != nil {
			return nil, err
		}
		name, version := splitPackage(reqs[i].Package)
		m.Files = append(m.Files, WheelhouseFile{Name: r.Name, Package: name, Version: version, Size: fi.Size(), SHA256: r.SHA256})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })

	if m.UV, err = e.wheelhouseUV(ctx, opts, dir, remote); err != nil {
		return nil, err
	}
	if err := writeIndexes(dir, m); err != nil {
		return nil, fmt.Errorf("wheelhouse index: %w", err)
	}
	if err := fsutil.WriteFile(filepath.Join(dir, WheelhouseLock), data, 0o644); err != nil {
		return nil, fmt.Errorf("wheelhouse: %w", err)
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(filepath.Join(dir, WheelhouseManifest), append(manifest, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("wheelhouse: %w", err)
	}
	return res, nil
}

// checkWheelhouseDir refuses a folder that holds something other than a
// wheelhouse, so that a mistyped DIR never mixes the lock's files into
// someone's folder.
func checkWheelhouseDir(dir string) error {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("wheelhouse: %w", err)
	}
	var found []string
	for _, d := range ents {
		if d.Name() == WheelhouseManifest {
			return nil
		}
		found = append(found, d.Name())
	}
	if len(found) == 0 {
		return nil
	}
	if len(found) > 5 {
		found = append(found[:5], fmt.Sprintf("and %d more", len(found)-5))
	}
	return &NotWheelhouseError{Dir: dir, Found: found}
}

// wheelhouseFiles are the requests for the files that go in: those this
// interpreter selects, or with All every file of every package.
func (e *Engine) wheelhouseFiles(ctx context.Context, opts WheelhouseOptions, loc *Locations, l *lockfile.Lock) (reqs []artifact.Request, skipped []string, python string, err error) {
	add := func(p *lockfile.Package, f *lockfile.File) error {
		r := fileRequest(p, f, loc.Lock)
		if r.SHA256 == "" {
			return fmt.Errorf("%s: package %s: file %s has no sha256 hash, which influx-py requires", loc.Lock, p.ID(), f.Filename())
		}
		for _, have := range reqs {
			if have.Name == r.Name && have.SHA256 == r.SHA256 {
				return nil
			}
		}
		reqs = append(reqs, r)
		return nil
	}
	if opts.All {
		for i := range l.Packages {
			p := &l.Packages[i]
			if p.Directory != nil || p.VCS != nil {
				skipped = append(skipped, p.ID())
				continue
			}
			for j := range p.Wheels {
				if err := add(p, &p.Wheels[j]); err != nil {
					return nil, nil, "", err
				}
			}
			for _, f := range []*lockfile.File{p.Sdist, archiveFile(p)} {
				if f != nil {
					if err := add(p, f); err != nil {
						return nil, nil, "", err
					}
				}
			}
		}
		return reqs, skipped, "", nil
	}
	info, err := e.probe(ctx, opts.CacheDir, loc.Python)
	if err != nil {
		return nil, nil, "", err
	}
	sel, err := l.Select(lockfile.Env{Markers: info.MarkerVars(), PythonFullVersion: info.FullVersion, Tags: info.Tags(), AllowSdist: true})
	if err != nil {
		return nil, nil, "", fmt.Errorf("%s: %w (--all carries every file the lock lists, whatever the interpreter)", loc.Lock, err)
	}
	for _, x := range sel {
		if x.File == nil {
			skipped = append(skipped, x.Package.ID())
			continue
		}
		if err := add(x.Package, x.File); err != nil {
			return nil, nil, "", err
		}
	}
	return reqs, skipped, info.FullVersion, nil
}

func archiveFile(p *lockfile.Package) *lockfile.File {
	if p.Archive == nil {
		return nil
	}
	return &p.Archive.File
}

// splitPackage splits fileRequest's "name version".
func splitPackage(s string) (name, version string) {
	name, version, _ = strings.Cut(s, " ")
	return name, version
}

// placeFile copies the verified file src to dst, atomically, unless dst
// already has its bytes; the copy is hashed as it is written.
func placeFile(src, dst, sum string) (added, replaced bool, err error) {
	if have, _, err := fetch.HashFile(dst); err == nil {
		if have == sum {
			return false, false, nil
		}
		replaced = true
	}
	if src == dst {
		return false, replaced, nil
	}
	in, err := os.Open(src)
	if err != nil {
		return false, false, err
	}
	defer in.Close()
	err = fsutil.WriteFrom(dst, 0o644, func(w io.Writer) error {
		h := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, h), in); err != nil {
			return err
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != sum {
			return fmt.Errorf("copied bytes have sha256 %s, want %s", got, sum)
		}
		return nil
	})
	return !replaced, replaced, err
}

// wheelhouseUV puts in the pinned uv archives for the targets asked.
func (e *Engine) wheelhouseUV(ctx context.Context, opts WheelhouseOptions, dir string, remote []string) ([]UVArchive, error) {
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	targets := opts.UVTargets
	if targets == nil {
		targets = []string{""}
	}
	o := UVOptions{Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: opts.Offline, Archives: uvArchives(append(append([]string{dir}, opts.FindLinks...), remote...))}
	out := []UVArchive{}
	for _, t := range targets {
		a, err := b.UVArchive(ctx, o, e.tools(), t, filepath.Join(dir, WheelhouseUVDir))
		if err != nil {
			what := t
			if what == "" {
				what = "this machine"
			}
			return nil, fmt.Errorf("uv for %s: %w", what, err)
		}
		out = append(out, *a)
	}
	return out, nil
}

// writeIndexes writes the flat page and the PEP 503 pages over the
// manifest's files. Each link carries the file's sha256, so that pip and
// uv check what they download.
func writeIndexes(dir string, m *Wheelhouse) error {
	page := func(title string, links []string) []byte {
		var b strings.Builder
		fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta name=\"pypi:repository-version\" content=\"1.0\"><title>%s</title></head><body>\n", html.EscapeString(title))
		for _, l := range links {
			b.WriteString(l + "<br>\n")
		}
		b.WriteString("</body></html>\n")
		return []byte(b.String())
	}
	link := func(prefix string, f WheelhouseFile) string {
		href := prefix + url.PathEscape(f.Name) + "#sha256=" + f.SHA256
		return fmt.Sprintf(`<a href="%s">%s</a>`, html.EscapeString(href), html.EscapeString(f.Name))
	}
	var flat []string
	projects := map[string][]string{}
	for _, f := range m.Files {
		flat = append(flat, link("", f))
		p := pep508.NormalizeName(f.Package)
		projects[p] = append(projects[p], link("../../", f))
	}
	if err := fsutil.WriteFile(filepath.Join(dir, "index.html"), page("wheelhouse", flat), 0o644); err != nil {
		return err
	}
	var names []string
	for p := range projects {
		names = append(names, p)
	}
	sort.Strings(names)
	var roots []string
	for _, p := range names {
		if err := os.MkdirAll(filepath.Join(dir, "simple", p), 0o755); err != nil {
			return err
		}
		if err := fsutil.WriteFile(filepath.Join(dir, "simple", p, "index.html"), page("Links for "+p, projects[p]), 0o644); err != nil {
			return err
		}
		roots = append(roots, fmt.Sprintf(`<a href="%s/">%s</a>`, p, p))
	}
	return fsutil.WriteFile(filepath.Join(dir, "simple", "index.html"), page("Simple index", roots), 0o644)
}

// ReadWheelhouse reads a wheelhouse's manifest.
func ReadWheelhouse(dir string) (*Wheelhouse, error) {
	data, err := fsutil.ReadRegular(filepath.Join(dir, WheelhouseManifest), 64<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a wheelhouse: no %s", dir, WheelhouseManifest)
	}
	if err != nil {
		return nil, err
	}
	m := &Wheelhouse{}
	if err := json.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, WheelhouseManifest), err)
	}
	if m.Format != wheelhouseFormat {
		return nil, fmt.Errorf("%s: format %d, this influx-py reads format %d", filepath.Join(dir, WheelhouseManifest), m.Format, wheelhouseFormat)
	}
	return m, nil
}

// WheelhouseCheck is what VerifyWheelhouse found.
type WheelhouseCheck struct {
	Dir      string   `json:"dir"`
	OK       bool     `json:"ok"`
	Files    int      `json:"files"`    // files checked, uv archives included
	Problems []string `json:"problems"` // missing, changed or not the pin
	Extra    []string `json:"extra"`    // distribution files the manifest does not list
}

// VerifyWheelhouse hashes every file the manifest lists again, and the uv
// archives against the pins this influx-py carries.
func (e *Engine) VerifyWheelhouse(ctx context.Context, dir string) (*WheelhouseCheck, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	m, err := ReadWheelhouse(dir)
	if err != nil {
		return nil, err
	}
	c := &WheelhouseCheck{Dir: dir, Problems: []string{}, Extra: []string{}}
	check := func(rel string, size int64, sum string) {
		c.Files++
		p := filepath.Join(dir, filepath.FromSlash(rel))
		got, n, err := fetch.HashFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.Problems = append(c.Problems, rel+": missing")
		case err != nil:
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %v", rel, err))
		case got != sum:
			c.Problems = append(c.Problems, fmt.Sprintf("%s: sha256 %s, the manifest says %s", rel, got, sum))
		case size >= 0 && n != size:
			c.Problems = append(c.Problems, fmt.Sprintf("%s: %d bytes, the manifest says %d", rel, n, size))
		}
	}
	listed := map[string]bool{}
	for _, f := range m.Files {
		if f.Name == "" || strings.ContainsAny(f.Name, `/\`) || f.Name == "." || f.Name == ".." {
			c.Problems = append(c.Problems, fmt.Sprintf("the manifest lists a bad file name %q", f.Name))
			continue
		}
		listed[f.Name] = true
		check(f.Name, f.Size, f.SHA256)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	b, err := e.backends()
	if err != nil {
		return nil, err
	}
	for _, a := range m.UV {
		if a.Name == "" || strings.ContainsAny(a.Name+a.Version, `/\`) || strings.Contains(a.Version, "..") {
			c.Problems = append(c.Problems, fmt.Sprintf("the manifest lists a bad uv archive %q", a.Name))
			continue
		}
		rel := WheelhouseUVDir + "/" + a.Version + "/" + a.Name
		check(rel, a.Size, a.SHA256)
		if a.Version == b.PinnedUV() {
			if pin, ok := b.UVPins()[a.Target]; !ok {
				c.Problems = append(c.Problems, fmt.Sprintf("%s: uv %s is not pinned for %s", rel, a.Version, a.Target))
			} else if pin != a.SHA256 {
				c.Problems = append(c.Problems, fmt.Sprintf("%s: the manifest's sha256 %s is not the pinned %s", rel, a.SHA256, pin))
			}
		}
	}
	ents, _ := os.ReadDir(dir)
	for _, d := range ents {
		n := d.Name()
		if !listed[n] && (strings.HasSuffix(n, ".whl") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".zip")) {
			c.Extra = append(c.Extra, n)
		}
	}
	c.OK = len(c.Problems) == 0
	return c, nil
}
