/*
 * bench_startup.c -- what a fresh machine costs: mdlkit_init followed by
 * mdlkit_shutdown of the default machine (issue #20), checker off and with
 * the standard verifier flags (MDLKIT_VERIFIER=standard).
 *
 * Baseline ("floor"), timed interleaved in the same process: what any
 * machine of this size must do -- create a memfd of the same size as the
 * simulated RAM, reserve the same address space (one PROT_NONE mapping of
 * the length mdlkit reserves), then unmap it and close the memfd.
 *
 * The rows are absolute (a test suite pays milliseconds, not a ratio): the
 * ratio column is the median in milliseconds, the target is the issue's
 * (<= 1 ms checker off, <= 2 ms standard); the floor's median and the
 * multiple of it are given beside.
 */
#define _GNU_SOURCE
#include <mdlkit.h>

#include "bench_common.h"
#include "mk_machine.h"

#include <sys/mman.h>
#include <unistd.h>

#define BS_ITERS 40

static size_t bs_ram;     /* bytes of simulated RAM (the memfd's size) */
static size_t bs_reserve; /* bytes of address space mdlkit reserves */

static double bs_floor(void *arg)
{
    (void)arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < BS_ITERS; i++) {
        int fd = memfd_create("bench-startup", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)bs_ram) != 0) {
            perror("bench_startup: memfd");
            exit(1);
        }
        void *p = mmap(NULL, bs_reserve, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            perror("bench_startup: mmap");
            exit(1);
        }
        bench_use(p);
        munmap(p, bs_reserve);
        close(fd);
    }
    return (bench_now_ns() - t0) / BS_ITERS;
}

static double bs_init_shutdown(void *arg)
{
    const mdlkit_config *cfg = arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < BS_ITERS; i++) {
        if (mdlkit_init(cfg) != 0) {
            fprintf(stderr, "bench_startup: mdlkit_init failed\n");
            exit(1);
        }
        mdlkit_shutdown();
    }
    return (bench_now_ns() - t0) / BS_ITERS;
}

static void bs_row(const char *label, const mdlkit_config *cfg, const char *target, int reps)
{
    char n0[96], row[160], others[96];
    snprintf(n0, sizeof n0, "mdlkit_init + mdlkit_shutdown, %s", label);
    bench_case c[] = {
        {n0, bs_init_shutdown, (void *)cfg, 0, {0}},
        {"floor: memfd + reserve + unmap/close", bs_floor, NULL, 0, {0}},
    };
    bench_interleave(c, 2, reps);
    bench_detail(stdout, "start-up of a fresh machine, per init+shutdown (ns)", c, 2);
    double lo, hi, m = bench_median(&c[0]), b = bench_median(&c[1]);
    bench_minmax(&c[0], &lo, &hi);
    snprintf(row, sizeof row, "mdlkit_init + mdlkit_shutdown, %s (ms)", label);
    snprintf(others, sizeof others, "%.1fx the floor", b > 0 ? m / b : 0);
    bench_row(row, m / 1e6, lo / 1e6, hi / 1e6, "floor: memfd + reserve (ms)", b / 1e6, others, m / 1e6, target);
    printf("  1,000 fresh machines: %.2f s (%s)\n", m * 1000 / 1e9, label);
}

int main(void)
{
    int reps = bench_reps(9);
    unsetenv("MDLKIT_VERIFIER");
    mdlkit_config off, std;
    mdlkit_config_default(&off);
    off.verifier_flags = 0;
    std = off;
    std.verifier_flags = MDLKIT_VERIFY_STANDARD;

    /* The floor's sizes are the default machine's own. */
    if (mdlkit_init(&off) != 0) {
        fprintf(stderr, "bench_startup: mdlkit_init failed\n");
        return 1;
    }
    bs_ram = mk_phys.npages << PAGE_SHIFT;
    bs_reserve = mk_as.size;
    mdlkit_shutdown();
    printf("default machine: %zu MiB of RAM, %zu MiB of address space reserved\n", bs_ram >> 20, bs_reserve >> 20);

    bs_row("checker off", &off, "<= 1.00", reps);
    bs_row("standard flags", &std, "<= 2.00", reps);
    return 0;
}
