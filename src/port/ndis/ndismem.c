/*
 * ndismem.c -- the NDIS memory routines that take any NDIS handle:
 * NdisAllocateMdl / NdisFreeMdl (allocate and build in one step, non-paged
 * memory only, tracked for the NdisAllocateMdl rule) and
 * NdisAllocateMemoryWithTagPriority / NdisFreeMemoryWithTagPriority /
 * NdisFreeMemory (non-paged pool).
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_ndis.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <ndis.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static void nm_check_handle(NDIS_HANDLE h, const char *routine_why)
{
    int kind = mk_ndis_handle_kind(h);
    if (kind != MK_NDIS_DRIVER && kind != MK_NDIS_ADAPTER && kind != MK_NDIS_GENERIC && kind != MK_NDIS_FILTER_DRIVER)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, routine_why, (ULONG_PTR)h, (ULONG_PTR)kind);
}

/* Is [va, va+len) memory NdisAllocateMdl accepts (non-paged pool, NDIS
 * memory, shared memory, the driver's globals: static storage of its image,
 * resident on Windows)? */
static int nm_nonpaged(const void *va, UINT len)
{
    unsigned kinds = mk_mdl_memory_kinds(va, len);
    if (kinds == MK_MEM_FOREIGN && mk_port_image_static(va, len))
        return 1;
    if (kinds & ~(MK_MEM_NPOOL | MK_MEM_CONTIG | MK_MEM_SPECIAL))
        return 0;
    if (kinds & MK_MEM_SPECIAL) {
        /* special pool serves both pools: ask the pool which one */
        mk_pool_block b;
        if (!mk_pool_lookup(va, &b) || mk_heap_is_paged(b.heap))
            return 0;
    }
    return 1;
}

PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
    MK_ENTER("NdisAllocateMdl");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisAllocateMdl must be called at IRQL <= DISPATCH_LEVEL (Irql_NetBuffer_Function rule)",
                     mk_irql(), (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisAllocateMdl: NdisHandle is not a handle NDIS gave this driver");
    if (!VirtualAddress || !Length)
        return NULL;
    if (!nm_nonpaged(VirtualAddress, Length))
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY,
                     "NdisAllocateMdl accepts only non-paged memory (non-paged pool, "
                     "NdisAllocateMemoryWithTagPriority, NdisMAllocateSharedMemory, the driver's globals); not "
                     "the stack, heap, paged pool or user memory",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)mk_mdl_memory_kinds(VirtualAddress, Length));
    /* Low resources (0x4, 0x40000): NdisAllocateMdl is one of the DDIs the
     * simulation fails (the MDL comes from mdlkit's own allocator below). */
    if (mk_verifier_fail_now(MK_FAULT_NDIS, MK_FAULT_TAG_MDL, caller))
        return NULL;
    mk_port_begin();
    PMDL mdl = mk_mdl_allocate(VirtualAddress, Length);
    if (mdl)
        mk_mdl_build_nonpaged(mdl);
    mk_port_end();
    if (!mdl)
        return NULL;
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    if (!mk_port_track_add(MK_PT_NDIS_MDL, mdl, Length, 0, NdisHandle, caller, none, FALSE)) {
        mk_port_begin();
        mk_mdl_free(mdl);
        mk_port_end();
        return NULL;
    }
    return mdl;
}

void NdisFreeMdl(PMDL Mdl)
{
    MK_ENTER("NdisFreeMdl");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisFreeMdl must be called at IRQL <= DISPATCH_LEVEL (Irql_NetBuffer_Function rule)", mk_irql(),
                     (ULONG_PTR)Mdl);
    int known = Mdl && mk_port_track_find(MK_PT_NDIS_MDL, Mdl, NULL);
    if (!known)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     Mdl ? "NdisFreeMdl was given an MDL that NdisAllocateMdl did not return, or that was already "
                           "freed (NdisAllocateMdl rule)"
                         : "NdisFreeMdl was given NULL (NdisAllocateMdl rule; Windows would dereference it)",
                     (ULONG_PTR)Mdl, 0);
    mk_port_begin();
    mk_mdl_free(Mdl);
    mk_port_end();
    /* The record goes once the free has passed its checks: a bug check the
     * free raises and the test catches leaves the MDL AND its record, so the
     * halt's leak check still lists it. */
    mk_port_track_remove(MK_PT_NDIS_MDL, Mdl);
}

