/* Executive pool: the documented rules of ExAllocatePool* / ExFreePool*. */
#include "testutil.h"
#include "mk_pool.h"

#include <stdlib.h>
#include <string.h>

static int in_region(const void *p, enum mk_region r) { return mk_va_region(p) == r; }

static void test_alignment_and_pages(void **state)
{
    (void)state;
    srand(7);
    for (int i = 0; i < 3000; i++) {
        SIZE_T n = (SIZE_T)(rand() % (3 * PAGE_SIZE)) + 1;
        char *p = ExAllocatePoolWithTag(i & 1 ? PagedPool : NonPagedPoolNx, n, 'tlAT');
        assert_non_null(p);
        if (n < PAGE_SIZE)
            assert_int_equal((uintptr_t)p & 15, 0);
        else
            assert_int_equal(BYTE_OFFSET(p), 0);
        if (n <= PAGE_SIZE)
            assert_true(PAGE_ALIGN(p) == PAGE_ALIGN(p + n - 1)); /* never crosses a page */
        memset(p, 0x5A, n);
        assert_true(in_region(p, i & 1 ? MK_RGN_PPOOL : MK_RGN_NPOOL));
        ExFreePoolWithTag(p, 'tlAT');
    }
    /* exactly one page: page aligned */
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, 'tlAT');
    assert_int_equal(BYTE_OFFSET(p), 0);
    ExFreePool(p);
}

static void test_blocks_distinct_and_backed_by_ram(void **state)
{
    (void)state;
    enum { N = 2000 };
    static unsigned char *v[N];
    for (int i = 0; i < N; i++) {
        v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'sdlB');
        assert_non_null(v[i]);
        memset(v[i], (unsigned char)i, 48);
        assert_true(mk_pfn_is_ram(mk_va_to_pfn(v[i])));
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < 48; k++)
            assert_int_equal(v[i][k], (unsigned char)i);
    /* the direct map shows the same bytes: real frames */
    unsigned char *alias = (unsigned char *)mk_pfn_to_direct(mk_va_to_pfn(v[5])) + BYTE_OFFSET(v[5]);
    assert_int_equal(alias[0], 5);
    alias[1] = 0xEE;
    assert_int_equal(v[5][1], 0xEE);
    for (int i = 0; i < N; i++)
        ExFreePool(v[i]);
}

static void test_default_tag_none(void **state)
{
    (void)state;
    mdlkit_pool_tag_usage u0, u1;
    memset(&u0, 0, sizeof u0);
    mdlkit_pool_usage_tag('enoN', &u0);
    void *p = ExAllocatePool(NonPagedPool, 100);
    assert_non_null(p);
    assert_int_equal(mdlkit_pool_usage_tag('enoN', &u1), 1);
    assert_string_equal(u1.name, "None");
    assert_int_equal(u1.nonpaged_outstanding, u0.nonpaged_outstanding + 1);
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p, &b), 1);
    assert_int_equal(b.tag, 'enoN');
    ExFreePoolWithTag(p, 'enoN');
}

static void test_pool2_zeroes_unless_uninitialized(void **state)
{
    (void)state;
    unsigned char *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, '2loP');
    assert_non_null(p);
    memset(p, 0xAB, 200);
    ExFreePool(p);
    unsigned char *q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, '2loP');
    assert_ptr_equal(q, p); /* the thread cache hands the block straight back */
    for (int i = 0; i < 200; i++)
        assert_int_equal(q[i], 0);
    memset(q, 0xCD, 200);
    ExFreePool(q);
    unsigned char *r = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 200, '2loP');
    assert_ptr_equal(r, p);
    assert_int_equal(r[0], 0xCD); /* not cleared */
    ExFreePool(r);
    /* big allocations are zeroed too */
    unsigned char *big = ExAllocatePool2(POOL_FLAG_PAGED, 3 * PAGE_SIZE + 5, '2loP');
    memset(big, 0x77, 3 * PAGE_SIZE + 5);
    ExFreePool(big);
    big = ExAllocatePool2(POOL_FLAG_PAGED, 3 * PAGE_SIZE + 5, '2loP');
    for (size_t i = 0; i < 3 * PAGE_SIZE + 5; i++)
        assert_int_equal(big[i], 0);
    ExFreePool(big);
    /* ExAllocatePoolZero zeroes on every OS */
    unsigned char *z = ExAllocatePoolUninitialized(NonPagedPoolNx, 64, 'oreZ');
    memset(z, 0x11, 64);
    ExFreePool(z);
    z = ExAllocatePoolZero(NonPagedPoolNx, 64, 'oreZ');
    for (int i = 0; i < 64; i++)
        assert_int_equal(z[i], 0);
    ExFreePool(z);
}

