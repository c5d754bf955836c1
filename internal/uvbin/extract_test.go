package uvbin

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeArchive(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// with returns a new slice of ms followed by more; ms is left alone.
func with(ms []member, more ...member) []member {
	return append(append([]member(nil), ms...), more...)
}

func TestExtractTarGz(t *testing.T) {
	top := "uv-" + testTarget + "/"
	good := releaseMembers(testTarget, Version)
	tests := []struct {
		name    string
		members []member
		want    []string // files written; nil with wantErr
		wantErr string   // substring of the ArchiveError
	}{
		{"release layout", good, []string{"uv", "uvx"}, ""},
		{"without the directory entry", good[1:], []string{"uv", "uvx"}, ""},
		{"uv alone", good[:2], []string{"uv"}, ""},
		{"dot-slash names", []member{{Name: "./" + top + "uv", Body: "x", Mode: 0o755}}, []string{"uv"}, ""},
		{"no uv", []member{good[0], good[2]}, nil, "no " + top + "uv"},
		{"dot-dot member", with(good, member{Name: "../x", Body: "evil"}), nil, `".." in path`},
		{"dot-dot inside the top folder", with(good, member{Name: top + "../../x", Body: "evil"}), nil, `".." in path`},
		{"absolute path", with(good, member{Name: "/tmp/x", Body: "evil"}), nil, "absolute path"},
		{"symlink member", with(good[:1], member{Name: top + "uv", Type: tar.TypeSymlink, Linkname: "/bin/sh"}), nil, "links are not extracted"},
		{"hard link member", with(good, member{Name: top + "uvw", Type: tar.TypeLink, Linkname: top + "uv"}), nil, "links are not extracted"},
		{"character device", with(good, member{Name: top + "tty", Type: tar.TypeChar}), nil, "unsupported member type"},
		{"fifo", with(good, member{Name: top + "fifo", Type: tar.TypeFifo}), nil, "unsupported member type"},
		{"unexpected member", with(good, member{Name: top + "README.md", Body: "hi"}), nil, "not a file of uv's release archive"},
		{"member of another target", []member{{Name: "uv-aarch64-apple-darwin/uv", Body: "x"}}, nil, "not a file of uv's release archive"},
		{"unexpected directory", with(good, member{Name: top + "lib/", Type: tar.TypeDir}), nil, "unexpected directory"},
		{"duplicate member", with(good, member{Name: top + "uv", Body: "again"}), nil, "appears twice"},
		{"backslash", with(good, member{Name: top + `..\x`, Body: "evil"}), nil, "backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			data := buildTarGz(t, tt.members)
			pin := testPin(testTarget, data)
			arc := writeArchive(t, tmp, pin.Archive, data)
			out := filepath.Join(tmp, "out")
			if err := os.Mkdir(out, 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := Extract(arc, pin, out)
			if tt.wantErr != "" {
				var ae *ArchiveError
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Extract = %v, %v; want an ArchiveError containing %q", got, err, tt.wantErr)
				}
				// Nothing outside out; what is inside is discarded by the caller.
				for _, p := range listTree(t, tmp) {
					if p != pin.Archive && p != "out" && !strings.HasPrefix(p, "out/") {
						t.Errorf("extraction left %s outside its folder", p)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract wrote %v, want %v", got, tt.want)
			}
			if tree := listTree(t, out); !reflect.DeepEqual(tree, tt.want) {
				t.Errorf("out holds %v, want %v", tree, tt.want)
			}
			fi, err := os.Stat(filepath.Join(out, "uv"))
			if err != nil || fi.Mode().Perm()&0o100 == 0 {
				t.Errorf("uv not executable: %v %v", fi, err)
			}
		})
	}
}

func TestExtractNotAnArchive(t *testing.T) {
	tmp := t.TempDir()
	for _, target := range []string{testTarget, "x86_64-pc-windows-msvc"} {
		pin := testPin(target, []byte("junk"))
		arc := writeArchive(t, tmp, pin.Archive, []byte("this is not an archive"))
		var ae *ArchiveError
		if _, err := Extract(arc, pin, tmp); !errors.As(err, &ae) {
			t.Errorf("%s: Extract(junk) = %v, want an ArchiveError", target, err)
		}
	}
	pin := Pin{Target: testTarget, Archive: "uv.tar.xz"}
	if _, err := Extract(filepath.Join(tmp, "x"), pin, tmp); err == nil {
		t.Error("an unknown archive format was accepted")
	}
}

// TestExtractWindowsZip checks the Windows layout (uv.exe, uvx.exe, uvw.exe
// at the root). The binaries cannot run here, so this is extraction only.
func TestExtractWindowsZip(t *testing.T) {
	const target = "x86_64-pc-windows-msvc"
	good := []member{{Name: "uv.exe", Body: "MZ uv"}, {Name: "uvx.exe", Body: "MZ uvx"}, {Name: "uvw.exe", Body: "MZ uvw"}}
	tests := []struct {
		name    string
		members []member
		want    []string
		wantErr string
	}{
		{"release layout", good, []string{"uv.exe", "uvw.exe", "uvx.exe"}, ""},
		{"uv.exe alone", good[:1], []string{"uv.exe"}, ""},
		{"no uv.exe", good[1:], nil, "no uv.exe"},
		{"in a folder", []member{{Name: "uv-" + target + "/uv.exe", Body: "MZ"}}, nil, "not a file of uv's release archive"},
		{"dot-dot", with(good, member{Name: "../uv.exe", Body: "MZ"}), nil, `".." in path`},
		{"absolute", with(good, member{Name: "/uv.exe", Body: "MZ"}), nil, "absolute path"},
		{"drive letter", with(good, member{Name: "C:uv.exe", Body: "MZ"}), nil, "absolute path"},
		{"backslash", with(good, member{Name: `sub\uv.exe`, Body: "MZ"}), nil, "backslash"},
		{"symlink", []member{{Name: "uv.exe", Linkname: "/bin/sh"}}, nil, "links are not extracted"},
		{"directory", with(good, member{Name: "sub/"}), nil, "not a regular file"},
		{"unexpected member", with(good, member{Name: "README.txt", Body: "hi"}), nil, "not a file of uv's release archive"},
		{"duplicate", with(good, member{Name: "uv.exe", Body: "MZ again"}), nil, "appears twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			data := buildZip(t, tt.members)
			pin := testPin(target, data)
			if pin.Archive != "uv-"+target+".zip" {
				t.Fatalf("test pin archive %s", pin.Archive)
			}
			arc := writeArchive(t, tmp, pin.Archive, data)
			out := filepath.Join(tmp, "out")
			os.Mkdir(out, 0o755)
			got, err := Extract(arc, pin, out)
			if tt.wantErr != "" {
				var ae *ArchiveError
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Extract = %v, %v; want an ArchiveError containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Extract wrote %v, want %v", got, tt.want)
			}
			body, _ := os.ReadFile(filepath.Join(out, "uv.exe"))
			if string(body) != "MZ uv" {
				t.Errorf("uv.exe holds %q", body)
			}
		})
	}
}

// FuzzExtractTarGz feeds arbitrary bytes as a release archive: extraction
// must never panic, and whatever it accepts, it writes only the expected
// file names into its folder and nothing elsewhere.
func FuzzExtractTarGz(f *testing.F) {
	top := "uv-" + testTarget + "/"
	good := releaseMembers(testTarget, Version)
	for _, ms := range [][]member{
		good,
		good[1:2],
		with(good, member{Name: "../x", Body: "evil"}),
		with(good, member{Name: top + "link", Type: tar.TypeSymlink, Linkname: "/etc/passwd"}),
		{{Name: "/abs", Body: "x"}},
	} {
		f.Add(buildTarGz(f, ms))
	}
	f.Add([]byte("\x1f\x8b\x08\x00garbage"))
	fuzzExtract(f, testTarget, "uv")
}

func FuzzExtractZip(f *testing.F) {
	const target = "x86_64-pc-windows-msvc"
	good := releaseMembers(target, Version)
	for _, ms := range [][]member{
		good,
		good[:1],
		with(good, member{Name: "../x.exe", Body: "evil"}),
		with(good, member{Name: `..\y.exe`, Body: "evil"}),
		{{Name: "C:/abs.exe", Body: "x"}},
	} {
		f.Add(buildZip(f, ms))
	}
	f.Add([]byte("PK\x03\x04garbage"))
	fuzzExtract(f, target, "uv.exe")
}

// fuzzExtract: whatever the archive, extraction writes nothing but the
// expected files into the output folder, and accepts no archive without
// the uv binary.
func fuzzExtract(f *testing.F, target, uv string) {
	f.Add([]byte{})
	uvx := strings.Replace(uv, "uv", "uvx", 1)
	f.Fuzz(func(t *testing.T, data []byte) {
		tmp := t.TempDir()
		pin := testPin(target, data)
		arc := writeArchive(t, tmp, pin.Archive, data)
		out := filepath.Join(tmp, "out")
		if err := os.Mkdir(out, 0o755); err != nil {
			t.Fatal(err)
		}
		// A small bound keeps each run fast; the bound itself is tested below.
		got, err := extract(arc, pin, out, 1<<20)
		for _, p := range listTree(t, tmp) {
			switch p {
			case pin.Archive, "out", "out/" + uv, "out/" + uvx:
			default:
				t.Fatalf("extraction wrote %s", p)
			}
		}
		if err == nil && (len(got) == 0 || got[0] != uv) {
			t.Fatalf("accepted an archive without %s: %v", uv, got)
		}
	})
}

// TestExtractBound: a member larger than the bound is refused, whether its
// header says so or its content turns out longer (a sparse file).
func TestExtractBound(t *testing.T) {
	top := "uv-" + testTarget + "/"
	tmp := t.TempDir()
	data := buildTarGz(t, []member{{Name: top + "uv", Body: strings.Repeat("x", 2000), Mode: 0o755}})
	pin := testPin(testTarget, data)
	arc := writeArchive(t, tmp, pin.Archive, data)
	for _, limit := range []int64{1999, 100} {
		out := t.TempDir()
		var ae *ArchiveError
		if _, err := extract(arc, pin, out, limit); !errors.As(err, &ae) || !strings.Contains(err.Error(), "too large") {
			t.Errorf("limit %d: %v, want too large", limit, err)
		}
	}
	if got, err := extract(arc, pin, t.TempDir(), 2000); err != nil || len(got) != 1 {
		t.Errorf("limit 2000: %v, %v", got, err)
	}
	// A zip member whose header understates its size is cut at the bound.
	zdata := buildZip(t, []member{{Name: "uv.exe", Body: strings.Repeat("y", 5000)}})
	zpin := testPin("x86_64-pc-windows-msvc", zdata)
	zarc := writeArchive(t, tmp, zpin.Archive, zdata)
	if _, err := extract(zarc, zpin, t.TempDir(), 4999); err == nil {
		t.Error("a zip member over the bound was accepted")
	}
}

// rawTarBlock is one 512-byte ustar header, built by hand because
// archive/tar's Writer will not write GNU sparse records.
func rawTarBlock(name string, typ byte, size int) []byte {
	b := make([]byte, 512)
	copy(b[0:], name)
	copy(b[100:], "0000755\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	copy(b[124:], fmt.Sprintf("%011o\x00", size))
	copy(b[136:], "00000000000\x00")
	b[156] = typ
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

func pad512(b []byte) []byte {
	if r := len(b) % 512; r != 0 {
		b = append(b, make([]byte, 512-r)...)
	}
	return b
}

// TestExtractRefusesSparse: a sparse member (PAX GNU sparse 1.0) could
// expand to far more than the archive holds; it is refused.
func TestExtractRefusesSparse(t *testing.T) {
	name := "uv-" + testTarget + "/uv"
	var recs strings.Builder
	for _, kv := range [][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.name", name}, {"GNU.sparse.realsize", "1000000"}} {
		body := " " + kv[0] + "=" + kv[1] + "\n"
		n := len(body) + 2
		if len(fmt.Sprint(n))+len(body) != n {
			n++
		}
		fmt.Fprintf(&recs, "%d%s", n, body)
	}
	// The data: a sparse map of one 4-byte region at offset 0, then the region.
	data := pad512([]byte("1\n0\n4\n"))
	data = append(data, pad512([]byte("#!/b"))...)
	var raw []byte
	raw = append(raw, rawTarBlock("PaxHeaders/uv", 'x', recs.Len())...)
	raw = append(raw, pad512([]byte(recs.String()))...)
	raw = append(raw, rawTarBlock("GNUSparseFile.0/uv", '0', len(data))...)
	raw = append(raw, data...)
	raw = append(raw, make([]byte, 1024)...)

	// archive/tar reads it as a sparse file of the real size.
	tr := tar.NewReader(bytes.NewReader(raw))
	h, err := tr.Next()
	if err != nil || h.Name != name || h.Size != 1000000 {
		t.Fatalf("hand-built sparse tar reads as %+v, %v", h, err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(raw)
	zw.Close()
	tmp := t.TempDir()
	pin := testPin(testTarget, buf.Bytes())
	arc := writeArchive(t, tmp, pin.Archive, buf.Bytes())
	out := t.TempDir()
	_, err = Extract(arc, pin, out)
	var ae *ArchiveError
	if !errors.As(err, &ae) || !strings.Contains(err.Error(), "sparse") {
		t.Errorf("sparse member: %v, want an ArchiveError about sparse files", err)
	}
	if got := listTree(t, out); len(got) != 0 {
		t.Errorf("wrote %v", got)
	}
}
