/* Miscellaneous Checks (0x800) and Security Checks (0x100), the two options
 * of Driver Verifier's standard set beyond those mdlkit had: a pool block
 * freed while it holds a live timer or ERESOURCE (the bug check raised at
 * the free), and a Zw routine given a user-mode address. Each test is named
 * after the driver pattern it reproduces. */
#include "testutil.h"

#include <ntddk.h>

#define TAG 'csiM'

static int boot(ULONG flags)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = flags;
    return mdlkit_init(&c);
}

typedef struct dev_ctx {
    ULONG state;
    KTIMER watchdog;
    KDPC watchdog_dpc;
    ERESOURCE lock;
} dev_ctx;

static void watchdog_dpc(PKDPC d, PVOID c, PVOID a1, PVOID a2) { (void)d, (void)c, (void)a1, (void)a2; }

static void free_ctx(void *p) { ExFreePoolWithTag(p, TAG); }

/* A driver's remove path frees its context while the watchdog timer it
 * armed is still set (KeCancelTimer forgotten). */
static void test_context_freed_with_watchdog_timer_still_set(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_MISC_CHECKS), 0);
    dev_ctx *x = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *x, TAG);
    assert_non_null(x);
    KeInitializeDpc(&x->watchdog_dpc, watchdog_dpc, x);
    KeInitializeTimer(&x->watchdog);
    LARGE_INTEGER due;
    due.QuadPart = -600LL * 10 * 1000 * 1000; /* ten minutes: still set when freed */
    KeSetTimer(&x->watchdog, due, &x->watchdog_dpc);
    mk_expect_bugcheck(free_ctx, x, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x15, &x->watchdog, NonPagedPoolNx, x);
    /* the block is still allocated: cancel the timer, then the free passes */
    assert_true(KeCancelTimer(&x->watchdog));
    ExFreePoolWithTag(x, TAG);
    mdlkit_shutdown();
}

/* A driver frees the structure holding its ERESOURCE without
 * ExDeleteResourceLite. */
static void test_context_freed_with_active_eresource(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_MISC_CHECKS), 0);
    dev_ctx *x = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *x, TAG);
    assert_non_null(x);
    assert_int_equal(ExInitializeResourceLite(&x->lock), STATUS_SUCCESS);
    mk_expect_bugcheck(free_ctx, x, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x17, &x->lock, NonPagedPoolNx, x);
    assert_int_equal(ExDeleteResourceLite(&x->lock), STATUS_SUCCESS);
    ExFreePoolWithTag(x, TAG); /* deleted first: no bug check */
    mdlkit_shutdown();
}

/* Without the option the same frees pass (as on Windows without it; the
 * unload checks still apply to drivers). */
static void test_misc_checks_off_frees_pass(void **state)
{
    (void)state;
    assert_int_equal(boot(0), 0);
    dev_ctx *x = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *x, TAG);
    assert_non_null(x);
    assert_int_equal(ExInitializeResourceLite(&x->lock), STATUS_SUCCESS);
    assert_int_equal(ExDeleteResourceLite(&x->lock), STATUS_SUCCESS);
    ExFreePoolWithTag(x, TAG);
    mdlkit_shutdown();
}

/* The standard set (verifier /standard) includes 0x100 and 0x800 and is
 * accepted; an unknown bit is still refused. */
static void test_standard_set_includes_security_and_misc(void **state)
{
    (void)state;
    assert_true((MDLKIT_VERIFY_STANDARD & MDLKIT_VERIFY_SECURITY_CHECKS) != 0);
    assert_true((MDLKIT_VERIFY_STANDARD & MDLKIT_VERIFY_MISC_CHECKS) != 0);
    assert_int_equal(boot(MDLKIT_VERIFY_STANDARD), 0);
    mdlkit_shutdown();
    assert_int_equal(boot(0x00000400UL), -1);
}

static HANDLE g_event;
static LONG *g_user_prev;
static void set_event_user_prev(void *a)
{
    (void)a;
    (void)ZwSetEvent(g_event, g_user_prev);
}

/* An IOCTL handler passes the caller's output buffer straight to a Zw
 * routine instead of capturing it into kernel memory. */
