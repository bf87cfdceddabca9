/*
 * sync.c -- StorPort synchronisation: the StartIo, interrupt, DPC and MSI
 * spin locks (StorPortAcquireSpinLock / ReleaseSpinLock, Acquire/Release
 * MSISpinLock) with their IRQLs and StorPort's lock hierarchy (DPC lock <
 * StartIo lock < interrupt/MSI locks: a lock is taken only above every
 * lock the processor holds), DPCs (StorPortInitializeDpc / IssueDpc), the
 * two kinds of timers (RequestTimerCall and HW_TIMER_EX), and the queue
 * controls (StorPortBusy/Ready/Pause/Resume, SetDeviceQueueDepth), and
 * StorPortSynchronizeAccess (the interrupt lock at the device IRQL).
 */
#include "sp.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>

#define SP_HELD_MAX 16
#define SP_LEVEL_DPC 1
#define SP_LEVEL_STARTIO 2
#define SP_LEVEL_INTERRUPT 3

typedef struct sp_held {
    void *lock;
    int level;
    int kind; /* STOR_SPINLOCK, or 100 + message for MSI locks */
} sp_held;

static MK_TLS sp_held sp_stack[SP_HELD_MAX];
static MK_TLS int sp_nheld;
static MK_TLS unsigned sp_gen;
static MK_TLS int sp_startio_depth;

void mk_sp_startio_enter(void) { sp_startio_depth++; }
void mk_sp_startio_leave(void) { sp_startio_depth--; }
int mk_sp_in_startio(void) { return sp_gen == atomic_load(&mk_rt.generation) ? sp_startio_depth : 0; }

void mk_sp_locks_reset_stale(void)
{
    unsigned gen = atomic_load(&mk_rt.generation);
    sp_startio_depth = 0; /* harness entry points run outside HwStartIo */
    if (sp_gen != gen) {
        sp_gen = gen; /* a new machine: the locks of the old one are gone */
        sp_nheld = 0;
        return;
    }
    /* A harness entry point runs outside miniport code: a lock still
     * recorded was left by a bug check caught inside a callback. */
    while (sp_nheld) {
        sp_held h = sp_stack[--sp_nheld];
        atomic_store_explicit(&((mk_sp_lock *)h.lock)->owner, NULL, memory_order_release);
    }
}

static int sp_kind_level(int kind)
{
    switch (kind) {
    case DpcLock:
    case ThreadedDpcLock:
    case DpcLevelLock:
        return SP_LEVEL_DPC;
    case StartIoLock:
        return SP_LEVEL_STARTIO;
    default:
        return SP_LEVEL_INTERRUPT;
    }
}

int mk_sp_locks_held(void) { return sp_gen == atomic_load(&mk_rt.generation) ? sp_nheld : 0; }

static void sp_lock_init(mk_sp_lock *l) { atomic_store(&l->owner, NULL); }

void mk_sp_locks_init(mk_sp_adapter *a)
{
    sp_lock_init(&a->startio_lock);
    sp_lock_init(&a->interrupt_lock);
    for (int i = 0; i < MK_SP_MAX_MSI; i++)
        sp_lock_init(&a->msi_lock[i]);
}

void mk_sp_locks_destroy(mk_sp_adapter *a)
{
    for (ULONG i = 0; i < a->ndpcs; i++)
        free(a->dpcs[i].lock);
}

/* The hierarchy: a lock is taken only above every lock the processor holds
 * (MSI locks may be taken together, at the interrupt level). */
static void sp_check_order(int kind)
{
    int level = sp_kind_level(kind >= 100 ? InterruptLock : kind);
    for (int i = 0; i < sp_nheld; i++)
        if (sp_stack[i].level > level || (sp_stack[i].level == level && level != SP_LEVEL_INTERRUPT))
            mk_violation(MDLKIT_RULE_STORPORT_LOCK_ORDER,
                         "StorPort locks taken out of order: the DPC lock, then the StartIo lock, then the "
                         "interrupt (or MSI) lock, never the other way round",
                         (ULONG_PTR)(kind >= 100 ? InterruptLock : kind),
                         (ULONG_PTR)(sp_stack[i].kind >= 100 ? InterruptLock : sp_stack[i].kind));
}

