// Package redact keeps secrets out of what influx-py prints, logs and
// stores: the password of a URL's userinfo and the values of query
// parameters that carry tokens or signatures.
package redact

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// sensitive are query parameter names whose values are secrets (presigned
// URLs, token-authenticated indexes).
var sensitive = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?i)(token|secret|password|passwd|signature|sig|key|credential|auth)`)
})

// URL hides the password of raw's userinfo (the whole userinfo when it
// has no password: a lone user name is often a token) and the values of its sensitive
// query parameters. A string that is not a URL comes back as it is.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		return raw
	}
	if u.User == nil && !hasSensitive(u.RawQuery) {
		return raw
	}
	if hasSensitive(u.RawQuery) {
		q := u.Query()
		for k := range q {
			if sensitive().MatchString(k) {
				q[k] = []string{"xxxxx"}
			}
		}
		u.RawQuery = q.Encode()
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); !hasPassword {
			// A user name alone is often the token itself.
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

func hasSensitive(rawQuery string) bool {
	if rawQuery == "" {
		return false
	}
	for _, kv := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(kv, "=")
		if sensitive().MatchString(k) {
			return true
		}
	}
	return false
}

// HasSecret reports whether raw is a URL that carries userinfo or a
// sensitive query parameter.
func HasSecret(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme != "" && (u.User != nil || hasSensitive(u.RawQuery))
}

// Strip removes userinfo and sensitive query parameters from raw: the URL
// as it may be written down.
func Strip(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || !HasSecret(raw) {
		return raw
	}
	u.User = nil
	if hasSensitive(u.RawQuery) {
		q := u.Query()
		for k := range q {
			if sensitive().MatchString(k) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// urlRE finds URLs in text.
var urlRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>` + "`" + `]+`) })

// Text redacts every URL in s (an argument list, a child's message).
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlRE().ReplaceAllStringFunc(s, URL)
}
