/*
 * mk_verifier.h -- the hook interface: how the layers tell an observer (the
 * verifier, src/verifier/) what happens. Every routine here is an inline
 * wrapper that calls an entry of the hook table (src/mk_hooks.h, held by
 * the machine layer, filled by the verifier at mdlkit_init), so no layer
 * names a routine of the verifier. Each wrapper is cheap when its option is
 * off: it tests mk_rt.verifier first, so the fast path pays one predictable
 * branch. The verifier's own structures (shadow records, the stack walker,
 * counters, reports) are in src/verifier/vf_*.h, private to it.
 */
#ifndef MK_VERIFIER_H
#define MK_VERIFIER_H

#include "mk_base.h"
#include "mk_hooks.h"
#include "mk_machine.h"

struct mk_driver;
struct mk_pool_block;

/* ------------------------------------------------------------------------
 * Lifecycle and machine events
 * ---------------------------------------------------------------------- */

/* Called by KeBugCheckEx after printing the report and before aborting or
 * unwinding to mdlkit_catch_bugcheck: records the bug check for the report
 * (and writes the JSON report when the process is about to abort). */
MK_HOOK_INLINE void mk_verifier_on_bugcheck(const mdlkit_bugcheck *bc, int caught)
{
    if (mk_hook.bugcheck)
        mk_hook.bugcheck(bc, caught);
}

/* Called by KfRaiseIrql / spin-lock acquire when a thread goes from below
 * DISPATCH_LEVEL to DISPATCH_LEVEL or above (Force IRQL Checking trims
 * paged pool here). Only called when MDLKIT_VERIFY_FORCE_IRQL_CHECKING. */
MK_HOOK_INLINE void mk_verifier_on_raise_to_dispatch(void)
{
    if (mk_hook.raise_to_dispatch)
        mk_hook.raise_to_dispatch();
}

/* Called by mdlkit_driver_unload after DriverUnload ran and the driver's
 * devices were deleted: with Pool Tracking on, anything still charged to
 * the driver is reported (0xCB for locked pages, else 0xC4/0x62, each leak
 * listed). A no-op when the option is off. */
MK_HOOK_INLINE void mk_verifier_on_driver_unload(struct mk_driver *d)
{
    if (mk_hook.driver_unload)
        mk_hook.driver_unload(d);
}

/* (mk_machine.h) mk_hook_page_fault: special-pool guards and freed
 * pages, trimmed paged pool. */

/* ------------------------------------------------------------------------
 * Pool (published by src/mm/poolpage.c mk_pool_alloc / mk_pool_free)
 * ---------------------------------------------------------------------- */

/* mk_pool_alloc calls this first when mk_rt.verifier != 0. Returns 1 when
 * the verifier decided the result: *out is a special-pool block, or NULL
 * for an injected low-resources failure. Returns 0 to allocate normally;
 * the pool then calls mk_verifier_pool_allocated with what it got. */
MK_HOOK_INLINE int mk_verifier_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority,
                                         void *caller, void **out)
{
    return mk_hook.pool_alloc ? mk_hook.pool_alloc(heap, bytes, tag, flags, priority, caller, out) : 0;
}
MK_HOOK_INLINE void mk_verifier_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller)
{
    if (mk_hook.pool_allocated)
        mk_hook.pool_allocated(heap, p, bytes, tag, caller);
}
/* mk_pool_free calls this first when mk_rt.verifier != 0 (p is not NULL).
 * Returns 1 when the verifier freed the block (special pool), else 0; the
 * pool then checks and frees as usual, dropping the block's tracking record
 * (mk_verifier_untrack) only once every check has passed, so a caught bug
 * check leaves the block allocated AND tracked. */
MK_HOOK_INLINE int mk_verifier_pool_free(void *p, ULONG tag, int check_tag, void *caller)
{
    return mk_hook.pool_free ? mk_hook.pool_free(p, tag, check_tag, caller) : 0;
}

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
 * mk_verifier_pool_freed_fast once the block is back in its cache (the
 * block's record goes; `caller`, the driver's return address, starts the
 * freeing stack of the allocate/free log). */
#define MK_VF_POOL_FULL                                                                        \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_LOW_RESOURCES | MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES | \
     MDLKIT_VERIFY_MISC_CHECKS /* every free is checked for live objects (misc.c) */)
/* (These two have no test for a missing entry: the pool only calls them
 * with a verifier option on, and the verifier fills the table before any
 * layer starts; the allocation's call stays a tail call.) */
