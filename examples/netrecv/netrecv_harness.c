/*
 * netrecv_harness.c -- plays the NIC and the protocol driver for the
 * "netrecv" example miniport (netrecv.c): loads it, starts the adapter,
 * then, as the device, writes Ethernet frames of every size into the
 * receive buffers through their PHYSICAL addresses (mdlkit_phys_to_va of
 * the descriptors' fragments, the ring itself found by its physical
 * address in the register block), completes the descriptors and raises the
 * interrupt (mdlkit_ndis_interrupt). Bursts of up to the ring size make the
 * ring wrap; some frames are corrupted or addressed to another station and
 * must be dropped. Every frame that goes up is checked byte for byte
 * against what the device sent. Then it halts the adapter and unloads the
 * driver.
 */
#include <mdlkit.h>
#include <ndis.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../examples.h"
#include "netrecv.h"

#define NR_BAD_EVERY 40u /* every 40th frame is corrupted on the wire */

typedef struct nr_state {
    NETRECV_REGISTERS regs;     /* the device's BAR */
    ULONG seed;
    ULONG sent_good;            /* frames the driver must indicate, in order */
    ULONG expect_seq;           /* sequence of the next good frame to come up */
    ULONG64 bytes;
    ULONG indicated, mismatched;
    ULONG sequence;
} nr_state;

