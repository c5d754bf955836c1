package activate

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/influx-py/influx-py/internal/testpy"
	"github.com/influx-py/influx-py/internal/venv"
)

func TestParseShell(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"sh", "sh", true}, {"bash", "bash", true}, {"zsh", "zsh", true}, {"fish", "fish", true},
		{"powershell", "powershell", true}, {"cmd", "cmd", true},
		{"BASH", "bash", true}, {" zsh ", "zsh", true}, {"pwsh", "powershell", true}, {"PowerShell", "powershell", true},
		{"tcsh", "", false}, {"csh", "", false}, {"", "", false}, {"/bin/bash", "", false}, {"nu", "", false},
	}
	for _, tt := range tests {
		got, err := ParseShell(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShell(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		var unknown *UnknownShellError
		if !tt.ok && (!errors.As(err, &unknown) || !strings.Contains(err.Error(), "sh, bash, zsh, fish, powershell, cmd")) {
			t.Errorf("ParseShell(%q) error %v does not list the shells", tt.in, err)
		}
	}
}

func TestDefaultShell(t *testing.T) {
	tests := []struct {
		goos    string
		environ []string
		want    string
		err     string
	}{
		{"windows", []string{"SHELL=/usr/bin/bash"}, "powershell", ""},
		{"linux", []string{"SHELL=/bin/bash"}, "bash", ""},
		{"darwin", []string{"SHELL=/bin/zsh"}, "zsh", ""},
		{"linux", []string{"SHELL=/usr/local/bin/fish"}, "fish", ""},
		{"linux", []string{"SHELL=/bin/dash"}, "sh", ""},
		{"freebsd", []string{"SHELL=/bin/sh"}, "sh", ""},
		{"openbsd", []string{"SHELL=/bin/ksh"}, "sh", ""},
		{"linux", []string{"SHELL=/opt/microsoft/powershell/7/pwsh"}, "powershell", ""},
		{"linux", nil, "sh", ""},
		{"linux", []string{"SHELL="}, "sh", ""},
		{"linux", []string{"SHELL=/bin/zsh", "SHELL=/bin/bash"}, "bash", ""},
		{"linux", []string{"SHELL=/bin/tcsh"}, "", `unknown shell "tcsh" (from $SHELL=/bin/tcsh)`},
	}
	for _, tt := range tests {
		got, err := DefaultShell(tt.goos, tt.environ)
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && !strings.Contains(err.Error(), tt.err) {
			t.Errorf("DefaultShell(%s, %q) = %q, %v; want %q, %q", tt.goos, tt.environ, got, err, tt.want, tt.err)
		}
	}
}

func TestPrompt(t *testing.T) {
	cfg := func(s string) *venv.Config {
		c, err := venv.ParseConfig([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		l    venv.Layout
		cfg  *venv.Config
		want string
	}{
		{venv.PosixLayout("/srv/plugins/.venv"), nil, ".venv"},
		{venv.PosixLayout("/srv/plugins/.venv/"), nil, ".venv"},
		{venv.PosixLayout("/srv/plugins/.venv"), cfg("home = /usr/bin\nversion = 3.11.7\n"), ".venv"},
		{venv.PosixLayout("/srv/plugins/.venv"), cfg("home = /usr/bin\nprompt = 'plugins'\n"), "plugins"},
		{venv.PosixLayout("/srv/plugins/.venv"), cfg("prompt = \"my env\"\n"), "my env"},
		{venv.PosixLayout("/srv/plugins/.venv"), cfg("prompt = bare\n"), "bare"},
		{venv.WindowsLayout(`C:\plugins\my venv`), nil, "my venv"},
		{venv.WindowsLayout(`C:\plugins\.venv\`), nil, ".venv"},
		{venv.PosixLayout("/"), nil, "/"},
	}
	for _, tt := range tests {
		if got := Prompt(tt.l, tt.cfg); got != tt.want {
			t.Errorf("Prompt(%s) = %q, want %q", tt.l.Root(), got, tt.want)
		}
	}
}

// TestActivateScriptQuoting checks the lines that carry paths and the
// prompt, for every shell, with paths that hold a space and a single quote
// (and for cmd and PowerShell, Windows paths made on any OS).
func TestActivateScriptQuoting(t *testing.T) {
	posix := venv.PosixLayout("/srv/my plugins/it's/.venv")
	win := venv.WindowsLayout(`C:\Users\O'Brien\my plugins\.venv`)
	tests := []struct {
		name, shell string
		l           venv.Layout
		prompt      string
		want        []string // lines the script must hold
	}{
		{"sh", "sh", posix, "it's", []string{
			`VIRTUAL_ENV='/srv/my plugins/it'\''s/.venv'`,
			`export VIRTUAL_ENV`,
			`PATH='/srv/my plugins/it'\''s/.venv/bin'"${PATH:+:$PATH}"`,
			`VIRTUAL_ENV_PROMPT='it'\''s'`,
			`    PS1='(it'\''s) '"${PS1-}"`,
			`    unset PYTHONHOME`,
			`deactivate nondestructive`,
			`# Use: eval "$(influx-py env --shell sh)"; leave with: deactivate`,
		}},
		{"bash", "bash", posix, ".venv", []string{
			`VIRTUAL_ENV='/srv/my plugins/it'\''s/.venv'`,
			`    PS1='(.venv) '"${PS1-}"`,
			`# Use: eval "$(influx-py env --shell bash)"; leave with: deactivate`,
		}},
		{"zsh", "zsh", posix, ".venv", []string{
			`PATH='/srv/my plugins/it'\''s/.venv/bin'"${PATH:+:$PATH}"`,
			`# Use: eval "$(influx-py env --shell zsh)"; leave with: deactivate`,
		}},
		{"sh on Windows converts with cygpath", "bash", win, ".venv", []string{
			`VIRTUAL_ENV='C:\Users\O'\''Brien\my plugins\.venv'`,
			`if command -v cygpath >/dev/null 2>&1; then VIRTUAL_ENV=$(cygpath -u "$VIRTUAL_ENV"); fi`,
			`_INFLUX_PY_BIN='C:\Users\O'\''Brien\my plugins\.venv\Scripts'`,
			`PATH="$_INFLUX_PY_BIN${PATH:+:$PATH}"`,
		}},
		{"fish", "fish", posix, `it's \ back`, []string{
			`set -gx VIRTUAL_ENV '/srv/my plugins/it\'s/.venv'`,
			`set -gx PATH '/srv/my plugins/it\'s/.venv/bin' $PATH`,
			`set -gx VIRTUAL_ENV_PROMPT 'it\'s \\ back'`,
			`        printf '(%s)' 'it\'s \\ back'`,
			`deactivate nondestructive`,
		}},
		{"fish on Windows", "fish", win, ".venv", []string{
			`set -gx VIRTUAL_ENV 'C:\\Users\\O\'Brien\\my plugins\\.venv'`,
			`    set -gx PATH (cygpath -u 'C:\\Users\\O\'Brien\\my plugins\\.venv\\Scripts') $PATH`,
		}},
		{"powershell", "powershell", win, "O'Brien’s", []string{
			`$env:VIRTUAL_ENV = 'C:\Users\O''Brien\my plugins\.venv'`,
			`$env:VIRTUAL_ENV_PROMPT = 'O''Brien’’s'`,
			`$env:PATH = 'C:\Users\O''Brien\my plugins\.venv\Scripts' + [System.IO.Path]::PathSeparator + $env:PATH`,
			`    New-Variable -Name _PYTHON_VENV_PROMPT_PREFIX -Scope Global -Option ReadOnly -Visibility Public -Value 'O''Brien’’s'`,
			`deactivate -NonDestructive`,
		}},
		{"pwsh on Linux", "pwsh", posix, ".venv", []string{
			`$env:VIRTUAL_ENV = '/srv/my plugins/it''s/.venv'`,
			`$env:PATH = '/srv/my plugins/it''s/.venv/bin' + [System.IO.Path]::PathSeparator + $env:PATH`,
		}},
		{"cmd", "cmd", win, ".venv", []string{
			"@set \"VIRTUAL_ENV=C:\\Users\\O'Brien\\my plugins\\.venv\"\r",
			"@set \"PATH=C:\\Users\\O'Brien\\my plugins\\.venv\\Scripts;%PATH%\"\r",
			"@if not defined VIRTUAL_ENV_DISABLE_PROMPT set \"PROMPT=(.venv) %PROMPT%\"\r",
			"@set \"VIRTUAL_ENV_PROMPT=.venv\"\r",
			"@set PYTHONHOME=\r",
		}},
		{"cmd doubles percent signs, dollars in PROMPT, and keeps & between quotes", "cmd",
			venv.WindowsLayout(`D:\R&D\100% $x\.venv`), "a$b%c", []string{
				"@set \"VIRTUAL_ENV=D:\\R&D\\100%% $x\\.venv\"\r",
				"@set \"PATH=D:\\R&D\\100%% $x\\.venv\\Scripts;%PATH%\"\r",
				"@if not defined VIRTUAL_ENV_DISABLE_PROMPT set \"PROMPT=(a$$b%%c) %PROMPT%\"\r",
				"@set \"VIRTUAL_ENV_PROMPT=a$b%%c\"\r",
			}},
		{"cmd escapes a prompt holding a quote with carets", "cmd", win, `say "hi" & <go>`, []string{
			"@if not defined VIRTUAL_ENV_DISABLE_PROMPT set PROMPT=^(say ^\"hi^\" ^& ^<go^>^) %PROMPT%\r",
			"@set VIRTUAL_ENV_PROMPT=say ^\"hi^\" ^& ^<go^>\r",
		}},
		{"cmd switches to UTF-8 for a non-ASCII path", "cmd", venv.WindowsLayout(`C:\Users\José\.venv`), ".venv", []string{
			"@if defined _OLD_CODEPAGE \"%SystemRoot%\\System32\\chcp.com\" 65001 > nul\r",
			"@set \"VIRTUAL_ENV=C:\\Users\\José\\.venv\"\r",
			"@set _OLD_CODEPAGE=\r",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Script(tt.shell, tt.l, tt.prompt)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(got, "\n")
			for _, w := range tt.want {
				if !contains(lines, w) {
					t.Errorf("script lacks line %q:\n%s", w, got)
				}
			}
			// No script mentions a path in a comment, where a line break
			// in the path would end the comment.
			for _, line := range lines {
				if (strings.HasPrefix(line, "#") || strings.HasPrefix(line, "@rem")) && strings.Contains(line, tt.l.Root()) {
					t.Errorf("comment holds the venv path: %q", line)
				}
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func TestActivateScriptErrors(t *testing.T) {
	tests := []struct {
		name, shell string
		l           venv.Layout
		prompt      string
		want        string
	}{
		{"unknown shell", "tcsh", venv.PosixLayout("/v"), "v", "unknown shell"},
		{"colon in a POSIX bin dir", "bash", venv.PosixLayout("/a:b/.venv"), "v", "PATH list separator"},
		{"colon in a POSIX bin dir, fish", "fish", venv.PosixLayout("/a:b/.venv"), "v", "PATH list separator"},
		{"semicolon in a Windows bin dir", "powershell", venv.WindowsLayout(`C:\a;b\.venv`), "v", "PATH list separator"},
		{"cmd on a POSIX venv", "cmd", venv.PosixLayout("/v"), "v", "Windows venv"},
		{"quote in a Windows path for cmd", "cmd", venv.WindowsLayout(`C:\a"b\.venv`), "v", "double quote"},
		{"line break in a prompt for cmd", "cmd", venv.WindowsLayout(`C:\v`), "a\nb", "line break"},
	}
	for _, tt := range tests {
		_, err := Script(tt.shell, tt.l, tt.prompt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	// A Windows drive letter's colon is no obstacle: POSIX shells on Windows
	// convert the path with cygpath.
	if _, err := Script("bash", venv.WindowsLayout(`C:\v`), "v"); err != nil {
		t.Errorf("bash on a Windows venv: %v", err)
	}
}

func TestShPS1(t *testing.T) {
	// A plain prompt is one assignment; a prompt with characters some shell
	// treats specially gets per-shell branches.
	if got, want := shPS1("plugins"), `PS1='(plugins) '"${PS1-}"`; got != want {
		t.Errorf("shPS1(plain) = %s, want %s", got, want)
	}
	for _, p := range []string{`a\b`, "a$b", "a`b", "a%b", "a!b"} {
		if got := shPS1(p); !strings.HasPrefix(got, `if [ -n "${ZSH_VERSION-}" ]; then`) {
			t.Errorf("shPS1(%q) does not branch per shell: %s", p, got)
		}
	}
}

func TestEnv(t *testing.T) {
	posix := venv.PosixLayout("/srv/p/.venv")
	win := venv.WindowsLayout(`C:\p\.venv`)
	tests := []struct {
		name    string
		environ []string
		l       venv.Layout
		want    []string
	}{
		{
			name:    "bin dir first, VIRTUAL_ENV set, PYTHONHOME gone, PIP_ settings kept",
			environ: []string{"HOME=/root", "PATH=/usr/bin:/bin", "PYTHONHOME=/opt/py", "PIP_INDEX_URL=http://mirror/simple", "LANG=C.UTF-8"},
			l:       posix,
			want: []string{"HOME=/root", "PIP_INDEX_URL=http://mirror/simple", "LANG=C.UTF-8",
				"PATH=/srv/p/.venv/bin:/usr/bin:/bin", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "another venv's activation is replaced",
			environ: []string{"VIRTUAL_ENV=/other/.venv", "VIRTUAL_ENV_PROMPT=other", "PATH=/other/.venv/bin:/bin"},
			l:       posix,
			want:    []string{"PATH=/srv/p/.venv/bin:/other/.venv/bin:/bin", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "no PATH at all: just the bin dir, no empty entry (which would mean the current directory)",
			environ: []string{"HOME=/root"},
			l:       posix,
			want:    []string{"HOME=/root", "PATH=/srv/p/.venv/bin", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "empty PATH",
			environ: []string{"PATH="},
			l:       posix,
			want:    []string{"PATH=/srv/p/.venv/bin", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "POSIX names are case-sensitive",
			environ: []string{"Path=/x", "PATH=/bin", "virtual_env=/y", "PythonHome=/z"},
			l:       posix,
			want:    []string{"Path=/x", "virtual_env=/y", "PythonHome=/z", "PATH=/srv/p/.venv/bin:/bin", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "a repeated PATH: the last one counts, as exec takes it",
			environ: []string{"PATH=/first", "X=1", "PATH=/second"},
			l:       posix,
			want:    []string{"X=1", "PATH=/srv/p/.venv/bin:/second", "VIRTUAL_ENV=/srv/p/.venv", "VIRTUAL_ENV_PROMPT=.venv"},
		},
		{
			name:    "Windows: names without case, Path keeps its spelling, ; separates, drive dirs kept",
			environ: []string{"=C:=C:\\p", "Path=C:\\Windows;C:\\Windows\\System32", "PythonHome=C:\\py", "Virtual_Env=C:\\old", "USERPROFILE=C:\\Users\\me"},
			l:       win,
			want: []string{"=C:=C:\\p", "USERPROFILE=C:\\Users\\me", `Path=C:\p\.venv\Scripts;C:\Windows;C:\Windows\System32`,
				`VIRTUAL_ENV=C:\p\.venv`, "VIRTUAL_ENV_PROMPT=.venv"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Env(tt.environ, tt.l, Prompt(tt.l, nil))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	if _, err := Env(nil, venv.PosixLayout("/a:b"), "x"); err == nil || !strings.Contains(err.Error(), "PATH list separator") {
		t.Errorf("bin dir with a colon: err %v", err)
	}
}

func TestFindCommand(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the fixture makes POSIX executables")
	}
	dir := t.TempDir()
	l := venv.PosixLayout(filepath.Join(dir, ".venv"))
	other := filepath.Join(dir, "other")
	for _, d := range []string{l.BinDir(), other, filepath.Join(l.BinDir(), "adir")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string, mode os.FileMode) {
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(l.Script("python"), 0o755)
	write(filepath.Join(other, "python"), 0o755)
	write(l.Script("notexec"), 0o644)
	write(filepath.Join(other, "notexec"), 0o755)
	write(filepath.Join(other, "adir"), 0o755)
	write(filepath.Join(other, "onlyother"), 0o755)

	env, err := Env([]string{"PATH=relative/bin:" + other}, l, "v")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want string }{
		{"python", l.Script("python")},                   // the venv's, before the other on PATH
		{"notexec", filepath.Join(other, "notexec")},     // a file that cannot run is passed over
		{"adir", filepath.Join(other, "adir")},           // so is a directory
		{"onlyother", filepath.Join(other, "onlyother")}, // the rest of PATH is searched
		{l.Script("python"), l.Script("python")},         // a path is taken as it is
		{filepath.Join(other, "python"), filepath.Join(other, "python")},
	}
	for _, tt := range tests {
		got, err := FindCommand(tt.name, env, l)
		if err != nil || got != tt.want {
			t.Errorf("FindCommand(%q) = %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for _, name := range []string{"nosuch", "", "relcmd"} {
		_, err := FindCommand(name, env, l)
		var nf *CommandNotFoundError
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), l.BinDir()) {
			t.Errorf("FindCommand(%q): err %v, want a CommandNotFoundError naming the bin dir", name, err)
		}
	}
	if _, err := FindCommand(filepath.Join(other, "nosuch"), env, l); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Errorf("missing path: err %v", err)
	}
}

// realVenv makes a venv (without pip, which these tests do not need) with a
// real interpreter at a path that would break naive quoting: a space, both
// quotes, a $(...) and a backquote.
func realVenv(t *testing.T) (venv.Layout, string) {
	t.Helper()
	py := testpy.Minor(t, "3.11")
	if runtime.GOOS == "windows" {
		t.Skip("POSIX shells only")
	}
	work := t.TempDir()
	root := filepath.Join(work, `it's a "plugin" dir $(touch PWNED) `+"`touch PWNED2`", ".venv")
	out, err := exec.Command(py, "-m", "venv", "--without-pip", root).CombinedOutput()
	if err != nil {
		t.Fatalf("create venv: %v\n%s", err, out)
	}
	return venv.PosixLayout(root), work
}

// shellEnv is a small, known environment for the shells under test: a
// PYTHONHOME that would stop any Python from starting unless activation
// removes it.
func shellEnv(work, script string) []string {
	return []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + work, "TERM=dumb", "LANG=C.UTF-8",
		"PYTHONHOME=/nonexistent-home", "SCRIPT=" + script}
}

func runShell(t *testing.T, work string, env []string, stdin string, args ...string) (string, string) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = work, env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%q: %v\nstdout: %s\nstderr: %s", args, err, stdout.String(), stderr.String())
	}
	for _, f := range []string{"PWNED", "PWNED2"} {
		if _, err := os.Stat(filepath.Join(work, f)); err == nil {
			t.Fatalf("%q: the venv path ran as code (%s exists)", args, f)
		}
	}
	return stdout.String(), stderr.String()
}

// TestActivateScriptInRealShells evaluates each script in the real shell
// and checks that python resolves into the venv and starts, that the
// venv's variables are set, and that deactivate restores what was there.
func TestActivateScriptInRealShells(t *testing.T) {
	l, work := realVenv(t)
	const check = `command -v python; printf '%s\n' "$VIRTUAL_ENV" "$VIRTUAL_ENV_PROMPT" "${PYTHONHOME-unset}"; python -c 'import sys; print(sys.prefix)'`
	const after = `; deactivate; printf '%s\n' "${VIRTUAL_ENV-unset}" "$PATH" "${PYTHONHOME-unset}"; command -v deactivate || echo gone`
	shells := []struct {
		shell string
		argv  []string
	}{
		{"sh", []string{"dash", "-c", `eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"sh", []string{"dash", "-euc", `eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"bash", []string{"bash", "--norc", "--noprofile", "-euc", `eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"bash", []string{"bash", "--posix", "-c", `eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"zsh", []string{"zsh", "-f", "-euc", `eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"sh", []string{"zsh", "-f", "-c", `emulate sh; eval "$(cat "$SCRIPT")"; ` + check + after}},
		{"fish", []string{"fish", "--no-config", "-c", `source $SCRIPT; command -v python; printf '%s\n' "$VIRTUAL_ENV" "$VIRTUAL_ENV_PROMPT"; set -q PYTHONHOME; and echo $PYTHONHOME; or echo unset; python -c 'import sys; print(sys.prefix)'; deactivate; set -q VIRTUAL_ENV; and echo $VIRTUAL_ENV; or echo unset; string join : $PATH; echo $PYTHONHOME; functions -q deactivate; or echo gone`}},
	}
	for _, sh := range shells {
		t.Run(strings.Join(sh.argv[:len(sh.argv)-1], " "), func(t *testing.T) {
			if _, err := exec.LookPath(sh.argv[0]); err != nil {
				t.Skipf("%s is not installed", sh.argv[0])
			}
			script, err := Script(sh.shell, l, Prompt(l, nil))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(work, "activate-"+sh.shell)
			if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			stdout, stderr := runShell(t, work, shellEnv(work, file), "", sh.argv...)
			want := []string{l.Script("python"), l.Root(), ".venv", "unset", l.Root(),
				"unset", "/usr/local/bin:/usr/bin:/bin", "/nonexistent-home", "gone"}
			if got := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %q\nwant %q\nstderr: %s", got, want, stderr)
			}
		})
	}
}

// TestActivateScriptTwice checks that entering a venv while another is
// active, whether entered by our script or by the venv's own bin/activate,
// leaves one venv on PATH, and that either deactivate returns to the PATH
// from before both: the scripts share the _OLD_VIRTUAL_* variables.
func TestActivateScriptTwice(t *testing.T) {
	l, work := realVenv(t)
	// A second venv at a plain path: CPython's bin/activate puts the path
	// between double quotes, so it cannot be used on the first one (its
	// $(...) would run).
	plain := filepath.Join(work, "plain", ".venv")
	if out, err := exec.Command(testpy.Minor(t, "3.11"), "-m", "venv", "--without-pip", plain).CombinedOutput(); err != nil {
		t.Fatalf("create venv: %v\n%s", err, out)
	}
	script, err := Script("bash", l, "v")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(work, "activate")
	if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	const ours, theirs = `eval "$(cat "$SCRIPT")"`, `. "$PLAIN/bin/activate"`
	orig := "/usr/local/bin:/usr/bin:/bin"
	tests := []struct {
		first, second, wantPath string
	}{
		{ours, ours, l.BinDir() + ":" + orig},
		{theirs, ours, l.BinDir() + ":" + orig},
		{ours, theirs, plain + "/bin:" + orig},
	}
	for _, tt := range tests {
		env := append(shellEnv(work, file), "PLAIN="+plain)
		stdout, _ := runShell(t, work, env, "", "bash", "-c",
			tt.first+"; "+tt.second+`; printf '%s\n' "$PATH" "$VIRTUAL_ENV"; deactivate; printf '%s\n' "$PATH" "${VIRTUAL_ENV-unset}" "${PYTHONHOME-unset}"`)
		venvRoot := l.Root()
		if tt.second == theirs {
			venvRoot = plain
		}
		want := tt.wantPath + "\n" + venvRoot + "\n" + orig + "\nunset\n/nonexistent-home\n"
		if stdout != want {
			t.Errorf("%s, then %s:\ngot  %q\nwant %q", tt.first, tt.second, stdout, want)
		}
	}
}

// TestPromptShowsLiterally evaluates the script in each shell and expands
// the prompt the way the shell does before showing it, under the options
// that change how it is read: the venv's prompt must show as it is, and
// nothing in it may run.
func TestPromptShowsLiterally(t *testing.T) {
	l, work := realVenv(t)
	prompts := []string{
		"plugins",
		`a\w \$ $(echo INJ) ` + "`echo BT`" + ` $HOME ${HOME} %n %% !! ! 100% it's "q" \`,
	}
	type variant struct {
		name  string
		argv  []string
		stdin string
		// out picks the shown prompt from stdout and stderr.
		out func(stdout, stderr string) string
	}
	stdout := func(o, _ string) string { return o }
	var variants []variant
	for _, opts := range []string{"", "set -o posix; ", "shopt -u promptvars; "} {
		variants = append(variants, variant{"bash " + opts, []string{"bash", "-c", opts + `PS1='> '; eval "$(cat "$SCRIPT")"; printf '%s' "${PS1@P}"`}, "", stdout})
	}
	for _, opts := range []string{"", "setopt promptsubst; ", "setopt promptbang; ", "setopt promptsubst promptbang; "} {
		variants = append(variants, variant{"zsh " + opts, []string{"zsh", "-f", "-c", opts + `PS1='> '; eval "$(cat "$SCRIPT")"; print -rnP -- "$PS1"`}, "", stdout})
	}
	// dash shows its prompt only when interactive, on stderr, before each
	// line it reads: the prompt after the eval is the venv's.
	// With PS1='> ' from the environment, the last line of stderr is "> "
	// (before the eval) and then the venv's prompt (before PS1='').
	variants = append(variants, variant{"dash -i", []string{"dash", "-i"}, "eval \"$(cat \"$SCRIPT\")\"\nPS1=''\nexit\n",
		func(_, e string) string {
			lines := strings.Split(e, "\n")
			return strings.TrimPrefix(lines[len(lines)-1], "> ")
		}})
	for _, p := range prompts {
		script, err := Script("sh", l, p)
		if err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(work, "activate")
		if err := os.WriteFile(file, []byte(script), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, v := range variants {
			t.Run(v.name+p, func(t *testing.T) {
				if _, err := exec.LookPath(v.argv[0]); err != nil {
					t.Skipf("%s is not installed", v.argv[0])
				}
				o, e := runShell(t, work, append(shellEnv(work, file), "PS1=> "), v.stdin, v.argv...)
				if got, want := v.out(o, e), "("+p+") > "; got != want {
					t.Errorf("prompt shows %q, want %q\nscript line: %s", got, want, shPS1(p))
				}
			})
		}
		t.Run("fish "+p, func(t *testing.T) {
			if _, err := exec.LookPath("fish"); err != nil {
				t.Skip("fish is not installed")
			}
			script, err := Script("fish", l, p)
			if err != nil {
				t.Fatal(err)
			}
			ffile := filepath.Join(work, "activate.fish")
			if err := os.WriteFile(ffile, []byte(script), 0o644); err != nil {
				t.Fatal(err)
			}
			// set_color writes colour codes around the venv's part, and
			// nothing at all on a dumb terminal.
			for _, term := range []string{"TERM=dumb", "TERM=xterm-256color"} {
				o, _ := runShell(t, work, append(shellEnv(work, ffile), term), "", "fish", "--no-config", "-c",
					`function fish_prompt; echo -n '> '; end; source $SCRIPT; fish_prompt`)
				plain := regexpANSI.ReplaceAllString(o, "")
				if want := "(" + p + ") > "; plain != want {
					t.Errorf("%s: fish prompt shows %q, want %q", term, plain, want)
				}
			}
		})
	}
}

var regexpANSI = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]|\x1b\\(B")

// FuzzQuote checks each shell's quoting by having the shell itself print a
// quoted string back: it must come out byte for byte. (PowerShell and cmd
// are not available on this machine; their quoting is covered by the table
// above.)
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "a b", "it's", `a\b`, `\`, `\'`, "$(touch PWNED)", "`touch PWNED`",
		"${HOME}", "line\nbreak", "'\\''", "%n %% !!", `"q"`, "tab\there", "é ü 中", "\u2018x\u2019", "\x7f\x01"} {
		f.Add(s)
	}
	type quoter struct {
		argv  []string
		quote func(string) string
	}
	var quoters []quoter
	for _, sh := range []string{"dash", "bash", "zsh"} {
		if _, err := exec.LookPath(sh); err == nil {
			quoters = append(quoters, quoter{[]string{sh, "-c"}, shQuote})
		}
	}
	if _, err := exec.LookPath("fish"); err == nil {
		quoters = append(quoters, quoter{[]string{"fish", "--no-config", "-c"}, fishQuote})
	}
	if len(quoters) == 0 {
		f.Skip("no shell to check quoting with")
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Shells cannot hold a NUL in a string; fish reads its arguments as
		// text, so only valid UTF-8 is fair to ask of it.
		if strings.ContainsRune(s, 0) {
			t.Skip()
		}
		for _, q := range quoters {
			if q.argv[0] == "fish" && !utf8.ValidString(s) {
				continue
			}
			dir := t.TempDir()
			cmd := exec.Command(q.argv[0], append(q.argv[1:], "printf '%s' "+q.quote(s))...)
			cmd.Dir, cmd.Env = dir, []string{"PATH=/usr/bin:/bin", "HOME=" + dir, "LANG=C.UTF-8"}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", q.argv[0], err)
			}
			if string(out) != s {
				t.Errorf("%s printed %q for %q (quoted %s)", q.argv[0], out, s, q.quote(s))
			}
			if _, err := os.Stat(filepath.Join(dir, "PWNED")); err == nil {
				t.Errorf("%s ran %q", q.argv[0], s)
			}
		}
	})
}
