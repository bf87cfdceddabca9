/*
 * ndis.c -- NDIS miniport hosting: NdisMRegisterMiniportDriver,
 * mdlkit_ndis_start_adapter / _shutdown_adapter / _halt_adapter,
 * NdisMSetMiniportAttributes, scatter-gather DMA registration, shared
 * memory (NdisMAllocateSharedMemory / NdisMFreeSharedMemory) and generic
 * objects. Interrupts are in ndisintr.c. The memory routines that take any NDIS handle (NdisAllocateMdl,
 * NdisAllocateMemoryWithTagPriority, ...) are in ndismem.c.
 *
 * Every handle NDIS gives out is registered in a small table, so a bad
 * handle is reported instead of dereferenced. Choices where the
 * documentation is silent are in docs/ddi-notes.md ("StorPort and NDIS").
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <ndis.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ND_MAX_HANDLES 256
#define ND_LEAK_NOTES_MAX 32

/* 0x7C BUGCODE_NDIS_DRIVER subcodes */
#define ND_BUGCHECK_ALLOCATE_SHARED_MEM_HIGH_IRQL 0x01
#define ND_BUGCHECK_FREE_INVALID_SHARED_MEM 0x03

enum nd_state { ND_INITIALIZING = 1, ND_RUNNING, ND_SHUTTING_DOWN, ND_HALTING };

typedef struct nd_driver {
    mk_driver *drv;
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NDIS_HANDLE ctx;
    unsigned adapters_started;
} nd_driver;

typedef struct nd_adapter {
    nd_driver *nd;
    enum nd_state state;
    NDIS_HANDLE ctx; /* MiniportAdapterContext */
    ULONG attr_flags;
    int registered;
    int general;
    struct nd_dma *dma;
    unsigned index;
    pthread_mutex_t lock;
    mk_port_track *shared;
} nd_adapter;

typedef struct nd_dma {
    nd_adapter *ad;
    NDIS_SG_DMA_DESCRIPTION desc;
} nd_dma;

static struct {
    const void *_Atomic handle;
    int kind;
    void *rec;
} nd_handles[ND_MAX_HANDLES];
static pthread_mutex_t nd_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned nd_adapter_seq;

/* ------------------------------------------------------------------------
 * Handles
 * ---------------------------------------------------------------------- */
static int nd_register(const void *handle, int kind, void *rec)
{
    int ok = 0;
    pthread_mutex_lock(&nd_lock);
    for (int i = 0; i < ND_MAX_HANDLES; i++)
        if (!atomic_load(&nd_handles[i].handle)) {
            nd_handles[i].kind = kind;
            nd_handles[i].rec = rec;
            atomic_store(&nd_handles[i].handle, handle);
            ok = 1;
            break;
        }
    pthread_mutex_unlock(&nd_lock);
    return ok;
}

static void nd_unregister(const void *handle)
{
    pthread_mutex_lock(&nd_lock);
    for (int i = 0; i < ND_MAX_HANDLES; i++)
        if (atomic_load(&nd_handles[i].handle) == handle) {
            atomic_store(&nd_handles[i].handle, NULL);
            nd_handles[i].rec = NULL;
            nd_handles[i].kind = 0;
        }
    pthread_mutex_unlock(&nd_lock);
}

static void *nd_lookup(const void *handle, int kind)
{
    if (!handle)
        return NULL;
    for (int i = 0; i < ND_MAX_HANDLES; i++)
        if (atomic_load_explicit(&nd_handles[i].handle, memory_order_acquire) == handle &&
            (!kind || nd_handles[i].kind == kind))
            return nd_handles[i].rec;
    return NULL;
}

int mk_ndis_handle_kind(const void *handle)
{
    if (!handle)
        return 0;
    for (int i = 0; i < ND_MAX_HANDLES; i++)
        if (atomic_load_explicit(&nd_handles[i].handle, memory_order_acquire) == handle)
            return nd_handles[i].kind;
    return 0;
}

static void *nd_lookup_or_report(const void *handle, int kind, const char *why)
{
    void *rec = nd_lookup(handle, kind);
    if (MK_UNLIKELY(!rec))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, why, (ULONG_PTR)handle, (ULONG_PTR)kind);
    return rec;
}

static void nd_require_passive(const char *why, const void *handle)
{
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, why, mk_irql(), (ULONG_PTR)handle);
}

/* ------------------------------------------------------------------------
 * Driver registration
 * ---------------------------------------------------------------------- */
NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                        NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
                                        PNDIS_HANDLE NdisMiniportDriverHandle)
{
    MK_ENTER("NdisMRegisterMiniportDriver");
    (void)RegistryPath;
    nd_require_passive("NdisMRegisterMiniportDriver must be called at PASSIVE_LEVEL", DriverObject);
    mk_driver *d = mk_driver_from_object(DriverObject);
    if (!d || !NdisMiniportDriverHandle || !MiniportDriverCharacteristics)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisMiniportDriverHandle = NULL;
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS ch = MiniportDriverCharacteristics;
    if (ch->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS ||
        ch->Header.Size < NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 ||
        ch->Header.Revision < NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->MajorNdisVersion != 6)
        return NDIS_STATUS_BAD_VERSION;
    if (!ch->InitializeHandlerEx || !ch->HaltHandlerEx || !ch->ShutdownHandlerEx)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (d->port || (d->model != MK_MODEL_WDM && d->model != MK_MODEL_NDIS))
        return NDIS_STATUS_FAILURE; /* already registered (or a StorPort miniport) */
    nd_driver *nd = calloc(1, sizeof *nd);
    if (!nd)
        return NDIS_STATUS_RESOURCES;
    nd->drv = d;
    nd->ctx = MiniportDriverContext;
    memcpy(&nd->ch, ch, sizeof nd->ch);
    if (!nd_register(nd, MK_NDIS_DRIVER, nd)) {
        free(nd);
        return NDIS_STATUS_RESOURCES;
    }
    d->port = nd;
    d->model = MK_MODEL_NDIS;
    if (ch->SetOptionsHandler) {
        mk_port_frame f;
        mk_port_call_miniport(&f, d);
        NDIS_STATUS st = ch->SetOptionsHandler(nd, MiniportDriverContext);
        mk_port_return_from_miniport(&f);
        if (st != NDIS_STATUS_SUCCESS) {
            nd_unregister(nd);
            d->port = NULL;
            free(nd);
            return st;
        }
    }
    *NdisMiniportDriverHandle = nd;
    return NDIS_STATUS_SUCCESS;
}

static void nd_driver_free(nd_driver *nd)
{
    nd_unregister(nd);
    if (nd->drv && nd->drv->port == nd)
        nd->drv->port = NULL;
    free(nd);
}

/* Halts every adapter of the driver still running (leak checks included). */
static void nd_halt_all(nd_driver *nd)
{
    for (;;) {
        nd_adapter *victim = NULL;
        pthread_mutex_lock(&nd_lock);
        for (int i = 0; i < ND_MAX_HANDLES && !victim; i++)
            if (atomic_load(&nd_handles[i].handle) && nd_handles[i].kind == MK_NDIS_ADAPTER) {
                nd_adapter *ad = nd_handles[i].rec;
                if (ad->nd == nd && ad->state == ND_RUNNING)
                    victim = ad;
            }
        pthread_mutex_unlock(&nd_lock);
        if (!victim)
            return;
        mdlkit_ndis_halt_adapter(victim);
    }
}

void NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
    MK_ENTER("NdisMDeregisterMiniportDriver");
    nd_require_passive("NdisMDeregisterMiniportDriver must be called at PASSIVE_LEVEL", NdisMiniportDriverHandle);
    nd_driver *nd = nd_lookup_or_report(NdisMiniportDriverHandle, MK_NDIS_DRIVER,
                                        "NdisMDeregisterMiniportDriver: not a handle from NdisMRegisterMiniportDriver "
                                        "(or deregistered twice)");
    nd_halt_all(nd);
    nd_driver_free(nd);
}

void mk_ndis_driver_unloading(mk_driver *d)
{
    if (d->port)
        nd_halt_all(d->port);
}

void mk_ndis_driver_unloaded(mk_driver *d)
{
    if (d->port)
        nd_driver_free(d->port);
}

/* ------------------------------------------------------------------------
 * Adapters
 * ---------------------------------------------------------------------- */
