/* test_examples_ramdisk.c -- the "ramdisk" example StorPort miniport
 * (examples/ramdisk) under its harness: READ/WRITE traffic with split
 * transfers is served with correct data, and the leaky variant is caught
 * when the adapter stops. */
#include "testutil.h"

#define DriverEntry RamDiskDriverEntry
#include "../examples/ramdisk/ramdisk.c"
#undef DriverEntry
#include "../examples/ramdisk/ramdisk_harness.c"


static void serves_reads_and_writes(void **state)
{
    (void)state;
    mdlkit_example_stats st;
    assert_int_equal(mdlkit_example_ramdisk_run(200, 0, &st), 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.requests, 200);
    assert_true(st.kind[0] > 0);           /* reads checked against the shadow copy */
    assert_true(st.kind[1] > 0);           /* writes */
    assert_true(st.kind[2] > 0);           /* split through the partial MDL */
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(RAMDISK_TAG_REQUEST, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(mdlkit_pool_usage_tag(RAMDISK_TAG_DISK, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
}

static void run_leaky(void *arg)
{
    (void)arg;
    mdlkit_example_stats st;
    /* requests 24 and 49 are out of range: two leaked contexts */
    mdlkit_example_ramdisk_run(64, RAMDISK_DEBUG_LEAK_ON_ERROR, &st);
}

static void leak_is_caught_when_the_adapter_stops(void **state)
{
    (void)state;
    /* 0xC4 with the StorPortAllocatePool2 rule: P2 = the condition, P3 = the
     * number of blocks still allocated. */
    mk_expect_bugcheck(run_leaky, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_ALLOCATE_POOL2, MK_ANY,
                       2, MK_ANY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(serves_reads_and_writes, mk_test_setup_demo_flags, mk_test_teardown),
        cmocka_unit_test_setup_teardown(leak_is_caught_when_the_adapter_stops, mk_test_setup_demo_flags, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
