/* Regression tests for the NDIS DDI-compliance rules that Microsoft's
 * SDV-FailDriver-NDIS sample breaks on purpose (Windows finds them with
 * Static Driver Verifier only), each pattern written here in our own words
 * as a small miniport, each beside its correct variant, which must run
 * clean:
 *
 *  - ndis_allocate_memory_with_tag_zero (rule
 *    NdisAllocateMemoryWithTagPriority): the adapter context allocated with
 *    Tag 0. The pool underneath refuses a zero tag: 0xC2 BAD_POOL_CALLER
 *    subcode 0x9B (pool type, bytes, caller), whatever the options.
 *  - adapter_context_freed_at_end_of_initialize: MiniportInitializeEx
 *    frees its adapter context on the way out even when it succeeds, then
 *    MiniportHaltEx uses and frees it again. With special pool the first
 *    touch in MiniportHaltEx is 0xD5 (use after free); without it, the
 *    second free is 0xC2 subcode 7 (double free).
 *  - stall_execution_longer_than_50us (rule NdisStallExecution_Delay):
 *    NdisStallExecution(100) in MiniportHaltEx. Under DDI compliance
 *    checking 0xC4 / MDLKIT_RULE_NDIS_STALL_EXECUTION_DELAY (100, 50); 50
 *    microseconds (and NdisMSleep for longer waits) are clean.
 *  - scatter_gather_dma_not_deregistered_at_halt (rule Init_RegisterSG):
 *    NdisMRegisterScatterGatherDma in MiniportInitializeEx, no
 *    NdisMDeregisterScatterGatherDma in MiniportHaltEx (the flag that
 *    would have told halt to deregister was never set): 0xC4 /
 *    MDLKIT_RULE_NDIS_SG_DMA_LEAK (DMA handle, adapter) when the halt
 *    returns, always; and the same when MiniportInitializeEx fails after
 *    registering without undoing it.
 *  - spin_lock_acquired_in_isr (rule Irql_Synch_Function):
 *    NdisAcquireSpinLock inside MiniportInterrupt, which runs at the
 *    device IRQL: 0xC4 / 0x42 (KeAcquireSpinLock above DISPATCH_LEVEL:
 *    IRQL, lock); the correct ISR touches no spin lock (a DPC does, or
 *    NdisMSynchronizeWithInterruptEx).
 *  - miniport_pause_returns_failure (rule MiniportPause_Return):
 *    MiniportPause returning NDIS_STATUS_FAILURE when work is outstanding
 *    instead of NDIS_STATUS_PENDING: 0xC4 / MDLKIT_RULE_NDIS_STATE.
 *
 * Two rules of that sample are not run-time events: Flags_Irql
 * (KeGetCurrentIrql in MiniportReturnNetBufferLists where the flags say
 * the IRQL) and MiniportCheckForHang_Return (mdlkit never calls
 * MiniportCheckForHangEx); docs/ndis.md says so. */
#include "testutil.h"
#include "testndis.h"

#include <ndis.h>

#define TAG_ADAPTER 'rdAT'

enum {
    BAD_TAG_ZERO = 1,
    BAD_FREE_IN_INIT = 2,
    BAD_LONG_STALL = 4,
    BAD_KEEP_SG = 8,
    BAD_INIT_FAIL_KEEP_SG = 16,
    BAD_LOCK_IN_ISR = 32,
    BAD_PAUSE_FAILS = 64,
    WITH_INTERRUPT = 128,
};

typedef struct adapter {
    NDIS_HANDLE handle;
    NDIS_SPIN_LOCK lock;
    NDIS_HANDLE dma;
    NDIS_HANDLE interrupt;
    ULONG busy; /* outstanding work, as the pause handler sees it */
    ULONG isr_calls;
} adapter;

static ULONG g_bad;
static NDIS_HANDLE g_driver;
static PDRIVER_OBJECT g_drv;
static PVOID g_ad;
static adapter *g_adapter;

static BOOLEAN SdvIsr(NDIS_HANDLE ctx, PBOOLEAN queue_dpc, PULONG targets)
{
    adapter *a = ctx;
    if (g_bad & BAD_LOCK_IN_ISR) {
        NdisAcquireSpinLock(&a->lock);
        a->isr_calls++;
        NdisReleaseSpinLock(&a->lock);
    } else {
        a->isr_calls++; /* the interrupt's own lock is held: nothing else needed */
    }
    *queue_dpc = FALSE;
    *targets = 0;
    return TRUE;
}

