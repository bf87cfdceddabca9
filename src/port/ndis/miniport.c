/*
 * miniport.c -- NDIS miniport hosting: driver registration
 * (NdisMRegisterMiniportDriver, NdisSetOptionalHandlers), the adapter
 * state machine as NDIS runs it (Initialize -> Restart -> Running ->
 * Pause -> Restart / Halt), the harness calls that drive it
 * (mdlkit_ndis_start_adapter[_ex], _pause_, _restart_, _shutdown_,
 * _halt_adapter), NdisMSetMiniportAttributes for every attribute kind,
 * NdisMGetDeviceProperty, NdisMPauseComplete / NdisMRestartComplete /
 * NdisMResetComplete, scatter-gather DMA registration, generic objects and
 * the small system queries (NdisGetVersion, NdisGetSharedDataAlignment,
 * NdisMSleep, NdisGetRssProcessorInformation).
 *
 * Every handle NDIS gives out is registered in one table, so a bad handle
 * is reported instead of dereferenced. Choices where the documentation is
 * silent are in docs/ddi-notes.md ("NDIS").
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_ndis.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ND_MAX_HANDLES 4096

typedef struct nd_dma {
    mk_ndis_adapter *ad;
    NDIS_SG_DMA_DESCRIPTION desc;
} nd_dma;

static struct {
    const void *_Atomic handle;
    int kind;
    void *rec;
} nd_handles[ND_MAX_HANDLES];
static pthread_mutex_t nd_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned nd_adapter_seq;
static mk_ndis_adapter *nd_dead; /* halted adapters (freed at shutdown) */
static _Atomic int nd_handle_top; /* highest slot ever used + 1 */

/* ------------------------------------------------------------------------
 * Handles
 * ---------------------------------------------------------------------- */
int mk_ndis_register_handle(const void *handle, int kind, void *rec)
{
    int ok = 0;
    pthread_mutex_lock(&nd_lock);
    for (int i = 0; i < ND_MAX_HANDLES; i++)
        if (!atomic_load(&nd_handles[i].handle)) {
            nd_handles[i].kind = kind;
            nd_handles[i].rec = rec;
            atomic_store(&nd_handles[i].handle, handle);
            if (i + 1 > atomic_load(&nd_handle_top))
                atomic_store(&nd_handle_top, i + 1);
            ok = 1;
            break;
        }
    pthread_mutex_unlock(&nd_lock);
    return ok;
}

void mk_ndis_unregister_handle(const void *handle)
{
    pthread_mutex_lock(&nd_lock);
    int top = atomic_load(&nd_handle_top);
    for (int i = 0; i < top; i++)
        if (atomic_load(&nd_handles[i].handle) == handle) {
            atomic_store(&nd_handles[i].handle, NULL);
            nd_handles[i].rec = NULL;
            nd_handles[i].kind = 0;
        }
    pthread_mutex_unlock(&nd_lock);
}

static int nd_slot(const void *handle)
{
    if (!handle)
        return -1;
    int top = atomic_load_explicit(&nd_handle_top, memory_order_acquire);
    for (int i = 0; i < top; i++)
        if (atomic_load_explicit(&nd_handles[i].handle, memory_order_acquire) == handle)
            return i;
    return -1;
}

void *mk_ndis_lookup(const void *handle, int kind)
{
    pthread_mutex_lock(&nd_lock);
    int i = nd_slot(handle);
    void *rec = (i >= 0 && (!kind || nd_handles[i].kind == kind)) ? nd_handles[i].rec : NULL;
    pthread_mutex_unlock(&nd_lock);
    return rec;
}

int mk_ndis_handle_kind(const void *handle)
{
    pthread_mutex_lock(&nd_lock);
    int i = nd_slot(handle);
    int kind = i >= 0 ? nd_handles[i].kind : 0;
    pthread_mutex_unlock(&nd_lock);
    return kind;
}

int mk_ndis_is_object_handle(const void *handle)
{
    int kind = mk_ndis_handle_kind(handle);
    return kind == MK_NDIS_DRIVER || kind == MK_NDIS_ADAPTER || kind == MK_NDIS_GENERIC ||
           kind == MK_NDIS_FILTER_DRIVER;
}

void *mk_ndis_lookup_or_report(const void *handle, int kind, const char *why)
{
    void *rec = mk_ndis_lookup(handle, kind);
    if (MK_UNLIKELY(!rec))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, why, (ULONG_PTR)handle, (ULONG_PTR)kind);
    return rec;
}

mk_ndis_adapter *mk_ndis_adapter_from(const void *handle) { return mk_ndis_lookup(handle, MK_NDIS_ADAPTER); }

void *mk_ndis_find_handle(int kind, const void *key)
{
    void *found = NULL;
    pthread_mutex_lock(&nd_lock);
    int top = atomic_load(&nd_handle_top);
    for (int i = 0; i < top && !found; i++)
        if (atomic_load(&nd_handles[i].handle) && nd_handles[i].kind == kind &&
            *(const void *const *)nd_handles[i].rec == key)
            found = nd_handles[i].rec;
    pthread_mutex_unlock(&nd_lock);
    return found;
}

static void nd_require_passive(const char *why, const void *handle)
{
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, why, mk_irql(), (ULONG_PTR)handle);
}

/* ------------------------------------------------------------------------
 * Bounded waits
 * ---------------------------------------------------------------------- */
ULONG64 mk_ndis_deadline(ULONG timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (ULONG64)ts.tv_sec * 1000000000ull + (ULONG64)ts.tv_nsec + (ULONG64)timeout_ms * 1000000ull;
}

int mk_ndis_timed_wait(mk_ndis_adapter *ad, ULONG64 deadline_ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(deadline_ns / 1000000000ull);
    ts.tv_nsec = (long)(deadline_ns % 1000000000ull);
    return pthread_cond_timedwait(&ad->cv, &ad->lock, &ts) != ETIMEDOUT;
}

int mk_ndis_wait(mk_ndis_adapter *ad, const volatile int *flag, ULONG timeout_ms)
{
    ULONG64 deadline = mk_ndis_deadline(timeout_ms);
    while (!*flag)
        if (!mk_ndis_timed_wait(ad, deadline))
            return *flag != 0;
    return 1;
}

/* ------------------------------------------------------------------------
 * Driver registration
 * ---------------------------------------------------------------------- */
/* The DriverUnload NDIS gives a miniport's driver object: it calls the
 * miniport's MiniportDriverUnload (NDIS's own unload work -- halting what is
 * left and dropping the registration -- is done by the port layer around
 * DriverUnload, see mk_ndis_driver_unloading/unloaded). */
static void nd_driver_unload(PDRIVER_OBJECT DriverObject)
{
    mk_driver *d = mk_driver_from_object(DriverObject);
    mk_ndis_driver *nd = d ? mk_ndis_lookup(d->port, MK_NDIS_DRIVER) : NULL;
    MINIPORT_DRIVER_UNLOAD unload = nd ? nd->ch.UnloadHandler : NULL;
    if (!unload)
        return;
    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    unload(DriverObject);
    mk_port_return_from_miniport(&f);
}

