/* Regression tests for locking, IRQL and timer bugs of the kind fixed in
 * shipped drivers, each written from a fix's description (no driver code
 * copied), each with its buggy and its fixed variant; the fixed variant
 * must run clean under the standard options:
 *
 *  - nested_spinlock_released_with_outer_old_irql: two spin locks taken
 *    one inside the other with KeAcquireSpinLock; the inner one released
 *    with the OldIrql the OUTER acquire returned, which drops the processor
 *    to PASSIVE_LEVEL while the outer lock is still held; the outer release
 *    then runs at PASSIVE_LEVEL. Force IRQL checking: 0xC4/0x32
 *    (KeReleaseSpinLock at an IRQL other than DISPATCH_LEVEL: IRQL, lock);
 *    DDI compliance reports it as the IrqlKeReleaseSpinLock rule
 *    (0xC4/0x20015). The fix releases each lock with its own OldIrql (or
 *    takes the inner one with KeAcquireSpinLockAtDpcLevel).
 *  - spinlock_released_twice_on_error_path: an error path released the
 *    lock and the common exit released it again: the second release runs
 *    at PASSIVE_LEVEL, the same 0xC4/0x32 (0x20015 under DDI compliance).
 *  - dpc_level_lock_taken_at_passive: a helper written for the DPC path
 *    (KeAcquireSpinLockAtDpcLevel) was also called from a passive-level
 *    IOCTL path: 0xC4/0x40 (IRQL, lock). The fix uses KeAcquireSpinLock
 *    on the passive path.
 *  - wait_with_timeout_at_dispatch: a routine holding a spin lock waited on
 *    an event with a non-zero timeout; KeWaitForSingleObject documents that
 *    only a zero timeout is allowed at DISPATCH_LEVEL: 0xA
 *    IRQL_NOT_LESS_OR_EQUAL (object, IRQL). The fix polls with a zero
 *    timeout under the lock (STATUS_TIMEOUT, no bug check).
 *  - fast_mutex_acquired_recursively: a helper called with the fast mutex
 *    held acquired it again; on Windows the thread waits for itself
 *    forever; mdlkit reports 0xBF MUTEX_ALREADY_OWNED (mutex, thread).
 *  - dpc_still_queued_at_unload: a driver queued a DPC to a busy processor
 *    and its unload routine did not remove it (KeRemoveQueueDpc) nor flush
 *    (KeFlushQueuedDpcs): 0xC7 TIMER_OR_DPC_INVALID with parameter 1 = 1
 *    (a DPC object; the bug check's page numbers a DPC routine 2).
 *  - event_in_paged_context_set_at_dispatch: a device context allocated
 *    from paged pool held the KEVENT a DPC signals; Force IRQL checking
 *    trims paged pool at the raise (its page documents that it detects
 *    pageable KEVENTs, timers, spin locks...), so KeSetEvent at
 *    DISPATCH_LEVEL faults: 0xD1 (the event, DISPATCH_LEVEL, read). The
 *    fault used to happen with the kernel's internal lock held, so the
 *    next call (mdlkit_shutdown's) waited for ever; now the object is
 *    touched before the lock is taken. The fix allocates the context from
 *    non-paged pool.
 *  - unicode_copy_into_small_buffer (false-alarm check only):
 *    RtlCopyUnicodeString into a destination smaller than the source
 *    truncates, as documented; RtlAppendUnicodeStringToString returns
 *    STATUS_BUFFER_TOO_SMALL and leaves the destination alone. Neither is a
 *    bug check, and the destination (an exact-size special-pool block) is
 *    not written past its end. */
#include "testutil.h"
#include <ntddk.h>
#include <stdatomic.h>
#include <sched.h>

#define TAG 'kLRR'

static int g_fixed;
static KSPIN_LOCK g_outer, g_inner;
static mdlkit_bugcheck g_bc;

static void boot(int fixed, ULONG flags)
{
    g_fixed = fixed;
    assert_int_equal(mk_test_setup_flags(flags), 0);
    KeInitializeSpinLock(&g_outer);
    KeInitializeSpinLock(&g_inner);
}

/* ------------------------------------------------ nested spin locks */

static void update_both_queues(void *arg)
{
    (void)arg;
    KIRQL old_outer, old_inner;
    KeAcquireSpinLock(&g_outer, &old_outer);
    KeAcquireSpinLock(&g_inner, &old_inner);
    KeReleaseSpinLock(&g_inner, g_fixed ? old_inner : old_outer);
    KeReleaseSpinLock(&g_outer, g_fixed ? old_outer : old_inner);
}

