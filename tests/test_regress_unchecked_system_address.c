/* Regression (issue #18, lint MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS): a
 * driver sets MDL_MAPPING_CAN_FAIL and maps with MmGetSystemAddressForMdl
 * (no Safe), then copies through the result without testing it. When the
 * system runs out of mapping space the NULL is dereferenced. mdlkit's lint
 * category reports that use -- at the fault on the null page, naming the
 * call that returned NULL -- and nothing when the driver tests the result
 * and fails the request. The mapping space is exhausted by the test first
 * (kernel mappings of a locked buffer until one fails). Lint is opt-in
 * and independent of the verifier options; under Driver Verifier,
 * MmMapLockedPages of an MDL without MDL_MAPPING_CAN_FAIL is 0xC4/0x81 and
 * MmMapLockedPagesSpecifyCache with BugCheckOnFailure is 0xC4/0x82, both
 * before any mapping, while with the flag both may return NULL (a false
 * alarm mdlkit raised whatever the flag: test_can_fail_mapping_under_verifier). */
#include "testutil.h"
#include <wdm.h>

#define TAG 'tlsU'
#define BUF_BYTES ((ULONG)(2u << 20))
#define MAX_MAPS 4096

static PUCHAR g_buf;
static PMDL g_maps[MAX_MAPS];
static int g_nmaps;

static void boot(int lint)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)16 << 20;
    c.verifier_flags = 0;
    c.lint = lint;
    assert_int_equal(mdlkit_init(&c), 0);
}

static PMDL locked_mdl(void)
{
    PMDL m = IoAllocateMdl(g_buf, BUF_BYTES, FALSE, FALSE, NULL);
    assert_non_null(m);
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    return m;
}

/* Maps the locked buffer again and again until the system has no room
 * left for one more kernel mapping of it. */
static void exhaust_mappings(void)
{
    g_buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, BUF_BYTES, TAG);
    assert_non_null(g_buf);
    for (g_nmaps = 0; g_nmaps < MAX_MAPS; g_nmaps++) {
        PMDL m = locked_mdl();
        if (!MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, HighPagePriority)) {
            MmUnlockPages(m);
            IoFreeMdl(m);
            break;
        }
        g_maps[g_nmaps] = m;
    }
    assert_true(g_nmaps < MAX_MAPS); /* the space ran out */
}

static void release_mappings(void)
{
    for (int i = 0; i < g_nmaps; i++) {
        MmUnmapLockedPages(g_maps[i]->MappedSystemVa, g_maps[i]);
        MmUnlockPages(g_maps[i]);
        IoFreeMdl(g_maps[i]);
    }
    g_nmaps = 0;
}

static PMDL g_req_mdl;
static const char g_payload[] = "header";
static NTSTATUS g_status;

/* The bug: the result is used as it comes. */
static __attribute__((noinline)) NTSTATUS driver_fill_unchecked(PMDL mdl)
{
    mdl->MdlFlags |= MDL_MAPPING_CAN_FAIL;
    PUCHAR va = MmGetSystemAddressForMdl(mdl);
    RtlCopyMemory(va + 16, g_payload, sizeof g_payload);
    return STATUS_SUCCESS;
}

/* The fix: the result is tested and the request fails. */
static __attribute__((noinline)) NTSTATUS driver_fill_checked(PMDL mdl)
{
    mdl->MdlFlags |= MDL_MAPPING_CAN_FAIL;
    PUCHAR va = MmGetSystemAddressForMdl(mdl);
    if (!va)
        return STATUS_INSUFFICIENT_RESOURCES;
    RtlCopyMemory(va + 16, g_payload, sizeof g_payload);
    return STATUS_SUCCESS;
}

/* Some other NULL dereference of the same thread later, unrelated to the
 * mapping: never attributed to it. */
static volatile PUCHAR g_unrelated;
static __attribute__((noinline)) void driver_other_bug(void) { g_unrelated[8] = 1; }

static void run_unchecked(void *arg)
{
    (void)arg;
    g_status = driver_fill_unchecked(g_req_mdl);
}

static void run_checked_then_other_bug(void *arg)
{
    (void)arg;
    g_status = driver_fill_checked(g_req_mdl);
    driver_other_bug();
}

