/* The bad-input matrix: every row passes one documented bad value or
 * boundary to one DDI or harness function and asserts the documented (or,
 * where Windows documents nothing, the strict) outcome: a value, a status,
 * a raised exception, or the exact bug check. docs/reliability.md lists the
 * rows and why. A crash of mdlkit's own is a failure of the whole program. */
#include "testutil.h"
#include <ndis.h>
#include <storport.h>

#include "mk_machine.h"

#include <stdlib.h>
#include <string.h>

#define BI_TAG 'iBRT'

/* ---- the addresses every pointer argument is tried with ---- */
enum bi_where {
    W_NULL, W_ONE, W_KERNEL_LOOKING, W_HOST_STACK, W_HOST_GLOBAL, W_HOST_HEAP, W_USER, W_NPOOL_FREE, W_NPOOL_INSIDE,
    W_PPOOL_INSIDE, W_DIRECT, W_SYSMAP, W_COUNT
};
static const char *const bi_where_name[W_COUNT] = {
    "NULL", "(void*)1", "0xFFFF800000000000", "host stack", "host global", "host heap", "user region",
    "non-paged pool never allocated", "inside a non-paged block", "inside a paged block", "direct map",
    "system mapping"};

static char g_global[64];
static struct {
    void *addr[W_COUNT];
    void *heap, *user, *np, *pp, *np_unused;
    PMDL map_mdl;
} W;

