package lockfile

import (
	"errors"
	"strings"
	"testing"
)

var linux312 = map[string]string{
	"implementation_name": "cpython", "implementation_version": "3.12.4", "os_name": "posix",
	"platform_machine": "x86_64", "platform_release": "6.1.0", "platform_system": "Linux",
	"platform_version": "#1 SMP", "python_full_version": "3.12.4", "python_version": "3.12",
	"sys_platform": "linux", "platform_python_implementation": "CPython",
}

var win312 = func() map[string]string {
	m := map[string]string{}
	for k, v := range linux312 {
		m[k] = v
	}
	m["sys_platform"], m["os_name"], m["platform_system"] = "win32", "nt", "Windows"
	return m
}()

var tags312 = []string{"cp312-cp312-manylinux_2_28_x86_64", "cp312-cp312-manylinux_2_17_x86_64", "cp312-abi3-manylinux_2_17_x86_64", "py3-none-manylinux_2_17_x86_64", "cp312-none-any", "py3-none-any"}

func mustParse(t *testing.T, doc string) *Lock {
	t.Helper()
	l, err := Parse("pylock.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// picked renders selections as "name:kind:file" for comparison.
func picked(sel []Selection) string {
	var parts []string
	for _, s := range sel {
		p := s.Package.Name + ":" + s.Kind
		if s.File != nil {
			p += ":" + s.File.Filename()
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func TestSelect(t *testing.T) {
	wheels := head + `
[[packages]]
name = "np"
version = "2.0"
sdist = { path = "np-2.0.tar.gz", hashes = { sha256 = "a" } }
wheels = [
  { path = "np-2.0-cp312-cp312-win_amd64.whl", hashes = { sha256 = "a" } },
  { path = "np-2.0-py3-none-any.whl", hashes = { sha256 = "a" } },
  { path = "np-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hashes = { sha256 = "a" } },
  { path = "np-2.0-1-cp312-cp312-manylinux_2_17_x86_64.whl", hashes = { sha256 = "a" } },
]
[[packages]]
name = "pure"
wheels = [{ path = "pure-1-py2.py3-none-any.whl", hashes = { sha256 = "a" } }]
[[packages]]
name = "src"
sdist = { path = "src-1.tar.gz", hashes = { sha256 = "a" } }
`
	groups := head + `
extras = ["cli", "gpu"]
dependency-groups = ["dev", "docs"]
default-groups = ["base"]
[[packages]]
name = "always"
directory = { path = "a" }
[[packages]]
name = "base-dep"
marker = "'base' in dependency_groups"
directory = { path = "b" }
[[packages]]
name = "dev-dep"
marker = "'dev' in dependency_groups"
directory = { path = "c" }
[[packages]]
name = "cli-dep"
marker = "'cli' in extras and sys_platform == 'linux'"
directory = { path = "d" }
[[packages]]
name = "win-dep"
marker = "sys_platform == 'win32'"
directory = { path = "e" }
`
	tests := []struct {
		name string
		doc  string
		env  Env
		tags []string // nil: tags312
		want string
	}{
		{"best tag wins, ties keep file order", wheels, Env{AllowSdist: true}, nil,
			"np:wheel:np-2.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl pure:wheel:pure-1-py2.py3-none-any.whl src:sdist:src-1.tar.gz"},
		{"pure wheel when only py3-none-any fits", wheels, Env{AllowSdist: true}, []string{"cp312-cp312-macosx_11_0_arm64", "py3-none-any"},
			"np:wheel:np-2.0-py3-none-any.whl pure:wheel:pure-1-py2.py3-none-any.whl src:sdist:src-1.tar.gz"},
		{"sdist fallback", wheels, Env{AllowSdist: true}, []string{"py2-none-any"},
			"np:sdist:np-2.0.tar.gz pure:wheel:pure-1-py2.py3-none-any.whl src:sdist:src-1.tar.gz"},
		{"default groups", groups, Env{}, nil, "always:directory base-dep:directory"},
		{"groups given replace defaults", groups, Env{DependencyGroups: []string{"dev"}}, nil, "always:directory dev-dep:directory"},
		{"no groups", groups, Env{DependencyGroups: []string{}}, nil, "always:directory"},
		{"extras", groups, Env{Extras: []string{"cli"}}, nil, "always:directory base-dep:directory cli-dep:directory"},
		{"markers see the environment", groups, Env{Extras: []string{"cli"}, Markers: win312}, nil,
			"always:directory base-dep:directory win-dep:directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, tt.doc)
			env := tt.env
			if env.Markers == nil {
				env.Markers = linux312
			}
			env.Tags = parseTags(t, tagsOr(tt.tags, tags312))
			sel, err := l.Select(env)
			if err != nil {
				t.Fatal(err)
			}
			if got := picked(sel); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func tagsOr(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

func TestSelectErrors(t *testing.T) {
	tests := []struct {
		name   string
		doc    string
		env    Env
		check  func(error) bool
		wantIn string
	}{
		{"lock requires-python", head + `requires-python = ">=3.13"
packages = []`, Env{}, func(err error) bool {
			var e *RequiresPythonError
			return errors.As(err, &e) && e.Index == -1
		}, "the lock file requires Python >=3.13, but the interpreter is 3.12.4"},
		{"package requires-python", head + `
[[packages]]
name = "skipped"
marker = "sys_platform == 'win32'"
requires-python = ">=99"
directory = { path = "a" }
[[packages]]
name = "foo"
requires-python = "<3.12"
directory = { path = "b" }
`, Env{}, func(err error) bool {
			var e *RequiresPythonError
			return errors.As(err, &e) && e.Index == 1 && e.Package == "foo"
		}, `package "foo" (packages[1]) requires Python <3.12, but the interpreter is 3.12.4`},
		{"environments", head + `environments = ["sys_platform == 'win32'", "sys_platform == 'darwin'"]
packages = []`, Env{}, func(err error) bool {
			var e *EnvironmentError
			return errors.As(err, &e) && len(e.Environments) == 2
		}, "matches none of the lock file's environments: sys_platform == 'win32'; sys_platform == 'darwin'"},
		{"overlapping markers", head + `
[[packages]]
name = "foo"
version = "1"
marker = "python_version >= '3.10'"
directory = { path = "a" }
[[packages]]
name = "foo"
version = "2"
marker = "sys_platform == 'linux'"
directory = { path = "b" }
`, Env{}, func(err error) bool {
			var e *ConflictError
			return errors.As(err, &e) && e.First == 0 && e.Second == 1
		}, `package "foo" is locked twice for this interpreter: packages[0] (foo==1) and packages[1] (foo==2)`},
		{"no matching wheel", head + `
[[packages]]
name = "np"
version = "2.0"
wheels = [
  { path = "np-2.0-cp311-cp311-win_amd64.whl", hashes = { sha256 = "a" } },
  { path = "np-2.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", hashes = { sha256 = "a" } },
]
`, Env{AllowSdist: true}, func(err error) bool {
			var e *NoMatchingWheelError
			return errors.As(err, &e) && e.Package == "np" && len(e.WheelTags) == 3 && len(e.Supported) == 5 && !e.HasSdist
		}, "no wheel of np 2.0 fits this interpreter: the lock's wheels are tagged cp311-cp311-win_amd64, cp311-cp311-manylinux_2_17_x86_64, cp311-cp311-manylinux2014_x86_64; the interpreter supports cp312-cp312-manylinux_2_28_x86_64, cp312-cp312-manylinux_2_17_x86_64, cp312-abi3-manylinux_2_17_x86_64, py3-none-manylinux_2_17_x86_64, cp312-none-any (and the lock has no sdist to build from)"},
		{"sdist not allowed", head + `
[[packages]]
name = "np"
sdist = { path = "np-2.0.tar.gz", hashes = { sha256 = "a" } }
wheels = [{ path = "np-2.0-cp311-cp311-win_amd64.whl", hashes = { sha256 = "a" } }]
`, Env{}, func(err error) bool {
			var e *NoMatchingWheelError
			return errors.As(err, &e) && e.HasSdist
		}, "(an sdist exists, but building from source is not allowed)"},
		{"sdist only, not allowed", head + `
[[packages]]
name = "np"
sdist = { path = "np-2.0.tar.gz", hashes = { sha256 = "a" } }
`, Env{}, func(err error) bool {
			var e *NoMatchingWheelError
			return errors.As(err, &e) && e.HasSdist
		}, "np has no wheels, only an sdist, and building from source is not allowed"},
		{"unknown extra", head + `extras = ["cli"]
packages = []`, Env{Extras: []string{"CLI", "gui"}}, func(err error) bool { return err != nil },
			`the lock file has no extra "gui" (it offers: cli)`},
		{"unknown group", head + `dependency-groups = []
default-groups = ["base"]
packages = []`, Env{DependencyGroups: []string{"base", "dev"}}, func(err error) bool { return err != nil },
			`the lock file has no dependency group "dev" (it offers: none)`},
		{"python version unknown", head + `requires-python = ">=3"
packages = []`, Env{Markers: map[string]string{}}, func(err error) bool { return err != nil },
			"python_full_version is not known"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustParse(t, tt.doc)
			env := tt.env
			if env.Markers == nil {
				env.Markers = linux312
			}
			env.Tags = parseTags(t, tags312)
			sel, err := l.Select(env)
			if err == nil {
				t.Fatalf("selected %s, want an error", picked(sel))
			}
			if !tt.check(err) {
				t.Errorf("wrong error type: %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("got  %v\nwant %s", err, tt.wantIn)
			}
		})
	}
}

func TestSelectPythonOverride(t *testing.T) {
	l := mustParse(t, head+`requires-python = ">=3.13"
packages = []`)
	// An untagged build reports "3.14.0a1+"; it must still be read.
	if _, err := l.Select(Env{Markers: linux312, PythonFullVersion: "3.14.0a1+"}); err != nil {
		t.Errorf("3.14.0a1+: %v", err)
	}
	if _, err := l.Select(Env{Markers: linux312, PythonFullVersion: "3.12.9"}); err == nil {
		t.Errorf("3.12.9 accepted for >=3.13")
	}
}
