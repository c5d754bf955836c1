package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/influx-py/influx-py/internal/index/indextest"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/tags"
	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/wheel"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"influx-py":        func() { os.Exit(run()) },
		"influx-py-faulty": func() { os.Exit(runFaulty()) },
		"influx-py-testuv": func() { os.Exit(runTestUV()) },
	})
}

// TestScript runs the CLI end to end on real Python: the scripts in
// testdata/script create venvs with real interpreters and install with
// real pip, from wheels the scripts build and locks they write.
func TestScript(t *testing.T) {
	t.Parallel()
	testscript.Run(t, scriptParams(t, map[string]string{"INFLUX_PY_BACKEND": "pip"}))
}

// TestScriptUV runs the same scripts through a real uv, given by
// INFLUX_PY_TEST_UV (.ci/run fetches one), so both backends are held to
// the same behaviour.
func TestScriptUV(t *testing.T) {
	uv := os.Getenv("INFLUX_PY_TEST_UV")
	if uv == "" {
		t.Skip("INFLUX_PY_TEST_UV is not set: no real uv to run the scripts through")
	}
	t.Parallel()
	testscript.Run(t, scriptParams(t, map[string]string{"INFLUX_PY_BACKEND": "uv", "INFLUX_PY_UV": uv}))
}

func scriptParams(t *testing.T, env map[string]string) testscript.Params {
	repo, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	pythons := findPythons()
	t.Logf("interpreters for the scripts: %s", testpy.Describe())
	// A real pip wheel other than the one ensurepip puts into a 3.11 venv,
	// for locks that pin pip itself.
	if py := pythons["PY313"]; py != "" && pythons["PY311"] != "" {
		if m, _ := filepath.Glob(filepath.Join(testpy.Prefix(py), "lib", "python3.13", "ensurepip", "_bundled", "pip-*.whl")); len(m) == 1 {
			pythons["PIPWHEEL"] = m[0]
		}
	}
	// [have:TESTUV]: a real uv to pack as a release of its own pin.
	if uv := os.Getenv("INFLUX_PY_TEST_UV"); uv != "" {
		pythons["TESTUV"] = uv
	}
	return testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("EXAMPLES", filepath.Join(repo, "examples", "plugins"))
			// Keep every run's caches inside its own work dir.
			e.Setenv("INFLUX_PY_CACHE_DIR", filepath.Join(e.WorkDir, ".cache"))
			for name, path := range pythons {
				e.Setenv(name, path)
			}
			for k, v := range env {
				e.Setenv(k, v)
			}
			return nil
		},
		Condition: func(cond string) (bool, error) {
			// [have:PY312] holds when that interpreter (or file) was found.
			if name, ok := strings.CutPrefix(cond, "have:"); ok {
				return pythons[name] != "", nil
			}
			// [tmpfs] holds where a small tmpfs can be mounted (root).
			if cond == "tmpfs" {
				return canMountTmpfs(), nil
			}
			// [backend:uv] holds in the run through uv.
			if name, ok := strings.CutPrefix(cond, "backend:"); ok {
				return env["INFLUX_PY_BACKEND"] == name, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mkwheels":    cmdMkwheels,
			"mkuvrelease": cmdMkuvrelease,
			"s3serve":     cmdS3serve,
			"s3cp":        cmdS3cp,
			"mkwheel":     cmdMkwheel,
			"mklock":      cmdMklock,
			"mklockfrom": func(ts *testscript.TestScript, neg bool, args []string) {
				// mklockfrom LOCK LIST: mklock with the files named in LIST.
				if neg || len(args) != 2 {
					ts.Fatalf("usage: mklockfrom LOCK LIST")
				}
				cmdMklock(ts, false, append([]string{args[0]}, strings.Fields(ts.ReadFile(args[1]))...))
			},
			"corrupt":   cmdCorrupt,
			"tmpfs":     cmdTmpfs,
			"mkhostile": cmdMkhostile,
			"cpdir":     cmdCpdir,
			"truncate":  cmdTruncate,
			"serve":     cmdServe,
			"index":     cmdIndex,
			"mkchain":   cmdMkchain(repo),
		},
	}
}

