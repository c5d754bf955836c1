package resolve

import (
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tt := range []struct {
		in, want, marker, uv, pipFirst string
	}{
		{"3.13-linux-x86_64", "3.13-linux-x86_64", `python_version == "3.13" and sys_platform == "linux" and platform_machine == "x86_64"`, "x86_64-unknown-linux-gnu", "manylinux_2_39_x86_64"},
		{"3.12-linux-arm64", "3.12-linux-aarch64", `python_version == "3.12" and sys_platform == "linux" and platform_machine == "aarch64"`, "aarch64-unknown-linux-gnu", "manylinux_2_39_aarch64"},
		{"3.13-darwin-aarch64", "3.13-macos-arm64", `python_version == "3.13" and sys_platform == "darwin" and platform_machine == "arm64"`, "aarch64-apple-darwin", "macosx_15_0_arm64"},
		{" 3.11-Windows-AMD64 ", "3.11-windows-x86_64", `python_version == "3.11" and sys_platform == "win32" and platform_machine == "AMD64"`, "x86_64-pc-windows-msvc", "win_amd64"},
	} {
		got, err := ParseTarget(tt.in)
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if got.String() != tt.want || got.Marker() != tt.marker || got.UVPlatform() != tt.uv || got.PipPlatforms()[0] != tt.pipFirst {
			t.Errorf("%q: %s | %s | %s | %s", tt.in, got, got.Marker(), got.UVPlatform(), got.PipPlatforms()[0])
		}
		if again, err := ParseTarget(got.String()); err != nil || again != got {
			t.Errorf("%q does not read back: %v %v", got, again, err)
		}
	}
	for in, want := range map[string]string{
		"3.13":               "want PYVER-OS-ARCH",
		"linux-x86_64":       "want PYVER-OS-ARCH",
		"2.7-linux-x86_64":   "CPython 3.8 and later",
		"3.13-beos-x86_64":   "unknown operating system",
		"3.13-linux-sparc":   "unknown machine",
		"3.13-macos-ppc64le": "is a Linux machine",
	} {
		if _, err := ParseTarget(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
}
