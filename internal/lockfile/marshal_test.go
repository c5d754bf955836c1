package lockfile

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	toml "github.com/pelletier/go-toml/v2"
)

func ptr[T any](v T) *T { return &v }

func TestMarshalGolden(t *testing.T) {
	up := time.Date(2024, 1, 2, 3, 4, 5, 120000000, time.UTC)
	l := &Lock{
		LockVersion:      "1.0",
		Environments:     []string{"sys_platform == 'linux'"},
		RequiresPython:   ">=3.9",
		ExtrasList:       []string{},
		DependencyGroups: []string{"dev"},
		CreatedBy:        "influx-py",
		Packages: []Package{
			{
				Name: "zeta", Version: "1.0", Index: "https://pypi.org/simple",
				Sdist: &File{URL: "https://x/zeta-1.0.tar.gz", Size: ptr(int64(7)), UploadTime: &up, Hashes: map[string]string{"sha256": "aa"}},
				Wheels: []File{
					{Name: "zeta-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", URL: "https://x/zeta-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", Hashes: map[string]string{"sha256": "bb", "md5": "cc"}},
					{URL: "https://x/zeta-1.0-py3-none-any.whl", Hashes: map[string]string{"sha256": "dd"}},
				},
				Tool: map[string]any{"influx-py": map[string]any{"requested": true}},
			},
			{Name: "alpha", Version: "2.0", Marker: `python_version < "3.11"`, RequiresPython: ">=3.8",
				Dependencies: []map[string]any{{"name": "zeta", "version": "1.0"}},
				Archive:      &Archive{File: File{Path: "dist/alpha-2.0.tar.gz", Hashes: map[string]string{"sha256": "ee"}}, Subdirectory: "pkg"}},
			{Name: "alpha", Version: "10.0", Marker: `python_version >= "3.11"`, Directory: &Directory{Path: "./alpha", Editable: ptr(true)}},
			{Name: "beta", VCS: &VCS{Type: "git", URL: "https://g/beta.git", RequestedRevision: "main", CommitID: "abc"},
				AttestationIdentities: []map[string]any{{"kind": "GitHub", "repository": "o/beta"}}},
		},
		Tool: map[string]any{
			"influx-py": map[string]any{"version": "0.1", "targets": []any{map[string]any{"python": "3.12"}, map[string]any{"python": "3.13"}}},
			"other":     map[string]any{},
		},
	}
	want := `lock-version = "1.0"
environments = ["sys_platform == 'linux'"]
requires-python = ">=3.9"
extras = []
dependency-groups = ["dev"]
created-by = "influx-py"

[[packages]]
name = "alpha"
version = "2.0"
marker = "python_version < \"3.11\""
requires-python = ">=3.8"
dependencies = [
    { name = "zeta", version = "1.0" },
]
archive = { path = "dist/alpha-2.0.tar.gz", hashes = { sha256 = "ee" }, subdirectory = "pkg" }

[[packages]]
name = "alpha"
version = "10.0"
marker = "python_version >= \"3.11\""
directory = { path = "./alpha", editable = true }

[[packages]]
name = "beta"
vcs = { type = "git", url = "https://g/beta.git", requested-revision = "main", commit-id = "abc" }
attestation-identities = [
    { kind = "GitHub", repository = "o/beta" },
]

[[packages]]
name = "zeta"
version = "1.0"
index = "https://pypi.org/simple"
sdist = { upload-time = 2024-01-02T03:04:05.12Z, url = "https://x/zeta-1.0.tar.gz", size = 7, hashes = { sha256 = "aa" } }
wheels = [
    { name = "zeta-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", url = "https://x/zeta-1.0-cp312-cp312-manylinux_2_17_x86_64.whl", hashes = { md5 = "cc", sha256 = "bb" } },
    { url = "https://x/zeta-1.0-py3-none-any.whl", hashes = { sha256 = "dd" } },
]

[packages.tool.influx-py]
requested = true

[tool.influx-py]
version = "0.1"

[[tool.influx-py.targets]]
python = "3.12"

[[tool.influx-py.targets]]
python = "3.13"

[tool.other]
`
	got, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", got, want)
	}
	if l.Packages[0].Name != "zeta" {
		t.Errorf("Marshal reordered the caller's packages")
	}
	checkRoundTrip(t, l)
}

func TestMarshalValues(t *testing.T) {
	l := &Lock{
		LockVersion: "1.0", CreatedBy: "t", Packages: []Package{},
		Tool: map[string]any{"x": map[string]any{
			"float":          1.0,
			"exp":            1e300,
			"neg-zero":       math.Copysign(0, -1),
			"inf":            math.Inf(-1),
			"nan":            math.NaN(),
			"int":            int64(-3),
			"str":            "quote\" back\\ nl\n tab\t ctl\x01 del\x7f é 😀",
			"key with space": "v",
			"":               "empty key",
			"date":           toml.LocalDate{Year: 2024, Month: 2, Day: 29},
			"ltime":          toml.LocalTime{Hour: 1, Minute: 2, Second: 3, Nanosecond: 400000000, Precision: 1},
			"ldt":            toml.LocalDateTime{LocalDate: toml.LocalDate{Year: 2024, Month: 1, Day: 1}, LocalTime: toml.LocalTime{Hour: 5}},
			"offset":         time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("", 5400)),
			"mixed":          []any{int64(1), "a", []any{}, map[string]any{"k": false}},
			"empty":          []any{},
			"nested":         map[string]any{"deep": map[string]any{"x": int64(1)}},
		}},
	}
	out, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"packages = []\n", `"key with space" = "v"`, `"" = "empty key"`, `neg-zero = -0.0`,
		`str = "quote\" back\\ nl\n tab\t ctl\u0001 del\u007F é 😀"`, "[tool.x.nested.deep]\nx = 1\n", "float = 1.0\n", "offset = 2024-01-01T00:00:00+01:30\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkRoundTrip(t, l)
}

func TestMarshalErrors(t *testing.T) {
	for _, v := range []any{struct{}{}, "bad\xffutf8", uint64(math.MaxUint64)} {
		l := &Lock{LockVersion: "1.0", CreatedBy: "t", Tool: map[string]any{"x": v}}
		if _, err := l.Marshal(); err == nil {
			t.Errorf("%#v: marshalled without error", v)
		}
	}
}

func TestWriteFileAndValidate(t *testing.T) {
	l, err := Parse("in.toml", []byte(head+wheelPkg))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pylock.toml")
	if err := WriteFile(p, l); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !equalValues(l, back) {
		t.Errorf("WriteFile/ReadFile changed the lock")
	}
	if err := WriteFile(filepath.Join(p, "sub", "x.toml"), l); err == nil {
		t.Errorf("WriteFile into a non-directory succeeded")
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}

	if err := l.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	l.Packages[0].Wheels[0].Hashes = map[string]string{}
	if err := l.Validate(); err == nil || !strings.Contains(err.Error(), "no hashes") {
		t.Errorf("Validate of a wheel without hashes: %v", err)
	}
}
