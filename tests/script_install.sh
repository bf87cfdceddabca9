#!/usr/bin/env bash
# Acceptance test for "how users build against it" (DESIGN.md):
#   1. cmake --install the build into a temporary prefix;
#   2. compile a driver-style C file written outside the repository that
#      includes <wdm.h>, <ntddk.h>, <mdlkit.h> (and <storport.h>, <ndis.h>
#      when installed), uses a multi-character tag literal, with ONLY
#      `cc $(pkg-config --cflags --libs mdlkit)` and -Wall -Wextra -Werror;
#      run it;
#   3. the same through a tiny CMake project: find_package(mdlkit) and
#      target mdlkit::mdlkit.
# Usage (ctest): bash script_install.sh <srcdir> <builddir>
set -euo pipefail

src=${1:?source directory}
build=${2:?build directory}

prefix=$(mktemp -d /tmp/mdlkit-prefix.XXXXXX)
work=$(mktemp -d /tmp/mdlkit-consumer.XXXXXX)
trap 'rm -rf "$prefix" "$work"' EXIT

step() { printf '== %s\n' "$*"; }
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

step "install $build into $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1 || { cat "$work/install.log"; die "cmake --install failed"; }

pcdir=$(dirname "$(find "$prefix" -name mdlkit.pc -print -quit)")
[ -f "$pcdir/mdlkit.pc" ] || die "no mdlkit.pc installed"
cfgdir=$(dirname "$(find "$prefix" -name mdlkitConfig.cmake -print -quit)")
[ -f "$cfgdir/mdlkitConfig.cmake" ] || die "no mdlkitConfig.cmake installed"
incdir=$(pkg-config --variable=includedir "$pcdir/mdlkit.pc" 2>/dev/null || true)
incdir=${incdir:-$prefix/include/mdlkit}

# Build consumers with the compiler mdlkit was built with (a sanitizer
# runtime must match).
CC_USED=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
[ -n "$CC_USED" ] || CC_USED=cc
# A sanitizer build of the library needs the same runtime in the consumer.
san=""
if [ -f "$build/CMakeCache.txt" ]; then
    san=$(sed -n 's/^MDLKIT_SANITIZE:[A-Z]*=//p' "$build/CMakeCache.txt")
fi
extra_flags=()
[ -n "$san" ] && extra_flags=(-fsanitize="$san")

# Headers: always the three WDM ones; the port headers when they exist.
includes="#include <wdm.h>
#include <ntddk.h>"
for h in storport.h ndis.h; do
    if [ -f "$incdir/$h" ]; then
        includes="$includes
#include <$h>"
        step "including <$h>"
    fi
done
includes="$includes
#include <mdlkit.h>"

cat >"$work/driver.c" <<EOF
/* A consumer of the installed mdlkit, outside the source tree. */
$includes
#include <stdio.h>
#include <string.h>

#define CONSUMER_TAG 'gaT1'

int main(void)
{
    if (mdlkit_init(NULL) != 0)
        return 1;
    ULONG tag = CONSUMER_TAG;
    if (tag != 0x67615431UL) /* 'g' 'a' 'T' '1', most significant first */
        return 2;
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, CONSUMER_TAG);
    if (p == NULL)
        return 3;
    memset(p, 0xA5, 128);
    ExFreePoolWithTag(p, CONSUMER_TAG);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (KeGetCurrentIrql() != DISPATCH_LEVEL)
        return 4;
    KeLowerIrql(old);
    NTSTATUS caught = STATUS_SUCCESS;
    __try {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        caught = GetExceptionCode();
    }
    if (caught != STATUS_INSUFFICIENT_RESOURCES)
        return 5;
    mdlkit_shutdown();
    printf("consumer-ok\n");
    return 0;
}
EOF

step "pkg-config build"
export PKG_CONFIG_PATH="$pcdir"
cflags=$(pkg-config --cflags mdlkit)
libs=$(pkg-config --libs mdlkit)
echo "   cflags: $cflags"
echo "   libs:   $libs"
# shellcheck disable=SC2086
"$CC_USED" -Wall -Wextra -Werror ${extra_flags[@]+"${extra_flags[@]}"} "$work/driver.c" $cflags $libs -o "$work/driver_pc" \
    || die "compiling against the installed mdlkit with pkg-config flags failed"
