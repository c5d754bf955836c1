package fallback

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func TestCreateArgs(t *testing.T) {
	tests := []struct {
		dir  string
		want []string
	}{
		{"/p/.venv", []string{"-m", "venv", "/p/.venv"}},
		{"dir with space", []string{"-m", "venv", "dir with space"}},
	}
	for _, tt := range tests {
		if got := CreateArgs(tt.dir); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("CreateArgs(%q) = %q, want %q", tt.dir, got, tt.want)
		}
	}
}

func TestInstallArgs(t *testing.T) {
	got := InstallArgs("/tmp/req.txt", false)
	want := []string{
		"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input",
		"install", "--no-deps", "--no-index", "--require-hashes", "--force-reinstall", "--no-warn-script-location",
		"--no-compile", "-r", "/tmp/req.txt",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("InstallArgs = %q, want %q", got, want)
	}
	// Each safety flag on its own, so that a reordering that keeps them
	// passes and a dropped one names itself.
	for _, flag := range []string{"--isolated", "--no-index", "--no-deps", "--require-hashes", "--force-reinstall"} {
		if !slices.Contains(got, flag) {
			t.Errorf("InstallArgs lacks %s: %q", flag, got)
		}
	}
	// The global options come before the subcommand, where pip reads them.
	if i, j := slices.Index(got, "--isolated"), slices.Index(got, "install"); i > j {
		t.Errorf("--isolated after install: %q", got)
	}
	// The requirements file is the argument of -r, not a package name.
	if i := slices.Index(got, "-r"); i < 0 || i+1 >= len(got) || got[i+1] != "/tmp/req.txt" {
		t.Errorf("requirements not passed with -r: %q", got)
	}
}

func TestUninstallArgs(t *testing.T) {
	tests := []struct {
		names []string
		want  []string
	}{
		{[]string{"demo"}, []string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input", "uninstall", "-y", "demo"}},
		{[]string{"a", "b-c"}, []string{"-m", "pip", "--isolated", "--disable-pip-version-check", "--no-input", "uninstall", "-y", "a", "b-c"}},
	}
	for _, tt := range tests {
		got := UninstallArgs(tt.names)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("UninstallArgs(%q) = %q, want %q", tt.names, got, tt.want)
		}
		if !slices.Contains(got, "-y") || !slices.Contains(got, "--isolated") {
			t.Errorf("UninstallArgs(%q) lacks -y or --isolated: %q", tt.names, got)
		}
	}
}

// TestArgsDoNotShareStorage guards against the classic append aliasing: one
// caller's slice must not be changed by building another.
func TestArgsDoNotShareStorage(t *testing.T) {
	a := InstallArgs("a.txt", false)
	u := UninstallArgs([]string{"x", "y", "z"})
	b := InstallArgs("b.txt", false)
	if a[len(a)-1] != "a.txt" {
		t.Errorf("first InstallArgs result changed to %q", a)
	}
	a[0] = "MUTATED"
	u[0] = "MUTATED"
	for _, args := range [][]string{b, InstallArgs("c.txt", true), UninstallArgs([]string{"q"})} {
		if args[0] != "-m" {
			t.Errorf("args built after a caller changed its copy: %q", args)
		}
	}
}

func TestName(t *testing.T) {
	if got := (&Pip{}).Name(); got != "pip" {
		t.Fatalf("Name() = %q, want pip", got)
	}
}

