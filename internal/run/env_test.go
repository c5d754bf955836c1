package run

import (
	"reflect"
	"sort"
	"testing"
)

func TestEnv(t *testing.T) {
	tests := []struct {
		name      string
		parent    []string
		overrides map[string]string
		want      []string
	}{
		{
			name:   "keeps ordinary variables, sorted",
			parent: []string{"PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"},
			want:   []string{"HOME=/root", "LANG=C.UTF-8", "PATH=/usr/bin:/bin"},
		},
		{
			name: "strips an activated venv and a foreign standard library",
			parent: []string{
				"VIRTUAL_ENV=/other/.venv", "PYTHONHOME=/opt/py", "PYTHONPATH=/opt/lib",
				"PYTHONSTARTUP=/x.py", "PYTHONUSERBASE=/u", "PYTHONNOUSERSITE=0",
				"PYTHONEXECUTABLE=/p", "__PYVENV_LAUNCHER__=/l", "CONDA_PREFIX=/conda",
				"PYTHONWARNINGS=error", "PYTHONINSPECT=1", "PYTHONDONTWRITEBYTECODE=1",
				"PYTHONSAFEPATH=1", "PYTHONVERBOSE=1", "pythonoptimize=2", "PYTHON=python3",
				"HOME=/root",
			},
			want: []string{"HOME=/root"},
		},
		{
			name: "strips every PIP_ and UV_ variable whatever its case",
			parent: []string{
				"PIP_FIND_LINKS=/opt/wheels", "PIP_INDEX_URL=http://127.0.0.1:9/simple",
				"pip_index_url=http://x", "Pip_Target=/t", "UV_INDEX_URL=http://y",
				"uv_cache_dir=/c", "Uv_Python=3.9", "PATH=/bin",
			},
			want: []string{"PATH=/bin"},
		},
		{
			name:   "keeps names that only contain PIP or UV elsewhere",
			parent: []string{"MY_PIP_X=1", "PIPX_HOME=/p", "UVX=1", "XUV_A=2", "PIP=3", "MY_PYTHONPATH=1"},
			want:   []string{"MY_PIP_X=1", "MY_PYTHONPATH=1", "PIP=3", "PIPX_HOME=/p", "UVX=1", "XUV_A=2"},
		},
		{
			name:   "case-insensitive match covers the fixed names too",
			parent: []string{"virtual_env=/v", "PythonPath=/p", "HOME=/h"},
			want:   []string{"HOME=/h"},
		},
		{
			name:      "overrides are applied last and win",
			parent:    []string{"LANG=C", "HOME=/root"},
			overrides: map[string]string{"LANG": "C.UTF-8", "NEW": "1"},
			want:      []string{"HOME=/root", "LANG=C.UTF-8", "NEW=1"},
		},
		{
			name:      "an override may set a variable the stripping removed",
			parent:    []string{"PIP_NO_INPUT=0", "PYTHONNOUSERSITE=0"},
			overrides: map[string]string{"PIP_NO_INPUT": "1", "PYTHONNOUSERSITE": "1"},
			want:      []string{"PIP_NO_INPUT=1", "PYTHONNOUSERSITE=1"},
		},
		{
			name:      "an empty override removes the variable",
			parent:    []string{"PATH=/bin", "HOME=/root", "TERM=xterm"},
			overrides: map[string]string{"TERM": "", "ABSENT": ""},
			want:      []string{"HOME=/root", "PATH=/bin"},
		},
		{
			name:   "malformed entries are dropped",
			parent: []string{"NOEQUALS", "", "=C:=C:\\", "=", "OK=1"},
			want:   []string{"OK=1"},
		},
		{
			name:   "values keep their own equals signs and may be empty",
			parent: []string{"A=b=c", "EMPTY=", "Q=x=="},
			want:   []string{"A=b=c", "EMPTY=", "Q=x=="},
		},
		{
			name:   "a repeated name keeps its last value, like exec does",
			parent: []string{"X=first", "Y=1", "X=second"},
			want:   []string{"X=second", "Y=1"},
		},
		{
			name:   "nothing in, nothing out",
			parent: nil,
			want:   []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := append([]string(nil), tt.parent...)
			got := Env(parent, tt.overrides)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Env(%q, %v)\n got %q\nwant %q", tt.parent, tt.overrides, got, tt.want)
			}
			if !reflect.DeepEqual(parent, tt.parent) && tt.parent != nil {
				t.Errorf("Env modified its input: %q, was %q", parent, tt.parent)
			}
		})
	}
}

// TestEnvDeterministic shows the output does not depend on the order of the
// parent environment or on map iteration: the same inputs in any order give
// the same sorted slice.
func TestEnvDeterministic(t *testing.T) {
	parent := []string{"Z=26", "A=1", "M=13", "PIP_X=1", "B=2", "Y=25", "C=3", "X=24"}
	overrides := map[string]string{"O1": "a", "O2": "b", "O3": "c", "O4": "d", "A": "one", "Z": ""}
	first := Env(parent, overrides)
	if !sort.StringsAreSorted(first) {
		t.Fatalf("Env output not sorted: %q", first)
	}
	want := []string{"A=one", "B=2", "C=3", "M=13", "O1=a", "O2=b", "O3=c", "O4=d", "X=24", "Y=25"}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("Env = %q, want %q", first, want)
	}
	rev := make([]string, len(parent))
	for i, kv := range parent {
		rev[len(parent)-1-i] = kv
	}
	for i := 0; i < 50; i++ {
		p := parent
		if i%2 == 1 {
			p = rev
		}
		if got := Env(p, overrides); !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d: Env = %q, want %q", i, got, first)
		}
	}
}

func TestPythonEnv(t *testing.T) {
	want := map[string]string{
		"PYTHONNOUSERSITE":              "1",
		"PYTHONIOENCODING":              "utf-8",
		"PYTHONUTF8":                    "1",
		"PIP_NO_INPUT":                  "1",
		"PIP_DISABLE_PIP_VERSION_CHECK": "1",
	}
	got := PythonEnv()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PythonEnv() = %v, want %v", got, want)
	}
	// Each call is a fresh map: a caller adding its own overrides must not
	// change what the next caller gets.
	got["EXTRA"] = "x"
	delete(got, "PYTHONUTF8")
	if again := PythonEnv(); !reflect.DeepEqual(again, want) {
		t.Fatalf("PythonEnv() after a caller changed its map = %v, want %v", again, want)
	}

	// Combined with a hostile parent, the PIP_ settings that survive are
	// exactly PythonEnv's, and user site-packages stay off.
	env := Env([]string{
		"PATH=/bin", "PIP_NO_INPUT=0", "PIP_FIND_LINKS=/opt/wheels", "PYTHONNOUSERSITE=",
		"PYTHONPATH=/evil", "VIRTUAL_ENV=/v",
	}, PythonEnv())
	wantEnv := []string{
		"PATH=/bin",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_INPUT=1",
		"PYTHONIOENCODING=utf-8",
		"PYTHONNOUSERSITE=1",
		"PYTHONUTF8=1",
	}
	if !reflect.DeepEqual(env, wantEnv) {
		t.Fatalf("Env(hostile, PythonEnv()) = %q, want %q", env, wantEnv)
	}
}
