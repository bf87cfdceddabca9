/*
 * ndistimer.c -- NDIS timer objects (NdisAllocateTimerObject,
 * NdisSetTimerObject, NdisCancelTimerObject, NdisFreeTimerObject), built
 * on the kernel's KTIMER and KDPC (the timer function runs at
 * DISPATCH_LEVEL in the DPC), and NDIS I/O work items
 * (NdisAllocateIoWorkItem, NdisQueueIoWorkItem, NdisFreeIoWorkItem), run
 * at PASSIVE_LEVEL by a worker thread of NDIS's.
 *
 * Both are recorded in the port allocation tracker against the handle they
 * were allocated with: an adapter halted (or a driver unloaded) with one
 * left is reported, the timer cancelled and flushed first.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TM_MAGIC 0x524D544Eu /* "NTMR" */
#define WI_MAGIC 0x4B52574Eu /* "NWRK" */

typedef struct nd_timer {
    ULONG magic;
    KTIMER timer;
    KDPC dpc;
    NDIS_TIMER_CHARACTERISTICS ch;
    PVOID context;            /* for the next expiry */
    mk_driver *drv;
    NDIS_HANDLE owner;
    _Atomic int running;      /* timer function in progress */
} nd_timer;

static mk_driver *tm_driver_of(NDIS_HANDLE h)
{
    int kind = mk_ndis_handle_kind(h);
    if (kind == MK_NDIS_ADAPTER)
        return ((mk_ndis_adapter *)mk_ndis_lookup(h, MK_NDIS_ADAPTER))->nd->drv;
    if (kind == MK_NDIS_DRIVER)
        return ((mk_ndis_driver *)mk_ndis_lookup(h, MK_NDIS_DRIVER))->drv;
    return mk_self.driver;
}

static void tm_dpc(PKDPC Dpc, PVOID DeferredContext, PVOID SystemArgument1, PVOID SystemArgument2)
{
    (void)Dpc;
    nd_timer *t = DeferredContext;
    atomic_store(&t->running, 1);
    mk_port_frame f;
    mk_port_call_miniport(&f, t->drv);
    t->ch.TimerFunction(SystemArgument1, t->context, SystemArgument2, NULL);
    mk_port_return_from_miniport(&f);
    atomic_store(&t->running, 0);
}

NDIS_STATUS NdisAllocateTimerObject(NDIS_HANDLE NdisHandle, PNDIS_TIMER_CHARACTERISTICS TimerCharacteristics,
                                    PNDIS_HANDLE pTimerObject)
{
    MK_ENTER("NdisAllocateTimerObject");
    void *caller = __builtin_return_address(0);
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisAllocateTimerObject must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisHandle);
    if (!mk_ndis_is_object_handle(NdisHandle))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisAllocateTimerObject: NdisHandle is not a handle NDIS gave this driver", (ULONG_PTR)NdisHandle,
                     0);
    PNDIS_TIMER_CHARACTERISTICS c = TimerCharacteristics;
    if (!c || !pTimerObject)
        return NDIS_STATUS_INVALID_PARAMETER;
    *pTimerObject = NULL;
    if (c->Header.Type != NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS ||
        c->Header.Revision < NDIS_TIMER_CHARACTERISTICS_REVISION_1 ||
        c->Header.Size < NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1 || !c->TimerFunction)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (mk_verifier_fail_now(MK_FAULT_NDIS, c->AllocationTag, caller)) /* low resources (0x4, 0x40000) */
        return NDIS_STATUS_RESOURCES;
    nd_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NDIS_STATUS_RESOURCES;
    t->magic = TM_MAGIC;
    t->ch = *c;
    t->context = c->FunctionContext;
    t->drv = tm_driver_of(NdisHandle);
    t->owner = NdisHandle;
    KeInitializeTimerEx(&t->timer, NotificationTimer);
    KeInitializeDpc(&t->dpc, tm_dpc, t);
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    if (!mk_ndis_register_handle(t, MK_NDIS_TIMER, t) ||
        !mk_port_track_add(MK_PT_NDIS_TIMER, t, sizeof *t, c->AllocationTag, NdisHandle, caller, none, FALSE)) {
        mk_ndis_unregister_handle(t);
        free(t);
        return NDIS_STATUS_RESOURCES;
    }
    *pTimerObject = t;
    return NDIS_STATUS_SUCCESS;
}

