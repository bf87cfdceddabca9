/*
 * report.c -- the verifier's report, as text (mdlkit_report_print) and as
 * JSON (mdlkit_report_write; docs/report-format.md). Keeps what the report
 * lists besides the counters: leaks found by Pool Tracking, faults injected
 * by the low-resources simulations, and the last bug check. The JSON file
 * is written atomically (path.tmp, then rename) at mdlkit_shutdown and
 * right before an uncaught bug check aborts the process.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_mdl.h"
#include "mk_verifier.h"
#include "vf_internal.h"
#include "vf_shadow.h"
#include "vf_tracking.h"
#include "mk_driver.h"
#include "mk_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RP_MAX_LEAKS 1024
#define RP_MAX_FAULTS 1024

typedef struct rp_leak {
    char kind[16];
    char driver[64];
    const void *addr;
    size_t size;
    ULONG tag;
    mk_vf_frame_list stack;
} rp_leak;

typedef struct rp_fault {
    const char *routine;
    ULONG tag;
    mk_vf_frame_list stack;
} rp_fault;

static pthread_mutex_t rp_lock = PTHREAD_MUTEX_INITIALIZER;
static rp_leak *rp_leaks;
static size_t rp_nleaks, rp_leaks_dropped;
static rp_fault *rp_faults;
static size_t rp_nfaults, rp_faults_dropped;
static int rp_have_bc, rp_bc_caught;
/* The pool table as it was when a leak check found its first leak (before
 * a port layer reclaims the leaked blocks): the table the JSON report shows
 * next to the leaks. A bug check closes the leak check. */
static mdlkit_pool_tag_usage *rp_snap;
static size_t rp_nsnap;
static int rp_snap_open;
/* Every bug check of this machine, caught or not, in order. */
#define RP_MAX_BUGCHECKS 64
static struct {
    mdlkit_bugcheck bc;
    int caught;
} rp_bcs[RP_MAX_BUGCHECKS];
static size_t rp_nbcs, rp_bcs_dropped;
static mdlkit_bugcheck rp_bc;
static mk_vf_frame_list rp_bc_stack;
/* The allocate/free log of the block the last bug check is about (0xC2,
 * 0xC4 pool subcodes, special pool), newest first. */
#define RP_BC_LOG 8
#define RP_JSON_LOG 64 /* entries of the log in the JSON report */
static mdlkit_pool_log_entry rp_bc_log[RP_BC_LOG];
static size_t rp_bc_nlog;
static const void *rp_bc_block;

void mk_vf_report_reset(void)
{
    pthread_mutex_lock(&rp_lock);
    free(rp_leaks);
    free(rp_faults);
    rp_leaks = NULL;
    rp_faults = NULL;
    rp_nleaks = rp_leaks_dropped = rp_nfaults = rp_faults_dropped = 0;
    rp_have_bc = 0;
    free(rp_snap);
    rp_snap = NULL;
    rp_nsnap = 0;
    rp_snap_open = 0;
    rp_nbcs = rp_bcs_dropped = 0;
    rp_bc_nlog = 0;
    rp_bc_block = NULL;
    pthread_mutex_unlock(&rp_lock);
    mk_vf_log_reset();
}

void mk_vf_tag_name(ULONG tag, char *buf, size_t len)
{
    size_t o = 0;
    for (int i = 0; i < 4 && o + 5 < len; i++) {
        unsigned char c = (unsigned char)(tag >> (8 * i));
        if (c == 0)
            break;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, len - o, "\\x%02X", c);
    }
    buf[o < len ? o : len - 1] = 0;
}

/* The next free entry of a bounded list (made on first use), or NULL when
 * it is full (or cannot be made): the entry is then counted as dropped.
 * rp_lock held. */
static void *rp_slot(void **list, size_t *n, size_t max, size_t elem, size_t *dropped)
{
    if (!*list)
        *list = calloc(max, elem);
    if (!*list || *n >= max) {
        (*dropped)++;
        return NULL;
    }
    return (char *)*list + (*n)++ * elem;
}

void mk_vf_report_add_leak(const char *kind, const char *driver, const void *addr, size_t size, ULONG tag,
                           const mk_vf_frame_list *stack)
{
    mk_vf_counters_sample(NULL); /* a peak sampling point */
    pthread_mutex_lock(&rp_lock);
    int snap = !rp_snap_open;
    rp_snap_open = 1;
    pthread_mutex_unlock(&rp_lock);
    if (snap) {
        size_t n = mdlkit_pool_usage(NULL, 0);
        mdlkit_pool_tag_usage *u = n ? calloc(n, sizeof *u) : NULL;
        if (u)
            n = mdlkit_pool_usage(u, n);
        pthread_mutex_lock(&rp_lock);
        free(rp_snap);
        rp_snap = u;
        rp_nsnap = u ? n : 0;
        pthread_mutex_unlock(&rp_lock);
    }
    pthread_mutex_lock(&rp_lock);
    rp_leak *l = rp_slot((void **)&rp_leaks, &rp_nleaks, RP_MAX_LEAKS, sizeof *rp_leaks, &rp_leaks_dropped);
    if (l) {
        snprintf(l->kind, sizeof l->kind, "%s", kind);
        snprintf(l->driver, sizeof l->driver, "%s", driver);
        l->addr = addr;
        l->size = size;
        l->tag = tag;
        l->stack = *stack;
    }
    pthread_mutex_unlock(&rp_lock);
}

void mk_vf_report_add_fault(const char *routine, ULONG tag, const mk_vf_frame_list *stack)
{
    pthread_mutex_lock(&rp_lock);
    rp_fault *f = rp_slot((void **)&rp_faults, &rp_nfaults, RP_MAX_FAULTS, sizeof *rp_faults, &rp_faults_dropped);
    if (f) {
        f->routine = routine;
        f->tag = tag;
        f->stack = *stack;
    }
    pthread_mutex_unlock(&rp_lock);
}

