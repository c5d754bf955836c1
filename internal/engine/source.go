package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/run"
)

// source is a package the sync builds instead of fetching: a local source
// tree ([packages.directory]) or a git commit ([packages.vcs]). Neither has
// a hash in the lock; what identifies it is the tree's content or the
// commit, and the wheel built from it is what the installer is given.
type source struct {
	Kind   string // lockfile.KindDirectory or lockfile.KindVCS
	Dir    string // the tree (directory), or a local repository (vcs path)
	URL    string // the repository (vcs url)
	Commit string // vcs commit-id
	Subdir string
}

// sourceOf reads the source of a directory or vcs package, and its
// identity: "tree:<sha256 of the tree>" for a directory, "git:<commit>"
// (with ":<subdirectory>") for a vcs package. Without --allow-build both
// are refused: building runs the project's own code.
func sourceOf(p *lockfile.Package, kind, lockPath string, allowBuild bool) (*source, string, error) {
	if !allowBuild {
		return nil, "", fmt.Errorf("package %s: a %s source is built on install, which runs the project's own code: pass --allow-build to build it (or lock a wheel)", p.ID(), kind)
	}
	rel := func(path string) string {
		path = filepath.FromSlash(path)
		if !filepath.IsAbs(path) {
			path = filepath.Join(filepath.Dir(lockPath), path)
		}
		return path
	}
	switch kind {
	case lockfile.KindDirectory:
		d := p.Directory
		if d.Editable != nil && *d.Editable {
			return nil, "", fmt.Errorf("package %s: an editable directory cannot be installed verified (its files would be the tree's, changing under the venv); lock it with editable = false", p.ID())
		}
		src := &source{Kind: kind, Dir: rel(d.Path), Subdir: d.Subdirectory}
		sum, err := treeDigest(src.tree())
		if err != nil {
			return nil, "", fmt.Errorf("package %s: %w", p.ID(), err)
		}
		return src, "tree:" + sum, nil
	case lockfile.KindVCS:
		v := p.VCS
		if v.Type != "git" {
			return nil, "", fmt.Errorf("package %s: %s repositories are not supported (git is)", p.ID(), v.Type)
		}
		src := &source{Kind: kind, URL: v.URL, Commit: strings.ToLower(v.CommitID), Subdir: v.Subdirectory}
		if v.Path != "" {
			src.Dir = rel(v.Path)
		}
		id := "git:" + src.Commit
		if src.Subdir != "" {
			id += ":" + src.Subdir
		}
		return src, id, nil
	}
	return nil, "", fmt.Errorf("package %s: %s sources are not supported", p.ID(), kind)
}

// tree is the folder of a directory source that is built.
func (s *source) tree() string {
	if s.Subdir == "" {
		return s.Dir
	}
	return filepath.Join(s.Dir, filepath.FromSlash(s.Subdir))
}

// skipInTree are what a build or a developer leaves in a source tree,
// which is not the source: left out of its digest.
func skipInTree(name string, dir bool) bool {
	if dir {
		switch name {
		case ".git", ".hg", ".svn", "__pycache__", "build", "dist", ".tox", ".nox", ".venv", "node_modules", ".mypy_cache", ".pytest_cache":
			return true
		}
		return strings.HasSuffix(name, ".egg-info")
	}
	return strings.HasSuffix(name, ".pyc")
}

