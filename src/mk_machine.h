/*
 * mk_machine.h -- the simulated machine: physical memory (a memfd plus a PFN
 * database) and the address space (one reserved range split into regions,
 * frames mapped MAP_SHARED|MAP_FIXED so aliases are real).
 *
 * Layout of the reserved range (sizes scale with physical memory P):
 *
 *   user     [user_base,  +4P)   mdlkit_user_alloc, user-mode MDL mappings
 *   npool    [npool_base, +P)    non-paged pool
 *   ppool    [ppool_base, +P)    paged pool
 *   sysmap   [sysmap_base,+4P)   MmMapLockedPages* system mappings
 *   special  [special_base,+4P)  verifier special pool
 *   direct   [direct_base,+P)    all of physical memory, mapped once
 *
 * MmUserProbeAddress = end of user - 64 KiB; MmSystemRangeStart = npool_base.
 * Host memory (stack, globals, malloc) lies outside and is "foreign": it has
 * PFNs from a separate range (MK_FOREIGN_PFN_BASE + va/PAGE_SIZE).
 */
#ifndef MK_MACHINE_H
#define MK_MACHINE_H

#include "mk_base.h"
#include "mk_hooks.h"
#include <pthread.h>

/* ------------------------------------------------------------------------
 * Physical memory and the PFN database (src/machine/physmem.c)
 * ---------------------------------------------------------------------- */
#define MK_PFN_BASE ((PFN_NUMBER)0x100)            /* first RAM PFN: 1 MiB */
#define MK_FOREIGN_PFN_BASE ((PFN_NUMBER)1 << 36)  /* host memory PFNs */
#define MK_CHUNK_PAGES 16                          /* 64 KiB scatter unit */

enum mk_pfn_state { MK_PFN_FREE = 0, MK_PFN_ACTIVE = 1 };
enum mk_pfn_use {
    MK_USE_NONE = 0,
    MK_USE_NPOOL,      /* non-paged pool */
    MK_USE_PPOOL,      /* paged pool */
    MK_USE_SPECIAL,    /* special pool */
    MK_USE_MDL_PAGES,  /* MmAllocatePagesForMdl(Ex) */
    MK_USE_USER,       /* mdlkit_user_alloc */
    MK_USE_CONTIG,     /* contiguous memory, common buffers, shared memory */
    MK_USE_INTERNAL,   /* mdlkit's own structures */
    MK_USE_COUNT
};

typedef struct mk_pfn_entry {
    uint8_t state;             /* enum mk_pfn_state */
    uint8_t use;               /* enum mk_pfn_use */
    _Atomic int8_t cache;      /* MEMORY_CACHING_TYPE of an allocated frame, MmNotMapped from its
                                  allocation until its first mapping (set once, by CAS); not
                                  meaningful while the frame is free */
    uint8_t flags;
    _Atomic uint32_t maps;     /* live MmMapLockedPages* mappings of the frame */
} mk_pfn_entry;

/*
 * Lock counts (MmProbeAndLockPages references) live beside the PFN
 * database, sharded: a frame's count is the sum of MK_LOCK_SHARDS slots.
 * A thread owns one shard (1..MK_LOCK_SHARDS-1) and changes only its slot,
 * with plain relaxed loads and stores -- no atomic read-modify-write on the
 * probe path. Shard 0 is shared (atomic add) for threads that find no free
 * shard. A shard may go negative when another thread unlocks; the sum is
 * exact. The slots of one frame share a cache line.
 */
#define MK_LOCK_SHARDS 8
typedef struct mk_lockcount {
    _Atomic int32_t s[MK_LOCK_SHARDS];
} mk_lockcount;

typedef struct mk_physmem {
    int fd;                    /* the memfd */
    size_t npages;             /* frames of RAM */
    PFN_NUMBER first, last;    /* RAM PFNs are [first, last] */
    mk_pfn_entry *db;          /* PFN database, index = pfn - first */
    mk_lockcount *lockdb;      /* lock counts, index = pfn - first */
    uint64_t *freemap;         /* 1 bit per frame, 1 = free */
    atomic_size_t free_pages;
    size_t peak_used;
    uint64_t scatter;          /* placement cursor for scattered allocation */
    pthread_mutex_t lock;
} mk_physmem;
extern mk_physmem mk_phys;

