/*
 * bench_mdl.c -- the MDL rows of `make bench` and the MDL cost curves.
 *
 * Rows (each mdlkit case interleaved with its baseline in this process;
 * targets from issue #20):
 *   - IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl, 1 and 16 pages,
 *     against malloc + free of the MDL's own size (MmSizeOfMdl; for 1 page
 *     the 232 bytes of the fixed-size block IoAllocateMdl hands out: the MDL
 *     and its 23 PFN slots), in two patterns: freed at once, and batches of
 *     256 outstanding freed LIFO; mimalloc (dlopen RTLD_LOCAL) beside glibc
 *     (targets <= 1.2x for 1 page, <= 1.5x for 16 pages);
 *   - MmProbeAndLockPages + MmUnlockPages of one page: the fixed cost per
 *     pair, in ns above two plain calls and one touch (target <= 10 ns);
 *     of 64 KiB, 1 MiB and 64 MiB user buffers against touching one byte
 *     per page of the same buffer (target <= 2x);
 *   - MmGetSystemAddressForMdlSafe + MmUnmapLockedPages of 16 scattered
 *     pages against 16 one-page mmap + munmap of a memfd (the floor: one
 *     mmap per discontiguous run; target <= 1.0x), and of 16 physically
 *     contiguous pages against one 64 KiB mmap + munmap;
 *   - IoBuildPartialMdl of 16 pages + MmPrepareMdlForReuse, against copying
 *     the same 16 PFNs.
 * Times are the thread's CPU time (mdl_now), not wall-clock time.
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

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile char sink;
#define MK_BENCH_NOINLINE __attribute__((noinline))

/* Every case here runs on one thread: its time is the thread's CPU time
 * (user + system), so that on a shared machine the medians do not include
 * other processes' time slices (wall-clock medians swung 5x at load 15). */
static double mdl_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the allocators of the baselines ---- */
typedef struct alloc_api {
    const char *name;
    void *(*alloc)(size_t n);
    void (*release)(void *p);
} alloc_api;
#ifdef MDLKIT_MIMALLOC_PATH
static void *(*mi_malloc_p)(size_t);
static void (*mi_free_p)(void *);
static void *mi_alloc(size_t n) { return mi_malloc_p(n); }
static void mi_release(void *p) { mi_free_p(p); }
#endif
static const alloc_api glibc_api = {"malloc+free", malloc, free};
static alloc_api mimalloc_api = {"mimalloc", NULL, NULL};
#define BATCH 256

/* ---- allocate + build + free ---- */
typedef struct build_arg {
    char *buf;
    size_t bytes;      /* the MDL's range */
    size_t mdl_bytes;  /* the baseline's allocation size */
    const alloc_api *api;
    int batch;         /* 0: freed at once; else batches of BATCH, freed LIFO */
    long iters;        /* MDLs (or blocks) per measurement */
} build_arg;

static double build_mdlkit(void *a)
{
    build_arg *b = a;
    double t0 = mdl_now();
    if (!b->batch) {
        for (long i = 0; i < b->iters; i++) {
            PMDL m = IoAllocateMdl(b->buf, (ULONG)b->bytes, FALSE, FALSE, NULL);
            MmBuildMdlForNonPagedPool(m);
            IoFreeMdl(m);
        }
    } else {
        static PMDL m[BATCH];
        for (long i = 0; i < b->iters; i += BATCH) {
            for (int k = 0; k < BATCH; k++) {
                m[k] = IoAllocateMdl(b->buf, (ULONG)b->bytes, FALSE, FALSE, NULL);
                MmBuildMdlForNonPagedPool(m[k]);
            }
            for (int k = BATCH - 1; k >= 0; k--)
                IoFreeMdl(m[k]);
        }
    }
    return (mdl_now() - t0) / (double)b->iters;
}

/* The baseline: allocate the MDL's bytes, write its header's first word
 * (IoAllocateMdl writes the header), free. */
static double build_malloc(void *a)
{
    build_arg *b = a;
    const alloc_api *api = b->api;
    double t0 = mdl_now();
    if (!b->batch) {
        for (long i = 0; i < b->iters; i++) {
            void **p = api->alloc(b->mdl_bytes);
            *p = b->buf;
            bench_use(p);
            api->release(p);
        }
    } else {
        static void *m[BATCH];
        for (long i = 0; i < b->iters; i += BATCH) {
            for (int k = 0; k < BATCH; k++) {
                void **p = api->alloc(b->mdl_bytes);
                *p = b->buf;
                bench_use(p);
                m[k] = p;
            }
            for (int k = BATCH - 1; k >= 0; k--)
                api->release(m[k]);
        }
    }
    return (mdl_now() - t0) / (double)b->iters;
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
    double t0 = mdl_now();
    for (long i = 0; i < l->iters; i++) {
        MmProbeAndLockPages(l->mdl, UserMode, IoWriteAccess);
        MmUnlockPages(l->mdl);
    }
    return (mdl_now() - t0) / (double)l->iters;
}

