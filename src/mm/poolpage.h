/*
 * poolpage.h -- what the files of the pool allocator share (src/mm/ only;
 * the rest of mdlkit sees the pool through src/mk_pool.h):
 *
 *   poolpage.c   mk_pool_alloc / mk_pool_free fast paths, the automatic
 *                checks of a free, mk_pool_lookup, start and stop; owns the
 *                state below
 *   poolseg.c    the page heap: 64 KiB segments and runs of pages in them
 *   poolsmall.c  small pages: size classes, central free lists, metadata
 *                words, refill, flush and reclaim
 *   pooltcache.c per-thread caches of free blocks
 *   poolbig.c    big (whole-page) allocations
 *
 * The state is hidden (not exported from libmdlkit), so the fast paths
 * reach it as directly as file-local data.
 */
#ifndef MK_MM_POOLPAGE_H
#define MK_MM_POOLPAGE_H

#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"

#include <pthread.h>

#define PP_HIDDEN __attribute__((visibility("hidden")))

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


/* What the fast paths need of the two regions, the machine and the
 * verifier, in one cache line that only start-up, shutdown and the
 * lookaside watch write (poolpage.c). The windows are left empty (span 0)
 * while no machine is up and when special pool or fault injection is on
 * (MK_VF_POOL_FULL; mk_rt.verifier is fixed for a machine's life), so that
 * every free then takes pp_free_full, which lets the verifier see it
 * first. Any other verifier option (pool tracking, I/O verification, DDI
 * compliance, force IRQL checking) does not change where a block comes
 * from: the fast paths stay, and `hooks` makes them tell the verifier (one
 * load and a predicted branch per call when it is 0). */
struct pp_win {
    uintptr_t base;
    size_t span;  /* bytes; 0 while no machine is up */
    pp_page *pages;
};
#define PP_HK_ALLOC 0x1u /* mk_verifier_pool_allocated_fast for every fast allocation */
#define PP_HK_FREE 0x2u  /* mk_verifier_pool_freed_fast after every fast free */
#define PP_HK_IO 0x4u    /* pp_free_fast_ok before every fast free */
#define PP_HK_WATCH 0x8u /* live lookaside lists in pool: the free checks watch_lo..watch_hi */
#define PP_HK_LINT 0x10u /* the lint category is on: ExFreePool* ask it about the block's family */
typedef struct pp_fast {
    struct pp_win win[2];
    unsigned hooks;
    /* the machine's generation while the pool is up, 0 otherwise: a
     * thread's mk_pp_tls_gen equal to it proves its TLS copies current */
    unsigned gen;
    /* gen while hooks is 0, else 0: the inline fast free's one test of both */
    unsigned gen_free;
    /* Live lookaside lists inside pool blocks lie in [watch_lo, watch_hi]
     * (lookas.c, mk_pool_watch_lookaside; PP_HK_WATCH in hooks while there
     * are any): a free of a block that may hold one goes to pp_free_full,
     * which asks lookas.c (0xC4/0xCC). watch_hi 0: none. */
    uintptr_t watch_lo, watch_hi;
} __attribute__((aligned(64))) pp_fast_t;

/* ---- state (poolpage.c) ---- */
extern PP_HIDDEN pp_fast_t mk_pp_fast;
extern PP_HIDDEN pp_region mk_pp_rg[2];
extern PP_HIDDEN pp_heap mk_pp_heaps[MK_HEAP_COUNT];
extern PP_HIDDEN atomic_uint mk_pp_gen;   /* generation the heaps belong to */
extern PP_HIDDEN atomic_int mk_pp_live;
/* Held while an exiting thread's cache goes back to the central lists and
 * while shutdown marks the pool down (mk_pp_live 0): no flush into lists
 * shutdown frees. Never destroyed. */
extern PP_HIDDEN pthread_mutex_t mk_pp_life_lock;
extern PP_HIDDEN atomic_size_t mk_pp_nsegs, mk_pp_nbig_pages, mk_pp_nsmall_pages, mk_pp_meta_bytes;
extern PP_HIDDEN MK_TLS pp_tcache *mk_pp_tls;
/* Copies of mk_pp_tls->bins and ->gen for the fast paths: independent
 * TLS loads instead of a chain through mk_pp_tls. Set only by
 * mk_pp_bins_slow, and only while no verifier option is on (mk_rt.verifier
 * is fixed for a machine's life), so that the fast allocation needs no
 * verifier test; cleared whenever the bins they point to are freed. */
