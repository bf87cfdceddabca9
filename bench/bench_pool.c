/*
 * bench_pool.c -- ExAllocatePool2 / ExFreePool pairs against glibc malloc,
 * mimalloc and jemalloc, timed in the same run, interleaved.
 *
 * Workload: batches of 256 allocations of random sizes 16..1024 bytes (one
 * byte of each written), then the batch is freed, last-in-first-out or in
 * random order. One thread, then two threads each running the same loop
 * (throughput scaling). mimalloc (mi_malloc/mi_free) and jemalloc
 * (mallocx/dallocx) are loaded with dlopen(RTLD_LOCAL) so they do not replace
 * malloc for the program. mdlkit allocates with POOL_FLAG_UNINITIALIZED so
 * that it does the same work as malloc (no zeroing).
 *
 * Also prints the allocator's bookkeeping bytes per live small allocation.
 *
 *   cmake -S . -B build-bench -DMDLKIT_BENCH=ON -DCMAKE_BUILD_TYPE=Release
 *   cmake --build build-bench -j2 --target bench_pool && build-bench/bench/bench_pool
 */
#define _GNU_SOURCE
#include "bench_common.h"
#include "mk_pool.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

enum { BATCH = 256, NSIZES = 4096, ROUNDS = 3000 };

typedef struct alloc_api {
    const char *name;
    void *(*alloc)(size_t n);
    void (*release)(void *p);
} alloc_api;

static size_t sizes[NSIZES];
static unsigned perm[BATCH]; /* random free order */

/* ---- allocators ---- */
static void *mk_alloc(size_t n) { return ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, n, 'hcnB'); }
static void mk_release(void *p) { ExFreePool(p); }
static void *libc_alloc(size_t n) { return malloc(n); }
static void libc_release(void *p) { free(p); }

static void *(*mi_malloc_p)(size_t);
static void (*mi_free_p)(void *);
static void *mi_alloc(size_t n) { return mi_malloc_p(n); }
static void mi_release(void *p) { mi_free_p(p); }


/* ---- one thread's loop: ns per alloc+free pair ---- */
typedef struct run {
    const alloc_api *api;
    int random_order;
    int threads;
} run;

static void loop(const alloc_api *api, int random_order, unsigned salt)
{
    void *v[BATCH];
    unsigned k = salt;
    for (int r = 0; r < ROUNDS; r++) {
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
} targ;

static void *thread_main(void *a)
{
    targ *t = a;
    pthread_barrier_wait(t->bar);
    loop(t->r->api, t->r->random_order, t->salt);
    pthread_barrier_wait(t->bar);
    return NULL;
}

/* Returns ns per pair per thread (wall time / pairs done by one thread). */
static double run_child(const run *r)
{
#ifdef MDLKIT_JEMALLOC_PATH
    char cmd[512];
    snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s /proc/%d/exe --child %d %d", MDLKIT_JEMALLOC_PATH, (int)getpid(),
             r->random_order, r->threads);
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

static double run_case(void *arg)
{
    const run *r = arg;
    if (!r->api->alloc)
        return run_child(r);
    double pairs = (double)ROUNDS * BATCH;
    if (r->threads == 1) {
        double t0 = bench_now_ns();
        loop(r->api, r->random_order, 7);
        return (bench_now_ns() - t0) / pairs;
    }
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)r->threads + 1);
    pthread_t th[8];
    targ ta[8];
    for (int i = 0; i < r->threads; i++) {
        ta[i] = (targ){r, 7u + 1000u * (unsigned)i, &bar};
        pthread_create(&th[i], NULL, thread_main, &ta[i]);
    }
    pthread_barrier_wait(&bar);
    double t0 = bench_now_ns();
    pthread_barrier_wait(&bar);
    double t1 = bench_now_ns();
    for (int i = 0; i < r->threads; i++)
        pthread_join(th[i], NULL);
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

/* --child <random_order> <threads>: one measurement of malloc/free (which
 * LD_PRELOAD made jemalloc), after a warm-up; prints ns per pair. */
static int child_main(int random_order, int threads)
{
    make_workload();
    alloc_api api = {"child malloc", libc_alloc, libc_release};
    run r = {&api, random_order, threads};
    (void)run_case(&r);
    printf("%.4f\n", run_case(&r));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--child") == 0)
        return child_main(atoi(argv[2]), atoi(argv[3]));
    int reps = argc > 1 ? atoi(argv[1]) : 9;
    mdlkit_config cfg;
    mdlkit_config_default(&cfg);
    cfg.quiet = 1;
    if (mdlkit_init(&cfg)) {
        fprintf(stderr, "bench_pool: mdlkit_init failed\n");
        return 1;
    }
    make_workload();

    alloc_api apis[4];
    int napi = 0;
    apis[napi++] = (alloc_api){"glibc malloc/free", libc_alloc, libc_release};
    apis[napi++] = (alloc_api){"mdlkit ExAllocatePool2", mk_alloc, mk_release};
#ifdef MDLKIT_MIMALLOC_PATH
    void *mi = dlopen(MDLKIT_MIMALLOC_PATH, RTLD_NOW | RTLD_LOCAL);
    if (mi && (mi_malloc_p = (void *(*)(size_t))dlsym(mi, "mi_malloc")) && (mi_free_p = (void (*)(void *))dlsym(mi, "mi_free")))
        apis[napi++] = (alloc_api){"mimalloc mi_malloc/mi_free", mi_alloc, mi_release};
    else
        fprintf(stderr, "bench_pool: mimalloc not usable: %s\n", dlerror());
#endif
#ifdef MDLKIT_JEMALLOC_PATH
    /* jemalloc's TLS model forbids dlopen: it runs in a child process with
     * LD_PRELOAD, where it is malloc/free (see child_main). */
    apis[napi++] = (alloc_api){"jemalloc (child process)", NULL, NULL};
#endif
    static const char *order_name[2] = {"LIFO frees", "random-order frees"};
    double mk_1t[2] = {0, 0}, mk_2t[2] = {0, 0};
    for (int threads = 1; threads <= 2; threads++)
        for (int order = 0; order < 2; order++) {
            run runs[4];
            bench_case cases[4];
            char names[4][64];
            for (int i = 0; i < napi; i++) {
                runs[i] = (run){&apis[i], order, threads};
                snprintf(names[i], sizeof names[i], "%s", apis[i].name);
                cases[i] = (bench_case){names[i], run_case, &runs[i], 0, {0}};
            }
            bench_interleave(cases, napi, reps);
            char title[160];
            snprintf(title, sizeof title,
                     "\nalloc+free pairs, sizes 16..1024, %s, %d thread%s (ns per pair per thread, %d reps)",
                     order_name[order], threads, threads > 1 ? "s" : "", reps);
            bench_report(stdout, title, cases, napi, 0);
            double m = bench_median(&cases[1]);
            if (threads == 1)
                mk_1t[order] = m;
            else
                mk_2t[order] = m;
        }
    printf("\nmdlkit scaling, 1 -> 2 threads (throughput ratio; 2.00 = linear):\n");
    for (int order = 0; order < 2; order++)
        printf("  %-20s %.2fx\n", order_name[order], 2.0 * mk_1t[order] / mk_2t[order]);
    printf("\n");
    overhead();
    mdlkit_shutdown();
    return 0;
}
