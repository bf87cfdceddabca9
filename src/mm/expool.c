/*
 * expool.c -- the executive pool DDIs: ExAllocatePool, ExAllocatePoolWithTag,
 * ExAllocatePoolWithTagPriority, ExAllocatePoolZero,
 * ExAllocatePoolUninitialized, ExAllocatePool2, ExFreePool,
 * ExFreePoolWithTag, and (further down) the quota and priority variants,
 * ExAllocatePool3 and ExInitializeDriverRuntime. They check their arguments, the IRQL and the tag, then
 * route every allocation to mk_pool_alloc and every free to mk_pool_free
 * (poolpage.c). Choices where the documentation is silent are written down
 * in docs/ddi-notes.md, section "Pool".
 */
#include "mk_mdl.h"
#include "mk_pool.h"
#include "poolpage.h" /* the allocator's inline fast paths */
#include "mk_hooks.h"
#include "mk_verifier.h"
#include "mk_rtl.h"

#include <string.h>

/* The DDIs with an inline fast path keep no frame of their own (mk_base.h
 * MK_NO_FRAME): their calls of the full paths are tail calls. */
#define EX_FAST_DDI MK_NO_FRAME

#define EX_TAG_NONE 'enoN' /* "None": ExAllocatePool's default tag */
#define EX_TAG_BIG ' GIB'  /* "BIG ": reserved for the big-page table */

#define EX_TYPE_FLAGS (POOL_QUOTA_FAIL_INSTEAD_OF_RAISE | POOL_RAISE_IF_ALLOCATION_FAILURE | POOL_COLD_ALLOCATION)

/* POOL_FLAGS the allocator knows and honours (required half). */
#define EX_FLAGS_KNOWN                                                                                       \
    (POOL_FLAG_USE_QUOTA | POOL_FLAG_UNINITIALIZED | POOL_FLAG_CACHE_ALIGNED | POOL_FLAG_RAISE_ON_FAILURE | \
     POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)
#define EX_FLAGS_TYPE (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)
#define EX_FLAGS_REQUIRED 0x00000000FFFFFFFFULL

_Static_assert(POOL_FLAG_UNINITIALIZED >> 1 == MK_POOL_ZERO && POOL_FLAG_CACHE_ALIGNED >> 2 == MK_POOL_CACHE_ALIGNED &&
                   POOL_FLAG_RAISE_ON_FAILURE >> 2 == MK_POOL_RAISE,
               "ExAllocatePool2 maps POOL_FLAGS to mk_pool_alloc flags by shifts");

static MK_NORETURN MK_NOINLINE void ex_bad_irql(ULONG_PTR type, SIZE_T bytes, int paged)
{
    KIRQL irql = mk_irql();
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE)) /* DDI rule IrqlExAllocatePool (verifier work) */
        mk_violation(0x00020004,
                     paged ? "IrqlExAllocatePool: paged pool allocated above APC_LEVEL"
                           : "IrqlExAllocatePool: pool allocated above DISPATCH_LEVEL",
                     type, irql);
    if (mk_rt.verifier)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, paged ? 0x01 : 0x02, irql, type, bytes);
    mk_bugcheck(BAD_POOL_CALLER, 0x08, irql, type, bytes);
}

static MK_NORETURN MK_NOINLINE void ex_zero_bytes(ULONG_PTR type, ULONG tag)
{
    if (mk_rt.verifier)
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x00, mk_irql(), type, 0);
    mk_bugcheck(BAD_POOL_CALLER, 0x00, 0, type, tag);
}

/* Tag rules shared by every allocating DDI (ExAllocatePool2 turns tag 0
 * into NULL before calling this). */
static MK_NORETURN MK_NOINLINE void ex_bad_tag(ULONG tag, ULONG_PTR type, SIZE_T bytes, void *caller)
{
    if (tag == 0)
        mk_bugcheck(BAD_POOL_CALLER, 0x9B, type, bytes, (ULONG_PTR)caller);
    if (tag == EX_TAG_BIG)
        mk_bugcheck(BAD_POOL_CALLER, 0x9C, type, bytes, (ULONG_PTR)caller);
    mk_bugcheck(BAD_POOL_CALLER, 0x9D, tag, type, (ULONG_PTR)caller);
}

