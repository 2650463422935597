#!/usr/bin/env bash
# The long, coverage-guided fuzz run (docs/reliability.md): each target for
# at least RUNS inputs (default 1,000,000), on the stable toolchain (no
# sanitizer: `-s none`), starting from the committed corpus. New inputs go
# to target/fuzz/corpus/<target>, crashes to fuzz/artifacts/<target>; each
# target's libFuzzer log to target/fuzz/<target>.log, and a summary line per
# target to stdout.
#
#   fuzz/run.sh                  # both targets, 1,000,000 inputs each
#   RUNS=100000 fuzz/run.sh packets
#
# Needs cargo-fuzz: `cargo install cargo-fuzz --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-1000000}"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(requests packets)
mkdir -p target/fuzz
cargo fuzz build -s none -O
for target in "${targets[@]}"; do
    work="target/fuzz/corpus/$target"
    mkdir -p "$work" "fuzz/artifacts/$target"
    log="target/fuzz/$target.log"
    start=$(date +%s)
    status=0
    # -rss_limit_mb: a target holding more than this is a finding too.
    cargo fuzz run -s none -O "$target" "$work" "fuzz/corpus/$target" -- \
        -runs="$RUNS" -max_len=16384 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    took=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo "?")
    crashes=$(find "fuzz/artifacts/$target" -type f | wc -l)
    echo "$target: $execs inputs in ${took}s, coverage $cov edges, exit $status, $crashes crash files"
done
