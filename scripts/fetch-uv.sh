#!/bin/sh
# fetch-uv.sh: install the uv release that influx-py pins, after checking the
# archive against the SHA-256 pinned below. For Dockerfiles and for staging
# uv on air-gapped hosts.
#
# usage: fetch-uv.sh DIR [TARGET]
#
#   DIR     where uv (and uvx) are installed; created if missing
#   TARGET  uv's target triple, e.g. x86_64-unknown-linux-musl; detected
#           from this system when omitted
#
# INFLUX_PY_UV_MIRROR replaces https://github.com/astral-sh/uv/releases/download
# (an artifact server inside an air-gapped site); the archive is fetched from
# $INFLUX_PY_UV_MIRROR/<version>/<archive> and must still match its pin.
#
# Needs curl or wget, sha256sum or shasum, and tar (unzip for Windows
# targets). The checksum is never skipped: without a SHA-256 tool the script
# fails. On any failure nothing is installed and the exit status is non-zero.
#
# The pins are kept equal to influx-py's (internal/uvbin) by a test.

set -eu

UV_VERSION=0.12.18
UV_PINS='
cf40e0c6a202190ccd9e0406dcfdd5b2d6668a9a5c779b17948963df32aafe5b  uv-aarch64-apple-darwin.tar.gz
2e4108f5395397c8bc5d43bf83d3bdbb2d0e92b90d0efa607756be704905fa33  uv-x86_64-apple-darwin.tar.gz
afb6291f3f0a6b4521fc67b947822506c41dde5b60d2189dd8f3695b2ac8c9e7  uv-aarch64-unknown-linux-gnu.tar.gz
89eadd7c76fc063887959510d5ba0ab1264dfd5f1143b925ddb73021a40acf16  uv-x86_64-unknown-linux-gnu.tar.gz
0796973fb3eea8095078c3d0659bd17a5f6789a71b8dd85caff2483178f78ac3  uv-aarch64-unknown-linux-musl.tar.gz
e38d97460b98ebfd31b197de0fe9fa578add4bc8ba0179b203dd3f87b99f98e6  uv-x86_64-unknown-linux-musl.tar.gz
cae6a3bc25239f83dffb467a4b180508d9da23986c04639ebfa44e43e6a84bff  uv-x86_64-pc-windows-msvc.zip
17f27b1c64eacc757ae603579f116a014881e486c5e79ae81877980d4699e943  uv-aarch64-pc-windows-msvc.zip
'

me=fetch-uv
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() {
	printf 'usage: %s DIR [TARGET]\n' "$0" >&2
	exit 2
}

# detect_target prints uv's target triple for this system.
detect_target() {
	os=$(uname -s)
	machine=$(uname -m)
	case $machine in
	x86_64 | amd64) arch=x86_64 ;;
	aarch64 | arm64) arch=aarch64 ;;
	*) die "no uv $UV_VERSION build is pinned for machine '$machine'; pass TARGET" ;;
	esac
	case $os in
	Linux)
		# The C library that runs the system's own shell decides: its ELF
		# interpreter names the musl or the glibc loader. A statically
		# linked shell says nothing; then a musl loader in /lib decides.
		libc=gnu
		if LC_ALL=C grep -q 'ld-musl-' /bin/sh 2>/dev/null; then
			libc=musl
		elif ! LC_ALL=C grep -q 'ld-linux' /bin/sh 2>/dev/null; then
			for f in /lib/ld-musl-*.so.1; do
				if [ -e "$f" ]; then libc=musl; fi
			done
		fi
		printf '%s\n' "$arch-unknown-linux-$libc"
		;;
	Darwin) printf '%s\n' "$arch-apple-darwin" ;;
	MINGW* | MSYS* | CYGWIN*) printf '%s\n' "$arch-pc-windows-msvc" ;;
	*) die "no uv $UV_VERSION build is pinned for system '$os'; pass TARGET" ;;
	esac
}

