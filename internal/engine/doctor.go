package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/venv"
)

// Finding is one check of doctor.
type Finding struct {
	Check  string `json:"check"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
	Hint   string `json:"hint,omitempty"`
}

// DoctorOptions are doctor's inputs.
type DoctorOptions struct {
	Where    Where
	CacheDir string
	UV       string
	UVMirror string
}

// Doctor checks everything a sync depends on and says, for each problem,
// what to do. It changes nothing; it may start the interpreter (to probe it)
// but no installer.
func (e *Engine) Doctor(ctx context.Context, opts DoctorOptions) []Finding {
	var out []Finding
	add := func(check string, ok bool, hint, format string, args ...any) {
		f := Finding{Check: check, OK: ok, Detail: fmt.Sprintf(format, args...)}
		if !ok {
			f.Hint = hint
		}
		out = append(out, f)
	}
	loc, err := Locate(opts.Where, e.Sys)
	if err != nil {
		add("locations", false, "pass --plugin-dir and --python", "%v", err)
		return out
	}
	add("plugin dir", true, "", "%s", loc.PluginDir)
	if f, err := os.CreateTemp(loc.PluginDir, ".influx-py-doctor-*"); err != nil {
		add("plugin dir writable", false, "run as the user that owns the plugin dir", "%v", err)
	} else {
		f.Close()
		os.Remove(f.Name())
		add("plugin dir writable", true, "", "yes")
	}

	var info *interp.Info
	info, err = e.probe(ctx, opts.CacheDir, loc.Python)
	if err != nil {
		add("interpreter", false, "choose a working interpreter with --python", "%s (%s): %v", loc.Python, loc.PythonFrom, err)
	} else {
		add("interpreter", true, "", "%s (%s): %s %s", loc.Python, loc.PythonFrom, info.Implementation, info.FullVersion)
		add("venv module", info.HasVenv, "install the venv module (Debian: apt-get install python3-venv)", "%v", yesNo(info.HasVenv))
		add("pip for new venvs", len(info.PipWheels) > 0 || info.HasEnsurepip,
			"install ensurepip's wheels (Debian: python3-venv), or sync with uv", "%s", pipSource(info))
	}

	bin, err := e.FindUV(ctx, UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: true})
	why, gone := unavailable(err)
	switch {
	case gone:
		// Not a fault: sync falls back to pip. Say how to get the fast path.
		add("uv", true, "", "not available, so sync uses pip (%s); 'influx-py uv fetch' gets it", why)
	case err != nil:
		add("uv", false, "remove the cached uv and run 'influx-py uv fetch', or pass --uv PATH", "%v", err)
	default:
		add("uv", true, "", "uv %s at %s, verified", bin.Version, bin.Path)
	}

	data, err := os.ReadFile(loc.Lock)
	var lock *lockfile.Lock
	if err != nil {
		add("lock", false, "create one with 'influx-py add SPEC' or pass --lock", "%v", err)
	} else if lock, err = lockfile.Parse(loc.Lock, data); err != nil {
		add("lock", false, "fix the lock, or re-create it with 'influx-py lock'", "%v", err)
	} else {
		add("lock", true, "", "%s: %d packages", loc.Lock, len(lock.Packages))
		if info != nil {
			_, err := lock.Select(lockfile.Env{Markers: info.MarkerVars(), PythonFullVersion: info.FullVersion, Tags: info.Tags()})
			add("lock fits the interpreter", err == nil, "re-lock for this interpreter with 'influx-py lock'", "%s", errOr(err, "every package has a file for Python "+info.FullVersion))
		}
	}

	l := venv.NewLayout(loc.Venv, runtime.GOOS)
	st, err := venv.Inspect(l)
	switch {
	case err != nil:
		add("venv", false, "", "%v", err)
	case !st.Health.Exists || st.Health.Empty:
		add("venv", false, "run 'influx-py sync' to create it", "%s does not exist", loc.Venv)
	case st.Health.NotVenv:
		add("venv", false, "move it away, or choose --venv", "%s holds files but no pyvenv.cfg", loc.Venv)
	default:
		add("venv", st.Health.OK(), "run 'influx-py sync' to repair it", "%s: %s", loc.Venv, errOr(problems(st.Health.Problems), "healthy, made by Python "+st.Version))
		if info != nil {
			major, minor, _ := info.Version()
			same := st.PyVersion.Major == major && st.PyVersion.Minor == minor
			verdict := "same Python minor version: kept as is"
			if same && st.Version != info.FullVersion {
				verdict = fmt.Sprintf("Python %s -> %s is a patch upgrade: the venv is kept", st.Version, info.FullVersion)
			}
			if !same {
				verdict = fmt.Sprintf("made by Python %s, the interpreter is %s: sync rebuilds it from the lock", st.Version, info.FullVersion)
			}
			add("version policy", same, "run 'influx-py sync' to rebuild the venv", "%s", verdict)
		}
		// What only running it shows, and what the InfluxDB 3 server runs
		// before it starts: `python -m pip --version` in the venv.
		if err := e.pipWorks(ctx, l); err != nil {
			add("venv interpreter and pip", false, "run 'influx-py sync' to rebuild the venv: the InfluxDB 3 server needs a working pip in it", "%s -m pip --version fails: %s", l.Python(), childReason(err))
		} else {
			add("venv interpreter and pip", true, "", "%s -m pip --version works", l.Python())
		}
		if m, ok, _ := venv.ReadMarker(l); ok {
			what := "an earlier sync was interrupted"
			if m.Phase == venv.PhaseCreating {
				what += " while creating the venv"
			}
			add("last sync", false, "run 'influx-py sync' to repair", "%s (%s)", what, m.Info)
		}
	}
	if ve := envValue(e.Environ, "VIRTUAL_ENV"); ve != "" {
		same := false
		if abs, err := filepath.Abs(ve); err == nil {
			if real, err := fsutil.FollowLink(abs); err == nil {
				same = filepath.Clean(real) == filepath.Clean(loc.Venv)
			}
		}
		add("VIRTUAL_ENV", same, "unset VIRTUAL_ENV, or pass --venv "+ve+" to sync that one", "%s%s", ve,
			map[bool]string{true: " (this venv)", false: ": a server started from this environment would use it (--virtual-env-location), not " + loc.Venv}[same])
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func errOr(err error, ok string) string {
	if err != nil {
		return err.Error()
	}
	return ok
}

func problems(p []string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%v", p)
}

func pipSource(info *interp.Info) string {
	if len(info.PipWheels) > 0 {
		return info.PipWheels[0]
	}
	if info.HasEnsurepip {
		return "ensurepip"
	}
	return "none"
}