extern PP_HIDDEN MK_TLS pp_bin *mk_pp_tls_bins[MK_HEAP_COUNT];
extern PP_HIDDEN MK_TLS unsigned mk_pp_tls_gen;
/* The same bins, set only while no verifier option is on at all: what the
 * DDIs' inline fast paths (mk_pp_alloc_inline) pop from, so that they need
 * no test of the verifier's hooks. */
extern PP_HIDDEN MK_TLS pp_bin *mk_pp_tls_fbins[MK_HEAP_COUNT];
extern PP_HIDDEN uint32_t mk_pp_class_size[PP_NCLASS];
extern PP_HIDDEN uint32_t mk_pp_class_recip[PP_NCLASS]; /* ceil(2^32 / size): exact division for offsets < 4096 */

static inline unsigned pp_class_of(size_t n)
{
    if (n <= 1024)
        return (unsigned)((n + 15) >> 4) - 1;
    return n <= 1360 ? 64 : 65;
}

static inline size_t pp_pidx(const pp_region *rg, const void *p) { return (size_t)((const char *)p - rg->base) >> PAGE_SHIFT; }
static inline unsigned pp_block_of(unsigned cls, size_t off)
{
    return (unsigned)(((uint64_t)off * mk_pp_class_recip[cls]) >> 32);
}

/* ---- page heap (poolseg.c); heap lock held ---- */
/* Maps `npages` of fresh frames at va, in physically contiguous runs of at
 * most PP_BIG_RUN (halving on failure). 0, or -1 with nothing mapped. */
PP_HIDDEN int mk_pp_map_runs(pp_heap *h, char *va, size_t npages, unsigned prot);
PP_HIDDEN void mk_pp_unmap_runs(char *va, size_t npages);
PP_HIDDEN void mk_pp_seg_release(pp_heap *h, int32_t s);
PP_HIDDEN char *mk_pp_pages_take(pp_heap *h, unsigned n); /* a run of 1..16 pages, or NULL */
PP_HIDDEN void mk_pp_pages_put(pp_heap *h, char *va, unsigned n);

/* ---- small pages (poolsmall.c) ---- */
/* Fills dst with up to `want` free blocks of class cls and their metadata
 * words. Returns the count (0 when memory is exhausted). */
PP_HIDDEN unsigned mk_pp_refill(pp_heap *h, unsigned cls, pp_slot *dst, unsigned want);
/* Moves the `count` oldest blocks of a thread bin to the central list. */
PP_HIDDEN void mk_pp_flush_bin(pp_heap *h, unsigned cls, pp_bin *b, unsigned count);
/* Memory is short: free small pages and free segments go back. Returns
 * what was freed (pages + segments). */
PP_HIDDEN size_t mk_pp_reclaim(void);

/* ---- per-thread caches (pooltcache.c) ---- */
PP_HIDDEN pp_bin *mk_pp_bins_slow(mk_pool_heap h);
static inline pp_bin *pp_bins(mk_pool_heap h)
{
    pp_tcache *tc = mk_pp_tls;
    if (MK_LIKELY(tc && tc->gen == atomic_load_explicit(&mk_pp_gen, memory_order_relaxed) && tc->bins[h]))
        return tc->bins[h];
    return mk_pp_bins_slow(h);
}

/* ---- big allocations (poolbig.c) ---- */
PP_HIDDEN void *mk_pp_big_alloc(mk_pool_heap hid, size_t bytes, ULONG tag);
PP_HIDDEN void mk_pp_big_free(pp_region *rg, pp_page *pg, char *va);