NDIS_STATUS NdisMRegisterMiniportDriver(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath,
                                        NDIS_HANDLE MiniportDriverContext,
                                        PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
                                        PNDIS_HANDLE NdisMiniportDriverHandle)
{
    MK_ENTER("NdisMRegisterMiniportDriver");
    MK_OBJ_FAULT(DriverObject);
    (void)RegistryPath;
    nd_require_passive("NdisMRegisterMiniportDriver must be called at PASSIVE_LEVEL", DriverObject);
    mk_driver *d = mk_driver_from_object(DriverObject);
    if (!d || !NdisMiniportDriverHandle || !MiniportDriverCharacteristics)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisMiniportDriverHandle = NULL;
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS ch = MiniportDriverCharacteristics;
    /* The header as NDIS checks it: type, and a size that covers the
     * revision given (revision 1 for NDIS 6.0, 2 for 6.1+, 3 for 6.80+). */
    USHORT need = ch->Header.Revision >= NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3
                      ? NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3
                  : ch->Header.Revision == NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2
                      ? NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2
                      : NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    if (ch->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS ||
        ch->Header.Revision < NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 || ch->Header.Size < need)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->MajorNdisVersion != 6 || ch->MinorNdisVersion > 89)
        return NDIS_STATUS_BAD_VERSION;
    if (!ch->InitializeHandlerEx || !ch->HaltHandlerEx || !ch->ShutdownHandlerEx)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    /* A miniport with a data path must give every handler NDIS requires of
     * one; a miniport with none of them is hosted for its memory paths only
     * (docs/ddi-notes.md, "NDIS: miniports without a data path"). */
    int any = ch->PauseHandler || ch->RestartHandler || ch->OidRequestHandler || ch->SendNetBufferListsHandler ||
              ch->ReturnNetBufferListsHandler || ch->CancelSendHandler || ch->DevicePnPEventNotifyHandler ||
              ch->CancelOidRequestHandler;
    int all = ch->PauseHandler && ch->RestartHandler && ch->OidRequestHandler && ch->SendNetBufferListsHandler &&
              ch->ReturnNetBufferListsHandler && ch->CancelSendHandler && ch->DevicePnPEventNotifyHandler &&
              ch->CancelOidRequestHandler;
    if (any && !all)
        return NDIS_STATUS_BAD_CHARACTERISTICS;
    if (ch->Header.Revision >= NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 &&
        (!ch->DirectOidRequestHandler != !ch->CancelDirectOidRequestHandler))
        return NDIS_STATUS_BAD_CHARACTERISTICS; /* direct OIDs come in pairs */
    if (d->port || (d->model != MK_MODEL_WDM && d->model != MK_MODEL_NDIS))
        return NDIS_STATUS_FAILURE; /* already registered (or a StorPort miniport) */
    mk_ndis_driver *nd = calloc(1, sizeof *nd);
    if (!nd)
        return NDIS_STATUS_RESOURCES;
    nd->drv = d;
    nd->ctx = MiniportDriverContext;
    nd->data_path = all;
    memcpy(&nd->ch, ch, ch->Header.Size < sizeof nd->ch ? ch->Header.Size : sizeof nd->ch);
    if (!mk_ndis_register_handle(nd, MK_NDIS_DRIVER, nd)) {
        free(nd);
        return NDIS_STATUS_RESOURCES;
    }
    d->port = nd;
    d->model = MK_MODEL_NDIS;
    if (ch->UnloadHandler)
        DriverObject->DriverUnload = nd_driver_unload;
    if (ch->SetOptionsHandler) {
        mk_port_frame f;
        mk_port_call_miniport(&f, d);
        NDIS_STATUS st = ch->SetOptionsHandler(nd, MiniportDriverContext);
        mk_port_return_from_miniport(&f);
        if (st != NDIS_STATUS_SUCCESS) {
            mk_ndis_unregister_handle(nd);
            d->port = NULL;
            free(nd);
            return st;
        }
    }
    *NdisMiniportDriverHandle = nd;
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS NdisSetOptionalHandlers(NDIS_HANDLE NdisHandle, PNDIS_DRIVER_OPTIONAL_HANDLERS OptionalHandlers)
{
    MK_ENTER("NdisSetOptionalHandlers");
    nd_require_passive("NdisSetOptionalHandlers must be called at PASSIVE_LEVEL", NdisHandle);
    mk_ndis_lookup_or_report(NdisHandle, MK_NDIS_DRIVER,
                             "NdisSetOptionalHandlers: NdisHandle is not the handle MiniportSetOptions was given");
    if (!OptionalHandlers)
        return NDIS_STATUS_INVALID_PARAMETER;
    /* The miniport PnP characteristics are the optional handlers a
     * miniport may register (AddDevice, RemoveDevice, StartDevice and
     * FilterResourceRequirements IRPs): mdlkit's bus raises no PnP IRPs, so
     * they are checked and kept, never called. Other kinds (provider
     * characteristics of offload and NDK) name facilities the simulated
     * machine has not: NDIS_STATUS_NOT_SUPPORTED. */
    PNDIS_MINIPORT_PNP_CHARACTERISTICS pnp = (PNDIS_MINIPORT_PNP_CHARACTERISTICS)OptionalHandlers;
    switch (OptionalHandlers->Header.Type) {
    case NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS:
        if (pnp->Header.Revision < NDIS_MINIPORT_PNP_CHARACTERISTICS_REVISION_1 ||
            pnp->Header.Size < NDIS_SIZEOF_MINIPORT_PNP_CHARACTERISTICS_REVISION_1 || !pnp->MiniportAddDeviceHandler ||
            !pnp->MiniportRemoveDeviceHandler)
            return NDIS_STATUS_INVALID_PARAMETER;
        return NDIS_STATUS_SUCCESS;
    case NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS:
    case NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS:
    case NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS:
    case NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS:
    case NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS:
        return NDIS_STATUS_NOT_SUPPORTED;
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }
}

static void nd_driver_free(mk_ndis_driver *nd)
{
    mk_ndis_unregister_handle(nd);
    if (nd->drv && nd->drv->port == nd)
        nd->drv->port = NULL;
    free(nd);
}

