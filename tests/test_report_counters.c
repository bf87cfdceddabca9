/* The verifier counters (issue #17, items 9 and 10): cumulative and current
 * values apart under !verifier's names (mdlkit_verifier_counters_get, the
 * JSON report's "counters" / "current" / "peak", the text report), the
 * !pool-style lookup (mdlkit_pool_describe, `mdlkit report --pool`), and
 * leak sizes in the right unit. */
#include "testutil.h"
#include <ntddk.h>

#include <libgen.h>

#define TAG 'tnCT'

static ULONG64 json_num(const char *json, const char *section, const char *key)
{
    const char *s = strstr(json, section);
    assert_non_null(s);
    char k[128];
    snprintf(k, sizeof k, "\"%s\": ", key);
    const char *p = strstr(s, k);
    assert_non_null(p);
    return strtoull(p + strlen(k), NULL, 10);
}

static void test_cumulative_and_current_apart(void **state)
{
    (void)state;
    mdlkit_verifier_counters c0, c1, c2;
    mdlkit_verifier_counters_get(&c0);
    PVOID p[3];
    for (int i = 0; i < 3; i++)
        p[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, TAG);
    PVOID pg = ExAllocatePool2(POOL_FLAG_PAGED, 300, TAG);
    ExFreePoolWithTag(p[2], TAG);
    mdlkit_verifier_counters_get(&c1);
    /* cumulative: 4 attempted, 4 succeeded (the free does not count down) */
    assert_int_equal(c1.AllocationsAttempted - c0.AllocationsAttempted, 4);
    assert_int_equal(c1.AllocationsSucceeded - c0.AllocationsSucceeded, 4);
    assert_int_equal(c1.AllocationsFailed, 0);
    /* current: two non-paged and one paged block live now */
    assert_int_equal(c1.CurrentNonPagedPoolAllocations - c0.CurrentNonPagedPoolAllocations, 2);
    assert_int_equal(c1.CurrentPagedPoolAllocations - c0.CurrentPagedPoolAllocations, 1);
    assert_int_equal(c1.NonPagedBytes - c0.NonPagedBytes, 200);
    assert_int_equal(c1.PagedBytes - c0.PagedBytes, 300);
    assert_true(c1.PeakNonPagedPoolAllocations >= c1.CurrentNonPagedPoolAllocations);
    ExFreePoolWithTag(p[0], TAG);
    ExFreePoolWithTag(p[1], TAG);
    ExFreePoolWithTag(pg, TAG);
    mdlkit_verifier_counters_get(&c2);
    assert_int_equal(c2.CurrentNonPagedPoolAllocations, c0.CurrentNonPagedPoolAllocations); /* back down */
    assert_int_equal(c2.AllocationsSucceeded, c1.AllocationsSucceeded);                     /* never down */
    assert_int_equal(c2.PeakNonPagedPoolAllocations, c1.PeakNonPagedPoolAllocations);       /* the peak stays */
    assert_int_equal(c2.PeakPagedBytes, c1.PeakPagedBytes);
}

static void test_locked_pages_are_current(void **state)
{
    (void)state;
    PUCHAR user = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    PMDL mdl = IoAllocateMdl(user, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
    mdlkit_verifier_counters c;
    mdlkit_verifier_counters_get(&c);
    assert_int_equal(c.LockedPages, 3);
    const char *json = mk_test_report_json();
    assert_int_equal(json_num(json, "\"current\": {", "pages_locked"), 3);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    mdlkit_verifier_counters_get(&c);
    assert_int_equal(c.LockedPages, 0);
    assert_true(c.MdlsAllocated >= 1);
    mdlkit_user_free(user);
}

static void test_report_sections(void **state)
{
    (void)state;
    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, TAG);
    mdlkit_verifier_counters c;
    mdlkit_verifier_counters_get(&c);
    const char *json = mk_test_report_json();
    /* cumulative counters hold no live value; current and peak are apart */
    const char *counters = strstr(json, "\"counters\": {");
    const char *current = strstr(json, "\"current\": {");
    assert_non_null(counters);
    assert_non_null(current);
    assert_null(strstr(counters, "pages_locked") < current ? strstr(counters, "pages_locked") : NULL);
    assert_int_equal(json_num(json, "\"counters\": {", "pool_allocations_succeeded"), c.AllocationsSucceeded);
    assert_int_equal(json_num(json, "\"current\": {", "nonpaged_pool_allocations"), c.CurrentNonPagedPoolAllocations);
    assert_true(json_num(json, "\"peak\": {", "nonpaged_pool_allocations") >= c.CurrentNonPagedPoolAllocations);
    /* the text report */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mdlkit_report_print(f);
    fclose(f);
    assert_non_null(strstr(buf, "Pool Allocations Succeeded"));
    assert_non_null(strstr(buf, "Current nonpaged pool allocations"));
    assert_non_null(strstr(buf, "(peak "));
    free(buf);
    ExFreePoolWithTag(p, TAG);
}

