/* NDIS hosting and the NDIS memory routines, exercised by a small NIC
 * miniport written the way real NDIS 6 miniports are (DriverEntry ->
 * NdisMRegisterMiniportDriver, MiniportInitializeEx, MiniportHaltEx, ...). */
#include "testutil.h"
#include <ndis.h>
#include <ntddk.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mk_base.h"
#include "mk_machine.h"
#include "mk_pool.h"
#include "mk_driver.h"
#include "mk_port.h"

#define NIC_TAG 'ciNT'
#define FRAME_TAG 'rFNT'
#define SHARED_BYTES (3 * PAGE_SIZE)

typedef struct frame {
    PVOID link; /* a free lookaside entry's first pointer is the list link, as on Windows */
    PMDL mdl;
    UCHAR data[1500];
} frame;

typedef struct nic {
    NDIS_HANDLE handle;
    NDIS_HANDLE dma;
    PUCHAR shared;
    NDIS_PHYSICAL_ADDRESS shared_pa;
    PMDL rx_mdl; /* over an interior sub-range of the shared memory (S5) */
    NPAGED_LOOKASIDE_LIST frames;
    KIRQL init_irql;
    NDIS_HANDLE interrupt;
} nic;

static NDIS_HANDLE g_driver_handle;
static nic *g_nic;
static int g_no_dma, g_leak_mdl, g_leak_shared, g_free_in_shutdown;
static int g_frame_allocs, g_frame_frees;

/* Interrupts: how the miniport registers (g_intr_mode) and what its ISR
 * answers; what the ISR and DPC saw. */
enum { INTR_NONE, INTR_OK, INTR_NO_DEREGISTER, INTR_BEFORE_ATTRIBUTES, INTR_BAD_HEADER, INTR_NO_DPC_HANDLER,
       INTR_TWICE, INTR_MSI };
static int g_intr_mode;
static NDIS_STATUS g_intr_status;
static NDIS_INTERRUPT_TYPE g_intr_type;
static BOOLEAN g_isr_claim, g_isr_queue;
static ULONG g_isr_targets, g_dpc_more;
static int g_isr_calls, g_dpc_calls;
static KIRQL g_isr_irql, g_dpc_irql;
static PVOID g_isr_ctx, g_dpc_ctx;
static const char *g_isr_driver, *g_dpc_driver;
static ULONG g_dpc_max_nbls;

static BOOLEAN NicIsr(NDIS_HANDLE MiniportInterruptContext, PBOOLEAN QueueDefaultInterruptDpc, PULONG TargetProcessors)
{
    g_isr_calls++;
    g_isr_irql = KeGetCurrentIrql();
    g_isr_ctx = MiniportInterruptContext;
    g_isr_driver = mk_driver_current_name();
    *QueueDefaultInterruptDpc = g_isr_queue;
    *TargetProcessors = g_isr_targets;
    return g_isr_claim;
}

static void NicDpc(NDIS_HANDLE MiniportInterruptContext, PVOID MiniportDpcContext, PVOID ReceiveThrottleParameters,
                   PVOID NdisReserved2)
{
    PNDIS_RECEIVE_THROTTLE_PARAMETERS t = ReceiveThrottleParameters;
    g_dpc_calls++;
    g_dpc_irql = KeGetCurrentIrql();
    g_dpc_ctx = MiniportInterruptContext;
    g_dpc_driver = mk_driver_current_name();
    g_dpc_max_nbls = t->MaxNblsToIndicate;
    if (g_dpc_more) {
        g_dpc_more--;
        t->MoreNblsPending = 1;
    }
}

static void NicDisableInterrupt(NDIS_HANDLE MiniportInterruptContext) {}
static void NicEnableInterrupt(NDIS_HANDLE MiniportInterruptContext) {}

static NDIS_STATUS NicRegisterInterrupt(nic *n)
{
    NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS ic;
    NdisZeroMemory(&ic, sizeof ic);
    ic.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT;
    ic.Header.Revision = NDIS_MINIPORT_INTERRUPT_REVISION_1;
    ic.Header.Size = g_intr_mode == INTR_BAD_HEADER ? 8 : NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1;
    ic.InterruptHandler = NicIsr;
    ic.InterruptDpcHandler = g_intr_mode == INTR_NO_DPC_HANDLER ? NULL : NicDpc;
    ic.DisableInterruptHandler = NicDisableInterrupt;
    ic.EnableInterruptHandler = NicEnableInterrupt;
    ic.MsiSupported = g_intr_mode == INTR_MSI;
    ic.InterruptType = (NDIS_INTERRUPT_TYPE)0;
    g_intr_status = NdisMRegisterInterruptEx(n->handle, n, &ic, &n->interrupt);
    g_intr_type = ic.InterruptType;
    if (g_intr_status == NDIS_STATUS_SUCCESS && g_intr_mode == INTR_TWICE) {
        NDIS_HANDLE second;
        NdisMRegisterInterruptEx(n->handle, n, &ic, &second);
    }
    return g_intr_status;
}

/* S4: lookaside callbacks that allocate the frame and its MDL together. */
static PVOID FrameAllocate(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
    frame *f = NdisAllocateMemoryWithTagPriority(g_driver_handle, (UINT)NumberOfBytes, Tag, NormalPoolPriority);
    if (!f)
        return NULL;
    NdisZeroMemory(f, NumberOfBytes);
    f->mdl = NdisAllocateMdl(g_driver_handle, f->data, sizeof f->data);
    if (!f->mdl) {
        NdisFreeMemory(f, 0, 0);
        return NULL;
    }
    g_frame_allocs++;
    return f;
}

