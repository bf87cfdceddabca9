/*
 * fuzz_ddi_sequence.c -- libFuzzer target: decodes its input into a
 * sequence of DDI calls (pool, MDLs, probe/lock, mappings, partial MDLs,
 * page allocation, StorPort and NDIS memory routines, IRQL changes) and
 * checks every outcome and every byte against the reference model in
 * model.c. Any difference is a finding: abort().
 *
 * Input format: a stream of bytes; each operation is one opcode byte
 * followed by its argument bytes (missing bytes read as 0). At most
 * FUZZ_MAX_OPS operations per input. At the end everything still allocated
 * is freed in the model's order and the machine is checked to be back where
 * it started, so inputs are independent. docs/reliability.md describes the
 * model and the operations.
 *
 * Built with -DFUZZ_VERIFIER_FLAGS=<mdlkit verifier_flags> (fuzz_ddi_tracked:
 * Pool Tracking and DDI compliance; fuzz_ddi_special: Special Pool and Force
 * IRQL Checking too) the machine runs under those verifier options, the
 * model predicts their outcomes (model_set_irql: which paged pool pages a
 * raise to DISPATCH_LEVEL trims), and each input runs as the
 * DriverEntry of a hosted driver loaded for it; after the cleanup the
 * driver is unloaded, and Pool Tracking's leak check at unload must find
 * nothing -- or, for the inputs that leave one object behind on purpose
 * (choose_leak), exactly that object.
 */
#include <mdlkit.h>
#include <ndis.h>
#include "testndis.h"
#include <storport.h>

#include "mk_mdl.h"
#include "model.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_OPS 256

#ifndef FUZZ_VERIFIER_FLAGS
#define FUZZ_VERIFIER_FLAGS 0 /* fuzz_ddi_sequence: no verifier */
#endif

static model M;
static PVOID g_stor_ext;
static NDIS_HANDLE g_ndis;
static mk_mdl_stats g_base_stats;

static const ULONG g_tags[] = {'1zuF', '2zuF', '3zuF', '4zuF'};
#define NTAGS (sizeof g_tags / sizeof g_tags[0])

/* ------------------------------------------------------------------ input */
static const uint8_t *g_in;
static size_t g_len, g_pos;
static unsigned g8(void) { return g_pos < g_len ? g_in[g_pos++] : 0; }
static unsigned g16(void) { return g8() | (g8() << 8); }

/* ------------------------------------------------------------- findings */
static const char *g_op_name = "";
static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void finding(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fuzz: FINDING in %s: ", g_op_name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}
#define CHECK(cond, ...)            \
    do {                            \
        if (!(cond))                \
            finding(__VA_ARGS__);   \
    } while (0)

/* --------------------------------------------------- running one call */
/* MDLKIT_FUZZ_TRACE set: print each call and its expected outcome (for
 * replaying findings). */
static int tracing(void)
{
    static int trace = -1;
    if (trace < 0)
        trace = getenv("MDLKIT_FUZZ_TRACE") != NULL;
    return trace;
}
static void trace_expect(const char *name, model_expect e)
{
    if (!tracing())
        return;
    if (e.kind == EXP_BUGCHECK)
        fprintf(stderr, "fuzz: %s (expect bug check 0x%X, P1 0x%lx)\n", name, e.code, (unsigned long)e.p[0]);
    else if (e.kind == EXP_RAISE)
        fprintf(stderr, "fuzz: %s (expect raise 0x%08X)\n", name, (unsigned)e.status);
    else
        fprintf(stderr, "fuzz: %s (expect success)\n", name);
}

static volatile NTSTATUS g_raised;
typedef void (*call_fn)(void);
static call_fn g_call;
static void call_tramp(void *arg)
{
    (void)arg;
    g_raised = 0;
    MDLKIT_TRY { g_call(); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { g_raised = GetExceptionCode(); }
    MDLKIT_END;
}

/* Runs fn and compares the outcome with `e`. Returns 1 if the call
 * completed normally (no raise, no bug check). */
static int run(const char *name, call_fn fn, model_expect e)
{
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    trace_expect(name, e);
    g_op_name = name;
    g_call = fn;
    KIRQL before = KeGetCurrentIrql();
    int caught = mdlkit_catch_bugcheck(call_tramp, NULL, &bc);
    CHECK(KeGetCurrentIrql() == before, "IRQL changed from %u to %u", before, KeGetCurrentIrql());
    if (e.kind == EXP_BUGCHECK) {
        CHECK(caught, "expected bug check 0x%X (%lx, %lx, %lx, %lx), none raised (raised status 0x%08X)", e.code,
              (unsigned long)e.p[0], (unsigned long)e.p[1], (unsigned long)e.p[2], (unsigned long)e.p[3],
              (unsigned)g_raised);
        CHECK(bc.code == e.code, "expected bug check 0x%X, got 0x%X (%lx, %lx, %lx, %lx)", e.code, bc.code,
              (unsigned long)bc.param[0], (unsigned long)bc.param[1], (unsigned long)bc.param[2],
              (unsigned long)bc.param[3]);
        for (int i = 0; i < 4; i++)
            CHECK(e.p[i] == EXP_ANY || e.p[i] == bc.param[i],
                  "bug check 0x%X parameter %d: expected 0x%lx, got 0x%lx", bc.code, i + 1, (unsigned long)e.p[i],
                  (unsigned long)bc.param[i]);
        return 0;
    }
    CHECK(!caught, "unexpected bug check 0x%X (%lx, %lx, %lx, %lx)", bc.code, (unsigned long)bc.param[0],
          (unsigned long)bc.param[1], (unsigned long)bc.param[2], (unsigned long)bc.param[3]);
    if (e.kind == EXP_RAISE) {
        CHECK(g_raised == e.status, "expected exception 0x%08X, got 0x%08X", (unsigned)e.status, (unsigned)g_raised);
        return 0;
    }
    CHECK(g_raised == 0, "unexpected exception 0x%08X", (unsigned)g_raised);
    return 1;
}

/* Call arguments and results (the calls run through a trampoline). */
static struct {
    POOL_TYPE type;
    POOL_FLAGS flags;
    int api;
    SIZE_T bytes;
    ULONG tag, tag2, len, flags32;
    PVOID va, out, out2;
    PMDL mdl, mdl2;
    KPROCESSOR_MODE mode;
    LOCK_OPERATION op;
    PIRP irp;
    ULONG st;
} A;

/* ------------------------------------------------------- data checks */
static void check_range_direct(const char *what, PMDL mdl, const unsigned char *shadow, size_t byteoff, size_t len)
{
    /* Read the described bytes through the direct map, page by page, using
     * the MDL's PFN array: the physical view of the buffer. */
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    size_t done = 0, pos = byteoff;
    while (done < len) {
        size_t page = pos >> PAGE_SHIFT, in = pos & (PAGE_SIZE - 1);
        size_t n = PAGE_SIZE - in;
        if (n > len - done)
            n = len - done;
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (LONGLONG)(pfns[page] << PAGE_SHIFT);
        unsigned char *dm = mdlkit_phys_to_va(pa);
        CHECK(dm != NULL, "%s: PFN 0x%llx of page %zu is not RAM", what, (unsigned long long)pfns[page], page);
        if (model_check(what, dm + in, shadow + done, n))
            finding("%s: direct-map view differs", what);
        done += n;
        pos += n;
    }
}

/* Compares the buffer's own address with its shadow. At DISPATCH_LEVEL
 * under Force IRQL Checking the pages of paged pool the raise trimmed are
 * left out (touching them is 0xD1: op_write checks that); the rest --
 * pages an MDL locks -- must still be readable. */
static void verify_own(int bi)
{
    model_buf *b = &M.buf[bi];
    size_t at = model_first_trimmed(&M, b, 0, b->len);
    if (at == SIZE_MAX) {
        if (model_check("the buffer's own address", b->va, b->shadow, b->len))
            finding("buffer %d (kind %d) differs from the model", bi, b->kind);
        return;
    }
    for (size_t pos = 0; pos < b->len;) {
        size_t end = (size_t)((unsigned char *)PAGE_ALIGN(b->va + pos) + PAGE_SIZE - b->va);
        if (end > b->len)
            end = b->len;
        if (model_first_trimmed(&M, b, pos, end - pos) == SIZE_MAX &&
            model_check("the buffer's own address (a resident page)", b->va + pos, b->shadow + pos, end - pos))
            finding("buffer %d (kind %d) differs from the model", bi, b->kind);
        pos = end;
    }
}

static void verify_buf(int bi)
{
    model_buf *b = &M.buf[bi];
    if (b->kind == BUF_NONE)
        return;
    if (b->kind != BUF_USER || b->prot != PAGE_NOACCESS)
        verify_own(bi);
    for (int i = 0; i < MODEL_MDLS; i++) {
        model_mdl *d = &M.mdl[i];
        if (d->state == MS_NONE || d->buf != bi)
            continue;
        const unsigned char *sh = b->shadow + d->off;
        if (d->sysva && model_check("the MDL's system address", d->sysva, sh, d->len))
            finding("MDL %d system address %p differs", i, (void *)d->sysva);
        if (d->uva && model_check("the MDL's user mapping", d->uva, sh, d->len))
            finding("MDL %d user mapping %p differs", i, (void *)d->uva);
        if (d->state == MS_LOCKED || d->state == MS_BUILT || d->state == MS_PARTIAL)
            check_range_direct("the direct map (MDL PFNs)", d->mdl, sh, MmGetMdlByteOffset(d->mdl), d->len);
    }
}

static void verify_pg(int pi)
{
    model_pagemdl *p = &M.pg[pi];
    if (!p->mdl)
        return;
    if (p->sysva && model_check("page MDL system address", p->sysva, p->shadow, p->len))
        finding("page MDL %d differs through its mapping", pi);
    check_range_direct("page MDL direct map", p->mdl, p->shadow, MmGetMdlByteOffset(p->mdl), p->len);
}

/* Data loops over every byte of a buffer: no coverage callbacks in them (a
 * comparison callback per byte was a third of each input's time; the
 * coverage they gave is the loop's, nothing about mdlkit). */
#if defined(__clang__) && __clang_major__ >= 13
#define FZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FZ_NO_COVERAGE
#endif

FZ_NO_COVERAGE static void fill(unsigned char *dst, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)(seed + i * 31 + (i >> 8));
}

/* Index of the first byte that is not zero, or n. */
FZ_NO_COVERAGE static size_t first_nonzero(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n && p[i] == 0)
        i++;
    return i;
}

