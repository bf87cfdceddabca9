/* Lookaside lists: NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST, LOOKASIDE_LIST_EX. */
#include "testutil.h"
#include "mk_pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

static void test_npaged_defaults_and_statistics(void **state)
{
    (void)state;
    static NPAGED_LOOKASIDE_LIST la;
    ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 200, 'ahNL', 0);
    assert_int_equal(la.L.Depth, 4);
    assert_int_equal(la.L.MaximumDepth, 256);
    assert_int_equal(la.L.Size, 200);
    assert_int_equal(la.L.Tag, 'ahNL');
    assert_int_equal(la.L.Type, NonPagedPool);
    assert_true(la.L.Allocate == ExAllocatePoolWithTag);
    assert_true(la.L.Free == ExFreePool);
    void *e[6];
    for (int i = 0; i < 6; i++) {
        e[i] = ExAllocateFromNPagedLookasideList(&la);
        assert_non_null(e[i]);
        assert_int_equal(mk_pool_kind_of(e[i]), 0);
        memset(e[i], 0x33, 200);
    }
    assert_int_equal(la.L.TotalAllocates, 6);
    assert_int_equal(la.L.AllocateMisses, 6);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('ahNL', &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 6);
    for (int i = 0; i < 6; i++)
        ExFreeToNPagedLookasideList(&la, e[i]);
    assert_int_equal(la.L.TotalFrees, 6);
    assert_int_equal(la.L.FreeMisses, 2); /* only Depth (4) entries are kept */
    assert_int_equal(la.L.ListHead.mdlkit.Depth, 4);
    mdlkit_pool_usage_tag('ahNL', &u);
    assert_int_equal(u.nonpaged_outstanding, 4); /* cached entries are still allocated pool */
    /* hits come back last in, first out, without calling the allocator */
    assert_ptr_equal(ExAllocateFromNPagedLookasideList(&la), e[3]);
    assert_int_equal(la.L.TotalAllocates, 7);
    assert_int_equal(la.L.AllocateMisses, 6);
    ExFreeToNPagedLookasideList(&la, e[3]);
    ExDeleteNPagedLookasideList(&la);
    mdlkit_pool_usage_tag('ahNL', &u);
    assert_int_equal(u.nonpaged_outstanding, 0); /* deletion freed the cached entries */
}

/* ---- custom callbacks ---- */
static int n_alloc, n_free;
static POOL_TYPE seen_type;
static SIZE_T seen_size;
static ULONG seen_tag;
static char arena[16][64];
static int arena_used[16];

static PVOID my_alloc(POOL_TYPE type, SIZE_T size, ULONG tag)
{
    seen_type = type;
    seen_size = size;
    seen_tag = tag;
    for (int i = 0; i < 16; i++)
        if (!arena_used[i]) {
            arena_used[i] = 1;
            n_alloc++;
            return arena[i];
        }
    return NULL;
}
static void my_free(PVOID p)
{
    n_free++;
    arena_used[((char(*)[64])p) - arena] = 0;
}

static void test_paged_custom_callbacks(void **state)
{
    (void)state;
    static PAGED_LOOKASIDE_LIST la;
    n_alloc = n_free = 0;
    ExInitializePagedLookasideList(&la, my_alloc, my_free, POOL_RAISE_IF_ALLOCATION_FAILURE, 64, 'suCL', 0);
    assert_int_equal(la.L.Type, PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE);
    void *a = ExAllocateFromPagedLookasideList(&la);
    void *b = ExAllocateFromPagedLookasideList(&la);
    assert_int_equal(n_alloc, 2);
    assert_int_equal(seen_size, 64);
    assert_int_equal(seen_tag, 'suCL');
    assert_int_equal(seen_type, PagedPool | POOL_RAISE_IF_ALLOCATION_FAILURE);
    ExFreeToPagedLookasideList(&la, a);
    ExFreeToPagedLookasideList(&la, b);
    assert_int_equal(n_free, 0); /* cached, no callback */
    void *c = ExAllocateFromPagedLookasideList(&la);
    assert_ptr_equal(c, b);
    assert_int_equal(n_alloc, 2); /* a hit calls nothing */
    ExFreeToPagedLookasideList(&la, c);
    ExDeletePagedLookasideList(&la);
    assert_int_equal(n_free, 2); /* deletion hands cached entries to the free callback */
}

