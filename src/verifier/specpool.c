/*
 * specpool.c -- Driver Verifier's special pool (option 0x1).
 *
 * The whole MK_RGN_SPECIAL region is taken at start-up and cut into slots
 * of two pages: a data page and a guard page that is never mapped. Every
 * data page therefore has a no-access page on both sides (the previous
 * slot's guard before it). A small allocation (< PAGE_SIZE) gets the data
 * page of one slot, filled with a pattern, the block placed in it:
 *
 *   end-aligned (default, "Verify End"): the block ends within 15 bytes of
 *   the guard (16-byte alignment kept), so the first byte past the 16-byte
 *   rounded end faults: 0xD6 at the faulting instruction;
 *   start-aligned (the *SpecialPoolUnderrun priorities): the block starts
 *   at the page start, so an underrun faults.
 *
 * The rest of the page holds the fill pattern, checked at free: bytes
 * before the block corrupted -> 0xC1 P4 0x23, bytes after it -> 0xC1 P4
 * 0x24. A freed block's data page is made inaccessible at once (one
 * mprotect): a touch of it is 0xD5 for as long as it stays in quarantine.
 *
 * The cost (issue #20): one protection flip pair per allocation at most,
 * amortised. Slots come in groups of SP_GROUP consecutive slots whose
 * frames stay mapped while the group is in use or in quarantine:
 *
 *   - a group is armed for allocation in one step: a fresh group gets its
 *     frames mapped (one mmap each, once), a recycled one is made
 *     read-write again with ONE mprotect over its whole span. The guard
 *     pages inside the span carry guard markers (mk_va_guard,
 *     MADV_GUARD_INSTALL), so they fault whatever that mprotect does;
 *     without guard markers (kernels before 6.13) a group is one slot;
 *   - allocations take the armed group's slots in turn; a free makes its
 *     data page inaccessible (one mprotect) -- the only per-block system
 *     call;
 *   - a group whose blocks are all freed joins a FIFO quarantine of about
 *     SP_QUARANTINE pages; arming takes the oldest group once the FIFO
 *     holds that many, so a freed page stays inaccessible for about
 *     SP_QUARANTINE later frees. Past that depth (a burst of frees) the
 *     oldest groups are released in a batch: one mmap puts a group's span
 *     back to the bare reservation, its frames go back to the machine.
 *     A released page still faults (unmapped), 0xD5, until its group is
 *     armed again; fresh groups are taken round-robin across the region,
 *     so that is much later.
 * The slots of an armed group not handed out yet are accessible (READY):
 * they left quarantine when the group was armed. A recycled page is
 * refilled only where its last block was: the rest was found intact at
 * that block's free and nothing could write it since (no access) -- but
 * through another mapping of the frame (a stale MDL mapping, the direct
 * map), which then shows as 0xC1 at the next block's free.
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
#define SP_READY 4     /* in the armed group, not handed out yet: accessible */

#define SP_GROUP 8          /* slots per group with guard markers (else 1) */
#define SP_QUARANTINE 1024  /* freed pages kept inaccessible and mapped (at most) */
#define SP_SLACK 4          /* groups the quarantine may exceed its depth by before a release */

typedef struct sp_slot {
    _Atomic uint8_t state;
    uint8_t heap;
    uint16_t offset;   /* block start within the data page */
    uint8_t clean;     /* freed with its pattern intact: only the block needs refilling */
    uint32_t size;     /* bytes requested */
    ULONG tag;
    uint32_t pfn;
} sp_slot;

typedef struct sp_group {
    uint16_t live;     /* slots live (or being freed) */
    uint8_t handed;    /* slots handed out since the group was armed */
    uint8_t mapped;    /* its frames are mapped: armed, in use, queued or being released */
} sp_group;

static char *sp_base;          /* start of the slots (page aligned) */
static size_t sp_nslots;
static sp_slot *sp_slots;
static size_t sp_live, sp_cap;
static pthread_mutex_t sp_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_size_t sp_live_paged; /* live paged slots (the trim skips its scan at 0) */
static size_t sp_high;              /* slots below this have been used (under sp_lock) */
static ULONG sp_sel_tag, sp_sel_size; /* selection: mdlkit_config special_pool_tag / _size */
/* Groups (all under sp_lock). */
static size_t sp_k;                 /* slots per group: SP_GROUP, or 1 without guard markers */
static size_t sp_ngroups;
static sp_group *sp_groups;
static size_t sp_armed;             /* the group being handed out, SIZE_MAX if none */
static size_t sp_gcursor;           /* where the search for a fresh group starts */
static size_t sp_mapped_groups, sp_gcap; /* groups with frames mapped, and their cap */
static uint32_t *sp_fifo;           /* the quarantine: a ring of group numbers, oldest first */
static size_t sp_fifo_cap, sp_fifo_head, sp_fifo_len;
static size_t sp_qgroups;           /* quarantine depth in groups */
static unsigned char sp_fill_page[PAGE_SIZE];

