/*
 * wait.c -- the dispatcher: the lock, thread objects of host threads, the
 * satisfaction of waits when an object is signalled, KeWaitForSingleObject,
 * KeWaitForMultipleObjects, KeDelayExecutionThread, KeStallExecutionProcessor,
 * critical and guarded regions.
 *
 * A wait queues one KWAIT_BLOCK per object on the object's WaitListHead and
 * sleeps on the thread's condition variable (a real wait, with a real
 * deadline for timeouts). Whoever signals an object walks its wait list in
 * order and satisfies every wait that the new state allows (WaitAny: this
 * object; WaitAll: every object at once), consuming synchronization events
 * and timers, semaphore counts and mutex ownership as Windows does.
 *
 * mdlkit queues no APCs and no alerts, so an alertable wait ends only by
 * its objects or its timeout (never STATUS_ALERTED or STATUS_USER_APC).
 *
 * Misuse (docs/ddi-notes.md, "Dispatcher"):
 *  - a wait at IRQL > DISPATCH_LEVEL, or at DISPATCH_LEVEL with no timeout
 *    or a non-zero one: in a DPC 0xB8 ATTEMPTED_SWITCH_FROM_DPC; otherwise
 *    0xA IRQL_NOT_LESS_OR_EQUAL (object, IRQL, 0, caller);
 *  - Count > MAXIMUM_WAIT_OBJECTS, or > THREAD_WAIT_OBJECTS without a wait
 *    block array: 0xC MAXIMUM_WAIT_OBJECTS_EXCEEDED;
 *  - a wait for something that is not a dispatcher object: 0xC4 with the
 *    mdlkit rule 0x00A40001 (object, type byte).
 */
#include "mk_ke.h"
#include "mk_verifier.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KE_BAD_OBJECT_RULE 0x00A40001UL /* mdlkit rule: not a dispatcher object */
#define ATTEMPTED_SWITCH_FROM_DPC_CODE 0xB8
#define MAXIMUM_WAIT_OBJECTS_EXCEEDED_CODE 0x0C

pthread_mutex_t mk_ke_lock = PTHREAD_MUTEX_INITIALIZER;

static MK_TLS PKTHREAD ke_cur;
static MK_TLS unsigned ke_cur_gen;
static struct _KTHREAD *ke_host_threads; /* implicit thread objects (under mk_ke_lock) */
static uint64_t ke_boot_ns;
static _Atomic ULONG_PTR ke_next_tid = 8;

/* ---------------------------------------------------------------- time */

uint64_t mk_ke_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

ULONGLONG mk_ke_interrupt_time(void) { return (mk_ke_mono_ns() - ke_boot_ns) / 100u; }

LONGLONG mk_ke_system_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((LONGLONG)ts.tv_sec + 11644473600LL) * 10000000LL + ts.tv_nsec / 100;
}

int mk_ke_deadline(const LARGE_INTEGER *timeout, uint64_t *deadline_ns)
{
    if (!timeout)
        return 0;
    LONGLONG t = timeout->QuadPart;
    if (t == 0)
        return 2;
    uint64_t now = mk_ke_mono_ns();
    if (t < 0) {
        uint64_t rel = (uint64_t)(-(t + 1)) + 1; /* no overflow for INT64_MIN */
        *deadline_ns = rel > (UINT64_MAX - now) / 100 ? UINT64_MAX : now + rel * 100;
    } else {
        LONGLONG sys = mk_ke_system_time();
        *deadline_ns = t <= sys ? now : now + (uint64_t)(t - sys) * 100;
    }
    return 1;
}

/* --------------------------------------------------------- thread objects */

static void ke_thread_init_common(PKTHREAD t)
{
    memset(t, 0, sizeof *t);
    t->Header.Type = MK_KOBJ_THREAD;
    t->Header.Size = (UCHAR)(sizeof(DISPATCHER_HEADER) / sizeof(LONG));
    InitializeListHead(&t->Header.WaitListHead);
    t->magic = MK_KTHREAD_MAGIC;
    t->generation = atomic_load(&mk_rt.generation);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&t->cv, &a);
    pthread_condattr_destroy(&a);
    t->priority = 8;
    t->base_priority = 8;
    t->cid = (HANDLE)atomic_fetch_add(&ke_next_tid, 4);
}