static void SdvDpc(NDIS_HANDLE ctx, PVOID dpc_ctx, PVOID r1, PVOID r2)
{
    (void)ctx, (void)dpc_ctx, (void)r1, (void)r2;
}
static void SdvIntOff(NDIS_HANDLE ctx) { (void)ctx; }
static void SdvIntOn(NDIS_HANDLE ctx) { (void)ctx; }
static void SdvProcessSg(PDEVICE_OBJECT d, PVOID r, PSCATTER_GATHER_LIST l, PVOID c)
{
    (void)d, (void)r, (void)l, (void)c;
}

static NDIS_STATUS SdvInitialize(NDIS_HANDLE h, NDIS_HANDLE drv_ctx, PNDIS_MINIPORT_INIT_PARAMETERS params)
{
    (void)drv_ctx, (void)params;
    adapter *a = NdisAllocateMemoryWithTagPriority(h, sizeof *a, (g_bad & BAD_TAG_ZERO) ? 0 : TAG_ADAPTER,
                                                   LowPoolPriority);
    __sdv_save_adapter_context(&a); /* SDV's marker (driverspecs.h): nothing at run time */
    if (!a)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(a, sizeof *a);
    a->handle = h;
    g_adapter = a;
    NDIS_STATUS st = mk_test_ndis_registration(
        h, a, NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER);
    if (st == NDIS_STATUS_SUCCESS)
        st = mk_test_ndis_general(h);
    if (st != NDIS_STATUS_SUCCESS)
        goto fail;
    NdisAllocateSpinLock(&a->lock);
    NDIS_SG_DMA_DESCRIPTION d;
    NdisZeroMemory(&d, sizeof d);
    d.Header.Type = NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION;
    d.Header.Revision = NDIS_SG_DMA_DESCRIPTION_REVISION_1;
    d.Header.Size = NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1;
    d.ProcessSGListHandler = SdvProcessSg;
    st = NdisMRegisterScatterGatherDma(h, &d, &a->dma);
    if (st != NDIS_STATUS_SUCCESS)
        goto fail;
    if (g_bad & WITH_INTERRUPT) {
        NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS ic;
        NdisZeroMemory(&ic, sizeof ic);
        ic.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT;
        ic.Header.Revision = NDIS_MINIPORT_INTERRUPT_REVISION_1;
        ic.Header.Size = NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1;
        ic.InterruptHandler = SdvIsr;
        ic.InterruptDpcHandler = SdvDpc;
        ic.DisableInterruptHandler = SdvIntOff;
        ic.EnableInterruptHandler = SdvIntOn;
        st = NdisMRegisterInterruptEx(h, a, &ic, &a->interrupt);
        if (st != NDIS_STATUS_SUCCESS)
            goto fail;
    }
    if (g_bad & BAD_INIT_FAIL_KEEP_SG) {
        st = NDIS_STATUS_ADAPTER_NOT_FOUND; /* a later step failed; the registration is not undone */
        NdisFreeSpinLock(&a->lock);
        NdisFreeMemory(a, 0, 0);
        g_adapter = NULL;
        return st;
    }
    if (g_bad & BAD_FREE_IN_INIT)
        NdisFreeMemory(a, 0, 0); /* the bug: freed although the adapter is up */
    return NDIS_STATUS_SUCCESS;
fail:
    if (a->dma)
        NdisMDeregisterScatterGatherDma(a->dma);
    NdisFreeMemory(a, 0, 0);
    g_adapter = NULL;
    return st;
}

static void SdvHalt(NDIS_HANDLE ctx, NDIS_HALT_ACTION action)
{
    (void)action;
    adapter *a = ctx;
    NdisAcquireSpinLock(&a->lock);
    a->busy = 0;
    NdisReleaseSpinLock(&a->lock);
    NdisStallExecution((g_bad & BAD_LONG_STALL) ? 100 : 50);
    if (a->interrupt)
        NdisMDeregisterInterruptEx(a->interrupt);
    if (!(g_bad & BAD_KEEP_SG))
        NdisMDeregisterScatterGatherDma(a->dma);
    NdisFreeSpinLock(&a->lock);
    NdisFreeMemory(a, 0, 0);
    g_adapter = NULL;
}