/* ---- the DDIs' inline fast paths (expool.c) ----
 * ExAllocatePool2/WithTag and ExFreePool/WithTag run these inline, with the
 * checker off, before anything else: a small block from this thread's cache,
 * a valid free of a small block into it. They change nothing until every
 * check has passed; 0/NULL sends the call, untouched, to its DDI's full
 * path (every check, every report, the verifier). What they write is this
 * thread's own: its bins, its tag counter entry and the metadata word of
 * the block it now owns; the shared line mk_pp_fast is only read. */

/* Adds v to a counter of this thread's tag table: the table's only writer,
 * so one add to memory, not a locked one (a reader's 8-byte load sees the
 * old or the new value, as with mk_pt_add). */
static inline __attribute__((always_inline)) void pp_count(_Atomic int64_t *c, int64_t v)
{
#if defined(__x86_64__)
    __asm__("addq %1, %0" : "+m"(*(int64_t *)c) : "er"(v));
#else
    mk_pt_add(c, v);
#endif
}

/* A block of 1..1024 bytes of heap h from `bins` (this thread's), counted
 * under `tag`, or NULL (not uninitialised memory: no block was taken) for
 * the full path. The caller has done the DDI's own checks (arguments,
 * IRQL, tag characters). */
static inline __attribute__((always_inline)) void *pp_alloc_from(pp_bin *bins, mk_pool_heap h, size_t bytes,
                                                                 ULONG tag)
{
    size_t cls = (bytes - 1) >> 4;
    if (MK_UNLIKELY(bytes - 1 >= 1024 || !bins))
        return NULL;
    unsigned n = bins->n[cls];
    /* Never NULL (pooltag.c); other tags: the full path. (mk_pp_tls_fbins
     * needs no generation test: a machine's shutdown empties the tags of
     * every thread's counter entries, and an entry of the next machine is
     * made only by pt_table_slow, which drops that bins copy of an earlier
     * machine; so an entry with the tag proves the bins current and the
     * machine up. mk_pp_alloc_hooked tests it for mk_pp_tls_bins.) */
    mk_pt_entry *e = mk_pt_last;
    if (MK_UNLIKELY(n == 0 || atomic_load_explicit(&e->tag, memory_order_relaxed) != tag))
        return NULL;
    bins->n[cls] = (uint16_t)--n;
    pp_slot *s = &bins->slot[cls][n];
    char *p = s->p;
    if (!p)
        __builtin_unreachable(); /* a cached block: NULL stays "take the full path" */
    *s->m = tag | ((uint64_t)bytes << 32);
    int paged = mk_heap_is_paged(h);
    pp_count(&e->allocs[paged], 1);
    pp_count(&e->bytes[paged], (int64_t)bytes);
    return p;
}

/* The DDIs' inline fast path: no verifier option on (the bins copy
 * mk_pp_tls_fbins). */
static inline __attribute__((always_inline)) void *mk_pp_alloc_inline(mk_pool_heap h, size_t bytes, ULONG tag)
{
    return pp_alloc_from(mk_pp_tls_fbins[h], h, bytes, tag);
}

/* Their next step with a verifier option on that leaves the pool's fast
 * paths in place (mk_pp_tls_bins, checked against the pool's generation):
 * the caller then tells the verifier (mk_pp_allocated). */
static inline __attribute__((always_inline)) void *mk_pp_alloc_hooked(mk_pool_heap h, size_t bytes, ULONG tag)
{
    if (MK_UNLIKELY(mk_pp_tls_gen != atomic_load_explicit(&mk_pp_gen, memory_order_relaxed)))
        return NULL;
    return pp_alloc_from(mk_pp_tls_bins[h], h, bytes, tag);
}

/* After mk_pp_alloc_hooked (or mk_pool_alloc's fast path): zeroes the
 * block when flags has MK_POOL_ZERO, then mk_pp_allocated (a tail call). */
PP_HIDDEN void *mk_pp_alloc_done(void *p, size_t bytes, ULONG tag, unsigned flags, void *caller);

/* mk_pool_free while Pool Tracking is the only hook (mk_pp_fast.hooks
 * PP_HK_TRACKING: no I/O verification, lint or live lookaside list in
 * pool): the fast free with no call before its last, the hook. `want`: the
 * tag to check, 0 for none. */
#define PP_HK_TRACKING (PP_HK_ALLOC | PP_HK_FREE)
PP_HIDDEN void mk_pp_free_tracked(void *p, ULONG want, void *caller);

