/*
 * dma.c -- DMA adapters: IoGetDmaAdapter and the version-1 DMA_OPERATIONS
 * (PutDmaAdapter, AllocateCommonBuffer, FreeCommonBuffer,
 * AllocateAdapterChannel, MapTransfer, FlushAdapterBuffers,
 * FreeAdapterChannel, FreeMapRegisters, GetDmaAlignment, ReadDmaCounter,
 * GetScatterGatherList, PutScatterGatherList, CalculateScatterGatherList,
 * BuildScatterGatherList, BuildMdlFromScatterGatherList) and, for a
 * DEVICE_DESCRIPTION_VERSION3 on Windows 8 and later, the version-3
 * operations InitializeDmaTransferContext, AllocateAdapterChannelEx,
 * CancelAdapterChannel, MapTransferEx, FlushAdapterBuffersEx and
 * FreeAdapterObject.
 *
 * Bus addresses are simulated physical addresses (no IOMMU). Each adapter
 * owns its map registers: one physically contiguous buffer below the
 * device's address limit, allocated by IoGetDmaAdapter. A system (slave)
 * DMA adapter always transfers through it: MapTransfer copies data bound
 * for the device into the map registers and has the system DMA controller
 * (src/hal/sysdma.c) move it to the device on the adapter's request line;
 * for a transfer from the device, FlushAdapterBuffers has the controller
 * fill the map registers and copies them into the MDL's pages. A bus
 * master gets the physical address of its buffer's pages (MapTransfer:
 * one physically contiguous run; GetScatterGatherList: one element per
 * run), and goes through the map registers only for a page above its
 * address limit.
 *
 * The adapter channel is one at a time: AllocateAdapterChannel runs the
 * execution routine at once when the channel and map registers are free,
 * otherwise when FreeAdapterChannel / FreeMapRegisters release them.
 * Misuse Driver Verifier's DMA checks would catch is reported as 0xC4
 * with MDLKIT_RULE_DMA (docs/ddi-notes.md "DMA").
 */
#include "mk_hal.h"
#include "mk_io.h"
#include "mk_machine.h"
#include "mk_mdl.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define DMA_MAGIC 0x414d446bU      /* "kDMA" */
#define DMA_SGL_MAGIC 0x4c47536bUL /* "kSGL": a list this file allocated */
#define DMA_TAG 'AMDk'
#define DMA_MAX_MAP_REGISTERS 256

typedef struct dma_waiter {
    PDEVICE_OBJECT dev;
    ULONG nregs;
    PDRIVER_CONTROL routine;
    PVOID ctx;
    PVOID xfer; /* the version-3 transfer context, or NULL */
    struct dma_waiter *next;
} dma_waiter;

typedef struct mk_dma_adapter {
    DMA_ADAPTER a; /* what the driver sees; first */
    uint32_t magic;
    DEVICE_DESCRIPTION desc;
    ULONG line;          /* system DMA request line */
    ULONG64 limit;       /* highest bus address the device reaches */
    ULONG nregs;         /* map registers granted */
    PUCHAR map;          /* the map registers: nregs contiguous pages */
    PHYSICAL_ADDRESS map_pa;
    pthread_mutex_t lock;
    int channel_busy;
    int regs_busy;
    dma_waiter *waiters, **tail;
    /* the transfer last mapped through the map registers */
    ULONG map_off, map_len;
    int bounced;
    PDEVICE_OBJECT owner; /* the device the channel was last allocated for */
    int read_done; /* MapTransferEx already brought the device's bytes into the map registers */
    struct mk_dma_adapter *next_live;
} mk_dma_adapter;

static DMA_OPERATIONS dma_ops, dma_ops_v3;
static pthread_mutex_t dma_live_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_dma_adapter *dma_live; /* adapters IoGetDmaAdapter handed out and not put back */

static mk_dma_adapter *dma_of(PDMA_ADAPTER a, const char *routine)
{
    mk_dma_adapter *found = NULL;
    pthread_mutex_lock(&dma_live_lock);
    for (mk_dma_adapter *d = dma_live; d; d = d->next_live)
        if (&d->a == a && d->magic == DMA_MAGIC)
            found = d;
    pthread_mutex_unlock(&dma_live_lock);
    if (!found)
        mk_violation(MDLKIT_RULE_DMA, routine, (ULONG_PTR)a, 0);
    return found;
}

/* ---- bytes of an MDL's range, by its PFNs ---- */
static void *dma_page(PFN_NUMBER pfn)
{
    if (mk_pfn_is_ram(pfn))
        return mk_pfn_to_direct(pfn);
    if (mk_pfn_is_foreign(pfn))
        return (void *)(uintptr_t)((pfn - MK_FOREIGN_PFN_BASE) << PAGE_SHIFT);
    return NULL;
}

/* Copies between [CurrentVa, +len) of the MDL and buf (to_buf: MDL -> buf). */
static void dma_copy(PMDL mdl, PVOID va, PUCHAR buf, ULONG len, int to_buf)
{
    ULONG_PTR off = (ULONG_PTR)va - (ULONG_PTR)mdl->StartVa;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    while (len) {
        ULONG in_page = (ULONG)(PAGE_SIZE - (off & (PAGE_SIZE - 1)));
        ULONG n = len < in_page ? len : in_page;
        PUCHAR p = dma_page(pfns[off >> PAGE_SHIFT]);
        if (p) {
            p += off & (PAGE_SIZE - 1);
            if (to_buf)
                memcpy(buf, p, n);
            else
                memcpy(p, buf, n);
        }
        buf += n;
        off += n;
        len -= n;
    }
}

