/* Regression: a driver references a user-mode handle as KernelMode
 * (Driver Verifier's Miscellaneous Checks, 0x800, Windows 7 and later:
 * bug check 0xC4/0xF6, P2 the handle, P3 the current process, P4 the
 * caller). The pattern: an IOCTL carries a handle the application opened
 * (an event to signal) and the driver calls ObReferenceObjectByHandle with
 * KernelMode instead of the request's RequestorMode, which lets the caller
 * reach objects its own access does not allow. The fixed driver passes
 * UserMode. Handles a driver makes in the System process (DriverEntry's
 * PsCreateSystemThread and ZwCreateEvent without OBJ_KERNEL_HANDLE, as the
 * cancel sample does) referenced as KernelMode are correct and stay clean;
 * inside a user request the driver's own handles need OBJ_KERNEL_HANDLE. */
#include "testutil.h"
#include <ntddk.h>

#define RH_TYPE 0x8124
#define IOCTL_RH_SIGNAL_KERNEL CTL_CODE(RH_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RH_SIGNAL_USER CTL_CODE(RH_TYPE, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RH_OWN_EVENT CTL_CODE(RH_TYPE, 0x802, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RH_OWN_KERNEL_EVENT CTL_CODE(RH_TYPE, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define IOCTL_RH_KEEP_EVENT CTL_CODE(RH_TYPE, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS)

static PDEVICE_OBJECT rh_dev;
static NTSTATUS rh_entry_status;     /* what DriverEntry's references returned */
static PVOID rh_thread_object;
static KEVENT rh_stop;
static HANDLE rh_kept;               /* an event handle a request made, closed at unload */
static ULONG rh_keep_attributes;

static void us(PUNICODE_STRING s, const WCHAR *w) { RtlInitUnicodeString(s, w); }

static NTSTATUS rh_finish(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS RhCreateClose(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    return rh_finish(irp, STATUS_SUCCESS);
}

/* Signals the event whose handle the caller put in the input buffer. */
static NTSTATUS rh_signal(PIRP irp, KPROCESSOR_MODE mode)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    if (sp->Parameters.DeviceIoControl.InputBufferLength < sizeof(HANDLE))
        return STATUS_BUFFER_TOO_SMALL;
    HANDLE h = *(HANDLE *)irp->AssociatedIrp.SystemBuffer;
    PKEVENT ev = NULL;
    NTSTATUS st = ObReferenceObjectByHandle(h, EVENT_MODIFY_STATE, *ExEventObjectType, mode, (PVOID *)&ev, NULL);
    if (!NT_SUCCESS(st))
        return st;
    KeSetEvent(ev, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(ev);
    return STATUS_SUCCESS;
}

/* Creates an event of its own inside the request and references it. */
static NTSTATUS rh_own_event(ULONG attributes)
{
    OBJECT_ATTRIBUTES oa;
    InitializeObjectAttributes(&oa, NULL, attributes, NULL, NULL);
    HANDLE h;
    NTSTATUS st = ZwCreateEvent(&h, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE);
    if (!NT_SUCCESS(st))
        return st;
    PVOID ev = NULL;
    st = ObReferenceObjectByHandle(h, EVENT_ALL_ACCESS, *ExEventObjectType, KernelMode, &ev, NULL);
    if (NT_SUCCESS(st))
        ObDereferenceObject(ev);
    ZwClose(h);
    return st;
}

static NTSTATUS RhIoctl(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(irp);
    switch (sp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RH_SIGNAL_KERNEL: /* the bug */
        return rh_finish(irp, rh_signal(irp, KernelMode));
    case IOCTL_RH_SIGNAL_USER: /* the fix: the request's RequestorMode */
        return rh_finish(irp, rh_signal(irp, irp->RequestorMode));
    case IOCTL_RH_OWN_EVENT:
        return rh_finish(irp, rh_own_event(0));
    case IOCTL_RH_OWN_KERNEL_EVENT:
        return rh_finish(irp, rh_own_event(OBJ_KERNEL_HANDLE));
    case IOCTL_RH_KEEP_EVENT: {
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, NULL, rh_keep_attributes, NULL, NULL);
        return rh_finish(irp, ZwCreateEvent(&rh_kept, EVENT_ALL_ACCESS, &oa, NotificationEvent, FALSE));
    }
    default:
        return rh_finish(irp, STATUS_INVALID_DEVICE_REQUEST);
    }
}

