/*
 * wdm.h -- mdlkit's own WDM header: the kernel types, constants and DDIs that
 * mdlkit implements. Names, values and layouts are documented facts (see
 * docs/ddi-notes.md); the text is mdlkit's. Every routine declared here is
 * implemented by libmdlkit.
 */
#ifndef MDLKIT_WDM_H
#define MDLKIT_WDM_H

#include <ntdef.h>
#include <ntstatus.h>
#include <bugcodes.h>
#include <setjmp.h>
#include <stdarg.h>

MDLKIT_EXTERN_C_BEGIN

/* ------------------------------------------------------------------------
 * Windows versions (NTDDI_*) -- the emulated OS is one of these.
 * ---------------------------------------------------------------------- */
#define NTDDI_WIN2K 0x05000000UL
#define NTDDI_WINXP 0x05010000UL
#define NTDDI_WS03 0x05020000UL
#define NTDDI_WS03SP1 0x05020100UL
#define NTDDI_VISTA 0x06000000UL
#define NTDDI_WS08 0x06000100UL
#define NTDDI_WIN7 0x06010000UL
#define NTDDI_WIN8 0x06020000UL
#define NTDDI_WINBLUE 0x06030000UL
#define NTDDI_WIN10 0x0A000000UL
#define NTDDI_WIN10_RS1 0x0A000002UL
#define NTDDI_WIN10_VB 0x0A000008UL  /* Windows 10, version 2004 */
#define NTDDI_WIN10_CO 0x0A00000BUL  /* Windows 11, version 21H2 */
#define NTDDI_WIN10_NI 0x0A00000CUL  /* Windows 11, version 22H2 */
#define NTDDI_WIN11_GE 0x0A000010UL  /* Windows 11, version 24H2 */
#ifndef NTDDI_VERSION
#define NTDDI_VERSION NTDDI_WIN11_GE
#endif

/* ------------------------------------------------------------------------
 * Processor modes and IRQL (x64 values)
 * ---------------------------------------------------------------------- */
typedef enum _MODE { KernelMode = 0, UserMode = 1, MaximumMode = 2 } MODE;

#define PASSIVE_LEVEL 0
#define LOW_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define CMCI_LEVEL 5
#define CLOCK_LEVEL 13
#define IPI_LEVEL 14
#define DRS_LEVEL 14
#define POWER_LEVEL 14
#define PROFILE_LEVEL 15
#define HIGH_LEVEL 15

typedef ULONG_PTR KSPIN_LOCK, *PKSPIN_LOCK;

NTKERNELAPI KIRQL KeGetCurrentIrql(void);
NTKERNELAPI KIRQL KfRaiseIrql(KIRQL NewIrql);
NTKERNELAPI void KeLowerIrql(KIRQL NewIrql);
NTKERNELAPI KIRQL KeRaiseIrqlToDpcLevel(void);
#define KeRaiseIrql(NewIrql, OldIrql) (*(OldIrql) = KfRaiseIrql(NewIrql))

NTKERNELAPI void KeInitializeSpinLock(PKSPIN_LOCK SpinLock);
NTKERNELAPI KIRQL KeAcquireSpinLockRaiseToDpc(PKSPIN_LOCK SpinLock);
NTKERNELAPI void KeReleaseSpinLock(PKSPIN_LOCK SpinLock, KIRQL NewIrql);
NTKERNELAPI void KeAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock);
NTKERNELAPI void KeReleaseSpinLockFromDpcLevel(PKSPIN_LOCK SpinLock);
#define KeAcquireSpinLock(SpinLock, OldIrql) (*(OldIrql) = KeAcquireSpinLockRaiseToDpc(SpinLock))

NTKERNELAPI ULONG KeGetCurrentProcessorNumber(void);
NTKERNELAPI ULONG KeQueryActiveProcessorCount(PKAFFINITY ActiveProcessors);

NTKERNELAPI DECLSPEC_NORETURN void KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR BugCheckParameter1,
                                                 ULONG_PTR BugCheckParameter2,
                                                 ULONG_PTR BugCheckParameter3,
                                                 ULONG_PTR BugCheckParameter4);
NTKERNELAPI DECLSPEC_NORETURN void KeBugCheck(ULONG BugCheckCode);