static void FrameFree(PVOID Buffer)
{
    frame *f = Buffer;
    NdisFreeMdl(f->mdl);
    NdisFreeMemory(f, 0, 0); /* not ...WithTagPriority: must work too */
    g_frame_frees++;
}

static volatile LONG g_async_done;
static PVOID g_async_va, g_async_ctx;
static NDIS_PHYSICAL_ADDRESS g_async_pa;
static ULONG g_async_len;
static KIRQL g_async_irql;
static void NicAllocComplete(NDIS_HANDLE ctx, PVOID va, PNDIS_PHYSICAL_ADDRESS pa, ULONG len, PVOID context)
{
    (void)ctx;
    g_async_va = va;
    g_async_pa = *pa;
    g_async_len = len;
    g_async_ctx = context;
    g_async_irql = KeGetCurrentIrql();
    __atomic_store_n(&g_async_done, 1, __ATOMIC_RELEASE);
}

static PSCATTER_GATHER_LIST g_sgl;
static KIRQL g_sgl_irql;
static PVOID g_sgl_ctx;
static void NicProcessSg(PDEVICE_OBJECT pDO, PVOID Reserved, PSCATTER_GATHER_LIST pSGL, PVOID Context)
{
    (void)pDO, (void)Reserved;
    g_sgl = pSGL;
    g_sgl_irql = KeGetCurrentIrql();
    g_sgl_ctx = Context;
}

static NDIS_STATUS NicInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                                 PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    nic *n = NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, sizeof *n, NIC_TAG, NormalPoolPriority);
    if (!n)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(n, sizeof *n);
    n->handle = MiniportAdapterHandle;
    n->init_irql = KeGetCurrentIrql();
    g_nic = n;
    if (g_intr_mode == INTR_BEFORE_ATTRIBUTES)
        NicRegisterInterrupt(n);

    NDIS_MINIPORT_ADAPTER_ATTRIBUTES a;
    NdisZeroMemory(&a, sizeof a);
    a.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    a.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    a.RegistrationAttributes.MiniportAdapterContext = n;
    a.RegistrationAttributes.AttributeFlags =
        NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER;
    a.RegistrationAttributes.InterfaceType = NdisInterfacePci;
    if (NdisMSetMiniportAttributes(MiniportAdapterHandle, &a) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    NdisZeroMemory(&a, sizeof a);
    a.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    a.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    a.GeneralAttributes.Header.Size = sizeof a.GeneralAttributes;
    a.GeneralAttributes.MediaType = NdisMedium802_3;
    a.GeneralAttributes.MtuSize = 1500;
    if (NdisMSetMiniportAttributes(MiniportAdapterHandle, &a) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;

    if (!g_no_dma) {
        NDIS_SG_DMA_DESCRIPTION d;
        NdisZeroMemory(&d, sizeof d);
        d.Header.Type = NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION;
        d.Header.Revision = NDIS_SG_DMA_DESCRIPTION_REVISION_1;
        d.Header.Size = NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1;
        d.Flags = NDIS_SG_DMA_64_BIT_ADDRESS;
        d.MaximumPhysicalMapping = 0x10000;
        d.ProcessSGListHandler = NicProcessSg;
        d.SharedMemAllocateCompleteHandler = NicAllocComplete;
        if (NdisMRegisterScatterGatherDma(MiniportAdapterHandle, &d, &n->dma) != NDIS_STATUS_SUCCESS)
            return NDIS_STATUS_FAILURE;
    }
    NdisMAllocateSharedMemory(MiniportAdapterHandle, SHARED_BYTES, TRUE, (PVOID *)&n->shared, &n->shared_pa);
    if (!n->shared)
        return NDIS_STATUS_RESOURCES;
    n->rx_mdl = NdisAllocateMdl(MiniportAdapterHandle, n->shared + 256, PAGE_SIZE + 512);
    if (!n->rx_mdl)
        return NDIS_STATUS_RESOURCES;
    NdisInitializeNPagedLookasideList(&n->frames, FrameAllocate, FrameFree, 0, sizeof(frame), FRAME_TAG, 0);
    if (g_intr_mode != INTR_NONE && NicRegisterInterrupt(n) != NDIS_STATUS_SUCCESS) {
        /* undo, as MiniportInitializeEx must on failure */
        NdisDeleteNPagedLookasideList(&n->frames);
        NdisFreeMdl(n->rx_mdl);
        NdisMFreeSharedMemory(n->handle, SHARED_BYTES, TRUE, n->shared, n->shared_pa);
        if (n->dma)
            NdisMDeregisterScatterGatherDma(n->dma);
        NdisFreeMemoryWithTagPriority(n->handle, n, NIC_TAG);
        g_nic = NULL;
        return NDIS_STATUS_FAILURE;
    }
    return NDIS_STATUS_SUCCESS;
}

static void NicHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    nic *n = MiniportAdapterContext;
    if (n->interrupt && g_intr_mode != INTR_NO_DEREGISTER)
        NdisMDeregisterInterruptEx(n->interrupt);
    NdisDeleteNPagedLookasideList(&n->frames);
    if (!g_leak_mdl)
        NdisFreeMdl(n->rx_mdl);
    if (!g_leak_shared)
        NdisMFreeSharedMemory(n->handle, SHARED_BYTES, TRUE, n->shared, n->shared_pa);
    if (n->dma)
        NdisMDeregisterScatterGatherDma(n->dma);
    NdisFreeMemoryWithTagPriority(n->handle, n, NIC_TAG);
    g_nic = NULL;
}