static size_t nd_shared_leaks(nd_adapter *ad)
{
    size_t n = 0;
    pthread_mutex_lock(&ad->lock);
    mk_port_track *t = ad->shared;
    ad->shared = NULL;
    pthread_mutex_unlock(&ad->lock);
    while (t) {
        mk_port_track *next = t->next;
        if (n < ND_LEAK_NOTES_MAX) {
            char who[256];
            mk_port_caller_name(t->caller, who, sizeof who);
            mk_bugcheck_note("leaked NdisMAllocateSharedMemory block %p (physical 0x%llx), %zu bytes, allocated at %s",
                             t->addr, (unsigned long long)t->pa.QuadPart, t->len, who);
        }
        n++;
        mk_verifier_untrack_leak(MK_TRACK_SHARED, t->addr);
        mk_driver *old = mk_driver_enter(NULL);
        mk_port_begin();
        MmFreeContiguousMemorySpecifyCache(t->addr, t->len, MmCached);
        mk_port_end();
        mk_driver_leave(old);
        free(t);
        t = next;
    }
    if (n > ND_LEAK_NOTES_MAX)
        mk_bugcheck_note("... and %zu more shared-memory blocks", n - ND_LEAK_NOTES_MAX);
    return n;
}

int mk_ndis_adapter_view_get(const void *adapter, mk_ndis_adapter_view *out)
{
    nd_adapter *ad = nd_lookup(adapter, MK_NDIS_ADAPTER);
    if (!ad)
        return 0;
    out->drv = ad->nd->drv;
    out->initializing = ad->state == ND_INITIALIZING;
    out->registered = ad->registered;
    return 1;
}

/* Frees the adapter and reports what the miniport left behind. */
static void nd_adapter_destroy(nd_adapter *ad)
{
    ULONG_PTR interrupt = mk_ndis_interrupt_leak(ad);
    size_t mdls = mk_ndis_mdl_leaks(ad);
    size_t shared = nd_shared_leaks(ad);
    ULONG_PTR handle = (ULONG_PTR)ad;
    if (ad->dma) {
        nd_unregister(ad->dma);
        free(ad->dma);
        ad->dma = NULL;
    }
    nd_unregister(ad);
    pthread_mutex_destroy(&ad->lock);
    free(ad);
    if (interrupt)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_LEAK,
                     "The interrupt registered with NdisMRegisterInterruptEx was still registered when MiniportHaltEx "
                     "returned (or MiniportInitializeEx failed): call NdisMDeregisterInterruptEx first",
                     interrupt, handle);
    if (mdls)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     "MDLs from NdisAllocateMdl were still allocated when MiniportHaltEx returned (NdisAllocateMdl "
                     "rule; each is listed below)",
                     (ULONG_PTR)mdls, handle);
    if (shared)
        mk_violation(MDLKIT_RULE_NDIS_SHARED_MEMORY_LEAK,
                     "Shared memory from NdisMAllocateSharedMemory was not freed by the time MiniportHaltEx "
                     "returned (each block is listed below)",
                     (ULONG_PTR)shared, handle);
}