#define KeMemoryBarrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Interlocked operations (compiler intrinsics on Windows; inline here). */
MDLKIT_FORCEINLINE LONG InterlockedIncrement(LONG volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG InterlockedDecrement(LONG volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG InterlockedExchange(LONG volatile *p, LONG v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG InterlockedExchangeAdd(LONG volatile *p, LONG v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG InterlockedCompareExchange(LONG volatile *p, LONG x, LONG c)
{
    __atomic_compare_exchange_n(p, &c, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}
MDLKIT_FORCEINLINE LONG64 InterlockedIncrement64(LONG64 volatile *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE LONG64 InterlockedDecrement64(LONG64 volatile *p) { return __atomic_sub_fetch(p, 1, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE PVOID InterlockedExchangePointer(PVOID volatile *p, PVOID v) { return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST); }
MDLKIT_FORCEINLINE PVOID InterlockedCompareExchangePointer(PVOID volatile *p, PVOID x, PVOID c)
{
    __atomic_compare_exchange_n(p, &c, x, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return c;
}

/* ------------------------------------------------------------------------
 * Structured exception handling.
 *
 *   MDLKIT_TRY { ... } MDLKIT_EXCEPT(filter) { ... GetExceptionCode() ... } MDLKIT_END;
 *   MDLKIT_TRY { ... } MDLKIT_FINALLY { ... AbnormalTermination() ... } MDLKIT_END;
 * and, for unmodified driver code, __try { ... } __except(filter) { ... } and
 * __try { ... } __finally { ... } (also spelled try/except/finally/leave,
 * see <excpt.h>). setjmp based and nestable.
 *
 * __except: the filter runs when an exception reaches the frame
 * (EXCEPTION_EXECUTE_HANDLER runs the handler, EXCEPTION_CONTINUE_SEARCH
 * passes the exception outwards). The handler is ordinary code after the
 * guarded statement: `break`, `continue`, `return` and `goto` in it act on
 * the enclosing loop, switch or function, as in C. `return` and `goto`
 * leave the guarded block cleanly too. GetExceptionCode() is valid in the
 * filter and in the handler (in the handler it reads the code of the
 * exception most recently handled on the thread: read it before a nested
 * __try in the handler handles another one).
 *
 * __finally: the termination handler runs when the guarded block completes,
 * when it is left with `__leave`, and when an exception passes through it
 * (AbnormalTermination() is then TRUE, and the exception goes on outwards
 * once the handler ends; outer filters run after it, not before it as in
 * Windows' two-phase dispatch). A macro cannot run the handler on `return`,
 * `break` or `goto` out of the guarded block: leave with `__leave`; such a
 * jump is reported (bug check 0xC4, MDLKIT_RULE_SEH_FINALLY_SKIPPED) rather
 * than skipping the handler silently.
 *
 * The guarded block sits in a one-pass loop: `continue` directly inside it
 * (not inside a loop of its own) acts as `__leave`, and `break` directly
 * inside it cannot reach the enclosing loop or switch -- mdlkit reports it
 * (0xC4, MDLKIT_RULE_SEH_BREAK_IN_TRY) instead of running on from the wrong
 * place. Locals changed inside the guarded block and read in the handler
 * must be volatile (a setjmp rule).
 * ---------------------------------------------------------------------- */
#define EXCEPTION_EXECUTE_HANDLER 1
#define EXCEPTION_CONTINUE_SEARCH 0
#define EXCEPTION_CONTINUE_EXECUTION (-1)

typedef struct mdlkit_seh_frame {
    struct mdlkit_seh_frame *prev;
    NTSTATUS code;  /* the raised status, valid in the filter */
    int active;     /* still on this thread's frame stack */
    int stage;      /* -1: finding its handler kind, 0: the guarded block, 1: a __finally after it */
    int has_finally; /* its handler is a __finally */
    int abnormal;   /* in the __finally: an exception is passing through */
    int handled;    /* the filter chose this frame's __except handler */
    void *raise_address; /* where the exception reaching this frame was raised */
    jmp_buf jb;
} mdlkit_seh_frame;

void mdlkit_seh_push(mdlkit_seh_frame *f);
void mdlkit_seh_cleanup(mdlkit_seh_frame *f);
void mdlkit_seh_filter(mdlkit_seh_frame *f, int disposition);
int mdlkit_seh_take(void);
NTSTATUS mdlkit_seh_code(void);
int mdlkit_seh_finally_enter(mdlkit_seh_frame *f);
int mdlkit_seh_finally_leave(mdlkit_seh_frame *f);

/* The guarded statement is a loop over the frame's stages: stage -1 runs no
 * user code (a __finally registers itself), stage 0 the guarded block,
 * stage 1 a __finally's handler after a normal exit. After an exception,
 * setjmp returns again at stage 0 and the else branch runs (the filter, or
 * the termination handler). An __except handler runs after the loop, when
 * mdlkit_seh_take() says the filter chose it. */
#define MDLKIT_TRY                                                                           \
    for (mdlkit_seh_frame mdlkit_seh_f_ __attribute__((cleanup(mdlkit_seh_cleanup))),       \
         *mdlkit_seh_p_ = (mdlkit_seh_push(&mdlkit_seh_f_), &mdlkit_seh_f_);               \
         mdlkit_seh_p_->stage < 1 + mdlkit_seh_p_->has_finally; mdlkit_seh_p_->stage++)     \
        if (mdlkit_seh_f_.stage == 0 && setjmp(mdlkit_seh_f_.jb) == 0)
#define MDLKIT_EXCEPT(filter)                                                                \
    else if (mdlkit_seh_f_.stage == 0) mdlkit_seh_filter(&mdlkit_seh_f_, (filter));          \
    if (mdlkit_seh_take())
#define MDLKIT_FINALLY                                                                       \
    else for (int mdlkit_seh_fin_ = mdlkit_seh_finally_enter(&mdlkit_seh_f_); mdlkit_seh_fin_; \
              mdlkit_seh_fin_ = mdlkit_seh_finally_leave(&mdlkit_seh_f_))
#define MDLKIT_END
#define GetExceptionCode() mdlkit_seh_code()
#define _exception_code() mdlkit_seh_code()
#define AbnormalTermination() (mdlkit_seh_f_.abnormal != 0)
#define _abnormal_termination() AbnormalTermination()
#define MDLKIT_LEAVE continue

#ifndef MDLKIT_NO_SEH_KEYWORDS
#define __try MDLKIT_TRY
#define __except(filter) MDLKIT_EXCEPT(filter)
#define __finally MDLKIT_FINALLY
#define __leave MDLKIT_LEAVE
#include <excpt.h>
#endif

NTKERNELAPI DECLSPEC_NORETURN void ExRaiseStatus(NTSTATUS Status);

/* Debug output (DbgPrint, KdPrint, ASSERT, PAGED_CODE): mkwdk/rtl.h */

/* ------------------------------------------------------------------------
 * Pages
 * ---------------------------------------------------------------------- */
#define PAGE_SIZE 0x1000
#define PAGE_SHIFT 12L

#define BYTE_OFFSET(Va) ((ULONG)((LONG_PTR)(Va) & (PAGE_SIZE - 1)))
#define PAGE_ALIGN(Va) ((PVOID)((ULONG_PTR)(Va) & ~((ULONG_PTR)PAGE_SIZE - 1)))
#define ROUND_TO_PAGES(Size) (((ULONG_PTR)(Size) + PAGE_SIZE - 1) & ~((ULONG_PTR)PAGE_SIZE - 1))
#define BYTES_TO_PAGES(Size) \
    (((Size) >> PAGE_SHIFT) + (((Size) & (PAGE_SIZE - 1)) != 0))
#define ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size) \
    ((ULONG)((((ULONG_PTR)BYTE_OFFSET(Va)) + ((SIZE_T)(Size)) + (PAGE_SIZE - 1)) >> PAGE_SHIFT))
#define COMPUTE_PAGES_SPANNED(Va, Size) ADDRESS_AND_SIZE_TO_SPAN_PAGES(Va, Size)

/* Bounds of the simulated address space (real variables, set by mdlkit_init). */
extern PVOID MmHighestUserAddress;
extern PVOID MmSystemRangeStart;
extern ULONG_PTR MmUserProbeAddress;
#define MM_HIGHEST_USER_ADDRESS MmHighestUserAddress
#define MM_SYSTEM_RANGE_START MmSystemRangeStart
#define MM_USER_PROBE_ADDRESS MmUserProbeAddress

NTKERNELAPI void ProbeForRead(volatile void *Address, SIZE_T Length, ULONG Alignment);
NTKERNELAPI void ProbeForWrite(volatile void *Address, SIZE_T Length, ULONG Alignment);

#include "mkwdk/rtl.h"

/* ------------------------------------------------------------------------
 * Executive pool
 * ---------------------------------------------------------------------- */
typedef enum _POOL_TYPE {
    NonPagedPool = 0,
    NonPagedPoolExecute = NonPagedPool,
    PagedPool = 1,
    NonPagedPoolMustSucceed = 2,
    DontUseThisType = 3,
    NonPagedPoolCacheAligned = 4,
    PagedPoolCacheAligned = 5,
    NonPagedPoolCacheAlignedMustS = 6,
    MaxPoolType = 7,
    NonPagedPoolBase = 0,
    NonPagedPoolBaseMustSucceed = 2,
    NonPagedPoolBaseCacheAligned = 4,
    NonPagedPoolBaseCacheAlignedMustS = 6,
    NonPagedPoolSession = 32,
    PagedPoolSession = 33,
    NonPagedPoolMustSucceedSession = 34,
    DontUseThisTypeSession = 35,
    NonPagedPoolCacheAlignedSession = 36,
    PagedPoolCacheAlignedSession = 37,
    NonPagedPoolCacheAlignedMustSSession = 38,
    NonPagedPoolNx = 512,
    NonPagedPoolNxCacheAligned = 516,
    NonPagedPoolSessionNx = 544
} POOL_TYPE;

#define POOL_QUOTA_FAIL_INSTEAD_OF_RAISE 8
#define POOL_RAISE_IF_ALLOCATION_FAILURE 16
#define POOL_COLD_ALLOCATION 256
#define POOL_NX_ALLOCATION 512

#define POOL_FLAG_REQUIRED_START 0x0000000000000001ULL
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RESERVED1 0x0000000000000010ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL
#define POOL_FLAG_RESERVED2 0x0000000000000200ULL
#define POOL_FLAG_RESERVED3 0x0000000000000400ULL
#define POOL_FLAG_REQUIRED_END 0x0000000080000000ULL
#define POOL_FLAG_OPTIONAL_START 0x0000000100000000ULL
#define POOL_FLAG_SPECIAL_POOL 0x0000000100000000ULL
#define POOL_FLAG_OPTIONAL_END 0x8000000000000000ULL

typedef enum _EX_POOL_PRIORITY {
    LowPoolPriority = 0,
    LowPoolPrioritySpecialPoolOverrun = 8,
    LowPoolPrioritySpecialPoolUnderrun = 9,
    NormalPoolPriority = 16,
    NormalPoolPrioritySpecialPoolOverrun = 24,
    NormalPoolPrioritySpecialPoolUnderrun = 25,
    HighPoolPriority = 32,
    HighPoolPrioritySpecialPoolOverrun = 40,
    HighPoolPrioritySpecialPoolUnderrun = 41
} EX_POOL_PRIORITY;

NTKERNELAPI PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
NTKERNELAPI PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                                EX_POOL_PRIORITY Priority);
NTKERNELAPI PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI void ExFreePool(PVOID P);
NTKERNELAPI void ExFreePoolWithTag(PVOID P, ULONG Tag);

/* The rest of the pool family (src/mm/expool.c): quota and priority
 * variants, ExAllocatePool3, and the NX opt-in of POOL_NX_OPTIN builds. */
NTKERNELAPI PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes);
NTKERNELAPI PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
NTKERNELAPI PVOID ExAllocatePoolPriorityZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                             EX_POOL_PRIORITY Priority);
NTKERNELAPI PVOID ExAllocatePoolPriorityUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                                      EX_POOL_PRIORITY Priority);
typedef enum POOL_EXTENDED_PARAMETER_TYPE {
    PoolExtendedParameterInvalidType = 0,
    PoolExtendedParameterPriority,
    PoolExtendedParameterSecurePool,
    PoolExtendedParameterNumaNode,
    PoolExtendedParameterMax
} POOL_EXTENDED_PARAMETER_TYPE, *PPOOL_EXTENDED_PARAMETER_TYPE;
#define POOL_EXTENDED_PARAMETER_TYPE_BITS 8
#define POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS 1
#define POOL_EXTENDED_PARAMETER_RESERVED_BITS (64 - POOL_EXTENDED_PARAMETER_TYPE_BITS - POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS)
#define SECURE_POOL_FLAGS_NONE 0x0
#define SECURE_POOL_FLAGS_FREEABLE 0x1
#define SECURE_POOL_FLAGS_MODIFIABLE 0x2
typedef struct _POOL_EXTENDED_PARAMS_SECURE_POOL {
    HANDLE SecurePoolHandle;
    PVOID Buffer;
    ULONG_PTR Cookie;
    ULONG SecurePoolFlags;
} POOL_EXTENDED_PARAMS_SECURE_POOL;
typedef ULONG POOL_NODE_REQUIREMENT;
#define POOL_NODE_REQUIREMENT_ANY_NODE_OK 0x80000000UL
typedef struct _POOL_EXTENDED_PARAMETER {
    struct {
        ULONG64 Type : POOL_EXTENDED_PARAMETER_TYPE_BITS;
        ULONG64 Optional : POOL_EXTENDED_PARAMETER_REQUIRED_FIELD_BITS;
        ULONG64 Reserved : POOL_EXTENDED_PARAMETER_RESERVED_BITS;
    };
    ULONG64 Reserved2;
    union {
        ULONG64 Reserved3;
        EX_POOL_PRIORITY Priority;
        POOL_EXTENDED_PARAMS_SECURE_POOL *SecurePoolParams;
        POOL_NODE_REQUIREMENT PreferredNode;
    };
} POOL_EXTENDED_PARAMETER, *PPOOL_EXTENDED_PARAMETER;
typedef const POOL_EXTENDED_PARAMETER *PCPOOL_EXTENDED_PARAMETER;
NTKERNELAPI PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                                  PCPOOL_EXTENDED_PARAMETER ExtendedParameters, ULONG ExtendedParametersCount);

#define DrvRtPoolNxOptIn 0x00000001
NTKERNELAPI void ExInitializeDriverRuntime(ULONG RuntimeFlags);
/* What NonPagedPool means in a POOL_NX_OPTIN build: NonPagedPoolExecute
 * until ExInitializeDriverRuntime(DrvRtPoolNxOptIn) on Windows 8 or later
 * makes it NonPagedPoolNx. */
extern POOL_TYPE ExDefaultNonPagedPoolType;
extern ULONG ExDefaultMdlProtection;
#if defined(POOL_NX_OPTIN) && !(defined(POOL_NX_OPTOUT) && POOL_NX_OPTOUT)
#if POOL_NX_OPTIN
#if defined(POOL_NX_OPTIN_AUTO) && POOL_NX_OPTIN_AUTO
#define NonPagedPool NonPagedPoolNx
#define NonPagedPoolCacheAligned NonPagedPoolNxCacheAligned
#else
#define NonPagedPool ExDefaultNonPagedPoolType
#define NonPagedPoolCacheAligned ((POOL_TYPE)(ExDefaultNonPagedPoolType + NonPagedPoolBaseCacheAligned))
#endif
#endif
#endif

/* ------------------------------------------------------------------------
 * Lookaside lists
 * ---------------------------------------------------------------------- */
typedef struct _LOOKASIDE_LIST_EX *PLOOKASIDE_LIST_EX;
typedef PVOID ALLOCATE_FUNCTION(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
typedef ALLOCATE_FUNCTION *PALLOCATE_FUNCTION;
typedef void FREE_FUNCTION(PVOID Buffer);
typedef FREE_FUNCTION *PFREE_FUNCTION;
typedef PVOID ALLOCATE_FUNCTION_EX(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                   PLOOKASIDE_LIST_EX Lookaside);
typedef ALLOCATE_FUNCTION_EX *PALLOCATE_FUNCTION_EX;
typedef void FREE_FUNCTION_EX(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside);
typedef FREE_FUNCTION_EX *PFREE_FUNCTION_EX;

#define LOOKASIDE_MINIMUM_BLOCK_SIZE (RTL_SIZEOF_THROUGH_FIELD(SLIST_ENTRY, Next))
#define RTL_SIZEOF_THROUGH_FIELD(type, field) (FIELD_OFFSET(type, field) + RTL_FIELD_SIZE(type, field))
#define EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL 0x00000001UL
#define EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE 0x00000002UL
#define EX_MAXIMUM_LOOKASIDE_DEPTH_BASE 256
#define EX_MAXIMUM_LOOKASIDE_DEPTH_LIMIT 1024

typedef struct DECLSPEC_CACHEALIGN _GENERAL_LOOKASIDE {
    SLIST_HEADER ListHead;
    USHORT Depth;
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    ULONG AllocateMisses;
    ULONG TotalFrees;
    ULONG FreeMisses;
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    union {
        PALLOCATE_FUNCTION_EX AllocateEx;
        PALLOCATE_FUNCTION Allocate;
    };
    union {
        PFREE_FUNCTION_EX FreeEx;
        PFREE_FUNCTION Free;
    };
    LIST_ENTRY ListEntry;
    ULONG LastTotalAllocates;
    ULONG LastAllocateMisses;
    ULONG Future[2];
} GENERAL_LOOKASIDE, *PGENERAL_LOOKASIDE;

typedef struct _GENERAL_LOOKASIDE_POOL {
    SLIST_HEADER ListHead;
    USHORT Depth;
    USHORT MaximumDepth;
    ULONG TotalAllocates;
    ULONG AllocateMisses;
    ULONG TotalFrees;
    ULONG FreeMisses;
    POOL_TYPE Type;
    ULONG Tag;
    ULONG Size;
    union {
        PALLOCATE_FUNCTION_EX AllocateEx;
        PALLOCATE_FUNCTION Allocate;
    };
    union {
        PFREE_FUNCTION_EX FreeEx;
        PFREE_FUNCTION Free;
    };
    LIST_ENTRY ListEntry;
    ULONG LastTotalAllocates;
    ULONG LastAllocateMisses;
    ULONG Future[2];
} GENERAL_LOOKASIDE_POOL, *PGENERAL_LOOKASIDE_POOL;

typedef struct DECLSPEC_CACHEALIGN _NPAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
    KSPIN_LOCK Lock__ObsoleteButDoNotDelete;
} NPAGED_LOOKASIDE_LIST, *PNPAGED_LOOKASIDE_LIST;

typedef struct DECLSPEC_CACHEALIGN _PAGED_LOOKASIDE_LIST {
    GENERAL_LOOKASIDE L;
    ULONG_PTR Lock__ObsoleteButDoNotDelete[4];
} PAGED_LOOKASIDE_LIST, *PPAGED_LOOKASIDE_LIST;

typedef struct _LOOKASIDE_LIST_EX {
    GENERAL_LOOKASIDE_POOL L;
} LOOKASIDE_LIST_EX;

NTKERNELAPI void ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                                 PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                                 USHORT Depth);
NTKERNELAPI void ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI void ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
NTKERNELAPI void ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                                PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag,
                                                USHORT Depth);
NTKERNELAPI void ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside);
NTKERNELAPI void ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry);
NTKERNELAPI NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                                 PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags,
                                                 SIZE_T Size, ULONG Tag, USHORT Depth);