static void RhThread(PVOID ctx)
{
    (void)ctx;
    KeWaitForSingleObject(&rh_stop, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void RhUnload(PDRIVER_OBJECT drv)
{
    KeSetEvent(&rh_stop, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(rh_thread_object, Executive, KernelMode, FALSE, NULL);
    ObDereferenceObject(rh_thread_object);
    UNICODE_STRING link;
    us(&link, L"\\DosDevices\\MkRegressHandle");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(drv->DeviceObject);
    if (rh_kept) { /* in the System process */
        HANDLE h = rh_kept;
        rh_kept = NULL;
        ZwClose(h);
    }
}

/* DriverEntry runs in the System process: a thread handle and an event
 * handle made without OBJ_KERNEL_HANDLE, referenced as KernelMode, as the
 * cancel sample does. */
static NTSTATUS RhEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    UNICODE_STRING name, link;
    us(&name, L"\\Device\\MkRegressHandle");
    us(&link, L"\\DosDevices\\MkRegressHandle");
    NTSTATUS st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &rh_dev);
    if (!NT_SUCCESS(st))
        return st;
    rh_dev->Flags |= DO_BUFFERED_IO;
    IoCreateSymbolicLink(&link, &name);
    drv->MajorFunction[IRP_MJ_CREATE] = RhCreateClose;
    drv->MajorFunction[IRP_MJ_CLOSE] = RhCreateClose;
    drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = RhIoctl;
    drv->DriverUnload = RhUnload;
    KeInitializeEvent(&rh_stop, NotificationEvent, FALSE);
    HANDLE th;
    st = PsCreateSystemThread(&th, 0, NULL, NULL, NULL, RhThread, NULL);
    if (!NT_SUCCESS(st))
        return st;
    rh_entry_status = ObReferenceObjectByHandle(th, THREAD_ALL_ACCESS, NULL, KernelMode, &rh_thread_object, NULL);
    ZwClose(th);
    if (NT_SUCCESS(rh_entry_status))
        rh_entry_status = rh_own_event(0);
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT rh_drv;

static void boot(ULONG flags)
{
    rh_kept = NULL;
    rh_entry_status = STATUS_UNSUCCESSFUL;
    rh_thread_object = NULL;
    assert_int_equal(mk_test_setup_flags(flags), 0);
    assert_int_equal(mdlkit_driver_load("mkregresshandle", RhEntry, &rh_drv), STATUS_SUCCESS);
    /* DriverEntry's KernelMode references of its System-process handles passed */
    assert_int_equal(rh_entry_status, STATUS_SUCCESS);
}

static void finish(void)
{
    assert_int_equal(mdlkit_driver_unload(rh_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

typedef struct rh_call {
    HANDLE dev, event;
    ULONG code;
    NTSTATUS st;
} rh_call;

static void rh_ioctl(void *arg)
{
    rh_call *c = arg;
    c->st = mdlkit_ioctl(c->dev, c->code, &c->event, sizeof c->event, NULL, 0, NULL);
}

/* The bug: the application's event handle referenced as KernelMode inside
 * its request. */
static void test_ioctl_references_user_event_handle_as_kernel_mode(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_STANDARD);
    rh_call c = {mdlkit_open("\\\\.\\MkRegressHandle"), mdlkit_event_create(TRUE), IOCTL_RH_SIGNAL_KERNEL, 0};
    assert_non_null(c.dev);
    assert_non_null(c.event);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(rh_ioctl, &c, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xF6);
    assert_int_equal(bc.param[1], (ULONG_PTR)c.event);
    assert_int_equal(bc.param[2], (ULONG_PTR)PsGetCurrentProcess());
    assert_true(bc.param[3] != 0); /* the driver's line */
    /* back in the System process after the caught bug check: the test's own
     * KernelMode reference of a non-kernel handle is not reported */
    PVOID ev = NULL;
    assert_int_equal(ObReferenceObjectByHandle(c.event, 0, *ExEventObjectType, KernelMode, &ev, NULL), STATUS_SUCCESS);
    ObDereferenceObject(ev);
    mdlkit_shutdown();
}

/* The fix: UserMode (the IRP's RequestorMode); the event is signalled. */
static void test_ioctl_references_user_event_handle_as_user_mode_fixed(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_STANDARD);
    rh_call c = {mdlkit_open("\\\\.\\MkRegressHandle"), mdlkit_event_create(TRUE), IOCTL_RH_SIGNAL_USER, 0};
    assert_non_null(c.dev);
    rh_ioctl(&c);
    assert_int_equal(c.st, STATUS_SUCCESS);
    assert_int_equal(mdlkit_event_wait(c.event, 0), STATUS_SUCCESS);
    assert_int_equal(mdlkit_close(c.event), STATUS_SUCCESS);
    assert_int_equal(mdlkit_close(c.dev), STATUS_SUCCESS);
    finish();
}

/* Without Miscellaneous Checks the bug is not reported (the reference
 * succeeds, as on Windows without the verifier). */
static void test_user_handle_as_kernel_mode_needs_misc_checks(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_STANDARD & ~MDLKIT_VERIFY_MISC_CHECKS);
    rh_call c = {mdlkit_open("\\\\.\\MkRegressHandle"), mdlkit_event_create(TRUE), IOCTL_RH_SIGNAL_KERNEL, 0};
    rh_ioctl(&c);
    assert_int_equal(c.st, STATUS_SUCCESS);
    assert_int_equal(mdlkit_close(c.event), STATUS_SUCCESS);
    assert_int_equal(mdlkit_close(c.dev), STATUS_SUCCESS);
    finish();
}

/* A driver's own handle made inside a user request without
 * OBJ_KERNEL_HANDLE goes to the user process's table: KernelMode is 0xF6.
 * With OBJ_KERNEL_HANDLE (the fix) it is clean. */
static void test_ioctl_own_event_without_obj_kernel_handle(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_STANDARD);
    rh_call c = {mdlkit_open("\\\\.\\MkRegressHandle"), NULL, IOCTL_RH_OWN_KERNEL_EVENT, 0};
    rh_ioctl(&c);
    assert_int_equal(c.st, STATUS_SUCCESS);
    c.code = IOCTL_RH_OWN_EVENT;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(rh_ioctl, &c, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xF6);
    mdlkit_shutdown();
}

/* A handle a request made without OBJ_KERNEL_HANDLE is in the user
 * process's table; DriverUnload runs in the System process, where ZwClose
 * does not find it: 0x93 INVALID_KERNEL_HANDLE (handle, 1). With
 * OBJ_KERNEL_HANDLE (the fix) the close succeeds. */
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(rh_drv);
}

