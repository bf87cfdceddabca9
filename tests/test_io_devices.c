/* Device objects and names: IoCreateDevice, IoCreateDeviceSecure,
 * IoDeleteDevice, symbolic links, IoGetDeviceObjectPointer, attachment,
 * DO_DEVICE_INITIALIZING, and their misuse. */
#include "testutil.h"
#include <wdm.h>
#include <wdmsec.h>

static void us(PUNICODE_STRING u, PCWSTR s)
{
    USHORT n = 0;
    while (s[n])
        n++;
    u->Buffer = (PWSTR)s;
    u->Length = (USHORT)(n * sizeof(WCHAR));
    u->MaximumLength = (USHORT)(u->Length + sizeof(WCHAR));
}

static struct {
    int creates, cleanups, closes, reads;
    PDEVICE_OBJECT read_dev; /* the device whose dispatch saw the read */
} seen;

static NTSTATUS Done(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}
static NTSTATUS DevCreate(PDEVICE_OBJECT d, PIRP irp) { (void)d; seen.creates++; return Done(irp, STATUS_SUCCESS); }
static NTSTATUS DevCleanup(PDEVICE_OBJECT d, PIRP irp) { (void)d; seen.cleanups++; return Done(irp, STATUS_SUCCESS); }
static NTSTATUS DevClose(PDEVICE_OBJECT d, PIRP irp) { (void)d; seen.closes++; return Done(irp, STATUS_SUCCESS); }
static NTSTATUS DevRead(PDEVICE_OBJECT d, PIRP irp)
{
    seen.reads++;
    seen.read_dev = d;
    return Done(irp, STATUS_SUCCESS);
}

static PDEVICE_OBJECT g_dev;
static ULONG g_ext_size = 40;

static NTSTATUS Entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    UNICODE_STRING name;
    us(&name, L"\\Device\\IoDevTest");
    NTSTATUS st = IoCreateDevice(drv, g_ext_size, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &g_dev);
    if (!NT_SUCCESS(st))
        return st;
    drv->MajorFunction[IRP_MJ_CREATE] = DevCreate;
    drv->MajorFunction[IRP_MJ_CLEANUP] = DevCleanup;
    drv->MajorFunction[IRP_MJ_CLOSE] = DevClose;
    drv->MajorFunction[IRP_MJ_READ] = DevRead;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

static int setup(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    if (mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING))
        return -1;
    return NT_SUCCESS(mdlkit_driver_load("iodev", Entry, &g_drv)) ? 0 : -1;
}

static void unload(void *arg) { assert_int_equal(mdlkit_driver_unload(arg), STATUS_SUCCESS); }

static int teardown(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, g_drv, &bc), 0);
    mdlkit_shutdown();
    return 0;
}

static void test_create_device(void **state)
{
    (void)state;
    assert_int_equal(g_dev->Type, IO_TYPE_DEVICE);
    assert_ptr_equal(g_dev->DriverObject, g_drv);
    assert_ptr_equal(g_drv->DeviceObject, g_dev);
    assert_int_equal(g_dev->StackSize, 1);
    assert_int_equal(g_dev->DeviceType, FILE_DEVICE_UNKNOWN);
    assert_int_equal(g_dev->Characteristics, FILE_DEVICE_SECURE_OPEN);
    assert_true(g_dev->Flags & DO_DEVICE_HAS_NAME);
    /* DriverEntry returned: the I/O manager cleared DO_DEVICE_INITIALIZING */
    assert_false(g_dev->Flags & DO_DEVICE_INITIALIZING);
    assert_int_equal((ULONG_PTR)g_dev->DeviceExtension % 16, 0);
    for (ULONG i = 0; i < g_ext_size; i++)
        assert_int_equal(((PUCHAR)g_dev->DeviceExtension)[i], 0);
    memset(g_dev->DeviceExtension, 0x5A, g_ext_size);

    /* the same name again: a collision; no name: fine; a bad name: refused */
    UNICODE_STRING name;
    PDEVICE_OBJECT d2 = (PDEVICE_OBJECT)1;
    us(&name, L"\\Device\\IODEVTEST");
    assert_int_equal(IoCreateDevice(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &d2),
                     STATUS_OBJECT_NAME_COLLISION);
    assert_null(d2);
    us(&name, L"NoBackslash");
    assert_int_equal(IoCreateDevice(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &d2),
                     STATUS_OBJECT_PATH_SYNTAX_BAD);
    assert_int_equal(IoCreateDevice(g_drv, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &d2), STATUS_SUCCESS);
    assert_null(d2->DeviceExtension);
    assert_int_equal(d2->SectorSize, 512);
    /* created outside DriverEntry: still initializing until its driver says */
    assert_true(d2->Flags & DO_DEVICE_INITIALIZING);
    assert_ptr_equal(g_drv->DeviceObject, d2); /* newest first */
    assert_ptr_equal(d2->NextDevice, g_dev);
    IoDeleteDevice(d2);
    assert_ptr_equal(g_drv->DeviceObject, g_dev);
}

