/* DMA adapters: system (slave) DMA through the adapter channel and map
 * registers to the system DMA controller model (mdlkit_sysdma_*), bus
 * masters with scatter/gather lists and common buffers, and misuse. */
#include "testutil.h"
#include <wdm.h>

static PDEVICE_OBJECT g_dev;
static PDRIVER_OBJECT g_drv;

static NTSTATUS Entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    return IoCreateDevice(drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &g_dev);
}
static int setup(void **state)
{
    (void)state;
    if (mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING))
        return -1;
    return NT_SUCCESS(mdlkit_driver_load("iodma", Entry, &g_drv)) ? 0 : -1;
}
static int teardown(void **state)
{
    (void)state;
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
    return 0;
}

static PDMA_ADAPTER get_adapter(BOOLEAN master, ULONG line, ULONG max, PULONG nregs)
{
    DEVICE_DESCRIPTION dd;
    memset(&dd, 0, sizeof dd);
    dd.Version = DEVICE_DESCRIPTION_VERSION3;
    dd.Master = master;
    dd.ScatterGather = master;
    dd.Dma64BitAddresses = master;
    dd.InterfaceType = PCIBus;
    dd.DmaRequestLine = line;
    dd.MaximumLength = max;
    return IoGetDmaAdapter(g_dev, &dd, nregs);
}

/* ---- system DMA ---- */
typedef struct {
    PDMA_ADAPTER a;
    PMDL mdl;
    BOOLEAN to_device;
    ULONG mapped;
    PHYSICAL_ADDRESS la;
    IO_ALLOCATION_ACTION action;
    int runs;
    KIRQL irql;
    PVOID base;
} xfer;

static IO_ALLOCATION_ACTION Execute(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    (void)dev;
    (void)irp;
    xfer *x = ctx;
    x->runs++;
    x->irql = KeGetCurrentIrql();
    x->base = base;
    x->mapped = MmGetMdlByteCount(x->mdl);
    x->la = x->a->DmaOperations->MapTransfer(x->a, x->mdl, base, MmGetMdlVirtualAddress(x->mdl), &x->mapped,
                                             x->to_device);
    assert_true(x->a->DmaOperations->FlushAdapterBuffers(x->a, x->mdl, base, MmGetMdlVirtualAddress(x->mdl),
                                                         x->mapped, x->to_device));
    return x->action;
}

static void run_channel(xfer *x)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(x->a->DmaOperations->AllocateAdapterChannel(x->a, g_dev, 2, Execute, x), STATUS_SUCCESS);
    KeLowerIrql(old);
}

static struct {
    ULONG line, len;
    BOOLEAN to_device;
} seen;
static void Device(void *ctx, ULONG line, BOOLEAN to_device, void *data, ULONG length)
{
    (void)ctx;
    seen.line = line;
    seen.len = length;
    seen.to_device = to_device;
    if (!to_device)
        for (ULONG i = 0; i < length; i++)
            ((PUCHAR)data)[i] = (UCHAR)(0x30 + i);
}

static void test_system_dma(void **state)
{
    (void)state;
    ULONG nregs = 0;
    PDMA_ADAPTER a = get_adapter(FALSE, 3, 2 * PAGE_SIZE, &nregs);
    assert_non_null(a);
    assert_int_equal(nregs, 3);
    assert_int_equal(a->DmaOperations->Size, sizeof(DMA_OPERATIONS)); /* a version-3 description */
    PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 300, 'amDT');
    for (int i = 0; i < 300; i++)
        buf[i] = (UCHAR)i;
    PMDL mdl = IoAllocateMdl(buf, 300, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(mdl);

    /* to the device: the default line keeps the bytes */
    xfer x = {a, mdl, TRUE, 0, {{0}}, DeallocateObject, 0, 0, NULL};
    run_channel(&x);
    assert_int_equal(x.runs, 1);
    assert_int_equal(x.irql, DISPATCH_LEVEL);
    assert_int_equal(x.mapped, 300);
    UCHAR got[400];
    assert_int_equal(mdlkit_sysdma_last(3, got, sizeof got), 300);
    assert_memory_equal(got, buf, 300);
    /* the map registers are not the buffer: the controller read them */
    assert_true(x.la.QuadPart != MmGetPhysicalAddress(buf).QuadPart);

    /* from the device: the default line gives its last bytes back */
    memset(buf, 0, 300);
    x.to_device = FALSE;
    run_channel(&x);
    for (int i = 0; i < 300; i++)
        assert_int_equal(buf[i], (UCHAR)i);

    /* a device model on the line */
    mdlkit_sysdma_set_device(3, Device, NULL);
    run_channel(&x);
    assert_int_equal(seen.line, 3);
    assert_int_equal(seen.len, 300);
    assert_false(seen.to_device);
    assert_int_equal(buf[0], 0x30);
    assert_int_equal(buf[299], (UCHAR)(0x30 + 299));
    x.to_device = TRUE;
    run_channel(&x);
    assert_true(seen.to_device);
    mdlkit_sysdma_set_device(3, NULL, NULL);
    assert_int_equal(mdlkit_sysdma_last(99, NULL, 0), 0); /* every line exists; this one never moved a byte */

    IoFreeMdl(mdl);
    ExFreePoolWithTag(buf, 'amDT');
    a->DmaOperations->PutDmaAdapter(a);
}

