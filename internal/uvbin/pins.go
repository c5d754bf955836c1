// Package uvbin obtains the uv that influx-py pins, proves its bytes are the
// published ones, keeps it in a cache, and installs through it.
//
// The pin table below is the whole trust anchor: a release archive is used
// only when its SHA-256 equals the pinned value, wherever it was downloaded
// from (uv's release host or a mirror), and the binary extracted from it is
// hashed again before every later use.
package uvbin

import (
	"debug/elf"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
)

// Version is the uv release influx-py pins.
const Version = "0.12.18"

// DefaultBaseURL is where uv's releases are published; an archive's URL is
// <base>/<version>/<archive>.
const DefaultBaseURL = "https://github.com/astral-sh/uv/releases/download"

// Pin is one release archive and the SHA-256 uv's release published for it.
type Pin struct {
	Target  string // Rust target triple, e.g. "x86_64-unknown-linux-gnu"
	Archive string // file name in the release, e.g. "uv-x86_64-unknown-linux-gnu.tar.gz"
	SHA256  string // lowercase hex
}

// Pins returns the archives of uv Version for every target influx-py
// supports. scripts/fetch-uv.sh carries the same values; a test keeps the
// two, and the shared pin file they came from, in agreement.
func Pins() []Pin {
	return []Pin{
		{"aarch64-apple-darwin", "uv-aarch64-apple-darwin.tar.gz", "cf40e0c6a202190ccd9e0406dcfdd5b2d6668a9a5c779b17948963df32aafe5b"},
		{"x86_64-apple-darwin", "uv-x86_64-apple-darwin.tar.gz", "2e4108f5395397c8bc5d43bf83d3bdbb2d0e92b90d0efa607756be704905fa33"},
		{"aarch64-unknown-linux-gnu", "uv-aarch64-unknown-linux-gnu.tar.gz", "afb6291f3f0a6b4521fc67b947822506c41dde5b60d2189dd8f3695b2ac8c9e7"},
		{"x86_64-unknown-linux-gnu", "uv-x86_64-unknown-linux-gnu.tar.gz", "89eadd7c76fc063887959510d5ba0ab1264dfd5f1143b925ddb73021a40acf16"},
		{"aarch64-unknown-linux-musl", "uv-aarch64-unknown-linux-musl.tar.gz", "0796973fb3eea8095078c3d0659bd17a5f6789a71b8dd85caff2483178f78ac3"},
		{"x86_64-unknown-linux-musl", "uv-x86_64-unknown-linux-musl.tar.gz", "e38d97460b98ebfd31b197de0fe9fa578add4bc8ba0179b203dd3f87b99f98e6"},
		{"x86_64-pc-windows-msvc", "uv-x86_64-pc-windows-msvc.zip", "cae6a3bc25239f83dffb467a4b180508d9da23986c04639ebfa44e43e6a84bff"},
		{"aarch64-pc-windows-msvc", "uv-aarch64-pc-windows-msvc.zip", "17f27b1c64eacc757ae603579f116a014881e486c5e79ae81877980d4699e943"},
	}
}

// findPin returns the pin for target in pins.
func findPin(pins []Pin, target string) (Pin, bool) {
	for _, p := range pins {
		if p.Target == target {
			return p, true
		}
	}
	return Pin{}, false
}

// UnsupportedTargetError says that no uv build is pinned for a platform.
type UnsupportedTargetError struct {
	GOOS, GOARCH string
}

func (e *UnsupportedTargetError) Error() string {
	return fmt.Sprintf("no uv build is pinned for %s/%s", e.GOOS, e.GOARCH)
}

// DetectTarget maps a Go platform to the target triple of uv's release
// archive. musl matters only on Linux, where uv ships a statically linked
// musl build that a glibc system could also run but that is the only one a
// musl system (Alpine) can.
func DetectTarget(goos, goarch string, musl bool) (string, error) {
	var arch string
	switch goarch {
	case "amd64":
		arch = "x86_64"
	case "arm64":
		arch = "aarch64"
	default:
		return "", &UnsupportedTargetError{goos, goarch}
	}
	switch goos {
	case "linux":
		if musl {
			return arch + "-unknown-linux-musl", nil
		}
		return arch + "-unknown-linux-gnu", nil
	case "darwin":
		return arch + "-apple-darwin", nil
	case "windows":
		return arch + "-pc-windows-msvc", nil
	}
	return "", &UnsupportedTargetError{goos, goarch}
}

// HostTarget is DetectTarget for the running system.
func HostTarget() (string, error) {
	musl := false
	if runtime.GOOS == "linux" {
		loaders, _ := filepath.Glob("/lib/ld-musl-*.so.1")
		musl = IsMusl(loaders, elfInterpreter("/bin/sh"))
	}
	return DetectTarget(runtime.GOOS, runtime.GOARCH, musl)
}

// IsMusl decides from what a Linux system shows whether its C library is
// musl: a musl dynamic loader in /lib (loaders, from a glob of
// /lib/ld-musl-*.so.1), or a musl loader named as the ELF interpreter of a
// system program such as /bin/sh (interp; empty when unknown). Without cgo
// there is no libc to ask, so the files are the evidence.
func IsMusl(loaders []string, interp string) bool {
	if strings.Contains(filepath.Base(interp), "musl") {
		return true
	}
	if interp != "" && strings.Contains(filepath.Base(interp), "ld-linux") {
		// A glibc loader runs the system's own programs: a musl loader lying
		// around (a compat package) does not make this a musl system.
		return false
	}
	for _, l := range loaders {
		if strings.HasPrefix(filepath.Base(l), "ld-musl-") {
			return true
		}
	}
	return false
}

// elfInterpreter returns the PT_INTERP path of the ELF file at path, or ""
// when it is not a dynamically linked ELF file.
func elfInterpreter(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type != elf.PT_INTERP {
			continue
		}
		if p.Filesz == 0 || p.Filesz > 4096 {
			return ""
		}
		buf := make([]byte, p.Filesz)
		if _, err := p.ReadAt(buf, 0); err != nil {
			return ""
		}
		return strings.TrimRight(string(buf), "\x00")
	}
	return ""
}