static inline char *sp_page(size_t i) { return sp_base + (i << (PAGE_SHIFT + 1)); }
static inline char *sp_group_va(size_t g) { return sp_page(g * sp_k); }
/* The span one mprotect arms: from the first data page to the last. */
static inline size_t sp_span_pages(void) { return 2 * sp_k - 1; }

static void sp_tables_free(void)
{
    mk_table_free(sp_slots, sp_nslots * sizeof *sp_slots);
    mk_table_free(sp_groups, sp_ngroups * sizeof *sp_groups);
    mk_table_free(sp_fifo, sp_fifo_cap * sizeof *sp_fifo);
}

int mk_vf_specpool_init(void)
{
    sp_base = NULL;
    sp_nslots = 0;
    sp_slots = NULL;
    sp_groups = NULL;
    sp_fifo = NULL;
    sp_live = sp_high = 0;
    sp_armed = SIZE_MAX;
    sp_gcursor = sp_mapped_groups = sp_fifo_head = sp_fifo_len = 0;
    atomic_store(&sp_live_paged, 0);
    if (!mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL))
        return 0;
    sp_sel_tag = mk_rt.cfg.special_pool_tag;
    sp_sel_size = mk_rt.cfg.special_pool_size;
    memset(sp_fill_page, SP_FILL, sizeof sp_fill_page);
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
    /* Guard markers on slot 0's guard page tell whether the host has them. */
    sp_k = sp_nslots >= 4 * SP_GROUP && mk_va_guard(sp_base + PAGE_SIZE, 1) == 0 ? SP_GROUP : 1;
    sp_ngroups = sp_nslots / sp_k;
    /* Live blocks: at most a quarter of RAM and half of the mapping budget
     * (each block is one mapping), the rest stays for the machine. */
    sp_cap = sp_nslots - 1;
    if (sp_cap > mk_phys.npages / 4)
        sp_cap = mk_phys.npages / 4;
    if (sp_cap > (size_t)mk_as.maps_budget / 2)
        sp_cap = (size_t)mk_as.maps_budget / 2;
    /* The quarantine: SP_QUARANTINE pages, at most a quarter of that cap. */
    size_t q = sp_cap / 4 < SP_QUARANTINE ? sp_cap / 4 : SP_QUARANTINE;
    sp_qgroups = q / sp_k ? q / sp_k : 1;
    /* Mapped groups: enough for sp_cap live blocks, the quarantine, its
     * slack and the armed group. */
    sp_gcap = (sp_cap + sp_k - 1) / sp_k + sp_qgroups + SP_SLACK + 1;
    if (sp_gcap > sp_ngroups)
        sp_gcap = sp_ngroups;
    sp_fifo_cap = sp_gcap + 1;
    /* zeroed tables mapped from the host: a slot's or group's page is
     * touched only when special pool uses it (mk_table_alloc) */
    sp_slots = mk_table_alloc(sp_nslots * sizeof *sp_slots);
    sp_groups = mk_table_alloc(sp_ngroups * sizeof *sp_groups);
    sp_fifo = mk_table_alloc(sp_fifo_cap * sizeof *sp_fifo);
    if (!sp_slots || !sp_groups || !sp_fifo) {
        sp_tables_free();
        sp_slots = NULL;
        sp_groups = NULL;
        sp_fifo = NULL;
        mk_va_free(MK_RGN_SPECIAL, sp_base, pages);
        sp_base = NULL;
        sp_nslots = 0;
        return 0;
    }
    return 0;
}

/* Unmaps a group's span (guard markers and all: the bare reservation again)
 * and gives its frames back. Its slots keep their state (FREED: a touch is
 * still 0xD5). */
static void sp_group_unmap(size_t g)
{
    PFN_NUMBER pfns[SP_GROUP];
    for (size_t k = 0; k < sp_k; k++)
        pfns[k] = sp_slots[g * sp_k + k].pfn;
    mk_va_unmap(sp_group_va(g), 2 * sp_k);
    mk_phys_free_list(pfns, sp_k);
}

