/*
 * mk_port.h -- the port layers (src/port/): what the rest of mdlkit may ask
 * of StorPort and NDIS hosting.
 *
 *  - mk_port_prohibited_ddi(): called at the top of every WDM DDI that the
 *    HwStorPortProhibitedDDIs rule lists (ExAllocatePool*, MmProbeAndLockPages,
 *    MmUnlockPages, MmMapLockedPages*, MmUnmapLockedPages,
 *    MmAllocatePagesForMdl*, MmFreePagesFromMdl, IoAllocateIrp, IoFreeIrp,
 *    ...). Cheap: one TLS load when no driver code runs. Under DDI compliance
 *    checking, a StorPort miniport calling one from its own code is 0xC4 with
 *    P1 = MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS, P3 = the routine name
 *    (const char *), P4 = the DRIVER_OBJECT.
 *  - mk_port_driver_unloading(): driver.c tells the port layers a driver is
 *    going away (stop its adapters, drop its registration).
 */
#ifndef MK_PORT_H
#define MK_PORT_H

#include "mk_base.h"
#include "mk_driver.h"

/* > 0 while a port layer runs on a miniport's behalf (its own calls into
 * the WDM DDIs are allowed). Reset to 0 whenever miniport code is entered. */
extern MK_TLS int mk_port_internal;

void mk_port_prohibited_ddi_slow(const char *ddi);
static inline void mk_port_prohibited_ddi(const char *ddi)
{
    if (MK_UNLIKELY(mk_self.driver != NULL))
        mk_port_prohibited_ddi_slow(ddi);
}

/* Runs miniport code: sets mk_self.driver and marks "not inside the port". */
typedef struct mk_port_frame {
    mk_driver *old_driver;
    int old_internal;
} mk_port_frame;
static inline void mk_port_call_miniport(mk_port_frame *f, mk_driver *d)
{
    f->old_driver = mk_driver_enter(d);
    f->old_internal = mk_port_internal;
    mk_port_internal = 0;
}
static inline void mk_port_return_from_miniport(mk_port_frame *f)
{
    mk_port_internal = f->old_internal;
    mk_driver_leave(f->old_driver);
}

/* A port routine's own work (it may call prohibited DDIs on the miniport's
 * behalf). */
static inline void mk_port_begin(void) { mk_port_internal++; }
static inline void mk_port_end(void) { mk_port_internal--; }

void mk_port_driver_unloading(mk_driver *d); /* before DriverUnload: stop/halt adapters */
void mk_port_driver_unloaded(mk_driver *d);  /* after DriverUnload: drop what is left */

/* StorPort (storport.c) and NDIS (ndis.c) start/stop and unload hooks. */
void mk_storport_init(void);
void mk_storport_driver_unloading(mk_driver *d);
void mk_storport_shutdown(void);
void mk_ndis_driver_unloading(mk_driver *d);
void mk_ndis_driver_unloaded(mk_driver *d);
void mk_ndis_shutdown(void);

/* NDIS handles (ndis.c): what kind of object a handle is, 0 if unknown. */
enum { MK_NDIS_DRIVER = 1, MK_NDIS_ADAPTER, MK_NDIS_GENERIC, MK_NDIS_DMA, MK_NDIS_INTERRUPT };
int mk_ndis_handle_kind(const void *handle);
/* What the interrupt code (ndisintr.c) needs to know of an adapter (ndis.c):
 * 0 if `adapter` is not a live adapter handle. */
typedef struct mk_ndis_adapter_view {
    mk_driver *drv;
    int initializing;   /* inside MiniportInitializeEx */
    int registered;     /* registration attributes set */
} mk_ndis_adapter_view;
int mk_ndis_adapter_view_get(const void *adapter, mk_ndis_adapter_view *out);
/* ndisintr.c: drops an interrupt the adapter still has registered (a
 * bug-check note names where it was registered); returns its handle, or
 * 0 if there was none. */
ULONG_PTR mk_ndis_interrupt_leak(const void *adapter);
void mk_ndis_interrupt_shutdown(void);
/* NdisAllocateMdl records (ndismem.c): names (bug-check notes) and frees
 * every MDL still allocated with `owner` as its NdisHandle; returns the
 * count. */
size_t mk_ndis_mdl_leaks(const void *owner);
void mk_ndis_mdl_shutdown(void);

/* Leak lists for reports: one record per outstanding port allocation. */
typedef struct mk_port_track {
    void *addr;                 /* block, MDL, or shared memory VA */
    size_t len;
    ULONG tag;
    int kind;                   /* per port layer */
    void *owner;                /* adapter / handle the allocation belongs to */
    PHYSICAL_ADDRESS pa;        /* shared memory */
    BOOLEAN cached;
    void *caller;               /* return address of the allocating call */
    struct mk_port_track *next;
} mk_port_track;

