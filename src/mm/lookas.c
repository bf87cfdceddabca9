/*
 * lookas.c -- lookaside lists: NPAGED_LOOKASIDE_LIST, PAGED_LOOKASIDE_LIST
 * and LOOKASIDE_LIST_EX.
 *
 * State lives in the documented structure: cached entries are chained
 * through their first pointer from ListHead.mdlkit.Next, their number is in
 * ListHead.mdlkit.Depth; Future[0] is a spin lock word and Future[1] says
 * which kind of list it is (0 = not initialised / deleted). The statistics
 * (TotalAllocates, AllocateMisses, TotalFrees, FreeMisses) are kept as
 * Windows keeps them, and Depth moves between 4 and MaximumDepth (256) with
 * Windows' formula, recomputed every LA_SCAN_PERIOD allocations instead of
 * once a second so runs are deterministic. The allocate/free callbacks run
 * only on a miss and never under the lock.
 *
 * Live lists (initialised, not yet deleted) are also kept in a registry, as
 * Windows keeps them on its global lookaside list heads, which is what its
 * verifier checks (always on in mdlkit, as a freed live list corrupts
 * Windows' global list silently): initialising a live list again is
 * 0xC4/0xCA, deleting one that is not live 0xC4/0xCB (P2 the list), freeing
 * a pool block that holds a live list 0xC4/0xCC (P2 the list, P3 the
 * block, P4 its size) -- the pool asks mk_lookas_check_free for blocks in
 * the range the registry gives it -- and a too small entry size for the
 * non-Ex lists 0xC4/0xCD (P2 the list, P3 the size, P4
 * LOOKASIDE_MINIMUM_BLOCK_SIZE).
 */
#include "mk_machine.h"
#include "mk_pool.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

/* The common part of the three list types (same layout; GENERAL_LOOKASIDE
 * only adds cache-line alignment). */
#define LA_OF(list) ((PGENERAL_LOOKASIDE_POOL)(void *)&(list)->L)
C_ASSERT(sizeof(GENERAL_LOOKASIDE_POOL) <= sizeof(GENERAL_LOOKASIDE));
C_ASSERT(FIELD_OFFSET(GENERAL_LOOKASIDE_POOL, Future) == FIELD_OFFSET(GENERAL_LOOKASIDE, Future));

#define LA_KIND_NPAGED 0x504E6B4CUL /* "LkNP" */
#define LA_KIND_PAGED 0x47506B4CUL  /* "LkPG" */
#define LA_KIND_EX 0x58456B4CUL     /* "LkEX" */
#define LA_MINIMUM_DEPTH 4
#define LA_MAXIMUM_DEPTH EX_MAXIMUM_LOOKASIDE_DEPTH_BASE
#define LA_SCAN_PERIOD 256

static inline void la_lock(PGENERAL_LOOKASIDE_POOL L)
{
    unsigned spins = 0;
    while (__atomic_exchange_n(&L->Future[0], 1, __ATOMIC_ACQUIRE) != 0) {
        while (__atomic_load_n(&L->Future[0], __ATOMIC_RELAXED) != 0)
            if (++spins > 64) {
                sched_yield();
                spins = 0;
            }
    }
}

static inline void la_unlock(PGENERAL_LOOKASIDE_POOL L) { __atomic_store_n(&L->Future[0], 0, __ATOMIC_RELEASE); }

static inline ULONG la_kind(PGENERAL_LOOKASIDE_POOL L) { return __atomic_load_n(&L->Future[1], __ATOMIC_RELAXED); }

static inline int la_paged(PGENERAL_LOOKASIDE_POOL L) { return ((ULONG)L->Type & 1) != 0; }

/* Depth recomputation (Windows' ExpComputeLookasideDepth): lock held. */
static void la_scan(PGENERAL_LOOKASIDE_POOL L)
{
    ULONG allocates = L->TotalAllocates - L->LastTotalAllocates;
    ULONG misses = L->AllocateMisses - L->LastAllocateMisses;
    L->LastTotalAllocates = L->TotalAllocates;
    L->LastAllocateMisses = L->AllocateMisses;
    if (allocates == 0)
        return;
    ULONG miss_permille = (ULONG)(((ULONG64)misses * 1000) / allocates);
    ULONG depth = L->Depth;
    if (miss_permille < 5) {
        if (depth > LA_MINIMUM_DEPTH)
            depth--;
    } else {
        depth += (miss_permille * (ULONG)(L->MaximumDepth - depth)) / 2000 + 5;
        if (depth > L->MaximumDepth)
            depth = L->MaximumDepth;
    }
    L->Depth = (USHORT)depth;
}