static void test_names_and_links(void **state)
{
    (void)state;
    UNICODE_STRING link, target, other;
    us(&link, L"\\DosDevices\\IoDevLink");
    us(&target, L"\\Device\\IoDevTest");
    assert_int_equal(IoCreateSymbolicLink(&link, &target), STATUS_SUCCESS);
    /* \DosDevices, \?? and \GLOBAL?? are one directory */
    us(&other, L"\\??\\IoDevLink");
    assert_int_equal(IoCreateSymbolicLink(&other, &target), STATUS_OBJECT_NAME_COLLISION);
    us(&other, L"\\GLOBAL??\\IoDevLink2");
    assert_int_equal(IoCreateUnprotectedSymbolicLink(&other, &link), STATUS_SUCCESS); /* a link to a link */
    HANDLE h = mdlkit_open("\\\\.\\IoDevLink2");
    assert_non_null(h);
    assert_int_equal(seen.creates, 1);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(seen.cleanups, 1);
    assert_int_equal(seen.closes, 1);
    assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_SUCCESS);
    assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_null(mdlkit_open("\\\\.\\IoDevLink2"));
    /* a dangling link opens nothing */
    us(&other, L"\\DosDevices\\Dangling");
    us(&target, L"\\Device\\Nobody");
    assert_int_equal(IoCreateSymbolicLink(&other, &target), STATUS_SUCCESS);
    assert_null(mdlkit_open("\\\\.\\Dangling"));
    assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_SUCCESS);
    us(&other, L"bad");
    assert_int_equal(IoDeleteSymbolicLink(&other), STATUS_OBJECT_PATH_SYNTAX_BAD);
    assert_int_equal(IoDeleteSymbolicLink(&link), STATUS_SUCCESS);
}

static void test_device_object_pointer(void **state)
{
    (void)state;
    UNICODE_STRING name;
    us(&name, L"\\Device\\IoDevTest");
    PFILE_OBJECT fo = NULL;
    PDEVICE_OBJECT dev = NULL;
    assert_int_equal(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fo, &dev), STATUS_SUCCESS);
    assert_ptr_equal(dev, g_dev);
    assert_int_equal(fo->Type, IO_TYPE_FILE);
    assert_ptr_equal(fo->DeviceObject, g_dev);
    assert_int_equal(seen.creates, 1);
    assert_int_equal(seen.cleanups, 1); /* its handle was closed at once */
    assert_int_equal(seen.closes, 0);
    assert_int_equal(g_dev->ReferenceCount, 1);
    /* a read built for the device through the file object */
    IO_STATUS_BLOCK iosb;
    KEVENT ev;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildSynchronousFsdRequest(IRP_MJ_READ, dev, NULL, 0, NULL, &ev, &iosb);
    assert_non_null(irp);
    IoGetNextIrpStackLocation(irp)->FileObject = fo;
    assert_int_equal(IoCallDriver(dev, irp), STATUS_SUCCESS);
    assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL), STATUS_SUCCESS);
    assert_int_equal(iosb.Status, STATUS_SUCCESS);
    ObDereferenceObject(fo);
    assert_int_equal(seen.closes, 1);
    assert_int_equal(g_dev->ReferenceCount, 0);
    us(&name, L"\\Device\\Missing");
    assert_int_equal(IoGetDeviceObjectPointer(&name, FILE_READ_DATA, &fo, &dev), STATUS_OBJECT_NAME_NOT_FOUND);
}

