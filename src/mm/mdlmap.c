/*
 * mdlmap.c -- MmMapLockedPagesSpecifyCache, MmMapLockedPages,
 * MmUnmapLockedPages: real second mappings of an MDL's frames.
 *
 * Kernel mode: an MDL whose frames form one physically contiguous RAM run is
 * given its address in the direct map (no system call) unless a read-only or
 * executable mapping is asked for; otherwise a range of the system-mapping
 * region is mapped with one mmap per contiguous run. User mode: a range of
 * the user region, at the requested address or a chosen one. Every live
 * mapping is recorded (kernel ones by MDL, user ones by address) so that an
 * unmap releases exactly what was mapped.
 */
#include "mk_mdl.h"
#include "mk_machine.h"
#include "mk_verifier.h"

#include <stdlib.h>
#include <string.h>

enum mdlmap_kind { MDLMAP_DIRECT, MDLMAP_SYSMAP, MDLMAP_FOREIGN, MDLMAP_USER };

typedef struct mdlmap_entry {
    struct mdlmap_entry *next;
    uintptr_t key;       /* kernel: the MDL; user: the page-aligned base */
    bool user;
    enum mdlmap_kind kind;
    PMDL mdl;
    char *base;          /* page-aligned start of the mapping */
    size_t npages;
    PFN_NUMBER *pfns;    /* frames whose `maps` count this mapping raised */
    size_t nram;
} mdlmap_entry;

#define MDLMAP_BUCKETS 1024
static mdlmap_entry *mdlmap_table[MDLMAP_BUCKETS];
static pthread_mutex_t mdlmap_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t mdlmap_hash(uintptr_t key, bool user)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL + (user ? 1 : 0);
    return (size_t)(h >> 54) & (MDLMAP_BUCKETS - 1);
}

static void mdlmap_insert(mdlmap_entry *e)
{
    size_t b = mdlmap_hash(e->key, e->user);
    pthread_mutex_lock(&mdlmap_lock);
    e->next = mdlmap_table[b];
    mdlmap_table[b] = e;
    pthread_mutex_unlock(&mdlmap_lock);
}

/* Removes and returns the entry for key, or NULL. */
static mdlmap_entry *mdlmap_remove(uintptr_t key, bool user)
{
    size_t b = mdlmap_hash(key, user);
    pthread_mutex_lock(&mdlmap_lock);
    mdlmap_entry **pp = &mdlmap_table[b];
    while (*pp && !((*pp)->key == key && (*pp)->user == user))
        pp = &(*pp)->next;
    mdlmap_entry *e = *pp;
    if (e)
        *pp = e->next;
    pthread_mutex_unlock(&mdlmap_lock);
    return e;
}

static mdlmap_entry *mdlmap_find(uintptr_t key, bool user)
{
    size_t b = mdlmap_hash(key, user);
    pthread_mutex_lock(&mdlmap_lock);
    mdlmap_entry *e = mdlmap_table[b];
    while (e && !(e->key == key && e->user == user))
        e = e->next;
    pthread_mutex_unlock(&mdlmap_lock);
    return e;
}

/* Releases the host side of a mapping and frees the entry. */
static void mdlmap_release(mdlmap_entry *e)
{
    mk_verifier_untrack(MK_TRACK_MAPPING, e->base + e->mdl->ByteOffset);
    if (e->kind == MDLMAP_SYSMAP || e->kind == MDLMAP_USER) {
        mk_va_unmap(e->base, e->npages);
        mk_va_free(e->kind == MDLMAP_USER ? MK_RGN_USER : MK_RGN_SYSMAP, e->base, e->npages);
    }
    for (size_t i = 0; i < e->nram; i++) {
        mk_pfn_entry *p = mk_pfn(e->pfns[i]);
        if (p)
            atomic_fetch_sub_explicit(&p->maps, 1, memory_order_relaxed);
    }
    atomic_fetch_sub_explicit(e->user ? &mk_mdl_user_maps : &mk_mdl_sys_maps, 1, memory_order_relaxed);
    free(e->pfns);
    free(e);
}

/* Claims [va, va+npages) of the user region at a fixed address: 0, or -1
 * when any page is taken. */
static int mdlmap_claim_user(char *va, size_t npages)
{
    return mk_va_alloc_at(MK_RGN_USER, va, npages) ? 0 : -1;
}

typedef enum { MDLMAP_OK, MDLMAP_NO_RESOURCES, MDLMAP_NO_VA, MDLMAP_BAD_ADDRESS, MDLMAP_CONFLICT } mdlmap_status;

