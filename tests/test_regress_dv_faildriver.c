/* Regression tests for the defects of Microsoft's Driver Verifier
 * demonstration driver (DV-FailDriver-WDM, a toaster monitor with a
 * deliberately injected bug), each written from the sample's description
 * of its defect (no driver code copied), each beside its correct variant,
 * which must run clean under the standard options:
 *
 *  - version_queried_under_queue_lock: on surprise removal the driver
 *    takes its receive-queue spin lock (DISPATCH_LEVEL), and, while
 *    holding it, asks PsGetVersion for the OS version before completing
 *    the queued reads. PsGetVersion is documented for PASSIVE_LEVEL; with
 *    DDI compliance checking Driver Verifier reports the IrqlPsPassive
 *    rule: 0xC4 with P1 0x0002001C. Without that option mdlkit reports
 *    the IRQL misuse as 0xA (as for every kernel routine), P2 the IRQL.
 *    mdlkit used to answer PsGetVersion at any IRQL, so the defect went
 *    unreported. The fix asks for the version before taking the lock (or
 *    once, at start). */
#include "testutil.h"
#include <ntddk.h>

static KSPIN_LOCK g_queue_lock;
static LIST_ENTRY g_queue;
static int g_fixed;
static ULONG g_major, g_minor, g_build;
static mdlkit_bugcheck g_bc;

static void boot(int fixed, ULONG flags)
{
    g_fixed = fixed;
    g_major = g_minor = g_build = 0;
    assert_int_equal(mk_test_setup_flags(flags), 0);
    KeInitializeSpinLock(&g_queue_lock);
    InitializeListHead(&g_queue);
}

/* The surprise-removal path: drain the queue under its lock. */
static void cancel_queued_reads(void *arg)
{
    (void)arg;
    KIRQL old;
    if (g_fixed)
        PsGetVersion(&g_major, &g_minor, &g_build, NULL);
    KeAcquireSpinLock(&g_queue_lock, &old);
    if (IsListEmpty(&g_queue) && !g_fixed)
        PsGetVersion(&g_major, &g_minor, &g_build, NULL);
    KeReleaseSpinLock(&g_queue_lock, old);
}

static void test_version_queried_under_queue_lock(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(g_bc.param[0], 0x0002001C); /* IrqlPsPassive */
    assert_non_null((void *)g_bc.param[1]);      /* the rule's sentence */
    assert_int_equal(g_major, 0);                /* reported before anything was written */
    mdlkit_shutdown();

    boot(0, 0);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 1);
    assert_int_equal(g_bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(g_bc.param[1], DISPATCH_LEVEL);
    mdlkit_shutdown();
}

static void test_version_queried_before_queue_lock_fixed(void **state)
{
    (void)state;
    boot(1, MDLKIT_VERIFY_STANDARD);
    assert_int_equal(mdlkit_catch_bugcheck(cancel_queued_reads, NULL, &g_bc), 0);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    RTL_OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};
    assert_int_equal(RtlGetVersion(&v), STATUS_SUCCESS);
    assert_int_equal(g_major, v.dwMajorVersion);
    assert_int_equal(g_minor, v.dwMinorVersion);
    assert_int_equal(g_build, v.dwBuildNumber);
    assert_int_equal(mk_test_teardown(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_queried_under_queue_lock),
        cmocka_unit_test(test_version_queried_before_queue_lock_fixed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
