#!/usr/bin/env bash
# script_driver_warnings.sh -- the real drivers of ../shared/drivers compile
# against mdlkit's headers with gcc and clang at -Wall -Wextra, and no
# warning points into mdlkit's own headers (a warning in the driver's own
# code is the driver's business; one in include/ is ours to fix).
# Usage: script_driver_warnings.sh SOURCE_DIR BUILD_DIR
set -uo pipefail
src=${1:?source dir}
drivers=$src/../shared/drivers
if [ ! -d "$drivers" ]; then
  echo "SKIP: $drivers not found"
  exit 0
fi
inc=$(cd "$src/include" && pwd)
common=(-fsyntax-only -std=gnu11 -fshort-wchar -Wall -Wextra -Wno-unused-parameter
        -Wno-multichar -Wno-unknown-pragmas -I"$inc")
fail=0
checked=0
check() { # name compiler defines... -- files...
  local name=$1 cc=$2; shift 2
  local args=() files=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  shift
  files=("$@")
  command -v "$cc" >/dev/null || { echo "SKIP $name with $cc (not installed)"; return; }
  local out
  out=$("$cc" "${common[@]}" "${args[@]}" "${files[@]}" 2>&1)
  local rc=$?
  checked=$((checked + 1))
  if [ $rc -ne 0 ]; then
    echo "FAIL: $name does not compile with $cc"
    echo "$out" | grep -E 'error' | head -20
    fail=1
    return
  fi
  local ours
  ours=$(echo "$out" | grep -E "^$inc/[^:]*:[0-9]+:[0-9]+: warning" | sort -u)
  if [ -n "$ours" ]; then
    echo "FAIL: $name with $cc: warnings in mdlkit's headers:"
    echo "$ours" | head -20
    fail=1
  else
    echo "ok   $name with $cc"
  fi
}
for cc in gcc clang; do
  check sioctl $cc -- "$drivers"/sioctl/*.c
  check cancel $cc -DPOOL_NX_OPTIN=1 -DPOOL_ZERO_DOWN_LEVEL_SUPPORT -- "$drivers"/cancel/*.c
done
echo "$checked compilations checked"
exit $fail
