package interp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/run"
	"github.com/influx-py/influx-py/internal/tags"
)

func skipOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("uses symlinks and /bin/sh scripts")
	}
}

// probeCounting probes python and returns the answer and how many
// processes that started.
func probeCounting(t *testing.T, p *Prober, python string) (*Info, int64) {
	t.Helper()
	before := p.Runner.Started.Load()
	info, err := p.Probe(context.Background(), python)
	if err != nil {
		t.Fatal(err)
	}
	return info, p.Runner.Started.Load() - before
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestProbeCacheInvalidation(t *testing.T) {
	skipOnWindows(t)
	pythons := realInterpreters(t)
	pyA, err := filepath.EvalSymlinks(pythons[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := &Prober{Runner: &run.Runner{}, CacheDir: filepath.Join(dir, "cache"), Environ: os.Environ()}

	// A symlink: probed once, then answered from the cache.
	link := filepath.Join(dir, "link", "python")
	os.MkdirAll(filepath.Dir(link), 0o755)
	if err := os.Symlink(pyA, link); err != nil {
		t.Fatal(err)
	}
	a, n := probeCounting(t, p, link)
	if n != 1 {
		t.Fatalf("first probe started %d processes", n)
	}
	if a.Executable != link || a.RealExecutable != pyA {
		t.Errorf("executable %q real %q, want %q and %q", a.Executable, a.RealExecutable, link, pyA)
	}
	if _, n := probeCounting(t, p, link); n != 0 {
		t.Errorf("second probe started %d processes", n)
	}

	// The same file invoked through another path is another entry: a venv's
	// python is a symlink to its base, and sys.prefix differs between them.
	link2 := filepath.Join(dir, "link2", "python")
	os.MkdirAll(filepath.Dir(link2), 0o755)
	os.Symlink(pyA, link2)
	if b, n := probeCounting(t, p, link2); n != 1 || b.Executable != link2 {
		t.Errorf("probe through another path: %d processes, executable %q", n, b.Executable)
	}

	// Re-pointing the symlink at another interpreter invalidates.
	var pyB string
	for _, py := range pythons[1:] {
		r, _ := filepath.EvalSymlinks(py)
		if b, _ := probeCounting(t, &Prober{Runner: &run.Runner{}, Environ: os.Environ()}, r); b.FullVersion != a.FullVersion {
			pyB = r
			break
		}
	}
	if pyB == "" {
		t.Log("only one interpreter version: symlink re-pointing not tested")
	} else {
		os.Remove(link)
		if err := os.Symlink(pyB, link); err != nil {
			t.Fatal(err)
		}
		b, n := probeCounting(t, p, link)
		if n != 1 || b.FullVersion == a.FullVersion {
			t.Errorf("after re-pointing: %d processes, version %s (was %s)", n, b.FullVersion, a.FullVersion)
		}
	}

	// A copied interpreter: touching it, or replacing it by a file of the
	// same size and modification time, invalidates.
	cp := filepath.Join(dir, "copy", "python")
	os.MkdirAll(filepath.Dir(cp), 0o755)
	copyFile(t, pyA, cp)
	check := exec.Command(cp, "-I", "-c", "pass")
	check.Env = pythonEnv()
	if err := check.Run(); err != nil {
		t.Logf("a copy of %s does not run (%v): copied-file cases not tested", pyA, err)
	} else {
		if _, n := probeCounting(t, p, cp); n != 1 {
			t.Errorf("copy: first probe started %d processes", n)
		}
		if _, n := probeCounting(t, p, cp); n != 0 {
			t.Errorf("copy: second probe started %d processes", n)
		}
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(cp, later, later); err != nil {
			t.Fatal(err)
		}
		if _, n := probeCounting(t, p, cp); n != 1 {
			t.Errorf("touched copy: probe started %d processes, want 1", n)
		}
		if runtime.GOOS == "linux" || runtime.GOOS == "darwin" {
			fi, _ := os.Stat(cp)
			tmp := cp + ".new"
			copyFile(t, pyA, tmp)
			os.Chtimes(tmp, fi.ModTime(), fi.ModTime())
			if err := os.Rename(tmp, cp); err != nil {
				t.Fatal(err)
			}
			if _, n := probeCounting(t, p, cp); n != 1 {
				t.Errorf("replaced copy with the same size and mtime: probe started %d processes, want 1", n)
			}
		}
	}

	// A launcher script is probed every time: what it runs can change
	// without it changing.
	script := filepath.Join(dir, "script", "python")
	writeScript(t, script, "exec '"+pyA+"' \"$@\"\n")
	for i := 0; i < 2; i++ {
		s, n := probeCounting(t, p, script)
		if n != 1 || s.FullVersion != a.FullVersion {
			t.Errorf("script probe %d: %d processes, version %s", i, n, s.FullVersion)
		}
	}

	// An entry whose real executable changed since is not used; a corrupt
	// entry neither, and both are rewritten.
	entries, _ := filepath.Glob(filepath.Join(p.CacheDir, "probe", "*.json"))
	if len(entries) == 0 {
		t.Fatal("no cache entries written")
	}
	for _, e := range entries {
		data, _ := os.ReadFile(e)
		var ce cacheEntry
		if err := json.Unmarshal(data, &ce); err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		if ce.Invoked != link2 {
			continue
		}
		ce.RealExe.ModTime++
		data, _ = json.Marshal(ce)
		os.WriteFile(e, data, 0o644)
	}
	if _, n := probeCounting(t, p, link2); n != 1 {
		t.Errorf("entry with a changed real executable: probe started %d processes, want 1", n)
	}
	for _, e := range entries {
		os.WriteFile(e, []byte("{garbage"), 0o644)
	}
	if _, n := probeCounting(t, p, link2); n != 1 {
		t.Errorf("corrupt entry: probe started %d processes, want 1", n)
	}
	if _, n := probeCounting(t, p, link2); n != 0 {
		t.Errorf("rewritten entry: probe started %d processes, want 0", n)
	}
}

func TestProbeErrors(t *testing.T) {
	skipOnWindows(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "notexec")
	os.WriteFile(notExec, []byte("#!/bin/sh\necho hi\n"), 0o644)
	garbage := filepath.Join(dir, "garbage", "python")
	writeScript(t, garbage, "echo 'Python 3.11.7'\necho '{\"schema\": 1}'\n")
	failing := filepath.Join(dir, "failing", "python")
	writeScript(t, failing, "echo 'no such option -I' >&2\nexit 3\n")
	badJSON := filepath.Join(dir, "badjson", "python")
	writeScript(t, badJSON, "echo 'influx-py-probe:{\"schema\": 1,'\n")
	wrongSchema := filepath.Join(dir, "schema", "python")
	writeScript(t, wrongSchema, "echo 'influx-py-probe:{\"schema\": 99, \"version_info\": {\"major\": 3}, \"implementation_name\": \"cpython\", \"markers\": {\"os_name\": \"posix\"}}'\n")
	empty := filepath.Join(dir, "empty", "python")
	writeScript(t, empty, "true\n")

	tests := []struct {
		python string
		want   string // in the error message
	}{
		{filepath.Join(dir, "missing", "python3"), "no such file"},
		{"influx-py-no-such-python-3.99", "not found"},
		{"", "empty interpreter name"},
		{notExec, "permission denied"},
		{dir, "not a regular file"},
		{garbage, "not a Python interpreter"},
		{failing, "exit status 3"},
		{badJSON, "decode probe answer"},
		{wrongSchema, "schema 99"},
		{empty, "not a Python interpreter"},
	}
	for _, tc := range tests {
		runner := &run.Runner{}
		p := &Prober{Runner: runner, CacheDir: filepath.Join(dir, "cache"), Environ: os.Environ()}
		info, err := p.Probe(context.Background(), tc.python)
		var pe *ProbeError
		if !errors.As(err, &pe) {
			t.Errorf("%q: got %+v, %v; want a *ProbeError", tc.python, info, err)
			continue
		}
		if pe.Python != tc.python {
			t.Errorf("%q: ProbeError names %q", tc.python, pe.Python)
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "probe python interpreter") {
			t.Errorf("%q: error %q does not say %q", tc.python, err, tc.want)
		}
	}
	// A failing child's run.Error stays reachable, with its stderr.
	_, err := (&Prober{Runner: &run.Runner{}}).Probe(context.Background(), failing)
	var re *run.Error
	if !errors.As(err, &re) || re.ExitCode != 3 || !strings.Contains(re.Stderr, "no such option") {
		t.Errorf("failing interpreter: %v", err)
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "cache", "probe", "*")); len(matches) != 0 {
		t.Errorf("failed probes left cache entries: %v", matches)
	}
}

// sampleInfo is a fully populated answer, every pointer set.
func sampleInfo() *Info {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	api := 30
	return &Info{
		Schema: probeSchema, Executable: "/v/bin/python", RealExecutable: "/usr/bin/python3.11",
		Prefix: "/v", BasePrefix: "/usr", FullVersion: "3.11.2",
		VersionInfo:    VersionInfo{3, 11, 2, "final", 0},
		Implementation: "cpython", ImplementationVersion: VersionInfo{3, 11, 2, "final", 0},
		ABIFlags: s(""), SOABI: s("cpython-311-x86_64-linux-gnu"), ExtSuffix: s(".cpython-311-x86_64-linux-gnu.so"),
		ExtensionSuffixes: []string{".cpython-311-x86_64-linux-gnu.so", ".abi3.so", ".so"},
		PyDebug:           b(false), HasTotalRefcount: true, PyGILDisabled: b(false), WithPymalloc: b(true), PyVersionNodot: s("311"),
		Platform: "linux-x86_64", System: "Linux", Machine: "x86_64", Is64Bit: true,
		Libc:              &Libc{"glibc", "2.36"},
		ELF:               &ELF{2, 1, 62, 0, "/lib64/ld-linux-x86-64.so.2"},
		ManylinuxOverride: map[string]bool{"manylinux_2_5_x86_64": false},
		MacVersion:        s("14.2"), IOSVersion: s("17.2"), Multiarch: s("x86_64-linux-gnu"), AndroidAPILevel: &api,
		EmscriptenVersion: s("2025_0"),
		VenvPaths:         VenvPaths{"venv", "lib/python3.11/site-packages", "lib/python3.11/site-packages", "bin", "."},
		HasVenv:           true, HasEnsurepip: true, PipWheels: []string{"/usr/lib/python3.11/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl"},
		Markers: map[string]string{"os_name": "posix", "sys_platform": "linux", "python_version": "3.11",
			"python_full_version": "3.11.2", "implementation_name": "cpython"},
	}
}

func TestInfoJSONRoundTrip(t *testing.T) {
	want := sampleInfo()
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeOutput(append([]byte("noise from sitecustomize\n"+outputMarker), data...))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Every field survives: a zero field in the sample would hide a
	// missing json tag.
	v := reflect.ValueOf(*want)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Errorf("sampleInfo leaves %s zero", v.Type().Field(i).Name)
		}
	}
}

