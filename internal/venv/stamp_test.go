package venv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sampleStamp() *Stamp {
	return &Stamp{
		Tool:       "influx-py 0.1.0",
		LockDigest: "sha256:abc",
		Interpreter: StampInterpreter{
			Path: "/p/.venv/bin/python", Version: "3.11.7", Identity: "cpython-3.11.7-linux-x86_64",
		},
		Backend:       "uv",
		BackendReason: "uv 0.7.2 found on PATH",
		Installed: []StampDist{
			{Name: "urllib3", Version: "2.2.1", SHA256: "bb", File: "urllib3-2.2.1-py3-none-any.whl"},
			{Name: "Charset_Normalizer", Version: "3.3.2", SHA256: "aa", File: "charset_normalizer-3.3.2-py3-none-any.whl"},
		},
		ListingDigest: "deadbeef",
		Time:          "2024-05-01T12:00:00Z",
	}
}

func TestStampRoundTrip(t *testing.T) {
	l := PosixLayout(t.TempDir())
	got, err := ReadStamp(l)
	if got != nil || err != nil {
		t.Fatalf("missing stamp: %v, %v", got, err)
	}
	in := sampleStamp()
	if err := WriteStamp(l, in); err != nil {
		t.Fatal(err)
	}
	if in.Schema != 0 || in.Installed[0].Name != "urllib3" {
		t.Error("WriteStamp modified its argument")
	}
	got, err = ReadStamp(l)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleStamp()
	want.Schema = StampSchema
	want.Installed[0], want.Installed[1] = want.Installed[1], want.Installed[0]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip:\n got  %+v\n want %+v", got, want)
	}
	data, _ := os.ReadFile(l.StampPath())
	for _, key := range []string{`"schema": 1`, `"lock_digest"`, `"listing_digest"`, `"backend_reason"`, `"identity"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("stamp file lacks %s:\n%s", key, data)
		}
	}
	// Equal input gives an equal file.
	if err := WriteStamp(l, sampleStamp()); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(l.StampPath())
	if string(again) != string(data) {
		t.Error("rewriting the same stamp changed the file")
	}
	if err := RemoveStamp(l); err != nil {
		t.Fatal(err)
	}
	if s, err := ReadStamp(l); s != nil || err != nil {
		t.Errorf("after RemoveStamp: %v, %v", s, err)
	}
	if err := RemoveStamp(l); err != nil {
		t.Errorf("removing a missing stamp: %v", err)
	}
}

func TestStampEmptyInstalled(t *testing.T) {
	l := PosixLayout(t.TempDir())
	if err := WriteStamp(l, &Stamp{Tool: "influx-py 0.1.0", Time: "2024-05-01T12:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(l.StampPath())
	if !strings.Contains(string(data), `"installed": []`) {
		t.Errorf("empty install list written as %s", data)
	}
	if s, err := ReadStamp(l); err != nil || s.Installed == nil || len(s.Installed) != 0 {
		t.Errorf("read back %+v, %v", s, err)
	}
}

func TestStampCorrupt(t *testing.T) {
	tests := []struct{ name, content, reason string }{
		{"empty file", "", "EOF"},
		{"truncated", `{"schema": 1, "tool": "influx-py`, "unexpected EOF"},
		{"not json", "hello", "invalid character"},
		{"wrong type", `{"schema": "1"}`, "cannot unmarshal"},
		{"no schema", `{"tool": "influx-py 0.1.0"}`, "schema 0"},
		{"future schema", `{"schema": 2}`, "schema 2"},
		{"trailing data", `{"schema": 1} {}`, "data after"},
		{"array", `[]`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		l := PosixLayout(t.TempDir())
		writeFile(t, l.StampPath(), tt.content)
		s, err := ReadStamp(l)
		var ce *CorruptStampError
		if s != nil || !errors.As(err, &ce) {
			t.Errorf("%s: got %v, %v; want a CorruptStampError", tt.name, s, err)
			continue
		}
		if ce.Path != l.StampPath() || !strings.Contains(err.Error(), "corrupt stamp") || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: error %q", tt.name, err)
		}
	}
	// A stamp that cannot be read at all is a failure, not corruption.
	l := PosixLayout(t.TempDir())
	if err := os.Mkdir(l.StampPath(), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := ReadStamp(l)
	var ce *CorruptStampError
	if err == nil || errors.As(err, &ce) {
		t.Errorf("stamp is a directory: err = %v", err)
	}
}

func TestWriteStampRefuses(t *testing.T) {
	l := PosixLayout(t.TempDir())
	if err := WriteStamp(l, nil); err == nil {
		t.Error("nil stamp written")
	}
	if err := WriteStamp(l, &Stamp{Schema: 7}); err == nil {
		t.Error("unknown schema written")
	}
	missing := PosixLayout(filepath.Join(t.TempDir(), "no-such-venv"))
	if err := WriteStamp(missing, sampleStamp()); err == nil {
		t.Error("stamp written into a missing venv")
	}
	if _, err := os.Stat(l.StampPath()); !errors.Is(err, os.ErrNotExist) {
		t.Error("a refused stamp left a file")
	}
}

func TestInstallingMarker(t *testing.T) {
	l := PosixLayout(t.TempDir())
	if on, err := Installing(l); on || err != nil {
		t.Fatalf("fresh venv: %v, %v", on, err)
	}
	if err := MarkInstalling(l, "sync by pid 42 at 2024-05-01T12:00:00Z"); err != nil {
		t.Fatal(err)
	}
	if on, err := Installing(l); !on || err != nil {
		t.Fatalf("after Mark: %v, %v", on, err)
	}
	m, ok, err := ReadMarker(l)
	if !ok || err != nil || m != (Marker{PhaseInstalling, "sync by pid 42 at 2024-05-01T12:00:00Z"}) {
		t.Errorf("marker %+v, %v, %v", m, ok, err)
	}
	if err := MarkCreating(l, "influx-py dev"); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := ReadMarker(l); !ok || err != nil || m != (Marker{PhaseCreating, "influx-py dev"}) {
		t.Errorf("marker %+v, %v, %v", m, ok, err)
	}
	// An older influx-py wrote its version alone, once the venv existed.
	if err := os.WriteFile(l.InstallingPath(), []byte("0.1.0"), 0o644); err != nil {
		t.Fatal(err)
	}
	if m, ok, err := ReadMarker(l); !ok || err != nil || m != (Marker{PhaseInstalling, "0.1.0"}) {
		t.Errorf("old marker %+v, %v, %v", m, ok, err)
	}
	if err := ClearInstalling(l); err != nil {
		t.Fatal(err)
	}
	if on, _ := Installing(l); on {
		t.Error("marker survives Clear")
	}
	if err := ClearInstalling(l); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
	if err := MarkInstalling(PosixLayout(filepath.Join(t.TempDir(), "missing")), "x"); err == nil {
		t.Error("marker written into a missing venv")
	}
}

func TestFingerprint(t *testing.T) {
	a := []StampDist{
		{Name: "Charset_Normalizer", Version: "3.3.2", SHA256: "AA", File: "/cache/a.whl"},
		{Name: "urllib3", Version: "2.2.1", SHA256: "bb", File: "/cache/b.whl"},
	}
	b := []StampDist{ // other order, paths, name spelling and digest case
		{Name: "urllib3", Version: "2.2.1", SHA256: "BB", File: `C:\other\b.whl`},
		{Name: "charset-normalizer", Version: "3.3.2", SHA256: "aa", File: "https://mirror/a.whl"},
	}
	fa := Fingerprint(a)
	if fa != Fingerprint(b) {
		t.Error("fingerprint depends on order, paths or spelling")
	}
	// Pin the format: sha256 of the sorted lines "name==version==sha256\n"
	// (value computed with Python's hashlib).
	if want := "bc4c2659698eb206f68b44827fbfac5b77c55a9be277340da24a21a4fa86ac7b"; fa != want {
		t.Errorf("Fingerprint = %s, want %s", fa, want)
	}
	if got := Fingerprint(nil); got != "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
		t.Errorf("empty fingerprint %s is not sha256 of nothing", got)
	}
	changed := []func([]StampDist){
		func(d []StampDist) { d[0].Version = "3.3.3" },
		func(d []StampDist) { d[1].SHA256 = "cc" },
		func(d []StampDist) { d[1].Name = "urllib4" },
	}
	for i, change := range changed {
		d := append([]StampDist(nil), a...)
		change(d)
		if Fingerprint(d) == fa {
			t.Errorf("change %d did not change the fingerprint", i)
		}
	}
	if Fingerprint(a[:1]) == fa {
		t.Error("dropping a distribution did not change the fingerprint")
	}
}

