/*
 * nbl.c -- NET_BUFFER_LISTs and NET_BUFFERs: their pools
 * (NdisAllocateNetBufferListPool, NdisAllocateNetBufferPool, NdisFree*Pool),
 * allocation (NdisAllocateNetBufferList, NdisAllocateNetBufferAndNetBufferList,
 * NdisAllocateNetBuffer, NdisAllocateNetBufferMdlAndData, NdisFree*),
 * contexts (NdisAllocateNetBufferListContext / NdisFreeNetBufferListContext),
 * the data start (NdisRetreatNetBufferDataStart / NdisAdvanceNetBufferDataStart
 * and their list forms), NdisGetDataBuffer and
 * NdisCopyFromNetBufferToNetBuffer.
 *
 * An NBL (with its NET_BUFFER and data when the pool says so) is one block
 * of non-paged pool tagged with the pool's tag, so Pool Tracking and special
 * pool see it like any driver allocation. NDIS's own fields of the NBL
 * (NdisReserved) say who has it: MK_NBL_STATE is MK_NBL_AT_MINIPORT while
 * a sent NBL is pending at the miniport, MK_NBL_AT_PROTOCOL while an
 * indicated one is kept by the protocol; NdisReserved[1] is the pool (or
 * the adapter for NBLs in flight). Every check raised here is listed in
 * docs/ndis.md.
 */
#include "mk_machine.h"
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_mdl.h"
#include "mk_ndis.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <stdlib.h>
#include <string.h>

#define NB_POOL_MAGIC 0x4C424E4Du /* "MNBL" */
#define NB_ALIGN 16               /* MEMORY_ALLOCATION_ALIGNMENT */

typedef struct nb_pool {
    ULONG magic;
    int kind;                     /* MK_NDIS_NBL_POOL / MK_NDIS_NB_POOL */
    NDIS_HANDLE owner;
    ULONG tag;
    USHORT context_size;
    UCHAR protocol_id;
    BOOLEAN alloc_nb;
    ULONG data_size;
    _Atomic LONG outstanding;
} nb_pool;

static inline SIZE_T nb_round(SIZE_T n) { return (n + NB_ALIGN - 1) & ~(SIZE_T)(NB_ALIGN - 1); }

static void nb_irql(const char *why, ULONG_PTR p)
{
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION, why, mk_irql(), p);
}

static void *nb_alloc(SIZE_T bytes, ULONG tag, void *caller)
{
    mk_port_begin();
    void *p = mk_ex_allocate(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool, bytes, tag,
                             NormalPoolPriority, 1, caller);
    mk_port_end();
    return p;
}

static void nb_free(void *p, ULONG tag, void *caller)
{
    mk_port_begin();
    mk_ex_free(p, tag, caller);
    mk_port_end();
}

/* ------------------------------------------------------------------------
 * Pools
 * ---------------------------------------------------------------------- */
static NDIS_HANDLE nb_pool_new(NDIS_HANDLE owner, int kind, ULONG tag, USHORT ctx, UCHAR proto, BOOLEAN alloc_nb,
                               ULONG data, void *caller)
{
    nb_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->magic = NB_POOL_MAGIC;
    p->kind = kind;
    p->owner = owner;
    p->tag = tag;
    p->context_size = ctx;
    p->protocol_id = proto;
    p->alloc_nb = alloc_nb;
    p->data_size = data;
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    if (!mk_ndis_register_handle(p, kind, p)) {
        free(p);
        return NULL;
    }
    if (!mk_port_track_add(kind == MK_NDIS_NBL_POOL ? MK_PT_NDIS_NBL_POOL : MK_PT_NDIS_NB_POOL, p, 0, tag, owner,
                           caller, none, FALSE)) {
        mk_ndis_unregister_handle(p);
        free(p);
        return NULL;
    }
    return p;
}

