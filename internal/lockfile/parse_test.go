package lockfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const head = `lock-version = "1.0"
created-by = "test"
`

const wheelPkg = `
[[packages]]
name = "foo"
version = "1.0"
wheels = [{ url = "https://example.com/foo-1.0-py3-none-any.whl", hashes = { sha256 = "aa" } }]
`

func TestParseValid(t *testing.T) {
	doc := `lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
extras = ["cli"]
dependency-groups = ["dev"]
default-groups = ["default"]
created-by = "test"

[[packages]]
name = "foo"
version = "1.0"
marker = "'cli' in extras"
requires-python = ">=3.8"
dependencies = [{ name = "bar" }]
index = "https://pypi.org/simple"
sdist = { name = "foo-1.0.tar.gz", url = "https://example.com/foo-1.0.tar.gz", size = 10, upload-time = 2024-01-02T03:04:05.5Z, hashes = { sha256 = "aa", md5 = "bb" } }
[[packages.wheels]]
url = "https://example.com/x/Foo-1.0.0-py3-none-any.whl?x=1#frag"
hashes = { sha256 = "cc" }
[[packages.attestation-identities]]
kind = "GitHub"
repository = "o/r"

[[packages]]
name = "bar"
directory = { path = "./bar", editable = true, subdirectory = "src" }

[[packages]]
name = "baz"
vcs = { type = "git", url = "https://example.com/baz.git", commit-id = "abc" }

[[packages]]
name = "qux"
archive = { path = "../qux.tar.gz", hashes = { sha256 = "dd" }, subdirectory = "sub" }

[tool.test]
x = 1
`
	l, err := Parse("pylock.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Warnings) != 0 {
		t.Errorf("warnings: %q", l.Warnings)
	}
	if l.LockVersion != "1.0" || l.CreatedBy != "test" || l.RequiresPython != ">=3.9" ||
		len(l.Environments) != 1 || l.ExtrasList[0] != "cli" || l.DependencyGroups[0] != "dev" || l.DefaultGroups[0] != "default" {
		t.Errorf("lock fields: %+v", l)
	}
	if len(l.Packages) != 4 {
		t.Fatalf("%d packages", len(l.Packages))
	}
	foo := l.Packages[0]
	if foo.Sdist == nil || *foo.Sdist.Size != 10 || foo.Sdist.Hashes["md5"] != "bb" ||
		!foo.Sdist.UploadTime.Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Errorf("sdist: %+v", foo.Sdist)
	}
	if got := foo.Wheels[0].Filename(); got != "Foo-1.0.0-py3-none-any.whl" {
		t.Errorf("wheel filename from url: %q", got)
	}
	if foo.AttestationIdentities[0]["repository"] != "o/r" || foo.Dependencies[0]["name"] != "bar" {
		t.Errorf("attestation or dependencies: %+v", foo)
	}
	if d := l.Packages[1].Directory; d == nil || !*d.Editable || d.Subdirectory != "src" {
		t.Errorf("directory: %+v", d)
	}
	if v := l.Packages[2].VCS; v == nil || v.CommitID != "abc" {
		t.Errorf("vcs: %+v", v)
	}
	if a := l.Packages[3].Archive; a == nil || a.Subdirectory != "sub" || a.Path != "../qux.tar.gz" {
		t.Errorf("archive: %+v", a)
	}
	if l.Tool["test"].(map[string]any)["x"] != int64(1) {
		t.Errorf("tool: %v", l.Tool)
	}
}

