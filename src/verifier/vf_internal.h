/*
 * vf_internal.h -- what the files of src/verifier/ share among themselves.
 * No other layer includes it: the layers reach the verifier only through
 * the hook table (src/mk_hooks.h, wrappers in src/mk_verifier.h), whose
 * entries verifier.c fills with the mk_vf_* hook implementations below.
 *
 *   verifier.c   start/stop, the hook table, bug-check and page-fault dispatch
 *   specpool.c   special pool (0x1)
 *   irqlforce.c  force IRQL checking: paged-pool trimming (0x2)
 *   faults.c     randomized (0x4) and systematic (0x40000) low resources
 *   tracking.c   pool tracking: the records and the pool hooks (0x8)
 *   leaks.c      pool tracking: leak checks at unload and shutdown
 *   counters.c   !verifier-style counters
 *   report.c     text and JSON reports
 * vf_shadow.h holds the shadow records and the stack walker (tracking).
 */
#ifndef VF_INTERNAL_H
#define VF_INTERNAL_H

#include "mk_base.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_verifier.h"

struct mk_driver;
struct mk_pool_block;

/* Verifier state the hooks touch on every tracked call: hidden (not
 * exported from libmdlkit), so it is reached without a GOT load. */
#define MK_VF_HIDDEN __attribute__((visibility("hidden")))

/* ------------------------------------------------------------------------
 * Hook implementations (verifier.c puts them in mk_hook)
 * ---------------------------------------------------------------------- */
void mk_vf_on_bugcheck(const mdlkit_bugcheck *bc, int caught);           /* verifier.c */
int mk_vf_page_fault(void *addr, int write, void *pc, int region);       /* verifier.c */
void mk_vf_on_raise_to_dispatch(void);                                   /* irqlforce.c */
bool mk_vf_fail(int site, ULONG tag, void *caller);                      /* faults.c */
int mk_vf_specpool_lookup(const void *p, struct mk_pool_block *out);     /* specpool.c */
int mk_vf_specpool_page_is_paged(const void *p);                         /* specpool.c */
/* tracking.c */
int mk_vf_pool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority, void *caller, void **out);
void mk_vf_pool_allocated(int heap, void *p, size_t bytes, ULONG tag, void *caller);
int mk_vf_pool_free(void *p, ULONG tag, int check_tag, void *caller);
void *mk_vf_pool_allocated_fast(void *p, size_t bytes, ULONG tag, void *caller); /* returns p */
void mk_vf_pool_freed_fast(void *p, void *caller);
void mk_vf_cached_alloc(void *p, size_t bytes, ULONG tag, void *caller, const void *ddi_frame);
int mk_vf_cached_free(void *p, ULONG tag);
void mk_vf_track(int kind, const void *addr, size_t size, ULONG tag, const void *aux);
void mk_vf_untrack(int kind, const void *addr);
void mk_vf_untrack_leak(int kind, const void *addr);
void mk_vf_on_driver_unload(struct mk_driver *d); /* leaks.c */
void mk_vf_misc_check_free(void *p);                                       /* misc.c (0x800) */
void mk_vf_codeint(ULONG subcode, ULONG_PTR p3, ULONG_PTR p4, void *caller); /* codeint.c */
void mk_vf_zw_user_address(const char *routine, const void *addr, void *caller); /* security.c */
void mk_vf_lint(ULONG rule, const char *why, ULONG_PTR p3, ULONG_PTR p4, void *caller); /* lint.c */
void mk_vf_lint_reset(void);
int mk_vf_lint_mdl_prepared(const void *mdl, int mark);
int mk_vf_lint_family(const void *p, int family);
void mk_vf_lint_result(ULONG rule, const void *obj, const void *result, void *site, const void *frame);
void mk_vf_null_fault(const void *addr, int write, void *pc, const void *sp, const void *fp);

/* ------------------------------------------------------------------------
 * Start/stop of the options
 * ---------------------------------------------------------------------- */
extern atomic_int mk_vf_active; /* 1 between verifier start and shutdown */
int mk_vf_specpool_init(void);
void mk_vf_specpool_shutdown(void);
void *mk_vf_specpool_alloc(int heap, size_t bytes, ULONG tag, unsigned flags, ULONG priority);
void mk_vf_specpool_free(void *p, ULONG tag, int check_tag, void *caller);
int mk_vf_specpool_fault(void *addr, int write, void *pc);
void mk_vf_specpool_trim_paged(void); /* Force IRQL Checking: trim live paged blocks */