static void check_pfns(const char *what, PMDL mdl, const unsigned char *va, size_t len)
{
    /* Every PFN of a built or locked MDL is the frame behind its VA. */
    size_t pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len);
    for (size_t i = 0; i < pages; i++) {
        const unsigned char *p = (const unsigned char *)PAGE_ALIGN(va) + i * PAGE_SIZE;
        PHYSICAL_ADDRESS pa = MmGetPhysicalAddress((PVOID)p);
        CHECK((PFN_NUMBER)(pa.QuadPart >> PAGE_SHIFT) == MmGetMdlPfnArray(mdl)[i],
              "%s: PFN %zu is 0x%llx, the page's frame is 0x%llx", what, i,
              (unsigned long long)MmGetMdlPfnArray(mdl)[i], (unsigned long long)(pa.QuadPart >> PAGE_SHIFT));
    }
}

static int free_buf_slot(void)
{
    for (int i = 0; i < MODEL_BUFS; i++)
        if (M.buf[i].kind == BUF_NONE)
            return i;
    return -1;
}
static int free_mdl_slot(void)
{
    for (int i = 0; i < MODEL_MDLS; i++)
        if (M.mdl[i].state == MS_NONE)
            return i;
    return -1;
}
/* The n-th live slot (wrapping), or -1. */
static int pick_buf(unsigned n, int (*ok)(const model_buf *))
{
    int live[MODEL_BUFS], k = 0;
    for (int i = 0; i < MODEL_BUFS; i++)
        if (M.buf[i].kind != BUF_NONE && (!ok || ok(&M.buf[i])))
            live[k++] = i;
    return k ? live[n % k] : -1;
}
static int pick_mdl(unsigned n, int (*ok)(const model_mdl *))
{
    int live[MODEL_MDLS], k = 0;
    for (int i = 0; i < MODEL_MDLS; i++)
        if (M.mdl[i].state != MS_NONE && (!ok || ok(&M.mdl[i])))
            live[k++] = i;
    return k ? live[n % k] : -1;
}

static void buf_new(int slot, int kind, void *va, size_t len, ULONG tag, int paged, POOL_TYPE type, ULONG prot,
                    int zeroed)
{
    model_buf *b = &M.buf[slot];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->va = va;
    b->len = len;
    b->tag = tag;
    b->paged = paged;
    b->type = type;
    b->prot = prot;
    b->shadow = malloc(len);
    if (kind == BUF_USER && prot == PAGE_NOACCESS) {
        memset(b->shadow, 0, len); /* never read through its own address */
        return;
    }
    if (zeroed) {
        size_t i = first_nonzero(b->va, len);
        CHECK(i == len, "memory documented as zeroed has 0x%02x at +%zu", i < len ? b->va[i] : 0, i);
    }
    memcpy(b->shadow, va, len); /* uninitialised memory: whatever it holds */
    if (kind != BUF_USER || prot == PAGE_READWRITE) {
        fill(b->va, len, (unsigned)(uintptr_t)va ^ tag);
        memcpy(b->shadow, b->va, len);
    }
}
static void buf_gone(int slot)
{
    free(M.buf[slot].shadow);
    memset(&M.buf[slot], 0, sizeof M.buf[slot]);
}

/* ------------------------------------------------------------- calls */
static void c_pool_alloc(void)
{
    switch (A.api) {
    case 0: A.out = ExAllocatePoolWithTag(A.type, A.bytes, A.tag); break;
    case 1: A.out = ExAllocatePool2(A.flags, A.bytes, A.tag); break;
    case 2: A.out = ExAllocatePoolZero(A.type, A.bytes, A.tag); break;
    default: A.out = ExAllocatePoolWithTagPriority(A.type, A.bytes, A.tag, NormalPoolPriority); break;
    }
}
static void c_pool_free(void)
{
    if (A.api == 1)
        ExFreePool(A.va);
    else
        ExFreePoolWithTag(A.va, A.tag2);
}
static void c_user_alloc(void) { A.out = mdlkit_user_alloc(A.bytes, A.tag); }
static void c_user_free(void) { mdlkit_user_free(A.va); }
static void c_io_alloc_mdl(void) { A.mdl = IoAllocateMdl(A.va, A.len, FALSE, FALSE, A.irp); }
static void c_build(void) { MmBuildMdlForNonPagedPool(A.mdl); }
static void c_probe(void) { MmProbeAndLockPages(A.mdl, A.mode, A.op); }
static void c_unlock(void) { MmUnlockPages(A.mdl); }
static void c_sysaddr(void) { A.out = MmGetSystemAddressForMdlSafe(A.mdl, A.flags32); }
static void c_map_kernel(void) { A.out = MmMapLockedPagesSpecifyCache(A.mdl, KernelMode, MmCached, NULL, FALSE, A.flags32); }
static void c_map_user(void) { A.out = MmMapLockedPagesSpecifyCache(A.mdl, UserMode, MmCached, NULL, FALSE, NormalPagePriority); }
static void c_unmap(void) { MmUnmapLockedPages(A.va, A.mdl); }
static void c_prepare_reuse(void) { MmPrepareMdlForReuse(A.mdl); }
static void c_partial(void) { IoBuildPartialMdl(A.mdl, A.mdl2, A.va, A.len); }
static void c_io_free_mdl(void) { IoFreeMdl(A.mdl); }
static void c_ndis_free_mdl(void) { NdisFreeMdl(A.mdl); }
static void c_stor_free_mdl(void) { A.st = StorPortFreeMdl(g_stor_ext, A.mdl); }
static void c_pages_alloc(void)
{
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0;
    hi.QuadPart = -1;
    skip.QuadPart = 0;
    A.mdl = MmAllocatePagesForMdlEx(lo, hi, skip, A.bytes, MmCached, A.flags32);
}
static void c_pages_free(void) { MmFreePagesFromMdl(A.mdl); }
static void c_exfree_mdl(void) { ExFreePool(A.mdl); }
static void c_stor_alloc(void) { A.st = StorPortAllocatePool(g_stor_ext, (ULONG)A.bytes, A.tag, &A.out); }
static void c_stor_alloc_null(void) { A.st = StorPortAllocatePool(g_stor_ext, (ULONG)A.bytes, A.tag, NULL); }
static void c_stor_free(void) { A.st = StorPortFreePool(g_stor_ext, A.va); }
static void c_stor_mdl(void) { A.st = StorPortAllocateMdl(g_stor_ext, A.va, A.len, &A.out); }
static void c_ndis_alloc(void) { A.out = NdisAllocateMemoryWithTagPriority(g_ndis, (UINT)A.bytes, A.tag, NormalPoolPriority); }
static void c_ndis_free(void) { NdisFreeMemoryWithTagPriority(g_ndis, A.va, A.tag); }
static void c_ndis_mdl(void) { A.mdl = NdisAllocateMdl(g_ndis, A.va, A.len); }
static void c_irp_alloc(void) { A.irp = IoAllocateIrp(1, FALSE); }
static void c_irp_free(void) { IoFreeIrp(A.irp); }
/* A write a byte at a time, in order (so the byte a fault stops at is known). */
static const unsigned char *g_wsrc;
static void c_write_bytes(void)
{
    volatile unsigned char *d = A.va;
    for (SIZE_T i = 0; i < A.bytes; i++)
        d[i] = g_wsrc[i];
}