/* Halts every adapter of the driver that is still up (leak checks included). */
static void nd_halt_all(mk_ndis_driver *nd)
{
    for (;;) {
        mk_ndis_adapter *victim = NULL;
        pthread_mutex_lock(&nd_lock);
        int top = atomic_load(&nd_handle_top);
        for (int i = 0; i < top && !victim; i++)
            if (atomic_load(&nd_handles[i].handle) && nd_handles[i].kind == MK_NDIS_ADAPTER) {
                mk_ndis_adapter *ad = nd_handles[i].rec;
                if (ad->nd == nd && (ad->state == MK_NDIS_RUNNING || ad->state == MK_NDIS_PAUSED))
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
    mk_ndis_driver *nd = mk_ndis_lookup_or_report(NdisMiniportDriverHandle, MK_NDIS_DRIVER,
                                                  "NdisMDeregisterMiniportDriver: not a handle from "
                                                  "NdisMRegisterMiniportDriver (or deregistered twice)");
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
    mk_ndis_filter_driver_unloaded(d);
}

/* ------------------------------------------------------------------------
 * Adapters
 * ---------------------------------------------------------------------- */
int mk_ndis_adapter_view_get(const void *adapter, mk_ndis_adapter_view *out)
{
    mk_ndis_adapter *ad = mk_ndis_adapter_from(adapter);
    if (!ad)
        return 0;
    out->drv = ad->nd->drv;
    out->initializing = ad->state == MK_NDIS_INITIALIZING;
    out->registered = ad->registered;
    return 1;
}

/* What NDIS objects `owner` still has (pools, timers, work items, shared
 * memory): each is reported, then reclaimed. Raises the violation for the
 * first kind found after every record was listed. */
static void nd_object_leaks(const void *owner, const char *when)
{
    size_t counts[MK_PT_KIND_COUNT];
    unsigned kinds = MK_PT_BIT(MK_PT_NDIS_SHARED) | MK_PT_BIT(MK_PT_NDIS_NBL_POOL) | MK_PT_BIT(MK_PT_NDIS_NB_POOL) |
                     MK_PT_BIT(MK_PT_NDIS_TIMER) | MK_PT_BIT(MK_PT_NDIS_WORKITEM) | MK_PT_BIT(MK_PT_NDIS_SGL);
    size_t n = mk_port_track_leaks(owner, kinds, mk_ndis_reclaim, NULL, counts);
    if (!n)
        return;
    (void)when;
    if (counts[MK_PT_NDIS_SHARED])
        mk_violation(MDLKIT_RULE_NDIS_SHARED_MEMORY_LEAK,
                     "NDIS shared memory was not freed by the time MiniportHaltEx returned (each block is listed "
                     "below)",
                     (ULONG_PTR)counts[MK_PT_NDIS_SHARED], (ULONG_PTR)owner);
    mk_violation(MDLKIT_RULE_NDIS_OBJECT_LEAK,
                 "NDIS objects (NET_BUFFER_LIST or NET_BUFFER pools, timer objects, I/O work items) were still "
                 "allocated when their owner went away (MiniportHaltEx returned, or the driver unloaded); each is "
                 "listed below",
                 (ULONG_PTR)n, (ULONG_PTR)owner);
}

/* Frees the adapter and reports what the miniport left behind. */
static void nd_adapter_destroy(mk_ndis_adapter *ad)
{
    /* The record itself is kept (freed at shutdown): a miniport's late
     * callback with this handle is then reported as an unknown handle, not
     * a use after free. Listed first: the leak checks below may raise. */
    pthread_mutex_lock(&nd_lock);
    ad->dead_next = nd_dead;
    nd_dead = ad;
    pthread_mutex_unlock(&nd_lock);
    ULONG_PTR interrupt = mk_ndis_interrupt_leak(ad);
    size_t mdls = mk_ndis_mdl_leaks(ad);
    ULONG_PTR handle = (ULONG_PTR)ad;
    ULONG_PTR sg_dma = (ULONG_PTR)ad->dma;
    if (ad->dma) {
        mk_ndis_unregister_handle(ad->dma);
        free(ad->dma);
        ad->dma = NULL;
    }
    mk_ndis_datapath_drop(ad);
    mk_ndis_unregister_handle(ad);
    if (interrupt)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_LEAK,
                     "The interrupt registered with NdisMRegisterInterruptEx was still registered when MiniportHaltEx "
                     "returned (or MiniportInitializeEx failed): call NdisMDeregisterInterruptEx first",
                     interrupt, handle);
    if (sg_dma)
        mk_violation(MDLKIT_RULE_NDIS_SG_DMA_LEAK,
                     "Init_RegisterSG: the scatter/gather DMA registered with NdisMRegisterScatterGatherDma was still "
                     "registered when MiniportHaltEx returned (or MiniportInitializeEx failed): call "
                     "NdisMDeregisterScatterGatherDma first",
                     sg_dma, handle);
    if (mdls)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     "MDLs from NdisAllocateMdl were still allocated when MiniportHaltEx returned (NdisAllocateMdl "
                     "rule; each is listed below)",
                     (ULONG_PTR)mdls, handle);
    nd_object_leaks(ad, "halt");
}

static mk_ndis_adapter *nd_adapter_new(mk_ndis_driver *nd)
{
    mk_ndis_adapter *ad = calloc(1, sizeof *ad);
    if (!ad)
        return NULL;
    ad->nd = nd;
    ad->state = MK_NDIS_INITIALIZING;
    pthread_mutex_init(&ad->lock, NULL);
    pthread_cond_init(&ad->cv, NULL);
    pthread_mutex_init(&ad->oid_serial, NULL);
    pthread_mutex_lock(&nd_lock);
    ad->index = ++nd_adapter_seq;
    pthread_mutex_unlock(&nd_lock);
    ad->fdo.Type = 3; /* IO_TYPE_DEVICE */
    ad->fdo.Size = (USHORT)sizeof(DEVICE_OBJECT);
    ad->fdo.DriverObject = &nd->drv->obj;
    return ad;
}

/* MiniportRestart, waiting for NdisMRestartComplete if it pends. */
static NTSTATUS nd_restart(mk_ndis_adapter *ad, ULONG timeout_ms)
{
    NDIS_MINIPORT_RESTART_PARAMETERS rp;
    memset(&rp, 0, sizeof rp);
    rp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    rp.Header.Revision = NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    rp.Header.Size = NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1;
    pthread_mutex_lock(&ad->lock);
    ad->restart_done = 0;
    ad->state = MK_NDIS_RESTARTING;
    pthread_mutex_unlock(&ad->lock);
    NDIS_STATUS st;
    MK_NDIS_CALL(ad, st = ad->nd->ch.RestartHandler(ad->ctx, &rp));
    pthread_mutex_lock(&ad->lock);
    if (st == NDIS_STATUS_PENDING) {
        if (!mk_ndis_wait(ad, &ad->restart_done, timeout_ms)) {
            pthread_mutex_unlock(&ad->lock);
            return STATUS_TIMEOUT;
        }
        st = ad->restart_status;
    }
    ad->state = st == NDIS_STATUS_SUCCESS ? MK_NDIS_RUNNING : MK_NDIS_PAUSED;
    pthread_mutex_unlock(&ad->lock);
    return (NTSTATUS)st;
}

/* MiniportPause, waiting for NdisMPauseComplete if it pends. When the
 * pause completes the miniport must have completed every send and got back
 * every NBL it indicated (NDIS waits for that before it completes). */
