/*
 * virtio_blk.c -- a virtio-blk device model on the simulated PCI bus, as
 * the virtio 1.x specification (OASIS) defines it: the modern PCI
 * transport (vendor-specific capabilities for the common, notify, ISR and
 * device-configuration structures, all in BAR 4; MSI-X table in BAR 1),
 * one split virtqueue with indirect descriptors, and the block requests
 * IN, OUT, FLUSH, GET_ID and DISCARD on a RAM disk. Hooks inject device
 * errors, hold requests (a slow device) and complete them out of order.
 *
 * The model reaches the driver's memory only through mdlkit_dma_read and
 * mdlkit_dma_write (physical addresses), and signals completions with
 * mdlkit_pci_interrupt. Public API in include/mdlkit_device.h; contract in
 * docs/devices.md.
 */
#include "mk_base.h"
#include "mk_machine.h"

#include <mdlkit.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Feature bits */
#define VB_F_SIZE_MAX 1
#define VB_F_SEG_MAX 2
#define VB_F_BLK_SIZE 6
#define VB_F_RO 5
#define VB_F_FLUSH 9
#define VB_F_TOPOLOGY 10
#define VB_F_DISCARD 13
#define VB_F_INDIRECT_DESC 28
#define VB_F_VERSION_1 32

/* Request types and statuses */
#define VB_T_IN 0
#define VB_T_OUT 1
#define VB_T_FLUSH 4
#define VB_T_GET_ID 8
#define VB_T_DISCARD 11
#define VB_ID_BYTES 20

/* Descriptor flags */
#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VIRTIO_MSI_NO_VECTOR 0xFFFF

/* Device status */
#define VS_ACKNOWLEDGE 1
#define VS_DRIVER 2
#define VS_DRIVER_OK 4
#define VS_FEATURES_OK 8
#define VS_NEEDS_RESET 0x40
#define VS_FAILED 0x80

/* BAR 4 layout */
#define VB_BAR 4
#define VB_BAR_SIZE 0x4000
#define VB_COMMON 0x0000
#define VB_COMMON_LEN 0x38
#define VB_ISR 0x1000
#define VB_DEVCFG 0x2000
#define VB_DEVCFG_LEN 0x40
#define VB_NOTIFY 0x3000
#define VB_NOTIFY_MULT 4
#define VB_MSIX_BAR 1
#define VB_MSIX_VECTORS 2

#define VB_MAX_SEGS 4096
#define VB_MAX_HELD 1024

typedef struct vb_seg {
    ULONG64 addr;
    ULONG len;
    int write; /* device-writable */
} vb_seg;

typedef struct vb_queue {
    USHORT size;
    USHORT msix_vector;
    USHORT enable;
    ULONG64 desc, avail, used;
    USHORT last_avail; /* next avail entry to take */
    USHORT used_idx;
} vb_queue;

struct mdlkit_virtio_blk {
    pthread_mutex_t lock;
    mdlkit_pci_device *pci;
    mdlkit_virtio_blk_config cfg;
    char serial[VB_ID_BYTES];
    UCHAR *disk;
    size_t disk_bytes;
    ULONG64 features;
    ULONG dev_feature_select, drv_feature_select;
    ULONG64 driver_features;
    USHORT msix_config;
    UCHAR status;
    UCHAR generation;
    UCHAR isr;
    USHORT queue_select;
    vb_queue q;
    /* hooks */
    int err_type;
    UCHAR err_status;
    ULONG err_count;
    int hold;
    USHORT held[VB_MAX_HELD];
    ULONG nheld;
    mdlkit_virtio_blk_stats stats;
};

static void put_le16(UCHAR *p, USHORT v) { memcpy(p, &v, 2); }
static void put_le32(UCHAR *p, ULONG v) { memcpy(p, &v, 4); }
static void put_le64(UCHAR *p, ULONG64 v) { memcpy(p, &v, 8); }

/* ------------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------- */
/* Collects the descriptor chain starting at head (following one level of
 * indirection). Returns the number of segments, or -1 if the chain is
 * malformed (a loop, a bad index, an unreadable table). */