static void test_channel_queue(void **state)
{
    (void)state;
    ULONG nregs;
    PDMA_ADAPTER a = get_adapter(FALSE, 1, PAGE_SIZE, &nregs);
    PUCHAR buf = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'amDT');
    PMDL mdl = IoAllocateMdl(buf, 64, FALSE, FALSE, NULL);
    MmBuildMdlForNonPagedPool(mdl);
    xfer x1 = {a, mdl, TRUE, 0, {{0}}, KeepObject, 0, 0, NULL};
    xfer x2 = {a, mdl, TRUE, 0, {{0}}, DeallocateObjectKeepRegisters, 0, 0, NULL};
    run_channel(&x1);
    assert_int_equal(x1.runs, 1);
    run_channel(&x2); /* the channel is held: queued */
    assert_int_equal(x2.runs, 0);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeAdapterChannel(a);
    assert_int_equal(x2.runs, 1); /* ran when the channel came free */
    a->DmaOperations->FreeMapRegisters(a, x2.base, 2);
    KeLowerIrql(old);
    IoFreeMdl(mdl);
    ExFreePoolWithTag(buf, 'amDT');
    a->DmaOperations->PutDmaAdapter(a);
}

/* ---- bus masters ---- */
static struct {
    ULONG elements;
    ULONG64 total;
    int ok;
} sg;
static PMDL g_sg_mdl;
static void ListControl(PDEVICE_OBJECT dev, PIRP irp, PSCATTER_GATHER_LIST list, PVOID ctx)
{
    (void)dev;
    (void)irp;
    PDMA_ADAPTER a = ctx;
    sg.elements = list->NumberOfElements;
    sg.total = 0;
    sg.ok = 1;
    PUCHAR va = MmGetMdlVirtualAddress(g_sg_mdl);
    for (ULONG i = 0; i < list->NumberOfElements; i++) {
        /* each element is the physical address of the bytes it covers */
        if (MmGetPhysicalAddress(va).QuadPart != list->Elements[i].Address.QuadPart)
            sg.ok = 0;
        va += list->Elements[i].Length;
        sg.total += list->Elements[i].Length;
    }
    a->DmaOperations->PutScatterGatherList(a, list, TRUE);
}

