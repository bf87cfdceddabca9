/*
 * mk_pool.h -- the executive pool as seen by the other layers (I/O manager,
 * port layers, verifier).
 *
 *   expool.c    ExAllocatePool* / ExFreePool* (argument, IRQL and tag checks)
 *   poolpage.c  the allocator itself: 64 KiB segments of the MK_RGN_NPOOL /
 *               MK_RGN_PPOOL regions, 4 KiB pages of one size class each,
 *               side metadata, per-thread caches, big (page) allocations
 *   pooltag.c   poolmon-style tag accounting (per thread, merged on read)
 *   lookas.c    lookaside lists
 *
 * Every pool allocation of every DDI goes through mk_pool_alloc and every
 * free through mk_pool_free: that is the one place to hook special pool,
 * fault injection and pool tracking. (ExAllocatePool2/WithTag and
 * ExFreePool/WithTag first try the allocator's fast path inline, from
 * src/mm/poolpage.h; it runs only while no verifier option is on.)
 */
#ifndef MK_POOL_H
#define MK_POOL_H

#include "mk_base.h"
#include "mk_machine.h"

/* The three heaps. NX and executable non-paged pool share MK_RGN_NPOOL but
 * never a page (executable pages are mapped with MK_PG_EXEC). */
typedef enum mk_pool_heap {
    MK_HEAP_NONPAGED_NX = 0, /* NonPagedPoolNx, POOL_FLAG_NON_PAGED */
    MK_HEAP_NONPAGED_EXEC,   /* NonPagedPool(Execute), POOL_FLAG_NON_PAGED_EXECUTE */
    MK_HEAP_PAGED,           /* PagedPool, POOL_FLAG_PAGED */
    MK_HEAP_COUNT
} mk_pool_heap;

/* mk_pool_alloc flags */
#define MK_POOL_ZERO 0x1u          /* zero the block */
#define MK_POOL_CACHE_ALIGNED 0x2u /* start on a 64-byte boundary */
/* The block is mdlkit's own allocation for a DDI that already asked the
 * verifier about fault injection (IoAllocateMdl's MDL, for instance): the
 * verifier must not inject a second, pool-level failure for it. */
#define MK_POOL_INTERNAL 0x4u
/* On failure raise STATUS_INSUFFICIENT_RESOURCES instead of returning NULL
 * (POOL_FLAG_RAISE_ON_FAILURE, POOL_RAISE_IF_ALLOCATION_FAILURE). */
#define MK_POOL_RAISE 0x8u

/* Small blocks (<= MK_POOL_SMALL_MAX bytes) come from pages of one size class
 * and are 16-byte aligned; bigger requests get whole pages (page aligned). */
#define MK_POOL_SMALL_MAX 2048u

/* 0 = non-paged, 1 = paged: the "pool type" of bug-check parameters and of
 * the tag accounting columns. */
static inline int mk_heap_is_paged(mk_pool_heap h) { return h == MK_HEAP_PAGED; }

/* Allocates `bytes` (>= 1) from heap h and counts it under `tag` (non-zero).
 * No argument or IRQL checks (expool.c does them). Returns NULL when memory
 * (frames, address space or mappings) is exhausted. `priority` is the
 * EX_POOL_PRIORITY (for special pool), `caller` the driver's return address. */
void *mk_pool_alloc(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller);

/* Frees a pool block. Performs every automatic check (in this order):
 * address in no pool (0xC2/0x40 user address, 0x42 anything else), IRQL
 * (0xC2/0x09), not the start of a block (0x99 non-paged, 0x41286 paged),
 * never allocated (0x41 non-paged, 0x50 paged), double free (0x07), and,
 * when check_tag is set and tag != 0, the tag (0xC2/0x0A). Under any
 * verifier option the 0xC4 equivalents are raised instead (docs/ddi-notes.md
 * "Pool"). */
void mk_pool_free(void *p, ULONG tag, int check_tag, void *caller);

/* Which pool a pointer's address belongs to: 0 non-paged, 1 paged, -1 none.
 * O(1), no lookup of the block. */
static inline int mk_pool_kind_of(const void *p)
{
    const char *c = (const char *)p;
    if (c >= mk_as.rgn_base[MK_RGN_NPOOL] && c < mk_as.rgn_end[MK_RGN_NPOOL])
        return 0;
    if (c >= mk_as.rgn_base[MK_RGN_PPOOL] && c < mk_as.rgn_end[MK_RGN_PPOOL])
        return 1;
    return -1;
}

typedef struct mk_pool_block {
    void *base;       /* start of the block (what the allocator returned) */
    size_t size;      /* bytes requested */
    size_t capacity;  /* bytes usable (size class or whole pages) */
    ULONG tag;
    mk_pool_heap heap;
    int big;          /* 1: whole pages */
} mk_pool_block;

/* Is p inside a live (allocated) pool block? Returns 1 and fills *out
 * (if non-NULL), else 0. Lock-free; the answer is racy only if another
 * thread frees the block concurrently. */
int mk_pool_lookup(const void *p, mk_pool_block *out);
/* lookas.c keeps the range [lo, hi] where live lookaside lists lie inside
 * pool blocks (hi 0: none); the pool sends a free of a block that may hold
 * one through mk_lookas_check_free (0xC4/0xCC) before freeing it. */
void mk_pool_watch_lookaside(uintptr_t lo, uintptr_t hi);
void mk_lookas_check_free(const void *p);
void mk_lookas_reset(void); /* at pool start-up and shutdown: no live lists */

