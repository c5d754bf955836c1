// Package index finds the distribution files of a project: on a package
// index that speaks the simple repository API (PEP 503 HTML, or PEP 691 JSON
// when the server offers it) and in local find-links folders. Locking needs
// every file of every pinned version with its URL or path, size and SHA-256,
// so each File carries what the source said about it, and Hash fills in what
// an index left out.
package index

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/tags"
)

// File is one distribution file (wheel or sdist) of a project.
type File struct {
	Filename string
	// URL is the absolute http(s) URL of an index file, without fragment;
	// "" for a local file.
	URL string
	// Path is the local file a find-links folder holds; "" for index files.
	Path string
	// SHA256 is the lowercase hex digest, "" when the source gave none
	// (see Hash and Client.FillHashes).
	SHA256 string
	// Size is the length in bytes, -1 when unknown.
	Size int64
	// RequiresPython is the index's data-requires-python, as given.
	RequiresPython string
	// Yanked is set for files withdrawn by their publisher (PEP 592);
	// YankedReason is the publisher's reason, possibly empty.
	Yanked       bool
	YankedReason string
	// Name and Version come from the file name: the project name
	// normalized (PEP 503), the version normalized (PEP 440).
	Name, Version string
}

// IsWheel reports whether the file is a wheel rather than an sdist.
func (f File) IsWheel() bool { return strings.HasSuffix(f.Filename, ".whl") }

// Client looks files up on an index and in find-links folders.
type Client struct {
	// HTTP is the client for index requests; nil means http.DefaultClient.
	HTTP *http.Client
	// IndexURL is the simple repository root, e.g.
	// "https://pypi.org/simple/"; empty means no index.
	IndexURL string
	// FindLinks are local folders of distribution files (plain paths or
	// file: URLs), or http(s) URLs of pages linking to files, as pip's
	// --find-links takes them.
	FindLinks []string
	// Offline skips everything that needs the network: the index and
	// find-links URLs. Local folders are still read.
	Offline bool
}

// FetchError reports a page or file that could not be fetched. Status is the
// HTTP status, 0 when no response came (connection refused, timeout, ...).
type FetchError struct {
	URL    string
	Status int
	Err    error
}

func (e *FetchError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("fetch %s: server returned %s", e.URL, statusText(e.Status))
	}
	return fmt.Sprintf("fetch %s: %v", e.URL, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

func statusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return fmt.Sprintf("%d %s", code, t)
	}
	return fmt.Sprint(code)
}

// Accept asks for PEP 691 JSON first and falls back to HTML, the order pip
// and uv use.
const accept = "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"

// maxPage caps the size of an index page read into memory: the largest
// real project pages are a few megabytes.
const maxPage = 64 << 20

