/* StorPort hosting and the StorPort memory routines, exercised by a small
 * RAM-disk miniport written the way real ones are (DriverEntry ->
 * StorPortInitialize, HwFindAdapter, HwInitialize, HwStartIo, ...). */
#include "testutil.h"
#include <storport.h>
#include <ntddk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mk_base.h"
#include "mk_machine.h"
#include "mk_pool.h"

#define DISK_TAG 'ksDT'
#define DISK_BYTES (64 * 1024)
#define SCSIOP_READ 0x28
#define SCSIOP_WRITE 0x2A
#define SCSIOP_INQUIRY 0x12

typedef struct disk_ext {
    PUCHAR disk;
    PVOID uncached;
    KIRQL find_irql, init_irql;
    ULONG init_alloc_status;
    PVOID init_alloc_out;
    int stopped, freed;
} disk_ext;

/* Behaviour switches for misuse tests. */
static int g_leak_in_startio;      /* S3(b): allocate in HwStartIo and never free */
static int g_call_prohibited;      /* call a WDM DDI StorPort miniports must not use */
static int g_complete_twice;
static int g_prohibited_in_startio; /* 1 + index into prohibited_calls: call it from HwStartIo */
static ULONG g_sysaddr_status;
static PVOID g_sysaddr, g_origmdl;
static KIRQL g_startio_irql;

/* WDM routines the HwStorPortProhibitedDDIs rule forbids a StorPort
 * miniport, each called the way a careless miniport would. The rule is
 * checked before the arguments, so none of these gets as far as using them. */
static void call_ExAllocatePool(void) { (void)ExAllocatePool(NonPagedPoolNx, 64); }
static void call_ExAllocatePoolWithTag(void) { (void)ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'dibP'); }
static void call_ExAllocatePoolWithTagPriority(void)
{
    (void)ExAllocatePoolWithTagPriority(NonPagedPoolNx, 64, 'dibP', NormalPoolPriority);
}
static void call_MmProbeAndLockPages(void) { MmProbeAndLockPages(NULL, KernelMode, IoReadAccess); }
static void call_MmUnlockPages(void) { MmUnlockPages(NULL); }
static void call_MmMapLockedPages(void) { (void)MmMapLockedPages(NULL, KernelMode); }
static void call_MmMapLockedPagesSpecifyCache(void)
{
    (void)MmMapLockedPagesSpecifyCache(NULL, KernelMode, MmCached, NULL, FALSE, NormalPagePriority);
}
static void call_MmUnmapLockedPages(void) { MmUnmapLockedPages(NULL, NULL); }
static void call_MmAllocatePagesForMdl(void)
{
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0;
    hi.QuadPart = -1;
    skip.QuadPart = 0;
    (void)MmAllocatePagesForMdl(lo, hi, skip, PAGE_SIZE);
}
static void call_MmAllocatePagesForMdlEx(void)
{
    PHYSICAL_ADDRESS lo, hi, skip;
    lo.QuadPart = 0;
    hi.QuadPart = -1;
    skip.QuadPart = 0;
    (void)MmAllocatePagesForMdlEx(lo, hi, skip, PAGE_SIZE, MmCached, 0);
}
static void call_MmFreePagesFromMdl(void) { MmFreePagesFromMdl(NULL); }
static void call_MmFreeContiguousMemory(void) { MmFreeContiguousMemory(NULL); }
static void call_IoAllocateIrp(void) { (void)IoAllocateIrp(1, FALSE); }
static void call_IoFreeIrp(void) { IoFreeIrp(NULL); }
static const struct {
    const char *name;
    void (*call)(void);
} prohibited_calls[] = {
    {"ExAllocatePool", call_ExAllocatePool},
    {"ExAllocatePoolWithTag", call_ExAllocatePoolWithTag},
    {"ExAllocatePoolWithTagPriority", call_ExAllocatePoolWithTagPriority},
    {"MmProbeAndLockPages", call_MmProbeAndLockPages},
    {"MmUnlockPages", call_MmUnlockPages},
    {"MmMapLockedPages", call_MmMapLockedPages},
    {"MmMapLockedPagesSpecifyCache", call_MmMapLockedPagesSpecifyCache},
    {"MmUnmapLockedPages", call_MmUnmapLockedPages},
    {"MmAllocatePagesForMdl", call_MmAllocatePagesForMdl},
    {"MmAllocatePagesForMdlEx", call_MmAllocatePagesForMdlEx},
    {"MmFreePagesFromMdl", call_MmFreePagesFromMdl},
    {"MmFreeContiguousMemory", call_MmFreeContiguousMemory},
    {"IoAllocateIrp", call_IoAllocateIrp},
    {"IoFreeIrp", call_IoFreeIrp},
};

