/* Kernel mutexes (recursion, release by a non-owner), semaphore limits,
 * fast mutexes (IRQL, try, recursion and release misuse), ERESOURCE
 * (exclusive/shared, waiters, misuse), critical regions, and in-stack
 * queued spin locks. */
#include "testke.h"

static KMUTEX g_mutex;
static FAST_MUTEX g_fm;
static ERESOURCE g_res;
static KSEMAPHORE g_sem;

static void test_mutex_recursion(void **state)
{
    (void)state;
    KMUTEX m;
    KeInitializeMutex(&m, 0);
    assert_int_equal(m.Header.Type, 2);
    assert_int_equal(sizeof(KMUTEX), 0x38);
    assert_int_equal(KeReadStateMutex(&m), 1);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeReadStateMutex(&m), 0);
    assert_ptr_equal(m.OwnerThread, KeGetCurrentThread());
    assert_int_equal(KeWaitForSingleObject(&m, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeReadStateMutex(&m), -1);
    assert_int_equal(KeReleaseMutex(&m, FALSE), -1);
    assert_int_equal(KeReleaseMutex(&m, FALSE), 0); /* 0: released and signalled */
    assert_int_equal(KeReadStateMutex(&m), 1);
    assert_null(m.OwnerThread);
}

static void *try_mutex(void *arg)
{
    LARGE_INTEGER zero = {.QuadPart = 0};
    return (void *)(intptr_t)KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, &zero);
}

static void test_mutex_excludes_other_threads(void **state)
{
    (void)state;
    KeInitializeMutex(&g_mutex, 0);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&g_mutex, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    pthread_t th;
    void *r;
    pthread_create(&th, NULL, try_mutex, &g_mutex);
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, STATUS_TIMEOUT);
    KeReleaseMutex(&g_mutex, FALSE);
}

static void test_mutex_release_not_owned(void **state)
{
    (void)state;
    KeInitializeMutex(&g_mutex, 0);
    NTSTATUS code = 0;
    MDLKIT_TRY { KeReleaseMutex(&g_mutex, FALSE); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_MUTANT_NOT_OWNED);
    assert_int_equal(KeReadStateMutex(&g_mutex), 1);
}

static void release_mutex_unhandled(void *arg)
{
    (void)arg;
    KeReleaseMutex(&g_mutex, FALSE);
}

static void test_mutex_release_not_owned_unhandled(void **state)
{
    (void)state;
    KeInitializeMutex(&g_mutex, 0);
    mdlkit_bugcheck bc = tk_bugcheck(release_mutex_unhandled, NULL);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_MUTANT_NOT_OWNED);
}

static void test_semaphore_limit(void **state)
{
    (void)state;
    KeInitializeSemaphore(&g_sem, 1, 2);
    assert_int_equal(KeReleaseSemaphore(&g_sem, 0, 1, FALSE), 1);
    NTSTATUS code = 0;
    MDLKIT_TRY { KeReleaseSemaphore(&g_sem, 0, 1, FALSE); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    assert_int_equal(KeReadStateSemaphore(&g_sem), 2); /* unchanged */
    code = 0;
    MDLKIT_TRY { KeReleaseSemaphore(&g_sem, 0, 0, FALSE); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
    KeInitializeSemaphore(&g_sem, 0, MAXLONG);
    assert_int_equal(KeReleaseSemaphore(&g_sem, 0, MAXLONG, FALSE), 0);
    code = 0;
    MDLKIT_TRY { KeReleaseSemaphore(&g_sem, 0, 1, FALSE); } /* would overflow */
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_SEMAPHORE_LIMIT_EXCEEDED);
}

/* ---- fast mutexes ---- */

static void *try_fm(void *arg)
{
    BOOLEAN got = ExTryToAcquireFastMutex(arg);
    if (got)
        ExReleaseFastMutex(arg);
    return (void *)(intptr_t)got;
}

static void test_fast_mutex(void **state)
{
    (void)state;
    assert_int_equal(sizeof(FAST_MUTEX), 0x38);
    ExInitializeFastMutex(&g_fm);
    assert_int_equal(g_fm.Count, 1);
    ExAcquireFastMutex(&g_fm);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    assert_ptr_equal(g_fm.Owner, KeGetCurrentThread());
    pthread_t th;
    void *r;
    pthread_create(&th, NULL, try_fm, &g_fm);
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, FALSE);
    ExReleaseFastMutex(&g_fm);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    pthread_create(&th, NULL, try_fm, &g_fm);
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, TRUE);
    assert_true(ExTryToAcquireFastMutex(&g_fm));
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    ExReleaseFastMutex(&g_fm);
    /* the unsafe forms keep the IRQL */
    KeEnterCriticalRegion();
    ExAcquireFastMutexUnsafe(&g_fm);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    ExReleaseFastMutexUnsafe(&g_fm);
    KeLeaveCriticalRegion();
}

