/*
 * physmem.c -- simulated physical memory: a memfd of the configured size, the
 * PFN database (one small entry per frame) and the frame allocator.
 *
 * Frames are handed out non-contiguously by default: each allocation starts
 * its search at a cursor that jumps across memory by a large prime stride, so
 * consecutive allocations land far apart and drivers that assume physical
 * contiguity break as they would on real hardware. Contiguous runs are found
 * on request. Freed frames are punched out of the memfd, so every frame
 * comes back zeroed and its host memory is returned.
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

mk_physmem mk_phys;

int mk_addrspace_init(void);
void mk_addrspace_shutdown(void);
void mk_forksafe_install(void); /* forksafe.c: a forked child gets its own copy of RAM */

#define PM_RUN_STRIDE_CHUNKS 977   /* prime: chunk cursor step for runs */
#define PM_PAGE_STRIDE 4099        /* prime: page cursor step for single pages */

static size_t pm_page_cursor;

static inline void pm_set_used(size_t i) { mk_phys.freemap[i >> 6] &= ~(1ULL << (i & 63)); }
static inline void pm_set_free(size_t i) { mk_phys.freemap[i >> 6] |= 1ULL << (i & 63); }

/* First free frame index >= i and < end, or end. */
static size_t pm_next_free(size_t i, size_t end)
{
    while (i < end) {
        uint64_t w = mk_phys.freemap[i >> 6] >> (i & 63);
        if (w)
            return i + (size_t)__builtin_ctzll(w) < end ? i + (size_t)__builtin_ctzll(w) : end;
        i = (i | 63) + 1;
    }
    return end;
}

/* First used frame index >= i and < end, or end. */
static size_t pm_next_used(size_t i, size_t end)
{
    while (i < end) {
        uint64_t w = ~mk_phys.freemap[i >> 6] >> (i & 63);
        if (w)
            return i + (size_t)__builtin_ctzll(w) < end ? i + (size_t)__builtin_ctzll(w) : end;
        i = (i | 63) + 1;
    }
    return end;
}

static void pm_take(size_t i, size_t n, int use)
{
    for (size_t k = i; k < i + n; k++) {
        pm_set_used(k);
        mk_pfn_entry *e = &mk_phys.db[k];
        e->state = MK_PFN_ACTIVE;
        e->use = (uint8_t)use;
        e->cache = (int8_t)MmNotMapped;
        e->flags = 0;
        atomic_store_explicit(&e->maps, 0, memory_order_relaxed);
    }
    atomic_fetch_sub(&mk_phys.free_pages, n);
    size_t used = mk_phys.npages - atomic_load(&mk_phys.free_pages);
    if (used > mk_phys.peak_used)
        mk_phys.peak_used = used;
}

/* Index bounds [lo, hi) for PFN bounds [low, high] (0 = none). */
static int pm_bounds(PFN_NUMBER low, PFN_NUMBER high, size_t *lo, size_t *hi)
{
    PFN_NUMBER l = low > mk_phys.first ? low : mk_phys.first;
    PFN_NUMBER h = (high && high < mk_phys.last) ? high : mk_phys.last;
    if (l > h)
        return -1;
    *lo = (size_t)(l - mk_phys.first);
    *hi = (size_t)(h - mk_phys.first) + 1;
    return 0;
}

/* Searches [from, end) for a free run; returns the start index or SIZE_MAX. */
static size_t pm_find_run(size_t from, size_t end, size_t n, size_t align, size_t boundary)
{
    size_t i = from;
    while (i < end) {
        i = pm_next_free(i, end);
        if (align > 1)
            i = (i + align - 1) & ~(align - 1);
        if (i + n > end)
            return SIZE_MAX;
        if (boundary) {
            /* PFN-based boundary: run must not cross a multiple of boundary pages */
            size_t pfn = i + (size_t)mk_phys.first;
            size_t next = (pfn / boundary + 1) * boundary;
            if (pfn + n > next) {
                i = next - (size_t)mk_phys.first;
                continue;
            }
        }
        size_t u = pm_next_used(i, i + n);
        if (u == i + n)
            return i;
        i = u + 1;
    }
    return SIZE_MAX;
}

