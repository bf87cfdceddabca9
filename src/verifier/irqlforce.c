/*
 * irqlforce.c -- Force IRQL Checking (option 0x2): paged pool is "paged
 * out" whenever a thread raises to DISPATCH_LEVEL or takes a spin lock, as
 * Driver Verifier trims all pageable memory at those moments.
 *
 * Trim: every mapped page of MK_RGN_PPOOL that is not already trimmed and
 * not locked by an MDL (mk_pfn(pfn)->locks) is made inaccessible with
 * mk_va_protect(..., 0, MK_PG_TRIMMED), one call per run of pages. The
 * region's page bits are scanned eight at a time, so a trim that changes
 * nothing costs a few microseconds and no system call.
 *
 * A touch of a trimmed page:
 *   at IRQL >= DISPATCH_LEVEL -> 0xD1 DRIVER_IRQL_NOT_LESS_OR_EQUAL
 *       (address, IRQL, 0 read / 1 write / 8 execute, instruction);
 *   below DISPATCH_LEVEL -> the page's 64 KiB chunk is "paged back in"
 *       (trimmed pages made read/write again) and the access is retried.
 * Memory reached through the direct map or another mapping (an MDL's
 * system address) is not trimmed: it is locked or non-paged by definition.
 */
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_verifier.h"
#include "vf_internal.h"

#include <string.h>

#define IR_MAPPED8 0x0808080808080808ULL
#define IR_TRIMMED8 0x2020202020202020ULL

static pthread_mutex_t ir_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_llong ir_trims, ir_pageins;

static int ir_trimmable(size_t idx)
{
    uint8_t b = mk_as.bits[idx];
    if ((b & (MK_PG_MAPPED | MK_PG_TRIMMED)) != MK_PG_MAPPED)
        return 0;
    return mk_pfn_locks(mk_as.pfn[idx]) == 0;
}

void mk_vf_on_raise_to_dispatch(void)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING) || !mk_as.bits)
        return;
    if (mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL))
        mk_vf_specpool_trim_paged(); /* paged blocks that live in special pool */
    size_t first = mk_va_index(mk_as.rgn_base[MK_RGN_PPOOL]);
    size_t n = (size_t)(mk_as.rgn_end[MK_RGN_PPOOL] - mk_as.rgn_base[MK_RGN_PPOOL]) >> PAGE_SHIFT;
    pthread_mutex_lock(&ir_lock);
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, mk_as.bits + first + i, 8);
            /* mapped and not trimmed in any of the 8 pages? */
            uint64_t mapped = w & IR_MAPPED8, trimmed = (w & IR_TRIMMED8) >> 2;
            if ((mapped & ~trimmed) == 0) {
                i += 8;
                continue;
            }
        }
        if (!ir_trimmable(first + i)) {
            i++;
            continue;
        }
        size_t run = 1;
        while (i + run < n && ir_trimmable(first + i + run))
            run++;
        mk_va_protect(mk_as.base + ((first + i) << PAGE_SHIFT), run, 0, MK_PG_TRIMMED);
        atomic_fetch_add_explicit(&ir_trims, 1, memory_order_relaxed);
        i += run;
    }
    pthread_mutex_unlock(&ir_lock);
}

int mk_vf_irql_fault(void *addr, int write, void *pc)
{
    size_t idx = mk_va_index(addr);
    uint8_t b = mk_as.bits[idx];
    if (!(b & MK_PG_TRIMMED)) {
        /* Paged in by another thread between the fault and now: retry. */
        if ((b & MK_PG_MAPPED) && (b & MK_PG_READ) && (!write || (b & MK_PG_WRITE)))
            return 1;
        return 0;
    }
    KIRQL irql = mk_irql();
    if (irql >= DISPATCH_LEVEL) {
        ULONG_PTR how = pc == addr ? 8 : (write ? 1 : 0);
        mk_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)addr, irql, how, (ULONG_PTR)pc);
    }
    /* Page the chunk back in: its trimmed pages become read/write again. */
    size_t first = mk_va_index(mk_as.rgn_base[MK_RGN_PPOOL]);
    size_t end = first + ((size_t)(mk_as.rgn_end[MK_RGN_PPOOL] - mk_as.rgn_base[MK_RGN_PPOOL]) >> PAGE_SHIFT);
    size_t lo = first + ((idx - first) & ~(size_t)(MK_CHUNK_PAGES - 1));
    size_t hi = lo + MK_CHUNK_PAGES < end ? lo + MK_CHUNK_PAGES : end;
    pthread_mutex_lock(&ir_lock);
    size_t i = lo;
    while (i < hi) {
        if ((mk_as.bits[i] & (MK_PG_MAPPED | MK_PG_TRIMMED)) != (MK_PG_MAPPED | MK_PG_TRIMMED)) {
            i++;
            continue;
        }
        size_t run = 1;
        while (i + run < hi && (mk_as.bits[i + run] & (MK_PG_MAPPED | MK_PG_TRIMMED)) == (MK_PG_MAPPED | MK_PG_TRIMMED))
            run++;
        mk_va_protect(mk_as.base + (i << PAGE_SHIFT), run, MK_PG_READ | MK_PG_WRITE, 0);
        i += run;
    }
    pthread_mutex_unlock(&ir_lock);
    atomic_fetch_add_explicit(&ir_pageins, 1, memory_order_relaxed);
    return 1;
}

void mk_vf_irql_shutdown(void)
{
    atomic_store(&ir_trims, 0);
    atomic_store(&ir_pageins, 0);
}