/* After mk_pp_alloc_hooked: the verifier's hook when it asked to
 * see every fast allocation (Pool Tracking records the block; a tail call,
 * so that its stack walk finds the driver's frame first). Returns p. */
static inline __attribute__((always_inline)) void *mk_pp_allocated(void *p, size_t bytes, ULONG tag, void *caller)
{
    if (__atomic_load_n(&mk_pp_fast.hooks, __ATOMIC_RELAXED) & PP_HK_ALLOC)
        return mk_verifier_pool_allocated_fast(p, bytes, tag, caller);
    return p;
}

/* Frees p if it is a live small block (of tag `want`, 0 = any) that this
 * thread's cache has room for, the IRQL allowed and its tag this thread's
 * last counted: 1. Otherwise 0, with nothing changed. `tracked` (a
 * constant): 0 for the DDIs' inline path (no hook on: the bins copy
 * mk_pp_tls_fbins, gen_free); 1 for mk_pool_free's copy under Pool
 * Tracking and no other hook (mk_pp_tls_bins, gen), whose caller then
 * tells the verifier. */
static inline __attribute__((always_inline)) int mk_pp_free_small(void *p, ULONG want, int tracked)
{
    size_t paged = 0;
    size_t off = (uintptr_t)p - mk_pp_fast.win[0].base;
    if (MK_UNLIKELY(off >= mk_pp_fast.win[0].span)) {
        off = (uintptr_t)p - mk_pp_fast.win[1].base;
        paged = 1;
        if (MK_UNLIKELY(off >= mk_pp_fast.win[1].span))
            return 0;
    }
    if (MK_UNLIKELY(mk_irql() > DISPATCH_LEVEL - (int)paged ||
                    mk_pp_tls_gen != __atomic_load_n(tracked ? &mk_pp_fast.gen : &mk_pp_fast.gen_free,
                                                     __ATOMIC_RELAXED)))
        return 0; /* a hook on (gen_free 0), IRQL, another machine's cache */
    const pp_page *pg = &mk_pp_fast.win[paged].pages[off >> PAGE_SHIFT];
    unsigned cls = pg->cls;
    size_t in = off & (PAGE_SIZE - 1);
    /* in = bi * bsize + r: with recip = ceil(2^32 / bsize), bsize <= 2048
     * and in < 4096, the low half of in * recip is below recip exactly
     * when r is 0 (it is at most bi * (bsize * recip - 2^32) < 4096 < recip
     * then, and at least recip otherwise), so the start of a block is
     * recognised without the block size */
    uint64_t q = (uint64_t)in * pg->recip;
    unsigned bi = (unsigned)(q >> 32);
    pp_bin *bins = tracked ? mk_pp_tls_bins[pg->heap] : mk_pp_tls_fbins[pg->heap];
    if (MK_UNLIKELY(pg->kind != PP_SMALL || (uint32_t)q >= pg->recip || bi >= pg->nblocks || !bins ||
                    bins->n[cls] >= PP_TC_CAP))
        return 0;
    uint64_t *mp = pg->meta + bi;
    uint64_t m = *mp;
    ULONG have = (ULONG)m;
    if (MK_UNLIKELY((m >> 32) == 0 || (want != 0 && want != have)))
        return 0;
    mk_pt_entry *e = mk_pt_last;
    if (MK_UNLIKELY(atomic_load_explicit(&e->tag, memory_order_relaxed) != have))
        return 0;
    *mp = have; /* free; the tag stays for reports */
    unsigned n = bins->n[cls];
    bins->slot[cls][n].p = p;
    bins->slot[cls][n].m = mp;
    bins->n[cls] = (uint16_t)(n + 1);
    /* the paged region holds the paged heap only */
    pp_count(&e->frees[paged], 1);
    pp_count(&e->freed[paged], (int64_t)(m >> 32));
    return 1;
}

static inline __attribute__((always_inline)) int mk_pp_free_inline(void *p, ULONG want)
{
    return mk_pp_free_small(p, want, 0);
}

#endif /* MK_MM_POOLPAGE_H */
