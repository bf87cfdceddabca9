/* Low-resources simulation reaches every allocating DDI the documentation
 * lists, the NDIS and StorPort ones included: under systematic low
 * resources (0x40000) each call site fails the first time it is seen, so a
 * DDI called in a loop from one line fails at least once and then
 * succeeds. A DDI the simulation goes around never fails: the loop would
 * see no failure. Also the real-world pattern the gap hid: npcap
 * 63140f37, memory leaked on NdisAllocateMdl's failure path. */
#include "testutil.h"
#include "testndis.h"

#include <ndis.h>
#include <storport.h>
#include <ntddk.h>

#define TAG 'zrwL'

/* Calls ALLOC from one line until it succeeds: it must fail at least once
 * (the site is new) and then succeed; FREE releases what it gave. */
#define FAILABLE(DECL, ALLOC, OK, FREE)                         \
    do {                                                        \
        int fails_ = 0, done_ = 0;                              \
        for (int i_ = 0; i_ < 8 && !done_; i_++) {              \
            DECL = ALLOC;                                       \
            if (OK) {                                           \
                FREE;                                           \
                done_ = 1;                                      \
            } else {                                            \
                fails_++;                                       \
            }                                                   \
        }                                                       \
        assert_true(fails_ >= 1);                               \
        assert_true(done_);                                     \
    } while (0)

/* ---- a registered NDIS miniport driver (no adapter needed) ---- */
static NDIS_HANDLE g_ndis;
static PDRIVER_OBJECT g_drv;
static NDIS_STATUS NicInit(NDIS_HANDLE h, NDIS_HANDLE dc, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)h, (void)dc, (void)ip;
    return NDIS_STATUS_FAILURE;
}
static void NicHalt(NDIS_HANDLE c, NDIS_HALT_ACTION a) { (void)c, (void)a; }
static void NicShutdown(NDIS_HANDLE c, NDIS_SHUTDOWN_ACTION a) { (void)c, (void)a; }
static void NicUnload(PDRIVER_OBJECT o) { NdisMDeregisterMiniportDriver(g_ndis), (void)o; }
static NTSTATUS NicEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    return mk_test_ndis_register_driver(o, r, NicInit, NicHalt, NicShutdown, NicUnload, &g_ndis);
}

static void boot_systematic(void)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_SYSTEMATIC_LOW_RESOURCES;
    assert_int_equal(mdlkit_init(&c), 0);
}

static void load_ndis(void)
{
    NTSTATUS st = STATUS_UNSUCCESSFUL;
    for (int i = 0; i < 16 && st != STATUS_SUCCESS; i++)
        st = mdlkit_driver_load("lowresnic", NicEntry, &g_drv);
    assert_int_equal(st, STATUS_SUCCESS);
}

static void timer_fn(PVOID a, PVOID b, PVOID c, PVOID d) { (void)a, (void)b, (void)c, (void)d; }