static size_t lg_collect(const void *address, mdlkit_pool_log_entry *out, size_t max);

/* The pool block a bug check is about, or NULL: BAD_POOL_CALLER and the
 * verifier's pool subcodes (docs/verifier.md), special pool's. */
static const void *rp_bc_pool_block(const mdlkit_bugcheck *bc)
{
    ULONG_PTR a = 0;
    switch (bc->code) {
    case BAD_POOL_CALLER:
        a = bc->param[0] == 0x07 || bc->param[0] == 0x09 ? bc->param[3] : bc->param[1];
        break;
    case DRIVER_VERIFIER_DETECTED_VIOLATION:
        if (bc->param[0] == 0x10)
            a = bc->param[1];
        else if (bc->param[0] == 0x11 || bc->param[0] == 0x12)
            a = bc->param[3];
        else if (bc->param[0] == 0x13)
            a = bc->param[2];
        break;
    case SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION:
    case DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL:
    case PAGE_FAULT_IN_FREED_SPECIAL_POOL:
        a = bc->param[0];
        break;
    default:
        break;
    }
    return (const void *)a;
}

void mk_vf_report_set_bugcheck(const mdlkit_bugcheck *bc, int caught, const mk_vf_frame_list *stack)
{
    /* the block's history, from the allocate/free log (!verifier 0x80) */
    const void *blk = mk_verifier_on(MK_VF_LOG_FLAGS) ? rp_bc_pool_block(bc) : NULL;
    mdlkit_pool_log_entry lg[RP_BC_LOG];
    size_t nlg = blk ? lg_collect(blk, lg, RP_BC_LOG) : 0;
    if (nlg > RP_BC_LOG)
        nlg = RP_BC_LOG;
    if (blk && !(caught && mk_rt.cfg.quiet)) {
        fprintf(stderr, "mdlkit: pool allocate/free log of block %p (!verifier 0x80), newest first:\n", blk);
        if (!mk_vf_log_print(stderr, blk, RP_BC_LOG, "    "))
            fprintf(stderr, "    (no operation on it among the last %d of each thread)\n", MK_VF_LOG_N);
        fflush(stderr);
    }
    pthread_mutex_lock(&rp_lock);
    rp_bc_block = blk;
    rp_bc_nlog = nlg;
    memcpy(rp_bc_log, lg, nlg * sizeof lg[0]);
    rp_bc = *bc;
    rp_bc_caught = caught;
    rp_bc_stack = *stack;
    rp_have_bc = 1;
    rp_snap_open = 0;
    if (rp_nbcs < RP_MAX_BUGCHECKS) {
        rp_bcs[rp_nbcs].bc = *bc;
        rp_bcs[rp_nbcs].caught = caught;
        rp_nbcs++;
    } else {
        rp_bcs_dropped++;
    }
    pthread_mutex_unlock(&rp_lock);
}

/* ------------------------------------------------------------------------
 * Text
 * ---------------------------------------------------------------------- */
/* The user-visible frames (the same filter as the JSON stacks below). */
static int rp_stack_lines(const mk_vf_frame_list *st, char (*buf)[MK_STACK_LINE], char **lines, int max)
{
    for (int i = 0; i < max; i++)
        lines[i] = buf[i];
    return mk_stack_format(st->pcs, st->n, lines, max);
}

static void rp_print_stack(FILE *out, const mk_vf_frame_list *st, const char *indent)
{
    enum { MAXL = (int)MK_ARRAY_SIZE(st->pcs) };
    char buf[MAXL][MK_STACK_LINE];
    char *lines[MAXL];
    int n = rp_stack_lines(st, buf, lines, MAXL);
    for (int i = 0; i < n; i++)
        fprintf(out, "%s%s\n", indent, lines[i]);
}

/* The !verifier statistics, one row each: the label of the text table, the
 * JSON key, the group (cumulative since mdlkit_init, or what the machine
 * holds now, with its peak when it has one) and where the values are. The
 * text table and the JSON report both come from this one table. */
enum { RP_CUMULATIVE, RP_CURRENT };
#define RP_AT(field) offsetof(mdlkit_verifier_counters, field)
#define RP_NO_PEAK ((size_t)-1)
static const struct rp_counter {
    const char *text, *json;
    int group;
    size_t value, peak;
} rp_counters[] = {
    {"Pool Allocations Attempted", "pool_allocations_attempted", RP_CUMULATIVE, RP_AT(AllocationsAttempted), RP_NO_PEAK},
    {"Pool Allocations Succeeded", "pool_allocations_succeeded", RP_CUMULATIVE, RP_AT(AllocationsSucceeded), RP_NO_PEAK},
    {"Pool Allocations Succeeded SpecialPool", "pool_allocations_succeeded_special_pool", RP_CUMULATIVE,
     RP_AT(AllocationsSucceededSpecialPool), RP_NO_PEAK},
    {"Pool Allocations With NO TAG", "pool_allocations_with_no_tag", RP_CUMULATIVE, RP_AT(AllocationsWithNoTag),
     RP_NO_PEAK},
    {"Pool Allocations Failed", "pool_allocations_failed", RP_CUMULATIVE, RP_AT(AllocationsFailed), RP_NO_PEAK},
    {"Resource Allocations Failed Deliberately", "resource_allocations_failed_deliberately", RP_CUMULATIVE,
     RP_AT(AllocationsFailedDeliberately), RP_NO_PEAK},
    {"MDLs Allocated", "mdls_allocated", RP_CUMULATIVE, RP_AT(MdlsAllocated), RP_NO_PEAK},
    {"Current paged pool allocations", "paged_pool_allocations", RP_CURRENT, RP_AT(CurrentPagedPoolAllocations),
     RP_AT(PeakPagedPoolAllocations)},
    {"Current nonpaged pool allocations", "nonpaged_pool_allocations", RP_CURRENT,
     RP_AT(CurrentNonPagedPoolAllocations), RP_AT(PeakNonPagedPoolAllocations)},
    {"Current paged pool bytes", "paged_bytes", RP_CURRENT, RP_AT(PagedBytes), RP_AT(PeakPagedBytes)},
    {"Current nonpaged pool bytes", "nonpaged_bytes", RP_CURRENT, RP_AT(NonPagedBytes), RP_AT(PeakNonPagedBytes)},
    {"Pages locked", "pages_locked", RP_CURRENT, RP_AT(LockedPages), RP_NO_PEAK},
    {"System mappings", "system_mappings", RP_CURRENT, RP_AT(SystemMappings), RP_NO_PEAK},
};