/* Used by psthread.c for the thread objects it makes (zeroed bodies). */
void mk_ke_thread_setup(PKTHREAD t) { ke_thread_init_common(t); }

void mk_ke_set_current(PKTHREAD t)
{
    ke_cur = t;
    ke_cur_gen = atomic_load(&mk_rt.generation);
}

PKTHREAD mk_ke_current(void)
{
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_LIKELY(ke_cur && ke_cur_gen == gen))
        return ke_cur;
    PKTHREAD t = calloc(1, sizeof *t);
    if (!t) {
        fprintf(stderr, "mdlkit: out of host memory for a thread object\n");
        abort();
    }
    ke_thread_init_common(t);
    t->host_memory = 1;
    pthread_mutex_lock(&mk_ke_lock);
    t->next_all = ke_host_threads;
    ke_host_threads = t;
    pthread_mutex_unlock(&mk_ke_lock);
    ke_cur = t;
    ke_cur_gen = gen;
    return t;
}

int mk_ke_in_dpc(void)
{
    return ke_cur && ke_cur_gen == atomic_load_explicit(&mk_rt.generation, memory_order_relaxed) && ke_cur->in_dpc;
}

/* ------------------------------------------------------------ misuse */

MK_NORETURN void mk_ke_irql_violation(ULONG rule, const char *why, const void *object, void *caller)
{
    if (rule && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(rule, why, 0, 0);
    mk_bugcheck(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)object, mk_self.irql, 0, (ULONG_PTR)caller);
}

/* ------------------------------------------------------ object states */

static int ke_is_dispatcher_type(UCHAR type)
{
    switch (type) {
    case MK_KOBJ_EVENT_NOTIFICATION:
    case MK_KOBJ_EVENT_SYNCHRONIZATION:
    case MK_KOBJ_MUTANT:
    case MK_KOBJ_SEMAPHORE:
    case MK_KOBJ_THREAD:
    case MK_KOBJ_TIMER_NOTIFICATION:
    case MK_KOBJ_TIMER_SYNCHRONIZATION:
        return 1;
    default:
        return 0;
    }
}

static int ke_signalled_for(DISPATCHER_HEADER *h, PKTHREAD t)
{
    if (h->Type == MK_KOBJ_MUTANT) {
        PKMUTANT m = (PKMUTANT)h;
        return h->SignalState > 0 || m->OwnerThread == t;
    }
    return h->SignalState > 0;
}

/* The object satisfied a wait of t: take what the wait consumes. Returns
 * STATUS_ABANDONED when an abandoned mutex was acquired. */
static NTSTATUS ke_consume(DISPATCHER_HEADER *h, PKTHREAD t)
{
    switch (h->Type) {
    case MK_KOBJ_EVENT_SYNCHRONIZATION:
    case MK_KOBJ_TIMER_SYNCHRONIZATION:
        h->SignalState = 0;
        break;
    case MK_KOBJ_SEMAPHORE:
        h->SignalState--;
        break;
    case MK_KOBJ_MUTANT: {
        PKMUTANT m = (PKMUTANT)h;
        h->SignalState--;
        if (h->SignalState == 0) {
            m->OwnerThread = t;
            t->mutants_owned++;
            if (m->Abandoned) {
                m->Abandoned = 0;
                return STATUS_ABANDONED;
            }
        }
        break;
    }
    default:
        break;
    }
    return STATUS_SUCCESS;
}

static void ke_unlink_blocks(PKTHREAD t)
{
    for (ULONG i = 0; i < t->wait_count; i++) {
        PKWAIT_BLOCK b = &t->wait_blocks[i];
        if (b->WaitListEntry.Flink) {
            RemoveEntryList(&b->WaitListEntry);
            b->WaitListEntry.Flink = b->WaitListEntry.Blink = NULL;
        }
    }
}

