/*
 * timer.c -- kernel timers: KeInitializeTimer(Ex), KeSetTimer, KeSetTimerEx,
 * KeCancelTimer, KeReadStateTimer; and the checks for timers and DPCs left
 * live in memory a driver gives up.
 *
 * A timer is a dispatcher object. Setting it resets it to not-signalled and
 * records its expiry in interrupt time (KTIMER.DueTime); one host thread
 * sleeps until the earliest expiry, then signals the timer (satisfying its
 * waits: all of them for a notification timer, one for a synchronization
 * timer), queues its DPC (SystemArgument1/2 = low/high part of the system
 * time at expiry) on the processor that set it, and re-arms a periodic one.
 * The set timers are listed in host memory (not through TimerListEntry), so
 * a driver that frees a set timer corrupts nothing of mdlkit's.
 *
 * Misuse (docs/ddi-notes.md, "Timers"):
 *  - IRQL > DISPATCH_LEVEL: 0xC4 IrqlKeDispatchLte (0x20011) under DDI
 *    compliance, else 0xA (timer, IRQL, 0, caller);
 *  - a negative period: the exception STATUS_INVALID_PARAMETER;
 *  - a timer still set, or a DPC still queued, when its driver is unloaded:
 *    0xC7 TIMER_OR_DPC_INVALID (ps/psthread.c).
 */
#include "mk_machine.h"
#include "mk_ke.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


typedef struct tm_entry {
    PKTIMER timer;
    struct mk_driver *driver;
    ULONG cpu;
} tm_entry;

static tm_entry *tm_set;
static size_t tm_n, tm_cap;
static pthread_t tm_thread;
static int tm_started, tm_stop;
static pthread_cond_t tm_cv;


static long tm_find_locked(PKTIMER t)
{
    for (size_t i = 0; i < tm_n; i++)
        if (tm_set[i].timer == t)
            return (long)i;
    return -1;
}

static void tm_remove_at_locked(size_t i)
{
    tm_set[i] = tm_set[--tm_n];
}

static void tm_expire_locked(size_t i, ULONGLONG now)
{
    PKTIMER t = tm_set[i].timer;
    ULONG cpu = tm_set[i].cpu;
    if (t->Period) {
        ULONGLONG next = t->DueTime.QuadPart + (ULONGLONG)t->Period * 10000u;
        t->DueTime.QuadPart = next > now ? next : now + (ULONGLONG)t->Period * 10000u;
    } else {
        tm_remove_at_locked(i);
    }
    t->Header.SignalState = 1;
    mk_ke_signal_locked(&t->Header);
    if (t->Dpc) {
        LONGLONG sys = mk_ke_system_time();
        mk_ke_queue_dpc_locked(t->Dpc, (PVOID)(ULONG_PTR)(ULONG)sys, (PVOID)(ULONG_PTR)(ULONG)(sys >> 32), cpu);
    }
}

static void *tm_main(void *arg)
{
    (void)arg;
    mk_thread_attach_system();
    pthread_mutex_lock(&mk_ke_lock);
    while (!tm_stop) {
        ULONGLONG now = mk_ke_interrupt_time();
        int fired = 0;
        ULONGLONG next = UINT64_MAX;
        for (size_t i = 0; i < tm_n; i++) {
            if (tm_set[i].timer->DueTime.QuadPart <= now) {
                tm_expire_locked(i, now);
                fired = 1;
                break; /* the set changed */
            }
            if (tm_set[i].timer->DueTime.QuadPart < next)
                next = tm_set[i].timer->DueTime.QuadPart;
        }
        if (fired)
            continue;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&tm_cv, &mk_ke_lock);
        } else {
            uint64_t dl = mk_ke_mono_ns() + (next - now) * 100u;
            struct timespec ts = {(time_t)(dl / 1000000000ull), (long)(dl % 1000000000ull)};
            pthread_cond_timedwait(&tm_cv, &mk_ke_lock, &ts);
        }
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return NULL;
}

static int tm_start_locked(void)
{
    if (tm_started)
        return 0;
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&tm_cv, &a);
    pthread_condattr_destroy(&a);
    tm_stop = 0;
    if (pthread_create(&tm_thread, NULL, tm_main, NULL) != 0) {
        pthread_cond_destroy(&tm_cv);
        return -1;
    }
    tm_started = 1;
    return 0;
}

static inline void tm_check_irql(PKTIMER t, void *caller, const char *why)
{
    mk_thread_attach();
    if (MK_UNLIKELY(mk_self.irql > DISPATCH_LEVEL))
        mk_ke_irql_violation(MK_RULE_IRQL_KE_DISPATCH_LTE, why, t, caller);
}

void KeInitializeTimerEx(PKTIMER Timer, TIMER_TYPE Type)
{
    MK_ENTER("KeInitializeTimerEx");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeInitializeTimerEx must be called at IRQL <= DISPATCH_LEVEL");
    memset(Timer, 0, sizeof *Timer);
    Timer->Header.Type = Type == SynchronizationTimer ? MK_KOBJ_TIMER_SYNCHRONIZATION : MK_KOBJ_TIMER_NOTIFICATION;
    Timer->Header.Size = (UCHAR)(sizeof(KTIMER) / sizeof(LONG));
    InitializeListHead(&Timer->Header.WaitListHead);
}

void KeInitializeTimer(PKTIMER Timer)
{
    MK_ENTER("KeInitializeTimer");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeInitializeTimer must be called at IRQL <= DISPATCH_LEVEL");
    memset(Timer, 0, sizeof *Timer);
    Timer->Header.Type = MK_KOBJ_TIMER_NOTIFICATION;
    Timer->Header.Size = (UCHAR)(sizeof(KTIMER) / sizeof(LONG));
    InitializeListHead(&Timer->Header.WaitListHead);
}

