/* System threads: PsCreateSystemThread runs a real thread at PASSIVE_LEVEL
 * whose object is waitable (signalled when it ends), referenced by handle
 * and closed with ZwClose as cancel.c does; PsTerminateSystemThread (and
 * from a thread that is not a system thread); thread ids and priorities;
 * the IRQL rules; a thread still running at unload or shutdown. */
#include "testke.h"

typedef struct th_rec {
    KEVENT go;
    atomic_int ran, after_terminate;
    KIRQL irql;
    BOOLEAN system;
    HANDLE tid;
    KPRIORITY prio_before, prio_set_old;
} th_rec;

static void thread_main(PVOID ctx)
{
    th_rec *r = ctx;
    r->irql = KeGetCurrentIrql();
    r->system = PsIsSystemThread(PsGetCurrentThread());
    r->tid = PsGetCurrentThreadId();
    r->prio_before = KeQueryPriorityThread(KeGetCurrentThread());
    r->prio_set_old = KeSetPriorityThread(KeGetCurrentThread(), LOW_REALTIME_PRIORITY);
    LARGE_INTEGER t;
    KeWaitForSingleObject(&r->go, Executive, KernelMode, FALSE, tk_bound(&t));
    atomic_store(&r->ran, 1);
    PsTerminateSystemThread(STATUS_SUCCESS);
    atomic_store(&r->after_terminate, 1); /* never reached */
}

static void test_system_thread(void **state)
{
    (void)state;
    static th_rec r;
    memset(&r, 0, sizeof r);
    KeInitializeEvent(&r.go, NotificationEvent, FALSE);
    HANDLE h = NULL;
    CLIENT_ID cid;
    assert_int_equal(PsCreateSystemThread(&h, 0, NULL, NULL, &cid, thread_main, &r), STATUS_SUCCESS);
    assert_non_null(h);
    assert_int_equal((ULONG_PTR)h % 4, 0);
    PVOID obj = NULL;
    assert_int_equal(ObReferenceObjectByHandle(h, THREAD_ALL_ACCESS, NULL, KernelMode, &obj, NULL), STATUS_SUCCESS);
    assert_int_equal(ObGetObjectType(obj), *PsThreadType);
    assert_int_equal(ZwClose(h), STATUS_SUCCESS);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, &zero), STATUS_TIMEOUT);
    KeSetEvent(&r.go, 0, FALSE);
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    /* a terminated thread stays signalled */
    assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(atomic_load(&r.ran), 1);
    assert_int_equal(atomic_load(&r.after_terminate), 0);
    assert_int_equal(r.irql, PASSIVE_LEVEL);
    assert_true(r.system);
    assert_ptr_equal(r.tid, cid.UniqueThread);
    assert_ptr_equal(cid.UniqueProcess, PsGetCurrentProcessId());
    assert_ptr_equal(PsGetThreadId(obj), cid.UniqueThread);
    assert_int_equal(r.prio_before, 8);
    assert_int_equal(r.prio_set_old, 8);
    assert_int_equal(KeQueryPriorityThread(obj), LOW_REALTIME_PRIORITY);
    ObDereferenceObject(obj);
}

static void returning_thread(PVOID ctx) { atomic_store((atomic_int *)ctx, 1); }

static void test_thread_returns(void **state)
{
    (void)state;
    static atomic_int ran;
    atomic_store(&ran, 0);
    HANDLE h;
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    assert_int_equal(PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, returning_thread, (PVOID)&ran),
                     STATUS_SUCCESS);
    /* a kernel handle: not usable from user mode */
    PVOID obj = NULL;
    assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, UserMode, &obj, NULL),
                     STATUS_INVALID_HANDLE);
    assert_int_equal(ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &obj, NULL), STATUS_SUCCESS);
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(obj, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    assert_int_equal(atomic_load(&ran), 1);
    ObDereferenceObject(obj);
    assert_int_equal(ZwClose(h), STATUS_SUCCESS);
}

static void test_not_a_system_thread(void **state)
{
    (void)state;
    assert_int_equal(PsTerminateSystemThread(STATUS_SUCCESS), STATUS_INVALID_PARAMETER);
    assert_false(PsIsSystemThread(PsGetCurrentThread()));
    assert_ptr_equal(KeGetCurrentThread(), (PKTHREAD)PsGetCurrentThread());
    assert_non_null(PsGetCurrentThreadId());
    assert_int_equal(KeSetBasePriorityThread(KeGetCurrentThread(), 2), 0);
    assert_int_equal(KeQueryPriorityThread(KeGetCurrentThread()), 10);
    assert_int_equal(KeSetBasePriorityThread(KeGetCurrentThread(), 0), 2);
    /* bad arguments */
    HANDLE h;
    assert_int_equal(PsCreateSystemThread(&h, 0, NULL, (HANDLE)(ULONG_PTR)0x1234, NULL, returning_thread, NULL),
                     STATUS_INVALID_HANDLE);
    NTSTATUS code = 0;
    MDLKIT_TRY { KeSetPriorityThread(KeGetCurrentThread(), 0); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_INVALID_PARAMETER);
}

