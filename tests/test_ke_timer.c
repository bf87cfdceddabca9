/* Timers: dispatcher objects signalled at expiry (notification: stays
 * signalled; synchronization: one waiter), the DPC queued at expiry,
 * KeSetTimer's and KeCancelTimer's return values, periodic timers,
 * absolute due times, the IRQL rule, a negative period. */
#include "testke.h"

static KTIMER g_timer;

typedef struct timer_rec {
    KEVENT done;
    atomic_int runs;
    int stop_at;
    PVOID a1, a2;
    KIRQL irql;
} timer_rec;

static void timer_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    timer_rec *r = ctx;
    r->a1 = a1;
    r->a2 = a2;
    r->irql = KeGetCurrentIrql();
    if (atomic_fetch_add(&r->runs, 1) + 1 == r->stop_at)
        KeSetEvent(&r->done, 0, FALSE);
}

static void test_notification_timer(void **state)
{
    (void)state;
    assert_int_equal(sizeof(KTIMER), 0x40);
    KTIMER t;
    KeInitializeTimer(&t);
    assert_int_equal(t.Header.Type, 8);
    assert_false(KeReadStateTimer(&t));
    LARGE_INTEGER due = {.QuadPart = -1};
    assert_false(KeSetTimer(&t, due, NULL));
    LARGE_INTEGER b;
    assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, tk_bound(&b)), STATUS_SUCCESS);
    assert_true(KeReadStateTimer(&t));
    /* a notification timer stays signalled */
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_false(KeCancelTimer(&t)); /* expired: not set any more */
    /* setting it again makes it not signalled */
    due.QuadPart = -100000000LL; /* 10 s */
    assert_false(KeSetTimer(&t, due, NULL));
    assert_false(KeReadStateTimer(&t));
    assert_true(KeSetTimer(&t, due, NULL)); /* was set */
    assert_true(KeCancelTimer(&t));
    assert_false(KeCancelTimer(&t));
}

static void test_synchronization_timer(void **state)
{
    (void)state;
    KTIMER t;
    KeInitializeTimerEx(&t, SynchronizationTimer);
    assert_int_equal(t.Header.Type, 9);
    LARGE_INTEGER due = {.QuadPart = -10};
    KeSetTimer(&t, due, NULL);
    LARGE_INTEGER b;
    assert_int_equal(KeWaitForSingleObject(&t, Executive, KernelMode, FALSE, tk_bound(&b)), STATUS_SUCCESS);
    assert_false(KeReadStateTimer(&t)); /* the wait took it */
}

static void test_timer_dpc(void **state)
{
    (void)state;
    static timer_rec r;
    memset(&r, 0, sizeof r);
    r.stop_at = 1;
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeDpc(&dpc, timer_dpc, &r);
    KeInitializeTimer(&g_timer);
    LARGE_INTEGER now;
    KeQuerySystemTime(&now); /* absolute, already due */
    KeSetTimer(&g_timer, now, &dpc);
    LARGE_INTEGER b;
    assert_int_equal(KeWaitForSingleObject(&r.done, Executive, KernelMode, FALSE, tk_bound(&b)), STATUS_SUCCESS);
    KeFlushQueuedDpcs();
    assert_int_equal(r.irql, DISPATCH_LEVEL);
    LONGLONG when = (LONGLONG)(((ULONGLONG)(ULONG)(ULONG_PTR)r.a2 << 32) | (ULONG)(ULONG_PTR)r.a1);
    assert_true(when >= now.QuadPart); /* the system time at expiry */
    assert_true(KeReadStateTimer(&g_timer));
}

static void test_periodic_timer(void **state)
{
    (void)state;
    static timer_rec r;
    memset(&r, 0, sizeof r);
    r.stop_at = 3;
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeDpc(&dpc, timer_dpc, &r);
    KeInitializeTimerEx(&g_timer, NotificationTimer);
    LARGE_INTEGER due = {.QuadPart = -10};
    assert_false(KeSetTimerEx(&g_timer, due, 1 /* ms */, &dpc));
    LARGE_INTEGER b;
    assert_int_equal(KeWaitForSingleObject(&r.done, Executive, KernelMode, FALSE, tk_bound(&b)), STATUS_SUCCESS);
    assert_true(KeCancelTimer(&g_timer)); /* periodic: still set */
    KeFlushQueuedDpcs();
    assert_true(atomic_load(&r.runs) >= 3);
    assert_int_equal(g_timer.Period, 1);
}