static PDEVICE_OBJECT g_filter;
static NTSTATUS FilterEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    NTSTATUS st = IoCreateDevice(drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_filter);
    if (!NT_SUCCESS(st))
        return st;
    drv->MajorFunction[IRP_MJ_CREATE] = DevCreate;
    drv->MajorFunction[IRP_MJ_CLEANUP] = DevCleanup;
    drv->MajorFunction[IRP_MJ_CLOSE] = DevClose;
    drv->MajorFunction[IRP_MJ_READ] = DevRead;
    return STATUS_SUCCESS;
}

static void test_attach(void **state)
{
    (void)state;
    PDRIVER_OBJECT fdrv;
    assert_int_equal(mdlkit_driver_load("iofilter", FilterEntry, &fdrv), STATUS_SUCCESS);
    assert_ptr_equal(IoAttachDeviceToDeviceStack(g_filter, g_dev), g_dev);
    assert_ptr_equal(g_dev->AttachedDevice, g_filter);
    assert_int_equal(g_filter->StackSize, 2);
    PDEVICE_OBJECT top = IoGetAttachedDeviceReference(g_dev);
    assert_ptr_equal(top, g_filter);
    ObDereferenceObject(top);
    /* opening the named device sends its IRPs to the top of the stack */
    HANDLE h = mdlkit_open("\\Device\\IoDevTest");
    UCHAR b[4];
    ULONG_PTR info;
    assert_int_equal(mdlkit_read(h, b, 4, &info), STATUS_SUCCESS);
    assert_ptr_equal(seen.read_dev, g_filter);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    IoDetachDevice(g_dev);
    assert_null(g_dev->AttachedDevice);
    h = mdlkit_open("\\Device\\IoDevTest");
    assert_int_equal(mdlkit_read(h, b, 4, &info), STATUS_SUCCESS);
    assert_ptr_equal(seen.read_dev, g_dev);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(fdrv), STATUS_SUCCESS);
}