NTSTATUS mdlkit_ndis_start_adapter(PDRIVER_OBJECT driver, PVOID *miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_start_adapter");
    mk_thread_attach();
    if (!miniport_adapter_handle)
        return STATUS_INVALID_PARAMETER;
    *miniport_adapter_handle = NULL;
    mk_driver *d = mk_driver_from_object(driver);
    if (!d)
        return STATUS_INVALID_PARAMETER;
    if (d->model != MK_MODEL_NDIS || !d->port || mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    nd_driver *nd = d->port;
    nd_adapter *ad = calloc(1, sizeof *ad);
    if (!ad)
        return STATUS_INSUFFICIENT_RESOURCES;
    ad->nd = nd;
    ad->state = ND_INITIALIZING;
    pthread_mutex_init(&ad->lock, NULL);
    pthread_mutex_lock(&nd_lock);
    ad->index = ++nd_adapter_seq;
    pthread_mutex_unlock(&nd_lock);
    if (!nd_register(ad, MK_NDIS_ADAPTER, ad)) {
        pthread_mutex_destroy(&ad->lock);
        free(ad);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    NDIS_MINIPORT_INIT_PARAMETERS params;
    memset(&params, 0, sizeof params);
    params.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
    params.Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
    params.Header.Size = NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1;
    params.IfIndex = ad->index;
    params.NetLuid.Info.NetLuidIndex = ad->index;
    params.NetLuid.Info.IfType = 6; /* IF_TYPE_ETHERNET_CSMACD */

    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    NDIS_STATUS st = nd->ch.InitializeHandlerEx(ad, nd->ctx, &params);
    mk_port_return_from_miniport(&f);
    if (st == NDIS_STATUS_SUCCESS && !ad->registered) {
        fprintf(stderr, "mdlkit: %s: MiniportInitializeEx succeeded without setting registration attributes "
                        "(NdisMSetMiniportAttributes); NDIS fails the initialisation\n",
                d->name);
        st = NDIS_STATUS_FAILURE;
    }
    if (st != NDIS_STATUS_SUCCESS) {
        nd_adapter_destroy(ad); /* the miniport must have freed everything */
        return (NTSTATUS)st;
    }
    ad->state = ND_RUNNING;
    nd->adapters_started++;
    *miniport_adapter_handle = ad;
    return STATUS_SUCCESS;
}

/* The harness's shutdown and halt: a running adapter, at PASSIVE_LEVEL.
 * The adapter, or NULL with *st the status to return. */
static nd_adapter *nd_running_adapter(PVOID miniport_adapter_handle, NTSTATUS *st)
{
    mk_thread_attach();
    nd_adapter *ad = nd_lookup(miniport_adapter_handle, MK_NDIS_ADAPTER);
    if (!ad) {
        *st = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if (ad->state != ND_RUNNING || mk_irql() != PASSIVE_LEVEL) {
        *st = STATUS_INVALID_DEVICE_STATE;
        return NULL;
    }
    return ad;
}

NTSTATUS mdlkit_ndis_shutdown_adapter(PVOID miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_shutdown_adapter");
    NTSTATUS st;
    nd_adapter *ad = nd_running_adapter(miniport_adapter_handle, &st);
    if (!ad)
        return st;
    ad->state = ND_SHUTTING_DOWN;
    mk_port_frame f;
    mk_port_call_miniport(&f, ad->nd->drv);
    ad->nd->ch.ShutdownHandlerEx(ad->ctx, NdisShutdownPowerOff);
    mk_port_return_from_miniport(&f);
    ad->state = ND_RUNNING;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_ndis_halt_adapter(PVOID miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_halt_adapter");
    NTSTATUS st;
    nd_adapter *ad = nd_running_adapter(miniport_adapter_handle, &st);
    if (!ad)
        return st;
    ad->state = ND_HALTING;
    mk_port_frame f;
    mk_port_call_miniport(&f, ad->nd->drv);
    ad->nd->ch.HaltHandlerEx(ad->ctx, NdisHaltDeviceDisabled);
    mk_port_return_from_miniport(&f);
    nd_adapter_destroy(ad);
    return STATUS_SUCCESS;
}

NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportAdapterHandle,
                                       PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes)
{
    MK_ENTER("NdisMSetMiniportAttributes");
    nd_require_passive("NdisMSetMiniportAttributes must be called at PASSIVE_LEVEL", NdisMiniportAdapterHandle);
    nd_adapter *ad = nd_lookup_or_report(NdisMiniportAdapterHandle, MK_NDIS_ADAPTER,
                                         "NdisMSetMiniportAttributes: not a miniport adapter handle");
    if (!MiniportAttributes)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (ad->state != ND_INITIALIZING)
        return NDIS_STATUS_FAILURE; /* only from MiniportInitializeEx */
    NDIS_OBJECT_HEADER *h = &MiniportAttributes->RegistrationAttributes.Header;
    switch (h->Type) {
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES: {
        PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES r = &MiniportAttributes->RegistrationAttributes;
        if (h->Size < NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1)
            return NDIS_STATUS_INVALID_PARAMETER;
        ad->ctx = r->MiniportAdapterContext;
        ad->attr_flags = r->AttributeFlags;
        ad->registered = 1;
        return NDIS_STATUS_SUCCESS;
    }
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES:
        if (!ad->registered)
            return NDIS_STATUS_FAILURE; /* registration attributes come first */
        ad->general = 1;
        return NDIS_STATUS_SUCCESS;
    case 0xA0: /* offload */
    case 0xA1: /* native 802.11 */
    case 0xAB: /* header-data split */
    case 0xAF: /* hardware assist */
        /* Informational to NDIS; nothing in mdlkit depends on them. */
        return ad->registered ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }
}

/* ------------------------------------------------------------------------
 * Scatter-gather DMA
 * ---------------------------------------------------------------------- */
NDIS_STATUS NdisMRegisterScatterGatherDma(NDIS_HANDLE MiniportAdapterHandle, PNDIS_SG_DMA_DESCRIPTION DmaDescription,
                                          PNDIS_HANDLE NdisMiniportDmaHandle)
{
    MK_ENTER("NdisMRegisterScatterGatherDma");
    nd_require_passive("NdisMRegisterScatterGatherDma must be called at PASSIVE_LEVEL", MiniportAdapterHandle);
    nd_adapter *ad = nd_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                         "NdisMRegisterScatterGatherDma: not a miniport adapter handle");
    if (!DmaDescription || !NdisMiniportDmaHandle)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisMiniportDmaHandle = NULL;
    if (DmaDescription->Header.Type != NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION ||
        DmaDescription->Header.Size < NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1 ||
        !DmaDescription->ProcessSGListHandler)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (ad->state != ND_INITIALIZING || ad->dma)
        return NDIS_STATUS_FAILURE;
    if (!(ad->attr_flags & NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER))
        return NDIS_STATUS_NOT_SUPPORTED; /* only bus-master miniports do DMA */
    nd_dma *dma = calloc(1, sizeof *dma);
    if (!dma)
        return NDIS_STATUS_RESOURCES;
    dma->ad = ad;
    dma->desc = *DmaDescription;
    if (!nd_register(dma, MK_NDIS_DMA, dma)) {
        free(dma);
        return NDIS_STATUS_RESOURCES;
    }
    ad->dma = dma;
    *NdisMiniportDmaHandle = dma;
    return NDIS_STATUS_SUCCESS;
}

void NdisMDeregisterScatterGatherDma(NDIS_HANDLE NdisMiniportDmaHandle)
{
    MK_ENTER("NdisMDeregisterScatterGatherDma");
    nd_require_passive("NdisMDeregisterScatterGatherDma must be called at PASSIVE_LEVEL", NdisMiniportDmaHandle);
    nd_dma *dma = nd_lookup_or_report(NdisMiniportDmaHandle, MK_NDIS_DMA,
                                      "NdisMDeregisterScatterGatherDma: not a handle from "
                                      "NdisMRegisterScatterGatherDma (or deregistered twice)");
    dma->ad->dma = NULL;
    nd_unregister(dma);
    free(dma);
}

/* ------------------------------------------------------------------------
 * Shared memory
 * ---------------------------------------------------------------------- */
void NdisMAllocateSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached,
                               PVOID *VirtualAddress, PNDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("NdisMAllocateSharedMemory");
    void *caller = __builtin_return_address(0);
    if (mk_irql() != PASSIVE_LEVEL)
        mk_bugcheck(BUGCODE_NDIS_DRIVER, ND_BUGCHECK_ALLOCATE_SHARED_MEM_HIGH_IRQL, (ULONG_PTR)MiniportAdapterHandle,
                    Length, mk_irql());
    nd_adapter *ad = nd_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                         "NdisMAllocateSharedMemory: not a miniport adapter handle");
    if (ad->state != ND_INITIALIZING)
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
    PHYSICAL_ADDRESS low, high, none;
    low.QuadPart = 0;
    none.QuadPart = 0;
    high.QuadPart = (ad->dma->desc.Flags & NDIS_SG_DMA_64_BIT_ADDRESS) ? (LONGLONG)0x7FFFFFFFFFFFFFFFLL
                                                                       : (LONGLONG)0xFFFFFFFFLL;
    mk_port_track *t = calloc(1, sizeof *t);
    if (!t)
        return;
    /* A common buffer: physically contiguous, cached (Cached is ignored on
     * x64), owned by NDIS on the adapter's behalf. */
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    PVOID va = MmAllocateContiguousMemorySpecifyCache(Length, low, high, none, MmCached);
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0;
    if (va)
        pa = MmGetPhysicalAddress(va);
    mk_port_end();
    mk_driver_leave(old);
    if (!va) {
        free(t);
        return;
    }
    t->addr = va;
    t->len = Length;
    t->pa = pa;
    t->cached = Cached ? TRUE : FALSE;
    t->owner = ad;
    t->caller = caller;
    pthread_mutex_lock(&ad->lock);
    t->next = ad->shared;
    ad->shared = t;
    pthread_mutex_unlock(&ad->lock);
    /* Pool Tracking: charged to the miniport's driver, with its stack. */
    mk_verifier_track(MK_TRACK_SHARED, va, Length, 0, ad);
    *VirtualAddress = va;
    *PhysicalAddress = pa;
}

