/* I/O verification (0x10) and DDI compliance checking (0x20000): the
 * checks Windows makes only under these options. */
#include "testutil.h"

#define TAG 'dIvT'

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_IO_CHECKING | MDLKIT_VERIFY_DDI_COMPLIANCE;
    return mdlkit_init(&c);
}

static void free_irp_with_exfreepool(void *a) { ExFreePool(a); }

static void test_irp_freed_with_exfreepool_is_c4_105(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(2, FALSE);
    assert_non_null(irp);
    mk_expect_bugcheck(free_irp_with_exfreepool, irp, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x105, irp, 0, 0);
    IoFreeIrp(irp); /* the right way still works */
    /* a pool block that is not an IRP is freed with ExFreePool as usual */
    ExFreePool(ExAllocatePoolWithTag(NonPagedPoolNx, 10, TAG));
}

static void paged_alloc_at_dispatch(void *a)
{
    (void)a;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExAllocatePoolWithTag(PagedPool, 10, TAG);
}

static void test_irql_ex_allocate_pool_rule(void **state)
{
    (void)state;
    mk_expect_bugcheck(paged_alloc_at_dispatch, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020004, MK_ANY,
                       PagedPool, DISPATCH_LEVEL);
}

static void pages_for_mdl_at_dispatch(void *a)
{
    (void)a;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PHYSICAL_ADDRESS lo = {0}, hi, skip = {0};
    hi.QuadPart = -1;
    MmAllocatePagesForMdlEx(lo, hi, skip, PAGE_SIZE, MmCached, 0);
}

static void test_irql_mm_apc_lte_rule(void **state)
{
    (void)state;
    mk_expect_bugcheck(pages_for_mdl_at_dispatch, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020019, MK_ANY, MK_ANY,
                       DISPATCH_LEVEL);
}

static void build_for_paged(void *a)
{
    MmBuildMdlForNonPagedPool(a);
}

static void test_build_mdl_for_paged_pool_is_c4_7f(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    PMDL mdl = IoAllocateMdl(p, 100, FALSE, FALSE, NULL);
    mk_expect_bugcheck(build_for_paged, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, PASSIVE_LEVEL, mdl, MK_ANY);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(p, TAG);
}

static void probe_nonpaged_mdl(void *a) { MmProbeAndLockPages(a, KernelMode, IoReadAccess); }
static void unlock_mdl(void *a) { MmUnlockPages(a); }

static void test_mdl_flag_misuse(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    PMDL mdl = IoAllocateMdl(p, 100, FALSE, FALSE, NULL);
    /* MmUnlockPages on an MDL never locked: 0x7C */
    mk_expect_bugcheck(unlock_mdl, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, mdl, MK_ANY, 0);
    MmBuildMdlForNonPagedPool(mdl);
    /* MmProbeAndLockPages on a MmBuildMdlForNonPagedPool MDL: 0xB0 */
    mk_expect_bugcheck(probe_nonpaged_mdl, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, mdl, MK_ANY, MK_ANY);
    /* MmUnlockPages on a non-paged-pool MDL: 0x7D */
    mk_expect_bugcheck(unlock_mdl, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, mdl, MK_ANY, 0);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(p, TAG);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_irp_freed_with_exfreepool_is_c4_105),
        cmocka_unit_test(test_irql_ex_allocate_pool_rule),
        cmocka_unit_test(test_irql_mm_apc_lte_rule),
        cmocka_unit_test(test_build_mdl_for_paged_pool_is_c4_7f),
        cmocka_unit_test(test_mdl_flag_misuse),
    };
    return cmocka_run_group_tests_name("I/O verification and DDI compliance", t, setup, mk_test_teardown);
}