/* Checks every PFN of the MDL: RAM frames in use, or foreign. Sets *all_foreign,
 * *contig (one run, RAM or foreign), *nram. Bug checks on a PFN that is no
 * memory at all (0xC4/0x89) or a free frame (0x1A/0x1233). */
static void mdlmap_scan(PMDL Mdl, size_t pages, bool *contig, bool *any_foreign, bool *all_foreign, size_t *nram)
{
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
    *contig = true;
    *any_foreign = false;
    *all_foreign = pages > 0;
    *nram = 0;
    for (size_t i = 0; i < pages; i++) {
        PFN_NUMBER pfn = pfns[i];
        mk_pfn_entry *e = mk_pfn(pfn);
        if (e) {
            if (e->state != MK_PFN_ACTIVE)
                mk_bugcheck(MEMORY_MANAGEMENT, 0x1233, pfn, (ULONG_PTR)Mdl, 0);
            (*nram)++;
            *all_foreign = false;
        } else if (mk_pfn_is_foreign(pfn)) {
            *any_foreign = true;
        } else {
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x89, (ULONG_PTR)Mdl, (ULONG_PTR)&pfns[i], pfn);
        }
        if (i && pfn != pfns[i - 1] + 1)
            *contig = false;
    }
}

/* Is there room in the mapping budget for `runs` more mappings at this
 * priority? Low priority keeps a quarter in reserve, normal an eighth. */
static bool mdlmap_budget_ok(size_t runs, ULONG priority)
{
    long budget = mk_as.maps_budget;
    long in_use = atomic_load_explicit(&mk_as.maps_in_use, memory_order_relaxed);
    ULONG prio = priority & ~(MdlMappingNoWrite | MdlMappingNoExecute | MdlMappingWithGuardPtes);
    long limit = budget;
    if (prio < NormalPagePriority)
        limit = budget - budget / 4;
    else if (prio < HighPagePriority)
        limit = budget - budget / 8;
    return in_use + (long)runs <= limit;
}

/* Makes the mapping. Returns the page-aligned base (or NULL + *st). */
static char *mdlmap_make(PMDL Mdl, bool user, MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG Priority,
                         mdlmap_status *st, mdlmap_entry **out)
{
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
    PPFN_NUMBER pfns = MmGetMdlPfnArray(Mdl);
    bool contig, any_foreign, all_foreign;
    size_t nram;
    *st = MDLMAP_NO_RESOURCES;
    if (pages == 0)
        return NULL;
    mdlmap_scan(Mdl, pages, &contig, &any_foreign, &all_foreign, &nram);

    bool honour_flags = mk_os_at_least(NTDDI_WIN8);
    bool nowrite = honour_flags && (Priority & MdlMappingNoWrite);
    bool exec = !user && !(honour_flags && (Priority & MdlMappingNoExecute));
    unsigned prot = MK_PG_READ | (nowrite ? 0 : MK_PG_WRITE) | (exec ? MK_PG_EXEC : 0);

    mdlmap_entry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->user = user;
    e->mdl = Mdl;
    e->npages = pages;
    char *base = NULL;

    if (any_foreign) {
        /* Host memory cannot be aliased: only a single contiguous host run
         * can be "mapped", at its own address, and only for kernel mode. */
        if (user || !all_foreign || !contig) {
            free(e);
            return NULL;
        }
        e->kind = MDLMAP_FOREIGN;
        base = (char *)(uintptr_t)((pfns[0] - MK_FOREIGN_PFN_BASE) << PAGE_SHIFT);
    } else if (!user && contig && !nowrite && !exec) {
        e->kind = MDLMAP_DIRECT;
        base = mk_pfn_to_direct(pfns[0]);
    } else {
        size_t runs = 1;
        for (size_t i = 1; i < pages; i++)
            if (pfns[i] != pfns[i - 1] + 1)
                runs++;
        if (!mdlmap_budget_ok(runs, Priority)) {
            free(e);
            return NULL;
        }
        if (user && RequestedAddress) {
            char *req = (char *)RequestedAddress;
            char *end = req + (pages << PAGE_SHIFT);
            if (BYTE_OFFSET(req) || end <= req || mk_va_region(req) != MK_RGN_USER ||
                (ULONG_PTR)end > MmUserProbeAddress) {
                *st = MDLMAP_BAD_ADDRESS;
                free(e);
                return NULL;
            }
            if (mdlmap_claim_user(req, pages)) {
                *st = MDLMAP_CONFLICT;
                free(e);
                return NULL;
            }
            base = req;
        } else {
            base = mk_va_alloc(user ? MK_RGN_USER : MK_RGN_SYSMAP, pages, user ? 16 : 0);
            if (!base) {
                *st = MDLMAP_NO_VA;
                free(e);
                return NULL;
            }
        }
        if (mk_va_map_list(base, pfns, pages, prot) != 0 &&
            (!exec || mk_va_map_list(base, pfns, pages, prot & ~MK_PG_EXEC) != 0)) {
            /* (A host that forbids executable shared mappings gets a
             * non-executable one rather than none.) */
            mk_va_free(user ? MK_RGN_USER : MK_RGN_SYSMAP, base, pages);
            free(e);
            return NULL;
        }
        e->kind = user ? MDLMAP_USER : MDLMAP_SYSMAP;
    }
    if (nram) {
        e->pfns = malloc(nram * sizeof(PFN_NUMBER));
        if (!e->pfns) {
            if (e->kind == MDLMAP_SYSMAP || e->kind == MDLMAP_USER) {
                mk_va_unmap(base, pages);
                mk_va_free(user ? MK_RGN_USER : MK_RGN_SYSMAP, base, pages);
            }
            free(e);
            return NULL;
        }
        size_t k = 0;
        for (size_t i = 0; i < pages; i++) {
            mk_pfn_entry *p = mk_pfn(pfns[i]);
            if (!p)
                continue;
            if (CacheType >= MmNonCached && CacheType < MmMaximumCacheType) {
                /* the first mapping decides the frame's cache type; two
                 * threads may map the same frames at once */
                int8_t none = (int8_t)MmNotMapped;
                atomic_compare_exchange_strong_explicit(&p->cache, &none, (int8_t)CacheType, memory_order_relaxed,
                                                        memory_order_relaxed);
            }
            atomic_fetch_add_explicit(&p->maps, 1, memory_order_relaxed);
            e->pfns[k++] = pfns[i];
        }
        e->nram = k;
    }
    e->base = base;
    e->key = user ? (uintptr_t)base : (uintptr_t)Mdl;
    *out = e;
    *st = MDLMAP_OK;
    return base;
}

