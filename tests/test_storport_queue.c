/* StorPort's request queue controls (docs/storport.md "Busy and pause"):
 * after StorPortBusy(n) the port gives the miniport no new request until n
 * of the requests it holds have completed (all of them when it holds fewer,
 * as the documentation says); after StorPortPause(t) none until
 * StorPortResume or t seconds of the adapter's clock; StorPortReady ends a
 * busy state. Held requests start in the order they were sent; a bus reset
 * or a stop completes them like the others, with nothing leaked.
 *
 * The miniport below keeps every request it is given (completing them from
 * its timer), and vendor operation codes make it call the queue controls
 * from HwStartIo, as a real miniport does when its hardware queue fills. */
#include "testutil.h"

#include <storport.h>

#define OP_BUSY 0xC0   /* StorPortBusy(Cdb[1]); the request stays with the miniport */
#define OP_PAUSE 0xC1  /* StorPortPause(Cdb[1] seconds); completed at once */
#define OP_NORMAL 0xC2 /* stays with the miniport until its timer completes it */
#define MAX_HELD 32

typedef struct q_ext {
    PSCSI_REQUEST_BLOCK held[MAX_HELD];
    ULONG nheld;
} q_ext;

static PSCSI_REQUEST_BLOCK g_started[64]; /* the order HwStartIo saw */
static ULONG g_nstarted;
static int g_ready_in_timer, g_resume_in_timer;

static void QTimer(PVOID DeviceExtension)
{
    q_ext *x = DeviceExtension;
    if (g_ready_in_timer)
        StorPortReady(x);
    if (g_resume_in_timer)
        StorPortResume(x);
    for (ULONG i = 0; i < x->nheld; i++) {
        x->held[i]->SrbStatus = SRB_STATUS_SUCCESS;
        StorPortNotification(RequestComplete, x, x->held[i]);
    }
    x->nheld = 0;
    StorPortNotification(NextRequest, x, NULL);
}

static BOOLEAN QStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb)
{
    q_ext *x = DeviceExtension;
    if (g_nstarted < 64)
        g_started[g_nstarted++] = Srb;
    switch (Srb->Cdb[0]) {
    case OP_PAUSE:
        StorPortPause(x, Srb->Cdb[1]);
        Srb->SrbStatus = SRB_STATUS_SUCCESS;
        StorPortNotification(RequestComplete, x, Srb);
        break;
    default:
        if (Srb->Cdb[0] == OP_BUSY)
            StorPortBusy(x, Srb->Cdb[1]); /* the request stays, as the others */
        x->held[x->nheld++] = Srb;
        StorPortNotification(RequestTimerCall, x, QTimer, 1000);
        break;
    }
    StorPortNotification(NextRequest, x, NULL);
    return TRUE;
}

static ULONG QFindAdapter(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation, PCHAR ArgumentString,
                          PPORT_CONFIGURATION_INFORMATION ConfigInfo, PBOOLEAN Reserved3)
{
    ConfigInfo->MaximumTransferLength = 64 * 1024;
    ConfigInfo->NumberOfBuses = 1;
    ConfigInfo->ScatterGather = TRUE;
    ConfigInfo->Master = TRUE;
    return SP_RETURN_FOUND;
}

static BOOLEAN QInitialize(PVOID DeviceExtension) { return TRUE; }

static BOOLEAN QResetBus(PVOID DeviceExtension, ULONG PathId)
{
    q_ext *x = DeviceExtension;
    x->nheld = 0; /* the port completes what it gave us */
    return TRUE;
}

static NTSTATUS QDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = QFindAdapter;
    hw.HwInitialize = QInitialize;
    hw.HwStartIo = QStartIo;
    hw.HwResetBus = QResetBus;
    hw.DeviceExtensionSize = sizeof(q_ext);
    hw.NumberOfAccessRanges = 1;
    return (NTSTATUS)StorPortInitialize(DriverObject, RegistryPath, &hw, NULL);
}

static PDRIVER_OBJECT g_drv;
static q_ext *g_ext;
static SCSI_REQUEST_BLOCK g_srb[16];

static int setup(void **state)
{
    (void)state;
    if (mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE))
        return -1;
    g_nstarted = 0;
    g_ready_in_timer = g_resume_in_timer = 0;
    if (mdlkit_driver_load("queuedisk", QDriverEntry, &g_drv) != STATUS_SUCCESS)
        return -1;
    return mdlkit_storport_start_adapter(g_drv, (PVOID *)&g_ext) == STATUS_SUCCESS ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    mdlkit_storport_stop_adapter(g_ext);
    mdlkit_driver_unload(g_drv);
    mdlkit_shutdown();
    return 0;
}

static NTSTATUS send(int i, UCHAR op, UCHAR arg, PVOID buf, ULONG len)
{
    PSCSI_REQUEST_BLOCK s = &g_srb[i];
    RtlZeroMemory(s, sizeof *s);
    s->Length = sizeof *s;
    s->Function = SRB_FUNCTION_EXECUTE_SCSI;
    s->CdbLength = 6;
    s->Cdb[0] = op;
    s->Cdb[1] = arg;
    s->DataBuffer = buf;
    s->DataTransferLength = len;
    s->SrbFlags = buf ? SRB_FLAGS_DATA_IN : SRB_FLAGS_NO_DATA_TRANSFER;
    s->TimeOutValue = 10;
    return mdlkit_storport_submit(g_ext, s);
}