/* Takes l for the calling processor, checking the hierarchy. */
static void sp_acquire(mk_sp_lock *l, int kind)
{
    int level = sp_kind_level(kind >= 100 ? InterruptLock : kind);
    void *me = &mk_self;
    if (atomic_load(&l->owner) == me)
        mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE,
                     "A StorPort spin lock was acquired by the processor that already holds it (deadlock)",
                     (ULONG_PTR)kind, 2);
    sp_check_order(kind);
    if (sp_nheld >= SP_HELD_MAX)
        mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE, "Too many StorPort spin locks held at once", (ULONG_PTR)kind,
                     2);
    for (unsigned spins = 0;; spins++) {
        void *expected = NULL;
        if (atomic_compare_exchange_weak_explicit(&l->owner, &expected, me, memory_order_acquire,
                                                  memory_order_relaxed))
            break;
        if (spins > 64)
            sched_yield();
    }
    sp_stack[sp_nheld++] = (sp_held){l, level, kind};
}

static void sp_release(mk_sp_lock *l, int kind)
{
    int at = -1;
    for (int i = sp_nheld - 1; i >= 0; i--)
        if (sp_stack[i].lock == l) {
            at = i;
            break;
        }
    if (at < 0 || atomic_load(&l->owner) != (void *)&mk_self)
        mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE,
                     "A StorPort spin lock was released by a processor that does not hold it", (ULONG_PTR)kind, 1);
    memmove(&sp_stack[at], &sp_stack[at + 1], (size_t)(sp_nheld - at - 1) * sizeof sp_stack[0]);
    sp_nheld--;
    atomic_store_explicit(&l->owner, NULL, memory_order_release);
}

void mk_sp_check_no_locks(mk_sp_adapter *a, int port_holds)
{
    (void)a;
    (void)port_holds;
    if (sp_nheld) {
        int kind = sp_stack[sp_nheld - 1].kind;
        /* drop them so the runtime stays usable after a caught report */
        while (sp_nheld) {
            sp_held h = sp_stack[--sp_nheld];
            atomic_store_explicit(&((mk_sp_lock *)h.lock)->owner, NULL, memory_order_release);
        }
        mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE,
                     "A miniport callback returned to StorPort with a StorPort spin lock still held",
                     (ULONG_PTR)(kind >= 100 ? InterruptLock : kind), 3);
    }
}

static void sp_interrupt_acquire(mk_sp_adapter *a)
{
    sp_acquire(&a->interrupt_lock, InterruptLock);
}

static void sp_interrupt_release(mk_sp_adapter *a) { sp_release(&a->interrupt_lock, InterruptLock); }

void mk_sp_isr_lock(mk_sp_adapter *a, ULONG message, int per_message)
{
    if (per_message && message < MK_SP_MAX_MSI)
        sp_acquire(&a->msi_lock[message], 100 + (int)message);
    else
        sp_interrupt_acquire(a);
}

void mk_sp_isr_unlock(mk_sp_adapter *a, ULONG message, int per_message)
{
    if (per_message && message < MK_SP_MAX_MSI)
        sp_release(&a->msi_lock[message], 100 + (int)message);
    else
        sp_interrupt_release(a);
}

void mk_sp_startio_lock(mk_sp_adapter *a) { sp_acquire(&a->startio_lock, StartIoLock); }
void mk_sp_startio_unlock(mk_sp_adapter *a) { sp_release(&a->startio_lock, StartIoLock); }

/* ------------------------------------------------------------------------
 * DPCs
 * ---------------------------------------------------------------------- */
static mk_sp_dpc *sp_dpc_find(mk_sp_adapter *a, PSTOR_DPC dpc)
{
    for (ULONG i = 0; i < a->ndpcs; i++)
        if (a->dpcs[i].dpc == dpc)
            return &a->dpcs[i];
    return NULL;
}

