/* A recoverable bug check (issue #17): twenty tests in one binary, half of
 * which catch a bug check (pool, MDL, IRQL, leak at unload, StorPort, NDIS,
 * a driver's own KeBugCheckEx...), each followed by the cleanup a test
 * naturally writes (free the user buffer, unload the driver, shut down).
 * After a caught bug check that cleanup must never raise: every test runs to
 * completion, with and without MDLKIT_VERIFIER=standard (ctest runs this
 * binary both ways: tests/CMakeLists.txt). Written only against the
 * installed headers (<mdlkit_test.h>), as a driver developer's test is. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <mdlkit_test.h>
#include <storport.h>
#include <ndis.h>

#include "testndis.h"

/* ------------------------------------------------------------------------
 * A WDM driver: METHOD_NEITHER IOCTL that locks the caller's buffer, copies
 * it into a lookaside entry, inverts it in place. Switchable bugs.
 * ---------------------------------------------------------------------- */
#define XFER_TAG 'rfsX'
#define IOCTL_XFER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)

enum { BUG_NONE, BUG_DOUBLE_FREE, BUG_NO_UNLOCK, BUG_PROBE_AT_DISPATCH, BUG_LEAK, BUG_OWN_BUGCHECK };
static int g_bug;
static NPAGED_LOOKASIDE_LIST g_lal;
static PDEVICE_OBJECT g_dev;
static UCHAR g_last_copy[64];

static NTSTATUS XferDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR user = sp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG len = sp->Parameters.DeviceIoControl.InputBufferLength;
    KIRQL old = PASSIVE_LEVEL;
    (void)DeviceObject;
    PUCHAR ctx = ExAllocateFromNPagedLookasideList(&g_lal);
    if (!ctx)
        return STATUS_INSUFFICIENT_RESOURCES;
    PMDL mdl = IoAllocateMdl(user, len, FALSE, FALSE, NULL);
    if (!mdl) {
        ExFreeToNPagedLookasideList(&g_lal, ctx);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (g_bug == BUG_PROBE_AT_DISPATCH)
        KeRaiseIrql(DISPATCH_LEVEL, &old); /* bug: user buffers are probed at <= APC_LEVEL */
    MmProbeAndLockPages(mdl, UserMode, IoModifyAccess);
    if (g_bug == BUG_PROBE_AT_DISPATCH)
        KeLowerIrql(old);
    PUCHAR va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
    if (va) {
        memcpy(ctx, va, len < 64 ? len : 64);
        for (ULONG i = 0; i < len; i++)
            va[i] = (UCHAR)~va[i];
    }
    if (g_bug != BUG_NO_UNLOCK)
        MmUnlockPages(mdl);
    IoFreeMdl(mdl); /* BUG_NO_UNLOCK: freed with its pages still locked */
    memcpy(g_last_copy, ctx, sizeof g_last_copy);
    ExFreeToNPagedLookasideList(&g_lal, ctx);
    if (g_bug == BUG_DOUBLE_FREE) {
        PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 48, XFER_TAG);
        ExFreePoolWithTag(p, XFER_TAG);
        ExFreePoolWithTag(p, XFER_TAG); /* bug */
    }
    if (g_bug == BUG_LEAK)
        (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, XFER_TAG); /* bug: never freed */
    if (g_bug == BUG_OWN_BUGCHECK)
        KeBugCheckEx(0xDEAD0001, (ULONG_PTR)Irp, len, 0, 0);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = len;
    return STATUS_SUCCESS;
}

static void XferUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    ExDeleteNPagedLookasideList(&g_lal);
    IoDeleteDevice(g_dev);
}

static NTSTATUS XferEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    NTSTATUS st = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
    if (!NT_SUCCESS(st))
        return st;
    ExInitializeNPagedLookasideList(&g_lal, NULL, NULL, POOL_NX_ALLOCATION, 64, XFER_TAG, 0);
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = XferDeviceControl;
    DriverObject->DriverUnload = XferUnload;
    return STATUS_SUCCESS;
}

/* One test's driver, user buffer and IRP. */
typedef struct xfer_case {
    PDRIVER_OBJECT drv;
    PUCHAR user;
    PIRP irp;
    NTSTATUS status;
} xfer_case;

/* A fresh IOCTL IRP for the next call (the old one, if any, is kept by the
 * caller or freed here when `free_old`). */