/* A leaked NDIS MDL, after it was reported. */
static void nm_mdl_reclaim(mk_port_track *rec, void *ctx)
{
    (void)ctx;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    mk_mdl_free(rec->addr);
    mk_port_end();
    mk_driver_leave(old);
}

size_t mk_ndis_mdl_leaks(const void *owner)
{
    /* Each is listed (with Pool Tracking also with its allocating stack, in
     * the JSON "leaks") before any is freed. */
    return mk_port_track_leaks(owner, MK_PT_BIT(MK_PT_NDIS_MDL), nm_mdl_reclaim, NULL, NULL);
}

void mk_ndis_mdl_shutdown(void)
{
    /* the records go with mk_port_track_shutdown */
}

PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    MK_ENTER("NdisAllocateMemoryWithTagPriority");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisAllocateMemoryWithTagPriority must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisAllocateMemoryWithTagPriority: NdisHandle is not a handle NDIS gave this driver");
    mk_port_begin();
    PVOID p = mk_ex_allocate(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool, Length, Tag, Priority, 0,
                             caller);
    mk_port_end();
    mk_lint_family_note(p, MK_FAMILY_NDIS); /* lint: freed through another allocator family */
    return p;
}

void NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag)
{
    MK_ENTER("NdisFreeMemoryWithTagPriority");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisFreeMemoryWithTagPriority must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisFreeMemoryWithTagPriority: NdisHandle is not a handle NDIS gave this driver");
    mk_lint_family_free(VirtualAddress, MK_FAMILY_NDIS,
                        "NdisFreeMemoryWithTagPriority freed a block NdisAllocateMemoryWithTagPriority did not return "
                        "(P4: 0 ExAllocatePool*, 2 StorPort)",
                        caller);
    mk_port_begin();
    mk_ex_free(VirtualAddress, Tag, caller);
    mk_port_end();
}

void NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    MK_ENTER("NdisFreeMemory");
    void *caller = __builtin_return_address(0);
    (void)Length;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisFreeMemory must be called at IRQL <= DISPATCH_LEVEL",
                     mk_irql(), (ULONG_PTR)VirtualAddress);
    if (MemoryFlags != 0)
        mk_violation(0x16,
                     "NdisFreeMemory: MemoryFlags must be 0 for memory from NdisAllocateMemoryWithTagPriority "
                     "(mdlkit provides no NDIS contiguous or non-cached allocator)",
                     (ULONG_PTR)VirtualAddress, MemoryFlags);
    mk_lint_family_free(VirtualAddress, MK_FAMILY_NDIS,
                        "NdisFreeMemory freed a block NdisAllocateMemoryWithTagPriority did not return (P4: 0 "
                        "ExAllocatePool*, 2 StorPort)",
                        caller);
    mk_port_begin();
    mk_ex_free(VirtualAddress, 0, caller);
    mk_port_end();
}

/* ------------------------------------------------------------------------
 * Shared memory: NdisMAllocateSharedMemory / NdisMFreeSharedMemory (from
 * MiniportInitializeEx, after scatter-gather DMA registration) and the
 * NDIS 6.20 NdisAllocateSharedMemory / NdisFreeSharedMemory. Both are
 * physically contiguous common buffers, recorded in the port allocation
 * tracker against the adapter (the halt's leak check lists them).
 * ---------------------------------------------------------------------- */
#define ND_BUGCHECK_ALLOCATE_SHARED_MEM_HIGH_IRQL 0x01
#define ND_BUGCHECK_FREE_INVALID_SHARED_MEM 0x03

