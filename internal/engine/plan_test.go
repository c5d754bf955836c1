package engine

import (
	"reflect"
	"testing"
)

func TestMakePlan(t *testing.T) {
	a1 := Want{Name: "a", Version: "1.0", SHA256: "aa"}
	b2 := Want{Name: "b", Version: "2.0", SHA256: "bb"}
	tests := []struct {
		name string
		want []Want
		have []Have
		keep []string
		plan Plan
	}{
		{
			name: "empty venv installs everything",
			want: []Want{b2, a1},
			plan: Plan{Install: []Want{a1, b2}},
		},
		{
			name: "exact match is empty",
			want: []Want{a1},
			have: []Have{{Name: "a", Version: "1.0", SHA256: "aa"}, {Name: "pip", Version: "24.0"}},
			keep: []string{"pip"},
			plan: Plan{Keep: []Want{a1}},
		},
		{
			name: "other version is replaced",
			want: []Want{a1},
			have: []Have{{Name: "a", Version: "0.9", SHA256: "old"}},
			plan: Plan{Replace: []Change{{From: Have{Name: "a", Version: "0.9", SHA256: "old"}, To: a1, Why: "version"}}},
		},
		{
			name: "same version from another file is replaced",
			want: []Want{a1},
			have: []Have{{Name: "a", Version: "1.0", SHA256: "zz"}},
			plan: Plan{Replace: []Change{{From: Have{Name: "a", Version: "1.0", SHA256: "zz"}, To: a1, Why: "hash"}}},
		},
		{
			name: "same version installed by hand is reinstalled",
			want: []Want{a1},
			have: []Have{{Name: "a", Version: "1.0"}},
			plan: Plan{Replace: []Change{{From: Have{Name: "a", Version: "1.0"}, To: a1, Why: "unverified"}}},
		},
		{
			name: "extraneous removed but pip kept",
			want: []Want{a1},
			have: []Have{{Name: "a", Version: "1.0", SHA256: "aa"}, {Name: "setuptools", Version: "65.5.0"}, {Name: "pip", Version: "23.2.1"}},
			keep: []string{"pip"},
			plan: Plan{Keep: []Want{a1}, Remove: []Have{{Name: "setuptools", Version: "65.5.0"}}},
		},
		{
			name: "pip pinned by the lock is managed like any package",
			want: []Want{{Name: "pip", Version: "24.2", SHA256: "pp"}},
			have: []Have{{Name: "pip", Version: "23.2.1"}},
			keep: []string{"pip"},
			plan: Plan{Replace: []Change{{From: Have{Name: "pip", Version: "23.2.1"}, To: Want{Name: "pip", Version: "24.2", SHA256: "pp"}, Why: "version"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MakePlan(tt.want, tt.have, tt.keep)
			norm(&tt.plan)
			if !reflect.DeepEqual(*got, tt.plan) {
				t.Errorf("MakePlan:\n got %+v\nwant %+v", *got, tt.plan)
			}
			if got.Empty() != (len(tt.plan.Install)+len(tt.plan.Replace)+len(tt.plan.Remove) == 0) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

// norm gives a literal plan the empty (non-nil) lists MakePlan returns.
func norm(p *Plan) {
	if p.Install == nil {
		p.Install = []Want{}
	}
	if p.Replace == nil {
		p.Replace = []Change{}
	}
	if p.Remove == nil {
		p.Remove = []Have{}
	}
	if p.Keep == nil {
		p.Keep = []Want{}
	}
	if p.Adopted == nil {
		p.Adopted = []Want{}
	}
}