static void xfer_new_irp(xfer_case *x, int free_old)
{
    if (free_old)
        IoFreeIrp(x->irp);
    x->irp = IoAllocateIrp(1, FALSE);
    assert_non_null(x->irp);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(x->irp);
    sp->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    sp->Parameters.DeviceIoControl.IoControlCode = IOCTL_XFER;
    sp->Parameters.DeviceIoControl.Type3InputBuffer = x->user + 100;
    sp->Parameters.DeviceIoControl.InputBufferLength = PAGE_SIZE;
}

static void xfer_begin(xfer_case *x, int bug)
{
    g_bug = bug;
    assert_int_equal(mdlkit_driver_load("xfer", XferEntry, &x->drv), STATUS_SUCCESS);
    x->user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(x->user);
    for (int i = 0; i < 2 * PAGE_SIZE; i++)
        x->user[i] = (UCHAR)i;
    xfer_new_irp(x, 0);
}

static void xfer_call(void *arg)
{
    xfer_case *x = arg;
    x->status = mdlkit_driver_call(x->drv, x->irp);
}

/* The cleanup every test writes, crashed or not. */
static void xfer_end(xfer_case *x)
{
    IoFreeIrp(x->irp);
    mdlkit_user_free(x->user);
    assert_int_equal(mdlkit_driver_unload(x->drv), STATUS_SUCCESS);
    g_bug = BUG_NONE;
}

static ULONG flags(void) { return mdlkit_current_config()->verifier_flags; }

/* ---- 1. a clean transfer: data round trip, nothing left over ---- */
static void test_clean_transfer(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    assert_int_equal(x.irp->IoStatus.Information, PAGE_SIZE);
    assert_int_equal(g_last_copy[0], 100);
    assert_int_equal(x.user[100], (UCHAR)~100);
    assert_int_equal(x.user[99], 99); /* outside the transfer */
    assert_false(mdlkit_is_crashed());
    xfer_end(&x);
}

/* The second free of a pool block: BAD_POOL_CALLER (0xC2/0x7, the tag, the
 * block); under Special Pool the block's page is gone, and the free is
 * Driver Verifier's 0xC4/0x13 (freeing memory that is not allocated). */
static void expect_double_free(xfer_case *x)
{
    if (flags() & MDLKIT_VERIFY_SPECIAL_POOL)
        mdlkit_assert_bugcheck(xfer_call, x, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, MDLKIT_TEST_ANY,
                               MDLKIT_TEST_ANY, XFER_TAG);
    else
        mdlkit_assert_bugcheck(xfer_call, x, BAD_POOL_CALLER, 7, MDLKIT_TEST_ANY, XFER_TAG, MDLKIT_TEST_ANY);
}

/* ---- 2. pool: a double free, caught; then the usual cleanup ---- */
static void test_pool_double_free(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_DOUBLE_FREE);
    expect_double_free(&x);
    assert_true(mdlkit_is_crashed());
    xfer_end(&x);
}

/* ---- 3. after a crash the next test starts clean ---- */
static void test_next_test_is_clean(void **state)
{
    (void)state;
    assert_false(mdlkit_is_crashed());
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(XFER_TAG, &u), 0); /* a fresh machine: the tag was never used */
    xfer_case x;
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    xfer_end(&x);
}

/* ---- 4. MDL: IoFreeMdl with the pages still locked; the test then frees
 * the user buffer those pages belong to (0x76 before issue #17) ---- */
static void test_mdl_freed_locked(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_NO_UNLOCK);
    /* 0xC4/0xB8: IoFreeMdl of an MDL whose pages are locked (flags: locked,
     * mapped to system VA, write) */
    mdlkit_assert_bugcheck(xfer_call, &x, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, MDLKIT_TEST_ANY,
                           MDLKIT_TEST_ANY, 0);
    assert_true(mdlkit_test_caught.param[2] & MDL_PAGES_LOCKED);
    xfer_end(&x); /* mdlkit_user_free of locked pages: information, not 0x76 */
}

/* ---- 5. a second driver in a fresh machine works after that ---- */
static void test_transfer_twice(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    xfer_new_irp(&x, 1); /* IoAllocateIrp(1, ...): one stack location, one call */
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    assert_int_equal(x.user[100], 100); /* inverted twice */
    assert_int_equal(g_last_copy[0], (UCHAR)~100);
    xfer_end(&x);
}

