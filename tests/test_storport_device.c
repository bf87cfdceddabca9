/*
 * test_storport_device: the StorPort host with a device model. A small
 * miniport written here ("toy") drives a small PCI function ("toy device":
 * a 4 KiB register BAR, an I/O BAR, MSI-X with two vectors and a line
 * interrupt): resources handed to HwFindAdapter, bus data, BAR mappings,
 * register and port access, MSI-X and line interrupts at DIRQL with DPCs,
 * spin locks, timers, registry values, SRB_EX requests, extended
 * functions; then each run-time check with its rule ID and parameters.
 */
#include "testutil.h"

#include <srbhelper.h>
#include <storport.h>

/* ------------------------------------------------------------------------
 * The toy device
 * ---------------------------------------------------------------------- */
#define TOY_REG_SCRATCH 0x00
#define TOY_REG_DOORBELL 0x04 /* write n: raise MSI-X vector n (or the line) */
#define TOY_REG_COUNT 0x08    /* how many doorbells */

typedef struct toy_dev {
    mdlkit_pci_device *pci;
    ULONG scratch;
    ULONG doorbells;
    UCHAR ports[16];
    int width_seen;
} toy_dev;

static toy_dev g_dev;

static ULONG64 toy_read(void *ctx, ULONG bar, ULONG64 off, ULONG width)
{
    toy_dev *d = ctx;
    d->width_seen = (int)width;
    if (bar == 2)
        return off < sizeof d->ports ? d->ports[off] : 0;
    switch (off) {
    case TOY_REG_SCRATCH:
        return d->scratch;
    case TOY_REG_COUNT:
        return d->doorbells;
    default:
        return 0;
    }
}

static void toy_write(void *ctx, ULONG bar, ULONG64 off, ULONG width, ULONG64 v)
{
    toy_dev *d = ctx;
    d->width_seen = (int)width;
    if (bar == 2) {
        if (off < sizeof d->ports)
            d->ports[off] = (UCHAR)v;
        return;
    }
    if (off == TOY_REG_SCRATCH)
        d->scratch = (ULONG)v;
    else if (off == TOY_REG_DOORBELL) {
        d->doorbells++;
        mdlkit_pci_interrupt(d->pci, (ULONG)v);
    }
}

static void toy_dev_create(int msix)
{
    memset(&g_dev, 0, sizeof g_dev);
    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.vendor_id = 0x1234;
    fn.device_id = 0x5678;
    fn.base_class = 1;
    fn.interrupt_pin = 1;
    fn.bars[0].kind = MDLKIT_BAR_MEMORY64;
    fn.bars[0].size = 0x4000;
    fn.bars[2].kind = MDLKIT_BAR_IO;
    fn.bars[2].size = 16;
    if (msix) {
        fn.msix_vectors = 2;
        fn.msix_bar = 0;
        fn.msix_table_offset = 0x2000;
        fn.msix_pba_offset = 0x3000;
    }
    fn.read = toy_read;
    fn.write = toy_write;
    fn.ctx = &g_dev;
    g_dev.pci = mdlkit_pci_create(&fn);
    assert_non_null(g_dev.pci);
}

/* ------------------------------------------------------------------------
 * The toy miniport
 * ---------------------------------------------------------------------- */
typedef struct toy_ext {
    PUCHAR regs;
    PUCHAR ports;
    ULONG bar_count;
    ULONG config_vendor;
    ULONG isr_calls, isr_irql, msi_calls, last_msg, dpc_calls, dpc_irql;
    ULONG timer_calls, timer_ex_calls;
    PVOID timer;
    STOR_DPC dpc;
    BOOLEAN passive_ran;
    PVOID uncached;
} toy_ext;

