/*
 * iomdl.c -- IoAllocateMdl, IoFreeMdl, IoBuildPartialMdl, and the per-
 * processor lookaside of fixed-size MDLs behind them.
 *
 * Small MDLs (<= 23 PFN slots) come from a per-thread ("per-processor")
 * lookaside of fixed-size blocks marked MDL_ALLOCATED_FIXED_SIZE, as on
 * Windows; the common path takes no lock and makes no system call, and
 * IoAllocateMdl / IoFreeMdl handle it without a call (everything else is a
 * tail call to their full paths). A block carries MK_MDL_FIXED_COOKIE after
 * its 23 PFN slots (mk_mdl.h) for MmBuildMdlForNonPagedPool. Every MDL
 * is non-paged pool with tag ' LDM'. When Special Pool, I/O Verification or a
 * Low Resources option is on, the lookaside is bypassed so that the verifier
 * sees (and may fail) every MDL allocation, as Windows 7+ does; under Pool
 * Tracking a cached MDL is tracked while it is handed out.
 */
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_machine.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A fixed-size block: the MDL, its 23 PFN slots and the block's cookie
 * (MK_MDL_FIXED_COOKIE, mk_mdl.h). */
#define IOMDL_FIXED_BYTES (MK_MDL_FIXED_BYTES + sizeof(uintptr_t))
#define IOMDL_CACHE_DEPTH 256
/* Pool Tracking keeps the cache: a cached block is tracked while it is handed
 * out (mk_verifier_cached_alloc / mk_verifier_cached_free). */
#define IOMDL_BYPASS_FLAGS                                                                          \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_LOW_RESOURCES |                                   \
     MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES | MDLKIT_VERIFY_IO_CHECKING)

/* Per-thread lookaside of fixed-size MDL blocks. A thread's cache is linked
 * into iomdl_caches the first time it keeps a block: its blocks go back to
 * the pool when the thread exits (the key's destructor) and, for every
 * thread, at mdlkit_shutdown -- none stays outstanding under 'MDL '. */
typedef struct iomdl_cache {
    unsigned generation; /* mk_rt.generation the blocks belong to */
    unsigned count;
    void *slot[IOMDL_CACHE_DEPTH];
    struct iomdl_cache *next; /* in iomdl_caches, while linked */
    bool linked;
} iomdl_cache;
static MK_TLS iomdl_cache iomdl_tls;
static pthread_mutex_t iomdl_caches_lock = PTHREAD_MUTEX_INITIALIZER;
static iomdl_cache *iomdl_caches;
static pthread_once_t iomdl_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t iomdl_key;

/* Gives a cache's blocks back to the pool if they belong to the running
 * machine (blocks of an earlier machine are gone with it). Called with
 * iomdl_caches_lock held; freeing a cached block never raises. */
static void iomdl_cache_drain(iomdl_cache *c)
{
    if (atomic_load(&mk_rt.up) && c->generation == atomic_load(&mk_rt.generation))
        while (c->count)
            ExFreePoolWithTag(c->slot[--c->count], MK_MDL_TAG);
    c->count = 0;
}