NTKERNELAPI void ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);
NTKERNELAPI void ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry);
NTKERNELAPI void ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside);

/* ------------------------------------------------------------------------
 * Memory descriptor lists
 * ---------------------------------------------------------------------- */
typedef struct _EPROCESS *PEPROCESS;
typedef struct _KPROCESS *PKPROCESS;

typedef struct _MDL {
    struct _MDL *Next;
    CSHORT Size;
    CSHORT MdlFlags;
    struct _EPROCESS *Process;
    PVOID MappedSystemVa;
    PVOID StartVa;
    ULONG ByteCount;
    ULONG ByteOffset;
} MDL, *PMDL;
typedef MDL *PMDLX;

C_ASSERT(FIELD_OFFSET(MDL, Next) == 0x00);
C_ASSERT(FIELD_OFFSET(MDL, Size) == 0x08);
C_ASSERT(FIELD_OFFSET(MDL, MdlFlags) == 0x0A);
C_ASSERT(FIELD_OFFSET(MDL, Process) == 0x10);
C_ASSERT(FIELD_OFFSET(MDL, MappedSystemVa) == 0x18);
C_ASSERT(FIELD_OFFSET(MDL, StartVa) == 0x20);
C_ASSERT(FIELD_OFFSET(MDL, ByteCount) == 0x28);
C_ASSERT(FIELD_OFFSET(MDL, ByteOffset) == 0x2C);
C_ASSERT(sizeof(MDL) == 0x30);
C_ASSERT(sizeof(PFN_NUMBER) == 8);

