// Package pep508 parses PEP 508 dependency specifiers ("requests[socks]>=2;
// python_version >= '3.8'"), environment markers and project names, following
// pypa/packaging so that influx-py reads lock files and metadata exactly as
// pip would. Markers also support the PEP 751 lock-file variables "extras"
// and "dependency_groups".
package pep508

import (
	"regexp"
	"strings"
	"sync"
)

var (
	validNameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$`)
	})
	normalizedNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`) })
)

// NormalizeName is the PEP 503 normalization of a project, extra or
// dependency-group name: lowercase, with every run of "-", "_" and "."
// replaced by a single "-". It does not validate its input.
func NormalizeName(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '-', '_', '.':
			if !sep {
				b.WriteByte('-')
			}
			sep = true
		default:
			b.WriteByte(c)
			sep = false
		}
	}
	return b.String()
}

// ValidName reports whether s is a valid project name per the core metadata
// spec: ASCII letters, digits, ".", "_" and "-", starting and ending with a
// letter or digit.
func ValidName(s string) bool { return validNameRE().MatchString(s) }

// IsNormalized reports whether s is a valid name already in normalized form.
func IsNormalized(s string) bool { return normalizedNameRE().MatchString(s) }
