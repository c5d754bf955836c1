package cli

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/reqs"
	"github.com/influx-py/influx-py/internal/venv"
)

// TestREADMEJSON keeps the README's JSON examples and what the commands
// print in agreement: each documented example has exactly the keys (at
// every depth) of the result the command marshals, filled so that every
// list has an element. A key added to a result without documenting it, or
// documented and gone, fails.
func TestREADMEJSON(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	plan := &engine.Plan{Install: []engine.Want{{}}, Replace: []engine.Change{{}}, Remove: []engine.Have{{}}, Keep: []engine.Want{{}}, Adopted: []engine.Want{{}}}
	samples := map[string]any{
		"sync": engine.SyncResult{Plan: plan, Damage: []venv.Damage{{}}},
		// check adopts nothing: its plan's adopted list is always empty.
		"check":      engine.CheckResult{Plan: &engine.Plan{Install: plan.Install, Replace: plan.Replace, Remove: plan.Remove, Keep: plan.Keep}, Problems: []string{""}, Damage: []venv.Damage{{}}},
		"status":     engine.Status{Problems: []string{""}, Installed: []engine.Installed{{}}},
		"doctor":     doctorJSON{Checks: []engine.Finding{{}}},
		"lock":       engine.LockResult{Requirements: []string{""}, Changes: []engine.LockChange{{}}, Adopted: &engine.Adoption{Requirements: []string{""}}, PluginNeeds: []reqs.PluginNeed{{}}},
		"lock-check": lockCheckJSON{Stale: []string{""}},
		"error":      jsonError{},
	}
	blocks := regexp.MustCompile("(?s)<!-- json: ([a-z-]+) -->\n```json\n(.*?)\n```").FindAllSubmatch(readme, -1)
	documented := map[string]bool{}
	for _, b := range blocks {
		name := string(b[1])
		documented[name] = true
		sample, ok := samples[name]
		if !ok {
			t.Errorf("README documents %q, which the test does not know", name)
			continue
		}
		var doc any
		if err := json.Unmarshal(b[2], &doc); err != nil {
			t.Errorf("README's %s example is not JSON: %v", name, err)
			continue
		}
		data, err := json.Marshal(sample)
		if err != nil {
			t.Fatal(err)
		}
		var got any
		json.Unmarshal(data, &got)
		want, have := keyPaths(doc), keyPaths(got)
		if strings.Join(want, "\n") != strings.Join(have, "\n") {
			t.Errorf("%s: the README documents\n  %s\nthe command prints\n  %s", name, strings.Join(want, "\n  "), strings.Join(have, "\n  "))
		}
	}
	for name := range samples {
		if !documented[name] {
			t.Errorf("README has no JSON example for %s", name)
		}
	}
}

// keyPaths lists every key of v, at every depth, as a path: "plan",
// "plan.install[].name". A null stands for an object documented elsewhere
// (add's sync) or absent, so it ends its path.
func keyPaths(v any) []string {
	seen := map[string]bool{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				seen[p] = true
				walk(p, child)
			}
		case []any:
			for _, child := range x {
				walk(prefix+"[]", child)
			}
		}
	}
	walk("", v)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