#define MDL_MAPPED_TO_SYSTEM_VA 0x0001
#define MDL_PAGES_LOCKED 0x0002
#define MDL_SOURCE_IS_NONPAGED_POOL 0x0004
#define MDL_ALLOCATED_FIXED_SIZE 0x0008
#define MDL_PARTIAL 0x0010
#define MDL_PARTIAL_HAS_BEEN_MAPPED 0x0020
#define MDL_IO_PAGE_READ 0x0040
#define MDL_WRITE_OPERATION 0x0080
#define MDL_LOCKED_PAGE_TABLES 0x0100
#define MDL_PARENT_MAPPED_SYSTEM_VA MDL_LOCKED_PAGE_TABLES
#define MDL_FREE_EXTRA_PTES 0x0200
#define MDL_DESCRIBES_AWE 0x0400
#define MDL_IO_SPACE 0x0800
#define MDL_NETWORK_HEADER 0x1000
#define MDL_MAPPING_CAN_FAIL 0x2000
#define MDL_PAGE_CONTENTS_INVARIANT 0x4000
#define MDL_ALLOCATED_MUST_SUCCEED MDL_PAGE_CONTENTS_INVARIANT
#define MDL_INTERNAL 0x8000
/* MDL_SYSTEM_VA is referenced by MDL_MAPPING_FLAGS but never defined by the
 * WDK; mdlkit gives it the old value so the macro compiles. */
