/*
 * bench_verifier.c -- what the verifier options cost on the fast paths.
 *
 * Cases (each on a fresh machine with the given verifier flags, timed
 * outside mdlkit_init): small pool alloc/free (64 B, ExAllocatePoolWithTag
 * + ExFreePoolWithTag) and IoAllocateMdl + MmBuildMdlForNonPagedPool +
 * IoFreeMdl of a one-page buffer, with the checker off, with Pool Tracking
 * alone (and the pool case again as a loaded driver's code, whose exact
 * per-driver counts Pool Tracking then keeps), and with Special Pool; plus the cost of one mk_capture_stack of 8
 * frames (what tracking pays per allocation for the allocating stack).
 *
 *   cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DMDLKIT_BENCH=ON && cmake --build build-rel -j2
 *   ./build-rel/bench/bench_verifier [reps]   (default: $MDLKIT_BENCH_REPS, else 9)
 */
#include <mdlkit.h>

#include "bench_common.h"
#include "mk_base.h"
#include "mk_driver.h"

#define TAG 'hcnB'

typedef struct vb_arg {
    ULONG flags;
    int kind; /* 0 pool, 1 mdl, 2 pool from a loaded driver's code (per-driver counts) */
    int iters;
} vb_arg;

static char *vb_buf;

static NTSTATUS vb_entry(PDRIVER_OBJECT d, PUNICODE_STRING r)
{
    (void)d;
    (void)r;
    return STATUS_SUCCESS;
}

static int vb_init(ULONG flags)
{
    mdlkit_config c;
    mdlkit_config_default(&c);
    c.physical_memory = (size_t)256 << 20;
    c.verifier_flags = flags;
    c.report_path = NULL;
    c.quiet = 1;
    return mdlkit_init(&c);
}

static double vb_case(void *argp)
{
    vb_arg *a = argp;
    if (vb_init(a->flags) != 0) {
        fprintf(stderr, "mdlkit_init failed\n");
        exit(1);
    }
    void *batch[64];
    double t0 = 0, t1 = 0;
    PDRIVER_OBJECT drv = NULL;
    mk_driver *old = NULL;
    if (a->kind == 2) {
        /* the loop runs as the driver's code: its blocks are charged to it */
        if (mdlkit_driver_load("benchdrv", vb_entry, &drv) != STATUS_SUCCESS) {
            fprintf(stderr, "mdlkit_driver_load failed\n");
            exit(1);
        }
        old = mk_driver_enter(mk_driver_from_object(drv));
    }
    if (a->kind == 0 || a->kind == 2) {
        t0 = bench_now_ns();
        for (int i = 0; i < a->iters; i += 64) {
            for (int k = 0; k < 64; k++) {
                batch[k] = ExAllocatePoolWithTag(NonPagedPoolNx, 64, TAG);
                *(volatile char *)batch[k] = 1;
            }
            for (int k = 0; k < 64; k++)
                ExFreePoolWithTag(batch[k], TAG);
        }
        t1 = bench_now_ns();
    } else {
        vb_buf = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, TAG);
        t0 = bench_now_ns();
        for (int i = 0; i < a->iters; i++) {
            PMDL m = IoAllocateMdl(vb_buf, PAGE_SIZE, FALSE, FALSE, NULL);
            MmBuildMdlForNonPagedPool(m);
            IoFreeMdl(m);
        }
        t1 = bench_now_ns();
        ExFreePoolWithTag(vb_buf, TAG);
    }
    if (drv) {
        mk_driver_leave(old);
        (void)mdlkit_driver_unload(drv);
    }
    mdlkit_shutdown();
    return (t1 - t0) / a->iters;
}

static __attribute__((noinline)) double vb_stack(void *argp)
{
    (void)argp;
    void *pcs[8];
    volatile int sink = 0;
    const int n = 1000000;
    double t0 = bench_now_ns();
    for (int i = 0; i < n; i++)
        sink += mk_capture_stack(pcs, 8, 1);
    double t1 = bench_now_ns();
    (void)sink;
    return (t1 - t0) / n;
}