/* Can t's wait be satisfied now? Consumes and ends the wait if so. */
static int ke_try_satisfy(PKTHREAD t, PKWAIT_BLOCK by)
{
    if (t->wait_type == WaitAny) {
        DISPATCHER_HEADER *h = by->Object;
        if (!ke_signalled_for(h, t))
            return 0;
        NTSTATUS st = ke_consume(h, t);
        t->wait_status = (st == STATUS_ABANDONED ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + by->WaitKey;
    } else {
        for (ULONG i = 0; i < t->wait_count; i++)
            if (!ke_signalled_for(t->wait_blocks[i].Object, t))
                return 0;
        NTSTATUS st = STATUS_SUCCESS;
        for (ULONG i = 0; i < t->wait_count; i++)
            if (ke_consume(t->wait_blocks[i].Object, t) == STATUS_ABANDONED)
                st = STATUS_ABANDONED_WAIT_0;
        t->wait_status = st;
    }
    ke_unlink_blocks(t);
    t->wait_active = 0;
    pthread_cond_signal(&t->cv);
    return 1;
}

void mk_ke_signal_locked(DISPATCHER_HEADER *h)
{
    if (!h->WaitListHead.Flink)
        return;
    int again = 1;
    while (again && h->SignalState > 0) {
        again = 0;
        for (PLIST_ENTRY e = h->WaitListHead.Flink; e != &h->WaitListHead; e = e->Flink) {
            PKWAIT_BLOCK b = CONTAINING_RECORD(e, KWAIT_BLOCK, WaitListEntry);
            if (ke_try_satisfy(b->Thread, b)) {
                again = 1; /* the list changed: walk it again */
                break;
            }
        }
    }
}

/* --------------------------------------------------------------- waits */

static MK_NORETURN MK_NOINLINE void ke_wait_bad_irql(const void *object, void *caller)
{
    if (mk_ke_in_dpc())
        mk_bugcheck(ATTEMPTED_SWITCH_FROM_DPC_CODE, (ULONG_PTR)ke_cur, 0, (ULONG_PTR)object, 0);
    mk_ke_irql_violation(0, NULL, object, caller);
}

static NTSTATUS ke_wait(ULONG count, PVOID *objects, WAIT_TYPE type, PLARGE_INTEGER timeout,
                        PKWAIT_BLOCK blocks, void *caller)
{
    mk_thread_attach();
    KIRQL irql = mk_self.irql;
    uint64_t deadline = 0;
    int kind = mk_ke_deadline(timeout, &deadline);
    if (irql > DISPATCH_LEVEL || (irql == DISPATCH_LEVEL && kind != 2))
        ke_wait_bad_irql(count ? objects[0] : NULL, caller);
    for (ULONG i = 0; i < count; i++) {
        DISPATCHER_HEADER *h = objects[i];
        if (!h || !ke_is_dispatcher_type(h->Type))
            mk_violation(KE_BAD_OBJECT_RULE, "KeWaitFor... was given an object that is not a dispatcher object",
                         (ULONG_PTR)h, h ? h->Type : 0);
    }
    PKTHREAD t = mk_ke_current();
    if (!blocks)
        blocks = t->own_blocks;

    pthread_mutex_lock(&mk_ke_lock);
    for (ULONG i = 0; i < count; i++) {
        DISPATCHER_HEADER *h = objects[i];
        if (!h->WaitListHead.Flink)
            InitializeListHead(&h->WaitListHead); /* zeroed, never initialised: treated as fresh */
    }
    /* satisfied at once? */
    NTSTATUS st = STATUS_TIMEOUT;
    int done = 0;
    if (type == WaitAny) {
        for (ULONG i = 0; i < count && !done; i++) {
            if (ke_signalled_for(objects[i], t)) {
                NTSTATUS c = ke_consume(objects[i], t);
                st = (c == STATUS_ABANDONED ? STATUS_ABANDONED_WAIT_0 : STATUS_WAIT_0) + (NTSTATUS)i;
                done = 1;
            }
        }
    } else if (count) {
        int all = 1;
        for (ULONG i = 0; i < count; i++)
            if (!ke_signalled_for(objects[i], t))
                all = 0;
        if (all) {
            st = STATUS_SUCCESS;
            for (ULONG i = 0; i < count; i++)
                if (ke_consume(objects[i], t) == STATUS_ABANDONED)
                    st = STATUS_ABANDONED_WAIT_0;
            done = 1;
        }
    }
    if (done || kind == 2) {
        pthread_mutex_unlock(&mk_ke_lock);
        return done ? st : STATUS_TIMEOUT;
    }
    /* queue the wait blocks and sleep */
    t->wait_blocks = blocks;
    t->wait_count = count;
    t->wait_type = type;
    t->wait_active = 1;
    t->wait_status = STATUS_TIMEOUT;
    for (ULONG i = 0; i < count; i++) {
        PKWAIT_BLOCK b = &blocks[i];
        memset(b, 0, sizeof *b);
        b->WaitType = (UCHAR)type;
        b->WaitKey = (USHORT)i;
        b->Thread = t;
        b->Object = objects[i];
        InsertTailList(&((DISPATCHER_HEADER *)objects[i])->WaitListHead, &b->WaitListEntry);
    }
    while (t->wait_active) {
        if (kind == 1) {
            struct timespec ts;
            ts.tv_sec = (time_t)(deadline / 1000000000ull);
            ts.tv_nsec = (long)(deadline % 1000000000ull);
            int rc = pthread_cond_timedwait(&t->cv, &mk_ke_lock, &ts);
            if (rc == ETIMEDOUT && t->wait_active) {
                ke_unlink_blocks(t);
                t->wait_active = 0;
                t->wait_status = STATUS_TIMEOUT;
            }
        } else {
            pthread_cond_wait(&t->cv, &mk_ke_lock);
        }
    }
    st = t->wait_status;
    t->wait_count = 0;
    t->wait_blocks = NULL;
    pthread_mutex_unlock(&mk_ke_lock);
    return st;
}

NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
                               PLARGE_INTEGER Timeout)
{
    MK_ENTER("KeWaitForSingleObject");
    (void)WaitReason;
    (void)WaitMode;
    (void)Alertable;
    PVOID objs[1] = {Object};
    return ke_wait(1, objs, WaitAny, Timeout, NULL, __builtin_return_address(0));
}

