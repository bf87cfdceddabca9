/*
 * mdlpages.c -- MmAllocatePagesForMdl, MmAllocatePagesForMdlEx,
 * MmFreePagesFromMdl, MmFreePagesFromMdlEx.
 *
 * Pages come from the physical-memory layer scattered page by page (they are
 * not mapped until the driver maps them), or in contiguous chunks when a flag
 * asks for it. The MDL is non-paged pool (tag ' LDM') that the caller frees
 * with ExFreePool; it holds one extra PFN slot so the page list always ends
 * with MK_PFN_LIST_END, which lets MmFreePagesFromMdl free exactly what was
 * allocated even after the driver rewrote ByteCount / ByteOffset.
 */
#include "mk_mdl.h"
#include "mk_machine.h"
#include "mk_verifier.h"

#include <stdlib.h>
#include <string.h>

#define MDLPAGES_MAX_BYTES ((SIZE_T)0xFFFFFFFFUL - PAGE_SIZE + 1)
#define MDLPAGES_LARGE_PAGES 512 /* 2 MiB */

static ULONG mdlpages_valid_flags(void)
{
    ULONG f = MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_FROM_LOCAL_NODE_ONLY;
    if (mk_os_at_least(NTDDI_WIN7))
        f |= MM_ALLOCATE_FULLY_REQUIRED | MM_ALLOCATE_NO_WAIT | MM_ALLOCATE_PREFER_CONTIGUOUS |
             MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS;
    if (mk_os_at_least(NTDDI_WIN8))
        f |= MM_ALLOCATE_FAST_LARGE_PAGES;
    if (mk_os_at_least(NTDDI_WINBLUE))
        f |= MM_ALLOCATE_TRIM_IF_NECESSARY;
    if (mk_os_at_least(NTDDI_WIN10))
        f |= MM_ALLOCATE_AND_HOT_REMOVE;
    return f;
}

