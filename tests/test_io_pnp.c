/* Plug and Play for WDM function drivers (src/io/pnp.c): the root bus of
 * mdlkit_pnp_add_device / _surprise_remove / _remove, the IRPs the stack
 * sees in order, IRP_MN_QUERY_DEVICE_RELATIONS answered by the PDO,
 * target-device notifications, IoGetDeviceProperty, PoCallDriver,
 * PoStartNextPowerIrp, IoWMIDeviceObjectToProviderId and
 * MmGetSystemRoutineAddress. */
#include "testutil.h"
#include <ntddk.h>
#include <initguid.h>
#include <wdmguid.h>
#include <wmistr.h>

typedef struct fdo_ext {
    PDEVICE_OBJECT self, lower;
    UCHAR minors[16];
    int nminors;
    NTSTATUS fail_query_remove;
} fdo_ext;

static PDEVICE_OBJECT g_fdo;
static fdo_ext *g_ext;
static int g_fail_add;

static NTSTATUS fdo_forward(PDEVICE_OBJECT dev, PIRP irp)
{
    fdo_ext *x = dev->DeviceExtension;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(x->lower, irp);
}

static NTSTATUS fdo_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    fdo_ext *x = dev->DeviceExtension;
    UCHAR minor = IoGetCurrentIrpStackLocation(irp)->MinorFunction;
    if (x->nminors < 16)
        x->minors[x->nminors++] = minor;
    if (minor == IRP_MN_QUERY_REMOVE_DEVICE && x->fail_query_remove) {
        irp->IoStatus.Status = x->fail_query_remove;
        IoCompleteRequest(irp, IO_NO_INCREMENT);
        return x->fail_query_remove;
    }
    if (minor == IRP_MN_REMOVE_DEVICE) {
        PDEVICE_OBJECT lower = x->lower;
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        NTSTATUS st = IoCallDriver(lower, irp);
        IoDetachDevice(lower);
        IoDeleteDevice(dev);
        g_fdo = NULL;
        return st;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    return fdo_forward(dev, irp);
}

static NTSTATUS fdo_power(PDEVICE_OBJECT dev, PIRP irp)
{
    fdo_ext *x = dev->DeviceExtension;
    PoStartNextPowerIrp(irp);
    IoSkipCurrentIrpStackLocation(irp);
    return PoCallDriver(x->lower, irp);
}

static NTSTATUS fdo_create_close(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS fdo_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    if (g_fail_add)
        return STATUS_INSUFFICIENT_RESOURCES;
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, sizeof(fdo_ext), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    fdo_ext *x = dev->DeviceExtension;
    x->self = dev;
    x->lower = IoAttachDeviceToDeviceStack(dev, pdo);
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    g_fdo = dev;
    g_ext = x;
    return STATUS_SUCCESS;
}

static NTSTATUS fdo_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    drv->DriverExtension->AddDevice = fdo_add;
    drv->MajorFunction[IRP_MJ_PNP] = fdo_pnp;
    drv->MajorFunction[IRP_MJ_POWER] = fdo_power;
    drv->MajorFunction[IRP_MJ_CREATE] = fdo_create_close;
    drv->MajorFunction[IRP_MJ_CLOSE] = fdo_create_close;
    drv->MajorFunction[IRP_MJ_CLEANUP] = fdo_create_close;
    return STATUS_SUCCESS;
}

static size_t wcslen16(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

static PDRIVER_OBJECT load(ULONG flags)
{
    PDRIVER_OBJECT drv;
    g_fdo = NULL;
    g_fail_add = 0;
    assert_int_equal(mk_test_setup_flags(flags), 0);
    assert_int_equal(mdlkit_driver_load("pnpfdo", fdo_entry, &drv), STATUS_SUCCESS);
    return drv;
}

static void test_pnp_start_and_orderly_remove(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, "root\\pnpfdo", &pdo), STATUS_SUCCESS);
    assert_non_null(g_fdo);
    assert_ptr_equal(pdo->AttachedDevice, g_fdo);
    assert_ptr_equal(g_ext->lower, pdo);
    assert_true(pdo->Flags & DO_BUS_ENUMERATED_DEVICE);
    assert_int_equal(g_ext->nminors, 1);
    assert_int_equal(g_ext->minors[0], IRP_MN_START_DEVICE);
    fdo_ext *x = g_ext;
    UCHAR seen[16];
    /* the FDO deletes itself inside IRP_MN_REMOVE_DEVICE: no report */
    int before = x->nminors;
    (void)before;
    memcpy(seen, x->minors, sizeof seen);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    assert_null(g_fdo);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_INVALID_PARAMETER); /* gone */
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

