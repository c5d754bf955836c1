package uvbin

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/resolve"
)

// ResolveRequest and ResolvedPin are the shared resolution terms (see
// internal/resolve); the pin keeps another name here because Pin is a pinned
// uv release. uv's pins carry no URL or SHA256 (its output does not say which
// file this platform would install) but every hash of the version in Hashes.
type (
	ResolveRequest = resolve.Request
	ResolvedPin    = resolve.Pin
)

// Resolve turns direct requirements into the complete set of pins with `uv
// pip compile`, for the target interpreter and Python version, with a hash
// for every file. It writes requirements.in and requirements.txt into
// req.Dir (a temporary folder when it is empty). A resolver failure is an
// error holding uv's own message.
func (b *Backend) Resolve(ctx context.Context, req ResolveRequest) ([]ResolvedPin, error) {
	if req.Python == "" {
		return nil, errors.New("resolve with uv: no target interpreter")
	}
	python, err := filepath.Abs(req.Python)
	if err != nil {
		return nil, fmt.Errorf("resolve with uv: %w", err)
	}
	req.Python = python
	// uv takes the pins of an existing output file as preferences: Prepare
	// removes one left from an earlier run.
	inputs, err := resolve.Prepare(req, "requirements.txt")
	if err != nil {
		return nil, fmt.Errorf("resolve with uv: %w", err)
	}
	if inputs == nil {
		return nil, nil
	}
	defer inputs.Close()
	direct := inputs.Direct
	in := inputs.Requirements
	out := filepath.Join(inputs.Dir, "requirements.txt")
	if _, err := b.run(ctx, CompileArgs(req, in, out)); err != nil {
		return nil, fmt.Errorf("resolve with uv: %w", err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("resolve with uv: read result: %w", err)
	}
	pins, err := ParseCompiled(data)
	if err != nil {
		return nil, fmt.Errorf("resolve with uv: %s: %w", out, err)
	}
	for i := range pins {
		pins[i].Requested = direct[pins[i].Name]
	}
	return pins, nil
}

// CompileArgs is the argv of the `uv pip compile` that resolves the
// requirements file in into out.
//
//   - --python is the target interpreter and --python-version the version
//     the lock is for, so markers and Requires-Python are judged for it.
//   - --generate-hashes: every file of every pin gets its sha256.
//   - --no-header and --no-annotate keep the output to pins and hashes.
//   - --only-binary :all: unless sdists are allowed: building one would run
//     its code, and a lock of wheels installs without a compiler.
//   - --no-index with --offline for find-links only: nothing is fetched,
//     and the index URLs, which uv would ignore, are left out.
//
// uv reads no configuration file (Env sets UV_NO_CONFIG).
func CompileArgs(req ResolveRequest, in, out string) []string {
	args := []string{"pip", "compile", in, "--python", req.Python}
	switch {
	case req.Target != nil:
		// uv judges markers, Requires-Python and wheel tags for the
		// target, whatever machine it runs on.
		args = append(args, "--python-version", req.Target.PythonVersion(), "--python-platform", req.Target.UVPlatform())
	case req.PythonVersion != "":
		args = append(args, "--python-version", req.PythonVersion)
	}
	args = append(args, "--generate-hashes", "--no-header", "--no-annotate", "--quiet", "--output-file", out)
	args = append(args, resolve.SourceArgs(req, "--no-index", "--offline")...)
	if len(req.Constraints) > 0 {
		args = append(args, "--constraint", resolve.ConstraintsFile(in))
	}
	return args
}

// hashValue is the lowercased hex digest of "sha256:HEX" (either case),
// or "".
func hashValue(s string) string {
	h, ok := strings.CutPrefix(s, "sha256:")
	if h = strings.ToLower(h); !ok || !fetchpkg.IsSHA256(h) {
		return ""
	}
	return h
}

// ParseCompiled reads the requirements file `uv pip compile
// --generate-hashes` writes: one "name==version" (or "name @ url") per
// logical line, optionally with "; marker", followed by --hash options,
// lines continued with a backslash, comments after "#". Option lines that
// only repeat where packages came from (--index-url, --find-links, ...)
// are skipped; an editable requirement is an error, since it is not a file
// that can be locked.
func ParseCompiled(data []byte) ([]ResolvedPin, error) {
	var pins []ResolvedPin
	seen := map[string]bool{}
	for _, line := range logicalLines(data) {
		if line.text == "" {
			continue
		}
		if strings.HasPrefix(line.text, "-") {
			opt, _, _ := strings.Cut(line.text, " ")
			opt, _, _ = strings.Cut(opt, "=")
			switch opt {
			case "-e", "--editable":
				return nil, fmt.Errorf("line %d: editable requirement %q cannot be locked", line.num, line.text)
			case "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links",
				"--only-binary", "--no-binary", "--trusted-host", "--pre", "--prefer-binary":
				continue
			}
			return nil, fmt.Errorf("line %d: unexpected option %q", line.num, line.text)
		}
		pin, err := parsePinLine(line.text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line.num, err)
		}
		if seen[pin.Name] {
			return nil, fmt.Errorf("line %d: %s pinned twice", line.num, pin.Name)
		}
		seen[pin.Name] = true
		pins = append(pins, pin)
	}
	sort.Slice(pins, func(i, j int) bool { return pins[i].Name < pins[j].Name })
	return pins, nil
}

