/*
 * mdlkit.h -- the harness API: start the simulated machine, catch bug checks,
 * make user buffers, host drivers, read pool accounting and reports.
 *
 * The names in the first sections are a fixed contract (DESIGN.md "Harness
 * API"). Everything public that mdlkit adds is prefixed mdlkit_ / MDLKIT_.
 */
#ifndef MDLKIT_H
#define MDLKIT_H

#include <ntddk.h>
#include <stdio.h>

MDLKIT_EXTERN_C_BEGIN

/* ------------------------------------------------------------------------
 * Configuration and runtime
 * ---------------------------------------------------------------------- */

/* Driver Verifier option bits (the same values as verifier.exe /flags). */
#define MDLKIT_VERIFY_SPECIAL_POOL 0x00000001UL
#define MDLKIT_VERIFY_FORCE_IRQL_CHECKING 0x00000002UL
#define MDLKIT_VERIFY_LOW_RESOURCES 0x00000004UL
#define MDLKIT_VERIFY_POOL_TRACKING 0x00000008UL
#define MDLKIT_VERIFY_IO_CHECKING 0x00000010UL
#define MDLKIT_VERIFY_DDI_COMPLIANCE 0x00020000UL
#define MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES 0x00040000UL
#define MDLKIT_VERIFY_SECURITY_CHECKS 0x00000100UL   /* Zw routines given user-mode addresses */
#define MDLKIT_VERIFY_MISC_CHECKS 0x00000800UL       /* live objects in freed pool */
#define MDLKIT_VERIFY_CODE_INTEGRITY 0x02000000UL    /* executable pool, executable MDL mappings */
#define MDLKIT_VERIFY_STANDARD                                                              \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_POOL_TRACKING | \
     MDLKIT_VERIFY_IO_CHECKING | MDLKIT_VERIFY_SECURITY_CHECKS | MDLKIT_VERIFY_MISC_CHECKS |          \
     MDLKIT_VERIFY_DDI_COMPLIANCE)

typedef struct mdlkit_config {
    size_t physical_memory;     /* bytes of simulated RAM */
    ULONG os_version;           /* NTDDI_* value of the emulated Windows */
    ULONG verifier_flags;       /* Driver Verifier bits, MDLKIT_VERIFY_* */
    ULONG fault_probability;    /* per 10,000 calls, for 0x4 */
    ULONG fault_seed;
    ULONG processors;           /* "processors" for per-CPU structures */
    const char *report_path;    /* JSON report file, or NULL */
    /* fields below are mdlkit additions */
    const char *fault_tags;     /* 0x4 only fails these tags ("Tag1,Tag2", '*' and '?' wildcards), or NULL */
    const char *systematic_state; /* 0x40000: file that remembers failed call sites, or NULL */
    int quiet;                  /* 1: no bug-check report text on stderr when caught */
    /* Special pool (0x1) selection, as gflags does it: 0 = every small
     * allocation. special_pool_tag: only this tag ('gaT1'; env
     * MDLKIT_SPECIAL_POOL_TAG="Tag1" as printed, or a hex value).
     * special_pool_size: only allocations of exactly this many bytes (env
     * MDLKIT_SPECIAL_POOL_SIZE). Both set: either matches. */
    ULONG special_pool_tag;
    ULONG special_pool_size;
    /* mdlkit's own lint category (docs/verifier.md "Lint"): advisories no
     * Windows option raises, which may flag working code. MDLKIT_LINT_OFF
     * (default), MDLKIT_LINT_WARN (a warning with the stack on stderr,
     * counted by mdlkit_lint_count) or MDLKIT_LINT_FATAL (0xC4 with the
     * rule's ID). Env MDLKIT_LINT=off|warn|fatal. */
    int lint;
} mdlkit_config;
#define MDLKIT_LINT_OFF 0
#define MDLKIT_LINT_WARN 1
#define MDLKIT_LINT_FATAL 2