/* !pool: an interior address, one past the bytes requested, a freed block,
 * and with Pool Tracking the driver charged and its allocating line. */
static PVOID g_block;
static int g_alloc_line;
static NTSTATUS AllocEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)DriverObject, (void)RegistryPath;
    g_alloc_line = __LINE__ + 1;
    g_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, TAG);
    return STATUS_SUCCESS;
}

static void test_pool_describe(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("describer", AllocEntry, &drv), STATUS_SUCCESS);
    mdlkit_pool_info pi;
    assert_int_equal(mdlkit_pool_describe((PUCHAR)g_block + 50, NULL, &pi), 1);
    assert_ptr_equal(pi.block, g_block);
    assert_int_equal(pi.size, 200);
    assert_int_equal(pi.offset, 50);
    assert_int_equal(pi.tag, TAG);
    assert_string_equal(pi.tag_name, "TCnt");
    assert_int_equal(pi.paged, 0);
    assert_string_equal(pi.driver, "describer");
    char want[64];
    snprintf(want, sizeof want, "test_report_counters.c:%d)", g_alloc_line);
    if (!strstr(pi.allocated_at, want))
        fail_msg("allocated_at \"%s\" does not name %s", pi.allocated_at, want);
    /* printed */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(mdlkit_pool_describe((PUCHAR)g_block + 50, f, NULL), 1);
    fclose(f);
    assert_non_null(strstr(buf, "non-paged pool block"));
    assert_non_null(strstr(buf, "200 bytes, tag 'TCnt'"));
    assert_non_null(strstr(buf, "charged to driver describer"));
    free(buf);
    /* freed: in no block */
    PVOID b = g_block;
    ExFreePoolWithTag(b, TAG);
    assert_int_equal(mdlkit_pool_describe(b, NULL, &pi), 0);
    assert_null(pi.block);
    /* not pool at all */
    int local;
    assert_int_equal(mdlkit_pool_describe(&local, NULL, NULL), 0);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
}

/* `mdlkit report --pool ADDRESS FILE`: the leak of a saved report that
 * contains the address. */
static NTSTATUS LeakEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)DriverObject, (void)RegistryPath;
    g_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 96, TAG); /* never freed */
    return STATUS_SUCCESS;
}
static PDRIVER_OBJECT g_leaker;
static void unload_leaker(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_leaker);
}
static void test_report_cli_pool(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_load("leaker", LeakEntry, &g_leaker), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload_leaker, NULL, &bc), 1);
    assert_int_equal(bc.param[0], 0x62);
    char path[] = "/tmp/mdlkit_test_pool_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mdlkit_report_write(path), 0);
    char self[4096], cmd[8400], out[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    const char *dir = dirname(self);
    snprintf(cmd, sizeof cmd, "'%s/../tools/mdlkit' report --pool %p '%s'", dir, (void *)((PUCHAR)g_block + 8), path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, sizeof out - 1, p);
    out[len] = 0;
    assert_int_equal(pclose(p), 0);
    if (!strstr(out, "inside a pool block left allocated") || !strstr(out, "96 bytes, tag TCnt") ||
        !strstr(out, "offset 0x8") || !strstr(out, "driver leaker") || !strstr(out, "LeakEntry ("))
        fail_msg("mdlkit report --pool printed:\n%s", out);
    snprintf(cmd, sizeof cmd, "'%s/../tools/mdlkit' report --pool 0x10 '%s' >/dev/null", dir, path);
    assert_int_not_equal(system(cmd), 0); /* in no block */
    unlink(path);
}

