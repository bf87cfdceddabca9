/*
 * poolpage.c -- the pool allocator under ExAllocatePool*: segments, pages,
 * size classes, per-thread caches and big (whole-page) allocations.
 *
 * Layout. Each of MK_RGN_NPOOL and MK_RGN_PPOOL grows in 64 KiB segments:
 * 16 physically contiguous frames mapped with one mk_va_map (one VMA), so a
 * pointer's pool type is known from its address. A page of a segment is
 * either free, a "small" page holding blocks of one size class (so a block
 * never crosses a page), or part of a big allocation. Big allocations of
 * more than one segment get their own mapping (runs of up to 2 MiB).
 *
 * Metadata lives beside the memory, never in front of a block: a page
 * descriptor per page (pp_page) and, for small pages, one 8-byte word per
 * block holding its tag and requested size (size 0 = free). The words of a
 * page are a dense run in a metadata arena (in 32-byte units, handed out in
 * carve order and recycled by length when a page is reclaimed), so the
 * words of neighbouring blocks share cache lines. An overrun therefore
 * cannot corrupt bookkeeping, a double free or a free with the wrong tag is
 * recognised exactly, and the cost is 8 bytes per block (rounded up per
 * page) plus 32 bytes per page (docs/performance.md has the measurement).
 *
 * Speed. Each thread keeps, per heap and size class, a small stack of free
 * blocks, each with the address of its metadata word. mk_pool_alloc and
 * mk_pool_free are fast paths for the common case only (a cached small
 * block, a valid free into a cache with room): no lock, no system call, no
 * atomic read-modify-write, no stack frame for allocation; everything else
 * -- special pool and fault injection, big blocks, cache alignment, refills,
 * flushes and every misuse -- goes, with nothing changed yet, to
 * pp_alloc_full / pp_free_full,
 * which do all the work and all the checks. Only a refill (empty stack) or
 * a flush (full stack) takes the class's central mutex, moving PP_BATCH
 * blocks at a time. A block freed on another thread goes into that
 * thread's cache. Under the other verifier options (pool tracking, I/O
 * verification, DDI compliance, force IRQL checking) the fast paths stay
 * and tell the verifier at their end (pp_fast.hooks).
 */
#define _GNU_SOURCE
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PP_SEG_PAGES 16u
#define PP_SEG_SHIFT 16
#define PP_SEG_BYTES ((size_t)PP_SEG_PAGES << PAGE_SHIFT)
#define PP_MAX_BLOCKS (PAGE_SIZE / 16)
#define PP_NCLASS 66
#define PP_TC_CAP 64
#define PP_BATCH 32
#define PP_KEEP_EMPTY 8     /* fully free segments kept mapped per heap */
#define PP_SCAN_LIMIT 64    /* partial segments searched for a page run */
#define PP_BIG_RUN 512      /* largest physically contiguous run tried: 2 MiB */
#define PP_META_UNIT 4      /* metadata runs are multiples of 4 words (32 bytes) */

enum { PP_FREE = 0, PP_SMALL = 1, PP_BIG = 2, PP_TAIL = 3 };

typedef struct pp_page {
    uint8_t kind;
    uint8_t cls;
    uint8_t heap;
    uint8_t dedicated;   /* big: in its own mapping */
    uint16_t nblocks;    /* small: blocks in the page */
    uint16_t scratch;    /* reclaim: free blocks counted */
    uint32_t npages;     /* big: pages; tail: distance to the head page; small: metadata units */
    union {
        ULONG tag;       /* big: the tag (kept after the free for reports) */
        uint32_t recip;  /* small: ceil(2^32 / block size) (0 once the page is free) */
    };
    union {
        size_t size;     /* big: bytes requested, 0 once freed */
        size_t bsize;    /* small: block size (0 once the page is free) */
    };
    uint64_t *meta;      /* small: the page's metadata words, one per block */
} pp_page;

typedef struct pp_seg {
    uint16_t freemask;   /* bit i: page i of the segment is free */
    uint8_t mapped;
    uint8_t heap;
    int32_t next, prev;  /* the heap's list of segments with a free page */
} pp_seg;

typedef struct pp_region {
    char *base, *end;
    size_t npages, nsegs;
    pp_page *pages;
    pp_seg *segs;
    /* Metadata arena: each small page owns a dense run of words (tag | bytes
     * << 32, 0 bytes = free), handed out in address order as pages are
     * carved, so the words of all live blocks of a thread's working set sit
     * in a few cache lines instead of one line (and TLB entry) per page. */
    pthread_mutex_t meta_lock;
    uint64_t *meta;      /* reserved for npages * PP_MAX_BLOCKS words */
    size_t meta_top;     /* words handed out by the bump pointer */
    size_t meta_cap;     /* words reserved */
    size_t meta_free[PP_MAX_BLOCKS / PP_META_UNIT + 1]; /* freed runs by units: word offset + 1, 0 = none */
} pp_region;

typedef struct pp_central {
    pthread_mutex_t lock;
    void **v;
    size_t n, cap;
} __attribute__((aligned(64))) pp_central;

typedef struct pp_heap {
    pp_region *rg;
    enum mk_region rgn;
    int use;             /* MK_USE_NPOOL / MK_USE_PPOOL */
    unsigned prot;
    pthread_mutex_t lock; /* page heap */
    int32_t partial;
    size_t nempty;
    pp_central central[PP_NCLASS];
} pp_heap;

/* A cached free block and its metadata word (so that an allocation is a
 * pop and one store, with no page-descriptor lookup). */
typedef struct pp_slot {
    void *p;
    uint64_t *m;
} pp_slot;

/* One thread's cache for one heap: the counts of all classes share two
 * cache lines (a call touches one count line and the top of one stack). */
typedef struct pp_bin {
    uint16_t n[PP_NCLASS];
    pp_slot slot[PP_NCLASS][PP_TC_CAP];
} pp_bin;

typedef struct pp_tcache {
    unsigned gen;
    pp_bin *bins[MK_HEAP_COUNT];
} pp_tcache;

static pp_region pp_rg[2];
/* What the fast paths need of the two regions and of the verifier, in one
 * cache line. The windows are left empty (span 0) while no machine is up
 * and when special pool or fault injection is on (MK_VF_POOL_FULL;
 * mk_rt.verifier is fixed for a machine's life), so that every free then
 * takes pp_free_full, which lets the verifier see it first. Any other
 * verifier option (pool tracking, I/O verification, DDI compliance, force
 * IRQL checking) does not change where a block comes from: the fast paths
 * stay, and `hooks` makes them tell the verifier (one load and a predicted
 * branch per call when it is 0). */
struct pp_win {
    uintptr_t base;
    size_t span;  /* bytes; 0 while no machine is up */
    pp_page *pages;
};
#define PP_HK_ALLOC 0x1u /* mk_verifier_pool_allocated_fast for every fast allocation */
#define PP_HK_FREE 0x2u  /* mk_verifier_pool_freed_fast after every fast free */
#define PP_HK_IO 0x4u    /* pp_free_fast_ok before every fast free */
#define PP_HK_WATCH 0x8u /* live lookaside lists in pool: the free checks watch_lo..watch_hi */
/* May the pool free a valid block of tag `have` (ExFreePoolWithTag's tag
 * `want`, 0 = none) on its fast path? No when I/O verification must look at
 * it: an IRP's block freed without the IRP tag (ExFreePool instead of
 * IoFreeIrp) goes through mk_verifier_pool_free. */