static mdlkit_storport_info info(void)
{
    mdlkit_storport_info i;
    assert_int_equal(mdlkit_storport_get_info(g_ext, &i), 0);
    return i;
}

static void test_busy_holds_requests_until_completions(void **state)
{
    (void)state;
    assert_int_equal(send(0, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(send(1, OP_BUSY, 2, NULL, 0), STATUS_PENDING); /* 2 in the miniport: busy for 2 */
    assert_int_equal(info().busy_requests, 2);
    assert_int_equal(send(2, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(send(3, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(g_nstarted, 2); /* 2 and 3 held by the port */
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 4);
    /* The miniport's timer completes the two it holds: the port resumes and
     * gives it 2 then 3, in order. */
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(g_srb[0].SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(g_srb[1].SrbStatus, SRB_STATUS_SUCCESS);
    assert_int_equal(info().busy_requests, 0);
    assert_int_equal(g_nstarted, 4);
    assert_ptr_equal(g_started[2], &g_srb[2]);
    assert_ptr_equal(g_started[3], &g_srb[3]);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
}

static void test_busy_beyond_outstanding_waits_for_all(void **state)
{
    (void)state;
    /* Busy(10) with one request in the miniport: the port waits for that one. */
    assert_int_equal(send(0, OP_BUSY, 10, NULL, 0), STATUS_PENDING);
    assert_int_equal(info().busy_requests, 1);
    assert_int_equal(send(1, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(g_nstarted, 1);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(g_nstarted, 2);
    assert_ptr_equal(g_started[1], &g_srb[1]);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
}

static void test_ready_ends_busy(void **state)
{
    (void)state;
    g_ready_in_timer = 1;
    assert_int_equal(send(0, OP_BUSY, 1, NULL, 0), STATUS_PENDING);
    assert_int_equal(send(1, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(g_nstarted, 1);
    mdlkit_storport_advance_timers(g_ext, 1000); /* StorPortReady, then the completion */
    assert_int_equal(info().busy_requests, 0);
    assert_int_equal(g_nstarted, 2);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
}

static void test_pause_holds_until_its_time_out(void **state)
{
    (void)state;
    assert_int_equal(send(0, OP_PAUSE, 5, NULL, 0), STATUS_SUCCESS);
    assert_int_equal(info().paused, 1);
    assert_int_equal(send(1, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(send(2, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(g_nstarted, 1);
    mdlkit_storport_advance_timers(g_ext, 4000000); /* 4 s: still paused */
    assert_int_equal(mdlkit_storport_poll(g_ext), 0);
    assert_int_equal(g_nstarted, 1);
    mdlkit_storport_advance_timers(g_ext, 1000000); /* 5 s: the pause is over */
    assert_int_equal(info().paused, 0);
    assert_int_equal(g_nstarted, 3);
    assert_ptr_equal(g_started[1], &g_srb[1]);
    assert_ptr_equal(g_started[2], &g_srb[2]);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
}

static void test_resume_ends_pause(void **state)
{
    (void)state;
    assert_int_equal(send(0, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(send(1, OP_PAUSE, 60, NULL, 0), STATUS_SUCCESS);
    assert_int_equal(send(2, OP_NORMAL, 0, NULL, 0), STATUS_PENDING);
    assert_int_equal(g_nstarted, 2);
    g_resume_in_timer = 1;
    mdlkit_storport_advance_timers(g_ext, 1000); /* the miniport's timer resumes */
    assert_int_equal(info().paused, 0);
    assert_int_equal(g_nstarted, 3);
    mdlkit_storport_advance_timers(g_ext, 1000);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
}

static void test_reset_completes_held_requests_without_leaks(void **state)
{
    (void)state;
    static UCHAR buf[2][4096];
    assert_int_equal(send(0, OP_PAUSE, 60, NULL, 0), STATUS_SUCCESS);
    assert_int_equal(send(1, OP_NORMAL, 0, buf[0], sizeof buf[0]), STATUS_PENDING);
    assert_int_equal(send(2, OP_NORMAL, 0, buf[1], sizeof buf[1]), STATUS_PENDING);
    assert_int_equal(g_nstarted, 1);
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 2);
    assert_true(NT_SUCCESS(mdlkit_storport_reset(g_ext)));
    assert_int_equal(mdlkit_storport_outstanding(g_ext), 0);
    assert_int_equal(g_srb[1].SrbStatus, SRB_STATUS_BUS_RESET);
    assert_int_equal(g_srb[2].SrbStatus, SRB_STATUS_BUS_RESET);
    assert_int_equal(g_nstarted, 1); /* never given to the miniport */
    /* the teardown's stop and shutdown find nothing left (Pool Tracking) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_busy_holds_requests_until_completions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_beyond_outstanding_waits_for_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ready_ends_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_holds_until_its_time_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_ends_pause, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_completes_held_requests_without_leaks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