/* The last tag this thread had accepted: drivers allocate with a handful of
 * tags, so the full check runs once per tag change. Starts as a tag the
 * check rejects (0xFF bytes), so no tag is accepted unchecked. */
static MK_TLS ULONG ex_tag_ok = 0xFFFFFFFFu;

static MK_NOINLINE void ex_check_tag_full(ULONG tag, ULONG_PTR type, SIZE_T bytes, void *caller)
{
    /* each byte 0 or printable, at least one letter or digit (no isalnum():
     * it would go through the locale on every allocation) */
    unsigned alnum = 0, bad = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = (tag >> (8 * i)) & 0xFF;
        bad |= (c != 0) & ((c - 0x20u) > (0x7Eu - 0x20u));
        alnum |= ((c - '0') < 10u) | (((c | 0x20u) - 'a') < 26u);
    }
    if (MK_UNLIKELY(bad || !alnum || tag == EX_TAG_BIG))
        ex_bad_tag(tag, type, bytes, caller);
    ex_tag_ok = tag;
}

static inline void ex_check_tag(ULONG tag, ULONG_PTR type, SIZE_T bytes, void *caller)
{
    if (MK_UNLIKELY(tag != ex_tag_ok))
        ex_check_tag_full(tag, type, bytes, caller);
}

/* Decodes a POOL_TYPE into a heap; reports unusable types. */
static mk_pool_heap ex_heap_of(POOL_TYPE type, SIZE_T bytes, ULONG tag, unsigned *flags)
{
    ULONG t = (ULONG)type & ~(ULONG)EX_TYPE_FLAGS;
    int nx = (t & POOL_NX_ALLOCATION) != 0;
    t &= ~(ULONG)(POOL_NX_ALLOCATION | 32u /* session */);
    if (t == NonPagedPoolMustSucceed || t == NonPagedPoolCacheAlignedMustS)
        mk_bugcheck(BAD_POOL_CALLER, 0x9A, (ULONG_PTR)type, bytes, tag);
    if (t > NonPagedPoolCacheAligned + 1 || t == DontUseThisType)
        mk_violation(MDLKIT_RULE_POOL_TYPE,
                     "The pool type is not one a driver may use (DontUseThisType, MaxPoolType or unknown bits).",
                     (ULONG_PTR)type, bytes);
    if (nx && !mk_os_at_least(NTDDI_WIN8))
        mk_violation(MDLKIT_RULE_DDI_NOT_AVAILABLE,
                     "NonPagedPoolNx and POOL_NX_ALLOCATION exist only from Windows 8 on; this OS would "
                     "reject the pool type.",
                     NTDDI_WIN8, mk_rt.os);
    if (t == NonPagedPoolCacheAligned || t == PagedPoolCacheAligned)
        *flags |= MK_POOL_CACHE_ALIGNED;
    if (t & 1)
        return nx ? MK_HEAP_NONPAGED_NX : MK_HEAP_PAGED; /* paged NX is just paged */
    return nx ? MK_HEAP_NONPAGED_NX : MK_HEAP_NONPAGED_EXEC;
}

/* mk_ex_allocate's calls (port layers, lookaside lists) are not the
 * driver's own pool type: no code-integrity check (stripped before the pool). */
#define EX_NO_CODEINT 0x80000000u

static void *ex_allocate(POOL_TYPE type, SIZE_T bytes, ULONG tag, ULONG priority, unsigned flags, void *caller)
{
    if (!(flags & EX_NO_CODEINT))
        mk_verifier_codeint_pool((ULONG)type, tag, caller); /* 0x2000000: executable pool (0xC4/0x2000) */
    flags &= ~EX_NO_CODEINT;
    mk_pool_heap h = ex_heap_of(type, bytes, tag, &flags);
    int paged = mk_heap_is_paged(h);
    if (MK_UNLIKELY(mk_irql() > (paged ? APC_LEVEL : DISPATCH_LEVEL)))
        ex_bad_irql((ULONG_PTR)type, bytes, paged);
    if (MK_UNLIKELY(bytes == 0))
        ex_zero_bytes((ULONG_PTR)type, tag);
    ex_check_tag(tag, (ULONG_PTR)type, bytes, caller);
    if ((ULONG)type & POOL_RAISE_IF_ALLOCATION_FAILURE)
        flags |= MK_POOL_RAISE;
    return mk_pool_alloc(h, bytes, tag, flags, priority, caller);
}

