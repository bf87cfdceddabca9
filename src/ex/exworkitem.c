/*
 * exworkitem.c -- executive work items: ExQueueWorkItem (with the
 * ExInitializeWorkItem macro of ke.h).
 *
 * Items run at PASSIVE_LEVEL on system worker threads, in queue order, as
 * the driver that queued them (what they allocate is charged to it). A
 * worker is added whenever an item is queued while every worker is busy
 * (up to 16), so items that wait for each other do not deadlock, as with
 * Windows' pool of worker threads. The queue type is accepted and not
 * otherwise used (mdlkit schedules no priorities). mdlkit_shutdown runs
 * what is still queued, then stops the workers.
 *
 * Misuse (docs/ddi-notes.md, "Dispatcher, DPCs, ..."):
 *  - IRQL > DISPATCH_LEVEL: 0xA (item, IRQL, 0, caller);
 *  - an invalid queue type: 0xC4 with the mdlkit rule 0x00A40004 (item,
 *    type);
 *  - queueing an item that is still queued: 0xC4 with the mdlkit rule
 *    0x00A40005 (item, 0) -- its list entry would be linked twice;
 *  - an item of a driver still queued or running when the driver is
 *    unloaded: 0xCE (worker routine, 0, item, 0), raised by
 *    mk_exec_driver_unloaded.
 */
#include "mk_machine.h"
#include "mk_ke.h"

#include <stdlib.h>

#define RULE_WORK_QUEUE_TYPE 0x00A40004UL
#define RULE_WORK_ITEM_QUEUED 0x00A40005UL
#define EX_MAX_WORKERS 16

typedef struct ex_item {
    PWORK_QUEUE_ITEM item;
    struct mk_driver *driver;
    struct ex_item *next;
} ex_item;

static pthread_mutex_t ex_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ex_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ex_idle_cv = PTHREAD_COND_INITIALIZER;
static ex_item *ex_head, *ex_tail;
static pthread_t ex_workers[EX_MAX_WORKERS];
static ULONG ex_nworkers, ex_busy;
static int ex_stop;
/* what each worker runs (for the unload check) */
static ex_item ex_running[EX_MAX_WORKERS];

static void *ex_worker(void *arg)
{
    ULONG me = (ULONG)(uintptr_t)arg;
    mk_thread_attach_system();
    pthread_mutex_lock(&ex_lock);
    for (;;) {
        while (!ex_head && !ex_stop)
            pthread_cond_wait(&ex_cv, &ex_lock);
        if (!ex_head)
            break;
        ex_item *e = ex_head;
        ex_head = e->next;
        if (!ex_head)
            ex_tail = NULL;
        PWORK_QUEUE_ITEM w = e->item;
        PWORKER_THREAD_ROUTINE routine = w->WorkerRoutine;
        PVOID param = w->Parameter;
        ex_running[me] = *e;
        free(e);
        w->List.Flink = NULL; /* it may be queued again from its routine */
        ex_busy++;
        pthread_mutex_unlock(&ex_lock);

        mk_self.irql = PASSIVE_LEVEL;
        struct mk_driver *old = mk_self.driver;
        mk_self.driver = ex_running[me].driver;
        routine(param);
        mk_self.driver = old;
        KIRQL after = mk_self.irql;
        mk_self.irql = PASSIVE_LEVEL;
        if (after != PASSIVE_LEVEL)
            mk_bugcheck(0x4A /* IRQL_GT_ZERO_AT_SYSTEM_SERVICE */, (ULONG_PTR)routine, after, 0, 0);

        pthread_mutex_lock(&ex_lock);
        ex_running[me].item = NULL;
        ex_running[me].driver = NULL;
        ex_busy--;
        pthread_cond_broadcast(&ex_idle_cv);
    }
    pthread_mutex_unlock(&ex_lock);
    return NULL;
}

static MK_NORETURN void ex_misuse(ULONG rule, const char *why, PWORK_QUEUE_ITEM item, ULONG_PTR p4)
{
    mk_violation(rule, why, (ULONG_PTR)item, p4);
}