static atomic_int g_counter_fm;
static void *fm_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        ExAcquireFastMutex(&g_fm);
        int v = atomic_load_explicit(&g_counter_fm, memory_order_relaxed);
        atomic_store_explicit(&g_counter_fm, v + 1, memory_order_relaxed);
        ExReleaseFastMutex(&g_fm);
    }
    return NULL;
}

static void test_fast_mutex_excludes(void **state)
{
    (void)state;
    ExInitializeFastMutex(&g_fm);
    atomic_store(&g_counter_fm, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, fm_worker, NULL);
    pthread_create(&b, NULL, fm_worker, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    assert_int_equal(atomic_load(&g_counter_fm), 4000);
}

static void fm_recursive(void *arg)
{
    (void)arg;
    ExAcquireFastMutex(&g_fm);
    ExAcquireFastMutex(&g_fm);
}
static void fm_release_not_owned(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    ExReleaseFastMutex(&g_fm);
}
static void fm_acquire_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExAcquireFastMutex(&g_fm);
}
static void fm_release_passive(void *arg)
{
    (void)arg;
    ExAcquireFastMutex(&g_fm);
    KeLowerIrql(PASSIVE_LEVEL);
    ExReleaseFastMutex(&g_fm);
}

static void test_fast_mutex_misuse(void **state)
{
    (void)state;
    ExInitializeFastMutex(&g_fm);
    mdlkit_bugcheck bc = tk_bugcheck(fm_recursive, NULL);
    assert_int_equal(bc.code, 0xBF); /* MUTEX_ALREADY_OWNED, not a hang */
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_fm);
    assert_int_equal(bc.param[1], (ULONG_PTR)KeGetCurrentThread());
    ExInitializeFastMutex(&g_fm);
    bc = tk_bugcheck(fm_release_not_owned, NULL);
    assert_int_equal(bc.code, 0x11); /* THREAD_NOT_MUTEX_OWNER */
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_fm);
    assert_int_equal(bc.param[1], 0);
    bc = tk_bugcheck(fm_acquire_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_fm);
    ExInitializeFastMutex(&g_fm);
    bc = tk_bugcheck(fm_release_passive, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], PASSIVE_LEVEL);
}

static void test_fast_mutex_ddi(void **state)
{
    (void)state;
    ExInitializeFastMutex(&g_fm);
    mdlkit_bugcheck bc = tk_bugcheck(fm_acquire_dispatch, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00020005); /* IrqlExApcLte1 */
}

/* ---- executive resources ---- */

static void *res_try(void *arg)
{
    intptr_t shared = (intptr_t)arg;
    BOOLEAN got = shared ? ExAcquireResourceSharedLite(&g_res, FALSE) : ExAcquireResourceExclusiveLite(&g_res, FALSE);
    if (got)
        ExReleaseResourceLite(&g_res);
    return (void *)(intptr_t)got;
}
static intptr_t res_try_in_thread(int shared)
{
    pthread_t th;
    void *r;
    pthread_create(&th, NULL, res_try, (void *)(intptr_t)shared);
    pthread_join(th, &r);
    return (intptr_t)r;
}