/* -------------------------------------------------------- operations */
enum {
    OP_POOL_ALLOC, OP_POOL_FREE, OP_USER_ALLOC, OP_USER_FREE, OP_MDL_ALLOC, OP_BUILD, OP_PROBE, OP_SYSADDR,
    OP_MAP_AGAIN, OP_UNMAP_SYS, OP_MAP_USER, OP_UNMAP_USER, OP_PARTIAL, OP_UNLOCK, OP_FREE_MDL, OP_WRITE,
    OP_IRQL, OP_PAGES_ALLOC, OP_PAGES_MAP, OP_PAGES_FREE, OP_STOR_POOL, OP_STOR_FREE, OP_PORT_MDL,
    OP_NDIS_MEM, OP_NDIS_FREE, OP_COUNT
};

static void op_pool_alloc(void)
{
    int slot = free_buf_slot();
    unsigned kind = g8(), sz = g16(), t = g8();
    if (slot < 0)
        return;
    static const POOL_TYPE types[] = {NonPagedPool, NonPagedPoolNx, PagedPool, NonPagedPoolNxCacheAligned,
                                      PagedPoolCacheAligned};
    A.api = (int)(kind & 3);
    A.type = types[(kind >> 2) % 5];
    int paged = A.type == PagedPool || A.type == PagedPoolCacheAligned;
    if (A.api == 1) {
        A.flags = paged ? POOL_FLAG_PAGED : POOL_FLAG_NON_PAGED;
        A.type = paged ? PagedPool : NonPagedPoolNx; /* the type bug checks report */
    }
    A.bytes = (sz & 0x8000) ? (sz & 0x7FFF) % 40000 : 1 + sz % 3000;
    A.tag = g_tags[t % NTAGS];
    if (A.bytes == 0 && M.irql != PASSIVE_LEVEL)
        A.bytes = 1;
    model_expect e = model_pool_alloc(&M, A.type, paged, A.bytes, A.tag);
    if (!run("pool allocation", c_pool_alloc, e))
        return;
    CHECK(A.out != NULL, "allocation of %zu bytes failed on an idle 64 MiB machine", (size_t)A.bytes);
    CHECK(((uintptr_t)A.out & 15) == 0, "pool block %p is not 16-byte aligned", A.out);
    if (A.bytes >= PAGE_SIZE)
        CHECK(BYTE_OFFSET(A.out) == 0, "a %zu-byte block at %p is not page aligned", (size_t)A.bytes, A.out);
    else
        CHECK(BYTE_OFFSET(A.out) + A.bytes <= PAGE_SIZE, "a %zu-byte block at %p crosses a page", (size_t)A.bytes,
              A.out);
    if ((A.type == NonPagedPoolNxCacheAligned || A.type == PagedPoolCacheAligned) && A.api != 1)
        CHECK(((uintptr_t)A.out & 63) == 0, "cache-aligned block %p", A.out);
    buf_new(slot, BUF_POOL, A.out, A.bytes, A.tag, paged, A.type, 0, A.api == 1 || A.api == 2);
}

static int pool_unref(const model_buf *b) { return b->refs == 0 && b->kind == BUF_POOL; }
static int user_unref(const model_buf *b) { return b->refs == 0 && b->kind == BUF_USER; }

static void op_pool_free(void)
{
    unsigned n = g8(), how = g8();
    int bi = pick_buf(n, pool_unref);
    if (bi < 0)
        return;
    model_buf *b = &M.buf[bi];
    verify_buf(bi);
    how %= 5;
    if ((how == 2 || how == 3) && M.irql != PASSIVE_LEVEL)
        how = 0;
    A.va = b->va;
    A.api = how == 1 ? 1 : 0;
    A.tag2 = how == 4 ? 0 : b->tag;
    if (how == 2) {
        A.tag2 = b->tag ^ 0x01000000; /* another printable tag */
        run("free with the wrong tag", c_pool_free, model_pool_free(&M, b, A.tag2, 0));
        return; /* the block is still allocated */
    }
    if (!run("pool free", c_pool_free, model_pool_free(&M, b, A.tag2, 0)))
        return;
    if (how == 3) {
        model_buf copy = *b;
        run("double free", c_pool_free, model_pool_free(&M, &copy, A.tag2, 1));
    }
    buf_gone(bi);
}

static void op_user_alloc(void)
{
    int slot = free_buf_slot();
    unsigned pages = g8(), prot = g8();
    if (slot < 0 || M.irql != PASSIVE_LEVEL)
        return;
    static const ULONG prots[] = {PAGE_READWRITE, PAGE_READWRITE, PAGE_READONLY, PAGE_NOACCESS};
    A.bytes = (size_t)(1 + pages % 4) * PAGE_SIZE - (pages >> 4) * 64;
    A.tag = prots[prot % 4];
    if (!run("mdlkit_user_alloc", c_user_alloc, exp_ok()))
        return;
    CHECK(A.out != NULL && (ULONG_PTR)A.out < (ULONG_PTR)MmHighestUserAddress, "user buffer %p", A.out);
    /* A read-only buffer gets a pattern while writable, then is protected. */
    ULONG prot_final = A.tag;
    if (prot_final == PAGE_READONLY) {
        CHECK(mdlkit_user_protect(A.out, A.bytes, PAGE_READWRITE) == 0, "mdlkit_user_protect RW");
        buf_new(slot, BUF_USER, A.out, A.bytes, 0, 1, 0, PAGE_READWRITE, 0);
        CHECK(mdlkit_user_protect(A.out, A.bytes, PAGE_READONLY) == 0, "mdlkit_user_protect RO");
        M.buf[slot].prot = PAGE_READONLY;
    } else {
        buf_new(slot, BUF_USER, A.out, A.bytes, 0, 1, 0, prot_final, 0);
    }
}

static void op_user_free(void)
{
    int bi = pick_buf(g8(), user_unref);
    if (bi < 0 || M.irql != PASSIVE_LEVEL)
        return;
    verify_buf(bi);
    A.va = M.buf[bi].va;
    if (run("mdlkit_user_free", c_user_free, exp_ok()))
        buf_gone(bi);
}

/* Allocates an MDL for bytes [off, off+len) of buffer bi into slot. */
static int mdl_new(int slot, int bi, size_t off, ULONG len, int with_irp)
{
    model_buf *b = &M.buf[bi];
    A.irp = NULL;
    if (with_irp && !run("IoAllocateIrp", c_irp_alloc, exp_ok()))
        return -1;
    if (with_irp)
        CHECK(A.irp != NULL, "IoAllocateIrp returned NULL");
    A.va = b->va + off;
    A.len = len;
    if (!run("IoAllocateMdl", c_io_alloc_mdl, exp_ok()))
        return -1;
    CHECK(A.mdl != NULL, "IoAllocateMdl(%p, %u) returned NULL", A.va, len);
    CHECK(MmGetMdlVirtualAddress(A.mdl) == A.va && MmGetMdlByteCount(A.mdl) == len &&
              MmGetMdlByteOffset(A.mdl) == BYTE_OFFSET(A.va) && A.mdl->MdlFlags >= 0,
          "IoAllocateMdl built a wrong header");
    CHECK(A.mdl->Next == NULL, "a new MDL has Next set");
    if (with_irp) {
        CHECK(A.irp->MdlAddress == A.mdl, "IoAllocateMdl did not set Irp->MdlAddress");
        A.irp->MdlAddress = NULL;
        run("IoFreeIrp", c_irp_free, exp_ok());
    }
    model_mdl *d = &M.mdl[slot];
    memset(d, 0, sizeof *d);
    d->state = MS_ALLOC;
    d->mdl = A.mdl;
    d->buf = bi;
    d->off = off;
    d->len = len;
    d->parent = -1;
    b->refs++;
    return 0;
}

