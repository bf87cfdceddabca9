/*
 * specpool.c -- Driver Verifier's special pool (option 0x1).
 *
 * The whole MK_RGN_SPECIAL region is taken at start-up and cut into slots
 * of two pages: a data page and a guard page that is never mapped. Every
 * data page therefore has a no-access page on both sides (the previous
 * slot's guard before it). A small allocation (< PAGE_SIZE) gets one fresh
 * frame mapped at the data page of the next free slot:
 *
 *   end-aligned (default, "Verify End"): the block ends within 15 bytes of
 *   the guard (16-byte alignment kept), so the first byte past the 16-byte
 *   rounded end faults: 0xD6 at the faulting instruction;
 *   start-aligned (the *SpecialPoolUnderrun priorities): the block starts
 *   at the page start, so an underrun faults.
 *
 * The rest of the page holds a fill pattern checked at free: bytes before
 * the block corrupted -> 0xC1 P4 0x23, bytes after it -> 0xC1 P4 0x24.
 * A freed block's frame is released and its data page left unmapped; slots
 * are handed out round-robin, so a freed page stays inaccessible until the
 * cursor comes round again (a FIFO quarantine of every slot not in use:
 * tens of thousands of pages). A touch of it is 0xD5.
 *
 * Falls back to normal pool (returns NULL) when the request is not
 * selected (tag/size), >= PAGE_SIZE, or special pool is exhausted (slots,
 * frames or the mapping budget).
 */
#include "mk_base.h"
#include "mk_machine.h"
#include "mk_pool.h"
#include "mk_verifier.h"
#include "vf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SP_FILL 0xB7u  /* fill byte of the unused part of a special-pool page */
#define SP_NEVER 0
#define SP_LIVE 1
#define SP_FREED 2
#define SP_BUSY 3      /* being set up or torn down */

typedef struct sp_slot {
    _Atomic uint8_t state;
    uint8_t heap;
    uint16_t offset;   /* block start within the data page */
    uint32_t size;     /* bytes requested */
    ULONG tag;
    uint32_t pfn;
} sp_slot;

static char *sp_base;          /* start of the slots (page aligned) */
static size_t sp_nslots;
static sp_slot *sp_slots;
static size_t sp_cursor, sp_live, sp_cap;
static pthread_mutex_t sp_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t sp_live_paged; /* live paged slots (the trim skips its scan at 0) */
static size_t sp_high;              /* slots below this have been used (under sp_lock) */
static ULONG sp_sel_tag, sp_sel_size; /* selection: mdlkit_config special_pool_tag / _size */

int mk_vf_specpool_init(void)
{
    sp_base = NULL;
    sp_nslots = 0;
    sp_slots = NULL;
    sp_cursor = sp_live = sp_high = 0;
    atomic_store(&sp_live_paged, 0);
    if (!mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL))
        return 0;
    sp_sel_tag = mk_rt.cfg.special_pool_tag;
    sp_sel_size = mk_rt.cfg.special_pool_size;
    size_t pages = (size_t)(mk_as.rgn_end[MK_RGN_SPECIAL] - mk_as.rgn_base[MK_RGN_SPECIAL]) >> PAGE_SHIFT;
    pages &= ~(size_t)1;
    if (pages < 4)
        return 0;
    sp_base = mk_va_alloc(MK_RGN_SPECIAL, pages, 2);
    if (!sp_base) {
        fprintf(stderr, "mdlkit: special pool: cannot reserve its region; special pool is off\n");
        return 0;
    }
    sp_nslots = pages / 2;
    sp_slots = calloc(sp_nslots, sizeof *sp_slots);
    if (!sp_slots) {
        mk_va_free(MK_RGN_SPECIAL, sp_base, pages);
        sp_base = NULL;
        sp_nslots = 0;
        return 0;
    }
    /* Live blocks: at most a quarter of RAM and half of the mapping budget
     * (each block is one mapping), the rest stays for the machine. */
    sp_cap = sp_nslots - 1;
    if (sp_cap > mk_phys.npages / 4)
        sp_cap = mk_phys.npages / 4;
    if (sp_cap > (size_t)mk_as.maps_budget / 2)
        sp_cap = (size_t)mk_as.maps_budget / 2;
    return 0;
}

