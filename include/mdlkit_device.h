/*
 * mdlkit_device.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: device models: PCI functions, BARs, DMA by physical address,
 * interrupts. The contract is documented in docs/devices.md.
 *
 * A device model (a test, or a library of mdlkit such as the virtio-blk
 * model below) describes one PCI function: its configuration space (IDs,
 * BARs, a capabilities list with vendor-specific entries and MSI-X), and
 * two callbacks that serve reads and writes of its memory or I/O BARs. The
 * model reaches memory only by physical address (mdlkit_dma_read/write):
 * the frames a driver's MDLs, common buffers and scatter-gather lists
 * describe. It raises interrupts with mdlkit_pci_interrupt; the port that
 * hosts the function's driver delivers them to the driver at its DIRQL.
 */
#ifndef MDLKIT_HARNESS_DEVICE_H
#define MDLKIT_HARNESS_DEVICE_H

/* ------------------------------------------------------------------------
 * PCI functions
 * ---------------------------------------------------------------------- */
typedef struct mdlkit_pci_device mdlkit_pci_device;

#define MDLKIT_BAR_NONE 0
#define MDLKIT_BAR_IO 1       /* an I/O port range (below 0x10000) */
#define MDLKIT_BAR_MEMORY32 2 /* a 32-bit memory BAR (below 4 GiB) */
#define MDLKIT_BAR_MEMORY64 3 /* a 64-bit memory BAR: also takes the next BAR slot */

/* A read or write of `width` bytes (1, 2, 4 or 8) at `offset` inside BAR
 * `bar`. Called on the thread of the driver that accesses the register,
 * at the driver's IRQL; a model must not block. */
typedef ULONG64 mdlkit_bar_read_fn(void *ctx, ULONG bar, ULONG64 offset, ULONG width);
typedef void mdlkit_bar_write_fn(void *ctx, ULONG bar, ULONG64 offset, ULONG width, ULONG64 value);

typedef struct mdlkit_pci_bar {
    ULONG kind;  /* MDLKIT_BAR_* */
    ULONG size;  /* bytes, a power of two (I/O: >= 4, memory: >= 16) */
} mdlkit_pci_bar;

typedef struct mdlkit_pci_function {
    USHORT vendor_id;
    USHORT device_id;
    USHORT subsystem_vendor_id;
    USHORT subsystem_id;
    UCHAR revision_id;
    UCHAR base_class;
    UCHAR sub_class;
    UCHAR prog_if;
    UCHAR interrupt_pin;       /* 1 = INTA#, 0 = no line interrupt */
    mdlkit_pci_bar bars[6];
    /* MSI-X: vectors (0 = no MSI-X capability), the BAR holding the
     * table (16 bytes a vector) and the pending-bit array. mdlkit serves
     * those two regions itself; the model's callbacks never see them. */
    USHORT msix_vectors;
    UCHAR msix_bar;
    ULONG msix_table_offset;
    ULONG msix_pba_offset;
    mdlkit_bar_read_fn *read;
    mdlkit_bar_write_fn *write;
    void *ctx;
} mdlkit_pci_function;

/* Creates the function in the next free slot of bus 0: assigns the BARs
 * their addresses, builds the configuration space (and the MSI-X
 * capability). NULL if the description is invalid (bad BAR size, a
 * 64-bit BAR in slot 5, MSI-X table outside its BAR) or no slot is free.
 * Call after mdlkit_init; functions go away at mdlkit_shutdown. */
mdlkit_pci_device *mdlkit_pci_create(const mdlkit_pci_function *fn);
/* Removes the function (its driver's adapter must be stopped first).
 * Returns 0, or -1 if a driver still has one of its BARs mapped. */
int mdlkit_pci_destroy(mdlkit_pci_device *dev);
/* Appends a capability to the capabilities list: `id` (PCI_CAPABILITY_ID_*)
 * and `len` bytes of body that follow the 2-byte header. Returns the
 * capability's offset in configuration space, or 0 if it does not fit. */
ULONG mdlkit_pci_add_capability(mdlkit_pci_device *dev, UCHAR id, const void *body, ULONG len);
/* Reads / writes configuration space as the driver sees it (writes obey
 * the register semantics: read-only fields, BAR sizing). Return the bytes
 * transferred. */
ULONG mdlkit_pci_config_read(mdlkit_pci_device *dev, ULONG offset, void *buf, ULONG len);
ULONG mdlkit_pci_config_write(mdlkit_pci_device *dev, ULONG offset, const void *buf, ULONG len);
/* The bus address of a BAR (port number for I/O BARs), 0 if none. */
ULONG64 mdlkit_pci_bar_address(mdlkit_pci_device *dev, ULONG bar);
/* Bus 0 slot number of the function (PCI_SLOT_NUMBER.u.AsULONG). */
ULONG mdlkit_pci_slot(mdlkit_pci_device *dev);

