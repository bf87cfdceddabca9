/* The simulated machine: physical memory, address space, aliasing, faults. */
#include "testutil.h"
#include "mk_machine.h"

#include <stdlib.h>

static void test_layout_and_bounds(void **state)
{
    (void)state;
    assert_non_null(MmSystemRangeStart);
    assert_true((ULONG_PTR)MmHighestUserAddress + 1 == MmUserProbeAddress);
    assert_true(MmUserProbeAddress <= (ULONG_PTR)MmSystemRangeStart);
    assert_int_equal(mk_va_region(MmSystemRangeStart), MK_RGN_NPOOL);
    /* PFN 0 is never RAM */
    assert_false(mk_pfn_is_ram(0));
    assert_null(mk_pfn(0));
    assert_true(mk_phys.first > 0);
    assert_int_equal(mk_phys.npages, (256u << 20) / PAGE_SIZE);
}

static void test_two_mappings_alias(void **state)
{
    (void)state;
    PFN_NUMBER pfn;
    assert_int_equal(mk_phys_alloc_run(1, 0, 0, 0, MK_USE_INTERNAL, &pfn), 0);
    char *a = mk_va_alloc(MK_RGN_SYSMAP, 1, 0);
    char *b = mk_va_alloc(MK_RGN_SYSMAP, 1, 0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_int_equal(mk_va_map(a, pfn, 1, MK_PG_READ | MK_PG_WRITE), 0);
    assert_int_equal(mk_va_map(b, pfn, 1, MK_PG_READ | MK_PG_WRITE), 0);
    /* fresh frames read as zero */
    assert_int_equal(a[100], 0);
    a[100] = 0x5A;
    assert_int_equal(b[100], 0x5A);
    b[4095] = 0x11;
    assert_int_equal(a[4095], 0x11);
    /* and the direct map is a third alias */
    char *d = mk_pfn_to_direct(pfn);
    assert_int_equal(d[100], 0x5A);
    /* VA -> PFN round trip through every alias */
    assert_int_equal(mk_va_to_pfn(a), pfn);
    assert_int_equal(mk_va_to_pfn(b + 17), pfn);
    assert_int_equal(mk_va_to_pfn(d), pfn);
    PHYSICAL_ADDRESS pa = MmGetPhysicalAddress(a + 100);
    assert_int_equal(pa.QuadPart, (LONGLONG)((pfn << PAGE_SHIFT) | 100));
    assert_ptr_equal(MmGetVirtualForPhysical(pa), d + 100);
    assert_ptr_equal(mdlkit_phys_to_va(pa), d + 100);
    mk_va_unmap(a, 1);
    mk_va_unmap(b, 1);
    mk_va_free(MK_RGN_SYSMAP, a, 1);
    mk_va_free(MK_RGN_SYSMAP, b, 1);
    assert_int_equal(mk_va_to_pfn(a), 0);
    assert_false(MmIsAddressValid(a));
    mk_phys_free(pfn, 1);
    /* a freed frame comes back zeroed */
    assert_int_equal(d[100], 0);
}

static void test_frames_are_scattered(void **state)
{
    (void)state;
    PFN_NUMBER p[8];
    assert_int_equal(mk_phys_alloc_pages(8, 0, 0, MK_USE_MDL_PAGES, p), 8);
    int adjacent = 0;
    for (int i = 1; i < 8; i++)
        if (p[i] == p[i - 1] + 1)
            adjacent++;
    assert_true(adjacent < 7);
    for (int i = 0; i < 8; i++) {
        assert_true(mk_pfn_is_ram(p[i]));
        assert_int_equal(mk_pfn(p[i])->state, MK_PFN_ACTIVE);
        assert_int_equal(mk_pfn(p[i])->use, MK_USE_MDL_PAGES);
    }
    mk_phys_free_list(p, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(mk_pfn(p[i])->state, MK_PFN_FREE);

    /* two successive runs are not placed next to each other */
    PFN_NUMBER r1, r2;
    assert_int_equal(mk_phys_alloc_run(16, 0, 0, 0, MK_USE_INTERNAL, &r1), 0);
    assert_int_equal(mk_phys_alloc_run(16, 0, 0, 0, MK_USE_INTERNAL, &r2), 0);
    assert_true(r2 != r1 + 16 && r1 != r2 + 16);
    mk_phys_free(r1, 16);
    mk_phys_free(r2, 16);
}

static void test_contiguous_bounds_and_boundary(void **state)
{
    (void)state;
    PFN_NUMBER first;
    PFN_NUMBER lo = mk_phys.first + 1000, hi = mk_phys.first + 3000;
    assert_int_equal(mk_phys_alloc_run(40, lo, hi, 64, MK_USE_CONTIG, &first), 0);
    assert_true(first >= lo && first + 39 <= hi);
    assert_true(first / 64 == (first + 39) / 64); /* does not cross a 64-page boundary */
    mk_phys_free(first, 40);
    /* a run that cannot fit its boundary fails */
    assert_int_equal(mk_phys_alloc_run(65, 0, 0, 64, MK_USE_CONTIG, &first), -1);
    /* an empty range fails */
    assert_int_equal(mk_phys_alloc_run(1, mk_phys.last + 5, 0, 0, MK_USE_CONTIG, &first), -1);
}

static void test_physical_exhaustion_is_clean(void **state)
{
    (void)state;
    size_t before = mk_phys_free_count();
    size_t cap = mk_phys.npages / 16 + 1, n = 0;
    PFN_NUMBER *runs = calloc(cap, sizeof *runs);
    PFN_NUMBER *singles = calloc(before, sizeof *singles);
    while (n < cap && mk_phys_alloc_run(16, 0, 0, 0, MK_USE_INTERNAL, &runs[n]) == 0)
        n++;
    assert_true(n > 0);
    size_t s = mk_phys_alloc_pages(before, 0, 0, MK_USE_INTERNAL, singles);
    assert_int_equal(n * 16 + s, before);
    /* memory is exhausted: every allocator fails cleanly */
    PFN_NUMBER x;
    assert_int_equal(mk_phys_free_count(), 0);
    assert_int_equal(mk_phys_alloc_run(1, 0, 0, 0, MK_USE_INTERNAL, &x), -1);
    assert_int_equal(mk_phys_alloc_pages(1, 0, 0, MK_USE_INTERNAL, &x), 0);
    assert_null(mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE));
    /* and recovers when memory is freed */
    for (size_t i = 0; i < n; i++)
        mk_phys_free(runs[i], 16);
    mk_phys_free_list(singles, s);
    free(runs);
    free(singles);
    assert_int_equal(mk_phys_free_count(), before);
    void *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(u);
    mdlkit_user_free(u);
}

static void test_user_buffers(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(3 * PAGE_SIZE + 10, PAGE_READWRITE);
    assert_non_null(u);
    assert_int_equal(mk_va_region(u), MK_RGN_USER);
    assert_true((ULONG_PTR)u + 4 * PAGE_SIZE <= MmUserProbeAddress);
    assert_int_equal(BYTE_OFFSET(u), 0);
    for (int i = 0; i < 4 * PAGE_SIZE; i += PAGE_SIZE) {
        u[i] = (char)i;
        assert_true(MmIsAddressValid(u + i));
        PFN_NUMBER pfn = mk_va_to_pfn(u + i);
        assert_true(mk_pfn_is_ram(pfn));
        assert_int_equal(mk_pfn(pfn)->use, MK_USE_USER);
        assert_int_equal(((char *)mk_pfn_to_direct(pfn))[0], (char)i);
    }
    /* the page after the buffer is a guard */
    assert_false(MmIsAddressValid(u + 4 * PAGE_SIZE));
    assert_int_equal(mdlkit_user_protect(u, PAGE_SIZE, PAGE_READONLY), 0);
    assert_int_equal(mk_va_bits(u) & (MK_PG_READ | MK_PG_WRITE), MK_PG_READ);
    assert_int_equal(mdlkit_user_protect(u, PAGE_SIZE, 0x40 /* not supported */), -1);
    mdlkit_user_free(u);
    assert_false(MmIsAddressValid(u));
    assert_null(mdlkit_user_alloc(0, PAGE_READWRITE));
    assert_null(mdlkit_user_alloc(10, 0x80));
}

static volatile char *ro_page;

static void write_readonly_user_page(void *arg)
{
    (void)arg;
    ro_page[8] = 1; /* kernel code writing a read-only user page, no __try */
}

static void test_readonly_user_page_fault_is_reported(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    assert_non_null(u);
    ro_page = u;
    assert_int_equal(ro_page[8], 0); /* reading is fine */
    /* inside __try: an access violation the driver can handle */
    volatile NTSTATUS code = 0;
    MDLKIT_TRY { ro_page[8] = 1; }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_ACCESS_VIOLATION);
    /* without a handler: KMODE_EXCEPTION_NOT_HANDLED with the status */
    mk_expect_bugcheck(write_readonly_user_page, NULL, KMODE_EXCEPTION_NOT_HANDLED, STATUS_ACCESS_VIOLATION, MK_ANY,
                       MK_ANY, MK_ANY);
    assert_int_equal(ro_page[8], 0);
    mdlkit_user_free(u);
}

