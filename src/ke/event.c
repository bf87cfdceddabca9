/*
 * event.c -- events (KeInitializeEvent, KeSetEvent, KeResetEvent,
 * KeClearEvent, KeReadStateEvent, KePulseEvent), semaphores
 * (KeInitializeSemaphore, KeReleaseSemaphore, KeReadStateSemaphore) and
 * kernel mutexes (KeInitializeMutex, KeReleaseMutex, KeReadStateMutex).
 * Their waits are in wait.c.
 *
 * Misuse (docs/ddi-notes.md, "Dispatcher"):
 *  - IRQL above the documented limit: under DDI compliance checking 0xC4
 *    with the rule (IrqlKeSetEvent 0x20016 for KeSetEvent, IrqlKeDispatchLte
 *    0x20011 for the others), otherwise 0xA (object, IRQL, 0, caller);
 *  - KeReleaseSemaphore past the limit (or a non-positive adjustment): the
 *    exception STATUS_SEMAPHORE_LIMIT_EXCEEDED, the count unchanged;
 *  - KeReleaseMutex by a thread that does not own the mutex: the exception
 *    STATUS_MUTANT_NOT_OWNED (0x1E if nothing handles it), as the kernel's
 *    KeReleaseMutant raises it.
 */
#include "mk_machine.h"
#include "mk_ke.h"

static inline void ke_check_irql(KIRQL max, ULONG rule, const char *why, const void *obj, void *caller)
{
    mk_thread_attach();
    if (MK_UNLIKELY(mk_self.irql > max))
        mk_ke_irql_violation(rule, why, obj, caller);
}

static void ke_init_header(DISPATCHER_HEADER *h, UCHAR type, size_t size, LONG state)
{
    h->Lock = 0;
    h->Type = type;
    h->Size = (UCHAR)(size / sizeof(LONG));
    h->SignalState = state;
    InitializeListHead(&h->WaitListHead);
}

/* ------------------------------------------------------------- events */

void KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
    MK_ENTER("KeInitializeEvent");
    MK_OBJ_FAULT(Event);
    ke_init_header(&Event->Header, Type == SynchronizationEvent ? MK_KOBJ_EVENT_SYNCHRONIZATION : MK_KOBJ_EVENT_NOTIFICATION,
                   sizeof(KEVENT), State ? 1 : 0);
}

static void ke_fix_list(DISPATCHER_HEADER *h)
{
    if (!h->WaitListHead.Flink)
        InitializeListHead(&h->WaitListHead);
}

LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    MK_ENTER("KeSetEvent");
    MK_OBJ_FAULT(Event);
    (void)Increment;
    if (Wait)
        ke_check_irql(APC_LEVEL, MK_RULE_IRQL_KE_SET_EVENT,
                      "KeSetEvent with Wait = TRUE must be called at IRQL <= APC_LEVEL", Event,
                      __builtin_return_address(0));
    else
        ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_SET_EVENT, "KeSetEvent must be called at IRQL <= DISPATCH_LEVEL",
                      Event, __builtin_return_address(0));
    MK_KE_TOUCH(Event);
    pthread_mutex_lock(&mk_ke_lock);
    ke_fix_list(&Event->Header);
    LONG old = Event->Header.SignalState;
    Event->Header.SignalState = 1;
    mk_ke_signal_locked(&Event->Header);
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

LONG KePulseEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
    MK_ENTER("KePulseEvent");
    MK_OBJ_FAULT(Event);
    (void)Increment;
    ke_check_irql(Wait ? APC_LEVEL : DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KePulseEvent must be called at IRQL <= DISPATCH_LEVEL", Event, __builtin_return_address(0));
    MK_KE_TOUCH(Event);
    pthread_mutex_lock(&mk_ke_lock);
    ke_fix_list(&Event->Header);
    LONG old = Event->Header.SignalState;
    if (old == 0) {
        Event->Header.SignalState = 1;
        mk_ke_signal_locked(&Event->Header);
    }
    Event->Header.SignalState = 0;
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

/* KeResetEvent and KeClearEvent: the event goes not signaled; the old state
 * is returned (KeClearEvent drops it). */
static LONG ev_unsignal(PRKEVENT Event, const char *why, void *caller)
{
    ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE, why, Event, caller);
    MK_KE_TOUCH(Event);
    pthread_mutex_lock(&mk_ke_lock);
    LONG old = Event->Header.SignalState;
    Event->Header.SignalState = 0;
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

LONG KeResetEvent(PRKEVENT Event)
{
    MK_ENTER("KeResetEvent");
    MK_OBJ_FAULT(Event);
    return ev_unsignal(Event, "KeResetEvent must be called at IRQL <= DISPATCH_LEVEL", __builtin_return_address(0));
}

void KeClearEvent(PRKEVENT Event)
{
    MK_ENTER("KeClearEvent");
    MK_OBJ_FAULT(Event);
    (void)ev_unsignal(Event, "KeClearEvent must be called at IRQL <= DISPATCH_LEVEL", __builtin_return_address(0));
}

LONG KeReadStateEvent(PRKEVENT Event)
{
    MK_ENTER("KeReadStateEvent");
    MK_OBJ_FAULT(Event);
    ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeReadStateEvent must be called at IRQL <= DISPATCH_LEVEL", Event, __builtin_return_address(0));
    MK_KE_TOUCH(Event);
    pthread_mutex_lock(&mk_ke_lock);
    LONG s = Event->Header.SignalState;
    pthread_mutex_unlock(&mk_ke_lock);
    return s;
}

/* --------------------------------------------------------- semaphores */

void KeInitializeSemaphore(PRKSEMAPHORE Semaphore, LONG Count, LONG Limit)
{
    MK_ENTER("KeInitializeSemaphore");
    MK_OBJ_FAULT(Semaphore);
    ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeInitializeSemaphore must be called at IRQL <= DISPATCH_LEVEL", Semaphore,
                  __builtin_return_address(0));
    ke_init_header(&Semaphore->Header, MK_KOBJ_SEMAPHORE, sizeof(KSEMAPHORE), Count);
    Semaphore->Limit = Limit;
}

