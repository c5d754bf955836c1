package uvbin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
	"github.com/influx-py/influx-py/internal/run"
)

// Manager finds, downloads and verifies the pinned uv in a cache:
// <CacheDir>/uv/<version>/<target>/ holds uv (and uvx) and a record of
// their SHA-256, written only after the archive matched its pin and the
// binary reported the pinned version. The zero values of Pins, Version and
// Target mean the real pin table, Version and the host; tests set them to
// serve archives they build.
type Manager struct {
	CacheDir string
	// BaseURL replaces uv's release host (a mirror); empty means
	// DefaultBaseURL. The checksums stay the pinned ones.
	BaseURL string
	Offline bool // only the cache: never download
	HTTP    *http.Client
	Runner  *run.Runner
	Environ []string // the parent environment children's are built from
	// Progress, when set, is called with the download's length (-1 when
	// unknown) and returns a writer that receives the body as it arrives.
	// A writer that is also an io.Closer is closed when the body ends.
	Progress func(total int64) io.Writer
	Log      io.Writer // -v diagnostics; may be nil
	// Archives are local folders laid out as a mirror, <dir>/<version>/<archive>
	// (a wheelhouse's uv/ folder): the pinned archive found there is used
	// before any download, and offline. Its bytes are checked against the
	// pin like a downloaded one's.
	Archives []string

	Pins    []Pin
	Version string
	Target  string

	maxBytes int64 // bound on a download; zero means maxArchive
}

// Binary is a uv that can be run.
type Binary struct {
	Path    string
	Version string
	Target  string // empty when unknown (a --uv binary that does not say)
	// Pinned is true for the pinned version; a --uv binary of another
	// version is accepted with Warning set.
	Pinned  bool
	Warning string
}

// recordName is the file beside the binaries that says what they are.
const recordName = "influx-py-uv.json"

// record is what Ensure proved about a cache entry when it made it.
type record struct {
	Version       string            `json:"version"`
	Target        string            `json:"target"`
	Archive       string            `json:"archive"`
	ArchiveSHA256 string            `json:"archive_sha256"`
	URL           string            `json:"url"`
	Files         map[string]string `json:"files"` // file name -> sha256
}

func (m *Manager) version() string {
	if m.Version != "" {
		return m.Version
	}
	return Version
}

func (m *Manager) pins() []Pin {
	if m.Pins != nil {
		return m.Pins
	}
	return Pins()
}

func (m *Manager) baseURL() string {
	if m.BaseURL != "" {
		return m.BaseURL
	}
	return DefaultBaseURL
}

func (m *Manager) runner() *run.Runner {
	if m.Runner != nil {
		return m.Runner
	}
	return &run.Runner{}
}

func (m *Manager) logf(format string, args ...any) {
	if m.Log != nil {
		fmt.Fprintf(m.Log, format+"\n", args...)
	}
}

// resolve returns the target and its pin; a platform without a pinned
// build gives an *UnavailableError.
func (m *Manager) resolve() (string, Pin, error) {
	target := m.Target
	if target == "" {
		t, err := HostTarget()
		if err != nil {
			return "", Pin{}, &UnavailableError{Reason: err.Error(), Err: err}
		}
		target = t
	}
	pin, ok := findPin(m.pins(), target)
	if !ok {
		return target, Pin{}, &UnavailableError{Reason: fmt.Sprintf("no uv %s build is pinned for %s", m.version(), target)}
	}
	return target, pin, nil
}

func (m *Manager) entryDir(target string) (string, error) {
	if m.CacheDir == "" {
		return "", errors.New("no cache directory for uv")
	}
	return filepath.Join(m.CacheDir, "uv", m.version(), target), nil
}

// Path is where the pinned uv lives (or would live) in the cache.
func (m *Manager) Path() (string, error) {
	target, _, err := m.resolve()
	if err != nil {
		return "", err
	}
	dir, err := m.entryDir(target)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, exeName(target, "uv")), nil
}

// errNotCached marks a cache entry that does not exist.
var errNotCached = errors.New("not in the cache")

// Cached returns the cached pinned uv after hashing it again against the
// digest recorded at install. It never uses the network and starts no
// process. An absent entry gives an *UnavailableError; a changed file a
// *ChecksumError.
func (m *Manager) Cached(ctx context.Context) (*Binary, error) { return m.cached(false) }