static void test_pool2_flags(void **state)
{
    (void)state;
    /* tag 0, unknown required flag, reserved/OS-only flags, no type, two types: NULL */
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 0));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | 0x00001000ULL, 16, 'galF'));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, 16, 'galF'));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_SESSION, 16, 'galF'));
    assert_null(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 16, 'galF'));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, 'galF'));
    assert_null(ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE, 16, 'galF'));
    /* unknown optional flags are ignored; special pool falls back */
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED | (1ULL << 45) | POOL_FLAG_SPECIAL_POOL, 16, 'galF');
    assert_non_null(p);
    ExFreePool(p);
    /* quota is accepted */
    p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA, 16, 'galF');
    assert_true(in_region(p, MK_RGN_PPOOL));
    ExFreePool(p);
    /* cache aligned */
    for (SIZE_T n = 1; n < 2048; n += 37) {
        p = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_CACHE_ALIGNED, n, 'galF');
        assert_int_equal((uintptr_t)p & 63, 0);
        ExFreePool(p);
        p = ExAllocatePoolWithTag(NonPagedPoolCacheAligned, n, 'galF');
        assert_int_equal((uintptr_t)p & 63, 0);
        ExFreePool(p);
    }
}

static void test_pool2_raise(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    MDLKIT_TRY { (void)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 0); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
}

static void test_pool_types(void **state)
{
    (void)state;
    void *np = ExAllocatePoolWithTag(NonPagedPool, 32, 'epyT');
    void *nx = ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'epyT');
    void *pg = ExAllocatePoolWithTag(PagedPool, 32, 'epyT');
    void *ses = ExAllocatePoolWithTag(PagedPoolSession, 32, 'epyT');
    void *x2 = ExAllocatePool2(POOL_FLAG_NON_PAGED_EXECUTE, 32, 'epyT');
    assert_true(in_region(np, MK_RGN_NPOOL));
    assert_true(in_region(nx, MK_RGN_NPOOL));
    assert_true(in_region(pg, MK_RGN_PPOOL));
    assert_true(in_region(ses, MK_RGN_PPOOL));
    assert_true(in_region(x2, MK_RGN_NPOOL));
    /* executable and NX non-paged pool never share a page */
    assert_true(PAGE_ALIGN(np) != PAGE_ALIGN(nx));
    assert_int_equal(mk_va_bits(nx) & MK_PG_EXEC, 0);
    assert_int_equal(mk_pool_kind_of(np), 0);
    assert_int_equal(mk_pool_kind_of(pg), 1);
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(np, &b), 1);
    assert_int_equal(b.heap, MK_HEAP_NONPAGED_EXEC);
    assert_int_equal(mk_pool_lookup(x2, &b), 1);
    assert_int_equal(b.heap, MK_HEAP_NONPAGED_EXEC);
    ExFreePool(np);
    ExFreePool(nx);
    ExFreePool(pg);
    ExFreePool(ses);
    ExFreePool(x2);
}

static void test_irql_rules(void **state)
{
    (void)state;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'lqrI');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'lqrI');
    p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'lqrI');
    assert_non_null(p);
    ExFreePool(p);
    KeLowerIrql(old);
    KeRaiseIrql(APC_LEVEL, &old);
    p = ExAllocatePoolWithTag(PagedPool, 64, 'lqrI');
    assert_non_null(p);
    ExFreePool(p);
    KeLowerIrql(old);
}

static void test_lookup(void **state)
{
    (void)state;
    char *p = ExAllocatePoolWithTag(PagedPool, 100, 'kooL');
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p + 57, &b), 1);
    assert_ptr_equal(b.base, p);
    assert_int_equal(b.size, 100);
    assert_int_equal(b.tag, 'kooL');
    assert_int_equal(b.big, 0);
    char *q = ExAllocatePoolWithTag(NonPagedPoolNx, 5 * PAGE_SIZE, 'kooL');
    assert_int_equal(mk_pool_lookup(q + 3 * PAGE_SIZE + 9, &b), 1);
    assert_ptr_equal(b.base, q);
    assert_int_equal(b.size, 5 * PAGE_SIZE);
    assert_int_equal(b.big, 1);
    char *r = ExAllocatePoolWithTag(NonPagedPoolNx, 100 * PAGE_SIZE, 'kooL'); /* own mapping */
    assert_int_equal(mk_pool_lookup(r + 99 * PAGE_SIZE, &b), 1);
    assert_ptr_equal(b.base, r);
    memset(r, 1, 100 * PAGE_SIZE);
    ExFreePool(p);
    ExFreePool(q);
    ExFreePool(r);
    assert_int_equal(mk_pool_lookup(p, NULL), 0);
    assert_int_equal(mk_pool_lookup(q, NULL), 0);
    int local;
    assert_int_equal(mk_pool_lookup(&local, NULL), 0);
}

