#!/usr/bin/env bash
# Installs the Debian packages mdlkit needs to build and test, if missing.
# Usage: scripts/deps.sh [build|test|asan|tsan|bench|fuzz]...   (build deps are always included)
# Each make target asks only for its own set. clang is part of the build:
# the real drivers the tests compile from ../shared/drivers (netvmini,
# viostor) use MSVC syntax that only clang's -fms-extensions/-fms-compatibility
# accepts (mdlkit_add_driver); the TSan build and the fuzzers also need
# clang's sanitizer runtimes. valgrind gives libmdlkit memcheck's client
# requests (the fuzzing runtime's redzones under memcheck, src/rt/fuzzasan.c)
# and runs tests/test_fuzz_memcheck.c.
set -euo pipefail
pkgs=(cmake make gcc clang pkg-config libcmocka-dev binutils valgrind)
for what in "$@"; do
  case "$what" in
    test) ;;                                          # gcc, clang and cmocka (above)
    asan) ;;                                          # gcc's own sanitizer runtimes
    tsan) pkgs+=(clang libclang-rt-dev) ;;            # the TSan build uses clang
    bench) pkgs+=(libmimalloc-dev libjemalloc-dev gnuplot-nox) ;;
    fuzz) pkgs+=(clang libclang-rt-dev) ;;
    build) ;;
    *) echo "deps.sh: unknown set '$what'" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps.sh: installing ${missing[*]} (apt-get; this happens once)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${missing[@]}"