NTSTATUS KeWaitForMultipleObjects(ULONG Count, PVOID Object[], WAIT_TYPE WaitType, KWAIT_REASON WaitReason,
                                  KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Timeout,
                                  PKWAIT_BLOCK WaitBlockArray)
{
    MK_ENTER("KeWaitForMultipleObjects");
    (void)WaitReason;
    (void)WaitMode;
    (void)Alertable;
    if (Count > MAXIMUM_WAIT_OBJECTS || (!WaitBlockArray && Count > THREAD_WAIT_OBJECTS))
        mk_bugcheck(MAXIMUM_WAIT_OBJECTS_EXCEEDED_CODE, Count, (ULONG_PTR)WaitBlockArray, 0, 0);
    if (Count == 0 || (WaitType != WaitAll && WaitType != WaitAny))
        mk_raise(STATUS_INVALID_PARAMETER);
    return ke_wait(Count, Object, WaitType, Timeout, WaitBlockArray, __builtin_return_address(0));
}

NTSTATUS KeDelayExecutionThread(KPROCESSOR_MODE WaitMode, BOOLEAN Alertable, PLARGE_INTEGER Interval)
{
    MK_ENTER("KeDelayExecutionThread");
    (void)WaitMode;
    (void)Alertable;
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        ke_wait_bad_irql(NULL, __builtin_return_address(0));
    if (!Interval)
        mk_raise(STATUS_ACCESS_VIOLATION);
    uint64_t deadline = 0;
    int kind = mk_ke_deadline(Interval, &deadline);
    if (kind != 1)
        return STATUS_SUCCESS; /* a zero interval gives up the processor: nothing to wait for */
    (void)ke_wait(0, NULL, WaitAny, Interval, NULL, __builtin_return_address(0)); /* always times out */
    return STATUS_SUCCESS;
}

void KeStallExecutionProcessor(ULONG MicroSeconds)
{
    MK_ENTER("KeStallExecutionProcessor");
    uint64_t end = mk_ke_mono_ns() + (uint64_t)MicroSeconds * 1000u;
    while (mk_ke_mono_ns() < end)
        ;
}