static inline bool pp_free_fast_ok(ULONG have, ULONG want)
{
    return !(mk_rt.verifier & MDLKIT_VERIFY_IO_CHECKING) || have != MK_IRP_TAG || want == MK_IRP_TAG;
}
static struct pp_fast {
    struct pp_win win[2];
    unsigned hooks;
    /* Live lookaside lists inside pool blocks lie in [watch_lo, watch_hi]
     * (lookas.c, mk_pool_watch_lookaside; PP_HK_WATCH in hooks while there
     * are any): a free of a block that may hold one goes to pp_free_full,
     * which asks lookas.c (0xC4/0xCC). watch_hi 0: none. */
    uintptr_t watch_lo, watch_hi;
} pp_fast __attribute__((aligned(64)));
static pp_heap pp_heaps[MK_HEAP_COUNT];
static atomic_uint pp_gen;   /* generation the heaps belong to */
static atomic_int pp_live;
static atomic_size_t pp_nsegs, pp_nbig_pages, pp_nsmall_pages, pp_meta_bytes;
static pthread_once_t pp_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t pp_key;
static MK_TLS pp_tcache *pp_tls;
/* Copies of pp_tls->bins and pp_tls->gen for the fast paths: independent
 * TLS loads instead of a chain through pp_tls. Set only by pp_bins_slow,
 * and only while no verifier option is on (mk_rt.verifier is fixed for a
 * machine's life), so that the fast allocation needs no verifier test;
 * cleared whenever the bins they point to are freed. */
static MK_TLS pp_bin *pp_tls_bins[MK_HEAP_COUNT];
static MK_TLS unsigned pp_tls_gen;

static uint32_t pp_class_size[PP_NCLASS];
static uint32_t pp_class_recip[PP_NCLASS]; /* ceil(2^32 / size): exact division for offsets < 4096 */

static inline unsigned pp_class_of(size_t n)
{
    if (n <= 1024)
        return (unsigned)((n + 15) >> 4) - 1;
    return n <= 1360 ? 64 : 65;
}

MK_UNUSED static inline pp_region *pp_region_of(const void *p)
{
    int k = mk_pool_kind_of(p);
    return k < 0 ? NULL : &pp_rg[k];
}

static inline size_t pp_pidx(const pp_region *rg, const void *p) { return (size_t)((const char *)p - rg->base) >> PAGE_SHIFT; }
static inline unsigned pp_block_of(unsigned cls, size_t off)
{
    return (unsigned)(((uint64_t)off * pp_class_recip[cls]) >> 32);
}

/* ------------------------------------------------------------------------
 * Page heap: runs of 1..16 pages inside segments, and dedicated mappings.
 * ---------------------------------------------------------------------- */
static void pp_partial_add(pp_heap *h, int32_t s)
{
    pp_seg *sg = h->rg->segs;
    sg[s].prev = -1;
    sg[s].next = h->partial;
    if (h->partial >= 0)
        sg[h->partial].prev = s;
    h->partial = s;
}

static void pp_partial_del(pp_heap *h, int32_t s)
{
    pp_seg *sg = h->rg->segs;
    if (sg[s].prev >= 0)
        sg[sg[s].prev].next = sg[s].next;
    else
        h->partial = sg[s].next;
    if (sg[s].next >= 0)
        sg[sg[s].next].prev = sg[s].prev;
    sg[s].next = sg[s].prev = -1;
}

/* Maps `npages` of fresh frames at va, in physically contiguous runs of at
 * most PP_BIG_RUN (halving on failure). 0, or -1 with nothing mapped. */
static int pp_map_runs(pp_heap *h, char *va, size_t npages, unsigned prot)
{
    size_t done = 0;
    size_t want = npages < PP_BIG_RUN ? npages : PP_BIG_RUN;
    while (done < npages) {
        if (want > npages - done)
            want = npages - done;
        PFN_NUMBER first;
        if (mk_phys_alloc_run(want, 0, 0, 0, h->use, &first) != 0) {
            if (want == 1)
                goto fail;
            want = want > PP_SEG_PAGES ? PP_SEG_PAGES : want / 2;
            continue;
        }
        char *at = va + (done << PAGE_SHIFT);
        if (mk_va_map(at, first, want, prot) != 0 &&
            (!(prot & MK_PG_EXEC) || mk_va_map(at, first, want, prot & ~(unsigned)MK_PG_EXEC) != 0)) {
            mk_phys_free(first, want);
            goto fail;
        }
        done += want;
    }
    return 0;
fail:
    if (done) {
        /* give back what was mapped, one physically contiguous run at a time */
        size_t i = 0;
        while (i < done) {
            PFN_NUMBER f = mk_va_to_pfn(va + (i << PAGE_SHIFT));
            size_t n = 1;
            while (i + n < done && mk_va_to_pfn(va + ((i + n) << PAGE_SHIFT)) == f + n)
                n++;
            mk_phys_free(f, n);
            i += n;
        }
        mk_va_unmap(va, done);
    }
    return -1;
}

static void pp_unmap_runs(char *va, size_t npages)
{
    size_t i = 0;
    PFN_NUMBER runs_first[64];
    size_t runs_len[64];
    /* collect PFNs before unmapping; free after */
    while (i < npages) {
        size_t k = 0;
        size_t start = i;
        while (i < npages && k < 64) {
            PFN_NUMBER f = mk_va_to_pfn(va + (i << PAGE_SHIFT));
            size_t n = 1;
            while (i + n < npages && mk_va_to_pfn(va + ((i + n) << PAGE_SHIFT)) == f + n)
                n++;
            runs_first[k] = f;
            runs_len[k++] = n;
            i += n;
        }
        mk_va_unmap(va + (start << PAGE_SHIFT), i - start);
        for (size_t j = 0; j < k; j++)
            mk_phys_free(runs_first[j], runs_len[j]);
    }
}

/* Maps a new segment for heap h. Returns its index or -1. Heap lock held. */
static int32_t pp_seg_new(pp_heap *h)
{
    pp_region *rg = h->rg;
    char *va = mk_va_alloc(h->rgn, PP_SEG_PAGES, PP_SEG_PAGES);
    if (!va)
        return -1;
    if (((size_t)(va - rg->base) & (PP_SEG_BYTES - 1)) != 0) {
        /* the address-space layer must honour the 64 KiB alignment */
        mk_va_free(h->rgn, va, PP_SEG_PAGES);
        return -1;
    }
    if (pp_map_runs(h, va, PP_SEG_PAGES, h->prot) != 0) {
        mk_va_free(h->rgn, va, PP_SEG_PAGES);
        return -1;
    }
    int32_t s = (int32_t)((size_t)(va - rg->base) >> PP_SEG_SHIFT);
    rg->segs[s].freemask = 0xFFFF;
    rg->segs[s].mapped = 1;
    rg->segs[s].heap = (uint8_t)(h - pp_heaps);
    pp_partial_add(h, s);
    h->nempty++;
    atomic_fetch_add_explicit(&pp_nsegs, 1, memory_order_relaxed);
    return s;
}