void mk_vf_specpool_shutdown(void)
{
    if (!sp_slots)
        return;
    for (size_t i = 0; i < sp_nslots; i++)
        if (sp_slots[i].state == SP_LIVE) {
            mk_va_unmap(sp_base + (i << (PAGE_SHIFT + 1)), 1);
            mk_phys_free(sp_slots[i].pfn, 1);
        }
    mk_va_free(MK_RGN_SPECIAL, sp_base, sp_nslots * 2);
    free(sp_slots);
    sp_slots = NULL;
    sp_base = NULL;
    sp_nslots = 0;
}

static inline char *sp_page(size_t i) { return sp_base + (i << (PAGE_SHIFT + 1)); }

void *mk_vf_specpool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority)
{
    if (!sp_slots || bytes == 0 || bytes >= PAGE_SIZE)
        return NULL;
    if ((sp_sel_tag || sp_sel_size) && !((sp_sel_tag && tag == sp_sel_tag) || (sp_sel_size && bytes == sp_sel_size)))
        return NULL;
    int start_aligned = (priority & 8) && (priority & 1); /* *SpecialPoolUnderrun */
    size_t align = (flags & MK_POOL_CACHE_ALIGNED) ? 64 : 16;
    size_t rounded = (bytes + align - 1) & ~(align - 1);
    if (rounded > PAGE_SIZE)
        return NULL;
    size_t offset = start_aligned ? 0 : PAGE_SIZE - rounded;

    pthread_mutex_lock(&sp_lock);
    if (sp_live >= sp_cap) {
        pthread_mutex_unlock(&sp_lock);
        return NULL;
    }
    size_t i = sp_cursor, tries = 0;
    while (sp_slots[i].state == SP_LIVE || sp_slots[i].state == SP_BUSY) {
        if (++i == sp_nslots)
            i = 0;
        if (++tries == sp_nslots) {
            pthread_mutex_unlock(&sp_lock);
            return NULL;
        }
    }
    sp_cursor = i + 1 == sp_nslots ? 0 : i + 1;
    sp_slots[i].state = SP_BUSY;
    sp_live++;
    pthread_mutex_unlock(&sp_lock);

    PFN_NUMBER pfn;
    char *page = sp_page(i);
    if (mk_phys_alloc_run(1, 0, 0, 0, MK_USE_SPECIAL, &pfn) != 0)
        goto fail;
    if (mk_va_map(page, pfn, 1, MK_PG_READ | MK_PG_WRITE) != 0) {
        mk_phys_free(pfn, 1);
        goto fail;
    }
    memset(page, SP_FILL, PAGE_SIZE);
    char *p = page + offset;
    if (flags & MK_POOL_ZERO)
        memset(p, 0, bytes);
    sp_slot *s = &sp_slots[i];
    s->heap = (uint8_t)heap;
    s->offset = (uint16_t)offset;
    s->size = (uint32_t)bytes;
    s->tag = tag;
    s->pfn = (uint32_t)pfn;
    if (heap == MK_HEAP_PAGED)
        atomic_fetch_add_explicit(&sp_live_paged, 1, memory_order_relaxed);
    pthread_mutex_lock(&sp_lock);
    if (i + 1 > sp_high)
        sp_high = i + 1;
    atomic_store_explicit(&s->state, SP_LIVE, memory_order_release);
    pthread_mutex_unlock(&sp_lock);
    return p;
fail:
    pthread_mutex_lock(&sp_lock);
    sp_slots[i].state = SP_NEVER;
    sp_live--;
    pthread_mutex_unlock(&sp_lock);
    return NULL;
}

/* The slot whose data page holds p, or SIZE_MAX for a guard page. */
static size_t sp_slot_of(const void *p, int *guard)
{
    size_t idx = (size_t)((const char *)p - sp_base) >> PAGE_SHIFT;
    *guard = (int)(idx & 1);
    return idx >> 1;
}

