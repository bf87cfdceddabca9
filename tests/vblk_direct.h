/*
 * vblk_direct.h -- a minimal virtio-blk "driver" that talks to the
 * virtio-blk model directly through mdlkit_pci_bar_read/write and one split
 * virtqueue in contiguous memory: for test_virtio_blk (the model on its
 * own) and bench_viostor (the model without viostor and StorPort).
 * Polling only; one request in flight; data in a contiguous buffer.
 */
#ifndef VBLK_DIRECT_H
#define VBLK_DIRECT_H

#include <mdlkit.h>
#include <string.h>

#define VD_BAR 4
#define VD_QSIZE 256
#define VD_DATA_MAX (1u << 20)

typedef struct vd {
    mdlkit_pci_device *pci;
    UCHAR *ring;            /* desc table, avail ring, used ring (contiguous) */
    PHYSICAL_ADDRESS ring_pa;
    UCHAR *data;            /* header (16) + status (1) at the front, data from +4096 */
    PHYSICAL_ADDRESS data_pa;
    USHORT avail_idx, used_seen;
    ULONG64 features;
} vd;

static inline void vd_w(vd *d, ULONG off, ULONG width, ULONG64 v) { mdlkit_pci_bar_write(d->pci, VD_BAR, off, width, v); }
static inline ULONG64 vd_r(vd *d, ULONG off, ULONG width)
{
    ULONG64 v = 0;
    mdlkit_pci_bar_read(d->pci, VD_BAR, off, width, &v);
    return v;
}

#define VD_DESC(d) ((d)->ring)
#define VD_AVAIL_OFF (16 * VD_QSIZE)
#define VD_USED_OFF 8192

/* Brings the device up (status handshake, features, queue 0). 0 or -1. */
static inline int vd_init(vd *d, mdlkit_pci_device *pci)
{
    memset(d, 0, sizeof *d);
    d->pci = pci;
    USHORT cmd = 0x0006; /* memory space, bus master */
    mdlkit_pci_config_write(pci, 4, &cmd, 2);
    PHYSICAL_ADDRESS low = {0}, high, none = {0};
    high.QuadPart = -1LL;
    high.QuadPart &= 0x7FFFFFFFFFFFFFFFLL;
    d->ring = MmAllocateContiguousMemorySpecifyCache(16384, low, high, none, MmCached);
    d->data = MmAllocateContiguousMemorySpecifyCache(VD_DATA_MAX + 8192, low, high, none, MmCached);
    if (!d->ring || !d->data)
        return -1;
    memset(d->ring, 0, 16384);
    d->ring_pa = MmGetPhysicalAddress(d->ring);
    d->data_pa = MmGetPhysicalAddress(d->data);
    vd_w(d, 0x14, 1, 0);         /* reset */
    vd_w(d, 0x14, 1, 1 | 2);     /* ACKNOWLEDGE | DRIVER */
    vd_w(d, 0x00, 4, 0);
    ULONG64 f = vd_r(d, 0x04, 4);
    vd_w(d, 0x00, 4, 1);
    f |= vd_r(d, 0x04, 4) << 32;
    d->features = f;
    ULONG64 want = (1ULL << 32) | (f & ((1ULL << 28) | (1ULL << 9) | (1ULL << 13)));
    vd_w(d, 0x08, 4, 0);
    vd_w(d, 0x0C, 4, (ULONG)want);
    vd_w(d, 0x08, 4, 1);
    vd_w(d, 0x0C, 4, (ULONG)(want >> 32));
    vd_w(d, 0x14, 1, 1 | 2 | 8); /* FEATURES_OK */
    if (!(vd_r(d, 0x14, 1) & 8))
        return -1;
    vd_w(d, 0x16, 2, 0);
    if (vd_r(d, 0x18, 2) < VD_QSIZE)
        return -1;
    vd_w(d, 0x18, 2, VD_QSIZE);
    ULONG64 desc = (ULONG64)d->ring_pa.QuadPart;
    vd_w(d, 0x20, 4, (ULONG)desc);
    vd_w(d, 0x24, 4, (ULONG)(desc >> 32));
    vd_w(d, 0x28, 4, (ULONG)(desc + VD_AVAIL_OFF));
    vd_w(d, 0x2C, 4, (ULONG)((desc + VD_AVAIL_OFF) >> 32));
    vd_w(d, 0x30, 4, (ULONG)(desc + VD_USED_OFF));
    vd_w(d, 0x34, 4, (ULONG)((desc + VD_USED_OFF) >> 32));
    vd_w(d, 0x1C, 2, 1);         /* queue_enable */
    vd_w(d, 0x14, 1, 1 | 2 | 8 | 4); /* DRIVER_OK */
    return 0;
}

static inline void vd_desc(vd *d, USHORT i, ULONG64 addr, ULONG len, USHORT flags, USHORT next)
{
    UCHAR *p = VD_DESC(d) + 16 * i;
    memcpy(p, &addr, 8);
    memcpy(p + 8, &len, 4);
    memcpy(p + 12, &flags, 2);
    memcpy(p + 14, &next, 2);
}

/* Queues one request (type, sector, len bytes of d->data + 4096) as a
 * three-descriptor chain and notifies. */
static inline void vd_submit(vd *d, ULONG type, ULONG64 sector, ULONG len)
{
    UCHAR *hdr = d->data;
    memset(hdr, 0, 16);
    memcpy(hdr, &type, 4);
    memcpy(hdr + 8, &sector, 8);
    hdr[16] = 0xFF; /* status, overwritten by the device */
    ULONG64 pa = (ULONG64)d->data_pa.QuadPart;
    int in = type == 0 || type == 8;
    USHORT head = 0;
    if (len) {
        vd_desc(d, 0, pa, 16, 1, 1);
        vd_desc(d, 1, pa + 4096, len, (USHORT)(1 | (in ? 2 : 0)), 2);
        vd_desc(d, 2, pa + 16, 1, 2, 0);
    } else {
        vd_desc(d, 0, pa, 16, 1, 2);
        vd_desc(d, 2, pa + 16, 1, 2, 0);
    }
    UCHAR *avail = d->ring + VD_AVAIL_OFF;
    memcpy(avail + 4 + 2 * (d->avail_idx % VD_QSIZE), &head, 2);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    d->avail_idx++;
    memcpy(avail + 2, &d->avail_idx, 2);
    vd_w(d, 0x3000, 2, 0); /* notify queue 0 */
}

/* Used entries not seen yet. */
static inline USHORT vd_used_idx(vd *d)
{
    USHORT idx;
    memcpy(&idx, d->ring + VD_USED_OFF + 2, 2);
    return idx;
}

/* Submits and expects immediate completion; returns the status byte, or
 * 0xEE if the device did not complete it. */
static inline UCHAR vd_io(vd *d, ULONG type, ULONG64 sector, ULONG len)
{
    vd_submit(d, type, sector, len);
    if (vd_used_idx(d) == d->used_seen)
        return 0xEE;
    d->used_seen = vd_used_idx(d);
    return d->data[16];
}

static inline void vd_free(vd *d)
{
    if (d->ring)
        MmFreeContiguousMemorySpecifyCache(d->ring, 16384, MmCached);
    if (d->data)
        MmFreeContiguousMemorySpecifyCache(d->data, VD_DATA_MAX + 8192, MmCached);
    d->ring = d->data = NULL;
}

#endif /* VBLK_DIRECT_H */