// findPythons names the interpreters the scripts may use: PYTHON is python3
// on PATH, DEBPY is /usr/bin/python3, PY36..PY313 are pyenv's (found by
// version under `pyenv root`) when present, PIP26 a Python with pip 26.
func findPythons() map[string]string {
	out := map[string]string{}
	if p, err := exec.LookPath("python3"); err == nil {
		out["PYTHON"] = p
	}
	// Debian's interpreter: its venvs get pip from python3-venv's wheels.
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		out["DEBPY"] = "/usr/bin/python3"
	}
	if p := os.Getenv("INFLUX_PY_TEST_PIP26"); p != "" {
		out["PIP26"] = p
	}
	for minor, i := range testpy.Pyenv() {
		out["PY"+strings.ReplaceAll(minor, ".", "")] = i.Path
	}
	return out
}

// mkwheels DIR VERSION N: build pkg01..pkgN at VERSION into DIR.
func cmdMkwheels(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mkwheels DIR VERSION N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	ts.Check(os.MkdirAll(ts.MkAbs(args[0]), 0o755))
	_, err = wheelbuild.WriteAll(ts.MkAbs(args[0]), wheelbuild.Many(n, args[1]))
	ts.Check(err)
}

// mkwheel [-body TEXT] [-file PATH=TEXT]... [-big N] [-badcrc] DIR NAME
// VERSION [TAG]: build one importable wheel whose module defines VERSION and
// BODY (so two builds of one version can differ). -file adds a file at PATH
// inside the wheel (pip/__init__.py, to overwrite pip's); -big adds a
// module data file of N MiB; -badcrc gives that file a wrong CRC-32 in the
// zip, so that an installer fails after writing it.
func cmdMkwheel(ts *testscript.TestScript, neg bool, args []string) {
	body := ""
	extra := map[string][]byte{}
	big, badCRC := 0, false
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch {
		case args[0] == "-body" && len(args) > 1:
			body, args = args[1], args[2:]
		case args[0] == "-file" && len(args) > 1:
			p, text, _ := strings.Cut(args[1], "=")
			extra[p] = []byte(text + "\n")
			args = args[2:]
		case args[0] == "-big" && len(args) > 1:
			n, err := strconv.Atoi(args[1])
			ts.Check(err)
			big, args = n, args[2:]
		case args[0] == "-badcrc":
			badCRC, args = true, args[1:]
		default:
			ts.Fatalf("mkwheel: unknown option %s", args[0])
		}
	}
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: mkwheel [-body TEXT] [-file PATH=TEXT]... [-big N] [-badcrc] DIR NAME VERSION [TAG]")
	}
	mod := strings.ReplaceAll(strings.ToLower(args[1]), "-", "_")
	s := wheelbuild.Spec{
		Name:    args[1],
		Version: args[2],
		Files:   map[string][]byte{mod + "/__init__.py": []byte(fmt.Sprintf("VERSION = %q\nBODY = %q\n", args[2], body))},
	}
	for p, data := range extra {
		s.Files[p] = data
	}
	bigName := mod + "/big.bin"
	if big > 0 {
		s.Files[bigName] = bytes.Repeat([]byte("influx-py "), big<<20/10)
	}
	if len(args) == 4 {
		s.Tag = args[3]
	}
	ts.Check(os.MkdirAll(ts.MkAbs(args[0]), 0o755))
	name, data, err := wheelbuild.Build(s)
	ts.Check(err)
	if badCRC {
		data = breakCRC(ts, data, bigName)
	}
	ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[0]), name), data, 0o644))
}

