/* I/O verification (0x10): the DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
 * checks of IoFreeIrp / IofCallDriver / IofCompleteRequest, and the MDL
 * double free after the I/O manager freed Irp->MdlAddress at completion. */
#include "testutil.h"
#include <wdm.h>

#define TAG 'oIvT'

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_IO_CHECKING;
    return mdlkit_init(&c);
}

static DRIVER_OBJECT drv;
static DEVICE_OBJECT dev;
static NTSTATUS complete_status;

static NTSTATUS dispatch_complete(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    irp->IoStatus.Status = complete_status;
    irp->IoStatus.Information = 0;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static NTSTATUS dispatch_raises(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    (void)irp;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old); /* and "forgets" to lower it */
    return STATUS_PENDING;
}

static void make_device(PDRIVER_DISPATCH fn)
{
    memset(&drv, 0, sizeof drv);
    memset(&dev, 0, sizeof dev);
    drv.Type = IO_TYPE_DRIVER;
    drv.MajorFunction[IRP_MJ_READ] = fn;
    dev.Type = IO_TYPE_DEVICE;
    dev.DriverObject = &drv;
}

static PIRP make_read_irp(void)
{
    PIRP irp = IoAllocateIrp(1, FALSE);
    assert_non_null(irp);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_READ;
    return irp;
}

static void free_irp(void *a) { IoFreeIrp(a); }
static void call_dev(void *a) { IoCallDriver(&dev, a); }
static void call_null_dev(void *a) { IoCallDriver(NULL, a); }
static void complete(void *a) { IoCompleteRequest(a, IO_NO_INCREMENT); }
static void free_mdl(void *a) { IoFreeMdl(a); }

static void test_free_not_an_irp_is_c9_01(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, IoSizeOfIrp(1), TAG);
    memset(p, 0, IoSizeOfIrp(1));
    mk_expect_bugcheck(free_irp, p, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x01, p, 0, 0);
    ExFreePoolWithTag(p, TAG);
}

static void test_free_irp_on_thread_list_is_c9_02(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    LIST_ENTRY thread_list;
    InitializeListHead(&thread_list);
    InsertTailList(&thread_list, &irp->ThreadListEntry);
    mk_expect_bugcheck(free_irp, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x02, irp, 0, 0);
    RemoveEntryList(&irp->ThreadListEntry);
    InitializeListHead(&irp->ThreadListEntry); /* an empty list head is not "associated" */
    IoFreeIrp(irp);
}

static void test_free_irp_with_locked_mdl_is_cb(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL m = IoAllocateMdl(u + 16, PAGE_SIZE, FALSE, FALSE, irp);
    MmProbeAndLockPages(m, UserMode, IoWriteAccess);
    mk_expect_bugcheck(free_irp, irp, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, MK_ANY, 0, m, 2);
    /* the IRP is still usable: unlock, then free both */
    MmUnlockPages(m);
    IoFreeMdl(m);
    irp->MdlAddress = NULL;
    IoFreeIrp(irp);
    mdlkit_user_free(u);
}

static void test_free_irp_with_unlocked_mdl_is_allowed(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, irp);
    IoFreeIrp(irp); /* IoFreeIrp never frees MDLs: the driver still owns m */
    IoFreeMdl(m);
}

static void test_call_driver_checks(void **state)
{
    (void)state;
    make_device(dispatch_complete);
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, IoSizeOfIrp(1), TAG);
    memset(p, 0, IoSizeOfIrp(1));
    mk_expect_bugcheck(call_dev, p, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x03, p, 0, 0);
    ExFreePoolWithTag(p, TAG);

    PIRP irp = make_read_irp();
    mk_expect_bugcheck(call_null_dev, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, 0, 0, 0);
    dev.Type = 0; /* not a device object */
    mk_expect_bugcheck(call_dev, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x04, &dev, 0, 0);
    dev.Type = IO_TYPE_DEVICE;
    IoFreeIrp(irp);
}

static void call_dev_at_high(void *a)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL - 1, &old);
    IoCallDriver(&dev, a);
}