static void *nm_contig_alloc(SIZE_T len, int dma64, PHYSICAL_ADDRESS *pa)
{
    PHYSICAL_ADDRESS low, high, none;
    low.QuadPart = 0;
    none.QuadPart = 0;
    high.QuadPart = dma64 ? (LONGLONG)0x7FFFFFFFFFFFFFFFLL : (LONGLONG)0xFFFFFFFFLL;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    PVOID va = MmAllocateContiguousMemorySpecifyCache(len, low, high, none, MmCached);
    pa->QuadPart = 0;
    if (va)
        *pa = MmGetPhysicalAddress(va);
    mk_port_end();
    mk_driver_leave(old);
    return va;
}

static void nm_contig_free(void *va, SIZE_T len)
{
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    MmFreeContiguousMemorySpecifyCache(va, len, MmCached);
    mk_port_end();
    mk_driver_leave(old);
}

void NdisMAllocateSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
                               PVOID *VirtualAddress, PNDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("NdisMAllocateSharedMemory");
    void *caller = __builtin_return_address(0);
    if (mk_irql() != PASSIVE_LEVEL)
        mk_bugcheck(BUGCODE_NDIS_DRIVER, ND_BUGCHECK_ALLOCATE_SHARED_MEM_HIGH_IRQL, (ULONG_PTR)MiniportAdapterHandle,
                    Length, mk_irql());
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMAllocateSharedMemory: not a miniport adapter handle");
    if (ad->state != MK_NDIS_INITIALIZING)
        mk_violation(MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT,
                     "NdisMAllocateSharedMemory may be called only from MiniportInitializeEx (use "
                     "NdisMAllocateSharedMemoryAsyncEx later)",
                     (ULONG_PTR)ad, 1);
    if (!ad->dma)
        mk_violation(MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT,
                     "NdisMAllocateSharedMemory needs NdisMRegisterScatterGatherDma to have been called first",
                     (ULONG_PTR)ad, 2);
    if (!VirtualAddress || !PhysicalAddress)
        mk_violation(0x16, "NdisMAllocateSharedMemory: VirtualAddress or PhysicalAddress is NULL",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)PhysicalAddress);
    *VirtualAddress = NULL;
    PhysicalAddress->QuadPart = 0;
    if (!Length)
        return;
    PHYSICAL_ADDRESS pa;
    PVOID va = mk_ndis_shared_alloc(ad, Length, Cached, &pa, caller);
    if (!va)
        return;
    *VirtualAddress = va;
    *PhysicalAddress = pa;
}

/* A common buffer: physically contiguous, cached (Cached is ignored on
 * x64), owned by NDIS on the adapter's behalf, recorded for the adapter's
 * leak check and (Pool Tracking) charged to the miniport with its stack. */
void *mk_ndis_shared_alloc(mk_ndis_adapter *ad, ULONG Length, BOOLEAN Cached, PHYSICAL_ADDRESS *pa, void *caller)
{
    PVOID va = nm_contig_alloc(Length, (ad->dma_flags & NDIS_SG_DMA_64_BIT_ADDRESS) != 0, pa);
    if (!va) {
        pa->QuadPart = 0;
        return NULL;
    }
    if (!mk_port_track_add(MK_PT_NDIS_SHARED, va, Length, 0, ad, caller, *pa, Cached ? TRUE : FALSE)) {
        nm_contig_free(va, Length);
        pa->QuadPart = 0;
        return NULL;
    }
    mk_verifier_track(MK_TRACK_SHARED, va, Length, 0, ad);
    return va;
}

void NdisMFreeSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached, PVOID VirtualAddress,
                           NDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("NdisMFreeSharedMemory");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMFreeSharedMemory must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMFreeSharedMemory: not a miniport adapter handle");
    if (ad->state == MK_NDIS_SHUTTING_DOWN)
        mk_violation(MDLKIT_RULE_NDIS_MFREE_SHARED_MEMORY,
                     "NdisMFreeSharedMemory must not be called from MiniportShutdownEx (NdisMFreeSharedMemory rule)",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)ad);
    mk_port_track c;
    int found = mk_port_track_find(MK_PT_NDIS_SHARED, VirtualAddress, &c) && c.owner == (void *)ad;
    int mismatch = found && (c.len != Length || c.cached != (Cached ? TRUE : FALSE) ||
                             c.pa.QuadPart != PhysicalAddress.QuadPart || c.tag == MK_PT_NDIS_SHARED);
    if (!found || mismatch) {
        if (found)
            mk_bugcheck_note("NdisMFreeSharedMemory: the block at %p was allocated with Length %zu, Cached %u, "
                             "physical 0x%llx; the free passed Length %u, Cached %u, physical 0x%llx",
                             c.addr, c.len, c.cached, (unsigned long long)c.pa.QuadPart, Length, Cached,
                             (unsigned long long)PhysicalAddress.QuadPart);
        else
            mk_bugcheck_note("NdisMFreeSharedMemory: %p is not shared memory of this adapter (already freed?)",
                             VirtualAddress);
        mk_bugcheck(BUGCODE_NDIS_DRIVER, ND_BUGCHECK_FREE_INVALID_SHARED_MEM, (ULONG_PTR)ad,
                    (ULONG_PTR)PAGE_ALIGN(VirtualAddress), (ULONG_PTR)VirtualAddress);
    }
    nm_contig_free(VirtualAddress, Length);
    /* The records go once the free has passed its checks: a bug check it
     * raises and the test catches leaves the block AND its records, so the
     * halt's leak check (and Pool Tracking) still list it. */
    mk_verifier_untrack(MK_TRACK_SHARED, VirtualAddress);
    mk_port_track_remove(MK_PT_NDIS_SHARED, VirtualAddress);
}

/* NdisAllocateSharedMemory's allocation handle. */
typedef struct nm_shared {
    void *va;
    ULONG length;
    mk_ndis_adapter *ad;
} nm_shared;

/* The documented SCATTER_GATHER_LIST layout (x64), as NDIS fills it. */
typedef struct nm_sg_element {
    PHYSICAL_ADDRESS Address;
    ULONG Length;
    ULONG_PTR Reserved;
} nm_sg_element;
typedef struct nm_sg_list {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    nm_sg_element Elements[];
} nm_sg_list;

NDIS_STATUS NdisAllocateSharedMemory(NDIS_HANDLE NdisHandle, PNDIS_SHARED_MEMORY_PARAMETERS SharedMemoryParameters,
                                     PNDIS_HANDLE pAllocationHandle)
{
    MK_ENTER("NdisAllocateSharedMemory");
    void *caller = __builtin_return_address(0);
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisAllocateSharedMemory must be called at PASSIVE_LEVEL", mk_irql(), (ULONG_PTR)NdisHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(NdisHandle, MK_NDIS_ADAPTER,
                                                   "NdisAllocateSharedMemory: not a miniport adapter handle");
    PNDIS_SHARED_MEMORY_PARAMETERS p = SharedMemoryParameters;
    if (!p || !pAllocationHandle)
        return NDIS_STATUS_INVALID_PARAMETER;
    *pAllocationHandle = NULL;
    if (p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT ||
        p->Header.Revision < NDIS_SHARED_MEMORY_PARAMETERS_REVISION_1 ||
        p->Header.Size < NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_1 || !p->Length ||
        p->Usage >= NdisSharedMemoryUsageMax)
        return NDIS_STATUS_INVALID_PARAMETER;
    nm_shared *s = calloc(1, sizeof *s);
    if (!s)
        return NDIS_STATUS_RESOURCES;
    PHYSICAL_ADDRESS pa;
    void *va = nm_contig_alloc(p->Length, 1, &pa);
    if (!va) {
        free(s);
        return NDIS_STATUS_RESOURCES;
    }
    s->va = va;
    s->length = p->Length;
    s->ad = ad;
    /* The tag field marks it as an NdisAllocateSharedMemory block, which
     * NdisMFreeSharedMemory must not free. */
    if (!mk_port_track_add(MK_PT_NDIS_SHARED, va, p->Length, MK_PT_NDIS_SHARED, ad, caller, pa, TRUE) ||
        !mk_ndis_register_handle(s, MK_NDIS_SHARED, s)) {
        mk_port_track_remove(MK_PT_NDIS_SHARED, va);
        nm_contig_free(va, p->Length);
        free(s);
        return NDIS_STATUS_RESOURCES;
    }
    mk_verifier_track(MK_TRACK_SHARED, va, p->Length, 0, ad);
    /* The scatter-gather list of the block (one element: it is
     * contiguous), if the caller gave room for it. */
    if (p->SGListBuffer && p->SGListBufferLength >= sizeof(nm_sg_list) + sizeof(nm_sg_element)) {
        nm_sg_list *sg = (nm_sg_list *)p->SGListBuffer;
        sg->NumberOfElements = 1;
        sg->Reserved = 0;
        sg->Elements[0].Address = pa;
        sg->Elements[0].Length = p->Length;
        sg->Elements[0].Reserved = 0;
    }
    p->VirtualAddress = va;
    p->SharedMemoryHandle = s;
    *pAllocationHandle = s;
    return NDIS_STATUS_SUCCESS;
}

