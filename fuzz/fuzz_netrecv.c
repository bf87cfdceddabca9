/*
 * fuzz_netrecv.c -- fuzzes the receive path of the example NDIS miniport
 * examples/netrecv with fuzzed frames, through the driver-fuzzing API
 * (include/mdlkit_fuzz.h). The harness plays the NIC: per input it DMAs up
 * to a ring's worth of frames into the receive buffers through the
 * descriptors' physical addresses, with fuzzed contents, lengths, length
 * fields and checksums, completes the descriptors and raises the interrupt
 * (ISR, then DPC at DISPATCH_LEVEL). The protocol side reads every frame
 * indicated up.
 *
 * Restored before each input: the adapter context (the miniport's pool
 * block), the device's registers and the descriptor ring.
 *
 * Input: [fault byte when MDLKIT_FUZZ_FAULTS=1] then frames, each:
 *   u8 flags (bit0 address the station, bit1 honest checksum, bit2 honest
 *   length field), u16 length, [u16 length field], [u32 checksum], bytes.
 * Seeds: fuzz/corpus/fuzz_netrecv (fuzz/gen_example_seeds.py).
 */
#include <mdlkit.h>
#include <ndis.h>

#include <string.h>

#include "../examples/netrecv/netrecv.h"

DRIVER_INITIALIZE NetRecvDriverEntry; /* examples/netrecv/netrecv.c, DriverEntry renamed */

typedef struct fn_ctx {
    NETRECV_REGISTERS regs; /* the device's BAR */
    PVOID adapter;
    PNETRECV_DESCRIPTOR ring;
    ULONG indicated;
    ULONG sum; /* what the protocol side computed over the frames */
} fn_ctx;
static fn_ctx fn;

/* The protocol driver: reads every byte of each frame that comes up. */
static void fn_indicate(PVOID context, const UCHAR *frame, ULONG length)
{
    fn_ctx *f = context;
    for (ULONG i = 0; i < length; i++)
        f->sum = f->sum * 31 + frame[i];
    f->indicated++;
}

static NTSTATUS fn_entry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
    memset(&fn.regs, 0, sizeof fn.regs);
    static const UCHAR mac[6] = NETRECV_MAC_INIT;
    memcpy(fn.regs.StationAddress, mac, 6);
    NetRecvRegisters = &fn.regs;
    NetRecvIndicate = fn_indicate;
    NetRecvIndicateContext = &fn;
    return NetRecvDriverEntry(drv, reg);
}

static int fn_setup(PDRIVER_OBJECT driver, void **ctx)
{
    if (!NT_SUCCESS(mdlkit_ndis_start_adapter(driver, &fn.adapter)))
        return -1;
    PHYSICAL_ADDRESS pa;
    pa.QuadPart = (LONGLONG)fn.regs.RingBase;
    fn.ring = mdlkit_phys_to_va(pa);
    if (!fn.ring || fn.regs.RingSize != NETRECV_RING_SIZE)
        return -1;
    if (mdlkit_fuzz_snapshot_pool(mdlkit_ndis_adapter_context(fn.adapter)) != 0 ||
        mdlkit_fuzz_snapshot(&fn.regs, sizeof fn.regs) != 0 ||
        mdlkit_fuzz_snapshot(fn.ring, NETRECV_RING_SIZE * sizeof(NETRECV_DESCRIPTOR)) != 0)
        return -1;
    *ctx = &fn;
    return 0;
}

static void fn_teardown(PDRIVER_OBJECT driver, void *ctx)
{
    (void)driver;
    (void)ctx;
    mdlkit_ndis_halt_adapter(fn.adapter);
    NetRecvRegisters = NULL;
    NetRecvIndicate = NULL;
}

/* The device writes one frame into the descriptor at Head; 0 if the ring
 * is full. */
static int fn_receive(fn_ctx *f, mdlkit_fuzz_data *in)
{
    NETRECV_REGISTERS *r = &f->regs;
    PNETRECV_DESCRIPTOR d = &f->ring[r->Head % NETRECV_RING_SIZE];
    if (d->Status & NETRECV_DESC_DONE)
        return 0;
    UCHAR flags = mdlkit_fuzz_u8(in);
    ULONG len = (ULONG)mdlkit_fuzz_range(in, 0, NETRECV_BUFFER_SIZE);
    USHORT field = (flags & 4) ? (USHORT)len : mdlkit_fuzz_u16(in);
    UCHAR frame[NETRECV_BUFFER_SIZE];
    mdlkit_fuzz_bytes(in, frame, len);
    if ((flags & 1) && len >= 6)
        memcpy(frame, r->StationAddress, 6);
    ULONG sum = (flags & 2) ? NetRecvChecksum(frame, field <= len ? field : len) : mdlkit_fuzz_u32(in);
    /* DMA through the fragments' physical addresses, never past them */
    ULONG done = 0;
    for (int k = 0; k < 2 && done < len; k++) {
        ULONG n = d->FragmentLength[k];
        if (n > len - done)
            n = len - done;
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (LONGLONG)d->Fragment[k];
        PUCHAR va = n ? mdlkit_phys_to_va(pa) : NULL;
        if (!va)
            break;
        memcpy(va, frame + done, n);
        done += n;
    }
    d->FrameLength = field;
    d->Sequence = r->Head;
    d->Checksum = sum;
    __atomic_store_n(&d->Status, (USHORT)NETRECV_DESC_DONE, __ATOMIC_RELEASE);
    if (++r->Head == r->RingSize)
        r->Head = 0;
    return 1;
}

static void fn_input(void *ctx, mdlkit_fuzz_data *in)
{
    fn_ctx *f = ctx;
    while (mdlkit_fuzz_remaining(in)) {
        int any = 0;
        while (mdlkit_fuzz_remaining(in) && fn_receive(f, in))
            any = 1;
        if (!any)
            break;
        f->regs.InterruptCause |= NETRECV_INT_RX;
        if (f->regs.InterruptMask & NETRECV_INT_RX)
            (void)mdlkit_ndis_interrupt(f->adapter);
        else
            break;
    }
}

static mdlkit_fuzz_target fn_target = {
    .driver_name = "netrecv",
    .driver_entry = fn_entry,
    .setup = fn_setup,
    .input = fn_input,
    .teardown = fn_teardown,
    .verifier_flags = MDLKIT_VERIFY_POOL_TRACKING | MDLKIT_VERIFY_DDI_COMPLIANCE,
};

MDLKIT_FUZZ_LIBFUZZER(fn_target)