static size_t (*_Atomic pm_shortage)(void);

void mk_phys_set_shortage_handler(size_t (*handler)(void)) { atomic_store(&pm_shortage, handler); }

/* A frame allocation for `use` came up short: let the handler give frames
 * back. Returns nonzero when it freed something (worth one more try). */
static int pm_relieve(int use)
{
    if (use != MK_USE_MDL_PAGES && use != MK_USE_USER && use != MK_USE_CONTIG)
        return 0;
    size_t (*h)(void) = atomic_load(&pm_shortage);
    return h && h() > 0;
}

static int pm_alloc_run(size_t npages, PFN_NUMBER low, PFN_NUMBER high, size_t boundary_pages, int use,
                        PFN_NUMBER *first);

int mk_phys_alloc_run(size_t npages, PFN_NUMBER low, PFN_NUMBER high, size_t boundary_pages, int use,
                      PFN_NUMBER *first)
{
    if (pm_alloc_run(npages, low, high, boundary_pages, use, first) == 0)
        return 0;
    if (!pm_relieve(use))
        return -1;
    return pm_alloc_run(npages, low, high, boundary_pages, use, first);
}

static int pm_alloc_run(size_t npages, PFN_NUMBER low, PFN_NUMBER high, size_t boundary_pages, int use,
                        PFN_NUMBER *first)
{
    size_t lo, hi;
    if (npages == 0 || pm_bounds(low, high, &lo, &hi) || npages > hi - lo)
        return -1;
    if (boundary_pages && npages > boundary_pages)
        return -1;
    size_t align = 1;
    if (npages % MK_CHUNK_PAGES == 0)
        align = MK_CHUNK_PAGES;
    pthread_mutex_lock(&mk_phys.lock);
    size_t nchunks = (hi - lo + MK_CHUNK_PAGES - 1) / MK_CHUNK_PAGES;
    mk_phys.scatter = (mk_phys.scatter + PM_RUN_STRIDE_CHUNKS) % (nchunks ? nchunks : 1);
    size_t start = lo + (size_t)mk_phys.scatter * MK_CHUNK_PAGES;
    if (start >= hi)
        start = lo;
    size_t i = pm_find_run(start, hi, npages, align, boundary_pages);
    if (i == SIZE_MAX)
        i = pm_find_run(lo, hi, npages, align, boundary_pages);
    if (i == SIZE_MAX && align > 1)
        i = pm_find_run(lo, hi, npages, 1, boundary_pages);
    if (i == SIZE_MAX) {
        pthread_mutex_unlock(&mk_phys.lock);
        return -1;
    }
    pm_take(i, npages, use);
    pthread_mutex_unlock(&mk_phys.lock);
    *first = mk_phys.first + i;
    return 0;
}

static size_t pm_alloc_pages(size_t npages, PFN_NUMBER low, PFN_NUMBER high, int use, PFN_NUMBER *out);

size_t mk_phys_alloc_pages(size_t npages, PFN_NUMBER low, PFN_NUMBER high, int use, PFN_NUMBER *out)
{
    size_t got = pm_alloc_pages(npages, low, high, use, out);
    if (got < npages && pm_relieve(use))
        got += pm_alloc_pages(npages - got, low, high, use, out + got);
    return got;
}

static size_t pm_alloc_pages(size_t npages, PFN_NUMBER low, PFN_NUMBER high, int use, PFN_NUMBER *out)
{
    size_t lo, hi, got = 0;
    if (npages == 0 || pm_bounds(low, high, &lo, &hi))
        return 0;
    size_t span = hi - lo;
    pthread_mutex_lock(&mk_phys.lock);
    while (got < npages) {
        pm_page_cursor = (pm_page_cursor + PM_PAGE_STRIDE) % span;
        size_t pos = lo + pm_page_cursor;
        size_t i = pm_next_free(pos, hi);
        if (i == hi) {
            i = pm_next_free(lo, pos);
            if (i == pos)
                break; /* nothing free in [lo, hi) */
        }
        pm_take(i, 1, use);
        out[got++] = mk_phys.first + i;
    }
    pthread_mutex_unlock(&mk_phys.lock);
    return got;
}

