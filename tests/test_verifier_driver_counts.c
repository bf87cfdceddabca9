/* Pool Tracking's per-driver counts (current and exact peaks, paged and
 * non-paged, as !verifier shows each driver) and the pool allocate/free
 * log (!verifier 0x80) kept with Pool Tracking alone: entries, bound,
 * the bug check's block history, the JSON report. */
#include "testutil.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TAGA 'AvrD'
#define TAGB 'BvrD'

static void *g_a4, *g_p2, *g_b[5];

/* Driver A: non-paged 100, 200, 300 (3 blocks, 600 bytes), free 200
 * (2, 400), 1000 (3, 1400: the byte peak), free 100 and 300 (1, 1000);
 * paged 64 + 64 (2, 128), free one (1, 64). */
static NTSTATUS entry_a(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    void *a1 = ExAllocatePoolWithTag(NonPagedPoolNx, 100, TAGA);
    void *a2 = ExAllocatePoolWithTag(NonPagedPoolNx, 200, TAGA);
    void *a3 = ExAllocatePoolWithTag(NonPagedPoolNx, 300, TAGA);
    ExFreePoolWithTag(a2, TAGA);
    g_a4 = ExAllocatePoolWithTag(NonPagedPoolNx, 1000, TAGA);
    ExFreePoolWithTag(a1, TAGA);
    ExFreePoolWithTag(a3, TAGA);
    void *p1 = ExAllocatePoolWithTag(PagedPool, 64, TAGA);
    g_p2 = ExAllocatePoolWithTag(PagedPool, 64, TAGA);
    ExFreePoolWithTag(p1, TAGA);
    return STATUS_SUCCESS;
}

/* Driver B: five non-paged blocks of 16 bytes (peak 5, 80), three freed. */
static NTSTATUS entry_b(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    for (int i = 0; i < 5; i++)
        g_b[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 16, TAGB);
    for (int i = 0; i < 3; i++)
        ExFreePoolWithTag(g_b[i], TAGB);
    return STATUS_SUCCESS;
}

static void check_counts(ULONG flags)
{
    assert_int_equal(mk_test_setup_flags(flags), 0);
    PDRIVER_OBJECT da, db;
    assert_int_equal(mdlkit_driver_load("drva", entry_a, &da), STATUS_SUCCESS);
    /* the process's own blocks are no driver's */
    void *mine = ExAllocatePoolWithTag(NonPagedPoolNx, 4000, 'eniM');
    assert_int_equal(mdlkit_driver_load("drvb", entry_b, &db), STATUS_SUCCESS);

    mdlkit_driver_counters a, b;
    assert_int_equal(mdlkit_verifier_driver_counters_get(da, &a), 0);
    assert_string_equal(a.name, "drva");
    assert_int_equal(a.CurrentNonPagedPoolAllocations, 1);
    assert_int_equal(a.NonPagedBytes, 1000);
    assert_int_equal(a.PeakNonPagedPoolAllocations, 3);
    assert_int_equal(a.PeakNonPagedBytes, 1400);
    assert_int_equal(a.CurrentPagedPoolAllocations, 1);
    assert_int_equal(a.PagedBytes, 64);
    assert_int_equal(a.PeakPagedPoolAllocations, 2);
    assert_int_equal(a.PeakPagedBytes, 128);

    assert_int_equal(mdlkit_verifier_driver_counters_get(db, &b), 0);
    assert_string_equal(b.name, "drvb");
    assert_int_equal(b.CurrentNonPagedPoolAllocations, 2);
    assert_int_equal(b.NonPagedBytes, 32);
    assert_int_equal(b.PeakNonPagedPoolAllocations, 5);
    assert_int_equal(b.PeakNonPagedBytes, 80);
    assert_int_equal(b.PeakPagedPoolAllocations, 0);
    assert_int_equal(b.PagedBytes, 0);

    /* A free by the process is still charged back to the driver that owns
     * the block; the peaks stay */
    ExFreePoolWithTag(g_a4, TAGA);
    ExFreePoolWithTag(mine, 'eniM');
    assert_int_equal(mdlkit_verifier_driver_counters_get(da, &a), 0);
    assert_int_equal(a.CurrentNonPagedPoolAllocations, 0);
    assert_int_equal(a.NonPagedBytes, 0);
    assert_int_equal(a.PeakNonPagedPoolAllocations, 3);
    assert_int_equal(a.PeakNonPagedBytes, 1400);

    /* every driver, in load order */
    mdlkit_driver_counters all[4];
    assert_int_equal(mdlkit_verifier_drivers_counters(all, 4), 2);
    assert_string_equal(all[0].name, "drva");
    assert_string_equal(all[1].name, "drvb");
    assert_int_equal(all[1].PeakNonPagedPoolAllocations, 5);

    /* the text table */
    char *txt = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&txt, &len);
    mdlkit_report_print(m);
    fclose(m);
    assert_non_null(strstr(txt, "Per driver (Pool Tracking)"));
    assert_non_null(strstr(txt, "1400)"));
    free(txt);
    /* the JSON report */
    const char *json = mk_test_report_json();
    assert_non_null(strstr(json, "\"name\": \"drva\", \"outstanding\": 0,"));
    assert_non_null(strstr(json, "\"peak\": { \"paged_pool_allocations\": 2, \"nonpaged_pool_allocations\": 3, "
                                 "\"paged_bytes\": 128, \"nonpaged_bytes\": 1400 }"));

    ExFreePoolWithTag(g_p2, TAGA);
    ExFreePoolWithTag(g_b[3], TAGB);
    ExFreePoolWithTag(g_b[4], TAGB);
    assert_int_equal(mdlkit_driver_unload(da), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(db), STATUS_SUCCESS);
    /* an unloaded driver's object is no longer asked by; the list keeps it */
    assert_int_equal(mdlkit_verifier_driver_counters_get(da, &a), -1);
    assert_int_equal(mdlkit_verifier_drivers_counters(all, 4), 2);
    assert_int_equal(all[0].PeakNonPagedBytes, 1400);
    assert_int_equal(all[0].NonPagedBytes, 0);
    mdlkit_shutdown();
}