static void test_call_driver_irql(void **state)
{
    (void)state;
    make_device(dispatch_complete);
    PIRP irp = make_read_irp();
    mk_expect_bugcheck(call_dev_at_high, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x10, HIGH_LEVEL - 1, 0, 0);
    IoFreeIrp(irp);

    make_device(dispatch_raises);
    irp = make_read_irp();
    mk_expect_bugcheck(call_dev, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x05, &dev, PASSIVE_LEVEL,
                       DISPATCH_LEVEL);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL); /* catch restored the IRQL */
    IoFreeIrp(irp);
}

static void test_complete_with_pending_status_is_c9_06(void **state)
{
    (void)state;
    make_device(dispatch_complete);
    PIRP irp = make_read_irp();
    complete_status = STATUS_PENDING;
    mk_expect_bugcheck(call_dev, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x06, (ULONG)STATUS_PENDING, irp, 0);
    IoFreeIrp(irp);

    irp = IoAllocateIrp(1, FALSE);
    irp->IoStatus.Status = (NTSTATUS)-1;
    mk_expect_bugcheck(complete, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x06, 0xFFFFFFFFu, irp, 0);
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT); /* a valid status completes */
    IoFreeIrp(irp);
}

static VOID cancel_routine(PDEVICE_OBJECT d, PIRP irp)
{
    (void)d;
    (void)irp;
}

static void test_complete_with_cancel_routine_is_c9_07(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->IoStatus.Status = STATUS_SUCCESS;
    irp->CancelRoutine = (PVOID)cancel_routine;
    mk_expect_bugcheck(complete, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x07, (ULONG_PTR)cancel_routine, irp, 0);
    irp->CancelRoutine = NULL;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    IoFreeIrp(irp);
}

static void complete_at_high(void *a)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL - 1, &old);
    IoCompleteRequest(a, IO_NO_INCREMENT);
}

static void test_complete_above_dispatch_is_c9_0e(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->IoStatus.Status = STATUS_SUCCESS;
    mk_expect_bugcheck(complete_at_high, irp, DRIVER_VERIFIER_IOMANAGER_VIOLATION, 0x0E, HIGH_LEVEL - 1, irp, 0);
    IoFreeIrp(irp);
}

static void test_complete_twice_is_44(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(1, FALSE);
    irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(irp, IO_NO_INCREMENT);
    mk_expect_bugcheck(complete, irp, 0x44, irp, 0, 0, 0);
    IoFreeIrp(irp);
}

/* The I/O manager unlocked and freed Irp->MdlAddress at completion; the
 * driver's own IoFreeMdl afterwards is a double free of pool. */
static void test_free_mdl_after_completion_is_double_free(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    make_device(dispatch_complete);
    complete_status = STATUS_SUCCESS;
    PIRP irp = make_read_irp();
    PMDL m = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, irp);
    MmProbeAndLockPages(m, UserMode, IoReadAccess);
    assert_int_equal(IoCallDriver(&dev, irp), STATUS_SUCCESS);
    assert_null(irp->MdlAddress);
    /* with a verifier option on, the pool reports 0xC4/0x13 (P2 0, P3 the
     * block, P4 its tag) where it would say 0xC2/0x07 */
    mk_expect_bugcheck(free_mdl, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, 0, m, MK_ANY);
    IoFreeIrp(irp);
    mdlkit_user_free(u);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_free_not_an_irp_is_c9_01),
        cmocka_unit_test(test_free_irp_on_thread_list_is_c9_02),
        cmocka_unit_test(test_free_irp_with_locked_mdl_is_cb),
        cmocka_unit_test(test_free_irp_with_unlocked_mdl_is_allowed),
        cmocka_unit_test(test_call_driver_checks),
        cmocka_unit_test(test_call_driver_irql),
        cmocka_unit_test(test_complete_with_pending_status_is_c9_06),
        cmocka_unit_test(test_complete_with_cancel_routine_is_c9_07),
        cmocka_unit_test(test_complete_above_dispatch_is_c9_0e),
        cmocka_unit_test(test_complete_twice_is_44),
        cmocka_unit_test(test_free_mdl_after_completion_is_double_free),
    };
    return cmocka_run_group_tests_name("I/O verification (0xC9)", t, setup, mk_test_teardown);
}
