/* IoAllocateMdl / IoFreeMdl: sizing, lookaside, IRP chaining, per-OS limits, misuse. */
#include "testutil.h"
#include <wdm.h>
#include "mk_mdl.h"

static void *np_alloc(SIZE_T n) { return ExAllocatePoolWithTag(NonPagedPoolNx, n, 'tsTM'); }

static void test_allocate_fields(void **state)
{
    (void)state;
    char *buf = np_alloc(3 * PAGE_SIZE);
    assert_non_null(buf);
    PMDL m = IoAllocateMdl(buf + 100, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_ptr_equal(m->StartVa, PAGE_ALIGN(buf + 100));
    assert_int_equal(m->ByteOffset, BYTE_OFFSET(buf + 100));
    assert_int_equal(m->ByteCount, 2 * PAGE_SIZE);
    assert_ptr_equal(MmGetMdlVirtualAddress(m), buf + 100);
    assert_null(m->Next);
    /* small MDL: fixed-size lookaside block; nothing built or locked */
    assert_int_equal(m->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
    assert_int_equal(m->Size, sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(buf + 100, 2 * PAGE_SIZE));
    IoFreeMdl(m);
    ExFreePoolWithTag(buf, 'tsTM');
}

static void test_null_va_and_zero_length(void **state)
{
    (void)state;
    PMDL m = IoAllocateMdl(NULL, 64 * 1024, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_null(m->StartVa);
    assert_int_equal(m->ByteCount, 64 * 1024);
    assert_int_equal(mk_mdl_capacity(m), MK_MDL_FIXED_PFNS);
    IoFreeMdl(m);
    m = IoAllocateMdl(NULL, 0, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_int_equal(m->ByteCount, 0);
    IoFreeMdl(m);
}

static void test_big_mdl_not_fixed(void **state)
{
    (void)state;
    ULONG len = 24 * PAGE_SIZE;
    PMDL m = IoAllocateMdl(NULL, len, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_int_equal(m->MdlFlags & MDL_ALLOCATED_FIXED_SIZE, 0);
    assert_int_equal(mk_mdl_capacity(m), 24);
    IoFreeMdl(m);
    /* > 32767 bytes of MDL: Size wraps, the capacity is still right */
    len = 8000 * PAGE_SIZE;
    m = IoAllocateMdl(NULL, len, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_int_equal(mk_mdl_capacity(m), 8000);
    assert_int_equal(m->Size, (CSHORT)(sizeof(MDL) + 8000 * sizeof(PFN_NUMBER)));
    IoFreeMdl(m);
}

static void test_lookaside_reuses_blocks(void **state)
{
    (void)state;
    PMDL a = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
    IoFreeMdl(a);
    PMDL b = IoAllocateMdl(NULL, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_ptr_equal(a, b); /* per-processor lookaside hands the block back */
    assert_int_equal(b->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
    IoFreeMdl(b);
}

static void test_irp_chain(void **state)
{
    (void)state;
    PIRP irp = IoAllocateIrp(2, FALSE);
    assert_non_null(irp);
    PMDL p = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, irp);
    assert_ptr_equal(irp->MdlAddress, p);
    PMDL s1 = IoAllocateMdl(NULL, PAGE_SIZE, TRUE, FALSE, irp);
    PMDL s2 = IoAllocateMdl(NULL, PAGE_SIZE, TRUE, FALSE, irp);
    assert_ptr_equal(irp->MdlAddress, p);
    assert_ptr_equal(p->Next, s1);
    assert_ptr_equal(s1->Next, s2);
    assert_null(s2->Next);
    /* FALSE replaces the chain head */
    PMDL q = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, irp);
    assert_ptr_equal(irp->MdlAddress, q);
    /* IoFreeIrp never frees MDLs; IoFreeMdl frees exactly one */
    IoFreeIrp(irp);
    IoFreeMdl(p);
    IoFreeMdl(s1);
    IoFreeMdl(s2);
    IoFreeMdl(q);
}

static void secondary_no_irp(void *arg) { (void)arg; IoAllocateMdl(NULL, PAGE_SIZE, TRUE, FALSE, NULL); }
static void secondary_empty_irp(void *arg) { IoAllocateMdl(NULL, PAGE_SIZE, TRUE, FALSE, (PIRP)arg); }

static void test_secondary_misuse(void **state)
{
    (void)state;
    mk_expect_bugcheck(secondary_no_irp, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY,
                       MK_ANY, 0, 0);
    PIRP irp = IoAllocateIrp(1, FALSE);
    mk_expect_bugcheck(secondary_empty_irp, irp, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY, MK_ANY, irp, 0);
    assert_null(irp->MdlAddress);
    IoFreeIrp(irp);
}

static void restart(ULONG os, ULONG verifier)
{
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = os;
    c.verifier_flags = verifier;
    assert_int_equal(mdlkit_init(&c), 0);
}

/* sioctl's METHOD_NEITHER path and ZFSin's fixed copy-in path pass
 * ChargeQuota = TRUE; Windows ignores the reserved parameter, and Driver
 * Verifier (DDI compliance included) raises nothing. */
static void test_sioctl_charge_quota_true_is_clean(void **state)
{
    (void)state;
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            restart(NTDDI_WIN11_GE, MDLKIT_VERIFY_DDI_COMPLIANCE | MDLKIT_VERIFY_POOL_TRACKING);
        PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, TRUE, NULL);
        assert_non_null(m);
        IoFreeMdl(m);
    }
    restart(NTDDI_WIN11_GE, 0);
}

/* wintun PR #4: a partial MDL built into a target MDL sized for one page
 * from a three-page range is 0x40 TARGET_MDL_TOO_SMALL, judged by the
 * target's own Size, not by the block it lives in. */
static void build_partial_into_small_target(void *arg)
{
    PMDL src = arg;
    PMDL target = IoAllocateMdl(MmGetMdlVirtualAddress(src), PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(src, target, MmGetMdlVirtualAddress(src), 3 * PAGE_SIZE);
}

static void test_wintun_partial_into_one_page_target(void **state)
{
    (void)state;
    char *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 4 * PAGE_SIZE, 'tseT');
    PMDL src = IoAllocateMdl(buf, 4 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(src);
    mk_expect_bugcheck(build_partial_into_small_target, src, TARGET_MDL_TOO_SMALL, 0, 0, 0, 0);
    /* a target of the right size takes it */
    PMDL target = IoAllocateMdl(buf, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    IoBuildPartialMdl(src, target, buf, 3 * PAGE_SIZE);
    assert_int_equal(MmGetMdlByteCount(target), 3 * PAGE_SIZE);
    assert_int_equal(MmGetMdlPfnArray(target)[2], MmGetMdlPfnArray(src)[2]);
    IoFreeMdl(target);
    IoFreeMdl(src);
    ExFreePoolWithTag(buf, 'tseT');
}

/* ebpf-for-windows' ring buffer: an MDL of memory the driver keeps resident,
 * MDL_PAGES_LOCKED set by the driver as the MDL documentation allows, mapped
 * described by the driver, then freed: no 0xCB, as on Windows. Pages that
 * MmProbeAndLockPages locked still are (test_probe_lock). */
static void test_ebpf_driver_set_pages_locked_is_clean(void **state)
{
    (void)state;
    char *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 * PAGE_SIZE, 'tseT');
    PMDL m = IoAllocateMdl(buf, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(m);
    m->MdlFlags |= MDL_PAGES_LOCKED;
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(m, NormalPagePriority), buf);
    IoFreeMdl(m);
    ExFreePoolWithTag(buf, 'tseT');
}

static void expect_limit(ULONG max)
{
    assert_int_equal(mk_mdl_max_length(), max);
    PMDL m = IoAllocateMdl(NULL, max, FALSE, FALSE, NULL);
    assert_non_null(m);
    assert_int_equal(m->ByteCount, max);
    IoFreeMdl(m);
    if (max != 0xFFFFFFFFUL)
        assert_null(IoAllocateMdl(NULL, max + 1, FALSE, FALSE, NULL));
}

static void test_os_limits(void **state)
{
    (void)state;
    restart(NTDDI_WINXP, 0);
    expect_limit((ULONG)(PAGE_SIZE * (65535 - sizeof(MDL)) / sizeof(ULONG_PTR)));
    restart(NTDDI_VISTA, 0);
    expect_limit(0x80000000UL - PAGE_SIZE);
    restart(NTDDI_WIN7, 0);
    expect_limit(0x100000000ULL - PAGE_SIZE);
    assert_null(IoAllocateMdl(NULL, 0xFFFFFFFFUL, FALSE, FALSE, NULL));
    restart(NTDDI_WIN11_GE, 0);
    expect_limit(0x100000000ULL - PAGE_SIZE);
}

static void free_locked(void *arg) { IoFreeMdl((PMDL)arg); }

static void test_free_locked_is_reported(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = IoAllocateMdl(u, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, UserMode, IoReadAccess);
    mk_expect_bugcheck(free_locked, m, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, MK_ANY, 0, m, 2);
    /* mapped too: 0xB8 comes first */
    assert_non_null(MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute));
    mk_expect_bugcheck(free_locked, m, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, m, m->MdlFlags, 0);
    MmUnlockPages(m);
    IoFreeMdl(m);
    mdlkit_user_free(u);
}

static void at_dispatch_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
}

static void test_irql(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PMDL m = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(m);
    IoFreeMdl(m);
    KeLowerIrql(old);
    mk_expect_bugcheck(at_dispatch_high, NULL, IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)IoAllocateMdl, HIGH_LEVEL, 0, MK_ANY);
}

static PMDL g_twice;
static void free_twice(void *a)
{
    (void)a;
    IoFreeMdl(g_twice);
}

/* A fixed-size MDL freed twice must be reported even when it rests in the
 * per-thread MDL cache (no verifier option on), and must not be handed out
 * twice afterwards. */
static void test_double_free_of_cached_mdl(void **state)
{
    (void)state;
    char *buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, 'tsT1');
    g_twice = IoAllocateMdl(buf, 256, FALSE, FALSE, NULL);
    assert_non_null(g_twice);
    assert_true(g_twice->MdlFlags & MDL_ALLOCATED_FIXED_SIZE);
    IoFreeMdl(g_twice);
    mk_expect_bugcheck(free_twice, NULL, BAD_POOL_CALLER, 0x07, 0, MK_ANY, g_twice);
    PMDL a = IoAllocateMdl(buf, 256, FALSE, FALSE, NULL);
    PMDL b = IoAllocateMdl(buf, 256, FALSE, FALSE, NULL);
    assert_ptr_not_equal(a, b);
    assert_null(a->Process);
    IoFreeMdl(a);
    IoFreeMdl(b);
    ExFreePoolWithTag(buf, 'tsT1');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allocate_fields),
        cmocka_unit_test(test_double_free_of_cached_mdl),
        cmocka_unit_test(test_null_va_and_zero_length),
        cmocka_unit_test(test_big_mdl_not_fixed),
        cmocka_unit_test(test_lookaside_reuses_blocks),
        cmocka_unit_test(test_irp_chain),
        cmocka_unit_test(test_secondary_misuse),
        cmocka_unit_test(test_sioctl_charge_quota_true_is_clean),
        cmocka_unit_test(test_wintun_partial_into_one_page_target),
        cmocka_unit_test(test_ebpf_driver_set_pages_locked_is_clean),
        cmocka_unit_test(test_os_limits),
        cmocka_unit_test(test_free_locked_is_reported),
        cmocka_unit_test(test_irql),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
