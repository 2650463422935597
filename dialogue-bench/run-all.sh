#!/usr/bin/env bash
# Runs every dialogue-load scenario against the three servers side by side:
#   ours  the conformance server (examples/conformance, Dialogue)
#   bare  dialogue-bench/bare: socketioxide alone, on the published crates (the floor)
#   node  dialogue-bench/node-peer/server.mjs (npm socket.io 4.x)
# Each scenario starts the three servers afresh (so memory is measured from a
# clean process), runs dialogue-load against each in turn, and stops them.
# Results: target/bench/results.jsonl (one JSON line per run), one table per
# run in target/bench/<case>-<server>.txt, servers' logs beside them, and a
# summary with ratios in target/bench/summary.md.
#
# Usage (from anywhere):
#   dialogue-bench/run-all.sh                 # everything, about 10 minutes
#   QUICK=1 dialogue-bench/run-all.sh         # reduced counts, about 4 minutes
#   SCENARIOS="fanout100 storm" SERVERS="ours bare" dialogue-bench/run-all.sh
#
# Two builds of ours, run alternately (to measure a change against the build
# before it on a noisy machine): name each build's conformance binary in
# BUILDS and repeat. Each repeat runs every build once, in turn, on a fresh
# server; the summary then compares the medians (dialogue-load --compare).
#   dialogue-bench/build-at.sh b668929 target/bench/builds/before
#   BUILDS="before=target/bench/builds/before/conformance after=target/release/examples/conformance" \
#     REPEAT=3 SERVERS="" SCENARIOS=fanout1000x3 dialogue-bench/run-all.sh
#
# Bounded: every dialogue-load run has --max-time, every server start waits
# at most 30 s, the whole script stops after $BUDGET seconds (default 2400).
# Loopback only. It stops only the processes it started, by their PID.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/bench"
BUDGET="${BUDGET:-2400}"
QUICK="${QUICK:-0}"
SERVERS="${SERVERS-ours bare node}"
ALL="fanout100 fanout1000 fanout1000sat fanout1000x3 fanout10000 rooms storm idle validation validation-sandbox"
# name=binary pairs of extra builds of ours (see above), and how many times
# each scenario runs.
BUILDS="${BUILDS:-}"
REPEAT="${REPEAT:-1}"
SCENARIOS="${SCENARIOS:-$ALL}"
PORT_OURS="${PORT_OURS:-3100}"
PORT_BARE="${PORT_BARE:-3101}"
PORT_NODE="${PORT_NODE:-3102}"

if [[ "$QUICK" == 1 ]]; then
  BIG=2000; ROOMS=200; DURATION=5
else
  BIG=10000; ROOMS=1000; DURATION=10
fi

mkdir -p "$OUT"
LOAD="$ROOT/target/release/dialogue-load"
started=()

stop_servers() {
  local pid
  for pid in "${started[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${started[@]}"; do
    # Bounded wait, then SIGKILL that same PID.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  started=()
}
trap stop_servers EXIT INT TERM

echo "== building (release)"
(cd "$ROOT" && cargo build --release --example conformance && cargo build --release -p dialogue-bench --bins)
# The yardstick builds against the published crates, with its own lockfile
# (dialogue-bench/bare/Cargo.toml).
(cd "$ROOT" && cargo build --release --manifest-path dialogue-bench/bare/Cargo.toml --target-dir target/bare-build)
if [[ " $SERVERS " == *" node "* && ! -d "$ROOT/dialogue-bench/node-peer/node_modules" ]]; then
  (cd "$ROOT/dialogue-bench/node-peer" && npm ci --no-audit --no-fund)
fi

# Raise the descriptor limit to what 10,000 connections need, where allowed.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

port_of() {
  case "$1" in ours) echo "$PORT_OURS" ;; bare) echo "$PORT_BARE" ;; node) echo "$PORT_NODE" ;; *) echo "$PORT_OURS" ;; esac
}

# The binary of a build named in BUILDS.
build_of() {
  local pair
  for pair in $BUILDS; do
    if [[ "${pair%%=*}" == "$1" ]]; then echo "${pair#*=}"; return 0; fi
  done
  return 1
}
BUILD_NAMES=""
for pair in $BUILDS; do
  name="${pair%%=*}"; bin="${pair#*=}"
  [[ -x "$bin" ]] || { echo "BUILDS: $name=$bin is not an executable"; exit 2; }
  BUILD_NAMES="$BUILD_NAMES $name"
