/* Executive pool: the automatic checks, each with its exact bug check. */
#include "testutil.h"
#include "mk_pool.h"

#include <string.h>

typedef struct call {
    POOL_TYPE type;
    SIZE_T bytes;
    ULONG tag;
    void *p;
    KIRQL irql;
} call;

static void do_alloc(void *arg)
{
    call *c = arg;
    KIRQL old = KeGetCurrentIrql();
    if (c->irql)
        KeRaiseIrql(c->irql, &old);
    c->p = ExAllocatePoolWithTag(c->type, c->bytes, c->tag);
}
static void do_alloc_default(void *arg)
{
    call *c = arg;
    c->p = ExAllocatePool(c->type, c->bytes);
}
static void do_free(void *arg)
{
    call *c = arg;
    KIRQL old = KeGetCurrentIrql();
    if (c->irql)
        KeRaiseIrql(c->irql, &old);
    ExFreePool(c->p);
}
static void do_free_tag(void *arg)
{
    call *c = arg;
    ExFreePoolWithTag(c->p, c->tag);
}
static void do_pool2(void *arg)
{
    call *c = arg;
    KIRQL old = KeGetCurrentIrql();
    if (c->irql)
        KeRaiseIrql(c->irql, &old);
    c->p = ExAllocatePool2(c->type == PagedPool ? POOL_FLAG_PAGED : POOL_FLAG_NON_PAGED, c->bytes, c->tag);
}

static void test_zero_bytes(void **state)
{
    (void)state;
    call c = {NonPagedPoolNx, 0, 'oreZ', NULL, 0};
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x00, 0, NonPagedPoolNx, 'oreZ');
    c.type = PagedPool;
    mk_expect_bugcheck(do_pool2, &c, BAD_POOL_CALLER, 0x00, 0, PagedPool, 'oreZ');
    c.type = NonPagedPool;
    mk_expect_bugcheck(do_alloc_default, &c, BAD_POOL_CALLER, 0x00, 0, NonPagedPool, 'enoN');
}

static void test_alloc_bad_irql(void **state)
{
    (void)state;
    call c = {PagedPool, 100, 'lqrI', NULL, DISPATCH_LEVEL};
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x08, DISPATCH_LEVEL, PagedPool, 100);
    mk_expect_bugcheck(do_pool2, &c, BAD_POOL_CALLER, 0x08, DISPATCH_LEVEL, PagedPool, 100);
    c.type = NonPagedPoolNx;
    c.irql = HIGH_LEVEL;
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x08, HIGH_LEVEL, NonPagedPoolNx, 100);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL); /* put back by the catch */
}

static void test_free_bad_irql(void **state)
{
    (void)state;
    call c = {PagedPool, 100, 'lqrI', NULL, DISPATCH_LEVEL};
    c.p = ExAllocatePoolWithTag(PagedPool, 100, 'lqrI');
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x09, DISPATCH_LEVEL, 1, c.p);
    c.irql = 0;
    do_free(&c); /* still allocated: the check changed nothing */
    c.p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'lqrI');
    c.irql = HIGH_LEVEL;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x09, HIGH_LEVEL, 0, c.p);
    c.irql = 0;
    do_free(&c);
}

