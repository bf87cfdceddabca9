/*
 * fuzz.c -- the driver-fuzzing runtime (include/mdlkit_fuzz.h): start a
 * target once, then per input restore the driver's snapshot, choose the
 * input's fault, run the input, check that it left nothing behind, and turn
 * a bug check inside it into a crash with a one-line signature.
 *
 * The reset is a restore, not a rebuild: the machine itself is not touched
 * between inputs. What an input allocates, locks or maps it must release
 * (the driver's contract); the end-of-input check compares a fingerprint of
 * the machine -- pool outstanding per tag and pool type, free frames,
 * mappings, address space in use per region -- with the one taken after
 * setup. A difference is a leak: with Pool Tracking it is reported as
 * Windows reports a driver's leak at unload (0xC4/0x62, each tag listed);
 * without it the machine is rebuilt (teardown, unload, shutdown, init, load,
 * setup) so that the next input starts from the same state as every other.
 *
 * Input-chosen faults: with MDLKIT_FUZZ_FAULTS the runtime starts the machine
 * with the low-resources option and a probability of 0, and answers the
 * layers' "fail this call?" question itself (the hook table's `fail`
 * entry): the input's first byte n fails the n-th fault-eligible call of
 * the input (0: none). Setup never sees a fault. A crash names the call
 * that was failed.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_hooks.h"
#include "mk_io.h"
#include "mk_machine.h"
#include "mk_ob.h"
#include "mk_pool.h"
#include "mk_verifier.h"
#include "fuzz_internal.h"

#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The data provider
 * ---------------------------------------------------------------------- */
void mdlkit_fuzz_data_init(mdlkit_fuzz_data *d, const void *data, size_t size)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_data_init");
    d->data = (const UCHAR *)data;
    d->size = data ? size : 0;
    d->pos = 0;
}

size_t mdlkit_fuzz_remaining(const mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_remaining");
    return d->size - d->pos;
}

static ULONG64 fz_le(mdlkit_fuzz_data *d, unsigned n)
{
    ULONG64 v = 0;
    for (unsigned i = 0; i < n && d->pos < d->size; i++)
        v |= (ULONG64)d->data[d->pos++] << (8 * i);
    return v;
}

UCHAR mdlkit_fuzz_u8(mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_u8");
    return (UCHAR)fz_le(d, 1);
}
USHORT mdlkit_fuzz_u16(mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_u16");
    return (USHORT)fz_le(d, 2);
}
ULONG mdlkit_fuzz_u32(mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_u32");
    return (ULONG)fz_le(d, 4);
}
ULONG64 mdlkit_fuzz_u64(mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_u64");
    return fz_le(d, 8);
}
BOOLEAN mdlkit_fuzz_bool(mdlkit_fuzz_data *d)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_bool");
    return (BOOLEAN)(fz_le(d, 1) & 1);
}

ULONG64 mdlkit_fuzz_range(mdlkit_fuzz_data *d, ULONG64 lo, ULONG64 hi)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_range");
    if (lo >= hi)
        return lo;
    ULONG64 span = hi - lo;
    unsigned bytes = 0;
    for (ULONG64 s = span; s; s >>= 8)
        bytes++;
    ULONG64 v = fz_le(d, bytes);
    return span == ~(ULONG64)0 ? lo + v : lo + v % (span + 1);
}

size_t mdlkit_fuzz_choose(mdlkit_fuzz_data *d, size_t n)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_choose");
    return n <= 1 ? 0 : (size_t)mdlkit_fuzz_range(d, 0, (ULONG64)n - 1);
}

ULONG mdlkit_fuzz_pick(mdlkit_fuzz_data *d, const ULONG *values, size_t n)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_pick");
    return n == 0 || !values ? 0 : values[mdlkit_fuzz_choose(d, n)];
}

const void *mdlkit_fuzz_take(mdlkit_fuzz_data *d, size_t len, size_t *got)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_take");
    size_t left = d->size - d->pos;
    size_t n = len < left ? len : left;
    const void *p = n ? d->data + d->pos : NULL;
    d->pos += n;
    if (got)
        *got = n;
    return p;
}

const void *mdlkit_fuzz_rest(mdlkit_fuzz_data *d, size_t *got)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_rest");
    return mdlkit_fuzz_take(d, d->size - d->pos, got);
}

