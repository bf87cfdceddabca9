/* Special pool (verifier option 0x1): guard pages, fill pattern, freed
 * pages, alignment, fallback and selection. */
#include "testutil.h"
#include "mk_machine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG 'pSvT'

static int setup_flags(ULONG flags, ULONG sel_tag, ULONG sel_size)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = flags;
    c.special_pool_tag = sel_tag;
    c.special_pool_size = sel_size;
    return mdlkit_init(&c);
}
static int setup(void **state)
{
    (void)state;
    return setup_flags(MDLKIT_VERIFY_SPECIAL_POOL, 0, 0);
}

static int in_special(const void *p)
{
    const char *c = p;
    return c >= mk_as.rgn_base[MK_RGN_SPECIAL] && c < mk_as.rgn_end[MK_RGN_SPECIAL];
}

static void test_end_aligned(void **state)
{
    (void)state;
    for (size_t n = 1; n < PAGE_SIZE; n = n * 3 + 1) {
        char *p = ExAllocatePoolWithTag(NonPagedPoolNx, n, TAG);
        assert_non_null(p);
        assert_true(in_special(p));
        assert_int_equal((uintptr_t)p % 16, 0);
        size_t to_end = PAGE_SIZE - ((uintptr_t)p & (PAGE_SIZE - 1)) - n;
        assert_true(to_end < 16); /* ends within 15 bytes of the guard page */
        memset(p, 0x5A, n);
        ExFreePoolWithTag(p, TAG);
    }
}

static volatile char g_sink;
/* cmocka installs its own SIGSEGV handler around every test, on top of the
 * machine's; put the machine's back on top for tests that fault. */
static void machine_faults(void)
{
    mk_fault_uninstall();
    assert_int_equal(mk_fault_install(), 0);
}
static void write_at(void *a) { *(volatile char *)a = 1; }
static void read_at(void *a) { g_sink = *(volatile char *)a; }

static void test_overrun_write_is_d6(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    assert_non_null(p);
    char *beyond = p + 112; /* 100 rounded up to 16: the first byte of the guard page */
    assert_int_equal((uintptr_t)beyond % PAGE_SIZE, 0);
    mk_expect_bugcheck(write_at, beyond, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, beyond, 1, MK_ANY, 0);
    mk_expect_bugcheck(read_at, beyond + 5, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, beyond + 5, 0, MK_ANY, 0);
    mdlkit_bugcheck bc = mdlkit_last_bugcheck();
    assert_true(bc.param[2] != 0); /* the instruction address */
    ExFreePoolWithTag(p, TAG);
}

static void free_g(void *a) { ExFreePoolWithTag(a, TAG); }

static void test_slack_after_end_is_c1_24(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAG);
    p[100] = 0; /* inside the 12 bytes of slack before the guard */
    mk_expect_bugcheck(free_g, p, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, p, p + 100, 100, 0x24);
    p[100] = (char)0xB7; /* put the pattern back: the block can be freed */
    ExFreePoolWithTag(p, TAG);
}

static void test_underrun_is_c1_23(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 40, TAG);
    assert_true(in_special(p));
    p[-3] = 0x11;
    mk_expect_bugcheck(free_g, p, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, p, p - 3, 40, 0x23);
    p[-3] = (char)0xB7;
    ExFreePoolWithTag(p, TAG);
}

static void test_use_after_free_is_d5(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    p[0] = 1;
    ExFreePoolWithTag(p, TAG);
    mk_expect_bugcheck(read_at, p, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, p, 0, MK_ANY, 0);
    mk_expect_bugcheck(write_at, p + 10, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, p + 10, 1, MK_ANY, 0);
    /* the quarantine: the next allocations do not reuse the page */
    for (int i = 0; i < 100; i++) {
        char *q = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
        assert_true(PAGE_ALIGN(q) != PAGE_ALIGN(p));
        ExFreePoolWithTag(q, TAG);
    }
}

static void test_start_aligned_underrun_faults(void **state)
{
    (void)state;
    machine_faults();
    char *p = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 100, TAG, NormalPoolPrioritySpecialPoolUnderrun);
    assert_non_null(p);
    assert_true(in_special(p));
    assert_int_equal((uintptr_t)p % PAGE_SIZE, 0);
    mk_expect_bugcheck(read_at, p - 1, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION, p - 1, 0, MK_ANY, 0);
    p[100] = 0; /* after the end: pattern check at free */
    mk_expect_bugcheck(free_g, p, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, p, p + 100, 100, 0x24);
    p[100] = (char)0xB7;
    ExFreePoolWithTag(p, TAG);
    /* the Overrun priority keeps the default */
    p = ExAllocatePoolWithTagPriority(NonPagedPoolNx, 100, TAG, HighPoolPrioritySpecialPoolOverrun);
    assert_int_equal(((uintptr_t)p + 112) % PAGE_SIZE, 0);
    ExFreePoolWithTag(p, TAG);
}

static void test_page_size_not_special(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, TAG);
    assert_non_null(p);
    assert_false(in_special(p));
    ExFreePoolWithTag(p, TAG);
    p = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE - 1, TAG);
    assert_true(in_special(p));
    ExFreePoolWithTag(p, TAG);
}

static void free_wrong_tag(void *a) { ExFreePoolWithTag(a, 'gnrW'); }

