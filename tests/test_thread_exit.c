/*
 * test_thread_exit.c -- issue #21, item 5: threads that allocate from every
 * per-thread cache (IoAllocateMdl's MDL blocks, the pool's size-class
 * caches, the pool-tag counters, Pool Tracking's records) and then exit
 * leave nothing behind: every tag's outstanding count is 0 once they are
 * joined, and the final leak check under Pool Tracking finds nothing.
 */
#include "testutil.h"

#include <pthread.h>

#define TE_THREADS 3
#define TE_ROUNDS 200
static const ULONG te_tags[] = {'1eTT', '2eTT', '3eTT'};

static void *te_worker(void *arg)
{
    (void)arg;
    static char buf[4096];
    for (int r = 0; r < TE_ROUNDS; r++) {
        PMDL m[8];
        void *p[8];
        for (int i = 0; i < 8; i++) {
            m[i] = IoAllocateMdl(buf, (ULONG)(64 + i * 300), FALSE, FALSE, NULL);
            p[i] = ExAllocatePoolWithTag(i % 2 ? PagedPool : NonPagedPoolNx, (SIZE_T)(16 + i * 40 + r % 7),
                                         te_tags[i % 3]);
        }
        for (int i = 0; i < 8; i++) {
            IoFreeMdl(m[i]);
            ExFreePoolWithTag(p[i], te_tags[i % 3]);
        }
    }
    /* leave the caches full: a last handful of MDLs freed by this thread */
    PMDL keep[5];
    for (int i = 0; i < 5; i++)
        keep[i] = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
    for (int i = 0; i < 5; i++)
        IoFreeMdl(keep[i]);
    return NULL;
}

static ULONG64 te_outstanding(ULONG tag)
{
    mdlkit_pool_tag_usage u;
    memset(&u, 0, sizeof u);
    if (!mdlkit_pool_usage_tag(tag, &u))
        return 0;
    return u.nonpaged_outstanding + u.paged_outstanding;
}

static void te_run_threads(void)
{
    pthread_t t[TE_THREADS];
    for (int i = 0; i < TE_THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, te_worker, NULL), 0);
    for (int i = 0; i < TE_THREADS; i++)
        assert_int_equal(pthread_join(t[i], NULL), 0);
}

static void test_exited_threads_leave_nothing_outstanding(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_no_verifier(NULL), 0);
    te_run_threads();
    assert_int_equal(te_outstanding(' LDM'), 0);
    for (size_t i = 0; i < sizeof te_tags / sizeof te_tags[0]; i++)
        assert_int_equal(te_outstanding(te_tags[i]), 0);
    mdlkit_shutdown();
}

static void te_shutdown(void *arg)
{
    (void)arg;
    mdlkit_shutdown();
}

static void test_pool_tracking_reports_nothing(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE), 0);
    te_run_threads();
    assert_int_equal(te_outstanding(' LDM'), 0);
    for (size_t i = 0; i < sizeof te_tags / sizeof te_tags[0]; i++)
        assert_int_equal(te_outstanding(te_tags[i]), 0);
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    int raised = mdlkit_catch_bugcheck(te_shutdown, NULL, &bc);
    if (raised)
        fail_msg("the final leak check raised 0x%X (0x%lx, 0x%lx, 0x%lx, 0x%lx)", (unsigned)bc.code,
                 (unsigned long)bc.param[0], (unsigned long)bc.param[1], (unsigned long)bc.param[2],
                 (unsigned long)bc.param[3]);
    if (mdlkit_is_initialized())
        mdlkit_shutdown();
}

/* A thread that still runs at shutdown has its cached MDL blocks taken
 * back too (the shutdown drains every thread's cache, not only its own). */
static pthread_mutex_t te_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t te_cond = PTHREAD_COND_INITIALIZER;
static int te_stage;
static void *te_idle_worker(void *arg)
{
    (void)arg;
    te_worker(NULL);
    pthread_mutex_lock(&te_lock);
    te_stage = 1;
    pthread_cond_broadcast(&te_cond);
    while (te_stage != 2)
        pthread_cond_wait(&te_cond, &te_lock);
    pthread_mutex_unlock(&te_lock);
    return NULL;
}
static void test_shutdown_drains_live_threads(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_no_verifier(NULL), 0);
    te_stage = 0;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, te_idle_worker, NULL), 0);
    pthread_mutex_lock(&te_lock);
    while (te_stage != 1)
        pthread_cond_wait(&te_cond, &te_lock);
    pthread_mutex_unlock(&te_lock);
    /* the worker is alive and idle, its cache holds MDL blocks */
    assert_true(te_outstanding(' LDM') > 0);
    mdlkit_shutdown();
    /* a new machine starts clean; the worker exits under it */
    assert_int_equal(mk_test_setup_no_verifier(NULL), 0);
    pthread_mutex_lock(&te_lock);
    te_stage = 2;
    pthread_cond_broadcast(&te_cond);
    pthread_mutex_unlock(&te_lock);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(te_outstanding(' LDM'), 0);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exited_threads_leave_nothing_outstanding),
        cmocka_unit_test(test_pool_tracking_reports_nothing),
        cmocka_unit_test(test_shutdown_drains_live_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