size_t mdlkit_fuzz_bytes(mdlkit_fuzz_data *d, void *buf, size_t len)
{
    MK_HARNESS_OBJ(d, "mdlkit_fuzz_bytes");
    size_t n;
    const void *p = mdlkit_fuzz_take(d, len, &n);
    if (n)
        memcpy(buf, p, n);
    if (len > n)
        memset((char *)buf + n, 0, len - n);
    return n;
}

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */
#define FZ_MAX_SNAP 64
#define FZ_MAX_TAGS 256
#define FZ_FRAMES 16

typedef struct fz_snap {
    void *p;
    size_t bytes;
    void *saved;
} fz_snap;

typedef struct fz_print {
    size_t free_pages;
    size_t va[MK_RGN_COUNT];
    size_t uses[MK_USE_COUNT]; /* frames in use by use (scanned only when free_pages moved) */
    int scanned;
    int64_t pool_n, pool_b;    /* outstanding pool allocations and bytes, all tags */
    int tags_valid;            /* tags[] taken (at the base always; after an input when the totals moved) */
    size_t ntags;
    mdlkit_pool_tag_usage tags[FZ_MAX_TAGS];
} fz_print;

static const mdlkit_fuzz_target *fz_target;
static PDRIVER_OBJECT fz_driver;
static void *fz_ctx;
static int fz_started;
static fz_snap fz_snaps[FZ_MAX_SNAP];
static int fz_nsnap;
static fz_print fz_base, fz_now;
static mdlkit_fuzz_stats fz_stats;
static ULONG fz_options;
static ULONG fz_user_fault_flags; /* 0x4 / 0x40000 the user asked for themselves */

/* The input being run (only one thread runs inputs). */
static int fz_in_input;
static unsigned fz_fail_nth;      /* 0 = no fault in this input */
static unsigned fz_calls;         /* fault-eligible calls seen in this input */
static struct {
    int done;
    int site;
    ULONG tag;
    unsigned nth;
    int n;
    void *pcs[FZ_FRAMES];
} fz_fault;
static const char *fz_leak_what; /* set while the leak check raises its bug check */

static int fz_asan; /* ASan integration on (src/rt/fuzzasan.c) */

static void (*fz_prev_bugcheck)(const mdlkit_bugcheck *bc, int caught);
static bool (*fz_prev_fail)(int site, ULONG tag, void *caller);

static const char *const fz_site_name[MK_FAULT_SITE_COUNT] = {
    "ExAllocatePool*",            "ExAllocateFromLookasideListEx", "IoAllocateMdl",
    "MmProbeAndLockPages",        "MmMapLockedPagesSpecifyCache",  "MmAllocatePagesForMdlEx",
    "MmAllocateContiguousMemory", "IoAllocateIrp",                 "StorPortExtendedFunction",
    "NdisAllocateMemory",
};

/* ------------------------------------------------------------------------
 * Snapshots of driver state
 * ---------------------------------------------------------------------- */
int mdlkit_fuzz_snapshot(void *p, size_t bytes)
{
    MK_ENTER("mdlkit_fuzz_snapshot");
    if (!p || !bytes || fz_nsnap >= FZ_MAX_SNAP)
        return -1;
    void *saved = malloc(bytes);
    if (!saved)
        return -1;
    fz_snaps[fz_nsnap++] = (fz_snap){p, bytes, saved};
    return 0;
}

int mdlkit_fuzz_snapshot_pool(const void *p)
{
    MK_ENTER("mdlkit_fuzz_snapshot_pool");
    void *start;
    size_t bytes;
    if (!mk_fz_asan_block(p, &start, &bytes) || !bytes)
        return -1;
    return mdlkit_fuzz_snapshot(start, bytes);
}

int mdlkit_fuzz_snapshot_devices(PDRIVER_OBJECT driver)
{
    MK_ENTER("mdlkit_fuzz_snapshot_devices");
    int n = 0;
    for (PDEVICE_OBJECT dev = driver ? driver->DeviceObject : NULL; dev; dev = dev->NextDevice) {
        if (!dev->DeviceExtension || dev->Size <= sizeof(DEVICE_OBJECT))
            continue;
        if (mdlkit_fuzz_snapshot(dev->DeviceExtension, (size_t)dev->Size - sizeof(DEVICE_OBJECT)) != 0)
            return -1;
        n++;
    }
    return n;
}

