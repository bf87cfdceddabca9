/*
 * portcommon.c -- what StorPort and NDIS hosting share: layer start/stop,
 * the HwStorPortProhibitedDDIs check the WDM DDIs call, and helpers for
 * leak reports.
 */
#define _GNU_SOURCE
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

MK_TLS int mk_port_internal;

int mk_port_init(void)
{
    mk_port_internal = 0;
    /* what the layers below call through the hook table (mk_hooks.h) */
    mk_hook.prohibited_ddi = mk_port_prohibited_ddi_slow;
    mk_hook.driver_unloading = mk_port_driver_unloading;
    mk_hook.driver_unloaded = mk_port_driver_unloaded;
    mk_storport_init();
    return 0;
}

void mk_port_shutdown(void)
{
    mk_storport_shutdown();
    mk_ndis_shutdown();
    mk_port_track_shutdown();
    mk_port_internal = 0;
}

void mk_port_prohibited_ddi_slow(const char *ddi)
{
    mk_driver *d = mk_self.driver;
    if (d->model != MK_MODEL_STORPORT || mk_port_internal > 0)
        return;
    if (!mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        return;
    mk_violation(MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS,
                 "A StorPort miniport called a WDM routine that the HwStorPortProhibitedDDIs rule forbids "
                 "(use the StorPort equivalent, e.g. StorPortAllocatePool)",
                 (ULONG_PTR)ddi, (ULONG_PTR)&d->obj);
}

void mk_port_driver_unloading(mk_driver *d)
{
    if (d->model == MK_MODEL_STORPORT)
        mk_storport_driver_unloading(d);
    else if (d->model == MK_MODEL_NDIS)
        mk_ndis_driver_unloading(d);
}

void mk_port_driver_unloaded(mk_driver *d)
{
    if (d->model == MK_MODEL_NDIS)
        mk_ndis_driver_unloaded(d);
    else if (d->model == MK_MODEL_STORPORT)
        d->port = NULL; /* the registration record is freed at shutdown */
}

void mk_port_caller_name(void *pc, char *buf, size_t len)
{
    if (!pc) {
        snprintf(buf, len, "(unknown caller)");
        return;
    }
    mk_symbolize(pc, buf, len);
}

/* Static storage of a loaded image: the range lies inside one writable
 * PT_LOAD segment (.data, .bss) of the executable or of a shared object. A
 * driver's globals are part of its image, which Windows keeps resident
 * (non-paged) unless the driver marks a section pageable; the host stack,
 * malloc and mmap memory lie in no such segment. */
typedef struct pc_static_query {
    uintptr_t lo, hi;
    int found;
} pc_static_query;

static int pc_static_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    pc_static_query *q = arg;
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
            continue;
        uintptr_t start = (uintptr_t)info->dlpi_addr + ph->p_vaddr;
        if (q->lo >= start && q->hi <= start + ph->p_memsz) {
            q->found = 1;
            return 1;
        }
    }
    return 0;
}

int mk_port_image_static(const void *va, size_t len)
{
    if (!va || !len || (uintptr_t)va + len < (uintptr_t)va)
        return 0;
    pc_static_query q = {(uintptr_t)va, (uintptr_t)va + len, 0};
    dl_iterate_phdr(pc_static_cb, &q);
    return q.found;
}

/* ------------------------------------------------------------------------
 * The port allocation tracker
 * ---------------------------------------------------------------------- */
#define PT_HASH 4096
#define PT_NOTES_MAX 32

static pthread_mutex_t pt_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_port_track *pt_table[PT_HASH];

static unsigned pt_hash(const void *p) { return (unsigned)(((uintptr_t)p >> 4) ^ ((uintptr_t)p >> 16)) % PT_HASH; }

const char *mk_port_track_kind_name(int kind)
{
    switch (kind) {
    case MK_PT_NDIS_MDL: return "NdisAllocateMdl MDL";
    case MK_PT_NDIS_SHARED: return "NDIS shared memory block";
    case MK_PT_NDIS_NBL_POOL: return "NET_BUFFER_LIST pool";
    case MK_PT_NDIS_NB_POOL: return "NET_BUFFER pool";
    case MK_PT_NDIS_TIMER: return "NDIS timer object";
    case MK_PT_NDIS_WORKITEM: return "NDIS I/O work item";
    case MK_PT_NDIS_MEMORY: return "NdisAllocateMemoryWithTagPriority block";
    case MK_PT_NDIS_RETREAT_MDL: return "MDL from NdisRetreatNetBufferDataStart";
    case MK_PT_NDIS_SGL: return "scatter/gather list from NdisMAllocateNetBufferSGList";
    case MK_PT_STOR_POOL: return "StorPortAllocatePool block";
    case MK_PT_STOR_MDL: return "StorPortAllocateMdl MDL";
    case MK_PT_STOR_CONTIG: return "StorPort contiguous memory block";
    default: return "port allocation";
    }
}

int mk_port_track_vf_kind(int kind)
{
    switch (kind) {
    case MK_PT_NDIS_MDL:
    case MK_PT_NDIS_MEMORY:
    case MK_PT_STOR_POOL:
    case MK_PT_STOR_MDL: return MK_TRACK_POOL;
    case MK_PT_NDIS_SHARED: return MK_TRACK_SHARED;
    case MK_PT_STOR_CONTIG: return MK_TRACK_CONTIG;
    default: return -1;
    }
}

