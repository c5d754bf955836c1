package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestRecipes runs the deployment recipes of deploy/ as far as this
// machine can: the systemd units through systemd-analyze verify, the
// Dockerfile's steps under a scratch root (its COPY lines carried out by
// the test), and the Kubernetes init containers' commands against an S3
// server on loopback.
func TestRecipes(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the recipes build influx-py and sync a venv")
	}
	t.Parallel()
	repo, _ := os.Getwd()
	var exe string       // influx-py as the Dockerfile's tools step built it
	build := t.TempDir() // the build stages' root, kept for the kubernetes subtest
	t.Run("docker", func(t *testing.T) { exe = dockerSteps(t, repo, build) })
	t.Run("systemd", func(t *testing.T) { systemdUnits(t, repo) })
	t.Run("kubernetes", func(t *testing.T) { kubernetesCommands(t, repo, exe) })
}

// systemdUnits verifies the units with the paths of their programs put
// where this machine has programs: verify refuses a unit whose commands
// do not exist, and only warns (which the test counts as failure) about
// unknown keys.
func systemdUnits(t *testing.T, repo string) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("no systemd-analyze (Debian package systemd): the units are not verified")
	}
	dir := t.TempDir()
	stub := filepath.Join(dir, "bin")
	os.MkdirAll(stub, 0o755)
	for _, n := range []string{"influx-py", "influxdb3"} {
		os.WriteFile(filepath.Join(stub, n), []byte("#!/bin/sh\nexit 0\n"), 0o755)
	}
	units, _ := filepath.Glob(filepath.Join(repo, "deploy", "systemd", "*"))
	if len(units) < 3 {
		t.Fatalf("deploy/systemd holds %v", units)
	}
	var args []string
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.NewReplacer("/usr/local/bin/influx-py", filepath.Join(stub, "influx-py"), "/usr/bin/influxdb3", filepath.Join(stub, "influxdb3")).Replace(string(data))
		if !strings.Contains(string(data), "/usr/local/bin/influx-py") && strings.HasSuffix(u, ".service") {
			t.Errorf("%s does not run /usr/local/bin/influx-py", u)
		}
		p := filepath.Join(dir, filepath.Base(u))
		os.WriteFile(p, []byte(text), 0o644)
		args = append(args, p)
	}
	out, err := exec.Command(sa, append([]string{"verify", "--man=no"}, args...)...).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	unit, _ := os.ReadFile(filepath.Join(repo, "deploy", "systemd", "influxdb3.service"))
	if !regexp.MustCompile(`(?m)^ExecStartPre=/usr/local/bin/influx-py sync`).Match(unit) || !regexp.MustCompile(`(?m)^ExecStart=/usr/bin/influxdb3 serve`).Match(unit) {
		t.Errorf("influxdb3.service does not sync before it serves:\n%s", unit)
	}
}

