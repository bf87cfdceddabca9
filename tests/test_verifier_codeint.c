/* Code integrity checking (0x02000000): executable memory a driver asks for
 * is 0xC4 with the documented subcode (0x2000 pool type, 0x2002 MDL mapping
 * without MdlMappingNoExecute), parameter 2 the driver's code. Tests named
 * after the real-world patterns: virtio-win's NonPagedPool allocations
 * ("verifier crash on Windows 10"), tap-windows6's MDL mappings. */
#include "testutil.h"

#include <ntddk.h>

#define TAG 'tnIC'

static int boot(ULONG flags)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = flags;
    return mdlkit_init(&c);
}

static void alloc_nonpaged(void *a)
{
    (void)a;
    (void)ExAllocatePoolWithTag(NonPagedPool, 64, TAG);
}
static void alloc2_exec(void *a)
{
    (void)a;
    (void)ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE, 64, TAG);
}
static NPAGED_LOOKASIDE_LIST g_la;
static void lookaside_exec(void *a)
{
    (void)a;
    ExInitializeNPagedLookasideList(&g_la, NULL, NULL, 0, 64, TAG, 0);
}

static void test_virtio_win_nonpagedpool_under_code_integrity(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_CODE_INTEGRITY), 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(alloc_nonpaged, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x2000);
    assert_true(bc.param[1] != 0); /* the driver's code */
    assert_int_equal(bc.param[2], NonPagedPool);
    assert_int_equal(bc.param[3], TAG);
    mk_expect_bugcheck(alloc2_exec, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x2000, MK_ANY, NonPagedPoolExecute,
                       TAG);
    mk_expect_bugcheck(lookaside_exec, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x2000, MK_ANY, NonPagedPool, TAG);
    /* the NX forms pass */
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG);
    p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG);
    p = ExAllocatePoolWithTag(PagedPool, 64, TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG);
    ExInitializeNPagedLookasideList(&g_la, NULL, NULL, POOL_NX_ALLOCATION, 64, TAG, 0);
    ExDeleteNPagedLookasideList(&g_la);
    mdlkit_shutdown();
}

static PMDL g_mdl;
static void map_exec(void *a)
{
    (void)a;
    (void)MmMapLockedPagesSpecifyCache(g_mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}

static void test_tap_windows6_mdl_mapping_without_noexecute(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_CODE_INTEGRITY), 0);
    char *user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    g_mdl = IoAllocateMdl(user, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(g_mdl);
    MmProbeAndLockPages(g_mdl, KernelMode, IoWriteAccess);
    mk_expect_bugcheck(map_exec, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x2002, MK_ANY, NormalPagePriority, 0);
    char *va = MmGetSystemAddressForMdlSafe(g_mdl, NormalPagePriority | MdlMappingNoExecute);
    assert_non_null(va);
    va[0] = 'x';
    assert_int_equal(user[0], 'x');
    MmUnlockPages(g_mdl);
    IoFreeMdl(g_mdl);
    mdlkit_user_free(user);
    mdlkit_shutdown();
}

static void test_code_integrity_off_allows_executable_pool(void **state)
{
    (void)state;
    assert_int_equal(boot(0), 0);
    void *p = ExAllocatePoolWithTag(NonPagedPool, 64, TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_virtio_win_nonpagedpool_under_code_integrity),
        cmocka_unit_test(test_tap_windows6_mdl_mapping_without_noexecute),
        cmocka_unit_test(test_code_integrity_off_allows_executable_pool),
    };
    return cmocka_run_group_tests_name("code integrity checking", t, NULL, NULL);
}
