package venv

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Damage is one way installed files differ from what their distributions'
// RECORDs say.
type Damage struct {
	Dist string `json:"dist"` // "name version"; "" for a file nothing owns
	Path string `json:"path"` // relative to site-packages, slash-separated
	What string `json:"what"` // "modified", "missing", "unowned"
	Name string `json:"name"` // the distribution's normalized name; "" for a file nothing owns
}

func (d Damage) String() string {
	if d.Dist == "" {
		return fmt.Sprintf("%s: %s (no distribution's RECORD lists it)", d.What, d.Path)
	}
	return fmt.Sprintf("%s: %s (%s)", d.What, d.Path, d.Dist)
}

// Verify hashes every file the RECORDs of the installed distributions list
// (sha256 and size, where RECORD has them) and finds the files in
// site-packages that no RECORD owns: .pth files first, since the
// interpreter runs them at every start. Bytecode (__pycache__, .pyc) is
// left out of the second search: the interpreter writes it as it goes.
// A RECORD path outside the venv is reported as damage, not followed.
//
// baseline holds the files no RECORD owns that the venv was made with (uv's
// _virtualenv.pth, say), with their sha256, as the stamp recorded them: they
// are not damage unless they changed.
func Verify(l Layout, sitePackages string, dists []Dist, baseline map[string]string) ([]Damage, error) {
	root := filepath.Clean(l.Root()) + string(filepath.Separator)
	owned := map[string]bool{}
	var out []Damage
	for _, d := range dists {
		damage, err := verifyDist(root, sitePackages, d, owned)
		if err != nil {
			return nil, err
		}
		out = append(out, damage...)
	}
	paths, err := unownedFiles(sitePackages, owned)
	if err != nil {
		return nil, err
	}
	var unowned []Damage
	for _, rel := range paths {
		want, known := baseline[rel]
		switch {
		case !known:
			unowned = append(unowned, Damage{Path: rel, What: "unowned"})
		case hashFile(filepath.Join(sitePackages, filepath.FromSlash(rel))) != want:
			unowned = append(unowned, Damage{Path: rel, What: "modified"})
		}
	}
	// .pth files first: the interpreter runs them at every start.
	var pth, rest []Damage
	for _, d := range unowned {
		if strings.HasSuffix(d.Path, ".pth") {
			pth = append(pth, d)
		} else {
			rest = append(rest, d)
		}
	}
	sort.Slice(pth, func(i, j int) bool { return pth[i].Path < pth[j].Path })
	sort.Slice(rest, func(i, j int) bool { return rest[i].Path < rest[j].Path })
	return append(append(pth, out...), rest...), nil
}

// VerifyDist hashes the files d's RECORD lists, as Verify does for every
// distribution: nil when they are all as recorded (or d has no RECORD).
func VerifyDist(l Layout, sitePackages string, d Dist) ([]Damage, error) {
	root := filepath.Clean(l.Root()) + string(filepath.Separator)
	return verifyDist(root, sitePackages, d, map[string]bool{})
}

// verifyDist checks d's files and adds the paths its RECORD owns to owned.
func verifyDist(root, sitePackages string, d Dist, owned map[string]bool) ([]Damage, error) {
	entries, err := ReadRecord(d)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Damage
	who := d.DisplayName + " " + d.Version
	for _, e := range entries {
		full := filepath.Clean(filepath.Join(sitePackages, filepath.FromSlash(e.Path)))
		if !strings.HasPrefix(full+string(filepath.Separator), root) {
			out = append(out, Damage{Dist: who, Name: d.Name, Path: e.Path, What: "outside the venv"})
			continue
		}
		if rel, err := filepath.Rel(sitePackages, full); err == nil {
			owned[filepath.ToSlash(rel)] = true
		}
		if e.Hash == "" {
			continue // RECORD itself, bytecode
		}
		if what := checkFile(full, e); what != "" {
			out = append(out, Damage{Dist: who, Name: d.Name, Path: e.Path, What: what})
		}
	}
	// The metadata folder's own files that RECORD does not list
	// (INSTALLER, REQUESTED, direct_url.json are written by the
	// installer) belong to the distribution too.
	if rel, err := filepath.Rel(sitePackages, d.DistInfo); err == nil {
		owned[filepath.ToSlash(rel)+"/"] = true
	}
	return out, nil
}

// checkFile compares a file with its RECORD row: "" when it matches.
func checkFile(p string, e RecordEntry) string {
	algo, want, ok := strings.Cut(e.Hash, "=")
	if !ok || algo != "sha256" {
		return "" // another algorithm: nothing to compare with here
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "missing"
	}
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "unreadable"
	}
	if e.Size >= 0 && n != e.Size {
		return "modified"
	}
	if base64.RawURLEncoding.EncodeToString(h.Sum(nil)) != strings.TrimRight(want, "=") {
		return "modified"
	}
	return ""
}

// Unowned lists, with their sha256, the files in site-packages no
// distribution's RECORD owns (bytecode aside): what a sync leaves there
// besides the distributions, for the stamp to record as the baseline of
// Verify.
func Unowned(sitePackages string, dists []Dist) (map[string]string, error) {
	owned := map[string]bool{}
	for _, d := range dists {
		entries, err := ReadRecord(d)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			full := filepath.Clean(filepath.Join(sitePackages, filepath.FromSlash(e.Path)))
			if rel, err := filepath.Rel(sitePackages, full); err == nil {
				owned[filepath.ToSlash(rel)] = true
			}
		}
		if rel, err := filepath.Rel(sitePackages, d.DistInfo); err == nil {
			owned[filepath.ToSlash(rel)+"/"] = true
		}
	}
	paths, err := unownedFiles(sitePackages, owned)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(paths))
	for _, rel := range paths {
		out[rel] = hashFile(filepath.Join(sitePackages, filepath.FromSlash(rel)))
	}
	return out, nil
}

func unownedFiles(sitePackages string, owned map[string]bool) ([]string, error) {
	var out []string
	err := filepath.WalkDir(sitePackages, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(sitePackages, p)
		rel = filepath.ToSlash(rel)
		if de.IsDir() {
			if de.Name() == "__pycache__" || owned[rel+"/"] {
				return filepath.SkipDir
			}
			return nil
		}
		if owned[rel] || strings.HasSuffix(rel, ".pyc") || strings.HasPrefix(de.Name(), "~") {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	return out, err
}

// hashFile is the RECORD-style sha256 (urlsafe base64, no padding) of p,
// or "" when it cannot be read.
func hashFile(p string) string {
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}
