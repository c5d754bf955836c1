package fallback

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/resolve"
)

// ResolveRequest and Pin are the shared resolution terms (see
// internal/resolve). pip's pins carry the file it chose (URL, SHA256);
// Marker is always empty: pip resolves for one environment.
type (
	ResolveRequest = resolve.Request
	Pin            = resolve.Pin
)

// ResolvePipMin is the first pip whose install has --report.
const ResolvePipMin = "22.2"

// PipTooOldError says the target interpreter's pip cannot report a
// resolution; the user needs the uv backend or a newer Python.
type PipTooOldError struct {
	Version string // the pip version found
	Python  string
}

func (e *PipTooOldError) Error() string {
	return fmt.Sprintf("pip %s in %s is too old to resolve (needs %s); use --backend uv or a newer Python",
		e.Version, e.Python, ResolvePipMin)
}

// Resolve turns direct requirements into the complete set of pins, using
// `pip install --dry-run --ignore-installed --report` run by the target
// interpreter, so that markers and wheel tags are judged by the Python the
// lock is for. Nothing is installed. pip comes from PipWheel when set (the
// interpreter then needs no pip of its own), else from the interpreter.
// The files requirements.in and report.json are written into req.Dir (a
// temporary folder when it is empty). A resolver failure is an error
// holding pip's own message.
func (p *Pip) Resolve(ctx context.Context, req ResolveRequest) ([]Pin, error) {
	if req.Python == "" {
		return nil, errors.New("resolve with pip: no target interpreter")
	}
	inputs, err := resolve.Prepare(req, "report.json")
	if err != nil {
		return nil, fmt.Errorf("resolve with pip: %w", err)
	}
	if inputs == nil {
		return nil, nil
	}
	defer inputs.Close()
	in := inputs.Requirements
	report := filepath.Join(inputs.Dir, "report.json")
	if p.PipWheel != "" {
		if _, err := os.Stat(p.PipWheel); err != nil {
			return nil, fmt.Errorf("resolve with pip: pip wheel: %w", err)
		}
	}
	version, err := p.pipVersion(ctx, req.Python)
	if err != nil {
		return nil, fmt.Errorf("resolve with pip: %w", err)
	}
	if !versionAtLeast(version, ResolvePipMin) {
		return nil, &PipTooOldError{Version: version, Python: req.Python}
	}
	if _, err := p.run(ctx, req.Python, ResolveArgs(p.PipWheel, req, in, report)); err != nil {
		return nil, fmt.Errorf("resolve with pip: %w", err)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		return nil, fmt.Errorf("resolve with pip: read report: %w", err)
	}
	rep, err := ParseReport(data)
	if err != nil {
		return nil, fmt.Errorf("resolve with pip: %s: %w", report, err)
	}
	if req.PythonVersion != "" && rep.PythonVersion != "" && rep.PythonVersion != req.PythonVersion {
		return nil, fmt.Errorf("resolve with pip: %s is Python %s, not the %s the lock is for", req.Python, rep.PythonVersion, req.PythonVersion)
	}
	for i := range rep.Pins {
		pin := &rep.Pins[i]
		if pin.SHA256 == "" && filepath.IsAbs(pin.URL) {
			sum, err := fileSHA256(pin.URL)
			if err != nil {
				return nil, fmt.Errorf("resolve with pip: hash %s: %w", pin.URL, err)
			}
			pin.SHA256, pin.Hashes = sum, []string{sum}
		}
	}
	return rep.Pins, nil
}

// pipPrefix is the argv that starts pip under an interpreter, with the
// options every call gets: from the wheel when one is given (a wheel is
// importable as a zip), else the interpreter's own.
func pipPrefix(wheel string) []string {
	if wheel == "" {
		return append([]string(nil), pipArgs...)
	}
	return append([]string{filepath.Join(wheel, "pip")}, pipArgs[2:]...)
}

