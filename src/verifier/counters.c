/*
 * counters.c -- the !verifier-style counters: pool allocations attempted,
 * succeeded, succeeded in special pool, with no tag, failed, and resource
 * allocations failed deliberately. Counted only while a verifier option is
 * on (the pool hooks that count them are not called otherwise).
 *
 * Each thread counts into its own block (mk_vf_count_add: a relaxed load and
 * store, no locked instruction, no shared cache line); a read sums every
 * block. A block is never freed: when its thread exits it goes on a free
 * list and the next new thread adopts it, adding to the counts already in
 * it, so nothing counted is lost and the number of blocks stays at the
 * largest number of threads alive at once. The fast paths count an
 * allocation that cannot fail (a tracked thread-cache hit) once, as
 * MK_VFC_POOL_OK, which a read adds to both "attempted" and "succeeded"
 * (MK_VFC_MDL_OK: an MDL handed out of the MDL cache, counted as an MDL
 * allocated as well). Successful allocations with no tag ('None' or 0) and
 * MDLs allocated from the pool are not counted here at all: a read takes
 * them from the pool's tag table (pooltag.c), so the hooks compare no tags.
 */
#include "mk_base.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_verifier.h"
#include "vf_internal.h"
#include "vf_shadow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

MK_TLS mk_vf_tcounters *mk_vf_tc;

static pthread_mutex_t vc_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(mk_vf_tcounters *) vc_all;
static mk_vf_tcounters *vc_free; /* under vc_lock */
static pthread_once_t vc_once = PTHREAD_ONCE_INIT;
static pthread_key_t vc_key;

static void vc_thread_exit(void *arg)
{
    mk_vf_tcounters *t = arg;
    pthread_mutex_lock(&vc_lock);
    t->next_free = vc_free;
    vc_free = t;
    pthread_mutex_unlock(&vc_lock);
    mk_vf_tc = NULL;
}

static void vc_make_key(void) { (void)pthread_key_create(&vc_key, vc_thread_exit); }

/* The block a thread that cannot get its own counts into (out of host
 * memory): shared, so concurrent counts may be lost -- approximate, never
 * a crash. */
static mk_vf_tcounters vc_shared;

MK_NOINLINE mk_vf_tcounters *mk_vf_tc_attach(void)
{
    pthread_once(&vc_once, vc_make_key);
    pthread_mutex_lock(&vc_lock);
    mk_vf_tcounters *t = vc_free;
    if (t) {
        vc_free = t->next_free;
    } else {
        t = calloc(1, sizeof *t);
        if (t) {
            t->next_all = atomic_load_explicit(&vc_all, memory_order_relaxed);
            atomic_store_explicit(&vc_all, t, memory_order_release);
        }
    }
    pthread_mutex_unlock(&vc_lock);
    if (!t)
        return &vc_shared; /* (not cached: the next call tries again) */
    (void)pthread_setspecific(vc_key, t);
    mk_vf_tc = t;
    return t;
}

/* Allocations of one tag since mdlkit_init (both pools). */
static long long vc_tag_allocs(ULONG tag)
{
    mdlkit_pool_tag_usage u;
    if (!mk_pooltag_usage(tag, &u))
        return 0;
    return (long long)(u.nonpaged_allocs + u.paged_allocs);
}

void mk_vf_counters_read(mk_vf_counters *out)
{
    long long v[MK_VFC_COUNT] = {0};
    pthread_mutex_lock(&vc_lock); /* the list only grows; the lock orders it with attach */
    for (mk_vf_tcounters *t = atomic_load_explicit(&vc_all, memory_order_acquire); t; t = t->next_all)
        for (int i = 0; i < MK_VFC_COUNT; i++)
            v[i] += atomic_load_explicit(&t->v[i], memory_order_relaxed);
    pthread_mutex_unlock(&vc_lock);
    for (int i = 0; i < MK_VFC_COUNT; i++)
        v[i] += atomic_load_explicit(&vc_shared.v[i], memory_order_relaxed);
    long long ok = v[MK_VFC_POOL_OK] + v[MK_VFC_MDL_OK];
    out->pool_attempted = v[MK_VFC_POOL_ATTEMPTED] + ok;
    out->pool_succeeded = v[MK_VFC_POOL_SUCCEEDED] + ok;
    out->pool_special = v[MK_VFC_POOL_SPECIAL];
    out->pool_failed = v[MK_VFC_POOL_FAILED];
    out->faults_injected = v[MK_VFC_FAULTS_INJECTED];
    /* Successful allocations with no tag and MDLs from the pool are the
     * tag table's counts (both start with the machine, as these do). */
    out->pool_no_tag = vc_tag_allocs(MK_VF_TAG_NONE) + vc_tag_allocs(0) + v[MK_VFC_NO_TAG_FAILED];
    out->mdls_allocated = vc_tag_allocs(MK_MDL_TAG) + v[MK_VFC_MDL_OK];
}

