package fallback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/index/indextest"
	"github.com/influx-py/influx-py/internal/resolve"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func TestResolveArgs(t *testing.T) {
	const in, rep = "/s/requirements.in", "/s/report.json"
	head := []string{"--isolated", "--disable-pip-version-check", "--no-input",
		"install", "--dry-run", "--ignore-installed", "--report", rep, "--quiet"}
	tests := []struct {
		name  string
		wheel string
		req   ResolveRequest
		want  []string // after the pip prefix and head
	}{
		{
			name: "defaults: wheels only, pip's default index",
			want: []string{"--only-binary", ":all:", "-r", in},
		},
		{
			name: "sdists allowed",
			req:  ResolveRequest{AllowSdist: true},
			want: []string{"-r", in},
		},
		{
			name: "index, extra indexes and find-links, in order; plain-http hosts but loopback trusted",
			req: ResolveRequest{IndexURL: "http://127.0.0.1:1/simple/", ExtraIndexURLs: []string{"http://a/simple", "http://b/simple"},
				FindLinks: []string{"/w1", "/w2"}},
			want: []string{"--only-binary", ":all:", "--index-url", "http://127.0.0.1:1/simple/",
				"--extra-index-url", "http://a/simple", "--extra-index-url", "http://b/simple",
				"--find-links", "/w1", "--find-links", "/w2", "--trusted-host", "a", "--trusted-host", "b", "-r", in},
		},
		{
			name: "no-index drops the index URLs pip would ignore",
			req:  ResolveRequest{NoIndex: true, IndexURL: "http://x/simple", ExtraIndexURLs: []string{"http://y/simple"}, FindLinks: []string{"/w"}},
			want: []string{"--only-binary", ":all:", "--no-index", "--find-links", "/w", "-r", in},
		},
		{
			name:  "pip from the wheel",
			wheel: "/py/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl",
			want:  []string{"--only-binary", ":all:", "-r", in},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ResolveArgs(tt.wheel, tt.req, in, rep)
			prefix := []string{"-m", "pip"}
			if tt.wheel != "" {
				prefix = []string{filepath.Join(tt.wheel, "pip")}
			}
			want := append(append(append([]string(nil), prefix...), head...), tt.want...)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ResolveArgs\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	tests := []struct {
		v, min string
		want   bool
	}{
		{"22.2", "22.2", true},
		{"22.2.0", "22.2", true},
		{"22.10", "22.2", true},
		{"23.2.1", "22.2", true},
		{"24.2", "22.2", true},
		{"22.1.2", "22.2", false},
		{"22.0.4", "22.2", false},
		{"18.1", "22.2", false},
		{"9.0.3", "22.2", false},
		{"22.2b1", "22.2", true},
		{"22.1b1", "22.2", false},
		{"", "22.2", false},
	}
	for _, tt := range tests {
		if got := versionAtLeast(tt.v, tt.min); got != tt.want {
			t.Errorf("versionAtLeast(%q, %q) = %v, want %v", tt.v, tt.min, got, tt.want)
		}
	}
}

const (
	sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sumB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestParseReport(t *testing.T) {
	item := func(name, version, url, archive string, requested bool) string {
		return fmt.Sprintf(`{"download_info": {"url": %q, "archive_info": %s}, "is_direct": false, "requested": %t,
			"metadata": {"metadata_version": "2.1", "name": %q, "version": %q}}`, url, archive, requested, name, version)
	}
	doc := func(items ...string) string {
		return `{"version": "1", "pip_version": "23.2.1", "install": [` + strings.Join(items, ",") +
			`], "environment": {"python_version": "3.11", "sys_platform": "linux"}}`
	}
	tests := []struct {
		name string
		in   string
		want []Pin
		err  string
	}{
		{
			name: "index files with hashes, sorted and normalized",
			in: doc(
				item("Chain_B", "2.0", "http://127.0.0.1/files/chain_b-2.0-py3-none-any.whl", `{"hash": "sha256=`+sumB+`", "hashes": {"sha256": "`+sumB+`"}}`, false),
				item("chain-a", "1.0", "http://127.0.0.1/files/chain_a-1.0-py3-none-any.whl", `{"hashes": {"sha256": "`+sumA+`", "md5": "00"}}`, true),
			),
			want: []Pin{
				{Name: "chain-a", Version: "1.0", URL: "http://127.0.0.1/files/chain_a-1.0-py3-none-any.whl", SHA256: sumA, Hashes: []string{sumA}, Requested: true},
				{Name: "chain-b", Version: "2.0", URL: "http://127.0.0.1/files/chain_b-2.0-py3-none-any.whl", SHA256: sumB, Hashes: []string{sumB}},
			},
		},
		{
			name: "legacy hash only, upper case",
			in:   doc(item("x", "1", "https://h/x-1-py3-none-any.whl", `{"hash": "sha256=`+strings.ToUpper(sumA)+`"}`, true)),
			want: []Pin{{Name: "x", Version: "1", URL: "https://h/x-1-py3-none-any.whl", SHA256: sumA, Hashes: []string{sumA}, Requested: true}},
		},
		{
			name: "find-links file URL becomes a path; no hash given",
			in:   doc(item("x.y", "1.0", "file:///tmp/w%20x/x_y-1.0-py3-none-any.whl", `{}`, false)),
			want: []Pin{{Name: "x-y", Version: "1.0", URL: filepath.FromSlash("/tmp/w x/x_y-1.0-py3-none-any.whl")}},
		},
		{
			name: "localhost file URL",
			in:   doc(item("x", "1", "file://localhost/w/x-1-py3-none-any.whl", `{}`, false)),
			want: []Pin{{Name: "x", Version: "1", URL: filepath.FromSlash("/w/x-1-py3-none-any.whl")}},
		},
		{name: "nothing to install", in: doc(), want: nil},
		{name: "not JSON", in: `{"version": "1",`, err: "parse pip report"},
		{name: "unknown report version", in: `{"version": "2", "install": []}`, err: `version "2", want "1"`},
		{name: "missing version", in: `{"install": []}`, err: `version "", want "1"`},
		{name: "hashes disagree", in: doc(item("x", "1", "http://h/x.whl", `{"hash": "sha256=`+sumA+`", "hashes": {"sha256": "`+sumB+`"}}`, true)), err: "disagree"},
		{name: "malformed hash", in: doc(item("x", "1", "http://h/x.whl", `{"hashes": {"sha256": "abc"}}`, true)), err: `malformed sha256 "abc"`},
		{name: "bad name", in: doc(item("-x", "1", "http://h/x.whl", `{}`, true)), err: `invalid project name "-x"`},
		{name: "no version", in: doc(item("x", "", "http://h/x.whl", `{}`, true)), err: `x: invalid version ""`},
		{name: "no URL", in: doc(item("x", "1", "", `{}`, true)), err: "x 1: no download URL"},
		{name: "remote file URL", in: doc(item("x", "1", "file://server/share/x.whl", `{}`, true)), err: `names host "server"`},
		{name: "listed twice", in: doc(item("x", "1", "http://h/a.whl", `{}`, true), item("X", "2", "http://h/b.whl", `{}`, false)), err: "x listed twice"},
		{
			name: "local directory",
			in:   `{"version": "1", "install": [{"download_info": {"url": "file:///src/x", "dir_info": {"editable": true}}, "is_direct": true, "requested": true, "metadata": {"name": "x", "version": "1"}}]}`,
			err:  "x 1 comes from a local directory (file:///src/x); only files can be locked",
		},
		{
			name: "vcs checkout",
			in:   `{"version": "1", "install": [{"download_info": {"url": "https://g/x.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}}, "is_direct": true, "requested": true, "metadata": {"name": "x", "version": "1"}}]}`,
			err:  "a VCS checkout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseReport([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseReport error = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseReport: %v", err)
			}
			if !reflect.DeepEqual(got.Pins, tt.want) {
				t.Errorf("pins\n got %+v\nwant %+v", got.Pins, tt.want)
			}
			if got.PythonVersion != "3.11" || got.PipVersion != "23.2.1" {
				t.Errorf("environment: python %q, pip %q", got.PythonVersion, got.PipVersion)
			}
		})
	}
}

