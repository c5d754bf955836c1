package venv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/testpy"
)

// TestRealVenvWithPip makes one venv with pip (ensurepip, offline, a few
// seconds) and checks what Installed, Inspect and ListingDigest say against
// what pip itself reports and does.
func TestRealVenvWithPip(t *testing.T) {
	if testing.Short() {
		t.Skip("creates a venv with pip")
	}
	root := filepath.Join(t.TempDir(), ".venv")
	l := makeVenv(t, root)
	st, err := Inspect(l)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Health.OK() || len(st.Health.Problems) != 0 {
		t.Fatalf("fresh venv with pip: %+v", st.Health)
	}

	// pip's own report: "pip 23.2.1 from /.../site-packages/pip (python 3.11)".
	out := strings.Fields(runPy(t, l.Pip(), "--version"))
	if len(out) < 4 || out[0] != "pip" {
		t.Fatalf("pip --version printed %q", out)
	}
	pipVersion, pipDir := out[1], out[3]
	var pip *Dist
	for i := range st.Dists {
		if st.Dists[i].Name == "pip" {
			pip = &st.Dists[i]
		}
	}
	if pip == nil {
		t.Fatalf("pip not listed: %+v", st.Dists)
	}
	if pip.Version != pipVersion || pip.DisplayName != "pip" || pip.MetadataMissing || pip.Installer != "pip" {
		t.Errorf("pip listed as %+v, pip --version says %s", *pip, pipVersion)
	}
	if filepath.Dir(pip.DistInfo) != filepath.Dir(pipDir) || filepath.Dir(pipDir) != st.SitePackages {
		t.Errorf("pip's dist-info %s is not beside %s in %s", pip.DistInfo, pipDir, st.SitePackages)
	}

	// pip list agrees on the whole set.
	var names []string
	for _, d := range st.Dists {
		names = append(names, d.DisplayName+"=="+d.Version)
	}
	list := runPy(t, l.Python(), "-m", "pip", "list", "--format=freeze", "--no-index")
	if got, want := strings.Join(names, "\n"), strings.TrimSpace(list); got != want {
		t.Errorf("Installed lists\n%s\npip list says\n%s", got, want)
	}

	site := st.SitePackages
	digest := func() string {
		t.Helper()
		d, err := ListingDigest(site)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d0 := digest()

	// Running Python, with bytecode written, changes nothing. ensurepip
	// compiled pip already, so drop some bytecode for the import to rewrite.
	pycache := filepath.Join(site, "pip", "_internal", "__pycache__")
	if err := os.RemoveAll(pycache); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(l.Python(), "-c", "import pip._internal.cli.main")
	cmd.Env = append(childEnv(), "PYTHONDONTWRITEBYTECODE=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if matches, _ := filepath.Glob(filepath.Join(pycache, "*.pyc")); len(matches) == 0 {
		t.Error("no bytecode was written; the no-op check proves nothing")
	}
	if digest() != d0 {
		t.Error("importing packages changed the listing digest")
	}

	// Remove, add back, reinstall: each is a different listing.
	wheel := filepath.Dir(testpy.PipWheel(t, "3.11"))
	runPy(t, l.Python(), "-m", "pip", "uninstall", "-y", "-q", "setuptools")
	d1 := digest()
	runPy(t, l.Python(), "-m", "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", wheel, "setuptools")
	d2 := digest()
	runPy(t, l.Python(), "-m", "pip", "install", "-q", "--no-compile", "--no-index", "--find-links", wheel, "--force-reinstall", "--no-deps", "setuptools")
	d3 := digest()
	seen := map[string]string{}
	for _, step := range []struct{ name, d string }{{"initial", d0}, {"uninstall", d1}, {"install", d2}, {"force-reinstall", d3}} {
		if prev, dup := seen[step.d]; dup {
			t.Errorf("listing digest after %s equals the one after %s", step.name, prev)
		}
		seen[step.d] = step.name
	}
}