func modified(f func(*Info)) string {
	i := sampleInfo()
	f(i)
	data, _ := json.Marshal(i)
	return string(data)
}

func TestDecodeOutput(t *testing.T) {
	good, _ := json.Marshal(sampleInfo())
	tests := []struct {
		name string
		out  string
		ok   bool
	}{
		{"plain", outputMarker + string(good) + "\n", true},
		{"crlf and noise", "hello\r\n" + outputMarker + string(good) + "\r\n", true},
		{"last marker wins", outputMarker + "{}\n" + outputMarker + string(good), true},
		{"empty", "", false},
		{"no marker", string(good), false},
		{"marker not at line start", "x" + outputMarker + string(good), false},
		{"not json", outputMarker + "Python 3.11", false},
		{"empty object", outputMarker + "{}", false},
		{"trailing garbage", outputMarker + string(good) + "}", false},
		{"wrong type", outputMarker + `{"schema": "1"}`, false},
		{"huge minor", outputMarker + modified(func(i *Info) { i.VersionInfo.Minor = 1 << 30 }), false},
		{"huge glibc", outputMarker + modified(func(i *Info) { i.Libc.Version = "2.123456" }), false},
		{"huge macos", outputMarker + modified(func(i *Info) { *i.MacVersion = "99999999999999999999.1" }), false},
		{"negative android", outputMarker + modified(func(i *Info) { *i.AndroidAPILevel = -1 }), false},
	}
	for _, tc := range tests {
		info, err := DecodeOutput([]byte(tc.out))
		if (err == nil) != tc.ok {
			t.Errorf("%s: %+v, %v; want ok=%v", tc.name, info, err, tc.ok)
		}
	}
}

