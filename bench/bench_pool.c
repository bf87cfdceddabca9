/*
 * bench_pool.c -- the pool rows of `make bench` and the pool cost curves.
 *
 * Rows (each mdlkit case interleaved with its baselines in this process):
 *   - ExAllocatePool2(UNINITIALIZED) + ExFreePool of random sizes 16..1024
 *     (one byte written each) in three patterns: each block freed at once
 *     (glibc's thread cache, the pattern of most driver code), batches of
 *     256 freed LIFO, and batches of 256 freed in random order; each against
 *     glibc malloc/free (target <= 1.00) and mimalloc (dlopen RTLD_LOCAL,
 *     target <= 1.30), jemalloc (a child process under LD_PRELOAD: its
 *     static TLS forbids dlopen) shown beside them; the batches with 2
 *     threads too;
 *   - zeroing ExAllocatePool2 (POOL_FLAG_NON_PAGED) + ExFreePool against
 *     malloc + memset + free of the same sizes, at once;
 *   (the one-thread cases are timed in the thread's own CPU time,
 *   CLOCK_THREAD_CPUTIME_ID, so that time the thread spends descheduled
 *   on a shared machine counts for neither side; the 2-thread cases in
 *   wall time)
 *   - 1 -> 2 thread throughput scaling of mdlkit;
 *   - lookaside allocate/free (ExAllocateFromNPagedLookasideList) against
 *     malloc/free of the same size;
 *   - the verifier: pool tracking (0x8) and special pool (0x1) against the
 *     verifier off, each on its own fresh machine (init/shutdown per rep).
 * Curves (CSV in $MDLKIT_BENCH_OUT):
 *   - pool_outstanding.csv: ns per alloc+free pair with N allocations live
 *     at once, N = 1 .. 1M (mdlkit and glibc);
 *   - leak_scan.csv: pool tracking on, time of the driver-unload leak check
 *     with N allocations outstanding (N leaked by the driver, or N held by
 *     the process while a clean driver unloads).
 * Also prints the allocator's bookkeeping bytes per live small allocation.
 *
 * Usage: bench_pool [reps]
 */
#define _GNU_SOURCE
#include "bench_common.h"
#include "mk_pool.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

enum { BATCH = 256, NSIZES = 4096, ROUNDS = 1500 };

typedef struct alloc_api {
    const char *name;
    void *(*alloc)(size_t n);
    void (*release)(void *p);
} alloc_api;

static size_t sizes[NSIZES];
static unsigned perm[BATCH]; /* random free order */

/* ---- allocators ---- */
static void *mk_alloc(size_t n) { return ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, n, 'hcnB'); }
static void *mk_alloc_zero(size_t n) { return ExAllocatePool2(POOL_FLAG_NON_PAGED, n, 'hcnB'); }
static void mk_release(void *p) { ExFreePool(p); }
static void *libc_alloc(size_t n) { return malloc(n); }
static void libc_release(void *p) { free(p); }
/* the zeroing baseline: what a caller of malloc writes to get the same
 * (bench_use keeps the compiler from making the pair a calloc, which
 * bypasses glibc's thread cache) */
static void *libc_alloc_zero(size_t n)
{
    void *p = malloc(n);
    bench_use(p);
    return memset(p, 0, n);
}

static void *(*mi_malloc_p)(size_t);
static void (*mi_free_p)(void *);
static void *mi_alloc(size_t n) { return mi_malloc_p(n); }
static void mi_release(void *p) { mi_free_p(p); }

static void mdlkit_up(ULONG verifier)
{
    mdlkit_config cfg;
    mdlkit_config_default(&cfg);
    cfg.quiet = 1;
    cfg.verifier_flags = verifier;
    cfg.report_path = NULL;
    if (mdlkit_init(&cfg)) {
        fprintf(stderr, "bench_pool: mdlkit_init failed\n");
        exit(1);
    }
}

/* ---- one thread's loop ---- */
/* Patterns: a batch of BATCH blocks freed LIFO or in random order, or each
 * block freed right after its one-byte write (BATCH pairs per round). */