static PVOID mdlmap_kernel(PMDL Mdl, MEMORY_CACHING_TYPE CacheType, ULONG BugCheckOnFailure, ULONG Priority)
{
    USHORT flags = (USHORT)Mdl->MdlFlags;
    if (flags & MDL_MAPPED_TO_SYSTEM_VA)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, (ULONG_PTR)Mdl, flags, MDL_MAPPED_TO_SYSTEM_VA);
    if (flags & MDL_SOURCE_IS_NONPAGED_POOL)
        /* Built by MmBuildMdlForNonPagedPool: it already has its system
         * address; a second system mapping is forbidden. */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB2, (ULONG_PTR)Mdl, flags, MDL_SOURCE_IS_NONPAGED_POOL);
    if (!(flags & (MDL_PAGES_LOCKED | MDL_PARTIAL)))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB3, (ULONG_PTR)Mdl, flags, MDL_PAGES_LOCKED);
    mdlmap_status st;
    mdlmap_entry *e = NULL;
    char *base = NULL;
    if (CacheType >= MmNonCached && CacheType < MmMaximumCacheType &&
        !mk_verifier_fail_now(MK_FAULT_MAP_LOCKED, 0, __builtin_return_address(0)))
        base = mdlmap_make(Mdl, false, CacheType, NULL, Priority, &st, &e);
    if (!base) {
        if (BugCheckOnFailure && !(flags & MDL_MAPPING_CAN_FAIL))
            mk_bugcheck(NO_MORE_SYSTEM_PTES, 0,
                        ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount), 0, 0);
        return NULL;
    }
    mdlmap_insert(e);
    atomic_fetch_add_explicit(&mk_mdl_sys_maps, 1, memory_order_relaxed);
    mk_verifier_track(MK_TRACK_MAPPING, base + Mdl->ByteOffset, Mdl->ByteCount, 0, Mdl);
    flags = (USHORT)Mdl->MdlFlags | MDL_MAPPED_TO_SYSTEM_VA;
    if (flags & MDL_PARTIAL) {
        flags |= MDL_PARTIAL_HAS_BEEN_MAPPED;
        flags &= (USHORT)~MDL_PARENT_MAPPED_SYSTEM_VA;
    }
    Mdl->MappedSystemVa = base + Mdl->ByteOffset;
    Mdl->MdlFlags = (CSHORT)flags;
    return Mdl->MappedSystemVa;
}