void *mk_ex_allocate(POOL_TYPE type, SIZE_T bytes, ULONG tag, ULONG priority, int zero, void *caller)
{
    return ex_allocate(type, bytes, tag, priority, (zero ? MK_POOL_ZERO : 0) | EX_NO_CODEINT, caller);
}

void mk_ex_free(void *p, ULONG tag, void *caller) { mk_pool_free(p, tag, tag != 0, caller); }

PVOID ExAllocatePool(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    MK_ENTER("ExAllocatePool");
    mk_ddi_prohibited_check("ExAllocatePool");
    return ex_allocate(PoolType, NumberOfBytes, EX_TAG_NONE, NormalPoolPriority, 0, __builtin_return_address(0));
}

/* The heap of the three POOL_TYPEs drivers use most when ex_heap_of would
 * accept them without a report and without flags, else -1 (every other
 * type takes ex_allocate). */
static inline int ex_type_fast(POOL_TYPE type)
{
    if ((ULONG)type == NonPagedPoolNx)
        return mk_os_at_least(NTDDI_WIN8) ? MK_HEAP_NONPAGED_NX : -1;
    if ((ULONG)type == NonPagedPool)
        return MK_HEAP_NONPAGED_EXEC; /* code integrity's report is the verifier's: the fast path is off then */
    return (ULONG)type == PagedPool ? MK_HEAP_PAGED : -1;
}

static MK_NOINLINE void *ex_allocate_full(POOL_TYPE type, SIZE_T bytes, ULONG tag, void *caller)
{
    return ex_allocate(type, bytes, tag, NormalPoolPriority, 0, caller);
}

/* ExAllocatePoolWithTag after its fast path's checks passed (a pool type
 * of ex_type_fast, the tag this thread last had accepted, the IRQL) but its
 * inline cache gave no block: a checker on (Pool Tracking's hook runs in
 * the pool), a size over 1024 bytes, an empty cache. What ex_allocate
 * would do besides: the size check, NonPagedPool's code-integrity check. */
static MK_NOINLINE MK_NO_FRAME void *ex_allocate_checked(POOL_TYPE type, SIZE_T bytes, ULONG tag, void *caller)
{
    int h = ex_type_fast(type);
    if (MK_UNLIKELY(bytes == 0 || h == MK_HEAP_NONPAGED_EXEC))
        return ex_allocate_full(type, bytes, tag, caller);
    void *p = mk_pp_alloc_hooked((mk_pool_heap)h, bytes, tag);
    if (MK_LIKELY(p != NULL))
        return mk_pp_allocated(p, bytes, tag, caller);
    return mk_pool_alloc((mk_pool_heap)h, bytes, tag, 0, NormalPoolPriority, caller);
}

/* ExAllocatePoolWithTag called from driver code while a port layer's
 * prohibited-DDI rule is set (HwStorPortProhibitedDDIs): the rule's
 * question, then the full path. Out of the DDI's way: a call there would
 * make it keep registers. */
static MK_NOINLINE void *ex_allocate_prohibited(POOL_TYPE type, SIZE_T bytes, ULONG tag, void *caller)
{
    mk_ddi_prohibited_check("ExAllocatePoolWithTag");
    return ex_allocate_full(type, bytes, tag, caller);
}

EX_FAST_DDI PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolWithTag");
    if (MK_UNLIKELY(mk_self.driver != NULL) && mk_hook.prohibited_ddi)
        return ex_allocate_prohibited(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
    /* the checker-off fast path (poolpage.h): a known type, the tag this
     * thread last had accepted, the IRQL allowed, a cached block */
    int h = ex_type_fast(PoolType);
    if (MK_LIKELY(h >= 0 && Tag == ex_tag_ok && mk_irql() <= DISPATCH_LEVEL - (h == MK_HEAP_PAGED))) {
        void *p = mk_pp_alloc_inline((mk_pool_heap)h, NumberOfBytes, Tag);
        if (MK_LIKELY(p != NULL))
            return p;
        return ex_allocate_checked(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
    }
    return ex_allocate_full(PoolType, NumberOfBytes, Tag, __builtin_return_address(0));
}

PVOID ExAllocatePoolWithTagPriority(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    MK_ENTER("ExAllocatePoolWithTagPriority");
    mk_ddi_prohibited_check("ExAllocatePoolWithTagPriority");
    return ex_allocate(PoolType, NumberOfBytes, Tag, (ULONG)Priority, 0, __builtin_return_address(0));
}

PVOID ExAllocatePoolZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolZero");
    return ex_allocate(PoolType, NumberOfBytes, Tag, NormalPoolPriority, MK_POOL_ZERO, __builtin_return_address(0));
}