/* ---- LOOKASIDE_LIST_EX ---- */
static int ex_alloc_calls, ex_free_calls;
static PLOOKASIDE_LIST_EX ex_seen;
static int ex_fail;
static PVOID my_alloc_ex(POOL_TYPE type, SIZE_T size, ULONG tag, PLOOKASIDE_LIST_EX la)
{
    ex_alloc_calls++;
    ex_seen = la;
    if (ex_fail)
        return NULL;
    return ExAllocatePoolWithTag((POOL_TYPE)((ULONG)type & ~(ULONG)POOL_RAISE_IF_ALLOCATION_FAILURE), size, tag);
}
static void my_free_ex(PVOID p, PLOOKASIDE_LIST_EX la)
{
    ex_free_calls++;
    ex_seen = la;
    ExFreePool(p);
}

static void test_ex(void **state)
{
    (void)state;
    static LOOKASIDE_LIST_EX la;
    assert_int_equal(ExInitializeLookasideListEx(&la, NULL, NULL, NonPagedPoolNx, 0x4, 32, 'xELL', 0),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(ExInitializeLookasideListEx(&la, NULL, NULL, NonPagedPoolNx,
                                                 EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL |
                                                     EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE,
                                                 32, 'xELL', 0),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(ExInitializeLookasideListEx(&la, NULL, NULL, NonPagedPoolNx, 0, 4, 'xELL', 0),
                     STATUS_INVALID_PARAMETER);
    /* defaults */
    assert_int_equal(ExInitializeLookasideListEx(&la, NULL, NULL, PagedPool, 0, 32, 'xELL', 0), STATUS_SUCCESS);
    void *p = ExAllocateFromLookasideListEx(&la);
    assert_int_equal(mk_pool_kind_of(p), 1);
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p, &b), 1);
    assert_int_equal(b.tag, 'xELL');
    ExFreeToLookasideListEx(&la, p);
    ExDeleteLookasideListEx(&la);
    assert_int_equal(mk_pool_lookup(p, NULL), 0);

    /* custom callbacks, flush, raise on failure */
    ex_alloc_calls = ex_free_calls = 0;
    assert_int_equal(ExInitializeLookasideListEx(&la, my_alloc_ex, my_free_ex, NonPagedPoolNx,
                                                 EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL, 48, 'xELL', 0),
                     STATUS_SUCCESS);
    assert_int_equal(la.L.Type, NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE);
    void *v[3];
    for (int i = 0; i < 3; i++)
        v[i] = ExAllocateFromLookasideListEx(&la);
    assert_int_equal(ex_alloc_calls, 3);
    assert_ptr_equal(ex_seen, &la);
    for (int i = 0; i < 3; i++)
        ExFreeToLookasideListEx(&la, v[i]);
    assert_int_equal(ex_free_calls, 0);
    ExFlushLookasideListEx(&la);
    assert_int_equal(ex_free_calls, 3);
    assert_int_equal(la.L.ListHead.mdlkit.Depth, 0);
    assert_int_equal(la.L.TotalFrees, 3); /* flushing is not counted as frees */
    ex_fail = 1;
    volatile NTSTATUS code = 0;
    MDLKIT_TRY { (void)ExAllocateFromLookasideListEx(&la); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { code = GetExceptionCode(); }
    MDLKIT_END;
    ex_fail = 0;
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
    ExDeleteLookasideListEx(&la);
}

static void test_depth_grows_with_misses(void **state)
{
    (void)state;
    static NPAGED_LOOKASIDE_LIST la;
    static void *v[300];
    ExInitializeNPagedLookasideList(&la, NULL, NULL, 0, 16, 'htpD', 0);
    for (int i = 0; i < 300; i++)
        v[i] = ExAllocateFromNPagedLookasideList(&la);
    /* after 256 allocations, all misses: Depth += 1000 * (256 - 4) / 2000 + 5 */
    assert_int_equal(la.L.Depth, 4 + 126 + 5);
    assert_int_equal(la.L.LastTotalAllocates, 256);
    for (int i = 0; i < 300; i++)
        ExFreeToNPagedLookasideList(&la, v[i]);
    assert_int_equal(la.L.ListHead.mdlkit.Depth, 135);
    assert_int_equal(la.L.FreeMisses, 300 - 135);
    ExDeleteNPagedLookasideList(&la);
}

/* ---- misuse ---- */
static void paged_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    (void)ExAllocateFromPagedLookasideList(arg);
}
static void paged_free_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExFreeToPagedLookasideList(arg, (void *)0x1234);
}
static void init_tiny(void *arg) { ExInitializeNPagedLookasideList(arg, NULL, NULL, 0, 4, 'yniT', 0); }
static void use_deleted(void *arg) { (void)ExAllocateFromNPagedLookasideList(arg); }
static void init_paged_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExInitializePagedLookasideList(arg, NULL, NULL, 0, 64, 'lqrI', 0);
}