static PVOID mdlmap_user(PMDL Mdl, MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress, ULONG Priority)
{
    USHORT flags = (USHORT)Mdl->MdlFlags;
    if (!(flags & (MDL_PAGES_LOCKED | MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL)))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB3, (ULONG_PTR)Mdl, flags, MDL_PAGES_LOCKED);
    if (CacheType < MmNonCached || CacheType >= MmMaximumCacheType)
        mk_raise(STATUS_INVALID_PARAMETER_3);
    mdlmap_status st;
    mdlmap_entry *e = NULL;
    char *base = mdlmap_make(Mdl, true, CacheType, RequestedAddress, Priority, &st, &e);
    if (!base) {
        switch (st) {
        case MDLMAP_BAD_ADDRESS:
            mk_raise(STATUS_INVALID_ADDRESS);
        case MDLMAP_CONFLICT:
            mk_raise(STATUS_CONFLICTING_ADDRESSES);
        case MDLMAP_NO_VA:
            mk_raise(STATUS_NO_MEMORY);
        default:
            mk_raise(STATUS_INSUFFICIENT_RESOURCES);
        }
    }
    mdlmap_insert(e);
    atomic_fetch_add_explicit(&mk_mdl_user_maps, 1, memory_order_relaxed);
    mk_verifier_track(MK_TRACK_MAPPING, base + Mdl->ByteOffset, Mdl->ByteCount, 0, Mdl);
    return base + Mdl->ByteOffset;
}

/* The mapping DDIs' IRQL rule: DISPATCH_LEVEL for a kernel mapping,
 * APC_LEVEL for a user one; above it, 0xC4 with the routine's subcode for
 * that mode (IRQL, MDL, AccessMode). */
static void mdlmap_check_irql(PMDL mdl, KPROCESSOR_MODE mode, ULONG kernel_code, ULONG user_code)
{
    KIRQL max = mode == KernelMode ? DISPATCH_LEVEL : APC_LEVEL;
    if (MK_UNLIKELY(mk_irql() > max))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, mode == KernelMode ? kernel_code : user_code, mk_irql(),
                    (ULONG_PTR)mdl, (ULONG_PTR)(LONG_PTR)mode);
}

PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, MEMORY_CACHING_TYPE CacheType,
                                   PVOID RequestedAddress, ULONG BugCheckOnFailure, ULONG Priority)
{
    MK_ENTER("MmMapLockedPagesSpecifyCache");
    mk_ddi_prohibited_check("MmMapLockedPagesSpecifyCache");
    MK_OBJ_FAULT(MemoryDescriptorList);
    PMDL mdl = MemoryDescriptorList;
    mdlmap_check_irql(mdl, AccessMode, 0x76, 0x77);
    if (AccessMode == KernelMode) {
        if (!(Priority & MdlMappingNoExecute) && mk_os_at_least(NTDDI_WIN8)) /* 0x2000000 (0xC4/0x2002) */
            mk_verifier_codeint(0x2002, Priority, 0, __builtin_return_address(0));
        /* Verifier: a mapping that bug checks on failure, unless the MDL
         * says it may fail (MDL_MAPPING_CAN_FAIL: then NULL comes back) */
        if (BugCheckOnFailure && mk_rt.verifier && !(mdl->MdlFlags & MDL_MAPPING_CAN_FAIL))
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x82, (ULONG_PTR)mdl, (USHORT)mdl->MdlFlags, 0);
        return mdlmap_kernel(mdl, CacheType, BugCheckOnFailure, Priority);
    }
    return mdlmap_user(mdl, CacheType, RequestedAddress, Priority);
}

PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode)
{
    MK_ENTER("MmMapLockedPages");
    mk_ddi_prohibited_check("MmMapLockedPages");
    MK_OBJ_FAULT(MemoryDescriptorList);
    PMDL mdl = MemoryDescriptorList;
    mdlmap_check_irql(mdl, AccessMode, 0x74, 0x75);
    if (mk_rt.verifier && !(mdl->MdlFlags & MDL_MAPPING_CAN_FAIL))
        /* Verifier: MmMapLockedPages (MmGetSystemAddressForMdl) bug checks on
         * failure unless the MDL carries MDL_MAPPING_CAN_FAIL, with which it
         * returns NULL instead: 0xC4/0x81 is "called without
         * MDL_MAPPING_CAN_FAIL" (use MmGetSystemAddressForMdlSafe). */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x81, (ULONG_PTR)mdl, (USHORT)mdl->MdlFlags, 0);
    if (AccessMode == KernelMode) {
        mk_verifier_codeint(0x2002, HighPagePriority, 0, __builtin_return_address(0)); /* never NoExecute */
        PVOID va = mdlmap_kernel(mdl, MmCached, TRUE, HighPagePriority);
        /* lint: MmGetSystemAddressForMdl (MmMapLockedPages in kernel mode)
         * fails with NULL only under MDL_MAPPING_CAN_FAIL, which such code
         * was rarely written to test: a NULL is remembered, and reported if
         * the caller then faults on the null page (its frame still live) */
        if (mk_lint_on())
            mk_lint_result(MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS, mdl, va, __builtin_return_address(0),
                           *(void *const *)__builtin_frame_address(0));
        return va;
    }
    return mdlmap_user(mdl, MmCached, NULL, HighPagePriority);
}

