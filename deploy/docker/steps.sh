#!/bin/sh
# The steps of deploy/docker/Dockerfile, one function each, so that the
# same commands run in the image build and, under a scratch root, in
# influx-py's tests (ROOT is "" in the image).
#
#   steps.sh tools       build influx-py; fetch the pinned uv (scripts/fetch-uv.sh)
#   steps.sh wheelhouse  make the wheelhouse for the plugins' lock (needs network)
#   steps.sh sync        make the venv from the wheelhouse, offline, and check it
#
# FETCH_UV=0 skips the uv download of 'tools' and WHEELHOUSE_FLAGS adds
# flags to 'wheelhouse' (the tests pass --no-uv: the pinned release host is
# out of their reach).
set -eu
ROOT=${ROOT:-}
SRC=${SRC:-/src}
step=${1:?usage: steps.sh tools|wheelhouse|sync}

case "$step" in
tools)
	mkdir -p "$ROOT/out/bin"
	(cd "$SRC" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$ROOT/out/bin/influx-py" .)
	if [ "${FETCH_UV:-1}" != 0 ]; then
		"$SRC/scripts/fetch-uv.sh" "$ROOT/out/bin"
	fi
	;;
wheelhouse)
	# shellcheck disable=SC2086 # WHEELHOUSE_FLAGS is a list of flags
	"$ROOT/out/bin/influx-py" wheelhouse --plugin-dir "$ROOT/plugins" --cache-dir "$ROOT/out/cache" ${WHEELHOUSE_FLAGS:-} "$ROOT/out/wheelhouse"
	"$ROOT/out/bin/influx-py" wheelhouse verify "$ROOT/out/wheelhouse"
	;;
sync)
	influx_py="$ROOT/usr/local/bin/influx-py"
	"$influx_py" sync --offline --plugin-dir "$ROOT/var/lib/influxdb3/plugins" \
		--find-links "$ROOT/var/lib/influx-py/wheelhouse" --cache-dir "$ROOT/var/cache/influx-py"
	"$influx_py" check --plugin-dir "$ROOT/var/lib/influxdb3/plugins"
	;;
*)
	echo "steps.sh: unknown step $step" >&2
	exit 2
	;;
esac
