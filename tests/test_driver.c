/* Driver hosting: mdlkit_driver_load / _unload / _call, IoCreateDevice,
 * IoDeleteDevice. */
#include "testutil.h"
#include <ntddk.h>

#include "mk_base.h"
#include "mk_driver.h"
#include "mk_pool.h"

#define IOCTL_TOY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)

static PDEVICE_OBJECT g_dev;
static KIRQL g_entry_irql;
static int g_entry_saw_self, g_unloads, g_dispatch_saw_self, g_leak;
static ULONG g_ioctl;
static PVOID g_leaked;
static WCHAR g_name[64];

static NTSTATUS ToyDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    g_ioctl = sp->Parameters.DeviceIoControl.IoControlCode;
    g_dispatch_saw_self = mk_self.driver == mk_driver_from_object(DeviceObject->DriverObject) &&
                          sp->DeviceObject == DeviceObject;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 42;
    return STATUS_SUCCESS;
}

static void ToyUnload(PDRIVER_OBJECT DriverObject)
{
    g_unloads++;
    IoDeleteDevice(g_dev);
    if (!g_leak && g_leaked)
        ExFreePoolWithTag(g_leaked, 'kaeL');
    g_leaked = NULL;
}

static NTSTATUS ToyEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    g_entry_irql = KeGetCurrentIrql();
    g_entry_saw_self = mk_self.driver == mk_driver_from_object(DriverObject) && RegistryPath &&
                       RegistryPath->Length > 0;
    memcpy(g_name, DriverObject->DriverName.Buffer, DriverObject->DriverName.Length);
    g_name[DriverObject->DriverName.Length / 2] = 0;
    NTSTATUS st = IoCreateDevice(DriverObject, 64, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
    if (!NT_SUCCESS(st))
        return st;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ToyDeviceControl;
    DriverObject->DriverUnload = ToyUnload;
    g_dev->Flags &= ~DO_DEVICE_INITIALIZING;
    g_leaked = ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'kaeL');
    return STATUS_SUCCESS;
}

static NTSTATUS FailingEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    PDEVICE_OBJECT d;
    IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
    return STATUS_DEVICE_DOES_NOT_EXIST;
}

static void boot(ULONG verifier)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)64 << 20;
    c.verifier_flags = verifier;
    assert_int_equal(mdlkit_init(&c), 0);
    g_unloads = g_leak = 0;
}

static int teardown(void **state)
{
    (void)state;
    mdlkit_shutdown();
    return 0;
}

static void test_load_call_unload(void **state)
{
    (void)state;
    boot(0);
    PDRIVER_OBJECT drv = NULL;
    assert_int_equal(mdlkit_driver_load("toy", ToyEntry, &drv), STATUS_SUCCESS);
    assert_non_null(drv);
    assert_int_equal(g_entry_irql, PASSIVE_LEVEL);
    assert_true(g_entry_saw_self);
    const WCHAR want[] = {'\\', 'D', 'r', 'i', 'v', 'e', 'r', '\\', 't', 'o', 'y', 0};
    assert_memory_equal(g_name, want, sizeof want);
    assert_null(mk_self.driver); /* back to "the system" after DriverEntry */
    /* the device */
    assert_ptr_equal(drv->DeviceObject, g_dev);
    assert_ptr_equal(g_dev->DriverObject, drv);
    assert_int_equal(g_dev->Type, IO_TYPE_DEVICE);
    assert_non_null(g_dev->DeviceExtension);
    assert_int_equal(mk_pool_kind_of(g_dev->DeviceExtension), 0);
    memset(g_dev->DeviceExtension, 0x11, 64);
    /* an IRP, dispatched as IoCallDriver does */
    PIRP irp = IoAllocateIrp(1, FALSE);
    assert_non_null(irp);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    sp->Parameters.DeviceIoControl.IoControlCode = IOCTL_TOY;
    assert_int_equal(mdlkit_driver_call(drv, irp), STATUS_SUCCESS);
    assert_int_equal(g_ioctl, IOCTL_TOY);
    assert_true(g_dispatch_saw_self);
    assert_int_equal(irp->IoStatus.Information, 42);
    assert_ptr_equal(IoGetCurrentIrpStackLocation(irp), sp);
    IoFreeIrp(irp);
    /* a major function the driver did not set */
    irp = IoAllocateIrp(1, FALSE);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_READ;
    assert_int_equal(mdlkit_driver_call(drv, irp), STATUS_INVALID_DEVICE_REQUEST);
    IoFreeIrp(irp);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(g_unloads, 1);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_INVALID_PARAMETER);
    mdlkit_shutdown();
}

static void test_failed_entry(void **state)
{
    (void)state;
    boot(0);
    PDRIVER_OBJECT drv = (PDRIVER_OBJECT)1;
    assert_int_equal(mdlkit_driver_load("failing", FailingEntry, &drv), STATUS_DEVICE_DOES_NOT_EXIST);
    assert_null(drv);
    assert_int_equal(mdlkit_driver_load("x", NULL, &drv), STATUS_INVALID_PARAMETER);
    mdlkit_shutdown();
}

static void do_unload(void *arg) { mdlkit_driver_unload(arg); }

static void test_unload_leak_with_pool_tracking(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_POOL_TRACKING);
    PDRIVER_OBJECT drv = NULL;
    assert_int_equal(mdlkit_driver_load("leaky", ToyEntry, &drv), STATUS_SUCCESS);
    g_leak = 1;
    mk_expect_bugcheck(do_unload, drv, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, MK_ANY, MK_ANY, 1);
    mdlkit_shutdown();
}

static void do_create_at_dispatch(void *arg)
{
    KIRQL old;
    PDEVICE_OBJECT d;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    IoCreateDevice(arg, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);
}

static void test_create_device_irql(void **state)
{
    (void)state;
    boot(0);
    PDRIVER_OBJECT drv = NULL;
    assert_int_equal(mdlkit_driver_load("toy", ToyEntry, &drv), STATUS_SUCCESS);
    mk_expect_bugcheck(do_create_at_dispatch, drv, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x0002000A, MK_ANY,
                       DISPATCH_LEVEL, drv);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_load_call_unload, teardown),
        cmocka_unit_test_teardown(test_failed_entry, teardown),
        cmocka_unit_test_teardown(test_unload_leak_with_pool_tracking, teardown),
        cmocka_unit_test_teardown(test_create_device_irql, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