// fakePython writes a shell script that records its arguments and
// environment in dir and exits with $FAKE_EXIT. It stands in for the
// interpreter where only what Pip passes matters.
func fakePython(t *testing.T) (path, dir string) {
	t.Helper()
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skipf("no /bin/sh: %v", err)
	}
	dir = t.TempDir()
	path = filepath.Join(dir, "python")
	script := "#!/bin/sh\n" +
		"printf '%s\\n' \"$@\" > \"$FAKE_DIR/args\"\n" +
		"env > \"$FAKE_DIR/env\"\n" +
		"echo 'fake stderr' >&2\n" +
		"exit ${FAKE_EXIT:-0}\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, dir
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// TestPipPassesArgsAndEnv checks, with a fake interpreter, the exact argv and
// environment each method gives its child.
func TestPipPassesArgsAndEnv(t *testing.T) {
	py, dir := fakePython(t)
	environ := []string{
		"FAKE_DIR=" + dir,
		"PATH=/usr/bin:/bin",
		"HOME=/root",
		"PIP_FIND_LINKS=/opt/wheels",
		"PIP_INDEX_URL=http://127.0.0.1:9/simple",
		"pip_require_virtualenv=1",
		"PIP_NO_INPUT=0",
		"UV_INDEX_URL=http://127.0.0.1:9/uv",
		"VIRTUAL_ENV=/somewhere/else",
		"PYTHONPATH=/evil",
	}
	wantEnv := run.Env(environ, run.PythonEnv())
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func(p *Pip) error
		wantArgs []string
	}{
		{"create", func(p *Pip) error { return p.Create(ctx, py, "/v/.venv") }, CreateArgs("/v/.venv")},
		{"install", func(p *Pip) error { return p.Install(ctx, py, "/r/req.txt") }, InstallArgs("/r/req.txt", false)},
		{"uninstall", func(p *Pip) error { return p.Uninstall(ctx, py, []string{"a", "b"}) }, UninstallArgs([]string{"a", "b"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			p := &Pip{Runner: &run.Runner{}, Environ: environ, Stderr: &stderr}
			if err := tt.call(p); err != nil {
				t.Fatal(err)
			}
			if got := readLines(t, filepath.Join(dir, "args")); !reflect.DeepEqual(got, tt.wantArgs) {
				t.Errorf("args = %q, want %q", got, tt.wantArgs)
			}
			var got []string
			for _, kv := range readLines(t, filepath.Join(dir, "env")) {
				if !strings.HasPrefix(kv, "PWD=") { // the shell's own
					got = append(got, kv)
				}
			}
			slices.Sort(got)
			if !reflect.DeepEqual(got, wantEnv) {
				t.Errorf("child env = %q, want %q", got, wantEnv)
			}
			if stderr.String() != "fake stderr\n" {
				t.Errorf("live stderr = %q, want the child's", stderr.String())
			}
			if n := p.Runner.Started.Load(); n != 1 {
				t.Errorf("Started = %d, want 1", n)
			}
		})
	}
	// The env really was hostile and really was cleaned.
	for _, kv := range wantEnv {
		if k, _, _ := strings.Cut(kv, "="); k == "PIP_FIND_LINKS" || k == "PIP_INDEX_URL" || k == "VIRTUAL_ENV" || k == "PYTHONPATH" {
			t.Errorf("child env keeps %s", kv)
		}
	}
	if !slices.Contains(wantEnv, "PIP_NO_INPUT=1") {
		t.Errorf("child env lacks PIP_NO_INPUT=1: %q", wantEnv)
	}
}

func TestPipErrors(t *testing.T) {
	py, dir := fakePython(t)
	environ := []string{"FAKE_DIR=" + dir, "FAKE_EXIT=7"}
	missing := filepath.Join(dir, "no-python")
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func(p *Pip) error
		prefix string
		exit   int
	}{
		{"create fails", func(p *Pip) error { return p.Create(ctx, py, "/v") }, "create venv /v with " + py + ": ", 7},
		{"install fails", func(p *Pip) error { return p.Install(ctx, py, "/r.txt") }, "pip install: ", 7},
		{"uninstall fails", func(p *Pip) error { return p.Uninstall(ctx, py, []string{"x"}) }, "pip uninstall: ", 7},
		{"create, no interpreter", func(p *Pip) error { return p.Create(ctx, missing, "/v") }, "create venv /v with " + missing + ": ", -1},
		{"install, no interpreter", func(p *Pip) error { return p.Install(ctx, missing, "/r.txt") }, "pip install: ", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Pip{Runner: &run.Runner{}, Environ: environ}
			err := tt.call(p)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.HasPrefix(err.Error(), tt.prefix) {
				t.Errorf("error %q does not start with %q", err, tt.prefix)
			}
			var re *run.Error
			if !errors.As(err, &re) {
				t.Fatalf("error %v does not wrap *run.Error", err)
			}
			if re.ExitCode != tt.exit {
				t.Errorf("ExitCode = %d, want %d", re.ExitCode, tt.exit)
			}
			if tt.exit > 0 && re.Stderr != "fake stderr\n" {
				t.Errorf("Stderr = %q, want the child's", re.Stderr)
			}
		})
	}
}

