/* Regression tests for IRP and pool bugs of the kind fixed in shipped
 * drivers, each written from the fix's description (no driver code
 * copied), each with its buggy and fixed variant of one small driver, run
 * under the standard options:
 *
 *  - pended_irp_completed_after_cancel: the race fixed in several drivers'
 *    cancel paths (dokany issue 1188; a queue's "wake" path that completed
 *    a pended IRP without asking IoSetCancelRoutine(irp, NULL) whether it
 *    still owned it). When the IRP was cancelled first, its cancel routine
 *    completed it and the wake path completed it again: with Special Pool
 *    the second completion touches the freed IRP, 0xD5 (0x44
 *    MULTIPLE_IRP_COMPLETE_REQUESTS without it). The fix completes only
 *    when IoSetCancelRoutine returns the routine.
 *  - header_written_past_allocation: a packet header written one field past
 *    a pool block sized for the smaller structure: Special Pool catches the
 *    write at once, 0xD6 DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION.
 *  - request_context_used_after_free: a completion path reads the request
 *    context the cancel path already freed: Special Pool, 0xD5
 *    DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL. */
#include "testutil.h"
#include <ntddk.h>

#define RP_TYPE 0x8125
#define IOCTL_RP_WAIT CTL_CODE(RP_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
#define TAG 'tPRR'

static int g_fixed;
static PDEVICE_OBJECT g_dev;
static KSPIN_LOCK g_lock;
static PIRP g_pended;

static void us(PUNICODE_STRING s, const WCHAR *w) { RtlInitUnicodeString(s, w); }