static void test_misuse(void **state)
{
    (void)state;
    static PAGED_LOOKASIDE_LIST pl;
    static NPAGED_LOOKASIDE_LIST nl;
    ExInitializePagedLookasideList(&pl, NULL, NULL, 0, 64, 'lqrI', 0);
    mk_expect_bugcheck(paged_at_dispatch, &pl, BAD_POOL_CALLER, 0x08, DISPATCH_LEVEL, PagedPool, 64);
    mk_expect_bugcheck(paged_free_at_dispatch, &pl, BAD_POOL_CALLER, 0x09, DISPATCH_LEVEL, PagedPool, 0x1234);
    assert_int_equal(pl.L.TotalAllocates, 0); /* nothing happened */
    ExDeletePagedLookasideList(&pl);
    mk_expect_bugcheck(init_paged_at_dispatch, &pl, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_LOOKASIDE_IRQL,
                       MK_ANY, &pl, DISPATCH_LEVEL);
    /* too small an entry size: 0xC4/0xCD (list, size, minimum) */
    mk_expect_bugcheck(init_tiny, &nl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCD, &nl, 4, LOOKASIDE_MINIMUM_BLOCK_SIZE);
    ExInitializeNPagedLookasideList(&nl, NULL, NULL, 0, LOOKASIDE_MINIMUM_BLOCK_SIZE, 'niMT', 0);
    void *p = ExAllocateFromNPagedLookasideList(&nl);
    assert_non_null(p);
    ExFreeToNPagedLookasideList(&nl, p);
    ExDeleteNPagedLookasideList(&nl);
    mk_expect_bugcheck(use_deleted, &nl, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_USE_BEFORE_INIT, MK_ANY, &nl,
                       MK_ANY);
    /* a non-paged list works at DISPATCH_LEVEL */
    ExInitializeNPagedLookasideList(&nl, NULL, NULL, 0, 64, 'psiD', 0);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    p = ExAllocateFromNPagedLookasideList(&nl);
    ExFreeToNPagedLookasideList(&nl, p);
    KeLowerIrql(old);
    ExDeleteNPagedLookasideList(&nl);
}

/* ---- threads ---- */
static NPAGED_LOOKASIDE_LIST shared;
enum { LT = 4, LN = 20000 };
static atomic_int lerrors;

static void *lworker(void *arg)
{
    unsigned char tagbyte = (unsigned char)(uintptr_t)arg;
    void *held[8];
    for (int i = 0; i < LN; i++) {
        int k = i % 8;
        if (i >= 8) {
            if (((unsigned char *)held[k])[31] != tagbyte)
                atomic_fetch_add(&lerrors, 1);
            ExFreeToNPagedLookasideList(&shared, held[k]);
        }
        held[k] = ExAllocateFromNPagedLookasideList(&shared);
        if (!held[k]) {
            atomic_fetch_add(&lerrors, 1);
            return NULL;
        }
        memset(held[k], tagbyte, 32);
    }
    for (int k = 0; k < 8; k++)
        ExFreeToNPagedLookasideList(&shared, held[k]);
    return NULL;
}

/* ---- the registry of live lists: 0xCA, 0xCB, 0xCC ---- */
static void init_np(void *arg) { ExInitializeNPagedLookasideList(arg, NULL, NULL, 0, 64, 'gerL', 0); }
static void delete_np(void *arg) { ExDeleteNPagedLookasideList(arg); }
static void init_ex(void *arg)
{
    (void)ExInitializeLookasideListEx(arg, NULL, NULL, NonPagedPoolNx, 0, 64, 'gerL', 0);
}
static void delete_ex(void *arg) { ExDeleteLookasideListEx(arg); }
static void free_block(void *arg) { ExFreePoolWithTag(arg, 'txeD'); }
static void free_block_no_tag(void *arg) { ExFreePool(arg); }

static void test_reinitialise_live_list(void **state)
{
    (void)state;
    static NPAGED_LOOKASIDE_LIST nl;
    static LOOKASIDE_LIST_EX ex;
    init_np(&nl);
    void *e = ExAllocateFromNPagedLookasideList(&nl);
    mk_expect_bugcheck(init_np, &nl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCA, &nl, 0, 0);
    /* the live list was left as it was */
    assert_int_equal(nl.L.TotalAllocates, 1);
    ExFreeToNPagedLookasideList(&nl, e);
    ExDeleteNPagedLookasideList(&nl);
    init_np(&nl); /* deleted: initialising it again is fine */
    ExDeleteNPagedLookasideList(&nl);

    init_ex(&ex);
    mk_expect_bugcheck(init_ex, &ex, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCA, &ex, 0, 0);
    ExDeleteLookasideListEx(&ex);
}

