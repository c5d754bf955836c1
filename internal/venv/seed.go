package venv

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Putting pip into a new venv by running pip costs 2 to 3 seconds on this
// kind of machine (pip installing its own 500 files, then compiling them),
// more than installing 30 small packages. SeedPip does the same in Go, from
// the same wheel, in tens of milliseconds, and yields the files that
//
//	python WHEEL/pip install --no-index --no-deps --no-compile --find-links DIR pip
//
// writes: the wheel's files, INSTALLER, REQUESTED, a sorted RECORD, and the
// pip, pipX and pipX.Y scripts pip generates for itself (TestSeedPipAsPip
// compares the two, file for file, on every interpreter the machine has).
// It is the one wheel influx-py unpacks itself, for both backends: every
// other one is installed by pip or uv. Where pip would write something else (Windows
// launchers, a shebang that needs /bin/sh, a wheel that is not a plain
// pip wheel), it returns ErrSeedUnsupported and the caller runs pip.

// ErrSeedUnsupported means SeedPip would not yield what pip writes here.
var ErrSeedUnsupported = errors.New("not a case the Go pip seeder reproduces")

// pipWheelRE is the name of a pip wheel.
var pipWheelRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pip-([0-9][0-9A-Za-z.]*)-py3-none-any\.whl$`) })

// scriptTemplate is the console script pip writes for itself (distlib's
// template, as pip 19 and later use it).
const scriptTemplate = `# -*- coding: utf-8 -*-
import re
import sys
from pip._internal.cli.main import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\.pyw|\.exe)?$', '', sys.argv[0])
    sys.exit(main())
