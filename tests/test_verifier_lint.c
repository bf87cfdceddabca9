/* The lint category (mdlkit_config.lint / MDLKIT_LINT): mdlkit's own
 * advisories, off by default, warnings when "warn", bug checks when
 * "fatal". Named after the real-world pattern: Windows-driver-samples
 * #1270, ExAllocatePool2 given a POOL_TYPE value as its flags. */
#include "testutil.h"
#include "testndis.h"

#include <ndis.h>
#include <ntddk.h>

#define TAG 'tniL'

static int boot(int lint)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.lint = lint;
    return mdlkit_init(&c);
}

static void pool2_with_pool_type(void *a)
{
    (void)a;
    (void)ExAllocatePool2(NonPagedPoolNx, 64, TAG);
}

static void test_samples_1270_pool2_given_pool_type(void **state)
{
    (void)state;
    /* off (default): the call fails as on Windows, nothing reported */
    assert_int_equal(boot(MDLKIT_LINT_OFF), 0);
    assert_null(ExAllocatePool2(NonPagedPoolNx, 64, TAG));
    assert_int_equal(mdlkit_lint_count(0), 0);
    mdlkit_shutdown();
    /* warn: still fails, one warning counted */
    assert_int_equal(boot(MDLKIT_LINT_WARN), 0);
    assert_null(ExAllocatePool2(NonPagedPoolNx, 64, TAG));
    assert_null(ExAllocatePool2(PagedPool, 64, TAG));
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_POOL2_TYPE), 2);
    assert_int_equal(mdlkit_lint_count(0), 2);
    /* real POOL_FLAGS are not linted */
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    assert_non_null(p);
    ExFreePoolWithTag(p, TAG);
    assert_int_equal(mdlkit_lint_count(0), 2);
    mdlkit_shutdown();
    /* fatal: 0xC4 with the rule ID */
    assert_int_equal(boot(MDLKIT_LINT_FATAL), 0);
    mk_expect_bugcheck(pool2_with_pool_type, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_LINT_POOL2_TYPE,
                       MK_ANY, NonPagedPoolNx, TAG);
    mdlkit_shutdown();
}

/* Older drivers map a request's buffer with MmGetSystemAddressForMdl (no
 * Safe). While the mapping succeeds and is used there is nothing to report:
 * the rule fires only when a NULL result is used
 * (test_regress_unchecked_system_address). */
static void test_legacy_driver_maps_with_mmgetsystemaddressformdl(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_LINT_WARN), 0);
    char *user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    PMDL mdl = IoAllocateMdl(user, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(mdl);
    MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
    char *va = MmGetSystemAddressForMdl(mdl);
    assert_non_null(va);
    va[1] = 'q';
    assert_int_equal(user[1], 'q');
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS), 0);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    mdlkit_user_free(user);
    mdlkit_shutdown();
}

/* A driver keeps one partial MDL per request slot and rebuilds it for each
 * request with IoBuildPartialMdl, skipping MmPrepareMdlForReuse (it works
 * while the partial MDL is never mapped). */
static void test_request_slot_partial_mdl_rebuilt_without_prepare(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_LINT_WARN), 0);
    char *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * PAGE_SIZE, TAG);
    PMDL src = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(src);
    PMDL part = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(src, part, buf, PAGE_SIZE);            /* first build: fine */
    MmPrepareMdlForReuse(part);
    IoBuildPartialMdl(src, part, buf + PAGE_SIZE, PAGE_SIZE); /* prepared: fine */
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_PARTIAL_REUSE), 0);
    IoBuildPartialMdl(src, part, buf, PAGE_SIZE);            /* not prepared: lint */
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_PARTIAL_REUSE), 1);
    assert_ptr_equal(MmGetMdlVirtualAddress(part), buf);
    IoFreeMdl(part);
    IoFreeMdl(src);
    ExFreePoolWithTag(buf, TAG);
    mdlkit_shutdown();
}

/* A miniport allocates with NdisAllocateMemoryWithTagPriority and frees
 * with ExFreePoolWithTag in one path, and frees an ExAllocatePoolWithTag
 * block with NdisFreeMemory in another: both work on Windows (NDIS memory
 * is pool), both are lint findings. */
static NDIS_HANDLE g_ndis;
static NDIS_STATUS NicInit(NDIS_HANDLE h, NDIS_HANDLE dc, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)h, (void)dc, (void)ip;
    return NDIS_STATUS_FAILURE;
}
static void NicHalt(NDIS_HANDLE c, NDIS_HALT_ACTION a) { (void)c, (void)a; }
static void NicShutdown(NDIS_HANDLE c, NDIS_SHUTDOWN_ACTION a) { (void)c, (void)a; }
static void NicUnload(PDRIVER_OBJECT o) { NdisMDeregisterMiniportDriver(g_ndis), (void)o; }
static NTSTATUS NicEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    return mk_test_ndis_register_driver(o, r, NicInit, NicHalt, NicShutdown, NicUnload, &g_ndis);
}

static void test_miniport_mixes_ndis_and_ex_pool_frees(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_LINT_WARN), 0);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("mixnic", NicEntry, &drv), STATUS_SUCCESS);
    PVOID a = NdisAllocateMemoryWithTagPriority(g_ndis, 64, TAG, NormalPoolPriority);
    assert_non_null(a);
    ExFreePoolWithTag(a, TAG); /* NDIS memory through ExFreePool */
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_ALLOCATOR_FAMILY), 1);
    PVOID b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    assert_non_null(b);
    NdisFreeMemory(b, 64, 0); /* pool through NdisFreeMemory */
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_ALLOCATOR_FAMILY), 2);
    PVOID c = NdisAllocateMemoryWithTagPriority(g_ndis, 64, TAG, NormalPoolPriority);
    NdisFreeMemoryWithTagPriority(g_ndis, c, TAG); /* matched: nothing */
    PVOID d = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    ExFreePoolWithTag(d, TAG);
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_ALLOCATOR_FAMILY), 2);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_lint_option_parsed_and_checked(void **state)
{
    (void)state;
    setenv("MDLKIT_LINT", "warn", 1);
    mdlkit_config c;
    mdlkit_config_default(&c);
    assert_int_equal(c.lint, MDLKIT_LINT_WARN);
    setenv("MDLKIT_LINT", "fatal", 1);
    mdlkit_config_default(&c);
    assert_int_equal(c.lint, MDLKIT_LINT_FATAL);
    unsetenv("MDLKIT_LINT");
    mdlkit_config_default(&c);
    assert_int_equal(c.lint, MDLKIT_LINT_OFF);
    mk_test_config(&c);
    c.lint = 7;
    assert_int_equal(mdlkit_init(&c), -1);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_samples_1270_pool2_given_pool_type),
        cmocka_unit_test(test_legacy_driver_maps_with_mmgetsystemaddressformdl),
        cmocka_unit_test(test_request_slot_partial_mdl_rebuilt_without_prepare),
        cmocka_unit_test(test_miniport_mixes_ndis_and_ex_pool_frees),
        cmocka_unit_test(test_lint_option_parsed_and_checked),
    };
    return cmocka_run_group_tests_name("lint category", t, NULL, NULL);
}