static double lock_touch(void *a)
{
    lock_arg *l = a;
    double t0 = mdl_now();
    for (long i = 0; i < l->iters; i++)
        for (size_t o = 0; o < l->bytes; o += PAGE_SIZE)
            sink = ((volatile char *)l->buf)[o];
    return (mdl_now() - t0) / (double)l->iters;
}

/* The fixed cost's baseline: two plain calls (as a driver makes two DDI
 * calls) and one touch of the page. */
static MK_BENCH_NOINLINE void plain_call(lock_arg *l) { bench_use(l->mdl); }
static double lock_plain(void *a)
{
    lock_arg *l = a;
    double t0 = mdl_now();
    for (long i = 0; i < l->iters; i++) {
        plain_call(l);
        sink = ((volatile char *)l->buf)[0];
        plain_call(l);
    }
    return (mdl_now() - t0) / (double)l->iters;
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
    double t0 = mdl_now();
    for (long i = 0; i < m->iters; i++) {
        PVOID va = MmGetSystemAddressForMdlSafe(m->mdl, NormalPagePriority | MdlMappingNoExecute);
        bench_use(va);
        MmUnmapLockedPages(va, m->mdl);
    }
    return (mdl_now() - t0) / (double)m->iters;
}

static double map_mmap(void *a)
{
    map_arg *m = a;
    double t0 = mdl_now();
    for (long i = 0; i < m->iters; i++) {
        void *va = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
        bench_use(va);
        munmap(va, 64 * 1024);
    }
    return (mdl_now() - t0) / (double)m->iters;
}

/* The floor of a scattered mapping: one mmap per discontiguous run, here
 * 16 one-page runs of the memfd (each page its own VMA: every other page). */
static double map_mmap_pages(void *a)
{
    map_arg *m = a;
    void *va[16];
    double t0 = mdl_now();
    for (long i = 0; i < m->iters; i++) {
        for (int k = 0; k < 16; k++)
            va[k] = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, (off_t)(2 * k) * PAGE_SIZE);
        bench_use(va);
        for (int k = 0; k < 16; k++)
            munmap(va[k], PAGE_SIZE);
    }
    return (mdl_now() - t0) / (double)m->iters;
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
    double t0 = mdl_now();
    for (long i = 0; i < p->iters; i++) {
        IoBuildPartialMdl(p->src, p->dst, p->va + PAGE_SIZE, 16 * PAGE_SIZE);
        MmPrepareMdlForReuse(p->dst);
    }
    return (mdl_now() - t0) / (double)p->iters;
}

