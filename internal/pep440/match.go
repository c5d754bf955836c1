package pep440

import "strings"

// candidate is one thing being matched: a raw string (which may not be a
// valid version) or a parsed Version. The distinction matters only for ===,
// which compares strings, and for strings that do not parse.
type candidate struct {
	raw string
	v   Version
	ok  bool // v is valid
}

func fromString(s string) candidate {
	v, err := parse(s)
	return candidate{raw: s, v: v, ok: err == nil}
}

func fromVersion(v Version) candidate { return candidate{raw: v.String(), v: v, ok: true} }

// matches applies the clause's operator to p, ignoring pre-release policy.
// The rules are packaging's (PEP 440 plus its reading of the edge cases):
//
//   - == and != without a local label compare the public version, so
//     "==1.0" matches "1.0+anything"; with a local label they compare exactly.
//   - "==1.2.*" matches versions whose release, zero-padded, starts with 1.2.
//   - ">V" excludes V's post-releases and local variants unless V itself is a
//     post- or dev release; "<V" excludes V's pre-releases unless V is one.
//   - "<=V" admits V's local variants.
//   - "~=1.4.5" is ">=1.4.5, ==1.4.*".
func (s Specifier) matches(p Version) bool {
	v := s.v
	switch s.op {
	case "==", "!=":
		var eq bool
		switch {
		case s.wildcard:
			eq = p.epoch == v.epoch && prefixEqual(p.release, v.release)
		case s.hasLocal:
			eq = p.Compare(v) == 0
		default:
			eq = p.comparePublic(v) == 0
		}
		return eq == (s.op == "==")
	case ">=":
		return p.Compare(v) >= 0
	case "<=":
		return p.comparePublic(v) <= 0
	case ">":
		if p.comparePublic(v) <= 0 {
			return false
		}
		if v.hasDev || v.hasPost {
			return true
		}
		// Same release and pre-release as V: one of V's post-releases.
		return !(p.epoch == v.epoch && compareRelease(p.release, v.release) == 0 && p.preL == v.preL && p.preN == v.preN)
	case "<":
		bound := v
		if !v.IsPrerelease() {
			bound = v.withDev(0)
		}
		return p.Compare(bound) < 0
	case "~=":
		prefix := v.release[:len(v.release)-1]
		return p.Compare(v) >= 0 && p.epoch == v.epoch && comparePrefix(p.release, prefix) <= 0
	}
	return false
}

// comparePrefix compares the first len(prefix) components of r (zero-padded)
// with prefix.
func comparePrefix(r, prefix []uint64) int {
	for i, want := range prefix {
		var got uint64
		if i < len(r) {
			got = r[i]
		}
		if c := cmpUint(got, want); c != 0 {
			return c
		}
	}
	return 0
}

func prefixEqual(r, prefix []uint64) bool { return comparePrefix(r, prefix) == 0 }

// resolvePre merges a per-call policy with a specifier's default: an explicit
// call policy wins, then the specifier's own.
func resolvePre(call, own Pre) Pre {
	if call != PreDefault {
		return call
	}
	return own
}

// arbitraryEqual is ===: a case-insensitive comparison of the raw strings.
func (s Specifier) arbitraryEqual(c candidate) bool {
	return strings.ToLower(c.raw) == strings.ToLower(s.version)
}

// contains is one candidate against one clause with an already-resolved policy.
func (s Specifier) contains(c candidate, pre Pre) bool {
	if s.op == "===" {
		if !s.arbitraryEqual(c) {
			return false
		}
		return !(pre == PreForbid && c.ok && c.v.IsPrerelease())
	}
	if !c.ok {
		return false
	}
	if pre == PreForbid && c.v.IsPrerelease() {
		return false
	}
	return s.matches(c.v)
}

// Contains reports whether v satisfies the clause. With PreDefault a
// pre-release matches when it is in range (a single version has no final
// alternative, which is packaging 26's reading of PEP 440); PreForbid rejects
// it; the clause's own WithPrereleases setting applies when pre is PreDefault.
// For === the normalized form v.String() is compared; see ContainsString.
func (s Specifier) Contains(v Version, pre Pre) bool {
	return s.contains(fromVersion(v), resolvePre(pre, s.effectivePre()))
}

// ContainsString is Contains for a version string as written. Strings that
// are not valid versions match only ===, which compares the raw text.
func (s Specifier) ContainsString(item string, pre Pre) bool {
	return s.contains(fromString(item), resolvePre(pre, s.effectivePre()))
}

// Filter returns the items that satisfy the clause, in order. With
// PreDefault, pre-releases are dropped if any final release matches.
func (s Specifier) Filter(items []string, pre Pre) []string {
	cs := make([]candidate, len(items))
	for i, it := range items {
		cs[i] = fromString(it)
	}
	pre = resolvePre(pre, s.effectivePre())
	return pick(items, filterCandidates(cs, pre, s.op == "===", func(c candidate) bool {
		return s.contains(c, PreAllow)
	}))
}