/* The bus address of CurrentVa and the length of its physically contiguous run (<= len). */
static ULONG64 dma_run(PMDL mdl, PVOID va, ULONG len, ULONG *run)
{
    ULONG_PTR off = (ULONG_PTR)va - (ULONG_PTR)mdl->StartVa;
    PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
    size_t i = off >> PAGE_SHIFT;
    ULONG64 pa = ((ULONG64)pfns[i] << PAGE_SHIFT) + (off & (PAGE_SIZE - 1));
    ULONG n = (ULONG)(PAGE_SIZE - (off & (PAGE_SIZE - 1)));
    while (n < len && pfns[i + 1] == pfns[i] + 1) {
        i++;
        n += PAGE_SIZE;
    }
    *run = n < len ? n : len;
    return pa;
}

static void dma_check_range(PMDL mdl, PVOID va, ULONG len, const char *routine)
{
    ULONG_PTR start = (ULONG_PTR)MmGetMdlVirtualAddress(mdl);
    if (!mdl || (ULONG_PTR)va < start || (ULONG_PTR)va + len > start + mdl->ByteCount || len == 0)
        mk_violation(MDLKIT_RULE_DMA, routine, (ULONG_PTR)mdl, (ULONG_PTR)va);
}

/* ---- the adapter channel ---- */
/* Runs waiters while the channel and the map registers are free (lock held
 * on entry and exit; released around each execution routine). */
static void dma_run_waiters(mk_dma_adapter *d)
{
    while (d->waiters && !d->channel_busy && !d->regs_busy) {
        dma_waiter *w = d->waiters;
        d->waiters = w->next;
        if (!d->waiters)
            d->tail = &d->waiters;
        d->channel_busy = 1;
        d->regs_busy = 1;
        d->owner = w->dev;
        pthread_mutex_unlock(&d->lock);
        IO_ALLOCATION_ACTION act = w->routine(w->dev, w->dev->CurrentIrp, d->map, w->ctx);
        free(w);
        pthread_mutex_lock(&d->lock);
        if (act == DeallocateObject) {
            d->channel_busy = 0;
            d->regs_busy = 0;
        } else if (act == DeallocateObjectKeepRegisters) {
            d->channel_busy = 0;
        }
    }
}

static NTSTATUS DmaAllocateAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                          ULONG NumberOfMapRegisters, PDRIVER_CONTROL ExecutionRoutine, PVOID Context)
{
    MK_ENTER("AllocateAdapterChannel");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaAllocateAdapterChannel);
    mk_dma_adapter *d = dma_of(DmaAdapter, "AllocateAdapterChannel: not a DMA adapter");
    if (!DeviceObject || !ExecutionRoutine)
        mk_violation(MDLKIT_RULE_DMA, "AllocateAdapterChannel: DeviceObject and ExecutionRoutine are required",
                     (ULONG_PTR)DmaAdapter, (ULONG_PTR)ExecutionRoutine);
    if (NumberOfMapRegisters > d->nregs)
        return STATUS_INSUFFICIENT_RESOURCES;
    dma_waiter *w = calloc(1, sizeof *w);
    if (!w)
        return STATUS_INSUFFICIENT_RESOURCES;
    *w = (dma_waiter){DeviceObject, NumberOfMapRegisters, ExecutionRoutine, Context, NULL, NULL};
    pthread_mutex_lock(&d->lock);
    *d->tail = w;
    d->tail = &w->next;
    dma_run_waiters(d);
    pthread_mutex_unlock(&d->lock);
    return STATUS_SUCCESS;
}

static void DmaFreeAdapterChannel(PDMA_ADAPTER DmaAdapter)
{
    MK_ENTER("FreeAdapterChannel");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaFreeAdapterChannel);
    mk_dma_adapter *d = dma_of(DmaAdapter, "FreeAdapterChannel: not a DMA adapter");
    pthread_mutex_lock(&d->lock);
    int busy = d->channel_busy;
    pthread_mutex_unlock(&d->lock);
    if (!busy)
        mk_violation(MDLKIT_RULE_DMA, "FreeAdapterChannel: the adapter channel is not allocated", (ULONG_PTR)DmaAdapter,
                     0);
    pthread_mutex_lock(&d->lock);
    d->channel_busy = 0;
    d->regs_busy = 0; /* the channel's map registers go with it */
    dma_run_waiters(d);
    pthread_mutex_unlock(&d->lock);
}

static void DmaFreeMapRegisters(PDMA_ADAPTER DmaAdapter, PVOID MapRegisterBase, ULONG NumberOfMapRegisters)
{
    MK_ENTER("FreeMapRegisters");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaFreeMapRegisters);
    (void)NumberOfMapRegisters;
    mk_dma_adapter *d = dma_of(DmaAdapter, "FreeMapRegisters: not a DMA adapter");
    pthread_mutex_lock(&d->lock);
    int busy = d->regs_busy;
    pthread_mutex_unlock(&d->lock);
    if (!busy || MapRegisterBase != d->map)
        mk_violation(MDLKIT_RULE_DMA, "FreeMapRegisters: these map registers are not allocated", (ULONG_PTR)DmaAdapter,
                     (ULONG_PTR)MapRegisterBase);
    pthread_mutex_lock(&d->lock);
    d->regs_busy = 0;
    dma_run_waiters(d);
    pthread_mutex_unlock(&d->lock);
}