func (m *Manager) cached(full bool) (*Binary, error) {
	target, pin, err := m.resolve()
	if err != nil {
		return nil, err
	}
	dir, err := m.entryDir(target)
	if err != nil {
		return nil, err
	}
	b, err := m.checkEntry(dir, target, pin, full)
	if errors.Is(err, errNotCached) {
		return nil, &UnavailableError{Reason: fmt.Sprintf("uv %s for %s is not in the cache (%s)", m.version(), target, dir)}
	}
	return b, err
}

// Verify hashes every file of the cached uv again and runs it: it must
// report the pinned version.
func (m *Manager) Verify(ctx context.Context) (*Binary, error) {
	b, err := m.cached(true)
	if err != nil {
		return nil, err
	}
	if err := m.checkVersion(ctx, b.Path, b.Version); err != nil {
		return nil, err
	}
	return b, nil
}

// Ensure returns the pinned uv, downloading and installing it into the
// cache when it is not there (unless Offline). A cached entry whose files
// no longer match their recorded digests is never run: it is discarded and
// downloaded again, or, offline, refused.
//
// Concurrent callers, in this process or others, share one download: the
// entry is made under a file lock beside it, and looked at again once the
// lock is held.
func (m *Manager) Ensure(ctx context.Context) (*Binary, error) {
	target, pin, err := m.resolve()
	if err != nil {
		return nil, err
	}
	dir, err := m.entryDir(target)
	if err != nil {
		return nil, err
	}
	b, err := m.check(dir, target, pin)
	if err == nil {
		return b, nil
	}
	local := m.localArchive(pin)
	remote := m.remoteArchives(pin)
	if m.Offline && local == "" && len(remote) == 0 {
		if errors.Is(err, errNotCached) {
			return nil, &UnavailableError{Reason: fmt.Sprintf("offline and uv %s for %s is not in the cache (%s)%s", m.version(), target, dir, m.lookedIn(pin))}
		}
		return nil, fmt.Errorf("cached uv %s for %s cannot be used, and offline it is not downloaded again (run 'influx-py uv fetch' when online): %w", m.version(), target, err)
	}

	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("uv cache: %w", err)
	}
	unlock, err := fsutil.Lock(ctx, dir+".lock")
	if err != nil {
		return nil, fmt.Errorf("uv cache: lock %s: %w", dir, err)
	}
	defer unlock()
	// Another process may have installed it while we waited.
	b, err = m.check(dir, target, pin)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, errNotCached) {
		m.logf("discarding cached uv %s: %v", dir, err)
		if err := discard(dir); err != nil {
			return nil, fmt.Errorf("uv cache: remove damaged %s: %w", dir, err)
		}
	}
	removeStale(filepath.Dir(dir), target)
	if local != "" {
		// A wheelhouse's archive with other bytes than the pin is an
		// error, not a reason to download: the copy carried to this site
		// is wrong and must be noticed.
		b, err = m.install(ctx, target, pin, dir, fileURL(local))
		if err != nil {
			return nil, fmt.Errorf("uv %s for %s from %s: %w", m.version(), target, local, err)
		}
		return b, nil
	}
	var ue *UnavailableError
	for _, src := range remote {
		b, err = m.install(ctx, target, pin, dir, src)
		if err == nil {
			return b, nil
		}
		if !errors.As(err, &ue) {
			return nil, fmt.Errorf("uv %s for %s from %s: %w", m.version(), target, fetchpkg.Redact(src), err)
		}
		m.logf("uv %s for %s: %s", m.version(), target, ue.Reason)
	}
	if m.Offline {
		return nil, &UnavailableError{Reason: fmt.Sprintf("offline and uv %s for %s is neither in the cache nor in %s", m.version(), target, strings.Join(redactAll(remote), ", "))}
	}
	src, err := archiveURL(m.baseURL(), m.version(), pin.Archive)
	if err != nil {
		return nil, err
	}
	b, err = m.install(ctx, target, pin, dir, src)
	if err != nil {
		return nil, fmt.Errorf("download uv %s for %s: %w", m.version(), target, err)
	}
	return b, nil
}

