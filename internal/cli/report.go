package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/awsconfig"
	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/uvbin"
	"github.com/influx-py/influx-py/internal/wheel"
)

// Report prints the one final error of a run on w, with hints for the kinds
// of failure a user can act on, and returns the process exit code.
func Report(w io.Writer, err error) int {
	if err == nil {
		return ExitOK
	}
	var code exitCode
	if errors.As(err, &code) {
		return int(code)
	}
	if isCanceled(err) {
		fmt.Fprintln(w, "influx-py: error: interrupted; the venv is left for the next sync to repair")
		return 130
	}
	// Every line carries the prefix, so that a multi-line message (a child's
	// stderr, each of several lock errors) stays attributable in a log.
	msg := err.Error()
	var syntax *lockfile.SyntaxError
	if errors.As(err, &syntax) && strings.HasSuffix(msg, syntax.Error()) {
		// The lines of the lock around the fault, with a marker under it.
		msg = strings.TrimSuffix(msg, syntax.Error()) + syntax.Detail()
	}
	for _, line := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		fmt.Fprintf(w, "influx-py: error: %s\n", Escape(line))
	}
	_, hints := diagnose(err)
	for _, h := range hints {
		fmt.Fprintf(w, "influx-py: hint: %s\n", Escape(h))
	}
	return ExitError
}

// jsonError is a failed command's result under --json: the same message
// and hints as on stderr, and the kind of failure as a stable code.
type jsonError struct {
	Error struct {
		Message string `json:"message"`
		Hint    string `json:"hint"` // the hints, one per line; "" when there are none
		Code    string `json:"code"`
	} `json:"error"`
}

// writeJSONError writes err as a jsonError; nothing for a run that did
// not fail (check's drift has a result of its own).
func writeJSONError(w io.Writer, err error) {
	var code exitCode
	if err == nil || errors.As(err, &code) {
		return
	}
	var out jsonError
	out.Error.Message = strings.TrimRight(err.Error(), "\n")
	if isCanceled(err) {
		out.Error.Code, out.Error.Message = "interrupted", "interrupted; the venv is left for the next sync to repair"
	} else {
		var hints []string
		out.Error.Code, hints = diagnose(err)
		out.Error.Hint = strings.Join(hints, "\n")
	}
	writeJSON(w, out)
}

