/* The object manager: reference counts (ObReferenceObject /
 * ObDereferenceObject, ObReferenceObjectByPointer), the destroy callback at
 * the last reference, handles (values, kernel vs user handles, access
 * checks for UserMode, type mismatch, closed and made-up handles, ZwClose
 * and NtClose), and the bug checks for a count taken below zero and a
 * kernel-mode close of a bad handle. */
#include "testke.h"

#include "mk_ob.h"

static atomic_int g_destroyed, g_closed_left;
static void proc_destroy(void *body)
{
    (void)body;
    atomic_fetch_add(&g_destroyed, 1);
}
static void proc_close(void *body, ULONG left)
{
    (void)body;
    atomic_store(&g_closed_left, (int)left);
}
static const mk_ob_type_ops proc_ops = {"Process", proc_close, proc_destroy};

static void test_reference_counts(void **state)
{
    (void)state;
    mk_ob_type_set_ops(*PsProcessType, &proc_ops);
    atomic_store(&g_destroyed, 0);
    void *o = mk_ob_create(*PsProcessType, 40);
    assert_non_null(o);
    assert_int_equal((uintptr_t)o % 16, 0);
    assert_int_equal(mk_ob_reference_count(o), 1);
    assert_int_equal(ObReferenceObject(o), 2);
    assert_int_equal(ObReferenceObjectByPointer(o, 0, *PsProcessType, KernelMode), STATUS_SUCCESS);
    assert_int_equal(mk_ob_reference_count(o), 3);
    assert_int_equal(ObReferenceObjectByPointer(o, 0, *ExEventObjectType, KernelMode), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mk_ob_reference_count(o), 3);
    assert_int_equal(ObDereferenceObject(o), 2);
    assert_int_equal(ObDereferenceObjectWithTag(o, 'tseT'), 1);
    assert_ptr_equal(ObGetObjectType(o), *PsProcessType);
    assert_int_equal(atomic_load(&g_destroyed), 0);
    ObDereferenceObject(o);
    assert_int_equal(atomic_load(&g_destroyed), 1);
    mk_ob_type_set_ops(*PsProcessType, NULL);
}