/* ------------------------------------------------------------------------
 * The port allocation tracker (portcommon.c): ONE record table for what a
 * port layer hands a miniport and must get back -- NDIS MDLs, NDIS shared
 * memory, NBL pools, StorPort pool/MDLs/contiguous memory. Keyed by address
 * (a hash), each record names its owner (adapter, handle, device
 * extension), its kind (MK_PT_*, below) and the allocating caller.
 *
 *  - mk_port_track_add(): after the allocation succeeded. 0 if out of host
 *    memory (the caller then undoes the allocation and fails it).
 *  - mk_port_track_find(): copies the record of (kind, addr) to *out (any
 *    kind if kind == 0); 1 if found. For the free's checks.
 *  - mk_port_track_remove(): drops the record ONCE THE FREE HAS PASSED ITS
 *    CHECKS (a caught bug check in the free leaves block and record, so the
 *    owner's leak check still lists it). 1 if it was there.
 *  - mk_port_track_leaks(): the leak check at halt/stop/free-of-owner. Takes
 *    every record of `owner` whose kind bit (1u << kind) is in `kinds`,
 *    REPORTS EACH ONCE (a bug-check note "leaked <kind name> <addr> ...
 *    allocated at <caller>", and under Pool Tracking its allocating stack
 *    via mk_verifier_untrack_leak) before ANY is reclaimed, then calls
 *    reclaim(rec, ctx) for each (the port layer frees the resource; NULL:
 *    nothing to free). counts[kind] (if counts != NULL, MK_PT_KIND_COUNT
 *    entries, zeroed first) receives how many of each kind; returns the
 *    total. The caller raises its own violation afterwards.
 *  - mk_port_track_shutdown(): drops every record (machine shutdown).
 * ---------------------------------------------------------------------- */
enum mk_port_track_kind {
    MK_PT_NONE = 0,
    MK_PT_NDIS_MDL,        /* NdisAllocateMdl: addr = MDL */
    MK_PT_NDIS_SHARED,     /* NdisMAllocateSharedMemory / NdisAllocateSharedMemory: addr = VA */
    MK_PT_NDIS_NBL_POOL,   /* NdisAllocateNetBufferListPool: addr = pool handle */
    MK_PT_NDIS_NB_POOL,    /* NdisAllocateNetBufferPool: addr = pool handle */
    MK_PT_NDIS_TIMER,      /* NdisAllocateTimerObject: addr = timer handle */
    MK_PT_NDIS_WORKITEM,   /* NdisAllocateIoWorkItem: addr = work item handle */
    MK_PT_NDIS_MEMORY,     /* NdisAllocateMemoryWithTagPriority (reported at unload) */
    MK_PT_NDIS_RETREAT_MDL, /* MDL NdisRetreatNetBufferDataStart put in front of a chain: owner = NB */
    MK_PT_NDIS_SGL,        /* scatter/gather list NdisMAllocateNetBufferSGList allocated */
    MK_PT_STOR_POOL,       /* StorPortAllocatePool: addr = block */
    MK_PT_STOR_MDL,        /* StorPortAllocateMdl: addr = MDL */
    MK_PT_STOR_CONTIG,     /* StorPortAllocateContiguousMemory*: addr = VA */
    MK_PT_KIND_COUNT
};
#define MK_PT_BIT(kind) (1u << (kind))

typedef struct mk_port_track mk_port_track;
int mk_port_track_add(int kind, void *addr, size_t len, ULONG tag, void *owner, void *caller,
                      PHYSICAL_ADDRESS pa, BOOLEAN cached);
int mk_port_track_find(int kind, const void *addr, mk_port_track *out);
int mk_port_track_remove(int kind, const void *addr);
size_t mk_port_track_leaks(const void *owner, unsigned kinds, void (*reclaim)(mk_port_track *rec, void *ctx),
                           void *ctx, size_t counts[MK_PT_KIND_COUNT]);
/* How many records `owner` has of the kinds in `kinds` (no report). */
size_t mk_port_track_count(const void *owner, unsigned kinds);
void mk_port_track_shutdown(void);
/* The name a leak note uses for a kind ("NdisAllocateMdl MDL", ...). */
const char *mk_port_track_kind_name(int kind);
/* The Pool Tracking kind a port kind is also tracked as (the record is
 * listed with its stack by mk_port_track_leaks), or -1. */
int mk_port_track_vf_kind(int kind);

/* Formats "function (file:line)" for a caller address into buf. */
void mk_port_caller_name(void *pc, char *buf, size_t len);
/* Is [va, va+len) static storage (globals) of a loaded image -- a driver's
 * globals, non-paged on Windows? 0 for the host stack, malloc, mmap. */
int mk_port_image_static(const void *va, size_t len);

#endif /* MK_PORT_H */
