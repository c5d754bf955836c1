package venv

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/influx-py/influx-py/internal/testvec"
)

type cfgVectors struct {
	Samples []struct {
		Name                      string            `json:"name"`
		Content                   string            `json:"content"`
		Parsed                    map[string]string `json:"parsed"`
		IncludeSystemSitePackages *bool             `json:"include_system_site_packages"`
		VersionInfo               *string           `json:"version_info"`
		Lines                     []string          `json:"lines"`
	} `json:"samples"`
	SetCases struct {
		Cases []struct {
			Input    string `json:"input"`
			Key      string `json:"key"`
			Value    string `json:"value"`
			Expected string `json:"expected"`
			Test     string `json:"test"`
		} `json:"cases"`
	} `json:"set_cases"`
	GetpathCases struct {
		Cases []struct {
			Test             string            `json:"test"`
			OS               string            `json:"os"`
			PyvenvCfgPath    string            `json:"pyvenv_cfg_path"`
			PyvenvCfgLines   []string          `json:"pyvenv_cfg_lines"`
			VenvExecutable   string            `json:"venv_executable"`
			KnownExecutables []string          `json:"known_executables"`
			Symlinks         map[string]string `json:"symlinks"`
			Expected         map[string]string `json:"expected"`
		} `json:"cases"`
	} `json:"getpath_cases"`
}

// parsedMap is the harvester's view of a pyvenv.cfg: key -> value with the
// last occurrence winning (site.py's loop). Its keys are the lowercased keys.
func parsedMap(c *Config) map[string]string {
	m := map[string]string{}
	for _, e := range c.Entries() {
		m[strings.ToLower(e.Key)] = e.Value
	}
	return m
}

func TestConfigVectors(t *testing.T) {
	var v cfgVectors
	testvec.Load(t, "pyvenv_cfg.json", &v)
	var parsed, flags, versions, lines, roundTrip int
	for _, s := range v.Samples {
		c, err := ParseConfig([]byte(s.Content))
		if err != nil {
			t.Errorf("%s: %v", s.Name, err)
			continue
		}
		if got := parsedMap(c); !reflect.DeepEqual(got, s.Parsed) {
			t.Errorf("%s: parsed %v, want %v", s.Name, got, s.Parsed)
		} else {
			parsed++
		}
		for k, want := range s.Parsed {
			if got := c.Get(k); got != want {
				t.Errorf("%s: Get(%q) = %q, want %q", s.Name, k, got, want)
			}
		}
		if s.IncludeSystemSitePackages != nil {
			if got := c.IncludeSystemSitePackages(); got != *s.IncludeSystemSitePackages {
				t.Errorf("%s: IncludeSystemSitePackages() = %v", s.Name, got)
			} else {
				flags++
			}
		}
		if s.VersionInfo != nil {
			if got := c.Version(); got != *s.VersionInfo {
				t.Errorf("%s: Version() = %q, want %q", s.Name, got, *s.VersionInfo)
			} else {
				versions++
			}
		}
		if s.Lines != nil {
			var got []string
			for _, e := range c.Entries() {
				got = append(got, e.Key+" = "+e.Value)
			}
			if len(got) != len(s.Lines) || (len(got) > 0 && !reflect.DeepEqual(got, s.Lines)) {
				t.Errorf("%s: lines %q, want %q", s.Name, got, s.Lines)
			} else {
				lines++
			}
		}
		if !bytes.Equal(c.Bytes(), []byte(s.Content)) {
			t.Errorf("%s: Bytes() changed the file", s.Name)
		} else {
			roundTrip++
		}
	}
	t.Logf("pyvenv.cfg samples: %d/%d parse as site.py does, %d/%d round-trip byte for byte, include-system-site-packages %d, version_info %d, line lists %d",
		parsed, len(v.Samples), roundTrip, len(v.Samples), flags, versions, lines)

	pass := 0
	for _, tc := range v.SetCases.Cases {
		c, err := ParseConfig([]byte(tc.Input))
		if err != nil {
			t.Fatalf("%s: %v", tc.Test, err)
		}
		if err := c.Set(tc.Key, tc.Value); err != nil {
			t.Errorf("%s: %v", tc.Test, err)
			continue
		}
		if got := string(c.Bytes()); got != tc.Expected {
			t.Errorf("%s: Set gave %q, want %q", tc.Test, got, tc.Expected)
			continue
		}
		pass++
	}
	t.Logf("pyvenv.cfg set cases: %d/%d pass", pass, len(v.SetCases.Cases))
	if len(v.Samples) == 0 || len(v.SetCases.Cases) == 0 {
		t.Error("vector file has no samples or set cases")
	}
}