enum toy_bug {
    BUG_NONE = 0,
    BUG_REGISTER_OUTSIDE,
    BUG_LOCK_ORDER,
    BUG_LOCK_HELD_AT_RETURN,
    BUG_RELEASE_NOT_HELD,
    BUG_COMPLETED_SRB_TOUCHED,
    BUG_COMPLETE_TWICE,
    BUG_SG_AFTER_COMPLETION,
    BUG_DPC_NOT_INITIALISED,
};
static enum toy_bug g_bug;
static int g_use_msi = 1;
static int g_srb_ex;
static PSTOR_SCATTER_GATHER_LIST g_sg_kept;

static void ToyDpc(PSTOR_DPC Dpc, PVOID Ext, PVOID A1, PVOID A2)
{
    (void)Dpc;
    (void)A1;
    (void)A2;
    toy_ext *e = Ext;
    e->dpc_calls++;
    e->dpc_irql = KeGetCurrentIrql();
    STOR_LOCK_HANDLE h;
    StorPortAcquireSpinLock(Ext, DpcLock, &e->dpc, &h);
    StorPortReleaseSpinLock(Ext, &h);
}

static BOOLEAN ToyPassive(PVOID Ext)
{
    toy_ext *e = Ext;
    e->passive_ran = KeGetCurrentIrql() == PASSIVE_LEVEL;
    StorPortInitializeDpc(Ext, &e->dpc, ToyDpc);
    return TRUE;
}

static BOOLEAN ToyMsi(PVOID Ext, ULONG MessageId)
{
    toy_ext *e = Ext;
    e->msi_calls++;
    e->last_msg = MessageId;
    e->isr_irql = KeGetCurrentIrql();
    StorPortIssueDpc(Ext, &e->dpc, NULL, NULL);
    return TRUE;
}

static BOOLEAN ToyInterrupt(PVOID Ext)
{
    toy_ext *e = Ext;
    e->isr_calls++;
    e->isr_irql = KeGetCurrentIrql();
    StorPortIssueDpc(Ext, &e->dpc, NULL, NULL);
    return TRUE;
}

static ULONG ToyFindAdapter(PVOID Ext, PVOID Ctx, PVOID Bus, PCHAR Arg, PPORT_CONFIGURATION_INFORMATION Cfg,
                            PBOOLEAN Again)
{
    (void)Ctx;
    (void)Bus;
    (void)Arg;
    (void)Again;
    toy_ext *e = Ext;
    PCI_COMMON_CONFIG pci;
    ULONG n = StorPortGetBusData(Ext, PCIConfiguration, Cfg->SystemIoBusNumber, Cfg->SlotNumber, &pci, sizeof pci);
    if (n != sizeof pci)
        return SP_RETURN_ERROR;
    e->config_vendor = pci.VendorID;
    e->bar_count = Cfg->NumberOfAccessRanges;
    for (ULONG i = 0; i < Cfg->NumberOfAccessRanges; i++) {
        ACCESS_RANGE *r = &(*Cfg->AccessRanges)[i];
        PVOID base = StorPortGetDeviceBase(Ext, PCIBus, Cfg->SystemIoBusNumber, r->RangeStart, r->RangeLength,
                                           !r->RangeInMemory);
        if (!base)
            return SP_RETURN_ERROR;
        if (r->RangeInMemory)
            e->regs = base;
        else
            e->ports = base;
    }
    e->uncached = StorPortGetUncachedExtension(Ext, Cfg, 8192);
    Cfg->SynchronizationModel = StorSynchronizeFullDuplex;
    Cfg->ScatterGather = TRUE;
    Cfg->Master = TRUE;
    if (g_use_msi) {
        Cfg->HwMSInterruptRoutine = ToyMsi;
        Cfg->InterruptSynchronizationMode = InterruptSynchronizePerMessage;
    }
    return SP_RETURN_FOUND;
}

static BOOLEAN ToyInitialize(PVOID Ext) { return StorPortEnablePassiveInitialization(Ext, ToyPassive); }

