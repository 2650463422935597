#!/usr/bin/env bash
# What hostile clients cost everyone else (docs/reliability.md): the
# fanout1000 scenario (1 publisher, 1,000 subscribers, 100 msg/s, 10 s)
# against the conformance server, quiet and beside dialogue-hostile (20
# flooding connections and 50 silent TCP connections), alternated REPEAT
# times (default 3) on one server process. The comparison of medians
# (label a = quiet, b = hostile) goes to target/bench/hostile/compare.md.
#
#   dialogue-bench/hostile.sh
#   REPEAT=5 dialogue-bench/hostile.sh
#   NICE=19 dialogue-bench/hostile.sh   # the attacker's process at a low
#                                       # CPU priority (docs/reliability.md)
#
# Bounded: every run has --max-time; loopback only; it stops only the
# server it started, by its PID.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/bench/hostile"
REPEAT="${REPEAT:-3}"
NICE="${NICE:-0}"
PORT="${PORT:-3100}"
mkdir -p "$OUT"
rm -f "$OUT/results.jsonl"
cd "$ROOT"
cargo build --release --example conformance
cargo build --release -p dialogue-bench --bin dialogue-load --bin dialogue-hostile
LOAD="$ROOT/target/release/dialogue-load"
HOSTILE="$ROOT/target/release/dialogue-hostile"

# Emptied here, not only by the redirection below: that one happens in
# the child, after this shell may already have read the log of the
# previous run (its "listening on" line) and started the load early.
: >"$OUT/server.log"
PORT="$PORT" "$ROOT/target/release/examples/conformance" >"$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  grep -q "listening on" "$OUT/server.log" 2>/dev/null && break
  sleep 0.1
done

fanout() {
  "$LOAD" --target "127.0.0.1:$PORT" --scenario fanout --subscribers 1000 --rate 100 \
    --duration 10 --max-time 60 --pid "$SERVER" --label "$1" --json-out "$OUT/results.jsonl" \
    >"$OUT/$1-$2.txt"
}

for run in $(seq "$REPEAT"); do
  echo "run $run: quiet"
  fanout a "$run"
  echo "run $run: hostile"
  nice -n "$NICE" "$HOSTILE" --target "127.0.0.1:$PORT" --duration 14 --connections 20 >"$OUT/hostile-$run.txt" &
  hostile=$!
  sleep 1
  fanout b "$run"
  wait "$hostile"
  cat "$OUT/hostile-$run.txt"
done
"$LOAD" --compare "$OUT/results.jsonl" a b | tee "$OUT/compare.md"