`

// SeedPip installs the pip wheel into the venv at dir, whose interpreter
// is Python major.minor. On any error the venv may hold part of pip; the
// caller's venv marker makes the next sync rebuild it.
func SeedPip(wheel, dir string, major, minor int) error {
	if runtime.GOOS == "windows" {
		return ErrSeedUnsupported
	}
	m := pipWheelRE().FindStringSubmatch(filepath.Base(wheel))
	if m == nil {
		return ErrSeedUnsupported
	}
	version := m[1]
	python := filepath.Join(dir, "bin", "python")
	// distlib writes a plain shebang only when it fits the kernel's limit
	// and has no space; otherwise a /bin/sh trampoline this seeder does not
	// reproduce.
	if strings.ContainsAny(python, " \t\n") || len(python)+3 > 127 {
		return ErrSeedUnsupported
	}
	site := filepath.Join(dir, "lib", fmt.Sprintf("python%d.%d", major, minor), "site-packages")
	if fi, err := os.Stat(site); err != nil || !fi.IsDir() {
		return ErrSeedUnsupported
	}
	// Only into a venv without pip: replacing an installed pip (a venv
	// made over an existing one) is an installer's work.
	if old, _ := filepath.Glob(filepath.Join(site, "pip*")); len(old) > 0 {
		return ErrSeedUnsupported
	}
	for _, name := range []string{"pip", fmt.Sprintf("pip%d", major), fmt.Sprintf("pip%d.%d", major, minor)} {
		if _, err := os.Lstat(filepath.Join(dir, "bin", name)); err == nil {
			return ErrSeedUnsupported
		}
	}
	zr, err := zip.OpenReader(wheel)
	if err != nil {
		return fmt.Errorf("pip wheel %s: %w", wheel, err)
	}
	defer zr.Close()
	distInfo := "pip-" + version + ".dist-info/"
	var hasRecord, hasEntryPoints bool
	for _, f := range zr.File {
		switch {
		case f.Name == distInfo+"RECORD":
			hasRecord = true
		case f.Name == distInfo+"entry_points.txt":
			hasEntryPoints = true
		case strings.Contains(f.Name, ".data/"), strings.HasPrefix(f.Name, "/"), strings.Contains(f.Name, ".."), strings.Contains(f.Name, `\`):
			// A pip wheel has none of these: let pip deal with what it is.
			return ErrSeedUnsupported
		}
	}
	if !hasRecord || !hasEntryPoints {
		return ErrSeedUnsupported
	}

	umask, err := probeUmask(site)
	if err != nil {
		return err
	}
	w := &seedWriter{umask: umask, made: map[string]bool{}}
	type row struct {
		path string
		hash string
		size int64
	}
	var rows []row
	record := func(rel string, data []byte) {
		sum := sha256.Sum256(data)
		rows = append(rows, row{rel, "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]), int64(len(data))})
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || f.Name == distInfo+"RECORD" {
			continue
		}
		data, err := readZip(f)
		if err != nil {
			return fmt.Errorf("pip wheel %s: %s: %w", wheel, f.Name, err)
		}
		mode := os.FileMode(0o666)
		if f.Mode()&0o111 != 0 {
			mode = 0o777
		}
		if err := w.write(filepath.Join(site, filepath.FromSlash(f.Name)), data, mode); err != nil {
			return err
		}
		record(f.Name, data)
	}
	for name, data := range map[string][]byte{"INSTALLER": []byte("pip\n"), "REQUESTED": nil} {
		if err := w.write(filepath.Join(site, filepath.FromSlash(distInfo+name)), data, 0o666); err != nil {
			return err
		}
		record(distInfo+name, data)
	}
	script := []byte("#!" + python + "\n" + scriptTemplate)
	for _, name := range []string{"pip", fmt.Sprintf("pip%d", major), fmt.Sprintf("pip%d.%d", major, minor)} {
		if err := w.write(filepath.Join(dir, "bin", name), script, 0o777); err != nil {
			return err
		}
		rel, err := filepath.Rel(site, filepath.Join(dir, "bin", name))
		if err != nil {
			return err
		}
		record(filepath.ToSlash(rel), script)
	}
	rows = append(rows, row{path: distInfo + "RECORD", size: -1})
	sort.Slice(rows, func(i, j int) bool { return rows[i].path < rows[j].path })
	// pip writes RECORD with Python's csv module: CRLF line ends, and
	// quotes only around a field that needs them (no pip file does).
	var b bytes.Buffer
	for _, r := range rows {
		if strings.ContainsAny(r.path, ",\"\r\n") {
			return ErrSeedUnsupported
		}
		if r.size < 0 {
			fmt.Fprintf(&b, "%s,,\r\n", r.path)
		} else {
			fmt.Fprintf(&b, "%s,%s,%d\r\n", r.path, r.hash, r.size)
		}
	}
	return w.write(filepath.Join(site, filepath.FromSlash(distInfo+"RECORD")), b.Bytes(), 0o666)
}

func readZip(f *zip.File) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// pip's wheel is a few MB; a member claiming more is not pip's.
	return io.ReadAll(io.LimitReader(rc, 64<<20))
}

// seedWriter writes new files into a new venv (nothing to be atomic
// against: the venv is marked as being created until the sync seals it),
// making each folder once.
type seedWriter struct {
	umask os.FileMode
	made  map[string]bool
}

func (w *seedWriter) write(p string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(p)
	if !w.made[dir] {
		if err := os.MkdirAll(dir, 0o777&^w.umask); err != nil {
			return err
		}
		w.made[dir] = true
	}
	// O_EXCL: the venv is new, so a file already there is not pip's to
	// overwrite; the kernel applies the umask to mode, as for pip's files.
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// probeUmask finds the process's umask without changing it (setting it to
// read it would race with every other goroutine creating files): the
// permission bits a new file asked for as 0777 ends up with.
func probeUmask(dir string) (os.FileMode, error) {
	f, err := os.CreateTemp(dir, ".umask-*")
	if err != nil {
		return 0, err
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	os.Remove(name)
	g, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o777)
	if err != nil {
		return 0, err
	}
	fi, err := g.Stat()
	g.Close()
	if err != nil {
		return 0, err
	}
	return 0o777 &^ fi.Mode().Perm(), nil
}

// SeedPipInto is SeedPip for the new venv at dir, whose Python version its
// pyvenv.cfg says (venv's "version", uv's "version_info").
func SeedPipInto(wheel, dir string) error {
	if wheel == "" {
		return ErrSeedUnsupported
	}
	cfg, err := ReadConfig(filepath.Join(dir, "pyvenv.cfg"))
	if err != nil {
		return ErrSeedUnsupported
	}
	var major, minor int
	if _, err := fmt.Sscanf(cfg.Version(), "%d.%d", &major, &minor); err != nil {
		return ErrSeedUnsupported
	}
	return SeedPip(wheel, dir, major, minor)
}