static BOOLEAN tm_set_timer(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    if (Period < 0)
        mk_raise(STATUS_INVALID_PARAMETER);
    ULONGLONG now = mk_ke_interrupt_time();
    ULONGLONG due;
    if (DueTime.QuadPart < 0) {
        ULONGLONG rel = (ULONGLONG)(-(DueTime.QuadPart + 1)) + 1;
        due = rel > UINT64_MAX - now ? UINT64_MAX - 1 : now + rel;
    } else {
        LONGLONG sys = mk_ke_system_time();
        due = DueTime.QuadPart <= sys ? now : now + (ULONGLONG)(DueTime.QuadPart - sys);
    }
    MK_KE_TOUCH(Timer);
    pthread_mutex_lock(&mk_ke_lock);
    if (!Timer->Header.WaitListHead.Flink)
        InitializeListHead(&Timer->Header.WaitListHead);
    long i = tm_find_locked(Timer);
    BOOLEAN was = i >= 0;
    if (i < 0) {
        if (tm_n == tm_cap) {
            size_t ncap = tm_cap ? tm_cap * 2 : 32;
            tm_entry *n = realloc(tm_set, ncap * sizeof *n);
            if (!n) {
                pthread_mutex_unlock(&mk_ke_lock);
                mk_raise(STATUS_INSUFFICIENT_RESOURCES);
            }
            tm_set = n;
            tm_cap = ncap;
        }
        i = (long)tm_n++;
    }
    tm_set[i].timer = Timer;
    tm_set[i].driver = mk_self.driver;
    tm_set[i].cpu = mk_self.cpu;
    Timer->Header.SignalState = 0;
    Timer->DueTime.QuadPart = due;
    Timer->Period = (ULONG)Period;
    Timer->Dpc = Dpc;
    Timer->Processor = mk_self.cpu;
    if (tm_start_locked() != 0) {
        tm_remove_at_locked((size_t)i);
        pthread_mutex_unlock(&mk_ke_lock);
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    }
    pthread_cond_signal(&tm_cv);
    pthread_mutex_unlock(&mk_ke_lock);
    return was;
}

BOOLEAN KeSetTimer(PKTIMER Timer, LARGE_INTEGER DueTime, PKDPC Dpc)
{
    MK_ENTER("KeSetTimer");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeSetTimer must be called at IRQL <= DISPATCH_LEVEL");
    return tm_set_timer(Timer, DueTime, 0, Dpc);
}

BOOLEAN KeSetTimerEx(PKTIMER Timer, LARGE_INTEGER DueTime, LONG Period, PKDPC Dpc)
{
    MK_ENTER("KeSetTimerEx");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeSetTimerEx must be called at IRQL <= DISPATCH_LEVEL");
    return tm_set_timer(Timer, DueTime, Period, Dpc);
}

BOOLEAN KeCancelTimer(PKTIMER Timer)
{
    MK_ENTER("KeCancelTimer");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeCancelTimer must be called at IRQL <= DISPATCH_LEVEL");
    pthread_mutex_lock(&mk_ke_lock);
    long i = tm_find_locked(Timer);
    if (i >= 0)
        tm_remove_at_locked((size_t)i);
    pthread_mutex_unlock(&mk_ke_lock);
    return i >= 0;
}

BOOLEAN KeReadStateTimer(PKTIMER Timer)
{
    MK_ENTER("KeReadStateTimer");
    MK_OBJ_FAULT(Timer);
    tm_check_irql(Timer, __builtin_return_address(0), "KeReadStateTimer must be called at IRQL <= DISPATCH_LEVEL");
    MK_KE_TOUCH(Timer);
    pthread_mutex_lock(&mk_ke_lock);
    BOOLEAN s = Timer->Header.SignalState != 0;
    pthread_mutex_unlock(&mk_ke_lock);
    return s;
}

/* A timer still set by driver d, taken off the set timers (so it is
 * reported once), or NULL. */
PKTIMER mk_timer_take_driver(struct mk_driver *d)
{
    PKTIMER timer = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (size_t i = 0; i < tm_n; i++)
        if (tm_set[i].driver == d) {
            timer = tm_set[i].timer;
            tm_remove_at_locked(i);
            break;
        }
    pthread_mutex_unlock(&mk_ke_lock);
    return timer;
}

/* A timer still set that lies in [lo, hi) (pool being freed), or NULL. */
PKTIMER mk_timer_set_in(const void *lo, const void *hi)
{
    PKTIMER found = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (size_t i = 0; i < tm_n && !found; i++)
        if ((const char *)tm_set[i].timer >= (const char *)lo && (const char *)tm_set[i].timer < (const char *)hi)
            found = tm_set[i].timer;
    pthread_mutex_unlock(&mk_ke_lock);
    return found;
}

void mk_timer_shutdown(void)
{
    pthread_mutex_lock(&mk_ke_lock);
    int started = tm_started;
    tm_stop = 1;
    if (started)
        pthread_cond_broadcast(&tm_cv);
    pthread_mutex_unlock(&mk_ke_lock);
    if (started)
        pthread_join(tm_thread, NULL);
    pthread_mutex_lock(&mk_ke_lock);
    if (started)
        pthread_cond_destroy(&tm_cv);
    tm_started = 0;
    tm_stop = 0;
    free(tm_set);
    tm_set = NULL;
    tm_n = tm_cap = 0;
    pthread_mutex_unlock(&mk_ke_lock);
}
