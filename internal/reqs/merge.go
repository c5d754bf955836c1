package reqs

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/influx-py/influx-py/internal/pep440"
	"github.com/influx-py/influx-py/internal/pep508"
)

// Merged is one requirement standing for several lines that ask for the
// same project under the same marker.
type Merged struct {
	// Req has the normalized project name, the union of the extras
	// (normalized, sorted), the intersection of the specifiers, the URL
	// if any, and the shared marker.
	Req *pep508.Requirement
	// Sources are the lines merged, in input order.
	Sources []Line
}

// Conflict is a project whose requirements cannot all hold.
type Conflict struct {
	Name string // normalized
	// Sources are the lines that disagree, in input order.
	Sources []Line
	// Reason says what is wrong, e.g. "no version satisfies
	// ==2.31.0,>=2.32".
	Reason string
}

// Error names each source and its requirement:
//
//	conflicting requirements for requests: plugin a (requirements.txt:2)
//	wants requests==2.31.0; plugin b (manifest.toml:5) wants requests>=2.32
func (c Conflict) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "conflicting requirements for %s: ", c.Name)
	for i, l := range c.Sources {
		if i > 0 {
			b.WriteString("; ")
		}
		src := l.Source
		if src == "" && l.File != "" {
			src = where(l.File, l.LineNo)
		}
		if src != "" {
			b.WriteString(src + " wants ")
		}
		b.WriteString(l.Req.String())
	}
	return b.String()
}

// Merge combines lines into one requirement per normalized project name and
// marker: specifiers are intersected and extras unioned. Lines without a
// requirement are ignored. The result is sorted by name, then marker
// (unmarked first).
//
// A project whose lines cannot all hold is reported as a Conflict and left
// out of the result entirely. Lines under a marker are checked together
// with the project's unmarked lines, which apply everywhere; lines under
// different markers are not checked against each other, since the markers
// may never hold together. Mixed URLs, or a URL together with version
// specifiers, are conflicts too.
//
// Whether version specifiers can all hold is decided by testing candidate
// versions: every version the clauses mention, and versions just around
// each (the neighbouring pre-, post- and dev-releases, the next release at
// each level, a version just above the whole release), pre-releases
// included. This detects constraints that are disjoint around the versions
// they mention, such as ">=2" against "<2" or "==2.31.0" against ">=2.32";
// anything subtler, and whether a satisfying release exists at all, is
// left to the resolver.
func Merge(lines []Line) ([]Merged, []Conflict) {
	type group struct {
		marker string
		lines  []Line
	}
	byName := map[string][]*group{}
	var names []string
	for _, l := range lines {
		if l.Req == nil {
			continue
		}
		name := pep508.NormalizeName(l.Req.Name)
		mk := ""
		if l.Req.Marker != nil {
			mk = l.Req.Marker.String()
		}
		gs, seen := byName[name]
		if !seen {
			names = append(names, name)
		}
		var g *group
		for _, x := range gs {
			if x.marker == mk {
				g = x
			}
		}
		if g == nil {
			g = &group{marker: mk}
			byName[name] = append(gs, g)
		}
		g.lines = append(g.lines, l)
	}
	slices.Sort(names)

	var merged []Merged
	var conflicts []Conflict
	for _, name := range names {
		gs := byName[name]
		slices.SortStableFunc(gs, func(a, b *group) int { return cmp.Compare(a.marker, b.marker) })
		var unmarked []Line
		if gs[0].marker == "" {
			unmarked = gs[0].lines
		}
		var out []Merged
		var bad []Line
		reason := ""
		for _, g := range gs {
			ls := g.lines
			if g.marker != "" {
				ls = append(append([]Line(nil), unmarked...), g.lines...)
			}
			if r := check(ls); r != "" {
				bad = append(bad, ls...)
				if reason == "" {
					reason = r
				}
				continue
			}
			out = append(out, Merged{Req: combine(name, g.lines), Sources: g.lines})
		}
		if reason != "" {
			conflicts = append(conflicts, Conflict{Name: name, Sources: inInputOrder(lines, bad), Reason: reason})
			continue
		}
		merged = append(merged, out...)
	}
	return merged, conflicts
}

// check returns why the lines cannot all hold, or "".
func check(lines []Line) string {
	url := ""
	hasSpec := false
	var spec pep440.Specifiers
	for _, l := range lines {
		if l.Req.URL != "" {
			if url != "" && url != l.Req.URL {
				return "different URLs"
			}
			url = l.Req.URL
		}
		if !l.Req.Specifier.IsEmpty() {
			hasSpec = true
		}
		s, err := spec.And(l.Req.Specifier)
		if err != nil {
			return err.Error()
		}
		spec = s
	}
	if url != "" && hasSpec {
		return "a URL requirement cannot be combined with version specifiers"
	}
	if !Satisfiable(spec) {
		return "no version satisfies " + spec.String()
	}
	return ""
}

