// Command bench times influx-py against plain pip and plain uv on the same
// machine, in one run, and prints a markdown table of medians and ratios.
//
//	go run ./bench                                   # pip only
//	go run ./bench -uv "$INFLUX_PY_TEST_UV" -runs 5  # with uv
//
// The reference set is built here, with influx-py's own wheel builder: 50
// projects with dependencies between them, some with console scripts, some
// with platform tags, three of several MB, in all about 1,300 files; and
// locks of 30, 200 and 1,000 small projects for the no-op paths and peak
// memory. Every tool installs the same files from a local folder, without
// an index. It is not part of 'go test ./...': run it on purpose, on a
// quiet machine.
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/tags"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

func main() {
	runs := flag.Int("runs", 3, "runs of each measurement (the median is shown)")
	python := flag.String("python", "", "the interpreter (default: pyenv's 3.12, else python3)")
	uv := flag.String("uv", os.Getenv("INFLUX_PY_TEST_UV"), "a real uv for the uv columns (default $INFLUX_PY_TEST_UV)")
	keep := flag.Bool("keep", false, "keep the work folder")
	flag.Parse()
	if err := run(*runs, *python, *uv, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	work, py, uv, exe string
	runs              int
	env               []string
	rows              []row
}

type row struct {
	what    string
	ours    time.Duration
	theirs  time.Duration
	against string
	note    string
}

func run(runs int, python, uv string, keep bool) error {
	work, err := os.MkdirTemp("", "influx-py-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "work folder:", work)
	} else {
		defer os.RemoveAll(work)
	}
	b := &bench{work: work, runs: runs, uv: uv}
	if b.py, err = findPython(python); err != nil {
		return err
	}
	// A child environment of our own: no PIP_*, UV_* or PYTHON* from the
	// caller changes what is measured.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "PIP_") && !strings.HasPrefix(k, "UV_") && !strings.HasPrefix(k, "PYTHON") && k != "VIRTUAL_ENV" && k != "INFLUX_PY_CACHE_DIR" {
			b.env = append(b.env, kv)
		}
	}
	b.exe = filepath.Join(work, "influx-py")
	// Built as the README installs it: static, without urfave/cli's
	// documentation generators.
	build := exec.Command("go", "build", "-trimpath", "-tags", "urfave_cli_no_docs", "-o", b.exe, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	ref, err := b.referenceSet("ref", 50)
	if err != nil {
		return err
	}
	b.cold(ref)
	b.changes(ref)
	// The floor of every no-op: the binary's own start, measured the same
	// way (at least 11 runs: it is a few milliseconds).
	saved := b.runs
	b.runs = max(saved, 11)
	start := b.must(b.time(nil, b.exe, "--version"))
	b.runs = saved
	b.rows = append(b.rows, row{what: "influx-py --version (the start alone)", ours: start})
	for _, n := range []int{30, 200, 1000} {
		dir, err := b.smallSet(fmt.Sprintf("small%d", n), n)
		if err != nil {
			return err
		}
		if err := b.noop(dir, n); err != nil {
			return err
		}
	}
	b.print()
	return nil
}

func findPython(given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if out, err := exec.Command("pyenv", "root").Output(); err == nil {
		m, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "versions", "3.12.*", "bin", "python3"))
		sort.Strings(m)
		if len(m) > 0 {
			return m[len(m)-1], nil
		}
	}
	return exec.LookPath("python3")
}