/* Fills *cfg with the defaults, then applies the MDLKIT_* environment
 * variables (the options table: `mdlkit options`, README.md). A bad value
 * is reported on stderr and makes mdlkit_init fail. A NULL cfg is reported
 * on stderr and nothing is done. */
void mdlkit_config_default(mdlkit_config *cfg);
/* Starts the simulated machine. NULL means the defaults. Returns 0 on
 * success, -1 with a message on stderr on failure (already initialised,
 * bad configuration, memory that cannot be reserved). */
int mdlkit_init(const mdlkit_config *cfg);
/* Final leak check and report; a later mdlkit_init starts a fresh machine. */
void mdlkit_shutdown(void);
/* 1 between a successful mdlkit_init and mdlkit_shutdown. */
int mdlkit_is_initialized(void);
/* The configuration in force (valid while initialised). */
const mdlkit_config *mdlkit_current_config(void);
/* Parses an MDLKIT_OS-style name ("win7", "win10", "0x06010000", ...).
 * Returns 0 and sets *ntddi, or -1 for an unknown value. */
int mdlkit_parse_os(const char *text, ULONG *ntddi);
/* Prints the configuration and the memory layout (the self-check). */
void mdlkit_print_layout(FILE *out);

/* ------------------------------------------------------------------------
 * Bug checks
 * ---------------------------------------------------------------------- */
typedef struct mdlkit_bugcheck {
    ULONG code;
    ULONG_PTR param[4];
} mdlkit_bugcheck;

/* Runs fn(arg). Returns 1 and fills *out if a bug check was raised inside it
 * (the runtime stays usable), else 0. Nestable; per thread. The IRQL is put
 * back to what it was when mdlkit_catch_bugcheck was entered. A NULL fn is
 * reported on stderr and returns -1. */
int mdlkit_catch_bugcheck(void (*fn)(void *arg), void *arg, mdlkit_bugcheck *out);
/* Name of a bug-check code ("BAD_POOL_CALLER"), or NULL if unknown. */
const char *mdlkit_bugcheck_name(ULONG code);
/* Name of an NTSTATUS ("STATUS_ACCESS_VIOLATION"), or NULL if unknown. */
const char *mdlkit_ntstatus_name(NTSTATUS status);
/* The last bug check raised on any thread (caught or not); 0 code if none. */
mdlkit_bugcheck mdlkit_last_bugcheck(void);

/* DRIVER_VERIFIER_DETECTED_VIOLATION (0xC4) parameter 1 values that mdlkit
 * uses for rules Windows only checks statically (see docs/verifier.md).
 * P2 is a pointer to a sentence naming the violated condition, P3 and P4 are
 * given per rule in docs/verifier.md. */
#define MDLKIT_RULE_STORPORT_IRQL 0x00A10001UL
#define MDLKIT_RULE_STORPORT_ALLOCATE_POOL 0x00A10002UL
#define MDLKIT_RULE_STORPORT_ALLOCATE_POOL2 0x00A10003UL
#define MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS 0x00A10004UL
#define MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION 0x00A10005UL
#define MDLKIT_RULE_NDIS_ALLOCATE_MDL 0x00A20001UL
#define MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION 0x00A20002UL
#define MDLKIT_RULE_NDIS_MFREE_SHARED_MEMORY 0x00A20003UL
#define MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT 0x00A20004UL
#define MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY 0x00A20005UL
#define MDLKIT_RULE_STORPORT_FREE_MDL 0x00A10006UL
#define MDLKIT_RULE_STORPORT_FREE_CONTIGUOUS 0x00A10007UL
#define MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY 0x00A10008UL /* P3 = buffer, P4 = MK_MEM_* kinds */
#define MDLKIT_RULE_NDIS_SHARED_MEMORY_LEAK 0x00A20006UL
#define MDLKIT_RULE_NDIS_UNKNOWN_HANDLE 0x00A20007UL
#define MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION 0x00A20008UL
#define MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION 0x00A20009UL
#define MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT 0x00A2000AUL /* NdisMRegisterInterruptEx misuse */
#define MDLKIT_RULE_NDIS_INTERRUPT_LEAK 0x00A2000BUL    /* halted with the interrupt registered */
#define MDLKIT_RULE_DDI_NOT_AVAILABLE 0x00A30001UL
#define MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY 0x00A30002UL
#define MDLKIT_RULE_IO_ALLOCATE_MDL_CHARGE_QUOTA 0x00A30003UL
#define MDLKIT_RULE_USE_BEFORE_INIT 0x00A30004UL
#define MDLKIT_RULE_HARNESS_MISUSE 0x00A30005UL /* a harness call given a bad argument */
#define MDLKIT_RULE_SEH_FINALLY_SKIPPED 0x00A30006UL /* return/break/goto out of __try with __finally */
#define MDLKIT_RULE_SEH_BREAK_IN_TRY 0x00A30007UL    /* break directly inside a __try guarded block */
#define MDLKIT_RULE_IO_PARTIAL_SOURCE 0x00A30008UL   /* IoBuildPartialMdl from an MDL neither locked nor built (DDI compliance) */

