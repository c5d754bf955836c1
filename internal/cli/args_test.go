package cli

import (
	"io"
	"strings"
	"testing"
)

func TestInterspersed(t *testing.T) {
	app := New("test", IO{Stdout: io.Discard, Stderr: io.Discard})
	for _, tt := range []struct{ in, want string }{
		{"add requests==2.32.3 --plugin-dir DIR", "add --plugin-dir DIR requests==2.32.3"},
		{"remove requests --plugin-dir=DIR numpy", "remove --plugin-dir=DIR requests numpy"},
		{"sync DIR --offline", "sync --offline DIR"},
		{"add -r a.txt pandas -r b.txt --no-sync", "add -r a.txt -r b.txt --no-sync pandas"},
		{"-v sync --offline", "-v sync --offline"},
		{"uv fetch --uv-mirror URL", "uv fetch --uv-mirror URL"},
		{"lock --target 3.13-linux-x86_64 --upgrade", "lock --target 3.13-linux-x86_64 --upgrade"},
		// "--" ends the flags: what follows stays an argument.
		{"add --offline -- -weird", "add --offline -- -weird"},
		{"add pkg -- --not-a-flag", "add pkg -- --not-a-flag"},
		// run's arguments are a command line: its flags are the child's.
		{"run --plugin-dir D python -c x", "run --plugin-dir D -- python -c x"},
		{"run python -V --plugin-dir D", "run -- python -V --plugin-dir D"},
		{"run -- pip -V", "run -- pip -V"},
		// An unknown flag is left for urfave to report.
		{"sync DIR --plugn-dir x", "sync --plugn-dir DIR x"},
		{"synk --offline", "synk --offline"},
		{"", ""},
	} {
		args := append([]string{"influx-py"}, strings.Fields(tt.in)...)
		got := strings.Join(Interspersed(app, args)[1:], " ")
		if got != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}