// mkhostile DIR KIND: write a hostile wheel, hostile-1.0-py3-none-any.whl,
// of one kind: entrypoint (a console script named ../../outside/x), record
// (a RECORD row ../../outside/file), zipslip (a member ../../outside/slip),
// absolute (a member /tmp/...), symlink (a member that is a link to
// /etc/passwd), bomb (a member that unpacks 1000:1 to 100 MiB), mislabelled
// (METADATA says another name).
func cmdMkhostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: mkhostile DIR KIND")
	}
	name := "hostile"
	files := map[string]string{"hostile/__init__.py": "X = 1\n"}
	var extra []zipMember
	record := ""
	switch args[1] {
	case "entrypoint":
		files["hostile-1.0.dist-info/entry_points.txt"] = "[console_scripts]\n../../outside/x = hostile:main\n"
	case "record":
		record = "../../outside/file,,\n"
	case "zipslip":
		extra = append(extra, zipMember{name: "../../outside/slip", body: "slipped\n"})
	case "absolute":
		extra = append(extra, zipMember{name: ts.MkAbs("outside/abs"), body: "absolute\n"})
	case "symlink":
		extra = append(extra, zipMember{name: "hostile/passwd", body: "/etc/passwd", symlink: true})
	case "bomb":
		extra = append(extra, zipMember{name: "hostile/zeros.bin", body: strings.Repeat("\x00", 100<<20)})
	case "mislabelled":
		name = "innocent"
	default:
		ts.Fatalf("mkhostile: unknown kind %s", args[1])
	}
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n", name)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var rec strings.Builder
	add := func(m zipMember) {
		// Deflated, as real wheels are (uv cannot stream stored members
		// written with data descriptors).
		h := &zip.FileHeader{Name: m.name, Method: zip.Deflate}
		if m.symlink {
			h.SetMode(os.ModeSymlink | 0o777)
		}
		w, err := zw.CreateHeader(h)
		ts.Check(err)
		w.Write([]byte(m.body))
		sum := sha256.Sum256([]byte(m.body))
		fmt.Fprintf(&rec, "%s,sha256=%s,%d\n", m.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(m.body))
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		add(zipMember{name: n, body: files[n]})
	}
	add(zipMember{name: "hostile-1.0.dist-info/METADATA", body: meta})
	add(zipMember{name: "hostile-1.0.dist-info/WHEEL", body: "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"})
	for _, m := range extra {
		add(m)
	}
	w, err := zw.Create("hostile-1.0.dist-info/RECORD")
	ts.Check(err)
	w.Write([]byte(rec.String() + record + "hostile-1.0.dist-info/RECORD,,\n"))
	ts.Check(zw.Close())
	ts.Check(os.MkdirAll(ts.MkAbs(args[0]), 0o755))
	ts.Check(os.WriteFile(filepath.Join(ts.MkAbs(args[0]), "hostile-1.0-py3-none-any.whl"), buf.Bytes(), 0o644))
}

type zipMember struct {
	name, body string
	symlink    bool
}

// breakCRC rewrites a zip with the CRC-32 of member name changed, in both of
// its headers, leaving the bytes as they were.
func breakCRC(ts *testscript.TestScript, data []byte, name string) []byte {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	ts.Check(err)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		h := f.FileHeader
		if f.Name == name {
			h.CRC32 ^= 0xdeadbeef
			found = true
		}
		w, err := zw.CreateRaw(&h)
		ts.Check(err)
		r, err := f.OpenRaw()
		ts.Check(err)
		_, err = io.Copy(w, r)
		ts.Check(err)
	}
	ts.Check(zw.Close())
	if !found {
		ts.Fatalf("breakCRC: no member %s (use -big)", name)
	}
	return buf.Bytes()
}

// mklock [-deps] [-archive] LOCK WHEEL...: write a PEP 751 lock for the
// wheels, by relative path, as another tool would (no [tool.influx-py]). A
// WHEEL of the form url=URL@FILE locks FILE by URL instead. -deps writes
// each package's dependencies array from its wheel's Requires-Dist (as uv
// does); -archive locks each file as a versionless archive (as pip lock
// does for a wheel named on its command line); -group puts the wheels of one
// name and version into one package (several platforms' builds).
func cmdMklock(ts *testscript.TestScript, neg bool, args []string) {
	var o lockOptions
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-deps":
			o.deps = true
		case "-archive":
			o.archive = true
		case "-group":
			o.group = true
		default:
			ts.Fatalf("mklock: unknown option %s", args[0])
		}
		args = args[1:]
	}
	if neg || len(args) < 1 {
		ts.Fatalf("usage: mklock [-deps] [-archive] LOCK WHEEL...")
	}
	lockPath := ts.MkAbs(args[0])
	var files []string
	for _, a := range args[1:] {
		// Globs let a script lock a file whose exact name it cannot know.
		if strings.ContainsAny(a, "*?[") && !strings.HasPrefix(a, "url=") {
			m, err := filepath.Glob(ts.MkAbs(a))
			ts.Check(err)
			if len(m) == 0 {
				ts.Fatalf("mklock: no file matches %s", a)
			}
			files = append(files, m...)
			continue
		}
		files = append(files, a)
	}
	for i, f := range files {
		if !strings.HasPrefix(f, "url=") {
			files[i] = ts.MkAbs(f)
		} else if u, file, ok := strings.Cut(f, "@"); ok {
			files[i] = u + "@" + ts.MkAbs(file)
		}
	}
	data, err := lockWith(lockPath, files, o)
	ts.Check(err)
	ts.Check(os.WriteFile(lockPath, data, 0o644))
}

