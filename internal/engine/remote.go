package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/influx-py/influx-py/internal/fetch"
	"github.com/influx-py/influx-py/internal/fsutil"
)

// Remote sources (see package fetch) are made local at the edge of each
// verb, so that everything below works on files: a lock is fetched into
// <cache>/remote/<key>/, an archive or a git repository is unpacked or
// cloned there, and a remote folder (https, an S3 prefix) is left for the
// fetch layer, which takes from it by name only the files a sync needs.
// The lock's hashes check whatever arrives, whatever the transport.
//
// --offline keeps influx-py away from indexes, the lock's URLs and uv's
// release host; a source the user names on the command line is fetched
// from where it says, offline or not: on an air-gapped site that is the
// site's own object store.

// maxRemoteFile bounds a lock or a status report fetched from a source.
const maxRemoteFile = 64 << 20

// remoteDir is the cache folder for a source.
func remoteDir(cacheDir, src string) (string, error) {
	if cacheDir == "" {
		return "", fmt.Errorf("%s: no cache directory to fetch into", fetch.Redact(src))
	}
	sum := sha256.Sum256([]byte(src))
	return filepath.Join(cacheDir, "remote", hex.EncodeToString(sum[:12])), nil
}

// remoteFile fetches the file source src into the cache and returns its
// path there; a local path is returned as it is.
func (e *Engine) remoteFile(ctx context.Context, cacheDir, src, name string) (string, error) {
	if !fetch.IsRemote(src) {
		return src, nil
	}
	if err := e.trustCache(cacheDir); err != nil {
		return "", err
	}
	dir, err := remoteDir(cacheDir, src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	dst := filepath.Join(dir, name)
	e.logf("fetching %s", fetch.Redact(src))
	if err := (&fetch.Client{HTTP: e.HTTP}).GetFile(ctx, src, dst, maxRemoteFile); err != nil {
		return "", &SourceError{Source: fetch.Redact(src), Err: err}
	}
	return dst, nil
}

// SourceError is a source named on the command line that could not be
// fetched.
type SourceError struct {
	Source string // redacted
	Err    error
}

func (e *SourceError) Error() string {
	if e.NotFound() {
		return e.Source + ": not found"
	}
	msg := e.Err.Error()
	if strings.Contains(msg, e.Source) {
		return msg
	}
	return fmt.Sprintf("%s: %s", e.Source, msg)
}

func (e *SourceError) Unwrap() error { return e.Err }

// NotFound reports a source that answered that there is no such thing.
func (e *SourceError) NotFound() bool {
	var gone *fetch.UnreachableError
	var st *fetch.StatusError
	return errors.As(e.Err, &gone) && errors.Is(gone.Err, fs.ErrNotExist) || errors.As(e.Err, &st) && st.Code == 404
}

// findLinkSources splits --find-links into local folders (archives and
// git repositories fetched into the cache among them) and remote folders
// read by name. whole also fetches remote folders whole (resolution
// lists them); an https folder stays a URL there, which pip and uv read
// as a page of links.
func (e *Engine) findLinkSources(ctx context.Context, cacheDir string, findLinks []string, whole bool) (local, remote []string, err error) {
	for _, fl := range findLinks {
		switch {
		case !fetch.IsRemote(fl):
			local = append(local, fl)
		case fetch.IsArchive(fl) || fetch.IsGit(fl) || whole && fetch.IsS3(fl):
			d, err := e.remoteFolder(ctx, cacheDir, fl)
			if err != nil {
				return nil, nil, err
			}
			local = append(local, d)
		case whole:
			u := strings.TrimPrefix(strings.TrimPrefix(fl, "http::"), "https::")
			if _, err := url.Parse(u); err != nil {
				return nil, nil, fmt.Errorf("--find-links %s: %w", fetch.Redact(fl), err)
			}
			local = append(local, u)
		default:
			remote = append(remote, fl)
		}
	}
	return local, remote, nil
}

// remoteFolder fetches an archive, a git repository or an S3 prefix into
// the cache, once per engine (one command): a folder found complete from
// an earlier run is used again only when the source pins its content
// (checksum=), else fetched anew, since a branch or a prefix moves.
func (e *Engine) remoteFolder(ctx context.Context, cacheDir, src string) (string, error) {
	if d, ok := e.fetched[src]; ok {
		return d, nil
	}
	if err := e.trustCache(cacheDir); err != nil {
		return "", err
	}
	dir, err := remoteDir(cacheDir, src)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", err
	}
	unlock, err := fsutil.Lock(ctx, dir+".lock")
	if err != nil {
		return "", err
	}
	defer unlock()
	out := filepath.Join(dir, "tree")
	pinned := strings.Contains(src, "checksum=")
	if _, err := os.Stat(out); err == nil && pinned {
		e.logf("using %s, fetched before from %s", out, fetch.Redact(src))
	} else {
		e.logf("fetching %s", fetch.Redact(src))
		next := out + ".new"
		os.RemoveAll(next)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		if err := (&fetch.Client{HTTP: e.HTTP}).GetDir(ctx, src, next); err != nil {
			os.RemoveAll(next)
			return "", &SourceError{Source: fetch.Redact(src), Err: err}
		}
		os.RemoveAll(out)
		if err := os.Rename(next, out); err != nil {
			return "", err
		}
	}
	// An archive that holds one folder (a wheelhouse packed with its
	// name) is that folder.
	if ents, err := os.ReadDir(out); err == nil && len(ents) == 1 && ents[0].IsDir() {
		out = filepath.Join(out, ents[0].Name())
	}
	if e.fetched == nil {
		e.fetched = map[string]string{}
	}
	e.fetched[src] = out
	return out, nil
}

// ReadOnlyLockError is a lock from a remote source given to a command
// that writes the lock.
type ReadOnlyLockError struct{ Source string }

func (e *ReadOnlyLockError) Error() string {
	return fmt.Sprintf("the lock %s is a remote source, which influx-py reads but does not write", e.Source)
}
