/*
 * ndislock.c -- NDIS locks: spin locks (NdisAllocateSpinLock ...
 * NdisDprReleaseSpinLock, on the kernel's spin locks), the NDIS 6.20
 * read/write locks (NdisAllocateRWLock, NdisAcquireRWLockRead/Write,
 * NdisReleaseRWLock, NdisFreeRWLock), the NDIS 5 read/write lock
 * (NdisInitializeReadWriteLock, NdisAcquire/ReleaseReadWriteLock), the
 * interlocked list helpers and NDIS_EVENT (NdisInitializeEvent, NdisSetEvent,
 * NdisResetEvent, NdisWaitEvent).
 *
 * The read/write locks raise to DISPATCH_LEVEL (unless the caller says it
 * is there already with NDIS_RWL_AT_DISPATCH_LEVEL, which is checked) and
 * spin like the kernel's spin locks; a reader may acquire again while it
 * holds the lock for read, as NDIS allows.
 */
#include "mk_machine.h"
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_pool.h"
#include "mk_port.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void lk_irql_le_dispatch(const char *why, const void *p)
{
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, why, mk_irql(), (ULONG_PTR)p);
}

/* ------------------------------------------------------------------------
 * Spin locks
 * ---------------------------------------------------------------------- */
void NdisAllocateSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    KeInitializeSpinLock(&SpinLock->SpinLock);
    SpinLock->OldIrql = PASSIVE_LEVEL;
}

void NdisFreeSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    (void)SpinLock; /* nothing to free: the lock lives in the caller's memory */
}

void NdisAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    KIRQL old;
    KeAcquireSpinLock(&SpinLock->SpinLock, &old);
    SpinLock->OldIrql = old;
}

void NdisReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    KeReleaseSpinLock(&SpinLock->SpinLock, SpinLock->OldIrql);
}

void NdisDprAcquireSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    KeAcquireSpinLockAtDpcLevel(&SpinLock->SpinLock);
}

void NdisDprReleaseSpinLock(PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(SpinLock);
    KeReleaseSpinLockFromDpcLevel(&SpinLock->SpinLock);
}

PLIST_ENTRY NdisInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(ListHead);
    NdisAcquireSpinLock(SpinLock);
    PLIST_ENTRY first = IsListEmpty(ListHead) ? NULL : ListHead->Flink;
    InsertHeadList(ListHead, ListEntry);
    NdisReleaseSpinLock(SpinLock);
    return first;
}

PLIST_ENTRY NdisInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(ListHead);
    NdisAcquireSpinLock(SpinLock);
    PLIST_ENTRY first = IsListEmpty(ListHead) ? NULL : ListHead->Flink;
    InsertTailList(ListHead, ListEntry);
    NdisReleaseSpinLock(SpinLock);
    return first;
}

PLIST_ENTRY NdisInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PNDIS_SPIN_LOCK SpinLock)
{
    MK_OBJ_FAULT(ListHead);
    NdisAcquireSpinLock(SpinLock);
    PLIST_ENTRY e = IsListEmpty(ListHead) ? NULL : RemoveHeadList(ListHead);
    NdisReleaseSpinLock(SpinLock);
    return e;
}

/* ------------------------------------------------------------------------
 * NDIS 6.20 read/write locks
 * ---------------------------------------------------------------------- */
#define RW_MAGIC 0x4B4C5752u /* "RWLK" */
#define RW_WRITER 0x40000000

struct _NDIS_RW_LOCK_EX {
    ULONG magic;
    _Atomic LONG state;       /* readers, or RW_WRITER */
    NDIS_HANDLE owner;
    ULONG tag;
};

PNDIS_RW_LOCK_EX NdisAllocateRWLock(NDIS_HANDLE NdisHandle)
{
    MK_ENTER("NdisAllocateRWLock");
    lk_irql_le_dispatch("NdisAllocateRWLock must be called at IRQL <= DISPATCH_LEVEL", NdisHandle);
    if (!mk_ndis_is_object_handle(NdisHandle))
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, "NdisAllocateRWLock: NdisHandle is not a handle NDIS gave this driver",
                     (ULONG_PTR)NdisHandle, 0);
    mk_port_begin();
    PNDIS_RW_LOCK_EX l = mk_ex_allocate(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool, sizeof *l,
                                        'kLwR', NormalPoolPriority, 1, __builtin_return_address(0));
    mk_port_end();
    if (!l)
        return NULL;
    l->magic = RW_MAGIC;
    l->owner = NdisHandle;
    return l;
}

static void rw_check(PNDIS_RW_LOCK_EX l, const char *why)
{
    if (!l || l->magic != RW_MAGIC)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, why, (ULONG_PTR)l, MK_NDIS_RWLOCK);
}

