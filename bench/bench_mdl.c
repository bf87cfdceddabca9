/*
 * bench_mdl.c -- the MDL rows of `make bench` and the MDL cost curves.
 *
 * Rows (each mdlkit case interleaved with its baseline in this process):
 *   - IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl, 1 and 16 pages,
 *     against malloc + free of the same bytes (target <= 1.5x for 1 page);
 *   - MmProbeAndLockPages + MmUnlockPages of 4 KiB, 1 MiB and 64 MiB user
 *     buffers, against touching one byte per page of the same buffer
 *     (target <= 3x);
 *   - MmGetSystemAddressForMdlSafe + MmUnmapLockedPages of 64 KiB, scattered
 *     and physically contiguous frames, against one mmap + munmap of the
 *     same 64 KiB of a memfd (MAP_SHARED);
 *   - IoBuildPartialMdl of 16 pages + MmPrepareMdlForReuse, against copying
 *     the same 16 PFNs.
 * Curves (CSV in $MDLKIT_BENCH_OUT): mdl_size.csv, ns per page of probe and
 * lock (+unlock), of IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl,
 * and of touching a byte per page, for buffers of 4 KiB .. 64 MiB.
 *
 * Usage: bench_mdl [reps]
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include <mdlkit.h>
#include <wdm.h>

#include <sys/mman.h>
#include <unistd.h>

static volatile char sink;

/* ---- allocate + build + free ---- */
typedef struct build_arg {
    char *buf;
    size_t bytes;
    long iters;
} build_arg;

static double build_mdlkit(void *a)
{
    build_arg *b = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < b->iters; i++) {
        PMDL m = IoAllocateMdl(b->buf, (ULONG)b->bytes, FALSE, FALSE, NULL);
        MmBuildMdlForNonPagedPool(m);
        IoFreeMdl(m);
    }
    return (bench_now_ns() - t0) / (double)b->iters;
}

static double build_malloc(void *a)
{
    build_arg *b = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < b->iters; i++) {
        void *p = malloc(b->bytes);
        bench_use(p);
        free(p);
    }
    return (bench_now_ns() - t0) / (double)b->iters;
}

/* ---- probe and lock ---- */
typedef struct lock_arg {
    char *buf;
    size_t bytes;
    PMDL mdl;
    long iters;
} lock_arg;

static double lock_mdlkit(void *a)
{
    lock_arg *l = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < l->iters; i++) {
        MmProbeAndLockPages(l->mdl, UserMode, IoWriteAccess);
        MmUnlockPages(l->mdl);
    }
    return (bench_now_ns() - t0) / (double)l->iters;
}

static double lock_touch(void *a)
{
    lock_arg *l = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < l->iters; i++)
        for (size_t o = 0; o < l->bytes; o += PAGE_SIZE)
            sink = ((volatile char *)l->buf)[o];
    return (bench_now_ns() - t0) / (double)l->iters;
}

/* ---- map + unmap ---- */
typedef struct map_arg {
    PMDL mdl;
    int fd;
    long iters;
} map_arg;

static double map_mdlkit(void *a)
{
    map_arg *m = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < m->iters; i++) {
        PVOID va = MmGetSystemAddressForMdlSafe(m->mdl, NormalPagePriority | MdlMappingNoExecute);
        bench_use(va);
        MmUnmapLockedPages(va, m->mdl);
    }
    return (bench_now_ns() - t0) / (double)m->iters;
}

static double map_mmap(void *a)
{
    map_arg *m = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < m->iters; i++) {
        void *va = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
        bench_use(va);
        munmap(va, 64 * 1024);
    }
    return (bench_now_ns() - t0) / (double)m->iters;
}

/* ---- partial MDL ---- */
typedef struct partial_arg {
    PMDL src, dst;
    char *va;
    long iters;
} partial_arg;

static double partial_mdlkit(void *a)
{
    partial_arg *p = a;
    double t0 = bench_now_ns();
    for (long i = 0; i < p->iters; i++) {
        IoBuildPartialMdl(p->src, p->dst, p->va + PAGE_SIZE, 16 * PAGE_SIZE);
        MmPrepareMdlForReuse(p->dst);
    }
    return (bench_now_ns() - t0) / (double)p->iters;
}