PVOID ExAllocatePoolUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolUninitialized");
    return ex_allocate(PoolType, NumberOfBytes, Tag, NormalPoolPriority, 0, __builtin_return_address(0));
}

static MK_NOINLINE PVOID ex_pool2_fail(POOL_FLAGS Flags)
{
    if (Flags & POOL_FLAG_RAISE_ON_FAILURE)
        mk_raise(STATUS_INSUFFICIENT_RESOURCES);
    return NULL;
}

/* ExAllocatePool2's pool type bits (POOL_FLAG_NON_PAGED, _NON_PAGED_EXECUTE,
 * _PAGED are bits 6..8) -> heap; anything but exactly one of them is invalid. */
static const struct {
    int8_t heap; /* -1: invalid */
    uint8_t max_irql;
    uint16_t type; /* POOL_TYPE for bug-check parameters */
} ex_pool2_kind[8] = {
    [0] = {-1, 0, 0},
    [1] = {MK_HEAP_NONPAGED_NX, DISPATCH_LEVEL, NonPagedPoolNx},
    [2] = {MK_HEAP_NONPAGED_EXEC, DISPATCH_LEVEL, NonPagedPoolExecute},
    [3] = {-1, 0, 0},
    [4] = {MK_HEAP_PAGED, APC_LEVEL, PagedPool},
    [5] = {-1, 0, 0},
    [6] = {-1, 0, 0},
    [7] = {-1, 0, 0},
};

_Static_assert(MK_HEAP_NONPAGED_NX == 1 >> 1 && MK_HEAP_NONPAGED_EXEC == 2 >> 1 && MK_HEAP_PAGED == 4 >> 1,
               "ExAllocatePool2's fast path takes the heap as the pool-type bit / 2");

/* ExAllocatePool2 with a tag this thread has not just used: the full tag
 * check, then the allocation (a tail call, so the fast path saves no
 * registers). */
static MK_NOINLINE PVOID ex_pool2_new_tag(mk_pool_heap h, SIZE_T bytes, ULONG tag, unsigned flags, ULONG_PTR type,
                                          void *caller)
{
    ex_check_tag_full(tag, type, bytes, caller);
    return mk_pool_alloc(h, bytes, tag, flags, NormalPoolPriority, caller);
}

/* ExAllocatePool2 failed on its flags: with the lint category on, a POOL_TYPE
 * value given as the flags (NonPagedPool, PagedPool, NonPagedPoolNx...: none
 * has a pool-type bit of POOL_FLAGS) is reported before the call fails. */
static MK_NOINLINE PVOID ex_pool2_fail_lint(POOL_FLAGS Flags, ULONG Tag, void *caller)
{
    if (mk_lint_on() && Tag != 0 && (Flags & ~(POOL_FLAGS)(POOL_NX_ALLOCATION | POOL_RAISE_IF_ALLOCATION_FAILURE |
                                                          POOL_COLD_ALLOCATION | 7u)) == 0)
        mk_lint(MDLKIT_RULE_LINT_POOL2_TYPE,
                "ExAllocatePool2 was given a POOL_TYPE value as its POOL_FLAGS (e.g. NonPagedPoolNx for "
                "POOL_FLAG_NON_PAGED): no pool-type flag is set and the call fails",
                (ULONG_PTR)Flags, Tag, caller);
    return ex_pool2_fail(Flags);
}

static MK_NORETURN MK_NOINLINE void ex_pool2_not_available(void)
{
    mk_violation(MDLKIT_RULE_DDI_NOT_AVAILABLE,
                 "ExAllocatePool2 exists only from Windows 10, version 2004 on; a driver importing it "
                 "would not load on this OS.",
                 NTDDI_WIN10_VB, mk_rt.os);
}

/* mk_pool_alloc's flags of an ExAllocatePool2 call: POOL_FLAG_UNINITIALIZED
 * (2) clears MK_POOL_ZERO (1); POOL_FLAG_CACHE_ALIGNED (8) is
 * MK_POOL_CACHE_ALIGNED (2); POOL_FLAG_RAISE_ON_FAILURE (0x20) is
 * MK_POOL_RAISE (8). */