// treeDigest is the sha256 of a source tree: every file's slash path,
// executable bit and content, in path order. Symbolic links are digested
// by their target path and not followed.
func treeDigest(root string) (string, error) {
	st, err := os.Stat(root)
	if err != nil {
		return "", fmt.Errorf("source tree: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("source tree %s is not a folder", root)
	}
	type entry struct{ rel, line string }
	var entries []entry
	err = filepath.WalkDir(root, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		if skipInTree(de.Name(), de.IsDir()) {
			if de.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		switch {
		case de.IsDir():
			return nil
		case de.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			entries = append(entries, entry{rel, "link " + rel + " " + target})
		case de.Type().IsRegular():
			info, err := de.Info()
			if err != nil {
				return err
			}
			sum, _, err := fetch.HashFile(p)
			if err != nil {
				return err
			}
			exe := info.Mode().Perm()&0o111 != 0
			entries = append(entries, entry{rel, fmt.Sprintf("file %s %v %s", rel, exe, sum)})
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("source tree %s: %w", root, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].rel < entries[j].rel })
	h := sha256.New()
	for _, e := range entries {
		io.WriteString(h, e.line+"\n")
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// buildSources builds the wheels of the packages the plan installs from
// source, in the venv's scratch dir, and makes them the verified files of
// those packages: files gains the wheel under the package's identity, and
// the wants (of the plan and of d) get the wheel's file name.
func (e *Engine) buildSources(ctx context.Context, b Builder, s *session, d *decision, opts SyncOptions, files map[string]string) error {
	built := map[string]string{} // identity -> wheel file name
	for _, w := range installs(d.plan) {
		if w.src == nil {
			continue
		}
		tmp, err := newScratch(s.loc.Venv, "build-"+w.Name)
		if err != nil {
			return err
		}
		tree := w.src.tree()
		if w.src.Kind == lockfile.KindVCS {
			checkout := filepath.Join(tmp, "src")
			if err := e.gitCheckout(ctx, w.src, checkout, opts.Offline); err != nil {
				return fmt.Errorf("package %s: %w", w.Name, err)
			}
			tree = filepath.Join(checkout, filepath.FromSlash(w.src.Subdir))
		}
		out := filepath.Join(tmp, "wheel")
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		e.logf("building %s from %s", w.Name, tree)
		stop := e.phase("building "+w.Name, 0)
		err = b.Build(ctx, s.loc.Python, tree, out, absFindLinks(opts.FindLinks))
		stop()
		if err != nil {
			return fmt.Errorf("package %s: %w", w.Name, err)
		}
		wheels, _ := filepath.Glob(filepath.Join(out, "*.whl"))
		if len(wheels) != 1 {
			return fmt.Errorf("package %s: building %s made %d wheels, not one", w.Name, tree, len(wheels))
		}
		files[w.SHA256] = wheels[0]
		built[w.SHA256] = filepath.Base(wheels[0])
	}
	name := func(w *Want) {
		if f, ok := built[w.SHA256]; ok {
			w.File = f
		}
	}
	for i := range d.wants {
		name(&d.wants[i])
	}
	for i := range d.plan.Install {
		name(&d.plan.Install[i])
	}
	for i := range d.plan.Replace {
		name(&d.plan.Replace[i].To)
	}
	return nil
}

// gitCheckout puts the commit of a vcs source into dir, and checks that
// it is that commit.
func (e *Engine) gitCheckout(ctx context.Context, src *source, dir string, offline bool) error {
	git, err := exec.LookPath("git")
	if err != nil {
		return errors.New("a git source needs git, which is not installed")
	}
	from := src.Dir
	if from == "" {
		from = src.URL
		if offline && !strings.HasPrefix(strings.ToLower(from), "file:") {
			return fmt.Errorf("git source %s needs the network, and this is an --offline sync: lock it by path, or sync online once", from)
		}
	}
	// Git reads no configuration of the caller's that could change what
	// is checked out, and never prompts.
	env := run.Env(e.Environ, run.GitEnv())
	for _, args := range [][]string{
		{"clone", "--quiet", "--no-checkout", "--", from, dir},
		{"-C", dir, "checkout", "--quiet", "--detach", src.Commit},
	} {
		if _, err := e.Runner.Run(ctx, run.Cmd{Path: git, Args: args, Env: env}); err != nil {
			return fmt.Errorf("git source %s at %s: %w", from, src.Commit, err)
		}
	}
	out, err := e.Runner.Run(ctx, run.Cmd{Path: git, Args: []string{"-C", dir, "rev-parse", "HEAD"}, Env: env})
	if err != nil {
		return err
	}
	if got := strings.TrimSpace(string(out)); got != src.Commit {
		return fmt.Errorf("git source %s: checked out %s, the lock says commit %s", from, got, src.Commit)
	}
	return nil
}

// sourceChanged reports a directory package of the lock whose tree is no
// longer the one the stamp records: the lock is the same, the source is
// not. It reads the trees of directory packages only (no process).
func (s *session) sourceChanged() (string, bool) {
	if s.stamp == nil {
		return "", false
	}
	recorded := map[string]string{}
	trees := false
	for _, d := range s.stamp.Installed {
		recorded[d.Name] = d.SHA256
		trees = trees || strings.HasPrefix(d.SHA256, "tree:")
	}
	if !trees {
		return "", false
	}
	if err := s.parse(); err != nil {
		return "the lock does not parse: " + err.Error(), true
	}
	for i := range s.lock.Packages {
		p := &s.lock.Packages[i]
		if p.Directory == nil {
			continue
		}
		was, ok := recorded[pep508.NormalizeName(p.Name)]
		if !ok || !strings.HasPrefix(was, "tree:") {
			continue
		}
		_, id, err := sourceOf(p, lockfile.KindDirectory, s.loc.Lock, true)
		if err != nil || id != was {
			return "the source tree of " + p.Name + " changed", true
		}
	}
	return "", false
}
