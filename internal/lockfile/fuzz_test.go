package lockfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that whatever it accepts
// survives Marshal and Parse unchanged, with Marshal byte-stable.
func FuzzParse(f *testing.F) {
	f.Add([]byte(head + wheelPkg))
	f.Add([]byte(head + "packages = []\n[tool.x]\na = [{b = 1}, 2]\n"))
	f.Add([]byte("lock-version = \"1.1\"\ncreated-by = \"t\"\nnew = 1\n[[packages]]\nname = \"a\"\ndirectory = { path = \".\", editable = false }\n"))
	f.Add([]byte(head + "[[packages]]\nname = \"a\"\nmarker = \"'x' in extras\"\nvcs = { type = \"git\", path = \"r\", commit-id = \"c\" }\n"))
	f.Add([]byte("lock-version = \"2\"\n"))
	f.Add([]byte("= broken"))
	// The shared vectors, when present, make a richer corpus. They are read
	// in place, never copied into the repository.
	if dir := vectorsDir(); dir != "" {
		_ = filepath.WalkDir(filepath.Join(dir, "pylock"), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".toml") {
				if data, err := os.ReadFile(p); err == nil {
					f.Add(data)
				}
			}
			return nil
		})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Parse("fuzz.toml", data)
		if err != nil {
			return
		}
		if _, err := l.Select(Env{Markers: linux312, AllowSdist: true}); err != nil {
			_ = err.Error()
		}
		checkRoundTrip(t, l)
	})
}

// vectorsDir finds the shared vectors as testvec.Dir does, but returns ""
// instead of skipping: the fuzz seeds from the vectors are optional.
func vectorsDir() string {
	if d := os.Getenv("INFLUX_PY_VECTORS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			v := filepath.Join(d, "..", "shared", "vectors")
			if fi, err := os.Stat(v); err == nil && fi.IsDir() {
				return v
			}
			return ""
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}
