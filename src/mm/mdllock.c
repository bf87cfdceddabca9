/*
 * mdllock.c -- MmProbeAndLockPages and MmUnlockPages.
 *
 * Probing is one table lookup per page (the address space's per-page PFN and
 * access-bit arrays) and one increment of the thread's slot of the frame's
 * sharded lock count (mk_lockcount); no lock, no system call, no atomic
 * read-modify-write. Each DDI has a fast path (no call, no stack frame to
 * save: resident pages below the direct map, the thread's own shard, fault
 * injection and Pool Tracking off) that either does all the work or changes
 * nothing and hands the call to the full path, which makes every check and
 * report. Trimmed paged-pool pages (Force IRQL Checking) are touched so that
 * the fault handler brings them back, then locked.
 */
#include "mk_mdl.h"
#include "mk_machine.h"
#include "mk_verifier.h"

/* MDL flags that say the MDL is already described by something else. */
#define MDLLOCK_BAD_PROBE_FLAGS                                                                    \
    (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL |       \
     MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_IO_SPACE)
/* Private marker (MDL_INTERNAL): "this MDL was locked and has been unlocked",
 * so a second MmUnlockPages is told apart from one on a never-locked MDL.
 * MmProbeAndLockPages, IoAllocateMdl and MmInitializeMdl clear it. */
#define MDLLOCK_UNLOCKED_MARK MDL_INTERNAL

/* Adds one locked MDL of `pages` pages (lock) or takes one away (unlock)
 * in shard `shard`'s statistics slot (mk_mdl_lockstats). */
static inline void mdllock_stat(int shard, bool lock, size_t pages)
{
    _Atomic int64_t *v = &mk_mdl_lockstats[shard].v;
    uint64_t d = (uint64_t)MK_MDL_LOCKSTAT_MDL + pages;
    if (!lock)
        d = (uint64_t)0 - d;
    if (MK_LIKELY(shard > 0))
        atomic_store_explicit(v, (int64_t)((uint64_t)atomic_load_explicit(v, memory_order_relaxed) + d),
                              memory_order_relaxed);
    else
        atomic_fetch_add_explicit(v, (int64_t)d, memory_order_relaxed);
}

/* PsGetCurrentProcess(), the process of every user-mode MDL, once the full
 * path has asked for it (the probe's fast path makes no call). */
static _Atomic(PEPROCESS) mdllock_process;

/* Whether a RAM frame (index i = pfn - mk_phys.first) has a lock count
 * (mk_pfn_locks(pfn) != 0), the shards summed without a loop. */
static inline bool mdllock_has_locks(size_t i)
{
    const mk_lockcount *c = &mk_phys.lockdb[i];
    _Static_assert(MK_LOCK_SHARDS == 8, "mdllock_has_locks sums 8 shards");
#define MDLLOCK_S(k) atomic_load_explicit(&c->s[k], memory_order_relaxed)
    int32_t sum = (MDLLOCK_S(0) + MDLLOCK_S(1)) + (MDLLOCK_S(2) + MDLLOCK_S(3)) + (MDLLOCK_S(4) + MDLLOCK_S(5)) +
                  (MDLLOCK_S(6) + MDLLOCK_S(7));
#undef MDLLOCK_S
    return sum > 0;
}

/* Set once an unlock takes a shard's slot of some frame to or below zero
 * (a thread unlocked what another locked), cleared with the lock counts at
 * the memory manager's start (mk_mdl_records_reset). While it is clear every
 * slot is >= 0, so a frame whose own slot is > 0 has locks: the unlock's
 * fast path reads one slot instead of summing eight. */
atomic_bool mk_mdl_lock_crossed;

/* Before the unlock of shard `shard`'s slot `slot` (value `own`): a slot
 * about to go negative, or the shared shard 0, sets mk_mdl_lock_crossed. */
static inline void mdllock_note_cross(int shard, int32_t own)
{
    if (MK_UNLIKELY(own <= 0 || shard == 0) && !atomic_load_explicit(&mk_mdl_lock_crossed, memory_order_relaxed))
        atomic_store_explicit(&mk_mdl_lock_crossed, true, memory_order_relaxed);
}

static void mdllock_release(const PFN_NUMBER *pfns, size_t n)
{
    int shard = mk_lock_shard();
    for (size_t i = 0; i < n; i++)
        if (mk_pfn_is_ram(pfns[i]))
            mk_lock_add((size_t)(pfns[i] - mk_phys.first), shard, -1);
}