/* The DDI-level routines with all of ExAllocatePoolWithTag's checks, for
 * layers that allocate on behalf of a driver (StorPortAllocatePool,
 * NdisAllocateMemoryWithTagPriority, the lookaside default allocate):
 * PoolType may carry POOL_RAISE_IF_ALLOCATION_FAILURE. */
void *mk_ex_allocate(POOL_TYPE type, SIZE_T bytes, ULONG tag, ULONG priority, int zero, void *caller);
/* ExFreePoolWithTag(p, tag) (tag 0 = no tag check) on behalf of `caller`. */
void mk_ex_free(void *p, ULONG tag, void *caller);

/* ---- tag accounting (pooltag.c) ----
 * Each thread counts into its own table (single writer: relaxed loads and
 * stores, no read-modify-write); readers merge. The fast path is inline: a
 * per-thread direct-mapped cache of 8 tag -> counter pointers, valid while
 * its generation matches the machine's. */
typedef struct mk_pt_entry {
    _Atomic ULONG tag; /* 0 = empty slot */
    /* [0] non-paged, [1] paged; outstanding bytes = bytes - freed: an
     * allocation and a free add to different counters, so that a thread's
     * alloc+free pairs make no chain of read-modify-writes on one word */
    _Atomic int64_t allocs[2], frees[2], bytes[2], freed[2];
} mk_pt_entry;

#define MK_PT_CACHE 8
extern atomic_uint mk_pt_gen;                       /* generation of the tag tables */
extern MK_TLS unsigned mk_pt_cache_gen;             /* generation mk_pt_cache belongs to */
extern MK_TLS mk_pt_entry *mk_pt_cache[MK_PT_CACHE]; /* this thread's entries by tag hash */
extern MK_TLS mk_pt_entry *mk_pt_last;              /* the last one used (one of mk_pt_cache; never NULL) */

void mk_pooltag_count_slow(ULONG tag, int paged, int64_t allocs, int64_t frees, int64_t bytes);
/* Empties this thread's counter cache (poolpage.c calls it whenever its own
 * thread cache is created or changes generation). */
void mk_pooltag_thread_reset(void);

static inline void mk_pt_add(_Atomic int64_t *c, int64_t v)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v, memory_order_relaxed);
}

/* gen_known: the caller has checked that this thread's pool cache belongs to
 * the current machine, and mk_pooltag_thread_reset ran when it was made, so
 * no cached entry can be of an earlier machine. */
static inline mk_pt_entry *mk_pt_cached(ULONG tag, int gen_known)
{
    /* the last entry first: its load does not wait for the tag (on a free
     * the tag comes from a metadata load) */
    mk_pt_entry *e = mk_pt_last;
    if (MK_UNLIKELY(!e || atomic_load_explicit(&e->tag, memory_order_relaxed) != tag)) {
        e = mk_pt_cache[(tag * 0x9E3779B1u) >> 29];
        if (!e || atomic_load_explicit(&e->tag, memory_order_relaxed) != tag)
            return NULL;
        mk_pt_last = e;
    }
    if (!gen_known && MK_UNLIKELY(mk_pt_cache_gen != atomic_load_explicit(&mk_pt_gen, memory_order_relaxed)))
        return NULL;
    return e;
}

static inline void mk_pooltag_count_alloc(ULONG tag, int paged, size_t bytes, int gen_known)
{
    mk_pt_entry *e = mk_pt_cached(tag, gen_known);
    if (MK_LIKELY(e != NULL)) {
        mk_pt_add(&e->allocs[paged], 1);
        mk_pt_add(&e->bytes[paged], (int64_t)bytes);
        return;
    }
    mk_pooltag_count_slow(tag, paged, 1, 0, (int64_t)bytes);
}

static inline void mk_pooltag_count_free(ULONG tag, int paged, size_t bytes, int gen_known)
{
    mk_pt_entry *e = mk_pt_cached(tag, gen_known);
    if (MK_LIKELY(e != NULL)) {
        mk_pt_add(&e->frees[paged], 1);
        mk_pt_add(&e->freed[paged], (int64_t)bytes);
        return;
    }
    mk_pooltag_count_slow(tag, paged, 0, 1, -(int64_t)bytes);
}

static inline void mk_pooltag_alloc(ULONG tag, int paged, size_t bytes) { mk_pooltag_count_alloc(tag, paged, bytes, 0); }
static inline void mk_pooltag_free(ULONG tag, int paged, size_t bytes) { mk_pooltag_count_free(tag, paged, bytes, 0); }
int mk_pooltag_init(void);
/* One tag's counts merged over all threads (mdlkit_pool_usage_tag without
 * the entry checks: the verifier's counters read it). */
int mk_pooltag_usage(ULONG tag, mdlkit_pool_tag_usage *out);
/* Outstanding allocations and their bytes, every tag and both pools, over
 * all threads, without merging per tag (the fuzzing runtime's per-input
 * check, src/rt/fuzz.c). */
void mk_pooltag_totals(int64_t *outstanding, int64_t *bytes);
void mk_pooltag_shutdown(void);

/* ---- page layer start/stop (poolpage.c), called by mk_pool_init ---- */
int mk_poolpage_init(void);
void mk_poolpage_shutdown(void);

/* Memory use of the allocator (for mdlkit_pool_memory and the benchmark). */
typedef struct mk_pool_memstat {
    size_t segments;        /* 64 KiB segments mapped */
    size_t big_pages;       /* pages in dedicated big mappings */
    size_t small_pages;     /* pages carved into size-class blocks */
    size_t metadata_bytes;  /* host memory touched for side metadata */
} mk_pool_memstat;
void mk_pool_memstat_get(mk_pool_memstat *out);

#endif /* MK_POOL_H */
