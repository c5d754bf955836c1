package reqs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCollectPlugins: a plugin folder with shared requirements, two plugins
// that conflict, two that merge, and folders that must be skipped.
func TestCollectPlugins(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "requirements.txt", "# shared by all plugins\ntinyunits>=1\n--find-links ./wheels\n")
	write(t, dir, "a/requirements.txt", "# a\nrequests==2.31.0\n")
	write(t, dir, "a/plugin_a.py", "")
	write(t, dir, "b/manifest.toml", "[plugin]\nname = \"bee\"\n\n[dependencies]\npython = [\"requests>=2.32\"]\n")
	write(t, dir, "c/requirements.txt", "numpy>=1.20\n-r ../common.txt\n")
	write(t, dir, "c/manifest.toml", "[dependencies]\npython = [\"pandas[excel]\"]\n")
	write(t, dir, "common.txt", "tinyunits<3\n")
	write(t, dir, "d/manifest.toml", "[dependencies]\npython = [\n  'NumPy<2',\n  'pandas[plot]>=2',\n]\n")
	write(t, dir, "empty/notes.md", "")
	// Never read: virtual environments, dot-folders, caches.
	write(t, dir, ".venv/requirements.txt", "broken[\n")
	write(t, dir, ".git/manifest.toml", "broken")
	write(t, dir, "venv/pyvenv.cfg", "home = /usr/bin\n")
	write(t, dir, "venv/requirements.txt", "broken[\n")
	write(t, dir, "__pycache__/requirements.txt", "broken[\n")

	c, err := CollectPlugins(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Lines {
		got = append(got, fmt.Sprintf("%s: %s [%s]", l.Source, l.Req, l.Plugin))
	}
	want := []string{
		"requirements.txt:2: tinyunits>=1 []",
		"plugin a (requirements.txt:2): requests==2.31.0 [a]",
		"plugin b (manifest.toml:5): requests>=2.32 [b]",
		"plugin c (requirements.txt:1): numpy>=1.20 [c]",
		"plugin c (../common.txt:1): tinyunits<3 [c]",
		"plugin c (manifest.toml:2): pandas[excel] [c]",
		"plugin d (manifest.toml:3): NumPy<2 [d]",
		"plugin d (manifest.toml:4): pandas[plot]>=2 [d]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := fmt.Sprint(c.Plugins); s != "[a b c d]" {
		t.Errorf("plugins %s", s)
	}
	if s := strings.Join(c.Files, " "); s != "requirements.txt a/requirements.txt b/manifest.toml c/requirements.txt common.txt c/manifest.toml d/manifest.toml" {
		t.Errorf("files %s", s)
	}
	if len(c.Options) != 1 || c.Options[0].String() != "--find-links ./wheels" || c.Options[0].Source != "requirements.txt:3" {
		t.Errorf("options %+v", c.Options)
	}

	merged, conflicts := Merge(c.Lines)
	got = nil
	for _, m := range merged {
		got = append(got, fmt.Sprintf("%s (%d)", m.Req, len(m.Sources)))
	}
	want = []string{"numpy<2,>=1.20 (2)", "pandas[excel,plot]>=2 (2)", "tinyunits<3,>=1 (2)"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("merged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(conflicts) != 1 {
		t.Fatalf("conflicts: %v", conflicts)
	}
	const msg = "conflicting requirements for requests: plugin a (requirements.txt:2) wants requests==2.31.0; plugin b (manifest.toml:5) wants requests>=2.32"
	if conflicts[0].Error() != msg {
		t.Errorf("conflict:\n%s\nwant:\n%s", conflicts[0].Error(), msg)
	}
}

// TestCollectSinglePlugin reads the example plugin folder, which is one
// plugin with its manifest at the top.
func TestCollectSinglePlugin(t *testing.T) {
	c, err := CollectPlugins("../../examples/plugins")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Lines {
		got = append(got, l.Source+": "+l.Req.String())
	}
	want := []string{
		"plugin anomaly_alert (requirements.txt:3): influx-stats>=0.3",
		"plugin anomaly_alert (requirements.txt:4): alertfmt~=1.1",
		"plugin anomaly_alert (manifest.toml:12): influx-stats>=0.3",
		"plugin anomaly_alert (manifest.toml:12): alertfmt~=1.1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	merged, conflicts := Merge(c.Lines)
	if len(conflicts) != 0 || len(merged) != 2 || merged[0].Req.String() != "alertfmt~=1.1" || merged[1].Req.String() != "influx-stats>=0.3" {
		t.Errorf("merged %v, conflicts %v", merged, conflicts)
	}
}

func TestCollectErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"plugin a (requirements.txt": {"a/requirements.txt": "ok\nbad[\n"},
		"b/manifest.toml:1":          {"b/manifest.toml": "[dependencies\n"},
		"manifest.toml:2":            {"manifest.toml": "[dependencies]\npython = 'x'\n"},
	} {
		dir := t.TempDir()
		for f, content := range files {
			write(t, dir, f, content)
		}
		_, err := CollectPlugins(dir)
		if err == nil {
			t.Errorf("%v: no error", files)
			continue
		}
		want := strings.TrimPrefix(name, "plugin a (")
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := CollectPlugins(t.TempDir() + "/missing"); err == nil {
		t.Error("missing folder accepted")
	}
	c, err := CollectPlugins(t.TempDir())
	if err != nil || len(c.Lines) != 0 {
		t.Errorf("empty folder: %+v %v", c, err)
	}
}

// TestPluginIncludesStayInside: a plugin's requirements cannot make
// influx-py read a file outside the plugin dir, nor show a line of a file
// that is not a requirements file.
func TestPluginIncludesStayInside(t *testing.T) {
	outside := t.TempDir()
	write(t, outside, "shadow", "root:$6$secret-hash:19000:0:99999:7:::\n")
	dir := t.TempDir()
	rel, _ := filepath.Rel(filepath.Join(dir, "evil"), filepath.Join(outside, "shadow"))
	write(t, dir, "evil/requirements.txt", "-r "+rel+"\n")
	_, err := CollectPlugins(dir)
	if err == nil || !strings.Contains(err.Error(), "outside the plugin dir") || strings.Contains(err.Error(), "secret") {
		t.Errorf("include outside: %v", err)
	}

	// A link inside the plugin dir that points outside is outside too.
	dir2 := t.TempDir()
	write(t, dir2, "evil/requirements.txt", "-r link.txt\n")
	if err := os.Symlink(filepath.Join(outside, "shadow"), filepath.Join(dir2, "evil", "link.txt")); err != nil {
		t.Fatal(err)
	}
	if _, err := CollectPlugins(dir2); err == nil || !strings.Contains(err.Error(), "outside the plugin dir") || strings.Contains(err.Error(), "secret") {
		t.Errorf("include through a link: %v", err)
	}

	// Inside, but not a requirements file: where, not what.
	dir3 := t.TempDir()
	write(t, dir3, "evil/requirements.txt", "-r ../.env\n")
	write(t, dir3, ".env", "TOKEN=secret-token\n")
	_, err = CollectPlugins(dir3)
	if err == nil || !strings.Contains(err.Error(), ".env:1: not a requirement (the line is not shown") || strings.Contains(err.Error(), "secret") {
		t.Errorf("include of a non-requirements file: %v", err)
	}
}

// TestCollectNested: plugins at any depth (the official repository's
// <org>/<plugin>/ layout), linked folders read once, plugins' dependencies
// on other plugins reported.
func TestCollectNested(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "influxdata/notifier/manifest.toml", "manifest_schema_version = \"1.2\"\n[plugin]\nname = \"notifier\"\n\n[dependencies]\ndatabase_version = \">=3.0.0\"\npython = [\"httpx\", \"twilio\"]\n")
	write(t, dir, "influxdata/notifier/requirements.txt", "httpx\ntwilio")
	write(t, dir, "influxdata/mad_check/manifest.toml", `manifest_schema_version = "1.3"
[plugin]
name = "mad_check"

[dependencies]
python = ["requests"]

[[dependencies.plugins]]
index_url = "https://example.com/index.json"
name = "notifier"
version = ">=1.0.0,<2.0.0"
`)
	write(t, dir, "someone/wal_plugin/stats_metrics/requirements.txt", "redis\n")
	write(t, dir, "a/b/c/d/e/f/g/requirements.txt", "too-deep\n")
	write(t, dir, "influxdata/notifier/.venv/requirements.txt", "broken[\n")
	write(t, dir, "node_modules/x/requirements.txt", "broken[\n")
	write(t, dir, "test/requirements.txt", "pytest\n")
	write(t, dir, "influxdata/notifier/tests/requirements.txt", "pytest-mock\n")
	write(t, dir, "influxdata/tests/manifest.toml", "[dependencies]\npython = [\"a-plugin-named-tests\"]\n")
	// A link into the tree is read once; a link to a folder elsewhere is
	// read, with its includes kept inside that folder.
	if err := os.Symlink(filepath.Join(dir, "influxdata"), filepath.Join(dir, "again")); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	write(t, elsewhere, "requirements.txt", "-r more.txt\n")
	write(t, elsewhere, "more.txt", "linked-req\n")
	if err := os.Symlink(elsewhere, filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}

	c, err := CollectPlugins(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range c.Lines {
		got = append(got, l.Source+": "+l.Req.String())
	}
	want := []string{
		"plugin influxdata/mad_check (manifest.toml:6): requests",
		"plugin influxdata/notifier (requirements.txt:1): httpx",
		"plugin influxdata/notifier (requirements.txt:2): twilio",
		"plugin influxdata/notifier (manifest.toml:7): httpx",
		"plugin influxdata/notifier (manifest.toml:7): twilio",
		"plugin influxdata/tests (manifest.toml:2): a-plugin-named-tests",
		"plugin someone/wal_plugin/stats_metrics (requirements.txt:1): redis",
		"plugin linked (more.txt:1): linked-req",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(c.Needs) != 1 || fmt.Sprintf("%+v", c.Needs[0]) != "{Plugin:influxdata/mad_check Name:notifier Version:>=1.0.0,<2.0.0 Source:plugin influxdata/mad_check (manifest.toml:8)}" {
		t.Errorf("needs %+v", c.Needs)
	}
	if c.Searched < 10 {
		t.Errorf("searched %d folders", c.Searched)
	}
}
