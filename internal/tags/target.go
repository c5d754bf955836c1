package tags

import (
	"fmt"
	"strings"
)

// Target describes an interpreter for tag computation: the facts that
// packaging.tags.sys_tags() reads from the running process, gathered once
// by the interpreter probe so that tags can be computed (and tested) in Go.
type Target struct {
	// Implementation is sys.implementation.name: "cpython", "pypy", ...
	Implementation string
	// Major and Minor are sys.version_info[:2].
	Major, Minor int
	// VersionNodot is sysconfig's py_version_nodot ("311"); empty means
	// Major and Minor joined.
	VersionNodot string

	// Debug is a debug build (Py_DEBUG; when that is unset, the presence of
	// sys.gettotalrefcount or a "_d.pyd" extension suffix).
	Debug bool
	// FreeThreaded is a --disable-gil build (Py_GIL_DISABLED, 3.13+).
	FreeThreaded bool
	// Pymalloc is WITH_PYMALLOC (true when unset); it adds the "m" ABI flag
	// before Python 3.8.
	Pymalloc bool
	// ExtSuffix is sysconfig's EXT_SUFFIX, from which the ABI tag of
	// implementations other than CPython is taken.
	ExtSuffix string

	// System is platform.system(): "Linux", "Darwin", "Windows", "iOS",
	// "Android", "Emscripten", ...
	System string
	// Platform is sysconfig.get_platform(): "linux-x86_64", "win-amd64",
	// "macosx-11.0-arm64", ...
	Platform string
	// Machine is platform.machine(); on macOS it is the architecture the
	// macosx tags are computed for.
	Machine string
	// Is32Bit is a 32-bit interpreter (pointer size 4), possibly on a 64-bit
	// kernel, which changes linux_x86_64 into linux_i686 and so on.
	Is32Bit bool

	// Libc is "glibc", "musl" or "" (neither, or not Linux), with its version.
	Libc                 string
	LibcMajor, LibcMinor int
	// ELF is the header of the interpreter executable; packaging looks at it
	// before offering manylinux tags for i686 and armv7l. Nil when unknown.
	ELF *ELF
	// ManylinuxOverride holds the verdicts of a _manylinux module installed
	// in the interpreter (PEP 600), keyed by platform tag such as
	// "manylinux_2_17_x86_64". Tags absent from it are allowed.
	ManylinuxOverride map[string]bool

	// MacMajor and MacMinor are the macOS version (platform.mac_ver()).
	MacMajor, MacMinor int
	// IOSMajor and IOSMinor are the iOS version, Multiarch
	// sys.implementation._multiarch ("arm64_iphoneos").
	IOSMajor, IOSMinor int
	Multiarch          string
	// AndroidAPILevel is platform.android_ver().api_level.
	AndroidAPILevel int
	// EmscriptenVersion is sysconfig's PYEMSCRIPTEN_PLATFORM_VERSION.
	EmscriptenVersion string
}

// ELF holds the ELF header fields of an executable that tag computation
// needs.
type ELF struct {
	Class   int    `json:"class"`   // 1: 32-bit, 2: 64-bit
	Data    int    `json:"data"`    // 1: little endian, 2: big endian
	Machine int    `json:"machine"` // e_machine: 3 i386, 40 ARM, 62 x86-64, ...
	Flags   uint32 `json:"flags"`   // e_flags
}

func (e *ELF) isI686() bool {
	return e != nil && e.Class == 1 && e.Data == 1 && e.Machine == 3
}

func (e *ELF) isArmHF() bool {
	const abiMask, abiVer5, floatHard = 0xFF000000, 0x05000000, 0x00000400
	return e != nil && e.Class == 1 && e.Data == 1 && e.Machine == 40 &&
		e.Flags&abiMask == abiVer5 && e.Flags&floatHard == floatHard
}