static void op_mdl_alloc(void)
{
    int slot = free_mdl_slot();
    unsigned n = g8(), o = g16(), l = g16(), irp = g8();
    int bi = pick_buf(n, NULL);
    if (slot < 0 || bi < 0)
        return;
    size_t off = o % M.buf[bi].len;
    ULONG len = (ULONG)(1 + l % (M.buf[bi].len - off));
    mdl_new(slot, bi, off, len, irp & 1);
}

static int is_alloc(const model_mdl *d) { return d->state == MS_ALLOC; }
static void op_build(void)
{
    int mi = pick_mdl(g8(), is_alloc);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    model_buf *b = &M.buf[d->buf];
    if (b->kind == BUF_USER || (b->paged && !(M.verifier & MDLKIT_VERIFY_DDI_COMPLIANCE)))
        return; /* MmBuildMdlForNonPagedPool is for non-paged memory (DDI compliance reports paged pool) */
    A.mdl = d->mdl;
    if (!run("MmBuildMdlForNonPagedPool", c_build, model_build(&M, d, b, (USHORT)d->mdl->MdlFlags)))
        return;
    CHECK(d->mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, "built MDL lacks MDL_SOURCE_IS_NONPAGED_POOL");
    CHECK(d->mdl->MappedSystemVa == b->va + d->off, "MappedSystemVa %p, buffer %p", d->mdl->MappedSystemVa,
          (void *)(b->va + d->off));
    check_pfns("MmBuildMdlForNonPagedPool", d->mdl, b->va + d->off, d->len);
    d->state = MS_BUILT;
    d->sysva = b->va + d->off;
    d->own_map = 0;
    verify_buf(d->buf);
}

static void op_probe(void)
{
    int mi = pick_mdl(g8(), NULL);
    unsigned how = g8();
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    model_buf *b = &M.buf[d->buf];
    A.mdl = d->mdl;
    A.mode = (how & 1) ? UserMode : KernelMode;
    A.op = (LOCK_OPERATION)((how >> 1) % 3);
    model_expect e = model_probe(&M, d, b, A.mode, A.op);
    if (!run("MmProbeAndLockPages", c_probe, e)) {
        if (e.kind == EXP_RAISE && d->state == MS_UNLOCKED)
            d->state = MS_ALLOC; /* a failed probe: never successfully locked */
        return;
    }
    CHECK(d->mdl->MdlFlags & MDL_PAGES_LOCKED, "locked MDL lacks MDL_PAGES_LOCKED");
    CHECK(!(A.op != IoReadAccess) == !(d->mdl->MdlFlags & MDL_WRITE_OPERATION), "MDL_WRITE_OPERATION wrong");
    if (b->kind != BUF_USER || b->prot != PAGE_NOACCESS)
        check_pfns("MmProbeAndLockPages", d->mdl, b->va + d->off, d->len);
    d->state = MS_LOCKED;
    d->sysva = NULL;
    verify_buf(d->buf);
}

static int is_mappable(const model_mdl *d)
{
    return d->state == MS_LOCKED || d->state == MS_BUILT || d->state == MS_PARTIAL;
}
static void op_sysaddr(void)
{
    int mi = pick_mdl(g8(), is_mappable);
    unsigned pr = g8();
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    model_buf *b = &M.buf[d->buf];
    static const ULONG prio[] = {NormalPagePriority, HighPagePriority, LowPagePriority,
                                 NormalPagePriority | MdlMappingNoExecute};
    A.mdl = d->mdl;
    A.flags32 = prio[pr % 4];
    if (!run("MmGetSystemAddressForMdlSafe", c_sysaddr, exp_ok()))
        return;
    CHECK(A.out != NULL, "MmGetSystemAddressForMdlSafe failed on an idle machine");
    CHECK(BYTE_OFFSET(A.out) == BYTE_OFFSET(b->va + d->off), "system address %p loses the byte offset", A.out);
    if (d->sysva)
        CHECK(A.out == d->sysva, "second call returned %p, first %p", A.out, (void *)d->sysva);
    else
        d->own_map = 1;
    d->sysva = A.out;
    verify_buf(d->buf);
}

static void op_map_again(void)
{
    int mi = pick_mdl(g8(), NULL);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    if (d->state == MS_PARTIAL)
        return;
    A.mdl = d->mdl;
    A.flags32 = NormalPagePriority | MdlMappingNoExecute;
    if (!run("MmMapLockedPagesSpecifyCache(KernelMode)", c_map_kernel, model_map_kernel_again(&M, d)))
        return;
    CHECK(A.out != NULL && A.out == d->mdl->MappedSystemVa, "kernel mapping %p", A.out);
    d->sysva = A.out;
    d->own_map = 1;
    verify_buf(d->buf);
}

static void op_unmap_sys(void)
{
    int mi = pick_mdl(g8(), NULL);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    if (d->children)
        return; /* partial MDLs may share the mapping */
    A.mdl = d->mdl;
    if (d->state == MS_PARTIAL) {
        if (run("MmPrepareMdlForReuse", c_prepare_reuse, exp_ok()) && d->own_map) {
            d->sysva = NULL;
            d->own_map = 0;
        }
        return;
    }
    if (d->state == MS_LOCKED && d->sysva) {
        A.va = d->sysva;
        if (run("MmUnmapLockedPages", c_unmap, exp_ok())) {
            CHECK(!(d->mdl->MdlFlags & MDL_MAPPED_TO_SYSTEM_VA), "still flagged mapped after unmap");
            d->sysva = NULL;
            d->own_map = 0;
        }
    } else if (d->state == MS_LOCKED || d->state == MS_ALLOC || d->state == MS_UNLOCKED) {
        /* Nothing is mapped: 0xC4/0xB6, or 0xB9 (bad user address) when
         * the address given is a user address that is no mapping. */
        A.va = M.buf[d->buf].va + d->off;
        model_expect e = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB6, (ULONG_PTR)d->mdl, EXP_ANY,
                                MDL_MAPPED_TO_SYSTEM_VA);
        if (M.buf[d->buf].kind == BUF_USER)
            e = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xB9, (ULONG_PTR)A.va, (ULONG_PTR)d->mdl, 0);
        if (M.buf[d->buf].kind == BUF_USER && M.irql > APC_LEVEL)
            e = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7A, M.irql, (ULONG_PTR)A.va, (ULONG_PTR)d->mdl);
        if (M.buf[d->buf].kind != BUF_USER && M.irql > DISPATCH_LEVEL)
            return;
        run("MmUnmapLockedPages (not mapped)", c_unmap, e);
    }
}

static void op_map_user(void)
{
    int mi = pick_mdl(g8(), NULL);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    if (d->uva || d->state == MS_PARTIAL)
        return;
    A.mdl = d->mdl;
    if (!run("MmMapLockedPagesSpecifyCache(UserMode)", c_map_user, model_map_user(&M, d)))
        return;
    CHECK(A.out != NULL && (ULONG_PTR)A.out < (ULONG_PTR)MmHighestUserAddress, "user mapping at %p", A.out);
    CHECK(BYTE_OFFSET(A.out) == d->mdl->ByteOffset, "user mapping %p loses the byte offset", A.out);
    d->uva = A.out;
    verify_buf(d->buf);
}

static int has_uva(const model_mdl *d) { return d->uva != NULL; }
static void op_unmap_user(void)
{
    int mi = pick_mdl(g8(), has_uva);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    A.mdl = d->mdl;
    A.va = d->uva;
    model_expect e = exp_ok();
    if (M.irql > APC_LEVEL)
        e = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x7A, M.irql, (ULONG_PTR)d->uva, (ULONG_PTR)d->mdl);
    if (run("MmUnmapLockedPages(user)", c_unmap, e))
        d->uva = NULL;
}

