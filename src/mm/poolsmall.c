/*
 * poolsmall.c -- small pages of the pool (poolpage.h): a page holds blocks of one
 * size class; its metadata words (tag and size per block) live in an arena
 * beside the memory. The central free lists (one per heap and class) feed
 * the per-thread caches a batch at a time; reclaim gives fully free pages
 * and segments back when memory is short.
 */
#define _GNU_SOURCE
#include "poolpage.h"

#include <stdlib.h>
#include <string.h>

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
    unsigned size = mk_pp_class_size[cls];
    unsigned nb = PAGE_SIZE / size;
    if (pp_central_reserve(c, nb))
        return -1;
    pp_region *rg = h->rg;
    size_t units;
    uint64_t *meta = pp_meta_get(rg, nb, &units);
    if (!meta)
        return -1;
    pthread_mutex_lock(&h->lock);
    char *page = mk_pp_pages_take(h, 1);
    pthread_mutex_unlock(&h->lock);
    if (!page) {
        pp_meta_put(rg, meta, units);
        return -1;
    }
    size_t pidx = pp_pidx(rg, page);
    pp_page *pg = &rg->pages[pidx];
    pg->kind = PP_SMALL;
    pg->cls = (uint8_t)cls;
    pg->heap = (uint8_t)(h - mk_pp_heaps);
    pg->dedicated = 0;
    pg->nblocks = (uint16_t)nb;
    pg->scratch = 0;
    pg->bsize = size;
    pg->recip = mk_pp_class_recip[cls];
    pg->npages = (uint32_t)units; /* small: metadata run length in units */
    memset(meta, 0, units * PP_META_UNIT * sizeof(uint64_t));
    pg->meta = meta;
    /* pushed highest first so that blocks are handed out in address order */
    for (unsigned i = nb; i-- > 0;)
        c->v[c->n++] = page + (size_t)i * size;
    atomic_fetch_add_explicit(&mk_pp_nsmall_pages, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&mk_pp_meta_bytes, units * PP_META_UNIT * sizeof(uint64_t), memory_order_relaxed);
    return 0;
}

/* Gives fully free small pages of heap h back to its page heap: first this
 * thread's cached blocks go back to the central lists, then every page all
 * of whose blocks are on a central list is released. Returns pages freed. */
static size_t pp_reclaim_heap(pp_heap *h)
{
    pp_tcache *tc = mk_pp_tls;
    int hid = (int)(h - mk_pp_heaps);
    if (tc && tc->gen == atomic_load_explicit(&mk_pp_gen, memory_order_relaxed) && tc->bins[hid])
        for (unsigned cls = 0; cls < PP_NCLASS; cls++)
            if (tc->bins[hid]->n[cls])
                mk_pp_flush_bin(h, cls, tc->bins[hid], tc->bins[hid]->n[cls]);
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
        atomic_fetch_sub_explicit(&mk_pp_meta_bytes, meta_words * sizeof(uint64_t), memory_order_relaxed);
        pthread_mutex_unlock(&c->lock);
        if (nfreed) {
            pthread_mutex_lock(&h->lock);
            for (size_t i = 0; i < nfreed; i++)
                mk_pp_pages_put(h, freed[i], 1);
            pthread_mutex_unlock(&h->lock);
            atomic_fetch_sub_explicit(&mk_pp_nsmall_pages, nfreed, memory_order_relaxed);
        }
        total += nfreed;
        free(freed);
    }
    return total;
}

/* Memory is short: reclaim free small pages of every heap, then give every
 * fully free segment back to the machine so that any heap (or another
 * layer) can use the frames. Returns what was freed (pages + segments). */
size_t mk_pp_reclaim(void)
{
    size_t total = 0;
    for (int i = 0; i < MK_HEAP_COUNT; i++) {
        pp_heap *h = &mk_pp_heaps[i];
        total += pp_reclaim_heap(h);
        pthread_mutex_lock(&h->lock);
        pp_seg *sg = h->rg->segs;
        for (int32_t s = h->partial, next; s >= 0; s = next) {
            next = sg[s].next;
            if (sg[s].freemask == 0xFFFF) {
                mk_pp_seg_release(h, s);
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
unsigned mk_pp_refill(pp_heap *h, unsigned cls, pp_slot *dst, unsigned want)
{
    pp_region *rg = h->rg;
    unsigned size = mk_pp_class_size[cls];
    pp_central *c = &h->central[cls];
    for (int attempt = 0; attempt < 2; attempt++) {
        pthread_mutex_lock(&c->lock);
        if (c->n == 0 && pp_carve(h, c, cls) != 0) {
            pthread_mutex_unlock(&c->lock);
            if (attempt == 0 && mk_pp_reclaim() > 0)
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
void mk_pp_flush_bin(pp_heap *h, unsigned cls, pp_bin *b, unsigned count)
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
