package engine

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fakeFS describes a machine: the files and directories that exist, and
// what PATH holds.
type fakeFS struct {
	files map[string]bool // path -> is dir
	path  map[string]string
}

type fakeFileInfo struct {
	name string
	dir  bool
}

func (f fakeFileInfo) Name() string       { return f.name }
func (f fakeFileInfo) Size() int64        { return 0 }
func (f fakeFileInfo) Mode() fs.FileMode  { return 0o755 }
func (f fakeFileInfo) ModTime() time.Time { return time.Time{} }
func (f fakeFileInfo) IsDir() bool        { return f.dir }
func (f fakeFileInfo) Sys() any           { return nil }

func (m fakeFS) system() System {
	return System{
		Getwd: func() (string, error) { return "/work/plugins", nil },
		LookPath: func(name string) (string, error) {
			if p, ok := m.path[name]; ok {
				return p, nil
			}
			return "", errors.New("not found")
		},
		Stat: func(p string) (os.FileInfo, error) {
			if dir, ok := m.files[p]; ok {
				return fakeFileInfo{name: filepath.Base(p), dir: dir}, nil
			}
			return nil, fs.ErrNotExist
		},
		GOOS: "linux",
	}
}

func TestLocate(t *testing.T) {
	base := map[string]bool{"/work/plugins": true, "/srv/plugins": true}
	with := func(extra map[string]bool) map[string]bool {
		m := map[string]bool{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name    string
		where   Where
		fs      fakeFS
		want    Locations
		wantErr string
	}{
		{
			name: "defaults: cwd, .venv, pylock.toml, python3 on PATH",
			fs:   fakeFS{files: base, path: map[string]string{"python3": "/usr/bin/python3"}},
			want: Locations{PluginDir: "/work/plugins", Venv: "/work/plugins/.venv", Lock: "/work/plugins/pylock.toml", Python: "/usr/bin/python3", PythonFrom: "python3 on PATH"},
		},
		{
			name:  "explicit everything",
			where: Where{PluginDir: "/srv/plugins", Venv: "/srv/venv", Lock: "/srv/lock.toml", Python: "/opt/py/bin/python3"},
			fs:    fakeFS{files: with(map[string]bool{"/opt/py/bin/python3": false}), path: map[string]string{"python3": "/usr/bin/python3"}},
			want:  Locations{PluginDir: "/srv/plugins", Venv: "/srv/venv", Lock: "/srv/lock.toml", Python: "/opt/py/bin/python3", PythonFrom: "--python"},
		},
		{
			name: "bundled beside influxdb3 wins over PATH",
			fs: fakeFS{
				files: with(map[string]bool{"/opt/influxdb3/python/bin/python3": false, "/usr/lib/influxdb3/python/bin/python3": false}),
				path:  map[string]string{"influxdb3": "/opt/influxdb3/influxdb3", "python3": "/usr/bin/python3"},
			},
			want: Locations{PluginDir: "/work/plugins", Venv: "/work/plugins/.venv", Lock: "/work/plugins/pylock.toml", Python: "/opt/influxdb3/python/bin/python3", PythonFrom: "bundled with /opt/influxdb3/influxdb3"},
		},
		{
			name: "packaged interpreter in /usr/lib/influxdb3",
			fs: fakeFS{
				files: with(map[string]bool{"/usr/lib/influxdb3/python/bin/python3": false}),
				path:  map[string]string{"influxdb3": "/usr/bin/influxdb3", "python3": "/usr/bin/python3"},
			},
			want: Locations{PluginDir: "/work/plugins", Venv: "/work/plugins/.venv", Lock: "/work/plugins/pylock.toml", Python: "/usr/lib/influxdb3/python/bin/python3", PythonFrom: "bundled with the influxdb3 package"},
		},
		{
			name:  "bare --python is looked up on PATH",
			where: Where{Python: "python3.12"},
			fs:    fakeFS{files: base, path: map[string]string{"python3.12": "/usr/local/bin/python3.12"}},
			want:  Locations{PluginDir: "/work/plugins", Venv: "/work/plugins/.venv", Lock: "/work/plugins/pylock.toml", Python: "/usr/local/bin/python3.12", PythonFrom: "--python"},
		},
		{
			name:    "missing plugin dir",
			where:   Where{PluginDir: "/nope"},
			fs:      fakeFS{files: base},
			wantErr: "plugin dir /nope: plugin directory does not exist",
		},
		{
			name:    "missing --python",
			where:   Where{Python: "/opt/none/python3"},
			fs:      fakeFS{files: base},
			wantErr: "python /opt/none/python3: no Python interpreter found (looked for /opt/none/python3)",
		},
		{
			name:    "nothing anywhere",
			fs:      fakeFS{files: base},
			wantErr: "no Python interpreter found (looked for /usr/lib/influxdb3/python/bin/python3 or python3 on PATH)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Locate(tt.where, tt.fs.system())
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}
