package reqs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []string // "line Req"
		plugin  string
		wantErr []string
	}{
		{
			name: "influxdb style",
			doc: `# header
[plugin]
name = "alerts"

[dependencies]
python = [
  "influx-stats>=0.3",
  'alertfmt ~= 1.1', # comment
  """numpy<2; python_version >= '3.9'""",
]
other = ["ignored"]
`,
			plugin: "alerts",
			want:   []string{"7 influx-stats>=0.3", "8 alertfmt~=1.1", `9 numpy<2; python_version >= "3.9"`},
		},
		{
			name: "one line array",
			doc:  "[dependencies]\npython = [\"a\", \"b\"]\n",
			want: []string{"2 a", "2 b"},
		},
		{
			name: "dotted key",
			doc:  "title = 'x'\ndependencies.python = [\n\"a\"]\n",
			want: []string{"3 a"},
		},
		{
			name: "inline table",
			doc:  "dependencies = { python = [\"a\",\n \"b\"] }\n",
			want: []string{"1 a", "2 b"},
		},
		{
			name: "subtable after dependencies",
			doc:  "[dependencies]\npython = ['a']\n[dependencies.system]\npython = ['not this']\n",
			want: []string{"2 a"},
		},
		{name: "no dependencies", doc: "[plugin]\nname = 'x'\n", plugin: "x"},
		{name: "no python", doc: "[dependencies]\nrust = ['x']\n"},
		{name: "empty array", doc: "[dependencies]\npython = []\n"},
		{
			name:    "invalid TOML",
			doc:     "[dependencies]\npython = [\"a\",\n",
			wantErr: []string{"manifest.toml:2: invalid TOML"},
		},
		{
			name:    "duplicate key",
			doc:     "[dependencies]\npython = []\npython = []\n",
			wantErr: []string{"manifest.toml:3: invalid TOML"},
		},
		{
			name:    "not an array",
			doc:     "[dependencies]\n\npython = \"a>=1\"\n",
			wantErr: []string{"manifest.toml:3: dependencies.python must be an array of strings"},
		},
		{
			name:    "dependencies not a table",
			doc:     "dependencies = 3\n",
			wantErr: []string{"manifest.toml:1: dependencies must be a table"},
		},
		{
			name:    "not a string",
			doc:     "[dependencies]\npython = [\n  \"a\",\n  2,\n]\n",
			wantErr: []string{"manifest.toml:4: dependencies.python[1] must be a string, not int64"},
		},
		{
			name:    "bad requirement",
			doc:     "[dependencies]\npython = [\n  \"ok\",\n  \"bad[\",\n]\n",
			wantErr: []string{"manifest.toml:4: invalid requirement: expected matching RIGHT_BRACKET", "bad[", "^"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "manifest.toml", tt.doc)
			m, err := readManifest(p)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error: %+v", m)
				}
				msg := strings.ReplaceAll(err.Error(), filepath.Dir(p)+string(filepath.Separator), "")
				for _, w := range tt.wantErr {
					if !strings.Contains(msg, w) {
						t.Errorf("error %q\nlacks %q", msg, w)
					}
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Errorf("not a *ParseError: %T", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range m.lines {
				got = append(got, fmt.Sprintf("%d %s", l.LineNo, l.Req))
				if l.File != p || l.Source != fmt.Sprintf("%s:%d", p, l.LineNo) {
					t.Errorf("file %q source %q", l.File, l.Source)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if m.plugin != tt.plugin {
				t.Errorf("plugin %q, want %q", m.plugin, tt.plugin)
			}
			lines, err := ParseManifest(p)
			if err != nil || len(lines) != len(m.lines) {
				t.Errorf("ParseManifest: %d lines, %v", len(lines), err)
			}
		})
	}
}

func FuzzParseManifest(f *testing.F) {
	for _, s := range []string{
		"[dependencies]\npython = [\"a>=1\", 'b']\n",
		"dependencies.python = []",
		"dependencies = { python = [\"x\"] }",
		"[plugin]\nname = 3\n[dependencies]\npython = [1]",
		"[[dependencies]]\npython = ['a']",
		"[dependencies]\npython = [\n'''a\n''']",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseManifest("manifest.toml", data)
		if err != nil {
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, l := range m.lines {
			if l.Req == nil || l.LineNo < 1 || l.LineNo > lines {
				t.Fatalf("line %+v of %d", l, lines)
			}
		}
	})
}