// referenceSet writes n projects into DIR/wheels, their lock into
// DIR/pylock.toml and the plain tools' requirements into DIR/req.txt.
func (b *bench) referenceSet(name string, n int) (string, error) {
	dir := filepath.Join(b.work, name)
	var specs []wheelbuild.Spec
	for i := 1; i <= n; i++ {
		s := wheelbuild.Spec{Name: fmt.Sprintf("ref%02d", i), Version: "1.0", Files: map[string][]byte{}}
		// Between 4 and 40 modules of 2 to 8 KB: the shape of real
		// libraries, whose installs are dominated by the file count.
		mods := 4 + (i*7)%37
		for m := 0; m < mods; m++ {
			s.Files[fmt.Sprintf("%s/mod%02d.py", s.Name, m)] = pySource(s.Name, m, 2000+(i*m*131)%6000)
		}
		s.Files[s.Name+"/__init__.py"] = []byte(fmt.Sprintf("VERSION = %q\n", s.Version))
		if i > 1 {
			s.RequiresDist = append(s.RequiresDist, fmt.Sprintf("ref%02d>=1.0", i/2))
		}
		if i%10 == 0 { // console scripts
			s.Files[wheelbuild.DistInfo(s)+"/entry_points.txt"] = []byte(fmt.Sprintf("[console_scripts]\n%s-cli = %s.mod00:main\n", s.Name, s.Name))
		}
		if i%12 == 5 { // a platform wheel
			s.Tag = "py3-none-" + platformTag()
		}
		if i == 7 || i == 23 || i == 41 { // a few large ones, several MB
			blob := make([]byte, 6<<20)
			rand.Read(blob)
			s.Files[s.Name+"/data/blob.bin"] = blob
		}
		specs = append(specs, s)
	}
	return dir, b.writeSet(dir, specs)
}

// smallSet is n one-module projects (wheelbuild.Many).
func (b *bench) smallSet(name string, n int) (string, error) {
	dir := filepath.Join(b.work, name)
	return dir, b.writeSet(dir, wheelbuild.Many(n, "1.0"))
}

func (b *bench) writeSet(dir string, specs []wheelbuild.Spec) error {
	wheels := filepath.Join(dir, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		return err
	}
	files, err := wheelbuild.WriteAll(wheels, specs)
	if err != nil {
		return err
	}
	var req strings.Builder
	for i, f := range files {
		fmt.Fprintf(&req, "%s==%s\n", specs[i].Name, specs[i].Version)
		_ = f
	}
	if err := os.WriteFile(filepath.Join(dir, "req.txt"), []byte(req.String()), 0o644); err != nil {
		return err
	}
	return writeLock(filepath.Join(dir, "pylock.toml"), files)
}

// writeLock locks the wheels by path relative to the lock.
func writeLock(path string, files []string) error {
	l := &lockfile.Lock{LockVersion: "1.0", CreatedBy: "influx-py bench"}
	for _, f := range files {
		wn, err := tags.ParseWheelFilename(filepath.Base(f))
		if err != nil {
			return err
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		size := int64(len(data))
		rel, _ := filepath.Rel(filepath.Dir(path), f)
		l.Packages = append(l.Packages, lockfile.Package{Name: wn.Name, Version: wn.Version,
			Wheels: []lockfile.File{{Name: filepath.Base(f), Path: filepath.ToSlash(rel), Size: &size, Hashes: map[string]string{"sha256": sha256Hex(data)}}}})
	}
	data, err := l.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

func platformTag() string {
	if runtime.GOARCH == "arm64" {
		return "manylinux_2_17_aarch64"
	}
	return "manylinux_2_17_x86_64"
}

// time runs argv after prepare, runs times, and returns the median.
func (b *bench) time(prepare func(), argv ...string) (time.Duration, error) {
	ds, err := b.series(prepare, argv)
	if err != nil {
		return 0, err
	}
	return ds[0], nil
}

// pair times two commands run by turns, after prepare each, and returns
// both medians: on a shared machine the two see the same moments, so
// their ratio means more than that of two rows measured minutes apart.
func (b *bench) pair(prepare func(), ours, theirs []string) (time.Duration, time.Duration) {
	ds, err := b.series(prepare, ours, theirs)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return ds[0], ds[1]
}

// series runs each argv in turn, runs times, and returns their medians.
func (b *bench) series(prepare func(), argvs ...[]string) ([]time.Duration, error) {
	if prepare == nil {
		// Rows of repeated runs (the no-op rows): earlier rows' writes
		// go out, and one run of each untimed warms the caches for every
		// tool alike.
		flushDisks()
		for _, argv := range argvs {
			warm := exec.Command(argv[0], argv[1:]...)
			warm.Env = b.env
			warm.Run()
		}
	}
	ds := make([][]time.Duration, len(argvs))
	for i := 0; i < b.runs; i++ {
		for j, argv := range argvs {
			if prepare != nil {
				prepare()
				// What the last run and prepare wrote goes out first: its
				// writeback would otherwise land in this run, whichever
				// tool it measures.
				flushDisks()
			}
			d, err := b.once(argv)
			if err != nil {
				return nil, err
			}
			ds[j] = append(ds[j], d)
		}
	}
	medians := make([]time.Duration, len(argvs))
	for j := range ds {
		sort.Slice(ds[j], func(a, c int) bool { return ds[j][a] < ds[j][c] })
		medians[j] = ds[j][len(ds[j])/2]
	}
	return medians, nil
}

func (b *bench) once(argv []string) (time.Duration, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = b.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out.String())
	}
	return d, nil
}

