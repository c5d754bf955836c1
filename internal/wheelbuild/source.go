package wheelbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNoSpec is returned by FromDir for a folder without wheel.json.
var ErrNoSpec = errors.New("no wheel.json")

// ConfigFile is the name of the description file in a source folder.
const ConfigFile = "wheel.json"

// config is wheel.json. Unknown keys are an error so that a typo such as
// "require_dist" cannot silently drop a dependency.
type config struct {
	Name           string   `json:"name"`
	Version        string   `json:"version"`
	Summary        string   `json:"summary"`
	RequiresDist   []string `json:"requires_dist"`
	ProvidesExtra  []string `json:"provides_extra"`
	RequiresPython string   `json:"requires_python"`
	Tag            string   `json:"tag"`
}

// ParseConfig reads a wheel.json document into a Spec without files.
func ParseConfig(data []byte) (Spec, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c config
	if err := dec.Decode(&c); err != nil {
		return Spec{}, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Spec{}, fmt.Errorf("parse %s: trailing data after the object", ConfigFile)
	}
	s := Spec{
		Name:           c.Name,
		Version:        c.Version,
		Summary:        c.Summary,
		RequiresDist:   c.RequiresDist,
		ProvidesExtra:  c.ProvidesExtra,
		RequiresPython: c.RequiresPython,
		Tag:            c.Tag,
	}
	if err := s.validateHead(); err != nil {
		return Spec{}, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	if err := s.validateBody(); err != nil {
		return Spec{}, fmt.Errorf("parse %s: %w", ConfigFile, err)
	}
	return s, nil
}

// FromDir reads a source package laid out as dir/wheel.json plus the files
// under dir/src, which go into the wheel at the same relative paths.
// __pycache__ folders and .pyc files are left out: running the code in place
// must not change the wheel. A folder without wheel.json gives an error
// wrapping ErrNoSpec.
func FromDir(dir string) (Spec, error) {
	data, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Spec{}, fmt.Errorf("read wheel source %s: %w", dir, ErrNoSpec)
	}
	if err != nil {
		return Spec{}, fmt.Errorf("read wheel source: %w", err)
	}
	s, err := ParseConfig(data)
	if err != nil {
		return Spec{}, fmt.Errorf("read wheel source %s: %w", dir, err)
	}
	src := filepath.Join(dir, "src")
	s.Files = map[string][]byte{}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".pyc") {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s.Files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Spec{}, fmt.Errorf("read wheel source %s: %w", dir, err)
	}
	return s, nil
}

// FromTree reads every immediate subfolder of root that holds a wheel.json,
// in name order. Other subfolders are ignored.
func FromTree(root string) ([]Spec, error) {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read wheel sources: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var specs []Spec
	for _, n := range names {
		s, err := FromDir(filepath.Join(root, n))
		if errors.Is(err, ErrNoSpec) {
			continue
		}
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}
