#!/usr/bin/env bash
# Runs every benchmark built in BUILD_DIR/bench (make bench). Each benchmark
# times itself against its baselines in the same run and prints its ratios.
# Usage: scripts/run-bench.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: run-bench.sh BUILD_DIR}
shopt -s nullglob
ran=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] && [ -f "$b" ] || continue
  echo "=== $(basename "$b")"
  "$b"
  ran=$((ran + 1))
done
if [ $ran -eq 0 ]; then
  echo "run-bench.sh: no benchmarks in $build/bench (is bench/CMakeLists.txt there?)" >&2
  exit 1
fi