static void NicShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    nic *n = MiniportAdapterContext;
    if (g_free_in_shutdown)
        NdisMFreeSharedMemory(n->handle, SHARED_BYTES, TRUE, n->shared, n->shared_pa);
}

static void NicUnload(PDRIVER_OBJECT DriverObject) { NdisMDeregisterMiniportDriver(g_driver_handle); }

static NTSTATUS NicDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 6;
    ch.MinorNdisVersion = 0;
    ch.InitializeHandlerEx = NicInitialize;
    ch.HaltHandlerEx = NicHalt;
    ch.ShutdownHandlerEx = NicShutdown;
    ch.UnloadHandler = NicUnload;
    DriverObject->DriverUnload = NicUnload;
    return (NTSTATUS)NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &ch, &g_driver_handle);
}

static PDRIVER_OBJECT g_drv;
static NDIS_HANDLE g_ad;

static void boot(ULONG verifier, int start)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)64 << 20;
    c.verifier_flags = verifier;
    c.processors = 4; /* TargetProcessors tests */
    assert_int_equal(mdlkit_init(&c), 0);
    g_no_dma = g_leak_mdl = g_leak_shared = g_free_in_shutdown = 0;
    g_isr_claim = g_isr_queue = FALSE;
    g_isr_targets = g_dpc_more = 0;
    g_isr_calls = g_dpc_calls = 0;
    g_isr_driver = g_dpc_driver = NULL;
    assert_int_equal(mdlkit_driver_load("toynic", NicDriverEntry, &g_drv), STATUS_SUCCESS);
    if (start)
        assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &g_ad), STATUS_SUCCESS);
}

static int teardown(void **state)
{
    (void)state;
    mdlkit_shutdown();
    return 0;
}

static void check_mdl(PMDL mdl, PUCHAR va, ULONG len)
{
    assert_ptr_equal(MmGetMdlVirtualAddress(mdl), va);
    assert_int_equal(MmGetMdlByteCount(mdl), len);
    assert_true(mdl->MdlFlags & MDL_SOURCE_IS_NONPAGED_POOL);
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    for (ULONG i = 0; i < ADDRESS_AND_SIZE_TO_SPAN_PAGES(va, len); i++) {
        PUCHAR page = (PUCHAR)PAGE_ALIGN(va) + (SIZE_T)i * PAGE_SIZE;
        assert_int_equal(pfn[i], mk_va_to_pfn(page));
        assert_int_equal((ULONG64)pfn[i] << PAGE_SHIFT, (ULONG64)MmGetPhysicalAddress(page).QuadPart);
    }
    assert_ptr_equal(MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute), va);
}