void NdisMFreeSharedMemory(NDIS_HANDLE MiniportAdapterHandle, ULONG Length, BOOLEAN Cached, PVOID VirtualAddress,
                           NDIS_PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("NdisMFreeSharedMemory");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMFreeSharedMemory must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    nd_adapter *ad = nd_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                         "NdisMFreeSharedMemory: not a miniport adapter handle");
    if (ad->state == ND_SHUTTING_DOWN)
        mk_violation(MDLKIT_RULE_NDIS_MFREE_SHARED_MEMORY,
                     "NdisMFreeSharedMemory must not be called from MiniportShutdownEx (NdisMFreeSharedMemory rule)",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)ad);
    mk_port_track *t = NULL, c;
    int mismatch = 0;
    pthread_mutex_lock(&ad->lock);
    for (t = ad->shared; t && t->addr != VirtualAddress; t = t->next)
        ;
    if (t) {
        c = *t; /* (read under the lock) */
        mismatch = c.len != Length || c.cached != (Cached ? TRUE : FALSE) || c.pa.QuadPart != PhysicalAddress.QuadPart;
    }
    pthread_mutex_unlock(&ad->lock);
    if (!t || mismatch) {
        if (t)
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
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    MmFreeContiguousMemorySpecifyCache(VirtualAddress, Length, MmCached);
    mk_port_end();
    mk_driver_leave(old);
    /* The records go once the free has passed its checks: a bug check it
     * raises and the test catches leaves the block AND its records, so the
     * halt's leak check (and Pool Tracking) still list it. */
    mk_verifier_untrack(MK_TRACK_SHARED, VirtualAddress);
    int unlinked = 0;
    pthread_mutex_lock(&ad->lock);
    for (mk_port_track **pp = &ad->shared; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            unlinked = 1;
            break;
        }
    pthread_mutex_unlock(&ad->lock);
    if (unlinked)
        free(t);
}

