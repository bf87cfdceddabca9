/* The pool fast path (per-thread block cache, dense side metadata, per-thread
 * tag-check and tag-counter caches) keeps every automatic check and exact
 * tag accounting. */
#include <wdm.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"
#include "mk_pool.h"

static ULONG64 outstanding_bytes(ULONG tag)
{
    mdlkit_pool_tag_usage u;
    if (!mdlkit_pool_usage_tag(tag, &u))
        return 0;
    return u.nonpaged_bytes + u.paged_bytes;
}

typedef struct alloc_args {
    POOL_FLAGS flags;
    SIZE_T bytes;
    ULONG tag;
} alloc_args;

static void do_pool2(void *arg)
{
    alloc_args *a = arg;
    (void)ExAllocatePool2(a->flags, a->bytes, a->tag);
}

static void do_with_tag(void *arg)
{
    alloc_args *a = arg;
    (void)ExAllocatePoolWithTag(NonPagedPoolNx, a->bytes, a->tag);
}

/* A thread's "last accepted tag" must never let a bad tag through, whatever
 * was accepted before, and must not remember a rejected one. */
static void test_tag_check_after_valid_tags(void **state)
{
    (void)state;
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 32, 'kgaT');
    assert_non_null(p);
    ExFreePool(p);
    alloc_args bad = {POOL_FLAG_NON_PAGED, 32, 0x01020304u};
    for (int i = 0; i < 2; i++)
        mk_expect_bugcheck(do_pool2, &bad, BAD_POOL_CALLER, 0x9D, 0x01020304u, NonPagedPoolNx, MK_ANY);
    alloc_args big = {0, 48, ' GIB'};
    mk_expect_bugcheck(do_with_tag, &big, BAD_POOL_CALLER, 0x9C, NonPagedPoolNx, 48, MK_ANY);
    alloc_args zero = {0, 48, 0};
    mk_expect_bugcheck(do_with_tag, &zero, BAD_POOL_CALLER, 0x9B, NonPagedPoolNx, 48, MK_ANY);
    /* the valid tag still works, and so does a new one */
    p = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'kgaT');
    void *q = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'wweN');
    assert_non_null(p);
    assert_non_null(q);
    ExFreePoolWithTag(p, 'kgaT');
    ExFreePoolWithTag(q, 'wweN');
}

/* More tags than the per-thread counter cache has slots, interleaved, on
 * both pools: every count exact. */
static void test_counts_exact_across_many_tags(void **state)
{
    (void)state;
    enum { NT = 24, PER = 40 };
    void *v[NT][PER];
    for (int r = 0; r < PER; r++)
        for (int t = 0; t < NT; t++) {
            ULONG tag = 'A0fP' + (ULONG)t; /* low byte 'P'..: distinct printable tags */
            POOL_FLAGS f = (t & 1) ? POOL_FLAG_PAGED : POOL_FLAG_NON_PAGED;
            v[t][r] = ExAllocatePool2(f, (SIZE_T)(16 + t * 8 + r), tag);
            assert_non_null(v[t][r]);
        }
    for (int t = 0; t < NT; t++) {
        ULONG tag = 'A0fP' + (ULONG)t;
        mdlkit_pool_tag_usage u;
        assert_int_equal(mdlkit_pool_usage_tag(tag, &u), 1);
        ULONG64 want = 0;
        for (int r = 0; r < PER; r++)
            want += (ULONG64)(16 + t * 8 + r);
        if (t & 1) {
            assert_int_equal(u.paged_allocs, PER);
            assert_int_equal(u.paged_bytes, want);
            assert_int_equal(u.nonpaged_allocs, 0);
        } else {
            assert_int_equal(u.nonpaged_allocs, PER);
            assert_int_equal(u.nonpaged_bytes, want);
            assert_int_equal(u.paged_allocs, 0);
        }
    }
    /* free in another interleaving, half with the tag check */
    for (int t = NT; t-- > 0;)
        for (int r = 0; r < PER; r++) {
            if (r & 1)
                ExFreePoolWithTag(v[t][r], 'A0fP' + (ULONG)t);
            else
                ExFreePool(v[t][r]);
        }
    for (int t = 0; t < NT; t++) {
        mdlkit_pool_tag_usage u;
        assert_int_equal(mdlkit_pool_usage_tag('A0fP' + (ULONG)t, &u), 1);
        assert_int_equal(u.nonpaged_allocs + u.paged_allocs, PER);
        assert_int_equal(u.nonpaged_frees + u.paged_frees, PER);
        assert_int_equal(u.nonpaged_bytes + u.paged_bytes, 0);
    }
}

