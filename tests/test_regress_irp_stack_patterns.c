/* Regression tests for IRP stack bugs of the kind fixed in shipped filter
 * and class drivers, each written from a fix's description (no driver code
 * copied), each with its buggy and its fixed variant, under the standard
 * options. One small driver makes a two-device stack: a lower device and a
 * filter attached above it (IoAttachDeviceToDeviceStack, so the filter's
 * StackSize is the lower's + 1); the filter forwards reads with
 * IoCopyCurrentIrpStackLocationToNext and a completion routine.
 *
 *  - irp_allocated_with_too_few_stack_locations: a driver that sends its
 *    own read to the top of the stack allocated the IRP with the stack size
 *    of the device it once talked to directly (the lower one, 1) instead of
 *    the top device's StackSize; when the filter forwards it, IoCallDriver
 *    has no stack location left: 0x35 NO_MORE_IRP_STACK_LOCATIONS (the
 *    IRP). The fix allocates IoAllocateIrp(top->StackSize, FALSE). (The
 *    bug check's name was missing from bugcodes.h, as was 0x44's: the
 *    report called both unknown.)
 *  - filter_completion_propagates_pending (false-alarm check): the lower
 *    device pends the read and completes it later from a work item; the
 *    filter's completion routine calls IoMarkIrpPending when
 *    Irp->PendingReturned, as the IoMarkIrpPending documentation asks of a
 *    driver that returns the lower driver's status. It runs clean, the
 *    sender's completion routine sees the final status and the byte count,
 *    and the filter's routine saw PendingReturned. */
#include "testutil.h"
#include <ntddk.h>

#define TAG 'sIRR'

static int g_fixed;
static PDEVICE_OBJECT g_lower, g_filter, g_next;
static PIO_WORKITEM g_work;
static PIRP g_pended;
static int g_filter_saw_pending;
static KEVENT g_done;
static NTSTATUS g_final;
static ULONG_PTR g_info;
static mdlkit_bugcheck g_bc;

static void lower_finish(PDEVICE_OBJECT dev, PVOID ctx)
{
    (void)dev, (void)ctx;
    PIRP irp = g_pended;
    g_pended = NULL;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 512;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
}

static NTSTATUS filter_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev, (void)ctx;
    if (irp->PendingReturned) {
        g_filter_saw_pending = 1;
        IoMarkIrpPending(irp);
    }
    return STATUS_CONTINUE_COMPLETION;
}

static NTSTATUS SkRead(PDEVICE_OBJECT dev, PIRP irp)
{
    if (dev == g_filter) {
        IoCopyCurrentIrpStackLocationToNext(irp);
        IoSetCompletionRoutine(irp, filter_done, NULL, TRUE, TRUE, TRUE);
        return IoCallDriver(g_next, irp);
    }
    /* the lower device: finish later, from a work item */
    IoMarkIrpPending(irp);
    g_pended = irp;
    IoQueueWorkItem(g_work, lower_finish, DelayedWorkQueue, NULL);
    return STATUS_PENDING;
}

static NTSTATUS SkCreateClose(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void SkUnload(PDRIVER_OBJECT drv)
{
    (void)drv;
    IoFreeWorkItem(g_work);
    IoDetachDevice(g_next);
    IoDeleteDevice(g_filter);
    IoDeleteDevice(g_lower);
}

static NTSTATUS SkEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    NTSTATUS st = IoCreateDevice(drv, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &g_lower);
    if (!NT_SUCCESS(st))
        return st;
    st = IoCreateDevice(drv, 0, NULL, FILE_DEVICE_DISK, 0, FALSE, &g_filter);
    if (!NT_SUCCESS(st)) {
        IoDeleteDevice(g_lower);
        return st;
    }
    g_next = IoAttachDeviceToDeviceStack(g_filter, g_lower);
    g_work = IoAllocateWorkItem(g_lower);
    if (!g_next || !g_work) {
        if (g_work)
            IoFreeWorkItem(g_work);
        if (g_next)
            IoDetachDevice(g_next);
        IoDeleteDevice(g_filter);
        IoDeleteDevice(g_lower);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    g_filter->Flags &= ~DO_DEVICE_INITIALIZING;
    drv->MajorFunction[IRP_MJ_CREATE] = SkCreateClose;
    drv->MajorFunction[IRP_MJ_CLOSE] = SkCreateClose;
    drv->MajorFunction[IRP_MJ_READ] = SkRead;
    drv->DriverUnload = SkUnload;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

/* The sender's completion routine: keeps the IRP (it frees it itself). */
static NTSTATUS sender_done(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev, (void)ctx;
    g_final = irp->IoStatus.Status;
    g_info = irp->IoStatus.Information;
    KeSetEvent(&g_done, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}

static PIRP g_irp;
static UCHAR g_sector[512];

static void send_read(void *arg)
{
    (void)arg;
    /* the bug: the stack size of the device the sender used to talk to */
    CCHAR stack = g_fixed ? g_filter->StackSize : g_lower->StackSize;
    g_irp = IoAllocateIrp(stack, FALSE);
    assert_non_null(g_irp);
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(g_irp);
    sp->MajorFunction = IRP_MJ_READ;
    sp->Parameters.Read.Length = sizeof g_sector;
    g_irp->UserBuffer = g_sector;
    IoSetCompletionRoutine(g_irp, sender_done, NULL, TRUE, TRUE, TRUE);
    KeInitializeEvent(&g_done, NotificationEvent, FALSE);
    NTSTATUS st = IoCallDriver(g_filter, g_irp);
    assert_int_equal(st, STATUS_PENDING);
    KeWaitForSingleObject(&g_done, Executive, KernelMode, FALSE, NULL);
    IoFreeIrp(g_irp);
    g_irp = NULL;
}

static void boot(int fixed)
{
    g_fixed = fixed;
    g_filter_saw_pending = 0;
    g_final = STATUS_UNSUCCESSFUL;
    g_info = 0;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    assert_int_equal(mdlkit_driver_load("irpstack", SkEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(g_lower->StackSize, 1);
    assert_int_equal(g_filter->StackSize, 2);
    assert_ptr_equal(g_next, g_lower);
}

static void test_irp_allocated_with_too_few_stack_locations(void **state)
{
    (void)state;
    boot(0);
    assert_int_equal(mdlkit_catch_bugcheck(send_read, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, NO_MORE_IRP_STACK_LOCATIONS);
    assert_int_equal(g_bc.param[0], (ULONG_PTR)g_irp);
    /* the report names it (it printed "unknown bug-check code" before) */
    assert_string_equal(mdlkit_bugcheck_name(g_bc.code), "NO_MORE_IRP_STACK_LOCATIONS");
    assert_string_equal(mdlkit_bugcheck_name(0x44), "MULTIPLE_IRP_COMPLETE_REQUESTS");
    mk_test_teardown_after_bugcheck(NULL);
}

static void test_irp_allocated_with_top_stack_size_fixed(void **state)
{
    (void)state;
    boot(1);
    assert_int_equal(mdlkit_catch_bugcheck(send_read, NULL, &g_bc), 0);
    assert_int_equal(g_final, STATUS_SUCCESS);
    assert_int_equal(g_info, 512);
    assert_int_equal(g_filter_saw_pending, 1);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_irp_allocated_with_too_few_stack_locations),
        cmocka_unit_test(test_irp_allocated_with_top_stack_size_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