static void test_free_not_pool(void **state)
{
    (void)state;
    int local;
    call c = {0};
    c.p = &local; /* host (foreign) memory */
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x42, &local, 0, 0);
    c.p = NULL;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x42, 0, 0, 0);
    void *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(u);
    c.p = u;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x40, u, MmSystemRangeStart, 0);
    mdlkit_user_free(u);
    /* an address of the pool regions that was never allocated */
    char *np = mk_as.rgn_end[MK_RGN_NPOOL] - PAGE_SIZE;
    c.p = np;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x41, np, 0, mk_phys.last);
    char *pp = mk_as.rgn_base[MK_RGN_PPOOL] + 3 * PAGE_SIZE + 64;
    c.p = pp;
    /* the first paged segment exists only once something was allocated */
    void *keep = ExAllocatePoolWithTag(PagedPool, 5000, 'peeK');
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x50, pp, (ULONG_PTR)(pp - mk_as.rgn_base[MK_RGN_PPOOL]) >> PAGE_SHIFT,
                       (ULONG_PTR)(mk_as.rgn_end[MK_RGN_PPOOL] - mk_as.rgn_base[MK_RGN_PPOOL]));
    char *pend = mk_as.rgn_end[MK_RGN_PPOOL] - 2 * PAGE_SIZE;
    c.p = pend;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x50, pend,
                       (ULONG_PTR)(pend - mk_as.rgn_base[MK_RGN_PPOOL]) >> PAGE_SHIFT,
                       (ULONG_PTR)(mk_as.rgn_end[MK_RGN_PPOOL] - mk_as.rgn_base[MK_RGN_PPOOL]));
    ExFreePool(keep);
}

static void test_free_interior(void **state)
{
    (void)state;
    call c = {0};
    char *p = ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'tnrI');
    c.p = p + 16;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x99, p + 16, p, 0);
    c.p = p + 1;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x99, p + 1, p, 0);
    char *q = ExAllocatePoolWithTag(PagedPool, 100, 'tnrI');
    c.p = q + 32;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x41286, q + 32, q, 0);
    char *big = ExAllocatePoolWithTag(NonPagedPoolNx, 3 * PAGE_SIZE, 'tnrI');
    c.p = big + PAGE_SIZE;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x99, big + PAGE_SIZE, big, 0);
    c.p = big + 8;
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x99, big + 8, big, 0);
    /* nothing was corrupted: the blocks are intact and free normally */
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p, &b), 1);
    assert_int_equal(b.size, 100);
    ExFreePool(p);
    ExFreePool(q);
    ExFreePool(big);
}

static void test_double_free(void **state)
{
    (void)state;
    call c = {0};
    c.p = ExAllocatePoolWithTag(NonPagedPoolNx, 40, 'lbuD');
    ExFreePool(c.p);
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x07, 0, 'lbuD', c.p);
    c.p = ExAllocatePoolWithTag(PagedPool, 9000, 'lbuD');
    ExFreePool(c.p);
    mk_expect_bugcheck(do_free, &c, BAD_POOL_CALLER, 0x07, 0, 'lbuD', c.p);
    /* the block can still be reused normally */
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 40, 'lbuD');
    assert_non_null(p);
    ExFreePool(p);
}

static void test_wrong_tag(void **state)
{
    (void)state;
    call c = {0};
    c.p = ExAllocatePoolWithTag(NonPagedPoolNx, 40, 'hgiR');
    c.tag = 'gnrW';
    mk_expect_bugcheck(do_free_tag, &c, BAD_POOL_CALLER, 0x0A, c.p, 'hgiR', 'gnrW');
    c.tag = 'hgiR';
    do_free_tag(&c);
    c.p = ExAllocatePoolWithTag(PagedPool, 3 * PAGE_SIZE, 'hgiR');
    c.tag = 'gnrW';
    mk_expect_bugcheck(do_free_tag, &c, BAD_POOL_CALLER, 0x0A, c.p, 'hgiR', 'gnrW');
    c.tag = 0; /* tag 0 skips the check */
    do_free_tag(&c);
}

static void test_must_succeed(void **state)
{
    (void)state;
    call c = {NonPagedPoolMustSucceed, 64, 'tsuM', NULL, 0};
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9A, NonPagedPoolMustSucceed, 64, 'tsuM');
    c.type = NonPagedPoolCacheAlignedMustS;
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9A, NonPagedPoolCacheAlignedMustS, 64, 'tsuM');
    c.type = DontUseThisType;
    mk_expect_bugcheck(do_alloc, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_POOL_TYPE, MK_ANY, DontUseThisType,
                       64);
    c.type = (POOL_TYPE)7;
    mk_expect_bugcheck(do_alloc, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_POOL_TYPE, MK_ANY, 7, 64);
}