BOOLEAN NdisSetTimerObject(NDIS_HANDLE TimerObject, LARGE_INTEGER DueTime, ULONG MillisPeriod, PVOID FunctionContext)
{
    MK_ENTER("NdisSetTimerObject");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisSetTimerObject must be called at IRQL <= DISPATCH_LEVEL",
                     mk_irql(), (ULONG_PTR)TimerObject);
    nd_timer *t = mk_ndis_lookup_or_report(TimerObject, MK_NDIS_TIMER,
                                           "NdisSetTimerObject: not a timer from NdisAllocateTimerObject");
    if (FunctionContext)
        t->context = FunctionContext;
    mk_port_begin();
    BOOLEAN was = KeSetTimerEx(&t->timer, DueTime, (LONG)MillisPeriod, &t->dpc);
    mk_port_end();
    return was;
}

BOOLEAN NdisCancelTimerObject(NDIS_HANDLE TimerObject)
{
    MK_ENTER("NdisCancelTimerObject");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisCancelTimerObject must be called at IRQL <= DISPATCH_LEVEL", mk_irql(), (ULONG_PTR)TimerObject);
    nd_timer *t = mk_ndis_lookup_or_report(TimerObject, MK_NDIS_TIMER,
                                           "NdisCancelTimerObject: not a timer from NdisAllocateTimerObject");
    mk_port_begin();
    BOOLEAN was = KeCancelTimer(&t->timer);
    /* An expiry whose DPC has not run yet is cancelled too. */
    if (KeRemoveQueueDpc(&t->dpc))
        was = TRUE;
    mk_port_end();
    return was;
}

static void tm_quiesce(nd_timer *t)
{
    mk_port_begin();
    KeCancelTimer(&t->timer);
    KeRemoveQueueDpc(&t->dpc);
    if (mk_irql() == PASSIVE_LEVEL)
        KeFlushQueuedDpcs(); /* a timer function in progress finishes */
    mk_port_end();
}

void NdisFreeTimerObject(NDIS_HANDLE TimerObject)
{
    MK_ENTER("NdisFreeTimerObject");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, "NdisFreeTimerObject must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)TimerObject);
    nd_timer *t = mk_ndis_lookup_or_report(TimerObject, MK_NDIS_TIMER,
                                           "NdisFreeTimerObject: not a timer from NdisAllocateTimerObject (or freed "
                                           "twice)");
    tm_quiesce(t);
    mk_ndis_unregister_handle(t);
    mk_port_track_remove(MK_PT_NDIS_TIMER, t);
    t->magic = 0;
    free(t);
}

void mk_ndis_timer_reclaim(void *timer)
{
    nd_timer *t = timer;
    tm_quiesce(t);
    mk_ndis_unregister_handle(t);
    t->magic = 0;
    free(t);
}

/* ------------------------------------------------------------------------
 * I/O work items
 * ---------------------------------------------------------------------- */
typedef struct nd_work {
    ULONG magic;
    NDIS_HANDLE owner;
    mk_driver *drv;
    NDIS_IO_WORKITEM_ROUTINE routine;
    PVOID context;
    int queued;               /* under wk_lock */
    struct nd_work *next;
} nd_work;

static pthread_mutex_t wk_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wk_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t wk_idle = PTHREAD_COND_INITIALIZER;
static nd_work *wk_head, *wk_tail;
static pthread_t wk_thread;
static int wk_started, wk_stop;
static nd_work *wk_current; /* whose routine runs (the worker touches no work item after its routine) */

static void *wk_main(void *arg)
{
    (void)arg;
    mk_thread_attach_system();
    pthread_mutex_lock(&wk_lock);
    for (;;) {
        while (!wk_head && !wk_stop)
            pthread_cond_wait(&wk_cv, &wk_lock);
        if (!wk_head)
            break;
        nd_work *w = wk_head;
        wk_head = w->next;
        if (!wk_head)
            wk_tail = NULL;
        w->queued = 0;
        wk_current = w;
        NDIS_IO_WORKITEM_ROUTINE r = w->routine;
        PVOID ctx = w->context;
        pthread_mutex_unlock(&wk_lock);
        mk_port_frame f;
        mk_port_call_miniport(&f, w->drv);
        r(ctx, w);
        mk_port_return_from_miniport(&f);
        pthread_mutex_lock(&wk_lock);
        wk_current = NULL;
        pthread_cond_broadcast(&wk_idle);
    }
    pthread_mutex_unlock(&wk_lock);
    return NULL;
}

