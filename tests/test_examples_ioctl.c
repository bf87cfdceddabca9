/* test_examples_ioctl.c -- the "mdlfill" example WDM driver (examples/ioctl)
 * under its harness: correct traffic is served with correct data, and each
 * deliberate bug is caught with the documented bug check. */
#include "testutil.h"
#include "mk_pool.h"

#define DriverEntry MdlFillDriverEntry
#include "../examples/ioctl/ioctl.c"
#undef DriverEntry
#include "../examples/ioctl/ioctl_harness.c"

/* Force IRQL checking on its own (the demo also runs it with special pool,
 * which trims paged special-pool blocks too). */
static int setup_force_irql(void **state)
{
    (void)state;
    return mk_test_setup_flags(MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE);
}
static void serves_requests_with_correct_data(void **state)
{
    (void)state;
    mdlkit_example_stats st;
    assert_int_equal(mdlkit_example_ioctl_run(200, 0, &st), 0);
    assert_int_equal(st.requests, 200);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.kind[0], 150); /* fills */
    assert_int_equal(st.kind[1], 50);  /* checksums */
    /* the driver's history block was freed at unload */
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(MDLFILL_TAG, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(u.paged_allocs, 0);
}

static void run_bug(void *arg)
{
    mdlkit_example_stats st;
    mdlkit_example_ioctl_run(16, (ULONG)(ULONG_PTR)arg, &st);
}

static void double_unlock_is_process_has_locked_pages(void **state)
{
    (void)state;
    /* 0x76/0x01: P2 = the MDL, P3 = its current locked count (0). */
    mk_expect_bugcheck(run_bug, (void *)(ULONG_PTR)MDLFILL_DEBUG_EARLY_UNLOCK, PROCESS_HAS_LOCKED_PAGES, 0x01, MK_ANY,
                       0, 0);
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    assert_true(bc.param[1] != 0);
}

static void paged_history_at_dispatch_is_0xd1(void **state)
{
    /* Started inside the test body: cmocka installs its own SIGSEGV handler
     * around each test, and the machine's fault handler (which turns the
     * touch of a trimmed page into 0xD1) must be the one in force. */
    assert_int_equal(setup_force_irql(state), 0);
    /* 0xD1: P1 = the paged address, P2 = DISPATCH_LEVEL, P3 = 1 (write), P4 = the instruction. */
    mk_expect_bugcheck(run_bug, (void *)(ULONG_PTR)MDLFILL_DEBUG_PAGED_HISTORY, DRIVER_IRQL_NOT_LESS_OR_EQUAL, MK_ANY,
                       DISPATCH_LEVEL, 1, MK_ANY);
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    assert_int_equal(mk_pool_kind_of((void *)bc.param[0]), 1); /* the address is in paged pool */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(serves_requests_with_correct_data, mk_test_setup_demo_flags, mk_test_teardown),
        cmocka_unit_test_setup_teardown(double_unlock_is_process_has_locked_pages, mk_test_setup_demo_flags, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(paged_history_at_dispatch_is_0xd1, NULL, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
