/*
 * vf_shadow.h -- Pool Tracking's shadow records and the allocating-stack
 * walker (src/verifier/ only; tracking.c and leaks.c).
 */
#ifndef VF_SHADOW_H
#define VF_SHADOW_H

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
#define MK_VF_SFRAMES 5     /* room for frames in a shadow record */
#define MK_VF_USER_FRAMES 3 /* frames recorded from the driver's on */
#define MK_VF_SEEK 12       /* mdlkit frames looked through for the driver's (Debug builds: no tail calls, no inlining) */
_Static_assert(MK_VF_USER_FRAMES < MK_VF_SFRAMES, "a shadow record holds the frames and a NULL");
typedef struct mk_vf_srec {
    unsigned seq;
    ULONG tag;
    const void *addr;
    struct mk_driver *driver;
    void *pcs[MK_VF_SFRAMES];
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

/* Drops p's shadow record: 1, 0 when there is none, -1 when its tag
 * differs from a non-zero `tag` (the record stays). One store. */
static inline __attribute__((always_inline)) int mk_vf_sh_drop(const void *p, ULONG tag)
{
    mk_vf_srec *s = mk_vf_sh_slot(p);
    if (MK_UNLIKELY(s == NULL) || MK_UNLIKELY(MK_VF_LD(s->addr) != p))
        return 0;
    if (tag && MK_VF_LD(s->tag) != tag)
        return -1;
    __atomic_store_n(&s->addr, NULL, __ATOMIC_RELEASE);
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
static inline __attribute__((always_inline)) int mk_vf_capture(void **pcs, const void *caller, uintptr_t ddi_fp)
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
    int n = 1;
    while (n < MK_VF_USER_FRAMES && next > fp && next <= top) {
        fp = next;
        __builtin_memcpy(&next, (const void *)fp, sizeof next);
        __builtin_memcpy(&ret, (const void *)(fp + sizeof(void *)), sizeof ret);
        if (!ret)
            break;
        MK_VF_ST(pcs[n], ret);
        n++;
    }
    return n;
}

/* Records pool block p in its shadow record: 1, or 0 when it must go to
 * the table instead (no shadow -- tracking not set up, or p outside it --,
 * record in use, caller unknown or its frame not found; nothing written).
 * No allocation, no lock, no call. A record whose `seq` is not 0 was
 * written before, so its shadow page is marked already. */
static inline __attribute__((always_inline)) int mk_vf_sh_track(const void *p, ULONG tag, const void *caller,
                                                                uintptr_t ddi_fp)
{
    uintptr_t off = (uintptr_t)p - mk_vf_sh.lo;
    if (MK_UNLIKELY(off >= mk_vf_sh.hi - mk_vf_sh.lo))
        return 0;
    mk_vf_srec *s = &mk_vf_sh.rec[off >> MK_VF_GRAIN_SHIFT];
    if (MK_UNLIKELY(MK_VF_LD(s->addr) != NULL))
        return 0;
    unsigned old = MK_VF_LD(s->seq);
    if (MK_UNLIKELY(old == 0))
        mk_vf_sh_mark(p);
    unsigned q = (old & ~3u) + 4; /* a new allocation: not reported */
    MK_VF_ST(s->seq, q | 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    MK_VF_ST(s->tag, tag);
    MK_VF_ST(s->driver, mk_self.driver);
    int n = mk_vf_capture(s->pcs, caller, ddi_fp);
    if (MK_UNLIKELY(n < 0)) {
        __atomic_store_n(&s->seq, q, __ATOMIC_RELEASE); /* still free */
        return 0;
    }
    if (n < MK_VF_SFRAMES)
        MK_VF_ST(s->pcs[n], NULL);
    MK_VF_ST(s->addr, p);
    __atomic_store_n(&s->seq, q, __ATOMIC_RELEASE);
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