static void test_bus_master(void **state)
{
    (void)state;
    ULONG nregs;
    PDMA_ADAPTER a = get_adapter(TRUE, 0, 16 * PAGE_SIZE, &nregs);
    assert_non_null(a);
    PUCHAR u = mdlkit_user_alloc(8 * PAGE_SIZE, PAGE_READWRITE);
    PUCHAR va = u + 100;
    ULONG len = 5 * PAGE_SIZE;
    g_sg_mdl = IoAllocateMdl(va, len, FALSE, FALSE, NULL);
    MmProbeAndLockPages(g_sg_mdl, KernelMode, IoWriteAccess);
    ULONG size = 0, regs = 0;
    assert_int_equal(a->DmaOperations->CalculateScatterGatherList(a, g_sg_mdl, va, len, &size, &regs),
                     STATUS_SUCCESS);
    assert_int_equal(regs, 6);
    assert_int_equal(size, sizeof(SCATTER_GATHER_LIST) + 6 * sizeof(SCATTER_GATHER_ELEMENT));
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(a->DmaOperations->GetScatterGatherList(a, g_dev, g_sg_mdl, va, len, ListControl, a, TRUE),
                     STATUS_SUCCESS);
    assert_true(sg.ok);
    assert_int_equal(sg.total, len);
    assert_true(sg.elements >= 1 && sg.elements <= 6);
    /* into the caller's buffer */
    UCHAR small[sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT)];
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, g_dev, g_sg_mdl, va, len, ListControl, a, TRUE,
                                                              small, sizeof small),
                     STATUS_BUFFER_TOO_SMALL);
    static UCHAR big[sizeof(SCATTER_GATHER_LIST) + 8 * sizeof(SCATTER_GATHER_ELEMENT)];
    sg.ok = 0;
    assert_int_equal(a->DmaOperations->BuildScatterGatherList(a, g_dev, g_sg_mdl, va, len, ListControl, a, TRUE, big,
                                                              sizeof big),
                     STATUS_SUCCESS);
    assert_true(sg.ok);
    /* packet-based: MapTransfer gives the first physically contiguous run */
    ULONG l = len;
    PHYSICAL_ADDRESS la = a->DmaOperations->MapTransfer(a, g_sg_mdl, NULL, va, &l, TRUE);
    assert_int_equal(la.QuadPart, MmGetPhysicalAddress(va).QuadPart);
    assert_true(l >= PAGE_SIZE - 100 && l <= len);
    KeLowerIrql(old);
    MmUnlockPages(g_sg_mdl);
    IoFreeMdl(g_sg_mdl);
    mdlkit_user_free(u);

    /* a common buffer: one physically contiguous block the device reaches */
    PHYSICAL_ADDRESS cla;
    PUCHAR cb = a->DmaOperations->AllocateCommonBuffer(a, 3 * PAGE_SIZE, &cla, FALSE);
    assert_non_null(cb);
    assert_int_equal(cla.QuadPart, MmGetPhysicalAddress(cb).QuadPart);
    PHYSICAL_ADDRESS end = {.QuadPart = cla.QuadPart + 2 * PAGE_SIZE};
    PUCHAR dev_view = mdlkit_phys_to_va(end);
    dev_view[5] = 0x77; /* the device writes by bus address */
    assert_int_equal(cb[2 * PAGE_SIZE + 5], 0x77);
    a->DmaOperations->FreeCommonBuffer(a, 3 * PAGE_SIZE, cla, cb, FALSE);
    assert_int_equal(a->DmaOperations->GetDmaAlignment(a), 1);
    a->DmaOperations->PutDmaAdapter(a);
}

/* ---- misuse ---- */
static PDMA_ADAPTER g_a;
static void free_channel_not_held(void *arg)
{
    (void)arg;
    g_a->DmaOperations->FreeAdapterChannel(g_a);
}
static void free_regs_not_held(void *arg)
{
    (void)arg;
    g_a->DmaOperations->FreeMapRegisters(g_a, arg, 1);
}
static void get_adapter_at_dispatch(void *arg)
{
    (void)arg;
    ULONG n;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    get_adapter(FALSE, 0, PAGE_SIZE, &n);
}
static void get_adapter_null(void *arg)
{
    (void)arg;
    ULONG n;
    IoGetDmaAdapter(g_dev, NULL, &n);
}
static void not_an_adapter(void *arg)
{
    (void)arg;
    DMA_ADAPTER fake = {1, sizeof(DMA_ADAPTER), g_a->DmaOperations};
    fake.DmaOperations->FreeAdapterChannel(&fake);
}

static void test_dma_misuse(void **state)
{
    (void)state;
    ULONG n;
    g_a = get_adapter(FALSE, 0, PAGE_SIZE, &n);
    mk_expect_bugcheck(free_channel_not_held, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DMA, MK_ANY, g_a,
                       0);
    mk_expect_bugcheck(free_regs_not_held, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DMA, MK_ANY, g_a, 0);
    mk_expect_bugcheck(get_adapter_at_dispatch, NULL, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, DISPATCH_LEVEL, MK_ANY, MK_ANY);
    mk_expect_bugcheck(get_adapter_null, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, MK_ANY, g_dev, 0);
    mk_expect_bugcheck(not_an_adapter, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DMA, MK_ANY, MK_ANY, 0);
    /* a description newer than the routine knows: no adapter */
    DEVICE_DESCRIPTION dd;
    memset(&dd, 0, sizeof dd);
    dd.Version = 4;
    assert_null(IoGetDmaAdapter(g_dev, &dd, &n));
    g_a->DmaOperations->PutDmaAdapter(g_a);
}

