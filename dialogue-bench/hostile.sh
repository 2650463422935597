#!/usr/bin/env bash
# What hostile clients cost everyone else (docs/reliability.md): the
# fanout1000 scenario (1 publisher, 1,000 subscribers, 100 msg/s, 10 s)
# against the conformance server, quiet and beside dialogue-hostile (20
# flooding connections and 50 silent TCP connections), alternated REPEAT
# times (default 3) on one server process, with a pause of PAUSE seconds
# (default 5) between runs. The comparison of medians (label a = quiet,
# b = hostile) goes to target/bench/hostile/compare.md; with DECOY=1 (below)
# also compare-decoy.md (c against a) and compare-process.md (b against c).
#
#   dialogue-bench/hostile.sh
#   REPEAT=5 dialogue-bench/hostile.sh
#   NICE=19 dialogue-bench/hostile.sh   # the attacker's process at a low
#                                       # CPU priority (docs/reliability.md)
#   DECOY=1 dialogue-bench/hostile.sh   # a third arm (label c): the same
#       attack against a second server process (the decoy) while the
#       fan-out runs on the first. The machine is as busy as in b (the
#       attacker, and a server doing the work it asks for), but the
#       measured server handles none of it: b/c is what sharing a process
#       with the attack costs the others, c/a what sharing the machine does.
#       The order of b and c turns every run (a b c, a c b, ...), so that
#       neither always follows the other's attack.
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
PAUSE="${PAUSE:-5}"
rm -f "$OUT/results.jsonl" "$OUT/compare.md" "$OUT/compare-decoy.md" "$OUT/compare-process.md"
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
DECOY_PID=""
trap 'kill -TERM $SERVER $DECOY_PID 2>/dev/null || true' EXIT
wait_listening() {
  for _ in $(seq 300); do
    grep -q "listening on" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no server listening (see $1)" >&2; return 1
}
wait_listening "$OUT/server.log"
case "${DECOY:-0}" in
  0|1) ;;
  *) echo "DECOY is 0 or 1, not ${DECOY}" >&2; exit 2 ;;
esac
if [[ "${DECOY:-0}" == 1 ]]; then
  : >"$OUT/decoy.log"
  PORT="$((PORT + 1))" "$ROOT/target/release/examples/conformance" >"$OUT/decoy.log" 2>&1 &
  DECOY_PID=$!
  wait_listening "$OUT/decoy.log"
fi

fanout() {
  "$LOAD" --target "127.0.0.1:$PORT" --scenario fanout --subscribers 1000 --rate 100 \
    --duration 10 --max-time 60 --pid "$SERVER" --label "$1" --json-out "$OUT/results.jsonl" \
    >"$OUT/$1-$2.txt"
}

# attacked LABEL RUN PORT: the fan-out (label LABEL) beside an attack on PORT.
attacked() {
  nice -n "$NICE" "$HOSTILE" --target "127.0.0.1:$3" --duration 14 --connections 20 >"$OUT/hostile-$1-$2.txt" &
  local hostile=$!
  sleep 1
  fanout "$1" "$2"
  wait "$hostile"
  cat "$OUT/hostile-$1-$2.txt"
}

hostile() {
  echo "run $1: hostile"
  attacked b "$1" "$PORT"
  sleep "$PAUSE"
}
decoy() {
  [[ -n "$DECOY_PID" ]] || return 0
  echo "run $1: the same attack on the decoy"
  attacked c "$1" "$((PORT + 1))"
  sleep "$PAUSE"
}

for run in $(seq "$REPEAT"); do
  echo "run $run: quiet"
  fanout a "$run"
  sleep "$PAUSE"
  if (( run % 2 == 1 )); then
    hostile "$run"; decoy "$run"
  else
    decoy "$run"; hostile "$run"
  fi
done
"$LOAD" --compare "$OUT/results.jsonl" a b | tee "$OUT/compare.md"
if [[ -n "$DECOY_PID" ]]; then
  echo
  "$LOAD" --compare "$OUT/results.jsonl" a c | tee "$OUT/compare-decoy.md"
  echo
  "$LOAD" --compare "$OUT/results.jsonl" c b | tee "$OUT/compare-process.md"
fi
