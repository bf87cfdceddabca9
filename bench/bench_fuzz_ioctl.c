/*
 * bench_fuzz_ioctl.c -- inputs per second of the example IOCTL fuzzer
 * (fuzz/fuzz_ioctl.c, the "mdlfill" driver of examples/ioctl) on one core,
 * beside the same harness calling the driver directly with no reset.
 *
 * The harness is fuzz_ioctl.c itself (included below: its setup, its
 * per-input function and its target; its libFuzzer entry points are not
 * called). The inputs are the fuzzer's seeds (fuzz/corpus/fuzz_ioctl), or
 * every file of the directory named by MDLKIT_BENCH_FUZZ_CORPUS (a
 * campaign's corpus), run in turn:
 *
 *  - via mdlkit_fuzz_one: what the fuzzer runs per input (restore the
 *    driver's snapshot, the input's requests through mdlkit_ioctl, the
 *    end-of-input leak check), with the target's options (Pool Tracking and
 *    DDI compliance; under ASan the redzones and poisoning);
 *  - direct: the harness's per-input function alone on the same machine
 *    (the same requests through mdlkit_ioctl, no reset, no check).
 *
 * Times are CPU time of the process per input (one core's rate, whatever
 * else the machine runs), medians of interleaved rounds.
 *
 * Issue #19's target is >= 20,000 inputs/s under ASan: build this with
 * -DMDLKIT_SANITIZE=address,undefined (and -DMDLKIT_BENCH=ON); the program
 * says whether it runs under ASan. What libFuzzer itself adds per input
 * (coverage feedback, mutation) is not in these rows: docs/performance.md
 * gives the fuzzer binary's own figures beside them.
 */
#include "../fuzz/fuzz_ioctl.c"

#include "bench_common.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define BFI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BFI_ASAN 1
#endif
#endif
#ifndef BFI_ASAN
#define BFI_ASAN 0
#endif

#define BFI_MAX_INPUTS 4096
#define BFI_MAX_SIZE 4096
#define BFI_ROUND_INPUTS 20000 /* inputs per timed round */

static struct {
    unsigned char *data;
    size_t size;
} bfi_in[BFI_MAX_INPUTS];
static int bfi_n;

static int bfi_cmp_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reads every regular file of dir (sorted by name: a fixed order). */
static int bfi_load(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char *names[BFI_MAX_INPUTS];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < BFI_MAX_INPUTS)
        if (e->d_name[0] != '.')
            names[nn++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)nn, sizeof names[0], bfi_cmp_name);
    for (int i = 0; i < nn; i++) {
        char path[4096];
        int pn = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        free(names[i]);
        if (pn < 0 || (size_t)pn >= sizeof path)
            continue; /* a path too long to open */
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        unsigned char *buf = malloc(BFI_MAX_SIZE);
        size_t got = buf ? fread(buf, 1, BFI_MAX_SIZE, f) : 0;
        fclose(f);
        if (!buf)
            continue;
        bfi_in[bfi_n].data = buf;
        bfi_in[bfi_n].size = got;
        bfi_n++;
    }
    return bfi_n ? 0 : -1;
}

/* CPU time of the process: "on one core" on a machine shared with other
 * work, where wall-clock time also counts the time spent waiting for a core
 * (the request path runs in the calling thread; the machine's own threads
 * are idle and counted too when they are not). */
static double bfi_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double bfi_via_runtime(void *arg)
{
    (void)arg;
    double t0 = bfi_cpu_ns();
    for (int i = 0; i < BFI_ROUND_INPUTS; i++)
        mdlkit_fuzz_one(bfi_in[i % bfi_n].data, bfi_in[i % bfi_n].size);
    return (bfi_cpu_ns() - t0) / BFI_ROUND_INPUTS;
}

static double bfi_direct(void *arg)
{
    (void)arg;
    double t0 = bfi_cpu_ns();
    for (int i = 0; i < BFI_ROUND_INPUTS; i++) {
        mdlkit_fuzz_data d;
        mdlkit_fuzz_data_init(&d, bfi_in[i % bfi_n].data, bfi_in[i % bfi_n].size);
        fi_input(&fi, &d);
    }
    return (bfi_cpu_ns() - t0) / BFI_ROUND_INPUTS;
}

int main(void)
{
    const char *dir = getenv("MDLKIT_BENCH_FUZZ_CORPUS");
    char seeds[4096];
    if (!dir || !*dir) {
        /* the seeds next to this source: <repo>/fuzz/corpus/fuzz_ioctl */
        snprintf(seeds, sizeof seeds, "%s", __FILE__);
        char *slash = strrchr(seeds, '/');
        if (slash)
            snprintf(slash, sizeof seeds - (size_t)(slash - seeds), "/../fuzz/corpus/fuzz_ioctl");
        else
            snprintf(seeds, sizeof seeds, "../fuzz/corpus/fuzz_ioctl");
        dir = seeds;
    }
    if (bfi_load(dir) != 0) {
        fprintf(stderr, "bench_fuzz_ioctl: no inputs in %s\n", dir);
        return 1;
    }
    unsetenv("MDLKIT_VERIFIER");
    if (mdlkit_fuzz_start(&fi_target) != 0) {
        fprintf(stderr, "bench_fuzz_ioctl: the target did not start\n");
        return 1;
    }
    printf("example IOCTL fuzzer, %d inputs from %s, %s\n", bfi_n, dir,
           BFI_ASAN ? "under ASan (redzones and poisoning on unless MDLKIT_FUZZ_ASAN=0)" : "without ASan");
    bench_case c[] = {
        {"via mdlkit_fuzz_one", bfi_via_runtime, NULL, 0, {0}},
        {"direct (no reset)", bfi_direct, NULL, 0, {0}},
    };
    bench_interleave(c, 2, bench_reps(5));
    bench_detail(stdout, "example IOCTL fuzzer, CPU time per input (ns)", c, 2);
    double lo, hi, m = bench_median(&c[0]), b = bench_median(&c[1]);
    bench_minmax(&c[0], &lo, &hi);
    char row[128];
    /* a throughput row: ratio = inputs per second through the runtime */
    snprintf(row, sizeof row, "fuzz: IOCTL fuzzer inputs/s on one core (seeds), %s (CPU us per input)",
             BFI_ASAN ? "ASan" : "no ASan");
    bench_row(row, m / 1000, lo / 1000, hi / 1000, "direct (no reset)", b / 1000, "", 1e9 / m, ">= 20000");
    printf("  inputs/s on one core (CPU time): %.0f through mdlkit_fuzz_one, %.0f direct\n", 1e9 / m, 1e9 / b);
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    printf("  %llu inputs, %llu rebuilds\n", (unsigned long long)st.inputs, (unsigned long long)st.rebuilds);
    mdlkit_fuzz_stop();
    return st.rebuilds ? 1 : 0;
}
