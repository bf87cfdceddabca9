/*
 * vf_shadow.h -- Pool Tracking's shadow records and the allocating-stack
 * walker (src/verifier/ only; tracking.c and leaks.c).
 */
#ifndef VF_SHADOW_H
#define VF_SHADOW_H

#include "mk_driver.h"
#include "vf_internal.h"

/* ------------------------------------------------------------------------
 * Pool Tracking's shadow records (tracking.c owns them; the hooks of the
 * pool's fast paths and of the layers' own block caches inline the paths
 * below, so a tracked block costs one call).
 *
 * A pool block's record lives in a shadow array over the two pools: one
 * 64-byte record per 16 bytes of address (MK_VF_GRAIN_SHIFT). `seq`: bit 0
 * set while the owner rewrites the record, bit 1 set once a leak check
 * reported the allocation, += 4 per allocation; `addr` NULL: no block.
 * The stack is the driver's frames, NULL-terminated when shorter than
 * MK_VF_SFRAMES. A record has one writer at a time (the thread that owns
 * the block); leak checks read it under `seq`, so every field is written
 * with relaxed atomic stores (plain moves on x86).
 * ---------------------------------------------------------------------- */
#define MK_VF_GRAIN_SHIFT 4 /* one shadow record per 16 bytes (the smallest pool block) */
#define MK_VF_SFRAMES 4     /* room for frames in a shadow record */
#define MK_VF_USER_FRAMES 3 /* frames recorded from the driver's on */
#define MK_VF_SEEK 12       /* mdlkit frames looked through for the driver's (Debug builds: no tail calls, no inlining) */
_Static_assert(MK_VF_USER_FRAMES < MK_VF_SFRAMES, "a shadow record holds the frames and a NULL");
typedef struct mk_vf_srec {
    unsigned seq;
    ULONG tag;
    const void *addr;
    struct mk_driver *driver;
    void *pcs[MK_VF_SFRAMES];
    size_t size; /* bytes requested (the driver's counts at the free) */
} mk_vf_srec;
_Static_assert(sizeof(mk_vf_srec) == 64, "a shadow record is one cache line");
typedef struct mk_vf_shadow {
    atomic_int on;              /* tracking set up for this machine */
    uintptr_t lo, hi;           /* the address range the shadow covers (0, 0: none) */
    mk_vf_srec *rec;            /* one record per 16 bytes of [lo, hi) */
    _Atomic uint64_t *used;     /* one bit per page of shadow ever written */
} mk_vf_shadow;
extern MK_VF_HIDDEN mk_vf_shadow mk_vf_sh;
extern MK_VF_HIDDEN MK_TLS uintptr_t mk_vf_stk_hi; /* this thread's stack top (0: not known yet) */
#define MK_VF_LD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define MK_VF_ST(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline mk_vf_srec *mk_vf_sh_slot(const void *addr)
{
    uintptr_t a = (uintptr_t)addr;
    if (a - mk_vf_sh.lo >= mk_vf_sh.hi - mk_vf_sh.lo)
        return NULL;
    return &mk_vf_sh.rec[(a - mk_vf_sh.lo) >> MK_VF_GRAIN_SHIFT];
}

/* Notes that the shadow page holding p's record is in use (leak checks
 * scan those pages only): a load, and an atomic OR the first time. */
