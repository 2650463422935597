#!/usr/bin/env bash
# The reconnect benchmark (docs/benchmarks.md, "Reconnect"): 10 rooms of
# 1,000 subscribers, one publisher per room at 5 msg/s; mid-run each server
# cuts every subscriber's connection (its bench-only switch) and they come
# back the way each server allows. Side by side:
#   ours  the conformance server: sessions resumed, rooms recovered
#         (DIALOGUE_BENCH_CUT=1; recovery window pinned at 1000 events and
#         300 s, which covers the whole reconnect: each room gets 5 events/s)
#   node  npm socket.io 4.8 with connectionStateRecovery (RECOVERY=1
#         BENCH_CUT=1; sessions kept 2 minutes)
#   bare  bare socketioxide, no recovery: the floor (BENCH_CUT=1)
# Results: target/bench/reconnect.jsonl and one table per server in
# target/bench/reconnect-<server>.txt.
#
# Usage: dialogue-bench/reconnect.sh           (about 3 minutes)
#        MEMBERS=200 SERVERS="ours node" dialogue-bench/reconnect.sh
#
# Bounded: each dialogue-load run has --max-time, each server start waits at
# most 30 s. Loopback only. It stops only the processes it started, by PID.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/bench"
SERVERS="${SERVERS:-ours node bare}"
ROOMS="${ROOMS:-10}"
MEMBERS="${MEMBERS:-1000}"
RATE="${RATE:-5}"
DURATION="${DURATION:-20}"
CUT_AT="${CUT_AT:-8}"
PORT_OURS="${PORT_OURS:-3100}"
PORT_BARE="${PORT_BARE:-3101}"
PORT_NODE="${PORT_NODE:-3102}"
LOAD="$ROOT/target/release/dialogue-load"
mkdir -p "$OUT"
started=()

stop_servers() {
  local pid
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
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
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

: > "$OUT/reconnect.jsonl"
for name in $SERVERS; do
  log="$OUT/server-reconnect-$name.log"
  # Emptied here, not only by the redirection below: that one happens in
  # the child, after this shell may already have read the log of the
  # previous run (its "listening on" line) and started the load early.
  : >"$log"
  case "$name" in
    ours)
      port=$PORT_OURS; protocol=dialogue
      PORT=$port DIALOGUE_BENCH_CUT=1 DIALOGUE_RECOVERY_SIZE=1000 DIALOGUE_RECOVERY_SECS=300 \
        "$ROOT/target/release/examples/conformance" >"$log" 2>&1 & ;;
    node)
      port=$PORT_NODE; protocol=csr
      PORT=$port RECOVERY=1 BENCH_CUT=1 node "$ROOT/dialogue-bench/node-peer/server.mjs" >"$log" 2>&1 & ;;
    bare)
      port=$PORT_BARE; protocol=bare
      PORT=$port BENCH_CUT=1 "$ROOT/target/bare-build/release/bare-socketioxide" >"$log" 2>&1 & ;;
    *) echo "unknown server $name"; exit 2 ;;
  esac
  pid=$!
  started+=("$pid")
  for _ in $(seq 300); do
    grep -q "listening on" "$log" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { echo "server $name exited:"; cat "$log"; exit 1; }
    sleep 0.1
  done
  echo "== reconnect against $name"
  "$LOAD" --scenario reconnect --target "127.0.0.1:$port" --protocol "$protocol" --label "$name" \
    --rooms "$ROOMS" --members "$MEMBERS" --rate "$RATE" --duration "$DURATION" --cut-at "$CUT_AT" \
    --pid "$pid" --max-time 150 --json-out "$OUT/reconnect.jsonl" \
    >/dev/null 2>"$OUT/reconnect-$name.txt" || echo "   (dialogue-load exited non-zero)"
  cat "$OUT/reconnect-$name.txt"
  stop_servers
  sleep 1
done
echo "results in $OUT/reconnect.jsonl"
