package pep508

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseRequirement(t *testing.T) {
	tests := []struct {
		in, name, spec, url, marker, str string
		extras                           []string
	}{
		{in: "requests", name: "requests", str: "requests"},
		{
			in:   `Requests [socks, security,socks] ( >= 2.8.1 , == 2.8.* ) ; python_version < "3"`,
			name: "Requests", extras: []string{"security", "socks"}, spec: "==2.8.*,>=2.8.1",
			marker: `python_version < "3"`, str: `Requests[security,socks]==2.8.*,>=2.8.1; python_version < "3"`,
		},
		{
			in:   "pip @ https://example.com/pip.whl ; extra == 'Dev_Tools'",
			name: "pip", url: "https://example.com/pip.whl", marker: `extra == "dev-tools"`,
			str: `pip @ https://example.com/pip.whl ; extra == "dev-tools"`,
		},
		{in: "numpy>=1.19,<2.0,", name: "numpy", spec: "<2.0,>=1.19", str: "numpy<2.0,>=1.19"},
		{in: "  name_ \t", name: "name_", str: "name_"},
		{in: "x===Any.Thing+", name: "x", spec: "===Any.Thing+", str: "x===Any.Thing+"},
	}
	for _, tt := range tests {
		r, err := ParseRequirement(tt.in)
		if err != nil {
			t.Errorf("ParseRequirement(%q): %v", tt.in, err)
			continue
		}
		marker := ""
		if r.Marker != nil {
			marker = r.Marker.String()
		}
		if r.Name != tt.name || !slices.Equal(r.Extras, tt.extras) || r.Specifier.String() != tt.spec ||
			r.URL != tt.url || marker != tt.marker || r.String() != tt.str {
			t.Errorf("ParseRequirement(%q) = %q %q %q %q %q, str %q", tt.in, r.Name, r.Extras, r.Specifier, r.URL, marker, r.String())
		}
	}
}

func TestRequirementSyntaxError(t *testing.T) {
	tests := []struct {
		in, msg, caret string
	}{
		{"name[bar baz]", "expected comma between extra names", "         ^"},
		{"name (>= 1.0", "expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier", "    ~~~~~~~^"},
		{"name >= 1.0+local", "local version label can only be used with `==` or `!=` operators", "    ~~~~~~^"},
		{"name==1.0.*.post1", "expected comma (within version specifier), semicolon (after version specifier) or end", "~~~~~~~^"},
		{"name>=1\n", "expected comma (within version specifier), semicolon (after version specifier) or end", "~~~^"},
		{"démo", "expected package name at the start of dependency specifier", "    ^"}, // no \b between d and é
		{"demo===x,y", "", ""},
		{"name; os_name == '\\x4'", "invalid quoted string", " ~~~~~^"},
	}
	for _, tt := range tests {
		_, err := ParseRequirement(tt.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseRequirement(%q) error = %v, want *SyntaxError", tt.in, err)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 3 || !strings.HasSuffix(lines[2], tt.caret) || (tt.msg != "" && se.Msg != tt.msg) {
			t.Errorf("ParseRequirement(%q) error:\n%s\nwant message %q and caret line ending %q", tt.in, err, tt.msg, tt.caret)
		}
		if strings.ContainsAny(lines[1], "\n\r") {
			t.Errorf("input line of %q contains a raw line break", tt.in)
		}
	}
}

func TestRequirementEqual(t *testing.T) {
	a, _ := ParseRequirement("Foo.Bar[X_Y]==1.0; python_version>='3'")
	b, _ := ParseRequirement(`foo-bar [x-y] == 1.0.0 ; python_version >= "3"`)
	c, _ := ParseRequirement(`foo-bar[x-y]==1.0.0`)
	if !a.Equal(b) || a.Equal(c) {
		t.Errorf("Equal: a==b %v (want true), a==c %v (want false)", a.Equal(b), a.Equal(c))
	}
}

func TestParseMarker(t *testing.T) {
	tests := []struct{ in, want string }{
		{`python_version>='3.8'`, `python_version >= "3.8"`},
		{`((os_name == 'nt'))`, `os_name == "nt"`},
		{`a_var == "x"`, ""},
		{`os.name == 'posix' and (sys.platform == 'linux' or python_implementation == 'PyPy')`,
			`os_name == "posix" and (sys_platform == "linux" or platform_python_implementation == "PyPy")`},
		{`"Dev.Tools" in dependency_groups`, `"dev-tools" in dependency_groups`},
		{`extras == "Foo"`, `extras == "Foo"`},
		{`os_name == 'it"s'`, `os_name == 'it"s'`},
		{`os_name == "a\\b\x22'"`, `os_name == "a\\b\x22'"`},
		{`os_name == "\u00e9\n"`, `os_name == "é\n"`},
		{`os_name notin "x"`, ""},
		{`os_name == "\N{DASH}"`, ""},
	}
	for _, tt := range tests {
		m, err := ParseMarker(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseMarker(%q) = %q, want error", tt.in, m)
			}
			continue
		}
		if err != nil || m.String() != tt.want {
			t.Errorf("ParseMarker(%q) = %v, %v; want %q", tt.in, m, err, tt.want)
		}
	}
}

