/*
 * tracking.c -- Pool Tracking (option 0x8) and the pool hooks.
 *
 * Every outstanding pool block (MDLs and IRPs are pool blocks with their own
 * tags), MDL whose pages are locked, system mapping, shared-memory block and
 * contiguous allocation has a record: what it is, its size and tag, the
 * driver whose code made it (mk_self.driver; NULL = the process itself) and
 * the allocating stack (mk_capture_stack: a frame-pointer walk of up to 8
 * frames). Records live in a hash table with striped locks; a record is
 * allocated from a per-stripe free list, so tracking costs one uncontended
 * mutex, one stack walk and no system call per allocation.
 *
 * Leak checks:
 *   driver unload (mdlkit_driver_unload): everything charged to the driver;
 *   shutdown (mdlkit_shutdown): everything charged to the process and to
 *       drivers that are no longer loaded (a loaded driver still owns its
 *       memory).
 * Locked pages left behind -> 0xCB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS
 * (P1 the tracking record, P2 0, P3 the MDL, P4 pages locked); anything
 * else -> 0xC4/0x62 (P2 the driver name, P3 0, P4 the count). Each leak is
 * listed in the bug-check report (tag, size, symbolized stack) and in the
 * JSON report's "leaks". Reported records are dropped, so a caught leak bug
 * check is raised once.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TR_FRAMES 8
#define TR_STRIPES 64
#define TR_BUCKETS (1u << 16)
#define TR_BATCH 256

typedef struct tr_rec {
    struct tr_rec *next;
    const void *addr;
    const void *aux;
    size_t size;
    mk_driver *driver;
    ULONG tag;
    uint8_t kind;
    uint8_t nframes;
    void *pcs[TR_FRAMES];
} tr_rec;

typedef struct tr_stripe {
    pthread_mutex_t lock;
    tr_rec *free;
} __attribute__((aligned(64))) tr_stripe;

static tr_rec **tr_buckets;
static tr_stripe tr_stripes[TR_STRIPES];
static pthread_mutex_t tr_chunks_lock = PTHREAD_MUTEX_INITIALIZER;
static void **tr_chunks;         /* every batch of records, freed at shutdown */
static size_t tr_nchunks, tr_chunks_cap;
static tr_rec *tr_reported;      /* records of reported leaks (kept for P1) */

static const char *const tr_kind_name[MK_TRACK_KIND_COUNT] = {"pool", "locked_pages", "mapping", "shared_memory",
                                                              "contiguous"};

static inline unsigned tr_hash(int kind, const void *addr)
{
    uint64_t x = ((uint64_t)(uintptr_t)addr >> 4) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)kind;
    return (unsigned)(x >> 40) & (TR_BUCKETS - 1);
}

int mk_vf_tracking_init(void)
{
    tr_reported = NULL;
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return 0;
    tr_buckets = calloc(TR_BUCKETS, sizeof *tr_buckets);
    if (!tr_buckets) {
        fprintf(stderr, "mdlkit: pool tracking: out of host memory\n");
        return -1;
    }
    for (int i = 0; i < TR_STRIPES; i++) {
        pthread_mutex_init(&tr_stripes[i].lock, NULL);
        tr_stripes[i].free = NULL;
    }
    return 0;
}

void mk_vf_tracking_free_all(void)
{
    pthread_mutex_lock(&tr_chunks_lock);
    for (size_t i = 0; i < tr_nchunks; i++)
        free(tr_chunks[i]);
    free(tr_chunks);
    tr_chunks = NULL;
    tr_nchunks = tr_chunks_cap = 0;
    pthread_mutex_unlock(&tr_chunks_lock);
    free(tr_buckets);
    tr_buckets = NULL;
    tr_reported = NULL;
    for (int i = 0; i < TR_STRIPES; i++)
        tr_stripes[i].free = NULL;
}

