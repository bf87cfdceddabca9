/* Regression tests for the defects of Microsoft's Driver Verifier
 * demonstration driver (DV-FailDriver-WDM, a toaster monitor with a
 * deliberately injected bug), each written from the sample's description
 * of its defect (no driver code copied), each beside its correct variant,
 * which must run clean under the standard options:
 *
 *  - version_queried_under_queue_lock: on surprise removal the driver
 *    takes its receive-queue spin lock (DISPATCH_LEVEL), and, while
 *    holding it, asks PsGetVersion for the OS version before completing
 *    the queued reads. PsGetVersion is documented for PASSIVE_LEVEL; with
 *    DDI compliance checking Driver Verifier reports the IrqlPsPassive
 *    rule: 0xC4 with P1 0x0002001C. Without that option mdlkit reports
 *    the IRQL misuse as 0xA (as for every kernel routine), P2 the IRQL.
 *    mdlkit used to answer PsGetVersion at any IRQL, so the defect went
 *    unreported. The fix asks for the version before taking the lock (or
 *    once, at start). Tested alone and in a small function driver on
 *    mdlkit's root bus whose surprise-removal handler drains its pended
 *    reads that way (surprise_removal_drains_reads_*).
 *  - device_deleted_in_remove_irp (false-alarm check): the sample's
 *    IRP_MN_REMOVE_DEVICE handler passes the IRP down, detaches and calls
 *    IoDeleteDevice on its own device object before returning, as every
 *    WDM function driver does. mdlkit's IoCallDriver read the device
 *    object's extension after the dispatch routine returned, which under
 *    special pool was 0xD5 (freed special pool touched) at the PnP
 *    manager's call; it now reads what it needs before the call.
 *  - arrival_alloc_failure_frees_null_entry: the sample's interface-arrival
 *    callback allocates its per-target entry and, when that fails, jumps to
 *    its common error exit, which hands the NULL entry to its close routine;
 *    the close routine reads the entry's fields: a NULL dereference, 0x1E
 *    (STATUS_ACCESS_VIOLATION) here. Found by Driver Verifier's low-resources
 *    simulation (0x4, here filtered to the entry's tag) once a device of
 *    the watched interface class arrives; before mdlkit had device
 *    interfaces the callback never ran. The fix returns before the exit
 *    when nothing was allocated (or the close routine accepts NULL). The
 *    same failure inside the registration (the device already there, the
 *    arrival reported by IoRegisterPlugPlayNotification itself) used to
 *    leave the registration's host memory behind when the bug check
 *    unwound through it (found by LeakSanitizer); it is now listed first.
 *  - device_left_at_shutdown (false-alarm check): the sample's unload
 *    routine frees nothing because the PnP manager removes its devices
 *    first; a harness that stops the machine with the device still present
 *    got 0xC4/0x62 for "the process" (device objects are charged to no
 *    driver). mdlkit_shutdown now deletes the devices of drivers still
 *    loaded before its final leak check. */
#include "testutil.h"
#include <ntddk.h>
#include <initguid.h>
#include <wdmguid.h>

static KSPIN_LOCK g_queue_lock;
static LIST_ENTRY g_queue;
static int g_fixed;
static ULONG g_major, g_minor, g_build;
static mdlkit_bugcheck g_bc;

static void boot(int fixed, ULONG flags)
{
    g_fixed = fixed;
    g_major = g_minor = g_build = 0;
    assert_int_equal(mk_test_setup_flags(flags), 0);
    KeInitializeSpinLock(&g_queue_lock);
    InitializeListHead(&g_queue);
}

/* The surprise-removal path: drain the queue under its lock. */
static void cancel_queued_reads(void *arg)
{
    (void)arg;
    KIRQL old;
    if (g_fixed)
        PsGetVersion(&g_major, &g_minor, &g_build, NULL);
    KeAcquireSpinLock(&g_queue_lock, &old);
    if (IsListEmpty(&g_queue) && !g_fixed)
        PsGetVersion(&g_major, &g_minor, &g_build, NULL);
    KeReleaseSpinLock(&g_queue_lock, old);
}

