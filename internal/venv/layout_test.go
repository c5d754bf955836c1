package venv

import (
	"reflect"
	"testing"
)

func TestLayoutPaths(t *testing.T) {
	type want struct {
		root, cfg, bin, python, pip, site, activate, stamp string
		scripts                                            []string
	}
	tests := []struct {
		name string
		l    Layout
		want want
	}{
		{"posix", PosixLayout("/plugins/.venv"), want{
			root: "/plugins/.venv", cfg: "/plugins/.venv/pyvenv.cfg", bin: "/plugins/.venv/bin",
			python: "/plugins/.venv/bin/python", pip: "/plugins/.venv/bin/pip",
			site:     "/plugins/.venv/lib/python3.13/site-packages",
			activate: "/plugins/.venv/bin/activate", stamp: "/plugins/.venv/influx-py.json",
			scripts: []string{"/plugins/.venv/bin/activate", "/plugins/.venv/bin/activate.csh",
				"/plugins/.venv/bin/activate.fish", "/plugins/.venv/bin/Activate.ps1"},
		}},
		{"posix trailing slashes", PosixLayout("/plugins/.venv//"), want{
			root: "/plugins/.venv", cfg: "/plugins/.venv/pyvenv.cfg", bin: "/plugins/.venv/bin",
			python: "/plugins/.venv/bin/python", pip: "/plugins/.venv/bin/pip",
			site:     "/plugins/.venv/lib/python3.13/site-packages",
			activate: "/plugins/.venv/bin/activate", stamp: "/plugins/.venv/influx-py.json",
			scripts: []string{"/plugins/.venv/bin/activate", "/plugins/.venv/bin/activate.csh",
				"/plugins/.venv/bin/activate.fish", "/plugins/.venv/bin/Activate.ps1"},
		}},
		{"posix relative", NewLayout(".venv", "linux"), want{
			root: ".venv", cfg: ".venv/pyvenv.cfg", bin: ".venv/bin", python: ".venv/bin/python",
			pip: ".venv/bin/pip", site: ".venv/lib/python3.13/site-packages",
			activate: ".venv/bin/activate", stamp: ".venv/influx-py.json",
			scripts: []string{".venv/bin/activate", ".venv/bin/activate.csh", ".venv/bin/activate.fish", ".venv/bin/Activate.ps1"},
		}},
		{"posix filesystem root", NewLayout("/", "darwin"), want{
			root: "/", cfg: "/pyvenv.cfg", bin: "/bin", python: "/bin/python", pip: "/bin/pip",
			site: "/lib/python3.13/site-packages", activate: "/bin/activate", stamp: "/influx-py.json",
			scripts: []string{"/bin/activate", "/bin/activate.csh", "/bin/activate.fish", "/bin/Activate.ps1"},
		}},
		{"windows", WindowsLayout(`C:\plugins\.venv`), want{
			root: `C:\plugins\.venv`, cfg: `C:\plugins\.venv\pyvenv.cfg`, bin: `C:\plugins\.venv\Scripts`,
			python: `C:\plugins\.venv\Scripts\python.exe`, pip: `C:\plugins\.venv\Scripts\pip.exe`,
			site:     `C:\plugins\.venv\Lib\site-packages`,
			activate: `C:\plugins\.venv\Scripts\activate.bat`, stamp: `C:\plugins\.venv\influx-py.json`,
			scripts: []string{`C:\plugins\.venv\Scripts\activate.bat`, `C:\plugins\.venv\Scripts\Activate.ps1`,
				`C:\plugins\.venv\Scripts\deactivate.bat`, `C:\plugins\.venv\Scripts\activate`},
		}},
		{"windows via NewLayout, trailing separators of both kinds", NewLayout(`C:\plugins\.venv\/`, "windows"), want{
			root: `C:\plugins\.venv`, cfg: `C:\plugins\.venv\pyvenv.cfg`, bin: `C:\plugins\.venv\Scripts`,
			python: `C:\plugins\.venv\Scripts\python.exe`, pip: `C:\plugins\.venv\Scripts\pip.exe`,
			site:     `C:\plugins\.venv\Lib\site-packages`,
			activate: `C:\plugins\.venv\Scripts\activate.bat`, stamp: `C:\plugins\.venv\influx-py.json`,
			scripts: []string{`C:\plugins\.venv\Scripts\activate.bat`, `C:\plugins\.venv\Scripts\Activate.ps1`,
				`C:\plugins\.venv\Scripts\deactivate.bat`, `C:\plugins\.venv\Scripts\activate`},
		}},
		{"windows drive root", WindowsLayout(`D:\`), want{
			root: `D:\`, cfg: `D:\pyvenv.cfg`, bin: `D:\Scripts`, python: `D:\Scripts\python.exe`,
			pip: `D:\Scripts\pip.exe`, site: `D:\Lib\site-packages`, activate: `D:\Scripts\activate.bat`,
			stamp:   `D:\influx-py.json`,
			scripts: []string{`D:\Scripts\activate.bat`, `D:\Scripts\Activate.ps1`, `D:\Scripts\deactivate.bat`, `D:\Scripts\activate`},
		}},
		{"windows UNC", WindowsLayout(`\\server\share\venv`), want{
			root: `\\server\share\venv`, cfg: `\\server\share\venv\pyvenv.cfg`, bin: `\\server\share\venv\Scripts`,
			python: `\\server\share\venv\Scripts\python.exe`, pip: `\\server\share\venv\Scripts\pip.exe`,
			site: `\\server\share\venv\Lib\site-packages`, activate: `\\server\share\venv\Scripts\activate.bat`,
			stamp: `\\server\share\venv\influx-py.json`,
			scripts: []string{`\\server\share\venv\Scripts\activate.bat`, `\\server\share\venv\Scripts\Activate.ps1`,
				`\\server\share\venv\Scripts\deactivate.bat`, `\\server\share\venv\Scripts\activate`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := want{
				root: tt.l.Root(), cfg: tt.l.ConfigPath(), bin: tt.l.BinDir(), python: tt.l.Python(),
				pip: tt.l.Pip(), site: tt.l.SitePackages(3, 13), activate: tt.l.Activate(),
				stamp: tt.l.StampPath(), scripts: tt.l.ActivateScripts(),
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLayoutScript(t *testing.T) {
	tests := []struct {
		l    Layout
		name string
		want string
	}{
		{PosixLayout("/v"), "uv", "/v/bin/uv"},
		{PosixLayout("/v"), "python3.11", "/v/bin/python3.11"},
		{WindowsLayout(`C:\v`), "uv", `C:\v\Scripts\uv.exe`},
		{WindowsLayout(`C:\v`), "pythonw.exe", `C:\v\Scripts\pythonw.exe`},
		{WindowsLayout(`C:\v`), "PIP.EXE", `C:\v\Scripts\PIP.EXE`},
	}
	for _, tt := range tests {
		if got := tt.l.Script(tt.name); got != tt.want {
			t.Errorf("%v.Script(%q) = %q, want %q", tt.l.Root(), tt.name, got, tt.want)
		}
	}
	if !NewLayout("x", "windows").Windows() || NewLayout("x", "linux").Windows() || NewLayout("x", "darwin").Windows() {
		t.Error("NewLayout picked the wrong platform")
	}
	if got := PosixLayout("/v").SitePackages(3, 9); got != "/v/lib/python3.9/site-packages" {
		t.Errorf("SitePackages(3, 9) = %q", got)
	}
	if got := PosixLayout("/v").Join("a", "", "b"); got != "/v/a/b" {
		t.Errorf("Join skipped empty element badly: %q", got)
	}
}