static void test_resource(void **state)
{
    (void)state;
    assert_int_equal(sizeof(ERESOURCE), 0x68);
    assert_int_equal(ExInitializeResourceLite(&g_res), STATUS_SUCCESS);
    KeEnterCriticalRegion();
    assert_true(ExAcquireResourceExclusiveLite(&g_res, TRUE));
    assert_true(ExAcquireResourceExclusiveLite(&g_res, TRUE)); /* recursive */
    assert_true(ExIsResourceAcquiredExclusiveLite(&g_res));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&g_res), 2);
    assert_int_equal(res_try_in_thread(1), FALSE);
    assert_int_equal(res_try_in_thread(0), FALSE);
    ExReleaseResourceLite(&g_res);
    ExReleaseResourceLite(&g_res);
    assert_false(ExIsResourceAcquiredExclusiveLite(&g_res));
    assert_true(ExAcquireResourceSharedLite(&g_res, TRUE));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&g_res), 1);
    assert_false(ExIsResourceAcquiredExclusiveLite(&g_res));
    assert_int_equal(res_try_in_thread(1), TRUE);  /* shared with others */
    assert_int_equal(res_try_in_thread(0), FALSE); /* but not exclusive */
    ExReleaseResourceLite(&g_res);
    assert_int_equal(res_try_in_thread(0), TRUE);
    /* exclusive -> shared */
    assert_true(ExAcquireResourceExclusiveLite(&g_res, TRUE));
    ExConvertExclusiveToSharedLite(&g_res);
    assert_false(ExIsResourceAcquiredExclusiveLite(&g_res));
    assert_int_equal(ExIsResourceAcquiredSharedLite(&g_res), 1);
    assert_int_equal(res_try_in_thread(1), TRUE);
    ExReleaseResourceForThreadLite(&g_res, ExGetCurrentResourceThread());
    assert_int_equal(ExGetExclusiveWaiterCount(&g_res), 0);
    assert_int_equal(ExGetSharedWaiterCount(&g_res), 0);
    KeLeaveCriticalRegion();
    assert_int_equal(ExDeleteResourceLite(&g_res), STATUS_SUCCESS);
}

static atomic_int g_res_phase;
static void *res_exclusive_waiter(void *arg)
{
    (void)arg;
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&g_res, TRUE);
    atomic_store(&g_res_phase, 1);
    ExReleaseResourceLite(&g_res);
    KeLeaveCriticalRegion();
    return NULL;
}

static void test_resource_waiter(void **state)
{
    (void)state;
    ExInitializeResourceLite(&g_res);
    atomic_store(&g_res_phase, 0);
    KeEnterCriticalRegion();
    ExAcquireResourceSharedLite(&g_res, TRUE);
    pthread_t th;
    pthread_create(&th, NULL, res_exclusive_waiter, NULL);
    for (;;) {
        if (ExGetExclusiveWaiterCount(&g_res) == 1)
            break;
        sched_yield();
    }
    /* a waiting exclusive request holds off new shared owners ... */
    assert_int_equal(res_try_in_thread(1), FALSE);
    /* ... but not the starving form, nor a thread already sharing */
    assert_true(ExAcquireResourceSharedLite(&g_res, FALSE));
    ExReleaseResourceLite(&g_res);
    assert_int_equal(atomic_load(&g_res_phase), 0);
    ExReleaseResourceLite(&g_res);
    KeLeaveCriticalRegion();
    pthread_join(th, NULL);
    assert_int_equal(atomic_load(&g_res_phase), 1);
    ExDeleteResourceLite(&g_res);
}

static void res_release_not_owned(void *arg)
{
    (void)arg;
    ExReleaseResourceLite(&g_res);
}
static void res_shared_then_exclusive(void *arg)
{
    (void)arg;
    ExAcquireResourceSharedLite(&g_res, TRUE);
    ExAcquireResourceExclusiveLite(&g_res, TRUE);
}
static void res_uninitialized(void *arg)
{
    ERESOURCE *r = arg;
    ExAcquireResourceExclusiveLite(r, TRUE);
}

