/* Pool Tracking (0x8) on the fast paths: records found by a free on another
 * thread, MDLs from the per-thread MDL cache tracked while handed out, leak
 * counts exact with many threads, per-thread counters merged (and those of
 * allocations with no tag and of MDLs, on every path), and the JSON
 * report's leak stacks starting at the driver's own function (mdlkit's
 * frames filtered as in the bug-check report), and the tracked fast paths
 * checking, counting, zeroing and logging as the full paths do. */
#include "testutil.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAG 'tsaF'
#define NTHREADS 4
#define PER_THREAD 2000

static char g_report[64];

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING;
    snprintf(g_report, sizeof g_report, "/tmp/mdlkit_vtf_%d.json", (int)getpid());
    c.report_path = g_report;
    return mdlkit_init(&c);
}

static int teardown(void **state)
{
    (void)state;
    mdlkit_shutdown();
    remove(g_report);
    return 0;
}

static char *read_report(void)
{
    assert_int_equal(mdlkit_report_write(g_report), 0);
    FILE *f = fopen(g_report, "r");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return buf;
}

static void unload(void *a) { mdlkit_driver_unload(a); }

/* ---- the JSON leak entry's stack starts at the driver function ---- */
static void *g_pool;
static PMDL g_mdl;
static char *g_buf;

static __attribute__((noinline)) void stackdrv_alloc_pool(void)
{
    g_pool = ExAllocatePoolWithTag(NonPagedPoolNx, 200, TAG);
    __asm__ volatile("" ::: "memory");
}

static __attribute__((noinline)) void stackdrv_alloc_mdl(void)
{
    /* free one first: the leaked MDL is a hit in the per-thread MDL cache */
    PMDL m = IoAllocateMdl(g_buf, 100, FALSE, FALSE, NULL);
    IoFreeMdl(m);
    g_mdl = IoAllocateMdl(g_buf, 100, FALSE, FALSE, NULL);
    __asm__ volatile("" ::: "memory");
}

static NTSTATUS stackdrv_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    stackdrv_alloc_pool();
    stackdrv_alloc_mdl();
    return STATUS_SUCCESS;
}

/* The first string of the "stack" array of the leak whose "kind" is kind. */
static void first_frame(const char *json, const char *kind, char *out, size_t len)
{
    char key[64];
    snprintf(key, sizeof key, "{ \"kind\": \"%s\"", kind);
    const char *l = strstr(json, key);
    assert_non_null(l);
    const char *st = strstr(l, "\"stack\": [\"");
    assert_non_null(st);
    st += strlen("\"stack\": [\"");
    const char *end = strchr(st, '"');
    assert_non_null(end);
    size_t n = (size_t)(end - st) < len - 1 ? (size_t)(end - st) : len - 1;
    memcpy(out, st, n);
    out[n] = 0;
}

static void test_json_leak_stack_starts_at_driver(void **state)
{
    (void)state;
    g_buf = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, TAG);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("stackdrv", stackdrv_entry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "stackdrv");
    assert_int_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], 2); /* the pool block and the cached MDL */
    char *json = read_report();
    char fr[256];
    first_frame(json, "pool", fr, sizeof fr);
    assert_true(strncmp(fr, "stackdrv_alloc_pool ", strlen("stackdrv_alloc_pool ")) == 0);
    first_frame(json, "mdl", fr, sizeof fr);
    assert_true(strncmp(fr, "stackdrv_alloc_mdl ", strlen("stackdrv_alloc_mdl ")) == 0);
    /* no frame of mdlkit's own in any leak stack */
    const char *leaks = strstr(json, "\"leaks\"");
    const char *faults = strstr(json, "\"faults_injected\"");
    assert_non_null(leaks);
    assert_non_null(faults);
    for (const char *p = leaks; p < faults; p++) {
        assert_false(strncmp(p, "mk_", 3) == 0);
        assert_false(strncmp(p, "ExAllocatePoolWithTag", 21) == 0);
        assert_false(strncmp(p, "IoAllocateMdl", 13) == 0);
    }
    ExFreePoolWithTag(g_pool, TAG);
    IoFreeMdl(g_mdl);
    ExFreePoolWithTag(g_buf, TAG);
}

/* ---- a block freed on another thread loses its record ---- */
static void *g_blocks[NTHREADS][PER_THREAD];
static PMDL g_mdls[NTHREADS][64];

static void *free_other(void *arg)
{
    int t = (int)(intptr_t)arg;
    int src = (t + 1) % NTHREADS; /* free what the next thread allocated */
    for (int i = 0; i < PER_THREAD; i++)
        ExFreePoolWithTag(g_blocks[src][i], TAG);
    for (int i = 0; i < 64; i++)
        IoFreeMdl(g_mdls[src][i]);
    return NULL;
}