MK_HOOK_INLINE void *mk_verifier_pool_allocated_fast(void *p, size_t bytes, ULONG tag, void *caller)
{
    return mk_hook.pool_allocated_fast(p, bytes, tag, caller);
}
MK_HOOK_INLINE void mk_verifier_pool_freed_fast(void *p, void *caller)
{
    mk_hook.pool_freed_fast(p, caller);
}

MK_HOOK_INLINE bool mk_specpool_owns(const void *p)
{
    const char *c = (const char *)p;
    return c >= mk_as.rgn_base[MK_RGN_SPECIAL] && c < mk_as.rgn_end[MK_RGN_SPECIAL];
}
/* A live special-pool block containing p: 1 and *out filled (heap, tag,
 * size, base), else 0. For mk_pool_lookup on MK_RGN_SPECIAL addresses. */
MK_HOOK_INLINE int mk_specpool_lookup(const void *p, struct mk_pool_block *out)
{
    return mk_hook.specpool_lookup ? mk_hook.specpool_lookup(p, out) : 0;
}
/* Is p on the data page of a live special-pool block of PAGED pool? (Special
 * pool serves both pools from one region, so the address alone does not
 * say: probe/lock and the non-paged checks ask this.) */
MK_HOOK_INLINE int mk_specpool_page_is_paged(const void *p)
{
    return mk_hook.specpool_page_is_paged ? mk_hook.specpool_page_is_paged(p) : 0;
}

/* ------------------------------------------------------------------------
 * Low-resources simulation: ONE question the layers ask before an
 * allocation that Driver Verifier can fail.
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
/* The tag an MDL allocator without a tag argument is filtered and reported
 * by (IoAllocateMdl's pool tag, "MDL "): NdisAllocateMdl, StorPortAllocateMdl. */
#define MK_FAULT_TAG_MDL ' LDM'

/* true: fail this call deliberately (the caller returns its documented
 * failure: NULL, STATUS_INSUFFICIENT_RESOURCES, an exception...). `tag` is
 * the pool tag when there is one (0 otherwise: the tag filter of 0x4 then
 * does not apply), `caller` the driver's return address. */
MK_HOOK_INLINE bool mk_verifier_fail_now(enum mk_fault_site site, ULONG tag, void *caller)
{
    if (MK_LIKELY(!(mk_rt.verifier & MK_FAULT_FLAGS)) || !mk_hook.fail)
        return false;
    return mk_hook.fail((int)site, tag, caller);
}

/* ------------------------------------------------------------------------
 * Pool tracking: outstanding resources by driver.
 * ---------------------------------------------------------------------- */
enum mk_track_kind {
    MK_TRACK_POOL = 0,   /* pool block (kept by the pool hooks above) */
    MK_TRACK_LOCKED,     /* MDL locked by MmProbeAndLockPages: addr = MDL, size = pages */
    MK_TRACK_MAPPING,    /* MmMapLockedPages* mapping: addr = VA, size = bytes, aux = MDL */
    MK_TRACK_SHARED,     /* NdisMAllocateSharedMemory: addr = VA */
    MK_TRACK_CONTIG,     /* MmAllocateContiguousMemory*: addr = VA */
    MK_TRACK_KIND_COUNT
};
MK_HOOK_INLINE void mk_verifier_track(enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                                     const void *aux)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING) && mk_hook.track)
        mk_hook.track((int)kind, addr, size, tag, aux);
}
MK_HOOK_INLINE void mk_verifier_untrack(enum mk_track_kind kind, const void *addr)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING) && mk_hook.untrack)
        mk_hook.untrack((int)kind, addr);
}
/* Untrack a resource its port layer found leaked (and is about to free and
 * report itself): with Pool Tracking the record is listed first (a
 * bug-check note with the allocating stack, and the JSON "leaks"). */
MK_HOOK_INLINE void mk_verifier_untrack_leak(enum mk_track_kind kind, const void *addr)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING) && mk_hook.untrack_leak)
        mk_hook.untrack_leak((int)kind, addr);
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
 * cache it and lets the pool check the free). */
MK_HOOK_INLINE void mk_verifier_cached_alloc(void *p, size_t bytes, ULONG tag,
                                                                           void *caller, const void *ddi_frame)
{
    if (MK_LIKELY(!(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING)) || !mk_hook.cached_alloc)
        return;
    mk_hook.cached_alloc(p, bytes, tag, caller, ddi_frame);
}
MK_HOOK_INLINE int mk_verifier_cached_free(void *p, ULONG tag)
{
    if (MK_LIKELY(!(mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING)) || !mk_hook.cached_free)
        return 1;
    return mk_hook.cached_free(p, tag);
}

/* ------------------------------------------------------------------------
 * Code integrity (0x2000000), security checks (0x100), lint
 * ---------------------------------------------------------------------- */
