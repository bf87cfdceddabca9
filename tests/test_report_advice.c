/* The advice a bug-check report gives ("What went wrong") agrees with the
 * state the parameters describe (issue #17, item 7): one test per advice
 * text of 0xC4/0xB8, each raising the bug check for real and checking the
 * sentence against the MDL flags in parameter 3. */
#include "testutil.h"
#include <ntddk.h>

#include "mk_base.h"

static PMDL g_mdl, g_partial;
static PUCHAR g_user;

static const char *advice(const mdlkit_bugcheck *bc) { return mk_bugdesc_what(bc); }

static mdlkit_bugcheck caught(void (*fn)(void *))
{
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    assert_int_equal(mdlkit_catch_bugcheck(fn, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xB8);
    assert_ptr_equal((void *)bc.param[1], g_mdl ? (void *)g_mdl : (void *)g_partial);
    return bc;
}

/* Locked by MmProbeAndLockPages, mapped by MmGetSystemAddressForMdlSafe,
 * freed without MmUnlockPages: the advice is MmUnlockPages (not "unmap"). */
static void free_locked(void *arg)
{
    (void)arg;
    g_mdl = IoAllocateMdl(g_user, 100, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_mdl, UserMode, IoWriteAccess);
    assert_non_null(MmGetSystemAddressForMdlSafe(g_mdl, NormalPagePriority));
    IoFreeMdl(g_mdl);
}
static void test_advice_locked_and_mapped(void **state)
{
    (void)state;
    g_user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    g_partial = NULL;
    mdlkit_bugcheck bc = caught(free_locked);
    assert_true(bc.param[2] & MDL_PAGES_LOCKED);
    assert_true(bc.param[2] & MDL_MAPPED_TO_SYSTEM_VA);
    const char *a = advice(&bc);
    assert_non_null(strstr(a, "pages are locked and still mapped"));
    assert_non_null(strstr(a, "for pages locked by MmProbeAndLockPages call MmUnlockPages first"));
    assert_null(strstr(a, "unmap first")); /* the old, wrong advice */
    MmUnlockPages(g_mdl); /* the fix the advice names: then the free passes */
    IoFreeMdl(g_mdl);
    mdlkit_user_free(g_user);
}

/* Pages from MmAllocatePagesForMdlEx, mapped with MmMapLockedPagesSpecifyCache
 * (not locked by probing), freed while mapped: the advice is to unmap. */
static void free_mapped(void *arg)
{
    (void)arg;
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0;
    hi.QuadPart = -1;
    skip.QuadPart = 0;
    g_mdl = MmAllocatePagesForMdlEx(lo, hi, skip, PAGE_SIZE, MmCached, 0);
    assert_non_null(g_mdl);
    assert_non_null(MmMapLockedPagesSpecifyCache(g_mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority));
    IoFreeMdl(g_mdl);
}
static void test_advice_mapped_not_probed(void **state)
{
    (void)state;
    g_partial = NULL;
    mdlkit_bugcheck bc = caught(free_mapped);
    assert_true(bc.param[2] & MDL_MAPPED_TO_SYSTEM_VA);
    const char *a = advice(&bc);
    /* MmAllocatePagesForMdl's pages count as locked: the advice names the
     * mapping call that matches (and not "unmap" alone for probed pages) */
    if (bc.param[2] & MDL_PAGES_LOCKED)
        assert_non_null(strstr(a, "for a mapping made with MmMapLockedPages* (e.g. of MmAllocatePagesForMdl pages) "
                                  "call MmUnmapLockedPages first"));
    else
        assert_non_null(strstr(a, "not locked) was freed (IoFreeMdl) or prepared for reuse: call MmUnmapLockedPages"));
    MmUnmapLockedPages(g_mdl->MappedSystemVa, g_mdl);
    MmFreePagesFromMdl(g_mdl);
    ExFreePool(g_mdl);
}

/* A partial MDL mapped, then built into again without
 * MmPrepareMdlForReuse: the advice names MmPrepareMdlForReuse. */
static PUCHAR g_np;
static void reuse_partial(void *arg)
{
    PMDL parent = arg;
    IoBuildPartialMdl(parent, g_partial, g_np + 10, 100);
}
static void test_advice_partial_reuse(void **state)
{
    (void)state;
    g_np = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PMDL parent = IoAllocateMdl(g_np, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(parent, UserMode, IoWriteAccess);
    g_partial = IoAllocateMdl(g_np, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(parent, g_partial, g_np + PAGE_SIZE, 100);
    assert_non_null(MmGetSystemAddressForMdlSafe(g_partial, NormalPagePriority));
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(reuse_partial, parent, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xB8);
    assert_ptr_equal((void *)bc.param[1], g_partial);
    assert_true(bc.param[2] & MDL_PARTIAL_HAS_BEEN_MAPPED);
    assert_non_null(strstr(advice(&bc), "call MmPrepareMdlForReuse before building into it again"));
    MmPrepareMdlForReuse(g_partial); /* the fix: then the reuse passes */
    IoBuildPartialMdl(parent, g_partial, g_np + 10, 100);
    IoFreeMdl(g_partial);
    MmUnlockPages(parent);
    IoFreeMdl(parent);
    mdlkit_user_free(g_np);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_advice_locked_and_mapped, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_advice_mapped_not_probed, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_advice_partial_reuse, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