static void iomdl_thread_exit(void *arg)
{
    iomdl_cache *c = arg;
    pthread_mutex_lock(&iomdl_caches_lock);
    iomdl_cache_drain(c);
    for (iomdl_cache **pp = &iomdl_caches; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    c->linked = false;
    pthread_mutex_unlock(&iomdl_caches_lock);
}

static void iomdl_make_key(void) { (void)pthread_key_create(&iomdl_key, iomdl_thread_exit); }

static MK_NOINLINE void iomdl_cache_link(iomdl_cache *c)
{
    pthread_once(&iomdl_key_once, iomdl_make_key);
    pthread_mutex_lock(&iomdl_caches_lock);
    c->next = iomdl_caches;
    iomdl_caches = c;
    c->linked = true;
    pthread_mutex_unlock(&iomdl_caches_lock);
    pthread_setspecific(iomdl_key, c);
}

/* `caller`: the driver's return address (Pool Tracking records the
 * allocating stack from there). */
static inline void *iomdl_pool_alloc(size_t bytes, void *caller)
{
    mk_pool_heap heap = mk_os_at_least(NTDDI_WIN8) ? MK_HEAP_NONPAGED_NX : MK_HEAP_NONPAGED_EXEC;
    return mk_pool_alloc(heap, bytes, MK_MDL_TAG, MK_POOL_INTERNAL, NormalPoolPriority, caller);
}

static inline ULONG iomdl_max_length(void)
{
    if (MK_UNLIKELY(!mk_os_at_least(NTDDI_VISTA)))
        return (ULONG)(PAGE_SIZE * (65535 - sizeof(MDL)) / sizeof(ULONG_PTR));
    if (MK_UNLIKELY(!mk_os_at_least(NTDDI_WIN7)))
        return 0x80000000UL - PAGE_SIZE;
    return 0xFFFFFFFFUL - PAGE_SIZE + 1;
}

ULONG mk_mdl_max_length(void) { return iomdl_max_length(); }

/* A fixed-size MDL resting in a thread's cache carries this in Process and
 * only MDL_ALLOCATED_FIXED_SIZE in its flags, so a second IoFreeMdl of it is
 * recognised (the pool cannot see it: the block is still allocated). */
#define IOMDL_CACHED_COOKIE ((struct _EPROCESS *)(ULONG_PTR)0xC0DE0F4EE0D0A11CULL)

static inline bool iomdl_cache_usable(void)
{
    return !(mk_rt.verifier & IOMDL_BYPASS_FLAGS);
}

/* iomdl_alloc_fixed's every case: the verifier, another machine's cache,
 * an empty cache. */
static MK_NOINLINE void *iomdl_alloc_fixed_full(void *caller, const void *frame)
{
    iomdl_cache *c = &iomdl_tls;
    if (MK_LIKELY(iomdl_cache_usable())) {
        unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
        if (MK_UNLIKELY(c->generation != gen)) {
            c->generation = gen; /* blocks of a previous machine are gone with it */
            c->count = 0;
        }
        if (MK_LIKELY(c->count)) {
            PMDL m = c->slot[--c->count];
            m->Process = NULL;
            mk_verifier_cached_alloc(m, IOMDL_FIXED_BYTES, MK_MDL_TAG, caller, frame);
            return m;
        }
    }
    void *b = iomdl_pool_alloc(IOMDL_FIXED_BYTES, caller);
    if (MK_LIKELY(b != NULL))
        *(uintptr_t *)((char *)b + MK_MDL_FIXED_BYTES) = MK_MDL_FIXED_COOKIE(b);
    return b;
}

/* Verifier options under which a cached block takes the full path (the
 * bypass, or Pool Tracking's record of each block handed out). */
#define IOMDL_FULL_FLAGS (IOMDL_BYPASS_FLAGS | MDLKIT_VERIFY_POOL_TRACKING)

/* A fixed-size block: a pop from this thread's cache (the caller sets
 * every field), else the full path. */
static inline __attribute__((always_inline)) void *iomdl_alloc_fixed(void *caller, const void *frame)
{
    iomdl_cache *c = &iomdl_tls;
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_LIKELY(!(mk_rt.verifier & IOMDL_FULL_FLAGS) && c->generation == gen && c->count))
        return c->slot[--c->count];
    return iomdl_alloc_fixed_full(caller, frame);
}

/* A fixed-size MDL goes onto this thread's cache, marked as resting there
 * (IOMDL_CACHED_COOKIE: a second free is recognised). */
static inline __attribute__((always_inline)) void iomdl_cache_put(PMDL Mdl, iomdl_cache *c)
{
    Mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
    Mdl->Process = IOMDL_CACHED_COOKIE;
    c->slot[c->count++] = Mdl;
}

