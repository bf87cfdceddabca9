/* Pool tag accounting (poolmon / !poolused). */
#define _GNU_SOURCE
#include "testutil.h"
#include "mk_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_mixed_workload(void **state)
{
    (void)state;
    void *a[10], *b[5], *c[7];
    for (int i = 0; i < 10; i++)
        a[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 100, 'AgaT');
    for (int i = 0; i < 5; i++)
        b[i] = ExAllocatePool2(POOL_FLAG_PAGED, 5000, 'BgaT');
    for (int i = 0; i < 7; i++)
        c[i] = ExAllocatePoolWithTag(i & 1 ? PagedPool : NonPagedPool, 10 + i, 'CgaT');
    for (int i = 0; i < 3; i++)
        ExFreePoolWithTag(a[i], 'AgaT');
    ExFreePool(b[4]);
    for (int i = 0; i < 7; i++)
        ExFreePool(c[i]);

    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('AgaT', &u), 1);
    assert_string_equal(u.name, "TagA");
    assert_int_equal(u.nonpaged_allocs, 10);
    assert_int_equal(u.nonpaged_frees, 3);
    assert_int_equal(u.nonpaged_outstanding, 7);
    assert_int_equal(u.nonpaged_bytes, 700);
    assert_int_equal(u.paged_allocs, 0);

    assert_int_equal(mdlkit_pool_usage_tag('BgaT', &u), 1);
    assert_int_equal(u.paged_allocs, 5);
    assert_int_equal(u.paged_frees, 1);
    assert_int_equal(u.paged_outstanding, 4);
    assert_int_equal(u.paged_bytes, 20000);
    assert_int_equal(u.nonpaged_allocs, 0);

    assert_int_equal(mdlkit_pool_usage_tag('CgaT', &u), 1);
    assert_int_equal(u.nonpaged_allocs, 4);
    assert_int_equal(u.paged_allocs, 3);
    assert_int_equal(u.nonpaged_outstanding + u.paged_outstanding, 0);
    assert_int_equal(u.nonpaged_bytes + u.paged_bytes, 0);

    assert_int_equal(mdlkit_pool_usage_tag('ZZZZ', &u), 0);

    /* the whole table, sorted by name */
    size_t n = mdlkit_pool_usage(NULL, 0);
    assert_true(n >= 3);
    mdlkit_pool_tag_usage *all = calloc(n, sizeof *all);
    assert_int_equal(mdlkit_pool_usage(all, n), n);
    for (size_t i = 1; i < n; i++)
        assert_true(memcmp(all[i - 1].name, all[i].name, 4) < 0);
    free(all);

    for (int i = 3; i < 10; i++)
        ExFreePool(a[i]);
    for (int i = 0; i < 4; i++)
        ExFreePool(b[i]);
    assert_int_equal(mdlkit_pool_usage_tag('AgaT', &u), 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(u.nonpaged_bytes, 0);
}

static void test_print(void **state)
{
    (void)state;
    void *x = ExAllocatePoolWithTag(NonPagedPoolNx, 4000, 'xxNP');
    void *y = ExAllocatePoolWithTag(PagedPool, 9000, 'yyPG');
    void *z = ExAllocatePoolWithTag(PagedPool, 10, 'zzPG');
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    mdlkit_pool_print(f, MDLKIT_POOL_SORT_TAG);
    fclose(f);
    assert_non_null(strstr(buf, "Sorting by Tag"));
    assert_non_null(strstr(buf, "NonPaged"));
    assert_non_null(strstr(buf, "TOTAL"));
    char *px = strstr(buf, " PNxx"), *py = strstr(buf, " GPyy"), *pz = strstr(buf, " GPzz");
    assert_non_null(px);
    assert_non_null(py);
    assert_non_null(pz);
    assert_true(py < pz && pz < px); /* by name: GPyy, GPzz, PNxx */
    unsigned long long allocs, used, pallocs, pused;
    assert_int_equal(sscanf(px + 5, "%llu %llu %llu %llu", &allocs, &used, &pallocs, &pused), 4);
    assert_int_equal(allocs, 1);
    assert_int_equal(used, 4000);
    assert_int_equal(pallocs, 0);
    free(buf);

    f = open_memstream(&buf, &len);
    mdlkit_pool_print(f, MDLKIT_POOL_SORT_PAGED);
    fclose(f);
    assert_non_null(strstr(buf, "Sorting by Paged Pool Consumed"));
    assert_true(strstr(buf, " GPyy") < strstr(buf, " GPzz")); /* 9000 bytes before 10 */
    free(buf);

    f = open_memstream(&buf, &len);
    mdlkit_pool_print(f, MDLKIT_POOL_SORT_NONPAGED);
    fclose(f);
    assert_non_null(strstr(buf, "Sorting by NonPaged Pool Consumed"));
    assert_true(strstr(buf, " PNxx") < strstr(buf, " GPyy"));
    free(buf);
    ExFreePool(x);
    ExFreePool(y);
    ExFreePool(z);
    /* freed tags are no longer listed as in use */
    f = open_memstream(&buf, &len);
    mdlkit_pool_print(f, MDLKIT_POOL_SORT_TAG);
    fclose(f);
    assert_null(strstr(buf, " PNxx"));
    free(buf);
}