static MK_NORETURN MK_NOINLINE void sp_bad_free(ULONG c4code, ULONG_PTR p2, ULONG_PTR p3, ULONG_PTR p4)
{
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, c4code, p2, p3, p4);
}

void mk_vf_specpool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    (void)caller;
    if (!sp_slots || (const char *)p < sp_base || (const char *)p >= sp_base + (sp_nslots << (PAGE_SHIFT + 1)))
        sp_bad_free(0x10, (ULONG_PTR)p, 0, 0); /* in the region, not a slot: never allocated */
    int guard;
    size_t i = sp_slot_of(p, &guard);
    sp_slot *s = &sp_slots[i];
    uint8_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    char *page = sp_page(i);
    if (guard || st == SP_NEVER || st == SP_BUSY)
        sp_bad_free(0x10, (ULONG_PTR)p, 0, 0);
    if (st == SP_FREED) {
        if ((char *)p == page + s->offset)
            sp_bad_free(0x13, 0, (ULONG_PTR)p, s->tag); /* double free, as the pool reports it */
        sp_bad_free(0x10, (ULONG_PTR)p, 0, 0);
    }
    char *base = page + s->offset;
    if ((char *)p != base)
        sp_bad_free(0x10, (ULONG_PTR)p, 0, 0);
    int paged = s->heap == MK_HEAP_PAGED;
    KIRQL irql = mk_irql();
    if (irql > (paged ? APC_LEVEL : DISPATCH_LEVEL))
        sp_bad_free(paged ? 0x11 : 0x12, irql, (ULONG_PTR)paged, (ULONG_PTR)p);
    if (check_tag && tag != 0 && tag != s->tag)
        mk_bugcheck(BAD_POOL_CALLER, 0x0A, (ULONG_PTR)p, s->tag, tag);
    /* The fill pattern: before the block (underrun side), then after it. */
    for (size_t k = 0; k < s->offset; k++)
        if ((unsigned char)page[k] != SP_FILL)
            mk_bugcheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)p, (ULONG_PTR)(page + k), s->size, 0x23);
    for (size_t k = s->offset + s->size; k < PAGE_SIZE; k++)
        if ((unsigned char)page[k] != SP_FILL)
            mk_bugcheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)p, (ULONG_PTR)(page + k), s->size, 0x24);

    pthread_mutex_lock(&sp_lock);
    if (s->state != SP_LIVE) { /* freed concurrently by another thread */
        pthread_mutex_unlock(&sp_lock);
        sp_bad_free(0x13, 0, (ULONG_PTR)p, s->tag);
    }
    s->state = SP_BUSY;
    pthread_mutex_unlock(&sp_lock);
    if (paged)
        atomic_fetch_sub_explicit(&sp_live_paged, 1, memory_order_relaxed);
    /* (the pool uncounts the tag: pp_free_verified) */
    mk_va_unmap(page, 1);
    mk_phys_free(s->pfn, 1);
    pthread_mutex_lock(&sp_lock);
    s->state = SP_FREED;
    sp_live--;
    pthread_mutex_unlock(&sp_lock);
}

int mk_vf_specpool_lookup(const void *p, mk_pool_block *out)
{
    if (!sp_slots || (const char *)p < sp_base || (const char *)p >= sp_base + (sp_nslots << (PAGE_SHIFT + 1)))
        return 0;
    int guard;
    size_t i = sp_slot_of(p, &guard);
    sp_slot *s = &sp_slots[i];
    if (guard || atomic_load_explicit(&s->state, memory_order_acquire) != SP_LIVE)
        return 0;
    char *base = sp_page(i) + s->offset;
    if ((const char *)p < base || (const char *)p >= base + s->size)
        return 0;
    if (out) {
        out->base = base;
        out->size = s->size;
        out->capacity = s->size;
        out->tag = s->tag;
        out->heap = (mk_pool_heap)s->heap;
        out->big = 0;
    }
    return 1;
}