static UCHAR g_order[16];
static int g_norder;
static NTSTATUS recording_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    if (g_norder < 16)
        g_order[g_norder++] = IoGetCurrentIrpStackLocation(irp)->MinorFunction;
    return fdo_pnp(dev, irp);
}

static void test_pnp_irp_order_and_failed_query_remove(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    drv->MajorFunction[IRP_MJ_PNP] = recording_pnp;
    g_norder = 0;
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, NULL, &pdo), STATUS_SUCCESS);
    g_ext->fail_query_remove = STATUS_DEVICE_BUSY;
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_DEVICE_BUSY);
    assert_non_null(g_fdo); /* vetoed: the device stays */
    g_ext->fail_query_remove = 0;
    assert_int_equal(mdlkit_pnp_surprise_remove(pdo), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pnp_surprise_remove(pdo), STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    const UCHAR want[] = {IRP_MN_START_DEVICE, IRP_MN_QUERY_REMOVE_DEVICE, IRP_MN_CANCEL_REMOVE_DEVICE,
                          IRP_MN_SURPRISE_REMOVAL, IRP_MN_REMOVE_DEVICE};
    assert_int_equal(g_norder, (int)sizeof want);
    assert_memory_equal(g_order, want, sizeof want);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

static void test_pnp_failed_add_device(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    PDEVICE_OBJECT pdo = (PDEVICE_OBJECT)1;
    g_fail_add = 1;
    assert_int_equal(mdlkit_pnp_add_device(drv, NULL, &pdo), STATUS_INSUFFICIENT_RESOURCES);
    assert_null(pdo);
    assert_int_equal(mdlkit_pnp_add_device(NULL, NULL, &pdo), STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* Target-device notifications and the PDO's target relation. */
static GUID g_events[4];
static int g_nevents;
static PFILE_OBJECT g_file;
static NTSTATUS on_target(PVOID n, PVOID ctx)
{
    PTARGET_DEVICE_REMOVAL_NOTIFICATION t = n;
    assert_ptr_equal(ctx, &g_nevents);
    assert_int_equal(t->Version, 1);
    assert_int_equal(t->Size, sizeof *t);
    assert_ptr_equal(t->FileObject, g_file);
    if (g_nevents < 4)
        g_events[g_nevents++] = t->Event;
    return STATUS_SUCCESS;
}

static void test_pnp_target_notifications_and_relations(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    PDEVICE_OBJECT pdo, top;
    assert_int_equal(mdlkit_pnp_add_device(drv, "root\\pnpfdo", &pdo), STATUS_SUCCESS);
    WCHAR name[64];
    ULONG len = 0;
    assert_int_equal(IoGetDeviceProperty(pdo, DevicePropertyPhysicalDeviceObjectName, sizeof name, name, &len),
                     STATUS_SUCCESS);
    UNICODE_STRING us = {(USHORT)(len - sizeof(WCHAR)), (USHORT)len, name};
    assert_int_equal(IoGetDeviceObjectPointer(&us, FILE_READ_DATA, &g_file, &top), STATUS_SUCCESS);
    assert_ptr_equal(top, g_fdo);

    /* what a driver asks the stack for the PDO: the PDO, referenced */
    KEVENT ev;
    IO_STATUS_BLOCK iosb;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, top, NULL, 0, NULL, &ev, &iosb);
    assert_non_null(irp);
    IoGetNextIrpStackLocation(irp)->MinorFunction = IRP_MN_QUERY_DEVICE_RELATIONS;
    IoGetNextIrpStackLocation(irp)->Parameters.QueryDeviceRelations.Type = TargetDeviceRelation;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    NTSTATUS st = IoCallDriver(top, irp);
    if (st == STATUS_PENDING) {
        KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL);
        st = iosb.Status;
    }
    assert_int_equal(st, STATUS_SUCCESS);
    PDEVICE_RELATIONS rel = (PDEVICE_RELATIONS)iosb.Information;
    assert_int_equal(rel->Count, 1);
    assert_ptr_equal(rel->Objects[0], pdo);
    ObDereferenceObject(rel->Objects[0]);
    ExFreePool(rel);

    PVOID entry, other;
    g_nevents = 0;
    assert_int_equal(IoRegisterPlugPlayNotification(EventCategoryTargetDeviceChange, 0, g_file, drv, on_target,
                                                    &g_nevents, &entry),
                     STATUS_SUCCESS);
    assert_int_equal(IoRegisterPlugPlayNotification(EventCategoryTargetDeviceChange, 0, NULL, drv, on_target,
                                                    &g_nevents, &other),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(IoRegisterPlugPlayNotification((IO_NOTIFICATION_EVENT_CATEGORY)77, 0, NULL, drv, on_target,
                                                    NULL, &other),
                     STATUS_INVALID_PARAMETER);
    g_ext->fail_query_remove = STATUS_DEVICE_BUSY;
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_DEVICE_BUSY);
    assert_int_equal(g_nevents, 2);
    assert_true(IsEqualGUID(&g_events[0], &GUID_TARGET_DEVICE_QUERY_REMOVE));
    assert_true(IsEqualGUID(&g_events[1], &GUID_TARGET_DEVICE_REMOVE_CANCELLED));
    g_ext->fail_query_remove = 0;
    ObDereferenceObject(g_file);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    assert_int_equal(g_nevents, 4);
    assert_true(IsEqualGUID(&g_events[2], &GUID_TARGET_DEVICE_QUERY_REMOVE));
    assert_true(IsEqualGUID(&g_events[3], &GUID_TARGET_DEVICE_REMOVE_COMPLETE));
    assert_int_equal(IoUnregisterPlugPlayNotification(entry), STATUS_SUCCESS);
    assert_int_equal(IoUnregisterPlugPlayNotificationEx(entry), STATUS_INVALID_PARAMETER); /* gone */
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

typedef struct iface_log {
    int arrivals, removals;
    WCHAR last[128];
} iface_log;

static NTSTATUS on_interface(PVOID n, PVOID ctx)
{
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION c = n;
    iface_log *log = ctx;
    assert_int_equal(c->Version, 1);
    assert_int_equal(c->Size, sizeof *c);
    if (IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_ARRIVAL))
        log->arrivals++;
    else if (IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_REMOVAL))
        log->removals++;
    memcpy(log->last, c->SymbolicLinkName->Buffer, c->SymbolicLinkName->Length);
    log->last[c->SymbolicLinkName->Length / sizeof(WCHAR)] = 0;
    return STATUS_SUCCESS;
}

