/*
 * ndismem.c -- the NDIS memory routines that take any NDIS handle:
 * NdisAllocateMdl / NdisFreeMdl (allocate and build in one step, non-paged
 * memory only, tracked for the NdisAllocateMdl rule) and
 * NdisAllocateMemoryWithTagPriority / NdisFreeMemoryWithTagPriority /
 * NdisFreeMemory (non-paged pool).
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <ndis.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NM_HASH 1024
#define NM_LEAK_NOTES_MAX 32

static pthread_mutex_t nm_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_port_track *nm_mdls[NM_HASH];

static unsigned nm_hash(const void *p) { return (unsigned)(((uintptr_t)p >> 4) ^ ((uintptr_t)p >> 14)) % NM_HASH; }

static void nm_check_handle(NDIS_HANDLE h, const char *routine_why)
{
    int kind = mk_ndis_handle_kind(h);
    if (kind != MK_NDIS_DRIVER && kind != MK_NDIS_ADAPTER && kind != MK_NDIS_GENERIC)
        mk_violation(MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, routine_why, (ULONG_PTR)h, (ULONG_PTR)kind);
}

/* Is [va, va+len) memory NdisAllocateMdl accepts (non-paged pool, NDIS
 * memory, shared memory)? */
static int nm_nonpaged(const void *va, UINT len)
{
    unsigned kinds = mk_mdl_memory_kinds(va, len);
    if (kinds & ~(MK_MEM_NPOOL | MK_MEM_CONTIG | MK_MEM_SPECIAL))
        return 0;
    if (kinds & MK_MEM_SPECIAL) {
        /* special pool serves both pools: ask the pool which one */
        mk_pool_block b;
        if (!mk_pool_lookup(va, &b) || mk_heap_is_paged(b.heap))
            return 0;
    }
    return 1;
}

PMDL NdisAllocateMdl(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, UINT Length)
{
    MK_ENTER("NdisAllocateMdl");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisAllocateMdl must be called at IRQL <= DISPATCH_LEVEL (Irql_NetBuffer_Function rule)",
                     mk_irql(), (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisAllocateMdl: NdisHandle is not a handle NDIS gave this driver");
    if (!VirtualAddress || !Length)
        return NULL;
    if (!nm_nonpaged(VirtualAddress, Length))
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY,
                     "NdisAllocateMdl accepts only non-paged memory (non-paged pool, "
                     "NdisAllocateMemoryWithTagPriority or NdisMAllocateSharedMemory); not the stack, globals, "
                     "paged pool or user memory",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)mk_mdl_memory_kinds(VirtualAddress, Length));
    mk_port_track *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    mk_port_begin();
    PMDL mdl = mk_mdl_allocate(VirtualAddress, Length);
    if (mdl)
        mk_mdl_build_nonpaged(mdl);
    mk_port_end();
    if (!mdl) {
        free(t);
        return NULL;
    }
    t->addr = mdl;
    t->len = Length;
    t->owner = NdisHandle;
    t->caller = caller;
    unsigned h = nm_hash(mdl);
    pthread_mutex_lock(&nm_lock);
    t->next = nm_mdls[h];
    nm_mdls[h] = t;
    pthread_mutex_unlock(&nm_lock);
    return mdl;
}

void NdisFreeMdl(PMDL Mdl)
{
    MK_ENTER("NdisFreeMdl");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisFreeMdl must be called at IRQL <= DISPATCH_LEVEL (Irql_NetBuffer_Function rule)", mk_irql(),
                     (ULONG_PTR)Mdl);
    mk_port_track *t = NULL;
    if (Mdl) {
        unsigned h = nm_hash(Mdl);
        pthread_mutex_lock(&nm_lock);
        for (t = nm_mdls[h]; t && t->addr != Mdl; t = t->next)
            ;
        pthread_mutex_unlock(&nm_lock);
    }
    if (!t)
        mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                     Mdl ? "NdisFreeMdl was given an MDL that NdisAllocateMdl did not return, or that was already "
                           "freed (NdisAllocateMdl rule)"
                         : "NdisFreeMdl was given NULL (NdisAllocateMdl rule; Windows would dereference it)",
                     (ULONG_PTR)Mdl, 0);
    mk_port_begin();
    mk_mdl_free(Mdl);
    mk_port_end();
    /* The record goes once the free has passed its checks: a bug check the
     * free raises and the test catches leaves the MDL AND its record, so the
     * halt's leak check still lists it. */
    unsigned h = nm_hash(Mdl);
    int unlinked = 0;
    pthread_mutex_lock(&nm_lock);
    for (mk_port_track **pp = &nm_mdls[h]; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            unlinked = 1;
            break;
        }
    pthread_mutex_unlock(&nm_lock);
    if (unlinked)
        free(t);
}

