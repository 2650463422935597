#!/usr/bin/env bash
# Builds the conformance server (release) of a git revision of this
# repository into a directory, to benchmark it beside the working tree's
# build (see BUILDS in run-all.sh).
#
# Usage: dialogue-bench/build-at.sh REVISION OUTDIR
#   dialogue-bench/build-at.sh b668929 target/bench/builds/before
#
# It checks the revision out in a git worktree under target/bench/worktrees
# (removed afterwards) and builds with its own target directory
# (target/bench/target-REVISION, kept so a second build is quick), so the
# working tree and its target/ are untouched. A fresh build takes a few
# minutes on two cores.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REV="${1:?usage: build-at.sh REVISION OUTDIR}"
OUTDIR="${2:?usage: build-at.sh REVISION OUTDIR}"
SHA="$(git -C "$ROOT" rev-parse --short "$REV")"
TREE="$ROOT/target/bench/worktrees/$SHA"

mkdir -p "$(dirname "$TREE")" "$OUTDIR"
git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || true
git -C "$ROOT" worktree add --detach "$TREE" "$SHA" >/dev/null
trap 'git -C "$ROOT" worktree remove --force "$TREE" 2>/dev/null || true' EXIT
(cd "$TREE" && CARGO_TARGET_DIR="$ROOT/target/bench/target-$SHA" cargo build --release --example conformance)
cp "$ROOT/target/bench/target-$SHA/release/examples/conformance" "$OUTDIR/conformance"
echo "built $SHA into $OUTDIR/conformance"