// diagnose names the kind of a failure (the code of a --json error) and
// what the user can do about it.
func diagnose(err error) (code string, hints []string) {
	var (
		usage    usageError
		hash     *artifact.HashMismatchError
		size     *artifact.SizeMismatchError
		missing  *artifact.MissingError
		noPy     *engine.NoInterpreterError
		probe    *interp.ProbeError
		noWheel  *lockfile.NoMatchingWheelError
		child    *run.Error
		notVenv  *engine.NotVenvError
		noLock   *engine.NoLockError
		badLock  *lockfile.ValidationError
		syntax   *lockfile.SyntaxError
		badPyver *engine.VenvPythonError
		uvSum    *uvbin.ChecksumError
		uvGone   interface{ Unavailable() string }
		waited   *engine.LockTimeoutError
		noSpace  *engine.NoSpaceError
		overw    *engine.OverwriteError
		dropped  *engine.DroppedError
		unsafe   *wheel.UnsafeError
		unsafeUn *engine.UnsafeUninstallError
		mismatch *engine.MismatchError
		unsafeD  *fsutil.UnsafeDirError
		hashPin  *engine.HashPinError
		option   *engine.OptionError
		traced   *engine.TracedError
		noPlug   *engine.NoPluginsError
		unfound  *engine.UnfoundError
		noIndex  *engine.IndexUnreachableError
		target   *engine.TargetError
		srcErr   *engine.SourceError
		readOnly *engine.ReadOnlyLockError
		notWH    *engine.NotWheelhouseError
		awsConf  *awsconfig.ConfigError
	)
	switch {
	case errors.As(err, &usage):
		if usage.cmd != "" {
			return "usage", []string{"run 'influx-py " + usage.cmd + " --help' for usage and examples"}
		}
		return "usage", []string{"run 'influx-py --help' or 'influx-py help COMMAND' for usage"}
	case errors.As(err, &waited):
		return "lock_timeout", []string{"another influx-py is still working on this venv; wait longer with --lock-timeout, or see to the process named above"}
	case errors.As(err, &noSpace):
		return "no_space", []string{"nothing was changed; free space on the filesystem holding " + noSpace.Dir + ", or put the venv elsewhere with --venv"}
	case errors.As(err, &overw):
		return "overwrite", []string{"nothing was changed; the lock asks for a wheel that clobbers another distribution: lock another version, or remove the package"}
	case errors.As(err, &unsafeD):
		return "unsafe_cache", []string{"make it yours alone (chown, chmod 700), or pass --cache-dir DIR (INFLUX_PY_CACHE_DIR)"}
	case errors.As(err, &unsafe), errors.As(err, &mismatch):
		return "unsafe_wheel", []string{"nothing was installed; the wheel is not what a lock may install: lock another file, or remove the package"}
	case errors.As(err, &unsafeUn):
		return "unsafe_uninstall", []string{"nothing was changed; remove the venv (influx-py sync makes it again) rather than let an installer delete outside it"}
	case errors.As(err, &dropped):
		return "dropped_requirement", []string{"the lock is unchanged; re-lock on a machine of the platform that requirement is for, or remove it with 'influx-py remove'"}
	case errors.As(err, &hashPin):
		return "hash_pin", []string{"the lock is unchanged; the --hash pin is for another file: correct the pin, or pin the version whose file it names"}
	case errors.As(err, &option):
		return "requirements_option", []string{"the lock is unchanged; remove the option from the file, or give what it means on influx-py's command line"}
	case errors.As(err, &target):
		add := "influx-py lock --target " + target.Here
		for _, t := range target.Targets {
			add += " --target " + t
		}
		if target.Relock {
			return "target", []string{"lock for this machine too (" + add + "), or pass --no-sync to lock for the other nodes only"}
		}
		return "target", []string{"nothing was changed; lock for this machine too: " + add}
	case errors.As(err, &readOnly):
		return "read_only_lock", []string{"edit the lock where it is kept (a clone, a local copy), then publish it; a node syncs from the source with --lock"}
	case errors.As(err, &notWH):
		return "not_wheelhouse", []string{"give an empty or new folder, or one made by 'influx-py wheelhouse'"}
	case errors.As(err, &awsConf):
		return "aws_config", []string{"nothing was changed; correct the AWS configuration named (the environment, ~/.aws/config, ~/.aws/credentials), or choose a profile with ?aws_profile=NAME in the source or AWS_PROFILE"}
	case errors.As(err, &srcErr):
		if srcErr.NotFound() {
			return "source_not_found", []string{"check the bucket, path or URL; nothing was changed"}
		}
		return "source_unreachable", []string{"nothing was changed; check the network and the credentials (AWS: AWS_ACCESS_KEY_ID or ~/.aws/credentials; http: ~/.netrc), and run again with -v"}
	case errors.As(err, &noIndex):
		return "index_unreachable", []string{"the lock is unchanged; check the network and the index URL (--index-url), wait longer with --index-timeout, or resolve from files without an index: --offline --find-links DIR"}
	case errors.As(err, &unfound):
		switch {
		case unfound.NoSources:
			return "not_found", []string{"the lock is unchanged; give the folder of wheels with --find-links DIR, or resolve from an index without --offline"}
		case len(unfound.Missing) == 0:
			return "not_found", []string{"the lock is unchanged; pass --allow-build to build them from source (their build runs their code), or put wheels of them in a --find-links folder"}
		}
		return "not_found", []string{"the lock is unchanged; correct the requirements named, or put wheels that provide them in a --find-links folder (or pass --index-url)"}
	case errors.As(err, &traced):
		return "resolver", []string{"the lock is unchanged; correct the requirement in the file named, or put a wheel that provides it in a --find-links folder",
			"run again with -v to see every command influx-py runs"}
	case errors.As(err, &noPlug):
		return "no_plugins", []string{"give each plugin a requirements.txt (or [dependencies] python in its manifest.toml), or add requirements by name: influx-py add SPEC"}
	case errors.As(err, &uvSum):
		return "uv_checksum", []string{"the uv archive or binary is not the one influx-py pins; nothing was installed or run",
			"check --uv-mirror, or remove the cache entry and fetch again"}
	case errors.As(err, &uvGone):
		return "uv_unavailable", []string{"get it with 'influx-py uv fetch' (--uv-mirror URL for a mirror), use one you have with --uv PATH, or sync and add with --backend pip, which needs no uv"}
	case errors.As(err, &hash), errors.As(err, &size):
		return "hash_mismatch", []string{"the file is not the one the lock was made with; nothing was installed",
			"replace it with the original, or re-create the lock if the change is intended"}
	case errors.As(err, &missing):
		if missing.Offline {
			return "missing_file", []string{"copy the files into a --find-links folder, or run once without --offline to fill the cache"}
		}
		return "missing_file", []string{"check the lock's url entries and your network, or pass --find-links DIR"}
	case errors.As(err, &noPy), errors.As(err, &probe):
		return "no_interpreter", []string{"choose an interpreter with --python PATH (or INFLUX_PY_PYTHON)"}
	case errors.As(err, &noWheel):
		if noWheel.HasSdist {
			return "no_wheel", []string{"lock wheels built for this platform, or pass --allow-build to build the sdist"}
		}
		return "no_wheel", []string{"lock wheels built for this platform and Python version"}
	case errors.As(err, &notVenv):
		return "not_venv", []string{"influx-py only replaces directories it recognises as venvs; move it away or choose --venv"}
	case errors.As(err, &noLock):
		return "no_lock", []string{"make one with 'influx-py add SPEC...' (or 'influx-py add --from-plugins'), or pass --lock FILE, or --plugin-dir DIR for a plugin dir that has a pylock.toml"}
	case errors.As(err, &syntax):
		return "bad_lock", []string{"the lock is not TOML, so no command can read it (influx-py lock neither): fix the line shown, or restore the file from version control"}
	case errors.As(err, &badLock):
		return "bad_lock", []string{"fix the lock file, or re-create it with the tool that wrote it"}
	case errors.As(err, &badPyver):
		return "venv_python", []string{"remove the venv to let influx-py rebuild it for this interpreter, or pass the venv's own --python"}
	case errors.As(err, &child):
		return "child_failed", []string{"run again with -v to see every command influx-py runs"}
	case errors.Is(err, engine.ErrNoPluginDir):
		return "no_plugin_dir", []string{"pass --plugin-dir DIR (or set INFLUXDB3_PLUGIN_DIR) to an existing directory"}
	}
	return "error", nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Requirements (">=", "<") and markers are not HTML: write them as
	// they are.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// prefixWriter starts every line written to w with prefix. Diagnostics are
// written a line at a time; partial lines are held until their newline.
func prefixWriter(w io.Writer, prefix string) io.Writer {
	return &prefixer{w: w, prefix: prefix}
}

type prefixer struct {
	mu     sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *prefixer) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if _, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, Escape(string(p.buf[:i]))); err != nil {
			return 0, err
		}
		p.buf = p.buf[i+1:]
	}
}

// Escape makes a line safe for a terminal: control characters (escape
// sequences, a carriage return that would overwrite the line) and bytes
// that are not UTF-8, which can come from a lock, a server or a child's
// output, are shown as \xNN or \uNNNN; tabs stay.
func Escape(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, "\\x%02x", s[i])
		case r < 0x20 && r != '\t', r == 0x7f, r >= 0x80 && r < 0xa0, r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			// C0 and C1 controls, and the line and bidi overrides that
			// make text read otherwise than it is.
			if r < 0x100 {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
