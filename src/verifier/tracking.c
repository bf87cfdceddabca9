/*
 * tracking.c -- Pool Tracking (option 0x8) and the pool hooks.
 *
 * Every outstanding pool block (MDLs and IRPs are pool blocks with their own
 * tags), MDL whose pages are locked, system mapping, shared-memory block and
 * contiguous allocation has a record: what it is, its size and tag, the
 * driver whose code made it (mk_self.driver; NULL = the process itself) and
 * the allocating stack (a frame-pointer walk: for pool blocks and cached
 * MDLs from the driver's own frame, 4 frames (tr_capture); else
 * mk_capture_stack, up to 8 frames).
 *
 * Cost (the pool's fast paths run with it and call
 * mk_verifier_pool_allocated_fast / mk_verifier_pool_freed_fast): no lock
 * and no malloc per allocation.
 *   - Records come from a per-thread free list; a thread refills or spills
 *     a batch at a time from a shared list (one mutex per TR_BATCH records).
 *     A record freed by another thread goes to that thread's list.
 *   - Pool blocks are found through a shadow array over the pool regions
 *     (MK_RGN_NPOOL .. MK_RGN_SPECIAL): one slot per 16 bytes of address,
 *     reserved MAP_NORESERVE, so only the pages of slots in use cost memory.
 *     Track = one store of the record into the empty slot; untrack = one
 *     store back to empty (a slot has one writer at a time: the thread that
 *     owns the block; see tr_insert). Leak checks copy live records under
 *     their sequence number instead of taking them.
 *   - Everything else -- the other kinds, a pool block outside the regions,
 *     two blocks in one 16-byte slot, or no shadow (mmap refused) -- goes to
 *     a hash table with striped mutexes (skipped while it is empty).
 *   - The counters are per thread (counters.c).
 * A leak check (unload, shutdown) walks the table and every record ever
 * made (the batches), copying the live shadow records it wants.
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
 * JSON report's "leaks". Reported allocations are marked (table records
 * dropped), so a caught leak bug
 * check is raised once.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define TR_FRAMES 8
#define TR_STRIPES 64
#define TR_BUCKETS (1u << 16)
#define TR_BATCH 128
#define TR_GRAIN_SHIFT 4 /* one shadow slot per 16 bytes (the smallest pool block) */

/* A leak check reads the records live in the shadow without owning them,
 * so every field but `next` is written and read with relaxed atomic
 * builtins (plain moves on x86), under the sequence number `seq` (odd while
 * the owner rewrites the record): a reader keeps a copy only if `seq` was
 * even and unchanged around it. */
typedef struct tr_rec {
    struct tr_rec *next; /* free list, table chain, or a collected list (owner only) */
    const void *addr;
    mk_driver *driver;
    const void *aux;
    size_t size;
    ULONG tag;
    unsigned seq;
    unsigned rep_seq; /* == seq: this allocation was reported already */
    uint8_t kind;
    uint8_t nframes;
    void *pcs[TR_FRAMES];
} tr_rec;
#define TR_LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define TR_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

typedef struct tr_stripe {
    pthread_mutex_t lock;
} __attribute__((aligned(64))) tr_stripe;

/* Per-thread free list of records. */
typedef struct tr_tcache {
    unsigned gen; /* tr_gen the records belong to */
    unsigned n;
    tr_rec *free;
} tr_tcache;
static MK_TLS tr_tcache tr_tls;

static atomic_int tr_on;        /* tracking set up for this machine */
static atomic_uint tr_gen = 1;  /* bumped when the records are freed (0: a new thread) */
static tr_rec **tr_buckets;
static tr_stripe tr_stripes[TR_STRIPES];
static atomic_long tr_table_n;  /* records in the table */
static _Atomic(tr_rec *) *tr_shadow;
static size_t tr_shadow_bytes;
static uintptr_t tr_lo, tr_hi;  /* the address range the shadow covers */

static pthread_mutex_t tr_chunks_lock = PTHREAD_MUTEX_INITIALIZER;
static tr_rec **tr_chunks;      /* every batch of records, freed at shutdown */
static size_t tr_nchunks, tr_chunks_cap;
static tr_rec *tr_spare;        /* spare records (under tr_chunks_lock) */
static size_t tr_nspare;
static tr_rec *tr_reported;     /* records of reported leaks (kept for P1) */
static pthread_once_t tr_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t tr_key;