static void test_handles(void **state)
{
    (void)state;
    mk_ob_type_set_ops(*PsProcessType, &proc_ops);
    atomic_store(&g_destroyed, 0);
    void *o = mk_ob_create(*PsProcessType, 16);
    HANDLE u1, u2, k;
    assert_int_equal(mk_ob_insert_handle(o, SYNCHRONIZE, UserMode, &u1), STATUS_SUCCESS);
    assert_int_equal(mk_ob_insert_handle(o, GENERIC_ALL, UserMode, &u2), STATUS_SUCCESS);
    assert_int_equal(mk_ob_insert_handle(o, PROCESS_ALL_ACCESS, KernelMode, &k), STATUS_SUCCESS);
    assert_non_null(u1);
    assert_true(u1 != u2);
    assert_int_equal((ULONG_PTR)u1 % 4, 0);
    assert_int_equal((ULONG_PTR)k % 4, 0);
    assert_int_equal(mk_ob_reference_count(o), 4);
    ObDereferenceObject(o); /* the handles hold it */

    PVOID p = NULL;
    OBJECT_HANDLE_INFORMATION info;
    /* UserMode: the handle's access is checked */
    assert_int_equal(ObReferenceObjectByHandle(u1, PROCESS_TERMINATE, *PsProcessType, UserMode, &p, NULL),
                     STATUS_ACCESS_DENIED);
    assert_null(p);
    assert_int_equal(ObReferenceObjectByHandle(u1, SYNCHRONIZE, *PsProcessType, UserMode, &p, &info), STATUS_SUCCESS);
    assert_ptr_equal(p, o);
    assert_int_equal(info.GrantedAccess, SYNCHRONIZE);
    ObDereferenceObject(p);
    assert_int_equal(ObReferenceObjectByHandle(u2, PROCESS_TERMINATE | GENERIC_READ, *PsProcessType, UserMode, &p,
                                               &info),
                     STATUS_SUCCESS);
    assert_int_equal(info.GrantedAccess, PROCESS_ALL_ACCESS); /* GENERIC_ALL mapped */
    ObDereferenceObject(p);
    /* KernelMode: no access check */
    assert_int_equal(ObReferenceObjectByHandleWithTag(u1, PROCESS_TERMINATE, *PsProcessType, KernelMode, 'tseT', &p,
                                                      NULL),
                     STATUS_SUCCESS);
    ObDereferenceObjectWithTag(p, 'tseT');
    /* a kernel handle is invisible to UserMode */
    assert_int_equal(ObReferenceObjectByHandle(k, 0, NULL, UserMode, &p, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle(k, 0, NULL, KernelMode, &p, NULL), STATUS_SUCCESS);
    ObDereferenceObject(p);
    /* the type is checked */
    assert_int_equal(ObReferenceObjectByHandle(u1, SYNCHRONIZE, *ExEventObjectType, KernelMode, &p, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(ObReferenceObjectByHandle(u1, SYNCHRONIZE, *IoFileObjectType, KernelMode, &p, NULL),
                     STATUS_OBJECT_TYPE_MISMATCH);
    /* made-up handles */
    assert_int_equal(ObReferenceObjectByHandle(NULL, 0, NULL, KernelMode, &p, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)0x4446, 0, NULL, KernelMode, &p, NULL),
                     STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)0x40000, 0, NULL, KernelMode, &p, NULL),
                     STATUS_INVALID_HANDLE);
    /* closing: UserMode cannot close the kernel handle */
    assert_int_equal(mk_ob_close_handle(k, UserMode), STATUS_INVALID_HANDLE);
    assert_int_equal(mk_ob_close_handle(u1, UserMode), STATUS_SUCCESS);
    assert_int_equal(atomic_load(&g_closed_left), 2);
    assert_int_equal(mk_ob_close_handle(u1, UserMode), STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle(u1, 0, NULL, KernelMode, &p, NULL), STATUS_INVALID_HANDLE);
    assert_int_equal(NtClose(u2), STATUS_SUCCESS);
    assert_int_equal(NtClose(u2), STATUS_INVALID_HANDLE);
    assert_int_equal(atomic_load(&g_destroyed), 0);
    assert_int_equal(ZwClose(k), STATUS_SUCCESS);
    assert_int_equal(atomic_load(&g_closed_left), 0);
    assert_int_equal(atomic_load(&g_destroyed), 1); /* last reference gone */
    mk_ob_type_set_ops(*PsProcessType, NULL);
}

static void zwclose_bad(void *arg) { ZwClose(arg); }
static void deref_below_zero(void *arg)
{
    (void)arg;
    void *o = mk_ob_create(*PsProcessType, 16);
    ObReferenceObject(o);
    ObDereferenceObject(o);
    ObDereferenceObject(o); /* freed */
    ObDereferenceObject(o); /* one too many */
}
static void reference_not_object(void *arg) { ObReferenceObject(arg); }
static void ref_handle_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PVOID p;
    ObReferenceObjectByHandle(arg, 0, NULL, KernelMode, &p, NULL);
}

static void test_misuse(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(zwclose_bad, (void *)(ULONG_PTR)0x1000);
    assert_int_equal(bc.code, 0x93); /* INVALID_KERNEL_HANDLE */
    assert_int_equal(bc.param[0], 0x1000);
    assert_int_equal(bc.param[1], 1);
    bc = tk_bugcheck(deref_below_zero, NULL);
    assert_int_equal(bc.code, 0x18); /* REFERENCE_BY_POINTER */
    static char not_an_object[64];
    bc = tk_bugcheck(reference_not_object, not_an_object + 48);
    assert_int_equal(bc.code, 0x18);
    assert_int_equal(bc.param[1], (ULONG_PTR)(not_an_object + 48));
    bc = tk_bugcheck(ref_handle_at_dispatch, (void *)(ULONG_PTR)4);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
}