static void test_lifecycle_shared_memory_and_mdls(void **state)
{
    (void)state;
    boot(0, 1);
    nic *n = g_nic;
    assert_non_null(n);
    assert_int_equal(n->init_irql, PASSIVE_LEVEL);
    /* shared memory: physically contiguous, and its physical address is the
     * same bytes */
    assert_int_equal(n->shared_pa.QuadPart, MmGetPhysicalAddress(n->shared).QuadPart);
    for (int i = 1; i < 3; i++)
        assert_int_equal(mk_va_to_pfn(n->shared + i * PAGE_SIZE), mk_va_to_pfn(n->shared) + i);
    n->shared[PAGE_SIZE + 7] = 0xC3;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = n->shared_pa.QuadPart + PAGE_SIZE + 7;
    assert_int_equal(*(PUCHAR)mdlkit_phys_to_va(pa), 0xC3);
    /* NdisAllocateMdl over an interior sub-range: allocated and built */
    check_mdl(n->rx_mdl, n->shared + 256, PAGE_SIZE + 512);
    /* over NdisAllocateMemoryWithTagPriority and ExAllocatePool memory */
    PUCHAR m = NdisAllocateMemoryWithTagPriority(g_ad, 3000, NIC_TAG, NormalPoolPriority);
    assert_non_null(m);
    assert_int_equal(mk_pool_kind_of(m), 0);
    PMDL mdl = NdisAllocateMdl(g_ad, m + 8, 2000);
    assert_non_null(mdl);
    check_mdl(mdl, m + 8, 2000);
    NdisFreeMdl(mdl);
    PUCHAR p = ExAllocatePoolWithTag(NonPagedPoolNx, 2 * PAGE_SIZE, 'pxET');
    mdl = NdisAllocateMdl(g_driver_handle, p + 1, PAGE_SIZE);
    check_mdl(mdl, p + 1, PAGE_SIZE);
    NdisFreeMdl(mdl);
    ExFreePoolWithTag(p, 'pxET');
    NdisFreeMemoryWithTagPriority(g_ad, m, NIC_TAG);
    /* resources exhausted */
    assert_null(NdisAllocateMemoryWithTagPriority(g_ad, 0xFFFFFFFFu, NIC_TAG, NormalPoolPriority));
    assert_int_equal(mdlkit_ndis_shutdown_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_null(g_nic);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_lookaside_frames(void **state)
{
    (void)state;
    boot(0, 1);
    g_frame_allocs = g_frame_frees = 0;
    frame *a = NdisAllocateFromNPagedLookasideList(&g_nic->frames);
    frame *b = NdisAllocateFromNPagedLookasideList(&g_nic->frames);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(g_frame_allocs, 2);
    check_mdl(a->mdl, a->data, sizeof a->data);
    NdisFreeToNPagedLookasideList(&g_nic->frames, a);
    frame *c = NdisAllocateFromNPagedLookasideList(&g_nic->frames);
    assert_ptr_equal(c, a); /* a hit: the callback did not run, the MDL is still there */
    assert_int_equal(g_frame_allocs, 2);
    check_mdl(c->mdl, c->data, sizeof c->data);
    NdisFreeToNPagedLookasideList(&g_nic->frames, c);
    NdisFreeToNPagedLookasideList(&g_nic->frames, b);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_frame_frees, 2); /* the delete freed the cached frames and their MDLs */
    mdlkit_shutdown();
}

static void do_halt(void *arg) { mdlkit_ndis_halt_adapter(arg); }

static void test_halt_detects_leaks(void **state)
{
    (void)state;
    boot(0, 1);
    g_leak_mdl = 1;
    mk_expect_bugcheck(do_halt, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL, MK_ANY, 1, g_ad);
    mdlkit_shutdown();
    boot(0, 1);
    g_leak_shared = 1;
    mk_expect_bugcheck(do_halt, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_SHARED_MEMORY_LEAK, MK_ANY, 1,
                       g_ad);
    mdlkit_shutdown();
}

/* With Pool Tracking a leaked NdisAllocateMdl MDL is also in the JSON
 * report's "leaks", with the miniport's allocating line, and its record is
 * gone (the driver's unload finds nothing left). */
static void test_halt_leak_tracked(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_POOL_TRACKING, 1);
    g_leak_mdl = 1;
    mk_expect_bugcheck(do_halt, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL, MK_ANY, 1, g_ad);
    const char *json = mk_test_report_json();
    const char *leaks = strstr(json, "\"leaks\": [");
    assert_non_null(leaks);
    const char *leak = strstr(leaks, "\"kind\": \"mdl\"");
    if (!leak)
        fail_msg("the NdisAllocateMdl leak is not in the JSON leaks:\n%s", leaks);
    if (!strstr(leak, "\"stack\": [\"NicInitialize ("))
        fail_msg("the leak's stack does not start at the miniport's line:\n%s", leaks);
    mdlkit_driver_unload(g_drv); /* nothing left to report */
    mdlkit_shutdown();
}

/* A shared-memory free that bug-checks (pages still locked through an MDL:
 * 0x4E/0x9A) and is caught leaves the block the adapter's: once unlocked,
 * MiniportHaltEx frees it normally (no "not shared memory" report, no leak). */
static void do_free_shared(void *arg)
{
    (void)arg;
    NdisMFreeSharedMemory(g_ad, SHARED_BYTES, TRUE, g_nic->shared, g_nic->shared_pa);
}

static void test_shared_free_bugcheck_keeps_record(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_POOL_TRACKING, 1);
    PMDL m = IoAllocateMdl(g_nic->shared, PAGE_SIZE, FALSE, FALSE, NULL);
    assert_non_null(m);
    MmProbeAndLockPages(m, KernelMode, IoWriteAccess);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_shared, NULL, &bc), 1);
    assert_int_equal(bc.code, PFN_LIST_CORRUPT);
    assert_int_equal(bc.param[0], 0x9A);
    MmUnlockPages(m);
    IoFreeMdl(m);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS); /* frees it: nothing reported */
    mdlkit_driver_unload(g_drv); /* and Pool Tracking has nothing left either */
    mdlkit_shutdown();
}

static void do_free_wrong_length(void *arg)
{
    (void)arg;
    NdisMFreeSharedMemory(g_ad, PAGE_SIZE, TRUE, g_nic->shared, g_nic->shared_pa);
}
static void do_free_unknown(void *arg) { NdisMFreeSharedMemory(g_ad, PAGE_SIZE, TRUE, arg, g_nic->shared_pa); }
static void do_alloc_at_dispatch(void *arg)
{
    KIRQL old;
    PVOID va;
    NDIS_PHYSICAL_ADDRESS pa;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisMAllocateSharedMemory(arg, 100, TRUE, &va, &pa);
}
static void do_alloc_after_init(void *arg)
{
    PVOID va;
    NDIS_PHYSICAL_ADDRESS pa;
    NdisMAllocateSharedMemory(arg, 100, TRUE, &va, &pa);
}
static void do_shutdown(void *arg) { mdlkit_ndis_shutdown_adapter(arg); }
static void do_start(void *arg)
{
    (void)arg;
    NDIS_HANDLE h;
    mdlkit_ndis_start_adapter(g_drv, &h);
}

