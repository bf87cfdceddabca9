/*
 * pooltag.c -- pool tag accounting, as poolmon and !poolused show it: per
 * tag and pool type, allocations, frees, outstanding allocations and bytes.
 *
 * Each thread counts into its own table (single writer, relaxed atomic
 * loads/stores: no lock, no read-modify-write on the fast path). A reader
 * merges every live thread's table with the "retired" table, into which a
 * thread's counts move when it exits; a thread with more distinct tags than
 * its table holds counts the rest in the retired table under its mutex.
 * The fast path is inline in mk_pool.h: a thread remembers, in TLS, the
 * entry it used last and 8 entries by tag hash, valid while its generation
 * matches the machine's (mk_pooltag_count_slow fills them).
 */
#include "mk_pool.h"
#include "poolpage.h" /* the pool's per-thread bins copy (pt_table_slow) */

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PT_SLOTS 512      /* per thread; power of two */
#define PT_FILL_MAX 384   /* then new tags go to the shared table */
#define PT_SHARED_SLOTS 8192
#define PT_OVERFLOW_TAG 0x3F3F3F3FUL /* '????' when even the shared table is full */

typedef mk_pt_entry pt_entry;

typedef struct pt_table {
    unsigned gen;
    unsigned used;
    struct pt_table *next, *prev; /* registry of live threads */
    pt_entry e[PT_SLOTS];
} pt_table;

static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER; /* registry + shared table */
static pt_table *pt_threads;  /* live threads' tables */
static pt_entry *pt_shared;   /* retired threads and overflow */
static unsigned pt_shared_used;
atomic_uint mk_pt_gen;
MK_TLS unsigned mk_pt_cache_gen;
MK_TLS mk_pt_entry *mk_pt_cache[MK_PT_CACHE];
/* mk_pt_last is never NULL, so that the fast paths test its tag without a
 * NULL test: with no entry used yet it is pt_none, whose tag (four 0xFF
 * bytes, which every allocating DDI rejects before counting, and no
 * internal tag is) no allocation has, so nothing is ever counted in it. */
static mk_pt_entry pt_none = {.tag = 0xFFFFFFFFu};
MK_TLS mk_pt_entry *mk_pt_last = &pt_none;
#define pt_gen mk_pt_gen
static pthread_once_t pt_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t pt_key;
static MK_TLS pt_table *pt_tls;

static inline unsigned pt_hash(ULONG tag, unsigned mask) { return (unsigned)((tag * 0x9E3779B1u) >> 7) & mask; }

#define pt_add mk_pt_add

/* Finds or inserts a tag in an open-addressing table. NULL when full. */
static pt_entry *pt_slot(pt_entry *e, unsigned nslots, ULONG tag, int insert, unsigned *used)
{
    unsigned mask = nslots - 1;
    for (unsigned i = pt_hash(tag, mask), n = 0; n < nslots; i = (i + 1) & mask, n++) {
        ULONG t = atomic_load_explicit(&e[i].tag, memory_order_acquire);
        if (t == tag)
            return &e[i];
        if (t == 0) {
            if (!insert)
                return NULL;
            (*used)++;
            atomic_store_explicit(&e[i].tag, tag, memory_order_release);
            return &e[i];
        }
    }
    return NULL;
}

/* Adds counts to the shared table. pt_lock held. */
static void pt_shared_add(ULONG tag, int paged, int64_t allocs, int64_t frees, int64_t bytes)
{
    if (!pt_shared)
        return;
    pt_entry *s = pt_slot(pt_shared, PT_SHARED_SLOTS, tag, pt_shared_used < PT_SHARED_SLOTS - 1, &pt_shared_used);
    if (!s)
        s = pt_slot(pt_shared, PT_SHARED_SLOTS, PT_OVERFLOW_TAG, 1, &pt_shared_used);
    if (!s)
        return;
    pt_add(&s->allocs[paged], allocs);
    pt_add(&s->frees[paged], frees);
    pt_add(bytes >= 0 ? &s->bytes[paged] : &s->freed[paged], bytes >= 0 ? bytes : -bytes);
}

static void pt_retire(pt_table *t)
{
    for (unsigned i = 0; i < PT_SLOTS; i++) {
        ULONG tag = atomic_load_explicit(&t->e[i].tag, memory_order_relaxed);
        if (!tag)
            continue;
        for (int k = 0; k < 2; k++)
            if (t->e[i].allocs[k] || t->e[i].frees[k])
                pt_shared_add(tag, k, t->e[i].allocs[k], t->e[i].frees[k], t->e[i].bytes[k] - t->e[i].freed[k]);
    }
}