static MK_NOINLINE void iomdl_free_block_full(PMDL Mdl)
{
    if (Mdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) {
        iomdl_cache *c = &iomdl_tls;
        unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
        if (MK_LIKELY(iomdl_cache_usable())) {
            if (MK_UNLIKELY(c->generation != gen)) {
                c->generation = gen;
                c->count = 0;
            }
            if (MK_UNLIKELY(!c->linked))
                iomdl_cache_link(c);
            /* (no tracking record: not cached, the pool checks the free) */
            if (MK_LIKELY(c->count < IOMDL_CACHE_DEPTH) && mk_verifier_cached_free(Mdl, MK_MDL_TAG)) {
                iomdl_cache_put(Mdl, c);
                return;
            }
        }
    } else {
        mk_mdl_forget_size(Mdl);
    }
    ExFreePoolWithTag(Mdl, MK_MDL_TAG);
}

/* A fixed-size block goes back onto this thread's cache when it is this
 * machine's, linked, with room, and no verifier option watches the cache;
 * everything else takes the full path. */
static inline __attribute__((always_inline)) void iomdl_free_block(PMDL Mdl)
{
    iomdl_cache *c = &iomdl_tls;
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_LIKELY((Mdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE) && !(mk_rt.verifier & IOMDL_FULL_FLAGS) &&
                  c->generation == gen && c->linked && c->count < IOMDL_CACHE_DEPTH)) {
        iomdl_cache_put(Mdl, c);
        return;
    }
    iomdl_free_block_full(Mdl);
}

/* `caller`: the driver's return address, for Pool Tracking's stack;
 * `frame`: the frame of the DDI that returns there. */
static inline __attribute__((always_inline)) PMDL iomdl_allocate(PVOID VirtualAddress, ULONG Length, void *caller,
                                                                  const void *frame)
{
    if (MK_UNLIKELY(Length > iomdl_max_length()))
        return NULL;
    size_t pages = ((size_t)BYTE_OFFSET(VirtualAddress) + Length + PAGE_SIZE - 1) >> PAGE_SHIFT;
    PMDL mdl;
    CSHORT fixed = 0;
    if (MK_LIKELY(pages <= MK_MDL_FIXED_PFNS)) {
        mdl = iomdl_alloc_fixed(caller, frame);
        fixed = MDL_ALLOCATED_FIXED_SIZE;
    } else {
        size_t bytes = sizeof(MDL) + pages * sizeof(PFN_NUMBER);
        mdl = iomdl_pool_alloc(bytes, caller);
        if (mdl && bytes > 0x7FFF)
            mk_mdl_record_size(mdl, bytes);
        else if (mdl)
            mk_mdl_forget_size(mdl);
    }
    if (MK_UNLIKELY(!mdl))
        return NULL;
    MmInitializeMdl(mdl, VirtualAddress, Length);
    mdl->MdlFlags = fixed;
    mdl->Process = NULL;
    mdl->MappedSystemVa = NULL;
    return mdl;
}

PMDL mk_mdl_allocate(PVOID VirtualAddress, ULONG Length)
{
    return iomdl_allocate(VirtualAddress, Length, __builtin_return_address(0), __builtin_frame_address(0));
}

/* IoAllocateMdl after its entry checks, every case. `caller`: the driver's
 * return address; `frame`: IoAllocateMdl's frame. */