static void test_ndis_allocators_fail_under_low_resources(void **state)
{
    (void)state;
    boot_systematic();
    load_ndis();
    static UCHAR buf[64];
    PVOID mem = NULL;
    for (int i = 0; i < 8 && !mem; i++)
        mem = NdisAllocateMemoryWithTagPriority(g_ndis, 256, TAG, NormalPoolPriority);
    assert_non_null(mem);
    (void)buf;

    FAILABLE(PVOID p, NdisAllocateMemoryWithTagPriority(g_ndis, 64, TAG, NormalPoolPriority), p != NULL,
             NdisFreeMemoryWithTagPriority(g_ndis, p, TAG));
    FAILABLE(PMDL m, NdisAllocateMdl(g_ndis, mem, 256), m != NULL, NdisFreeMdl(m));

    NET_BUFFER_LIST_POOL_PARAMETERS lp;
    NdisZeroMemory(&lp, sizeof lp);
    lp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    lp.Header.Revision = NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.Header.Size = NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1;
    lp.fAllocateNetBuffer = TRUE;
    lp.PoolTag = TAG;
    FAILABLE(NDIS_HANDLE pl, NdisAllocateNetBufferListPool(g_ndis, &lp), pl != NULL, NdisFreeNetBufferListPool(pl));
    NDIS_HANDLE nblpool = NULL;
    for (int i = 0; i < 8 && !nblpool; i++)
        nblpool = NdisAllocateNetBufferListPool(g_ndis, &lp);
    assert_non_null(nblpool);
    FAILABLE(PNET_BUFFER_LIST l, NdisAllocateNetBufferList(nblpool, 0, 0), l != NULL, NdisFreeNetBufferList(l));
    FAILABLE(PNET_BUFFER_LIST l, NdisAllocateNetBufferAndNetBufferList(nblpool, 0, 0, NULL, 0, 0), l != NULL,
             NdisFreeNetBufferList(l));
    NdisFreeNetBufferListPool(nblpool);

    NET_BUFFER_POOL_PARAMETERS bp;
    NdisZeroMemory(&bp, sizeof bp);
    bp.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    bp.Header.Revision = NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    bp.Header.Size = NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1;
    bp.PoolTag = TAG;
    FAILABLE(NDIS_HANDLE pb, NdisAllocateNetBufferPool(g_ndis, &bp), pb != NULL, NdisFreeNetBufferPool(pb));
    NDIS_HANDLE nbpool = NULL;
    for (int i = 0; i < 8 && !nbpool; i++)
        nbpool = NdisAllocateNetBufferPool(g_ndis, &bp);
    assert_non_null(nbpool);
    FAILABLE(PNET_BUFFER b, NdisAllocateNetBuffer(nbpool, NULL, 0, 0), b != NULL, NdisFreeNetBuffer(b));
    NdisFreeNetBufferPool(nbpool);

    FAILABLE(PNDIS_GENERIC_OBJECT g, NdisAllocateGenericObject(g_drv, TAG, 16), g != NULL, NdisFreeGenericObject(g));

    NDIS_TIMER_CHARACTERISTICS tc;
    NdisZeroMemory(&tc, sizeof tc);
    tc.Header.Type = NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS;
    tc.Header.Revision = NDIS_TIMER_CHARACTERISTICS_REVISION_1;
    tc.Header.Size = NDIS_SIZEOF_TIMER_CHARACTERISTICS_REVISION_1;
    tc.AllocationTag = TAG;
    tc.TimerFunction = timer_fn;
    NDIS_HANDLE t = NULL;
    FAILABLE(NDIS_STATUS s, NdisAllocateTimerObject(g_ndis, &tc, &t), s == NDIS_STATUS_SUCCESS,
             NdisFreeTimerObject(t));
    FAILABLE(NDIS_HANDLE w, NdisAllocateIoWorkItem(g_ndis), w != NULL, NdisFreeIoWorkItem(w));

    NdisFreeMemoryWithTagPriority(g_ndis, mem, TAG);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* npcap 63140f37: a receive path allocated its buffer, then the MDL for it,
 * and returned without freeing the buffer when NdisAllocateMdl failed.
 * Systematic low resources now walks that path: the second pass fails the
 * MDL after the buffer succeeded. */
static int g_leak_path_taken, g_data_failures;
static PVOID g_leaked;
static __attribute__((noinline)) PMDL npcap_like_alloc_packet(void)
{
    PVOID data = NdisAllocateMemoryWithTagPriority(g_ndis, 128, TAG, NormalPoolPriority);
    if (!data) {
        g_data_failures++;
        return NULL;
    }
    PMDL mdl = NdisAllocateMdl(g_ndis, data, 128);
    if (!mdl) {
        g_leak_path_taken = 1; /* the bug: data is not freed here */
        g_leaked = data;
        return NULL;
    }
    return mdl;
}

static void test_npcap_leak_on_ndis_allocate_mdl_failure_is_reached(void **state)
{
    (void)state;
    boot_systematic();
    load_ndis();
    PMDL m = NULL;
    for (int i = 0; i < 4 && !m; i++)
        m = npcap_like_alloc_packet();
    if (!g_leak_path_taken)
        fail_msg("NdisAllocateMdl never failed (data failures %d)", g_data_failures);
    assert_non_null(m);
    PVOID data = MmGetMdlVirtualAddress(m);
    NdisFreeMdl(m);
    NdisFreeMemoryWithTagPriority(g_ndis, data, TAG);
    NdisFreeMemoryWithTagPriority(g_ndis, g_leaked, TAG); /* the test cleans up the driver's leak */
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

/* ---- a StorPort miniport ---- */
typedef struct sp_ext {
    ULONG unused;
} sp_ext;
static ULONG SpFind(PVOID e, PVOID c, PVOID b, PCHAR a, PPORT_CONFIGURATION_INFORMATION ci, PBOOLEAN r)
{
    (void)e, (void)c, (void)b, (void)a, (void)r;
    ci->NumberOfBuses = 1;
    ci->MaximumTransferLength = 64 * 1024;
    ci->ScatterGather = TRUE;
    ci->Master = TRUE;
    return SP_RETURN_FOUND;
}
static BOOLEAN SpInit(PVOID e) { return (void)e, TRUE; }
static BOOLEAN SpStartIo(PVOID e, PSCSI_REQUEST_BLOCK s)
{
    s->SrbStatus = SRB_STATUS_INVALID_REQUEST;
    StorPortNotification(RequestComplete, e, s);
    return TRUE;
}
static BOOLEAN SpReset(PVOID e, ULONG p) { return (void)e, (void)p, TRUE; }
static NTSTATUS SpEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    HW_INITIALIZATION_DATA hw;
    RtlZeroMemory(&hw, sizeof hw);
    hw.HwInitializationDataSize = sizeof hw;
    hw.AdapterInterfaceType = PCIBus;
    hw.HwFindAdapter = SpFind;
    hw.HwInitialize = SpInit;
    hw.HwStartIo = SpStartIo;
    hw.HwResetBus = SpReset;
    hw.DeviceExtensionSize = sizeof(sp_ext);
    hw.NumberOfAccessRanges = 1;
    return (NTSTATUS)StorPortInitialize(o, r, &hw, NULL);
}

/* StorPort under randomized low resources (0x4) at probability 10000 with a
 * tag filter: the adapter starts (StorPort's own tags are not selected),
 * then every StorPortAllocatePool of the miniport's tag and every
 * StorPortAllocateMdl ("MDL ") fails. (Systematic simulation is used for
 * NDIS above; StorPort's variadic entry makes call-site keys differ from
 * call to call in some builds, so the randomized form is used here.) */
static void test_storport_allocators_fail_under_low_resources(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_LOW_RESOURCES;
    c.fault_probability = 10000;
    c.fault_tags = "Lwrz,MDL?";
    assert_int_equal(mdlkit_init(&c), 0);
    PDRIVER_OBJECT drv = NULL;
    assert_int_equal(mdlkit_driver_load("lowresdisk", SpEntry, &drv), STATUS_SUCCESS);
    PVOID ext = NULL;
    assert_int_equal(mdlkit_storport_start_adapter(drv, &ext), STATUS_SUCCESS);
    PVOID buf = NULL;
    assert_int_equal(StorPortAllocatePool(ext, 4096, 'fuBx', &buf), STOR_STATUS_SUCCESS); /* not selected */
    PVOID p = (PVOID)1;
    assert_int_equal(StorPortAllocatePool(ext, 64, TAG, &p), STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(p);
    PVOID mdl = (PVOID)1;
    assert_int_equal(StorPortAllocateMdl(ext, buf, 4096, &mdl), STOR_STATUS_INSUFFICIENT_RESOURCES);
    assert_null(mdl);
    assert_int_equal(StorPortFreePool(ext, buf), STOR_STATUS_SUCCESS);
    assert_int_equal(mdlkit_storport_stop_adapter(ext), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(drv), STATUS_SUCCESS);
    mdlkit_shutdown();
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_ndis_allocators_fail_under_low_resources),
        cmocka_unit_test(test_npcap_leak_on_ndis_allocate_mdl_failure_is_reached),
        cmocka_unit_test(test_storport_allocators_fail_under_low_resources),
    };
    return cmocka_run_group_tests_name("low resources on every allocating DDI", t, NULL, NULL);
}
