package uvbin

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseVersionOutput(t *testing.T) {
	tests := []struct {
		in      string
		want    VersionOutput
		wantErr bool
	}{
		{"uv 0.12.18 (abc1234 2026-01-01 x86_64-unknown-linux-gnu)\n", VersionOutput{"0.12.18", "x86_64-unknown-linux-gnu"}, false},
		{"uv 0.6.14\n", VersionOutput{"0.6.14", ""}, false},
		{"uv 0.6.14", VersionOutput{"0.6.14", ""}, false},
		{"uv 0.4.4 (Homebrew 2024-09-03)\r\n", VersionOutput{"0.4.4", ""}, false},
		{"uv 0.5.1 (f399a5271 2024-11-08)\n", VersionOutput{"0.5.1", ""}, false},
		{"uv 0.9.0+12 (abc 2025-10-01 aarch64-apple-darwin)", VersionOutput{"0.9.0+12", "aarch64-apple-darwin"}, false},
		{"  uv 0.12.18 (abc 2026-01-01 x86_64-pc-windows-msvc)  \nwarning: ignored\n", VersionOutput{"0.12.18", "x86_64-pc-windows-msvc"}, false},
		{"uv 1.0.0-rc.1", VersionOutput{"1.0.0-rc.1", ""}, false},
		{"", VersionOutput{}, true},
		{"uv\n", VersionOutput{}, true},
		{"ruff 0.6.14\n", VersionOutput{}, true},
		{"uv-build 0.6.14\n", VersionOutput{}, true},
		{"uv 0.6\n", VersionOutput{}, true},
		{"uv 0.6.14.1\n", VersionOutput{}, true},
		{"uv v0.6.14\n", VersionOutput{}, true},
		{"uv 0.06.14\n", VersionOutput{}, true},
		{"uv 0.6.14+\n", VersionOutput{}, true},
		{"uv 0..14\n", VersionOutput{}, true},
		{"\nuv 0.6.14\n", VersionOutput{}, true}, // the version is on the first line
		{"error: unexpected argument '--version'\n", VersionOutput{}, true},
	}
	for _, tt := range tests {
		got, err := ParseVersionOutput(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseVersionOutput(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseVersionOutput(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"0.6.14", "0.4.4", 1},
		{"0.4.4", "0.4.4", 0},
		{"0.4.3", "0.4.4", -1},
		{"0.10.0", "0.9.30", 1},
		{"0.12.18", "0.12.9", 1},
		{"1.0.0", "0.99.99", 1},
		{"0.8.0", "0.7.22", 1},
		{"0.8.0+3", "0.8.0", 0}, // a suffix is ignored
		{"0.8.0-rc.1", "0.8.0", 0},
	}
	for _, tt := range tests {
		got, err := CompareVersions(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if back, _ := CompareVersions(tt.b, tt.a); back != -tt.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tt.b, tt.a, back, -tt.want)
		}
	}
	for _, bad := range []string{"", "1", "1.2", "a.b.c", "1.2.3.4", "-1.2.3", "1.2.x"} {
		if _, err := CompareVersions(bad, "1.2.3"); err == nil {
			t.Errorf("CompareVersions(%q, ...) accepted a bad version", bad)
		}
	}
	if !atLeast("0.6.14", MinVersion) {
		t.Errorf("the real test peer uv 0.6.14 must be accepted (MinVersion %s)", MinVersion)
	}
	if !atLeast(Version, MinVersion) {
		t.Errorf("the pinned uv %s is older than MinVersion %s", Version, MinVersion)
	}
	if atLeast("0.4.3", MinVersion) || atLeast("garbage", MinVersion) {
		t.Error("atLeast accepted a version below MinVersion")
	}
}

func FuzzParseVersionOutput(f *testing.F) {
	for _, s := range []string{
		"uv 0.12.18 (abc1234 2026-01-01 x86_64-unknown-linux-gnu)\n",
		"uv 0.6.14\n", "uv 0.9.0+12 (a b c-d-e)", "uv 1.0.0-rc.1", "uv", "", "uv 0.6.14 (",
		"uv 0.6.14 ()", "uv 99999999999.0.0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseVersionOutput(s)
		if err != nil {
			return
		}
		// An accepted version is comparable and is what the first line said.
		if _, err := CompareVersions(got.Version, MinVersion); err != nil {
			t.Fatalf("accepted version %q does not compare: %v", got.Version, err)
		}
		first, _, _ := strings.Cut(s, "\n")
		if !strings.Contains(first, "uv "+got.Version) {
			t.Fatalf("version %q not on the first line %q", got.Version, first)
		}
		if got.Target != "" && !strings.Contains(first, got.Target) {
			t.Fatalf("target %q not on the first line %q", got.Target, first)
		}
	})
}