static void pp_seg_release(pp_heap *h, int32_t s)
{
    pp_region *rg = h->rg;
    char *va = rg->base + ((size_t)s << PP_SEG_SHIFT);
    pp_partial_del(h, s);
    rg->segs[s].mapped = 0;
    rg->segs[s].freemask = 0;
    pp_unmap_runs(va, PP_SEG_PAGES);
    mk_va_free(h->rgn, va, PP_SEG_PAGES);
    atomic_fetch_sub_explicit(&pp_nsegs, 1, memory_order_relaxed);
}

/* Takes a run of n (1..16) pages from heap h. Heap lock held. */
static char *pp_pages_take(pp_heap *h, unsigned n)
{
    pp_seg *sg = h->rg->segs;
    const uint32_t want = (1u << n) - 1;
    int32_t s = h->partial;
    unsigned at = 0;
    for (int scanned = 0; s >= 0 && scanned < PP_SCAN_LIMIT; s = sg[s].next, scanned++) {
        uint32_t m = sg[s].freemask;
        for (at = 0; at + n <= PP_SEG_PAGES; at++)
            if (((m >> at) & want) == want)
                goto found;
    }
    s = pp_seg_new(h);
    if (s < 0)
        return NULL;
    at = 0;
found:
    if (sg[s].freemask == 0xFFFF)
        h->nempty--;
    sg[s].freemask &= (uint16_t)~(want << at);
    if (sg[s].freemask == 0)
        pp_partial_del(h, s);
    return h->rg->base + ((size_t)s << PP_SEG_SHIFT) + ((size_t)at << PAGE_SHIFT);
}

/* Returns a run of pages to the heap. Heap lock held. */
static void pp_pages_put(pp_heap *h, char *va, unsigned n)
{
    pp_region *rg = h->rg;
    size_t off = (size_t)(va - rg->base);
    int32_t s = (int32_t)(off >> PP_SEG_SHIFT);
    unsigned at = (unsigned)((off >> PAGE_SHIFT) & (PP_SEG_PAGES - 1));
    pp_seg *sg = &rg->segs[s];
    if (sg->freemask == 0)
        pp_partial_add(h, s);
    sg->freemask |= (uint16_t)(((1u << n) - 1) << at);
    if (sg->freemask == 0xFFFF) {
        if (h->nempty >= PP_KEEP_EMPTY)
            pp_seg_release(h, s);
        else
            h->nempty++;
    }
}

/* ------------------------------------------------------------------------
 * Central free lists (one per heap and class) and reclaim.
 * ---------------------------------------------------------------------- */
static int pp_central_reserve(pp_central *c, size_t extra)
{
    if (c->n + extra <= c->cap)
        return 0;
    size_t cap = c->cap ? c->cap * 2 : 256;
    while (cap < c->n + extra)
        cap *= 2;
    void **v = realloc(c->v, cap * sizeof *v);
    if (!v)
        return -1;
    c->v = v;
    c->cap = cap;
    return 0;
}

static inline size_t pp_meta_units(unsigned nblocks) { return (nblocks + PP_META_UNIT - 1) / PP_META_UNIT; }

/* A run of metadata words for a page of `nblocks` blocks, or NULL. A freed
 * run of the same length is reused first, then the bump pointer, then (the
 * arena is exhausted only by pathological class churn) any longer freed run,
 * which keeps its own length. */
static uint64_t *pp_meta_get(pp_region *rg, unsigned nblocks, size_t *units_out)
{
    size_t u = pp_meta_units(nblocks);
    uint64_t *m = NULL;
    pthread_mutex_lock(&rg->meta_lock);
    if (rg->meta_free[u]) {
        m = rg->meta + rg->meta_free[u] - 1;
        rg->meta_free[u] = (size_t)m[0];
    } else if (rg->meta_top + u * PP_META_UNIT <= rg->meta_cap) {
        m = rg->meta + rg->meta_top;
        rg->meta_top += u * PP_META_UNIT;
    } else {
        for (size_t k = u + 1; k < MK_ARRAY_SIZE(rg->meta_free); k++)
            if (rg->meta_free[k]) {
                m = rg->meta + rg->meta_free[k] - 1;
                rg->meta_free[k] = (size_t)m[0];
                u = k;
                break;
            }
    }
    pthread_mutex_unlock(&rg->meta_lock);
    *units_out = u;
    return m;
}

static void pp_meta_put(pp_region *rg, uint64_t *m, size_t units)
{
    pthread_mutex_lock(&rg->meta_lock);
    m[0] = rg->meta_free[units];
    rg->meta_free[units] = (size_t)(m - rg->meta) + 1;
    pthread_mutex_unlock(&rg->meta_lock);
}

/* Carves a fresh page into blocks of class cls and adds them to c.
 * Central lock held. 0 or -1. */
static int pp_carve(pp_heap *h, pp_central *c, unsigned cls)
{
    unsigned size = pp_class_size[cls];
    unsigned nb = PAGE_SIZE / size;
    if (pp_central_reserve(c, nb))
        return -1;
    pp_region *rg = h->rg;
    size_t units;
    uint64_t *meta = pp_meta_get(rg, nb, &units);
    if (!meta)
        return -1;
    pthread_mutex_lock(&h->lock);
    char *page = pp_pages_take(h, 1);
    pthread_mutex_unlock(&h->lock);
    if (!page) {
        pp_meta_put(rg, meta, units);
        return -1;
    }
    size_t pidx = pp_pidx(rg, page);
    pp_page *pg = &rg->pages[pidx];
    pg->kind = PP_SMALL;
    pg->cls = (uint8_t)cls;
    pg->heap = (uint8_t)(h - pp_heaps);
    pg->dedicated = 0;
    pg->nblocks = (uint16_t)nb;
    pg->scratch = 0;
    pg->bsize = size;
    pg->recip = pp_class_recip[cls];
    pg->npages = (uint32_t)units; /* small: metadata run length in units */
    memset(meta, 0, units * PP_META_UNIT * sizeof(uint64_t));
    pg->meta = meta;
    /* pushed highest first so that blocks are handed out in address order */
    for (unsigned i = nb; i-- > 0;)
        c->v[c->n++] = page + (size_t)i * size;
    atomic_fetch_add_explicit(&pp_nsmall_pages, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&pp_meta_bytes, units * PP_META_UNIT * sizeof(uint64_t), memory_order_relaxed);
    return 0;
}

static void pp_flush_bin(pp_heap *h, unsigned cls, pp_bin *b, unsigned count);

/* Gives fully free small pages of heap h back to its page heap: first this
 * thread's cached blocks go back to the central lists, then every page all
 * of whose blocks are on a central list is released. Returns pages freed. */