/* ---- transfers ---- */
static PHYSICAL_ADDRESS DmaMapTransfer(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                       PULONG Length, BOOLEAN WriteToDevice)
{
    MK_ENTER("MapTransfer");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaMapTransfer);
    mk_dma_adapter *d = dma_of(DmaAdapter, "MapTransfer: not a DMA adapter");
    if (!Length)
        mk_violation(MDLKIT_RULE_DMA, "MapTransfer: Length is not optional", (ULONG_PTR)DmaAdapter, 0);
    dma_check_range(Mdl, CurrentVa, *Length, "MapTransfer: CurrentVa and Length are not inside the MDL");
    PHYSICAL_ADDRESS la;
    ULONG run;
    ULONG64 pa = dma_run(Mdl, CurrentVa, *Length, &run);
    if (d->desc.Master && pa + run - 1 <= d->limit) {
        *Length = run; /* a bus master reaches the pages themselves */
        d->bounced = 0;
        la.QuadPart = (LONGLONG)pa;
        return la;
    }
    /* through the map registers */
    d->read_done = 0;
    if (MapRegisterBase != d->map || !d->regs_busy)
        mk_violation(MDLKIT_RULE_DMA, "MapTransfer: MapRegisterBase is not this adapter's allocated map registers",
                     (ULONG_PTR)DmaAdapter, (ULONG_PTR)MapRegisterBase);
    ULONG off = BYTE_OFFSET(CurrentVa);
    ULONG room = d->nregs * PAGE_SIZE - off;
    if (*Length > room)
        *Length = room;
    d->map_off = off;
    d->map_len = *Length;
    d->bounced = 1;
    d->read_done = 0;
    la.QuadPart = d->map_pa.QuadPart + off;
    if (WriteToDevice) {
        dma_copy(Mdl, CurrentVa, d->map + off, *Length, 1);
        if (!d->desc.Master)
            mk_sysdma_transfer(d->line, la, *Length, TRUE);
    }
    return la;
}

static BOOLEAN DmaFlushAdapterBuffers(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, PVOID CurrentVa,
                                      ULONG Length, BOOLEAN WriteToDevice)
{
    MK_ENTER("FlushAdapterBuffers");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaFlushAdapterBuffers);
    mk_dma_adapter *d = dma_of(DmaAdapter, "FlushAdapterBuffers: not a DMA adapter");
    (void)MapRegisterBase;
    dma_check_range(Mdl, CurrentVa, Length, "FlushAdapterBuffers: CurrentVa and Length are not inside the MDL");
    if (WriteToDevice || !d->bounced)
        return TRUE;
    ULONG n = Length < d->map_len ? Length : d->map_len;
    if (!d->desc.Master) {
        PHYSICAL_ADDRESS la = {.QuadPart = d->map_pa.QuadPart + d->map_off};
        mk_sysdma_transfer(d->line, la, n, FALSE);
    }
    dma_copy(Mdl, CurrentVa, d->map + d->map_off, n, 0);
    return TRUE;
}

static ULONG DmaGetDmaAlignment(PDMA_ADAPTER DmaAdapter)
{
    dma_of(DmaAdapter, "GetDmaAlignment: not a DMA adapter");
    return 1;
}

static ULONG DmaReadDmaCounter(PDMA_ADAPTER DmaAdapter)
{
    dma_of(DmaAdapter, "ReadDmaCounter: not a DMA adapter");
    return 0; /* the model's controller finishes each transfer at once */
}

/* ---- scatter/gather (bus masters) ---- */
static ULONG dma_elements(PVOID va, ULONG len) { return ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len); }

static NTSTATUS DmaCalculateScatterGatherList(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID CurrentVa, ULONG Length,
                                              PULONG ScatterGatherListSize, PULONG pNumberOfMapRegisters)
{
    MK_ENTER("CalculateScatterGatherList");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaCalculateScatterGatherList);
    dma_of(DmaAdapter, "CalculateScatterGatherList: not a DMA adapter");
    if (!ScatterGatherListSize)
        mk_violation(MDLKIT_RULE_DMA, "CalculateScatterGatherList: ScatterGatherListSize is not optional",
                     (ULONG_PTR)DmaAdapter, 0);
    ULONG n = 0;
    for (PMDL m = Mdl; m; m = m->Next)
        n += dma_elements(m == Mdl ? CurrentVa : MmGetMdlVirtualAddress(m), m == Mdl ? Length : m->ByteCount);
    if (!Mdl)
        n = dma_elements(CurrentVa, Length);
    *ScatterGatherListSize = (ULONG)(sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT));
    if (pNumberOfMapRegisters)
        *pNumberOfMapRegisters = n;
    return STATUS_SUCCESS;
}

/* Fills sgl for [CurrentVa, +Length) of the MDL: 0, or the status. */
static NTSTATUS dma_fill(mk_dma_adapter *d, PMDL Mdl, PVOID CurrentVa, ULONG Length, PSCATTER_GATHER_LIST sgl)
{
    ULONG n = 0;
    PUCHAR va = CurrentVa;
    ULONG left = Length;
    while (left) {
        ULONG run;
        ULONG64 pa = dma_run(Mdl, va, left, &run);
        if (pa + run - 1 > d->limit)
            return STATUS_INSUFFICIENT_RESOURCES; /* would need map registers: not modelled for lists */
        if (n && sgl->Elements[n - 1].Address.QuadPart + sgl->Elements[n - 1].Length == (LONGLONG)pa) {
            sgl->Elements[n - 1].Length += run;
        } else {
            sgl->Elements[n].Address.QuadPart = (LONGLONG)pa;
            sgl->Elements[n].Length = run;
            sgl->Elements[n].Reserved = 0;
            n++;
        }
        va += run;
        left -= run;
    }
    sgl->NumberOfElements = n;
    return STATUS_SUCCESS;
}

