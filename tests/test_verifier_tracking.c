/* Pool Tracking (verifier option 0x8): leaks at driver unload (0xC4/0x62),
 * locked pages left behind (0xCB), leaks at shutdown, attribution to the
 * driver, and the leak list in the JSON report. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG 'kaeL'

static char g_report[64];

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING;
    snprintf(g_report, sizeof g_report, "/tmp/mdlkit_vtr_%d.json", (int)getpid());
    c.report_path = g_report;
    return mdlkit_init(&c);
}

static void *g_leak;
static PMDL g_mdl;
static char *g_user;

static NTSTATUS leaky_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    g_leak = ExAllocatePoolWithTag(NonPagedPoolNx, 300, TAG);
    void *ok = ExAllocatePoolWithTag(NonPagedPoolNx, 40, TAG);
    ExFreePoolWithTag(ok, TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS clean_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    void *ok = ExAllocatePoolWithTag(PagedPool, 40, TAG);
    ExFreePoolWithTag(ok, TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS locking_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    g_mdl = IoAllocateMdl(g_user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_mdl, UserMode, IoWriteAccess);
    return STATUS_SUCCESS;
}

static void unload(void *a) { mdlkit_driver_unload(a); }

static void test_clean_driver_unloads(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("cleandrv", clean_entry, &drv), STATUS_SUCCESS);
    /* the process's own allocation is not the driver's */
    void *mine = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'eniM');
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    ExFreePoolWithTag(mine, 'eniM');
}

static void test_unload_with_pool_leak_is_c4_62(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("leakydrv", leaky_entry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "leakydrv");
    assert_int_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], 1);
    /* the JSON report lists the leak with its tag, size and stack */
    assert_int_equal(mdlkit_report_write(NULL), 0);
    FILE *f = fopen(g_report, "r");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    const char *l = strstr(text, "\"leaks\": [");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"kind\": \"pool\", \"driver\": \"leakydrv\""));
    assert_non_null(strstr(l, "\"size\": 300, \"tag\": \"Leak\""));
    assert_non_null(strstr(l, "leaky_entry"));
    assert_non_null(strstr(text, "\"code\": \"0x000000C4\""));
    ExFreePoolWithTag(g_leak, TAG); /* reported once; freeing it later is fine */
}

static void test_unload_with_locked_pages_is_cb(void **state)
{
    (void)state;
    g_user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("lockdrv", locking_entry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS);
    assert_true(bc.param[0] != 0);
    assert_int_equal(bc.param[1], 0);
    assert_ptr_equal((void *)bc.param[2], g_mdl);
    assert_int_equal(bc.param[3], 2);
    MmUnlockPages(g_mdl);
    IoFreeMdl(g_mdl);
    mdlkit_user_free(g_user);
}

static void do_shutdown(void *a)
{
    (void)a;
    mdlkit_shutdown();
}

static void test_shutdown_leak_is_c4_62(void **state)
{
    (void)state;
    void *p = ExAllocatePoolWithTag(PagedPool, 77, 'tuhS');
    assert_non_null(p);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_shutdown, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "the process");
    assert_int_equal(bc.param[3], 1);
    /* the leak is reported once: the next shutdown completes */
    mdlkit_shutdown();
    assert_false(mdlkit_is_initialized());
    FILE *f = fopen(g_report, "r");
    assert_non_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    remove(g_report);
    assert_non_null(strstr(text, "\"size\": 77, \"tag\": \"Shut\""));
    assert_int_equal(setup(NULL), 0); /* for the group teardown */
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_clean_driver_unloads),
        cmocka_unit_test(test_unload_with_pool_leak_is_c4_62),
        cmocka_unit_test(test_unload_with_locked_pages_is_cb),
        cmocka_unit_test(test_shutdown_leak_is_c4_62),
    };
    return cmocka_run_group_tests_name("pool tracking", t, setup, mk_test_teardown);
}