/* ------------------------------------------------------------------------
 * Current values and their peaks. The pool's counts are per thread with no
 * shared write on the fast path, so a peak is the highest current value
 * seen when sampled (mk_vf_counters_sample: every read, every report, bug
 * check and leak found), not the exact maximum between samples.
 * ---------------------------------------------------------------------- */
enum { VC_PEAK_PAGED, VC_PEAK_NONPAGED, VC_PEAK_PAGED_BYTES, VC_PEAK_NONPAGED_BYTES, VC_PEAKS };
static atomic_llong vc_peak[VC_PEAKS];

static void vc_raise(int i, long long v)
{
    long long old = atomic_load_explicit(&vc_peak[i], memory_order_relaxed);
    while (v > old && !atomic_compare_exchange_weak(&vc_peak[i], &old, v))
        ;
}

void mk_vf_counters_sample(mdlkit_verifier_counters *out)
{
    mdlkit_verifier_counters c;
    memset(&c, 0, sizeof c);
    size_t n = mdlkit_pool_usage(NULL, 0);
    mdlkit_pool_tag_usage *u = n ? calloc(n, sizeof *u) : NULL;
    if (u) {
        n = mdlkit_pool_usage(u, n);
        for (size_t i = 0; i < n; i++) {
            c.CurrentPagedPoolAllocations += u[i].paged_outstanding;
            c.CurrentNonPagedPoolAllocations += u[i].nonpaged_outstanding;
            c.PagedBytes += u[i].paged_bytes;
            c.NonPagedBytes += u[i].nonpaged_bytes;
        }
        free(u);
    }
    mk_mdl_stats ms;
    memset(&ms, 0, sizeof ms);
    mk_mdl_get_stats(&ms);
    c.LockedPages = ms.locked_pages > 0 ? (ULONG64)ms.locked_pages : 0;
    c.SystemMappings = ms.system_mappings > 0 ? (ULONG64)ms.system_mappings : 0;
    vc_raise(VC_PEAK_PAGED, (long long)c.CurrentPagedPoolAllocations);
    vc_raise(VC_PEAK_NONPAGED, (long long)c.CurrentNonPagedPoolAllocations);
    vc_raise(VC_PEAK_PAGED_BYTES, (long long)c.PagedBytes);
    vc_raise(VC_PEAK_NONPAGED_BYTES, (long long)c.NonPagedBytes);
    c.PeakPagedPoolAllocations = (ULONG64)atomic_load(&vc_peak[VC_PEAK_PAGED]);
    c.PeakNonPagedPoolAllocations = (ULONG64)atomic_load(&vc_peak[VC_PEAK_NONPAGED]);
    c.PeakPagedBytes = (ULONG64)atomic_load(&vc_peak[VC_PEAK_PAGED_BYTES]);
    c.PeakNonPagedBytes = (ULONG64)atomic_load(&vc_peak[VC_PEAK_NONPAGED_BYTES]);
    if (out) {
        mk_vf_counters vc;
        mk_vf_counters_read(&vc);
        c.AllocationsAttempted = (ULONG64)vc.pool_attempted;
        c.AllocationsSucceeded = (ULONG64)vc.pool_succeeded;
        c.AllocationsSucceededSpecialPool = (ULONG64)vc.pool_special;
        c.AllocationsWithNoTag = (ULONG64)vc.pool_no_tag;
        /* Failed = attempted - succeeded: every path counts those two (a
         * failure before the pool reached the hooks, e.g. a bad size, is
         * not in the verifier's own count of failures). */
        c.AllocationsFailed = vc.pool_attempted > vc.pool_succeeded ? (ULONG64)(vc.pool_attempted - vc.pool_succeeded) : 0;
        c.AllocationsFailedDeliberately = (ULONG64)vc.faults_injected;
        c.MdlsAllocated = (ULONG64)vc.mdls_allocated;
        *out = c;
    }
}

void mdlkit_verifier_counters_get(mdlkit_verifier_counters *out)
{
    MK_ENTER("mdlkit_verifier_counters_get");
    if (!out)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_verifier_counters_get: out is NULL", 0, 0);
    mk_vf_counters_sample(out);
}

static void vc_dstat_reset(void);