static NTSTATUS dma_sg(const char *routine, PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                       PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine, PVOID Context,
                       PVOID buffer, ULONG buffer_len)
{
    mk_dma_adapter *d = dma_of(DmaAdapter, routine);
    if (!DeviceObject || !ExecutionRoutine)
        mk_violation(MDLKIT_RULE_DMA, routine, (ULONG_PTR)DmaAdapter, (ULONG_PTR)ExecutionRoutine);
    dma_check_range(Mdl, CurrentVa, Length, routine);
    if (!d->desc.Master)
        return STATUS_NOT_SUPPORTED; /* system DMA: MapTransfer through the adapter channel */
    ULONG n = dma_elements(CurrentVa, Length);
    if (n > d->nregs)
        return STATUS_INSUFFICIENT_RESOURCES;
    ULONG size = (ULONG)(sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT));
    PSCATTER_GATHER_LIST sgl;
    if (buffer) {
        if (buffer_len < size)
            return STATUS_BUFFER_TOO_SMALL;
        sgl = buffer;
        sgl->Reserved = 0;
    } else {
        sgl = ExAllocatePoolWithTag(NonPagedPoolNx, size, DMA_TAG);
        if (!sgl)
            return STATUS_INSUFFICIENT_RESOURCES;
        sgl->Reserved = DMA_SGL_MAGIC;
    }
    NTSTATUS st = dma_fill(d, Mdl, CurrentVa, Length, sgl);
    if (!NT_SUCCESS(st)) {
        if (!buffer)
            ExFreePoolWithTag(sgl, DMA_TAG);
        return st;
    }
    ExecutionRoutine(DeviceObject, DeviceObject->CurrentIrp, sgl, Context);
    return STATUS_SUCCESS;
}

static NTSTATUS DmaGetScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                        PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                        PVOID Context, BOOLEAN WriteToDevice)
{
    MK_ENTER("GetScatterGatherList");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaGetScatterGatherList);
    (void)WriteToDevice;
    return dma_sg("GetScatterGatherList: bad adapter, device, routine or range", DmaAdapter, DeviceObject, Mdl,
                  CurrentVa, Length, ExecutionRoutine, Context, NULL, 0);
}

static NTSTATUS DmaBuildScatterGatherList(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PMDL Mdl,
                                          PVOID CurrentVa, ULONG Length, PDRIVER_LIST_CONTROL ExecutionRoutine,
                                          PVOID Context, BOOLEAN WriteToDevice, PVOID ScatterGatherBuffer,
                                          ULONG ScatterGatherLength)
{
    MK_ENTER("BuildScatterGatherList");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaBuildScatterGatherList);
    (void)WriteToDevice;
    if (!ScatterGatherBuffer)
        mk_violation(MDLKIT_RULE_DMA, "BuildScatterGatherList: ScatterGatherBuffer is not optional",
                     (ULONG_PTR)DmaAdapter, 0);
    return dma_sg("BuildScatterGatherList: bad adapter, device, routine or range", DmaAdapter, DeviceObject, Mdl,
                  CurrentVa, Length, ExecutionRoutine, Context, ScatterGatherBuffer, ScatterGatherLength);
}

static void DmaPutScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                    BOOLEAN WriteToDevice)
{
    MK_ENTER("PutScatterGatherList");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaPutScatterGatherList);
    (void)WriteToDevice;
    dma_of(DmaAdapter, "PutScatterGatherList: not a DMA adapter");
    if (!ScatterGather)
        mk_violation(MDLKIT_RULE_DMA, "PutScatterGatherList: ScatterGather is not optional", (ULONG_PTR)DmaAdapter, 0);
    if (ScatterGather->Reserved == DMA_SGL_MAGIC) {
        ScatterGather->Reserved = 0;
        ExFreePoolWithTag(ScatterGather, DMA_TAG);
    }
}

static NTSTATUS DmaBuildMdlFromScatterGatherList(PDMA_ADAPTER DmaAdapter, PSCATTER_GATHER_LIST ScatterGather,
                                                 PMDL OriginalMdl, PMDL *TargetMdl)
{
    MK_ENTER("BuildMdlFromScatterGatherList");
    dma_of(DmaAdapter, "BuildMdlFromScatterGatherList: not a DMA adapter");
    if (!ScatterGather || !OriginalMdl || !TargetMdl)
        mk_violation(MDLKIT_RULE_DMA, "BuildMdlFromScatterGatherList: no parameter is optional",
                     (ULONG_PTR)DmaAdapter, 0);
    /* the lists describe the original pages themselves (no map registers) */
    *TargetMdl = OriginalMdl;
    return STATUS_SUCCESS;
}

/* ---- common buffers ---- */
static PVOID DmaAllocateCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PPHYSICAL_ADDRESS LogicalAddress,
                                     BOOLEAN CacheEnabled)
{
    MK_ENTER("AllocateCommonBuffer");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, DmaAllocateCommonBuffer);
    mk_dma_adapter *d = dma_of(DmaAdapter, "AllocateCommonBuffer: not a DMA adapter");
    if (!LogicalAddress)
        mk_violation(MDLKIT_RULE_DMA, "AllocateCommonBuffer: LogicalAddress is not optional", (ULONG_PTR)DmaAdapter,
                     0);
    LogicalAddress->QuadPart = 0;
    if (Length == 0)
        return NULL;
    PHYSICAL_ADDRESS low = {.QuadPart = 0}, high = {.QuadPart = (LONGLONG)d->limit}, none = {.QuadPart = 0};
    PVOID va = MmAllocateContiguousMemorySpecifyCache(Length, low, high, none, CacheEnabled ? MmCached : MmNonCached);
    if (va)
        *LogicalAddress = MmGetPhysicalAddress(va);
    return va;
}

