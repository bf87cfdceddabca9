/*
 * fastmutex.c -- fast mutexes: ExInitializeFastMutex, ExAcquireFastMutex,
 * ExTryToAcquireFastMutex, ExReleaseFastMutex, ExAcquireFastMutexUnsafe,
 * ExReleaseFastMutexUnsafe; guarded mutexes: KeInitializeGuardedMutex,
 * KeAcquireGuardedMutex, KeTryToAcquireGuardedMutex, KeReleaseGuardedMutex.
 *
 * FAST_MUTEX.Count is 1 when free and 0 when held; Owner is the owning
 * thread; OldIrql the IRQL ExAcquireFastMutex raised from (it raises to
 * APC_LEVEL). Contended acquires sleep on the dispatcher lock's condition
 * (a real wait).
 *
 * Misuse (docs/ddi-notes.md, "Fast mutexes and resources"):
 *  - ExAcquireFastMutex / ExTryToAcquireFastMutex at IRQL > APC_LEVEL:
 *    0xC4 IrqlExApcLte1 (0x20005) under DDI compliance, else 0xA;
 *    ExReleaseFastMutex at IRQL != APC_LEVEL, the Unsafe forms at
 *    IRQL > APC_LEVEL: 0xA (mutex, IRQL, 0, caller);
 *  - acquiring a fast mutex the thread already owns (it would deadlock):
 *    0xBF MUTEX_ALREADY_OWNED (mutex, thread, 0, 0), never a hang;
 *  - releasing a fast mutex the thread does not own: 0x11
 *    THREAD_NOT_MUTEX_OWNER (mutex, owner or 0, thread, 0).
 */
#include "mk_machine.h"
#include "mk_ke.h"

#define MUTEX_ALREADY_OWNED_CODE 0xBF
#define THREAD_NOT_MUTEX_OWNER_CODE 0x11

static pthread_cond_t fm_cv = PTHREAD_COND_INITIALIZER;

void ExInitializeFastMutex(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExInitializeFastMutex");
    MK_OBJ_FAULT(FastMutex);
    FastMutex->Count = 1;
    FastMutex->Owner = NULL;
    FastMutex->Contention = 0;
    KeInitializeEvent(&FastMutex->Event, SynchronizationEvent, FALSE);
    FastMutex->OldIrql = PASSIVE_LEVEL;
}

static void fm_check_acquire(PFAST_MUTEX m, PKTHREAD me, KIRQL max, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql > max)
        mk_ke_irql_violation(MK_RULE_IRQL_EX_APC_LTE1, "ExAcquireFastMutex should only be called at IRQL <= APC_LEVEL",
                             m, caller);
    if (__atomic_load_n(&m->Owner, __ATOMIC_RELAXED) == me)
        mk_bugcheck(MUTEX_ALREADY_OWNED_CODE, (ULONG_PTR)m, (ULONG_PTR)me, 0, 0);
}

static void fm_lock(PFAST_MUTEX m, PKTHREAD me)
{
    pthread_mutex_lock(&mk_ke_lock);
    /* A held fast mutex has Count 0 and an owner (both set under this
     * lock); any other value than free was never initialised or was
     * overwritten, and waiting on it would never end (issue #21). */
    if (MK_UNLIKELY(m->Count != 1 && (m->Count != 0 || !m->Owner))) {
        LONG count = m->Count;
        pthread_mutex_unlock(&mk_ke_lock);
        mk_violation(MDLKIT_RULE_USE_BEFORE_INIT,
                     "a fast mutex was acquired that ExInitializeFastMutex never initialised (or that was "
                     "overwritten): it is neither free nor held by a thread",
                     (ULONG_PTR)m, (ULONG_PTR)(ULONG)count);
    }
    while (m->Count != 1) {
        m->Contention++;
        pthread_cond_wait(&fm_cv, &mk_ke_lock);
    }
    m->Count = 0;
    __atomic_store_n(&m->Owner, me, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&mk_ke_lock);
}

static void fm_unlock(PFAST_MUTEX m, PKTHREAD me)
{
    pthread_mutex_lock(&mk_ke_lock);
    PVOID owner = m->Owner;
    if (owner != me || m->Count != 0) {
        pthread_mutex_unlock(&mk_ke_lock);
        mk_bugcheck(THREAD_NOT_MUTEX_OWNER_CODE, (ULONG_PTR)m, (ULONG_PTR)owner, (ULONG_PTR)me, 0);
    }
    __atomic_store_n(&m->Owner, NULL, __ATOMIC_RELAXED);
    m->Count = 1;
    pthread_cond_broadcast(&fm_cv);
    pthread_mutex_unlock(&mk_ke_lock);
}

void ExAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExAcquireFastMutex");
    MK_OBJ_FAULT(FastMutex);
    PKTHREAD me = mk_ke_current();
    fm_check_acquire(FastMutex, me, APC_LEVEL, __builtin_return_address(0));
    KIRQL old = mk_self.irql;
    mk_self.irql = APC_LEVEL;
    fm_lock(FastMutex, me);
    FastMutex->OldIrql = old;
}

BOOLEAN ExTryToAcquireFastMutex(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExTryToAcquireFastMutex");
    MK_OBJ_FAULT(FastMutex);
    PKTHREAD me = mk_ke_current();
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_EX_APC_LTE1,
                             "ExTryToAcquireFastMutex should only be called at IRQL <= APC_LEVEL", FastMutex,
                             __builtin_return_address(0));
    KIRQL old = mk_self.irql;
    pthread_mutex_lock(&mk_ke_lock);
    if (FastMutex->Count != 1) {
        pthread_mutex_unlock(&mk_ke_lock);
        return FALSE;
    }
    FastMutex->Count = 0;
    __atomic_store_n(&FastMutex->Owner, me, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&mk_ke_lock);
    mk_self.irql = APC_LEVEL;
    FastMutex->OldIrql = old;
    return TRUE;
}

void ExReleaseFastMutex(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExReleaseFastMutex");
    MK_OBJ_FAULT(FastMutex);
    mk_thread_attach();
    if (mk_self.irql != APC_LEVEL)
        mk_ke_irql_violation(0, NULL, FastMutex, __builtin_return_address(0));
    KIRQL old = (KIRQL)FastMutex->OldIrql;
    fm_unlock(FastMutex, mk_ke_current());
    mk_self.irql = old;
}

void ExAcquireFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExAcquireFastMutexUnsafe");
    MK_OBJ_FAULT(FastMutex);
    PKTHREAD me = mk_ke_current();
    fm_check_acquire(FastMutex, me, APC_LEVEL, __builtin_return_address(0));
    fm_lock(FastMutex, me);
}

void ExReleaseFastMutexUnsafe(PFAST_MUTEX FastMutex)
{
    MK_ENTER("ExReleaseFastMutexUnsafe");
    MK_OBJ_FAULT(FastMutex);
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(0, NULL, FastMutex, __builtin_return_address(0));
    fm_unlock(FastMutex, mk_ke_current());
}

/* Guarded mutexes (KGUARDED_MUTEX is a FAST_MUTEX): acquiring enters a
 * guarded region (KeEnterGuardedRegion) instead of raising the IRQL, and
 * releasing leaves it. Callable at IRQL <= APC_LEVEL; the same ownership
 * checks as fast mutexes. */
void KeInitializeGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    MK_ENTER("KeInitializeGuardedMutex");
    MK_OBJ_FAULT(Mutex);
    ExInitializeFastMutex(Mutex);
}

static void gm_check_irql(PKGUARDED_MUTEX m, const char *why, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql > APC_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_EX_APC_LTE1, why, m, caller);
}

void KeAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    MK_ENTER("KeAcquireGuardedMutex");
    MK_OBJ_FAULT(Mutex);
    PKTHREAD me = mk_ke_current();
    fm_check_acquire(Mutex, me, APC_LEVEL, __builtin_return_address(0));
    KeEnterGuardedRegion();
    fm_lock(Mutex, me);
}

BOOLEAN KeTryToAcquireGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    MK_ENTER("KeTryToAcquireGuardedMutex");
    MK_OBJ_FAULT(Mutex);
    gm_check_irql(Mutex, "KeTryToAcquireGuardedMutex should only be called at IRQL <= APC_LEVEL",
                  __builtin_return_address(0));
    PKTHREAD me = mk_ke_current();
    KeEnterGuardedRegion();
    pthread_mutex_lock(&mk_ke_lock);
    if (Mutex->Count != 1) {
        pthread_mutex_unlock(&mk_ke_lock);
        KeLeaveGuardedRegion();
        return FALSE;
    }
    Mutex->Count = 0;
    __atomic_store_n(&Mutex->Owner, me, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&mk_ke_lock);
    return TRUE;
}

void KeReleaseGuardedMutex(PKGUARDED_MUTEX Mutex)
{
    MK_ENTER("KeReleaseGuardedMutex");
    MK_OBJ_FAULT(Mutex);
    gm_check_irql(Mutex, "KeReleaseGuardedMutex should only be called at IRQL <= APC_LEVEL",
                  __builtin_return_address(0));
    fm_unlock(Mutex, mk_ke_current());
    KeLeaveGuardedRegion();
}
