package index_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/index"
	"github.com/influx-py/influx-py/internal/index/indextest"
	"github.com/influx-py/influx-py/internal/testvec"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// chainDir builds the chain-a/b/c test wheels into a fresh folder.
func chainDir(t *testing.T) string {
	t.Helper()
	specs, err := wheelbuild.FromTree("../../testdata/wheels")
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 4 {
		t.Fatalf("want 4 chain wheels, have %d", len(specs))
	}
	dir := t.TempDir()
	if _, err := wheelbuild.WriteAll(dir, specs); err != nil {
		t.Fatal(err)
	}
	return dir
}

func sum(t *testing.T, path string) (string, int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), int64(len(data))
}

func TestChainIndex(t *testing.T) {
	dir := chainDir(t)
	srv := indextest.Serve(t, dir, indextest.RequiresPythonFromWheels())
	c := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	ctx := context.Background()

	files, err := c.Files(ctx, "Chain_B") // any spelling of the name
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("chain-b: want 2 files, have %+v", files)
	}
	for _, f := range files {
		wantSum, _ := sum(t, filepath.Join(dir, f.Filename))
		if f.SHA256 != wantSum {
			t.Errorf("%s: sha256 %q, want %q", f.Filename, f.SHA256, wantSum)
		}
		if f.URL != srv.FileURL(f.Filename) {
			t.Errorf("%s: URL %q, want %q", f.Filename, f.URL, srv.FileURL(f.Filename))
		}
		if f.Path != "" || f.Size != -1 || f.Name != "chain-b" || f.RequiresPython != ">=3.8" || f.Yanked {
			t.Errorf("unexpected %+v", f)
		}
	}
	if got := srv.Requests("/simple/chain-b/"); got != 1 {
		t.Errorf("page requests: %d, want 1", got)
	}

	v2 := index.ForVersion(files, "chain-b", "2")
	if len(v2) != 1 || v2[0].Version != "2.0" || v2[0].Filename != "chain_b-2.0-py3-none-any.whl" {
		t.Errorf("ForVersion 2: %+v", v2)
	}
	if got := index.ForVersion(files, "chain-b", "3.0"); len(got) != 0 {
		t.Errorf("ForVersion 3.0: %+v", got)
	}
	if got := index.ForVersion(files, "chain-a", "1.0"); len(got) != 0 {
		t.Errorf("ForVersion of another project: %+v", got)
	}

	// The downloaded file is the one the hash describes.
	h, n, err := index.Hash(ctx, srv.Client(), v2[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	wantSum, wantSize := sum(t, filepath.Join(dir, v2[0].Filename))
	if h != wantSum || n != wantSize {
		t.Errorf("Hash: %s %d, want %s %d", h, n, wantSum, wantSize)
	}

	// A project the index does not have: no files, no error.
	none, err := c.Files(ctx, "not-there")
	if err != nil || len(none) != 0 {
		t.Errorf("unknown project: %v, %v", none, err)
	}
	if _, err := c.Files(ctx, "../etc"); err == nil {
		t.Error("invalid project name accepted")
	}
}

// TestPublishWhileRunning: the folder is read per request.
func TestPublishWhileRunning(t *testing.T) {
	dir := chainDir(t)
	srv := indextest.Serve(t, dir)
	c := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	if _, err := wheelbuild.WriteFile(dir, wheelbuild.Spec{Name: "chain-b", Version: "3.0"}); err != nil {
		t.Fatal(err)
	}
	files, err := c.Files(context.Background(), "chain-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(index.ForVersion(files, "chain-b", "3")) != 1 {
		t.Errorf("new release not listed: %+v", files)
	}
}

func TestMissingHashes(t *testing.T) {
	dir := chainDir(t)
	srv := indextest.Serve(t, dir, indextest.NoHashes())
	c := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	ctx := context.Background()
	files, err := c.Files(ctx, "chain-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].SHA256 != "" {
		t.Fatalf("want one file without hash: %+v", files)
	}
	if err := c.FillHashes(ctx, files); err != nil {
		t.Fatal(err)
	}
	wantSum, wantSize := sum(t, filepath.Join(dir, files[0].Filename))
	if files[0].SHA256 != wantSum || files[0].Size != wantSize {
		t.Errorf("FillHashes: %+v, want %s %d", files[0], wantSum, wantSize)
	}
	if n := srv.Requests("/files/" + files[0].Filename); n != 1 {
		t.Errorf("file downloaded %d times, want 1", n)
	}
	// Hashed files are not fetched again.
	if err := c.FillHashes(ctx, files); err != nil {
		t.Fatal(err)
	}
	if n := srv.Requests("/files/" + files[0].Filename); n != 1 {
		t.Errorf("file downloaded %d times, want 1", n)
	}

	_, _, err = index.Hash(ctx, srv.Client(), srv.FileURL("nope-1.0.tar.gz"))
	var fe *index.FetchError
	if !errors.As(err, &fe) || fe.Status != http.StatusNotFound || !strings.Contains(err.Error(), "nope-1.0.tar.gz") {
		t.Errorf("Hash of a missing file: %v", err)
	}
}

func TestJSONForm(t *testing.T) {
	dir := chainDir(t)
	srv := indextest.Serve(t, dir, indextest.JSON(), indextest.Yanked("chain_b-1.0-py3-none-any.whl", "broken"),
		indextest.RequiresPython("chain_b-2.0-py3-none-any.whl", ">=3.9"))
	c := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	files, err := c.Files(context.Background(), "chain-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("want 2 files: %+v", files)
	}
	for _, f := range files {
		wantSum, wantSize := sum(t, filepath.Join(dir, f.Filename))
		// Size is only known from JSON: it proves that form was read.
		if f.SHA256 != wantSum || f.Size != wantSize || f.URL != srv.FileURL(f.Filename) {
			t.Errorf("%+v: want %s %d", f, wantSum, wantSize)
		}
		switch f.Version {
		case "1.0":
			if !f.Yanked || f.YankedReason != "broken" {
				t.Errorf("1.0 not yanked: %+v", f)
			}
		case "2.0":
			if f.Yanked || f.RequiresPython != ">=3.9" {
				t.Errorf("2.0: %+v", f)
			}
		}
	}

	// A client that asks for HTML only gets HTML.
	req, _ := http.NewRequest("GET", srv.URL()+"chain-b/", nil)
	req.Header.Set("Accept", "text/html")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("HTML client got %q", ct)
	}
}

