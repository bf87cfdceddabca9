/* MmAllocatePagesForMdl(Ex) / MmFreePagesFromMdl(Ex). */
#include "testutil.h"
#include <wdm.h>
#include "mk_machine.h"
#include "mk_mdl.h"

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = v;
    return p;
}
#define ANY_HIGH pa(0x7FFFFFFFFFFFLL)

static void test_two_mib_map_write_unmap_free(void **state)
{
    (void)state;
    size_t before = mk_phys_free_count();
    PMDL m = MmAllocatePagesForMdl(pa(0), ANY_HIGH, pa(0), 2 << 20);
    assert_non_null(m);
    assert_int_equal(m->ByteCount, 2 << 20);
    assert_null(m->StartVa);
    assert_int_equal(m->ByteOffset, 0);
    assert_int_equal(m->MdlFlags, MDL_PAGES_LOCKED);
    size_t after = mk_phys_free_count();
    assert_true(before - after >= 512);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(m);
    for (int i = 0; i < 512; i++) {
        assert_int_equal(mk_pfn(pfn[i])->use, MK_USE_MDL_PAGES);
        assert_int_equal(*(char *)mk_pfn_to_direct(pfn[i]), 0); /* zeroed */
    }
    char *sys = MmMapLockedPagesSpecifyCache(m, KernelMode, MmCached, NULL, FALSE, NormalPagePriority | MdlMappingNoExecute);
    assert_non_null(sys);
    for (int i = 0; i < 512; i++)
        sys[i * PAGE_SIZE + 7] = (char)(i + 1);
    for (int i = 0; i < 512; i++)
        assert_int_equal(((char *)mk_pfn_to_direct(pfn[i]))[7], (char)(i + 1));
    MmUnmapLockedPages(sys, m);
    MmFreePagesFromMdl(m);
    assert_int_equal(mk_phys_free_count(), after + 512);
    ExFreePool(m);
}

static void test_ranges_and_flags(void **state)
{
    (void)state;
    /* bounded range */
    LONGLONG lo = (LONGLONG)(mk_phys.first + 1000) << PAGE_SHIFT, hi = lo + (64LL << PAGE_SHIFT) - 1;
    PMDL m = MmAllocatePagesForMdlEx(pa(lo), pa(hi), pa(0), 16 * PAGE_SIZE, MmCached, 0);
    assert_non_null(m);
    for (int i = 0; i < 16; i++) {
        PFN_NUMBER p = MmGetMdlPfnArray(m)[i];
        assert_true(p >= (PFN_NUMBER)(lo >> PAGE_SHIFT) && p <= (PFN_NUMBER)(hi >> PAGE_SHIFT));
        assert_int_equal(mk_pfn(p)->cache, MmCached);
    }
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    /* fewer bytes than asked when the range is too small; NULL with FULLY_REQUIRED */
    m = MmAllocatePagesForMdlEx(pa(lo), pa(hi), pa(0), 128 * PAGE_SIZE, MmNonCached, 0);
    assert_non_null(m);
    assert_true(m->ByteCount > 0 && m->ByteCount <= 64 * PAGE_SIZE); /* only what the range holds */
    assert_int_equal(MmGetMdlPfnArray(m)[m->ByteCount >> PAGE_SHIFT], MK_PFN_LIST_END);
    assert_null(MmAllocatePagesForMdlEx(pa(lo), pa(hi), pa(0), 8 * PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED));
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    /* SkipBytes: later ranges are used */
    m = MmAllocatePagesForMdlEx(pa(lo), pa(hi), pa(64LL << PAGE_SHIFT), 100 * PAGE_SIZE, MmCached, 0);
    assert_int_equal(m->ByteCount, 100 * PAGE_SIZE);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(100), PAGE_SIZE, MmCached, 0)); /* unaligned skip */
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), 0, MmCached, 0));
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, 0x80000000UL));
    /* contiguous chunks */
    m = MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), 32 * PAGE_SIZE, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    for (int i = 1; i < 32; i++)
        assert_int_equal(MmGetMdlPfnArray(m)[i], MmGetMdlPfnArray(m)[0] + i);
    MmFreePagesFromMdlEx(m, MM_FREE_MDL_PAGES_ZERO);
    ExFreePool(m);
    m = MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), 1024 * PAGE_SIZE, MmCached,
                                MM_ALLOCATE_FAST_LARGE_PAGES | MM_DONT_ZERO_ALLOCATION | MM_ALLOCATE_NO_WAIT);
    assert_int_equal(m->ByteCount, 1024 * PAGE_SIZE);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    /* hot remove: PASSIVE only, not with FULLY_REQUIRED */
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached,
                                        MM_ALLOCATE_AND_HOT_REMOVE | MM_ALLOCATE_FULLY_REQUIRED));
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_AND_HOT_REMOVE));
    KeLowerIrql(old);
    m = MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_AND_HOT_REMOVE);
    assert_non_null(m);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
}