static void pm_discard(size_t i, size_t n)
{
    /* Give the host memory back and make the frames read as zero. */
    if (fallocate(mk_phys.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)i << PAGE_SHIFT,
                  (off_t)n << PAGE_SHIFT) != 0) {
        /* Without hole punching (old kernels, some filesystems) zero by hand. */
        memset(mk_as.rgn_base[MK_RGN_DIRECT] + (i << PAGE_SHIFT), 0, n << PAGE_SHIFT);
    }
}

static void pm_release(size_t i, size_t n)
{
    for (size_t k = i; k < i + n; k++) {
        mk_pfn_entry *e = &mk_phys.db[k];
        e->state = MK_PFN_FREE;
        e->use = MK_USE_NONE;
        e->cache = (int8_t)MmNotMapped;
        for (int s = 0; s < MK_LOCK_SHARDS; s++)
            if (atomic_load_explicit(&mk_phys.lockdb[k].s[s], memory_order_relaxed))
                atomic_store_explicit(&mk_phys.lockdb[k].s[s], 0, memory_order_relaxed);
        pm_set_free(k);
    }
    atomic_fetch_add(&mk_phys.free_pages, n);
}

void mk_phys_free(PFN_NUMBER first, size_t npages)
{
    if (!npages || !mk_pfn_is_ram(first) || !mk_pfn_is_ram(first + npages - 1))
        return;
    size_t i = (size_t)(first - mk_phys.first);
    pm_discard(i, npages);
    pthread_mutex_lock(&mk_phys.lock);
    pm_release(i, npages);
    pthread_mutex_unlock(&mk_phys.lock);
}

void mk_phys_free_list(const PFN_NUMBER *pfns, size_t n)
{
    size_t k = 0;
    while (k < n) {
        size_t run = 1;
        while (k + run < n && pfns[k + run] == pfns[k] + run)
            run++;
        mk_phys_free(pfns[k], run);
        k += run;
    }
}

size_t mk_phys_free_count(void) { return atomic_load(&mk_phys.free_pages); }

/* ---- lock-count shards ---- */

static _Atomic(void *) pm_shard_owner[MK_LOCK_SHARDS]; /* owning thread's &mk_self */
static pthread_key_t pm_shard_key;
static pthread_once_t pm_shard_once = PTHREAD_ONCE_INIT;

/* At thread exit: give the shard back (its counts stay; sums stay exact). */
static void pm_shard_release(void *v)
{
    uintptr_t x = (uintptr_t)v;
    unsigned gen = (unsigned)(x >> 8);
    int s = (int)(x & 0xFF);
    void *me = &mk_self;
    if (gen == atomic_load(&mk_rt.generation) && s > 0 && s < MK_LOCK_SHARDS)
        atomic_compare_exchange_strong(&pm_shard_owner[s], &me, NULL);
}

static void pm_shard_key_create(void) { pthread_key_create(&pm_shard_key, pm_shard_release); }

int mk_lock_shard_claim(void)
{
    mk_thread_attach();
    if (mk_self.lock_shard > 0)
        return mk_self.lock_shard;
    if (mk_self.lock_shard < 0)
        return 0; /* no shard was free: use the shared one */
    pthread_once(&pm_shard_once, pm_shard_key_create);
    unsigned gen = atomic_load(&mk_rt.generation);
    for (int s = 1; s < MK_LOCK_SHARDS; s++) {
        void *expect = NULL;
        if (atomic_compare_exchange_strong(&pm_shard_owner[s], &expect, (void *)&mk_self)) {
            mk_self.lock_shard = s;
            pthread_setspecific(pm_shard_key, (void *)(((uintptr_t)gen << 8) | (uintptr_t)s));
            return s;
        }
    }
    mk_self.lock_shard = -1;
    return 0;
}