enum { PAT_LIFO = 0, PAT_RANDOM = 1, PAT_ONCE = 2 };

typedef struct run {
    const alloc_api *api;
    int pattern;
    int threads;
    int rounds;
} run;

static void loop(const alloc_api *api, int pattern, unsigned salt, int rounds)
{
    void *v[BATCH];
    unsigned k = salt;
    int random_order = pattern == PAT_RANDOM;
    if (pattern == PAT_ONCE) {
        for (int r = 0; r < rounds; r++)
            for (int i = 0; i < BATCH; i++) {
                char *p = api->alloc(sizes[(k++) & (NSIZES - 1)]);
                p[0] = (char)i;
                bench_use(p);
                api->release(p);
            }
        return;
    }
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < BATCH; i++) {
            char *p = api->alloc(sizes[(k++) & (NSIZES - 1)]);
            p[0] = (char)i;
            v[i] = p;
        }
        if (random_order)
            for (int i = 0; i < BATCH; i++)
                api->release(v[perm[i]]);
        else
            for (int i = BATCH; i-- > 0;)
                api->release(v[i]);
    }
}

typedef struct targ {
    const run *r;
    unsigned salt;
    pthread_barrier_t *bar;
    double t0, t1;
} targ;

static void *thread_main(void *a)
{
    targ *t = a;
    loop(t->r->api, t->r->pattern, t->salt, 20); /* warm this thread's caches */
    pthread_barrier_wait(t->bar);
    t->t0 = bench_now_ns(); /* timed in the workers: the main thread may not be running */
    loop(t->r->api, t->r->pattern, t->salt, t->r->rounds);
    t->t1 = bench_now_ns();
    return NULL;
}

/* Returns ns per pair per thread (wall time / pairs done by one thread). */
static double run_child(const run *r)
{
#ifdef MDLKIT_JEMALLOC_PATH
    char cmd[512];
    snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s /proc/%d/exe --child %d %d %d", MDLKIT_JEMALLOC_PATH, (int)getpid(),
             r->pattern, r->threads, r->rounds);
    FILE *f = popen(cmd, "r");
    double v = 0;
    if (!f || fscanf(f, "%lf", &v) != 1)
        v = 0;
    if (f)
        pclose(f);
    return v;
#else
    (void)r;
    return 0;
#endif
}

static double cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_case(void *arg)
{
    const run *r = arg;
    if (!r->api->alloc)
        return run_child(r);
    double pairs = (double)r->rounds * BATCH;
    if (r->threads == 1) {
        double t0 = cpu_now_ns();
        loop(r->api, r->pattern, 7, r->rounds);
        return (cpu_now_ns() - t0) / pairs;
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)r->threads);
    pthread_t th[8];
    targ ta[8];
    for (int i = 0; i < r->threads; i++) {
        ta[i] = (targ){r, 7u + 1000u * (unsigned)i, &bar, 0, 0};
        pthread_create(&th[i], NULL, thread_main, &ta[i]);
    }
    double t0 = 1e300, t1 = 0;
    for (int i = 0; i < r->threads; i++) {
        pthread_join(th[i], NULL);
        t0 = ta[i].t0 < t0 ? ta[i].t0 : t0;
        t1 = ta[i].t1 > t1 ? ta[i].t1 : t1;
    }
    pthread_barrier_destroy(&bar);
    return (t1 - t0) / pairs;
}

static void overhead(void)
{
    enum { N = 200000 };
    void **v = malloc(N * sizeof *v);
    mdlkit_pool_memory m0, m1;
    mdlkit_pool_memory_get(&m0);
    size_t requested = 0;
    for (int i = 0; i < N; i++) {
        size_t n = sizes[i & (NSIZES - 1)];
        requested += n;
        v[i] = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, n, 'dhvO');
    }
    mdlkit_pool_memory_get(&m1);
    double meta = (double)(m1.metadata_bytes - m0.metadata_bytes) / N;
    double pages = (double)(m1.small_pages - m0.small_pages) * PAGE_SIZE;
    printf("Memory overhead, %d live allocations of 16..1024 bytes:\n", N);
    printf("  side metadata (tag + size words, page descriptors): %.2f bytes per allocation\n", meta);
    printf("  size-class rounding and page tails: %.2f bytes per allocation (%.1f%% of requested)\n",
           (pages - (double)requested) / N, 100.0 * (pages - (double)requested) / (double)requested);
    bench_row("pool metadata bytes per live allocation (200k, 16..1024 B)", meta, meta, meta, "limit", 16.0, "-",
              meta / 16.0, "<= 1.00");
    for (int i = 0; i < N; i++)
        ExFreePool(v[i]);
    free(v);
}