// shortNames are the reserved interpreter abbreviations of PEP 425.
var shortNames = map[string]string{
	"python":     "py",
	"cpython":    "cp",
	"pypy":       "pp",
	"ironpython": "ip",
	"jython":     "jy",
}

func (t Target) interpreterName() string {
	if s, ok := shortNames[t.Implementation]; ok {
		return s
	}
	return t.Implementation
}

func (t Target) interpreterVersion() string {
	if t.VersionNodot != "" {
		return t.VersionNodot
	}
	return fmt.Sprintf("%d%d", t.Major, t.Minor)
}

// Supported returns the tags the target supports, most preferred first, in
// the order of packaging.tags.sys_tags() (packaging 26.3 and later, where
// linux_<arch> precedes the manylinux and musllinux tags): the
// implementation's own tags (cpython_tags, or generic_tags for others),
// then compatible_tags.
func Supported(t Target) []Tag {
	return SupportedOn(t, Platforms(t))
}

// SupportedOn is Supported with the platform tags given, most preferred
// first, instead of computed by Platforms.
func SupportedOn(t Target, platforms []string) []Tag {
	var out []Tag
	name := t.interpreterName()
	if name == "cp" {
		out = cpythonTags(t, platforms)
	} else {
		out = genericTags(t, platforms)
	}
	interp := ""
	switch name {
	case "pp":
		interp = "pp3"
	case "cp":
		interp = "cp" + t.interpreterVersion()
	}
	return append(out, compatibleTags(t, interp, platforms)...)
}

// cpythonAbis gives the ABI tags of a CPython build: cp311, cp37m, cp313t,
// cp311d (which also loads cp311 extensions).
func cpythonAbis(t Target) []string {
	base := fmt.Sprintf("cp%d%d", t.Major, t.Minor)
	var threading, debug, pymalloc string
	if t.Debug {
		debug = "d"
	}
	if t.FreeThreaded && (t.Major > 3 || t.Major == 3 && t.Minor >= 13) {
		threading = "t"
	}
	before38 := t.Major < 3 || t.Major == 3 && t.Minor < 8
	if before38 && t.Pymalloc {
		pymalloc = "m"
	}
	abis := []string{base + threading + debug + pymalloc}
	if !before38 && t.Debug {
		abis = append(abis, base+threading)
	}
	return abis
}

func cpythonTags(t Target, platforms []string) []Tag {
	interp := fmt.Sprintf("cp%d%d", t.Major, t.Minor)
	abis := cpythonAbis(t)
	threading := strings.Contains(strings.TrimLeft(abis[0][2:], "0123456789"), "t")
	var out []Tag
	for _, abi := range abis {
		for _, p := range platforms {
			out = append(out, NewTag(interp, abi, p))
		}
	}
	atLeast32 := t.Major > 3 || t.Major == 3 && t.Minor >= 2
	useAbi3 := atLeast32 && !threading
	useAbi3t := atLeast32 && threading
	if useAbi3 {
		for _, p := range platforms {
			out = append(out, NewTag(interp, "abi3", p))
		}
	}
	if useAbi3t {
		for _, p := range platforms {
			out = append(out, NewTag(interp, "abi3t", p))
		}
	}
	for _, p := range platforms {
		out = append(out, NewTag(interp, "none", p))
	}
	if useAbi3 || useAbi3t {
		for minor := t.Minor - 1; minor > 1; minor-- {
			older := fmt.Sprintf("cp%d%d", t.Major, minor)
			for _, p := range platforms {
				if useAbi3 {
					out = append(out, NewTag(older, "abi3", p))
				}
				if useAbi3t {
					out = append(out, NewTag(older, "abi3t", p))
				}
			}
		}
	}
	return out
}

