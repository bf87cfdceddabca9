/*
 * tracking.c -- Pool Tracking (option 0x8): the records, and the pool hooks.
 * The leak checks that read them are in leaks.c (vf_tracking.h).
 *
 * Every outstanding pool block (MDLs and IRPs are pool blocks with their own
 * tags), MDL whose pages are locked, system mapping, shared-memory block and
 * contiguous allocation has a record: what it is, its size and tag, the
 * driver whose code made it (mk_self.driver; NULL = the process itself) and
 * the allocating stack (a frame-pointer walk from the driver's own frame:
 * MK_VF_USER_FRAMES = 3, the driver's allocating line and up to 2 of its
 * callers (mk_vf_capture, mk_verifier.h); table records and report copies put one pc of
 * mdlkit's in front, MK_VF_TR_INNER; a caller whose frame is not found:
 * mk_capture_stack, up to 8 frames).
 *
 * Cost (the pool's fast paths run with it: mk_vf_pool_allocated_fast
 * and an inline drop; the MDL cache's, inline: mk_verifier_cached_alloc /
 * mk_verifier_cached_free): no lock, no malloc and no read-modify-write
 * per pool block.
 *   - A pool block's record lives in a shadow array over the two pools
 *     (MK_RGN_NPOOL .. MK_RGN_PPOOL): one 64-byte record (mk_vf_srec: tag,
 *     driver, 5 frames, sequence number) per 16 bytes of address, reserved
 *     MAP_NORESERVE, so only the pages of records in use cost memory. Track
 *     = fill the block's record under its sequence number; untrack = one
 *     store (addr = NULL). A bitmap notes the shadow pages ever written
 *     (an atomic OR the first time only); leak checks scan those pages and
 *     copy live records under their sequence number, taking the size from
 *     the pool (mk_pool_lookup).
 *   - Everything else -- the other kinds, special pool blocks, a block whose
 *     record is in use, a caller whose frame was not found (the 8-frame
 *     mk_capture_stack), or no shadow (mmap refused) -- gets a 120-byte
 *     record (mk_vf_trec) from a per-thread free list (refilled / spilled a
 *     batch at a time under one mutex) in a hash table with striped mutexes
 *     (skipped while it is empty).
 *   - The counters are per thread (counters.c).
 * A leak check (unload, shutdown) walks the table and the shadow.
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
 * JSON report's "leaks". Reported allocations are marked (shadow records:
 * bit 1 of seq; table records: dropped), so a caught leak bug check is
 * raised once.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"
#include "vf_shadow.h"
#include "vf_tracking.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Per-thread free list of records. */
typedef struct tr_tcache {
    unsigned gen; /* tr_gen the records belong to */
    unsigned n;
    mk_vf_trec *free;
} tr_tcache;
static MK_TLS tr_tcache tr_tls;

static atomic_uint tr_gen = 1;  /* bumped when the records are freed (0: a new thread) */
mk_vf_trec **mk_vf_tr_buckets;
mk_vf_tr_stripe mk_vf_tr_stripes[MK_VF_TR_STRIPES];
atomic_long mk_vf_tr_table_n;  /* records in the table */
mk_vf_shadow mk_vf_sh;           /* the shadow records (mk_verifier.h) */
static size_t tr_shadow_bytes;
size_t mk_vf_tr_sh_words;
pthread_mutex_t mk_vf_tr_scan_lock = PTHREAD_MUTEX_INITIALIZER; /* leak checks' shadow scan */

pthread_mutex_t mk_vf_tr_chunks_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_vf_trec **tr_chunks;      /* every batch of records, freed at shutdown */
static size_t tr_nchunks, tr_chunks_cap;
static mk_vf_trec *tr_spare;        /* spare records (under mk_vf_tr_chunks_lock) */
static size_t tr_nspare;
mk_vf_trec *mk_vf_tr_reported;     /* records of reported leaks (kept for P1) */
static pthread_once_t tr_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t tr_key;

const char *const mk_vf_tr_kind_name[MK_TRACK_KIND_COUNT] = {"pool", "locked_pages", "mapping", "shared_memory",
                                                              "contiguous"};