type lockOptions struct{ deps, archive, group bool }

func lockFor(lockPath string, files []string) ([]byte, error) {
	return lockWith(lockPath, files, lockOptions{})
}

// lockWith is a PEP 751 lock of the wheels at the absolute paths in files,
// by path relative to the lock, as another tool would write it (no
// [tool.influx-py]). An entry url=URL@FILE locks FILE by URL instead.
func lockWith(lockPath string, files []string, o lockOptions) ([]byte, error) {
	l := &lockfile.Lock{LockVersion: "1.0", CreatedBy: "influx-py-test"}
	for _, a := range files {
		url := ""
		if rest, ok := strings.CutPrefix(a, "url="); ok {
			url, a, _ = strings.Cut(rest, "@")
		}
		data, err := os.ReadFile(a)
		if err != nil {
			return nil, err
		}
		wn, err := tags.ParseWheelFilename(filepath.Base(a))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		size := int64(len(data))
		f := lockfile.File{Name: filepath.Base(a), Size: &size, Hashes: map[string]string{"sha256": hex.EncodeToString(sum[:])}}
		if url != "" {
			f.URL = url
		} else {
			rel, err := filepath.Rel(filepath.Dir(lockPath), a)
			if err != nil {
				return nil, err
			}
			f.Path = filepath.ToSlash(rel)
		}
		p := lockfile.Package{Name: wn.Name, Version: wn.Version, Wheels: []lockfile.File{f}}
		if o.deps {
			c, err := wheel.Inspect(a)
			if err != nil {
				return nil, err
			}
			p.Dependencies = []map[string]any{}
			for _, rd := range c.Metadata.RequiresDist {
				r, err := pep508.ParseRequirement(rd)
				if err != nil {
					return nil, err
				}
				if r.Marker != nil && strings.Contains(r.Marker.String(), "extra") {
					continue // needed only with an extra nobody asked for
				}
				p.Dependencies = append(p.Dependencies, map[string]any{"name": pep508.NormalizeName(r.Name)})
			}
		}
		if o.archive {
			f.Name = ""
			p.Version, p.Wheels, p.Archive = "", nil, &lockfile.Archive{File: f}
		}
		if n := len(l.Packages); o.group && n > 0 && l.Packages[n-1].Name == p.Name && l.Packages[n-1].Version == p.Version {
			l.Packages[n-1].Wheels = append(l.Packages[n-1].Wheels, p.Wheels...)
			continue
		}
		l.Packages = append(l.Packages, p)
	}
	return l.Marshal()
}

// corrupt FILE: change one byte in the middle of FILE.
func cmdCorrupt(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: corrupt FILE")
	}
	p := ts.MkAbs(args[0])
	data, err := os.ReadFile(p)
	ts.Check(err)
	data[len(data)/2] ^= 0xff
	ts.Check(os.WriteFile(p, data, 0o644))
}

// serve DIR: serve DIR over HTTP on loopback for the rest of the script,
// with its URL in $SERVER. Requests are logged in $WORK/requests.log.
func cmdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: serve DIR")
	}
	files := http.FileServer(http.Dir(ts.MkAbs(args[0])))
	srv := httptest.NewServer(logRequests(ts.MkAbs("requests.log"), files))
	ts.Defer(srv.Close)
	ts.Setenv("SERVER", srv.URL)
}