static int vb_chain(mdlkit_virtio_blk *b, USHORT head, vb_seg *segs, int max)
{
    int n = 0;
    ULONG64 table = b->q.desc;
    ULONG tsize = b->q.size;
    ULONG idx = head;
    int indirect_done = 0;
    for (ULONG steps = 0; steps < VB_MAX_SEGS + 1024; steps++) {
        if (idx >= tsize)
            return -1;
        UCHAR d[16];
        if (mdlkit_dma_read(b->pci, table + 16ULL * idx, d, sizeof d))
            return -1;
        ULONG64 addr;
        ULONG len;
        USHORT flags, next;
        memcpy(&addr, d, 8);
        memcpy(&len, d + 8, 4);
        memcpy(&flags, d + 12, 2);
        memcpy(&next, d + 14, 2);
        if (flags & VRING_DESC_F_INDIRECT) {
            if (indirect_done || (flags & VRING_DESC_F_NEXT) || len % 16 || !len)
                return -1;
            indirect_done = 1;
            table = addr;
            tsize = len / 16;
            idx = 0;
            continue;
        }
        if (n >= max)
            return -1;
        segs[n].addr = addr;
        segs[n].len = len;
        segs[n].write = (flags & VRING_DESC_F_WRITE) != 0;
        n++;
        if (!(flags & VRING_DESC_F_NEXT))
            return n;
        idx = next;
    }
    return -1;
}

/* Copies between the disk and the data segments segs[first..last). */
static int vb_data(mdlkit_virtio_blk *b, vb_seg *segs, int first, int last, size_t disk_off, int to_disk,
                   ULONG *written)
{
    size_t off = disk_off;
    for (int i = first; i < last; i++) {
        if (off + segs[i].len > b->disk_bytes)
            return -1;
        int rc = to_disk ? mdlkit_dma_read(b->pci, segs[i].addr, b->disk + off, segs[i].len)
                         : mdlkit_dma_write(b->pci, segs[i].addr, b->disk + off, segs[i].len);
        if (rc)
            return -1;
        if (!to_disk)
            *written += segs[i].len;
        off += segs[i].len;
    }
    return 0;
}

