package cli

import (
	"bytes"
	"testing"

	"github.com/influx-py/influx-py/internal/engine"
)

func emptyPlan() *engine.Plan {
	return &engine.Plan{Install: []engine.Want{}, Replace: []engine.Change{}, Remove: []engine.Have{}, Keep: []engine.Want{}}
}

// samplePlan has one of everything.
func samplePlan() *engine.Plan {
	return &engine.Plan{
		Install: []engine.Want{{Name: "requests", Version: "2.32.3"}, {Name: "idna", Version: "3.7"}},
		Replace: []engine.Change{
			{From: engine.Have{Name: "urllib3", Version: "1.26.0"}, To: engine.Want{Name: "urllib3", Version: "2.2.2"}, Why: "version"},
			{From: engine.Have{Name: "certifi", Version: "2024.7.4"}, To: engine.Want{Name: "certifi", Version: "2024.7.4"}, Why: "hash"},
			{From: engine.Have{Name: "six", Version: "1.16.0"}, To: engine.Want{Name: "six", Version: "1.16.0"}, Why: "unverified"},
		},
		Remove: []engine.Have{{Name: "colorama", Version: "0.4.6"}},
		Keep:   []engine.Want{{Name: "pip", Version: "24.0"}, {Name: "charset-normalizer", Version: "3.3.2"}},
	}
}

func TestPrintSync(t *testing.T) {
	tests := []struct {
		name string
		res  engine.SyncResult
		want string
	}{
		{
			name: "up to date",
			res:  engine.SyncResult{Venv: "/p/.venv", UpToDate: true, Packages: 3, PythonVersion: "3.11.7", Backend: "pip"},
			want: "up to date: /p/.venv (3 packages, python 3.11.7)\n",
		},
		{
			name: "dry run, new venv",
			res: engine.SyncResult{Venv: "/p/.venv", DryRun: true, Create: true,
				Plan: &engine.Plan{Install: []engine.Want{{Name: "requests", Version: "2.32.3"}, {Name: "idna", Version: "3.7"}}}},
			want: "would install requests 2.32.3\n" +
				"would install idna 3.7\n" +
				"dry run: /p/.venv: would create the venv\n",
		},
		{
			name: "dry run, changes",
			res:  engine.SyncResult{Venv: "/p/.venv", DryRun: true, Plan: samplePlan()},
			want: "would install requests 2.32.3\n" +
				"would install idna 3.7\n" +
				"would replace urllib3 1.26.0 -> 2.2.2 (version)\n" +
				"would replace certifi 2024.7.4 -> 2024.7.4 (hash)\n" +
				"would replace six 1.16.0 -> 1.16.0 (unverified)\n" +
				"would remove colorama 0.4.6\n" +
				"dry run: /p/.venv\n",
		},
		{
			name: "dry run, nothing to change",
			res:  engine.SyncResult{Venv: "/p/.venv", DryRun: true, Plan: emptyPlan()},
			want: "dry run: /p/.venv: nothing to change\n",
		},
		{
			name: "dry run of an up-to-date venv says up to date",
			res:  engine.SyncResult{Venv: "/p/.venv", DryRun: true, UpToDate: true, Packages: 0, PythonVersion: "3.12.1"},
			want: "up to date: /p/.venv (0 packages, python 3.12.1)\n",
		},
		{
			name: "synced, changes",
			res:  engine.SyncResult{Venv: "/p/.venv", Plan: samplePlan(), Backend: "pip", PythonVersion: "3.11.7", Packages: 7},
			want: "installed requests 2.32.3\n" +
				"installed idna 3.7\n" +
				"replaced urllib3 1.26.0 -> 2.2.2 (version)\n" +
				"replaced certifi 2024.7.4 -> 2024.7.4 (hash)\n" +
				"replaced six 1.16.0 -> 1.16.0 (unverified)\n" +
				"removed colorama 0.4.6\n" +
				"synced /p/.venv: 2 installed, 3 replaced, 1 removed, 2 unchanged (pip, python 3.11.7)\n",
		},
		{
			name: "synced, created",
			res: engine.SyncResult{Venv: "/srv/plugins/.venv", Create: true, Backend: "pip", PythonVersion: "3.13.0",
				Plan: &engine.Plan{Install: []engine.Want{{Name: "a", Version: "1.0"}}, Keep: []engine.Want{{Name: "pip", Version: "24.2"}}}},
			want: "installed a 1.0\n" +
				"synced /srv/plugins/.venv: created, 1 installed, 0 replaced, 0 removed, 1 unchanged (pip, python 3.13.0)\n",
		},
		{
			name: "synced, nothing changed after repair",
			res:  engine.SyncResult{Venv: "/p/.venv", Plan: emptyPlan(), Backend: "pip", PythonVersion: "3.11.7", Rebuild: "interpreter changed"},
			want: "synced /p/.venv: 0 installed, 0 replaced, 0 removed, 0 unchanged (pip, python 3.11.7)\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printSync(&out, &tt.res)
			if out.String() != tt.want {
				t.Errorf("printSync =\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}

func TestPrintCheck(t *testing.T) {
	tests := []struct {
		name string
		res  engine.CheckResult
		want string
	}{
		{
			name: "in sync",
			res:  engine.CheckResult{Venv: "/p/.venv", Lock: "/p/pylock.toml", InSync: true, Problems: []string{}, Plan: emptyPlan()},
			want: "ok: /p/.venv matches /p/pylock.toml\n",
		},
		{
			name: "drift",
			res:  engine.CheckResult{Venv: "/p/.venv", Lock: "/p/pylock.toml", Problems: []string{}, Plan: samplePlan()},
			want: "missing: requests 2.32.3\n" +
				"missing: idna 3.7\n" +
				"wrong version: urllib3 1.26.0 (lock: 2.2.2)\n" +
				"changed: certifi 2024.7.4 was installed from another file than the lock's\n" +
				"unverified: six 1.16.0 was not installed by influx-py\n" +
				"extra: colorama 0.4.6\n" +
				"drift: /p/.venv does not match /p/pylock.toml\n",
		},
		{
			name: "venv missing, no plan",
			res:  engine.CheckResult{Venv: "/p/.venv", Lock: "/p/pylock.toml", Problems: []string{"/p/.venv does not exist"}},
			want: "venv: /p/.venv does not exist\n" +
				"drift: /p/.venv does not match /p/pylock.toml\n",
		},
		{
			name: "problems and a plan",
			res: engine.CheckResult{Venv: "/p/.venv", Lock: "/p/pylock.toml",
				Problems: []string{"an install was interrupted", "made by Python 3.10.4"},
				Plan:     &engine.Plan{Remove: []engine.Have{{Name: "x", Version: "1"}}}},
			want: "venv: an install was interrupted\n" +
				"venv: made by Python 3.10.4\n" +
				"extra: x 1\n" +
				"drift: /p/.venv does not match /p/pylock.toml\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			printCheck(&out, &tt.res)
			if out.String() != tt.want {
				t.Errorf("printCheck =\n%s\nwant\n%s", out.String(), tt.want)
			}
		})
	}
}