// remoteArchives are where the remote Archives folders would hold the
// pinned archive.
func (m *Manager) remoteArchives(pin Pin) []string {
	var out []string
	for _, d := range m.Archives {
		if fetchpkg.IsRemote(d) {
			out = append(out, fetchpkg.Join(fetchpkg.Join(d, m.version()), pin.Archive))
		}
	}
	return out
}

func redactAll(srcs []string) []string {
	out := make([]string, len(srcs))
	for i, s := range srcs {
		out[i] = fetchpkg.Redact(s)
	}
	return out
}

// localArchive is the first of the local Archives folders holding the
// pinned archive, or "".
func (m *Manager) localArchive(pin Pin) string {
	for _, d := range m.Archives {
		if fetchpkg.IsRemote(d) {
			continue
		}
		p := filepath.Join(d, m.version(), pin.Archive)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			if abs, err := filepath.Abs(p); err == nil {
				return abs
			}
		}
	}
	return ""
}

// lookedIn names the local folders searched for the archive, for the
// message that it is nowhere.
func (m *Manager) lookedIn(pin Pin) string {
	if len(m.Archives) == 0 {
		return ""
	}
	var where []string
	for _, d := range m.Archives {
		if fetchpkg.IsRemote(d) {
			where = append(where, fetchpkg.Redact(fetchpkg.Join(fetchpkg.Join(d, m.version()), pin.Archive)))
		} else {
			where = append(where, filepath.Join(d, m.version(), pin.Archive))
		}
	}
	return ", nor at " + strings.Join(where, ", ")
}

