/*
 * leaks.c -- Pool Tracking's leak checks (vf_tracking.h): at a driver's
 * unload everything still charged to it, at shutdown everything charged to
 * the process and to drivers no longer loaded; and the leaks a port layer
 * finds itself (mk_verifier_untrack_leak). Locked pages left behind are
 * 0xCB DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS (P1 the tracking record, P2 0,
 * P3 the MDL, P4 pages locked); anything else 0xC4/0x62 (P2 the driver
 * name, P3 0, P4 the count). Each leak is listed in the bug-check report
 * (tag, size, symbolized stack) and in the JSON report's "leaks"; reported
 * allocations are marked, so a caught leak bug check is raised once.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "vf_tracking.h"

#include <string.h>

static const char *tr_driver_name(const mk_driver *d) { return d ? d->name : "the process"; }

static const char *tr_leak_kind(const mk_vf_trec *r)
{
    if (r->kind == MK_TRACK_POOL && r->tag == MK_MDL_TAG)
        return "mdl";
    if (r->kind == MK_TRACK_POOL && r->tag == MK_IRP_TAG)
        return "irp";
    return mk_vf_tr_kind_name[r->kind];
}

/* Moves every record `want` selects (by its driver) out of the table and
 * the shadow; returns the list. */
static mk_vf_trec *tr_collect(int (*want)(const mk_driver *, const void *), const void *arg)
{
    mk_vf_trec *list = NULL;
    if (!mk_vf_tr_buckets)
        return NULL;
    /* The table's count is exact (kept under the stripe locks): an empty
     * table -- the usual case, blocks of the two pools are in the shadow --
     * needs no walk of its 64 Ki buckets. */
    for (unsigned s = 0; s < MK_VF_TR_STRIPES && atomic_load(&mk_vf_tr_table_n); s++) {
        pthread_mutex_lock(&mk_vf_tr_stripes[s].lock);
        for (unsigned h = s; h < MK_VF_TR_BUCKETS; h += MK_VF_TR_STRIPES) {
            mk_vf_trec **pp = &mk_vf_tr_buckets[h];
            while (*pp) {
                mk_vf_trec *r = *pp;
                if (want(mk_vf_tr_drv(r), arg)) {
                    *pp = r->next;
                    atomic_fetch_sub_explicit(&mk_vf_tr_table_n, 1, memory_order_relaxed);
                    r->next = list;
                    list = r;
                } else {
                    pp = &r->next;
                }
            }
        }
        pthread_mutex_unlock(&mk_vf_tr_stripes[s].lock);
    }
    /* Shadow records: the pages of shadow ever written, in address order.
     * Live ones stay (the thread that frees the block drops them): the
     * list gets consistent copies (in front of the table's), and the
     * record's seq notes that this allocation was reported. */
    mk_vf_trec *head = NULL, **tail = &head;
    pthread_mutex_lock(&mk_vf_tr_scan_lock);
    for (size_t w = 0; w < mk_vf_tr_sh_words; w++) {
        uint64_t bits = atomic_load_explicit(&mk_vf_sh.used[w], memory_order_acquire);
        while (bits) {
            size_t pg = w * 64 + (size_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            mk_vf_srec *sp = mk_vf_sh.rec + pg * MK_VF_TR_SH_PER_PAGE;
            for (size_t i = 0; i < MK_VF_TR_SH_PER_PAGE; i++) {
                mk_vf_srec *sr = &sp[i];
                if (!MK_VF_TR_LD(sr->addr) || !want(MK_VF_TR_LD(sr->driver), arg))
                    continue;
                mk_vf_trec snap;
                unsigned q = 0;
                int ok = 0;
                for (int tries = 0; tries < 4 && !ok; tries++)
                    ok = mk_vf_tr_sh_snapshot(sr, &snap, &q);
                if (!ok || (q & 2) || !want(snap.driver, arg))
                    continue; /* reported already, or freed / reused meanwhile */
                if (!__atomic_compare_exchange_n(&sr->seq, &q, q | 2, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
                    continue; /* rewritten meanwhile: a new allocation */
                mk_vf_trec *r = mk_vf_tr_rec_get();
                if (!r)
                    continue;
                mk_vf_tr_fill(r, MK_TRACK_POOL, snap.addr, snap.size, snap.tag, NULL, snap.driver, snap.pcs,
                        snap.nframes);
                r->next = NULL;
                *tail = r;
                tail = &r->next;
            }
        }
    }
    pthread_mutex_unlock(&mk_vf_tr_scan_lock);
    *tail = list;
    list = head;
    return list;
}

/* The allocating stack as the user sees it: the same frames as the JSON
 * report and the bug-check stack (mdlkit's own frames left out). */
static void tr_note_stack(const mk_vf_trec *r)
{
    char store[MK_STACK_FORMAT_MAX][MK_STACK_LINE];
    char *lines[MK_STACK_FORMAT_MAX];
    for (int i = 0; i < MK_STACK_FORMAT_MAX; i++)
        lines[i] = store[i];
    int n = mk_stack_format(r->pcs, r->nframes, lines, MK_STACK_FORMAT_MAX);
    for (int i = 0; i < n; i++)
        mk_bugcheck_note("        %s", lines[i]);
}

/* Lists the leaks (notes + report), then raises the bug check. Called with
 * no lock held; the records are kept on mk_vf_tr_reported. */
static void tr_report_leaks(mk_vf_trec *list, const char *who)
{
    if (!list)
        return;
    size_t count = 0;
    mk_vf_trec *locked = NULL;
    for (mk_vf_trec *r = list; r; r = r->next) {
        count++;
        if (r->kind == MK_TRACK_LOCKED && !locked)
            locked = r;
    }
    mk_bugcheck_note("Pool Tracking: %zu resource%s still outstanding for %s:", count, count == 1 ? "" : "s",
                     who);
    mk_vf_trec *last = NULL;
    for (mk_vf_trec *r = list; r; r = r->next) {
        char tag[24];
        mk_vf_tag_name(r->tag, tag, sizeof tag);
        const char *kind = tr_leak_kind(r);
        const char *drv = tr_driver_name(mk_vf_tr_drv(r));
        if (r->kind == MK_TRACK_LOCKED)
            mk_bugcheck_note("  %-12s MDL %p, %zu page%s locked (driver %s), locked at:", kind, mk_vf_tr_addr(r), r->size,
                             r->size == 1 ? "" : "s", drv);
        else
            mk_bugcheck_note("  %-12s %p, %zu bytes, tag '%s' (driver %s), allocated at:", kind, mk_vf_tr_addr(r), r->size,
                             tag, drv);
        tr_note_stack(r);
        mk_vf_frame_list st;
        st.n = r->nframes;
        memcpy(st.pcs, r->pcs, sizeof(void *) * (size_t)r->nframes);
        mk_vf_report_add_leak(kind, drv, mk_vf_tr_addr(r), r->size, r->tag, &st);
        last = r;
    }
    pthread_mutex_lock(&mk_vf_tr_chunks_lock); /* (two drivers may unload at once) */
    last->next = mk_vf_tr_reported;
    mk_vf_tr_reported = list;
    pthread_mutex_unlock(&mk_vf_tr_chunks_lock);
    if (locked)
        mk_bugcheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, (ULONG_PTR)locked, 0, (ULONG_PTR)mk_vf_tr_addr(locked),
                    (ULONG_PTR)locked->size);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x62, (ULONG_PTR)who, 0, (ULONG_PTR)count);
}

static int tr_want_driver(const mk_driver *rd, const void *d) { return rd == (const mk_driver *)d; }

void mk_vf_on_driver_unload(struct mk_driver *d)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING) || !d)
        return;
    mk_vf_trec *list = tr_collect(tr_want_driver, d);
    tr_report_leaks(list, d->name);
}