static void make_workload(void)
{
    srand(42);
    for (int i = 0; i < NSIZES; i++)
        sizes[i] = 16 + (size_t)rand() % (1024 - 16 + 1);
    for (int i = 0; i < BATCH; i++)
        perm[i] = (unsigned)i;
    for (int i = BATCH - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        unsigned t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* --child <pattern> <threads> <rounds>: one measurement of malloc/free
 * (which LD_PRELOAD made jemalloc), after a warm-up; prints ns per pair. */
static int child_main(int pattern, int threads, int rounds)
{
    make_workload();
    alloc_api api = {"child malloc", libc_alloc, libc_release};
    run r = {&api, pattern, threads, rounds};
    (void)run_case(&r);
    printf("%.4f\n", run_case(&r));
    return 0;
}

/* ---- lookaside ---- */
enum { LA_SIZE = 256, LA_BATCH = 64, LA_ROUNDS = 20000 };
static NPAGED_LOOKASIDE_LIST la_list;

static double la_mdlkit(void *arg)
{
    (void)arg;
    void *v[LA_BATCH];
    double t0 = bench_now_ns();
    for (int r = 0; r < LA_ROUNDS; r++) {
        for (int i = 0; i < LA_BATCH; i++) {
            v[i] = ExAllocateFromNPagedLookasideList(&la_list);
            *(volatile char *)v[i] = 1;
        }
        for (int i = LA_BATCH; i-- > 0;)
            ExFreeToNPagedLookasideList(&la_list, v[i]);
    }
    return (bench_now_ns() - t0) / ((double)LA_ROUNDS * LA_BATCH);
}

static double la_malloc(void *arg)
{
    (void)arg;
    void *v[LA_BATCH];
    double t0 = bench_now_ns();
    for (int r = 0; r < LA_ROUNDS; r++) {
        for (int i = 0; i < LA_BATCH; i++) {
            v[i] = malloc(LA_SIZE);
            *(volatile char *)v[i] = 1;
        }
        for (int i = LA_BATCH; i-- > 0;)
            free(v[i]);
    }
    return (bench_now_ns() - t0) / ((double)LA_ROUNDS * LA_BATCH);
}

/* ---- verifier options: each measurement on a fresh machine ---- */
typedef struct vf_case {
    ULONG flags;
    int rounds;
} vf_case;

static double vf_run(void *arg)
{
    const vf_case *c = arg;
    mdlkit_up(c->flags);
    alloc_api api = {"mdlkit", mk_alloc, mk_release};
    /* warm-up: one pass over the size table (the blocks, pages and, with
     * pool tracking, shadow records the timed rounds reuse) */
    loop(&api, 0, 7, NSIZES / BATCH);
    double t0 = bench_now_ns();
    loop(&api, 0, 7, c->rounds);
    double t = (bench_now_ns() - t0) / ((double)c->rounds * BATCH);
    mdlkit_shutdown();
    return t;
}

/* ---- curve: N allocations outstanding ---- */
static double outstanding_run(const alloc_api *api, void **v, size_t n)
{
    size_t reps = n >= (1u << 20) ? 1 : ((size_t)1 << 20) / n;
    double t0 = bench_now_ns();
    for (size_t r = 0; r < reps; r++) {
        for (size_t i = 0; i < n; i++) {
            v[i] = api->alloc(64);
            *(volatile char *)v[i] = 1;
        }
        for (size_t i = 0; i < n; i++)
            api->release(v[i]);
    }
    return (bench_now_ns() - t0) / ((double)reps * (double)n);
}

static void curve_outstanding(void)
{
    FILE *f = bench_csv_open("pool_outstanding.csv");
    if (!f)
        return;
    enum { NMAX = 1 << 20 };
    void **v = malloc(NMAX * sizeof *v);
    alloc_api mk = {"mdlkit", mk_alloc, mk_release}, lc = {"glibc", libc_alloc, libc_release};
    fprintf(f, "outstanding,mdlkit_ns_per_pair,glibc_ns_per_pair\n");
    printf("\ncurve: alloc+free of 64 B with N allocations outstanding (ns per pair, median of 3)\n");
    for (size_t n = 1; n <= NMAX; n *= 4) {
        double a[3], b[3];
        for (int r = 0; r < 3; r++) {
            a[r] = outstanding_run(&mk, v, n);
            b[r] = outstanding_run(&lc, v, n);
        }
        double ma = bench_median_of(a, 3), mb = bench_median_of(b, 3);
        fprintf(f, "%zu,%.2f,%.2f\n", n, ma, mb);
        printf("  N=%-8zu mdlkit %8.2f  glibc %8.2f\n", n, ma, mb);
    }
    free(v);
    fclose(f);
}

/* ---- curve: leak scan at driver unload (pool tracking) ---- */
static size_t g_leak_n;
static void **g_leak_v;

static NTSTATUS leaky_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    for (size_t i = 0; i < g_leak_n; i++)
        g_leak_v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'kaeL');
    return STATUS_SUCCESS;
}

