/*
 * faults.c -- Low Resources Simulation: randomized (option 0x4) and
 * systematic (option 0x40000). The layers ask one question before an
 * allocation Driver Verifier can fail: mk_verifier_fail_now(site, tag,
 * caller) (mk_verifier.h).
 *
 * Randomized: a call fails with probability cfg.fault_probability / 10000.
 * The decision is a hash of (seed, processor number, that thread's count of
 * eligible calls), so the same seed and the same sequence of calls fail the
 * same calls, also with several threads (each thread's own sequence is what
 * counts). cfg.fault_tags ("Tag1,Ab*,?xyz") restricts it to pool
 * allocations whose tag matches; calls without a tag are then never failed.
 *
 * Systematic: a call fails the first time its call site is seen, and passes
 * ever after. A call site is a hash of the routine kind and the frames of
 * the call stack from the driver's call of the DDI outwards (ft_site_key),
 * taken relative to each frame's module so that it is
 * the same in every run (ASLR). With cfg.systematic_state the set of sites
 * already failed is kept in that file (one hex key a line, appended as
 * sites fail), so re-running a test fails the sites not yet failed: every
 * first-seen site is failed in a run. When a run sees no new site the
 * program has walked all of its allocation error paths.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_verifier.h"
#include "vf_internal.h"

#include <dlfcn.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FT_FRAMES 16

static const char *const ft_site_name[MK_FAULT_SITE_COUNT] = {
    "ExAllocatePool*",            "ExAllocateFromLookasideListEx", "IoAllocateMdl",
    "MmProbeAndLockPages",        "MmMapLockedPagesSpecifyCache",  "MmAllocatePagesForMdlEx",
    "MmAllocateContiguousMemory", "IoAllocateIrp",                 "StorPortExtendedFunction",
    "NdisAllocateMemory",
};

typedef struct ft_thread {
    unsigned gen;
    uint64_t calls;
} ft_thread;
static MK_TLS ft_thread ft_tls;

static pthread_mutex_t ft_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *ft_set;        /* open addressing, 0 = empty */
static size_t ft_set_cap, ft_set_n;
static char ft_tags[16][8];
static int ft_ntags;

static inline uint64_t ft_mix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

static int ft_set_has(uint64_t k)
{
    if (!ft_set_cap)
        return 0;
    for (size_t i = k & (ft_set_cap - 1);; i = (i + 1) & (ft_set_cap - 1)) {
        if (ft_set[i] == k)
            return 1;
        if (ft_set[i] == 0)
            return 0;
    }
}

static int ft_set_add(uint64_t k)
{
    if ((ft_set_n + 1) * 2 > ft_set_cap) {
        size_t cap = ft_set_cap ? ft_set_cap * 2 : 256;
        uint64_t *n = calloc(cap, sizeof *n);
        if (!n)
            return -1;
        for (size_t i = 0; i < ft_set_cap; i++)
            if (ft_set[i]) {
                size_t j = ft_set[i] & (cap - 1);
                while (n[j])
                    j = (j + 1) & (cap - 1);
                n[j] = ft_set[i];
            }
        free(ft_set);
        ft_set = n;
        ft_set_cap = cap;
    }
    size_t i = k & (ft_set_cap - 1);
    while (ft_set[i])
        i = (i + 1) & (ft_set_cap - 1);
    ft_set[i] = k;
    ft_set_n++;
    return 0;
}

int mk_vf_faults_init(void)
{
    ft_ntags = 0;
    const char *t = mk_rt.cfg.fault_tags;
    while (t && *t && ft_ntags < (int)MK_ARRAY_SIZE(ft_tags)) {
        size_t n = strcspn(t, ", ");
        if (n && n < sizeof ft_tags[0]) {
            memcpy(ft_tags[ft_ntags], t, n);
            ft_tags[ft_ntags][n] = 0;
            ft_ntags++;
        }
        t += n;
        while (*t == ',' || *t == ' ')
            t++;
    }
    free(ft_set);
    ft_set = NULL;
    ft_set_cap = ft_set_n = 0;
    const char *path = mk_rt.cfg.systematic_state;
    if (mk_verifier_on(MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES) && path && *path) {
        FILE *f = fopen(path, "r");
        if (f) {
            char line[64];
            while (fgets(line, sizeof line, f)) {
                unsigned long long k = strtoull(line, NULL, 16);
                if (k && !ft_set_has(k))
                    ft_set_add(k);
            }
            fclose(f);
        }
    }
    return 0;
}

void mk_vf_faults_shutdown(void)
{
    free(ft_set);
    ft_set = NULL;
    ft_set_cap = ft_set_n = 0;
}

