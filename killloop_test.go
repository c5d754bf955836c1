package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/influx-py/influx-py/internal/venv"
	"github.com/influx-py/influx-py/internal/wheelbuild"
)

// TestKillLoop SIGKILLs real runs of influx-py (a cold sync of 25 packages,
// a rebuild from Python 3.11 to 3.12, an add) at evenly spread moments
// through both backends, and requires the next plain sync to repair every
// one: exit 0, check 0, every locked package importable, pip running, the
// lock the old or the new one byte for byte, no debris. It is a long sweep,
// run on purpose by scripts/killloop.sh (INFLUX_PY_TEST_LONG=1;
// INFLUX_PY_KILLS moments per scenario, default 20), not by go test ./...
func TestKillLoop(t *testing.T) {
	if os.Getenv("INFLUX_PY_TEST_LONG") == "" {
		t.Skip("a long sweep: run scripts/killloop.sh (INFLUX_PY_TEST_LONG=1)")
	}
	kills := 20
	if n, err := strconv.Atoi(os.Getenv("INFLUX_PY_KILLS")); err == nil && n > 0 {
		kills = n
	}
	pythons := findPythons()
	py311, py312 := pythons["PY311"], pythons["PY312"]
	if py311 == "" || py312 == "" {
		t.Skipf("needs pyenv's Python 3.11 and 3.12 (found %v)", pythons)
	}
	backends := [][]string{{"pip", "INFLUX_PY_BACKEND=pip"}}
	if uv := os.Getenv("INFLUX_PY_TEST_UV"); uv != "" {
		backends = append(backends, []string{"uv", "INFLUX_PY_BACKEND=uv", "INFLUX_PY_UV=" + uv})
	} else {
		t.Log("INFLUX_PY_TEST_UV is not set: the uv backend is not killed")
	}
	many := make([]string, 0, 25)
	for _, s := range wheelbuild.Many(25, "1.0") {
		many = append(many, s.Name)
	}
	scenarios := []interruptScenario{
		{name: "cold sync", setup: func(t *testing.T, h *interruptHarness) { h.lock(t, many...) }, args: []string{"sync"}, importsOld: many},
		{name: "rebuild", setup: func(t *testing.T, h *interruptHarness) {
			h.lock(t, many...)
			h.mustRun(t, py311, "sync")
		}, args: []string{"sync"}, importsOld: many},
		{name: "add", setup: func(t *testing.T, h *interruptHarness) {
			h.lock(t, many...)
			h.mustRun(t, py312, "sync")
		}, args: []string{"add", "--offline", "--find-links", "wheels", "b"}, importsOld: many, importsNew: append([]string{"b", "c"}, many...)},
	}
	var report []string
	for _, b := range backends {
		for _, sc := range scenarios {
			name := b[0] + "/" + sc.name
			h := newInterruptHarness(t, b[1:], py312)
			if _, err := wheelbuild.WriteAll(filepath.Join(h.plugins, "wheels"), wheelbuild.Many(25, "1.0")); err != nil {
				t.Fatal(err)
			}
			sc.setup(t, h)
			h.snapshot(t)
			oldLock := h.readLock(t)
			// How long a clean run takes: the median of three.
			var runs []time.Duration
			var newLock []byte
			for range 3 {
				h.restore(t)
				start := time.Now()
				cmd := h.command(h.bin, py312, sc.args...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: the clean run failed: %v\n%s", name, err, out)
				}
				runs = append(runs, time.Since(start))
				newLock = h.readLock(t)
			}
			// The fastest of three: the moments are spread over the part
			// every run goes through (a run slowed by a busy machine only
			// sees its last steps killed less often).
			sort.Slice(runs, func(i, j int) bool { return runs[i] < runs[j] })
			d := runs[0]
			states := map[string]int{}
			repaired := 0
			for i := 1; i <= kills; i++ {
				h.restore(t)
				at := d * time.Duration(i) / time.Duration(kills+1)
				cmd := h.command(h.bin, py312, sc.args...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(at)
				cmd.Process.Signal(syscall.SIGKILL)
				err := cmd.Wait()
				state := h.stateAfterKill(oldLock, newLock, err)
				states[state]++
				what := fmt.Sprintf("%s: killed at %v of %v (%s)", name, at.Round(time.Millisecond), d.Round(time.Millisecond), state)
				h.assertRepaired(t, what, sc, oldLock, newLock, py312)
				repaired++
			}
			var seen []string
			for s, n := range states {
				seen = append(seen, fmt.Sprintf("%s %d", s, n))
			}
			sort.Strings(seen)
			line := fmt.Sprintf("%-14s clean run %6v; %d kills over %6v, %d repaired; killed in: %s", name, runs[1].Round(time.Millisecond), kills, d.Round(time.Millisecond), repaired, strings.Join(seen, ", "))
			t.Log(line)
			report = append(report, line)
		}
	}
	t.Log("summary:\n" + strings.Join(report, "\n"))
}

// stateAfterKill names what a kill left, to show the moments were spread
// over the whole run.
func (h *interruptHarness) stateAfterKill(oldLock, newLock []byte, waitErr error) string {
	if waitErr == nil {
		return "finished before the kill"
	}
	dir := filepath.Join(h.plugins, ".venv")
	l := venv.NewLayout(dir, "linux")
	if olds, _ := filepath.Glob(dir + ".old-*"); len(olds) > 0 {
		if m, ok, _ := venv.ReadMarker(l); ok {
			if _, err := os.Stat(filepath.Join(dir, "pyvenv.cfg")); m.Phase == venv.PhaseCreating && err == nil {
				return "rebuild, new venv creating (pip)"
			}
			return "rebuild, new venv " + m.Phase
		}
		return "rebuild, old venv aside"
	}
	if m, ok, _ := venv.ReadMarker(l); ok {
		if m.Phase == venv.PhaseCreating {
			if _, err := os.Stat(filepath.Join(dir, "pyvenv.cfg")); err != nil {
				return "venv creating (interpreter)"
			}
			return "venv creating (pip)"
		}
		return "venv " + m.Phase
	}
	if _, err := os.Stat(dir); err != nil {
		return "no venv yet"
	}
	if lock, _ := os.ReadFile(filepath.Join(h.plugins, "pylock.toml")); !bytes.Equal(lock, oldLock) && bytes.Equal(lock, newLock) {
		return "lock written"
	}
	if _, err := os.Stat(scratchPath(dir)); err == nil {
		return "before any change (scratch files)"
	}
	return "before any change"
}

func scratchPath(venvDir string) string { return venvDir + ".influx-py-tmp" }