/* Executes the request at head; returns the used length. */
static ULONG vb_execute(mdlkit_virtio_blk *b, USHORT head)
{
    static __thread vb_seg segs[VB_MAX_SEGS];
    int n = vb_chain(b, head, segs, VB_MAX_SEGS);
    if (n < 2 || segs[0].write || segs[0].len < 16 || !segs[n - 1].write || segs[n - 1].len < 1) {
        b->status |= VS_NEEDS_RESET; /* a request the device cannot parse */
        b->stats.errors++;
        return 0;
    }
    UCHAR hdr[16];
    if (mdlkit_dma_read(b->pci, segs[0].addr, hdr, sizeof hdr)) {
        b->stats.errors++;
        return 0;
    }
    ULONG type;
    ULONG64 sector;
    memcpy(&type, hdr, 4);
    memcpy(&sector, hdr + 8, 8);
    ULONG written = 0;
    UCHAR st = MDLKIT_VIRTIO_BLK_S_OK;
    /* the status byte is the last byte of the last (writable) segment */
    vb_seg status_seg = segs[n - 1];
    ULONG64 status_pa = status_seg.addr + status_seg.len - 1;
    int data_last = n - 1;
    if (status_seg.len > 1) { /* status shares its descriptor with data */
        segs[n - 1].len--;
        data_last = n;
    }
    if (b->err_count && (b->err_type < 0 || (ULONG)b->err_type == type)) {
        b->err_count--;
        st = b->err_status;
        goto done;
    }
    switch (type) {
    case VB_T_IN:
    case VB_T_OUT: {
        int out = type == VB_T_OUT;
        for (int i = 1; i < data_last; i++)
            if (segs[i].write == out) {
                st = MDLKIT_VIRTIO_BLK_S_IOERR;
                goto done;
            }
        if (out && b->cfg.read_only) {
            st = MDLKIT_VIRTIO_BLK_S_IOERR;
            break;
        }
        if (sector > b->disk_bytes / 512 ||
            vb_data(b, segs, 1, data_last, (size_t)sector * 512, out, &written))
            st = MDLKIT_VIRTIO_BLK_S_IOERR;
        if (out)
            b->stats.writes++;
        else
            b->stats.reads++;
        break;
    }
    case VB_T_FLUSH:
        if (b->cfg.no_flush)
            st = MDLKIT_VIRTIO_BLK_S_UNSUPP;
        b->stats.flushes++;
        break;
    case VB_T_GET_ID: {
        ULONG left = VB_ID_BYTES;
        for (int i = 1; i < data_last && left; i++) {
            ULONG c = segs[i].len < left ? segs[i].len : left;
            if (!segs[i].write || mdlkit_dma_write(b->pci, segs[i].addr, b->serial + (VB_ID_BYTES - left), c)) {
                st = MDLKIT_VIRTIO_BLK_S_IOERR;
                break;
            }
            written += c;
            left -= c;
        }
        b->stats.get_ids++;
        break;
    }
    case VB_T_DISCARD: {
        if (b->cfg.no_discard) {
            st = MDLKIT_VIRTIO_BLK_S_UNSUPP;
            break;
        }
        for (int i = 1; i < data_last && st == MDLKIT_VIRTIO_BLK_S_OK; i++) {
            if (segs[i].write || segs[i].len % 16) {
                st = MDLKIT_VIRTIO_BLK_S_IOERR;
                break;
            }
            for (ULONG o = 0; o < segs[i].len; o += 16) {
                UCHAR r[16];
                ULONG64 s;
                ULONG cnt;
                if (mdlkit_dma_read(b->pci, segs[i].addr + o, r, 16)) {
                    st = MDLKIT_VIRTIO_BLK_S_IOERR;
                    break;
                }
                memcpy(&s, r, 8);
                memcpy(&cnt, r + 8, 4);
                if (s > b->disk_bytes / 512 || cnt > b->disk_bytes / 512 - s) {
                    st = MDLKIT_VIRTIO_BLK_S_IOERR;
                    break;
                }
                memset(b->disk + s * 512, 0, (size_t)cnt * 512); /* discarded blocks read back as zeroes */
            }
        }
        b->stats.discards++;
        break;
    }
    default:
        st = MDLKIT_VIRTIO_BLK_S_UNSUPP;
        break;
    }
done:
    if (st != MDLKIT_VIRTIO_BLK_S_OK)
        b->stats.errors++;
    if (mdlkit_dma_write(b->pci, status_pa, &st, 1) == 0)
        written++;
    return written;
}

/* Puts head on the used ring. */
static void vb_used(mdlkit_virtio_blk *b, USHORT head, ULONG len)
{
    vb_queue *q = &b->q;
    UCHAR e[8];
    put_le32(e, head);
    put_le32(e + 4, len);
    ULONG slot = q->used_idx % q->size;
    mdlkit_dma_write(b->pci, q->used + 4 + 8ULL * slot, e, sizeof e);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->used_idx++;
    UCHAR idx[2];
    put_le16(idx, q->used_idx);
    mdlkit_dma_write(b->pci, q->used + 2, idx, 2);
}

static void vb_interrupt(mdlkit_virtio_blk *b)
{
    USHORT flags = 0;
    if (mdlkit_dma_read(b->pci, b->q.avail, &flags, 2) == 0 && (flags & VRING_AVAIL_F_NO_INTERRUPT))
        return;
    b->isr |= 1;
    b->stats.interrupts++;
    if (b->q.msix_vector != VIRTIO_MSI_NO_VECTOR)
        mdlkit_pci_interrupt(b->pci, b->q.msix_vector);
    else
        mdlkit_pci_interrupt(b->pci, 0);
}

