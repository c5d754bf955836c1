// Package interp probes a Python interpreter once for everything a sync
// needs to know about it (version, tag inputs, venv layout, PEP 508 marker
// values) and caches the answer by the identity of the interpreter file, so
// that a no-op sync starts no Python process.
package interp

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/tags"
)

// Info is what the probe script reports about an interpreter. It
// round-trips through JSON (the probe cache stores it as such).
type Info struct {
	// Schema is the version of this structure; see probeSchema.
	Schema int `json:"schema"`

	Executable     string `json:"executable"`      // sys.executable
	RealExecutable string `json:"real_executable"` // os.path.realpath(sys.executable)
	Prefix         string `json:"prefix"`          // sys.prefix
	BasePrefix     string `json:"base_prefix"`     // sys.base_prefix

	FullVersion           string      `json:"version"` // platform.python_version(): "3.11.7", "3.13.0rc1"
	VersionInfo           VersionInfo `json:"version_info"`
	Implementation        string      `json:"implementation_name"` // sys.implementation.name
	ImplementationVersion VersionInfo `json:"implementation_version"`

	ABIFlags          *string  `json:"abiflags"` // sys.abiflags; nil where it does not exist (Windows)
	SOABI             *string  `json:"soabi"`
	ExtSuffix         *string  `json:"ext_suffix"`
	ExtensionSuffixes []string `json:"extension_suffixes"` // importlib.machinery.EXTENSION_SUFFIXES
	// Build flags from sysconfig; nil when the variable is not set.
	PyDebug          *bool `json:"py_debug"`
	PyGILDisabled    *bool `json:"py_gil_disabled"`
	WithPymalloc     *bool `json:"with_pymalloc"`
	HasTotalRefcount bool  `json:"has_gettotalrefcount"`
	// PyVersionNodot is sysconfig's py_version_nodot ("311").
	PyVersionNodot *string `json:"py_version_nodot"`

	Platform string `json:"platform"` // sysconfig.get_platform()
	System   string `json:"system"`   // platform.system()
	Machine  string `json:"machine"`  // platform.machine()
	Is64Bit  bool   `json:"is_64bit"` // sys.maxsize > 2**32

	Libc              *Libc           `json:"libc"`
	ELF               *ELF            `json:"elf"`
	ManylinuxOverride map[string]bool `json:"manylinux_override"`
	MacVersion        *string         `json:"mac_version"`
	IOSVersion        *string         `json:"ios_version"`
	Multiarch         *string         `json:"multiarch"` // sys.implementation._multiarch
	AndroidAPILevel   *int            `json:"android_api_level"`
	EmscriptenVersion *string         `json:"emscripten_version"`

	// VenvPaths is the layout of a venv this interpreter creates.
	VenvPaths VenvPaths `json:"venv_paths"`
	// HasVenv and HasEnsurepip say whether the venv and ensurepip modules
	// can be imported (Debian splits them off into python3-venv).
	HasVenv      bool `json:"has_venv"`
	HasEnsurepip bool `json:"has_ensurepip"`
	// PipWheels are pip wheels shipped with the interpreter (ensurepip's
	// bundle, Debian's python-wheels), used to put pip into a venv that uv
	// created, without an index.
	PipWheels []string `json:"pip_wheels"`

	// Markers is the PEP 508 marker environment of the interpreter.
	Markers map[string]string `json:"markers"`
}

// VersionInfo mirrors sys.version_info.
type VersionInfo struct {
	Major        int    `json:"major"`
	Minor        int    `json:"minor"`
	Micro        int    `json:"micro"`
	ReleaseLevel string `json:"releaselevel"` // "alpha", "beta", "candidate", "final"
	Serial       int    `json:"serial"`
}

// Libc names the C library the interpreter runs on (Linux only).
type Libc struct {
	Name    string `json:"name"`    // "glibc" or "musl"
	Version string `json:"version"` // "2.36", "1.2.4"
}

// ELF is the header of sys.executable on Linux.
type ELF struct {
	Class       int    `json:"class"`
	Data        int    `json:"data"`
	Machine     int    `json:"machine"`
	Flags       uint32 `json:"flags"`
	Interpreter string `json:"interpreter"` // PT_INTERP, the dynamic loader
}