/* ---- version 3: the legacy system-DMA driver pattern ----
 * A driver with no PDO (a legacy, non-PnP driver) asks for a version-3
 * system DMA adapter with IoGetDmaAdapter(NULL, ...), initializes a
 * transfer context, allocates the channel at DISPATCH_LEVEL with an
 * AdapterControl routine that keeps it, maps a two-page MDL from
 * MmAllocatePagesForMdl with MapTransferEx and a completion routine, waits
 * for the completion, flushes with FlushAdapterBuffersEx and frees the
 * channel. */
typedef struct {
    PVOID base;
    int runs;
    KIRQL irql;
    KEVENT done;
    int completions;
    DMA_COMPLETION_STATUS status;
    KIRQL completion_irql;
    PDEVICE_OBJECT completion_dev;
} v3ctx;

static IO_ALLOCATION_ACTION KeepIt(PDEVICE_OBJECT dev, PIRP irp, PVOID base, PVOID ctx)
{
    (void)dev;
    (void)irp;
    v3ctx *c = ctx;
    c->base = base;
    c->runs++;
    c->irql = KeGetCurrentIrql();
    return KeepObject;
}
static void V3Complete(PDMA_ADAPTER a, PDEVICE_OBJECT dev, PVOID ctx, DMA_COMPLETION_STATUS st)
{
    (void)a;
    v3ctx *c = ctx;
    c->completions++;
    c->status = st;
    c->completion_dev = dev;
    c->completion_irql = KeGetCurrentIrql();
    KeSetEvent(&c->done, IO_NO_INCREMENT, FALSE);
}

static PDMA_ADAPTER get_v3_system_adapter_no_pdo(ULONG line, PULONG nregs)
{
    DEVICE_DESCRIPTION dd;
    memset(&dd, 0, sizeof dd);
    dd.Version = DEVICE_DESCRIPTION_VERSION3;
    dd.DmaAddressWidth = 32;
    dd.DmaRequestLine = line;
    dd.DmaChannel = line;
    dd.InterfaceType = ACPIBus;
    dd.Master = FALSE;
    dd.ScatterGather = TRUE;
    dd.MaximumLength = 2 * PAGE_SIZE;
    return IoGetDmaAdapter(NULL, &dd, nregs);
}

static PMDL two_mapped_pages(PUCHAR *va)
{
    PHYSICAL_ADDRESS lo = {.QuadPart = 0}, hi = {.QuadPart = -1}, skip = {.QuadPart = 0};
    PMDL mdl = MmAllocatePagesForMdl(lo, hi, skip, 2 * PAGE_SIZE);
    assert_non_null(mdl);
    assert_int_equal(MmGetMdlByteCount(mdl), 2 * PAGE_SIZE);
    *va = MmMapLockedPagesSpecifyCache(mdl, KernelMode, MmCached, NULL, FALSE, HighPagePriority);
    assert_non_null(*va);
    return mdl;
}
static void free_pages_mdl(PMDL mdl, PVOID va)
{
    MmUnmapLockedPages(va, mdl);
    MmFreePagesFromMdl(mdl);
    ExFreePool(mdl);
}