// mockProbe is a file system like the mocks in CPython's test_getpath: a set
// of existing files and a symlink table.
type mockProbe struct {
	files    map[string]bool
	symlinks map[string]string
}

func (m mockProbe) IsFile(p string) bool { return m.files[p] }
func (m mockProbe) Realpath(p string) (string, error) {
	for i := 0; i < 40; i++ {
		t, ok := m.symlinks[p]
		if !ok {
			return p, nil
		}
		p = t
	}
	return "", errors.New("symlink loop")
}

func TestResolveBaseVectors(t *testing.T) {
	var v cfgVectors
	testvec.Load(t, "pyvenv_cfg.json", &v)
	pass, layoutChecks := 0, 0
	for _, tc := range v.GetpathCases.Cases {
		goos := map[string]string{"nt": "windows", "posix": "linux", "darwin": "darwin"}[tc.OS]
		if goos == "" {
			t.Errorf("%s: unknown os %q", tc.Test, tc.OS)
			continue
		}
		cfg, err := ParseConfig([]byte(strings.Join(tc.PyvenvCfgLines, "\n") + "\n"))
		if err != nil {
			t.Fatalf("%s: %v", tc.Test, err)
		}
		p := mockProbe{files: map[string]bool{}, symlinks: tc.Symlinks}
		for _, f := range tc.KnownExecutables {
			p.files[f] = true
		}
		// VERSION is 9.8 in CPython's mock.
		b, ok := ResolveBase(goos, cfg, tc.VenvExecutable, 9, 8, p)
		if !ok {
			t.Errorf("%s: no base resolved", tc.Test)
			continue
		}
		ok = true
		if want := tc.Expected["base_executable"]; want != "" && b.Executable != want {
			t.Errorf("%s: base executable %q, want %q", tc.Test, b.Executable, want)
			ok = false
		}
		for _, k := range []string{"base_prefix", "base_exec_prefix"} {
			if want := tc.Expected[k]; want != "" && b.Prefix != want {
				t.Errorf("%s: base prefix %q, want %s %q", tc.Test, b.Prefix, k, want)
				ok = false
			}
		}
		if ok {
			pass++
		}
		// Where the venv has the standard layout, Layout must name the same
		// files CPython looked at (test_venv_macos puts the interpreter beside
		// pyvenv.cfg, which is not a venv layout).
		root := pathDir(tc.PyvenvCfgPath, goos == "windows")
		l := NewLayout(root, goos)
		if l.ConfigPath() != tc.PyvenvCfgPath {
			t.Errorf("%s: layout config path %q, want %q", tc.Test, l.ConfigPath(), tc.PyvenvCfgPath)
		}
		if l.Python() == tc.VenvExecutable {
			layoutChecks++
		}
	}
	t.Logf("getpath base-interpreter cases: %d/%d pass; %d venv interpreters named by Layout", pass, len(v.GetpathCases.Cases), layoutChecks)
	if pass == 0 {
		t.Error("no getpath cases")
	}
}

func TestResolveBaseNoHome(t *testing.T) {
	cfg, _ := ParseConfig([]byte("version = 3.11.7\n"))
	if _, ok := ResolveBase("linux", cfg, "/v/bin/python", 3, 11, mockProbe{}); ok {
		t.Error("resolved a base without home")
	}
}

