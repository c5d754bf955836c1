package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/lockfile"
)

func TestMergeRequirements(t *testing.T) {
	tests := []struct {
		old, add, want []string
		err            string
	}{
		{old: nil, add: []string{"Requests>=2"}, want: []string{"Requests>=2"}},
		{old: []string{"pandas>=2", "numpy"}, add: []string{"pandas==2.2.3"}, want: []string{"numpy", "pandas==2.2.3"}},
		{old: []string{"a_b"}, add: []string{"A-B[x]<3"}, want: []string{"A-B[x]<3"}},
		{old: []string{"z"}, add: []string{"a ; python_version >= '3.8'"}, want: []string{`a; python_version >= "3.8"`, "z"}},
		{add: []string{"bad[="}, err: "bad[="},
	}
	for _, tt := range tests {
		got, err := mergeRequirements(tt.old, tt.add)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("mergeRequirements(%q, %q) err = %v, want %q", tt.old, tt.add, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("mergeRequirements(%q, %q) = %q, %v; want %q", tt.old, tt.add, got, err, tt.want)
		}
	}
}

func TestDropRequirements(t *testing.T) {
	kept, missing, err := dropRequirements([]string{"pandas>=2", "Numpy", "requests"}, []string{"NUMPY", "flask"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pandas>=2", "requests"}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept %q, want %q", kept, want)
	}
	if want := []string{"flask"}; !reflect.DeepEqual(missing, want) {
		t.Errorf("missing %q, want %q", missing, want)
	}
	if _, _, err := dropRequirements(nil, []string{"not a name"}); err == nil {
		t.Error("an invalid name was accepted")
	}
}

func TestProjectRoundTrip(t *testing.T) {
	p := Project{Recorded: true, Requirements: []string{"a>=1", "b"}, Python: "3.11", IndexURL: "http://127.0.0.1:1/simple/", FindLinks: []string{"wheels"}}
	l := &lockfile.Lock{LockVersion: "1.0", CreatedBy: "influx-py", Packages: []lockfile.Package{}, Tool: map[string]any{toolKey: p.table(), "other": map[string]any{"keep": true}}}
	data, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	back, err := lockfile.Parse("pylock.toml", data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := projectOf(back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("round trip: got %+v, want %+v", got, p)
	}
	if back.Tool["other"] == nil {
		t.Error("another tool's table was lost")
	}
}

func TestProjectOfErrors(t *testing.T) {
	for _, tool := range []map[string]any{
		{toolKey: "not a table"},
		{toolKey: map[string]any{"requirements": "a"}},
		{toolKey: map[string]any{"requirements": []any{1}}},
		{toolKey: map[string]any{"requirements": []any{"a[="}}},
		{toolKey: map[string]any{"python": 3}},
	} {
		if _, err := projectOf(&lockfile.Lock{Tool: tool}); err == nil {
			t.Errorf("projectOf(%v) accepted a bad table", tool)
		}
	}
}

func TestStaleness(t *testing.T) {
	lock := func(reqs []string, pkgs ...string) *lockfile.Lock {
		l := &lockfile.Lock{Tool: map[string]any{toolKey: Project{Requirements: reqs}.table()}}
		for _, p := range pkgs {
			n, v, _ := strings.Cut(p, "==")
			l.Packages = append(l.Packages, lockfile.Package{Name: n, Version: v})
		}
		return l
	}
	tests := []struct {
		name string
		l    *lockfile.Lock
		reqs []string
		want string // substring of the first reason; "" = fresh
	}{
		{"fresh", lock([]string{"a>=1"}, "a==1.2", "b==2.0"), []string{"a>=1"}, ""},
		{"requirement added", lock([]string{"a>=1"}, "a==1.2"), []string{"a>=1", "c"}, "was made for the requirements [a>=1]"},
		{"pin no longer fits", lock([]string{"a<1"}, "a==1.2"), []string{"a<1"}, "does not satisfy a<1"},
		{"package missing", lock([]string{"a"}), []string{"a"}, "a is not in the lock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := staleness(tt.l, tt.reqs, false)
			if tt.want == "" {
				if len(why) > 0 {
					t.Errorf("stale: %q", why)
				}
				return
			}
			if len(why) == 0 || !strings.Contains(strings.Join(why, "\n"), tt.want) {
				t.Errorf("staleness = %q, want %q", why, tt.want)
			}
		})
	}
}

func TestRelTo(t *testing.T) {
	for _, tt := range []struct {
		dir, p   string
		absolute bool
		want     string
	}{
		{"/srv/plugins", "/srv/plugins/wheels/a.whl", false, "wheels/a.whl"},
		{"/srv/plugins", "/srv/plugins/wheels/a.whl", true, "wheels/a.whl"},
		{"/srv/plugins", "/srv/other/a.whl", false, "../other/a.whl"},
		{"/srv/plugins", "/srv/other/a.whl", true, "/srv/other/a.whl"},
		{"/srv/plugins", "/srv/plugins", false, "."},
		{"/srv/plugins", "https://x/a.whl", false, "https://x/a.whl"},
	} {
		if got := relTo(tt.dir, tt.p, tt.absolute); got != tt.want {
			t.Errorf("relTo(%q, %q, %v) = %q, want %q", tt.dir, tt.p, tt.absolute, got, tt.want)
		}
	}
}