/* ------------------------------------------------------------------------
 * User-mode buffers (in the simulated user region)
 * ---------------------------------------------------------------------- */
#define PAGE_NOACCESS 0x01
#define PAGE_READONLY 0x02
#define PAGE_READWRITE 0x04

void *mdlkit_user_alloc(SIZE_T bytes, ULONG protect); /* PAGE_READWRITE, PAGE_READONLY, PAGE_NOACCESS */
void mdlkit_user_free(void *p);
/* Changes the protection of whole pages of a user buffer; 0 on success. */
int mdlkit_user_protect(void *p, SIZE_T bytes, ULONG protect);

/* The direct-map address of a physical address: what a simulated device
 * uses to read or write memory by its physical (bus) address. NULL if the
 * address is not simulated RAM. */
void *mdlkit_phys_to_va(PHYSICAL_ADDRESS pa);

/* ------------------------------------------------------------------------
 * Pool: tag accounting (poolmon / !poolused) and allocator statistics
 * ---------------------------------------------------------------------- */
/* One tag's counts since mdlkit_init, merged over all threads (live and
 * exited). Bytes are the bytes requested by outstanding allocations. */
typedef struct mdlkit_pool_tag_usage {
    ULONG tag;       /* as passed to the allocator: 'gaT1' */
    char name[5];    /* as poolmon prints it (memory order): "1Tag" */
    ULONG64 nonpaged_allocs, nonpaged_frees, nonpaged_outstanding, nonpaged_bytes;
    ULONG64 paged_allocs, paged_frees, paged_outstanding, paged_bytes;
} mdlkit_pool_tag_usage;

/* Fills out[0..max) with every tag seen, sorted by name; returns how many
 * tags there are (which may exceed max; out may be NULL to count). */
size_t mdlkit_pool_usage(mdlkit_pool_tag_usage *out, size_t max);
/* Counts of one tag: 1 and *out filled, or 0 if the tag was never used. */
int mdlkit_pool_usage_tag(ULONG tag, mdlkit_pool_tag_usage *out);

/* mdlkit_pool_print sort orders (the !poolused flag values). */
#define MDLKIT_POOL_SORT_TAG 0
#define MDLKIT_POOL_SORT_NONPAGED 2
#define MDLKIT_POOL_SORT_PAGED 4
/* Prints a !poolused-style table of the tags in use (outstanding
 * allocations and bytes, non-paged and paged) and a TOTAL row. */
void mdlkit_pool_print(FILE *out, int sort);

/* What the allocator holds, for overhead measurements. */
typedef struct mdlkit_pool_memory {
    size_t segments;        /* 64 KiB pool segments mapped */
    size_t small_pages;     /* pages carved into small blocks */
    size_t big_pages;       /* pages of allocations bigger than 2 KiB */
    size_t metadata_bytes;  /* side metadata (tag and size words, page descriptors) */
} mdlkit_pool_memory;
void mdlkit_pool_memory_get(mdlkit_pool_memory *out);

