package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/influx-py/influx-py/internal/artifact"
	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/run"
)

const (
	errPrefix  = "influx-py: error: "
	hintPrefix = "influx-py: hint: "
)

func TestReportSilent(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"nil", nil, ExitOK},
		{"drift", exitCode(ExitDrift), 1},
		{"wrapped exit code", fmt.Errorf("check: %w", exitCode(ExitDrift)), 1},
		{"other exit code", exitCode(5), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := Report(&out, tt.err); code != tt.code {
				t.Errorf("Report(%v) = %d, want %d", tt.err, code, tt.code)
			}
			if out.Len() != 0 {
				t.Errorf("Report(%v) printed %q, want nothing", tt.err, out.String())
			}
		})
	}
}

func TestReportCanceled(t *testing.T) {
	const want = "influx-py: error: interrupted; the venv is left for the next sync to repair\n"
	for _, err := range []error{
		context.Canceled,
		fmt.Errorf("pip install: %w", &run.Error{Cmd: "python -m pip", ExitCode: -1, Err: fmt.Errorf("%w (signal: killed)", context.Canceled)}),
		fmt.Errorf("download: %w", &artifact.DownloadError{Name: "a.whl", URL: "https://x/a.whl", Err: context.Canceled}),
	} {
		var out bytes.Buffer
		if code := Report(&out, err); code != 130 {
			t.Errorf("Report(%v) = %d, want 130", err, code)
		}
		if out.String() != want {
			t.Errorf("Report(%v) printed %q, want %q", err, out.String(), want)
		}
	}
}

// TestReportHints gives each kind of failure a user can act on and checks
// the exact hint lines, exit code 2 and the error line.
func TestReportHints(t *testing.T) {
	usageHint := "run 'influx-py --help' or 'influx-py help COMMAND' for usage"
	hashHints := []string{
		"the file is not the one the lock was made with; nothing was installed",
		"replace it with the original, or re-create the lock if the change is intended",
	}
	pythonHint := "choose an interpreter with --python PATH (or INFLUX_PY_PYTHON)"
	childErr := &run.Error{Cmd: "/v/bin/python -m pip install", ExitCode: 1, Stderr: "ERROR: something\n", Err: errors.New("exit status 1")}
	tests := []struct {
		name  string
		err   error
		hints []string
	}{
		{"usage", usageError{err: errors.New("flag provided but not defined: -x")}, []string{usageHint}},
		{"hash mismatch", fmt.Errorf("fetch: %w", &artifact.HashMismatchError{Name: "a-1.0-py3-none-any.whl", Source: "/w/a-1.0-py3-none-any.whl", Origin: artifact.SourceFindLinks, Expected: "aa", Actual: "bb"}), hashHints},
		{"size mismatch", &artifact.SizeMismatchError{Name: "a.whl", Source: "https://x/a.whl", Origin: artifact.SourceDownload, Expected: 10, Actual: 9}, hashHints},
		{"missing offline", &artifact.MissingError{Offline: true, Missing: []artifact.Request{{Name: "a-1.0-py3-none-any.whl", Package: "a 1.0"}}}, []string{"copy the files into a --find-links folder, or run once without --offline to fill the cache"}},
		{"missing online", &artifact.MissingError{Missing: []artifact.Request{{Name: "a.whl", Package: "a 1.0"}, {Name: "b.whl", Package: "b 2.0"}}}, []string{"check the lock's url entries and your network, or pass --find-links DIR"}},
		{"no interpreter", &engine.NoInterpreterError{Tried: []string{"/usr/lib/influxdb3/python/bin/python3", "python3"}}, []string{pythonHint}},
		{"probe failed", &interp.ProbeError{Python: "/bad/python", Err: errors.New("not a python")}, []string{pythonHint}},
		// A probe that failed because its child failed is about the
		// interpreter: the first matching kind wins, not the -v hint.
		{"probe failed in its child", fmt.Errorf("sync: %w", &interp.ProbeError{Python: "/bad/python", Err: childErr}), []string{pythonHint}},
		{"no wheel, sdist", &lockfile.NoMatchingWheelError{Package: "numpy", Version: "2.0", WheelTags: []string{"cp312-cp312-win_amd64"}, HasSdist: true}, []string{"lock wheels built for this platform, or pass --allow-build to build the sdist"}},
		{"no wheel", &lockfile.NoMatchingWheelError{Package: "numpy", Version: "2.0", WheelTags: []string{"cp312-cp312-win_amd64"}}, []string{"lock wheels built for this platform and Python version"}},
		{"not a venv", &engine.NotVenvError{Path: "/p/.venv", Reason: "no pyvenv.cfg"}, []string{"influx-py only replaces directories it recognises as venvs; move it away or choose --venv"}},
		{"no lock", &engine.NoLockError{Path: "/p/pylock.toml"}, []string{"make one with 'influx-py add SPEC...' (or 'influx-py add --from-plugins'), or pass --lock FILE, or --plugin-dir DIR for a plugin dir that has a pylock.toml"}},
		{"bad lock", &lockfile.ValidationError{File: "/p/pylock.toml", Index: -1, Field: "lock-version", Msg: "missing"}, []string{"fix the lock file, or re-create it with the tool that wrote it"}},
		{"bad lock, several", fmt.Errorf("read lock: %w", lockfile.ValidationErrors{
			{File: "pylock.toml", Index: 0, Package: "a", Field: "version", Msg: "bad"},
			{File: "pylock.toml", Index: 1, Field: "name", Msg: "missing"},
		}), []string{"fix the lock file, or re-create it with the tool that wrote it"}},
		{"venv of another python", &engine.VenvPythonError{Path: "/p/.venv", VenvVersion: "3.10.1", Python: "/usr/bin/python3", Version: "3.11.2"}, []string{"remove the venv to let influx-py rebuild it for this interpreter, or pass the venv's own --python"}},
		{"child failed", fmt.Errorf("pip install: %w", childErr), []string{"run again with -v to see every command influx-py runs"}},
		{"no plugin dir", fmt.Errorf("plugin dir /nonexistent: %w", engine.ErrNoPluginDir), []string{"pass --plugin-dir DIR (or set INFLUXDB3_PLUGIN_DIR) to an existing directory"}},
		{"plain", errors.New("boom"), nil},
		{"deadline is an ordinary error", fmt.Errorf("download: %w", context.DeadlineExceeded), nil},
		{"lock syntax", &lockfile.SyntaxError{File: "pylock.toml", Line: 3, Column: 1, Msg: "expected ="}, []string{"the lock is not TOML, so no command can read it (influx-py lock neither): fix the line shown, or restore the file from version control"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := Report(&out, tt.err); code != ExitError {
				t.Errorf("Report = %d, want %d", code, ExitError)
			}
			var want strings.Builder
			for _, l := range strings.Split(tt.err.Error(), "\n") {
				want.WriteString(errPrefix + l + "\n")
			}
			for _, h := range tt.hints {
				want.WriteString(hintPrefix + h + "\n")
			}
			if out.String() != want.String() {
				t.Errorf("Report printed\n%s\nwant\n%s", out.String(), want.String())
			}
			checkReportLines(t, out.String())
		})
	}
}