// VenvPaths are slash-separated paths relative to a venv's root, from the
// interpreter's "venv" install scheme (posix_prefix or nt before 3.11).
type VenvPaths struct {
	Scheme  string `json:"scheme"`
	Purelib string `json:"purelib"` // "lib/python3.11/site-packages", "Lib/site-packages"
	Platlib string `json:"platlib"`
	Scripts string `json:"scripts"` // "bin", "Scripts"
	Data    string `json:"data"`    // "." (the root)
}

// Version returns the interpreter's version numbers (sys.version_info[:3]).
func (i *Info) Version() (major, minor, patch int) {
	return i.VersionInfo.Major, i.VersionInfo.Minor, i.VersionInfo.Micro
}

// MarkerVars returns a copy of the PEP 508 marker environment.
func (i *Info) MarkerVars() map[string]string {
	out := make(map[string]string, len(i.Markers))
	for k, v := range i.Markers {
		out[k] = v
	}
	return out
}

// Tags returns the tags the interpreter supports, most preferred first,
// computed in Go from Target.
func (i *Info) Tags() []tags.Tag {
	return tags.Supported(i.Target())
}

var leadingMajorMinor = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)\.([0-9]+)`) })

// Target derives the tag computation inputs the way packaging derives them
// from the running interpreter.
func (i *Info) Target() tags.Target {
	t := tags.Target{
		Implementation: i.Implementation,
		Major:          i.VersionInfo.Major,
		Minor:          i.VersionInfo.Minor,
		VersionNodot:   deref(i.PyVersionNodot),
		ExtSuffix:      deref(i.ExtSuffix),
		System:         i.System,
		Platform:       i.Platform,
		Machine:        i.Machine,
		Is32Bit:        !i.Is64Bit,
		// WITH_PYMALLOC unset counts as set, as packaging has it.
		Pymalloc:          i.WithPymalloc == nil || *i.WithPymalloc,
		FreeThreaded:      i.PyGILDisabled != nil && *i.PyGILDisabled,
		ManylinuxOverride: i.ManylinuxOverride,
		Multiarch:         deref(i.Multiarch),
		EmscriptenVersion: deref(i.EmscriptenVersion),
	}
	if i.PyDebug != nil {
		t.Debug = *i.PyDebug
	} else {
		// Windows does not set Py_DEBUG; a debug build shows in
		// gettotalrefcount or in its "_d.pyd" extension suffix.
		t.Debug = i.HasTotalRefcount
		for _, s := range i.ExtensionSuffixes {
			t.Debug = t.Debug || s == "_d.pyd"
		}
	}
	if i.Libc != nil {
		switch i.Libc.Name {
		case "glibc":
			// A glibc version without major.minor gets no manylinux tags,
			// as in packaging.
			if m := leadingMajorMinor().FindStringSubmatch(i.Libc.Version); m != nil {
				t.Libc = "glibc"
				t.LibcMajor, _ = strconv.Atoi(m[1])
				t.LibcMinor, _ = strconv.Atoi(m[2])
			}
		case "musl":
			if m := leadingMajorMinor().FindStringSubmatch(i.Libc.Version); m != nil {
				t.Libc = "musl"
				t.LibcMajor, _ = strconv.Atoi(m[1])
				t.LibcMinor, _ = strconv.Atoi(m[2])
			}
		}
	}
	if i.ELF != nil {
		t.ELF = &tags.ELF{Class: i.ELF.Class, Data: i.ELF.Data, Machine: i.ELF.Machine, Flags: i.ELF.Flags}
	}
	t.MacMajor, t.MacMinor = majorMinor(deref(i.MacVersion))
	t.IOSMajor, t.IOSMinor = majorMinor(deref(i.IOSVersion))
	if i.AndroidAPILevel != nil {
		t.AndroidAPILevel = *i.AndroidAPILevel
	}
	return t
}

// majorMinor reads "14.2.1" as 14, 2 and "11" as 11, 0.
func majorMinor(s string) (int, int) {
	parts := strings.SplitN(s, ".", 3)
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	return major, minor
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
