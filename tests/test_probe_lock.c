/* MmProbeAndLockPages / MmUnlockPages and ProbeForRead / ProbeForWrite. */
#include "testutil.h"
#include <wdm.h>
#include <pthread.h>
#include <string.h>
#include "mk_machine.h"
#include "mk_mdl.h"

static uint32_t locks_of(PFN_NUMBER pfn) { return mk_pfn_locks(pfn); }

static void test_user_lock_read_write(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = IoAllocateMdl(u + 10, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(m, UserMode, IoWriteAccess); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_SUCCESS);
    assert_true(m->MdlFlags & MDL_PAGES_LOCKED);
    assert_true(m->MdlFlags & MDL_WRITE_OPERATION);
    assert_ptr_equal(m->Process, PsGetCurrentProcess());
    PPFN_NUMBER pfn = MmGetMdlPfnArray(m);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(pfn[i], MmGetPhysicalAddress(u + i * PAGE_SIZE).QuadPart >> PAGE_SHIFT);
        assert_int_equal(locks_of(pfn[i]), 1);
    }
    /* the same frames locked again by a second MDL */
    PMDL m2 = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m2, KernelMode, IoReadAccess);
    assert_false(m2->MdlFlags & MDL_WRITE_OPERATION);
    assert_int_equal(locks_of(pfn[0]), 2);
    MmUnlockPages(m2);
    IoFreeMdl(m2);
    MmUnlockPages(m);
    assert_false(m->MdlFlags & MDL_PAGES_LOCKED);
    for (int i = 0; i < 3; i++)
        assert_int_equal(locks_of(pfn[i]), 0);
    /* reprobe after unlock works */
    MmProbeAndLockPages(m, UserMode, IoModifyAccess);
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

static void test_readonly_write_probe_raises_and_leaves_nothing_locked(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    assert_int_equal(mdlkit_user_protect(u + 2 * PAGE_SIZE, PAGE_SIZE, PAGE_READONLY), 0);
    PMDL m = IoAllocateMdl(u, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(m, UserMode, IoWriteAccess); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(st, STATUS_ACCESS_VIOLATION);
    assert_false(m->MdlFlags & MDL_PAGES_LOCKED);
    for (int i = 0; i < 3; i++)
        assert_int_equal(locks_of(MmGetPhysicalAddress(u + i * PAGE_SIZE).QuadPart >> PAGE_SHIFT), 0);
    /* reading it is fine */
    MmProbeAndLockPages(m, UserMode, IoReadAccess);
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u); /* would be 0x76 if a page stayed locked */
}

static NTSTATUS probe_status(PVOID va, ULONG len, KPROCESSOR_MODE mode, LOCK_OPERATION op)
{
    PMDL m = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(m, mode, op); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    if (st == STATUS_SUCCESS)
        MmUnlockPages(m);
    IoFreeMdl(m);
    return st;
}

