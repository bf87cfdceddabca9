#!/usr/bin/env bash
# script_sources.sh -- the library is built from an explicit list
# (src/sources.cmake): every .c file under src/ is on it, and every file on
# it exists.
# Usage: script_sources.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
cd "$src"
listed=$(grep -o 'src/[A-Za-z0-9_/]*\.c' src/sources.cmake | sort)
present=$(find src -name '*.c' | sort)
fail=0
missing=$(comm -13 <(echo "$listed") <(echo "$present"))
gone=$(comm -23 <(echo "$listed") <(echo "$present"))
[ -z "$missing" ] || { echo "FAIL: in src/ but not in src/sources.cmake:"; echo "$missing"; fail=1; }
[ -z "$gone" ] || { echo "FAIL: in src/sources.cmake but not in src/:"; echo "$gone"; fail=1; }
[ $fail -eq 0 ] && echo "ok: $(echo "$listed" | wc -l) sources listed"
exit $fail