/* ---- OS version ---- */
static int setup_os(void **state, ULONG os)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = os;
    (void)state;
    return mdlkit_init(&c);
}
static int setup_win10_1909(void **state) { return setup_os(state, 0x0A000007UL); }
static int setup_win7(void **state) { return setup_os(state, NTDDI_WIN7); }

static void call_pool2(void *arg)
{
    (void)arg;
    (void)ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'dlO2');
}
static void call_nx(void *arg)
{
    (void)ExAllocatePoolWithTag((POOL_TYPE)(ULONG_PTR)arg, 16, 'dlOx');
}

static void test_pool2_not_before_2004(void **state)
{
    (void)state;
    mk_expect_bugcheck(call_pool2, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DDI_NOT_AVAILABLE, MK_ANY,
                       NTDDI_WIN10_VB, 0x0A000007UL);
    /* the older routines work, NonPagedPoolNx too */
    void *p = ExAllocatePoolZero(NonPagedPoolNx, 16, 'dlO2');
    assert_non_null(p);
    ExFreePool(p);
}

static void test_nx_not_before_win8(void **state)
{
    (void)state;
    mk_expect_bugcheck(call_pool2, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DDI_NOT_AVAILABLE, MK_ANY,
                       NTDDI_WIN10_VB, NTDDI_WIN7);
    mk_expect_bugcheck(call_nx, (void *)(ULONG_PTR)NonPagedPoolNx, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_DDI_NOT_AVAILABLE, MK_ANY, NTDDI_WIN8, NTDDI_WIN7);
    mk_expect_bugcheck(call_nx, (void *)(ULONG_PTR)(NonPagedPool | POOL_NX_ALLOCATION),
                       DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DDI_NOT_AVAILABLE, MK_ANY, NTDDI_WIN8,
                       NTDDI_WIN7);
    void *p = ExAllocatePoolWithTag(NonPagedPool, 16, 'dlOx');
    assert_non_null(p);
    ExFreePool(p);
}

/* ---- exhaustion: clean NULL / raise, and memory comes back ---- */
static int setup_small(void **state)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)32 << 20;
    (void)state;
    return mdlkit_init(&c);
}

static void test_exhaustion(void **state)
{
    (void)state;
    enum { MAXB = 64 };
    void *big[MAXB];
    int nb = 0;
    while (nb < MAXB && (big[nb] = ExAllocatePoolWithTag(NonPagedPoolNx, 1 << 20, 'xhxE')) != NULL)
        nb++;
    assert_true(nb > 4 && nb < MAXB); /* 32 MiB of RAM runs out */
    volatile NTSTATUS code = 0;
    MDLKIT_TRY
    {
        (void)ExAllocatePoolWithTag((POOL_TYPE)(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE), 1 << 20, 'xhxE');
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
    code = 0;
    MDLKIT_TRY { (void)ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 1 << 20, 'xhxE'); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
    assert_null(ExAllocatePool2(POOL_FLAG_PAGED, 1 << 20, 'xhxE'));
    for (int i = 0; i < nb; i++)
        ExFreePool(big[i]);

    /* small blocks until exhaustion, free them all: a big allocation fits again */
    size_t cap = 1 << 16, n = 0;
    void **v = malloc(cap * sizeof *v);
    for (;;) {
        if (n == cap)
            v = realloc(v, (cap *= 2) * sizeof *v);
        void *p = ExAllocatePoolWithTag(PagedPool, 1024, 'xhxE');
        if (!p)
            break;
        v[n++] = p;
    }
    assert_true(n > 1000);
    for (size_t i = 0; i < n; i++)
        ExFreePool(v[i]);
    free(v);
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 8 << 20, 'xhxE');
    assert_non_null(p);
    ExFreePool(p);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('xhxE', &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(u.paged_outstanding, 0);
    assert_int_equal(u.paged_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alignment_and_pages, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_blocks_distinct_and_backed_by_ram, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_default_tag_none, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool2_zeroes_unless_uninitialized, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool2_flags, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool2_raise, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_types, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_irql_rules, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_lookup, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool2_not_before_2004, setup_win10_1909, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_nx_not_before_win8, setup_win7, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_exhaustion, setup_small, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