static void kept_event(ULONG attributes)
{
    boot(MDLKIT_VERIFY_STANDARD);
    rh_keep_attributes = attributes;
    rh_call c = {mdlkit_open("\\\\.\\MkRegressHandle"), NULL, IOCTL_RH_KEEP_EVENT, 0};
    rh_ioctl(&c);
    assert_int_equal(c.st, STATUS_SUCCESS);
    assert_non_null(rh_kept);
    HANDLE kept = rh_kept;
    assert_int_equal(mdlkit_close(c.dev), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    if (attributes & OBJ_KERNEL_HANDLE) {
        assert_int_equal(mdlkit_catch_bugcheck(unload_drv, NULL, &bc), 0);
        mdlkit_shutdown();
        return;
    }
    /* the System process does not see it */
    PVOID ev = NULL;
    assert_int_equal(ObReferenceObjectByHandle(kept, 0, *ExEventObjectType, KernelMode, &ev, NULL),
                     STATUS_INVALID_HANDLE);
    assert_int_equal(mdlkit_catch_bugcheck(unload_drv, NULL, &bc), 1);
    assert_int_equal(bc.code, INVALID_KERNEL_HANDLE);
    assert_int_equal(bc.param[0], (ULONG_PTR)kept);
    assert_int_equal(bc.param[1], 1);
    mdlkit_shutdown();
}

static void test_request_handle_closed_in_unload(void **state)
{
    (void)state;
    kept_event(0);
}

static void test_request_kernel_handle_closed_in_unload_fixed(void **state)
{
    (void)state;
    kept_event(OBJ_KERNEL_HANDLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ioctl_references_user_event_handle_as_kernel_mode),
        cmocka_unit_test(test_ioctl_references_user_event_handle_as_user_mode_fixed),
        cmocka_unit_test(test_user_handle_as_kernel_mode_needs_misc_checks),
        cmocka_unit_test(test_ioctl_own_event_without_obj_kernel_handle),
        cmocka_unit_test(test_request_handle_closed_in_unload),
        cmocka_unit_test(test_request_kernel_handle_closed_in_unload_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