NDIS_HANDLE NdisAllocateIoWorkItem(NDIS_HANDLE NdisObjectHandle)
{
    MK_ENTER("NdisAllocateIoWorkItem");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisAllocateIoWorkItem must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisObjectHandle);
    if (!mk_ndis_is_object_handle(NdisObjectHandle))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                     "NdisAllocateIoWorkItem: NdisObjectHandle is not a handle NDIS gave this driver",
                     (ULONG_PTR)NdisObjectHandle, 0);
    if (mk_verifier_fail_now(MK_FAULT_NDIS, 0, caller)) /* low resources (0x4, 0x40000) */
        return NULL;
    nd_work *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->magic = WI_MAGIC;
    w->owner = NdisObjectHandle;
    w->drv = tm_driver_of(NdisObjectHandle);
    PHYSICAL_ADDRESS none;
    none.QuadPart = 0;
    if (!mk_ndis_register_handle(w, MK_NDIS_WORKITEM, w) ||
        !mk_port_track_add(MK_PT_NDIS_WORKITEM, w, sizeof *w, 0, NdisObjectHandle, caller, none, FALSE)) {
        mk_ndis_unregister_handle(w);
        free(w);
        return NULL;
    }
    return w;
}

void NdisQueueIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle, NDIS_IO_WORKITEM_ROUTINE Routine, PVOID WorkItemContext)
{
    MK_ENTER("NdisQueueIoWorkItem");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisQueueIoWorkItem must be called at IRQL <= DISPATCH_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisIoWorkItemHandle);
    nd_work *w = mk_ndis_lookup_or_report(NdisIoWorkItemHandle, MK_NDIS_WORKITEM,
                                          "NdisQueueIoWorkItem: not a work item from NdisAllocateIoWorkItem");
    if (!Routine)
        mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisQueueIoWorkItem: Routine is NULL", (ULONG_PTR)w, 0);
    pthread_mutex_lock(&wk_lock);
    if (w->queued) {
        pthread_mutex_unlock(&wk_lock);
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisQueueIoWorkItem: the work item is queued already (a work item is queued again only once "
                     "its routine started)",
                     (ULONG_PTR)w, 0);
    }
    if (!wk_started) {
        wk_stop = 0;
        if (pthread_create(&wk_thread, NULL, wk_main, NULL) == 0)
            wk_started = 1;
    }
    w->routine = Routine;
    w->context = WorkItemContext;
    w->queued = 1;
    w->next = NULL;
    if (wk_tail)
        wk_tail->next = w;
    else
        wk_head = w;
    wk_tail = w;
    pthread_cond_signal(&wk_cv);
    pthread_mutex_unlock(&wk_lock);
}

void NdisFreeIoWorkItem(NDIS_HANDLE NdisIoWorkItemHandle)
{
    MK_ENTER("NdisFreeIoWorkItem");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisFreeIoWorkItem must be called at IRQL <= DISPATCH_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisIoWorkItemHandle);
    nd_work *w = mk_ndis_lookup_or_report(NdisIoWorkItemHandle, MK_NDIS_WORKITEM,
                                          "NdisFreeIoWorkItem: not a work item from NdisAllocateIoWorkItem (or freed "
                                          "twice)");
    pthread_mutex_lock(&wk_lock);
    int queued = w->queued;
    pthread_mutex_unlock(&wk_lock);
    if (queued)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisFreeIoWorkItem: the work item is still queued (free it once its routine ran)", (ULONG_PTR)w,
                     0);
    mk_ndis_unregister_handle(w);
    mk_port_track_remove(MK_PT_NDIS_WORKITEM, w);
    /* Freed from its own routine (the usual pattern): the worker is done
     * with it once the routine returns. */
    pthread_mutex_lock(&wk_lock);
    if (!pthread_equal(pthread_self(), wk_thread))
        while (wk_current == w)
            pthread_cond_wait(&wk_idle, &wk_lock);
    pthread_mutex_unlock(&wk_lock);
    w->magic = 0;
    free(w);
}

void mk_ndis_workitem_reclaim(void *item)
{
    nd_work *w = item;
    pthread_mutex_lock(&wk_lock);
    for (nd_work **pp = &wk_head; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    wk_tail = NULL;
    for (nd_work *x = wk_head; x; x = x->next)
        wk_tail = x;
    if (!pthread_equal(pthread_self(), wk_thread))
        while (wk_current == w)
            pthread_cond_wait(&wk_idle, &wk_lock);
    pthread_mutex_unlock(&wk_lock);
    mk_ndis_unregister_handle(w);
    free(w);
}

void mk_ndis_timer_shutdown(void)
{
    pthread_mutex_lock(&wk_lock);
    int started = wk_started;
    wk_stop = 1;
    pthread_cond_broadcast(&wk_cv);
    pthread_mutex_unlock(&wk_lock);
    if (started)
        pthread_join(wk_thread, NULL);
    pthread_mutex_lock(&wk_lock);
    wk_started = 0;
    wk_head = wk_tail = NULL;
    pthread_mutex_unlock(&wk_lock);
}
