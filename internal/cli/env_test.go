package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/term"

	"github.com/influx-py/influx-py/internal/testpy"
)

// runActivation runs the app in-process, as main does, with the caller's
// environment given as environ.
func runActivation(t *testing.T, environ []string, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	stdio := IO{Stdout: &out, Stderr: &errb, Environ: environ}
	app := New("1.2.3", stdio)
	err = app.RunContext(context.Background(), append([]string{"influx-py"}, args...))
	code = Report(&errb, err)
	return out.String(), errb.String(), code, err
}

// fakeVenv is a directory with a pyvenv.cfg: enough to be entered, with
// problems (no interpreter) that env warns about.
func fakeVenv(t *testing.T) (pluginDir, venvDir string) {
	t.Helper()
	pluginDir = t.TempDir()
	venvDir = filepath.Join(pluginDir, ".venv")
	if err := os.MkdirAll(venvDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(venvDir, "pyvenv.cfg"), []byte("home = /usr/bin\nversion = 3.11.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return pluginDir, venvDir
}

func TestEnvCommand(t *testing.T) {
	dir, venvDir := fakeVenv(t)
	tests := []struct {
		name    string
		environ []string
		args    []string
		want    []string // lines of stdout
	}{
		{"default shell from $SHELL", []string{"SHELL=/usr/bin/zsh"}, []string{"env", "--plugin-dir", dir},
			[]string{"# Use: eval \"$(influx-py env --shell zsh)\"; leave with: deactivate", "VIRTUAL_ENV='" + venvDir + "'"}},
		{"no $SHELL: sh", nil, []string{"env", "--plugin-dir", dir},
			[]string{"# Use: eval \"$(influx-py env --shell sh)\"; leave with: deactivate"}},
		{"--shell over $SHELL", []string{"SHELL=/bin/tcsh"}, []string{"env", "--plugin-dir", dir, "--shell", "fish"},
			[]string{"set -gx VIRTUAL_ENV '" + venvDir + "'"}},
		{"--venv", nil, []string{"env", "--venv", venvDir, "--shell", "powershell"},
			[]string{"$env:VIRTUAL_ENV = '" + venvDir + "'"}},
		{"INFLUX_PY_SHELL", []string{"INFLUX_PY_SHELL=pwsh"}, []string{"env", "--plugin-dir", dir},
			[]string{"$env:VIRTUAL_ENV_PROMPT = '.venv'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" {
				t.Skip("POSIX default shells")
			}
			for _, kv := range tt.environ {
				k, v, _ := strings.Cut(kv, "=")
				if strings.HasPrefix(k, "INFLUX_PY_") {
					t.Setenv(k, v) // flags read their variables from the process
				}
			}
			stdout, stderr, code, err := runActivation(t, tt.environ, tt.args...)
			if code != ExitOK {
				t.Fatalf("code %d, err %v, stderr %s", code, err, stderr)
			}
			lines := strings.Split(stdout, "\n")
			for _, w := range tt.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			// The fake venv has no interpreter: said on stderr, never on
			// stdout, which the shell evaluates.
			if !strings.Contains(stderr, "influx-py: warning: venv "+venvDir+": ") || !strings.Contains(stderr, "influx-py sync") {
				t.Errorf("stderr does not warn about the broken venv: %q", stderr)
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	dir, _ := fakeVenv(t)
	empty := t.TempDir()
	tests := []struct {
		name    string
		environ []string
		args    []string
		usage   bool
		msg     string
	}{
		{"unknown --shell", nil, []string{"env", "--plugin-dir", dir, "--shell", "tcsh"}, true,
			`unknown shell "tcsh" (from --shell): choose one of sh, bash, zsh, fish, powershell, cmd`},
		{"unknown $SHELL", []string{"SHELL=/bin/tcsh"}, []string{"env", "--plugin-dir", dir}, true,
			`unknown shell "tcsh" (from $SHELL=/bin/tcsh): choose one of sh, bash, zsh, fish, powershell, cmd; pass --shell`},
		{"an argument", nil, []string{"env", "--plugin-dir", dir, "bash"}, true, `env takes no arguments, got ["bash"]`},
		{"no venv", nil, []string{"env", "--plugin-dir", empty, "--shell", "bash"}, false,
			"no venv to enter at " + filepath.Join(empty, ".venv") + ": the directory does not exist; run 'influx-py sync' to create it"},
		{"no plugin dir", nil, []string{"env", "--plugin-dir", filepath.Join(empty, "nope"), "--shell", "bash"}, false,
			"plugin dir " + filepath.Join(empty, "nope") + ": plugin directory does not exist"},
		{"cmd needs a Windows venv", nil, []string{"env", "--plugin-dir", dir, "--shell", "cmd"}, false, "cmd can only enter a Windows venv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if runtime.GOOS == "windows" {
				t.Skip("POSIX venvs")
			}
			stdout, stderr, code, err := runActivation(t, tt.environ, tt.args...)
			var u usageError
			if code != ExitError || errors.As(err, &u) != tt.usage || !strings.Contains(stderr, errPrefix+tt.msg) {
				t.Errorf("code %d, err %v (usage error: %v, want %v), stderr:\n%s", code, err, errors.As(err, &u), tt.usage, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestForwardSignal(t *testing.T) {
	tests := []struct {
		sig      os.Signal
		terminal bool
		want     bool
	}{
		// From a terminal the child got these itself, as part of the
		// foreground process group.
		{os.Interrupt, true, false},
		{syscall.SIGQUIT, true, false},
		{syscall.SIGHUP, true, false},
		// Without one they were sent to influx-py alone.
		{os.Interrupt, false, true},
		{syscall.SIGQUIT, false, true},
		{syscall.SIGHUP, false, true},
		// No terminal sends SIGTERM.
		{syscall.SIGTERM, true, true},
		{syscall.SIGTERM, false, true},
	}
	for _, tt := range tests {
		if got := forwardSignal(tt.sig, tt.terminal); got != tt.want {
			t.Errorf("forwardSignal(%v, terminal %v) = %v, want %v", tt.sig, tt.terminal, got, tt.want)
		}
	}
}

func TestChildExitCode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shell and signals")
	}
	tests := []struct {
		script string
		want   int
	}{
		{"exit 0", 0},
		{"exit 3", 3},
		{"exit 255", 255},
		{"kill -TERM $$", 128 + 15},
		{"kill -KILL $$", 128 + 9},
	}
	for _, tt := range tests {
		cmd := exec.Command("/bin/sh", "-c", tt.script)
		_ = cmd.Run()
		if got := childExitCode(cmd.ProcessState); got != tt.want {
			t.Errorf("%s: exit code %d, want %d", tt.script, got, tt.want)
		}
	}
}

// realVenv makes a venv with pip, as sync does, with a real interpreter.
func realVenv(t *testing.T) (pluginDir, venvDir string) {
	t.Helper()
	py := testpy.Minor(t, "3.11")
	if runtime.GOOS == "windows" {
		t.Skip("POSIX venvs")
	}
	pluginDir = t.TempDir()
	venvDir = filepath.Join(pluginDir, ".venv")
	cmd := exec.Command(py, "-m", "venv", venvDir)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + pluginDir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("create venv: %v\n%s", err, out)
	}
	return pluginDir, venvDir
}

// TestRunAndEnvInRealVenv runs commands in a real venv through influx-py
// run, evaluates influx-py env in bash, and checks the manual route of the
// InfluxDB docs (source the venv's activate, then pip).
func TestRunAndEnvInRealVenv(t *testing.T) {
	dir, venvDir := realVenv(t)
	// python3 is not on this PATH (pyenv's shims are elsewhere): only the
	// venv's can be found. PYTHONHOME would stop Python from starting if
	// run left it in place; PIP_INDEX_URL must reach the user's command.
	environ := []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "PYTHONHOME=/nonexistent-home", "PIP_INDEX_URL=http://127.0.0.1:9/simple", "LANG=C.UTF-8"}
	run := func(args ...string) (string, string, int) {
		t.Helper()
		stdout, stderr, code, _ := runActivation(t, environ, append([]string{"run", "--plugin-dir", dir, "--"}, args...)...)
		return stdout, stderr, code
	}

	t.Run("python is the venv's", func(t *testing.T) {
		stdout, stderr, code := run("python", "-c", "import os, sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV']); print(os.environ.get('PYTHONHOME')); print(os.environ['PIP_INDEX_URL'])")
		want := venvDir + "\n" + venvDir + "\nNone\nhttp://127.0.0.1:9/simple\n"
		if code != 0 || stdout != want || stderr != "" {
			t.Errorf("code %d, stdout %q (want %q), stderr %q", code, stdout, want, stderr)
		}
	})
	t.Run("pip is the venv's", func(t *testing.T) {
		stdout, stderr, code := run("pip", "--version")
		if code != 0 || !strings.Contains(stdout, filepath.Join(venvDir, "lib", "python3.11", "site-packages", "pip")) {
			t.Errorf("code %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("exit code passes through", func(t *testing.T) {
		for _, n := range []string{"7", "1", "2", "0", "255"} {
			stdout, stderr, code := run("sh", "-c", "echo out; echo err >&2; exit "+n)
			if want := atoi(t, n); code != want || stdout != "out\n" || stderr != "err\n" {
				t.Errorf("exit %s: code %d, stdout %q, stderr %q", n, code, stdout, stderr)
			}
		}
		if _, stderr, code := run("python", "-c", "import os; os.kill(os.getpid(), 15)"); code != 128+15 || stderr != "" {
			t.Errorf("killed by SIGTERM: code %d, stderr %q", code, stderr)
		}
	})
	t.Run("a missing command is named", func(t *testing.T) {
		stdout, stderr, code := run("no-such-command", "x")
		want := errPrefix + `command "no-such-command" not found in ` + filepath.Join(venvDir, "bin") + " or on PATH\n"
		if code != ExitError || stdout != "" || stderr != want {
			t.Errorf("code %d, stdout %q, stderr %q, want %q", code, stdout, stderr, want)
		}
	})
	t.Run("no command is a usage error", func(t *testing.T) {
		_, stderr, code, err := runActivation(t, environ, "run", "--plugin-dir", dir)
		var u usageError
		if code != ExitError || !errors.As(err, &u) || !strings.Contains(stderr, "run needs a command") {
			t.Errorf("code %d, err %v, stderr %q", code, err, stderr)
		}
	})
	t.Run("options before -- are influx-py's, the rest the command's", func(t *testing.T) {
		stdout, stderr, code, _ := runActivation(t, environ, "run", "-v", "--plugin-dir", dir, "--", "python", "-c", "import sys; print(sys.argv[1:])", "-v", "--plugin-dir")
		if code != 0 || stdout != "['-v', '--plugin-dir']\n" || !strings.Contains(stderr, "influx-py: run: "+filepath.Join(venvDir, "bin", "python")) {
			t.Errorf("code %d, stdout %q, stderr %q", code, stdout, stderr)
		}
	})
	t.Run("env evaluated by bash", func(t *testing.T) {
		script, stderr, code, _ := runActivation(t, environ, "env", "--plugin-dir", dir, "--shell", "bash")
		if code != 0 || stderr != "" {
			t.Fatalf("env: code %d, stderr %q", code, stderr)
		}
		out := shell(t, environ, "bash", "-c", script+"\ncommand -v python; echo \"$VIRTUAL_ENV\"; python -c 'import sys; print(sys.prefix)'")
		want := filepath.Join(venvDir, "bin", "python") + "\n" + venvDir + "\n" + venvDir + "\n"
		if out != want {
			t.Errorf("got %q, want %q", out, want)
		}
	})
	t.Run("the venv's own activate, then pip", func(t *testing.T) {
		out := shell(t, environ, "sh", "-c", `. "$1/bin/activate" && command -v pip && pip --version`, "sh", venvDir)
		if !strings.HasPrefix(out, filepath.Join(venvDir, "bin", "pip")+"\n") || !strings.Contains(out, " from "+filepath.Join(venvDir, "lib", "python3.11", "site-packages", "pip")) {
			t.Errorf("got %q", out)
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func shell(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%q: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestRunForwardsSignals sends SIGTERM (and, without a terminal, SIGINT)
// to influx-py while the command runs: the command must get it and its exit
// code must come back.
func TestRunForwardsSignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX signals")
	}
	dir, _ := fakeVenv(t)
	sigs := []os.Signal{syscall.SIGTERM}
	if !term.IsTerminal(int(os.Stdin.Fd())) {
		sigs = append(sigs, os.Interrupt)
	}
	for _, sig := range sigs {
		t.Run(sig.String(), func(t *testing.T) {
			ready := filepath.Join(t.TempDir(), "ready")
			// The trap exits with a code of its own: the command must have
			// seen the signal, not been killed by it.
			script := `trap 'echo got it; exit 42' TERM INT; : > "$1"; i=0; while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; exit 9`
			type result struct {
				stdout string
				code   int
			}
			done := make(chan result, 1)
			go func() {
				stdout, _, code, _ := runActivation(t, []string{"PATH=/usr/bin:/bin"}, "run", "--plugin-dir", dir, "--", "sh", "-c", script, "sh", ready)
				done <- result{stdout, code}
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				if _, err := os.Stat(ready); err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the command did not start")
				}
				time.Sleep(10 * time.Millisecond)
			}
			self, err := os.FindProcess(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			if err := self.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case r := <-done:
				if r.code != 42 || r.stdout != "got it\n" {
					t.Errorf("code %d, stdout %q; want 42 from the command's trap", r.code, r.stdout)
				}
			case <-time.After(15 * time.Second):
				t.Fatal("influx-py run did not end")
			}
		})
	}
}

// TestActivationFlags: env and run take the venv's location and -v, not the
// flags of commands that read the lock or choose an interpreter.
func TestActivationFlags(t *testing.T) {
	for _, cmd := range []string{"env", "run"} {
		stdout, _, code, _ := runActivation(t, nil, cmd, "--help")
		if code != ExitOK {
			t.Fatalf("%s --help: code %d", cmd, code)
		}
		for _, want := range []string{"--plugin-dir", "--venv", "--verbose, -v", "Examples:"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s --help lacks %q", cmd, want)
			}
		}
		for _, not := range []string{"--lock", "--python", "--cache-dir"} {
			if strings.Contains(stdout, not) {
				t.Errorf("%s --help offers %q", cmd, not)
			}
		}
	}
}
