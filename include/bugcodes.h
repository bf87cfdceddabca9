/*
 * bugcodes.h -- the bug-check codes mdlkit raises, with their names.
 * MDLKIT_BUGCHECK_CODES(X) is the single list; the runtime derives its name
 * table and parameter descriptions from it (src/ke/bugcheck.c).
 */
#ifndef MDLKIT_BUGCODES_H
#define MDLKIT_BUGCODES_H

#define MDLKIT_BUGCHECK_CODES(X)                           \
    X(0x00000001, APC_INDEX_MISMATCH)                      \
    X(0x00000009, IRQL_NOT_GREATER_OR_EQUAL)               \
    X(0x0000000A, IRQL_NOT_LESS_OR_EQUAL)                  \
    X(0x0000000C, MAXIMUM_WAIT_OBJECTS_EXCEEDED)           \
    X(0x0000000F, SPIN_LOCK_ALREADY_OWNED)                 \
    X(0x00000010, SPIN_LOCK_NOT_OWNED)                     \
    X(0x00000011, THREAD_NOT_MUTEX_OWNER)                  \
    X(0x00000012, TRAP_CAUSE_UNKNOWN)                      \
    X(0x00000018, REFERENCE_BY_POINTER)                    \
    X(0x00000019, BAD_POOL_HEADER)                         \
    X(0x0000001A, MEMORY_MANAGEMENT)                       \
    X(0x0000001E, KMODE_EXCEPTION_NOT_HANDLED)             \
    X(0x00000035, NO_MORE_IRP_STACK_LOCATIONS)             \
    X(0x0000003F, NO_MORE_SYSTEM_PTES)                     \
    X(0x00000040, TARGET_MDL_TOO_SMALL)                    \
    X(0x00000041, MUST_SUCCEED_POOL_EMPTY)                 \
    X(0x00000044, MULTIPLE_IRP_COMPLETE_REQUESTS)          \
    X(0x0000004A, IRQL_GT_ZERO_AT_SYSTEM_SERVICE)          \
    X(0x0000004E, PFN_LIST_CORRUPT)                        \
    X(0x00000050, PAGE_FAULT_IN_NONPAGED_AREA)             \
    X(0x00000076, PROCESS_HAS_LOCKED_PAGES)                \
    X(0x0000007C, BUGCODE_NDIS_DRIVER)                     \
    X(0x00000093, INVALID_KERNEL_HANDLE)                   \
    X(0x000000B8, ATTEMPTED_SWITCH_FROM_DPC)               \
    X(0x000000BF, MUTEX_ALREADY_OWNED)                     \
    X(0x000000C1, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION) \
    X(0x000000C2, BAD_POOL_CALLER)                         \
    X(0x000000C4, DRIVER_VERIFIER_DETECTED_VIOLATION)      \
    X(0x000000C5, DRIVER_CORRUPTED_EXPOOL)                 \
    X(0x000000C7, TIMER_OR_DPC_INVALID)                    \
    X(0x000000C8, IRQL_UNEXPECTED_VALUE)                   \
    X(0x000000C9, DRIVER_VERIFIER_IOMANAGER_VIOLATION)     \
    X(0x000000CA, PNP_DETECTED_FATAL_ERROR)                \
    X(0x000000CB, DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS)     \
    X(0x000000CC, PAGE_FAULT_IN_FREED_SPECIAL_POOL)        \
    X(0x000000CD, PAGE_FAULT_BEYOND_END_OF_ALLOCATION)     \
    X(0x000000CE, DRIVER_UNLOADED_WITHOUT_CANCELLING_PENDING_OPERATIONS) \
    X(0x000000D1, DRIVER_IRQL_NOT_LESS_OR_EQUAL)           \
    X(0x000000D5, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL) \
    X(0x000000D6, DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION) \
    X(0x000000D9, LOCKED_PAGES_TRACKER_CORRUPTION)         \
    X(0x000000DA, SYSTEM_PTE_MISUSE)                       \
    X(0x000000E3, RESOURCE_NOT_OWNED)                      \
    X(0x000000E4, WORKER_INVALID)                          \
    X(0x000000F1, SCSI_VERIFIER_DETECTED_VIOLATION)        \
    X(0x0000012E, INVALID_MDL_RANGE)                       \
    X(0x00000133, DPC_WATCHDOG_VIOLATION)

#define MDLKIT_BUGCHECK_DEFINE_(code, name) enum { name = code };
MDLKIT_BUGCHECK_CODES(MDLKIT_BUGCHECK_DEFINE_)
#undef MDLKIT_BUGCHECK_DEFINE_

#endif /* MDLKIT_BUGCODES_H */