static inline unsigned tr_hash(int kind, const void *addr)
{
    uint64_t x = ((uint64_t)(uintptr_t)addr >> 4) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)kind;
    return (unsigned)(x >> 40) & (MK_VF_TR_BUCKETS - 1);
}

/* A consistent copy of a record someone else may rewrite: 1, or 0 if it
 * was being rewritten. *seq gets the sequence number copied. */
int mk_vf_tr_snapshot(const mk_vf_trec *r, mk_vf_trec *out, unsigned *seq)
{
    unsigned q1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
    if (q1 & 1)
        return 0;
    out->next = NULL;
    out->addr = MK_VF_TR_LD(r->addr);
    out->driver = MK_VF_TR_LD(r->driver);
    out->aux = MK_VF_TR_LD(r->aux);
    out->size = MK_VF_TR_LD(r->size);
    out->tag = MK_VF_TR_LD(r->tag);
    out->kind = MK_VF_TR_LD(r->kind);
    out->nframes = MK_VF_TR_LD(r->nframes);
    if (out->nframes > MK_VF_TR_FRAMES)
        out->nframes = MK_VF_TR_FRAMES;
    for (int i = 0; i < out->nframes; i++)
        out->pcs[i] = MK_VF_TR_LD(r->pcs[i]);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *seq = q1;
    return MK_VF_TR_LD(r->seq) == q1;
}

/* A thread that exits gives its free records back. */
static void tr_thread_exit(void *arg)
{
    (void)arg;
    tr_tcache *c = &tr_tls;
    pthread_mutex_lock(&mk_vf_tr_chunks_lock);
    if (c->gen == atomic_load_explicit(&tr_gen, memory_order_relaxed)) {
        while (c->free) {
            mk_vf_trec *r = c->free;
            c->free = r->next;
            r->next = tr_spare;
            tr_spare = r;
            tr_nspare++;
        }
    }
    pthread_mutex_unlock(&mk_vf_tr_chunks_lock);
    c->free = NULL;
    c->n = 0;
}

static void tr_make_key(void) { (void)pthread_key_create(&tr_key, tr_thread_exit); }

int mk_vf_tracking_init(void)
{
    mk_vf_tr_reported = NULL;
    atomic_store(&mk_vf_tr_table_n, 0);
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return 0;
    pthread_once(&tr_key_once, tr_make_key);
    mk_vf_tr_buckets = mk_table_alloc(MK_VF_TR_BUCKETS * sizeof *mk_vf_tr_buckets); /* zeroed, untouched */
    if (!mk_vf_tr_buckets) {
        fprintf(stderr, "mdlkit: pool tracking: out of host memory\n");
        return -1;
    }
    for (int i = 0; i < MK_VF_TR_STRIPES; i++)
        pthread_mutex_init(&mk_vf_tr_stripes[i].lock, NULL);
    /* The shadow: the two pools' blocks (special pool's go to the table). */
    const int rg[] = {MK_RGN_NPOOL, MK_RGN_PPOOL};
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < MK_ARRAY_SIZE(rg); i++) {
        if ((uintptr_t)mk_as.rgn_base[rg[i]] < lo)
            lo = (uintptr_t)mk_as.rgn_base[rg[i]];
        if ((uintptr_t)mk_as.rgn_end[rg[i]] > hi)
            hi = (uintptr_t)mk_as.rgn_end[rg[i]];
    }
    mk_vf_sh.lo = mk_vf_sh.hi = 0;
    mk_vf_sh.rec = NULL;
    mk_vf_sh.used = NULL;
    if (hi > lo) {
        size_t bytes = ((hi - lo) >> MK_VF_GRAIN_SHIFT) * sizeof(mk_vf_srec);
        size_t words = (bytes / 4096 + 63) / 64;
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        void *u = m != MAP_FAILED ? mk_table_alloc(words * sizeof(uint64_t)) : NULL;
        if (u) { /* else everything goes to the table: slower, still right */
            mk_vf_sh.rec = m;
            tr_shadow_bytes = bytes;
            mk_vf_sh.used = u;
            mk_vf_tr_sh_words = words;
            mk_vf_sh.lo = lo;
            mk_vf_sh.hi = hi;
        } else if (m != MAP_FAILED) {
            munmap(m, bytes);
        }
    }
    atomic_store(&mk_vf_sh.on, 1);
    return 0;
}

