/*
 * queuedlock.c -- in-stack queued spin locks and the DPC forms of spin
 * locks: KeAcquireInStackQueuedSpinLock, KeReleaseInStackQueuedSpinLock,
 * KeAcquireInStackQueuedSpinLockAtDpcLevel,
 * KeReleaseInStackQueuedSpinLockFromDpcLevel,
 * KeAcquireInStackQueuedSpinLockForDpc, KeReleaseInStackQueuedSpinLockForDpc,
 * KeTryToAcquireSpinLockAtDpcLevel, KeAcquireSpinLockForDpc,
 * KeReleaseSpinLockForDpc.
 *
 * They share the KSPIN_LOCK word and every check of spinlock.c (a queued
 * acquire of a lock held by an ordinary acquire waits for it, as on
 * Windows): the lock handle records the lock and the IRQL to go back to.
 *
 * Misuse (docs/ddi-notes.md, "Kernel basics"): as spinlock.c; a release
 * through a lock handle that holds no lock (never acquired, or released
 * twice): 0x10 SPIN_LOCK_NOT_OWNED (handle, 0, 0, 0).
 */
#include "mk_machine.h"
#include "mk_ke.h"

#define SPIN_LOCK_NOT_OWNED_CODE 0x10

static inline PKSPIN_LOCK ql_take(PKLOCK_QUEUE_HANDLE h)
{
    PKSPIN_LOCK l = h->LockQueue.Lock;
    if (!l)
        mk_bugcheck(SPIN_LOCK_NOT_OWNED_CODE, (ULONG_PTR)h, 0, 0, 0);
    h->LockQueue.Lock = NULL;
    return l;
}

void KeAcquireInStackQueuedSpinLock(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeAcquireInStackQueuedSpinLock");
    LockHandle->LockQueue.Next = NULL;
    LockHandle->OldIrql = KeAcquireSpinLockRaiseToDpc(SpinLock);
    LockHandle->LockQueue.Lock = SpinLock;
}

void KeReleaseInStackQueuedSpinLock(PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeReleaseInStackQueuedSpinLock");
    MK_OBJ_FAULT(LockHandle);
    KeReleaseSpinLock(ql_take(LockHandle), LockHandle->OldIrql);
}

void KeAcquireInStackQueuedSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeAcquireInStackQueuedSpinLockAtDpcLevel");
    MK_OBJ_FAULT(LockHandle);
    LockHandle->LockQueue.Next = NULL;
    KeAcquireSpinLockAtDpcLevel(SpinLock);
    LockHandle->OldIrql = DISPATCH_LEVEL;
    LockHandle->LockQueue.Lock = SpinLock;
}

void KeReleaseInStackQueuedSpinLockFromDpcLevel(PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeReleaseInStackQueuedSpinLockFromDpcLevel");
    MK_OBJ_FAULT(LockHandle);
    KeReleaseSpinLockFromDpcLevel(ql_take(LockHandle));
}

KIRQL KeAcquireSpinLockForDpc(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeAcquireSpinLockForDpc");
    mk_thread_attach();
    if (mk_self.irql == DISPATCH_LEVEL) {
        KeAcquireSpinLockAtDpcLevel(SpinLock);
        return DISPATCH_LEVEL;
    }
    return KeAcquireSpinLockRaiseToDpc(SpinLock);
}

void KeReleaseSpinLockForDpc(PKSPIN_LOCK SpinLock, KIRQL OldIrql)
{
    MK_ENTER("KeReleaseSpinLockForDpc");
    if (OldIrql == DISPATCH_LEVEL)
        KeReleaseSpinLockFromDpcLevel(SpinLock);
    else
        KeReleaseSpinLock(SpinLock, OldIrql);
}

void KeAcquireInStackQueuedSpinLockForDpc(PKSPIN_LOCK SpinLock, PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeAcquireInStackQueuedSpinLockForDpc");
    MK_OBJ_FAULT(LockHandle);
    LockHandle->LockQueue.Next = NULL;
    LockHandle->OldIrql = KeAcquireSpinLockForDpc(SpinLock);
    LockHandle->LockQueue.Lock = SpinLock;
}

void KeReleaseInStackQueuedSpinLockForDpc(PKLOCK_QUEUE_HANDLE LockHandle)
{
    MK_ENTER("KeReleaseInStackQueuedSpinLockForDpc");
    MK_OBJ_FAULT(LockHandle);
    PKSPIN_LOCK l = ql_take(LockHandle);
    KeReleaseSpinLockForDpc(l, LockHandle->OldIrql);
}

BOOLEAN KeTryToAcquireSpinLockAtDpcLevel(PKSPIN_LOCK SpinLock)
{
    MK_ENTER("KeTryToAcquireSpinLockAtDpcLevel");
    mk_thread_attach();
    if (mk_self.irql < DISPATCH_LEVEL)
        /* as KeAcquireSpinLockAtDpcLevel below DISPATCH_LEVEL: 0xC4/0x40 */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x40, mk_self.irql, (ULONG_PTR)SpinLock, 0);
    ULONG_PTR expected = 0;
    if (!__atomic_compare_exchange_n(SpinLock, &expected, (ULONG_PTR)&mk_self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return FALSE;
    mk_self.spinlocks_held++;
    return TRUE;
}