/* 0xC4 parameter 1 values for pool and lookaside misuse that Windows does
 * not number (docs/ddi-notes.md "Pool"). */
#define MDLKIT_RULE_POOL_TYPE 0x00A40001UL       /* P3 = pool type, P4 = bytes */
#define MDLKIT_RULE_LOOKASIDE_SIZE 0x00A40002UL  /* P3 = lookaside, P4 = entry size */
#define MDLKIT_RULE_LOOKASIDE_IRQL 0x00A40003UL  /* P3 = lookaside, P4 = IRQL */

/* The lint category (opt-in, mdlkit_config.lint; docs/verifier.md "Lint",
 * docs/rules.md). As 0xC4 P1 when lint is fatal. */
#define MDLKIT_RULE_LINT_ALLOCATOR_FAMILY 0x00A60001UL /* freed by another allocator family: P3 block, P4 family */
#define MDLKIT_RULE_LINT_POOL2_TYPE 0x00A60002UL       /* ExAllocatePool2 given a POOL_TYPE: P3 flags, P4 tag */
#define MDLKIT_RULE_LINT_PARTIAL_REUSE 0x00A60003UL    /* partial MDL rebuilt without MmPrepareMdlForReuse */
#define MDLKIT_RULE_LINT_UNSAFE_SYSTEM_ADDRESS 0x00A60004UL /* MmGetSystemAddressForMdl's NULL used */
/* Lint findings reported so far in this machine's life for rule (0: all). */
ULONG mdlkit_lint_count(ULONG rule);

/* ------------------------------------------------------------------------
 * Reports (src/verifier/report.c; format in docs/report-format.md)
 * ---------------------------------------------------------------------- */
/* Prints the !verifier-style counters, the per-tag pool table, leaks found,
 * injected faults and the last bug check. */
void mdlkit_report_print(FILE *out);
/* Writes the JSON report to path (NULL: the configured report_path)
 * atomically (path.tmp, then rename). 0 on success, -1 on error. */
int mdlkit_report_write(const char *path);

/* ------------------------------------------------------------------------
 * Driver hosting
 * ---------------------------------------------------------------------- */
NTSTATUS mdlkit_driver_load(const char *name, PDRIVER_INITIALIZE entry, PDRIVER_OBJECT *out);
NTSTATUS mdlkit_driver_unload(PDRIVER_OBJECT driver); /* leak checks */
/* Sends an IRP to the driver's dispatch routine for its major function, as
 * the I/O manager would, and returns the dispatch routine's status. */
NTSTATUS mdlkit_driver_call(PDRIVER_OBJECT driver, PIRP irp);

/* Plug and Play (src/io/pnp.c): a device on mdlkit's root bus for a WDM
 * function driver that set DriverExtension->AddDevice. add_device creates
 * the PDO (hardware ID `hardware_id`, NULL: "ROOT\\MDLKIT"), calls AddDevice
 * and sends IRP_MN_START_DEVICE, waiting for it; on failure the stack is
 * removed and the status returned. surprise_remove sends
 * IRP_MN_SURPRISE_REMOVAL (the device is gone; close the handles, then call
 * remove). remove sends IRP_MN_QUERY_REMOVE_DEVICE (unless surprise-removed;
 * a failed query is cancelled and returned) then IRP_MN_REMOVE_DEVICE, and
 * deletes the PDO. Target-device notifications (IoRegisterPlugPlayNotification)
 * on the stack are called as the PnP manager calls them. PASSIVE_LEVEL. */
NTSTATUS mdlkit_pnp_add_device(PDRIVER_OBJECT driver, const char *hardware_id, PDEVICE_OBJECT *pdo);
NTSTATUS mdlkit_pnp_surprise_remove(PDEVICE_OBJECT pdo);
NTSTATUS mdlkit_pnp_remove(PDEVICE_OBJECT pdo);