static void fz_snap_take(void)
{
    fz_stats.snapshot_bytes = 0;
    for (int i = 0; i < fz_nsnap; i++) {
        memcpy(fz_snaps[i].saved, fz_snaps[i].p, fz_snaps[i].bytes);
        fz_stats.snapshot_bytes += fz_snaps[i].bytes;
    }
}

static void fz_snap_restore(void)
{
    for (int i = 0; i < fz_nsnap; i++)
        memcpy(fz_snaps[i].p, fz_snaps[i].saved, fz_snaps[i].bytes);
}

static void fz_snap_clear(void)
{
    for (int i = 0; i < fz_nsnap; i++)
        free(fz_snaps[i].saved);
    fz_nsnap = 0;
}

/* ------------------------------------------------------------------------
 * Handles to unnamed devices
 * ---------------------------------------------------------------------- */
HANDLE mdlkit_fuzz_open_device(PDEVICE_OBJECT dev)
{
    MK_ENTER("mdlkit_fuzz_open_device");
    if (!dev || mk_irql() != PASSIVE_LEVEL)
        return NULL;
    static const WCHAR no_rest[1] = {0}; /* the device itself, no file name after it */
    PFILE_OBJECT fo = NULL;
    if (!NT_SUCCESS(mk_io_open_file(dev, no_rest, 0, GENERIC_READ | GENERIC_WRITE, UserMode, &fo)))
        return NULL;
    HANDLE h = NULL;
    NTSTATUS st = mk_ob_insert_handle(fo, FILE_ALL_ACCESS, UserMode, &h);
    mk_ob_dereference(fo); /* the handle holds its own reference */
    mk_io_deferred_flush();
    return NT_SUCCESS(st) ? h : NULL;
}

/* ------------------------------------------------------------------------
 * The machine's fingerprint
 * ---------------------------------------------------------------------- */
/* The regions whose address space an input may leave behind (the pool's
 * own regions grow and shrink with its caches: pool is judged by tag). */
static int fz_region_counted(int r) { return r == MK_RGN_USER || r == MK_RGN_SYSMAP; }
/* Frame uses an input may leave behind (the pool's segments, special pool
 * and mdlkit's own structures are the pool's business, judged by tag). */
static int fz_use_counted(int u) { return u == MK_USE_MDL_PAGES || u == MK_USE_USER || u == MK_USE_CONTIG; }

static void fz_scan_uses(fz_print *f)
{
    memset(f->uses, 0, sizeof f->uses);
    pthread_mutex_lock(&mk_phys.lock);
    for (size_t i = 0; i < mk_phys.npages; i++)
        if (mk_phys.db[i].state == MK_PFN_ACTIVE && mk_phys.db[i].use < MK_USE_COUNT)
            f->uses[mk_phys.db[i].use]++;
    pthread_mutex_unlock(&mk_phys.lock);
    /* the I/O manager's kept copies of host buffers are not the input's */
    size_t held, held_va;
    mk_io_user_copies_held(&held, &held_va);
    f->uses[MK_USE_USER] -= held < f->uses[MK_USE_USER] ? held : f->uses[MK_USE_USER];
    f->scanned = 1;
}

static void fz_print_take(fz_print *f, int scan)
{
    /* The copies of host buffers the I/O manager keeps for later requests
     * (userio.c) count as free: which sizes it keeps depends on the inputs
     * run before, not on this one. */
    size_t held, held_va;
    mk_io_user_copies_held(&held, &held_va);
    f->free_pages = mk_phys_free_count() + held;
    for (int r = MK_RGN_USER; r < MK_RGN_DIRECT; r++) {
        if (!fz_region_counted(r))
            continue;
        pthread_mutex_lock(&mk_as.range[r].lock);
        f->va[r] = mk_as.range[r].in_use;
        pthread_mutex_unlock(&mk_as.range[r].lock);
        if (r == MK_RGN_USER)
            f->va[r] -= held_va < f->va[r] ? held_va : f->va[r];
    }
    f->scanned = 0;
    if (scan)
        fz_scan_uses(f);
    /* The totals are cheap; the per-tag table (a merge over every thread's
     * tag table) is taken for the base, and after an input only when the
     * totals moved. */
    mk_pooltag_totals(&f->pool_n, &f->pool_b);
    f->tags_valid = 0;
    if (scan || f->pool_n != fz_base.pool_n || f->pool_b != fz_base.pool_b) {
        size_t n = mdlkit_pool_usage(f->tags, FZ_MAX_TAGS);
        f->ntags = n < FZ_MAX_TAGS ? n : FZ_MAX_TAGS;
        f->tags_valid = 1;
    }
}

