/*
 * test_storport_legacy: the StorPort routines older parallel-SCSI miniports
 * (lsi_u3 and its kind) use beyond viostor's set: StorPortSynchronizeAccess,
 * StorPortValidateRange, StorPortConvertUlongToPhysicalAddress and the
 * address macros, the processor/group/node wrappers of the extended
 * functions, GetExtendedFunctionTable, DebugPrint, and HwResetBus called as
 * documented (DISPATCH_LEVEL, StartIo lock held) -- with the regression of
 * the pattern lsi_u3 follows there: its reset routine synchronises with
 * its ISR through StorPortSynchronizeAccess.
 */
#include "testutil.h"

#include <acpiioct.h>
#include <miniport.h>
#include <storport.h>

static mdlkit_pci_device *g_pci;

static ULONG64 lg_read(void *ctx, ULONG bar, ULONG64 off, ULONG width)
{
    (void)ctx;
    (void)bar;
    (void)off;
    (void)width;
    return 0;
}

static void lg_write(void *ctx, ULONG bar, ULONG64 off, ULONG width, ULONG64 v)
{
    (void)ctx;
    (void)bar;
    (void)off;
    (void)width;
    (void)v;
}

typedef struct lg_ext {
    PUCHAR regs;
    ULONG sync_calls;
    KIRQL sync_irql;
    PVOID sync_ctx;
    PVOID sync_ext;
    KIRQL reset_irql;
    BOOLEAN reset_synced;
    BOOLEAN reset_result;
    BOOLEAN sync_from_isr;
    UCHAR dma64_offered;
} lg_ext;

static BOOLEAN LgSynced(PVOID Ext, PVOID Context)
{
    lg_ext *e = Ext;
    e->sync_calls++;
    e->sync_irql = KeGetCurrentIrql();
    e->sync_ctx = Context;
    e->sync_ext = Ext;
    return Context != NULL;
}

static ULONG LgFindAdapter(PVOID Ext, PVOID Ctx, PVOID Bus, PCHAR Arg, PPORT_CONFIGURATION_INFORMATION Cfg,
                           PBOOLEAN Again)
{
    (void)Ctx;
    (void)Bus;
    (void)Arg;
    (void)Again;
    lg_ext *e = Ext;
    ACCESS_RANGE *r = &(*Cfg->AccessRanges)[0];
    e->dma64_offered = Cfg->Dma64BitAddresses;
    if (Cfg->Dma64BitAddresses & SCSI_DMA64_SYSTEM_SUPPORTED)
        Cfg->Dma64BitAddresses = SCSI_DMA64_MINIPORT_SUPPORTED;
    e->regs = StorPortGetDeviceBase(Ext, PCIBus, Cfg->SystemIoBusNumber, r->RangeStart, r->RangeLength,
                                    !r->RangeInMemory);
    Cfg->SynchronizationModel = StorSynchronizeFullDuplex;
    Cfg->MaximumTransferLength = 0x10000;
    return e->regs ? SP_RETURN_FOUND : SP_RETURN_ERROR;
}

static BOOLEAN LgInitialize(PVOID Ext)
{
    (void)Ext;
    return TRUE;
}

static BOOLEAN LgInterrupt(PVOID Ext)
{
    lg_ext *e = Ext;
    if (e->sync_from_isr) /* the ISR already holds what this asks for */
        (void)StorPortSynchronizeAccess(Ext, LgSynced, Ext);
    return TRUE;
}

static BOOLEAN LgStartIo(PVOID Ext, PSCSI_REQUEST_BLOCK Srb)
{
    Srb->SrbStatus = SRB_STATUS_SUCCESS;
    StorPortNotification(RequestComplete, Ext, Srb);
    return TRUE;
}

/* What lsi_u3 does: the reset's register work runs synchronised with the ISR. */
static BOOLEAN LgResetBus(PVOID Ext, ULONG PathId)
{
    (void)PathId;
    lg_ext *e = Ext;
    e->reset_irql = KeGetCurrentIrql();
    e->reset_synced = StorPortSynchronizeAccess(Ext, LgSynced, &e->reset_result);
    return TRUE;
}

static void LgFreeResources(PVOID Ext)
{
    lg_ext *e = Ext;
    if (e->regs)
        StorPortFreeDeviceBase(Ext, e->regs);
    e->regs = NULL;
}