static void test_driver_counts_tracking(void **state)
{
    (void)state;
    check_counts(MDLKIT_VERIFY_POOL_TRACKING);
}

/* Special pool blocks are tracked in the table: the same counts. */
static void test_driver_counts_special_pool(void **state)
{
    (void)state;
    check_counts(MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_SPECIAL_POOL);
}

/* Two system threads of one driver allocate and free at once: no count
 * is lost (each is one atomic add), and the peak lies between the final
 * value and the sum of what both threads held at most (with their thread
 * objects). */
#define MT_N 2000
static void *g_mt[2][MT_N];
static void mt_thread(PVOID ctx)
{
    void **v = ctx;
    for (int i = 0; i < MT_N; i++)
        v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'tMvD');
    for (int i = 0; i < MT_N; i += 2)
        ExFreePoolWithTag(v[i], 'tMvD');
}
static NTSTATUS entry_mt(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    HANDLE h[2];
    PVOID obj[2];
    for (int t = 0; t < 2; t++)
        if (PsCreateSystemThread(&h[t], THREAD_ALL_ACCESS, NULL, NULL, NULL, mt_thread, g_mt[t]) != STATUS_SUCCESS)
            return STATUS_UNSUCCESSFUL;
    for (int t = 0; t < 2; t++) {
        if (ObReferenceObjectByHandle(h[t], SYNCHRONIZE, *PsThreadType, KernelMode, &obj[t], NULL) != STATUS_SUCCESS)
            return STATUS_UNSUCCESSFUL;
        KeWaitForSingleObject(obj[t], Executive, KernelMode, FALSE, NULL);
        ObDereferenceObject(obj[t]);
        ZwClose(h[t]);
    }
    return STATUS_SUCCESS;
}

