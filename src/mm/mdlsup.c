/*
 * mdlsup.c -- MDL support: MmBuildMdlForNonPagedPool, MmSizeOfMdl,
 * MmCreateMdl, mdlkit_mdl_reuse_check (behind MmPrepareMdlForReuse), the
 * memory classification the verifier and port layers use, and the MDL
 * statistics. Probe/lock is in mdllock.c, mapping in mdlmap.c.
 */
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_machine.h"
#include "mk_verifier.h"

atomic_long mk_mdl_sys_maps, mk_mdl_user_maps, mk_mdl_page_mdls, mk_mdl_contig_allocs;
mk_mdl_lockstat mk_mdl_lockstats[MK_LOCK_SHARDS];

void mk_mdl_get_stats(mk_mdl_stats *out)
{
    uint64_t sum = 0; /* (unsigned: the slots wrap as they are added) */
    for (int s = 0; s < MK_LOCK_SHARDS; s++)
        sum += (uint64_t)atomic_load_explicit(&mk_mdl_lockstats[s].v, memory_order_relaxed);
    /* pages: the low 40 bits, signed; MDLs: the rest */
    int64_t pages = (int64_t)(sum << 24) >> 24;
    out->locked_pages = (long)pages;
    out->locked_mdls = (long)((int64_t)(sum - (uint64_t)pages) >> 40);
    out->system_mappings = atomic_load_explicit(&mk_mdl_sys_maps, memory_order_relaxed);
    out->user_mappings = atomic_load_explicit(&mk_mdl_user_maps, memory_order_relaxed);
    out->page_mdls = atomic_load_explicit(&mk_mdl_page_mdls, memory_order_relaxed);
    out->contiguous = atomic_load_explicit(&mk_mdl_contig_allocs, memory_order_relaxed);
}

unsigned mk_mdl_memory_kinds(const void *va, SIZE_T length)
{
    unsigned kinds = 0;
    const char *p = (const char *)PAGE_ALIGN(va);
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, length);
    if (!pages)
        pages = 1;
    for (size_t i = 0; i < pages; i++, p += PAGE_SIZE) {
        enum mk_region r = mk_va_region(p);
        switch (r) {
        case MK_RGN_FOREIGN:
            kinds |= MK_MEM_FOREIGN;
            continue;
        case MK_RGN_USER:
            kinds |= MK_MEM_USER;
            break;
        case MK_RGN_NPOOL:
            kinds |= MK_MEM_NPOOL;
            break;
        case MK_RGN_PPOOL:
            kinds |= MK_MEM_PPOOL;
            break;
        case MK_RGN_SPECIAL:
            /* special pool serves both pools: a paged block's page is paged pool too */
            kinds |= MK_MEM_SPECIAL | (mk_specpool_page_is_paged(p) ? MK_MEM_PPOOL : 0);
            break;
        case MK_RGN_SYSMAP:
            kinds |= MK_MEM_SYSMAP;
            break;
        case MK_RGN_DIRECT: {
            mk_pfn_entry *e = mk_pfn(mk_va_to_pfn(p));
            if (e && e->use == MK_USE_MDL_PAGES)
                kinds |= MK_MEM_MDL_PAGES;
            else if (e && e->use == MK_USE_NPOOL)
                kinds |= MK_MEM_NPOOL;
            else if (e && e->use == MK_USE_PPOOL)
                kinds |= MK_MEM_PPOOL;
            else
                kinds |= MK_MEM_CONTIG;
            continue;
        }
        default:
            kinds |= MK_MEM_UNMAPPED;
            continue;
        }
        if (!mk_va_to_pfn(p))
            kinds |= MK_MEM_UNMAPPED;
    }
    return kinds;
}

void mk_mdl_check_nonpaged_source(PMDL Mdl)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        return;
    unsigned kinds = mk_mdl_memory_kinds(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    if (kinds & (MK_MEM_PPOOL | MK_MEM_USER)) /* pageable: paged pool or user memory */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, mk_irql(), (ULONG_PTR)Mdl, (USHORT)Mdl->MdlFlags);
}

