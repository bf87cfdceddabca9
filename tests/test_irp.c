/* IoAllocateIrp / IoFreeIrp / IoReuseIrp / IofCallDriver / IofCompleteRequest. */
#include "testutil.h"
#include <wdm.h>
#include "mk_machine.h"

static int completions;
static NTSTATUS on_complete(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev;
    completions++;
    *(NTSTATUS *)ctx = irp->IoStatus.Status;
    /* the I/O manager has not freed the chain yet */
    assert_non_null(irp->MdlAddress);
    return STATUS_SUCCESS;
}
static NTSTATUS keep_irp(PDEVICE_OBJECT dev, PIRP irp, PVOID ctx)
{
    (void)dev;
    (void)irp;
    (void)ctx;
    completions++;
    return STATUS_MORE_PROCESSING_REQUIRED;
}
static NTSTATUS dispatch_complete(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->IoStatus.Information = 42;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void test_alloc_init(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(3, FALSE);
    assert_non_null(irp);
    assert_int_equal(irp->Type, IO_TYPE_IRP);
    assert_int_equal(irp->Size, IoSizeOfIrp(3));
    assert_int_equal(irp->StackCount, 3);
    assert_int_equal(irp->CurrentLocation, 4);
    assert_null(irp->MdlAddress);
    irp->IoStatus.Information = 7;
    IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
    assert_int_equal(irp->IoStatus.Status, STATUS_UNSUCCESSFUL);
    assert_int_equal(irp->IoStatus.Information, 0);
    assert_int_equal(irp->CurrentLocation, 4);
    IoFreeIrp(irp);
}

static void test_call_and_complete_frees_mdl_chain(void **state)
{
    (void)state;
    DRIVER_OBJECT drv;
    DEVICE_OBJECT dev;
    memset(&drv, 0, sizeof drv);
    memset(&dev, 0, sizeof dev);
    drv.MajorFunction[IRP_MJ_READ] = dispatch_complete;
    dev.DriverObject = &drv;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PIRP irp = IoAllocateIrp(2, FALSE);
    PMDL m = IoAllocateMdl(u, 2 * PAGE_SIZE, FALSE, FALSE, irp);
    MmProbeAndLockPages(m, UserMode, IoWriteAccess);
    PMDL s = IoAllocateMdl(u, 100, TRUE, FALSE, irp);
    MmProbeAndLockPages(s, UserMode, IoReadAccess);
    assert_non_null(MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute));
    PFN_NUMBER pfn0 = MmGetMdlPfnArray(m)[0];
    assert_int_equal(mk_pfn_locks(pfn0), 2);
    IO_STATUS_BLOCK iosb = {0};
    irp->UserIosb = &iosb;
    PIO_STACK_LOCATION sl = IoGetNextIrpStackLocation(irp);
    sl->MajorFunction = IRP_MJ_READ;
    NTSTATUS seen = -1;
    completions = 0;
    IoSetCompletionRoutine(irp, on_complete, &seen, TRUE, TRUE, TRUE);
    assert_int_equal(IoCallDriver(&dev, irp), STATUS_SUCCESS);
    assert_int_equal(completions, 1);
    assert_int_equal(seen, STATUS_SUCCESS);
    assert_null(irp->MdlAddress); /* unlocked and freed by completion */
    assert_int_equal(mk_pfn_locks(pfn0), 0);
    assert_int_equal(iosb.Information, 42);
    IoFreeIrp(irp);
    mdlkit_user_free(u); /* 0x76 if anything stayed locked */
}

static void test_more_processing_keeps_chain(void **state)
{
    (void)state;
    DRIVER_OBJECT drv;
    DEVICE_OBJECT dev;
    memset(&drv, 0, sizeof drv);
    memset(&dev, 0, sizeof dev);
    drv.MajorFunction[IRP_MJ_WRITE] = dispatch_complete;
    dev.DriverObject = &drv;
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, irp);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_WRITE;
    IoSetCompletionRoutine(irp, keep_irp, NULL, TRUE, TRUE, TRUE);
    completions = 0;
    IoCallDriver(&dev, irp);
    assert_int_equal(completions, 1);
    assert_ptr_equal(irp->MdlAddress, m); /* the routine owns the IRP and its MDLs */
    IoFreeMdl(m);
    IoFreeIrp(irp); /* never frees MDLs */
}

static void call_no_stack(void *arg)
{
    PIRP irp = arg;
    DEVICE_OBJECT dev;
    DRIVER_OBJECT drv;
    memset(&drv, 0, sizeof drv);
    memset(&dev, 0, sizeof dev);
    dev.DriverObject = &drv;
    IoCallDriver(&dev, irp);
}
static void complete_twice(void *arg) { IoCompleteRequest((PIRP)arg, IO_NO_INCREMENT); }

static void test_misuse(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->CurrentLocation = 1;
    irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(irp + 1);
    mk_expect_bugcheck(call_no_stack, irp, 0x35, irp, 0, 0, 0);
    IoReuseIrp(irp, STATUS_SUCCESS);
    IoCompleteRequest(irp, IO_NO_INCREMENT); /* completes at the top */
    mk_expect_bugcheck(complete_twice, irp, 0x44, irp, 0, 0, 0);
    IoFreeIrp(irp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_init),
        cmocka_unit_test(test_call_and_complete_frees_mdl_chain),
        cmocka_unit_test(test_more_processing_keeps_chain),
        cmocka_unit_test(test_misuse),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