static unsigned long long rp_value(const mdlkit_verifier_counters *vc, size_t at)
{
    ULONG64 v;
    memcpy(&v, (const char *)vc + at, sizeof v);
    return (unsigned long long)v;
}

static void rp_counters_text(FILE *out, const mdlkit_verifier_counters *vc)
{
    for (size_t i = 0; i < MK_ARRAY_SIZE(rp_counters); i++) {
        const struct rp_counter *c = &rp_counters[i];
        if (i > 0 && c->group != rp_counters[i - 1].group)
            fprintf(out, "\nCurrent (now) and peak values\n\n");
        fprintf(out, "  %-40s: %llu", c->text, rp_value(vc, c->value));
        if (c->peak != RP_NO_PEAK)
            fprintf(out, " (peak %llu)", rp_value(vc, c->peak));
        fprintf(out, "\n");
    }
    fprintf(out, "\n");
}

/* The JSON report's "counters" (cumulative), "current" and "peak" objects. */
static void rp_counters_json(FILE *f, const mdlkit_verifier_counters *vc)
{
    static const char *const key[] = {"counters", "current", "peak"};
    for (int g = 0; g < 3; g++) {
        fprintf(f, "  \"%s\": {", key[g]);
        const char *sep = "\n";
        for (size_t i = 0; i < MK_ARRAY_SIZE(rp_counters); i++) {
            const struct rp_counter *c = &rp_counters[i];
            if (g == 2 ? c->peak == RP_NO_PEAK : c->group != g)
                continue;
            fprintf(f, "%s    \"%s\": %llu", sep, c->json, rp_value(vc, g == 2 ? c->peak : c->value));
            sep = ",\n";
        }
        fprintf(f, "\n  },\n");
    }
}

void mdlkit_report_print(FILE *out)
{
    MK_ENTER("mdlkit_report_print");
    mk_thread_attach();
    fprintf(out, "Verifier flags: 0x%08X\n\n", mk_rt.verifier);
    fprintf(out, "Summary of All Verifier Statistics (since mdlkit_init)\n\n");
    mdlkit_verifier_counters vc;
    mk_vf_counters_sample(&vc);
    rp_counters_text(out, &vc);
    size_t ndc = mdlkit_verifier_drivers_counters(NULL, 0);
    mdlkit_driver_counters *dc = ndc ? calloc(ndc, sizeof *dc) : NULL;
    if (dc) {
        ndc = mdlkit_verifier_drivers_counters(dc, ndc);
        fprintf(out, "Per driver (Pool Tracking): current (peak)\n\n");
        fprintf(out, "  %-20s %18s %22s %18s %22s\n", "Driver", "NonPagedPool", "NonPagedBytes", "PagedPool",
                "PagedBytes");
        for (size_t i = 0; i < ndc; i++) {
            char c[4][48];
            snprintf(c[0], sizeof c[0], "%llu (%llu)", (unsigned long long)dc[i].CurrentNonPagedPoolAllocations,
                     (unsigned long long)dc[i].PeakNonPagedPoolAllocations);
            snprintf(c[1], sizeof c[1], "%llu (%llu)", (unsigned long long)dc[i].NonPagedBytes,
                     (unsigned long long)dc[i].PeakNonPagedBytes);
            snprintf(c[2], sizeof c[2], "%llu (%llu)", (unsigned long long)dc[i].CurrentPagedPoolAllocations,
                     (unsigned long long)dc[i].PeakPagedPoolAllocations);
            snprintf(c[3], sizeof c[3], "%llu (%llu)", (unsigned long long)dc[i].PagedBytes,
                     (unsigned long long)dc[i].PeakPagedBytes);
            fprintf(out, "  %-20s %18s %22s %18s %22s\n", dc[i].name, c[0], c[1], c[2], c[3]);
        }
        fputc('\n', out);
        free(dc);
    }
    mdlkit_pool_print(out, MDLKIT_POOL_SORT_TAG);
    pthread_mutex_lock(&rp_lock);
    if (rp_nleaks) {
        fprintf(out, "\nLeaks (%zu%s):\n", rp_nleaks, rp_leaks_dropped ? ", more not kept" : "");
        for (size_t i = 0; i < rp_nleaks; i++) {
            rp_leak *l = &rp_leaks[i];
            char tag[24];
            mk_vf_tag_name(l->tag, tag, sizeof tag);
            fprintf(out, "  %-12s %p  %zu %s  tag '%s'  driver %s\n", l->kind, l->addr, l->size,
                    strcmp(l->kind, "locked_pages") ? "bytes" : "pages", tag, l->driver);
            rp_print_stack(out, &l->stack, "      ");
        }
    }
    if (rp_nfaults) {
        fprintf(out, "\nFaults injected (%zu%s):\n", rp_nfaults, rp_faults_dropped ? ", more not kept" : "");
        for (size_t i = 0; i < rp_nfaults; i++) {
            rp_fault *f = &rp_faults[i];
            char tag[24];
            mk_vf_tag_name(f->tag, tag, sizeof tag);
            fprintf(out, "  %s  tag '%s'\n", f->routine, tag);
            rp_print_stack(out, &f->stack, "      ");
        }
    }
    if (rp_have_bc) {
        const char *name = mdlkit_bugcheck_name(rp_bc.code);
        fprintf(out, "\nBug check 0x%08X %s (%s)\n  (0x%lx, 0x%lx, 0x%lx, 0x%lx)\n", rp_bc.code, name ? name : "?",
                rp_bc_caught ? "caught" : "not caught", (unsigned long)rp_bc.param[0], (unsigned long)rp_bc.param[1],
                (unsigned long)rp_bc.param[2], (unsigned long)rp_bc.param[3]);
        rp_print_stack(out, &rp_bc_stack, "      ");
    }
    pthread_mutex_unlock(&rp_lock);
}