void NdisFreeRWLock(PNDIS_RW_LOCK_EX Lock)
{
    MK_ENTER("NdisFreeRWLock");
    MK_OBJ_FAULT(Lock);
    lk_irql_le_dispatch("NdisFreeRWLock must be called at IRQL <= DISPATCH_LEVEL", Lock);
    rw_check(Lock, "NdisFreeRWLock: not a lock from NdisAllocateRWLock (or freed twice)");
    if (atomic_load(&Lock->state))
        mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisFreeRWLock: the lock is held", (ULONG_PTR)Lock,
                     (ULONG_PTR)atomic_load(&Lock->state));
    Lock->magic = 0;
    mk_port_begin();
    mk_ex_free(Lock, 'kLwR', __builtin_return_address(0));
    mk_port_end();
}

static void rw_enter(PLOCK_STATE_EX LockState, UCHAR Flags, const void *l)
{
    if (Flags & NDIS_RWL_AT_DISPATCH_LEVEL) {
        if (mk_irql() != DISPATCH_LEVEL)
            mk_violation(MDLKIT_RULE_NDIS_DISPATCH_FLAG,
                         "NdisAcquireRWLockRead/Write: NDIS_RWL_AT_DISPATCH_LEVEL given while the IRQL is not "
                         "DISPATCH_LEVEL",
                         mk_irql(), Flags);
        LockState->OldIrql = DISPATCH_LEVEL;
    } else {
        lk_irql_le_dispatch("NdisAcquireRWLockRead/Write must be called at IRQL <= DISPATCH_LEVEL", l);
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        LockState->OldIrql = old;
    }
    LockState->Flags = Flags;
}

void NdisAcquireRWLockRead(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags)
{
    MK_OBJ_FAULT(Lock);
    rw_check(Lock, "NdisAcquireRWLockRead: not a lock from NdisAllocateRWLock");
    rw_enter(LockState, Flags, Lock);
    for (;;) {
        LONG s = atomic_load(&Lock->state);
        if (!(s & RW_WRITER) && atomic_compare_exchange_weak(&Lock->state, &s, s + 1))
            break;
        sched_yield();
    }
    LockState->LockState = 1; /* read */
}

void NdisAcquireRWLockWrite(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState, UCHAR Flags)
{
    MK_OBJ_FAULT(Lock);
    rw_check(Lock, "NdisAcquireRWLockWrite: not a lock from NdisAllocateRWLock");
    rw_enter(LockState, Flags, Lock);
    for (;;) {
        LONG s = 0;
        if (atomic_compare_exchange_weak(&Lock->state, &s, RW_WRITER))
            break;
        sched_yield();
    }
    LockState->LockState = 2; /* write */
}

void NdisReleaseRWLock(PNDIS_RW_LOCK_EX Lock, PLOCK_STATE_EX LockState)
{
    MK_OBJ_FAULT(Lock);
    rw_check(Lock, "NdisReleaseRWLock: not a lock from NdisAllocateRWLock");
    if (LockState->LockState == 2) {
        if (atomic_load(&Lock->state) != RW_WRITER)
            mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisReleaseRWLock: the lock is not held for write", (ULONG_PTR)Lock,
                         (ULONG_PTR)LockState);
        atomic_store(&Lock->state, 0);
    } else if (LockState->LockState == 1) {
        LONG s = atomic_load(&Lock->state);
        if (s <= 0 || (s & RW_WRITER))
            mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisReleaseRWLock: the lock is not held for read", (ULONG_PTR)Lock,
                         (ULONG_PTR)LockState);
        atomic_fetch_sub(&Lock->state, 1);
    } else {
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisReleaseRWLock: the LOCK_STATE_EX was not filled by NdisAcquireRWLockRead/Write (or was "
                     "released already)",
                     (ULONG_PTR)Lock, (ULONG_PTR)LockState);
    }
    LockState->LockState = 0;
    if (!(LockState->Flags & NDIS_RWL_AT_DISPATCH_LEVEL))
        KeLowerIrql(LockState->OldIrql);
}

/* ------------------------------------------------------------------------
 * NDIS 5 read/write lock: the state lives in the caller's NDIS_RW_LOCK
 * (SharedRefCount readers; SpinLock non-zero while a writer holds it).
 * ---------------------------------------------------------------------- */
void NdisInitializeReadWriteLock(PNDIS_RW_LOCK Lock)
{
    MK_OBJ_FAULT(Lock);
    memset(Lock, 0, sizeof *Lock);
}

/* The DPC watchdog of an NDIS_RW_LOCK wait (as KeAcquireSpinLock's,
 * src/ke/spinlock.c): 0x133 after 60 s, 3 s under DDI compliance or when
 * the lock's words hold what no acquire leaves there (never initialised or
 * overwritten: nobody will release it). */
