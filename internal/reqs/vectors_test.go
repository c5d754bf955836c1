package reqs

import (
	"strings"
	"testing"
	"unicode"

	"github.com/influx-py/influx-py/internal/testvec"
)

// TestRequirementVectors writes packaging's requirement strings into a
// requirements file, one a line, and checks that reading the file gives
// each requirement back unchanged: the line handling (comments,
// continuations, options) must not bite into valid PEP 508 text.
func TestRequirementVectors(t *testing.T) {
	var vec struct {
		Requirements []struct {
			Input string `json:"input"`
			Valid bool   `json:"valid"`
			Str   string `json:"str"`
		} `json:"requirements"`
	}
	testvec.Load(t, "requirements.json", &vec)

	// Skip list: strings that a requirements file reads differently from a
	// bare PEP 508 string, by pip's own rules, so that they cannot round
	// trip through a file.
	skipReason := func(s string) string {
		switch {
		case strings.ContainsAny(s, "\n\r"):
			return "contains a line break (a file line cannot)"
		case strings.HasSuffix(strings.TrimRightFunc(s, unicode.IsSpace), `\`) || strings.HasSuffix(s, `\`):
			return "ends in a backslash (a continuation in a file)"
		case stripComment(s) != s:
			return "has a # after white space (a comment in a file)"
		case strings.HasPrefix(strings.TrimSpace(s), "-"):
			return "starts with - (an option line in a file)"
		}
		for _, w := range strings.Fields(s) {
			if strings.HasPrefix(w, "-") {
				return "has a word starting with - (per-requirement options in a file)"
			}
		}
		if strings.TrimSpace(s) == "" {
			return "blank (a blank line in a file)"
		}
		return ""
	}
	skipped := map[string]int{}
	var inputs, want []string
	for _, r := range vec.Requirements {
		if !r.Valid {
			continue
		}
		if why := skipReason(r.Input); why != "" {
			skipped[why]++
			continue
		}
		inputs = append(inputs, r.Input)
		want = append(want, r.Str)
	}
	p := write(t, t.TempDir(), "requirements.txt", strings.Join(inputs, "\n")+"\n")
	lines, opts, err := ParseRequirements(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts) != 0 || len(lines) != len(inputs) {
		t.Fatalf("%d lines and %d options from %d requirements", len(lines), len(opts), len(inputs))
	}
	pass := 0
	for i, l := range lines {
		if l.LineNo != i+1 || l.Req.String() != want[i] {
			t.Errorf("line %d %q: got %q, want %q", l.LineNo, inputs[i], l.Req.String(), want[i])
			continue
		}
		pass++
	}
	t.Logf("requirements.json: %d/%d valid requirements read back unchanged from a requirements file", pass, len(inputs))
	for why, n := range skipped {
		t.Logf("skipped %d: %s", n, why)
	}
}
