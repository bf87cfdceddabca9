/* Events: notification and synchronization semantics, KePulseEvent, real
 * waits released by KeSetEvent from another thread, the IRQL rules of
 * KeSetEvent (Wait = FALSE / TRUE) and the others, and the harness's
 * user-mode events. */
#include "testke.h"

static KEVENT g_ev;

static void test_notification_states(void **state)
{
    (void)state;
    KEVENT e;
    KeInitializeEvent(&e, NotificationEvent, FALSE);
    assert_int_equal(e.Header.Type, 0);
    assert_int_equal(e.Header.Size, sizeof(KEVENT) / sizeof(LONG));
    assert_int_equal(KeReadStateEvent(&e), 0);
    assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 0);
    assert_int_equal(KeReadStateEvent(&e), 1);
    assert_int_equal(KeSetEvent(&e, IO_NO_INCREMENT, FALSE), 1);
    LARGE_INTEGER zero = {.QuadPart = 0};
    /* a notification event stays signalled through waits */
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeResetEvent(&e), 1);
    assert_int_equal(KeResetEvent(&e), 0);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KeSetEvent(&e, 0, FALSE);
    KeClearEvent(&e);
    assert_int_equal(KeReadStateEvent(&e), 0);
    KeInitializeEvent(&e, NotificationEvent, TRUE);
    assert_int_equal(KeReadStateEvent(&e), 1);
}

static void test_synchronization_consumed(void **state)
{
    (void)state;
    KEVENT e;
    KeInitializeEvent(&e, SynchronizationEvent, TRUE);
    assert_int_equal(e.Header.Type, 1);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&e), 0);
    assert_int_equal(KeWaitForSingleObject(&e, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
}

static atomic_int g_woken;
static void *waiter(void *arg)
{
    LARGE_INTEGER t;
    NTSTATUS st = KeWaitForSingleObject(arg, Executive, KernelMode, FALSE, tk_bound(&t));
    if (st == STATUS_SUCCESS)
        atomic_fetch_add(&g_woken, 1);
    return (void *)(intptr_t)st;
}

static void test_set_wakes_all_notification_waiters(void **state)
{
    (void)state;
    KeInitializeEvent(&g_ev, NotificationEvent, FALSE);
    atomic_store(&g_woken, 0);
    pthread_t a, b;
    pthread_create(&a, NULL, waiter, &g_ev);
    pthread_create(&b, NULL, waiter, &g_ev);
    for (;;) { /* both queued */
        pthread_mutex_lock(&mk_ke_lock);
        int n = 0;
        for (PLIST_ENTRY e = g_ev.Header.WaitListHead.Flink; e && e != &g_ev.Header.WaitListHead; e = e->Flink)
            n++;
        pthread_mutex_unlock(&mk_ke_lock);
        if (n == 2)
            break;
        sched_yield();
    }
    KeSetEvent(&g_ev, IO_NO_INCREMENT, FALSE);
    void *ra, *rb;
    pthread_join(a, &ra);
    pthread_join(b, &rb);
    assert_int_equal((intptr_t)ra, STATUS_SUCCESS);
    assert_int_equal((intptr_t)rb, STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&g_ev), 1);
}

static void test_set_releases_one_synchronization_waiter(void **state)
{
    (void)state;
    KeInitializeEvent(&g_ev, SynchronizationEvent, FALSE);
    atomic_store(&g_woken, 0);
    pthread_t a;
    pthread_create(&a, NULL, waiter, &g_ev);
    tk_until_waiter(&g_ev.Header);
    assert_int_equal(KeSetEvent(&g_ev, IO_NO_INCREMENT, FALSE), 0);
    /* the waiter took the signal: the event is not signalled any more */
    void *ra;
    pthread_join(a, &ra);
    assert_int_equal((intptr_t)ra, STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&g_ev), 0);
}

static void test_pulse(void **state)
{
    (void)state;
    KeInitializeEvent(&g_ev, NotificationEvent, FALSE);
    pthread_t a;
    pthread_create(&a, NULL, waiter, &g_ev);
    tk_until_waiter(&g_ev.Header);
    assert_int_equal(KePulseEvent(&g_ev, 0, FALSE), 0);
    void *ra;
    pthread_join(a, &ra);
    assert_int_equal((intptr_t)ra, STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(&g_ev), 0); /* pulsed: reset again */
    KeSetEvent(&g_ev, 0, FALSE);
    assert_int_equal(KePulseEvent(&g_ev, 0, FALSE), 1);
    assert_int_equal(KeReadStateEvent(&g_ev), 0);
}

