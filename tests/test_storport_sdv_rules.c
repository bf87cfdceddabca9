/*
 * test_storport_sdv_rules: the StorPort DDI compliance rules that Static
 * Driver Verifier's StorPort fail-driver sample breaks (SDV-FailDriver-
 * STORPORT, an lsi_u3 variant), checked at run time under DDI compliance
 * checking. A small miniport written here ("rulebox") on a PCI function
 * with one register BAR does one rule-breaking thing at a time, chosen by
 * g_pattern; each test runs the broken pattern (the bug check with the
 * rule's ID) and the correct variant beside it (no report). The patterns
 * are written for this file, after the rules' documentation.
 */
#include "testutil.h"

#include <srbhelper.h>
#include <storport.h>

/* ------------------------------------------------------------------------
 * The device: a doorbell register that raises the line interrupt
 * ---------------------------------------------------------------------- */
#define RB_REG_DOORBELL 0x04

static mdlkit_pci_device *g_pci;

static ULONG64 rb_read(void *ctx, ULONG bar, ULONG64 off, ULONG width)
{
    (void)ctx;
    (void)bar;
    (void)off;
    (void)width;
    return 0;
}

static void rb_write(void *ctx, ULONG bar, ULONG64 off, ULONG width, ULONG64 v)
{
    (void)ctx;
    (void)bar;
    (void)width;
    (void)v;
    if (off == RB_REG_DOORBELL)
        mdlkit_pci_interrupt(g_pci, 0);
}

/* ------------------------------------------------------------------------
 * The miniport
 * ---------------------------------------------------------------------- */
enum rb_pattern {
    P_NONE = 0,
    P_EXTENDED_TABLE,       /* StorPortNotification2 */
    P_VALIDATE_RANGE,       /* StorPortDeprecated */
    P_PASSIVE_FROM_ISR,     /* StorPortEnablePassive */
    P_COMPLETE_PENDING,     /* StorPortStatusPending */
    P_STALL_IN_STARTIO,     /* StorPortStartIo */
    P_STALL_IN_BUILDIO,     /* StorPortStartIo, correct */
    P_LOCK_KEPT_IN_RESET,   /* StorPortSpinLock */
    P_LOCK_PAIRED_IN_RESET, /* StorPortSpinLock, correct */
    P_AFFINITY_IN_ISR,      /* StorPortIrql */
    P_AFFINITY_IN_STARTIO,  /* StorPortIrql, correct */
};
static enum rb_pattern g_pattern;

typedef struct rb_ext {
    PUCHAR regs;
    PSTORPORT_EXTENDED_FUNCTIONS table;
    BOOLEAN range_ok;
    BOOLEAN passive_ran;
    BOOLEAN late_passive;
    ULONG isr_calls;
    ULONG affinity_status;
    KAFFINITY affinity;
} rb_ext;

static BOOLEAN RbPassive(PVOID Ext)
{
    ((rb_ext *)Ext)->passive_ran = TRUE;
    return TRUE;
}

static ULONG RbFindAdapter(PVOID Ext, PVOID Ctx, PVOID Bus, PCHAR Arg, PPORT_CONFIGURATION_INFORMATION Cfg,
                           PBOOLEAN Again)
{
    (void)Ctx;
    (void)Bus;
    (void)Arg;
    (void)Again;
    rb_ext *e = Ext;
    ACCESS_RANGE *r = &(*Cfg->AccessRanges)[0];
    if (g_pattern == P_EXTENDED_TABLE) {
        e->table = (PSTORPORT_EXTENDED_FUNCTIONS)(ULONG_PTR)1; /* the port must overwrite it */
        StorPortNotification(GetExtendedFunctionTable, Ext, &e->table);
    }
    if (g_pattern == P_VALIDATE_RANGE)
        e->range_ok = StorPortValidateRange(Ext, Cfg->AdapterInterfaceType, Cfg->SystemIoBusNumber, r->RangeStart,
                                            r->RangeLength, !r->RangeInMemory);
    e->regs = StorPortGetDeviceBase(Ext, PCIBus, Cfg->SystemIoBusNumber, r->RangeStart, r->RangeLength,
                                    !r->RangeInMemory);
    if (!e->regs)
        return SP_RETURN_ERROR;
    Cfg->MaximumTransferLength = 0x10000;
    Cfg->NumberOfPhysicalBreaks = 16;
    Cfg->SynchronizationModel = StorSynchronizeFullDuplex;
    Cfg->ScatterGather = TRUE;
    Cfg->Master = TRUE;
    return SP_RETURN_FOUND;
}