static const mdlkit_pool_tag_usage *fz_find_tag(const fz_print *f, ULONG tag)
{
    for (size_t i = 0; i < f->ntags; i++)
        if (f->tags[i].tag == tag)
            return &f->tags[i];
    return NULL;
}

/* Compares now with the base; with `note`, lists each difference as a
 * bug-check note. Returns the number of pool allocations left behind (in
 * *count / *bytes) and whether anything differs at all. */
static int fz_print_diff(const fz_print *base, const fz_print *now, int note, ULONG64 *count, ULONG64 *bytes)
{
    int differs = 0;
    *count = *bytes = 0;
    for (size_t i = 0; now->tags_valid && i < now->ntags; i++) {
        const mdlkit_pool_tag_usage *t = &now->tags[i];
        const mdlkit_pool_tag_usage *b = fz_find_tag(base, t->tag);
        ULONG64 bn = b ? b->nonpaged_outstanding : 0, bp = b ? b->paged_outstanding : 0;
        ULONG64 bnb = b ? b->nonpaged_bytes : 0, bpb = b ? b->paged_bytes : 0;
        if (t->nonpaged_outstanding == bn && t->paged_outstanding == bp && t->nonpaged_bytes == bnb &&
            t->paged_bytes == bpb)
            continue;
        differs = 1;
        if (t->nonpaged_outstanding > bn)
            *count += t->nonpaged_outstanding - bn;
        if (t->paged_outstanding > bp)
            *count += t->paged_outstanding - bp;
        if (t->nonpaged_bytes > bnb)
            *bytes += t->nonpaged_bytes - bnb;
        if (t->paged_bytes > bpb)
            *bytes += t->paged_bytes - bpb;
        if (note)
            mk_bugcheck_note("left by this input: pool tag '%s': %lld non-paged (%lld bytes), %lld paged (%lld bytes) "
                             "more than after setup",
                             t->name, (long long)(t->nonpaged_outstanding - bn),
                             (long long)(t->nonpaged_bytes - bnb), (long long)(t->paged_outstanding - bp),
                             (long long)(t->paged_bytes - bpb));
    }
    if (now->free_pages != base->free_pages) {
        if (!now->scanned)
            fz_scan_uses((fz_print *)now);
        static const char *const uname[MK_USE_COUNT] = {"", "", "", "", "MmAllocatePagesForMdl", "user buffer",
                                                        "contiguous memory", ""};
        for (int u = 0; u < MK_USE_COUNT; u++)
            if (fz_use_counted(u) && now->uses[u] != base->uses[u]) {
                differs = 1;
                if (note)
                    mk_bugcheck_note("left by this input: %lld page frames of %s",
                                     (long long)now->uses[u] - (long long)base->uses[u], uname[u]);
            }
    }
    static const char *const rname[MK_RGN_COUNT] = {"", "user", "", "", "system-mapping", "", "", ""};
    for (int r = MK_RGN_USER; r < MK_RGN_DIRECT; r++)
        if (fz_region_counted(r) && now->va[r] != base->va[r]) {
            differs = 1;
            if (note)
                mk_bugcheck_note("left by this input: %lld pages of %s address space",
                                 (long long)now->va[r] - (long long)base->va[r], rname[r]);
        }
    return differs;
}

/* ------------------------------------------------------------------------
 * Faults chosen by the input
 * ---------------------------------------------------------------------- */
/* libFuzzer's comparison callback (weak: absent without a coverage runtime). */
void __sanitizer_cov_trace_cmp4(uint32_t a, uint32_t b) __attribute__((weak));