/* A block freed by another thread goes through that thread's cache and
 * counters; the next allocation there reuses it with fresh metadata. */
static void *free_other(void *arg)
{
    void **v = arg;
    for (int i = 0; i < 64; i++)
        ExFreePoolWithTag(v[i], 'rhtO');
    /* reuse on this thread: lookups must report the new tag and size */
    for (int i = 0; i < 64; i++) {
        v[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'wteN');
        if (!v[i])
            return (void *)1;
    }
    return NULL;
}

static void test_cross_thread_free_and_reuse(void **state)
{
    (void)state;
    void *v[64];
    for (int i = 0; i < 64; i++) {
        v[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED, 100, 'rhtO');
        assert_non_null(v[i]);
    }
    assert_int_equal(outstanding_bytes('rhtO'), 6400);
    pthread_t th;
    void *rc;
    assert_int_equal(pthread_create(&th, NULL, free_other, v), 0);
    assert_int_equal(pthread_join(th, &rc), 0);
    assert_null(rc);
    assert_int_equal(outstanding_bytes('rhtO'), 0); /* the other thread's counts survive its exit */
    assert_int_equal(outstanding_bytes('wteN'), 6400);
    for (int i = 0; i < 64; i++) {
        mk_pool_block b;
        assert_int_equal(mk_pool_lookup(v[i], &b), 1);
        assert_int_equal(b.tag, 'wteN');
        assert_int_equal(b.size, 100);
        ExFreePoolWithTag(v[i], 'wteN');
        assert_int_equal(mk_pool_lookup(v[i], NULL), 0);
    }
    assert_int_equal(outstanding_bytes('wteN'), 0);
}

/* Every size class: the metadata of each block is its own (no two blocks of
 * a page, or of neighbouring pages, share a word). */
static void test_metadata_per_block(void **state)
{
    (void)state;
    enum { N = 40 };
    static void *v[64][N];
    for (int c = 0; c < 64; c++)
        for (int i = 0; i < N; i++) {
            v[c][i] = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, (SIZE_T)(c * 16 + 1 + i % 16),
                                      'A0dM' + (ULONG)(i & 7));
            assert_non_null(v[c][i]);
            assert_int_equal((uintptr_t)v[c][i] & 15, 0);
        }
    for (int c = 0; c < 64; c++)
        for (int i = 0; i < N; i += 2) /* free every other block: neighbours stay live */
            ExFreePoolWithTag(v[c][i], 'A0dM' + (ULONG)(i & 7));
    for (int c = 0; c < 64; c++)
        for (int i = 0; i < N; i++) {
            mk_pool_block b;
            int live = mk_pool_lookup(v[c][i], &b);
            assert_int_equal(live, i & 1);
            if (live) {
                assert_int_equal(b.size, (size_t)(c * 16 + 1 + i % 16));
                assert_int_equal(b.tag, 'A0dM' + (ULONG)(i & 7));
            }
        }
    for (int c = 0; c < 64; c++)
        for (int i = 1; i < N; i += 2)
            ExFreePoolWithTag(v[c][i], 'A0dM' + (ULONG)(i & 7));
}

static void free_ptr(void *p) { ExFreePool(p); }

/* The fast path hands misuse to the full checks untouched: after a caught
 * double free the block's accounting is unchanged and it can still be
 * allocated again normally. */
