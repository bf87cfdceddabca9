#!/usr/bin/env bash
# Runs every benchmark built in BUILD_DIR/bench (`make bench`) and prints ONE
# table: a row per measurement with mdlkit's median, its spread, the baseline
# timed in the same process run (interleaved), the ratio, the target from
# DESIGN.md and whether the row meets it. Cost curves are written as CSV and
# drawn as PNG (gnuplot) into BUILD_DIR/perf.
#
# Usage: scripts/run-bench.sh BUILD_DIR [--docs]
#   --docs   also copy the CSV/PNG files and the table (table.md) into
#            docs/perf/ (what docs/performance.md shows)
# Environment: MDLKIT_BENCH_REPS (interleaved repetitions per row, default 9).
set -euo pipefail
build=${1:?usage: run-bench.sh BUILD_DIR [--docs]}
docs=0
[ "${2:-}" = "--docs" ] && docs=1
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/perf"
mkdir -p "$out"
out=$(cd "$out" && pwd)
export MDLKIT_BENCH_OUT="$out"
log="$out/bench.log"
rows="$out/rows.tsv"
: >"$log"
: >"$rows"
start=$(date +%s)

shopt -s nullglob
ran=0
for b in "$build"/bench/bench_*; do
  [ -x "$b" ] && [ -f "$b" ] || continue
  name=$(basename "$b")
  echo "running $name ..." >&2
  echo "=== $name" >>"$log"
  if ! "$b" >"$out/$name.out" 2>>"$log"; then
    echo "run-bench.sh: $name failed (see $log)" >&2
    cat "$out/$name.out" >>"$log"
    exit 1
  fi
  grep -v '^ROW' "$out/$name.out" >>"$log" || true
  grep '^ROW' "$out/$name.out" | sed "s/^ROW/$name/" >>"$rows" || true
  ran=$((ran + 1))
done
if [ $ran -eq 0 ]; then
  echo "run-bench.sh: no benchmarks in $build/bench (is bench/CMakeLists.txt there?)" >&2
  exit 1
fi

# ---- the table (text on stdout, markdown in $out/table.md) ----
awk -F'\t' '
BEGIN {
  printf "%-64s %12s %23s  %-34s %12s %8s %8s %4s\n", "row", "mdlkit ns", "spread (min..max)", "baseline", "base ns", "ratio", "target", "met"
  md = "| row | mdlkit (ns) | spread | baseline | baseline (ns) | other baselines (ns) | ratio | target | met |\n|---|---|---|---|---|---|---|---|---|\n"
}
{
  printf "%-64s %12.2f %11.2f..%-10.2f  %-34s %12.2f %8.2f %8s %4s\n", $2, $3, $4, $5, substr($6, 1, 34), $7, $9, $10, $11
  if ($8 != "-") printf "%64s   other baselines: %s\n", "", $8
  md = md sprintf("| %s | %.2f | %.2f..%.2f | %s | %.2f | %s | %.2f | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
  if ($11 == "yes") y++; else if ($11 == "NO") n++
}
END {
  printf "\nratio: mdlkit time / baseline time (lower is better), except \"speedup\" rows (throughput, higher is better)\n"
  printf "targets met: %d of %d\n", y, y + n
  print md > "'"$out"'/table.md"
}' "$rows"

# ---- plots ----
if command -v gnuplot >/dev/null; then
  gp() { gnuplot -e "set terminal pngcairo size 900,560 font ',11' noenhanced; set datafile separator ','; set key top left; set grid; set logscale x 2; $1" 2>>"$log" || echo "run-bench.sh: gnuplot failed for $2 (see $log)" >&2; }
  [ -f "$out/mdl_size.csv" ] && gp "set output '$out/mdl_size.png'; set title 'MDL work per page as the buffer grows (expected: constant per page)'; set xlabel 'buffer size (bytes)'; set ylabel 'ns per page'; set logscale y; set format x '%.0b %BB'; plot '$out/mdl_size.csv' skip 1 using 1:3 with linespoints lw 2 title 'MmProbeAndLockPages + MmUnlockPages', '' skip 1 using 1:4 with linespoints lw 2 title 'IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl', '' skip 1 using 1:5 with linespoints lw 2 title 'touch 1 byte per page (baseline)'" mdl_size
  [ -f "$out/pool_outstanding.csv" ] && gp "set output '$out/pool_outstanding.png'; set title 'alloc+free of 64 B with N allocations outstanding (expected: constant)'; set format x '%.0s%c'; set xlabel 'allocations outstanding'; set ylabel 'ns per alloc+free pair'; set yrange [0:*]; plot '$out/pool_outstanding.csv' skip 1 using 1:2 with linespoints lw 2 title 'mdlkit ExAllocatePool2/ExFreePool', '' skip 1 using 1:3 with linespoints lw 2 title 'glibc malloc/free'" pool_outstanding
  [ -f "$out/leak_scan.csv" ] && gp "set output '$out/leak_scan.png'; set title 'driver unload leak check, pool tracking on (expected: linear in N)'; set format x '%.0s%c'; set xlabel 'allocations outstanding (N)'; set ylabel 'unload time (ms)'; set logscale y; plot '$out/leak_scan.csv' skip 1 using 1:2 with linespoints lw 2 title 'leaky driver: N leaks reported', '' skip 1 using 1:4 with linespoints lw 2 title 'clean driver, N held by the process'" leak_scan
else
  echo "run-bench.sh: gnuplot not found, CSV only (scripts/deps.sh bench installs gnuplot-nox)" >&2
fi

echo
echo "details: $log; curves: $out/*.csv, $out/*.png; elapsed $(($(date +%s) - start)) s"
if [ $docs -eq 1 ]; then
  mkdir -p "$root/docs/perf"
  cp "$out"/*.csv "$out"/table.md "$root/docs/perf/"
  cp "$out"/*.png "$root/docs/perf/" 2>/dev/null || true
  {
    echo "nproc: $(nproc)"
    lscpu | grep -E '^(Model name|Thread\(s\) per core|Core\(s\) per socket|L1d|L2|L3)' || true
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
  } >"$root/docs/perf/machine.txt"
  echo "copied to $root/docs/perf/"
fi