static NTSTATUS nd_pause(mk_ndis_adapter *ad, ULONG timeout_ms)
{
    NDIS_MINIPORT_PAUSE_PARAMETERS pp;
    memset(&pp, 0, sizeof pp);
    pp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    pp.Header.Revision = NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    pp.Header.Size = NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1;
    pp.PauseReason = NDIS_PAUSE_NDIS_INTERNAL;
    pthread_mutex_lock(&ad->lock);
    ad->pause_done = 0;
    ad->state = MK_NDIS_PAUSING;
    pthread_mutex_unlock(&ad->lock);
    NDIS_STATUS st;
    MK_NDIS_CALL(ad, st = ad->nd->ch.PauseHandler(ad->ctx, &pp));
    pthread_mutex_lock(&ad->lock);
    if (st == NDIS_STATUS_PENDING) {
        if (!mk_ndis_wait(ad, &ad->pause_done, timeout_ms)) {
            pthread_mutex_unlock(&ad->lock);
            return STATUS_TIMEOUT;
        }
        st = NDIS_STATUS_SUCCESS;
    }
    LONG sends = ad->sends_pending;
    ad->state = MK_NDIS_PAUSED;
    pthread_mutex_unlock(&ad->lock);
    if (st != NDIS_STATUS_SUCCESS)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "MiniportPause must return NDIS_STATUS_SUCCESS or NDIS_STATUS_PENDING (pausing cannot fail)",
                     (ULONG_PTR)ad, (ULONG_PTR)(ULONG)st);
    if (sends)
        mk_violation(MDLKIT_RULE_NDIS_PAUSE_PENDING_IO,
                     "The miniport completed its pause with sends still pending: it must complete every NBL it "
                     "was sent (NdisMSendNetBufferListsComplete) before the pause completes",
                     (ULONG_PTR)sends, 0);
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_ndis_start_adapter_ex(PDRIVER_OBJECT driver, const mdlkit_ndis_adapter_params *params,
                                      PVOID *miniport_adapter_handle)
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
    mk_ndis_driver *nd = d->port;
    mk_ndis_adapter *ad = nd_adapter_new(nd);
    if (!ad)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!mk_ndis_config_copy(ad, params) || !mk_ndis_register_handle(ad, MK_NDIS_ADAPTER, ad)) {
        mk_ndis_config_free(ad);
        free(ad);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    NDIS_MINIPORT_INIT_PARAMETERS ip;
    memset(&ip, 0, sizeof ip);
    ip.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS;
    ip.Header.Revision = NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1;
    ip.Header.Size = NDIS_SIZEOF_MINIPORT_INIT_PARAMETERS_REVISION_1;
    ip.IfIndex = ad->index;
    ip.NetLuid.Info.NetLuidIndex = ad->index;
    ip.NetLuid.Info.IfType = IF_TYPE_ETHERNET_CSMACD;

    NDIS_STATUS st;
    MK_NDIS_CALL(ad, st = nd->ch.InitializeHandlerEx(ad, nd->ctx, &ip));
    if (st == NDIS_STATUS_SUCCESS && !ad->registered) {
        fprintf(stderr, "mdlkit: %s: MiniportInitializeEx succeeded without setting registration attributes "
                        "(NdisMSetMiniportAttributes); NDIS fails the initialisation\n",
                d->name);
        st = NDIS_STATUS_FAILURE;
    }
    if (st == NDIS_STATUS_SUCCESS && nd->data_path && !ad->general) {
        fprintf(stderr, "mdlkit: %s: MiniportInitializeEx succeeded without setting general attributes; NDIS "
                        "fails the initialisation\n",
                d->name);
        MK_NDIS_CALL(ad, nd->ch.HaltHandlerEx(ad->ctx, NdisHaltDeviceInitializationFailed));
        st = NDIS_STATUS_FAILURE;
    }
    if (st != NDIS_STATUS_SUCCESS) {
        ad->state = MK_NDIS_HALTING;
        nd_adapter_destroy(ad); /* the miniport must have freed everything */
        return (NTSTATUS)st;
    }
    ad->state = MK_NDIS_PAUSED;
    nd->adapters_started++;
    if (nd->data_path) {
        NTSTATUS rs = nd_restart(ad, 30000);
        if (rs != STATUS_SUCCESS) {
            /* NDIS halts an adapter whose first restart failed. */
            ad->state = MK_NDIS_HALTING;
            MK_NDIS_CALL(ad, nd->ch.HaltHandlerEx(ad->ctx, NdisHaltDeviceFailed));
            nd_adapter_destroy(ad);
            return rs == STATUS_TIMEOUT ? STATUS_TIMEOUT : (NTSTATUS)rs;
        }
    } else {
        ad->state = MK_NDIS_RUNNING;
    }
    *miniport_adapter_handle = ad;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_ndis_start_adapter(PDRIVER_OBJECT driver, PVOID *miniport_adapter_handle)
{
    return mdlkit_ndis_start_adapter_ex(driver, NULL, miniport_adapter_handle);
}

/* The harness's calls that need an adapter at PASSIVE_LEVEL in one of
 * `states` (bit (1 << state)); the adapter, or NULL with *st set. */
static mk_ndis_adapter *nd_harness_adapter(PVOID handle, unsigned states, NTSTATUS *st)
{
    mk_thread_attach();
    mk_ndis_adapter *ad = mk_ndis_adapter_from(handle);
    if (!ad) {
        *st = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if (!(states & (1u << ad->state)) || mk_irql() != PASSIVE_LEVEL) {
        *st = STATUS_INVALID_DEVICE_STATE;
        return NULL;
    }
    return ad;
}

NTSTATUS mdlkit_ndis_pause_adapter(PVOID miniport_adapter_handle, ULONG timeout_ms)
{
    MK_ENTER("mdlkit_ndis_pause_adapter");
    NTSTATUS st;
    mk_ndis_adapter *ad = nd_harness_adapter(miniport_adapter_handle, 1u << MK_NDIS_RUNNING, &st);
    if (!ad)
        return st;
    if (!ad->nd->data_path)
        return STATUS_NOT_SUPPORTED;
    return nd_pause(ad, timeout_ms);
}

NTSTATUS mdlkit_ndis_restart_adapter(PVOID miniport_adapter_handle, ULONG timeout_ms)
{
    MK_ENTER("mdlkit_ndis_restart_adapter");
    NTSTATUS st;
    mk_ndis_adapter *ad = nd_harness_adapter(miniport_adapter_handle, 1u << MK_NDIS_PAUSED, &st);
    if (!ad)
        return st;
    if (!ad->nd->data_path)
        return STATUS_NOT_SUPPORTED;
    return nd_restart(ad, timeout_ms);
}

NTSTATUS mdlkit_ndis_shutdown_adapter(PVOID miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_shutdown_adapter");
    NTSTATUS st;
    mk_ndis_adapter *ad =
        nd_harness_adapter(miniport_adapter_handle, (1u << MK_NDIS_RUNNING) | (1u << MK_NDIS_PAUSED), &st);
    if (!ad)
        return st;
    int old = ad->state;
    ad->state = MK_NDIS_SHUTTING_DOWN;
    MK_NDIS_CALL(ad, ad->nd->ch.ShutdownHandlerEx(ad->ctx, NdisShutdownPowerOff));
    ad->state = old;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_ndis_halt_adapter(PVOID miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_halt_adapter");
    NTSTATUS st;
    mk_ndis_adapter *ad =
        nd_harness_adapter(miniport_adapter_handle, (1u << MK_NDIS_RUNNING) | (1u << MK_NDIS_PAUSED), &st);
    if (!ad)
        return st;
    /* NDIS pauses a running adapter before it halts it; the protocol (the
     * test) must have returned every NBL it kept, or the pause never
     * completes. */
    if (ad->nd->data_path && ad->state == MK_NDIS_RUNNING) {
        LONG kept = ad->rx_pending;
        if (kept)
            mk_violation(MDLKIT_RULE_NDIS_NBL_NOT_RETURNED,
                         "mdlkit_ndis_halt_adapter: the test still keeps NBLs the miniport indicated; NDIS cannot "
                         "pause (and so halt) the adapter until they are returned (mdlkit_ndis_release or "
                         "mdlkit_ndis_return)",
                         (ULONG_PTR)kept, (ULONG_PTR)ad);
        st = nd_pause(ad, 30000);
        if (st != STATUS_SUCCESS)
            return st;
    }
    ad->state = MK_NDIS_HALTING;
    MK_NDIS_CALL(ad, ad->nd->ch.HaltHandlerEx(ad->ctx, NdisHaltDeviceDisabled));
    nd_adapter_destroy(ad);
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_ndis_pnp_event(PVOID miniport_adapter_handle, int event, void *buffer, ULONG length)
{
    MK_ENTER("mdlkit_ndis_pnp_event");
    NTSTATUS st;
    mk_ndis_adapter *ad =
        nd_harness_adapter(miniport_adapter_handle, (1u << MK_NDIS_RUNNING) | (1u << MK_NDIS_PAUSED), &st);
    if (!ad)
        return st;
    if (!ad->nd->data_path)
        return STATUS_NOT_SUPPORTED;
    if (event < NdisDevicePnPEventQueryRemoved || event >= NdisDevicePnPEventMaximum || (length && !buffer))
        return STATUS_INVALID_PARAMETER;
    NET_DEVICE_PNP_EVENT e;
    memset(&e, 0, sizeof e);
    e.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    e.Header.Revision = NET_DEVICE_PNP_EVENT_REVISION_1;
    e.Header.Size = NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1;
    e.PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    e.DevicePnPEvent = (NDIS_DEVICE_PNP_EVENT)event;
    e.InformationBuffer = buffer;
    e.InformationBufferLength = length;
    MK_NDIS_CALL(ad, ad->nd->ch.DevicePnPEventNotifyHandler(ad->ctx, &e));
    return STATUS_SUCCESS;
}

PVOID mdlkit_ndis_adapter_context(PVOID miniport_adapter_handle)
{
    mk_ndis_adapter *ad = mk_ndis_adapter_from(miniport_adapter_handle);
    return ad ? ad->ctx : NULL;
}

int mdlkit_ndis_general_attributes(PVOID miniport_adapter_handle, NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *out)
{
    mk_ndis_adapter *ad = mk_ndis_adapter_from(miniport_adapter_handle);
    if (!ad || !ad->general || !out)
        return 0;
    *out = ad->gen;
    return 1;
}

/* ------------------------------------------------------------------------
 * Completions of pause, restart, reset
 * ---------------------------------------------------------------------- */
void NdisMPauseComplete(NDIS_HANDLE MiniportAdapterHandle)
{
    MK_ENTER("NdisMPauseComplete");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMPauseComplete must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMPauseComplete: not a miniport adapter handle");
    pthread_mutex_lock(&ad->lock);
    int ok = ad->state == MK_NDIS_PAUSING && !ad->pause_done;
    if (ok) {
        ad->pause_done = 1;
        pthread_cond_broadcast(&ad->cv);
    }
    int state = ad->state;
    pthread_mutex_unlock(&ad->lock);
    if (!ok)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisMPauseComplete called when no pause was pending (MiniportPause did not return "
                     "NDIS_STATUS_PENDING, or the pause was completed already)",
                     (ULONG_PTR)ad, (ULONG_PTR)state);
}

void NdisMRestartComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status)
{
    MK_ENTER("NdisMRestartComplete");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMRestartComplete must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMRestartComplete: not a miniport adapter handle");
    pthread_mutex_lock(&ad->lock);
    int ok = ad->state == MK_NDIS_RESTARTING && !ad->restart_done;
    if (ok) {
        ad->restart_status = Status;
        ad->restart_done = 1;
        pthread_cond_broadcast(&ad->cv);
    }
    int state = ad->state;
    pthread_mutex_unlock(&ad->lock);
    if (!ok)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisMRestartComplete called when no restart was pending (MiniportRestart did not return "
                     "NDIS_STATUS_PENDING, or the restart was completed already)",
                     (ULONG_PTR)ad, (ULONG_PTR)state);
}

void NdisMResetComplete(NDIS_HANDLE MiniportAdapterHandle, NDIS_STATUS Status, BOOLEAN AddressingReset)
{
    MK_ENTER("NdisMResetComplete");
    (void)Status;
    (void)AddressingReset;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMResetComplete must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMResetComplete: not a miniport adapter handle");
    /* mdlkit never calls MiniportResetEx (it runs no check-for-hang), so no
     * reset can be pending. */
    mk_violation(MDLKIT_RULE_NDIS_STATE,
                 "NdisMResetComplete called when no reset was pending (MiniportResetEx did not return "
                 "NDIS_STATUS_PENDING)",
                 (ULONG_PTR)ad, (ULONG_PTR)ad->state);
}

/* ------------------------------------------------------------------------
 * Attributes
 * ---------------------------------------------------------------------- */
static int nd_header_ok(const NDIS_OBJECT_HEADER *h, UCHAR rev1, USHORT size1, UCHAR rev2, USHORT size2, UCHAR rev3,
                        USHORT size3)
{
    if (h->Revision < rev1)
        return 0;
    USHORT need = size1;
    if (rev3 && h->Revision >= rev3)
        need = size3;
    else if (rev2 && h->Revision >= rev2)
        need = size2;
    return h->Size >= need;
}

NDIS_STATUS NdisMSetMiniportAttributes(NDIS_HANDLE NdisMiniportAdapterHandle,
                                       PNDIS_MINIPORT_ADAPTER_ATTRIBUTES MiniportAttributes)
{
    MK_ENTER("NdisMSetMiniportAttributes");
    nd_require_passive("NdisMSetMiniportAttributes must be called at PASSIVE_LEVEL", NdisMiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(NdisMiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMSetMiniportAttributes: not a miniport adapter handle");
    if (!MiniportAttributes)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (ad->state != MK_NDIS_INITIALIZING)
        return NDIS_STATUS_FAILURE; /* only from MiniportInitializeEx */
    NDIS_OBJECT_HEADER *h = &MiniportAttributes->RegistrationAttributes.Header;
    if (h->Type != NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES && !ad->registered)
        return NDIS_STATUS_FAILURE; /* registration attributes come first */
    switch (h->Type) {
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES: {
        PNDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES r = &MiniportAttributes->RegistrationAttributes;
        if (!nd_header_ok(h, NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1, 0, 0, 0, 0))
            return NDIS_STATUS_INVALID_PARAMETER;
        ad->ctx = r->MiniportAdapterContext;
        ad->attr_flags = r->AttributeFlags;
        ad->registered = 1;
        return NDIS_STATUS_SUCCESS;
    }
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES: {
        PNDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES g = &MiniportAttributes->GeneralAttributes;
        if (!nd_header_ok(h, NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_2, 0, 0))
            return NDIS_STATUS_INVALID_PARAMETER;
        if (g->MacAddressLength > NDIS_MAX_PHYS_ADDRESS_LENGTH || g->MediaType >= NdisMediumMax)
            return NDIS_STATUS_INVALID_PARAMETER;
        memset(&ad->gen, 0, sizeof ad->gen);
        memcpy(&ad->gen, g, h->Size < sizeof ad->gen ? h->Size : sizeof ad->gen);
        ad->gen.SupportedOidList = NULL; /* the miniport's memory */
        ad->gen.PowerManagementCapabilities = NULL;
        ad->gen.PowerManagementCapabilitiesEx = NULL;
        ad->gen.RecvScaleCapabilities = NULL;
        ad->general = 1;
        return NDIS_STATUS_SUCCESS;
    }
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES:
        if (!nd_header_ok(h, NDIS_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES_REVISION_1, 0, 0, 0, 0))
            return NDIS_STATUS_INVALID_PARAMETER;
        return NDIS_STATUS_SUCCESS; /* informational: nothing is offloaded to a simulated NIC */
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES:
        if (!nd_header_ok(h, NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_1,
                          NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_2,
                          NDIS_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3,
                          NDIS_SIZEOF_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES_REVISION_3))
            return NDIS_STATUS_INVALID_PARAMETER;
        return NDIS_STATUS_SUCCESS; /* capabilities the miniport reports; NDIS enables none of them here */
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES:
        return NDIS_STATUS_NOT_SUPPORTED; /* a wireless medium the simulated bus has not */
    case NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES:
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NDK_ATTRIBUTES:
    case NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES:
        return NDIS_STATUS_NOT_SUPPORTED;
    default:
        return NDIS_STATUS_INVALID_PARAMETER;
    }
}

void NdisMGetDeviceProperty(NDIS_HANDLE MiniportAdapterHandle, PDEVICE_OBJECT *PhysicalDeviceObject,
                            PDEVICE_OBJECT *FunctionalDeviceObject, PDEVICE_OBJECT *NextDeviceObject,
                            PCM_RESOURCE_LIST *AllocatedResources, PCM_RESOURCE_LIST *AllocatedResourcesTranslated)
{
    MK_ENTER("NdisMGetDeviceProperty");
    nd_require_passive("NdisMGetDeviceProperty must be called at PASSIVE_LEVEL", MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMGetDeviceProperty: not a miniport adapter handle");
    /* The adapter sits on mdlkit's simulated bus: one device object stands
     * for the PDO, the FDO and the next-lower device; it has no hardware
     * resources. */
    if (PhysicalDeviceObject)
        *PhysicalDeviceObject = &ad->fdo;
    if (FunctionalDeviceObject)
        *FunctionalDeviceObject = &ad->fdo;
    if (NextDeviceObject)
        *NextDeviceObject = &ad->fdo;
    if (AllocatedResources)
        *AllocatedResources = NULL;
    if (AllocatedResourcesTranslated)
        *AllocatedResourcesTranslated = NULL;
}

/* ------------------------------------------------------------------------
 * Scatter-gather DMA
 * ---------------------------------------------------------------------- */
NDIS_STATUS NdisMRegisterScatterGatherDma(NDIS_HANDLE MiniportAdapterHandle, PNDIS_SG_DMA_DESCRIPTION DmaDescription,
                                          PNDIS_HANDLE NdisMiniportDmaHandle)
{
    MK_ENTER("NdisMRegisterScatterGatherDma");
    nd_require_passive("NdisMRegisterScatterGatherDma must be called at PASSIVE_LEVEL", MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                         "NdisMRegisterScatterGatherDma: not a miniport adapter handle");
    if (!DmaDescription || !NdisMiniportDmaHandle)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisMiniportDmaHandle = NULL;
    if (DmaDescription->Header.Type != NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION ||
        DmaDescription->Header.Size < NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1 ||
        !DmaDescription->ProcessSGListHandler)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (ad->state != MK_NDIS_INITIALIZING || ad->dma)
        return NDIS_STATUS_FAILURE;
    if (!(ad->attr_flags & NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER))
        return NDIS_STATUS_NOT_SUPPORTED; /* only bus-master miniports do DMA */
    nd_dma *dma = calloc(1, sizeof *dma);
    if (!dma)
        return NDIS_STATUS_RESOURCES;
    dma->ad = ad;
    dma->desc = *DmaDescription;
    if (!mk_ndis_register_handle(dma, MK_NDIS_DMA, dma)) {
        free(dma);
        return NDIS_STATUS_RESOURCES;
    }
    ad->dma = dma;
    ad->dma_flags = DmaDescription->Flags;
    /* NDIS returns the room a scatter/gather list of the largest mapping
     * needs (MaximumPhysicalMapping bytes over any page alignment). */
    ULONG maxmap = DmaDescription->MaximumPhysicalMapping ? DmaDescription->MaximumPhysicalMapping : 65536;
    DmaDescription->ScatterGatherListSize =
        (ULONG)(sizeof(SCATTER_GATHER_LIST) + (maxmap / PAGE_SIZE + 2) * sizeof(SCATTER_GATHER_ELEMENT));
    dma->desc.ScatterGatherListSize = DmaDescription->ScatterGatherListSize;
    *NdisMiniportDmaHandle = dma;
    return NDIS_STATUS_SUCCESS;
}

void NdisMDeregisterScatterGatherDma(NDIS_HANDLE NdisMiniportDmaHandle)
{
    MK_ENTER("NdisMDeregisterScatterGatherDma");
    nd_require_passive("NdisMDeregisterScatterGatherDma must be called at PASSIVE_LEVEL", NdisMiniportDmaHandle);
    nd_dma *dma = mk_ndis_lookup_or_report(NdisMiniportDmaHandle, MK_NDIS_DMA,
                                      "NdisMDeregisterScatterGatherDma: not a handle from "
                                      "NdisMRegisterScatterGatherDma (or deregistered twice)");
    dma->ad->dma = NULL;
    dma->ad->dma_flags = 0;
    mk_ndis_unregister_handle(dma);
    free(dma);
}

/* The scatter/gather list of a NET_BUFFER's data: its MDLs' frames from
 * the current MDL and offset through DataLength, physically contiguous runs
 * merged. Returns the element count (elements written only if `sgl`). */
static ULONG nd_sg_build(PNET_BUFFER nb, PSCATTER_GATHER_LIST sgl)
{
    ULONG n = 0, left = nb->DataLength, off = nb->CurrentMdlOffset;
    for (PMDL m = nb->CurrentMdl; m && left; m = m->Next, off = 0) {
        ULONG count = MmGetMdlByteCount(m);
        if (off >= count)
            continue;
        ULONG take = count - off < left ? count - off : left;
        PPFN_NUMBER pfn = MmGetMdlPfnArray(m);
        ULONG at = MmGetMdlByteOffset(m) + off; /* from the MDL's first page */
        while (take) {
            ULONG page = at >> PAGE_SHIFT, in = at & (PAGE_SIZE - 1);
            ULONG chunk = PAGE_SIZE - in < take ? PAGE_SIZE - in : take;
            ULONG64 pa = ((ULONG64)pfn[page] << PAGE_SHIFT) + in;
            if (sgl && n && (ULONG64)sgl->Elements[n - 1].Address.QuadPart + sgl->Elements[n - 1].Length == pa) {
                sgl->Elements[n - 1].Length += chunk;
            } else {
                if (sgl) {
                    sgl->Elements[n].Address.QuadPart = (LONGLONG)pa;
                    sgl->Elements[n].Length = chunk;
                    sgl->Elements[n].Reserved = 0;
                }
                n++;
            }
            at += chunk;
            take -= chunk;
            left -= chunk;
        }
    }
    return n;
}

NDIS_STATUS NdisMAllocateNetBufferSGList(NDIS_HANDLE NdisMiniportDmaHandle, PNET_BUFFER NetBuffer, PVOID Context,
                                         ULONG Flags, PVOID ScatterGatherListBuffer, ULONG ScatterGatherListBufferSize)
{
    MK_ENTER("NdisMAllocateNetBufferSGList");
    void *caller = __builtin_return_address(0);
    (void)Flags;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisMAllocateNetBufferSGList must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisMiniportDmaHandle);
    nd_dma *dma = mk_ndis_lookup_or_report(NdisMiniportDmaHandle, MK_NDIS_DMA,
                                           "NdisMAllocateNetBufferSGList: not a handle from NdisMRegisterScatterGatherDma");
    if (!NetBuffer || !NetBuffer->DataLength)
        return NDIS_STATUS_INVALID_PARAMETER;
    ULONG n = nd_sg_build(NetBuffer, NULL); /* an upper bound (runs not merged) */
    SIZE_T need = sizeof(SCATTER_GATHER_LIST) + (SIZE_T)n * sizeof(SCATTER_GATHER_ELEMENT);
    PSCATTER_GATHER_LIST sgl;
    int ours = 0;
    if (ScatterGatherListBuffer && ScatterGatherListBufferSize >= need) {
        sgl = ScatterGatherListBuffer;
    } else {
        sgl = calloc(1, need);
        if (!sgl)
            return NDIS_STATUS_RESOURCES;
        PHYSICAL_ADDRESS none;
        none.QuadPart = 0;
        if (!mk_port_track_add(MK_PT_NDIS_SGL, sgl, need, 0, dma->ad, caller, none, FALSE)) {
            free(sgl);
            return NDIS_STATUS_RESOURCES;
        }
        ours = 1;
    }
    sgl->NumberOfElements = nd_sg_build(NetBuffer, sgl);
    sgl->Reserved = ours;
    /* NDIS calls MiniportProcessSGList at DISPATCH_LEVEL (here before
     * returning, as it may). */
    KIRQL old = KeGetCurrentIrql();
    if (old < DISPATCH_LEVEL)
        KfRaiseIrql(DISPATCH_LEVEL);
    mk_ndis_adapter *ad = dma->ad;
    MK_NDIS_CALL(ad, dma->desc.ProcessSGListHandler(&ad->fdo, NULL, sgl, Context));
    if (old < DISPATCH_LEVEL)
        KeLowerIrql(old);
    return NDIS_STATUS_SUCCESS;
}

void NdisMFreeNetBufferSGList(NDIS_HANDLE NdisMiniportDmaHandle, PSCATTER_GATHER_LIST pSGL, PNET_BUFFER NetBuffer)
{
    MK_ENTER("NdisMFreeNetBufferSGList");
    (void)NetBuffer;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisMFreeNetBufferSGList must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisMiniportDmaHandle);
    mk_ndis_lookup_or_report(NdisMiniportDmaHandle, MK_NDIS_DMA,
                             "NdisMFreeNetBufferSGList: not a handle from NdisMRegisterScatterGatherDma");
    if (!pSGL)
        mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisMFreeNetBufferSGList was given no list", 0,
                     (ULONG_PTR)NdisMiniportDmaHandle);
    if (pSGL->Reserved) { /* NDIS allocated it */
        if (!mk_port_track_remove(MK_PT_NDIS_SGL, pSGL))
            mk_violation(MDLKIT_RULE_NDIS_STATE,
                         "NdisMFreeNetBufferSGList: the list is not one NdisMAllocateNetBufferSGList gave (or was "
                         "freed already)",
                         (ULONG_PTR)pSGL, (ULONG_PTR)NdisMiniportDmaHandle);
        free(pSGL);
    }
}

/* NdisMAllocateSharedMemoryAsyncEx: the block is allocated now and given
 * to MiniportSharedMemoryAllocateComplete from a DPC (DISPATCH_LEVEL), as
 * NDIS completes it later; NULL there if the allocation failed. */
typedef struct nd_async_shm {
    KDPC dpc;
    mk_ndis_adapter *ad;
    MINIPORT_ALLOCATE_SHARED_MEM_COMPLETE_HANDLER done;
    PVOID va;
    NDIS_PHYSICAL_ADDRESS pa;
    ULONG length;
    PVOID context;
} nd_async_shm;

static void nd_async_shm_dpc(PKDPC Dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)Dpc, (void)a1, (void)a2;
    nd_async_shm *r = ctx;
    mk_ndis_adapter *ad = r->ad;
    MK_NDIS_CALL(ad, r->done(ad->ctx, r->va, &r->pa, r->length, r->context));
    free(r);
}

NDIS_STATUS NdisMAllocateSharedMemoryAsyncEx(NDIS_HANDLE MiniportDmaHandle, ULONG Length, BOOLEAN Cached,
                                             PVOID Context)
{
    MK_ENTER("NdisMAllocateSharedMemoryAsyncEx");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMAllocateSharedMemoryAsyncEx must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportDmaHandle);
    nd_dma *dma = mk_ndis_lookup_or_report(MiniportDmaHandle, MK_NDIS_DMA,
                                           "NdisMAllocateSharedMemoryAsyncEx: not a handle from "
                                           "NdisMRegisterScatterGatherDma");
    if (!dma->desc.SharedMemAllocateCompleteHandler)
        return NDIS_STATUS_NOT_SUPPORTED; /* the DMA description gave no completion handler */
    if (!Length)
        return NDIS_STATUS_INVALID_PARAMETER;
    nd_async_shm *r = calloc(1, sizeof *r);
    if (!r)
        return NDIS_STATUS_RESOURCES;
    r->ad = dma->ad;
    r->done = dma->desc.SharedMemAllocateCompleteHandler;
    r->length = Length;
    r->context = Context;
    r->va = mk_ndis_shared_alloc(dma->ad, Length, Cached, &r->pa, __builtin_return_address(0));
    KeInitializeDpc(&r->dpc, nd_async_shm_dpc, r);
    mk_port_begin();
    KeInsertQueueDpc(&r->dpc, NULL, NULL);
    mk_port_end();
    return NDIS_STATUS_PENDING;
}

/* ------------------------------------------------------------------------
 * Generic objects
 * ---------------------------------------------------------------------- */
PNDIS_GENERIC_OBJECT NdisAllocateGenericObject(PDRIVER_OBJECT DriverObject, ULONG Tag, USHORT Size)
{
    MK_ENTER("NdisAllocateGenericObject");
    MK_OBJ_FAULT(DriverObject);
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
    if (!mk_ndis_register_handle(o, MK_NDIS_GENERIC, o)) {
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
    MK_OBJ_FAULT(NdisObject);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisFreeGenericObject must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisObject);
    mk_ndis_lookup_or_report(NdisObject, MK_NDIS_GENERIC,
                        "NdisFreeGenericObject: not an object from NdisAllocateGenericObject (or freed twice)");
    mk_ndis_unregister_handle(NdisObject);
    size_t mdls = mk_ndis_mdl_leaks(NdisObject);
    size_t objs = mk_port_track_count(NdisObject, MK_PT_BIT(MK_PT_NDIS_NBL_POOL) | MK_PT_BIT(MK_PT_NDIS_NB_POOL) |
                                                      MK_PT_BIT(MK_PT_NDIS_TIMER) | MK_PT_BIT(MK_PT_NDIS_WORKITEM) |
                                                      MK_PT_BIT(MK_PT_NDIS_SHARED));
    mk_port_begin();
    mk_ex_free(NdisObject, 0, __builtin_return_address(0));
    mk_port_end();
    if (mdls)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     "The generic object was freed while MDLs allocated with it by NdisAllocateMdl were still "
                     "allocated (each is listed below)",
                     (ULONG_PTR)mdls, (ULONG_PTR)NdisObject);
    if (objs)
        nd_object_leaks(NdisObject, "free");
}