static void test_misuse_leaves_state_intact(void **state)
{
    (void)state;
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, 'esiM');
    assert_non_null(p);
    ExFreePool(p);
    mk_expect_bugcheck(free_ptr, p, BAD_POOL_CALLER, 0x07, 0, 'esiM', p);
    assert_int_equal(outstanding_bytes('esiM'), 0);
    mk_expect_bugcheck(free_ptr, (char *)p + 16, BAD_POOL_CALLER, MK_ANY, MK_ANY, MK_ANY, MK_ANY);
    void *q = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, 'esiM');
    assert_ptr_equal(q, p); /* LIFO thread cache: the same block */
    assert_int_equal(outstanding_bytes('esiM'), 40);
    ExFreePool(q);
    assert_int_equal(outstanding_bytes('esiM'), 0);
}

/* A thread that outlives a machine must not count into the old machine's
 * tables (its cached counters belong to the earlier generation). */
static pthread_barrier_t gen_bar;
static void *gen_thread(void *arg)
{
    (void)arg;
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, 'neGT');
    ExFreePool(p);
    pthread_barrier_wait(&gen_bar); /* main restarts the machine */
    pthread_barrier_wait(&gen_bar);
    p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, 'neGT');
    pthread_barrier_wait(&gen_bar); /* main reads the counts */
    pthread_barrier_wait(&gen_bar);
    ExFreePool(p);
    return NULL;
}

static void test_thread_across_machines(void **state)
{
    (void)state;
    pthread_barrier_init(&gen_bar, NULL, 2);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, gen_thread, NULL), 0);
    pthread_barrier_wait(&gen_bar);
    mdlkit_shutdown();
    assert_int_equal(mk_test_setup(NULL), 0);
    pthread_barrier_wait(&gen_bar);
    pthread_barrier_wait(&gen_bar);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('neGT', &u), 1);
    assert_int_equal(u.nonpaged_allocs, 1);
    assert_int_equal(u.nonpaged_frees, 0);
    assert_int_equal(u.nonpaged_bytes, 24);
    pthread_barrier_wait(&gen_bar);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(mdlkit_pool_usage_tag('neGT', &u), 1);
    assert_int_equal(u.nonpaged_frees, 1);
    assert_int_equal(u.nonpaged_bytes, 0);
    pthread_barrier_destroy(&gen_bar);
}

/* Small pages given back under memory pressure hand their metadata runs
 * back too; pages carved again for another size class (fresh runs of
 * another length, or reused ones) keep every block's tag and size exact. */
static int setup_small(void **state)
{
    mdlkit_config c;
    (void)state;
    mk_test_config(&c);
    c.physical_memory = (size_t)16 << 20;
    return mdlkit_init(&c);
}

static void test_reclaim_reuses_metadata(void **state)
{
    (void)state;
    enum { MAXN = 2 << 20 };
    void **v = malloc(MAXN * sizeof *v);
    assert_non_null(v);
    for (int round = 0; round < 3; round++) {
        size_t size = round == 1 ? 1000 : 16; /* 16 B: 256-word runs; 1000 B: 4-word runs */
        ULONG tag = 'A0cR' + (ULONG)round;
        size_t n = 0;
        while (n < MAXN && (v[n] = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, tag)) != NULL)
            n++;
        assert_true(n > 1000 && n < MAXN); /* 16 MiB of RAM runs out */
        for (size_t i = 0; i < n; i += 97) {
            mk_pool_block b;
            assert_int_equal(mk_pool_lookup(v[i], &b), 1);
            assert_int_equal(b.tag, tag);
            assert_int_equal(b.size, size);
        }
        assert_int_equal(outstanding_bytes(tag), (ULONG64)(n * size));
        for (size_t i = 0; i < n; i++)
            ExFreePoolWithTag(v[i], tag);
        assert_int_equal(outstanding_bytes(tag), 0);
        assert_int_equal(mk_pool_lookup(v[0], NULL), 0);
    }
    /* after all that, a big allocation finds frames again */
    void *big = ExAllocatePool2(POOL_FLAG_NON_PAGED, 2 << 20, 'giBR');
    assert_non_null(big);
    ExFreePool(big);
    free(v);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mk_test_setup, mk_test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_tag_check_after_valid_tags), T(test_counts_exact_across_many_tags),
        T(test_cross_thread_free_and_reuse), T(test_metadata_per_block),
        T(test_misuse_leaves_state_intact), T(test_thread_across_machines),
        cmocka_unit_test_setup_teardown(test_reclaim_reuses_metadata, setup_small, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