func TestUninstallNothingStartsNothing(t *testing.T) {
	p := &Pip{Runner: &run.Runner{}}
	for _, names := range [][]string{nil, {}} {
		if err := p.Uninstall(context.Background(), "/no/such/python", names); err != nil {
			t.Fatalf("Uninstall(%q) = %v", names, err)
		}
	}
	if n := p.Runner.Started.Load(); n != 0 {
		t.Fatalf("Started = %d, want 0", n)
	}
}

// TestPipReal creates a real venv, installs a wheel from a hashed
// requirements file, refuses a wrong hash and uninstalls, all with a hostile
// parent environment that would break each step if it reached Python or pip.
func TestPipReal(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv (several seconds); skipped with -short")
	}
	testPython := testpy.Minor(t, "3.11")
	tmp := t.TempDir()
	decoy := filepath.Join(tmp, "decoy")
	if err := os.MkdirAll(filepath.Join(decoy, "demo"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(decoy, "demo", "__init__.py"), []byte("X='decoy'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Each of these, if it reached the child, would make a step fail or
	// go elsewhere: PYTHONHOME stops Python from starting, PIP_TARGET and
	// PIP_USER divert or refuse the install, PIP_INDEX_URL points at a
	// closed port, PYTHONPATH shadows the module with a decoy.
	environ := append(os.Environ(),
		"PIP_INDEX_URL=http://127.0.0.1:9/simple",
		"PIP_EXTRA_INDEX_URL=http://127.0.0.1:9/extra",
		"PIP_FIND_LINKS="+filepath.Join(tmp, "nowhere"),
		"PIP_REQUIRE_VIRTUALENV=1",
		"PIP_TARGET="+filepath.Join(tmp, "target"),
		"PIP_USER=1",
		"pip_no_deps=0",
		"UV_INDEX_URL=http://127.0.0.1:9/uv",
		"PYTHONHOME=/nonexistent",
		"PYTHONPATH="+decoy,
		"VIRTUAL_ENV="+filepath.Join(tmp, "other-venv"),
	)
	var stderr bytes.Buffer
	p := &Pip{Runner: &run.Runner{}, Environ: environ, Stderr: &stderr}
	ctx := context.Background()

	venvDir := filepath.Join(tmp, "venv")
	if err := p.Create(ctx, testPython, venvDir); err != nil {
		t.Fatalf("Create: %v", err)
	}
	py := filepath.Join(venvDir, "bin", "python")
	for _, f := range []string{py, filepath.Join(venvDir, "bin", "pip")} {
		if _, err := os.Stat(f); err != nil {
			t.Fatalf("venv lacks %s: %v", f, err)
		}
	}

	// Two different files of the same version, in two folders since they
	// share a file name.
	writeWheel := func(folder, x string) (path string, sum [32]byte) {
		name, data, err := wheelbuild.Build(wheelbuild.Spec{Name: "demo", Version: "1.0", Files: map[string][]byte{"demo/__init__.py": []byte("X=" + x + "\n")}})
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(tmp, folder, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path, sha256.Sum256(data)
	}
	wheel, sum := writeWheel("wheels", "1")
	wheel2, sum2 := writeWheel("wheels2", "2")
	writeReq := func(name, wheel string, hash [32]byte) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(wheel+" --hash=sha256:"+hex.EncodeToString(hash[:])+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	importDemo := func() (string, error) {
		out, err := p.Runner.Run(ctx, run.Cmd{
			Path: py,
			Args: []string{"-c", "import demo; print(demo.X, demo.__file__)"},
			Env:  run.Env(environ, run.PythonEnv()),
		})
		return strings.TrimSpace(string(out)), err
	}

	// A wrong hash installs nothing, and says why in pip's words.
	wrong := sha256.Sum256([]byte("not the wheel"))
	err := p.Install(ctx, py, writeReq("wrong.txt", wheel, wrong))
	if err == nil {
		t.Fatal("Install with a wrong hash succeeded")
	}
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode <= 0 {
		t.Fatalf("wrong-hash error %v is not a failed pip run", err)
	}
	for _, s := range []string{"DO NOT MATCH THE HASHES", hex.EncodeToString(sum[:])} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("wrong-hash error does not contain %q:\n%v", s, err)
		}
	}
	if !strings.Contains(stderr.String(), "DO NOT MATCH THE HASHES") {
		t.Errorf("pip's stderr was not shown live on Pip.Stderr: %q", stderr.String())
	}
	if out, err := importDemo(); err == nil {
		t.Fatalf("demo importable after a refused install: %s", out)
	}

	// The right hash installs it into the venv, not into PIP_TARGET.
	if err := p.Install(ctx, py, writeReq("good.txt", wheel, sum)); err != nil {
		t.Fatalf("Install: %v", err)
	}
	out, err := importDemo()
	if err != nil {
		t.Fatalf("import demo after Install: %v", err)
	}
	if !strings.HasPrefix(out, "1 "+venvDir+"/") {
		t.Errorf("import demo = %q, want X=1 from inside %s", out, venvDir)
	}
	if _, err := os.Stat(filepath.Join(tmp, "target")); err == nil {
		t.Errorf("PIP_TARGET reached pip: %s exists", filepath.Join(tmp, "target"))
	}

	// Another file of the same version replaces the installed one: pip
	// would otherwise call it already satisfied and keep the old content.
	if err := p.Install(ctx, py, writeReq("other.txt", wheel2, sum2)); err != nil {
		t.Fatalf("Install of a same-version replacement: %v", err)
	}
	if out, err := importDemo(); err != nil || !strings.HasPrefix(out, "2 ") {
		t.Fatalf("after installing the other file, import demo = %q, %v; want X=2", out, err)
	}

	if err := p.Uninstall(ctx, py, []string{"demo"}); err != nil {
		t.Fatalf("Uninstall: %v", err)
	}
	if out, err := importDemo(); err == nil {
		t.Fatalf("demo still importable after Uninstall: %s", out)
	} else if !strings.Contains(err.Error(), "No module named 'demo'") {
		t.Errorf("import after Uninstall failed for another reason: %v", err)
	}
	t.Logf("%d children started", p.Runner.Started.Load())
}

// TestCreateFromPipWheel: with the interpreter's pip wheel, a new venv gets
// pip (usable, with its console scripts) and nothing else: no setuptools to
// remove again.
func TestCreateFromPipWheel(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv; skipped with -short")
	}
	testPython := testpy.Minor(t, "3.11")
	wheels := []string{testpy.PipWheel(t, "3.11")}
	dir := filepath.Join(t.TempDir(), "venv")
	for _, compile := range []bool{false, true} {
		os.RemoveAll(dir)
		r := &run.Runner{}
		p := &Pip{Runner: r, Environ: os.Environ(), PipWheel: wheels[0], Compile: compile}
		if err := p.Create(context.Background(), testPython, dir); err != nil {
			t.Fatal(err)
		}
		// Without --compile pip is unpacked in Go; with it, pip installs
		// itself and compiles.
		want := map[bool]int64{false: 1, true: 2}[compile]
		if n := r.Started.Load(); n != want {
			t.Errorf("compile %v: started %d processes, want %d", compile, n, want)
		}
		pyc, _ := filepath.Glob(filepath.Join(dir, "lib", "python3.11", "site-packages", "pip", "__pycache__", "*.pyc"))
		if (len(pyc) > 0) != compile {
			t.Errorf("compile %v: %d .pyc files in pip", compile, len(pyc))
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, "lib", "python3.11", "site-packages"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	version := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(wheels[0]), "pip-"), "-py3-none-any.whl")
	if want := []string{"pip", "pip-" + version + ".dist-info"}; !reflect.DeepEqual(names, want) {
		t.Errorf("site-packages holds %q, want only %q", names, want)
	}
	out, err := exec.Command(filepath.Join(dir, "bin", "pip"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), filepath.Join(dir, "lib")) {
		t.Errorf("bin/pip --version: %s %v", out, err)
	}
}

// TestInstallInParallel: many new distributions go to one pip per core,
// balanced by size, and all arrive; a set that replaces one, or holds
// pip, goes to one pip.
func TestInstallInParallel(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a real venv; skipped with -short")
	}
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: influx-py runs one pip")
	}
	testPython := testpy.Minor(t, "3.12")
	tmp := t.TempDir()
	var mu sync.Mutex
	var installs [][]string
	running, most := 0, 0
	r := &run.Runner{Intercept: func(n int64, c run.Cmd, start func() ([]byte, error)) ([]byte, error) {
		isInstall := slices.Contains(c.Args, "install")
		if isInstall {
			data, _ := os.ReadFile(c.Args[len(c.Args)-1])
			mu.Lock()
			installs = append(installs, strings.Fields(string(data)))
			running++
			most = max(most, running)
			mu.Unlock()
		}
		out, err := start()
		if isInstall {
			mu.Lock()
			running--
			mu.Unlock()
		}
		return out, err
	}}
	var items []string
	p := &Pip{Runner: r, Environ: os.Environ(), Item: func(name string) { items = append(items, name) }}
	ctx := context.Background()
	venvDir := filepath.Join(tmp, "venv")
	if err := p.Create(ctx, testPython, venvDir); err != nil {
		t.Fatal(err)
	}
	py := filepath.Join(venvDir, "bin", "python")
	var req strings.Builder
	for i := 0; i < 2*minPerJob; i++ {
		files := map[string][]byte{fmt.Sprintf("mod%02d/__init__.py", i): []byte("X = 1\n")}
		if i == 0 {
			files["mod00/big.bin"] = bytes.Repeat([]byte("x"), 1<<20) // the big one goes alone
		}
		name, data, err := wheelbuild.Build(wheelbuild.Spec{Name: fmt.Sprintf("mod%02d", i), Version: "1.0", Files: files})
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(tmp, name)
		os.WriteFile(path, data, 0o644)
		sum := sha256.Sum256(data)
		fmt.Fprintf(&req, "%s --hash=sha256:%s\n", path, hex.EncodeToString(sum[:]))
	}
	reqFile := filepath.Join(tmp, "req.txt")
	os.WriteFile(reqFile, []byte(req.String()), 0o644)
	if err := p.Install(ctx, py, reqFile); err != nil {
		t.Fatal(err)
	}
	if len(installs) != 2 || most != 2 {
		t.Fatalf("%d pips, %d at once; want 2 at once on %d cores: %v", len(installs), most, runtime.GOMAXPROCS(0), installs)
	}
	// Shared by weight (members and bytes): the two pips' shares differ
	// by no more than one wheel's.
	var loads []int64
	var heaviest int64
	for _, g := range installs {
		var load int64
		for _, f := range g {
			if strings.HasSuffix(f, ".whl") {
				w, ok := installWeight(f)
				if !ok {
					t.Fatalf("no weight for %s", f)
				}
				load += w
				heaviest = max(heaviest, w)
			}
		}
		loads = append(loads, load)
	}
	if d := loads[0] - loads[1]; d > heaviest || -d > heaviest {
		t.Errorf("shares %v differ by more than the heaviest wheel (%d)", loads, heaviest)
	}
	if len(items) != 2*minPerJob {
		t.Errorf("progress saw %d files, want %d", len(items), 2*minPerJob)
	}
	out, err := exec.Command(py, "-c", "import importlib.metadata as m; print(len([d for d in m.distributions() if d.metadata['Name'].startswith('mod')]))").Output()
	if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(2*minPerJob) {
		t.Fatalf("installed mod distributions: %q, %v", out, err)
	}

	// Again: every one is now a replacement, for one pip.
	installs = nil
	if err := p.Install(ctx, py, reqFile); err != nil {
		t.Fatal(err)
	}
	if len(installs) != 1 {
		t.Errorf("a reinstall ran %d pips, want 1", len(installs))
	}
}