/* Fails the probe: releases what was locked and raises. No lock is held.
 * A probe that raises leaves an MDL that was never successfully locked, so a
 * later MmUnlockPages is 0xC4/0x7C, not "unlocked twice" (found by the
 * fuzzer). A probe that bug-checks leaves the MDL untouched instead. */
static MK_NORETURN MK_NOINLINE void mdllock_fail(PMDL Mdl, PPFN_NUMBER pfns, size_t locked, NTSTATUS status)
{
    mdllock_release(pfns, locked);
    pfns[locked] = MK_PFN_LIST_END;
    Mdl->Process = NULL;
    Mdl->MdlFlags = (CSHORT)((USHORT)Mdl->MdlFlags & (USHORT)~MDLLOCK_UNLOCKED_MARK);
    mk_raise(status);
}

/* mdllock_slow_page's answer for pageable memory probed at DISPATCH_LEVEL. */
#define MDLLOCK_PFN_BAD_IRQL ((PFN_NUMBER)-2)

/* Slow path for one page: trimmed pages, foreign memory, the direct map,
 * IRQL rules for pageable memory. Returns the PFN or 0 (access violation). */
static MK_NOINLINE PFN_NUMBER mdllock_slow_page(PMDL Mdl, char *page, bool write, bool user_va)
{
    enum mk_region r = mk_va_region(page);
    if (r == MK_RGN_FOREIGN) {
        /* Host memory: accepted as Windows accepts it -- except addresses
         * that can never be memory: the NULL region (below 64 KiB, the
         * Windows and Linux minimum mapping address) and the non-canonical
         * / kernel half (0xFFFF8000'00000000 as a driver would write it).
         * Probing those is an access violation, not a lock of nothing. */
        if ((uintptr_t)page < 0x10000 || (uintptr_t)page >= ((uintptr_t)1 << 47))
            return 0;
        return mk_va_to_pfn(page);
    }
    if (r == MK_RGN_DIRECT)
        return mk_va_to_pfn(page);
    if (r == MK_RGN_GAP)
        return 0;
    uint8_t bits = mk_va_bits(page);
    if (!(bits & MK_PG_MAPPED))
        return 0;
    bool pageable = (r == MK_RGN_USER || r == MK_RGN_PPOOL ||
                     (r == MK_RGN_SPECIAL && mk_specpool_page_is_paged(page))); /* paged pool from special pool */
    if (pageable && mk_irql() >= DISPATCH_LEVEL)
        return MDLLOCK_PFN_BAD_IRQL; /* the caller releases what it locked, then bug checks */
    if (bits & MK_PG_TRIMMED) {
        /* Paged out (Force IRQL Checking): a touch faults it back in. */
        (void)*(volatile char *)page;
        /* The fault handler changed the page table behind the compiler's
         * back: re-read it after the touch, not before. */
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        bits = mk_va_bits(page);
    }
    if (!(bits & MK_PG_READ) || (bits & MK_PG_GUARD))
        return 0;
    if (write && user_va && !(bits & MK_PG_WRITE))
        return 0;
    return mk_va_to_pfn(page);
}

/* Whether the verifier options the probe and unlock report to are off:
 * fault injection (the probe may fail) and Pool Tracking (locked MDLs are
 * tracked). One test on the fast paths. */
#define MDLLOCK_VERIFIER_FLAGS (MK_FAULT_FLAGS | MDLKIT_VERIFY_POOL_TRACKING)

/* The probe's fast path: every page in the simulated address space below
 * the direct map, resident, accessible as asked, a RAM frame; IRQL below
 * DISPATCH_LEVEL; no probe flag; the thread has its own lock shard; fault
 * injection and Pool Tracking off. Locks the pages and returns true, or
 * returns false having changed nothing (the full path then does the work
 * and every report). */