static void test_shared_memory_misuse(void **state)
{
    (void)state;
    boot(0, 1);
    mk_expect_bugcheck(do_free_wrong_length, NULL, BUGCODE_NDIS_DRIVER, 0x03, g_ad, PAGE_ALIGN(g_nic->shared),
                       g_nic->shared);
    static UCHAR not_shared[64];
    mk_expect_bugcheck(do_free_unknown, not_shared, BUGCODE_NDIS_DRIVER, 0x03, g_ad, PAGE_ALIGN(not_shared), not_shared);
    mk_expect_bugcheck(do_alloc_at_dispatch, g_ad, BUGCODE_NDIS_DRIVER, 0x01, g_ad, 100, DISPATCH_LEVEL);
    mk_expect_bugcheck(do_alloc_after_init, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT, MK_ANY, g_ad, 1);
    g_free_in_shutdown = 1;
    mk_expect_bugcheck(do_shutdown, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_MFREE_SHARED_MEMORY,
                       MK_ANY, g_nic->shared, g_ad);
    mdlkit_shutdown();
    /* shared memory before scatter-gather DMA registration */
    boot(0, 0);
    g_no_dma = 1;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_start, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_SHARED_MEMORY_CONTEXT);
    assert_int_equal(bc.param[3], 2);
    mdlkit_shutdown();
}

static void do_mdl_on(void *arg) { NdisAllocateMdl(g_ad, arg, 64); }
static void do_free_null_mdl(void *arg)
{
    (void)arg;
    NdisFreeMdl(NULL);
}
static void do_free_mdl_twice(void *arg)
{
    PMDL m = NdisAllocateMdl(g_ad, g_nic->shared, 64);
    *(PMDL *)arg = m;
    NdisFreeMdl(m);
    NdisFreeMdl(m);
}
static void do_mdl_raised(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL + 1, &old);
    NdisAllocateMdl(g_ad, arg, 64);
}
static void do_mdl_bad_handle(void *arg) { NdisAllocateMdl(arg, g_nic->shared, 64); }
static UCHAR g_global_buffer[256];

static void test_allocate_mdl_misuse(void **state)
{
    (void)state;
    boot(0, 1);
    UCHAR stack_buffer[256];
    PVOID paged = ExAllocatePoolWithTag(PagedPool, 256, 'gaPT');
    PVOID user = mdlkit_user_alloc(PAGE_SIZE, PAGE_READWRITE);
    PVOID bad[] = {stack_buffer, paged, user}; /* a driver global is accepted: test_ndis_mdl_on_driver_global_buffer */
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        mk_expect_bugcheck(do_mdl_on, bad[i], DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY,
                           MK_ANY, bad[i], MK_ANY);
    mk_expect_bugcheck(do_free_null_mdl, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                       MK_ANY, 0, 0);
    PMDL m = NULL;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_mdl_twice, &m, &bc), 1);
    assert_int_equal(bc.param[0], MDLKIT_RULE_NDIS_ALLOCATE_MDL);
    assert_int_equal(bc.param[2], (ULONG_PTR)m);
    mk_expect_bugcheck(do_mdl_raised, g_nic->shared, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION, MK_ANY, DISPATCH_LEVEL + 1, g_ad);
    static char not_a_handle[16];
    mk_expect_bugcheck(do_mdl_bad_handle, not_a_handle, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, MK_ANY, not_a_handle, 0);
    ExFreePoolWithTag(paged, 'gaPT');
    mdlkit_user_free(user);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* Regression (issue #18): a miniport describes a receive or header buffer
 * that is one of its globals with NdisAllocateMdl. A driver image's globals
 * are non-paged on Windows, so this is correct and stays clean; the host
 * stack and malloc memory (no Windows counterpart a driver could hand over)
 * are still refused. */
static UCHAR g_driver_header_buffer[2 * PAGE_SIZE];
static void test_ndis_mdl_on_driver_global_buffer(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_STANDARD, 1);
    PMDL m = NdisAllocateMdl(g_ad, g_driver_header_buffer + 100, PAGE_SIZE);
    assert_non_null(m);
    assert_int_equal(MmGetMdlByteCount(m), PAGE_SIZE);
    PUCHAR va = MmGetSystemAddressForMdlSafe(m, NormalPagePriority | MdlMappingNoExecute);
    assert_ptr_equal(va, g_driver_header_buffer + 100);
    g_driver_header_buffer[100] = 0x5C;
    assert_int_equal(va[0], 0x5C);
    NdisFreeMdl(m);
    m = NdisAllocateMdl(g_ad, g_global_buffer, sizeof g_global_buffer);
    assert_non_null(m);
    NdisFreeMdl(m);
    void *heap = malloc(256);
    assert_non_null(heap);
    mk_expect_bugcheck(do_mdl_on, heap, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL_MEMORY,
                       MK_ANY, heap, MK_ANY);
    free(heap);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void do_free_generic(void *arg) { NdisFreeGenericObject(arg); }

static void test_generic_object(void **state)
{
    (void)state;
    boot(0, 0);
    PNDIS_GENERIC_OBJECT o = NdisAllocateGenericObject(g_drv, 'neGT', 32);
    assert_non_null(o);
    assert_ptr_equal(o->DriverObject, g_drv);
    PUCHAR buf = ExAllocatePoolWithTag(NonPagedPoolNx, 512, 'fuBT');
    PMDL m = NdisAllocateMdl(o, buf, 512);
    assert_non_null(m);
    check_mdl(m, buf, 512);
    NdisFreeMdl(m);
    NdisFreeGenericObject(o);
    o = NdisAllocateGenericObject(g_drv, 'neGT', 0);
    m = NdisAllocateMdl(o, buf, 100);
    assert_non_null(m);
    mk_expect_bugcheck(do_free_generic, o, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL, MK_ANY, 1,
                       o);
    ExFreePoolWithTag(buf, 'fuBT');
    mdlkit_shutdown();
}

static void do_free_wrong_tag(void *arg) { NdisFreeMemoryWithTagPriority(g_driver_handle, arg, 'gnrW'); }

static void test_memory_routines(void **state)
{
    (void)state;
    boot(0, 0);
    PVOID p = NdisAllocateMemoryWithTagPriority(g_driver_handle, 100, 'meMT', LowPoolPriority);
    assert_non_null(p);
    mk_pool_block b;
    assert_int_equal(mk_pool_lookup(p, &b), 1);
    assert_int_equal(b.tag, 'meMT');
    assert_false(mk_heap_is_paged(b.heap));
    NdisFreeMemory(p, 100, 0);
    assert_int_equal(mk_pool_lookup(p, NULL), 0);
    p = NdisAllocateMemoryWithTagPriority(g_driver_handle, 100, 'meMT', NormalPoolPriority);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(do_free_wrong_tag, p, &bc), 1);
    assert_int_equal(bc.code, BAD_POOL_CALLER);
    assert_int_equal(bc.param[0], 0x0A);
    NdisFreeMemoryWithTagPriority(g_driver_handle, p, 'meMT');
    mdlkit_shutdown();
}