static inline __attribute__((always_inline)) unsigned ex_pool2_flags(POOL_FLAGS Flags)
{
    return (unsigned)(((~Flags & POOL_FLAG_UNINITIALIZED) >> 1) | ((Flags & POOL_FLAG_CACHE_ALIGNED) >> 2) |
                      ((Flags & POOL_FLAG_RAISE_ON_FAILURE) >> 2));
}

/* ExAllocatePool2/3's flags: -1 for unknown required flags, reserved or
 * OS-only ones, anything but exactly one pool type, or a zero tag (the
 * caller fails the call); otherwise the heap, the POOL_TYPE reported in
 * bug checks and mk_pool_alloc's flags, after the IRQL and size checks.
 * Unknown optional flags (high 32 bits) are ignored. */
static inline __attribute__((always_inline)) int ex_pool2_decode(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag,
                                                                 int *heap, ULONG_PTR *type, unsigned *flags)
{
    unsigned k = (unsigned)(Flags >> 6) & 7u;
    int h = ex_pool2_kind[k].heap;
    if (MK_UNLIKELY((Flags & EX_FLAGS_REQUIRED & ~EX_FLAGS_KNOWN) != 0 || h < 0 || Tag == 0))
        return -1;
    *heap = h;
    *type = ex_pool2_kind[k].type;
    if (MK_UNLIKELY(mk_irql() > ex_pool2_kind[k].max_irql))
        ex_bad_irql(*type, NumberOfBytes, h == MK_HEAP_PAGED);
    if (MK_UNLIKELY(NumberOfBytes == 0))
        ex_zero_bytes(*type, Tag);
    *flags = ex_pool2_flags(Flags);
    return 0;
}

/* ExAllocatePool2 with every check, from the start (its fast path below
 * changed nothing). */
static MK_NOINLINE PVOID ex_pool2_full(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, void *caller)
{
    MK_ENTER("ExAllocatePool2");
    if (MK_UNLIKELY(!mk_os_at_least(NTDDI_WIN10_VB)))
        ex_pool2_not_available();
    /* Unknown required flags, reserved/OS-only ones, and anything but exactly
     * one pool type fail; unknown optional flags (high 32 bits) are ignored. */
    int h;
    ULONG_PTR type;
    unsigned flags;
    if (MK_UNLIKELY(ex_pool2_decode(Flags, NumberOfBytes, Tag, &h, &type, &flags)))
        return ex_pool2_fail_lint(Flags, Tag, caller);
    if (MK_UNLIKELY(h == MK_HEAP_NONPAGED_EXEC)) /* 0x2000000: POOL_FLAG_NON_PAGED_EXECUTE (0xC4/0x2000) */
        mk_verifier_codeint(0x2000, NonPagedPoolExecute, Tag, caller);
    if (MK_UNLIKELY(Tag != ex_tag_ok))
        return ex_pool2_new_tag((mk_pool_heap)h, NumberOfBytes, Tag, flags, type, caller);
    return mk_pool_alloc((mk_pool_heap)h, NumberOfBytes, Tag, flags, NormalPoolPriority, caller);
}

/* ExAllocatePool2 after its fast path's checks passed (known flags naming
 * one pool type, no cache alignment, the tag this thread last had accepted,
 * the IRQL, the version) but its inline cache gave no block: a checker on
 * (Pool Tracking's hook runs in the pool), a size over 1024 bytes, an empty
 * cache. What ex_pool2_full would check besides: the machine up, the size,
 * executable pool's code-integrity check. */
static MK_NOINLINE MK_NO_FRAME PVOID ex_pool2_checked(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, void *caller)
{
    mk_pool_heap h = (mk_pool_heap)(((unsigned)(Flags >> 6) & 7u) >> 1);
    if (MK_UNLIKELY(!mk_rt.up || NumberOfBytes == 0 || h == MK_HEAP_NONPAGED_EXEC))
        return ex_pool2_full(Flags, NumberOfBytes, Tag, caller);
    /* an option on that keeps the pool's fast paths (Pool Tracking, I/O
     * verification, ...): a block from this thread's cache, then the hook
     * (tail calls only: no frame kept) */
    void *p = mk_pp_alloc_hooked(h, NumberOfBytes, Tag);
    if (MK_LIKELY(p != NULL)) {
        if (!(Flags & POOL_FLAG_UNINITIALIZED))
            return mk_pp_alloc_done(p, NumberOfBytes, Tag, MK_POOL_ZERO, caller);
        return mk_pp_allocated(p, NumberOfBytes, Tag, caller);
    }
    return mk_pool_alloc(h, NumberOfBytes, Tag, ex_pool2_flags(Flags), NormalPoolPriority, caller);
}

