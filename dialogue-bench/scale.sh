#!/usr/bin/env bash
# Several nodes on Redis (docs/benchmarks.md, "Several nodes"), side by side
# in one run, each case on fresh processes (a fresh redis-server too):
#   single  one conformance node, no Redis
#   redis   one node with Redis configured
#   two     two nodes on one Redis: the publisher on node one, the 1,000
#           subscribers split between the nodes (every other one on node
#           two), so half the deliveries cross nodes through Redis
# for fan-out 1 -> 1,000 at 100 msg/s (latency) and at 1,000 msg/s
# (throughput), REPEAT times each (default 3; medians compared). Then the
# reconnect scenario over two nodes: 10 rooms x 200 subscribers split
# between the nodes, node two killed with SIGKILL mid-run; its subscribers
# fail over to node one, resume their sessions there and recover.
# Results: target/bench/scale.jsonl, scale-compare-*.md, scale-kill.txt.
#
# Usage: dialogue-bench/scale.sh                 (about 6 minutes)
#        REPEAT=1 CASES="fanout1000" dialogue-bench/scale.sh
#
# Bounded: every dialogue-load run has --max-time, every start waits at most
# 30 s. Loopback only; ports below 32768. It stops only what it started, by
# PID.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/bench"
REPEAT="${REPEAT:-3}"
CASES="${CASES:-fanout1000 fanout1000sat}"
KILL="${KILL:-1}"
PORT_ONE="${PORT_ONE:-3110}"
PORT_TWO="${PORT_TWO:-3111}"
PORT_REDIS="${PORT_REDIS:-6390}"
LOAD="$ROOT/target/release/dialogue-load"
SERVER="$ROOT/target/release/examples/conformance"
mkdir -p "$OUT"
started=()

stop_all() {
  local pid
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  started=()
}
trap stop_all EXIT INT TERM

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)"; exit 2; }
echo "== building (release)"
(cd "$ROOT" && cargo build --release --example conformance && cargo build --release -p dialogue-bench --bins)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# start_redis: a fresh redis-server, persistence off, in a temporary dir.
start_redis() {
  local dir
  dir="$(mktemp -d /tmp/dialogue-scale-redis.XXXXXX)"
  redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save "" --appendonly no \
    --dir "$dir" >"$OUT/scale-redis.log" 2>&1 &
  started+=("$!")
  for _ in $(seq 300); do
    redis-cli -p "$PORT_REDIS" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "redis-server did not start"; return 1
}

# start_node NAME PORT [REDIS]: records the PID in PID_<NAME>.
start_node() {
  local name="$1" port="$2" redis="${3:-}" log="$OUT/scale-$1.log" pid
  # Emptied here, not only by the redirection below: that one happens in
  # the child, after this shell may already have read the log of the
  # previous run (its "listening on" line) and started the load early.
  : >"$log"
  if [[ -n "$redis" ]]; then
    PORT="$port" DIALOGUE_REDIS_URL="$redis" DIALOGUE_NODE_ID="$name" \
      DIALOGUE_RECOVERY_SIZE=1000 DIALOGUE_RECOVERY_SECS=300 "$SERVER" >"$log" 2>&1 &
  else
    PORT="$port" "$SERVER" >"$log" 2>&1 &
  fi
  pid=$!
  started+=("$pid")
  printf -v "PID_$name" '%s' "$pid"
  for _ in $(seq 300); do
    grep -q "listening on" "$log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { echo "node $name exited:"; cat "$log"; return 1; }
    sleep 0.1
  done
  echo "node $name did not start within 30 s"; return 1
}

args_of() {
  case "$1" in
    fanout1000)    echo "--scenario fanout --subscribers 1000 --rate 100 --duration 10" ;;
    fanout1000sat) echo "--scenario fanout --subscribers 1000 --rate 1000 --duration 5" ;;
    *) echo "unknown case $1" >&2; return 1 ;;
  esac
}

: > "$OUT/scale.jsonl"
REDIS_URL="redis://127.0.0.1:$PORT_REDIS"
for case in $CASES; do
  for round in $(seq "$REPEAT"); do
    for setup in single redis two; do
      echo "== $case, $setup (round $round of $REPEAT)"
      also=()
      case "$setup" in
        single) start_node one "$PORT_ONE" ;;
        redis) start_redis; start_node one "$PORT_ONE" "$REDIS_URL" ;;
        two)
          start_redis
          start_node one "$PORT_ONE" "$REDIS_URL"
          start_node two "$PORT_TWO" "$REDIS_URL"
          also=(--also "127.0.0.1:$PORT_TWO") ;;
      esac
      # shellcheck disable=SC2046
      "$LOAD" $(args_of "$case") --target "127.0.0.1:$PORT_ONE" "${also[@]}" \
        --label "$setup" --pid "$PID_one" --max-time 120 --json-out "$OUT/scale.jsonl" \
        >/dev/null 2>"$OUT/scale-$case-$setup.txt" || echo "   (dialogue-load exited non-zero)"
      cat "$OUT/scale-$case-$setup.txt"
      stop_all
      sleep 1
    done
  done
done
"$LOAD" --compare "$OUT/scale.jsonl" single redis | tee "$OUT/scale-compare-redis.md"
"$LOAD" --compare "$OUT/scale.jsonl" redis two | tee "$OUT/scale-compare-two.md"

if [[ "$KILL" == 1 ]]; then
  echo "== reconnect over two nodes, node two killed mid-run"
  start_redis
  start_node one "$PORT_ONE" "$REDIS_URL"
  start_node two "$PORT_TWO" "$REDIS_URL"
  "$LOAD" --scenario reconnect --target "127.0.0.1:$PORT_ONE" --also "127.0.0.1:$PORT_TWO" \
    --kill "$PID_two" --label two-nodes-kill --rooms 10 --members 200 --rate 5 \
    --duration 20 --cut-at 8 --pid "$PID_one" --max-time 150 --json-out "$OUT/scale.jsonl" \
    >/dev/null 2>"$OUT/scale-kill.txt" || echo "   (dialogue-load exited non-zero)"
  cat "$OUT/scale-kill.txt"
  stop_all
fi
echo "results in $OUT/scale.jsonl"