static BOOLEAN RbInitialize(PVOID Ext) { return StorPortEnablePassiveInitialization(Ext, RbPassive); }

static BOOLEAN RbInterrupt(PVOID Ext)
{
    rb_ext *e = Ext;
    e->isr_calls++;
    if (g_pattern == P_PASSIVE_FROM_ISR)
        e->late_passive = StorPortEnablePassiveInitialization(Ext, RbPassive);
    if (g_pattern == P_AFFINITY_IN_ISR)
        e->affinity_status = StorPortGetGroupAffinity(Ext, 0, &e->affinity);
    return TRUE;
}

static BOOLEAN RbBuildIo(PVOID Ext, PSCSI_REQUEST_BLOCK Srb)
{
    (void)Ext;
    (void)Srb;
    if (g_pattern == P_STALL_IN_BUILDIO)
        StorPortStallExecution(5);
    return TRUE;
}

static BOOLEAN RbStartIo(PVOID Ext, PSCSI_REQUEST_BLOCK Srb)
{
    rb_ext *e = Ext;
    if (g_pattern == P_STALL_IN_STARTIO)
        StorPortStallExecution(5);
    if (g_pattern == P_AFFINITY_IN_STARTIO)
        e->affinity_status = StorPortGetGroupAffinity(Ext, 0, &e->affinity);
    /* the broken variant reports the request done while saying it is not */
    SrbSetSrbStatus(Srb, g_pattern == P_COMPLETE_PENDING ? SRB_STATUS_PENDING : SRB_STATUS_SUCCESS);
    StorPortNotification(RequestComplete, Ext, Srb);
    return TRUE;
}

static BOOLEAN RbResetBus(PVOID Ext, ULONG PathId)
{
    (void)PathId;
    STOR_LOCK_HANDLE h;
    if (g_pattern == P_LOCK_KEPT_IN_RESET || g_pattern == P_LOCK_PAIRED_IN_RESET) {
        StorPortAcquireSpinLock(Ext, InterruptLock, NULL, &h);
        if (g_pattern == P_LOCK_PAIRED_IN_RESET)
            StorPortReleaseSpinLock(Ext, &h);
    }
    return TRUE;
}

static void RbFreeResources(PVOID Ext)
{
    rb_ext *e = Ext;
    if (e->regs)
        StorPortFreeDeviceBase(Ext, e->regs);
    e->regs = NULL;
}

