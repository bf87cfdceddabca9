/*
 * bench_common.h -- a small timing helper for mdlkit's benchmarks.
 *
 * Each case is a function that does a fixed amount of work and returns the
 * time per operation in nanoseconds. bench_interleave runs all cases in
 * turn, `reps` times (A B C A B C ...), so that drift of the machine (other
 * load, frequency changes) hits every case alike; bench_report prints the
 * median and the spread (min..max) of each case and its ratio to a baseline
 * case. Header-only: include it in one bench_*.c.
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

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
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

static inline double bench_median(const bench_case *c)
{
    double s[BENCH_MAX_REPS];
    memcpy(s, c->v, (size_t)c->n * sizeof(double));
    qsort(s, (size_t)c->n, sizeof(double), bench_cmp_double);
    return c->n % 2 ? s[c->n / 2] : (s[c->n / 2 - 1] + s[c->n / 2]) / 2;
}

static inline void bench_minmax(const bench_case *c, double *lo, double *hi)
{
    *lo = *hi = c->v[0];
    for (int i = 1; i < c->n; i++) {
        if (c->v[i] < *lo)
            *lo = c->v[i];
        if (c->v[i] > *hi)
            *hi = c->v[i];
    }
}

/* Prints one line per case: median ns/op, spread, and the ratio
 * baseline_median / case_median (above 1 = faster than the baseline). */
static inline void bench_report(FILE *out, const char *title, const bench_case *c, int nc, int baseline)
{
    double base = bench_median(&c[baseline]);
    fprintf(out, "%s\n", title);
    fprintf(out, "  %-28s %10s %21s %12s\n", "case", "ns/op", "spread (min..max)", "speed vs base");
    for (int i = 0; i < nc; i++) {
        double m = bench_median(&c[i]), lo, hi;
        bench_minmax(&c[i], &lo, &hi);
        fprintf(out, "  %-28s %10.2f %10.2f..%-10.2f %11.2fx%s\n", c[i].name, m, lo, hi, base / m,
                i == baseline ? "  (base)" : "");
    }
}

#endif /* MDLKIT_BENCH_COMMON_H */