static mk_sp_lock *sp_dpc_lock(mk_sp_adapter *a, PSTOR_DPC dpc, int kind)
{
    pthread_mutex_lock(&a->lock);
    mk_sp_dpc *d = sp_dpc_find(a, dpc);
    mk_sp_lock *l = d ? d->lock : NULL;
    pthread_mutex_unlock(&a->lock);
    if (!l)
        mk_violation(MDLKIT_RULE_STORPORT_DPC,
                     "StorPortAcquireSpinLock(DpcLock) was given a STOR_DPC that StorPortInitializeDpc did not "
                     "initialise for this adapter",
                     (ULONG_PTR)dpc, 1);
    (void)kind;
    return l;
}

void mk_sp_notify_dpc(mk_sp_adapter *a, va_list *ap, int issue)
{
    PSTOR_DPC dpc = va_arg(*ap, PSTOR_DPC);
    if (!issue) {
        PHW_DPC_ROUTINE routine = va_arg(*ap, PHW_DPC_ROUTINE);
        if (!dpc || !routine)
            return;
        pthread_mutex_lock(&a->lock);
        mk_sp_dpc *d = sp_dpc_find(a, dpc);
        if (!d && a->ndpcs < MK_SP_MAX_DPCS) {
            d = &a->dpcs[a->ndpcs++];
            memset(d, 0, sizeof *d);
            d->lock = calloc(1, sizeof *d->lock);
            if (d->lock)
                sp_lock_init(d->lock);
        }
        if (d && d->queued) {
            pthread_mutex_unlock(&a->lock);
            mk_violation(MDLKIT_RULE_STORPORT_DPC, "StorPortInitializeDpc on a STOR_DPC that is queued",
                         (ULONG_PTR)dpc, 2);
        }
        if (d) {
            memset(dpc, 0, sizeof *dpc);
            d->dpc = dpc;
            d->routine = routine;
        }
        pthread_mutex_unlock(&a->lock);
        return;
    }
    PVOID a1 = va_arg(*ap, PVOID);
    PVOID a2 = va_arg(*ap, PVOID);
    BOOLEAN *result = va_arg(*ap, BOOLEAN *);
    pthread_mutex_lock(&a->lock);
    mk_sp_dpc *d = dpc ? sp_dpc_find(a, dpc) : NULL;
    BOOLEAN queued = FALSE;
    if (d && !d->queued) {
        d->queued = 1;
        d->arg1 = a1;
        d->arg2 = a2;
        d->seq = ++a->dpc_seq;
        queued = TRUE;
    }
    pthread_mutex_unlock(&a->lock);
    if (!d)
        mk_violation(MDLKIT_RULE_STORPORT_DPC,
                     "StorPortIssueDpc was given a STOR_DPC that StorPortInitializeDpc did not initialise",
                     (ULONG_PTR)dpc, 1);
    if (result)
        *result = queued;
}

ULONG mk_sp_run_dpcs(mk_sp_adapter *a)
{
    ULONG ran = 0;
    if (mk_irql() > DISPATCH_LEVEL || sp_nheld)
        return 0;
    for (;;) {
        mk_sp_dpc run;
        int found = 0;
        pthread_mutex_lock(&a->lock);
        mk_sp_dpc *best = NULL;
        for (ULONG i = 0; i < a->ndpcs; i++)
            if (a->dpcs[i].queued && (!best || a->dpcs[i].seq < best->seq))
                best = &a->dpcs[i];
        if (best) {
            best->queued = 0;
            run = *best;
            found = 1;
            a->info.dpcs++;
        }
        pthread_mutex_unlock(&a->lock);
        if (!found)
            return ran;
        KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
        mk_port_frame f;
        mk_port_call_miniport(&f, a->spd->drv);
        run.routine(run.dpc, a->ext, run.arg1, run.arg2);
        mk_port_return_from_miniport(&f);
        mk_sp_lower(old);
        mk_sp_check_no_locks(a, 0);
        ran++;
    }
}

/* ------------------------------------------------------------------------
 * StorPortAcquireSpinLock / ReleaseSpinLock (through StorPortNotification)
 * ---------------------------------------------------------------------- */
/* StorPortSynchronizeAccess: the routine runs as KeSynchronizeExecution
 * runs one -- at the device IRQL, holding the lock the ISR runs under (the
 * interrupt lock) -- and its answer is returned. Called with that lock
 * already held (from the ISR itself, or inside an InterruptLock section) it
 * would deadlock on Windows: the lock check reports it as held twice. */