out=$(MDLKIT_REPORT= "$work/driver_pc") || die "pkg-config consumer exited with $?"
[ "$out" = "consumer-ok" ] || die "pkg-config consumer printed: $out"
# it must run against the installed library, not the build tree's
if command -v ldd >/dev/null; then
    lib=$(ldd "$work/driver_pc" | sed -n 's/.*libmdlkit\.so[^ ]* => \([^ ]*\).*/\1/p')
    case "$lib" in
        "$prefix"/*) ;;
        "") ;; # linked statically
        *) die "pkg-config consumer uses $lib, not the installed library" ;;
    esac
fi

step "uncaught bug check in a consumer of the shared library: the report names the consumer's function"
cat >"$work/boom.c" <<EOF
$includes
#include <stdio.h>

__attribute__((noinline)) void consumer_bad_routine(void)
{
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KeLowerIrql(DISPATCH_LEVEL); /* lowering to a higher level */
}

int main(void)
{
    if (mdlkit_init(NULL) != 0)
        return 1;
    consumer_bad_routine();
    return 0;
}
EOF
# shellcheck disable=SC2086
"$CC_USED" -g -Wall -Wextra -Werror ${extra_flags[@]+"${extra_flags[@]}"} "$work/boom.c" $cflags $libs -o "$work/boom" \
    || die "compiling the bug-check consumer failed"
set +e
MDLKIT_REPORT= "$work/boom" >"$work/boom.out" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] || die "an uncaught bug check did not stop the process"
grep -q "BUG CHECK 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION" "$work/boom.out" || { cat "$work/boom.out"; die "no bug-check report"; }
grep -q "#0 .*consumer_bad_routine" "$work/boom.out" || { cat "$work/boom.out"; die "the report does not name the offending function first"; }
if sed -n '/Stack of the offending call/,$p' "$work/boom.out" | grep -q "KeLowerIrql"; then
    cat "$work/boom.out"; die "the report's stack shows mdlkit's own frames"
fi

step "CMake find_package build"
mkdir -p "$work/cmake-src"
cp "$work/driver.c" "$work/cmake-src/driver.c"
cat >"$work/cmake-src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(mdlkit_consumer C)
find_package(mdlkit REQUIRED)
add_executable(driver driver.c)
target_compile_options(driver PRIVATE -Wall -Wextra -Werror)
target_link_libraries(driver PRIVATE mdlkit::mdlkit)
EOF
san_args=()
if [ -n "$san" ]; then
    san_args=(-DCMAKE_C_FLAGS="-fsanitize=$san" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=$san")
fi
cmake -S "$work/cmake-src" -B "$work/cmake-build" -DCMAKE_C_COMPILER="$CC_USED" -DCMAKE_PREFIX_PATH="$prefix" ${san_args[@]+"${san_args[@]}"} \
    >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; die "configuring the find_package consumer failed"; }
cmake --build "$work/cmake-build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; die "building the find_package consumer failed"; }
out=$(MDLKIT_REPORT= "$work/cmake-build/driver") || die "find_package consumer exited with $?"
[ "$out" = "consumer-ok" ] || die "find_package consumer printed: $out"

if command -v clang >/dev/null && command -v readelf >/dev/null; then
    step "mdlkit_add_driver in a clang project with no build type: the driver is built with -g"
    mkdir -p "$work/drv-src"
    cat >"$work/drv-src/drv.c" <<'EOF'
#include <wdm.h>
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    DriverObject->DriverUnload = NULL;
    return STATUS_SUCCESS;
}
EOF
    cat >"$work/drv-src/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.20)
project(mdlkit_driver_consumer C)
find_package(mdlkit REQUIRED)
mdlkit_add_driver(drv SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/drv.c)
EOF
    cmake -S "$work/drv-src" -B "$work/drv-build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE= \
        -DCMAKE_PREFIX_PATH="$prefix" >"$work/drv-cmake.log" 2>&1 \
        || { cat "$work/drv-cmake.log"; die "configuring the mdlkit_add_driver consumer failed"; }
    cmake --build "$work/drv-build" --target drv >"$work/drv-build.log" 2>&1 \
        || { cat "$work/drv-build.log"; die "building the driver through mdlkit_add_driver failed"; }
    drvlib=$(find "$work/drv-build" -name 'libdrv.a' -print -quit)
    [ -n "$drvlib" ] || die "mdlkit_add_driver built no libdrv.a"
    readelf --debug-dump=info "$drvlib" >"$work/drv-dwarf.txt" 2>/dev/null || true
    grep -q DW_TAG_compile_unit "$work/drv-dwarf.txt" \
        || die "the driver built by mdlkit_add_driver has no debug information (-g missing)"
fi

step "install acceptance passed"