type logicalLine struct {
	num  int // the number of its first physical line
	text string
}

// logicalLines joins backslash continuations, drops comments (a "#" at the
// start or after white space; one inside a URL fragment is kept) and trims.
func logicalLines(data []byte) []logicalLine {
	var out []logicalLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	var cur strings.Builder
	start, num := 0, 0
	for sc.Scan() {
		num++
		l := strings.TrimSuffix(sc.Text(), "\r")
		if cur.Len() == 0 {
			start = num
		}
		l = stripComment(l)
		if strings.HasSuffix(l, `\`) {
			cur.WriteString(strings.TrimSuffix(l, `\`))
			cur.WriteByte(' ')
			continue
		}
		cur.WriteString(l)
		out = append(out, logicalLine{start, strings.Join(strings.Fields(cur.String()), " ")})
		cur.Reset()
	}
	if cur.Len() > 0 {
		out = append(out, logicalLine{start, strings.Join(strings.Fields(cur.String()), " ")})
	}
	return out
}

func stripComment(l string) string {
	for i := 0; i < len(l); i++ {
		if l[i] == '#' && (i == 0 || l[i-1] == ' ' || l[i-1] == '\t') {
			return strings.TrimRight(l[:i], " \t")
		}
	}
	return strings.TrimRight(l, " \t")
}

// parsePinLine reads one logical line: the requirement, then options.
func parsePinLine(text string) (ResolvedPin, error) {
	spec := text
	var opts []string
	if i := strings.Index(text, " --"); i >= 0 {
		spec, opts = text[:i], strings.Fields(text[i:])
	}
	r, err := pep508.ParseRequirement(spec)
	if err != nil {
		return ResolvedPin{}, fmt.Errorf("parse pin %q: %w", spec, err)
	}
	pin := ResolvedPin{Name: pep508.NormalizeName(r.Name), URL: r.URL}
	if r.Marker != nil {
		pin.Marker = r.Marker.String()
	}
	if r.URL == "" {
		clauses := r.Specifier.Clauses()
		if len(clauses) != 1 || (clauses[0].Operator() != "==" && clauses[0].Operator() != "===") ||
			strings.Contains(clauses[0].Version(), "*") {
			return ResolvedPin{}, fmt.Errorf("%q is not pinned to one version", spec)
		}
		pin.Version = clauses[0].Version()
		if pin.Version == "" {
			return ResolvedPin{}, fmt.Errorf("%q has an empty version", spec)
		}
	}
	for i := 0; i < len(opts); i++ {
		opt, val, hasVal := strings.Cut(opts[i], "=")
		if opt != "--hash" {
			return ResolvedPin{}, fmt.Errorf("%s: unexpected option %q", pin.Name, opts[i])
		}
		if !hasVal {
			if i+1 >= len(opts) {
				return ResolvedPin{}, fmt.Errorf("%s: --hash without a value", pin.Name)
			}
			i++
			val = opts[i]
		}
		h := hashValue(val)
		if h == "" {
			if algo, _, ok := strings.Cut(val, ":"); ok && algo != "sha256" && algo != "" {
				continue // another algorithm; the lock uses sha256
			}
			return ResolvedPin{}, fmt.Errorf("%s: malformed hash %q", pin.Name, val)
		}
		pin.Hashes = append(pin.Hashes, strings.ToLower(h))
	}
	return pin, nil
}