int mk_vf_irql_fault(void *addr, int write, void *pc);
void mk_vf_irql_shutdown(void);

int mk_vf_faults_init(void);
void mk_vf_faults_shutdown(void);

int mk_vf_tracking_init(void);
/* Final leak check: 1 if it raised nothing (it bug checks otherwise). */
void mk_vf_tracking_shutdown(void);
void mk_vf_tracking_free_all(void);

/* counters.c: per-thread counters (each thread the only writer of its
 * own block: a plain load/add/store, no locked instruction), summed when
 * read. */
#define MK_VF_TAG_NONE 'enoN' /* "None": ExAllocatePool's tag */
enum mk_vf_counter {
    MK_VFC_POOL_OK = 0, /* attempted and succeeded (one count for both on the fast paths) */
    MK_VFC_MDL_OK,      /* the same for an MDL handed out of the MDL cache (not a pool call) */
    MK_VFC_POOL_ATTEMPTED,
    MK_VFC_POOL_SUCCEEDED,
    MK_VFC_POOL_SPECIAL,
    MK_VFC_NO_TAG_FAILED, /* failed allocations with no tag (the others: the tag table) */
    MK_VFC_POOL_FAILED, /* injected failures and the pool's own */
    MK_VFC_FAULTS_INJECTED,
    MK_VFC_COUNT
};
typedef struct mk_vf_tcounters {
    atomic_llong v[MK_VFC_COUNT];
    struct mk_vf_tcounters *next_all;  /* every block ever made (never freed) */
    struct mk_vf_tcounters *next_free; /* blocks of exited threads, to adopt */
} mk_vf_tcounters;
extern MK_VF_HIDDEN MK_TLS mk_vf_tcounters *mk_vf_tc;
mk_vf_tcounters *mk_vf_tc_attach(void);
static inline void mk_vf_count_add(enum mk_vf_counter c, long long n)
{
    mk_vf_tcounters *t = mk_vf_tc;
    if (MK_UNLIKELY(!t))
        t = mk_vf_tc_attach();
    atomic_store_explicit(&t->v[c], atomic_load_explicit(&t->v[c], memory_order_relaxed) + n,
                          memory_order_relaxed);
}
/* Snapshot: the sum over every thread. */
typedef struct mk_vf_counters {
    long long pool_attempted, pool_succeeded, pool_special, pool_no_tag, pool_failed;
    long long faults_injected;
    long long mdls_allocated;
} mk_vf_counters;
void mk_vf_counters_read(mk_vf_counters *out);
void mk_vf_counters_reset(void);
/* Every counter, cumulative, current and peak (the current values sampled
 * now raise the peaks); out may be NULL to sample only. */
void mk_vf_counters_sample(mdlkit_verifier_counters *out);


/* report.c: what the report lists besides counters. */
typedef struct mk_vf_frame_list {
    int n;
    void *pcs[12];
} mk_vf_frame_list;
void mk_vf_report_reset(void);
void mk_vf_report_add_leak(const char *kind, const char *driver, const void *addr, size_t size, ULONG tag,
                           const mk_vf_frame_list *stack);
void mk_vf_report_add_fault(const char *routine, ULONG tag, const mk_vf_frame_list *stack);
/* The pool allocate/free log (!verifier 0x80; rings in vf_shadow.h,
 * readers in report.c): kept while Pool Tracking, Special Pool or a
 * low-resources simulation is on (MK_VF_LOG_FLAGS). The tracking hooks
 * append inline; mk_vf_pool_log appends from the slow paths (the stack
 * from the driver's frame that returns to `caller`). */
#define MK_VF_LOG_ALLOC 1
#define MK_VF_LOG_FREE 2
#define MK_VF_LOG_FLAGS (MK_VF_POOL_FULL | MDLKIT_VERIFY_POOL_TRACKING)
void mk_vf_pool_log(int op, const void *p, size_t size, ULONG tag, const void *caller);
/* Prints the log entries of the block that contains `address` (NULL:
 * every entry), newest first, at most max; returns how many. */
int mk_vf_log_print(FILE *out, const void *address, int max, const char *indent);
void mk_vf_log_reset(void);
void mk_vf_report_set_bugcheck(const mdlkit_bugcheck *bc, int caught, const mk_vf_frame_list *stack);
void mk_vf_report_write_configured(void);
/* "Tag1" in memory order, \xNN for unprintable bytes. */
void mk_vf_tag_name(ULONG tag, char *buf, size_t len);


#endif /* VF_INTERNAL_H */
