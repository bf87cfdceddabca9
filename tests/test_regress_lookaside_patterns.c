/* Regression tests for lookaside-list lifetime bugs of the kind fixed in
 * shipped drivers (a device's start/stop paths that run more than once:
 * restart after a surprise stop, a stop path reached twice), each written
 * from the fix's description, each with its buggy and fixed variant:
 *
 *  - lookaside_reinitialized_on_restart: the start path initialises the
 *    device's request lookaside list again while the previous start's list
 *    is live (the stop path forgot ExDeleteNPagedLookasideList): 0xC4/0xCA.
 *  - lookaside_deleted_twice_on_double_stop: both the stop path and the
 *    remove path delete the list: 0xC4/0xCB.
 * The fixed variants delete once, in the path that undoes the start. */
#include "testutil.h"
#include <ntddk.h>

#define TAG 'kLRR'

typedef struct la_dev {
    NPAGED_LOOKASIDE_LIST requests;
    BOOLEAN list_live;
} la_dev;

static int g_fixed;
static la_dev *g_dev;

static void dev_start(la_dev *d)
{
    ExInitializeNPagedLookasideList(&d->requests, NULL, NULL, POOL_NX_ALLOCATION, 96, TAG, 0);
    d->list_live = TRUE;
    void *r = ExAllocateFromNPagedLookasideList(&d->requests);
    assert_non_null(r);
    ExFreeToNPagedLookasideList(&d->requests, r);
}

static void dev_stop(la_dev *d)
{
    if (g_fixed) { /* the fix: the stop path undoes the start */
        ExDeleteNPagedLookasideList(&d->requests);
        d->list_live = FALSE;
    }
}

static void dev_remove(la_dev *d)
{
    if (!g_fixed || d->list_live) { /* the bug: deleted again, unconditionally */
        ExDeleteNPagedLookasideList(&d->requests);
        d->list_live = FALSE;
    }
}

static void restart(void *arg)
{
    (void)arg;
    dev_start(g_dev);
    dev_stop(g_dev);
    dev_start(g_dev); /* restarted after a surprise stop */
}

static void boot(int fixed)
{
    g_fixed = fixed;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    g_dev = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *g_dev, TAG);
    assert_non_null(g_dev);
}

static void finish(void)
{
    if (g_dev->list_live)
        ExDeleteNPagedLookasideList(&g_dev->requests);
    ExFreePoolWithTag(g_dev, TAG);
    mdlkit_shutdown();
}

static void test_lookaside_reinitialized_on_restart(void **state)
{
    (void)state;
    boot(0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(restart, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xCA);
    assert_int_equal(bc.param[1], (ULONG_PTR)&g_dev->requests);
    finish();
}

static void test_lookaside_deleted_at_stop_then_reinitialized_fixed(void **state)
{
    (void)state;
    boot(1);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(restart, NULL, &bc), 0);
    finish();
}

static void stop_then_remove(void *arg)
{
    (void)arg;
    dev_start(g_dev);
    if (!g_fixed) { /* the buggy stop path deletes too */
        ExDeleteNPagedLookasideList(&g_dev->requests);
    } else {
        dev_stop(g_dev);
    }
    dev_remove(g_dev);
}

static void test_lookaside_deleted_twice_on_double_stop(void **state)
{
    (void)state;
    boot(0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(stop_then_remove, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xCB);
    assert_int_equal(bc.param[1], (ULONG_PTR)&g_dev->requests);
    g_dev->list_live = FALSE;
    finish();
}

static void test_lookaside_deleted_once_fixed(void **state)
{
    (void)state;
    boot(1);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(stop_then_remove, NULL, &bc), 0);
    assert_false(g_dev->list_live);
    finish();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookaside_reinitialized_on_restart),
        cmocka_unit_test(test_lookaside_deleted_at_stop_then_reinitialized_fixed),
        cmocka_unit_test(test_lookaside_deleted_twice_on_double_stop),
        cmocka_unit_test(test_lookaside_deleted_once_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
