/*
 * mdlkit_llp64.h -- the Windows data model for driver sources built on
 * Linux (force-included by mdlkit_add_driver, cmake/mdlkitDriver.cmake;
 * docs/storport.md "Building a driver").
 *
 * Windows is LLP64: `long` is 32 bits. Linux x86-64 is LP64: `long` is 64
 * bits. Driver code that spells `unsigned long` for a 32-bit quantity
 * (virtio-win's u32 / __le32, register and ring layouts, ULONG-sized
 * out-parameters) is only correct with a 32-bit long. This header is read
 * before the driver's first line: it includes the C library and mdlkit's
 * WDK headers while `long` still means what they expect, then makes the
 * keyword `long` mean `int` for the rest of the translation unit -- the
 * driver's own code. Driver code must then not spell `long long` or
 * `long double` (use LONGLONG / ULONGLONG / __int64, as WDK code does),
 * and C library headers it includes later must be among those below.
 * It also gives driver code MSVC's meaning of __inline (below).
 */
#ifndef MDLKIT_LLP64_H
#define MDLKIT_LLP64_H

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ntddk.h>
#include <wdm.h>
#include <ntstrsafe.h>
#include <ntintsafe.h>
#include <storport.h>
#include <srbhelper.h>
#include <ntddscsi.h>
#include <ntddstor.h>
#include <scsiwmi.h>
#include <stortrce.h>
#include <ndis.h>

/* The 32-bit limits of the LLP64 long. */
#undef LONG_MAX
#undef LONG_MIN
#undef ULONG_MAX
#define LONG_MAX 2147483647
#define LONG_MIN (-2147483647 - 1)
#define ULONG_MAX 4294967295U

#define long int

/* MSVC's __inline in C is an inlining request whose function is emitted
 * wherever it is needed; C99's `inline` without `extern` emits nothing, so a
 * call the compiler did not inline (-O0) would not link. Driver code gets
 * an __inline that is always inlined (its address must not be taken). */
#undef __inline
#define __inline __inline__ __attribute((always_inline))

#endif /* MDLKIT_LLP64_H */
