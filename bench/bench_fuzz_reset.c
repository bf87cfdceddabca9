/*
 * bench_fuzz_reset.c -- the per-input cost of the driver-fuzzing runtime
 * (include/mdlkit_fuzz.h, docs/fuzzing.md), on the example WDM driver
 * (examples/ioctl, "mdlfill") and its device-control path.
 *
 *  - reset: mdlkit_fuzz_one on an empty input (restore the driver's
 *    snapshot, run nothing, check the machine's fingerprint), checker off
 *    and with Pool Tracking. Targets (issue #19): <= 20 us and <= 100 us.
 *  - IOCTL input: one 256-byte METHOD_OUT_DIRECT fill and one 256-byte
 *    METHOD_NEITHER checksum through mdlkit_ioctl, per input through
 *    mdlkit_fuzz_one, beside the same harness calling the driver directly
 *    with no reset (the baseline); the rows give inputs per second.
 *
 * The machine is the runtime's own (started by mdlkit_fuzz_start).
 */
#include <mdlkit.h>

#include "bench_common.h"
#include "../examples/ioctl/ioctl.h"

DRIVER_INITIALIZE MdlFillDriverEntry; /* examples/ioctl/ioctl.c (mdlkit_examples) */

#define BF_ITERS 20000

static HANDLE bf_h;
static PUCHAR bf_user;

static int bf_setup(PDRIVER_OBJECT driver, void **ctx)
{
    (void)ctx;
    bf_h = mdlkit_fuzz_open_device(driver->DeviceObject);
    bf_user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    return bf_h && bf_user && mdlkit_fuzz_snapshot_devices(driver) == 1 ? 0 : -1;
}

static void bf_teardown(PDRIVER_OBJECT driver, void *ctx)
{
    (void)driver;
    (void)ctx;
    mdlkit_close(bf_h);
    mdlkit_user_free(bf_user);
}

/* The harness's work for one input: a fill and a checksum. */
static void bf_requests(ULONG seed)
{
    MDLFILL_REQUEST req = {seed, 0};
    ULONG_PTR info;
    (void)mdlkit_ioctl(bf_h, IOCTL_MDLFILL_FILL, &req, sizeof req, bf_user, 256, &info);
    (void)mdlkit_ioctl(bf_h, IOCTL_MDLFILL_CHECKSUM, bf_user + PAGE_SIZE, 256, NULL, 0, &info);
}

static void bf_input(void *ctx, mdlkit_fuzz_data *in)
{
    (void)ctx;
    if (mdlkit_fuzz_remaining(in))
        bf_requests(mdlkit_fuzz_u32(in));
}

static mdlkit_fuzz_target bf_target = {
    .driver_name = "mdlfill",
    .driver_entry = MdlFillDriverEntry,
    .setup = bf_setup,
    .input = bf_input,
    .teardown = bf_teardown,
};

static double bf_reset(void *arg)
{
    (void)arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < BF_ITERS; i++)
        mdlkit_fuzz_one(NULL, 0);
    return (bench_now_ns() - t0) / BF_ITERS;
}

static double bf_fuzz_input(void *arg)
{
    (void)arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < BF_ITERS / 4; i++) {
        ULONG seed = (ULONG)i;
        mdlkit_fuzz_one(&seed, sizeof seed);
    }
    return (bench_now_ns() - t0) / (BF_ITERS / 4);
}

static double bf_direct(void *arg)
{
    (void)arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < BF_ITERS / 4; i++)
        bf_requests((ULONG)i);
    return (bench_now_ns() - t0) / (BF_ITERS / 4);
}

static int bf_run(ULONG flags, const char *label, const char *reset_target, int reps)
{
    bf_target.verifier_flags = flags;
    unsetenv("MDLKIT_VERIFIER");
    if (mdlkit_fuzz_start(&bf_target) != 0) {
        fprintf(stderr, "bench_fuzz_reset: the target did not start\n");
        return -1;
    }
    char n0[96], n1[96], n2[96], row[160];
    snprintf(n0, sizeof n0, "reset (empty input), %s", label);
    snprintf(n1, sizeof n1, "IOCTL input via mdlkit_fuzz_one, %s", label);
    snprintf(n2, sizeof n2, "IOCTL input, direct (no reset), %s", label);
    bench_case c[] = {
        {n0, bf_reset, NULL, 0, {0}},
        {n1, bf_fuzz_input, NULL, 0, {0}},
        {n2, bf_direct, NULL, 0, {0}},
    };
    bench_interleave(c, 3, reps);
    bench_detail(stdout, "driver-fuzzing runtime, per input (ns)", c, 3);
    double lo, hi;
    bench_minmax(&c[0], &lo, &hi);
    snprintf(row, sizeof row, "fuzz: per-input reset, %s (us)", label);
    /* The reset row is absolute (no baseline): ratio = microseconds. */
    bench_row(row, bench_median(&c[0]) / 1000, lo / 1000, hi / 1000, "-", 0, "", bench_median(&c[0]) / 1000,
              reset_target);
    snprintf(row, sizeof row, "fuzz: IOCTL input with reset vs direct, %s", label);
    bench_row_cases(row, &c[1], &c[2], "", "-");
    printf("  inputs/s: %.0f through mdlkit_fuzz_one, %.0f direct (%s)\n", 1e9 / bench_median(&c[1]),
           1e9 / bench_median(&c[2]), label);
    mdlkit_fuzz_stats st;
    mdlkit_fuzz_get_stats(&st);
    printf("  %llu inputs, %llu rebuilds, %llu snapshot bytes per input\n", (unsigned long long)st.inputs,
           (unsigned long long)st.rebuilds, (unsigned long long)st.snapshot_bytes);
    mdlkit_fuzz_stop();
    return st.rebuilds ? -1 : 0;
}

int main(void)
{
    int reps = bench_reps(5);
    int rc = bf_run(0, "checker off", "<= 20", reps);
    rc |= bf_run(MDLKIT_VERIFY_POOL_TRACKING, "pool tracking", "<= 100", reps);
    return rc ? 1 : 0;
}