static void test_dma_v3_legacy_system_dma_without_pdo(void **state)
{
    (void)state;
    ULONG nregs = 0;
    PDMA_ADAPTER a = get_v3_system_adapter_no_pdo(0x1000, &nregs);
    assert_non_null(a);
    assert_int_equal(a->Version, 1); /* always 1, whatever the description's version */
    assert_int_equal(a->DmaOperations->Size, sizeof(DMA_OPERATIONS));
    assert_int_equal(nregs, 3);
    char xctx[DMA_TRANSFER_CONTEXT_SIZE_V1];
    memset(xctx, 0xEE, sizeof xctx);
    assert_int_equal(a->DmaOperations->InitializeDmaTransferContext(a, xctx), STATUS_SUCCESS);
    v3ctx c;
    memset(&c, 0, sizeof c);
    KeInitializeEvent(&c.done, NotificationEvent, FALSE);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, xctx, nregs, 0, KeepIt, &c, NULL),
                     STATUS_SUCCESS);
    KeLowerIrql(old);
    assert_int_equal(c.runs, 1);
    assert_int_equal(c.irql, DISPATCH_LEVEL);
    assert_non_null(c.base);

    /* to the device */
    PUCHAR va;
    PMDL mdl = two_mapped_pages(&va);
    memset(va, 0xDA, 2 * PAGE_SIZE);
    ULONG len = 2 * PAGE_SIZE;
    UCHAR sgbuf[sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT)];
    assert_int_equal(a->DmaOperations->MapTransferEx(a, mdl, c.base, 0, 0, &len, TRUE, NULL, 0, V3Complete, &c),
                     STATUS_SUCCESS);
    assert_int_equal(len, 2 * PAGE_SIZE);
    LARGE_INTEGER zero = {.QuadPart = 0};
    assert_int_equal(KeWaitForSingleObject(&c.done, Executive, KernelMode, FALSE, &zero), STATUS_SUCCESS);
    assert_int_equal(c.completions, 1);
    assert_int_equal(c.status, DmaComplete);
    assert_int_equal(c.completion_irql, DISPATCH_LEVEL);
    assert_ptr_equal(c.completion_dev, g_dev);
    assert_int_equal(a->DmaOperations->FlushAdapterBuffersEx(a, mdl, c.base, 0, len, TRUE), STATUS_SUCCESS);
    UCHAR got[2 * PAGE_SIZE];
    assert_int_equal(mdlkit_sysdma_last(0x1000, got, sizeof got), 2 * PAGE_SIZE);
    for (ULONG i = 0; i < sizeof got; i++)
        assert_int_equal(got[i], 0xDA);

    /* from the device, part of the MDL, with the one-element list the map registers give */
    mdlkit_sysdma_set_device(0x1000, Device, NULL);
    memset(va, 0, 2 * PAGE_SIZE);
    len = 100;
    PSCATTER_GATHER_LIST sgl = (PSCATTER_GATHER_LIST)sgbuf;
    assert_int_equal(a->DmaOperations->MapTransferEx(a, mdl, c.base, PAGE_SIZE - 10, 0, &len, FALSE, sgl, 8, NULL,
                                                     NULL),
                     STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(a->DmaOperations->MapTransferEx(a, mdl, c.base, PAGE_SIZE - 10, 0, &len, FALSE, sgl,
                                                     sizeof sgbuf, NULL, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(sgl->NumberOfElements, 1);
    assert_int_equal(sgl->Elements[0].Length, 100);
    assert_int_equal(seen.line, 0x1000);
    assert_false(seen.to_device);
    assert_int_equal(a->DmaOperations->FlushAdapterBuffersEx(a, mdl, c.base, PAGE_SIZE - 10, len, FALSE),
                     STATUS_SUCCESS);
    assert_int_equal(va[PAGE_SIZE - 11], 0);
    for (ULONG i = 0; i < 100; i++)
        assert_int_equal(va[PAGE_SIZE - 10 + i], (UCHAR)(0x30 + i));
    assert_int_equal(va[PAGE_SIZE + 90], 0);
    mdlkit_sysdma_set_device(0x1000, NULL, NULL);
    free_pages_mdl(mdl, va);

    KeRaiseIrql(DISPATCH_LEVEL, &old);
    a->DmaOperations->FreeAdapterChannel(a);
    KeLowerIrql(old);
    a->DmaOperations->PutDmaAdapter(a);
}

static void test_dma_v3_channel_sync_queue_cancel(void **state)
{
    (void)state;
    ULONG nregs = 0;
    PDMA_ADAPTER a = get_adapter(FALSE, 7, PAGE_SIZE, &nregs);
    assert_non_null(a);
    char x1[DMA_TRANSFER_CONTEXT_SIZE_V1], x2[DMA_TRANSFER_CONTEXT_SIZE_V1], x3[DMA_TRANSFER_CONTEXT_SIZE_V1];
    assert_int_equal(a->DmaOperations->InitializeDmaTransferContext(a, x1), STATUS_SUCCESS);
    assert_int_equal(a->DmaOperations->InitializeDmaTransferContext(a, x2), STATUS_SUCCESS);
    assert_int_equal(a->DmaOperations->InitializeDmaTransferContext(a, x3), STATUS_SUCCESS);
    /* synchronous, no routine: the map registers come back at once */
    PVOID base = NULL;
    assert_int_equal(
        a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x1, nregs, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, &base),
        STATUS_SUCCESS);
    assert_non_null(base);
    /* busy: a synchronous request fails instead of waiting */
    PVOID base2 = NULL;
    assert_int_equal(
        a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x2, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, &base2),
        STATUS_INSUFFICIENT_RESOURCES);
    assert_null(base2);
    /* too many map registers, unknown flags */
    assert_int_equal(a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x2, nregs + 1, 0, KeepIt, NULL, NULL),
                     STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x2, 1, 0x80, KeepIt, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    /* an asynchronous request waits; one is cancelled, the other runs when the channel is freed */
    v3ctx c2, c3;
    memset(&c2, 0, sizeof c2);
    memset(&c3, 0, sizeof c3);
    assert_int_equal(a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x2, 1, 0, KeepIt, &c2, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(a->DmaOperations->AllocateAdapterChannelEx(a, g_dev, x3, 1, 0, KeepIt, &c3, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(c2.runs + c3.runs, 0);
    assert_true(a->DmaOperations->CancelAdapterChannel(a, g_dev, x2));
    assert_false(a->DmaOperations->CancelAdapterChannel(a, g_dev, x2)); /* no longer queued */
    a->DmaOperations->FreeAdapterObject(a, DeallocateObject);
    assert_int_equal(c2.runs, 0);
    assert_int_equal(c3.runs, 1);
    assert_ptr_equal(c3.base, base);
    assert_false(a->DmaOperations->CancelAdapterChannel(a, g_dev, x3)); /* already ran */
    /* keep the registers, free the channel; then the registers */
    a->DmaOperations->FreeAdapterObject(a, DeallocateObjectKeepRegisters);
    a->DmaOperations->FreeMapRegisters(a, base, 1);
    a->DmaOperations->PutDmaAdapter(a);
}

static void test_dma_v3_versions(void **state)
{
    (void)state;
    ULONG n;
    DEVICE_DESCRIPTION dd;
    memset(&dd, 0, sizeof dd);
    dd.Version = DEVICE_DESCRIPTION_VERSION2;
    dd.Master = TRUE;
    dd.ScatterGather = TRUE;
    dd.InterfaceType = PCIBus;
    dd.MaximumLength = PAGE_SIZE;
    PDMA_ADAPTER a = IoGetDmaAdapter(g_dev, &dd, &n);
    assert_non_null(a);
    assert_int_equal(a->DmaOperations->Size, offsetof(DMA_OPERATIONS, GetDmaAdapterInfo)); /* version 1 */
    a->DmaOperations->PutDmaAdapter(a);
    assert_int_equal(DMA_TRANSFER_CONTEXT_SIZE_V1, 128);
    assert_int_equal(DMA_SYNCHRONOUS_CALLBACK, 1);
    assert_int_equal(DmaComplete, 0);
    assert_int_equal(DmaCancelled, 3);
}

/* Windows 7 has no version-3 DMA operations: IoGetDmaAdapter answers NULL. */
static NTSTATUS Win7Entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    (void)reg;
    PDEVICE_OBJECT dev;
    return IoCreateDevice(drv, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
}
static void test_dma_v3_absent_before_win8(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = NTDDI_WIN7;
    assert_int_equal(mdlkit_init(&c), 0);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("win7dma", Win7Entry, &drv), STATUS_SUCCESS);
    ULONG n = 0;
    assert_null(get_v3_system_adapter_no_pdo(1, &n));
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void xfer_not_initialized(void *arg)
{
    (void)arg;
    char x[DMA_TRANSFER_CONTEXT_SIZE_V1];
    memset(x, 0, sizeof x);
    g_a->DmaOperations->AllocateAdapterChannelEx(g_a, g_dev, x, 1, DMA_SYNCHRONOUS_CALLBACK, NULL, NULL, NULL);
}
static void map_ex_outside_mdl(void *arg)
{
    PMDL mdl = arg;
    ULONG len = PAGE_SIZE;
    g_a->DmaOperations->MapTransferEx(g_a, mdl, NULL, PAGE_SIZE, 0, &len, TRUE, NULL, 0, NULL, NULL);
}
static void test_dma_v3_misuse(void **state)
{
    (void)state;
    ULONG n;
    g_a = get_adapter(FALSE, 0, PAGE_SIZE, &n);
    mk_expect_bugcheck(xfer_not_initialized, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DMA, MK_ANY, g_a,
                       MK_ANY);
    PMDL mdl = IoAllocateMdl(NULL, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(mdl);
    mk_expect_bugcheck(map_ex_outside_mdl, mdl, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_DMA, MK_ANY, mdl,
                       PAGE_SIZE);
    IoFreeMdl(mdl);
    g_a->DmaOperations->PutDmaAdapter(g_a);
}

/* A bus master's MapTransferEx: the list of the pages of the MDL (of a
 * chain) that holds Offset, into the caller's buffer. */
static void test_dma_v3_bus_master_map_transfer_ex(void **state)
{
    (void)state;
    ULONG nregs;
    PDMA_ADAPTER a = get_adapter(TRUE, 0, 16 * PAGE_SIZE, &nregs);
    assert_non_null(a);
    PUCHAR u = mdlkit_user_alloc(8 * PAGE_SIZE, PAGE_READWRITE);
    PMDL m1 = IoAllocateMdl(u + 100, 3 * PAGE_SIZE, FALSE, FALSE, NULL);
    PMDL m2 = IoAllocateMdl(u + 4 * PAGE_SIZE, 2 * PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(m1);
    assert_non_null(m2);
    MmProbeAndLockPages(m1, KernelMode, IoWriteAccess);
    MmProbeAndLockPages(m2, KernelMode, IoWriteAccess);
    m1->Next = m2;
    static UCHAR buf[sizeof(SCATTER_GATHER_LIST) + 8 * sizeof(SCATTER_GATHER_ELEMENT)];
    PSCATTER_GATHER_LIST sgl = (PSCATTER_GATHER_LIST)buf;
    ULONG len = 2 * PAGE_SIZE;
    assert_int_equal(a->DmaOperations->MapTransferEx(a, m1, NULL, 0, 0, &len, TRUE, NULL, 0, NULL, NULL),
                     STATUS_INVALID_PARAMETER);
    assert_int_equal(a->DmaOperations->MapTransferEx(a, m1, NULL, 0, 0, &len, TRUE, sgl,
                                                     sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT),
                                                     NULL, NULL),
                     STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(a->DmaOperations->MapTransferEx(a, m1, NULL, 50, 0, &len, TRUE, sgl, sizeof buf, NULL, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(len, 2 * PAGE_SIZE);
    ULONG total = 0;
    for (ULONG i = 0; i < sgl->NumberOfElements; i++)
        total += sgl->Elements[i].Length;
    assert_int_equal(total, len);
    assert_int_equal(sgl->Elements[0].Address.QuadPart, MmGetPhysicalAddress(u + 150).QuadPart);
    /* the rest of the first MDL only: the length is cut at its end */
    len = 2 * PAGE_SIZE;
    assert_int_equal(a->DmaOperations->MapTransferEx(a, m1, NULL, 2 * PAGE_SIZE, 0, &len, TRUE, sgl, sizeof buf, NULL,
                                                     NULL),
                     STATUS_SUCCESS);
    assert_int_equal(len, PAGE_SIZE);
    /* an Offset in the second MDL */
    len = PAGE_SIZE;
    assert_int_equal(a->DmaOperations->MapTransferEx(a, m1, NULL, 3 * PAGE_SIZE + 8, 0, &len, FALSE, sgl, sizeof buf,
                                                     NULL, NULL),
                     STATUS_SUCCESS);
    assert_int_equal(len, PAGE_SIZE);
    assert_int_equal(sgl->Elements[0].Address.QuadPart, MmGetPhysicalAddress(u + 4 * PAGE_SIZE + 8).QuadPart);
    assert_int_equal(a->DmaOperations->FlushAdapterBuffersEx(a, m1, NULL, 3 * PAGE_SIZE + 8, len, FALSE),
                     STATUS_SUCCESS);
    m1->Next = NULL;
    MmUnlockPages(m2);
    MmUnlockPages(m1);
    IoFreeMdl(m2);
    IoFreeMdl(m1);
    mdlkit_user_free(u);
    a->DmaOperations->PutDmaAdapter(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_system_dma, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bus_master, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_misuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_v3_legacy_system_dma_without_pdo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_v3_channel_sync_queue_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_v3_bus_master_map_transfer_ex, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_v3_versions, setup, teardown),
        cmocka_unit_test(test_dma_v3_absent_before_win8),
        cmocka_unit_test_setup_teardown(test_dma_v3_misuse, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