static ULONG DiskFindAdapter(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation, PCHAR ArgumentString,
                             PPORT_CONFIGURATION_INFORMATION ConfigInfo, PBOOLEAN Reserved3)
{
    disk_ext *x = DeviceExtension;
    x->find_irql = KeGetCurrentIrql();
    if (g_call_prohibited)
        IoDeleteDevice(NULL);
    ULONG st = StorPortAllocatePool(x, DISK_BYTES, DISK_TAG, (PVOID *)&x->disk);
    if (st == STOR_STATUS_NOT_IMPLEMENTED)
        x->disk = NULL; /* an old StorPort: run without the RAM disk */
    else if (st != STOR_STATUS_SUCCESS)
        return SP_RETURN_ERROR;
    else
        RtlZeroMemory(x->disk, DISK_BYTES);
    x->uncached = StorPortGetUncachedExtension(x, ConfigInfo, PAGE_SIZE);
    ConfigInfo->MaximumTransferLength = DISK_BYTES;
    ConfigInfo->NumberOfBuses = 1;
    ConfigInfo->ScatterGather = TRUE;
    ConfigInfo->Master = TRUE;
    ConfigInfo->Dma64BitAddresses = SCSI_DMA64_MINIPORT_SUPPORTED;
    return SP_RETURN_FOUND;
}

static BOOLEAN DiskInitialize(PVOID DeviceExtension)
{
    disk_ext *x = DeviceExtension;
    x->init_irql = KeGetCurrentIrql();
    x->init_alloc_out = (PVOID)1;
    if (!mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE)) /* else the StorPortIrql rule fires (tested below) */
        x->init_alloc_status = StorPortAllocatePool(x, 64, DISK_TAG, &x->init_alloc_out);
    return TRUE;
}

static BOOLEAN DiskStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb)
{
    disk_ext *x = DeviceExtension;
    g_startio_irql = KeGetCurrentIrql();
    Srb->SrbStatus = SRB_STATUS_INVALID_REQUEST;
    if (g_leak_in_startio) {
        PVOID p;
        StorPortAllocatePool(x, 1024, 'kaeL', &p);
    }
    if (g_prohibited_in_startio)
        prohibited_calls[g_prohibited_in_startio - 1].call();
    g_sysaddr = NULL;
    g_sysaddr_status = StorPortGetSystemAddress(x, Srb, &g_sysaddr);
    g_origmdl = NULL;
    StorPortGetOriginalMdl(x, Srb, &g_origmdl);
    if (Srb->Function == SRB_FUNCTION_EXECUTE_SCSI &&
        (Srb->Cdb[0] == SCSIOP_READ || Srb->Cdb[0] == SCSIOP_WRITE) && g_sysaddr_status == STOR_STATUS_SUCCESS) {
        ULONG lba = ((ULONG)Srb->Cdb[2] << 24) | ((ULONG)Srb->Cdb[3] << 16) | ((ULONG)Srb->Cdb[4] << 8) | Srb->Cdb[5];
        ULONG off = lba * 512;
        if (off + Srb->DataTransferLength <= DISK_BYTES) {
            if (Srb->Cdb[0] == SCSIOP_READ)
                RtlCopyMemory(g_sysaddr, x->disk + off, Srb->DataTransferLength);
            else
                RtlCopyMemory(x->disk + off, g_sysaddr, Srb->DataTransferLength);
            Srb->SrbStatus = SRB_STATUS_SUCCESS;
        }
    } else if (Srb->Cdb[0] == SCSIOP_INQUIRY) {
        Srb->SrbStatus = SRB_STATUS_SUCCESS;
    }
    StorPortNotification(RequestComplete, x, Srb);
    if (g_complete_twice)
        StorPortNotification(RequestComplete, x, Srb);
    StorPortNotification(NextRequest, x, NULL);
    return TRUE;
}

static BOOLEAN DiskResetBus(PVOID DeviceExtension, ULONG PathId) { return TRUE; }

static SCSI_ADAPTER_CONTROL_STATUS DiskAdapterControl(PVOID DeviceExtension, SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                      PVOID Parameters)
{
    disk_ext *x = DeviceExtension;
    if (ControlType == ScsiQuerySupportedControlTypes) {
        PSCSI_SUPPORTED_CONTROL_TYPE_LIST l = Parameters;
        for (ULONG i = 0; i < l->MaxControlType; i++)
            l->SupportedTypeList[i] = (i == ScsiQuerySupportedControlTypes || i == ScsiStopAdapter);
        return ScsiAdapterControlSuccess;
    }
    if (ControlType == ScsiStopAdapter) {
        x->stopped = 1;
        return ScsiAdapterControlSuccess;
    }
    return ScsiAdapterControlUnsuccessful;
}

static disk_ext *g_last_ext;
static void DiskFreeAdapterResources(PVOID DeviceExtension)
{
    disk_ext *x = DeviceExtension;
    x->freed = 1;
    g_last_ext = NULL;
    if (x->disk)
        StorPortFreePool(x, x->disk);
    x->disk = NULL;
}