BOOLEAN StorPortSynchronizeAccess(PVOID HwDeviceExtension, PSTOR_SYNCHRONIZED_ACCESS SynchronizedAccessRoutine,
                                  PVOID Context)
{
    MK_ENTER("StorPortSynchronizeAccess");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (!SynchronizedAccessRoutine)
        mk_bugcheck(KMODE_EXCEPTION_NOT_HANDLED, (ULONG_PTR)STATUS_ACCESS_VIOLATION, 0, 0, 0); /* a call through NULL */
    if (mk_irql() > MK_SP_DIRQL)
        mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortSynchronizeAccess above the device IRQL", mk_irql(), 0);
    KIRQL old = mk_sp_raise(MK_SP_DIRQL);
    sp_interrupt_acquire(a);
    BOOLEAN r = SynchronizedAccessRoutine(a->ext, Context);
    sp_interrupt_release(a);
    mk_sp_lower(old);
    return r;
}

void mk_sp_notify_lock(mk_sp_adapter *a, va_list *ap, int acquire)
{
    if (acquire) {
        STOR_SPINLOCK kind = (STOR_SPINLOCK)va_arg(*ap, int);
        PVOID ctx = va_arg(*ap, PVOID);
        PSTOR_LOCK_HANDLE h = va_arg(*ap, PSTOR_LOCK_HANDLE);
        if (!h)
            mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE, "StorPortAcquireSpinLock without a STOR_LOCK_HANDLE",
                         (ULONG_PTR)kind, 0);
        memset(h, 0, sizeof *h);
        h->Lock = kind;
        switch (kind) {
        case InterruptLock: {
            KIRQL old = mk_sp_raise(MK_SP_DIRQL);
            sp_interrupt_acquire(a);
            h->Context.OldIrql = old;
            h->Context.LockQueue.Lock = &a->interrupt_lock;
            break;
        }
        case StartIoLock: {
            sp_check_order(StartIoLock);
            if (mk_irql() > DISPATCH_LEVEL)
                mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortAcquireSpinLock(StartIoLock) above DISPATCH_LEVEL",
                             mk_irql(), (ULONG_PTR)kind);
            KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
            sp_acquire(&a->startio_lock, StartIoLock);
            h->Context.OldIrql = old;
            h->Context.LockQueue.Lock = &a->startio_lock;
            break;
        }
        case DpcLock:
        case ThreadedDpcLock:
        case DpcLevelLock: {
            sp_check_order(kind);
            if (mk_irql() > DISPATCH_LEVEL)
                mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortAcquireSpinLock(DpcLock) above DISPATCH_LEVEL",
                             mk_irql(), (ULONG_PTR)kind);
            mk_sp_lock *l = sp_dpc_lock(a, (PSTOR_DPC)ctx, kind);
            KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
            sp_acquire(l, kind);
            h->Context.OldIrql = old;
            h->Context.LockQueue.Lock = l;
            break;
        }
        default:
            mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE, "StorPortAcquireSpinLock with an unknown STOR_SPINLOCK",
                         (ULONG_PTR)kind, 0);
        }
        return;
    }
    PSTOR_LOCK_HANDLE h = va_arg(*ap, PSTOR_LOCK_HANDLE);
    if (!h || !h->Context.LockQueue.Lock)
        mk_violation(MDLKIT_RULE_STORPORT_LOCK_STATE,
                     "StorPortReleaseSpinLock with a STOR_LOCK_HANDLE that holds no lock", (ULONG_PTR)(h ? h->Lock : 0),
                     1);
    mk_sp_lock *l = h->Context.LockQueue.Lock;
    sp_release(l, h->Lock);
    h->Context.LockQueue.Lock = NULL;
    mk_sp_lower(h->Context.OldIrql);
}