static bool fz_fail(int site, ULONG tag, void *caller)
{
    /* Every eligible call is counted and compared with the input's choice
     * (also after the fault, also with no fault chosen): a fuzzer that
     * traces comparisons then learns every call number the input could
     * name. The comparison is handed to libFuzzer here too, so that it
     * learns them when the library is not instrumented for coverage (an
     * installed libmdlkit, the example fuzzers). */
    if (fz_in_input && (fz_options & MDLKIT_FUZZ_FAULTS)) {
        ++fz_calls;
        if (__sanitizer_cov_trace_cmp4)
            __sanitizer_cov_trace_cmp4(fz_calls, fz_fail_nth);
        if (fz_calls == fz_fail_nth && !fz_fault.done) {
            fz_fault.done = 1;
            fz_fault.site = site;
            fz_fault.tag = tag;
            fz_fault.nth = fz_fail_nth;
            fz_fault.n = mk_capture_stack(fz_fault.pcs, FZ_FRAMES, 0);
            if (fz_fault.n == 0 && caller) {
                fz_fault.pcs[0] = caller;
                fz_fault.n = 1;
            }
            fz_stats.faults_injected++;
            return true;
        }
    }
    if ((mk_rt.verifier & fz_user_fault_flags) && fz_prev_fail)
        return fz_prev_fail(site, tag, caller);
    return false;
}

/* ------------------------------------------------------------------------
 * Crashes
 * ---------------------------------------------------------------------- */
/* P1 is an address (not a stable part of a signature) for these codes. */
static int fz_p1_is_address(ULONG code)
{
    switch (code) {
    case IRQL_NOT_LESS_OR_EQUAL:
    case PAGE_FAULT_IN_NONPAGED_AREA:
    case DRIVER_IRQL_NOT_LESS_OR_EQUAL:
    case DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL:
    case DRIVER_PAGE_FAULT_BEYOND_END_OF_ALLOCATION:
    case PAGE_FAULT_IN_FREED_SPECIAL_POOL:
    case PAGE_FAULT_BEYOND_END_OF_ALLOCATION:
    case DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS:
    case SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION:
        return 1;
    default:
        return 0;
    }
}

/* "function (file:line)" of the innermost frame outside mdlkit in pcs. */
static void fz_frame(void *const *pcs, int n, char *out, size_t len)
{
    char line0[MK_STACK_LINE];
    char *lines[1] = {line0};
    if (n > 0 && mk_stack_format(pcs, n, lines, 1) == 1)
        snprintf(out, len, "%s", line0);
    else
        snprintf(out, len, "(no driver frame)");
}

/* The function name of a "function (file:line)" frame. */
static void fz_func(const char *frame, char *out, size_t len)
{
    size_t n = strcspn(frame, " +");
    if (n >= len)
        n = len - 1;
    memcpy(out, frame, n);
    out[n] = 0;
}

static void fz_on_bugcheck(const mdlkit_bugcheck *bc, int caught)
{
    if (fz_prev_bugcheck)
        fz_prev_bugcheck(bc, caught);
    if (caught || !fz_in_input)
        return;
    /* About to abort: the crash's signature, in one line. */
    void *pcs[64];
    int n = backtrace(pcs, 64);
    char frame[MK_STACK_LINE], func[MK_STACK_LINE], p1[24];
    if (fz_leak_what)
        snprintf(frame, sizeof frame, "%s", fz_leak_what);
    else
        fz_frame(pcs, n, frame, sizeof frame);
    fz_func(frame, func, sizeof func);
    if (fz_p1_is_address(bc->code))
        snprintf(p1, sizeof p1, "addr");
    else
        snprintf(p1, sizeof p1, "0x%lX", (unsigned long)bc->param[0]);
    const char *name = mdlkit_bugcheck_name(bc->code);
    fprintf(stderr, "mdlkit-fuzz: SIGNATURE 0x%08X/%s/%s %s [%s] at %s\n", bc->code, p1, func,
            name ? name : "?", fz_target && fz_target->driver_name ? fz_target->driver_name : "",
            frame);
    if (fz_fault.done) {
        char at[MK_STACK_LINE];
        fz_frame(fz_fault.pcs, fz_fault.n, at, sizeof at);
        fprintf(stderr, "mdlkit-fuzz: this input failed call #%u on purpose: %s (tag 0x%08lx) called from %s\n",
                fz_fault.nth, fz_site_name[fz_fault.site], (unsigned long)fz_fault.tag, at);
    }
    fflush(stderr);
}

/* ------------------------------------------------------------------------
 * Start, rebuild, stop
 * ---------------------------------------------------------------------- */
