package reqs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Collection is everything the plugins of a plugin folder declare.
type Collection struct {
	// Lines are the requirements in reading order: the top level first,
	// then each plugin folder by path.
	Lines []Line
	// Options are the option lines of the requirements files read.
	Options []Option
	// Plugins are the names of the plugins that declared something, in
	// reading order, each once.
	Plugins []string
	// Files are the files read, relative to the plugin folder, with
	// forward slashes, in reading order (included files too).
	Files []string
	// Needs are the other plugins that plugins depend on
	// ([[dependencies.plugins]] in a manifest), which are not Python
	// requirements.
	Needs []PluginNeed
	// Searched is how many folders were looked in.
	Searched int
}

// PluginNeed is a [[dependencies.plugins]] entry: plugin Plugin needs the
// plugin Name (at Version, a range such as ">=1.0.0,<2.0.0").
type PluginNeed struct {
	Plugin  string `json:"plugin"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  string `json:"source"` // "plugin mad_check (manifest.toml:21)"
}

// The files a plugin folder declares requirements in.
const (
	RequirementsFile = "requirements.txt"
	ManifestFile     = "manifest.toml"
)

// MaxDepth bounds how deep CollectPlugins looks: the official repository
// keeps plugins at <org>/<plugin>/ and a few one level below.
const MaxDepth = 6

// CollectPlugins gathers the requirements declared in pluginDir:
//
//   - pluginDir/requirements.txt and pluginDir/manifest.toml, for a folder
//     that is itself one plugin (or holds shared requirements);
//   - every folder below it, to MaxDepth levels, that holds a
//     requirements.txt or a manifest.toml: a plugin, named by its path
//     relative to pluginDir ("influxdata/notifier"), as the official
//     repository of plugins lays them out.
//
// Dot-folders (.venv, .git, ...), __pycache__, node_modules, any folder
// holding a pyvenv.cfg (a virtual environment) and test suites (test/ and
// tests/ without a manifest.toml) are skipped, as are folders already seen
// through another link. The top level takes the name in its manifest's
// [plugin] table, else is anonymous, and its lines are then labelled by
// file only.
func CollectPlugins(pluginDir string) (*Collection, error) {
	c := &Collection{}
	root, err := filepath.Abs(pluginDir)
	if err != nil {
		return nil, err
	}
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if st, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("read plugin folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("read plugin folder: %s is not a folder", pluginDir)
	}
	top := ""
	if topManifest := filepath.Join(pluginDir, ManifestFile); exists(topManifest) {
		m, err := readManifest(topManifest)
		if err != nil {
			return nil, err
		}
		top = m.plugin
	}
	seen := map[string]bool{root: true}
	if err := c.plugin(pluginDir, pluginDir, pluginDir, top); err != nil {
		return nil, err
	}
	if err := c.walk(pluginDir, root, pluginDir, "", 1, seen); err != nil {
		return nil, err
	}
	return c, nil
}

// walk looks in the subfolders of dir (rel below the plugin dir, depth
// levels down) for plugins.
func (c *Collection) walk(pluginDir, root, dir, rel string, depth int, seen map[string]bool) error {
	if depth > MaxDepth {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read plugin folder: %w", err)
	}
	// Real folders first, by name, then links: a folder reached both
	// ways is named by its own path.
	sort.SliceStable(entries, func(i, j int) bool {
		return entries[i].Type()&fs.ModeSymlink == 0 && entries[j].Type()&fs.ModeSymlink != 0
	})
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || name == "__pycache__" || name == "node_modules" {
			continue
		}
		sub := filepath.Join(dir, name)
		if st, err := os.Stat(sub); err != nil || !st.IsDir() { // follows symlinks
			continue
		}
		real, err := filepath.EvalSymlinks(sub)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		if exists(filepath.Join(sub, "pyvenv.cfg")) {
			continue
		}
		// A test suite (the official repository's test/, a plugin's
		// tests/) declares what its tests need, not what a plugin does;
		// one with a manifest.toml is a plugin all the same.
		if (name == "test" || name == "tests") && !exists(filepath.Join(sub, ManifestFile)) {
			continue
		}
		// A link to a folder elsewhere is the operator's doing (only the
		// plugin dir's owner can make it): its plugin is read, and its
		// includes stay inside its own folder.
		bound := pluginDir
		if !within(root, real) {
			bound = real
		}
		subRel := path.Join(rel, name)
		c.Searched++
		if err := c.plugin(bound, pluginDir, sub, subRel); err != nil {
			return err
		}
		if err := c.walk(pluginDir, root, sub, subRel, depth+1, seen); err != nil {
			return err
		}
	}
	return nil
}

// plugin reads the requirements.txt and manifest.toml of dir, if any, for
// the plugin named name.
// Includes stay inside bound.
func (c *Collection) plugin(bound, pluginDir, dir, name string) error {
	if err := c.requirements(bound, pluginDir, dir, name); err != nil {
		return err
	}
	mf := filepath.Join(dir, ManifestFile)
	if !exists(mf) {
		return nil
	}
	m, err := readManifest(mf)
	if err != nil {
		return err
	}
	c.add(pluginDir, dir, name, mf, m.lines)
	for _, n := range m.needs {
		who := name
		if who == "" {
			who = m.plugin
		}
		c.Needs = append(c.Needs, PluginNeed{Plugin: who, Name: n.Name, Version: n.Version, Source: label(dir, name, mf, n.line)})
	}
	return nil
}

// within reports whether p is root or below it (both cleaned, absolute).
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// requirements reads dir/requirements.txt, if present, for plugin.
func (c *Collection) requirements(bound, pluginDir, dir, plugin string) error {
	p := filepath.Join(dir, RequirementsFile)
	if !exists(p) {
		return nil
	}
	// Includes stay inside the plugin dir: a plugin may share a file with
	// its neighbours (../common.txt), never reach the rest of the machine.
	lines, opts, err := ParseRequirementsIn(p, bound)
	if err != nil {
		return err
	}
	c.add(pluginDir, dir, plugin, p, lines)
	for _, o := range opts {
		o.Source = label(dir, plugin, o.File, o.LineNo)
		o.Bound = bound
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