ULONG mk_sp_msi_lock_function(mk_sp_adapter *a, int acquire, va_list *ap)
{
    ULONG message = va_arg(*ap, ULONG);
    if (message >= a->msix_messages || message >= MK_SP_MAX_MSI) {
        if (acquire) {
            PULONG old = va_arg(*ap, PULONG);
            if (old)
                *old = mk_irql();
        }
        return STOR_STATUS_INVALID_PARAMETER;
    }
    if (acquire) {
        PULONG old = va_arg(*ap, PULONG);
        if (!old)
            return STOR_STATUS_INVALID_PARAMETER;
        KIRQL o = mk_sp_raise(MK_SP_DIRQL);
        sp_acquire(&a->msi_lock[message], 100 + (int)message);
        *old = o;
        return STOR_STATUS_SUCCESS;
    }
    ULONG old = va_arg(*ap, ULONG);
    sp_release(&a->msi_lock[message], 100 + (int)message);
    mk_sp_lower((KIRQL)old);
    return STOR_STATUS_SUCCESS;
}

ULONG mk_sp_msi_info(mk_sp_adapter *a, ULONG message, PMESSAGE_INTERRUPT_INFORMATION out)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    if (message >= a->msix_messages)
        return STOR_STATUS_INVALID_PARAMETER; /* how a miniport counts its messages */
    memset(out, 0, sizeof *out);
    out->MessageId = message;
    out->MessageData = message;
    out->MessageAddress.QuadPart = 0xFEE00000LL;
    out->InterruptVector = 0x60 + message;
    out->InterruptLevel = MK_SP_DIRQL;
    out->InterruptMode = Latched;
    return STOR_STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Timers
 * ---------------------------------------------------------------------- */
void mk_sp_notify_timer(mk_sp_adapter *a, va_list *ap)
{
    PHW_TIMER fn = va_arg(*ap, PHW_TIMER);
    ULONG usec = va_arg(*ap, ULONG);
    pthread_mutex_lock(&a->lock);
    mk_sp_timer *t = &a->timers[0]; /* slot 0: the one RequestTimerCall timer */
    t->used = 2;
    t->legacy = fn;
    t->armed = fn && usec;
    t->due = a->clock_us + usec;
    pthread_mutex_unlock(&a->lock);
}

ULONG mk_sp_timer_function(mk_sp_adapter *a, STORPORT_FUNCTION_CODE code, va_list *ap)
{
    if (code == ExtFunctionInitializeTimer) {
        PVOID *out = va_arg(*ap, PVOID *);
        if (!out)
            return STOR_STATUS_INVALID_PARAMETER;
        *out = NULL;
        if (mk_irql() > DISPATCH_LEVEL)
            return STOR_STATUS_INVALID_IRQL;
        pthread_mutex_lock(&a->lock);
        for (int i = 1; i < MK_SP_MAX_TIMERS; i++)
            if (!a->timers[i].used) {
                memset(&a->timers[i], 0, sizeof a->timers[i]);
                a->timers[i].used = 1;
                *out = &a->timers[i];
                break;
            }
        pthread_mutex_unlock(&a->lock);
        return *out ? STOR_STATUS_SUCCESS : STOR_STATUS_INSUFFICIENT_RESOURCES;
    }
    mk_sp_timer *t = va_arg(*ap, mk_sp_timer *);
    if (!t || t < &a->timers[1] || t >= &a->timers[MK_SP_MAX_TIMERS] || t->used != 1)
        return STOR_STATUS_INVALID_PARAMETER;
    if (code == ExtFunctionFreeTimer) {
        if (mk_irql() > DISPATCH_LEVEL)
            return STOR_STATUS_INVALID_IRQL;
        pthread_mutex_lock(&a->lock);
        t->used = 0;
        t->armed = 0;
        pthread_mutex_unlock(&a->lock);
        return STOR_STATUS_SUCCESS;
    }
    /* ExtFunctionRequestTimer */
    PHW_TIMER_EX cb = va_arg(*ap, PHW_TIMER_EX);
    PVOID ctx = va_arg(*ap, PVOID);
    ULONGLONG value = va_arg(*ap, ULONGLONG);
    (void)va_arg(*ap, ULONGLONG); /* tolerable delay */
    pthread_mutex_lock(&a->lock);
    ULONG st = STOR_STATUS_SUCCESS;
    if (value == 0) {
        t->armed = 0; /* a zero value cancels */
    } else if (!cb) {
        st = STOR_STATUS_INVALID_PARAMETER;
    } else if (t->armed) {
        st = STOR_STATUS_BUSY; /* already pending: cancel first */
    } else {
        t->callback = cb;
        t->context = ctx;
        t->due = a->clock_us + value;
        t->armed = 1;
    }
    pthread_mutex_unlock(&a->lock);
    return st;
}

