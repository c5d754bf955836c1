package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/venv"
)

// TestVerdict: what sync does with the venv directory, decided from what is
// on disk alone (no Python), for every state a kill or a person can leave.
func TestVerdict(t *testing.T) {
	info := &interp.Info{FullVersion: "3.12.1", Implementation: "cpython", VersionInfo: interp.VersionInfo{Major: 3, Minor: 12, Micro: 1}}
	healthy := venv.Health{Exists: true, HasConfig: true, HomeExists: true, PythonExists: true, SitePackagesExists: true}
	creating := venv.Marker{Phase: venv.PhaseCreating}
	installing := venv.Marker{Phase: venv.PhaseInstalling}
	stamp := &venv.Stamp{}
	tests := []struct {
		name       string
		health     venv.Health
		version    venv.PyVersion
		marker     *venv.Marker
		stamp      *venv.Stamp
		want       venvAction
		wantErr    any
		wantReason string
	}{
		{name: "absent", health: venv.Health{}, want: venvCreate},
		{name: "empty dir", health: venv.Health{Exists: true, Empty: true}, want: venvCreate},
		{name: "only the creating marker", health: venv.Health{Exists: true, Empty: true}, marker: &creating, want: venvCreate},
		// Killed while python -m venv was writing: files, maybe no
		// pyvenv.cfg yet. Ours, and made again.
		{name: "killed while creating, no pyvenv.cfg yet", health: venv.Health{Exists: true, NotVenv: true}, marker: &creating, want: venvCreate, wantReason: "interrupted while creating"},
		{name: "killed while seeding pip", health: healthy, version: venv.PyVersion{Major: 3, Minor: 12}, marker: &creating, want: venvCreate},
		{name: "someone else's files", health: venv.Health{Exists: true, NotVenv: true}, wantErr: new(*NotVenvError)},
		{name: "healthy", health: healthy, version: venv.PyVersion{Major: 3, Minor: 12}, stamp: stamp, want: venvKeep},
		{name: "healthy, mid-install", health: healthy, version: venv.PyVersion{Major: 3, Minor: 12}, marker: &installing, want: venvKeep},
		{name: "another minor, ours", health: healthy, version: venv.PyVersion{Major: 3, Minor: 11}, stamp: stamp, want: venvRebuild, wantReason: "made by Python"},
		{name: "another minor, not ours", health: healthy, version: venv.PyVersion{Major: 3, Minor: 11}, wantErr: new(*VenvPythonError)},
		{name: "home gone, ours", health: venv.Health{Exists: true, HasConfig: true, PythonExists: true, SitePackagesExists: true}, version: venv.PyVersion{Major: 3, Minor: 12}, marker: &installing, want: venvRebuild, wantReason: "no longer exists"},
		{name: "home gone, not ours", health: venv.Health{Exists: true, HasConfig: true, PythonExists: true, SitePackagesExists: true}, version: venv.PyVersion{Major: 3, Minor: 12}, wantErr: new(*NotVenvError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &venvView{
				loc:   &Locations{Venv: "/p/.venv", Python: "/py/bin/python3"},
				state: &venv.State{Health: tt.health, PyVersion: tt.version, Version: tt.version.String(), Config: &venv.Config{}},
				stamp: tt.stamp,
			}
			if tt.marker != nil {
				s.installing, s.marker = true, *tt.marker
			}
			got, why, err := s.verdict(info)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err = %v, want %T", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("verdict = %v (%s), want %v", got, why, tt.want)
			}
			if tt.wantReason != "" && !strings.Contains(why, tt.wantReason) {
				t.Errorf("reason %q lacks %q", why, tt.wantReason)
			}
		})
	}
}