static void where_setup(void)
{
    static char stack_like[64]; /* the real stack is set in each row */
    memset(&W, 0, sizeof W);
    W.heap = malloc(64);
    W.user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    W.np = ExAllocatePoolWithTag(NonPagedPoolNx, 256, BI_TAG);
    W.pp = ExAllocatePoolWithTag(PagedPool, 256, BI_TAG);
    /* A page of non-paged pool that never held a block: the region's last
     * page (pool grows from the start). */
    W.np_unused = mk_as.rgn_end[MK_RGN_NPOOL] - PAGE_SIZE;
    /* A system mapping: a locked user buffer mapped to system space. */
    W.map_mdl = IoAllocateMdl(W.user, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmProbeAndLockPages(W.map_mdl, KernelMode, IoWriteAccess);
    void *sys = MmGetSystemAddressForMdlSafe(W.map_mdl, NormalPagePriority | MdlMappingNoExecute);
    PHYSICAL_ADDRESS pa = MmGetPhysicalAddress(W.np);
    W.addr[W_NULL] = NULL;
    W.addr[W_ONE] = (void *)1;
    W.addr[W_KERNEL_LOOKING] = (void *)0xFFFF800000000000ULL;
    W.addr[W_HOST_STACK] = stack_like;
    W.addr[W_HOST_GLOBAL] = g_global;
    W.addr[W_HOST_HEAP] = W.heap;
    W.addr[W_USER] = W.user;
    W.addr[W_NPOOL_FREE] = W.np_unused;
    W.addr[W_NPOOL_INSIDE] = (char *)W.np + 16;
    W.addr[W_PPOOL_INSIDE] = (char *)W.pp + 16;
    W.addr[W_DIRECT] = mdlkit_phys_to_va(pa);
    W.addr[W_SYSMAP] = sys;
}
static void where_teardown(void)
{
    MmUnlockPages(W.map_mdl);
    IoFreeMdl(W.map_mdl);
    ExFreePoolWithTag(W.np, BI_TAG);
    ExFreePoolWithTag(W.pp, BI_TAG);
    mdlkit_user_free(W.user);
    free(W.heap);
}

/* ---- one call, its outcome ---- */
typedef struct outcome {
    int bugchecked;
    mdlkit_bugcheck bc;
    NTSTATUS raised;
} outcome;
static void (*g_fn)(void *);
static volatile NTSTATUS g_raised;
static void tramp(void *arg)
{
    g_raised = 0;
    MDLKIT_TRY { g_fn(arg); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { g_raised = GetExceptionCode(); }
    MDLKIT_END;
}
static outcome call(void (*fn)(void *), void *arg)
{
    outcome o;
    memset(&o, 0, sizeof o);
    g_fn = fn;
    o.bugchecked = mdlkit_catch_bugcheck(tramp, arg, &o.bc);
    o.raised = o.bugchecked ? 0 : g_raised;
    return o;
}

#define ANY MK_ANY
typedef struct expect {
    int kind; /* 0 returns, 1 raises, 2 bug check */
    NTSTATUS status;
    ULONG code;
    ULONG_PTR p[4];
} expect;
#define RETURNS {0, 0, 0, {0, 0, 0, 0}}
#define RAISES(s) {1, (s), 0, {0, 0, 0, 0}}
#define BUGCHECK(c, a, b, d, e) {2, 0, (c), {(ULONG_PTR)(a), (ULONG_PTR)(b), (ULONG_PTR)(d), (ULONG_PTR)(e)}}

static void check_outcome(const char *row, outcome o, expect e)
{
    if (e.kind == 2) {
        if (!o.bugchecked || o.bc.code != e.code) {
            print_error("%s: expected bug check 0x%X, got %s 0x%X (raised 0x%08X)\n", row, e.code,
                        o.bugchecked ? "bug check" : "no bug check", o.bc.code, (unsigned)o.raised);
            fail();
        }
        for (int i = 0; i < 4; i++)
            if (e.p[i] != ANY && e.p[i] != o.bc.param[i]) {
                print_error("%s: bug check 0x%X P%d = 0x%lx, expected 0x%lx\n", row, e.code, i + 1,
                            (unsigned long)o.bc.param[i], (unsigned long)e.p[i]);
                fail();
            }
        return;
    }
    if (o.bugchecked) {
        print_error("%s: unexpected bug check 0x%X (%lx, %lx, %lx, %lx)\n", row, o.bc.code,
                    (unsigned long)o.bc.param[0], (unsigned long)o.bc.param[1], (unsigned long)o.bc.param[2],
                    (unsigned long)o.bc.param[3]);
        fail();
    }
    if ((e.kind == 1 ? e.status : 0) != o.raised) {
        print_error("%s: expected %s 0x%08X, got exception 0x%08X\n", row, e.kind ? "exception" : "no exception",
                    (unsigned)e.status, (unsigned)o.raised);
        fail();
    }
}

/* ======================================================================
 * Matrix 1: the free routines given an address in each region.
 * ==================================================================== */
static void c_exfreepool(void *a) { ExFreePool(a); }
static void c_exfreepoolwithtag(void *a) { ExFreePoolWithTag(a, BI_TAG); }

static expect free_expect(int w)
{
    void *a = W.addr[w];
    switch (w) {
    case W_USER: { expect e = BUGCHECK(BAD_POOL_CALLER, 0x40, a, MmSystemRangeStart, 0); return e; }
    case W_NPOOL_FREE: { expect e = BUGCHECK(BAD_POOL_CALLER, 0x41, a, ANY, ANY); return e; }
    case W_NPOOL_INSIDE: { expect e = BUGCHECK(BAD_POOL_CALLER, 0x99, a, W.np, 0); return e; }
    case W_PPOOL_INSIDE: { expect e = BUGCHECK(BAD_POOL_CALLER, 0x41286, a, W.pp, 0); return e; }
    default: { expect e = BUGCHECK(BAD_POOL_CALLER, 0x42, a, 0, 0); return e; }
    }
}

static void test_free_routines_by_region(void **state)
{
    (void)state;
    where_setup();
    char stack[64];
    W.addr[W_HOST_STACK] = stack;
    for (int w = 0; w < W_COUNT; w++) {
        char row[128];
        snprintf(row, sizeof row, "ExFreePool(%s)", bi_where_name[w]);
        check_outcome(row, call(c_exfreepool, W.addr[w]), free_expect(w));
        snprintf(row, sizeof row, "ExFreePoolWithTag(%s)", bi_where_name[w]);
        check_outcome(row, call(c_exfreepoolwithtag, W.addr[w]), free_expect(w));
    }
    /* Nothing was freed by any of those: the real blocks are intact. */
    where_teardown();
}

/* ======================================================================
 * Matrix 2: pool allocation boundaries and bad values.
 * ==================================================================== */
typedef struct pa_args {
    int api;
    POOL_TYPE type;
    POOL_FLAGS flags;
    SIZE_T bytes;
    ULONG tag;
    PVOID out;
} pa_args;
static void c_pool_alloc(void *v)
{
    pa_args *a = v;
    switch (a->api) {
    case 0: a->out = ExAllocatePoolWithTag(a->type, a->bytes, a->tag); break;
    case 1: a->out = ExAllocatePool2(a->flags, a->bytes, a->tag); break;
    default: a->out = ExAllocatePool(a->type, a->bytes); break;
    }
}

static const struct pool_row {
    const char *name;
    pa_args args;
    expect e;
    int want_null; /* for RETURNS rows: 1 = NULL expected, 0 = a block */
} pool_rows[] = {
    {"ExAllocatePoolWithTag zero bytes", {0, NonPagedPoolNx, 0, 0, BI_TAG, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x00, 0, NonPagedPoolNx, BI_TAG), 0},
    {"ExAllocatePoolWithTag tag 0", {0, NonPagedPoolNx, 0, 16, 0, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x9B, NonPagedPoolNx, 16, ANY), 0},
    {"ExAllocatePoolWithTag tag ' GIB'", {0, PagedPool, 0, 16, ' GIB', NULL}, BUGCHECK(BAD_POOL_CALLER, 0x9C, PagedPool, 16, ANY), 0},
    {"ExAllocatePoolWithTag tag with no letter", {0, NonPagedPoolNx, 0, 16, '----', NULL}, BUGCHECK(BAD_POOL_CALLER, 0x9D, '----', NonPagedPoolNx, ANY), 0},
    {"ExAllocatePoolWithTag tag byte 0x01", {0, NonPagedPoolNx, 0, 16, 0x41414101, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x9D, 0x41414101, NonPagedPoolNx, ANY), 0},
    {"ExAllocatePoolWithTag must-succeed", {0, NonPagedPoolMustSucceed, 0, 16, BI_TAG, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x9A, NonPagedPoolMustSucceed, 16, BI_TAG), 0},
    {"ExAllocatePoolWithTag DontUseThisType", {0, DontUseThisType, 0, 16, BI_TAG, NULL}, BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_POOL_TYPE, ANY, DontUseThisType, 16), 0},
    {"ExAllocatePoolWithTag MaxPoolType", {0, MaxPoolType, 0, 16, BI_TAG, NULL}, BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_POOL_TYPE, ANY, MaxPoolType, 16), 0},
    {"ExAllocatePoolWithTag type 0x7777", {0, (POOL_TYPE)0x7777, 0, 16, BI_TAG, NULL}, BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_POOL_TYPE, ANY, 0x7777, 16), 0},
    {"ExAllocatePoolWithTag SIZE_MAX", {0, NonPagedPoolNx, 0, (SIZE_T)-1, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePoolWithTag SIZE_MAX/2", {0, PagedPool, 0, (SIZE_T)-1 / 2, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePoolWithTag 4 GiB + 1", {0, NonPagedPoolNx, 0, ((SIZE_T)4 << 30) + 1, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePoolWithTag SIZE_MAX with raise flag", {0, (POOL_TYPE)(NonPagedPoolNx | POOL_RAISE_IF_ALLOCATION_FAILURE), 0, (SIZE_T)-1, BI_TAG, NULL}, RAISES(STATUS_INSUFFICIENT_RESOURCES), 0},
    {"ExAllocatePoolWithTag 1 byte", {0, NonPagedPoolNx, 0, 1, BI_TAG, NULL}, RETURNS, 0},
    {"ExAllocatePoolWithTag PAGE_SIZE", {0, PagedPool, 0, PAGE_SIZE, BI_TAG, NULL}, RETURNS, 0},
    {"ExAllocatePoolWithTag PAGE_SIZE+1", {0, NonPagedPoolNx, 0, PAGE_SIZE + 1, BI_TAG, NULL}, RETURNS, 0},
    {"ExAllocatePool2 tag 0", {1, 0, POOL_FLAG_NON_PAGED, 16, 0, NULL}, RETURNS, 1},
    {"ExAllocatePool2 no type flag", {1, 0, 0, 16, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePool2 two type flags", {1, 0, POOL_FLAG_NON_PAGED | POOL_FLAG_PAGED, 16, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePool2 reserved flag", {1, 0, POOL_FLAG_NON_PAGED | POOL_FLAG_RESERVED1, 16, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePool2 SIZE_MAX", {1, 0, POOL_FLAG_PAGED, (SIZE_T)-1, BI_TAG, NULL}, RETURNS, 1},
    {"ExAllocatePool2 tag 0 with raise", {1, 0, POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 16, 0, NULL}, RAISES(STATUS_INSUFFICIENT_RESOURCES), 0},
    {"ExAllocatePool2 zero bytes", {1, 0, POOL_FLAG_NON_PAGED, 0, BI_TAG, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x00, 0, NonPagedPoolNx, BI_TAG), 0},
    {"ExAllocatePool zero bytes", {2, PagedPool, 0, 0, 0, NULL}, BUGCHECK(BAD_POOL_CALLER, 0x00, 0, PagedPool, 'enoN'), 0},
};

static void test_pool_alloc_matrix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof pool_rows / sizeof pool_rows[0]; i++) {
        pa_args a = pool_rows[i].args;
        outcome o = call(c_pool_alloc, &a);
        check_outcome(pool_rows[i].name, o, pool_rows[i].e);
        if (pool_rows[i].e.kind == 0) {
            if (pool_rows[i].want_null && a.out != NULL) {
                print_error("%s: expected NULL, got %p\n", pool_rows[i].name, a.out);
                fail();
            }
            if (!pool_rows[i].want_null && a.out == NULL) {
                print_error("%s: expected a block, got NULL\n", pool_rows[i].name);
                fail();
            }
        }
        if (a.out)
            ExFreePool(a.out);
    }
}

/* Pool at a wrong IRQL: paged above APC_LEVEL, anything above DISPATCH. */
static void c_alloc_at(void *v)
{
    pa_args *a = v;
    KIRQL old;
    KeRaiseIrql((KIRQL)a->tag, &old);
    a->out = ExAllocatePoolWithTag(a->type, a->bytes, BI_TAG);
    KeLowerIrql(old);
}
static void test_pool_irql_matrix(void **state)
{
    (void)state;
    pa_args a = {0, PagedPool, 0, 32, DISPATCH_LEVEL, NULL};
    check_outcome("paged alloc at DISPATCH", call(c_alloc_at, &a),
                  (expect)BUGCHECK(BAD_POOL_CALLER, 0x08, DISPATCH_LEVEL, PagedPool, 32));
    a.type = NonPagedPoolNx;
    a.tag = HIGH_LEVEL;
    check_outcome("non-paged alloc at HIGH_LEVEL", call(c_alloc_at, &a),
                  (expect)BUGCHECK(BAD_POOL_CALLER, 0x08, HIGH_LEVEL, NonPagedPoolNx, 32));
    a.tag = DISPATCH_LEVEL;
    a.out = NULL;
    check_outcome("non-paged alloc at DISPATCH", call(c_alloc_at, &a), (expect)RETURNS);
    assert_non_null(a.out);
    ExFreePool(a.out);
}

/* ======================================================================
 * Matrix 3: MDL routines.
 * ==================================================================== */
typedef struct mdl_args {
    PVOID va;
    ULONG len;
    PMDL mdl, mdl2;
    KPROCESSOR_MODE mode;
    LOCK_OPERATION op;
    PIRP irp;
    BOOLEAN secondary;
} mdl_args;
static void c_ioallocmdl(void *v)
{
    mdl_args *a = v;
    a->mdl = IoAllocateMdl(a->va, a->len, a->secondary, FALSE, a->irp);
}
static void c_iofreemdl(void *v) { IoFreeMdl(((mdl_args *)v)->mdl); }
static void c_probe(void *v)
{
    mdl_args *a = v;
    MmProbeAndLockPages(a->mdl, a->mode, a->op);
}
static void c_unlock(void *v) { MmUnlockPages(((mdl_args *)v)->mdl); }
static void c_build(void *v) { MmBuildMdlForNonPagedPool(((mdl_args *)v)->mdl); }
static void c_partial(void *v)
{
    mdl_args *a = v;
    IoBuildPartialMdl(a->mdl, a->mdl2, a->va, a->len);
}
static void c_unmap(void *v)
{
    mdl_args *a = v;
    MmUnmapLockedPages(a->va, a->mdl);
}

static void test_ioallocatemdl_lengths(void **state)
{
    (void)state;
    char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 64, BI_TAG);
    static const struct { ULONG len; int ok; } rows[] = {
        {0, 1}, {1, 1}, {0xFFFFF000u, 1}, {0xFFFFF001u, 0}, {0xFFFFFFFFu, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        mdl_args a = {b, rows[i].len, NULL, NULL, KernelMode, IoReadAccess, NULL, FALSE};
        check_outcome("IoAllocateMdl length", call(c_ioallocmdl, &a), (expect)RETURNS);
        if (rows[i].ok)
            assert_non_null(a.mdl);
        else
            assert_null(a.mdl);
        if (a.mdl)
            IoFreeMdl(a.mdl);
    }
    /* A range that wraps the address space. */
    mdl_args w = {(PVOID)(~(ULONG_PTR)0 - 100), 4096, NULL, NULL, KernelMode, IoReadAccess, NULL, FALSE};
    outcome o = call(c_ioallocmdl, &w);
    check_outcome("IoAllocateMdl wrapping range", o, (expect)RETURNS);
    if (w.mdl) {
        /* Allowed to describe it; probing it must fail cleanly. */
        w.mode = KernelMode;
        check_outcome("MmProbeAndLockPages wrapping range", call(c_probe, &w), (expect)RAISES(STATUS_ACCESS_VIOLATION));
        IoFreeMdl(w.mdl);
    }
    /* SecondaryBuffer without an IRP. */
    mdl_args s = {b, 64, NULL, NULL, KernelMode, IoReadAccess, NULL, TRUE};
    check_outcome("IoAllocateMdl SecondaryBuffer without IRP", call(c_ioallocmdl, &s),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_IO_ALLOCATE_MDL_SECONDARY, ANY, NULL, b));
    ExFreePoolWithTag(b, BI_TAG);
}

static void test_iofreemdl_bad(void **state)
{
    (void)state;
    mdl_args a = {0};
    check_outcome("IoFreeMdl(NULL)", call(c_iofreemdl, &a), (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, 0, 0, 0));
}

/* Probe of every kind of address, both modes. */
static void test_probe_by_region(void **state)
{
    (void)state;
    where_setup();
    char stack[64];
    W.addr[W_HOST_STACK] = stack;
    void *ro = mdlkit_user_alloc(PAGE_SIZE, PAGE_READONLY);
    void *na = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    static const struct { int w; KPROCESSOR_MODE mode; int ok; } rows[] = {
        {W_NULL, KernelMode, 0},          {W_ONE, KernelMode, 0},         {W_KERNEL_LOOKING, KernelMode, 0},
        {W_HOST_STACK, KernelMode, 1},    {W_HOST_GLOBAL, KernelMode, 1}, {W_HOST_HEAP, KernelMode, 1},
        {W_USER, KernelMode, 1},          {W_NPOOL_INSIDE, KernelMode, 1}, {W_PPOOL_INSIDE, KernelMode, 1},
        {W_DIRECT, KernelMode, 1},        {W_SYSMAP, KernelMode, 1},      {W_NPOOL_FREE, KernelMode, 0},
        {W_NULL, UserMode, 0},            {W_HOST_STACK, UserMode, 0},    {W_KERNEL_LOOKING, UserMode, 0},
        {W_NPOOL_INSIDE, UserMode, 0},    {W_PPOOL_INSIDE, UserMode, 0},  {W_DIRECT, UserMode, 0},
        {W_SYSMAP, UserMode, 0},          {W_USER, UserMode, 1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char row[128];
        snprintf(row, sizeof row, "MmProbeAndLockPages(%s, %s)", bi_where_name[rows[i].w],
                 rows[i].mode ? "UserMode" : "KernelMode");
        mdl_args a = {W.addr[rows[i].w], 16, NULL, NULL, rows[i].mode, IoReadAccess, NULL, FALSE};
        a.mdl = IoAllocateMdl(a.va, a.len, FALSE, FALSE, NULL);
        assert_non_null(a.mdl);
        outcome o = call(c_probe, &a);
        check_outcome(row, o, rows[i].ok ? (expect)RETURNS : (expect)RAISES(STATUS_ACCESS_VIOLATION));
        if (rows[i].ok)
            MmUnlockPages(a.mdl);
        IoFreeMdl(a.mdl);
    }
    /* Protections: read-only for write, no-access for read. */
    static const struct { int ro; LOCK_OPERATION op; KPROCESSOR_MODE mode; int ok; } prot[] = {
        {1, IoReadAccess, UserMode, 1}, {1, IoWriteAccess, UserMode, 0}, {1, IoModifyAccess, KernelMode, 0},
        {0, IoReadAccess, UserMode, 0}, {0, IoReadAccess, KernelMode, 0},
    };
    for (size_t i = 0; i < sizeof prot / sizeof prot[0]; i++) {
        mdl_args a = {prot[i].ro ? ro : na, PAGE_SIZE, NULL, NULL, prot[i].mode, prot[i].op, NULL, FALSE};
        a.mdl = IoAllocateMdl(a.va, a.len, FALSE, FALSE, NULL);
        outcome o = call(c_probe, &a);
        check_outcome(prot[i].ro ? "probe read-only buffer" : "probe no-access buffer", o,
                      prot[i].ok ? (expect)RETURNS : (expect)RAISES(STATUS_ACCESS_VIOLATION));
        if (prot[i].ok)
            MmUnlockPages(a.mdl);
        IoFreeMdl(a.mdl);
    }
    /* One byte past the end of a user buffer: the guard page. */
    mdl_args g = {(char *)W.user + 2 * PAGE_SIZE - 1, 2, NULL, NULL, UserMode, IoReadAccess, NULL, FALSE};
    g.mdl = IoAllocateMdl(g.va, g.len, FALSE, FALSE, NULL);
    check_outcome("probe one byte past a user buffer", call(c_probe, &g), (expect)RAISES(STATUS_ACCESS_VIOLATION));
    IoFreeMdl(g.mdl);
    /* Past MmUserProbeAddress. */
    mdl_args h = {(PVOID)(MmUserProbeAddress - 8), 16, NULL, NULL, UserMode, IoReadAccess, NULL, FALSE};
    h.mdl = IoAllocateMdl(h.va, h.len, FALSE, FALSE, NULL);
    check_outcome("probe across MmUserProbeAddress", call(c_probe, &h), (expect)RAISES(STATUS_ACCESS_VIOLATION));
    IoFreeMdl(h.mdl);
    mdlkit_user_free(ro);
    mdlkit_user_free(na);
    where_teardown();
}

static void test_mdl_state_misuse(void **state)
{
    (void)state;
    char *b = ExAllocatePoolWithTag(NonPagedPoolNx, 3 * PAGE_SIZE, BI_TAG);
    mdl_args a = {b, 3 * PAGE_SIZE, NULL, NULL, KernelMode, IoReadAccess, NULL, FALSE};
    a.mdl = IoAllocateMdl(b, a.len, FALSE, FALSE, NULL);
    USHORT f = (USHORT)a.mdl->MdlFlags;
    check_outcome("MmUnlockPages never locked", call(c_unlock, &a),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7C, a.mdl, f, 0));
    check_outcome("MmUnmapLockedPages not mapped", call(c_unmap, &(mdl_args){b, 0, a.mdl, NULL, 0, 0, NULL, 0}),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB6, a.mdl, f, MDL_MAPPED_TO_SYSTEM_VA));
    MmBuildMdlForNonPagedPool(a.mdl);
    f = (USHORT)a.mdl->MdlFlags;
    check_outcome("MmProbeAndLockPages on a built MDL", call(c_probe, &a),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB0, a.mdl, f, MDL_SOURCE_IS_NONPAGED_POOL));
    check_outcome("MmUnlockPages on a built MDL", call(c_unlock, &a),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7D, a.mdl, f, 0));
    /* Partial: range outside the source, target too small, length 0. */
    PMDL small = IoAllocateMdl(b, 1, FALSE, FALSE, NULL);
    PMDL big = IoAllocateMdl(b, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    mdl_args p = {b + PAGE_SIZE, 3 * PAGE_SIZE, a.mdl, big, 0, 0, NULL, 0};
    check_outcome("IoBuildPartialMdl past the end", call(c_partial, &p),
                  (expect)BUGCHECK(INVALID_MDL_RANGE, a.mdl, big, b + PAGE_SIZE, 3 * PAGE_SIZE));
    p.va = b - 1;
    p.len = 2;
    check_outcome("IoBuildPartialMdl before the start", call(c_partial, &p),
                  (expect)BUGCHECK(INVALID_MDL_RANGE, a.mdl, big, b - 1, 2));
    p.va = b + 100;
    p.len = 0xFFFFFFFFu;
    check_outcome("IoBuildPartialMdl length MAXULONG", call(c_partial, &p),
                  (expect)BUGCHECK(INVALID_MDL_RANGE, a.mdl, big, b + 100, 0xFFFFFFFFu));
    /* A fixed-size MDL holds 23 pages: a source of more pages is needed. */
    char *huge = ExAllocatePoolWithTag(NonPagedPoolNx, 40 * PAGE_SIZE, BI_TAG);
    PMDL hm = IoAllocateMdl(huge, 40 * PAGE_SIZE, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(hm);
    mdl_args t = {huge, 40 * PAGE_SIZE, hm, small, 0, 0, NULL, 0};
    check_outcome("IoBuildPartialMdl target too small", call(c_partial, &t),
                  (expect)BUGCHECK(TARGET_MDL_TOO_SMALL, 0, 0, 0, 0));
    p.va = b + PAGE_SIZE;
    p.len = 0; /* to the end of the source */
    check_outcome("IoBuildPartialMdl length 0", call(c_partial, &p), (expect)RETURNS);
    assert_int_equal(MmGetMdlByteCount(big), 2 * PAGE_SIZE);
    assert_true(big->MdlFlags & MDL_PARTIAL);
    check_outcome("MmUnlockPages on a partial MDL", call(c_unlock, &(mdl_args){0, 0, big, NULL, 0, 0, NULL, 0}),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB4, big, (USHORT)big->MdlFlags, MDL_PARTIAL));
    IoFreeMdl(big);
    IoFreeMdl(small);
    IoFreeMdl(hm);
    IoFreeMdl(a.mdl);
    ExFreePoolWithTag(huge, BI_TAG);
    ExFreePoolWithTag(b, BI_TAG);
}