static MK_NOINLINE PMDL iomdl_allocate_full(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                                            BOOLEAN ChargeQuota, PIRP Irp, void *caller, const void *frame)
{
    if (MK_UNLIKELY(SecondaryBuffer) && (!Irp || !Irp->MdlAddress))
        mk_violation(MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY,
                     Irp ? "IoAllocateMdl: SecondaryBuffer is TRUE but the IRP has no MDL chain (Irp->MdlAddress is NULL)"
                         : "IoAllocateMdl: SecondaryBuffer is TRUE without an IRP",
                     (ULONG_PTR)Irp, (ULONG_PTR)VirtualAddress);
    /* ChargeQuota is documented as reserved, but Windows ignores it and
     * shipped, Verifier-clean drivers pass TRUE (Microsoft's sioctl on every
     * METHOD_NEITHER request): nothing to report. */
    (void)ChargeQuota;
    if (MK_UNLIKELY(mk_verifier_fail_now(MK_FAULT_IO_ALLOCATE_MDL, MK_MDL_TAG, caller)))
        return NULL;
    PMDL mdl = iomdl_allocate(VirtualAddress, Length, caller, frame);
    if (MK_UNLIKELY(!mdl))
        return NULL;
    if (Irp) {
        if (!SecondaryBuffer) {
            Irp->MdlAddress = mdl;
        } else {
            PMDL tail = Irp->MdlAddress;
            while (tail->Next)
                tail = tail->Next;
            tail->Next = mdl;
        }
    }
    return mdl;
}

/* IoAllocateMdl's fast case: a range of at most 23 pages and a block in
 * this thread's cache, which becomes the MDL (the caller checked the
 * verifier's options and the secondary buffer). NULL: the full path. */
static inline __attribute__((always_inline)) PMDL iomdl_allocate_cached(PVOID VirtualAddress, ULONG Length, PIRP Irp)
{
    size_t pages = ((size_t)BYTE_OFFSET(VirtualAddress) + Length + PAGE_SIZE - 1) >> PAGE_SHIFT;
    iomdl_cache *c = &iomdl_tls;
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    if (MK_UNLIKELY(pages > MK_MDL_FIXED_PFNS || Length > iomdl_max_length() || c->generation != gen || !c->count))
        return NULL;
    PMDL mdl = c->slot[--c->count];
    MmInitializeMdl(mdl, VirtualAddress, Length);
    mdl->MdlFlags = MDL_ALLOCATED_FIXED_SIZE;
    mdl->Process = NULL;
    mdl->MappedSystemVa = NULL;
    if (Irp)
        Irp->MdlAddress = mdl;
    return mdl;
}

/* IoAllocateMdl when its fast path did not serve: with Pool Tracking the
 * only option that watches the cache (no fault injection, no bypass), the
 * fast case, then the block's record; everything else the full path.
 * `frame`: IoAllocateMdl's. */
static MK_NOINLINE PMDL iomdl_allocate_cold(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer,
                                            BOOLEAN ChargeQuota, PIRP Irp, void *caller, const void *frame)
{
    if (!SecondaryBuffer && (mk_rt.verifier & IOMDL_FULL_FLAGS) == MDLKIT_VERIFY_POOL_TRACKING) {
        PMDL mdl = iomdl_allocate_cached(VirtualAddress, Length, Irp);
        if (MK_LIKELY(mdl != NULL)) {
            mk_verifier_cached_alloc(mdl, IOMDL_FIXED_BYTES, MK_MDL_TAG, caller, frame);
            return mdl;
        }
    }
    return iomdl_allocate_full(VirtualAddress, Length, SecondaryBuffer, ChargeQuota, Irp, caller, frame);
}

PMDL IoAllocateMdl(PVOID VirtualAddress, ULONG Length, BOOLEAN SecondaryBuffer, BOOLEAN ChargeQuota, PIRP Irp)
{
    MK_ENTER("IoAllocateMdl");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAllocateMdl);
    /* Fast path: no secondary buffer, no fault injection nor verifier option
     * that watches the cache, a range of at most 23 pages, a block in this
     * thread's cache. Everything else: iomdl_allocate_cold. */
    if (MK_LIKELY(!SecondaryBuffer && !(mk_rt.verifier & (MK_FAULT_FLAGS | IOMDL_FULL_FLAGS)))) {
        PMDL mdl = iomdl_allocate_cached(VirtualAddress, Length, Irp);
        if (MK_LIKELY(mdl != NULL))
            return mdl;
    }
    return iomdl_allocate_cold(VirtualAddress, Length, SecondaryBuffer, ChargeQuota, Irp, __builtin_return_address(0),
                               __builtin_frame_address(0));
}

