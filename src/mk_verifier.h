/*
 * mk_verifier.h -- the one narrow interface through which the layers tell
 * the verifier what happens (src/verifier/). Each hook is cheap when its
 * option is off: the inline wrappers below test mk_rt.verifier first, so the
 * fast path pays one predictable branch.
 *
 *   verifier.c   start/stop, bug-check and page-fault dispatch
 *   specpool.c   special pool (0x1)
 *   irqlforce.c  force IRQL checking: paged-pool trimming (0x2)
 *   faults.c     randomized (0x4) and systematic (0x40000) low resources
 *   tracking.c   pool tracking, leaks, attribution (0x8)
 *   counters.c   !verifier-style counters
 *   report.c     text and JSON reports
 */
#ifndef MK_VERIFIER_H
#define MK_VERIFIER_H

#include "mk_base.h"
#include "mk_machine.h"
#include "mk_mdl.h"

struct mk_driver;
struct mk_pool_block;

/* ------------------------------------------------------------------------
 * Lifecycle and machine events
 * ---------------------------------------------------------------------- */

/* Called by KeBugCheckEx after printing the report and before aborting or
 * unwinding to mdlkit_catch_bugcheck: records the bug check for the report
 * (and writes the JSON report when the process is about to abort). */
void mk_verifier_on_bugcheck(const mdlkit_bugcheck *bc, int caught);

/* Called by KfRaiseIrql / spin-lock acquire when a thread goes from below
 * DISPATCH_LEVEL to DISPATCH_LEVEL or above (Force IRQL Checking trims
 * paged pool here). Only called when MDLKIT_VERIFY_FORCE_IRQL_CHECKING. */
void mk_verifier_on_raise_to_dispatch(void);

/* Called by mdlkit_driver_unload after DriverUnload ran and the driver's
 * devices were deleted: with Pool Tracking on, anything still charged to
 * the driver is reported (0xCB for locked pages, else 0xC4/0x62, each leak
 * listed). A no-op when the option is off. (tracking.c) */
void mk_verifier_on_driver_unload(struct mk_driver *d);

/* (mk_machine.h) mk_verifier_page_fault: special-pool guards and freed
 * pages, trimmed paged pool. */

/* ------------------------------------------------------------------------
 * Pool (called by src/mm/poolpage.c mk_pool_alloc / mk_pool_free)
 * ---------------------------------------------------------------------- */

/* mk_pool_alloc calls this first when mk_rt.verifier != 0. Returns 1 when
 * the verifier decided the result: *out is a special-pool block, or NULL
 * for an injected low-resources failure. Returns 0 to allocate normally;
 * the pool then calls mk_verifier_pool_allocated with what it got. */
int mk_verifier_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller,
                           void **out);
void mk_verifier_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller);
/* mk_pool_free calls this first when mk_rt.verifier != 0 (p is not NULL).
 * Returns 1 when the verifier freed the block (special pool), else 0; the
 * pool then checks and frees as usual, dropping the block's tracking record
 * (mk_verifier_untrack) only once every check has passed, so a caught bug
 * check leaves the block allocated AND tracked. */
int mk_verifier_pool_free(void *p, ULONG tag, int check_tag, void *caller);

/* The pool's fast paths under the verifier. Options that do not change
 * WHERE a block comes from (pool tracking, I/O verification, DDI
 * compliance, force IRQL checking) keep the pool's thread-cache fast
 * paths; only special pool and fault injection (MK_VF_POOL_FULL) send every
 * call through mk_verifier_pool_alloc / mk_verifier_pool_free. Otherwise,
 * with any option on, the pool's fast allocation calls
 * mk_verifier_pool_allocated_fast for every block it hands out (instead of
 * the two calls above; `caller` is the driver's return address: the
 * allocating stack is recorded from the frame that returns there), and,
 * with Pool Tracking, its fast free of a valid block drops the block's
 * shadow record once the block is back in its cache (mk_vf_sh_drop,
 * inline) and calls mk_verifier_pool_freed_fast only when it had none. */