func TestResolveBaseFallbacks(t *testing.T) {
	cfg, _ := ParseConfig([]byte("home = /opt/py/bin\n"))
	tests := []struct {
		name  string
		files []string
		exe   string
		want  string
	}{
		{"exact name", []string{"/opt/py/bin/python", "/opt/py/bin/python3"}, "/v/bin/python", "/opt/py/bin/python"},
		{"major", []string{"/opt/py/bin/python3", "/opt/py/bin/python3.11"}, "/v/bin/python", "/opt/py/bin/python3"},
		{"major.minor", []string{"/opt/py/bin/python3.11"}, "/v/bin/python", "/opt/py/bin/python3.11"},
		{"none exists: keep the exact name", nil, "/v/bin/python", "/opt/py/bin/python"},
		{"python3 asked, only python3.11", []string{"/opt/py/bin/python3.11"}, "/v/bin/python3", "/opt/py/bin/python3.11"},
	}
	for _, tt := range tests {
		p := mockProbe{files: map[string]bool{}}
		for _, f := range tt.files {
			p.files[f] = true
		}
		b, _ := ResolveBase("linux", cfg, tt.exe, 3, 11, p)
		if b.Executable != tt.want || b.Prefix != "/opt/py" {
			t.Errorf("%s: got %+v, want %s in /opt/py", tt.name, b, tt.want)
		}
	}
	// Windows never falls back to other names.
	wcfg, _ := ParseConfig([]byte(`home = C:\Py` + "\n"))
	b, _ := ResolveBase("windows", wcfg, `C:\v\Scripts\python.exe`, 3, 11, mockProbe{})
	if b.Executable != `C:\Py\python.exe` || b.Prefix != `C:\Py` {
		t.Errorf("windows: %+v", b)
	}
}