# pin_for prints "SHA256 ARCHIVE" for a target, or nothing.
pin_for() {
	printf '%s\n' "$UV_PINS" | while read -r sum name; do
		case $name in
		"uv-$1.tar.gz" | "uv-$1.zip") printf '%s %s\n' "$sum" "$name" ;;
		esac
	done
}

# sha256_of prints the SHA-256 of a file.
sha256_of() {
	if command -v sha256sum >/dev/null 2>&1; then
		out=$(sha256sum "$1") || return 1
	elif command -v shasum >/dev/null 2>&1; then
		out=$(shasum -a 256 "$1") || return 1
	else
		return 1
	fi
	printf '%s\n' "${out%% *}"
}

download() { # URL FILE
	if command -v curl >/dev/null 2>&1; then
		curl --fail --silent --show-error --location --retry 2 --output "$2" "$1"
	else
		wget --quiet --output-document="$2" "$1"
	fi
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage
dest=$1
[ -n "$dest" ] || usage
if [ $# -eq 2 ]; then
	target=$2
	detected=no
else
	target=$(detect_target)
	detected=yes
fi

pin=$(pin_for "$target")
[ -n "$pin" ] || die "no uv $UV_VERSION build is pinned for target '$target'"
want=${pin%% *}
archive=${pin#* }

# Refuse early rather than after the download.
if ! command -v sha256sum >/dev/null 2>&1 && ! command -v shasum >/dev/null 2>&1; then
	die "neither sha256sum nor shasum is installed; the checksum cannot be checked, so nothing is installed"
fi
if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
	die "neither curl nor wget is installed"
fi

base=${INFLUX_PY_UV_MIRROR:-https://github.com/astral-sh/uv/releases/download}
base=${base%/}
url="$base/$UV_VERSION/$archive"

mkdir -p "$dest" || die "cannot create $dest"
work=$(mktemp -d "$dest/.fetch-uv.XXXXXX") || die "cannot create a temporary folder in $dest"
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "downloading uv $UV_VERSION for $target from $url"
download "$url" "$work/$archive" || die "download of $url failed"

got=$(sha256_of "$work/$archive") || die "cannot compute the SHA-256 of $archive"
if [ "$got" != "$want" ]; then
	die "SHA-256 mismatch for $archive from $url: expected $want, got $got; nothing installed"
fi
say "sha256 $got matches the pin"

mkdir "$work/x"
case $archive in
*.tar.gz)
	main=uv extra=uvx
	# Only the two named members are extracted.
	(cd "$work/x" && tar -xzf "../$archive" "uv-$target/uv" "uv-$target/uvx") ||
		die "cannot extract uv from $archive"
	src="$work/x/uv-$target"
	;;
*.zip)
	main=uv.exe extra=uvx.exe
	command -v unzip >/dev/null 2>&1 || die "unzip is needed for $archive"
	unzip -q "$work/$archive" uv.exe uvx.exe -d "$work/x" || die "cannot extract uv from $archive"
	src="$work/x"
	;;
esac

for n in "$extra" "$main"; do
	if [ ! -f "$src/$n" ] || [ -L "$src/$n" ]; then
		die "$archive has no regular file $n"
	fi
	chmod 755 "$src/$n"
done

if [ "$detected" = yes ]; then
	# Built for this system: it must run and report the pinned version.
	v=$("$src/$main" --version 2>/dev/null) || die "the extracted uv does not run"
	case $v in
	"uv $UV_VERSION" | "uv $UV_VERSION "*) ;;
	*) die "the extracted uv reports '$v', want uv $UV_VERSION" ;;
	esac
fi

# Same filesystem, so each rename is atomic; uv goes last, so that a uv in
# DIR means the install is complete.
mv -f "$src/$extra" "$dest/$extra" || die "cannot install $dest/$extra"
mv -f "$src/$main" "$dest/$main" || die "cannot install $dest/$main"
say "installed uv $UV_VERSION in $dest"
printf '%s\n' "$dest/$main"