static void fz_hooks(void)
{
    fz_prev_bugcheck = mk_hook.bugcheck;
    mk_hook.bugcheck = fz_on_bugcheck;
    if (fz_options & (MDLKIT_FUZZ_FAULTS | MDLKIT_FUZZ_ASAN)) {
        fz_prev_fail = mk_hook.fail;
        mk_hook.fail = fz_fail;
    }
    fz_asan = (fz_options & MDLKIT_FUZZ_ASAN) && mk_fz_asan_install();
}

/* The I/O manager keeps freed MDLs in a per-thread cache, counted as
 * outstanding 'MDL ' pool while cached: fill it before the fingerprint is
 * taken, so that an input that allocates and frees MDLs leaves the count
 * where setup left it (a cache that was not full would grow by the MDLs
 * the input freed and look like a leak). */
static void fz_prime_caches(void)
{
    enum { FZ_PRIME_MDLS = 160 };
    static char buf[64];
    PMDL m[FZ_PRIME_MDLS];
    for (int i = 0; i < FZ_PRIME_MDLS; i++)
        m[i] = IoAllocateMdl(buf, sizeof buf, FALSE, FALSE, NULL);
    for (int i = FZ_PRIME_MDLS - 1; i >= 0; i--)
        if (m[i])
            IoFreeMdl(m[i]);
}

static int fz_boot(void)
{
    const mdlkit_fuzz_target *t = fz_target;
    mdlkit_config c;
    mdlkit_config_default(&c);
    if (!getenv("MDLKIT_PHYS_MB"))
        c.physical_memory = t->physical_memory ? t->physical_memory : (size_t)64 << 20;
    const char *v = getenv("MDLKIT_VERIFIER");
    if (!v || !*v)
        c.verifier_flags = t->verifier_flags;
    c.quiet = 0;
    fz_user_fault_flags = c.verifier_flags & (MDLKIT_VERIFY_LOW_RESOURCES | MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES);
    if (fz_options & (MDLKIT_FUZZ_FAULTS | MDLKIT_FUZZ_ASAN)) {
        /* The layers ask the fault question only under a low-resources
         * option, and send every pool call through the hook table (the
         * ASan redzones) only then; with probability 0 only the input's
         * choice fails. */
        if (!(c.verifier_flags & MDLKIT_VERIFY_LOW_RESOURCES))
            c.fault_probability = 0;
        c.verifier_flags |= MDLKIT_VERIFY_LOW_RESOURCES;
    }
    if (mdlkit_init(&c) != 0)
        return -1;
    fz_hooks();
    NTSTATUS st = mdlkit_driver_load(t->driver_name, t->driver_entry, &fz_driver);
    if (!NT_SUCCESS(st)) {
        fprintf(stderr, "mdlkit_fuzz_start: %s did not load: 0x%08X %s\n", t->driver_name, (unsigned)st,
                mdlkit_ntstatus_name(st) ? mdlkit_ntstatus_name(st) : "");
        mdlkit_shutdown();
        return -1;
    }
    fz_ctx = NULL;
    if (t->setup && t->setup(fz_driver, &fz_ctx) != 0) {
        fprintf(stderr, "mdlkit_fuzz_start: the harness's setup failed\n");
        mdlkit_driver_unload(fz_driver);
        mdlkit_shutdown();
        return -1;
    }
    fz_prime_caches();
    fz_snap_take();
    fz_print_take(&fz_base, 1);
    return 0;
}

static void fz_down(void)
{
    PDRIVER_OBJECT drv = fz_driver;
    fz_driver = NULL;
    fz_snap_clear();
    /* Each step may bug check (a leak found at unload): what is done stays done. */
    if (fz_target->teardown)
        fz_target->teardown(drv, fz_ctx);
    if (drv)
        mdlkit_driver_unload(drv);
    if (fz_asan)
        mk_fz_asan_uninstall();
    fz_asan = 0;
    mdlkit_shutdown();
}

/* At a normal exit (libFuzzer's -runs done, a replay finished): stop the
 * target, so its teardown, the unload's and the shutdown's leak checks run. */
static void fz_atexit(void)
{
    if (fz_started && !fz_in_input)
        mdlkit_fuzz_stop();
}