/* Called with the stripe lock held. */
static tr_rec *tr_new(tr_stripe *s)
{
    if (MK_UNLIKELY(!s->free)) {
        tr_rec *batch = malloc(sizeof(tr_rec) * TR_BATCH);
        if (!batch)
            return NULL;
        pthread_mutex_lock(&tr_chunks_lock);
        if (tr_nchunks == tr_chunks_cap) {
            size_t cap = tr_chunks_cap ? tr_chunks_cap * 2 : 64;
            void **n = realloc(tr_chunks, cap * sizeof *n);
            if (!n) {
                pthread_mutex_unlock(&tr_chunks_lock);
                free(batch);
                return NULL;
            }
            tr_chunks = n;
            tr_chunks_cap = cap;
        }
        tr_chunks[tr_nchunks++] = batch;
        pthread_mutex_unlock(&tr_chunks_lock);
        for (int i = 0; i < TR_BATCH; i++) {
            batch[i].next = s->free;
            s->free = &batch[i];
        }
    }
    tr_rec *r = s->free;
    s->free = r->next;
    return r;
}

MK_NOINLINE void mk_verifier_track_slow(enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                                        const void *aux)
{
    if (!tr_buckets || !addr)
        return;
    void *pcs[TR_FRAMES];
    int n = mk_capture_stack(pcs, TR_FRAMES, 1);
    unsigned h = tr_hash(kind, addr);
    tr_stripe *s = &tr_stripes[h % TR_STRIPES];
    pthread_mutex_lock(&s->lock);
    tr_rec *r = tr_new(s);
    if (r) {
        r->addr = addr;
        r->aux = aux;
        r->size = size;
        r->driver = mk_self.driver;
        r->tag = tag;
        r->kind = (uint8_t)kind;
        r->nframes = (uint8_t)n;
        memcpy(r->pcs, pcs, (size_t)n * sizeof(void *));
        r->next = tr_buckets[h];
        tr_buckets[h] = r;
    }
    pthread_mutex_unlock(&s->lock);
}

/* Drops the record of (kind, addr); with check_tag, only if the tag agrees
 * (a free with the wrong tag is about to bug check and keeps the block). */
