/*
 * mdlmem.c -- the memory of MDL structures, as the memory manager keeps it:
 * pool for the MDLs mdlkit allocates on a DDI's behalf (MmCreateMdl,
 * MmAllocatePagesForMdl(Ex)), the real size of MDLs too big for their Size
 * field, and the reset of the MDL records (mappings, contiguous blocks,
 * counters) at the memory manager's start and stop.
 */
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_machine.h"

#include <stdlib.h>

/* Real sizes of MDLs whose Size field cannot hold them (rare: > 4090 pages). */
typedef struct mdlmem_big {
    const MDL *mdl;
    size_t bytes;
} mdlmem_big;
static pthread_mutex_t mdlmem_big_lock = PTHREAD_MUTEX_INITIALIZER;
static mdlmem_big *mdlmem_bigs;
static size_t mdlmem_nbig, mdlmem_capbig;
static atomic_int mdlmem_have_big;

/* The caller's return address goes to the pool as the allocating caller. */
MK_NOINLINE void *mk_mdl_pool_alloc(size_t bytes)
{
    mk_pool_heap heap = mk_os_at_least(NTDDI_WIN8) ? MK_HEAP_NONPAGED_NX : MK_HEAP_NONPAGED_EXEC;
    return mk_pool_alloc(heap, bytes, MK_MDL_TAG, MK_POOL_INTERNAL, NormalPoolPriority, __builtin_return_address(0));
}

void mk_mdl_record_size(const MDL *Mdl, size_t bytes)
{
    if (bytes <= 0x7FFF) {
        mk_mdl_forget_size(Mdl); /* Size says it; an older record of this address goes */
        return;
    }
    pthread_mutex_lock(&mdlmem_big_lock);
    for (size_t i = 0; i < mdlmem_nbig; i++)
        if (mdlmem_bigs[i].mdl == Mdl) {
            mdlmem_bigs[i].bytes = bytes;
            pthread_mutex_unlock(&mdlmem_big_lock);
            return;
        }
    if (mdlmem_nbig == mdlmem_capbig) {
        size_t cap = mdlmem_capbig ? mdlmem_capbig * 2 : 16;
        mdlmem_big *n = realloc(mdlmem_bigs, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&mdlmem_big_lock);
            return; /* capacity falls back to Size: stricter, never looser */
        }
        mdlmem_bigs = n;
        mdlmem_capbig = cap;
    }
    mdlmem_bigs[mdlmem_nbig].mdl = Mdl;
    mdlmem_bigs[mdlmem_nbig].bytes = bytes;
    mdlmem_nbig++;
    atomic_store(&mdlmem_have_big, 1);
    pthread_mutex_unlock(&mdlmem_big_lock);
}

void mk_mdl_forget_size(const MDL *Mdl)
{
    if (!atomic_load_explicit(&mdlmem_have_big, memory_order_relaxed))
        return;
    pthread_mutex_lock(&mdlmem_big_lock);
    for (size_t i = 0; i < mdlmem_nbig; i++)
        if (mdlmem_bigs[i].mdl == Mdl) {
            mdlmem_bigs[i] = mdlmem_bigs[--mdlmem_nbig];
            break;
        }
    if (!mdlmem_nbig)
        atomic_store(&mdlmem_have_big, 0);
    pthread_mutex_unlock(&mdlmem_big_lock);
}

size_t mk_mdl_capacity(const MDL *Mdl)
{
    size_t from_size = (size_t)(USHORT)Mdl->Size;
    from_size = from_size > sizeof(MDL) ? (from_size - sizeof(MDL)) / sizeof(PFN_NUMBER) : 0;
    if (Mdl->MdlFlags & MDL_ALLOCATED_FIXED_SIZE)
        return from_size > MK_MDL_FIXED_PFNS ? from_size : MK_MDL_FIXED_PFNS;
    if (atomic_load_explicit(&mdlmem_have_big, memory_order_relaxed)) {
        pthread_mutex_lock(&mdlmem_big_lock);
        for (size_t i = 0; i < mdlmem_nbig; i++)
            if (mdlmem_bigs[i].mdl == Mdl) {
                size_t b = mdlmem_bigs[i].bytes;
                pthread_mutex_unlock(&mdlmem_big_lock);
                return (b - sizeof(MDL)) / sizeof(PFN_NUMBER);
            }
        pthread_mutex_unlock(&mdlmem_big_lock);
    }
    return from_size;
}

void mk_mdl_records_reset(void)
{
    mk_mdlmap_reset();
    mk_contmem_reset();
    for (int s = 0; s < MK_LOCK_SHARDS; s++)
        atomic_store(&mk_mdl_lockstats[s].v, 0);
    atomic_store(&mk_mdl_lock_crossed, false);
    atomic_store(&mk_mdl_page_mdls, 0);
    pthread_mutex_lock(&mdlmem_big_lock);
    free(mdlmem_bigs);
    mdlmem_bigs = NULL;
    mdlmem_nbig = mdlmem_capbig = 0;
    atomic_store(&mdlmem_have_big, 0);
    pthread_mutex_unlock(&mdlmem_big_lock);
}