#define MK_VF_POOL_FULL (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_LOW_RESOURCES | MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES)
void *mk_verifier_pool_allocated_fast(void *p, size_t bytes, ULONG tag, void *caller); /* returns p */
void mk_verifier_pool_freed_fast(void *p);
/* May the pool free a valid block of tag `have` (ExFreePoolWithTag's tag
 * `want`, 0 = none) on its fast path? No when I/O verification must look at
 * it: an IRP's block freed without the IRP tag (ExFreePool instead of
 * IoFreeIrp) goes through mk_verifier_pool_free. */
static inline bool mk_verifier_pool_free_fast_ok(ULONG have, ULONG want)
{
    return !(mk_rt.verifier & MDLKIT_VERIFY_IO_CHECKING) || have != MK_IRP_TAG || want == MK_IRP_TAG;
}

static inline bool mk_specpool_owns(const void *p)
{
    const char *c = (const char *)p;
    return c >= mk_as.rgn_base[MK_RGN_SPECIAL] && c < mk_as.rgn_end[MK_RGN_SPECIAL];
}
/* A live special-pool block containing p: 1 and *out filled (heap, tag,
 * size, base), else 0. For mk_pool_lookup on MK_RGN_SPECIAL addresses. */
int mk_specpool_lookup(const void *p, struct mk_pool_block *out);
/* Is p on the data page of a live special-pool block of PAGED pool? (Special
 * pool serves both pools from one region, so the address alone does not
 * say: probe/lock and the non-paged checks ask this.) */
int mk_specpool_page_is_paged(const void *p);

/* ------------------------------------------------------------------------
 * Low-resources simulation (faults.c): ONE question the layers ask before
 * an allocation that Driver Verifier can fail.
 * ---------------------------------------------------------------------- */
enum mk_fault_site {
    MK_FAULT_POOL = 0,        /* ExAllocatePool* (everything through mk_pool_alloc) */
    MK_FAULT_LOOKASIDE,       /* Ex/NdisAllocateFromLookaside (a miss that allocates) */
    MK_FAULT_IO_ALLOCATE_MDL, /* IoAllocateMdl, NdisAllocateMdl, StorPortAllocateMdl */
    MK_FAULT_PROBE_AND_LOCK,  /* MmProbeAndLockPages: raises STATUS_INSUFFICIENT_RESOURCES */
    MK_FAULT_MAP_LOCKED,      /* MmMapLockedPagesSpecifyCache / MmGetSystemAddressForMdlSafe */
    MK_FAULT_PAGES_FOR_MDL,   /* MmAllocatePagesForMdl(Ex) */
    MK_FAULT_CONTIGUOUS,      /* MmAllocateContiguousMemory*, common buffers */
    MK_FAULT_IRP,             /* IoAllocateIrp */
    MK_FAULT_STORPORT,        /* StorPort allocators */
    MK_FAULT_NDIS,            /* NDIS allocators (shared memory, generic objects) */
    MK_FAULT_SITE_COUNT
};
#define MK_FAULT_FLAGS (MDLKIT_VERIFY_LOW_RESOURCES | MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES)

bool mk_verifier_fail_slow(enum mk_fault_site site, ULONG tag, void *caller);
/* true: fail this call deliberately (the caller returns its documented
 * failure: NULL, STATUS_INSUFFICIENT_RESOURCES, an exception...). `tag` is
 * the pool tag when there is one (0 otherwise: the tag filter of 0x4 then
 * does not apply), `caller` the driver's return address. */
static inline bool mk_verifier_fail_now(enum mk_fault_site site, ULONG tag, void *caller)
{
    if (MK_LIKELY(!(mk_rt.verifier & MK_FAULT_FLAGS)))
        return false;
    return mk_verifier_fail_slow(site, tag, caller);
}

/* ------------------------------------------------------------------------
 * Pool tracking (tracking.c): outstanding resources by driver.
 * ---------------------------------------------------------------------- */
