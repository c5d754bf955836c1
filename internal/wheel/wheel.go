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
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

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
}

// maxMetadata bounds the METADATA and RECORD members read.
const maxMetadata = 16 << 20

// Inspect reads the wheel at file.
func Inspect(file string) (*Contents, error) {
	zr, err := zip.OpenReader(file)
	if err != nil {
		return nil, fmt.Errorf("read wheel %s: %w", path.Base(file), err)
	}
	defer zr.Close()
	c, err := read(&zr.Reader)
	if err != nil {
		return nil, fmt.Errorf("read wheel %s: %w", path.Base(file), err)
	}
	return c, nil
}

func read(zr *zip.Reader) (*Contents, error) {
	c := &Contents{Hashes: map[string]string{}}
	var meta, record *zip.File
	for _, f := range zr.File {
		c.Unpacked += int64(min(f.UncompressedSize64, 1<<62))
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
			if p, ok := sitePath(e.Path); ok && e.Hash != "" {
				c.Hashes[p] = e.Hash
			}
		}
	}
	return c, nil
}
