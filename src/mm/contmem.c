/*
 * contmem.c -- MmAllocateContiguousMemory, MmAllocateContiguousMemorySpecifyCache(Node),
 * MmFreeContiguousMemory, MmFreeContiguousMemorySpecifyCache.
 *
 * A physically contiguous run of frames from the physical-memory layer; the
 * address returned is the run's direct-map address (no mapping is made).
 * Allocations are recorded by base address so that a free needs nothing but
 * the address, and a bad address is reported (0xC2/0x60).
 */
#include "mk_mdl.h"
#include "mk_machine.h"
#include "mk_verifier.h"

#include <stdlib.h>

typedef struct contmem_block {
    struct contmem_block *next;
    char *base;
    size_t npages;
    SIZE_T bytes;
    MEMORY_CACHING_TYPE cache;
} contmem_block;

static pthread_mutex_t contmem_lock = PTHREAD_MUTEX_INITIALIZER;
static contmem_block *contmem_list;

static PVOID contmem_alloc(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS Lowest, PHYSICAL_ADDRESS Highest,
                           PHYSICAL_ADDRESS Boundary, MEMORY_CACHING_TYPE CacheType, void *caller)
{
    if (NumberOfBytes == 0 || CacheType < MmNonCached || CacheType >= MmMaximumCacheType || Lowest.QuadPart < 0 ||
        (ULONGLONG)Highest.QuadPart < (ULONGLONG)Lowest.QuadPart /* -1 = no limit */ || Boundary.QuadPart < 0)
        return NULL;
    size_t npages = BYTES_TO_PAGES(NumberOfBytes);
    size_t boundary = (size_t)((ULONGLONG)Boundary.QuadPart >> PAGE_SHIFT);
    if (Boundary.QuadPart && (BYTE_OFFSET(Boundary.QuadPart) || (ULONGLONG)Boundary.QuadPart < NumberOfBytes))
        return NULL;
    PFN_NUMBER lo = (PFN_NUMBER)Lowest.QuadPart >> PAGE_SHIFT;
    PFN_NUMBER hi = (PFN_NUMBER)Highest.QuadPart >> PAGE_SHIFT;
    if (hi < mk_phys.first)
        return NULL;
    if (lo < mk_phys.first)
        lo = mk_phys.first;
    if (hi > mk_phys.last)
        hi = mk_phys.last;
    if (mk_verifier_fail_now(MK_FAULT_CONTIGUOUS, 0, caller))
        return NULL;
    contmem_block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    PFN_NUMBER first;
    if (mk_phys_alloc_run(npages, lo, hi, boundary, MK_USE_CONTIG, &first) != 0) {
        free(b);
        return NULL;
    }
    for (size_t i = 0; i < npages; i++)
        mk_pfn(first + i)->cache = (int8_t)CacheType;
    b->base = mk_pfn_to_direct(first);
    b->npages = npages;
    b->bytes = NumberOfBytes;
    b->cache = CacheType;
    pthread_mutex_lock(&contmem_lock);
    b->next = contmem_list;
    contmem_list = b;
    pthread_mutex_unlock(&contmem_lock);
    atomic_fetch_add_explicit(&mk_mdl_contig_allocs, 1, memory_order_relaxed);
    mk_verifier_track(MK_TRACK_CONTIG, b->base, npages << PAGE_SHIFT, 0, NULL);
    return b->base;
}

PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                             PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType)
{
    MK_ENTER("MmAllocateContiguousMemorySpecifyCache");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, MmAllocateContiguousMemorySpecifyCache);
    return contmem_alloc(NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress, BoundaryAddressMultiple,
                         CacheType, __builtin_return_address(0));
}

PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                 PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                 PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType,
                                                 NODE_REQUIREMENT PreferredNode)
{
    MK_ENTER("MmAllocateContiguousMemorySpecifyCacheNode");
    if (!mk_os_at_least(NTDDI_VISTA))
        mk_violation(MDLKIT_RULE_DDI_NOT_AVAILABLE,
                     "MmAllocateContiguousMemorySpecifyCacheNode does not exist before Windows Vista (emulated OS)",
                     (ULONG_PTR)MmAllocateContiguousMemorySpecifyCacheNode, mk_rt.os);
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, MmAllocateContiguousMemorySpecifyCacheNode);
    /* The simulated machine has one NUMA node, node 0. */
    if (PreferredNode != MM_ANY_NODE_OK && PreferredNode != 0)
        return NULL;
    return contmem_alloc(NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress, BoundaryAddressMultiple,
                         CacheType, __builtin_return_address(0));
}

PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress)
{
    MK_ENTER("MmAllocateContiguousMemory");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, MmAllocateContiguousMemory);
    PHYSICAL_ADDRESS zero;
    zero.QuadPart = 0;
    return contmem_alloc(NumberOfBytes, zero, HighestAcceptableAddress, zero, MmCached, __builtin_return_address(0));
}

static void contmem_free(PVOID BaseAddress, const SIZE_T *bytes, const MEMORY_CACHING_TYPE *cache)
{
    KIRQL irql = mk_irql();
    if (irql > DISPATCH_LEVEL) {
        if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(0x0002001A, "IrqlMmDispatch: MmFreeContiguousMemory called above DISPATCH_LEVEL",
                         (ULONG_PTR)BaseAddress, irql);
        mk_irql_fail((const void *)MmFreeContiguousMemory, __builtin_return_address(0));
    }
    pthread_mutex_lock(&contmem_lock);
    contmem_block **pp = &contmem_list;
    while (*pp && (*pp)->base != (char *)BaseAddress)
        pp = &(*pp)->next;
    contmem_block *b = *pp;
    bool mismatch = b && ((bytes && *bytes != b->bytes) || (cache && *cache != b->cache));
    if (b && !mismatch)
        *pp = b->next;
    pthread_mutex_unlock(&contmem_lock);
    if (!b)
        mk_bugcheck(BAD_POOL_CALLER, 0x60, (ULONG_PTR)BaseAddress, 0, 0);
    if (mismatch)
        mk_bugcheck(BAD_POOL_CALLER, 0x60, (ULONG_PTR)BaseAddress, bytes ? *bytes : 0, b->bytes);
    PFN_NUMBER first = mk_va_to_pfn(b->base);
    for (size_t i = 0; i < b->npages; i++) {
        mk_pfn_entry *e = mk_pfn(first + i);
        uint32_t locks = mk_pfn_locks(first + i);
        uint32_t maps = atomic_load_explicit(&e->maps, memory_order_relaxed);
        if (locks || maps) {
            /* Still locked or mapped through an MDL: put the record back first. */
            pthread_mutex_lock(&contmem_lock);
            b->next = contmem_list;
            contmem_list = b;
            pthread_mutex_unlock(&contmem_lock);
            mk_bugcheck(PFN_LIST_CORRUPT, 0x9A, first + i, locks, maps);
        }
    }
    mk_verifier_untrack(MK_TRACK_CONTIG, b->base);
    mk_phys_free(first, b->npages);
    free(b);
    atomic_fetch_sub_explicit(&mk_mdl_contig_allocs, 1, memory_order_relaxed);
}

void MmFreeContiguousMemory(PVOID BaseAddress)
{
    MK_ENTER("MmFreeContiguousMemory");
    mk_ddi_prohibited_check("MmFreeContiguousMemory");
    contmem_free(BaseAddress, NULL, NULL);
}

void MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)
{
    MK_ENTER("MmFreeContiguousMemorySpecifyCache");
    contmem_free(BaseAddress, &NumberOfBytes, &CacheType);
}

void mk_contmem_reset(void)
{
    pthread_mutex_lock(&contmem_lock);
    while (contmem_list) {
        contmem_block *n = contmem_list->next;
        free(contmem_list);
        contmem_list = n;
    }
    pthread_mutex_unlock(&contmem_lock);
    atomic_store(&mk_mdl_contig_allocs, 0);
}