NDIS_HANDLE NdisAllocateNetBufferListPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_LIST_POOL_PARAMETERS Parameters)
{
    MK_ENTER("NdisAllocateNetBufferListPool");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBufferListPool must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NdisHandle);
    if (!mk_ndis_is_object_handle(NdisHandle))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisAllocateNetBufferListPool: NdisHandle is not a handle NDIS gave this driver",
                     (ULONG_PTR)NdisHandle, 0);
    PNET_BUFFER_LIST_POOL_PARAMETERS p = Parameters;
    if (!p)
        return NULL;
    if (p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT || p->Header.Revision < NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 ||
        p->Header.Size < NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1)
        mk_violation(MDLKIT_RULE_NDIS_OBJECT_HEADER,
                     "NdisAllocateNetBufferListPool: the NET_BUFFER_LIST_POOL_PARAMETERS header is not "
                     "NDIS_OBJECT_TYPE_DEFAULT, revision 1 or later, of at least its revision's size",
                     (ULONG_PTR)p, ((ULONG_PTR)p->Header.Type << 24) | ((ULONG_PTR)p->Header.Revision << 16) |
                                       p->Header.Size);
    if (p->ContextSize % NB_ALIGN)
        return NULL; /* ContextSize must be a multiple of MEMORY_ALLOCATION_ALIGNMENT */
    if (p->DataSize && !p->fAllocateNetBuffer)
        return NULL; /* data needs a NET_BUFFER to describe it */
    if (mk_verifier_fail_now(MK_FAULT_NDIS, p->PoolTag, caller)) /* low resources (0x4, 0x40000) */
        return NULL;
    return nb_pool_new(NdisHandle, MK_NDIS_NBL_POOL, p->PoolTag, p->ContextSize, p->ProtocolId,
                       p->fAllocateNetBuffer, p->DataSize, caller);
}

NDIS_HANDLE NdisAllocateNetBufferPool(NDIS_HANDLE NdisHandle, PNET_BUFFER_POOL_PARAMETERS Parameters)
{
    MK_ENTER("NdisAllocateNetBufferPool");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBufferPool must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NdisHandle);
    if (!mk_ndis_is_object_handle(NdisHandle))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisAllocateNetBufferPool: NdisHandle is not a handle NDIS gave this driver",
                     (ULONG_PTR)NdisHandle, 0);
    PNET_BUFFER_POOL_PARAMETERS p = Parameters;
    if (!p)
        return NULL;
    if (p->Header.Type != NDIS_OBJECT_TYPE_DEFAULT || p->Header.Revision < NET_BUFFER_POOL_PARAMETERS_REVISION_1 ||
        p->Header.Size < NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1)
        mk_violation(MDLKIT_RULE_NDIS_OBJECT_HEADER,
                     "NdisAllocateNetBufferPool: the NET_BUFFER_POOL_PARAMETERS header is not "
                     "NDIS_OBJECT_TYPE_DEFAULT, revision 1 or later, of at least its revision's size",
                     (ULONG_PTR)p, ((ULONG_PTR)p->Header.Type << 24) | ((ULONG_PTR)p->Header.Revision << 16) |
                                       p->Header.Size);
    if (mk_verifier_fail_now(MK_FAULT_NDIS, p->PoolTag, caller)) /* low resources (0x4, 0x40000) */
        return NULL;
    return nb_pool_new(NdisHandle, MK_NDIS_NB_POOL, p->PoolTag, 0, 0, TRUE, p->DataSize, caller);
}

static nb_pool *nb_pool_of(NDIS_HANDLE h, int kind, const char *why)
{
    return mk_ndis_lookup_or_report(h, kind, why);
}

static void nb_pool_free(NDIS_HANDLE PoolHandle, int kind, const char *routine)
{
    nb_pool *p = nb_pool_of(PoolHandle, kind,
                            kind == MK_NDIS_NBL_POOL
                                ? "NdisFreeNetBufferListPool: not a pool from NdisAllocateNetBufferListPool (or "
                                  "freed twice)"
                                : "NdisFreeNetBufferPool: not a pool from NdisAllocateNetBufferPool (or freed "
                                  "twice)");
    LONG n = atomic_load(&p->outstanding);
    if (n)
        mk_violation(MDLKIT_RULE_NDIS_POOL_OUTSTANDING,
                     kind == MK_NDIS_NBL_POOL
                         ? "NdisFreeNetBufferListPool: NET_BUFFER_LISTs allocated from the pool are still "
                           "allocated (free each with NdisFreeNetBufferList first)"
                         : "NdisFreeNetBufferPool: NET_BUFFERs allocated from the pool are still allocated (free "
                           "each with NdisFreeNetBuffer first)",
                     (ULONG_PTR)p, (ULONG_PTR)n);
    (void)routine;
    mk_port_track_remove(kind == MK_NDIS_NBL_POOL ? MK_PT_NDIS_NBL_POOL : MK_PT_NDIS_NB_POOL, p);
    mk_ndis_unregister_handle(p);
    p->magic = 0;
    free(p);
}

