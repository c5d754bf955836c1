package fetch

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// NetrcPath is where credentials are read from: $NETRC, else ~/.netrc (the
// file pip, uv and curl read).
func NetrcPath() string {
	if p := os.Getenv("NETRC"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".netrc")
}

// Netrc adds the credentials of a netrc file to requests for its hosts:
// the one place influx-py takes credentials from, so that no lock has to
// carry them. A request that already has an Authorization header or
// userinfo in its URL is left as it is.
type Netrc struct {
	Base http.RoundTripper
	File string // "" means NetrcPath()

	once  sync.Once
	hosts map[string][2]string // machine -> login, password; "" for default
}

func (n *Netrc) RoundTrip(req *http.Request) (*http.Response, error) {
	base := n.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if req.Header.Get("Authorization") != "" || req.URL.User != nil {
		return base.RoundTrip(req)
	}
	n.once.Do(n.load)
	cred, ok := n.hosts[req.URL.Hostname()]
	if !ok {
		cred, ok = n.hosts[""]
	}
	if !ok {
		return base.RoundTrip(req)
	}
	r := req.Clone(req.Context())
	r.SetBasicAuth(cred[0], cred[1])
	return base.RoundTrip(r)
}

func (n *Netrc) load() {
	n.hosts = map[string][2]string{}
	file := n.File
	if file == "" {
		file = NetrcPath()
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return
	}
	n.hosts = ParseNetrc(string(data))
}

// ParseNetrc reads the machine, default, login and password tokens of a
// netrc file (macdef bodies are skipped).
func ParseNetrc(data string) map[string][2]string {
	out := map[string][2]string{}
	f := strings.Fields(data)
	machine, have := "", false
	var cred [2]string
	flush := func() {
		if have {
			if _, dup := out[machine]; !dup {
				out[machine] = cred
			}
		}
		have, cred = false, [2]string{}
	}
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case "machine":
			flush()
			if i+1 < len(f) {
				i++
				machine, have = f[i], true
			}
		case "default":
			flush()
			machine, have = "", true
		case "login":
			if i+1 < len(f) {
				i++
				cred[0] = f[i]
			}
		case "password":
			if i+1 < len(f) {
				i++
				cred[1] = f[i]
			}
		case "macdef":
			flush()
			// A macro runs to the next blank line; fields lose that, so
			// skip to the next machine or default.
			for i+1 < len(f) && f[i+1] != "machine" && f[i+1] != "default" {
				i++
			}
		}
	}
	flush()
	return out
}

// WithCredentials adds, to requests for their hosts, the credentials the
// URLs carry (an index URL the user typed with user:password@): this run
// may use them for every request to that host, though no URL it writes
// down carries them. Other requests go to base as they are.
func WithCredentials(base http.RoundTripper, urls []string) http.RoundTripper {
	hosts := map[string][2]string{}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			continue
		}
		pass, _ := u.User.Password()
		hosts[u.Hostname()] = [2]string{u.User.Username(), pass}
	}
	if len(hosts) == 0 {
		return base
	}
	n := &Netrc{Base: base, hosts: hosts}
	n.once.Do(func() {}) // the hosts are given, not read
	return n
}