static size_t pp_reclaim_heap(pp_heap *h)
{
    pp_tcache *tc = pp_tls;
    int hid = (int)(h - pp_heaps);
    if (tc && tc->gen == atomic_load_explicit(&pp_gen, memory_order_relaxed) && tc->bins[hid])
        for (unsigned cls = 0; cls < PP_NCLASS; cls++)
            if (tc->bins[hid]->n[cls])
                pp_flush_bin(h, cls, tc->bins[hid], tc->bins[hid]->n[cls]);
    pp_region *rg = h->rg;
    size_t total = 0;
    for (unsigned cls = 0; cls < PP_NCLASS; cls++) {
        pp_central *c = &h->central[cls];
        pthread_mutex_lock(&c->lock);
        if (c->n == 0) {
            pthread_mutex_unlock(&c->lock);
            continue;
        }
        for (size_t i = 0; i < c->n; i++)
            rg->pages[pp_pidx(rg, c->v[i])].scratch++;
        char **freed = malloc((c->n / 1 + 1) * sizeof *freed);
        size_t nfreed = 0, keep = 0;
        for (size_t i = 0; i < c->n; i++) {
            char *b = c->v[i];
            pp_page *pg = &rg->pages[pp_pidx(rg, b)];
            if (freed && pg->scratch == pg->nblocks) {
                if (((uintptr_t)b & (PAGE_SIZE - 1)) == 0)
                    freed[nfreed++] = b;
            } else {
                c->v[keep++] = b;
            }
        }
        for (size_t i = 0; i < keep; i++)
            rg->pages[pp_pidx(rg, c->v[i])].scratch = 0;
        c->n = keep;
        size_t meta_words = 0;
        for (size_t i = 0; i < nfreed; i++) {
            pp_page *pg = &rg->pages[pp_pidx(rg, freed[i])];
            pg->kind = PP_FREE;
            pg->scratch = 0;
            pg->size = 0;
            pg->tag = 0;
            pp_meta_put(rg, pg->meta, pg->npages);
            meta_words += (size_t)pg->npages * PP_META_UNIT;
            pg->meta = NULL;
            pg->npages = 0;
        }
        atomic_fetch_sub_explicit(&pp_meta_bytes, meta_words * sizeof(uint64_t), memory_order_relaxed);
        pthread_mutex_unlock(&c->lock);
        if (nfreed) {
            pthread_mutex_lock(&h->lock);
            for (size_t i = 0; i < nfreed; i++)
                pp_pages_put(h, freed[i], 1);
            pthread_mutex_unlock(&h->lock);
            atomic_fetch_sub_explicit(&pp_nsmall_pages, nfreed, memory_order_relaxed);
        }
        total += nfreed;
        free(freed);
    }
    return total;
}

/* Memory is short: reclaim free small pages of every heap, then give every
 * fully free segment back to the machine so that any heap (or another
 * layer) can use the frames. Returns what was freed (pages + segments). */
static size_t pp_reclaim(void)
{
    size_t total = 0;
    for (int i = 0; i < MK_HEAP_COUNT; i++) {
        pp_heap *h = &pp_heaps[i];
        total += pp_reclaim_heap(h);
        pthread_mutex_lock(&h->lock);
        pp_seg *sg = h->rg->segs;
        for (int32_t s = h->partial, next; s >= 0; s = next) {
            next = sg[s].next;
            if (sg[s].freemask == 0xFFFF) {
                pp_seg_release(h, s);
                h->nempty--;
                total++;
            }
        }
        pthread_mutex_unlock(&h->lock);
    }
    return total;
}

/* Fills dst with up to `want` free blocks of class cls and their metadata
 * words. Returns the count (0 when memory is exhausted). */
static unsigned pp_refill(pp_heap *h, unsigned cls, pp_slot *dst, unsigned want)
{
    pp_region *rg = h->rg;
    unsigned size = pp_class_size[cls];
    pp_central *c = &h->central[cls];
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&c->lock);
        if (c->n == 0 && pp_carve(h, c, cls) != 0) {
            pthread_mutex_unlock(&c->lock);
            if (attempt == 0 && pp_reclaim() > 0)
                continue;
            return 0;
        }
        unsigned k = c->n < want ? (unsigned)c->n : want;
        c->n -= k;
        for (unsigned i = 0; i < k; i++) {
            char *p = c->v[c->n + i];
            size_t off = (size_t)(p - rg->base);
            dst[i].p = p;
            dst[i].m = rg->pages[off >> PAGE_SHIFT].meta + (off & (PAGE_SIZE - 1)) / size;
        }
        pthread_mutex_unlock(&c->lock);
        return k;
    }
    return 0;
}

