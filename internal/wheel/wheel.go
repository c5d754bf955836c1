// Package wheel reads what a wheel file will put where, from its zip
// directory and its .dist-info, without extracting anything: the space it
// needs, the site-packages paths it writes, and its core metadata. The
// engine uses it to refuse an install that cannot fit or would overwrite
// another distribution's files before the venv is touched, to clean up
// after an install that failed half-way, and to read a locked package's
// dependencies.
package wheel

import (
	"archive/zip"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/venv"
)

// Contents is a wheel as its archive describes it.
type Contents struct {
	DistInfo string // "name-1.0.dist-info", the metadata directory
	// Site lists the files installed into site-packages (the root of the
	// wheel and its .data/purelib and .data/platlib), as clean paths
	// relative to site-packages.
	Site []string
	// Unpacked is the uncompressed size of every member, in bytes: what
	// installing it writes, before bytecode.
	Unpacked int64
	Metadata venv.Metadata
	// Hashes are the RECORD hashes of the Site files, when RECORD has them.
	Hashes map[string]string
	// Scripts are the console and GUI script names of entry_points.txt:
	// files an installer writes into the venv's bin folder.
	Scripts []string
}

// UnsafeError refuses a wheel whose contents would reach outside the places
// an install writes to, or could not be unpacked safely.
type UnsafeError struct {
	Entry string // the member, RECORD row or entry point
	Why   string
}

func (e *UnsafeError) Error() string { return fmt.Sprintf("unsafe entry %q: %s", e.Entry, e.Why) }

// Bounds on what a wheel may unpack to: real wheels stay far below; a zip
// bomb does not.
const (
	maxMember   = 2 << 30 // one file
	maxUnpacked = 8 << 30 // the whole wheel
	maxRatio    = 200     // uncompressed / compressed, for members over bombFloor
	bombFloor   = 64 << 20
)

// schemes are the .data folders the wheel spec defines.
var schemes = map[string]bool{"purelib": true, "platlib": true, "headers": true, "scripts": true, "data": true}

// checkPath refuses a member or RECORD path that an installer could be made
// to write outside its folder with, or, when windows is set, that Windows
// would read as a device (CON, NUL, COM1, ...).
func checkPath(p string, windows bool) error {
	bad := func(why string) error { return &UnsafeError{Entry: p, Why: why} }
	switch {
	case p == "":
		return bad("an empty path")
	case strings.ContainsRune(p, '\\'):
		return bad("a backslash, which Windows reads as a separator")
	case strings.HasPrefix(p, "/"), len(p) > 1 && p[1] == ':':
		return bad("an absolute path")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return bad("a control character")
		}
	}
	for _, seg := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
		if seg == ".." {
			return bad("it leaves its folder (..)")
		}
		if !windows {
			continue
		}
		stem, _, _ := strings.Cut(strings.ToUpper(seg), ".")
		switch stem {
		case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
			return bad("a Windows device name")
		}
		if len(stem) == 4 && (strings.HasPrefix(stem, "COM") || strings.HasPrefix(stem, "LPT")) && stem[3] >= '0' && stem[3] <= '9' {
			return bad("a Windows device name")
		}
	}
	return nil
}