/* The driver notified queue 0: takes every new avail entry. */
static void vb_notify(mdlkit_virtio_blk *b)
{
    vb_queue *q = &b->q;
    b->stats.notifies++;
    if (!q->enable || !(b->status & VS_DRIVER_OK) || (b->status & VS_NEEDS_RESET))
        return;
    USHORT avail_idx;
    if (mdlkit_dma_read(b->pci, q->avail + 2, &avail_idx, 2))
        return;
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    int completed = 0;
    while (q->last_avail != avail_idx) {
        USHORT head;
        if (mdlkit_dma_read(b->pci, q->avail + 4 + 2ULL * (q->last_avail % q->size), &head, 2))
            return;
        q->last_avail++;
        if (b->hold && b->nheld < VB_MAX_HELD) {
            b->held[b->nheld++] = head;
            continue;
        }
        ULONG len = vb_execute(b, head);
        vb_used(b, head, len);
        completed = 1;
    }
    if (completed)
        vb_interrupt(b);
}

static void vb_reset(mdlkit_virtio_blk *b)
{
    b->status = 0;
    b->driver_features = 0;
    b->dev_feature_select = b->drv_feature_select = 0;
    b->msix_config = VIRTIO_MSI_NO_VECTOR;
    b->isr = 0;
    b->queue_select = 0;
    memset(&b->q, 0, sizeof b->q);
    b->q.size = b->cfg.queue_size;
    b->q.msix_vector = VIRTIO_MSI_NO_VECTOR;
    b->nheld = 0; /* a reset drops what the device held */
    b->stats.resets++;
}

/* ------------------------------------------------------------------------
 * BAR 4 registers
 * ---------------------------------------------------------------------- */
static ULONG64 vb_common_read(mdlkit_virtio_blk *b, ULONG off, ULONG width)
{
    vb_queue *q = b->queue_select == 0 ? &b->q : NULL;
    switch (off) {
    case 0x00:
        return b->dev_feature_select;
    case 0x04:
        return b->dev_feature_select < 2 ? (ULONG)(b->features >> (32 * b->dev_feature_select)) : 0;
    case 0x08:
        return b->drv_feature_select;
    case 0x0C:
        return b->drv_feature_select < 2 ? (ULONG)(b->driver_features >> (32 * b->drv_feature_select)) : 0;
    case 0x10:
        return b->msix_config;
    case 0x12:
        return 1; /* num_queues */
    case 0x14:
        return b->status;
    case 0x15:
        return b->generation;
    case 0x16:
        return b->queue_select;
    case 0x18:
        return q ? q->size : 0;
    case 0x1A:
        return q ? q->msix_vector : VIRTIO_MSI_NO_VECTOR;
    case 0x1C:
        return q ? q->enable : 0;
    case 0x1E:
        return 0; /* queue_notify_off */
    case 0x20:
        return q ? (width == 8 ? q->desc : (ULONG)q->desc) : 0;
    case 0x24:
        return q ? (ULONG)(q->desc >> 32) : 0;
    case 0x28:
        return q ? (width == 8 ? q->avail : (ULONG)q->avail) : 0;
    case 0x2C:
        return q ? (ULONG)(q->avail >> 32) : 0;
    case 0x30:
        return q ? (width == 8 ? q->used : (ULONG)q->used) : 0;
    case 0x34:
        return q ? (ULONG)(q->used >> 32) : 0;
    default:
        return 0;
    }
}

static void set_lo(ULONG64 *r, ULONG64 v, ULONG width)
{
    *r = width == 8 ? v : ((*r & ~0xFFFFFFFFULL) | (v & 0xFFFFFFFFULL));
}
static void set_hi(ULONG64 *r, ULONG64 v) { *r = (*r & 0xFFFFFFFFULL) | (v << 32); }