func TestParseConfigRules(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		get     map[string]string // key -> want ("" with absent also checked via missing)
		missing []string
	}{
		{"spaces and case", "  HOME  =  /usr/bin  \nInclude-System-Site-Packages=TRUE\n",
			map[string]string{"home": "/usr/bin", "Home": "/usr/bin", "include-system-site-packages": "TRUE"}, nil},
		{"no comment syntax", "# home = /x\nhome = /y\n",
			map[string]string{"# home": "/x", "home": "/y"}, nil},
		{"lines without = ignored", "garbage line\n[section]\nhome = /y\n",
			map[string]string{"home": "/y"}, []string{"garbage line", "[section]"}},
		{"split at first =", "command = python -m venv --prompt=a=b /v\n",
			map[string]string{"command": "python -m venv --prompt=a=b /v"}, nil},
		{"empty value", "prompt =\n", map[string]string{"prompt": ""}, nil},
		{"empty key", "= v\n", map[string]string{"": "v"}, nil},
		{"CRLF", "home = /a\r\nversion = 3.12.1\r\n", map[string]string{"home": "/a", "version": "3.12.1"}, nil},
		{"bare CR (universal newlines)", "home = /a\rversion = 3.12.1\r", map[string]string{"home": "/a", "version": "3.12.1"}, nil},
		{"unicode whitespace stripped like str.strip", "home\u00a0=\u2003/a\x1f\n", map[string]string{"home": "/a"}, nil},
		{"BOM is part of the first key, as in CPython", "\ufeffhome = /a\n", nil, []string{"home"}},
		{"last duplicate wins for Get", "version = 1\nversion = 2\n", map[string]string{"version": "2"}, nil},
		{"quotes kept in raw values", "prompt = 'x y'\n", map[string]string{"prompt": "'x y'"}, nil},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for k, want := range tt.get {
			got, ok := c.Lookup(k)
			if !ok || got != want {
				t.Errorf("%s: Lookup(%q) = %q, %v; want %q", tt.name, k, got, ok, want)
			}
		}
		for _, k := range tt.missing {
			if v, ok := c.Lookup(k); ok {
				t.Errorf("%s: Lookup(%q) found %q, want absent", tt.name, k, v)
			}
		}
		if !bytes.Equal(c.Bytes(), []byte(tt.in)) {
			t.Errorf("%s: Bytes() = %q", tt.name, c.Bytes())
		}
	}
	if _, err := ParseConfig([]byte("home = \xff\n")); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestConfigAccessors(t *testing.T) {
	tests := []struct {
		name                    string
		in                      string
		home, version, exe, cmd string
		impl, prompt            string
		system                  bool
		major, minor, patch     int
		versionErr              bool
	}{
		{name: "cpython venv",
			in:   "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\nexecutable = /usr/bin/python3.11\ncommand = /usr/bin/python3 -m venv --prompt 'My prompt' /v\nprompt = 'My prompt'\n",
			home: "/usr/bin", version: "3.11.2", exe: "/usr/bin/python3.11", cmd: "/usr/bin/python3 -m venv --prompt 'My prompt' /v",
			prompt: "My prompt", major: 3, minor: 11, patch: 2},
		{name: "virtualenv",
			in:   "home = /usr/bin\nimplementation = CPython\nversion_info = 3.12.3.final.0\nvirtualenv = 20.26.2\ninclude-system-site-packages = true\nbase-prefix = /usr\nprompt = \"magic\"\n",
			home: "/usr/bin", version: "3.12.3.final.0", impl: "CPython", prompt: "magic", system: true, major: 3, minor: 12, patch: 3},
		{name: "uv minor only",
			in:   "home = /opt/bin\nimplementation = CPython\nuv = 0.7.0\nversion_info = 3.13\ninclude-system-site-packages = false\nprompt = project\n",
			home: "/opt/bin", version: "3.13", impl: "CPython", prompt: "project", major: 3, minor: 13, patch: -1},
		{name: "version preferred over version_info",
			in: "version_info = 3.12.0.final.0\nversion = 3.12.0\n", version: "3.12.0", system: true, major: 3, minor: 12, patch: 0},
		{name: "absent flag means true (site.py)", in: "home = /x\n", home: "/x", system: true, versionErr: true},
		{name: "flag compared case-insensitively", in: "include-system-site-packages = True\n", system: true, versionErr: true},
		{name: "flag other than true is false", in: "include-system-site-packages = yes\n", system: false, versionErr: true},
		{name: "mismatched quotes kept", in: "prompt = 'x\"\n", prompt: "'x\"", system: true, versionErr: true},
		{name: "prerelease patch", in: "version = 3.14.0rc1\n", version: "3.14.0rc1", system: true, major: 3, minor: 14, patch: 0},
		{name: "placeholder patch", in: "version_info = 3.12.[X]\n", version: "3.12.[X]", system: true, major: 3, minor: 12, patch: -1},
		{name: "garbage version", in: "version = three\n", version: "three", system: true, versionErr: true},
	}
	for _, tt := range tests {
		c, err := ParseConfig([]byte(tt.in))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := []string{c.Home(), c.Version(), c.Executable(), c.Command(), c.Implementation(), c.Prompt()}
		want := []string{tt.home, tt.version, tt.exe, tt.cmd, tt.impl, tt.prompt}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", tt.name, got, want)
		}
		if c.IncludeSystemSitePackages() != tt.system {
			t.Errorf("%s: IncludeSystemSitePackages() = %v", tt.name, !tt.system)
		}
		v, err := ParsePyVersion(c.Version())
		if (err != nil) != tt.versionErr {
			t.Errorf("%s: ParsePyVersion(%q) err = %v", tt.name, c.Version(), err)
		} else if err == nil && (v.Major != tt.major || v.Minor != tt.minor || v.Patch != tt.patch) {
			t.Errorf("%s: ParsePyVersion(%q) = %+v", tt.name, c.Version(), v)
		}
	}
}

func TestConfigHomeFirstWins(t *testing.T) {
	c, _ := ParseConfig([]byte("home = /first\nhome = /second\n"))
	if c.Home() != "/first" || c.Get("home") != "/second" {
		t.Errorf("Home() = %q, Get(home) = %q: getpath takes the first home, site.py the last", c.Home(), c.Get("home"))
	}
}