// FuzzDecodeStamp: a stamp is either refused or decodes to one that
// encodes back to the same values.
func FuzzDecodeStamp(f *testing.F) {
	good, err := json.Marshal(sampleStamp())
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(good), "{}", `{"schema": 1}`, `{"schema": 2}`, "", "null", `{"schema":1} {}`, `{"schema":1,"installed":[{}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := decodeStamp(data)
		if err != nil {
			return
		}
		if st.Schema != StampSchema {
			t.Fatalf("accepted schema %d", st.Schema)
		}
		// Encoding normalizes (invalid UTF-8 becomes U+FFFD); after that
		// one step, a stamp round-trips exactly.
		norm := func(s *Stamp) *Stamp {
			data, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeStamp(data)
			if err != nil {
				t.Fatalf("re-decoding %s: %v", data, err)
			}
			return back
		}
		once := norm(st)
		if twice := norm(once); !reflect.DeepEqual(once, twice) {
			t.Fatalf("round trip:\n%+v\n%+v", once, twice)
		}
	})
}

// FuzzFastDecodeStamp holds the fast decoder to encoding/json: whatever
// it accepts, encoding/json decodes to the same Stamp.
func FuzzFastDecodeStamp(f *testing.F) {
	good, err := json.MarshalIndent(sampleStamp(), "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{string(good), "{}", `{"schema": 1}`, `{"schema": 01}`, `{"schema": 1.0}`, `{"Schema": 1}`,
		`{"schema":1,"installed":[{}]}`, `{"installed":[{"name":"a"}],"installed":[{}]}`, `{"tool":"\u00e9"}`, `{"extra":{"a":"b","a":"c"}}`,
		`{"interpreter":{"path":"x"}} x`, `{"extra":{"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":"","l":"","m":"","a":"x"}}`, `{"tool":"caf` + "\xc3\xa9" + `"}`, `{"tool":"` + "\xff" + `"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := fastDecodeStamp(data)
		if !ok {
			return
		}
		slow, err := jsonDecodeStamp(data)
		if err != nil {
			t.Fatalf("fast decoder accepted what encoding/json refuses (%v): %q", err, data)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("decoders differ on %q:\nfast %+v\njson %+v", data, fast, slow)
		}
	})
}

