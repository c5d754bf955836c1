// Package activate writes what entering a venv takes, for each shell, and
// builds the same environment for a child process, over venv.Layout alone:
// no engine, no interpreter, GOOS given by the caller (through the layout or
// an argument), so Windows venvs are tested on Linux.
package activate

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/influx-py/influx-py/internal/venv"
)

// Entering a venv is what its activate scripts do: VIRTUAL_ENV names it, its
// bin dir goes first on PATH, PYTHONHOME is unset, and the prompt shows its
// name. `influx-py env` prints that as commands for one shell and `influx-py
// run` builds the same environment for a child, so a plugin author can use the
// venv the server uses without knowing where it is or how it is laid out.

// Shells are the shells Script writes for, in the order help lists
// them.
func Shells() []string {
	return []string{"sh", "bash", "zsh", "fish", "powershell", "cmd"}
}

// UnknownShellError reports a shell Script cannot write for.
type UnknownShellError struct {
	Shell string
	From  string // where the name came from ("--shell", "$SHELL=/bin/tcsh")
}

func (e *UnknownShellError) Error() string {
	return fmt.Sprintf("unknown shell %q (from %s): choose one of %s", e.Shell, e.From, strings.Join(Shells(), ", "))
}

// ParseShell checks a --shell value. Case does not matter, and "pwsh" (the
// name of PowerShell 7's executable) means powershell.
func ParseShell(name string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "pwsh" {
		return "powershell", nil
	}
	for _, s := range Shells() {
		if n == s {
			return s, nil
		}
	}
	return "", &UnknownShellError{Shell: name, From: "--shell"}
}

// DefaultShell is the shell to write for when --shell is not given:
// PowerShell on Windows, else the login shell that $SHELL names (sh when it
// is unset). $SHELL is the login shell, not necessarily the running one,
// which is why --shell exists.
func DefaultShell(goos string, environ []string) (string, error) {
	if goos == "windows" {
		return "powershell", nil
	}
	sh := getenv(environ, "SHELL", false)
	if sh == "" {
		return "sh", nil
	}
	base := strings.ToLower(filepath.Base(sh))
	switch base {
	case "sh", "dash", "ash", "ksh", "mksh", "yash", "posh":
		// POSIX shells all read the sh script.
		return "sh", nil
	case "bash", "zsh", "fish":
		return base, nil
	case "pwsh", "powershell":
		return "powershell", nil
	}
	return "", &UnknownShellError{Shell: base, From: "$SHELL=" + sh}
}

// Prompt is the prompt CPython's activate scripts show for a venv: the
// "prompt" pyvenv.cfg records (written by `venv --prompt`), else the name of
// the venv directory.
func Prompt(l venv.Layout, cfg *venv.Config) string {
	if cfg != nil {
		if p := cfg.Prompt(); p != "" {
			return p
		}
	}
	root := l.Root()
	seps := "/"
	if l.Windows() {
		seps = `\/`
	}
	if i := strings.LastIndexAny(root, seps); i >= 0 && i < len(root)-1 {
		return root[i+1:]
	}
	return root
}

// Script returns the commands that enter the venv at l in shell:
// they set VIRTUAL_ENV and VIRTUAL_ENV_PROMPT, put the venv's bin dir first
// on PATH, unset PYTHONHOME, prefix the prompt (unless
// VIRTUAL_ENV_DISABLE_PROMPT is set) and define deactivate, as the venv's own
// activate scripts do and with the same _OLD_VIRTUAL_* variables, so either
// deactivate undoes either activation. Every value is quoted for the shell,
// and the prompt is escaped so that it shows literally and never runs as code.
//
// sh, bash and zsh share one script that checks at run time which of them
// reads it (prompts are parsed differently by each); cmd's script is meant to
// be saved as a .bat file and called, since `for /f` would not expand %PATH%.
func Script(shell string, l venv.Layout, prompt string) (string, error) {
	sh, err := ParseShell(shell)
	if err != nil {
		return "", err
	}
	root, bin := l.Root(), l.BinDir()
	// A bin dir holding the PATH list separator cannot be put on PATH: it
	// would be split into two entries and neither would be the venv's.
	// (Windows paths are converted by cygpath in POSIX shells, so only ';'
	// matters there.)
	listSep := ":"
	if l.Windows() {
		listSep = ";"
	}
	if strings.Contains(bin, listSep) {
		return "", fmt.Errorf("venv bin dir %s contains %q, the PATH list separator, so it cannot be put on PATH", bin, listSep)
	}
	switch sh {
	case "sh", "bash", "zsh":
		return shScript(sh, l, root, bin, prompt), nil
	case "fish":
		return fishScript(l, root, bin, prompt), nil
	case "powershell":
		return powershellScript(root, bin, prompt), nil
	default: // cmd
		if !l.Windows() {
			return "", fmt.Errorf("cmd can only enter a Windows venv (Scripts\\), not %s", root)
		}
		return cmdScript(root, bin, prompt)
	}
}