int mk_port_track_add(int kind, void *addr, size_t len, ULONG tag, void *owner, void *caller, PHYSICAL_ADDRESS pa,
                      BOOLEAN cached)
{
    mk_port_track *t = calloc(1, sizeof *t);
    if (!t)
        return 0;
    t->addr = addr;
    t->len = len;
    t->tag = tag;
    t->kind = kind;
    t->owner = owner;
    t->caller = caller;
    t->pa = pa;
    t->cached = cached;
    unsigned h = pt_hash(addr);
    pthread_mutex_lock(&pt_lock);
    t->next = pt_table[h];
    pt_table[h] = t;
    pthread_mutex_unlock(&pt_lock);
    return 1;
}

static mk_port_track **pt_find_locked(int kind, const void *addr)
{
    for (mk_port_track **pp = &pt_table[pt_hash(addr)]; *pp; pp = &(*pp)->next)
        if ((*pp)->addr == addr && (!kind || (*pp)->kind == kind))
            return pp;
    return NULL;
}

int mk_port_track_find(int kind, const void *addr, mk_port_track *out)
{
    pthread_mutex_lock(&pt_lock);
    mk_port_track **pp = pt_find_locked(kind, addr);
    if (pp && out) {
        *out = **pp;
        out->next = NULL;
    }
    pthread_mutex_unlock(&pt_lock);
    return pp != NULL;
}

int mk_port_track_remove(int kind, const void *addr)
{
    pthread_mutex_lock(&pt_lock);
    mk_port_track **pp = pt_find_locked(kind, addr), *t = NULL;
    if (pp) {
        t = *pp;
        *pp = t->next;
    }
    pthread_mutex_unlock(&pt_lock);
    free(t);
    return t != NULL;
}

size_t mk_port_track_count(const void *owner, unsigned kinds)
{
    size_t n = 0;
    pthread_mutex_lock(&pt_lock);
    for (int h = 0; h < PT_HASH; h++)
        for (mk_port_track *t = pt_table[h]; t; t = t->next)
            if (t->owner == owner && (kinds & MK_PT_BIT(t->kind)))
                n++;
    pthread_mutex_unlock(&pt_lock);
    return n;
}

size_t mk_port_track_leaks(const void *owner, unsigned kinds, void (*reclaim)(mk_port_track *rec, void *ctx),
                           void *ctx, size_t counts[MK_PT_KIND_COUNT])
{
    mk_port_track *leaked = NULL, **tail = &leaked;
    if (counts)
        for (int k = 0; k < MK_PT_KIND_COUNT; k++)
            counts[k] = 0;
    pthread_mutex_lock(&pt_lock);
    for (int h = 0; h < PT_HASH; h++)
        for (mk_port_track **pp = &pt_table[h]; *pp;) {
            mk_port_track *t = *pp;
            if (t->owner == owner && (kinds & MK_PT_BIT(t->kind))) {
                *pp = t->next;
                t->next = NULL;
                *tail = t;
                tail = &t->next;
            } else {
                pp = &t->next;
            }
        }
    pthread_mutex_unlock(&pt_lock);
    /* Every leak is reported before any is reclaimed. */
    size_t n = 0;
    for (mk_port_track *t = leaked; t; t = t->next, n++) {
        if (counts && t->kind > 0 && t->kind < MK_PT_KIND_COUNT)
            counts[t->kind]++;
        if (n < PT_NOTES_MAX) {
            char who[256];
            mk_port_caller_name(t->caller, who, sizeof who);
            if (t->kind == MK_PT_STOR_POOL || t->kind == MK_PT_NDIS_MEMORY) {
                char tag[5];
                memcpy(tag, &t->tag, 4); /* the pool tag, as poolmon prints it */
                tag[4] = 0;
                mk_bugcheck_note("leaked %s %p, %zu bytes, tag '%s', allocated at %s",
                                 mk_port_track_kind_name(t->kind), t->addr, t->len, tag, who);
            } else if (t->pa.QuadPart)
                mk_bugcheck_note("leaked %s %p (physical 0x%llx), %zu bytes, allocated at %s",
                                 mk_port_track_kind_name(t->kind), t->addr, (unsigned long long)t->pa.QuadPart,
                                 t->len, who);
            else
                mk_bugcheck_note("leaked %s %p, %zu bytes, allocated at %s", mk_port_track_kind_name(t->kind),
                                 t->addr, t->len, who);
        }
        int vk = mk_port_track_vf_kind(t->kind);
        if (vk >= 0)
            mk_verifier_untrack_leak((enum mk_track_kind)vk, t->addr);
    }
    if (n > PT_NOTES_MAX)
        mk_bugcheck_note("... and %zu more", n - PT_NOTES_MAX);
    while (leaked) {
        mk_port_track *next = leaked->next;
        if (reclaim)
            reclaim(leaked, ctx);
        free(leaked);
        leaked = next;
    }
    return n;
}

void mk_port_track_shutdown(void)
{
    pthread_mutex_lock(&pt_lock);
    for (int h = 0; h < PT_HASH; h++) {
        for (mk_port_track *t = pt_table[h], *n; t; t = n) {
            n = t->next;
            free(t);
        }
        pt_table[h] = NULL;
    }
    pthread_mutex_unlock(&pt_lock);
}