static NTSTATUS rp_finish(PIRP irp, NTSTATUS st)
{
    irp->IoStatus.Status = st;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS RpCreateClose(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    return rp_finish(irp, STATUS_SUCCESS);
}

static void RpCancel(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    IoReleaseCancelSpinLock(irp->CancelIrql);
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    if (g_pended == irp && g_fixed)
        g_pended = NULL;
    KeReleaseSpinLock(&g_lock, old);
    rp_finish(irp, STATUS_CANCELLED);
}

static NTSTATUS RpIoctl(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    IoMarkIrpPending(irp);
    IoSetCancelRoutine(irp, RpCancel);
    g_pended = irp;
    KeReleaseSpinLock(&g_lock, old);
    return STATUS_PENDING;
}

/* The event the pended request waits for happened: complete it. */
static void rp_wake(void *arg)
{
    (void)arg;
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    PIRP irp = g_pended;
    g_pended = NULL;
    if (irp && g_fixed && IoSetCancelRoutine(irp, NULL) == NULL)
        irp = NULL; /* the cancel routine owns it */
    KeReleaseSpinLock(&g_lock, old);
    if (irp)
        rp_finish(irp, STATUS_SUCCESS);
}

static void RpUnload(PDRIVER_OBJECT drv)
{
    UNICODE_STRING link;
    us(&link, L"\\DosDevices\\MkRegressIrp");
    IoDeleteSymbolicLink(&link);
    IoDeleteDevice(drv->DeviceObject);
}

static NTSTATUS RpEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    UNICODE_STRING name, link;
    us(&name, L"\\Device\\MkRegressIrp");
    us(&link, L"\\DosDevices\\MkRegressIrp");
    NTSTATUS st = IoCreateDevice(drv, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &g_dev);
    if (!NT_SUCCESS(st))
        return st;
    g_dev->Flags |= DO_BUFFERED_IO;
    IoCreateSymbolicLink(&link, &name);
    KeInitializeSpinLock(&g_lock);
    g_pended = NULL;
    drv->MajorFunction[IRP_MJ_CREATE] = RpCreateClose;
    drv->MajorFunction[IRP_MJ_CLOSE] = RpCreateClose;
    drv->MajorFunction[IRP_MJ_CLEANUP] = RpCreateClose;
    drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = RpIoctl;
    drv->DriverUnload = RpUnload;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

static void cancel_then_wake(int fixed)
{
    g_fixed = fixed;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    assert_int_equal(mdlkit_driver_load("mkregressirp", RpEntry, &g_drv), STATUS_SUCCESS);
    HANDLE h = mdlkit_open("\\\\.\\MkRegressIrp");
    assert_non_null(h);
    mdlkit_request *r = mdlkit_ioctl_async(h, IOCTL_RP_WAIT, NULL, 0, NULL, 0);
    assert_non_null(r);
    PIRP irp = g_pended;
    assert_non_null(irp);
    mdlkit_cancel(r); /* the application gives up: the cancel routine completes it */
    assert_int_equal(mdlkit_wait(r, 0xFFFFFFFFu, NULL), STATUS_CANCELLED);
    mdlkit_bugcheck bc;
    if (!fixed) {
        assert_int_equal(mdlkit_catch_bugcheck(rp_wake, NULL, &bc), 1);
        /* Special Pool (part of the standard set) holds the IRP: the first
         * completion freed it, so the second completion's first touch of
         * the IRP is the fault in freed special pool (0xD5, P1 inside the
         * IRP). Without Special Pool the I/O manager answers 0x44
         * MULTIPLE_IRP_COMPLETE_REQUESTS (tests/test_io_irp.c). */
        assert_int_equal(bc.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL);
        assert_true(bc.param[0] >= (ULONG_PTR)irp && bc.param[0] < (ULONG_PTR)irp + PAGE_SIZE);
        mdlkit_shutdown();
        return;
    }
    assert_int_equal(mdlkit_catch_bugcheck(rp_wake, NULL, &bc), 0);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_pended_irp_completed_after_cancel(void **state)
{
    (void)state;
    cancel_then_wake(0);
}

static void test_pended_irp_completed_only_when_owned_fixed(void **state)
{
    (void)state;
    cancel_then_wake(1);
}

/* ---- pool ---- */
typedef struct rp_hdr_small { /* 16 bytes: Special Pool puts its end on the page's end */
    ULONG flags;
    USHORT length;
    USHORT protocol;
    ULONG sequence;
    ULONG checksum;
} rp_hdr_small;
typedef struct rp_hdr_ext {
    rp_hdr_small base;
    ULONGLONG timestamp; /* the field a later version added */
} rp_hdr_ext;

static void fill_header(void *arg)
{
    /* sized for the old header, filled as the new one */
    SIZE_T size = g_fixed ? sizeof(rp_hdr_ext) : sizeof(rp_hdr_small);
    rp_hdr_ext *h = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, TAG);
    assert_non_null(h);
    *(void **)arg = h;
    h->base.flags = 1;
    h->base.length = 60;
    h->base.protocol = 0x0800;
    ((volatile rp_hdr_ext *)h)->timestamp = 12345;
    ExFreePoolWithTag(h, TAG);
}

static void header_test(int fixed)
{
    g_fixed = fixed;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    void *block = NULL;
    mdlkit_bugcheck bc;
    int caught = mdlkit_catch_bugcheck(fill_header, &block, &bc);
    if (fixed) {
        assert_int_equal(caught, 0);
    } else {
        assert_int_equal(caught, 1);
        assert_int_equal(bc.code, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION);
        assert_int_equal(bc.param[0], (ULONG_PTR)&((rp_hdr_ext *)block)->timestamp);
    }
    mdlkit_shutdown();
}

static void test_header_written_past_allocation(void **state)
{
    (void)state;
    header_test(0);
}

static void test_header_allocated_for_what_is_written_fixed(void **state)
{
    (void)state;
    header_test(1);
}

typedef struct rp_req_ctx {
    ULONG bytes;
    NTSTATUS status;
} rp_req_ctx;

static volatile ULONG g_seen;

static void complete_request(void *arg)
{
    rp_req_ctx *c = arg;
    if (!g_fixed) /* the cancel path freed it already: the bug reads it anyway */
        ExFreePoolWithTag(c, TAG);
    g_seen = c->bytes;
    if (g_fixed)
        ExFreePoolWithTag(c, TAG);
}

static void use_after_free_test(int fixed)
{
    g_fixed = fixed;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    rp_req_ctx *c = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *c, TAG);
    assert_non_null(c);
    c->bytes = 512;
    mdlkit_bugcheck bc;
    int caught = mdlkit_catch_bugcheck(complete_request, c, &bc);
    if (fixed) {
        assert_int_equal(caught, 0);
        assert_int_equal(g_seen, 512);
    } else {
        assert_int_equal(caught, 1);
        assert_int_equal(bc.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL);
        assert_int_equal(bc.param[0], (ULONG_PTR)&c->bytes);
    }
    mdlkit_shutdown();
}

static void test_request_context_used_after_free(void **state)
{
    (void)state;
    use_after_free_test(0);
}

static void test_request_context_freed_after_last_use_fixed(void **state)
{
    (void)state;
    use_after_free_test(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pended_irp_completed_after_cancel),
        cmocka_unit_test(test_pended_irp_completed_only_when_owned_fixed),
        cmocka_unit_test(test_header_written_past_allocation),
        cmocka_unit_test(test_header_allocated_for_what_is_written_fixed),
        cmocka_unit_test(test_request_context_used_after_free),
        cmocka_unit_test(test_request_context_freed_after_last_use_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
