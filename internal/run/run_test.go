package run

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sh = "/bin/sh"

func needSh(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(sh); err != nil {
		t.Skipf("no %s: %v", sh, err)
	}
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		path string
		args []string
		want string
	}{
		{"/bin/echo", nil, "/bin/echo"},
		{"python3", []string{"-m", "pip", "--isolated"}, "python3 -m pip --isolated"},
		{"pip", []string{"--hash=sha256:abc123", "a,b+c@d%e", "x/y.z_w"}, "pip --hash=sha256:abc123 a,b+c@d%e x/y.z_w"},
		{"/opt/my python/bin/python", []string{"a b"}, "'/opt/my python/bin/python' 'a b'"},
		{"echo", []string{""}, "echo ''"},
		{"echo", []string{"", "x", ""}, "echo '' x ''"},
		{"echo", []string{"it's"}, `echo 'it'\''s'`},
		{"echo", []string{"'"}, `echo ''\'''`},
		{"echo", []string{`say "hi"`}, `echo 'say "hi"'`},
		{"echo", []string{"$HOME", "*.whl", "a;b", "a|b", "`x`", "~", "a\tb"}, "echo '$HOME' '*.whl' 'a;b' 'a|b' '`x`' '~' 'a\tb'"},
		{"echo", []string{"héllo"}, "echo 'héllo'"},
		// Inline scripts are summarized by their number of lines.
		{"python3", []string{"-c", "import sys\nprint(sys.version)"}, "python3 -c '<script of 2 lines>'"},
		{"python3", []string{"-c", "import sys\nprint(sys.version)\n"}, "python3 -c '<script of 2 lines>'"},
		{"python3", []string{"-I", "-c", "a\nb\nc\nd\n", "--json"}, "python3 -I -c '<script of 4 lines>' --json"},
		{"python3", []string{"-c", "\n\n"}, "python3 -c '<script of 2 lines>'"},
	}
	for _, tt := range tests {
		if got := CommandLine(tt.path, tt.args); got != tt.want {
			t.Errorf("CommandLine(%q, %q)\n got %s\nwant %s", tt.path, tt.args, got, tt.want)
		}
	}
}

// TestCommandLineRoundTrip pastes the rendered line into a real shell and
// checks the shell sees the same arguments.
func TestCommandLineRoundTrip(t *testing.T) {
	needSh(t)
	args := []string{"", "a b", "it's", `"q"`, "$HOME", "*", "a;b", "x\ty", "plain", "--k=v"}
	line := CommandLine("printf", append([]string{"[%s]\\n"}, args...))
	var r Runner
	out, err := r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", line}, Env: []string{"HOME=/should/not/expand"}})
	if err != nil {
		t.Fatalf("run %s: %v", line, err)
	}
	var want strings.Builder
	for _, a := range args {
		want.WriteString("[" + a + "]\n")
	}
	if string(out) != want.String() {
		t.Fatalf("shell saw\n%s\nwant\n%s\n(line: %s)", out, want.String(), line)
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "exit status without stderr",
			err:  &Error{Cmd: "python3 -m pip", ExitCode: 1, Err: errors.New("exit status 1")},
			want: "python3 -m pip: exit status 1",
		},
		{
			name: "exit status with stderr indented",
			err:  &Error{Cmd: "pip install", ExitCode: 2, Stderr: "ERROR: one\nERROR: two\n\n", Err: errors.New("exit status 2")},
			want: "pip install: exit status 2\n    ERROR: one\n    ERROR: two",
		},
		{
			name: "did not start",
			err:  &Error{Cmd: "/nope", ExitCode: -1, Stderr: "  \n", Err: errors.New("no such file")},
			want: "/nope: no such file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(tt.err, tt.err.Err) {
				t.Errorf("errors.Is(e, e.Err) = false")
			}
		})
	}
}

func TestRunStdout(t *testing.T) {
	needSh(t)
	var r Runner
	out, err := r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", "printf 'hello\\nworld'; echo noise >&2"}})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if string(out) != "hello\nworld" {
		t.Fatalf("stdout = %q, want %q", out, "hello\nworld")
	}
	if n := r.Started.Load(); n != 1 {
		t.Fatalf("Started = %d, want 1", n)
	}
}

func TestRunFailure(t *testing.T) {
	needSh(t)
	var r Runner
	out, err := r.Run(context.Background(), Cmd{
		Path: sh,
		Args: []string{"-c", "echo partial; echo 'first problem' >&2; echo 'ERROR: the reason' >&2; exit 3"},
	})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Run error = %T %v, want *run.Error", err, err)
	}
	if e.ExitCode != 3 {
		t.Errorf("ExitCode = %d, want 3", e.ExitCode)
	}
	if e.Stderr != "first problem\nERROR: the reason\n" {
		t.Errorf("Stderr = %q", e.Stderr)
	}
	wantCmd := CommandLine(sh, []string{"-c", "echo partial; echo 'first problem' >&2; echo 'ERROR: the reason' >&2; exit 3"})
	if e.Cmd != wantCmd {
		t.Errorf("Cmd = %q, want %q", e.Cmd, wantCmd)
	}
	msg := err.Error()
	for _, s := range []string{"exit status 3", "\n    first problem\n    ERROR: the reason"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not contain %q", msg, s)
		}
	}
	// What the child printed before failing is still returned.
	if string(out) != "partial\n" {
		t.Errorf("stdout = %q, want %q", out, "partial\n")
	}
}

