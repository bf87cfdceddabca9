/* Object-manager callbacks and process-creation notification:
 * ObGetFilterVersion, ObRegisterCallbacks (validation, altitude
 * collision), its pre- and post-operation routines around the thread
 * handle PsCreateSystemThread creates (KernelHandle, access cleared by the
 * pre-operation routine, CallContext handed to the post-operation
 * routine), ObUnRegisterCallbacks (and of a bogus handle),
 * PsSetCreateProcessNotifyRoutineEx (register, duplicate, limit, remove),
 * PsGetThreadProcessId, and a driver unloaded with either registration
 * left (0xCE). */
#include "testke.h"

static void quit(PVOID ctx)
{
    (void)ctx;
    PsTerminateSystemThread(STATUS_SUCCESS);
}

/* Creates a system thread (kernel handle if kernel), waits for it, closes the handle. */
static NTSTATUS make_thread(int kernel, ACCESS_MASK access)
{
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, kernel ? OBJ_KERNEL_HANDLE : 0, NULL, NULL);
    HANDLE h = NULL;
    NTSTATUS st = PsCreateSystemThread(&h, access, &oa, NULL, NULL, quit, NULL);
    if (!NT_SUCCESS(st))
        return st;
    PVOID t;
    assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &t, NULL), STATUS_SUCCESS);
    LARGE_INTEGER b;
    assert_int_equal(KeWaitForSingleObject(t, Executive, KernelMode, FALSE, tk_bound(&b)), STATUS_SUCCESS);
    ObDereferenceObject(t);
    assert_int_equal(ZwClose(h), STATUS_SUCCESS);
    return st;
}

static struct {
    int pre, post;
    ULONG kernel;
    OB_OPERATION op;
    POBJECT_TYPE type;
    PVOID object;
    ACCESS_MASK desired, original, granted;
    PVOID ctx_seen;
    NTSTATUS status;
    KIRQL irql;
} seen;
static int context_token;

static OB_PREOP_CALLBACK_STATUS Pre(PVOID ctx, POB_PRE_OPERATION_INFORMATION info)
{
    seen.pre++;
    seen.irql = KeGetCurrentIrql();
    seen.kernel = info->KernelHandle;
    seen.op = info->Operation;
    seen.type = info->ObjectType;
    seen.object = info->Object;
    seen.desired = info->Parameters->CreateHandleInformation.DesiredAccess;
    seen.original = info->Parameters->CreateHandleInformation.OriginalDesiredAccess;
    assert_ptr_equal(ctx, &context_token);
    assert_null(info->CallContext);
    /* take terminate away, try to add a right (ignored) */
    info->Parameters->CreateHandleInformation.DesiredAccess &= ~(ACCESS_MASK)THREAD_TERMINATE;
    info->Parameters->CreateHandleInformation.DesiredAccess |= 0x00100000; /* SYNCHRONIZE again: already there */
    info->CallContext = &seen;
    return OB_PREOP_SUCCESS;
}
static void Post(PVOID ctx, POB_POST_OPERATION_INFORMATION info)
{
    assert_ptr_equal(ctx, &context_token);
    seen.post++;
    seen.ctx_seen = info->CallContext;
    seen.granted = info->Parameters->CreateHandleInformation.GrantedAccess;
    seen.status = info->ReturnStatus;
}

static OB_OPERATION_REGISTRATION g_ops[1];
static OB_CALLBACK_REGISTRATION g_reg;
static void fill_reg(POBJECT_TYPE *type, OB_OPERATION ops, const WCHAR *altitude)
{
    memset(g_ops, 0, sizeof g_ops);
    g_ops[0].ObjectType = type;
    g_ops[0].Operations = ops;
    g_ops[0].PreOperation = Pre;
    g_ops[0].PostOperation = Post;
    memset(&g_reg, 0, sizeof g_reg);
    g_reg.Version = OB_FLT_REGISTRATION_VERSION;
    g_reg.OperationRegistrationCount = 1;
    RtlInitUnicodeString(&g_reg.Altitude, altitude);
    g_reg.RegistrationContext = &context_token;
    g_reg.OperationRegistration = g_ops;
}

static void test_ob_register_validation(void **state)
{
    (void)state;
    assert_int_equal(ObGetFilterVersion(), OB_FLT_REGISTRATION_VERSION);
    assert_int_equal(OB_FLT_REGISTRATION_VERSION, 0x0100);
    PVOID h = NULL;
    fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"1000");
    g_reg.Version = 0x0200;
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"1000");
    g_reg.OperationRegistrationCount = 0;
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(ExEventObjectType, OB_OPERATION_HANDLE_CREATE, L"1000"); /* not a process or thread */
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(PsThreadType, 0, L"1000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(PsThreadType, 0x4, L"1000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"1000");
    g_ops[0].PreOperation = NULL;
    g_ops[0].PostOperation = NULL;
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_INVALID_PARAMETER);
    assert_null(h);
    /* one registration per altitude */
    fill_reg(PsProcessType, OB_OPERATION_HANDLE_CREATE | OB_OPERATION_HANDLE_DUPLICATE, L"1000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_SUCCESS);
    assert_non_null(h);
    PVOID h2 = NULL;
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h2), STATUS_FLT_INSTANCE_ALTITUDE_COLLISION);
    RtlInitUnicodeString(&g_reg.Altitude, L"1001");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h2), STATUS_SUCCESS);
    ObUnRegisterCallbacks(h);
    ObUnRegisterCallbacks(h2);
    /* the altitude is free again */
    RtlInitUnicodeString(&g_reg.Altitude, L"1000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_SUCCESS);
    ObUnRegisterCallbacks(h);
}

