/* Regression found by the DDI sequence fuzzer under Pool Tracking
 * (fuzz_ddi_tracked, docs/reliability.md): a driver frees pool at a bad
 * IRQL, the 0xC4/0x11 (paged above APC_LEVEL) or 0xC4/0x12 (non-paged above
 * DISPATCH_LEVEL) bug check is caught and the block stays allocated -- but
 * Pool Tracking had dropped its record before the IRQL check, so the leak
 * was never reported at unload. A caught bug check must leave the block
 * allocated AND tracked: the unload reports it (0xC4/0x62, one allocation),
 * and a correct free afterwards leaves nothing. */
#include "testutil.h"

#define TAG 'qrIF'

static void *g_block;
static KIRQL g_free_irql;

static void free_at_irql(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(g_free_irql, &old);
    ExFreePoolWithTag(g_block, TAG);
    KeLowerIrql(old);
}

static PDRIVER_OBJECT g_drv;
static POOL_TYPE g_type;
static NTSTATUS alloc_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    g_block = ExAllocatePoolWithTag(g_type, 100, TAG);
    return g_block ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}
static void unload(void *arg) { mdlkit_driver_unload(arg); }
static NTSTATUS free_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    ExFreePoolWithTag(g_block, TAG);
    return STATUS_SUCCESS;
}

static void check(POOL_TYPE type, KIRQL irql, ULONG subcode, int tracking)
{
    assert_int_equal(mk_test_setup_flags(tracking ? MDLKIT_VERIFY_POOL_TRACKING : MDLKIT_VERIFY_DDI_COMPLIANCE), 0);
    g_type = type;
    g_free_irql = irql;
    assert_int_equal(mdlkit_driver_load("irqldrv", alloc_entry, &g_drv), STATUS_SUCCESS);
    mk_expect_bugcheck(free_at_irql, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, irql, MK_ANY, g_block);
    /* the block is still allocated (its tag's count says so) ... */
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(TAG, &u), 1);
    assert_int_equal(u.nonpaged_outstanding + u.paged_outstanding, 1);
    if (tracking) {
        /* ... and still charged to the driver: the unload reports it */
        mk_expect_bugcheck(unload, g_drv, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, MK_ANY, MK_ANY, 1);
    } else {
        mdlkit_driver_unload(g_drv);
    }
    /* a correct free afterwards works, and leaves nothing to report */
    PDRIVER_OBJECT d2;
    assert_int_equal(mdlkit_driver_load("freedrv", free_entry, &d2), STATUS_SUCCESS);
    mdlkit_driver_unload(d2);
    assert_int_equal(mdlkit_pool_usage_tag(TAG, &u), 1);
    assert_int_equal(u.nonpaged_outstanding + u.paged_outstanding, 0);
    mdlkit_shutdown();
}

static void test_paged_free_at_dispatch_keeps_record(void **state)
{
    (void)state;
    check(PagedPool, DISPATCH_LEVEL, 0x11, 1);
    check(PagedPool, DISPATCH_LEVEL, 0x11, 0);
}

static void test_nonpaged_free_above_dispatch_keeps_record(void **state)
{
    (void)state;
    check(NonPagedPoolNx, HIGH_LEVEL, 0x12, 1);
    check(NonPagedPoolNx, HIGH_LEVEL, 0x12, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paged_free_at_dispatch_keeps_record),
        cmocka_unit_test(test_nonpaged_free_above_dispatch_keeps_record),
    };
    return cmocka_run_group_tests_name("regress_free_irql_tracked", tests, NULL, NULL);
}