static NTSTATUS clean_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    return STATUS_SUCCESS;
}

static void unload_cb(void *a) { (void)mdlkit_driver_unload(a); }

/* Returns the unload time in ns, or -1. leaky: the driver leaks n blocks;
 * else the process holds n blocks and a clean driver unloads. */
static double leak_scan_once(size_t n, int leaky)
{
    mdlkit_up(MDLKIT_VERIFY_POOL_TRACKING);
    g_leak_n = n;
    PDRIVER_OBJECT drv;
    if (!leaky)
        for (size_t i = 0; i < n; i++)
            g_leak_v[i] = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'dloH');
    if (mdlkit_driver_load(leaky ? "leakydrv" : "cleandrv", leaky ? leaky_entry : clean_entry, &drv) !=
        STATUS_SUCCESS) {
        mdlkit_shutdown();
        return -1;
    }
    mdlkit_bugcheck bc;
    double t0 = bench_now_ns();
    int caught = mdlkit_catch_bugcheck(unload_cb, drv, &bc);
    double t = bench_now_ns() - t0;
    if (caught != (leaky && n > 0))
        fprintf(stderr, "bench_pool: leak scan N=%zu: unexpected result (caught=%d)\n", n, caught);
    for (size_t i = 0; i < n; i++)
        ExFreePoolWithTag(g_leak_v[i], leaky ? 'kaeL' : 'dloH');
    mdlkit_shutdown();
    return t;
}