/* ------------------------------------------------------------------------
 * JSON
 * ---------------------------------------------------------------------- */
static void rp_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* The user-visible frames only (mk_stack_format: the bug-check report's
 * filter), so the first line names the driver's code. */
static void rp_json_stack(FILE *f, const mk_vf_frame_list *st)
{
    enum { MAXL = (int)MK_ARRAY_SIZE(st->pcs) };
    char buf[MAXL][MK_STACK_LINE];
    char *lines[MAXL];
    int n = rp_stack_lines(st, buf, lines, MAXL);
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        rp_json_str(f, lines[i]);
    }
    fputc(']', f);
}

/* Log entries (mdlkit_pool_log) as a JSON array. */
static void rp_json_log(FILE *f, const mdlkit_pool_log_entry *v, size_t n, const char *indent)
{
    fputc('[', f);
    for (size_t i = 0; i < n; i++) {
        char tag[24];
        mk_vf_tag_name(v[i].tag, tag, sizeof tag);
        fprintf(f, "%s\n%s{ \"op\": \"%s\", \"thread\": %u, \"seq\": %llu, \"address\": \"%p\", \"size\": %zu, "
                   "\"tag\": ",
                i ? "," : "", indent, v[i].op == MK_VF_LOG_ALLOC ? "alloc" : "free", v[i].thread, v[i].seq,
                v[i].address, v[i].size);
        rp_json_str(f, tag);
        fputs(", \"driver\": ", f);
        rp_json_str(f, v[i].driver);
        mk_vf_frame_list st;
        st.n = v[i].nframes;
        memcpy(st.pcs, v[i].frames, sizeof(void *) * (size_t)v[i].nframes);
        fputs(", \"stack\": ", f);
        rp_json_stack(f, &st);
        fputs(" }", f);
    }
    fputs(n ? "\n  ]" : "]", f);
}

static const char *rp_os_name(ULONG os)
{
    static const struct {
        ULONG v;
        const char *n;
    } t[] = {{NTDDI_WIN2K, "win2k"}, {NTDDI_WINXP, "winxp"}, {NTDDI_WS03, "ws03"},  {NTDDI_VISTA, "vista"},
             {NTDDI_WIN7, "win7"},   {NTDDI_WIN8, "win8"},   {NTDDI_WINBLUE, "win81"}, {NTDDI_WIN10, "win10"},
             {NTDDI_WIN10_VB, "win10-2004"}, {NTDDI_WIN11_GE, "win11"}};
    const char *best = "unknown";
    for (size_t i = 0; i < MK_ARRAY_SIZE(t); i++)
        if (os >= t[i].v)
            best = t[i].n;
    return best;
}

