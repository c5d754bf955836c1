#!/usr/bin/env bash
# fuzz.sh: run every Go fuzz target of influx-py, one after another, and
# print a line per target (time, executions, new corpus entries, result).
# The lock and requirements-file parsers get the longer time. A failing
# input is saved by Go under the package's testdata/fuzz/<target>/; commit
# it once fixed, so that plain `go test` replays it for ever. Not part of CI.
#
# usage: scripts/fuzz.sh [TIME] [LONG_TIME] [PATTERN]
#   TIME       per target (default 2m)     LONG_TIME  for the lock and
#   PATTERN    only targets matching this  requirements-file parsers
#              (grep -E; default: all)     (default 10m)
# Environment: FUZZ_PARALLEL (workers per target, default 1)
set -uo pipefail
cd "$(dirname "$0")/.."
time=${1:-2m}
long=${2:-10m}
pattern=${3:-.}
workers=${FUZZ_PARALLEL:-1}
long_targets='^(internal/lockfile FuzzParse|internal/reqs FuzzParseRequirements)$'

targets=$(grep -rn --include='*_test.go' '^func Fuzz' internal . 2>/dev/null |
  sed -E 's|^\./||; s|^([^:]*)/[^/:]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*).*|\1 \2|' | sort -u | grep -E -- "$pattern")
failed=0
printf '%-22s %-26s %6s %12s %8s  %s\n' package target time execs new result
while read -r pkg target; do
  [ -n "$pkg" ] || continue
  t=$time
  if grep -qE "$long_targets" <<<"$pkg $target"; then t=$long; fi
  log=$(mktemp)
  if go test "./$pkg" -run '^$' -fuzz "^$target\$" -fuzztime "$t" -parallel "$workers" >"$log" 2>&1; then
    result=ok
  else
    result=FAIL
    failed=$((failed + 1))
  fi
  execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  new=$(grep -oE 'new interesting: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  printf '%-22s %-26s %6s %12s %8s  %s\n' "$pkg" "$target" "$t" "${execs:-?}" "${new:-?}" "$result"
  if [ "$result" = FAIL ]; then
    grep -v '^fuzz: elapsed' "$log" | tail -15 | sed 's/^/    /'
  fi
  rm -f "$log"
done <<<"$targets"
[ "$failed" -eq 0 ] || { echo "fuzz: $failed target(s) failed"; exit 1; }
echo "fuzz: every target ran clean"