static void test_nested_spinlock_released_with_outer_old_irql(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_FORCE_IRQL_CHECKING);
    assert_int_equal(mdlkit_catch_bugcheck(update_both_queues, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x32);
    assert_int_equal(g_bc.param[1], PASSIVE_LEVEL);
    assert_int_equal(g_bc.param[2], (ULONG_PTR)&g_outer);
    mdlkit_shutdown();
    boot(0, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(update_both_queues, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x00020015); /* IrqlKeReleaseSpinLock */
    mdlkit_shutdown();
}

static void test_nested_spinlock_released_with_own_old_irql_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(update_both_queues, NULL, &g_bc), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mdlkit_shutdown();
}

/* Released in the other order (outer first), each with its own OldIrql:
 * allowed, and the IRQL ends where it started. */
static void release_out_of_order(void *arg)
{
    (void)arg;
    KIRQL old_outer, old_inner;
    KeAcquireSpinLock(&g_outer, &old_outer);
    KeAcquireSpinLock(&g_inner, &old_inner);
    KeReleaseSpinLock(&g_outer, old_inner);
    KeReleaseSpinLock(&g_inner, old_outer);
}

static void test_nested_spinlocks_released_out_of_order_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(release_out_of_order, NULL, &g_bc), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mdlkit_shutdown();
}

/* ------------------------------------------ double release, error path */

static NTSTATUS send_packet(int fail)
{
    KIRQL old;
    KeAcquireSpinLock(&g_outer, &old);
    NTSTATUS st = STATUS_SUCCESS;
    if (fail) {
        st = STATUS_INSUFFICIENT_RESOURCES;
        KeReleaseSpinLock(&g_outer, old);
        if (g_fixed)
            return st;
        /* the buggy path falls through to the common exit */
    }
    KeReleaseSpinLock(&g_outer, old);
    return st;
}

static void send_failing(void *arg)
{
    (void)arg;
    assert_int_equal(send_packet(1), STATUS_INSUFFICIENT_RESOURCES);
}

static void test_spinlock_released_twice_on_error_path(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_FORCE_IRQL_CHECKING);
    mk_expect_bugcheck(send_failing, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x32, PASSIVE_LEVEL, &g_outer, MK_ANY);
    mdlkit_shutdown();
    boot(0, MDLKIT_VERIFY_STANDARD);
    mk_expect_bugcheck(send_failing, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00020015, MK_ANY, MK_ANY, MK_ANY);
    mdlkit_shutdown();
}

static void test_spinlock_released_once_on_error_path_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(send_failing, NULL, &g_bc), 0);
    assert_int_equal(send_packet(0), STATUS_SUCCESS);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mdlkit_shutdown();
}

/* ------------------------------------- DPC-level lock from passive path */

static LONG g_counter;

static void bump_counter_locked_dpc(void)
{
    KeAcquireSpinLockAtDpcLevel(&g_outer);
    g_counter++;
    KeReleaseSpinLockFromDpcLevel(&g_outer);
}

static void ioctl_path(void *arg)
{
    (void)arg;
    if (g_fixed) {
        KIRQL old;
        KeAcquireSpinLock(&g_outer, &old);
        g_counter++;
        KeReleaseSpinLock(&g_outer, old);
    } else {
        bump_counter_locked_dpc(); /* written for the DPC, called at PASSIVE */
    }
}

static void dpc_path(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    bump_counter_locked_dpc();
    KeLowerIrql(old);
}

static void test_dpc_level_lock_taken_at_passive(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    mk_expect_bugcheck(ioctl_path, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x40, PASSIVE_LEVEL, &g_outer, MK_ANY);
    mdlkit_shutdown();
}

static void test_dpc_level_lock_only_at_dispatch_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    g_counter = 0;
    assert_int_equal(mdlkit_catch_bugcheck(ioctl_path, NULL, &g_bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(dpc_path, NULL, &g_bc), 0);
    assert_int_equal(g_counter, 2);
    mdlkit_shutdown();
}

/* --------------------------------------- wait with a timeout at DISPATCH */

static KEVENT g_ready;
static NTSTATUS g_wait_status;

static void check_ready_locked(void *arg)
{
    (void)arg;
    LARGE_INTEGER timeout;
    timeout.QuadPart = g_fixed ? 0 : -10 * 1000 * 10; /* 10 ms relative */
    KIRQL old;
    KeAcquireSpinLock(&g_outer, &old);
    g_wait_status = KeWaitForSingleObject(&g_ready, Executive, KernelMode, FALSE, &timeout);
    KeReleaseSpinLock(&g_outer, old);
}