// genericAbi derives the ABI tag of a non-CPython interpreter from its
// EXT_SUFFIX, e.g. ".pypy310-pp73-x86_64-linux-gnu.so" gives "pypy310_pp73".
func genericAbi(t Target) []string {
	parts := strings.Split(t.ExtSuffix, ".")
	if !strings.HasPrefix(t.ExtSuffix, ".") {
		// packaging raises here; without an EXT_SUFFIX only "none" remains.
		return nil
	}
	if len(parts) < 3 {
		// ".pyd" of CPython 3.7 and earlier on Windows.
		return cpythonAbis(t)
	}
	soabi := parts[1]
	var abi string
	switch {
	case strings.HasPrefix(soabi, "cpython"):
		cp := strings.Split(soabi, "-")
		if len(cp) < 2 || cp[1] == "" {
			return nil
		}
		abi = "cp" + cp[1]
	case strings.HasPrefix(soabi, "cp"):
		abi = strings.Split(soabi, "-")[0]
	case strings.HasPrefix(soabi, "pypy"):
		abi = strings.Join(firstN(strings.Split(soabi, "-"), 2), "-")
	case strings.HasPrefix(soabi, "graalpy"):
		abi = strings.Join(firstN(strings.Split(soabi, "-"), 3), "-")
	case soabi != "":
		abi = soabi
	default:
		return nil
	}
	return []string{normalizeString(abi)}
}

