/*
 * ndisintr.c -- NDIS miniport interrupts: NdisMRegisterInterruptEx,
 * NdisMDeregisterInterruptEx, and mdlkit_ndis_interrupt (the simulated
 * device raising its line interrupt: MiniportInterrupt at the device IRQL,
 * then MiniportInterruptDPC at DISPATCH_LEVEL).
 *
 * The simulated device has one line-based interrupt; a miniport that says
 * MsiSupported is connected line-based, as NDIS does when the device was
 * given no message-signalled resources. Choices where the documentation is
 * silent are in docs/ddi-notes.md ("NDIS interrupts").
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_port.h"

#include <ndis.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NI_DIRQL 4               /* the simulated device IRQL (as StorPort's) */
#define NI_MAX_DPC_REPEATS 4096  /* MoreNblsPending re-queues, bounded */

typedef struct ni_interrupt {
    const void *adapter;         /* NDIS adapter handle */
    NDIS_HANDLE ctx;             /* MiniportInterruptContext */
    NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS ch;
    void *caller;                /* where NdisMRegisterInterruptEx was called */
    pthread_mutex_t sync;        /* the interrupt's spin lock: ISR vs. synchronized functions */
    struct ni_interrupt *next;
} ni_interrupt;

static pthread_mutex_t ni_lock = PTHREAD_MUTEX_INITIALIZER;
static ni_interrupt *ni_list;

/* The record with this handle (is_handle) or of this adapter. */
static ni_interrupt *ni_find_locked(const void *key, int is_handle)
{
    for (ni_interrupt *i = ni_list; i; i = i->next)
        if (is_handle ? (const void *)i == key : i->adapter == key)
            return i;
    return NULL;
}

NDIS_STATUS NdisMRegisterInterruptEx(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportInterruptContext,
                                     PNDIS_MINIPORT_INTERRUPT_CHARACTERISTICS MiniportInterruptCharacteristics,
                                     PNDIS_HANDLE NdisInterruptHandle)
{
    MK_ENTER("NdisMRegisterInterruptEx");
    void *caller = __builtin_return_address(0);
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMRegisterInterruptEx must be called at PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter_view v;
    if (!mk_ndis_adapter_view_get(MiniportAdapterHandle, &v))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, "NdisMRegisterInterruptEx: not a miniport adapter handle",
                     (ULONG_PTR)MiniportAdapterHandle, MK_NDIS_ADAPTER);
    if (!v.initializing)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT,
                     "NdisMRegisterInterruptEx may be called only from MiniportInitializeEx",
                     (ULONG_PTR)MiniportAdapterHandle, 1);
    if (!v.registered)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT,
                     "MiniportInitializeEx must call NdisMSetMiniportAttributes (registration attributes) before "
                     "NdisMRegisterInterruptEx",
                     (ULONG_PTR)MiniportAdapterHandle, 2);
    pthread_mutex_lock(&ni_lock);
    int already = ni_find_locked(MiniportAdapterHandle, 0) != NULL;
    pthread_mutex_unlock(&ni_lock);
    if (already)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT,
                     "NdisMRegisterInterruptEx called again for an adapter whose interrupt is registered (the "
                     "device has one interrupt line)",
                     (ULONG_PTR)MiniportAdapterHandle, 3);
    if (!NdisInterruptHandle || !MiniportInterruptCharacteristics)
        return NDIS_STATUS_INVALID_PARAMETER;
    *NdisInterruptHandle = NULL;
    PNDIS_MINIPORT_INTERRUPT_CHARACTERISTICS ch = MiniportInterruptCharacteristics;
    if (ch->Header.Type != NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT ||
        ch->Header.Revision < NDIS_MINIPORT_INTERRUPT_REVISION_1 ||
        ch->Header.Size < NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1)
        return NDIS_STATUS_INVALID_PARAMETER;
    /* The four line-based handlers are required. */
    if (!ch->InterruptHandler || !ch->InterruptDpcHandler || !ch->DisableInterruptHandler ||
        !ch->EnableInterruptHandler)
        return NDIS_STATUS_INVALID_PARAMETER;
    ni_interrupt *i = calloc(1, sizeof *i);
    if (!i)
        return NDIS_STATUS_RESOURCES;
    i->adapter = MiniportAdapterHandle;
    i->ctx = MiniportInterruptContext;
    i->ch = *ch;
    i->caller = caller;
    pthread_mutex_init(&i->sync, NULL);
    /* Connected line-based (the simulated device has no MSI messages). */
    ch->InterruptType = NDIS_CONNECT_LINE_BASED;
    ch->MessageInfoTable = NULL;
    i->ch.InterruptType = NDIS_CONNECT_LINE_BASED;
    i->ch.MessageInfoTable = NULL;
    pthread_mutex_lock(&ni_lock);
    i->next = ni_list;
    ni_list = i;
    pthread_mutex_unlock(&ni_lock);
    *NdisInterruptHandle = i;
    return NDIS_STATUS_SUCCESS;
}