static void mdlpages_irql(const void *routine)
{
    KIRQL irql = mk_irql();
    if (MK_UNLIKELY(irql > DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7E, irql, DISPATCH_LEVEL, 0);
    if (MK_UNLIKELY(irql > APC_LEVEL) && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(0x00020019, "IrqlMmApcLte: MmAllocatePagesForMdl(Ex) / MmFreePagesFromMdl called above APC_LEVEL",
                     (ULONG_PTR)routine, irql);
}

/* The entry of a DDI that a Windows version introduced: not there in the
 * emulated OS, 0xC4 with mdlkit's rule (`why`: which version brought it);
 * then the IRQL rule. */
static void mdlpages_entry(ULONG since, const void *routine, const char *why)
{
    if (!mk_os_at_least(since))
        mk_violation(MDLKIT_RULE_DDI_NOT_AVAILABLE, why, (ULONG_PTR)routine, mk_rt.os);
    mdlpages_irql(routine);
}

/* Takes up to `want` frames in [lo, hi] into out[], honouring the contiguity
 * flags. Returns how many. */
static size_t mdlpages_take(size_t want, PFN_NUMBER lo, PFN_NUMBER hi, ULONG flags, size_t chunk_pages, PFN_NUMBER *out)
{
    size_t got = 0;
    if (flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) {
        size_t chunk = chunk_pages ? chunk_pages : want;
        while (got < want) {
            size_t n = want - got < chunk ? want - got : chunk;
            PFN_NUMBER first;
            if (mk_phys_alloc_run(n, lo, hi, 0, MK_USE_MDL_PAGES, &first) != 0)
                break;
            for (size_t k = 0; k < n; k++)
                out[got++] = first + k;
        }
        return got;
    }
    if (flags & MM_ALLOCATE_FAST_LARGE_PAGES) {
        while (want - got >= MDLPAGES_LARGE_PAGES) {
            PFN_NUMBER first;
            if (mk_phys_alloc_run(MDLPAGES_LARGE_PAGES, lo, hi, MDLPAGES_LARGE_PAGES, MK_USE_MDL_PAGES, &first) != 0)
                break;
            for (size_t k = 0; k < MDLPAGES_LARGE_PAGES; k++)
                out[got++] = first + k;
        }
    }
    if ((flags & MM_ALLOCATE_PREFER_CONTIGUOUS) && got < want) {
        PFN_NUMBER first;
        if (mk_phys_alloc_run(want - got, lo, hi, 0, MK_USE_MDL_PAGES, &first) == 0) {
            for (size_t k = 0; got < want; k++)
                out[got++] = first + k;
            return got;
        }
    }
    if (got < want)
        got += mk_phys_alloc_pages(want - got, lo, hi, MK_USE_MDL_PAGES, out + got);
    return got;
}

static PMDL mdlpages_alloc(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                           SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags, void *caller)
{
    if (Flags & ~mdlpages_valid_flags())
        return NULL;
    if (mk_verifier_fail_now(MK_FAULT_PAGES_FOR_MDL, MK_MDL_TAG, caller))
        return NULL;
    if (Flags & MM_ALLOCATE_AND_HOT_REMOVE) {
        if ((Flags & MM_ALLOCATE_FULLY_REQUIRED) || mk_irql() != PASSIVE_LEVEL)
            return NULL;
    }
    if (CacheType < MmNonCached || CacheType >= MmMaximumCacheType)
        return NULL;
    if (TotalBytes == 0 || LowAddress.QuadPart < 0 || (ULONGLONG)HighAddress.QuadPart < (ULONGLONG)LowAddress.QuadPart || /* -1 = no limit, as drivers pass it */
        SkipBytes.QuadPart < 0 || BYTE_OFFSET(SkipBytes.QuadPart))
        return NULL;
    if (TotalBytes > MDLPAGES_MAX_BYTES) {
        if (Flags & MM_ALLOCATE_FULLY_REQUIRED)
            return NULL;
        TotalBytes = MDLPAGES_MAX_BYTES;
    }
    size_t want = BYTES_TO_PAGES(TotalBytes);
    /* With REQUIRE_CONTIGUOUS_CHUNKS, SkipBytes is the chunk size. */
    size_t chunk_pages = 0;
    bool skip_ranges = SkipBytes.QuadPart != 0;
    if (Flags & MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS) {
        chunk_pages = (size_t)(SkipBytes.QuadPart >> PAGE_SHIFT);
        skip_ranges = false;
    }

    size_t mdl_bytes = sizeof(MDL) + (want + 1) * sizeof(PFN_NUMBER);
    PMDL mdl = mk_mdl_pool_alloc(mdl_bytes);
    if (!mdl)
        return NULL;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);

    PFN_NUMBER lo = (PFN_NUMBER)LowAddress.QuadPart >> PAGE_SHIFT;
    PFN_NUMBER hi = (PFN_NUMBER)HighAddress.QuadPart >> PAGE_SHIFT;
    PFN_NUMBER skip = (PFN_NUMBER)SkipBytes.QuadPart >> PAGE_SHIFT;
    if (lo < mk_phys.first)
        lo = mk_phys.first;
    size_t got = 0;
    while (got < want && lo <= mk_phys.last) {
        PFN_NUMBER h = hi > mk_phys.last ? mk_phys.last : hi;
        if (h >= lo)
            got += mdlpages_take(want - got, lo, h, Flags, chunk_pages, pfns + got);
        if (!skip_ranges)
            break;
        lo += skip;
        hi += skip;
    }
    if (got == 0 || (got < want && (Flags & MM_ALLOCATE_FULLY_REQUIRED))) {
        if (got)
            mk_phys_free_list(pfns, got);
        ExFreePoolWithTag(mdl, MK_MDL_TAG);
        return NULL;
    }
    for (size_t i = 0; i < got; i++) {
        mk_pfn_entry *e = mk_pfn(pfns[i]);
        e->cache = (int8_t)CacheType;
    }
    if ((Flags & MM_DONT_ZERO_ALLOCATION) && mk_verifier_on(MDLKIT_VERIFY_LOW_RESOURCES) &&
        mk_os_at_least(NTDDI_WINBLUE)) {
        /* Verifier fills pages the caller asked not to have zeroed. */
        for (size_t i = 0; i < got; i++)
            memset(mk_pfn_to_direct(pfns[i]), 0xA5 ^ (int)(i & 0xFF), PAGE_SIZE);
    }
    pfns[got] = MK_PFN_LIST_END;
    mdl->Next = NULL;
    size_t size = sizeof(MDL) + got * sizeof(PFN_NUMBER);
    mdl->Size = (CSHORT)size;
    mk_mdl_record_size(mdl, mdl_bytes);
    mdl->MdlFlags = MDL_PAGES_LOCKED;
    mdl->Process = NULL;
    mdl->MappedSystemVa = NULL;
    mdl->StartVa = NULL;
    mdl->ByteOffset = 0;
    mdl->ByteCount = (ULONG)(got << PAGE_SHIFT);
    atomic_fetch_add_explicit(&mk_mdl_page_mdls, 1, memory_order_relaxed);
    return mdl;
}

PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                             SIZE_T TotalBytes, MEMORY_CACHING_TYPE CacheType, ULONG Flags)
{
    MK_ENTER("MmAllocatePagesForMdlEx");
    mk_ddi_prohibited_check("MmAllocatePagesForMdlEx");
    mdlpages_entry(NTDDI_WS03SP1, MmAllocatePagesForMdlEx,
                   "MmAllocatePagesForMdlEx does not exist before Windows Server 2003 SP1 (emulated OS)");
    return mdlpages_alloc(LowAddress, HighAddress, SkipBytes, TotalBytes, CacheType, Flags, __builtin_return_address(0));
}

PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress, PHYSICAL_ADDRESS SkipBytes,
                           SIZE_T TotalBytes)
{
    MK_ENTER("MmAllocatePagesForMdl");
    mk_ddi_prohibited_check("MmAllocatePagesForMdl");
    mdlpages_irql(MmAllocatePagesForMdl);
    return mdlpages_alloc(LowAddress, HighAddress, SkipBytes, TotalBytes, MmCached, 0, __builtin_return_address(0));
}

static void mdlpages_free(PMDL Mdl, ULONG Flags)
{
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
    if (!(Mdl->MdlFlags & MDL_PAGES_LOCKED) || pfns[0] == MK_PFN_LIST_END)
        /* Not (or no longer) an MDL of allocated pages: freed twice, or not
         * from MmAllocatePagesForMdl(Ex). */
        mk_bugcheck(MEMORY_MANAGEMENT, 0x1236, (ULONG_PTR)Mdl, (ULONG_PTR)&pfns[0], pfns[0]);
    /* Count the list and check every page before anything changes (a caught
     * bug check leaves the MDL as it was, its own system mapping included:
     * that mapping is one of each page's `maps`, and is released below --
     * Windows 7+: MmFreePagesFromMdl releases it). */
    uint32_t own = (Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) ? 1 : 0;
    size_t cap = mk_mdl_capacity(Mdl) + 1, n = 0;
    while (n < cap && pfns[n] != MK_PFN_LIST_END) {
        mk_pfn_entry *e = mk_pfn(pfns[n]);
        if (!e || e->state != MK_PFN_ACTIVE || e->use != MK_USE_MDL_PAGES)
            mk_bugcheck(MEMORY_MANAGEMENT, 0x1236, (ULONG_PTR)Mdl, (ULONG_PTR)&pfns[n], pfns[n]);
        uint32_t maps = atomic_load_explicit(&e->maps, memory_order_relaxed);
        if (mk_pfn_locks(pfns[n]) || maps > own)
            /* Freeing a page that is still locked for I/O, or mapped by
             * something else than this MDL's own system mapping. */
            mk_bugcheck(PFN_LIST_CORRUPT, 0x9A, pfns[n], mk_pfn_locks(pfns[n]), maps - own);
        n++;
    }
    if (own)
        mk_mdl_unmap_system(Mdl);
    if (Flags & MM_FREE_MDL_PAGES_ZERO)
        for (size_t i = 0; i < n; i++)
            memset(mk_pfn_to_direct(pfns[i]), 0, PAGE_SIZE);
    mk_phys_free_list(pfns, n);
    for (size_t i = 0; i < n; i++)
        pfns[i] = MK_PFN_LIST_END;
    Mdl->MdlFlags &= (CSHORT) ~(MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    mk_mdl_forget_size(Mdl); /* the caller's next step is ExFreePool */
    atomic_fetch_sub_explicit(&mk_mdl_page_mdls, 1, memory_order_relaxed);
}

void MmFreePagesFromMdl(PMDL MemoryDescriptorList)
{
    MK_ENTER("MmFreePagesFromMdl");
    mk_ddi_prohibited_check("MmFreePagesFromMdl");
    mdlpages_irql(MmFreePagesFromMdl);
    MK_OBJ_FAULT(MemoryDescriptorList);
    mdlpages_free(MemoryDescriptorList, 0);
}

void MmFreePagesFromMdlEx(PMDL MemoryDescriptorList, ULONG Flags)
{
    MK_ENTER("MmFreePagesFromMdlEx");
    MK_OBJ_FAULT(MemoryDescriptorList);
    mdlpages_entry(NTDDI_WIN10_RS1, MmFreePagesFromMdlEx,
                   "MmFreePagesFromMdlEx does not exist before Windows 10 version 1607 (emulated OS)");
    if (Flags & ~MM_FREE_MDL_PAGES_ZERO)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, 0, (ULONG_PTR)MemoryDescriptorList, Flags);
    mdlpages_free(MemoryDescriptorList, Flags);
}
