#!/usr/bin/env bash
# The soak run (docs/reliability.md): builds the conformance server in
# release and the soak driver (a workspace of its own), then runs it.
#   dialogue-bench/soak.sh                # 30 minutes, 200 clients
#   dialogue-bench/soak.sh --minutes 5    # shorter
# Writes target/soak/soak.csv and target/soak/soak.png.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example conformance
cargo build --release --manifest-path dialogue-bench/soak/Cargo.toml --target-dir target/soak-build
exec target/soak-build/release/dialogue-soak "$@"
