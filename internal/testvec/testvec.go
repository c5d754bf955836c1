// Package testvec finds the shared external test vectors (../shared/vectors
// beside the repository) for tests. The vectors are other projects' data and
// are never copied into this repository, so a test that needs them skips
// when they are absent.
package testvec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the vectors folder, or skips the test when it cannot be found.
// INFLUX_PY_VECTORS overrides the location.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("INFLUX_PY_VECTORS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			v := filepath.Join(d, "..", "shared", "vectors")
			if fi, err := os.Stat(v); err == nil && fi.IsDir() {
				return v
			}
			t.Skipf("shared test vectors not found at %s (set INFLUX_PY_VECTORS to their folder)", v)
		}
		if filepath.Dir(d) == d {
			t.Skip("shared test vectors not found: no go.mod above the test's directory")
		}
	}
}

// Load decodes the JSON file name (relative to the vectors folder) into v.
func Load(t testing.TB, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(t), name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}
