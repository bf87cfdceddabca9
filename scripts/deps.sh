#!/usr/bin/env bash
# Installs the Debian packages mdlkit needs to build and test, if missing.
# Usage: scripts/deps.sh [build|test|asan|tsan|bench|fuzz]...   (build deps are always included)
# Each make target asks only for its own set: `make test` needs no clang,
# only the ThreadSanitizer build and the fuzzer do.
set -euo pipefail
pkgs=(cmake make gcc pkg-config libcmocka-dev binutils)
for what in "$@"; do
  case "$what" in
    test) ;;                                          # gcc and cmocka (above)
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