int mdlkit_fuzz_start(const mdlkit_fuzz_target *target)
{
    static int at_exit;
    if (!at_exit && atexit(fz_atexit) == 0)
        at_exit = 1;
    if (fz_started) {
        fprintf(stderr, "mdlkit_fuzz_start: a target is already running\n");
        return -1;
    }
    if (!target || !target->driver_name || !target->driver_entry) {
        fprintf(stderr, "mdlkit_fuzz_start: the target needs a driver name and a DriverEntry\n");
        return -1;
    }
    if (mdlkit_is_initialized()) {
        fprintf(stderr, "mdlkit_fuzz_start: the machine is already running; the fuzzing runtime starts its own\n");
        return -1;
    }
    fz_target = target;
    fz_options = target->options;
    const char *v = getenv("MDLKIT_FUZZ_FAULTS");
    if (v && *v)
        fz_options = (fz_options & ~MDLKIT_FUZZ_FAULTS) | (strtoul(v, NULL, 0) ? MDLKIT_FUZZ_FAULTS : 0);
    /* Under ASan, redzones and poisoning unless turned off. */
    v = getenv("MDLKIT_FUZZ_ASAN");
    if (mk_fz_asan_present() && !(v && *v && strtoul(v, NULL, 0) == 0))
        fz_options |= MDLKIT_FUZZ_ASAN;
    memset(&fz_stats, 0, sizeof fz_stats);
    if (fz_boot() != 0) {
        fz_target = NULL;
        return -1;
    }
    fz_started = 1;
    return 0;
}

void mdlkit_fuzz_stop(void)
{
    if (!fz_started)
        return;
    fz_started = 0; /* even if the unload's leak check bug checks */
    fz_in_input = 0;
    fz_down();
}

void mdlkit_fuzz_get_stats(mdlkit_fuzz_stats *out)
{
    MK_HARNESS_OBJ_OPT(out, "mdlkit_fuzz_get_stats");
    if (out)
        *out = fz_stats;
}

/* ------------------------------------------------------------------------
 * One input
 * ---------------------------------------------------------------------- */
static MK_NOINLINE void fz_report_leak(void)
{
    ULONG64 count, bytes;
    fz_print_diff(&fz_base, &fz_now, 1, &count, &bytes);
    mk_bugcheck_note("mdlkit-fuzz: each input must release what it allocates, locks and maps; the machine "
                     "after the input differs from the state after setup (%llu pool allocations, %llu bytes)",
                     (unsigned long long)count, (unsigned long long)bytes);
    fz_leak_what = "(leak at the end of the input)";
    /* As Windows reports a driver's leak at unload: 0xC4/0x62, P2 the
     * driver's name, P3 0, P4 the allocations not freed (at least 1: a
     * leak of frames, mappings or address space alone counts as one). */
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, (ULONG_PTR)fz_target->driver_name, 0,
                (ULONG_PTR)(count ? count : 1));
}

int mdlkit_fuzz_one(const void *data, size_t size)
{
    if (!fz_started) {
        fprintf(stderr, "mdlkit_fuzz_one: call mdlkit_fuzz_start first\n");
        abort();
    }
    mdlkit_fuzz_data d;
    mdlkit_fuzz_data_init(&d, data, size);
    fz_snap_restore();
    fz_leak_what = NULL;
    memset(&fz_fault, 0, sizeof fz_fault);
    fz_calls = 0;
    fz_fail_nth = (fz_options & MDLKIT_FUZZ_FAULTS) ? mdlkit_fuzz_u8(&d) : 0;
    fz_stats.inputs++;
    fz_in_input = 1;
    if (fz_target->input)
        fz_target->input(fz_ctx, &d);
    fz_print_take(&fz_now, 0);
    ULONG64 count, bytes;
    if (fz_print_diff(&fz_base, &fz_now, 0, &count, &bytes)) {
        if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
            fz_report_leak();
        /* No Pool Tracking: start the next input from a fresh machine. */
        fz_in_input = 0;
        fz_down();
        fz_stats.rebuilds++;
        if (fz_boot() != 0) {
            fprintf(stderr, "mdlkit_fuzz_one: the machine could not be rebuilt after a leaking input\n");
            abort();
        }
    } else if (fz_now.scanned) {
        /* Frames moved, but only the pool's own (its caches grew): that
         * is the new normal. */
        fz_base.free_pages = fz_now.free_pages;
        memcpy(fz_base.uses, fz_now.uses, sizeof fz_base.uses);
    }
    fz_in_input = 0;
    return 0;
}