static void test_wait_with_timeout_at_dispatch(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    KeInitializeEvent(&g_ready, NotificationEvent, FALSE);
    mk_expect_bugcheck(check_ready_locked, NULL, IRQL_NOT_LESS_OR_EQUAL, &g_ready, DISPATCH_LEVEL, MK_ANY, MK_ANY);
    mdlkit_shutdown();
}

static void test_wait_with_zero_timeout_at_dispatch_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    KeInitializeEvent(&g_ready, NotificationEvent, FALSE);
    assert_int_equal(mdlkit_catch_bugcheck(check_ready_locked, NULL, &g_bc), 0);
    assert_int_equal(g_wait_status, STATUS_TIMEOUT);
    KeSetEvent(&g_ready, IO_NO_INCREMENT, FALSE);
    assert_int_equal(mdlkit_catch_bugcheck(check_ready_locked, NULL, &g_bc), 0);
    assert_int_equal(g_wait_status, STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* ---------------------------------------- fast mutex taken recursively */

static FAST_MUTEX g_config_lock;
static ULONG g_config;

static void set_config_value(ULONG v)
{
    if (!g_fixed)
        ExAcquireFastMutex(&g_config_lock); /* the caller already holds it */
    g_config = v;
    if (!g_fixed)
        ExReleaseFastMutex(&g_config_lock);
}

static void apply_config(void *arg)
{
    (void)arg;
    ExAcquireFastMutex(&g_config_lock);
    set_config_value(7);
    ExReleaseFastMutex(&g_config_lock);
}

static void test_fast_mutex_acquired_recursively(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    ExInitializeFastMutex(&g_config_lock);
    mk_expect_bugcheck(apply_config, NULL, 0xBF /* MUTEX_ALREADY_OWNED */, &g_config_lock, KeGetCurrentThread(), MK_ANY,
                       MK_ANY);
    mdlkit_shutdown();
}

static void test_fast_mutex_held_by_caller_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    ExInitializeFastMutex(&g_config_lock);
    g_config = 0;
    assert_int_equal(mdlkit_catch_bugcheck(apply_config, NULL, &g_bc), 0);
    assert_int_equal(g_config, 7);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mdlkit_shutdown();
}

/* ------------------------------------------- DPC still queued at unload */

static _Atomic int g_block_running, g_block_release;
static KDPC g_blocker;

static void block_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc, (void)ctx, (void)a1, (void)a2;
    atomic_store(&g_block_running, 1);
    while (!atomic_load(&g_block_release))
        sched_yield();
}

typedef struct {
    KDPC dpc;
    ULONG pending;
} rx_ctx;
static rx_ctx *g_rx;
static int g_dpc_ran;

static void rx_dpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc, (void)a1, (void)a2;
    ((rx_ctx *)ctx)->pending = 0;
    g_dpc_ran++;
}

static void RxUnload(PDRIVER_OBJECT drv)
{
    (void)drv;
    if (g_fixed && KeRemoveQueueDpc(&g_rx->dpc))
        g_rx->pending = 0;
    if (!g_fixed)
        return; /* the buggy unload forgets the DPC and its context */
    ExFreePoolWithTag(g_rx, TAG);
    g_rx = NULL;
}

static NTSTATUS RxEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    g_rx = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *g_rx, TAG);
    if (!g_rx)
        return STATUS_INSUFFICIENT_RESOURCES;
    KeInitializeDpc(&g_rx->dpc, rx_dpc, g_rx);
    KeSetTargetProcessorDpc(&g_rx->dpc, 0);
    g_rx->pending = 1;
    KeInsertQueueDpc(&g_rx->dpc, NULL, NULL); /* processor 0 is busy: stays queued */
    drv->DriverUnload = RxUnload;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;
