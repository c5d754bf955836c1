package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func completionScript(t *testing.T, shell string) string {
	t.Helper()
	var out bytes.Buffer
	app := New("test", IO{Stdout: &out, Stderr: io.Discard})
	if err := Run(context.Background(), app, []string{"influx-py", "completion", shell}); err != nil {
		t.Fatalf("completion %s: %v", shell, err)
	}
	return out.String()
}

// TestCompletionBash runs the generated function in a real bash, as the
// shell calls it when the user presses tab.
func TestCompletionBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash on PATH: the bash completion is not exercised")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "influx-py.bash")
	if err := os.WriteFile(script, []byte(completionScript(t, "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ line, want string }{
		{"influx-py sy", "sync"},
		{"influx-py ", "sync check status doctor add remove lock uv env run wheelhouse cache fleet completion help --help --no-progress --quiet --verbose --version -V -h -q -v"},
		{"influx-py sync --pl", "--plugin-dir"},
		{"influx-py sync --plugin-dir plu", "plugins"}, // a path flag completes files
		{"influx-py sync --backend ", ""},              // a value, not a flag
		{"influx-py add requests --no-s", "--no-sync"},
		{"influx-py -v add --from-", "--from-plugins --from-venv"},
		{"influx-py uv ", "fetch path verify --help"},
		{"influx-py uv fetch --uv-", "--uv-mirror"},
		{"influx-py completion ", "bash zsh fish --help -h"},
		{"influx-py help st", "status"},
		{"influx-py run -- py", ""}, // the child's words are the child's
	} {
		words := strings.Split(tt.line, " ")
		prog := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _influx_py; echo "${COMPREPLY[*]}"`
		cmd := exec.Command(bash, append([]string{"--norc", "-c", prog, "bash", script}, words...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tt.line, err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.line, got, tt.want)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	zsh := completionScript(t, "zsh")
	if !strings.Contains(zsh, "bashcompinit") || !strings.Contains(zsh, "complete -o default -F _influx_py influx-py") {
		t.Errorf("zsh script does not load bashcompinit and register the function:\n%s", zsh)
	}
	fish := completionScript(t, "fish")
	for _, want := range []string{
		"complete -c influx-py -n '__fish_use_subcommand' -a sync -d ",
		"complete -c influx-py -n '__fish_seen_subcommand_from sync' -l plugin-dir -r -F -d 'the InfluxDB 3 plugin DIR",
		"complete -c influx-py -n '__fish_seen_subcommand_from uv' -a fetch -d ",
	} {
		if !strings.Contains(fish, want) {
			t.Errorf("fish script lacks %q", want)
		}
	}
	var stderr bytes.Buffer
	app := New("test", IO{Stdout: io.Discard, Stderr: &stderr})
	err := Run(context.Background(), app, []string{"influx-py", "completion", "powershell"})
	if err == nil || !strings.Contains(err.Error(), `no completion for "powershell": want bash, zsh or fish`) {
		t.Errorf("completion powershell: %v", err)
	}
}