static ULONG nr_rand(ULONG *s)
{
    ULONG x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Frame `seq`: its length and bytes are a function of seq alone, so the
 * protocol side can rebuild it to compare. */
static ULONG nr_frame(ULONG seq, const UCHAR *mac, UCHAR *out)
{
    ULONG s = seq * 2654435761u + 1;
    if (!s)
        s = 1;
    ULONG len = NETRECV_MIN_FRAME + nr_rand(&s) % (NETRECV_MAX_FRAME - NETRECV_MIN_FRAME + 1);
    if (seq % 7 == 3)
        memset(out, 0xFF, 6); /* broadcast */
    else
        memcpy(out, mac, 6);
    static const UCHAR src[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    memcpy(out + 6, src, 6);
    out[12] = 0x08; /* IPv4 */
    out[13] = 0x00;
    out[14] = (UCHAR)(seq >> 24);
    out[15] = (UCHAR)(seq >> 16);
    out[16] = (UCHAR)(seq >> 8);
    out[17] = (UCHAR)seq;
    for (ULONG i = 18; i < len; i++)
        out[i] = (UCHAR)nr_rand(&s);
    return len;
}

/* The protocol driver: every frame that comes up must be the next good one
 * the device sent, byte for byte. */
static void nr_indicate(PVOID Context, const UCHAR *Frame, ULONG Length)
{
    nr_state *st = Context;
    UCHAR want[NETRECV_MAX_FRAME];
    ULONG seq = Length >= 18 ? ((ULONG)Frame[14] << 24) | ((ULONG)Frame[15] << 16) | ((ULONG)Frame[16] << 8) | Frame[17]
                             : 0;
    ULONG len = nr_frame(seq, st->regs.StationAddress, want);
    if (seq != st->expect_seq || len != Length || memcmp(want, Frame, len) != 0) {
        if (st->mismatched++ < 5)
            fprintf(stderr, "netrecv harness: frame %u (%u bytes) came up, expected frame %u intact\n", seq, Length,
                    st->expect_seq);
    } else {
        st->bytes += Length;
    }
    st->indicated++;
    st->expect_seq = seq + 1;
    /* the frames the device corrupted or addressed elsewhere never come up */
    while (st->expect_seq % NR_BAD_EVERY == NR_BAD_EVERY - 1 || st->expect_seq % 11 == 5)
        st->expect_seq++;
}

/* The device: DMA one frame into the descriptor at Head. Returns 0 if the
 * ring is full (the driver has not returned the descriptor yet), -1 on a
 * bad descriptor. */
static int nr_device_receive(nr_state *st, PNETRECV_DESCRIPTOR ring, ULONG seq, ULONG *wrapped)
{
    NETRECV_REGISTERS *r = &st->regs;
    PNETRECV_DESCRIPTOR d = &ring[r->Head];
    if (d->Status & NETRECV_DESC_DONE)
        return 0;
    UCHAR frame[NETRECV_MAX_FRAME];
    ULONG len = nr_frame(seq, r->StationAddress, frame);
    if (seq % 11 == 5)
        frame[5] ^= 0x40; /* another station's unicast address */
    ULONG sum = NetRecvChecksum(frame, len);
    if (seq % NR_BAD_EVERY == NR_BAD_EVERY - 1)
        frame[len / 2] ^= 0x5A; /* corrupted on the wire: the checksum no longer matches */
    /* write through the physical address of each fragment */
    ULONG done = 0;
    for (int f = 0; f < 2 && done < len; f++) {
        ULONG n = d->FragmentLength[f];
        if (n > len - done)
            n = len - done;
        PHYSICAL_ADDRESS pa;
        pa.QuadPart = (LONGLONG)d->Fragment[f];
        PUCHAR va = n ? mdlkit_phys_to_va(pa) : NULL;
        if (n && !va) {
            fprintf(stderr, "netrecv harness: descriptor %u fragment %d: physical 0x%llx is not RAM\n", r->Head, f,
                    (unsigned long long)pa.QuadPart);
            return -1;
        }
        memcpy(va, frame + done, n);
        done += n;
    }
    if (done < len) {
        fprintf(stderr, "netrecv harness: descriptor %u has room for %u bytes only\n", r->Head, done);
        return -1;
    }
    d->FrameLength = (USHORT)len;
    d->Sequence = seq;
    d->Checksum = sum;
    __atomic_store_n(&d->Status, (USHORT)NETRECV_DESC_DONE, __ATOMIC_RELEASE);
    if (++r->Head == r->RingSize) {
        r->Head = 0;
        (*wrapped)++;
    }
    return 1;
}

int mdlkit_example_netrecv_run(ULONG requests, ULONG debug_flags, mdlkit_example_stats *st)
{
    memset(st, 0, sizeof *st);
    st->example = "netrecv";
    st->driver = "netrecv";
    /* The device state stays reachable: a bug check may unwind out of this
     * function (mdlkit_catch_bugcheck). */
    static nr_state *nr_dev;
    free(nr_dev);
    nr_state *dev = nr_dev = calloc(1, sizeof *dev);
    if (!dev)
        return -1;
    dev->seed = 0x6B8B4567u;
    NetRecvDebugFlags = debug_flags;
    NetRecvRegisters = &dev->regs;
    NetRecvIndicate = nr_indicate;
    NetRecvIndicateContext = dev;

    PDRIVER_OBJECT drv = NULL;
    PVOID adapter = NULL;
    NTSTATUS s = mdlkit_driver_load(st->driver, NetRecvDriverEntry, &drv);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "netrecv harness: DriverEntry failed with 0x%08x\n", (unsigned)s);
        return -1;
    }
    s = mdlkit_ndis_start_adapter(drv, &adapter);
    if (!NT_SUCCESS(s)) {
        fprintf(stderr, "netrecv harness: the adapter did not start (0x%08x)\n", (unsigned)s);
        mdlkit_driver_unload(drv);
        return -1;
    }
    PHYSICAL_ADDRESS ring_pa;
    ring_pa.QuadPart = (LONGLONG)dev->regs.RingBase;
    PNETRECV_DESCRIPTOR ring = mdlkit_phys_to_va(ring_pa);
    int broken = !ring || dev->regs.RingSize != NETRECV_RING_SIZE || !dev->regs.Enable;
    if (broken)
        fprintf(stderr, "netrecv harness: the driver did not program the device (ring 0x%llx, %u descriptors)\n",
                (unsigned long long)ring_pa.QuadPart, dev->regs.RingSize);

    ULONG wraps = 0, dropped = 0, interrupts = 0, ring_full = 0;
    ULONG seq = 0;
    dev->expect_seq = 0;
    while (dev->expect_seq % NR_BAD_EVERY == NR_BAD_EVERY - 1 || dev->expect_seq % 11 == 5)
        dev->expect_seq++;
    while (!broken && seq < requests) {
        /* a burst: up to the whole ring, so that the ring wraps */
        ULONG burst = 1 + nr_rand(&dev->seed) % NETRECV_RING_SIZE;
        ULONG sent = 0;
        while (sent < burst && seq < requests) {
            int rc = nr_device_receive(dev, ring, seq, &wraps);
            if (rc < 0) {
                broken = 1;
                break;
            }
            if (rc == 0) {
                ring_full++;
                break; /* the driver has not caught up: interrupt first */
            }
            if (seq % NR_BAD_EVERY == NR_BAD_EVERY - 1 || seq % 11 == 5)
                dropped++;
            else
                dev->sent_good++;
            seq++;
            sent++;
        }
        /* the device raises its interrupt line (if unmasked) */
        dev->regs.InterruptCause |= NETRECV_INT_RX;
        if (dev->regs.InterruptMask & NETRECV_INT_RX) {
            NTSTATUS is = mdlkit_ndis_interrupt(adapter);
            if (is == STATUS_SUCCESS)
                interrupts++;
            else {
                fprintf(stderr, "netrecv harness: the miniport did not claim its interrupt (0x%08x)\n", (unsigned)is);
                broken = 1;
            }
        }
        if (dev->regs.Tail != dev->regs.Head) {
            fprintf(stderr, "netrecv harness: after the DPC the driver is at descriptor %u, the device at %u\n",
                    dev->regs.Tail, dev->regs.Head);
            broken = 1;
        }
    }
    /* a spurious interrupt (nothing pending) must not be claimed */
    if (!broken) {
        dev->regs.InterruptCause = 0;
        if (mdlkit_ndis_interrupt(adapter) != STATUS_UNSUCCESSFUL) {
            fprintf(stderr, "netrecv harness: the miniport claimed an interrupt its device did not raise\n");
            broken = 1;
        }
    }

    /* Served: each good frame that came up intact, and each bad one the
     * driver kept down (a bad one coming up is a mismatch). */
    ULONG missing = dev->indicated < dev->sent_good ? dev->sent_good - dev->indicated : 0;
    st->requests = dev->indicated - dev->mismatched + dropped;
    st->failed = dev->mismatched + missing + (broken ? 1 : 0);
    if (missing)
        fprintf(stderr, "netrecv harness: %u good frames never came up\n", missing);
    st->bytes = dev->bytes;
    st->kind[0] = dev->indicated - dev->mismatched;
    st->kind[1] = wraps;
    st->kind[2] = dropped;
    snprintf(st->detail, sizeof st->detail,
             "%u frames received and checked, %u bad or misaddressed frames dropped, %u interrupts, %u ring wraps",
             st->kind[0], dropped, interrupts, wraps);
    (void)ring_full;

    s = mdlkit_ndis_halt_adapter(adapter);
    NTSTATUS u = mdlkit_driver_unload(drv);
    NetRecvRegisters = NULL;
    NetRecvIndicate = NULL;
    NetRecvIndicateContext = NULL;
    free(nr_dev);
    nr_dev = NULL;
    if (!NT_SUCCESS(s) || !NT_SUCCESS(u)) {
        fprintf(stderr, "netrecv harness: halt 0x%08x, unload 0x%08x\n", (unsigned)s, (unsigned)u);
        return -1;
    }
    return st->failed ? -1 : 0;
}