/* Moves the `count` oldest blocks of a thread bin to the central list. */
static void pp_flush_bin(pp_heap *h, unsigned cls, pp_bin *b, unsigned count)
{
    pp_central *c = &h->central[cls];
    pthread_mutex_lock(&c->lock);
    if (pp_central_reserve(c, count) == 0) {
        pp_slot *sl = b->slot[cls];
        for (unsigned i = 0; i < count; i++)
            c->v[c->n + i] = sl[i].p;
        c->n += count;
        b->n[cls] = (uint16_t)(b->n[cls] - count);
        memmove(sl, sl + count, b->n[cls] * sizeof *sl);
    }
    /* if the host is out of memory the blocks simply stay cached */
    pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------------
 * Per-thread caches
 * ---------------------------------------------------------------------- */
static void pp_tcache_destroy(void *arg)
{
    pp_tcache *tc = arg;
    if (!tc)
        return;
    if (atomic_load(&pp_live) && tc->gen == atomic_load(&pp_gen)) {
        for (int h = 0; h < MK_HEAP_COUNT; h++)
            if (tc->bins[h])
                for (unsigned cls = 0; cls < PP_NCLASS; cls++)
                    if (tc->bins[h]->n[cls])
                        pp_flush_bin(&pp_heaps[h], cls, tc->bins[h], tc->bins[h]->n[cls]);
    }
    for (int h = 0; h < MK_HEAP_COUNT; h++)
        free(tc->bins[h]);
    if (pp_tls == tc) {
        pp_tls = NULL;
        memset(pp_tls_bins, 0, sizeof pp_tls_bins);
    }
    free(tc);
}

static void pp_key_create(void) { (void)pthread_key_create(&pp_key, pp_tcache_destroy); }

static MK_NOINLINE pp_bin *pp_bins_slow(mk_pool_heap h)
{
    unsigned gen = atomic_load_explicit(&pp_gen, memory_order_relaxed);
    pp_tcache *tc = pp_tls;
    if (tc && tc->gen != gen) {
        /* left over from an earlier machine: its blocks are gone */
        for (int i = 0; i < MK_HEAP_COUNT; i++)
            free(tc->bins[i]);
        memset(tc->bins, 0, sizeof tc->bins);
        memset(pp_tls_bins, 0, sizeof pp_tls_bins);
        mk_pooltag_thread_reset(); /* the fast paths count with gen_known */
        tc->gen = gen;
    }
    if (!tc) {
        tc = calloc(1, sizeof *tc);
        if (!tc)
            return NULL;
        mk_pooltag_thread_reset();
        tc->gen = gen;
        pthread_once(&pp_key_once, pp_key_create);
        pthread_setspecific(pp_key, tc);
        pp_tls = tc;
    }
    if (!tc->bins[h])
        tc->bins[h] = calloc(1, sizeof(pp_bin));
    if (!(mk_rt.verifier & MK_VF_POOL_FULL))
        pp_tls_bins[h] = tc->bins[h];
    pp_tls_gen = gen;
    return tc->bins[h];
}

static inline pp_bin *pp_bins(mk_pool_heap h)
{
    pp_tcache *tc = pp_tls;
    if (MK_LIKELY(tc && tc->gen == atomic_load_explicit(&pp_gen, memory_order_relaxed) && tc->bins[h]))
        return tc->bins[h];
    return pp_bins_slow(h);
}

/* ------------------------------------------------------------------------
 * Big allocations
 * ---------------------------------------------------------------------- */
static void pp_mark_big(pp_region *rg, char *va, size_t npages, int heap, int dedicated, ULONG tag, size_t bytes)
{
    size_t pidx = pp_pidx(rg, va);
    for (size_t i = 1; i < npages; i++) {
        pp_page *t = &rg->pages[pidx + i];
        t->kind = PP_TAIL;
        t->heap = (uint8_t)heap;
        t->npages = (uint32_t)i;
        t->tag = 0;
        t->size = 0;
    }
    pp_page *pg = &rg->pages[pidx];
    pg->heap = (uint8_t)heap;
    pg->dedicated = (uint8_t)dedicated;
    pg->npages = (uint32_t)npages;
    pg->tag = tag;
    pg->size = bytes;
    pg->kind = PP_BIG;
}

static void *pp_big_alloc(mk_pool_heap hid, size_t bytes, ULONG tag)
{
    pp_heap *h = &pp_heaps[hid];
    if (bytes > h->rg->npages * PAGE_SIZE)
        return NULL;
    size_t npages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    char *va = NULL;
    for (int attempt = 0; attempt < 2 && !va; attempt++) {
        if (npages <= PP_SEG_PAGES) {
            pthread_mutex_lock(&h->lock);
            va = pp_pages_take(h, (unsigned)npages);
            pthread_mutex_unlock(&h->lock);
            if (va)
                pp_mark_big(h->rg, va, npages, hid, 0, tag, bytes);
        } else {
            va = mk_va_alloc(h->rgn, npages, PP_SEG_PAGES);
            if (va && pp_map_runs(h, va, npages, h->prot) != 0) {
                mk_va_free(h->rgn, va, npages);
                va = NULL;
            }
            if (va)
                pp_mark_big(h->rg, va, npages, hid, 1, tag, bytes);
        }
        if (!va && (attempt > 0 || pp_reclaim() == 0))
            break;
    }
    if (va)
        atomic_fetch_add_explicit(&pp_nbig_pages, npages, memory_order_relaxed);
    return va;
}

static void pp_big_free(pp_region *rg, pp_page *pg, char *va)
{
    pp_heap *h = &pp_heaps[pg->heap];
    size_t npages = pg->npages;
    size_t pidx = pp_pidx(rg, va);
    int dedicated = pg->dedicated;
    pg->size = 0;
    pg->kind = PP_FREE;
    for (size_t i = 1; i < npages; i++)
        rg->pages[pidx + i].kind = PP_FREE;
    atomic_fetch_sub_explicit(&pp_nbig_pages, npages, memory_order_relaxed);
    if (dedicated) {
        pp_unmap_runs(va, npages);
        mk_va_free(h->rgn, va, npages);
    } else {
        pthread_mutex_lock(&h->lock);
        pp_pages_put(h, va, (unsigned)npages);
        pthread_mutex_unlock(&h->lock);
    }
}

/* ------------------------------------------------------------------------
 * mk_pool_alloc / mk_pool_free / mk_pool_lookup
 * ---------------------------------------------------------------------- */
static MK_NOINLINE void *pp_alloc_verified(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority,
                                            void *caller, int *decided)
{
    void *out = NULL;
    *decided = mk_verifier_pool_alloc((int)h, bytes, tag, flags, priority, caller, &out);
    if (*decided && out)
        mk_pooltag_alloc(tag, mk_heap_is_paged(h), bytes); /* special pool counts like any pool */
    return out;
}

/* Every case: the verifier, cache alignment, big blocks, an empty or
 * missing thread cache. */
static void *pp_alloc_any(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller)
{
    if (MK_UNLIKELY(mk_rt.verifier)) {
        int decided;
        void *v = pp_alloc_verified(h, bytes, tag, flags, priority, caller, &decided);
        if (decided)
            return v;
    }
    size_t want = bytes;
    if (MK_UNLIKELY(flags & MK_POOL_CACHE_ALIGNED)) {
        want = (want + 63) & ~(size_t)63;
        if (want > 1024 && want <= MK_POOL_SMALL_MAX)
            want = MK_POOL_SMALL_MAX; /* 1360-byte blocks are not 64-byte aligned */
    }
    char *p;
    if (MK_LIKELY(want <= MK_POOL_SMALL_MAX)) {
        unsigned cls = pp_class_of(want);
        pp_bin *bins = pp_bins(h);
        if (MK_UNLIKELY(!bins))
            goto fail;
        unsigned n = bins->n[cls];
        if (MK_UNLIKELY(n == 0)) {
            n = pp_refill(&pp_heaps[h], cls, bins->slot[cls], PP_BATCH);
            if (n == 0)
                goto fail;
        }
        bins->n[cls] = (uint16_t)--n;
        pp_slot *s = &bins->slot[cls][n];
        p = s->p;
        *s->m = tag | ((uint64_t)bytes << 32);
        if (flags & MK_POOL_ZERO)
            memset(p, 0, bytes);
    } else {
        p = pp_big_alloc(h, bytes, tag);
        if (!p)
            goto fail;
        if (flags & MK_POOL_ZERO)
            memset(p, 0, bytes);
    }
    mk_pooltag_alloc(tag, mk_heap_is_paged(h), bytes);
    if (MK_UNLIKELY(mk_rt.verifier))
        mk_verifier_pool_allocated((int)h, p, bytes, tag, caller);
    return p;
fail:
    /* the verifier counts the pool's own failures too */
    if (MK_UNLIKELY(mk_rt.verifier))
        mk_verifier_pool_allocated((int)h, NULL, bytes, tag, caller);
    return NULL;
}

/* ---- the automatic checks of a free ---- */
static MK_NORETURN MK_NOINLINE void pp_bad_free(ULONG c2code, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4, ULONG c4code,
                                                ULONG_PTR v2, ULONG_PTR v3, ULONG_PTR v4)
{
    if (mk_rt.verifier)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, c4code, v2, v3, v4);
    mk_bugcheck(BAD_POOL_CALLER, c2code, p2, p3, p4);
}

static MK_NORETURN MK_NOINLINE void pp_free_not_pool(void *p)
{
    if (mk_va_region(p) == MK_RGN_USER)
        pp_bad_free(0x40, (ULONG_PTR)p, (ULONG_PTR)MmSystemRangeStart, 0, 0x10, (ULONG_PTR)p, 0, 0);
    pp_bad_free(0x42, (ULONG_PTR)p, 0, 0, 0x10, (ULONG_PTR)p, 0, 0);
}

static MK_NORETURN MK_NOINLINE void pp_free_unallocated(pp_region *rg, void *p, int paged)
{
    if (paged)
        pp_bad_free(0x50, (ULONG_PTR)p, (ULONG_PTR)((char *)p - rg->base) >> PAGE_SHIFT,
                    (ULONG_PTR)(rg->end - rg->base), 0x10, (ULONG_PTR)p, 0, 0);
    pp_bad_free(0x41, (ULONG_PTR)p, (ULONG_PTR)mk_va_to_pfn(p), (ULONG_PTR)mk_phys.last, 0x10, (ULONG_PTR)p, 0, 0);
}

