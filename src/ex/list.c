/*
 * list.c -- the executive's spin-lock protected list and counter routines:
 * ExInterlockedInsertHeadList, ExInterlockedInsertTailList,
 * ExInterlockedRemoveHeadList, ExInterlockedPushEntryList,
 * ExInterlockedPopEntryList, ExInterlockedAddUlong,
 * ExInterlockedAddLargeInteger.
 *
 * Each holds the caller's spin lock for the operation with interrupts
 * "disabled": the thread is raised to HIGH_LEVEL around it (so the routines
 * are callable at any IRQL, as documented, and the lock is real mutual
 * exclusion with every other user of it, including KeAcquireSpinLock
 * callers). The list entries must be resident (non-paged), as documented.
 */
#include "mk_machine.h"
#include "mk_base.h"

static KIRQL ex_lock(PKSPIN_LOCK Lock)
{
    KIRQL old = KeGetCurrentIrql();
    if (old < HIGH_LEVEL)
        old = KfRaiseIrql(HIGH_LEVEL);
    KeAcquireSpinLockAtDpcLevel(Lock);
    return old;
}

static void ex_unlock(PKSPIN_LOCK Lock, KIRQL old)
{
    KeReleaseSpinLockFromDpcLevel(Lock);
    if (old < HIGH_LEVEL)
        KeLowerIrql(old);
}

PLIST_ENTRY ExInterlockedInsertHeadList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedInsertHeadList");
    MK_OBJ_FAULT(ListHead);
    KIRQL old = ex_lock(Lock);
    PLIST_ENTRY first = ListHead->Flink;
    InsertHeadList(ListHead, ListEntry);
    ex_unlock(Lock, old);
    return first == ListHead ? NULL : first;
}

PLIST_ENTRY ExInterlockedInsertTailList(PLIST_ENTRY ListHead, PLIST_ENTRY ListEntry, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedInsertTailList");
    MK_OBJ_FAULT(ListHead);
    KIRQL old = ex_lock(Lock);
    PLIST_ENTRY last = ListHead->Blink;
    InsertTailList(ListHead, ListEntry);
    ex_unlock(Lock, old);
    return last == ListHead ? NULL : last;
}

PLIST_ENTRY ExInterlockedRemoveHeadList(PLIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedRemoveHeadList");
    MK_OBJ_FAULT(ListHead);
    KIRQL old = ex_lock(Lock);
    PLIST_ENTRY e = NULL;
    if (!IsListEmpty(ListHead))
        e = RemoveHeadList(ListHead);
    ex_unlock(Lock, old);
    return e;
}

PSINGLE_LIST_ENTRY ExInterlockedPushEntryList(PSINGLE_LIST_ENTRY ListHead, PSINGLE_LIST_ENTRY ListEntry,
                                              PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedPushEntryList");
    MK_OBJ_FAULT(ListHead);
    KIRQL old = ex_lock(Lock);
    PSINGLE_LIST_ENTRY first = ListHead->Next;
    PushEntryList(ListHead, ListEntry);
    ex_unlock(Lock, old);
    return first;
}

PSINGLE_LIST_ENTRY ExInterlockedPopEntryList(PSINGLE_LIST_ENTRY ListHead, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedPopEntryList");
    MK_OBJ_FAULT(ListHead);
    KIRQL old = ex_lock(Lock);
    PSINGLE_LIST_ENTRY e = PopEntryList(ListHead);
    ex_unlock(Lock, old);
    return e;
}

ULONG ExInterlockedAddUlong(PULONG Addend, ULONG Increment, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedAddUlong");
    KIRQL old = ex_lock(Lock);
    ULONG before = *Addend;
    *Addend = before + Increment;
    ex_unlock(Lock, old);
    return before;
}

LARGE_INTEGER ExInterlockedAddLargeInteger(PLARGE_INTEGER Addend, LARGE_INTEGER Increment, PKSPIN_LOCK Lock)
{
    MK_ENTER("ExInterlockedAddLargeInteger");
    MK_OBJ_FAULT(Addend);
    KIRQL old = ex_lock(Lock);
    LARGE_INTEGER before = *Addend;
    Addend->QuadPart = (LONGLONG)((ULONGLONG)before.QuadPart + (ULONGLONG)Increment.QuadPart);
    ex_unlock(Lock, old);
    return before;
}