static void test_user_range_checks(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    assert_int_equal(probe_status(np, 64, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    assert_int_equal(probe_status(np, 64, KernelMode, IoReadAccess), STATUS_SUCCESS);
    assert_int_equal(probe_status((PVOID)(MmUserProbeAddress - 16), 64, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    char *na = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    assert_int_equal(probe_status(na, 8, UserMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    mdlkit_user_free(na);
    /* kernel-mode probe of an unmapped system address raises too */
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    assert_int_equal(probe_status(u + PAGE_SIZE, 8, KernelMode, IoReadAccess), STATUS_ACCESS_VIOLATION);
    mdlkit_user_free(u);
    ExFreePoolWithTag(np, 'tsTM');
}

static void unlock(void *arg) { MmUnlockPages((PMDL)arg); }
static void probe_k(void *arg) { MmProbeAndLockPages((PMDL)arg, KernelMode, IoReadAccess); }

static void test_unlock_misuse(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    PMDL m = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
    mk_expect_bugcheck(unlock, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, m, MDL_ALLOCATED_FIXED_SIZE, 0);
    MmProbeAndLockPages(m, UserMode, IoReadAccess);
    MmUnlockPages(m);
    mk_expect_bugcheck(unlock, m, PROCESS_HAS_LOCKED_PAGES, 0x01, m, 0, 0);
    IoFreeMdl(m);
    /* system pages unlocked twice */
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    m = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoReadAccess);
    PFN_NUMBER pfn = MmGetMdlPfnArray(m)[0];
    MmUnlockPages(m);
    mk_expect_bugcheck(unlock, m, PFN_LIST_CORRUPT, 0x07, pfn, 0, 0);
    IoFreeMdl(m);
    /* a built (non-paged) MDL is never unlocked, nor probed */
    m = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    mk_expect_bugcheck(unlock, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, m, m->MdlFlags, 0);
    mk_expect_bugcheck(probe_k, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, m, m->MdlFlags, MDL_SOURCE_IS_NONPAGED_POOL);
    IoFreeMdl(m);
    /* locking twice */
    m = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoReadAccess);
    mk_expect_bugcheck(probe_k, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, m, m->MdlFlags, MDL_PAGES_LOCKED);
    /* a partial MDL is never unlocked */
    PMDL p = IoAllocateMdl(NULL, 64, FALSE, FALSE, NULL);
    IoBuildPartialMdl(m, p, np, 32);
    mk_expect_bugcheck(unlock, p, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB4, p, p->MdlFlags, MDL_PARTIAL);
    IoFreeMdl(p);
    MmUnlockPages(m);
    IoFreeMdl(m);
    ExFreePoolWithTag(np, 'tsTM');
    mdlkit_user_free(u);
}

/* An MDL locked on one thread and unlocked on another: the counts stay
 * exact, and "unlocked more often than locked" is still found on the first
 * thread, whose own share of the frame's count is above the count. */
static void *unlock_thread(void *arg)
{
    MmUnlockPages((PMDL)arg);
    return NULL;
}
static void test_unlock_on_another_thread(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    PMDL a = IoAllocateMdl(np, 64, FALSE, FALSE, NULL), b = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(a, KernelMode, IoReadAccess);
    MmUnlockPages(a);
    MmProbeAndLockPages(a, KernelMode, IoReadAccess);
    PFN_NUMBER pfn = MmGetMdlPfnArray(a)[0];
    assert_int_equal(locks_of(pfn), 1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, unlock_thread, a), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(locks_of(pfn), 0);
    mk_mdl_stats st;
    mk_mdl_get_stats(&st);
    assert_int_equal(st.locked_mdls, 0);
    assert_int_equal(st.locked_pages, 0);
    /* a copy of the locked MDL, unlocked once more than the page was locked */
    memcpy(b, a, sizeof(MDL) + sizeof(PFN_NUMBER));
    b->MdlFlags = (CSHORT)((b->MdlFlags & ~MDL_INTERNAL) | MDL_PAGES_LOCKED);
    mk_expect_bugcheck(unlock, b, PFN_LIST_CORRUPT, 0x07, pfn, 0, 0);
    assert_int_equal(locks_of(pfn), 0);
    b->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
    IoFreeMdl(b);
    IoFreeMdl(a);
    ExFreePoolWithTag(np, 'tsTM');
}

static void probe_high(void *arg)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    MmProbeAndLockPages((PMDL)arg, KernelMode, IoReadAccess);
}
static void unlock_high(void *arg)
{
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    MmUnlockPages((PMDL)arg);
}
static void probe_user_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    MmProbeAndLockPages((PMDL)arg, UserMode, IoReadAccess);
}

static void test_irql(void **state)
{
    (void)state;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    PMDL m = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    mk_expect_bugcheck(probe_high, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x70, HIGH_LEVEL, m, KernelMode);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    MmProbeAndLockPages(m, KernelMode, IoReadAccess); /* non-paged at DISPATCH is fine */
    KeLowerIrql(old);
    mk_expect_bugcheck(unlock_high, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x78, HIGH_LEVEL, m, 0);
    MmUnlockPages(m);
    IoFreeMdl(m);
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    m = IoAllocateMdl(u, 64, FALSE, FALSE, NULL);
    mk_expect_bugcheck(probe_user_dispatch, m, DRIVER_IRQL_NOT_LESS_OR_EQUAL, u, DISPATCH_LEVEL, 0, MK_ANY);
    assert_false(m->MdlFlags & MDL_PAGES_LOCKED);
    IoFreeMdl(m);
    mdlkit_user_free(u);
    ExFreePoolWithTag(np, 'tsTM');
}

static void test_host_memory_kernel_lock(void **state)
{
    (void)state;
    char stackbuf[256];
    PMDL m = IoAllocateMdl(stackbuf, sizeof stackbuf, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    assert_int_equal(MmGetMdlPfnArray(m)[0], MK_FOREIGN_PFN_BASE + ((uintptr_t)stackbuf >> PAGE_SHIFT));
    assert_null(m->Process);
    MmUnlockPages(m);
    IoFreeMdl(m);
}

static NTSTATUS probe_for(int write, volatile void *p, SIZE_T len, ULONG align)
{
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY
    {
        if (write)
            ProbeForWrite(p, len, align);
        else
            ProbeForRead(p, len, align);
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    return st;
}

static void test_probe_for_read_write(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_int_equal(probe_for(0, u, 2 * PAGE_SIZE, 4), STATUS_SUCCESS);
    assert_int_equal(probe_for(1, u, 2 * PAGE_SIZE, 4), STATUS_SUCCESS);
    assert_int_equal(probe_for(0, u + 1, 8, 4), STATUS_DATATYPE_MISALIGNMENT);
    assert_int_equal(probe_for(0, NULL, 0, 4), STATUS_SUCCESS); /* Length 0 does nothing */
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    assert_int_equal(probe_for(0, np, 64, 1), STATUS_ACCESS_VIOLATION);
    assert_int_equal(probe_for(0, (void *)(MmUserProbeAddress - 4), 8, 1), STATUS_ACCESS_VIOLATION);
    assert_int_equal(probe_for(0, (void *)(~(ULONG_PTR)0 - 4), 8, 1), STATUS_ACCESS_VIOLATION);
    assert_int_equal(mdlkit_user_protect(u + PAGE_SIZE, PAGE_SIZE, PAGE_READONLY), 0);
    assert_int_equal(probe_for(0, u, 2 * PAGE_SIZE, 1), STATUS_SUCCESS);
    assert_int_equal(probe_for(1, u, 2 * PAGE_SIZE, 1), STATUS_ACCESS_VIOLATION);
    ExFreePoolWithTag(np, 'tsTM');
    mdlkit_user_free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_lock_read_write),
        cmocka_unit_test(test_readonly_write_probe_raises_and_leaves_nothing_locked),
        cmocka_unit_test(test_user_range_checks),
        cmocka_unit_test(test_unlock_on_another_thread),
        cmocka_unit_test(test_unlock_misuse),
        cmocka_unit_test(test_irql),
        cmocka_unit_test(test_host_memory_kernel_lock),
        cmocka_unit_test(test_probe_for_read_write),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
