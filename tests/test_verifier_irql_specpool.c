/* Force IRQL Checking (0x2) together with Special Pool (0x1): a paged
 * allocation that lives in special pool is trimmed on a raise to
 * DISPATCH_LEVEL like any paged pool: a touch at DISPATCH_LEVEL is 0xD1
 * (address, IRQL, 0 read / 1 write, instruction), below it the page comes
 * back with its contents; non-paged special pool is never trimmed. */
#include "testutil.h"
#include "mk_machine.h"

#define TAG 'sIvT'

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_SPECIAL_POOL;
    return mdlkit_init(&c);
}

static volatile char g_sink;
static void read_at_dispatch(void *a)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    g_sink = *(volatile char *)a;
    KeLowerIrql(old);
}
static void write_at_dispatch(void *a)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    *(volatile char *)a = 3;
    KeLowerIrql(old);
}

static void test_paged_special_pool_touch_at_dispatch_is_d1(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    assert_non_null(p);
    assert_int_equal(mk_va_region(p), MK_RGN_SPECIAL); /* it is a special-pool block */
    p[5] = 0x55;
    mk_expect_bugcheck(read_at_dispatch, p + 5, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p + 5, DISPATCH_LEVEL, 0, MK_ANY);
    assert_true(mdlkit_last_bugcheck().param[3] != 0);
    mk_expect_bugcheck(write_at_dispatch, p + 9, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p + 9, DISPATCH_LEVEL, 1, MK_ANY);
    /* at PASSIVE_LEVEL the page is faulted back in, contents intact */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(p[5], 0x55);
    p[6] = 1;
    ExFreePoolWithTag(p, TAG); /* the fill pattern is intact: no 0xC1 */
}

static void test_free_of_trimmed_block_pages_it_in(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 40, TAG);
    memset(p, 7, 40);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old); /* trims p's page */
    KeLowerIrql(old);
    ExFreePoolWithTag(p, TAG);
}

static void test_nonpaged_special_pool_not_trimmed(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    assert_int_equal(mk_va_region(p), MK_RGN_SPECIAL);
    p[1] = 9;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    p[2] = p[1]; /* fine at DISPATCH_LEVEL */
    KeLowerIrql(old);
    assert_int_equal(p[2], 9);
    ExFreePoolWithTag(p, TAG);
}

static void overrun_paged(void *a) { ((volatile char *)a)[112] = 1; }

static void test_overrun_still_d6(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(old);
    /* trimmed data page, guard page after it: the overrun is still 0xD6 */
    mk_expect_bugcheck(overrun_paged, p, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, p + 112, 1, MK_ANY, 0);
    ExFreePoolWithTag(p, TAG);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_paged_special_pool_touch_at_dispatch_is_d1),
        cmocka_unit_test(test_free_of_trimmed_block_pages_it_in),
        cmocka_unit_test(test_nonpaged_special_pool_not_trimmed),
        cmocka_unit_test(test_overrun_still_d6),
    };
    return cmocka_run_group_tests_name("force IRQL checking with special pool", t, setup, mk_test_teardown);
}