func TestRunMissingProgram(t *testing.T) {
	var r Runner
	missing := filepath.Join(t.TempDir(), "no-such-program")
	_, err := r.Run(context.Background(), Cmd{Path: missing, Args: []string{"x"}})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Run error = %T %v, want *run.Error", err, err)
	}
	if e.ExitCode != -1 {
		t.Errorf("ExitCode = %d, want -1", e.ExitCode)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), missing+" x: ") {
		t.Errorf("error %q does not start with the command line", err)
	}
	// A child that never started still counts as an attempt.
	if n := r.Started.Load(); n != 1 {
		t.Errorf("Started = %d, want 1", n)
	}
}

func TestRunStartedCounts(t *testing.T) {
	needSh(t)
	var r Runner
	ctx := context.Background()
	for i, script := range []string{"true", "false", "exit 0"} {
		r.Run(ctx, Cmd{Path: sh, Args: []string{"-c", script}})
		if n := r.Started.Load(); n != int64(i+1) {
			t.Fatalf("after %d runs Started = %d", i+1, n)
		}
	}
}

// TestRunIntercept: the hook sees every call, numbered, and decides whether
// and when the child starts.
func TestRunIntercept(t *testing.T) {
	needSh(t)
	dir := t.TempDir()
	var seen []string
	r := Runner{Intercept: func(n int64, c Cmd, start func() ([]byte, error)) ([]byte, error) {
		seen = append(seen, fmt.Sprintf("%d:%s", n, c.Args[1]))
		if n == 2 {
			return nil, errors.New("injected")
		}
		return start()
	}}
	ctx := context.Background()
	for _, name := range []string{"one", "two", "three"} {
		_, err := r.Run(ctx, Cmd{Path: sh, Args: []string{"-c", "touch " + name}, Dir: dir})
		if (err != nil) != (name == "two") || (err != nil && err.Error() != "injected") {
			t.Fatalf("%s: err = %v", name, err)
		}
	}
	if got := strings.Join(seen, " "); got != "1:touch one 2:touch two 3:touch three" {
		t.Fatalf("intercepted %q", got)
	}
	// The child the hook refused never ran, and is not counted as started.
	for name, want := range map[string]bool{"one": true, "two": false, "three": true} {
		if _, err := os.Stat(filepath.Join(dir, name)); (err == nil) != want {
			t.Errorf("%s ran = %v, want %v", name, err == nil, want)
		}
	}
	if n := r.Started.Load(); n != 2 {
		t.Errorf("Started = %d, want 2", n)
	}
}

func TestRunLog(t *testing.T) {
	needSh(t)
	var log bytes.Buffer
	r := Runner{Log: &log}
	if _, err := r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", "echo hi", "arg 2"}}); err != nil {
		t.Fatal(err)
	}
	r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", "exit 1"}})
	want := "+ /bin/sh -c 'echo hi' 'arg 2'\n+ /bin/sh -c 'exit 1'\n"
	if log.String() != want {
		t.Fatalf("log = %q, want %q", log.String(), want)
	}
}

// TestRunEnvExact checks the child's environment is Cmd.Env and nothing else:
// a nil Env is an empty environment, not the parent's.
func TestRunEnvExact(t *testing.T) {
	const envProg = "/usr/bin/env"
	if _, err := os.Stat(envProg); err != nil {
		t.Skipf("no %s: %v", envProg, err)
	}
	t.Setenv("INFLUX_PY_RUN_TEST_PARENT", "leaked")
	t.Setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
	var r Runner
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"nil env is empty", nil, ""},
		{"empty env is empty", []string{}, ""},
		{"given env only", []string{"ONLY=1", "B=two words"}, "ONLY=1\nB=two words\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := r.Run(context.Background(), Cmd{Path: envProg, Env: tt.env})
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Fatalf("child env = %q, want %q", out, tt.want)
			}
		})
	}

	// The same through a shell, which adds PWD of its own but must not see
	// the parent's variables.
	needSh(t)
	out, err := r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", `printf '%s|%s' "${INFLUX_PY_RUN_TEST_PARENT-unset}" "${PIP_INDEX_URL-unset}"`}})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "unset|unset" {
		t.Fatalf("child saw parent variables: %q", out)
	}
}