/* Whether MDL_PAGES_LOCKED on an MDL stands for pages locked by mdlkit's
 * routines (MmProbeAndLockPages, MmAllocatePagesForMdl(Ex)), not for a flag
 * the driver set itself on an MDL of memory it keeps resident, as the MDL
 * documentation allows (ebpf-for-windows' ring-buffer MDL): the first frame
 * holds a lock count, or is an MmAllocatePagesForMdl page. */
static bool iomdl_holds_locked_pages(PMDL Mdl)
{
    if (Mdl->ByteCount == 0 && Mdl->ByteOffset == 0)
        return false;
    PFN_NUMBER pfn = MmGetMdlPfnArray(Mdl)[0];
    if (!mk_pfn_is_ram(pfn))
        return false;
    return mk_pfn_locks(pfn) != 0 || mk_pfn(pfn)->use == MK_USE_MDL_PAGES;
}

/* mk_mdl_free's checks of a mapped or locked MDL. `caller`: mk_mdl_free's
 * return address. */
static MK_NOINLINE void iomdl_free_checks(PMDL Mdl, USHORT flags, void *caller)
{
    if (flags & MDL_PARTIAL_HAS_BEEN_MAPPED) {
        /* IoFreeMdl releases a partial MDL's own system mapping. */
        mk_mdl_unmap_system(Mdl);
    } else if ((flags & MDL_MAPPED_TO_SYSTEM_VA) && !(flags & (MDL_PARTIAL | MDL_PARENT_MAPPED_SYSTEM_VA))) {
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, (ULONG_PTR)Mdl, flags, 0);
    }
    if ((flags & MDL_PAGES_LOCKED) && !(flags & MDL_PARTIAL) && iomdl_holds_locked_pages(Mdl)) {
        /* Freeing the MDL loses the only record of its locked pages: report
         * what Pool Tracking reports for locked pages left behind. */
        ULONG n = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(Mdl), Mdl->ByteCount);
        mk_bugcheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, (ULONG_PTR)caller, 0, (ULONG_PTR)Mdl, n);
    }
}

/* mk_mdl_free's every case. `caller`: the caller's return address. */
static MK_NOINLINE void iomdl_free_full(PMDL Mdl, void *caller)
{
    USHORT flags = (USHORT)Mdl->MdlFlags;
    if (MK_UNLIKELY(Mdl->Process == IOMDL_CACHED_COOKIE && flags == MDL_ALLOCATED_FIXED_SIZE))
        /* Freed before and not allocated since: a double free, reported as
         * the pool reports one (0xC2/0x07: reserved, header contents, block). */
        mk_bugcheck(BAD_POOL_CALLER, 0x07, 0, (ULONG_PTR)flags, (ULONG_PTR)Mdl);
    if (MK_UNLIKELY(flags & (MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED)))
        iomdl_free_checks(Mdl, flags, caller);
    iomdl_free_block(Mdl);
}

/* A fixed-size MDL neither mapped nor locked nor already in a cache, and
 * room in this thread's cache for it (the caller checked the verifier's
 * options). */
static inline __attribute__((always_inline)) bool iomdl_free_cacheable(PMDL Mdl, iomdl_cache *c)
{
    USHORT flags = (USHORT)Mdl->MdlFlags;
    unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
    return (flags & (MDL_ALLOCATED_FIXED_SIZE | MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_MAPPED_TO_SYSTEM_VA |
                     MDL_PAGES_LOCKED)) == MDL_ALLOCATED_FIXED_SIZE &&
           Mdl->Process != IOMDL_CACHED_COOKIE && c->generation == gen && c->linked && c->count < IOMDL_CACHE_DEPTH;
}