static int is_partial_source(const model_mdl *d) { return d->state == MS_LOCKED || d->state == MS_BUILT; }
static void op_partial(void)
{
    int si = pick_mdl(g8(), is_partial_source);
    int ti = free_mdl_slot();
    unsigned o = g16(), l = g16(), bad = g8();
    if (si < 0 || ti < 0)
        return;
    model_mdl *s = &M.mdl[si];
    size_t off = o % s->len;
    ULONG len = (ULONG)(1 + l % (s->len - off));
    if ((bad & 7) == 7) {
        /* A range that runs past the end of the source: 0x12E, with a
         * target big enough that the size check cannot fire first. */
        ULONG tlen = len + 1 + (bad >> 3);
        A.va = M.buf[s->buf].va + s->off + off;
        A.len = tlen;
        A.irp = NULL;
        if (!run("IoAllocateMdl (target)", c_io_alloc_mdl, exp_ok()))
            return;
        CHECK(A.mdl != NULL, "IoAllocateMdl for a partial target");
        PMDL target = A.mdl;
        A.mdl = s->mdl;
        A.mdl2 = target;
        run("IoBuildPartialMdl (out of range)", c_partial, model_partial(&M, s, off, tlen, target));
        A.mdl = target;
        run("IoFreeMdl (target)", c_io_free_mdl, exp_ok());
        return;
    }
    if (mdl_new(ti, s->buf, s->off + off, len, 0))
        return;
    model_mdl *t = &M.mdl[ti];
    A.mdl = s->mdl;
    A.mdl2 = t->mdl;
    A.va = M.buf[s->buf].va + s->off + off;
    A.len = len;
    if (!run("IoBuildPartialMdl", c_partial, model_partial(&M, s, off, len, t->mdl)))
        return; /* t stays an allocated, unbuilt MDL */
    CHECK(t->mdl->MdlFlags & MDL_PARTIAL, "partial MDL lacks MDL_PARTIAL");
    CHECK(MmGetMdlVirtualAddress(t->mdl) == A.va && MmGetMdlByteCount(t->mdl) == len, "partial header");
    size_t first = ((size_t)BYTE_OFFSET(MmGetMdlVirtualAddress(s->mdl)) + off) >> PAGE_SHIFT;
    for (size_t i = 0; i < ADDRESS_AND_SIZE_TO_SPAN_PAGES(A.va, len); i++)
        CHECK(MmGetMdlPfnArray(t->mdl)[i] == MmGetMdlPfnArray(s->mdl)[first + i], "partial PFN %zu", i);
    t->state = MS_PARTIAL;
    t->len = len;
    t->parent = si;
    t->sysva = s->sysva ? s->sysva + off : NULL;
    t->own_map = 0;
    s->children++;
    verify_buf(s->buf);
}

static void op_unlock(void)
{
    int mi = pick_mdl(g8(), NULL);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    if (d->children || d->uva)
        return;
    A.mdl = d->mdl;
    if (!run("MmUnlockPages", c_unlock, model_unlock(&M, d)))
        return;
    CHECK(!(d->mdl->MdlFlags & (MDL_PAGES_LOCKED | MDL_MAPPED_TO_SYSTEM_VA)), "flags after unlock 0x%x",
          (unsigned)(USHORT)d->mdl->MdlFlags);
    d->state = MS_UNLOCKED;
    d->sysva = NULL;
    d->own_map = 0;
}

static int mdl_release(int mi, int checked)
{
    model_mdl *d = &M.mdl[mi];
    A.mdl = d->mdl;
    int ok;
    if (d->state == MS_BUILT && d->own_map == 2)
        ok = run("NdisFreeMdl", c_ndis_free_mdl, exp_ok());
    else if (d->state == MS_BUILT && d->own_map == 3) {
        ok = run("StorPortFreeMdl", c_stor_free_mdl, exp_ok());
        CHECK(!ok || A.st == STOR_STATUS_SUCCESS, "StorPortFreeMdl status 0x%x", A.st);
    } else
        ok = run("IoFreeMdl", c_io_free_mdl, checked ? model_free_mdl(&M, d) : exp_ok());
    if (!ok)
        return -1;
    M.buf[d->buf].refs--;
    if (d->parent >= 0)
        M.mdl[d->parent].children--;
    memset(d, 0, sizeof *d);
    d->parent = -1;
    return 0;
}

static void op_free_mdl(void)
{
    int mi = pick_mdl(g8(), NULL);
    if (mi < 0)
        return;
    model_mdl *d = &M.mdl[mi];
    if (d->children || d->uva)
        return;
    verify_buf(d->buf);
    mdl_release(mi, 1);
}

static void op_write(void)
{
    unsigned which = g8(), n = g8(), alias = g8(), o = g16(), l = g16(), seed = g8();
    unsigned char tmp[1024];
    if (which & 1) {
        /* Through a page MDL. */
        model_pagemdl *p = &M.pg[n % MODEL_PAGEMDLS];
        if (!p->mdl)
            return;
        size_t off = o % p->len, len = 1 + l % (p->len - off);
        if (len > sizeof tmp)
            len = sizeof tmp;
        fill(tmp, len, seed);
        if ((alias & 1) && p->sysva) {
            memcpy(p->sysva + off, tmp, len);
        } else {
            size_t pos = MmGetMdlByteOffset(p->mdl) + off;
            size_t chunk = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
            if (len > chunk)
                len = chunk;
            PHYSICAL_ADDRESS pa;
            pa.QuadPart = (LONGLONG)(MmGetMdlPfnArray(p->mdl)[pos >> PAGE_SHIFT] << PAGE_SHIFT);
            memcpy((unsigned char *)mdlkit_phys_to_va(pa) + (pos & (PAGE_SIZE - 1)), tmp, len);
        }
        memcpy(p->shadow + off, tmp, len);
        verify_pg((int)(n % MODEL_PAGEMDLS));
        return;
    }
    int bi = pick_buf(n, NULL);
    if (bi < 0)
        return;
    model_buf *b = &M.buf[bi];
    /* Pick an alias: the buffer itself, or one of its MDLs' views. */
    int mi = -1;
    if (alias & 1) {
        int live[MODEL_MDLS], k = 0;
        for (int i = 0; i < MODEL_MDLS; i++)
            if (M.mdl[i].state != MS_NONE && M.mdl[i].buf == bi)
                live[k++] = i;
        if (k)
            mi = live[(alias >> 3) % k];
    }
    size_t base = 0, range = b->len;
    unsigned char *dst = NULL;
    if (mi >= 0) {
        model_mdl *d = &M.mdl[mi];
        base = d->off;
        range = d->len;
        switch ((alias >> 1) & 3) {
        case 0: dst = d->sysva; break;
        case 1: dst = d->uva; break;
        default:
            if (d->state == MS_LOCKED || d->state == MS_BUILT || d->state == MS_PARTIAL) {
                size_t pos = MmGetMdlByteOffset(d->mdl) + (o % range);
                size_t chunk = PAGE_SIZE - (pos & (PAGE_SIZE - 1));
                size_t len = 1 + l % chunk;
                if (len > range - o % range)
                    len = range - o % range;
                if (len > sizeof tmp)
                    len = sizeof tmp;
                PHYSICAL_ADDRESS pa;
                pa.QuadPart = (LONGLONG)(MmGetMdlPfnArray(d->mdl)[pos >> PAGE_SHIFT] << PAGE_SHIFT);
                fill(tmp, len, seed);
                memcpy((unsigned char *)mdlkit_phys_to_va(pa) + (pos & (PAGE_SIZE - 1)), tmp, len);
                model_buf_set(b, base + o % range, tmp, len);
                verify_buf(bi);
            }
            return;
        }
        if (!dst)
            return;
    } else {
        if (b->kind == BUF_USER && b->prot != PAGE_READWRITE)
            return;
        dst = b->va;
    }
    size_t off = o % range, len = 1 + l % (range - off);
    if (len > sizeof tmp)
        len = sizeof tmp;
    fill(tmp, len, seed);
    if (dst == b->va && model_first_trimmed(&M, b, off, len) != SIZE_MAX) {
        /* Paged pool through its own address at DISPATCH_LEVEL under Force
         * IRQL Checking, reaching a page the raise trimmed: the write
         * stops there with 0xD1 (the first byte on that page, IRQL, 1 =
         * write, the instruction); the bytes before it are written. */
        size_t at = model_first_trimmed(&M, b, off, len);
        A.va = dst + off;
        A.bytes = len;
        g_wsrc = tmp;
        run("write through the buffer's own address (a trimmed page)", c_write_bytes, model_touch(&M, b, off, len, 1));
        model_buf_set(b, base + off, tmp, at - off);
        verify_buf(bi);
        return;
    }
    memcpy(dst + off, tmp, len);
    model_buf_set(b, base + off, tmp, len);
    verify_buf(bi);
}

static void op_irql(void)
{
    KIRQL to = (KIRQL)(g8() % 3);
    if (to > M.irql) {
        KIRQL old;
        KeRaiseIrql(to, &old);
        CHECK(old == M.irql, "KeRaiseIrql returned %u, model says %u", old, M.irql);
    } else if (to < M.irql) {
        KeLowerIrql(to);
    }
    model_set_irql(&M, to); /* (Force IRQL Checking: the raise trimmed paged pool) */
    CHECK(KeGetCurrentIrql() == to, "KeGetCurrentIrql %u", KeGetCurrentIrql());
}

