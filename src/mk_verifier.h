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
 * Returns 1 when the verifier freed the block (special pool), else 0 after
 * dropping the block's tracking record; the pool then frees as usual. */
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
 * with Pool Tracking, its fast free of a valid block calls
 * mk_verifier_pool_freed_fast once the block is back in its cache. */
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
/* A layer's own per-thread cache of pool blocks (iomdl.c's MDL lookaside)
 * handed out a cached block (alloc) or took one back (free). With Pool
 * Tracking the block is tracked as an allocation while it is handed out, and
 * counted like one. mk_verifier_cached_free returns 1 when the block had a
 * live record (it may be cached), 0 when it had none (already freed: the
 * caller must not cache it and lets the pool check the free). */
void mk_verifier_cached_alloc_slow(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame);
int mk_verifier_cached_free_slow(void *p, ULONG tag);
/* `caller`: the driver's return address (the recorded stack starts at the
 * frame that returns there), or NULL; `ddi_frame`: the frame of the DDI
 * that returns there (its __builtin_frame_address(0): the walk starts
 * there instead of seeking it), or NULL. */
static inline void mk_verifier_cached_alloc(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING))
        mk_verifier_cached_alloc_slow(p, bytes, tag, caller, ddi_frame);
}
static inline int mk_verifier_cached_free(void *p, ULONG tag)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING))
        return mk_verifier_cached_free_slow(p, tag);
    return 1;
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
 * Internal to src/verifier/ (declared here so the files share them).
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
enum mk_vf_counter {
    MK_VFC_POOL_OK = 0, /* attempted and succeeded (one count for both on the fast paths) */
    MK_VFC_MDL_OK,      /* the same for an MDL: also counts as an MDL allocated */
    MK_VFC_POOL_ATTEMPTED,
    MK_VFC_POOL_SUCCEEDED,
    MK_VFC_POOL_SPECIAL,
    MK_VFC_POOL_NO_TAG,
    MK_VFC_POOL_FAILED, /* injected failures (the pool does not report its own) */
    MK_VFC_FAULTS_INJECTED,
    MK_VFC_MDLS_ALLOCATED,
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