static void test_misuse_ddi(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(ref_handle_at_dispatch, (void *)(ULONG_PTR)4);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x0002001B); /* IrqlObPassive */
}

static void test_handles_closed_at_shutdown(void **state)
{
    (void)state;
    /* an event handle left open is closed at shutdown, as at process exit */
    HANDLE h = mdlkit_event_create(TRUE);
    assert_non_null(h);
}

static void test_pool_tags(void **state)
{
    (void)state;
    mdlkit_pool_tag_usage before, after;
    memset(&before, 0, sizeof before);
    mdlkit_pool_usage_tag('nevE', &before);
    HANDLE h = mdlkit_event_create(FALSE);
    assert_int_equal(mdlkit_pool_usage_tag('nevE', &after), 1);
    assert_string_equal(after.name, "Even");
    assert_int_equal(after.nonpaged_outstanding, before.nonpaged_outstanding + 1);
    assert_int_equal(NtClose(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pool_usage_tag('nevE', &after), 1);
    assert_int_equal(after.nonpaged_outstanding, before.nonpaged_outstanding);
}

/* ObOpenObjectByPointer: a handle to an object held by pointer (kernel
 * handle with OBJ_KERNEL_HANDLE), the type checked, PassedAccessState not
 * modelled, a pointer that is no object 0x18. */
static void open_not_an_object(void *arg)
{
    HANDLE h;
    ObOpenObjectByPointer(arg, OBJ_KERNEL_HANDLE, NULL, 0, NULL, KernelMode, &h);
}
static void test_open_by_pointer(void **state)
{
    (void)state;
    HANDLE ev = NULL;
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    assert_int_equal(ZwCreateEvent(&ev, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE), STATUS_SUCCESS);
    PKEVENT e = NULL;
    assert_int_equal(ObReferenceObjectByHandle(ev, EVENT_ALL_ACCESS, *ExEventObjectType, KernelMode, (PVOID *)&e, NULL),
                     STATUS_SUCCESS);
    HANDLE h = (HANDLE)(ULONG_PTR)1;
    assert_int_equal(ObOpenObjectByPointer(e, OBJ_KERNEL_HANDLE, NULL, SYNCHRONIZE, *PsThreadType, KernelMode, &h),
                     STATUS_OBJECT_TYPE_MISMATCH);
    assert_null(h);
    assert_int_equal(ObOpenObjectByPointer(e, OBJ_KERNEL_HANDLE, (PACCESS_STATE)(void *)&oa, SYNCHRONIZE, NULL,
                                           KernelMode, &h),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(ObOpenObjectByPointer(e, OBJ_KERNEL_HANDLE, NULL, SYNCHRONIZE, *ExEventObjectType, KernelMode, &h),
                     STATUS_SUCCESS);
    assert_non_null(h);
    assert_true(h != ev);
    assert_true(((ULONG_PTR)h & 0xFFFFFFFF80000000ull) == 0xFFFFFFFF80000000ull); /* a kernel handle */
    PKEVENT e2 = NULL;
    assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *ExEventObjectType, KernelMode, (PVOID *)&e2, NULL),
                     STATUS_SUCCESS);
    assert_ptr_equal(e2, e);
    ObDereferenceObject(e2);
    /* the new handle keeps the object: close the first one and signal through it */
    assert_int_equal(ZwClose(ev), STATUS_SUCCESS);
    assert_int_equal(ZwSetEvent(h, NULL), STATUS_SUCCESS);
    assert_int_equal(KeReadStateEvent(e), 1);
    assert_int_equal(ZwClose(h), STATUS_SUCCESS);
    ObDereferenceObject(e);
    static LONG not_an_object[8];
    mdlkit_bugcheck bc = tk_bugcheck(open_not_an_object, not_an_object);
    assert_int_equal(bc.code, 0x18);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reference_counts, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_handles, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_open_by_pointer, tk_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_misuse, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_misuse_ddi, tk_setup_ddi, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_handles_closed_at_shutdown, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_tags, tk_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