#ifndef MDL_SYSTEM_VA
#define MDL_SYSTEM_VA 0x0400
#endif
#define MDL_MAPPING_FLAGS                                                                          \
    (MDL_MAPPED_TO_SYSTEM_VA | MDL_PAGES_LOCKED | MDL_SOURCE_IS_NONPAGED_POOL |                   \
     MDL_PARTIAL_HAS_BEEN_MAPPED | MDL_PARENT_MAPPED_SYSTEM_VA | MDL_SYSTEM_VA | MDL_IO_SPACE)

typedef enum _LOCK_OPERATION { IoReadAccess = 0, IoWriteAccess = 1, IoModifyAccess = 2 } LOCK_OPERATION;

typedef enum _MEMORY_CACHING_TYPE {
    MmNotMapped = -1,
    MmNonCached = 0,
    MmCached = 1,
    MmWriteCombined = 2,
    MmFrameBufferCached = 2,
    MmHardwareCoherentCached = 3,
    MmNonCachedUnordered = 4,
    MmUSWCCached = 5,
    MmMaximumCacheType = 6
} MEMORY_CACHING_TYPE;

typedef enum _MM_PAGE_PRIORITY {
    LowPagePriority = 0,
    NormalPagePriority = 16,
    HighPagePriority = 32
} MM_PAGE_PRIORITY;

