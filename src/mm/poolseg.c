/*
 * poolseg.c -- the pool's page heap (poolpage.h): each pool region grows in 64 KiB
 * segments of 16 physically contiguous frames mapped with one mk_va_map;
 * small pages and big allocations of up to a segment are runs of pages
 * taken from them, bigger ones get mappings of their own.
 */
#define _GNU_SOURCE
#include "poolpage.h"

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
int mk_pp_map_runs(pp_heap *h, char *va, size_t npages, unsigned prot)
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

void mk_pp_unmap_runs(char *va, size_t npages)
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
    if (mk_pp_map_runs(h, va, PP_SEG_PAGES, h->prot) != 0) {
        mk_va_free(h->rgn, va, PP_SEG_PAGES);
        return -1;
    }
    int32_t s = (int32_t)((size_t)(va - rg->base) >> PP_SEG_SHIFT);
    rg->segs[s].freemask = 0xFFFF;
    rg->segs[s].mapped = 1;
    rg->segs[s].heap = (uint8_t)(h - mk_pp_heaps);
    pp_partial_add(h, s);
    h->nempty++;
    atomic_fetch_add_explicit(&mk_pp_nsegs, 1, memory_order_relaxed);
    return s;
}

void mk_pp_seg_release(pp_heap *h, int32_t s)
{
    pp_region *rg = h->rg;
    char *va = rg->base + ((size_t)s << PP_SEG_SHIFT);
    pp_partial_del(h, s);
    rg->segs[s].mapped = 0;
    rg->segs[s].freemask = 0;
    mk_pp_unmap_runs(va, PP_SEG_PAGES);
    mk_va_free(h->rgn, va, PP_SEG_PAGES);
    atomic_fetch_sub_explicit(&mk_pp_nsegs, 1, memory_order_relaxed);
}

/* Takes a run of n (1..16) pages from heap h. Heap lock held. */
char *mk_pp_pages_take(pp_heap *h, unsigned n)
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
void mk_pp_pages_put(pp_heap *h, char *va, unsigned n)
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
            mk_pp_seg_release(h, s);
        else
            h->nempty++;
    }
}