/* The checker-off fast path, inline (poolpage.h): known flags naming one
 * pool type and no cache alignment, the tag this thread last had accepted
 * (never 0), the IRQL allowed, 1..1024 bytes, a block in this thread's
 * cache. The machine being up is implied (a thread's tag counter entries
 * are emptied when a machine stops). Anything else: ex_pool2_full, which
 * starts over. */
EX_FAST_DDI PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
    /* exactly one pool-type bit: 1 NX, 2 execute, 4 paged; its heap is k / 2
     * (ex_pool2_kind without a load: the thread's bins are the next load) */
    unsigned k = (unsigned)(Flags >> 6) & 7u;
    mk_pool_heap h = (mk_pool_heap)(k >> 1);
    if (MK_LIKELY((Flags & EX_FLAGS_REQUIRED & ~(EX_FLAGS_KNOWN & ~(POOL_FLAGS)POOL_FLAG_CACHE_ALIGNED)) == 0 &&
                  ((0x16u >> k) & 1u) /* k is 1, 2 or 4 */ && Tag == ex_tag_ok &&
                  mk_irql() <= DISPATCH_LEVEL - (k >> 2) &&
                  mk_os_at_least(NTDDI_WIN10_VB))) {
        /* two copies: each counts into its pool type's column without computing it */
        void *p = h == MK_HEAP_PAGED ? mk_pp_alloc_inline(MK_HEAP_PAGED, NumberOfBytes, Tag)
                                     : mk_pp_alloc_inline(h, NumberOfBytes, Tag);
        if (MK_LIKELY(p != NULL)) {
            if (!(Flags & POOL_FLAG_UNINITIALIZED))
                return memset(p, 0, NumberOfBytes);
            return p;
        }
        return ex_pool2_checked(Flags, NumberOfBytes, Tag, __builtin_return_address(0));
    }
    return ex_pool2_full(Flags, NumberOfBytes, Tag, __builtin_return_address(0));
}

/* ------------------------------------------------------------------------
 * Quota and priority variants, ExAllocatePool3, the NX opt-in.
 *
 * mdlkit keeps no per-process quota, so quota variants succeed or fail as
 * the allocation itself does; a failure raises STATUS_INSUFFICIENT_RESOURCES
 * unless POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is in the pool type (as
 * documented). Quota is charged to the current process, so callers must be
 * at IRQL <= APC_LEVEL. The Zero/Uninitialized forms answer on every
 * emulated version, as a POOL_ZERO_DOWN_LEVEL_SUPPORT build does
 * (docs/ddi-notes.md "Pool").
 * ---------------------------------------------------------------------- */
POOL_TYPE ExDefaultNonPagedPoolType = NonPagedPoolExecute;
ULONG ExDefaultMdlProtection = 0;

void ExInitializeDriverRuntime(ULONG RuntimeFlags)
{
    MK_ENTER("ExInitializeDriverRuntime");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, ExInitializeDriverRuntime);
    if ((RuntimeFlags & DrvRtPoolNxOptIn) && mk_os_at_least(NTDDI_WIN8)) {
        ExDefaultNonPagedPoolType = NonPagedPoolNx;
        ExDefaultMdlProtection = MdlMappingNoExecute;
    }
}

static void *ex_quota_allocate(POOL_TYPE type, SIZE_T bytes, ULONG tag, unsigned flags, void *caller,
                               const void *routine)
{
    if (MK_UNLIKELY(mk_irql() > APC_LEVEL))
        mk_irql_fail(routine, caller);
    if (!((ULONG)type & POOL_QUOTA_FAIL_INSTEAD_OF_RAISE))
        flags |= MK_POOL_RAISE;
    return ex_allocate(type, bytes, tag, NormalPoolPriority, flags, caller);
}