PVOID mk_mdl_system_address(PMDL Mdl, ULONG Priority)
{
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return mdlmap_kernel(Mdl, MmCached, FALSE, Priority);
}

void mk_mdl_unmap_system(PMDL Mdl)
{
    USHORT flags = (USHORT)Mdl->MdlFlags;
    if (!(flags & MDL_MAPPED_TO_SYSTEM_VA))
        return;
    if (!(flags & MDL_PARENT_MAPPED_SYSTEM_VA)) {
        mdlmap_entry *e = mdlmap_remove((uintptr_t)Mdl, false);
        if (e)
            mdlmap_release(e);
    }
    flags &= (USHORT)~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_PARENT_MAPPED_SYSTEM_VA);
    Mdl->MdlFlags = (CSHORT)flags;
}

void MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList)
{
    MK_ENTER("MmUnmapLockedPages");
    mk_ddi_prohibited_check("MmUnmapLockedPages");
    MK_OBJ_FAULT(MemoryDescriptorList);
    PMDL mdl = MemoryDescriptorList;
    char *va = (char *)BaseAddress;
    if (mk_va_region(va) == MK_RGN_USER) {
        if (MK_UNLIKELY(mk_irql() > APC_LEVEL))
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7A, mk_irql(), (ULONG_PTR)BaseAddress, (ULONG_PTR)mdl);
        uintptr_t key = (uintptr_t)PAGE_ALIGN(va);
        mdlmap_entry *e = mdlmap_find(key, true);
        if (!e || e->mdl != mdl || BYTE_OFFSET(va) != mdl->ByteOffset)
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB9, (ULONG_PTR)BaseAddress, (ULONG_PTR)mdl, 0);
        e = mdlmap_remove(key, true);
        if (e)
            mdlmap_release(e);
        return;
    }
    if (MK_UNLIKELY(mk_irql() > DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x79, mk_irql(), (ULONG_PTR)BaseAddress, (ULONG_PTR)mdl);
    USHORT flags = (USHORT)mdl->MdlFlags;
    if ((flags & MDL_PARTIAL) && !(flags & MDL_PARTIAL_HAS_BEEN_MAPPED))
        /* A partial MDL that does not own a mapping (it shares its parent's). */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB5, (ULONG_PTR)mdl, flags, MDL_PARTIAL);
    if (!(flags & MDL_MAPPED_TO_SYSTEM_VA))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB6, (ULONG_PTR)mdl, flags, MDL_MAPPED_TO_SYSTEM_VA);
    if (va != mdl->MappedSystemVa)
        mk_bugcheck(SYSTEM_PTE_MISUSE, 0x03, (ULONG_PTR)BaseAddress, (ULONG_PTR)mdl, (ULONG_PTR)mdl->MappedSystemVa);
    mdlmap_entry *e = mdlmap_remove((uintptr_t)mdl, false);
    if (!e)
        /* The flags say mapped but mdlkit never made this mapping. */
        mk_bugcheck(SYSTEM_PTE_MISUSE, 0x06, (ULONG_PTR)mdl, (ULONG_PTR)BaseAddress,
                    ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseAddress, mdl->ByteCount));
    mdlmap_release(e);
    flags &= (USHORT)~(MDL_MAPPED_TO_SYSTEM_VA | MDL_PARTIAL_HAS_BEEN_MAPPED);
    mdl->MdlFlags = (CSHORT)flags;
}

void mk_mdlmap_reset(void)
{
    pthread_mutex_lock(&mdlmap_lock);
    for (size_t b = 0; b < MDLMAP_BUCKETS; b++) {
        mdlmap_entry *e = mdlmap_table[b];
        while (e) {
            mdlmap_entry *n = e->next;
            free(e->pfns);
            free(e);
            e = n;
        }
        mdlmap_table[b] = NULL;
    }
    pthread_mutex_unlock(&mdlmap_lock);
    atomic_store(&mk_mdl_sys_maps, 0);
    atomic_store(&mk_mdl_user_maps, 0);
}