static MK_NORETURN MK_NOINLINE void pp_free_interior(void *p, void *base, int paged)
{
    pp_bad_free(paged ? 0x41286 : 0x99, (ULONG_PTR)p, (ULONG_PTR)base, 0, 0x10, (ULONG_PTR)p, 0, 0);
}

static MK_NORETURN MK_NOINLINE void pp_free_twice(void *p, ULONG last_tag)
{
    pp_bad_free(0x07, 0, last_tag, (ULONG_PTR)p, 0x13, 0, (ULONG_PTR)p, last_tag);
}

static MK_NORETURN MK_NOINLINE void pp_free_irql(void *p, int paged)
{
    KIRQL irql = mk_irql();
    pp_bad_free(0x09, irql, (ULONG_PTR)paged, (ULONG_PTR)p, paged ? 0x11 : 0x12, irql, (ULONG_PTR)paged,
                (ULONG_PTR)p);
}

static MK_NORETURN MK_NOINLINE void pp_free_wrong_tag(void *p, ULONG have, ULONG given)
{
    mk_bugcheck(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)p, have, given);
}

/* The verifier sees every free first (special pool, tracking records). */
static MK_NOINLINE int pp_free_verified(void *p, ULONG tag, int check_tag, void *caller)
{
    mk_pool_block b;
    int special = p && mk_specpool_owns(p) && mk_specpool_lookup(p, &b) && b.base == p;
    if (!p || !mk_verifier_pool_free(p, tag, check_tag, caller))
        return 0;
    if (special)
        mk_pooltag_free(b.tag, mk_heap_is_paged(b.heap), b.size);
    return 1;
}

/* Every case, with every check (mk_pool_free's fast path handles a valid
 * free of a small block into a thread cache with room, and leaves
 * everything else, untouched, to this). */
static MK_NOINLINE void pp_free_full(void *p, ULONG tag, int check_tag, void *caller)
{
    if (MK_UNLIKELY((uintptr_t)p <= __atomic_load_n(&pp_fast.watch_hi, __ATOMIC_RELAXED)))
        mk_lookas_check_free(p); /* 0xC4/0xCC if the block holds a live lookaside list */
    if (MK_UNLIKELY(mk_rt.verifier) && pp_free_verified(p, tag, check_tag, caller))
        return;
    int paged = mk_pool_kind_of(p);
    if (MK_UNLIKELY(paged < 0))
        pp_free_not_pool(p);
    if (MK_UNLIKELY(mk_irql() > (paged ? APC_LEVEL : DISPATCH_LEVEL)))
        pp_free_irql(p, paged);
    pp_region *rg = &pp_rg[paged];
    size_t off = (size_t)((char *)p - rg->base);
    size_t pidx = off >> PAGE_SHIFT;
    pp_page *pg = &rg->pages[pidx];
    if (MK_LIKELY(pg->kind == PP_SMALL)) {
        unsigned cls = pg->cls;
        unsigned bi = pp_block_of(cls, off & (PAGE_SIZE - 1));
        char *base = rg->base + (pidx << PAGE_SHIFT) + (size_t)bi * pp_class_size[cls];
        if (MK_UNLIKELY(base != (char *)p || bi >= pg->nblocks))
            pp_free_interior(p, bi < pg->nblocks ? base : NULL, paged);
        uint64_t *mp = pg->meta + bi;
        uint64_t m = *mp;
        size_t bytes = (size_t)(m >> 32);
        ULONG have = (ULONG)m;
        if (MK_UNLIKELY(bytes == 0))
            pp_free_twice(p, have);
        if (MK_UNLIKELY(check_tag && tag != 0 && tag != have))
            pp_free_wrong_tag(p, have, tag);
        mk_verifier_untrack(MK_TRACK_POOL, p); /* every check passed: Pool Tracking's record goes */
        *mp = have; /* free; the tag stays for reports */
        mk_pooltag_free(have, paged, bytes);
        mk_pool_heap h = (mk_pool_heap)pg->heap;
        pp_bin *bins = pp_bins(h);
        if (MK_UNLIKELY(!bins))
            return; /* host out of memory: the block is leaked, not corrupted */
        if (MK_UNLIKELY(bins->n[cls] == PP_TC_CAP))
            pp_flush_bin(&pp_heaps[h], cls, bins, PP_BATCH);
        unsigned n = bins->n[cls];
        bins->slot[cls][n].p = p;
        bins->slot[cls][n].m = mp;
        bins->n[cls] = (uint16_t)(n + 1);
        return;
    }
    if (pg->kind == PP_BIG) {
        if (MK_UNLIKELY((off & (PAGE_SIZE - 1)) != 0))
            pp_free_interior(p, rg->base + (pidx << PAGE_SHIFT), paged);
        if (MK_UNLIKELY(check_tag && tag != 0 && tag != pg->tag))
            pp_free_wrong_tag(p, pg->tag, tag);
        ULONG have = pg->tag;
        size_t bytes = pg->size;
        mk_verifier_untrack(MK_TRACK_POOL, p); /* every check passed: Pool Tracking's record goes */
        pp_big_free(rg, pg, (char *)p);
        mk_pooltag_free(have, paged, bytes);
        return;
    }
    if (pg->kind == PP_TAIL)
        pp_free_interior(p, rg->base + ((pidx - pg->npages) << PAGE_SHIFT), paged);
    /* a free page: a big block freed before, or never allocated */
    if ((off & (PAGE_SIZE - 1)) == 0 && pg->tag != 0 && pg->size == 0 && pg->npages != 0)
        pp_free_twice(p, pg->tag);
    pp_free_unallocated(rg, p, paged);
}

