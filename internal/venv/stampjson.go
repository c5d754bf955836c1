package venv

import (
	"unicode/utf8"
)

// fastDecodeStamp decodes the stamps WriteStamp writes without
// encoding/json, whose reflection costs 3 ms for the stamp of 1,000
// distributions: most of a no-op sync's own work at that size. It
// accepts a strict subset of JSON (the known keys, each once, spelled
// exactly; strings without escapes; a small integer schema) and reports
// false for anything else, which encoding/json then decodes: whatever
// this accepts, encoding/json decodes to the same Stamp (a fuzz test
// holds it to that).
func fastDecodeStamp(data []byte) (*Stamp, bool) {
	// One copy of the text, of which every decoded string is a part.
	p := stampParser{data: data, text: string(data)}
	s := &Stamp{}
	ok := p.object(func(key string) bool {
		switch key {
		case "schema":
			n, ok := p.smallInt()
			s.Schema = n
			return ok
		case "tool":
			return p.str(&s.Tool)
		case "lock_digest":
			return p.str(&s.LockDigest)
		case "backend":
			return p.str(&s.Backend)
		case "backend_reason":
			return p.str(&s.BackendReason)
		case "listing_digest":
			return p.str(&s.ListingDigest)
		case "time":
			return p.str(&s.Time)
		case "interpreter":
			in := &s.Interpreter
			return p.object(func(key string) bool {
				switch key {
				case "path":
					return p.str(&in.Path)
				case "version":
					return p.str(&in.Version)
				case "identity":
					return p.str(&in.Identity)
				}
				return false
			})
		case "installed":
			s.Installed = []StampDist{}
			return p.array(func() bool {
				var d StampDist
				ok := p.object(func(key string) bool {
					switch key {
					case "name":
						return p.str(&d.Name)
					case "version":
						return p.str(&d.Version)
					case "sha256":
						return p.str(&d.SHA256)
					case "file":
						return p.str(&d.File)
					case "record":
						return p.str(&d.Record)
					}
					return false
				})
				s.Installed = append(s.Installed, d)
				return ok
			})
		case "extra":
			s.Extra = map[string]string{}
			return p.object(func(key string) bool {
				var v string
				ok := p.str(&v)
				s.Extra[key] = v
				return ok
			})
		}
		return false
	})
	p.space()
	if !ok || p.i != len(data) {
		return nil, false
	}
	return s, true
}

type stampParser struct {
	data []byte
	text string
	i    int
}

func (p *stampParser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *stampParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.data) && p.data[p.i] == c {
		p.i++
		return true
	}
	return false
}

// object reads {"key": value, ...}, value read by member; a key seen
// twice is refused (encoding/json would merge the two values).
func (p *stampParser) object(member func(key string) bool) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	// The keys so far: on the stack for the few of a stamp's objects, in
	// a map for a long "extra".
	var few [12]string
	var many map[string]bool
	n := 0
	for {
		var key string
		if !p.str(&key) || !p.eat(':') {
			return false
		}
		if n < len(few) {
			for _, k := range few[:n] {
				if k == key {
					return false
				}
			}
			few[n] = key
		} else {
			if many == nil {
				many = map[string]bool{}
				for _, k := range few {
					many[k] = true
				}
			}
			if many[key] {
				return false
			}
			many[key] = true
		}
		n++
		if !member(key) {
			return false
		}
		if p.eat('}') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

func (p *stampParser) array(elem func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// str reads a string without escapes, of valid UTF-8.
func (p *stampParser) str(dst *string) bool {
	if !p.eat('"') {
		return false
	}
	start, ascii := p.i, true
	for ; p.i < len(p.data); p.i++ {
		switch c := p.data[p.i]; {
		case c == '"':
			b := p.data[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(b) {
				return false
			}
			*dst = p.text[start : p.i-1]
			return true
		case c == '\\' || c < 0x20:
			return false
		case c >= 0x80:
			ascii = false
		}
	}
	return false
}

// smallInt reads 0 or a number of up to nine digits without a sign,
// fraction or exponent.
func (p *stampParser) smallInt() (int, bool) {
	p.space()
	n, digits := 0, 0
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		if digits > 0 && n == 0 || digits == 9 {
			return 0, false
		}
		n = n*10 + int(p.data[p.i]-'0')
		digits++
		p.i++
	}
	if digits == 0 || p.i < len(p.data) && (p.data[p.i] == '.' || p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		return 0, false
	}
	return n, true
}