/* The pool table next to the leaks is the one of the leak check, even when
 * the leaked block is reclaimed before the report is written (as a port
 * layer's stop does); the report lists every bug check of the machine. */
static void raise_first(void *arg)
{
    (void)arg;
    KeBugCheckEx(0xDEAD0010, 1, 0, 0, 0);
}
static void test_report_consistent_with_leaks(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(raise_first, NULL, &bc), 1);
    assert_int_equal(mdlkit_driver_load("leaker", LeakEntry, &g_leaker), STATUS_SUCCESS);
    assert_int_equal(mdlkit_catch_bugcheck(unload_leaker, NULL, &bc), 1);
    ExFreePoolWithTag(g_block, TAG); /* reclaimed after the leak check */
    const char *json = mk_test_report_json();
    assert_non_null(strstr(json, "\"pool_at\": \"leak check\""));
    const char *row = strstr(json, "{ \"tag\": \"TCnt\"");
    assert_non_null(row);
    assert_int_equal(strtoull(strstr(row, "\"nonpaged_allocs\": ") + 19, NULL, 10), 1);
    assert_int_equal(strtoull(strstr(row, "\"nonpaged_frees\": ") + 18, NULL, 10), 0); /* as the leak says */
    assert_int_equal(strtoull(strstr(row, "\"nonpaged_bytes\": ") + 18, NULL, 10), 96);
    const char *leaks = strstr(json, "\"leaks\": [");
    assert_non_null(leaks);
    assert_non_null(strstr(leaks, "\"size\": 96, \"tag\": \"TCnt\""));
    const char *all = strstr(json, "\"bugchecks\": [");
    assert_non_null(all);
    const char *first = strstr(all, "\"code\": \"0xDEAD0010\"");
    const char *second = strstr(all, "\"code\": \"0x000000C4\"");
    assert_non_null(first);
    assert_non_null(second);
    assert_true(first < second);
}

/* !verifier 0x80: under Special Pool every pool call goes through the
 * verifier, and mdlkit_pool_describe of a freed address shows who freed and
 * who allocated the block, newest first, with the lines. */
static PVOID g_logged;
static int g_log_alloc_line, g_log_free_line;
static void log_alloc(void)
{
    g_log_alloc_line = __LINE__ + 1;
    g_logged = ExAllocatePool2(POOL_FLAG_NON_PAGED, 48, TAG);
}
static void log_free(void)
{
    g_log_free_line = __LINE__ + 1;
    ExFreePoolWithTag(g_logged, TAG);
}
static void test_pool_log(void **state)
{
    (void)state;
    log_alloc();
    assert_non_null(g_logged);
    log_free();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(mdlkit_pool_describe((PUCHAR)g_logged + 8, f, NULL), 0); /* freed: no live block */
    fclose(f);
    char want_free[128], want_alloc[128];
    snprintf(want_free, sizeof want_free, "log_free (%s:%d)", __FILE__, g_log_free_line);
    snprintf(want_alloc, sizeof want_alloc, "log_alloc (%s:%d)", __FILE__, g_log_alloc_line);
    const char *freed = strstr(buf, "freed ");
    const char *alloc = strstr(buf, "allocated ");
    if (!freed || !alloc || freed > alloc || !strstr(freed, want_free) || !strstr(alloc, want_alloc) ||
        !strstr(buf, "48 bytes, tag 'TCnt'"))
        fail_msg("the pool log does not show the free, then the allocation:\n%s", buf);
    free(buf);
    /* an address no logged block contains */
    int local;
    f = open_memstream(&buf, &len);
    mdlkit_pool_describe(&local, f, NULL);
    fclose(f);
    assert_non_null(strstr(buf, "no operation on a block containing"));
    free(buf);
}

static int setup_special(void **state)
{
    (void)state;
    return mk_test_setup_flags(MDLKIT_VERIFY_SPECIAL_POOL);
}

static int setup_tracking(void **state)
{
    (void)state;
    return mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cumulative_and_current_apart, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_locked_pages_are_current, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_report_sections, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_describe, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_report_cli_pool, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_report_consistent_with_leaks, setup_tracking, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_log, setup_special, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