static double partial_copy(void *a)
{
    partial_arg *p = a;
    PPFN_NUMBER s = MmGetMdlPfnArray(p->src), d = MmGetMdlPfnArray(p->dst);
    double t0 = bench_now_ns();
    for (long i = 0; i < p->iters; i++) {
        bench_use(s);
        memcpy(d, s + 1, 16 * sizeof(PFN_NUMBER));
        bench_use(d);
    }
    return (bench_now_ns() - t0) / (double)p->iters;
}

static long iters_for(size_t bytes, long per_page_budget)
{
    long it = per_page_budget / (long)(bytes / PAGE_SIZE ? bytes / PAGE_SIZE : 1);
    return it < 3 ? 3 : it;
}

static void curve_sizes(void)
{
    FILE *f = bench_csv_open("mdl_size.csv");
    if (!f)
        return;
    fprintf(f, "bytes,pages,probe_lock_unlock_ns_per_page,alloc_build_free_ns_per_page,touch_ns_per_page\n");
    printf("\ncurve: ns per page as the buffer grows (median of 3)\n");
    const size_t max = (size_t)64 << 20;
    char *u = mdlkit_user_alloc(max, PAGE_READWRITE);
    char *np = ExAllocatePool2(POOL_FLAG_NON_PAGED, max, 'vrCB');
    if (!u || !np) {
        fprintf(stderr, "bench_mdl: cannot allocate 64 MiB buffers for the curve\n");
        fclose(f);
        return;
    }
    for (size_t o = 0; o < max; o += PAGE_SIZE)
        u[o] = 1;
    for (size_t bytes = PAGE_SIZE; bytes <= max; bytes *= 2) {
        size_t pages = bytes / PAGE_SIZE;
        long it = iters_for(bytes, 1 << 19);
        PMDL lm = IoAllocateMdl(u, (ULONG)bytes, FALSE, FALSE, NULL);
        lock_arg la = {u, bytes, lm, it};
        build_arg ba = {np, bytes, it};
        double l[3], b[3], t[3];
        for (int r = 0; r < 3; r++) {
            l[r] = lock_mdlkit(&la) / (double)pages;
            b[r] = build_mdlkit(&ba) / (double)pages;
            t[r] = lock_touch(&la) / (double)pages;
        }
        IoFreeMdl(lm);
        double ml = bench_median_of(l, 3), mb = bench_median_of(b, 3), mt = bench_median_of(t, 3);
        fprintf(f, "%zu,%zu,%.3f,%.3f,%.3f\n", bytes, pages, ml, mb, mt);
        printf("  %9zu B  probe+lock+unlock %7.2f  alloc+build+free %7.2f  touch %6.2f ns/page\n", bytes, ml, mb, mt);
    }
    ExFreePool(np);
    mdlkit_user_free(u);
    fclose(f);
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : bench_reps(9);
    mdlkit_config cfg;
    mdlkit_config_default(&cfg);
    cfg.physical_memory = (size_t)1 << 30;
    cfg.quiet = 1;
    if (mdlkit_init(&cfg)) {
        fprintf(stderr, "bench_mdl: mdlkit_init failed\n");
        return 1;
    }

    /* 1. allocate + build + free, 1 and 16 pages */
    for (int pages = 1; pages <= 16; pages *= 16) {
        size_t bytes = (size_t)pages * PAGE_SIZE;
        char *np = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, 'hcnB');
        build_arg a = {np, bytes, 200000};
        char mname[64], bname[64], row[128];
        snprintf(mname, sizeof mname, "IoAllocateMdl+Build+IoFreeMdl");
        snprintf(bname, sizeof bname, "malloc+free %zu B", bytes);
        bench_case c[2] = {{bname, build_malloc, &a, 0, {0}}, {mname, build_mdlkit, &a, 0, {0}}};
        bench_interleave(c, 2, reps);
        snprintf(row, sizeof row, "IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl, %d page%s", pages,
                 pages > 1 ? "s" : "");
        bench_detail(stdout, row, c, 2);
        bench_row_cases(row, &c[1], &c[0], "", pages == 1 ? "<= 1.50" : "-");
        ExFreePoolWithTag(np, 'hcnB');
    }

    /* 2. probe and lock */
    static const size_t lock_sizes[3] = {PAGE_SIZE, (size_t)1 << 20, (size_t)64 << 20};
    static const char *lock_names[3] = {"4 KiB", "1 MiB", "64 MiB"};
    for (int k = 0; k < 3; k++) {
        size_t bytes = lock_sizes[k];
        char *u = mdlkit_user_alloc(bytes, PAGE_READWRITE);
        for (size_t o = 0; o < bytes; o += PAGE_SIZE)
            u[o] = 1;
        PMDL lm = IoAllocateMdl(u, (ULONG)bytes, FALSE, FALSE, NULL);
        lock_arg a = {u, bytes, lm, iters_for(bytes, 1 << 20)};
        bench_case c[2] = {{"touch 1 byte per page", lock_touch, &a, 0, {0}},
                           {"MmProbeAndLockPages+MmUnlockPages", lock_mdlkit, &a, 0, {0}}};
        bench_interleave(c, 2, reps);
        char row[128];
        snprintf(row, sizeof row, "MmProbeAndLockPages + MmUnlockPages, %s", lock_names[k]);
        bench_detail(stdout, row, c, 2);
        char other[64];
        snprintf(other, sizeof other, "%.2f ns/page", bench_median(&c[1]) / (double)(bytes / PAGE_SIZE));
        bench_row_cases(row, &c[1], &c[0], other, "<= 3.00");
        IoFreeMdl(lm);
        mdlkit_user_free(u);
    }

    /* 3. map + unmap 64 KiB */
    {
        PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
        PMDL scat = MmAllocatePagesForMdl(lo, hi, skip, 64 * 1024);
        PMDL cont =
            MmAllocatePagesForMdlEx(lo, hi, skip, 64 * 1024, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
        int fd = memfd_create("bench_mdl", 0);
        if (!scat || !cont || fd < 0 || ftruncate(fd, 64 * 1024) != 0) {
            fprintf(stderr, "bench_mdl: cannot set up the mapping rows\n");
            return 1;
        }
        map_arg ms = {scat, fd, 3000}, mc = {cont, fd, 3000};
        bench_case c[3] = {{"mmap+munmap 64 KiB memfd", map_mmap, &ms, 0, {0}},
                           {"map+unmap scattered", map_mdlkit, &ms, 0, {0}},
                           {"map+unmap contiguous", map_mdlkit, &mc, 0, {0}}};
        bench_interleave(c, 3, reps);
        bench_detail(stdout, "MmGetSystemAddressForMdlSafe + MmUnmapLockedPages, 64 KiB", c, 3);
        bench_row_cases("MmGetSystemAddressForMdlSafe + unmap, 64 KiB scattered", &c[1], &c[0], "", "-");
        bench_row_cases("MmGetSystemAddressForMdlSafe + unmap, 64 KiB contiguous", &c[2], &c[0], "", "-");
        close(fd);
        MmFreePagesFromMdl(scat);
        ExFreePool(scat);
        MmFreePagesFromMdl(cont);
        ExFreePool(cont);
    }

    /* 4. partial MDL */
    {
        char *np = ExAllocatePoolWithTag(NonPagedPoolNx, 18 * PAGE_SIZE, 'hcnB');
        PMDL src = IoAllocateMdl(np, 18 * PAGE_SIZE, FALSE, FALSE, NULL);
        MmBuildMdlForNonPagedPool(src);
        PMDL dst = IoAllocateMdl(np, 18 * PAGE_SIZE, FALSE, FALSE, NULL);
        partial_arg p = {src, dst, np, 500000};
        bench_case c[2] = {{"copy 16 PFNs", partial_copy, &p, 0, {0}},
                           {"IoBuildPartialMdl+MmPrepareMdlForReuse", partial_mdlkit, &p, 0, {0}}};
        bench_interleave(c, 2, reps);
        bench_detail(stdout, "IoBuildPartialMdl, 16 pages of a 18-page MDL", c, 2);
        bench_row_cases("IoBuildPartialMdl (16 pages) + MmPrepareMdlForReuse", &c[1], &c[0], "", "-");
        IoFreeMdl(dst);
        IoFreeMdl(src);
        ExFreePoolWithTag(np, 'hcnB');
    }

    curve_sizes();
    mdlkit_shutdown();
    return 0;
}
