package resolve

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// Target is a kind of node a lock is made for (--target): a CPython minor
// version on an operating system and machine, written
// "PYVER-OS-ARCH", e.g. "3.13-linux-x86_64" or "3.12-macos-arm64".
type Target struct {
	Major, Minor int
	OS           string // "linux", "macos" or "windows"
	Arch         string // "x86_64", "aarch64" (Linux), "arm64" (macOS), ...
}

var targetRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(\d+)\.(\d+)-([a-z]+)-([a-z0-9_]+)$`) })

// ParseTarget reads a target; operating systems and machines have their
// usual aliases (darwin for macos, amd64 for x86_64, arm64 for aarch64 on
// Linux and Windows, aarch64 for arm64 on macOS).
func ParseTarget(s string) (Target, error) {
	m := targetRE().FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return Target{}, fmt.Errorf("target %q: want PYVER-OS-ARCH, e.g. 3.13-linux-x86_64, 3.12-linux-aarch64, 3.13-macos-arm64 or 3.12-windows-x86_64", s)
	}
	t := Target{OS: m[3], Arch: m[4]}
	t.Major, _ = strconv.Atoi(m[1])
	t.Minor, _ = strconv.Atoi(m[2])
	if t.Major != 3 || t.Minor < 8 {
		return Target{}, fmt.Errorf("target %q: influx-py locks for CPython 3.8 and later", s)
	}
	switch t.OS {
	case "linux", "macos", "windows":
	case "darwin", "macosx":
		t.OS = "macos"
	case "win", "win32":
		t.OS = "windows"
	default:
		return Target{}, fmt.Errorf("target %q: unknown operating system %q (want linux, macos or windows)", s, m[3])
	}
	switch t.Arch {
	case "amd64", "x64":
		t.Arch = "x86_64"
	case "arm64", "aarch64":
		t.Arch = "aarch64"
		if t.OS == "macos" {
			t.Arch = "arm64"
		}
	case "x86_64":
	case "ppc64le", "s390x", "armv7l", "i686", "riscv64":
		if t.OS != "linux" {
			return Target{}, fmt.Errorf("target %q: %s is a Linux machine", s, t.Arch)
		}
	default:
		return Target{}, fmt.Errorf("target %q: unknown machine %q (want x86_64, aarch64, arm64, ...)", s, m[4])
	}
	return t, nil
}

// String is the target as ParseTarget reads it.
func (t Target) String() string {
	return fmt.Sprintf("%d.%d-%s-%s", t.Major, t.Minor, t.OS, t.Arch)
}

// PythonVersion is "3.13".
func (t Target) PythonVersion() string { return fmt.Sprintf("%d.%d", t.Major, t.Minor) }

// SysPlatform, PlatformSystem and PlatformMachine are the marker values
// of an interpreter on the target.
func (t Target) SysPlatform() string {
	return map[string]string{"linux": "linux", "macos": "darwin", "windows": "win32"}[t.OS]
}

func (t Target) platformSystem() string {
	return map[string]string{"linux": "Linux", "macos": "Darwin", "windows": "Windows"}[t.OS]
}

// PlatformMachine is platform.machine() there: Windows says AMD64 and ARM64.
func (t Target) PlatformMachine() string {
	if t.OS == "windows" {
		return map[string]string{"x86_64": "AMD64", "aarch64": "ARM64"}[t.Arch]
	}
	return t.Arch
}

// Marker is the PEP 508 marker that holds on the target and nowhere else a
// lock could be used: the lock's environments, and the marker of a package
// only some targets need.
func (t Target) Marker() string {
	return fmt.Sprintf("python_version == %q and sys_platform == %q and platform_machine == %q", t.PythonVersion(), t.SysPlatform(), t.PlatformMachine())
}

// MarkerVars are the marker variables of CPython on the target, for
// judging a requirement's marker there.
func (t Target) MarkerVars() map[string]string {
	os := "posix"
	if t.OS == "windows" {
		os = "nt"
	}
	return map[string]string{
		"python_version":                 t.PythonVersion(),
		"python_full_version":            t.PythonVersion() + ".0",
		"sys_platform":                   t.SysPlatform(),
		"platform_system":                t.platformSystem(),
		"platform_machine":               t.PlatformMachine(),
		"os_name":                        os,
		"implementation_name":            "cpython",
		"platform_python_implementation": "CPython",
		"implementation_version":         t.PythonVersion() + ".0",
		"platform_release":               "",
		"platform_version":               "",
	}
}

// UVPlatform is the target as uv's --python-platform names it.
func (t Target) UVPlatform() string {
	switch t.OS {
	case "macos":
		if t.Arch == "arm64" {
			return "aarch64-apple-darwin"
		}
		return "x86_64-apple-darwin"
	case "windows":
		if t.Arch == "aarch64" {
			return "aarch64-pc-windows-msvc"
		}
		return "x86_64-pc-windows-msvc"
	}
	return t.Arch + "-unknown-linux-gnu"
}

// PipPlatforms are the platform tags pip's --platform is given for the
// target, most specific first: the manylinux tags a current glibc node
// takes (2.17 to 2.39, and the legacy manylinux2014 alias), macOS 11 to 15
// (arm64; x86_64 from 10.12) with universal2, and win_amd64 or win_arm64.
func (t Target) PipPlatforms() []string {
	var out []string
	switch t.OS {
	case "linux":
		for minor := 39; minor >= 17; minor-- {
			out = append(out, fmt.Sprintf("manylinux_2_%d_%s", minor, t.Arch))
		}
		out = append(out, "manylinux2014_"+t.Arch, "linux_"+t.Arch)
	case "macos":
		for major := 15; major >= 11; major-- {
			out = append(out, fmt.Sprintf("macosx_%d_0_%s", major, t.Arch), fmt.Sprintf("macosx_%d_0_universal2", major))
		}
		if t.Arch == "x86_64" {
			for minor := 16; minor >= 12; minor-- {
				out = append(out, fmt.Sprintf("macosx_10_%d_x86_64", minor), fmt.Sprintf("macosx_10_%d_universal2", minor))
			}
		}
	case "windows":
		if t.Arch == "aarch64" {
			out = append(out, "win_arm64")
		} else {
			out = append(out, "win_amd64")
		}
	}
	return out
}

// TargetArgs are pip's options that resolve for the target: its platform
// tags, Python version and implementation. pip judges wheel tags and
// Requires-Python for the target, but markers other than python_version
// as on the machine running it (uv judges all of them for the target).
func (t Target) PipArgs() []string {
	args := []string{"--python-version", t.PythonVersion(), "--implementation", "cp"}
	for _, p := range t.PipPlatforms() {
		args = append(args, "--platform", p)
	}
	return args
}