static MK_NOINLINE void *pp_alloc_full(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority,
                                       void *caller)
{
    void *p = pp_alloc_any(h, bytes, tag, flags, priority, caller);
    if (MK_UNLIKELY(!p) && (flags & MK_POOL_RAISE))
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

/* The end of a fast allocation that zeroes the block or counts a tag not in
 * this thread's counter cache. */
static MK_NOINLINE void *pp_alloc_finish(char *p, size_t bytes, ULONG tag, int paged, unsigned flags, void *caller)
{
    mk_pooltag_count_alloc(tag, paged, bytes, 1);
    if (flags & MK_POOL_ZERO)
        memset(p, 0, bytes);
    if (MK_UNLIKELY(__atomic_load_n(&pp_fast.hooks, __ATOMIC_RELAXED) & PP_HK_ALLOC))
        return mk_verifier_pool_allocated_fast(p, bytes, tag, caller);
    return p;
}

/* The fast path: a small block from this thread's cache. One TLS base,
 * no lock, no atomic read-modify-write, no call. */
void *mk_pool_alloc(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller)
{
    pp_bin *bins = pp_tls_bins[h];
    if (MK_UNLIKELY((flags & MK_POOL_CACHE_ALIGNED) || bytes - 1 >= 1024 || !bins ||
                    pp_tls_gen != atomic_load_explicit(&pp_gen, memory_order_relaxed)))
        return pp_alloc_full(h, bytes, tag, flags, priority, caller);
    unsigned cls = (unsigned)((bytes + 15) >> 4) - 1;
    unsigned n = bins->n[cls];
    if (MK_UNLIKELY(n == 0))
        return pp_alloc_full(h, bytes, tag, flags, priority, caller);
    bins->n[cls] = (uint16_t)--n;
    pp_slot *s = &bins->slot[cls][n];
    char *p = s->p;
    *s->m = tag | ((uint64_t)bytes << 32);
    int paged = mk_heap_is_paged(h);
    mk_pt_entry *e = mk_pt_cached(tag, 1);
    if (MK_UNLIKELY(!e || (flags & MK_POOL_ZERO))) /* tail calls only: the fast path saves no registers */
        return pp_alloc_finish(p, bytes, tag, paged, flags, caller);
    mk_pt_add(&e->allocs[paged], 1);
    mk_pt_add(&e->bytes[paged], (int64_t)bytes);
    if (MK_UNLIKELY(__atomic_load_n(&pp_fast.hooks, __ATOMIC_RELAXED) & PP_HK_ALLOC)) /* pool tracking and the like */
        return mk_verifier_pool_allocated_fast(p, bytes, tag, caller);
    return p;
}

/* The fast path: a valid free of a small block, into this thread's cache.
 * Anything unusual (special pool or fault injection on, no pool address, IRQL, big or free page,
 * interior pointer, double free, wrong tag, full or missing cache) goes to
 * pp_free_full before anything is changed. `hooks`: pp_fast.hooks -- 0 in
 * mk_pool_free's own copy, whose only calls are then tail calls (it saves
 * no registers); the verifier's hooks run in pp_free_hooked's copy. */
static inline __attribute__((always_inline)) void pp_free_fast(void *p, ULONG tag, int check_tag, void *caller,
                                                               unsigned hooks)
{
    /* every use of the tag is "check_tag && tag != 0 && ...": fold it */
    ULONG want = check_tag ? tag : 0;
    int paged = 0;
    size_t off = (uintptr_t)p - pp_fast.win[0].base;
    if (off >= pp_fast.win[0].span) {
        off = (uintptr_t)p - pp_fast.win[1].base;
        paged = 1;
        if (MK_UNLIKELY(off >= pp_fast.win[1].span))
            goto full;
    }
    if (MK_UNLIKELY(mk_irql() > (paged ? APC_LEVEL : DISPATCH_LEVEL) ||
                    pp_tls_gen != atomic_load_explicit(&pp_gen, memory_order_relaxed)))
        goto full;
    const pp_page *pg = &pp_fast.win[paged].pages[off >> PAGE_SHIFT];
    if (MK_UNLIKELY(pg->kind != PP_SMALL))
        goto full;
    unsigned cls = pg->cls;
    size_t in = off & (PAGE_SIZE - 1);
    unsigned bi = (unsigned)((in * pg->recip) >> 32);
    pp_bin *bins = pp_tls_bins[pg->heap];
    if (MK_UNLIKELY(bi * pg->bsize != in || bi >= pg->nblocks || !bins || bins->n[cls] == PP_TC_CAP))
        goto full;
    uint64_t *mp = pg->meta + bi;
    uint64_t m = *mp;
    ULONG have = (ULONG)m;
    if (MK_UNLIKELY((m >> 32) == 0) || MK_UNLIKELY(want != 0 && want != have))
        goto full;
    if (hooks & (PP_HK_IO | PP_HK_WATCH)) {
        if ((hooks & PP_HK_WATCH) && (uintptr_t)p <= __atomic_load_n(&pp_fast.watch_hi, __ATOMIC_RELAXED) &&
            (uintptr_t)p + pg->bsize > __atomic_load_n(&pp_fast.watch_lo, __ATOMIC_RELAXED))
            goto full; /* may hold a live lookaside list */
        if ((hooks & PP_HK_IO) && !pp_free_fast_ok(have, want))
            goto full;
    }
    *mp = have; /* free; the tag stays for reports */
    unsigned n = bins->n[cls];
    bins->slot[cls][n].p = p;
    bins->slot[cls][n].m = mp;
    bins->n[cls] = (uint16_t)(n + 1);
    /* pool tracking drops the block's shadow record (inline: one store),
     * or its table record */
    if (hooks & PP_HK_FREE)
        mk_verifier_pool_freed_fast(p); /* Pool Tracking: the block's record goes */
    /* the tag's counts last, so that a miss in this thread's counter cache
     * is a tail call */
    int tpaged = mk_heap_is_paged((mk_pool_heap)pg->heap);
    size_t bytes = (size_t)(m >> 32);
    mk_pt_entry *e = mk_pt_cached(have, 1);
    if (MK_UNLIKELY(e == NULL)) {
        mk_pooltag_count_slow(have, tpaged, 0, 1, -(int64_t)bytes);
        return;
    }
    mk_pt_add(&e->frees[tpaged], 1);
    mk_pt_add(&e->bytes[tpaged], -(int64_t)bytes);
    return;
full:
    pp_free_full(p, want, want != 0, caller);
}

/* mk_pool_free's fast path with the verifier's hooks (any option on, or
 * lookaside lists live inside pool). */
static MK_NOINLINE void pp_free_hooked(void *p, ULONG tag, int check_tag, void *caller, unsigned hooks)
{
    pp_free_fast(p, tag, check_tag, caller, hooks);
}

void mk_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    unsigned hooks = __atomic_load_n(&pp_fast.hooks, __ATOMIC_RELAXED);
    if (MK_UNLIKELY(hooks != 0)) {
        pp_free_hooked(p, tag, check_tag, caller, hooks);
        return;
    }
    pp_free_fast(p, tag, check_tag, caller, 0);
}

int mk_pool_lookup(const void *p, mk_pool_block *out)
{
    if (MK_UNLIKELY(mk_specpool_owns(p)) && atomic_load_explicit(&pp_live, memory_order_relaxed))
        return mk_specpool_lookup(p, out);
    int paged = mk_pool_kind_of(p);
    if (paged < 0 || !atomic_load_explicit(&pp_live, memory_order_relaxed))
        return 0;
    pp_region *rg = &pp_rg[paged];
    size_t off = (size_t)((const char *)p - rg->base);
    size_t pidx = off >> PAGE_SHIFT;
    pp_page *pg = &rg->pages[pidx];
    mk_pool_block b;
    if (pg->kind == PP_SMALL) {
        unsigned bi = pp_block_of(pg->cls, off & (PAGE_SIZE - 1));
        if (bi >= pg->nblocks)
            return 0;
        uint64_t m = pg->meta[bi];
        if ((m >> 32) == 0)
            return 0;
        b.base = rg->base + (pidx << PAGE_SHIFT) + (size_t)bi * pp_class_size[pg->cls];
        b.size = (size_t)(m >> 32);
        b.capacity = pp_class_size[pg->cls];
        b.tag = (ULONG)m;
        b.heap = (mk_pool_heap)pg->heap;
        b.big = 0;
    } else if (pg->kind == PP_BIG || pg->kind == PP_TAIL) {
        if (pg->kind == PP_TAIL) {
            pidx -= pg->npages;
            pg = &rg->pages[pidx];
        }
        if (pg->kind != PP_BIG || pg->size == 0)
            return 0;
        b.base = rg->base + (pidx << PAGE_SHIFT);
        b.size = pg->size;
        b.capacity = (size_t)pg->npages << PAGE_SHIFT;
        b.tag = pg->tag;
        b.heap = (mk_pool_heap)pg->heap;
        b.big = 1;
    } else {
        return 0;
    }
    if (out)
        *out = b;
    return 1;
}

