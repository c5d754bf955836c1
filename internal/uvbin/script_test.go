package uvbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
)

const scriptPath = "../../scripts/fetch-uv.sh"

// shells returns the POSIX shells on this system to run fetch-uv.sh with.
func shells(t *testing.T) [][]string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fetch-uv.sh is a POSIX sh script")
	}
	var out [][]string
	for _, sh := range [][]string{{"sh"}, {"dash"}, {"bash", "--posix"}, {"busybox", "sh"}} {
		if p, err := exec.LookPath(sh[0]); err == nil {
			out = append(out, append([]string{p}, sh[1:]...))
		}
	}
	if len(out) == 0 {
		t.Skip("no POSIX shell found")
	}
	return out
}

// patchedScript writes a copy of fetch-uv.sh whose pin block is replaced by
// pins, so that the script's own logic can install an archive a test
// built. Everything else in the copy is the script as shipped.
func patchedScript(t *testing.T, pins []Pin) string {
	t.Helper()
	data, err := os.ReadFile(scriptPath)
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile(`(?ms)^UV_PINS='\n.*?^'$`)
	if n := len(block.FindAllIndex(data, -1)); n != 1 {
		t.Fatalf("fetch-uv.sh has %d UV_PINS blocks, want 1", n)
	}
	var b strings.Builder
	b.WriteString("UV_PINS='\n")
	for _, p := range pins {
		fmt.Fprintf(&b, "%s  %s\n", p.SHA256, p.Archive)
	}
	b.WriteString("'")
	patched := block.ReplaceAllLiteral(data, []byte(b.String()))
	p := filepath.Join(t.TempDir(), "fetch-uv.sh")
	if err := os.WriteFile(p, patched, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// toolDir makes a folder of links to just the named programs, for a PATH
// that lacks the others.
func toolDir(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			t.Skipf("%s not found", n)
		}
		if err := os.Symlink(p, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// baseTools are what fetch-uv.sh needs besides a downloader and a hasher.
var baseTools = []string{"uname", "grep", "mkdir", "mktemp", "rm", "tar", "gzip", "chmod", "mv"}

type scriptRun struct {
	code   int
	stdout string
	stderr string
}

func runScript(t *testing.T, shell []string, script, path, mirror string, args ...string) scriptRun {
	t.Helper()
	cmd := exec.Command(shell[0], append(append(shell[1:], script), args...)...)
	cmd.Env = []string{"PATH=" + path, "HOME=" + t.TempDir(), "INFLUX_PY_UV_MIRROR=" + mirror}
	var so, se strings.Builder
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatal(err)
		}
		code = ee.ExitCode()
	}
	return scriptRun{code, so.String(), se.String()}
}

// installed lists what a run left in dest.
func installed(t *testing.T, dest string) []string {
	t.Helper()
	return listTree(t, dest)
}

func TestFetchScript(t *testing.T) {
	sys := os.Getenv("PATH")
	curlOnly := toolDir(t, append(baseTools, "curl", "sha256sum")...)
	wgetOnly := toolDir(t, append(baseTools, "wget", "sha256sum")...)
	shasumOnly := toolDir(t, append(baseTools, "curl", "shasum")...)
	noHash := toolDir(t, append(baseTools, "curl", "wget")...)
	noFetch := toolDir(t, append(baseTools, "sha256sum")...)

	archive := buildTarGz(t, releaseMembers(testTarget, Version))
	pin := testPin(testTarget, archive)
	rel := newRelease(t)
	rel.put(Version, pin.Archive, archive)
	mirror := rel.URL + "/"
	real, err := filepath.Abs(scriptPath)
	if err != nil {
		t.Fatal(err)
	}

	for _, sh := range shells(t) {
		name := filepath.Base(sh[0])
		t.Run(name, func(t *testing.T) {
			patched := patchedScript(t, []Pin{pin})
			tests := []struct {
				name     string
				script   string
				path     string
				mirror   string
				args     []string // after DEST
				wantCode int
				wantErr  string // in stderr
			}{
				{"curl", patched, curlOnly, mirror, []string{testTarget}, 0, "installed uv " + Version},
				{"wget", patched, wgetOnly, mirror, []string{testTarget}, 0, "installed uv " + Version},
				{"shasum", patched, shasumOnly, mirror, []string{testTarget}, 0, "matches the pin"},
				{"system PATH", patched, sys, mirror, []string{testTarget}, 0, "installed"},
				{"wrong checksum", real, curlOnly, mirror, []string{testTarget}, 1, "SHA-256 mismatch"},
				{"404", patched, curlOnly, rel.URL + "/nothing-here", []string{testTarget}, 1, "download of " + rel.URL + "/nothing-here/" + Version + "/" + pin.Archive + " failed"},
				{"404 with wget", patched, wgetOnly, rel.URL + "/nothing-here", []string{testTarget}, 1, "failed"},
				{"no sha256 tool", patched, noHash, mirror, []string{testTarget}, 1, "neither sha256sum nor shasum"},
				{"no downloader", patched, noFetch, mirror, []string{testTarget}, 1, "neither curl nor wget"},
				{"unknown target", patched, curlOnly, mirror, []string{"sparc-sun-solaris"}, 1, "no uv " + Version + " build is pinned for target 'sparc-sun-solaris'"},
				{"target not in the (test) pins", patched, curlOnly, mirror, []string{"aarch64-apple-darwin"}, 1, "no uv"},
				{"too many arguments", patched, curlOnly, mirror, []string{testTarget, "extra"}, 2, "usage"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					dest := filepath.Join(t.TempDir(), "bin")
					r := runScript(t, sh, tt.script, tt.path, tt.mirror, append([]string{dest}, tt.args...)...)
					if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
						t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tt.wantCode, tt.wantErr)
					}
					got := installed(t, dest)
					if tt.wantCode != 0 {
						if len(got) != 0 {
							t.Errorf("a failed run left %v in %s", got, dest)
						}
						return
					}
					if strings.Join(got, " ") != "uv uvx" {
						t.Fatalf("installed %v, want uv and uvx", got)
					}
					if strings.TrimSpace(r.stdout) != filepath.Join(dest, "uv") {
						t.Errorf("stdout %q, want the path of uv", r.stdout)
					}
					out, err := exec.Command(filepath.Join(dest, "uv"), "--version").Output()
					if err != nil || !strings.HasPrefix(string(out), "uv "+Version+" ") {
						t.Errorf("installed uv --version = %q, %v", out, err)
					}
				})
			}
			t.Run("no arguments", func(t *testing.T) {
				if r := runScript(t, sh, patched, curlOnly, mirror); r.code != 2 || !strings.Contains(r.stderr, "usage") {
					t.Errorf("exit %d, stderr %q; want 2 and usage", r.code, r.stderr)
				}
			})
		})
	}
}