func (b *bench) must(d time.Duration, err error) time.Duration {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return d
}

func (b *bench) sync(dir string, extra ...string) []string {
	args := []string{b.exe, "sync", "--plugin-dir", dir, "--python", b.py, "--offline", "--quiet", "--cache-dir", filepath.Join(dir, "cache")}
	return append(args, extra...)
}

func (b *bench) uvArgs() []string { return []string{"--backend", "uv", "--uv", b.uv} }

// cold: no venv -> synced, each tool its own way.
func (b *bench) cold(dir string) {
	venvDir := filepath.Join(dir, ".venv")
	plain := filepath.Join(dir, "plain")
	wheels := filepath.Join(dir, "wheels")
	req := filepath.Join(dir, "req.txt")
	rm := func() { os.RemoveAll(venvDir); os.RemoveAll(plain); os.RemoveAll(filepath.Join(dir, "uvcache")) }

	oursPip, plainPip := b.pair(rm, b.sync(dir, "--backend", "pip"),
		[]string{"sh", "-c", fmt.Sprintf("%s -m venv %s && %s/bin/python -m pip --isolated install -q --no-index --find-links %s -r %s", b.py, plain, plain, wheels, req)})
	b.rows = append(b.rows, row{what: "cold sync, pip backend (50 projects)", ours: oursPip, theirs: plainPip, against: "python -m venv + pip install --no-index"})
	if b.uv == "" {
		b.rows = append(b.rows, row{what: "cold sync, uv backend", note: "no uv given (-uv)"})
		return
	}
	// pip included, as in influx-py's venvs, from the interpreter's own
	// wheel: 'uv venv --seed' would fetch it from PyPI.
	pipWheel, err := bundledPip(b.py)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	withPip := filepath.Join(dir, "req-pip.txt")
	reqData, _ := os.ReadFile(req)
	os.WriteFile(withPip, append(reqData, []byte(pipWheel+"\n")...), 0o644)
	oursUV, plainUV := b.pair(rm, b.sync(dir, b.uvArgs()...),
		[]string{"sh", "-c", fmt.Sprintf("%s venv -q -p %s %s && %s pip sync -q --python %s/bin/python --no-index --find-links %s --cache-dir %s/uvcache %s", b.uv, b.py, plain, b.uv, plain, wheels, dir, withPip)})
	b.rows = append(b.rows, row{what: "cold sync, uv backend (50 projects)", ours: oursUV, theirs: plainUV, against: "uv venv + uv pip sync, pip from the interpreter's wheel (fresh cache)"})
	b.rows = append(b.rows, row{what: "cold sync, pip backend, against uv", ours: oursPip, theirs: plainUV, against: "the same uv commands", note: "the moonshot: within 3x"})
}