static void rp_json(FILE *f)
{
    const mdlkit_config *c = &mk_rt.cfg;
    fprintf(f, "{\n  \"mdlkit_report\": 1,\n  \"config\": {\n");
    fprintf(f, "    \"physical_memory\": %zu,\n    \"os_version\": \"0x%08X\",\n    \"os_name\": \"%s\",\n",
            c->physical_memory, c->os_version, rp_os_name(c->os_version));
    fprintf(f, "    \"verifier_flags\": \"0x%08X\",\n    \"fault_probability\": %u,\n    \"fault_seed\": %u,\n",
            c->verifier_flags, c->fault_probability, c->fault_seed);
    fputs("    \"fault_tags\": ", f);
    if (c->fault_tags)
        rp_json_str(f, c->fault_tags);
    else
        fputs("null", f);
    fprintf(f, ",\n    \"processors\": %u\n  },\n", c->processors);

    mdlkit_verifier_counters vc;
    mk_vf_counters_sample(&vc);
    rp_counters_json(f, &vc);

    /* The pool table next to the leaks: as it was when the leak check found
     * them, if one did (the blocks may have been reclaimed since). */
    size_t ntags = 0;
    mdlkit_pool_tag_usage *u = NULL;
    pthread_mutex_lock(&rp_lock);
    if (rp_snap && rp_nsnap && (u = calloc(rp_nsnap, sizeof *u)) != NULL) {
        memcpy(u, rp_snap, rp_nsnap * sizeof *u);
        ntags = rp_nsnap;
    }
    pthread_mutex_unlock(&rp_lock);
    fprintf(f, "  \"pool_at\": \"%s\",\n", u ? "leak check" : "report");
    if (!u) {
        ntags = mdlkit_pool_usage(NULL, 0);
        u = ntags ? calloc(ntags, sizeof *u) : NULL;
        if (u)
            ntags = mdlkit_pool_usage(u, ntags);
    }
    fputs("  \"pool\": [", f);
    if (u) {
        for (size_t i = 0; i < ntags; i++) {
            char tag[24];
            mk_vf_tag_name(u[i].tag, tag, sizeof tag);
            fprintf(f, "%s\n    { \"tag\": ", i ? "," : "");
            rp_json_str(f, tag);
            fprintf(f,
                    ", \"nonpaged_allocs\": %llu, \"nonpaged_frees\": %llu, \"nonpaged_bytes\": %llu, "
                    "\"paged_allocs\": %llu, \"paged_frees\": %llu, \"paged_bytes\": %llu }",
                    (unsigned long long)u[i].nonpaged_allocs, (unsigned long long)u[i].nonpaged_frees,
                    (unsigned long long)u[i].nonpaged_bytes, (unsigned long long)u[i].paged_allocs,
                    (unsigned long long)u[i].paged_frees, (unsigned long long)u[i].paged_bytes);
        }
        free(u);
    }
    fputs(ntags ? "\n  ],\n" : "],\n", f);

    pthread_mutex_lock(&rp_lock);
    /* drivers: Pool Tracking's per-driver counts (exact peaks), and the
     * leaks found, by driver */
    size_t ndc = mdlkit_verifier_drivers_counters(NULL, 0);
    mdlkit_driver_counters *dc = ndc ? calloc(ndc, sizeof *dc) : NULL;
    if (dc)
        ndc = mdlkit_verifier_drivers_counters(dc, ndc);
    else
        ndc = 0;
    fputs("  \"drivers\": [", f);
    int nd = 0;
    for (size_t i = 0; i < ndc; i++) {
        size_t cnt = 0;
        for (size_t j = 0; j < rp_nleaks; j++)
            if (strcmp(rp_leaks[j].driver, dc[i].name) == 0)
                cnt++;
        fprintf(f, "%s\n    { \"name\": ", nd++ ? "," : "");
        rp_json_str(f, dc[i].name);
        fprintf(f,
                ", \"outstanding\": %zu,\n      \"current\": { \"paged_pool_allocations\": %llu, "
                "\"nonpaged_pool_allocations\": %llu, \"paged_bytes\": %llu, \"nonpaged_bytes\": %llu },\n"
                "      \"peak\": { \"paged_pool_allocations\": %llu, \"nonpaged_pool_allocations\": %llu, "
                "\"paged_bytes\": %llu, \"nonpaged_bytes\": %llu } }",
                cnt, (unsigned long long)dc[i].CurrentPagedPoolAllocations,
                (unsigned long long)dc[i].CurrentNonPagedPoolAllocations, (unsigned long long)dc[i].PagedBytes,
                (unsigned long long)dc[i].NonPagedBytes, (unsigned long long)dc[i].PeakPagedPoolAllocations,
                (unsigned long long)dc[i].PeakNonPagedPoolAllocations, (unsigned long long)dc[i].PeakPagedBytes,
                (unsigned long long)dc[i].PeakNonPagedBytes);
    }
    for (size_t i = 0; i < rp_nleaks; i++) {
        int seen = 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(rp_leaks[j].driver, rp_leaks[i].driver) == 0)
                seen = 1;
        for (size_t j = 0; j < ndc; j++)
            if (strcmp(dc[j].name, rp_leaks[i].driver) == 0)
                seen = 1;
        if (seen)
            continue;
        size_t cnt = 0;
        for (size_t j = i; j < rp_nleaks; j++)
            if (strcmp(rp_leaks[j].driver, rp_leaks[i].driver) == 0)
                cnt++;
        fprintf(f, "%s\n    { \"name\": ", nd++ ? "," : "");
        rp_json_str(f, rp_leaks[i].driver);
        fprintf(f, ", \"outstanding\": %zu }", cnt);
    }
    free(dc);
    fputs(nd ? "\n  ],\n" : "],\n", f);

    fputs("  \"leaks\": [", f);
    for (size_t i = 0; i < rp_nleaks; i++) {
        rp_leak *l = &rp_leaks[i];
        char tag[24];
        mk_vf_tag_name(l->tag, tag, sizeof tag);
        fprintf(f, "%s\n    { \"kind\": ", i ? "," : "");
        rp_json_str(f, l->kind);
        fputs(", \"driver\": ", f);
        rp_json_str(f, l->driver);
        fprintf(f, ", \"address\": \"%p\", \"size\": %zu, \"tag\": ", l->addr, l->size);
        rp_json_str(f, tag);
        fputs(", \"stack\": ", f);
        rp_json_stack(f, &l->stack);
        fputs(" }", f);
    }
    fputs(rp_nleaks ? "\n  ],\n" : "],\n", f);

    fputs("  \"faults_injected\": [", f);
    for (size_t i = 0; i < rp_nfaults; i++) {
        rp_fault *ft = &rp_faults[i];
        char tag[24];
        mk_vf_tag_name(ft->tag, tag, sizeof tag);
        fprintf(f, "%s\n    { \"routine\": ", i ? "," : "");
        rp_json_str(f, ft->routine);
        fputs(", \"tag\": ", f);
        if (ft->tag)
            rp_json_str(f, tag);
        else
            fputs("null", f);
        fputs(", \"stack\": ", f);
        rp_json_stack(f, &ft->stack);
        fputs(" }", f);
    }
    fputs(rp_nfaults ? "\n  ],\n" : "],\n", f);

    /* the latest entries of the allocate/free log (!verifier 0x80) */
    if (mk_verifier_on(MK_VF_LOG_FLAGS)) {
        mdlkit_pool_log_entry *lg = calloc(RP_JSON_LOG, sizeof *lg);
        size_t nlg = lg ? lg_collect(NULL, lg, RP_JSON_LOG) : 0;
        if (nlg > RP_JSON_LOG)
            nlg = RP_JSON_LOG;
        fputs("  \"pool_log\": ", f);
        rp_json_log(f, lg, nlg, "    ");
        fputs(",\n", f);
        free(lg);
    }

    fputs("  \"bugcheck\": ", f);
    if (!rp_have_bc) {
        fputs("null", f);
    } else {
        const char *name = mdlkit_bugcheck_name(rp_bc.code);
        fprintf(f, "{ \"code\": \"0x%08X\", \"name\": ", rp_bc.code);
        rp_json_str(f, name ? name : "UNKNOWN");
        fprintf(f, ",\n    \"params\": [\"0x%016lX\", \"0x%lX\", \"0x%lX\", \"0x%lX\"],\n    \"meaning\": [",
                (unsigned long)rp_bc.param[0], (unsigned long)rp_bc.param[1], (unsigned long)rp_bc.param[2],
                (unsigned long)rp_bc.param[3]);
        for (int i = 0; i < 4; i++) {
            if (i)
                fputs(", ", f);
            rp_json_str(f, mk_bugdesc_param(&rp_bc, i));
        }
        fputs("],\n    \"description\": ", f);
        rp_json_str(f, mk_bugdesc_what(&rp_bc));
        fprintf(f, ",\n    \"caught\": %s,\n    \"stack\": ", rp_bc_caught ? "true" : "false");
        rp_json_stack(f, &rp_bc_stack);
        if (rp_bc_block) {
            fprintf(f, ",\n    \"pool_block\": \"%p\",\n    \"pool_log\": ", rp_bc_block);
            rp_json_log(f, rp_bc_log, rp_bc_nlog, "      ");
        }
        fputs(" }", f);
    }
    /* every bug check of this machine (the one above is the last) */
    fputs(",\n  \"bugchecks\": [", f);
    for (size_t i = 0; i < rp_nbcs; i++) {
        const char *name = mdlkit_bugcheck_name(rp_bcs[i].bc.code);
        fprintf(f, "%s\n    { \"code\": \"0x%08X\", \"name\": ", i ? "," : "", rp_bcs[i].bc.code);
        rp_json_str(f, name ? name : "UNKNOWN");
        fprintf(f, ", \"params\": [\"0x%lX\", \"0x%lX\", \"0x%lX\", \"0x%lX\"], \"caught\": %s }",
                (unsigned long)rp_bcs[i].bc.param[0], (unsigned long)rp_bcs[i].bc.param[1],
                (unsigned long)rp_bcs[i].bc.param[2], (unsigned long)rp_bcs[i].bc.param[3],
                rp_bcs[i].caught ? "true" : "false");
    }
    fputs(rp_nbcs ? "\n  ]" : "]", f);
    if (rp_bcs_dropped)
        fprintf(f, ",\n  \"bugchecks_not_kept\": %zu", rp_bcs_dropped);
    fputs("\n", f);
    pthread_mutex_unlock(&rp_lock);
    fputs("}\n", f);
}

