package reqs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/influx-py/influx-py/internal/pep508"
)

func TestSplitLines(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // "lineNo:text"
	}{
		{"empty", "", nil},
		{"blank and comments", "\n  \n# c\n   # indented\n", nil},
		{"plain", "a\nb>=1\n", []string{"1:a", "2:b>=1"}},
		{"trailing comment", "a>=1 # why\nb\t#x\n", []string{"1:a>=1", "2:b"}},
		{"hash inside a word", "p @ https://h/p.whl#sha256=00 # c\n", []string{"1:p @ https://h/p.whl#sha256=00"}},
		{"CRLF and BOM", "\ufeffa\r\nb\r\n", []string{"1:a", "2:b"}},
		{"continuation", "a \\\n  >=1 \\\n  ,<2\nb\n", []string{"1:a   >=1   ,<2", "4:b"}},
		{"continuation then comment line", "a \\\n# not joined\nb\n", []string{"1:a", "3:b"}},
		{"comment line ending in backslash", "# c \\\nb\n", []string{"2:b"}},
		{"comment after joining", "a \\\n# x\n", []string{"1:a"}},
		{"comment in a continued line", "a # c \\\nb\n", []string{"1:a"}},
		{"file ends on a backslash", "a\\", []string{"1:a"}},
		{"only whitespace continued", "  \\\n\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, l := range splitLines(tt.in) {
				got = append(got, fmt.Sprintf("%d:%s", l.lineNo, l.text))
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const sha = "b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c"

func TestParseRequirements(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string // the first parsed is "requirements.txt"
		want    []string          // "file:line Req [hashes]"
		opts    []string          // "file:line --name value"
		wantErr []string          // substrings of the error
	}{
		{
			name:  "requirements, markers, extras, URLs",
			files: map[string]string{"requirements.txt": "requests[socks] >= 2.8 ; python_version >= '3.8'\n\nInflux_Stats==0.3  # pinned\npkg @ https://example.com/pkg-1.0.whl#sha256=" + sha + "\n"},
			want: []string{
				`requirements.txt:1 requests[socks]>=2.8; python_version >= "3.8" []`,
				`requirements.txt:3 Influx_Stats==0.3 []`,
				`requirements.txt:4 pkg @ https://example.com/pkg-1.0.whl#sha256=` + sha + ` []`,
			},
		},
		{
			name:  "hashes",
			files: map[string]string{"requirements.txt": "a==1 --hash=sha256:" + sha + " \\\n    --hash sha256:" + strings.ToUpper(sha) + "\nb==2\n"},
			want:  []string{"requirements.txt:1 a==1 [sha256:" + sha + " sha256:" + strings.ToUpper(sha) + "]", "requirements.txt:3 b==2 []"},
		},
		{
			name: "options",
			files: map[string]string{"requirements.txt": "--index-url https://idx/simple\n-i=x\n-ihttps://other\n--extra-index-url=https://extra\n" +
				"-f ./wheels\n--find-links=../more --no-index\n--pre\n-c constraints.txt\n--trusted-host h\nreq\n"},
			want: []string{"requirements.txt:10 req []"},
			opts: []string{
				"requirements.txt:1 --index-url https://idx/simple",
				"requirements.txt:2 --index-url =x", // pip reads -i=x as the URL "=x"
				"requirements.txt:3 --index-url https://other",
				"requirements.txt:4 --extra-index-url https://extra",
				"requirements.txt:5 --find-links ./wheels",
				"requirements.txt:6 --find-links ../more",
				"requirements.txt:6 --no-index",
				"requirements.txt:7 --pre",
				"requirements.txt:8 --constraint constraints.txt",
				"requirements.txt:9 --trusted-host h",
			},
		},
		{
			name: "includes",
			files: map[string]string{
				"requirements.txt":     "a\n-r sub/more.txt\n--requirement=shared.txt\nz\n",
				"sub/more.txt":         "b>=1\n-r ../shared.txt\n-f wheels\n",
				"shared.txt":           "c<2\n",
				"sub/requirements.txt": "not read\n",
			},
			want: []string{"requirements.txt:1 a []", "sub/more.txt:1 b>=1 []", "shared.txt:1 c<2 []", "shared.txt:1 c<2 []", "requirements.txt:4 z []"},
			opts: []string{"sub/more.txt:3 --find-links wheels"},
		},
		{
			name:    "bad requirement shows the caret",
			files:   map[string]string{"requirements.txt": "ok\n\nname[bar baz]\n"},
			wantErr: []string{"requirements.txt:3: invalid requirement: expected comma between extra names", "name[bar baz]", "^"},
		},
		{
			name:    "bad version in an included file",
			files:   map[string]string{"requirements.txt": "-r b.txt\n", "b.txt": "\n\\\nx==1.0-foo\n"},
			wantErr: []string{"b.txt:2: invalid requirement", "x==1.0-foo"}, // a continued line counts from its first line
		},
		{
			name:    "include cycle",
			files:   map[string]string{"requirements.txt": "a\n-r b.txt\n", "b.txt": "-r ./requirements.txt\n"},
			wantErr: []string{"b.txt:1: -r ./requirements.txt: include cycle: requirements.txt -> b.txt -> requirements.txt"},
		},
		{
			name:    "self include",
			files:   map[string]string{"requirements.txt": "-r requirements.txt\n"},
			wantErr: []string{"requirements.txt:1:", "include cycle"},
		},
		{
			name:    "missing include",
			files:   map[string]string{"requirements.txt": "a\n-r nope.txt\n"},
			wantErr: []string{"requirements.txt:2: -r nope.txt: read requirements:", "nope.txt"},
		},
		{
			name:    "URL include",
			files:   map[string]string{"requirements.txt": "-r https://x/r.txt\n"},
			wantErr: []string{"requirements.txt:1:", "from a URL is not supported"},
		},
		{
			name:    "editable",
			files:   map[string]string{"requirements.txt": "-e ./src\n"},
			wantErr: []string{"requirements.txt:1: -e: editable requirements cannot be locked"},
		},
		{
			name:    "unknown option",
			files:   map[string]string{"requirements.txt": "a\n--frobnicate\n"},
			wantErr: []string{"requirements.txt:2: unknown option --frobnicate"},
		},
		{
			name:    "option without value",
			files:   map[string]string{"requirements.txt": "--index-url\n"},
			wantErr: []string{"requirements.txt:1: option --index-url needs a value"},
		},
		{
			name:    "flag with a value",
			files:   map[string]string{"requirements.txt": "--no-index=yes\n"},
			wantErr: []string{"requirements.txt:1: option --no-index takes no value"},
		},
		{
			name:    "requirement after options",
			files:   map[string]string{"requirements.txt": "--pre requests\n"},
			wantErr: []string{"requirements.txt:1:", `unexpected "requests"`},
		},
		{
			name:    "hash alone",
			files:   map[string]string{"requirements.txt": "--hash=sha256:" + sha + "\n"},
			wantErr: []string{"requirements.txt:1: --hash must follow a requirement"},
		},
		{
			name:    "bad hash",
			files:   map[string]string{"requirements.txt": "a --hash=md5:abc\n"},
			wantErr: []string{"requirements.txt:1:", `--hash "md5:abc"`},
		},
		{
			name:    "short hash",
			files:   map[string]string{"requirements.txt": "a --hash=sha256:abc\n"},
			wantErr: []string{"requirements.txt:1:", "64 hex digits"},
		},
		{
			name:    "hash without value",
			files:   map[string]string{"requirements.txt": "a --hash\n"},
			wantErr: []string{"requirements.txt:1: --hash needs a value"},
		},
		{
			name:    "other per-requirement option",
			files:   map[string]string{"requirements.txt": "a --config-settings=x=y\n"},
			wantErr: []string{"requirements.txt:1: option --config-settings is not supported after a requirement"},
		},
		{
			name:    "bare path",
			files:   map[string]string{"requirements.txt": "./plugin\n"},
			wantErr: []string{"requirements.txt:1:", "path or URL without a project name"},
		},
		{
			name:    "bare URL",
			files:   map[string]string{"requirements.txt": "https://example.com/p-1.0.whl\n"},
			wantErr: []string{"requirements.txt:1:", "path or URL without a project name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tt.files {
				write(t, dir, name, content)
			}
			lines, opts, err := ParseRequirements(filepath.Join(dir, "requirements.txt"))
			rel := func(p string) string {
				r, _ := filepath.Rel(dir, p)
				return filepath.ToSlash(r)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; lines %+v", lines)
				}
				msg := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
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
			for _, l := range lines {
				got = append(got, fmt.Sprintf("%s:%d %s %v", rel(l.File), l.LineNo, l.Req, l.Hashes))
				if l.Source != fmt.Sprintf("%s:%d", l.File, l.LineNo) {
					t.Errorf("source %q", l.Source)
				}
				if again, err := pep508.ParseRequirement(l.Raw); err != nil || !again.Equal(l.Req) {
					t.Errorf("Raw %q does not give the requirement back: %v", l.Raw, err)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("lines:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			got = nil
			for _, o := range opts {
				got = append(got, fmt.Sprintf("%s:%d %s", rel(o.File), o.LineNo, o))
			}
			if strings.Join(got, "\n") != strings.Join(tt.opts, "\n") {
				t.Errorf("options:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.opts, "\n"))
			}
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, _, err := ParseRequirements(filepath.Join(t.TempDir(), "requirements.txt"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v", err)
	}
}

func FuzzSplitLines(f *testing.F) {
	for _, s := range []string{
		"a\nb\n", "a \\\n b", "# c \\\nx", "x # c\\\ny", "\ufeff\r\n\\", "p @ u#frag", "\\\\\n\\", "a\t#\tb\n#",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		n := strings.Count(data, "\n") + 1
		prev := 0
		for _, l := range splitLines(data) {
			if l.text == "" || l.text != strings.TrimSpace(l.text) {
				t.Fatalf("untrimmed or empty line %q", l.text)
			}
			if strings.Contains(l.text, "\n") {
				t.Fatalf("line break inside %q", l.text)
			}
			if l.lineNo <= prev || l.lineNo > n {
				t.Fatalf("line number %d after %d (of %d)", l.lineNo, prev, n)
			}
			prev = l.lineNo
			if stripComment(l.text) != l.text {
				t.Fatalf("comment left in %q", l.text)
			}
		}
	})
}

// FuzzParseRequirements: a whole requirements file (with a second file it
// may include) parses or fails cleanly; every requirement read is valid,
// names its file and line, and every option is one pip allows.
func FuzzParseRequirements(f *testing.F) {
	for _, s := range []string{
		"a\nb>=1 --hash=sha256:" + strings.Repeat("0", 64) + "\n",
		"-r other.txt\nc\n", "-c other.txt\n", "-i https://idx/simple\n--no-index\n-f ./w\nx ; python_version < \"3\"\n",
		"-e .\n", "./local.whl\n", "a \\\n  >=1\n", "--unknown\n", "-r requirements.txt\n", "name @ https://h/x.whl#sha256=1\n",
	} {
		f.Add(s, "d>=2\n")
	}
	// One folder for every input: t.TempDir per input would cost more than
	// the parse.
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, main, other string) {
		path := write(t, dir, "requirements.txt", main)
		write(t, dir, "other.txt", other)
		lines, opts, err := ParseRequirements(path)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Req == nil || l.LineNo < 1 || (l.File != path && l.File != filepath.Join(dir, "other.txt")) {
				t.Fatalf("line %+v", l)
			}
			again, err := pep508.ParseRequirement(l.Req.String())
			if err != nil || !again.Equal(l.Req) {
				t.Fatalf("requirement %q does not round-trip: %v", l.Req.String(), err)
			}
		}
		for _, o := range opts {
			if _, ok := globalOpt(o.Name); !ok {
				t.Fatalf("option %q is not one pip allows", o.Name)
			}
		}
	})
}