/* iomdl_free's every other case: with Pool Tracking the only option that
 * watches the cache, the fast case once the block's record is dropped (a
 * block with none goes to the pool, which checks the free); everything
 * else iomdl_free_full. */
static MK_NOINLINE void iomdl_free_cold(PMDL Mdl, void *caller)
{
    iomdl_cache *c = &iomdl_tls;
    if ((mk_rt.verifier & IOMDL_FULL_FLAGS) == MDLKIT_VERIFY_POOL_TRACKING && iomdl_free_cacheable(Mdl, c)) {
        if (MK_LIKELY(mk_verifier_cached_free(Mdl, MK_MDL_TAG)))
            iomdl_cache_put(Mdl, c);
        else
            ExFreePoolWithTag(Mdl, MK_MDL_TAG);
        return;
    }
    iomdl_free_full(Mdl, caller);
}

/* IoFreeMdl's work: a fixed-size MDL neither mapped nor locked nor already
 * in a cache goes back onto this thread's cache (as iomdl_free_block's fast
 * case); everything else takes iomdl_free_cold. */
static inline __attribute__((always_inline)) void iomdl_free(PMDL Mdl, void *caller)
{
    iomdl_cache *c = &iomdl_tls;
    if (MK_LIKELY(!(mk_rt.verifier & IOMDL_FULL_FLAGS) && iomdl_free_cacheable(Mdl, c))) {
        iomdl_cache_put(Mdl, c);
        return;
    }
    iomdl_free_cold(Mdl, caller);
}

void mk_mdl_free(PMDL Mdl) { iomdl_free(Mdl, __builtin_return_address(0)); }

void IoFreeMdl(PMDL Mdl)
{
    MK_ENTER("IoFreeMdl");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoFreeMdl);
    if (MK_UNLIKELY(!Mdl | (((ULONG_PTR)Mdl & 7) != 0))) {
        if (!Mdl)
            mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, 0, 0, 0);
        mk_object_fault(Mdl, __builtin_return_address(0));
    }
    iomdl_free(Mdl, __builtin_return_address(0));
}