void NdisMDeregisterInterruptEx(NDIS_HANDLE NdisInterruptHandle)
{
    MK_ENTER("NdisMDeregisterInterruptEx");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMDeregisterInterruptEx must be called at PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisInterruptHandle);
    ni_interrupt *found = NULL;
    pthread_mutex_lock(&ni_lock);
    for (ni_interrupt **pp = &ni_list; *pp; pp = &(*pp)->next)
        if (*pp == NdisInterruptHandle) {
            found = *pp;
            *pp = found->next;
            break;
        }
    pthread_mutex_unlock(&ni_lock);
    if (!found)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisMDeregisterInterruptEx: not a handle from NdisMRegisterInterruptEx (or deregistered twice)",
                     (ULONG_PTR)NdisInterruptHandle, MK_NDIS_INTERRUPT);
    free(found);
}

ULONG_PTR mk_ndis_interrupt_leak(const void *adapter)
{
    ni_interrupt *found = NULL;
    pthread_mutex_lock(&ni_lock);
    for (ni_interrupt **pp = &ni_list; *pp; pp = &(*pp)->next)
        if ((*pp)->adapter == adapter) {
            found = *pp;
            *pp = found->next;
            break;
        }
    pthread_mutex_unlock(&ni_lock);
    if (!found)
        return 0;
    char who[256];
    mk_port_caller_name(found->caller, who, sizeof who);
    mk_bugcheck_note("interrupt %p still registered, NdisMRegisterInterruptEx called at %s", (void *)found, who);
    ULONG_PTR handle = (ULONG_PTR)found; /* only its value: the handle named in the report */
    free(found);
    return handle;
}

void mk_ndis_interrupt_shutdown(void)
{
    pthread_mutex_lock(&ni_lock);
    ni_interrupt *i = ni_list;
    ni_list = NULL;
    pthread_mutex_unlock(&ni_lock);
    while (i) {
        ni_interrupt *n = i->next;
        free(i);
        i = n;
    }
}

/* ------------------------------------------------------------------------
 * The simulated device raising its interrupt line
 * ---------------------------------------------------------------------- */
static void ni_run_dpc(mk_driver *drv, MINIPORT_INTERRUPT_DPC_HANDLER dpc, NDIS_HANDLE ctx)
{
    KIRQL old = KeGetCurrentIrql();
    if (old < DISPATCH_LEVEL)
        KfRaiseIrql(DISPATCH_LEVEL);
    for (unsigned n = 0; n < NI_MAX_DPC_REPEATS; n++) {
        NDIS_RECEIVE_THROTTLE_PARAMETERS throttle;
        memset(&throttle, 0, sizeof throttle);
        throttle.MaxNblsToIndicate = NDIS_INDICATE_ALL_NBLS;
        mk_port_frame f;
        mk_port_call_miniport(&f, drv);
        dpc(ctx, NULL, &throttle, NULL);
        mk_port_return_from_miniport(&f);
        if (!throttle.MoreNblsPending)
            break; /* else NDIS queues the DPC again */
    }
    if (KeGetCurrentIrql() != old)
        KeLowerIrql(old);
}

