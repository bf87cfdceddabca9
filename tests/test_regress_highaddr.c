/* Regressions found by the DDI sequence fuzzer (fuzz/, docs/reliability.md).
 *
 * 1. HighAddress / HighestAcceptableAddress of -1 ("no limit", the way many
 *    drivers write it: QuadPart = (LONGLONG)-1 or ~0ULL) made
 *    MmAllocatePagesForMdlEx, MmAllocatePagesForMdl and
 *    MmAllocateContiguousMemory(SpecifyCache) return NULL: the addresses
 *    were compared as signed numbers.
 * 2. MmGetMdlVirtualAddress on an MmAllocatePagesForMdl MDL (StartVa NULL)
 *    computed NULL + offset, undefined behaviour UBSan reports in mdlkit and
 *    in driver code using the macro. */
#include "testutil.h"

static PHYSICAL_ADDRESS pa(LONGLONG v)
{
    PHYSICAL_ADDRESS p;
    p.QuadPart = v;
    return p;
}

static void test_pages_high_minus_one(void **state)
{
    (void)state;
    PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(-1), pa(0), 3 * PAGE_SIZE, MmCached, 0);
    assert_non_null(m);
    assert_int_equal(MmGetMdlByteCount(m), 3 * PAGE_SIZE);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    m = MmAllocatePagesForMdl(pa(0), pa(-1), pa(0), PAGE_SIZE);
    assert_non_null(m);
    MmFreePagesFromMdl(m);
    ExFreePool(m);
    /* A high bound below the low one still fails. */
    assert_null(MmAllocatePagesForMdlEx(pa(0x200000), pa(0x100000), pa(0), PAGE_SIZE, MmCached, 0));
}

static void test_contiguous_high_minus_one(void **state)
{
    (void)state;
    PVOID p = MmAllocateContiguousMemory(2 * PAGE_SIZE, pa(-1));
    assert_non_null(p);
    MmFreeContiguousMemory(p);
    p = MmAllocateContiguousMemorySpecifyCache(PAGE_SIZE, pa(0), pa(-1), pa(0), MmCached);
    assert_non_null(p);
    MmFreeContiguousMemorySpecifyCache(p, PAGE_SIZE, MmCached);
}

static void test_page_mdl_virtual_address(void **state)
{
    (void)state;
    PMDL m = MmAllocatePagesForMdlEx(pa(0), pa(0x7FFFFFFFFFFFFFFFLL), pa(0), 2 * PAGE_SIZE, MmCached, 0);
    assert_non_null(m);
    assert_null(MmGetMdlBaseVa(m));
    assert_true((ULONG_PTR)MmGetMdlVirtualAddress(m) == m->ByteOffset);
    unsigned char *k = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    assert_non_null(k);
    k[0] = 1;
    k[2 * PAGE_SIZE - 1] = 2;
    MmFreePagesFromMdl(m);
    ExFreePool(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_pages_high_minus_one, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_contiguous_high_minus_one, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_page_mdl_virtual_address, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