PVOID ExAllocatePoolWithQuota(POOL_TYPE PoolType, SIZE_T NumberOfBytes)
{
    MK_ENTER("ExAllocatePoolWithQuota");
    return ex_quota_allocate(PoolType, NumberOfBytes, EX_TAG_NONE, 0, __builtin_return_address(0),
                             (const void *)ExAllocatePoolWithQuota);
}

PVOID ExAllocatePoolWithQuotaTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolWithQuotaTag");
    return ex_quota_allocate(PoolType, NumberOfBytes, Tag, 0, __builtin_return_address(0),
                             (const void *)ExAllocatePoolWithQuotaTag);
}

PVOID ExAllocatePoolQuotaZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolQuotaZero");
    return ex_quota_allocate(PoolType, NumberOfBytes, Tag, MK_POOL_ZERO, __builtin_return_address(0),
                             (const void *)ExAllocatePoolQuotaZero);
}

PVOID ExAllocatePoolQuotaUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    MK_ENTER("ExAllocatePoolQuotaUninitialized");
    return ex_quota_allocate(PoolType, NumberOfBytes, Tag, 0, __builtin_return_address(0),
                             (const void *)ExAllocatePoolQuotaUninitialized);
}

PVOID ExAllocatePoolPriorityZero(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    MK_ENTER("ExAllocatePoolPriorityZero");
    return ex_allocate(PoolType, NumberOfBytes, Tag, (ULONG)Priority, MK_POOL_ZERO, __builtin_return_address(0));
}

PVOID ExAllocatePoolPriorityUninitialized(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag,
                                          EX_POOL_PRIORITY Priority)
{
    MK_ENTER("ExAllocatePoolPriorityUninitialized");
    return ex_allocate(PoolType, NumberOfBytes, Tag, (ULONG)Priority, 0, __builtin_return_address(0));
}

/* ExAllocatePool3: ExAllocatePool2 plus extended parameters. A priority
 * applies it; a NUMA node is accepted (one node: every node is that one);
 * secure pool needs virtualization-based security, which the simulated
 * machine lacks, so such a request fails (NULL, or the raise
 * POOL_FLAG_RAISE_ON_FAILURE asks for); an unknown type, or two of one
 * type, fails the same way. */
PVOID ExAllocatePool3(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag, PCPOOL_EXTENDED_PARAMETER ExtendedParameters,
                      ULONG ExtendedParametersCount)
{
    MK_ENTER("ExAllocatePool3");
    if (MK_UNLIKELY(!mk_os_at_least(NTDDI_WIN10_VB)))
        mk_violation(MDLKIT_RULE_DDI_NOT_AVAILABLE,
                     "ExAllocatePool3 exists only from Windows 10, version 2004 on; a driver importing it "
                     "would not load on this OS.",
                     NTDDI_WIN10_VB, mk_rt.os);
    ULONG priority = NormalPoolPriority;
    unsigned seen = 0;
    if (ExtendedParametersCount && !ExtendedParameters)
        return ex_pool2_fail(Flags);
    for (ULONG i = 0; i < ExtendedParametersCount; i++) {
        const POOL_EXTENDED_PARAMETER *p = &ExtendedParameters[i];
        unsigned t = (unsigned)p->Type;
        if (t == PoolExtendedParameterInvalidType || t >= PoolExtendedParameterMax || (seen & (1u << t)))
            return ex_pool2_fail(Flags);
        seen |= 1u << t;
        if (t == PoolExtendedParameterPriority)
            priority = (ULONG)p->Priority;
        else if (t == PoolExtendedParameterSecurePool)
            return ex_pool2_fail(Flags);
    }
    int h;
    ULONG_PTR type;
    unsigned flags;
    if (MK_UNLIKELY(ex_pool2_decode(Flags, NumberOfBytes, Tag, &h, &type, &flags)))
        return ex_pool2_fail_lint(Flags, Tag, __builtin_return_address(0));
    if (MK_UNLIKELY(h == MK_HEAP_NONPAGED_EXEC)) /* 0x2000000 (0xC4/0x2000) */
        mk_verifier_codeint(0x2000, NonPagedPoolExecute, Tag, __builtin_return_address(0));
    ex_check_tag_full(Tag, type, NumberOfBytes, __builtin_return_address(0));
    return mk_pool_alloc((mk_pool_heap)h, NumberOfBytes, Tag, flags, priority, __builtin_return_address(0));
}