void mdlkit_storport_advance_timers(PVOID hw_device_extension, ULONG64 usec)
{
    MK_ENTER("mdlkit_storport_advance_timers");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a || mk_irql() > DISPATCH_LEVEL)
        return;
    pthread_mutex_lock(&a->lock);
    ULONG64 until = a->clock_us + usec;
    pthread_mutex_unlock(&a->lock);
    for (;;) {
        pthread_mutex_lock(&a->lock);
        mk_sp_timer *best = NULL;
        for (int i = 0; i < MK_SP_MAX_TIMERS; i++)
            if (a->timers[i].armed && a->timers[i].due <= until && (!best || a->timers[i].due < best->due))
                best = &a->timers[i];
        mk_sp_timer run = {0};
        if (best) {
            best->armed = 0;
            run = *best;
            if (run.due > a->clock_us)
                a->clock_us = run.due;
        } else {
            a->clock_us = until;
        }
        pthread_mutex_unlock(&a->lock);
        if (!best)
            break;
        /* HwStorTimer / HW_TIMER_EX at DISPATCH_LEVEL; half duplex: under
         * the StartIo lock (docs/ddi-notes.md). */
        int half = a->config.SynchronizationModel == StorSynchronizeHalfDuplex;
        KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
        if (half)
            mk_sp_startio_lock(a);
        mk_port_frame f;
        mk_port_call_miniport(&f, a->spd->drv);
        if (run.used == 2)
            run.legacy(a->ext);
        else
            run.callback(a->ext, run.context);
        mk_port_return_from_miniport(&f);
        if (half)
            mk_sp_startio_unlock(a);
        mk_sp_lower(old);
        mk_sp_check_no_locks(a, 0);
        mk_sp_deliver(a);
    }
    mk_sp_deliver(a); /* the new time may end a StorPortPause: held requests start */
}

/* ------------------------------------------------------------------------
 * Queue controls
 * ---------------------------------------------------------------------- */
BOOLEAN StorPortBusy(PVOID HwDeviceExtension, ULONG RequestsToComplete)
{
    MK_ENTER("StorPortBusy");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    pthread_mutex_lock(&a->lock);
    a->info.busy_requests = RequestsToComplete ? RequestsToComplete : 1;
    (void)mk_sp_holding_locked(a); /* no more than the miniport holds */
    pthread_mutex_unlock(&a->lock);
    return TRUE;
}

BOOLEAN StorPortReady(PVOID HwDeviceExtension)
{
    MK_ENTER("StorPortReady");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    pthread_mutex_lock(&a->lock);
    a->info.busy_requests = 0;
    pthread_mutex_unlock(&a->lock);
    return TRUE;
}

BOOLEAN StorPortPause(PVOID HwDeviceExtension, ULONG TimeOut)
{
    MK_ENTER("StorPortPause");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    pthread_mutex_lock(&a->lock);
    a->info.paused = 1; /* until StorPortResume or TimeOut seconds of the adapter's clock */
    a->pause_until = a->clock_us + (ULONG64)TimeOut * 1000000u;
    pthread_mutex_unlock(&a->lock);
    return TRUE;
}

BOOLEAN StorPortResume(PVOID HwDeviceExtension)
{
    MK_ENTER("StorPortResume");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    pthread_mutex_lock(&a->lock);
    a->info.paused = 0;
    pthread_mutex_unlock(&a->lock);
    return TRUE;
}

BOOLEAN StorPortSetDeviceQueueDepth(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun, ULONG Depth)
{
    MK_ENTER("StorPortSetDeviceQueueDepth");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (Depth == 0 || Depth > 254 || PathId >= a->config.NumberOfBuses ||
        TargetId >= a->config.MaximumNumberOfTargets || Lun >= a->config.MaximumNumberOfLogicalUnits)
        return FALSE;
    pthread_mutex_lock(&a->lock);
    a->info.queue_depth = Depth;
    pthread_mutex_unlock(&a->lock);
    return TRUE;
}