/* Code integrity: a driver asked for executable memory. subcode 0x2000
 * (executable pool type: p3 pool type, p4 tag), 0x2001 (executable page
 * protection: p3 protection), 0x2002 (MDL mapping without
 * MdlMappingNoExecute: p3 the priority argument). Bug checks 0xC4 with
 * (subcode, caller, p3, p4) when the option is on. */
MK_HOOK_INLINE void mk_verifier_codeint(ULONG subcode, ULONG_PTR p3, ULONG_PTR p4, void *caller)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_CODE_INTEGRITY) && mk_hook.codeint)
        mk_hook.codeint(subcode, p3, p4, caller);
}
/* Code integrity 0x2000 for a POOL_TYPE a driver gave: non-paged without
 * POOL_NX_ALLOCATION is executable (NonPagedPool is NonPagedPoolExecute). */
MK_HOOK_INLINE void mk_verifier_codeint_pool(ULONG type, ULONG tag, void *caller)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_CODE_INTEGRITY) && !(type & 1u) &&
        !(type & POOL_NX_ALLOCATION) && mk_hook.codeint)
        mk_hook.codeint(0x2000, type, tag, caller);
}
/* Security checks: a Zw routine called from kernel mode was given addr as
 * a parameter (a buffer, a structure, a string's Buffer); a user-mode
 * address is a bug check when the option is on. */
MK_HOOK_INLINE void mk_verifier_zw_param(const char *routine, const void *addr, void *caller)
{
    if (MK_UNLIKELY(mk_rt.verifier & MDLKIT_VERIFY_SECURITY_CHECKS) && mk_hook.zw_user_address)
        mk_hook.zw_user_address(routine, addr, caller);
}
/* The lint category (mdlkit_config.lint): nothing when off; a warning with
 * the stack, counted, when "warn"; 0xC4 (rule, why, p3, p4) when "fatal". */
MK_HOOK_INLINE bool mk_lint_on(void) { return MK_UNLIKELY(mk_rt.cfg.lint != MDLKIT_LINT_OFF); }
MK_HOOK_INLINE void mk_lint(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4, void *caller)
{
    if (mk_lint_on() && mk_hook.lint)
        mk_hook.lint(rule, why, p3, p4, caller);
}

/* A mapping DDI without a failure path (MmGetSystemAddressForMdl) returned
 * `result` to `site` (frame: the caller's frame pointer): a NULL is
 * remembered for the thread, and a later fault on the null page while that
 * frame is live is reported as `rule` (MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS). */
MK_HOOK_INLINE void mk_lint_result(ULONG rule, const void *obj, const void *result, void *site, const void *frame)
{
    if (mk_lint_on() && mk_hook.lint_result)
        mk_hook.lint_result(rule, obj, result, site, frame);
}

/* MmPrepareMdlForReuse of a partial MDL (mark 1) and IoBuildPartialMdl
 * (mark 0: 1 if it was prepared since its last build; the note is
 * dropped), for MDLKIT_RULE_LINT_PARTIAL_REUSE. */
MK_HOOK_INLINE int mk_lint_mdl_prepared(const void *mdl, int mark)
{
    return mk_hook.lint_mdl_prepared ? mk_hook.lint_mdl_prepared(mdl, mark) : 1;
}

/* Allocator families for MDLKIT_RULE_LINT_ALLOCATOR_FAMILY (lint on only):
 * the NDIS and StorPort allocators note their blocks; a free takes the
 * note and reports a block freed through another family. */
enum { MK_FAMILY_EX = 0, MK_FAMILY_NDIS = 1, MK_FAMILY_STORPORT = 2 };
MK_HOOK_INLINE void mk_lint_family_note(const void *p, int family)
{
    if (mk_lint_on() && p && mk_hook.lint_family)
        (void)mk_hook.lint_family(p, family);
}
/* A free its own rule already checks: the note goes. */
MK_HOOK_INLINE void mk_lint_family_forget(const void *p)
{
    if (mk_lint_on() && p && mk_hook.lint_family)
        (void)mk_hook.lint_family(p, 0);
}
/* At a free through `family`: reports a block another family allocated. */
MK_HOOK_INLINE void mk_lint_family_free(const void *p, int family, const char *routine, void *caller)
{
    if (!mk_lint_on() || !p || !mk_hook.lint_family)
        return;
    int had = mk_hook.lint_family(p, 0);
    if (had != family)
        mk_lint(MDLKIT_RULE_LINT_ALLOCATOR_FAMILY, routine, (ULONG_PTR)p, (ULONG_PTR)had, caller);
}

#endif /* MK_VERIFIER_H */
