package engine

import (
	"reflect"
	"testing"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/lockfile"
)

func TestEnvironmentOf(t *testing.T) {
	info := &interp.Info{Markers: map[string]string{"python_version": "3.12", "sys_platform": "linux", "platform_machine": "x86_64"}}
	wheels := func(names ...string) lockfile.Package {
		p := lockfile.Package{Name: "p", Version: "1"}
		for _, n := range names {
			p.Wheels = append(p.Wheels, lockfile.File{Name: n})
		}
		return p
	}
	const (
		pure     = "a-1-py3-none-any.whl"
		universe = "a-1-py2.py3-none-any.whl"
		cp312    = "a-1-cp312-cp312-manylinux_2_17_x86_64.whl"
		cp313    = "a-1-cp313-cp313-manylinux_2_17_x86_64.whl"
		abi3     = "a-1-cp38-abi3-manylinux_2_17_x86_64.whl"
		arm      = "a-1-cp312-cp312-manylinux_2_17_aarch64.whl"
		pyAny312 = "a-1-cp312-none-any.whl"
	)
	both := `python_version == "3.12" and sys_platform == "linux" and platform_machine == "x86_64"`
	for _, tt := range []struct {
		name string
		pkgs []lockfile.Package
		want []string
	}{
		{"nothing", nil, nil},
		{"pure", []lockfile.Package{wheels(pure), wheels(universe)}, nil},
		{"platform wheel and a pure one of the same package", []lockfile.Package{wheels(cp312, pure)}, nil},
		{"one binary package", []lockfile.Package{wheels(pure), wheels(cp312)}, []string{both}},
		{"wheels for two Pythons still pin", []lockfile.Package{wheels(cp312, cp313)}, []string{both}},
		{"abi3 pins the platform only", []lockfile.Package{wheels(abi3)}, []string{`sys_platform == "linux" and platform_machine == "x86_64"`}},
		{"interpreter-specific pure wheel pins the Python only", []lockfile.Package{wheels(pyAny312)}, []string{`python_version == "3.12"`}},
		{"an sdist builds anywhere", []lockfile.Package{{Name: "p", Version: "1", Wheels: []lockfile.File{{Name: arm}}, Sdist: &lockfile.File{Name: "p-1.tar.gz"}}}, nil},
		{"archive", []lockfile.Package{{Name: "p", Archive: &lockfile.Archive{}}}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := environmentOf(tt.pkgs, info); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("environmentOf = %q, want %q", got, tt.want)
			}
		})
	}
}