static void test_pool_checks_still_apply(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 32, TAG);
    mk_expect_bugcheck(free_wrong_tag, p, BAD_POOL_CALLER, 0x0A, p, TAG, 'gnrW');
    ExFreePoolWithTag(p, TAG);
    mk_expect_bugcheck(free_g, p, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, 0, p, TAG);
    mk_expect_bugcheck(free_g, p + 16, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x10, p + 16, 0, 0);
}

static void free_at_dispatch(void *a)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExFreePoolWithTag(a, TAG);
}

static void test_paged_free_at_dispatch(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 32, TAG);
    assert_true(in_special(p));
    mk_expect_bugcheck(free_at_dispatch, p, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11, DISPATCH_LEVEL, 1, p);
    ExFreePoolWithTag(p, TAG);
}

static void test_mdl_in_special_pool(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, 512, TAG);
    PMDL mdl = IoAllocateMdl(buf, 512, FALSE, FALSE, NULL);
    assert_non_null(mdl);
    assert_true(in_special(mdl));
    MmBuildMdlForNonPagedPool(mdl);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf);
    assert_int_equal(MmGetMdlPfnArray(mdl)[0], MmGetPhysicalAddress(buf).QuadPart >> PAGE_SHIFT);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(buf, TAG);
}

static void test_aliases_and_zeroing(void **state)
{
    (void)state;
    char *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, TAG);
    for (int i = 0; i < 200; i++)
        assert_int_equal(p[i], 0);
    p[7] = 0x42;
    PHYSICAL_ADDRESS pa = MmGetPhysicalAddress(p + 7);
    char *alias = mdlkit_phys_to_va(pa);
    assert_non_null(alias);
    assert_int_equal(*alias, 0x42);
    ExFreePoolWithTag(p, TAG);
}

static void test_counters_in_report(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++)
        ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolNx, 24, TAG), TAG);
    char path[] = "/tmp/mdlkit_vsp_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(mdlkit_report_write(path), 0);
    FILE *f = fopen(path, "r");
    char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    remove(path);
    const char *k = strstr(buf, "\"pool_allocations_succeeded_special_pool\": ");
    assert_non_null(k);
    assert_true(atoi(k + strlen("\"pool_allocations_succeeded_special_pool\": ")) >= 3);
    assert_non_null(strstr(buf, "\"tag\": \"TvSp\""));
}

static int setup_by_tag(void **state)
{
    (void)state;
    return setup_flags(MDLKIT_VERIFY_SPECIAL_POOL, 'lceS', 0);
}

static void test_selection_by_tag(void **state)
{
    (void)state;
    char *a = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'lceS');
    char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    assert_true(in_special(a));
    assert_false(in_special(b));
    ExFreePoolWithTag(a, 'lceS');
    ExFreePoolWithTag(b, TAG);
}

static int setup_by_size(void **state)
{
    (void)state;
    return setup_flags(MDLKIT_VERIFY_SPECIAL_POOL, 0, 72);
}

static void test_selection_by_size(void **state)
{
    (void)state;
    char *a = ExAllocatePoolWithTag(NonPagedPoolNx, 72, TAG);
    char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    assert_true(in_special(a));
    assert_false(in_special(b));
    ExFreePoolWithTag(a, TAG);
    ExFreePoolWithTag(b, TAG);
}

static void test_falls_back_when_exhausted(void **state)
{
    (void)state;
    /* 256 MiB of RAM: at most a quarter of the frames are special pool. */
    enum { N = 20000 };
    void **v = calloc(N, sizeof *v);
    int special = 0, normal = 0;
    for (int i = 0; i < N; i++) {
        v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 72, TAG);
        assert_non_null(v[i]);
        if (in_special(v[i]))
            special++;
        else
            normal++;
    }
    assert_true(special > 1000);
    assert_true(normal > 0);
    for (int i = 0; i < N; i++)
        ExFreePoolWithTag(v[i], TAG);
    free(v);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_end_aligned),
        cmocka_unit_test(test_overrun_write_is_d6),
        cmocka_unit_test(test_slack_after_end_is_c1_24),
        cmocka_unit_test(test_underrun_is_c1_23),
        cmocka_unit_test(test_use_after_free_is_d5),
        cmocka_unit_test(test_start_aligned_underrun_faults),
        cmocka_unit_test(test_page_size_not_special),
        cmocka_unit_test(test_pool_checks_still_apply),
        cmocka_unit_test(test_paged_free_at_dispatch),
        cmocka_unit_test(test_mdl_in_special_pool),
        cmocka_unit_test(test_aliases_and_zeroing),
        cmocka_unit_test(test_counters_in_report),
    };
    const struct CMUnitTest t2[] = {cmocka_unit_test(test_selection_by_tag)};
    const struct CMUnitTest t3[] = {cmocka_unit_test(test_selection_by_size),
                                    cmocka_unit_test(test_falls_back_when_exhausted)};
    int r = cmocka_run_group_tests_name("special pool", t, setup, mk_test_teardown);
    r += cmocka_run_group_tests_name("special pool by tag", t2, setup_by_tag, mk_test_teardown);
    r += cmocka_run_group_tests_name("special pool by size", t3, setup_by_size, mk_test_teardown);
    return r;
}