static void vb_common_write(mdlkit_virtio_blk *b, ULONG off, ULONG width, ULONG64 v)
{
    vb_queue *q = b->queue_select == 0 ? &b->q : NULL;
    int can_setup = q && !q->enable && !(b->status & VS_DRIVER_OK);
    switch (off) {
    case 0x00:
        b->dev_feature_select = (ULONG)v;
        break;
    case 0x08:
        b->drv_feature_select = (ULONG)v;
        break;
    case 0x0C:
        if (b->drv_feature_select < 2 && !(b->status & VS_FEATURES_OK)) {
            ULONG sh = 32 * b->drv_feature_select;
            b->driver_features = (b->driver_features & ~(0xFFFFFFFFULL << sh)) | ((v & 0xFFFFFFFFULL) << sh);
        }
        break;
    case 0x10:
        b->msix_config = (USHORT)(v < VB_MSIX_VECTORS ? v : VIRTIO_MSI_NO_VECTOR);
        break;
    case 0x14: {
        UCHAR s = (UCHAR)v;
        if (s == 0) {
            vb_reset(b);
            break;
        }
        /* FEATURES_OK sticks only for a subset of the offer that has VERSION_1 */
        if ((s & VS_FEATURES_OK) && !(b->status & VS_FEATURES_OK) &&
            ((b->driver_features & ~b->features) || !(b->driver_features & (1ULL << VB_F_VERSION_1))))
            s &= (UCHAR)~VS_FEATURES_OK;
        b->status = s;
        break;
    }
    case 0x16:
        b->queue_select = (USHORT)v;
        break;
    case 0x18:
        if (can_setup && v && v <= b->cfg.queue_size && ((v & (v - 1)) == 0))
            q->size = (USHORT)v;
        break;
    case 0x1A:
        if (q)
            q->msix_vector = (USHORT)(v < VB_MSIX_VECTORS ? v : VIRTIO_MSI_NO_VECTOR);
        break;
    case 0x1C:
        if (q && v == 1) {
            q->enable = 1;
            q->last_avail = 0;
            q->used_idx = 0;
        }
        break;
    case 0x20:
        if (can_setup)
            set_lo(&q->desc, v, width);
        break;
    case 0x24:
        if (can_setup)
            set_hi(&q->desc, v);
        break;
    case 0x28:
        if (can_setup)
            set_lo(&q->avail, v, width);
        break;
    case 0x2C:
        if (can_setup)
            set_hi(&q->avail, v);
        break;
    case 0x30:
        if (can_setup)
            set_lo(&q->used, v, width);
        break;
    case 0x34:
        if (can_setup)
            set_hi(&q->used, v);
        break;
    default:
        break; /* read-only or reserved */
    }
}

static void vb_devcfg(mdlkit_virtio_blk *b, UCHAR *c)
{
    memset(c, 0, VB_DEVCFG_LEN);
    put_le64(c + 0, b->cfg.capacity_sectors);
    put_le32(c + 8, 1u << 20);          /* size_max */
    put_le32(c + 12, b->cfg.seg_max);  /* seg_max */
    put_le32(c + 20, 512);             /* blk_size */
    c[24] = 0;                         /* physical_block_exp */
    put_le16(c + 26, 1);               /* min_io_size */
    put_le32(c + 28, 0);               /* opt_io_size */
    put_le16(c + 34, 1);               /* num_queues */
    put_le32(c + 36, 0x3FFFFF);        /* max_discard_sectors */
    put_le32(c + 40, 1);               /* max_discard_seg */
    put_le32(c + 44, 1);               /* discard_sector_alignment */
}

