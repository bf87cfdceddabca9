/* Waits: semaphores counted down by waits, WaitAny / WaitAll (nothing
 * consumed until every object is signalled), timeouts (relative, absolute,
 * zero = poll, allowed at DISPATCH_LEVEL), the wait-block array rules, the
 * IRQL rules, KeDelayExecutionThread, objects that are not dispatcher
 * objects, and the time routines. */
#include "testke.h"

static KEVENT g_a, g_b;

static void test_semaphore_counts_down(void **state)
{
    (void)state;
    KSEMAPHORE s;
    KeInitializeSemaphore(&s, 2, 5);
    assert_int_equal(s.Header.Type, 5);
    assert_int_equal(s.Limit, 5);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&s, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    assert_int_equal(KeReleaseSemaphore(&s, 0, 3, FALSE), 0);
    assert_int_equal(KeReadStateSemaphore(&s), 3);
}

static void test_wait_any(void **state)
{
    (void)state;
    KEVENT a, b;
    KeInitializeEvent(&a, SynchronizationEvent, FALSE);
    KeInitializeEvent(&b, SynchronizationEvent, TRUE);
    PVOID objs[2] = {&a, &b};
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForMultipleObjects(2, objs, WaitAny, Executive, KernelMode, FALSE, &zero, NULL),
                     STATUS_WAIT_1);
    assert_int_equal(KeReadStateEvent(&b), 0);
    assert_int_equal(KeWaitForMultipleObjects(2, objs, WaitAny, Executive, KernelMode, FALSE, &zero, NULL),
                     STATUS_TIMEOUT);
    KeSetEvent(&a, 0, FALSE);
    KeSetEvent(&b, 0, FALSE);
    /* the first signalled object in array order wins */
    assert_int_equal(KeWaitForMultipleObjects(2, objs, WaitAny, Executive, KernelMode, FALSE, &zero, NULL),
                     STATUS_WAIT_0);
    assert_int_equal(KeReadStateEvent(&b), 1);
}

static void test_wait_all_immediate(void **state)
{
    (void)state;
    KEVENT a, b;
    KeInitializeEvent(&a, SynchronizationEvent, TRUE);
    KeInitializeEvent(&b, SynchronizationEvent, FALSE);
    PVOID objs[2] = {&a, &b};
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForMultipleObjects(2, objs, WaitAll, Executive, KernelMode, FALSE, &zero, NULL),
                     STATUS_TIMEOUT);
    assert_int_equal(KeReadStateEvent(&a), 1); /* nothing consumed */
    KeSetEvent(&b, 0, FALSE);
    assert_int_equal(KeWaitForMultipleObjects(2, objs, WaitAll, Executive, KernelMode, FALSE, &zero, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&a), 0);
    assert_int_equal(KeReadStateEvent(&b), 0);
}

static void *wait_all_thread(void *arg)
{
    (void)arg;
    PVOID objs[2] = {&g_a, &g_b};
    LARGE_INTEGER t;
    return (void *)(intptr_t)KeWaitForMultipleObjects(2, objs, WaitAll, Executive, KernelMode, FALSE, tk_bound(&t),
                                                      NULL);
}

static void test_wait_all_blocking(void **state)
{
    (void)state;
    KeInitializeEvent(&g_a, SynchronizationEvent, FALSE);
    KeInitializeEvent(&g_b, SynchronizationEvent, FALSE);
    pthread_t th;
    pthread_create(&th, NULL, wait_all_thread, NULL);
    tk_until_waiter(&g_a.Header);
    KeSetEvent(&g_a, 0, FALSE);
    /* one of two: the waiter keeps waiting and takes nothing */
    assert_int_equal(KeReadStateEvent(&g_a), 1);
    KeSetEvent(&g_b, 0, FALSE);
    void *r;
    pthread_join(th, &r);
    assert_int_equal((intptr_t)r, STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&g_a), 0);
    assert_int_equal(KeReadStateEvent(&g_b), 0);
}

static void test_timeouts(void **state)
{
    (void)state;
    KEVENT e;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    LARGE_INTEGER t = {.QuadPart = -1}; /* 100 ns, relative */
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &t), STATUS_TIMEOUT);
    t.QuadPart = -10000; /* 1 ms */
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, TRUE, &t), STATUS_TIMEOUT);
    KeQuerySystemTime(&t); /* absolute: now, already past */
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &t), STATUS_TIMEOUT);
    t.QuadPart = 1; /* absolute, 1601 */
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &t), STATUS_TIMEOUT);
    /* a signalled object is taken whatever the timeout */
    KeSetEvent(&e, 0, FALSE);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
}

