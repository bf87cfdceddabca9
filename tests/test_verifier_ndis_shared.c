/* Pool Tracking (0x8) and NDIS shared memory: NdisMAllocateSharedMemory
 * blocks are tracked (charged to the miniport's driver, with the
 * allocating stack); one left at MiniportHaltEx is listed with its stack in
 * the JSON report's "leaks" when the halt reports it. */
#include "testutil.h"
#include "testndis.h"
#include <ndis.h>
#include <ntddk.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NIC_TAG 'hSvT'
#define SHARED_BYTES (2 * PAGE_SIZE)

static char g_report[64];
static int g_leak;
static NDIS_HANDLE g_driver_handle, g_ad;
static PDRIVER_OBJECT g_drv;

typedef struct nic {
    NDIS_HANDLE handle, dma;
    PVOID shared;
    NDIS_PHYSICAL_ADDRESS shared_pa;
} nic;

static void NicProcessSg(PDEVICE_OBJECT o, PVOID r, PSCATTER_GATHER_LIST l, PVOID c)
{
    (void)o, (void)r, (void)l, (void)c;
}

static __attribute__((noinline)) void shared_alloc_site(nic *n)
{
    NdisMAllocateSharedMemory(n->handle, SHARED_BYTES, TRUE, &n->shared, &n->shared_pa);
}

static NDIS_STATUS NicInitialize(NDIS_HANDLE h, NDIS_HANDLE dc, PNDIS_MINIPORT_INIT_PARAMETERS ip)
{
    (void)dc, (void)ip;
    nic *n = NdisAllocateMemoryWithTagPriority(h, sizeof *n, NIC_TAG, NormalPoolPriority);
    if (!n)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(n, sizeof *n);
    n->handle = h;
    if (mk_test_ndis_registration(h, n, NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER) !=
        NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    NDIS_SG_DMA_DESCRIPTION d;
    NdisZeroMemory(&d, sizeof d);
    d.Header.Type = NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION;
    d.Header.Revision = NDIS_SG_DMA_DESCRIPTION_REVISION_1;
    d.Header.Size = NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1;
    d.Flags = NDIS_SG_DMA_64_BIT_ADDRESS;
    d.MaximumPhysicalMapping = 0x10000;
    d.ProcessSGListHandler = NicProcessSg;
    if (NdisMRegisterScatterGatherDma(h, &d, &n->dma) != NDIS_STATUS_SUCCESS)
        return NDIS_STATUS_FAILURE;
    shared_alloc_site(n);
    return n->shared ? NDIS_STATUS_SUCCESS : NDIS_STATUS_RESOURCES;
}

static void NicHalt(NDIS_HANDLE ctx, NDIS_HALT_ACTION ha)
{
    (void)ha;
    nic *n = ctx;
    if (!g_leak)
        NdisMFreeSharedMemory(n->handle, SHARED_BYTES, TRUE, n->shared, n->shared_pa);
    NdisMDeregisterScatterGatherDma(n->dma);
    NdisFreeMemoryWithTagPriority(n->handle, n, NIC_TAG);
}

static void NicShutdown(NDIS_HANDLE ctx, NDIS_SHUTDOWN_ACTION sa) { (void)ctx, (void)sa; }
static void NicUnload(PDRIVER_OBJECT o)
{
    (void)o;
    NdisMDeregisterMiniportDriver(g_driver_handle);
}

static NTSTATUS NicDriverEntry(PDRIVER_OBJECT o, PUNICODE_STRING r)
{
    return mk_test_ndis_register_driver(o, r, NicInitialize, NicHalt, NicShutdown, NicUnload, &g_driver_handle);
}

static void boot(int leak)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.physical_memory = (size_t)64 << 20;
    c.verifier_flags = MDLKIT_VERIFY_POOL_TRACKING;
    snprintf(g_report, sizeof g_report, "/tmp/mdlkit_vns_%d.json", (int)getpid());
    c.report_path = g_report;
    assert_int_equal(mdlkit_init(&c), 0);
    g_leak = leak;
    assert_int_equal(mdlkit_driver_load("sharednic", NicDriverEntry, &g_drv), STATUS_SUCCESS);
    assert_int_equal(mdlkit_ndis_start_adapter(g_drv, &g_ad), STATUS_SUCCESS);
}

static char *read_report(void)
{
    static char text[1 << 16];
    assert_int_equal(mdlkit_report_write(NULL), 0);
    FILE *f = fopen(g_report, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    return text;
}

static void do_halt(void *a) { mdlkit_ndis_halt_adapter(a); }

static void test_shared_memory_left_at_halt_is_listed_with_stack(void **state)
{
    (void)state;
    boot(1);
    mk_expect_bugcheck(do_halt, g_ad, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_SHARED_MEMORY_LEAK, MK_ANY,
                       1, g_ad);
    const char *text = read_report();
    const char *l = strstr(text, "\"kind\": \"shared_memory\", \"driver\": \"sharednic\"");
    assert_non_null(l);
    assert_non_null(strstr(l, "\"size\": 8192"));
    assert_non_null(strstr(l, "shared_alloc_site"));
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS); /* nothing else outstanding */
    mdlkit_shutdown();
    unlink(g_report);
}

static void test_freed_shared_memory_is_not_a_leak(void **state)
{
    (void)state;
    boot(0);
    assert_int_equal(mdlkit_ndis_halt_adapter(g_ad), STATUS_SUCCESS);
    assert_int_equal(mdlkit_driver_unload(g_drv), STATUS_SUCCESS);
    const char *text = read_report();
    assert_null(strstr(text, "shared_memory"));
    mdlkit_shutdown();
    unlink(g_report);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_shared_memory_left_at_halt_is_listed_with_stack),
        cmocka_unit_test(test_freed_shared_memory_is_not_a_leak),
    };
    return cmocka_run_group_tests_name("Pool Tracking: NDIS shared memory", t, NULL, NULL);
}