/* ------------------------------------------------------------------------
 * Generic objects
 * ---------------------------------------------------------------------- */
PNDIS_GENERIC_OBJECT NdisAllocateGenericObject(PDRIVER_OBJECT DriverObject, ULONG Tag, USHORT Size)
{
    MK_ENTER("NdisAllocateGenericObject");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisAllocateGenericObject must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)DriverObject);
    mk_port_begin();
    PNDIS_GENERIC_OBJECT o = mk_ex_allocate(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool,
                                            sizeof(NDIS_GENERIC_OBJECT) + Size, Tag, NormalPoolPriority, 1, caller);
    mk_port_end();
    if (!o)
        return NULL;
    o->Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    o->Header.Revision = 1;
    o->Header.Size = (USHORT)sizeof(NDIS_GENERIC_OBJECT);
    o->Caller = caller;
    o->CallersCaller = NULL;
    o->DriverObject = DriverObject;
    if (!nd_register(o, MK_NDIS_GENERIC, o)) {
        mk_port_begin();
        mk_ex_free(o, Tag, caller);
        mk_port_end();
        return NULL;
    }
    return o;
}

void NdisFreeGenericObject(PNDIS_GENERIC_OBJECT NdisObject)
{
    MK_ENTER("NdisFreeGenericObject");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisFreeGenericObject must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisObject);
    nd_lookup_or_report(NdisObject, MK_NDIS_GENERIC,
                        "NdisFreeGenericObject: not an object from NdisAllocateGenericObject (or freed twice)");
    nd_unregister(NdisObject);
    size_t mdls = mk_ndis_mdl_leaks(NdisObject);
    mk_port_begin();
    mk_ex_free(NdisObject, 0, __builtin_return_address(0));
    mk_port_end();
    if (mdls)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     "The generic object was freed while MDLs allocated with it by NdisAllocateMdl were still "
                     "allocated (each is listed below)",
                     (ULONG_PTR)mdls, (ULONG_PTR)NdisObject);
}

void mk_ndis_shutdown(void)
{
    pthread_mutex_lock(&nd_lock);
    for (int i = 0; i < ND_MAX_HANDLES; i++) {
        if (!atomic_load(&nd_handles[i].handle))
            continue;
        void *rec = nd_handles[i].rec;
        int kind = nd_handles[i].kind;
        atomic_store(&nd_handles[i].handle, NULL);
        nd_handles[i].rec = NULL;
        if (kind == MK_NDIS_ADAPTER) {
            nd_adapter *ad = rec;
            for (mk_port_track *t = ad->shared, *n; t; t = n) {
                n = t->next;
                free(t);
            }
            pthread_mutex_destroy(&ad->lock);
            free(ad);
        } else if (kind == MK_NDIS_DRIVER || kind == MK_NDIS_DMA) {
            free(rec);
        } /* generic objects are pool memory: they go with the machine */
    }
    nd_adapter_seq = 0;
    pthread_mutex_unlock(&nd_lock);
    mk_ndis_mdl_shutdown();
    mk_ndis_interrupt_shutdown();
}