static void pt_table_destroy(void *arg)
{
    pt_table *t = arg;
    if (!t)
        return;
    pthread_mutex_lock(&pt_lock);
    if (t->gen == atomic_load(&pt_gen) && pt_shared) {
        pt_retire(t);
        if (t->prev)
            t->prev->next = t->next;
        else
            pt_threads = t->next;
        if (t->next)
            t->next->prev = t->prev;
    }
    pthread_mutex_unlock(&pt_lock);
    if (pt_tls == t) {
        pt_tls = NULL;
        memset(mk_pt_cache, 0, sizeof mk_pt_cache);
        mk_pt_last = &pt_none;
    }
    free(t);
}

static void pt_key_create(void) { (void)pthread_key_create(&pt_key, pt_table_destroy); }

static MK_NOINLINE pt_table *pt_table_slow(void)
{
    unsigned gen = atomic_load_explicit(&pt_gen, memory_order_relaxed);
    pt_table *t = pt_tls;
    memset(mk_pt_cache, 0, sizeof mk_pt_cache);
    mk_pt_last = &pt_none;
    mk_pt_cache_gen = gen;
    /* The inline fast allocation (poolpage.h) trusts the pool bins copy of
     * a thread whose last counter entry has the tag: that entry becomes
     * current only here, so a copy of an earlier machine goes here too. */
    if (mk_pp_tls_gen != atomic_load_explicit(&mk_pp_gen, memory_order_relaxed))
        memset(mk_pp_tls_fbins, 0, sizeof mk_pp_tls_fbins);
    if (t && t->gen != gen) {
        /* counts of an earlier machine: the registry no longer holds it
         * (under the lock: the machine's shutdown emptied its tags) */
        pthread_mutex_lock(&pt_lock);
        memset(t, 0, sizeof *t);
        pthread_mutex_unlock(&pt_lock);
    } else if (!t) {
        t = calloc(1, sizeof *t);
        if (!t)
            return NULL;
        pthread_once(&pt_key_once, pt_key_create);
        pthread_setspecific(pt_key, t);
        pt_tls = t;
    }
    t->gen = gen;
    pthread_mutex_lock(&pt_lock);
    t->prev = NULL;
    t->next = pt_threads;
    if (pt_threads)
        pt_threads->prev = t;
    pt_threads = t;
    pthread_mutex_unlock(&pt_lock);
    return t;
}

void mk_pooltag_thread_reset(void)
{
    memset(mk_pt_cache, 0, sizeof mk_pt_cache);
    mk_pt_last = &pt_none;
}

/* The tag is not in this thread's cache (first use of the tag, a cache
 * collision, or a new machine): find or insert it in the thread's table and
 * cache it; a full table counts in the shared one. */
void mk_pooltag_count_slow(ULONG tag, int paged, int64_t allocs, int64_t frees, int64_t bytes)
{
    pt_table *t = pt_tls;
    if (MK_UNLIKELY(!t || t->gen != atomic_load_explicit(&pt_gen, memory_order_relaxed)))
        t = pt_table_slow();
    pt_entry *e = t ? pt_slot(t->e, PT_SLOTS, tag, t->used < PT_FILL_MAX, &t->used) : NULL;
    if (MK_LIKELY(e != NULL)) {
        mk_pt_cache[(tag * 0x9E3779B1u) >> 29] = e;
        mk_pt_last = e;
        pt_add(&e->allocs[paged], allocs);
        pt_add(&e->frees[paged], frees);
        pt_add(bytes >= 0 ? &e->bytes[paged] : &e->freed[paged], bytes >= 0 ? bytes : -bytes);
        return;
    }
    pthread_mutex_lock(&pt_lock);
    pt_shared_add(tag, paged, allocs, frees, bytes);
    pthread_mutex_unlock(&pt_lock);
}

int mk_pooltag_init(void)
{
    pthread_mutex_lock(&pt_lock);
    pt_shared = mk_table_alloc(PT_SHARED_SLOTS * sizeof *pt_shared); /* zeroed; pages touched on use */
    pt_shared_used = 0;
    pt_threads = NULL;
    atomic_store(&pt_gen, atomic_load(&mk_rt.generation));
    pthread_mutex_unlock(&pt_lock);
    if (!pt_shared) {
        fprintf(stderr, "mdlkit: cannot allocate the pool tag table\n");
        return -1;
    }
    return 0;
}

void mk_pooltag_shutdown(void)
{
    pthread_mutex_lock(&pt_lock);
    mk_table_free(pt_shared, PT_SHARED_SLOTS * sizeof *pt_shared);
    pt_shared = NULL;
    /* Live threads' tables reset themselves on next use. Their tags are
     * emptied now, so that no thread's counter cache matches a tag until it
     * has counted on the next machine: ExAllocatePool2's inline fast path
     * relies on that instead of a generation test. */
    for (pt_table *t = pt_threads; t; t = t->next)
        for (unsigned i = 0; i < PT_SLOTS; i++)
            atomic_store_explicit(&t->e[i].tag, 0, memory_order_relaxed);
    pt_threads = NULL;
    pthread_mutex_unlock(&pt_lock);
}