/* MmBuildMdlForNonPagedPool on memory that is not mapped. */
static void test_build_unmapped(void **state)
{
    (void)state;
    char *b = mdlkit_user_alloc(3 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m = IoAllocateMdl(b, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    mdlkit_user_free(b); /* its pages are unmapped now */
    mdl_args a = {b, 0, m, NULL, 0, 0, NULL, 0};
    check_outcome("MmBuildMdlForNonPagedPool on unmapped memory", call(c_build, &a),
                  (expect)BUGCHECK(MEMORY_MANAGEMENT, 0x1240, m, ANY, 0));
    IoFreeMdl(m);
}

/* ======================================================================
 * Matrix 4: page allocation and the harness functions.
 * ==================================================================== */
static void test_pages_matrix(void **state)
{
    (void)state;
    PHYSICAL_ADDRESS z, hi, skip, odd;
    z.QuadPart = 0;
    hi.QuadPart = -1;
    skip.QuadPart = 0;
    odd.QuadPart = 100;
    assert_null(MmAllocatePagesForMdlEx(z, hi, skip, 0, MmCached, 0));                    /* zero bytes */
    assert_null(MmAllocatePagesForMdlEx(z, hi, odd, PAGE_SIZE, MmCached, 0));             /* SkipBytes not a page multiple */
    assert_null(MmAllocatePagesForMdlEx(z, hi, skip, PAGE_SIZE, (MEMORY_CACHING_TYPE)77, 0)); /* bad cache type */
    assert_null(MmAllocatePagesForMdlEx(z, hi, skip, PAGE_SIZE, MmCached, 0x80000000u));  /* unknown flag */
    assert_null(MmAllocatePagesForMdlEx(z, hi, skip, (SIZE_T)1 << 40, MmCached, MM_ALLOCATE_FULLY_REQUIRED));
    PMDL m = MmAllocatePagesForMdlEx(z, hi, skip, (SIZE_T)1 << 40, MmCached, 0);
    /* Without FULLY_REQUIRED a partial allocation is allowed: less than asked. */
    if (m) {
        assert_true(MmGetMdlByteCount(m) > 0 && MmGetMdlByteCount(m) % PAGE_SIZE == 0);
        MmFreePagesFromMdl(m);
        ExFreePool(m);
    }
}

static void c_user_free(void *p) { mdlkit_user_free(p); }
static void test_harness_matrix(void **state)
{
    (void)state;
    assert_null(mdlkit_user_alloc(0, PAGE_READWRITE));
    assert_null(mdlkit_user_alloc(PAGE_SIZE, 0x40 /* PAGE_EXECUTE_READWRITE: not offered */));
    assert_null(mdlkit_user_alloc((SIZE_T)-1, PAGE_READWRITE));
    assert_null(mdlkit_user_alloc((SIZE_T)1 << 46, PAGE_READWRITE));
    char stack[16];
    void *u = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    /* NULL is a no-op, as free(NULL). */
    check_outcome("mdlkit_user_free(NULL)", call(c_user_free, NULL), (expect)RETURNS);
    static const int rows[] = {0, 1, 2};
    void *addrs[] = {stack, (char *)u + 16, (void *)0xFFFF800000000000ULL};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        check_outcome("mdlkit_user_free(not a user buffer)", call(c_user_free, addrs[i]),
                      (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_HARNESS_MISUSE, ANY, ANY, ANY));
    assert_int_not_equal(mdlkit_user_protect(u, PAGE_SIZE, 0x40), 0);
    assert_int_not_equal(mdlkit_user_protect(stack, PAGE_SIZE, PAGE_READONLY), 0);
    mdlkit_user_free(u);
    check_outcome("mdlkit_user_free twice", call(c_user_free, u),
                  (expect)BUGCHECK(DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_HARNESS_MISUSE, ANY, ANY, ANY));
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0;
    assert_null(mdlkit_phys_to_va(pa));
    pa.QuadPart = -1;
    assert_null(mdlkit_phys_to_va(pa));
    pa.QuadPart = (LONGLONG)1 << 50;
    assert_null(mdlkit_phys_to_va(pa));
    ULONG os;
    assert_int_equal(mdlkit_parse_os("win95", &os), -1);
    assert_int_equal(mdlkit_parse_os("", &os), -1);
    assert_null(mdlkit_bugcheck_name(0xDEADBEEF));
    assert_int_equal(mdlkit_init(NULL), -1); /* already initialised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_free_routines_by_region, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_alloc_matrix, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pool_irql_matrix, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_ioallocatemdl_lengths, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_iofreemdl_bad, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_probe_by_region, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_mdl_state_misuse, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_build_unmapped, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_pages_matrix, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_harness_matrix, mk_test_setup, mk_test_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