static inline __attribute__((always_inline)) bool mdllock_probe_fast(PMDL mdl, KPROCESSOR_MODE AccessMode,
                                                                     LOCK_OPERATION Operation)
{
    if (MK_UNLIKELY(!mdl || mk_irql() >= DISPATCH_LEVEL || (mk_rt.verifier & MDLLOCK_VERIFIER_FLAGS)))
        return false;
    USHORT flags = (USHORT)mdl->MdlFlags;
    if (MK_UNLIKELY(flags & MDLLOCK_BAD_PROBE_FLAGS))
        return false;
    int shard = mk_self.lock_shard;
    if (MK_UNLIKELY(shard <= 0 || mk_self.generation != atomic_load_explicit(&mk_rt.generation, memory_order_relaxed)))
        return false;
    uintptr_t start = (uintptr_t)MmGetMdlVirtualAddress(mdl);
    uintptr_t end = start + mdl->ByteCount;
    const bool in_user = start - (uintptr_t)mk_as.rgn_base[MK_RGN_USER] <
                         (uintptr_t)mk_as.rgn_end[MK_RGN_USER] - (uintptr_t)mk_as.rgn_base[MK_RGN_USER];
    const bool user_va = start < MmUserProbeAddress && in_user;
    if (MK_UNLIKELY(end < start) || (AccessMode != KernelMode && (end > MmUserProbeAddress || !in_user)))
        return false;
    PEPROCESS process = atomic_load_explicit(&mdllock_process, memory_order_relaxed);
    if (MK_UNLIKELY(user_va && !process))
        return false;
    const bool write = Operation != IoReadAccess;
    const uint8_t need = (uint8_t)(MK_PG_MAPPED | MK_PG_READ | ((write && user_va) ? MK_PG_WRITE : 0));
    const uint8_t mask = (uint8_t)(need | MK_PG_TRIMMED | MK_PG_GUARD);
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(start, mdl->ByteCount);
    size_t idx = ((uintptr_t)mdl->StartVa - (uintptr_t)mk_as.base) >> PAGE_SHIFT;
    size_t lim = (size_t)(mk_as.rgn_base[MK_RGN_DIRECT] - mk_as.base) >> PAGE_SHIFT;
    /* (an unsigned index: a start below the reservation is far above lim) */
    if (MK_UNLIKELY(idx >= lim || pages > lim - idx))
        return false;
    const uint8_t *bits = mk_as.bits + idx;
    const uint32_t *tab = mk_as.pfn + idx;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    const PFN_NUMBER first = mk_phys.first, span = mk_phys.last - mk_phys.first;
    mk_lockcount *locks = mk_phys.lockdb;
    for (size_t i = 0; i < pages; i++) {
        PFN_NUMBER pfn = tab[i];
        if (MK_UNLIKELY((bits[i] & mask) != need || pfn - first > span)) {
            while (i--) /* undo: this thread's own slots, nothing else was written */
                mk_lock_add((size_t)(pfns[i] - first), shard, -1);
            return false;
        }
        _Atomic int32_t *slot = &locks[pfn - first].s[shard];
        atomic_store_explicit(slot, atomic_load_explicit(slot, memory_order_relaxed) + 1, memory_order_relaxed);
        pfns[i] = pfn;
    }
    flags &= (USHORT)~(MDLLOCK_UNLOCKED_MARK | MDL_WRITE_OPERATION);
    flags |= (USHORT)(MDL_PAGES_LOCKED | (write ? MDL_WRITE_OPERATION : 0));
    mdl->MdlFlags = (CSHORT)flags;
    mdllock_stat(shard, true, pages);
    mdl->Process = user_va ? process : NULL;
    return true;
}

/* The probe's full path: every case and every check. `caller`: the
 * driver's return address. */