func TestRunDirAndWriters(t *testing.T) {
	needSh(t)
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	var r Runner
	out, err := r.Run(context.Background(), Cmd{
		Path:   sh,
		Args:   []string{"-c", "pwd -P; echo live >&2; exit 4"},
		Dir:    dir,
		Stdout: &stdout,
		Stderr: &stderr,
	})
	if len(out) != 0 {
		t.Errorf("Run returned stdout %q although Cmd.Stdout was set", out)
	}
	real, _ := filepath.EvalSymlinks(dir)
	if got := strings.TrimSpace(stdout.String()); got != real {
		t.Errorf("child ran in %q, want %q", got, real)
	}
	if stderr.String() != "live\n" {
		t.Errorf("live stderr = %q, want %q", stderr.String(), "live\n")
	}
	var e *Error
	if !errors.As(err, &e) || e.ExitCode != 4 || e.Stderr != "live\n" {
		t.Fatalf("error = %#v, want exit 4 with stderr kept", err)
	}
}

func TestRunCancel(t *testing.T) {
	sleep := "/bin/sleep"
	if _, err := os.Stat(sleep); err != nil {
		t.Skipf("no %s: %v", sleep, err)
	}
	needSh(t)
	tests := []struct {
		name string
		cmd  Cmd
		// ctx makes the context and says which error it must end with.
		ctx  func() (context.Context, context.CancelFunc)
		want error
		wait time.Duration
		// most is how long Run may take in all.
		most time.Duration
	}{
		{
			name: "cancel",
			cmd:  Cmd{Path: sleep, Args: []string{"30"}},
			ctx: func() (context.Context, context.CancelFunc) {
				ctx, cancel := context.WithCancel(context.Background())
				time.AfterFunc(100*time.Millisecond, cancel)
				return ctx, cancel
			},
			want: context.Canceled,
			most: 4 * time.Second,
		},
		{
			name: "deadline",
			cmd:  Cmd{Path: sleep, Args: []string{"30"}},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			want: context.DeadlineExceeded,
			most: 4 * time.Second,
		},
		{
			// The shell is killed but its own child, sleep, keeps the
			// stderr pipe open: WaitDelay, not the grandchild's 3 s,
			// bounds the wait.
			name: "grandchild holds the pipes",
			cmd:  Cmd{Path: sh, Args: []string{"-c", "/bin/sleep 3; echo done"}},
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			want: context.DeadlineExceeded,
			wait: 300 * time.Millisecond,
			most: 2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Runner{WaitDelay: tt.wait}
			ctx, cancel := tt.ctx()
			defer cancel()
			start := time.Now()
			_, err := r.Run(ctx, tt.cmd)
			took := time.Since(start)
			if took > tt.most {
				t.Errorf("Run took %v, want at most %v after cancellation", took, tt.most)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want one wrapping %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.ExitCode != -1 {
				t.Fatalf("error = %#v, want *run.Error with ExitCode -1", err)
			}
		})
	}
}

func TestRunStderrTail(t *testing.T) {
	needSh(t)
	// 3000 numbered lines of 11 bytes (33000 bytes, over twice the limit),
	// then the line that explains the failure.
	script := `i=1000; while [ $i -lt 4000 ]; do echo "noise $i" >&2; i=$((i+1)); done; echo 'ERROR: the real reason' >&2; exit 1`
	var r Runner
	_, err := r.Run(context.Background(), Cmd{Path: sh, Args: []string{"-c", script}})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %T %v, want *run.Error", err, err)
	}
	if !strings.HasSuffix(e.Stderr, "noise 3999\nERROR: the real reason\n") {
		t.Errorf("stderr tail does not end with the last lines: ...%q", e.Stderr[max(0, len(e.Stderr)-80):])
	}
	if !strings.HasPrefix(e.Stderr, "...\n") {
		t.Errorf("a cut stderr should start with an ellipsis line, starts %q", e.Stderr[:min(20, len(e.Stderr))])
	}
	if strings.Contains(e.Stderr, "noise 1000\n") {
		t.Errorf("stderr kept its beginning, want only the tail")
	}
	if n := len(e.Stderr) - len("...\n"); n != stderrLimit {
		t.Errorf("kept %d bytes of stderr, want the limit %d", n, stderrLimit)
	}
}

func TestTailBuffer(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		writes []string
		want   string
	}{
		{"under the limit", 10, []string{"abc", "def"}, "abcdef"},
		{"exactly the limit", 6, []string{"abc", "def"}, "abcdef"},
		{"over, across writes", 5, []string{"abc", "def", "gh"}, "...\ndefgh"},
		{"one big write", 4, []string{"0123456789"}, "...\n6789"},
		{"cut then small writes", 3, []string{"abcdef", "g"}, "...\nefg"},
		{"nothing", 3, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &tailBuffer{limit: tt.limit}
			for _, w := range tt.writes {
				n, err := b.Write([]byte(w))
				if n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