/* A free with the lint category on: its question about the block's
 * allocator family, then the pool's free. */
static MK_NOINLINE void ex_free_linted(PVOID P, ULONG Tag, int check_tag, const char *routine, void *caller)
{
    mk_lint_family_free(P, MK_FAMILY_EX, routine, caller);
    mk_pool_free(P, Tag, check_tag, caller);
}

/* The frees with every check, from the start (the fast path below changed
 * nothing): ExFreePool (check_tag 0) and ExFreePoolWithTag (1). Tail calls
 * only: no frame of its own. */
static MK_NOINLINE MK_NO_FRAME void ex_free_full(PVOID P, ULONG Tag, int check_tag, void *caller)
{
    MK_ENTER(check_tag ? "ExFreePoolWithTag" : "ExFreePool");
    if (mk_lint_on())
        ex_free_linted(P, Tag, check_tag,
                       check_tag ? "ExFreePoolWithTag freed a block NdisAllocateMemoryWithTagPriority or "
                                   "StorPortAllocatePool returned (P4: 1 NDIS, 2 StorPort)"
                                 : "ExFreePool freed a block NdisAllocateMemoryWithTagPriority or "
                                   "StorPortAllocatePool returned (P4: 1 NDIS, 2 StorPort)",
                       caller);
    else if (__atomic_load_n(&mk_pp_fast.hooks, __ATOMIC_RELAXED) == PP_HK_TRACKING)
        mk_pp_free_tracked(P, Tag, caller); /* (mk_pool_free's first step, without its call; Tag 0 checks none) */
    else
        mk_pool_free(P, Tag, check_tag, caller);
}

/* The checker-off fast path, inline (poolpage.h): a valid free of a small
 * block into this thread's cache, with no hook on (the lint category, which
 * asks about the block's allocator family, is one). The machine being up is
 * implied (the pool's windows are empty when it is not). */
EX_FAST_DDI void ExFreePool(PVOID P)
{
    if (MK_LIKELY(mk_pp_free_inline(P, 0)))
        return;
    ex_free_full(P, 0, 0, __builtin_return_address(0));
}

EX_FAST_DDI void ExFreePoolWithTag(PVOID P, ULONG Tag)
{
    if (MK_LIKELY(mk_pp_free_inline(P, Tag)))
        return;
    ex_free_full(P, Tag, 1, __builtin_return_address(0));
}

/* ------------------------------------------------------------------------
 * Harness API and start/stop
 * ---------------------------------------------------------------------- */
void mdlkit_pool_memory_get(mdlkit_pool_memory *out)
{
    MK_ENTER("mdlkit_pool_memory_get");
    mk_pool_memstat m;
    mk_pool_memstat_get(&m);
    out->segments = m.segments;
    out->small_pages = m.small_pages;
    out->big_pages = m.big_pages;
    out->metadata_bytes = m.metadata_bytes;
}

/* The run-time library's string allocator (RtlAnsiStringToUnicodeString,
 * RtlCreateUnicodeString, ...): paged pool, tag "Strg". */
static void *ex_rtl_string_alloc(SIZE_T bytes)
{
    return ex_allocate(PagedPool, bytes, MK_RTL_STRING_TAG, NormalPoolPriority, 0, __builtin_return_address(0));
}

/* The free is untagged (ExFreePool), as Windows' string free routine is:
 * a buffer of any tag given to RtlFree*String is freed. */
static void ex_rtl_string_free(void *p) { mk_pool_free(p, 0, 0, __builtin_return_address(0)); }

int mk_pool_init(void)
{
    mk_rtl_set_string_allocator(ex_rtl_string_alloc, ex_rtl_string_free);
    mk_mdl_records_reset(); /* the MDL records of a previous machine */
    ExDefaultNonPagedPoolType = NonPagedPoolExecute; /* no driver has opted in to NX yet */
    ExDefaultMdlProtection = 0;
    if (mk_pooltag_init())
        return -1;
    if (mk_poolpage_init()) {
        mk_pooltag_shutdown();
        return -1;
    }
    return 0;
}

void mk_pool_shutdown(void)
{
    mk_mdl_records_reset();
    mk_poolpage_shutdown();
    mk_pooltag_shutdown();
}
