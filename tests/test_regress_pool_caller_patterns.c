/* Regression tests for pool-caller bugs of the kind fixed in shipped
 * drivers, each written from a fix's description (no driver code copied),
 * each with its buggy and fixed variant, under the standard options:
 *
 *  - paged_pool_allocated_in_dpc: a receive path that runs in a DPC
 *    allocated its scratch buffer from paged pool (fixed by allocating
 *    non-paged). Driver Verifier: 0xC4/0x20004 (IrqlExAllocatePool) under
 *    DDI compliance, 0xC4/0x01 (IRQL, pool type, size) under IRQL checking.
 *  - pool_freed_with_other_tag: a block allocated under one tag and freed
 *    with ExFreePoolWithTag under another (two tags of one driver mixed up
 *    on a cleanup path): 0xC2 BAD_POOL_CALLER 0x0A under Special Pool.
 *  - buffer_freed_twice_on_error_path: a send path's error handling freed
 *    the buffer and the caller's cleanup freed it again: 0xC4/0x13 under
 *    Special Pool.
 *  - paged_pool_freed_in_dpc: a completion DPC freed a paged-pool block:
 *    0xC4/0x11 (IRQL, pool type, address). */
#include "testutil.h"
#include <ntddk.h>

#define TAG 'cPRR'
#define TAG_OTHER 'xPRR'

static int g_fixed;
static void *g_block;
static mdlkit_bugcheck g_bc;

/* Runs fn at DISPATCH_LEVEL, as a DPC would. */
static void at_dispatch(void (*fn)(void *), void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    fn(arg);
    KeLowerIrql(old);
}

static void rx_scratch(void *arg)
{
    (void)arg;
    g_block = g_fixed ? ExAllocatePool2(POOL_FLAG_NON_PAGED, 300, TAG) : ExAllocatePool2(POOL_FLAG_PAGED, 300, TAG);
}
static void rx_in_dpc(void *arg) { at_dispatch(rx_scratch, arg); }

static void boot(int fixed)
{
    g_fixed = fixed;
    g_block = NULL;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
}

static void test_paged_pool_allocated_in_dpc(void **state)
{
    (void)state;
    boot(0);
    assert_int_equal(mdlkit_catch_bugcheck(rx_in_dpc, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    /* DDI compliance checking (in the standard set) reports it first as
     * the IrqlExAllocatePool rule; the IRQL-checking subcode 0x01 is what
     * the same call gives under Force IRQL checking alone */
    assert_int_equal(g_bc.param[0], 0x00020004);
    mdlkit_shutdown();
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_FORCE_IRQL_CHECKING), 0);
    assert_int_equal(mdlkit_catch_bugcheck(rx_in_dpc, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x01);
    assert_int_equal(g_bc.param[1], DISPATCH_LEVEL);
    assert_int_equal(g_bc.param[3], 300);
    mdlkit_shutdown();
}

static void test_nonpaged_pool_allocated_in_dpc_fixed(void **state)
{
    (void)state;
    boot(1);
    assert_int_equal(mdlkit_catch_bugcheck(rx_in_dpc, NULL, &g_bc), 0);
    assert_non_null(g_block);
    ExFreePoolWithTag(g_block, TAG);
    mdlkit_shutdown();
}

static void free_with(void *arg) { ExFreePoolWithTag(g_block, (ULONG)(ULONG_PTR)arg); }

static void test_pool_freed_with_other_tag(void **state)
{
    (void)state;
    boot(0);
    g_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, TAG);
    assert_non_null(g_block);
    assert_int_equal(mdlkit_catch_bugcheck(free_with, (void *)(ULONG_PTR)TAG_OTHER, &g_bc), 1);
    assert_int_equal(g_bc.code, BAD_POOL_CALLER);
    assert_int_equal(g_bc.param[0], 0x0A);
    assert_int_equal(g_bc.param[1], (ULONG_PTR)g_block);
    assert_int_equal(g_bc.param[2], TAG);
    assert_int_equal(g_bc.param[3], TAG_OTHER);
    ExFreePoolWithTag(g_block, TAG); /* the block is still allocated */
    mdlkit_shutdown();
}

static void test_pool_freed_with_its_own_tag_fixed(void **state)
{
    (void)state;
    boot(1);
    g_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, TAG);
    assert_int_equal(mdlkit_catch_bugcheck(free_with, (void *)(ULONG_PTR)TAG, &g_bc), 0);
    mdlkit_shutdown();
}

static NTSTATUS send_buffer(void *buf, BOOLEAN fail)
{
    if (fail) {
        ExFreePoolWithTag(buf, TAG); /* error path frees the buffer itself */
        return STATUS_DEVICE_NOT_READY;
    }
    return STATUS_SUCCESS;
}

static void send_path(void *arg)
{
    (void)arg;
    void *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, TAG);
    g_block = buf;
    NTSTATUS st = send_buffer(buf, TRUE);
    if (!NT_SUCCESS(st) && g_fixed)
        return; /* the fix: the callee owns the buffer on failure */
    ExFreePoolWithTag(buf, TAG); /* the bug: freed again */
}

static void test_buffer_freed_twice_on_error_path(void **state)
{
    (void)state;
    boot(0);
    assert_int_equal(mdlkit_catch_bugcheck(send_path, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x13);
    assert_int_equal(g_bc.param[2], (ULONG_PTR)g_block);
    mdlkit_shutdown();
}

static void test_buffer_freed_once_on_error_path_fixed(void **state)
{
    (void)state;
    boot(1);
    assert_int_equal(mdlkit_catch_bugcheck(send_path, NULL, &g_bc), 0);
    mdlkit_shutdown();
}

static void free_block(void *arg)
{
    (void)arg;
    ExFreePoolWithTag(g_block, TAG);
}
static void free_in_dpc(void *arg) { at_dispatch(free_block, arg); }

static void test_paged_pool_freed_in_dpc(void **state)
{
    (void)state;
    boot(0);
    g_block = ExAllocatePool2(POOL_FLAG_PAGED, 200, TAG);
    assert_non_null(g_block);
    assert_int_equal(mdlkit_catch_bugcheck(free_in_dpc, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x11);
    assert_int_equal(g_bc.param[1], DISPATCH_LEVEL);
    assert_int_equal(g_bc.param[3], (ULONG_PTR)g_block);
    ExFreePoolWithTag(g_block, TAG);
    mdlkit_shutdown();
}

/* The fix queues the free to PASSIVE_LEVEL (here: frees it there). */
static void test_paged_pool_freed_at_passive_fixed(void **state)
{
    (void)state;
    boot(1);
    g_block = ExAllocatePool2(POOL_FLAG_PAGED, 200, TAG);
    assert_int_equal(mdlkit_catch_bugcheck(free_block, NULL, &g_bc), 0);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paged_pool_allocated_in_dpc),
        cmocka_unit_test(test_nonpaged_pool_allocated_in_dpc_fixed),
        cmocka_unit_test(test_pool_freed_with_other_tag),
        cmocka_unit_test(test_pool_freed_with_its_own_tag_fixed),
        cmocka_unit_test(test_buffer_freed_twice_on_error_path),
        cmocka_unit_test(test_buffer_freed_once_on_error_path_fixed),
        cmocka_unit_test(test_paged_pool_freed_in_dpc),
        cmocka_unit_test(test_paged_pool_freed_at_passive_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