static BOOLEAN ToyStartIo(PVOID Ext, PSCSI_REQUEST_BLOCK Srb)
{
    toy_ext *e = Ext;
    STOR_LOCK_HANDLE h, h2;
    switch (g_bug) {
    case BUG_REGISTER_OUTSIDE:
        (void)StorPortReadRegisterUlong(Ext, (PULONG)(e->regs + 0x4000)); /* past the end of the BAR */
        break;
    case BUG_LOCK_ORDER:
        StorPortAcquireSpinLock(Ext, InterruptLock, NULL, &h);
        StorPortAcquireSpinLock(Ext, StartIoLock, NULL, &h2); /* StartIo after interrupt: out of order */
        break;
    case BUG_LOCK_HELD_AT_RETURN:
        StorPortAcquireSpinLock(Ext, StartIoLock, NULL, &h);
        return TRUE; /* returns holding it */
    case BUG_RELEASE_NOT_HELD:
        memset(&h, 0, sizeof h);
        h.Lock = StartIoLock;
        StorPortReleaseSpinLock(Ext, &h);
        break;
    case BUG_DPC_NOT_INITIALISED: {
        static STOR_DPC stray;
        StorPortIssueDpc(Ext, &stray, NULL, NULL);
        break;
    }
    default:
        break;
    }
    PSTOR_SCATTER_GATHER_LIST sg = StorPortGetScatterGatherList(Ext, Srb);
    if (sg)
        g_sg_kept = sg;
    SrbSetSrbStatus(Srb, SRB_STATUS_SUCCESS);
    StorPortNotification(RequestComplete, Ext, Srb);
    if (g_bug == BUG_COMPLETE_TWICE)
        StorPortNotification(RequestComplete, Ext, Srb);
    if (g_bug == BUG_COMPLETED_SRB_TOUCHED)
        (void)StorPortGetScatterGatherList(Ext, Srb);
    if (g_bug == BUG_SG_AFTER_COMPLETION && g_sg_kept)
        (void)*(volatile ULONG *)&g_sg_kept->NumberOfElements;
    return TRUE;
}

static BOOLEAN ToyResetBus(PVOID Ext, ULONG PathId)
{
    StorPortCompleteRequest(Ext, (UCHAR)PathId, 0xFF, 0xFF, SRB_STATUS_BUS_RESET);
    return TRUE;
}

static void ToyFreeResources(PVOID Ext)
{
    toy_ext *e = Ext;
    if (e->regs)
        StorPortFreeDeviceBase(Ext, e->regs);
    if (e->ports)
        StorPortFreeDeviceBase(Ext, e->ports);
    e->regs = e->ports = NULL;
}