// logRequests serves through h and appends "METHOD PATH" of each
// request to the file at path, for a script to grep.
func logRequests(path string, h http.Handler) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s %s\n", r.Method, r.URL.Path)
			f.Close()
		}
		mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// index [-auth USER:PASS] DIR: serve the wheels in DIR as a PEP 503 simple
// index on loopback for the rest of the script (indextest, reading DIR on
// every request), its root URL in $INDEX and its host:port in $INDEXHOST;
// with -auth, every request needs those credentials. `index -down` makes the running index answer 500 to
// everything from then on, `index -up` back.
func cmdIndex(ts *testscript.TestScript, neg bool, args []string) {
	var opts []indextest.Option
	if len(args) == 3 && args[0] == "-auth" {
		user, pass, _ := strings.Cut(args[1], ":")
		opts = append(opts, indextest.BasicAuth(user, pass))
		args = args[2:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: index [-auth USER:PASS] DIR | index -down | index -up")
	}
	if args[0] == "-down" || args[0] == "-up" {
		s, ok := indexes.Load(ts)
		if !ok {
			ts.Fatalf("index %s: no index is running", args[0])
		}
		s.(*indextest.Server).SetDown(args[0] == "-down")
		return
	}
	s := indextest.New(ts.MkAbs(args[0]), append(opts, indextest.RequiresPythonFromWheels())...)
	indexes.Store(ts, s)
	ts.Defer(func() {
		indexes.Delete(ts)
		s.Close()
	})
	ts.Setenv("INDEX", s.URL())
	ts.Setenv("INDEXHOST", strings.TrimSuffix(strings.TrimPrefix(s.URL(), "http://"), "/simple/"))
}

// indexes are the running index servers, by script.
var indexes sync.Map

// mkchain DIR: build the resolution test packages of testdata/wheels
// (chain-a needs chain-b>=1; chain-b 1.0 and 2.0; chain-c with an extra).
func cmdMkchain(repo string) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: mkchain DIR")
		}
		specs, err := wheelbuild.FromTree(filepath.Join(repo, "testdata", "wheels"))
		ts.Check(err)
		ts.Check(os.MkdirAll(ts.MkAbs(args[0]), 0o755))
		_, err = wheelbuild.WriteAll(ts.MkAbs(args[0]), specs)
		ts.Check(err)
	}
}

// tmpfs DIR SIZE: mount a tmpfs of SIZE (as mount's size=) on DIR for the
// rest of the script: a small disk to fill.
func cmdTmpfs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: tmpfs DIR SIZE")
	}
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+args[1], "tmpfs", dir).CombinedOutput(); err != nil {
		ts.Fatalf("mount: %v\n%s", err, out)
	}
	ts.Defer(func() { exec.Command("umount", "-l", dir).Run() })
}

var tmpfsOK = sync.OnceValue(func() bool {
	if runtime.GOOS != "linux" || os.Geteuid() != 0 {
		return false
	}
	dir, err := os.MkdirTemp("", "influx-py-tmpfs-")
	if err != nil {
		return false
	}
	defer os.Remove(dir)
	if exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).Run() != nil {
		return false
	}
	exec.Command("umount", dir).Run()
	return true
})

func canMountTmpfs() bool { return tmpfsOK() }

// truncate FILE: cut FILE to half its size, as an interrupted copy would.
func cmdTruncate(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: truncate FILE")
	}
	p := ts.MkAbs(args[0])
	fi, err := os.Stat(p)
	ts.Check(err)
	ts.Check(os.Truncate(p, fi.Size()/2))
}

// cpdir SRC DST: copy a directory tree: regular files, without hidden
// folders (.venv, .cache) and __pycache__.
func cmdCpdir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cpdir SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	ts.Check(filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if fi.IsDir() {
			// Venvs, caches and bytecode are not part of a plugin dir's
			// content.
			if p != src && (strings.HasPrefix(fi.Name(), ".") || fi.Name() == "__pycache__") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		var buf bytes.Buffer
		if _, err := io.Copy(&buf, in); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), buf.Bytes(), 0o644)
	}))
}