static void lk_rw_watchdog(PNDIS_RW_LOCK Lock, long long *start, unsigned *spins)
{
    if ((++*spins & 255) != 0)
        return;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long long now = (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
    if (!*start) {
        *start = now;
        return;
    }
    bool garbage = __atomic_load_n(&Lock->SpinLock, __ATOMIC_RELAXED) > 1 ||
                   __atomic_load_n(&Lock->SharedRefCount, __ATOMIC_RELAXED) > 0x10000;
    long long bound = (mk_rt.verifier & MDLKIT_VERIFY_DDI_COMPLIANCE) || garbage ? 3000000000LL : 60000000000LL;
    if (now - *start > bound)
        mk_bugcheck(DPC_WATCHDOG_VIOLATION, 0, (ULONG_PTR)((now - *start) / 15625000LL),
                    (ULONG_PTR)(bound / 15625000LL), 0);
}

void NdisAcquireReadWriteLock(PNDIS_RW_LOCK Lock, BOOLEAN fWrite, PLOCK_STATE LockState)
{
    long long wd_start = 0;
    unsigned wd_spins = 0;
    MK_OBJ_FAULT(Lock);
    lk_irql_le_dispatch("NdisAcquireReadWriteLock must be called at IRQL <= DISPATCH_LEVEL", Lock);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    LockState->OldIrql = old;
    volatile ULONG *readers = &Lock->SharedRefCount;
    volatile KSPIN_LOCK *writer = &Lock->SpinLock;
    if (fWrite) {
        for (;;) {
            KSPIN_LOCK zero = 0;
            if (__atomic_compare_exchange_n(writer, &zero, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
                while (__atomic_load_n(readers, __ATOMIC_ACQUIRE)) {
                    lk_rw_watchdog(Lock, &wd_start, &wd_spins);
                    sched_yield();
                }
                break;
            }
            lk_rw_watchdog(Lock, &wd_start, &wd_spins);
            sched_yield();
        }
        LockState->LockState = 2;
    } else {
        for (;;) {
            __atomic_add_fetch(readers, 1, __ATOMIC_ACQUIRE);
            if (!__atomic_load_n(writer, __ATOMIC_ACQUIRE))
                break;
            __atomic_sub_fetch(readers, 1, __ATOMIC_RELEASE);
            while (__atomic_load_n(writer, __ATOMIC_ACQUIRE)) {
                lk_rw_watchdog(Lock, &wd_start, &wd_spins);
                sched_yield();
            }
        }
        LockState->LockState = 1;
    }
}

void NdisReleaseReadWriteLock(PNDIS_RW_LOCK Lock, PLOCK_STATE LockState)
{
    MK_OBJ_FAULT(Lock);
    if (LockState->LockState == 2)
        __atomic_store_n(&Lock->SpinLock, 0, __ATOMIC_RELEASE);
    else if (LockState->LockState == 1)
        __atomic_sub_fetch(&Lock->SharedRefCount, 1, __ATOMIC_RELEASE);
    else
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisReleaseReadWriteLock: the LOCK_STATE was not filled by NdisAcquireReadWriteLock (or was "
                     "released already)",
                     (ULONG_PTR)Lock, (ULONG_PTR)LockState);
    LockState->LockState = 0;
    KeLowerIrql(LockState->OldIrql);
}

/* ------------------------------------------------------------------------
 * NDIS_EVENT: a notification event (KEVENT) that stays signalled until
 * NdisResetEvent. Irql_Miscellaneous_Function: NdisInitializeEvent and
 * NdisWaitEvent at PASSIVE_LEVEL, NdisSetEvent / NdisResetEvent at
 * IRQL <= DISPATCH_LEVEL.
 * ---------------------------------------------------------------------- */
static void lk_passive(const char *why, const void *p)
{
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, why, mk_irql(), (ULONG_PTR)p);
}

void NdisInitializeEvent(PNDIS_EVENT Event)
{
    MK_ENTER("NdisInitializeEvent");
    lk_passive("NdisInitializeEvent must be called at PASSIVE_LEVEL", Event);
    MK_OBJ_FAULT(Event);
    KeInitializeEvent(&Event->Event, NotificationEvent, FALSE);
}

void NdisSetEvent(PNDIS_EVENT Event)
{
    MK_ENTER("NdisSetEvent");
    lk_irql_le_dispatch("NdisSetEvent must be called at IRQL <= DISPATCH_LEVEL", Event);
    MK_OBJ_FAULT(Event);
    KeSetEvent(&Event->Event, IO_NO_INCREMENT, FALSE);
}

void NdisResetEvent(PNDIS_EVENT Event)
{
    MK_ENTER("NdisResetEvent");
    lk_irql_le_dispatch("NdisResetEvent must be called at IRQL <= DISPATCH_LEVEL", Event);
    MK_OBJ_FAULT(Event);
    KeClearEvent(&Event->Event);
}

BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait)
{
    MK_ENTER("NdisWaitEvent");
    lk_passive("NdisWaitEvent must be called at PASSIVE_LEVEL", Event);
    MK_OBJ_FAULT(Event);
    LARGE_INTEGER timeout;
    timeout.QuadPart = -(LONGLONG)MsToWait * 10000; /* relative, 100 ns units */
    NTSTATUS st = KeWaitForSingleObject(&Event->Event, Executive, KernelMode, FALSE, MsToWait ? &timeout : NULL);
    return st == STATUS_SUCCESS;
}