/* StorPort: a miniport whose DriverEntry called StorPortInitialize. */
NTSTATUS mdlkit_storport_start_adapter(PDRIVER_OBJECT driver, PVOID *hw_device_extension);
NTSTATUS mdlkit_storport_stop_adapter(PVOID hw_device_extension);
/* Sends an SRB to the adapter as the port driver would: an IRP whose
 * MdlAddress describes the data buffer (built for non-paged memory, probed
 * and locked otherwise) becomes Srb->OriginalRequest, then HwBuildIo and
 * HwStartIo run at DISPATCH_LEVEL. Returns the NTSTATUS of the SRB status
 * when the miniport completed it (StorPortNotification(RequestComplete)),
 * STATUS_PENDING when it completes later. Call at <= DISPATCH_LEVEL
 * (PASSIVE_LEVEL for pageable or user buffers). */
struct _SCSI_REQUEST_BLOCK;
NTSTATUS mdlkit_storport_submit(PVOID hw_device_extension, struct _SCSI_REQUEST_BLOCK *srb);
/* NDIS: a miniport whose DriverEntry called NdisMRegisterMiniportDriver.
 * (NDIS_HANDLE is PVOID.) */
NTSTATUS mdlkit_ndis_start_adapter(PDRIVER_OBJECT driver, PVOID *miniport_adapter_handle);
NTSTATUS mdlkit_ndis_halt_adapter(PVOID miniport_adapter_handle); /* NdisAllocateMdl rule, shared memory */
/* Runs MiniportShutdownEx(NdisShutdownPowerOff) at PASSIVE_LEVEL; the
 * adapter stays initialised (halt it afterwards). */
NTSTATUS mdlkit_ndis_shutdown_adapter(PVOID miniport_adapter_handle);
/* The simulated device raises its line interrupt: the miniport's
 * MiniportInterrupt runs at the device IRQL (above DISPATCH_LEVEL); if it
 * claims the interrupt and asks for a DPC (QueueDefaultInterruptDpc, or
 * TargetProcessors bits of existing processors), MiniportInterruptDPC runs
 * at DISPATCH_LEVEL once per processor asked for, then again while it sets
 * MoreNblsPending. Call at <= DISPATCH_LEVEL. Returns STATUS_SUCCESS if the
 * ISR claimed the interrupt, STATUS_UNSUCCESSFUL if it returned FALSE,
 * STATUS_INVALID_PARAMETER for an unknown adapter, and
 * STATUS_INVALID_DEVICE_STATE if it has no interrupt registered. */
NTSTATUS mdlkit_ndis_interrupt(PVOID miniport_adapter_handle);

/* ------------------------------------------------------------------------
 * Debug output (src/ke/debug.c): DbgPrintEx filter masks and capture.
 * Masks start from Windows' defaults, then MDLKIT_DBGPRINT, at mdlkit_init.
 * ---------------------------------------------------------------------- */
#define MDLKIT_DBGPRINT_SYSTEM 0xFFFFFFFFUL          /* the system-wide mask (Kd_WIN2000_Mask) */
#define MDLKIT_DBGPRINT_EVERY_COMPONENT 0xFFFFFFFEUL /* every component's mask */
/* Sets a component's (DPFLTR_*_ID) filter mask: bit n shows level n. */
void mdlkit_dbgprint_set_mask(ULONG component, ULONG mask);
ULONG mdlkit_dbgprint_get_mask(ULONG component);
/* Every message that passes the filter goes to fn (formatted, NUL-ended, at
 * most 511 characters) instead of stderr; NULL restores stderr. Calls of fn
 * are serialised; fn must not call DbgPrint or mdlkit_dbgprint_capture. */
typedef void mdlkit_dbgprint_fn(void *ctx, ULONG component, ULONG level, const char *text);
void mdlkit_dbgprint_capture(mdlkit_dbgprint_fn *fn, void *ctx);