static void set_wait_true_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeSetEvent(&g_ev, 0, TRUE);
}
static void set_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeSetEvent(&g_ev, 0, FALSE);
}
static void reset_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    KeResetEvent(&g_ev);
}

static void test_irql_rules(void **state)
{
    (void)state;
    KeInitializeEvent(&g_ev, NotificationEvent, FALSE);
    /* Wait = FALSE at DISPATCH_LEVEL is fine */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeSetEvent(&g_ev, 0, FALSE);
    KeLowerIrql(old);
    mdlkit_bugcheck bc = tk_bugcheck(set_wait_true_at_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_ev);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
    bc = tk_bugcheck(set_at_high, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], HIGH_LEVEL);
    bc = tk_bugcheck(reset_at_high, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

static void test_irql_rules_ddi(void **state)
{
    (void)state;
    KeInitializeEvent(&g_ev, NotificationEvent, FALSE);
    mdlkit_bugcheck bc = tk_bugcheck(set_wait_true_at_dispatch, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00020016); /* IrqlKeSetEvent */
    bc = tk_bugcheck(reset_at_high, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x00020011); /* IrqlKeDispatchLte */
}

static void test_usermode_events(void **state)
{
    (void)state;
    HANDLE m = mdlkit_event_create(TRUE);
    HANDLE a = mdlkit_event_create(FALSE);
    assert_non_null(m);
    assert_non_null(a);
    assert_int_equal((ULONG_PTR)m % 4, 0);
    assert_int_equal(mdlkit_event_wait(m, 0), STATUS_TIMEOUT);
    assert_int_equal(mdlkit_event_set(m), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(m, 0), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(m, 0), STATUS_SUCCESS); /* manual reset */
    assert_int_equal(mdlkit_event_reset(m), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(m, 1), STATUS_TIMEOUT);
    assert_int_equal(mdlkit_event_set(a), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(a, 0), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(a, 0), STATUS_TIMEOUT); /* auto reset */

    /* a driver references it and sets it */
    PKEVENT ke = NULL;
    assert_int_equal(ObReferenceObjectByHandle(a, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&ke, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(ObGetObjectType(ke), *ExEventObjectType);
    KeSetEvent(ke, IO_NO_INCREMENT, FALSE);
    assert_int_equal(mdlkit_event_wait(a, 10000), STATUS_SUCCESS);
    ObDereferenceObject(ke);

    /* errors */
    assert_int_equal(mdlkit_event_wait((HANDLE)(ULONG_PTR)0x7FF0, 0), STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_event_set(NULL), STATUS_INVALID_HANDLE);
    HANDLE th;
    assert_int_equal(NtClose(m), STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_set(m), STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_event_wait(m, 0), STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_event_reset(m), STATUS_INVALID_HANDLE);
    /* a handle of another type */
    KSEMAPHORE *sem = NULL;
    (void)sem;
    extern NTSTATUS mk_ob_insert_handle(void *, ACCESS_MASK, KPROCESSOR_MODE, HANDLE *);
    extern void *mk_ob_create(POBJECT_TYPE, SIZE_T);
    extern void mk_ob_dereference(void *);
    void *file = mk_ob_create(*IoFileObjectType, 64);
    assert_non_null(file);
    assert_int_equal(mk_ob_insert_handle(file, GENERIC_ALL, UserMode, &th), STATUS_SUCCESS);
    mk_ob_dereference(file);
    assert_int_equal(mdlkit_event_wait(th, 0), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mdlkit_event_set(th), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(NtClose(th), STATUS_SUCCESS);
    assert_int_equal(NtClose(a), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_notification_states, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_synchronization_consumed, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_set_wakes_all_notification_waiters, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_set_releases_one_synchronization_waiter, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pulse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_irql_rules, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_irql_rules_ddi, tk_setup_ddi, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_usermode_events, tk_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
