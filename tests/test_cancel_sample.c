/* The real WDM driver "cancel" (Windows-driver-samples general/cancel/sys,
 * compiled unmodified from ../shared/drivers/cancel with its upstream
 * defines POOL_NX_OPTIN=1 and POOL_ZERO_DOWN_LEVEL_SUPPORT): reads queued
 * in its cancel-safe queue and completed by its polling thread, reads
 * cancelled while queued (mdlkit_cancel), queued reads cancelled by the
 * cleanup of their handle, a per-handle remove lock, and an unload that
 * stops the thread and leaves nothing behind. Runs with the verifier off
 * and (second ctest entry) MDLKIT_VERIFIER=standard.
 *
 * The driver decides how long a read takes from the system time (none or
 * a 500 ms poll per retry), so which queued read its thread is busy with
 * when the test cancels is not fixed; the assertions allow exactly the two
 * outcomes the driver can produce, and the cancel test repeats (bounded)
 * until a read is caught in the queue. */
#include "testutil.h"
#include <wdm.h>

#ifndef MDLKIT_REAL_DRIVER_PRESENT
int main(void)
{
    printf("test_cancel_sample: skipped: ../shared/drivers/cancel is not there (the driver is compiled from it)\n");
    return 77;
}
#else

DRIVER_INITIALIZE DriverEntry;

#define CANCEL_TAG 'MASC' /* the driver's pool tag (cancel.h TAG) */
#define WAIT_MS 30000     /* bound on any one request (the driver polls every 500 ms) */

static PDRIVER_OBJECT g_drv;

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    if (mdlkit_init(&c))
        return -1;
    return NT_SUCCESS(mdlkit_driver_load("cancel", DriverEntry, &g_drv)) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    /* CsampUnload stops the polling thread and waits for it; pool tracking
     * (standard verifier) would bug check on a FILE_CONTEXT left behind */
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_pool_tag_usage u;
    if (mdlkit_pool_usage_tag(CANCEL_TAG, &u))
        assert_int_equal(u.nonpaged_outstanding, 0);
    mdlkit_bugcheck last = mdlkit_last_bugcheck();
    if (last.code)
        printf("unexpected bug check 0x%x (%#lx, %#lx, %#lx, %#lx)\n", (unsigned)last.code, (unsigned long)last.param[0],
               (unsigned long)last.param[1], (unsigned long)last.param[2], (unsigned long)last.param[3]);
    assert_int_equal(last.code, 0);
    assert_null(mdlkit_open("\\\\.\\CancelSamp"));
    mdlkit_shutdown();
    return 0;
}

static void test_reads_complete(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\CancelSamp");
    assert_non_null(h);
    ULONG data = 0x12345678;
    ULONG_PTR info = 0;
    /* synchronous: the driver pends the IRP, its thread completes it */
    assert_int_equal(mdlkit_read(h, &data, sizeof data, &info), STATUS_SUCCESS);
    assert_int_equal(info, sizeof data);
    /* CsampPollDevice counts the value down to zero, then once more */
    assert_int_equal(data, 0xFFFFFFFFu);
    /* too small a buffer: refused at once */
    USHORT small;
    assert_int_equal(mdlkit_read(h, &small, sizeof small, &info), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(info, 0);
    /* several queued at once complete in order */
    ULONG d[3];
    mdlkit_request *r[3];
    for (int i = 0; i < 3; i++)
        r[i] = mdlkit_read_async(h, &d[i], sizeof d[i]);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mdlkit_wait(r[i], WAIT_MS, &info), STATUS_SUCCESS);
        assert_int_equal(info, sizeof(ULONG));
        assert_int_equal(d[i], 0xFFFFFFFFu);
    }
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