void NdisFreeSharedMemory(NDIS_HANDLE NdisHandle, NDIS_HANDLE AllocationHandle)
{
    MK_ENTER("NdisFreeSharedMemory");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisFreeSharedMemory must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisHandle);
    mk_ndis_lookup_or_report(NdisHandle, MK_NDIS_ADAPTER, "NdisFreeSharedMemory: not a miniport adapter handle");
    nm_shared *s = mk_ndis_lookup_or_report(AllocationHandle, MK_NDIS_SHARED,
                                            "NdisFreeSharedMemory: not a handle from NdisAllocateSharedMemory (or "
                                            "freed twice)");
    mk_ndis_unregister_handle(s);
    nm_contig_free(s->va, s->length);
    mk_verifier_untrack(MK_TRACK_SHARED, s->va);
    mk_port_track_remove(MK_PT_NDIS_SHARED, s->va);
    free(s);
}

/* The port tracker's reclaim of a leaked NDIS object (after it was
 * reported). */
void mk_ndis_reclaim(mk_port_track *rec, void *ctx)
{
    (void)ctx;
    switch (rec->kind) {
    case MK_PT_NDIS_SHARED:
        nm_contig_free(rec->addr, rec->len);
        break;
    case MK_PT_NDIS_NBL_POOL:
    case MK_PT_NDIS_NB_POOL:
        mk_ndis_pool_reclaim(rec->addr);
        break;
    case MK_PT_NDIS_TIMER:
        mk_ndis_timer_reclaim(rec->addr);
        break;
    case MK_PT_NDIS_WORKITEM:
        mk_ndis_workitem_reclaim(rec->addr);
        break;
    case MK_PT_NDIS_SGL:
        free(rec->addr);
        break;
    default:
        break;
    }
}

void mk_ndis_shared_handle_free(void *h) { free(h); }

void mk_ndis_orphan_free(int kind, void *rec)
{
    switch (kind) {
    case MK_NDIS_NBL_POOL:
    case MK_NDIS_NB_POOL:
        mk_ndis_pool_reclaim(rec);
        break;
    case MK_NDIS_TIMER:    /* the kernel's timers and DPCs stopped before the port layers */
    case MK_NDIS_WORKITEM: /* NDIS's worker stopped first */
        free(rec);
        break;
    case MK_NDIS_CONFIG:
        mk_ndis_config_handle_free(rec);
        break;
    case MK_NDIS_SHARED:
        mk_ndis_shared_handle_free(rec);
        break;
    default:
        break;
    }
}