void mk_vf_tracking_free_all(void)
{
    atomic_store(&mk_vf_sh.on, 0);
    pthread_mutex_lock(&mk_vf_tr_chunks_lock);
    atomic_fetch_add(&tr_gen, 1); /* every thread's free list is stale */
    for (size_t i = 0; i < tr_nchunks; i++)
        free(tr_chunks[i]);
    free(tr_chunks);
    tr_chunks = NULL;
    tr_nchunks = tr_chunks_cap = 0;
    tr_spare = NULL;
    tr_nspare = 0;
    pthread_mutex_unlock(&mk_vf_tr_chunks_lock);
    mk_table_free(mk_vf_tr_buckets, MK_VF_TR_BUCKETS * sizeof *mk_vf_tr_buckets);
    mk_vf_tr_buckets = NULL;
    mk_vf_tr_reported = NULL;
    if (mk_vf_sh.rec)
        munmap((void *)mk_vf_sh.rec, tr_shadow_bytes);
    mk_vf_sh.rec = NULL;
    mk_table_free((void *)mk_vf_sh.used, mk_vf_tr_sh_words * sizeof(uint64_t));
    mk_vf_sh.used = NULL;
    mk_vf_tr_sh_words = 0;
    mk_vf_sh.lo = mk_vf_sh.hi = 0;
    atomic_store(&mk_vf_tr_table_n, 0);
}

/* The thread's free list is empty (or stale): a batch from the spares, or a
 * new one. */
static MK_NOINLINE mk_vf_trec *tr_refill(tr_tcache *c)
{
    unsigned g = atomic_load_explicit(&tr_gen, memory_order_relaxed);
    if (c->gen != g) {
        c->gen = g;
        c->free = NULL;
        c->n = 0;
        (void)pthread_setspecific(tr_key, c);
    }
    pthread_mutex_lock(&mk_vf_tr_chunks_lock);
    if (tr_nspare) {
        for (int i = 0; i < TR_BATCH && tr_spare; i++) {
            mk_vf_trec *r = tr_spare;
            tr_spare = r->next;
            tr_nspare--;
            r->next = c->free;
            c->free = r;
            c->n++;
        }
    } else {
        mk_vf_trec *batch = NULL;
        if (tr_nchunks == tr_chunks_cap) {
            size_t cap = tr_chunks_cap ? tr_chunks_cap * 2 : 64;
            mk_vf_trec **n = realloc(tr_chunks, cap * sizeof *n);
            if (n) {
                tr_chunks = n;
                tr_chunks_cap = cap;
            }
        }
        if (tr_nchunks < tr_chunks_cap)
            batch = calloc(TR_BATCH, sizeof *batch);
        if (batch) {
            tr_chunks[tr_nchunks++] = batch;
            for (int i = 0; i < TR_BATCH; i++) {
                batch[i].next = c->free;
                c->free = &batch[i];
            }
            c->n += TR_BATCH;
        }
    }
    pthread_mutex_unlock(&mk_vf_tr_chunks_lock);
    mk_vf_trec *r = c->free;
    if (r) {
        c->free = r->next;
        c->n--;
    }
    return r;
}

static inline mk_vf_trec *tr_rec_get(void)
{
    tr_tcache *c = &tr_tls;
    mk_vf_trec *r = c->free;
    if (MK_UNLIKELY(!r || c->gen != atomic_load_explicit(&tr_gen, memory_order_relaxed)))
        return tr_refill(c);
    c->free = r->next;
    c->n--;
    return r;
}

/* More than two batches on this thread's list (it frees what others
 * allocate): give one batch back. */
static MK_NOINLINE void tr_spill(tr_tcache *c)
{
    mk_vf_trec *head = c->free, *tail = head;
    for (int i = 1; i < TR_BATCH; i++)
        tail = tail->next;
    c->free = tail->next;
    c->n -= TR_BATCH;
    pthread_mutex_lock(&mk_vf_tr_chunks_lock);
    tail->next = tr_spare;
    tr_spare = head;
    tr_nspare += TR_BATCH;
    pthread_mutex_unlock(&mk_vf_tr_chunks_lock);
}

