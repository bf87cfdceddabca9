/* Regression tests for driver-unload bugs fixed in shipped drivers, each
 * written from the fix's description (no driver code copied), each with
 * the buggy and the fixed variant of one small driver:
 *
 *  - periodic_timer_left_set_at_unload: OpenZFS on Windows (issue 92, PR
 *    93, "cancel the timers before driver unload"): a periodic timer the
 *    driver armed in DriverEntry fired after DriverUnload returned. Driver
 *    Verifier: 0xC7 TIMER_OR_DPC_INVALID (0 = timer) at the unload.
 *  - context_pool_leaked_at_unload: a display driver's fix that cancelled a
 *    timer at stop introduced a regression on unload, Driver Verifier's
 *    0xC4/0x62 (a driver unloaded without freeing its pool; Pool Tracking).
 *  - polling_thread_not_stopped_at_unload: a driver's worker thread still
 *    running when the driver is unloaded: 0xCE
 *    DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS.
 *  - lookaside_list_freed_with_its_extension: a driver frees the context
 *    that holds its lookaside list without ExDeleteNPagedLookasideList:
 *    0xC4/0xCC (the lookaside list is still live in freed pool).
 * The fixed variant of each runs clean under the standard options. */
#include "testutil.h"
#include <ntddk.h>

#define TAG 'lnUR'

static int g_fixed;     /* 1: the driver has the fix */
static int g_pattern;   /* which bug the driver carries */
enum { P_TIMER = 1, P_POOL, P_THREAD, P_LOOKASIDE };

static KTIMER g_timer;
static KDPC g_timer_dpc;
static volatile LONG g_ticks;
static void *g_context;
static PVOID g_thread;
static KEVENT g_stop;

typedef struct ul_context {
    NPAGED_LOOKASIDE_LIST requests;
    ULONG state;
} ul_context;

static void UlTimerDpc(PKDPC dpc, PVOID ctx, PVOID a1, PVOID a2)
{
    (void)dpc, (void)ctx, (void)a1, (void)a2;
    InterlockedIncrement(&g_ticks);
}

static void UlThread(PVOID ctx)
{
    (void)ctx;
    KeWaitForSingleObject(&g_stop, Executive, KernelMode, FALSE, NULL);
    PsTerminateSystemThread(STATUS_SUCCESS);
}

static void UlUnload(PDRIVER_OBJECT drv)
{
    (void)drv;
    switch (g_pattern) {
    case P_TIMER:
        if (g_fixed) {
            KeCancelTimer(&g_timer);
            KeFlushQueuedDpcs();
        }
        break;
    case P_POOL:
        if (g_fixed)
            ExFreePoolWithTag(g_context, TAG);
        break;
    case P_THREAD:
        if (g_fixed) {
            KeSetEvent(&g_stop, IO_NO_INCREMENT, FALSE);
            KeWaitForSingleObject(g_thread, Executive, KernelMode, FALSE, NULL);
        }
        ObDereferenceObject(g_thread);
        break;
    default:
        break;
    }
}

