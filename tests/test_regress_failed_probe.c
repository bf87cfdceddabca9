/* Regression found by the DDI sequence fuzzer (docs/reliability.md): an MDL
 * locked, unlocked, then probed again unsuccessfully (the probe raised
 * STATUS_ACCESS_VIOLATION) and unlocked was reported as "unlocked twice",
 * 0x4E (0x07, 0xFFFFFFFFFFFFFFFF, 0, 0) with the PFN-list end marker as the
 * "PFN". The MDL was never successfully locked by the last probe: the
 * documented report is 0xC4/0x7C (MDL, flags, 0). */
#include "testutil.h"

static PMDL g_mdl;
static void probe_write(void *a)
{
    (void)a;
    MmProbeAndLockPages(g_mdl, UserMode, IoWriteAccess);
}
static void unlock(void *a)
{
    (void)a;
    MmUnlockPages(g_mdl);
}

static void test_unlock_after_failed_probe(void **state)
{
    (void)state;
    void *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    assert_non_null(u);
    g_mdl = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_mdl, UserMode, IoReadAccess);
    MmUnlockPages(g_mdl);
    volatile NTSTATUS st = 0;
    MDLKIT_TRY { probe_write(NULL); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_ACCESS_VIOLATION);
    mk_expect_bugcheck(unlock, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, g_mdl, MK_ANY, 0);
    /* A successful probe after all that still pairs with one unlock. */
    MmProbeAndLockPages(g_mdl, UserMode, IoReadAccess);
    MmUnlockPages(g_mdl);
    IoFreeMdl(g_mdl);
    mdlkit_user_free(u);
}

/* Second finding (30-minute campaign): lock, unlock, a probe at
 * DISPATCH_LEVEL that bug-checks 0xD1 (caught), then unlock. A probe that
 * bug-checks must leave the MDL as it was -- still "unlocked once" -- so the
 * last unlock is "unlocked twice" for user pages, 0x76/0x01. */
static void probe_read_at_dispatch(void *a)
{
    (void)a;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    MmProbeAndLockPages(g_mdl, UserMode, IoReadAccess);
    KeLowerIrql(old);
}

static void test_unlock_after_bugchecked_probe(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(u);
    g_mdl = IoAllocateMdl(u, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_mdl, UserMode, IoWriteAccess);
    MmUnlockPages(g_mdl);
    mk_expect_bugcheck(probe_read_at_dispatch, NULL, DRIVER_IRQL_NOT_LESS_OR_EQUAL, u, DISPATCH_LEVEL, 0, MK_ANY);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mk_expect_bugcheck(unlock, NULL, PROCESS_HAS_LOCKED_PAGES, 0x01, g_mdl, 0, 0);
    IoFreeMdl(g_mdl);
    /* no lock count was left behind: the buffer can be freed */
    mdlkit_user_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unlock_after_failed_probe, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_unlock_after_bugchecked_probe, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