static void tr_untrack(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag)
{
    if (!tr_buckets)
        return;
    unsigned h = tr_hash(kind, addr);
    tr_stripe *s = &tr_stripes[h % TR_STRIPES];
    pthread_mutex_lock(&s->lock);
    for (tr_rec **pp = &tr_buckets[h]; *pp; pp = &(*pp)->next) {
        tr_rec *r = *pp;
        if (r->addr == addr && r->kind == kind) {
            if (!(check_tag && tag && r->tag != tag)) {
                *pp = r->next;
                r->next = s->free;
                s->free = r;
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

MK_NOINLINE void mk_verifier_untrack_slow(enum mk_track_kind kind, const void *addr)
{
    tr_untrack(kind, addr, 0, 0);
}

static void tr_note_stack(const tr_rec *r);
static const char *tr_leak_kind(const tr_rec *r);
static const char *tr_driver_name(const mk_driver *d);

/* A leak a port layer found itself (e.g. shared memory left at adapter
 * halt): drop the record, but first list it -- bug-check note with the
 * allocating stack, and "leaks" in the JSON report. */
MK_NOINLINE void mk_verifier_untrack_leak_slow(enum mk_track_kind kind, const void *addr)
{
    if (!tr_buckets)
        return;
    unsigned h = tr_hash(kind, addr);
    tr_stripe *s = &tr_stripes[h % TR_STRIPES];
    tr_rec copy;
    int found = 0;
    pthread_mutex_lock(&s->lock);
    for (tr_rec **pp = &tr_buckets[h]; *pp; pp = &(*pp)->next) {
        tr_rec *r = *pp;
        if (r->addr == addr && r->kind == kind) {
            copy = *r;
            found = 1;
            *pp = r->next;
            r->next = s->free;
            s->free = r;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (!found)
        return;
    char tag[24];
    mk_vf_tag_name(copy.tag, tag, sizeof tag);
    const char *drv = tr_driver_name(copy.driver);
    mk_bugcheck_note("  %-12s %p, %zu bytes (driver %s), allocated at:", tr_leak_kind(&copy), copy.addr, copy.size,
                     drv);
    tr_note_stack(&copy);
    mk_vf_frame_list st;
    st.n = copy.nframes;
    memcpy(st.pcs, copy.pcs, sizeof(void *) * (size_t)copy.nframes);
    mk_vf_report_add_leak(tr_leak_kind(&copy), drv, copy.addr, copy.size, copy.tag, &st);
}

/* ------------------------------------------------------------------------
 * Pool hooks (mk_pool_alloc / mk_pool_free)
 * ---------------------------------------------------------------------- */
#define TR_TAG_NONE 'enoN' /* "None": ExAllocatePool's tag */

int mk_verifier_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                           void **out)
{
    atomic_fetch_add_explicit(&mk_vf_count.pool_attempted, 1, memory_order_relaxed);
    if (tag == TR_TAG_NONE || tag == 0)
        atomic_fetch_add_explicit(&mk_vf_count.pool_no_tag, 1, memory_order_relaxed);
    if (!(flags & MK_POOL_INTERNAL) && mk_verifier_fail_now(MK_FAULT_POOL, tag, caller)) {
        atomic_fetch_add_explicit(&mk_vf_count.pool_failed, 1, memory_order_relaxed);
        *out = NULL;
        return 1;
    }
    if (mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL)) {
        void *p = mk_vf_specpool_alloc(heap, bytes, tag, flags, priority);
        if (p) {
            atomic_fetch_add_explicit(&mk_vf_count.pool_special, 1, memory_order_relaxed);
            /* (the pool counts the tag: pp_alloc_verified) */
            mk_verifier_pool_allocated(heap, p, bytes, tag, caller);
            *out = p;
            return 1;
        }
    }
    return 0;
}

void mk_verifier_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller)
{
    (void)heap;
    (void)caller;
    if (!p) {
        atomic_fetch_add_explicit(&mk_vf_count.pool_failed, 1, memory_order_relaxed);
        return;
    }
    atomic_fetch_add_explicit(&mk_vf_count.pool_succeeded, 1, memory_order_relaxed);
    if (tag == MK_MDL_TAG)
        atomic_fetch_add_explicit(&mk_vf_count.mdls_allocated, 1, memory_order_relaxed);
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        mk_verifier_track_slow(MK_TRACK_POOL, p, bytes, tag, NULL);
}

int mk_verifier_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    if (mk_verifier_on(MDLKIT_VERIFY_IO_CHECKING) && !(check_tag && tag == MK_IRP_TAG)) {
        /* I/O verification: an IRP (IoAllocateIrp's block) freed with
         * ExFreePool instead of IoFreeIrp, which frees with the IRP tag. */
        mk_pool_block b;
        if (mk_pool_lookup(p, &b) && b.base == p && b.tag == MK_IRP_TAG)
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x105, (ULONG_PTR)p, 0, 0);
    }
    if (mk_specpool_owns(p)) {
        mk_vf_specpool_free(p, tag, check_tag, caller); /* bug checks on misuse */
        if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
            tr_untrack(MK_TRACK_POOL, p, 0, 0);
        return 1;
    }
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        tr_untrack(MK_TRACK_POOL, p, tag, check_tag);
    return 0;
}

/* ------------------------------------------------------------------------
 * Leak checks
 * ---------------------------------------------------------------------- */
static const char *tr_driver_name(const mk_driver *d) { return d ? d->name : "the process"; }

static const char *tr_leak_kind(const tr_rec *r)
{
    if (r->kind == MK_TRACK_POOL && r->tag == MK_MDL_TAG)
        return "mdl";
    if (r->kind == MK_TRACK_POOL && r->tag == MK_IRP_TAG)
        return "irp";
    return tr_kind_name[r->kind];
}

/* Moves every record `want` selects out of the table; returns the list. */
static tr_rec *tr_collect(int (*want)(const tr_rec *, const void *), const void *arg)
{
    tr_rec *list = NULL;
    if (!tr_buckets)
        return NULL;
    for (unsigned s = 0; s < TR_STRIPES; s++) {
        pthread_mutex_lock(&tr_stripes[s].lock);
        for (unsigned h = s; h < TR_BUCKETS; h += TR_STRIPES) {
            tr_rec **pp = &tr_buckets[h];
            while (*pp) {
                tr_rec *r = *pp;
                if (want(r, arg)) {
                    *pp = r->next;
                    r->next = list;
                    list = r;
                } else {
                    pp = &r->next;
                }
            }
        }
        pthread_mutex_unlock(&tr_stripes[s].lock);
    }
    return list;
}

static void tr_note_stack(const tr_rec *r)
{
    for (int i = 0; i < r->nframes; i++) {
        char buf[256];
        mk_symbolize(r->pcs[i], buf, sizeof buf);
        if (strncmp(buf, "mk_", 3) == 0)
            continue;
        mk_bugcheck_note("        %s", buf);
    }
}

/* Lists the leaks (notes + report), then raises the bug check. Called with
 * no lock held; the records are kept on tr_reported. */
static void tr_report_leaks(tr_rec *list, const char *who)
{
    if (!list)
        return;
    size_t count = 0;
    tr_rec *locked = NULL;
    for (tr_rec *r = list; r; r = r->next) {
        count++;
        if (r->kind == MK_TRACK_LOCKED && !locked)
            locked = r;
    }
    mk_bugcheck_note("Pool Tracking: %zu resource%s still outstanding for %s:", count, count == 1 ? "" : "s",
                     who);
    tr_rec *last = NULL;
    for (tr_rec *r = list; r; r = r->next) {
        char tag[24];
        mk_vf_tag_name(r->tag, tag, sizeof tag);
        const char *kind = tr_leak_kind(r);
        const char *drv = tr_driver_name(r->driver);
        if (r->kind == MK_TRACK_LOCKED)
            mk_bugcheck_note("  %-12s MDL %p, %zu page%s locked (driver %s), locked at:", kind, r->addr, r->size,
                             r->size == 1 ? "" : "s", drv);
        else
            mk_bugcheck_note("  %-12s %p, %zu bytes, tag '%s' (driver %s), allocated at:", kind, r->addr, r->size,
                             tag, drv);
        tr_note_stack(r);
        mk_vf_frame_list st;
        st.n = r->nframes;
        memcpy(st.pcs, r->pcs, sizeof(void *) * (size_t)r->nframes);
        mk_vf_report_add_leak(kind, drv, r->addr, r->size, r->tag, &st);
        last = r;
    }
    last->next = tr_reported;
    tr_reported = list;
    if (locked)
        mk_bugcheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, (ULONG_PTR)locked, 0, (ULONG_PTR)locked->addr,
                    (ULONG_PTR)locked->size);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, (ULONG_PTR)who, 0, (ULONG_PTR)count);
}

static int tr_want_driver(const tr_rec *r, const void *d) { return r->driver == (const mk_driver *)d; }

void mk_verifier_on_driver_unload(struct mk_driver *d)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) || !d)
        return;
    tr_rec *list = tr_collect(tr_want_driver, d);
    tr_report_leaks(list, d->name);
}

static int tr_want_shutdown(const tr_rec *r, const void *arg)
{
    (void)arg;
    return !r->driver || r->driver->state != MK_DRV_LOADED;
}

void mk_vf_tracking_shutdown(void)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return;
    tr_rec *list = tr_collect(tr_want_shutdown, NULL);
    if (!list)
        return;
    /* One bug check names the first owner; every leak is listed. */
    const mk_driver *owner = list->driver;
    tr_report_leaks(list, tr_driver_name(owner));
}