static MK_NORETURN MK_NOINLINE void la_not_initialised(PGENERAL_LOOKASIDE_POOL L, const char *routine)
{
    mk_violation(MDLKIT_RULE_USE_BEFORE_INIT,
                 "A lookaside list was used before its ExInitialize...LookasideList call or after its "
                 "ExDelete...LookasideList call.",
                 (ULONG_PTR)L, (ULONG_PTR)routine);
}

static MK_NORETURN MK_NOINLINE void la_bad_irql(PGENERAL_LOOKASIDE_POOL L, ULONG code, ULONG_PTR what)
{
    KIRQL irql = mk_irql();
    int paged = la_paged(L);
    if (mk_rt.verifier)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, code == 0x08 ? (paged ? 0x01 : 0x02) : (paged ? 0x11 : 0x12),
                    irql, (ULONG_PTR)L->Type, what);
    mk_bugcheck(BAD_POOL_CALLER, code, irql, (ULONG_PTR)L->Type, what);
}

static inline void la_check(PGENERAL_LOOKASIDE_POOL L, ULONG kind, const char *routine)
{
    if (MK_UNLIKELY(la_kind(L) != kind))
        la_not_initialised(L, routine);
}

static void la_check_irql(PGENERAL_LOOKASIDE_POOL L, KIRQL max)
{
    KIRQL irql = mk_irql();
    if (MK_UNLIKELY(irql > max))
        mk_violation(MDLKIT_RULE_LOOKASIDE_IRQL,
                     "A lookaside list was initialised, deleted or flushed above its IRQL limit "
                     "(APC_LEVEL for paged lists, DISPATCH_LEVEL otherwise).",
                     (ULONG_PTR)L, irql);
}

/* ---- default callbacks ---- */
static PVOID la_default_allocate_ex(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, PLOOKASIDE_LIST_EX Lookaside)
{
    (void)Lookaside;
    return mk_ex_allocate(PoolType, NumberOfBytes, Tag, NormalPoolPriority, 0, __builtin_return_address(0));
}

static void la_default_free_ex(PVOID Buffer, PLOOKASIDE_LIST_EX Lookaside)
{
    (void)Lookaside;
    mk_ex_free(Buffer, 0, __builtin_return_address(0));
}

static void *la_call_allocate(PGENERAL_LOOKASIDE_POOL L, ULONG kind, void *caller)
{
    if (kind == LA_KIND_EX) {
        if (L->AllocateEx == la_default_allocate_ex)
            return mk_ex_allocate(L->Type, L->Size, L->Tag, NormalPoolPriority, 0, caller);
        return L->AllocateEx(L->Type, L->Size, L->Tag, (PLOOKASIDE_LIST_EX)(void *)L);
    }
    if (L->Allocate == ExAllocatePoolWithTag)
        return mk_ex_allocate(L->Type, L->Size, L->Tag, NormalPoolPriority, 0, caller);
    return L->Allocate(L->Type, L->Size, L->Tag);
}

static void la_call_free(PGENERAL_LOOKASIDE_POOL L, ULONG kind, void *entry, void *caller)
{
    if (kind == LA_KIND_EX) {
        if (L->FreeEx == la_default_free_ex)
            mk_ex_free(entry, 0, caller);
        else
            L->FreeEx(entry, (PLOOKASIDE_LIST_EX)(void *)L);
        return;
    }
    if (L->Free == ExFreePool)
        mk_ex_free(entry, 0, caller);
    else
        L->Free(entry);
}

/* ---- the registry of live lists ---- */
static pthread_mutex_t la_reg_lock = PTHREAD_MUTEX_INITIALIZER;
static const void **la_reg;   /* live lists, unordered */
static uint8_t *la_reg_pool;  /* 1: the list lies inside a pool block */
static size_t la_nreg, la_capreg;
static bool la_reg_lost;      /* a list could not be registered (host out of memory) */

/* The range of live lists inside pool blocks, for the pool's free paths.
 * Lock held. */
