/*
 * bitmap.c -- RTL_BITMAP: RtlInitializeBitMap, RtlSetBit(s), RtlClearBit(s),
 * RtlTestBit, RtlSetAllBits, RtlClearAllBits, RtlFindClearBits(AndSet),
 * RtlFindSetBits(AndClear), RtlAreBitsClear/Set, RtlNumberOfSet/ClearBits,
 * RtlFindFirstRunClear, RtlFindLongestRunClear, RtlFindNextForwardRunClear,
 * RtlFindLeast/MostSignificantBit.
 *
 * Bit n is bit (n % 32) of Buffer[n / 32]. A bit index or range outside
 * the bitmap is the ASSERT a checked build makes (STATUS_ASSERTION_FAILURE,
 * docs/ddi-notes.md "Rtl bitmaps"); Find* searches start at the hint (0 if
 * the hint is outside) and wrap around, returning 0xFFFFFFFF when nothing
 * fits. Any IRQL when the buffer is resident; the caller synchronises.
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <stdio.h>
#include <string.h>

#define BM_NOT_FOUND 0xFFFFFFFFUL

/* The header and its buffer (ULONG-aligned, as RtlInitializeBitMap
 * documents; NULL only for an empty bitmap), checked at each DDI's top:
 * what MK_OBJ_FAULT raises for an object. */
#define BM_CHECK(h)                                                                                   \
    do {                                                                                              \
        MK_OBJ_FAULT(h);                                                                              \
        if (MK_UNLIKELY((((ULONG_PTR)(h)->Buffer & 3) != 0) | (!(h)->Buffer & ((h)->SizeOfBitMap != 0)))) \
            mk_object_fault((h)->Buffer, __builtin_return_address(0));                                \
    } while (0)

static int bm_get(const RTL_BITMAP *b, ULONG i) { return (int)((b->Buffer[i >> 5] >> (i & 31)) & 1); }
static void bm_put(PRTL_BITMAP b, ULONG i, int v)
{
    if (v)
        b->Buffer[i >> 5] |= 1UL << (i & 31);
    else
        b->Buffer[i >> 5] &= ~(1UL << (i & 31));
}

static MK_NOINLINE void bm_check(const RTL_BITMAP *b, ULONG start, ULONG n)
{
    if (MK_UNLIKELY((ULONGLONG)start + n > b->SizeOfBitMap)) {
        fprintf(stderr, "mdlkit: Assertion failure: bits %u..%u are outside the RTL_BITMAP of %u bits\n",
                (unsigned)start, (unsigned)(start + n - 1), (unsigned)b->SizeOfBitMap);
        mk_raise(STATUS_ASSERTION_FAILURE);
    }
}

void RtlInitializeBitMap(PRTL_BITMAP BitMapHeader, PULONG BitMapBuffer, ULONG SizeOfBitMap)
{
    MK_OBJ_FAULT(BitMapHeader);
    MK_OBJ_ALIGN_FAULT(BitMapBuffer); /* documented: ULONG-aligned */
    BitMapHeader->SizeOfBitMap = SizeOfBitMap;
    BitMapHeader->Buffer = BitMapBuffer;
}

void RtlSetBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
{
    BM_CHECK(BitMapHeader);
    bm_check(BitMapHeader, BitNumber, 1);
    bm_put(BitMapHeader, BitNumber, 1);
}

void RtlClearBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
{
    BM_CHECK(BitMapHeader);
    bm_check(BitMapHeader, BitNumber, 1);
    bm_put(BitMapHeader, BitNumber, 0);
}

BOOLEAN RtlTestBit(PRTL_BITMAP BitMapHeader, ULONG BitNumber)
{
    BM_CHECK(BitMapHeader);
    bm_check(BitMapHeader, BitNumber, 1);
    return (BOOLEAN)bm_get(BitMapHeader, BitNumber);
}

static void bm_fill(PRTL_BITMAP b, ULONG start, ULONG n, int v)
{
    bm_check(b, start, n);
    ULONG i = start, end = start + n;
    while (i < end && (i & 31))
        bm_put(b, i++, v);
    while (end - i >= 32) {
        b->Buffer[i >> 5] = v ? 0xFFFFFFFFUL : 0;
        i += 32;
    }
    while (i < end)
        bm_put(b, i++, v);
}

void RtlSetBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToSet)
{
    BM_CHECK(BitMapHeader);
    bm_fill(BitMapHeader, StartingIndex, NumberToSet, 1);
}

void RtlClearBits(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG NumberToClear)
{
    BM_CHECK(BitMapHeader);
    bm_fill(BitMapHeader, StartingIndex, NumberToClear, 0);
}

void RtlSetAllBits(PRTL_BITMAP BitMapHeader)
{
    BM_CHECK(BitMapHeader);
    bm_fill(BitMapHeader, 0, BitMapHeader->SizeOfBitMap, 1);
}
void RtlClearAllBits(PRTL_BITMAP BitMapHeader)
{
    BM_CHECK(BitMapHeader);
    bm_fill(BitMapHeader, 0, BitMapHeader->SizeOfBitMap, 0);
}

