package lockfile

// The calls into the version, marker and tag packages, kept in one place.

import (
	"fmt"
	"strings"

	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
	"github.com/influx-py/influx-py/internal/tags"
)

// maxWheelTags caps the tags one wheel file name may expand to, so that a
// hostile lock cannot make us build a huge list.
const maxWheelTags = 4096

func normalizeName(s string) string { return pep508.NormalizeName(s) }

func validName(s string) bool { return pep508.ValidName(s) }

func isNormalized(s string) bool { return pep508.IsNormalized(s) }

func parseVersion(s string) (pep440.Version, error) { return pep440.Parse(s) }

// checkLockVersion parses a lock-version and tells whether this package
// reads it (major version 1) and whether it is newer than 1.0.
func checkLockVersion(s string) (supported, newer bool, err error) {
	v, err := pep440.Parse(s)
	if err != nil {
		return false, false, err
	}
	one, _ := pep440.Parse("1")
	two, _ := pep440.Parse("2")
	cur, _ := pep440.Parse(SupportedVersion)
	if v.Compare(one) < 0 || v.Compare(two) >= 0 {
		return false, false, nil
	}
	return true, v.Compare(cur) > 0, nil
}

// sameVersion compares two versions by PEP 440 equality ("1.0" == "1.0.0").
func sameVersion(a, b string) (bool, error) {
	va, err := pep440.Parse(a)
	if err != nil {
		return false, err
	}
	vb, err := pep440.Parse(b)
	if err != nil {
		return false, err
	}
	return va.Equal(vb), nil
}

// compareVersions orders versions for writing: absent first, then by PEP
// 440, with unparsable ones after valid ones in string order.
func compareVersions(a, b string) int {
	if a == b {
		return 0
	}
	if a == "" || b == "" {
		if a == "" {
			return -1
		}
		return 1
	}
	va, errA := pep440.Parse(a)
	vb, errB := pep440.Parse(b)
	switch {
	case errA == nil && errB == nil:
		if c := va.Compare(vb); c != 0 {
			return c
		}
	case errA == nil:
		return -1
	case errB == nil:
		return 1
	}
	return strings.Compare(a, b)
}

func checkSpecifiers(s string) error {
	_, err := pep440.ParseSpecifiers(s)
	return err
}

// pythonMatches checks an interpreter version against a requires-python.
// Pre-releases of Python match, as pip and packaging check interpreters.
func pythonMatches(spec, python string) (bool, error) {
	if python == "" {
		return false, fmt.Errorf("the interpreter's python_full_version is not known")
	}
	ss, err := pep440.ParseSpecifiers(spec)
	if err != nil {
		return false, err
	}
	v, err := pep440.Parse(python)
	if err != nil {
		return false, fmt.Errorf("interpreter version: %w", err)
	}
	return ss.AllowsPython(v), nil
}

func checkMarker(s string) error {
	_, err := pep508.ParseMarker(s)
	return err
}

// sameMarker reports whether two markers are the same expression, as
// written or once parsed.
func sameMarker(a, b string) bool {
	if strings.TrimSpace(a) == strings.TrimSpace(b) {
		return true
	}
	ma, errA := pep508.ParseMarker(a)
	mb, errB := pep508.ParseMarker(b)
	return errA == nil && errB == nil && ma.Equal(mb)
}

// evalMarker evaluates a package marker in the lock file context, where
// extras and dependency_groups are sets of names.
func evalMarker(s string, vars map[string]string, extras, groups []string) (bool, error) {
	m, err := pep508.ParseMarker(s)
	if err != nil {
		return false, err
	}
	return m.Evaluate(pep508.Environment{Vars: vars, Extras: extras, DependencyGroups: groups, Context: pep508.ContextLockFile})
}

// evalEnvironment evaluates an `environments` entry, which describes the
// interpreter only: extras and groups are not defined there (as packaging
// evaluates it).
func evalEnvironment(s string, vars map[string]string) (bool, error) {
	m, err := pep508.ParseMarker(s)
	if err != nil {
		return false, err
	}
	return m.Evaluate(pep508.Environment{Vars: vars, Context: pep508.ContextRequirement})
}

func wheelInfo(fn string) (name, version string, ts []tags.Tag, err error) {
	w, err := tags.ParseWheelFilenameWith(fn, tags.ParseOptions{MaxTags: maxWheelTags})
	if err != nil {
		return "", "", nil, err
	}
	return w.Name, w.Version, w.Tags, nil
}

func wheelTagsOf(fn string) ([]tags.Tag, error) {
	_, _, ts, err := wheelInfo(fn)
	return ts, err
}

func sdistInfo(fn string) (name, version string, err error) {
	return tags.ParseSdistFilename(fn)
}
