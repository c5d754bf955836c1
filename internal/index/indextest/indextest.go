// Package indextest serves a folder of wheels and sdists as a PEP 503 simple
// index on loopback, for tests of everything that locks or installs from an
// index. The folder is read on every request, so a test can publish a new
// release by writing a file into it while the server runs.
package indextest

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/tags"
)

// Option changes what the server publishes.
type Option func(*config)

type config struct {
	noHashes       bool
	down           bool
	json           bool
	absolute       bool
	pythonFromMeta bool
	requiresPython map[string]string // file name -> specifier
	user, password string            // when set, every request needs them (basic auth)
	yanked         map[string]string // file name -> reason
}

// BasicAuth makes every request need these credentials (a private index):
// 401 otherwise.
func BasicAuth(user, password string) Option {
	return func(c *config) { c.user, c.password = user, password }
}

// NoHashes leaves the #sha256= fragment off every link, as some mirrors do.
func NoHashes() Option { return func(c *config) { c.noHashes = true } }

// Down makes the server answer 500 to every request: an index that is down.
// See also Server.SetDown.
func Down() Option { return func(c *config) { c.down = true } }

// JSON makes project pages answer in PEP 691 JSON to clients whose Accept
// header prefers it (HTML otherwise).
func JSON() Option { return func(c *config) { c.json = true } }

// AbsoluteURLs writes absolute file URLs in the pages instead of relative
// ones ("../../files/...").
func AbsoluteURLs() Option { return func(c *config) { c.absolute = true } }

// RequiresPython publishes data-requires-python for one file.
func RequiresPython(filename, specifier string) Option {
	return func(c *config) {
		if c.requiresPython == nil {
			c.requiresPython = map[string]string{}
		}
		c.requiresPython[filename] = specifier
	}
}

// RequiresPythonFromWheels publishes each wheel's own Requires-Python
// (read from its METADATA) as data-requires-python, as PyPI does.
// RequiresPython for a file takes precedence.
func RequiresPythonFromWheels() Option { return func(c *config) { c.pythonFromMeta = true } }

// Yanked marks one file as yanked (PEP 592) with a reason, possibly empty.
func Yanked(filename, reason string) Option {
	return func(c *config) {
		if c.yanked == nil {
			c.yanked = map[string]string{}
		}
		c.yanked[filename] = reason
	}
}

// Server is a running index. It is closed when the test ends.
type Server struct {
	srv *httptest.Server
	dir string
	cfg config

	mu       sync.Mutex
	down     bool
	requests map[string]int
}

// Serve starts an index over the distribution files in dir:
//
//	/simple/                 root page listing every project
//	/simple/<name>/          the project's files (other spellings redirect)
//	/files/<file name>       the files themselves
//
// Files whose names are neither a wheel nor an sdist name are not listed.
func Serve(t testing.TB, dir string, opts ...Option) *Server {
	t.Helper()
	s := New(dir, opts...)
	t.Cleanup(s.Close)
	return s
}

// New is Serve for callers without a testing.TB (testscript commands):
// they Close the server themselves.
func New(dir string, opts ...Option) *Server {
	s := &Server{dir: dir, requests: map[string]int{}}
	for _, o := range opts {
		o(&s.cfg)
	}
	s.down = s.cfg.down
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s
}

// URL returns the simple root, e.g. "http://127.0.0.1:41234/simple/".
func (s *Server) URL() string { return s.srv.URL + "/simple/" }

// FileURL returns the URL the server publishes a file under.
func (s *Server) FileURL(filename string) string {
	return s.srv.URL + "/files/" + url.PathEscape(filename)
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Requests returns how many requests have asked for the URL path p (e.g.
// "/simple/chain-b/" or "/files/chain_b-1.0-py3-none-any.whl"), whatever
// the answer was.
func (s *Server) Requests(p string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[p]
}

// Total returns the number of requests served so far.
func (s *Server) Total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.requests {
		n += c
	}
	return n
}

// SetDown switches the 500-for-everything mode on or off.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Close stops the server before the test ends.
func (s *Server) Close() { s.srv.Close() }

// dist is one published file.
type dist struct {
	filename, name, path string
}

// scan lists the distribution files in the folder, by project.
func (s *Server) scan() (map[string][]dist, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	out := map[string][]dist{}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		name, ok := projectOf(e.Name())
		if !ok {
			continue
		}
		out[name] = append(out[name], dist{e.Name(), name, filepath.Join(s.dir, e.Name())})
	}
	return out, nil
}

