/* DPCs: they run on a simulated processor thread at DISPATCH_LEVEL (a
 * threaded DPC at PASSIVE_LEVEL), never on the caller's stack; inserting a
 * queued DPC returns FALSE; KeRemoveQueueDpc; importance; target
 * processors; KeFlushQueuedDpcs and its IRQL rule. */
#include "testke.h"

typedef struct dpc_rec {
    KEVENT done;
    atomic_int runs;
    KIRQL irql;
    ULONG cpu;
    pthread_t thread;
    PVOID a1, a2, ctx;
    atomic_int order_slot;
} dpc_rec;

static atomic_int g_order;

static void record_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    dpc_rec *r = ctx;
    r->irql = KeGetCurrentIrql();
    r->cpu = KeGetCurrentProcessorNumber();
    r->thread = pthread_self();
    r->a1 = a1;
    r->a2 = a2;
    r->ctx = ctx;
    atomic_store(&r->order_slot, atomic_fetch_add(&g_order, 1));
    atomic_fetch_add(&r->runs, 1);
    KeSetEvent(&r->done, IO_NO_INCREMENT, FALSE);
}

static atomic_int g_release;
static void blocking_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc;
    (void)a1;
    (void)a2;
    atomic_store((atomic_int *)ctx, 1); /* running */
    while (!atomic_load(&g_release))
        sched_yield();
}

static void test_dpc_runs_on_processor_thread(void **state)
{
    (void)state;
    static dpc_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeDpc(&dpc, record_dpc, &r);
    assert_int_equal(sizeof(KDPC), 0x40);
    assert_int_equal(dpc.Type, 19);
    assert_int_equal(dpc.Importance, MediumImportance);
    assert_true(KeInsertQueueDpc(&dpc, (PVOID)0x11, (PVOID)0x22));
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(&r.done, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    KeFlushQueuedDpcs();
    assert_int_equal(r.irql, DISPATCH_LEVEL);
    assert_false(pthread_equal(r.thread, pthread_self()));
    assert_ptr_equal(r.a1, (PVOID)0x11);
    assert_ptr_equal(r.a2, (PVOID)0x22);
    assert_ptr_equal(r.ctx, &r);
    assert_null(dpc.DpcData);
    /* the DPC can be queued again */
    KeClearEvent(&r.done);
    assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
    assert_int_equal(KeWaitForSingleObject(&r.done, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    KeFlushQueuedDpcs();
    assert_int_equal(atomic_load(&r.runs), 2);
}

static void test_insert_twice_and_remove(void **state)
{
    (void)state;
    static dpc_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    atomic_int running = 0;
    atomic_store(&g_release, 0);
    KDPC blocker, dpc;
    KeInitializeDpc(&blocker, blocking_dpc, &running);
    KeSetTargetProcessorDpc(&blocker, 0);
    KeInitializeDpc(&dpc, record_dpc, &r);
    KeSetTargetProcessorDpc(&dpc, 0);
    assert_true(KeInsertQueueDpc(&blocker, NULL, NULL));
    while (!atomic_load(&running))
        sched_yield();
    /* processor 0 is busy: dpc stays queued */
    assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
    assert_non_null(dpc.DpcData);
    assert_false(KeInsertQueueDpc(&dpc, NULL, NULL));
    assert_true(KeRemoveQueueDpc(&dpc));
    assert_null(dpc.DpcData);
    assert_false(KeRemoveQueueDpc(&dpc));
    atomic_store(&g_release, 1);
    KeFlushQueuedDpcs();
    assert_int_equal(atomic_load(&r.runs), 0);
}

static void test_importance_and_target(void **state)
{
    (void)state;
    static dpc_rec a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    KeInitializeEvent(&a.done, NotificationEvent, FALSE);
    KeInitializeEvent(&b.done, NotificationEvent, FALSE);
    atomic_store(&g_order, 0);
    atomic_int running = 0;
    atomic_store(&g_release, 0);
    KDPC blocker, da, db;
    KeInitializeDpc(&blocker, blocking_dpc, &running);
    KeInitializeDpc(&da, record_dpc, &a);
    KeInitializeDpc(&db, record_dpc, &b);
    PROCESSOR_NUMBER pn = {0, 1, 0};
    assert_int_equal(KeSetTargetProcessorDpcEx(&blocker, &pn), STATUS_SUCCESS);
    assert_int_equal(KeSetTargetProcessorDpcEx(&da, &pn), STATUS_SUCCESS);
    assert_int_equal(KeSetTargetProcessorDpcEx(&db, &pn), STATUS_SUCCESS);
    KeSetImportanceDpc(&db, HighImportance);
    assert_int_equal(db.Importance, HighImportance);
    KeInsertQueueDpc(&blocker, NULL, NULL);
    while (!atomic_load(&running))
        sched_yield();
    KeInsertQueueDpc(&da, NULL, NULL);
    KeInsertQueueDpc(&db, NULL, NULL); /* high importance: ahead of da */
    atomic_store(&g_release, 1);
    KeFlushQueuedDpcs();
    assert_int_equal(atomic_load(&a.runs), 1);
    assert_int_equal(atomic_load(&b.runs), 1);
    assert_true(atomic_load(&b.order_slot) < atomic_load(&a.order_slot));
    assert_int_equal(a.cpu, 1);
    assert_int_equal(b.cpu, 1);
    /* invalid targets */
    PROCESSOR_NUMBER bad = {1, 0, 0};
    assert_int_equal(KeSetTargetProcessorDpcEx(&da, &bad), STATUS_INVALID_PARAMETER);
    PROCESSOR_NUMBER bad2 = {0, 2, 0};
    assert_int_equal(KeSetTargetProcessorDpcEx(&da, &bad2), STATUS_INVALID_PARAMETER);
}

static void test_threaded_dpc(void **state)
{
    (void)state;
    static dpc_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeThreadedDpc(&dpc, record_dpc, &r);
    assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
    KeFlushQueuedDpcs();
    assert_int_equal(atomic_load(&r.runs), 1);
    assert_int_equal(r.irql, PASSIVE_LEVEL);
}

static void test_insert_at_high_level(void **state)
{
    (void)state;
    static dpc_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    KDPC dpc;
    KeInitializeDpc(&dpc, record_dpc, &r);
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old); /* KeInsertQueueDpc: any IRQL */
    assert_true(KeInsertQueueDpc(&dpc, NULL, NULL));
    KeLowerIrql(old);
    KeFlushQueuedDpcs();
    assert_int_equal(atomic_load(&r.runs), 1);
}

static void flush_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeFlushQueuedDpcs();
}

static void test_flush_irql(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(flush_at_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
}

static int setup_one_cpu(void **state)
{
    (void)state;
    return tk_setup_flags(0, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dpc_runs_on_processor_thread, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_dpc_runs_on_processor_thread, setup_one_cpu, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_insert_twice_and_remove, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_importance_and_target, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_threaded_dpc, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_insert_at_high_level, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_flush_irql, tk_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
