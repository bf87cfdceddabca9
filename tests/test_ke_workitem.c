/* Executive work items: ExQueueWorkItem runs the routine at PASSIVE_LEVEL
 * on a system worker thread; items that wait for each other do not
 * deadlock; queue type, double queueing and IRQL misuse; an item still
 * pending when its driver unloads. */
#include "testke.h"

typedef struct wi_rec {
    WORK_QUEUE_ITEM item;
    KEVENT done;
    KEVENT *wait_for;
    KIRQL irql;
    pthread_t thread;
    PVOID param;
} wi_rec;

static void wi_routine(PVOID p)
{
    wi_rec *r = p;
    r->irql = KeGetCurrentIrql();
    r->thread = pthread_self();
    r->param = p;
    if (r->wait_for) {
        LARGE_INTEGER t;
        KeWaitForSingleObject(r->wait_for, Executive, KernelMode, FALSE, tk_bound(&t));
    }
    KeSetEvent(&r->done, 0, FALSE);
}

static void test_runs_on_worker(void **state)
{
    (void)state;
    static wi_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.done, NotificationEvent, FALSE);
    ExInitializeWorkItem(&r.item, wi_routine, &r);
    assert_ptr_equal(r.item.WorkerRoutine, wi_routine);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old); /* allowed up to DISPATCH_LEVEL */
    ExQueueWorkItem(&r.item, DelayedWorkQueue);
    KeLowerIrql(old);
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(&r.done, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    mk_ex_workitems_flush();
    assert_int_equal(r.irql, PASSIVE_LEVEL);
    assert_false(pthread_equal(r.thread, pthread_self()));
    assert_ptr_equal(r.param, &r);
}

static void test_items_waiting_for_each_other(void **state)
{
    (void)state;
    static wi_rec a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    KeInitializeEvent(&a.done, NotificationEvent, FALSE);
    KeInitializeEvent(&b.done, NotificationEvent, FALSE);
    a.wait_for = &b.done; /* a waits for b, queued after it */
    ExInitializeWorkItem(&a.item, wi_routine, &a);
    ExInitializeWorkItem(&b.item, wi_routine, &b);
    ExQueueWorkItem(&a.item, CriticalWorkQueue);
    ExQueueWorkItem(&b.item, CriticalWorkQueue);
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(&a.done, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    mk_ex_workitems_flush();
}

static wi_rec g_second;
static KEVENT g_release;
static void queue_bad_type(void *arg)
{
    (void)arg;
    ExQueueWorkItem(&g_second.item, (WORK_QUEUE_TYPE)9);
}
static void queue_twice(void *arg)
{
    (void)arg;
    ExQueueWorkItem(&g_second.item, DelayedWorkQueue);
    ExQueueWorkItem(&g_second.item, DelayedWorkQueue);
}
static void queue_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    ExQueueWorkItem(&g_second.item, DelayedWorkQueue);
}

static void test_misuse(void **state)
{
    (void)state;
    memset(&g_second, 0, sizeof g_second);
    KeInitializeEvent(&g_second.done, NotificationEvent, FALSE);
    ExInitializeWorkItem(&g_second.item, wi_routine, &g_second);
    mdlkit_bugcheck bc = tk_bugcheck(queue_bad_type, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00A40004);
    assert_int_equal(bc.param[2], (ULONG_PTR)&g_second.item);
    bc = tk_bugcheck(queue_at_high, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    /* hold all 16 workers so the second queueing finds the item queued */
    static wi_rec blocks[16];
    KeInitializeEvent(&g_release, NotificationEvent, FALSE);
    for (int i = 0; i < 16; i++) {
        memset(&blocks[i], 0, sizeof blocks[i]);
        KeInitializeEvent(&blocks[i].done, NotificationEvent, FALSE);
        blocks[i].wait_for = &g_release;
        ExInitializeWorkItem(&blocks[i].item, wi_routine, &blocks[i]);
        ExQueueWorkItem(&blocks[i].item, DelayedWorkQueue);
    }
    g_second.wait_for = &g_release;
    bc = tk_bugcheck(queue_twice, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00A40005);
    KeSetEvent(&g_release, 0, FALSE);
    mk_ex_workitems_flush();
}

/* ---- a driver unloaded with its item pending ---- */
static wi_rec g_drv_item;
static NTSTATUS wi_driver_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    memset(&g_drv_item, 0, sizeof g_drv_item);
    KeInitializeEvent(&g_drv_item.done, NotificationEvent, FALSE);
    g_drv_item.wait_for = &g_release;
    ExInitializeWorkItem(&g_drv_item.item, wi_routine, &g_drv_item);
    ExQueueWorkItem(&g_drv_item.item, DelayedWorkQueue);
    return STATUS_SUCCESS;
}
static PDRIVER_OBJECT g_drv;
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void test_pending_at_unload(void **state)
{
    (void)state;
    KeInitializeEvent(&g_release, NotificationEvent, FALSE);
    assert_int_equal(mdlkit_driver_load("wileft", wi_driver_entry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xCE);
    assert_int_equal(bc.param[0], (ULONG_PTR)wi_routine);
    assert_int_equal(bc.param[2], (ULONG_PTR)&g_drv_item.item);
    KeSetEvent(&g_release, 0, FALSE);
    mk_ex_workitems_flush();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_runs_on_worker, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_items_waiting_for_each_other, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_misuse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pending_at_unload, tk_setup, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