// combine merges lines that passed check.
func combine(name string, lines []Line) *pep508.Requirement {
	r := &pep508.Requirement{Name: name, Marker: lines[0].Req.Marker}
	for _, l := range lines {
		for _, e := range l.Req.Extras {
			e = pep508.NormalizeName(e)
			if !slices.Contains(r.Extras, e) {
				r.Extras = append(r.Extras, e)
			}
		}
		r.Specifier, _ = r.Specifier.And(l.Req.Specifier) // cannot fail after check
		if l.Req.URL != "" {
			r.URL = l.Req.URL
		}
	}
	slices.Sort(r.Extras)
	return r
}

// inInputOrder returns the distinct lines of sub in the order of all.
func inInputOrder(all, sub []Line) []Line {
	var out []Line
	for _, l := range all {
		for _, s := range sub {
			if s.Req == l.Req && s.File == l.File && s.LineNo == l.LineNo {
				out = append(out, l)
				break
			}
		}
	}
	return out
}

// Satisfiable reports whether some version, found among candidates built
// around the versions the clauses mention, satisfies every clause of s
// (pre-releases admitted). See Merge for what this can and cannot tell.
func Satisfiable(s pep440.Specifiers) bool {
	for _, c := range candidates(s) {
		if s.ContainsString(c, pep440.PreAllow) {
			return true
		}
	}
	return false
}

// candidates returns the versions tested by Satisfiable, deduplicated, in
// no particular order.
func candidates(s pep440.Specifiers) []string {
	clauses := s.Clauses()
	var vs []pep440.Version
	seen := map[string]bool{}
	var out []string
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	add("0")
	maxLen := 1
	for _, c := range clauses {
		if c.Operator() == "===" {
			add(c.Version())
			continue
		}
		v, err := pep440.Parse(strings.TrimSuffix(c.Version(), ".*"))
		if err != nil {
			continue
		}
		vs = append(vs, v)
		maxLen = max(maxLen, len(v.Release()))
	}
	for _, v := range vs {
		for _, c := range around(v, maxLen) {
			add(c)
		}
	}
	return out
}

// parts is a version taken apart for building its neighbours.
type parts struct {
	epoch    uint64
	release  []uint64
	preLabel string
	preN     uint64
	hasPre   bool
	post     uint64
	hasPost  bool
	dev      uint64
	hasDev   bool
	local    string
}

func (p parts) String() string {
	var b strings.Builder
	if p.epoch != 0 {
		fmt.Fprintf(&b, "%d!", p.epoch)
	}
	for i, r := range p.release {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strconv.FormatUint(r, 10))
	}
	if p.hasPre {
		fmt.Fprintf(&b, "%s%d", p.preLabel, p.preN)
	}
	if p.hasPost {
		fmt.Fprintf(&b, ".post%d", p.post)
	}
	if p.hasDev {
		fmt.Fprintf(&b, ".dev%d", p.dev)
	}
	if p.local != "" {
		b.WriteString("+" + p.local)
	}
	return b.String()
}

// big stands for "any later number" in a segment.
const big = 999999999

// around returns v and versions close to it on either side. relLen is the
// longest release among the mentioned versions: a release padded past it
// with a trailing 1 lies above everything in v's release family and below
// every longer-mentioned greater release.
func around(v pep440.Version, relLen int) []string {
	p := parts{epoch: v.Epoch(), release: v.Release(), local: v.Local()}
	p.preLabel, p.preN, p.hasPre = v.Pre()
	p.post, p.hasPost = v.Post()
	p.dev, p.hasDev = v.Dev()

	var out []string
	add := func(q parts) { out = append(out, q.String()) }
	add(p)
	pub := p
	pub.local = ""
	add(pub)
	if p.local == "" {
		q := pub
		q.local = "0"
		add(q)
	}
	base := parts{epoch: p.epoch, release: p.release}
	add(base)
	for _, lbl := range []string{"a", "b", "rc"} {
		for _, n := range []uint64{0, big} {
			q := base
			q.preLabel, q.preN, q.hasPre = lbl, n, true
			add(q)
		}
	}
	// Step each segment of the public version up and down, or add it.
	if p.hasPre {
		for _, n := range []uint64{p.preN + 1, p.preN - 1} {
			if n == p.preN+1 || p.preN > 0 {
				q := pub
				q.preN = n
				add(q)
			}
		}
	}
	for _, n := range []uint64{0, p.post + 1, p.post - 1, big} {
		if n == p.post-1 && (!p.hasPost || p.post == 0) {
			continue
		}
		q := pub
		q.post, q.hasPost = n, true
		add(q)
		q.hasDev, q.dev = false, 0
		add(q)
	}
	for _, n := range []uint64{0, p.dev + 1, p.dev - 1} {
		if n == p.dev-1 && (!p.hasDev || p.dev == 0) {
			continue
		}
		q := pub
		q.dev, q.hasDev = n, true
		add(q)
	}
	if p.hasDev {
		q := pub
		q.hasDev, q.dev = false, 0
		add(q)
	}
	base.hasDev = true
	add(base) // R.dev0: the lowest version of the release
	base.hasDev = false

	// Just above the release family, and the next release at each level.
	up := base
	up.release = append(append(slices.Clone(p.release), make([]uint64, max(0, relLen-len(p.release)))...), 1)
	add(up)
	for k := 1; k <= len(p.release); k++ {
		q := base
		q.release = slices.Clone(p.release[:k])
		q.release[k-1]++
		add(q)
	}
	return out
}