static NTSTATUS DiskDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = DiskFindAdapter;
    hw.HwInitialize = DiskInitialize;
    hw.HwStartIo = DiskStartIo;
    hw.HwResetBus = DiskResetBus;
    hw.HwAdapterControl = DiskAdapterControl;
    hw.HwFreeAdapterResources = DiskFreeAdapterResources;
    hw.DeviceExtensionSize = sizeof(disk_ext);
    hw.SrbExtensionSize = 64;
    hw.NumberOfAccessRanges = 1;
    hw.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
    return (NTSTATUS)StorPortInitialize(DriverObject, RegistryPath, &hw, NULL);
}

/* ---- helpers ---- */
static PDRIVER_OBJECT g_drv;
static disk_ext *g_ext;

static void boot(ULONG os, ULONG verifier)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)64 << 20;
    if (os)
        c.os_version = os;
    c.verifier_flags = verifier;
    assert_int_equal(mdlkit_init(&c), 0);
    g_leak_in_startio = g_call_prohibited = g_complete_twice = g_prohibited_in_startio = 0;
    assert_int_equal(mdlkit_driver_load("toydisk", DiskDriverEntry, &g_drv), STATUS_SUCCESS);
}

static void boot_started(ULONG os, ULONG verifier)
{
    boot(os, verifier);
    assert_int_equal(mdlkit_storport_start_adapter(g_drv, (PVOID *)&g_ext), STATUS_SUCCESS);
    g_last_ext = g_ext;
}

static int teardown(void **state)
{
    (void)state;
    mdlkit_shutdown();
    return 0;
}

static void make_rw(SCSI_REQUEST_BLOCK *srb, UCHAR op, ULONG lba, PVOID buf, ULONG len)
{
    RtlZeroMemory(srb, sizeof *srb);
    srb->Length = sizeof *srb;
    srb->Function = SRB_FUNCTION_EXECUTE_SCSI;
    srb->CdbLength = 10;
    srb->Cdb[0] = op;
    srb->Cdb[2] = (UCHAR)(lba >> 24);
    srb->Cdb[3] = (UCHAR)(lba >> 16);
    srb->Cdb[4] = (UCHAR)(lba >> 8);
    srb->Cdb[5] = (UCHAR)lba;
    srb->DataBuffer = buf;
    srb->DataTransferLength = len;
    srb->SrbFlags = op == SCSIOP_READ ? SRB_FLAGS_DATA_IN : SRB_FLAGS_DATA_OUT;
}