/* `bench_verifier --one pool|mdl|driver FLAGS ITERS`: one case, once, for an
 * instruction count (valgrind --tool=callgrind; the difference of two
 * ITERS values is the cost of ITERS pairs without start-up). */
static int vb_one(char **argv)
{
    vb_arg a = {(ULONG)strtoul(argv[3], NULL, 0), !strcmp(argv[2], "mdl") ? 1 : !strcmp(argv[2], "driver") ? 2 : 0,
                atoi(argv[4])};
    printf("%.2f ns\n", vb_case(&a));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "--one") == 0)
        return vb_one(argv);
    int reps = argc > 1 ? atoi(argv[1]) : bench_reps(9);
    vb_arg pool_off = {0, 0, 1 << 20}, pool_trk = {MDLKIT_VERIFY_POOL_TRACKING, 0, 1 << 20},
           pool_sp = {MDLKIT_VERIFY_SPECIAL_POOL, 0, 1 << 13};
    vb_arg mdl_off = {0, 1, 1 << 20}, mdl_trk = {MDLKIT_VERIFY_POOL_TRACKING, 1, 1 << 20},
           mdl_sp = {MDLKIT_VERIFY_SPECIAL_POOL, 1, 1 << 13};
    /* 0x20000 alone: the pool's verifier hooks run (counters, no tracking),
     * so "tracking - hooks" is what the tracking records themselves cost. */
    vb_arg pool_hk = {MDLKIT_VERIFY_DDI_COMPLIANCE, 0, 1 << 20};
    /* the same loop as a loaded driver's code: Pool Tracking also keeps
     * that driver's exact counts (two atomic adds per allocation and free) */
    vb_arg pool_drv = {MDLKIT_VERIFY_POOL_TRACKING, 2, 1 << 20};
    bench_case pc[] = {
        {"pool 64B, checker off", vb_case, &pool_off, 0, {0}},
        {"pool 64B, pool tracking", vb_case, &pool_trk, 0, {0}},
        {"pool 64B, special pool", vb_case, &pool_sp, 0, {0}},
        {"pool 64B, hooks only (0x20000)", vb_case, &pool_hk, 0, {0}},
        {"pool 64B, pool tracking, as a driver's code", vb_case, &pool_drv, 0, {0}},
    };
    bench_case mc[] = {
        {"MDL 1 page, checker off", vb_case, &mdl_off, 0, {0}},
        {"MDL 1 page, pool tracking", vb_case, &mdl_trk, 0, {0}},
        {"MDL 1 page, special pool", vb_case, &mdl_sp, 0, {0}},
    };
    bench_interleave(pc, 5, reps);
    bench_interleave(mc, 3, reps);
    bench_detail(stdout, "small pool alloc+free (verifier options)", pc, 5);
    bench_detail(stdout, "IoAllocateMdl+MmBuildMdlForNonPagedPool+IoFreeMdl (verifier options)", mc, 3);
    bench_row_cases("verifier: pool 64B alloc+free, pool tracking vs off", &pc[1], &pc[0], "", "<= 1.30");
    bench_row_cases("verifier: IoAllocateMdl+Build+IoFreeMdl, pool tracking vs off", &mc[1], &mc[0], "", "<= 1.30");
    bench_row_cases("verifier: pool 64B alloc+free as a driver's code, pool tracking vs off", &pc[4], &pc[0], "",
                    "-");
    if (vb_init(0) == 0) {
        bench_case sc[] = {{"mk_capture_stack, 8 frames", vb_stack, NULL, 0, {0}}};
        bench_interleave(sc, 1, reps);
        bench_detail(stdout, "allocating-stack capture", sc, 1);
        mdlkit_shutdown();
    }
    return 0;
}
