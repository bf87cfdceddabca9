#!/usr/bin/env bash
# The ClusterFuzzLite / OSS-Fuzz layout (.clusterfuzzlite/): build.sh run as
# the build infrastructure runs it -- $CC $CFLAGS $LIB_FUZZING_ENGINE $OUT
# set, libFuzzer with ASan -- must leave one fuzzer per example driver in
# $OUT with its seed corpus, and each must run its seeds cleanly.
# Skipped (passes, saying so) when clang's libFuzzer is absent, and in
# sanitizer builds of the suite (the plain build covers it once).
# Usage: script_clusterfuzzlite.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1 build=$2
if grep -Eq '^MDLKIT_SANITIZE:STRING=.+' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "skipped: sanitizer build (the plain build runs this test)"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! command -v clang >/dev/null; then echo "skipped: no clang"; exit 0; fi
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$tmp/probe.c"
if ! clang -fsanitize=fuzzer,address "$tmp/probe.c" -o "$tmp/probe" 2>/dev/null; then
  echo "skipped: clang has no libFuzzer (libclang-rt-dev)"; exit 0
fi
export CC=clang
export CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export OUT=$tmp/out WORK=$tmp/work SRC=$tmp/src
mkdir -p "$OUT" "$WORK" "$SRC"
bash "$src/.clusterfuzzlite/build.sh" >"$tmp/build.log" 2>&1 || { tail -30 "$tmp/build.log"; echo "FAIL: build.sh"; exit 1; }
for f in fuzz_ioctl fuzz_netrecv fuzz_ramdisk; do
  [ -x "$OUT/$f" ] || { echo "FAIL: $OUT/$f was not built"; exit 1; }
  [ -s "$OUT/${f}_seed_corpus.zip" ] || { echo "FAIL: no seed corpus for $f"; exit 1; }
  mkdir -p "$tmp/seeds-$f"
  python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])" \
    "$OUT/${f}_seed_corpus.zip" "$tmp/seeds-$f"
  n=$(ls "$tmp/seeds-$f" | wc -l)
  [ "$n" -gt 0 ] || { echo "FAIL: empty seed corpus for $f"; exit 1; }
  # every seed, then a short bounded run from them
  "$OUT/$f" -runs=0 "$tmp/seeds-$f" >"$tmp/$f.log" 2>&1 || { tail -20 "$tmp/$f.log"; echo "FAIL: $f on its seeds"; exit 1; }
  mkdir -p "$tmp/corpus-$f"
  "$OUT/$f" -seed=1 -runs=300 "$tmp/corpus-$f" "$tmp/seeds-$f" >"$tmp/$f.log" 2>&1 ||
    { tail -20 "$tmp/$f.log"; echo "FAIL: $f"; exit 1; }
  echo "$f: built, $n seeds, 300 runs clean"
done
echo "PASS"