void NdisFreeNetBufferListPool(NDIS_HANDLE PoolHandle)
{
    MK_ENTER("NdisFreeNetBufferListPool");
    nb_irql("NdisFreeNetBufferListPool must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool_free(PoolHandle, MK_NDIS_NBL_POOL, "NdisFreeNetBufferListPool");
}

void NdisFreeNetBufferPool(NDIS_HANDLE PoolHandle)
{
    MK_ENTER("NdisFreeNetBufferPool");
    nb_irql("NdisFreeNetBufferPool must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool_free(PoolHandle, MK_NDIS_NB_POOL, "NdisFreeNetBufferPool");
}

/* A leaked pool (reported by the halt's leak check): its record goes; the
 * NBLs still allocated from it are pool memory the driver leaked too
 * (Pool Tracking lists them). */
void mk_ndis_pool_reclaim(void *pool)
{
    nb_pool *p = pool;
    mk_ndis_unregister_handle(p);
    p->magic = 0;
    free(p);
}

/* ------------------------------------------------------------------------
 * NET_BUFFERs
 * ---------------------------------------------------------------------- */
/* Points CurrentMdl / CurrentMdlOffset at byte DataOffset of the chain. */
static void nb_set_current(PNET_BUFFER nb)
{
    ULONG off = nb->DataOffset;
    PMDL m = nb->MdlChain;
    while (m && off >= MmGetMdlByteCount(m) && m->Next) {
        off -= MmGetMdlByteCount(m);
        m = m->Next;
    }
    nb->CurrentMdl = m;
    nb->CurrentMdlOffset = off;
}

static void nb_init(PNET_BUFFER nb, NDIS_HANDLE pool, PMDL chain, ULONG offset, SIZE_T length)
{
    nb->Next = NULL;
    nb->MdlChain = chain;
    nb->DataOffset = offset;
    nb->stDataLength = length;
    nb->NdisPoolHandle = pool;
    nb_set_current(nb);
}

/* The NET_BUFFER's own data buffer when its pool gave it one (DataSize):
 * MDL and data follow the NET_BUFFER in the same block. */
static PMDL nb_own_data(void *after, ULONG data_size)
{
    PMDL mdl = (PMDL)after;
    SIZE_T mdl_size = nb_round(MmSizeOfMdl(NULL, PAGE_SIZE) + sizeof(PFN_NUMBER) *
                                                                  ADDRESS_AND_SIZE_TO_SPAN_PAGES(0, data_size));
    PUCHAR data = (PUCHAR)after + mdl_size;
    MmInitializeMdl(mdl, data, data_size);
    mk_port_begin();
    MmBuildMdlForNonPagedPool(mdl);
    mk_port_end();
    return mdl;
}

static SIZE_T nb_own_data_size(ULONG data_size)
{
    if (!data_size)
        return 0;
    return nb_round(MmSizeOfMdl(NULL, PAGE_SIZE) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(0, data_size)) +
           data_size;
}

PNET_BUFFER NdisAllocateNetBuffer(NDIS_HANDLE PoolHandle, PMDL MdlChain, ULONG DataOffset, SIZE_T DataLength)
{
    MK_ENTER("NdisAllocateNetBuffer");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBuffer must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool *p = nb_pool_of(PoolHandle, MK_NDIS_NB_POOL, "NdisAllocateNetBuffer: not a pool from NdisAllocateNetBufferPool");
    PNET_BUFFER nb = nb_alloc(nb_round(sizeof(NET_BUFFER)), p->tag, caller);
    if (!nb)
        return NULL;
    nb_init(nb, p, MdlChain, DataOffset, DataLength);
    atomic_fetch_add(&p->outstanding, 1);
    return nb;
}

PNET_BUFFER NdisAllocateNetBufferMdlAndData(NDIS_HANDLE PoolHandle)
{
    MK_ENTER("NdisAllocateNetBufferMdlAndData");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBufferMdlAndData must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool *p = nb_pool_of(PoolHandle, MK_NDIS_NB_POOL,
                            "NdisAllocateNetBufferMdlAndData: not a pool from NdisAllocateNetBufferPool");
    if (!p->data_size)
        return NULL; /* the pool was created without DataSize */
    PNET_BUFFER nb = nb_alloc(nb_round(sizeof(NET_BUFFER)) + nb_own_data_size(p->data_size), p->tag, caller);
    if (!nb)
        return NULL;
    PMDL mdl = nb_own_data((PUCHAR)nb + nb_round(sizeof(NET_BUFFER)), p->data_size);
    nb_init(nb, p, mdl, 0, p->data_size);
    atomic_fetch_add(&p->outstanding, 1);
    return nb;
}

void NdisFreeNetBuffer(PNET_BUFFER NetBuffer)
{
    MK_ENTER("NdisFreeNetBuffer");
    nb_irql("NdisFreeNetBuffer must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBuffer);
    if (!NetBuffer)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, "NdisFreeNetBuffer was given NULL", 0, MK_NDIS_NB_POOL);
    nb_pool *p = nb_pool_of(NetBuffer->NdisPoolHandle, MK_NDIS_NB_POOL,
                            "NdisFreeNetBuffer: the NET_BUFFER was not allocated from a NET_BUFFER pool (or was "
                            "freed already)");
    atomic_fetch_sub(&p->outstanding, 1);
    NetBuffer->NdisPoolHandle = NULL;
    nb_free(NetBuffer, p->tag, __builtin_return_address(0));
}

NDIS_HANDLE NdisGetPoolFromNetBuffer(PNET_BUFFER NetBuffer)
{
    MK_OBJ_FAULT(NetBuffer);
    return NetBuffer->NdisPoolHandle;
}

/* ------------------------------------------------------------------------
 * NET_BUFFER_LISTs
 * ---------------------------------------------------------------------- */
static NDIS_STATUS nbl_push_context(PNET_BUFFER_LIST nbl, USHORT size, USHORT backfill, ULONG tag, void *caller)
{
    SIZE_T bytes = sizeof(NET_BUFFER_LIST_CONTEXT) + (SIZE_T)size + backfill;
    PNET_BUFFER_LIST_CONTEXT c = nb_alloc(bytes, tag, caller);
    if (!c)
        return NDIS_STATUS_RESOURCES;
    c->Next = nbl->Context;
    c->Size = (USHORT)(size + backfill);
    c->Offset = backfill;
    nbl->Context = c;
    return NDIS_STATUS_SUCCESS;
}

static PNET_BUFFER_LIST nbl_new(nb_pool *p, USHORT ctx_size, USHORT backfill, void *caller)
{
    if ((ctx_size % NB_ALIGN) || (backfill % NB_ALIGN))
        return NULL; /* both must be multiples of MEMORY_ALLOCATION_ALIGNMENT */
    SIZE_T head = nb_round(sizeof(NET_BUFFER_LIST));
    SIZE_T nbsz = p->alloc_nb ? nb_round(sizeof(NET_BUFFER)) : 0;
    PNET_BUFFER_LIST nbl = nb_alloc(head + nbsz + (p->alloc_nb ? nb_own_data_size(p->data_size) : 0), p->tag, caller);
    if (!nbl)
        return NULL;
    nbl->NdisPoolHandle = p;
    NET_BUFFER_LIST_INFO(nbl, NetBufferListProtocolId) = (PVOID)(ULONG_PTR)p->protocol_id;
    USHORT size = (USHORT)(ctx_size + p->context_size);
    if (size || backfill) {
        if (nbl_push_context(nbl, size, backfill, p->tag, caller) != NDIS_STATUS_SUCCESS) {
            nb_free(nbl, p->tag, caller);
            return NULL;
        }
    }
    if (p->alloc_nb) {
        PNET_BUFFER nb = (PNET_BUFFER)((PUCHAR)nbl + head);
        PMDL mdl = p->data_size ? nb_own_data((PUCHAR)nb + nbsz, p->data_size) : NULL;
        nb_init(nb, p, mdl, 0, mdl ? p->data_size : 0);
        nbl->FirstNetBuffer = nb;
    }
    atomic_fetch_add(&p->outstanding, 1);
    return nbl;
}

PNET_BUFFER_LIST NdisAllocateNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize, USHORT ContextBackFill)
{
    MK_ENTER("NdisAllocateNetBufferList");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBufferList must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool *p = nb_pool_of(PoolHandle, MK_NDIS_NBL_POOL,
                            "NdisAllocateNetBufferList: not a pool from NdisAllocateNetBufferListPool");
    return nbl_new(p, ContextSize, ContextBackFill, caller);
}

PNET_BUFFER_LIST NdisAllocateNetBufferAndNetBufferList(NDIS_HANDLE PoolHandle, USHORT ContextSize,
                                                       USHORT ContextBackFill, PMDL MdlChain, ULONG DataOffset,
                                                       SIZE_T DataLength)
{
    MK_ENTER("NdisAllocateNetBufferAndNetBufferList");
    void *caller = __builtin_return_address(0);
    nb_irql("NdisAllocateNetBufferAndNetBufferList must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)PoolHandle);
    nb_pool *p = nb_pool_of(PoolHandle, MK_NDIS_NBL_POOL,
                            "NdisAllocateNetBufferAndNetBufferList: not a pool from NdisAllocateNetBufferListPool");
    if (!p->alloc_nb)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisAllocateNetBufferAndNetBufferList: the pool was not created with fAllocateNetBuffer TRUE",
                     (ULONG_PTR)p, 0);
    PNET_BUFFER_LIST nbl = nbl_new(p, ContextSize, ContextBackFill, caller);
    if (nbl && !p->data_size) {
        PNET_BUFFER nb = nbl->FirstNetBuffer;
        nb_init(nb, p, MdlChain, DataOffset, DataLength);
    }
    return nbl;
}

void NdisFreeNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    MK_ENTER("NdisFreeNetBufferList");
    nb_irql("NdisFreeNetBufferList must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBufferList);
    if (!NetBufferList)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, "NdisFreeNetBufferList was given NULL", 0, MK_NDIS_NBL_POOL);
    if (MK_NBL_STATE(NetBufferList) == MK_NBL_AT_PROTOCOL)
        mk_violation(MDLKIT_RULE_NDIS_NBL_FREE_PENDING,
                     "NdisFreeNetBufferList: the NET_BUFFER_LIST was indicated to the protocol and not returned yet "
                     "(it is the protocol's until MiniportReturnNetBufferLists gives it back)",
                     (ULONG_PTR)NetBufferList, (ULONG_PTR)NetBufferList->NdisPoolHandle);
    if (MK_NBL_STATE(NetBufferList) == MK_NBL_AT_MINIPORT)
        mk_violation(MDLKIT_RULE_NDIS_NBL_FREE_PENDING,
                     "NdisFreeNetBufferList: the NET_BUFFER_LIST belongs to the protocol that sent it (complete it "
                     "with NdisMSendNetBufferListsComplete, never free it)",
                     (ULONG_PTR)NetBufferList, (ULONG_PTR)NetBufferList->NdisPoolHandle);
    nb_pool *p = nb_pool_of(NetBufferList->NdisPoolHandle, MK_NDIS_NBL_POOL,
                            "NdisFreeNetBufferList: the NET_BUFFER_LIST was not allocated from a NET_BUFFER_LIST "
                            "pool (or was freed already)");
    void *caller = __builtin_return_address(0);
    for (PNET_BUFFER_LIST_CONTEXT c = NetBufferList->Context, n; c; c = n) {
        n = c->Next;
        nb_free(c, p->tag, caller);
    }
    atomic_fetch_sub(&p->outstanding, 1);
    NetBufferList->NdisPoolHandle = NULL;
    nb_free(NetBufferList, p->tag, caller);
}

