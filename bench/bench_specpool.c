/*
 * bench_specpool.c -- the special pool rows of `make bench` (issue #20).
 *
 * Rows, each interleaved in this process with its baselines:
 *   - special pool (Driver Verifier 0x1) ExAllocatePoolWithTag +
 *     ExFreePoolWithTag of 64 bytes, one byte written, against one
 *     protection flip pair: on one page, mprotect PROT_NONE, mprotect
 *     read-write, one write;
 *   - the same for a 4000-byte block.
 * Two flip pairs are measured: on a one-page private anonymous mapping and
 * on a one-page MAP_SHARED mapping of a memfd (the kind of page special pool
 * hands out: a frame of the simulated RAM). The ratio is taken against the
 * faster of the two medians -- the floor -- so it never flatters.
 * Target: <= 1.00 (at most one flip pair per allocation, amortised).
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID: user + system)
 * per pair: nearly all of both cases is system calls, and on the shared
 * 2-vCPU machine the wall clock mostly measures waiting for a CPU. The wall
 * clock medians are printed as detail too.
 *
 * Usage: bench_specpool [reps]   (MDLKIT_BENCH_REPS works too)
 */
#define _GNU_SOURCE
#include "bench_common.h"
#include "mk_machine.h"
#include "mk_pool.h"

#include <sys/mman.h>
#include <unistd.h>

enum { PAIRS = 1000, WARM = 8192 };

#define TAG 'bpSB'

typedef struct arg {
    char *page;  /* flip pair: the page */
    size_t size; /* special pool: the block size */
    int n;
    double wall[BENCH_MAX_REPS + 1];
} arg;

static double cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Records the wall time of a run (the first, the warm-up, is dropped). */
static void note_wall(arg *a, double w0)
{
    double w = (bench_now_ns() - w0) / PAIRS;
    if (a->n <= BENCH_MAX_REPS)
        a->wall[a->n++] = w;
}

static double wall_median(const arg *a) { return a->n > 1 ? bench_median_of(a->wall + 1, a->n - 1) : 0; }

static double flip_case(void *v)
{
    arg *a = v;
    volatile char *p = a->page;
    double w0 = bench_now_ns(), t0 = cpu_now_ns();
    for (int i = 0; i < PAIRS; i++) {
        mprotect((void *)p, 4096, PROT_NONE);
        mprotect((void *)p, 4096, PROT_READ | PROT_WRITE);
        p[i & 4095] = (char)i;
    }
    double t = (cpu_now_ns() - t0) / PAIRS;
    note_wall(a, w0);
    return t;
}

static int in_special(const void *p)
{
    return (const char *)p >= mk_as.rgn_base[MK_RGN_SPECIAL] && (const char *)p < mk_as.rgn_end[MK_RGN_SPECIAL];
}

static double sp_case(void *v)
{
    arg *a = v;
    size_t n = a->size;
    double w0 = bench_now_ns(), t0 = cpu_now_ns();
    for (int i = 0; i < PAIRS; i++) {
        volatile char *p = ExAllocatePoolWithTag(NonPagedPoolNx, n, TAG);
        if (!p || !in_special((const void *)p)) {
            fprintf(stderr, "bench_specpool: allocation %d of %zu bytes is not special pool\n", i, n);
            exit(1);
        }
        p[0] = (char)i;
        ExFreePoolWithTag((void *)p, TAG);
    }
    double t = (cpu_now_ns() - t0) / PAIRS;
    note_wall(a, w0);
    return t;
}

static void row(const char *name, bench_case *c)
{
    /* c[0] special pool, c[1] anonymous flip pair, c[2] memfd flip pair */
    const bench_case *base = bench_median(&c[1]) <= bench_median(&c[2]) ? &c[1] : &c[2];
    char others[128];
    snprintf(others, sizeof others, "%s %.0f", base == &c[1] ? c[2].name : c[1].name,
             bench_median(base == &c[1] ? &c[2] : &c[1]));
    bench_row_cases(name, &c[0], base, others, "<= 1.00");
    printf("  wall clock medians: %s %.0f, %s %.0f, %s %.0f ns\n", c[0].name, wall_median(c[0].arg), c[1].name,
           wall_median(c[1].arg), c[2].name, wall_median(c[2].arg));
}

int main(int argc, char **argv)
{
    int reps = bench_reps(argc > 1 ? atoi(argv[1]) : 15);
    mdlkit_config cfg;
    mdlkit_config_default(&cfg);
    cfg.quiet = 1;
    cfg.report_path = NULL;
    cfg.verifier_flags = MDLKIT_VERIFY_SPECIAL_POOL;
    if (mdlkit_init(&cfg)) {
        fprintf(stderr, "bench_specpool: mdlkit_init failed\n");
        return 1;
    }
    static arg anon, shm, sp64 = {.size = 64}, sp4000 = {.size = 4000};
    anon.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int fd = memfd_create("bench-flip", MFD_CLOEXEC);
    if (anon.page == MAP_FAILED || fd < 0 || ftruncate(fd, 4096) != 0) {
        fprintf(stderr, "bench_specpool: cannot set up the baseline pages\n");
        return 1;
    }
    shm.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (shm.page == MAP_FAILED) {
        fprintf(stderr, "bench_specpool: cannot map the memfd page\n");
        return 1;
    }
    anon.page[0] = shm.page[0] = 1;

    /* Past special pool's start-up: every slot it keeps in rotation used once. */
    for (int i = 0; i < WARM; i++)
        ExFreePoolWithTag(ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG), TAG);

    bench_case c[3] = {{"special pool 64 B", sp_case, &sp64, 0, {0}},
                       {"flip pair (anonymous page)", flip_case, &anon, 0, {0}},
                       {"flip pair (memfd page)", flip_case, &shm, 0, {0}}};
    bench_interleave(c, 3, reps);
    bench_detail(stdout, "special pool alloc+free (64 B) vs one protection flip pair, CPU ns per pair", c, 3);
    row("special pool alloc+free (64 B)", c);

    anon.n = shm.n = 0;
    bench_case d[3] = {{"special pool 4000 B", sp_case, &sp4000, 0, {0}},
                       {"flip pair (anonymous page)", flip_case, &anon, 0, {0}},
                       {"flip pair (memfd page)", flip_case, &shm, 0, {0}}};
    bench_interleave(d, 3, reps);
    bench_detail(stdout, "special pool alloc+free (4000 B) vs one protection flip pair, CPU ns per pair", d, 3);
    row("special pool alloc+free (4000 B)", d);

    munmap(anon.page, 4096);
    munmap(shm.page, 4096);
    close(fd);
    mdlkit_shutdown();
    return 0;
}