static void unload_drv(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void start_blocker(void)
{
    atomic_store(&g_block_running, 0);
    atomic_store(&g_block_release, 0);
    KeInitializeDpc(&g_blocker, block_dpc, NULL);
    KeSetTargetProcessorDpc(&g_blocker, 0);
    KeInsertQueueDpc(&g_blocker, NULL, NULL);
    while (!atomic_load(&g_block_running))
        sched_yield();
}

static void stop_blocker(void)
{
    atomic_store(&g_block_release, 1);
    KeFlushQueuedDpcs();
}

static void test_dpc_still_queued_at_unload(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    g_dpc_ran = 0;
    start_blocker();
    assert_int_equal(mdlkit_driver_load("rxdpc", RxEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(unload_drv, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, TIMER_OR_DPC_INVALID);
    assert_int_equal(g_bc.param[0], 1); /* a DPC object */
    assert_int_equal(g_bc.param[1], (ULONG_PTR)&g_rx->dpc);
    assert_true(g_bc.param[2] <= (ULONG_PTR)&g_rx->dpc && g_bc.param[3] >= (ULONG_PTR)(&g_rx->dpc + 1));
    stop_blocker();
    assert_int_equal(g_dpc_ran, 0); /* taken off the queue when reported */
    mk_test_teardown_after_bugcheck(NULL);
}

static void test_dpc_removed_at_unload_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    g_dpc_ran = 0;
    start_blocker();
    assert_int_equal(mdlkit_driver_load("rxdpc", RxEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(unload_drv, NULL, &g_bc), 0);
    assert_null(g_rx);
    stop_blocker();
    assert_int_equal(g_dpc_ran, 0);
    mdlkit_shutdown();
}

/* ------------------------------------ KEVENT in a paged-pool context */

typedef struct {
    ULONG flags;
    KEVENT done;
} dev_ctx;
static dev_ctx *g_ctx;

static void signal_from_dpc(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeSetEvent(&g_ctx->done, IO_NO_INCREMENT, FALSE);
    KeLowerIrql(old);
}

static void make_ctx(int fixed)
{
    g_ctx = ExAllocatePool2(fixed ? POOL_FLAG_NON_PAGED : POOL_FLAG_PAGED, sizeof *g_ctx, TAG);
    assert_non_null(g_ctx);
    KeInitializeEvent(&g_ctx->done, NotificationEvent, FALSE);
}

static void test_event_in_paged_context_set_at_dispatch(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    make_ctx(0);
    mk_expect_bugcheck(signal_from_dpc, NULL, DRIVER_IRQL_NOT_LESS_OR_EQUAL, &g_ctx->done, DISPATCH_LEVEL, 0, MK_ANY);
    /* the machine is still usable: the event can be read and freed at
     * PASSIVE_LEVEL, and the shutdown returns (it hung before) */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(KeReadStateEvent(&g_ctx->done), 0);
    ExFreePoolWithTag(g_ctx, TAG);
    mdlkit_shutdown();
    assert_false(mdlkit_is_initialized());
}

static void test_event_in_nonpaged_context_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    make_ctx(1);
    assert_int_equal(mdlkit_catch_bugcheck(signal_from_dpc, NULL, &g_bc), 0);
    assert_int_equal(KeReadStateEvent(&g_ctx->done), 1);
    ExFreePoolWithTag(g_ctx, TAG);
    mdlkit_shutdown();
}

/* ------------------------------------ string copy into a small buffer */

static void copy_names(void *arg)
{
    (void)arg;
    UNICODE_STRING src, dst, dst2;
    RtlInitUnicodeString(&src, L"\\Device\\MkRegressLongName");
    USHORT cap = 8 * sizeof(WCHAR);
    WCHAR *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, cap, TAG);
    assert_non_null(buf);
    dst.Buffer = buf;
    dst.Length = 0;
    dst.MaximumLength = cap;
    RtlCopyUnicodeString(&dst, &src);
    assert_int_equal(dst.Length, cap);
    assert_memory_equal(buf, src.Buffer, cap);
    /* appending to a full string fails and changes nothing */
    dst2 = dst;
    assert_int_equal(RtlAppendUnicodeStringToString(&dst, &src), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(dst.Length, dst2.Length);
    ExFreePoolWithTag(buf, TAG);
}

static void test_unicode_copy_into_small_buffer_truncates_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(copy_names, NULL, &g_bc), 0);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nested_spinlock_released_with_outer_old_irql),
        cmocka_unit_test(test_nested_spinlock_released_with_own_old_irql_fixed),
        cmocka_unit_test(test_nested_spinlocks_released_out_of_order_fixed),
        cmocka_unit_test(test_spinlock_released_twice_on_error_path),
        cmocka_unit_test(test_spinlock_released_once_on_error_path_fixed),
        cmocka_unit_test(test_dpc_level_lock_taken_at_passive),
        cmocka_unit_test(test_dpc_level_lock_only_at_dispatch_fixed),
        cmocka_unit_test(test_wait_with_timeout_at_dispatch),
        cmocka_unit_test(test_wait_with_zero_timeout_at_dispatch_fixed),
        cmocka_unit_test(test_fast_mutex_acquired_recursively),
        cmocka_unit_test(test_fast_mutex_held_by_caller_fixed),
        cmocka_unit_test(test_dpc_still_queued_at_unload),
        cmocka_unit_test(test_dpc_removed_at_unload_fixed),
        cmocka_unit_test(test_event_in_paged_context_set_at_dispatch),
        cmocka_unit_test(test_event_in_nonpaged_context_fixed),
        cmocka_unit_test(test_unicode_copy_into_small_buffer_truncates_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