/* ------------------------------------------------------------------------
 * Reading: mdlkit_pool_usage, mdlkit_pool_usage_tag, mdlkit_pool_print
 * ---------------------------------------------------------------------- */
typedef struct pt_merge {
    mdlkit_pool_tag_usage *v;
    size_t n, cap;
} pt_merge;

static mdlkit_pool_tag_usage *pt_merge_get(pt_merge *m, ULONG tag)
{
    for (size_t i = 0; i < m->n; i++) /* tags are few; the reader is not a fast path */
        if (m->v[i].tag == tag)
            return &m->v[i];
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        mdlkit_pool_tag_usage *v = realloc(m->v, cap * sizeof *v);
        if (!v)
            return NULL;
        m->v = v;
        m->cap = cap;
    }
    mdlkit_pool_tag_usage *u = &m->v[m->n++];
    memset(u, 0, sizeof *u);
    u->tag = tag;
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(tag >> (8 * i));
        u->name[i] = (char)(c >= 0x20 && c < 0x7F ? c : (c == 0 ? ' ' : '?'));
    }
    u->name[4] = 0;
    return u;
}

static void pt_merge_table(pt_merge *m, pt_entry *e, unsigned nslots)
{
    for (unsigned i = 0; i < nslots; i++) {
        ULONG tag = atomic_load_explicit(&e[i].tag, memory_order_acquire);
        if (!tag)
            continue;
        mdlkit_pool_tag_usage *u = pt_merge_get(m, tag);
        if (!u)
            return;
        u->nonpaged_allocs += (ULONG64)atomic_load_explicit(&e[i].allocs[0], memory_order_relaxed);
        u->nonpaged_frees += (ULONG64)atomic_load_explicit(&e[i].frees[0], memory_order_relaxed);
        u->nonpaged_bytes += (ULONG64)(atomic_load_explicit(&e[i].bytes[0], memory_order_relaxed) -
                                       atomic_load_explicit(&e[i].freed[0], memory_order_relaxed));
        u->paged_allocs += (ULONG64)atomic_load_explicit(&e[i].allocs[1], memory_order_relaxed);
        u->paged_frees += (ULONG64)atomic_load_explicit(&e[i].frees[1], memory_order_relaxed);
        u->paged_bytes += (ULONG64)(atomic_load_explicit(&e[i].bytes[1], memory_order_relaxed) -
                                    atomic_load_explicit(&e[i].freed[1], memory_order_relaxed));
    }
}

static int pt_cmp_tag(const void *a, const void *b)
{
    const mdlkit_pool_tag_usage *x = a, *y = b;
    return memcmp(x->name, y->name, 4);
}
static int pt_cmp_np(const void *a, const void *b)
{
    const mdlkit_pool_tag_usage *x = a, *y = b;
    if (x->nonpaged_bytes != y->nonpaged_bytes)
        return x->nonpaged_bytes < y->nonpaged_bytes ? 1 : -1;
    return pt_cmp_tag(a, b);
}
static int pt_cmp_paged(const void *a, const void *b)
{
    const mdlkit_pool_tag_usage *x = a, *y = b;
    if (x->paged_bytes != y->paged_bytes)
        return x->paged_bytes < y->paged_bytes ? 1 : -1;
    return pt_cmp_tag(a, b);
}

/* Merged snapshot, sorted; caller frees m->v. */
static void pt_snapshot(pt_merge *m, int sort)
{
    memset(m, 0, sizeof *m);
    pthread_mutex_lock(&pt_lock);
    if (pt_shared)
        pt_merge_table(m, pt_shared, PT_SHARED_SLOTS);
    for (pt_table *t = pt_threads; t; t = t->next)
        pt_merge_table(m, t->e, PT_SLOTS);
    pthread_mutex_unlock(&pt_lock);
    for (size_t i = 0; i < m->n; i++) {
        mdlkit_pool_tag_usage *u = &m->v[i];
        u->nonpaged_outstanding = u->nonpaged_allocs - u->nonpaged_frees;
        u->paged_outstanding = u->paged_allocs - u->paged_frees;
    }
    if (m->n > 1)
        qsort(m->v, m->n, sizeof *m->v,
              sort == MDLKIT_POOL_SORT_NONPAGED ? pt_cmp_np : sort == MDLKIT_POOL_SORT_PAGED ? pt_cmp_paged : pt_cmp_tag);
}

