/*
 * dpc.c -- deferred procedure calls: KeInitializeDpc, KeInitializeThreadedDpc,
 * KeInsertQueueDpc, KeRemoveQueueDpc, KeSetImportanceDpc,
 * KeSetTargetProcessorDpc(Ex), KeFlushQueuedDpcs.
 *
 * Each simulated processor (mdlkit_config.processors) has a DPC queue and
 * a host thread that runs it at DISPATCH_LEVEL (threaded DPCs at
 * PASSIVE_LEVEL), never on the caller's stack. The threads start with the
 * first queued DPC; mdlkit_shutdown runs what is still queued, then stops
 * them. A DPC is queued while DpcData is non-NULL (it points to the queue);
 * DpcData is cleared just before the routine runs, so the routine may queue
 * its DPC again. Queues are linked through KDPC.DpcListEntry; the queue
 * lock is the dispatcher lock.
 *
 * Misuse (docs/ddi-notes.md, "DPCs"):
 *  - KeFlushQueuedDpcs above PASSIVE_LEVEL: 0xA (0, IRQL, 0, caller);
 *  - a DPC routine that returns at another IRQL than it was called at:
 *    0xC8 IRQL_UNEXPECTED_VALUE ((IRQL << 16) | (expected << 8) | 2,
 *    routine, DPC, 0); holding a spin lock: 0xC8 with unique value 3;
 *  - KeSetTargetProcessorDpcEx with a group other than 0 or a processor
 *    that does not exist: STATUS_INVALID_PARAMETER.
 * A DPC still queued when its driver is unloaded is 0xC7 (ps/psthread.c).
 */
#include "mk_machine.h"
#include "mk_ke.h"
#include "mk_verifier.h"

#include <stdlib.h>
#include <string.h>

#define IRQL_UNEXPECTED_VALUE_CODE 0xC8
#define DPC_TARGET_BASE 0x40 /* Number = processor + DPC_TARGET_BASE: a target was set */

typedef struct ke_cpu {
    PSINGLE_LIST_ENTRY head, tail;
    pthread_cond_t cv;
    pthread_t thread;
    ULONG running;
    ULONG index;
} ke_cpu;

static ke_cpu *dpc_cpus;
static ULONG dpc_ncpu;
static int dpc_stop;
static pthread_cond_t dpc_idle_cv = PTHREAD_COND_INITIALIZER;

static inline PKDPC dpc_of(PSINGLE_LIST_ENTRY e) { return CONTAINING_RECORD(e, KDPC, DpcListEntry); }

static void *dpc_cpu_main(void *arg)
{
    ke_cpu *c = arg;
    mk_thread_attach_system();
    mk_self.cpu = c->index;
    PKTHREAD me = mk_ke_current();
    me->in_dpc = 1;
    pthread_mutex_lock(&mk_ke_lock);
    for (;;) {
        while (!c->head && !dpc_stop)
            pthread_cond_wait(&c->cv, &mk_ke_lock);
        if (!c->head)
            break;
        PSINGLE_LIST_ENTRY e = c->head;
        c->head = e->Next;
        if (!c->head)
            c->tail = NULL;
        e->Next = NULL;
        PKDPC dpc = dpc_of(e);
        PKDEFERRED_ROUTINE routine = dpc->DeferredRoutine;
        PVOID ctx = dpc->DeferredContext, a1 = dpc->SystemArgument1, a2 = dpc->SystemArgument2;
        struct mk_driver *drv = (struct mk_driver *)dpc->ProcessorHistory;
        KIRQL level = dpc->Type == MK_KOBJ_THREADED_DPC ? PASSIVE_LEVEL : DISPATCH_LEVEL;
        dpc->DpcData = NULL;
        c->running++;
        pthread_mutex_unlock(&mk_ke_lock);

        mk_self.irql = level;
        if (level == DISPATCH_LEVEL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING))
            mk_verifier_on_raise_to_dispatch();
        struct mk_driver *old = mk_self.driver;
        mk_self.driver = drv;
        routine(dpc, ctx, a1, a2);
        mk_self.driver = old;
        KIRQL after = mk_self.irql;
        ULONG locks = mk_self.spinlocks_held;
        mk_self.irql = PASSIVE_LEVEL;
        if (after != level)
            mk_bugcheck(IRQL_UNEXPECTED_VALUE_CODE, ((ULONG_PTR)after << 16) | ((ULONG_PTR)level << 8) | 2,
                        (ULONG_PTR)routine, (ULONG_PTR)dpc, 0);
        if (locks)
            mk_bugcheck(IRQL_UNEXPECTED_VALUE_CODE, ((ULONG_PTR)after << 16) | ((ULONG_PTR)level << 8) | 3,
                        (ULONG_PTR)routine, (ULONG_PTR)dpc, 0);

        pthread_mutex_lock(&mk_ke_lock);
        c->running--;
        pthread_cond_broadcast(&dpc_idle_cv);
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return NULL;
}