static void set_negative_period(void *arg)
{
    (void)arg;
    LARGE_INTEGER due = {.QuadPart = -10};
    KeSetTimerEx(&g_timer, due, -1, NULL);
}
static void set_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    LARGE_INTEGER due = {.QuadPart = -10};
    KeSetTimer(&g_timer, due, NULL);
}

static void test_timer_misuse(void **state)
{
    (void)state;
    KeInitializeTimer(&g_timer);
    mdlkit_bugcheck bc = tk_bugcheck(set_negative_period, NULL);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_INVALID_PARAMETER);
    assert_false(KeCancelTimer(&g_timer));
    bc = tk_bugcheck(set_at_high, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_timer);
    assert_int_equal(bc.param[1], HIGH_LEVEL);
    /* at DISPATCH_LEVEL setting and cancelling are fine */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    LARGE_INTEGER due = {.QuadPart = -100000000LL};
    KeSetTimer(&g_timer, due, NULL);
    assert_true(KeCancelTimer(&g_timer));
    KeLowerIrql(old);
}

static void test_timer_misuse_ddi(void **state)
{
    (void)state;
    KeInitializeTimer(&g_timer);
    mdlkit_bugcheck bc = tk_bugcheck(set_at_high, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00020011); /* IrqlKeDispatchLte */
}

/* ---- a driver that leaves its timer set / its DPC queued ---- */

static PKTIMER g_pool_timer;
static KDPC g_driver_dpc;
static atomic_int g_block_running, g_block_release;
static void block_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    (void)ctx;
    (void)a1;
    (void)a2;
    atomic_store(&g_block_running, 1);
    while (!atomic_load(&g_block_release))
        sched_yield();
}
static void nothing_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    (void)ctx;
    (void)a1;
    (void)a2;
}

static NTSTATUS timer_driver_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    g_pool_timer = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(KTIMER), 'mTkM');
    if (!g_pool_timer)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeTimer(g_pool_timer);
    LARGE_INTEGER due = {.QuadPart = -100000000LL}; /* 10 s: still set at unload */
    KeSetTimer(g_pool_timer, due, NULL);
    return STATUS_SUCCESS;
}

static NTSTATUS dpc_driver_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    KeInitializeDpc(&g_driver_dpc, nothing_dpc, NULL);
    KeSetTargetProcessorDpc(&g_driver_dpc, 0);
    KeInsertQueueDpc(&g_driver_dpc, NULL, NULL); /* processor 0 is busy: stays queued */
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void test_timer_set_at_unload(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_load("timerleft", timer_driver_entry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xC7); /* TIMER_OR_DPC_INVALID */
    assert_int_equal(bc.param[0], 0);
    assert_int_equal(bc.param[1], (ULONG_PTR)g_pool_timer);
    assert_true(bc.param[2] <= (ULONG_PTR)g_pool_timer && bc.param[3] >= (ULONG_PTR)(g_pool_timer + 1));
    assert_false(KeCancelTimer(g_pool_timer)); /* reported once, taken off the list */
}

static void test_dpc_queued_at_unload(void **state)
{
    (void)state;
    KDPC blocker;
    atomic_store(&g_block_running, 0);
    atomic_store(&g_block_release, 0);
    KeInitializeDpc(&blocker, block_dpc, NULL);
    KeSetTargetProcessorDpc(&blocker, 0);
    KeInsertQueueDpc(&blocker, NULL, NULL);
    while (!atomic_load(&g_block_running))
        sched_yield();
    assert_int_equal(mdlkit_driver_load("dpcleft", dpc_driver_entry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xC7);
    assert_int_equal(bc.param[0], 1); /* a DPC object (2 is a DPC routine) */
    assert_int_equal(bc.param[1], (ULONG_PTR)&g_driver_dpc);
    assert_null(g_driver_dpc.DpcData); /* dequeued */
    atomic_store(&g_block_release, 1);
    KeFlushQueuedDpcs();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notification_timer, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_synchronization_timer, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_timer_dpc, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_periodic_timer, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_timer_misuse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_timer_misuse_ddi, tk_setup_ddi, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_timer_set_at_unload, tk_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_dpc_queued_at_unload, tk_setup, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