// ResolveArgs is the argv (after the interpreter) of the dry-run install
// that resolves the requirements file in and writes pip's installation
// report to report.
//
//   - --ignore-installed: the resolution must not depend on what happens to
//     be installed in the interpreter running pip.
//   - --only-binary :all: unless sdists are allowed: building one would run
//     its code, and a lock of wheels installs without a compiler.
//   - with NoIndex the index URLs are left out, since pip would ignore them.
func ResolveArgs(wheel string, req ResolveRequest, in, report string) []string {
	args := pipPrefix(wheel)
	args = append(args, "install", "--dry-run", "--ignore-installed", "--report", report, "--quiet")
	if req.Target != nil {
		// pip takes platform options only for wheels (SourceArgs gives
		// --only-binary :all:, the engine refuses --allow-build with
		// targets), and before pip 22.2 only with --target, which a dry
		// run never writes to.
		args = append(args, req.Target.PipArgs()...)
		args = append(args, "--target", filepath.Join(filepath.Dir(report), "target"))
	}
	args = append(args, resolve.SourceArgs(req, "--no-index")...)
	if len(req.Constraints) > 0 {
		args = append(args, "-c", resolve.ConstraintsFile(in))
	}
	return append(args, "-r", in)
}

// pipWheelNameRE reads the version from the name of a pip wheel.
var pipWheelNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pip-([0-9][0-9A-Za-z.]*)-[^-]+-[^-]+-[^-]+\.whl$`) })

// pipVersionRE reads the version from `pip --version`.
var pipVersionRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^pip ([0-9][0-9A-Za-z.]*) from `) })

// pipVersion is the version of the pip Resolve would run: read from the
// wheel's file name when it follows the wheel naming rule, so that no
// process is started for it, else asked of pip itself.
func (p *Pip) pipVersion(ctx context.Context, python string) (string, error) {
	if m := pipWheelNameRE().FindStringSubmatch(filepath.Base(p.PipWheel)); m != nil {
		return m[1], nil
	}
	out, err := p.run(ctx, python, append(pipPrefix(p.PipWheel), "--version"))
	if err != nil {
		return "", fmt.Errorf("no usable pip for %s: %w", python, err)
	}
	m := pipVersionRE().FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return "", fmt.Errorf("parse pip --version output %q", strings.TrimSpace(string(out)))
	}
	return m[1], nil
}

// versionAtLeast compares the leading numbers of two dotted versions; a
// part's trailing letters (a pre-release such as "22.2b1") are ignored.
func versionAtLeast(v, min string) bool {
	a, b := releaseNumbers(v), releaseNumbers(min)
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x > y
		}
	}
	return true
}

func releaseNumbers(v string) []int {
	var out []int
	for _, part := range strings.Split(v, ".") {
		digits := part[:len(part)-len(strings.TrimLeft(part, "0123456789"))]
		if digits == "" {
			break
		}
		n, err := strconv.Atoi(digits)
		if err != nil {
			break
		}
		out = append(out, n)
		if len(digits) != len(part) {
			break
		}
	}
	return out
}

// Report is what Resolve takes from pip's installation report.
type Report struct {
	PipVersion    string
	PythonVersion string // the environment's python_version marker value
	Pins          []Pin  // sorted by name
}

// The installation report, version 1, as far as influx-py reads it.
type reportJSON struct {
	Version     string            `json:"version"`
	PipVersion  string            `json:"pip_version"`
	Install     []reportItem      `json:"install"`
	Environment map[string]string `json:"environment"`
}