static const char *const tr_kind_name[MK_TRACK_KIND_COUNT] = {"pool", "locked_pages", "mapping", "shared_memory",
                                                              "contiguous"};

static inline unsigned tr_hash(int kind, const void *addr)
{
    uint64_t x = ((uint64_t)(uintptr_t)addr >> 4) * 0x9E3779B97F4A7C15ULL ^ (uint64_t)kind;
    return (unsigned)(x >> 40) & (TR_BUCKETS - 1);
}

static inline _Atomic(tr_rec *) *tr_slot(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (a - tr_lo >= tr_hi - tr_lo)
        return NULL;
    return &tr_shadow[(a - tr_lo) >> TR_GRAIN_SHIFT];
}

static inline mk_driver *tr_drv(const tr_rec *r) { return TR_LD(r->driver); }
static inline const void *tr_addr(const tr_rec *r) { return TR_LD(r->addr); }

/* Writes a record's contents (seqlock writer side). */
static inline void tr_fill(tr_rec *r, enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                           const void *aux, mk_driver *drv, void *const *pcs, int n)
{
    unsigned q = TR_LD(r->seq);
    TR_ST(r->seq, q + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    TR_ST(r->addr, addr);
    TR_ST(r->driver, drv);
    TR_ST(r->aux, aux);
    TR_ST(r->size, size);
    TR_ST(r->tag, tag);
    TR_ST(r->kind, (uint8_t)kind);
    TR_ST(r->nframes, (uint8_t)n);
    for (int i = 0; i < n; i++)
        TR_ST(r->pcs[i], pcs[i]);
    __atomic_store_n(&r->seq, q + 2, __ATOMIC_RELEASE);
}

/* A consistent copy of a record someone else may rewrite: 1, or 0 if it
 * was being rewritten. *seq gets the sequence number copied. */
static int tr_snapshot(const tr_rec *r, tr_rec *out, unsigned *seq)
{
    unsigned q1 = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE);
    if (q1 & 1)
        return 0;
    out->next = NULL;
    out->addr = TR_LD(r->addr);
    out->driver = TR_LD(r->driver);
    out->aux = TR_LD(r->aux);
    out->size = TR_LD(r->size);
    out->tag = TR_LD(r->tag);
    out->kind = TR_LD(r->kind);
    out->nframes = TR_LD(r->nframes);
    if (out->nframes > TR_FRAMES)
        out->nframes = TR_FRAMES;
    for (int i = 0; i < out->nframes; i++)
        out->pcs[i] = TR_LD(r->pcs[i]);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *seq = q1;
    return TR_LD(r->seq) == q1;
}

/* A thread that exits gives its free records back. */
static void tr_thread_exit(void *arg)
{
    (void)arg;
    tr_tcache *c = &tr_tls;
    pthread_mutex_lock(&tr_chunks_lock);
    if (c->gen == atomic_load_explicit(&tr_gen, memory_order_relaxed)) {
        while (c->free) {
            tr_rec *r = c->free;
            c->free = r->next;
            r->next = tr_spare;
            tr_spare = r;
            tr_nspare++;
        }
    }
    pthread_mutex_unlock(&tr_chunks_lock);
    c->free = NULL;
    c->n = 0;
}

static void tr_make_key(void) { (void)pthread_key_create(&tr_key, tr_thread_exit); }

int mk_vf_tracking_init(void)
{
    tr_reported = NULL;
    atomic_store(&tr_table_n, 0);
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return 0;
    pthread_once(&tr_key_once, tr_make_key);
    tr_buckets = calloc(TR_BUCKETS, sizeof *tr_buckets);
    if (!tr_buckets) {
        fprintf(stderr, "mdlkit: pool tracking: out of host memory\n");
        return -1;
    }
    for (int i = 0; i < TR_STRIPES; i++)
        pthread_mutex_init(&tr_stripes[i].lock, NULL);
    /* The shadow: pool blocks are in these three regions. */
    const int rg[] = {MK_RGN_NPOOL, MK_RGN_PPOOL, MK_RGN_SPECIAL};
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < MK_ARRAY_SIZE(rg); i++) {
        if ((uintptr_t)mk_as.rgn_base[rg[i]] < lo)
            lo = (uintptr_t)mk_as.rgn_base[rg[i]];
        if ((uintptr_t)mk_as.rgn_end[rg[i]] > hi)
            hi = (uintptr_t)mk_as.rgn_end[rg[i]];
    }
    tr_lo = tr_hi = 0;
    tr_shadow = NULL;
    if (hi > lo) {
        size_t bytes = ((hi - lo) >> TR_GRAIN_SHIFT) * sizeof(tr_rec *);
        void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m != MAP_FAILED) { /* else everything goes to the table: slower, still right */
            tr_shadow = m;
            tr_shadow_bytes = bytes;
            tr_lo = lo;
            tr_hi = hi;
        }
    }
    atomic_store(&tr_on, 1);
    return 0;
}