size_t mdlkit_pool_usage(mdlkit_pool_tag_usage *out, size_t max)
{
    MK_ENTER("mdlkit_pool_usage");
    pt_merge m;
    pt_snapshot(&m, MDLKIT_POOL_SORT_TAG);
    if (out && m.n && max)
        memcpy(out, m.v, (m.n < max ? m.n : max) * sizeof *out);
    size_t n = m.n;
    free(m.v);
    return n;
}

int mdlkit_pool_usage_tag(ULONG tag, mdlkit_pool_tag_usage *out)
{
    MK_ENTER("mdlkit_pool_usage_tag");
    return mk_pooltag_usage(tag, out);
}

/* One tag: a hash lookup in the shared table and in each live thread's,
 * not a merge of every table and a sort (the fuzzers ask this after every
 * input; issue #21). */
int mk_pooltag_usage(ULONG tag, mdlkit_pool_tag_usage *out)
{
    if (!tag)
        return 0;
    pt_merge m;
    mdlkit_pool_tag_usage one;
    m.v = &one;
    m.n = 0;
    m.cap = 1;
    unsigned unused = 0;
    pthread_mutex_lock(&pt_lock);
    if (pt_shared) {
        pt_entry *e = pt_slot(pt_shared, PT_SHARED_SLOTS, tag, 0, &unused);
        if (e)
            pt_merge_table(&m, e, 1);
    }
    for (pt_table *t = pt_threads; t; t = t->next) {
        pt_entry *e = pt_slot(t->e, PT_SLOTS, tag, 0, &unused);
        if (e)
            pt_merge_table(&m, e, 1);
    }
    pthread_mutex_unlock(&pt_lock);
    if (!m.n)
        return 0;
    one.nonpaged_outstanding = one.nonpaged_allocs - one.nonpaged_frees;
    one.paged_outstanding = one.paged_allocs - one.paged_frees;
    if (out)
        *out = one;
    return 1;
}

static void pt_sum_table(pt_entry *e, unsigned nslots, int64_t *n, int64_t *b)
{
    for (unsigned i = 0; i < nslots; i++) {
        if (!atomic_load_explicit(&e[i].tag, memory_order_acquire))
            continue;
        for (int h = 0; h < 2; h++) {
            *n += atomic_load_explicit(&e[i].allocs[h], memory_order_relaxed) -
                  atomic_load_explicit(&e[i].frees[h], memory_order_relaxed);
            *b += atomic_load_explicit(&e[i].bytes[h], memory_order_relaxed) -
                  atomic_load_explicit(&e[i].freed[h], memory_order_relaxed);
        }
    }
}

void mk_pooltag_totals(int64_t *outstanding, int64_t *bytes)
{
    int64_t n = 0, b = 0;
    pthread_mutex_lock(&pt_lock);
    if (pt_shared && pt_shared_used) /* retired threads and overflow: usually empty */
        pt_sum_table(pt_shared, PT_SHARED_SLOTS, &n, &b);
    for (pt_table *t = pt_threads; t; t = t->next)
        pt_sum_table(t->e, PT_SLOTS, &n, &b);
    pthread_mutex_unlock(&pt_lock);
    *outstanding = n;
    *bytes = b;
}

void mdlkit_pool_print(FILE *out, int sort)
{
    MK_ENTER("mdlkit_pool_print");
    pt_merge m;
    pt_snapshot(&m, sort);
    const char *by = sort == MDLKIT_POOL_SORT_NONPAGED ? "NonPaged Pool Consumed"
                     : sort == MDLKIT_POOL_SORT_PAGED  ? "Paged Pool Consumed"
                                                       : "Tag";
    fprintf(out, " Sorting by %s\n\n Pool Used:\n", by);
    fprintf(out, "            NonPaged                  Paged\n");
    fprintf(out, " Tag     Allocs         Used     Allocs         Used\n\n");
    ULONG64 ta[2] = {0, 0}, tb[2] = {0, 0};
    for (size_t i = 0; i < m.n; i++) {
        const mdlkit_pool_tag_usage *u = &m.v[i];
        if (!u->nonpaged_outstanding && !u->paged_outstanding)
            continue; /* !poolused lists what is in use */
        fprintf(out, " %-4s %9llu %12llu %10llu %12llu\tUNKNOWN pooltag '%s', please update pooltag.txt\n", u->name,
                (unsigned long long)u->nonpaged_outstanding, (unsigned long long)u->nonpaged_bytes,
                (unsigned long long)u->paged_outstanding, (unsigned long long)u->paged_bytes, u->name);
        ta[0] += u->nonpaged_outstanding;
        tb[0] += u->nonpaged_bytes;
        ta[1] += u->paged_outstanding;
        tb[1] += u->paged_bytes;
    }
    fprintf(out, " TOTAL %8llu %12llu %10llu %12llu\n", (unsigned long long)ta[0], (unsigned long long)tb[0],
            (unsigned long long)ta[1], (unsigned long long)tb[1]);
    free(m.v);
}