static void la_reg_publish(void)
{
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; i < la_nreg; i++)
        if (la_reg_pool[i]) {
            uintptr_t a = (uintptr_t)la_reg[i];
            lo = a < lo ? a : lo;
            hi = a > hi ? a : hi;
        }
    mk_pool_watch_lookaside(hi ? lo : UINTPTR_MAX, hi);
}

static size_t la_reg_find(const void *L)
{
    for (size_t i = 0; i < la_nreg; i++)
        if (la_reg[i] == L)
            return i;
    return SIZE_MAX;
}

static MK_NORETURN MK_NOINLINE void la_reinitialised(PGENERAL_LOOKASIDE_POOL L)
{
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCA, (ULONG_PTR)L, 0, 0);
}

static MK_NORETURN MK_NOINLINE void la_delete_not_live(PGENERAL_LOOKASIDE_POOL L)
{
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCB, (ULONG_PTR)L, 0, 0);
}

/* Registers L as live: 0xCA if it is live already. Returns 0, or -1 when
 * the host is out of memory (L is then not registered: no check for it). */
static int la_reg_add(PGENERAL_LOOKASIDE_POOL L)
{
    mk_pool_block b;
    uint8_t in_pool = (uint8_t)(mk_pool_lookup(L, &b) != 0);
    pthread_mutex_lock(&la_reg_lock);
    if (la_reg_find(L) != SIZE_MAX) {
        pthread_mutex_unlock(&la_reg_lock);
        la_reinitialised(L);
    }
    if (la_nreg == la_capreg) {
        size_t cap = la_capreg ? la_capreg * 2 : 64;
        const void **r = realloc(la_reg, cap * sizeof *r);
        if (r)
            la_reg = r;
        uint8_t *q = r ? realloc(la_reg_pool, cap) : NULL;
        if (q)
            la_reg_pool = q;
        if (!r || !q) {
            la_reg_lost = true;
            pthread_mutex_unlock(&la_reg_lock);
            return -1;
        }
        la_capreg = cap;
    }
    la_reg[la_nreg] = L;
    la_reg_pool[la_nreg] = in_pool;
    la_nreg++;
    if (in_pool)
        la_reg_publish();
    pthread_mutex_unlock(&la_reg_lock);
    return 0;
}

/* Is L live? (A list the registry could not take, host out of memory,
 * counts as live.) */
static bool la_reg_live(PGENERAL_LOOKASIDE_POOL L)
{
    pthread_mutex_lock(&la_reg_lock);
    bool live = la_reg_find(L) != SIZE_MAX || (la_reg_lost && la_kind(L) != 0);
    pthread_mutex_unlock(&la_reg_lock);
    return live;
}

/* Unregisters L: 0xCB if it is not live (deleted meanwhile by another
 * thread). */
static void la_reg_remove(PGENERAL_LOOKASIDE_POOL L)
{
    pthread_mutex_lock(&la_reg_lock);
    size_t i = la_reg_find(L);
    if (i == SIZE_MAX) {
        bool lost = la_reg_lost;
        pthread_mutex_unlock(&la_reg_lock);
        if (lost)
            return;
        la_delete_not_live(L);
    }
    uint8_t in_pool = la_reg_pool[i];
    la_nreg--;
    la_reg[i] = la_reg[la_nreg];
    la_reg_pool[i] = la_reg_pool[la_nreg];
    if (in_pool)
        la_reg_publish();
    pthread_mutex_unlock(&la_reg_lock);
}

void mk_lookas_check_free(const void *p)
{
    mk_pool_block b;
    if (!mk_pool_lookup(p, &b) || b.base != p)
        return; /* not a block's start: the pool's own checks report it */
    const char *lo = b.base, *hi = lo + b.capacity;
    const void *hit = NULL;
    pthread_mutex_lock(&la_reg_lock);
    for (size_t i = 0; i < la_nreg && !hit; i++)
        if (la_reg_pool[i] && (const char *)la_reg[i] >= lo && (const char *)la_reg[i] < hi)
            hit = la_reg[i];
    pthread_mutex_unlock(&la_reg_lock);
    if (MK_UNLIKELY(hit != NULL))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCC, (ULONG_PTR)hit, (ULONG_PTR)p, b.size);
}

void mk_lookas_reset(void)
{
    pthread_mutex_lock(&la_reg_lock);
    free(la_reg);
    free(la_reg_pool);
    la_reg = NULL;
    la_reg_pool = NULL;
    la_nreg = la_capreg = 0;
    la_reg_lost = false;
    mk_pool_watch_lookaside(UINTPTR_MAX, 0);
    pthread_mutex_unlock(&la_reg_lock);
}