static BOOLEAN bm_all(const RTL_BITMAP *b, ULONG start, ULONG n, int v)
{
    if (n == 0 || (ULONGLONG)start + n > b->SizeOfBitMap)
        return FALSE;
    for (ULONG i = start; i < start + n; i++)
        if (bm_get(b, i) != v)
            return FALSE;
    return TRUE;
}

BOOLEAN RtlAreBitsClear(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)
{
    BM_CHECK(BitMapHeader);
    return bm_all(BitMapHeader, StartingIndex, Length, 0);
}

BOOLEAN RtlAreBitsSet(PRTL_BITMAP BitMapHeader, ULONG StartingIndex, ULONG Length)
{
    BM_CHECK(BitMapHeader);
    return bm_all(BitMapHeader, StartingIndex, Length, 1);
}

ULONG RtlNumberOfSetBits(PRTL_BITMAP BitMapHeader)
{
    BM_CHECK(BitMapHeader);
    ULONG size = BitMapHeader->SizeOfBitMap, n = 0, i = 0;
    for (; i + 32 <= size; i += 32)
        n += (ULONG)__builtin_popcount(BitMapHeader->Buffer[i >> 5]);
    for (; i < size; i++)
        n += (ULONG)bm_get(BitMapHeader, i);
    return n;
}

ULONG RtlNumberOfClearBits(PRTL_BITMAP BitMapHeader)
{
    BM_CHECK(BitMapHeader);
    return BitMapHeader->SizeOfBitMap - RtlNumberOfSetBits(BitMapHeader);
}

/* First run of n bits equal to v at or after `from` that ends before `limit`. */
static ULONG bm_find_in(const RTL_BITMAP *b, ULONG n, int v, ULONG from, ULONG limit)
{
    ULONG run = 0;
    for (ULONG i = from; i < limit; i++) {
        if (bm_get(b, i) == v) {
            if (++run == n)
                return i + 1 - n;
        } else {
            run = 0;
        }
    }
    return BM_NOT_FOUND;
}

static ULONG bm_find(const RTL_BITMAP *b, ULONG n, int v, ULONG hint)
{
    ULONG size = b->SizeOfBitMap;
    if (hint >= size)
        hint = 0;
    if (n == 0)
        return hint;
    if (n > size)
        return BM_NOT_FOUND;
    ULONG r = bm_find_in(b, n, v, hint, size);
    if (r == BM_NOT_FOUND && hint > 0)
        r = bm_find_in(b, n, v, 0, hint + n - 1 < size ? hint + n - 1 : size);
    return r;
}

ULONG RtlFindClearBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    BM_CHECK(BitMapHeader);
    return bm_find(BitMapHeader, NumberToFind, 0, HintIndex);
}

ULONG RtlFindSetBits(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    BM_CHECK(BitMapHeader);
    return bm_find(BitMapHeader, NumberToFind, 1, HintIndex);
}

ULONG RtlFindClearBitsAndSet(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    BM_CHECK(BitMapHeader);
    ULONG r = bm_find(BitMapHeader, NumberToFind, 0, HintIndex);
    if (r != BM_NOT_FOUND && NumberToFind)
        bm_fill(BitMapHeader, r, NumberToFind, 1);
    return r;
}

ULONG RtlFindSetBitsAndClear(PRTL_BITMAP BitMapHeader, ULONG NumberToFind, ULONG HintIndex)
{
    BM_CHECK(BitMapHeader);
    ULONG r = bm_find(BitMapHeader, NumberToFind, 1, HintIndex);
    if (r != BM_NOT_FOUND && NumberToFind)
        bm_fill(BitMapHeader, r, NumberToFind, 0);
    return r;
}

ULONG RtlFindNextForwardRunClear(PRTL_BITMAP BitMapHeader, ULONG FromIndex, PULONG StartingRunIndex)
{
    BM_CHECK(BitMapHeader);
    ULONG size = BitMapHeader->SizeOfBitMap, i = FromIndex;
    while (i < size && bm_get(BitMapHeader, i))
        i++;
    *StartingRunIndex = i;
    ULONG start = i;
    while (i < size && !bm_get(BitMapHeader, i))
        i++;
    return i - start;
}

ULONG RtlFindFirstRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)
{
    BM_CHECK(BitMapHeader);
    return RtlFindNextForwardRunClear(BitMapHeader, 0, StartingIndex);
}

ULONG RtlFindLongestRunClear(PRTL_BITMAP BitMapHeader, PULONG StartingIndex)
{
    BM_CHECK(BitMapHeader);
    ULONG best = 0, best_start = 0, from = 0, start;
    for (;;) {
        ULONG n = RtlFindNextForwardRunClear(BitMapHeader, from, &start);
        if (n == 0)
            break;
        if (n > best) {
            best = n;
            best_start = start;
        }
        from = start + n;
    }
    *StartingIndex = best_start;
    return best;
}

CCHAR RtlFindLeastSignificantBit(ULONGLONG Set)
{
    return Set ? (CCHAR)__builtin_ctzll(Set) : (CCHAR)-1;
}

CCHAR RtlFindMostSignificantBit(ULONGLONG Set)
{
    return Set ? (CCHAR)(63 - __builtin_clzll(Set)) : (CCHAR)-1;
}
