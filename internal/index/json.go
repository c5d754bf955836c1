package index

import (
	"encoding/json"
	"fmt"
	"strings"
)

// simpleJSON is the part of a PEP 691 project page that locking needs.
type simpleJSON struct {
	Meta struct {
		APIVersion string `json:"api-version"`
	} `json:"meta"`
	Files []struct {
		Filename       string            `json:"filename"`
		URL            string            `json:"url"`
		Hashes         map[string]string `json:"hashes"`
		RequiresPython *string           `json:"requires-python"`
		Yanked         json.RawMessage   `json:"yanked"`
		Size           *int64            `json:"size"` // API 1.1 (PEP 700)
	} `json:"files"`
}

// parseJSON reads a PEP 691 project page. Only major version 1 of the API
// is understood; PEP 691 asks clients to refuse others.
func parseJSON(page []byte) ([]link, error) {
	var doc simpleJSON
	if err := json.Unmarshal(page, &doc); err != nil {
		return nil, fmt.Errorf("parse PEP 691 JSON: %w", err)
	}
	major, _, _ := strings.Cut(doc.Meta.APIVersion, ".")
	if major != "1" {
		return nil, fmt.Errorf("parse PEP 691 JSON: unsupported api-version %q", doc.Meta.APIVersion)
	}
	links := make([]link, 0, len(doc.Files))
	for _, f := range doc.Files {
		l := link{href: f.URL, filename: f.Filename, sha256: f.Hashes["sha256"], size: -1}
		if f.Size != nil && *f.Size >= 0 {
			l.size = *f.Size
		}
		if f.RequiresPython != nil {
			l.requiresPython = *f.RequiresPython
		}
		// yanked is false, true, or a string giving the reason.
		var b bool
		var reason string
		switch {
		case len(f.Yanked) == 0:
		case json.Unmarshal(f.Yanked, &b) == nil:
			l.yanked = b
		case json.Unmarshal(f.Yanked, &reason) == nil:
			l.yanked, l.yankedReason = true, reason
		default:
			return nil, fmt.Errorf("parse PEP 691 JSON: file %q: yanked is neither a boolean nor a string", f.Filename)
		}
		links = append(links, l)
	}
	return links, nil
}
