/*
 * slist.c -- sequenced singly linked lists: InitializeSListHead,
 * InterlockedPushEntrySList, InterlockedPopEntrySList,
 * InterlockedFlushSList, InterlockedPushListSListEx, ExQueryDepthSList
 * (the ExInterlocked*SList forms are macros over these).
 *
 * The header holds the first entry and the depth (SLIST_HEADER.mdlkit).
 * Every operation is atomic with respect to the others on the same header:
 * a short spin lock chosen by the header's address serialises them, so
 * they are correct under any number of threads and callable at any IRQL,
 * as documented. Headers and entries must be 16-byte aligned
 * (MEMORY_ALLOCATION_ALIGNMENT); one that is not raises
 * STATUS_DATATYPE_MISALIGNMENT (docs/ddi-notes.md "Lists").
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <stdatomic.h>

#define SL_LOCKS 64
static atomic_flag sl_locks[SL_LOCKS];

static atomic_flag *sl_lock_of(const void *head)
{
    return &sl_locks[((uintptr_t)head >> 4) % SL_LOCKS];
}

static void sl_lock(atomic_flag *l)
{
    while (atomic_flag_test_and_set_explicit(l, memory_order_acquire)) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
    }
}

static void sl_unlock(atomic_flag *l) { atomic_flag_clear_explicit(l, memory_order_release); }

static void sl_aligned(const void *p)
{
    if (MK_UNLIKELY(((uintptr_t)p & 15) != 0))
        mk_raise(STATUS_DATATYPE_MISALIGNMENT);
}

void InitializeSListHead(PSLIST_HEADER SListHead)
{
    MK_OBJ_FAULT(SListHead);
    sl_aligned(SListHead);
    atomic_flag *l = sl_lock_of(SListHead);
    sl_lock(l);
    SListHead->mdlkit.Next = NULL;
    SListHead->mdlkit.Depth = 0;
    sl_unlock(l);
}

PSLIST_ENTRY InterlockedPushEntrySList(PSLIST_HEADER ListHead, PSLIST_ENTRY ListEntry)
{
    MK_OBJ_FAULT(ListHead);
    sl_aligned(ListHead);
    sl_aligned(ListEntry);
    atomic_flag *l = sl_lock_of(ListHead);
    sl_lock(l);
    PSLIST_ENTRY first = ListHead->mdlkit.Next;
    ListEntry->Next = first;
    ListHead->mdlkit.Next = ListEntry;
    ListHead->mdlkit.Depth++;
    sl_unlock(l);
    return first;
}

PSLIST_ENTRY InterlockedPushListSListEx(PSLIST_HEADER ListHead, PSLIST_ENTRY List, PSLIST_ENTRY ListEnd, ULONG Count)
{
    MK_OBJ_FAULT(ListHead);
    sl_aligned(ListHead);
    sl_aligned(List);
    sl_aligned(ListEnd);
    atomic_flag *l = sl_lock_of(ListHead);
    sl_lock(l);
    PSLIST_ENTRY first = ListHead->mdlkit.Next;
    ListEnd->Next = first;
    ListHead->mdlkit.Next = List;
    ListHead->mdlkit.Depth += Count;
    sl_unlock(l);
    return first;
}

PSLIST_ENTRY InterlockedPopEntrySList(PSLIST_HEADER ListHead)
{
    MK_OBJ_FAULT(ListHead);
    sl_aligned(ListHead);
    atomic_flag *l = sl_lock_of(ListHead);
    sl_lock(l);
    PSLIST_ENTRY first = ListHead->mdlkit.Next;
    if (first) {
        ListHead->mdlkit.Next = first->Next;
        ListHead->mdlkit.Depth--;
    }
    sl_unlock(l);
    return first;
}

PSLIST_ENTRY InterlockedFlushSList(PSLIST_HEADER ListHead)
{
    MK_OBJ_FAULT(ListHead);
    sl_aligned(ListHead);
    atomic_flag *l = sl_lock_of(ListHead);
    sl_lock(l);
    PSLIST_ENTRY first = ListHead->mdlkit.Next;
    ListHead->mdlkit.Next = NULL;
    ListHead->mdlkit.Depth = 0;
    sl_unlock(l);
    return first;
}

USHORT ExQueryDepthSList(PSLIST_HEADER SListHead)
{
    MK_OBJ_FAULT(SListHead);
    sl_aligned(SListHead);
    atomic_flag *l = sl_lock_of(SListHead);
    sl_lock(l);
    USHORT d = (USHORT)SListHead->mdlkit.Depth;
    sl_unlock(l);
    return d;
}
