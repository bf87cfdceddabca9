/*
 * test_virtio_blk: the virtio-blk device model on its own, driven through
 * the device-model API by a minimal virtqueue driver (vblk_direct.h):
 * configuration space and capabilities, the feature and status handshake,
 * IN/OUT/FLUSH/GET_ID/DISCARD on the RAM disk, the ISR register and line
 * interrupt, error injection, held and out-of-order completion, reset, and
 * DMA refusals (bus mastering off, addresses that are not memory).
 */
#include "testutil.h"
#include "vblk_direct.h"

static mdlkit_virtio_blk *g_blk;
static vd g_vd;

static int setup(void **state)
{
    if (mk_test_setup(state))
        return -1;
    mdlkit_virtio_blk_config c;
    memset(&c, 0, sizeof c);
    c.capacity_sectors = 4096;
    c.serial = "SERIAL-0123456789ABC"; /* exactly 20 bytes */
    g_blk = mdlkit_virtio_blk_create(&c);
    return g_blk ? 0 : -1;
}

static int teardown(void **state)
{
    vd_free(&g_vd);
    mdlkit_virtio_blk_destroy(g_blk);
    g_blk = NULL;
    return mk_test_teardown(state);
}

static void test_config_space(void **state)
{
    (void)state;
    mdlkit_pci_device *pci = mdlkit_virtio_blk_pci(g_blk);
    PCI_COMMON_CONFIG cfg;
    assert_int_equal(mdlkit_pci_config_read(pci, 0, &cfg, sizeof cfg), 256);
    assert_int_equal(cfg.VendorID, 0x1AF4);
    assert_int_equal(cfg.DeviceID, 0x1042);
    assert_true(cfg.Status & PCI_STATUS_CAPABILITIES_LIST);
    /* BAR 4 is a 64-bit memory BAR at the address the bus assigned */
    ULONG64 bar4 = (cfg.u.type0.BaseAddresses[4] & PCI_ADDRESS_MEMORY_ADDRESS_MASK) |
                   ((ULONG64)cfg.u.type0.BaseAddresses[5] << 32);
    assert_int_equal(cfg.u.type0.BaseAddresses[4] & PCI_ADDRESS_MEMORY_TYPE_MASK, PCI_TYPE_64BIT);
    assert_int_equal(bar4, mdlkit_pci_bar_address(pci, 4));
    /* capabilities: MSI-X, then common / ISR / device / notify */
    UCHAR types[8];
    int n = 0, msix = 0;
    for (UCHAR off = cfg.u.type0.CapabilitiesPtr; off && n < 8; off = ((UCHAR *)&cfg)[off + 1]) {
        UCHAR id = ((UCHAR *)&cfg)[off];
        if (id == PCI_CAPABILITY_ID_MSIX)
            msix = 1;
        else if (id == PCI_CAPABILITY_ID_VENDOR_SPECIFIC) {
            types[n++] = ((UCHAR *)&cfg)[off + 3];
            assert_int_equal(((UCHAR *)&cfg)[off + 4], 4); /* in BAR 4 */
        }
    }
    assert_true(msix);
    assert_int_equal(n, 4);
    assert_int_equal(types[0], 1);
    assert_int_equal(types[1], 3);
    assert_int_equal(types[2], 4);
    assert_int_equal(types[3], 2);
    /* registers are not decoded until memory space is enabled */
    ULONG64 v;
    assert_int_equal(mdlkit_pci_bar_read(pci, 4, 0x14, 1, &v), -1);
    /* read-only header fields stay */
    USHORT junk = 0xBEEF;
    mdlkit_pci_config_write(pci, 0, &junk, 2);
    mdlkit_pci_config_read(pci, 0, &junk, 2);
    assert_int_equal(junk, 0x1AF4);
}

