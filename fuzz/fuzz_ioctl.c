/*
 * fuzz_ioctl.c -- fuzzes the device-control path of the example WDM driver
 * examples/ioctl ("mdlfill") through the driver-fuzzing API
 * (include/mdlkit_fuzz.h), as a user-mode program would reach it: a handle
 * on its device and DeviceIoControl requests in all four transfer methods
 * (the driver's two codes, each also re-encoded as METHOD_BUFFERED,
 * METHOD_IN_DIRECT, METHOD_OUT_DIRECT and METHOD_NEITHER, and raw codes),
 * with fuzzed lengths and buffers: host memory (the I/O manager copies it),
 * user memory at any page offset, read-only user memory, or no buffer.
 *
 * Input: [fault byte when MDLKIT_FUZZ_FAULTS=1] then up to 8 requests:
 *   u8 code choice, u16 input length, u16 output length, u8 buffer kind,
 *   u16 page offset, then the input bytes.
 * Seeds: fuzz/corpus/fuzz_ioctl (fuzz/gen_example_seeds.py).
 */
#include <mdlkit.h>

#include <string.h>

#include "../examples/ioctl/ioctl.h"

DRIVER_INITIALIZE MdlFillDriverEntry; /* examples/ioctl/ioctl.c, DriverEntry renamed */

#define FI_MAX_REQUESTS 8
#define FI_MAX_LEN (3 * PAGE_SIZE)

typedef struct fi_ctx {
    HANDLE h;
    PUCHAR user;     /* 2 * FI_MAX_LEN + PAGE_SIZE of read-write user memory */
    PUCHAR readonly; /* the same, read-only */
    UCHAR host_in[FI_MAX_LEN], host_out[FI_MAX_LEN];
} fi_ctx;
static fi_ctx fi;

static int fi_setup(PDRIVER_OBJECT driver, void **ctx)
{
    fi.h = mdlkit_fuzz_open_device(driver->DeviceObject);
    fi.user = mdlkit_user_alloc(2 * FI_MAX_LEN + PAGE_SIZE, PAGE_READWRITE);
    fi.readonly = mdlkit_user_alloc(2 * FI_MAX_LEN + PAGE_SIZE, PAGE_READONLY);
    if (!fi.h || !fi.user || !fi.readonly || mdlkit_fuzz_snapshot_devices(driver) < 1)
        return -1;
    *ctx = &fi;
    return 0;
}

static void fi_teardown(PDRIVER_OBJECT driver, void *ctx)
{
    (void)driver;
    (void)ctx;
    mdlkit_close(fi.h);
    mdlkit_user_free(fi.user);
    mdlkit_user_free(fi.readonly);
}

static ULONG fi_code(mdlkit_fuzz_data *in)
{
    static const ULONG functions[] = {0x900, 0x901};
    UCHAR c = mdlkit_fuzz_u8(in);
    switch (c % 4) {
    case 0:
        return IOCTL_MDLFILL_FILL;
    case 1:
        return IOCTL_MDLFILL_CHECKSUM;
    case 2: /* a code of the driver in another transfer method */
        return CTL_CODE(FILE_DEVICE_UNKNOWN, functions[(c >> 2) & 1], (c >> 3) & 3, FILE_ANY_ACCESS);
    default:
        return mdlkit_fuzz_u32(in);
    }
}

static void fi_input(void *ctx, mdlkit_fuzz_data *in)
{
    fi_ctx *f = ctx;
    for (int r = 0; r < FI_MAX_REQUESTS && mdlkit_fuzz_remaining(in); r++) {
        ULONG code = fi_code(in);
        ULONG in_len = (ULONG)mdlkit_fuzz_range(in, 0, FI_MAX_LEN);
        ULONG out_len = (ULONG)mdlkit_fuzz_range(in, 0, FI_MAX_LEN);
        UCHAR kind = mdlkit_fuzz_u8(in) % 4;
        ULONG offset = (ULONG)mdlkit_fuzz_range(in, 0, PAGE_SIZE - 1);
        void *inb = NULL, *outb = NULL;
        switch (kind) {
        case 0: /* host buffers: the I/O manager copies them into user memory */
            mdlkit_fuzz_bytes(in, f->host_in, in_len);
            inb = f->host_in;
            outb = f->host_out;
            break;
        case 1: /* user memory at any page offset, passed in place */
            inb = f->user + offset;
            outb = f->user + offset + FI_MAX_LEN;
            mdlkit_fuzz_bytes(in, inb, in_len);
            break;
        case 2: /* read-only user memory: the probes for write must fail */
            inb = f->readonly + offset;
            outb = f->readonly + offset + FI_MAX_LEN;
            break;
        default: /* no buffers at all, whatever the lengths say */
            break;
        }
        ULONG_PTR info = 0;
        (void)mdlkit_ioctl(f->h, code, inb, in_len, outb, out_len, &info);
    }
}

static mdlkit_fuzz_target fi_target = {
    .driver_name = "mdlfill",
    .driver_entry = MdlFillDriverEntry,
    .setup = fi_setup,
    .input = fi_input,
    .teardown = fi_teardown,
    .verifier_flags = MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE,
};

MDLKIT_FUZZ_LIBFUZZER(fi_target)