/* ------------------------------------------------------------------------
 * Version (the CMake project version; tests/test_version.c checks it)
 * ---------------------------------------------------------------------- */
#define MDLKIT_VERSION_MAJOR 0
#define MDLKIT_VERSION_MINOR 1
#define MDLKIT_VERSION_PATCH 0
#define MDLKIT_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------
 * After a caught bug check (src/ke/bugcheck.c, src/rt/runtime.c)
 * ---------------------------------------------------------------------- */
/* Once mdlkit_catch_bugcheck has caught a bug check, the machine still holds
 * what the interrupted call had (locked pages, IRPs, MDLs): it is "crashed"
 * until the next mdlkit_init. Then mdlkit_shutdown, mdlkit_user_free and
 * mdlkit_driver_unload called outside any mdlkit_catch_bugcheck never raise:
 * each bug check they would raise (a leak at unload, pages still locked) is
 * printed as information (unless cfg.quiet) and ends that cleanup step.
 * mdlkit_reset tears the machine down that way whether or not a bug check
 * was caught, and returns how many would-be bug checks it recorded (0 when
 * the machine was clean or not running). A later mdlkit_init starts clean. */
int mdlkit_reset(void);
/* 1 while the machine is crashed (a bug check was caught since mdlkit_init). */
int mdlkit_is_crashed(void);

/* ------------------------------------------------------------------------
 * Verifier counters and pool lookups (src/verifier/counters.c, report.c)
 * ---------------------------------------------------------------------- */
/* The !verifier statistics under their Driver Verifier names, cumulative
 * and current values apart. Cumulative counts run from mdlkit_init and are
 * kept while a verifier option is on; current values are what the machine
 * holds now (all pool, whatever the options); a peak is the highest current
 * value seen at a sampling point (every read of the counters, every report and
 * every leak found: docs/ddi-notes.md). */
typedef struct mdlkit_verifier_counters {
    /* cumulative */
    ULONG64 AllocationsAttempted;
    ULONG64 AllocationsSucceeded;
    ULONG64 AllocationsSucceededSpecialPool;
    ULONG64 AllocationsWithNoTag;
    ULONG64 AllocationsFailed;
    ULONG64 AllocationsFailedDeliberately;
    ULONG64 MdlsAllocated;                 /* mdlkit: MDLs allocated */
    /* current */
    ULONG64 CurrentPagedPoolAllocations;
    ULONG64 CurrentNonPagedPoolAllocations;
    ULONG64 PagedBytes;
    ULONG64 NonPagedBytes;
    ULONG64 LockedPages;                   /* mdlkit: pages locked by MmProbeAndLockPages */
    ULONG64 SystemMappings;                /* mdlkit: live MDL system-address mappings */
    /* peaks of the current values */
    ULONG64 PeakPagedPoolAllocations;
    ULONG64 PeakNonPagedPoolAllocations;
    ULONG64 PeakPagedBytes;
    ULONG64 PeakNonPagedBytes;
} mdlkit_verifier_counters;
void mdlkit_verifier_counters_get(mdlkit_verifier_counters *out);

/* Per driver, as !verifier shows each verified driver (Pool Tracking on):
 * the pool blocks charged to the driver now (allocated while its code ran:
 * DriverEntry, dispatch routines, callbacks; MDLs from IoAllocateMdl
 * included) and the peaks of those values. Kept exactly by the tracking
 * hooks (an atomic count per allocation and free), not sampled; reset by
 * mdlkit_init; an unloaded driver keeps its values until the next
 * mdlkit_init (its leaks stay counted). Blocks of the process itself (no
 * driver code running) are in no driver's counts. */
typedef struct mdlkit_driver_counters {
    char name[64]; /* as given to mdlkit_driver_load */
    unsigned id;   /* 1, 2, ... in load order */
    ULONG64 CurrentPagedPoolAllocations;
    ULONG64 CurrentNonPagedPoolAllocations;
    ULONG64 PagedBytes;
    ULONG64 NonPagedBytes;
    ULONG64 PeakPagedPoolAllocations;
    ULONG64 PeakNonPagedPoolAllocations;
    ULONG64 PeakPagedBytes;
    ULONG64 PeakNonPagedBytes;
} mdlkit_driver_counters;
/* One loaded driver's counts: 0, or -1 (*out zeroed) when `driver` is not
 * a driver object mdlkit_driver_load made, or was unloaded. */
