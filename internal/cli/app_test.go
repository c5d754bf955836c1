package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/engine"
)

// runApp runs the app in-process as main does and returns what it printed
// and the exit code Report gives.
func runApp(t *testing.T, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	app := New("1.2.3", IO{Stdout: &out, Stderr: &errb, Environ: []string{"PATH=/usr/bin:/bin"}})
	err = Run(context.Background(), app, append([]string{"influx-py"}, args...))
	code = Report(&errb, err)
	return out.String(), errb.String(), code, err
}

func TestVersion(t *testing.T) {
	stdout, stderr, code, _ := runApp(t, "--version")
	if code != ExitOK || stdout != "influx-py version 1.2.3\n" || stderr != "" {
		t.Fatalf("--version: code %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		args    []string
		want    []string
		notWant []string
	}{
		{
			args: []string{"--help"},
			want: []string{"Examples:", "influx-py sync --offline --find-links /srv/wheels", "sync", "check", "--verbose, -v", "--version", "VERSION:\n   1.2.3"},
		},
		{
			args: []string{"sync", "--help"},
			want: []string{"Examples:", "influx-py sync [options]", "--plugin-dir", "--venv", "--lock", "--python", "--cache-dir",
				"--find-links", "--offline", "--dry-run, -n", "--allow-build", "--json", "--verbose, -v",
				"$INFLUXDB3_PLUGIN_DIR"},
		},
		{
			args:    []string{"check", "--help"},
			want:    []string{"Examples:", "influx-py check [options]", "--plugin-dir", "--venv", "--lock", "--python", "--json", "Exit status: 0"},
			notWant: []string{"--offline", "--find-links", "--dry-run", "--allow-build"},
		},
		{
			args: []string{"sync", "-h"},
			want: []string{"Examples:", "--offline"},
		},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code, err := runApp(t, tt.args...)
			if code != ExitOK || err != nil {
				t.Fatalf("code %d, err %v, stderr %q", code, err, stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(stdout, s) {
					t.Errorf("help does not contain %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.notWant {
				if strings.Contains(stdout, s) {
					t.Errorf("help contains %q:\n%s", s, stdout)
				}
			}
			if stderr != "" {
				t.Errorf("help wrote to stderr: %q", stderr)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	const appHint = "influx-py: hint: run 'influx-py --help' or 'influx-py help COMMAND' for usage\n"
	cmdHint := func(cmd string) string {
		return "influx-py: hint: run 'influx-py " + cmd + " --help' for usage and examples\n"
	}
	tests := []struct {
		args []string
		msg  string
		hint string
	}{
		{[]string{"--bogus"}, "unknown flag --bogus for influx-py", appHint},
		{[]string{"sync", "--bogus"}, "unknown flag --bogus for influx-py sync", cmdHint("sync")},
		{[]string{"check", "--offline"}, "unknown flag --offline for influx-py check", cmdHint("check")},
		{[]string{"sync", "--plugn-dir", "x"}, "unknown flag --plugn-dir for influx-py sync (did you mean --plugin-dir?)", cmdHint("sync")},
		{[]string{"sync", "--offl"}, "unknown flag --offl for influx-py sync (did you mean --offline?)", cmdHint("sync")},
		{[]string{"sync", "--of"}, "unknown flag --of for influx-py sync", cmdHint("sync")},
		{[]string{"sync", "extra-arg"}, `sync takes no arguments, got ["extra-arg"]`, cmdHint("sync")},
		{[]string{"check", "a", "b"}, `check takes no arguments, got ["a" "b"]`, cmdHint("check")},
		{[]string{"sync", "--plugin-dir"}, "--plugin-dir needs a value (a DIR)", cmdHint("sync")},
		{[]string{"sync", "--lock-timeout", "5"}, `invalid value "5" for --lock-timeout: want a duration such as 30s, 2m or 1h`, cmdHint("sync")},
		{[]string{"sync", "--backend", "conda"}, `invalid value "conda" for --backend: want auto, uv, pip`, cmdHint("sync")},
		{[]string{"add", "pandas", "--backend", "upi"}, `invalid value "upi" for --backend: want auto, uv, pip (did you mean "uv"?)`, cmdHint("add")},
		{[]string{"uv", "fecth"}, `unknown command "fecth" for influx-py uv (did you mean "fetch"?)`, cmdHint("uv")},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code, err := runApp(t, tt.args...)
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("error %T %v is not a usage error", err, err)
			}
			if code != ExitError {
				t.Errorf("exit code %d, want %d", code, ExitError)
			}
			want := errPrefix + tt.msg + "\n" + tt.hint
			if stderr != want {
				t.Errorf("stderr =\n%q\nwant\n%q", stderr, want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

// TestUnknownCommand: a mistyped command is a usage error that names it and
// suggests the nearest command, exit 2, with the usage hint.
func TestUnknownCommand(t *testing.T) {
	stdout, stderr, code, err := runApp(t, "snyc")
	if err == nil || code != ExitError {
		t.Fatalf("code %d, err %v", code, err)
	}
	if !strings.HasPrefix(stderr, errPrefix) || !strings.Contains(stderr, `unknown command "snyc" (did you mean "sync"?)`) || !strings.Contains(stderr, "hint: run 'influx-py --help'") {
		t.Errorf("stderr = %q, want an error naming the command and suggesting sync", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestLocationErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		args   []string
		target any
		hint   string
	}{
		{[]string{"sync", "--plugin-dir", "/nonexistent"}, nil, "pass --plugin-dir DIR (or set INFLUXDB3_PLUGIN_DIR) to an existing directory"},
		{[]string{"check", "--plugin-dir", "/nonexistent"}, nil, "pass --plugin-dir DIR (or set INFLUXDB3_PLUGIN_DIR) to an existing directory"},
		{[]string{"-v", "sync", "--dry-run", "--plugin-dir", "/nonexistent"}, nil, "pass --plugin-dir DIR (or set INFLUXDB3_PLUGIN_DIR) to an existing directory"},
		{[]string{"sync", "--plugin-dir", empty}, new(*engine.NoLockError), "make one with 'influx-py add SPEC...' (or 'influx-py add --from-plugins'), or pass --lock FILE, or --plugin-dir DIR for a plugin dir that has a pylock.toml"},
		{[]string{"check", "--json", "--plugin-dir", empty}, new(*engine.NoLockError), "make one with 'influx-py add SPEC...' (or 'influx-py add --from-plugins'), or pass --lock FILE, or --plugin-dir DIR for a plugin dir that has a pylock.toml"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code, err := runApp(t, tt.args...)
			if tt.target == nil {
				if !errors.Is(err, engine.ErrNoPluginDir) {
					t.Fatalf("error %v, want ErrNoPluginDir", err)
				}
			} else if !errors.As(err, tt.target) {
				t.Fatalf("error %T %v, want %T", err, err, tt.target)
			}
			if code != ExitError {
				t.Errorf("exit code %d, want %d", code, ExitError)
			}
			want := errPrefix + err.Error() + "\n" + hintPrefix + tt.hint + "\n"
			if stderr != want {
				t.Errorf("stderr =\n%q\nwant\n%q", stderr, want)
			}
			// With --json the error is also the result on stdout.
			if slices.Contains(tt.args, "--json") {
				var out jsonError
				if jerr := json.Unmarshal([]byte(stdout), &out); jerr != nil || out.Error.Message != err.Error() || out.Error.Code != "no_lock" {
					t.Errorf("stdout = %q, want a JSON error", stdout)
				}
			} else if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
	// The missing lock is named by its full path.
	_, stderr, _, _ := runApp(t, "sync", "--plugin-dir", empty)
	if !strings.Contains(stderr, filepath.Join(empty, "pylock.toml")) {
		t.Errorf("stderr %q does not name %s", stderr, filepath.Join(empty, "pylock.toml"))
	}
}

// TestAuthorizationStaysWithItsOrigin: a redirect to another port of the
// same host does not carry the Authorization header (Go's own rule would).
func TestAuthorizationStaysWithItsOrigin(t *testing.T) {
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
	}))
	defer other.Close()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	}))
	defer origin.Close()
	req, _ := http.NewRequest("GET", origin.URL, nil)
	req.SetBasicAuth("me", "secret")
	resp, err := httpClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if leaked != "" {
		t.Errorf("the other port got Authorization: %q", leaked)
	}
}