static void test_block_requests(void **state)
{
    (void)state;
    assert_int_equal(vd_init(&g_vd, mdlkit_virtio_blk_pci(g_blk)), 0);
    assert_true(g_vd.features & (1ULL << 32)); /* VERSION_1 */
    assert_true(g_vd.features & (1ULL << 28)); /* INDIRECT_DESC */
    /* capacity in the device configuration */
    assert_int_equal(vd_r(&g_vd, 0x2000, 8), 4096);
    UCHAR *data = g_vd.data + 4096;
    for (int i = 0; i < 8192; i++)
        data[i] = (UCHAR)(i ^ 0x3C);
    assert_int_equal(vd_io(&g_vd, 1, 10, 8192), 0); /* OUT */
    assert_memory_equal(mdlkit_virtio_blk_disk(g_blk) + 10 * 512, data, 8192);
    memset(data, 0, 8192);
    assert_int_equal(vd_io(&g_vd, 0, 10, 8192), 0); /* IN */
    assert_memory_equal(data, mdlkit_virtio_blk_disk(g_blk) + 10 * 512, 8192);
    assert_int_equal(vd_io(&g_vd, 4, 0, 0), 0);     /* FLUSH */
    assert_int_equal(vd_io(&g_vd, 8, 0, 20), 0);    /* GET_ID */
    assert_memory_equal(data, "SERIAL-0123456789ABC", 20);
    /* DISCARD sectors 10..13 */
    ULONG64 sector = 10;
    ULONG count = 4, flags = 0;
    memcpy(data, &sector, 8);
    memcpy(data + 8, &count, 4);
    memcpy(data + 12, &flags, 4);
    assert_int_equal(vd_io(&g_vd, 11, 0, 16), 0);
    UCHAR zero[2048] = {0};
    assert_memory_equal(mdlkit_virtio_blk_disk(g_blk) + 10 * 512, zero, 2048);
    /* past the end of the disk */
    assert_int_equal(vd_io(&g_vd, 0, 4095, 1024), MDLKIT_VIRTIO_BLK_S_IOERR);
    /* an unknown type */
    assert_int_equal(vd_io(&g_vd, 99, 0, 0), MDLKIT_VIRTIO_BLK_S_UNSUPP);
    mdlkit_virtio_blk_stats st;
    mdlkit_virtio_blk_get_stats(g_blk, &st);
    assert_int_equal(st.writes, 1);
    assert_int_equal(st.reads, 2);
    assert_int_equal(st.flushes, 1);
    assert_int_equal(st.get_ids, 1);
    assert_int_equal(st.discards, 1);
    assert_int_equal(st.errors, 2);
    /* no MSI-X enabled: the line interrupt and the ISR register (read clears) */
    assert_int_equal(vd_r(&g_vd, 0x1000, 1) & 1, 1);
    assert_int_equal(vd_r(&g_vd, 0x1000, 1), 0);
}

static void test_injected_errors_and_holding(void **state)
{
    (void)state;
    assert_int_equal(vd_init(&g_vd, mdlkit_virtio_blk_pci(g_blk)), 0);
    mdlkit_virtio_blk_inject_error(g_blk, 1, MDLKIT_VIRTIO_BLK_S_IOERR, 2);
    memset(g_vd.data + 4096, 0x11, 512);
    assert_int_equal(vd_io(&g_vd, 0, 0, 512), 0);  /* reads are not affected */
    assert_int_equal(vd_io(&g_vd, 1, 0, 512), MDLKIT_VIRTIO_BLK_S_IOERR);
    assert_int_equal(vd_io(&g_vd, 1, 0, 512), MDLKIT_VIRTIO_BLK_S_IOERR);
    assert_int_equal(mdlkit_virtio_blk_disk(g_blk)[0], 0); /* the disk was not touched */
    memset(g_vd.data + 4096, 0x11, 512);
    assert_int_equal(vd_io(&g_vd, 1, 0, 512), 0);
    assert_int_equal(mdlkit_virtio_blk_disk(g_blk)[0], 0x11);
    /* held: the used ring does not move until the test completes it */
    mdlkit_virtio_blk_hold(g_blk, 1);
    vd_submit(&g_vd, 4, 0, 0);
    assert_int_equal(vd_used_idx(&g_vd), g_vd.used_seen);
    assert_int_equal(mdlkit_virtio_blk_held(g_blk), 1);
    assert_int_equal(mdlkit_virtio_blk_complete_held(g_blk, 5, 1), 1);
    assert_int_equal(vd_used_idx(&g_vd), (USHORT)(g_vd.used_seen + 1));
    mdlkit_virtio_blk_hold(g_blk, 0);
}

