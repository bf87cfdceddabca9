/*
 * mk_mdl.h -- the MDL subsystem as seen from the other layers (port layer,
 * verifier, I/O manager). The DDIs themselves live in:
 *
 *   src/io/iomdl.c    IoAllocateMdl, IoFreeMdl, IoBuildPartialMdl, MDL lookaside
 *   src/io/irp.c      IoAllocateIrp, IoFreeIrp, IoInitializeIrp, IoReuseIrp,
 *                     IofCallDriver, IofCompleteRequest
 *   src/mm/mdlsup.c   MmBuildMdlForNonPagedPool, MmSizeOfMdl, MmCreateMdl,
 *                     mdlkit_mdl_reuse_check
 *   src/mm/mdllock.c  MmProbeAndLockPages, MmUnlockPages
 *   src/mm/mdlmap.c   MmMapLockedPages(SpecifyCache), MmUnmapLockedPages
 *   src/mm/mdlpages.c MmAllocatePagesForMdl(Ex), MmFreePagesFromMdl(Ex)
 *   src/mm/contmem.c  MmAllocateContiguousMemory*, MmFreeContiguousMemory*
 *   src/mm/probe.c    ProbeForRead, ProbeForWrite
 *
 * The mk_mdl_* routines below do what the DDI does without the DDI's entry
 * checks (IRQL, emulated-OS availability), for callers that have already
 * made their own (StorPort/NDIS wrappers report misuse with their own codes).
 */
#ifndef MK_MDL_H
#define MK_MDL_H

#include "mk_base.h"

/* Pool tag of every MDL mdlkit allocates: ' LDM' is "MDL " in memory. */
#define MK_MDL_TAG ' LDM'
/* IRPs: "Irp " in memory. */
#define MK_IRP_TAG ' prI'
/* PFN slots of a fixed-size (lookaside) MDL, as on Windows. */
#define MK_MDL_FIXED_PFNS 23
/* A fixed-size MDL block (IoAllocateMdl's lookaside, src/io/iomdl.c) is
 * MK_MDL_FIXED_BYTES of MDL and PFN slots followed by one word,
 * MK_MDL_FIXED_COOKIE(block), written when the block is taken from the pool.
 * MmBuildMdlForNonPagedPool trusts the 23 slots of an MDL that carries it
 * without asking the pool where its block ends. */
#define MK_MDL_FIXED_BYTES (sizeof(MDL) + MK_MDL_FIXED_PFNS * sizeof(PFN_NUMBER))
#define MK_MDL_FIXED_COOKIE(block) ((uintptr_t)(block) ^ (uintptr_t)0x4C444D20F1C5ED17ULL)
/* PFN-array terminator written after the last page of a short
 * MmAllocatePagesForMdl(Ex) result and into freed slots. */
#define MK_PFN_LIST_END ((PFN_NUMBER)~(PFN_NUMBER)0)

/* ---- allocation (src/io/iomdl.c; the size records: src/mm/mdlmem.c) ---- */

/* IoAllocateMdl's size limit for the emulated OS (the three documented tiers). */
ULONG mk_mdl_max_length(void);
/* IoAllocateMdl without IRQL checks and without an IRP: NULL on failure or
 * when Length is above mk_mdl_max_length(). The PFN array is not built. */
PMDL mk_mdl_allocate(PVOID VirtualAddress, ULONG Length);
/* IoFreeMdl without IRQL checks (still reports mapped / locked MDLs). */
void mk_mdl_free(PMDL Mdl);
/* PFN slots the MDL's memory really holds (not Mdl->Size, which wraps for
 * big MDLs): the fixed-size lookaside capacity, the recorded size of a big
 * MDL mdlkit allocated, else what Size says. */
size_t mk_mdl_capacity(const MDL *Mdl);
/* Records the real byte size of an MDL allocation whose Size field cannot
 * hold it (> 32767); for a smaller one, forgets any record of the address.
 * Cleared by mk_mdl_forget_size. */
void mk_mdl_record_size(const MDL *Mdl, size_t bytes);
void mk_mdl_forget_size(const MDL *Mdl);

/* ---- building (src/mm/mdlsup.c) ---- */

/* MmBuildMdlForNonPagedPool without the IRQL check: fills the PFN array,
 * sets MDL_SOURCE_IS_NONPAGED_POOL and MappedSystemVa. Runs the source check
 * below. An unmapped simulated page is bug check 0x1A/0x1240. */
void mk_mdl_build_nonpaged(PMDL Mdl);

/* What kind of memory a range is: a bitmask of MK_MEM_* (one bit per page
 * kind found). The verifier and port layers use it for rules such as
 * "NdisAllocateMdl: non-paged pool only". */