static void test_delete_list_not_live(void **state)
{
    (void)state;
    static NPAGED_LOOKASIDE_LIST nl; /* never initialised */
    static LOOKASIDE_LIST_EX ex;
    mk_expect_bugcheck(delete_np, &nl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCB, &nl, 0, 0);
    init_np(&nl);
    ExDeleteNPagedLookasideList(&nl);
    /* deleted twice */
    mk_expect_bugcheck(delete_np, &nl, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCB, &nl, 0, 0);
    init_ex(&ex);
    delete_ex(&ex);
    mk_expect_bugcheck(delete_ex, &ex, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCB, &ex, 0, 0);
}

/* A device-extension-like block holding lists, small (the pool's fast
 * free) and page-sized (the big-block path). */
typedef struct dev_ext {
    ULONG before;
    NPAGED_LOOKASIDE_LIST requests;
    LOOKASIDE_LIST_EX buffers;
    ULONG after;
} dev_ext;

static void test_free_pool_holding_live_list(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        size_t bytes = big ? 3 * PAGE_SIZE : sizeof(dev_ext);
        dev_ext *d = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, 'txeD');
        assert_non_null(d);
        /* another block, freed while the lists are live: fine */
        void *other = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, 'txeD');
        init_np(&d->requests);
        init_ex(&d->buffers);
        void *e = ExAllocateFromNPagedLookasideList(&d->requests);
        ExFreeToNPagedLookasideList(&d->requests, e);
        ExFreePoolWithTag(other, 'txeD');
        /* the block holds two live lists: 0xCC names one (P2), the block
         * (P3) and its size (P4); the block stays allocated */
        mdlkit_bugcheck bc;
        assert_int_equal(mdlkit_catch_bugcheck(free_block, d, &bc), 1);
        assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(bc.param[0], 0xCC);
        assert_true(bc.param[1] == (ULONG_PTR)&d->requests || bc.param[1] == (ULONG_PTR)&d->buffers);
        assert_int_equal(bc.param[2], (ULONG_PTR)d);
        assert_int_equal(bc.param[3], bytes);
        ExDeleteNPagedLookasideList(&d->requests);
        /* one list left: ExFreePool (no tag) finds it too */
        mk_expect_bugcheck(free_block_no_tag, d, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCC, &d->buffers, d, bytes);
        ExDeleteLookasideListEx(&d->buffers);
        ExFreePoolWithTag(d, 'txeD'); /* no live list: freed */
    }
}

/* The same under the verifier's fast paths (pool tracking keeps them). */
static void test_free_pool_holding_live_list_tracked(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_SPECIAL_POOL;
    for (int round = 0; round < 2; round++) {
        if (round == 1)
            c.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING;
        assert_int_equal(mdlkit_init(&c), 0);
        dev_ext *d = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof *d, 'txeD');
        init_np(&d->requests);
        mk_expect_bugcheck(free_block, d, DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCC, &d->requests, d, sizeof *d);
        ExDeleteNPagedLookasideList(&d->requests);
        ExFreePoolWithTag(d, 'txeD');
        mdlkit_shutdown();
    }
    assert_int_equal(mk_test_setup(NULL), 0);
}

static void test_threads(void **state)
{
    (void)state;
    ExInitializeNPagedLookasideList(&shared, NULL, NULL, 0, 32, 'rhTL', 0);
    pthread_t t[LT];
    for (int i = 0; i < LT; i++)
        pthread_create(&t[i], NULL, lworker, (void *)(uintptr_t)(i + 1));
    for (int i = 0; i < LT; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&lerrors), 0);
    assert_int_equal(shared.L.TotalAllocates, LT * LN);
    assert_int_equal(shared.L.TotalFrees, LT * LN);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('rhTL', &u), 1);
    assert_int_equal(u.nonpaged_outstanding, shared.L.ListHead.mdlkit.Depth);
    assert_int_equal(u.nonpaged_allocs, shared.L.AllocateMisses);
    ExDeleteNPagedLookasideList(&shared);
    mdlkit_pool_usage_tag('rhTL', &u);
    assert_int_equal(u.nonpaged_outstanding, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mk_test_setup, mk_test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_npaged_defaults_and_statistics), T(test_paged_custom_callbacks), T(test_ex),
        T(test_depth_grows_with_misses),        T(test_misuse),                 T(test_threads),
        T(test_reinitialise_live_list),         T(test_delete_list_not_live),   T(test_free_pool_holding_live_list),
        T(test_free_pool_holding_live_list_tracked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