static MK_NOINLINE void mdllock_probe(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation,
                                      void *caller)
{
    if (MK_UNLIKELY(!MemoryDescriptorList))
        mk_access_fault(NULL, 0, caller);
    PMDL mdl = MemoryDescriptorList;
    if (MK_UNLIKELY(mk_irql() > DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x70, mk_irql(), (ULONG_PTR)mdl, (ULONG_PTR)(LONG_PTR)AccessMode);
    USHORT flags = (USHORT)mdl->MdlFlags;
    if (MK_UNLIKELY(flags & MDLLOCK_BAD_PROBE_FLAGS))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, (ULONG_PTR)mdl, flags, flags & MDLLOCK_BAD_PROBE_FLAGS);
    if (MK_UNLIKELY(mk_verifier_fail_now(MK_FAULT_PROBE_AND_LOCK, 0, caller)))
        mdllock_fail(mdl, MmGetMdlPfnArray(mdl), 0, STATUS_INSUFFICIENT_RESOURCES);
    char *start = (char *)MmGetMdlVirtualAddress(mdl);
    /* Integer arithmetic: a range that wraps the address space is a driver
     * bug to report, and pointer overflow is undefined behaviour. */
    uintptr_t end = (uintptr_t)start + mdl->ByteCount;
    bool write = Operation != IoReadAccess;
    /* mk_va_region(start) == MK_RGN_USER (the user region lies inside the
     * reservation), without walking the region table */
    const bool in_user = (uintptr_t)start - (uintptr_t)mk_as.rgn_base[MK_RGN_USER] <
                         (uintptr_t)mk_as.rgn_end[MK_RGN_USER] - (uintptr_t)mk_as.rgn_base[MK_RGN_USER];
    if (AccessMode != KernelMode) {
        if ((ULONG_PTR)end > MmUserProbeAddress || end < (uintptr_t)start || !in_user)
            mdllock_fail(mdl, MmGetMdlPfnArray(mdl), 0, STATUS_ACCESS_VIOLATION);
    } else if (MK_UNLIKELY(end < (uintptr_t)start)) {
        mdllock_fail(mdl, MmGetMdlPfnArray(mdl), 0, STATUS_ACCESS_VIOLATION);
    }
    bool user_va = (ULONG_PTR)start < MmUserProbeAddress && in_user;

    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(start, mdl->ByteCount);
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    char *page = (char *)mdl->StartVa;
    /* Fast path: pages of the simulated address space below the direct map
     * whose bits say mapped and readable (and writable when needed). */
    const uint8_t need = (uint8_t)(MK_PG_MAPPED | MK_PG_READ | ((write && user_va) ? MK_PG_WRITE : 0));
    const uint8_t bad = (uint8_t)(MK_PG_TRIMMED | MK_PG_GUARD);
    const bool pageable_ok = mk_irql() < DISPATCH_LEVEL;
    uintptr_t lim = (uintptr_t)(mk_as.rgn_base[MK_RGN_DIRECT] - mk_as.base);
    const int shard = mk_lock_shard();
    for (size_t i = 0; i < pages; i++, page += PAGE_SIZE) {
        uintptr_t off = (uintptr_t)(page - mk_as.base);
        PFN_NUMBER pfn;
        if (MK_LIKELY(off < lim && pageable_ok)) {
            size_t idx = off >> PAGE_SHIFT;
            uint8_t b = mk_as.bits[idx];
            pfn = mk_as.pfn[idx];
            if (MK_UNLIKELY((b & need) != need || (b & bad) || !pfn))
                pfn = mdllock_slow_page(mdl, page, write, user_va);
        } else {
            pfn = mdllock_slow_page(mdl, page, write, user_va);
        }
        if (MK_UNLIKELY(!pfn))
            mdllock_fail(mdl, pfns, i, STATUS_ACCESS_VIOLATION);
        if (MK_UNLIKELY(pfn == MDLLOCK_PFN_BAD_IRQL)) {
            /* Pageable memory may only be probed at <= APC_LEVEL. Undo this
             * probe's locks first so a caught bug check leaves no trace. */
            mdllock_release(pfns, i);
            /* P1: the address the probe touches on that page -- the range's
             * first byte on its first page, else the page's start */
            mk_bugcheck(DRIVER_IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)(i == 0 ? start : page), mk_irql(), write ? 1 : 0,
                        (ULONG_PTR)caller);
        }
        if (MK_LIKELY(mk_pfn_is_ram(pfn)))
            mk_lock_add((size_t)(pfn - mk_phys.first), shard, 1);
        pfns[i] = pfn;
    }
    flags &= (USHORT)~(MDLLOCK_UNLOCKED_MARK | MDL_WRITE_OPERATION);
    flags |= MDL_PAGES_LOCKED;
    if (write)
        flags |= MDL_WRITE_OPERATION;
    mdl->MdlFlags = (CSHORT)flags;
    if (user_va) {
        mdl->Process = PsGetCurrentProcess();
        atomic_store_explicit(&mdllock_process, mdl->Process, memory_order_relaxed);
    } else {
        mdl->Process = NULL;
    }
    mdllock_stat(shard, true, pages);
    mk_verifier_track(MK_TRACK_LOCKED, mdl, pages, 0, NULL);
}

void MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode, LOCK_OPERATION Operation)
{
    MK_ENTER("MmProbeAndLockPages");
    mk_ddi_prohibited_check("MmProbeAndLockPages");
    if (MK_LIKELY(mdllock_probe_fast(MemoryDescriptorList, AccessMode, Operation)))
        return;
    mdllock_probe(MemoryDescriptorList, AccessMode, Operation, __builtin_return_address(0));
}

/* What both unlock fast paths need: a locked MDL, not partial, not built
 * for non-paged pool, not mapped; IRQL at most DISPATCH_LEVEL; Pool Tracking
 * off; the thread's own lock shard on this machine. */
static inline __attribute__((always_inline)) bool mdllock_unlock_eligible(PMDL mdl, USHORT *flags, int *shard)
{
    if (MK_UNLIKELY(!mdl || mk_irql() > DISPATCH_LEVEL || (mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING)))
        return false;
    *flags = (USHORT)mdl->MdlFlags;
    if (MK_UNLIKELY((*flags & (MDL_PAGES_LOCKED | MDL_PARTIAL | MDL_SOURCE_IS_NONPAGED_POOL |
                               MDL_MAPPED_TO_SYSTEM_VA)) != MDL_PAGES_LOCKED))
        return false;
    *shard = mk_self.lock_shard;
    return !MK_UNLIKELY(*shard <= 0 ||
                        mk_self.generation != atomic_load_explicit(&mk_rt.generation, memory_order_relaxed));
}

/* Both unlock fast paths' walk over the MDL's frames (always inline, so
 * each gets its own copy with `summing` fixed): each frame's own lock slot
 * goes down by one. A slot that reads <= 0 -- or any slot, once an unlock
 * has crossed threads (mk_mdl_lock_crossed) -- needs the frame's eight
 * slots summed: with `summing` they are (a frame no longer locked undoes
 * the walk: 0, the full path reports), without it the walk is undone and
 * -1 asks for the summing variant. 1: unlocked. */
static inline __attribute__((always_inline)) int mdllock_unlock_walk(PMDL mdl, USHORT flags, int shard, bool summing)
{
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);
    const PFN_NUMBER *pfns = MmGetMdlPfnArray(mdl);
    const PFN_NUMBER first = mk_phys.first, span = mk_phys.last - mk_phys.first;
    mk_lockcount *locks = mk_phys.lockdb;
    const bool crossed = summing && atomic_load_explicit(&mk_mdl_lock_crossed, memory_order_relaxed);
    for (size_t i = 0; i < pages; i++) {
        PFN_NUMBER pfn = pfns[i];
        if (MK_UNLIKELY(pfn - first > span)) {
            if (pfn == MK_PFN_LIST_END)
                break;
            continue; /* not RAM: no lock count */
        }
        _Atomic int32_t *slot = &locks[pfn - first].s[shard];
        int32_t own = atomic_load_explicit(slot, memory_order_relaxed);
        if (MK_UNLIKELY(own <= 0 || crossed)) {
            if (!summing || MK_UNLIKELY(!mdllock_has_locks((size_t)(pfn - first)))) {
                while (i--) /* undo */
                    if (pfns[i] - first <= span)
                        mk_lock_add((size_t)(pfns[i] - first), shard, 1);
                return summing ? 0 : -1;
            }
            mdllock_note_cross(shard, own);
        }
        atomic_store_explicit(slot, own - 1, memory_order_relaxed);
    }
    mdl->MdlFlags = (CSHORT)((flags & (USHORT)~MDL_PAGES_LOCKED) | MDLLOCK_UNLOCKED_MARK);
    mdllock_stat(shard, false, pages);
    return 1;
}

/* mdllock_unlock_fast's second half, once a slot reads <= 0 or an unlock
 * has crossed threads: the walk with each frame's eight slots summed.
 * Returns true having unlocked it, or false having changed nothing. */
static MK_NOINLINE bool mdllock_unlock_summing(PMDL mdl)
{
    USHORT flags;
    int shard;
    if (MK_UNLIKELY(!mdllock_unlock_eligible(mdl, &flags, &shard)))
        return false;
    return mdllock_unlock_walk(mdl, flags, shard, true) == 1;
}

/* The unlock's fast path: what mdllock_unlock_eligible asks, every frame's
 * own slot > 0 and no unlock ever crossed threads (else
 * mdllock_unlock_summing). Returns true having unlocked it, or false having
 * changed nothing. */