int mdlkit_report_write(const char *path)
{
    MK_ENTER("mdlkit_report_write");
    if (!path)
        path = mk_rt.cfg.report_path;
    if (!path || !*path)
        return -1;
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "mdlkit: cannot write the report %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    rp_json(f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        fprintf(stderr, "mdlkit: cannot write the report %s: %s\n", path, strerror(errno));
        remove(tmp);
        return -1;
    }
    return 0;
}

void mk_vf_report_write_configured(void)
{
    if (mk_rt.cfg.report_path && *mk_rt.cfg.report_path)
        (void)mdlkit_report_write(NULL);
}

/* ------------------------------------------------------------------------
 * The pool allocate/free log (!verifier 0x80): the rings (vf_shadow.h, one
 * per thread, written by mk_vf_log_put) and their readers.
 * ---------------------------------------------------------------------- */
MK_TLS mk_vf_logring *mk_vf_lr;
static pthread_mutex_t lg_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_vf_logring *lg_all, *lg_free; /* under lg_lock */
static unsigned lg_nrings;
static pthread_once_t lg_once = PTHREAD_ONCE_INIT;
static pthread_key_t lg_key;

static void lg_thread_exit(void *arg)
{
    mk_vf_logring *r = arg;
    pthread_mutex_lock(&lg_lock);
    r->next_free = lg_free;
    lg_free = r;
    pthread_mutex_unlock(&lg_lock);
    mk_vf_lr = NULL;
}

static void lg_make_key(void) { (void)pthread_key_create(&lg_key, lg_thread_exit); }

/* This thread's ring: an exited thread's (its entries stay: they are the
 * history), or a new one. */
MK_NOINLINE mk_vf_logring *mk_vf_log_attach(void)
{
    pthread_once(&lg_once, lg_make_key);
    pthread_mutex_lock(&lg_lock);
    mk_vf_logring *r = lg_free;
    if (r) {
        lg_free = r->next_free;
    } else {
        r = calloc(1, sizeof *r);
        if (r) {
            r->index = ++lg_nrings;
            r->next_all = lg_all;
            lg_all = r;
        }
    }
    pthread_mutex_unlock(&lg_lock);
    if (r) {
        (void)pthread_setspecific(lg_key, r);
        mk_vf_lr = r;
    }
    return r;
}

MK_NOINLINE void mk_vf_log_put_first(int op, const void *p, ULONG tag, size_t size, struct mk_driver *d,
                                     void *const *pcs)
{
    if (mk_vf_log_attach())
        mk_vf_log_put(op, p, tag, size, d, pcs);
}