// checkReportLines checks the shape of Report's output: error lines, then
// hint lines, every one with its prefix.
func checkReportLines(t *testing.T, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "\n") {
		t.Errorf("output %q does not end with a newline", out)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], errPrefix) {
		t.Errorf("first line %q does not start with %q", lines[0], errPrefix)
	}
	hints := false
	for _, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, hintPrefix):
			hints = true
		case strings.HasPrefix(l, errPrefix):
			if hints {
				t.Errorf("error line %q after a hint", l)
			}
		default:
			t.Errorf("line %q starts with neither %q nor %q", l, errPrefix, hintPrefix)
		}
	}
}

func TestReportGolden(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{
			name: "usage",
			err:  usageError{err: errors.New(`sync takes no arguments, got ["extra"]`)},
			want: "influx-py: error: sync takes no arguments, got [\"extra\"]\n" +
				"influx-py: hint: run 'influx-py --help' or 'influx-py help COMMAND' for usage\n",
		},
		{
			name: "child stderr, indented, each line prefixed",
			err: fmt.Errorf("pip install: %w", &run.Error{Cmd: "/v/bin/python -m pip", ExitCode: 1,
				Stderr: "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES\n", Err: errors.New("exit status 1")}),
			want: "influx-py: error: pip install: /v/bin/python -m pip: exit status 1\n" +
				"influx-py: error:     ERROR: THESE PACKAGES DO NOT MATCH THE HASHES\n" +
				"influx-py: hint: run again with -v to see every command influx-py runs\n",
		},
		{
			name: "every missing file listed",
			err: &artifact.MissingError{Offline: true,
				Missing: []artifact.Request{{Name: "a-1.0-py3-none-any.whl", Package: "a 1.0"}, {Name: "b-2.0-py3-none-any.whl", Package: "b 2.0"}},
				Looked:  [][]string{{"/wheels", "cache"}, nil}},
			want: "influx-py: error: 2 files are not available offline:\n" +
				"influx-py: error:   a 1.0: a-1.0-py3-none-any.whl (/wheels; cache)\n" +
				"influx-py: error:   b 2.0: b-2.0-py3-none-any.whl\n" +
				"influx-py: hint: copy the files into a --find-links folder, or run once without --offline to fill the cache\n",
		},
		{
			name: "several lock errors, one per line",
			err: fmt.Errorf("read lock: %w", lockfile.ValidationErrors{
				{File: "pylock.toml", Index: 0, Package: "a==1.0", Field: "wheels[0].hashes", Msg: "no sha256"},
				{File: "pylock.toml", Index: 1, Field: "name", Msg: "missing"},
			}),
			want: "influx-py: error: read lock: pylock.toml: package \"a==1.0\" (packages[0]): wheels[0].hashes: no sha256\n" +
				"influx-py: error: pylock.toml: packages[1]: name: missing\n" +
				"influx-py: hint: fix the lock file, or re-create it with the tool that wrote it\n",
		},
		{
			name: "error text ending in newlines",
			err:  errors.New("bad thing\n\n"),
			want: "influx-py: error: bad thing\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if code := Report(&out, tt.err); code != ExitError {
				t.Errorf("Report = %d, want %d", code, ExitError)
			}
			if out.String() != tt.want {
				t.Errorf("Report printed\n%q\nwant\n%q", out.String(), tt.want)
			}
			checkReportLines(t, out.String())
		})
	}
}