#define MdlMappingNoWrite 0x80000000UL
#define MdlMappingNoExecute 0x40000000UL
#define MdlMappingWithGuardPtes 0x20000000UL

#define MM_DONT_ZERO_ALLOCATION 0x00000001UL
#define MM_ALLOCATE_FROM_LOCAL_NODE_ONLY 0x00000002UL
#define MM_ALLOCATE_FULLY_REQUIRED 0x00000004UL
#define MM_ALLOCATE_NO_WAIT 0x00000008UL
#define MM_ALLOCATE_PREFER_CONTIGUOUS 0x00000010UL
#define MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS 0x00000020UL
#define MM_ALLOCATE_FAST_LARGE_PAGES 0x00000040UL
#define MM_ALLOCATE_TRIM_IF_NECESSARY 0x00000080UL
#define MM_ALLOCATE_AND_HOT_REMOVE 0x00000100UL
#define MM_FREE_MDL_PAGES_ZERO 0x00000001UL
#define MM_ANY_NODE_OK 0x80000000UL

/* Integer arithmetic: StartVa is NULL for MmAllocatePagesForMdl MDLs, and
 * NULL + offset is undefined behaviour in C (UBSan reports it). */
#define MmGetMdlVirtualAddress(Mdl) ((PVOID)((ULONG_PTR)((Mdl)->StartVa) + (Mdl)->ByteOffset))
#define MmGetMdlByteCount(Mdl) ((Mdl)->ByteCount)
#define MmGetMdlByteOffset(Mdl) ((Mdl)->ByteOffset)
#define MmGetMdlBaseVa(Mdl) ((Mdl)->StartVa)
#define MmGetMdlPfnArray(Mdl) ((PPFN_NUMBER)((Mdl) + 1))

