package indextest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func get(t *testing.T, c *http.Client, url, accept string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestServer(t *testing.T) {
	dir := t.TempDir()
	whl, err := wheelbuild.WriteFile(dir, wheelbuild.Spec{Name: "Demo.Pkg", Version: "1.0", RequiresPython: ">=3.8,<4"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fn := filepath.Base(whl)
	s := Serve(t, dir, RequiresPythonFromWheels())
	c := s.Client()

	code, ct, body := get(t, c, s.URL(), "")
	if code != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(body, `<a href="demo-pkg/">demo-pkg</a>`) || strings.Contains(body, "notes") {
		t.Errorf("root: %d %s\n%s", code, ct, body)
	}
	// Other spellings redirect to the normalized page (the client follows).
	for _, p := range []string{"Demo_Pkg/", "demo-pkg", "DEMO.pkg"} {
		code, _, body = get(t, c, s.URL()+p, "")
		if code != 200 || !strings.Contains(body, `href="../../files/`+fn+`#sha256=`) || !strings.Contains(body, `data-requires-python="&gt;=3.8,&lt;4"`) {
			t.Errorf("%s: %d\n%s", p, code, body)
		}
	}
	if got := s.Requests("/simple/demo-pkg/"); got != 3 {
		t.Errorf("normalized page requested %d times, want 3", got)
	}
	if code, _, _ = get(t, c, s.URL()+"other/", ""); code != 404 {
		t.Errorf("unknown project: %d", code)
	}
	if code, _, body = get(t, c, s.FileURL(fn), ""); code != 200 || len(body) == 0 {
		t.Errorf("file: %d", code)
	}
	if code, _, _ = get(t, c, s.FileURL("../"+fn), ""); code != 404 {
		t.Errorf("escaping file path: %d", code)
	}
	code, ct, body = get(t, c, s.URL()+"demo-pkg/", "application/vnd.pypi.simple.v1+json")
	if !strings.HasPrefix(ct, "text/html") {
		t.Errorf("JSON served without the JSON option: %s", ct)
	}
	s.SetDown(true)
	if code, _, _ = get(t, c, s.FileURL(fn), ""); code != 500 {
		t.Errorf("down: %d", code)
	}
	// 9 requests above, plus the 3 redirects the client followed.
	if s.Total() != 12 {
		t.Errorf("total %d, want 12", s.Total())
	}
}

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := wheelbuild.WriteFile(dir, wheelbuild.Spec{Name: "p", Version: "1.0"}); err != nil {
		t.Fatal(err)
	}
	s := Serve(t, dir, NoHashes(), AbsoluteURLs(), JSON(), RequiresPython("p-1.0-py3-none-any.whl", ">=3.11"), Yanked("p-1.0-py3-none-any.whl", ""))
	_, _, body := get(t, s.Client(), s.URL()+"p/", "text/html")
	want := `<a href="` + s.FileURL("p-1.0-py3-none-any.whl") + `" data-requires-python="&gt;=3.11" data-yanked="">`
	if !strings.Contains(body, want) {
		t.Errorf("want %s in\n%s", want, body)
	}
	_, ct, body := get(t, s.Client(), s.URL()+"p/", "application/vnd.pypi.simple.v1+json, text/html;q=0.5")
	if ct != "application/vnd.pypi.simple.v1+json" || !strings.Contains(body, `"hashes":{}`) || !strings.Contains(body, `"yanked":true`) {
		t.Errorf("%s\n%s", ct, body)
	}
	s2 := Serve(t, dir, Down())
	if code, _, _ := get(t, s2.Client(), s2.URL(), ""); code != 500 {
		t.Errorf("Down: %d", code)
	}
}

func TestPrefersJSON(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                    false,
		"text/html":                           false,
		"application/vnd.pypi.simple.v1+json": true,
		"application/vnd.pypi.simple.v1+json, text/html;q=0.1":         true,
		"application/vnd.pypi.simple.v1+json;q=0.1, text/html":         false,
		"application/vnd.pypi.simple.latest+json":                      true,
		"text/html;q=bogus, application/vnd.pypi.simple.v1+json;q=0.5": true,
	} {
		if got := prefersJSON(accept); got != want {
			t.Errorf("prefersJSON(%q) = %v", accept, got)
		}
	}
}
