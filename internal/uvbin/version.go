package uvbin

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// MinVersion is the oldest uv influx-py accepts through --uv. It is the
// first release that has every option influx-py passes: `uv venv
// --no-project` (0.4.4; without it uv venv reads a pyproject.toml or
// .python-version found in the working directory), `--no-python-downloads`
// and UV_PYTHON_DOWNLOADS (0.3.x), UV_NO_CONFIG (0.2.30), and `uv pip
// install --require-hashes --offline --no-index --reinstall` (0.2.x).
const MinVersion = "0.4.4"

// tripleRE matches a Rust target triple such as x86_64-unknown-linux-gnu
// (and not a date such as 2026-01-01).
var tripleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]*(?:-[a-z0-9_]+){2,}$`) })

// VersionOutput is what `uv --version` printed, parsed.
type VersionOutput struct {
	Version string // "0.12.18"
	Target  string // "x86_64-unknown-linux-gnu" when the build reports it
}

// ParseVersionOutput reads the first line of `uv --version`, which is
// "uv <version>" optionally followed by "(<commit> <date> <target>)"; older
// releases print fewer fields in the parentheses, or none.
func ParseVersionOutput(out string) (VersionOutput, error) {
	line, _, _ := strings.Cut(out, "\n")
	line = strings.Trim(strings.TrimSuffix(line, "\r"), " ")
	// uv prints "uv VERSION (COMMIT DATE TARGET)" with single spaces; other
	// white space (a tab, a form feed) is not uv's output.
	rest, ok := strings.CutPrefix(line, "uv ")
	v, tail, _ := strings.Cut(rest, " ")
	if !ok || v == "" {
		return VersionOutput{}, fmt.Errorf("parse uv --version output %q: want \"uv <version> ...\"", line)
	}
	if _, err := parseVersion(v); err != nil {
		return VersionOutput{}, fmt.Errorf("parse uv --version output %q: %w", line, err)
	}
	res := VersionOutput{Version: v}
	if strings.HasPrefix(tail, "(") && strings.HasSuffix(tail, ")") {
		inner := strings.Split(tail[1:len(tail)-1], " ")
		if n := len(inner); n > 0 && tripleRE().MatchString(inner[n-1]) {
			res.Target = inner[n-1]
		}
	}
	return res, nil
}

// parseVersion splits a uv version, "MAJOR.MINOR.PATCH" with an optional
// suffix after "-" or "+" (a pre-release or a local build), into its numbers.
func parseVersion(v string) ([3]int, error) {
	var n [3]int
	core := v
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		core = v[:i]
		if i == len(v)-1 {
			return n, fmt.Errorf("version %q: empty suffix", v)
		}
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return n, fmt.Errorf("version %q: want MAJOR.MINOR.PATCH", v)
	}
	for i, p := range parts {
		if p == "" || len(p) > 9 || strings.TrimLeft(p, "0123456789") != "" || (len(p) > 1 && p[0] == '0') {
			return n, fmt.Errorf("version %q: %q is not a number", v, p)
		}
		n[i], _ = strconv.Atoi(p)
	}
	return n, nil
}

// CompareVersions orders two uv versions by their numbers, ignoring any
// suffix: -1 when a < b, 0 when equal, 1 when a > b.
func CompareVersions(a, b string) (int, error) {
	x, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	y, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	for i := range x {
		switch {
		case x[i] < y[i]:
			return -1, nil
		case x[i] > y[i]:
			return 1, nil
		}
	}
	return 0, nil
}

// atLeast reports whether v >= min; an unparsable v counts as older.
func atLeast(v, min string) bool {
	c, err := CompareVersions(v, min)
	return err == nil && c >= 0
}
