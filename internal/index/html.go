package index

import (
	"bytes"
	"html"
	"strings"
)

// link is one file reference on an index page, before it is resolved.
type link struct {
	href           string // as written (entities decoded), possibly relative
	filename       string // from the JSON form; "" means take it from the URL
	sha256         string // from the JSON form's hashes
	size           int64  // -1 when unknown
	requiresPython string
	yanked         bool
	yankedReason   string
}

// parseHTML reads the anchors of a PEP 503 page, and the href of a <base>
// element if there is one. It is not a full HTML parser: the simple API
// allows nothing but anchors in a body, so it scans for <a> and <base>
// start tags and reads their attributes the way HTML tokenizes them
// (quoted, unquoted or bare, names case-insensitive, the first of a
// repeated attribute winning), skipping comments, and the contents of
// <script>, <style>, <title> and <textarea>, whose text is not markup.
// Anchors without an href are dropped.
func parseHTML(page []byte) (links []link, base string) {
	s := page
	for {
		i := bytes.IndexByte(s, '<')
		if i < 0 {
			return links, base
		}
		s = s[i+1:]
		if bytes.HasPrefix(s, []byte("!--")) {
			end := bytes.Index(s[3:], []byte("-->"))
			if end < 0 {
				return links, base
			}
			s = s[3+end+3:]
			continue
		}
		name, rest := tagName(s)
		if name == "" {
			continue
		}
		attrs, rest, ok := readAttrs(rest)
		if !ok {
			return links, base
		}
		s = rest
		switch name {
		case "a":
			href, ok := attrs.get("href")
			if !ok {
				continue
			}
			l := link{href: href, size: -1}
			l.requiresPython, _ = attrs.get("data-requires-python")
			l.yankedReason, l.yanked = attrs.get("data-yanked")
			links = append(links, l)
		case "base":
			if href, ok := attrs.get("href"); ok && base == "" {
				base = href
			}
		case "script", "style", "title", "textarea":
			// Raw text up to the matching end tag.
			end := indexFold(s, "</"+name)
			if end < 0 {
				return links, base
			}
			s = s[end:]
		}
	}
}

// tagName reads the lower-cased name of a start tag at the beginning of s
// (just after "<"); "" when s does not start a start tag.
func tagName(s []byte) (string, []byte) {
	i := 0
	for i < len(s) && isASCIILetterDigit(s[i], i > 0) {
		i++
	}
	if i == 0 {
		return "", s
	}
	return strings.ToLower(string(s[:i])), s[i:]
}

func isASCIILetterDigit(c byte, digitOK bool) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || digitOK && '0' <= c && c <= '9'
}

type attrList []attr

type attr struct{ name, value string }

// get returns the value of the first attribute called name.
func (a attrList) get(name string) (string, bool) {
	for _, x := range a {
		if x.name == name {
			return x.value, true
		}
	}
	return "", false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

// readAttrs reads attributes up to and including the tag's closing ">",
// returning them with character references decoded, and the input after
// the tag. ok is false when the page ends inside the tag, which HTML then
// drops.
func readAttrs(s []byte) (attrs attrList, rest []byte, ok bool) {
	i := 0
	for {
		for i < len(s) && (isSpace(s[i]) || s[i] == '/') {
			i++
		}
		if i >= len(s) {
			return nil, nil, false
		}
		if s[i] == '>' {
			return attrs, s[i+1:], true
		}
		// Attribute name: up to white space, "/", ">" or "=" (an "=" in
		// first position belongs to the name, as HTML has it).
		start := i
		i++
		for i < len(s) && !isSpace(s[i]) && s[i] != '/' && s[i] != '>' && s[i] != '=' {
			i++
		}
		name := strings.ToLower(string(s[start:i]))
		j := i
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			attrs = append(attrs, attr{name: name})
			i = j
			continue
		}
		j++
		for j < len(s) && isSpace(s[j]) {
			j++
		}
		var raw []byte
		switch {
		case j < len(s) && (s[j] == '"' || s[j] == '\''):
			q := s[j]
			end := bytes.IndexByte(s[j+1:], q)
			if end < 0 {
				return nil, nil, false
			}
			raw = s[j+1 : j+1+end]
			i = j + 1 + end + 1
		default:
			k := j
			for k < len(s) && !isSpace(s[k]) && s[k] != '>' {
				k++
			}
			raw = s[j:k]
			i = k
		}
		attrs = append(attrs, attr{name: name, value: html.UnescapeString(string(raw))})
	}
}

// indexFold is bytes.Index for an ASCII needle, ignoring case.
func indexFold(s []byte, needle string) int {
	n, b := len(needle), []byte(needle)
	for i := 0; i+n <= len(s); i++ {
		if bytes.EqualFold(s[i:i+n], b) {
			return i
		}
	}
	return -1
}
