/*
 * bench_netvmini.c -- frames per second through Microsoft's netvmini NDIS
 * miniport (the unmodified 6.0 build, tests/netvmini/netvmini.cmake) hosted
 * by mdlkit: adapter A sends a chain of frames to adapter B; one operation is
 * one frame sent (MiniportSendNetBufferLists), completed
 * (NdisMSendNetBufferListsComplete), received (NdisMIndicateReceiveNetBufferLists,
 * data copied by the harness) and returned (MiniportReturnNetBufferLists).
 * 64-byte and 1514-byte frames, checker off and MDLKIT_VERIFIER=standard.
 * The baseline is the floor of moving a frame at all: malloc, memcpy of the
 * frame, free. The rows have no target (DESIGN.md sets none); the detail
 * lines give frames per second.
 */
#include "bench_common.h"

#include <mdlkit.h>
#include <ndis.h>

#ifdef MDLKIT_NETVMINI_BUILD

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);

#define BATCH 64
#define ROUNDS 16
#define WAIT_MS 30000

static const UCHAR MAC_A[6] = {0x02, 0x50, 0xF2, 0x00, 0x00, 0x0A};
static const UCHAR MAC_B[6] = {0x02, 0x50, 0xF2, 0x00, 0x00, 0x0B};

typedef struct bn {
    PDRIVER_OBJECT drv;
    PVOID a, b;
    ULONG size;
    PNET_BUFFER_LIST nbl[BATCH];
    UCHAR frame[1514];
} bn;

static PVOID bn_start(PDRIVER_OBJECT drv, const UCHAR mac[6])
{
    mdlkit_ndis_config_value v;
    memset(&v, 0, sizeof v);
    v.keyword = "NetvminiMacAddress";
    v.type = NdisParameterBinary;
    v.binary = mac;
    v.binary_length = 6;
    mdlkit_ndis_adapter_params p = {&v, 1};
    PVOID ad = NULL;
    if (mdlkit_ndis_start_adapter_ex(drv, &p, &ad) != STATUS_SUCCESS) {
        fprintf(stderr, "bench_netvmini: adapter start failed\n");
        exit(1);
    }
    ULONG filter = NDIS_PACKET_TYPE_DIRECTED;
    mdlkit_ndis_oid_result r;
    mdlkit_ndis_oid(ad, NdisRequestSetInformation, OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof filter, 0, WAIT_MS,
                    &r);
    return ad;
}

static void bn_up(bn *b, ULONG verifier)
{
    mdlkit_config c;
    mdlkit_config_default(&c);
    c.verifier_flags = verifier;
    c.quiet = 1;
    c.report_path = NULL;
    if (mdlkit_init(&c) != 0 || mdlkit_driver_load("netvmini", DriverEntry, &b->drv) != STATUS_SUCCESS) {
        fprintf(stderr, "bench_netvmini: machine or driver load failed\n");
        exit(1);
    }
    b->a = bn_start(b->drv, MAC_A);
    b->b = bn_start(b->drv, MAC_B);
}

static void bn_down(bn *b)
{
    mdlkit_ndis_halt_adapter(b->a);
    mdlkit_ndis_halt_adapter(b->b);
    mdlkit_driver_unload(b->drv);
    mdlkit_shutdown();
}

/* ns per frame: ROUNDS chains of BATCH frames A -> B, everything completed,
 * received and returned. The NBLs are built once per call, outside the
 * timed loop, and re-sent each round. */
static double bn_run(void *arg)
{
    bn *b = arg;
    memcpy(b->frame, MAC_B, 6);
    memcpy(b->frame + 6, MAC_A, 6);
    for (int i = 0; i < BATCH; i++)
        b->nbl[i] = mdlkit_ndis_build_nbl(b->a, b->frame, b->size, 0);
    double t0 = bench_now_ns();
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < BATCH; i++)
            NET_BUFFER_LIST_NEXT_NBL(b->nbl[i]) = i + 1 < BATCH ? b->nbl[i + 1] : NULL;
        mdlkit_ndis_send(b->a, b->nbl[0], 0);
        for (int i = 0; i < BATCH; i++) {
            if (!mdlkit_ndis_send_completed(b->a, WAIT_MS, NULL)) {
                fprintf(stderr, "bench_netvmini: a send did not complete\n");
                exit(1);
            }
            mdlkit_ndis_frame *f = mdlkit_ndis_receive(b->b, WAIT_MS);
            if (!f) {
                fprintf(stderr, "bench_netvmini: a frame did not arrive\n");
                exit(1);
            }
            mdlkit_ndis_release(b->b, f);
        }
    }
    double ns = (bench_now_ns() - t0) / (ROUNDS * BATCH);
    for (int i = 0; i < BATCH; i++)
        mdlkit_ndis_free_nbl(b->nbl[i]);
    return ns;
}

static double base_copy(void *arg)
{
    bn *b = arg;
    double t0 = bench_now_ns();
    for (int r = 0; r < ROUNDS * BATCH; r++) {
        void *p = malloc(b->size);
        memcpy(p, b->frame, b->size);
        bench_use(p);
        free(p);
    }
    return (bench_now_ns() - t0) / (ROUNDS * BATCH);
}

int main(void)
{
    static bn b;
    int reps = bench_reps(9);
    static const struct {
        ULONG verifier;
        const char *name;
    } modes[] = {{0, "checker off"}, {MDLKIT_VERIFY_STANDARD, "standard"}};
    static const ULONG sizes[] = {64, 1514};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        bn_up(&b, modes[m].verifier);
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            b.size = sizes[s];
            bench_case c[2] = {{"netvmini A->B", bn_run, &b, 0, {0}}, {"malloc+memcpy+free", base_copy, &b, 0, {0}}};
            bench_interleave(c, 2, reps);
            char title[128], row[128];
            snprintf(title, sizeof title, "netvmini A->B, %lu-byte frames, %s (per frame)", (unsigned long)sizes[s],
                     modes[m].name);
            bench_detail(stdout, title, c, 2);
            double med = bench_median(&c[0]);
            printf("  frames per second: %.0f\n", med > 0 ? 1e9 / med : 0);
            snprintf(row, sizeof row, "netvmini A->B %lu B frame, %s", (unsigned long)sizes[s], modes[m].name);
            bench_row_cases(row, &c[0], &c[1], "", "-");
        }
        bn_down(&b);
    }
    return 0;
}

#else

int main(void)
{
    printf("bench_netvmini: netvmini is not built here (needs ../shared/drivers/netvmini and clang)\n");
    return 0;
}

#endif
