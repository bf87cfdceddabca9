/* Spin locks: IRQL effects, real mutual exclusion between threads, and the
 * bug checks for recursive acquire, release of a lock not held, and calls
 * at the wrong IRQL. */
#include "testutil.h"

#include <pthread.h>
#include <string.h>

static KSPIN_LOCK g_lock;

static int setup_ddi(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_DDI_COMPLIANCE | MDLKIT_VERIFY_FORCE_IRQL_CHECKING;
    return mdlkit_init(&c);
}

static void test_acquire_release_irql(void **state)
{
    (void)state;
    KSPIN_LOCK lock = (KSPIN_LOCK)0x55;
    KeInitializeSpinLock(&lock);
    assert_int_equal(lock, 0);
    KIRQL old;
    KeAcquireSpinLock(&lock, &old);
    assert_int_equal(old, PASSIVE_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_true(lock != 0); /* held */
    KeReleaseSpinLock(&lock, old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(lock, 0);

    /* from APC_LEVEL the old IRQL comes back */
    KIRQL apc;
    KeRaiseIrql(APC_LEVEL, &apc);
    old = KeAcquireSpinLockRaiseToDpc(&lock);
    assert_int_equal(old, APC_LEVEL);
    KeReleaseSpinLock(&lock, old);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL);
    KeLowerIrql(apc);

    /* the DPC-level variants keep the IRQL */
    KIRQL dpc = KeRaiseIrqlToDpcLevel();
    KeAcquireSpinLockAtDpcLevel(&lock);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    assert_true(lock != 0);
    KeReleaseSpinLockFromDpcLevel(&lock);
    assert_int_equal(lock, 0);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(dpc);

    /* two different locks nest */
    KSPIN_LOCK a, b;
    KeInitializeSpinLock(&a);
    KeInitializeSpinLock(&b);
    KIRQL oa;
    KeAcquireSpinLock(&a, &oa);
    KeAcquireSpinLockAtDpcLevel(&b);
    KeReleaseSpinLockFromDpcLevel(&b);
    KeReleaseSpinLock(&a, oa);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void acquire_twice(void *arg)
{
    PKSPIN_LOCK l = arg;
    KIRQL old;
    KeAcquireSpinLock(l, &old);
    KeAcquireSpinLock(l, &old);
}

static void acquire_twice_dpc(void *arg)
{
    PKSPIN_LOCK l = arg;
    KIRQL old;
    KeAcquireSpinLock(l, &old);
    KeAcquireSpinLockAtDpcLevel(l);
}

static void test_recursive_acquire(void **state)
{
    (void)state;
    KeInitializeSpinLock(&g_lock);
    mk_expect_bugcheck(acquire_twice, &g_lock, SPIN_LOCK_ALREADY_OWNED, &g_lock, 0, 0, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    KeInitializeSpinLock(&g_lock);
    mk_expect_bugcheck(acquire_twice_dpc, &g_lock, SPIN_LOCK_ALREADY_OWNED, &g_lock, 0, 0, 0);
    KeInitializeSpinLock(&g_lock);
}

static void release_free_lock(void *arg)
{
    (void)KeRaiseIrqlToDpcLevel();
    KeReleaseSpinLockFromDpcLevel(arg);
}

static void release_other_owner(void *arg)
{
    PKSPIN_LOCK l = arg;
    *l = (KSPIN_LOCK)0x1230; /* as if another processor held it */
    (void)KeRaiseIrqlToDpcLevel();
    KeReleaseSpinLock(l, PASSIVE_LEVEL);
}

static void double_release(void *arg)
{
    PKSPIN_LOCK l = arg;
    KIRQL old;
    KeAcquireSpinLock(l, &old);
    KeReleaseSpinLock(l, old);
    KeReleaseSpinLock(l, old); /* now at PASSIVE_LEVEL */
}

static void double_release_dpc(void *arg)
{
    PKSPIN_LOCK l = arg;
    (void)KeRaiseIrqlToDpcLevel();
    KeAcquireSpinLockAtDpcLevel(l);
    KeReleaseSpinLockFromDpcLevel(l);
    KeReleaseSpinLockFromDpcLevel(l);
}

static void test_release_not_owned(void **state)
{
    (void)state;
    KSPIN_LOCK l;
    KeInitializeSpinLock(&l);
    mk_expect_bugcheck(release_free_lock, &l, SPIN_LOCK_NOT_OWNED, &l, 0, 0, 0);
    mk_expect_bugcheck(release_other_owner, &l, SPIN_LOCK_NOT_OWNED, &l, 0x1230, 0, 0);
    assert_int_equal(l, 0x1230); /* not released by the failed call */
    KeInitializeSpinLock(&l);
    mk_expect_bugcheck(double_release, &l, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x32, PASSIVE_LEVEL, &l, 0);
    mk_expect_bugcheck(double_release_dpc, &l, SPIN_LOCK_NOT_OWNED, &l, 0, 0, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void acquire_at_high(void *arg)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeAcquireSpinLock((PKSPIN_LOCK)arg, &old);
}

static void acquire_dpc_at_passive(void *arg) { KeAcquireSpinLockAtDpcLevel(arg); }

static void release_dpc_at_apc(void *arg)
{
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    KeReleaseSpinLockFromDpcLevel(arg);
}

static void release_raising(void *arg)
{
    KIRQL old;
    KeAcquireSpinLock((PKSPIN_LOCK)arg, &old);
    KeReleaseSpinLock((PKSPIN_LOCK)arg, HIGH_LEVEL);
}

static void test_wrong_irql(void **state)
{
    (void)state;
    KSPIN_LOCK l;
    KeInitializeSpinLock(&l);
    mk_expect_bugcheck(acquire_at_high, &l, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x42, HIGH_LEVEL, &l, 0);
    assert_int_equal(l, 0); /* not taken */
    mk_expect_bugcheck(acquire_dpc_at_passive, &l, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x40, PASSIVE_LEVEL, &l, 0);
    mk_expect_bugcheck(release_dpc_at_apc, &l, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x41, APC_LEVEL, &l, 0);
    mk_expect_bugcheck(release_raising, &l, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x31, DISPATCH_LEVEL, HIGH_LEVEL, 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Under DDI compliance checking the IRQL rules report their rule IDs. */
static void test_ddi_rules(void **state)
{
    (void)state;
    KSPIN_LOCK l;
    KeInitializeSpinLock(&l);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(acquire_at_high, &l, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00020011); /* IrqlKeDispatchLte */
    assert_non_null(strstr((const char *)bc.param[1], "DISPATCH_LEVEL"));
    assert_int_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], 0);
    assert_int_equal(mdlkit_catch_bugcheck(double_release, &l, &bc), 1);
    assert_int_equal(bc.param[0], 0x00020015); /* IrqlKeReleaseSpinLock */
    assert_non_null(strstr((const char *)bc.param[1], "KeReleaseSpinLock"));
    /* correct use still works with Force IRQL Checking on */
    KIRQL old;
    KeInitializeSpinLock(&l);
    KeAcquireSpinLock(&l, &old);
    KeReleaseSpinLock(&l, old);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* Two threads really exclude each other. */
#define MX_ITERATIONS 200000
static KSPIN_LOCK mx_lock;
static volatile long mx_counter;
static volatile int mx_inside;
static volatile int mx_overlaps;

static void *mx_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < MX_ITERATIONS; i++) {
        KIRQL old;
        KeAcquireSpinLock(&mx_lock, &old);
        if (mx_inside)
            mx_overlaps++;
        mx_inside = 1;
        long v = mx_counter;
        if ((i & 63) == 0)
            sched_yield(); /* widen the window */
        mx_counter = v + 1;
        mx_inside = 0;
        KeReleaseSpinLock(&mx_lock, old);
    }
    return NULL;
}

static void test_mutual_exclusion(void **state)
{
    (void)state;
    KeInitializeSpinLock(&mx_lock);
    mx_counter = 0;
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, mx_worker, NULL), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(mx_overlaps, 0);
    assert_int_equal(mx_counter, 2L * MX_ITERATIONS);
    assert_int_equal(mx_lock, 0);
}

/* A lock held by one thread makes another thread's acquire wait. */
static KSPIN_LOCK wait_lock;
static volatile int wait_got;

static void *wait_worker(void *arg)
{
    (void)arg;
    KIRQL old;
    KeAcquireSpinLock(&wait_lock, &old);
    wait_got = 1;
    KeReleaseSpinLock(&wait_lock, old);
    return NULL;
}

static void test_contended_acquire_waits(void **state)
{
    (void)state;
    KeInitializeSpinLock(&wait_lock);
    wait_got = 0;
    KIRQL old;
    KeAcquireSpinLock(&wait_lock, &old);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_worker, NULL), 0);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    assert_int_equal(wait_got, 0); /* still waiting for us */
    KeReleaseSpinLock(&wait_lock, old);
    pthread_join(t, NULL);
    assert_int_equal(wait_got, 1);
}

int main(void)
{
    const struct CMUnitTest basic[] = {
        cmocka_unit_test(test_acquire_release_irql),
        cmocka_unit_test(test_recursive_acquire),
        cmocka_unit_test(test_release_not_owned),
        cmocka_unit_test(test_wrong_irql),
        cmocka_unit_test(test_mutual_exclusion),
        cmocka_unit_test(test_contended_acquire_waits),
    };
    const struct CMUnitTest ddi[] = {
        cmocka_unit_test(test_ddi_rules),
    };
    int rc = cmocka_run_group_tests_name("spinlock", basic, mk_test_setup, mk_test_teardown);
    rc |= cmocka_run_group_tests_name("spinlock_ddi", ddi, setup_ddi, mk_test_teardown);
    return rc;
}