static NTSTATUS ToyDriverEntry(PDRIVER_OBJECT Drv, PUNICODE_STRING Reg)
{
    HW_INITIALIZATION_DATA hw;
    memset(&hw, 0, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwInitialize = ToyInitialize;
    hw.HwStartIo = ToyStartIo;
    hw.HwInterrupt = ToyInterrupt;
    hw.HwFindAdapter = ToyFindAdapter;
    hw.HwResetBus = ToyResetBus;
    hw.HwFreeAdapterResources = ToyFreeResources;
    hw.DeviceExtensionSize = sizeof(toy_ext);
    hw.NumberOfAccessRanges = 2;
    hw.SrbTypeFlags = g_srb_ex ? SRB_TYPE_FLAG_STORAGE_REQUEST_BLOCK : 0;
    return (NTSTATUS)StorPortInitialize(Drv, Reg, &hw, NULL);
}

/* ------------------------------------------------------------------------
 * Setup
 * ---------------------------------------------------------------------- */
static PDRIVER_OBJECT g_drv;
static toy_ext *g_ext;

static void boot(ULONG verifier, int msix)
{
    assert_int_equal(mk_test_setup_flags(verifier), 0);
    toy_dev_create(msix);
    assert_int_equal(mdlkit_driver_load("toystor", ToyDriverEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_device(g_drv, g_dev.pci, (PVOID *)&g_ext), STATUS_SUCCESS);
}

static int teardown(void **state)
{
    (void)state;
    g_bug = BUG_NONE;
    g_use_msi = 1;
    g_srb_ex = 0;
    g_sg_kept = NULL;
    return mk_test_teardown_after_bugcheck(state);
}

static NTSTATUS toy_io(UCHAR *buf, ULONG len)
{
    mdlkit_scsi_request r;
    memset(&r, 0, sizeof r);
    r.cdb[0] = SCSIOP_READ;
    r.cdb_length = 10;
    r.direction = MDLKIT_SCSI_DATA_IN;
    r.data = buf;
    r.data_length = len;
    return mdlkit_storport_scsi(g_ext, &r);
}

/* ------------------------------------------------------------------------
 * What works
 * ---------------------------------------------------------------------- */
static void test_resources_and_registers(void **state)
{
    (void)state;
    boot(0, 1);
    assert_int_equal(g_ext->config_vendor, 0x1234);
    assert_int_equal(g_ext->bar_count, 2);
    assert_non_null(g_ext->regs);
    assert_true((ULONG_PTR)g_ext->ports >= 0xC000 && (ULONG_PTR)g_ext->ports < 0x10000);
    assert_true(g_ext->passive_ran);
    assert_non_null(g_ext->uncached);
    /* registers reach the model, with their width */
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + TOY_REG_SCRATCH), 0xCAFEF00D);
    assert_int_equal(g_dev.scratch, 0xCAFEF00D);
    assert_int_equal(g_dev.width_seen, 4);
    assert_int_equal(StorPortReadRegisterUlong(g_ext, (PULONG)(g_ext->regs + TOY_REG_SCRATCH)), 0xCAFEF00D);
    assert_int_equal(StorPortReadRegisterUshort(g_ext, (PUSHORT)(g_ext->regs + TOY_REG_SCRATCH)), 0xF00D);
    assert_int_equal(g_dev.width_seen, 2);
    StorPortWriteRegisterUlong64(g_ext, (PULONG64)(g_ext->regs + TOY_REG_SCRATCH), 0x1122334455667788ULL);
    assert_int_equal(g_dev.width_seen, 8);
    /* ports */
    StorPortWritePortUchar(g_ext, g_ext->ports + 3, 0x5A);
    assert_int_equal(g_dev.ports[3], 0x5A);
    UCHAR in[4];
    StorPortReadPortBufferUchar(g_ext, g_ext->ports + 3, in, 4);
    assert_int_equal(in[0], 0x5A);
    assert_int_equal(in[3], 0x5A);
    /* the MSI-X table is the bus's, not the model's */
    ULONG ctl = StorPortReadRegisterUlong(g_ext, (PULONG)(g_ext->regs + 0x2000 + 12));
    assert_int_equal(ctl & 1, 0); /* unmasked by PnP */
    /* configuration space: BAR sizing through SetBusDataByOffset */
    ULONG all = 0xFFFFFFFF, back = 0;
    assert_int_equal(StorPortSetBusDataByOffset(g_ext, PCIConfiguration, 0, mdlkit_pci_slot(g_dev.pci), &all, 0x18,
                                                4), 4);
    mdlkit_pci_config_read(g_dev.pci, 0x18, &back, 4);
    assert_int_equal(back, 0xFFFFFFF1); /* 16-byte I/O BAR */
    /* other slots read as absent */
    USHORT vid = 0;
    assert_int_equal(StorPortGetBusData(g_ext, PCIConfiguration, 0, 31, &vid, 2), 2);
    assert_int_equal(vid, 0xFFFF);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
}

