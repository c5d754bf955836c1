package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/lockfile"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/reqs"
)

func TestDeclareOptions(t *testing.T) {
	plugins := t.TempDir()
	file := filepath.Join(plugins, "a", "requirements.txt")
	os.MkdirAll(filepath.Join(plugins, "a", "wheels"), 0o755)
	os.WriteFile(filepath.Join(plugins, "a", "cons.txt"), []byte("x<2\n"), 0o644)
	opt := func(name, value string) reqs.Option {
		return reqs.Option{Name: name, Value: value, File: file, LineNo: 1, Source: "plugin a (requirements.txt:1)", Bound: plugins}
	}
	for _, tt := range []struct {
		name       string
		opt        reqs.Option
		offline    bool
		allowBuild bool
		want       string // error substring; "" = accepted
	}{
		{"find-links inside", opt("--find-links", "wheels"), false, false, ""},
		{"find-links URL", opt("--find-links", "https://example.com/wheels/"), false, false, ""},
		{"find-links outside", opt("--find-links", "../../elsewhere"), false, false, "plugin a (requirements.txt:1): --find-links ../../elsewhere: outside the plugin dir"},
		{"find-links ftp", opt("--find-links", "ftp://x/"), false, false, "not an http(s) URL or a folder"},
		{"constraint inside", opt("--constraint", "cons.txt"), false, false, ""},
		{"constraint outside", opt("--constraint", "/etc/passwd"), false, false, "a plugin's constraints must be inside it"},
		{"index is checked later", opt("--index-url", "https://example.com/simple"), false, false, ""},
		{"only-binary", opt("--only-binary", ":all:"), false, false, ""},
		{"only-binary some, with builds", opt("--only-binary", "x"), false, true, "not applied with --allow-build"},
		{"no-index online", opt("--no-index", ""), false, false, "run with --offline"},
		{"no-index offline", opt("--no-index", ""), true, false, ""},
		{"pre", opt("--pre", ""), false, false, "name one in the specifier"},
		{"no-binary", opt("--no-binary", ":all:"), false, false, "--allow-build"},
		{"trusted-host", opt("--trusted-host", "x"), false, false, "always verifies TLS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := &Declared{}
			err := d.declare(nil, []reqs.Option{tt.opt}, tt.offline, tt.allowBuild)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}

	d := &Declared{}
	if err := d.declare(nil, []reqs.Option{opt("--find-links", "wheels"), opt("--constraint", "cons.txt")}, false, false); err != nil {
		t.Fatal(err)
	}
	if len(d.FindLinks) != 1 || d.FindLinks[0] != filepath.Join(plugins, "a", "wheels") {
		t.Errorf("find-links %q", d.FindLinks)
	}
	if strings.Join(d.Constraints, ",") != "x<2" {
		t.Errorf("constraints %q", d.Constraints)
	}
	if err := d.checkIndexes(sources{indexURL: "https://pypi.org/simple/"}); err != nil {
		t.Errorf("no index option: %v", err)
	}
	d.Indexes = []reqs.Option{opt("--extra-index-url", "https://user:pw@example.com/simple/")}
	if err := d.checkIndexes(sources{indexURL: "https://pypi.org/simple/", extra: []string{"https://example.com/simple"}}); err != nil {
		t.Errorf("the run's own index refused: %v", err)
	}
	err := d.checkIndexes(sources{indexURL: "https://pypi.org/simple/"})
	if err == nil || !strings.Contains(err.Error(), "cannot choose the index") || strings.Contains(err.Error(), "pw") {
		t.Errorf("foreign index: %v", err)
	}
}

func TestDeclareHashes(t *testing.T) {
	line := func(req, file string, hashes ...string) reqs.Line {
		r, err := pep508.ParseRequirement(req)
		if err != nil {
			t.Fatal(err)
		}
		return reqs.Line{Req: r, File: file, LineNo: 2, Source: file + ":2", Hashes: hashes}
	}
	good := strings.Repeat("a", 64)
	other := strings.Repeat("b", 64)
	d := &Declared{}
	if err := d.declare([]reqs.Line{line("Chain_A==1.0", "r.txt", "sha256:"+strings.ToUpper(good))}, nil, false, false); err != nil {
		t.Fatal(err)
	}
	if got := d.Hashes["chain-a"]; len(got) != 1 || got[0].SHA256[0] != good {
		t.Fatalf("hashes %+v", d.Hashes)
	}
	if err := (&Declared{}).declare([]reqs.Line{line("x", "r.txt", "sha512:"+strings.Repeat("c", 128))}, nil, false, false); err == nil || !strings.Contains(err.Error(), "sha256 pins only") {
		t.Errorf("sha512: %v", err)
	}
	rh := reqs.Option{Name: "--require-hashes", File: "r.txt", Source: "r.txt:1"}
	if err := (&Declared{}).declare([]reqs.Line{line("x", "r.txt")}, []reqs.Option{rh}, false, false); err == nil || !strings.Contains(err.Error(), "r.txt:2: x has no --hash") {
		t.Errorf("require-hashes: %v", err)
	}

	file := func(name, sum string) lockfile.File {
		return lockfile.File{Name: name, Hashes: map[string]string{"sha256": sum}}
	}
	lock := func() *lockfile.Lock {
		return &lockfile.Lock{Packages: []lockfile.Package{
			{Name: "chain-a", Version: "1.0", Wheels: []lockfile.File{file("chain_a-1.0-py3-none-any.whl", good), file("chain_a-1.0-cp311-cp311-linux_x86_64.whl", other)}},
			{Name: "other", Version: "1.0", Wheels: []lockfile.File{file("other-1.0-py3-none-any.whl", other)}},
		}}
	}
	l := lock()
	if err := d.applyHashes(l); err != nil {
		t.Fatal(err)
	}
	if len(l.Packages[0].Wheels) != 1 || l.Packages[0].Wheels[0].Name != "chain_a-1.0-py3-none-any.whl" || len(l.Packages[1].Wheels) != 1 {
		t.Errorf("kept %+v", l.Packages)
	}
	bad := &Declared{Hashes: map[string][]HashPin{"other": {{Source: "plugin p (requirements.txt:3)", SHA256: []string{good}}}}}
	err := bad.applyHashes(lock())
	var he *HashPinError
	if !errors.As(err, &he) {
		t.Fatalf("mismatch: %v", err)
	}
	want := "plugin p (requirements.txt:3) pins other with --hash sha256:" + good + ", but the files of other 1.0 have other-1.0-py3-none-any.whl sha256:" + other
	if err.Error() != want {
		t.Errorf("message:\n%s\nwant:\n%s", err, want)
	}
}

func TestTrace(t *testing.T) {
	d := &Declared{Origins: map[string][]Origin{
		"adtk":              {{"influxdata/stateless_adtk_detector", "requirements.txt:3"}, {"influxdata/stateless_adtk_detector", "manifest.toml:19"}},
		"pandas":            {{"a", "requirements.txt:1"}, {"b", "manifest.toml:4"}},
		"zope-interface":    {{"", "r.txt:1"}},
		"influxdata-plugin": {{"", "r.txt:2"}},
	}}
	for _, tt := range []struct {
		msg  string
		want []string
	}{
		{"ERROR: No matching distribution found for adtk", []string{"adtk: plugin influxdata/stateless_adtk_detector (requirements.txt:3, manifest.toml:19)"}},
		{"Because adtk was not found in the package registry and you require adtk, we can conclude...", []string{"adtk: plugin influxdata/stateless_adtk_detector (requirements.txt:3, manifest.toml:19)"}},
		{"Because pandas>=3 depends on numpy and adtk depends on pandas<3.", []string{"adtk: plugin influxdata/stateless_adtk_detector (requirements.txt:3, manifest.toml:19)", "pandas: plugin a (requirements.txt:1), plugin b (manifest.toml:4)"}},
		{"No matching distribution found for zope.interface", []string{"zope-interface: r.txt:1"}},
		{"not found: influxdata-plugin-utils", nil},
		{"something else entirely", nil},
	} {
		err := d.trace(errors.New(tt.msg))
		var te *TracedError
		if tt.want == nil {
			if errors.As(err, &te) {
				t.Errorf("%q traced to %q", tt.msg, te.Asked)
			}
			continue
		}
		if !errors.As(err, &te) || strings.Join(te.Asked, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%q: %v", tt.msg, err)
		}
	}
}