PVOID NdisGetPoolFromNetBufferList(PNET_BUFFER_LIST NetBufferList)
{
    MK_OBJ_FAULT(NetBufferList);
    return NetBufferList->NdisPoolHandle;
}

UCHAR NdisGetNetBufferListProtocolId(PNET_BUFFER_LIST NetBufferList)
{
    MK_OBJ_FAULT(NetBufferList);
    return (UCHAR)((ULONG_PTR)NET_BUFFER_LIST_INFO(NetBufferList, NetBufferListProtocolId) & NDIS_PROTOCOL_ID_MASK);
}

NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                             USHORT ContextBackFill, ULONG PoolTag)
{
    MK_ENTER("NdisAllocateNetBufferListContext");
    MK_OBJ_FAULT(NetBufferList);
    nb_irql("NdisAllocateNetBufferListContext must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBufferList);
    if ((ContextSize % NB_ALIGN) || (ContextBackFill % NB_ALIGN))
        return NDIS_STATUS_INVALID_PARAMETER;
    PNET_BUFFER_LIST_CONTEXT c = NetBufferList->Context;
    if (c && c->Offset >= ContextSize) {
        c->Offset = (USHORT)(c->Offset - ContextSize);
        return NDIS_STATUS_SUCCESS;
    }
    NDIS_STATUS st = nbl_push_context(NetBufferList, ContextSize, ContextBackFill, PoolTag,
                                      __builtin_return_address(0));
    if (st == NDIS_STATUS_SUCCESS)
        NetBufferList->Context->Offset = ContextBackFill;
    return st;
}

void NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize)
{
    MK_ENTER("NdisFreeNetBufferListContext");
    MK_OBJ_FAULT(NetBufferList);
    nb_irql("NdisFreeNetBufferListContext must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBufferList);
    PNET_BUFFER_LIST_CONTEXT c = NetBufferList->Context;
    if (!c || (ULONG)c->Offset + ContextSize > c->Size)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisFreeNetBufferListContext: ContextSize is more than the context allocated",
                     (ULONG_PTR)NetBufferList, ContextSize);
    c->Offset = (USHORT)(c->Offset + ContextSize);
    if (c->Offset == c->Size && c->Next) {
        NetBufferList->Context = c->Next;
        nb_pool *p = mk_ndis_lookup(NetBufferList->NdisPoolHandle, MK_NDIS_NBL_POOL);
        nb_free(c, p ? p->tag : 0, __builtin_return_address(0));
    }
}

