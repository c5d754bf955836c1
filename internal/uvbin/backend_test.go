package uvbin

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/testpy"
)

func TestEnv(t *testing.T) {
	hostile := []string{
		"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8",
		"VIRTUAL_ENV=/other/.venv", "CONDA_PREFIX=/conda", "PYTHONPATH=/evil", "PYTHONHOME=/opt/py",
		"UV_INDEX_URL=http://evil/simple", "UV_CACHE_DIR=/user/cache", "UV_PYTHON=3.9",
		"UV_PYTHON_DOWNLOADS=automatic", "UV_NO_CONFIG=0", "uv_offline=0", "UV_VENV_CLEAR=0",
		"UV_LINK_MODE=symlink", "UV_SYSTEM_PYTHON=1", "PIP_FIND_LINKS=/opt/wheels", "PIP_REQUIRE_VIRTUALENV=1",
	}
	tests := []struct {
		name     string
		cacheDir string
		want     []string
	}{
		{"with a cache", "/srv/venv/.uv-cache", []string{
			"HOME=/root", "LANG=C.UTF-8", "PATH=/usr/bin:/bin",
			"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1",
			"PYTHONIOENCODING=utf-8", "PYTHONNOUSERSITE=1", "PYTHONUTF8=1",
			"UV_CACHE_DIR=/srv/venv/.uv-cache", "UV_NO_CONFIG=1", "UV_PYTHON_DOWNLOADS=never",
		}},
		{"without a cache", "", []string{
			"HOME=/root", "LANG=C.UTF-8", "PATH=/usr/bin:/bin",
			"PIP_DISABLE_PIP_VERSION_CHECK=1", "PIP_NO_INPUT=1",
			"PYTHONIOENCODING=utf-8", "PYTHONNOUSERSITE=1", "PYTHONUTF8=1",
			"UV_NO_CACHE=1", "UV_NO_CONFIG=1", "UV_PYTHON_DOWNLOADS=never",
		}},
	}
	for _, tt := range tests {
		got := Env(hostile, tt.cacheDir)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Env =\n %q\nwant\n %q", tt.name, got, tt.want)
		}
	}
}

func TestVenvArgs(t *testing.T) {
	tests := []struct {
		version string
		want    []string
	}{
		// Every uv from the oldest accepted to the pinned one gets the same
		// argv: --allow-existing keeps the engine's "creating" marker.
		{"0.6.14", []string{"venv", "--python", "/py/bin/python3", "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", "/v"}},
		{"0.4.4", []string{"venv", "--python", "/py/bin/python3", "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", "/v"}},
		{"0.8.0", []string{"venv", "--python", "/py/bin/python3", "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", "/v"}},
		{"0.12.18", []string{"venv", "--python", "/py/bin/python3", "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", "/v"}},
		{"0.12.18+3", []string{"venv", "--python", "/py/bin/python3", "--no-project", "--no-python-downloads", "--no-cache", "--allow-existing", "--", "/v"}},
	}
	for _, tt := range tests {
		got, err := VenvArgs(tt.version, "/py/bin/python3", "/v")
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("VenvArgs(%s) = %q, %v\nwant %q", tt.version, got, err, tt.want)
		}
	}
	if _, err := VenvArgs("", "/py", "/v"); err == nil {
		t.Error("VenvArgs accepted an empty version")
	}
}

func TestPipArgs(t *testing.T) {
	if got, want := InstallArgs("/v/bin/python", "/tmp/req.txt"), []string{
		"pip", "install", "--python", "/v/bin/python", "--require-hashes", "--no-deps",
		"--offline", "--no-index", "--reinstall", "-r", "/tmp/req.txt",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("InstallArgs = %q, want %q", got, want)
	}
	if got, want := UninstallArgs("/v/bin/python", []string{"a", "b-c"}), []string{
		"pip", "uninstall", "--python", "/v/bin/python", "--", "a", "b-c",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("UninstallArgs = %q, want %q", got, want)
	}
	if got, want := PipSeedArgs("/v/bin/python", "/p/pip-23.2.1-py3-none-any.whl"), []string{
		"pip", "install", "--python", "/v/bin/python", "--offline", "--no-index", "--no-deps", "--",
		"/p/pip-23.2.1-py3-none-any.whl",
	}; !reflect.DeepEqual(got, want) {
		t.Errorf("PipSeedArgs = %q, want %q", got, want)
	}
	if got := venvPython("/v", "linux"); got != filepath.Join("/v", "bin", "python") {
		t.Errorf("venvPython linux = %s", got)
	}
	if got := venvPython("/v", "windows"); got != filepath.Join("/v", "Scripts", "python.exe") {
		t.Errorf("venvPython windows = %s", got)
	}
}