void mk_vf_specpool_shutdown(void)
{
    if (!sp_slots)
        return;
    /* sp_mapped_groups counts the groups marked mapped: the walk stops at
     * the last one (a machine that never used special pool walks none) */
    for (size_t g = 0, left = sp_mapped_groups; g < sp_ngroups && left; g++)
        if (sp_groups[g].mapped) {
            sp_group_unmap(g);
            left--;
        }
    if (sp_k > 1)
        mk_va_unmap(sp_base, 2); /* slot 0's guard marker, from the probe at init */
    mk_va_free(MK_RGN_SPECIAL, sp_base, sp_nslots * 2);
    sp_tables_free();
    sp_slots = NULL;
    sp_groups = NULL;
    sp_fifo = NULL;
    sp_base = NULL;
    sp_nslots = 0;
}

static void sp_fifo_push(size_t g)
{
    sp_fifo[(sp_fifo_head + sp_fifo_len) % sp_fifo_cap] = (uint32_t)g;
    sp_fifo_len++;
}

static size_t sp_fifo_pop(void)
{
    size_t g = sp_fifo[sp_fifo_head];
    sp_fifo_head = (sp_fifo_head + 1) % sp_fifo_cap;
    sp_fifo_len--;
    return g;
}

/* Maps fresh frames into the next group nothing is mapped in (round-robin
 * over the region). Under sp_lock. The group number, or SIZE_MAX. */
static size_t sp_group_fresh(void)
{
    if (sp_mapped_groups >= sp_gcap)
        return SIZE_MAX;
    size_t g = sp_gcursor;
    for (size_t tries = 0; sp_groups[g].mapped; tries++) {
        if (tries == sp_ngroups)
            return SIZE_MAX;
        if (++g == sp_ngroups)
            g = 0;
    }
    /* One run of frames if there is one: a release then frees it in one go. */
    PFN_NUMBER pfns[SP_GROUP];
    if (mk_phys_alloc_run(sp_k, 0, 0, 0, MK_USE_SPECIAL, &pfns[0]) == 0) {
        for (size_t k = 1; k < sp_k; k++)
            pfns[k] = pfns[0] + k;
    } else {
        size_t got = mk_phys_alloc_pages(sp_k, 0, 0, MK_USE_SPECIAL, pfns);
        if (got < sp_k) {
            if (got)
                mk_phys_free_list(pfns, got);
            return SIZE_MAX;
        }
    }
    char *va = sp_group_va(g);
    /* Markers on the whole span first; each data page's mapping replaces its own. */
    if (sp_k > 1 && mk_va_guard(va, 2 * sp_k) != 0)
        goto fail;
    for (size_t k = 0; k < sp_k; k++) {
        if (mk_va_map(sp_page(g * sp_k + k), pfns[k], 1, MK_PG_READ | MK_PG_WRITE) != 0) {
            mk_va_unmap(va, 2 * sp_k);
            goto fail;
        }
        sp_slots[g * sp_k + k].pfn = (uint32_t)pfns[k];
        sp_slots[g * sp_k + k].clean = 0; /* a zeroed frame */
    }
    sp_groups[g].mapped = 1;
    sp_mapped_groups++;
    sp_gcursor = g + 1 == sp_ngroups ? 0 : g + 1;
    return g;
fail:
    mk_phys_free_list(pfns, sp_k);
    return SIZE_MAX;
}

/* Arms a group for allocation: the oldest in quarantine once the
 * quarantine is full, else a fresh one, else the oldest anyway. Under
 * sp_lock. 0, or -1 when special pool is exhausted. */