static void test_resource_misuse(void **state)
{
    (void)state;
    ExInitializeResourceLite(&g_res);
    mdlkit_bugcheck bc = tk_bugcheck(res_release_not_owned, NULL);
    assert_int_equal(bc.code, 0xE3); /* RESOURCE_NOT_OWNED */
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_res);
    assert_int_equal(bc.param[1], (ULONG_PTR)KeGetCurrentThread());
    bc = tk_bugcheck(res_shared_then_exclusive, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00A40002);
    assert_int_equal(bc.param[2], (ULONG_PTR)&g_res);
    ExReleaseResourceLite(&g_res); /* the shared acquire of the caught call */
    ExDeleteResourceLite(&g_res);
    static ERESOURCE never;
    bc = tk_bugcheck(res_uninitialized, &never);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00A40003);
    bc = tk_bugcheck(res_uninitialized, &g_res); /* deleted */
    assert_int_equal(bc.param[0], 0x00A40003);
}

/* ---- critical regions, queued spin locks ---- */

static void leave_unbalanced(void *arg)
{
    (void)arg;
    KeLeaveCriticalRegion();
}
static void leave_guarded_unbalanced(void *arg)
{
    (void)arg;
    KeLeaveGuardedRegion();
}

static void test_regions(void **state)
{
    (void)state;
    assert_false(KeAreApcsDisabled());
    KeEnterCriticalRegion();
    assert_true(KeAreApcsDisabled());
    assert_false(KeAreAllApcsDisabled());
    KeEnterGuardedRegion();
    assert_true(KeAreAllApcsDisabled());
    KeLeaveGuardedRegion();
    KeLeaveCriticalRegion();
    assert_false(KeAreApcsDisabled());
    mdlkit_bugcheck bc = tk_bugcheck(leave_unbalanced, NULL);
    assert_int_equal(bc.code, 0x01); /* APC_INDEX_MISMATCH */
    bc = tk_bugcheck(leave_guarded_unbalanced, NULL);
    assert_int_equal(bc.code, 0x01);
}

static KSPIN_LOCK g_lock;
static KLOCK_QUEUE_HANDLE g_qh;
static void queued_release_twice(void *arg)
{
    (void)arg;
    KeAcquireInStackQueuedSpinLock(&g_lock, &g_qh);
    KeReleaseInStackQueuedSpinLock(&g_qh);
    KeReleaseInStackQueuedSpinLock(&g_qh);
}
static void try_below_dispatch(void *arg)
{
    (void)arg;
    KeTryToAcquireSpinLockAtDpcLevel(&g_lock);
}

static void test_queued_spin_locks(void **state)
{
    (void)state;
    assert_int_equal(sizeof(KLOCK_QUEUE_HANDLE), 0x18);
    KeInitializeSpinLock(&g_lock);
    KLOCK_QUEUE_HANDLE h;
    KeAcquireInStackQueuedSpinLock(&g_lock, &h);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_true(g_lock != 0);
    assert_int_equal(h.OldIrql, PASSIVE_LEVEL);
    assert_false(KeTryToAcquireSpinLockAtDpcLevel(&g_lock)); /* held */
    KeReleaseInStackQueuedSpinLock(&h);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(g_lock, 0);

    KIRQL old = KeRaiseIrqlToDpcLevel();
    KeAcquireInStackQueuedSpinLockAtDpcLevel(&g_lock, &h);
    KeReleaseInStackQueuedSpinLockFromDpcLevel(&h);
    assert_true(KeTryToAcquireSpinLockAtDpcLevel(&g_lock));
    KeReleaseSpinLockFromDpcLevel(&g_lock);
    KIRQL f = KeAcquireSpinLockForDpc(&g_lock);
    assert_int_equal(f, DISPATCH_LEVEL);
    KeReleaseSpinLockForDpc(&g_lock, f);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);
    KIRQL p = KeAcquireSpinLockForDpc(&g_lock);
    assert_int_equal(p, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeReleaseSpinLockForDpc(&g_lock, p);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeAcquireInStackQueuedSpinLockForDpc(&g_lock, &h);
    KeReleaseInStackQueuedSpinLockForDpc(&h);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    mdlkit_bugcheck bc = tk_bugcheck(queued_release_twice, NULL);
    assert_int_equal(bc.code, SPIN_LOCK_NOT_OWNED);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_qh);
    bc = tk_bugcheck(try_below_dispatch, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x40);
}