static void test_bad_tags(void **state)
{
    (void)state;
    call c = {PagedPool, 64, 0, NULL, 0};
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9B, PagedPool, 64, MK_ANY);
    c.tag = ' GIB';
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9C, PagedPool, 64, MK_ANY);
    c.tag = '    ';
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9D, '    ', PagedPool, MK_ANY);
    c.tag = '!#$%';
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9D, '!#$%', PagedPool, MK_ANY);
    c.tag = 0x01616263; /* a control character */
    mk_expect_bugcheck(do_alloc, &c, BAD_POOL_CALLER, 0x9D, 0x01616263, PagedPool, MK_ANY);
    c.tag = ' GIB';
    mk_expect_bugcheck(do_pool2, &c, BAD_POOL_CALLER, 0x9C, PagedPool, 64, MK_ANY);
    /* the caller's address is reported */
    mdlkit_bugcheck bc;
    c.tag = 0;
    assert_int_equal(mdlkit_catch_bugcheck(do_alloc, &c, &bc), 1);
    assert_true(bc.param[3] != 0);
    /* 1- to 3-character tags and punctuation with a letter are fine */
    static const ULONG ok[] = {'a', 'ab', 'abc', 'a-1!', '_Z  '};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        void *p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, ok[i]);
        assert_non_null(p);
        ExFreePoolWithTag(p, ok[i]);
    }
}

/* ---- with a verifier option on, the 0xC4 forms ---- */
static int setup_verified(void **state)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_IO_CHECKING;
    (void)state;
    return mdlkit_init(&c);
}

static void test_verifier_forms(void **state)
{
    (void)state;
    call c = {NonPagedPoolNx, 0, 'fiRV', NULL, 0};
    mk_expect_bugcheck(do_alloc, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, PASSIVE_LEVEL, NonPagedPoolNx, 0);
    c.type = PagedPool;
    c.bytes = 10;
    c.irql = DISPATCH_LEVEL;
    mk_expect_bugcheck(do_alloc, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x01, DISPATCH_LEVEL, PagedPool, 10);
    c.type = NonPagedPoolNx;
    c.irql = HIGH_LEVEL;
    mk_expect_bugcheck(do_alloc, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x02, HIGH_LEVEL, NonPagedPoolNx, 10);
    c.irql = 0;
    c.p = ExAllocatePoolWithTag(PagedPool, 10, 'fiRV');
    c.irql = DISPATCH_LEVEL;
    mk_expect_bugcheck(do_free, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x11, DISPATCH_LEVEL, 1, c.p);
    c.irql = 0;
    do_free(&c);
    mk_expect_bugcheck(do_free, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, 0, c.p, 'fiRV');
    int local;
    c.p = &local;
    mk_expect_bugcheck(do_free, &c, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x10, &local, 0, 0);
    /* the wrong tag has no 0xC4 form */
    c.p = ExAllocatePoolWithTag(PagedPool, 10, 'fiRV');
    c.tag = 'xxxx';
    mk_expect_bugcheck(do_free_tag, &c, BAD_POOL_CALLER, 0x0A, c.p, 'fiRV', 'xxxx');
    ExFreePool(c.p);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mk_test_setup, mk_test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_zero_bytes),    T(test_alloc_bad_irql), T(test_free_bad_irql), T(test_free_not_pool),
        T(test_free_interior), T(test_double_free),    T(test_wrong_tag),     T(test_must_succeed),
        T(test_bad_tags),
        cmocka_unit_test_setup_teardown(test_verifier_forms, setup_verified, mk_test_teardown),
    };
    int rc = cmocka_run_group_tests_name("pool automatic checks", tests, NULL, NULL);
    return rc;
}