func TestFindPipWheel(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("unix layouts")
	}
	root := t.TempDir()
	touch := func(p string) string {
		p = filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, nil, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A pyenv-like prefix: bin/python3 -> python3.11, and two minor
	// versions' libraries side by side (only 3.11's counts).
	py311 := touch("pyenv/bin/python3.11")
	os.Symlink("python3.11", filepath.Join(root, "pyenv/bin/python3"))
	want := touch("pyenv/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl")
	touch("pyenv/lib/python3.11/ensurepip/_bundled/setuptools-65.5.0-py3-none-any.whl")
	touch("pyenv/lib/python3.12/ensurepip/_bundled/pip-24.0-py3-none-any.whl")
	// Debian: no ensurepip bundle, wheels in share/python-wheels.
	deb := touch("usr/bin/python3.11")
	os.Symlink("python3.11", filepath.Join(root, "usr/bin/python3"))
	debWheel := touch("usr/share/python-wheels/pip-23.0.1-py3-none-any.whl")
	touch("usr/share/python-wheels/pip-9.0.1-py2.py3-none-any.whl")
	// Several pips in one bundle: the newest wins.
	many := touch("many/bin/python3.9")
	touch("many/lib/python3.9/ensurepip/_bundled/pip-9.0.1-py3-none-any.whl")
	newest := touch("many/lib/python3.9/ensurepip/_bundled/pip-21.2.10-py3-none-any.whl")
	touch("many/lib/python3.9/ensurepip/_bundled/pip-21.2.9-py3-none-any.whl")
	touch("many/lib/python3.9/ensurepip/_bundled/pip-21.2.x-py3-none-any.whl")
	// Nothing at all.
	bare := touch("bare/bin/python3")

	tests := []struct {
		python, want string
	}{
		{filepath.Join(root, "pyenv/bin/python3"), want},
		{py311, want},
		{filepath.Join(root, "usr/bin/python3"), debWheel},
		{deb, debWheel},
		{many, newest},
	}
	for _, tt := range tests {
		got, err := FindPipWheel(tt.python, "linux")
		if err != nil || got != tt.want {
			t.Errorf("FindPipWheel(%s) = %s, %v; want %s", tt.python, got, err, tt.want)
		}
	}
	var nw *NoPipWheelError
	if _, err := FindPipWheel(bare, "linux"); !errors.As(err, &nw) {
		t.Errorf("FindPipWheel(bare) = %v, want a NoPipWheelError", err)
	}
	if _, err := FindPipWheel(filepath.Join(root, "missing"), "linux"); err == nil {
		t.Error("FindPipWheel of a missing interpreter succeeded")
	}

	// The real interpreters, when present.
	var real []string
	if i, ok := testpy.Pyenv()["3.11"]; ok {
		real = append(real, i.Path)
	}
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		real = append(real, "/usr/bin/python3") // Debian's: its pip wheel is in share/python-wheels
	}
	for _, py := range real {
		got, err := FindPipWheel(py, runtime.GOOS)
		t.Logf("pip wheel for %s: %s %v", py, got, err)
		if err == nil && !strings.HasPrefix(filepath.Base(got), "pip-") {
			t.Errorf("FindPipWheel(%s) = %s", py, got)
		}
	}
}