func TestPrefixWriter(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"whole lines", []string{"one\n", "two\n"}, "P: one\nP: two\n"},
		{"several lines in one write", []string{"a\nb\nc\n"}, "P: a\nP: b\nP: c\n"},
		{"partial lines held until their newline", []string{"par", "tial", " line\nnext"}, "P: partial line\n"},
		{"held part completed later", []string{"x", "\n", "y\nz", "z\n"}, "P: x\nP: y\nP: zz\n"},
		{"empty line", []string{"\n"}, "P: \n"},
		{"no newline at all", []string{"abc", "def"}, ""},
		{"empty writes", []string{"", "a", "", "\n", ""}, "P: a\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			w := prefixWriter(&out, "P: ")
			for _, s := range tt.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Fatalf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
				}
			}
			if out.String() != tt.want {
				t.Errorf("wrote %q, want %q", out.String(), tt.want)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestPrefixWriterError(t *testing.T) {
	w := prefixWriter(failingWriter{}, "P: ")
	if _, err := w.Write([]byte("held")); err != nil {
		t.Fatalf("a partial line reached the writer: %v", err)
	}
	if _, err := w.Write([]byte(" line\n")); err == nil || err.Error() != "disk full" {
		t.Fatalf("Write error = %v, want the underlying writer's", err)
	}
}

// TestPrefixWriterConcurrent writes whole lines from several goroutines, as
// the engine's log and a child's stderr may: no line may be torn or lost.
func TestPrefixWriterConcurrent(t *testing.T) {
	var out bytes.Buffer
	w := prefixWriter(&out, "influx-py: ")
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < lines; i++ {
				fmt.Fprintf(w, "writer %d line %d\n", g, i)
			}
		}()
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("got %d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "influx-py: writer %d line %d", &g, &i); err != nil {
			t.Fatalf("torn line %q: %v", l, err)
		}
		seen[l] = true
	}
	if len(seen) != writers*lines {
		t.Fatalf("%d distinct lines, want %d", len(seen), writers*lines)
	}
}

func TestWriteJSON(t *testing.T) {
	var out bytes.Buffer
	res := &engine.CheckResult{Venv: "/p/.venv", Lock: "/p/pylock.toml", InSync: true, Problems: []string{},
		Plan: &engine.Plan{Install: []engine.Want{}, Replace: []engine.Change{}, Remove: []engine.Have{}, Keep: []engine.Want{}}}
	if err := writeJSON(&out, res); err != nil {
		t.Fatal(err)
	}
	want := `{
  "plugin_dir": "",
  "venv": "/p/.venv",
  "lock": "/p/pylock.toml",
  "python": "",
  "python_version": "",
  "in_sync": true,
  "problems": [],
  "plan": {
    "install": [],
    "replace": [],
    "remove": [],
    "keep": [],
    "adopted": []
  },
  "damage": []
}
`
	if out.String() != want {
		t.Errorf("writeJSON =\n%s\nwant\n%s", out.String(), want)
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain: pip 24.0 from /x": "plain: pip 24.0 from /x",
		"tab\tstays":              "tab\tstays",
		"\x1b]0;owned\x07title":   `\x1b]0;owned\x07title`,
		"erase\rline":             `erase\x0dline`,
		"\x1b[2J clear":           `\x1b[2J clear`,
		"é and ü stay":            "é and ü stay",
		"bad \xff byte":           `bad \xff byte`,
		"c1 \u009b control":       `c1 \x9b control`,
		"bidi \u202e override":    `bidi \u202e override`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	var b bytes.Buffer
	Report(&b, errors.New("lock says \x1b[31mred\x1b[0m"))
	if strings.ContainsRune(b.String(), 0x1b) || !strings.Contains(b.String(), `\x1b[31mred`) {
		t.Errorf("Report let an escape sequence through: %q", b.String())
	}
}
