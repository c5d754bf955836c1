package reqs

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
)

func lines(t *testing.T, reqs ...string) []Line {
	t.Helper()
	var out []Line
	for i, s := range reqs {
		r, err := pep508.ParseRequirement(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Line{Req: r, Raw: s, File: "r.txt", LineNo: i + 1, Source: fmt.Sprintf("r.txt:%d", i+1)})
	}
	return out
}

func TestMerge(t *testing.T) {
	tests := []struct {
		name     string
		reqs     []string
		merged   []string // "req (number of sources)"
		conflict string   // the conflicting names' Reasons, joined
	}{
		{name: "one", reqs: []string{"a>=1"}, merged: []string{"a>=1 (1)"}},
		{name: "names normalized, sorted", reqs: []string{"Zed", "a.b>=1", "A_B<2"}, merged: []string{"a-b<2,>=1 (2)", "zed (1)"}},
		{name: "duplicates", reqs: []string{"a==1.0", "a==1"}, merged: []string{"a==1 (2)"}},
		{name: "extras unioned", reqs: []string{"a[X]", "a[y,x]>=1"}, merged: []string{"a[x,y]>=1 (2)"}},
		{name: "disjoint bounds", reqs: []string{"a>=2", "a<2"}, conflict: "no version satisfies <2,>=2"},
		{name: "pin below minimum", reqs: []string{"requests==2.31.0", "requests>=2.32"}, conflict: "no version satisfies ==2.31.0,>=2.32"},
		{name: "pin above range", reqs: []string{"a~=1.1", "a==2.0"}, conflict: "no version satisfies ==2.0,~=1.1"},
		{name: "compatible release and bound", reqs: []string{"a~=1.1", "a>=1.5"}, merged: []string{"a>=1.5,~=1.1 (2)"}},
		{name: "compatible release too high", reqs: []string{"a~=1.1", "a>=2"}, conflict: "no version satisfies >=2,~=1.1"},
		{name: "prefix and its negation", reqs: []string{"a==1.*", "a!=1.*"}, conflict: "no version satisfies !=1.*,==1.*"},
		{name: "prefix and exclusion", reqs: []string{"a==1.*", "a!=1.2"}, merged: []string{"a!=1.2,==1.* (2)"}},
		{name: "exclusive bounds, one release apart", reqs: []string{"a>1.0", "a<1.0.1"}, merged: []string{"a<1.0.1,>1.0 (2)"}},
		{name: "only pre-releases between", reqs: []string{"a>1.0a1", "a<1.0b1"}, merged: []string{"a<1.0b1,>1.0a1 (2)"}},
		// <1.0.post2 excludes 1.0.post2.devN: nothing is left (packaging agrees).
		{name: "nothing between a post and the next", reqs: []string{"a>1.0.post1", "a<1.0.post2"}, conflict: "no version satisfies <1.0.post2,>1.0.post1"},
		{name: "exclusive around one version", reqs: []string{"a>1", "a<1"}, conflict: "no version satisfies <1,>1"},
		{name: "equal and not equal", reqs: []string{"a==1.0", "a!=1.0"}, conflict: "no version satisfies !=1.0,==1.0"},
		{name: "local version", reqs: []string{"a==1.0+cpu", "a==1.0"}, merged: []string{"a==1.0,==1.0+cpu (2)"}},
		{name: "arbitrary equality", reqs: []string{"a===1.0", "a==1.0"}, merged: []string{"a==1.0,===1.0 (2)"}},
		{name: "arbitrary equality on a non-version", reqs: []string{"a===foo", "a>=1"}, conflict: "no version satisfies ===foo,>=1"},
		{name: "three sources, one bad", reqs: []string{"a>=1", "b", "a<3", "a>=3"}, merged: []string{"b (1)"}, conflict: "no version satisfies <3,>=1,>=3"},
		{name: "URLs agree", reqs: []string{"a @ https://h/a-1.0.whl", "a@https://h/a-1.0.whl"}, merged: []string{"a @ https://h/a-1.0.whl (2)"}},
		{name: "URLs differ", reqs: []string{"a @ https://h/a-1.0.whl", "a @ https://h/a-2.0.whl"}, conflict: "different URLs"},
		{name: "URL and version", reqs: []string{"a @ https://h/a-1.0.whl", "a>=1"}, conflict: "a URL requirement cannot be combined with version specifiers"},
		{name: "URL and plain name", reqs: []string{"a @ https://h/a-1.0.whl", "a[x]"}, merged: []string{"a[x] @ https://h/a-1.0.whl (2)"}},
		{
			name:   "markers kept apart",
			reqs:   []string{`a<2; python_version < "3.9"`, `a>=2; python_version >= "3.9"`, `a>=1`},
			merged: []string{"a>=1 (1)", `a<2; python_version < "3.9" (1)`, `a>=2; python_version >= "3.9" (1)`},
		},
		{
			name:     "marked line against unmarked",
			reqs:     []string{`a==1`, `a>=2; python_version >= "3.9"`},
			conflict: "no version satisfies ==1,>=2",
		},
		{
			name:   "same marker, spelt differently",
			reqs:   []string{`a>=1; python_version>'3'`, `a<2 ; python_version > "3"`},
			merged: []string{`a<2,>=1; python_version > "3" (2)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ls := lines(t, tt.reqs...)
			ls = append(ls, Line{Raw: "--pre"}) // no requirement: ignored
			merged, conflicts := Merge(ls)
			var got []string
			for _, m := range merged {
				got = append(got, fmt.Sprintf("%s (%d)", m.Req, len(m.Sources)))
			}
			if strings.Join(got, "\n") != strings.Join(tt.merged, "\n") {
				t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.merged, "\n"))
			}
			var reasons []string
			for _, c := range conflicts {
				reasons = append(reasons, c.Reason)
				if len(c.Sources) < 2 && !strings.HasPrefix(tt.name, "arbitrary") {
					t.Errorf("conflict with %d sources", len(c.Sources))
				}
				for _, s := range c.Sources {
					if !strings.Contains(c.Error(), s.Source+" wants "+s.Req.String()) {
						t.Errorf("%q does not name %s", c.Error(), s.Source)
					}
				}
			}
			if strings.Join(reasons, "|") != tt.conflict {
				t.Errorf("conflicts %q, want %q", reasons, tt.conflict)
			}
		})
	}
}

func TestConflictMessage(t *testing.T) {
	ls := lines(t, "requests==2.31.0", "requests>=2.32", "requests")
	ls[0].Source = "plugin a (requirements.txt:2)"
	ls[1].Source = "plugin b (manifest.toml:5)"
	ls[2].Source = ""
	ls[2].File = "top.txt"
	ls[2].LineNo = 9
	_, conflicts := Merge(ls)
	want := "conflicting requirements for requests: plugin a (requirements.txt:2) wants requests==2.31.0; plugin b (manifest.toml:5) wants requests>=2.32; top.txt:9 wants requests"
	if len(conflicts) != 1 || conflicts[0].Error() != want {
		t.Errorf("%v\nwant %s", conflicts, want)
	}
	var err error = conflicts[0] // a Conflict is an error
	_ = err
}

// TestNoFalseConflict: whenever some version of a dense grid satisfies a
// random specifier set, Satisfiable must say so. (The reverse is not
// promised: Merge leaves subtle conflicts to the resolver.)
func TestNoFalseConflict(t *testing.T) {
	var gridText []string
	for _, rel := range []string{"0", "0.1", "1", "1.0.1", "1.1", "1.1.1", "2", "2.0.0.1", "3", "1!1"} {
		for _, pre := range []string{"", "a1", "b2", "rc1"} {
			for _, post := range []string{"", ".post1", ".post2"} {
				for _, dev := range []string{"", ".dev1"} {
					for _, local := range []string{"", "+l"} {
						gridText = append(gridText, rel+pre+post+dev+local)
					}
				}
			}
		}
	}
	grid := make([]pep440.Version, len(gridText))
	for i, g := range gridText {
		grid[i] = pep440.MustParse(g)
	}
	mentioned := []string{"0", "1", "1.0", "1.1", "1.1.0", "2", "1.0a1", "1.1rc1", "1.0.post1", "2.dev1", "1.1b2.post1", "1!1", "2.0.0.1"}
	ops := []string{"==", "!=", "<", "<=", ">", ">=", "~=", "==*", "!=*"}
	rng := rand.New(rand.NewPCG(1, 2))
	const trials = 20000
	sat, detected := 0, 0
	for range trials {
		var clauses []string
		for range 1 + rng.IntN(3) {
			op, v := ops[rng.IntN(len(ops))], mentioned[rng.IntN(len(mentioned))]
			switch op {
			case "==*", "!=*":
				v = strings.SplitN(v, "a", 2)[0]
				v = strings.SplitN(v, "rc", 2)[0]
				v = strings.SplitN(v, "b", 2)[0]
				v = strings.SplitN(v, ".post", 2)[0]
				v = strings.SplitN(v, ".dev", 2)[0]
				clauses = append(clauses, op[:2]+v+".*")
				continue
			case "~=":
				if !strings.Contains(v, ".") || strings.Contains(v, "!") {
					v += ".0"
				}
			}
			clauses = append(clauses, op+v)
		}
		spec, err := pep440.ParseSpecifiers(strings.Join(clauses, ","))
		if err != nil {
			continue // e.g. ~= on a local version
		}
		var witness string
		for i, g := range grid {
			if spec.Contains(g, pep440.PreAllow) {
				witness = gridText[i]
				break
			}
		}
		got := Satisfiable(spec)
		if witness != "" {
			sat++
			if !got {
				t.Errorf("%s: satisfied by %s, but reported as a conflict", spec, witness)
			}
		} else if !got {
			detected++
		}
	}
	t.Logf("%d random specifier sets: %d satisfiable on the grid (all recognized), %d/%d unsatisfiable ones reported as conflicts",
		trials, sat, detected, trials-sat)
}