/* Under mk_ke_lock: the processors exist. Returns 0, or -1 if no thread
 * could be started. */
static int dpc_start_locked(void)
{
    if (dpc_cpus)
        return 0;
    ULONG n = mk_rt.ncpu ? mk_rt.ncpu : 1;
    ke_cpu *cpus = calloc(n, sizeof *cpus);
    if (!cpus)
        return -1;
    for (ULONG i = 0; i < n; i++) {
        cpus[i].index = i;
        pthread_cond_init(&cpus[i].cv, NULL);
    }
    dpc_stop = 0;
    dpc_cpus = cpus;
    dpc_ncpu = n;
    for (ULONG i = 0; i < n; i++) {
        if (pthread_create(&cpus[i].thread, NULL, dpc_cpu_main, &cpus[i]) != 0) {
            /* run everything on the processors that did start */
            dpc_ncpu = i ? i : 0;
            if (!i) {
                free(cpus);
                dpc_cpus = NULL;
                return -1;
            }
            break;
        }
    }
    return 0;
}

void mk_ke_queue_dpc_locked(PKDPC dpc, PVOID a1, PVOID a2, ULONG cpu_hint)
{
    if (dpc->DpcData)
        return;
    if (dpc_start_locked() != 0)
        return;
    ULONG target = dpc->Number >= DPC_TARGET_BASE ? (ULONG)(dpc->Number - DPC_TARGET_BASE) : cpu_hint;
    ke_cpu *c = &dpc_cpus[target % dpc_ncpu];
    dpc->SystemArgument1 = a1;
    dpc->SystemArgument2 = a2;
    dpc->DpcData = c;
    dpc->DpcListEntry.Next = NULL;
    if (dpc->Importance == HighImportance && c->head) {
        dpc->DpcListEntry.Next = c->head;
        c->head = &dpc->DpcListEntry;
    } else {
        if (c->tail)
            c->tail->Next = &dpc->DpcListEntry;
        else
            c->head = &dpc->DpcListEntry;
        c->tail = &dpc->DpcListEntry;
    }
    pthread_cond_signal(&c->cv);
}

static void dpc_init(PRKDPC Dpc, UCHAR type, PKDEFERRED_ROUTINE routine, PVOID ctx)
{
    memset(Dpc, 0, sizeof *Dpc);
    Dpc->Type = type;
    Dpc->Importance = MediumImportance;
    Dpc->DeferredRoutine = routine;
    Dpc->DeferredContext = ctx;
}

void KeInitializeDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    MK_ENTER("KeInitializeDpc");
    MK_OBJ_FAULT(Dpc);
    dpc_init(Dpc, MK_KOBJ_DPC, DeferredRoutine, DeferredContext);
}

void KeInitializeThreadedDpc(PRKDPC Dpc, PKDEFERRED_ROUTINE DeferredRoutine, PVOID DeferredContext)
{
    MK_ENTER("KeInitializeThreadedDpc");
    MK_OBJ_FAULT(Dpc);
    dpc_init(Dpc, MK_KOBJ_THREADED_DPC, DeferredRoutine, DeferredContext);
}

BOOLEAN KeInsertQueueDpc(PRKDPC Dpc, PVOID SystemArgument1, PVOID SystemArgument2)
{
    MK_ENTER("KeInsertQueueDpc");
    MK_OBJ_FAULT(Dpc);
    mk_thread_attach();
    MK_KE_TOUCH(Dpc);
    pthread_mutex_lock(&mk_ke_lock);
    if (Dpc->DpcData) {
        pthread_mutex_unlock(&mk_ke_lock);
        return FALSE;
    }
    Dpc->ProcessorHistory = (KAFFINITY)mk_self.driver;
    mk_ke_queue_dpc_locked(Dpc, SystemArgument1, SystemArgument2, mk_self.cpu);
    BOOLEAN queued = Dpc->DpcData != NULL;
    pthread_mutex_unlock(&mk_ke_lock);
    return queued;
}

BOOLEAN KeRemoveQueueDpc(PRKDPC Dpc)
{
    MK_ENTER("KeRemoveQueueDpc");
    MK_OBJ_FAULT(Dpc);
    MK_KE_TOUCH(Dpc);
    pthread_mutex_lock(&mk_ke_lock);
    ke_cpu *c = Dpc->DpcData;
    if (!c) {
        pthread_mutex_unlock(&mk_ke_lock);
        return FALSE;
    }
    PSINGLE_LIST_ENTRY prev = NULL;
    for (PSINGLE_LIST_ENTRY e = c->head; e; prev = e, e = e->Next) {
        if (e == &Dpc->DpcListEntry) {
            if (prev)
                prev->Next = e->Next;
            else
                c->head = e->Next;
            if (c->tail == e)
                c->tail = prev;
            e->Next = NULL;
            break;
        }
    }
    Dpc->DpcData = NULL;
    pthread_mutex_unlock(&mk_ke_lock);
    return TRUE;
}