static void test_driver_counts_two_threads(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING), 0);
    PDRIVER_OBJECT d;
    assert_int_equal(mdlkit_driver_load("mtdrv", entry_mt, &d), STATUS_SUCCESS);
    mdlkit_driver_counters c;
    assert_int_equal(mdlkit_verifier_driver_counters_get(d, &c), 0);
    assert_int_equal(c.CurrentNonPagedPoolAllocations, MT_N);
    assert_int_equal(c.NonPagedBytes, 32 * MT_N);
    /* the peak: at most both threads' blocks at once, plus the two thread
     * objects the driver's PsCreateSystemThread calls hold while the
     * threads run (charged to it; a thread object is under a page) */
    assert_true(c.PeakNonPagedPoolAllocations >= MT_N && c.PeakNonPagedPoolAllocations <= 2 * MT_N + 2);
    assert_true(c.PeakNonPagedBytes >= 32 * MT_N && c.PeakNonPagedBytes <= 64 * MT_N + 2 * PAGE_SIZE);
    for (int t = 0; t < 2; t++)
        for (int i = 1; i < MT_N; i += 2)
            ExFreePoolWithTag(g_mt[t][i], 'tMvD');
    assert_int_equal(mdlkit_verifier_driver_counters_get(d, &c), 0);
    assert_int_equal(c.CurrentNonPagedPoolAllocations, 0);
    assert_int_equal(c.NonPagedBytes, 0);
    assert_int_equal(mdlkit_driver_unload(d), STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* ---- the allocate/free log ---- */
static void *g_blk;

static __attribute__((noinline)) void log_alloc_here(void) { g_blk = ExAllocatePoolWithTag(NonPagedPoolNx, 48, 'goLT'); }
static __attribute__((noinline)) void log_free_here(void) { ExFreePoolWithTag(g_blk, 'goLT'); }
static void free_again(void *arg)
{
    (void)arg;
    ExFreePoolWithTag(g_blk, 'goLT');
}

static NTSTATUS entry_log(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    log_alloc_here();
    log_free_here();
    return STATUS_SUCCESS;
}

static void test_log_double_free(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING), 0);
    PDRIVER_OBJECT d;
    assert_int_equal(mdlkit_driver_load("logdrv", entry_log, &d), STATUS_SUCCESS);
    mdlkit_pool_log_entry e[8];
    assert_int_equal(mdlkit_pool_log(g_blk, e, 8), 2);
    assert_int_equal(e[0].op, MDLKIT_POOL_LOG_FREE);
    assert_int_equal(e[1].op, MDLKIT_POOL_LOG_ALLOC);
    assert_ptr_equal(e[0].address, g_blk);
    assert_int_equal(e[0].size, 48);
    assert_int_equal(e[1].size, 48);
    assert_int_equal(e[0].tag, 'goLT');
    assert_string_equal(e[1].driver, "logdrv");
    assert_string_equal(e[0].driver, "logdrv");
    assert_true(e[0].seq > e[1].seq);
    assert_int_equal(e[0].thread, e[1].thread);
    /* an interior address finds the block's entries too */
    assert_int_equal(mdlkit_pool_log((char *)g_blk + 47, NULL, 0), 2);

    char *txt = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&txt, &len);
    assert_int_equal(mdlkit_pool_log_print(m, g_blk, 0), 2);
    fclose(m);
    assert_non_null(strstr(txt, "log_free_here"));
    assert_non_null(strstr(txt, "log_alloc_here"));
    free(txt);

    /* the second free: the bug check keeps the block's history */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(free_again, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x13);
    assert_int_equal(mdlkit_pool_log(g_blk, e, 8), 3);
    assert_int_equal(e[0].op, MDLKIT_POOL_LOG_FREE); /* the bad free */
    assert_int_equal(e[1].op, MDLKIT_POOL_LOG_FREE); /* the earlier one */
    const char *json = mk_test_report_json();
    char want[64];
    snprintf(want, sizeof want, "\"pool_block\": \"%p\"", g_blk);
    assert_non_null(strstr(json, want));
    const char *pl = strstr(json, "\"pool_log\": [");
    assert_non_null(pl);
    assert_non_null(strstr(pl, "log_free_here"));

    /* `mdlkit report --log[=ADDRESS] FILE` prints the saved logs */
    char path[] = "/tmp/mdlkit_test_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mdlkit_report_write(path), 0);
    char self[4096], cmd[8400], out[8192];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = 0;
    const char *dir = dirname(self);
    snprintf(cmd, sizeof cmd, "'%s/../tools/mdlkit' report --log=%p '%s'", dir, (void *)((char *)g_blk + 4), path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    assert_int_equal(pclose(p), 0);
    if (!strstr(out, "freed") || !strstr(out, "allocated") || !strstr(out, "log_free_here") ||
        !strstr(out, "log_alloc_here") || !strstr(out, "tag TLog"))
        fail_msg("mdlkit report --log=ADDRESS printed:\n%s", out);
    snprintf(cmd, sizeof cmd, "'%s/../tools/mdlkit' report --log '%s'", dir, path);
    p = popen(cmd, "r");
    assert_non_null(p);
    got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    assert_int_equal(pclose(p), 0);
    if (!strstr(out, "which the bug check is about"))
        fail_msg("mdlkit report --log printed:\n%s", out);
    unlink(path);
    mdlkit_reset();
}

/* Each thread's ring keeps its latest 1024 entries. */
static void test_log_bounded(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING), 0);
    for (int i = 0; i < 3000; i++)
        ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'dnuB'), 'dnuB');
    size_t n = mdlkit_pool_log(NULL, NULL, 0);
    mdlkit_pool_log_entry *e = calloc(n, sizeof *e);
    assert_non_null(e);
    assert_int_equal(mdlkit_pool_log(NULL, e, n), n);
    unsigned t = e[0].thread;
    size_t mine = 0;
    unsigned long long oldest = e[0].seq;
    for (size_t i = 0; i < n; i++)
        if (e[i].thread == t) {
            mine++;
            oldest = e[i].seq;
        }
    assert_int_equal(mine, 1024);
    assert_int_equal(e[0].seq - oldest, 1023);
    assert_int_equal(e[0].op, MDLKIT_POOL_LOG_FREE);
    free(e);
    mdlkit_shutdown();
}

/* Without Pool Tracking (nor special pool / fault injection) no log. */
static void test_no_log_without_tracking(void **state)
{
    (void)state;
    assert_int_equal(mk_test_setup_flags(0), 0);
    ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolNx, 32, 'goLN'), 'goLN');
    assert_int_equal(mdlkit_pool_log(NULL, NULL, 0), 0);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_driver_counts_tracking),
        cmocka_unit_test(test_driver_counts_special_pool),
        cmocka_unit_test(test_driver_counts_two_threads),
        cmocka_unit_test(test_log_double_free),
        cmocka_unit_test(test_log_bounded),
        cmocka_unit_test(test_no_log_without_tracking),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