static void test_unchecked_system_address_null_used_fatal(void **state)
{
    (void)state;
    boot(MDLKIT_LINT_FATAL);
    exhaust_mappings();
    g_req_mdl = locked_mdl();
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(run_unchecked, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS);
    assert_int_equal(bc.param[2], (ULONG_PTR)g_req_mdl);
    /* P4: the call site that got NULL, inside driver_fill_unchecked (a few
     * hundred bytes of code; sanitizer builds make it larger) */
    assert_true(bc.param[3] > (ULONG_PTR)driver_fill_unchecked);
    assert_true(bc.param[3] < (ULONG_PTR)driver_fill_unchecked + 4096);
    MmUnlockPages(g_req_mdl);
    IoFreeMdl(g_req_mdl);
    release_mappings();
    ExFreePoolWithTag(g_buf, TAG);
    mdlkit_shutdown();
}

/* warn: the finding is counted and the fault is reported as it would be
 * (an unhandled access violation in kernel mode, 0x1E). */
static void test_unchecked_system_address_null_used_warn(void **state)
{
    (void)state;
    boot(MDLKIT_LINT_WARN);
    exhaust_mappings();
    g_req_mdl = locked_mdl();
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(run_unchecked, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)STATUS_ACCESS_VIOLATION);
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS), 1);
    MmUnlockPages(g_req_mdl);
    IoFreeMdl(g_req_mdl);
    release_mappings();
    ExFreePoolWithTag(g_buf, TAG);
    mdlkit_shutdown();
}

/* The fixed driver: no report at all, the request fails; a later unrelated
 * NULL dereference on the thread is an ordinary 0x1E, not this rule. */
static void test_unchecked_system_address_checked_fixed(void **state)
{
    (void)state;
    boot(MDLKIT_LINT_FATAL);
    exhaust_mappings();
    g_req_mdl = locked_mdl();
    g_status = STATUS_PENDING;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(run_checked_then_other_bug, NULL, &bc), 1);
    assert_int_equal(g_status, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(mdlkit_lint_count(MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS), 0);
    /* with room again, the same driver code maps and fills */
    release_mappings();
    assert_int_equal(driver_fill_checked(g_req_mdl), STATUS_SUCCESS);
    assert_memory_equal(g_buf + 16, g_payload, sizeof g_payload);
    MmUnmapLockedPages(g_req_mdl->MappedSystemVa, g_req_mdl);
    MmUnlockPages(g_req_mdl);
    IoFreeMdl(g_req_mdl);
    ExFreePoolWithTag(g_buf, TAG);
    assert_int_equal(mdlkit_lint_count(0), 0);
    mdlkit_shutdown();
}

static PMDL g_probe_mdl;
static void map_legacy(void *arg)
{
    (void)arg;
    (void)MmGetSystemAddressForMdl(g_probe_mdl);
}
static void map_specify_bugcheck_on_failure(void *arg)
{
    (void)arg;
    (void)MmMapLockedPagesSpecifyCache(g_probe_mdl, KernelMode, MmCached, NULL, TRUE,
                                       NormalPagePriority | MdlMappingNoExecute);
}

/* Under the standard options: an MDL with MDL_MAPPING_CAN_FAIL maps with
 * MmGetSystemAddressForMdl or BugCheckOnFailure = TRUE (Windows returns
 * NULL on failure then); without the flag each is 0xC4/0x81 / 0x82. */
static void test_can_fail_mapping_under_verifier(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_STANDARD), 0);
    g_buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, PAGE_SIZE, TAG);
    assert_non_null(g_buf);
    g_probe_mdl = IoAllocateMdl(g_buf, PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_probe_mdl, KernelMode, IoWriteAccess);
    mk_expect_bugcheck(map_legacy, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x81, g_probe_mdl, MK_ANY, 0);
    mk_expect_bugcheck(map_specify_bugcheck_on_failure, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x82, g_probe_mdl,
                       MK_ANY, 0);
    g_probe_mdl->MdlFlags |= MDL_MAPPING_CAN_FAIL;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(map_legacy, NULL, &bc), 0);
    assert_ptr_equal(g_probe_mdl->MappedSystemVa != NULL, 1);
    PUCHAR va = g_probe_mdl->MappedSystemVa;
    va[5] = 0x42;
    assert_int_equal(g_buf[5], 0x42);
    MmUnmapLockedPages(va, g_probe_mdl);
    assert_int_equal(mdlkit_catch_bugcheck(map_specify_bugcheck_on_failure, NULL, &bc), 0);
    MmUnmapLockedPages(g_probe_mdl->MappedSystemVa, g_probe_mdl);
    MmUnlockPages(g_probe_mdl);
    IoFreeMdl(g_probe_mdl);
    ExFreePoolWithTag(g_buf, TAG);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchecked_system_address_null_used_fatal),
        cmocka_unit_test(test_unchecked_system_address_null_used_warn),
        cmocka_unit_test(test_unchecked_system_address_checked_fixed),
        cmocka_unit_test(test_can_fail_mapping_under_verifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