static NTSTATUS RbDriverEntry(PDRIVER_OBJECT Drv, PUNICODE_STRING Reg)
{
    HW_INITIALIZATION_DATA hw;
    memset(&hw, 0, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwInitialize = RbInitialize;
    hw.HwStartIo = RbStartIo;
    hw.HwBuildIo = RbBuildIo;
    hw.HwInterrupt = RbInterrupt;
    hw.HwFindAdapter = RbFindAdapter;
    hw.HwResetBus = RbResetBus;
    hw.HwFreeAdapterResources = RbFreeResources;
    hw.DeviceExtensionSize = sizeof(rb_ext);
    hw.NumberOfAccessRanges = 1;
    return (NTSTATUS)StorPortInitialize(Drv, Reg, &hw, NULL);
}

/* ------------------------------------------------------------------------
 * Harness
 * ---------------------------------------------------------------------- */
static PDRIVER_OBJECT g_drv;
static rb_ext *g_ext;
static NTSTATUS g_start_status;

static void boot_machine(ULONG verifier)
{
    assert_int_equal(mk_test_setup_flags(verifier), 0);
    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.vendor_id = 0x1000;
    fn.device_id = 0x0020;
    fn.base_class = 1;
    fn.interrupt_pin = 1;
    fn.bars[0].kind = MDLKIT_BAR_MEMORY32;
    fn.bars[0].size = 0x1000;
    fn.read = rb_read;
    fn.write = rb_write;
    g_pci = mdlkit_pci_create(&fn);
    assert_non_null(g_pci);
    assert_int_equal(mdlkit_driver_load("rulebox", RbDriverEntry, &g_drv), STATUS_SUCCESS);
}

static void start(void *arg)
{
    (void)arg;
    g_ext = NULL;
    g_start_status = mdlkit_storport_start_device(g_drv, g_pci, (PVOID *)&g_ext);
}

static void boot(ULONG verifier)
{
    boot_machine(verifier);
    start(NULL);
    assert_int_equal(g_start_status, STATUS_SUCCESS);
    assert_non_null(g_ext);
}

static int teardown(void **state)
{
    g_pattern = P_NONE;
    return mk_test_teardown_after_bugcheck(state);
}

static void ring(void *arg)
{
    (void)arg;
    StorPortWriteRegisterUlong(g_ext, (PULONG)(g_ext->regs + RB_REG_DOORBELL), 1);
    mdlkit_storport_poll(g_ext);
}

static NTSTATUS g_io_status;
static void one_io(void *arg)
{
    (void)arg;
    mdlkit_scsi_request r;
    memset(&r, 0, sizeof r);
    r.cdb[0] = SCSIOP_TEST_UNIT_READY;
    r.cdb_length = 6;
    r.direction = MDLKIT_SCSI_NO_DATA;
    g_io_status = mdlkit_storport_scsi(g_ext, &r);
}

static NTSTATUS g_reset_status;
static void reset(void *arg)
{
    (void)arg;
    g_reset_status = mdlkit_storport_reset(g_ext);
}

#define DDI MDLKIT_VERIFY_DDI_COMPLIANCE

/* ------------------------------------------------------------------------
 * StorPortNotification2: only documented notification types
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortNotification2_extended_table(void **state)
{
    (void)state;
    g_pattern = P_EXTENDED_TABLE;
    boot_machine(DDI);
    mk_expect_bugcheck(start, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_NOTIFICATION2, MK_ANY,
                       GetExtendedFunctionTable, 0);
}

static void test_rule_StorPortNotification2_without_checking(void **state)
{
    (void)state;
    /* Without the option the port answers: there is no table (NULL). */
    g_pattern = P_EXTENDED_TABLE;
    boot(0);
    assert_null(g_ext->table);
}

