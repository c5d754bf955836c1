package pep508

import (
	"errors"
	"testing"
)

func FuzzParseRequirement(f *testing.F) {
	for _, s := range []string{
		"requests",
		`requests[security, tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"`,
		"name @ file:///tmp/x.whl ; os_name == 'posix'",
		"numpy(>=1.19,<2.0,)",
		"demo===x,y",
		"x===a,>=1",
		`n; 'a"' == os_name or "b'" in extras`,
		"name[bar baz]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRequirement(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseRequirement(%q) error %v is not a *SyntaxError", s, err)
			}
			_ = se.Error()
			return
		}
		out := r.String()
		again, err := ParseRequirement(out)
		if err != nil {
			t.Fatalf("ParseRequirement(%q) ok, but its String %q does not re-parse: %v", s, out, err)
		}
		if !r.Equal(again) || again.String() != out {
			t.Fatalf("ParseRequirement(%q) = %q, re-parsed as %q", s, out, again)
		}
	})
}

func FuzzParseMarker(f *testing.F) {
	for _, s := range []string{
		`python_version >= "3.8" and (sys_platform == "linux" or os.name == 'nt')`,
		`"Foo_Bar" in extras or "dev" not in dependency_groups`,
		`extra == "Test"`,
		`platform_release ~= "5.1"`,
		`os_name == "a\\b\x22'\n"`,
		`'3' < python_version`,
	} {
		f.Add(s, "3.12.1", "posix")
	}
	f.Fuzz(func(t *testing.T, s, version, osName string) {
		m, err := ParseMarker(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseMarker(%q) error %v is not a *SyntaxError", s, err)
			}
			return
		}
		out := m.String()
		again, err := ParseMarker(out)
		if err != nil {
			t.Fatalf("ParseMarker(%q) ok, but its String %q does not re-parse: %v", s, out, err)
		}
		if !m.Equal(again) {
			t.Fatalf("ParseMarker(%q) = %q, re-parsed as %q", s, out, again)
		}
		env := Environment{Vars: map[string]string{"python_version": version, "python_full_version": version, "os_name": osName, "extra": osName}, Extras: []string{osName}}
		for _, ctx := range []Context{ContextMetadata, ContextLockFile, ContextRequirement} {
			env.Context = ctx
			got1, err1 := m.Evaluate(env)
			got2, err2 := again.Evaluate(env)
			if got1 != got2 || (err1 == nil) != (err2 == nil) {
				t.Fatalf("%q and its re-parse evaluate differently: %v/%v vs %v/%v", s, got1, err1, got2, err2)
			}
		}
	})
}