static NDIS_STATUS SdvPause(NDIS_HANDLE ctx, PNDIS_MINIPORT_PAUSE_PARAMETERS p)
{
    (void)p;
    adapter *a = ctx;
    NDIS_STATUS st = NDIS_STATUS_SUCCESS;
    NdisAcquireSpinLock(&a->lock);
    if (a->busy) /* the correct miniport would pend and call NdisMPauseComplete later */
        st = (g_bad & BAD_PAUSE_FAILS) ? NDIS_STATUS_FAILURE : NDIS_STATUS_PENDING;
    NdisReleaseSpinLock(&a->lock);
    if (st == NDIS_STATUS_PENDING) {
        a->busy = 0;
        NdisMPauseComplete(a->handle);
    }
    return st == NDIS_STATUS_PENDING ? NDIS_STATUS_PENDING : st;
}

static NDIS_STATUS SdvRestart(NDIS_HANDLE ctx, PNDIS_MINIPORT_RESTART_PARAMETERS p)
{
    (void)ctx, (void)p;
    return NDIS_STATUS_SUCCESS;
}

static void SdvShutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION action) { (void)ctx, (void)action; }

/* The rest of the data path (NDIS wants all of it or none): not used. */
static NDIS_STATUS SdvOid(NDIS_HANDLE ctx, PNDIS_OID_REQUEST r)
{
    (void)ctx, (void)r;
    return NDIS_STATUS_NOT_SUPPORTED;
}
static void SdvCancelOid(NDIS_HANDLE ctx, PVOID id) { (void)ctx, (void)id; }
static void SdvSend(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbl, NDIS_PORT_NUMBER port, ULONG flags)
{
    (void)port;
    adapter *a = ctx;
    for (PNET_BUFFER_LIST n = nbl; n; n = NET_BUFFER_LIST_NEXT_NBL(n))
        NET_BUFFER_LIST_STATUS(n) = NDIS_STATUS_SUCCESS;
    NdisMSendNetBufferListsComplete(a->handle, nbl,
                                    NDIS_TEST_SEND_AT_DISPATCH_LEVEL(flags) ? NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL : 0);
}
static void SdvReturn(NDIS_HANDLE ctx, PNET_BUFFER_LIST nbl, ULONG flags) { (void)ctx, (void)nbl, (void)flags; }
static void SdvCancelSend(NDIS_HANDLE ctx, PVOID id) { (void)ctx, (void)id; }
static void SdvPnp(NDIS_HANDLE ctx, PNET_DEVICE_PNP_EVENT e) { (void)ctx, (void)e; }
static void SdvUnload(PDRIVER_OBJECT o)
{
    (void)o;
    NdisMDeregisterMiniportDriver(g_driver);
}

static NTSTATUS SdvDriverEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 6;
    ch.InitializeHandlerEx = SdvInitialize;
    ch.HaltHandlerEx = SdvHalt;
    ch.ShutdownHandlerEx = SdvShutdown;
    ch.PauseHandler = SdvPause;
    ch.RestartHandler = SdvRestart;
    ch.OidRequestHandler = SdvOid;
    ch.CancelOidRequestHandler = SdvCancelOid;
    ch.SendNetBufferListsHandler = SdvSend;
    ch.ReturnNetBufferListsHandler = SdvReturn;
    ch.CancelSendHandler = SdvCancelSend;
    ch.DevicePnPEventNotifyHandler = SdvPnp;
    ch.UnloadHandler = SdvUnload;
    o->DriverUnload = SdvUnload;
    return (NTSTATUS)NdisMRegisterMiniportDriver(o, r, NULL, &ch, &g_driver);
}

static void boot(ULONG flags, ULONG bad)
{
    assert_int_equal(mk_test_setup_flags(flags), 0);
    g_bad = bad;
    g_adapter = NULL;
    g_ad = NULL;
    assert_int_equal(mdlkit_driver_load("sdvlike", SdvDriverEntry, &g_drv), STATUS_SUCCESS);
}

static void start(void *arg)
{
    (void)arg;
    NTSTATUS st = mdlkit_ndis_start_adapter(g_drv, &g_ad);
    (void)st;
}
static void halt(void *arg)
{
    (void)arg;
    mdlkit_ndis_halt_adapter(g_ad);
}
static void interrupt(void *arg)
{
    (void)arg;
    mdlkit_ndis_interrupt(g_ad);
}
static void pause_busy(void *arg)
{
    (void)arg;
    g_adapter->busy = 1;
    mdlkit_ndis_pause_adapter(g_ad, 10000);
}

