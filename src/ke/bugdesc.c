/*
 * bugdesc.c -- what the four parameters of each bug check mean, per code
 * and (where the parameters depend on it) per subcode, as data. The text
 * restates the documented meanings (reference/ddi-facts.md section 5) in
 * mdlkit's own words. Used by the bug-check report (bugcheck.c).
 */
#include "mk_base.h"
#include "mk_ke.h"

typedef struct bd_entry {
    ULONG code;
    signed char sub_index; /* parameter holding the subcode (0 = P1), -1: none */
    ULONG_PTR sub;
    const char *p[4];
    const char *what;
} bd_entry;

#define ANY(code, p1, p2, p3, p4, what) {code, -1, 0, {p1, p2, p3, p4}, what}
#define SUB1(code, sub, p2, p3, p4, what) {code, 0, sub, {NULL, p2, p3, p4}, what}
#define SUB4(code, sub, p1, p2, p3, what) {code, 3, sub, {p1, p2, p3, NULL}, what}

#define R "reserved"
#define Z "not used (0)"
#define IRQL "current IRQL"

static const bd_entry bd_table[] = {
    /* ---- IRQL and spin locks ---- */
    ANY(0x09, "current IRQL", "requested IRQL", Z, Z,
        "KeRaiseIrql was asked to \"raise\" the IRQL to a level below the current one, or above HIGH_LEVEL."),
    ANY(0x0A, "memory address referenced", "IRQL at the time of the reference",
        "access: bit 0 set = write, bit 3 set = execute (0 = read)", "address of the instruction that made the reference",
        "Pageable or invalid memory was referenced at IRQL DISPATCH_LEVEL or above."),
    ANY(0x0F, "address of the spin lock (mdlkit)", Z, Z, Z,
        "A thread tried to acquire a spin lock it already holds; on a real processor it would spin forever."),
    ANY(0x10, "address of the spin lock (mdlkit)", "the lock's current owner token (0 = the lock is free)", Z, Z,
        "A thread released a spin lock that it does not hold (never acquired, already released, or held by another thread)."),
    ANY(0x12, R, R, R, R, "An unknown trap occurred."),
    ANY(0xD1, "memory address referenced", "IRQL at the time of the reference",
        "0 = read, 1 = write, 2 or 8 = execute", "address of the instruction that made the reference",
        "A driver touched pageable (or completely invalid) memory at IRQL DISPATCH_LEVEL or above."),

    /* ---- exceptions ---- */
    ANY(0x1E, "the exception code (NTSTATUS) that was not handled", "address at which the exception was raised",
        "exception parameter 0", "exception parameter 1",
        "An exception was raised in kernel mode and no __try/__except handler took it."),

    /* ---- 0x19 BAD_POOL_HEADER (P1 = type) ---- */
    SUB1(0x19, 0x2, "pool entry being checked", "size of the pool block", Z,
         "The special-pool fill pattern of a block was found changed."),
    SUB1(0x19, 0x3, "pool entry being checked", "forward link read back", "backward link read back",
         "A pool free list is corrupt."),
    SUB1(0x19, 0x5, "one pool entry", R, "the neighbouring pool entry",
         "Two adjacent pool headers contradict each other."),
    SUB1(0x19, 0x6, "the pool entry", R, "the bad entry", "A pool header's previous-size field is too large."),
    SUB1(0x19, 0x7, Z, R, "the bad pool entry", "A pool block header's size is corrupt."),
    SUB1(0x19, 0x8, Z, R, "the bad pool entry", "A pool block header's size is zero."),
    SUB1(0x19, 0x9, Z, R, "the bad pool entry", "A pool block header's size is too large."),
    SUB1(0x19, 0xA, "the pool entry", R, R, "A pool entry that should exist was not found."),
    SUB1(0x19, 0xD, "the pool entry", R, R, "A freed block's header was modified after the free (often an overrun of the block before it)."),
    SUB1(0x19, 0xE, "the pool entry", R, R, "A freed block's header was modified after the free (often an overrun of the block before it)."),
    SUB1(0x19, 0xF, "the pool entry", R, R, "A freed block's header was modified after the free (often an overrun of the block before it)."),
    SUB1(0x19, 0x20, "the pool block", "the next pool block", R, "A pool block header's size is corrupt."),
    SUB1(0x19, 0x21, "address being freed", "number of bytes allocated", "the corrupted value found after the block",
         "Data after the end of a freed block was overwritten."),
    SUB1(0x19, 0x22, "address being freed", R, Z,
         "The freed address has no tracking entry: a double free, or memory that was never allocated."),
    SUB1(0x19, 0x23, "the pool entry", R, R, "A freed block's header was modified after the free."),
    SUB1(0x19, 0x24, "the pool entry", R, R, "A freed block's header was modified after the free."),
    SUB1(0x19, 0x25, "the pool entry", R, R, "A freed block's header was modified after the free."),
    ANY(0x19, "type of corruption", "depends on the type", "depends on the type", "depends on the type",
        "A pool header is corrupt."),

    /* ---- 0x1A MEMORY_MANAGEMENT (P1 = type) ---- */
    SUB1(0x1A, 0x1000, "the MDL", R, R,
         "MmGetSystemAddressForMdl* tried to map a fully cached page as non-cached with bug-check-on-failure set."),
    SUB1(0x1A, 0x1233, "the PFN", R, R, "A driver mapped a physical page that is not locked."),
    SUB1(0x1A, 0x1235, "the MDL", R, R, "An MDL with an invalid mapping was being protected."),
    SUB1(0x1A, 0x1236, "the MDL", "pointer to the PFN entry in the MDL", "the PFN",
         "An MDL contains an unlocked or invalid page."),
    SUB1(0x1A, 0x1240, "the MDL", "the page-table entry", R, "An MDL was being built for a non-resident range."),
    SUB1(0x1A, 0x1241, "the MDL", R, R, "A virtual range was unmapped while its MDL was being built."),
    SUB1(0x1A, 0x61946, "the MDL", R, R,
         "MmProbeAndLockPages produced a flawed MDL (typically a write MDL used for a paging read)."),
    ANY(0x1A, "type of memory-management error", "depends on the type", "depends on the type", "depends on the type",
        "A severe memory-management error occurred."),

    /* ---- MDL and mapping codes ---- */
    ANY(0x3F, "type of PTE requested", "size of the failed request, in pages", "free system PTEs", "total system PTEs",
        "The system ran out of PTEs for mappings (too many MDL mappings, often leaked)."),
    ANY(0x40, R, R, R, R,
        "IoBuildPartialMdl was given a target MDL too small for the range it must describe."),
    ANY(0x41, "size of the request", "non-paged pages in use", "requests larger than a page", "pages available",
        "A must-succeed pool request could not be met; no driver may ask for must-succeed pool."),
    ANY(0x133, "0 = a single DPC or spin ran too long", "time it ran, in clock ticks", "its allotment, in clock ticks", Z,
        "A processor spun at DISPATCH_LEVEL (on a spin lock never released) longer than the DPC watchdog allows."),
    ANY(0x12E, "the source MDL", "the target MDL", "the virtual address", "the length",
        "IoBuildPartialMdl was asked for a range that lies outside the source MDL."),

    /* ---- 0x4E PFN_LIST_CORRUPT (P1 = type) ---- */
    SUB1(0x4E, 0x1, "the corrupt list head value", "pages available", Z, "A PFN list head is corrupt."),
    SUB1(0x4E, 0x2, "the entry being removed", "highest physical page", "reference count",
         "A PFN list entry is corrupt."),
    SUB1(0x4E, 0x6, R, R, R, "A page-table entry or prototype PTE is corrupt."),
    SUB1(0x4E, 0x7, "the page frame number", "its current share (lock) count", Z,
         "A page was unlocked more often than it was locked -- typically MmUnlockPages called twice on one MDL."),
    SUB1(0x4E, 0x8D, R, R, R, "A free list of pages is corrupt."),
    SUB1(0x4E, 0x8F, R, R, R, "A free or zeroed page list is corrupt."),
    SUB1(0x4E, 0x99, R, R, R, "A PTE or PFN is corrupt."),
    SUB1(0x4E, 0x9A, "the page frame number", "the page state", "its lock count",
         "A page that is still locked for I/O was freed."),
    ANY(0x4E, "type of corruption", "depends on the type", "depends on the type", "depends on the type",
        "The page-frame-number database is corrupt."),

    ANY(0x50, "memory address referenced", "0 = read, 1 = write, 2 = execute", "address of the instruction that made the reference", R,
        "Invalid system memory was referenced (not mapped, or already freed)."),

    /* ---- 0x76 PROCESS_HAS_LOCKED_PAGES (P1 = type) ---- */
    SUB1(0x76, 0x0, "the process", "number of locked pages", "driver stacks (when tracked)",
         "A process ended with pages still locked by a driver."),
    SUB1(0x76, 0x1, "the MDL", "its current locked count", "driver stacks (when tracked)",
         "A driver unlocked process pages that are not locked."),
    ANY(0x76, "type", "depends on the type", "depends on the type", "depends on the type",
        "Locked pages were mishandled."),

    /* ---- 0x7C BUGCODE_NDIS_DRIVER (P1 = type) ---- */
    SUB1(0x7C, 0x01, "the miniport block", "requested length", "current IRQL",
         "NdisMAllocateSharedMemory was called at raised IRQL."),
    SUB1(0x7C, 0x02, "the miniport block", "the corrupted page", "the wrapper context",
         "Shared memory allocated by NDIS was corrupted."),
    SUB1(0x7C, 0x03, "the miniport block", "the page", "the virtual address",
         "NdisMFreeSharedMemory was called for shared memory that is not allocated (already freed, or wrong parameters)."),
    ANY(0x7C, "type of NDIS violation", "depends on the type", "depends on the type", "depends on the type",
        "An NDIS miniport broke an NDIS rule."),

    /* ---- 0xC1 SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION (P4 = type) ---- */
    SUB4(0xC1, 0x20, "address being freed", R, Z, "Special pool that was not allocated was freed."),
    SUB4(0xC1, 0x21, "address being freed", "bytes requested", "bytes calculated", "A bad address was passed to the special-pool free."),
    SUB4(0xC1, 0x22, "address being freed", "bytes requested", "bytes calculated", "A bad address was passed to the special-pool free."),
    SUB4(0xC1, 0x23, "address being freed", "address of the corrupted byte", R,
         "Bytes in the same page before the block were overwritten (an underrun)."),
    SUB4(0xC1, 0x24, "address being freed", "address of the corrupted byte", R,
         "Bytes after the end of the block were overwritten (an overrun that stayed inside the page)."),
    SUB4(0xC1, 0x30, IRQL, "pool type", "number of bytes", "Special pool was allocated at an IRQL that is too high."),
    SUB4(0xC1, 0x31, IRQL, "pool type", "address being freed", "Special pool was freed at an IRQL that is too high."),
    SUB4(0xC1, 0x32, R, R, R, "A single-bit error was found near the block."),
    ANY(0xC1, "address", "depends on the type", "depends on the type", "type of corruption",
        "Special pool found the memory around an allocation corrupted."),

    /* ---- 0xC2 BAD_POOL_CALLER (P1 = type) ---- */
    SUB1(0xC2, 0x00, Z, "pool type", "pool tag", "A zero-byte pool allocation was requested."),
    SUB1(0xC2, 0x01, "pool header", "first part of the header", Z, "A pool header is corrupt."),
    SUB1(0xC2, 0x02, "pool header", "first part of the header", Z, "A pool header is corrupt."),
    SUB1(0xC2, 0x04, "pool header", "first part of the header", Z, "A pool header is corrupt."),
    SUB1(0xC2, 0x06, R, "pool header", "the header contents", "Pool was freed twice."),
    SUB1(0xC2, 0x07, R, "the header contents", "address of the block being freed", "Pool was freed twice."),
    SUB1(0xC2, 0x08, IRQL, "pool type", "size of the allocation", "Pool was allocated at an IRQL that is too high for its type."),
    SUB1(0xC2, 0x09, IRQL, "pool type", "address being freed", "Pool was freed at an IRQL that is too high for its type."),
    SUB1(0xC2, 0x0A, "address being freed", "tag the block was allocated with", "tag passed to the free",
         "ExFreePoolWithTag was given a tag different from the one used for the allocation."),
    SUB1(0xC2, 0x0B, "address", "pool tag", "the bad quota process", "Quota was released on a corrupt allocation."),
    SUB1(0xC2, 0x0C, "address", "pool tag", "the bad quota process", "Quota was released on a corrupt allocation."),
    SUB1(0xC2, 0x0D, "address", "pool tag", "the bad quota process", "Quota was released on a corrupt allocation."),
    SUB1(0xC2, 0x40, "start of the range", "start of system space", Z, "A user-mode address was passed to a pool free."),
    SUB1(0xC2, 0x41, "start of the range", "its page frame number", "highest page frame number",
         "An unallocated non-paged pool address was freed."),
    SUB1(0xC2, 0x42, "address being freed", Z, Z, "An address that was never in any pool was freed."),
    SUB1(0xC2, 0x43, "address being freed", Z, Z, "An address that was never in any pool was freed."),
    SUB1(0xC2, 0x44, R, R, R, "An unallocated non-paged pool address was freed."),
    SUB1(0xC2, 0x46, R, R, R, "An invalid pool address was freed."),
    SUB1(0xC2, 0x47, "start of the range", "its page frame number", "highest page frame number",
         "An unallocated non-paged pool address was freed."),
    SUB1(0xC2, 0x48, R, R, R, "An unallocated paged pool address was freed."),
    SUB1(0xC2, 0x50, "start of the range", "page offset into paged pool", "paged pool size in pages",
         "An unallocated paged pool address was freed."),
    SUB1(0xC2, 0x60, R, R, R, "A bad address was passed to MmFreeContiguousMemory."),
    SUB1(0xC2, 0x99, "address being freed", R, R, "An invalid address was freed, or its pool header is corrupt."),
    SUB1(0xC2, 0x9A, "pool type", "number of bytes", "pool tag", "Must-succeed pool was requested; it is no longer supported."),
    SUB1(0xC2, 0x9B, "pool type", "number of bytes", "caller's address", "Pool was allocated with tag 0."),
    SUB1(0xC2, 0x9C, "pool type", "number of bytes", "caller's address", "Pool was allocated with the reserved tag \"BIG\"."),
    SUB1(0xC2, 0x9D, "the bad tag", "pool type", "caller's address",
         "Pool was allocated with a tag that has no letters or digits."),
    SUB1(0xC2, 0x41286, R, R, R, "A free was attempted in the middle of a paged pool allocation."),
    ANY(0xC2, "type of violation", "depends on the type", "depends on the type", "depends on the type",
        "A driver made a bad pool request."),

    /* ---- 0xC4 DRIVER_VERIFIER_DETECTED_VIOLATION (P1 = type) ---- */
    SUB1(0xC4, 0x00, IRQL, "pool type", "number of bytes", "A zero-byte pool allocation was requested."),
    SUB1(0xC4, 0x01, IRQL, "pool type", "size of the allocation", "Paged pool was allocated at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x02, IRQL, "pool type", "size of the allocation", "Non-paged pool was allocated at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x03, R, R, R, "More than one page of must-succeed pool was requested."),
    SUB1(0xC4, 0x10, "the bad address", Z, Z, "An address that no allocation returned was freed."),
    SUB1(0xC4, 0x11, IRQL, "pool type", "address being freed", "Paged pool was freed at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x12, IRQL, "pool type", "address being freed", "Non-paged pool was freed at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x13, R, "pool header", "header contents", "Pool that was already freed was freed again."),
    SUB1(0xC4, 0x14, R, "pool header", "header contents", "Pool that was already freed was freed again."),
    SUB1(0xC4, 0x15, "the timer", "pool type", "address being freed", "Freed pool contains an active timer."),
    SUB1(0xC4, 0x16, R, "the pool address", Z,
         "Pool was freed at a bad address, or bad parameters were passed to a memory routine."),
    SUB1(0xC4, 0x17, "the ERESOURCE", "pool type", "address being freed", "Freed pool contains an active ERESOURCE."),
    SUB1(0xC4, 0x30, IRQL, "requested IRQL", Z,
         "KeRaiseIrql was asked for a level lower than the current IRQL, or above HIGH_LEVEL."),
    SUB1(0xC4, 0x31, IRQL, "requested IRQL", "0: the new IRQL is bad; 1: the new IRQL is invalid inside a DPC routine",
         "KeLowerIrql was asked for a level higher than the current IRQL, or above HIGH_LEVEL."),
    SUB1(0xC4, 0x32, IRQL, "address of the spin lock", Z,
         "KeReleaseSpinLock was called at an IRQL other than DISPATCH_LEVEL (often a double release)."),
    SUB1(0xC4, 0x35, IRQL, "address of the spin lock", "old IRQL",
         "A spin lock was released with IRQL not equal to DISPATCH_LEVEL."),
    SUB1(0xC4, 0x40, IRQL, "address of the spin lock", Z,
         "KeAcquireSpinLockAtDpcLevel was called at IRQL below DISPATCH_LEVEL."),
    SUB1(0xC4, 0x41, IRQL, "address of the spin lock", Z,
         "KeReleaseSpinLockFromDpcLevel was called at IRQL below DISPATCH_LEVEL."),
    SUB1(0xC4, 0x42, IRQL, "address of the spin lock", Z, "KeAcquireSpinLock was called at IRQL above DISPATCH_LEVEL."),
    SUB1(0xC4, 0x51, "base address of the allocation", "address of the reference beyond the allocation",
         "number of charged bytes", "Memory written past the end of an allocation was found when it was freed."),
    SUB1(0xC4, 0x52, "base address of the allocation", R, "number of charged bytes",
         "Memory written past the end of an allocation was found when it was freed."),
    SUB1(0xC4, 0x53, "base address of the allocation", R, R,
         "Memory written past the end of an allocation was found when it was freed."),
    SUB1(0xC4, 0x54, "base address of the allocation", R, R,
         "Memory written past the end of an allocation was found when it was freed."),
    SUB1(0xC4, 0x59, "base address of the allocation", R, R,
         "Memory written past the end of an allocation was found when it was freed."),
    SUB1(0xC4, 0x60, "bytes of paged pool not freed", "bytes of non-paged pool not freed", "number of allocations not freed",
         "A driver is unloading without freeing its pool allocations."),
    SUB1(0xC4, 0x61, "bytes of paged pool not freed", "bytes of non-paged pool not freed", "number of allocations not freed",
         "A driver allocated pool while it was unloading."),
    SUB1(0xC4, 0x62, "name of the driver", R, "number of allocations not freed (paged and non-paged)",
         "A driver is unloading (or its adapter halting) without freeing its allocations; the leaks are listed below."),
    SUB1(0xC4, 0x6F, "the MDL", "the physical page", "highest physical page",
         "MmProbeAndLockPages was given pages that are not in the PFN database."),
    SUB1(0xC4, 0x70, IRQL, "the MDL", "access mode", "MmProbeAndLockPages was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x71, IRQL, "the MDL", "the process", "MmProbeAndLockProcessPages was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x72, IRQL, "the MDL", "the process", "MmProbeAndLockSelectedPages was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x73, IRQL, "the physical address", "number of bytes", "MmMapIoSpace was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x74, IRQL, "the MDL", "access mode", "MmMapLockedPages (kernel mode) was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x75, IRQL, "the MDL", "access mode", "MmMapLockedPages (user mode) was called at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x76, IRQL, "the MDL", "access mode",
         "MmMapLockedPagesSpecifyCache (kernel mode) was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x77, IRQL, "the MDL", "access mode",
         "MmMapLockedPagesSpecifyCache (user mode) was called at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x78, IRQL, "the MDL", Z, "MmUnlockPages was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x79, IRQL, "virtual address being unmapped", "the MDL",
         "MmUnmapLockedPages (kernel mode) was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x7A, IRQL, "virtual address being unmapped", "the MDL",
         "MmUnmapLockedPages (user mode) was called at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x7B, IRQL, "virtual address being unmapped", "number of bytes", "MmUnmapIoSpace was called at IRQL > APC_LEVEL."),
    SUB1(0xC4, 0x7C, "the MDL", "the MDL's flags", Z,
         "MmUnlockPages was given an MDL whose pages were never successfully locked."),
    SUB1(0xC4, 0x7D, "the MDL", "the MDL's flags", Z,
         "MmUnlockPages was given an MDL of non-paged pool pages (built by MmBuildMdlForNonPagedPool); these are never unlocked."),
    SUB1(0xC4, 0x7E, IRQL, "DISPATCH_LEVEL", Z,
         "MmAllocatePagesForMdl(Ex) or MmFreePagesFromMdl was called at IRQL > DISPATCH_LEVEL."),
    SUB1(0xC4, 0x7F, IRQL, "the MDL", "the MDL's flags", "MmBuildMdlForNonPagedPool was given an MDL whose pages are paged pool or user memory."),
    SUB1(0xC4, 0x81, "the MDL", "the MDL's flags", Z,
         "MmMapLockedPages (MmGetSystemAddressForMdl) was called without MDL_MAPPING_CAN_FAIL; use "
         "MmGetSystemAddressForMdlSafe."),
    SUB1(0xC4, 0x82, "the MDL", "the MDL's flags", Z,
         "MmMapLockedPagesSpecifyCache was called with BugCheckOnFailure = TRUE without MDL_MAPPING_CAN_FAIL; "
         "pass FALSE."),
    SUB1(0xC4, 0x83, "start of the physical range", "number of bytes", "first page frame that is not locked",
         "MmMapIoSpace was called for pages that are not locked."),
    SUB1(0xC4, 0x85, "the MDL", "number of pages to map", "first page frame that is not locked",
         "MmMapLockedPages was given an MDL whose pages are not locked."),
    SUB1(0xC4, 0x89, "the MDL", "pointer to the non-memory page in the MDL", "the non-memory page number",
         "An MDL not marked as I/O space contains non-memory pages."),
    SUB1(0xC4, 0xB0, "the MDL", "the MDL's flags", "the incorrect flags",
         "MmProbeAndLockPages was given an MDL with incorrect flags (for example one built by MmBuildMdlForNonPagedPool, or already locked)."),
    SUB1(0xC4, 0xB1, "the MDL", "the MDL's flags", "the incorrect flags",
         "MmProbeAndLockProcessPages was given an MDL with incorrect flags."),
    SUB1(0xC4, 0xB2, "the MDL", "the MDL's flags", "the incorrect flags",
         "MmMapLockedPages was given an MDL that is already mapped to a system address, or not locked."),
    SUB1(0xC4, 0xB3, "the MDL", "the MDL's flags", "the missing flags",
         "MmMapLockedPages was given an MDL that is not locked."),
    SUB1(0xC4, 0xB4, "the MDL", "the MDL's flags", "the unexpected partial-MDL flag",
         "MmUnlockPages was given a partial MDL (one built by IoBuildPartialMdl)."),
    SUB1(0xC4, 0xB5, "the MDL", "the MDL's flags", "the unexpected partial-MDL flag",
         "MmUnmapLockedPages was given a partial MDL (one built by IoBuildPartialMdl)."),
    SUB1(0xC4, 0xB6, "the MDL", "the MDL's flags", "the missing flag",
         "MmUnmapLockedPages was given an MDL that is not mapped to a system address."),
    SUB1(0xC4, 0xB8, "the MDL", "the MDL's flags", R,
         "IoFreeMdl was called for an MDL whose pages are still mapped; unmap first."),
    SUB1(0xC4, 0xB9, "the user address", "the MDL", R, "MmUnmapLockedPages was given a bad user address."),
    SUB1(0xC4, 0xCA, "the lookaside list", R, R, "A lookaside list was initialised again while it is live (not deleted)."),
    SUB1(0xC4, 0xCB, "the lookaside list", R, R,
         "A lookaside list that is not live (never initialised, or deleted already) was deleted."),
    SUB1(0xC4, 0xCC, "the lookaside list", "start of the pool allocation", "size of the pool allocation",
         "A pool allocation that holds a live lookaside list was freed; delete the list first."),
    SUB1(0xC4, 0xCD, "the lookaside list", "block size given", "minimum supported block size",
         "A lookaside list was created with an entry size below LOOKASIDE_MINIMUM_BLOCK_SIZE."),
    SUB1(0xC4, 0xF6, "the handle", "the current process", "the caller",
         "A user-mode handle was referenced with AccessMode KernelMode in a user process (Miscellaneous Checks)."),
    SUB1(0xC4, 0x105, R, R, R, "An IRP was freed with ExFreePool instead of IoFreeIrp."),
    SUB1(0xC4, 0x10A, R, R, R, "Pool quota was charged to the Idle process."),
    SUB1(0xC4, 0x10B, R, R, R, "Pool quota was charged from a DPC routine."),
    SUB1(0xC4, 0x140, IRQL, "the MDL", "the virtual address", "A non-locked MDL was built from pageable or tradable memory."),
    SUB1(0xC4, 0x141, "highest physical address requested", "number of bytes", R,
         "The driver explicitly requested physical memory below 4 GB."),
    SUB1(0xC4, 0x1010, R, R, R, "The contents of an invariant MDL buffer were modified (write IRP)."),
    SUB1(0xC4, 0x1011, R, R, R, "The contents of an invariant MDL buffer were modified (read IRP)."),
    SUB1(0xC4, 0x2000, "address of the allocation", "pool type", "pool tag",
         "Executable pool was allocated; NonPagedPoolNx is expected."),
    SUB1(0xC4, 0x2002, "the mapped address", "the priority", R,
         "An executable MDL mapping was made; MdlMappingNoExecute is expected."),
    ANY(0xC4, "type of violation", "depends on the type", "depends on the type", "depends on the type",
        "Driver Verifier detected a violation."),

    /* ---- other verifier and pool codes ---- */
    ANY(0xC5, "memory address referenced", "IRQL at the time of the reference", "0 = read, 1 = write",
        "address of the instruction that made the reference",
        "Pool was corrupted, typically by an overrun of a small allocation."),
    ANY(0x35, "the IRP", R, R, R,
        "IoCallDriver was given an IRP with no stack location left: it was allocated with fewer locations than "
        "the device stack it was sent down needs (StackSize of the top device)."),
    ANY(0x44, "the IRP", R, R, R, "IoCompleteRequest was called for an IRP that was already completed."),
    ANY(0xC9, "I/O verification error code", "depends on the error", "depends on the error", "depends on the error",
        "I/O Verification found a driver mishandling an IRP."),
    ANY(0xCA, "type of error (2: a routine that needs a PDO was given another device object)",
        "the device object", R, R, "The Plug and Play manager found a fatal error (an invalid PDO, for example)."),
    ANY(0xCB, "lock-tracking structure", Z, "the MDL with the locked pages", "number of locked pages",
        "A driver left pages locked (MmProbeAndLockPages without MmUnlockPages) when it unloaded or finished."),
    ANY(0xCC, "memory address referenced", "0 = read, 1 = write", "address of the instruction that made the reference", R,
        "Freed special pool was touched."),
    ANY(0xCD, "memory address referenced", "0 = read, 1 = write", "address of the instruction that made the reference", R,
        "Memory beyond the end of a special pool allocation was touched."),
    ANY(0xCE, "memory address referenced", "0 = read, 1 = write", "address of the instruction that made the reference", R,
        "A driver unloaded without cancelling pending operations (lookaside lists, DPCs, worker threads...)."),
    ANY(0xD5, "memory address referenced", "0 = read, 1 = write", "address of the instruction that made the reference", R,
        "A driver touched its special pool allocation after freeing it (use after free)."),
    ANY(0xD6, "memory address referenced", "0 = read, 1 = write", "address of the instruction that made the reference", R,
        "A driver touched memory beyond the end of its special pool allocation (buffer overrun)."),

    /* ---- dispatcher objects, DPCs, threads, objects and handles ---- */
    ANY(0x01, "address of the routine (the thread's start routine)", R, "guarded << 16 | critical-region depth",
        "1 = a system thread ended",
        "Critical or guarded regions were left unbalanced (KeLeave* without KeEnter*, or a thread ended inside one)."),
    ANY(0x0C, "number of objects", "the wait block array (0 = none)", Z, Z,
        "KeWaitForMultipleObjects was given more than MAXIMUM_WAIT_OBJECTS objects, or more than "
        "THREAD_WAIT_OBJECTS without a wait block array."),
    ANY(0x11, "the fast mutex", "its owner (0 = not owned)", "the releasing thread", Z,
        "A thread released a fast mutex it does not own."),
    ANY(0x18, "object type", "the object", "handle count", "reference count",
        "An object's reference count was taken below zero, or something that is not an object was referenced."),
    ANY(0x4A, "the thread's start routine (or work item routine)", "IRQL at the end", Z, Z,
        "A system thread or work item routine returned at an IRQL above PASSIVE_LEVEL."),
    ANY(0x93, "the handle", "0 = a protected handle, 1 = an invalid handle", Z, Z,
        "Kernel code (ZwClose) closed a handle that is not valid."),
    ANY(0xB8, "the thread running the DPC", Z, "the object waited for", Z,
        "A DPC routine waited (with a timeout that is not zero): a processor running a DPC cannot switch threads."),
    ANY(0xBF, "the mutex", "the thread that already owns it", Z, R,
        "A thread tried to acquire a (fast) mutex it already owns; it would wait for itself forever."),
    ANY(0xC7, "0 = timer, 1 = DPC object, 2 = DPC routine", "the timer or DPC", "start of the memory it lies in",
        "end of that memory",
        "A timer still set or a DPC still queued was found in memory its driver gives up (unload)."),
    ANY(0xC8, "(IRQL << 16) | (expected IRQL << 8) | 2 (IRQL) or 3 (spin lock held)", "the DPC routine", "the DPC", Z,
        "A DPC routine returned at another IRQL than it was called at, or holding a spin lock."),
    ANY(0xE3, "the resource", "the thread", "the owner table", R,
        "A thread released (or converted) an ERESOURCE it does not hold."),

    /* ---- 0xD9 LOCKED_PAGES_TRACKER_CORRUPTION (P1 = type) ---- */
    SUB1(0xD9, 0x1, "the MDL", R, R, "An MDL is being inserted twice on the process list of locked pages."),
    SUB1(0xD9, 0x2, "the MDL", R, R, "An MDL is being inserted twice on the system-wide list of locked pages."),
    SUB1(0xD9, 0x3, "the MDL", R, R, "An MDL was found twice on the process list when it was being freed."),
    SUB1(0xD9, 0x4, "the MDL", R, R, "An MDL was still on the system-wide list after it was removed."),
    ANY(0xD9, "type of corruption", "depends on the type", "depends on the type", "depends on the type",
        "The tracking of locked pages is corrupt."),

    /* ---- 0xDA SYSTEM_PTE_MISUSE (P1 = type) ---- */
    SUB1(0xDA, 0x01, "the mapping", "the MDL", R, "A mapping that was already freed was freed again."),
    SUB1(0xDA, 0x02, "the mapping", "number of pages freed", "number of pages mapped",
         "The wrong number of pages was unmapped."),
    SUB1(0xDA, 0x03, "the address freed", "the address that was mapped", "the MDL",
         "The wrong mapping address was unmapped."),
    SUB1(0xDA, 0x04, "the MDL", "PFN at map time", "PFN now",
         "The MDL's first page frame changed after it was mapped."),
    SUB1(0xDA, 0x05, "the MDL", "start address at map time", "start address now",
         "The MDL's start address changed after it was mapped."),
    SUB1(0xDA, 0x06, "the MDL", "the virtual address", "number of pages",
         "MmUnmapLockedPages was called for an MDL that is not (or was never) mapped there."),
    SUB1(0xDA, 0x100, R, R, R, "A reserved mapping was misused."),
    SUB1(0xDA, 0x101, R, R, R, "A reserved mapping was misused."),
    SUB1(0xDA, 0x102, R, R, R, "A reserved mapping was misused."),
    SUB1(0xDA, 0x103, R, R, R, "MmFreeMappingAddress was called before MmUnmapReservedMapping."),
    SUB1(0xDA, 0x104, R, R, R, "An MDL was mapped into a reserved range the caller does not own."),
    SUB1(0xDA, 0x105, R, R, R, "A reserved mapping was misused."),
    ANY(0xDA, "type of misuse", "depends on the type", "depends on the type", "depends on the type",
        "A system mapping (PTE) was misused."),

    /* ---- 0xF1 SCSI_VERIFIER_DETECTED_VIOLATION (P1 = type) ---- */
    SUB1(0xF1, 0x2001, R, R, R, "A miniport stalled the processor for more than 0.1 second."),
    SUB1(0xF1, 0x2002, R, R, R, "StorPortGetUncachedExtension was called outside HwFindAdapter."),
    SUB1(0xF1, 0x2003, R, R, R, "StorPortGetDeviceBase was given a bad address."),
    SUB1(0xF1, 0x2004, R, R, R, "A request was completed twice."),
    SUB1(0xF1, 0x2005, R, R, R, "A register was accessed at a bad address."),
    ANY(0xF1, "type of violation", "depends on the type", "depends on the type", "depends on the type",
        "StorPort verification detected a violation."),
};

/* DDI compliance rule IDs (0xC4 P1) and mdlkit's rules for statically
 * checked DDIs. */
static const struct {
    ULONG_PTR id;
    const char *name;
} bd_rules[] = {
    {0x00020002, "IrqlApcLte"},
    {0x00020003, "IrqlDispatch"},
    {0x00020004, "IrqlExAllocatePool"},
    {0x00020005, "IrqlExApcLte1"},
    {0x00020006, "IrqlExApcLte2"},
    {0x00020007, "IrqlExApcLte3"},
    {0x00020008, "IrqlExPassive"},
    {0x00020009, "IrqlIoApcLte"},
    {0x0002000A, "IrqlIoPassive1"},
    {0x0002000B, "IrqlIoPassive2"},
    {0x0002000C, "IrqlIoPassive3"},
    {0x0002000D, "IrqlIoPassive4"},
    {0x0002000E, "IrqlIoPassive5"},
    {0x0002000F, "IrqlKeApcLte1"},
    {0x00020010, "IrqlKeApcLte2"},
    {0x00020011, "IrqlKeDispatchLte"},
    {0x00020015, "IrqlKeReleaseSpinLock"},
    {0x00020016, "IrqlKeSetEvent"},
    {0x00020019, "IrqlMmApcLte"},
    {0x0002001A, "IrqlMmDispatch"},
    {0x0002001B, "IrqlObPassive"},
    {0x0002001C, "IrqlPsPassive"},
    {0x0002001D, "IrqlReturn"},
    {0x0002001E, "IrqlRtlPassive"},
    {0x0002001F, "IrqlZwPassive"},
    {0x00020022, "IrqlIoDispatch"},
    {0x00020023, "IrqlIoRtlZwPassive"},
    {0x00020024, "IrqlNtifsApcPassive"},
    {0x00040003, "CriticalRegions"},
    {0x00040006, "QueuedSpinLock"},
    {0x00040007, "QueuedSpinLockRelease"},
    {0x00040009, "SpinLock"},
    {0x0004000A, "SpinlockRelease"},
    {0x0004000E, "GuardedRegions"},
    {0x0004100B, "RequestedPowerIrp"},
    {0x0004100F, "IoSetCompletionExCompleteIrp"},
    {0x00043006, "PnpRemove"},
    {0x00091001, "NdisOidComplete"},
    {0x00091002, "NdisOidDoubleComplete"},
    {0x0009100E, "NdisOidDoubleRequest"},
    {MDLKIT_RULE_STORPORT_IRQL, "StorPortIrql (mdlkit)"},
    {MDLKIT_RULE_STORPORT_ALLOCATE_POOL, "StorPortAllocatePool (mdlkit)"},
    {MDLKIT_RULE_STORPORT_ALLOCATE_POOL2, "StorPortAllocatePool2 (mdlkit)"},
    {MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS, "HwStorPortProhibitedDDIs (mdlkit)"},
    {MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION, "StorPort routine given an unknown HwDeviceExtension (mdlkit)"},
    {MDLKIT_RULE_NDIS_ALLOCATE_MDL, "NdisAllocateMdl (mdlkit)"},
    {MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION, "Irql_NetBuffer_Function (mdlkit)"},
    {MDLKIT_RULE_NDIS_MFREE_SHARED_MEMORY, "NdisMFreeSharedMemory (mdlkit)"},
    {MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT, "NdisMAllocateSharedMemory context (mdlkit)"},
    {MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY, "NdisAllocateMdl on memory that is not non-paged pool (mdlkit)"},
    {MDLKIT_RULE_DDI_NOT_AVAILABLE, "DDI not available on the emulated Windows version (mdlkit)"},
    {MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY, "IoAllocateMdl SecondaryBuffer without an IRP (mdlkit)"},
    {MDLKIT_RULE_IO_ALLOCATE_MDL_CHARGE_QUOTA, "IoAllocateMdl ChargeQuota must be FALSE (mdlkit)"},
    {MDLKIT_RULE_USE_BEFORE_INIT, "use before mdlkit_init (mdlkit)"},
    {MDLKIT_RULE_HARNESS_MISUSE, "harness call given a bad argument (mdlkit)"},
    {MDLKIT_RULE_SEH_FINALLY_SKIPPED, "return/break/goto out of a __try with __finally (mdlkit)"},
    {0x00A40001, "wait for something that is not a dispatcher object (mdlkit)"},
    {0x00A40002, "ERESOURCE acquired exclusive by a thread holding it shared (mdlkit)"},
    {0x00A40003, "ERESOURCE not initialised or already deleted (mdlkit)"},
    {0x00A40004, "ExQueueWorkItem with an unknown queue type (mdlkit)"},
    {0x00A40005, "ExQueueWorkItem on an item still queued (mdlkit)"},
};

/* 0xC4 P1 values at or above this are rule IDs whose P2 is a sentence. */
#define BD_RULE_MIN 0x00020000UL

const char *mk_bugdesc_rule_name(ULONG_PTR rule)
{
    for (size_t i = 0; i < MK_ARRAY_SIZE(bd_rules); i++)
        if (bd_rules[i].id == rule)
            return bd_rules[i].name;
    return NULL;
}

static int bd_is_rule(const mdlkit_bugcheck *bc)
{
    return bc->code == DRIVER_VERIFIER_DETECTED_VIOLATION && bc->param[0] >= BD_RULE_MIN;
}

static const bd_entry *bd_find(const mdlkit_bugcheck *bc)
{
    const bd_entry *generic = NULL;
    for (size_t i = 0; i < MK_ARRAY_SIZE(bd_table); i++) {
        const bd_entry *e = &bd_table[i];
        if (e->code != bc->code)
            continue;
        if (e->sub_index < 0) {
            if (!generic)
                generic = e;
        } else if (bc->param[(int)e->sub_index] == e->sub) {
            return e;
        }
    }
    return generic;
}

const char *mk_bugdesc_param(const mdlkit_bugcheck *bc, int index)
{
    if (index < 0 || index > 3)
        return "";
    if (bd_is_rule(bc)) {
        static const char *rule_params[4] = {
            "DDI compliance rule that was violated",
            "pointer to the violated condition (a sentence)",
            "rule state, or a value the rule documents (docs/verifier.md)",
            "a value the rule documents (docs/verifier.md), else reserved",
        };
        return rule_params[index];
    }
    const bd_entry *e = bd_find(bc);
    if (!e)
        return "(meaning not described by mdlkit)";
    if (e->sub_index == index)
        return "type of violation (subcode)";
    return e->p[index] ? e->p[index] : R;
}

/* Advice that depends on the state the parameters describe, checked
 * against it rather than assumed from the subcode. 0xC4/0xB8 (P2 the MDL,
 * P3 its flags) is raised for an MDL still mapped to a system address:
 * the mapping came from locking (MmProbeAndLockPages + a system address,
 * released by MmUnlockPages), from MmMapLockedPages* on pages that were
 * not locked by probing (released by MmUnmapLockedPages), or is a partial
 * MDL's own mapping about to be lost by reuse (MmPrepareMdlForReuse). */
static const char *bd_what_by_state(const mdlkit_bugcheck *bc)
{
    if (bc->code == DRIVER_VERIFIER_DETECTED_VIOLATION && bc->param[0] == 0xB8) {
        ULONG_PTR flags = bc->param[2];
        if (flags & MDL_PARTIAL_HAS_BEEN_MAPPED)
            return "A partial MDL whose own system mapping was never released was reused (IoBuildPartialMdl) or freed "
                   "that way: call MmPrepareMdlForReuse before building into it again.";
        if (flags & MDL_PAGES_LOCKED)
            return "An MDL whose pages are locked and still mapped to a system address (flags in parameter 3) was "
                   "freed (IoFreeMdl) or prepared for reuse: for pages locked by MmProbeAndLockPages call "
                   "MmUnlockPages first (it also releases the mapping); for a mapping made with MmMapLockedPages* "
                   "(e.g. of MmAllocatePagesForMdl pages) call MmUnmapLockedPages first.";
        return "An MDL whose pages are still mapped to a system address (flags in parameter 3; not locked) was "
               "freed (IoFreeMdl) or prepared for reuse: call MmUnmapLockedPages first.";
    }
    return NULL;
}

const char *mk_bugdesc_what(const mdlkit_bugcheck *bc)
{
    const char *by_state = bd_what_by_state(bc);
    if (by_state)
        return by_state;
    if (bd_is_rule(bc))
        return "A DDI compliance rule was violated (see the condition in parameter 2).";
    const bd_entry *e = bd_find(bc);
    return e ? e->what : "The system was stopped by a bug check.";
}
