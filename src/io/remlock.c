/*
 * remlock.c -- remove locks: IoInitializeRemoveLockEx, IoAcquireRemoveLockEx,
 * IoReleaseRemoveLockEx, IoReleaseRemoveLockAndWaitEx (the routines behind
 * the documented IoInitializeRemoveLock, IoAcquireRemoveLock,
 * IoReleaseRemoveLock and IoReleaseRemoveLockAndWait macros).
 *
 * The lock is the free-build IO_REMOVE_LOCK: a count biased by one while
 * the lock is not removed, and an event IoReleaseRemoveLockAndWait waits
 * on until the count drops to zero. Every acquisition is also recorded
 * beside the lock with its tag, as the checked build's tracking blocks do,
 * so that a release with a tag that holds nothing, a release of a lock
 * nobody acquired, or a second final wait is reported (0xC4,
 * MDLKIT_RULE_REMOVE_LOCK, see docs/ddi-notes.md) instead of corrupting
 * the count.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct rl_hold {
    PVOID tag;
    ULONG count;
} rl_hold;

typedef struct rl_track {
    PIO_REMOVE_LOCK lock;
    int dead;          /* IoReleaseRemoveLockAndWait returned: the lock is gone */
    rl_hold *holds;
    size_t n, cap;
    struct rl_track *next;
} rl_track;

static pthread_mutex_t rl_mutex = PTHREAD_MUTEX_INITIALIZER;
static rl_track *rl_all;

/* The record of a lock, with rl_mutex held (created when `make`). */
static rl_track *rl_find(PIO_REMOVE_LOCK lock, int make)
{
    for (rl_track *t = rl_all; t; t = t->next)
        if (t->lock == lock)
            return t;
    if (!make)
        return NULL;
    rl_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->lock = lock;
    t->next = rl_all;
    rl_all = t;
    return t;
}

static void rl_size_check(PIO_REMOVE_LOCK lock, ULONG size, const char *routine)
{
    if (!lock)
        mk_violation(0x16, routine, 0, size);
    if (size != sizeof(IO_REMOVE_LOCK))
        mk_violation(MDLKIT_RULE_REMOVE_LOCK, "remove lock: RemlockSize is not sizeof(IO_REMOVE_LOCK)",
                     (ULONG_PTR)lock, size);
}

void IoInitializeRemoveLockEx(PIO_REMOVE_LOCK Lock, ULONG AllocateTag, ULONG MaxLockedMinutes, ULONG HighWatermark,
                              ULONG RemlockSize)
{
    MK_ENTER("IoInitializeRemoveLockEx");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, IoInitializeRemoveLockEx);
    MK_OBJ_FAULT(Lock);
    (void)AllocateTag;
    (void)MaxLockedMinutes;
    (void)HighWatermark;
    rl_size_check(Lock, RemlockSize, "IoInitializeRemoveLock: Lock is not optional");
    memset(Lock, 0, sizeof *Lock);
    Lock->Common.Removed = FALSE;
    Lock->Common.IoCount = 1;
    KeInitializeEvent(&Lock->Common.RemoveEvent, NotificationEvent, FALSE);
    pthread_mutex_lock(&rl_mutex);
    rl_track *t = rl_find(Lock, 1);
    if (t) {
        t->dead = 0;
        t->n = 0;
    }
    pthread_mutex_unlock(&rl_mutex);
}

