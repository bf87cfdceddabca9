#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR/fuzz (make fuzz) for
# SECONDS in total, split evenly, each on its corpus in fuzz/corpus-work/
# (seeded from fuzz/corpus/<target> when present). Fails if a target finds
# a crash. Usage: scripts/run-fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: run-fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-1800}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=()
for t in "$build"/fuzz/fuzz_*; do
  [ -x "$t" ] && [ -f "$t" ] && targets+=("$t")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "run-fuzz.sh: no fuzz targets in $build/fuzz (is fuzz/CMakeLists.txt there?)" >&2
  exit 1
fi
each=$(( seconds / ${#targets[@]} ))
[ $each -ge 1 ] || each=1
for t in "${targets[@]}"; do
  name=$(basename "$t")
  work="$root/fuzz/corpus-work/$name"
  mkdir -p "$work"
  seeds=()
  [ -d "$root/fuzz/corpus/$name" ] && seeds+=("$root/fuzz/corpus/$name")
  echo "=== $name for ${each}s"
  "$t" -max_total_time="$each" -print_final_stats=1 -artifact_prefix="$work/" "$work" "${seeds[@]}"
done
