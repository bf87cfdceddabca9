/*
 * poolbig.c -- big pool allocations (poolpage.h): more than the largest size
 * class, in whole pages -- a run inside a segment up to 64 KiB, a mapping
 * of its own beyond.
 */
#define _GNU_SOURCE
#include "poolpage.h"

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

void *mk_pp_big_alloc(mk_pool_heap hid, size_t bytes, ULONG tag)
{
    pp_heap *h = &mk_pp_heaps[hid];
    if (bytes > h->rg->npages * PAGE_SIZE)
        return NULL;
    size_t npages = (bytes + PAGE_SIZE - 1) >> PAGE_SHIFT;
    char *va = NULL;
    for (int attempt = 0; attempt < 2 && !va; attempt++) {
        if (npages <= PP_SEG_PAGES) {
            pthread_mutex_lock(&h->lock);
            va = mk_pp_pages_take(h, (unsigned)npages);
            pthread_mutex_unlock(&h->lock);
            if (va)
                pp_mark_big(h->rg, va, npages, hid, 0, tag, bytes);
        } else {
            va = mk_va_alloc(h->rgn, npages, PP_SEG_PAGES);
            if (va && mk_pp_map_runs(h, va, npages, h->prot) != 0) {
                mk_va_free(h->rgn, va, npages);
                va = NULL;
            }
            if (va)
                pp_mark_big(h->rg, va, npages, hid, 1, tag, bytes);
        }
        if (!va && (attempt > 0 || mk_pp_reclaim() == 0))
            break;
    }
    if (va)
        atomic_fetch_add_explicit(&mk_pp_nbig_pages, npages, memory_order_relaxed);
    return va;
}

void mk_pp_big_free(pp_region *rg, pp_page *pg, char *va)
{
    pp_heap *h = &mk_pp_heaps[pg->heap];
    size_t npages = pg->npages;
    size_t pidx = pp_pidx(rg, va);
    int dedicated = pg->dedicated;
    pg->size = 0;
    pg->kind = PP_FREE;
    for (size_t i = 1; i < npages; i++)
        rg->pages[pidx + i].kind = PP_FREE;
    atomic_fetch_sub_explicit(&mk_pp_nbig_pages, npages, memory_order_relaxed);
    if (dedicated) {
        mk_pp_unmap_runs(va, npages);
        mk_va_free(h->rgn, va, npages);
    } else {
        pthread_mutex_lock(&h->lock);
        mk_pp_pages_put(h, va, (unsigned)npages);
        pthread_mutex_unlock(&h->lock);
    }
}