/* ------------------------------------------------------------------------
 * System queries
 * ---------------------------------------------------------------------- */
UINT NdisGetVersion(void)
{
    /* The NDIS of the emulated Windows version. */
    if (mk_os_at_least(0x0A00000C)) /* Windows 10 1903 and later: 6.82+ */
        return NDIS_RUNTIME_VERSION_689;
    if (mk_os_at_least(NTDDI_WIN10))
        return NDIS_RUNTIME_VERSION_650;
    if (mk_os_at_least(NTDDI_WIN8))
        return NDIS_RUNTIME_VERSION_630;
    return NDIS_RUNTIME_VERSION_620;
}

ULONG NdisGetSharedDataAlignment(void)
{
    return 64; /* the size of a cache line: what NDIS returns on x64 */
}

void NdisMSleep(ULONG MicrosecondsToSleep)
{
    MK_ENTER("NdisMSleep");
    nd_require_passive("NdisMSleep must be called at PASSIVE_LEVEL", NULL);
    struct timespec ts;
    ts.tv_sec = MicrosecondsToSleep / 1000000u;
    ts.tv_nsec = (long)(MicrosecondsToSleep % 1000000u) * 1000;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* NdisStallExecution_Delay: the documentation asks for at most 50 us (a
 * longer wait is NdisMSleep's); Windows' check is static, mdlkit's is made
 * under DDI compliance checking. Any IRQL. */
void NdisStallExecution(ULONG MicroSecondsToStall)
{
    MK_ENTER("NdisStallExecution");
    if (MicroSecondsToStall > 50 && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_NDIS_STALL_EXECUTION_DELAY,
                     "NdisStallExecution_Delay: NdisStallExecution must not stall more than 50 microseconds "
                     "(wait longer with NdisMSleep)",
                     MicroSecondsToStall, 50);
    KeStallExecutionProcessor(MicroSecondsToStall);
}

void NdisGetCurrentSystemTime(PLARGE_INTEGER pSystemTime) { KeQuerySystemTime(pSystemTime); }

ULONGLONG NdisGetSystemUpTimeEx(void)
{
    /* milliseconds since the machine started (interrupt time is 100 ns units) */
    return KeQueryInterruptTime() / 10000;
}

CCHAR NdisSystemProcessorCount(void) { return (CCHAR)(mk_rt.ncpu ? mk_rt.ncpu : 1); }
/* One processor group, 0, holding every simulated processor. */
ULONG NdisGroupMaxProcessorCount(USHORT Group) { return Group == 0 || Group == ALL_PROCESSOR_GROUPS ? mk_rt.ncpu : 0; }
ULONG NdisGroupActiveProcessorCount(USHORT Group) { return NdisGroupMaxProcessorCount(Group); }
KAFFINITY NdisGroupActiveProcessorMask(USHORT Group)
{
    ULONG n = NdisGroupActiveProcessorCount(Group);
    return n >= 64 ? ~(KAFFINITY)0 : (((KAFFINITY)1 << n) - 1);
}
ULONG NdisCurrentGroupAndProcessor(void)
{
    mk_thread_attach();
    return mk_self.cpu; /* group 0 in the high 16 bits */
}
USHORT NdisActiveGroupCount(void) { return 1; }
USHORT NdisMaxGroupCount(void) { return 1; }

void NdisWriteErrorLogEntry(NDIS_HANDLE NdisAdapterHandle, NDIS_ERROR_CODE ErrorCode, ULONG NumberOfErrorValues, ...)
{
    MK_ENTER("NdisWriteErrorLogEntry");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisWriteErrorLogEntry must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisAdapterHandle);
    mk_ndis_lookup_or_report(NdisAdapterHandle, MK_NDIS_ADAPTER, "NdisWriteErrorLogEntry: not a miniport adapter handle");
    char line[512];
    int n = snprintf(line, sizeof line, "NDIS error log: adapter %p, error 0x%08X", NdisAdapterHandle, (unsigned)ErrorCode);
    va_list ap;
    va_start(ap, NumberOfErrorValues);
    for (ULONG i = 0; i < NumberOfErrorValues && n > 0 && (size_t)n < sizeof line - 16; i++)
        n += snprintf(line + n, sizeof line - (size_t)n, " 0x%08X", (unsigned)va_arg(ap, ULONG));
    va_end(ap);
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_ERROR_LEVEL, "%s\n", line);
}

