#!/usr/bin/env bash
# script_newuser.sh -- the README's "new user" path, from outside the tree:
# install mdlkit to a temporary prefix, write a ten-line driver function
# that leaks an MDL and a harness for it in a directory outside the repo,
# build them with pkg-config against the installed package, run with pool
# tracking on, and check that the report names the leak and the line that
# allocated it (on stderr and in the JSON report rendered by `mdlkit report`).
# Usage: script_newuser.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=${1:?source dir}
build=${2:?build dir}
work=$(mktemp -d /tmp/mdlkit-newuser-XXXXXX)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(dirname "$(find "$prefix" -name mdlkit.pc | head -n1)")
[ -n "$pc" ] || { echo "no mdlkit.pc installed"; exit 1; }
export PKG_CONFIG_PATH=$pc
libdir=$(pkg-config --variable=libdir mdlkit)
mkdir -p "$work/mydriver"
cd "$work/mydriver"

# The driver: ten lines of ordinary WDK code with a leak on the short path.
cat > driver.c <<'C'
#include <wdm.h>
NTSTATUS CountPages(PVOID Buffer, ULONG Length, PULONG Pages)
{
    PMDL mdl = IoAllocateMdl(Buffer, Length, FALSE, FALSE, NULL);
    if (mdl == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    MmBuildMdlForNonPagedPool(mdl);
    *Pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), Length);
    if (*Pages == 1) return STATUS_SUCCESS;   /* BUG: leaks mdl */
    IoFreeMdl(mdl);
    return STATUS_SUCCESS;
}
C
leak_line=4   # the IoAllocateMdl line above

# The harness: load a driver whose DriverEntry calls the function, unload it.
cat > harness.c <<'C'
#include <wdm.h>
#include <mdlkit.h>
#include <stdio.h>
NTSTATUS CountPages(PVOID Buffer, ULONG Length, PULONG Pages);
static PVOID buffer;
static NTSTATUS Entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    ULONG pages = 0;
    (void)DriverObject; (void)RegistryPath;
    return CountPages(buffer, 100, &pages);
}
int main(void)
{
    if (mdlkit_init(NULL) != 0) return 1;            /* MDLKIT_* from the environment */
    buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'resU');
    PDRIVER_OBJECT drv;
    if (mdlkit_driver_load("mydriver", Entry, &drv) != STATUS_SUCCESS) return 1;
    mdlkit_driver_unload(drv);                        /* pool tracking checks for leaks here */
    ExFreePoolWithTag(buffer, 'resU');
    mdlkit_shutdown();
    printf("no leak found\n");
    return 0;
}
C
# Build consumers with the compiler mdlkit was built with (a sanitizer
# runtime must match).
CC_USED=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
[ -n "$CC_USED" ] || CC_USED=cc
# A sanitizer build of mdlkit needs the same sanitizer in the user's program.
san=$(sed -n 's/^MDLKIT_SANITIZE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
extra=()
[ -n "$san" ] && extra=(-fsanitize="$san")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
# shellcheck disable=SC2046
"$CC_USED" "${extra[@]}" -g -O0 -fno-omit-frame-pointer -o mytest driver.c harness.c $(pkg-config --cflags --libs mdlkit) -Wl,-rpath,"$libdir"

set +e
MDLKIT_VERIFIER=pool_tracking MDLKIT_PHYS_MB=64 MDLKIT_REPORT=$work/report.json ./mytest >out.txt 2>&1
rc=$?
set -e
cat out.txt
fail() { echo "script_newuser: $*"; exit 1; }
[ $rc -ne 0 ] || fail "the leaky driver ran clean (exit 0)"
grep -q "BUG CHECK 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION" out.txt || fail "no 0xC4 bug check on stderr"
grep -qi "leak" out.txt || fail "the report does not name the leak"
grep -q "driver.c:$leak_line" out.txt || fail "the report does not name driver.c:$leak_line"
[ -s "$work/report.json" ] || fail "no JSON report written"
"$prefix/bin/mdlkit" report "$work/report.json" >rendered.txt || fail "mdlkit report failed"
cat rendered.txt
grep -q "Leaks (1)" rendered.txt || fail "mdlkit report lists no leak"
grep -q "driver.c:$leak_line" rendered.txt || fail "mdlkit report does not name driver.c:$leak_line"
echo "script_newuser: OK"
