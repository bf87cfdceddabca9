/* Every leak record names the driver's line -- pool blocks, MDLs, locked
 * pages, system mappings -- whatever harness function is on the stack
 * (issue #17, item 3: "locked at" named main when the lock happened under
 * mdlkit_driver_call or mdlkit_catch_bugcheck, because MmProbeAndLockPages
 * tail-calls the tracking hook and the capture then starts at the driver's
 * frame). Units: locked pages are counted in pages. */
#include "testutil.h"
#include <ntddk.h>

#include "mk_base.h"

#define TAG 'ttAT'

static PVOID g_user;
static PMDL g_mdl;
static PVOID g_block;
static int g_lock_line, g_map_line, g_alloc_line, g_mdl_line;

static void LeakyWork(void)
{
    g_mdl_line = __LINE__ + 1;
    g_mdl = IoAllocateMdl(g_user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    g_lock_line = __LINE__ + 1;
    MmProbeAndLockPages(g_mdl, UserMode, IoReadAccess);
    g_map_line = __LINE__ + 1;
    (void)MmGetSystemAddressForMdlSafe(g_mdl, NormalPagePriority);
    g_alloc_line = __LINE__ + 1;
    g_block = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, TAG);
}

static NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    LeakyWork();
    Irp->IoStatus.Status = STATUS_SUCCESS;
    return STATUS_SUCCESS;
}

static NTSTATUS Entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)RegistryPath;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;
    return STATUS_SUCCESS;
}

static PDRIVER_OBJECT g_drv;
static void call_driver(void *arg)
{
    (void)arg;
    PIRP irp = IoAllocateIrp(1, FALSE);
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    mdlkit_driver_call(g_drv, irp);
    IoFreeIrp(irp);
}
static void unload(void *arg)
{
    (void)arg;
    mdlkit_driver_unload(g_drv);
}

/* The JSON leak of `kind` names LeakyWork's line `line` first. */
static void expect_leak_at(const char *json, const char *kind, int line)
{
    char k[64], want[96];
    snprintf(k, sizeof k, "{ \"kind\": \"%s\"", kind);
    snprintf(want, sizeof want, "\"stack\": [\"LeakyWork (%s:%d)\"", __FILE__, line);
    const char *l = strstr(json, k);
    if (!l)
        fail_msg("no %s leak in:\n%s", kind, json);
    const char *end = strchr(l, '}');
    const char *s = strstr(l, want);
    if (!s || s > end)
        fail_msg("the %s leak does not start at line %d:\n%.*s", kind, line, (int)(end - l + 1), l);
}

static void run(int under_catch)
{
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING), 0);
    g_user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_int_equal(mdlkit_driver_load("attrib", Entry, &g_drv), STATUS_SUCCESS);
    if (under_catch)
        assert_int_equal(mdlkit_catch_bugcheck(call_driver, NULL, NULL), 0);
    else
        call_driver(NULL);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS); /* the locked pages first */
    assert_int_equal(bc.param[3], 2);                               /* two pages */
    const char *json = mk_test_report_json();
    expect_leak_at(json, "locked_pages", g_lock_line);
    expect_leak_at(json, "mapping", g_map_line);
    expect_leak_at(json, "pool", g_alloc_line);
    /* the MDL itself (pool, tag 'MDL ') names the IoAllocateMdl line */
    char mdl_at[96];
    snprintf(mdl_at, sizeof mdl_at, "\"LeakyWork (%s:%d)\"", __FILE__, g_mdl_line);
    assert_non_null(strstr(json, mdl_at));
    /* a locked_pages record's size is its page count */
    const char *l = strstr(json, "{ \"kind\": \"locked_pages\"");
    assert_non_null(strstr(l, "\"size\": 2,"));
    /* the text report says pages */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mdlkit_report_print(f);
    fclose(f);
    assert_non_null(strstr(buf, "2 pages"));
    free(buf);
    mdlkit_shutdown(); /* crashed: quiet */
}

static void test_under_driver_call(void **state)
{
    (void)state;
    run(0);
}

static void test_under_catch(void **state)
{
    (void)state;
    run(1);
}

/* One listing per leak on stderr: a port layer's one-line note and Pool
 * Tracking's record of the same block (same address, right after it) are
 * one entry; two records of different resources at one address (an MDL and
 * its locked pages, each with its stack) both stay. */
static void raise_with_notes(void *arg)
{
    (void)arg;
    mk_bugcheck_note("leaked StorPortAllocatePool block 0x7f0000001000, 16 bytes, tag 'RmRq', allocated at F (f.c:1)");
    mk_bugcheck_note("  pool         0x7f0000001000, 16 bytes (driver d), allocated at:");
    mk_bugcheck_note("        F (f.c:1)");
    mk_bugcheck_note("  mdl          0x7f0000002000, 232 bytes, tag 'MDL ' (driver d), allocated at:");
    mk_bugcheck_note("        G (g.c:2)");
    mk_bugcheck_note("  locked_pages MDL 0x7f0000002000, 2 pages locked (driver d), locked at:");
    mk_bugcheck_note("        G (g.c:3)");
    KeBugCheckEx(0xDEAD0020, 0, 0, 0, 0);
}
static void test_one_listing_per_leak(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.quiet = 0;
    assert_int_equal(mdlkit_init(&c), 0);
    char path[] = "/tmp/mdlkit_notes_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int r = mdlkit_catch_bugcheck(raise_with_notes, NULL, NULL);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r, 1);
    char text[8192];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    close(fd);
    unlink(path);
    text[n > 0 ? n : 0] = 0;
    assert_non_null(strstr(text, "leaked StorPortAllocatePool block 0x7f0000001000"));
    assert_null(strstr(text, "pool         0x7f0000001000")); /* the same leak again */
    assert_non_null(strstr(text, "F (f.c:1)\n"));             /* its stack stays */
    assert_non_null(strstr(text, "mdl          0x7f0000002000"));
    assert_non_null(strstr(text, "locked_pages MDL 0x7f0000002000"));
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_driver_call),
        cmocka_unit_test(test_under_catch),
        cmocka_unit_test(test_one_listing_per_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
