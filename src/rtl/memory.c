/*
 * memory.c -- the run-time library's memory routines that are functions
 * rather than macros: RtlCompareMemoryUlong, RtlConvertLongToLargeInteger,
 * RtlConvertUlongToLargeInteger. (RtlCopyMemory, RtlZeroMemory, ... are
 * macros in ntdef.h and mkwdk/rtl.h.)
 */
#include "mk_rtl.h"

#include <string.h>

/* The number of bytes, from the start of Source, that match the repeated
 * ULONG Pattern; Length is rounded down to whole ULONGs (Source must be
 * ULONG-aligned, as documented). */
SIZE_T RtlCompareMemoryUlong(PVOID Source, SIZE_T Length, ULONG Pattern)
{
    const UCHAR *p = (const UCHAR *)Source;
    SIZE_T n = Length & ~(SIZE_T)(sizeof(ULONG) - 1), i = 0;
    for (; i < n; i += sizeof(ULONG)) {
        ULONG v;
        memcpy(&v, p + i, sizeof v);
        if (v != Pattern)
            break;
    }
    return i;
}

LARGE_INTEGER RtlConvertLongToLargeInteger(LONG SignedInteger)
{
    LARGE_INTEGER r;
    r.QuadPart = SignedInteger;
    return r;
}

LARGE_INTEGER RtlConvertUlongToLargeInteger(ULONG UnsignedInteger)
{
    LARGE_INTEGER r;
    r.QuadPart = UnsignedInteger;
    return r;
}