// changes: one project changed, one removed, on a synced venv.
func (b *bench) changes(dir string) {
	lock := filepath.Join(dir, "pylock.toml")
	orig, _ := os.ReadFile(lock)
	wheels := filepath.Join(dir, "wheels")
	s := wheelbuild.Spec{Name: "ref05", Version: "1.1", Files: map[string][]byte{"ref05/__init__.py": []byte("VERSION = '1.1'\n")}, RequiresDist: []string{"ref02>=1.0"}}
	f, err := wheelbuild.WriteFile(wheels, s)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	files, _ := filepath.Glob(filepath.Join(wheels, "*.whl"))
	// changed: ref05 1.1 in place of 1.0; removed: ref10 gone.
	var changed, removed []string
	for _, w := range files {
		base := filepath.Base(w)
		if !strings.HasPrefix(base, "ref05-1.0-") {
			changed = append(changed, w)
		}
		if !strings.HasPrefix(base, "ref10-") && w != f {
			removed = append(removed, w)
		}
	}
	for _, backend := range [][]string{{"--backend", "pip"}, b.uvArgs()} {
		if backend[1] == "uv" && b.uv == "" {
			continue
		}
		name := backend[1]
		reset := func(files []string) func() {
			return func() {
				os.WriteFile(lock, orig, 0o644)
				b.must(b.time(nil, b.sync(dir, backend...)...))
				writeLock(lock, files)
			}
		}
		saved := b.runs
		b.runs = 1
		b.must(b.time(func() { os.RemoveAll(filepath.Join(dir, ".venv")) }, b.sync(dir, backend...)...))
		b.runs = saved
		ch := b.must(b.time(reset(changed), b.sync(dir, backend...)...))
		rmd := b.must(b.time(reset(removed), b.sync(dir, backend...)...))
		b.rows = append(b.rows, row{what: "one project changed, " + name + " backend", ours: ch})
		b.rows = append(b.rows, row{what: "one project removed, " + name + " backend", ours: rmd})
		os.WriteFile(lock, orig, 0o644)
	}
}

// noop: the sync before every server start, and check, with nothing to
// do; and the peak memory of the sync that made the venv.
func (b *bench) noop(dir string, n int) error {
	backend := []string{"--backend", "pip"}
	if b.uv != "" {
		backend = b.uvArgs()
	}
	saved := b.runs
	b.runs = 1
	if _, err := b.time(func() { os.RemoveAll(filepath.Join(dir, ".venv")) }, b.sync(dir, backend...)...); err != nil {
		return err
	}
	checkArgs := []string{b.exe, "check", "--plugin-dir", dir, "--python", b.py, "--cache-dir", filepath.Join(dir, "cache")}
	argvs := [][]string{b.sync(dir), checkArgs}
	if b.uv != "" {
		req := filepath.Join(dir, "req.txt")
		pipWheel, err := bundledPip(b.py)
		if err != nil {
			return err
		}
		withPip := filepath.Join(dir, "req-pip.txt")
		reqData, _ := os.ReadFile(req)
		os.WriteFile(withPip, append(reqData, []byte(pipWheel+"\n")...), 0o644)
		argvs = append(argvs, []string{b.uv, "pip", "sync", "-q", "--python", filepath.Join(dir, ".venv", "bin", "python"), "--no-index", "--find-links", filepath.Join(dir, "wheels"), "--cache-dir", filepath.Join(dir, "uvcache"), withPip})
	}
	// By turns: ours, check, uv's, ours, ...
	b.runs = max(saved, 11)
	ds, err := b.series(nil, argvs...)
	if err != nil {
		return err
	}
	b.runs = saved
	d, c := ds[0], ds[1]
	rss, err := b.peakRSS(b.sync(dir)...)
	if err != nil {
		return err
	}
	crss, _ := b.peakRSS(checkArgs...)
	drss, _ := b.peakRSS(b.sync(dir, "--dry-run", "--verify")...)
	r := row{what: fmt.Sprintf("no-op sync, %d projects", n), ours: d}
	if b.uv != "" {
		r.theirs, r.against = ds[2], "uv pip sync"
	}
	b.rows = append(b.rows, r)
	b.rows = append(b.rows, row{what: fmt.Sprintf("check, %d projects", n), ours: c})
	note := "not measured: no /usr/bin/time (Debian package time)"
	if rss > 0 {
		note = fmt.Sprintf("%.1f MB (no-op sync), %.1f MB (check), %.1f MB (sync --verify --dry-run: reads every RECORD)", mb(rss), mb(crss), mb(drss))
	}
	b.rows = append(b.rows, row{what: fmt.Sprintf("peak RSS of influx-py, %d projects", n), note: note})
	return nil
}

