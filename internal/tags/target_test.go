package tags

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
)

// The expectations below are facts about pypa/packaging 26.4.dev0 (commit
// 053c884, the commit the shared vectors were taken from): its sys_tags()
// was run with its inputs (sysconfig, platform, glibc/musl detection, ELF
// checks, _manylinux module) replaced by the values of each target, and the
// resulting list recorded as its length, the SHA-256 of its tags joined by
// "\n", and a few positions worth reading.
func TestSupportedMatchesPackaging(t *testing.T) {
	x86 := func(minor, glibc int) Target {
		return Target{Implementation: "cpython", Major: 3, Minor: minor, Pymalloc: true,
			System: "Linux", Platform: "linux-x86_64", Machine: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: glibc}
	}
	mod := func(t Target, f func(*Target)) Target { f(&t); return t }
	armhf := &ELF{Class: 1, Data: 1, Machine: 40, Flags: 0x05000400}
	tests := []struct {
		name   string
		target Target
		n      int
		digest string
		at     map[int]string
		absent []string
	}{
		{"linux glibc 2.17 cp311", x86(11, 17), 439, "b50520c056479127e569c3ee2dd7832720a3054d03d7cad38f64b47b30458d41",
			map[int]string{0: "cp311-cp311-linux_x86_64", 1: "cp311-cp311-manylinux_2_17_x86_64", 2: "cp311-cp311-manylinux2014_x86_64", 16: "cp311-cp311-manylinux1_x86_64", 17: "cp311-abi3-linux_x86_64", 221: "py3-none-linux_x86_64", 425: "cp311-none-any", 438: "py30-none-any"},
			[]string{"cp311-cp311-manylinux_2_18_x86_64", "cp311-cp311-musllinux_1_2_x86_64"}},
		{"linux glibc 2.36 cp312", x86(12, 36), 987, "558a42e4297ba066935ea33adabb36d9c764161695016b26bdbc1e5fc45faaf7",
			map[int]string{0: "cp312-cp312-linux_x86_64", 1: "cp312-cp312-manylinux_2_36_x86_64", 21: "cp312-cp312-manylinux2014_x86_64", 35: "cp312-cp312-manylinux1_x86_64", 36: "cp312-abi3-linux_x86_64", 504: "py3-none-linux_x86_64", 972: "cp312-none-any", 986: "py30-none-any"},
			[]string{"cp312-cp312-manylinux_2_4_x86_64", "cp312-cp312-manylinux_2_37_x86_64"}},
		{"linux musl 1.2 cp312", mod(x86(12, 0), func(t *Target) { t.Libc, t.LibcMajor, t.LibcMinor = "musl", 1, 2 }), 123, "0c96c9a381029c8630b245b79e51e4f7ca07a193c9edee05258c9d7800b98c04",
			map[int]string{0: "cp312-cp312-linux_x86_64", 1: "cp312-cp312-musllinux_1_2_x86_64", 3: "cp312-cp312-musllinux_1_0_x86_64", 4: "cp312-abi3-linux_x86_64", 56: "py3-none-linux_x86_64", 108: "cp312-none-any", 122: "py30-none-any"},
			[]string{"cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64"}},
		{"linux aarch64 glibc 2.31 cp310", mod(x86(10, 31), func(t *Target) { t.Platform, t.Machine = "linux-aarch64", "aarch64" }), 404, "83ce1acb305bbc111a8d483d7b678195451b1a473a0436abcd1a742d30df85f3",
			map[int]string{0: "cp310-cp310-linux_aarch64", 15: "cp310-cp310-manylinux_2_17_aarch64", 16: "cp310-cp310-manylinux2014_aarch64", 17: "cp310-abi3-linux_aarch64", 204: "py3-none-linux_aarch64", 391: "cp310-none-any", 403: "py30-none-any"},
			[]string{"cp310-cp310-manylinux_2_16_aarch64", "cp310-cp310-manylinux1_aarch64"}},
		{"linux 32-bit on x86_64 cp39", mod(x86(9, 28), func(t *Target) { t.Is32Bit, t.ELF = true, &ELF{Class: 1, Data: 1, Machine: 3} }), 600, "549cfb5634394e7dd9ed2c733a5b0190084350a1eaedee1d9153b3ad7eea3222",
			map[int]string{0: "cp39-cp39-linux_i686", 1: "cp39-cp39-manylinux_2_28_i686", 13: "cp39-cp39-manylinux2014_i686", 27: "cp39-cp39-manylinux1_i686", 28: "cp39-abi3-linux_i686", 308: "py3-none-linux_i686", 588: "cp39-none-any", 599: "py30-none-any"},
			[]string{"cp39-cp39-linux_x86_64"}},
		{"linux 32-bit i686 without i386 executable", mod(x86(9, 28), func(t *Target) { t.Is32Bit = true }), 33, "6372ed3b057686448cfb8e5364daba3e72040d2aee6c9bf5e88fb9b39d8712d3",
			map[int]string{0: "cp39-cp39-linux_i686", 1: "cp39-abi3-linux_i686", 2: "cp39-none-linux_i686"}, []string{"cp39-cp39-manylinux1_i686"}},
		{"linux armv8l hard-float cp311", mod(x86(11, 31), func(t *Target) { t.Platform, t.Machine, t.Is32Bit, t.ELF = "linux-aarch64", "aarch64", true, armhf }), 864, "7039395de2557c8c7c566e410b921ebcddb71e4791a6c8aabfb654f9e8a0bc56",
			map[int]string{0: "cp311-cp311-linux_armv8l", 1: "cp311-cp311-linux_armv7l", 17: "cp311-cp311-manylinux2014_armv8l", 18: "cp311-cp311-manylinux_2_31_armv7l", 34: "cp311-abi3-linux_armv8l", 442: "py3-none-linux_armv8l", 850: "cp311-none-any", 863: "py30-none-any"},
			[]string{"cp311-cp311-linux_aarch64"}},
		{"linux armv8l soft-float cp311", mod(x86(11, 31), func(t *Target) { t.Platform, t.Machine, t.Is32Bit = "linux-aarch64", "aarch64", true }), 64, "d25ad758b2a7d4a207283684259ff5726c59bb68a3de7e27736c05e4f77d48ff",
			map[int]string{0: "cp311-cp311-linux_armv8l", 2: "cp311-abi3-linux_armv8l", 26: "py3-none-linux_armv8l", 50: "cp311-none-any", 63: "py30-none-any"},
			[]string{"cp311-cp311-manylinux_2_17_armv7l"}},
		{"linux riscv64 musl 1.1 cp313", mod(x86(13, 0), func(t *Target) {
			t.Platform, t.Machine, t.Libc, t.LibcMajor, t.LibcMinor = "linux-riscv64", "riscv64", "musl", 1, 1
		}), 103, "ca775af8ed8d3cdfb4511bdd0315a56ad558d78a97c59fe2c0613f6d3cd17b7a",
			map[int]string{0: "cp313-cp313-linux_riscv64", 2: "cp313-cp313-musllinux_1_0_riscv64", 3: "cp313-abi3-linux_riscv64", 45: "py3-none-linux_riscv64", 87: "cp313-none-any", 102: "py30-none-any"}, nil},
		{"linux armv6l has no manylinux", mod(x86(11, 31), func(t *Target) { t.Platform, t.Machine = "linux-armv6l", "armv6l" }), 39, "32eea90569831f3ef9eb23a170840091ecb44d22042099de136067c850252f35",
			map[int]string{0: "cp311-cp311-linux_armv6l", 1: "cp311-abi3-linux_armv6l", 13: "py3-none-linux_armv6l", 25: "cp311-none-any", 38: "py30-none-any"}, nil},
		{"linux debug cp311d", mod(x86(11, 36), func(t *Target) { t.Debug = true }), 950, "570ae86d384b46a64e16e6868119c8ab93ff6d383850f65b57704a6feeed0f50",
			map[int]string{0: "cp311-cp311d-linux_x86_64", 35: "cp311-cp311d-manylinux1_x86_64", 36: "cp311-cp311-linux_x86_64", 72: "cp311-abi3-linux_x86_64", 504: "py3-none-linux_x86_64", 936: "cp311-none-any", 949: "py30-none-any"}, nil},
		{"linux free-threaded cp313t", mod(x86(13, 39), func(t *Target) { t.FreeThreaded = true }), 1147, "b0854921259b18940273d33fef7ca7a6c80f3f0b5fd4f2cb925f54cd2f061130",
			map[int]string{0: "cp313-cp313t-linux_x86_64", 38: "cp313-cp313t-manylinux1_x86_64", 39: "cp313-abi3t-linux_x86_64", 585: "py3-none-linux_x86_64", 1131: "cp313-none-any", 1146: "py30-none-any"},
			[]string{"cp313-abi3-linux_x86_64", "cp313-cp313-linux_x86_64"}},
		{"linux cp37m", x86(7, 24), 418, "8ad41542354f156f3f78bc4b7651ac5f54e249779c89dfe64f53467cd9ca4525",
			map[int]string{0: "cp37-cp37m-linux_x86_64", 23: "cp37-cp37m-manylinux1_x86_64", 24: "cp37-abi3-linux_x86_64", 216: "py3-none-linux_x86_64", 408: "cp37-none-any", 417: "py30-none-any"},
			[]string{"cp37-cp37-linux_x86_64"}},
		{"linux cp37 debug without pymalloc", mod(x86(7, 24), func(t *Target) { t.Debug, t.Pymalloc = true, false }), 418, "bc029619666924bcdace030fb7f40df7e9afa84fa8442b25cdfae12445d81986",
			map[int]string{0: "cp37-cp37d-linux_x86_64", 24: "cp37-abi3-linux_x86_64", 408: "cp37-none-any"},
			[]string{"cp37-cp37-linux_x86_64", "cp37-cp37dm-linux_x86_64"}},
		{"linux glibc 3.1 cp312", mod(x86(12, 0), func(t *Target) { t.LibcMajor, t.LibcMinor = 3, 1 }), 1419, "09389c666e5af40b5adc1e1a5dfaa06a4f51cb341a345581b1cc005513a53662",
			map[int]string{0: "cp312-cp312-linux_x86_64", 1: "cp312-cp312-manylinux_3_1_x86_64", 3: "cp312-cp312-manylinux_2_50_x86_64", 37: "cp312-cp312-manylinux2014_x86_64", 52: "cp312-abi3-linux_x86_64", 1404: "cp312-none-any"}, nil},
		{"linux _manylinux module denies 2.17 and 2.5", mod(x86(11, 28), func(t *Target) {
			t.ManylinuxOverride = map[string]bool{"manylinux_2_17_x86_64": false, "manylinux_2_5_x86_64": false, "manylinux_2_12_x86_64": true}
		}), 614, "f6e13b343b0e4e607183bfb29543e1f4f852d48e3fe99541bfcc6c6830b74671",
			map[int]string{0: "cp311-cp311-linux_x86_64", 1: "cp311-cp311-manylinux_2_28_x86_64", 24: "cp311-abi3-linux_x86_64", 312: "py3-none-linux_x86_64", 600: "cp311-none-any", 613: "py30-none-any"},
			[]string{"cp311-cp311-manylinux_2_17_x86_64", "cp311-cp311-manylinux2014_x86_64", "cp311-cp311-manylinux1_x86_64"}},
		{"linux pypy 3.10", mod(x86(10, 35), func(t *Target) {
			t.Implementation, t.VersionNodot, t.ExtSuffix = "pypy", "310", ".pypy310-pp73-x86_64-linux-gnu.so"
		}), 503, "f429ef1d314186c2d73b79f8faf85fd7e1aa2183f885c70b1349e3be5fddc3b7",
			map[int]string{0: "pp310-pypy310_pp73-linux_x86_64", 20: "pp310-pypy310_pp73-manylinux2014_x86_64", 35: "pp310-none-linux_x86_64", 105: "py3-none-linux_x86_64", 490: "pp3-none-any", 502: "py30-none-any"},
			[]string{"pp310-abi3-linux_x86_64"}},
		{"linux graalpy 3.11", mod(x86(11, 35), func(t *Target) {
			t.Implementation, t.VersionNodot, t.ExtSuffix = "graalpy", "311", ".graalpy-311-native-x86_64-linux.so"
		}), 538, "daf86905a702fa7e214ac7a8998c9d8e3a84257dc0564a98228c81375dbc7d9e",
			map[int]string{0: "graalpy311-graalpy_311_native-linux_x86_64", 105: "py3-none-linux_x86_64", 525: "py311-none-any", 537: "py30-none-any"}, nil},
		{"macos x86_64 10.15 cp38", Target{Implementation: "cpython", Major: 3, Minor: 8, System: "Darwin", Platform: "macosx-10.9-x86_64", Machine: "x86_64", MacMajor: 10, MacMinor: 15}, 1379, "c0b7bcf40c8c891872a3a81b40c8391a58185d3c9970249e9ac15479603f7b19",
			map[int]string{0: "cp38-cp38-macosx_10_15_x86_64", 1: "cp38-cp38-macosx_10_15_intel", 4: "cp38-cp38-macosx_10_15_universal2", 72: "cp38-abi3-macosx_10_15_x86_64", 720: "py3-none-macosx_10_15_x86_64", 1368: "cp38-none-any", 1378: "py30-none-any"},
			[]string{"cp38-cp38-macosx_10_3_x86_64"}},
		{"macos x86_64 14.0 cp312", Target{Implementation: "cpython", Major: 3, Minor: 12, System: "Darwin", Platform: "macosx-10.9-universal2", Machine: "x86_64", MacMajor: 14}, 2769, "e0641c174f9be8adacf0c32aa8cd83ed6784f3f3552c2a304d8326554c149d07",
			map[int]string{0: "cp312-cp312-macosx_14_0_x86_64", 4: "cp312-cp312-macosx_14_0_universal2", 102: "cp312-abi3-macosx_14_0_x86_64", 1428: "py3-none-macosx_14_0_x86_64", 2754: "cp312-none-any", 2768: "py30-none-any"},
			[]string{"cp312-cp312-macosx_14_2_x86_64", "cp312-cp312-macosx_10_3_x86_64"}},
		{"macos arm64 14.2 cp313", Target{Implementation: "cpython", Major: 3, Minor: 13, System: "Darwin", Platform: "macosx-11.0-arm64", Machine: "arm64", MacMajor: 14, MacMinor: 2}, 625, "3d380bbf1c669654f7e6c330a14c75cba7cba5bfe7dff27ea44f0d3e84d6b05c",
			map[int]string{0: "cp313-cp313-macosx_14_0_arm64", 1: "cp313-cp313-macosx_14_0_universal2", 21: "cp313-abi3-macosx_14_0_arm64", 315: "py3-none-macosx_14_0_arm64", 609: "cp313-none-any", 624: "py30-none-any"},
			[]string{"cp313-cp313-macosx_10_16_arm64", "cp313-cp313-macosx_14_0_x86_64"}},
		{"macos 32-bit i386 cp36m", Target{Implementation: "cpython", Major: 3, Minor: 6, Pymalloc: true, System: "Darwin", Platform: "macosx-10.6-intel", Machine: "x86_64", Is32Bit: true, MacMajor: 10, MacMinor: 12}, 684, "93d3ecfacdbe8f2f91b79ab6689492c45eb3ed3c943eff0ddedafc143a343273",
			map[int]string{0: "cp36-cp36m-macosx_10_12_i386", 45: "cp36-abi3-macosx_10_12_i386", 360: "py3-none-macosx_10_12_i386", 675: "cp36-none-any", 683: "py30-none-any"}, nil},
		{"windows amd64 cp311", Target{Implementation: "cpython", Major: 3, Minor: 11, System: "Windows", Platform: "win-amd64", Machine: "AMD64"}, 39, "25fe279013c781dedea3dca88901ef7767812646d92d19f48c8565374a81bdbe",
			map[int]string{0: "cp311-cp311-win_amd64", 1: "cp311-abi3-win_amd64", 2: "cp311-none-win_amd64", 3: "cp310-abi3-win_amd64", 11: "cp32-abi3-win_amd64", 13: "py3-none-win_amd64", 25: "cp311-none-any", 38: "py30-none-any"}, nil},
		{"windows win32 cp37m", Target{Implementation: "cpython", Major: 3, Minor: 7, Pymalloc: true, System: "Windows", Platform: "win32", Machine: "AMD64"}, 27, "f0e023ec7ad704224d5f133be68a9ba180cdcbcff77365396c264e91355933e7",
			map[int]string{0: "cp37-cp37m-win32", 1: "cp37-abi3-win32", 9: "py3-none-win32", 17: "cp37-none-any", 26: "py30-none-any"}, nil},
		{"windows arm64 debug cp312d", Target{Implementation: "cpython", Major: 3, Minor: 12, Debug: true, System: "Windows", Platform: "win-arm64", Machine: "ARM64"}, 43, "c04602b8e6f93c9173ea3cda11a7d8114c9c3c844068320a3b064808fc73e731",
			map[int]string{0: "cp312-cp312d-win_arm64", 1: "cp312-cp312-win_arm64", 2: "cp312-abi3-win_arm64", 28: "cp312-none-any", 42: "py30-none-any"}, nil},
		{"ios 17.2 arm64 cp313", Target{Implementation: "cpython", Major: 3, Minor: 13, System: "iOS", Platform: "ios-13.0-arm64-iphoneos", Machine: "arm64", IOSMajor: 17, IOSMinor: 2, Multiarch: "arm64-iphoneos"}, 1553, "0578cf2512484ef8ec6762d6a0f7b7a812b2621801729f7866c431a90d2a3c4d",
			map[int]string{0: "cp313-cp313-ios_17_2_arm64_iphoneos", 3: "cp313-cp313-ios_16_9_arm64_iphoneos", 53: "cp313-abi3-ios_17_2_arm64_iphoneos", 1537: "cp313-none-any"}, nil},
		{"android api 30 arm64 cp313", Target{Implementation: "cpython", Major: 3, Minor: 13, System: "Android", Platform: "android-24-arm64_v8a", Machine: "aarch64", AndroidAPILevel: 30}, 451, "30c0b398791d854a82f03b92d1b601df79b8465ba23cbbe8f5583d79cae22211",
			map[int]string{0: "cp313-cp313-android_30_arm64_v8a", 14: "cp313-cp313-android_16_arm64_v8a", 15: "cp313-abi3-android_30_arm64_v8a", 435: "cp313-none-any"}, nil},
		{"emscripten cp313", Target{Implementation: "cpython", Major: 3, Minor: 13, System: "Emscripten", Platform: "emscripten-3.1.58-wasm32", Machine: "wasm32", EmscriptenVersion: "2025_0"}, 74, "390cd56da34ca168074ed39089eabc9f1fc029acde103b312b7883abe923d308",
			map[int]string{0: "cp313-cp313-pyemscripten_2025_0_wasm32", 1: "cp313-cp313-emscripten_3_1_58_wasm32", 58: "cp313-none-any"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Supported(tc.target)
			strs := make([]string, len(got))
			for i, g := range got {
				strs[i] = g.String()
			}
			if len(got) != tc.n {
				t.Errorf("%d tags, want %d", len(got), tc.n)
			}
			if tc.digest != "" {
				if d := fmt.Sprintf("%x", sha256.Sum256([]byte(strings.Join(strs, "\n")))); d != tc.digest {
					t.Errorf("digest %s, want %s", d, tc.digest)
				}
			}
			for i, want := range tc.at {
				if i >= len(strs) || strs[i] != want {
					t.Errorf("tag %d: want %s", i, want)
				}
			}
			for _, a := range tc.absent {
				for i, s := range strs {
					if s == a {
						t.Errorf("tag %d is %s, which must be absent", i, a)
					}
				}
			}
			// Every tag is unique: a duplicate would mean a generator bug.
			seen := map[Tag]int{}
			for i, g := range got {
				if j, dup := seen[g]; dup {
					t.Errorf("tag %s at %d and %d", g, j, i)
				}
				seen[g] = i
			}
		})
	}
}

