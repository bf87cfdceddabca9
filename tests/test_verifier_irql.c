/* Force IRQL Checking (verifier option 0x2): paged pool is trimmed when a
 * thread raises to DISPATCH_LEVEL or takes a spin lock; a touch at
 * DISPATCH_LEVEL is 0xD1, below it the page comes back. */
#include "testutil.h"
#include "mk_machine.h"

#define TAG 'qIvT'

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_FORCE_IRQL_CHECKING;
    return mdlkit_init(&c);
}

static void machine_faults(void)
{
    mk_fault_uninstall();
    assert_int_equal(mk_fault_install(), 0);
}

static volatile char g_sink;
static void read_at_dispatch(void *a)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    g_sink = *(volatile char *)a;
    KeLowerIrql(old);
}
static void write_at_dispatch(void *a)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    *(volatile char *)a = 3;
    KeLowerIrql(old);
}

static void test_paged_touch_at_dispatch_is_d1(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(PagedPool, 256, TAG);
    assert_non_null(p);
    p[5] = 0x55;
    mk_expect_bugcheck(read_at_dispatch, p + 5, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p + 5, DISPATCH_LEVEL, 0, MK_ANY);
    mk_expect_bugcheck(write_at_dispatch, p + 9, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p + 9, DISPATCH_LEVEL, 1, MK_ANY);
    assert_true(mdlkit_last_bugcheck().param[3] != 0);
    /* at PASSIVE_LEVEL the page is faulted back in, contents intact */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_int_equal(p[5], 0x55);
    p[6] = 1;
    ExFreePoolWithTag(p, TAG);
}

static void test_nonpaged_touch_at_dispatch_is_fine(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 256, TAG);
    char *q = ExAllocatePoolWithTag(PagedPool, 256, TAG);
    q[0] = 1;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    p[0] = 7;
    assert_int_equal(p[0], 7);
    KeLowerIrql(old);
    assert_int_equal(q[0], 1); /* trimmed while at DISPATCH, back now */
    ExFreePoolWithTag(p, TAG);
    ExFreePoolWithTag(q, TAG);
}

static KSPIN_LOCK g_lock;
static void touch_under_spinlock(void *a)
{
    KIRQL old;
    KeAcquireSpinLock(&g_lock, &old);
    g_sink = *(volatile char *)a;
    KeReleaseSpinLock(&g_lock, old);
}

static void test_spinlock_trims(void **state)
{
    (void)state;
    machine_faults();
    KeInitializeSpinLock(&g_lock);
    char *p = ExAllocatePoolWithTag(PagedPool, 64, TAG);
    p[0] = 1;
    mk_expect_bugcheck(touch_under_spinlock, p, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p, DISPATCH_LEVEL, 0, MK_ANY);
    ExFreePoolWithTag(p, TAG);
}

static void test_locked_pages_not_trimmed(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, TAG);
    assert_non_null(p);
    PMDL mdl = IoAllocateMdl(p, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(mdl, KernelMode, IoWriteAccess);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    p[0] = 1; /* locked: resident */
    p[2 * PAGE_SIZE + 7] = 2;
    KeLowerIrql(old);
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    /* unlocked now: trimmed at the next raise */
    mk_expect_bugcheck(read_at_dispatch, p + PAGE_SIZE, DRIVER_IRQL_NOT_LESS_OR_EQUAL, p + PAGE_SIZE, DISPATCH_LEVEL, 0,
                       MK_ANY);
    assert_int_equal(p[2 * PAGE_SIZE + 7], 2);
    ExFreePoolWithTag(p, TAG);
}

static void test_many_raises_keep_working(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(PagedPool, 100, TAG);
    for (int i = 0; i < 200; i++) {
        KIRQL old;
        p[i % 100] = (char)i; /* pages back in at PASSIVE */
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        KeLowerIrql(old);
    }
    assert_int_equal(p[99], (char)199);
    ExFreePoolWithTag(p, TAG);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_paged_touch_at_dispatch_is_d1),
        cmocka_unit_test(test_nonpaged_touch_at_dispatch_is_fine),
        cmocka_unit_test(test_spinlock_trims),
        cmocka_unit_test(test_locked_pages_not_trimmed),
        cmocka_unit_test(test_many_raises_keep_working),
    };
    return cmocka_run_group_tests_name("force IRQL checking", t, setup, mk_test_teardown);
}