#define MK_MEM_NPOOL 0x0001u    /* non-paged pool */
#define MK_MEM_PPOOL 0x0002u    /* paged pool */
#define MK_MEM_SPECIAL 0x0004u  /* special pool (either kind) */
#define MK_MEM_CONTIG 0x0008u   /* contiguous memory / common buffers (direct map) */
#define MK_MEM_MDL_PAGES 0x0010u /* MmAllocatePagesForMdl pages mapped to system space */
#define MK_MEM_USER 0x0020u     /* user region */
#define MK_MEM_SYSMAP 0x0040u   /* another system mapping of frames */
#define MK_MEM_FOREIGN 0x0080u  /* host memory (stack, globals, malloc) */
#define MK_MEM_UNMAPPED 0x0100u /* a simulated address with no frame */
unsigned mk_mdl_memory_kinds(const void *va, SIZE_T length);

/* The one place MmBuildMdlForNonPagedPool (and the port layers' wrappers)
 * check where the memory comes from. Today: under
 * MDLKIT_VERIFY_DDI_COMPLIANCE, paged pool is 0xC4/0x7F (IRQL, MDL, flags).
 * The verifier work adds its rules here. */
void mk_mdl_check_nonpaged_source(PMDL Mdl);
/* Is [va, va+len) non-paged memory (non-paged pool, contiguous memory,
 * non-paged special pool) -- what the port layers' MDL allocators accept? */
int mk_mdl_range_nonpaged(const void *va, size_t len);

/* ---- mapping (src/mm/mdlmap.c) ---- */

/* MmGetSystemAddressForMdlSafe without IRQL checks: NULL on failure. */
PVOID mk_mdl_system_address(PMDL Mdl, ULONG Priority);
/* Releases the MDL's system mapping (MDL_MAPPED_TO_SYSTEM_VA, owned, not a
 * parent's), with no misuse checks. Used by MmUnlockPages, IoFreeMdl,
 * MmFreePagesFromMdl. */
void mk_mdl_unmap_system(PMDL Mdl);

/* Forget the records of a previous machine (src/mm/mdlmem.c, called by the
 * memory manager's start and stop, mk_pool_init / mk_pool_shutdown): the
 * mapping table (mdlmap.c), contiguous blocks (contmem.c), big-MDL sizes
 * and the counters below. */
void mk_mdl_records_reset(void);
void mk_mdlmap_reset(void);
void mk_contmem_reset(void);

/* ---- statistics (for reports and the verifier's leak checks) ---- */
typedef struct mk_mdl_stats {
    long locked_mdls;      /* MDLs currently locked by MmProbeAndLockPages */
    long locked_pages;     /* pages those MDLs lock */
    long system_mappings;  /* live system mappings (MDL_MAPPED_TO_SYSTEM_VA we made) */
    long user_mappings;    /* live user-mode mappings */
    long page_mdls;        /* MmAllocatePagesForMdl(Ex) MDLs whose pages are not freed */
    long contiguous;       /* live MmAllocateContiguousMemory* allocations */
} mk_mdl_stats;
void mk_mdl_get_stats(mk_mdl_stats *out);

/* Internal counters behind mk_mdl_get_stats (relaxed atomics). */
extern atomic_long mk_mdl_sys_maps, mk_mdl_user_maps, mk_mdl_page_mdls, mk_mdl_contig_allocs;
/* Locked MDLs and pages (MmProbeAndLockPages / MmUnlockPages), one slot per
 * lock-count shard (mk_lock_shard(), MK_LOCK_SHARDS slots): a thread changes
 * only its own shard's slot, with a relaxed load and store (shard 0, shared,
 * takes an atomic add), so probe and unlock write no shared cache line. A
 * slot holds MDLs * 2^40 + pages (one add per call); it may go negative when
 * another thread unlocks; the sum is exact while fewer than 2^23 MDLs and
 * 2^39 pages are locked at once. mk_mdl_get_stats sums and splits it. */
#define MK_MDL_LOCKSTAT_MDL ((int64_t)1 << 40)
typedef struct mk_mdl_lockstat {
    _Alignas(64) _Atomic int64_t v;
} mk_mdl_lockstat;
extern mk_mdl_lockstat mk_mdl_lockstats[];
/* Whether an unlock ever took a lock-count slot to or below zero since the
 * memory manager started (src/mm/mdllock.c). */
extern atomic_bool mk_mdl_lock_crossed;

/* (MK_CHECK_IRQL_MAX, the IRQL check of the MDL and I/O routines: mk_base.h) */

/* (src/mm/mdlmem.c) Pool for an MDL structure (non-paged, tag ' LDM'): mdlkit's own
 * allocation on behalf of a DDI that has already consulted fault injection
 * at its own site, so the pool adds no second injection point. */
void *mk_mdl_pool_alloc(size_t bytes);

#endif /* MK_MDL_H */
