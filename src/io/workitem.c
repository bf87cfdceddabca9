/*
 * workitem.c -- IO_WORKITEMs: IoAllocateWorkItem, IoQueueWorkItem,
 * IoFreeWorkItem, IoSizeofWorkItem, IoInitializeWorkItem,
 * IoUninitializeWorkItem.
 *
 * Queued items run at PASSIVE_LEVEL on a system worker thread of the I/O
 * manager (one host thread, started on first use), as the driver that owns
 * the device object. While an item is queued or running, its device object
 * is referenced, and mdlkit_driver_unload waits for the driver's items
 * before it calls DriverUnload -- what the reference buys a driver on
 * Windows.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"
#include "mk_ob.h"
#include "mk_hooks.h"

#include <pthread.h>
#include <string.h>

#define WI_TAG 'IWoI' /* "IoWI" */
#define WI_MAGIC 0x49576f49U

struct _IO_WORKITEM {
    uint32_t magic;
    int queued;
    int allocated; /* IoAllocateWorkItem (vs IoInitializeWorkItem) */
    PDEVICE_OBJECT dev;
    PIO_WORKITEM_ROUTINE routine;
    PVOID context;
    struct _IO_WORKITEM *next;
};

static pthread_mutex_t wi_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wi_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t wi_idle = PTHREAD_COND_INITIALIZER;
static struct _IO_WORKITEM *wi_head, *wi_tail;
static PIO_WORKITEM wi_running;
static int wi_started, wi_stop;
static pthread_t wi_thread;

static void *wi_worker(void *arg)
{
    (void)arg;
    mk_thread_attach_system();
    pthread_mutex_lock(&wi_lock);
    for (;;) {
        while (!wi_head && !wi_stop)
            pthread_cond_wait(&wi_cv, &wi_lock);
        if (!wi_head)
            break;
        PIO_WORKITEM w = wi_head;
        wi_head = w->next;
        if (!wi_head)
            wi_tail = NULL;
        PDEVICE_OBJECT dev = w->dev;
        PIO_WORKITEM_ROUTINE routine = w->routine;
        PVOID ctx = w->context;
        w->queued = 0; /* it may be queued again or freed from its routine */
        wi_running = w;
        pthread_mutex_unlock(&wi_lock);
        mk_devobj_ext *x = mk_io_device_ext(dev);
        mk_driver *old_drv_ = mk_driver_enter(x ? x->driver : NULL);
        routine(dev, ctx);
        mk_driver_leave(old_drv_);
        if (mk_irql() != PASSIVE_LEVEL)
            mk_violation(MDLKIT_RULE_WORK_ITEM_IRQL, "a work item routine returned at an IRQL above PASSIVE_LEVEL",
                         (ULONG_PTR)routine, mk_irql());
        mk_ob_dereference(dev);
        pthread_mutex_lock(&wi_lock);
        wi_running = NULL;
        pthread_cond_broadcast(&wi_idle);
    }
    pthread_mutex_unlock(&wi_lock);
    return NULL;
}

ULONG IoSizeofWorkItem(void) { return (ULONG)sizeof(struct _IO_WORKITEM); }

void IoInitializeWorkItem(PVOID IoObject, PIO_WORKITEM IoWorkItem)
{
    MK_ENTER("IoInitializeWorkItem");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoInitializeWorkItem);
    if (!IoWorkItem || !mk_io_device_ext((PDEVICE_OBJECT)IoObject))
        mk_violation(0x16, "IoInitializeWorkItem: a device object and a work item are required", (ULONG_PTR)IoObject,
                     (ULONG_PTR)IoWorkItem);
    memset(IoWorkItem, 0, sizeof *IoWorkItem);
    IoWorkItem->magic = WI_MAGIC;
    IoWorkItem->dev = IoObject;
}

PIO_WORKITEM mk_io_workitem_queued_in(const void *lo, const void *hi)
{
    PIO_WORKITEM found = NULL;
    pthread_mutex_lock(&wi_lock);
    for (PIO_WORKITEM w = wi_head; w && !found; w = w->next)
        if ((const char *)w >= (const char *)lo && (const char *)w < (const char *)hi)
            found = w;
    pthread_mutex_unlock(&wi_lock);
    return found;
}

void IoUninitializeWorkItem(PIO_WORKITEM IoWorkItem)
{
    MK_ENTER("IoUninitializeWorkItem");
    if (!IoWorkItem || IoWorkItem->magic != WI_MAGIC || IoWorkItem->queued)
        mk_violation(0x16, "IoUninitializeWorkItem: not an idle work item", (ULONG_PTR)IoWorkItem, 0);
    IoWorkItem->magic = 0;
}