/* ---- 6. IRQL: a user buffer probed at DISPATCH_LEVEL ---- */
static void test_probe_at_dispatch(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_PROBE_AT_DISPATCH);
    /* the probe touches the first byte at DISPATCH_LEVEL, for write */
    mdlkit_assert_bugcheck(xfer_call, &x, DRIVER_IRQL_NOT_LESS_OR_EQUAL, x.user + 100, DISPATCH_LEVEL, 1,
                           MDLKIT_TEST_ANY);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL); /* the catch put the IRQL back */
    xfer_end(&x);
}

/* ---- 7. the report of a clean run has no leaks and no bug check ---- */
static void test_clean_report(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    xfer_end(&x);
    char *json = mdlkit_test_report_json();
    assert_non_null(json);
    assert_non_null(strstr(json, "\"leaks\": []"));
    assert_non_null(strstr(json, "\"bugcheck\": null"));
    free(json);
}

/* ---- 8. leak at unload (Pool Tracking), caught; then shutdown ---- */
static void leak_unload(void *arg)
{
    xfer_case *x = arg;
    x->status = mdlkit_driver_unload(x->drv);
}
static void test_leak_at_unload(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_LEAK);
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    IoFreeIrp(x.irp);
    mdlkit_user_free(x.user);
    mdlkit_assert_bugcheck(leak_unload, &x, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, MDLKIT_TEST_ANY,
                           MDLKIT_TEST_ANY, MDLKIT_TEST_ANY);
    g_bug = BUG_NONE;
    /* teardown: mdlkit_test_teardown -> mdlkit_shutdown, quiet after the catch */
}

/* ---- 9. the same leak NOT caught by the test: the teardown's final check
 * reports it and fails (mdlkit_test_finish returns -1), without aborting ---- */
static void test_final_check_reports_leak(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_LEAK);
    xfer_call(&x);
    IoFreeIrp(x.irp);
    mdlkit_user_free(x.user);
    mdlkit_bugcheck bc;
    /* unload raises the leak; this test catches it itself to look at it */
    assert_int_equal(mdlkit_catch_bugcheck(leak_unload, &x, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    g_bug = BUG_NONE;
    assert_int_equal(mdlkit_test_finish(), 0); /* crashed: the leftovers are information */
    assert_false(mdlkit_is_initialized());
    assert_false(mdlkit_is_crashed()); /* no machine, nothing crashed */
    /* and a leak nobody caught: the final check fails the teardown */
    assert_int_equal(mdlkit_test_start(MDLKIT_VERIFY_POOL_TRACKING), 0);
    PVOID leaked = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, XFER_TAG);
    assert_non_null(leaked);
    assert_int_equal(mdlkit_test_finish(), -1);
    assert_int_equal(mdlkit_test_final.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(mdlkit_test_final.param[0], 0x62);
    assert_false(mdlkit_is_initialized());
    assert_int_equal(mdlkit_test_start(0), 0); /* for the teardown */
}

/* ---- 10. a driver's own KeBugCheckEx in a call ---- */
static void test_driver_own_bugcheck(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_OWN_BUGCHECK);
    mdlkit_assert_bugcheck(xfer_call, &x, 0xDEAD0001, x.irp, PAGE_SIZE, 0, 0);
    assert_int_equal(mdlkit_last_bugcheck().code, 0xDEAD0001);
    xfer_end(&x);
}

/* ---- 11. mdlkit_reset on a clean machine finds nothing ---- */
static void test_reset_clean(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_reset(), 0);
    assert_false(mdlkit_is_initialized());
    assert_int_equal(mdlkit_reset(), 0); /* not running: nothing to do */
    assert_int_equal(mdlkit_test_start(0), 0);
}

/* ---- 12. mdlkit_reset after a crash counts what it found; init is clean ---- */
static void test_reset_after_crash(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_NO_UNLOCK);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(xfer_call, &x, &bc), 1);
    /* no cleanup at all: the user buffer's pages are still locked, the
     * driver is loaded with its lookaside list */
    ULONG f = flags();
    int found = mdlkit_reset();
    if (f & MDLKIT_VERIFY_POOL_TRACKING)
        assert_true(found >= 1); /* the lookaside entry and the MDL, at least */
    else
        assert_true(found >= 0);
    assert_false(mdlkit_is_initialized());
    assert_int_equal(mdlkit_test_start(0), 0);
    assert_false(mdlkit_is_crashed());
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    xfer_end(&x);
}