// dockerSteps carries out the Dockerfile: each RUN of steps.sh runs the
// script with ROOT set to a scratch root (the build stages share one, the
// final image has its own), and each COPY is done by the test. The pinned
// uv cannot be fetched here, so FETCH_UV=0 and --no-uv stand for it, and
// the plugin dir is the shipped example with its wheels given to the
// wheelhouse step by --find-links (the image's copy of the plugin dir has
// no wheels, so the final sync can only use the wheelhouse).
func dockerSteps(t *testing.T, repo, build string) string {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH: the Dockerfile's tools step cannot run")
	}
	if !hasPython3() {
		t.Skip("no python3: the final sync cannot run")
	}
	t.Log("the pinned uv release host is out of reach here: FETCH_UV=0 and --no-uv")
	final := t.TempDir()
	plugins := t.TempDir()
	copyTree(t, filepath.Join(repo, "examples", "plugins"), plugins)
	wheels := filepath.Join(t.TempDir(), "wheels")
	os.Rename(filepath.Join(plugins, "wheels"), wheels)
	os.RemoveAll(filepath.Join(plugins, ".venv"))

	df, err := os.Open(filepath.Join(repo, "deploy", "docker", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer df.Close()
	stage, ran := "", []string{}
	roots := func(s string) string {
		if s == "tools" || s == "wheelhouse" {
			return build
		}
		return final
	}
	sc := bufio.NewScanner(df)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch f[0] {
		case "FROM":
			stage = f[len(f)-1]
			if len(f) == 2 {
				stage = "final"
			}
		case "COPY":
			args := f[1:]
			from := ""
			if strings.HasPrefix(args[0], "--from=") {
				from, args = strings.TrimPrefix(args[0], "--from="), args[1:]
			}
			dst := args[len(args)-1]
			for _, src := range args[:len(args)-1] {
				var s string
				switch {
				case from == "" && src == ".":
					continue // the build stages see the repository at /src: SRC
				case from == "plugins":
					s = plugins
				case strings.HasPrefix(src, "/src/"):
					s = filepath.Join(repo, strings.TrimPrefix(src, "/src/"))
				default:
					s = filepath.Join(roots(from), src)
				}
				d := filepath.Join(roots(stage), dst)
				if strings.HasSuffix(dst, "/") {
					d = filepath.Join(d, filepath.Base(src))
				}
				if _, err := os.Stat(s); os.IsNotExist(err) && filepath.Base(src) == "uv" {
					t.Logf("COPY %s: not made here (FETCH_UV=0)", src)
					continue
				}
				copyTree(t, s, d)
			}
		case "RUN":
			if len(f) < 3 || !strings.HasSuffix(f[1], "steps.sh") {
				continue // chown and the like: the scratch root has no users
			}
			script := filepath.Join(roots(stage), f[1]) // the image's copy
			if strings.HasPrefix(f[1], "/src/") {
				script = filepath.Join(repo, strings.TrimPrefix(f[1], "/src/"))
			}
			cmd := exec.Command("sh", script, f[2])
			cmd.Env = append(os.Environ(), "ROOT="+roots(stage), "SRC="+repo, "FETCH_UV=0",
				"WHEELHOUSE_FLAGS=--no-uv --find-links "+wheels, "INFLUX_PY_CACHE_DIR="+filepath.Join(roots(stage), "cache"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("RUN steps.sh %s (stage %s): %v\n%s", f[2], stage, err, out)
			}
			t.Logf("steps.sh %s:\n%s", f[2], out)
			ran = append(ran, f[2])
		}
	}
	if strings.Join(ran, " ") != "tools wheelhouse sync" {
		t.Fatalf("the Dockerfile ran steps %v, want tools wheelhouse sync", ran)
	}
	venv := filepath.Join(final, "var", "lib", "influxdb3", "plugins", ".venv")
	if _, err := os.Stat(filepath.Join(venv, "bin", "activate")); err != nil {
		t.Errorf("the image has no venv: %v", err)
	}
	return filepath.Join(build, "out", "bin", "influx-py")
}

func hasPython3() bool {
	_, err := exec.LookPath("python3")
	return err == nil
}

// kubernetesCommands runs the sync and publish init containers' commands
// with the bucket on an S3 server on loopback, the plugin dir in a temp
// dir and influx-py built by the docker subtest (or now).
func kubernetesCommands(t *testing.T, repo, exe string) {
	if !hasPython3() {
		t.Skip("no python3: the init container's sync cannot run")
	}
	manifest, err := os.ReadFile(filepath.Join(repo, "deploy", "kubernetes", "influxdb3.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	commands := map[string][]string{}
	re := regexp.MustCompile(`(?m)^\s+- name: (\S+)\n(?:\s+image: .*\n)?\s+command: (\[.*\])$`)
	for _, m := range re.FindAllSubmatch(manifest, -1) {
		var argv []string
		if err := json.Unmarshal(m[2], &argv); err != nil {
			t.Fatalf("container %s: command is not a flow list: %v", m[1], err)
		}
		commands[string(m[1])] = argv
	}
	if commands["sync"] == nil || commands["publish"] == nil {
		t.Fatalf("the manifest has no sync and publish init containers: %v", commands)
	}

	if exe == "" {
		t.Skip("the docker subtest built no influx-py")
	}
	be := s3mem.New()
	be.CreateBucket("ops-influx")
	srv := httptest.NewServer(gofakes3.New(be).Server())
	defer srv.Close()
	dir := t.TempDir()
	env := append(os.Environ(), "AWS_ACCESS_KEY_ID=k", "AWS_SECRET_ACCESS_KEY=s", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE="+filepath.Join(dir, "aws-config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "aws-credentials"), "INFLUX_PY_NODE=influxdb3-0")
	// The lock and a wheelhouse of the example, in the bucket.
	plugins := filepath.Join(dir, "plugins")
	copyTree(t, filepath.Join(repo, "examples", "plugins"), plugins)
	os.RemoveAll(filepath.Join(plugins, ".venv"))
	house := filepath.Join(dir, "wheelhouse")
	run := func(argv ...string) string {
		t.Helper()
		cmd := exec.Command(exe, argv...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("influx-py %s: %v\n%s", strings.Join(argv, " "), err, out)
		}
		return string(out)
	}
	run("wheelhouse", "--no-uv", "--offline", "--plugin-dir", plugins, "--cache-dir", filepath.Join(dir, "build-cache"), house)
	// Straight into the server's store: the test's own process has no AWS
	// variables to sign requests with (it runs beside others).
	put := func(local, key string) {
		data, err := os.ReadFile(local)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := be.PutObject("ops-influx", "plugins/"+key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	put(filepath.Join(plugins, "pylock.toml"), "pylock.toml")
	ents, _ := os.ReadDir(house)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".whl") {
			put(filepath.Join(house, e.Name()), "wheelhouse/"+e.Name())
		}
	}
	// The pod's plugin volume holds the plugins, not their wheels.
	os.RemoveAll(filepath.Join(plugins, "wheels"))
	os.Remove(filepath.Join(plugins, "pylock.toml"))

	rewrite := func(argv []string) []string {
		var out []string
		for _, a := range argv[1:] { // argv[0] is /tools/influx-py
			a = strings.Replace(a, "s3://ops-influx/", "s3::"+srv.URL+"/ops-influx/", 1)
			if a == "/plugins" {
				a = plugins
			} else if strings.HasPrefix(a, "/plugins/") {
				a = filepath.Join(plugins, strings.TrimPrefix(a, "/plugins/"))
			}
			out = append(out, a)
		}
		return out
	}
	out := run(rewrite(commands["sync"])...)
	if !strings.Contains(out, "created") {
		t.Errorf("sync: %s", out)
	}
	out = run(rewrite(commands["publish"])...)
	if !strings.Contains(out, "published: s3::") || !strings.Contains(out, "/ops-influx/fleet/influxdb3-0.json") {
		t.Errorf("publish: %s", out)
	}
	out = run("fleet", "s3::"+srv.URL+"/ops-influx/fleet/")
	if !strings.Contains(out, "ok: all 1 nodes match") {
		t.Errorf("fleet: %s", out)
	}
}

// copyTree copies a file or a folder.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		os.MkdirAll(filepath.Dir(dst), 0o755)
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
		return
	}
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}