static NTSTATUS BadEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NDIS_HANDLE h;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Revision = 1;
    ch.MajorNdisVersion = 6;
    ch.InitializeHandlerEx = NicInitialize;
    ch.HaltHandlerEx = NicHalt;
    ch.ShutdownHandlerEx = NicShutdown;
    assert_int_equal(NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &ch, &h),
                     NDIS_STATUS_BAD_CHARACTERISTICS);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.MajorNdisVersion = 5;
    assert_int_equal(NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &ch, &h), NDIS_STATUS_BAD_VERSION);
    return STATUS_UNSUCCESSFUL;
}

static void test_registration_errors(void **state)
{
    (void)state;
    boot(0, 0);
    PDRIVER_OBJECT d = (PDRIVER_OBJECT)1;
    assert_int_equal(mdlkit_driver_load("badnic", BadEntry, &d), STATUS_UNSUCCESSFUL);
    assert_null(d);
    mdlkit_shutdown();
}

/* ---- interrupts ---- */
static void test_interrupt_isr_and_dpc(void **state)
{
    (void)state;
    g_intr_mode = INTR_OK;
    boot(0, 1);
    assert_int_equal(g_intr_status, NDIS_STATUS_SUCCESS);
    assert_non_null(g_nic->interrupt);
    assert_int_equal(g_intr_type, NDIS_CONNECT_LINE_BASED);

    /* not ours (a shared line): no DPC, whatever the outputs say */
    g_isr_claim = FALSE;
    g_isr_queue = TRUE;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_UNSUCCESSFUL);
    assert_int_equal(g_isr_calls, 1);
    assert_int_equal(g_dpc_calls, 0);
    assert_true(g_isr_irql > DISPATCH_LEVEL); /* the device IRQL */
    assert_ptr_equal(g_isr_ctx, g_nic);       /* MiniportInterruptContext */
    assert_string_equal(g_isr_driver, "toynic");

    /* ours, no DPC wanted */
    g_isr_claim = TRUE;
    g_isr_queue = FALSE;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 0);

    /* ours, default DPC: once at DISPATCH_LEVEL, as the miniport */
    g_isr_queue = TRUE;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 1);
    assert_int_equal(g_dpc_irql, DISPATCH_LEVEL);
    assert_ptr_equal(g_dpc_ctx, g_nic);
    assert_string_equal(g_dpc_driver, "toynic");
    assert_int_equal(g_dpc_max_nbls, NDIS_INDICATE_ALL_NBLS);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);

    /* TargetProcessors: one DPC per existing processor asked for; the
     * current processor once even if asked for twice; bits of processors
     * that do not exist are ignored */
    g_dpc_calls = 0;
    g_isr_queue = FALSE;
    g_isr_targets = 0x3;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 2);
    g_dpc_calls = 0;
    g_isr_queue = TRUE;
    g_isr_targets = 0x1u | 0x80000000u;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 1);

    /* MoreNblsPending: the DPC runs again until it is clear */
    g_dpc_calls = 0;
    g_isr_targets = 0;
    g_dpc_more = 3;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 4);

    /* a DPC may be raised from DISPATCH_LEVEL too */
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(KeGetCurrentIrql(), DISPATCH_LEVEL);
    KeLowerIrql(old);

    /* the harness outside the code of any driver again */
    assert_string_equal(mk_driver_current_name(), "(system)");
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_INVALID_PARAMETER); /* halted: gone */
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    g_intr_mode = INTR_NONE;
    mdlkit_shutdown();
}

/* NdisMSynchronizeWithInterruptEx: the function runs at the device IRQL,
 * as the miniport, and returns its value; a bad handle is reported. */