func TestParseSyntaxError(t *testing.T) {
	_, err := Parse("dir/pylock.toml", []byte("lock-version = \"1.0\"\ncreated-by = \n"))
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("got %T %v", err, err)
	}
	if se.Line != 2 || se.Column == 0 || !strings.HasPrefix(err.Error(), "dir/pylock.toml:2:") {
		t.Errorf("position: %v (line %d col %d)", err, se.Line, se.Column)
	}
	_, err = Parse("p.toml", []byte("a = 1\na = 2\n"))
	if !errors.As(err, &se) {
		t.Fatalf("duplicate key: got %T %v", err, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []string // substrings, one per expected error, in order
	}{
		{"missing everything", `x = 1`, []string{
			"lock-version: missing", "created-by: missing", "packages: missing"}},
		{"lock-version type", `lock-version = 1.0
created-by = "t"
packages = []`, []string{"lock-version: expected a string, got float"}},
		{"lock-version major 2 stops there", `lock-version = "2.0"
created-by = 3`, []string{`unsupported lock-version "2.0"`}},
		{"lock-version below 1", head[len(`lock-version = "1.0"`):] + `lock-version = "0.9"`, []string{`unsupported lock-version "0.9"`}},
		{"lock-version invalid", `lock-version = "1.x"
created-by = "t"
packages = []`, []string{"lock-version: "}},
		{"no hashes", head + `
[[packages]]
name = "foo"
wheels = [{ path = "foo-1.0-py3-none-any.whl", hashes = {} }]
`, []string{`pylock.toml: package "foo" (packages[0]): wheels[0].hashes: no hashes`}},
		{"hashes missing and bad value", head + `
[[packages]]
name = "foo"
sdist = { path = "foo-1.0.tar.gz" }
[[packages.wheels]]
path = "foo-1.0-py3-none-any.whl"
hashes = { sha256 = 1 }
`, []string{"sdist.hashes: missing", "wheels[0].hashes.sha256: expected a string, got integer"}},
		{"no url or path", head + `
[[packages]]
name = "foo"
archive = { hashes = { sha256 = "a" } }
`, []string{"archive: one of url and path is required"}},
		{"two sources", head + `
[[packages]]
name = "foo"
archive = { path = "x.tar.gz", hashes = { sha256 = "a" } }
wheels = [{ path = "foo-1.0-py3-none-any.whl", hashes = { sha256 = "a" } }]
`, []string{"has both archive and wheels"}},
		{"two direct sources", head + `
[[packages]]
name = "foo"
directory = { path = "." }
vcs = { type = "git", url = "u", commit-id = "c" }
`, []string{"has vcs, directory"}},
		{"no source", head + `
[[packages]]
name = "foo"
wheels = []
`, []string{"no source"}},
		{"name not normalized", head + `
[[packages]]
name = "Foo_Bar"
directory = { path = "." }
`, []string{`name "Foo_Bar" is not normalized (want "foo-bar")`}},
		{"invalid name", head + `
[[packages]]
name = "-foo"
directory = { path = "." }
`, []string{`invalid name "-foo"`}},
		{"wheel of another package", head + `
[[packages]]
name = "foo"
version = "2.0"
wheels = [{ path = "dist/bar-1.0-py3-none-any.whl", hashes = { sha256 = "a" } }]
`, []string{`wheels[0]: file "bar-1.0-py3-none-any.whl" is for package "bar", not "foo"`,
			`wheels[0]: file "bar-1.0-py3-none-any.whl" has version 1.0, not the package's 2.0`}},
		{"bad wheel name", head + `
[[packages]]
name = "foo"
wheels = [{ path = "foo-1.0.whl", hashes = { sha256 = "a" } }]
`, []string{`invalid wheel filename "foo-1.0.whl"`}},
		{"bad sdist name", head + `
[[packages]]
name = "foo"
sdist = { name = "foo.tar.gz", url = "u", hashes = { sha256 = "a" } }
`, []string{`sdist: invalid sdist filename "foo.tar.gz"`}},
		{"sdist version", head + `
[[packages]]
name = "foo"
version = "1.1"
sdist = { path = "foo-1.0.tar.gz", hashes = { sha256 = "a" } }
`, []string{`package "foo==1.1" (packages[0]): sdist: file "foo-1.0.tar.gz" has version 1.0`}},
		{"bad marker, specifiers, version", head + `
requires-python = ">=3.x"
environments = ["os_name =="]
[[packages]]
name = "foo"
version = "1.0-foo"
marker = "python_version >"
requires-python = "~=3"
directory = { path = "." }
`, []string{"environments[0]: ", "requires-python: ", "(packages[0]): version: ", "marker: ", "requires-python: "}},
		{"types", head + `
extras = "x"
dependency-groups = [1]
[[packages]]
name = "foo"
index = 1
dependencies = ["bar"]
directory = { path = ".", editable = "yes" }
attestation-identities = [{ repo = "x" }, { kind = 1 }]
tool = 1
`, []string{"extras: expected an array of strings, got string", "dependency-groups[0]: expected a string, got integer",
			"dependencies[0]: expected a table, got string", "index: expected a string, got integer",
			"directory.editable: expected a boolean, got string",
			"attestation-identities[0].kind: missing", "attestation-identities[1].kind: expected a string, got integer",
			"tool: expected a table, got integer"}},
		{"extras normalized", head + `extras = ["ok", "Not_OK"]
packages = []`, []string{`extras[1]: name "Not_OK" is not normalized`}},
		{"size and time", head + `
[[packages]]
name = "foo"
wheels = [
  { path = "foo-1.0-py3-none-any.whl", size = true, hashes = { sha256 = "a" } },
  { path = "foo-1.0-py2-none-any.whl", size = -1, upload-time = 2024-01-01T00:00:00+01:00, hashes = { sha256 = "a" } },
  { path = "foo-1.0-py1-none-any.whl", upload-time = 2024-01-01, hashes = { sha256 = "a" } },
]
`, []string{"wheels[0].size: expected an integer, got boolean", "wheels[1].upload-time: 2024-01-01T00:00:00+01:00 is not in UTC",
			"wheels[1].size: negative size -1", "wheels[2].upload-time: expected a datetime, got local date"}},
		{"vcs", head + `
[[packages]]
name = "foo"
vcs = { type = "cvs", subdirectory = "/abs" }
`, []string{"vcs.commit-id: missing", `vcs.subdirectory: "/abs" is not a relative path`,
			"vcs: one of url and path is required", "vcs.type: unknown version control system"}},
		{"package not a table", head + `packages = ["foo"]`, []string{"packages[0]: expected a table, got string"}},
		{"duplicates", head + `
[[packages]]
name = "foo"
version = "1.0"
directory = { path = "a" }
[[packages]]
name = "foo"
version = "2.0"
directory = { path = "b" }
[[packages]]
name = "bar"
marker = "sys_platform == 'linux'"
directory = { path = "c" }
[[packages]]
name = "bar"
marker = "sys_platform=='linux'"
directory = { path = "d" }
[[packages]]
name = "baz"
marker = "sys_platform == 'linux'"
directory = { path = "e" }
[[packages]]
name = "baz"
directory = { path = "f" }
[[packages]]
name = "ok"
marker = "sys_platform == 'linux'"
directory = { path = "g" }
[[packages]]
name = "ok"
marker = "sys_platform != 'linux'"
directory = { path = "h" }
`, []string{
			`package "foo==2.0" (packages[1]): conflicts with packages[0] (foo==1.0): both would be installed (neither has a marker)`,
			`packages[3]): conflicts with packages[2] (bar): both would be installed (both have the marker`,
			`packages[5]): conflicts with packages[4] (baz): both would be installed (one of them has no marker)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse("pylock.toml", []byte(tt.doc))
			if l != nil {
				t.Errorf("got a lock with errors")
			}
			var ves ValidationErrors
			if !errors.As(err, &ves) {
				t.Fatalf("got %T %v, want ValidationErrors", err, err)
			}
			if len(ves) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(ves), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.Contains(ves[i].Error(), w) {
					t.Errorf("error %d: got %q, want it to contain %q", i, ves[i].Error(), w)
				}
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve != ves[0] {
				t.Errorf("errors.As does not find the first *ValidationError")
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	doc := `lock-version = "1.1"
created-by = "t"
future = { a = 1 }

[[packages]]
name = "foo"
new-key = "x"
wheels = [{ path = "foo-1.0-py3-none-any.whl", hashes = { md5 = "a" }, extra = 1 }]
`
	l, err := Parse("pylock.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"lock-version: lock-version 1.1 is newer than the supported 1.0",
		"wheels[0].hashes: no sha256 hash (only md5)",
		"wheels[0].extra: unknown key",
		`package "foo" (packages[0]): new-key: unknown key`,
		"pylock.toml: future: unknown key",
	}
	if len(l.Warnings) != len(want) {
		t.Fatalf("warnings: %q", l.Warnings)
	}
	for i, w := range want {
		if !strings.Contains(l.Warnings[i], w) {
			t.Errorf("warning %d: got %q, want %q", i, l.Warnings[i], w)
		}
	}
	if l.Unknown["future"] == nil || l.Packages[0].Unknown["new-key"] != "x" || l.Packages[0].Wheels[0].Unknown["extra"] != int64(1) {
		t.Errorf("unknown keys not kept: %+v", l)
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pylock.toml")
	if err := os.WriteFile(p, []byte(head+wheelPkg), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := ReadFile(p)
	if err != nil || len(l.Packages) != 1 {
		t.Fatalf("ReadFile: %v %v", l, err)
	}
	if err := os.WriteFile(p, []byte(head), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(p); err == nil || !strings.HasPrefix(err.Error(), p+": packages: missing") {
		t.Errorf("ReadFile error should name the path: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "absent.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFilename(t *testing.T) {
	tests := []struct {
		f    File
		want string
	}{
		{File{Name: "a.whl", Path: "b.whl"}, "a.whl"},
		{File{Path: `dist\win\x-1.0.tar.gz`}, "x-1.0.tar.gz"},
		{File{Path: "x-1.0.tar.gz"}, "x-1.0.tar.gz"},
		{File{URL: "https://h/p/a%2Bb-1.0.tar.gz?q=1#sha256=x"}, "a+b-1.0.tar.gz"},
		{File{URL: "http://[LOCALHOST]/files/a-1.0.0-py3-none-any.whl"}, "a-1.0.0-py3-none-any.whl"},
		{File{}, ""},
	}
	for _, tt := range tests {
		if got := tt.f.Filename(); got != tt.want {
			t.Errorf("%+v: got %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestDigest(t *testing.T) {
	if got := Digest([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Digest(abc) = %s", got)
	}
}