/* ------------------------------------------------------------------------
 * The data start
 * ---------------------------------------------------------------------- */
NDIS_STATUS NdisRetreatNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, ULONG DataBackFill,
                                          NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler)
{
    MK_ENTER("NdisRetreatNetBufferDataStart");
    MK_OBJ_FAULT(NetBuffer);
    void *caller = __builtin_return_address(0);
    nb_irql("NdisRetreatNetBufferDataStart must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBuffer);
    PNET_BUFFER nb = NetBuffer;
    if (DataOffsetDelta <= nb->DataOffset) {
        nb->DataOffset -= DataOffsetDelta;
        nb->stDataLength += DataOffsetDelta;
        nb_set_current(nb);
        return NDIS_STATUS_SUCCESS;
    }
    /* Not enough unused space before the data: a new buffer of the missing
     * bytes plus DataBackFill goes in front of the chain, described by an
     * MDL from AllocateMdlHandler (or NDIS's own). */
    ULONG missing = DataOffsetDelta - nb->DataOffset;
    ULONG size = missing + DataBackFill;
    PMDL mdl;
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    int ours = 0;
    if (AllocateMdlHandler) {
        ULONG got = size;
        mdl = AllocateMdlHandler(&got);
        if (!mdl)
            return NDIS_STATUS_RESOURCES;
        if (got < size || MmGetMdlByteCount(mdl) < size)
            mk_violation(MDLKIT_RULE_NDIS_STATE,
                         "NdisRetreatNetBufferDataStart: the MDL the allocate handler returned describes fewer bytes "
                         "than it was asked for",
                         (ULONG_PTR)mdl, size);
        size = MmGetMdlByteCount(mdl);
    } else {
        void *buf = nb_alloc(size, 'mRdN', caller);
        if (!buf)
            return NDIS_STATUS_RESOURCES;
        mk_port_begin();
        mdl = mk_mdl_allocate(buf, size);
        if (mdl)
            mk_mdl_build_nonpaged(mdl);
        mk_port_end();
        if (!mdl) {
            nb_free(buf, 'mRdN', caller);
            return NDIS_STATUS_RESOURCES;
        }
        ours = 1;
    }
    if (!mk_port_track_add(MK_PT_NDIS_RETREAT_MDL, mdl, size, ours, nb, caller, none, FALSE)) {
        if (ours) {
            void *buf = MmGetMdlVirtualAddress(mdl);
            mk_port_begin();
            mk_mdl_free(mdl);
            mk_port_end();
            nb_free(buf, 'mRdN', caller);
        }
        return NDIS_STATUS_RESOURCES;
    }
    mdl->Next = nb->MdlChain;
    nb->MdlChain = mdl;
    nb->DataOffset = size - missing;
    nb->stDataLength += DataOffsetDelta;
    nb_set_current(nb);
    return NDIS_STATUS_SUCCESS;
}

void NdisAdvanceNetBufferDataStart(PNET_BUFFER NetBuffer, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                   NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    MK_ENTER("NdisAdvanceNetBufferDataStart");
    MK_OBJ_FAULT(NetBuffer);
    nb_irql("NdisAdvanceNetBufferDataStart must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBuffer);
    PNET_BUFFER nb = NetBuffer;
    if (DataOffsetDelta > nb->DataLength)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisAdvanceNetBufferDataStart: DataOffsetDelta is more than the NET_BUFFER's DataLength",
                     (ULONG_PTR)nb, DataOffsetDelta);
    nb->DataOffset += DataOffsetDelta;
    nb->stDataLength -= DataOffsetDelta;
    /* FreeMdl: the MDLs a retreat allocated that now lie wholly before the
     * data go back to whoever allocated them. */
    while (FreeMdl && nb->MdlChain && nb->DataOffset >= MmGetMdlByteCount(nb->MdlChain)) {
        mk_port_track t;
        if (!mk_port_track_find(MK_PT_NDIS_RETREAT_MDL, nb->MdlChain, &t))
            break;
        PMDL m = nb->MdlChain;
        nb->DataOffset -= MmGetMdlByteCount(m);
        nb->MdlChain = m->Next;
        m->Next = NULL;
        mk_port_track_remove(MK_PT_NDIS_RETREAT_MDL, m);
        if (t.tag) { /* NDIS's own */
            void *buf = MmGetMdlVirtualAddress(m);
            mk_port_begin();
            mk_mdl_free(m);
            mk_port_end();
            nb_free(buf, 'mRdN', __builtin_return_address(0));
        } else if (FreeMdlHandler) {
            mk_port_frame f;
            mk_port_call_miniport(&f, mk_self.driver);
            FreeMdlHandler(m);
            mk_port_return_from_miniport(&f);
        }
    }
    nb_set_current(nb);
}

NDIS_STATUS NdisRetreatNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta,
                                              ULONG DataBackFill, NET_BUFFER_ALLOCATE_MDL_HANDLER AllocateMdlHandler,
                                              NET_BUFFER_FREE_MDL_HANDLER FreeMdlHandler)
{
    MK_OBJ_FAULT(NetBufferList);
    for (PNET_BUFFER nb = NetBufferList->FirstNetBuffer; nb; nb = nb->Next) {
        NDIS_STATUS st = NdisRetreatNetBufferDataStart(nb, DataOffsetDelta, DataBackFill, AllocateMdlHandler);
        if (st != NDIS_STATUS_SUCCESS) {
            /* undo the ones done */
            for (PNET_BUFFER u = NetBufferList->FirstNetBuffer; u != nb; u = u->Next)
                NdisAdvanceNetBufferDataStart(u, DataOffsetDelta, TRUE, FreeMdlHandler);
            return st;
        }
    }
    return NDIS_STATUS_SUCCESS;
}