func TestEvaluate(t *testing.T) {
	linux := map[string]string{
		"implementation_name": "cpython", "implementation_version": "3.12.1", "os_name": "posix",
		"platform_machine": "x86_64", "platform_python_implementation": "CPython", "platform_release": "6.1.0",
		"platform_system": "Linux", "platform_version": "#1 SMP", "python_full_version": "3.12.1",
		"python_version": "3.12", "sys_platform": "linux",
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range linux {
			m[a] = b
		}
		m[k] = v
		return m
	}
	tests := []struct {
		marker string
		env    Environment
		want   bool
		err    any // nil, *UndefinedNameError or *UndefinedComparisonError
	}{
		{`python_version >= "3.8" and sys_platform == "linux"`, Environment{Vars: linux}, true, nil},
		{`python_version < "3.10" or platform_machine == "aarch64"`, Environment{Vars: linux}, false, nil},
		{`python_version == "3.12.*"`, Environment{Vars: linux}, true, nil},
		{`python_full_version < "3.12.2"`, Environment{Vars: with("python_full_version", "3.12.1+")}, true, nil},
		{`python_full_version >= "3.13"`, Environment{Vars: with("python_full_version", "3.13.0rc1")}, false, nil},
		{`python_full_version >= "3.13.0rc1"`, Environment{Vars: with("python_full_version", "3.13.0rc1")}, true, nil},
		{`"3.1" in python_version`, Environment{Vars: linux}, true, nil},
		{`os_name < "z"`, Environment{Vars: linux}, false, nil},
		{`os_name ~= "posix"`, Environment{Vars: linux}, false, &UndefinedComparisonError{}},
		{`extra == "Test_Suite"`, Environment{Vars: with("extra", "test.suite")}, true, nil},
		{`extra == "test"`, Environment{Vars: linux}, false, nil},
		{`extra == "test"`, Environment{Vars: linux, Context: ContextRequirement}, false, &UndefinedNameError{}},
		{`"Dev" in extras and "docs" not in dependency_groups`,
			Environment{Vars: linux, Extras: []string{"dev"}, DependencyGroups: []string{"Docs"}, Context: ContextLockFile}, false, nil},
		{`"dev" in extras or "test" in dependency_groups`,
			Environment{Vars: linux, DependencyGroups: []string{"test"}, Context: ContextLockFile}, true, nil},
		{`"dev" in extras`, Environment{Vars: linux}, false, &UndefinedNameError{}},
		{`extras == "dev"`, Environment{Vars: linux, Context: ContextLockFile}, false, &UndefinedComparisonError{}},
		// No short-circuit: the missing variable is reported even though
		// the left side already decides the result.
		{`os_name == "nt" and platform_release >= "5"`, Environment{Vars: map[string]string{"os_name": "posix"}}, false, &UndefinedNameError{}},
	}
	for _, tt := range tests {
		m, err := ParseMarker(tt.marker)
		if err != nil {
			t.Fatalf("ParseMarker(%q): %v", tt.marker, err)
		}
		got, err := m.Evaluate(tt.env)
		switch tt.err.(type) {
		case nil:
			if err != nil || got != tt.want {
				t.Errorf("%q = %v, %v; want %v", tt.marker, got, err, tt.want)
			}
		case *UndefinedNameError:
			var e *UndefinedNameError
			if !errors.As(err, &e) {
				t.Errorf("%q error = %v, want UndefinedNameError", tt.marker, err)
			}
		case *UndefinedComparisonError:
			var e *UndefinedComparisonError
			if !errors.As(err, &e) {
				t.Errorf("%q error = %v, want UndefinedComparisonError", tt.marker, err)
			}
		}
	}
}

func TestNilMarker(t *testing.T) {
	r, err := ParseRequirement("name>=1")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := r.Marker.Evaluate(Environment{})
	if !ok || err != nil || r.Marker.String() != "" || !r.Marker.Equal(nil) {
		t.Errorf("nil marker: Evaluate = %v, %v; String %q", ok, err, r.Marker.String())
	}
}

func TestMarkerVariablesParse(t *testing.T) {
	for _, v := range MarkerVariables() {
		if _, err := ParseMarker(v + ` == "x"`); err != nil {
			t.Errorf("standard variable %q does not parse: %v", v, err)
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		in, norm          string
		valid, normalized bool
	}{
		{"Foo.Bar__baz", "foo-bar-baz", true, false},
		{"foo-bar", "foo-bar", true, true},
		{"-foo", "-foo", false, false},
		{"a", "a", true, true},
		{"", "", false, false},
	}
	for _, tt := range tests {
		if NormalizeName(tt.in) != tt.norm || ValidName(tt.in) != tt.valid || IsNormalized(tt.in) != tt.normalized {
			t.Errorf("%q: NormalizeName %q ValidName %v IsNormalized %v", tt.in, NormalizeName(tt.in), ValidName(tt.in), IsNormalized(tt.in))
		}
	}
}
