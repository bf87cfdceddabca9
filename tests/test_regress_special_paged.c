/* Regression found by the DDI sequence fuzzer under Special Pool
 * (fuzz_ddi_special, docs/reliability.md): special pool serves both pools
 * from one region, and mdlkit decided "paged" from the address range, so a
 * PAGED block placed in special pool was taken for non-paged memory:
 *   - MmProbeAndLockPages of it at DISPATCH_LEVEL succeeded silently (the
 *     page resident), or, when Force IRQL Checking had trimmed it, faulted
 *     inside mdlkit and reported 0xD1 with the wrong access type and
 *     instruction; the documented outcome is 0xD1 (address, IRQL, 0 read /
 *     1 write, the caller) before anything is touched, as for paged pool;
 *   - MmBuildMdlForNonPagedPool of it under DDI compliance checking built
 *     the MDL instead of raising 0xC4/0x7F (IRQL, MDL, flags). */
#include "testutil.h"
#include "mk_machine.h"

#define TAG 'gaPS'

static PMDL g_mdl;
static LOCK_OPERATION g_op;

static __attribute__((noinline)) void probe_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    MmProbeAndLockPages(g_mdl, KernelMode, g_op);
    KeLowerIrql(old);
}

static void build_nonpaged(void *arg)
{
    (void)arg;
    MmBuildMdlForNonPagedPool(g_mdl);
}

/* The caller's address P4 names: inside probe_at_dispatch. */
static void assert_caller_is_probe(void)
{
    ULONG_PTR pc = mdlkit_last_bugcheck().param[3];
    assert_true(pc > (ULONG_PTR)probe_at_dispatch && pc < (ULONG_PTR)probe_at_dispatch + 4096);
}

static void probe_case(ULONG flags, int trim)
{
    assert_int_equal(mk_test_setup_flags(flags), 0);
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    assert_non_null(p);
    assert_int_equal(mk_va_region(p), MK_RGN_SPECIAL); /* a special-pool block of paged pool */
    p[3] = 0x33;
    g_mdl = IoAllocateMdl(p, 100, FALSE, FALSE, NULL);
    assert_non_null(g_mdl);
    if (trim) {
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old); /* Force IRQL Checking trims the page */
        KeLowerIrql(old);
    }
    for (int w = 0; w < 2; w++) {
        g_op = w ? IoWriteAccess : IoReadAccess;
        mk_expect_bugcheck(probe_at_dispatch, NULL, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, DISPATCH_LEVEL, w, MK_ANY);
        assert_caller_is_probe();
        assert_false(g_mdl->MdlFlags & MDL_PAGES_LOCKED); /* nothing locked */
    }
    /* at PASSIVE_LEVEL the same probe locks it (the page comes back) */
    MmProbeAndLockPages(g_mdl, KernelMode, IoWriteAccess);
    assert_int_equal(((char *)MmGetSystemAddressForMdlSafe(g_mdl, NormalPagePriority))[3], 0x33);
    MmUnlockPages(g_mdl);
    IoFreeMdl(g_mdl);
    ExFreePoolWithTag(p, TAG);
    mdlkit_shutdown();
}

static void test_probe_paged_special_at_dispatch(void **state)
{
    (void)state;
    probe_case(MDLKIT_VERIFY_SPECIAL_POOL, 0);
}

static void test_probe_trimmed_paged_special_at_dispatch(void **state)
{
    (void)state;
    probe_case(MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING, 1);
}

static void test_build_nonpaged_of_paged_special(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_DDI_COMPLIANCE), 0);
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    assert_int_equal(mk_va_region(p), MK_RGN_SPECIAL);
    g_mdl = IoAllocateMdl(p, 100, FALSE, FALSE, NULL);
    CSHORT flags = g_mdl->MdlFlags;
    mk_expect_bugcheck(build_nonpaged, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7F, PASSIVE_LEVEL, g_mdl,
                       (USHORT)flags);
    assert_false(g_mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    /* a non-paged special-pool block builds */
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    assert_int_equal(mk_va_region(np), MK_RGN_SPECIAL);
    PMDL m2 = IoAllocateMdl(np, 100, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m2);
    assert_true(m2->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    IoFreeMdl(m2);
    IoFreeMdl(g_mdl);
    ExFreePoolWithTag(np, TAG);
    ExFreePoolWithTag(p, TAG);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_paged_special_at_dispatch),
        cmocka_unit_test(test_probe_trimmed_paged_special_at_dispatch),
        cmocka_unit_test(test_build_nonpaged_of_paged_special),
    };
    return cmocka_run_group_tests_name("regress_special_paged", tests, NULL, NULL);
}