void mk_vf_tracking_free_all(void)
{
    atomic_store(&tr_on, 0);
    pthread_mutex_lock(&tr_chunks_lock);
    atomic_fetch_add(&tr_gen, 1); /* every thread's free list is stale */
    for (size_t i = 0; i < tr_nchunks; i++)
        free(tr_chunks[i]);
    free(tr_chunks);
    tr_chunks = NULL;
    tr_nchunks = tr_chunks_cap = 0;
    tr_spare = NULL;
    tr_nspare = 0;
    pthread_mutex_unlock(&tr_chunks_lock);
    free(tr_buckets);
    tr_buckets = NULL;
    tr_reported = NULL;
    if (tr_shadow)
        munmap((void *)tr_shadow, tr_shadow_bytes);
    tr_shadow = NULL;
    tr_lo = tr_hi = 0;
    atomic_store(&tr_table_n, 0);
}

/* The thread's free list is empty (or stale): a batch from the spares, or a
 * new one. */
static MK_NOINLINE tr_rec *tr_refill(tr_tcache *c)
{
    unsigned g = atomic_load_explicit(&tr_gen, memory_order_relaxed);
    if (c->gen != g) {
        c->gen = g;
        c->free = NULL;
        c->n = 0;
        (void)pthread_setspecific(tr_key, c);
    }
    pthread_mutex_lock(&tr_chunks_lock);
    if (tr_nspare) {
        for (int i = 0; i < TR_BATCH && tr_spare; i++) {
            tr_rec *r = tr_spare;
            tr_spare = r->next;
            tr_nspare--;
            r->next = c->free;
            c->free = r;
            c->n++;
        }
    } else {
        tr_rec *batch = NULL;
        if (tr_nchunks == tr_chunks_cap) {
            size_t cap = tr_chunks_cap ? tr_chunks_cap * 2 : 64;
            tr_rec **n = realloc(tr_chunks, cap * sizeof *n);
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
    pthread_mutex_unlock(&tr_chunks_lock);
    tr_rec *r = c->free;
    if (r) {
        c->free = r->next;
        c->n--;
    }
    return r;
}

static inline tr_rec *tr_rec_get(void)
{
    tr_tcache *c = &tr_tls;
    tr_rec *r = c->free;
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
    tr_rec *head = c->free, *tail = head;
    for (int i = 1; i < TR_BATCH; i++)
        tail = tail->next;
    c->free = tail->next;
    c->n -= TR_BATCH;
    pthread_mutex_lock(&tr_chunks_lock);
    tail->next = tr_spare;
    tr_spare = head;
    tr_nspare += TR_BATCH;
    pthread_mutex_unlock(&tr_chunks_lock);
}

static inline void tr_rec_put(tr_rec *r)
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

static void tr_table_insert(tr_rec *r)
{
    unsigned h = tr_hash(TR_LD(r->kind), tr_addr(r));
    tr_stripe *s = &tr_stripes[h % TR_STRIPES];
    pthread_mutex_lock(&s->lock);
    r->next = tr_buckets[h];
    tr_buckets[h] = r;
    atomic_fetch_add_explicit(&tr_table_n, 1, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
}

/* Publishes a filled record. A pool block's slot has one writer at a time
 * (pool blocks are 16-byte aligned, so two live blocks never share a slot;
 * the thread that owns the block writes it; leak checks only read), so a
 * plain store does. A slot found in use anyway goes to the table. */
static inline void tr_insert(tr_rec *r)
{
    if (TR_LD(r->kind) == MK_TRACK_POOL) {
        _Atomic(tr_rec *) *s = tr_slot(tr_addr(r));
        if (s && !atomic_load_explicit(s, memory_order_relaxed)) {
            atomic_store_explicit(s, r, memory_order_release);
            return;
        }
    }
    tr_table_insert(r);
}

/* Removes the record of (kind, addr) and hands it to the caller, or NULL.
 * With check_tag a record whose tag differs stays (a free with the wrong
 * tag is about to bug check and keeps the block). */
static tr_rec *tr_take(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag)
{
    if (kind == MK_TRACK_POOL) {
        _Atomic(tr_rec *) *s = tr_slot(addr);
        if (s) {
            tr_rec *r = atomic_load_explicit(s, memory_order_acquire);
            if (r && tr_addr(r) == addr) {
                if (check_tag && tag && TR_LD(r->tag) != tag)
                    return NULL;
                atomic_store_explicit(s, NULL, memory_order_relaxed);
                return r;
            }
        }
    }
    if (!atomic_load_explicit(&tr_table_n, memory_order_relaxed) || !tr_buckets)
        return NULL;
    unsigned h = tr_hash(kind, addr);
    tr_stripe *s = &tr_stripes[h % TR_STRIPES];
    tr_rec *found = NULL;
    pthread_mutex_lock(&s->lock);
    for (tr_rec **pp = &tr_buckets[h]; *pp; pp = &(*pp)->next) {
        tr_rec *r = *pp;
        if (tr_addr(r) == addr && TR_LD(r->kind) == kind) {
            if (!(check_tag && tag && TR_LD(r->tag) != tag)) {
                *pp = r->next;
                atomic_fetch_sub_explicit(&tr_table_n, 1, memory_order_relaxed);
                found = r;
            }
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* ---- the allocating stack ----
 * With the driver's return address known (`caller`: the DDI's
 * __builtin_return_address(0)), the walk skips mdlkit's frames up to the
 * one that returns there, without storing them, and records the innermost
 * of them (a stack starts inside mdlkit) and, from there, TR_USER_FRAMES
 * frames: the first is the driver's line, the others its callers'.
 * Unknown or not found: mk_capture_stack. The walk stays inside this
 * thread's stack (as mk_capture_stack does): a caller compiled without
 * frame pointers ends it, never a crash. */
#define TR_USER_FRAMES 4 /* recorded from the driver's frame on (+ one of mdlkit's) */
_Static_assert(1 + TR_USER_FRAMES <= TR_FRAMES, "a record holds the frames");
#define TR_SEEK 8        /* mdlkit frames looked through for the caller's */
static MK_TLS uintptr_t tr_stk_lo, tr_stk_hi;

static MK_NOINLINE void tr_stack_bounds(void)
{
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
        if (pthread_attr_getstack(&attr, &addr, &size) == 0) {
            tr_stk_lo = (uintptr_t)addr;
            tr_stk_hi = (uintptr_t)addr + size;
        }
        pthread_attr_destroy(&attr);
    }
    if (!tr_stk_hi) {
        uintptr_t here = (uintptr_t)__builtin_frame_address(0);
        tr_stk_lo = here - 4096;
        tr_stk_hi = here + ((uintptr_t)8 << 20);
    }
}

/* The whole stack from the hook's caller (mdlkit's frames included). */
static MK_NOINLINE int tr_capture_all(tr_rec *r)
{
    void *pcs[TR_FRAMES];
    int n = mk_capture_stack(pcs, TR_FRAMES, 2);
    for (int i = 0; i < n; i++)
        TR_ST(r->pcs[i], pcs[i]);
    return n;
}

/* Writes the stack into r->pcs (relaxed stores: the record is being
 * rewritten under its sequence number) and returns the count. Inlined
 * into the hook the layer called. */
static inline __attribute__((always_inline)) int tr_capture(tr_rec *r, const void *caller)
{
    if (MK_UNLIKELY(!tr_stk_hi))
        tr_stack_bounds();
    /* Every step goes up (next > fp) and stays below the top: fp stays
     * inside this thread's stack, above the walker's own frame, which is
     * mapped. (Loads through memcpy: a caller's garbage frame pointer may
     * be misaligned.) */
    const uintptr_t top = tr_stk_hi - 2 * sizeof(void *);
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0), next;
    void *ret, *inner = (void *)&mk_capture_stack; /* any pc of mdlkit's */
    if (MK_LIKELY(caller != NULL)) {
        for (int d = 0; d < TR_SEEK; d++) {
            __builtin_memcpy(&next, (const void *)fp, sizeof next);
            __builtin_memcpy(&ret, (const void *)(fp + sizeof(void *)), sizeof ret);
            if (ret == caller) {
                /* a stack starts inside mdlkit (mk_stack_format shows the
                 * frames after the first of mdlkit's): its innermost frame
                 * is the one below the driver's */
                TR_ST(r->pcs[0], inner);
                TR_ST(r->pcs[1], (void *)caller);
                int n = 2;
                while (n < 1 + TR_USER_FRAMES && next > fp && next <= top) {
                    fp = next;
                    __builtin_memcpy(&next, (const void *)fp, sizeof next);
                    __builtin_memcpy(&ret, (const void *)(fp + sizeof(void *)), sizeof ret);
                    if (!ret)
                        break;
                    TR_ST(r->pcs[n], ret);
                    n++;
                }
                return n;
            }
            if (next <= fp || next > top)
                break;
            inner = ret;
            fp = next;
        }
    }
    return tr_capture_all(r);
}

/* Writes a record's contents (seqlock writer side) and its stack. */
static inline __attribute__((always_inline)) void tr_fill_here(tr_rec *r, enum mk_track_kind kind, const void *addr,
                                                               size_t size, ULONG tag, const void *aux,
                                                               const void *caller)
{
    unsigned q = TR_LD(r->seq);
    TR_ST(r->seq, q + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    TR_ST(r->addr, addr);
    TR_ST(r->driver, mk_self.driver);
    TR_ST(r->aux, aux);
    TR_ST(r->size, size);
    TR_ST(r->tag, tag);
    TR_ST(r->kind, (uint8_t)kind);
    TR_ST(r->nframes, (uint8_t)tr_capture(r, caller));
    __atomic_store_n(&r->seq, q + 2, __ATOMIC_RELEASE);
}

/* Records (kind, addr) with the allocating stack (see tr_capture). Always
 * inlined into the hook the layer called. */
static inline __attribute__((always_inline)) void tr_track(enum mk_track_kind kind, const void *addr, size_t size,
                                                           ULONG tag, const void *aux, const void *caller)
{
    if (MK_UNLIKELY(!addr || !atomic_load_explicit(&tr_on, memory_order_relaxed)))
        return;
    tr_rec *r = tr_rec_get();
    if (MK_UNLIKELY(!r))
        return; /* out of host memory: this one goes untracked */
    tr_fill_here(r, kind, addr, size, tag, aux, caller);
    tr_insert(r);
}

static inline int tr_untrack(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag)
{
    if (!atomic_load_explicit(&tr_on, memory_order_relaxed))
        return 0;
    tr_rec *r = tr_take(kind, addr, tag, check_tag);
    if (!r)
        return 0;
    tr_rec_put(r);
    return 1;
}

MK_NOINLINE void mk_verifier_track_slow(enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                                        const void *aux)
{
    tr_track(kind, addr, size, tag, aux, NULL);
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
    if (!atomic_load_explicit(&tr_on, memory_order_relaxed))
        return;
    tr_rec *r = tr_take(kind, addr, 0, 0);
    if (!r)
        return;
    tr_rec copy;
    unsigned q;
    (void)tr_snapshot(r, &copy, &q); /* owned: consistent */
    tr_rec_put(r);
    const char *drv = tr_driver_name(tr_drv(&copy));
    mk_bugcheck_note("  %-12s %p, %zu bytes (driver %s), allocated at:", tr_leak_kind(&copy), tr_addr(&copy),
                     copy.size, drv);
    tr_note_stack(&copy);
    mk_vf_frame_list st;
    st.n = copy.nframes;
    memcpy(st.pcs, copy.pcs, sizeof(void *) * (size_t)copy.nframes);
    mk_vf_report_add_leak(tr_leak_kind(&copy), drv, tr_addr(&copy), copy.size, copy.tag, &st);
}

/* ------------------------------------------------------------------------
 * Pool hooks (mk_pool_alloc / mk_pool_free) and cached blocks (iomdl.c)
 * ---------------------------------------------------------------------- */
#define TR_TAG_NONE 'enoN' /* "None": ExAllocatePool's tag */

int mk_verifier_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                           void **out)
{
    mk_vf_count_add(MK_VFC_POOL_ATTEMPTED, 1);
    if (tag == TR_TAG_NONE || tag == 0)
        mk_vf_count_add(MK_VFC_POOL_NO_TAG, 1);
    if (!(flags & MK_POOL_INTERNAL) && mk_verifier_fail_now(MK_FAULT_POOL, tag, caller)) {
        mk_vf_count_add(MK_VFC_POOL_FAILED, 1);
        *out = NULL;
        return 1;
    }
    if (mk_verifier_on(MDLKIT_VERIFY_SPECIAL_POOL)) {
        void *p = mk_vf_specpool_alloc(heap, bytes, tag, flags, priority);
        if (p) {
            mk_vf_count_add(MK_VFC_POOL_SPECIAL, 1);
            /* (the pool counts the tag: pp_alloc_verified) */
            mk_verifier_pool_allocated(heap, p, bytes, tag, caller);
            *out = p;
            return 1;
        }
    }
    return 0;
}

MK_NOINLINE void mk_verifier_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller)
{
    (void)heap;
    (void)caller;
    if (!p) {
        mk_vf_count_add(MK_VFC_POOL_FAILED, 1);
        return;
    }
    mk_vf_count_add(MK_VFC_POOL_SUCCEEDED, 1);
    if (tag == MK_MDL_TAG)
        mk_vf_count_add(MK_VFC_MDLS_ALLOCATED, 1);
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        tr_track(MK_TRACK_POOL, p, bytes, tag, NULL, caller);
}

/* The pool's tracked fast path handed out a block (a thread-cache hit:
 * it cannot fail and is never special pool): the counts of
 * mk_verifier_pool_alloc + mk_verifier_pool_allocated in one, and the
 * record. */
MK_NOINLINE void *mk_verifier_pool_allocated_fast(void *p, size_t bytes, ULONG tag, void *caller)
{
    if (MK_LIKELY(tag != TR_TAG_NONE && tag != 0 && tag != MK_MDL_TAG)) {
        mk_vf_count_add(MK_VFC_POOL_OK, 1);
    } else {
        mk_vf_count_add(tag == MK_MDL_TAG ? MK_VFC_MDL_OK : MK_VFC_POOL_OK, 1);
        if (tag != MK_MDL_TAG)
            mk_vf_count_add(MK_VFC_POOL_NO_TAG, 1);
    }
    if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        tr_track(MK_TRACK_POOL, p, bytes, tag, NULL, caller);
    return p;
}

/* A pool block's record straight from its shadow slot (tr_take's common
 * case, inlined): 1 when dropped, 0 when there is none there, -1 when its
 * tag differs from a non-zero `tag` (the record stays). */
static inline __attribute__((always_inline)) int tr_take_shadow(const void *p, ULONG tag)
{
    _Atomic(tr_rec *) *s = tr_slot(p);
    if (MK_UNLIKELY(s == NULL))
        return 0;
    tr_rec *r = atomic_load_explicit(s, memory_order_acquire);
    if (MK_UNLIKELY(!r || tr_addr(r) != p))
        return 0;
    if (tag && TR_LD(r->tag) != tag)
        return -1;
    atomic_store_explicit(s, NULL, memory_order_relaxed);
    tr_rec_put(r);
    return 1;
}

/* The pool's fast path freed a valid block (its tag matched): its record
 * leaves the shadow (the table is searched only when the shadow has none). */
MK_NOINLINE void mk_verifier_pool_freed_fast(void *p)
{
    if (MK_UNLIKELY(tr_take_shadow(p, 0) == 0))
        (void)tr_untrack(MK_TRACK_POOL, p, 0, 0);
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

/* A block handed out of a layer's own cache: tracked and counted like a
 * pool allocation (Windows' verifier sends these through the pool). */
MK_NOINLINE void mk_verifier_cached_alloc_slow(void *p, size_t bytes, ULONG tag, void *caller)
{
    mk_vf_count_add(tag == MK_MDL_TAG ? MK_VFC_MDL_OK : MK_VFC_POOL_OK, 1);
    tr_track(MK_TRACK_POOL, p, bytes, tag, NULL, caller);
}

MK_NOINLINE int mk_verifier_cached_free_slow(void *p, ULONG tag)
{
    int r = tr_take_shadow(p, tag);
    if (MK_LIKELY(r > 0))
        return 1;
    return r < 0 ? 0 : tr_untrack(MK_TRACK_POOL, p, tag, 1);
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

/* Moves every record `want` selects (by its driver) out of the table and
 * the shadow; returns the list. */
static tr_rec *tr_collect(int (*want)(const mk_driver *, const void *), const void *arg)
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
                if (want(tr_drv(r), arg)) {
                    *pp = r->next;
                    atomic_fetch_sub_explicit(&tr_table_n, 1, memory_order_relaxed);
                    r->next = list;
                    list = r;
                } else {
                    pp = &r->next;
                }
            }
        }
        pthread_mutex_unlock(&tr_stripes[s].lock);
    }
    /* Shadow records: every record ever made is in a batch; one is live in
     * the shadow when its address's slot points at it. They stay there (the
     * thread that frees the block drops them): the list gets consistent
     * copies, and the record notes that this allocation was reported. */
    tr_rec *copies = NULL;
    pthread_mutex_lock(&tr_chunks_lock);
    for (size_t c = 0; c < tr_nchunks; c++) {
        for (int i = 0; i < TR_BATCH; i++) {
            tr_rec *r = &tr_chunks[c][i];
            _Atomic(tr_rec *) *s = tr_slot(tr_addr(r));
            if (!s || atomic_load_explicit(s, memory_order_acquire) != r || !want(tr_drv(r), arg))
                continue;
            tr_rec snap;
            unsigned q = 0;
            int ok = 0;
            for (int tries = 0; tries < 4 && !ok; tries++)
                ok = tr_snapshot(r, &snap, &q);
            if (!ok || TR_LD(r->rep_seq) == q || !want(snap.driver, arg) ||
                atomic_load_explicit(s, memory_order_acquire) != r)
                continue; /* reported already, or freed / reused meanwhile */
            TR_ST(r->rep_seq, q);
            tr_rec *cp = malloc(sizeof *cp);
            if (!cp)
                continue;
            *cp = snap;
            cp->next = copies;
            copies = cp;
        }
    }
    pthread_mutex_unlock(&tr_chunks_lock);
    /* (the copies become records: no malloc'd node outlives the report) */
    while (copies) {
        tr_rec *cp = copies;
        copies = cp->next;
        tr_rec *r = tr_rec_get();
        if (r) {
            tr_fill(r, (enum mk_track_kind)cp->kind, cp->addr, cp->size, cp->tag, cp->aux, cp->driver, cp->pcs,
                    cp->nframes);
            r->next = list;
            list = r;
        }
        free(cp);
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
        const char *drv = tr_driver_name(tr_drv(r));
        if (r->kind == MK_TRACK_LOCKED)
            mk_bugcheck_note("  %-12s MDL %p, %zu page%s locked (driver %s), locked at:", kind, tr_addr(r), r->size,
                             r->size == 1 ? "" : "s", drv);
        else
            mk_bugcheck_note("  %-12s %p, %zu bytes, tag '%s' (driver %s), allocated at:", kind, tr_addr(r), r->size,
                             tag, drv);
        tr_note_stack(r);
        mk_vf_frame_list st;
        st.n = r->nframes;
        memcpy(st.pcs, r->pcs, sizeof(void *) * (size_t)r->nframes);
        mk_vf_report_add_leak(kind, drv, tr_addr(r), r->size, r->tag, &st);
        last = r;
    }
    pthread_mutex_lock(&tr_chunks_lock); /* (two drivers may unload at once) */
    last->next = tr_reported;
    tr_reported = list;
    pthread_mutex_unlock(&tr_chunks_lock);
    if (locked)
        mk_bugcheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, (ULONG_PTR)locked, 0, (ULONG_PTR)tr_addr(locked),
                    (ULONG_PTR)locked->size);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, (ULONG_PTR)who, 0, (ULONG_PTR)count);
}

static int tr_want_driver(const mk_driver *rd, const void *d) { return rd == (const mk_driver *)d; }

void mk_verifier_on_driver_unload(struct mk_driver *d)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) || !d)
        return;
    tr_rec *list = tr_collect(tr_want_driver, d);
    tr_report_leaks(list, d->name);
}

static int tr_want_shutdown(const mk_driver *rd, const void *arg)
{
    (void)arg;
    return !rd || rd->state != MK_DRV_LOADED;
}

void mk_vf_tracking_shutdown(void)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return;
    tr_rec *list = tr_collect(tr_want_shutdown, NULL);
    if (!list)
        return;
    /* One bug check names the first owner; every leak is listed. */
    const mk_driver *owner = tr_drv(list);
    tr_report_leaks(list, tr_driver_name(owner));
}
