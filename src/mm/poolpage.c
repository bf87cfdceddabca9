/*
 * poolpage.c -- the pool allocator under ExAllocatePool*: the fast paths of
 * mk_pool_alloc / mk_pool_free, the automatic checks of a free,
 * mk_pool_lookup, start and stop. Segments (poolseg.c), small pages
 * (poolsmall.c), per-thread caches (pooltcache.c) and big allocations
 * (poolbig.c) are the other files of the allocator (poolpage.h).
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
 * and tell the verifier at their end (mk_pp_fast.hooks).
 *
 * With the checker off, ExAllocatePool2/WithTag and ExFreePool/WithTag do
 * not call mk_pool_alloc / mk_pool_free for the common case: the same fast
 * paths are inline in them (poolpage.h, mk_pp_alloc_inline and
 * mk_pp_free_inline, using the bins copy mk_pp_tls_fbins and the
 * generation gen_free), with no frame and no call; anything else falls to
 * the DDI's full path and from there to the functions here, unchanged.
 */
#define _GNU_SOURCE
#include "poolpage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

PP_HIDDEN pp_region mk_pp_rg[2];
/* May the pool free a valid block of tag `have` (ExFreePoolWithTag's tag
 * `want`, 0 = none) on its fast path? No when I/O verification must look at
 * it: an IRP's block freed without the IRP tag (ExFreePool instead of
 * IoFreeIrp) goes through mk_verifier_pool_free. */
static inline bool pp_free_fast_ok(ULONG have, ULONG want)
{
    return !(mk_rt.verifier & MDLKIT_VERIFY_IO_CHECKING) || have != MK_IRP_TAG || want == MK_IRP_TAG;
}
PP_HIDDEN pp_fast_t mk_pp_fast;
PP_HIDDEN pp_heap mk_pp_heaps[MK_HEAP_COUNT];
PP_HIDDEN atomic_uint mk_pp_gen;   /* generation the heaps belong to */
PP_HIDDEN atomic_int mk_pp_live;
PP_HIDDEN atomic_size_t mk_pp_nsegs, mk_pp_nbig_pages, mk_pp_nsmall_pages, mk_pp_meta_bytes;
PP_HIDDEN MK_TLS pp_tcache *mk_pp_tls;
PP_HIDDEN pthread_mutex_t mk_pp_life_lock = PTHREAD_MUTEX_INITIALIZER;
PP_HIDDEN MK_TLS pp_bin *mk_pp_tls_bins[MK_HEAP_COUNT];
PP_HIDDEN MK_TLS pp_bin *mk_pp_tls_fbins[MK_HEAP_COUNT];
PP_HIDDEN MK_TLS unsigned mk_pp_tls_gen;