/* ---- tests ---- */
static void test_lifecycle(void **state)
{
    (void)state;
    boot_started(0, 0);
    assert_int_equal(g_ext->find_irql, PASSIVE_LEVEL);
    assert_true(g_ext->init_irql > DISPATCH_LEVEL); /* HwInitialize runs at (simulated) DIRQL */
    assert_int_equal(g_ext->init_alloc_status, STOR_STATUS_INVALID_IRQL);
    assert_null(g_ext->init_alloc_out);
    /* the disk is tagged non-paged pool */
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(g_ext->disk, &b), 1);
    assert_int_equal(b.tag, DISK_TAG);
    assert_false(mk_heap_is_paged(b.heap));
    /* the device extension itself is non-paged */
    assert_int_equal(mk_pool_kind_of(g_ext), 0);
    /* the uncached extension: physical address maps back to the same bytes */
    assert_non_null(g_ext->uncached);
    ULONG len = 0;
    STOR_PHYSICAL_ADDRESS pa = StorPortGetPhysicalAddress(g_ext, NULL, (PUCHAR)g_ext->uncached + 100, &len);
    assert_int_equal(len, PAGE_SIZE - 100);
    assert_int_equal(pa.QuadPart, MmGetPhysicalAddress((PUCHAR)g_ext->uncached + 100).QuadPart);
    ((PUCHAR)g_ext->uncached)[100] = 0x5A;
    assert_int_equal(*(PUCHAR)mdlkit_phys_to_va(pa), 0x5A);
    disk_ext *x = g_ext;
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    (void)x; /* freed with the adapter */
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_io_nonpaged_and_user_buffers(void **state)
{
    (void)state;
    boot_started(0, 0);
    SCSI_REQUEST_BLOCK srb;
    /* non-paged buffer: the system address is the buffer itself */
    PUCHAR np = ExAllocatePoolWithTag(NonPagedPoolNx, 1024, 'fuBT');
    assert_non_null(np);
    memset(np, 0xAB, 1024);
    make_rw(&srb, SCSIOP_WRITE, 2, np, 1024);
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    assert_int_equal(srb.SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(g_startio_irql, DISPATCH_LEVEL);
    assert_int_equal(g_sysaddr_status, STOR_STATUS_SUCCESS);
    assert_ptr_equal(g_sysaddr, np);
    assert_non_null(g_origmdl);
    assert_int_equal(g_ext->disk[1024], 0xAB);
    /* user buffer: probed and locked, mapped to a second (system) address */
    PUCHAR ub = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(ub);
    make_rw(&srb, SCSIOP_READ, 2, ub + 10, 1024);
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    assert_int_equal(g_sysaddr_status, STOR_STATUS_SUCCESS);
    assert_ptr_not_equal(g_sysaddr, ub + 10);
    assert_int_equal(ub[10], 0xAB);
    assert_int_equal(ub[10 + 1023], 0xAB);
    /* a request with no data buffer: GetSystemAddress says INVALID_PARAMETER */
    RtlZeroMemory(&srb, sizeof srb);
    srb.Length = sizeof srb;
    srb.Function = SRB_FUNCTION_EXECUTE_SCSI;
    srb.Cdb[0] = SCSIOP_INQUIRY;
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    assert_int_equal(g_sysaddr_status, STOR_STATUS_INVALID_PARAMETER);
    assert_null(g_sysaddr);
    mdlkit_user_free(ub);
    ExFreePoolWithTag(np, 'fuBT');
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_allocate_pool_statuses(void **state)
{
    (void)state;
    boot_started(0, 0);
    PVOID p = (PVOID)1;
    assert_int_equal(StorPortAllocatePool(g_ext, 100, 'lPTT', NULL), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(StorPortAllocatePool(g_ext, 0xFFFFFFFFu, 'lPTT', &p), STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(p);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
    p = (PVOID)1;
    assert_int_equal(StorPortAllocatePool(g_ext, 100, 'lPTT', &p), STOR_STATUS_INVALID_IRQL);
    assert_null(p);
    assert_int_equal(StorPortFreePool(g_ext, (PVOID)16), STOR_STATUS_INVALID_IRQL);
    KeLowerIrql(old);
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(StorPortAllocatePool(g_ext, 100, 'lPTT', &p), STOR_STATUS_SUCCESS);
    KeLowerIrql(old);
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p, &b), 1);
    assert_int_equal(b.tag, 'lPTT');
    assert_false(mk_heap_is_paged(b.heap));
    assert_int_equal(StorPortFreePool(g_ext, NULL), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(StorPortFreePool(g_ext, p), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void check_nonpaged_mdl(PMDL mdl, PUCHAR buf, ULONG len)
{
    assert_ptr_equal(MmGetMdlVirtualAddress(mdl), buf);
    assert_int_equal(MmGetMdlByteCount(mdl), len);
    assert_int_equal(MmGetMdlByteOffset(mdl), BYTE_OFFSET(buf));
    assert_true(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    ULONG pages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(buf, len);
    for (ULONG i = 0; i < pages; i++) {
        PUCHAR page = (PUCHAR)PAGE_ALIGN(buf) + (SIZE_T)i * PAGE_SIZE;
        assert_int_equal(pfn[i], mk_va_to_pfn(page));
        assert_int_equal((ULONG64)pfn[i] << PAGE_SHIFT, (ULONG64)MmGetPhysicalAddress(page).QuadPart);
    }
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority), buf);
}

/* Regression (issue #18): a miniport describes a global buffer of its own
 * (a sense or inquiry data buffer in its image) with StorPortAllocateMdl.
 * Globals of a driver image are non-paged on Windows: accepted; the host
 * stack and malloc memory stay refused (MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY). */
static UCHAR g_miniport_sense_buffer[PAGE_SIZE + 512];
static void do_stor_mdl_on(void *arg)
{
    PVOID m = NULL;
    StorPortAllocateMdl(g_ext, arg, 256, &m);
}
static void test_storport_mdl_on_driver_global_buffer(void **state)
{
    (void)state;
    boot_started(0, MDLKIT_VERIFY_STANDARD);
    PMDL mdl = NULL;
    assert_int_equal(StorPortAllocateMdl(g_ext, g_miniport_sense_buffer + 64, PAGE_SIZE, (PVOID *)&mdl),
                     STOR_STATUS_SUCCESS);
    assert_non_null(mdl);
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute),
                     g_miniport_sense_buffer + 64);
    assert_int_equal(StorPortFreeMdl(g_ext, mdl), STOR_STATUS_SUCCESS);
    void *heap = malloc(256);
    assert_non_null(heap);
    mk_expect_bugcheck(do_stor_mdl_on, heap, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY, MK_ANY, heap, MK_ANY);
    free(heap);
    UCHAR stack_buffer[256];
    mk_expect_bugcheck(do_stor_mdl_on, stack_buffer, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_ALLOCATE_MDL_MEMORY, MK_ANY, stack_buffer, MK_ANY);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

static void test_allocate_mdl(void **state)
{
    (void)state;
    boot_started(0, 0);
    PUCHAR buf = NULL;
    assert_int_equal(StorPortAllocatePool(g_ext, 3 * PAGE_SIZE, 'fuBT', (PVOID *)&buf), STOR_STATUS_SUCCESS);
    PMDL mdl = (PMDL)1;
    assert_int_equal(StorPortAllocateMdl(g_ext, buf + 100, 2 * PAGE_SIZE, (PVOID *)&mdl), STOR_STATUS_SUCCESS);
    check_nonpaged_mdl(mdl, buf + 100, 2 * PAGE_SIZE);
    /* failures */
    PMDL m2 = (PMDL)1;
    assert_int_equal(StorPortAllocateMdl(g_ext, NULL, 100, (PVOID *)&m2), STOR_STATUS_INVALID_PARAMETER);
    assert_null(m2);
    assert_int_equal(StorPortAllocateMdl(g_ext, buf, 100, NULL), STOR_STATUS_INVALID_PARAMETER);
    m2 = (PMDL)1;
    assert_int_equal(StorPortAllocateMdl(g_ext, buf, 0xFFFFFFFFu, (PVOID *)&m2), STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(m2);
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
    m2 = (PMDL)1;
    assert_int_equal(StorPortAllocateMdl(g_ext, buf, 100, (PVOID *)&m2), STOR_STATUS_INVALID_IRQL);
    assert_null(m2);
    assert_int_equal(StorPortFreeMdl(g_ext, mdl), STOR_STATUS_INVALID_IRQL);
    assert_int_equal(StorPortBuildMdlForNonPagedPool(g_ext, mdl), STOR_STATUS_INVALID_IRQL);
    KeLowerIrql(old);
    assert_int_equal(StorPortFreeMdl(g_ext, NULL), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(StorPortFreeMdl(g_ext, mdl), STOR_STATUS_SUCCESS);
    /* StorPortBuildMdlForNonPagedPool on an IoAllocateMdl MDL */
    PMDL io = IoAllocateMdl(buf + 5, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(io);
    assert_int_equal(StorPortBuildMdlForNonPagedPool(g_ext, NULL), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(StorPortBuildMdlForNonPagedPool(g_ext, io), STOR_STATUS_SUCCESS);
    check_nonpaged_mdl(io, buf + 5, PAGE_SIZE);
    IoFreeMdl(io);
    assert_int_equal(StorPortFreePool(g_ext, buf), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_contiguous(void **state)
{
    (void)state;
    boot_started(0, 0);
    PHYSICAL_ADDRESS low, high, none;
    low.QuadPart = 0;
    high.QuadPart = 0xFFFFFFFFLL;
    none.QuadPart = 0;
    PUCHAR p = NULL;
    assert_int_equal(StorPortAllocateContiguousMemorySpecifyCacheNode(g_ext, 4 * PAGE_SIZE, low, high, none,
                                                                      MmCached, MM_ANY_NODE_OK, (PVOID *)&p),
                     STOR_STATUS_SUCCESS);
    assert_non_null(p);
    PFN_NUMBER first = mk_va_to_pfn(p);
    for (int i = 1; i < 4; i++)
        assert_int_equal(mk_va_to_pfn(p + i * PAGE_SIZE), first + i);
    PVOID q = (PVOID)1;
    high.QuadPart = (LONGLONG)1 << 40;
    assert_int_equal(StorPortAllocateContiguousMemorySpecifyCacheNode(g_ext, (SIZE_T)1 << 34, low, high, none,
                                                                      MmCached, MM_ANY_NODE_OK, &q),
                     STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(q);
    assert_int_equal(StorPortFreeContiguousMemorySpecifyCache(g_ext, p, 4 * PAGE_SIZE, MmCached), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_not_implemented_by_os(void **state)
{
    (void)state;
    /* Windows Server 2003 (before SP1): no extended functions at all */
    boot_started(NTDDI_WS03, 0);
    PVOID p = (PVOID)1;
    assert_int_equal(StorPortAllocatePool(g_ext, 100, 'lPTT', &p), STOR_STATUS_NOT_IMPLEMENTED);
    assert_null(p);
    PVOID m = (PVOID)1;
    assert_int_equal(StorPortAllocateMdl(g_ext, g_ext, 16, &m), STOR_STATUS_NOT_IMPLEMENTED);
    assert_null(m);
    assert_int_equal(StorPortFreePool(g_ext, (PVOID)16), STOR_STATUS_NOT_IMPLEMENTED);
    mdlkit_shutdown();
    /* SP1: the memory routines, but not GetSystemAddress (SP2) */
    boot_started(NTDDI_WS03SP1, 0);
    assert_int_equal(StorPortAllocatePool(g_ext, 100, 'lPTT', &p), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortFreePool(g_ext, p), STOR_STATUS_SUCCESS);
    SCSI_REQUEST_BLOCK srb;
    PVOID sa = (PVOID)1;
    assert_int_equal(StorPortGetSystemAddress(g_ext, &srb, &sa), STOR_STATUS_NOT_IMPLEMENTED);
    mdlkit_shutdown();
    /* Vista: no contiguous Node pair (Windows 7) */
    boot_started(NTDDI_VISTA, 0);
    PHYSICAL_ADDRESS z;
    z.QuadPart = 0;
    PHYSICAL_ADDRESS h;
    h.QuadPart = -1;
    p = (PVOID)1;
    assert_int_equal(StorPortAllocateContiguousMemorySpecifyCacheNode(g_ext, PAGE_SIZE, z, h, z, MmCached, 0, &p),
                     STOR_STATUS_NOT_IMPLEMENTED);
    assert_null(p);
    assert_int_equal(StorPortFreeContiguousMemorySpecifyCache(g_ext, g_ext, PAGE_SIZE, MmCached),
                     STOR_STATUS_NOT_IMPLEMENTED);
    /* codes mdlkit does not emulate */
    assert_int_equal(StorPortExtendedFunction(ExtFunctionGetActiveGroupCount, g_ext, NULL), STOR_STATUS_NOT_IMPLEMENTED);
    mdlkit_shutdown();
}

/* ---- misuse ---- */
static void do_double_free(void *arg)
{
    (void)arg;
    PVOID p;
    assert_int_equal(StorPortAllocatePool(g_ext, 32, 'lPTT', &p), STOR_STATUS_SUCCESS);
    StorPortFreePool(g_ext, p);
    *(PVOID *)arg = p;
    StorPortFreePool(g_ext, p);
}

static void test_free_pool_twice(void **state)
{
    (void)state;
    boot_started(0, 0);
    PVOID p = NULL;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_double_free, &p, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_STORPORT_ALLOCATE_POOL);
    assert_int_equal(bc.param[2], (ULONG_PTR)p);
    assert_int_equal(bc.param[3], (ULONG_PTR)g_ext);
    mdlkit_shutdown();
}

/* A free that bug-checks (here special pool finds its fill pattern
 * corrupted: 0xC1) and is caught leaves the block outstanding -- and still
 * StorPort's: the leak check at stop lists it. */
static void do_free_pool(void *arg) { StorPortFreePool(g_ext, arg); }
static void do_stop(void *arg) { mdlkit_storport_stop_adapter(arg); }

static void test_free_pool_bugcheck_keeps_record(void **state)
{
    (void)state;
    boot_started(0, MDLKIT_VERIFY_SPECIAL_POOL);
    PVOID p = NULL;
    assert_int_equal(StorPortAllocatePool(g_ext, 40, 'rroC', &p), STOR_STATUS_SUCCESS);
    volatile UCHAR *below = (volatile UCHAR *)p - 1;
    UCHAR fill = *below;
    *below = (UCHAR)(fill ^ 0xFF); /* an underrun: detected at free */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_pool, p, &bc), 1);
    assert_int_equal(bc.code, SPECIAL_POOL_DETECTED_MEMORY_CORRUPTION);
    *below = fill; /* repaired, so that reclaiming it at stop succeeds */
    mk_expect_bugcheck(do_stop, g_ext, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_ALLOCATE_POOL2, MK_ANY,
                       1, g_ext);
    mdlkit_shutdown();
}

static void do_unknown_ext(void *arg)
{
    PVOID p;
    StorPortAllocatePool(arg, 32, 'lPTT', &p);
}

static void do_free_mdl_twice(void *arg)
{
    PVOID m;
    StorPortAllocateMdl(g_ext, g_ext->disk, 64, &m);
    *(PVOID *)arg = m;
    StorPortFreeMdl(g_ext, m);
    StorPortFreeMdl(g_ext, m);
}

static void do_free_contig_wrong_size(void *arg)
{
    PHYSICAL_ADDRESS z, h;
    z.QuadPart = 0;
    h.QuadPart = 0xFFFFFFFFLL;
    PVOID p;
    StorPortAllocateContiguousMemorySpecifyCacheNode(g_ext, 2 * PAGE_SIZE, z, h, z, MmCached, MM_ANY_NODE_OK, &p);
    *(PVOID *)arg = p;
    StorPortFreeContiguousMemorySpecifyCache(g_ext, p, PAGE_SIZE, MmCached);
}

static void test_misuse_reports(void **state)
{
    (void)state;
    boot_started(0, 0);
    static char not_an_extension[64];
    mk_expect_bugcheck(do_unknown_ext, not_an_extension, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION, MK_ANY, not_an_extension, ExtFunctionAllocatePool);
    PVOID m = NULL;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_mdl_twice, &m, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_STORPORT_FREE_MDL);
    assert_int_equal(bc.param[2], (ULONG_PTR)m);
    assert_int_equal(bc.param[3], (ULONG_PTR)g_ext);
    PVOID c = NULL;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_contig_wrong_size, &c, &bc), 1);
    assert_int_equal(bc.param[0], MDLKIT_RULE_STORPORT_FREE_CONTIGUOUS);
    assert_int_equal(bc.param[2], (ULONG_PTR)c);
    assert_int_equal(bc.param[3], PAGE_SIZE);
    /* the block is still the caller's: the right free works */
    assert_int_equal(StorPortFreeContiguousMemorySpecifyCache(g_ext, c, 2 * PAGE_SIZE, MmCached), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void do_raised_alloc(void *arg)
{
    (void)arg;
    KIRQL old;
    PVOID p;
    KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
    StorPortAllocatePool(g_ext, 32, 'lPTT', &p);
}

static PVOID g_pool2_var;
static void do_overwrite(void *arg)
{
    (void)arg;
    StorPortAllocatePool(g_ext, 32, 'lPTT', &g_pool2_var);
    StorPortAllocatePool(g_ext, 32, 'lPTT', &g_pool2_var);
}

static void test_ddi_compliance_rules(void **state)
{
    (void)state;
    setenv("MDLKIT_LINT", "fatal", 1); /* StorPortAllocatePool2 (a) is a lint rule (docs/rules.md) */
    boot_started(0, MDLKIT_VERIFY_DDI_COMPLIANCE);
    unsetenv("MDLKIT_LINT");
    mk_expect_bugcheck(do_raised_alloc, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_IRQL, MK_ANY,
                       DISPATCH_LEVEL + 1, ExtFunctionAllocatePool);
    mdlkit_bugcheck bc;
    g_pool2_var = NULL;
    assert_int_equal(mdlkit_catch_bugcheck(do_overwrite, NULL, &bc), 1);
    assert_int_equal(bc.param[0], MDLKIT_RULE_STORPORT_ALLOCATE_POOL2);
    assert_int_equal(bc.param[2], (ULONG_PTR)g_pool2_var);
    assert_int_equal(bc.param[3], (ULONG_PTR)g_ext);
    assert_int_equal(StorPortFreePool(g_ext, g_pool2_var), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void do_start(void *arg)
{
    PVOID ext;
    mdlkit_storport_start_adapter(g_drv, &ext);
    (void)arg;
}

static void test_prohibited_ddi(void **state)
{
    (void)state;
    boot(0, MDLKIT_VERIFY_DDI_COMPLIANCE);
    g_call_prohibited = 1;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_start, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS);
    assert_string_equal((const char *)bc.param[2], "IoDeleteDevice");
    assert_int_equal(bc.param[3], (ULONG_PTR)g_drv);
    mdlkit_shutdown();
}

static void do_inquiry(void *arg)
{
    (void)arg;
    static SCSI_REQUEST_BLOCK srb;
    RtlZeroMemory(&srb, sizeof srb);
    srb.Length = sizeof srb;
    srb.Cdb[0] = SCSIOP_INQUIRY;
    mdlkit_storport_submit(g_ext, &srb);
}

/* Each WDM routine the rule lists, called from HwStartIo: 0xC4 with the
 * rule, the routine's name and the driver. */
static void test_prohibited_ddis_from_startio(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prohibited_calls / sizeof prohibited_calls[0]; i++) {
        boot_started(0, MDLKIT_VERIFY_DDI_COMPLIANCE);
        g_prohibited_in_startio = (int)i + 1;
        mdlkit_bugcheck bc;
        assert_int_equal(mdlkit_catch_bugcheck(do_inquiry, NULL, &bc), 1);
        assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(bc.param[0], MDLKIT_RULE_HW_STORPORT_PROHIBITED_DDIS);
        assert_non_null((const char *)bc.param[1]);
        assert_string_equal((const char *)bc.param[2], prohibited_calls[i].name);
        assert_int_equal(bc.param[3], (ULONG_PTR)g_drv);
        mdlkit_shutdown();
    }
}

/* The port driver's own use of the same routines on the miniport's behalf
 * (the IRP, probing and locking a user buffer, unlocking it) is not the
 * miniport's, and code outside any miniport is not checked either. */
static void test_prohibited_ddis_port_internal_ok(void **state)
{
    (void)state;
    boot_started(0, MDLKIT_VERIFY_DDI_COMPLIANCE);
    PUCHAR user = mdlkit_user_alloc(2 * PAGE_SIZE, PAGE_READWRITE);
    assert_non_null(user);
    for (ULONG i = 0; i < 2 * PAGE_SIZE; i++)
        user[i] = (UCHAR)(i * 7);
    SCSI_REQUEST_BLOCK srb;
    make_rw(&srb, SCSIOP_WRITE, 3, user + 100, 4096);
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    assert_int_equal(srb.SrbStatus, SRB_STATUS_SUCCESS);
    RtlZeroMemory(user, 2 * PAGE_SIZE);
    make_rw(&srb, SCSIOP_READ, 3, user + 100, 4096);
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    assert_int_equal(srb.SrbStatus, SRB_STATUS_SUCCESS);
    for (ULONG i = 0; i < 4096; i++)
        assert_int_equal(user[100 + i], (UCHAR)((i + 100) * 7));
    mdlkit_user_free(user);
    /* the harness itself (no driver code running) */
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tseT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'tseT');
    PIRP irp = IoAllocateIrp(1, FALSE);
    assert_non_null(irp);
    IoFreeIrp(irp);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
    mdlkit_shutdown();
}


/* The leak report names the miniport's line that called the
 * StorPortAllocatePool wrapper, not the MDLKIT_FORCEINLINE wrapper in storport.h. */
static void test_leak_report_names_the_miniport(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)64 << 20;
    c.quiet = 0;
    assert_int_equal(mdlkit_init(&c), 0);
    g_leak_in_startio = g_call_prohibited = g_complete_twice = g_prohibited_in_startio = 0;
    assert_int_equal(mdlkit_driver_load("toydisk", DiskDriverEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_adapter(g_drv, (PVOID *)&g_ext), STATUS_SUCCESS);
    g_leak_in_startio = 1;
    do_inquiry(NULL);

    char path[] = "/tmp/mdlkit_sp_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    mdlkit_bugcheck bc;
    int r = mdlkit_catch_bugcheck(do_stop, g_ext, &bc);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r, 1);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    unlink(path);
    const char *at = strstr(text, "allocated at ");
    if (!at)
        fail_msg("no leak note in the report:\n%s", text);
    at += strlen("allocated at ");
    if (strncmp(at, "DiskStartIo (", strlen("DiskStartIo (")) != 0 || strstr(text, "storport.h:") != NULL)
        fail_msg("the leak is not attributed to the miniport's line:\n%s", text);
    assert_non_null(strstr(at, "test_storport.c:"));
    free(text);
    mdlkit_shutdown();
}

/* One INQUIRY whose HwStartIo leaks a StorPortAllocatePool block, then the
 * adapter's stop: the leak rule, one leak. */
static void leak_one_request_then_stop(void)
{
    g_leak_in_startio = 1;
    SCSI_REQUEST_BLOCK srb;
    RtlZeroMemory(&srb, sizeof srb);
    srb.Length = sizeof srb;
    srb.Cdb[0] = SCSIOP_INQUIRY;
    assert_int_equal(mdlkit_storport_submit(g_ext, &srb), STATUS_SUCCESS);
    mk_expect_bugcheck(do_stop, g_ext, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_ALLOCATE_POOL2, MK_ANY,
                       1, g_ext);
}

static void test_leak_at_stop(void **state)
{
    (void)state;
    boot_started(0, 0);
    leak_one_request_then_stop();
    /* the adapter is gone and its memory reclaimed */
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_INVALID_PARAMETER);
    mdlkit_shutdown();
}

/* With Pool Tracking the leaks are also in the JSON report's "leaks", with
 * the miniport's allocating line, and the tracking records are gone (the
 * driver's unload finds nothing left). */
static void test_leak_at_stop_tracked(void **state)
{
    (void)state;
    boot_started(0, MDLKIT_VERIFY_POOL_TRACKING);
    leak_one_request_then_stop();
    const char *json = mk_test_report_json();
    const char *leaks = strstr(json, "\"leaks\": [");
    assert_non_null(leaks);
    const char *leak = strstr(leaks, "\"tag\": \"Leak\"");
    if (!leak)
        fail_msg("the StorPortAllocatePool leak is not in the JSON leaks:\n%s", leaks);
    assert_non_null(strstr(leaks, "\"size\": 1024"));
    const char *stack = strstr(leak, "\"stack\": [\"DiskStartIo (");
    if (!stack)
        fail_msg("the leak's stack does not start at the miniport's line:\n%s", leaks);
    /* nothing left to report when the driver unloads */
    mdlkit_driver_unload(g_drv);
    mdlkit_shutdown();
}

static void do_submit(void *arg)
{
    SCSI_REQUEST_BLOCK *srb = arg;
    mdlkit_storport_submit(g_ext, srb);
}

static void test_complete_twice(void **state)
{
    (void)state;
    boot_started(0, 0);
    g_complete_twice = 1;
    static SCSI_REQUEST_BLOCK srb;
    RtlZeroMemory(&srb, sizeof srb);
    srb.Length = sizeof srb;
    srb.Cdb[0] = SCSIOP_INQUIRY;
    mk_expect_bugcheck(do_submit, &srb, SCSI_VERIFIER_DETECTED_VIOLATION, 0x2004, &srb, g_ext, 0);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lifecycle, teardown),
        cmocka_unit_test_teardown(test_io_nonpaged_and_user_buffers, teardown),
        cmocka_unit_test_teardown(test_allocate_pool_statuses, teardown),
        cmocka_unit_test_teardown(test_allocate_mdl, teardown),
        cmocka_unit_test_teardown(test_storport_mdl_on_driver_global_buffer, teardown),
        cmocka_unit_test_teardown(test_contiguous, teardown),
        cmocka_unit_test_teardown(test_not_implemented_by_os, teardown),
        cmocka_unit_test_teardown(test_free_pool_twice, teardown),
        cmocka_unit_test_teardown(test_free_pool_bugcheck_keeps_record, teardown),
        cmocka_unit_test_teardown(test_misuse_reports, teardown),
        cmocka_unit_test_teardown(test_ddi_compliance_rules, teardown),
        cmocka_unit_test_teardown(test_prohibited_ddi, teardown),
        cmocka_unit_test(test_prohibited_ddis_from_startio),
        cmocka_unit_test(test_prohibited_ddis_port_internal_ok),
        cmocka_unit_test(test_leak_report_names_the_miniport),
        cmocka_unit_test_teardown(test_leak_at_stop, teardown),
        cmocka_unit_test_teardown(test_leak_at_stop_tracked, teardown),
        cmocka_unit_test_teardown(test_complete_twice, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
