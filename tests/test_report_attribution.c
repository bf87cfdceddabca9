/* Every leak record names the driver's line -- pool blocks, MDLs, locked
 * pages, system mappings -- whatever harness function is on the stack
 * (issue #17, item 3: "locked at" named main when the lock happened under
 * mdlkit_driver_call or mdlkit_catch_bugcheck, because MmProbeAndLockPages
 * tail-calls the tracking hook and the capture then starts at the driver's
 * frame). Units: locked pages are counted in pages. */
#include "testutil.h"
#include <ntddk.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_under_driver_call),
        cmocka_unit_test(test_under_catch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
