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


/* ---- state (poolpage.c) ---- */
extern PP_HIDDEN pp_region mk_pp_rg[2];
extern PP_HIDDEN pp_heap mk_pp_heaps[MK_HEAP_COUNT];
extern PP_HIDDEN atomic_uint mk_pp_gen;   /* generation the heaps belong to */
extern PP_HIDDEN atomic_int mk_pp_live;
extern PP_HIDDEN atomic_size_t mk_pp_nsegs, mk_pp_nbig_pages, mk_pp_nsmall_pages, mk_pp_meta_bytes;
extern PP_HIDDEN MK_TLS pp_tcache *mk_pp_tls;
/* Copies of mk_pp_tls->bins and ->gen for the fast paths: independent
 * TLS loads instead of a chain through mk_pp_tls. Set only by
 * mk_pp_bins_slow, and only while no verifier option is on (mk_rt.verifier
 * is fixed for a machine's life), so that the fast allocation needs no
 * verifier test; cleared whenever the bins they point to are freed. */
extern PP_HIDDEN MK_TLS pp_bin *mk_pp_tls_bins[MK_HEAP_COUNT];
extern PP_HIDDEN MK_TLS unsigned mk_pp_tls_gen;
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

#endif /* MK_MM_POOLPAGE_H */