// maxTags bounds the tag sets of wheel names from an index, so that a
// hostile name cannot make us expand a huge compressed set.
const maxTags = 4096

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Files returns the files of project on the index (in page order) followed
// by those in the find-links locations (in order, each folder sorted by
// name). Files whose names do not parse as a wheel or sdist, or that belong
// to another project, are left out. A project the index does not know
// (404) simply has no index files: it may live in find-links only.
func (c *Client) Files(ctx context.Context, project string) ([]File, error) {
	if !pep508.ValidName(project) {
		return nil, fmt.Errorf("look up %q: invalid project name", project)
	}
	name := pep508.NormalizeName(project)
	var out []File
	if c.IndexURL != "" && !c.Offline {
		page := strings.TrimRight(c.IndexURL, "/") + "/" + name + "/"
		fs, err := c.page(ctx, page, name, true)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	for _, fl := range c.FindLinks {
		if isHTTP(fl) {
			if c.Offline {
				continue
			}
			fs, err := c.page(ctx, fl, name, false)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
			continue
		}
		dir, err := localDir(fl)
		if err != nil {
			return nil, err
		}
		fs, err := dirFiles(dir, name)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	return out, nil
}

// FillHashes computes SHA256 and Size, by downloading, for the index files
// that lack a hash.
func (c *Client) FillHashes(ctx context.Context, files []File) error {
	for i := range files {
		f := &files[i]
		if f.SHA256 != "" || f.URL == "" {
			continue
		}
		sum, size, err := Hash(ctx, c.http(), f.URL)
		if err != nil {
			return err
		}
		f.SHA256, f.Size = sum, size
	}
	return nil
}

func isHTTP(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// localDir turns a find-links entry that is not an http(s) URL into a path.
func localDir(fl string) (string, error) {
	if !strings.HasPrefix(strings.ToLower(fl), "file:") {
		return fl, nil
	}
	u, err := url.Parse(fl)
	if err != nil {
		return "", fmt.Errorf("find-links %q: %w", fl, err)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("find-links %q: file URL with a remote host", fl)
	}
	return filepath.FromSlash(u.Path), nil
}

// page fetches an index page (or a find-links page) and returns the files of
// project it links to. notFoundOK makes a 404 an empty result.
func (c *Client) page(ctx context.Context, pageURL, project string, notFoundOK bool) ([]File, error) {
	where := fetch.Redact(pageURL)
	doc, err := (&fetch.Client{HTTP: c.HTTP}).Read(ctx, pageURL, accept, maxPage)
	var status *fetch.StatusError
	if errors.As(err, &status) && status.Code == http.StatusNotFound && notFoundOK {
		return nil, nil
	}
	if err != nil {
		return nil, fetchError(where, err)
	}
	body := doc.Body
	// Links are relative to where the page ended up after redirects.
	base := doc.URL
	var links []link
	if isJSON(doc.ContentType) {
		links, err = parseJSON(body)
		if err != nil {
			return nil, fmt.Errorf("read index page %s: %w", where, err)
		}
	} else {
		var href string
		links, href = parseHTML(body)
		if href != "" {
			if b, err := base.Parse(href); err == nil {
				base = b
			}
		}
	}
	var out []File
	for _, l := range links {
		f, ok := l.file(base)
		if ok && f.Name == project {
			out = append(out, f)
		}
	}
	return out, nil
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/vnd.pypi.simple.v1+json" || mt == "application/vnd.pypi.simple.latest+json"
}

// file turns a link into a File, resolving its URL against base. It reports
// false for links that are not http(s) distribution files.
func (l link) file(base *url.URL) (File, bool) {
	u, err := base.Parse(strings.TrimSpace(l.href))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return File{}, false
	}
	sum := fragmentSHA256(u.Fragment)
	u.Fragment, u.RawFragment = "", ""
	fn := l.filename
	if fn == "" {
		fn = u.Path[strings.LastIndexByte(u.Path, '/')+1:]
	}
	if strings.ContainsAny(fn, "/\\") {
		return File{}, false
	}
	name, version, ok := parseFilename(fn)
	if !ok {
		return File{}, false
	}
	if l.sha256 != "" {
		sum = l.sha256
	}
	return File{
		Filename:       fn,
		URL:            u.String(),
		SHA256:         validHex(sum),
		Size:           l.size,
		RequiresPython: strings.TrimSpace(l.requiresPython),
		Yanked:         l.yanked,
		YankedReason:   l.yankedReason,
		Name:           name,
		Version:        version,
	}, true
}

// fragmentSHA256 reads the sha256 of a "#sha256=<hex>" fragment; other hash
// names (md5, sha1, ...) are not trusted for locking.
func fragmentSHA256(frag string) string {
	for _, kv := range strings.Split(frag, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "sha256") {
			return v
		}
	}
	return ""
}

// validHex returns s lower-cased when it is a SHA-256 hex digest, else "":
// a malformed digest is as good as none, and the file is hashed instead.
func validHex(s string) string {
	if len(s) != 64 {
		return ""
	}
	s = strings.ToLower(s)
	if _, err := hex.DecodeString(s); err != nil {
		return ""
	}
	return s
}

// parseFilename returns the normalized name and version of a wheel or sdist
// file name.
func parseFilename(fn string) (name, version string, ok bool) {
	if strings.HasSuffix(fn, ".whl") {
		w, err := tags.ParseWheelFilenameWith(fn, tags.ParseOptions{MaxTags: maxTags})
		if err != nil {
			return "", "", false
		}
		name, version = w.Name, w.Version
	} else {
		n, v, err := tags.ParseSdistFilename(fn)
		if err != nil {
			return "", "", false
		}
		name, version = n, v
	}
	v, err := pep440.Parse(version)
	if err != nil {
		return "", "", false
	}
	return name, v.String(), true
}

// dirFiles returns the files of project in a find-links folder, hashing each.
func dirFiles(dir, project string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read find-links folder: %w", err)
	}
	var out []File
	for _, e := range entries { // ReadDir sorts by name
		name, version, ok := parseFilename(e.Name())
		if !ok || name != project {
			continue
		}
		p := filepath.Join(dir, e.Name())
		st, err := os.Stat(p) // follows symlinks
		if err != nil {
			return nil, fmt.Errorf("find-links: %w", err)
		}
		if !st.Mode().IsRegular() {
			continue
		}
		sum, size, err := hashFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, File{
			Filename: e.Name(),
			Path:     p,
			SHA256:   sum,
			Size:     size,
			Name:     name,
			Version:  version,
		})
	}
	return out, nil
}