// What WriteStamp writes is what the fast decoder reads: the no-op sync
// never pays for encoding/json's reflection.
func TestStampFastPath(t *testing.T) {
	l := NewLayout(t.TempDir(), "linux")
	st := sampleStamp()
	st.Extra = map[string]string{"_virtualenv.pth": "aaw9jyfm", "é.pth": "x"}
	for i := 0; i < 30; i++ {
		st.Extra[fmt.Sprintf("extra%02d.pth", i)] = "h"
	}
	if err := WriteStamp(l, st); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(l.StampPath())
	if err != nil {
		t.Fatal(err)
	}
	fast, ok := fastDecodeStamp(data)
	if !ok {
		t.Fatalf("the fast decoder refused a stamp WriteStamp wrote:\n%s", data)
	}
	slow, err := jsonDecodeStamp(data)
	if err != nil || !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast %+v\njson %+v (%v)", fast, slow, err)
	}
	if len(fast.Installed) != len(st.Installed) || fast.Extra["é.pth"] != "x" || len(fast.Extra) != 32 {
		t.Errorf("decoded %+v", fast)
	}
}

// BenchmarkDecodeStamp: the stamp of 1,000 distributions, as the no-op
// sync reads it and as encoding/json would.
func BenchmarkDecodeStamp(b *testing.B) {
	st := sampleStamp()
	st.Installed = nil
	for i := range 1000 {
		st.Installed = append(st.Installed, StampDist{
			Name: fmt.Sprintf("pkg%04d", i), Version: "1.0", File: fmt.Sprintf("pkg%04d-1.0-py3-none-any.whl", i),
			SHA256: strings.Repeat("ab", 32), Record: strings.Repeat("cd", 32),
		})
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := fastDecodeStamp(data); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		for b.Loop() {
			if _, err := jsonDecodeStamp(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