PP_HIDDEN uint32_t mk_pp_class_size[PP_NCLASS];
PP_HIDDEN uint32_t mk_pp_class_recip[PP_NCLASS];

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
            n = mk_pp_refill(&mk_pp_heaps[h], cls, bins->slot[cls], PP_BATCH);
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
        p = mk_pp_big_alloc(h, bytes, tag);
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
    if (MK_UNLIKELY((uintptr_t)p <= __atomic_load_n(&mk_pp_fast.watch_hi, __ATOMIC_RELAXED)))
        mk_lookas_check_free(p); /* 0xC4/0xCC if the block holds a live lookaside list */
    if (MK_UNLIKELY(mk_rt.verifier) && pp_free_verified(p, tag, check_tag, caller))
        return;
    int paged = mk_pool_kind_of(p);
    if (MK_UNLIKELY(paged < 0))
        pp_free_not_pool(p);
    if (MK_UNLIKELY(mk_irql() > (paged ? APC_LEVEL : DISPATCH_LEVEL)))
        pp_free_irql(p, paged);
    pp_region *rg = &mk_pp_rg[paged];
    size_t off = (size_t)((char *)p - rg->base);
    size_t pidx = off >> PAGE_SHIFT;
    pp_page *pg = &rg->pages[pidx];
    if (MK_LIKELY(pg->kind == PP_SMALL)) {
        unsigned cls = pg->cls;
        unsigned bi = pp_block_of(cls, off & (PAGE_SIZE - 1));
        char *base = rg->base + (pidx << PAGE_SHIFT) + (size_t)bi * mk_pp_class_size[cls];
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
            mk_pp_flush_bin(&mk_pp_heaps[h], cls, bins, PP_BATCH);
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
        mk_pp_big_free(rg, pg, (char *)p);
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

/* The end of a fast allocation that zeroes the block or tells the verifier
 * (its tag counted): poolpage.h. */
MK_NOINLINE void *mk_pp_alloc_done(void *p, size_t bytes, ULONG tag, unsigned flags, void *caller)
{
    if (flags & MK_POOL_ZERO)
        memset(p, 0, bytes);
    if (MK_UNLIKELY(__atomic_load_n(&mk_pp_fast.hooks, __ATOMIC_RELAXED) & PP_HK_ALLOC))
        return mk_verifier_pool_allocated_fast(p, bytes, tag, caller); /* (a tail call: the hook's frame is the driver's callee) */
    return p;
}

/* The end of a fast allocation whose tag is not in this thread's counter
 * cache. */
static MK_NOINLINE void *pp_alloc_finish(char *p, size_t bytes, ULONG tag, int paged, unsigned flags, void *caller)
{
    mk_pooltag_count_alloc(tag, paged, bytes, 1);
    return mk_pp_alloc_done(p, bytes, tag, flags, caller);
}

/* The fast path: a small block from this thread's cache. One TLS base,
 * no lock, no atomic read-modify-write, no call. */
void *mk_pool_alloc(mk_pool_heap h, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller)
{
    pp_bin *bins = mk_pp_tls_bins[h];
    if (MK_UNLIKELY((flags & MK_POOL_CACHE_ALIGNED) || bytes - 1 >= 1024 || !bins ||
                    mk_pp_tls_gen != atomic_load_explicit(&mk_pp_gen, memory_order_relaxed)))
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
    if (MK_UNLIKELY(!e)) /* tail calls only: the fast path saves no registers */
        return pp_alloc_finish(p, bytes, tag, paged, flags, caller);
    mk_pt_add(&e->allocs[paged], 1);
    mk_pt_add(&e->bytes[paged], (int64_t)bytes);
    if ((flags & MK_POOL_ZERO) ||
        MK_UNLIKELY(__atomic_load_n(&mk_pp_fast.hooks, __ATOMIC_RELAXED) & PP_HK_ALLOC)) /* pool tracking and the like */
        return mk_pp_alloc_done(p, bytes, tag, flags, caller);
    return p;
}

/* The end of a fast free whose tag is not in this thread's counter cache:
 * the count, then Pool Tracking's hook when `hooks` has it. */
static MK_NOINLINE void pp_freed_slow(void *p, ULONG tag, int paged, size_t bytes, void *caller, unsigned hooks)
{
    mk_pooltag_count_slow(tag, paged, 0, 1, -(int64_t)bytes);
    if (hooks & PP_HK_FREE)
        mk_verifier_pool_freed_fast(p, caller);
}

/* The fast path: a valid free of a small block, into this thread's cache.
 * Anything unusual (special pool or fault injection on, no pool address, IRQL, big or free page,
 * interior pointer, double free, wrong tag, full or missing cache) goes to
 * pp_free_full before anything is changed. `hooks`: mk_pp_fast.hooks -- 0 in
 * mk_pool_free's own copy, whose only calls are then tail calls (it saves
 * no registers); the verifier's hooks run in pp_free_hooked's copy. */
static inline __attribute__((always_inline)) void pp_free_fast(void *p, ULONG tag, int check_tag, void *caller,
                                                               unsigned hooks)
{
    /* every use of the tag is "check_tag && tag != 0 && ...": fold it */
    ULONG want = check_tag ? tag : 0;
    int paged = 0;
    size_t off = (uintptr_t)p - mk_pp_fast.win[0].base;
    if (off >= mk_pp_fast.win[0].span) {
        off = (uintptr_t)p - mk_pp_fast.win[1].base;
        paged = 1;
        if (MK_UNLIKELY(off >= mk_pp_fast.win[1].span))
            goto full;
    }
    if (MK_UNLIKELY(mk_irql() > (paged ? APC_LEVEL : DISPATCH_LEVEL) ||
                    mk_pp_tls_gen != atomic_load_explicit(&mk_pp_gen, memory_order_relaxed)))
        goto full;
    const pp_page *pg = &mk_pp_fast.win[paged].pages[off >> PAGE_SHIFT];
    if (MK_UNLIKELY(pg->kind != PP_SMALL))
        goto full;
    unsigned cls = pg->cls;
    size_t in = off & (PAGE_SIZE - 1);
    unsigned bi = (unsigned)((in * pg->recip) >> 32);
    pp_bin *bins = mk_pp_tls_bins[pg->heap];
    if (MK_UNLIKELY(bi * pg->bsize != in || bi >= pg->nblocks || !bins || bins->n[cls] == PP_TC_CAP))
        goto full;
    uint64_t *mp = pg->meta + bi;
    uint64_t m = *mp;
    ULONG have = (ULONG)m;
    if (MK_UNLIKELY((m >> 32) == 0) || MK_UNLIKELY(want != 0 && want != have))
        goto full;
    if (hooks & (PP_HK_IO | PP_HK_WATCH)) {
        if ((hooks & PP_HK_WATCH) && (uintptr_t)p <= __atomic_load_n(&mk_pp_fast.watch_hi, __ATOMIC_RELAXED) &&
            (uintptr_t)p + pg->bsize > __atomic_load_n(&mk_pp_fast.watch_lo, __ATOMIC_RELAXED))
            goto full; /* may hold a live lookaside list */
        if ((hooks & PP_HK_IO) && !pp_free_fast_ok(have, want))
            goto full;
    }
    *mp = have; /* free; the tag stays for reports */
    unsigned n = bins->n[cls];
    bins->slot[cls][n].p = p;
    bins->slot[cls][n].m = mp;
    bins->n[cls] = (uint16_t)(n + 1);
    int tpaged = mk_heap_is_paged((mk_pool_heap)pg->heap);
    size_t bytes = (size_t)(m >> 32);
    mk_pt_entry *e = mk_pt_cached(have, 1);
    if (MK_UNLIKELY(e == NULL)) {
        pp_freed_slow(p, have, tpaged, bytes, caller, hooks); /* (a tail call) */
        return;
    }
    mk_pt_add(&e->frees[tpaged], 1);
    mk_pt_add(&e->freed[tpaged], (int64_t)bytes);
    /* Pool Tracking last, a tail call (the common free keeps no frame):
     * the block's shadow record goes (inline: one store), or its table
     * record */
    if (hooks & PP_HK_FREE)
        mk_verifier_pool_freed_fast(p, caller);
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

/* mk_pool_free with Pool Tracking the only hook (poolpage.h): the fast
 * free, then the hook; anything else pp_free_hooked. */
MK_NOINLINE MK_NO_FRAME void mk_pp_free_tracked(void *p, ULONG want, void *caller)
{
    if (MK_LIKELY(mk_pp_free_small(p, want, 1))) {
        mk_verifier_pool_freed_fast(p, caller); /* Pool Tracking: the block's record goes (a tail call) */
        return;
    }
    pp_free_hooked(p, want, want != 0, caller, PP_HK_TRACKING);
}

void mk_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    unsigned hooks = __atomic_load_n(&mk_pp_fast.hooks, __ATOMIC_RELAXED);
    if (MK_UNLIKELY(hooks != 0)) {
        if (hooks == PP_HK_TRACKING) {
            mk_pp_free_tracked(p, check_tag ? tag : 0, caller); /* (the free checks a tag only when it is not 0) */
            return;
        }
        pp_free_hooked(p, tag, check_tag, caller, hooks);
        return;
    }
    pp_free_fast(p, tag, check_tag, caller, 0);
}

int mk_pool_lookup(const void *p, mk_pool_block *out)
{
    if (MK_UNLIKELY(mk_specpool_owns(p)) && atomic_load_explicit(&mk_pp_live, memory_order_relaxed))
        return mk_specpool_lookup(p, out);
    int paged = mk_pool_kind_of(p);
    if (paged < 0 || !atomic_load_explicit(&mk_pp_live, memory_order_relaxed))
        return 0;
    pp_region *rg = &mk_pp_rg[paged];
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
        b.base = rg->base + (pidx << PAGE_SHIFT) + (size_t)bi * mk_pp_class_size[pg->cls];
        b.size = (size_t)(m >> 32);
        b.capacity = mk_pp_class_size[pg->cls];
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
    out->segments = atomic_load(&mk_pp_nsegs);
    out->big_pages = atomic_load(&mk_pp_nbig_pages);
    out->small_pages = atomic_load(&mk_pp_nsmall_pages);
    out->metadata_bytes = atomic_load(&mk_pp_meta_bytes) + out->segments * PP_SEG_PAGES * sizeof(pp_page);
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
    mk_table_free(rg->pages, rg->npages * sizeof *rg->pages);
    mk_table_free(rg->segs, (rg->nsegs ? rg->nsegs : 1) * sizeof *rg->segs);
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
    /* zeroed tables whose pages cost nothing until a segment is used */
    rg->pages = mk_table_alloc(rg->npages * sizeof *rg->pages);
    rg->segs = mk_table_alloc((rg->nsegs ? rg->nsegs : 1) * sizeof *rg->segs);
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
    /* a segment's next/prev are set when it joins its heap's partial list
     * (poolseg.c) and read only while it is on it: no -1 fill here */
    return 0;
}

int mk_poolpage_init(void)
{
    for (unsigned c = 0; c < PP_NCLASS; c++) {
        mk_pp_class_size[c] = c < 64 ? (c + 1) * 16 : (c == 64 ? 1360 : 2048);
        mk_pp_class_recip[c] = (uint32_t)((((uint64_t)1 << 32) + mk_pp_class_size[c] - 1) / mk_pp_class_size[c]);
    }
    if (((uintptr_t)mk_as.rgn_base[MK_RGN_NPOOL] & (PAGE_SIZE - 1)) ||
        ((uintptr_t)mk_as.rgn_base[MK_RGN_PPOOL] & (PAGE_SIZE - 1))) {
        fprintf(stderr, "mdlkit: pool regions are not page aligned\n");
        return -1;
    }
    if (pp_region_init(&mk_pp_rg[0], MK_RGN_NPOOL))
        return -1;
    if (pp_region_init(&mk_pp_rg[1], MK_RGN_PPOOL)) {
        pp_region_fini(&mk_pp_rg[0]);
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
        pp_heap *h = &mk_pp_heaps[i];
        memset(h, 0, sizeof *h);
        h->rg = &mk_pp_rg[def[i].rg];
        h->rgn = def[i].rgn;
        h->use = def[i].use;
        h->prot = def[i].prot;
        h->partial = -1;
        pthread_mutex_init(&h->lock, NULL);
        for (unsigned c = 0; c < PP_NCLASS; c++)
            pthread_mutex_init(&h->central[c].lock, NULL);
    }
    atomic_store(&mk_pp_nsegs, 0);
    atomic_store(&mk_pp_nbig_pages, 0);
    atomic_store(&mk_pp_nsmall_pages, 0);
    atomic_store(&mk_pp_meta_bytes, 0);
    memset(&mk_pp_fast, 0, sizeof mk_pp_fast);
    mk_lookas_reset();
    if (!(mk_rt.verifier & MK_VF_POOL_FULL)) {
        for (int k = 0; k < 2; k++)
            mk_pp_fast.win[k] =
                (struct pp_win){(uintptr_t)mk_pp_rg[k].base, (size_t)(mk_pp_rg[k].end - mk_pp_rg[k].base), mk_pp_rg[k].pages};
        if (mk_rt.verifier)
            mk_pp_fast.hooks = PP_HK_ALLOC | (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) ? PP_HK_FREE : 0) |
                            (mk_verifier_on(MDLKIT_VERIFY_IO_CHECKING) ? PP_HK_IO : 0);
        if (mk_lint_on())
            mk_pp_fast.hooks |= PP_HK_LINT;
        mk_pp_fast.gen = atomic_load(&mk_rt.generation);
        mk_pp_fast.gen_free = mk_pp_fast.hooks ? 0 : mk_pp_fast.gen;
    }
    atomic_store(&mk_pp_gen, atomic_load(&mk_rt.generation));
    atomic_store(&mk_pp_live, 1);
    /* frames short for page MDLs, user or contiguous memory: the pool's
     * empty segments go back first (issue #21) */
    mk_phys_set_shortage_handler(mk_pp_reclaim);
    return 0;
}

