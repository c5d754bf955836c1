package engine

import (
	"encoding/json"
	"testing"
)

// FuzzParseStatus: another node's status is refused or read; what is read
// compares with itself as equal (no difference from a node to itself).
func FuzzParseStatus(f *testing.F) {
	good, _ := json.Marshal(&Status{Fingerprint: "ab", PythonVersion: "3.11.7", Installed: nil})
	for _, s := range []string{string(good), "{}", `{"fingerprint":"x","installed":[{"name":"A_b","version":"1","sha256":"c"}]}`, "null", `{"fingerprint":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatus(data)
		if err != nil {
			return
		}
		if st.Fingerprint == "" {
			t.Fatal("accepted a status without a fingerprint")
		}
		for _, d := range CompareStatus(st, st) {
			// Two entries of one name (spelled differently) may differ;
			// anything else of a node against itself is a bug.
			if d.What == "python" || d.What == "lock" || d.What == "fingerprint" {
				t.Fatalf("a status differs from itself: %+v", d)
			}
		}
	})
}