static inline void tr_rec_put(mk_vf_trec *r)
{
    tr_tcache *c = &tr_tls;
    unsigned g = atomic_load_explicit(&tr_gen, memory_order_relaxed);
    if (MK_UNLIKELY(c->gen != g)) {
        c->gen = g;
        c->free = NULL;
        c->n = 0;
        (void)pthread_setspecific(tr_key, c);
    }
    r->next = c->free;
    c->free = r;
    if (MK_UNLIKELY(++c->n > 2 * TR_BATCH))
        tr_spill(c);
}

static void tr_table_insert(mk_vf_trec *r)
{
    unsigned h = tr_hash(MK_VF_TR_LD(r->kind), mk_vf_tr_addr(r));
    mk_vf_tr_stripe *s = &mk_vf_tr_stripes[h % MK_VF_TR_STRIPES];
    pthread_mutex_lock(&s->lock);
    r->next = mk_vf_tr_buckets[h];
    mk_vf_tr_buckets[h] = r;
    atomic_fetch_add_explicit(&mk_vf_tr_table_n, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
}

/* ---- shadow records ----
 * A pool block's shadow record has one writer at a time: the thread that
 * owns the block (pool blocks are 16-byte aligned, so two live blocks never
 * share a record); leak checks only read it, and set the reported bit of
 * `seq` with a compare-and-swap under mk_vf_tr_scan_lock. */

/* A consistent copy of a live shadow record as a table record (kind pool,
 * the size the pool knows): 1, or 0 if none / being rewritten. *seq gets
 * the sequence number copied. */
int mk_vf_tr_sh_snapshot(const mk_vf_srec *s, mk_vf_trec *out, unsigned *seq)
{
    unsigned q1 = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
    if (q1 & 1)
        return 0;
    memset(out, 0, sizeof *out);
    out->addr = MK_VF_TR_LD(s->addr);
    out->driver = MK_VF_TR_LD(s->driver);
    out->tag = MK_VF_TR_LD(s->tag);
    out->kind = MK_TRACK_POOL;
    out->pcs[0] = MK_VF_TR_INNER;
    int n = 0;
    while (n < MK_VF_SFRAMES && (out->pcs[n + 1] = MK_VF_TR_LD(s->pcs[n])) != NULL)
        n++;
    out->nframes = (uint8_t)(n + 1);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *seq = q1;
    if (MK_VF_TR_LD(s->seq) != q1 || !out->addr)
        return 0;
    mk_pool_block b;
    if (!mk_pool_lookup(out->addr, &b) || b.base != out->addr)
        return 0; /* freed meanwhile */
    out->size = b.size;
    return 1;
}

/* Removes the table record of (kind, addr) and hands it to the caller, or
 * NULL. With check_tag a record whose tag differs stays (a free with the
 * wrong tag is about to bug check and keeps the block). */
mk_vf_trec *mk_vf_tr_take(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag)
{
    if (!atomic_load_explicit(&mk_vf_tr_table_n, memory_order_relaxed) || !mk_vf_tr_buckets)
        return NULL;
    unsigned h = tr_hash(kind, addr);
    mk_vf_tr_stripe *s = &mk_vf_tr_stripes[h % MK_VF_TR_STRIPES];
    mk_vf_trec *found = NULL;
    pthread_mutex_lock(&s->lock);
    for (mk_vf_trec **pp = &mk_vf_tr_buckets[h]; *pp; pp = &(*pp)->next) {
        mk_vf_trec *r = *pp;
        if (mk_vf_tr_addr(r) == addr && MK_VF_TR_LD(r->kind) == kind) {
            if (!(check_tag && tag && MK_VF_TR_LD(r->tag) != tag)) {
                *pp = r->next;
                atomic_fetch_sub_explicit(&mk_vf_tr_table_n, 1, memory_order_relaxed);
                found = r;
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (found && kind == MK_TRACK_POOL && found->driver)
        mk_vf_dstat_add(found->driver, found->paged, found->size, -1); /* the driver's counts */
    return found;
}

/* ---- the allocating stack ----
 * With the driver's return address known (`caller`: the DDI's
 * __builtin_return_address(0)), the walk starts at the DDI's frame when the
 * layer passed it (the MDL cache), else skips mdlkit's frames up to the one
 * that returns there, without storing them, and records MK_VF_USER_FRAMES
 * frames from there: the first is the driver's line, the others its
 * callers'. (Copies for reports put MK_VF_TR_INNER in front.)
 * Unknown or not found: mk_capture_stack. The walk stays inside this
 * thread's stack (as mk_capture_stack does): a caller compiled without
 * frame pointers ends it, never a crash. */
_Static_assert(1 + MK_VF_USER_FRAMES <= MK_VF_TR_FRAMES, "a record holds the frames");
MK_TLS uintptr_t mk_vf_stk_hi;

static MK_NOINLINE void tr_stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            mk_vf_stk_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    if (!mk_vf_stk_hi) {
        uintptr_t here = (uintptr_t)__builtin_frame_address(0);
        mk_vf_stk_hi = here + ((uintptr_t)8 << 20);
    }
}

/* The whole stack from the hook's caller (mdlkit's frames included). */
static MK_NOINLINE int tr_capture_all(mk_vf_trec *r)
{
    void *pcs[MK_VF_TR_FRAMES];
    int n = mk_capture_stack(pcs, MK_VF_TR_FRAMES, 2);
    for (int i = 0; i < n; i++)
        MK_VF_TR_ST(r->pcs[i], pcs[i]);
    return n;
}

/* Writes a record's contents (seqlock writer side) and its stack. */
static inline __attribute__((always_inline)) void tr_fill_here(mk_vf_trec *r, enum mk_track_kind kind, const void *addr,
                                                               size_t size, ULONG tag, const void *aux,
                                                               const void *caller)
{
    unsigned q = MK_VF_TR_LD(r->seq);
    MK_VF_TR_ST(r->seq, q + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    MK_VF_TR_ST(r->addr, addr);
    MK_VF_TR_ST(r->driver, mk_self.driver);
    MK_VF_TR_ST(r->aux, aux);
    MK_VF_TR_ST(r->size, size);
    MK_VF_TR_ST(r->tag, tag);
    MK_VF_TR_ST(r->kind, (uint8_t)kind);
    int n = mk_vf_capture(r->pcs + 1, caller, 0);
    if (n >= 0) {
        MK_VF_TR_ST(r->pcs[0], MK_VF_TR_INNER); /* a stack starts inside mdlkit */
        n++;
    } else {
        n = tr_capture_all(r);
    }
    MK_VF_TR_ST(r->nframes, (uint8_t)n);
    __atomic_store_n(&r->seq, q + 2, __ATOMIC_RELEASE);
}

/* Records (kind, addr) with the allocating stack (see mk_vf_capture). Always
 * inlined into the hook the layer called. */
static inline __attribute__((always_inline)) void tr_track(enum mk_track_kind kind, const void *addr, size_t size,
                                                           ULONG tag, const void *aux, const void *caller)
{
    if (MK_UNLIKELY(!addr || !atomic_load_explicit(&mk_vf_sh.on, memory_order_relaxed)))
        return;
    if (MK_UNLIKELY(!mk_vf_stk_hi))
        tr_stack_bounds();
    mk_vf_trec *r = tr_rec_get();
    if (MK_UNLIKELY(!r))
        return; /* out of host memory: this one goes untracked */
    tr_fill_here(r, kind, addr, size, tag, aux, caller);
    if (kind == MK_TRACK_POOL) {
        /* special pool serves both pools from one region: ask it */
        r->paged = (uint8_t)(mk_specpool_owns(addr) ? mk_vf_specpool_page_is_paged(addr) != 0
                                                     : mk_vf_is_paged_addr(addr));
        if (r->driver)
            mk_vf_dstat_add(r->driver, r->paged, size, 1);
        void *pcs[MK_VF_LOG_FRAMES] = {NULL, NULL, NULL, NULL};
        for (int i = 0; i < r->nframes && i < MK_VF_LOG_FRAMES; i++)
            pcs[i] = r->pcs[i];
        mk_vf_log_put(MK_VF_LOG_ALLOC, addr, tag, size, r->driver, pcs);
    }
    tr_table_insert(r);
}

/* Records a pool block: its shadow record, else a table record. */
static inline __attribute__((always_inline)) void tr_track_pool(const void *p, size_t size, ULONG tag,
                                                                const void *caller, uintptr_t ddi_fp)
{
    if (MK_UNLIKELY(!p || !atomic_load_explicit(&mk_vf_sh.on, memory_order_relaxed)))
        return;
    if (MK_UNLIKELY(!mk_vf_stk_hi))
        tr_stack_bounds();
    if (MK_UNLIKELY(!mk_vf_lr))
        (void)mk_vf_log_attach(); /* (a shadow record logs into this thread's ring) */
    struct mk_driver *d = mk_self.driver;
    if (d && MK_UNLIKELY(!mk_vf_dstat_ready(d)))
        mk_vf_dstat_first(d); /* (and counts for a noted driver) */
    if (MK_LIKELY(mk_vf_sh_track(p, size, tag, caller, ddi_fp)))
        return;
    tr_track(MK_TRACK_POOL, p, size, tag, NULL, caller);
}

static inline int tr_untrack(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag)
{
    if (!atomic_load_explicit(&mk_vf_sh.on, memory_order_relaxed))
        return 0;
    if (kind == MK_TRACK_POOL) {
        int d = mk_vf_sh_drop(addr, check_tag ? tag : 0);
        if (d)
            return d > 0;
    }
    mk_vf_trec *r = mk_vf_tr_take(kind, addr, tag, check_tag);
    if (!r)
        return 0;
    tr_rec_put(r);
    return 1;
}

MK_NOINLINE void mk_vf_track(int kind, const void *addr, size_t size, ULONG tag, const void *aux)
{
    tr_track((enum mk_track_kind)kind, addr, size, tag, aux, NULL);
}

MK_NOINLINE void mk_vf_untrack(int kind, const void *addr)
{
    tr_untrack((enum mk_track_kind)kind, addr, 0, 0);
}

/* The record free lists for leaks.c. */
mk_vf_trec *mk_vf_tr_rec_get(void) { return tr_rec_get(); }
void mk_vf_tr_rec_put(mk_vf_trec *r) { tr_rec_put(r); }

/* ------------------------------------------------------------------------
 * Pool hooks (mk_pool_alloc / mk_pool_free) and cached blocks (iomdl.c)
 * ---------------------------------------------------------------------- */

int mk_vf_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                           void **out)
{
    mk_vf_count_add(MK_VFC_POOL_ATTEMPTED, 1);
    if (!(flags & MK_POOL_INTERNAL) && mk_verifier_fail_now(MK_FAULT_POOL, tag, caller)) {
        mk_vf_count_add(MK_VFC_POOL_FAILED, 1);
        if (tag == MK_VF_TAG_NONE || tag == 0)
            mk_vf_count_add(MK_VFC_NO_TAG_FAILED, 1);
        *out = NULL;
        return 1;
    }
    if (mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL)) {
        void *p = mk_vf_specpool_alloc(heap, bytes, tag, flags, priority);
        if (p) {
            mk_vf_count_add(MK_VFC_POOL_SPECIAL, 1);
            /* (the pool counts the tag: pp_alloc_verified) */
            mk_vf_pool_allocated(heap, p, bytes, tag, caller);
            *out = p;
            return 1;
        }
    }
    return 0;
}

MK_NOINLINE void mk_vf_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller)
{
    (void)heap;
    (void)caller;
    if (!p) {
        mk_vf_count_add(MK_VFC_POOL_FAILED, 1);
        if (tag == MK_VF_TAG_NONE || tag == 0)
            mk_vf_count_add(MK_VFC_NO_TAG_FAILED, 1);
        return;
    }
    mk_vf_count_add(MK_VFC_POOL_SUCCEEDED, 1);
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        tr_track_pool(p, bytes, tag, caller, 0); /* (logs the allocation: !verifier 0x80) */
    else if (mk_verifier_on(MK_VF_POOL_FULL))
        mk_vf_pool_log(MK_VF_LOG_ALLOC, p, bytes, tag, caller);
}

/* The pool's tracked fast path handed out a block (a thread-cache hit:
 * it cannot fail and is never special pool): the counts of
 * mk_vf_pool_alloc + mk_vf_pool_allocated in one (blocks with
 * no tag and MDLs are counted by tag: mk_vf_counters_read), and the
 * record. */
static MK_NOINLINE void *tr_pool_allocated_cold(void *p, size_t bytes, ULONG tag, void *caller)
{
    mk_vf_count_add(MK_VFC_POOL_OK, 1);
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        tr_track_pool(p, bytes, tag, caller, 0);
    return p;
}

/* mk_vf_pool_allocated_fast's record when the shadow could not take it
 * at once: tr_track_pool, returning p (a tail call there). */
static MK_NOINLINE void *tr_pool_allocated_slow(void *p, size_t bytes, ULONG tag, void *caller)
{
    tr_track_pool(p, bytes, tag, caller, 0);
    return p;
}

MK_NOINLINE void *mk_vf_pool_allocated_fast(void *p, size_t bytes, ULONG tag, void *caller)
{
    /* the common case (counters set up, the record in the shadow) makes
     * no call; the others are tail calls */
    if (MK_UNLIKELY(!mk_vf_count_hot(MK_VFC_POOL_OK)))
        return tr_pool_allocated_cold(p, bytes, tag, caller);
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) && MK_UNLIKELY(!mk_vf_sh_track(p, bytes, tag, caller, 0)))
        return tr_pool_allocated_slow(p, bytes, tag, caller);
    return p;
}