NDIS_STATUS NdisGetRssProcessorInformation(NDIS_HANDLE NdisHandle, PNDIS_RSS_PROCESSOR_INFO RssProcessorInfo,
                                           PSIZE_T Size)
{
    MK_ENTER("NdisGetRssProcessorInformation");
    nd_require_passive("NdisGetRssProcessorInformation must be called at PASSIVE_LEVEL", NdisHandle);
    mk_ndis_lookup_or_report(NdisHandle, MK_NDIS_ADAPTER,
                             "NdisGetRssProcessorInformation: not a miniport adapter handle");
    if (!Size)
        return NDIS_STATUS_INVALID_PARAMETER;
    /* Every simulated processor is an RSS processor of group 0. */
    ULONG n = mk_rt.ncpu ? mk_rt.ncpu : 1;
    SIZE_T need = sizeof(NDIS_RSS_PROCESSOR_INFO) + (SIZE_T)n * sizeof(NDIS_RSS_PROCESSOR);
    if (!RssProcessorInfo || *Size < need) {
        *Size = need;
        return NDIS_STATUS_BUFFER_TOO_SHORT;
    }
    memset(RssProcessorInfo, 0, need);
    RssProcessorInfo->Header.Type = NDIS_OBJECT_TYPE_RSS_PROCESSOR_INFO;
    RssProcessorInfo->Header.Revision = NDIS_RSS_PROCESSOR_INFO_REVISION_2;
    RssProcessorInfo->Header.Size = NDIS_SIZEOF_RSS_PROCESSOR_INFO_REVISION_2;
    RssProcessorInfo->RssBaseProcessor.Group = 0;
    RssProcessorInfo->RssBaseProcessor.Number = 0;
    RssProcessorInfo->MaxNumRssProcessors = n;
    RssProcessorInfo->PreferredNumaNode = 0;
    RssProcessorInfo->RssProcessorArrayOffset = sizeof(NDIS_RSS_PROCESSOR_INFO);
    RssProcessorInfo->RssProcessorCount = n;
    RssProcessorInfo->RssProcessorEntrySize = sizeof(NDIS_RSS_PROCESSOR);
    RssProcessorInfo->RssMaxProcessor.Number = (UCHAR)(n - 1);
    RssProcessorInfo->RssProfile = NdisRssProfileClosest;
    PNDIS_RSS_PROCESSOR p = (PNDIS_RSS_PROCESSOR)((PUCHAR)RssProcessorInfo + sizeof(NDIS_RSS_PROCESSOR_INFO));
    for (ULONG i = 0; i < n; i++) {
        p[i].ProcNum.Group = 0;
        p[i].ProcNum.Number = (UCHAR)i;
        p[i].PreferenceIndex = (USHORT)i;
    }
    *Size = need;
    return NDIS_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Machine shutdown
 * ---------------------------------------------------------------------- */
void mk_ndis_shutdown(void)
{
    static struct {
        int kind;
        void *rec;
    } orphans[ND_MAX_HANDLES];
    int n_orphans = 0;
    mk_ndis_timer_shutdown(); /* the work-item worker stops first */
    mk_ndis_device_shutdown();
    pthread_mutex_lock(&nd_lock);
    int top = atomic_load(&nd_handle_top);
    for (int i = 0; i < top; i++) {
        if (!atomic_load(&nd_handles[i].handle))
            continue;
        void *rec = nd_handles[i].rec;
        int kind = nd_handles[i].kind;
        atomic_store(&nd_handles[i].handle, NULL);
        nd_handles[i].rec = NULL;
        if (kind == MK_NDIS_ADAPTER) {
            mk_ndis_adapter *ad = rec;
            ad->dead_next = nd_dead;
            nd_dead = ad;
        } else if (kind == MK_NDIS_DRIVER || kind == MK_NDIS_DMA || kind == MK_NDIS_FILTER_DRIVER ||
                   kind == MK_NDIS_DEVICE) {
            free(rec);
        } else if (kind == MK_NDIS_TIMER || kind == MK_NDIS_WORKITEM || kind == MK_NDIS_NBL_POOL ||
                   kind == MK_NDIS_NB_POOL || kind == MK_NDIS_CONFIG || kind == MK_NDIS_SHARED) {
            /* host records of objects the driver never freed */
            if (n_orphans < ND_MAX_HANDLES) {
                orphans[n_orphans].kind = kind;
                orphans[n_orphans++].rec = rec;
            }
        } /* generic objects are pool memory: they go with the machine */
    }
    atomic_store(&nd_handle_top, 0);
    nd_adapter_seq = 0;
    mk_ndis_adapter *dead = nd_dead;
    nd_dead = NULL;
    pthread_mutex_unlock(&nd_lock);
    while (dead) {
        mk_ndis_adapter *n = dead->dead_next;
        mk_ndis_datapath_drop(dead);
        mk_ndis_config_free(dead);
        pthread_mutex_destroy(&dead->lock);
        pthread_cond_destroy(&dead->cv);
        pthread_mutex_destroy(&dead->oid_serial);
        free(dead);
        dead = n;
    }
    for (int i = 0; i < n_orphans; i++)
        mk_ndis_orphan_free(orphans[i].kind, orphans[i].rec);
    mk_ndis_mdl_shutdown();
    mk_ndis_interrupt_shutdown();
    mk_ndis_datapath_shutdown();
}