/* ------------------------------------------------------------------------
 * A StorPort miniport (a tiny RAM disk) whose HwStartIo can complete a
 * request twice.
 * ---------------------------------------------------------------------- */
#define DISK_TAG 'ksDR'
typedef struct disk {
    PUCHAR data;
} disk;
static int g_complete_twice;
static disk *g_disk;

static ULONG DiskFind(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation, PCHAR ArgumentString,
                      PPORT_CONFIGURATION_INFORMATION ConfigInfo, PBOOLEAN Reserved3)
{
    disk *d = DeviceExtension;
    (void)HwContext, (void)BusInformation, (void)ArgumentString, (void)Reserved3;
    if (StorPortAllocatePool(d, 8192, DISK_TAG, (PVOID *)&d->data) != STOR_STATUS_SUCCESS)
        return SP_RETURN_ERROR;
    RtlZeroMemory(d->data, 8192);
    ConfigInfo->MaximumTransferLength = 8192;
    ConfigInfo->NumberOfBuses = 1;
    ConfigInfo->ScatterGather = TRUE;
    ConfigInfo->Master = TRUE;
    g_disk = d;
    return SP_RETURN_FOUND;
}
static BOOLEAN DiskInit(PVOID DeviceExtension)
{
    (void)DeviceExtension;
    return TRUE;
}
static BOOLEAN DiskStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb)
{
    Srb->SrbStatus = SRB_STATUS_SUCCESS;
    StorPortNotification(RequestComplete, DeviceExtension, Srb);
    if (g_complete_twice)
        StorPortNotification(RequestComplete, DeviceExtension, Srb); /* bug */
    StorPortNotification(NextRequest, DeviceExtension, NULL);
    return TRUE;
}
static BOOLEAN DiskReset(PVOID DeviceExtension, ULONG PathId)
{
    (void)DeviceExtension, (void)PathId;
    return TRUE;
}
static SCSI_ADAPTER_CONTROL_STATUS DiskControl(PVOID DeviceExtension, SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                               PVOID Parameters)
{
    (void)DeviceExtension;
    if (ControlType == ScsiQuerySupportedControlTypes) {
        PSCSI_SUPPORTED_CONTROL_TYPE_LIST l = Parameters;
        for (ULONG i = 0; i < l->MaxControlType; i++)
            l->SupportedTypeList[i] = (i == ScsiQuerySupportedControlTypes || i == ScsiStopAdapter);
        return ScsiAdapterControlSuccess;
    }
    return ControlType == ScsiStopAdapter ? ScsiAdapterControlSuccess : ScsiAdapterControlUnsuccessful;
}
static void DiskFree(PVOID DeviceExtension)
{
    disk *d = DeviceExtension;
    if (d->data)
        StorPortFreePool(d, d->data);
    d->data = NULL;
}
static NTSTATUS DiskEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = DiskFind;
    hw.HwInitialize = DiskInit;
    hw.HwStartIo = DiskStartIo;
    hw.HwResetBus = DiskReset;
    hw.HwAdapterControl = DiskControl;
    hw.HwFreeAdapterResources = DiskFree;
    hw.DeviceExtensionSize = sizeof(disk);
    hw.NumberOfAccessRanges = 1;
    hw.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
    return (NTSTATUS)StorPortInitialize(DriverObject, RegistryPath, &hw, NULL);
}

typedef struct disk_case {
    PDRIVER_OBJECT drv;
    PVOID ext;
    SCSI_REQUEST_BLOCK srb;
    NTSTATUS status;
} disk_case;

static void disk_inquiry(void *arg)
{
    disk_case *c = arg;
    static UCHAR inq[36];
    RtlZeroMemory(&c->srb, sizeof c->srb);
    c->srb.Length = sizeof c->srb;
    c->srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
    c->srb.CdbLength = 6;
    c->srb.Cdb[0] = 0x12; /* INQUIRY */
    c->srb.Cdb[4] = sizeof inq;
    c->srb.DataBuffer = inq;
    c->srb.DataTransferLength = sizeof inq;
    c->srb.SrbFlags = SRB_FLAGS_DATA_IN;
    c->status = mdlkit_storport_submit(c->ext, &c->srb);
}