static inline void mk_vf_sh_mark(const void *p)
{
    /* (a page of shadow covers 64 records) */
    size_t pg = ((uintptr_t)p - mk_vf_sh.lo) >> (MK_VF_GRAIN_SHIFT + 6);
    uint64_t bit = (uint64_t)1 << (pg & 63);
    if (MK_UNLIKELY(!(atomic_load_explicit(&mk_vf_sh.used[pg >> 6], memory_order_relaxed) & bit)))
        atomic_fetch_or_explicit(&mk_vf_sh.used[pg >> 6], bit, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Per-driver pool counts (Pool Tracking): what each loaded driver holds now
 * and the exact peaks of that, as !verifier shows them per driver. Kept by
 * the tracking hooks for blocks charged to a driver (mk_self.driver at the
 * allocation; the record keeps the driver for the free): one atomic add per
 * count, so the peak is the true maximum of the count in the order of
 * those adds (not sampled). Blocks of the process itself (no driver) are
 * not counted here. [0] non-paged, [1] paged. counters.c.
 * ---------------------------------------------------------------------- */
#define MK_VF_MAX_DRIVERS 256 /* driver ids (load order) counted; later ones are not */
typedef struct mk_vf_dstat {
    atomic_llong n[2], bytes[2];           /* current */
    atomic_llong peak_n[2], peak_bytes[2]; /* highest current value */
} __attribute__((aligned(64))) mk_vf_dstat;
extern MK_VF_HIDDEN mk_vf_dstat mk_vf_dstats[MK_VF_MAX_DRIVERS];
extern MK_VF_HIDDEN struct mk_driver *_Atomic mk_vf_dstat_drv[MK_VF_MAX_DRIVERS]; /* who each slot counts */
void mk_vf_dstat_first(struct mk_driver *d);                                      /* counters.c: notes the driver */
static inline int mk_vf_is_paged_addr(const void *p)
{
    const char *c = (const char *)p;
    return c >= mk_as.rgn_base[MK_RGN_PPOOL] && c < mk_as.rgn_end[MK_RGN_PPOOL];
}
static inline void mk_vf_peak_raise(atomic_llong *peak, long long v)
{
    long long old = atomic_load_explicit(peak, memory_order_relaxed);
    while (MK_UNLIKELY(v > old) &&
           !atomic_compare_exchange_weak_explicit(peak, &old, v, memory_order_relaxed, memory_order_relaxed))
        ;
}
/* Whether d's counts need no first note (mk_vf_dstat_first): its slot is
 * its, or it has none (ids past the table are not counted). */
static inline int mk_vf_dstat_ready(struct mk_driver *d)
{
    unsigned id = d->id;
    return id >= MK_VF_MAX_DRIVERS || atomic_load_explicit(&mk_vf_dstat_drv[id], memory_order_relaxed) == d;
}

/* A block of `size` bytes charged to d (not NULL) was allocated (dir 1;
 * 2: d known ready, so no call) or freed (-1); `paged`: its pool. Raises
 * d's peaks. */
static inline __attribute__((always_inline)) void mk_vf_dstat_add(struct mk_driver *d, int paged, size_t size,
                                                                  int dir)
{
    unsigned id = d->id;
    if (MK_UNLIKELY(id >= MK_VF_MAX_DRIVERS))
        return;
    mk_vf_dstat *ds = &mk_vf_dstats[id];
    if (dir > 0) {
        if (dir == 1 && MK_UNLIKELY(!mk_vf_dstat_ready(d)))
            mk_vf_dstat_first(d);
        long long n = atomic_fetch_add_explicit(&ds->n[paged], 1, memory_order_relaxed) + 1;
        long long b = atomic_fetch_add_explicit(&ds->bytes[paged], (long long)size, memory_order_relaxed) +
                      (long long)size;
        mk_vf_peak_raise(&ds->peak_n[paged], n);
        mk_vf_peak_raise(&ds->peak_bytes[paged], b);
    } else {
        atomic_fetch_sub_explicit(&ds->n[paged], 1, memory_order_relaxed);
        atomic_fetch_sub_explicit(&ds->bytes[paged], (long long)size, memory_order_relaxed);
    }
}

/* Drops p's shadow record: 1, 0 when there is none, -1 when its tag
 * differs from a non-zero `tag` (the record stays). One store (and the
 * driver's counts when the block is charged to one). */
static inline __attribute__((always_inline)) int mk_vf_sh_drop(const void *p, ULONG tag)
{
    mk_vf_srec *s = mk_vf_sh_slot(p);
    if (MK_UNLIKELY(s == NULL) || MK_UNLIKELY(MK_VF_LD(s->addr) != p))
        return 0;
    if (tag && MK_VF_LD(s->tag) != tag)
        return -1;
    struct mk_driver *d = MK_VF_LD(s->driver);
    size_t size = MK_VF_LD(s->size);
    __atomic_store_n(&s->addr, NULL, __ATOMIC_RELEASE);
    if (d)
        mk_vf_dstat_add(d, mk_vf_is_paged_addr(p), size, -1);
    return 1;
}

/* The allocating stack: writes the driver's frames into pcs (relaxed
 * stores: the record is being rewritten under its sequence number) --
 * at most MK_VF_USER_FRAMES, the first the driver's allocating line
 * (`caller`: the DDI's __builtin_return_address(0)), the others its
 * callers' -- and returns the count, or -1 when the caller is unknown or
 * its frame not found (pcs untouched). `ddi_fp`: the DDI's own frame
 * (its __builtin_frame_address(0)), whose return address is `caller`; or
 * 0: mdlkit's frames are then sought (MK_VF_SEEK) up to the one returning
 * to `caller`. The walk stays inside this thread's stack, above the
 * walker's own frame: a caller compiled without frame pointers ends it,
 * never a crash. (Loads through memcpy: a garbage frame pointer may be
 * misaligned.) Always inlined, so __builtin_frame_address(0) is the
 * frame of the function it is inlined into. */
static inline __attribute__((always_inline)) int mk_vf_capture2(void **pcs, void **pcs2, const void *caller,
                                                                uintptr_t ddi_fp)
{
    if (MK_UNLIKELY(!mk_vf_stk_hi) || MK_UNLIKELY(caller == NULL))
        return -1; /* (the callers' cold paths learn the stack bounds first) */
    const uintptr_t top = mk_vf_stk_hi - 2 * sizeof(void *);
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0), next;
    void *ret;
    if (MK_LIKELY(ddi_fp >= fp && ddi_fp <= top)) {
        /* the DDI's frame: its return address is `caller` (the DDI passed
         * both of its own), its saved frame pointer the driver's frame */
        fp = ddi_fp;
        __builtin_memcpy(&next, (const void *)fp, sizeof next);
    } else {
        for (int d = 0;; d++) {
            if (d == MK_VF_SEEK)
                return -1;
            __builtin_memcpy(&next, (const void *)fp, sizeof next);
            __builtin_memcpy(&ret, (const void *)(fp + sizeof(void *)), sizeof ret);
            if (ret == caller)
                break;
            if (next <= fp || next > top)
                return -1;
            fp = next;
        }
    }
    MK_VF_ST(pcs[0], (void *)caller);
    if (pcs2)
        MK_VF_ST(pcs2[0], (void *)caller);
    int n = 1;
    while (n < MK_VF_USER_FRAMES && next > fp && next <= top) {
        fp = next;
        __builtin_memcpy(&next, (const void *)fp, sizeof next);
        __builtin_memcpy(&ret, (const void *)(fp + sizeof(void *)), sizeof ret);
        if (!ret)
            break;
        MK_VF_ST(pcs[n], ret);
        if (pcs2)
            MK_VF_ST(pcs2[n], ret);
        n++;
    }
    return n;
}

static inline __attribute__((always_inline)) int mk_vf_capture(void **pcs, const void *caller, uintptr_t ddi_fp)
{
    return mk_vf_capture2(pcs, NULL, caller, ddi_fp);
}

/* ------------------------------------------------------------------------
 * The pool allocate/free log (!verifier 0x80): kept while Pool Tracking,
 * Special Pool or a low-resources simulation is on. Each thread writes its
 * own ring of MK_VF_LOG_N entries (the oldest overwritten; no lock, no
 * shared write); a reader copies the entries of every ring under their
 * sequence numbers (report.c). An entry's `seq`: (this thread's count
 * of entries << 2) | op once written (0: never). The ring's count `n` is
 * written before an entry's fields, its `seq` after them: a reader takes
 * an entry whose seq names the count it expects, read the same before
 * and after its fields, while `n` shows the ring has not come round to
 * its slot again. The frames end at the first NULL.
 * ---------------------------------------------------------------------- */
#define MK_VF_LOG_N 1024 /* entries per thread (a power of two) */
#define MK_VF_LOG_FRAMES 4
typedef struct mk_vf_logent {
    uint64_t seq;
    const void *addr;
    uint64_t tag_size; /* the tag (low half) and the bytes (high half, saturated at 4 GiB - 1): one store */
    struct mk_driver *driver;
    void *pcs[MK_VF_LOG_FRAMES]; /* the driver's frames, NULL-terminated when fewer */
} mk_vf_logent;
_Static_assert(sizeof(mk_vf_logent) == 64, "a log entry is one cache line");
typedef struct mk_vf_logring {
    mk_vf_logent e[MK_VF_LOG_N];
    uint64_t n;                          /* entries ever written (the owner only) */
    unsigned index;                      /* 1, 2, ... in creation order (the "thread" of an entry) */
    struct mk_vf_logring *next_all;      /* every ring (kept for the process) */
    struct mk_vf_logring *next_free;     /* rings of exited threads, to adopt */
} mk_vf_logring;
extern MK_VF_HIDDEN MK_TLS mk_vf_logring *mk_vf_lr;
mk_vf_logring *mk_vf_log_attach(void); /* report.c; NULL: out of host memory */
struct mk_driver;
/* mk_vf_log_put for a thread with no ring yet (report.c): attaches one. */
void mk_vf_log_put_first(int op, const void *p, ULONG tag, size_t size, struct mk_driver *d, void *const *pcs);

/* The next entry of ring r, its header written (a reader skips it until
 * mk_vf_log_close publishes it: the count in r->n, written first, tells
 * it that the slot's older entry is being overwritten). */
static inline __attribute__((always_inline)) mk_vf_logent *mk_vf_log_open(mk_vf_logring *r, const void *p, ULONG tag,
                                                                         size_t size, struct mk_driver *d,
                                                                         uint64_t *k)
{
    *k = MK_VF_LD(r->n) + 1;
    MK_VF_ST(r->n, *k);
    mk_vf_logent *e = &r->e[*k & (MK_VF_LOG_N - 1)];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    MK_VF_ST(e->addr, p);
    MK_VF_ST(e->tag_size, (uint64_t)tag | ((uint64_t)(size < 0xFFFFFFFFu ? size : 0xFFFFFFFFu) << 32));
    MK_VF_ST(e->driver, d);
    return e;
}

static inline __attribute__((always_inline)) void mk_vf_log_close(mk_vf_logent *e, uint64_t k, int op)
{
    __atomic_store_n(&e->seq, (k << 2) | (uint64_t)op, __ATOMIC_RELEASE);
}

/* Appends one entry to this thread's ring: `pcs`, MK_VF_LOG_FRAMES frames,
 * NULL after the last when fewer (relaxed loads: they may be a record's). */
static inline __attribute__((always_inline)) void mk_vf_log_put(int op, const void *p, ULONG tag, size_t size,
                                                                struct mk_driver *d, void *const *pcs)
{
    mk_vf_logring *r = mk_vf_lr;
    if (MK_UNLIKELY(!r)) {
        mk_vf_log_put_first(op, p, tag, size, d, pcs); /* (a tail call: no register kept across it) */
        return;
    }
    uint64_t k;
    mk_vf_logent *e = mk_vf_log_open(r, p, tag, size, d, &k);
    _Static_assert(MK_VF_LOG_FRAMES == 4 && MK_VF_SFRAMES == 4, "four frames copied");
    MK_VF_ST(e->pcs[0], MK_VF_LD(pcs[0]));
    MK_VF_ST(e->pcs[1], MK_VF_LD(pcs[1]));
    MK_VF_ST(e->pcs[2], MK_VF_LD(pcs[2]));
    MK_VF_ST(e->pcs[3], MK_VF_LD(pcs[3]));
    mk_vf_log_close(e, k, op);
}

/* mk_vf_log_put with one frame, `pc` (the others NULL): stored directly,
 * no array in between. */
static inline __attribute__((always_inline)) void mk_vf_log_put1(int op, const void *p, ULONG tag, size_t size,
                                                                 struct mk_driver *d, const void *pc)
{
    mk_vf_logring *r = mk_vf_lr;
    if (MK_UNLIKELY(!r)) {
        void *pcs[MK_VF_LOG_FRAMES] = {(void *)pc, NULL, NULL, NULL};
        mk_vf_log_put_first(op, p, tag, size, d, pcs);
        return;
    }
    uint64_t k;
    mk_vf_logent *e = mk_vf_log_open(r, p, tag, size, d, &k);
    MK_VF_ST(e->pcs[0], (void *)pc);
    MK_VF_ST(e->pcs[1], NULL); /* (the frames end here) */
    mk_vf_log_close(e, k, op);
}

/* Records pool block p in its shadow record: 1, or 0 when it must go to
 * the table instead (no shadow -- tracking not set up, or p outside it --,
 * record in use, caller unknown or its frame not found; nothing written).
 * No allocation, no lock, no call. A record whose `seq` is not 0 was
 * written before, so its shadow page is marked already. */
static inline __attribute__((always_inline)) int mk_vf_sh_track(const void *p, size_t size, ULONG tag,
                                                                const void *caller, uintptr_t ddi_fp)
{
    uintptr_t off = (uintptr_t)p - mk_vf_sh.lo;
    if (MK_UNLIKELY(off >= mk_vf_sh.hi - mk_vf_sh.lo))
        return 0;
    mk_vf_srec *s = &mk_vf_sh.rec[off >> MK_VF_GRAIN_SHIFT];
    /* what would need a call -- this thread's first log entry, its
     * driver's first count -- the caller's slow path does first (so that
     * the hooks this is inlined into make none and save no registers) */
    mk_vf_logring *r = mk_vf_lr;
    struct mk_driver *d = mk_self.driver;
    if (MK_UNLIKELY(MK_VF_LD(s->addr) != NULL) || MK_UNLIKELY(!r) || (d && MK_UNLIKELY(!mk_vf_dstat_ready(d))))
        return 0;
    unsigned old = MK_VF_LD(s->seq);
    if (MK_UNLIKELY(old == 0))
        mk_vf_sh_mark(p);
    unsigned q = (old & ~3u) + 4; /* a new allocation: not reported */
    MK_VF_ST(s->seq, q | 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    MK_VF_ST(s->tag, tag);
    MK_VF_ST(s->driver, d);
    MK_VF_ST(s->size, size);
    /* the stack goes to the record and to the log entry at once (no
     * reload of what was just stored); an entry left unpublished when the
     * walk fails is skipped by readers */
    uint64_t k;
    mk_vf_logent *e = mk_vf_log_open(r, p, tag, size, d, &k);
    int n = mk_vf_capture2(s->pcs, e->pcs, caller, ddi_fp);
    if (MK_UNLIKELY(n < 0)) {
        __atomic_store_n(&s->seq, q, __ATOMIC_RELEASE); /* still free */
        return 0;
    }
    _Static_assert(MK_VF_USER_FRAMES < MK_VF_SFRAMES && MK_VF_SFRAMES == MK_VF_LOG_FRAMES, "the frames end in both");
    MK_VF_ST(s->pcs[n], NULL);
    MK_VF_ST(e->pcs[n], NULL);
    MK_VF_ST(s->addr, p);
    __atomic_store_n(&s->seq, q, __ATOMIC_RELEASE);
    if (d)
        mk_vf_dstat_add(d, mk_vf_is_paged_addr(p), size, 2);
    mk_vf_log_close(e, k, MK_VF_LOG_ALLOC);
    return 1;
}

/* One of this thread's counters += 1 without a call: 0 when the thread
 * has no counters yet (the caller takes its cold path). */
static inline __attribute__((always_inline)) int mk_vf_count_hot(enum mk_vf_counter c)
{
    mk_vf_tcounters *t = mk_vf_tc;
    if (MK_UNLIKELY(!t))
        return 0;
    atomic_store_explicit(&t->v[c], atomic_load_explicit(&t->v[c], memory_order_relaxed) + 1,
                          memory_order_relaxed);
    return 1;
}


#endif /* VF_SHADOW_H */
