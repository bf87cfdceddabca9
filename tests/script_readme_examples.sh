#!/usr/bin/env bash
# script_readme_examples.sh -- the examples of README.md and
# docs/getting-started.md, compiled and run exactly as printed, against the
# package installed to a temporary prefix, from a directory outside the tree.
#
# A fenced C block that follows the line `<!-- readme-example: NAME -->` is
# written to NAME; the fenced sh block that follows
# `<!-- readme-example-commands: NAME -->` is run, line by line, in that
# directory with the installed bin/ on PATH and pkg-config pointed at the
# installed mdlkit.pc. Every command must succeed. `cc` is the compiler
# mdlkit was built with (a sanitizer build needs the same runtime), given the
# library's rpath so the program finds libmdlkit.so.
# Usage: script_readme_examples.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
work=$(mktemp -d /tmp/mdlkit-readme-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name mdlkit.pc | head -n1)")
[ -n "$pc" ] || { echo "no mdlkit.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$pc
libdir=$(pkg-config --variable=libdir mdlkit)
[ -f "$prefix/include/mdlkit/mdlkit_test.h" ] || { echo "mdlkit_test.h is not installed"; exit 1; }
[ -f "$prefix/share/doc/mdlkit/LICENSE" ] || { echo "the documentation is not installed (share/doc/mdlkit)"; exit 1; }

# `cc` as the examples spell it: the build's compiler, sanitizer and rpath.
CC_USED=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
[ -n "$CC_USED" ] || CC_USED=$(command -v cc)
san=$(sed -n 's/^MDLKIT_SANITIZE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
mkdir -p "$work/bin"
{
  echo '#!/bin/sh'
  if [ -n "$san" ]; then
    echo "exec '$CC_USED' -fsanitize=$san \"\$@\" -Wl,-rpath,'$libdir'"
  else
    echo "exec '$CC_USED' \"\$@\" -Wl,-rpath,'$libdir'"
  fi
} > "$work/bin/cc"
chmod +x "$work/bin/cc"
export PATH=$work/bin:$prefix/bin:$PATH
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
unset MDLKIT_VERIFIER MDLKIT_REPORT MDLKIT_PHYS_MB MDLKIT_FAULTS

# extract FILE.md KIND NAME: the fenced block after the marker line
extract() {
  awk -v marker="<!-- $2: $3 -->" '
    $0 == marker { want = 1; next }
    want == 1 && /^```/ { want = 2; next }
    want == 2 && /^```/ { exit }
    want == 2 { print }
  ' "$1"
}

examples=0
for md in "$src/README.md" "$src/docs/getting-started.md"; do
  for name in $(sed -n 's/^<!-- readme-example: \(.*\) -->$/\1/p' "$md"); do
    dir=$work/$(basename "$md" .md)-$name
    mkdir -p "$dir"
    extract "$md" readme-example "$name" > "$dir/$name"
    [ -s "$dir/$name" ] || { echo "$md: the example $name is empty"; exit 1; }
    extract "$md" readme-example-commands "$name" > "$dir/commands.sh"
    [ -s "$dir/commands.sh" ] || { echo "$md: no commands for the example $name"; exit 1; }
    echo "== $(basename "$md"): $name"
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      echo "\$ $line"
      if ! (cd "$dir" && bash -c "$line") > "$dir/out.txt" 2>&1; then
        cat "$dir/out.txt"
        echo "FAILED: $(basename "$md"): $line"
        exit 1
      fi
      cat "$dir/out.txt"
    done < "$dir/commands.sh"
    examples=$((examples + 1))
  done
done
[ "$examples" -ge 2 ] || { echo "expected the README and getting-started examples, found $examples"; exit 1; }

# What the README says about the run under MDLKIT_VERIFIER=standard: the
# report was written and lists no leak.
report=$work/README-mytest.c/report.json
[ -s "$report" ] || { echo "the README's run wrote no report.json"; exit 1; }
grep -q '"leaks": \[\]' "$report" || { echo "the README example leaks:"; cat "$report"; exit 1; }
echo "all $examples examples compiled and ran as printed"

# The docs say: without -g, stacks show function+offset and the report says
# so once. A driver function built without debug information that bug checks
# twice (caught, then uncaught).
mkdir -p "$work/nodebug"
cat > "$work/nodebug/nodebug.c" <<'C'
#include <mdlkit.h>
static void bad(void *a) { (void)a; KeBugCheckEx(0xDEAD0002, 1, 2, 3, 4); }
__attribute__((noinline)) void XferDeviceControl(void) { mdlkit_catch_bugcheck(bad, 0, 0); }
int main(void)
{
    if (mdlkit_init(0) != 0) return 1;
    XferDeviceControl();
    XferDeviceControl();
    mdlkit_shutdown();
    return 0;
}
C
(cd "$work/nodebug" && cc -g0 -O0 -fno-omit-frame-pointer -o nodebug nodebug.c $(pkg-config --cflags --libs mdlkit) && ./nodebug) > "$work/nodebug/out.txt" 2>&1 || { cat "$work/nodebug/out.txt"; echo "FAILED: the no-debug program"; exit 1; }
grep -q "XferDeviceControl+0x[0-9a-f]* (nodebug)" "$work/nodebug/out.txt" || { cat "$work/nodebug/out.txt"; echo "FAILED: no function+offset frame"; exit 1; }
grep -q "(nodebug:0)" "$work/nodebug/out.txt" && { cat "$work/nodebug/out.txt"; echo "FAILED: a file:0 frame"; exit 1; }
[ "$(grep -c "nodebug has no line information" "$work/nodebug/out.txt")" = 1 ] || { cat "$work/nodebug/out.txt"; echo "FAILED: the no-line-information note is not there exactly once"; exit 1; }
echo "no debug information: function+offset, said once"