enum mk_track_kind {
    MK_TRACK_POOL = 0,   /* pool block (kept by the pool hooks above) */
    MK_TRACK_LOCKED,     /* MDL locked by MmProbeAndLockPages: addr = MDL, size = pages */
    MK_TRACK_MAPPING,    /* MmMapLockedPages* mapping: addr = VA, size = bytes, aux = MDL */
    MK_TRACK_SHARED,     /* NdisMAllocateSharedMemory: addr = VA */
    MK_TRACK_CONTIG,     /* MmAllocateContiguousMemory*: addr = VA */
    MK_TRACK_KIND_COUNT
};
void mk_verifier_track_slow(enum mk_track_kind kind, const void *addr, size_t size, ULONG tag, const void *aux);
void mk_verifier_untrack_slow(enum mk_track_kind kind, const void *addr);
static inline void mk_verifier_track(enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                                     const void *aux)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING))
        mk_verifier_track_slow(kind, addr, size, tag, aux);
}
static inline void mk_verifier_untrack(enum mk_track_kind kind, const void *addr)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING))
        mk_verifier_untrack_slow(kind, addr);
}
/* Untrack a resource its port layer found leaked (and is about to free and
 * report itself): with Pool Tracking the record is listed first (a
 * bug-check note with the allocating stack, and the JSON "leaks"). */
void mk_verifier_untrack_leak_slow(enum mk_track_kind kind, const void *addr);
static inline void mk_verifier_untrack_leak(enum mk_track_kind kind, const void *addr)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING))
        mk_verifier_untrack_leak_slow(kind, addr);
}

/* ------------------------------------------------------------------------
 * Internal to src/verifier/ (declared here so the files share them; the
 * counters and shadow records further down also back the inline fast paths
 * the pool and the MDL cache use: mk_vf_sh_drop, mk_verifier_cached_*).
 * ---------------------------------------------------------------------- */
extern atomic_int mk_vf_active; /* 1 between verifier start and shutdown */
int mk_vf_specpool_init(void);
void mk_vf_specpool_shutdown(void);
void *mk_vf_specpool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority);
void mk_vf_specpool_free(void *p, ULONG tag, int check_tag, void *caller);
int mk_vf_specpool_fault(void *addr, int write, void *pc);
size_t mk_vf_specpool_live(void);
void mk_vf_specpool_trim_paged(void); /* Force IRQL Checking: trim live paged blocks */

int mk_vf_irql_fault(void *addr, int write, void *pc);
void mk_vf_irql_shutdown(void);

int mk_vf_faults_init(void);
void mk_vf_faults_shutdown(void);

int mk_vf_tracking_init(void);
/* Final leak check: 1 if it raised nothing (it bug checks otherwise). */
void mk_vf_tracking_shutdown(void);
void mk_vf_tracking_free_all(void);

/* counters.c: per-thread counters (each thread the only writer of its
 * own block: a plain load/add/store, no locked instruction), summed when
 * read. */
#define MK_VF_TAG_NONE 'enoN' /* "None": ExAllocatePool's tag */
enum mk_vf_counter {
    MK_VFC_POOL_OK = 0, /* attempted and succeeded (one count for both on the fast paths) */
    MK_VFC_MDL_OK,      /* the same for an MDL handed out of the MDL cache (not a pool call) */
    MK_VFC_POOL_ATTEMPTED,
    MK_VFC_POOL_SUCCEEDED,
    MK_VFC_POOL_SPECIAL,
    MK_VFC_NO_TAG_FAILED, /* failed allocations with no tag (the others: the tag table) */
    MK_VFC_POOL_FAILED, /* injected failures and the pool's own */
    MK_VFC_FAULTS_INJECTED,
    MK_VFC_COUNT
};
typedef struct mk_vf_tcounters {
    atomic_llong v[MK_VFC_COUNT];
    struct mk_vf_tcounters *next_all;  /* every block ever made (never freed) */
    struct mk_vf_tcounters *next_free; /* blocks of exited threads, to adopt */
} mk_vf_tcounters;
extern MK_TLS mk_vf_tcounters *mk_vf_tc;
mk_vf_tcounters *mk_vf_tc_attach(void);
static inline void mk_vf_count_add(enum mk_vf_counter c, long long n)
{
    mk_vf_tcounters *t = mk_vf_tc;
    if (MK_UNLIKELY(!t))
        t = mk_vf_tc_attach();
    atomic_store_explicit(&t->v[c], atomic_load_explicit(&t->v[c], memory_order_relaxed) + n,
                          memory_order_relaxed);
}
/* Snapshot: the sum over every thread. */
typedef struct mk_vf_counters {
    long long pool_attempted, pool_succeeded, pool_special, pool_no_tag, pool_failed;
    long long faults_injected;
    long long mdls_allocated;
} mk_vf_counters;
void mk_vf_counters_read(mk_vf_counters *out);
void mk_vf_counters_reset(void);