static void op_pages_alloc(void)
{
    unsigned n = g8(), sz = g16(), fl = g8();
    model_pagemdl *p = &M.pg[n % MODEL_PAGEMDLS];
    if (p->mdl)
        return;
    static const ULONG flags[] = {0, MM_DONT_ZERO_ALLOCATION, MM_ALLOCATE_FULLY_REQUIRED,
                                  MM_ALLOCATE_PREFER_CONTIGUOUS, MM_ALLOCATE_REQUIRE_CONTIGUOUS_CHUNKS};
    A.bytes = 1 + sz % (12 * PAGE_SIZE);
    A.flags32 = flags[fl % 5];
    if (!run("MmAllocatePagesForMdlEx", c_pages_alloc, model_pages_irql(&M, (ULONG_PTR)MmAllocatePagesForMdlEx)))
        return;
    CHECK(A.mdl != NULL, "MmAllocatePagesForMdlEx(%zu) returned NULL on an idle machine", (size_t)A.bytes);
    /* The MDL describes whole pages (ByteCount may round). */
    CHECK(MmGetMdlByteCount(A.mdl) >= A.bytes && MmGetMdlByteCount(A.mdl) <= ROUND_TO_PAGES(A.bytes),
          "ByteCount %u for %zu bytes", MmGetMdlByteCount(A.mdl), (size_t)A.bytes);
    p->mdl = A.mdl;
    p->len = MmGetMdlByteCount(A.mdl);
    p->sysva = NULL;
    p->shadow = calloc(1, p->len);
    if (A.flags32 & MM_DONT_ZERO_ALLOCATION) {
        /* Unknown contents: give them a pattern through the direct map. */
        PPFN_NUMBER pfns = MmGetMdlPfnArray(A.mdl);
        for (size_t i = 0; i < ADDRESS_AND_SIZE_TO_SPAN_PAGES(0, p->len); i++) {
            PHYSICAL_ADDRESS pa;
            pa.QuadPart = (LONGLONG)(pfns[i] << PAGE_SHIFT);
            size_t nb = p->len - i * PAGE_SIZE < PAGE_SIZE ? p->len - i * PAGE_SIZE : PAGE_SIZE;
            fill(p->shadow + i * PAGE_SIZE, nb, (unsigned)i);
            memcpy(mdlkit_phys_to_va(pa), p->shadow + i * PAGE_SIZE, nb);
        }
    }
    verify_pg((int)(n % MODEL_PAGEMDLS)); /* zeroed unless MM_DONT_ZERO_ALLOCATION */
}

static void op_pages_map(void)
{
    model_pagemdl *p = &M.pg[g8() % MODEL_PAGEMDLS];
    if (!p->mdl)
        return;
    A.mdl = p->mdl;
    A.flags32 = NormalPagePriority | MdlMappingNoExecute;
    if (!run("MmGetSystemAddressForMdlSafe(pages)", c_sysaddr, exp_ok()))
        return;
    CHECK(A.out != NULL, "mapping page MDL failed");
    if (p->sysva)
        CHECK(A.out == p->sysva, "page MDL mapped twice at different addresses");
    p->sysva = A.out;
    verify_pg((int)(p - M.pg));
}

static void pages_free(model_pagemdl *p, int twice)
{
    A.mdl = p->mdl;
    if (!run("MmFreePagesFromMdl", c_pages_free, model_pages_irql(&M, (ULONG_PTR)MmFreePagesFromMdl)))
        return;
    if (twice)
        run("MmFreePagesFromMdl (twice)", c_pages_free, exp_bc(MEMORY_MANAGEMENT, 0x1236, (ULONG_PTR)p->mdl, EXP_ANY, EXP_ANY));
    A.mdl = p->mdl;
    run("ExFreePool(page MDL)", c_exfree_mdl, exp_ok());
    free(p->shadow);
    memset(p, 0, sizeof *p);
}

static void op_pages_free(void)
{
    unsigned n = g8(), how = g8();
    model_pagemdl *p = &M.pg[n % MODEL_PAGEMDLS];
    if (!p->mdl)
        return;
    verify_pg((int)(n % MODEL_PAGEMDLS));
    if ((how & 3) == 3 && p->sysva) {
        A.mdl = p->mdl;
        A.va = p->sysva;
        if (run("MmUnmapLockedPages(pages)", c_unmap, exp_ok()))
            p->sysva = NULL;
        return;
    }
    pages_free(p, (how & 3) == 1);
}

static void op_stor_pool(void)
{
    int slot = free_buf_slot();
    unsigned sz = g16(), t = g8();
    if (slot < 0)
        return;
    A.bytes = 1 + sz % 9000;
    A.tag = g_tags[t % NTAGS];
    A.out = (PVOID)1;
    if ((t & 0xF0) == 0xF0) {
        run("StorPortAllocatePool(NULL)", c_stor_alloc_null, exp_ok());
        CHECK(A.st == STOR_STATUS_INVALID_PARAMETER, "StorPortAllocatePool(NULL out) = 0x%x", A.st);
        return;
    }
    if (!run("StorPortAllocatePool", c_stor_alloc, exp_ok()))
        return;
    CHECK(A.st == STOR_STATUS_SUCCESS && A.out != NULL, "StorPortAllocatePool = 0x%x, %p", A.st, A.out);
    buf_new(slot, BUF_STOR, A.out, A.bytes, A.tag, 0, NonPagedPoolNx, 0, 0);
}

static int stor_unref(const model_buf *b) { return b->refs == 0 && b->kind == BUF_STOR; }
static void op_stor_free(void)
{
    int bi = pick_buf(g8(), stor_unref);
    if (bi < 0)
        return;
    verify_buf(bi);
    A.va = M.buf[bi].va;
    if (!run("StorPortFreePool", c_stor_free, exp_ok()))
        return;
    CHECK(A.st == STOR_STATUS_SUCCESS, "StorPortFreePool = 0x%x", A.st);
    buf_gone(bi);
}

static int nonpaged_buf(const model_buf *b) { return b->kind != BUF_USER && !b->paged; }
static void op_port_mdl(void)
{
    int slot = free_mdl_slot();
    unsigned n = g8(), o = g16(), l = g16(), which = g8();
    int bi = pick_buf(n, nonpaged_buf);
    if (slot < 0 || bi < 0)
        return;
    model_buf *b = &M.buf[bi];
    size_t off = o % b->len;
    ULONG len = (ULONG)(1 + l % (b->len - off));
    A.va = b->va + off;
    A.len = len;
    PMDL mdl;
    int kind;
    if (which & 1) {
        if (!run("StorPortAllocateMdl", c_stor_mdl, exp_ok()))
            return;
        CHECK(A.st == STOR_STATUS_SUCCESS && A.out, "StorPortAllocateMdl = 0x%x", A.st);
        mdl = A.out;
        kind = 3;
    } else {
        if (!run("NdisAllocateMdl", c_ndis_mdl, exp_ok()))
            return;
        CHECK(A.mdl != NULL, "NdisAllocateMdl returned NULL");
        mdl = A.mdl;
        kind = 2;
    }
    CHECK(MmGetMdlVirtualAddress(mdl) == A.va && MmGetMdlByteCount(mdl) == len, "port MDL header");
    CHECK(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL, "port MDL is not built");
    check_pfns("port MDL", mdl, A.va, len);
    model_mdl *d = &M.mdl[slot];
    memset(d, 0, sizeof *d);
    d->state = MS_BUILT;
    d->mdl = mdl;
    d->buf = bi;
    d->off = off;
    d->len = len;
    d->parent = -1;
    d->sysva = A.va;
    d->own_map = kind; /* 2: NdisFreeMdl, 3: StorPortFreeMdl (no mapping of its own) */
    b->refs++;
    verify_buf(bi);
}

static void op_ndis_mem(void)
{
    int slot = free_buf_slot();
    unsigned sz = g16(), t = g8();
    if (slot < 0)
        return;
    A.bytes = 1 + sz % 9000;
    A.tag = g_tags[t % NTAGS];
    if (!run("NdisAllocateMemoryWithTagPriority", c_ndis_alloc, exp_ok()))
        return;
    CHECK(A.out != NULL, "NdisAllocateMemoryWithTagPriority(%zu) returned NULL", (size_t)A.bytes);
    buf_new(slot, BUF_NDIS, A.out, A.bytes, A.tag, 0, NonPagedPoolNx, 0, 0);
}

