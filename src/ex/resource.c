/*
 * resource.c -- executive resources (ERESOURCE): ExInitializeResourceLite,
 * ExReinitializeResourceLite, ExDeleteResourceLite,
 * ExAcquireResourceExclusiveLite, ExAcquireResourceSharedLite,
 * ExAcquireSharedStarveExclusive, ExAcquireSharedWaitForExclusive,
 * ExReleaseResourceLite, ExReleaseResourceForThreadLite,
 * ExConvertExclusiveToSharedLite, ExIsResourceAcquiredExclusiveLite,
 * ExIsResourceAcquiredSharedLite, ExGetExclusiveWaiterCount,
 * ExGetSharedWaiterCount, ExGetCurrentResourceThread.
 *
 * The exclusive owner is in ERESOURCE.OwnerEntry (OwnerCount = recursion),
 * ActiveCount counts acquisitions and Flag bit 0x80 means "owned
 * exclusive"; the shared owners (thread, count) are kept by mdlkit in host
 * memory, in a table of initialised resources (freed by
 * ExDeleteResourceLite, or at shutdown). Shared requests wait while an
 * exclusive request waits, unless the thread already holds the resource
 * (ExAcquireSharedStarveExclusive does not wait for them), as documented.
 *
 * Misuse (docs/ddi-notes.md, "Fast mutexes and resources"):
 *  - IRQL > APC_LEVEL for an acquire: 0xA (resource, IRQL, 0, caller);
 *    a release above DISPATCH_LEVEL likewise;
 *  - releasing a resource the thread does not hold: 0xE3 RESOURCE_NOT_OWNED
 *    (resource, thread, owner table, 0);
 *  - an exclusive acquire (Wait = TRUE) by a thread that holds the resource
 *    shared only: it would wait for itself forever; 0xC4 with the mdlkit
 *    rule 0x00A40002 (resource, thread), never a hang;
 *  - a resource that was never initialised (or was deleted): 0xC4 with the
 *    mdlkit rule 0x00A40003 (resource, 0);
 *  - a resource its driver never deleted, in pool the driver freed, found
 *    at the driver's unload: 0xC4/0x17 (resource, pool type, address),
 *    Driver Verifier's "freed pool contains an active ERESOURCE" (raised by
 *    mk_exec_driver_unloaded).
 */
#include "mk_machine.h"
#include "mk_ke.h"
#include "mk_pool.h"

#include <stdlib.h>
#include <string.h>

#define RESOURCE_NOT_OWNED_CODE 0xE3
#define RULE_RESOURCE_SELF_DEADLOCK 0x00A40002UL
#define RULE_RESOURCE_UNINITIALIZED 0x00A40003UL
#define RES_OWNED_EXCLUSIVE 0x0080

typedef struct res_owner {
    PKTHREAD thread;
    ULONG count;
} res_owner;

typedef struct res_rec {
    PERESOURCE r;
    struct mk_driver *driver; /* the driver that initialised it */
    res_owner *sh;
    ULONG n, cap;
} res_rec;

static res_rec *res_tab;
static size_t res_n, res_cap;
static pthread_cond_t res_cv = PTHREAD_COND_INITIALIZER;

/* under mk_ke_lock */
static res_rec *res_find(PERESOURCE r)
{
    for (size_t i = 0; i < res_n; i++)
        if (res_tab[i].r == r)
            return &res_tab[i];
    return NULL;
}

static res_owner *res_shared_of(res_rec *rec, PKTHREAD t)
{
    for (ULONG i = 0; i < rec->n; i++)
        if (rec->sh[i].thread == t)
            return &rec->sh[i];
    return NULL;
}

static int res_add_shared(res_rec *rec, PKTHREAD t)
{
    res_owner *o = res_shared_of(rec, t);
    if (o) {
        o->count++;
        return 0;
    }
    if (rec->n == rec->cap) {
        ULONG ncap = rec->cap ? rec->cap * 2 : 4;
        res_owner *n = realloc(rec->sh, ncap * sizeof *n);
        if (!n)
            return -1;
        rec->sh = n;
        rec->cap = ncap;
    }
    rec->sh[rec->n].thread = t;
    rec->sh[rec->n].count = 1;
    rec->n++;
    return 0;
}

static MK_NORETURN void res_uninitialized(PERESOURCE r)
{
    pthread_mutex_unlock(&mk_ke_lock);
    mk_violation(RULE_RESOURCE_UNINITIALIZED, "ERESOURCE used before ExInitializeResourceLite (or after ExDeleteResourceLite)",
                 (ULONG_PTR)r, 0);
}

