/*
 * bench_mdl.c -- MDL fast paths against their baselines, timed in the same run:
 *   1. IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl of a one-page
 *      buffer vs malloc + free of the same size (target <= 1.5x);
 *   2. MmProbeAndLockPages + MmUnlockPages of 1 MiB vs touching one byte per
 *      page of the same buffer (target <= 3x);
 *   3. mapping and unmapping a 64 KiB MDL, scattered vs contiguous frames.
 * Prints one line per measurement and the ratios. Best of 5 rounds.
 */
#include <mdlkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define BEST_OF(rounds, iters, body)                                  \
    ({                                                                \
        double best_ = 1e300;                                         \
        for (int r_ = 0; r_ < (rounds); r_++) {                       \
            double t0_ = now_ns();                                    \
            for (long i_ = 0; i_ < (iters); i_++) {                   \
                body;                                                 \
            }                                                         \
            double t_ = (now_ns() - t0_) / (double)(iters);           \
            if (t_ < best_)                                           \
                best_ = t_;                                           \
        }                                                             \
        best_;                                                        \
    })

static volatile char sink;

int main(void)
{
    mdlkit_config cfg;
    mdlkit_config_default(&cfg);
    cfg.physical_memory = (size_t)512 << 20;
    cfg.quiet = 1;
    if (mdlkit_init(&cfg))
        return 1;

    /* 1. allocate + build + free */
    const long n1 = 2000000;
    char *np = ExAllocatePoolWithTag(NonPagedPoolNx, PAGE_SIZE, 'hcnB');
    double t_malloc = BEST_OF(5, n1, {
        void *p = malloc(PAGE_SIZE);
        sink = *(volatile char *)&p;
        free(p);
    });
    double t_mdl = BEST_OF(5, n1, {
        PMDL m = IoAllocateMdl(np, PAGE_SIZE, FALSE, FALSE, NULL);
        MmBuildMdlForNonPagedPool(m);
        IoFreeMdl(m);
    });
    printf("IoAllocateMdl+MmBuildMdlForNonPagedPool+IoFreeMdl (1 page): %8.1f ns\n", t_mdl);
    printf("malloc+free (4096 bytes):                                   %8.1f ns\n", t_malloc);
    printf("  ratio %.2fx (target <= 1.5x)\n", t_mdl / t_malloc);

    /* 2. probe and lock 1 MiB */
    const size_t mib = 1 << 20;
    char *u = mdlkit_user_alloc(mib, PAGE_READWRITE);
    for (size_t o = 0; o < mib; o += PAGE_SIZE)
        u[o] = 1;
    PMDL lm = IoAllocateMdl(u, (ULONG)mib, FALSE, FALSE, NULL);
    const long n2 = 20000;
    double t_touch = BEST_OF(5, n2, {
        for (size_t o = 0; o < mib; o += PAGE_SIZE)
            sink = ((volatile char *)u)[o];
    });
    double t_lock = BEST_OF(5, n2, {
        MmProbeAndLockPages(lm, UserMode, IoWriteAccess);
        MmUnlockPages(lm);
    });
    printf("MmProbeAndLockPages+MmUnlockPages (1 MiB, 256 pages):       %8.1f ns (%.2f ns/page)\n", t_lock,
           t_lock / 256);
    printf("touch one byte per page (1 MiB):                            %8.1f ns (%.2f ns/page)\n", t_touch,
           t_touch / 256);
    printf("  ratio %.2fx (target <= 3x)\n", t_lock / t_touch);
    IoFreeMdl(lm);
    mdlkit_user_free(u);

    /* 3. map / unmap 64 KiB */
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
    PMDL scat = MmAllocatePagesForMdl(lo, hi, skip, 64 * 1024);
    PMDL cont = MmAllocatePagesForMdlEx(lo, hi, skip, 64 * 1024, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
    const long n3 = 20000;
    const ULONG prio = NormalPagePriority | MdlMappingNoExecute;
    double t_scat = BEST_OF(5, n3, {
        PVOID va = MmMapLockedPagesSpecifyCache(scat, KernelMode, MmCached, NULL, FALSE, prio);
        MmUnmapLockedPages(va, scat);
    });
    double t_cont = BEST_OF(5, n3, {
        PVOID va = MmMapLockedPagesSpecifyCache(cont, KernelMode, MmCached, NULL, FALSE, prio);
        MmUnmapLockedPages(va, cont);
    });
    printf("map+unmap 64 KiB, 16 scattered frames:                      %8.1f ns\n", t_scat);
    printf("map+unmap 64 KiB, contiguous frames (direct map):           %8.1f ns\n", t_cont);
    printf("  scattered / contiguous %.1fx\n", t_scat / t_cont);
    MmFreePagesFromMdl(scat);
    ExFreePool(scat);
    MmFreePagesFromMdl(cont);
    ExFreePool(cont);
    ExFreePoolWithTag(np, 'hcnB');
    mdlkit_shutdown();
    return 0;
}