static void test_exclusive_and_secure(void **state)
{
    (void)state;
    static const GUID cls = {0x5d006e1a, 0x2631, 0x466c, {0xb8, 0xa0, 0x32, 0xfd, 0x49, 0x8e, 0x44, 0x24}};
    UNICODE_STRING name, sddl;
    PDEVICE_OBJECT d = NULL;
    us(&name, L"\\Device\\IoDevSecure");
    us(&sddl, L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");
    assert_int_equal(IoCreateDeviceSecure(g_drv, 8, &name, FILE_DEVICE_UNKNOWN, 0, TRUE, &sddl, &cls, &d),
                     STATUS_SUCCESS);
    assert_true(d->Flags & DO_EXCLUSIVE);
    d->Flags &= ~DO_DEVICE_INITIALIZING;
    HANDLE h = mdlkit_open("\\Device\\IoDevSecure");
    assert_non_null(h);
    assert_null(mdlkit_open("\\Device\\IoDevSecure")); /* exclusive: one open at a time */
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    h = mdlkit_open("\\Device\\IoDevSecure");
    assert_non_null(h);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    IoDeleteDevice(d);
    /* the predefined strings are valid; malformed ones are refused */
    us(&name, L"\\Device\\IoDevSecure2");
    assert_int_equal(IoCreateDeviceSecure(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE,
                                          &SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R, NULL, &d),
                     STATUS_SUCCESS);
    IoDeleteDevice(d);
    static const PCWSTR bad[] = {L"", L"D:", L"(A;;GA;;;SY)", L"D:P(A;;GA;;;SY", L"D:P(A;;QQ;;;SY)",
                                 L"D:P(A;;GA;;;XX)", L"D:P(D;;GA;;;SY)", L"D:P(A;;0x;;;SY)"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        us(&sddl, bad[i]);
        d = (PDEVICE_OBJECT)1;
        assert_int_equal(IoCreateDeviceSecure(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &sddl, NULL, &d),
                         STATUS_INVALID_PARAMETER);
        assert_null(d);
    }
    us(&sddl, L"D:P(A;;0x1F01FF;;;WD)(A;;GRGWGX;;;BU)");
    assert_int_equal(IoCreateDeviceSecure(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &sddl, NULL, &d),
                     STATUS_SUCCESS);
    IoDeleteDevice(d);
}

static void test_delete_with_open_file(void **state)
{
    (void)state;
    UNICODE_STRING name;
    PDEVICE_OBJECT d;
    us(&name, L"\\Device\\IoDevGone");
    assert_int_equal(IoCreateDevice(g_drv, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &d), STATUS_SUCCESS);
    d->Flags &= ~DO_DEVICE_INITIALIZING;
    HANDLE h = mdlkit_open("\\Device\\IoDevGone");
    assert_non_null(h);
    IoDeleteDevice(d); /* the name goes now, the object when the file goes */
    assert_null(mdlkit_open("\\Device\\IoDevGone"));
    assert_int_equal(d->Type, IO_TYPE_DEVICE);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(seen.closes, 1);
}

/* ---- misuse ---- */
static void delete_twice(void *arg)
{
    (void)arg;
    PDEVICE_OBJECT d;
    IoCreateDevice(g_drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
    IoDeleteDevice(d);
    IoDeleteDevice(d);
}
static void delete_null(void *arg) { (void)arg; IoDeleteDevice(NULL); }
static void create_null_out(void *arg) { (void)arg; IoCreateDevice(g_drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, NULL); }
static void link_null(void *arg)
{
    (void)arg;
    UNICODE_STRING n;
    us(&n, L"\\??\\X");
    IoCreateSymbolicLink(&n, NULL);
}
static void link_at_dispatch(void *arg)
{
    UNICODE_STRING n, t;
    us(&n, L"\\??\\X");
    us(&t, L"\\Device\\X");
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    if (arg)
        IoCreateSymbolicLink(&n, &t);
    else
        IoDeleteSymbolicLink(&n);
}
static void delete_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    IoDeleteDevice(g_dev);
}
static void pointer_at_apc(void *arg)
{
    (void)arg;
    UNICODE_STRING n;
    PFILE_OBJECT fo;
    PDEVICE_OBJECT d;
    us(&n, L"\\Device\\IoDevTest");
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    IoGetDeviceObjectPointer(&n, 0, &fo, &d);
}
static void attach_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    IoAttachDeviceToDeviceStack(g_dev, g_dev);
}
static void secure_no_sddl(void *arg)
{
    (void)arg;
    PDEVICE_OBJECT d;
    IoCreateDeviceSecure(g_drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, NULL, NULL, &d);
}

static void test_misuse(void **state)
{
    (void)state;
    mk_expect_bugcheck(delete_twice, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, MK_ANY, 0);
    mk_expect_bugcheck(delete_null, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, 0, 0);
    mk_expect_bugcheck(create_null_out, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, g_drv, 0);
    mk_expect_bugcheck(link_null, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, MK_ANY, 0);
    mk_expect_bugcheck(link_at_dispatch, (void *)1, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x0002000C, MK_ANY,
                       DISPATCH_LEVEL, MK_ANY);
    mk_expect_bugcheck(link_at_dispatch, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x0002000D, MK_ANY,
                       DISPATCH_LEVEL, MK_ANY);
    mk_expect_bugcheck(delete_at_dispatch, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020009, MK_ANY,
                       DISPATCH_LEVEL, g_dev);
    mk_expect_bugcheck(pointer_at_apc, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x0002000B, MK_ANY, APC_LEVEL,
                       MK_ANY);
    mk_expect_bugcheck(attach_at_high, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, HIGH_LEVEL, MK_ANY, MK_ANY);
    mk_expect_bugcheck(secure_no_sddl, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, g_drv, 0);
    /* the device is intact after all that */
    HANDLE h = mdlkit_open("\\Device\\IoDevTest");
    assert_non_null(h);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_and_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_device_object_pointer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_attach, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exclusive_and_secure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_with_open_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