// scriptNameRE is what an entry point may be called: a plain file name.
var scriptNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]*$`) })

// maxMetadata bounds the METADATA and RECORD members read.
const maxMetadata = 16 << 20

// Inspect reads the wheel at file.
func Inspect(file string) (*Contents, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("read wheel %s: %w", path.Base(file), err)
	}
	defer zr.Close()
	c, err := read(&zr.Reader, runtime.GOOS == "windows")
	if err != nil {
		return nil, fmt.Errorf("read wheel %s: %w", path.Base(file), err)
	}
	return c, nil
}

func read(zr *zip.Reader, windows bool) (*Contents, error) {
	c := &Contents{Hashes: map[string]string{}}
	var meta, record, entryPoints *zip.File
	for _, f := range zr.File {
		if err := checkPath(f.Name, windows); err != nil {
			return nil, err
		}
		if f.Mode()&fs.ModeSymlink != 0 {
			return nil, &UnsafeError{Entry: f.Name, Why: "a symbolic link"}
		}
		if f.UncompressedSize64 > maxMember {
			return nil, &UnsafeError{Entry: f.Name, Why: fmt.Sprintf("unpacks to %d bytes", f.UncompressedSize64)}
		}
		if f.UncompressedSize64 > bombFloor && f.UncompressedSize64 > maxRatio*max(f.CompressedSize64, 1) {
			return nil, &UnsafeError{Entry: f.Name, Why: fmt.Sprintf("compressed %d:1, a zip bomb", f.UncompressedSize64/max(f.CompressedSize64, 1))}
		}
		c.Unpacked += int64(f.UncompressedSize64)
		if c.Unpacked > maxUnpacked {
			return nil, &UnsafeError{Entry: f.Name, Why: fmt.Sprintf("the wheel unpacks to more than %d bytes", int64(maxUnpacked))}
		}
		top, _, _ := strings.Cut(f.Name, "/")
		if strings.HasSuffix(top, ".dist-info") && strings.Count(f.Name, "/") == 1 {
			if c.DistInfo != "" && c.DistInfo != top {
				return nil, fmt.Errorf("two .dist-info directories: %s and %s", c.DistInfo, top)
			}
			c.DistInfo = top
			switch strings.TrimPrefix(f.Name, top+"/") {
			case "METADATA":
				meta = f
			case "RECORD":
				record = f
			case "entry_points.txt":
				entryPoints = f
			}
		}
	}
	if c.DistInfo == "" {
		return nil, errors.New("no .dist-info directory")
	}
	if meta == nil {
		return nil, fmt.Errorf("no %s/METADATA", c.DistInfo)
	}
	data := strings.TrimSuffix(c.DistInfo, ".dist-info") + ".data/"
	// sitePath is where in site-packages an archive member is installed.
	sitePath := func(name string) (string, bool) {
		if rest, ok := strings.CutPrefix(name, data); ok {
			scheme, p, _ := strings.Cut(rest, "/")
			if scheme != "purelib" && scheme != "platlib" {
				return "", false // scripts, headers and data go elsewhere
			}
			name = p
		}
		return venv.SitePath(name)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		if rest, ok := strings.CutPrefix(f.Name, data); ok {
			if scheme, _, _ := strings.Cut(rest, "/"); !schemes[scheme] {
				return nil, &UnsafeError{Entry: f.Name, Why: fmt.Sprintf("%q is not a wheel scheme (purelib, platlib, headers, scripts, data)", scheme)}
			}
		}
		if p, ok := sitePath(f.Name); ok {
			c.Site = append(c.Site, p)
		}
	}
	rc, err := meta.Open()
	if err != nil {
		return nil, err
	}
	c.Metadata, err = venv.ParseMetadata(io.LimitReader(rc, maxMetadata))
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s/METADATA: %w", c.DistInfo, err)
	}
	if record != nil {
		rc, err := record.Open()
		if err != nil {
			return nil, err
		}
		entries, err := venv.ParseRecord(io.LimitReader(rc, maxMetadata))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/RECORD: %w", c.DistInfo, err)
		}
		for _, e := range entries {
			// An installer copies RECORD's paths into the installed RECORD,
			// which a later uninstall deletes: none may leave the wheel.
			if err := checkPath(e.Path, windows); err != nil {
				return nil, fmt.Errorf("%s/RECORD: %w", c.DistInfo, err)
			}
			if p, ok := sitePath(e.Path); ok && e.Hash != "" {
				c.Hashes[p] = e.Hash
			}
		}
	}
	if entryPoints != nil {
		if c.Scripts, err = scripts(entryPoints); err != nil {
			return nil, fmt.Errorf("%s/entry_points.txt: %w", c.DistInfo, err)
		}
	}
	return c, nil
}

// scripts reads the console and GUI script names of entry_points.txt and
// refuses one that is not a plain file name: an installer writes a file of
// that name into the venv's bin folder.
func scripts(f *zip.File) ([]string, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var out []string
	section := ""
	sc := bufio.NewScanner(io.LimitReader(rc, maxMetadata))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		if section != "console_scripts" && section != "gui_scripts" {
			continue
		}
		name, _, ok := strings.Cut(line, "=")
		name = strings.TrimSpace(name)
		if !ok || !scriptNameRE().MatchString(name) || name == "." || name == ".." {
			return nil, &UnsafeError{Entry: name, Why: "a script name must be a plain file name"}
		}
		out = append(out, name)
	}
	return out, sc.Err()
}