void *mk_table_alloc(size_t bytes)
{
    if (!bytes)
        bytes = 1;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void mk_table_free(void *table, size_t bytes)
{
    if (table)
        munmap(table, bytes ? bytes : 1);
}

static void pm_tables_free(void)
{
    mk_table_free(mk_phys.lockdb, mk_phys.npages * sizeof(mk_lockcount));
    mk_table_free(mk_phys.db, mk_phys.npages * sizeof(mk_pfn_entry));
    mk_table_free(mk_phys.freemap, (mk_phys.npages + 63) / 64 * sizeof(uint64_t));
}

int mk_machine_init(const mdlkit_config *cfg)
{
    size_t npages = (cfg->physical_memory >> PAGE_SHIFT) & ~(size_t)(MK_CHUNK_PAGES - 1);
    memset(&mk_phys, 0, sizeof mk_phys);
    mk_phys.fd = memfd_create("mdlkit-ram", MFD_CLOEXEC);
    if (mk_phys.fd < 0) {
        fprintf(stderr, "mdlkit_init: memfd_create failed: %s\n", strerror(errno));
        return -1;
    }
    if (ftruncate(mk_phys.fd, (off_t)npages << PAGE_SHIFT) != 0) {
        fprintf(stderr, "mdlkit_init: cannot size simulated RAM to %zu bytes: %s\n", npages << PAGE_SHIFT,
                strerror(errno));
        close(mk_phys.fd);
        return -1;
    }
    mk_phys.npages = npages;
    mk_phys.first = MK_PFN_BASE;
    mk_phys.last = MK_PFN_BASE + npages - 1;
    mk_phys.db = mk_table_alloc(npages * sizeof(mk_pfn_entry));
    mk_phys.lockdb = mk_table_alloc(npages * sizeof(mk_lockcount));
    for (int s = 0; s < MK_LOCK_SHARDS; s++)
        atomic_store(&pm_shard_owner[s], NULL);
    size_t words = (npages + 63) / 64;
    mk_phys.freemap = mk_table_alloc(words * sizeof(uint64_t));
    if (!mk_phys.db || !mk_phys.freemap || !mk_phys.lockdb) {
        fprintf(stderr, "mdlkit_init: out of host memory for the PFN database (%zu frames)\n", npages);
        pm_tables_free();
        close(mk_phys.fd);
        return -1;
    }
    /* Every frame free (npages is a multiple of MK_CHUNK_PAGES, the last
     * word may be partial). */
    memset(mk_phys.freemap, 0xFF, (npages / 64) * sizeof(uint64_t));
    if (npages % 64)
        mk_phys.freemap[npages / 64] = (1ULL << (npages % 64)) - 1;
    /* The PFN database stays as mapped, all zero: a free frame is state
     * MK_PFN_FREE, use MK_USE_NONE, no maps, no locks; its cache type is
     * set (MmNotMapped) when the frame is taken, so the table's pages are
     * touched only for frames the machine uses. */
    atomic_store(&mk_phys.free_pages, npages);
    mk_phys.scatter = 0;
    pm_page_cursor = 0;
    pthread_mutex_init(&mk_phys.lock, NULL);
    if (mk_addrspace_init() != 0) {
        pm_tables_free();
        close(mk_phys.fd);
        return -1;
    }
    if (mk_fault_install() != 0) {
        mk_addrspace_shutdown();
        pm_tables_free();
        close(mk_phys.fd);
        return -1;
    }
    mk_forksafe_install();
    return 0;
}

void mk_machine_shutdown(void)
{
    mk_fault_uninstall();
    mk_addrspace_shutdown();
    pthread_mutex_destroy(&mk_phys.lock);
    pm_tables_free();
    close(mk_phys.fd);
    memset(&mk_phys, 0, sizeof mk_phys);
    mk_phys.fd = -1;
}