/* The fast free in the allocate/free log: its stack is the driver's line
 * that freed (`caller`) only -- seeking the driver's frame through
 * mdlkit's would cost the free more than the rest of its tracking (the
 * slow paths record up to 3 of the driver's frames: mk_vf_pool_log). */
static inline __attribute__((always_inline)) void tr_log_free(const void *p, ULONG tag, size_t size,
                                                              const void *caller)
{
    mk_vf_log_put1(MK_VF_LOG_FREE, p, tag, size, mk_self.driver, caller);
}

/* mk_vf_pool_freed_fast for a block without a shadow record: its table
 * record goes. */
static MK_NOINLINE void tr_pool_freed_table(void *p, void *caller)
{
    mk_pool_block b;
    if (mk_pool_lookup(p, &b) == 0)
        b.tag = 0, b.size = 0;
    (void)tr_untrack(MK_TRACK_POOL, p, 0, 0);
    tr_log_free(p, b.tag, 0, caller);
}

/* The pool's fast path freed a valid block (its tag matched): its shadow
 * record goes (one store, and the driver's counts), else its table record;
 * the free goes to the allocate/free log. */
MK_NOINLINE void mk_vf_pool_freed_fast(void *p, void *caller)
{
    mk_vf_srec *s = mk_vf_sh_slot(p);
    if (MK_LIKELY(s != NULL) && MK_LIKELY(MK_VF_LD(s->addr) == p)) {
        ULONG tag = MK_VF_LD(s->tag);
        size_t size = MK_VF_LD(s->size);
        struct mk_driver *d = MK_VF_LD(s->driver);
        __atomic_store_n(&s->addr, NULL, __ATOMIC_RELEASE);
        if (d)
            mk_vf_dstat_add(d, mk_vf_is_paged_addr(p), size, -1);
        tr_log_free(p, tag, size, caller);
        return;
    }
    tr_pool_freed_table(p, caller); /* (a tail call: the common path keeps no frame) */
}