func projectOf(fn string) (string, bool) {
	if strings.HasSuffix(fn, ".whl") {
		w, err := tags.ParseWheelFilename(fn)
		return w.Name, err == nil
	}
	n, _, err := tags.ParseSdistFilename(fn)
	return n, err == nil
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests[r.URL.Path]++
	down := s.down
	s.mu.Unlock()
	if down {
		http.Error(w, "index is down (indextest)", http.StatusInternalServerError)
		return
	}
	if s.cfg.user != "" {
		if u, pw, ok := r.BasicAuth(); !ok || u != s.cfg.user || pw != s.cfg.password {
			w.Header().Set("WWW-Authenticate", `Basic realm="indextest"`)
			http.Error(w, "credentials needed (indextest)", http.StatusUnauthorized)
			return
		}
	}
	p := r.URL.Path
	switch {
	case p == "/simple" || p == "/simple/":
		if p == "/simple" {
			http.Redirect(w, r, "/simple/", http.StatusMovedPermanently)
			return
		}
		s.root(w)
	case strings.HasPrefix(p, "/simple/"):
		name := strings.TrimPrefix(p, "/simple/")
		trimmed := strings.TrimSuffix(name, "/")
		if strings.Contains(trimmed, "/") {
			http.NotFound(w, r)
			return
		}
		if norm := pep508.NormalizeName(trimmed); norm != trimmed || !strings.HasSuffix(name, "/") {
			http.Redirect(w, r, "/simple/"+norm+"/", http.StatusMovedPermanently)
			return
		}
		s.project(w, r, trimmed)
	case strings.HasPrefix(p, "/files/"):
		fn := strings.TrimPrefix(p, "/files/")
		if fn == "" || strings.ContainsAny(fn, "/\\") || fn[0] == '.' {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(s.dir, fn))
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) root(w http.ResponseWriter) {
	projects, err := s.scan()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	names := make([]string, 0, len(projects))
	for n := range projects {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.0\">\n    <title>Simple index</title>\n  </head>\n  <body>\n")
	for _, n := range names {
		fmt.Fprintf(&b, "    <a href=\"%s/\">%s</a>\n", n, n)
	}
	b.WriteString("  </body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, b.String())
}

// fileInfo is what a project page says about one file.
type fileInfo struct {
	filename, url, sha256, requiresPython string
	size                                  int64
	yanked                                bool
	yankedReason                          string
}

func (s *Server) project(w http.ResponseWriter, r *http.Request, name string) {
	projects, err := s.scan()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	dists, ok := projects[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	var files []fileInfo
	for _, d := range dists {
		fi, err := s.info(d)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		files = append(files, fi)
	}
	if s.cfg.json && prefersJSON(r.Header.Get("Accept")) {
		s.writeJSON(w, name, files)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html>\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"1.0\">\n    <title>Links for %s</title>\n  </head>\n  <body>\n    <h1>Links for %s</h1>\n", name, name)
	for _, f := range files {
		href := f.url
		if f.sha256 != "" {
			href += "#sha256=" + f.sha256
		}
		fmt.Fprintf(&b, "    <a href=\"%s\"", html.EscapeString(href))
		if f.requiresPython != "" {
			fmt.Fprintf(&b, " data-requires-python=\"%s\"", html.EscapeString(f.requiresPython))
		}
		if f.yanked {
			fmt.Fprintf(&b, " data-yanked=\"%s\"", html.EscapeString(f.yankedReason))
		}
		fmt.Fprintf(&b, ">%s</a><br/>\n", html.EscapeString(f.filename))
	}
	b.WriteString("  </body>\n</html>\n")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, b.String())
}

func (s *Server) info(d dist) (fileInfo, error) {
	fi := fileInfo{filename: d.filename}
	if s.cfg.absolute {
		fi.url = s.FileURL(d.filename)
	} else {
		fi.url = "../../files/" + url.PathEscape(d.filename)
	}
	f, err := os.Open(d.path)
	if err != nil {
		return fi, err
	}
	defer f.Close()
	h := sha256.New()
	fi.size, err = io.Copy(h, f)
	if err != nil {
		return fi, err
	}
	if !s.cfg.noHashes {
		fi.sha256 = hex.EncodeToString(h.Sum(nil))
	}
	if rp, ok := s.cfg.requiresPython[d.filename]; ok {
		fi.requiresPython = rp
	} else if s.cfg.pythonFromMeta && strings.HasSuffix(d.filename, ".whl") {
		fi.requiresPython, err = wheelRequiresPython(d.path)
		if err != nil {
			return fi, err
		}
	}
	fi.yankedReason, fi.yanked = s.cfg.yanked[d.filename]
	return fi, nil
}

func (s *Server) writeJSON(w http.ResponseWriter, name string, files []fileInfo) {
	type jsonFile struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython string            `json:"requires-python,omitempty"`
		Size           int64             `json:"size"`
		Yanked         any               `json:"yanked"`
	}
	doc := struct {
		Meta  map[string]string `json:"meta"`
		Name  string            `json:"name"`
		Files []jsonFile        `json:"files"`
	}{Meta: map[string]string{"api-version": "1.1"}, Name: name, Files: []jsonFile{}}
	for _, f := range files {
		jf := jsonFile{Filename: f.filename, URL: f.url, Hashes: map[string]string{},
			RequiresPython: f.requiresPython, Size: f.size, Yanked: false}
		if f.sha256 != "" {
			jf.Hashes["sha256"] = f.sha256
		}
		if f.yanked {
			jf.Yanked = true
			if f.yankedReason != "" {
				jf.Yanked = f.yankedReason
			}
		}
		doc.Files = append(doc.Files, jf)
	}
	w.Header().Set("Content-Type", "application/vnd.pypi.simple.v1+json")
	json.NewEncoder(w).Encode(doc)
}

// prefersJSON reports whether an Accept header ranks PEP 691 JSON above
// HTML.
func prefersJSON(accept string) bool {
	best, bestQ := "", -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				continue
			}
		}
		if q > bestQ {
			best, bestQ = mt, q
		}
	}
	return best == "application/vnd.pypi.simple.v1+json" || best == "application/vnd.pypi.simple.latest+json"
}

// wheelRequiresPython reads Requires-Python from a wheel's METADATA.
func wheelRequiresPython(p string) (string, error) {
	zr, err := zip.OpenReader(p)
	if err != nil {
		return "", fmt.Errorf("read wheel %s: %w", p, err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		dir, base := path.Split(f.Name)
		if base != "METADATA" || strings.Count(dir, "/") != 1 || !strings.HasSuffix(dir, ".dist-info/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return "", fmt.Errorf("read wheel %s: %w", p, err)
		}
		defer rc.Close()
		sc := bufio.NewScanner(rc)
		for sc.Scan() {
			line := sc.Text()
			if line == "" {
				break // end of the headers
			}
			if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Requires-Python") {
				return strings.TrimSpace(v), nil
			}
		}
		return "", sc.Err()
	}
	return "", fmt.Errorf("read wheel %s: no METADATA", p)
}