/* Locks mk_ke_lock and returns the resource's record. */
static res_rec *res_enter(PERESOURCE r)
{
    pthread_mutex_lock(&mk_ke_lock);
    res_rec *rec = res_find(r);
    if (!rec)
        res_uninitialized(r);
    return rec;
}

static void res_check_irql(PERESOURCE r, KIRQL max, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql > max)
        mk_ke_irql_violation(0, NULL, r, caller);
}

NTSTATUS ExInitializeResourceLite(PERESOURCE Resource)
{
    MK_ENTER("ExInitializeResourceLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, DISPATCH_LEVEL, __builtin_return_address(0));
    memset(Resource, 0, sizeof *Resource);
    InitializeListHead(&Resource->SystemResourcesList);
    pthread_mutex_lock(&mk_ke_lock);
    res_rec *rec = res_find(Resource);
    if (!rec) {
        if (res_n == res_cap) {
            size_t ncap = res_cap ? res_cap * 2 : 16;
            res_rec *n = realloc(res_tab, ncap * sizeof *n);
            if (!n) {
                pthread_mutex_unlock(&mk_ke_lock);
                return STATUS_INSUFFICIENT_RESOURCES;
            }
            res_tab = n;
            res_cap = ncap;
        }
        rec = &res_tab[res_n++];
        memset(rec, 0, sizeof *rec);
        rec->r = Resource;
    }
    rec->driver = mk_self.driver;
    rec->n = 0;
    pthread_mutex_unlock(&mk_ke_lock);
    return STATUS_SUCCESS;
}

NTSTATUS ExReinitializeResourceLite(PERESOURCE Resource)
{
    MK_ENTER("ExReinitializeResourceLite");
    MK_OBJ_FAULT(Resource);
    return ExInitializeResourceLite(Resource);
}

NTSTATUS ExDeleteResourceLite(PERESOURCE Resource)
{
    MK_ENTER("ExDeleteResourceLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    res_rec *rec = res_enter(Resource);
    free(rec->sh);
    *rec = res_tab[--res_n];
    Resource->SystemResourcesList.Flink = Resource->SystemResourcesList.Blink = NULL;
    pthread_mutex_unlock(&mk_ke_lock);
    return STATUS_SUCCESS;
}

/* One wait for the resource (mk_ke_lock held), counted in `waiters`; the
 * resource's record afterwards (it may have been deleted meanwhile). */
static res_rec *res_wait(PERESOURCE r, ULONG *waiters)
{
    (*waiters)++;
    r->ContentionCount++;
    pthread_cond_wait(&res_cv, &mk_ke_lock);
    (*waiters)--;
    res_rec *rec = res_find(r);
    if (!rec)
        res_uninitialized(r);
    return rec;
}

static BOOLEAN res_acquire_exclusive(PERESOURCE r, BOOLEAN wait, PKTHREAD me)
{
    res_rec *rec = res_enter(r);
    for (;;) {
        if ((r->Flag & RES_OWNED_EXCLUSIVE) && (PKTHREAD)r->OwnerEntry.OwnerThread == me) {
            r->OwnerEntry.OwnerCount++;
            r->ActiveCount++;
            break;
        }
        if (r->ActiveCount == 0) {
            r->Flag |= RES_OWNED_EXCLUSIVE;
            r->OwnerEntry.OwnerThread = (ERESOURCE_THREAD)me;
            r->OwnerEntry.OwnerCount = 1;
            r->ActiveCount = 1;
            r->ActiveEntries = 1;
            break;
        }
        if (!wait) {
            pthread_mutex_unlock(&mk_ke_lock);
            return FALSE;
        }
        if (!(r->Flag & RES_OWNED_EXCLUSIVE) && res_shared_of(rec, me)) {
            pthread_mutex_unlock(&mk_ke_lock);
            mk_violation(RULE_RESOURCE_SELF_DEADLOCK,
                         "exclusive acquire of an ERESOURCE the thread holds shared: it would wait for itself",
                         (ULONG_PTR)r, (ULONG_PTR)me);
        }
        rec = res_wait(r, &r->NumberOfExclusiveWaiters);
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return TRUE;
}

/* starve: do not wait for waiting exclusive requests */
static BOOLEAN res_acquire_shared(PERESOURCE r, BOOLEAN wait, PKTHREAD me, int starve)
{
    res_rec *rec = res_enter(r);
    for (;;) {
        if ((r->Flag & RES_OWNED_EXCLUSIVE) && (PKTHREAD)r->OwnerEntry.OwnerThread == me) {
            r->OwnerEntry.OwnerCount++;
            r->ActiveCount++;
            break;
        }
        if (!(r->Flag & RES_OWNED_EXCLUSIVE) &&
            (starve || r->NumberOfExclusiveWaiters == 0 || res_shared_of(rec, me))) {
            if (res_add_shared(rec, me) != 0) {
                pthread_mutex_unlock(&mk_ke_lock);
                mk_raise(STATUS_INSUFFICIENT_RESOURCES);
            }
            r->ActiveCount++;
            r->ActiveEntries = rec->n;
            break;
        }
        if (!wait) {
            pthread_mutex_unlock(&mk_ke_lock);
            return FALSE;
        }
        rec = res_wait(r, &r->NumberOfSharedWaiters);
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return TRUE;
}

BOOLEAN ExAcquireResourceExclusiveLite(PERESOURCE Resource, BOOLEAN Wait)
{
    MK_ENTER("ExAcquireResourceExclusiveLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    return res_acquire_exclusive(Resource, Wait, mk_ke_current());
}

BOOLEAN ExAcquireResourceSharedLite(PERESOURCE Resource, BOOLEAN Wait)
{
    MK_ENTER("ExAcquireResourceSharedLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    return res_acquire_shared(Resource, Wait, mk_ke_current(), 0);
}

BOOLEAN ExAcquireSharedStarveExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    MK_ENTER("ExAcquireSharedStarveExclusive");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    return res_acquire_shared(Resource, Wait, mk_ke_current(), 1);
}

BOOLEAN ExAcquireSharedWaitForExclusive(PERESOURCE Resource, BOOLEAN Wait)
{
    MK_ENTER("ExAcquireSharedWaitForExclusive");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    return res_acquire_shared(Resource, Wait, mk_ke_current(), 0);
}

static void res_release(PERESOURCE r, PKTHREAD t)
{
    res_rec *rec = res_enter(r);
    if ((r->Flag & RES_OWNED_EXCLUSIVE) && (PKTHREAD)r->OwnerEntry.OwnerThread == t) {
        r->ActiveCount--;
        if (--r->OwnerEntry.OwnerCount == 0) {
            r->Flag &= (USHORT)~RES_OWNED_EXCLUSIVE;
            r->OwnerEntry.OwnerThread = 0;
            r->ActiveEntries = 0;
        }
    } else {
        res_owner *o = (r->Flag & RES_OWNED_EXCLUSIVE) ? NULL : res_shared_of(rec, t);
        if (!o) {
            void *table = rec->sh;
            pthread_mutex_unlock(&mk_ke_lock);
            mk_bugcheck(RESOURCE_NOT_OWNED_CODE, (ULONG_PTR)r, (ULONG_PTR)t, (ULONG_PTR)table, 0);
        }
        r->ActiveCount--;
        if (--o->count == 0)
            *o = rec->sh[--rec->n];
        r->ActiveEntries = rec->n;
    }
    pthread_cond_broadcast(&res_cv);
    pthread_mutex_unlock(&mk_ke_lock);
}

void ExReleaseResourceLite(PERESOURCE Resource)
{
    MK_ENTER("ExReleaseResourceLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, DISPATCH_LEVEL, __builtin_return_address(0));
    res_release(Resource, mk_ke_current());
}

void ExReleaseResourceForThreadLite(PERESOURCE Resource, ERESOURCE_THREAD ResourceThreadId)
{
    MK_ENTER("ExReleaseResourceForThreadLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, DISPATCH_LEVEL, __builtin_return_address(0));
    res_release(Resource, (PKTHREAD)ResourceThreadId);
}

void ExConvertExclusiveToSharedLite(PERESOURCE Resource)
{
    MK_ENTER("ExConvertExclusiveToSharedLite");
    MK_OBJ_FAULT(Resource);
    res_check_irql(Resource, APC_LEVEL, __builtin_return_address(0));
    PKTHREAD me = mk_ke_current();
    res_rec *rec = res_enter(Resource);
    if (!(Resource->Flag & RES_OWNED_EXCLUSIVE) || (PKTHREAD)Resource->OwnerEntry.OwnerThread != me) {
        void *table = rec->sh;
        pthread_mutex_unlock(&mk_ke_lock);
        mk_bugcheck(RESOURCE_NOT_OWNED_CODE, (ULONG_PTR)Resource, (ULONG_PTR)me, (ULONG_PTR)table, 0);
    }
    ULONG count = Resource->OwnerEntry.OwnerCount;
    Resource->Flag &= (USHORT)~RES_OWNED_EXCLUSIVE;
    Resource->OwnerEntry.OwnerThread = 0;
    Resource->OwnerEntry.OwnerCount = 0;
    if (res_add_shared(rec, me) != 0) {
        pthread_mutex_unlock(&mk_ke_lock);
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    }
    res_shared_of(rec, me)->count = count;
    Resource->ActiveEntries = rec->n;
    pthread_cond_broadcast(&res_cv);
    pthread_mutex_unlock(&mk_ke_lock);
}

BOOLEAN ExIsResourceAcquiredExclusiveLite(PERESOURCE Resource)
{
    MK_ENTER("ExIsResourceAcquiredExclusiveLite");
    MK_OBJ_FAULT(Resource);
    PKTHREAD me = mk_ke_current();
    res_enter(Resource);
    BOOLEAN r = (Resource->Flag & RES_OWNED_EXCLUSIVE) && (PKTHREAD)Resource->OwnerEntry.OwnerThread == me;
    pthread_mutex_unlock(&mk_ke_lock);
    return r;
}

ULONG ExIsResourceAcquiredSharedLite(PERESOURCE Resource)
{
    MK_ENTER("ExIsResourceAcquiredSharedLite");
    MK_OBJ_FAULT(Resource);
    PKTHREAD me = mk_ke_current();
    res_rec *rec = res_enter(Resource);
    ULONG n = 0;
    if ((Resource->Flag & RES_OWNED_EXCLUSIVE) && (PKTHREAD)Resource->OwnerEntry.OwnerThread == me)
        n = Resource->OwnerEntry.OwnerCount;
    else {
        res_owner *o = res_shared_of(rec, me);
        n = o ? o->count : 0;
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return n;
}

/* A waiter count read under the lock that guards the resource. */
static ULONG res_waiters(PERESOURCE Resource, int exclusive)
{
    res_enter(Resource);
    ULONG n = exclusive ? Resource->NumberOfExclusiveWaiters : Resource->NumberOfSharedWaiters;
    pthread_mutex_unlock(&mk_ke_lock);
    return n;
}

ULONG ExGetExclusiveWaiterCount(PERESOURCE Resource)
{
    MK_ENTER("ExGetExclusiveWaiterCount");
    MK_OBJ_FAULT(Resource);
    return res_waiters(Resource, 1);
}

ULONG ExGetSharedWaiterCount(PERESOURCE Resource)
{
    MK_ENTER("ExGetSharedWaiterCount");
    MK_OBJ_FAULT(Resource);
    return res_waiters(Resource, 0);
}

ERESOURCE_THREAD ExGetCurrentResourceThread(void)
{
    MK_ENTER("ExGetCurrentResourceThread");
    return (ERESOURCE_THREAD)mk_ke_current();
}

/* A resource driver d initialised, never deleted, whose pool block has been
 * freed (it is forgotten, so it is reported once), or NULL; *paged tells
 * which pool. */
PERESOURCE mk_ex_resource_freed_of_driver(struct mk_driver *d, int *paged)
{
    PERESOURCE found = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (size_t i = 0; i < res_n && !found; i++) {
        PERESOURCE r = res_tab[i].r;
        int kind = mk_pool_kind_of(r);
        if (res_tab[i].driver != d || kind < 0 || mk_pool_lookup(r, NULL))
            continue;
        found = r;
        *paged = kind;
        free(res_tab[i].sh);
        res_tab[i] = res_tab[--res_n];
    }
    pthread_mutex_unlock(&mk_ke_lock);
    return found;
}

/* A resource initialised and not deleted that lies in [lo, hi) (pool being
 * freed), or NULL. */
PERESOURCE mk_ex_resource_in(const void *lo, const void *hi)
{
    PERESOURCE found = NULL;
    pthread_mutex_lock(&mk_ke_lock);
    for (size_t i = 0; i < res_n && !found; i++)
        if ((const char *)res_tab[i].r >= (const char *)lo && (const char *)res_tab[i].r < (const char *)hi)
            found = res_tab[i].r;
    pthread_mutex_unlock(&mk_ke_lock);
    return found;
}

/* Shutdown: forget every resource (a driver that never deleted one leaks
 * only mdlkit's host table, freed here). */
void mk_ex_resource_shutdown(void);
void mk_ex_resource_shutdown(void)
{
    pthread_mutex_lock(&mk_ke_lock);
    for (size_t i = 0; i < res_n; i++)
        free(res_tab[i].sh);
    free(res_tab);
    res_tab = NULL;
    res_n = res_cap = 0;
    pthread_mutex_unlock(&mk_ke_lock);
}