static ULONG64 vb_read(void *ctx, ULONG bar, ULONG64 offset, ULONG width)
{
    mdlkit_virtio_blk *b = ctx;
    ULONG64 v = 0;
    pthread_mutex_lock(&b->lock);
    if (bar == VB_BAR) {
        if (offset < VB_COMMON + VB_COMMON_LEN) {
            v = vb_common_read(b, (ULONG)offset, width);
        } else if (offset == VB_ISR) {
            v = b->isr; /* read to clear */
            b->isr = 0;
        } else if (offset >= VB_DEVCFG && offset + width <= VB_DEVCFG + VB_DEVCFG_LEN) {
            UCHAR c[VB_DEVCFG_LEN];
            vb_devcfg(b, c);
            memcpy(&v, c + (offset - VB_DEVCFG), width);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return v;
}

static void vb_write(void *ctx, ULONG bar, ULONG64 offset, ULONG width, ULONG64 value)
{
    mdlkit_virtio_blk *b = ctx;
    pthread_mutex_lock(&b->lock);
    if (bar == VB_BAR) {
        if (offset < VB_COMMON + VB_COMMON_LEN)
            vb_common_write(b, (ULONG)offset, width, value);
        else if (offset == VB_NOTIFY && (value & 0xFFFF) == 0)
            vb_notify(b);
    }
    pthread_mutex_unlock(&b->lock);
}

/* ------------------------------------------------------------------------
 * Creation and hooks
 * ---------------------------------------------------------------------- */
static void vb_add_cap(mdlkit_virtio_blk *b, UCHAR type, ULONG off, ULONG len, int notify)
{
    UCHAR body[18];
    memset(body, 0, sizeof body);
    body[0] = (UCHAR)(notify ? 20 : 16); /* cap_len, header included */
    body[1] = type;
    body[2] = VB_BAR;
    put_le32(body + 6, off);
    put_le32(body + 10, len);
    if (notify)
        put_le32(body + 14, VB_NOTIFY_MULT);
    mdlkit_pci_add_capability(b->pci, PCI_CAPABILITY_ID_VENDOR_SPECIFIC, body, notify ? 18 : 14);
}

mdlkit_virtio_blk *mdlkit_virtio_blk_create(const mdlkit_virtio_blk_config *cfg)
{
    MK_ENTER("mdlkit_virtio_blk_create");
    if (!cfg || !cfg->capacity_sectors || cfg->capacity_sectors > ((ULONG64)1 << 40) / 512)
        return NULL;
    USHORT qs = cfg->queue_size ? cfg->queue_size : 256;
    if (qs > 1024 || (qs & (qs - 1)))
        return NULL;
    mdlkit_virtio_blk *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cfg = *cfg;
    b->cfg.queue_size = qs;
    if (!b->cfg.seg_max)
        b->cfg.seg_max = 254;
    const char *serial = cfg->serial ? cfg->serial : "mdlkit-virtio-blk";
    strncpy(b->serial, serial, VB_ID_BYTES); /* not NUL-terminated when 20 bytes long, as the spec says */
    b->disk_bytes = (size_t)cfg->capacity_sectors * 512;
    b->disk = calloc(1, b->disk_bytes);
    if (!b->disk) {
        free(b);
        return NULL;
    }
    pthread_mutex_init(&b->lock, NULL);
    b->features = (1ULL << VB_F_VERSION_1) | (1ULL << VB_F_INDIRECT_DESC) | (1ULL << VB_F_SEG_MAX) |
                  (1ULL << VB_F_BLK_SIZE) | (1ULL << VB_F_TOPOLOGY);
    if (!cfg->no_flush)
        b->features |= 1ULL << VB_F_FLUSH;
    if (!cfg->no_discard)
        b->features |= 1ULL << VB_F_DISCARD;
    if (cfg->read_only)
        b->features |= 1ULL << VB_F_RO;
    b->err_type = -1;

    mdlkit_pci_function fn;
    memset(&fn, 0, sizeof fn);
    fn.vendor_id = 0x1AF4;
    fn.device_id = 0x1042;
    fn.subsystem_vendor_id = 0x1AF4;
    fn.subsystem_id = 0x1100;
    fn.revision_id = 1;
    fn.base_class = 0x01; /* mass storage */
    fn.sub_class = 0x00;  /* SCSI */
    fn.interrupt_pin = 1;
    fn.bars[VB_MSIX_BAR].kind = MDLKIT_BAR_MEMORY32;
    fn.bars[VB_MSIX_BAR].size = 0x1000;
    fn.bars[VB_BAR].kind = MDLKIT_BAR_MEMORY64;
    fn.bars[VB_BAR].size = VB_BAR_SIZE;
    fn.msix_vectors = VB_MSIX_VECTORS;
    fn.msix_bar = VB_MSIX_BAR;
    fn.msix_table_offset = 0;
    fn.msix_pba_offset = 0x800;
    fn.read = vb_read;
    fn.write = vb_write;
    fn.ctx = b;
    b->pci = mdlkit_pci_create(&fn);
    if (!b->pci) {
        pthread_mutex_destroy(&b->lock);
        free(b->disk);
        free(b);
        return NULL;
    }
    vb_add_cap(b, 1, VB_COMMON, 0x1000, 0); /* VIRTIO_PCI_CAP_COMMON_CFG */
    vb_add_cap(b, 3, VB_ISR, 0x1000, 0);    /* VIRTIO_PCI_CAP_ISR_CFG */
    vb_add_cap(b, 4, VB_DEVCFG, 0x1000, 0); /* VIRTIO_PCI_CAP_DEVICE_CFG */
    vb_add_cap(b, 2, VB_NOTIFY, 0x1000, 1); /* VIRTIO_PCI_CAP_NOTIFY_CFG */
    vb_reset(b);
    b->stats.resets = 0;
    return b;
}

void mdlkit_virtio_blk_destroy(mdlkit_virtio_blk *blk)
{
    MK_HARNESS_OBJ_OPT(blk, "mdlkit_virtio_blk_destroy");
    if (!blk)
        return;
    if (mdlkit_is_initialized())
        mdlkit_pci_destroy(blk->pci);
    pthread_mutex_destroy(&blk->lock);
    free(blk->disk);
    free(blk);
}

mdlkit_pci_device *mdlkit_virtio_blk_pci(mdlkit_virtio_blk *blk)
{
    MK_HARNESS_OBJ_OPT(blk, "mdlkit_virtio_blk_pci");
    return blk ? blk->pci : NULL;
}
UCHAR *mdlkit_virtio_blk_disk(mdlkit_virtio_blk *blk)
{
    MK_HARNESS_OBJ_OPT(blk, "mdlkit_virtio_blk_disk");
    return blk ? blk->disk : NULL;
}

void mdlkit_virtio_blk_inject_error(mdlkit_virtio_blk *blk, int type, UCHAR status, ULONG count)
{
    MK_HARNESS_OBJ(blk, "mdlkit_virtio_blk_inject_error");
    pthread_mutex_lock(&blk->lock);
    blk->err_type = type;
    blk->err_status = status;
    blk->err_count = count;
    pthread_mutex_unlock(&blk->lock);
}

void mdlkit_virtio_blk_hold(mdlkit_virtio_blk *blk, int hold)
{
    MK_HARNESS_OBJ(blk, "mdlkit_virtio_blk_hold");
    pthread_mutex_lock(&blk->lock);
    blk->hold = hold;
    pthread_mutex_unlock(&blk->lock);
}

ULONG mdlkit_virtio_blk_complete_held(mdlkit_virtio_blk *blk, ULONG max, int reverse)
{
    MK_HARNESS_OBJ(blk, "mdlkit_virtio_blk_complete_held");
    pthread_mutex_lock(&blk->lock);
    ULONG done = 0;
    while (done < max && blk->nheld) {
        USHORT head;
        if (reverse) {
            head = blk->held[--blk->nheld];
        } else {
            head = blk->held[0];
            memmove(&blk->held[0], &blk->held[1], (blk->nheld - 1) * sizeof blk->held[0]);
            blk->nheld--;
        }
        ULONG len = vb_execute(blk, head);
        vb_used(blk, head, len);
        done++;
    }
    if (done)
        vb_interrupt(blk);
    pthread_mutex_unlock(&blk->lock);
    return done;
}

ULONG mdlkit_virtio_blk_held(mdlkit_virtio_blk *blk)
{
    MK_HARNESS_OBJ(blk, "mdlkit_virtio_blk_held");
    pthread_mutex_lock(&blk->lock);
    ULONG n = blk->nheld;
    pthread_mutex_unlock(&blk->lock);
    return n;
}

void mdlkit_virtio_blk_get_stats(mdlkit_virtio_blk *blk, mdlkit_virtio_blk_stats *out)
{
    MK_HARNESS_OBJ(blk, "mdlkit_virtio_blk_get_stats");
    pthread_mutex_lock(&blk->lock);
    *out = blk->stats;
    pthread_mutex_unlock(&blk->lock);
}