func fileURL(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

// ArchiveInfo describes a pinned uv release archive put in a folder.
type ArchiveInfo struct {
	Version string
	Target  string
	Name    string // the archive's file name
	SHA256  string
	Size    int64
	Path    string // where it now is
}

// Archive puts the pinned release archive for m.Target (the host when
// empty) at <dir>/<version>/<archive>, verified against the pin: kept when
// a file with the pinned digest is already there, else copied from the
// Archives folders, else downloaded (unless Offline). The archive is not
// extracted or run: it is carried to other machines, whose Ensure checks it
// again.
func (m *Manager) Archive(ctx context.Context, dir string) (ArchiveInfo, error) {
	target, pin, err := m.resolve()
	if err != nil {
		return ArchiveInfo{}, err
	}
	info := ArchiveInfo{Version: m.version(), Target: target, Name: pin.Archive, SHA256: pin.SHA256,
		Path: filepath.Join(dir, m.version(), pin.Archive)}
	if sum, size, err := fetchpkg.HashFile(info.Path); err == nil && sum == pin.SHA256 {
		info.Size = size
		return info, nil
	}
	var srcs []string
	if local := m.localArchive(pin); local != "" && local != info.Path {
		srcs = append(srcs, fileURL(local))
	}
	srcs = append(srcs, m.remoteArchives(pin)...)
	if !m.Offline {
		src, err := archiveURL(m.baseURL(), m.version(), pin.Archive)
		if err != nil {
			return ArchiveInfo{}, err
		}
		srcs = append(srcs, src)
	}
	if len(srcs) == 0 {
		return ArchiveInfo{}, &UnavailableError{Reason: fmt.Sprintf("offline and the uv %s archive for %s (%s) is not at hand%s", m.version(), target, pin.Archive, m.lookedIn(pin))}
	}
	if err := os.MkdirAll(filepath.Dir(info.Path), 0o755); err != nil {
		return ArchiveInfo{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(info.Path), "."+pin.Archive+".tmp-*")
	if err != nil {
		return ArchiveInfo{}, err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	for i, src := range srcs {
		err = m.fetchPinned(ctx, src, tmp.Name(), pin)
		var ue *UnavailableError
		if err == nil || !errors.As(err, &ue) || i == len(srcs)-1 {
			break
		}
	}
	var ce *ChecksumError
	if errors.As(err, &ce) {
		return ArchiveInfo{}, err
	}
	if err != nil {
		return ArchiveInfo{}, fmt.Errorf("uv %s archive for %s: %w", m.version(), target, err)
	}
	fi, err := os.Stat(tmp.Name())
	if err != nil {
		return ArchiveInfo{}, err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return ArchiveInfo{}, err
	}
	if err := os.Rename(tmp.Name(), info.Path); err != nil {
		return ArchiveInfo{}, err
	}
	info.Size = fi.Size()
	return info, nil
}

// fetchPinned fetches the release archive at src to dst and checks it
// against the pin: a *ChecksumError with both digests when it is not the
// pinned archive.
func (m *Manager) fetchPinned(ctx context.Context, src, dst string, pin Pin) error {
	shown := fetchpkg.Redact(src)
	m.logf("downloading %s", shown)
	sum, err := m.fetch(ctx, src, dst, m.Progress)
	if err != nil {
		return err
	}
	if sum != pin.SHA256 {
		return &ChecksumError{What: "archive " + pin.Archive, URL: shown, Expected: pin.SHA256, Actual: sum}
	}
	m.logf("sha256 of %s matches the pin %s", pin.Archive, sum)
	return nil
}

// install downloads, checks, extracts and runs uv in a fresh folder inside
// the cache, records what it proved, and renames the folder into place.
// The caller holds the entry's lock.
func (m *Manager) install(ctx context.Context, target string, pin Pin, dir, src string) (*Binary, error) {
	shown := fetchpkg.Redact(src)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".tmp-"+target+"-")
	if err != nil {
		return nil, fmt.Errorf("uv cache: %w", err)
	}
	defer os.RemoveAll(tmp)

	archive := filepath.Join(tmp, pin.Archive)
	// The archive is opened only once its bytes are the pinned ones.
	if err := m.fetchPinned(ctx, src, archive, pin); err != nil {
		return nil, err
	}

	entry := filepath.Join(tmp, "entry")
	if err := os.Mkdir(entry, 0o755); err != nil {
		return nil, err
	}
	files, err := Extract(archive, pin, entry)
	if err != nil {
		return nil, err
	}
	exe := exeName(target, "uv")
	if err := m.checkVersion(ctx, filepath.Join(entry, exe), m.version()); err != nil {
		return nil, fmt.Errorf("uv from %s: %w", pin.Archive, err)
	}
	rec := record{
		Version: m.version(), Target: target, Archive: pin.Archive,
		ArchiveSHA256: pin.SHA256, URL: shown, Files: map[string]string{},
	}
	for _, f := range files {
		h, err := hashFile(filepath.Join(entry, f))
		if err != nil {
			return nil, err
		}
		rec.Files[f] = h
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(filepath.Join(entry, recordName), append(data, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(entry, dir); err != nil {
		return nil, fmt.Errorf("uv cache: %w", err)
	}
	m.logf("installed uv %s for %s in %s", m.version(), target, dir)
	return &Binary{Path: filepath.Join(dir, exe), Version: m.version(), Target: target, Pinned: true}, nil
}

// check proves that the entry at dir is what install made: its record is
// for this version, target and pin, and every recorded file still has its
// digest (hashed, or unchanged since it was: see verifiedName). It
// returns errNotCached when there is no entry.
func (m *Manager) check(dir, target string, pin Pin) (*Binary, error) {
	return m.checkEntry(dir, target, pin, false)
}

// checkFull is check hashing every file.
func (m *Manager) checkFull(dir, target string, pin Pin) (*Binary, error) {
	return m.checkEntry(dir, target, pin, true)
}

func (m *Manager) checkEntry(dir, target string, pin Pin, full bool) (*Binary, error) {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, errNotCached
	}
	data, err := os.ReadFile(filepath.Join(dir, recordName))
	if err != nil {
		return nil, fmt.Errorf("cached uv %s is damaged: %w", dir, err)
	}
	var rec record
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, fmt.Errorf("cached uv %s is damaged: %s: %w", dir, recordName, err)
	}
	if rec.Version != m.version() || rec.Target != target || rec.ArchiveSHA256 != pin.SHA256 {
		return nil, fmt.Errorf("cached uv %s is damaged: it records uv %s for %s from an archive with sha256 %s, want uv %s for %s with %s",
			dir, rec.Version, rec.Target, rec.ArchiveSHA256, m.version(), target, pin.SHA256)
	}
	exe := exeName(target, "uv")
	if rec.Files[exe] == "" {
		return nil, fmt.Errorf("cached uv %s is damaged: no digest recorded for %s", dir, exe)
	}
	var known map[string]verifiedFile
	if !full {
		known = readVerified(dir)
	}
	seen := map[string]verifiedFile{}
	hashed := false
	for name, want := range rec.Files {
		p := filepath.Join(dir, name)
		if filepath.Base(name) != name {
			return nil, fmt.Errorf("cached uv %s is damaged: bad file name %q", dir, name)
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("cached uv %s is damaged: %w", dir, err)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("cached uv %s is damaged: %s is not a regular file", dir, name)
		}
		key, keyed := fileKey(p)
		if v, ok := known[name]; keyed && ok && v.Stat == key && v.SHA256 == want {
			seen[name] = v
			continue
		}
		got, err := hashFile(p)
		if err != nil {
			return nil, fmt.Errorf("cached uv %s: %w", dir, err)
		}
		if got != want {
			return nil, &ChecksumError{What: "cached " + p + " (changed since it was installed)", Expected: want, Actual: got}
		}
		// The stat from before the hash: a change while hashing makes
		// the next use hash again.
		if keyed {
			seen[name] = verifiedFile{Stat: key, SHA256: got}
			hashed = true
		}
	}
	if hashed && len(seen) == len(rec.Files) {
		writeVerified(dir, seen)
	}
	return &Binary{Path: filepath.Join(dir, exe), Version: m.version(), Target: target, Pinned: true}, nil
}

// checkVersion runs `exe --version`, which must report want.
func (m *Manager) checkVersion(ctx context.Context, exe, want string) error {
	out, err := m.versionOf(ctx, exe)
	if err != nil {
		return err
	}
	if out.Version != want {
		return fmt.Errorf("%s reports uv %s, want %s", exe, out.Version, want)
	}
	return nil
}

func (m *Manager) versionOf(ctx context.Context, exe string) (VersionOutput, error) {
	stdout, err := m.runner().Run(ctx, run.Cmd{
		Path: exe,
		Args: []string{"--version"},
		Env:  run.Env(m.Environ, map[string]string{"UV_NO_CONFIG": "1"}),
	})
	if err != nil {
		return VersionOutput{}, err
	}
	return ParseVersionOutput(string(stdout))
}

// UseExisting accepts a uv the user has (--uv PATH) when it runs and is at
// least MinVersion. Its bytes cannot be checked against a pin; a version
// other than the pinned one is accepted with a warning.
func (m *Manager) UseExisting(ctx context.Context, path string) (*Binary, error) {
	p := path
	if !strings.ContainsAny(p, `/\`) {
		lp, err := exec.LookPath(p)
		if err != nil {
			return nil, fmt.Errorf("uv %q: %w", path, err)
		}
		p = lp
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, fmt.Errorf("uv %q: %w", path, err)
	}
	out, err := m.versionOf(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("uv %s: %w", abs, err)
	}
	if !atLeast(out.Version, MinVersion) {
		return nil, fmt.Errorf("uv %s is version %s; influx-py needs uv %s or newer (it pins %s)", abs, out.Version, MinVersion, m.version())
	}
	b := &Binary{Path: abs, Version: out.Version, Target: out.Target, Pinned: out.Version == m.version()}
	if !b.Pinned {
		b.Warning = fmt.Sprintf("using uv %s from %s, not the pinned uv %s", out.Version, abs, m.version())
	}
	return b, nil
}

// discard moves a damaged entry aside, so that the path is free at once,
// and removes it.
func discard(dir string) error {
	aside := fmt.Sprintf("%s.old-%d-%d", dir, os.Getpid(), time.Now().UnixNano())
	if err := os.Rename(dir, aside); err != nil {
		return err
	}
	return os.RemoveAll(aside)
}

// removeStale removes what interrupted installs of target left behind. The
// caller holds the entry's lock, so nothing else is using them.
func removeStale(parent, target string) {
	for _, pat := range []string{".tmp-" + target + "-*", target + ".old-*"} {
		matches, _ := filepath.Glob(filepath.Join(parent, pat))
		for _, p := range matches {
			os.RemoveAll(p)
		}
	}
}

func hashFile(path string) (string, error) {
	sum, _, err := fetchpkg.HashFile(path)
	if err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return sum, nil
}