/* ------------------------------------------------------------------------
 * Pool Tracking's shadow records (tracking.c owns them; the inline fast
 * paths below are shared with the layers' own block caches, so a cached
 * MDL is tracked and untracked without a call).
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
#define MK_VF_SEEK 8        /* mdlkit frames looked through for the driver's */
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
extern mk_vf_shadow mk_vf_sh;
extern MK_TLS uintptr_t mk_vf_stk_hi; /* this thread's stack top (0: not known yet) */
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

/* A layer's own per-thread cache of pool blocks (iomdl.c's MDL lookaside)
 * handed out a cached block (alloc) or took one back (free). With Pool
 * Tracking the block is tracked as an allocation while it is handed out,
 * and counted like one (Windows' verifier sends these through the pool).
 * `caller`: the driver's return address (the recorded stack starts at the
 * frame that returns there), or NULL; `ddi_frame`: the frame of the DDI
 * that returns there (its __builtin_frame_address(0)), or NULL.
 * mk_verifier_cached_free returns 1 when the block had a live record (it
 * may be cached), 0 when it had none (already freed: the caller must not
 * cache it and lets the pool check the free). The common cases -- counters
 * set up, record in the shadow -- make no call. */
void mk_verifier_cached_alloc_slow(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame,
                                   int counted);
int mk_verifier_cached_free_slow(void *p, ULONG tag);
static inline __attribute__((always_inline)) void mk_verifier_cached_alloc(void *p, size_t bytes, ULONG tag,
                                                                           void *caller, const void *ddi_frame)
{
    if (MK_LIKELY(!(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING)))
        return;
    int counted = mk_vf_count_hot(tag == MK_MDL_TAG ? MK_VFC_MDL_OK : MK_VFC_POOL_OK);
    if (MK_LIKELY(counted) && MK_LIKELY(mk_vf_sh_track(p, tag, caller, (uintptr_t)ddi_frame)))
        return;
    mk_verifier_cached_alloc_slow(p, bytes, tag, caller, ddi_frame, counted);
}
static inline __attribute__((always_inline)) int mk_verifier_cached_free(void *p, ULONG tag)
{
    if (MK_LIKELY(!(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING)))
        return 1;
    if (MK_LIKELY(mk_vf_sh_drop(p, tag) > 0))
        return 1;
    return mk_verifier_cached_free_slow(p, tag);
}

/* report.c: what the report lists besides counters. */
typedef struct mk_vf_frame_list {
    int n;
    void *pcs[12];
} mk_vf_frame_list;
void mk_vf_report_reset(void);
void mk_vf_report_add_leak(const char *kind, const char *driver, const void *addr, size_t size, ULONG tag,
                           const mk_vf_frame_list *stack);
void mk_vf_report_add_fault(const char *routine, ULONG tag, const mk_vf_frame_list *stack);
void mk_vf_report_set_bugcheck(const mdlkit_bugcheck *bc, int caught, const mk_vf_frame_list *stack);
void mk_vf_report_write_configured(void);
/* "Tag1" in memory order, \xNN for unprintable bytes. */
void mk_vf_tag_name(ULONG tag, char *buf, size_t len);

#endif /* MK_VERIFIER_H */