int mk_vf_specpool_page_is_paged(const void *p)
{
    if (!sp_slots || (const char *)p < sp_base || (const char *)p >= sp_base + (sp_nslots << (PAGE_SHIFT + 1)))
        return 0;
    int guard;
    size_t i = sp_slot_of(p, &guard);
    sp_slot *s = &sp_slots[i];
    return !guard && atomic_load_explicit(&s->state, memory_order_acquire) == SP_LIVE && s->heap == MK_HEAP_PAGED;
}

/* ------------------------------------------------------------------------
 * Force IRQL Checking (0x2) with special pool: live paged blocks are
 * trimmed like paged pool (irqlforce.c) when a thread raises to
 * DISPATCH_LEVEL; a touch at >= DISPATCH_LEVEL is 0xD1, below it the page
 * is paged back in. Only the data page of the block is concerned.
 * ---------------------------------------------------------------------- */
void mk_vf_specpool_trim_paged(void)
{
    if (!sp_slots || atomic_load_explicit(&sp_live_paged, memory_order_relaxed) == 0)
        return;
    pthread_mutex_lock(&sp_lock);
    for (size_t i = 0; i < sp_high; i++) {
        sp_slot *s = &sp_slots[i];
        if (atomic_load_explicit(&s->state, memory_order_relaxed) != SP_LIVE || s->heap != MK_HEAP_PAGED)
            continue;
        char *page = sp_page(i);
        size_t idx = mk_va_index(page);
        if ((mk_as.bits[idx] & (MK_PG_MAPPED | MK_PG_TRIMMED)) != MK_PG_MAPPED)
            continue;
        if (mk_pfn_locks(mk_as.pfn[idx]) != 0)
            continue; /* locked by an MDL: resident */
        mk_va_protect(page, 1, 0, MK_PG_TRIMMED);
    }
    pthread_mutex_unlock(&sp_lock);
}

/* A touch of a trimmed data page: 0xD1 at >= DISPATCH_LEVEL, else page in. */
static int sp_trimmed_fault(char *page, void *addr, int write, void *pc)
{
    KIRQL irql = mk_irql();
    if (irql >= DISPATCH_LEVEL) {
        ULONG_PTR how = pc == addr ? 8 : (write ? 1 : 0);
        mk_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)addr, irql, how, (ULONG_PTR)pc);
    }
    pthread_mutex_lock(&sp_lock);
    if ((mk_as.bits[mk_va_index(page)] & (MK_PG_MAPPED | MK_PG_TRIMMED)) == (MK_PG_MAPPED | MK_PG_TRIMMED))
        mk_va_protect(page, 1, MK_PG_READ | MK_PG_WRITE, 0);
    pthread_mutex_unlock(&sp_lock);
    return 1;
}

int mk_vf_specpool_fault(void *addr, int write, void *pc)
{
    if (!sp_slots || (char *)addr < sp_base || (char *)addr >= sp_base + (sp_nslots << (PAGE_SHIFT + 1)))
        return 0;
    int guard;
    size_t i = sp_slot_of(addr, &guard);
    uint8_t st = atomic_load_explicit(&sp_slots[i].state, memory_order_acquire);
    if (!guard && st == SP_LIVE && (mk_as.bits[mk_va_index(sp_page(i))] & MK_PG_TRIMMED))
        return sp_trimmed_fault(sp_page(i), addr, write, pc);
    ULONG code = DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION;
    if (!guard) {
        if (st == SP_FREED)
            code = DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL;
    } else {
        /* the guard after slot i and before slot i+1 */
        uint8_t next = i + 1 < sp_nslots ? atomic_load_explicit(&sp_slots[i + 1].state, memory_order_acquire)
                                         : SP_NEVER;
        if (st != SP_LIVE && next != SP_LIVE && (st == SP_FREED || next == SP_FREED))
            code = DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL;
    }
    mk_bugcheck(code, (ULONG_PTR)addr, (ULONG_PTR)(write != 0), (ULONG_PTR)pc, 0);
}