int mk_mdl_range_nonpaged(const void *va, size_t len)
{
    unsigned kinds = mk_mdl_memory_kinds(va, len);
    if (kinds & ~(MK_MEM_NPOOL | MK_MEM_CONTIG | MK_MEM_SPECIAL))
        return 0;
    if (kinds & MK_MEM_SPECIAL) { /* special pool serves both pools */
        mk_pool_block b;
        if (!mk_pool_lookup(va, &b) || mk_heap_is_paged(b.heap))
            return 0;
    }
    return 1;
}

/* Whether Mdl is a fixed-size block IoAllocateMdl took from the non-paged
 * pool (its cookie follows the 23 PFN slots): such a block holds 23 PFNs.
 * The cookie is read only when the MDL has MDL_ALLOCATED_FIXED_SIZE and
 * lies in the non-paged pool region with the whole block on its page, as a
 * real one does (a pool block never crosses a page). */
static inline bool mdlsup_fixed_block(const MDL *Mdl)
{
    uintptr_t a = (uintptr_t)Mdl;
    return (Mdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) &&
           a - (uintptr_t)mk_as.rgn_base[MK_RGN_NPOOL] <
               (uintptr_t)mk_as.rgn_end[MK_RGN_NPOOL] - (uintptr_t)mk_as.rgn_base[MK_RGN_NPOOL] &&
           (a & (PAGE_SIZE - 1)) + MK_MDL_FIXED_BYTES + sizeof(uintptr_t) <= PAGE_SIZE &&
           *(const uintptr_t *)(a + MK_MDL_FIXED_BYTES) == MK_MDL_FIXED_COOKIE(a);
}

/* MmBuildMdlForNonPagedPool's work, every case. `caller`: the DDI's
 * return address. */
static MK_NOINLINE void mdlsup_build_full(PMDL Mdl, void *caller)
{
    char *start = (char *)Mdl->StartVa;
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
    /* An MDL whose Size cannot hold the range's PFNs (garbage, or built for
     * a shorter range): the first PFN written outside it is a write past
     * the MDL's memory, 0x50 at that address, before anything is written.
     * IoAllocateMdl's own fixed-size blocks hold 23 (no pool lookup). */
    if (!MK_LIKELY(pages <= MK_MDL_FIXED_PFNS && mdlsup_fixed_block(Mdl))) {
        size_t cap = mk_mdl_capacity(Mdl);
        mk_pool_block blk;
        if (mk_pool_lookup(Mdl, &blk)) { /* nor past the pool block it lies in */
            uintptr_t end = (uintptr_t)blk.base + blk.capacity;
            size_t room = end > (uintptr_t)pfns ? (end - (uintptr_t)pfns) / sizeof(PFN_NUMBER) : 0;
            if (room < cap)
                cap = room;
        }
        if (MK_UNLIKELY(pages > cap))
            mk_bugcheck(PAGE_FAULT_IN_NONPAGED_AREA, (ULONG_PTR)&pfns[cap], 1, (ULONG_PTR)caller, 0);
    }
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_DDI_COMPLIANCE)) /* the only option it reports for */
        mk_mdl_check_nonpaged_source(Mdl);
    ULONG i = 0;
    /* Pages of the simulated address space below the direct map: the PFN
     * table itself, one load per page (the rest, page by page, below). */
    size_t idx = ((uintptr_t)start - (uintptr_t)mk_as.base) >> PAGE_SHIFT;
    size_t lim = (size_t)(mk_as.rgn_base[MK_RGN_DIRECT] - mk_as.base) >> PAGE_SHIFT;
    if (MK_LIKELY(idx < lim && pages <= lim - idx)) {
        const uint32_t *tab = mk_as.pfn + idx;
        for (; i < pages; i++) {
            PFN_NUMBER pfn = tab[i];
            if (MK_UNLIKELY(!pfn))
                break; /* reported below */
            pfns[i] = pfn;
        }
    }
    for (; i < pages; i++) {
        const char *va = start + ((size_t)i << PAGE_SHIFT);
        /* the null region (first 64 KiB) is never resident */
        PFN_NUMBER pfn = (uintptr_t)va < 0x10000 ? 0 : mk_va_to_pfn(va);
        if (MK_UNLIKELY(!pfn))
            /* MEMORY_MANAGEMENT 0x1240: building an MDL for a VA range that
             * is not resident (P2 = MDL, P3 = the address in place of a PTE). */
            mk_bugcheck(MEMORY_MANAGEMENT, 0x1240, (ULONG_PTR)Mdl, (ULONG_PTR)(start + ((size_t)i << PAGE_SHIFT)), 0);
        pfns[i] = pfn;
    }
    Mdl->Process = NULL;
    Mdl->MappedSystemVa = start + Mdl->ByteOffset;
    Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/* The fast path: an IoAllocateMdl block (mdlsup_fixed_block) of at most 23
 * pages, all in the simulated address space below the direct map and
 * resident, DDI compliance checking off. Anything else, or a page with no
 * frame, is mdlsup_build_full's (which starts over and reports). */
