package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// The sync decisions, on fakes (no Python, no installer): what is created,
// rebuilt, rolled back, repaired and with which backend, with the calls the
// backend saw and the state left on disk.

func TestFakeColdSyncThenNoOp(t *testing.T) {
	w := newFakeWorld(t, "3.12.1", wheelbuild.Many(3, "1.0"))
	res, err := w.sync("pip")
	if err != nil {
		t.Fatal(err)
	}
	if !res.Create || len(res.Plan.Install) != 3 || res.Backend != "pip" {
		t.Fatalf("cold sync: %+v", res)
	}
	if got := strings.Join(w.be.Calls(), "; "); got != "create .venv; install pkg01-1.0-py3-none-any.whl pkg02-1.0-py3-none-any.whl pkg03-1.0-py3-none-any.whl" {
		t.Errorf("backend calls: %s", got)
	}
	// A new venv is not probed: it was just made.
	if len(w.children) != 0 {
		t.Errorf("children: %q", w.children)
	}
	if ok, _ := venv.Installing(venv.NewLayout(w.venv(), "linux")); ok {
		t.Error("the marker is still there after a successful sync")
	}
	if s := w.siblings(); len(s) != 0 {
		t.Errorf("left beside the venv: %v", s)
	}

	w.e = w.engine()
	res, err = w.sync("pip")
	if err != nil || !res.UpToDate {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	if len(w.be.Calls()) != 2 || w.e.Runner.Started.Load() != 0 {
		t.Errorf("the no-op sync called the backend or started a process: %v", w.be.Calls())
	}
}

func TestFakeBackendChoice(t *testing.T) {
	tests := []struct {
		name       string
		backend    string
		python     string
		uvErr      error
		want       string // backend name, or the error's text
		wantReason string
	}{
		{"auto with uv", "auto", "3.12.1", nil, "uv", "uv 0.12.18 available"},
		{"auto, uv unavailable", "auto", "3.12.1", &fakeUnavailable{"offline"}, "pip", "uv unavailable: offline"},
		{"auto, uv refused", "auto", "3.12.1", errors.New("sha256 mismatch for uv"), "error: sha256 mismatch for uv", ""},
		{"uv, unavailable", "uv", "3.12.1", &fakeUnavailable{"offline"}, "error: uv unavailable: offline", ""},
		{"pip", "pip", "3.12.1", nil, "pip", "--backend pip"},
		{"auto on 3.6", "auto", "3.6.15", nil, "pip", "uv does not support Python 3.6.15"},
		{"uv on 3.6", "uv", "3.6.15", nil, "error: uv unavailable: uv does not support Python 3.6.15", ""},
		{"unknown", "conda", "3.12.1", nil, `error: unknown backend "conda" (want auto, uv or pip)`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFakeWorld(t, tt.python, wheelbuild.Many(1, "1.0"))
			w.be.uvErr = tt.uvErr
			res, err := w.sync(tt.backend)
			if strings.HasPrefix(tt.want, "error: ") {
				if err == nil || err.Error() != strings.TrimPrefix(tt.want, "error: ") {
					t.Fatalf("err = %v, want %s", err, tt.want)
				}
				if _, statErr := os.Stat(w.venv()); statErr == nil {
					t.Error("a refused backend left a venv")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Backend != tt.want || res.BackendReason != tt.wantReason {
				t.Errorf("backend %s (%s), want %s (%s)", res.Backend, res.BackendReason, tt.want, tt.wantReason)
			}
		})
	}
}

// A venv made by another Python minor version is rebuilt; when the new one
// cannot be made, the old one is put back as it was.
func TestFakeRebuildAndRollback(t *testing.T) {
	w := newFakeWorld(t, "3.11.7", wheelbuild.Many(2, "1.0"))
	if _, err := w.sync("pip"); err != nil {
		t.Fatal(err)
	}
	stamp, _ := os.ReadFile(filepath.Join(w.venv(), venv.StampFile))

	// The interpreter is now 3.12, and its venv module is broken.
	w.upgrade("3.12.1")
	w.be.failNext["create"] = errors.New("ensurepip is broken")
	w.e = w.engine()
	if _, err := w.sync("pip"); err == nil || !strings.Contains(err.Error(), "ensurepip is broken") {
		t.Fatalf("rebuild with a broken venv module: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(w.venv(), venv.StampFile))
	if string(after) != string(stamp) {
		t.Error("the old venv was not put back as it was")
	}
	if s := w.siblings(); len(s) != 0 {
		t.Errorf("left beside the venv: %v", s)
	}

	// With a working venv module the rebuild goes through.
	w.e = w.engine()
	res, err := w.sync("pip")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Rebuild, "it was made by Python 3.11.7 and the interpreter is Python 3.12.1") || len(res.Plan.Install) != 2 {
		t.Errorf("rebuild: %+v", res)
	}
	st, err := venv.Inspect(venv.NewLayout(w.venv(), "linux"))
	if err != nil || st.Version != "3.12.1" {
		t.Errorf("venv after the rebuild: %v %v", st.Version, err)
	}
	if s := w.siblings(); len(s) != 0 {
		t.Errorf("left beside the venv: %v", s)
	}
}

// A failed install leaves the marker, and nothing of the half-installed
// wheel; the next sync repairs.
func TestFakeFailedInstallIsRepaired(t *testing.T) {
	w := newFakeWorld(t, "3.12.1", wheelbuild.Many(2, "1.0"))
	if _, err := w.sync("pip"); err != nil {
		t.Fatal(err)
	}
	w.writeLock(append(wheelbuild.Many(2, "1.0"), wheelbuild.Spec{Name: "extra", Version: "1.0", Files: map[string][]byte{"extra/__init__.py": []byte("X = 1\n")}}))
	w.be.failNext["install"] = errors.New("disk full")
	w.be.partial = true
	w.e = w.engine()
	if _, err := w.sync("pip"); err == nil || err.Error() != "disk full" {
		t.Fatalf("failed install: %v", err)
	}
	l := venv.NewLayout(w.venv(), "linux")
	if m, ok, _ := venv.ReadMarker(l); !ok || m.Phase != venv.PhaseInstalling {
		t.Errorf("marker after a failed install: %+v %v", m, ok)
	}
	site, _ := filepath.Glob(filepath.Join(w.venv(), "lib", "python*", "site-packages"))
	for _, p := range []string{"extra/__init__.py", "extra-1.0.dist-info"} {
		if _, err := os.Stat(filepath.Join(site[0], p)); err == nil {
			t.Errorf("the failed install left %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(site[0], "pkg01", "__init__.py")); err != nil {
		t.Errorf("the cleanup removed a file of an installed distribution: %v", err)
	}

	w.e = w.engine()
	res, err := w.sync("pip")
	if err != nil {
		t.Fatal(err)
	}
	// The marker means the stamp vouches for nothing installed: each
	// distribution is checked against its wheel, file for file, and kept
	// (adopted) only when it is the wheel's; the venv's pip was probed
	// first.
	if len(res.Plan.Install) != 1 || len(res.Plan.Replace) != 0 || len(res.Plan.Adopted) != 2 {
		t.Errorf("repair plan: %+v", res.Plan)
	}
	if len(w.children) != 1 || !strings.Contains(w.children[0], "-m pip --version") {
		t.Errorf("children of the repair: %q", w.children)
	}
	if ok, _ := venv.Installing(l); ok {
		t.Error("the marker is still there after the repair")
	}
}

// A kept venv whose pip does not run: rebuilt when influx-py made it,
// refused otherwise.
func TestFakeBrokenPip(t *testing.T) {
	w := newFakeWorld(t, "3.12.1", wheelbuild.Many(1, "1.0"))
	if _, err := w.sync("pip"); err != nil {
		t.Fatal(err)
	}
	w.writeLock(wheelbuild.Many(2, "1.0"))
	w.pipBroken = true
	w.e = w.engine()
	res, err := w.sync("pip")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Rebuild, "its interpreter does not start (ModuleNotFoundError: No module named 'pip')") && !strings.HasPrefix(res.Rebuild, "its pip does not run (ModuleNotFoundError: No module named 'pip')") {
		t.Errorf("rebuild reason: %q", res.Rebuild)
	}

	// Someone else's venv (no stamp, no marker): refused, untouched.
	if err := os.Remove(filepath.Join(w.venv(), venv.StampFile)); err != nil {
		t.Fatal(err)
	}
	w.writeLock(wheelbuild.Many(3, "1.0"))
	w.e = w.engine()
	_, err = w.sync("pip")
	var nv *NotVenvError
	if !errors.As(err, &nv) || !strings.Contains(err.Error(), "and influx-py did not make it") {
		t.Fatalf("broken pip in a foreign venv: %v", err)
	}
}

// What a kill leaves, repaired by the next sync without a human.
func TestFakeRecovery(t *testing.T) {
	tests := []struct {
		name  string
		leave func(t *testing.T, w *fakeWorld)
		want  string // what the repair did: "create", "keep" (install into it), "restore"
	}{
		{"killed while creating", func(t *testing.T, w *fakeWorld) {
			os.RemoveAll(w.venv())
			os.MkdirAll(filepath.Join(w.venv(), "bin"), 0o755)
			os.WriteFile(filepath.Join(w.venv(), "bin", "python"), nil, 0o755)
			venv.MarkCreating(venv.NewLayout(w.venv(), "linux"), "test")
		}, "create"},
		{"killed while installing", func(t *testing.T, w *fakeWorld) {
			venv.MarkInstalling(venv.NewLayout(w.venv(), "linux"), "test")
		}, "keep"},
		{"rebuild killed before the new venv had pip", func(t *testing.T, w *fakeWorld) {
			os.Rename(w.venv(), w.venv()+".old-4242")
			os.MkdirAll(w.venv(), 0o755)
			venv.MarkCreating(venv.NewLayout(w.venv(), "linux"), "test")
		}, "restore"},
		{"rebuild killed while the old venv was removed", func(t *testing.T, w *fakeWorld) {
			os.MkdirAll(filepath.Join(w.venv()+".influx-py-tmp", "trash", ".venv.old-1-2", "lib"), 0o755)
			venv.MarkInstalling(venv.NewLayout(w.venv(), "linux"), "test")
		}, "keep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newFakeWorld(t, "3.12.1", wheelbuild.Many(2, "1.0"))
			if _, err := w.sync("pip"); err != nil {
				t.Fatal(err)
			}
			tt.leave(t, w)
			w.e = w.engine()
			before := len(w.be.Calls())
			res, err := w.sync("pip")
			if err != nil {
				t.Fatal(err)
			}
			calls := w.be.Calls()[before:]
			switch tt.want {
			case "create":
				if !res.Create || len(calls) != 2 || !strings.HasPrefix(calls[0], "create") {
					t.Errorf("repair: create %v, calls %v", res.Create, calls)
				}
			case "keep":
				// What the interrupted install finished is adopted (it is
				// the wheels', file for file); the rest is installed.
				if res.Create || res.Rebuild != "" || res.UpToDate || len(calls) > 1 || len(calls) == 1 && !strings.HasPrefix(calls[0], "install") {
					t.Errorf("repair: %+v, calls %v", res, calls)
				}
				if n := len(res.Plan.Keep) + len(res.Plan.Install) + len(res.Plan.Replace); n != 2 {
					t.Errorf("repair plan: %+v", res.Plan)
				}
			case "restore":
				// The old venv is back, up to date: nothing to do.
				if !res.UpToDate || len(calls) != 0 {
					t.Errorf("repair: %+v, calls %v", res, calls)
				}
			}
			if s := w.siblings(); len(s) != 0 {
				t.Errorf("left beside the venv: %v", s)
			}
			if res, err := w.engine().Sync(t.Context(), w.opts("pip")); err != nil || !res.UpToDate {
				t.Errorf("after the repair: %+v %v", res, err)
			}
		})
	}
}