static void test_cancel_queued_read(void **state)
{
    (void)state;
    HANDLE h = mdlkit_open("\\\\.\\CancelSamp");
    assert_non_null(h);
    int cancelled = 0;
    for (int attempt = 0; attempt < 20 && !cancelled; attempt++) {
        ULONG a = 0, b = 0;
        ULONG_PTR info = 99;
        mdlkit_request *ra = mdlkit_read_async(h, &a, sizeof a);
        mdlkit_request *rb = mdlkit_read_async(h, &b, sizeof b);
        mdlkit_cancel(rb);
        NTSTATUS st = mdlkit_wait(rb, WAIT_MS, &info);
        if (st == STATUS_CANCELLED) {
            assert_int_equal(info, 0); /* CsampCompleteCanceledIrp */
            cancelled = 1;
        } else {
            /* the thread had taken it already: the cancel found no routine */
            assert_int_equal(st, STATUS_SUCCESS);
            assert_int_equal(info, sizeof b);
        }
        assert_int_equal(mdlkit_wait(ra, WAIT_MS, &info), STATUS_SUCCESS);
        assert_int_equal(a, 0xFFFFFFFFu);
    }
    assert_true(cancelled);
    /* a read still outstanding at close: cleanup takes it out if queued */
    ULONG c = 0;
    ULONG_PTR info;
    mdlkit_request *rc = mdlkit_read_async(h, &c, sizeof c);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
    NTSTATUS st = mdlkit_wait(rc, WAIT_MS, &info);
    assert_true(st == STATUS_SUCCESS || st == STATUS_CANCELLED);
}

static void test_cleanup_cancels_this_handle_only(void **state)
{
    (void)state;
    int cancelled = 0;
    for (int attempt = 0; attempt < 20 && !cancelled; attempt++) {
        HANDLE h1 = mdlkit_open("\\\\.\\CancelSamp");
        HANDLE h2 = mdlkit_open("\\Device\\CANCELSAMP");
        assert_non_null(h1);
        assert_non_null(h2);
        ULONG d1[4], d2[2];
        mdlkit_request *r1[4], *r2[2];
        for (int i = 0; i < 2; i++)
            r2[i] = mdlkit_read_async(h2, &d2[i], sizeof(ULONG));
        for (int i = 0; i < 4; i++)
            r1[i] = mdlkit_read_async(h1, &d1[i], sizeof(ULONG));
        /* IRP_MJ_CLEANUP for h1: the driver completes h1's queued reads as
         * cancelled; one its thread is working on completes normally */
        assert_int_equal(mdlkit_close(h1), STATUS_SUCCESS);
        ULONG_PTR info;
        for (int i = 0; i < 4; i++) {
            NTSTATUS st = mdlkit_wait(r1[i], WAIT_MS, &info);
            assert_true(st == STATUS_CANCELLED || st == STATUS_SUCCESS);
            cancelled += st == STATUS_CANCELLED;
        }
        /* h2's reads are untouched by h1's cleanup */
        for (int i = 0; i < 2; i++) {
            assert_int_equal(mdlkit_wait(r2[i], WAIT_MS, &info), STATUS_SUCCESS);
            assert_int_equal(d2[i], 0xFFFFFFFFu);
        }
        assert_int_equal(mdlkit_close(h2), STATUS_SUCCESS);
        /* both FILE_CONTEXTs were freed by IRP_MJ_CLOSE */
        mdlkit_pool_tag_usage u;
        if (mdlkit_pool_usage_tag(CANCEL_TAG, &u))
            assert_int_equal(u.nonpaged_outstanding, 0);
    }
    assert_true(cancelled >= 1);
}

static void test_handles(void **state)
{
    (void)state;
    ULONG d;
    ULONG_PTR info;
    assert_int_equal(mdlkit_read((HANDLE)(ULONG_PTR)0x4444, &d, sizeof d, &info), STATUS_INVALID_HANDLE);
    HANDLE ev = mdlkit_event_create(FALSE);
    assert_int_equal(mdlkit_read(ev, &d, sizeof d, &info), STATUS_OBJECT_TYPE_MISMATCH);
    mdlkit_request *r = mdlkit_read_async(ev, &d, sizeof d);
    assert_int_equal(mdlkit_wait(r, 0, &info), STATUS_OBJECT_TYPE_MISMATCH);
    assert_int_equal(mdlkit_close(ev), STATUS_SUCCESS);
    /* the driver does no IOCTLs */
    HANDLE h = mdlkit_open("\\\\.\\CancelSamp");
    assert_int_equal(mdlkit_ioctl(h, CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, 0), &d, 4, &d, 4, &info),
                     STATUS_INVALID_DEVICE_REQUEST);
    assert_int_equal(mdlkit_close(h), STATUS_SUCCESS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reads_complete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cleanup_cancels_this_handle_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