done

# start_server NAME: starts it in the background, records its PID in
# $started and in PID_<NAME>, waits for its "listening on" line.
start_server() {
  local name="$1" port log pid
  port="$(port_of "$name")"
  log="$OUT/server-$name.log"
  # Emptied here, not only by the redirection below: that one happens in
  # the child, after this shell may already have read the log of the
  # previous run (its "listening on" line) and started the load early.
  : >"$log"
  case "$name" in
    ours) PORT="$port" "$ROOT/target/release/examples/conformance" >"$log" 2>&1 & ;;
    bare) PORT="$port" "$ROOT/target/bare-build/release/bare-socketioxide" >"$log" 2>&1 & ;;
    node) PORT="$port" node "$ROOT/dialogue-bench/node-peer/server.mjs" >"$log" 2>&1 & ;;
    *) PORT="$port" "$(build_of "$name")" >"$log" 2>&1 & ;;
  esac
  pid=$!
  started+=("$pid")
  printf -v "PID_$name" '%s' "$pid"
  for _ in $(seq 300); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "server $name exited:"; cat "$log"; return 1; }
    sleep 0.1
  done
  echo "server $name did not start within 30 s"; return 1
}

# Scenario arguments by case name.
args_of() {
  case "$1" in
    fanout100)          echo "--scenario fanout --subscribers 100 --rate 100 --duration $DURATION" ;;
    fanout1000)         echo "--scenario fanout --subscribers 1000 --rate 100 --duration $DURATION" ;;
    fanout1000sat)      echo "--scenario fanout --subscribers 1000 --rate 1000 --duration 5" ;;
    fanout1000x3)       echo "--scenario fanout --subscribers 1000 --publishers 3 --rate 1000 --duration 5" ;;
    fanout10000)        echo "--scenario fanout --subscribers $BIG --rate 10 --duration $DURATION" ;;
    rooms)              echo "--scenario rooms --rooms $ROOMS --members 10 --rate 1 --duration $DURATION" ;;
    storm)              echo "--scenario storm --connections $BIG" ;;
    idle)               echo "--scenario idle --connections $BIG --hold 5" ;;
    validation)         echo "--scenario validation --publishers 20 --rate 100 --duration $DURATION" ;;
    validation-sandbox) echo "--scenario validation --publishers 20 --rate 100 --duration $DURATION --room sandbox" ;;
    *) echo "unknown scenario $1" >&2; return 1 ;;
  esac
}

: > "$OUT/results.jsonl"
# run_case CASE NAME: starts NAME afresh, runs CASE against it, stops it.
run_case() {
  local case="$1" name="$2" protocol=bare pidvar
  [[ "$name" == bare || "$name" == node ]] || protocol=dialogue
  start_server "$name"
  pidvar="PID_$name"
  echo "== $case against $name"
  # shellcheck disable=SC2046
  "$LOAD" $(args_of "$case") --target "127.0.0.1:$(port_of "$name")" \
    --protocol "$protocol" --label "$name" --pid "${!pidvar}" \
    --max-time 150 --json-out "$OUT/results.jsonl" \
    >/dev/null 2>"$OUT/$case-$name.txt" || echo "   (dialogue-load exited non-zero)"
  cat "$OUT/$case-$name.txt"
  stop_servers
  sleep 1
}

for case in $SCENARIOS; do
  servers="$SERVERS$BUILD_NAMES"
  # The sandbox control only means something for the validating server.
  [[ "$case" == validation-sandbox ]] && servers="ours$BUILD_NAMES"
  for round in $(seq "$REPEAT"); do
    for name in $servers; do
      if (( SECONDS > BUDGET )); then echo "budget of $BUDGET s spent; stopping"; break 3; fi
      (( REPEAT > 1 )) && echo "-- round $round of $REPEAT"
      run_case "$case" "$name"
    done
  done
done

"$LOAD" --summarize "$OUT/results.jsonl" | tee "$OUT/summary.md"
set -- $BUILD_NAMES
if (( $# >= 2 )); then
  echo
  "$LOAD" --compare "$OUT/results.jsonl" "$1" "$2" | tee "$OUT/compare.md"
fi
echo "results in $OUT"