static void DmaFreeCommonBuffer(PDMA_ADAPTER DmaAdapter, ULONG Length, PHYSICAL_ADDRESS LogicalAddress,
                                PVOID VirtualAddress, BOOLEAN CacheEnabled)
{
    MK_ENTER("FreeCommonBuffer");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, DmaFreeCommonBuffer);
    dma_of(DmaAdapter, "FreeCommonBuffer: not a DMA adapter");
    if (!VirtualAddress || MmGetPhysicalAddress(VirtualAddress).QuadPart != LogicalAddress.QuadPart)
        mk_violation(MDLKIT_RULE_DMA, "FreeCommonBuffer: LogicalAddress is not the address of VirtualAddress",
                     (ULONG_PTR)VirtualAddress, (ULONG_PTR)LogicalAddress.QuadPart);
    MmFreeContiguousMemorySpecifyCache(VirtualAddress, Length, CacheEnabled ? MmCached : MmNonCached);
}

/* ---- the adapter ---- */
static void DmaPutDmaAdapter(PDMA_ADAPTER DmaAdapter)
{
    MK_ENTER("PutDmaAdapter");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, DmaPutDmaAdapter);
    mk_dma_adapter *d = dma_of(DmaAdapter, "PutDmaAdapter: not a DMA adapter");
    if (d->channel_busy || d->regs_busy || d->waiters)
        mk_violation(MDLKIT_RULE_DMA, "PutDmaAdapter: the adapter channel or map registers are still allocated",
                     (ULONG_PTR)DmaAdapter, 0);
    pthread_mutex_lock(&dma_live_lock);
    for (mk_dma_adapter **pp = &dma_live; *pp; pp = &(*pp)->next_live)
        if (*pp == d) {
            *pp = d->next_live;
            break;
        }
    pthread_mutex_unlock(&dma_live_lock);
    d->magic = 0;
    mk_driver *old = mk_driver_enter(NULL);
    MmFreeContiguousMemorySpecifyCache(d->map, (SIZE_T)d->nregs * PAGE_SIZE, MmNonCached);
    mk_driver_leave(old);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* ---- version 3 (Windows 8 and later) ---- */
#define DMA_XFER_MAGIC 0x5846446bU /* "kDFX": a context InitializeDmaTransferContext filled */

typedef struct dma_xfer {
    uint32_t magic;
    uint32_t version;
    mk_dma_adapter *adapter;
} dma_xfer;
_Static_assert(sizeof(dma_xfer) <= DMA_TRANSFER_CONTEXT_SIZE_V1, "the transfer context fits the caller's buffer");

/* Bytes an MDL chain describes. */
static ULONGLONG dma_chain_bytes(PMDL mdl)
{
    ULONGLONG n = 0;
    for (; mdl; mdl = mdl->Next)
        n += mdl->ByteCount;
    return n;
}

/* Copies [Offset, +len) of an MDL chain to or from buf (to_buf: chain -> buf). */
static void dma_chain_copy(PMDL mdl, ULONGLONG off, PUCHAR buf, ULONG len, int to_buf)
{
    while (mdl && off >= mdl->ByteCount) {
        off -= mdl->ByteCount;
        mdl = mdl->Next;
    }
    while (mdl && len) {
        ULONG n = mdl->ByteCount - (ULONG)off;
        if (n > len)
            n = len;
        dma_copy(mdl, (PUCHAR)MmGetMdlVirtualAddress(mdl) + off, buf, n, to_buf);
        buf += n;
        len -= n;
        off = 0;
        mdl = mdl->Next;
    }
}

static NTSTATUS DmaInitializeDmaTransferContext(PDMA_ADAPTER DmaAdapter, PVOID DmaTransferContext)
{
    MK_ENTER("InitializeDmaTransferContext");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaInitializeDmaTransferContext);
    mk_dma_adapter *d = dma_of(DmaAdapter, "InitializeDmaTransferContext: not a DMA adapter");
    if (!DmaTransferContext)
        mk_violation(MDLKIT_RULE_DMA, "InitializeDmaTransferContext: DmaTransferContext is not optional",
                     (ULONG_PTR)DmaAdapter, 0);
    memset(DmaTransferContext, 0, DMA_TRANSFER_CONTEXT_SIZE_V1);
    dma_xfer x = {DMA_XFER_MAGIC, DMA_TRANSFER_CONTEXT_VERSION1, d};
    memcpy(DmaTransferContext, &x, sizeof x);
    return STATUS_SUCCESS;
}

static void dma_check_xfer(mk_dma_adapter *d, PVOID ctx, const char *routine)
{
    dma_xfer x = {0, 0, NULL};
    if (ctx)
        memcpy(&x, ctx, sizeof x);
    if (x.magic != DMA_XFER_MAGIC || x.adapter != d)
        mk_violation(MDLKIT_RULE_DMA, routine, (ULONG_PTR)&d->a, (ULONG_PTR)ctx);
}