static void test_os_flags(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = NTDDI_VISTA;
    assert_int_equal(mdlkit_init(&c), 0);
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED));
    PMDL m = MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_DONT_ZERO_ALLOCATION);
    assert_non_null(m);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    mdlkit_shutdown();
    c.os_version = NTDDI_WIN7;
    assert_int_equal(mdlkit_init(&c), 0);
    assert_null(MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_FAST_LARGE_PAGES));
    m = MmAllocatePagesForMdlEx(pa(0), ANY_HIGH, pa(0), PAGE_SIZE, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
    assert_non_null(m);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

static void free_pages(void *arg) { MmFreePagesFromMdl((PMDL)arg); }
static void alloc_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    MmAllocatePagesForMdl(pa(0), ANY_HIGH, pa(0), PAGE_SIZE);
}

static void test_misuse(void **state)
{
    (void)state;
    PMDL m = MmAllocatePagesForMdl(pa(0), ANY_HIGH, pa(0), 2 * PAGE_SIZE);
    MmFreePagesFromMdl(m);
    mk_expect_bugcheck(free_pages, m, MEMORY_MANAGEMENT, 0x1236, m, MmGetMdlPfnArray(m), MK_PFN_LIST_END);
    ExFreePool(m);
    /* not an MDL of allocated pages */
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tsTM');
    PMDL b = IoAllocateMdl(np, 64, FALSE, FALSE, NULL);
    MmProbeAndLockPages(b, KernelMode, IoReadAccess);
    mk_expect_bugcheck(free_pages, b, MEMORY_MANAGEMENT, 0x1236, b, MmGetMdlPfnArray(b), MmGetMdlPfnArray(b)[0]);
    MmUnlockPages(b);
    IoFreeMdl(b);
    ExFreePoolWithTag(np, 'tsTM');
    mk_expect_bugcheck(alloc_high, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7E, HIGH_LEVEL, DISPATCH_LEVEL, 0);
    /* unlocking a page MDL: its pages hold no lock */
    m = MmAllocatePagesForMdl(pa(0), ANY_HIGH, pa(0), PAGE_SIZE);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck((void (*)(void *))MmUnlockPages, m, &bc), 1);
    assert_int_equal(bc.code, PFN_LIST_CORRUPT);
    assert_int_equal(bc.param[0], 0x07);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
}

/* Freeing pages still locked through another MDL: 0x4E (0x9A, PFN, locks,
 * other mappings), or unlocking the page MDL itself: 0x4E (0x07, ...) --
 * and nothing changed: the page MDL keeps its own system
 * mapping (its MappedSystemVa still maps the pages), and frees normally once
 * the other MDL is unlocked. Its own mapping is not "another" mapping. */
static void test_free_locked_pages_changes_nothing(void **state)
{
    (void)state;
    PMDL m = MmAllocatePagesForMdl(pa(0), ANY_HIGH, pa(0), 2 * PAGE_SIZE);
    assert_non_null(m);
    char *va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority);
    assert_non_null(va);
    va[PAGE_SIZE] = 0x42;
    PMDL other = IoAllocateMdl(va + PAGE_SIZE, 16, FALSE, FALSE, NULL);
    MmProbeAndLockPages(other, KernelMode, IoReadAccess);
    PFN_NUMBER locked = MmGetMdlPfnArray(m)[1];
    mk_expect_bugcheck(free_pages, m, PFN_LIST_CORRUPT, 0x9A, locked, 1, 0);
    assert_true(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    /* MmUnlockPages of the page MDL (its pages hold no lock of its own):
     * 0x4E/0x07, and again nothing changed, its mapping included */
    mk_expect_bugcheck((void (*)(void *))MmUnlockPages, m, PFN_LIST_CORRUPT, 0x07, MmGetMdlPfnArray(m)[0], 0, 0);
    assert_true(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    assert_ptr_equal(m->MappedSystemVa, va);
    assert_int_equal(va[PAGE_SIZE], 0x42); /* still mapped */
    MmUnlockPages(other);
    IoFreeMdl(other);
    MmFreePagesFromMdl(m); /* releases its own mapping too */
    assert_false(m->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA);
    ExFreePool(m);
}

static void test_ddi_compliance_apc(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_DDI_COMPLIANCE;
    assert_int_equal(mdlkit_init(&c), 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(alloc_high, NULL, &bc), 1);
    assert_int_equal(bc.param[0], 0x7E);
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_mib_map_write_unmap_free),
        cmocka_unit_test(test_ranges_and_flags),
        cmocka_unit_test(test_os_flags),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_free_locked_pages_changes_nothing),
        cmocka_unit_test(test_ddi_compliance_apc),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
