package uvbin

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// maxMember bounds one extracted file. uv is a few tens of megabytes; the
// bound only stops a decompression bomb from filling the disk, because the
// archive itself was already matched against its pinned checksum.
const maxMember = 512 << 20

// ArchiveError reports a release archive that does not have the shape uv's
// releases have. With a matching checksum this cannot happen for a real
// release; it is a hard error, never a reason to fall back to pip.
type ArchiveError struct {
	Archive string // file name
	Member  string // the offending member, when there is one
	Reason  string
}

func (e *ArchiveError) Error() string {
	if e.Member != "" {
		return fmt.Sprintf("archive %s: member %q: %s", e.Archive, e.Member, e.Reason)
	}
	return fmt.Sprintf("archive %s: %s", e.Archive, e.Reason)
}

// isWindowsTarget reports whether target's archive is a zip of .exe files.
func isWindowsTarget(target string) bool { return strings.Contains(target, "-windows-") }

// exeName is the file name of a program on target.
func exeName(target, name string) string {
	if isWindowsTarget(target) {
		return name + ".exe"
	}
	return name
}

// layout lists the members a release archive for target may hold, each
// mapped to the file name it gets in the cache, and the one it must hold.
// A .tar.gz has a top folder uv-<target>/ with uv and uvx; a Windows .zip
// has uv.exe, uvx.exe and uvw.exe at its root.
func layout(target string) (members map[string]string, required string) {
	if isWindowsTarget(target) {
		return map[string]string{"uv.exe": "uv.exe", "uvx.exe": "uvx.exe", "uvw.exe": "uvw.exe"}, "uv.exe"
	}
	top := "uv-" + target + "/"
	return map[string]string{top + "uv": "uv", top + "uvx": "uvx"}, top + "uv"
}

// Extract unpacks the expected members of the release archive at archive
// (named after pin.Archive) into dir, which must exist. It refuses absolute
// paths, "..", links, devices and any member it does not expect, and
// returns the names of the files it wrote, sorted.
func Extract(archive string, pin Pin, dir string) ([]string, error) {
	return extract(archive, pin, dir, maxMember)
}

// extract is Extract with the bound on one file's size as a parameter.
func extract(archive string, pin Pin, dir string, limit int64) ([]string, error) {
	switch {
	case strings.HasSuffix(pin.Archive, ".tar.gz"):
		return extractTarGz(archive, pin, dir, limit)
	case strings.HasSuffix(pin.Archive, ".zip"):
		return extractZip(archive, pin, dir, limit)
	}
	return nil, &ArchiveError{Archive: pin.Archive, Reason: "unknown archive format"}
}

// checkName rejects a member name that could land outside the folder it is
// extracted into, whatever the member is.
func checkName(name string) string {
	switch {
	case name == "":
		return "empty name"
	case strings.ContainsRune(name, 0):
		return "NUL in name"
	case strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) || filepath.IsAbs(name) || filepath.VolumeName(name) != "":
		return "absolute path"
	case len(name) >= 2 && name[1] == ':':
		return "absolute path"
	case strings.ContainsRune(name, '\\'):
		return "backslash in name"
	}
	for _, el := range strings.Split(name, "/") {
		if el == ".." {
			return `".." in path`
		}
	}
	return ""
}

func extractTarGz(archive string, pin Pin, dir string, limit int64) ([]string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bad := func(member, reason string) error {
		return &ArchiveError{Archive: pin.Archive, Member: member, Reason: reason}
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, bad("", "not gzip: "+err.Error())
	}
	members, required := layout(pin.Target)
	top := "uv-" + pin.Target
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	var wrote []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, bad("", "read tar: "+err.Error())
		}
		if why := checkName(h.Name); why != "" {
			return nil, bad(h.Name, why)
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch h.Typeflag {
		case tar.TypeXGlobalHeader:
			// Archive-wide metadata (pax), not a file.
			continue
		case tar.TypeDir:
			if strings.TrimSuffix(name, "/") != top {
				return nil, bad(h.Name, "unexpected directory")
			}
			continue
		case tar.TypeReg: // the reader reports the old TypeRegA as TypeReg
		case tar.TypeSymlink, tar.TypeLink:
			return nil, bad(h.Name, "links are not extracted")
		default:
			return nil, bad(h.Name, fmt.Sprintf("unsupported member type %q", h.Typeflag))
		}
		out, ok := members[name]
		if !ok {
			return nil, bad(h.Name, "not a file of uv's release archive")
		}
		if seen[name] {
			return nil, bad(h.Name, "appears twice")
		}
		seen[name] = true
		for k := range h.PAXRecords {
			if strings.HasPrefix(k, "GNU.sparse.") {
				return nil, bad(h.Name, "sparse files are not extracted")
			}
		}
		if h.Size > limit {
			return nil, bad(h.Name, fmt.Sprintf("%d bytes is too large", h.Size))
		}
		if err := writeMember(filepath.Join(dir, out), tr, limit); err != nil {
			return nil, fmt.Errorf("archive %s: extract %s: %w", pin.Archive, h.Name, err)
		}
		wrote = append(wrote, out)
	}
	if !seen[required] {
		return nil, bad("", "no "+required)
	}
	sort.Strings(wrote)
	return wrote, nil
}

func extractZip(archive string, pin Pin, dir string, limit int64) ([]string, error) {
	bad := func(member, reason string) error {
		return &ArchiveError{Archive: pin.Archive, Member: member, Reason: reason}
	}
	zr, err := zip.OpenReader(archive)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, bad("", "not a zip: "+err.Error())
	}
	if zr == nil {
		return nil, bad("", "not a zip: "+err.Error())
	}
	defer zr.Close()
	members, required := layout(pin.Target)
	seen := map[string]bool{}
	var wrote []string
	for _, f := range zr.File {
		if why := checkName(f.Name); why != "" {
			return nil, bad(f.Name, why)
		}
		if f.Mode()&os.ModeSymlink != 0 {
			return nil, bad(f.Name, "links are not extracted")
		}
		if !f.Mode().IsRegular() {
			return nil, bad(f.Name, "not a regular file")
		}
		out, ok := members[f.Name]
		if !ok {
			return nil, bad(f.Name, "not a file of uv's release archive")
		}
		if seen[f.Name] {
			return nil, bad(f.Name, "appears twice")
		}
		seen[f.Name] = true
		if f.UncompressedSize64 > uint64(limit) {
			return nil, bad(f.Name, fmt.Sprintf("%d bytes is too large", f.UncompressedSize64))
		}
		rc, err := f.Open()
		if err != nil {
			return nil, bad(f.Name, err.Error())
		}
		err = writeMember(filepath.Join(dir, out), rc, limit)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("archive %s: extract %s: %w", pin.Archive, f.Name, err)
		}
		wrote = append(wrote, out)
	}
	if !seen[required] {
		return nil, bad("", "no "+required)
	}
	sort.Strings(wrote)
	return wrote, nil
}

// writeMember writes an executable file that must not exist yet, refusing
// content past limit whatever the archive's header claimed.
func writeMember(path string, r io.Reader, limit int64) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	n, err := io.Copy(f, io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return fmt.Errorf("more than %d bytes", limit)
	}
	return f.Sync()
}