func TestIndexErrors(t *testing.T) {
	dir := chainDir(t)
	ctx := context.Background()
	srv := indextest.Serve(t, dir, indextest.Down())
	c := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	_, err := c.Files(ctx, "chain-a")
	var fe *index.FetchError
	if !errors.As(err, &fe) || fe.Status != 500 {
		t.Fatalf("down index: %v", err)
	}
	if want := srv.URL() + "chain-a/"; !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "500") {
		t.Errorf("error %q does not name %s and the status", err, want)
	}

	srv.SetDown(false)
	if files, err := c.Files(ctx, "chain-a"); err != nil || len(files) != 1 {
		t.Errorf("index back up: %v %v", files, err)
	}

	// Nothing listening: a connection error naming the URL.
	srv.Close()
	_, err = c.Files(ctx, "chain-a")
	if !errors.As(err, &fe) || fe.Status != 0 || !strings.Contains(err.Error(), srv.URL()+"chain-a/") {
		t.Errorf("closed index: %v", err)
	}

	// Credentials in the index URL never reach a message.
	s2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "no", http.StatusForbidden)
	}))
	defer s2.Close()
	c2 := &index.Client{IndexURL: strings.Replace(s2.URL, "http://", "http://user:secret@", 1) + "/simple"}
	_, err = c2.Files(ctx, "x")
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "403") {
		t.Errorf("forbidden: %v", err)
	}
}