int mk_vf_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    if (mk_verifier_on(MDLKIT_VERIFY_MISC_CHECKS))
        mk_vf_misc_check_free(p); /* live timer, DPC, ERESOURCE, work item inside: bug check */
    if (mk_verifier_on(MK_VF_LOG_FLAGS))
        mk_vf_pool_log(MK_VF_LOG_FREE, p, 0, tag, caller); /* !verifier 0x80 */
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
    /* (a normal block's record is dropped by the pool once every check of
     * the free has passed: mk_verifier_untrack in pp_free_full -- a caught
     * bug check must leave the block tracked) */
    return 0;
}

/* A block handed out of a layer's own cache (mk_verifier_cached_alloc)
 * that the common path could not finish: the count when the thread had no
 * counters yet (`counted` 0), the stack bounds, then the shadow again, else
 * the table. */
static MK_NOINLINE void tr_cached_alloc_slow(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame,
                                             int counted)
{
    if (!counted)
        mk_vf_count_add(tag == MK_MDL_TAG ? MK_VFC_MDL_OK : MK_VFC_POOL_OK, 1);
    tr_track_pool(p, bytes, tag, caller, (uintptr_t)ddi_frame);
}

/* The hooks behind mk_verifier_cached_alloc / mk_verifier_cached_free
 * (Pool Tracking on). The common cases -- counters set up, record in the
 * shadow -- make no further call. */
