#!/usr/bin/env bash
# fetch-pip.sh: fetch the pip wheel that Debian ships in python3-pip-whl,
# without installing anything system-wide. For machines whose only registry
# is a Debian mirror (no PyPI): the wheel is a complete pip that any Python
# >= 3.10 can run straight from the zip (python pip-*.whl/pip ...) or install
# into a venv made with --without-pip:
#
#   whl=$(scripts/fetch-pip.sh /tmp/pipwhl)
#   python3 -m venv --without-pip /tmp/venv
#   /tmp/venv/bin/python "$whl/pip" install --no-index "$whl"
#
# usage: fetch-pip.sh DIR
#
#   DIR  where the wheel is put; created if missing. The private APT state
#        (config, sources list, lists, cache, the .deb) lives in
#        DIR/.fetch-pip and may be deleted afterwards.
#
# Prints the wheel's absolute path on stdout; everything else goes to stderr.
# A wheel already in DIR is reused without touching the network.
#
# Environment (all optional):
#   FETCH_PIP_DEB_VERSION  Debian version to fetch (default 26.2.2+dfsg-1);
#                          empty means whatever the suite has
#   FETCH_PIP_MIRROR       Debian mirror (default http://deb.debian.org/debian,
#                          the one this machine's /etc/apt/sources.list.d uses)
#   FETCH_PIP_SUITE        suite (default sid)
#   FETCH_PIP_KEYRING      keyring the suite's Release file is checked against
#                          (default /usr/share/keyrings/debian-archive-keyring.gpg)
#   FETCH_PIP_PYTHON       Python used for the smoke test (default python3;
#                          the test is skipped if it is missing or < 3.10)
#
# About de-vendoring: Debian's python3-pip (the /usr/bin/pip package) is
# de-vendored, but python3-pip-whl is built with pip/_vendor re-filled from
# Debian's own python3-* packages, so the wheel is self-contained: its
# pip/_vendor/__init__.py has DEBUNDLED = False and every package listed in
# pip/_vendor/vendor.txt is inside the wheel (checked for 26.2.2+dfsg-1).
# The package depends only on ca-certificates: Debian patches the vendored
# certifi so that certifi.where() is /etc/ssl/certs/ca-certificates.crt.
# That matters only for HTTPS indexes (pip's default truststore uses the
# system store anyway); offline use (--no-index) needs nothing else. The
# script checks DEBUNDLED and refuses a wheel that would need other
# python3-*-whl packages at run time rather than hand back a broken pip.

set -euo pipefail