static void test_ob_callbacks_around_thread_handle(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    PVOID h = NULL;
    /* process callbacks only: a thread handle does not call them */
    fill_reg(PsProcessType, OB_OPERATION_HANDLE_CREATE, L"2000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_SUCCESS);
    make_thread(1, THREAD_ALL_ACCESS);
    assert_int_equal(seen.pre + seen.post, 0);
    ObUnRegisterCallbacks(h);
    /* thread handle creation */
    fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"2000");
    assert_int_equal(ObRegisterCallbacks(&g_reg, &h), STATUS_SUCCESS);
    make_thread(1, SYNCHRONIZE | THREAD_TERMINATE | THREAD_QUERY_INFORMATION);
    assert_int_equal(seen.pre, 1);
    assert_int_equal(seen.post, 1);
    assert_int_equal(seen.irql, PASSIVE_LEVEL);
    assert_int_equal(seen.kernel, 1);
    assert_int_equal(seen.op, OB_OPERATION_HANDLE_CREATE);
    assert_ptr_equal(seen.type, *PsThreadType);
    assert_non_null(seen.object);
    assert_int_equal(seen.desired, SYNCHRONIZE | THREAD_TERMINATE | THREAD_QUERY_INFORMATION);
    assert_int_equal(seen.original, SYNCHRONIZE | THREAD_TERMINATE | THREAD_QUERY_INFORMATION);
    assert_int_equal(seen.granted, SYNCHRONIZE | THREAD_QUERY_INFORMATION); /* terminate cleared */
    assert_ptr_equal(seen.ctx_seen, &seen);
    assert_int_equal(seen.status, STATUS_SUCCESS);
    /* a handle without OBJ_KERNEL_HANDLE */
    make_thread(0, SYNCHRONIZE);
    assert_int_equal(seen.pre, 2);
    assert_int_equal(seen.kernel, 0);
    /* unregistered: no more calls */
    ObUnRegisterCallbacks(h);
    make_thread(1, SYNCHRONIZE);
    assert_int_equal(seen.pre, 2);
    assert_int_equal(seen.post, 2);
}

static void unregister_bogus(void *arg)
{
    (void)arg;
    ObUnRegisterCallbacks((PVOID)&g_reg);
}
static void test_ob_unregister_bogus(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(unregister_bogus, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_CALLBACK);
    assert_int_equal(bc.param[2], (ULONG_PTR)&g_reg);
}

static void Notify(PEPROCESS p, HANDLE pid, PPS_CREATE_NOTIFY_INFO info)
{
    (void)p;
    (void)pid;
    (void)info;
}
static void Notify2(PEPROCESS p, HANDLE pid, PPS_CREATE_NOTIFY_INFO info)
{
    (void)p;
    (void)pid;
    (void)info;
}

static void test_process_notify_registration(void **state)
{
    (void)state;
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify, TRUE), STATUS_PROCEDURE_NOT_FOUND);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(NULL, FALSE), STATUS_INVALID_PARAMETER);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify, FALSE), STATUS_SUCCESS);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify, FALSE), STATUS_INVALID_PARAMETER);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify2, FALSE), STATUS_SUCCESS);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify, TRUE), STATUS_SUCCESS);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify, TRUE), STATUS_PROCEDURE_NOT_FOUND);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx(Notify2, TRUE), STATUS_SUCCESS);
    /* 64 routines at most */
    static UCHAR fake_code[65];
    for (int i = 0; i < 64; i++)
        assert_int_equal(PsSetCreateProcessNotifyRoutineEx((PCREATE_PROCESS_NOTIFY_ROUTINE_EX)(void *)&fake_code[i], FALSE),
                         STATUS_SUCCESS);
    assert_int_equal(PsSetCreateProcessNotifyRoutineEx((PCREATE_PROCESS_NOTIFY_ROUTINE_EX)(void *)&fake_code[64], FALSE),
                     STATUS_INVALID_PARAMETER);
    for (int i = 0; i < 64; i++)
        assert_int_equal(PsSetCreateProcessNotifyRoutineEx((PCREATE_PROCESS_NOTIFY_ROUTINE_EX)(void *)&fake_code[i], TRUE),
                         STATUS_SUCCESS);
    /* every thread is in the one process */
    PVOID t = PsGetCurrentThread();
    assert_ptr_equal(PsGetThreadProcessId((PETHREAD)t), PsGetCurrentProcessId());
}

static void notify_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PsSetCreateProcessNotifyRoutineEx(Notify, FALSE);
}
static void test_process_notify_irql(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(notify_at_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
}

/* A driver that registers in DriverEntry and never unregisters. */
static int g_mode;
static PDRIVER_OBJECT g_drv;
static NTSTATUS LeaveItEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    if (g_mode == 0) {
        PVOID h;
        fill_reg(PsThreadType, OB_OPERATION_HANDLE_CREATE, L"3000");
        return ObRegisterCallbacks(&g_reg, &h);
    }
    return PsSetCreateProcessNotifyRoutineEx(Notify, FALSE);
}
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}
static void test_unload_with_ob_callbacks_left(void **state)
{
    (void)state;
    g_mode = 0;
    assert_int_equal(mdlkit_driver_load("obleft", LeaveItEntry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xCE);
    assert_int_equal(bc.param[0], (ULONG_PTR)Pre);
}
static void test_unload_with_process_notify_left(void **state)
{
    (void)state;
    g_mode = 1;
    assert_int_equal(mdlkit_driver_load("psleft", LeaveItEntry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xCE);
    assert_int_equal(bc.param[0], (ULONG_PTR)Notify);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ob_register_validation, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_ob_callbacks_around_thread_handle, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_ob_unregister_bogus, tk_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_process_notify_registration, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_process_notify_irql, tk_setup, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_unload_with_ob_callbacks_left, tk_setup,
                                        mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(test_unload_with_process_notify_left, tk_setup,
                                        mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
