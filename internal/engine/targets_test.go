package engine

import (
	"fmt"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/interp"
	"github.com/influx-py/influx-py/internal/resolve"
)

func TestMergeTargets(t *testing.T) {
	var targets []resolve.Target
	for _, s := range []string{"3.12-linux-x86_64", "3.13-linux-x86_64", "3.13-linux-aarch64"} {
		tg, err := resolve.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		targets = append(targets, tg)
	}
	pin := func(name, version string, hashes ...string) resolve.Pin {
		return resolve.Pin{Name: name, Version: version, Hashes: hashes}
	}
	sets := [][]resolve.Pin{
		{pin("common", "1.0", "a"), pin("numpy", "1.26", "n312")},
		{pin("common", "1.0", "b"), pin("numpy", "2.1", "n313x")},
		{pin("common", "1.0", "a"), pin("numpy", "2.1", "n313a"), pin("only-arm", "1.0")},
	}
	var got []string
	for _, p := range mergeTargets(targets, sets) {
		got = append(got, fmt.Sprintf("%s %s [%s] %s", p.Name, p.Version, strings.Join(p.Hashes, ","), p.Marker))
	}
	want := []string{
		"common 1.0 [a,b] ",
		`numpy 1.26 [n312] python_version == "3.12" and sys_platform == "linux" and platform_machine == "x86_64"`,
		`numpy 2.1 [n313x,n313a] (python_version == "3.13" and sys_platform == "linux" and platform_machine == "x86_64") or (python_version == "3.13" and sys_platform == "linux" and platform_machine == "aarch64")`,
		`only-arm 1.0 [] python_version == "3.13" and sys_platform == "linux" and platform_machine == "aarch64"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestLockTargets(t *testing.T) {
	e := &Engine{}
	info := &interp.Info{Markers: map[string]string{"python_version": "3.11", "sys_platform": "linux", "platform_machine": "x86_64"}}
	got, err := e.lockTargets(LockOptions{Targets: []string{"3.13-linux-amd64", "3.11-linux-x86_64", "3.13-linux-x86_64"}, Sync: &SyncOptions{}}, Project{}, info)
	if err != nil || fmt.Sprint(got) != "[3.11-linux-x86_64 3.13-linux-x86_64]" {
		t.Errorf("targets %v %v", got, err)
	}
	if got, err := e.lockTargets(LockOptions{}, Project{Targets: []string{"3.12-linux-aarch64"}}, info); err != nil || fmt.Sprint(got) != "[3.12-linux-aarch64]" {
		t.Errorf("recorded: %v %v", got, err)
	}
	if _, err := e.lockTargets(LockOptions{Targets: []string{"3.12-linux-aarch64"}, Sync: &SyncOptions{}}, Project{}, info); err == nil || !strings.Contains(err.Error(), "this machine (3.11-linux-x86_64) is not one of the targets 3.12-linux-aarch64") {
		t.Errorf("host not a target: %v", err)
	}
	if _, err := e.lockTargets(LockOptions{Targets: []string{"3.12-linux-aarch64"}, AllowBuild: true}, Project{}, info); err == nil || !strings.Contains(err.Error(), "--allow-build cannot be used with --target") {
		t.Errorf("allow-build: %v", err)
	}
	if got, err := e.lockTargets(LockOptions{}, Project{}, info); err != nil || got != nil {
		t.Errorf("none: %v %v", got, err)
	}
}
