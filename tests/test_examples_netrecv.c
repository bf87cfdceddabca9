/* test_examples_netrecv.c -- the "netrecv" example NDIS miniport
 * (examples/netrecv) under its harness: the simulated NIC writes hundreds
 * of frames through the descriptor ring by physical address and raises its
 * interrupt; every good frame comes up intact, in order, through the DPC;
 * corrupted and misaddressed frames are dropped; the ring wraps; halt frees
 * everything. The wrong-tag variant is caught at halt with 0xC2/0x0A. */
#include "testutil.h"

#define DriverEntry NetRecvDriverEntry
#include "../examples/netrecv/netrecv.c"
#undef DriverEntry
#include "../examples/netrecv/netrecv_harness.c"


static void check_clean_run(ULONG frames)
{
    mdlkit_example_stats st;
    assert_int_equal(mdlkit_example_netrecv_run(frames, 0, &st), 0);
    assert_int_equal(st.failed, 0);
    assert_int_equal(st.requests, frames);     /* every frame: up intact, or kept down */
    assert_true(st.kind[0] > frames * 3 / 4);  /* good frames checked byte for byte */
    assert_int_equal(st.kind[1], frames / NETRECV_RING_SIZE); /* the ring wrapped */
    assert_true(st.kind[2] > 0);               /* bad and misaddressed frames dropped */
    assert_int_equal(st.kind[0] + st.kind[2], frames);
    assert_true(st.bytes >= (ULONG64)st.kind[0] * NETRECV_MIN_FRAME);
    /* halt freed everything the miniport allocated */
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag(NETRECV_TAG_BUFFER, &u), 1);
    assert_int_equal(u.nonpaged_allocs % NETRECV_RING_SIZE, 0); /* one per descriptor per run */
    assert_int_equal(u.nonpaged_frees, u.nonpaged_allocs);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(mdlkit_pool_usage_tag(NETRECV_TAG_RING, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(mdlkit_pool_usage_tag(NETRECV_TAG_ADAPTER, &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
}

static void receives_frames_under_the_verifier(void **state)
{
    (void)state;
    check_clean_run(500);
}

static void receives_frames_without_the_verifier(void **state)
{
    (void)state;
    check_clean_run(300);
    /* a second adapter lifetime on the same machine */
    check_clean_run(64);
}

static void run_wrong_tag(void *arg)
{
    (void)arg;
    mdlkit_example_stats st;
    mdlkit_example_netrecv_run(64, NETRECV_DEBUG_WRONG_TAG, &st);
}

static void wrong_tag_free_is_caught_at_halt(void **state)
{
    (void)state;
    /* 0xC2/0x0A: P2 = the block, P3 = the tag it was allocated with, P4 =
     * the tag passed to the free */
    mk_expect_bugcheck(run_wrong_tag, NULL, BAD_POOL_CALLER, 0x0A, MK_ANY, NETRECV_TAG_BUFFER, NETRECV_TAG_RING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(receives_frames_under_the_verifier, mk_test_setup_demo_flags, mk_test_teardown),
        cmocka_unit_test_setup_teardown(receives_frames_without_the_verifier, mk_test_setup_no_verifier, mk_test_teardown),
        cmocka_unit_test_setup_teardown(wrong_tag_free_is_caught_at_halt, mk_test_setup_demo_flags, mk_test_teardown_after_bugcheck),
        cmocka_unit_test_setup_teardown(wrong_tag_free_is_caught_at_halt, mk_test_setup_no_verifier, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