static double partial_copy(void *a)
{
    partial_arg *p = a;
    PPFN_NUMBER s = MmGetMdlPfnArray(p->src), d = MmGetMdlPfnArray(p->dst);
    double t0 = mdl_now();
    for (long i = 0; i < p->iters; i++) {
        bench_use(s);
        memcpy(d, s + 1, 16 * sizeof(PFN_NUMBER));
        bench_use(d);
    }
    return (mdl_now() - t0) / (double)p->iters;
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
        build_arg ba = {np, bytes, 0, NULL, 0, it};
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

#ifdef MDLKIT_MIMALLOC_PATH
    void *mi = dlopen(MDLKIT_MIMALLOC_PATH, RTLD_NOW | RTLD_LOCAL);
    if (mi && (mi_malloc_p = (void *(*)(size_t))dlsym(mi, "mi_malloc")) &&
        (mi_free_p = (void (*)(void *))dlsym(mi, "mi_free"))) {
        mimalloc_api.alloc = mi_alloc;
        mimalloc_api.release = mi_release;
    } else
        fprintf(stderr, "bench_mdl: mimalloc not usable: %s\n", dlerror());
#endif

    /* 1. allocate + build + free, 1 and 16 pages, at once and in batches */
    for (int pages = 1; pages <= 16; pages *= 16) {
        size_t bytes = (size_t)pages * PAGE_SIZE;
        char *np = ExAllocatePoolWithTag(NonPagedPoolNx, bytes, 'hcnB');
        /* the MDL's own size: the fixed-size block of 23 PFNs IoAllocateMdl
         * hands out for 1 page (232 B), MmSizeOfMdl for 16 (176 B) */
        size_t mdl_bytes = pages == 1 ? sizeof(MDL) + 23 * sizeof(PFN_NUMBER) : MmSizeOfMdl(np, bytes);
        for (int batch = 0; batch <= 1; batch++) {
            long iters = 256L * 1024;
            build_arg am = {np, bytes, mdl_bytes, NULL, batch, iters};
            build_arg ag = {np, bytes, mdl_bytes, &glibc_api, batch, iters};
            build_arg ai = {np, bytes, mdl_bytes, &mimalloc_api, batch, iters};
            char gname[64], iname[64], row[160];
            snprintf(gname, sizeof gname, "malloc+free %zu B", mdl_bytes);
            snprintf(iname, sizeof iname, "mimalloc %zu B", mdl_bytes);
            bench_case c[3] = {{gname, build_malloc, &ag, 0, {0}},
                               {"IoAllocateMdl+Build+IoFreeMdl", build_mdlkit, &am, 0, {0}},
                               {iname, build_malloc, &ai, 0, {0}}};
            int nc = mimalloc_api.alloc ? 3 : 2;
            bench_interleave(c, nc, reps);
            snprintf(row, sizeof row, "IoAllocateMdl + MmBuildMdlForNonPagedPool + IoFreeMdl, %d page%s, %s", pages,
                     pages > 1 ? "s" : "", batch ? "batches of 256 (LIFO)" : "freed at once");
            bench_detail(stdout, row, c, nc);
            char other[64] = "";
            if (nc == 3)
                snprintf(other, sizeof other, "mimalloc %.2f (%.2fx)", bench_median(&c[2]),
                         bench_median(&c[1]) / bench_median(&c[2]));
            bench_row_cases(row, &c[1], &c[0], other, pages == 1 ? "<= 1.20" : "<= 1.50");
        }
        ExFreePoolWithTag(np, 'hcnB');
    }

    /* 2. probe and lock: the fixed cost of one page, then 64 KiB .. 64 MiB */
    {
        char *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
        u[0] = 1;
        PMDL lm = IoAllocateMdl(u, PAGE_SIZE, FALSE, FALSE, NULL);
        lock_arg a = {u, PAGE_SIZE, lm, 1 << 20};
        bench_case c[2] = {{"2 plain calls + 1 touch", lock_plain, &a, 0, {0}},
                           {"MmProbeAndLockPages+MmUnlockPages", lock_mdlkit, &a, 0, {0}}};
        bench_interleave(c, 2, reps);
        const char *row = "MmProbeAndLockPages + MmUnlockPages, 4 KiB: ns above the baseline (fixed cost)";
        bench_detail(stdout, row, c, 2);
        double lo, hi, m = bench_median(&c[1]), b = bench_median(&c[0]);
        bench_minmax(&c[1], &lo, &hi);
        char other[96];
        snprintf(other, sizeof other, "ratio %.2fx; the ratio column is ns above the baseline", m / b);
        /* the "ratio" of this row is a difference in ns (target <= 10 ns) */
        bench_row(row, m, lo, hi, c[0].name, b, other, m - b, "<= 10");
        IoFreeMdl(lm);
        mdlkit_user_free(u);
    }
    static const size_t lock_sizes[3] = {(size_t)64 << 10, (size_t)1 << 20, (size_t)64 << 20};
    static const char *lock_names[3] = {"64 KiB", "1 MiB", "64 MiB"};
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
        bench_row_cases(row, &c[1], &c[0], other, "<= 2.00");
        IoFreeMdl(lm);
        mdlkit_user_free(u);
    }

    /* 3. map + unmap 16 pages */
    {
        PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = 0x7FFFFFFFFFFFLL}, skip = {.QuadPart = 0};
        PMDL scat = MmAllocatePagesForMdl(lo, hi, skip, 64 * 1024);
        PMDL cont =
            MmAllocatePagesForMdlEx(lo, hi, skip, 64 * 1024, MmCached, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS);
        int fd = memfd_create("bench_mdl", 0);
        if (!scat || !cont || fd < 0 || ftruncate(fd, 32 * PAGE_SIZE) != 0) {
            fprintf(stderr, "bench_mdl: cannot set up the mapping rows\n");
            return 1;
        }
        /* how many discontiguous runs the scattered MDL has (one mmap each) */
        PPFN_NUMBER sp = MmGetMdlPfnArray(scat);
        int runs = 1;
        for (int k = 1; k < 16; k++)
            runs += sp[k] != sp[k - 1] + 1;
        map_arg ms = {scat, fd, 3000}, mc = {cont, fd, 3000};
        bench_case c[4] = {{"16 one-page mmap+munmap, memfd", map_mmap_pages, &ms, 0, {0}},
                           {"map+unmap scattered", map_mdlkit, &ms, 0, {0}},
                           {"mmap+munmap 64 KiB memfd", map_mmap, &mc, 0, {0}},
                           {"map+unmap contiguous", map_mdlkit, &mc, 0, {0}}};
        bench_interleave(c, 4, reps);
        bench_detail(stdout, "MmGetSystemAddressForMdlSafe + MmUnmapLockedPages, 16 pages", c, 4);
        char other[64];
        snprintf(other, sizeof other, "%d discontiguous runs", runs);
        bench_row_cases("MmGetSystemAddressForMdlSafe + unmap, 16 scattered pages", &c[1], &c[0], other, "<= 1.00");
        bench_row_cases("MmGetSystemAddressForMdlSafe + unmap, 16 contiguous pages", &c[3], &c[2], "", "-");
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
