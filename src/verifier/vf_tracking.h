/*
 * vf_tracking.h -- Pool Tracking's records, shared by tracking.c (the
 * records: table, shadow, free lists, the pool hooks) and leaks.c (the
 * leak checks at driver unload and shutdown). src/verifier/ only.
 */
#ifndef VF_TRACKING_H
#define VF_TRACKING_H

#include "mk_driver.h"
#include "mk_pool.h"
#include "vf_shadow.h"

#include <pthread.h>

#define MK_VF_TR_FRAMES 8
#define MK_VF_TR_STRIPES 64
#define MK_VF_TR_BUCKETS (1u << 16)
#define TR_BATCH 128
/* Records hold the driver's frames only; the copies leak checks make start
 * with this pc of mdlkit's, as every captured stack does (mk_stack_format
 * shows the frames after the first of mdlkit's). */
#define MK_VF_TR_INNER ((void *)&mk_capture_stack)

/* A leak check reads the records live in the shadow without owning them,
 * so every field but `next` is written and read with relaxed atomic
 * builtins (plain moves on x86), under the sequence number `seq` (odd while
 * the owner rewrites the record): a reader keeps a copy only if `seq` was
 * even and unchanged around it. */
typedef struct mk_vf_trec {
    struct mk_vf_trec *next; /* free list, table chain, or a collected list (owner only) */
    const void *addr;
    mk_driver *driver;
    const void *aux;
    size_t size;
    ULONG tag;
    unsigned seq;
    uint8_t kind;
    uint8_t nframes;
    uint8_t paged; /* a pool block's pool (the driver's counts at the free) */
    void *pcs[MK_VF_TR_FRAMES];
} mk_vf_trec;
#define MK_VF_TR_SH_PER_PAGE 64 /* records per page of shadow (4096 / 64) */
_Static_assert(MK_VF_TR_SH_PER_PAGE * sizeof(mk_vf_srec) == 4096, "a page of shadow");
#define MK_VF_TR_LD MK_VF_LD
#define MK_VF_TR_ST MK_VF_ST

typedef struct mk_vf_tr_stripe {
    pthread_mutex_t lock;
} __attribute__((aligned(64))) mk_vf_tr_stripe;

/* ---- the table of records (tracking.c) ---- */
extern mk_vf_trec **mk_vf_tr_buckets;
extern mk_vf_tr_stripe mk_vf_tr_stripes[MK_VF_TR_STRIPES];
extern atomic_long mk_vf_tr_table_n;       /* records in the table */
extern size_t mk_vf_tr_sh_words;           /* words of the shadow's used-page bitmap */
extern pthread_mutex_t mk_vf_tr_scan_lock;  /* leak checks' shadow scan */
extern pthread_mutex_t mk_vf_tr_chunks_lock; /* record batches, spares, reported list */
extern mk_vf_trec *mk_vf_tr_reported;      /* records of reported leaks (kept for P1) */
extern const char *const mk_vf_tr_kind_name[MK_TRACK_KIND_COUNT];

static inline mk_driver *mk_vf_tr_drv(const mk_vf_trec *r) { return MK_VF_TR_LD(r->driver); }
static inline const void *mk_vf_tr_addr(const mk_vf_trec *r) { return MK_VF_TR_LD(r->addr); }

/* Writes a record's contents (seqlock writer side). */
static inline void mk_vf_tr_fill(mk_vf_trec *r, enum mk_track_kind kind, const void *addr, size_t size, ULONG tag,
                           const void *aux, mk_driver *drv, void *const *pcs, int n)
{
    unsigned q = MK_VF_TR_LD(r->seq);
    MK_VF_TR_ST(r->seq, q + 1);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    MK_VF_TR_ST(r->addr, addr);
    MK_VF_TR_ST(r->driver, drv);
    MK_VF_TR_ST(r->aux, aux);
    MK_VF_TR_ST(r->size, size);
    MK_VF_TR_ST(r->tag, tag);
    MK_VF_TR_ST(r->kind, (uint8_t)kind);
    MK_VF_TR_ST(r->nframes, (uint8_t)n);
    for (int i = 0; i < n; i++)
        MK_VF_TR_ST(r->pcs[i], pcs[i]);
    __atomic_store_n(&r->seq, q + 2, __ATOMIC_RELEASE);
}

/* A consistent copy of a record someone else may rewrite: 1, or 0 if it
 * was being rewritten. *seq gets the sequence number copied. */
int mk_vf_tr_snapshot(const mk_vf_trec *r, mk_vf_trec *out, unsigned *seq);
/* The same of a live shadow record, as a table record (kind pool, the size
 * the pool knows): 1, or 0 if none / being rewritten. */
int mk_vf_tr_sh_snapshot(const mk_vf_srec *s, mk_vf_trec *out, unsigned *seq);
/* Removes the table record of (kind, addr) and hands it to the caller, or
 * NULL (with check_tag, a record whose tag differs stays). */
mk_vf_trec *mk_vf_tr_take(enum mk_track_kind kind, const void *addr, ULONG tag, int check_tag);
/* A record from this thread's free list (NULL: out of memory) / back to it. */
mk_vf_trec *mk_vf_tr_rec_get(void);
void mk_vf_tr_rec_put(mk_vf_trec *r);

#endif /* VF_TRACKING_H */