func TestConfigSet(t *testing.T) {
	tests := []struct {
		name, in, key, value, want string
	}{
		{"case-insensitive match keeps position", "Home = /a\nversion = 1\n", "home", "/b", "home = /b\nversion = 1\n"},
		{"later duplicates dropped", "home = /a\nx = 1\nhome = /c\n", "home", "/b", "home = /b\nx = 1\n"},
		{"CRLF file stays CRLF", "home = /a\r\nversion = 1\r\n", "prompt", "p", "home = /a\r\nversion = 1\r\nprompt = p\r\n"},
		{"missing final newline added before append", "home = /a", "version", "3", "home = /a\nversion = 3\n"},
		{"missing final newline added on replace", "home = /a", "home", "/b", "home = /b\n"},
		{"non-kv lines kept", "junk\nhome = /a\n", "home", "/b", "junk\nhome = /b\n"},
		{"quoted value written as given", "", "prompt", "'My prompt'", "prompt = 'My prompt'\n"},
	}
	for _, tt := range tests {
		c, _ := ParseConfig([]byte(tt.in))
		if err := c.Set(tt.key, tt.value); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := string(c.Bytes()); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	bad := []struct{ key, value string }{
		{"", "v"}, {" home", "v"}, {"a=b", "v"}, {"a\nb", "v"}, {"home", "a\nb"}, {"home", "a\rb"}, {"home", " padded "},
	}
	for _, b := range bad {
		c, _ := ParseConfig([]byte("home = /a\n"))
		if err := c.Set(b.key, b.value); err == nil {
			t.Errorf("Set(%q, %q) accepted", b.key, b.value)
		}
		if string(c.Bytes()) != "home = /a\n" {
			t.Errorf("refused Set(%q, %q) changed the config", b.key, b.value)
		}
	}
}

func TestReadConfigMissing(t *testing.T) {
	_, err := ReadConfig(filepath.Join(t.TempDir(), "pyvenv.cfg"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want ErrNotExist", err)
	}
}

// TestPySpaceMatchesPython checks isPySpace against the code points for
// which CPython's str.isspace() is true (listed from Python 3.11).
func TestPySpaceMatchesPython(t *testing.T) {
	want := map[rune]bool{}
	for _, r := range []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
		0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000} {
		want[r] = true
	}
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isPySpace(r) != want[r] {
			t.Errorf("isPySpace(%U) = %v", r, !want[r])
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.7\n"), "prompt", "x")
	f.Add([]byte("home=/a\r\nHOME = /b\r# c = d\rjunk"), "home", "/c")
	f.Add([]byte(""), "version", "3.9.0")
	f.Add([]byte("\ufeff = \n=\n\x1c=\x1f"), "a", "b")
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), data) {
			t.Fatalf("round trip changed %q into %q", data, c.Bytes())
		}
		c2, err := ParseConfig(c.Bytes())
		if err != nil || !reflect.DeepEqual(c2.Entries(), c.Entries()) {
			t.Fatalf("reparse differs: %v", err)
		}
		before := c.Entries()
		if err := c.Set(key, value); err != nil {
			if !bytes.Equal(c.Bytes(), data) {
				t.Fatal("failed Set changed the config")
			}
			return
		}
		out := c.Bytes()
		if len(out) == 0 || (out[len(out)-1] != '\n' && out[len(out)-1] != '\r') {
			t.Fatalf("Set output %q does not end with a line break", out)
		}
		c3, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("Set output does not parse: %v", err)
		}
		if got, ok := c3.Lookup(key); !ok || got != value {
			t.Fatalf("after Set(%q, %q): Lookup = %q, %v", key, value, got, ok)
		}
		// Every other entry survives, in order.
		var others, othersAfter []Entry
		for _, e := range before {
			if strings.ToLower(e.Key) != strings.ToLower(key) {
				others = append(others, e)
			}
		}
		for _, e := range c3.Entries() {
			if strings.ToLower(e.Key) != strings.ToLower(key) {
				othersAfter = append(othersAfter, e)
			}
		}
		if !reflect.DeepEqual(others, othersAfter) {
			t.Fatalf("Set disturbed other entries: %v -> %v", others, othersAfter)
		}
	})
}