static void create_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    HANDLE h;
    PsCreateSystemThread(&h, 0, NULL, NULL, NULL, returning_thread, NULL);
}

static void test_create_irql(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(create_at_dispatch, NULL);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
}

static void test_create_irql_ddi(void **state)
{
    (void)state;
    mdlkit_bugcheck bc = tk_bugcheck(create_at_dispatch, NULL);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x0002001C); /* IrqlPsPassive */
}

/* ---- a driver whose thread outlives it ---- */

static KEVENT g_stop;
static void lingering_thread(PVOID ctx)
{
    (void)ctx;
    LARGE_INTEGER t;
    KeWaitForSingleObject(&g_stop, Executive, KernelMode, FALSE, tk_bound(&t));
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static PVOID g_lingering;
static NTSTATUS thread_driver_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    HANDLE h;
    NTSTATUS st = PsCreateSystemThread(&h, 0, NULL, NULL, NULL, lingering_thread, NULL);
    if (NT_SUCCESS(st)) {
        ObReferenceObjectByHandle(h, SYNCHRONIZE, *PsThreadType, KernelMode, &g_lingering, NULL);
        ZwClose(h);
    }
    return st;
}

static PDRIVER_OBJECT g_drv;
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void test_thread_running_at_unload(void **state)
{
    (void)state;
    KeInitializeEvent(&g_stop, NotificationEvent, FALSE);
    assert_int_equal(mdlkit_driver_load("lingers", thread_driver_entry, &g_drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc = tk_bugcheck(unload_drv, NULL);
    assert_int_equal(bc.code, 0xCE); /* DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS */
    assert_int_equal(bc.param[0], (ULONG_PTR)lingering_thread);
    KeSetEvent(&g_stop, 0, FALSE); /* let it go before the machine does */
    LARGE_INTEGER t;
    assert_int_equal(KeWaitForSingleObject(g_lingering, Executive, KernelMode, FALSE, tk_bound(&t)), STATUS_SUCCESS);
    ObDereferenceObject(g_lingering);
}

/* ExGetPreviousMode: KernelMode in DriverEntry and the test's own calls,
 * UserMode in a dispatch routine carrying a user-mode request. */
static KPROCESSOR_MODE g_entry_mode = 9, g_create_mode = 9, g_ioctl_mode = 9;
static NTSTATUS ModeDispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    if (IoGetCurrentIrpStackLocation(irp)->MajorFunction == IRP_MJ_CREATE)
        g_create_mode = ExGetPreviousMode();
    else if (IoGetCurrentIrpStackLocation(irp)->MajorFunction == IRP_MJ_DEVICE_CONTROL)
        g_ioctl_mode = ExGetPreviousMode();
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}
static NTSTATUS ModeEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    g_entry_mode = ExGetPreviousMode();
    UNICODE_STRING name;
    RtlInitUnicodeString(&name, L"\\Device\\PrevMode");
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        drv->MajorFunction[i] = ModeDispatch;
    return STATUS_SUCCESS;
}
static void mode_unload(PDRIVER_OBJECT drv) { IoDeleteDevice(drv->DeviceObject); }
static void test_previous_mode(void **state)
{
    (void)state;
    assert_int_equal(ExGetPreviousMode(), KernelMode);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("prevmode", ModeEntry, &drv), STATUS_SUCCESS);
    drv->DriverUnload = mode_unload;
    assert_int_equal(g_entry_mode, KernelMode);
    HANDLE h = mdlkit_open("\\Device\\PrevMode");
    assert_non_null(h);
    ULONG_PTR info;
    assert_int_equal(mdlkit_ioctl(h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS), NULL, 0,
                                  NULL, 0, &info),
                     STATUS_SUCCESS);
    assert_int_equal(g_create_mode, UserMode);
    assert_int_equal(g_ioctl_mode, UserMode);
    assert_int_equal(ExGetPreviousMode(), KernelMode);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_system_thread, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_previous_mode, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_thread_returns, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_system_thread, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_create_irql, tk_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_create_irql_ddi, tk_setup_ddi, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_thread_running_at_unload, tk_setup, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