PIO_WORKITEM IoAllocateWorkItem(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("IoAllocateWorkItem");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAllocateWorkItem);
    if (!mk_io_device_ext(DeviceObject))
        mk_violation(0x16, "IoAllocateWorkItem: DeviceObject is not a device object", (ULONG_PTR)DeviceObject, 0);
    PIO_WORKITEM w = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *w, WI_TAG);
    if (!w)
        return NULL;
    memset(w, 0, sizeof *w);
    w->magic = WI_MAGIC;
    w->allocated = 1;
    w->dev = DeviceObject;
    return w;
}

void IoQueueWorkItem(PIO_WORKITEM IoWorkItem, PIO_WORKITEM_ROUTINE WorkerRoutine, WORK_QUEUE_TYPE QueueType,
                     PVOID Context)
{
    MK_ENTER("IoQueueWorkItem");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoQueueWorkItem);
    if (!IoWorkItem || IoWorkItem->magic != WI_MAGIC || !WorkerRoutine)
        mk_violation(0x16, "IoQueueWorkItem: not a work item, or no routine", (ULONG_PTR)IoWorkItem,
                     (ULONG_PTR)WorkerRoutine);
    (void)QueueType;
    pthread_mutex_lock(&wi_lock);
    if (IoWorkItem->queued) {
        pthread_mutex_unlock(&wi_lock);
        mk_violation(MDLKIT_RULE_WORK_ITEM_QUEUED, "IoQueueWorkItem: the work item is already queued",
                     (ULONG_PTR)IoWorkItem, (ULONG_PTR)WorkerRoutine);
    }
    mk_ob_reference(IoWorkItem->dev);
    IoWorkItem->queued = 1;
    IoWorkItem->routine = WorkerRoutine;
    IoWorkItem->context = Context;
    IoWorkItem->next = NULL;
    if (wi_tail)
        wi_tail->next = IoWorkItem;
    else
        wi_head = IoWorkItem;
    wi_tail = IoWorkItem;
    if (!wi_started) {
        wi_stop = 0;
        if (pthread_create(&wi_thread, NULL, wi_worker, NULL) == 0)
            wi_started = 1;
    }
    pthread_cond_signal(&wi_cv);
    pthread_mutex_unlock(&wi_lock);
}

void IoFreeWorkItem(PIO_WORKITEM IoWorkItem)
{
    MK_ENTER("IoFreeWorkItem");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoFreeWorkItem);
    if (!IoWorkItem || IoWorkItem->magic != WI_MAGIC || !IoWorkItem->allocated)
        mk_violation(0x16, "IoFreeWorkItem: not a work item from IoAllocateWorkItem", (ULONG_PTR)IoWorkItem, 0);
    pthread_mutex_lock(&wi_lock);
    int queued = IoWorkItem->queued;
    pthread_mutex_unlock(&wi_lock);
    if (queued)
        mk_violation(MDLKIT_RULE_WORK_ITEM_QUEUED, "IoFreeWorkItem: the work item is still queued",
                     (ULONG_PTR)IoWorkItem, 0);
    IoWorkItem->magic = 0;
    ExFreePoolWithTag(IoWorkItem, WI_TAG);
}

/* Waits until no queued or running item belongs to a device of driver d. */
void mk_io_workitem_drain(mk_driver *d)
{
    pthread_mutex_lock(&wi_lock);
    for (;;) {
        int busy = 0;
        for (PIO_WORKITEM w = wi_head; w && !busy; w = w->next)
            busy = w->dev->DriverObject == &d->obj;
        if (wi_running && wi_running->dev->DriverObject == &d->obj)
            busy = 1;
        if (!busy || pthread_equal(pthread_self(), wi_thread))
            break;
        pthread_cond_wait(&wi_idle, &wi_lock);
    }
    pthread_mutex_unlock(&wi_lock);
}

void mk_io_workitem_reset(void)
{
    pthread_mutex_lock(&wi_lock);
    int started = wi_started;
    wi_stop = 1;
    wi_head = wi_tail = NULL; /* items left at shutdown are dropped with the machine */
    pthread_cond_broadcast(&wi_cv);
    pthread_mutex_unlock(&wi_lock);
    if (started)
        pthread_join(wi_thread, NULL);
    pthread_mutex_lock(&wi_lock);
    wi_started = 0;
    wi_stop = 0;
    pthread_mutex_unlock(&wi_lock);
}