void NdisAdvanceNetBufferListDataStart(PNET_BUFFER_LIST NetBufferList, ULONG DataOffsetDelta, BOOLEAN FreeMdl,
                                       NET_BUFFER_FREE_MDL_HANDLER FreeMdlMdlHandler)
{
    MK_OBJ_FAULT(NetBufferList);
    for (PNET_BUFFER nb = NetBufferList->FirstNetBuffer; nb; nb = nb->Next)
        NdisAdvanceNetBufferDataStart(nb, DataOffsetDelta, FreeMdl, FreeMdlMdlHandler);
}

/* ------------------------------------------------------------------------
 * Reading data
 * ---------------------------------------------------------------------- */
static PUCHAR nb_map(PMDL m)
{
    mk_port_begin();
    PUCHAR va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    mk_port_end();
    return va;
}

PVOID NdisGetDataBuffer(PNET_BUFFER NetBuffer, ULONG BytesNeeded, PVOID Storage, UINT AlignMultiple, UINT AlignOffset)
{
    MK_ENTER("NdisGetDataBuffer");
    MK_OBJ_FAULT(NetBuffer);
    nb_irql("NdisGetDataBuffer must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)NetBuffer);
    PNET_BUFFER nb = NetBuffer;
    if (!nb || BytesNeeded == 0 || BytesNeeded > nb->DataLength || !nb->CurrentMdl)
        return NULL;
    if (AlignMultiple == 0 || (AlignMultiple & (AlignMultiple - 1)))
        AlignMultiple = 1;
    PMDL m = nb->CurrentMdl;
    ULONG off = nb->CurrentMdlOffset;
    PUCHAR va = nb_map(m);
    if (!va)
        return NULL;
    if (off + BytesNeeded <= MmGetMdlByteCount(m) &&
        (((ULONG_PTR)(va + off) - AlignOffset) & (AlignMultiple - 1)) == 0)
        return va + off; /* contiguous in one MDL and aligned */
    if (!Storage)
        return NULL;
    PUCHAR dst = Storage;
    ULONG left = BytesNeeded;
    while (left && m) {
        ULONG n = MmGetMdlByteCount(m) - off;
        if (n > left)
            n = left;
        va = nb_map(m);
        if (!va)
            return NULL;
        memcpy(dst, va + off, n);
        dst += n;
        left -= n;
        m = m->Next;
        off = 0;
    }
    return left ? NULL : Storage;
}

/* Positions (mdl, offset) at byte `at` of the NB's data. */
static int nb_seek(PNET_BUFFER nb, ULONG at, PMDL *mo, ULONG *oo)
{
    PMDL m = nb->CurrentMdl;
    ULONG off = nb->CurrentMdlOffset + at;
    while (m && off >= MmGetMdlByteCount(m)) {
        off -= MmGetMdlByteCount(m);
        m = m->Next;
    }
    *mo = m;
    *oo = off;
    return m != NULL;
}

NDIS_STATUS NdisCopyFromNetBufferToNetBuffer(PNET_BUFFER Destination, ULONG DestinationOffset, ULONG BytesToCopy,
                                             PNET_BUFFER Source, ULONG SourceOffset, PULONG BytesCopied)
{
    MK_ENTER("NdisCopyFromNetBufferToNetBuffer");
    MK_OBJ_FAULT(Destination);
    nb_irql("NdisCopyFromNetBufferToNetBuffer must be called at IRQL <= DISPATCH_LEVEL", (ULONG_PTR)Destination);
    *BytesCopied = 0;
    if (SourceOffset >= Source->DataLength || DestinationOffset >= Destination->DataLength)
        return NDIS_STATUS_SUCCESS;
    ULONG n = BytesToCopy;
    if (n > Source->DataLength - SourceOffset)
        n = Source->DataLength - SourceOffset;
    if (n > Destination->DataLength - DestinationOffset)
        n = Destination->DataLength - DestinationOffset;
    PMDL sm, dm;
    ULONG so, dof;
    if (!nb_seek(Source, SourceOffset, &sm, &so) || !nb_seek(Destination, DestinationOffset, &dm, &dof))
        return NDIS_STATUS_SUCCESS;
    ULONG done = 0;
    while (done < n && sm && dm) {
        PUCHAR s = nb_map(sm), d = nb_map(dm);
        if (!s || !d) {
            *BytesCopied = done;
            return NDIS_STATUS_RESOURCES;
        }
        ULONG k = n - done;
        if (k > MmGetMdlByteCount(sm) - so)
            k = MmGetMdlByteCount(sm) - so;
        if (k > MmGetMdlByteCount(dm) - dof)
            k = MmGetMdlByteCount(dm) - dof;
        memmove(d + dof, s + so, k);
        done += k;
        so += k;
        dof += k;
        if (so == MmGetMdlByteCount(sm)) {
            sm = sm->Next;
            so = 0;
        }
        if (dof == MmGetMdlByteCount(dm)) {
            dm = dm->Next;
            dof = 0;
        }
    }
    *BytesCopied = done;
    return NDIS_STATUS_SUCCESS;
}

/* Copies up to `max` bytes of the NB's data into out (the harness's
 * snapshot of a received frame); returns the count. */
ULONG mk_ndis_nb_copy_out(PNET_BUFFER nb, void *out, ULONG max)
{
    ULONG n = nb->DataLength < max ? nb->DataLength : max;
    PMDL m = nb->CurrentMdl;
    ULONG off = nb->CurrentMdlOffset, done = 0;
    while (done < n && m) {
        PUCHAR va = nb_map(m);
        if (!va)
            break;
        ULONG k = MmGetMdlByteCount(m) - off;
        if (k > n - done)
            k = n - done;
        memcpy((PUCHAR)out + done, va + off, k);
        done += k;
        m = m->Next;
        off = 0;
    }
    return done;
}