static void *alloc_many(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int i = 0; i < PER_THREAD; i++) {
        g_blocks[t][i] = ExAllocatePoolWithTag(i & 1 ? PagedPool : NonPagedPoolNx, 16 + (size_t)(i % 300), TAG);
        assert_non_null(g_blocks[t][i]);
    }
    for (int i = 0; i < 64; i++) {
        g_mdls[t][i] = IoAllocateMdl(g_blocks[t][i], 16, FALSE, FALSE, NULL);
        assert_non_null(g_mdls[t][i]);
    }
    return NULL;
}

static PDRIVER_OBJECT g_threaddrv;

/* The driver's code (runs with the driver as owner): allocates PER_THREAD
 * blocks for the calling thread, frees nine in ten. */
static NTSTATUS threaddrv_dispatch(PDEVICE_OBJECT dev, PIRP irp)
{
    (void)dev;
    int t = (int)(intptr_t)irp->Tail.Overlay.DriverContext[0];
    for (int i = 0; i < PER_THREAD; i++)
        g_blocks[t][i] = ExAllocatePoolWithTag(NonPagedPoolNx, 48, TAG);
    for (int i = 0; i < PER_THREAD; i++)
        if (i % 10) /* keep one in ten */
            ExFreePoolWithTag(g_blocks[t][i], TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS threaddrv_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)r;
    d->MajorFunction[IRP_MJ_DEVICE_CONTROL] = threaddrv_dispatch;
    return STATUS_SUCCESS;
}

static void run_threads(void *(*fn)(void *))
{
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++)
        assert_int_equal(pthread_create(&th[t], NULL, fn, (void *)(intptr_t)t), 0);
    for (int t = 0; t < NTHREADS; t++)
        pthread_join(th[t], NULL);
}

static void test_cross_thread_free_leaves_nothing(void **state)
{
    (void)state;
    run_threads(alloc_many);
    run_threads(free_other);
    /* nothing outstanding: shutdown raises no leak bug check */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck((void (*)(void *))mdlkit_shutdown, NULL, &bc), 0);
    assert_int_equal(setup(NULL), 0);
}

/* ---- leaks made on many threads, reported with the exact count ---- */
static void *leak_some(void *arg)
{
    PIRP irp = IoAllocateIrp(2, FALSE);
    assert_non_null(irp);
    irp->Tail.Overlay.DriverContext[0] = arg;
    IoGetNextIrpStackLocation(irp)->MajorFunction = IRP_MJ_DEVICE_CONTROL;
    assert_int_equal(mdlkit_driver_call(g_threaddrv, irp), STATUS_SUCCESS);
    IoFreeIrp(irp);
    return NULL;
}

static void test_leaks_from_threads_counted_exactly(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_load("threaddrv", threaddrv_entry, &g_threaddrv), STATUS_SUCCESS);
    run_threads(leak_some);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, g_threaddrv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "threaddrv");
    assert_int_equal(bc.param[3], NTHREADS * PER_THREAD / 10);
    for (int t = 0; t < NTHREADS; t++)
        for (int i = 0; i < PER_THREAD; i += 10)
            ExFreePoolWithTag(g_blocks[t][i], TAG);
}

/* ---- per-thread counters are merged when read ---- */
static long long counter(const char *json, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *p = strstr(json, key);
    assert_non_null(p);
    return atoll(p + strlen(key));
}

static void test_counters_merged_across_threads(void **state)
{
    (void)state;
    char *json = read_report();
    long long a0 = counter(json, "pool_allocations_attempted");
    long long s0 = counter(json, "pool_allocations_succeeded");
    long long m0 = counter(json, "mdls_allocated");
    run_threads(alloc_many);
    run_threads(free_other);
    json = read_report();
    /* every thread's allocations are in the sum (MDL cache hits included) */
    assert_int_equal(counter(json, "pool_allocations_attempted") - a0, NTHREADS * (PER_THREAD + 64));
    assert_int_equal(counter(json, "pool_allocations_succeeded") - s0, NTHREADS * (PER_THREAD + 64));
    assert_int_equal(counter(json, "mdls_allocated") - m0, NTHREADS * 64);
    assert_int_equal(counter(json, "pool_allocations_failed"), 0);
}