/* ---- the common operations ---- */
static void la_init(PGENERAL_LOOKASIDE_POOL L, ULONG kind, POOL_TYPE type, SIZE_T size, ULONG tag)
{
    (void)la_reg_add(L); /* 0xCA if L is live: before anything in it changes */
    memset(L, 0, sizeof *L);
    L->ListHead.mdlkit.Next = NULL;
    L->ListHead.mdlkit.Depth = 0;
    L->Depth = LA_MINIMUM_DEPTH;
    L->MaximumDepth = LA_MAXIMUM_DEPTH;
    L->Type = type;
    L->Tag = tag;
    L->Size = (ULONG)size;
    InitializeListHead(&L->ListEntry);
    __atomic_store_n(&L->Future[1], kind, __ATOMIC_RELEASE);
}

static void *la_allocate(PGENERAL_LOOKASIDE_POOL L, ULONG kind, const char *routine, void *caller)
{
    la_check(L, kind, routine);
    if (MK_UNLIKELY(mk_irql() > (la_paged(L) ? APC_LEVEL : DISPATCH_LEVEL)))
        la_bad_irql(L, 0x08, L->Size);
    la_lock(L);
    L->TotalAllocates++;
    PSLIST_ENTRY e = L->ListHead.mdlkit.Next;
    if (e) {
        L->ListHead.mdlkit.Next = e->Next;
        L->ListHead.mdlkit.Depth--;
    } else {
        L->AllocateMisses++;
    }
    if (MK_UNLIKELY(L->TotalAllocates - L->LastTotalAllocates >= LA_SCAN_PERIOD))
        la_scan(L);
    la_unlock(L);
    if (e)
        return e;
    void *p = mk_verifier_fail_now(MK_FAULT_LOOKASIDE, L->Tag, caller) ? NULL : la_call_allocate(L, kind, caller);
    /* EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL (or a POOL_RAISE_IF_ALLOCATION_FAILURE
     * type): a custom allocate callback that returns NULL raises too */
    if (MK_UNLIKELY(!p) && ((ULONG)L->Type & POOL_RAISE_IF_ALLOCATION_FAILURE))
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

static void la_free(PGENERAL_LOOKASIDE_POOL L, ULONG kind, void *entry, const char *routine, void *caller)
{
    la_check(L, kind, routine);
    if (MK_UNLIKELY(mk_irql() > (la_paged(L) ? APC_LEVEL : DISPATCH_LEVEL)))
        la_bad_irql(L, 0x09, (ULONG_PTR)entry);
    la_lock(L);
    L->TotalFrees++;
    int miss = L->ListHead.mdlkit.Depth >= L->Depth;
    if (miss) {
        L->FreeMisses++;
    } else {
        PSLIST_ENTRY e = entry;
        e->Next = L->ListHead.mdlkit.Next;
        L->ListHead.mdlkit.Next = e;
        L->ListHead.mdlkit.Depth++;
    }
    la_unlock(L);
    if (miss)
        la_call_free(L, kind, entry, caller);
}

/* Gives every cached entry back through the free callback. */
static void la_flush(PGENERAL_LOOKASIDE_POOL L, ULONG kind, void *caller)
{
    la_lock(L);
    PSLIST_ENTRY e = L->ListHead.mdlkit.Next;
    L->ListHead.mdlkit.Next = NULL;
    L->ListHead.mdlkit.Depth = 0;
    la_unlock(L);
    while (e) {
        PSLIST_ENTRY next = e->Next;
        la_call_free(L, kind, e, caller);
        e = next;
    }
}

static void la_delete(PGENERAL_LOOKASIDE_POOL L, ULONG kind, const char *routine, void *caller)
{
    if (MK_UNLIKELY(!la_reg_live(L)))
        la_delete_not_live(L); /* never initialised, or deleted already */
    la_check(L, kind, routine); /* live, but of another kind */
    la_flush(L, kind, caller);  /* (the Free callbacks run without the registry lock) */
    __atomic_store_n(&L->Future[1], 0, __ATOMIC_RELEASE);
    la_reg_remove(L);
}

static void la_check_size(PGENERAL_LOOKASIDE_POOL L, SIZE_T size)
{
    if (MK_UNLIKELY(size < LOOKASIDE_MINIMUM_BLOCK_SIZE))
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xCD, (ULONG_PTR)L, size, LOOKASIDE_MINIMUM_BLOCK_SIZE);
    if (MK_UNLIKELY(size > 0xFFFFFFFFULL))
        mk_violation(MDLKIT_RULE_LOOKASIDE_SIZE, "A lookaside entry size must fit a ULONG.", (ULONG_PTR)L, size);
}