/* A register access as a driver makes it through a mapping, for harnesses
 * and benchmarks that drive a model directly: `width` 1, 2, 4 or 8 bytes at
 * `offset` of BAR `bar` (MSI-X table and PBA included). Return 0, or -1 if
 * the access is outside the BAR or its decoding (memory / I/O space enable
 * in the command register) is off. */
int mdlkit_pci_bar_read(mdlkit_pci_device *dev, ULONG bar, ULONG64 offset, ULONG width, ULONG64 *value);
int mdlkit_pci_bar_write(mdlkit_pci_device *dev, ULONG bar, ULONG64 offset, ULONG width, ULONG64 value);

/* Raises an interrupt: MSI-X message `vector` when the driver's MSI-X is
 * enabled (a masked vector sets its pending bit and fires on unmask), else
 * the line interrupt (vector ignored). The interrupt is delivered by the
 * hosting port the next time the interrupted processor could take it (when
 * the driver code running returns to the port, or at
 * mdlkit_storport_poll); any thread may call this. Returns 0, or -1 if the
 * function has no interrupt of that kind or the vector is out of range. */
int mdlkit_pci_interrupt(mdlkit_pci_device *dev, ULONG vector);

/* ------------------------------------------------------------------------
 * DMA: bus-master access to simulated memory by physical address
 * ---------------------------------------------------------------------- */
/* Copies len bytes between the simulated memory at `pa` and the model's
 * buffer. Return 0, or -1 (nothing copied) if any byte is not memory
 * (a master abort) or the function's Bus Master Enable bit is clear. */
int mdlkit_dma_read(mdlkit_pci_device *dev, ULONG64 pa, void *buf, size_t len);
int mdlkit_dma_write(mdlkit_pci_device *dev, ULONG64 pa, const void *buf, size_t len);

/* ------------------------------------------------------------------------
 * The virtio-blk device model (src/dev/virtio_blk.c): a virtio 1.x block
 * device on the modern PCI transport (vendor 0x1AF4, device 0x1042;
 * common, notify, ISR and device-configuration capabilities in BAR 4,
 * MSI-X table in BAR 1) with split virtqueues, backed by a RAM disk.
 * ---------------------------------------------------------------------- */
typedef struct mdlkit_virtio_blk mdlkit_virtio_blk;

typedef struct mdlkit_virtio_blk_config {
    ULONG64 capacity_sectors;  /* disk size in 512-byte sectors (> 0) */
    USHORT queue_size;         /* descriptors per virtqueue (power of two, <= 1024; 0 = 256) */
    ULONG seg_max;             /* VIRTIO_BLK_F_SEG_MAX (0 = 254) */
    int read_only;             /* VIRTIO_BLK_F_RO */
    int no_flush;              /* 1: no VIRTIO_BLK_F_FLUSH */
    int no_discard;            /* 1: no VIRTIO_BLK_F_DISCARD */
    const char *serial;        /* VIRTIO_BLK_T_GET_ID answer (<= 20 bytes), NULL = "mdlkit-virtio-blk" */
} mdlkit_virtio_blk_config;

mdlkit_virtio_blk *mdlkit_virtio_blk_create(const mdlkit_virtio_blk_config *cfg);
void mdlkit_virtio_blk_destroy(mdlkit_virtio_blk *blk);
mdlkit_pci_device *mdlkit_virtio_blk_pci(mdlkit_virtio_blk *blk);
/* The RAM disk itself (capacity_sectors * 512 bytes), for checking. */
UCHAR *mdlkit_virtio_blk_disk(mdlkit_virtio_blk *blk);

/* Fault and timing hooks. */
#define MDLKIT_VIRTIO_BLK_S_OK 0
#define MDLKIT_VIRTIO_BLK_S_IOERR 1
#define MDLKIT_VIRTIO_BLK_S_UNSUPP 2
/* The next `count` requests of type `type` (VIRTIO_BLK_T_*, or -1 for any)
 * complete with `status` without touching the disk. */
void mdlkit_virtio_blk_inject_error(mdlkit_virtio_blk *blk, int type, UCHAR status, ULONG count);
/* 1: requests are held when the driver notifies, and complete only at
 * mdlkit_virtio_blk_complete_held (a device that is slow). */
void mdlkit_virtio_blk_hold(mdlkit_virtio_blk *blk, int hold);
/* Completes up to `max` held requests, newest first when `reverse`
 * (out-of-order completion), then raises the queue's interrupt. Returns
 * how many completed. */
ULONG mdlkit_virtio_blk_complete_held(mdlkit_virtio_blk *blk, ULONG max, int reverse);
/* Requests held now. */
ULONG mdlkit_virtio_blk_held(mdlkit_virtio_blk *blk);

typedef struct mdlkit_virtio_blk_stats {
    ULONG64 reads, writes, flushes, get_ids, discards, errors, notifies, interrupts, resets;
} mdlkit_virtio_blk_stats;
void mdlkit_virtio_blk_get_stats(mdlkit_virtio_blk *blk, mdlkit_virtio_blk_stats *out);

#endif /* MDLKIT_HARNESS_DEVICE_H */