static NTSTATUS DmaAllocateAdapterChannelEx(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject,
                                            PVOID DmaTransferContext, ULONG NumberOfMapRegisters, ULONG Flags,
                                            PDRIVER_CONTROL ExecutionRoutine, PVOID ExecutionContext,
                                            PVOID *MapRegisterBase)
{
    MK_ENTER("AllocateAdapterChannelEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaAllocateAdapterChannelEx);
    mk_dma_adapter *d = dma_of(DmaAdapter, "AllocateAdapterChannelEx: not a DMA adapter");
    dma_check_xfer(d, DmaTransferContext,
                   "AllocateAdapterChannelEx: DmaTransferContext was not initialized by InitializeDmaTransferContext "
                   "for this adapter");
    int sync = (Flags & DMA_SYNCHRONOUS_CALLBACK) != 0;
    if (!DeviceObject || (!ExecutionRoutine && !sync))
        mk_violation(MDLKIT_RULE_DMA,
                     "AllocateAdapterChannelEx: DeviceObject is required, and ExecutionRoutine unless "
                     "DMA_SYNCHRONOUS_CALLBACK",
                     (ULONG_PTR)DmaAdapter, (ULONG_PTR)ExecutionRoutine);
    if (Flags & ~(ULONG)DMA_SYNCHRONOUS_CALLBACK)
        return STATUS_INVALID_PARAMETER;
    if (NumberOfMapRegisters > d->nregs)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (!sync) {
        /* as AllocateAdapterChannel: the routine runs when the channel is free */
        dma_waiter *w = calloc(1, sizeof *w);
        if (!w)
            return STATUS_INSUFFICIENT_RESOURCES;
        *w = (dma_waiter){DeviceObject, NumberOfMapRegisters, ExecutionRoutine, ExecutionContext, DmaTransferContext,
                          NULL};
        pthread_mutex_lock(&d->lock);
        *d->tail = w;
        d->tail = &w->next;
        dma_run_waiters(d);
        pthread_mutex_unlock(&d->lock);
        if (MapRegisterBase)
            *MapRegisterBase = d->map;
        return STATUS_SUCCESS;
    }
    /* synchronous: now or STATUS_INSUFFICIENT_RESOURCES, never queued */
    pthread_mutex_lock(&d->lock);
    if (d->channel_busy || d->regs_busy || d->waiters) {
        pthread_mutex_unlock(&d->lock);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    d->channel_busy = 1;
    d->regs_busy = 1;
    d->owner = DeviceObject;
    pthread_mutex_unlock(&d->lock);
    if (MapRegisterBase)
        *MapRegisterBase = d->map;
    if (ExecutionRoutine) {
        IO_ALLOCATION_ACTION act = ExecutionRoutine(DeviceObject, DeviceObject->CurrentIrp, d->map, ExecutionContext);
        pthread_mutex_lock(&d->lock);
        if (act == DeallocateObject) {
            d->channel_busy = 0;
            d->regs_busy = 0;
        } else if (act == DeallocateObjectKeepRegisters) {
            d->channel_busy = 0;
        }
        dma_run_waiters(d);
        pthread_mutex_unlock(&d->lock);
    }
    return STATUS_SUCCESS;
}

static BOOLEAN DmaCancelAdapterChannel(PDMA_ADAPTER DmaAdapter, PDEVICE_OBJECT DeviceObject, PVOID DmaTransferContext)
{
    MK_ENTER("CancelAdapterChannel");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaCancelAdapterChannel);
    mk_dma_adapter *d = dma_of(DmaAdapter, "CancelAdapterChannel: not a DMA adapter");
    dma_check_xfer(d, DmaTransferContext,
                   "CancelAdapterChannel: DmaTransferContext was not initialized by InitializeDmaTransferContext");
    dma_waiter *found = NULL;
    pthread_mutex_lock(&d->lock);
    for (dma_waiter **pp = &d->waiters; *pp; pp = &(*pp)->next)
        if ((*pp)->xfer == DmaTransferContext && (*pp)->dev == DeviceObject) {
            found = *pp;
            *pp = found->next;
            if (!*pp)
                d->tail = pp;
            break;
        }
    pthread_mutex_unlock(&d->lock);
    free(found);
    return found != NULL; /* FALSE: the request already ran (or was never queued) */
}

static NTSTATUS DmaMapTransferEx(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
                                 ULONG DeviceOffset, PULONG Length, BOOLEAN WriteToDevice,
                                 PSCATTER_GATHER_LIST ScatterGatherBuffer, ULONG ScatterGatherBufferLength,
                                 PDMA_COMPLETION_ROUTINE DmaCompletionRoutine, PVOID CompletionContext)
{
    MK_ENTER("MapTransferEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaMapTransferEx);
    mk_dma_adapter *d = dma_of(DmaAdapter, "MapTransferEx: not a DMA adapter");
    (void)DeviceOffset; /* the model's request lines have one data register */
    if (!Mdl || !Length || *Length == 0 || Offset + *Length > dma_chain_bytes(Mdl))
        mk_violation(MDLKIT_RULE_DMA, "MapTransferEx: Offset and Length are not inside the MDL chain",
                     (ULONG_PTR)Mdl, (ULONG_PTR)Offset);
    if (d->desc.Master) {
        /* a bus master gets the list of its pages (first MDL of the range) */
        if (!ScatterGatherBuffer)
            return STATUS_INVALID_PARAMETER;
        PMDL m = Mdl;
        ULONGLONG off = Offset;
        while (off >= m->ByteCount) {
            off -= m->ByteCount;
            m = m->Next;
        }
        if (*Length > m->ByteCount - off)
            *Length = (ULONG)(m->ByteCount - off);
        PUCHAR va = (PUCHAR)MmGetMdlVirtualAddress(m) + off;
        ULONG n = dma_elements(va, *Length);
        if (ScatterGatherBufferLength < sizeof(SCATTER_GATHER_LIST) + n * sizeof(SCATTER_GATHER_ELEMENT))
            return STATUS_BUFFER_TOO_SMALL;
        NTSTATUS st = dma_fill(d, m, va, *Length, ScatterGatherBuffer);
        if (!NT_SUCCESS(st))
            return st;
        ScatterGatherBuffer->Reserved = 0;
        d->bounced = 0;
        return STATUS_SUCCESS;
    }
    /* system DMA: through the adapter's map registers, to the request line */
    if (MapRegisterBase != d->map || !d->regs_busy)
        mk_violation(MDLKIT_RULE_DMA, "MapTransferEx: MapRegisterBase is not this adapter's allocated map registers",
                     (ULONG_PTR)DmaAdapter, (ULONG_PTR)MapRegisterBase);
    ULONG room = d->nregs * PAGE_SIZE;
    if (*Length > room)
        *Length = room;
    if (ScatterGatherBuffer) {
        if (ScatterGatherBufferLength < sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT))
            return STATUS_BUFFER_TOO_SMALL;
        ScatterGatherBuffer->NumberOfElements = 1;
        ScatterGatherBuffer->Reserved = 0;
        ScatterGatherBuffer->Elements[0].Address = d->map_pa;
        ScatterGatherBuffer->Elements[0].Length = *Length;
        ScatterGatherBuffer->Elements[0].Reserved = 0;
    }
    d->map_off = 0;
    d->map_len = *Length;
    d->bounced = 1;
    if (WriteToDevice)
        dma_chain_copy(Mdl, Offset, d->map, *Length, 1);
    int failed = mk_sysdma_transfer(d->line, d->map_pa, *Length, WriteToDevice) != 0;
    d->read_done = !WriteToDevice && !failed;
    if (DmaCompletionRoutine) {
        /* the model's controller finishes at once; completion runs at DISPATCH_LEVEL */
        KIRQL old;
        KeRaiseIrql(DISPATCH_LEVEL, &old);
        DmaCompletionRoutine(DmaAdapter, d->owner, CompletionContext, failed ? DmaError : DmaComplete);
        KeLowerIrql(old);
    }
    return STATUS_SUCCESS;
}

static NTSTATUS DmaFlushAdapterBuffersEx(PDMA_ADAPTER DmaAdapter, PMDL Mdl, PVOID MapRegisterBase, ULONGLONG Offset,
                                         ULONG Length, BOOLEAN WriteToDevice)
{
    MK_ENTER("FlushAdapterBuffersEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaFlushAdapterBuffersEx);
    mk_dma_adapter *d = dma_of(DmaAdapter, "FlushAdapterBuffersEx: not a DMA adapter");
    (void)MapRegisterBase;
    if (!Mdl || Length == 0 || Offset + Length > dma_chain_bytes(Mdl))
        mk_violation(MDLKIT_RULE_DMA, "FlushAdapterBuffersEx: Offset and Length are not inside the MDL chain",
                     (ULONG_PTR)Mdl, (ULONG_PTR)Offset);
    if (WriteToDevice || !d->bounced)
        return STATUS_SUCCESS;
    ULONG n = Length < d->map_len ? Length : d->map_len;
    if (!d->read_done && !d->desc.Master)
        mk_sysdma_transfer(d->line, d->map_pa, n, FALSE);
    d->read_done = 0;
    dma_chain_copy(Mdl, Offset, d->map + d->map_off, n, 0);
    return STATUS_SUCCESS;
}

static void DmaFreeAdapterObject(PDMA_ADAPTER DmaAdapter, IO_ALLOCATION_ACTION AllocationAction)
{
    MK_ENTER("FreeAdapterObject");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, DmaFreeAdapterObject);
    mk_dma_adapter *d = dma_of(DmaAdapter, "FreeAdapterObject: not a DMA adapter");
    if (AllocationAction != DeallocateObject && AllocationAction != DeallocateObjectKeepRegisters)
        mk_violation(MDLKIT_RULE_DMA, "FreeAdapterObject: AllocationAction is DeallocateObject or "
                     "DeallocateObjectKeepRegisters", (ULONG_PTR)DmaAdapter, (ULONG_PTR)AllocationAction);
    pthread_mutex_lock(&d->lock);
    int busy = d->channel_busy;
    pthread_mutex_unlock(&d->lock);
    if (!busy)
        mk_violation(MDLKIT_RULE_DMA, "FreeAdapterObject: the adapter channel is not allocated", (ULONG_PTR)DmaAdapter,
                     0);
    pthread_mutex_lock(&d->lock);
    d->channel_busy = 0;
    if (AllocationAction == DeallocateObject)
        d->regs_busy = 0;
    dma_run_waiters(d);
    pthread_mutex_unlock(&d->lock);
}

/* version 1: Size ends before the version-3 members */
static DMA_OPERATIONS dma_ops = {
    offsetof(DMA_OPERATIONS, GetDmaAdapterInfo), DmaPutDmaAdapter,        DmaAllocateCommonBuffer,       DmaFreeCommonBuffer,
    DmaAllocateAdapterChannel,  DmaFlushAdapterBuffers,  DmaFreeAdapterChannel,         DmaFreeMapRegisters,
    DmaMapTransfer,             DmaGetDmaAlignment,      DmaReadDmaCounter,             DmaGetScatterGatherList,
    DmaPutScatterGatherList,    DmaCalculateScatterGatherList, DmaBuildScatterGatherList,
    DmaBuildMdlFromScatterGatherList,
};

static DMA_OPERATIONS dma_ops_v3 = {
    .Size = sizeof(DMA_OPERATIONS),
    .PutDmaAdapter = DmaPutDmaAdapter,
    .AllocateCommonBuffer = DmaAllocateCommonBuffer,
    .FreeCommonBuffer = DmaFreeCommonBuffer,
    .AllocateAdapterChannel = DmaAllocateAdapterChannel,
    .FlushAdapterBuffers = DmaFlushAdapterBuffers,
    .FreeAdapterChannel = DmaFreeAdapterChannel,
    .FreeMapRegisters = DmaFreeMapRegisters,
    .MapTransfer = DmaMapTransfer,
    .GetDmaAlignment = DmaGetDmaAlignment,
    .ReadDmaCounter = DmaReadDmaCounter,
    .GetScatterGatherList = DmaGetScatterGatherList,
    .PutScatterGatherList = DmaPutScatterGatherList,
    .CalculateScatterGatherList = DmaCalculateScatterGatherList,
    .BuildScatterGatherList = DmaBuildScatterGatherList,
    .BuildMdlFromScatterGatherList = DmaBuildMdlFromScatterGatherList,
    .InitializeDmaTransferContext = DmaInitializeDmaTransferContext,
    .AllocateAdapterChannelEx = DmaAllocateAdapterChannelEx,
    .CancelAdapterChannel = DmaCancelAdapterChannel,
    .MapTransferEx = DmaMapTransferEx,
    .FlushAdapterBuffersEx = DmaFlushAdapterBuffersEx,
    .FreeAdapterObject = DmaFreeAdapterObject,
};

PDMA_ADAPTER IoGetDmaAdapter(PDEVICE_OBJECT PhysicalDeviceObject, PDEVICE_DESCRIPTION DeviceDescription,
                             PULONG NumberOfMapRegisters)
{
    MK_ENTER("IoGetDmaAdapter");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, IoGetDmaAdapter);
    /* PhysicalDeviceObject is optional: a legacy (non-PnP) driver has no PDO
     * and gets its adapter from the HAL directly */
    if ((PhysicalDeviceObject && !mk_io_device_ext(PhysicalDeviceObject)) || !DeviceDescription ||
        !NumberOfMapRegisters)
        mk_violation(0x16,
                     "IoGetDmaAdapter: a description and NumberOfMapRegisters are required, and "
                     "PhysicalDeviceObject, when given, is a device object",
                     (ULONG_PTR)PhysicalDeviceObject, (ULONG_PTR)DeviceDescription);
    PDEVICE_DESCRIPTION dd = DeviceDescription;
    if (dd->Version > DEVICE_DESCRIPTION_VERSION3)
        return NULL;
    if (dd->Version == DEVICE_DESCRIPTION_VERSION3 && !mk_os_at_least(NTDDI_WIN8))
        return NULL; /* version 3 of the DMA operations exists from Windows 8 */
    if (!dd->Master && dd->ScatterGather && dd->Version < DEVICE_DESCRIPTION_VERSION3)
        return NULL; /* a system DMA device cannot do scatter/gather itself */
    mk_dma_adapter *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->desc = *dd;
    d->line = dd->Version >= DEVICE_DESCRIPTION_VERSION3 ? dd->DmaRequestLine : dd->DmaChannel;
    if (dd->Version >= DEVICE_DESCRIPTION_VERSION3 && dd->DmaAddressWidth && dd->DmaAddressWidth < 64)
        d->limit = ((ULONG64)1 << dd->DmaAddressWidth) - 1;
    else if (dd->Dma64BitAddresses)
        d->limit = ~(ULONG64)0;
    else if (!dd->Master && dd->InterfaceType == Isa)
        d->limit = 0xFFFFFF; /* ISA system DMA: 24-bit addresses */
    else
        d->limit = 0xFFFFFFFFULL;
    ULONG want = dd->MaximumLength ? (ULONG)BYTES_TO_PAGES(dd->MaximumLength) + 1 : 1;
    d->nregs = want < DMA_MAX_MAP_REGISTERS ? want : DMA_MAX_MAP_REGISTERS;
    PHYSICAL_ADDRESS low = {.QuadPart = 0}, high = {.QuadPart = (LONGLONG)d->limit}, none = {.QuadPart = 0};
    mk_driver *old = mk_driver_enter(NULL); /* the HAL's map registers */
    d->map = MmAllocateContiguousMemorySpecifyCache((SIZE_T)d->nregs * PAGE_SIZE, low, high, none, MmNonCached);
    mk_driver_leave(old);
    if (!d->map) {
        free(d);
        return NULL;
    }
    d->map_pa = MmGetPhysicalAddress(d->map);
    pthread_mutex_init(&d->lock, NULL);
    d->tail = &d->waiters;
    d->a.Version = 1;
    d->a.Size = (USHORT)sizeof(DMA_ADAPTER);
    d->a.DmaOperations = dd->Version == DEVICE_DESCRIPTION_VERSION3 ? &dma_ops_v3 : &dma_ops;
    d->magic = DMA_MAGIC;
    pthread_mutex_lock(&dma_live_lock);
    d->next_live = dma_live;
    dma_live = d;
    pthread_mutex_unlock(&dma_live_lock);
    *NumberOfMapRegisters = d->nregs;
    return &d->a;
}

/* Forgets adapters a driver never put back (machine shutdown: their map
 * registers go with the machine's memory). */
void mk_io_dma_reset(void)
{
    pthread_mutex_lock(&dma_live_lock);
    mk_dma_adapter *d = dma_live;
    dma_live = NULL;
    pthread_mutex_unlock(&dma_live_lock);
    while (d) {
        mk_dma_adapter *next = d->next_live;
        dma_waiter *w = d->waiters;
        while (w) {
            dma_waiter *wn = w->next;
            free(w);
            w = wn;
        }
        pthread_mutex_destroy(&d->lock);
        free(d);
        d = next;
    }
}
