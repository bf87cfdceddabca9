/* Event objects by handle: ZwCreateEvent (unnamed and named, OBJ_OPENIF,
 * collisions, bad names), ZwSetEvent / ZwResetEvent / ZwClearEvent,
 * ZwWaitForSingleObject on events and thread objects, and the errors. */
#include "testke.h"

static void test_unnamed(void **state)
{
    (void)state;
    HANDLE h;
    assert_int_equal(ZwCreateEvent(&h, EVENT_ALL_ACCESS, NULL, SynchronizationEvent, FALSE), STATUS_SUCCESS);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_TIMEOUT);
    LONG prev = -1;
    assert_int_equal(ZwSetEvent(h, &prev), STATUS_SUCCESS);
    assert_int_equal(prev, 0);
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_TIMEOUT); /* synchronization */
    assert_int_equal(ZwSetEvent(h, NULL), STATUS_SUCCESS);
    assert_int_equal(ZwResetEvent(h, &prev), STATUS_SUCCESS);
    assert_int_equal(prev, 1);
    assert_int_equal(ZwSetEvent(h, NULL), STATUS_SUCCESS);
    assert_int_equal(ZwClearEvent(h), STATUS_SUCCESS);
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_TIMEOUT);
    /* the handle names an event a driver can reference */
    PKEVENT e;
    assert_int_equal(ObReferenceObjectByHandle(h, 0, *ExEventObjectType, KernelMode, (PVOID *)&e, NULL),
                     STATUS_SUCCESS);
    KeSetEvent(e, 0, FALSE);
    ObDereferenceObject(e);
    LARGE_INTEGER t;
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    assert_int_equal(ZwClose(h), STATUS_SUCCESS);
    assert_int_equal(ZwSetEvent(h, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(ZwWaitForSingleObject(h, FALSE, &zero), STATUS_INVALID_HANDLE);
    assert_int_equal(ZwCreateEvent(&h, 0, NULL, (EVENT_TYPE)7, FALSE), STATUS_INVALID_PARAMETER);
}

static void test_named(void **state)
{
    (void)state;
    static WCHAR nm[] = L"\\BaseNamedObjects\\MkEvent";
    static WCHAR nm_lower[] = L"\\basenamedobjects\\mkevent";
    UNICODE_STRING name = {sizeof nm - sizeof(WCHAR), sizeof nm, nm};
    UNICODE_STRING lower = {sizeof nm_lower - sizeof(WCHAR), sizeof nm_lower, nm_lower};
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    HANDLE a, b, c;
    assert_int_equal(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    assert_int_equal(ZwCreateEvent(&b, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_NAME_COLLISION);
    InitializeObjectAttributes(&oa, &lower, OBJ_KERNEL_HANDLE | OBJ_OPENIF, NULL, NULL);
    /* case matters unless OBJ_CASE_INSENSITIVE */
    assert_int_equal(ZwCreateEvent(&c, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    ZwClose(c);
    InitializeObjectAttributes(&oa, &lower, OBJ_KERNEL_HANDLE | OBJ_OPENIF | OBJ_CASE_INSENSITIVE, NULL, NULL);
    assert_int_equal(ZwCreateEvent(&b, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_NAME_EXISTS);
    assert_true(a != b);
    /* the same event */
    assert_int_equal(ZwSetEvent(a, NULL), STATUS_SUCCESS);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(ZwWaitForSingleObject(b, FALSE, &zero), STATUS_SUCCESS);
    ZwClose(a);
    ZwClose(b);
    /* the name went with the object */
    InitializeObjectAttributes(&oa, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    assert_int_equal(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    ZwClose(a);
    /* a relative name without a root */
    static WCHAR rel[] = L"NoSlash";
    UNICODE_STRING rname = {sizeof rel - sizeof(WCHAR), sizeof rel, rel};
    InitializeObjectAttributes(&oa, &rname, OBJ_KERNEL_HANDLE, NULL, NULL);
    assert_int_equal(ZwCreateEvent(&a, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_OBJECT_PATH_SYNTAX_BAD);
}

static void quick(PVOID ctx) { (void)ctx; }

static void test_wait_on_handles(void **state)
{
    (void)state;
    HANDLE th;
    assert_int_equal(PsCreateSystemThread(&th, THREAD_ALL_ACCESS, NULL, NULL, NULL, quick, NULL), STATUS_SUCCESS);
    LARGE_INTEGER t;
    assert_int_equal(ZwWaitForSingleObject(th, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    /* a thread is not an event */
    assert_int_equal(ZwSetEvent(th, NULL), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ZwClose(th), STATUS_SUCCESS);
}

static void create_at_apc(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    HANDLE h;
    ZwCreateEvent(&h, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE);
}

static void test_irql(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(create_at_apc, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], APC_LEVEL);
}

static void test_irql_ddi(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(create_at_apc, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x0002001F); /* IrqlZwPassive */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unnamed, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_named, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_wait_on_handles, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_irql, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_irql_ddi, tk_setup_ddi, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