static inline bool mk_pfn_is_ram(PFN_NUMBER pfn) { return pfn >= mk_phys.first && pfn <= mk_phys.last; }
static inline bool mk_pfn_is_foreign(PFN_NUMBER pfn) { return pfn >= MK_FOREIGN_PFN_BASE; }
/* The PFN database entry of a RAM frame, or NULL. */
static inline mk_pfn_entry *mk_pfn(PFN_NUMBER pfn)
{
    return mk_pfn_is_ram(pfn) ? &mk_phys.db[pfn - mk_phys.first] : NULL;
}

/* This thread's lock-count shard (claims one on first use). */
int mk_lock_shard_claim(void);
static inline int mk_lock_shard(void)
{
    int s = mk_self.lock_shard;
    return MK_LIKELY(s > 0 && mk_self.generation == atomic_load_explicit(&mk_rt.generation, memory_order_relaxed))
               ? s
               : mk_lock_shard_claim();
}
/* Adds d to the lock count of a RAM frame (index i = pfn - mk_phys.first)
 * in shard `shard` (from mk_lock_shard()). */
static inline void mk_lock_add(size_t i, int shard, int32_t d)
{
    _Atomic int32_t *slot = &mk_phys.lockdb[i].s[shard];
    if (MK_LIKELY(shard > 0))
        atomic_store_explicit(slot, atomic_load_explicit(slot, memory_order_relaxed) + d, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(slot, d, memory_order_relaxed);
}
/* The lock count of a frame: how many locked MDLs describe it (0 for a
 * frame that is not RAM). */
static inline uint32_t mk_pfn_locks(PFN_NUMBER pfn)
{
    if (!mk_pfn_is_ram(pfn))
        return 0;
    const mk_lockcount *c = &mk_phys.lockdb[pfn - mk_phys.first];
    int32_t sum = 0;
    for (int k = 0; k < MK_LOCK_SHARDS; k++)
        sum += atomic_load_explicit(&c->s[k], memory_order_relaxed);
    return sum > 0 ? (uint32_t)sum : 0;
}

/* Allocates `npages` physically contiguous frames with PFNs in [low, high]
 * (0 = no bound) whose run does not cross a multiple of `boundary_pages`
 * (0 = none). Placement is scattered across memory. Frames come zeroed.
 * Returns 0 and the first PFN, or -1 when no such run is free. */
int mk_phys_alloc_run(size_t npages, PFN_NUMBER low, PFN_NUMBER high, size_t boundary_pages, int use,
                      PFN_NUMBER *first);
/* Allocates up to `npages` frames one by one, scattered (not contiguous),
 * within [low, high] (0 = no bound). Frames come zeroed. Returns the number
 * allocated (may be fewer than asked, 0 when memory is exhausted). */
size_t mk_phys_alloc_pages(size_t npages, PFN_NUMBER low, PFN_NUMBER high, int use, PFN_NUMBER *out);
/* The handler a frame allocation that runs short calls before it fails: the
 * pool registers one that gives its empty segments (and fully free small
 * pages) back to the machine and returns how much it freed; the allocation
 * is retried when that is not 0. Called without any machine lock held, for
 * page MDLs, user memory and contiguous memory only (the pool reclaims for
 * its own segments itself). NULL: none. */
void mk_phys_set_shortage_handler(size_t (*handler)(void));

/* What a fault of the DDI's caller at `addr` raises (src/machine/fault.c):
 * 0xD1 at DISPATCH_LEVEL or above, STATUS_ACCESS_VIOLATION for the null
 * region (0x1E unless a __try handles it), else 0x50. A DDI calls it for a
 * NULL object pointer instead of dereferencing it (no sanitizer report). */
MK_NORETURN void mk_access_fault(const void *addr, int write, void *pc);
#define MK_NULL_FAULT(p)                                                          \
    do {                                                                          \
        if (MK_UNLIKELY(!(p)))                                                    \
            mk_access_fault(NULL, 0, __builtin_return_address(0));                \
    } while (0)
/* The object pointer a DDI is given (a KEVENT, an IRP, an MDL...), checked
 * once at its top: NULL faults as the access would (mk_access_fault), so no
 * member access is reached and the sanitizers see nothing. One predictable
 * branch. An object that is merely misaligned is used as x64 Windows uses
 * it (misaligned accesses work in kernel mode there): no report, which is
 * why the sanitizer builds compile with -fno-sanitize=alignment. */
MK_NORETURN void mk_object_fault(const void *p, void *pc);
#define MK_OBJ_FAULT(p)                                                                    \
    do {                                                                                   \
        if (MK_UNLIKELY(!(p)))                                                             \
            mk_object_fault((const void *)(p), __builtin_return_address(0));               \
    } while (0)
/* An address a DDI documents as aligned to its type (RtlInitializeBitMap's
 * buffer: ULONG): STATUS_DATATYPE_MISALIGNMENT, the exception of an
 * alignment fault. */
#define MK_OBJ_ALIGN_(p) (_Alignof(__typeof__(*(p))) < 8 ? _Alignof(__typeof__(*(p))) : 8)
#define MK_OBJ_ALIGN_FAULT(p)                                                              \
    do {                                                                                   \
        if (MK_UNLIKELY(((ULONG_PTR)(p) & (MK_OBJ_ALIGN_(p) - 1)) != 0))                   \
            mk_object_fault((const void *)(p), __builtin_return_address(0));               \
    } while (0)
/* Returns frames to the free list (their contents are discarded). The
 * caller has checked that nothing still locks or maps them. */
void mk_phys_free(PFN_NUMBER first, size_t npages);
void mk_phys_free_list(const PFN_NUMBER *pfns, size_t n);
size_t mk_phys_free_count(void);

/* A zeroed table of `bytes` for a layer's per-frame or per-page records,
 * mapped from the host directly (never from malloc's heap, which would
 * write every byte of it: glibc serves a large calloc from the heap once a
 * block of that size was freed). Its pages cost nothing until touched, and
 * mk_table_free gives them all back. NULL when the host refuses. */
void *mk_table_alloc(size_t bytes);
void mk_table_free(void *table, size_t bytes);

/* ------------------------------------------------------------------------
 * Address space (src/machine/addrspace.c)
 * ---------------------------------------------------------------------- */
enum mk_region {
    MK_RGN_FOREIGN = 0,  /* not in the simulated address space (host memory) */
    MK_RGN_USER,
    MK_RGN_NPOOL,
    MK_RGN_PPOOL,
    MK_RGN_SYSMAP,
    MK_RGN_SPECIAL,
    MK_RGN_DIRECT,
    MK_RGN_GAP,          /* inside the reservation but in no region */
    MK_RGN_COUNT
};

/* Per-page access bits kept for every page of the reservation. */
#define MK_PG_READ 0x01
#define MK_PG_WRITE 0x02
#define MK_PG_EXEC 0x04
#define MK_PG_MAPPED 0x08   /* a frame is mapped here */
#define MK_PG_START 0x10    /* first page of a user allocation */
#define MK_PG_TRIMMED 0x20  /* mapped, but made inaccessible (paging simulation) */
#define MK_PG_GUARD 0x40    /* deliberately inaccessible (special pool guard / freed) */

typedef struct mk_vrange {
    char *base;
    size_t npages;
    uint64_t *used;     /* 1 bit per page, 1 = allocated */
    size_t hint;
    size_t in_use;
    pthread_mutex_t lock;
} mk_vrange;

typedef struct mk_addrspace {
    char *base;         /* start of the reservation */
    size_t size;        /* bytes reserved */
    char *rgn_base[MK_RGN_COUNT];
    char *rgn_end[MK_RGN_COUNT];
    mk_vrange range[MK_RGN_COUNT];   /* VA allocators (not for DIRECT) */
    uint32_t *pfn;      /* per page of the reservation: PFN mapped there, 0 = none */
    uint8_t *bits;      /* per page: MK_PG_* */
    atomic_long maps_in_use;  /* mmap()ed runs we created (each one VMA) */
    long maps_budget;         /* maps_in_use never exceeds this */
} mk_addrspace;
extern mk_addrspace mk_as;

static inline enum mk_region mk_va_region(const void *va)
{
    const char *p = (const char *)va;
    if ((uintptr_t)(p - mk_as.base) >= mk_as.size)
        return MK_RGN_FOREIGN;
    for (int r = MK_RGN_USER; r < MK_RGN_GAP; r++)
        if (p >= mk_as.rgn_base[r] && p < mk_as.rgn_end[r])
            return (enum mk_region)r;
    return MK_RGN_GAP;
}

/* An object of the harness (a host allocation: mdlkit_fuzz_data, a PCI or
 * virtio-blk device...) given to a mdlkit_* routine: NULL, misaligned or in
 * the simulated address space is MDLKIT_RULE_HARNESS_MISUSE with the
 * routine's name, before any member is read. _OPT: NULL is the routine's
 * own answer. */
#define MK_HARNESS_OBJ_BAD_(p) \
    ((((ULONG_PTR)(p) & (MK_OBJ_ALIGN_(p) - 1)) != 0) | (mk_va_region((const void *)(p)) != MK_RGN_FOREIGN))
#define MK_HARNESS_OBJ(p, routine)                                                                      \
    do {                                                                                                \
        if (MK_UNLIKELY(!(p) || MK_HARNESS_OBJ_BAD_(p)))                                                \
            mk_violation(MDLKIT_RULE_HARNESS_MISUSE, routine ": not an object of the harness", (ULONG_PTR)(p), 0); \
    } while (0)
#define MK_HARNESS_OBJ_OPT(p, routine)                                                                  \
    do {                                                                                                \
        if (MK_UNLIKELY((p) && MK_HARNESS_OBJ_BAD_(p)))                                                 \
            mk_violation(MDLKIT_RULE_HARNESS_MISUSE, routine ": not an object of the harness", (ULONG_PTR)(p), 0); \
    } while (0)

static inline size_t mk_va_index(const void *va) { return (size_t)((const char *)va - mk_as.base) >> PAGE_SHIFT; }

/* The PFN behind a virtual address: a RAM PFN for mapped simulated memory,
 * a foreign PFN for host memory, 0 for an unmapped simulated address. O(1). */
static inline PFN_NUMBER mk_va_to_pfn(const void *va)
{
    uintptr_t off = (uintptr_t)((const char *)va - mk_as.base);
    if (off >= mk_as.size)
        return MK_FOREIGN_PFN_BASE + ((uintptr_t)va >> PAGE_SHIFT);
    if ((const char *)va >= mk_as.rgn_base[MK_RGN_DIRECT])
        return mk_phys.first + (PFN_NUMBER)(((const char *)va - mk_as.rgn_base[MK_RGN_DIRECT]) >> PAGE_SHIFT);
    return mk_as.pfn[off >> PAGE_SHIFT];
}
/* MK_PG_* bits of the page holding va (0 for foreign / direct). */
static inline uint8_t mk_va_bits(const void *va)
{
    uintptr_t off = (uintptr_t)((const char *)va - mk_as.base);
    if (off >= mk_as.size)
        return 0;
    if ((const char *)va >= mk_as.rgn_base[MK_RGN_DIRECT])
        return MK_PG_READ | MK_PG_WRITE | MK_PG_MAPPED;
    return mk_as.bits[off >> PAGE_SHIFT];
}
/* The direct-map address of a RAM frame. */
static inline void *mk_pfn_to_direct(PFN_NUMBER pfn)
{
    return mk_as.rgn_base[MK_RGN_DIRECT] + ((size_t)(pfn - mk_phys.first) << PAGE_SHIFT);
}

/* Allocates `npages` of address space in region r (aligned to align_pages,
 * a power of two, 0 or 1 = none). Nothing is mapped. NULL when full. */
void *mk_va_alloc(enum mk_region r, size_t npages, size_t align_pages);
/* Claims exactly [va, va+npages) in region r; NULL if any page is taken or
 * the range leaves the region's allocatable part. */
void *mk_va_alloc_at(enum mk_region r, void *va, size_t npages);
void mk_va_free(enum mk_region r, void *va, size_t npages);

/* Maps the run of RAM frames [first, first+npages) at va (page-aligned, in
 * a region) with MK_PG_READ/WRITE/EXEC protection: one mmap, one VMA.
 * Returns 0, or -1 when the mapping budget is exhausted or mmap fails. */
int mk_va_map(void *va, PFN_NUMBER first, size_t npages, unsigned prot);
/* Maps an arbitrary list of RAM frames at va, one mmap per physically
 * contiguous run. All or nothing: 0, or -1 with nothing left mapped. */
int mk_va_map_list(void *va, const PFN_NUMBER *pfns, size_t npages, unsigned prot);
/* The host protection (PROT_*) for MK_PG_READ/WRITE/EXEC bits. */
int mk_va_host_prot(unsigned prot);
/* Unmaps [va, va+npages) back to an inaccessible reservation. */
void mk_va_unmap(void *va, size_t npages);
/* Changes the host protection of mapped pages (MK_PG_READ/WRITE/EXEC, or 0
 * for no access) and records it; `extra` bits (MK_PG_TRIMMED, MK_PG_GUARD)
 * are set, others of those cleared. 0 or -1. */
int mk_va_protect(void *va, size_t npages, unsigned prot, unsigned extra);
/* Sets or clears MK_PG_START etc. without touching host protection. */
void mk_va_mark(void *va, unsigned set_bits, unsigned clear_bits);
/* Guard markers (madvise MADV_GUARD_INSTALL, Linux 6.13 and later) on
 * [va, va+npages), where nothing may be mapped: every access to those pages
 * faults whatever protection the range is later given, until a mapping
 * replaces them (mk_va_map, mk_va_unmap). 0, or -1 when a page is mapped or
 * the host kernel has no guard markers. */
int mk_va_guard(void *va, size_t npages);
/* mk_va_protect over a span that also holds unmapped pages -- one mprotect
 * for all -- recording the protection of the mapped pages only. The caller
 * has put guard markers (mk_va_guard) on every unmapped page of the span:
 * the protection applies to them too. 0 or -1. */
int mk_va_protect_span(void *va, size_t npages, unsigned prot, unsigned extra);

/* User buffers (src/machine/usermem.c; mdlkit_user_free is the memory
 * manager's, src/mm/userbuf.c): the pages of the mdlkit_user_alloc buffer
 * starting at p (0 if p starts none), and the release of those pages, their
 * frames and the guard page. */
size_t mk_user_pages(const void *p);
void mk_user_release(void *p, size_t npages);

/* ------------------------------------------------------------------------
 * Page faults (src/machine/fault.c): one SIGSEGV/SIGBUS handler.
 *  - user region: raises STATUS_ACCESS_VIOLATION to the innermost __try
 *    (no handler: bug check 0x1E);
 *  - system regions: offered to the verifier first (special-pool guards,
 *    trimmed paged pool), else bug check 0x50 PAGE_FAULT_IN_NONPAGED_AREA
 *    (address, 0 read / 1 write, instruction address, 0);
 *  - anything else: passed to the previous handler (a real crash, or ASan).
 * ---------------------------------------------------------------------- */
int mk_fault_install(void);
void mk_fault_uninstall(void);
/* The observers' hook (mk_hooks.h; the verifier's special pool and trimmed
 * paged pool): 1 if one handled the fault (the access is retried), 0 to let
 * the machine report it. May bug check. */
MK_HOOK_INLINE int mk_hook_page_fault(void *addr, int write, void *pc, enum mk_region r)
{
    return mk_hook.page_fault ? mk_hook.page_fault(addr, write, pc, (int)r) : 0;
}

#endif /* MK_MACHINE_H */