DEFINE_GUID(TEST_INTERFACE_CLASS, 0x11223344, 0x5566, 0x7788, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00);

static UNICODE_STRING g_link;
static NTSTATUS g_enable_status;
/* A driver that enables its interface while it starts (the arrival must
 * wait for the start to complete). */
static NTSTATUS iface_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    if (IoGetCurrentIrpStackLocation(irp)->MinorFunction == IRP_MN_START_DEVICE)
        g_enable_status = IoSetDeviceInterfaceState(&g_link, TRUE);
    return fdo_pnp(dev, irp);
}
static NTSTATUS iface_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    NTSTATUS st = fdo_add(drv, pdo);
    if (NT_SUCCESS(st))
        st = IoRegisterDeviceInterface(pdo, &TEST_INTERFACE_CLASS, NULL, &g_link);
    return st;
}

static void test_pnp_device_interfaces(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    drv->DriverExtension->AddDevice = iface_add;
    drv->MajorFunction[IRP_MJ_PNP] = iface_pnp;
    iface_log before = {0}, after = {0};
    PVOID e1, e2;
    /* registered before the device exists: told when it arrives */
    assert_int_equal(IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                                    PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                                    (PVOID)&TEST_INTERFACE_CLASS, drv, on_interface, &before, &e1),
                     STATUS_SUCCESS);
    assert_int_equal(before.arrivals, 0);
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, "root\\iface", &pdo), STATUS_SUCCESS);
    assert_int_equal(g_enable_status, STATUS_SUCCESS);
    assert_int_equal(before.arrivals, 1);
    assert_int_equal(g_link.Length, wcslen16(before.last) * sizeof(WCHAR));
    assert_memory_equal(g_link.Buffer, before.last, g_link.Length);
    assert_int_equal(g_link.Buffer[0], '\\');
    assert_int_equal(g_link.Buffer[1], '?');
    /* registered afterwards with INCLUDE_EXISTING: told at once */
    assert_int_equal(IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                                    PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                                    (PVOID)&TEST_INTERFACE_CLASS, drv, on_interface, &after, &e2),
                     STATUS_SUCCESS);
    assert_int_equal(after.arrivals, 1);
    /* the link opens the device's stack */
    PFILE_OBJECT file;
    PDEVICE_OBJECT top;
    assert_int_equal(IoGetDeviceObjectPointer(&g_link, FILE_READ_DATA, &file, &top), STATUS_SUCCESS);
    assert_ptr_equal(top, g_fdo);
    ObDereferenceObject(file);
    assert_int_equal(IoSetDeviceInterfaceState(&g_link, TRUE), STATUS_OBJECT_NAME_EXISTS);
    assert_int_equal(IoSetDeviceInterfaceState(&g_link, FALSE), STATUS_SUCCESS);
    assert_int_equal(before.removals, 1);
    assert_int_equal(after.removals, 1);
    assert_int_equal(IoSetDeviceInterfaceState(&g_link, FALSE), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(IoGetDeviceObjectPointer(&g_link, FILE_READ_DATA, &file, &top), STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(IoSetDeviceInterfaceState(&g_link, TRUE), STATUS_SUCCESS);
    assert_int_equal(before.arrivals, 2);
    /* registering again gives the same name */
    UNICODE_STRING again;
    assert_int_equal(IoRegisterDeviceInterface(pdo, &TEST_INTERFACE_CLASS, NULL, &again), STATUS_SUCCESS);
    assert_true(RtlEqualUnicodeString(&again, &g_link, FALSE));
    RtlFreeUnicodeString(&again);
    /* the device goes: the PnP manager disables what is still enabled */
    assert_int_equal(IoUnregisterPlugPlayNotification(e2), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    assert_int_equal(before.removals, 2);
    assert_int_equal(after.removals, 1);
    assert_int_equal(IoSetDeviceInterfaceState(&g_link, TRUE), STATUS_OBJECT_NAME_NOT_FOUND);
    RtlFreeUnicodeString(&g_link);
    assert_int_equal(IoUnregisterPlugPlayNotification(e1), STATUS_SUCCESS);
    assert_int_equal(IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange, 0x80,
                                                    (PVOID)&TEST_INTERFACE_CLASS, drv, on_interface, &after, &e1),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

static PDEVICE_OBJECT g_not_pdo;
static void property_of_fdo(void *arg)
{
    (void)arg;
    ULONG len;
    WCHAR buf[8];
    IoGetDeviceProperty(g_not_pdo, DevicePropertyHardwareID, sizeof buf, buf, &len);
}

static void test_pnp_device_properties(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(0);
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, "root\\pnpfdo", &pdo), STATUS_SUCCESS);
    WCHAR buf[64];
    ULONG len = 0;
    assert_int_equal(IoGetDeviceProperty(pdo, DevicePropertyHardwareID, 4, buf, &len), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(len, (11 + 2) * sizeof(WCHAR)); /* "root\pnpfdo", double NUL */
    assert_int_equal(IoGetDeviceProperty(pdo, DevicePropertyHardwareID, sizeof buf, buf, &len), STATUS_SUCCESS);
    assert_int_equal(buf[0], 'r');
    assert_int_equal(buf[4], '\\');
    assert_int_equal(buf[11], 0);
    assert_int_equal(buf[12], 0);
    assert_int_equal(IoGetDeviceProperty(pdo, DevicePropertyEnumeratorName, sizeof buf, buf, &len), STATUS_SUCCESS);
    assert_int_equal(len, 5 * sizeof(WCHAR));
    assert_int_equal(buf[0], 'R');
    assert_int_equal(IoGetDeviceProperty(pdo, DevicePropertyFriendlyName, sizeof buf, buf, &len),
                     STATUS_OBJECT_NAME_NOT_FOUND);
    assert_int_equal(IoGetDeviceProperty(pdo, (DEVICE_REGISTRY_PROPERTY)99, sizeof buf, buf, &len),
                     STATUS_INVALID_PARAMETER_2);
    /* WMI provider IDs: one per device object */
    assert_int_equal(IoWMIDeviceObjectToProviderId(pdo), (ULONG)(ULONG_PTR)pdo);
    assert_int_not_equal(IoWMIDeviceObjectToProviderId(pdo), IoWMIDeviceObjectToProviderId(g_fdo));
    /* a device that is not a PDO: the PnP manager's 0xCA, subcode 2 */
    g_not_pdo = g_fdo;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(property_of_fdo, NULL, &bc), 1);
    assert_int_equal(bc.code, PNP_DETECTED_FATAL_ERROR);
    assert_int_equal(bc.param[0], 2);
    assert_int_equal(bc.param[1], (ULONG_PTR)g_fdo);
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

static void test_pnp_power_irp_passed_down(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, NULL, &pdo), STATUS_SUCCESS);
    KEVENT ev;
    IO_STATUS_BLOCK iosb;
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    PIRP irp = IoBuildSynchronousFsdRequest(IRP_MJ_POWER, g_fdo, NULL, 0, NULL, &ev, &iosb);
    assert_non_null(irp);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MinorFunction = IRP_MN_SET_POWER;
    sp->Parameters.Power.Type = DevicePowerState;
    sp->Parameters.Power.State.DeviceState = PowerDeviceD0;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    NTSTATUS st = PoCallDriver(g_fdo, irp);
    if (st == STATUS_PENDING) {
        KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL);
        st = iosb.Status;
    }
    assert_int_equal(st, STATUS_SUCCESS); /* the bus completed it */
    assert_int_equal(mdlkit_pnp_remove(pdo), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* A driver still loaded at shutdown with its device present (never
 * removed): the device objects go with the machine, no leak is reported
 * (they are charged to no driver). */
static void test_pnp_device_left_at_shutdown(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv = load(MDLKIT_VERIFY_STANDARD);
    PDEVICE_OBJECT pdo;
    assert_int_equal(mdlkit_pnp_add_device(drv, NULL, &pdo), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(mk_test_shutdown_fn_, NULL, &bc), 0);
}

static void test_system_routine_address(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(0), 0);
    UNICODE_STRING n;
    RtlInitUnicodeString(&n, L"PsGetVersion");
    assert_ptr_equal(MmGetSystemRoutineAddress(&n), (PVOID)PsGetVersion);
    RtlInitUnicodeString(&n, L"IoGetDeviceProperty");
    assert_ptr_equal(MmGetSystemRoutineAddress(&n), (PVOID)IoGetDeviceProperty);
    RtlInitUnicodeString(&n, L"IoWMIOpenBlock"); /* not implemented: not exported */
    assert_null(MmGetSystemRoutineAddress(&n));
    RtlInitUnicodeString(&n, L"mdlkit_init"); /* the harness's, not the kernel's */
    assert_null(MmGetSystemRoutineAddress(&n));
    RtlInitUnicodeString(&n, L"memcpy"); /* the C library's, not libmdlkit's */
    assert_null(MmGetSystemRoutineAddress(&n));
    RtlInitUnicodeString(&n, L"Ps Get");
    assert_null(MmGetSystemRoutineAddress(&n));
    RtlInitUnicodeString(&n, L"");
    assert_null(MmGetSystemRoutineAddress(&n));
    assert_int_equal(mk_test_teardown(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pnp_start_and_orderly_remove),
        cmocka_unit_test(test_pnp_irp_order_and_failed_query_remove),
        cmocka_unit_test(test_pnp_failed_add_device),
        cmocka_unit_test(test_pnp_target_notifications_and_relations),
        cmocka_unit_test(test_pnp_device_interfaces),
        cmocka_unit_test(test_pnp_device_properties),
        cmocka_unit_test(test_pnp_power_irp_passed_down),
        cmocka_unit_test(test_pnp_device_left_at_shutdown),
        cmocka_unit_test(test_system_routine_address),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