/* A thread allocates, another frees; the counts of an exited thread stay. */
enum { XN = 500 };
static void *xblocks[XN];

static void *alloc_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < XN; i++)
        xblocks[i] = ExAllocatePoolWithTag(i & 1 ? PagedPool : NonPagedPoolNx, 64, 'drhT');
    return NULL;
}

static void *free_thread(void *arg)
{
    (void)arg;
    for (int i = 0; i < XN; i += 2)
        ExFreePool(xblocks[i]);
    return NULL;
}

static void test_threads_merge(void **state)
{
    (void)state;
    pthread_t t;
    pthread_create(&t, NULL, alloc_thread, NULL);
    pthread_join(t, NULL);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('drhT', &u), 1); /* survives the exit */
    assert_int_equal(u.nonpaged_allocs, XN / 2);
    assert_int_equal(u.paged_allocs, XN / 2);
    pthread_create(&t, NULL, free_thread, NULL);
    pthread_join(t, NULL);
    for (int i = 1; i < XN; i += 2)
        ExFreePool(xblocks[i]); /* on this thread */
    assert_int_equal(mdlkit_pool_usage_tag('drhT', &u), 1);
    assert_int_equal(u.nonpaged_frees, XN / 2);
    assert_int_equal(u.paged_frees, XN / 2);
    assert_int_equal(u.nonpaged_outstanding, 0);
    assert_int_equal(u.paged_outstanding, 0);
    assert_int_equal(u.nonpaged_bytes, 0);
    assert_int_equal(u.paged_bytes, 0);
}

static void test_many_tags(void **state)
{
    (void)state;
    /* more distinct tags than a thread's own table holds */
    enum { NT = 1000 };
    static void *p[NT];
    for (int i = 0; i < NT; i++) {
        ULONG tag = 'a000' + ((ULONG)(i / 100) << 16) + ((ULONG)(i / 10 % 10) << 8) + (ULONG)(i % 10);
        p[i] = ExAllocatePoolWithTag(PagedPool, 32, tag);
    }
    assert_true(mdlkit_pool_usage(NULL, 0) >= NT);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('a999', &u), 1);
    assert_int_equal(u.paged_outstanding, 1);
    assert_int_equal(u.paged_bytes, 32);
    for (int i = 0; i < NT; i++)
        ExFreePool(p[i]);
    assert_int_equal(mdlkit_pool_usage_tag('a999', &u), 1);
    assert_int_equal(u.paged_outstanding, 0);
}

static void test_fresh_machine_resets(void **state)
{
    (void)state;
    mdlkit_pool_tag_usage u;
    /* counts belong to one machine: test_mixed_workload's tags are gone */
    assert_int_equal(mdlkit_pool_usage_tag('AgaT', &u), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, mk_test_setup, mk_test_teardown)
    const struct CMUnitTest tests[] = {
        T(test_mixed_workload), T(test_print), T(test_threads_merge), T(test_many_tags), T(test_fresh_machine_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