NTSTATUS IoAcquireRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, PCSTR File, ULONG Line, ULONG RemlockSize)
{
    MK_ENTER("IoAcquireRemoveLockEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAcquireRemoveLockEx);
    MK_OBJ_FAULT(RemoveLock);
    (void)File;
    (void)Line;
    rl_size_check(RemoveLock, RemlockSize, "IoAcquireRemoveLock: RemoveLock is not optional");
    InterlockedIncrement(&RemoveLock->Common.IoCount);
    if (__atomic_load_n(&RemoveLock->Common.Removed, __ATOMIC_SEQ_CST)) {
        if (InterlockedDecrement(&RemoveLock->Common.IoCount) == 0)
            KeSetEvent(&RemoveLock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
        return STATUS_DELETE_PENDING;
    }
    pthread_mutex_lock(&rl_mutex);
    rl_track *t = rl_find(RemoveLock, 1);
    if (t) {
        size_t i = 0;
        while (i < t->n && t->holds[i].tag != Tag)
            i++;
        if (i == t->n) {
            if (t->n == t->cap) {
                size_t cap = t->cap ? 2 * t->cap : 8;
                rl_hold *h = realloc(t->holds, cap * sizeof *h);
                if (h) {
                    t->holds = h;
                    t->cap = cap;
                }
            }
            if (t->n < t->cap)
                t->holds[t->n++] = (rl_hold){Tag, 0};
        }
        if (i < t->n)
            t->holds[i].count++;
    }
    pthread_mutex_unlock(&rl_mutex);
    return STATUS_SUCCESS;
}

/* Drops one hold of Tag; 0 if the tag held nothing. */
static int rl_drop(PIO_REMOVE_LOCK lock, PVOID tag)
{
    int ok = 0;
    pthread_mutex_lock(&rl_mutex);
    rl_track *t = rl_find(lock, 0);
    if (t && !t->dead)
        for (size_t i = 0; i < t->n; i++)
            if (t->holds[i].tag == tag) {
                if (--t->holds[i].count == 0)
                    t->holds[i] = t->holds[--t->n];
                ok = 1;
                break;
            }
    pthread_mutex_unlock(&rl_mutex);
    return ok;
}

void IoReleaseRemoveLockEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    MK_ENTER("IoReleaseRemoveLockEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoReleaseRemoveLockEx);
    MK_OBJ_FAULT(RemoveLock);
    rl_size_check(RemoveLock, RemlockSize, "IoReleaseRemoveLock: RemoveLock is not optional");
    if (!rl_drop(RemoveLock, Tag))
        mk_violation(MDLKIT_RULE_REMOVE_LOCK, "IoReleaseRemoveLock with a tag that holds no acquisition of the lock",
                     (ULONG_PTR)RemoveLock, (ULONG_PTR)Tag);
    if (InterlockedDecrement(&RemoveLock->Common.IoCount) == 0)
        KeSetEvent(&RemoveLock->Common.RemoveEvent, IO_NO_INCREMENT, FALSE);
}

void IoReleaseRemoveLockAndWaitEx(PIO_REMOVE_LOCK RemoveLock, PVOID Tag, ULONG RemlockSize)
{
    MK_ENTER("IoReleaseRemoveLockAndWaitEx");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, IoReleaseRemoveLockAndWaitEx);
    MK_OBJ_FAULT(RemoveLock);
    rl_size_check(RemoveLock, RemlockSize, "IoReleaseRemoveLockAndWait: RemoveLock is not optional");
    if (__atomic_load_n(&RemoveLock->Common.Removed, __ATOMIC_SEQ_CST))
        mk_violation(MDLKIT_RULE_REMOVE_LOCK, "IoReleaseRemoveLockAndWait called twice on one lock",
                     (ULONG_PTR)RemoveLock, (ULONG_PTR)Tag);
    if (!rl_drop(RemoveLock, Tag))
        mk_violation(MDLKIT_RULE_REMOVE_LOCK,
                     "IoReleaseRemoveLockAndWait with a tag that holds no acquisition of the lock",
                     (ULONG_PTR)RemoveLock, (ULONG_PTR)Tag);
    __atomic_store_n(&RemoveLock->Common.Removed, TRUE, __ATOMIC_SEQ_CST);
    InterlockedDecrement(&RemoveLock->Common.IoCount); /* the caller's own acquisition */
    if (InterlockedDecrement(&RemoveLock->Common.IoCount) > 0) /* the bias */
        KeWaitForSingleObject(&RemoveLock->Common.RemoveEvent, Executive, KernelMode, FALSE, NULL);
    pthread_mutex_lock(&rl_mutex);
    rl_track *t = rl_find(RemoveLock, 0);
    if (t) {
        t->dead = 1;
        t->n = 0;
    }
    pthread_mutex_unlock(&rl_mutex);
}

void mk_io_remlock_reset(void)
{
    pthread_mutex_lock(&rl_mutex);
    rl_track *t = rl_all;
    rl_all = NULL;
    pthread_mutex_unlock(&rl_mutex);
    while (t) {
        rl_track *next = t->next;
        free(t->holds);
        free(t);
        t = next;
    }
}