/* At mdlkit_init: every ring empty (no thread of the new machine logs yet). */
void mk_vf_log_reset(void)
{
    pthread_mutex_lock(&lg_lock);
    for (mk_vf_logring *r = lg_all; r; r = r->next_all) {
        for (unsigned i = 0; i < MK_VF_LOG_N; i++)
            __atomic_store_n(&r->e[i].seq, 0, __ATOMIC_RELAXED);
        r->n = 0;
    }
    pthread_mutex_unlock(&lg_lock);
}

void mk_vf_pool_log(int op, const void *p, size_t size, ULONG tag, const void *caller)
{
    if (MK_UNLIKELY(!mk_vf_stk_hi)) {
        pthread_attr_t attr;
        void *addr;
        size_t sz;
        if (pthread_getattr_np(pthread_self(), &attr) == 0) {
            if (pthread_attr_getstack(&attr, &addr, &sz) == 0)
                mk_vf_stk_hi = (uintptr_t)addr + sz;
            pthread_attr_destroy(&attr);
        }
    }
    if (op == MK_VF_LOG_FREE) {
        mk_pool_block b;
        if (mk_pool_lookup(p, &b) && b.base == p) {
            size = b.size;
            tag = b.tag;
        }
    }
    void *pcs[MK_VF_LOG_FRAMES] = {NULL, NULL, NULL, NULL};
    int n = mk_vf_capture(pcs, caller, 0);
    if (n < 0)
        (void)mk_capture_stack(pcs, MK_VF_LOG_FRAMES, 1); /* mdlkit's frames among them */
    mk_vf_log_put(op, p, tag, size, mk_self.driver, pcs);
}

/* Copies the entries of the block that contains `address` (NULL: all),
 * newest first within each ring, the most recently written ring first. */
static size_t lg_collect(const void *address, mdlkit_pool_log_entry *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&lg_lock);
    /* rings by their newest entry (a ring's `n` is read racily: an order only) */
    mk_vf_logring *order[256];
    unsigned nr = 0;
    for (mk_vf_logring *r = lg_all; r && nr < MK_ARRAY_SIZE(order); r = r->next_all)
        order[nr++] = r;
    for (unsigned i = 1; i < nr; i++)
        for (unsigned k = i; k > 0 && __atomic_load_n(&order[k]->n, __ATOMIC_RELAXED) >
                                        __atomic_load_n(&order[k - 1]->n, __ATOMIC_RELAXED); k--) {
            mk_vf_logring *t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
    for (unsigned ri = 0; ri < nr; ri++) {
        mk_vf_logring *r = order[ri];
        uint64_t last = __atomic_load_n(&r->n, __ATOMIC_RELAXED);
        uint64_t first = last > MK_VF_LOG_N ? last - MK_VF_LOG_N + 1 : 1;
        for (uint64_t k = last; k >= first && k > 0; k--) {
            const mk_vf_logent *e = &r->e[k & (MK_VF_LOG_N - 1)];
            uint64_t q = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
            if (q == 0 || (q >> 2) != k)
                continue; /* being written, or overwritten since, or never */
            mdlkit_pool_log_entry x;
            memset(&x, 0, sizeof x);
            x.op = (int)(q & 3);
            x.thread = r->index;
            x.seq = k;
            x.address = (void *)MK_VF_LD(e->addr);
            uint64_t ts = MK_VF_LD(e->tag_size);
            x.size = (size_t)(ts >> 32);
            x.tag = (ULONG)ts;
            mk_driver *d = MK_VF_LD(e->driver);
            for (int f = 0; f < MK_VF_LOG_FRAMES; f++) {
                x.frames[f] = MK_VF_LD(e->pcs[f]);
                if (!x.frames[f])
                    break;
                x.nframes = f + 1;
            }
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != q ||
                __atomic_load_n(&r->n, __ATOMIC_RELAXED) >= k + MK_VF_LOG_N)
                continue; /* overwritten while read (vf_shadow.h) */
            if (address) {
                const char *a = address, *base = x.address;
                if (!(a >= base && a < base + (x.size ? x.size : 1)))
                    continue;
            }
            /* (a driver object lives until mdlkit_shutdown) */
            if (d)
                snprintf(x.driver, sizeof x.driver, "%s", d->name);
            if (out && n < max)
                out[n] = x;
            n++;
        }
    }
    pthread_mutex_unlock(&lg_lock);
    return n;
}

size_t mdlkit_pool_log(const void *address, mdlkit_pool_log_entry *out, size_t max)
{
    MK_ENTER("mdlkit_pool_log");
    return lg_collect(address, out, max);
}

int mk_vf_log_print(FILE *out, const void *address, int max, const char *indent)
{
    size_t total = lg_collect(address, NULL, 0);
    size_t want = max > 0 && (size_t)max < total ? (size_t)max : total;
    if (!want)
        return 0;
    mdlkit_pool_log_entry *v = calloc(want, sizeof *v);
    if (!v)
        return 0;
    size_t n = lg_collect(address, v, want);
    if (n > want)
        n = want;
    for (size_t i = 0; i < n; i++) {
        char tag[24], buf[MK_VF_LOG_FRAMES][MK_STACK_LINE];
        char *lines[MK_VF_LOG_FRAMES];
        for (int k = 0; k < MK_VF_LOG_FRAMES; k++)
            lines[k] = buf[k];
        mk_vf_tag_name(v[i].tag, tag, sizeof tag);
        fprintf(out, "%sthread %u #%llu %s %p", indent, v[i].thread, v[i].seq,
                v[i].op == MK_VF_LOG_ALLOC ? "allocated" : "freed", v[i].address);
        if (v[i].size)
            fprintf(out, ", %zu bytes", v[i].size);
        fprintf(out, ", tag '%s', %s %s, at:\n", tag, v[i].op == MK_VF_LOG_ALLOC ? "charged to" : "by",
                v[i].driver[0] ? v[i].driver : "(the process)");
        int nl = mk_stack_format(v[i].frames, v[i].nframes, lines, MK_VF_LOG_FRAMES);
        if (!nl)
            fprintf(out, "%s    (no frame outside mdlkit recorded)\n", indent);
        for (int k = 0; k < nl; k++)
            fprintf(out, "%s    %s\n", indent, lines[k]);
    }
    free(v);
    return (int)n;
}