func TestCompatible(t *testing.T) {
	target := Target{Implementation: "cpython", Major: 3, Minor: 11, System: "Linux", Platform: "linux-x86_64",
		Machine: "x86_64", Libc: "glibc", LibcMajor: 2, LibcMinor: 36}
	ix := NewIndex(Supported(target))
	rank := func(name string) (int, bool) {
		w, err := ParseWheelFilename(name)
		if err != nil {
			t.Fatal(err)
		}
		a, aok := target.Compatible(w.Tags)
		b, bok := ix.Best(w.Tags)
		if a != b || aok != bok {
			t.Fatalf("%s: Compatible %d %v, Index %d %v", name, a, aok, b, bok)
		}
		return a, aok
	}
	order := []string{
		"x-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
		"x-1-cp37-abi3-manylinux_2_17_x86_64.whl",
		"x-1-py3-none-manylinux_2_5_x86_64.whl",
		"x-1-cp311-none-any.whl",
		"x-1-py2.py3-none-any.whl",
	}
	prev := -1
	for _, name := range order {
		r, ok := rank(name)
		if !ok || r <= prev {
			t.Errorf("%s: rank %d ok=%v, want supported and worse than %d", name, r, ok, prev)
		}
		prev = r
	}
	for _, name := range []string{
		"x-1-cp312-cp312-manylinux_2_17_x86_64.whl",
		"x-1-cp311-cp311-musllinux_1_1_x86_64.whl",
		"x-1-cp311-cp311-manylinux_2_37_x86_64.whl",
		"x-1-cp311-cp311-win_amd64.whl",
		"x-1-py2-none-any.whl",
	} {
		if r, ok := rank(name); ok {
			t.Errorf("%s: supported at %d, want unsupported", name, r)
		}
	}
}