void mk_pool_memstat_get(mk_pool_memstat *out)
{
    out->segments = atomic_load(&pp_nsegs);
    out->big_pages = atomic_load(&pp_nbig_pages);
    out->small_pages = atomic_load(&pp_nsmall_pages);
    out->metadata_bytes = atomic_load(&pp_meta_bytes) + out->segments * PP_SEG_PAGES * sizeof(pp_page);
}

/* ------------------------------------------------------------------------
 * Start and stop
 * ---------------------------------------------------------------------- */
static void *pp_map_meta(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void pp_region_fini(pp_region *rg)
{
    free(rg->pages);
    free(rg->segs);
    if (rg->meta) {
        munmap(rg->meta, rg->meta_cap * sizeof(uint64_t));
        pthread_mutex_destroy(&rg->meta_lock);
    }
    memset(rg, 0, sizeof *rg);
}

static int pp_region_init(pp_region *rg, enum mk_region r)
{
    rg->base = mk_as.rgn_base[r];
    rg->end = mk_as.rgn_end[r];
    rg->npages = (size_t)(rg->end - rg->base) >> PAGE_SHIFT;
    rg->nsegs = rg->npages / PP_SEG_PAGES;
    rg->pages = calloc(rg->npages, sizeof *rg->pages);
    rg->segs = calloc(rg->nsegs ? rg->nsegs : 1, sizeof *rg->segs);
    rg->meta_cap = rg->npages * PP_MAX_BLOCKS;
    rg->meta_top = 0;
    memset(rg->meta_free, 0, sizeof rg->meta_free);
    rg->meta = pp_map_meta(rg->meta_cap * sizeof(uint64_t));
    if (rg->meta)
        pthread_mutex_init(&rg->meta_lock, NULL);
    if (!rg->pages || !rg->segs || !rg->meta) {
        fprintf(stderr, "mdlkit: cannot allocate pool metadata for %zu pages\n", rg->npages);
        pp_region_fini(rg);
        return -1;
    }
    for (size_t s = 0; s < rg->nsegs; s++)
        rg->segs[s].next = rg->segs[s].prev = -1;
    return 0;
}

int mk_poolpage_init(void)
{
    for (unsigned c = 0; c < PP_NCLASS; c++) {
        pp_class_size[c] = c < 64 ? (c + 1) * 16 : (c == 64 ? 1360 : 2048);
        pp_class_recip[c] = (uint32_t)((((uint64_t)1 << 32) + pp_class_size[c] - 1) / pp_class_size[c]);
    }
    if (((uintptr_t)mk_as.rgn_base[MK_RGN_NPOOL] & (PAGE_SIZE - 1)) ||
        ((uintptr_t)mk_as.rgn_base[MK_RGN_PPOOL] & (PAGE_SIZE - 1))) {
        fprintf(stderr, "mdlkit: pool regions are not page aligned\n");
        return -1;
    }
    if (pp_region_init(&pp_rg[0], MK_RGN_NPOOL))
        return -1;
    if (pp_region_init(&pp_rg[1], MK_RGN_PPOOL)) {
        pp_region_fini(&pp_rg[0]);
        return -1;
    }
    static const struct {
        int rg;
        enum mk_region rgn;
        int use;
        unsigned prot;
    } def[MK_HEAP_COUNT] = {
        [MK_HEAP_NONPAGED_NX] = {0, MK_RGN_NPOOL, MK_USE_NPOOL, MK_PG_READ | MK_PG_WRITE},
        [MK_HEAP_NONPAGED_EXEC] = {0, MK_RGN_NPOOL, MK_USE_NPOOL, MK_PG_READ | MK_PG_WRITE | MK_PG_EXEC},
        [MK_HEAP_PAGED] = {1, MK_RGN_PPOOL, MK_USE_PPOOL, MK_PG_READ | MK_PG_WRITE},
    };
    for (int i = 0; i < MK_HEAP_COUNT; i++) {
        pp_heap *h = &pp_heaps[i];
        memset(h, 0, sizeof *h);
        h->rg = &pp_rg[def[i].rg];
        h->rgn = def[i].rgn;
        h->use = def[i].use;
        h->prot = def[i].prot;
        h->partial = -1;
        pthread_mutex_init(&h->lock, NULL);
        for (unsigned c = 0; c < PP_NCLASS; c++)
            pthread_mutex_init(&h->central[c].lock, NULL);
    }
    atomic_store(&pp_nsegs, 0);
    atomic_store(&pp_nbig_pages, 0);
    atomic_store(&pp_nsmall_pages, 0);
    atomic_store(&pp_meta_bytes, 0);
    memset(&pp_fast, 0, sizeof pp_fast);
    mk_lookas_reset();
    if (!(mk_rt.verifier & MK_VF_POOL_FULL)) {
        for (int k = 0; k < 2; k++)
            pp_fast.win[k] =
                (struct pp_win){(uintptr_t)pp_rg[k].base, (size_t)(pp_rg[k].end - pp_rg[k].base), pp_rg[k].pages};
        if (mk_rt.verifier)
            pp_fast.hooks = PP_HK_ALLOC | (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) ? PP_HK_FREE : 0) |
                            (mk_verifier_on(MDLKIT_VERIFY_IO_CHECKING) ? PP_HK_IO : 0);
    }
    atomic_store(&pp_gen, atomic_load(&mk_rt.generation));
    atomic_store(&pp_live, 1);
    return 0;
}

void mk_pool_watch_lookaside(uintptr_t lo, uintptr_t hi)
{
    __atomic_store_n(&pp_fast.watch_lo, lo, __ATOMIC_RELAXED);
    __atomic_store_n(&pp_fast.watch_hi, hi, __ATOMIC_RELAXED);
    if (hi)
        __atomic_fetch_or(&pp_fast.hooks, PP_HK_WATCH, __ATOMIC_RELAXED);
    else
        __atomic_fetch_and(&pp_fast.hooks, ~PP_HK_WATCH, __ATOMIC_RELAXED);
}

void mk_poolpage_shutdown(void)
{
    atomic_store(&pp_live, 0);
    memset(&pp_fast, 0, sizeof pp_fast);
    mk_lookas_reset();
    /* This thread's cache points into the machine that is going away. */
    pp_tcache *tc = pp_tls;
    if (tc)
        for (int i = 0; i < MK_HEAP_COUNT; i++) {
            free(tc->bins[i]);
            tc->bins[i] = NULL;
        }
    memset(pp_tls_bins, 0, sizeof pp_tls_bins);
    for (int i = 0; i < MK_HEAP_COUNT; i++) {
        pp_heap *h = &pp_heaps[i];
        for (unsigned c = 0; c < PP_NCLASS; c++) {
            free(h->central[c].v);
            h->central[c].v = NULL;
            h->central[c].n = h->central[c].cap = 0;
            pthread_mutex_destroy(&h->central[c].lock);
        }
        pthread_mutex_destroy(&h->lock);
    }
    /* the machine unmaps the regions and discards the frames */
    pp_region_fini(&pp_rg[0]);
    pp_region_fini(&pp_rg[1]);
}
