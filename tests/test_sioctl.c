/* The real WDM driver sioctl (Windows-driver-samples general/ioctl/wdm/sys,
 * compiled unmodified from ../shared/drivers/sioctl) driven as its
 * upstream test program drives it: \\.\IoctlTest opened, each of the four
 * IOCTLs sent with "This String is from User Application; using
 * METHOD_xxx" and a 100-byte output buffer; then its error paths. Runs
 * with the verifier off and (second ctest entry) MDLKIT_VERIFIER=standard:
 * no bug check, nothing leaked at unload. */
#include "testutil.h"
#include <wdm.h>

#ifndef MDLKIT_REAL_DRIVER_PRESENT
int main(void)
{
    printf("test_sioctl: skipped: ../shared/drivers/sioctl is not there (the driver is compiled from it)\n");
    return 77;
}
#else
#include "sioctl.h"

DRIVER_INITIALIZE DriverEntry;

static const char from_driver[] = "This String is from Device Driver !!!";
static PDRIVER_OBJECT g_drv;
static HANDLE g_h;

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c); /* MDLKIT_VERIFIER from the environment */
    if (mdlkit_init(&c))
        return -1;
    if (!NT_SUCCESS(mdlkit_driver_load("sioctl", DriverEntry, &g_drv)))
        return -1;
    g_h = mdlkit_open("\\\\.\\IoctlTest");
    return g_h ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_close(g_h), STATUS_SUCCESS);
    /* SioctlUnloadDriver deletes its link and device; pool tracking (under
     * MDLKIT_VERIFIER=standard) would bug check on anything left */
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    assert_null(mdlkit_open("\\\\.\\IoctlTest"));
    assert_null(mdlkit_open("\\Device\\SIOCTL"));
    mdlkit_bugcheck none = mdlkit_last_bugcheck();
    assert_int_equal(none.code, 0);
    mdlkit_shutdown();
    return 0;
}

/* What the upstream test program sends for one method. */
static NTSTATUS send(ULONG code, const char *method, char *out, ULONG_PTR *info)
{
    char in[100];
    snprintf(in, sizeof in, "This String is from User Application; using %s", method);
    memset(out, 0, 100);
    return mdlkit_ioctl(g_h, code, in, (ULONG)strlen(in) + 1, out, 100, info);
}

static void test_four_methods(void **state)
{
    (void)state;
    char out[100];
    ULONG_PTR info = 0;
    assert_int_equal(send(IOCTL_SIOCTL_METHOD_BUFFERED, "METHOD_BUFFERED", out, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof from_driver);
    assert_string_equal(out, from_driver);

    assert_int_equal(send(IOCTL_SIOCTL_METHOD_NEITHER, "METHOD_NEITHER", out, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof from_driver);
    assert_string_equal(out, from_driver);

    /* METHOD_IN_DIRECT: the driver only reads the output buffer and returns
     * its length (MmGetMdlByteCount) */
    assert_int_equal(send(IOCTL_SIOCTL_METHOD_IN_DIRECT, "METHOD_IN_DIRECT", out, &info), STATUS_SUCCESS);
    assert_int_equal(info, 100);
    assert_int_equal(out[0], 0);

    assert_int_equal(send(IOCTL_SIOCTL_METHOD_OUT_DIRECT, "METHOD_OUT_DIRECT", out, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof from_driver);
    assert_string_equal(out, from_driver);
}

static void test_user_memory_in_place(void **state)
{
    (void)state;
    /* buffers the test puts in simulated user memory are passed as they are */
    char *in = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    char *out = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    strcpy(in, "This String is from User Application; using METHOD_NEITHER");
    ULONG_PTR info = 0;
    /* output at the end of a page: the driver writes 100 bytes into it */
    char *tail = out + PAGE_SIZE - 100;
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_NEITHER, in, (ULONG)strlen(in) + 1, tail, 100, &info),
                     STATUS_SUCCESS);
    assert_int_equal(info, sizeof from_driver);
    assert_string_equal(tail, from_driver);
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_OUT_DIRECT, in, (ULONG)strlen(in) + 1, out, 100, &info),
                     STATUS_SUCCESS);
    assert_string_equal(out, from_driver);
    mdlkit_user_free(in);
    mdlkit_user_free(out);
}

static void test_error_paths(void **state)
{
    (void)state;
    char out[100], in[8] = "x";
    ULONG_PTR info = 9;
    /* no input: the driver refuses */
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_BUFFERED, NULL, 0, out, 100, &info),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(info, 0);
    /* an IOCTL it does not know */
    assert_int_equal(mdlkit_ioctl(g_h, CTL_CODE(SIOCTL_TYPE, 0x904, METHOD_BUFFERED, FILE_ANY_ACCESS), in, 2, out,
                                  100, &info),
                     STATUS_INVALID_DEVICE_REQUEST);

    char *na = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    char *ro = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    char *rw = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    strcpy(rw, "input");
    /* METHOD_NEITHER: the driver probes and locks the buffers itself inside
     * __try; a no-access input and a read-only output end in its __except */
    info = 9;
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_NEITHER, na, 16, rw + 512, 100, &info),
                     STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    info = 9;
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_NEITHER, rw, 6, ro, 100, &info),
                     STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    /* the I/O manager's own probes: read-only output for METHOD_BUFFERED and
     * METHOD_OUT_DIRECT, no-access input for METHOD_IN_DIRECT */
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_BUFFERED, rw, 6, ro, 100, &info),
                     STATUS_ACCESS_VIOLATION);
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_OUT_DIRECT, rw, 6, ro, 100, &info),
                     STATUS_ACCESS_VIOLATION);
    assert_int_equal(mdlkit_ioctl(g_h, IOCTL_SIOCTL_METHOD_IN_DIRECT, na, 6, rw, 100, &info),
                     STATUS_ACCESS_VIOLATION);
    assert_int_equal(info, 0);
    mdlkit_user_free(na);
    mdlkit_user_free(ro);
    mdlkit_user_free(rw);
    /* and the device still works */
    assert_int_equal(send(IOCTL_SIOCTL_METHOD_BUFFERED, "METHOD_BUFFERED", out, &info), STATUS_SUCCESS);
    assert_string_equal(out, from_driver);
}

static void test_names(void **state)
{
    (void)state;
    /* the NT name opens too, and every open gets its own CREATE/CLOSE */
    HANDLE h = mdlkit_open("\\Device\\SIOCTL");
    assert_non_null(h);
    char out[100];
    ULONG_PTR info;
    char in[] = "x";
    assert_int_equal(mdlkit_ioctl(h, IOCTL_SIOCTL_METHOD_BUFFERED, in, 2, out, 100, &info), STATUS_SUCCESS);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ioctl(h, IOCTL_SIOCTL_METHOD_BUFFERED, in, 2, out, 100, &info), STATUS_INVALID_HANDLE);
    /* sioctl handles no reads */
    assert_int_equal(mdlkit_read(g_h, out, 10, &info), STATUS_INVALID_DEVICE_REQUEST);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_four_methods, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_memory_in_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_error_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