static NTSTATUS UlEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    drv->DriverUnload = UlUnload;
    switch (g_pattern) {
    case P_TIMER: {
        KeInitializeDpc(&g_timer_dpc, UlTimerDpc, NULL);
        KeInitializeTimerEx(&g_timer, NotificationTimer);
        LARGE_INTEGER due;
        due.QuadPart = -10LL * 1000 * 1000 * 60; /* a minute, then every minute */
        KeSetTimerEx(&g_timer, due, 60 * 1000, &g_timer_dpc);
        break;
    }
    case P_POOL:
        g_context = ExAllocatePool2(POOL_FLAG_NON_PAGED, 512, TAG);
        if (!g_context)
            return STATUS_INSUFFICIENT_RESOURCES;
        break;
    case P_THREAD: {
        KeInitializeEvent(&g_stop, NotificationEvent, FALSE);
        HANDLE h;
        OBJECT_ATTRIBUTES oa;
        InitializeObjectAttributes(&oa, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
        NTSTATUS st = PsCreateSystemThread(&h, THREAD_ALL_ACCESS, &oa, NULL, NULL, UlThread, NULL);
        if (!NT_SUCCESS(st))
            return st;
        st = ObReferenceObjectByHandle(h, THREAD_ALL_ACCESS, NULL, KernelMode, &g_thread, NULL);
        ZwClose(h);
        return st;
    }
    default:
        break;
    }
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;

static void load(int pattern, int fixed)
{
    g_pattern = pattern;
    g_fixed = fixed;
    g_ticks = 0;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    assert_int_equal(mdlkit_driver_load("mkunloadpattern", UlEntry, &g_drv), STATUS_SUCCESS);
}

static void unload(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

static void expect_clean_unload(void)
{
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 0);
    mdlkit_shutdown();
}

static void test_periodic_timer_left_set_at_unload(void **state)
{
    (void)state;
    load(P_TIMER, 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 1);
    assert_int_equal(bc.code, TIMER_OR_DPC_INVALID);
    assert_int_equal(bc.param[0], 0); /* a timer object */
    assert_int_equal(bc.param[1], (ULONG_PTR)&g_timer);
    KeCancelTimer(&g_timer);
    mdlkit_shutdown();
}

static void test_periodic_timer_cancelled_at_unload_fixed(void **state)
{
    (void)state;
    load(P_TIMER, 1);
    expect_clean_unload();
}

static void test_context_pool_leaked_at_unload(void **state)
{
    (void)state;
    load(P_POOL, 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_int_equal(bc.param[3], 1); /* one allocation left */
    mdlkit_shutdown();
}

static void test_context_pool_freed_at_unload_fixed(void **state)
{
    (void)state;
    load(P_POOL, 1);
    expect_clean_unload();
}

static void test_polling_thread_not_stopped_at_unload(void **state)
{
    (void)state;
    load(P_THREAD, 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS);
    assert_int_equal(bc.param[0], (ULONG_PTR)UlThread);
    KeSetEvent(&g_stop, IO_NO_INCREMENT, FALSE); /* let it end before the machine goes */
    mdlkit_shutdown();
}

static void test_polling_thread_stopped_at_unload_fixed(void **state)
{
    (void)state;
    load(P_THREAD, 1);
    expect_clean_unload();
}

static void free_context(void *p) { ExFreePoolWithTag(p, TAG); }

static void lookaside_context(int fixed)
{
    load(P_LOOKASIDE, fixed);
    ul_context *c = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *c, TAG);
    assert_non_null(c);
    ExInitializeNPagedLookasideList(&c->requests, NULL, NULL, POOL_NX_ALLOCATION, 128, TAG, 0);
    void *req = ExAllocateFromNPagedLookasideList(&c->requests);
    assert_non_null(req);
    ExFreeToNPagedLookasideList(&c->requests, req);
    if (fixed) {
        ExDeleteNPagedLookasideList(&c->requests);
        free_context(c);
        expect_clean_unload();
        return;
    }
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(free_context, c, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xCC);
    assert_int_equal(bc.param[1], (ULONG_PTR)&c->requests);
    ExDeleteNPagedLookasideList(&c->requests);
    free_context(c);
    expect_clean_unload();
}

static void test_lookaside_list_freed_with_its_context(void **state)
{
    (void)state;
    lookaside_context(0);
}

static void test_lookaside_list_deleted_before_free_fixed(void **state)
{
    (void)state;
    lookaside_context(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periodic_timer_left_set_at_unload),
        cmocka_unit_test(test_periodic_timer_cancelled_at_unload_fixed),
        cmocka_unit_test(test_context_pool_leaked_at_unload),
        cmocka_unit_test(test_context_pool_freed_at_unload_fixed),
        cmocka_unit_test(test_polling_thread_not_stopped_at_unload),
        cmocka_unit_test(test_polling_thread_stopped_at_unload_fixed),
        cmocka_unit_test(test_lookaside_list_freed_with_its_context),
        cmocka_unit_test(test_lookaside_list_deleted_before_free_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