NTKERNELAPI PMDL MmCreateMdl(PMDL MemoryDescriptorList, PVOID Base, SIZE_T Length);
NTKERNELAPI SIZE_T MmSizeOfMdl(PVOID Base, SIZE_T Length);
NTKERNELAPI void MmBuildMdlForNonPagedPool(PMDL MemoryDescriptorList);
NTKERNELAPI void MmProbeAndLockPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                     LOCK_OPERATION Operation);
NTKERNELAPI void MmUnlockPages(PMDL MemoryDescriptorList);
NTKERNELAPI PVOID MmMapLockedPages(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode);
NTKERNELAPI PVOID MmMapLockedPagesSpecifyCache(PMDL MemoryDescriptorList, KPROCESSOR_MODE AccessMode,
                                               MEMORY_CACHING_TYPE CacheType, PVOID RequestedAddress,
                                               ULONG BugCheckOnFailure, ULONG Priority);
NTKERNELAPI void MmUnmapLockedPages(PVOID BaseAddress, PMDL MemoryDescriptorList);
NTKERNELAPI PMDL MmAllocatePagesForMdl(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                                       PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes);
NTKERNELAPI PMDL MmAllocatePagesForMdlEx(PHYSICAL_ADDRESS LowAddress, PHYSICAL_ADDRESS HighAddress,
                                         PHYSICAL_ADDRESS SkipBytes, SIZE_T TotalBytes,
                                         MEMORY_CACHING_TYPE CacheType, ULONG Flags);