/* ---- a driver that frees an active ERESOURCE ---- */
static PERESOURCE g_pool_res;
static NTSTATUS res_driver_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    g_pool_res = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(ERESOURCE), 'sRkM');
    if (!g_pool_res)
        return STATUS_INSUFFICIENT_RESOURCES;
    ExInitializeResourceLite(g_pool_res);
    ExFreePoolWithTag(g_pool_res, 'sRkM'); /* without ExDeleteResourceLite */
    return STATUS_SUCCESS;
}
static PDRIVER_OBJECT g_drv;
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void test_resource_freed_active(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_load("resleft", res_driver_entry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x17);
    assert_int_equal(bc.param[1], (ULONG_PTR)g_pool_res);
    assert_int_equal(bc.param[2], 0); /* non-paged */
}

/* Guarded mutexes: acquiring enters a guarded region (all APCs disabled)
 * without raising the IRQL; releasing leaves it; ownership checks as for
 * fast mutexes. */
static KGUARDED_MUTEX g_gm;
static void *try_gm(void *arg)
{
    BOOLEAN got = KeTryToAcquireGuardedMutex(arg);
    if (got)
        KeReleaseGuardedMutex(arg);
    return (void *)(intptr_t)got;
}
static void gm_recursive(void *arg)
{
    (void)arg;
    KeAcquireGuardedMutex(&g_gm);
    KeAcquireGuardedMutex(&g_gm);
}
static void gm_release_not_owned(void *arg)
{
    (void)arg;
    KeReleaseGuardedMutex(&g_gm);
}
static void gm_acquire_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeAcquireGuardedMutex(&g_gm);
}
static void test_guarded_mutex(void **state)
{
    (void)state;
    KeInitializeGuardedMutex(&g_gm);
    assert_int_equal(g_gm.Count, 1);
    assert_false(KeAreAllApcsDisabled());
    KeAcquireGuardedMutex(&g_gm);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_true(KeAreAllApcsDisabled());
    assert_ptr_equal(g_gm.Owner, KeGetCurrentThread());
    pthread_t th;
    void *r;
    pthread_create(&th, NULL, try_gm, &g_gm);
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, FALSE);
    KeReleaseGuardedMutex(&g_gm);
    assert_false(KeAreAllApcsDisabled());
    pthread_create(&th, NULL, try_gm, &g_gm);
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, TRUE);
    assert_true(KeTryToAcquireGuardedMutex(&g_gm));
    assert_true(KeAreAllApcsDisabled());
    KeReleaseGuardedMutex(&g_gm);
    assert_false(KeAreAllApcsDisabled());

    mdlkit_bugcheck bc = tk_bugcheck(gm_recursive, NULL);
    assert_int_equal(bc.code, 0xBF);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_gm);
    KeInitializeGuardedMutex(&g_gm);
    bc = tk_bugcheck(gm_release_not_owned, NULL);
    assert_int_equal(bc.code, 0x11);
    bc = tk_bugcheck(gm_acquire_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_gm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mutex_recursion, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mutex_excludes_other_threads, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mutex_release_not_owned, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mutex_release_not_owned_unhandled, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_semaphore_limit, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_fast_mutex, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_fast_mutex_excludes, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_fast_mutex_misuse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_fast_mutex_ddi, tk_setup_ddi, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_guarded_mutex, tk_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_resource, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_waiter, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_misuse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_regions, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_queued_spin_locks, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_resource_freed_active, tk_setup, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
