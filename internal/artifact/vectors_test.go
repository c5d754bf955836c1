package artifact

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/influx-py/influx-py/internal/testvec"
)

type sha256Vectors struct {
	Files []struct {
		File   string `json:"file"`
		Size   int64  `json:"size"`
		SHA256 string `json:"sha256"`
	} `json:"files"`
	Strings []struct {
		InputHex string `json:"input_hex"`
		SHA256   string `json:"sha256"`
	} `json:"strings"`
	MismatchCases []struct {
		File     string `json:"file"`
		Recorded string `json:"recorded"`
		Actual   string `json:"actual"`
	} `json:"mismatch_cases"`
}

// Real files with the digests pip's authors recorded for them verify, and the
// deliberately wrong digest of pip's invalid-hash lock is caught.
func TestVectorsSHA256(t *testing.T) {
	var v sha256Vectors
	testvec.Load(t, "sha256.json", &v)
	dir := testvec.Dir(t)
	fe := &Fetcher{Offline: true, Within: []string{dir}}
	pass := 0
	for _, f := range v.Files {
		p, _ := filepath.Abs(filepath.Join(dir, f.File))
		r := Request{Name: filepath.Base(f.File), Package: f.File, Path: p, Size: f.Size, SHA256: f.SHA256, URL: "http://127.0.0.1:1/x"}
		res, err := fe.Fetch(context.Background(), []Request{r})
		if err != nil || res[0].Source != SourcePath {
			t.Errorf("%s: %v", f.File, err)
			continue
		}
		pass++
	}
	for i, s := range v.Strings {
		data, err := hex.DecodeString(s.InputHex)
		if err != nil {
			t.Fatal(err)
		}
		// Under an sdist's name: a lock path is read only under one.
		p := filepath.Join(t.TempDir(), "blob-0.tar.gz")
		os.WriteFile(p, data, 0o644)
		r := Request{Name: "blob-0.tar.gz", Package: "blob", Path: p, Size: int64(len(data)), SHA256: s.SHA256}
		if _, err := fe.Fetch(context.Background(), []Request{r}); err != nil {
			t.Errorf("string %d: %v", i, err)
			continue
		}
		pass++
	}
	for _, m := range v.MismatchCases {
		p, _ := filepath.Abs(filepath.Join(dir, m.File))
		r := Request{Name: filepath.Base(m.File), Package: m.File, Path: p, Size: -1, SHA256: m.Recorded}
		_, err := fe.Fetch(context.Background(), []Request{r})
		var h *HashMismatchError
		if !errors.As(err, &h) || h.Expected != m.Recorded || h.Actual != m.Actual {
			t.Errorf("%s: got %v, want mismatch %s vs %s", m.File, err, m.Recorded, m.Actual)
			continue
		}
		pass++
	}
	total := len(v.Files) + len(v.Strings) + len(v.MismatchCases)
	t.Logf("sha256 vectors: %d/%d pass (%d files, %d strings, %d mismatch cases)",
		pass, total, len(v.Files), len(v.Strings), len(v.MismatchCases))
	if total == 0 {
		t.Error("no vectors loaded")
	}
}