static KIRQL g_sync_irql;
static const char *g_sync_driver;
static MINIPORT_SYNCHRONIZE_INTERRUPT nic_sync;
static BOOLEAN nic_sync(NDIS_HANDLE ctx)
{
    g_sync_irql = KeGetCurrentIrql();
    g_sync_driver = mk_driver_current_name();
    return ctx == (NDIS_HANDLE)g_nic;
}

static void sync_bad_fn(void *arg)
{
    (void)arg;
    NdisMSynchronizeWithInterruptEx((NDIS_HANDLE)(ULONG_PTR)0x5678, 0, nic_sync, NULL);
}

static void test_interrupt_synchronize(void **state)
{
    (void)state;
    g_intr_mode = INTR_OK;
    boot(0, 1);
    assert_true(NdisMSynchronizeWithInterruptEx(g_nic->interrupt, 0, nic_sync, g_nic));
    assert_true(g_sync_irql > DISPATCH_LEVEL);
    assert_string_equal(g_sync_driver, "toynic");
    assert_false(NdisMSynchronizeWithInterruptEx(g_nic->interrupt, 0, nic_sync, NULL));
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    mk_expect_bugcheck(sync_bad_fn, NULL, 0xC4, MDLKIT_RULE_NDIS_UNKNOWN_HANDLE, MK_ANY, 0x5678, MK_NDIS_INTERRUPT);
    mdlkit_shutdown();
}

/* NdisMAllocateNetBufferSGList: the list of an NB's data over three MDLs
 * (whole pages merge into runs), given to MiniportProcessSGList at
 * DISPATCH_LEVEL, from the caller's buffer or NDIS's own. */
static void test_sg_list(void **state)
{
    (void)state;
    boot(0, 1);
    NDIS_HANDLE h = g_nic->handle;
    PUCHAR buf = NdisAllocateMemoryWithTagPriority(h, 3 * PAGE_SIZE, 'tgSN', NormalPoolPriority);
    PMDL m1 = NdisAllocateMdl(h, buf, 100), m2 = NdisAllocateMdl(h, buf + 100, 2 * PAGE_SIZE),
         m3 = NdisAllocateMdl(h, buf + 100 + 2 * PAGE_SIZE, 50);
    m1->Next = m2;
    m2->Next = m3;
    NET_BUFFER_POOL_PARAMETERS np;
    NdisZeroMemory(&np, sizeof np);
    np.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    np.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    np.PoolTag = 'tgSN';
    NDIS_HANDLE pool = NdisAllocateNetBufferPool(h, &np);
    PNET_BUFFER nb = NdisAllocateNetBuffer(pool, m1, 10, 90 + 2 * PAGE_SIZE + 50);
    /* NDIS's own list */
    assert_int_equal(NdisMAllocateNetBufferSGList(g_nic->dma, nb, (PVOID)0x1234, 0, NULL, 0), NDIS_STATUS_SUCCESS);
    assert_non_null(g_sgl);
    assert_int_equal(g_sgl_irql, DISPATCH_LEVEL);
    assert_ptr_equal(g_sgl_ctx, (PVOID)0x1234);
    ULONG total = 0;
    for (ULONG i = 0; i < g_sgl->NumberOfElements; i++) {
        total += g_sgl->Elements[i].Length;
        assert_true(g_sgl->Elements[i].Address.QuadPart != 0);
    }
    assert_int_equal(total, 90 + 2 * PAGE_SIZE + 50);
    PHYSICAL_ADDRESS pa = MmGetPhysicalAddress(buf + 10);
    assert_true(g_sgl->Elements[0].Address.QuadPart == pa.QuadPart);
    NdisMFreeNetBufferSGList(g_nic->dma, g_sgl, nb);
    /* the caller's buffer */
    ULONG_PTR space[64];
    assert_int_equal(NdisMAllocateNetBufferSGList(g_nic->dma, nb, NULL, 0, space, sizeof space), NDIS_STATUS_SUCCESS);
    assert_ptr_equal(g_sgl, (PSCATTER_GATHER_LIST)space);
    NdisMFreeNetBufferSGList(g_nic->dma, g_sgl, nb);
    NdisFreeNetBuffer(nb);
    NdisFreeNetBufferPool(pool);
    NdisFreeMdl(m1);
    NdisFreeMdl(m2);
    NdisFreeMdl(m3);
    NdisFreeMemoryWithTagPriority(h, buf, 'tgSN');
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* NdisMAllocateSharedMemoryAsyncEx: pending, then the block at
 * MiniportSharedMemoryAllocateComplete (DISPATCH_LEVEL, from a DPC), freed
 * with NdisMFreeSharedMemory outside MiniportInitializeEx. */
static void test_shared_memory_async(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_POOL_TRACKING, 1);
    __atomic_store_n(&g_async_done, 0, __ATOMIC_RELEASE);
    assert_int_equal(NdisMAllocateSharedMemoryAsyncEx(g_nic->dma, 3 * PAGE_SIZE, TRUE, (PVOID)0x77), NDIS_STATUS_PENDING);
    for (int i = 0; i < 20000 && !__atomic_load_n(&g_async_done, __ATOMIC_ACQUIRE); i++)
        NdisMSleep(1000);
    assert_true(__atomic_load_n(&g_async_done, __ATOMIC_ACQUIRE));
    assert_non_null(g_async_va);
    assert_int_equal(g_async_len, 3 * PAGE_SIZE);
    assert_ptr_equal(g_async_ctx, (PVOID)0x77);
    assert_int_equal(g_async_irql, DISPATCH_LEVEL);
    assert_true(g_async_pa.QuadPart == MmGetPhysicalAddress(g_async_va).QuadPart);
    memset(g_async_va, 0xA5, 3 * PAGE_SIZE);
    NdisMFreeSharedMemory(g_nic->handle, 3 * PAGE_SIZE, TRUE, g_async_va, g_async_pa);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    mdlkit_shutdown();
}