/* ---- counters of allocations with no tag and of MDLs, by path ---- */
static void test_counters_no_tag_and_mdls(void **state)
{
    (void)state;
    char *json = read_report();
    long long a0 = counter(json, "pool_allocations_attempted");
    long long s0 = counter(json, "pool_allocations_succeeded");
    long long n0 = counter(json, "pool_allocations_with_no_tag");
    long long f0 = counter(json, "pool_allocations_failed");
    long long m0 = counter(json, "mdls_allocated");
    void *b[40];
    /* no tag: small blocks (the thread cache's fast path after the first)
     * and whole pages (the full path) */
    for (int i = 0; i < 32; i++)
        b[i] = ExAllocatePool(NonPagedPoolNx, 48);
    for (int i = 32; i < 40; i++)
        b[i] = ExAllocatePool(NonPagedPoolNx, 3 * PAGE_SIZE);
    /* a failed allocation with no tag (more than the machine has) */
    assert_null(ExAllocatePool(NonPagedPoolNx, (SIZE_T)1 << 40));
    /* MDLs: small ones from the MDL cache and the pool, big ones (more PFN
     * slots than a fixed-size MDL has) from the pool */
    PMDL m[20];
    for (int i = 0; i < 16; i++)
        m[i] = IoAllocateMdl(b[0], 48, FALSE, FALSE, NULL);
    for (int i = 16; i < 20; i++)
        m[i] = IoAllocateMdl(b[0], 64 * PAGE_SIZE, FALSE, FALSE, NULL);
    for (int i = 0; i < 20; i++) {
        assert_non_null(m[i]);
        IoFreeMdl(m[i]);
    }
    for (int i = 0; i < 16; i++) /* again: these come from the MDL cache */
        IoFreeMdl(IoAllocateMdl(b[0], 48, FALSE, FALSE, NULL));
    for (int i = 0; i < 40; i++) {
        assert_non_null(b[i]);
        ExFreePool(b[i]);
    }
    json = read_report();
    assert_int_equal(counter(json, "pool_allocations_with_no_tag") - n0, 41);
    assert_int_equal(counter(json, "pool_allocations_failed") - f0, 1);
    assert_int_equal(counter(json, "mdls_allocated") - m0, 36);
    assert_int_equal(counter(json, "pool_allocations_succeeded") - s0, 40 + 36);
    assert_int_equal(counter(json, "pool_allocations_attempted") - a0, 41 + 36);
}

/* ---- a leak check while other threads allocate and free ---- */
static atomic_int g_stop;
static void *g_leaked[8];

static NTSTATUS churndrv_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    for (int i = 0; i < 8; i++)
        g_leaked[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 32 + 16 * (size_t)i, TAG);
    return STATUS_SUCCESS;
}

static void *churn(void *arg)
{
    (void)arg;
    void *b[32];
    while (!atomic_load(&g_stop)) {
        for (int i = 0; i < 32; i++)
            b[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
        PMDL m = IoAllocateMdl(b[0], 64, FALSE, FALSE, NULL);
        IoFreeMdl(m);
        for (int i = 0; i < 32; i++)
            ExFreePoolWithTag(b[i], TAG);
    }
    return NULL;
}

static void test_leak_check_while_threads_churn(void **state)
{
    (void)state;
    pthread_t th[2];
    atomic_store(&g_stop, 0);
    for (int t = 0; t < 2; t++)
        assert_int_equal(pthread_create(&th[t], NULL, churn, NULL), 0);
    for (int round = 0; round < 20; round++) {
        PDRIVER_OBJECT drv;
        assert_int_equal(mdlkit_driver_load("churndrv", churndrv_entry, &drv), STATUS_SUCCESS);
        mdlkit_bugcheck bc;
        assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
        assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(bc.param[0], 0x62);
        assert_int_equal(bc.param[3], 8); /* exactly the driver's 8, none of the churn */
        for (int i = 0; i < 8; i++)
            ExFreePoolWithTag(g_leaked[i], TAG);
    }
    atomic_store(&g_stop, 1);
    for (int t = 0; t < 2; t++)
        pthread_join(th[t], NULL);
    /* the churn and the freed leaks left nothing: shutdown is clean */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck((void (*)(void *))mdlkit_shutdown, NULL, &bc), 0);
    assert_int_equal(setup(NULL), 0);
}

/* ---- a leak listed once is not listed again ---- */
static void test_reported_leak_not_listed_again(void **state)
{
    (void)state;
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("churndrv", churndrv_entry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload, drv, &bc), 1);
    assert_int_equal(bc.param[3], 8);
    /* still allocated, but reported: shutdown completes without a bug check */
    assert_int_equal(mdlkit_catch_bugcheck((void (*)(void *))mdlkit_shutdown, NULL, &bc), 0);
    assert_int_equal(setup(NULL), 0);
}

/* ---- the tracked fast paths check, count and log as the full ones ----
 * With Pool Tracking the only hook, the DDIs' cold paths serve a small
 * block or a cached MDL through the pool's and the MDL cache's fast cases
 * (then the record): a misuse still ends in the full path's bug check, and
 * what was freed keeps its history. */
static void *g_blk;
static PMDL g_fmdl;
#define OTHER_TAG 'rhtO'