static void test_version_queried_under_queue_lock(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x0002001C); /* IrqlPsPassive */
    assert_non_null((void *)g_bc.param[1]);      /* the rule's sentence */
    assert_int_equal(g_major, 0);                /* reported before anything was written */
    mdlkit_shutdown();

    boot(0, 0);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(g_bc.param[1], DISPATCH_LEVEL);
    mdlkit_shutdown();
}

static void test_version_queried_before_queue_lock_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    RTL_OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};
    assert_int_equal(RtlGetVersion(&v), STATUS_SUCCESS);
    assert_int_equal(g_major, v.dwMajorVersion);
    assert_int_equal(g_minor, v.dwMinorVersion);
    assert_int_equal(g_build, v.dwBuildNumber);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* ------------------------------------------- a small PnP function driver */

typedef struct mon_ext {
    PDEVICE_OBJECT lower;
    KSPIN_LOCK lock; /* left as IoCreateDevice zeroed it, as the sample does */
    LIST_ENTRY reads;
} mon_ext;

static PDEVICE_OBJECT g_fdo;

static NTSTATUS mon_complete(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static void mon_cancel(PDEVICE_OBJECT dev, PIRP irp)
{
    mon_ext *x = dev->DeviceExtension;
    KIRQL old;
    IoReleaseCancelSpinLock(irp->CancelIrql);
    KeAcquireSpinLock(&x->lock, &old);
    RemoveEntryList(&irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&x->lock, old);
    mon_complete(irp, STATUS_CANCELLED);
}

static NTSTATUS mon_read(PDEVICE_OBJECT dev, PIRP irp)
{
    mon_ext *x = dev->DeviceExtension;
    KIRQL old;
    KeAcquireSpinLock(&x->lock, &old);
    IoSetCancelRoutine(irp, mon_cancel);
    IoMarkIrpPending(irp);
    InsertTailList(&x->reads, &irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&x->lock, old);
    return STATUS_PENDING;
}

static NTSTATUS mon_open_close(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    return mon_complete(irp, STATUS_SUCCESS);
}

/* Surprise removal: complete every pended read. */
static void mon_drain(mon_ext *x)
{
    KIRQL old;
    if (g_fixed)
        PsGetVersion(&g_major, &g_minor, &g_build, NULL);
    KeAcquireSpinLock(&x->lock, &old);
    while (!IsListEmpty(&x->reads)) {
        PIRP irp = CONTAINING_RECORD(RemoveHeadList(&x->reads), IRP, Tail.Overlay.ListEntry);
        if (!IoSetCancelRoutine(irp, NULL)) {
            InitializeListHead(&irp->Tail.Overlay.ListEntry); /* its cancel routine is running */
            continue;
        }
        if (!g_fixed)
            PsGetVersion(&g_major, &g_minor, &g_build, NULL);
        KeReleaseSpinLock(&x->lock, old);
        mon_complete(irp, STATUS_CANCELLED);
        KeAcquireSpinLock(&x->lock, &old);
    }
    KeReleaseSpinLock(&x->lock, old);
}

static NTSTATUS mon_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    mon_ext *x = dev->DeviceExtension;
    PDEVICE_OBJECT lower = x->lower;
    switch (IoGetCurrentIrpStackLocation(irp)->MinorFunction) {
    case IRP_MN_SURPRISE_REMOVAL:
        mon_drain(x);
        break;
    case IRP_MN_REMOVE_DEVICE: {
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        NTSTATUS st = IoCallDriver(lower, irp);
        IoDetachDevice(lower);
        IoDeleteDevice(dev); /* the device object goes before the dispatch returns */
        g_fdo = NULL;
        return st;
    }
    default:
        break;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(lower, irp);
}

static NTSTATUS mon_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, sizeof(mon_ext), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    mon_ext *x = dev->DeviceExtension;
    InitializeListHead(&x->reads);
    x->lower = IoAttachDeviceToDeviceStack(dev, pdo);
    dev->Flags |= DO_BUFFERED_IO | DO_POWER_PAGABLE;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    g_fdo = dev;
    return STATUS_SUCCESS;
}

