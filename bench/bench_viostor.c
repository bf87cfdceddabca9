/*
 * bench_viostor -- virtio-win's viostor on the virtio-blk model, against the
 * same model driven directly (tests/vblk_direct.h: one split virtqueue,
 * polled, no StorPort, no SRBs, no MDLs).
 *
 * Rows (per checker setting: off, and the standard verifier options):
 *   4 KiB random reads  -- ns per request and IOPS (1e9 / ns)
 *   1 MiB sequential reads -- ns per request and MB/s
 * ratio = viostor time / direct time (the cost of the port, the miniport
 * and the checker over the device's own work). No target (DESIGN.md sets
 * none for this path).
 *
 * Environment: MDLKIT_BENCH_REPS (default 5).
 */
#include "bench_common.h"
#include "../tests/vblk_direct.h"

#include <mdlkit.h>
#include <scsi.h>
#include <storport.h>

#ifdef MDLKIT_HAVE_VIOSTOR

ULONG DriverEntry(PVOID DriverObject, PVOID RegistryPath);

#define DISK_SECTORS ((ULONG64)131072) /* 64 MiB */
#define N_SMALL 4000
#define N_LARGE 64

static PVOID g_ext;
static vd g_vd;
static UCHAR *g_buf;
static ULONG g_seed = 1;

static ULONG rnd(void)
{
    g_seed = g_seed * 1103515245u + 12345u;
    return (g_seed >> 8) & 0xFFFFFF;
}

static void read16(mdlkit_scsi_request *r, ULONG64 lba, ULONG blocks, void *buf)
{
    memset(r, 0, sizeof *r);
    r->cdb[0] = SCSIOP_READ16;
    for (int i = 0; i < 8; i++)
        r->cdb[2 + i] = (UCHAR)(lba >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        r->cdb[10 + i] = (UCHAR)(blocks >> (24 - 8 * i));
    r->cdb_length = 16;
    r->direction = MDLKIT_SCSI_DATA_IN;
    r->data = buf;
    r->data_length = blocks * 512;
}

static double viostor_small(void *arg)
{
    (void)arg;
    mdlkit_scsi_request r;
    double t0 = bench_now_ns();
    for (int i = 0; i < N_SMALL; i++) {
        read16(&r, (rnd() % (DISK_SECTORS / 8)) * 8, 8, g_buf);
        if (mdlkit_storport_scsi(g_ext, &r) != STATUS_SUCCESS)
            abort();
    }
    return (bench_now_ns() - t0) / N_SMALL;
}

static double direct_small(void *arg)
{
    (void)arg;
    double t0 = bench_now_ns();
    for (int i = 0; i < N_SMALL; i++)
        if (vd_io(&g_vd, 0, (rnd() % (DISK_SECTORS / 8)) * 8, 4096) != 0)
            abort();
    return (bench_now_ns() - t0) / N_SMALL;
}

static double viostor_large(void *arg)
{
    (void)arg;
    mdlkit_scsi_request r;
    static ULONG64 lba;
    double t0 = bench_now_ns();
    for (int i = 0; i < N_LARGE; i++) {
        read16(&r, lba, 2048, g_buf);
        if (mdlkit_storport_scsi(g_ext, &r) != STATUS_SUCCESS)
            abort();
        lba = (lba + 2048) % DISK_SECTORS;
    }
    return (bench_now_ns() - t0) / N_LARGE;
}

static double direct_large(void *arg)
{
    (void)arg;
    static ULONG64 lba;
    double t0 = bench_now_ns();
    for (int i = 0; i < N_LARGE; i++) {
        if (vd_io(&g_vd, 0, lba, 1u << 20) != 0)
            abort();
        lba = (lba + 2048) % DISK_SECTORS;
    }
    return (bench_now_ns() - t0) / N_LARGE;
}

static int run(ULONG verifier, const char *label, int reps)
{
    mdlkit_config c;
    mdlkit_config_default(&c);
    c.physical_memory = (size_t)512 << 20;
    c.verifier_flags = verifier;
    c.quiet = 1;
    c.report_path = NULL;
    if (mdlkit_init(&c))
        return 1;
    mdlkit_virtio_blk_config vc;
    memset(&vc, 0, sizeof vc);
    vc.capacity_sectors = DISK_SECTORS;
    vc.seg_max = 512;
    mdlkit_virtio_blk *blk = mdlkit_virtio_blk_create(&vc);
    mdlkit_virtio_blk *blk2 = mdlkit_virtio_blk_create(&vc);
    PDRIVER_OBJECT drv;
    if (!blk || !blk2 || mdlkit_driver_load("viostor", (PDRIVER_INITIALIZE)(void *)DriverEntry, &drv) ||
        mdlkit_storport_start_device(drv, mdlkit_virtio_blk_pci(blk), &g_ext)) {
        fprintf(stderr, "bench_viostor: viostor did not start\n");
        return 1;
    }
    mdlkit_storport_lun lun;
    if (mdlkit_storport_enumerate_lun(g_ext, 0, 0, 0, &lun) || vd_init(&g_vd, mdlkit_virtio_blk_pci(blk2)))
        return 1;
    g_buf = malloc((1u << 20) + 4096);
    memset(g_buf, 0, (1u << 20) + 4096);

    bench_case small[2] = {{"viostor + StorPort, 4 KiB read", viostor_small, NULL, 0, {0}},
                           {"model driven directly, 4 KiB read", direct_small, NULL, 0, {0}}};
    bench_interleave(small, 2, reps);
    char title[128];
    snprintf(title, sizeof title, "4 KiB random reads, checker %s", label);
    bench_detail(stdout, title, small, 2);
    double v = bench_median(&small[0]), d = bench_median(&small[1]);
    printf("  IOPS: viostor %.0f, direct %.0f\n", 1e9 / v, 1e9 / d);
    char row[128];
    snprintf(row, sizeof row, "viostor 4 KiB random read, checker %s (%.0f IOPS)", label, 1e9 / v);
    bench_row_cases(row, &small[0], &small[1], "", "-");

    bench_case large[2] = {{"viostor + StorPort, 1 MiB read", viostor_large, NULL, 0, {0}},
                           {"model driven directly, 1 MiB read", direct_large, NULL, 0, {0}}};
    bench_interleave(large, 2, reps);
    snprintf(title, sizeof title, "1 MiB sequential reads, checker %s", label);
    bench_detail(stdout, title, large, 2);
    v = bench_median(&large[0]);
    d = bench_median(&large[1]);
    printf("  MB/s: viostor %.0f, direct %.0f\n", 1048576.0 / v * 1e9 / 1e6, 1048576.0 / d * 1e9 / 1e6);
    snprintf(row, sizeof row, "viostor 1 MiB sequential read, checker %s (%.0f MB/s)", label,
             1048576.0 / v * 1e9 / 1e6);
    bench_row_cases(row, &large[0], &large[1], "", "-");

    mdlkit_storport_stop_adapter(g_ext);
    mdlkit_driver_unload(drv);
    vd_free(&g_vd);
    mdlkit_virtio_blk_destroy(blk);
    mdlkit_virtio_blk_destroy(blk2);
    free(g_buf);
    mdlkit_shutdown();
    return 0;
}

int main(void)
{
    int reps = bench_reps(5);
    if (run(0, "off", reps))
        return 1;
    return run(MDLKIT_VERIFY_STANDARD, "standard", reps);
}

#else
int main(void)
{
    fprintf(stderr, "bench_viostor: built without the viostor sources\n");
    return 0;
}
#endif