/* What ExInitializeNPagedLookasideList and ExInitializePagedLookasideList
 * share: the IRQL and size checks, the list's fields, the pool routines
 * (ExAllocatePoolWithTag / ExFreePool when the driver gives none). */
static void la_init_list(PGENERAL_LOOKASIDE_POOL L, int kind, KIRQL max_irql, POOL_TYPE type, SIZE_T Size, ULONG Tag,
                         PALLOCATE_FUNCTION Allocate, PFREE_FUNCTION Free)
{
    la_check_irql(L, max_irql);
    la_check_size(L, Size);
    la_init(L, kind, type, Size, Tag);
    L->Allocate = Allocate ? Allocate : ExAllocatePoolWithTag;
    L->Free = Free ? Free : ExFreePool;
}

/* ------------------------------------------------------------------------
 * NPAGED_LOOKASIDE_LIST
 * ---------------------------------------------------------------------- */
void ExInitializeNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                     PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    MK_ENTER("ExInitializeNPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    (void)Depth; /* reserved: Windows ignores it and so does mdlkit */
    /* 0x2000000: a list without POOL_NX_ALLOCATION hands out executable pool (0xC4/0x2000) */
    mk_verifier_codeint_pool(NonPagedPool | Flags, Tag, __builtin_return_address(0));
    la_init_list(LA_OF(Lookaside), LA_KIND_NPAGED, DISPATCH_LEVEL, (POOL_TYPE)(NonPagedPool | Flags), Size, Tag,
                 Allocate, Free);
    Lookaside->Lock__ObsoleteButDoNotDelete = 0;
}

void ExDeleteNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    MK_ENTER("ExDeleteNPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    la_check_irql(LA_OF(Lookaside), DISPATCH_LEVEL);
    la_delete(LA_OF(Lookaside), LA_KIND_NPAGED, "ExDeleteNPagedLookasideList", __builtin_return_address(0));
}

PVOID ExAllocateFromNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside)
{
    MK_ENTER("ExAllocateFromNPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    return la_allocate(LA_OF(Lookaside), LA_KIND_NPAGED, "ExAllocateFromNPagedLookasideList",
                       __builtin_return_address(0));
}