NTKERNELAPI void MmFreePagesFromMdl(PMDL MemoryDescriptorList);
NTKERNELAPI void MmFreePagesFromMdlEx(PMDL MemoryDescriptorList, ULONG Flags);

NTKERNELAPI PVOID MmAllocateContiguousMemory(SIZE_T NumberOfBytes, PHYSICAL_ADDRESS HighestAcceptableAddress);
NTKERNELAPI PVOID MmAllocateContiguousMemorySpecifyCache(SIZE_T NumberOfBytes,
                                                         PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                         PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                         PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                         MEMORY_CACHING_TYPE CacheType);
NTKERNELAPI PVOID MmAllocateContiguousMemorySpecifyCacheNode(SIZE_T NumberOfBytes,
                                                             PHYSICAL_ADDRESS LowestAcceptableAddress,
                                                             PHYSICAL_ADDRESS HighestAcceptableAddress,
                                                             PHYSICAL_ADDRESS BoundaryAddressMultiple,
                                                             MEMORY_CACHING_TYPE CacheType,
                                                             NODE_REQUIREMENT PreferredNode);
NTKERNELAPI void MmFreeContiguousMemory(PVOID BaseAddress);
NTKERNELAPI void MmFreeContiguousMemorySpecifyCache(PVOID BaseAddress, SIZE_T NumberOfBytes,
                                                    MEMORY_CACHING_TYPE CacheType);

MDLKIT_FORCEINLINE void MmInitializeMdl(PMDL MemoryDescriptorList, PVOID BaseVa, SIZE_T Length)
{
    MemoryDescriptorList->Next = NULL;
    MemoryDescriptorList->Size =
        (CSHORT)(sizeof(MDL) + sizeof(PFN_NUMBER) * ADDRESS_AND_SIZE_TO_SPAN_PAGES(BaseVa, Length));
    MemoryDescriptorList->MdlFlags = 0;
    MemoryDescriptorList->StartVa = PAGE_ALIGN(BaseVa);
    MemoryDescriptorList->ByteOffset = BYTE_OFFSET(BaseVa);
    MemoryDescriptorList->ByteCount = (ULONG)Length;
}

MDLKIT_FORCEINLINE PVOID MmGetSystemAddressForMdlSafe(PMDL Mdl, ULONG Priority)
{
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, Priority);
}

MDLKIT_FORCEINLINE PVOID MmGetSystemAddressForMdl(PMDL Mdl)
{
    if (Mdl->MdlFlags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL))
        return Mdl->MappedSystemVa;
    return MmMapLockedPages(Mdl, KernelMode);
}

void mdlkit_mdl_reuse_check(PMDL Mdl); /* reports a mapped non-partial MDL */
MDLKIT_FORCEINLINE void MmPrepareMdlForReuse(PMDL Mdl)
{
    if (Mdl->MdlFlags & MDL_PARTIAL_HAS_BEEN_MAPPED) {
        ASSERT((Mdl->MdlFlags & MDL_PARTIAL) != 0);
        MmUnmapLockedPages(Mdl->MappedSystemVa, Mdl);
    } else if ((Mdl->MdlFlags & MDL_PARTIAL) == 0) {
        mdlkit_mdl_reuse_check(Mdl);
        return;
    }
    mdlkit_mdl_reuse_check(Mdl); /* a partial MDL: noted as prepared (mdlkit's lint) */
}

#include "mkwdk/ke.h"

#include <devioctl.h>
#include "mkwdk/io.h"

NTKERNELAPI PEPROCESS PsGetCurrentProcess(void);
#define IoGetCurrentProcess() PsGetCurrentProcess()

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_WDM_H */