// TestFetchScriptDetectsTarget runs fetch-uv.sh without a target: it must
// detect the same target as HostTarget (only that archive is pinned and
// served) and check that the extracted uv reports the pinned version.
func TestFetchScriptDetectsTarget(t *testing.T) {
	host, err := HostTarget()
	if err != nil || isWindowsTarget(host) {
		t.Skipf("host target: %q, %v", host, err)
	}
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh[0]), func(t *testing.T) {
			for _, tt := range []struct {
				name     string
				version  string
				wantCode int
				wantErr  string
			}{
				{"pinned version", Version, 0, "installed"},
				{"wrong version", "0.0.1", 1, "reports 'uv 0.0.1"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					ms := releaseMembers(host, tt.version)
					archive := buildTarGz(t, ms)
					pin := testPin(host, archive)
					rel := newRelease(t)
					rel.put(Version, pin.Archive, archive)
					dest := filepath.Join(t.TempDir(), "bin")
					r := runScript(t, sh, patchedScript(t, []Pin{pin}), os.Getenv("PATH"), rel.URL, dest)
					if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantErr) {
						t.Fatalf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tt.wantCode, tt.wantErr)
					}
					if got := installed(t, dest); (tt.wantCode == 0) != (len(got) == 2) {
						t.Errorf("installed %v", got)
					}
				})
			}
		})
	}
}

// TestFetchScriptWindowsZip installs from a Windows-layout zip (the
// binaries are not run: the target is given, not detected).
func TestFetchScriptWindowsZip(t *testing.T) {
	const target = "x86_64-pc-windows-msvc"
	archive := buildZip(t, []member{{Name: "uv.exe", Body: "MZ uv"}, {Name: "uvx.exe", Body: "MZ uvx"}, {Name: "uvw.exe", Body: "MZ uvw"}})
	pin := testPin(target, archive)
	rel := newRelease(t)
	rel.put(Version, pin.Archive, archive)
	for _, sh := range shells(t) {
		t.Run(filepath.Base(sh[0]), func(t *testing.T) {
			if _, err := exec.LookPath("unzip"); err != nil {
				t.Skip("unzip not found")
			}
			dest := filepath.Join(t.TempDir(), "bin")
			r := runScript(t, sh, patchedScript(t, []Pin{pin}), os.Getenv("PATH"), rel.URL, dest, target)
			if r.code != 0 {
				t.Fatalf("exit %d:\n%s", r.code, r.stderr)
			}
			if got := strings.Join(installed(t, dest), " "); got != "uv.exe uvx.exe" {
				t.Errorf("installed %q, want uv.exe uvx.exe", got)
			}
		})
	}
}

func TestFetchScriptSyntax(t *testing.T) {
	for _, sh := range shells(t) {
		out, err := exec.Command(sh[0], append(append(sh[1:], "-n"), scriptPath)...).CombinedOutput()
		if err != nil {
			t.Errorf("%s -n fetch-uv.sh: %v\n%s", sh[0], err, out)
		}
	}
}