void ExFreeToNPagedLookasideList(PNPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    MK_ENTER("ExFreeToNPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    MK_NULL_FAULT(Entry);
    la_free(LA_OF(Lookaside), LA_KIND_NPAGED, Entry, "ExFreeToNPagedLookasideList", __builtin_return_address(0));
}

/* ------------------------------------------------------------------------
 * PAGED_LOOKASIDE_LIST
 * ---------------------------------------------------------------------- */
void ExInitializePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PALLOCATE_FUNCTION Allocate,
                                    PFREE_FUNCTION Free, ULONG Flags, SIZE_T Size, ULONG Tag, USHORT Depth)
{
    MK_ENTER("ExInitializePagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    (void)Depth;
    la_init_list(LA_OF(Lookaside), LA_KIND_PAGED, APC_LEVEL, (POOL_TYPE)(PagedPool | Flags), Size, Tag, Allocate,
                 Free);
    memset(Lookaside->Lock__ObsoleteButDoNotDelete, 0, sizeof Lookaside->Lock__ObsoleteButDoNotDelete);
}

void ExDeletePagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    MK_ENTER("ExDeletePagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    la_check_irql(LA_OF(Lookaside), APC_LEVEL);
    la_delete(LA_OF(Lookaside), LA_KIND_PAGED, "ExDeletePagedLookasideList", __builtin_return_address(0));
}

PVOID ExAllocateFromPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside)
{
    MK_ENTER("ExAllocateFromPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    return la_allocate(LA_OF(Lookaside), LA_KIND_PAGED, "ExAllocateFromPagedLookasideList", __builtin_return_address(0));
}

void ExFreeToPagedLookasideList(PPAGED_LOOKASIDE_LIST Lookaside, PVOID Entry)
{
    MK_ENTER("ExFreeToPagedLookasideList");
    MK_OBJ_FAULT(Lookaside);
    la_free(LA_OF(Lookaside), LA_KIND_PAGED, Entry, "ExFreeToPagedLookasideList", __builtin_return_address(0));
}

/* ------------------------------------------------------------------------
 * LOOKASIDE_LIST_EX
 * ---------------------------------------------------------------------- */
NTSTATUS ExInitializeLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PALLOCATE_FUNCTION_EX Allocate,
                                     PFREE_FUNCTION_EX Free, POOL_TYPE PoolType, ULONG Flags, SIZE_T Size,
                                     ULONG Tag, USHORT Depth)
{
    MK_ENTER("ExInitializeLookasideListEx");
    MK_OBJ_FAULT(Lookaside);
    (void)Depth;
    PGENERAL_LOOKASIDE_POOL L = &Lookaside->L;
    la_check_irql(L, DISPATCH_LEVEL);
    const ULONG known = EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL | EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE;
    if ((Flags & ~known) != 0 || (Flags & known) == known)
        return STATUS_INVALID_PARAMETER;
    if (Size < LOOKASIDE_MINIMUM_BLOCK_SIZE || Size > 0xFFFFFFFFULL)
        return STATUS_INVALID_PARAMETER;
    /* PoolType must be a POOL_TYPE value a driver may use: the four base
     * types, optionally NX or session; must-succeed, DontUseThisType,
     * MaxPoolType and undefined bits are refused (issue #21). */
    ULONG base = (ULONG)PoolType & ~(ULONG)(POOL_NX_ALLOCATION | 32u /* session */);
    if (base > PagedPoolCacheAligned || base == NonPagedPoolMustSucceed || base == DontUseThisType)
        return STATUS_INVALID_PARAMETER_4;
    ULONG type = (ULONG)PoolType;
    if (Flags & EX_LOOKASIDE_LIST_EX_FLAG_RAISE_ON_FAIL)
        type |= POOL_RAISE_IF_ALLOCATION_FAILURE;
    if (Flags & EX_LOOKASIDE_LIST_EX_FLAG_FAIL_NO_RAISE)
        type |= POOL_QUOTA_FAIL_INSTEAD_OF_RAISE;
    mk_verifier_codeint_pool((ULONG)PoolType, Tag, __builtin_return_address(0)); /* 0x2000000 (0xC4/0x2000) */
    la_init(L, LA_KIND_EX, (POOL_TYPE)type, Size, Tag);
    L->AllocateEx = Allocate ? Allocate : la_default_allocate_ex;
    L->FreeEx = Free ? Free : la_default_free_ex;
    return STATUS_SUCCESS;
}

void ExDeleteLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    MK_ENTER("ExDeleteLookasideListEx");
    MK_OBJ_FAULT(Lookaside);
    PGENERAL_LOOKASIDE_POOL L = &Lookaside->L;
    la_check_irql(L, la_paged(L) ? APC_LEVEL : DISPATCH_LEVEL);
    la_delete(L, LA_KIND_EX, "ExDeleteLookasideListEx", __builtin_return_address(0));
}

void ExFlushLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    MK_ENTER("ExFlushLookasideListEx");
    MK_OBJ_FAULT(Lookaside);
    PGENERAL_LOOKASIDE_POOL L = &Lookaside->L;
    la_check(L, LA_KIND_EX, "ExFlushLookasideListEx");
    la_check_irql(L, la_paged(L) ? APC_LEVEL : DISPATCH_LEVEL);
    la_flush(L, LA_KIND_EX, __builtin_return_address(0));
}

PVOID ExAllocateFromLookasideListEx(PLOOKASIDE_LIST_EX Lookaside)
{
    MK_ENTER("ExAllocateFromLookasideListEx");
    MK_OBJ_FAULT(Lookaside);
    return la_allocate(&Lookaside->L, LA_KIND_EX, "ExAllocateFromLookasideListEx",
                       __builtin_return_address(0));
}

void ExFreeToLookasideListEx(PLOOKASIDE_LIST_EX Lookaside, PVOID Entry)
{
    MK_ENTER("ExFreeToLookasideListEx");
    MK_OBJ_FAULT(Lookaside);
    la_free(&Lookaside->L, LA_KIND_EX, Entry, "ExFreeToLookasideListEx",
            __builtin_return_address(0));
}
