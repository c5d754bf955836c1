package uvbin

import (
	"errors"
	"os"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

func TestDetectTarget(t *testing.T) {
	tests := []struct {
		goos, goarch string
		musl         bool
		want         string
	}{
		{"linux", "amd64", false, "x86_64-unknown-linux-gnu"},
		{"linux", "amd64", true, "x86_64-unknown-linux-musl"},
		{"linux", "arm64", false, "aarch64-unknown-linux-gnu"},
		{"linux", "arm64", true, "aarch64-unknown-linux-musl"},
		{"darwin", "amd64", false, "x86_64-apple-darwin"},
		{"darwin", "arm64", false, "aarch64-apple-darwin"},
		{"darwin", "arm64", true, "aarch64-apple-darwin"}, // musl means nothing off Linux
		{"windows", "amd64", false, "x86_64-pc-windows-msvc"},
		{"windows", "arm64", false, "aarch64-pc-windows-msvc"},
		{"linux", "386", false, ""},
		{"linux", "arm", false, ""},
		{"linux", "riscv64", false, ""},
		{"freebsd", "amd64", false, ""},
		{"plan9", "arm64", false, ""},
	}
	for _, tt := range tests {
		got, err := DetectTarget(tt.goos, tt.goarch, tt.musl)
		if tt.want == "" {
			var ue *UnsupportedTargetError
			if !errors.As(err, &ue) {
				t.Errorf("DetectTarget(%s, %s, %v) = %q, %v; want an UnsupportedTargetError", tt.goos, tt.goarch, tt.musl, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("DetectTarget(%s, %s, %v) = %q, %v; want %q", tt.goos, tt.goarch, tt.musl, got, err, tt.want)
		}
		if _, ok := findPin(Pins(), got); !ok {
			t.Errorf("detected target %s has no pin", got)
		}
	}
}

func TestIsMusl(t *testing.T) {
	tests := []struct {
		name    string
		loaders []string
		interp  string
		want    bool
	}{
		{"alpine shell", nil, "/lib/ld-musl-x86_64.so.1", true},
		{"alpine aarch64 with loader", []string{"/lib/ld-musl-aarch64.so.1"}, "/lib/ld-musl-aarch64.so.1", true},
		{"debian shell", nil, "/lib64/ld-linux-x86-64.so.2", false},
		{"debian with the musl package installed", []string{"/lib/ld-musl-x86_64.so.1"}, "/lib64/ld-linux-x86-64.so.2", false},
		{"debian aarch64", nil, "/lib/ld-linux-aarch64.so.1", false},
		{"static shell on musl", []string{"/lib/ld-musl-x86_64.so.1"}, "", true},
		{"static shell, no loaders", nil, "", false},
		{"unknown interpreter, musl loader", []string{"/lib/ld-musl-armhf.so.1"}, "/lib/ld.so", true},
	}
	for _, tt := range tests {
		if got := IsMusl(tt.loaders, tt.interp); got != tt.want {
			t.Errorf("%s: IsMusl(%q, %q) = %v, want %v", tt.name, tt.loaders, tt.interp, got, tt.want)
		}
	}
}

func TestHostTarget(t *testing.T) {
	got, err := HostTarget()
	switch runtime.GOARCH {
	case "amd64", "arm64":
	default:
		if err == nil {
			t.Fatalf("HostTarget() = %q on %s, want an error", got, runtime.GOARCH)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := findPin(Pins(), got); !ok {
		t.Errorf("HostTarget() = %q has no pin", got)
	}
	if runtime.GOOS == "linux" {
		interp := elfInterpreter("/bin/sh")
		t.Logf("host target %s; /bin/sh interpreter %q", got, interp)
		if strings.Contains(interp, "ld-linux") && !strings.HasSuffix(got, "-gnu") {
			t.Errorf("glibc /bin/sh (%s) but HostTarget() = %s", interp, got)
		}
		if strings.Contains(interp, "ld-musl") && !strings.HasSuffix(got, "-musl") {
			t.Errorf("musl /bin/sh (%s) but HostTarget() = %s", interp, got)
		}
	}
	if elfInterpreter("/nonexistent") != "" || elfInterpreter("pins.go") != "" {
		t.Error("elfInterpreter of a non-ELF file should be empty")
	}
}

func TestPinTable(t *testing.T) {
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	pins := Pins()
	if len(pins) != 8 {
		t.Fatalf("%d pins, want 8", len(pins))
	}
	seen := map[string]bool{}
	for _, p := range pins {
		if seen[p.Target] {
			t.Errorf("target %s pinned twice", p.Target)
		}
		seen[p.Target] = true
		ext := ".tar.gz"
		if isWindowsTarget(p.Target) {
			ext = ".zip"
		}
		if p.Archive != "uv-"+p.Target+ext {
			t.Errorf("%s: archive %s, want uv-%s%s", p.Target, p.Archive, p.Target, ext)
		}
		if !hexRE.MatchString(p.SHA256) {
			t.Errorf("%s: sha256 %q is not 64 lowercase hex digits", p.Target, p.SHA256)
		}
	}
}

// parseSumFile reads "<sha256>  <archive>" lines (sha256sum's format) into
// a sorted pin table.
func parseSumFile(t *testing.T, text string) []Pin {
	t.Helper()
	lineRE := regexp.MustCompile(`^([0-9a-f]{64})  (uv-(.+)\.(?:tar\.gz|zip))$`)
	var pins []Pin
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("bad pin line %q", l)
		}
		pins = append(pins, Pin{Target: m[3], Archive: m[2], SHA256: m[1]})
	}
	sortPins(pins)
	return pins
}

func sortPins(p []Pin) {
	sort.Slice(p, func(i, j int) bool { return p[i].Target < p[j].Target })
}

// scriptPins extracts UV_VERSION and the UV_PINS block from fetch-uv.sh.
func scriptPins(t *testing.T, script string) (string, []Pin) {
	t.Helper()
	v := regexp.MustCompile(`(?m)^UV_VERSION=([0-9.]+)$`).FindAllStringSubmatch(script, -1)
	if len(v) != 1 {
		t.Fatalf("fetch-uv.sh: want one UV_VERSION= line, found %d", len(v))
	}
	b := regexp.MustCompile(`(?ms)^UV_PINS='\n(.*?)^'$`).FindAllStringSubmatch(script, -1)
	if len(b) != 1 {
		t.Fatalf("fetch-uv.sh: want one UV_PINS='...' block, found %d", len(b))
	}
	return v[0][1], parseSumFile(t, b[0][1])
}

// TestScriptPinsMatch keeps scripts/fetch-uv.sh and the Go table equal.
func TestScriptPinsMatch(t *testing.T) {
	data, err := os.ReadFile("../../scripts/fetch-uv.sh")
	if err != nil {
		t.Fatal(err)
	}
	version, pins := scriptPins(t, string(data))
	if version != Version {
		t.Errorf("fetch-uv.sh pins uv %s, Go pins %s", version, Version)
	}
	goPins := Pins()
	sortPins(goPins)
	if !reflect.DeepEqual(pins, goPins) {
		t.Errorf("fetch-uv.sh pins differ from the Go table:\nscript %v\ngo     %v", pins, goPins)
	}
	// The comparison notices a one-digit change.
	h := goPins[0].SHA256
	digit := "0"
	if h[10] == '0' {
		digit = "1"
	}
	flipped := h[:10] + digit + h[11:]
	_, changed := scriptPins(t, strings.Replace(string(data), h, flipped, 1))
	if reflect.DeepEqual(changed, goPins) {
		t.Error("a changed pin in fetch-uv.sh went unnoticed")
	}
}

// TestSharedPinsMatch checks the Go table against the published checksums
// in ../shared/uv-pins (skipped when that folder is absent).
func TestSharedPinsMatch(t *testing.T) {
	data, err := os.ReadFile(sharedPinsFile(t))
	if err != nil {
		t.Fatal(err)
	}
	shared := parseSumFile(t, string(data))
	goPins := Pins()
	sortPins(goPins)
	if !reflect.DeepEqual(shared, goPins) {
		t.Errorf("shared pins differ from the Go table:\nshared %v\ngo     %v", shared, goPins)
	}
	t.Logf("%d/%d shared uv %s pins equal the Go table (and so fetch-uv.sh's)", len(shared), len(goPins), Version)
}