static inline __attribute__((always_inline)) bool mdllock_unlock_fast(PMDL mdl)
{
    USHORT flags;
    int shard;
    if (MK_UNLIKELY(!mdllock_unlock_eligible(mdl, &flags, &shard)))
        return false;
    if (MK_UNLIKELY(atomic_load_explicit(&mk_mdl_lock_crossed, memory_order_relaxed)))
        return mdllock_unlock_summing(mdl);
    int r = mdllock_unlock_walk(mdl, flags, shard, false);
    if (MK_UNLIKELY(r < 0))
        return mdllock_unlock_summing(mdl);
    return r == 1;
}

/* The unlock's full path. `caller`: the driver's return address. */
static MK_NOINLINE void mdllock_unlock(PMDL MemoryDescriptorList, void *caller)
{
    if (MK_UNLIKELY(!MemoryDescriptorList))
        mk_access_fault(NULL, 0, caller);
    PMDL mdl = MemoryDescriptorList;
    if (MK_UNLIKELY(mk_irql() > DISPATCH_LEVEL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x78, mk_irql(), (ULONG_PTR)mdl, 0);
    USHORT flags = (USHORT)mdl->MdlFlags;
    if (flags & MDL_PARTIAL)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB4, (ULONG_PTR)mdl, flags, MDL_PARTIAL);
    if (flags & MDL_SOURCE_IS_NONPAGED_POOL)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, (ULONG_PTR)mdl, flags, 0);
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), mdl->ByteCount);
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    if (!(flags & MDL_PAGES_LOCKED)) {
        if (!(flags & MDLLOCK_UNLOCKED_MARK))
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, (ULONG_PTR)mdl, flags, 0);
        /* Unlocked a second time: user pages are 0x76/0x01 (MDL, current
         * locked count), system pages 0x4E/0x07 (PFN, its lock count). */
        ULONG_PTR count = pages ? mk_pfn_locks(pfns[0]) : 0;
        if (mdl->Process)
            mk_bugcheck(PROCESS_HAS_LOCKED_PAGES, 0x01, (ULONG_PTR)mdl, count, 0);
        mk_bugcheck(PFN_LIST_CORRUPT, 0x07, pages ? pfns[0] : 0, count, 0);
    }
    /* One pass: drop each frame's lock. A frame with no lock to drop (pages
     * from MmAllocatePagesForMdl, or a hand-set flag) means "unlocked more
     * often than locked": put back what was dropped, then 0x4E/0x07 -- with
     * the MDL as it was (its system mapping is released after the pass). */
    const int shard = mk_lock_shard();
    for (size_t i = 0; i < pages; i++) {
        if (pfns[i] == MK_PFN_LIST_END)
            break;
        if (MK_UNLIKELY(!mk_pfn_is_ram(pfns[i])))
            continue;
        if (MK_UNLIKELY(!mdllock_has_locks((size_t)(pfns[i] - mk_phys.first)))) {
            /* put back what this unlock already dropped, then report */
            for (size_t k = 0; k < i; k++)
                if (mk_pfn_is_ram(pfns[k]))
                    mk_lock_add((size_t)(pfns[k] - mk_phys.first), shard, 1);
            mk_bugcheck(PFN_LIST_CORRUPT, 0x07, pfns[i], 0, 0);
        }
        size_t fi = (size_t)(pfns[i] - mk_phys.first);
        mdllock_note_cross(shard, atomic_load_explicit(&mk_phys.lockdb[fi].s[shard], memory_order_relaxed));
        mk_lock_add(fi, shard, -1);
    }
    if (mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA)
        mk_mdl_unmap_system(mdl);
    flags = (USHORT)mdl->MdlFlags;
    flags &= (USHORT)~MDL_PAGES_LOCKED;
    flags |= MDLLOCK_UNLOCKED_MARK;
    mdl->MdlFlags = (CSHORT)flags;
    mdllock_stat(shard, false, pages);
    mk_verifier_untrack(MK_TRACK_LOCKED, mdl);
}

void MmUnlockPages(PMDL MemoryDescriptorList)
{
    MK_ENTER("MmUnlockPages");
    mk_ddi_prohibited_check("MmUnlockPages");
    if (MK_LIKELY(mdllock_unlock_fast(MemoryDescriptorList)))
        return;
    mdllock_unlock(MemoryDescriptorList, __builtin_return_address(0));
}