static void test_msi_interrupt_and_dpc(void **state)
{
    (void)state;
    boot(0, 1);
    MESSAGE_INTERRUPT_INFORMATION mi;
    assert_int_equal(StorPortGetMSIInfo(g_ext, 0, &mi), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortGetMSIInfo(g_ext, 1, &mi), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortGetMSIInfo(g_ext, 2, &mi), STOR_STATUS_INVALID_PARAMETER);
    /* The device rings vector 1: the ISR runs at DIRQL, its DPC at DISPATCH_LEVEL. */
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + TOY_REG_DOORBELL), 1);
    assert_int_equal(g_ext->msi_calls, 0); /* delivered when the processor can take it */
    assert_int_equal(mdlkit_storport_poll(g_ext), 1);
    assert_int_equal(g_ext->msi_calls, 1);
    assert_int_equal(g_ext->last_msg, 1);
    assert_true(g_ext->isr_irql > DISPATCH_LEVEL);
    assert_int_equal(g_ext->dpc_calls, 1);
    assert_int_equal(g_ext->dpc_irql, DISPATCH_LEVEL);
    /* a masked vector is pending until unmasked */
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + 0x2000 + 16 + 12), 1);
    assert_int_equal(mdlkit_pci_interrupt(g_dev.pci, 1), 0);
    assert_int_equal(mdlkit_storport_poll(g_ext), 0);
    assert_int_equal(StorPortReadRegisterUlong(g_ext, (PULONG)(g_ext->regs + 0x3000)) & 2, 2);
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + 0x2000 + 16 + 12), 0);
    assert_int_equal(mdlkit_storport_poll(g_ext), 1);
    assert_int_equal(g_ext->msi_calls, 2);
    mdlkit_storport_info info;
    assert_int_equal(mdlkit_storport_get_info(g_ext, &info), 0);
    assert_int_equal(info.msix_messages, 2);
    assert_int_equal(info.interrupts, 2);
    assert_int_equal(info.dpcs, 2);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void test_line_interrupt(void **state)
{
    (void)state;
    g_use_msi = 0;
    boot(0, 1);
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + TOY_REG_DOORBELL), 0);
    assert_int_equal(mdlkit_storport_poll(g_ext), 1);
    assert_int_equal(g_ext->isr_calls, 1);
    assert_int_equal(g_ext->msi_calls, 0);
    assert_int_equal(g_ext->dpc_calls, 1);
    MESSAGE_INTERRUPT_INFORMATION mi;
    assert_int_equal(StorPortGetMSIInfo(g_ext, 0, &mi), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void ToyTimer(PVOID Ext) { ((toy_ext *)Ext)->timer_calls++; }
static void ToyTimerEx(PVOID Ext, PVOID Ctx)
{
    ((toy_ext *)Ext)->timer_ex_calls += (ULONG)(ULONG_PTR)Ctx;
}

static void test_timers(void **state)
{
    (void)state;
    boot(0, 1);
    StorPortNotification(RequestTimerCall, g_ext, ToyTimer, (ULONG)1000);
    mdlkit_storport_advance_timers(g_ext, 999);
    assert_int_equal(g_ext->timer_calls, 0);
    mdlkit_storport_advance_timers(g_ext, 1);
    assert_int_equal(g_ext->timer_calls, 1);
    mdlkit_storport_advance_timers(g_ext, 5000);
    assert_int_equal(g_ext->timer_calls, 1); /* one shot */
    PVOID t = NULL;
    assert_int_equal(StorPortInitializeTimer(g_ext, &t), STOR_STATUS_SUCCESS);
    assert_non_null(t);
    assert_int_equal(StorPortRequestTimer(g_ext, t, ToyTimerEx, (PVOID)3, 500, 0), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortRequestTimer(g_ext, t, ToyTimerEx, (PVOID)3, 500, 0), STOR_STATUS_BUSY);
    mdlkit_storport_advance_timers(g_ext, 500);
    assert_int_equal(g_ext->timer_ex_calls, 3);
    assert_int_equal(StorPortRequestTimer(g_ext, t, ToyTimerEx, (PVOID)3, 500, 0), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortRequestTimer(g_ext, t, ToyTimerEx, (PVOID)3, 0, 0), STOR_STATUS_SUCCESS); /* cancel */
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(g_ext->timer_ex_calls, 3);
    assert_int_equal(StorPortFreeTimer(g_ext, t), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortFreeTimer(g_ext, t), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void test_registry(void **state)
{
    (void)state;
    boot(0, 1);
    ULONG v = 42;
    assert_int_equal(mdlkit_storport_set_registry(g_drv, 0, "QueueDepth", 4, &v, 4), 0);
    ULONG len = 4;
    PUCHAR buf = StorPortAllocateRegistryBuffer(g_ext, &len);
    assert_non_null(buf);
    assert_true(StorPortRegistryRead(g_ext, (PUCHAR) "QueueDepth", 0, 4, buf, &len));
    assert_int_equal(*(ULONG *)buf, 42);
    len = 4;
    assert_false(StorPortRegistryRead(g_ext, (PUCHAR) "QueueDepth", 1, 4, buf, &len)); /* not global */
    len = 4;
    assert_false(StorPortRegistryRead(g_ext, (PUCHAR) "QueueDepth", 0, 3, buf, &len)); /* other type */
    *(ULONG *)buf = 7;
    assert_true(StorPortRegistryWrite(g_ext, (PUCHAR) "Written", 1, 4, buf, 4));
    ULONG type = 0, got = 0;
    assert_int_equal(mdlkit_storport_get_registry(g_drv, 1, "Written", &type, &got, 4), 4);
    assert_int_equal(type, 4);
    assert_int_equal(got, 7);
    UCHAR stack[4];
    assert_false(StorPortRegistryWrite(g_ext, (PUCHAR) "X", 0, 4, stack, 4)); /* not a registry buffer */
    StorPortFreeRegistryBuffer(g_ext, buf);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void test_extended_functions(void **state)
{
    (void)state;
    boot(0, 1);
    PERF_CONFIGURATION_DATA p;
    memset(&p, 0, sizeof p);
    p.Version = STOR_PERF_VERSION;
    p.Size = sizeof p;
    assert_int_equal(StorPortInitializePerfOpts(g_ext, TRUE, &p), STOR_STATUS_SUCCESS);
    assert_int_equal(p.Flags, 0);
    p.Flags = STOR_PERF_DPC_REDIRECTION;
    assert_int_equal(StorPortInitializePerfOpts(g_ext, FALSE, &p), STOR_STATUS_INVALID_PARAMETER);
    p.Version = 99;
    assert_int_equal(StorPortInitializePerfOpts(g_ext, TRUE, &p), STOR_STATUS_UNSUPPORTED_VERSION);
    /* facilities a test process does not have */
    assert_int_equal(StorPortExtendedFunction(ExtFunctionInitializePoFxPower, g_ext, NULL, NULL, NULL),
                     STOR_STATUS_NOT_IMPLEMENTED);
    assert_int_equal(StorPortExtendedFunction(ExtFunctionMiniportEtwEvent2, g_ext, NULL), STOR_STATUS_NOT_IMPLEMENTED);
    STOR_LOG_EVENT_DETAILS d;
    memset(&d, 0, sizeof d);
    d.InterfaceRevision = STOR_CURRENT_LOG_INTERFACE_REVISION;
    d.Size = sizeof d;
    d.ErrorCode = SP_INTERNAL_ADAPTER_ERROR;
    assert_int_equal(StorPortLogSystemEvent(g_ext, &d, NULL), STOR_STATUS_SUCCESS);
    StorPortLogError(g_ext, NULL, 0, 0, 0, SP_BUS_TIME_OUT, 1);
    mdlkit_storport_info info;
    mdlkit_storport_get_info(g_ext, &info);
    assert_int_equal(info.errors_logged, 2);
    assert_int_equal(info.last_error_code, SP_BUS_TIME_OUT);
    assert_true(StorPortSetDeviceQueueDepth(g_ext, 0, 0, 0, 32));
    assert_false(StorPortSetDeviceQueueDepth(g_ext, 0, 0, 0, 0));
    assert_true(StorPortBusy(g_ext, 3));
    mdlkit_storport_get_info(g_ext, &info);
    assert_int_equal(info.queue_depth, 32);
    /* Busy(3) with no request in the miniport: nothing to wait for, the
     * port takes requests at once (tests/test_storport_queue.c). */
    assert_int_equal(info.busy_requests, 0);
    assert_true(StorPortReady(g_ext));
    PHYSICAL_ADDRESS pa;
    ULONG len;
    pa = StorPortGetPhysicalAddress(g_ext, NULL, (PUCHAR)g_ext->uncached + 100, &len);
    assert_true(pa.QuadPart != 0);
    assert_ptr_equal(StorPortGetVirtualAddress(g_ext, pa), (PUCHAR)g_ext->uncached + 100);
    /* DMA memory (Windows 10 1803+): contiguous, with its bus address */
    PVOID dma = NULL;
    PHYSICAL_ADDRESS lo = {0}, hi, none = {0}, dpa;
    hi.QuadPart = 0xFFFFFFFFLL;
    assert_int_equal(StorPortAllocateDmaMemory(g_ext, 3 * PAGE_SIZE, lo, hi, none, MmCached, 0, &dma, &dpa),
                     STOR_STATUS_SUCCESS);
    assert_non_null(dma);
    assert_int_equal(dpa.QuadPart, MmGetPhysicalAddress(dma).QuadPart);
    assert_int_equal(MmGetPhysicalAddress((PUCHAR)dma + 2 * PAGE_SIZE).QuadPart, dpa.QuadPart + 2 * PAGE_SIZE);
    memset(dma, 0x3C, 16);
    UCHAR got[16];
    assert_int_equal(mdlkit_dma_read(g_dev.pci, (ULONG64)dpa.QuadPart, got, 16), 0); /* the device sees it */
    assert_int_equal(got[15], 0x3C);
    assert_int_equal(StorPortFreeDmaMemory(g_ext, dma, 3 * PAGE_SIZE, MmCached, dpa), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void test_srb_ex_requests(void **state)
{
    (void)state;
    g_srb_ex = 1;
    boot(0, 1);
    UCHAR *buf = malloc(3 * PAGE_SIZE);
    assert_int_equal(toy_io(buf + 100, 2 * PAGE_SIZE), STATUS_SUCCESS);
    assert_non_null(g_sg_kept); /* the miniport got an SG list for the SRB_EX */
    assert_int_equal(mdlkit_storport_reset(g_ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_remove_adapter(g_ext), STATUS_SUCCESS);
    free(buf);
}

/* ------------------------------------------------------------------------
 * Checks: each is 0xC4 (or the documented code) with its rule ID
 * ---------------------------------------------------------------------- */
static UCHAR g_buf[2 * 4096];
static void run_io(void *arg)
{
    (void)arg;
    toy_io(g_buf + 8, 4096);
}

static void expect_rule(enum toy_bug bug, ULONG verifier, ULONG code, ULONG_PTR p1, ULONG_PTR p3, ULONG_PTR p4)
{
    boot(verifier, 1);
    g_bug = bug;
    mk_expect_bugcheck(run_io, NULL, code, p1, MK_ANY, p3, p4);
}

static void test_check_register_outside_bar(void **state)
{
    (void)state;
    boot(0, 1);
    g_bug = BUG_REGISTER_OUTSIDE;
    mk_expect_bugcheck(run_io, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED,
                       MK_ANY, (ULONG_PTR)(g_ext->regs + 0x4000), 4);
}

static void test_check_lock_order(void **state)
{
    (void)state;
    expect_rule(BUG_LOCK_ORDER, 0, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_LOCK_ORDER, StartIoLock,
                InterruptLock);
}

static void test_check_lock_held_at_return(void **state)
{
    (void)state;
    expect_rule(BUG_LOCK_HELD_AT_RETURN, 0, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_LOCK_STATE,
                StartIoLock, 3);
}

static void test_check_release_not_held(void **state)
{
    (void)state;
    expect_rule(BUG_RELEASE_NOT_HELD, 0, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_LOCK_STATE,
                StartIoLock, 1);
}

static void test_check_dpc_not_initialised(void **state)
{
    (void)state;
    expect_rule(BUG_DPC_NOT_INITIALISED, 0, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_DPC, MK_ANY, 1);
}

static void test_check_completed_srb_touched(void **state)
{
    (void)state;
    expect_rule(BUG_COMPLETED_SRB_TOUCHED, 0, DRIVER_VERIFIER_DETECTED_VIOLATION,
                MDLKIT_RULE_STORPORT_COMPLETED_SRB_USED, MK_ANY, MK_ANY);
}

static void test_check_completed_twice(void **state)
{
    (void)state;
    expect_rule(BUG_COMPLETE_TWICE, 0, SCSI_VERIFIER_DETECTED_VIOLATION, 0x2004, MK_ANY, 0);
}

static void test_check_sg_after_completion(void **state)
{
    (void)state;
    /* Under Special Pool the list's page is gone once the SRB completes. */
    expect_rule(BUG_SG_AFTER_COMPLETION, MDLKIT_VERIFY_SPECIAL_POOL, DRIVER_PAGE_FAULT_IN_FREED_SPECIAL_POOL, MK_ANY,
                MK_ANY, MK_ANY);
}

static void test_bad_harness_arguments(void **state)
{
    (void)state;
    boot(0, 1);
    PVOID ext2 = NULL;
    /* one adapter per function */
    assert_int_equal(mdlkit_storport_start_device(g_drv, g_dev.pci, &ext2), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(mdlkit_storport_start_device(g_drv, NULL, &ext2), STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_pci_destroy(g_dev.pci), -1); /* still hosted */
    mdlkit_scsi_request r;
    memset(&r, 0, sizeof r);
    NTSTATUS st;
    assert_null(mdlkit_storport_send(g_ext, &r, &st)); /* no CDB */
    assert_int_equal(st, STATUS_INVALID_PARAMETER);
    r.cdb_length = 6;
    r.direction = MDLKIT_SCSI_DATA_IN; /* but no buffer */
    assert_null(mdlkit_storport_send(g_ext, &r, &st));
    assert_int_equal(st, STATUS_INVALID_PARAMETER);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_pci_destroy(g_dev.pci), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_resources_and_registers, teardown),
        cmocka_unit_test_teardown(test_msi_interrupt_and_dpc, teardown),
        cmocka_unit_test_teardown(test_line_interrupt, teardown),
        cmocka_unit_test_teardown(test_timers, teardown),
        cmocka_unit_test_teardown(test_registry, teardown),
        cmocka_unit_test_teardown(test_extended_functions, teardown),
        cmocka_unit_test_teardown(test_srb_ex_requests, teardown),
        cmocka_unit_test_teardown(test_check_register_outside_bar, teardown),
        cmocka_unit_test_teardown(test_check_lock_order, teardown),
        cmocka_unit_test_teardown(test_check_lock_held_at_return, teardown),
        cmocka_unit_test_teardown(test_check_release_not_held, teardown),
        cmocka_unit_test_teardown(test_check_dpc_not_initialised, teardown),
        cmocka_unit_test_teardown(test_check_completed_srb_touched, teardown),
        cmocka_unit_test_teardown(test_check_completed_twice, teardown),
        cmocka_unit_test_teardown(test_check_sg_after_completion, teardown),
        cmocka_unit_test_teardown(test_bad_harness_arguments, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