static int host_global;

static void test_foreign_memory(void **state)
{
    (void)state;
    int local = 0;
    void *heap = malloc(64);
    void *addrs[3] = {&host_global, &local, heap};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(mk_va_region(addrs[i]), MK_RGN_FOREIGN);
        PFN_NUMBER pfn = mk_va_to_pfn(addrs[i]);
        assert_true(mk_pfn_is_foreign(pfn));
        assert_false(mk_pfn_is_ram(pfn));
        assert_true(MmIsAddressValid(addrs[i]));
        PHYSICAL_ADDRESS pa = MmGetPhysicalAddress(addrs[i]);
        assert_ptr_equal(MmGetVirtualForPhysical(pa), addrs[i]);
        assert_null(mdlkit_phys_to_va(pa));
    }
    free(heap);
}

static void free_bad_user_pointer(void *arg) { mdlkit_user_free(arg); }

static void test_user_free_misuse(void **state)
{
    (void)state;
    char *u = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    mk_expect_bugcheck(free_bad_user_pointer, u + PAGE_SIZE, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_HARNESS_MISUSE, MK_ANY, u + PAGE_SIZE, 0);
    int x;
    mk_expect_bugcheck(free_bad_user_pointer, &x, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_HARNESS_MISUSE,
                       MK_ANY, &x, 0);
    /* pages locked by a driver when the buffer goes away */
    size_t fi = (size_t)(mk_va_to_pfn(u) - mk_phys.first);
    mk_lock_add(fi, mk_lock_shard(), 1);
    mk_expect_bugcheck(free_bad_user_pointer, u, PROCESS_HAS_LOCKED_PAGES, 0, PsGetCurrentProcess(), 1, 0);
    mk_lock_add(fi, mk_lock_shard(), -1);
    mdlkit_user_free(u);
}