void mk_vf_cached_alloc(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame)
{
    int counted = mk_vf_count_hot(tag == MK_MDL_TAG ? MK_VFC_MDL_OK : MK_VFC_POOL_OK);
    if (MK_LIKELY(counted) && MK_LIKELY(mk_vf_sh_track(p, bytes, tag, caller, (uintptr_t)ddi_frame)))
        return;
    tr_cached_alloc_slow(p, bytes, tag, caller, ddi_frame, counted);
}

/* The cached free's stack for the log: the return addresses of the 4
 * frames above the hook's (mdlkit's MDL free and IoFreeMdl among them,
 * which the log's readers leave out; the driver's line and its caller
 * after them). Frame pointers: the walk stops at one outside this
 * thread's stack. Always inlined, so frame 0 is the hook's. */
static inline __attribute__((always_inline)) void tr_log_cached_free(const void *p, ULONG tag, size_t size)
{
    void *pcs[MK_VF_LOG_FRAMES] = {NULL, NULL, NULL, NULL};
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0), next;
    const uintptr_t top = mk_vf_stk_hi - 2 * sizeof(void *); /* (known: the allocation's record learnt it) */
    _Static_assert(MK_VF_LOG_FRAMES == 4, "four frames walked");
#define TR_STEP(i)                                                                  \
    __builtin_memcpy(&pcs[i], (const void *)(fp + sizeof(void *)), sizeof pcs[i]); \
    __builtin_memcpy(&next, (const void *)fp, sizeof next);                         \
    if (next <= fp || next > top)                                                   \
        goto done;                                                                  \
    fp = next;
    TR_STEP(0)
    TR_STEP(1)
    TR_STEP(2)
    __builtin_memcpy(&pcs[3], (const void *)(fp + sizeof(void *)), sizeof pcs[3]);