static void disk_begin(disk_case *c)
{
    g_complete_twice = 0;
    assert_int_equal(mdlkit_driver_load("ramdisk", DiskEntry, &c->drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_adapter(c->drv, &c->ext), STATUS_SUCCESS);
}

/* ---- 13. StorPort: a clean request ---- */
static void test_storport_clean(void **state)
{
    (void)state;
    disk_case c;
    disk_begin(&c);
    disk_inquiry(&c);
    assert_int_equal(c.status, STATUS_SUCCESS);
    assert_int_equal(c.srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(c.ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(c.drv), STATUS_SUCCESS);
}

/* ---- 14. StorPort: a request completed twice (0xF1), then unload with the
 * adapter still started ---- */
static void test_storport_completed_twice(void **state)
{
    (void)state;
    disk_case c;
    disk_begin(&c);
    g_complete_twice = 1;
    mdlkit_assert_bugcheck(disk_inquiry, &c, SCSI_VERIFIER_DETECTED_VIOLATION, MDLKIT_TEST_ANY, MDLKIT_TEST_ANY,
                           MDLKIT_TEST_ANY, MDLKIT_TEST_ANY);
    g_complete_twice = 0;
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(mdlkit_driver_unload(c.drv), STATUS_SUCCESS); /* stops the adapter first */
}

/* ------------------------------------------------------------------------
 * An NDIS miniport whose MiniportHaltEx can forget an NdisAllocateMdl MDL.
 * ---------------------------------------------------------------------- */
#define NIC_TAG 'ciNR'
typedef struct nic {
    NDIS_HANDLE handle;
    PUCHAR buf;
    PMDL mdl;
} nic;
static NDIS_HANDLE g_nic_driver;
static int g_nic_leak_mdl;

static NDIS_STATUS NicInit(NDIS_HANDLE h, NDIS_HANDLE ctx, PNDIS_MINIPORT_INIT_PARAMETERS p)
{
    (void)ctx, (void)p;
    nic *n = NdisAllocateMemoryWithTagPriority(h, sizeof *n, NIC_TAG, NormalPoolPriority);
    if (!n)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(n, sizeof *n);
    n->handle = h;
    if (mk_test_ndis_registration(h, n, NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE) != NDIS_STATUS_SUCCESS ||
        mk_test_ndis_general(h) != NDIS_STATUS_SUCCESS)
        goto fail;
    n->buf = NdisAllocateMemoryWithTagPriority(h, 2048, NIC_TAG, NormalPoolPriority);
    if (!n->buf)
        goto fail;
    n->mdl = NdisAllocateMdl(h, n->buf, 2048);
    if (!n->mdl) {
        NdisFreeMemoryWithTagPriority(h, n->buf, NIC_TAG);
        goto fail;
    }
    return NDIS_STATUS_SUCCESS;
fail:
    NdisFreeMemoryWithTagPriority(h, n, NIC_TAG);
    return NDIS_STATUS_FAILURE;
}
static void NicHalt(NDIS_HANDLE ctx, NDIS_HALT_ACTION action)
{
    nic *n = ctx;
    (void)action;
    if (!g_nic_leak_mdl)
        NdisFreeMdl(n->mdl); /* bug when g_nic_leak_mdl */
    NdisFreeMemoryWithTagPriority(n->handle, n->buf, NIC_TAG);
    NdisFreeMemoryWithTagPriority(n->handle, n, NIC_TAG);
}
static void NicShutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION action) { (void)ctx, (void)action; }
static void NicUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    NdisMDeregisterMiniportDriver(g_nic_driver);
}
static NTSTATUS NicEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    return mk_test_ndis_register_driver(o, r, NicInit, NicHalt, NicShutdown, NicUnload, &g_nic_driver);
}

typedef struct nic_case {
    PDRIVER_OBJECT drv;
    PVOID ad;
    NTSTATUS status;
} nic_case;
static void nic_halt(void *arg)
{
    nic_case *c = arg;
    c->status = mdlkit_ndis_halt_adapter(c->ad);
}