static void free_wrong_tag(void *a) { ExFreePoolWithTag(a, OTHER_TAG); }
static void free_untagged(void *a) { ExFreePool(a); }
static void free_mdl(void *a) { IoFreeMdl(a); }

static void test_tracked_fast_free_checks_and_logs(void **state)
{
    (void)state;
    g_blk = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
    assert_non_null(g_blk);
    /* the wrong tag: the full path's report, the block still allocated */
    mk_expect_bugcheck(free_wrong_tag, g_blk, BAD_POOL_CALLER, 0x0A, g_blk, TAG, OTHER_TAG);
    ExFreePoolWithTag(g_blk, TAG);
    /* freed twice: the verifier's form of 0xC2/0x07 */
    mk_expect_bugcheck(free_untagged, g_blk, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x13, 0, g_blk, TAG);
    /* the log, newest first: the refused second free (the full path logs
     * a free before its checks), the free, the refused wrong-tag free, the
     * allocation; the fast path's entries sized and tagged */
    mdlkit_pool_log_entry e[8];
    assert_int_equal(mdlkit_pool_log(g_blk, e, 8), 4);
    const int ops[4] = {MDLKIT_POOL_LOG_FREE, MDLKIT_POOL_LOG_FREE, MDLKIT_POOL_LOG_FREE, MDLKIT_POOL_LOG_ALLOC};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(e[i].op, ops[i]);
        assert_ptr_equal(e[i].address, g_blk);
        assert_true(e[i].nframes >= 1);
    }
    for (int i = 1; i < 4; i += 2) {
        assert_int_equal(e[i].tag, TAG);
        assert_int_equal(e[i].size, 64);
    }
}

static void test_tracked_pool2_zeroes_a_reused_block(void **state)
{
    (void)state;
    mdlkit_pool_tag_usage u0, u1;
    memset(&u0, 0, sizeof u0);
    (void)mdlkit_pool_usage_tag(TAG, &u0);
    unsigned char *a = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, 200, TAG);
    assert_non_null(a);
    memset(a, 0xAB, 200);
    ExFreePool(a);
    unsigned char *b = ExAllocatePool2(POOL_FLAG_NON_PAGED, 200, TAG);
    assert_ptr_equal(b, a); /* the block just freed, from this thread's cache */
    for (int i = 0; i < 200; i++)
        assert_int_equal(b[i], 0);
    assert_int_equal(mdlkit_pool_usage_tag(TAG, &u1), 1);
    assert_int_equal(u1.nonpaged_allocs - u0.nonpaged_allocs, 2);
    assert_int_equal(u1.nonpaged_frees - u0.nonpaged_frees, 1);
    assert_int_equal(u1.nonpaged_bytes - u0.nonpaged_bytes, 200);
    ExFreePoolWithTag(b, TAG);
}

static void test_tracked_mdl_cache_checks_and_logs(void **state)
{
    (void)state;
    char *buf = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, TAG);
    PIRP irp = IoAllocateIrp(1, FALSE);
    assert_non_null(irp);
    /* warm the cache: the next MDL is a cache hit */
    IoFreeMdl(IoAllocateMdl(buf, 100, FALSE, FALSE, NULL));
    g_fmdl = IoAllocateMdl(buf + 10, 100, FALSE, FALSE, irp);
    assert_non_null(g_fmdl);
    assert_ptr_equal(irp->MdlAddress, g_fmdl);
    assert_ptr_equal(MmGetMdlVirtualAddress(g_fmdl), buf + 10);
    assert_int_equal(MmGetMdlByteCount(g_fmdl), 100);
    assert_int_equal(g_fmdl->MdlFlags, MDL_ALLOCATED_FIXED_SIZE);
    irp->MdlAddress = NULL;
    IoFreeIrp(irp);
    IoFreeMdl(g_fmdl);
    /* freed twice while it rests in the cache: 0xC2/0x07 */
    mk_expect_bugcheck(free_mdl, g_fmdl, BAD_POOL_CALLER, 0x07, 0, MDL_ALLOCATED_FIXED_SIZE, g_fmdl);
    mdlkit_pool_log_entry e[8];
    assert_true(mdlkit_pool_log(g_fmdl, e, 8) >= 2);
    assert_int_equal(e[0].op, MDLKIT_POOL_LOG_FREE);
    assert_int_equal(e[1].op, MDLKIT_POOL_LOG_ALLOC);
    assert_int_equal(e[1].tag, ' LDM');
    ExFreePoolWithTag(buf, TAG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_json_leak_stack_starts_at_driver, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cross_thread_free_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaks_from_threads_counted_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_merged_across_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_no_tag_and_mdls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leak_check_while_threads_churn, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reported_leak_not_listed_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracked_fast_free_checks_and_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracked_pool2_zeroes_a_reused_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tracked_mdl_cache_checks_and_logs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
