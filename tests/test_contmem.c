/* MmAllocateContiguousMemory* / MmFreeContiguousMemory*. */
#include "testutil.h"
#include <wdm.h>
#include <ntddk.h>
#include "mk_machine.h"

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = v;
    return p;
}

static void test_contiguous(void **state)
{
    (void)state;
    char *c = MmAllocateContiguousMemory(5 * PAGE_SIZE, pa(0x7FFFFFFFFFFFLL));
    assert_non_null(c);
    assert_int_equal(mk_va_region(c), MK_RGN_DIRECT);
    LONGLONG p0 = MmGetPhysicalAddress(c).QuadPart;
    for (int i = 1; i < 5; i++)
        assert_int_equal(MmGetPhysicalAddress(c + i * PAGE_SIZE).QuadPart, p0 + i * PAGE_SIZE);
    c[5 * PAGE_SIZE - 1] = 1;
    MmFreeContiguousMemory(c);
}

static void test_bounds_and_boundary(void **state)
{
    (void)state;
    LONGLONG lo = (LONGLONG)(mk_phys.first + 4096) << PAGE_SHIFT, hi = lo + (256LL << PAGE_SHIFT) - 1;
    char *c = MmAllocateContiguousMemorySpecifyCache(8 * PAGE_SIZE, pa(lo), pa(hi), pa(16 * PAGE_SIZE), MmNonCached);
    assert_non_null(c);
    LONGLONG p = MmGetPhysicalAddress(c).QuadPart;
    assert_true(p >= lo && p + 8 * PAGE_SIZE - 1 <= hi);
    assert_int_equal(p / (16 * PAGE_SIZE), (p + 8 * PAGE_SIZE - 1) / (16 * PAGE_SIZE));
    assert_int_equal(mk_pfn(p >> PAGE_SHIFT)->cache, MmNonCached);
    MmFreeContiguousMemorySpecifyCache(c, 8 * PAGE_SIZE, MmNonCached);
    assert_null(MmAllocateContiguousMemorySpecifyCache(0, pa(0), pa(hi), pa(0), MmCached));
    assert_null(MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(0xFFFFF), pa(0), MmCached)); /* below RAM */
    c = MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), pa(hi), pa(0), MmCached, MM_ANY_NODE_OK);
    assert_non_null(c);
    MmFreeContiguousMemory(c);
    assert_null(MmAllocateContiguousMemorySpecifyCacheNode(PAGE_SIZE, pa(0), pa(hi), pa(0), MmCached, 3));
}

static void free_it(void *arg) { MmFreeContiguousMemory(arg); }

static void test_bad_free(void **state)
{
    (void)state;
    char *c = MmAllocateContiguousMemory(2 * PAGE_SIZE, pa(0x7FFFFFFFFFFFLL));
    mk_expect_bugcheck(free_it, c + PAGE_SIZE, BAD_POOL_CALLER, 0x60, c + PAGE_SIZE, 0, 0);
    /* still locked by an MDL */
    PMDL m = IoAllocateMdl(c, PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(m, KernelMode, IoReadAccess);
    mk_expect_bugcheck(free_it, c, PFN_LIST_CORRUPT, 0x9A, MmGetMdlPfnArray(m)[0], 1, 0);
    MmUnlockPages(m);
    IoFreeMdl(m);
    MmFreeContiguousMemory(c);
    mk_expect_bugcheck(free_it, c, BAD_POOL_CALLER, 0x60, c, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contiguous),
        cmocka_unit_test(test_bounds_and_boundary),
        cmocka_unit_test(test_bad_free),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
