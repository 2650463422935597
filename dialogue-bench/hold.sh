#!/usr/bin/env bash
# One server process holding about 19,900 joined connections
# (docs/benchmarks.md, "19,900 connections in one process").
#
# A process may hold at most 20,000 descriptors on this machine (a hard
# limit), and the load generator needs one per connection too, so the load
# is split over two dialogue-load processes, each under the limit:
#   1. "hold"   HOLD idle connections (default 9,950) join the room and stay;
#   2. "fanout" SUBS more (default 9,949) join the same room, one of them
#               publishes RATE msg/s (default 10) for DURATION seconds, so
#               each message reaches every member of both processes.
# Latency and losses are measured by the fan-out process on its own half
# (both halves are the same kind of connection); server RSS and CPU come
# from /proc of the server, so they cover all ~19,900. The summary gives
# RSS per connection, CPU per delivery (server CPU while publishing divided
# by messages x all recipients) and the p99.
#
# Usage: dialogue-bench/hold.sh                  (about 1 minute)
#        HOLD=5000 SUBS=5000 RATE=20 dialogue-bench/hold.sh
#        SERVER=target/bench/builds/before/conformance dialogue-bench/hold.sh
# Results: target/bench/hold-*.jsonl and hold-summary.txt.
#
# Bounded: every dialogue-load run has --max-time, the server start waits
# at most 30 s. Loopback only, port below 32768. It stops only what it
# started, by PID.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/target/bench"
HOLD="${HOLD:-9950}"
SUBS="${SUBS:-9949}"
RATE="${RATE:-10}"
DURATION="${DURATION:-10}"
PORT="${PORT:-3106}"
SERVER="${SERVER:-$ROOT/target/release/examples/conformance}"
LOAD="$ROOT/target/release/dialogue-load"
ROOM=sandbox

mkdir -p "$OUT"
if [[ "$SERVER" == "$ROOT/target/release/examples/conformance" ]]; then
  (cd "$ROOT" && cargo build --release --example conformance)
fi
(cd "$ROOT" && cargo build --release -p dialogue-bench --bin dialogue-load)
ulimit -n "$(ulimit -Hn)"
echo "descriptor limit per process: $(ulimit -n)"

started=()
stop_all() {
  local pid
  for pid in "${started[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${started[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  started=()
}
trap stop_all EXIT INT TERM

log="$OUT/hold-server.log"
# Emptied here, not only by the redirection below: that one happens in
# the child, after this shell may already have read the log of the
# previous run (its "listening on" line) and started the load early.
: >"$log"
# The admission cap defaults to 19,000 connections; raise it to what the
# descriptor limit allows.
DIALOGUE_MAX_CONNECTIONS=19990 PORT="$PORT" "$SERVER" >"$log" 2>&1 &
server=$!
started+=("$server")
for _ in $(seq 300); do
  grep -q "listening on" "$log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "the server exited:"; cat "$log"; exit 1; }
  sleep 0.1
done
grep -q "listening on" "$log" || { echo "the server did not start within 30 s"; exit 1; }

rm -f "$OUT/hold-hold.jsonl" "$OUT/hold-fanout.jsonl"
# The first half holds until the second has connected, published and
# drained: its connect (~5 s) + the second's connect (~5 s) + publishing
# + drain, with room to spare.
hold_secs=$((20 + DURATION + 10))
"$LOAD" --scenario idle --connections "$HOLD" --hold "$hold_secs" --room "$ROOM" \
  --target "127.0.0.1:$PORT" --pid "$server" --label hold --max-time $((hold_secs + 60)) \
  --json-out "$OUT/hold-hold.jsonl" >"$OUT/hold-hold.txt" 2>&1 &
holder=$!
started+=("$holder")
# Wait for the first half to be joined (its report line comes at the end,
# so watch the server's descriptors instead).
for _ in $(seq 600); do
  fds=$(ls "/proc/$server/fd" 2>/dev/null | wc -l)
  [[ "$fds" -ge "$HOLD" ]] && break
  sleep 0.1
done
sleep 2
echo "first half connected: the server holds $(ls "/proc/$server/fd" | wc -l) descriptors"

# Peak descriptors and threads of the server, sampled while the second half
# runs.
(
  peak_fds=0; peak_threads=0
  while kill -0 "$server" 2>/dev/null && [[ ! -e "$OUT/hold-stop" ]]; do
    fds=$(ls "/proc/$server/fd" 2>/dev/null | wc -l)
    threads=$(ls "/proc/$server/task" 2>/dev/null | wc -l)
    (( fds > peak_fds )) && peak_fds=$fds
    (( threads > peak_threads )) && peak_threads=$threads
    echo "$peak_fds $peak_threads" > "$OUT/hold-peaks"
    sleep 0.5
  done
) &
sampler=$!
started+=("$sampler")
rm -f "$OUT/hold-stop"

"$LOAD" --scenario fanout --subscribers "$SUBS" --publishers 1 --rate "$RATE" \
  --duration "$DURATION" --room "$ROOM" --target "127.0.0.1:$PORT" --pid "$server" \
  --label fanout --max-time 120 --json-out "$OUT/hold-fanout.jsonl" | tee "$OUT/hold-fanout.txt"
touch "$OUT/hold-stop"
wait "$sampler" || true
read -r fds threads < "$OUT/hold-peaks"
wait "$holder" || true
rm -f "$OUT/hold-stop"
cat "$OUT/hold-hold.txt"

python3 - "$OUT" "$HOLD" "$fds" "$threads" <<'EOF' | tee "$OUT/hold-summary.txt"
import json, sys
out, hold, fds, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
h = json.loads(open(f"{out}/hold-hold.jsonl").read().splitlines()[-1])
f = json.loads(open(f"{out}/hold-fanout.jsonl").read().splitlines()[-1])
joined = h["joined"] + f["joined"]
rss_before = h["rss_before_kib"]
rss_all = f["rss_after_kib"]
members = joined
recipients = members - f["publishers"] if "publishers" in f else members - 1
deliveries = f["sent"] * recipients
cpu = f["server_cpu_secs"]
print(f"joined connections        {joined} ({h['joined']} holding + {f['joined']} in the fan-out run; failed {h['failed'] + f['failed']})")
print(f"server descriptors        {fds} at the peak; threads {threads} at the peak")
print(f"server RSS                {rss_before} KiB empty, {rss_all} KiB with all joined")
print(f"RSS per joined connection {(rss_all - rss_before) * 1024 / joined:.0f} B (before any message)")
print(f"server RSS after traffic  {h['rss_after_kib']} KiB, {(h['rss_after_kib'] - rss_before) * 1024 / joined:.0f} B per connection")
print(f"messages                  {f['sent']} sent at {f['rate']}/s, each to {recipients} members: {deliveries} deliveries")
print(f"fan-out half              {f['delivered']} delivered of {f['expected']} expected, lost {f['lost']}, p50 {f['latency_ms']['p50']} ms, p99 {f['latency_ms']['p99']} ms, max {f['latency_ms']['max']} ms")
print(f"holding half              {h['delivered']} delivered of {f['sent'] * h['joined']} sent to it")
print(f"load generators' CPU      {f['loader_cpu_secs'] + h['loader_cpu_secs']:.2f} s in all (the fan-out one {f['loader_cpu_secs']:.2f} s)")
if cpu:
    print(f"server CPU publishing     {cpu:.2f} s, {cpu * 1e6 / deliveries:.3f} us per delivery")
EOF