static void test_zw_routine_given_user_buffer(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_SECURITY_CHECKS), 0);
    assert_int_equal(ZwCreateEvent(&g_event, EVENT_ALL_ACCESS, NULL, NotificationEvent, FALSE), STATUS_SUCCESS);
    g_user_prev = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(g_user_prev);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(set_event_user_prev, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0xE3);
    assert_string_equal((const char *)bc.param[1], "ZwSetEvent");
    assert_int_equal(bc.param[2], (ULONG_PTR)g_user_prev);
    /* a captured (kernel) copy is fine */
    LONG prev = -1;
    assert_int_equal(ZwSetEvent(g_event, &prev), STATUS_SUCCESS);
    assert_int_equal(prev, 0);
    assert_int_equal(ZwClose(g_event), STATUS_SUCCESS);
    mdlkit_user_free(g_user_prev);
    mdlkit_shutdown();
}

static void test_zw_user_buffer_passes_without_option(void **state)
{
    (void)state;
    assert_int_equal(boot(0), 0);
    assert_int_equal(ZwCreateEvent(&g_event, EVENT_ALL_ACCESS, NULL, NotificationEvent, TRUE), STATUS_SUCCESS);
    LONG *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    assert_int_equal(ZwResetEvent(g_event, u), STATUS_SUCCESS);
    assert_int_equal(*u, 1);
    assert_int_equal(ZwClose(g_event), STATUS_SUCCESS);
    mdlkit_user_free(u);
    mdlkit_shutdown();
}

/* A driver embeds its IO_WORKITEM (IoSizeofWorkItem / IoInitializeWorkItem)
 * in a request context and frees the context while the item is still
 * queued. The one I/O worker is kept busy by a first item that waits on an
 * event, so the second stays queued. */
static PDEVICE_OBJECT g_dev;
static KEVENT g_release, g_started;
static NTSTATUS WiEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    (void)r;
    return IoCreateDevice(o, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
}
static void WiUnload(PDRIVER_OBJECT o) { (void)o, IoDeleteDevice(g_dev); }
static void blocking_item(PDEVICE_OBJECT d, PVOID c)
{
    (void)d, (void)c;
    KeSetEvent(&g_started, 0, FALSE);
    KeWaitForSingleObject(&g_release, Executive, KernelMode, FALSE, NULL);
}
static void quick_item(PDEVICE_OBJECT d, PVOID c) { (void)d, (void)c; }

static void test_request_context_freed_with_queued_work_item(void **state)
{
    (void)state;
    assert_int_equal(boot(MDLKIT_VERIFY_MISC_CHECKS), 0);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("widrv", WiEntry, &drv), STATUS_SUCCESS);
    drv->DriverUnload = WiUnload;
    KeInitializeEvent(&g_release, NotificationEvent, FALSE);
    KeInitializeEvent(&g_started, NotificationEvent, FALSE);
    PIO_WORKITEM busy = IoAllocateWorkItem(g_dev);
    assert_non_null(busy);
    IoQueueWorkItem(busy, blocking_item, DelayedWorkQueue, NULL);
    LARGE_INTEGER t;
    t.QuadPart = -50LL * 1000 * 1000 * 10; /* bounded: 50 s */
    assert_int_equal(KeWaitForSingleObject(&g_started, Executive, KernelMode, FALSE, &t), STATUS_SUCCESS);
    void *ctx = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64 + IoSizeofWorkItem(), TAG);
    assert_non_null(ctx);
    PIO_WORKITEM wi = (PIO_WORKITEM)((char *)ctx + 64);
    IoInitializeWorkItem(g_dev, wi);
    IoQueueWorkItem(wi, quick_item, DelayedWorkQueue, NULL);
    mk_expect_bugcheck(free_ctx, ctx, WORKER_INVALID, 0, wi, ctx, MK_ANY);
    KeSetEvent(&g_release, 0, FALSE);
    mdlkit_shutdown(); /* drains the work items; the context is freed with the machine */
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_context_freed_with_watchdog_timer_still_set),
        cmocka_unit_test(test_context_freed_with_active_eresource),
        cmocka_unit_test(test_misc_checks_off_frees_pass),
        cmocka_unit_test(test_request_context_freed_with_queued_work_item),
        cmocka_unit_test(test_standard_set_includes_security_and_misc),
        cmocka_unit_test(test_zw_routine_given_user_buffer),
        cmocka_unit_test(test_zw_user_buffer_passes_without_option),
    };
    return cmocka_run_group_tests_name("miscellaneous and security checks", t, NULL, NULL);
}