static void test_rule_StorPortNotification2_correct(void **state)
{
    (void)state;
    boot(DDI); /* documented types only: RequestComplete, the DPC/lock/passive forms */
    assert_true(g_ext->passive_ran);
    one_io(NULL);
    assert_int_equal(g_io_status, STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------
 * StorPortDeprecated: StorPortValidateRange
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortDeprecated_validate_range(void **state)
{
    (void)state;
    g_pattern = P_VALIDATE_RANGE;
    boot_machine(DDI);
    mk_expect_bugcheck(start, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_DEPRECATED, MK_ANY, 1,
                       0);
}

static void test_rule_StorPortDeprecated_validate_range_answers_true(void **state)
{
    (void)state;
    g_pattern = P_VALIDATE_RANGE;
    boot(0);
    assert_true(g_ext->range_ok);
}

/* ------------------------------------------------------------------------
 * StorPortEnablePassive: only from HwInitialize
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortEnablePassive_from_isr(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_PASSIVE_FROM_ISR;
    mk_expect_bugcheck(ring, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_ENABLE_PASSIVE, MK_ANY,
                       (ULONG_PTR)RbPassive, 0);
}

static void test_rule_StorPortEnablePassive_from_isr_refused(void **state)
{
    (void)state;
    boot(0);
    g_pattern = P_PASSIVE_FROM_ISR;
    g_ext->passive_ran = FALSE;
    ring(NULL);
    assert_int_equal(g_ext->isr_calls, 1);
    assert_false(g_ext->late_passive);
    assert_false(g_ext->passive_ran);
}

static void test_rule_StorPortEnablePassive_correct(void **state)
{
    (void)state;
    boot(DDI); /* RbInitialize asks for it, from HwInitialize */
    assert_true(g_ext->passive_ran);
    ring(NULL);
    assert_int_equal(g_ext->isr_calls, 1);
}

/* ------------------------------------------------------------------------
 * StorPortStatusPending: never complete with SRB_STATUS_PENDING
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortStatusPending_completed_pending(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_COMPLETE_PENDING;
    mk_expect_bugcheck(one_io, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_STATUS_PENDING, MK_ANY,
                       MK_ANY, 0);
}

static void test_rule_StorPortStatusPending_correct(void **state)
{
    (void)state;
    boot(DDI);
    one_io(NULL);
    assert_int_equal(g_io_status, STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------
 * StorPortStartIo: no waits in HwStartIo (HwBuildIo may)
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortStartIo_stall(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_STALL_IN_STARTIO;
    mk_expect_bugcheck(one_io, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_STARTIO, MK_ANY, 5,
                       0);
}

static void test_rule_StorPortStartIo_stall_in_buildio(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_STALL_IN_BUILDIO;
    one_io(NULL);
    assert_int_equal(g_io_status, STATUS_SUCCESS);
    StorPortStallExecution(5); /* and outside any miniport routine */
}

/* ------------------------------------------------------------------------
 * StorPortSpinLock: every acquire released before the routine returns
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortSpinLock_kept_in_reset(void **state)
{
    (void)state;
    boot(0); /* always checked */
    g_pattern = P_LOCK_KEPT_IN_RESET;
    mk_expect_bugcheck(reset, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_LOCK_STATE, MK_ANY,
                       InterruptLock, 3);
}

static void test_rule_StorPortSpinLock_paired_in_reset(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_LOCK_PAIRED_IN_RESET;
    reset(NULL);
    assert_int_equal(g_reset_status, STATUS_SUCCESS);
    one_io(NULL);
    assert_int_equal(g_io_status, STATUS_SUCCESS);
}

/* ------------------------------------------------------------------------
 * StorPortIrql: StorPortGetGroupAffinity at IRQL <= DISPATCH_LEVEL
 * ---------------------------------------------------------------------- */
static void test_rule_StorPortIrql_group_affinity_in_isr(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_AFFINITY_IN_ISR;
    mk_expect_bugcheck(ring, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_STORPORT_IRQL, MK_ANY, MK_ANY,
                       ExtFunctionGetGroupAffinity);
}

static void test_rule_StorPortIrql_group_affinity_in_startio(void **state)
{
    (void)state;
    boot(DDI);
    g_pattern = P_AFFINITY_IN_STARTIO;
    one_io(NULL);
    assert_int_equal(g_io_status, STATUS_SUCCESS);
    assert_int_equal(g_ext->affinity_status, STOR_STATUS_SUCCESS);
    assert_true(g_ext->affinity & 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rule_StorPortNotification2_extended_table, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortNotification2_without_checking, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortNotification2_correct, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortDeprecated_validate_range, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortDeprecated_validate_range_answers_true, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortEnablePassive_from_isr, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortEnablePassive_from_isr_refused, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortEnablePassive_correct, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortStatusPending_completed_pending, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortStatusPending_correct, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortStartIo_stall, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortStartIo_stall_in_buildio, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortSpinLock_kept_in_reset, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortSpinLock_paired_in_reset, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortIrql_group_affinity_in_isr, teardown),
        cmocka_unit_test_teardown(test_rule_StorPortIrql_group_affinity_in_startio, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