PKG=python3-pip-whl
DEB_VERSION=${FETCH_PIP_DEB_VERSION-26.2.2+dfsg-1}
MIRROR=${FETCH_PIP_MIRROR:-http://deb.debian.org/debian}
SUITE=${FETCH_PIP_SUITE:-sid}
KEYRING=${FETCH_PIP_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
PYTHON=${FETCH_PIP_PYTHON:-python3}

me=fetch-pip
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || {
	printf 'usage: %s DIR\n' "$0" >&2
	exit 2
}

mkdir -p "$1" || die "cannot create $1"
# Absolute, so that the printed path works from any directory and so that
# APT (which is run from another cwd) sees the same paths.
dest=$(cd "$1" && pwd -P)

# The wheel's name follows from the Debian version: 26.2.2+dfsg-1 ships
# pip-26.2.2-py3-none-any.whl (+dfsg only marks a repacked upstream tarball).
if [ -n "$DEB_VERSION" ]; then
	upstream=${DEB_VERSION#*:}
	upstream=${upstream%%+*}
	upstream=${upstream%-*}
	pattern="pip-$upstream-*.whl"
else
	pattern="pip-*.whl"
fi

# Idempotence: a wheel already here is reused. It was moved in atomically by
# an earlier run, so its presence means it is complete.
shopt -s nullglob
existing=("$dest"/$pattern)
shopt -u nullglob
if [ ${#existing[@]} -gt 0 ]; then
	say "reusing ${existing[-1]}"
	printf '%s\n' "${existing[-1]}"
	exit 0
fi

for tool in apt-get dpkg-deb dpkg; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is needed (this script only works on Debian-like systems)"
done
[ -r "$KEYRING" ] || die "keyring $KEYRING not found (install debian-archive-keyring or set FETCH_PIP_KEYRING)"

# A private APT root: its own config, sources list, state, lists and cache,
# so that nothing under /etc/apt or /var/lib/apt is read or written, and no
# root is needed. APT_CONFIG is read first; it points Dir::Etc (and so
# apt.conf, apt.conf.d, sources.list.d, preferences, trusted.gpg) at our own
# empty tree, so no snippet in /etc/apt/apt.conf.d applies either.
work=$dest/.fetch-pip
etc=$work/etc
mkdir -p "$etc/apt.conf.d" "$etc/sources.list.d" "$etc/preferences.d" "$etc/trusted.gpg.d" \
	"$work/state/lists/partial" "$work/cache/archives/partial" "$work/debs" ||
	die "cannot create the APT tree under $work"
# An empty dpkg status: apt must not know (or care) what is installed here.
: >"$work/status"

# Only this one suite; Signed-By pins the keyring instead of trusting
# whatever trusted.gpg.d holds.
printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$MIRROR" "$SUITE" >"$etc/sources.list"

arch=$(dpkg --print-architecture)
cat >"$work/apt.conf" <<EOF
Dir::Etc "$etc";
Dir::Etc::main "apt.conf";
Dir::Etc::parts "apt.conf.d";
Dir::State "$work/state";
Dir::State::status "$work/status";
Dir::Cache "$work/cache";
// Native architecture only: the package is Architecture: all, which sid
// lists in the per-architecture Packages files; foreign architectures that
// dpkg knows about would only cost downloads.
APT::Architecture "$arch";
APT::Architectures { "$arch"; };
// No Translation-* files: only Packages is needed.
Acquire::Languages "none";
// The private dirs belong to the invoking user; with the default sandbox
// user (_apt) root's downloads would need those dirs chowned to _apt, and
// apt-get download warns that it runs unsandboxed anyway.
APT::Sandbox::User "$(id -un)";
// The mirror this machine reaches can be a frozen copy whose Release file
// is past its Valid-Until. The signature is still checked against the
// keyring above; only the freshness limit is lifted, and the version is
// pinned below, so a stale index cannot hand us another pip.
Acquire::Check-Valid-Until "false";
EOF
export APT_CONFIG=$work/apt.conf

say "apt-get update ($MIRROR $SUITE main) into $work"
if ! apt-get -q update >"$work/update.log" 2>&1; then
	cat "$work/update.log" >&2
	die "apt-get update failed for $MIRROR $SUITE (no network to the mirror, or the keyring cannot verify the suite)"
fi
# apt-get update exits 0 on some fetch failures; they show up as W:/E: lines.
if grep -q '^[WE]:' "$work/update.log"; then
	grep '^[WE]:' "$work/update.log" >&2
	die "apt-get update reported errors for $MIRROR $SUITE"
fi

candidate=$(apt-cache policy "$PKG" | awk '/Candidate:/ {print $2}')
if [ -z "$candidate" ] || [ "$candidate" = "(none)" ]; then
	die "$PKG is not in $MIRROR $SUITE main"
fi
if [ -n "$DEB_VERSION" ]; then
	# Collected first: grep -q quitting early would break the pipe, and
	# pipefail would then report a miss.
	versions=$(apt-cache madison "$PKG" | awk -F'|' '{gsub(/ /, "", $2); print $2}')
	if ! grep -qxF "$DEB_VERSION" <<<"$versions"; then
		die "$PKG $DEB_VERSION is not in $MIRROR $SUITE (it has $candidate); set FETCH_PIP_DEB_VERSION=$candidate, or empty, to take it"
	fi
	want=$DEB_VERSION
else
	want=$candidate
fi

say "downloading $PKG $want"
rm -f "$work/debs/"*.deb
# apt-get download writes into the current directory and checks the .deb
# against the SHA256 in the (signed) Packages index.
(cd "$work/debs" && apt-get -q download "$PKG=$want" >&2) || die "apt-get download $PKG=$want failed"
deb=$(ls "$work/debs/"*.deb)

rm -rf "$work/x"
dpkg-deb -x "$deb" "$work/x" || die "cannot extract $deb"
shopt -s nullglob
wheels=("$work/x/usr/share/python-wheels/"pip-*.whl)
shopt -u nullglob
[ ${#wheels[@]} -eq 1 ] || die "$deb holds ${#wheels[@]} pip wheels under usr/share/python-wheels, want exactly 1"
whl=${wheels[0]}
name=${whl##*/}
if [ -n "$DEB_VERSION" ]; then
	# shellcheck disable=SC2053 # $pattern is a glob on purpose
	[[ $name == $pattern ]] || die "$deb holds $name, expected $pattern"
fi

# De-vendoring check (see the header): a DEBUNDLED pip imports its vendored
# libraries from other wheels in /usr/share/python-wheels, which this script
# does not fetch. Refuse such a wheel instead of returning a pip that fails.
read_member() { # ZIP MEMBER: print one member of a zip file
	if command -v unzip >/dev/null 2>&1; then
		unzip -p "$1" "$2"
	elif command -v "$PYTHON" >/dev/null 2>&1; then
		"$PYTHON" -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"
	else
		return 1
	fi
}
init=$(read_member "$whl" pip/_vendor/__init__.py) || die "cannot read pip/_vendor/__init__.py from $name (needs unzip or $PYTHON)"
if ! grep -qx 'DEBUNDLED = False' <<<"$init"; then
	die "$name is de-vendored (pip/_vendor/__init__.py does not say DEBUNDLED = False): it needs the python3-*-whl packages of its vendored libraries at run time, which this script does not fetch"
fi

# Smoke test where a suitable Python exists: the wheel must run from the
# zip and report its own version. -I keeps the user's site and PYTHON*
# variables out of it.
if command -v "$PYTHON" >/dev/null 2>&1 &&
	"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
	ver=$("$PYTHON" -I "$whl/pip" --version 2>&1) || die "$name does not run with $PYTHON: $ver"
	v=${name#pip-}
	v=${v%%-*}
	case $ver in
	"pip $v "*) say "$ver" ;;
	*) die "$name reports '$ver', want pip $v" ;;
	esac
else
	say "no Python >= 3.10 as '$PYTHON'; skipping the smoke test"
fi

# Copy then rename: same filesystem, so a wheel in DIR is always complete.
cp "$whl" "$dest/.$name.tmp" || die "cannot copy $name to $dest"
mv -f "$dest/.$name.tmp" "$dest/$name" || die "cannot install $dest/$name"
rm -rf "$work/x"
say "fetched $PKG $want: $dest/$name"
printf '%s\n' "$dest/$name"
