package cli

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// The messages of Go's flag package and urfave/cli that usageProblem
// rewrites into influx-py's.
var (
	unknownFlagRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^flag provided but not defined: -+(.+)$`) })
	invalidValueRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^invalid value "(.*)" for flag -+([^:]+): `) })
	badEnvRE       = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^could not parse "(.*)" as (\w+) value from (?:environment variable|env var) "([^"]+)" for flag ([^:]+):`)
	})
	missingValueRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^flag needs an argument: -+(.+)$`) })
	metavarRE      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("`([^`]+)`") })
)

// usageProblem turns urfave's wording of a bad command line into a
// message that says which flag of which command, what it wants, and the
// flag the user probably meant.
func usageProblem(c *cli.Context, err error) error {
	msg := err.Error()
	where, cmd := "influx-py", ""
	var flags []cli.Flag
	if c != nil {
		if c.Command != nil && c.Command.Name != "" && (c.App == nil || c.Command.Name != c.App.Name) {
			cmd = c.Command.FullName()
			where = "influx-py " + cmd
			flags = c.Command.Flags
		} else if c.App != nil {
			flags = c.App.Flags
		}
	}
	usage := func(err error) error { return usageError{err: err, cmd: cmd} }
	if m := unknownFlagRE().FindStringSubmatch(msg); m != nil {
		out := fmt.Sprintf("unknown flag --%s for %s", m[1], where)
		if s := suggestFlag(m[1], flags); s != "" {
			out += fmt.Sprintf(" (did you mean --%s?)", s)
		}
		return usage(errors.New(out))
	}
	if m := invalidValueRE().FindStringSubmatch(msg); m != nil {
		return usage(fmt.Errorf("invalid value %q for --%s: %s", m[1], m[2], wants(findFlag(flags, m[2]))))
	}
	if m := badEnvRE().FindStringSubmatch(msg); m != nil {
		return usage(fmt.Errorf("%s=%q: %s (for --%s)", m[3], m[1], wants(findFlag(flags, m[4])), m[4]))
	}
	if m := missingValueRE().FindStringSubmatch(msg); m != nil {
		return usage(fmt.Errorf("--%s needs a value (%s)", m[1], strings.TrimPrefix(wants(findFlag(flags, m[1])), "want ")))
	}
	return usage(err)
}

// wants says what a flag's value must look like.
func wants(f cli.Flag) string {
	switch f.(type) {
	case *cli.DurationFlag:
		return "want a duration such as 30s, 2m or 1h"
	case *cli.BoolFlag:
		return "want true or false (or 1 or 0)"
	case *cli.IntFlag, *cli.Int64Flag, *cli.UintFlag:
		return "want a whole number"
	}
	// The metavar of the flag's usage: "the InfluxDB 3 plugin `DIR`".
	if d, ok := f.(cli.DocGenerationFlag); ok {
		if m := metavarRE().FindStringSubmatch(d.GetUsage()); m != nil {
			return "want a " + m[1]
		}
	}
	return "see --help"
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// suggestFlag is the flag name within two edits of name, or one that name
// is a prefix of.
func suggestFlag(name string, flags []cli.Flag) string {
	// Two edits of a short name is another word altogether.
	best, bestDist := "", 3
	if len(name) <= 4 {
		bestDist = 2
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) < 2 {
				continue
			}
			d := editDistance(name, n)
			if strings.HasPrefix(n, name) && len(name) >= 3 {
				d = 1
			}
			if d < bestDist {
				best, bestDist = n, d
			}
		}
	}
	return best
}

// oneOf is the Action of a flag whose value is one of a few words: checked
// before the command runs, whatever state the venv is in.
func oneOf(flag string, allowed ...string) func(*cli.Context, string) error {
	return func(c *cli.Context, v string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		cmd := ""
		if c.Command != nil {
			cmd = c.Command.FullName()
		}
		msg := fmt.Sprintf("invalid value %q for --%s: want %s", v, flag, strings.Join(allowed, ", "))
		if s := suggestWord(v, allowed); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		}
		return usageError{err: errors.New(msg), cmd: cmd}
	}
}

func suggestWord(v string, words []string) string {
	best, bestDist := "", 3
	for _, w := range words {
		if d := editDistance(v, w); d < bestDist {
			best, bestDist = w, d
		}
	}
	return best
}