static void test_reset_and_dma_refusals(void **state)
{
    (void)state;
    mdlkit_pci_device *pci = mdlkit_virtio_blk_pci(g_blk);
    assert_int_equal(vd_init(&g_vd, pci), 0);
    /* features cannot be accepted without VERSION_1 */
    vd_w(&g_vd, 0x14, 1, 0);
    vd_w(&g_vd, 0x14, 1, 3);
    vd_w(&g_vd, 0x08, 4, 1);
    vd_w(&g_vd, 0x0C, 4, 0);
    vd_w(&g_vd, 0x14, 1, 3 | 8);
    assert_int_equal(vd_r(&g_vd, 0x14, 1) & 8, 0);
    /* DMA: refused with bus mastering off, and for addresses that are not memory */
    UCHAR b[16];
    USHORT cmd = 0x0002;
    mdlkit_pci_config_write(pci, 4, &cmd, 2);
    assert_int_equal(mdlkit_dma_read(pci, (ULONG64)g_vd.data_pa.QuadPart, b, sizeof b), -1);
    cmd = 0x0006;
    mdlkit_pci_config_write(pci, 4, &cmd, 2);
    assert_int_equal(mdlkit_dma_read(pci, (ULONG64)g_vd.data_pa.QuadPart, b, sizeof b), 0);
    assert_int_equal(mdlkit_dma_read(pci, 0x10, b, sizeof b), -1);
    assert_int_equal(mdlkit_dma_write(pci, mdlkit_pci_bar_address(pci, 4), b, sizeof b), -1);
    /* bad accesses to the BAR */
    ULONG64 v;
    assert_int_equal(mdlkit_pci_bar_read(pci, 4, 0x4000, 4, &v), -1);
    assert_int_equal(mdlkit_pci_bar_read(pci, 4, 0x3FFE, 4, &v), -1);
    assert_int_equal(mdlkit_pci_bar_read(pci, 4, 0, 3, &v), -1);
    assert_int_equal(mdlkit_pci_bar_read(pci, 3, 0, 4, &v), -1);
    mdlkit_virtio_blk_stats st;
    mdlkit_virtio_blk_get_stats(g_blk, &st);
    assert_true(st.resets >= 2);
}

static void test_bad_descriptions(void **state)
{
    (void)state;
    mdlkit_virtio_blk_config c;
    memset(&c, 0, sizeof c);
    assert_null(mdlkit_virtio_blk_create(&c)); /* no capacity */
    c.capacity_sectors = 8;
    c.queue_size = 100; /* not a power of two */
    assert_null(mdlkit_virtio_blk_create(&c));
    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.bars[5].kind = MDLKIT_BAR_MEMORY64; /* needs slot 6 */
    fn.bars[5].size = 4096;
    assert_null(mdlkit_pci_create(&fn));
    memset(&fn, 0, sizeof fn);
    fn.bars[0].kind = MDLKIT_BAR_MEMORY32;
    fn.bars[0].size = 1000; /* not a power of two */
    assert_null(mdlkit_pci_create(&fn));
    fn.bars[0].size = 4096;
    fn.msix_vectors = 4;
    fn.msix_table_offset = 4090; /* table outside the BAR */
    assert_null(mdlkit_pci_create(&fn));
    /* no MSI-X: the line interrupt, unless the command register disables it */
    mdlkit_pci_device *pci = mdlkit_virtio_blk_pci(g_blk);
    assert_int_equal(mdlkit_pci_interrupt(pci, 0), 0);
    USHORT cmd = PCI_DISABLE_LEVEL_INTERRUPT;
    mdlkit_pci_config_write(pci, 4, &cmd, 2);
    assert_int_equal(mdlkit_pci_interrupt(pci, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_injected_errors_and_holding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_and_dma_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_descriptions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