/* At mdlkit_init, before any thread of the new machine counts. */
void mk_vf_counters_reset(void)
{
    vc_dstat_reset();
    for (int i = 0; i < VC_PEAKS; i++)
        atomic_store(&vc_peak[i], 0);
    pthread_mutex_lock(&vc_lock);
    for (mk_vf_tcounters *t = atomic_load_explicit(&vc_all, memory_order_acquire); t; t = t->next_all)
        for (int i = 0; i < MK_VFC_COUNT; i++)
            atomic_store_explicit(&t->v[i], 0, memory_order_relaxed);
    pthread_mutex_unlock(&vc_lock);
    for (int i = 0; i < MK_VFC_COUNT; i++)
        atomic_store_explicit(&vc_shared.v[i], 0, memory_order_relaxed);
}

/* ------------------------------------------------------------------------
 * Per-driver pool counts (vf_shadow.h: the tracking hooks keep them with
 * one atomic add per count, so the peaks are exact). A slot per driver id;
 * the first allocation charged to a driver notes the driver and its name.
 * ---------------------------------------------------------------------- */
mk_vf_dstat mk_vf_dstats[MK_VF_MAX_DRIVERS];
struct mk_driver *_Atomic mk_vf_dstat_drv[MK_VF_MAX_DRIVERS];
static char vc_dname[MK_VF_MAX_DRIVERS][64];

MK_NOINLINE void mk_vf_dstat_first(struct mk_driver *d)
{
    unsigned id = d->id;
    pthread_mutex_lock(&vc_lock);
    if (atomic_load(&mk_vf_dstat_drv[id]) != d) {
        snprintf(vc_dname[id], sizeof vc_dname[id], "%s", d->name);
        atomic_store(&mk_vf_dstat_drv[id], d);
    }
    pthread_mutex_unlock(&vc_lock);
}

static void vc_dstat_reset(void)
{
    pthread_mutex_lock(&vc_lock);
    for (unsigned i = 0; i < MK_VF_MAX_DRIVERS; i++) {
        mk_vf_dstat *ds = &mk_vf_dstats[i];
        for (int k = 0; k < 2; k++) {
            atomic_store(&ds->n[k], 0);
            atomic_store(&ds->bytes[k], 0);
            atomic_store(&ds->peak_n[k], 0);
            atomic_store(&ds->peak_bytes[k], 0);
        }
        atomic_store(&mk_vf_dstat_drv[i], NULL);
        vc_dname[i][0] = 0;
    }
    pthread_mutex_unlock(&vc_lock);
}

static ULONG64 vc_pos(long long v) { return v > 0 ? (ULONG64)v : 0; }

static void vc_dstat_read(unsigned id, mdlkit_driver_counters *out)
{
    mk_vf_dstat *ds = &mk_vf_dstats[id];
    memset(out, 0, sizeof *out);
    out->id = id;
    pthread_mutex_lock(&vc_lock);
    snprintf(out->name, sizeof out->name, "%s", vc_dname[id]);
    pthread_mutex_unlock(&vc_lock);
    out->CurrentNonPagedPoolAllocations = vc_pos(atomic_load(&ds->n[0]));
    out->CurrentPagedPoolAllocations = vc_pos(atomic_load(&ds->n[1]));
    out->NonPagedBytes = vc_pos(atomic_load(&ds->bytes[0]));
    out->PagedBytes = vc_pos(atomic_load(&ds->bytes[1]));
    out->PeakNonPagedPoolAllocations = vc_pos(atomic_load(&ds->peak_n[0]));
    out->PeakPagedPoolAllocations = vc_pos(atomic_load(&ds->peak_n[1]));
    out->PeakNonPagedBytes = vc_pos(atomic_load(&ds->peak_bytes[0]));
    out->PeakPagedBytes = vc_pos(atomic_load(&ds->peak_bytes[1]));
}

int mdlkit_verifier_driver_counters_get(PDRIVER_OBJECT driver, mdlkit_driver_counters *out)
{
    MK_ENTER("mdlkit_verifier_driver_counters_get");
    if (!out)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_verifier_driver_counters_get: out is NULL", 0, 0);
    mk_driver *d = driver ? mk_driver_from_object(driver) : NULL;
    if (!d || d->id >= MK_VF_MAX_DRIVERS) {
        memset(out, 0, sizeof *out);
        return -1;
    }
    vc_dstat_read(d->id, out);
    if (!out->name[0])
        snprintf(out->name, sizeof out->name, "%s", d->name); /* nothing charged to it yet */
    return 0;
}

size_t mdlkit_verifier_drivers_counters(mdlkit_driver_counters *out, size_t max)
{
    MK_ENTER("mdlkit_verifier_drivers_counters");
    size_t n = 0;
    for (unsigned id = 0; id < MK_VF_MAX_DRIVERS; id++) {
        if (!atomic_load(&mk_vf_dstat_drv[id]))
            continue;
        if (out && n < max)
            vc_dstat_read(id, &out[n]);
        n++;
    }
    return n;
}