func FuzzDecodeOutput(f *testing.F) {
	good, _ := json.Marshal(sampleInfo())
	f.Add([]byte(outputMarker + string(good)))
	f.Add([]byte("x\n" + outputMarker + `{"schema":2,"version_info":{"major":3},"implementation_name":"x","markers":{"a":"b"}}`))
	f.Add([]byte(outputMarker + `{"schema":2,"libc":{"name":"musl","version":"1"},"elf":{"flags":-1}}`))
	f.Add([]byte(outputMarker + "null"))
	f.Fuzz(func(t *testing.T, out []byte) {
		info, err := DecodeOutput(out)
		if err != nil {
			return
		}
		if info.check() != nil {
			t.Fatal("accepted an answer that fails check")
		}
		// Whatever is accepted gives a target and tags without panicking,
		// and survives a round trip.
		_ = info.Tags()
		data, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeOutput(append([]byte(outputMarker), data...))
		if err != nil || !reflect.DeepEqual(again, info) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, again, info)
		}
	})
}

func TestTarget(t *testing.T) {
	s := func(v string) *string { return &v }
	b := func(v bool) *bool { return &v }
	tests := []struct {
		name   string
		modify func(*Info)
		want   func(tags.Target) bool
	}{
		{"linux glibc", func(*Info) {}, func(x tags.Target) bool {
			return x.Libc == "glibc" && x.LibcMajor == 2 && x.LibcMinor == 36 && !x.Is32Bit && x.Pymalloc && !x.Debug &&
				x.ELF != nil && x.ELF.Machine == 62 && x.VersionNodot == "311" && x.Major == 3 && x.Minor == 11
		}},
		{"glibc with a vendor suffix", func(i *Info) { i.Libc.Version = "2.20-2014.11" }, func(x tags.Target) bool {
			return x.Libc == "glibc" && x.LibcMajor == 2 && x.LibcMinor == 20
		}},
		{"unreadable glibc version", func(i *Info) { i.Libc.Version = "unknown" }, func(x tags.Target) bool { return x.Libc == "" }},
		{"musl", func(i *Info) { i.Libc = &Libc{"musl", "1.2.4"} }, func(x tags.Target) bool {
			return x.Libc == "musl" && x.LibcMajor == 1 && x.LibcMinor == 2
		}},
		{"windows debug from _d.pyd", func(i *Info) {
			i.PyDebug, i.WithPymalloc, i.ExtensionSuffixes = nil, nil, []string{"_d.cp312-win_amd64.pyd", "_d.pyd"}
		}, func(x tags.Target) bool { return x.Debug && x.Pymalloc }},
		{"debug from gettotalrefcount", func(i *Info) { i.PyDebug, i.HasTotalRefcount = nil, true }, func(x tags.Target) bool { return x.Debug }},
		{"Py_DEBUG wins", func(i *Info) { i.PyDebug, i.HasTotalRefcount = b(false), true }, func(x tags.Target) bool { return !x.Debug }},
		{"no pymalloc", func(i *Info) { i.WithPymalloc = b(false) }, func(x tags.Target) bool { return !x.Pymalloc }},
		{"free-threaded", func(i *Info) { i.PyGILDisabled = b(true) }, func(x tags.Target) bool { return x.FreeThreaded }},
		{"32-bit", func(i *Info) { i.Is64Bit = false }, func(x tags.Target) bool { return x.Is32Bit }},
		{"macos version", func(i *Info) { i.MacVersion = s("10.15.7") }, func(x tags.Target) bool { return x.MacMajor == 10 && x.MacMinor == 15 }},
		{"macos major only", func(i *Info) { i.MacVersion = s("11") }, func(x tags.Target) bool { return x.MacMajor == 11 && x.MacMinor == 0 }},
		{"nothing optional", func(i *Info) {
			i.Libc, i.ELF, i.MacVersion, i.IOSVersion, i.AndroidAPILevel, i.PyVersionNodot, i.ExtSuffix = nil, nil, nil, nil, nil, nil, nil
		}, func(x tags.Target) bool {
			return x.Libc == "" && x.ELF == nil && x.MacMajor == 0 && x.VersionNodot == ""
		}},
	}
	for _, tc := range tests {
		info := sampleInfo()
		tc.modify(info)
		x := info.Target()
		if !tc.want(x) {
			t.Errorf("%s: %+v", tc.name, x)
		}
		if !reflect.DeepEqual(info.Tags(), tags.Supported(x)) {
			t.Errorf("%s: Tags() differs from tags.Supported(Target())", tc.name)
		}
	}
	info := sampleInfo()
	m := info.MarkerVars()
	m["os_name"] = "changed"
	if info.Markers["os_name"] != "posix" {
		t.Error("MarkerVars shares the Info's map")
	}
	if ma, mi, pa := info.Version(); ma != 3 || mi != 11 || pa != 2 {
		t.Errorf("Version() = %d.%d.%d", ma, mi, pa)
	}
}