// peakRSS is argv's peak resident set, in bytes, as GNU time reports it.
// The rusage of a child this program starts would not do: Go starts it
// sharing this (large) process's memory until exec, and Linux counts that.
func (b *bench) peakRSS(argv ...string) (int64, error) {
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return 0, nil
	}
	f, err := os.CreateTemp(b.work, "rss-")
	if err != nil {
		return 0, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.Command("/usr/bin/time", append([]string{"-o", f.Name(), "-f", "%M"}, argv...)...)
	cmd.Env = b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	data, err := os.ReadFile(f.Name())
	if err != nil {
		return 0, err
	}
	var kb int64
	fmt.Sscan(strings.TrimSpace(string(data)), &kb)
	return kb * 1024, nil
}

func mb(n int64) float64 { return float64(n) / (1 << 20) }

func (b *bench) print() {
	host, _ := os.Hostname()
	out, _ := exec.Command(b.py, "-c", "import sys; print(sys.version.split()[0])").Output()
	uvv := "none"
	if b.uv != "" {
		if v, err := exec.Command(b.uv, "--version").Output(); err == nil {
			uvv = strings.TrimSpace(string(v))
		}
	}
	fmt.Printf("Measured on %s: %d cores, %s/%s, Python %s, %s, %s; medians of %d runs.\n\n", host, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, strings.TrimSpace(string(out)), uvv, time.Now().UTC().Format("2006-01-02"), b.runs)
	fmt.Println("| work | influx-py | instead | that | ratio |")
	fmt.Println("|---|---|---|---|---|")
	for _, r := range b.rows {
		ours, theirs, ratio := "", "", ""
		if r.ours > 0 {
			ours = dur(r.ours)
		}
		if r.theirs > 0 {
			theirs = dur(r.theirs)
			ratio = fmt.Sprintf("%.2fx", float64(r.ours)/float64(r.theirs))
		}
		against := r.against
		if r.note != "" {
			if against != "" {
				against += "; "
			}
			against += r.note
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.what, ours, against, theirs, ratio)
	}
}

func dur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

// pySource is a module of about size bytes.
func pySource(pkg string, m, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "\"\"\"Module %d of %s, made by influx-py's bench.\"\"\"\n\n", m, pkg)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "def f%d(x):\n    return x * %d + %d\n\n\n", i, i, m)
	}
	if m == 0 {
		b.WriteString("def main():\n    print(f0(1))\n")
	}
	return []byte(b.String())
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// bundledPip is the pip wheel ensurepip carries for py.
func bundledPip(py string) (string, error) {
	out, err := exec.Command(py, "-c", "import ensurepip, os; print(os.path.join(os.path.dirname(ensurepip.__file__), '_bundled'))").Output()
	if err != nil {
		return "", fmt.Errorf("%s has no ensurepip: %v", py, err)
	}
	m, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "pip-*.whl"))
	if len(m) == 0 {
		return "", fmt.Errorf("%s bundles no pip wheel", py)
	}
	return m[0], nil
}