/* ---- 15. NDIS: a clean start and halt ---- */
static void test_ndis_clean(void **state)
{
    (void)state;
    nic_case c;
    g_nic_leak_mdl = 0;
    assert_int_equal(mdlkit_driver_load("nic", NicEntry, &c.drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_start_adapter(c.drv, &c.ad), STATUS_SUCCESS);
    nic_halt(&c);
    assert_int_equal(c.status, STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(c.drv), STATUS_SUCCESS);
}

/* ---- 16. NDIS: halt with an NdisAllocateMdl MDL outstanding ---- */
static void test_ndis_mdl_leak_at_halt(void **state)
{
    (void)state;
    nic_case c;
    g_nic_leak_mdl = 1;
    assert_int_equal(mdlkit_driver_load("nic", NicEntry, &c.drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_start_adapter(c.drv, &c.ad), STATUS_SUCCESS);
    mdlkit_assert_bugcheck(nic_halt, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                           MDLKIT_TEST_ANY, MDLKIT_TEST_ANY, MDLKIT_TEST_ANY);
    g_nic_leak_mdl = 0;
    assert_int_equal(mdlkit_driver_unload(c.drv), STATUS_SUCCESS);
}

/* ---- 17. two caught bug checks in one test, then the cleanup ---- */
static void test_two_bugchecks(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_OWN_BUGCHECK);
    mdlkit_assert_bugcheck(xfer_call, &x, 0xDEAD0001, MDLKIT_TEST_ANY, MDLKIT_TEST_ANY, 0, 0);
    /* the first call's lookaside entry and locked MDL are still out */
    PIRP first = x.irp;
    xfer_new_irp(&x, 0);
    g_bug = BUG_DOUBLE_FREE;
    expect_double_free(&x);
    IoFreeIrp(first);
    xfer_end(&x);
}

/* ---- 18. a caught bug check under an explicit catch of the unload still
 * reaches that catch (the test asked to see it) ---- */
static void test_caught_unload_after_crash(void **state)
{
    (void)state;
    xfer_case x;
    xfer_begin(&x, BUG_LEAK);
    xfer_call(&x);
    g_bug = BUG_OWN_BUGCHECK;
    xfer_new_irp(&x, 1);
    mdlkit_assert_bugcheck(xfer_call, &x, 0xDEAD0001, MDLKIT_TEST_ANY, MDLKIT_TEST_ANY, 0, 0);
    IoFreeIrp(x.irp);
    mdlkit_user_free(x.user);
    mdlkit_bugcheck bc;
    int caught = mdlkit_catch_bugcheck(leak_unload, &x, &bc);
    if (flags() & MDLKIT_VERIFY_POOL_TRACKING) {
        assert_int_equal(caught, 1); /* the leaked block (and the lost lookaside entry) */
        assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(bc.param[0], 0x62);
    } else {
        assert_int_equal(caught, 0);
        assert_int_equal(x.status, STATUS_SUCCESS);
    }
    g_bug = BUG_NONE;
}

/* ---- 19. the README's double unlock, with the cleanup it needs ---- */
static void unlock_twice(void *arg)
{
    PMDL mdl = IoAllocateMdl(arg, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);
    MmUnlockPages(mdl);
    MmUnlockPages(mdl);
}
static void test_double_unlock(void **state)
{
    (void)state;
    void *user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    mdlkit_assert_bugcheck(unlock_twice, user, PROCESS_HAS_LOCKED_PAGES, 1, MDLKIT_TEST_ANY, MDLKIT_TEST_ANY,
                           MDLKIT_TEST_ANY);
    mdlkit_user_free(user);
}

/* ---- 20. the teardown after a crash leaves the next machine empty ---- */
static void test_last_is_clean(void **state)
{
    (void)state;
    assert_false(mdlkit_is_crashed());
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(XFER_TAG, &u), 0);
    xfer_case x;
    xfer_begin(&x, BUG_NONE);
    xfer_call(&x);
    assert_int_equal(x.status, STATUS_SUCCESS);
    xfer_end(&x);
    assert_int_equal(mdlkit_pool_usage_tag(XFER_TAG, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, mdlkit_test_setup, mdlkit_test_teardown)
#define T_TRACKED(f) cmocka_unit_test_setup_teardown(f, mdlkit_test_setup_pool_tracking, mdlkit_test_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_clean_transfer),
        T(test_pool_double_free),
        T(test_next_test_is_clean),
        T(test_mdl_freed_locked),
        T(test_transfer_twice),
        T(test_probe_at_dispatch),
        T(test_clean_report),
        T_TRACKED(test_leak_at_unload),
        T_TRACKED(test_final_check_reports_leak),
        T(test_driver_own_bugcheck),
        T(test_reset_clean),
        T(test_reset_after_crash),
        T(test_storport_clean),
        T(test_storport_completed_twice),
        T(test_ndis_clean),
        T(test_ndis_mdl_leak_at_halt),
        T(test_two_bugchecks),
        T(test_caught_unload_after_crash),
        T(test_double_unlock),
        T(test_last_is_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
