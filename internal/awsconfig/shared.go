package awsconfig

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// section is one [section] of a shared file: its properties, keys in
// lower case, and its sub-properties ("s3 =" followed by indented lines)
// by the parent key.
type section struct {
	props map[string]string
	sub   map[string]map[string]string
}

func (s *section) get(key string) string {
	if s == nil {
		return ""
	}
	return s.props[key]
}

// subGet is the sub-property key under parent ("s3", "sts").
func (s *section) subGet(parent, key string) string {
	if s == nil {
		return ""
	}
	return s.sub[parent][key]
}

// sharedFile is a parsed AWS shared config or credentials file: sections
// by their names as written between the brackets, spaces folded.
type sharedFile map[string]*section

// parseShared reads the INI dialect of ~/.aws/config and
// ~/.aws/credentials as the AWS SDKs do: "#" and ";" start comments (at
// the start of a line, or after white space), keys are case-insensitive,
// a property with an empty value takes the indented lines below it as
// its sub-properties, and other indented lines continue the value above.
func parseShared(name string, data []byte) (sharedFile, error) {
	f := sharedFile{}
	var cur *section
	var lastKey string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		raw := sc.Text()
		line := strings.TrimSpace(stripComment(raw))
		if line == "" {
			continue
		}
		indented := raw[0] == ' ' || raw[0] == '\t'
		switch {
		case strings.HasPrefix(line, "["):
			end := strings.Index(line, "]")
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: a section without its closing ]", name, n)
			}
			title := strings.Join(strings.Fields(line[1:end]), " ")
			if cur = f[title]; cur == nil {
				cur = &section{props: map[string]string{}, sub: map[string]map[string]string{}}
				f[title] = cur
			}
			lastKey = ""
		case cur == nil:
			return nil, fmt.Errorf("%s:%d: a property before any [section]", name, n)
		case indented && lastKey != "" && cur.props[lastKey] == "":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want key = value under %s", name, n, lastKey)
			}
			m := cur.sub[lastKey]
			if m == nil {
				m = map[string]string{}
				cur.sub[lastKey] = m
			}
			m[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		case indented && lastKey != "":
			cur.props[lastKey] += "\n" + line
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want key = value, got %q", name, n, line)
			}
			lastKey = strings.ToLower(strings.TrimSpace(k))
			cur.props[lastKey] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return f, nil
}

func stripComment(s string) string {
	for i := 0; i < len(s); i++ {
		if (s[i] == '#' || s[i] == ';') && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

// readShared parses the file at path; a missing file is an empty one.
func readShared(path string) (sharedFile, error) {
	if path == "" {
		return sharedFile{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return sharedFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("AWS shared file: %w", err)
	}
	return parseShared(path, data)
}

// profiles holds both shared files.
type profiles struct {
	config, credentials   sharedFile
	configPath, credsPath string
}

// profile is the named profile, the credentials file's properties over
// the config file's, or nil when neither file has it. The config file
// names it [profile NAME], except the default ([default] or
// [profile default]).
func (p *profiles) profile(name string) *section {
	var fromConfig *section
	if s := p.config["profile "+name]; s != nil {
		fromConfig = s
	} else if name == "default" {
		fromConfig = p.config["default"]
	}
	fromCreds := p.credentials[name]
	if fromConfig == nil && fromCreds == nil {
		return nil
	}
	out := &section{props: map[string]string{}, sub: map[string]map[string]string{}}
	for _, s := range []*section{fromConfig, fromCreds} {
		if s == nil {
			continue
		}
		for k, v := range s.props {
			out.props[k] = v
		}
		for k, m := range s.sub {
			out.sub[k] = m
		}
	}
	return out
}

// services is the [services NAME] section a profile points at.
func (p *profiles) services(name string) *section {
	if name == "" {
		return nil
	}
	return p.config["services "+name]
}