type reportItem struct {
	DownloadInfo struct {
		URL         string `json:"url"`
		ArchiveInfo *struct {
			Hash   string            `json:"hash"`
			Hashes map[string]string `json:"hashes"`
		} `json:"archive_info"`
		DirInfo json.RawMessage `json:"dir_info"`
		VCSInfo json.RawMessage `json:"vcs_info"`
	} `json:"download_info"`
	IsDirect  bool `json:"is_direct"`
	Requested bool `json:"requested"`
	Metadata  struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"metadata"`
}

// ParseReport reads pip's installation report (`pip install --report`,
// format version 1) into pins. Only archives can be locked: a distribution
// pip would take from a local directory or a VCS checkout is an error.
func ParseReport(data []byte) (*Report, error) {
	var r reportJSON
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("parse pip report: %w", err)
	}
	if r.Version != "1" {
		return nil, fmt.Errorf("parse pip report: version %q, want \"1\"", r.Version)
	}
	out := &Report{PipVersion: r.PipVersion, PythonVersion: r.Environment["python_version"]}
	seen := make(map[string]bool, len(r.Install))
	for i, it := range r.Install {
		pin, err := reportPin(it)
		if err != nil {
			return nil, fmt.Errorf("parse pip report: install[%d]: %w", i, err)
		}
		if seen[pin.Name] {
			return nil, fmt.Errorf("parse pip report: %s listed twice", pin.Name)
		}
		seen[pin.Name] = true
		out.Pins = append(out.Pins, pin)
	}
	sort.Slice(out.Pins, func(i, j int) bool { return out.Pins[i].Name < out.Pins[j].Name })
	return out, nil
}

func reportPin(it reportItem) (Pin, error) {
	md := it.Metadata
	if !pep508.ValidName(md.Name) {
		return Pin{}, fmt.Errorf("invalid project name %q", md.Name)
	}
	if md.Version == "" || strings.ContainsAny(md.Version, " \t\r\n") {
		return Pin{}, fmt.Errorf("%s: invalid version %q", md.Name, md.Version)
	}
	di := it.DownloadInfo
	if di.URL == "" {
		return Pin{}, fmt.Errorf("%s %s: no download URL", md.Name, md.Version)
	}
	if di.ArchiveInfo == nil {
		kind := "a source that is not a file"
		if len(di.DirInfo) > 0 {
			kind = "a local directory"
		} else if len(di.VCSInfo) > 0 {
			kind = "a VCS checkout"
		}
		return Pin{}, fmt.Errorf("%s %s comes from %s (%s); only files can be locked", md.Name, md.Version, kind, di.URL)
	}
	sum := strings.ToLower(di.ArchiveInfo.Hashes["sha256"])
	if algo, legacy, ok := strings.Cut(di.ArchiveInfo.Hash, "="); ok && algo == "sha256" {
		legacy = strings.ToLower(legacy)
		if sum != "" && sum != legacy {
			return Pin{}, fmt.Errorf("%s %s: hash %s and hashes.sha256 %s disagree", md.Name, md.Version, legacy, sum)
		}
		sum = legacy
	}
	if sum != "" && !fetch.IsSHA256(sum) {
		return Pin{}, fmt.Errorf("%s %s: malformed sha256 %q", md.Name, md.Version, sum)
	}
	loc, err := localPath(di.URL)
	if err != nil {
		return Pin{}, fmt.Errorf("%s %s: %w", md.Name, md.Version, err)
	}
	pin := Pin{
		Name:      pep508.NormalizeName(md.Name),
		Version:   md.Version,
		URL:       loc,
		SHA256:    sum,
		Requested: it.Requested,
	}
	if sum != "" {
		pin.Hashes = []string{sum}
	}
	return pin, nil
}

// localPath turns a file:// URL into a local path and leaves any other URL
// as it is.
func localPath(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("parse URL %q: %w", raw, err)
	}
	if !strings.EqualFold(u.Scheme, "file") {
		return raw, nil
	}
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return "", fmt.Errorf("file URL %q names host %q", raw, u.Host)
	}
	p := u.Path
	if runtime.GOOS == "windows" && len(p) >= 3 && p[0] == '/' && p[2] == ':' {
		p = p[1:] // /C:/x -> C:/x
	}
	if p == "" {
		return "", fmt.Errorf("file URL %q has no path", raw)
	}
	return filepath.FromSlash(p), nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
