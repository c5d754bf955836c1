package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/engine"
	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// TestBackendsAgree syncs one lock with pip and with a real uv and compares
// the venvs: the same distributions at the same versions, each with the same
// files of the same content (RECORD without bytecode, which pip compiles and
// uv does not), and pip present in both.
func TestBackendsAgree(t *testing.T) {
	uv := os.Getenv("INFLUX_PY_TEST_UV")
	if uv == "" {
		t.Skip("INFLUX_PY_TEST_UV is not set: no real uv to compare with pip")
	}
	if testing.Short() {
		t.Skip("creates two real venvs")
	}
	py := testPython(t)
	ctx := context.Background()
	specs := append(wheelbuild.Many(5, "1.0"), wheelbuild.Spec{
		Name: "with-data", Version: "2.1",
		Files: map[string][]byte{
			"with_data/__init__.py": []byte("X = 1\n"),
			"with_data/table.csv":   []byte("a,b\n1,2\n"),
		},
	})
	records := map[string]map[string][]string{}
	for _, backend := range []string{engine.BackendPip, engine.BackendUV} {
		dir := t.TempDir()
		pluginDir(t, dir, specs)
		opts := engine.SyncOptions{Where: engine.Where{PluginDir: dir, Python: py}, CacheDir: filepath.Join(dir, "cache"), Offline: true, Backend: backend}
		if backend == engine.BackendUV {
			opts.UV = uv
		}
		res, err := testEngine(py).Sync(ctx, opts)
		if err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		if res.Backend != backend {
			t.Fatalf("asked for %s, got %s (%s)", backend, res.Backend, res.BackendReason)
		}
		st, err := venv.Inspect(venv.NewLayout(filepath.Join(dir, ".venv"), "linux"))
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, d := range st.Dists {
			if d.Name == "pip" {
				continue // the venv's own pip: present in both, checked below
			}
			got[d.Name+"=="+d.Version] = recordLines(t, d.DistInfo)
		}
		records[backend] = got
		pipOK := false
		for _, d := range st.Dists {
			pipOK = pipOK || d.Name == "pip"
		}
		if !pipOK {
			t.Errorf("%s: no pip in the venv; the InfluxDB 3 server needs it", backend)
		}
		if c, err := testEngine(py).Check(ctx, engine.CheckOptions{Where: opts.Where, CacheDir: opts.CacheDir}); err != nil || !c.InSync {
			t.Errorf("%s: check after sync: %+v %v", backend, c, err)
		}
	}
	if len(records[engine.BackendPip]) != len(specs) {
		t.Fatalf("pip venv holds %d distributions, want %d", len(records[engine.BackendPip]), len(specs))
	}
	if !reflect.DeepEqual(records[engine.BackendPip], records[engine.BackendUV]) {
		t.Errorf("venvs differ:\npip %v\nuv  %v", records[engine.BackendPip], records[engine.BackendUV])
	}
}

// recordLines are a RECORD's entries for the package's own files, sorted:
// bytecode and installer metadata (INSTALLER, REQUESTED, direct_url.json,
// RECORD itself) differ between installers by design.
func recordLines(t *testing.T, distInfo string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(distInfo, "RECORD"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		path, _, _ := strings.Cut(line, ",")
		base := filepath.Base(path)
		if strings.Contains(path, "__pycache__") || strings.HasSuffix(path, ".pyc") ||
			base == "INSTALLER" || base == "REQUESTED" || base == "direct_url.json" || base == "RECORD" || base == "uv_cache.json" {
			continue
		}
		out = append(out, strings.TrimSpace(line))
	}
	sort.Strings(out)
	return out
}