void mk_pool_watch_lookaside(uintptr_t lo, uintptr_t hi)
{
    __atomic_store_n(&mk_pp_fast.watch_lo, lo, __ATOMIC_RELAXED);
    __atomic_store_n(&mk_pp_fast.watch_hi, hi, __ATOMIC_RELAXED);
    unsigned hooks;
    if (hi)
        hooks = __atomic_or_fetch(&mk_pp_fast.hooks, PP_HK_WATCH, __ATOMIC_RELAXED);
    else
        hooks = __atomic_and_fetch(&mk_pp_fast.hooks, ~PP_HK_WATCH, __ATOMIC_RELAXED);
    /* the inline fast free tests gen_free only */
    __atomic_store_n(&mk_pp_fast.gen_free, hooks ? 0 : mk_pp_fast.gen, __ATOMIC_RELAXED);
}

void mk_poolpage_shutdown(void)
{
    mk_phys_set_shortage_handler(NULL);
    /* an exiting thread's cache flush ends before (or sees the pool down) */
    pthread_mutex_lock(&mk_pp_life_lock);
    atomic_store(&mk_pp_live, 0);
    pthread_mutex_unlock(&mk_pp_life_lock);
    memset(&mk_pp_fast, 0, sizeof mk_pp_fast);
    mk_lookas_reset();
    /* This thread's cache points into the machine that is going away. */
    pp_tcache *tc = mk_pp_tls;
    if (tc)
        for (int i = 0; i < MK_HEAP_COUNT; i++) {
            free(tc->bins[i]);
            tc->bins[i] = NULL;
        }
    memset(mk_pp_tls_bins, 0, sizeof mk_pp_tls_bins);
    memset(mk_pp_tls_fbins, 0, sizeof mk_pp_tls_fbins);
    for (int i = 0; i < MK_HEAP_COUNT; i++) {
        pp_heap *h = &mk_pp_heaps[i];
        for (unsigned c = 0; c < PP_NCLASS; c++) {
            free(h->central[c].v);
            h->central[c].v = NULL;
            h->central[c].n = h->central[c].cap = 0;
            pthread_mutex_destroy(&h->central[c].lock);
        }
        pthread_mutex_destroy(&h->lock);
    }
    /* the machine unmaps the regions and discards the frames */
    pp_region_fini(&mk_pp_rg[0]);
    pp_region_fini(&mk_pp_rg[1]);
}
