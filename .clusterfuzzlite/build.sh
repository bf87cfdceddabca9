#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build of mdlkit's driver fuzzers (docs/fuzzing.md).
#
# Uses the variables the build infrastructure sets: $CC and $CFLAGS (the
# sanitizer and coverage flags, e.g. -fsanitize=address
# -fsanitize=fuzzer-no-link), $LIB_FUZZING_ENGINE (-fsanitize=fuzzer for
# libFuzzer), $OUT (where fuzzers and their seed corpora go); $SRC and
# $WORK if set. Builds libmdlkit with $CFLAGS (so mdlkit's code gives
# coverage too), then one fuzzer per example driver, each with the driver
# compiled in, and <fuzzer>_seed_corpus.zip from fuzz/corpus/<fuzzer>.
# The source tree: the directory above this script (.clusterfuzzlite/), the
# working directory (the image's WORKDIR, where build.sh is run from $SRC),
# or $SRC/mdlkit.
here=$(cd "$(dirname "$0")" && pwd)
if [ -f "$here/../include/mdlkit.h" ]; then root=$(cd "$here/.." && pwd)
elif [ -f "$PWD/include/mdlkit.h" ]; then root=$PWD
else root=${SRC:-.}/mdlkit
fi
work=${WORK:-$(mktemp -d)}/mdlkit-build
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 4 ] && jobs=4

cmake -S "$root" -B "$work" -DCMAKE_C_COMPILER="$CC" -DCMAKE_C_FLAGS="$CFLAGS" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMDLKIT_TESTS=OFF -DMDLKIT_TOOLS=OFF -DMDLKIT_WERROR=OFF >/dev/null
cmake --build "$work" --target mdlkit_static -j"$jobs"

flags="-std=gnu11 -fshort-wchar -Wno-multichar -Wno-unknown-pragmas -fno-omit-frame-pointer -I$root/include"
# fuzzer : example driver source : its DriverEntry
for spec in fuzz_ioctl:ioctl/ioctl.c:MdlFillDriverEntry \
            fuzz_netrecv:netrecv/netrecv.c:NetRecvDriverEntry \
            fuzz_ramdisk:ramdisk/ramdisk.c:RamDiskDriverEntry; do
  IFS=: read -r name src entry <<<"$spec"
  $CC $CFLAGS $flags -DDriverEntry="$entry" -c "$root/examples/$src" -o "$work/$name-driver.o"
  $CC $CFLAGS $flags -c "$root/fuzz/$name.c" -o "$work/$name.o"
  $CC $CFLAGS $LIB_FUZZING_ENGINE "$work/$name.o" "$work/$name-driver.o" "$work/libmdlkit.a" \
    -lpthread -ldl -o "$OUT/$name"
  if [ -d "$root/fuzz/corpus/$name" ]; then
    rm -f "$OUT/${name}_seed_corpus.zip"
    python3 - "$OUT/${name}_seed_corpus.zip" "$root/fuzz/corpus/$name" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for f in sorted(os.listdir(sys.argv[2])):
        z.write(os.path.join(sys.argv[2], f), f)
PY
  fi
done