func firstN(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func genericTags(t Target, platforms []string) []Tag {
	interp := t.interpreterName() + t.interpreterVersion()
	abis := genericAbi(t)
	hasNone := false
	for _, a := range abis {
		hasNone = hasNone || a == "none"
	}
	if !hasNone {
		abis = append(abis, "none")
	}
	var out []Tag
	for _, abi := range abis {
		for _, p := range platforms {
			out = append(out, NewTag(interp, abi, p))
		}
	}
	return out
}

// pyRange gives py311, py3, py310, ..., py30.
func pyRange(major, minor int) []string {
	out := []string{fmt.Sprintf("py%d%d", major, minor), fmt.Sprintf("py%d", major)}
	for m := minor - 1; m >= 0; m-- {
		out = append(out, fmt.Sprintf("py%d%d", major, m))
	}
	return out
}

func compatibleTags(t Target, interp string, platforms []string) []Tag {
	var out []Tag
	versions := pyRange(t.Major, t.Minor)
	for _, v := range versions {
		for _, p := range platforms {
			out = append(out, NewTag(v, "none", p))
		}
	}
	if interp != "" {
		out = append(out, NewTag(interp, "none", "any"))
	}
	for _, v := range versions {
		out = append(out, NewTag(v, "none", "any"))
	}
	return out
}

func normalizeString(s string) string {
	return strings.NewReplacer(".", "_", "-", "_", " ", "_").Replace(s)
}

// Platforms returns the platform tags of the target, most preferred first,
// as packaging's platform_tags() computes them for the running system.
func Platforms(t Target) []string {
	switch t.System {
	case "Darwin":
		return macPlatforms(t.MacMajor, t.MacMinor, macArch(t.Machine, t.Is32Bit))
	case "iOS":
		return iosPlatforms(t.IOSMajor, t.IOSMinor, t.Multiarch)
	case "Android":
		abi := t.Platform[strings.LastIndexByte(t.Platform, '-')+1:]
		return androidPlatforms(t.AndroidAPILevel, normalizeString(abi))
	case "Linux":
		return linuxPlatforms(t)
	case "Emscripten":
		var out []string
		if t.EmscriptenVersion != "" {
			out = append(out, "pyemscripten_"+t.EmscriptenVersion+"_wasm32")
		}
		return append(out, normalizeString(t.Platform))
	default:
		return []string{normalizeString(t.Platform)}
	}
}

func linuxPlatforms(t Target) []string {
	linux := normalizeString(t.Platform)
	if !strings.HasPrefix(linux, "linux_") {
		return []string{linux}
	}
	if t.Is32Bit {
		switch linux {
		case "linux_x86_64":
			linux = "linux_i686"
		case "linux_aarch64":
			linux = "linux_armv8l"
		}
	}
	arch := strings.TrimPrefix(linux, "linux_")
	archs := []string{arch}
	if arch == "armv8l" {
		archs = []string{"armv8l", "armv7l"}
	}
	var out []string
	for _, a := range archs {
		out = append(out, "linux_"+a)
	}
	out = append(out, manylinuxPlatforms(t, archs)...)
	return append(out, musllinuxPlatforms(t, archs)...)
}

// manylinuxAllowedArchs are the architectures that manylinux tags exist for
// without a look at the executable.
var manylinuxAllowedArchs = map[string]bool{
	"x86_64": true, "aarch64": true, "ppc64": true, "ppc64le": true,
	"s390x": true, "loongarch64": true, "riscv64": true,
}

// lastGlibcMinor is packaging's guess at the last minor version of a glibc
// major version that has not happened yet.
const lastGlibcMinor = 50

var legacyManylinux = map[[2]int]string{
	{2, 17}: "manylinux2014",
	{2, 12}: "manylinux2010",
	{2, 5}:  "manylinux1",
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// manylinuxPlatforms gives manylinux_X_Y_arch for every glibc from the
// target's down to 2.5 (x86) or 2.17 (others), each followed by its legacy
// alias (manylinux2014 and so on) where one exists.
func manylinuxPlatforms(t Target, archs []string) []string {
	switch {
	case contains(archs, "armv7l"):
		if !t.ELF.isArmHF() {
			return nil
		}
	case contains(archs, "i686"):
		if !t.ELF.isI686() {
			return nil
		}
	default:
		ok := false
		for _, a := range archs {
			ok = ok || manylinuxAllowedArchs[a]
		}
		if !ok {
			return nil
		}
	}
	cur := [2]int{-1, -1}
	if t.Libc == "glibc" {
		cur = [2]int{t.LibcMajor, t.LibcMinor}
	}
	tooOld := [2]int{2, 16}
	if contains(archs, "x86_64") || contains(archs, "i686") {
		tooOld = [2]int{2, 4}
	}
	maxes := [][2]int{cur}
	for major := cur[0] - 1; major > 1; major-- {
		maxes = append(maxes, [2]int{major, lastGlibcMinor})
	}
	var out []string
	for _, arch := range archs {
		for _, m := range maxes {
			minMinor := -1
			if m[0] == tooOld[0] {
				minMinor = tooOld[1]
			}
			for minor := m[1]; minor > minMinor; minor-- {
				v := [2]int{m[0], minor}
				if !glibcCompatible(t, cur, v, arch) {
					continue
				}
				out = append(out, fmt.Sprintf("manylinux_%d_%d_%s", v[0], v[1], arch))
				if legacy, ok := legacyManylinux[v]; ok {
					out = append(out, legacy+"_"+arch)
				}
			}
		}
	}
	return out
}

func glibcCompatible(t Target, cur, v [2]int, arch string) bool {
	if cur[0] < v[0] || cur[0] == v[0] && cur[1] < v[1] {
		return false
	}
	if ok, found := t.ManylinuxOverride[fmt.Sprintf("manylinux_%d_%d_%s", v[0], v[1], arch)]; found {
		return ok
	}
	return true
}

func musllinuxPlatforms(t Target, archs []string) []string {
	if t.Libc != "musl" {
		return nil
	}
	var out []string
	for _, arch := range archs {
		for minor := t.LibcMinor; minor >= 0; minor-- {
			out = append(out, fmt.Sprintf("musllinux_%d_%d_%s", t.LibcMajor, minor, arch))
		}
	}
	return out
}

func macArch(machine string, is32 bool) string {
	if !is32 {
		return machine
	}
	if strings.HasPrefix(machine, "ppc") {
		return "ppc"
	}
	return "i386"
}

func versionLess(a, b [2]int) bool {
	return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
}

// macBinaryFormats lists the binary formats a macOS version runs for an
// architecture, the architecture itself first.
func macBinaryFormats(v [2]int, arch string) []string {
	formats := []string{arch}
	switch arch {
	case "x86_64":
		if versionLess(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat64", "fat3")
	case "i386":
		if versionLess(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "intel", "fat3", "fat")
	case "ppc64":
		if versionLess([2]int{10, 5}, v) || versionLess(v, [2]int{10, 4}) {
			return nil
		}
		formats = append(formats, "fat64")
	case "ppc":
		if versionLess([2]int{10, 6}, v) {
			return nil
		}
		formats = append(formats, "fat3", "fat")
	}
	if arch == "arm64" || arch == "x86_64" {
		formats = append(formats, "universal2")
	}
	switch arch {
	case "x86_64", "i386", "ppc64", "ppc", "intel":
		formats = append(formats, "universal")
	}
	return formats
}

func macPlatforms(major, minor int, arch string) []string {
	var out []string
	v := [2]int{major, minor}
	emit := func(ma, mi int) {
		for _, f := range macBinaryFormats([2]int{ma, mi}, arch) {
			out = append(out, fmt.Sprintf("macosx_%d_%d_%s", ma, mi, f))
		}
	}
	if !versionLess(v, [2]int{10, 0}) && versionLess(v, [2]int{11, 0}) {
		// Before macOS 11 every yearly release bumped the minor version.
		for mi := minor; mi >= 0; mi-- {
			emit(10, mi)
		}
	}
	if !versionLess(v, [2]int{11, 0}) {
		// From macOS 11 on the major version counts releases.
		for ma := major; ma > 10; ma-- {
			emit(ma, 0)
		}
		// x86_64 runs everything back to 10.4; arm64 exists since 11.0 and
		// only universal2 binaries can claim an older version.
		for mi := 16; mi > 3; mi-- {
			if arch == "x86_64" {
				emit(10, mi)
			} else {
				out = append(out, fmt.Sprintf("macosx_10_%d_universal2", mi))
			}
		}
	}
	return out
}

func iosPlatforms(major, minor int, multiarch string) []string {
	multiarch = strings.ReplaceAll(multiarch, "-", "_")
	if major < 12 {
		return nil
	}
	var out []string
	for mi := minor; mi >= 0; mi-- {
		out = append(out, fmt.Sprintf("ios_%d_%d_%s", major, mi, multiarch))
	}
	for ma := major - 1; ma > 11; ma-- {
		for mi := 9; mi >= 0; mi-- {
			out = append(out, fmt.Sprintf("ios_%d_%d_%s", ma, mi, multiarch))
		}
	}
	return out
}

func androidPlatforms(api int, abi string) []string {
	var out []string
	for v := api; v >= 16; v-- {
		out = append(out, fmt.Sprintf("android_%d_%s", v, abi))
	}
	return out
}

// Index ranks tags by their position in a supported list, for choosing among
// the wheels of a project.
type Index map[Tag]int

// NewIndex indexes a supported list (as Supported returns); a tag listed
// twice keeps its first, better, rank.
func NewIndex(supported []Tag) Index {
	ix := make(Index, len(supported))
	for i, t := range supported {
		if _, dup := ix[t]; !dup {
			ix[t] = i
		}
	}
	return ix
}

// Best returns the rank of the best of tags (lower is better) and whether
// any of them is supported at all.
func (ix Index) Best(tags []Tag) (best int, ok bool) {
	for _, t := range tags {
		if r, found := ix[t]; found && (!ok || r < best) {
			best, ok = r, true
		}
	}
	return best, ok
}

// Compatible ranks a wheel's tags against the target: the index in
// Supported(t) of its best tag, and false when none is supported. Build an
// Index once when ranking many wheels.
func (t Target) Compatible(tags []Tag) (best int, ok bool) {
	return NewIndex(Supported(t)).Best(tags)
}