static int tr_want_shutdown(const mk_driver *rd, const void *arg)
{
    (void)arg;
    return !rd || rd->state != MK_DRV_LOADED;
}

void mk_vf_tracking_shutdown(void)
{
    if (!mk_verifier_on(MDLKIT_VERIFY_POOL_TRACKING))
        return;
    mk_vf_trec *list = tr_collect(tr_want_shutdown, NULL);
    if (!list)
        return;
    /* One bug check names the first owner; every leak is listed. */
    const mk_driver *owner = mk_vf_tr_drv(list);
    tr_report_leaks(list, tr_driver_name(owner));
}

/* A leak a port layer found itself (e.g. shared memory left at adapter
 * halt): drop the record, but first list it -- bug-check note with the
 * allocating stack, and "leaks" in the JSON report. */
MK_NOINLINE void mk_vf_untrack_leak(int kind_, const void *addr)
{
    enum mk_track_kind kind = (enum mk_track_kind)kind_;
    if (!atomic_load_explicit(&mk_vf_sh.on, memory_order_relaxed))
        return;
    mk_vf_trec copy;
    unsigned q;
    mk_vf_srec *s = kind == MK_TRACK_POOL ? mk_vf_sh_slot(addr) : NULL;
    if (s && MK_VF_TR_LD(s->addr) == addr && mk_vf_tr_sh_snapshot(s, &copy, &q)) {
        (void)mk_vf_sh_drop(addr, 0);
    } else {
        mk_vf_trec *r = mk_vf_tr_take(kind, addr, 0, 0);
        if (!r)
            return;
        (void)mk_vf_tr_snapshot(r, &copy, &q); /* owned: consistent */
        mk_vf_tr_rec_put(r);
    }
    const char *drv = tr_driver_name(mk_vf_tr_drv(&copy));
    mk_bugcheck_note("  %-12s %p, %zu bytes (driver %s), allocated at:", tr_leak_kind(&copy), mk_vf_tr_addr(&copy),
                     copy.size, drv);
    tr_note_stack(&copy);
    mk_vf_frame_list st;
    st.n = copy.nframes;
    memcpy(st.pcs, copy.pcs, sizeof(void *) * (size_t)copy.nframes);
    mk_vf_report_add_leak(tr_leak_kind(&copy), drv, mk_vf_tr_addr(&copy), copy.size, copy.tag, &st);
}