func hashFile(p string) (string, int64, error) {
	sum, n, err := fetch.HashFile(p)
	if err != nil {
		return "", 0, fmt.Errorf("hash %s: %w", p, err)
	}
	return sum, n, nil
}

// Hash downloads url and returns its SHA-256 (lowercase hex) and size,
// streaming through the fetch layer: the file is never held in memory or
// on disk. c nil means http.DefaultClient.
func Hash(ctx context.Context, c *http.Client, rawURL string) (sha256sum string, size int64, err error) {
	h := sha256.New()
	counter := &countingWriter{w: h}
	if _, err := (&fetch.Client{HTTP: c}).Stream(ctx, rawURL, "", counter, 0); err != nil {
		return "", 0, fetchError(fetch.Redact(rawURL), err)
	}
	return hex.EncodeToString(h.Sum(nil)), counter.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.w.Write(p)
}

// fetchError says what the fetch layer found in this package's terms.
func fetchError(where string, err error) error {
	var (
		status *fetch.StatusError
		gone   *fetch.UnreachableError
		short  *fetch.CutShortError
		large  *fetch.TooLargeError
	)
	switch {
	case errors.As(err, &status):
		return &FetchError{URL: where, Status: status.Code}
	case errors.As(err, &gone):
		return &FetchError{URL: where, Err: gone.Err}
	case errors.As(err, &short):
		return &FetchError{URL: where, Err: short.Err}
	case errors.As(err, &large):
		return &FetchError{URL: where, Err: fmt.Errorf("page larger than %d bytes", large.Limit)}
	}
	return &FetchError{URL: where, Err: err}
}

// ForVersion returns the files of project name at a version equal to
// version under PEP 440 ("1.0" matches "1.0.0"), wheels first by file name,
// then sdists by file name; ties (the same file from two sources) are
// ordered index URL first, then path. A version that is not valid PEP 440
// matches nothing.
func ForVersion(files []File, name, version string) []File {
	want, err := pep440.Parse(version)
	if err != nil {
		return nil
	}
	name = pep508.NormalizeName(name)
	var out []File
	for _, f := range files {
		if pep508.NormalizeName(f.Name) != name {
			continue
		}
		v, err := pep440.Parse(f.Version)
		if err != nil || !v.Equal(want) {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b File) int {
		if aw, bw := a.IsWheel(), b.IsWheel(); aw != bw {
			if aw {
				return -1
			}
			return 1
		}
		return cmp.Or(
			strings.Compare(a.Filename, b.Filename),
			cmpBool(a.URL == "", b.URL == ""), // index before local
			strings.Compare(a.URL, b.URL),
			strings.Compare(a.Path, b.Path),
		)
	})
	return out
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}