static NTSTATUS mon_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    drv->DriverExtension->AddDevice = mon_add;
    drv->MajorFunction[IRP_MJ_PNP] = mon_pnp;
    drv->MajorFunction[IRP_MJ_READ] = mon_read;
    drv->MajorFunction[IRP_MJ_CREATE] = mon_open_close;
    drv->MajorFunction[IRP_MJ_CLEANUP] = mon_open_close;
    drv->MajorFunction[IRP_MJ_CLOSE] = mon_open_close;
    return STATUS_SUCCESS;
}

static PDEVICE_OBJECT g_pdo;
static void surprise(void *arg)
{
    (void)arg;
    assert_int_equal(mdlkit_pnp_surprise_remove(g_pdo), STATUS_SUCCESS);
}

/* Loads the driver, adds and starts its device, opens it and pends two
 * reads; returns the handle. */
static HANDLE mon_start(PDRIVER_OBJECT *drv, mdlkit_request **reads)
{
    assert_int_equal(mdlkit_driver_load("toastmon_like", mon_entry, drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pnp_add_device(*drv, "root\\toastmon_like", &g_pdo), STATUS_SUCCESS);
    WCHAR w[64];
    char name[64];
    ULONG len = 0;
    assert_int_equal(IoGetDeviceProperty(g_pdo, DevicePropertyPhysicalDeviceObjectName, sizeof w, w, &len),
                     STATUS_SUCCESS);
    for (ULONG i = 0; i < len / sizeof(WCHAR); i++)
        name[i] = (char)w[i];
    HANDLE h = mdlkit_open(name);
    assert_non_null(h);
    static char buf[2][16];
    ULONG_PTR info;
    for (int i = 0; i < 2; i++) {
        reads[i] = mdlkit_read_async(h, buf[i], sizeof buf[i]);
        assert_int_equal(mdlkit_wait(reads[i], 0, &info), STATUS_TIMEOUT);
    }
    return h;
}

static void test_surprise_removal_drains_reads_under_lock(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    mdlkit_request *reads[2];
    boot(0, MDLKIT_VERIFY_STANDARD);
    (void)mon_start(&drv, reads);
    assert_int_equal(mdlkit_catch_bugcheck(surprise, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x0002001C); /* IrqlPsPassive */
    mdlkit_shutdown();
}

static void test_surprise_removal_drains_reads_fixed(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    mdlkit_request *reads[2];
    ULONG_PTR info;
    boot(1, MDLKIT_VERIFY_STANDARD);
    HANDLE h = mon_start(&drv, reads);
    assert_int_equal(mdlkit_catch_bugcheck(surprise, NULL, &g_bc), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(mdlkit_wait(reads[i], 1000, &info), STATUS_CANCELLED);
    assert_int_not_equal(g_major, 0);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_non_null(g_fdo);
    assert_int_equal(mdlkit_pnp_remove(g_pdo), STATUS_SUCCESS);
    assert_null(g_fdo);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* The orderly path: reads cancelled by the application, the device removed
 * (its FDO deleted inside IRP_MN_REMOVE_DEVICE): clean under special pool. */
static void test_device_deleted_in_remove_irp_fixed(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    mdlkit_request *reads[2];
    ULONG_PTR info;
    boot(0, MDLKIT_VERIFY_STANDARD);
    HANDLE h = mon_start(&drv, reads);
    for (int i = 0; i < 2; i++) {
        mdlkit_cancel(reads[i]);
        assert_int_equal(mdlkit_wait(reads[i], 1000, &info), STATUS_CANCELLED);
    }
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pnp_remove(g_pdo), STATUS_SUCCESS);
    assert_null(g_fdo);
    assert_int_equal(g_major, 0); /* the surprise-removal path did not run */
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* ------------------------------- interface arrival, allocation failure */

DEFINE_GUID(REGRESS_WIDGET_CLASS, 0x5a1e0001, 0x0bad, 0x4f00, 0x8a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77);
#define ENTRY_TAG 'yrtE'

typedef struct watch_entry {
    LIST_ENTRY link;
    UNICODE_STRING name;
} watch_entry;

static LIST_ENTRY g_watched;
static int g_arrivals;

static void watch_close(watch_entry *e)
{
    if (g_fixed && !e)
        return;
    /* the buggy exit hands a NULL entry's string to the free (the address
     * is computed as an integer so that UBSan leaves the fault to mdlkit) */
    RtlFreeUnicodeString((PUNICODE_STRING)((ULONG_PTR)e + FIELD_OFFSET(watch_entry, name)));
    ExFreePoolWithTag(e, ENTRY_TAG);
}

static NTSTATUS watch_arrival(PVOID n, PVOID ctx)
{
    (void)ctx;
    PDEVICE_INTERFACE_CHANGE_NOTIFICATION c = n;
    if (!IsEqualGUID(&c->Event, &GUID_DEVICE_INTERFACE_ARRIVAL))
        return STATUS_SUCCESS;
    g_arrivals++;
    watch_entry *e = ExAllocatePool2(POOL_FLAG_PAGED, sizeof *e, ENTRY_TAG);
    if (!e)
        goto fail;
    if (!NT_SUCCESS(RtlDuplicateUnicodeString(0, c->SymbolicLinkName, &e->name)))
        goto fail;
    InsertTailList(&g_watched, &e->link);
    return STATUS_SUCCESS;
fail:
    watch_close(e);
    return STATUS_SUCCESS;
}

static PVOID g_watch_reg;
static NTSTATUS watch_entry_point(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    InitializeListHead(&g_watched);
    return IoRegisterPlugPlayNotification(EventCategoryDeviceInterfaceChange,
                                          PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES,
                                          (PVOID)&REGRESS_WIDGET_CLASS, drv, watch_arrival, NULL, &g_watch_reg);
}

static UNICODE_STRING g_widget_link;
static NTSTATUS widget_pnp(PDEVICE_OBJECT dev, PIRP irp)
{
    mon_ext *x = dev->DeviceExtension;
    PDEVICE_OBJECT lower = x->lower;
    UCHAR minor = IoGetCurrentIrpStackLocation(irp)->MinorFunction;
    if (minor == IRP_MN_START_DEVICE)
        (void)IoSetDeviceInterfaceState(&g_widget_link, TRUE);
    if (minor == IRP_MN_REMOVE_DEVICE) {
        (void)IoSetDeviceInterfaceState(&g_widget_link, FALSE);
        RtlFreeUnicodeString(&g_widget_link);
        irp->IoStatus.Status = STATUS_SUCCESS;
        IoSkipCurrentIrpStackLocation(irp);
        NTSTATUS st = IoCallDriver(lower, irp);
        IoDetachDevice(lower);
        IoDeleteDevice(dev);
        return st;
    }
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoSkipCurrentIrpStackLocation(irp);
    return IoCallDriver(lower, irp);
}

static NTSTATUS widget_add(PDRIVER_OBJECT drv, PDEVICE_OBJECT pdo)
{
    PDEVICE_OBJECT dev;
    NTSTATUS st = IoCreateDevice(drv, sizeof(mon_ext), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(st))
        return st;
    mon_ext *x = dev->DeviceExtension;
    x->lower = IoAttachDeviceToDeviceStack(dev, pdo);
    st = IoRegisterDeviceInterface(pdo, &REGRESS_WIDGET_CLASS, NULL, &g_widget_link);
    if (!NT_SUCCESS(st)) {
        IoDetachDevice(x->lower);
        IoDeleteDevice(dev);
        return st;
    }
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}

static NTSTATUS widget_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    drv->DriverExtension->AddDevice = widget_add;
    drv->MajorFunction[IRP_MJ_PNP] = widget_pnp;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_widget_drv;
static void widget_arrives(void *arg)
{
    (void)arg;
    assert_int_equal(mdlkit_pnp_add_device(g_widget_drv, "root\\widget", &g_pdo), STATUS_SUCCESS);
}

/* The entry's tag fails every time (0x4 filtered to it), nothing else. */
static void boot_failing_entries(int fixed)
{
    mdlkit_config c;
    g_fixed = fixed;
    g_arrivals = 0;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_STANDARD | MDLKIT_VERIFY_LOW_RESOURCES;
    c.fault_probability = 10000;
    c.fault_seed = 1;
    c.fault_tags = "Etry";
    assert_int_equal(mdlkit_init(&c), 0);
}

static void test_arrival_alloc_failure_frees_null_entry(void **state)
{
    (void)state;
    PDRIVER_OBJECT watcher;
    boot_failing_entries(0);
    assert_int_equal(mdlkit_driver_load("watcher", watch_entry_point, &watcher), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_load("widget", widget_entry, &g_widget_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(widget_arrives, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal((NTSTATUS)g_bc.param[0], STATUS_ACCESS_VIOLATION);
    assert_int_equal(g_arrivals, 1);
    mdlkit_shutdown();
}

/* The watcher loads after the device arrived: the arrival comes from
 * inside its IoRegisterPlugPlayNotification call (INCLUDE_EXISTING); the
 * bug check unwinds through it and leaves nothing allocated (LeakSanitizer
 * checks that in the sanitizer build). */
static PDRIVER_OBJECT g_watcher;
static void watcher_loads(void *arg)
{
    (void)arg;
    (void)mdlkit_driver_load("watcher", watch_entry_point, &g_watcher);
}

static void test_arrival_alloc_failure_in_existing_interface_callback(void **state)
{
    (void)state;
    boot_failing_entries(0);
    assert_int_equal(mdlkit_driver_load("widget", widget_entry, &g_widget_drv), STATUS_SUCCESS);
    widget_arrives(NULL);
    assert_int_equal(mdlkit_catch_bugcheck(watcher_loads, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal((NTSTATUS)g_bc.param[0], STATUS_ACCESS_VIOLATION);
    assert_int_equal(g_arrivals, 1);
    mdlkit_shutdown();
}

static void test_arrival_alloc_failure_returns_early_fixed(void **state)
{
    (void)state;
    PDRIVER_OBJECT watcher;
    boot_failing_entries(1);
    assert_int_equal(mdlkit_driver_load("watcher", watch_entry_point, &watcher), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_load("widget", widget_entry, &g_widget_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(widget_arrives, NULL, &g_bc), 0);
    assert_int_equal(g_arrivals, 1);
    assert_true(IsListEmpty(&g_watched)); /* the failed arrival left nothing */
    assert_int_equal(mdlkit_pnp_remove(g_pdo), STATUS_SUCCESS);
    assert_int_equal(IoUnregisterPlugPlayNotification(g_watch_reg), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(watcher), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_widget_drv), STATUS_SUCCESS);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

/* The device is never removed and the driver never unloaded before the
 * machine stops: no leak report. */
static void test_device_left_at_shutdown_fixed(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    mdlkit_request *reads[2];
    ULONG_PTR info;
    boot(1, MDLKIT_VERIFY_STANDARD);
    HANDLE h = mon_start(&drv, reads);
    for (int i = 0; i < 2; i++) {
        mdlkit_cancel(reads[i]);
        assert_int_equal(mdlkit_wait(reads[i], 1000, &info), STATUS_CANCELLED);
    }
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(mk_test_shutdown_fn_, NULL, &g_bc), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_queried_under_queue_lock),
        cmocka_unit_test(test_version_queried_before_queue_lock_fixed),
        cmocka_unit_test(test_surprise_removal_drains_reads_under_lock),
        cmocka_unit_test(test_surprise_removal_drains_reads_fixed),
        cmocka_unit_test(test_device_deleted_in_remove_irp_fixed),
        cmocka_unit_test(test_arrival_alloc_failure_frees_null_entry),
        cmocka_unit_test(test_arrival_alloc_failure_in_existing_interface_callback),
        cmocka_unit_test(test_arrival_alloc_failure_returns_early_fixed),
        cmocka_unit_test(test_device_left_at_shutdown_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