static int ft_tag_selected(ULONG tag)
{
    if (!ft_ntags)
        return 1;
    if (!tag)
        return 0;
    char name[24];
    mk_vf_tag_name(tag, name, sizeof name);
    for (int i = 0; i < ft_ntags; i++)
        if (fnmatch(ft_tags[i], name, 0) == 0)
            return 1;
    return 0;
}

/* A call site's key: the frames from the driver's return address
 * (`caller`) on -- which of mdlkit's own paths led from the DDI to the
 * question (a fast path's next step or the full path, a tail call or a
 * real frame in an unoptimised build) is not part of the site -- taken
 * module-relative, so that it is the same in every run (ASLR). With
 * `caller` not among the frames, all of them. */
static uint64_t ft_site_key(enum mk_fault_site site, void **pcs, int n, const void *caller)
{
    uint64_t h = ft_mix((uint64_t)site + 1);
    int from = 0;
    for (int i = 0; caller && i < n; i++)
        if (pcs[i] == caller) {
            from = i;
            break;
        }
    for (int i = from; i < n; i++) {
        uintptr_t pc = (uintptr_t)pcs[i];
        Dl_info di;
        if (dladdr(pcs[i], &di) && di.dli_fbase)
            pc -= (uintptr_t)di.dli_fbase;
        h = ft_mix(h ^ pc);
    }
    return h ? h : 1;
}

static const char *ft_routine(enum mk_fault_site site, ULONG tag)
{
    if (tag == MK_FAULT_TAG_MDL && site == MK_FAULT_NDIS)
        return "NdisAllocateMdl";
    if (tag == MK_FAULT_TAG_MDL && site == MK_FAULT_STORPORT)
        return "StorPortAllocateMdl";
    if (site == MK_FAULT_POOL) {
        if (tag == ' LDM')
            return "IoAllocateMdl";
        if (tag == ' prI')
            return "IoAllocateIrp";
    }
    return ft_site_name[site];
}

static void ft_log(enum mk_fault_site site, ULONG tag, void **pcs, int n)
{
    mk_vf_frame_list st;
    st.n = 0;
    for (int i = 0; i < n && st.n < (int)MK_ARRAY_SIZE(st.pcs); i++)
        st.pcs[st.n++] = pcs[i];
    mk_vf_count_add(MK_VFC_FAULTS_INJECTED, 1);
    mk_vf_report_add_fault(ft_routine(site, tag), tag, &st);
}

MK_NOINLINE bool mk_vf_fail(int site_, ULONG tag, void *caller)
{
    enum mk_fault_site site = (enum mk_fault_site)site_;
    if ((unsigned)site >= MK_FAULT_SITE_COUNT || !atomic_load_explicit(&mk_vf_active, memory_order_relaxed) ||
        mk_self.io_manager > 0)
        return false; /* (the I/O manager's own allocation: mk_thread.io_manager) */
    void *pcs[FT_FRAMES];
    int n = 0;
    if (mk_verifier_on(MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES)) {
        n = mk_capture_stack(pcs, FT_FRAMES, 1);
        uint64_t key = ft_site_key(site, pcs, n, caller);
        int fail = 0;
        pthread_mutex_lock(&ft_lock);
        if (!ft_set_has(key) && ft_set_add(key) == 0)
            fail = 1;
        pthread_mutex_unlock(&ft_lock);
        if (fail) {
            const char *path = mk_rt.cfg.systematic_state;
            if (path && *path) {
                FILE *f = fopen(path, "a");
                if (f) {
                    fprintf(f, "%016llx %s\n", (unsigned long long)key, ft_routine(site, tag));
                    fclose(f);
                }
            }
            ft_log(site, tag, pcs, n);
            return true;
        }
    }
    if (mk_verifier_on(MDLKIT_VERIFY_LOW_RESOURCES) && mk_rt.cfg.fault_probability && ft_tag_selected(tag)) {
        mk_thread_attach();
        unsigned gen = atomic_load_explicit(&mk_rt.generation, memory_order_relaxed);
        if (ft_tls.gen != gen) {
            ft_tls.gen = gen;
            ft_tls.calls = 0;
        }
        uint64_t x = ft_mix(((uint64_t)mk_rt.cfg.fault_seed << 32) ^ ((uint64_t)mk_self.cpu << 56) ^ ft_tls.calls++);
        if (x % 10000 < mk_rt.cfg.fault_probability) {
            if (!n)
                n = mk_capture_stack(pcs, FT_FRAMES, 1);
            ft_log(site, tag, pcs, n);
            return true;
        }
    }
    return false;
}
