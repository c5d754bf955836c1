#!/usr/bin/env bash
# killloop.sh: SIGKILL real runs of influx-py (a cold sync of 25 packages, a
# rebuild from Python 3.11 to 3.12, an add) at evenly spread moments, through
# the pip backend and, when INFLUX_PY_TEST_UV names a uv, the uv backend;
# then require the next sync to repair each one (exit 0, check 0, every
# package importable, pip running, no debris). Also runs the interruption
# test in its long form (a kill before and after every child, and a failure).
# Prints a table of kills and repairs. A long sweep, not part of go test ./...
#
# usage: scripts/killloop.sh [KILLS]     (moments per scenario, default 20)
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-20}
export INFLUX_PY_TEST_LONG=1 INFLUX_PY_KILLS=$kills
go test -count=1 -timeout 90m -v -run 'TestKillLoop|TestInterruptAtEveryChild' . 2>&1 |
  grep -E 'clean run|interruptions|children:|summary|^(---|===|ok|FAIL|PASS)|killed at|Error|error' |
  grep -v '^=== ' || true
