package uvbin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strings"

	fetchpkg "github.com/influx-py/influx-py/internal/fetch"
)

// maxArchive bounds a download. uv's archives are a few tens of megabytes;
// a server sending more is not serving a uv release.
const maxArchive = 512 << 20

// archiveURL is <base>/<version>/<archive>. The base must be an http, https
// or file URL without a query or fragment: go-getter gives meaning to some
// query parameters (checksum, archive, filename) and to "//" in a path
// (a subdirectory), and none of that may come in through a mirror setting.
func archiveURL(base, version, archive string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("uv mirror %q: %w", base, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return "", fmt.Errorf("uv mirror %q: no host", base)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("uv mirror %q: a file URL names a local path (file:///dir)", base)
		}
		if u.Path == "" {
			return "", fmt.Errorf("uv mirror %q: no path", base)
		}
	default:
		return "", fmt.Errorf("uv mirror %q: want an http, https or file URL", base)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(base, "#") {
		return "", fmt.Errorf("uv mirror %q: a query or fragment is not allowed", base)
	}
	full := u.JoinPath(version, archive)
	s := full.String()
	if rest := s[len(full.Scheme)+len("://"):]; strings.Contains(rest, "//") {
		return "", fmt.Errorf("uv mirror %q: empty path segment", base)
	}
	return s, nil
}

// fetch downloads src into the file dst through the fetch layer, at most
// maxArchive bytes, and returns the archive's sha256. Failures that mean "uv
// cannot be had" (unreachable, a status other than 200, a body cut short)
// come back as *UnavailableError; anything else is returned as it is.
func (m *Manager) fetch(ctx context.Context, src, dst string, progress func(int64) io.Writer) (string, error) {
	limit := m.maxBytes
	if limit <= 0 {
		limit = maxArchive
	}
	c := &fetchpkg.Client{HTTP: m.HTTP, UserAgent: "influx-py (uv " + m.version() + ")"}
	res, err := c.File(ctx, src, dst, fetchpkg.Options{Size: -1, Max: limit, Progress: progress})
	if err == nil {
		return res.SHA256, nil
	}
	var (
		status *fetchpkg.StatusError
		gone   *fetchpkg.UnreachableError
		short  *fetchpkg.CutShortError
		large  *fetchpkg.TooLargeError
	)
	shown := fetchpkg.Redact(src)
	switch {
	case errors.As(err, &large):
		return "", fmt.Errorf("%s: larger than %d bytes", shown, limit)
	case errors.As(err, &status):
		return "", &UnavailableError{Reason: fmt.Sprintf("HTTP %d %s from %s", status.Code, http.StatusText(status.Code), shown)}
	case errors.As(err, &gone):
		if errors.Is(gone.Err, fs.ErrNotExist) {
			return "", &UnavailableError{Reason: "not found at " + shown, Err: gone.Err}
		}
		return "", &UnavailableError{Reason: "cannot reach " + shown, Err: gone.Err}
	case errors.As(err, &short):
		return "", &UnavailableError{Reason: "download of " + shown + " cut short", Err: short.Err}
	}
	return "", err
}