// shScript writes for POSIX shells, bash and zsh. It is the venv's own
// bin/activate, minus its one flaw: values there are put between double
// quotes, so a venv path or prompt holding $ or ` runs as code.
func shScript(shell string, l venv.Layout, root, bin, prompt string) string {
	var b strings.Builder
	w := func(lines ...string) {
		for _, s := range lines {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	w("# Enters a Python venv; written by influx-py env --shell "+shell+".",
		`# Use: eval "$(influx-py env --shell `+shell+`)"; leave with: deactivate`,
		"deactivate () {",
		`    if [ -n "${_OLD_VIRTUAL_PATH+set}" ]; then`,
		`        PATH="$_OLD_VIRTUAL_PATH"`,
		`        export PATH`,
		`        unset _OLD_VIRTUAL_PATH`,
		`    fi`,
		`    if [ -n "${_OLD_VIRTUAL_PYTHONHOME+set}" ]; then`,
		`        PYTHONHOME="$_OLD_VIRTUAL_PYTHONHOME"`,
		`        export PYTHONHOME`,
		`        unset _OLD_VIRTUAL_PYTHONHOME`,
		`    fi`,
		`    if [ -n "${_OLD_VIRTUAL_PS1+set}" ]; then`,
		`        PS1="$_OLD_VIRTUAL_PS1"`,
		`        unset _OLD_VIRTUAL_PS1`,
		`    fi`,
		`    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT`,
		`    hash -r 2>/dev/null || true`,
		`    if [ "${1-}" != nondestructive ]; then`,
		`        unset -f deactivate`,
		`    fi`,
		`}`,
		`deactivate nondestructive`,
		"VIRTUAL_ENV="+shQuote(root))
	if l.Windows() {
		// Git Bash, MSYS2 and Cygwin want /c/... paths, as the venv's own
		// activate does.
		w(`if command -v cygpath >/dev/null 2>&1; then VIRTUAL_ENV=$(cygpath -u "$VIRTUAL_ENV"); fi`,
			`export VIRTUAL_ENV`,
			`_OLD_VIRTUAL_PATH="${PATH-}"`,
			"_INFLUX_PY_BIN="+shQuote(bin),
			`if command -v cygpath >/dev/null 2>&1; then _INFLUX_PY_BIN=$(cygpath -u "$_INFLUX_PY_BIN"); fi`,
			`PATH="$_INFLUX_PY_BIN${PATH:+:$PATH}"`,
			`unset _INFLUX_PY_BIN`)
	} else {
		w(`export VIRTUAL_ENV`,
			`_OLD_VIRTUAL_PATH="${PATH-}"`,
			"PATH="+shQuote(bin)+`"${PATH:+:$PATH}"`)
	}
	w(`export PATH`,
		"VIRTUAL_ENV_PROMPT="+shQuote(prompt),
		`export VIRTUAL_ENV_PROMPT`,
		`if [ -n "${PYTHONHOME+set}" ]; then`,
		`    _OLD_VIRTUAL_PYTHONHOME="$PYTHONHOME"`,
		`    unset PYTHONHOME`,
		`fi`,
		`if [ -z "${VIRTUAL_ENV_DISABLE_PROMPT-}" ]; then`,
		`    _OLD_VIRTUAL_PS1="${PS1-}"`,
		"    "+shPS1(prompt),
		`fi`,
		`hash -r 2>/dev/null || true`)
	return b.String()
}

// shPS1 is the command that puts "(prompt) " before PS1. Each shell expands
// its prompt string in its own way each time it shows it, so a prompt with
// characters any of them treats specially gets one escaping per shell and
// mode, chosen at run time; a plain prompt gets one line.
func shPS1(prompt string) string {
	set := func(text string) string { return "PS1=" + shQuote("("+text+") ") + `"${PS1-}"` }
	if !strings.ContainsAny(prompt, "\\$`%!") {
		return set(prompt)
	}
	// zsh: % and, with PROMPT_BANG, ! are prompt escapes; with PROMPT_SUBST
	// the string is first expanded as if in double quotes.
	zbang := func(p string) string { return replaceAll(p, "%", "%%", "!", "!!") }
	zplain := func(p string) string { return replaceAll(p, "%", "%%") }
	zsh := choose("[[ -o promptsubst ]]",
		choose("[[ -o promptbang ]]", set(dquoteEscape(zbang(prompt))), set(dquoteEscape(zplain(prompt)))),
		choose("[[ -o promptbang ]]", set(zbang(prompt)), set(zplain(prompt))))
	// bash decodes backslash escapes and then, with promptvars (always in
	// POSIX mode), expands the result; POSIX mode also makes ! the history
	// number. A decoded "\\" followed by $ or ` keeps them literal.
	bashVars := func(p string) string { return replaceAll(p, `\`, `\\\\`, "$", `\\$`, "`", "\\\\`") }
	bash := choose("shopt -oq posix",
		set(bashVars(replaceAll(prompt, "!", "!!"))),
		choose("shopt -q promptvars", set(bashVars(prompt)), set(replaceAll(prompt, `\`, `\\`))))
	// dash and other POSIX shells expand PS1 as if in double quotes.
	posix := set(dquoteEscape(prompt))
	return choose(`[ -n "${ZSH_VERSION-}" ]`, zsh, choose(`[ -n "${BASH_VERSION-}" ]`, bash, posix))
}

// choose is a one-line sh if/else, or just the command when both are the
// same.
func choose(cond, then, otherwise string) string {
	if then == otherwise {
		return then
	}
	return "if " + cond + "; then " + then + "; else " + otherwise + "; fi"
}

// dquoteEscape escapes the characters that stay special inside double
// quotes.
func dquoteEscape(s string) string {
	return replaceAll(s, `\`, `\\`, "$", `\$`, "`", "\\`")
}

// replaceAll applies old/new pairs in one pass, so a replacement is never
// replaced again.
func replaceAll(s string, oldnew ...string) string {
	return strings.NewReplacer(oldnew...).Replace(s)
}

// shQuote quotes s for any POSIX shell: within single quotes nothing is
// special, and a single quote is written as '\”.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fishQuote quotes s for fish, whose single quotes treat \\ and \' as
// escapes.
func fishQuote(s string) string {
	return "'" + replaceAll(s, `\`, `\\`, "'", `\'`) + "'"
}

// psQuote quotes s for PowerShell. A single-quoted string expands nothing;
// PowerShell also takes the typographic single quotes as quote marks, so each
// kind is doubled.
func psQuote(s string) string {
	return "'" + replaceAll(s, "'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019",
		"\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b") + "'"
}

func fishScript(l venv.Layout, root, bin, prompt string) string {
	var b strings.Builder
	w := func(lines ...string) {
		for _, s := range lines {
			b.WriteString(s)
			b.WriteByte('\n')
		}
	}
	w("# Enters a Python venv; written by influx-py env --shell fish.",
		"# Use: influx-py env --shell fish | source; leave with: deactivate",
		"function deactivate -d 'Leave the Python venv'",
		"    if set -q _OLD_VIRTUAL_PATH",
		"        set -gx PATH $_OLD_VIRTUAL_PATH",
		"        set -e _OLD_VIRTUAL_PATH",
		"    end",
		"    if set -q _OLD_VIRTUAL_PYTHONHOME",
		"        set -gx PYTHONHOME $_OLD_VIRTUAL_PYTHONHOME",
		"        set -e _OLD_VIRTUAL_PYTHONHOME",
		"    end",
		"    if set -q _OLD_FISH_PROMPT_OVERRIDE",
		"        set -e _OLD_FISH_PROMPT_OVERRIDE",
		"        if functions -q _old_fish_prompt",
		"            functions -e fish_prompt",
		"            functions -c _old_fish_prompt fish_prompt",
		"            functions -e _old_fish_prompt",
		"        end",
		"    end",
		"    set -e VIRTUAL_ENV",
		"    set -e VIRTUAL_ENV_PROMPT",
		"    if test \"$argv[1]\" != nondestructive",
		"        functions -e deactivate",
		"    end",
		"end",
		"deactivate nondestructive",
		"set -gx VIRTUAL_ENV "+fishQuote(root),
		"set -gx _OLD_VIRTUAL_PATH $PATH")
	if l.Windows() {
		w("if command -q cygpath",
			"    set -gx VIRTUAL_ENV (cygpath -u $VIRTUAL_ENV)",
			"    set -gx PATH (cygpath -u "+fishQuote(bin)+") $PATH",
			"else",
			"    set -gx PATH "+fishQuote(bin)+" $PATH",
			"end")
	} else {
		w("set -gx PATH " + fishQuote(bin) + " $PATH")
	}
	w("set -gx VIRTUAL_ENV_PROMPT "+fishQuote(prompt),
		"if set -q PYTHONHOME",
		"    set -gx _OLD_VIRTUAL_PYTHONHOME $PYTHONHOME",
		"    set -e PYTHONHOME",
		"end",
		"if test -z \"$VIRTUAL_ENV_DISABLE_PROMPT\"",
		"    functions -c fish_prompt _old_fish_prompt",
		"    function fish_prompt",
		"        set -l old_status $status",
		// Not printf '%s(%s)%s ' (set_color ...) as the venv's own script
		// has it: where set_color prints nothing (TERM=dumb) the empty
		// substitution is no argument at all and the prompt comes out as
		// "name() ".
		"        set_color 4B8BBE",
		"        printf '(%s)' "+fishQuote(prompt),
		"        set_color normal",
		"        printf ' '",
		"        # Give the old prompt the status of the last command.",
		"        echo \"exit $old_status\" | source",
		"        _old_fish_prompt",
		"    end",
		"    set -gx _OLD_FISH_PROMPT_OVERRIDE \"$VIRTUAL_ENV\"",
		"end")
	return b.String()
}

func powershellScript(root, bin, prompt string) string {
	lines := []string{
		"# Enters a Python venv; written by influx-py env --shell powershell.",
		"# Use: influx-py env --shell powershell | Out-String | Invoke-Expression; leave with: deactivate",
		"function global:deactivate ([switch]$NonDestructive) {",
		"    if (Test-Path -Path Function:_OLD_VIRTUAL_PROMPT) {",
		"        Copy-Item -Path Function:_OLD_VIRTUAL_PROMPT -Destination Function:prompt",
		"        Remove-Item -Path Function:_OLD_VIRTUAL_PROMPT",
		"    }",
		"    if (Test-Path -Path Env:_OLD_VIRTUAL_PYTHONHOME) {",
		"        Copy-Item -Path Env:_OLD_VIRTUAL_PYTHONHOME -Destination Env:PYTHONHOME",
		"        Remove-Item -Path Env:_OLD_VIRTUAL_PYTHONHOME",
		"    }",
		"    if (Test-Path -Path Env:_OLD_VIRTUAL_PATH) {",
		"        Copy-Item -Path Env:_OLD_VIRTUAL_PATH -Destination Env:PATH",
		"        Remove-Item -Path Env:_OLD_VIRTUAL_PATH",
		"    }",
		"    if (Test-Path -Path Env:VIRTUAL_ENV) { Remove-Item -Path Env:VIRTUAL_ENV }",
		"    if (Test-Path -Path Env:VIRTUAL_ENV_PROMPT) { Remove-Item -Path Env:VIRTUAL_ENV_PROMPT }",
		"    if (Get-Variable -Name _PYTHON_VENV_PROMPT_PREFIX -ErrorAction SilentlyContinue) {",
		"        Remove-Variable -Name _PYTHON_VENV_PROMPT_PREFIX -Scope Global -Force",
		"    }",
		"    if (-not $NonDestructive) { Remove-Item -Path Function:deactivate }",
		"}",
		"deactivate -NonDestructive",
		"$env:VIRTUAL_ENV = " + psQuote(root),
		"$env:VIRTUAL_ENV_PROMPT = " + psQuote(prompt),
		"if (-not $env:VIRTUAL_ENV_DISABLE_PROMPT) {",
		"    function global:_OLD_VIRTUAL_PROMPT { '' }",
		"    Copy-Item -Path Function:prompt -Destination Function:_OLD_VIRTUAL_PROMPT",
		"    New-Variable -Name _PYTHON_VENV_PROMPT_PREFIX -Scope Global -Option ReadOnly -Visibility Public -Value " + psQuote(prompt),
		"    function global:prompt {",
		"        Write-Host -NoNewline -ForegroundColor Green \"($_PYTHON_VENV_PROMPT_PREFIX) \"",
		"        _OLD_VIRTUAL_PROMPT",
		"    }",
		"}",
		"if (Test-Path -Path Env:PYTHONHOME) {",
		"    Copy-Item -Path Env:PYTHONHOME -Destination Env:_OLD_VIRTUAL_PYTHONHOME",
		"    Remove-Item -Path Env:PYTHONHOME",
		"}",
		"Copy-Item -Path Env:PATH -Destination Env:_OLD_VIRTUAL_PATH",
		// PathSeparator is ; on Windows and : under pwsh on Linux or macOS.
		"$env:PATH = " + psQuote(bin) + " + [System.IO.Path]::PathSeparator + $env:PATH",
	}
	return strings.Join(lines, "\n") + "\n"
}

// cmdScript writes a batch file. It keeps the _OLD_VIRTUAL_* variables of
// the venv's activate.bat, so the venv's own Scripts\deactivate.bat leaves
// it. Lines start with @ so that nothing is echoed whatever the echo state.
func cmdScript(root, bin, prompt string) (string, error) {
	for _, v := range []string{root, bin, prompt} {
		if strings.ContainsAny(v, "\r\n\x00") {
			return "", fmt.Errorf("cannot write %q into a batch file: it holds a line break", v)
		}
	}
	for _, v := range []string{root, bin} {
		if strings.Contains(v, `"`) {
			return "", fmt.Errorf("cannot write %q into a batch file: a Windows path cannot hold a double quote", v)
		}
	}
	var lines []string
	lines = append(lines,
		"@rem Enters a Python venv; written by influx-py env --shell cmd.",
		`@rem Use: influx-py env --shell cmd > "%TEMP%\influx-py-env.bat" && call "%TEMP%\influx-py-env.bat"`,
		`@rem Leave with the venv's Scripts\deactivate.bat.`)
	ascii := true
	for _, v := range []string{root, bin, prompt} {
		for i := 0; i < len(v); i++ {
			if v[i] >= 0x80 {
				ascii = false
			}
		}
	}
	if !ascii {
		// The file is UTF-8; cmd reads it in the console's code page unless
		// told otherwise, as the venv's activate.bat does.
		lines = append(lines,
			`@for /f "tokens=2 delims=:." %%a in ('"%SystemRoot%\System32\chcp.com"') do @set _OLD_CODEPAGE=%%a`,
			`@if defined _OLD_CODEPAGE "%SystemRoot%\System32\chcp.com" 65001 > nul`)
	}
	lines = append(lines,
		"@"+cmdSet("VIRTUAL_ENV", root, ""),
		`@if not defined PROMPT set PROMPT=$P$G`,
		`@if defined _OLD_VIRTUAL_PROMPT set "PROMPT=%_OLD_VIRTUAL_PROMPT%"`,
		`@if defined _OLD_VIRTUAL_PYTHONHOME set "PYTHONHOME=%_OLD_VIRTUAL_PYTHONHOME%"`,
		`@set "_OLD_VIRTUAL_PROMPT=%PROMPT%"`,
		// In PROMPT, $ starts a code ($P, $G); $$ is a dollar sign.
		"@if not defined VIRTUAL_ENV_DISABLE_PROMPT "+cmdSet("PROMPT", "("+strings.ReplaceAll(prompt, "$", "$$")+") ", "%PROMPT%"),
		`@if defined PYTHONHOME set "_OLD_VIRTUAL_PYTHONHOME=%PYTHONHOME%"`,
		`@set PYTHONHOME=`,
		`@if defined _OLD_VIRTUAL_PATH set "PATH=%_OLD_VIRTUAL_PATH%"`,
		`@if not defined _OLD_VIRTUAL_PATH set "_OLD_VIRTUAL_PATH=%PATH%"`,
		"@"+cmdSet("PATH", bin+";", "%PATH%"),
		"@"+cmdSet("VIRTUAL_ENV_PROMPT", prompt, ""))
	if !ascii {
		lines = append(lines,
			`@if defined _OLD_CODEPAGE "%SystemRoot%\System32\chcp.com" %_OLD_CODEPAGE% > nul`,
			`@set _OLD_CODEPAGE=`)
	}
	return strings.Join(lines, "\r\n") + "\r\n", nil
}

// cmdSet is a batch `set` of name to the literal value followed by tail,
// which is batch text (a %VAR% to expand). Between quotes, set takes & | < > ^
// literally and only % needs doubling; a value that itself holds a quote is
// written unquoted with every special character escaped by ^ instead.
// (Delayed expansion, off by default, would also need ! escaped.)
func cmdSet(name, value, tail string) string {
	v := strings.ReplaceAll(value, "%", "%%")
	if !strings.Contains(v, `"`) {
		return `set "` + name + "=" + v + tail + `"`
	}
	v = replaceAll(v, "^", "^^", "&", "^&", "|", "^|", "<", "^<", ">", "^>", `"`, `^"`, "(", "^(", ")", "^)")
	return "set " + name + "=" + v + tail
}

// Env is the environment of a command run inside the venv: the
// caller's own (nothing stripped: the command is the user's, not
// influx-py's), with VIRTUAL_ENV and VIRTUAL_ENV_PROMPT set, the venv's bin
// dir first on PATH and PYTHONHOME removed, which is what a shell that
// sourced the activate script would pass on. On Windows, names are matched
// without regard to case and PATH keeps the spelling it had ("Path").
func Env(environ []string, l venv.Layout, prompt string) ([]string, error) {
	listSep := ":"
	if l.Windows() {
		listSep = ";"
	}
	bin := l.BinDir()
	if strings.Contains(bin, listSep) {
		return nil, fmt.Errorf("venv bin dir %s contains %q, the PATH list separator, so it cannot be put on PATH", bin, listSep)
	}
	same := func(a, b string) bool {
		if l.Windows() {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	pathKey, oldPath, hadPath := "PATH", "", false
	out := make([]string, 0, len(environ)+3)
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "":
			// Windows keeps per-drive directories as "=C:=C:\dir".
			out = append(out, kv)
		case same(k, "PATH"):
			pathKey, oldPath, hadPath = k, v, true
		case same(k, "VIRTUAL_ENV"), same(k, "VIRTUAL_ENV_PROMPT"), same(k, "PYTHONHOME"):
		default:
			out = append(out, kv)
		}
	}
	newPath := bin
	if hadPath && oldPath != "" {
		newPath += listSep + oldPath
	}
	return append(out, pathKey+"="+newPath, "VIRTUAL_ENV="+l.Root(), "VIRTUAL_ENV_PROMPT="+prompt), nil
}

// CommandNotFoundError reports a command that is neither in the venv nor
// elsewhere on PATH.
type CommandNotFoundError struct {
	Name   string
	BinDir string
}

func (e *CommandNotFoundError) Error() string {
	return fmt.Sprintf("command %q not found in %s or on PATH", e.Name, e.BinDir)
}

// FindCommand looks name up on the PATH of env (as ActivatedEnv builds it),
// the way a shell inside the venv would: the venv's bin dir first. A name
// with a path separator is used as it is. Directories on PATH that are not
// absolute are skipped, as os/exec refuses them. On Windows, PATHEXT
// extensions are tried as os/exec does.
func FindCommand(name string, env []string, l venv.Layout) (string, error) {
	if name == "" {
		return "", &CommandNotFoundError{Name: name, BinDir: l.BinDir()}
	}
	if strings.ContainsAny(name, `/`+string(filepath.Separator)) {
		if _, err := exec.LookPath(name); err != nil {
			return "", fmt.Errorf("command %s: %w", name, err)
		}
		return name, nil
	}
	path := getenv(env, "PATH", l.Windows())
	for _, dir := range filepath.SplitList(path) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		// Like a shell, go on past anything that is not an executable file.
		if p, err := exec.LookPath(filepath.Join(dir, name)); err == nil {
			return p, nil
		}
	}
	return "", &CommandNotFoundError{Name: name, BinDir: l.BinDir()}
}

// getenv is the last value of key in environ, as exec resolves duplicates.
func getenv(environ []string, key string, foldCase bool) string {
	val := ""
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && (k == key || foldCase && strings.EqualFold(k, key)) {
			val = v
		}
	}
	return val
}
