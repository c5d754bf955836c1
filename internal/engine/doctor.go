package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
	Hint   string `json:"hint"`
}

// DoctorOptions are doctor's inputs.
type DoctorOptions struct {
	Where    Where
	CacheDir string
	UV       string
	UVMirror string
}

// doctor collects findings.
type doctor []Finding

func (d *doctor) add(check string, ok bool, hint, format string, args ...any) {
	f := Finding{Check: check, OK: ok, Detail: fmt.Sprintf(format, args...)}
	if !ok {
		f.Hint = hint
	}
	*d = append(*d, f)
}

// Doctor checks everything a sync depends on and says, for each problem,
// what to do. It changes nothing; it may start the interpreter (to probe it)
// and the venv's pip (as the server does), but no installer.
func (e *Engine) Doctor(ctx context.Context, opts DoctorOptions) []Finding {
	var d doctor
	loc, err := Locate(opts.Where, e.Sys)
	if err != nil {
		d.add("locations", false, "pass --plugin-dir and --python", "%v", err)
		return d
	}
	d.add("plugin dir", true, "", "%s", loc.PluginDir)
	if f, err := os.CreateTemp(loc.PluginDir, ".influx-py-doctor-*"); err != nil {
		d.add("plugin dir writable", false, "run as the user that owns the plugin dir", "%v", err)
	} else {
		f.Close()
		os.Remove(f.Name())
		d.add("plugin dir writable", true, "", "yes")
	}
	info := e.doctorInterpreter(ctx, &d, loc, opts)
	e.doctorUV(ctx, &d, opts)
	doctorLock(&d, loc, info)
	e.doctorVenv(ctx, &d, loc, info)
	if ve := envValue(e.Environ, "VIRTUAL_ENV"); ve != "" {
		same := false
		if abs, err := filepath.Abs(ve); err == nil {
			if real, err := fsutil.FollowLink(abs); err == nil {
				same = filepath.Clean(real) == filepath.Clean(loc.Venv)
			}
		}
		d.add("VIRTUAL_ENV", same, "unset VIRTUAL_ENV, or pass --venv "+ve+" to sync that one", "%s%s", ve,
			map[bool]string{true: " (this venv)", false: ": a server started from this environment would use it (--virtual-env-location), not " + loc.Venv}[same])
	}
	return d
}

func (e *Engine) doctorInterpreter(ctx context.Context, d *doctor, loc *Locations, opts DoctorOptions) *interp.Info {
	info, err := e.probe(ctx, opts.CacheDir, loc.Python)
	if err != nil {
		d.add("interpreter", false, "choose a working interpreter with --python", "%s (%s): %v", loc.Python, loc.PythonFrom, err)
		return nil
	}
	d.add("interpreter", true, "", "%s (%s): %s %s", loc.Python, loc.PythonFrom, info.Implementation, info.FullVersion)
	d.add("venv module", info.HasVenv, "install the venv module (Debian: apt-get install python3-venv)", "%v", yesNo(info.HasVenv))
	d.add("pip for new venvs", len(info.PipWheels) > 0 || info.HasEnsurepip,
		"install ensurepip's wheels (Debian: python3-venv), or sync with uv", "%s", pipSource(info))
	return info
}

func (e *Engine) doctorUV(ctx context.Context, d *doctor, opts DoctorOptions) {
	bin, err := e.FindUV(ctx, UVOptions{Path: opts.UV, Mirror: opts.UVMirror, CacheDir: opts.CacheDir, Offline: true})
	why, gone := unavailable(err)
	switch {
	case gone:
		// Not a fault: sync falls back to pip. Say how to get the fast path.
		d.add("uv", true, "", "not available, so sync uses pip (%s); 'influx-py uv fetch' gets it", why)
	case err != nil:
		d.add("uv", false, "remove the cached uv and run 'influx-py uv fetch', or pass --uv PATH", "%v", err)
	default:
		d.add("uv", true, "", "uv %s at %s, verified", bin.Version, bin.Path)
	}
}

func doctorLock(d *doctor, loc *Locations, info *interp.Info) {
	lock, _, err := readLock(loc.Lock)
	switch {
	case err == nil && lock == nil:
		d.add("lock", false, "create one with 'influx-py add SPEC' or pass --lock", "%s does not exist", loc.Lock)
	case err != nil:
		d.add("lock", false, "fix the lock, or re-create it with the tool that wrote it", "%v", err)
	default:
		d.add("lock", true, "", "%s: %d packages", loc.Lock, len(lock.Packages))
		if info != nil {
			_, err := lock.Select(lockfile.Env{Markers: info.MarkerVars(), PythonFullVersion: info.FullVersion, Tags: info.Tags()})
			d.add("lock fits the interpreter", err == nil, "re-lock for this interpreter with 'influx-py lock'", "%s", errOr(err, "every package has a file for Python "+info.FullVersion))
		}
	}
}

// doctorVenv reports the venv with sync's own verdict (venvView.verdict),
// then runs the server's probe of it.
func (e *Engine) doctorVenv(ctx context.Context, d *doctor, loc *Locations, info *interp.Info) {
	v, err := e.viewVenv(loc)
	if err == nil {
		err = v.loadDists()
	}
	if err != nil {
		d.add("venv", false, "", "%v", err)
		return
	}
	st := v.state
	switch {
	case !st.Health.Exists || st.Health.Empty:
		d.add("venv", false, "run 'influx-py sync' to create it", "%s does not exist", loc.Venv)
		return
	case st.Health.NotVenv && !v.installing:
		d.add("venv", false, "move it away, or choose --venv", "%s holds files but no pyvenv.cfg", loc.Venv)
		return
	}
	d.add("venv", st.Health.OK(), "run 'influx-py sync' to repair it", "%s: %s", loc.Venv, errOr(problems(st.Health.Problems), "healthy, made by Python "+st.Version))
	if info != nil {
		action, why, err := v.verdict(info)
		switch {
		case err != nil:
			d.add("version policy", false, "remove the venv, or pass the --python it was made with", "sync refuses it: %v", err)
		case action != venvKeep:
			d.add("version policy", false, "run 'influx-py sync' to rebuild the venv", "sync makes it again: %s", why)
		case st.Version != info.FullVersion:
			d.add("version policy", true, "", "Python %s -> %s is a patch upgrade: the venv is kept", st.Version, info.FullVersion)
		default:
			d.add("version policy", true, "", "same Python minor version: kept as is")
		}
	}
	// What only running it shows, and what the InfluxDB 3 server runs
	// before it starts: `python -m pip --version` in the venv.
	if err := e.pipWorks(ctx, v.layout); err != nil {
		d.add("venv interpreter and pip", false, "run 'influx-py sync' to rebuild the venv: the InfluxDB 3 server needs a working pip in it", "%s -m pip --version fails: %s", v.layout.Python(), childReason(err))
	} else {
		d.add("venv interpreter and pip", true, "", "%s -m pip --version works", v.layout.Python())
	}
	if v.installing {
		what := "an earlier sync was interrupted"
		if v.marker.Phase == venv.PhaseCreating {
			what += " while creating the venv"
		}
		d.add("last sync", false, "run 'influx-py sync' to repair", "%s (%s)", what, v.marker.Info)
	}
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