NTSTATUS mdlkit_ndis_interrupt(PVOID miniport_adapter_handle)
{
    MK_ENTER("mdlkit_ndis_interrupt");
    mk_thread_attach();
    mk_ndis_adapter_view v;
    if (!mk_ndis_adapter_view_get(miniport_adapter_handle, &v))
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    pthread_mutex_lock(&ni_lock);
    ni_interrupt *i = ni_find_locked(miniport_adapter_handle, 0);
    NDIS_HANDLE ctx = i ? i->ctx : NULL;
    MINIPORT_ISR_HANDLER isr = i ? i->ch.InterruptHandler : NULL;
    MINIPORT_INTERRUPT_DPC_HANDLER dpc = i ? i->ch.InterruptDpcHandler : NULL;
    pthread_mutex_unlock(&ni_lock);
    if (!isr)
        return STATUS_INVALID_DEVICE_STATE;

    /* MiniportInterrupt at the device IRQL, holding the interrupt's lock. */
    BOOLEAN queue_default = FALSE;
    ULONG targets = 0;
    KIRQL old = KeGetCurrentIrql();
    KfRaiseIrql(NI_DIRQL);
    pthread_mutex_lock(&i->sync);
    mk_port_frame f;
    mk_port_call_miniport(&f, v.drv);
    BOOLEAN mine = isr(ctx, &queue_default, &targets);
    mk_port_return_from_miniport(&f);
    pthread_mutex_unlock(&i->sync);
    KeLowerIrql(old);
    if (!mine)
        return STATUS_UNSUCCESSFUL; /* a shared line: the outputs are ignored */

    /* One DPC per processor asked for: the current one for
     * QueueDefaultInterruptDpc, and each TargetProcessors bit of a processor
     * that exists (a DPC for the current processor is queued once). Each
     * "processor" is this thread in the simulation; they run in order. */
    ULONG cpu = mk_self.cpu;
    ULONG ncpu = mk_rt.ncpu < 32 ? mk_rt.ncpu : 32;
    ULONG mask = ncpu >= 32 ? 0xFFFFFFFFu : ((1u << ncpu) - 1u);
    targets &= mask;
    if (queue_default && cpu < 32)
        targets |= 1u << cpu;
    for (ULONG p = 0; p < 32; p++)
        if (targets & (1u << p))
            ni_run_dpc(v.drv, dpc, ctx);
    return STATUS_SUCCESS;
}

BOOLEAN NdisMSynchronizeWithInterruptEx(NDIS_HANDLE NdisInterruptHandle, ULONG MessageId, PVOID SynchronizeFunction,
                                        PVOID SynchronizeContext)
{
    MK_ENTER("NdisMSynchronizeWithInterruptEx");
    if (mk_irql() > NI_DIRQL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMSynchronizeWithInterruptEx must be called at IRQL <= the interrupt's DIRQL", mk_irql(),
                     (ULONG_PTR)NdisInterruptHandle);
    (void)MessageId; /* line-based: one interrupt, MessageId is not used */
    pthread_mutex_lock(&ni_lock);
    ni_interrupt *i = ni_find_locked(NdisInterruptHandle, 1);
    mk_driver *drv = NULL;
    if (i) {
        mk_ndis_adapter_view v;
        if (mk_ndis_adapter_view_get(i->adapter, &v))
            drv = v.drv;
    }
    pthread_mutex_unlock(&ni_lock);
    if (!i)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisMSynchronizeWithInterruptEx: not a handle from NdisMRegisterInterruptEx",
                     (ULONG_PTR)NdisInterruptHandle, MK_NDIS_INTERRUPT);
    if (!SynchronizeFunction)
        mk_violation(MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT, "NdisMSynchronizeWithInterruptEx: SynchronizeFunction is NULL",
                     (ULONG_PTR)NdisInterruptHandle, 4);
    MINIPORT_SYNCHRONIZE_INTERRUPT_HANDLER fn = (MINIPORT_SYNCHRONIZE_INTERRUPT_HANDLER)SynchronizeFunction;
    KIRQL old = KeGetCurrentIrql();
    if (old < NI_DIRQL)
        KfRaiseIrql(NI_DIRQL);
    pthread_mutex_lock(&i->sync);
    mk_port_frame f;
    mk_port_call_miniport(&f, drv);
    BOOLEAN r = fn(SynchronizeContext);
    mk_port_return_from_miniport(&f);
    pthread_mutex_unlock(&i->sync);
    if (old < NI_DIRQL)
        KeLowerIrql(old);
    return r;
}