static int ndis_unref(const model_buf *b) { return b->refs == 0 && b->kind == BUF_NDIS; }
static void op_ndis_free(void)
{
    int bi = pick_buf(g8(), ndis_unref);
    if (bi < 0)
        return;
    verify_buf(bi);
    A.va = M.buf[bi].va;
    A.tag = M.buf[bi].tag;
    if (run("NdisFreeMemoryWithTagPriority", c_ndis_free, exp_ok()))
        buf_gone(bi);
}

/* ------------------------------------------------ cleanup at the end */
/* An MDL and / or buffer the cleanup leaves alone (-1: none): the leak
 * inputs of fuzz_ddi_tracked leave them to the driver unload's leak check
 * and free them after it. */
static int g_keep_mdl = -1, g_keep_buf = -1;

static void cleanup(void)
{
    g_op_name = "cleanup";
    if (M.irql != PASSIVE_LEVEL)
        KeLowerIrql(PASSIVE_LEVEL);
    model_set_irql(&M, PASSIVE_LEVEL);
    for (int i = 0; i < MODEL_BUFS; i++)
        verify_buf(i);
    for (int i = 0; i < MODEL_PAGEMDLS; i++)
        verify_pg(i);
    /* MDLs: children first, user mappings, unlock (releases the system
     * mapping), free. */
    for (int pass = 0; pass < MODEL_MDLS + 1; pass++) {
        for (int i = 0; i < MODEL_MDLS; i++) {
            model_mdl *d = &M.mdl[i];
            if (d->state == MS_NONE || d->children || (i == g_keep_mdl && d->state == MS_LOCKED))
                continue;
            if (d->uva) {
                A.mdl = d->mdl;
                A.va = d->uva;
                run("cleanup: MmUnmapLockedPages(user)", c_unmap, exp_ok());
                d->uva = NULL;
            }
            if (d->state == MS_LOCKED) {
                A.mdl = d->mdl;
                run("cleanup: MmUnlockPages", c_unlock, exp_ok());
                d->state = MS_UNLOCKED;
                d->sysva = NULL;
            }
            if (i != g_keep_mdl)
                mdl_release(i, 0);
        }
    }
    for (int i = 0; i < MODEL_MDLS; i++)
        CHECK(M.mdl[i].state == MS_NONE || i == g_keep_mdl, "cleanup left MDL %d", i);
    for (int i = 0; i < MODEL_PAGEMDLS; i++)
        if (M.pg[i].mdl)
            pages_free(&M.pg[i], 0);
    for (int i = 0; i < MODEL_BUFS; i++) {
        model_buf *b = &M.buf[i];
        if (i == g_keep_buf)
            continue;
        A.va = b->va;
        A.tag2 = b->tag;
        A.tag = b->tag;
        A.api = 0;
        switch (b->kind) {
        case BUF_POOL: run("cleanup: ExFreePoolWithTag", c_pool_free, exp_ok()); break;
        case BUF_USER: run("cleanup: mdlkit_user_free", c_user_free, exp_ok()); break;
        case BUF_STOR: run("cleanup: StorPortFreePool", c_stor_free, exp_ok()); break;
        case BUF_NDIS: run("cleanup: NdisFreeMemoryWithTagPriority", c_ndis_free, exp_ok()); break;
        default: continue;
        }
        buf_gone(i);
    }
    if (g_keep_mdl >= 0 || g_keep_buf >= 0)
        return; /* checked when the kept objects are freed (a second cleanup) */
    /* Back where we started: no pool of ours outstanding, no MDL state. */
    for (size_t t = 0; t < NTAGS; t++) {
        mdlkit_pool_tag_usage u;
        if (mdlkit_pool_usage_tag(g_tags[t], &u))
            CHECK(u.nonpaged_outstanding == 0 && u.paged_outstanding == 0,
                  "tag %s still has %llu non-paged / %llu paged allocations outstanding", u.name,
                  (unsigned long long)u.nonpaged_outstanding, (unsigned long long)u.paged_outstanding);
    }
    mk_mdl_stats s;
    mk_mdl_get_stats(&s);
    CHECK(s.locked_mdls == g_base_stats.locked_mdls && s.locked_pages == g_base_stats.locked_pages &&
              s.system_mappings == g_base_stats.system_mappings && s.user_mappings == g_base_stats.user_mappings &&
              s.page_mdls == g_base_stats.page_mdls,
          "MDL state leaked: locked %ld/%ld pages %ld/%ld sys maps %ld/%ld user maps %ld/%ld page MDLs %ld/%ld",
          s.locked_mdls, g_base_stats.locked_mdls, s.locked_pages, g_base_stats.locked_pages, s.system_mappings,
          g_base_stats.system_mappings, s.user_mappings, g_base_stats.user_mappings, s.page_mdls, g_base_stats.page_mdls);
}

/* ------------------------------------------------- hosted miniports */
static ULONG FzFindAdapter(PVOID ext, PVOID ctx, PVOID bus, PCHAR args, PPORT_CONFIGURATION_INFORMATION ci,
                           PBOOLEAN again)
{
    ci->NumberOfBuses = 1;
    ci->ScatterGather = TRUE;
    ci->Master = TRUE;
    ci->Dma64BitAddresses = SCSI_DMA64_MINIPORT_SUPPORTED;
    return SP_RETURN_FOUND;
}
static BOOLEAN FzInitialize(PVOID ext) { return TRUE; }
static BOOLEAN FzStartIo(PVOID ext, PSCSI_REQUEST_BLOCK srb)
{
    srb->SrbStatus = SRB_STATUS_SUCCESS;
    StorPortNotification(RequestComplete, ext, srb);
    StorPortNotification(NextRequest, ext, NULL);
    return TRUE;
}
static BOOLEAN FzResetBus(PVOID ext, ULONG path) { return TRUE; }
static NTSTATUS FzStorEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = FzFindAdapter;
    hw.HwInitialize = FzInitialize;
    hw.HwStartIo = FzStartIo;
    hw.HwResetBus = FzResetBus;
    hw.DeviceExtensionSize = 64;
    hw.NumberOfAccessRanges = 1;
    hw.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
    return (NTSTATUS)StorPortInitialize(drv, reg, &hw, NULL);
}

static NDIS_HANDLE g_ndis_driver;
static int g_nic_ctx;
static NDIS_STATUS FzNicInit(NDIS_HANDLE h, NDIS_HANDLE dctx, PNDIS_MINIPORT_INIT_PARAMETERS p)
{
    if (mk_test_ndis_registration(h, &g_nic_ctx, NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    return mk_test_ndis_general(h);
}
static void FzNicHalt(NDIS_HANDLE ctx, NDIS_HALT_ACTION a) {}
static void FzNicShutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION a) {}
static void FzNicUnload(PDRIVER_OBJECT drv) { NdisMDeregisterMiniportDriver(g_ndis_driver); }
static NTSTATUS FzNdisEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    return mk_test_ndis_register_driver(drv, reg, FzNicInit, FzNicHalt, FzNicShutdown, FzNicUnload, &g_ndis_driver);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    mdlkit_config c;
    mdlkit_config_default(&c);
    c.physical_memory = (size_t)64 << 20;
    c.verifier_flags = FUZZ_VERIFIER_FLAGS;
    c.fault_probability = 0;
    c.quiet = 1;
    c.report_path = NULL;
    if (mdlkit_init(&c) != 0) {
        fprintf(stderr, "fuzz: mdlkit_init failed\n");
        abort();
    }
    PDRIVER_OBJECT sd, nd;
    if (mdlkit_driver_load("fuzzstor", FzStorEntry, &sd) != STATUS_SUCCESS ||
        mdlkit_storport_start_adapter(sd, &g_stor_ext) != STATUS_SUCCESS ||
        mdlkit_driver_load("fuzznic", FzNdisEntry, &nd) != STATUS_SUCCESS ||
        mdlkit_ndis_start_adapter(nd, &g_ndis) != STATUS_SUCCESS) {
        fprintf(stderr, "fuzz: cannot host the miniports\n");
        abort();
    }
    mk_mdl_get_stats(&g_base_stats);
    model_reset(&M, FUZZ_VERIFIER_FLAGS);
    return 0;
}

#if FUZZ_VERIFIER_FLAGS
/* ---------------------------------- fuzz_ddi_tracked: a driver per input */
/* What the unload's leak check is expected to do (set by choose_leak). */
static model_expect g_unload_expect;

/* Inputs whose length is 7 mod 8 leave one object the model knows to be
 * charged to the driver to its unload (the input's last byte picks it), so
 * the leak check must find exactly that: a pool block, or an MDL (allocated,
 * built or unlocked; its buffer is freed) -- 0xC4/0x62 naming the driver,
 * P4 = 1 -- or a locked MDL with its buffer -- 0xCB (P3 the MDL, P4 the pages
 * locked). Other inputs free everything and the leak check finds nothing. */