#undef TR_STEP
done:
    mk_vf_log_put(MK_VF_LOG_FREE, p, tag, size, mk_self.driver, pcs);
}

static MK_NOINLINE int tr_cached_free_table(void *p, ULONG tag)
{
    if (!tr_untrack(MK_TRACK_POOL, p, tag, 1))
        return 0; /* (the pool checks the free, and logs it) */
    tr_log_cached_free(p, tag, 0);
    return 1;
}

int mk_vf_cached_free(void *p, ULONG tag)
{
    /* mk_vf_sh_drop, with the size kept for the log */
    mk_vf_srec *s = mk_vf_sh_slot(p);
    if (MK_UNLIKELY(s == NULL) || MK_UNLIKELY(MK_VF_LD(s->addr) != p))
        return tr_cached_free_table(p, tag);
    if (MK_UNLIKELY(MK_VF_LD(s->tag) != tag))
        return 0; /* the record stays; the pool checks the free */
    struct mk_driver *d = MK_VF_LD(s->driver);
    size_t size = MK_VF_LD(s->size);
    __atomic_store_n(&s->addr, NULL, __ATOMIC_RELEASE);
    if (d)
        mk_vf_dstat_add(d, mk_vf_is_paged_addr(p), size, -1);
    tr_log_cached_free(p, tag, size);
    return 1;
}
