package reqs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Collection is everything the plugins of a plugin folder declare.
type Collection struct {
	// Lines are the requirements in reading order: the top level first,
	// then each plugin folder by name.
	Lines []Line
	// Options are the option lines of the requirements files read.
	Options []Option
	// Plugins are the names of the plugins that declared something, in
	// reading order, each once.
	Plugins []string
	// Files are the files read, relative to the plugin folder, with
	// forward slashes, in reading order (included files too).
	Files []string
}

// The files a plugin folder declares requirements in.
const (
	RequirementsFile = "requirements.txt"
	ManifestFile     = "manifest.toml"
)

// CollectPlugins gathers the requirements declared in pluginDir:
//
//   - pluginDir/requirements.txt and pluginDir/manifest.toml, for a folder
//     that is itself one plugin (or holds shared requirements);
//   - for each immediate subfolder, a plugin folder, its requirements.txt
//     and manifest.toml.
//
// Dot-folders (.venv, .git, ...), __pycache__ and any folder holding a
// pyvenv.cfg (a virtual environment) are skipped. A plugin is named after
// its folder; the top level takes the name in its manifest's [plugin]
// table, else is anonymous, and its lines are then labelled by file only.
func CollectPlugins(pluginDir string) (*Collection, error) {
	c := &Collection{}
	top := ""
	topManifest := filepath.Join(pluginDir, ManifestFile)
	var m *manifest
	if exists(topManifest) {
		var err error
		if m, err = readManifest(topManifest); err != nil {
			return nil, err
		}
		top = m.plugin
	}
	if err := c.requirements(pluginDir, pluginDir, top); err != nil {
		return nil, err
	}
	if m != nil {
		c.add(pluginDir, pluginDir, top, topManifest, m.lines)
	}

	entries, err := os.ReadDir(pluginDir)
	if err != nil {
		return nil, fmt.Errorf("read plugin folder: %w", err)
	}
	for _, e := range entries { // sorted by name
		name := e.Name()
		if strings.HasPrefix(name, ".") || name == "__pycache__" {
			continue
		}
		dir := filepath.Join(pluginDir, name)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() { // follows symlinks
			continue
		}
		if exists(filepath.Join(dir, "pyvenv.cfg")) {
			continue
		}
		if err := c.requirements(pluginDir, dir, name); err != nil {
			return nil, err
		}
		if mf := filepath.Join(dir, ManifestFile); exists(mf) {
			m, err := readManifest(mf)
			if err != nil {
				return nil, err
			}
			c.add(pluginDir, dir, name, mf, m.lines)
		}
	}
	return c, nil
}

// requirements reads dir/requirements.txt, if present, for plugin.
func (c *Collection) requirements(pluginDir, dir, plugin string) error {
	p := filepath.Join(dir, RequirementsFile)
	if !exists(p) {
		return nil
	}
	// Includes stay inside the plugin dir: a plugin may share a file with
	// its neighbours (../common.txt), never reach the rest of the machine.
	lines, opts, err := ParseRequirementsIn(p, pluginDir)
	if err != nil {
		return err
	}
	c.add(pluginDir, dir, plugin, p, lines)
	for _, o := range opts {
		o.Source = label(dir, plugin, o.File, o.LineNo)
		c.Options = append(c.Options, o)
		c.addFile(pluginDir, o.File)
	}
	return nil
}

// add records the lines read from file (and the files it includes) for
// plugin, whose folder is dir.
func (c *Collection) add(pluginDir, dir, plugin, file string, lines []Line) {
	c.addFile(pluginDir, file)
	for _, l := range lines {
		l.Plugin = plugin
		l.Source = label(dir, plugin, l.File, l.LineNo)
		c.Lines = append(c.Lines, l)
		c.addFile(pluginDir, l.File)
		if plugin != "" && !contains(c.Plugins, plugin) {
			c.Plugins = append(c.Plugins, plugin)
		}
	}
}

func (c *Collection) addFile(base, file string) {
	rel := slashRel(base, file)
	if !contains(c.Files, rel) {
		c.Files = append(c.Files, rel)
	}
}

// label is a line's Source: the file relative to its plugin's folder,
// e.g. "plugin a (requirements.txt:2)" or "plugin a (../common.txt:1)".
func label(dir, plugin, file string, line int) string {
	w := where(slashRel(dir, file), line)
	if plugin == "" {
		return w
	}
	return fmt.Sprintf("plugin %s (%s)", plugin, w)
}

func slashRel(base, file string) string {
	rel, err := filepath.Rel(base, file)
	if err != nil {
		return filepath.ToSlash(file)
	}
	return filepath.ToSlash(rel)
}

func exists(p string) bool {
	st, err := os.Stat(p)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) // let the reader report it
	}
	return st.Mode().IsRegular()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