static void test_mapping_budget_fails_cleanly(void **state)
{
    (void)state;
    long saved = mk_as.maps_budget;
    mk_as.maps_budget = atomic_load(&mk_as.maps_in_use) + 2;
    PFN_NUMBER pfn;
    assert_int_equal(mk_phys_alloc_run(3, 0, 0, 0, MK_USE_INTERNAL, &pfn), 0);
    char *va = mk_va_alloc(MK_RGN_SYSMAP, 3, 0);
    PFN_NUMBER scattered[3] = {pfn, pfn + 2, pfn + 1}; /* three runs */
    assert_int_equal(mk_va_map_list(va, scattered, 3, MK_PG_READ), -1);
    assert_int_equal(mk_va_to_pfn(va), 0); /* all or nothing */
    PFN_NUMBER two[3] = {pfn, pfn + 1, pfn + 2}; /* one run */
    assert_int_equal(mk_va_map_list(va, two, 3, MK_PG_READ), 0);
    assert_int_equal(mk_va_to_pfn(va + 2 * PAGE_SIZE), pfn + 2);
    mk_va_unmap(va, 3);
    mk_va_free(MK_RGN_SYSMAP, va, 3);
    mk_phys_free(pfn, 3);
    mk_as.maps_budget = saved;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_bounds),
        cmocka_unit_test(test_two_mappings_alias),
        cmocka_unit_test(test_frames_are_scattered),
        cmocka_unit_test(test_contiguous_bounds_and_boundary),
        cmocka_unit_test(test_physical_exhaustion_is_clean),
        cmocka_unit_test(test_user_buffers),
        cmocka_unit_test(test_readonly_user_page_fault_is_reported),
        cmocka_unit_test(test_foreign_memory),
        cmocka_unit_test(test_user_free_misuse),
        cmocka_unit_test(test_mapping_budget_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, mk_test_setup, mk_test_teardown);
}
