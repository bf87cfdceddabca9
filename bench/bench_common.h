/*
 * bench_common.h -- timing helpers shared by mdlkit's benchmarks.
 *
 * Each case is a function that does a fixed amount of work and returns the
 * time per operation in nanoseconds. bench_interleave runs all cases of one
 * row in turn, `reps` times (A B A B ...), so that drift of the machine
 * (other load, frequency changes) hits the measured code and its baseline
 * alike. A row is reported with bench_row: the medians, the spread (min..max)
 * of the mdlkit case, the ratio and the target. Rows go to stdout as
 * tab-separated "ROW" lines that scripts/run-bench.sh gathers into the one
 * table `make bench` prints; everything else a benchmark prints is detail.
 *
 * Ratio convention: for a time row, ratio = mdlkit time / baseline time
 * (1.00 = as fast as the baseline, lower is better) and the target reads
 * "<= x"; for a scaling row, ratio = throughput speedup and the target
 * reads ">= x". A row with no target in DESIGN.md has target "-".
 *
 * Cost curves are written as CSV into $MDLKIT_BENCH_OUT (default ".").
 *
 * Environment: MDLKIT_BENCH_REPS (interleaved repetitions, default per
 * benchmark), MDLKIT_BENCH_OUT (directory for CSV files).
 * Header-only: include it in one bench_*.c.
 */
#ifndef MDLKIT_BENCH_COMMON_H
#define MDLKIT_BENCH_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_MAX_REPS 64

typedef double (*bench_fn)(void *arg); /* returns ns per operation */

typedef struct bench_case {
    const char *name;
    bench_fn fn;
    void *arg;
    int n;
    double v[BENCH_MAX_REPS];
} bench_case;

static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Keeps the compiler from optimising a value away. */
static inline void bench_use(const void *p) { __asm__ volatile("" : : "r"(p) : "memory"); }

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static inline int bench_reps(int dflt)
{
    const char *e = getenv("MDLKIT_BENCH_REPS");
    int r = e ? atoi(e) : dflt;
    if (r < 1)
        r = 1;
    return r > BENCH_MAX_REPS ? BENCH_MAX_REPS : r;
}

/* Runs every case once as a warm-up, then `reps` interleaved rounds. */
static inline void bench_interleave(bench_case *c, int nc, int reps)
{
    if (reps > BENCH_MAX_REPS)
        reps = BENCH_MAX_REPS;
    for (int i = 0; i < nc; i++) {
        c[i].n = 0;
        (void)c[i].fn(c[i].arg);
    }
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < nc; i++)
            c[i].v[c[i].n++] = c[i].fn(c[i].arg);
}

static inline double bench_median_of(const double *v, int n)
{
    double s[BENCH_MAX_REPS];
    if (n <= 0)
        return 0;
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static inline double bench_median(const bench_case *c) { return bench_median_of(c->v, c->n); }

static inline void bench_minmax(const bench_case *c, double *lo, double *hi)
{
    *lo = *hi = c->n ? c->v[0] : 0;
    for (int i = 1; i < c->n; i++) {
        if (c->v[i] < *lo)
            *lo = c->v[i];
        if (c->v[i] > *hi)
            *hi = c->v[i];
    }
}

/* Prints the cases of one row as detail lines (stderr-free, human text). */
static inline void bench_detail(FILE *out, const char *title, const bench_case *c, int nc)
{
    fprintf(out, "%s\n", title);
    for (int i = 0; i < nc; i++) {
        double lo, hi;
        bench_minmax(&c[i], &lo, &hi);
        fprintf(out, "  %-34s median %10.2f ns  spread %.2f..%.2f  (%d reps)\n", c[i].name, bench_median(&c[i]), lo,
                hi, c[i].n);
    }
}

/* One line of the summary table.
 *   row:      what is measured
 *   mk:       the mdlkit case (median and spread are taken from it)
 *   base:     baseline description and its median
 *   others:   other baselines, free text ("mimalloc 9.1, jemalloc 17.0") or ""
 *   ratio:    as described at the top of this file
 *   target:   "<= 1.50", ">= 1.80" or "-" */
static inline void bench_row(const char *row, double mk_med, double mk_lo, double mk_hi, const char *base,
                             double base_med, const char *others, double ratio, const char *target)
{
    const char *met = "-";
    if (target[0] == '<' && target[1] == '=')
        met = ratio <= atof(target + 2) ? "yes" : "NO";
    else if (target[0] == '>' && target[1] == '=')
        met = ratio >= atof(target + 2) ? "yes" : "NO";
    printf("ROW\t%s\t%.2f\t%.2f\t%.2f\t%s\t%.2f\t%s\t%.2f\t%s\t%s\n", row, mk_med, mk_lo, mk_hi, base, base_med,
           others && others[0] ? others : "-", ratio, target, met);
    fflush(stdout);
}

/* Row from two cases: ratio = mk median / base median. */
static inline void bench_row_cases(const char *row, const bench_case *mk, const bench_case *base, const char *others,
                                   const char *target)
{
    double lo, hi, m = bench_median(mk), b = bench_median(base);
    bench_minmax(mk, &lo, &hi);
    bench_row(row, m, lo, hi, base->name, b, others, b > 0 ? m / b : 0, target);
}

/* Opens $MDLKIT_BENCH_OUT/<name> for writing a CSV; NULL (after a message)
 * if it cannot. */
static inline FILE *bench_csv_open(const char *name)
{
    const char *dir = getenv("MDLKIT_BENCH_OUT");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && dir[0] ? dir : ".", name);
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(stderr, "bench: cannot write %s\n", path);
    return f;
}

#endif /* MDLKIT_BENCH_COMMON_H */