size_t mk_ndis_mdl_leaks(const void *owner)
{
    mk_port_track *leaked = NULL;
    pthread_mutex_lock(&nm_lock);
    for (int h = 0; h < NM_HASH; h++)
        for (mk_port_track **pp = &nm_mdls[h]; *pp;) {
            if ((*pp)->owner == owner) {
                mk_port_track *t = *pp;
                *pp = t->next;
                t->next = leaked;
                leaked = t;
            } else {
                pp = &(*pp)->next;
            }
        }
    pthread_mutex_unlock(&nm_lock);
    size_t n = 0;
    while (leaked) {
        mk_port_track *next = leaked->next;
        if (n < NM_LEAK_NOTES_MAX) {
            char who[256];
            PMDL mdl = leaked->addr;
            mk_port_caller_name(leaked->caller, who, sizeof who);
            mk_bugcheck_note("leaked NdisAllocateMdl MDL %p describing %p, %zu bytes, allocated at %s", (void *)mdl,
                             MmGetMdlVirtualAddress(mdl), leaked->len, who);
        }
        n++;
        /* with Pool Tracking, listed with its allocating stack (JSON "leaks") */
        mk_verifier_untrack_leak(MK_TRACK_POOL, leaked->addr);
        mk_driver *old = mk_driver_enter(NULL);
        mk_port_begin();
        mk_mdl_free(leaked->addr);
        mk_port_end();
        mk_driver_leave(old);
        free(leaked);
        leaked = next;
    }
    if (n > NM_LEAK_NOTES_MAX)
        mk_bugcheck_note("... and %zu more MDLs", n - NM_LEAK_NOTES_MAX);
    return n;
}

void mk_ndis_mdl_shutdown(void)
{
    pthread_mutex_lock(&nm_lock);
    for (int h = 0; h < NM_HASH; h++) {
        for (mk_port_track *t = nm_mdls[h], *n; t; t = n) {
            n = t->next;
            free(t);
        }
        nm_mdls[h] = NULL;
    }
    pthread_mutex_unlock(&nm_lock);
}

PVOID NdisAllocateMemoryWithTagPriority(NDIS_HANDLE NdisHandle, UINT Length, ULONG Tag, EX_POOL_PRIORITY Priority)
{
    MK_ENTER("NdisAllocateMemoryWithTagPriority");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisAllocateMemoryWithTagPriority must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisAllocateMemoryWithTagPriority: NdisHandle is not a handle NDIS gave this driver");
    mk_port_begin();
    PVOID p = mk_ex_allocate(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool, Length, Tag, Priority, 0,
                             caller);
    mk_port_end();
    return p;
}

void NdisFreeMemoryWithTagPriority(NDIS_HANDLE NdisHandle, PVOID VirtualAddress, ULONG Tag)
{
    MK_ENTER("NdisFreeMemoryWithTagPriority");
    void *caller = __builtin_return_address(0);
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION,
                     "NdisFreeMemoryWithTagPriority must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)NdisHandle);
    nm_check_handle(NdisHandle, "NdisFreeMemoryWithTagPriority: NdisHandle is not a handle NDIS gave this driver");
    mk_port_begin();
    mk_ex_free(VirtualAddress, Tag, caller);
    mk_port_end();
}

void NdisFreeMemory(PVOID VirtualAddress, UINT Length, UINT MemoryFlags)
{
    MK_ENTER("NdisFreeMemory");
    void *caller = __builtin_return_address(0);
    (void)Length;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisFreeMemory must be called at IRQL <= DISPATCH_LEVEL",
                     mk_irql(), (ULONG_PTR)VirtualAddress);
    if (MemoryFlags != 0)
        mk_violation(0x16,
                     "NdisFreeMemory: MemoryFlags must be 0 for memory from NdisAllocateMemoryWithTagPriority "
                     "(mdlkit provides no NDIS contiguous or non-cached allocator)",
                     (ULONG_PTR)VirtualAddress, MemoryFlags);
    mk_port_begin();
    mk_ex_free(VirtualAddress, 0, caller);
    mk_port_end();
}
