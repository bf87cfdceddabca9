/* netrecv.h -- the "netrecv" example NDIS miniport: the device interface
 * (descriptor ring, register block), its pool tags and debug knob. WDK
 * headers only. */
#ifndef NETRECV_H
#define NETRECV_H

#include <ndis.h>

#define NETRECV_RING_SIZE 64u          /* receive descriptors */
#define NETRECV_BUFFER_SIZE 2048u      /* one receive buffer per descriptor */
#define NETRECV_MIN_FRAME 60u          /* Ethernet, without FCS */
#define NETRECV_MAX_FRAME 1514u

#define NETRECV_TAG_ADAPTER 'dAvR'     /* "RvAd": the adapter context */
#define NETRECV_TAG_BUFFER 'fBvR'      /* "RvBf": receive buffers */
#define NETRECV_TAG_RING 'gRvR'        /* "RvRg": ring bookkeeping */

/* The station address the device is programmed with. */
#define NETRECV_MAC_INIT {0x02, 0x4D, 0x44, 0x4C, 0x4B, 0x01}

/* One receive descriptor, in the shared-memory ring the device reads and
 * writes by physical address. The driver fills Fragment[]/FragmentLength[]
 * (the receive buffer's physical pieces, from its MDL) and gives the
 * descriptor to the device with Status = 0; the device writes the frame,
 * FrameLength, Sequence and Checksum, then sets NETRECV_DESC_DONE. */
typedef struct _NETRECV_DESCRIPTOR {
    ULONG64 Fragment[2];
    USHORT FragmentLength[2];
    USHORT FrameLength;
    USHORT Status;
    ULONG Sequence;
    ULONG Checksum; /* NetRecvChecksum of the frame */
} NETRECV_DESCRIPTOR, *PNETRECV_DESCRIPTOR;
#define NETRECV_DESC_DONE 0x0001

/* The device's register block (its memory-mapped BAR). */
typedef struct _NETRECV_REGISTERS {
    volatile ULONG64 RingBase;      /* driver: physical address of the ring */
    volatile ULONG RingSize;        /* driver: descriptors in the ring */
    volatile ULONG Enable;          /* driver: receiver on */
    volatile ULONG InterruptMask;   /* driver: NETRECV_INT_RX to enable the interrupt */
    volatile ULONG InterruptCause;  /* device sets causes; the ISR reads and clears them */
    volatile ULONG Head;            /* device: next descriptor it fills */
    volatile ULONG Tail;            /* driver: next descriptor it will look at */
    UCHAR StationAddress[6];        /* device: its MAC address */
} NETRECV_REGISTERS, *PNETRECV_REGISTERS;
#define NETRECV_INT_RX 0x0001

/* The checksum the device computes over a frame (ones' complement sum of
 * 16-bit words, as IP uses, folded into 16 bits). */
FORCEINLINE ULONG NetRecvChecksum(const UCHAR *Frame, ULONG Length)
{
    ULONG sum = 0;
    for (ULONG i = 0; i + 1 < Length; i += 2)
        sum += ((ULONG)Frame[i] << 8) | Frame[i + 1];
    if (Length & 1)
        sum += (ULONG)Frame[Length - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return sum;
}

/* What the platform gives the driver. On Windows the register block comes
 * from NdisMMapIoSpace on the adapter's memory resource and received frames
 * go up with NdisMIndicateReceiveNetBufferLists; in this example both are
 * set by whoever loads the driver, before it is loaded. */
extern PNETRECV_REGISTERS NetRecvRegisters;
typedef void NETRECV_INDICATE(PVOID Context, const UCHAR *Frame, ULONG Length);
extern NETRECV_INDICATE *NetRecvIndicate;
extern PVOID NetRecvIndicateContext;

/* Debug knob, read by MiniportInitializeEx as a real miniport reads a
 * registry parameter. Set it before loading the driver. */
extern ULONG NetRecvDebugFlags;
#define NETRECV_DEBUG_WRONG_TAG 0x1 /* bug: receive buffers freed with NETRECV_TAG_RING */

#endif