LONG KeReleaseSemaphore(PRKSEMAPHORE Semaphore, KPRIORITY Increment, LONG Adjustment, BOOLEAN Wait)
{
    MK_ENTER("KeReleaseSemaphore");
    MK_OBJ_FAULT(Semaphore);
    (void)Increment;
    ke_check_irql(Wait ? APC_LEVEL : DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeReleaseSemaphore must be called at IRQL <= DISPATCH_LEVEL", Semaphore,
                  __builtin_return_address(0));
    MK_KE_TOUCH(Semaphore);
    pthread_mutex_lock(&mk_ke_lock);
    ke_fix_list(&Semaphore->Header);
    LONG old = Semaphore->Header.SignalState;
    if (Adjustment <= 0 || old > Semaphore->Limit - Adjustment) {
        pthread_mutex_unlock(&mk_ke_lock);
        mk_raise(STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    }
    Semaphore->Header.SignalState = old + Adjustment;
    mk_ke_signal_locked(&Semaphore->Header);
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

LONG KeReadStateSemaphore(PRKSEMAPHORE Semaphore)
{
    MK_ENTER("KeReadStateSemaphore");
    MK_OBJ_FAULT(Semaphore);
    ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeReadStateSemaphore must be called at IRQL <= DISPATCH_LEVEL", Semaphore,
                  __builtin_return_address(0));
    MK_KE_TOUCH(Semaphore);
    pthread_mutex_lock(&mk_ke_lock);
    LONG s = Semaphore->Header.SignalState;
    pthread_mutex_unlock(&mk_ke_lock);
    return s;
}

/* ------------------------------------------------------------ mutexes */

void KeInitializeMutex(PRKMUTEX Mutex, ULONG Level)
{
    MK_ENTER("KeInitializeMutex");
    MK_OBJ_FAULT(Mutex);
    (void)Level;
    ke_init_header(&Mutex->Header, MK_KOBJ_MUTANT, sizeof(KMUTEX), 1);
    InitializeListHead(&Mutex->MutantListEntry);
    Mutex->OwnerThread = NULL;
    Mutex->MutantFlags = 0;
    Mutex->ApcDisable = 1;
}

LONG KeReleaseMutex(PRKMUTEX Mutex, BOOLEAN Wait)
{
    MK_ENTER("KeReleaseMutex");
    MK_OBJ_FAULT(Mutex);
    ke_check_irql(Wait ? APC_LEVEL : DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeReleaseMutex must be called at IRQL <= DISPATCH_LEVEL", Mutex, __builtin_return_address(0));
    PKTHREAD me = mk_ke_current();
    MK_KE_TOUCH(Mutex);
    pthread_mutex_lock(&mk_ke_lock);
    ke_fix_list(&Mutex->Header);
    LONG old = Mutex->Header.SignalState;
    if (Mutex->OwnerThread != me || old > 0) {
        pthread_mutex_unlock(&mk_ke_lock);
        mk_raise(STATUS_MUTANT_NOT_OWNED);
    }
    Mutex->Header.SignalState = old + 1;
    if (Mutex->Header.SignalState == 1) {
        Mutex->OwnerThread = NULL;
        me->mutants_owned--;
        mk_ke_signal_locked(&Mutex->Header);
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return old;
}

LONG KeReadStateMutex(PRKMUTEX Mutex)
{
    MK_ENTER("KeReadStateMutex");
    MK_OBJ_FAULT(Mutex);
    ke_check_irql(DISPATCH_LEVEL, MK_RULE_IRQL_KE_DISPATCH_LTE,
                  "KeReadStateMutex must be called at IRQL <= DISPATCH_LEVEL", Mutex, __builtin_return_address(0));
    MK_KE_TOUCH(Mutex);
    pthread_mutex_lock(&mk_ke_lock);
    LONG s = Mutex->Header.SignalState;
    pthread_mutex_unlock(&mk_ke_lock);
    return s;
}