func FuzzParseReport(f *testing.F) {
	f.Add(`{"version": "1", "install": []}`)
	f.Add(`{"version": "1", "pip_version": "23.2.1", "install": [{"download_info": {"url": "file:///w/x-1-py3-none-any.whl", "archive_info": {"hashes": {"sha256": "` + sumA + `"}}}, "requested": true, "metadata": {"name": "x", "version": "1"}}], "environment": {"python_version": "3.11"}}`)
	f.Add(`{"version": "1", "install": [{"download_info": {"url": "https://h/x.whl", "archive_info": {"hash": "sha256=` + sumB + `"}}, "metadata": {"name": "X_y", "version": "2.0"}}]}`)
	f.Add(`{"version": "1", "install": [{"download_info": {"url": "file:///src", "dir_info": {}}, "metadata": {"name": "x", "version": "1"}}]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		rep, err := ParseReport([]byte(s))
		if err != nil {
			return
		}
		for i, p := range rep.Pins {
			if p.Name == "" || p.Version == "" || p.URL == "" {
				t.Fatalf("incomplete pin %+v", p)
			}
			if p.SHA256 != "" && !fetch.IsSHA256(p.SHA256) {
				t.Fatalf("bad sha256 in %+v", p)
			}
			if i > 0 && rep.Pins[i-1].Name >= p.Name {
				t.Fatalf("pins not sorted and unique: %+v", rep.Pins)
			}
		}
	})
}

func TestCheckRequirements(t *testing.T) {
	tests := []struct {
		reqs []string
		want []string
		err  string
	}{
		{reqs: []string{"Chain_A>=1", "chain-c[b]", `x ; python_version >= "3"`, "y @ https://h/y-1-py3-none-any.whl"}, want: []string{"chain-a", "chain-c", "x", "y"}},
		{reqs: nil, want: []string{}},
		{reqs: []string{"--index-url http://evil/simple"}, err: `requirement "--index-url http://evil/simple"`},
		{reqs: []string{"-r other.txt"}, err: "requirement"},
		{reqs: []string{"a\n--find-links /x"}, err: "more than one line"},
		{reqs: []string{"a==1 # note"}, err: "requirement"},
		{reqs: []string{"a b"}, err: "requirement"},
	}
	for _, tt := range tests {
		got, err := resolve.CheckRequirements(tt.reqs)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("resolve.CheckRequirements(%q) error = %v, want %q", tt.reqs, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("resolve.CheckRequirements(%q): %v", tt.reqs, err)
			continue
		}
		names := []string{}
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		if !reflect.DeepEqual(names, tt.want) {
			t.Errorf("resolve.CheckRequirements(%q) = %q, want %q", tt.reqs, names, tt.want)
		}
	}
}

// Real pip from the interpreters' bundled wheels, found by version under
// pyenv's root (the tests skip, saying so, without them).
func py311(t *testing.T) string      { return testpy.Minor(t, "3.11") }
func py311Wheel(t *testing.T) string { return testpy.PipWheel(t, "3.11") }
func py37(t *testing.T) string       { return testpy.Minor(t, "3.7") }
func py37Wheel(t *testing.T) string  { return testpy.PipWheel(t, "3.7") }

// testWheels builds the chain wheels of testdata/wheels into a folder and
// returns it with each file's SHA-256 by file name.
func testWheels(t *testing.T) (string, map[string]string) {
	t.Helper()
	specs, err := wheelbuild.FromTree(filepath.Join("..", "..", "testdata", "wheels"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	paths, err := wheelbuild.WriteAll(dir, specs)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(data)
		sums[filepath.Base(p)] = hex.EncodeToString(s[:])
	}
	return dir, sums
}

// testEnviron is a parent environment with settings that would change the
// resolution if they reached pip: a find-links folder holding chain-b 3.0
// and a dead index. Resolve must keep them from the child.
func testEnviron(t *testing.T) []string {
	t.Helper()
	decoy := t.TempDir()
	if _, err := wheelbuild.WriteFile(decoy, wheelbuild.Spec{Name: "chain-b", Version: "3.0"}); err != nil {
		t.Fatal(err)
	}
	return []string{
		"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(),
		"PIP_FIND_LINKS=" + decoy, "PIP_INDEX_URL=http://127.0.0.1:9/simple/", "PIP_NO_INDEX=0",
		"PIP_ONLY_BINARY=", "PIP_PRE=1",
	}
}

type pinWant struct {
	name, version, file string
	requested           bool
}

// checkPins compares pins with the expected names, versions and files, and
// checks each hash against the file's.
func checkPins(t *testing.T, got []Pin, want []pinWant, sums map[string]string, urlOf func(file string) string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d pins %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.Version != w.version || g.Requested != w.requested {
			t.Errorf("pin %d = %s %s requested=%v, want %s %s requested=%v", i, g.Name, g.Version, g.Requested, w.name, w.version, w.requested)
		}
		if g.URL != urlOf(w.file) {
			t.Errorf("%s URL = %q, want %q", g.Name, g.URL, urlOf(w.file))
		}
		if g.SHA256 != sums[w.file] || !reflect.DeepEqual(g.Hashes, []string{sums[w.file]}) {
			t.Errorf("%s SHA256 %q Hashes %q, want %q", g.Name, g.SHA256, g.Hashes, sums[w.file])
		}
		if g.Marker != "" {
			t.Errorf("%s has marker %q", g.Name, g.Marker)
		}
	}
}

const (
	fileA  = "chain_a-1.0-py3-none-any.whl"
	fileB1 = "chain_b-1.0-py3-none-any.whl"
	fileB2 = "chain_b-2.0-py3-none-any.whl"
	fileC  = "chain_c-1.0-py3-none-any.whl"
)

// resolveCases are the resolutions both sources must give.
var resolveCases = []struct {
	name string
	reqs []string
	want []pinWant
}{
	{"newest dependency", []string{"chain-a"}, []pinWant{{"chain-a", "1.0", fileA, true}, {"chain-b", "2.0", fileB2, false}}},
	{"dependency held back by a direct pin", []string{"chain-a", "chain-b<2"}, []pinWant{{"chain-a", "1.0", fileA, true}, {"chain-b", "1.0", fileB1, true}}},
	{"extra pulls its dependency", []string{"chain-c[b]"}, []pinWant{{"chain-b", "2.0", fileB2, false}, {"chain-c", "1.0", fileC, true}}},
	{"no extra, no dependency", []string{"Chain_C"}, []pinWant{{"chain-c", "1.0", fileC, true}}},
}

// failCases must fail with the resolver's own words in the error.
var failCases = []struct {
	name string
	reqs []string
	msg  []string // each must appear in the error
}{
	{"unknown package", []string{"no-such-project"}, []string{"no-such-project", "No matching distribution found"}},
	{"version that does not exist", []string{"chain-b==3.0"}, []string{"chain-b==3.0", "No matching distribution found"}},
	{"conflicting pins", []string{"chain-b==1.0", "chain-b==2.0"}, []string{"ResolutionImpossible", "conflict"}},
}

// newPip is a backend running pip from wheel, or the interpreter's own pip
// when wheel is empty. Running pip from its wheel costs about a second more
// per call (nothing in a zip is byte-compiled), so the tests use it for one
// resolution from the index and the too-old check, and the interpreter's
// own pip, the same 23.2.1, elsewhere.
func newPip(t *testing.T, wheel string) *Pip {
	return &Pip{Runner: &run.Runner{}, Environ: testEnviron(t), PipWheel: wheel}
}

func TestResolveRealPipFindLinks(t *testing.T) {
	t.Parallel()
	wheels, sums := testWheels(t)
	p := newPip(t, "")
	for _, tc := range resolveCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := ResolveRequest{Requirements: tc.reqs, Python: py311(t), PythonVersion: "3.11",
				FindLinks: []string{wheels}, NoIndex: true, Dir: t.TempDir()}
			pins, err := p.Resolve(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			// The report gave file:// URLs; they come back as paths.
			checkPins(t, pins, tc.want, sums, func(f string) string { return filepath.Join(wheels, f) })
			if _, err := os.Stat(filepath.Join(req.Dir, "report.json")); err != nil {
				t.Errorf("report not kept in Dir: %v", err)
			}
		})
	}
	for _, tc := range failCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := ResolveRequest{Requirements: tc.reqs, Python: py311(t), FindLinks: []string{wheels}, NoIndex: true, Dir: t.TempDir()}
			pins, err := p.Resolve(context.Background(), req)
			checkFailure(t, pins, err, tc.msg)
		})
	}
}

func checkFailure(t *testing.T, pins []Pin, err error, msg []string) {
	t.Helper()
	if err == nil {
		t.Fatalf("resolved to %+v, want an error", pins)
	}
	t.Logf("error: %v", err)
	if !strings.HasPrefix(err.Error(), "resolve with pip: ") {
		t.Errorf("error does not say what failed: %v", err)
	}
	var re *run.Error
	if !errors.As(err, &re) {
		t.Errorf("error %T does not carry the child's run.Error", err)
	}
	for _, m := range msg {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error lacks %q: %v", m, err)
		}
	}
}

func TestResolveRealPipIndex(t *testing.T) {
	t.Parallel()
	wheels, sums := testWheels(t)
	ix := indextest.Serve(t, wheels, indextest.RequiresPythonFromWheels())
	fromWheel, own := newPip(t, py311Wheel(t)), newPip(t, "")
	for i, tc := range resolveCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := ResolveRequest{Requirements: tc.reqs, Python: py311(t), PythonVersion: "3.11",
				IndexURL: ix.URL(), Dir: t.TempDir()}
			by := own
			if i == 0 {
				by = fromWheel
			}
			pins, err := by.Resolve(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			checkPins(t, pins, tc.want, sums, func(f string) string { return ix.FileURL(f) })
		})
	}
	for _, tc := range failCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := ResolveRequest{Requirements: tc.reqs, Python: py311(t), IndexURL: ix.URL(), Dir: t.TempDir()}
			pins, err := own.Resolve(context.Background(), req)
			checkFailure(t, pins, err, tc.msg)
		})
	}
	t.Cleanup(func() {
		if ix.Requests("/simple/chain-a/") == 0 || ix.Requests("/files/"+fileA) == 0 {
			t.Errorf("%d index requests lack the chain-a page or file", ix.Total())
		}
	})
}

// TestResolveRealPipIndexDown takes about 8 s: pip retries a 500 five
// times with backoff before it gives up.
func TestResolveRealPipIndexDown(t *testing.T) {
	t.Parallel()
	wheels, _ := testWheels(t)
	ix := indextest.Serve(t, wheels, indextest.RequiresPythonFromWheels())
	ix.SetDown(true)
	p := newPip(t, "")
	req := ResolveRequest{Requirements: []string{"chain-a"}, Python: py311(t), IndexURL: ix.URL(), Dir: t.TempDir()}
	pins, err := p.Resolve(context.Background(), req)
	checkFailure(t, pins, err, []string{"chain-a"})
	if ix.Total() == 0 {
		t.Error("pip never asked the index")
	}
}

func TestResolveChecksBeforeRunning(t *testing.T) {
	r := &run.Runner{}
	p := &Pip{Runner: r, PipWheel: py311Wheel(t)}
	missing := filepath.Join(t.TempDir(), "pip-23.2.1-py3-none-any.whl")
	tests := []struct {
		name  string
		wheel string
		req   ResolveRequest
		err   string
	}{
		{"no interpreter", py311Wheel(t), ResolveRequest{Requirements: []string{"a"}}, "no target interpreter"},
		{"option smuggled in", py311Wheel(t), ResolveRequest{Python: py311(t), Requirements: []string{"a", "--extra-index-url=http://x"}}, `requirement "--extra-index-url=http://x"`},
		{"malformed requirement", py311Wheel(t), ResolveRequest{Python: py311(t), Requirements: []string{"a>="}}, `requirement "a>="`},
		{"missing pip wheel", missing, ResolveRequest{Python: py311(t), Requirements: []string{"a"}, Dir: t.TempDir()}, "resolve with pip: pip wheel: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &Pip{Runner: r, PipWheel: tt.wheel}
			if _, err := q.Resolve(context.Background(), tt.req); err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Resolve error = %v, want %q", err, tt.err)
			}
		})
	}
	// Nothing to resolve is an empty result, without a child.
	pins, err := p.Resolve(context.Background(), ResolveRequest{Python: py311(t)})
	if err != nil || pins != nil {
		t.Errorf("empty resolve = %v, %v", pins, err)
	}
	if n := r.Started.Load(); n != 0 {
		t.Errorf("%d children started", n)
	}
}

func TestResolveWrongPythonVersion(t *testing.T) {
	t.Parallel()
	wheels, _ := testWheels(t)
	p := newPip(t, "")
	_, err := p.Resolve(context.Background(), ResolveRequest{Requirements: []string{"chain-b"}, Python: py311(t), PythonVersion: "3.12",
		FindLinks: []string{wheels}, NoIndex: true, Dir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "is Python 3.11, not the 3.12") {
		t.Fatalf("error = %v, want a Python version mismatch", err)
	}
}

// TestResolveTooOldPip: Python 3.7 bundles pip 22.0.4, which has no --report.
// The version comes from the wheel's name, or, for a wheel under another
// name, from running pip --version.
func TestResolveTooOldPip(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(py37Wheel(t))
	if err != nil {
		t.Fatal(err)
	}
	renamed := filepath.Join(t.TempDir(), "bundled-pip.zip")
	if err := os.WriteFile(renamed, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, wheel := range []string{py37Wheel(t), renamed, ""} {
		t.Run(filepath.Base(wheel), func(t *testing.T) {
			r := &run.Runner{}
			p := &Pip{Runner: r, Environ: testEnviron(t), PipWheel: wheel}
			_, err := p.Resolve(context.Background(), ResolveRequest{Requirements: []string{"chain-a"}, Python: py37(t), Dir: t.TempDir()})
			var old *PipTooOldError
			if !errors.As(err, &old) || old.Version != "22.0.4" {
				t.Fatalf("error = %v, want pip 22.0.4 too old", err)
			}
			want := "pip 22.0.4 in " + py37(t) + " is too old to resolve (needs 22.2); use --backend uv or a newer Python"
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
			starts := int64(1)
			if wheel == py37Wheel(t) {
				starts = 0 // read from the file name
			}
			if n := r.Started.Load(); n != starts {
				t.Errorf("%d children started, want %d", n, starts)
			}
		})
	}
}

// TestResolveStandIn runs Resolve against a script in place of the
// interpreter that records its argv and environment, refuses to run over an
// existing report (Resolve must remove a stale one), and writes a report
// like an older pip's: a find-links file without a hash, whose hash Resolve
// then computes, and an index file without one, which stays unhashed.
func TestResolveStandIn(t *testing.T) {
	tmp := t.TempDir()
	local := filepath.Join(tmp, "w", "chain_b-2.0-py3-none-any.whl")
	if err := os.MkdirAll(filepath.Dir(local), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(local, []byte("wheel bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("wheel bytes"))
	wheel := filepath.Join(tmp, "pip-22.2-py3-none-any.whl")
	if err := os.WriteFile(wheel, []byte("not read"), 0o644); err != nil {
		t.Fatal(err)
	}
	report := `{"version": "1", "pip_version": "22.2", "environment": {"python_version": "3.11"}, "install": [` +
		`{"download_info": {"url": "file://` + filepath.ToSlash(local) + `", "archive_info": {}}, "requested": false, "metadata": {"name": "chain-b", "version": "2.0"}},` +
		`{"download_info": {"url": "http://127.0.0.1:1/files/chain_a-1.0-py3-none-any.whl", "archive_info": {}}, "requested": true, "metadata": {"name": "chain-a", "version": "1.0"}}]}`
	script := "#!/bin/sh\nrep=\nprev=\nfor a in \"$@\"; do\n  [ \"$prev\" = --report ] && rep=$a\n  prev=$a\ndone\n" +
		"dir=$(dirname \"$rep\")\nprintf '%s\\n' \"$@\" > \"$dir/argv\"\nenv > \"$dir/env\"\n" +
		"if [ -e \"$rep\" ]; then echo 'stale report' >&2; exit 9; fi\n" +
		"cat > \"$rep\" <<'JSON'\n" + report + "\nJSON\n"
	python := filepath.Join(tmp, "python3")
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &run.Runner{}
	p := &Pip{Runner: r, PipWheel: wheel,
		Environ: []string{"PATH=/usr/bin:/bin", "PIP_FIND_LINKS=/evil", "PIP_INDEX_URL=http://evil/simple", "UV_INDEX_URL=http://evil", "VIRTUAL_ENV=/v"}}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "report.json"), []byte(`{"version": "1", "install": []}`), 0o644); err != nil {
		t.Fatal(err)
	}
	req := ResolveRequest{Requirements: []string{"chain-a"}, Python: python, PythonVersion: "3.11",
		IndexURL: "http://127.0.0.1:1/simple/", FindLinks: []string{filepath.Dir(local)}, Dir: dir}
	pins, err := p.Resolve(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	h := hex.EncodeToString(sum[:])
	want := []Pin{
		{Name: "chain-a", Version: "1.0", URL: "http://127.0.0.1:1/files/chain_a-1.0-py3-none-any.whl", Requested: true},
		{Name: "chain-b", Version: "2.0", URL: local, SHA256: h, Hashes: []string{h}},
	}
	if !reflect.DeepEqual(pins, want) {
		t.Errorf("pins\n got %+v\nwant %+v", pins, want)
	}
	if n := r.Started.Load(); n != 1 {
		t.Errorf("%d children started, want 1 (the version comes from the wheel's name)", n)
	}
	argv, _ := os.ReadFile(filepath.Join(dir, "argv"))
	wantArgv := ResolveArgs(wheel, req, filepath.Join(dir, "requirements.in"), filepath.Join(dir, "report.json"))
	if got := strings.Split(strings.TrimSuffix(string(argv), "\n"), "\n"); !reflect.DeepEqual(got, wantArgv) {
		t.Errorf("argv\n got %q\nwant %q", got, wantArgv)
	}
	in, _ := os.ReadFile(filepath.Join(dir, "requirements.in"))
	if string(in) != "chain-a\n" {
		t.Errorf("requirements.in = %q", in)
	}
	env, _ := os.ReadFile(filepath.Join(dir, "env"))
	for _, line := range strings.Split(string(env), "\n") {
		k, _, _ := strings.Cut(line, "=")
		switch {
		case k == "PIP_NO_INPUT" || k == "PIP_DISABLE_PIP_VERSION_CHECK":
		case strings.HasPrefix(k, "PIP_") || strings.HasPrefix(k, "UV_") || k == "VIRTUAL_ENV":
			t.Errorf("child environment has %s", line)
		}
	}
}