static int sp_arm(void)
{
    size_t g = SIZE_MAX;
    if (sp_fifo_len < sp_qgroups)
        g = sp_group_fresh();
    if (g == SIZE_MAX) {
        if (!sp_fifo_len)
            return -1;
        g = sp_fifo_pop();
        /* One mprotect: the data pages read-write, the guards inside the
         * span keep faulting (markers). */
        if (mk_va_protect_span(sp_group_va(g), sp_span_pages(), MK_PG_READ | MK_PG_WRITE, 0) != 0) {
            sp_fifo_push(g);
            return -1;
        }
    }
    for (size_t k = 0; k < sp_k; k++)
        atomic_store_explicit(&sp_slots[g * sp_k + k].state, SP_READY, memory_order_relaxed);
    sp_groups[g].handed = 0;
    sp_groups[g].live = 0;
    sp_armed = g;
    if ((g + 1) * sp_k > sp_high)
        sp_high = (g + 1) * sp_k;
    return 0;
}

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
    if (sp_live >= sp_cap || (sp_armed == SIZE_MAX && sp_arm() != 0)) {
        pthread_mutex_unlock(&sp_lock);
        return NULL;
    }
    sp_group *g = &sp_groups[sp_armed];
    size_t i = sp_armed * sp_k + g->handed++;
    g->live++;
    if (g->handed == sp_k)
        sp_armed = SIZE_MAX;
    sp_slot *s = &sp_slots[i];
    atomic_store_explicit(&s->state, SP_BUSY, memory_order_relaxed);
    sp_live++;
    pthread_mutex_unlock(&sp_lock);

    char *page = sp_page(i);
    if (s->clean) /* the page is the pattern but for the last block: refill that */
        memset(page + s->offset, SP_FILL, s->size);
    else
        memset(page, SP_FILL, PAGE_SIZE);
    char *p = page + offset;
    if (flags & MK_POOL_ZERO)
        memset(p, 0, bytes);
    s->heap = (uint8_t)heap;
    s->offset = (uint16_t)offset;
    s->size = (uint32_t)bytes;
    s->tag = tag;
    if (heap == MK_HEAP_PAGED)
        atomic_fetch_add_explicit(&sp_live_paged, 1, memory_order_relaxed);
    atomic_store_explicit(&s->state, SP_LIVE, memory_order_release);
    return p;
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

/* The first byte of [from, from+n) of the page that is not the fill
 * pattern, or NULL (memcmp against a page of pattern, then the byte). */
static const char *sp_pattern_broken(const char *from, size_t n)
{
    if (n == 0 || memcmp(from, sp_fill_page, n) == 0)
        return NULL;
    for (size_t k = 0; k < n; k++)
        if ((unsigned char)from[k] != SP_FILL)
            return from + k;
    return NULL;
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
    if (guard || st == SP_NEVER || st == SP_BUSY || st == SP_READY)
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
    const char *bad = sp_pattern_broken(page, s->offset);
    if (bad)
        mk_bugcheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)p, (ULONG_PTR)bad, s->size, 0x23);
    bad = sp_pattern_broken(page + s->offset + s->size, PAGE_SIZE - s->offset - s->size);
    if (bad)
        mk_bugcheck(SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION, (ULONG_PTR)p, (ULONG_PTR)bad, s->size, 0x24);

    pthread_mutex_lock(&sp_lock);
    if (s->state != SP_LIVE) { /* freed concurrently by another thread */
        pthread_mutex_unlock(&sp_lock);
        sp_bad_free(0x13, 0, (ULONG_PTR)p, s->tag);
    }
    atomic_store_explicit(&s->state, SP_BUSY, memory_order_relaxed);
    pthread_mutex_unlock(&sp_lock);
    s->clean = 1; /* the pattern was checked just now */
    if (paged)
        atomic_fetch_sub_explicit(&sp_live_paged, 1, memory_order_relaxed);
    /* (the pool uncounts the tag: pp_free_verified) */
    mk_va_protect(page, 1, 0, MK_PG_GUARD); /* the frame stays: quarantine */
    size_t release[SP_SLACK + 1], nrel = 0;
    pthread_mutex_lock(&sp_lock);
    atomic_store_explicit(&s->state, SP_FREED, memory_order_release);
    sp_live--;
    size_t gi = i / sp_k;
    sp_group *g = &sp_groups[gi];
    g->live--;
    if (g->live == 0 && g->handed == sp_k)
        sp_fifo_push(gi); /* all its blocks freed: the group joins the quarantine */
    if (sp_fifo_len > sp_qgroups + SP_SLACK)
        while (sp_fifo_len > sp_qgroups && nrel < SP_SLACK + 1)
            release[nrel++] = sp_fifo_pop(); /* the oldest, out of the FIFO (still mapped) */
    pthread_mutex_unlock(&sp_lock);
    if (!nrel)
        return;
    for (size_t k = 0; k < nrel; k++)
        sp_group_unmap(release[k]);
    pthread_mutex_lock(&sp_lock);
    for (size_t k = 0; k < nrel; k++) {
        sp_groups[release[k]].mapped = 0;
        sp_mapped_groups--;
    }
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
        if (atomic_load_explicit(&s->state, memory_order_acquire) != SP_LIVE || s->heap != MK_HEAP_PAGED)
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