static void curve_leak_scan(void)
{
    FILE *f = bench_csv_open("leak_scan.csv");
    if (!f)
        return;
    enum { NMAX = 1 << 20 };
    g_leak_v = malloc(NMAX * sizeof *g_leak_v);
    (void)leak_scan_once(1, 1); /* warm-up: the first report loads the symbolizer */
    fprintf(f, "outstanding,leaky_unload_total_ms,leaky_ns_per_leak,clean_unload_total_ms,clean_ns_per_outstanding\n");
    printf("\ncurve: driver unload leak check with pool tracking, N allocations outstanding\n");
    int leaky_on = 1, clean_on = 1;
    for (size_t n = 1; n <= NMAX; n *= 4) {
        double lk = leaky_on ? leak_scan_once(n, 1) : -1;
        double cl = clean_on ? leak_scan_once(n, 0) : -1;
        /* keep `make bench` short: stop a series once one point takes > 8 s */
        if (lk > 8e9)
            leaky_on = 0;
        if (cl > 8e9)
            clean_on = 0;
        fprintf(f, "%zu,", n);
        if (lk >= 0)
            fprintf(f, "%.3f,%.1f,", lk / 1e6, lk / (double)n);
        else
            fprintf(f, ",,");
        if (cl >= 0)
            fprintf(f, "%.3f,%.1f\n", cl / 1e6, cl / (double)n);
        else
            fprintf(f, ",\n");
        printf("  N=%-8zu leaky driver %10.3f ms (%8.1f ns/leak)   clean driver %10.3f ms (%8.1f ns/alloc)\n", n,
               lk / 1e6, lk / (double)n, cl / 1e6, cl / (double)n);
        fflush(stdout);
    }
    free(g_leak_v);
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
    int reps = argc > 1 ? atoi(argv[1]) : bench_reps(9);
    make_workload();
    mdlkit_up(0);

    alloc_api apis[4];
    int napi = 0, mi_case = -1;
    apis[napi++] = (alloc_api){"glibc malloc/free", libc_alloc, libc_release};
    apis[napi++] = (alloc_api){"mdlkit ExAllocatePool2", mk_alloc, mk_release};
#ifdef MDLKIT_MIMALLOC_PATH
    void *mi = dlopen(MDLKIT_MIMALLOC_PATH, RTLD_NOW | RTLD_LOCAL);
    if (mi && (mi_malloc_p = (void *(*)(size_t))dlsym(mi, "mi_malloc")) &&
        (mi_free_p = (void (*)(void *))dlsym(mi, "mi_free"))) {
        mi_case = napi;
        apis[napi++] = (alloc_api){"mimalloc", mi_alloc, mi_release};
    } else
        fprintf(stderr, "bench_pool: mimalloc not usable: %s\n", dlerror());
#endif
#ifdef MDLKIT_JEMALLOC_PATH
    apis[napi++] = (alloc_api){"jemalloc", NULL, NULL};
#endif
    static const char *pat_name[3] = {"batches of 256 freed LIFO", "batches of 256 freed in random order", "at once"};
    static const int pat_order[3] = {PAT_ONCE, PAT_LIFO, PAT_RANDOM};
    double mk_1t[3][BENCH_MAX_REPS], mk_2t[3][BENCH_MAX_REPS];
    int nrep[3] = {0, 0, 0};
    for (int threads = 1; threads <= 2; threads++)
        for (int pi = 0; pi < 3; pi++) {
            int pat = pat_order[pi];
            if (threads == 2 && pat == PAT_ONCE)
                continue;
            run runs[4];
            bench_case cases[4];
            for (int i = 0; i < napi; i++) {
                runs[i] = (run){&apis[i], pat, threads, threads == 1 ? ROUNDS : ROUNDS / 2};
                cases[i] = (bench_case){apis[i].name, run_case, &runs[i], 0, {0}};
            }
            bench_interleave(cases, napi, reps);
            char title[160], others[160] = "", row[160];
            snprintf(title, sizeof title, "\npool alloc+free, sizes 16..1024, %s, %d thread%s (ns per pair per thread)",
                     pat_name[pat], threads, threads > 1 ? "s" : "");
            bench_detail(stdout, title, cases, napi);
            for (int i = 2; i < napi; i++) {
                size_t l = strlen(others);
                snprintf(others + l, sizeof others - l, "%s%s %.1f", l ? ", " : "", apis[i].name,
                         bench_median(&cases[i]));
            }
            snprintf(row, sizeof row, "pool alloc+free 16..1024 B, %s, %d thread%s, vs glibc", pat_name[pat], threads,
                     threads > 1 ? "s" : "");
            bench_row_cases(row, &cases[1], &cases[0], others, "<= 1.00");
            if (mi_case >= 0 && threads == 1) {
                snprintf(row, sizeof row, "pool alloc+free 16..1024 B, %s, 1 thread, vs mimalloc", pat_name[pat]);
                bench_row_cases(row, &cases[1], &cases[mi_case], "", "<= 1.30");
            }
            memcpy(threads == 1 ? mk_1t[pat] : mk_2t[pat], cases[1].v, sizeof cases[1].v);
            nrep[pat] = cases[1].n;
        }
    for (int pat = 0; pat < 2; pat++) {
        /* throughput speedup per rep pair (interleaved runs of the same rep) */
        double s[BENCH_MAX_REPS];
        for (int i = 0; i < nrep[pat]; i++)
            s[i] = 2.0 * mk_1t[pat][i] / mk_2t[pat][i];
        double m1 = bench_median_of(mk_1t[pat], nrep[pat]), m2 = bench_median_of(mk_2t[pat], nrep[pat]);
        bench_case sc = {"", NULL, NULL, nrep[pat], {0}};
        memcpy(sc.v, s, sizeof s);
        double lo, hi;
        bench_minmax(&sc, &lo, &hi);
        char row[128], base[64];
        snprintf(row, sizeof row, "pool 1 -> 2 threads throughput, %s (speedup)", pat_name[pat]);
        snprintf(base, sizeof base, "1 thread %.1f ns, 2 threads %.1f ns", m1, m2);
        bench_row(row, 2.0 * m1 / m2, 2.0 * m1 / m2, 2.0 * m1 / m2, base, 2.0, "-", 2.0 * m1 / m2, ">= 1.80");
    }

    /* zeroing: ExAllocatePool2 without POOL_FLAG_UNINITIALIZED against
     * malloc + memset + free of the same sizes, each block freed at once */
    {
        alloc_api za[2] = {{"malloc+memset+free", libc_alloc_zero, libc_release},
                           {"mdlkit ExAllocatePool2 zeroing", mk_alloc_zero, mk_release}};
        run zr[2];
        bench_case zc[2];
        for (int i = 0; i < 2; i++) {
            zr[i] = (run){&za[i], PAT_ONCE, 1, ROUNDS};
            zc[i] = (bench_case){za[i].name, run_case, &zr[i], 0, {0}};
        }
        bench_interleave(zc, 2, reps);
        bench_detail(stdout, "\nzeroing alloc+free, sizes 16..1024, at once, 1 thread (ns per pair)", zc, 2);
        bench_row_cases("pool zeroing alloc+free 16..1024 B, at once, vs malloc+memset+free", &zc[1], &zc[0], "",
                        "<= 1.00");
    }

    /* lookaside */
    ExInitializeNPagedLookasideList(&la_list, NULL, NULL, 0, LA_SIZE, 'kLnB', 0);
    {
        bench_case c[2] = {{"malloc/free 256 B", la_malloc, NULL, 0, {0}},
                           {"mdlkit lookaside", la_mdlkit, NULL, 0, {0}}};
        bench_interleave(c, 2, reps);
        bench_detail(stdout, "\nlookaside allocate/free, 256 B entries, batches of 64", c, 2);
        bench_row_cases("ExAllocateFrom/ExFreeToNPagedLookasideList 256 B", &c[1], &c[0], "", "-");
    }
    ExDeleteNPagedLookasideList(&la_list);
    overhead();
    mdlkit_shutdown();

    /* verifier options, each on a fresh machine per rep */
    {
        vf_case off = {0, 400}, track = {MDLKIT_VERIFY_POOL_TRACKING, 400}, spec = {MDLKIT_VERIFY_SPECIAL_POOL, 10};
        bench_case c[3] = {{"verifier off", vf_run, &off, 0, {0}},
                           {"pool tracking (0x8)", vf_run, &track, 0, {0}},
                           {"special pool (0x1)", vf_run, &spec, 0, {0}}};
        int vreps = reps < 9 ? reps : 9;
        bench_interleave(c, 3, vreps);
        bench_detail(stdout, "\nverifier options: alloc+free 16..1024 B LIFO, fresh machine per measurement", c, 3);
        bench_row_cases("pool alloc+free with pool tracking (0x8)", &c[1], &c[0], "", "<= 1.50");
        double d = bench_median(&c[1]) - bench_median(&c[0]);
        bench_row("  pool tracking: extra ns per alloc+free (stack capture, record)", d, d, d, "verifier off",
                  bench_median(&c[0]), "-", d / bench_median(&c[0]), "-");
        bench_row_cases("pool alloc+free with special pool (0x1)", &c[2], &c[0], "", "-");
    }

    mdlkit_up(0);
    curve_outstanding();
    mdlkit_shutdown();
    curve_leak_scan();
    return 0;
}