void ExQueueWorkItem(PWORK_QUEUE_ITEM WorkItem, WORK_QUEUE_TYPE QueueType)
{
    MK_ENTER("ExQueueWorkItem");
    MK_OBJ_FAULT(WorkItem);
    mk_thread_attach();
    if (mk_self.irql > DISPATCH_LEVEL)
        mk_ke_irql_violation(0, NULL, WorkItem, __builtin_return_address(0));
    if ((ULONG)QueueType >= MaximumWorkQueue && QueueType != CustomPriorityWorkQueue)
        ex_misuse(RULE_WORK_QUEUE_TYPE, "ExQueueWorkItem with a queue type that does not exist", WorkItem,
                  (ULONG_PTR)QueueType);
    ex_item *e = malloc(sizeof *e);
    if (!e)
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    e->item = WorkItem;
    e->driver = mk_self.driver;
    e->next = NULL;
    pthread_mutex_lock(&ex_lock);
    if (WorkItem->List.Flink == &WorkItem->List) {
        pthread_mutex_unlock(&ex_lock);
        free(e);
        ex_misuse(RULE_WORK_ITEM_QUEUED, "ExQueueWorkItem on an item that is still queued", WorkItem, 0);
    }
    WorkItem->List.Flink = WorkItem->List.Blink = &WorkItem->List; /* queued */
    if (ex_tail)
        ex_tail->next = e;
    else
        ex_head = e;
    ex_tail = e;
    ULONG queued = 0;
    for (ex_item *q = ex_head; q; q = q->next)
        queued++;
    if (ex_busy + queued > ex_nworkers && ex_nworkers < EX_MAX_WORKERS) {
        if (pthread_create(&ex_workers[ex_nworkers], NULL, ex_worker, (void *)(uintptr_t)ex_nworkers) == 0)
            ex_nworkers++;
    }
    if (ex_nworkers == 0) {
        /* no worker could be started: nothing would ever run it */
        ex_head = ex_tail = NULL;
        WorkItem->List.Flink = NULL;
        pthread_mutex_unlock(&ex_lock);
        free(e);
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    }
    pthread_cond_signal(&ex_cv);
    pthread_mutex_unlock(&ex_lock);
}

/* An item of driver d still queued or running, or NULL (its routine in
 * *routine). */
PWORK_QUEUE_ITEM mk_ex_workitem_of_driver(struct mk_driver *d, PWORKER_THREAD_ROUTINE *routine)
{
    PWORK_QUEUE_ITEM found = NULL;
    pthread_mutex_lock(&ex_lock);
    for (ex_item *q = ex_head; q && !found; q = q->next)
        if (q->driver == d)
            found = q->item;
    for (ULONG i = 0; i < ex_nworkers && !found; i++)
        if (ex_running[i].item && ex_running[i].driver == d)
            found = ex_running[i].item;
    if (found)
        *routine = found->WorkerRoutine;
    pthread_mutex_unlock(&ex_lock);
    return found;
}

/* A work item still queued (not yet running) that lies in [lo, hi) (pool
 * being freed), or NULL. */
PWORK_QUEUE_ITEM mk_ex_workitem_queued_in(const void *lo, const void *hi)
{
    PWORK_QUEUE_ITEM found = NULL;
    pthread_mutex_lock(&ex_lock);
    for (ex_item *q = ex_head; q && !found; q = q->next)
        if ((const char *)q->item >= (const char *)lo && (const char *)q->item < (const char *)hi)
            found = q->item;
    pthread_mutex_unlock(&ex_lock);
    return found;
}

/* Waits until no item is queued or running (the harness and tests). */
void mk_ex_workitems_flush(void)
{
    pthread_mutex_lock(&ex_lock);
    while (ex_head || ex_busy)
        pthread_cond_wait(&ex_idle_cv, &ex_lock);
    pthread_mutex_unlock(&ex_lock);
}

void mk_ex_workitem_shutdown(void)
{
    pthread_mutex_lock(&ex_lock);
    ex_stop = 1;
    pthread_cond_broadcast(&ex_cv);
    ULONG n = ex_nworkers;
    pthread_mutex_unlock(&ex_lock);
    for (ULONG i = 0; i < n; i++)
        pthread_join(ex_workers[i], NULL);
    pthread_mutex_lock(&ex_lock);
    ex_nworkers = 0;
    ex_busy = 0;
    ex_stop = 0;
    ex_head = ex_tail = NULL;
    pthread_mutex_unlock(&ex_lock);
}
