package lockfile

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestShapeBoundsParseTime: a lock built to make the TOML reader quadratic
// is refused at once, naming the table; real shapes, however large, pass.
func TestShapeBoundsParseTime(t *testing.T) {
	hostile := map[string]func(b *strings.Builder){
		"300k [tool.*] tables": func(b *strings.Builder) {
			for i := 0; i < 300000; i++ {
				fmt.Fprintf(b, "[tool.t%d]\n", i)
			}
		},
		"dotted keys": func(b *strings.Builder) {
			for i := 0; i < 100000; i++ {
				fmt.Fprintf(b, "tool.t%d.a = 1\n", i)
			}
		},
		"one inline table": func(b *strings.Builder) {
			b.WriteString("tool = {")
			for i := 0; i < 100000; i++ {
				fmt.Fprintf(b, "t%d = 1, ", i)
			}
			b.WriteString("z = 1}\n")
		},
	}
	for name, write := range hostile {
		var b strings.Builder
		b.WriteString("lock-version = \"1.0\"\ncreated-by = \"x\"\n")
		write(&b)
		start := time.Now()
		_, err := Parse("pylock.toml", []byte(b.String()))
		var se *ShapeError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "influx-py reads at most 5000 per table") {
			t.Errorf("%s: %v", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: refused after %v", name, d)
		}
	}

	// 10,000 packages as pip writes them (an array of tables each with
	// its own subtables) are a real shape.
	var b strings.Builder
	b.WriteString("lock-version = \"1.0\"\ncreated-by = \"pip\"\n")
	for i := 0; i < 10000; i++ {
		fmt.Fprintf(&b, "\n[[packages]]\nname = \"p%d\"\nversion = \"1.0\"\n\n[[packages.wheels]]\nname = \"p%d-1.0-py3-none-any.whl\"\nurl = \"https://h/p%d-1.0-py3-none-any.whl\"\n\n[packages.wheels.hashes]\nsha256 = \"%064d\"\n", i, i, i, i)
	}
	if l, err := Parse("pylock.toml", []byte(b.String())); err != nil || len(l.Packages) != 10000 {
		t.Errorf("10,000 packages: %v", err)
	}
}

func TestParseAcceptsBOM(t *testing.T) {
	l, err := Parse("pylock.toml", []byte("\xef\xbb\xbflock-version = \"1.0\"\ncreated-by = \"notepad\"\npackages = []\n"))
	if err != nil || l.CreatedBy != "notepad" {
		t.Fatalf("a lock with a byte-order mark: %v", err)
	}
}