static void test_poll_at_dispatch(void **state)
{
    (void)state;
    KEVENT e;
    KeInitializeEvent(&e, SynchronizationEvent, TRUE);
    LARGE_INTEGER zero = {.QuadPart = 0};
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KeLowerIrql(old);
}

static void wait_dispatch_infinite(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeWaitForSingleObject(&g_a, Executive, KernelMode, FALSE, NULL);
}
static void wait_dispatch_timeout(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    LARGE_INTEGER t = {.QuadPart = -10};
    KeWaitForSingleObject(&g_a, Executive, KernelMode, FALSE, &t);
}
static void wait_high_zero(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    LARGE_INTEGER t = {.QuadPart = 0};
    KeWaitForSingleObject(&g_a, Executive, KernelMode, FALSE, &t);
}
static void delay_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    LARGE_INTEGER t = {.QuadPart = -10};
    KeDelayExecutionThread(KernelMode, FALSE, &t);
}

static void test_wait_irql(void **state)
{
    (void)state;
    KeInitializeEvent(&g_a, NotificationEvent, TRUE); /* even when it would be satisfied */
    mdlkit_bugcheck bc = tk_bugcheck(wait_dispatch_infinite, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_a);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
    bc = tk_bugcheck(wait_dispatch_timeout, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    bc = tk_bugcheck(wait_high_zero, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], HIGH_LEVEL);
    bc = tk_bugcheck(delay_at_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static KEVENT g_many[5];
static void wait_four_no_array(void *arg)
{
    (void)arg;
    PVOID objs[4] = {&g_many[0], &g_many[1], &g_many[2], &g_many[3]};
    LARGE_INTEGER zero = {.QuadPart = 0};
    KeWaitForMultipleObjects(4, objs, WaitAny, Executive, KernelMode, FALSE, &zero, NULL);
}
static void wait_65(void *arg)
{
    (void)arg;
    static PVOID objs[65];
    static KWAIT_BLOCK blocks[65];
    for (int i = 0; i < 65; i++)
        objs[i] = &g_many[0];
    LARGE_INTEGER zero = {.QuadPart = 0};
    KeWaitForMultipleObjects(65, objs, WaitAny, Executive, KernelMode, FALSE, &zero, blocks);
}

static void test_wait_block_rules(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        KeInitializeEvent(&g_many[i], NotificationEvent, FALSE);
    mdlkit_bugcheck bc = tk_bugcheck(wait_four_no_array, NULL);
    assert_int_equal(bc.code, 0x0C); /* MAXIMUM_WAIT_OBJECTS_EXCEEDED */
    assert_int_equal(bc.param[0], 4);
    bc = tk_bugcheck(wait_65, NULL);
    assert_int_equal(bc.code, 0x0C);
    /* with an array of wait blocks, more than THREAD_WAIT_OBJECTS work */
    KWAIT_BLOCK blocks[5];
    PVOID objs[5] = {&g_many[0], &g_many[1], &g_many[2], &g_many[3], &g_many[4]};
    KeSetEvent(&g_many[4], 0, FALSE);
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForMultipleObjects(5, objs, WaitAny, Executive, KernelMode, FALSE, tk_bound(&t), blocks),
                     STATUS_WAIT_0 + 4);
    assert_int_equal(sizeof(KWAIT_BLOCK), 0x30);
}

static void wait_not_dispatcher(void *arg)
{
    LARGE_INTEGER zero = {.QuadPart = 0};
    KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, &zero);
}

static void test_not_a_dispatcher_object(void **state)
{
    (void)state;
    KDPC dpc;
    KeInitializeDpc(&dpc, NULL, NULL);
    mdlkit_bugcheck bc = tk_bugcheck(wait_not_dispatcher, &dpc);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00A40001);
    assert_int_equal(bc.param[2], (ULONG_PTR)&dpc);
}

static void test_delay(void **state)
{
    (void)state;
    LARGE_INTEGER t = {.QuadPart = -100};
    assert_int_equal(KeDelayExecutionThread(KernelMode, FALSE, &t), STATUS_SUCCESS);
    t.QuadPart = 0;
    assert_int_equal(KeDelayExecutionThread(KernelMode, TRUE, &t), STATUS_SUCCESS);
    KeStallExecutionProcessor(1);
}