// TestBackendArgvStandIn runs the Backend against a stand-in uv that only
// records its argv and environment. It proves what uv is asked to do and
// with which environment, not that uv does it (the real-uv tests do that).
func TestBackendArgvStandIn(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in is a shell script")
	}
	dir := t.TempDir()
	logf := filepath.Join(dir, "calls")
	stand := filepath.Join(dir, "uv")
	script := "#!/bin/sh\n{ printf 'ARGV'; for a in \"$@\"; do printf ' [%s]' \"$a\"; done; printf '\\n'; env | sort | sed 's/^/ENV /'; } >> " + logf + "\n"
	if err := os.WriteFile(stand, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := &run.Runner{}
	b := &Backend{
		UV:       &Binary{Path: stand, Version: "0.12.18"},
		Runner:   r,
		Environ:  []string{"PATH=/usr/bin:/bin", "VIRTUAL_ENV=/x", "UV_INDEX_URL=http://evil", "PIP_INDEX_URL=http://evil"},
		CacheDir: filepath.Join(dir, "cache"),
		PipWheel: "/w/pip-23.2.1-py3-none-any.whl",
	}
	if b.Name() != "uv" {
		t.Errorf("Name() = %q", b.Name())
	}
	ctx := context.Background()
	venv := filepath.Join(dir, "venv")
	if err := b.Create(ctx, "/opt/py/bin/python3", venv); err != nil {
		t.Fatal(err)
	}
	if err := b.Install(ctx, venv+"/bin/python", "/tmp/req.txt"); err != nil {
		t.Fatal(err)
	}
	if err := b.Uninstall(ctx, venv+"/bin/python", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.Uninstall(ctx, venv+"/bin/python", []string{"old-dist"}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	var argvs []string
	envOK := 0
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "ARGV") {
			argvs = append(argvs, strings.TrimPrefix(l, "ARGV "))
		}
		if strings.HasPrefix(l, "ENV ") {
			kv := strings.TrimPrefix(l, "ENV ")
			switch {
			case strings.HasPrefix(kv, "VIRTUAL_ENV="), strings.HasPrefix(kv, "UV_INDEX_URL="), strings.HasPrefix(kv, "PIP_INDEX_URL="):
				t.Errorf("leaked into uv's environment: %s", kv)
			case kv == "UV_CACHE_DIR="+b.CacheDir, kv == "UV_NO_CONFIG=1", kv == "UV_PYTHON_DOWNLOADS=never":
				envOK++
			}
		}
	}
	want := []string{
		"[venv] [--python] [/opt/py/bin/python3] [--no-project] [--no-python-downloads] [--no-cache] [--allow-existing] [--] [" + venv + "]",
		"[pip] [install] [--python] [" + venv + "/bin/python] [--offline] [--no-index] [--no-deps] [--] [/w/pip-23.2.1-py3-none-any.whl]",
		"[pip] [install] [--python] [" + venv + "/bin/python] [--require-hashes] [--no-deps] [--offline] [--no-index] [--reinstall] [-r] [/tmp/req.txt]",
		"[pip] [uninstall] [--python] [" + venv + "/bin/python] [--] [old-dist]",
	}
	if !reflect.DeepEqual(argvs, want) {
		t.Errorf("uv was run as\n%s\nwant\n%s", strings.Join(argvs, "\n"), strings.Join(want, "\n"))
	}
	if envOK != 3*len(want) {
		t.Errorf("%d of %d expected UV_ settings seen", envOK, 3*len(want))
	}
	if r.Started.Load() != 4 {
		t.Errorf("%d processes, want 4 (an empty Uninstall starts none)", r.Started.Load())
	}

	// A failing uv is an error that says which step failed.
	os.WriteFile(stand, []byte("#!/bin/sh\necho 'error: boom' >&2\nexit 2\n"), 0o755)
	for name, err := range map[string]error{
		"create":    b.Create(ctx, "/opt/py/bin/python3", venv),
		"install":   b.Install(ctx, venv+"/bin/python", "/tmp/req.txt"),
		"uninstall": b.Uninstall(ctx, venv+"/bin/python", []string{"x"}),
	} {
		var re *run.Error
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "boom") {
			t.Errorf("%s with a failing uv = %v, want a run.Error with uv's stderr", name, err)
		}
	}
	if err := (&Backend{}).Install(ctx, "/v/bin/python", "/r"); err == nil {
		t.Error("a Backend without a binary ran")
	}
}