int mdlkit_verifier_driver_counters_get(PDRIVER_OBJECT driver, mdlkit_driver_counters *out);
/* Every driver that had a block charged to it since mdlkit_init, in load
 * order: fills up to max entries of out (may be NULL) and returns how many
 * drivers there are. */
size_t mdlkit_verifier_drivers_counters(mdlkit_driver_counters *out, size_t max);

/* The pool allocate/free log, as !verifier 0x80 shows it: kept while Pool
 * Tracking, Special Pool or a low-resources simulation is on. Each thread
 * logs into its own ring of the latest 1024 allocations and frees (the
 * oldest overwritten), each with the driver charged (or running, for a
 * free) and up to 4 frames of the allocating or freeing stack (no lock,
 * no shared write). Entries come newest first within each thread's ring,
 * ring after ring (the most recently written ring first); entries of
 * different threads are not ordered among themselves. mdlkit_pool_log copies
 * the entries of the block that contains `address` (NULL: every entry),
 * newest first, up to max (out may be NULL), and returns how many there
 * are. mdlkit_pool_log_print prints them, symbolized (max 0: all). */
#define MDLKIT_POOL_LOG_ALLOC 1
#define MDLKIT_POOL_LOG_FREE 2
typedef struct mdlkit_pool_log_entry {
    int op;                  /* MDLKIT_POOL_LOG_ALLOC or MDLKIT_POOL_LOG_FREE */
    unsigned thread;         /* 1, 2, ...: the ring (thread) that logged it */
    unsigned long long seq;  /* 1, 2, ... in that thread's order */
    void *address;           /* the block (what the allocator returned / was given) */
    size_t size;             /* bytes requested (0 when the log does not know) */
    ULONG tag;
    char driver[64];         /* "" for the process itself */
    int nframes;
    void *frames[4];         /* return addresses, innermost first (mdlkit's own left out when printed) */
} mdlkit_pool_log_entry;
size_t mdlkit_pool_log(const void *address, mdlkit_pool_log_entry *out, size_t max);
size_t mdlkit_pool_log_print(FILE *out, const void *address, size_t max);

/* What !pool says about an address: the live pool block that contains it
 * (start, size, tag, pool, special pool) and, with Pool Tracking, the driver
 * it is charged to and the driver's line that allocated it. Returns 1 and
 * fills *info (may be NULL) when the address is inside a live block, else 0;
 * with out != NULL, prints the description (also for an address in no
 * block) there. */
typedef struct mdlkit_pool_info {
    void *block;          /* the block's start (what the allocator returned) */
    size_t size;          /* bytes requested */
    size_t offset;        /* address - block */
    ULONG tag;            /* as passed to the allocator */
    char tag_name[5];     /* as poolmon prints it */
    int paged;            /* 1 paged pool, 0 non-paged pool */
    int special;          /* 1 when the block is in special pool */
    char driver[64];      /* Pool Tracking: the driver charged, else "" */
    char allocated_at[256]; /* Pool Tracking: "function (file:line)" of the allocation, else "" */
} mdlkit_pool_info;
int mdlkit_pool_describe(const void *address, FILE *out, mdlkit_pool_info *info);

#include "mdlkit_usermode.h"
#include "mdlkit_ndis.h"
#include "mdlkit_storport.h"
#include "mdlkit_device.h"
#include "mdlkit_fuzz.h"

/* Exceptions: MDLKIT_TRY { ... } MDLKIT_EXCEPT(filter) { GetExceptionCode() } MDLKIT_END;
 * (defined in wdm.h so that driver code may use __try / __except too). */

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_H */