/* ------------------------------------------------ critical/guarded regions */

void KeEnterCriticalRegion(void)
{
    MK_ENTER("KeEnterCriticalRegion");
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_ke_irql_violation(MK_RULE_CRITICAL_REGIONS, "KeEnterCriticalRegion must be called at IRQL <= APC_LEVEL",
                             NULL, __builtin_return_address(0));
    mk_ke_current()->critical_regions++;
}

void KeLeaveCriticalRegion(void)
{
    MK_ENTER("KeLeaveCriticalRegion");
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL && mk_verifier_on(MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_ke_irql_violation(MK_RULE_CRITICAL_REGIONS, "KeLeaveCriticalRegion must be called at IRQL <= APC_LEVEL",
                             NULL, __builtin_return_address(0));
    PKTHREAD t = mk_ke_current();
    if (t->critical_regions <= 0) {
        /* KernelApcDisable would go positive: APC_INDEX_MISMATCH */
        if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MK_RULE_CRITICAL_REGIONS, "KeLeaveCriticalRegion without KeEnterCriticalRegion", 0, 0);
        mk_bugcheck(0x01, (ULONG_PTR)__builtin_return_address(0), 0, 1, 0);
    }
    t->critical_regions--;
}

void KeEnterGuardedRegion(void)
{
    MK_ENTER("KeEnterGuardedRegion");
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(MK_RULE_GUARDED_REGIONS, "KeEnterGuardedRegion must be called at IRQL <= APC_LEVEL",
                             NULL, __builtin_return_address(0));
    mk_ke_current()->guarded_regions++;
}

void KeLeaveGuardedRegion(void)
{
    MK_ENTER("KeLeaveGuardedRegion");
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(MK_RULE_GUARDED_REGIONS, "KeLeaveGuardedRegion must be called at IRQL <= APC_LEVEL",
                             NULL, __builtin_return_address(0));
    PKTHREAD t = mk_ke_current();
    if (t->guarded_regions <= 0) {
        if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MK_RULE_GUARDED_REGIONS, "KeLeaveGuardedRegion without KeEnterGuardedRegion", 0, 0);
        mk_bugcheck(0x01, (ULONG_PTR)__builtin_return_address(0), 0, (ULONG_PTR)1 << 16, 0);
    }
    t->guarded_regions--;
}

BOOLEAN KeAreApcsDisabled(void)
{
    MK_ENTER("KeAreApcsDisabled");
    mk_thread_attach();
    PKTHREAD t = mk_ke_current();
    return (BOOLEAN)(t->critical_regions > 0 || t->guarded_regions > 0 || mk_self.irql >= APC_LEVEL);
}

BOOLEAN KeAreAllApcsDisabled(void)
{
    MK_ENTER("KeAreAllApcsDisabled");
    mk_thread_attach();
    return (BOOLEAN)(mk_ke_current()->guarded_regions > 0 || mk_self.irql >= APC_LEVEL);
}

/* ---------------------------------------------------------- lifecycle */


/* Frees the thread objects of host threads of the previous machine. */
static void ke_free_host_threads(void)
{
    pthread_mutex_lock(&mk_ke_lock);
    struct _KTHREAD *l = ke_host_threads;
    ke_host_threads = NULL;
    pthread_mutex_unlock(&mk_ke_lock);
    while (l) {
        struct _KTHREAD *n = l->next_all;
        pthread_cond_destroy(&l->cv);
        free(l);
        l = n;
    }
}

int mk_ke_init(void)
{
    /* what a layer stopped after mk_ke_shutdown may have started again */
    mk_timer_shutdown();
    mk_dpc_shutdown();
    ke_free_host_threads();
    ke_cur = NULL;
    ke_boot_ns = mk_ke_mono_ns() - 100000000ull; /* the machine has been up 0.1 s */
    return 0;
}

void mk_ke_shutdown(void)
{
    mk_timer_shutdown();
    mk_dpc_shutdown();
    /* The host threads' thread objects stay until the next mdlkit_init:
     * layers that stop after this one may still wait on their threads. */
}