/* The correct variant, under every check these rules touch. */
static void run_clean(ULONG flags)
{
    boot(flags, WITH_INTERRUPT);
    assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_adapter->isr_calls, 1);
    g_adapter->busy = 1;
    assert_int_equal(mdlkit_ndis_pause_adapter(g_ad, 10000), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_restart_adapter(g_ad, 10000), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_null(g_adapter);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_sdv_rules_correct_variant_clean(void **state)
{
    (void)state;
    run_clean(0);
    run_clean(MDLKIT_VERIFY_STANDARD);
}

static void test_ndis_allocate_memory_with_tag_zero(void **state)
{
    (void)state;
    boot(0, BAD_TAG_ZERO);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 1);
    assert_int_equal(bc.code, BAD_POOL_CALLER);
    assert_int_equal(bc.param[0], 0x9B);
    assert_int_equal(bc.param[2], sizeof(adapter));
    assert_null(g_adapter); /* nothing was allocated */
    mk_test_teardown_after_bugcheck(NULL);
}

#if defined(__SANITIZE_THREAD__)
#define SDV_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SDV_TSAN 1
#endif
#endif

static void test_adapter_context_freed_at_end_of_initialize(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
#ifndef SDV_TSAN
    /* special pool: the first touch in MiniportHaltEx (its spin lock). Not
     * under ThreadSanitizer: the fault comes inside its runtime's atomic
     * compare-exchange, which holds the runtime's own lock, and the
     * machine's fault handler (instrumented code) waits on that lock. */
    boot(MDLKIT_VERIFY_STANDARD, BAD_FREE_IN_INIT);
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_non_null(g_ad);
    assert_int_equal(mdlkit_catch_bugcheck(halt, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL);
    assert_int_equal(bc.param[0], (ULONG_PTR)&g_adapter->lock.SpinLock);
    mk_test_teardown_after_bugcheck(NULL);
#endif

    /* no options: MiniportHaltEx runs on freed memory, its free is the
     * second one */
    boot(0, BAD_FREE_IN_INIT);
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(halt, NULL, &bc), 1);
    assert_int_equal(bc.code, BAD_POOL_CALLER);
    assert_int_equal(bc.param[0], 0x07);
    mk_test_teardown_after_bugcheck(NULL);
}

static void test_stall_execution_longer_than_50us(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_DDI_COMPLIANCE, BAD_LONG_STALL);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(halt, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_STALL_EXECUTION_DELAY);
    assert_int_equal(bc.param[2], 100);
    assert_int_equal(bc.param[3], 50);
    mk_test_teardown_after_bugcheck(NULL);

    /* without DDI compliance checking the stall simply happens (Windows'
     * check is static) */
    boot(0, BAD_LONG_STALL);
    assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();

    /* at any IRQL: 50 us at DISPATCH_LEVEL and at the device IRQL is clean */
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisStallExecution(50);
    KeLowerIrql(old);
    KeRaiseIrql(HIGH_LEVEL, &old);
    NdisStallExecution(1);
    KeLowerIrql(old);
    mdlkit_shutdown();
}

static void test_scatter_gather_dma_not_deregistered_at_halt(void **state)
{
    (void)state;
    boot(0, BAD_KEEP_SG);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(halt, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_SG_DMA_LEAK);
    assert_int_not_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], (ULONG_PTR)g_ad);
    mk_test_teardown_after_bugcheck(NULL);

    /* MiniportInitializeEx failing after registering, without undoing it */
    boot(0, BAD_INIT_FAIL_KEEP_SG);
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_SG_DMA_LEAK);
    mk_test_teardown_after_bugcheck(NULL);
}

static void test_spin_lock_acquired_in_isr(void **state)
{
    (void)state;
    boot(0, BAD_LOCK_IN_ISR | WITH_INTERRUPT);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(interrupt, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x42);
    assert_true(bc.param[1] > DISPATCH_LEVEL);
    assert_int_equal(bc.param[2], (ULONG_PTR)&g_adapter->lock.SpinLock);
    mk_test_teardown_after_bugcheck(NULL);
}

static void test_miniport_pause_returns_failure(void **state)
{
    (void)state;
    boot(0, BAD_PAUSE_FAILS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(start, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(pause_busy, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_STATE);
    mk_test_teardown_after_bugcheck(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sdv_rules_correct_variant_clean),
        cmocka_unit_test(test_ndis_allocate_memory_with_tag_zero),
        cmocka_unit_test(test_adapter_context_freed_at_end_of_initialize),
        cmocka_unit_test(test_stall_execution_longer_than_50us),
        cmocka_unit_test(test_scatter_gather_dma_not_deregistered_at_halt),
        cmocka_unit_test(test_spin_lock_acquired_in_isr),
        cmocka_unit_test(test_miniport_pause_returns_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