static void test_time(void **state)
{
    (void)state;
    assert_int_equal(KeQueryTimeIncrement(), 156250);
    LARGE_INTEGER st, st2;
    KeQuerySystemTime(&st);
    KeQuerySystemTimePrecise(&st2);
    assert_true(st.QuadPart > 132000000000000000LL); /* after 2019 */
    assert_true(st2.QuadPart >= st.QuadPart);
    ULONGLONG it = KeQueryInterruptTime();
    ULONGLONG itp = KeQueryInterruptTimePrecise(NULL);
    assert_true(itp >= it);
    assert_true(it >= 1000000); /* up for at least 0.1 s */
    LARGE_INTEGER ticks;
    KeQueryTickCount(&ticks);
    assert_true((ULONGLONG)ticks.QuadPart * 156250 <= KeQueryUnbiasedInterruptTime());
    LARGE_INTEGER f;
    LARGE_INTEGER c1 = KeQueryPerformanceCounter(&f);
    LARGE_INTEGER c2 = KeQueryPerformanceCounter(NULL);
    assert_int_equal(f.QuadPart, 10000000);
    assert_true(c2.QuadPart >= c1.QuadPart);
    LARGE_INTEGER local, back;
    ExSystemTimeToLocalTime(&st, &local);
    ExLocalTimeToSystemTime(&local, &back);
    assert_int_equal(back.QuadPart, st.QuadPart);
}

/* The documented x64 layouts drivers allocate. */
static void test_layouts(void **state)
{
    (void)state;
    assert_int_equal(sizeof(DISPATCHER_HEADER), 0x18);
    assert_int_equal(offsetof(DISPATCHER_HEADER, SignalState), 4);
    assert_int_equal(offsetof(DISPATCHER_HEADER, WaitListHead), 8);
    assert_int_equal(sizeof(KEVENT), 0x18);
    assert_int_equal(sizeof(KSEMAPHORE), 0x20);
    assert_int_equal(offsetof(KSEMAPHORE, Limit), 0x18);
    assert_int_equal(sizeof(KMUTEX), 0x38);
    assert_int_equal(offsetof(KMUTEX, OwnerThread), 0x28);
    assert_int_equal(sizeof(KTIMER), 0x40);
    assert_int_equal(offsetof(KTIMER, DueTime), 0x18);
    assert_int_equal(offsetof(KTIMER, Dpc), 0x30);
    assert_int_equal(sizeof(KDPC), 0x40);
    assert_int_equal(offsetof(KDPC, DeferredRoutine), 0x18);
    assert_int_equal(offsetof(KDPC, SystemArgument2), 0x30);
    assert_int_equal(offsetof(KDPC, DpcData), 0x38);
    assert_int_equal(sizeof(KWAIT_BLOCK), 0x30);
    assert_int_equal(offsetof(KWAIT_BLOCK, Thread), 0x18);
    assert_int_equal(offsetof(KWAIT_BLOCK, Object), 0x20);
    assert_int_equal(sizeof(FAST_MUTEX), 0x38);
    assert_int_equal(offsetof(FAST_MUTEX, Event), 0x18);
    assert_int_equal(offsetof(FAST_MUTEX, OldIrql), 0x30);
    assert_int_equal(sizeof(ERESOURCE), 0x68);
    assert_int_equal(offsetof(ERESOURCE, OwnerEntry), 0x30);
    assert_int_equal(offsetof(ERESOURCE, SpinLock), 0x60);
    assert_int_equal(sizeof(KLOCK_QUEUE_HANDLE), 0x18);
    assert_int_equal(sizeof(OBJECT_ATTRIBUTES), 0x30);
    assert_int_equal(sizeof(CLIENT_ID), 0x10);
    assert_int_equal(sizeof(WORK_QUEUE_ITEM), 0x20);
    assert_int_equal(sizeof(PROCESSOR_NUMBER), 4);
    OBJECT_ATTRIBUTES oa;
    UNICODE_STRING name;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
    assert_int_equal(oa.Length, sizeof oa);
    assert_ptr_equal(oa.ObjectName, &name);
    assert_int_equal(oa.Attributes, 0x240);
    assert_int_equal(THREAD_ALL_ACCESS, 0x1FFFFF);
    assert_int_equal(EVENT_ALL_ACCESS, 0x1F0003);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_semaphore_counts_down, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_any, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_all_immediate, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_all_blocking, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_timeouts, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_poll_at_dispatch, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_irql, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_block_rules, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_dispatcher_object, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_delay, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_time, tk_setup, mk_test_teardown),
        cmocka_unit_test(test_layouts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