void IoBuildPartialMdl(PMDL SourceMdl, PMDL TargetMdl, PVOID VirtualAddress, ULONG Length)
{
    MK_ENTER("IoBuildPartialMdl");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoBuildPartialMdl);
    MK_OBJ_FAULT(SourceMdl);
    MK_OBJ_FAULT(TargetMdl);
    char *src_start = (char *)MmGetMdlVirtualAddress(SourceMdl);
    char *va = (char *)VirtualAddress;
    ULONG_PTR offset = (ULONG_PTR)(va - src_start);
    ULONG len = Length;
    /* The source must describe resident pages (locked, built for non-paged
     * pool, or pages of its own): a partial MDL of an MDL with no PFNs
     * copies garbage. Reported under DDI compliance checking. */
    if (MK_UNLIKELY(mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE)) &&
        !(SourceMdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL | MDL_PARTIAL | MDL_IO_SPACE)))
        mk_violation(MDLKIT_RULE_IO_PARTIAL_SOURCE,
                     "IoBuildPartialMdl was given a source MDL that is neither locked (MmProbeAndLockPages) nor "
                     "built (MmBuildMdlForNonPagedPool): it holds no page numbers to copy",
                     (ULONG_PTR)SourceMdl, (USHORT)SourceMdl->MdlFlags);
    if (va < src_start || offset > SourceMdl->ByteCount)
        mk_bugcheck(INVALID_MDL_RANGE, (ULONG_PTR)SourceMdl, (ULONG_PTR)TargetMdl, (ULONG_PTR)VirtualAddress, Length);
    if (len == 0)
        len = SourceMdl->ByteCount - (ULONG)offset;
    if ((ULONG_PTR)offset + len > SourceMdl->ByteCount)
        mk_bugcheck(INVALID_MDL_RANGE, (ULONG_PTR)SourceMdl, (ULONG_PTR)TargetMdl, (ULONG_PTR)VirtualAddress, Length);
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len);
    /* The target's own Size says how many PFNs it holds (Windows checks
     * that), not the block it happens to live in. */
    size_t need = sizeof(MDL) + pages * sizeof(PFN_NUMBER);
    if (pages > mk_mdl_capacity(TargetMdl) || (need <= 0x7FFF && (size_t)(USHORT)TargetMdl->Size < need))
        mk_bugcheck(TARGET_MDL_TOO_SMALL, 0, 0, 0, 0);
    USHORT tflags = (USHORT)TargetMdl->MdlFlags;
    if (tflags & MDL_PARTIAL_HAS_BEEN_MAPPED)
        /* Reusing a partial MDL whose own mapping was never released
         * (MmPrepareMdlForReuse) would leak the mapping. */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB8, (ULONG_PTR)TargetMdl, tflags, 0);

    /* lint: a partial MDL built again without MmPrepareMdlForReuse (works
     * while it was never mapped; Windows checks only the mapped case) */
    if (MK_UNLIKELY(mk_lint_on()) && !mk_lint_mdl_prepared(TargetMdl, 0) && (tflags & MDL_PARTIAL))
        mk_lint(MDLKIT_RULE_LINT_PARTIAL_REUSE,
                "IoBuildPartialMdl reuses a partial MDL that MmPrepareMdlForReuse did not prepare",
                (ULONG_PTR)TargetMdl, tflags, __builtin_return_address(0));
    USHORT sflags = (USHORT)SourceMdl->MdlFlags;
    USHORT nflags = (USHORT)(tflags & (MDL_ALLOCATED_FIXED_SIZE | MDL_ALLOCATED_MUST_SUCCEED));
    nflags |= (USHORT)(sflags & (MDL_IO_PAGE_READ | MDL_SOURCE_IS_NONPAGED_POOL | MDL_MAPPED_TO_SYSTEM_VA | MDL_IO_SPACE));
    nflags |= MDL_PARTIAL;
    if (sflags & MDL_MAPPED_TO_SYSTEM_VA)
        nflags |= MDL_PARENT_MAPPED_SYSTEM_VA;

    TargetMdl->Process = SourceMdl->Process;
    TargetMdl->StartVa = PAGE_ALIGN(va);
    TargetMdl->ByteOffset = BYTE_OFFSET(va);
    TargetMdl->ByteCount = len;
    TargetMdl->MappedSystemVa = (sflags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
                                    ? (PVOID)((char *)SourceMdl->MappedSystemVa + offset)
                                    : NULL;
    TargetMdl->MdlFlags = (CSHORT)nflags;
    size_t first = (size_t)(((ULONG_PTR)PAGE_ALIGN(va) - (ULONG_PTR)SourceMdl->StartVa) >> PAGE_SHIFT);
    if (pages)
        memmove(MmGetMdlPfnArray(TargetMdl), MmGetMdlPfnArray(SourceMdl) + first, pages * sizeof(PFN_NUMBER));
}

int mk_io_init(void)
{
    iomdl_tls.count = 0;
    iomdl_tls.generation = atomic_load(&mk_rt.generation);
    return 0;
}

void mk_io_shutdown(void)
{
    /* Give every thread's cached MDL blocks back to the pool before it goes
     * (threads that are still running but idle keep their empty caches). */
    pthread_mutex_lock(&iomdl_caches_lock);
    for (iomdl_cache *c = iomdl_caches; c; c = c->next)
        iomdl_cache_drain(c);
    pthread_mutex_unlock(&iomdl_caches_lock);
    iomdl_cache *c = &iomdl_tls;
    if (!c->linked) {
        pthread_mutex_lock(&iomdl_caches_lock);
        iomdl_cache_drain(c);
        pthread_mutex_unlock(&iomdl_caches_lock);
    }
}