static NTSTATUS LgDriverEntry(PDRIVER_OBJECT Drv, PUNICODE_STRING Reg)
{
    HW_INITIALIZATION_DATA hw;
    memset(&hw, 0, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwInitialize = LgInitialize;
    hw.HwStartIo = LgStartIo;
    hw.HwInterrupt = LgInterrupt;
    hw.HwFindAdapter = LgFindAdapter;
    hw.HwResetBus = LgResetBus;
    hw.HwFreeAdapterResources = LgFreeResources;
    hw.DeviceExtensionSize = sizeof(lg_ext);
    hw.NumberOfAccessRanges = 1;
    return (NTSTATUS)StorPortInitialize(Drv, Reg, &hw, NULL);
}

static PDRIVER_OBJECT g_drv;
static lg_ext *g_ext;

static void boot(ULONG verifier)
{
    assert_int_equal(mk_test_setup_flags(verifier), 0);
    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.vendor_id = 0x1000;
    fn.device_id = 0x0021;
    fn.base_class = 1;
    fn.interrupt_pin = 1;
    fn.bars[0].kind = MDLKIT_BAR_MEMORY32;
    fn.bars[0].size = 0x400;
    fn.read = lg_read;
    fn.write = lg_write;
    g_pci = mdlkit_pci_create(&fn);
    assert_non_null(g_pci);
    assert_int_equal(mdlkit_driver_load("legacy", LgDriverEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_device(g_drv, g_pci, (PVOID *)&g_ext), STATUS_SUCCESS);
}

static int teardown(void **state) { return mk_test_teardown_after_bugcheck(state); }

/* ------------------------------------------------------------------------
 * StorPortSynchronizeAccess
 * ---------------------------------------------------------------------- */
static void test_synchronize_access_runs_with_the_isr_lock(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_DDI_COMPLIANCE);
    int ctx;
    /* the routine's answer is returned; the context and extension reach it */
    assert_true(StorPortSynchronizeAccess(g_ext, LgSynced, &ctx));
    assert_int_equal(g_ext->sync_calls, 1);
    assert_ptr_equal(g_ext->sync_ctx, &ctx);
    assert_ptr_equal(g_ext->sync_ext, g_ext);
    assert_true(g_ext->sync_irql > DISPATCH_LEVEL); /* the device IRQL */
    assert_false(StorPortSynchronizeAccess(g_ext, LgSynced, NULL));
    assert_int_equal(g_ext->sync_calls, 2);
    /* the caller's IRQL is back */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    /* the interrupt lock is free again: the miniport may take it */
    STOR_LOCK_HANDLE h;
    StorPortAcquireSpinLock(g_ext, InterruptLock, NULL, &h);
    StorPortReleaseSpinLock(g_ext, &h);
}

static void sync_holding_interrupt_lock(void *arg)
{
    (void)arg;
    STOR_LOCK_HANDLE h;
    StorPortAcquireSpinLock(g_ext, InterruptLock, NULL, &h);
    (void)StorPortSynchronizeAccess(g_ext, LgSynced, NULL);
}

static void test_synchronize_access_holding_interrupt_lock(void **state)
{
    (void)state;
    boot(0);
    /* on Windows the processor would spin on the lock it holds */
    mk_expect_bugcheck(sync_holding_interrupt_lock, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_LOCK_STATE, MK_ANY, InterruptLock, 2);
}

static void sync_null_routine(void *arg)
{
    (void)arg;
    (void)StorPortSynchronizeAccess(g_ext, NULL, NULL);
}

static void test_synchronize_access_null_routine(void **state)
{
    (void)state;
    boot(0);
    mk_expect_bugcheck(sync_null_routine, NULL, KMODE_EXCEPTION_NOT_HANDLED, STATUS_ACCESS_VIOLATION, 0, 0, 0);
}

static void sync_unknown_extension(void *arg)
{
    (void)arg;
    static char not_an_adapter[64];
    (void)StorPortSynchronizeAccess(not_an_adapter, LgSynced, NULL);
}

static void test_synchronize_access_unknown_extension(void **state)
{
    (void)state;
    boot(0);
    mk_expect_bugcheck(sync_unknown_extension, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION,
                       MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION, MK_ANY, MK_ANY, MK_ANY);
}

/* ------------------------------------------------------------------------
 * HwResetBus as documented, and the lsi_u3 pattern inside it
 * ---------------------------------------------------------------------- */
static void test_regress_reset_synchronizes_with_isr(void **state)
{
    (void)state;
    boot(MDLKIT_VERIFY_DDI_COMPLIANCE);
    assert_int_equal(mdlkit_storport_reset(g_ext), STATUS_SUCCESS);
    assert_int_equal(g_ext->reset_irql, DISPATCH_LEVEL);
    assert_int_equal(g_ext->sync_calls, 1);
    assert_true(g_ext->reset_synced);
    assert_true(g_ext->sync_irql > DISPATCH_LEVEL);
    /* the StartIo lock was the port's: the adapter still takes requests */
    mdlkit_scsi_request r;
    memset(&r, 0, sizeof r);
    r.cdb[0] = SCSIOP_TEST_UNIT_READY;
    r.cdb_length = 6;
    assert_int_equal(mdlkit_storport_scsi(g_ext, &r), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(g_ext), STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------
 * Addresses, ranges, processors, the old function table
 * ---------------------------------------------------------------------- */
static void test_address_conversions(void **state)
{
    (void)state;
    boot(0);
    STOR_PHYSICAL_ADDRESS pa = StorPortConvertUlongToPhysicalAddress(0xFEDC0000UL);
    assert_int_equal(pa.QuadPart, 0xFEDC0000LL);
    assert_int_equal(pa.HighPart, 0); /* zero-extended, not sign-extended */
    pa = StorPortConvertUlongToPhysicalAddress((ULONG_PTR)0x123456789ULL);
    assert_int_equal(pa.QuadPart, 0x123456789LL);
    assert_int_equal(StorPortConvertPhysicalAddressToUlong(pa), 0x23456789UL);
    assert_int_equal(StorPortConvertPhysicalAddressToULong64(pa), 0x123456789ULL);
}

/* On a 64-bit system the port offers 64-bit DMA in Dma64BitAddresses
 * before HwFindAdapter (lsi_u3 tests the bit to choose its 64-bit mode). */
static void test_dma64_offered_to_find_adapter(void **state)
{
    (void)state;
    boot(0);
    assert_int_equal(g_ext->dma64_offered, SCSI_DMA64_SYSTEM_SUPPORTED);
}

static void test_validate_range_is_obsolete(void **state)
{
    (void)state;
    boot(0);
    STOR_PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0x1000;
    assert_true(StorPortValidateRange(g_ext, PCIBus, 0, pa, 0x100, FALSE));
    assert_true(StorPortValidateRange(g_ext, Isa, 0, pa, 0x100, TRUE)); /* whatever is asked */
}

static void test_processor_wrappers(void **state)
{
    (void)state;
    boot(0);
    USHORT groups = 0;
    assert_int_equal(StorPortGetActiveGroupCount(g_ext, &groups), STOR_STATUS_SUCCESS);
    assert_int_equal(groups, 1);
    KAFFINITY mask = 0;
    assert_int_equal(StorPortGetGroupAffinity(g_ext, 0, &mask), STOR_STATUS_SUCCESS);
    assert_true(mask & 1);
    assert_int_equal(StorPortGetGroupAffinity(g_ext, 0, NULL), STOR_STATUS_INVALID_PARAMETER);
    assert_int_equal(StorPortGetGroupAffinity(g_ext, 1, &mask), STOR_STATUS_UNSUCCESSFUL); /* past the groups */
    ULONG nodes = 0, highest = 99;
    assert_int_equal(StorPortGetActiveNodeCount(g_ext, &nodes), STOR_STATUS_SUCCESS);
    assert_int_equal(nodes, 1);
    assert_int_equal(StorPortGetHighestNodeNumber(g_ext, &highest), STOR_STATUS_SUCCESS);
    assert_int_equal(highest, 0);
    GROUP_AFFINITY ga;
    assert_int_equal(StorPortGetNodeAffinity(g_ext, 0, &ga), STOR_STATUS_SUCCESS);
    assert_int_equal(ga.Mask, mask);
    PROCESSOR_NUMBER pn;
    assert_int_equal(StorPortGetCurrentProcessorNumber(g_ext, &pn), STOR_STATUS_SUCCESS);
    assert_int_equal(pn.Group, 0);
    LARGE_INTEGER f, c1, c2;
    assert_int_equal(StorPortQueryPerformanceCounter(g_ext, &f, &c1), STOR_STATUS_SUCCESS);
    assert_int_equal(StorPortQueryPerformanceCounter(g_ext, NULL, &c2), STOR_STATUS_SUCCESS);
    assert_true(f.QuadPart > 0);
    assert_true(c2.QuadPart >= c1.QuadPart);
    assert_int_equal(StorPortQueryPerformanceCounter(g_ext, &f, NULL), STOR_STATUS_INVALID_PARAMETER);
}

static void test_processor_wrappers_before_windows7(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = NTDDI_VISTA;
    assert_int_equal(mdlkit_init(&c), 0);
    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.vendor_id = 0x1000;
    fn.base_class = 1;
    fn.interrupt_pin = 1;
    fn.bars[0].kind = MDLKIT_BAR_MEMORY32;
    fn.bars[0].size = 0x400;
    fn.read = lg_read;
    fn.write = lg_write;
    g_pci = mdlkit_pci_create(&fn);
    assert_int_equal(mdlkit_driver_load("legacy", LgDriverEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_start_device(g_drv, g_pci, (PVOID *)&g_ext), STATUS_SUCCESS);
    KAFFINITY mask = 0;
    assert_int_equal(StorPortGetGroupAffinity(g_ext, 0, &mask), STOR_STATUS_NOT_IMPLEMENTED);
    USHORT groups;
    assert_int_equal(StorPortGetActiveGroupCount(g_ext, &groups), STOR_STATUS_NOT_IMPLEMENTED);
}

static void acpi_at_dispatch(void *arg)
{
    ULONG *st = arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ULONG n = 99;
    st[0] = StorPortInvokeAcpiMethod(g_ext, NULL, 'MSD_', NULL, 0, NULL, 0, &n);
    st[1] = n;
    KeLowerIrql(old);
}

/* No ACPI namespace: a method is never found; the IRQL rule comes first. */
static void test_invoke_acpi_method(void **state)
{
    (void)state;
    boot(0);
    ULONG in[8];
    ACPI_EVAL_OUTPUT_BUFFER out;
    ULONG n = 99;
    memset(in, 0, sizeof in);
    ((ACPI_EVAL_INPUT_BUFFER_COMPLEX *)in)->Signature = ACPI_EVAL_INPUT_BUFFER_COMPLEX_SIGNATURE;
    assert_int_equal(StorPortInvokeAcpiMethod(g_ext, NULL, 'DDS_', in, sizeof in, &out, sizeof out, &n),
                     STOR_STATUS_NOT_IMPLEMENTED);
    assert_int_equal(n, 0);
    assert_int_equal(StorPortInvokeAcpiMethod(g_ext, NULL, 'DDS_', NULL, 0, NULL, 0, NULL), STOR_STATUS_NOT_IMPLEMENTED);
    ULONG st[2] = {0, 0};
    acpi_at_dispatch(st);
    assert_int_equal(st[0], STOR_STATUS_INVALID_IRQL);
    assert_int_equal(st[1], 0);
}

static void test_extended_function_table_is_not_offered(void **state)
{
    (void)state;
    boot(0);
    PSTORPORT_EXTENDED_FUNCTIONS table = (PSTORPORT_EXTENDED_FUNCTIONS)(ULONG_PTR)0x10;
    StorPortNotification(GetExtendedFunctionTable, g_ext, &table);
    assert_null(table);
    assert_int_equal(sizeof(STORPORT_EXTENDED_FUNCTIONS), 8 + 6 * sizeof(PVOID));
}

static int g_debugprint_evaluated;
static int side_effect(void)
{
    g_debugprint_evaluated++;
    return 1;
}

static void test_debugprint_macro(void **state)
{
    (void)state;
    /* Without DBG the miniport's DebugPrint((...)) compiles to nothing:
     * its arguments are not even evaluated. */
#if defined(DBG) && DBG
    skip();
#else
    DebugPrint((1, "legacy: %d\n", side_effect()));
    assert_int_equal(g_debugprint_evaluated, 0);
    assert_int_equal(side_effect(), 1); /* (and the function is real) */
    assert_int_equal(g_debugprint_evaluated, 1);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_synchronize_access_runs_with_the_isr_lock, teardown),
        cmocka_unit_test_teardown(test_synchronize_access_holding_interrupt_lock, teardown),
        cmocka_unit_test_teardown(test_synchronize_access_null_routine, teardown),
        cmocka_unit_test_teardown(test_synchronize_access_unknown_extension, teardown),
        cmocka_unit_test_teardown(test_regress_reset_synchronizes_with_isr, teardown),
        cmocka_unit_test_teardown(test_address_conversions, teardown),
        cmocka_unit_test_teardown(test_dma64_offered_to_find_adapter, teardown),
        cmocka_unit_test_teardown(test_validate_range_is_obsolete, teardown),
        cmocka_unit_test_teardown(test_processor_wrappers, teardown),
        cmocka_unit_test_teardown(test_processor_wrappers_before_windows7, teardown),
        cmocka_unit_test_teardown(test_invoke_acpi_method, teardown),
        cmocka_unit_test_teardown(test_extended_function_table_is_not_offered, teardown),
        cmocka_unit_test(test_debugprint_macro),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