void KeSetImportanceDpc(PRKDPC Dpc, KDPC_IMPORTANCE Importance)
{
    MK_ENTER("KeSetImportanceDpc");
    MK_OBJ_FAULT(Dpc);
    Dpc->Importance = (UCHAR)Importance;
}

void KeSetTargetProcessorDpc(PRKDPC Dpc, CCHAR Number)
{
    MK_ENTER("KeSetTargetProcessorDpc");
    MK_OBJ_FAULT(Dpc);
    Dpc->Number = (USHORT)((UCHAR)Number + DPC_TARGET_BASE);
}

NTSTATUS KeSetTargetProcessorDpcEx(PKDPC Dpc, PPROCESSOR_NUMBER ProcNumber)
{
    MK_ENTER("KeSetTargetProcessorDpcEx");
    MK_OBJ_FAULT(Dpc);
    if (!ProcNumber || ProcNumber->Group != 0 || ProcNumber->Number >= mk_rt.ncpu || ProcNumber->Reserved != 0)
        return STATUS_INVALID_PARAMETER;
    Dpc->Number = (USHORT)(ProcNumber->Number + DPC_TARGET_BASE);
    return STATUS_SUCCESS;
}

void KeFlushQueuedDpcs(void)
{
    MK_ENTER("KeFlushQueuedDpcs");
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(0, NULL, NULL, __builtin_return_address(0));
    pthread_mutex_lock(&mk_ke_lock);
    for (;;) {
        int busy = 0;
        for (ULONG i = 0; i < dpc_ncpu && dpc_cpus; i++)
            if (dpc_cpus[i].head || dpc_cpus[i].running)
                busy = 1;
        if (!busy)
            break;
        pthread_cond_wait(&dpc_idle_cv, &mk_ke_lock);
    }
    pthread_mutex_unlock(&mk_ke_lock);
}

/* A DPC still queued by driver d, taken off its queue (so it is reported
 * once), or NULL. */
PKDPC mk_dpc_take_driver(struct mk_driver *d)
{
    PKDPC found = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (ULONG i = 0; i < dpc_ncpu && dpc_cpus && !found; i++)
        for (PSINGLE_LIST_ENTRY e = dpc_cpus[i].head; e; e = e->Next)
            if ((struct mk_driver *)dpc_of(e)->ProcessorHistory == d) {
                found = dpc_of(e);
                break;
            }
    pthread_mutex_unlock(&mk_ke_lock);
    if (found)
        KeRemoveQueueDpc(found);
    return found;
}

/* A DPC still queued that lies in [lo, hi) (pool being freed), or NULL. */
PKDPC mk_dpc_queued_in(const void *lo, const void *hi)
{
    PKDPC found = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (ULONG i = 0; i < dpc_ncpu && dpc_cpus && !found; i++)
        for (PSINGLE_LIST_ENTRY e = dpc_cpus[i].head; e; e = e->Next)
            if ((const char *)dpc_of(e) >= (const char *)lo && (const char *)dpc_of(e) < (const char *)hi) {
                found = dpc_of(e);
                break;
            }
    pthread_mutex_unlock(&mk_ke_lock);
    return found;
}

void mk_dpc_shutdown(void)
{
    pthread_mutex_lock(&mk_ke_lock);
    ke_cpu *cpus = dpc_cpus;
    ULONG n = dpc_ncpu;
    if (!cpus) {
        pthread_mutex_unlock(&mk_ke_lock);
        return;
    }
    dpc_stop = 1;
    for (ULONG i = 0; i < n; i++)
        pthread_cond_broadcast(&cpus[i].cv);
    pthread_mutex_unlock(&mk_ke_lock);
    for (ULONG i = 0; i < n; i++)
        pthread_join(cpus[i].thread, NULL);
    pthread_mutex_lock(&mk_ke_lock);
    dpc_cpus = NULL;
    dpc_ncpu = 0;
    dpc_stop = 0;
    pthread_mutex_unlock(&mk_ke_lock);
    for (ULONG i = 0; i < n; i++)
        pthread_cond_destroy(&cpus[i].cv);
    free(cpus);
}

NTSTATUS KeQueryDpcWatchdogInformation(PKDPC_WATCHDOG_INFORMATION WatchdogInformation)
{
    MK_ENTER("KeQueryDpcWatchdogInformation");
    MK_OBJ_FAULT(WatchdogInformation);
    /* No DPC watchdog runs in mdlkit: limits and counts of 0 mean
     * "disabled", as Windows reports them when the watchdog is off. */
    memset(WatchdogInformation, 0, sizeof *WatchdogInformation);
    return STATUS_SUCCESS;
}