size_t mdlkit_pool_log_print(FILE *out, const void *address, size_t max)
{
    MK_ENTER("mdlkit_pool_log_print");
    mk_thread_attach();
    if (!out)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_pool_log_print: out is NULL", 0, 0);
    if (!mk_verifier_on(MK_VF_LOG_FLAGS)) {
        fprintf(out, "(no pool allocate/free log: Pool Tracking, Special Pool or a low-resources simulation keeps it)\n");
        return 0;
    }
    return (size_t)mk_vf_log_print(out, address, max > 0x7fffffff ? 0x7fffffff : (int)max, "  ");
}

/* ------------------------------------------------------------------------
 * !pool: the live block that contains an address
 * ---------------------------------------------------------------------- */
int mdlkit_pool_describe(const void *address, FILE *out, mdlkit_pool_info *info)
{
    MK_ENTER("mdlkit_pool_describe");
    mk_thread_attach();
    mdlkit_pool_info pi;
    memset(&pi, 0, sizeof pi);
    mk_pool_block b;
    int found = mk_pool_lookup(address, &b);
    if (found) {
        pi.block = b.base;
        pi.size = b.size;
        pi.offset = (size_t)((const char *)address - (const char *)b.base);
        pi.tag = b.tag;
        memcpy(pi.tag_name, &b.tag, 4);
        for (int i = 0; i < 4; i++)
            if ((unsigned char)pi.tag_name[i] < 0x20 || (unsigned char)pi.tag_name[i] >= 0x7F)
                pi.tag_name[i] = '.';
        pi.paged = mk_heap_is_paged(b.heap);
        pi.special = mk_specpool_owns(b.base);
        /* Pool Tracking's record of the block (the shadow record of its
         * start): the driver charged and the allocating line. */
        const mk_vf_srec *sr = atomic_load(&mk_vf_sh.on) ? mk_vf_sh_slot(b.base) : NULL;
        mk_vf_trec rec;
        unsigned seq;
        if (sr && mk_vf_tr_sh_snapshot(sr, &rec, &seq) && rec.addr == b.base) {
            mk_driver *d = rec.driver;
            snprintf(pi.driver, sizeof pi.driver, "%s", d ? d->name : "(system)");
            char buf[MK_VF_TR_FRAMES][MK_STACK_LINE];
            char *lines[MK_VF_TR_FRAMES];
            for (int i = 0; i < MK_VF_TR_FRAMES; i++)
                lines[i] = buf[i];
            if (mk_stack_format(rec.pcs, rec.nframes, lines, 1) == 1)
                snprintf(pi.allocated_at, sizeof pi.allocated_at, "%s", lines[0]);
        }
    }
    if (out) {
        if (!found) {
            fprintf(out, "%p is not inside a live pool block (never allocated, freed, or not pool memory)\n", address);
        } else {
            fprintf(out, "%p is inside a %s pool block%s:\n", address, pi.paged ? "paged" : "non-paged",
                    pi.special ? " in special pool" : "");
            fprintf(out, "  block %p, %zu bytes, tag '%s', address at offset 0x%zx%s\n", pi.block, pi.size,
                    pi.tag_name, pi.offset, pi.offset >= pi.size ? " (past the bytes requested)" : "");
            if (pi.driver[0])
                fprintf(out, "  charged to driver %s, allocated at %s\n", pi.driver,
                        pi.allocated_at[0] ? pi.allocated_at : "(stack not recorded)");
            else if (mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
                fprintf(out, "  (Pool Tracking holds no allocating stack for this block)\n");
            else
                fprintf(out, "  (no allocating stack: Pool Tracking, MDLKIT_VERIFIER=pool_tracking, records it)\n");
        }
        if (mk_verifier_on(MK_VF_LOG_FLAGS)) {
            fprintf(out, "Pool allocate/free log (!verifier 0x80), newest first:\n");
            if (!mk_vf_log_print(out, address, 8, "  "))
                fprintf(out, "  (no operation on a block containing %p among the last %d of each thread)\n",
                        address, MK_VF_LOG_N);
        }
    }
    if (info)
        *info = pi;
    return found;
}

/* A process that exits (returns from main, calls exit) with the machine
 * still running skipped mdlkit_shutdown: no final leak check ran and no
 * report was written. Said once on stderr when the configuration asked for
 * either (Pool Tracking, a report path). An abort (uncaught bug check) runs
 * no destructor and has its own report. */
__attribute__((destructor)) static void rp_exit_check(void)
{
    if (!atomic_load(&mk_rt.up))
        return;
    int tracking = (mk_rt.verifier & MDLKIT_VERIFY_POOL_TRACKING) != 0;
    const char *path = mk_rt.cfg.report_path && *mk_rt.cfg.report_path ? mk_rt.cfg.report_path : NULL;
    if (!tracking && !path)
        return;
    fprintf(stderr,
            "mdlkit: warning: the process is exiting with the machine still running (mdlkit_shutdown was not "
            "called): %s%s%s\n",
            tracking ? "the final leak check of Pool Tracking did not run" : "",
            tracking && path ? ", and " : "", path ? "the report was not written" : "");
    fflush(stderr);
}