// TestPages checks what is read from hand-written index pages.
func TestPages(t *testing.T) {
	const sha = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"
	tests := []struct {
		name        string
		contentType string
		page        string
		want        []string // Filename URL SHA256 Size RequiresPython Yanked/Reason
		wantErr     string
	}{
		{
			name: "relative and absolute hrefs",
			page: `<a href="../../files/p-1.0.tar.gz#sha256=` + sha + `">p-1.0.tar.gz</a>
<a href="/abs/p-1.1-py3-none-any.whl">x</a>
<a href="https://files.example/p/p-2.0.tar.gz">x</a>
<a href="p-3.0.zip#md5=abc">x</a>`,
			want: []string{
				"p-1.0.tar.gz {{.}}/files/p-1.0.tar.gz " + sha + " -1  false/",
				"p-1.1-py3-none-any.whl {{.}}/abs/p-1.1-py3-none-any.whl  -1  false/",
				"p-2.0.tar.gz https://files.example/p/p-2.0.tar.gz  -1  false/",
				"p-3.0.zip {{.}}/simple/p/p-3.0.zip  -1  false/",
			},
		},
		{
			name: "entities, quoting and yanking",
			page: `<A HREF='p-1.0.tar.gz' DATA-REQUIRES-PYTHON="&gt;=3.8,&lt;4">a</A>
<a data-requires-python=&gt;=3.9 href=p-1.1.tar.gz data-yanked>b</a>
<a href="p-1.2.tar.gz" data-requires-python="&#62;=3.10" data-yanked="bad &amp; broken">c</a>
<a href="p-1.3.tar.gz?x=1&amp;y=2#sha256=` + strings.ToUpper(sha) + `">d</a>`,
			want: []string{
				"p-1.0.tar.gz {{.}}/simple/p/p-1.0.tar.gz  -1 >=3.8,<4 false/",
				"p-1.1.tar.gz {{.}}/simple/p/p-1.1.tar.gz  -1 >=3.9 true/",
				"p-1.2.tar.gz {{.}}/simple/p/p-1.2.tar.gz  -1 >=3.10 true/bad & broken",
				"p-1.3.tar.gz {{.}}/simple/p/p-1.3.tar.gz?x=1&y=2 " + sha + " -1  false/",
			},
		},
		{
			name: "base element, comments, other projects and junk",
			page: `<html><head><base href="/mirror/"><title><a href="no-9.tar.gz"></title></head><body>
<!-- <a href="p-0.1.tar.gz">commented out</a> -->
<a href="p-1.0-py2.py3-none-any.whl#sha256=short">x</a>
<a href="q-1.0.tar.gz">another project</a>
<a href="p-notaversion.tar.gz">bad version</a>
<a href="p.egg">legacy</a>
<a href="ftp://example/p-1.0.tar.gz">ftp</a>
<a name="anchor">no href</a>
<a href="../">up</a>
<a href="P-1.5.tar.gz">odd spelling</a>
</body></html>`,
			want: []string{
				"p-1.0-py2.py3-none-any.whl {{.}}/mirror/p-1.0-py2.py3-none-any.whl  -1  false/",
				"P-1.5.tar.gz {{.}}/mirror/P-1.5.tar.gz  -1  false/",
			},
		},
		{
			name:        "PEP 691 JSON",
			contentType: "application/vnd.pypi.simple.v1+json",
			page: `{"meta": {"api-version": "1.1"}, "name": "p", "files": [
{"filename": "p-1.0.tar.gz", "url": "../../f/p-1.0.tar.gz", "hashes": {"sha256": "` + sha + `", "md5": "x"}, "requires-python": ">=3.8", "size": 12, "yanked": false},
{"filename": "p-2.0-py3-none-any.whl", "url": "https://h.example/p-2.0-py3-none-any.whl", "hashes": {}, "yanked": "reason"},
{"filename": "p-3.0.tar.gz", "url": "/p-3.0.tar.gz", "hashes": {}, "yanked": true},
{"filename": "../p-4.0.tar.gz", "url": "/p-4.0.tar.gz", "hashes": {}},
{"filename": "q-1.0.tar.gz", "url": "/q-1.0.tar.gz", "hashes": {}}]}`,
			want: []string{
				"p-1.0.tar.gz {{.}}/f/p-1.0.tar.gz " + sha + " 12 >=3.8 false/",
				"p-2.0-py3-none-any.whl https://h.example/p-2.0-py3-none-any.whl  -1  true/reason",
				"p-3.0.tar.gz {{.}}/p-3.0.tar.gz  -1  true/",
			},
		},
		{
			name:        "PEP 691 major version 2",
			contentType: "application/vnd.pypi.simple.v1+json",
			page:        `{"meta": {"api-version": "2.0"}, "name": "p", "files": []}`,
			wantErr:     `unsupported api-version "2.0"`,
		},
		{
			name:        "bad JSON",
			contentType: "application/vnd.pypi.simple.v1+json",
			page:        `<html>`,
			wantErr:     "parse PEP 691 JSON",
		},
		{
			name:        "bad yanked",
			contentType: "application/vnd.pypi.simple.v1+json",
			page:        `{"meta": {"api-version": "1.0"}, "files": [{"filename": "p-1.0.tar.gz", "url": "x", "yanked": 3}]}`,
			wantErr:     "neither a boolean nor a string",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotAccept string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/simple/p/" {
					http.NotFound(w, r)
					return
				}
				gotAccept = r.Header.Get("Accept")
				ct := tt.contentType
				if ct == "" {
					ct = "text/html"
				}
				w.Header().Set("Content-Type", ct)
				io.WriteString(w, tt.page)
			}))
			defer srv.Close()
			c := &index.Client{IndexURL: srv.URL + "/simple"}
			files, err := c.Files(context.Background(), "P")
			if !strings.HasPrefix(gotAccept, "application/vnd.pypi.simple.v1+json") {
				t.Errorf("Accept %q does not prefer JSON", gotAccept)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), srv.URL) {
					t.Fatalf("error %v, want %q naming the page", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range files {
				got = append(got, fmt.Sprintf("%s %s %s %d %s %v/%s", f.Filename, f.URL, f.SHA256, f.Size, f.RequiresPython, f.Yanked, f.YankedReason))
				if f.Name != "p" {
					t.Errorf("name %q", f.Name)
				}
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = strings.ReplaceAll(w, "{{.}}", srv.URL)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// TestRedirectedPage: relative links resolve against the final URL.
func TestRedirectedPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/simple/p/":
			http.Redirect(w, r, "/elsewhere/deep/p/", http.StatusFound)
		case "/elsewhere/deep/p/":
			io.WriteString(w, `<a href="../p-1.0.tar.gz">p</a>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c := &index.Client{IndexURL: srv.URL + "/simple/"}
	files, err := c.Files(context.Background(), "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].URL != srv.URL+"/elsewhere/deep/p-1.0.tar.gz" {
		t.Errorf("%+v", files)
	}
}

func TestFindLinks(t *testing.T) {
	dir := chainDir(t)
	// Noise: other projects, junk names, a folder with a matching name.
	for _, junk := range []string{"README.txt", "chain_b-x.tar.gz", "chain_b.whl"} {
		if err := os.WriteFile(filepath.Join(dir, junk), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "chain_b-9.0.tar.gz"), 0o755); err != nil {
		t.Fatal(err)
	}
	sdist := filepath.Join(dir, "chain-b-1.0.tar.gz")
	if err := os.WriteFile(sdist, []byte("not really a tarball"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	c := &index.Client{FindLinks: []string{dir}}
	files, err := c.Files(ctx, "chain-b")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("want 3 chain-b files, have %+v", files)
	}
	for _, f := range files {
		wantSum, wantSize := sum(t, f.Path)
		if f.URL != "" || f.SHA256 != wantSum || f.Size != wantSize || filepath.Dir(f.Path) != dir {
			t.Errorf("%+v: want %s %d", f, wantSum, wantSize)
		}
	}
	v1 := index.ForVersion(files, "chain-b", "1.0.0")
	if len(v1) != 2 || v1[0].Filename != "chain_b-1.0-py3-none-any.whl" || v1[1].Filename != "chain-b-1.0.tar.gz" {
		t.Errorf("ForVersion 1.0.0: wheel then sdist expected: %+v", v1)
	}

	// Index plus find-links, offline and online.
	srv := indextest.Serve(t, dir)
	online := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL(), FindLinks: []string{"file://" + filepath.ToSlash(dir)}}
	all, err := online.Files(ctx, "chain-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].URL == "" || all[1].Path == "" {
		t.Fatalf("index then find-links expected: %+v", all)
	}
	both := index.ForVersion([]index.File{all[1], all[0]}, "chain-a", "1.0")
	if both[0].URL == "" || both[1].Path == "" || both[0].SHA256 != both[1].SHA256 {
		t.Errorf("same file from both sources: index first, same hash expected: %+v", both)
	}

	srv.SetDown(true)
	before := srv.Total()
	offline := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL(), FindLinks: []string{srv.URL() + "flat/", dir}, Offline: true}
	local, err := offline.Files(ctx, "chain-a")
	if err != nil {
		t.Fatal(err)
	}
	if len(local) != 1 || local[0].Path == "" {
		t.Errorf("offline: %+v", local)
	}
	if srv.Total() != before {
		t.Errorf("offline client made %d requests", srv.Total()-before)
	}

	missing := &index.Client{FindLinks: []string{filepath.Join(dir, "nope")}}
	if _, err := missing.Files(ctx, "chain-a"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing find-links folder: %v", err)
	}
}

// TestFindLinksPage: an http(s) find-links entry is a flat page of links
// to files of any project.
func TestFindLinksPage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/flat/" {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, `<a href="p-1.0.tar.gz">p</a><a href="q-1.0.tar.gz">q</a>`)
	}))
	defer srv.Close()
	c := &index.Client{FindLinks: []string{srv.URL + "/flat/"}}
	files, err := c.Files(context.Background(), "q")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].URL != srv.URL+"/flat/q-1.0.tar.gz" {
		t.Errorf("%+v", files)
	}
	// Unlike an index, a find-links page that is missing is an error.
	c.FindLinks = []string{srv.URL + "/gone/"}
	if _, err := c.Files(context.Background(), "q"); err == nil {
		t.Error("missing find-links page accepted")
	}
}

// TestVectors hashes the real distribution files of the shared vectors,
// from a find-links folder and through the index server.
func TestVectors(t *testing.T) {
	var vec struct {
		Files []struct {
			File   string `json:"file"`
			Size   int64  `json:"size"`
			SHA256 string `json:"sha256"`
		} `json:"files"`
		Mismatch []struct {
			File     string `json:"file"`
			Recorded string `json:"recorded"`
			Actual   string `json:"actual"`
		} `json:"mismatch_cases"`
	}
	dir := testvec.Dir(t)
	testvec.Load(t, "sha256.json", &vec)
	want := map[string]string{} // file name -> digest
	for _, f := range vec.Files {
		want[filepath.Base(f.File)] = fmt.Sprintf("%s %d", f.SHA256, f.Size)
	}
	pkgs := filepath.Join(dir, "pylock", "pip", "packages")
	srv := indextest.Serve(t, pkgs)
	ctx := context.Background()
	local := &index.Client{FindLinks: []string{pkgs}}
	remote := &index.Client{HTTP: srv.Client(), IndexURL: srv.URL()}
	pass := 0
	for _, f := range vec.Files {
		fn := filepath.Base(f.File)
		project := strings.SplitN(fn, "-", 2)[0]
		for _, c := range []*index.Client{local, remote} {
			files, err := c.Files(ctx, project)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, g := range files {
				if g.Filename != fn {
					continue
				}
				found = true
				size := g.Size
				if g.URL != "" {
					var h string
					h, size, err = index.Hash(ctx, srv.Client(), g.URL)
					if err != nil {
						t.Fatal(err)
					}
					if h != g.SHA256 {
						t.Errorf("%s: index says %s, download hashes to %s", fn, g.SHA256, h)
					}
				}
				if got := fmt.Sprintf("%s %d", g.SHA256, size); got != want[fn] {
					t.Errorf("%s: %s, want %s", fn, got, want[fn])
				} else {
					pass++
				}
			}
			if !found {
				t.Errorf("%s not found by %+v", fn, c)
			}
		}
	}
	for _, m := range vec.Mismatch {
		fn := filepath.Base(m.File)
		if got := strings.Fields(want[fn])[0]; got != m.Actual || got == m.Recorded {
			t.Errorf("mismatch case %s: digest %s, actual %s, recorded %s", fn, got, m.Actual, m.Recorded)
		}
	}
	t.Logf("sha256 vectors: %d/%d file digests match (find-links and index)", pass, 2*len(vec.Files))
	if pass != 2*len(vec.Files) || len(vec.Files) == 0 {
		t.Errorf("%d/%d", pass, 2*len(vec.Files))
	}
}