static void test_interrupt_registration(void **state)
{
    (void)state;
    /* no interrupt registered */
    g_intr_mode = INTR_NONE;
    boot(0, 1);
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(mdlkit_ndis_interrupt(NULL), STATUS_INVALID_PARAMETER);
    mdlkit_shutdown();
    /* an MSI-capable miniport is connected line-based */
    g_intr_mode = INTR_MSI;
    boot(0, 1);
    assert_int_equal(g_intr_type, NDIS_CONNECT_LINE_BASED);
    g_isr_claim = g_isr_queue = TRUE;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_SUCCESS);
    assert_int_equal(g_dpc_calls, 1);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    mdlkit_shutdown();
    /* a bad header or a missing handler: NDIS_STATUS_INVALID_PARAMETER, and
     * MiniportInitializeEx fails cleanly */
    int bad[] = {INTR_BAD_HEADER, INTR_NO_DPC_HANDLER};
    for (int i = 0; i < 2; i++) {
        g_intr_mode = bad[i];
        boot(0, 0);
        NDIS_HANDLE h = (NDIS_HANDLE)1;
        assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &h), NDIS_STATUS_FAILURE);
        assert_null(h);
        assert_int_equal(g_intr_status, NDIS_STATUS_INVALID_PARAMETER);
        mdlkit_shutdown();
    }
    g_intr_mode = INTR_NONE;
}

static void do_deregister(void *arg) { NdisMDeregisterInterruptEx(arg); }
static void do_register_after_init(void *arg)
{
    (void)arg;
    NicRegisterInterrupt(g_nic);
}
static void do_deregister_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    NdisMDeregisterInterruptEx(arg);
}

static void test_interrupt_misuse(void **state)
{
    (void)state;
    /* halted with the interrupt still registered: 0xC4, P3 = the interrupt,
     * P4 = the adapter; the adapter is gone afterwards */
    g_intr_mode = INTR_NO_DEREGISTER;
    boot(0, 1);
    NDIS_HANDLE intr = g_nic->interrupt;
    mk_expect_bugcheck(do_halt, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_INTERRUPT_LEAK, MK_ANY,
                       intr, g_ad);
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_INVALID_PARAMETER);
    mdlkit_shutdown();
    /* registered before the registration attributes */
    g_intr_mode = INTR_BEFORE_ATTRIBUTES;
    boot(0, 0);
    mk_expect_bugcheck(do_start, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT, MK_ANY,
                       MK_ANY, 2);
    mdlkit_shutdown();
    /* registered twice */
    g_intr_mode = INTR_TWICE;
    boot(0, 0);
    mk_expect_bugcheck(do_start, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT, MK_ANY,
                       MK_ANY, 3);
    mdlkit_shutdown();
    /* outside MiniportInitializeEx, deregistered at DISPATCH_LEVEL, and twice */
    g_intr_mode = INTR_OK;
    boot(0, 1);
    mk_expect_bugcheck(do_register_after_init, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_NDIS_INTERRUPT_CONTEXT, MK_ANY, g_ad, 1);
    intr = g_nic->interrupt;
    mk_expect_bugcheck(do_deregister_at_dispatch, intr, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, MK_ANY, DISPATCH_LEVEL, intr);
    NdisMDeregisterInterruptEx(intr);
    mk_expect_bugcheck(do_deregister, intr, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_UNKNOWN_HANDLE,
                       MK_ANY, intr, MK_NDIS_INTERRUPT);
    g_nic->interrupt = NULL;
    assert_int_equal(mdlkit_ndis_interrupt(g_ad), STATUS_INVALID_DEVICE_STATE);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    g_intr_mode = INTR_NONE;
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_lifecycle_shared_memory_and_mdls, teardown),
        cmocka_unit_test_teardown(test_lookaside_frames, teardown),
        cmocka_unit_test_teardown(test_halt_detects_leaks, teardown),
        cmocka_unit_test_teardown(test_halt_leak_tracked, teardown),
        cmocka_unit_test_teardown(test_shared_free_bugcheck_keeps_record, teardown),
        cmocka_unit_test_teardown(test_shared_memory_misuse, teardown),
        cmocka_unit_test_teardown(test_allocate_mdl_misuse, teardown),
        cmocka_unit_test_teardown(test_ndis_mdl_on_driver_global_buffer, teardown),
        cmocka_unit_test_teardown(test_generic_object, teardown),
        cmocka_unit_test_teardown(test_memory_routines, teardown),
        cmocka_unit_test_teardown(test_registration_errors, teardown),
        cmocka_unit_test(test_interrupt_isr_and_dpc),
        cmocka_unit_test(test_interrupt_registration),
        cmocka_unit_test(test_interrupt_synchronize),
        cmocka_unit_test(test_sg_list),
        cmocka_unit_test(test_shared_memory_async),
        cmocka_unit_test(test_interrupt_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