static void choose_leak(unsigned sel)
{
    g_keep_mdl = g_keep_buf = -1;
    g_unload_expect = exp_ok();
    if (g_len % 8 != 7)
        return;
    int cand[MODEL_MDLS + MODEL_BUFS], k = 0;
    for (int i = 0; i < MODEL_MDLS; i++) {
        const model_mdl *d = &M.mdl[i];
        /* IoAllocateMdl's MDLs (not partial: the source keeps a reference;
         * port MDLs: own_map 2 / 3) */
        if (d->state == MS_LOCKED || d->state == MS_ALLOC || d->state == MS_UNLOCKED ||
            (d->state == MS_BUILT && d->own_map == 0))
            cand[k++] = i;
    }
    for (int i = 0; i < MODEL_BUFS; i++)
        if (M.buf[i].kind == BUF_POOL)
            cand[k++] = MODEL_MDLS + i;
    if (!k)
        return;
    int c = cand[sel % (unsigned)k];
    if (c >= MODEL_MDLS) {
        g_keep_buf = c - MODEL_MDLS;
        g_unload_expect = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, EXP_ANY, 0, 1);
        return;
    }
    const model_mdl *d = &M.mdl[c];
    g_keep_mdl = c;
    if (d->state != MS_LOCKED) {
        g_unload_expect = exp_bc(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, EXP_ANY, 0, 1);
        return;
    }
    g_keep_buf = d->buf;
    g_unload_expect = exp_bc(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, EXP_ANY, 0, (ULONG_PTR)d->mdl,
                             ADDRESS_AND_SIZE_TO_SPAN_PAGES(M.buf[d->buf].va + d->off, d->len));
}
static void trace_leak(void)
{
    if (tracing() && (g_keep_mdl >= 0 || g_keep_buf >= 0))
        fprintf(stderr, "fuzz: leaving MDL slot %d, buffer slot %d to the unload\n", g_keep_mdl, g_keep_buf);
}
#endif

/* One input: its operations, then the cleanup. */
static void run_input(void)
{
    model_reset(&M, FUZZ_VERIFIER_FLAGS);
    for (int n = 0; n < FUZZ_MAX_OPS && g_pos < g_len; n++) {
        switch (g8() % OP_COUNT) {
        case OP_POOL_ALLOC: op_pool_alloc(); break;
        case OP_POOL_FREE: op_pool_free(); break;
        case OP_USER_ALLOC: op_user_alloc(); break;
        case OP_USER_FREE: op_user_free(); break;
        case OP_MDL_ALLOC: op_mdl_alloc(); break;
        case OP_BUILD: op_build(); break;
        case OP_PROBE: op_probe(); break;
        case OP_SYSADDR: op_sysaddr(); break;
        case OP_MAP_AGAIN: op_map_again(); break;
        case OP_UNMAP_SYS: op_unmap_sys(); break;
        case OP_MAP_USER: op_map_user(); break;
        case OP_UNMAP_USER: op_unmap_user(); break;
        case OP_PARTIAL: op_partial(); break;
        case OP_UNLOCK: op_unlock(); break;
        case OP_FREE_MDL: op_free_mdl(); break;
        case OP_WRITE: op_write(); break;
        case OP_IRQL: op_irql(); break;
        case OP_PAGES_ALLOC: op_pages_alloc(); break;
        case OP_PAGES_MAP: op_pages_map(); break;
        case OP_PAGES_FREE: op_pages_free(); break;
        case OP_STOR_POOL: op_stor_pool(); break;
        case OP_STOR_FREE: op_stor_free(); break;
        case OP_PORT_MDL: op_port_mdl(); break;
        case OP_NDIS_MEM: op_ndis_mem(); break;
        case OP_NDIS_FREE: op_ndis_free(); break;
        }
    }
#if FUZZ_VERIFIER_FLAGS
    choose_leak(g_len ? g_in[g_len - 1] : 0);
    trace_leak();
#endif
    cleanup();
}

#if FUZZ_VERIFIER_FLAGS
/* Each input runs as the DriverEntry of a driver loaded for it, so Pool
 * Tracking charges what the input allocates to that driver. */
static PDRIVER_OBJECT g_seq_drv;
static NTSTATUS g_unload_st;
static NTSTATUS FzSeqEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)drv;
    (void)reg;
    run_input();
    return STATUS_SUCCESS;
}
static void unload_tramp(void *arg)
{
    (void)arg;
    g_unload_st = mdlkit_driver_unload(g_seq_drv);
}

/* Loads the input's driver (DriverEntry runs the input and the cleanup),
 * then unloads it: Pool Tracking's leak check must find nothing still
 * charged to it, or exactly what choose_leak left; that is freed after. */
static void run_input_as_driver(void)
{
    g_seq_drv = NULL;
    NTSTATUS st = mdlkit_driver_load("fuzzdrv", FzSeqEntry, &g_seq_drv);
    g_op_name = "mdlkit_driver_load";
    CHECK(st == STATUS_SUCCESS && g_seq_drv != NULL, "mdlkit_driver_load returned 0x%08X", (unsigned)st);
    CHECK(KeGetCurrentIrql() == PASSIVE_LEVEL, "IRQL %u after DriverEntry", KeGetCurrentIrql());
    g_op_name = "mdlkit_driver_unload (Pool Tracking's leak check)";
    model_expect e = g_unload_expect;
    trace_expect("mdlkit_driver_unload", e);
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    g_unload_st = -1;
    int caught = mdlkit_catch_bugcheck(unload_tramp, NULL, &bc);
    int leak62 = caught && bc.code == DRIVER_VERIFIER_DETECTED_VIOLATION && bc.param[0] == 0x62;
    int ok = e.kind == EXP_BUGCHECK ? caught && bc.code == e.code : !caught;
    for (int i = 0; ok && caught && i < 4; i++)
        ok = e.p[i] == EXP_ANY || e.p[i] == bc.param[i];
    if (ok && leak62)
        ok = bc.param[1] && strcmp((const char *)bc.param[1], "fuzzdrv") == 0;
    if (!ok) {
        mdlkit_report_print(stderr); /* what was still tracked, with the allocating stacks */
        if (!caught)
            finding("no bug check; the model expected the leak bug check 0x%X (%lx, %lx, %lx, %lx): Pool Tracking "
                    "lost the record of what the input left behind",
                    e.code, (unsigned long)e.p[0], (unsigned long)e.p[1], (unsigned long)e.p[2], (unsigned long)e.p[3]);
        if (e.kind != EXP_BUGCHECK)
            finding("bug check 0x%X (%lx, %lx, %lx, %lx)%s%s%s after the input freed everything: Pool Tracking still "
                    "holds resources charged to the driver (0xC4/0x62: P4 of them; 0xCB: P3 a locked MDL, P4 pages)",
                    bc.code, (unsigned long)bc.param[0], (unsigned long)bc.param[1], (unsigned long)bc.param[2],
                    (unsigned long)bc.param[3], leak62 ? " driver \"" : "", leak62 ? (const char *)bc.param[1] : "",
                    leak62 ? "\"" : "");
        finding("bug check 0x%X (%lx, %lx, %lx, %lx)%s%s%s; the model expected 0x%X (%lx, %lx, %lx, %lx) for the one "
                "object the input left behind (0xC4/0x62: P4 resources still tracked; 0xCB: P3 MDL, P4 pages locked)",
                bc.code, (unsigned long)bc.param[0], (unsigned long)bc.param[1], (unsigned long)bc.param[2],
                (unsigned long)bc.param[3], leak62 ? " driver \"" : "", leak62 ? (const char *)bc.param[1] : "",
                leak62 ? "\"" : "", e.code, (unsigned long)e.p[0], (unsigned long)e.p[1], (unsigned long)e.p[2],
                (unsigned long)e.p[3]);
    }
    if (!caught)
        CHECK(g_unload_st == STATUS_SUCCESS, "mdlkit_driver_unload returned 0x%08X", (unsigned)g_unload_st);
    if (g_keep_mdl >= 0 || g_keep_buf >= 0) {
        /* Free what was left (as the process: the driver is gone), then
         * check the machine is back where it started. */
        g_keep_mdl = g_keep_buf = -1;
        cleanup();
    }
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_in = data;
    g_len = size;
    g_pos = 0;
#if FUZZ_VERIFIER_FLAGS
    run_input_as_driver();
#else
    run_input();
#endif
    return 0;
}
