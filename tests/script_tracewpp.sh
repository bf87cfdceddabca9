#!/usr/bin/env bash
# script_tracewpp.sh -- mdlkit-tracewpp as a driver project uses it: install
# mdlkit to a temporary prefix, find the tool with
# `pkg-config --variable=tracewpp mdlkit`, write the .tmh files of the
# WPP-traced test driver in tests/wpp/ (a -scan: header with a begin_wpp
# config block, a FUNC without MSG, a -func: spec and the default
# DoTraceMessage), build it
# with pkg-config, and check what its traces print through DbgPrintEx:
# nothing before WPP_INIT_TRACING or after WPP_CLEANUP, the TRACE_LEVEL_*
# mapping onto the DbgPrint filter, prefixes and WPP's %!NAME! specifiers.
# Usage: script_tracewpp.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
work=$(mktemp -d /tmp/mdlkit-tracewpp-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name mdlkit.pc | head -n1)")
tool=$(pkg-config --variable=tracewpp mdlkit)
[ -x "$tool" ] || { echo "pkg-config --variable=tracewpp names '$tool', which is not an installed program"; exit 1; }
cp "$src"/tests/wpp/* "$work"/
cd "$work"
mkdir gen
"$tool" -km -scan:wpptrace.h "-func:DEBUGP(LEVEL,MSG,...)" -odir:gen wppdrv.c harness.c
[ -f gen/wppdrv.tmh ] && [ -f gen/harness.tmh ] || { echo "no .tmh written"; exit 1; }
# Errors: no -odir, an unreadable source, a bad -func spec.
if "$tool" wppdrv.c 2>/dev/null; then echo "accepted no -odir"; exit 1; fi
if "$tool" -odir:gen missing.c 2>/dev/null; then echo "accepted a missing source"; exit 1; fi
if "$tool" "-func:(LEVEL,MSG)" -odir:gen wppdrv.c 2>/dev/null; then echo "accepted a bad -func"; exit 1; fi
# Build with the compiler mdlkit was built with, and its sanitizer if any
# (the runtime must match).
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
[ -n "$cc" ] || cc=cc
san=$(sed -n 's/^MDLKIT_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
extra=()
[ -n "$san" ] && extra=(-fsanitize="$san")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# shellcheck disable=SC2046
"$cc" "${extra[@]}" -o wpptest -Wall -Werror -Wno-unused-function -Igen wppdrv.c harness.c $(pkg-config --cflags --libs mdlkit)

fail=0
expect() { # output pattern
  if ! grep -qF -- "$2" <<<"$1"; then echo "missing: $2"; fail=1; fi
}
reject() {
  if grep -qF -- "$2" <<<"$1"; then echo "unexpected: $2"; fail=1; fi
}
section() { # output name -> the lines of one section
  awk -v s="-- $2" '/^-- /{on=($0==s); next} on' <<<"$1"
}

all=$(MDLKIT_DBGPRINT=all ./wpptest 2>&1)
traced=$(section "$all" traced)
expect "$traced" "WppTestRun: error 2 on \\Device\\Wpp"
expect "$traced" "WppTestRun: info: status STATUS_INSUFFICIENT_RESOURCES (0xC000009A) ok=TRUE"
expect "$traced" "WppTestRun: warning via a macro level, guid {6a2d1f3e-1234-4a5b-9c8d-010203040506}"
expect "$traced" "verbose 200000000 wide"
expect "$traced" "loud 3"
expect "$traced" "debugp at wppdrv.c:"
expect "$traced" "--> WppTestRun"
[ "$(grep -c . <<<"$traced")" = 7 ] || { echo "expected 7 traced lines:"; echo "$traced"; fail=1; }
[ -z "$(section "$all" "before init")" ] || { echo "traced before WPP_INIT_TRACING"; fail=1; }
[ -z "$(section "$all" "after cleanup")" ] || { echo "traced after WPP_CLEANUP"; fail=1; }

# Default filter: only error-level messages (TRACE_LEVEL_ERROR, and the flag
# at bit 0 of a flag-only trace) reach the output.
def=$(section "$(./wpptest 2>&1)" traced)
expect "$def" "error 2 on"
expect "$def" "debugp at"
reject "$def" "info:"
reject "$def" "warning via"
reject "$def" "verbose"
reject "$def" "loud"
# The warning level alone for the IHV driver component.
warn=$(section "$(MDLKIT_DBGPRINT=ihvdriver=0x2 ./wpptest 2>&1)" traced)
expect "$warn" "warning via a macro level"
reject "$warn" "info:"
[ $fail = 0 ] && echo "script_tracewpp: ok"
exit $fail