// Contains reports whether v satisfies every clause. Pre-release handling is
// as for Specifier.Contains, with the set's WithPrereleases setting as the
// default. For === the normalized form v.String() is compared.
func (s Specifiers) Contains(v Version, pre Pre) bool {
	return s.contains(fromVersion(v), pre, false)
}

// ContainsString is Contains for a version string as written: === compares
// the raw text, and a string that is not a valid version matches only a set
// made of === clauses it equals, or the empty set.
func (s Specifiers) ContainsString(item string, pre Pre) bool {
	return s.contains(fromString(item), pre, false)
}

// ContainsInstalled is Contains for a version that is already installed: an
// installed pre-release is accepted whatever the policy, as pip does when it
// checks whether an existing install still satisfies a requirement.
func (s Specifiers) ContainsInstalled(v Version, pre Pre) bool {
	return s.contains(fromVersion(v), pre, true)
}

// AllowsPython reports whether a Python interpreter version satisfies a
// Requires-Python specifier. Pre-releases are allowed, as pip and packaging
// check interpreter versions (a 3.14.0rc1 interpreter satisfies ">=3.13").
func (s Specifiers) AllowsPython(v Version) bool { return s.Contains(v, PreAllow) }

func (s Specifiers) contains(c candidate, pre Pre, installed bool) bool {
	if c.ok && installed && c.v.IsPrerelease() {
		pre = PreAllow
	}
	if c.ok && len(s.specs) > 0 && !s.hasArbitrary() {
		if c.v.IsPrerelease() && (pre == PreForbid || (pre == PreDefault && s.pre == PreForbid)) {
			return false
		}
		for _, sp := range s.specs {
			if !sp.matches(c.v) {
				return false
			}
		}
		return true
	}
	return len(s.filter([]candidate{c}, pre)) > 0
}

// Filter returns the items that satisfy every clause, in order. With
// PreDefault (and no pre-release named by the set), pre-releases are dropped
// when any final release matches. Strings that are not valid versions are
// dropped, except by === clauses and by the empty set, which keeps them.
func (s Specifiers) Filter(items []string, pre Pre) []string {
	cs := make([]candidate, len(items))
	for i, it := range items {
		cs[i] = fromString(it)
	}
	return pick(items, s.filter(cs, pre))
}

// FilterVersions is Filter for parsed versions.
func (s Specifiers) FilterVersions(vs []Version, pre Pre) []Version {
	cs := make([]candidate, len(vs))
	for i, v := range vs {
		cs[i] = fromVersion(v)
	}
	return pick(vs, s.filter(cs, pre))
}

// filter returns the indexes of the candidates that pass.
func (s Specifiers) filter(cs []candidate, pre Pre) []int {
	pre = resolvePre(pre, s.Prereleases())
	if len(s.specs) == 0 {
		return filterCandidates(cs, pre, true, func(candidate) bool { return true })
	}
	arbitrary := s.hasArbitrary()
	return filterCandidates(cs, pre, arbitrary, func(c candidate) bool {
		if !arbitrary && !c.ok {
			return false
		}
		for _, sp := range s.specs {
			if !sp.contains(c, PreAllow) {
				return false
			}
		}
		return true
	})
}

// filterCandidates applies match and then the pre-release policy. With
// PreDefault, pre-releases are kept only if no final release matched; when
// keepUnparsed is set, matching strings that are not versions are kept too,
// in their original position relative to the kept versions.
func filterCandidates(cs []candidate, pre Pre, keepUnparsed bool, match func(candidate) bool) []int {
	var out, held []int
	foundFinal := false
	for i, c := range cs {
		if !c.ok && !keepUnparsed {
			continue
		}
		if !match(c) {
			continue
		}
		switch {
		case pre == PreAllow:
			out = append(out, i)
		case pre == PreForbid:
			if !c.ok || !c.v.IsPrerelease() {
				out = append(out, i)
			}
		case !c.ok:
			// Not a version, so not a pre-release: kept, but in order with
			// the pre-releases held back until a final release shows up.
			if foundFinal {
				out = append(out, i)
			} else {
				held = append(held, i)
			}
		case !c.v.IsPrerelease():
			if !foundFinal {
				foundFinal = true
				for _, h := range held {
					if !cs[h].ok {
						out = append(out, h)
					}
				}
			}
			out = append(out, i)
		default:
			if !foundFinal {
				held = append(held, i)
			}
		}
	}
	if !foundFinal {
		out = append(out, held...)
	}
	return out
}

func pick[T any](items []T, idx []int) []T {
	out := make([]T, 0, len(idx))
	for _, i := range idx {
		out = append(out, items[i])
	}
	return out
}
