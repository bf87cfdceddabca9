/*
 * fuzz_ramdisk.c -- fuzzes the SRB path of the example StorPort miniport
 * examples/ramdisk with fuzzed SRBs and CDBs, through the driver-fuzzing
 * API (include/mdlkit_fuzz.h). Each request goes through
 * mdlkit_storport_submit as the port driver sends it (an MDL for the data
 * buffer, HwBuildIo and HwStartIo at DISPATCH_LEVEL): fuzzed SRB function,
 * flags (data direction), CDB length and bytes (biased to the operations a
 * disk serves), transfer length, and data buffer (non-paged pool, or user
 * memory at any page offset).
 *
 * Restored before each input: the miniport's device extension.
 *
 * Input: [fault byte when MDLKIT_FUZZ_FAULTS=1] then up to 8 requests:
 *   u8 function choice, u8 flags choice, u8 CDB length choice, u8 opcode
 *   choice, 15 more CDB bytes, u32 transfer length, u8 buffer kind, u16
 *   page offset, then data bytes for writes.
 * Seeds: fuzz/corpus/fuzz_ramdisk (fuzz/gen_example_seeds.py).
 */
#include <mdlkit.h>
#include <storport.h>

#include <string.h>

#include "../examples/ramdisk/ramdisk.h"

DRIVER_INITIALIZE RamDiskDriverEntry; /* examples/ramdisk/ramdisk.c, DriverEntry renamed */

#define FR_MAX_REQUESTS 8
#define FR_MAX_LEN (RAMDISK_MAX_TRANSFER + 2 * RAMDISK_SECTOR_SIZE)
#define FR_POOL_TAG 'zFdR'
#define FR_COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct fr_ctx {
    PVOID hw;
    PUCHAR user; /* FR_MAX_LEN + PAGE_SIZE of user memory */
    PUCHAR pool; /* FR_MAX_LEN of non-paged pool */
} fr_ctx;
static fr_ctx fr;

static int fr_setup(PDRIVER_OBJECT driver, void **ctx)
{
    if (!NT_SUCCESS(mdlkit_storport_start_adapter(driver, &fr.hw)))
        return -1;
    fr.user = mdlkit_user_alloc(FR_MAX_LEN + PAGE_SIZE, PAGE_READWRITE);
    fr.pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, FR_MAX_LEN, FR_POOL_TAG);
    if (!fr.user || !fr.pool || mdlkit_fuzz_snapshot_pool(fr.hw) != 0)
        return -1;
    *ctx = &fr;
    return 0;
}

static void fr_teardown(PDRIVER_OBJECT driver, void *ctx)
{
    (void)driver;
    (void)ctx;
    mdlkit_storport_stop_adapter(fr.hw);
    mdlkit_user_free(fr.user);
    ExFreePoolWithTag(fr.pool, FR_POOL_TAG);
}

static void fr_input(void *ctx, mdlkit_fuzz_data *in)
{
    static const ULONG functions[] = {SRB_FUNCTION_EXECUTE_SCSI, SRB_FUNCTION_EXECUTE_SCSI, SRB_FUNCTION_EXECUTE_SCSI,
                                      SRB_FUNCTION_FLUSH, SRB_FUNCTION_SHUTDOWN, SRB_FUNCTION_RESET_BUS,
                                      SRB_FUNCTION_EXECUTE_SCSI, SRB_FUNCTION_FLUSH};
    static const ULONG flags[] = {SRB_FLAGS_DATA_IN, SRB_FLAGS_DATA_OUT, SRB_FLAGS_NO_DATA_TRANSFER,
                                  SRB_FLAGS_DATA_IN | SRB_FLAGS_DATA_OUT};
    static const ULONG cdb_lengths[] = {10, 6, 12, 16};
    static const ULONG opcodes[] = {SCSIOP_READ, SCSIOP_WRITE, SCSIOP_TEST_UNIT_READY, 0x12 /* INQUIRY */,
                                    0x25 /* READ CAPACITY */, 0x1A /* MODE SENSE(6) */, 0x35 /* SYNCHRONIZE CACHE */};
    fr_ctx *f = ctx;
    for (int r = 0; r < FR_MAX_REQUESTS && mdlkit_fuzz_remaining(in); r++) {
        SCSI_REQUEST_BLOCK srb;
        memset(&srb, 0, sizeof srb);
        srb.Length = sizeof srb;
        srb.Function = (UCHAR)mdlkit_fuzz_pick(in, functions, FR_COUNT(functions));
        srb.SrbFlags = mdlkit_fuzz_pick(in, flags, FR_COUNT(flags));
        srb.CdbLength = (UCHAR)mdlkit_fuzz_pick(in, cdb_lengths, FR_COUNT(cdb_lengths));
        UCHAR op = mdlkit_fuzz_u8(in);
        mdlkit_fuzz_bytes(in, srb.Cdb + 1, 15);
        srb.Cdb[0] = op < 224 ? (UCHAR)opcodes[op % FR_COUNT(opcodes)] : op;
        srb.DataTransferLength = (ULONG)mdlkit_fuzz_range(in, 0, FR_MAX_LEN);
        srb.TimeOutValue = 10;
        UCHAR kind = mdlkit_fuzz_u8(in);
        ULONG offset = (ULONG)mdlkit_fuzz_range(in, 0, PAGE_SIZE - 1);
        PUCHAR buf = (kind & 1) ? f->user + offset : f->pool;
        if (!srb.DataTransferLength || srb.SrbFlags == SRB_FLAGS_NO_DATA_TRANSFER)
            srb.DataBuffer = (kind & 2) ? buf : NULL;
        else
            srb.DataBuffer = buf;
        if (srb.DataBuffer && (srb.SrbFlags & SRB_FLAGS_DATA_OUT))
            mdlkit_fuzz_bytes(in, buf, srb.DataTransferLength < 512 ? srb.DataTransferLength : 512);
        NTSTATUS st = mdlkit_storport_submit(f->hw, &srb);
        if (st == STATUS_PENDING) {
            /* Not completed at once: deliver interrupts and let timers run;
             * a request the miniport still holds is completed by a bus reset
             * (as the port's timeout handling would), so no request outlives
             * the input (the SRB is on this stack). */
            for (int k = 0; k < 4 && mdlkit_storport_outstanding(f->hw); k++) {
                (void)mdlkit_storport_poll(f->hw);
                mdlkit_storport_advance_timers(f->hw, 1000000);
            }
            if (mdlkit_storport_outstanding(f->hw))
                (void)mdlkit_storport_reset(f->hw);
        }
    }
}

static mdlkit_fuzz_target fr_target = {
    .driver_name = "ramdisk",
    .driver_entry = RamDiskDriverEntry,
    .setup = fr_setup,
    .input = fr_input,
    .teardown = fr_teardown,
    .verifier_flags = MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE,
};

MDLKIT_FUZZ_LIBFUZZER(fr_target)