static inline __attribute__((always_inline)) void mdlsup_build(PMDL Mdl, void *caller)
{
    uintptr_t start = (uintptr_t)Mdl->StartVa;
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(start + Mdl->ByteOffset, Mdl->ByteCount);
    size_t idx = (start - (uintptr_t)mk_as.base) >> PAGE_SHIFT;
    size_t lim = (size_t)(mk_as.rgn_base[MK_RGN_DIRECT] - mk_as.base) >> PAGE_SHIFT;
    if (MK_LIKELY(pages <= MK_MDL_FIXED_PFNS && !(mk_rt.verifier & MDLKIT_VERIFY_DDI_COMPLIANCE) && idx < lim &&
                  pages <= lim - idx && mdlsup_fixed_block(Mdl))) {
        const uint32_t *tab = mk_as.pfn + idx;
        PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
        size_t i = 0;
        for (; i + 2 <= pages; i += 2) {
            uint32_t a = tab[i], b = tab[i + 1];
            if (MK_UNLIKELY(!a || !b))
                break;
            pfns[i] = a;
            pfns[i + 1] = b;
        }
        for (; i < pages; i++) {
            uint32_t a = tab[i];
            if (MK_UNLIKELY(!a))
                break;
            pfns[i] = a;
        }
        if (MK_LIKELY(i == pages)) {
            Mdl->Process = NULL;
            Mdl->MappedSystemVa = (char *)start + Mdl->ByteOffset;
            Mdl->MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
            return;
        }
    }
    mdlsup_build_full(Mdl, caller);
}

void mk_mdl_build_nonpaged(PMDL Mdl) { mdlsup_build(Mdl, __builtin_return_address(0)); }

void MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList)
{
    MK_ENTER("MmBuildMdlForNonPagedPool");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, MmBuildMdlForNonPagedPool);
    MK_OBJ_FAULT(MemoryDescriptorList);
    mdlsup_build(MemoryDescriptorList, __builtin_return_address(0));
}

SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length)
{
    MK_ENTER("MmSizeOfMdl");
    SIZE_T pages = ((SIZE_T)BYTE_OFFSET(Base) + Length + PAGE_SIZE - 1) >> PAGE_SHIFT;
    return sizeof(MDL) + pages * sizeof(PFN_NUMBER);
}

PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length)
{
    MK_ENTER("MmCreateMdl");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, MmCreateMdl);
    if (Length > MAXULONG)
        return NULL;
    PMDL mdl = MemoryDescriptorList;
    if (!mdl) {
        SIZE_T bytes = MmSizeOfMdl(Base, Length);
        mdl = mk_mdl_pool_alloc(bytes);
        if (!mdl)
            return NULL;
        mk_mdl_record_size(mdl, bytes);
        mdl->Process = NULL;
        mdl->MappedSystemVa = NULL;
    }
    MmInitializeMdl(mdl, Base, Length);
    return mdl;
}

void mdlkit_mdl_reuse_check(PMDL Mdl)
{
    MK_ENTER("MmPrepareMdlForReuse");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, mdlkit_mdl_reuse_check);
    /* MmPrepareMdlForReuse never releases the mapping of a full (non-partial)
     * MDL; reusing such an MDL would leak its mapping. */
    if ((Mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA) && !(Mdl->MdlFlags & MDL_PARENT_MAPPED_SYSTEM_VA))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, (ULONG_PTR)Mdl, (USHORT)Mdl->MdlFlags, 0);
    if (MK_UNLIKELY(mk_lint_on()) && (Mdl->MdlFlags & MDL_PARTIAL))
        mk_lint_mdl_prepared(Mdl, 1); /* lint MDLKIT_RULE_LINT_PARTIAL_REUSE: prepared for reuse */
}
