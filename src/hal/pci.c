/*
 * pci.c -- the simulated PCI bus: functions described by device models
 * (configuration space, BARs, capabilities, MSI-X), BAR mappings made for
 * drivers, register and port accesses routed to the models, DMA by
 * physical address and interrupt pending state. The public side is
 * mdlkit_pci_* / mdlkit_dma_* (include/mdlkit_device.h, docs/devices.md);
 * the port layers use mk_hal.h.
 */
#define _GNU_SOURCE
#include "mk_hal.h"
#include "mk_machine.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define PCI_CFG_SIZE 256
#define PCI_CAP_START 0x40
#define PCI_IO_BASE 0xC000UL
#define PCI_IO_END 0x10000UL
#define PCI_MEM32_BASE 0xE0000000ULL
#define PCI_MEM32_END 0x100000000ULL
#define PCI_MEM64_BASE 0x8000000000ULL
#define PCI_MAX_MAPPINGS 128
#define PCI_MSIX_MAX 64
#define PCI_MSI_ADDRESS 0xFEE00000UL

struct mdlkit_pci_device {
    mdlkit_pci_function fn;
    ULONG slot;
    UCHAR cfg[PCI_CFG_SIZE];
    ULONG cap_end;       /* next free capability offset */
    ULONG cap_last;      /* offset of the last capability (0: none) */
    ULONG msix_cap;      /* offset of the MSI-X capability, 0 if none */
    ULONG64 bar_addr[6]; /* assigned bus addresses */
    UCHAR msix_table[PCI_MSIX_MAX * 16];
    _Atomic uint64_t pending;  /* interrupts waiting for delivery: bit v = MSI-X vector v */
    _Atomic uint64_t pba;      /* MSI-X pending bits of masked vectors */
    atomic_int intx;           /* line interrupt asserted */
    void *owner;
    int mappings;
};

typedef struct pci_mapping {
    char *va;
    size_t len;   /* bytes the driver asked for */
    size_t span;  /* bytes reserved */
    mdlkit_pci_device *dev;
    ULONG bar;
    ULONG64 bar_off;
    void *owner;
} pci_mapping;

static pthread_mutex_t pci_lock = PTHREAD_MUTEX_INITIALIZER;
static mdlkit_pci_device *pci_slots[MK_PCI_SLOTS];
static pci_mapping pci_maps[PCI_MAX_MAPPINGS];
static _Atomic int pci_nmaps; /* highest used index + 1 */
static ULONG64 pci_next_io = PCI_IO_BASE, pci_next_mem32 = PCI_MEM32_BASE, pci_next_mem64 = PCI_MEM64_BASE;

static void cfg_put16(mdlkit_pci_device *d, ULONG off, USHORT v) { memcpy(&d->cfg[off], &v, 2); }
static void cfg_put32(mdlkit_pci_device *d, ULONG off, ULONG v) { memcpy(&d->cfg[off], &v, 4); }
static USHORT cfg_get16(const mdlkit_pci_device *d, ULONG off)
{
    USHORT v;
    memcpy(&v, &d->cfg[off], 2);
    return v;
}

static int is_pow2(ULONG64 v) { return v && (v & (v - 1)) == 0; }

static ULONG64 align_up(ULONG64 v, ULONG64 a) { return (v + a - 1) & ~(a - 1); }

/* ------------------------------------------------------------------------
 * Creation
 * ---------------------------------------------------------------------- */
static int pci_assign_bars(mdlkit_pci_device *d)
{
    ULONG64 ram_end = ((ULONG64)mk_phys.last + 1) << PAGE_SHIFT;
    for (ULONG i = 0; i < 6; i++) {
        const mdlkit_pci_bar *b = &d->fn.bars[i];
        ULONG off = 0x10 + 4 * i;
        switch (b->kind) {
        case MDLKIT_BAR_NONE:
            break;
        case MDLKIT_BAR_IO: {
            if (!is_pow2(b->size) || b->size < 4 || b->size > 256)
                return -1;
            ULONG64 a = align_up(pci_next_io, b->size);
            if (a + b->size > PCI_IO_END)
                return -1;
            pci_next_io = a + b->size;
            d->bar_addr[i] = a;
            cfg_put32(d, off, (ULONG)a | PCI_ADDRESS_IO_SPACE);
            break;
        }
        case MDLKIT_BAR_MEMORY32: {
            if (!is_pow2(b->size) || b->size < 16)
                return -1;
            ULONG64 a = align_up(pci_next_mem32, b->size > PAGE_SIZE ? b->size : PAGE_SIZE);
            if (a + b->size > PCI_MEM32_END || ram_end > PCI_MEM32_BASE)
                return -1;
            pci_next_mem32 = a + (b->size > PAGE_SIZE ? b->size : PAGE_SIZE);
            d->bar_addr[i] = a;
            cfg_put32(d, off, (ULONG)a);
            break;
        }
        case MDLKIT_BAR_MEMORY64: {
            if (!is_pow2(b->size) || b->size < 16 || i == 5 || d->fn.bars[i + 1].kind != MDLKIT_BAR_NONE)
                return -1;
            ULONG64 a = align_up(pci_next_mem64, b->size > PAGE_SIZE ? b->size : PAGE_SIZE);
            pci_next_mem64 = a + (b->size > PAGE_SIZE ? b->size : PAGE_SIZE);
            d->bar_addr[i] = a;
            cfg_put32(d, off, (ULONG)(a & 0xFFFFFFF0u) | PCI_TYPE_64BIT | PCI_ADDRESS_MEMORY_PREFETCHABLE);
            cfg_put32(d, off + 4, (ULONG)(a >> 32));
            i++; /* the upper half */
            break;
        }
        default:
            return -1;
        }
    }
    return 0;
}

ULONG mdlkit_pci_add_capability(mdlkit_pci_device *dev, UCHAR id, const void *body, ULONG len)
{
    MK_ENTER("mdlkit_pci_add_capability");
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_add_capability");
    if (!dev)
        return 0;
    pthread_mutex_lock(&pci_lock);
    ULONG off = (ULONG)align_up(dev->cap_end, 4);
    if (off + 2 + len > PCI_CFG_SIZE) {
        pthread_mutex_unlock(&pci_lock);
        return 0;
    }
    dev->cfg[off] = id;
    dev->cfg[off + 1] = 0;
    if (len)
        memcpy(&dev->cfg[off + 2], body, len);
    if (dev->cap_last)
        dev->cfg[dev->cap_last + 1] = (UCHAR)off;
    else
        dev->cfg[0x34] = (UCHAR)off;
    dev->cap_last = off;
    dev->cap_end = off + 2 + len;
    cfg_put16(dev, 0x06, cfg_get16(dev, 0x06) | PCI_STATUS_CAPABILITIES_LIST);
    pthread_mutex_unlock(&pci_lock);
    return off;
}

mdlkit_pci_device *mdlkit_pci_create(const mdlkit_pci_function *fn)
{
    MK_ENTER("mdlkit_pci_create");
    if (!fn || (fn->msix_vectors > PCI_MSIX_MAX))
        return NULL;
    if (fn->msix_vectors) {
        if (fn->msix_bar > 5 || fn->bars[fn->msix_bar].kind < MDLKIT_BAR_MEMORY32)
            return NULL;
        ULONG size = fn->bars[fn->msix_bar].size;
        if ((ULONG64)fn->msix_table_offset + 16ULL * fn->msix_vectors > size ||
            (ULONG64)fn->msix_pba_offset + 8 > size || (fn->msix_table_offset & 7) || (fn->msix_pba_offset & 7))
            return NULL;
    }
    mdlkit_pci_device *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->fn = *fn;
    cfg_put16(d, 0x00, fn->vendor_id);
    cfg_put16(d, 0x02, fn->device_id);
    d->cfg[0x08] = fn->revision_id;
    d->cfg[0x09] = fn->prog_if;
    d->cfg[0x0A] = fn->sub_class;
    d->cfg[0x0B] = fn->base_class;
    d->cfg[0x0E] = PCI_DEVICE_TYPE;
    cfg_put16(d, 0x2C, fn->subsystem_vendor_id);
    cfg_put16(d, 0x2E, fn->subsystem_id);
    d->cfg[0x3D] = fn->interrupt_pin;
    d->cfg[0x3C] = fn->interrupt_pin ? 11 : 0xFF;
    d->cap_end = PCI_CAP_START;
    pthread_mutex_lock(&pci_lock);
    int slot = -1;
    for (int i = 0; i < MK_PCI_SLOTS; i++)
        if (!pci_slots[i]) {
            slot = i;
            break;
        }
    if (slot < 0 || pci_assign_bars(d) != 0) {
        pthread_mutex_unlock(&pci_lock);
        free(d);
        return NULL;
    }
    d->slot = (ULONG)slot;
    pci_slots[slot] = d;
    pthread_mutex_unlock(&pci_lock);
    if (fn->msix_vectors) {
        UCHAR body[10];
        USHORT ctl = (USHORT)(fn->msix_vectors - 1);
        ULONG table = fn->msix_table_offset | fn->msix_bar;
        ULONG pba = fn->msix_pba_offset | fn->msix_bar;
        memcpy(body, &ctl, 2);
        memcpy(body + 2, &table, 4);
        memcpy(body + 6, &pba, 4);
        d->msix_cap = mdlkit_pci_add_capability(d, PCI_CAPABILITY_ID_MSIX, body, sizeof body);
        for (ULONG v = 0; v < fn->msix_vectors; v++)
            d->msix_table[v * 16 + 12] = 1; /* masked until the OS programs it */
    }
    return d;
}

int mdlkit_pci_destroy(mdlkit_pci_device *dev)
{
    MK_ENTER("mdlkit_pci_destroy");
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_destroy");
    if (!dev)
        return -1;
    pthread_mutex_lock(&pci_lock);
    if (dev->mappings || dev->owner) {
        pthread_mutex_unlock(&pci_lock);
        return -1;
    }
    if (dev->slot < MK_PCI_SLOTS && pci_slots[dev->slot] == dev)
        pci_slots[dev->slot] = NULL;
    pthread_mutex_unlock(&pci_lock);
    free(dev);
    return 0;
}

ULONG64 mdlkit_pci_bar_address(mdlkit_pci_device *dev, ULONG bar)
{
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_bar_address");
    return dev && bar < 6 ? dev->bar_addr[bar] : 0;
}
ULONG mdlkit_pci_slot(mdlkit_pci_device *dev)
{
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_slot");
    return dev ? dev->slot : 0;
}

mdlkit_pci_device *mk_pci_at_slot(ULONG slot)
{
    PCI_SLOT_NUMBER s;
    s.u.AsULONG = slot;
    if (s.u.bits.FunctionNumber != 0 || s.u.bits.Reserved)
        return NULL;
    pthread_mutex_lock(&pci_lock);
    mdlkit_pci_device *d = pci_slots[s.u.bits.DeviceNumber];
    pthread_mutex_unlock(&pci_lock);
    return d;
}

USHORT mk_pci_msix_vectors(mdlkit_pci_device *dev) { return dev->fn.msix_vectors; }
UCHAR mk_pci_interrupt_pin(mdlkit_pci_device *dev) { return dev->fn.interrupt_pin; }
void mk_pci_set_owner(mdlkit_pci_device *dev, void *owner) { dev->owner = owner; }
void *mk_pci_owner(mdlkit_pci_device *dev) { return dev->owner; }

ULONG mk_pci_ranges(mdlkit_pci_device *dev, mk_pci_range *out, ULONG max)
{
    ULONG n = 0;
    for (ULONG i = 0; i < 6 && n < max; i++) {
        const mdlkit_pci_bar *b = &dev->fn.bars[i];
        if (b->kind == MDLKIT_BAR_NONE)
            continue;
        out[n].start = dev->bar_addr[i];
        out[n].length = b->size;
        out[n].io = b->kind == MDLKIT_BAR_IO;
        n++;
        if (b->kind == MDLKIT_BAR_MEMORY64)
            i++;
    }
    return n;
}

int mk_pci_bar_of(mdlkit_pci_device *dev, ULONG64 bus_addr, ULONG len, int io, ULONG64 *offset)
{
    for (ULONG i = 0; i < 6; i++) {
        const mdlkit_pci_bar *b = &dev->fn.bars[i];
        if (b->kind == MDLKIT_BAR_NONE || (b->kind == MDLKIT_BAR_IO) != (io != 0))
            continue;
        ULONG64 a = dev->bar_addr[i];
        if (bus_addr >= a && bus_addr - a < b->size && len <= b->size - (bus_addr - a)) {
            *offset = bus_addr - a;
            return (int)i;
        }
    }
    return -1;
}

/* ------------------------------------------------------------------------
 * Configuration space
 * ---------------------------------------------------------------------- */
ULONG mdlkit_pci_config_read(mdlkit_pci_device *dev, ULONG offset, void *buf, ULONG len)
{
    MK_ENTER("mdlkit_pci_config_read");
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_config_read");
    if (!dev || !buf || offset >= PCI_CFG_SIZE)
        return 0;
    if (len > PCI_CFG_SIZE - offset)
        len = PCI_CFG_SIZE - offset;
    pthread_mutex_lock(&pci_lock);
    memcpy(buf, &dev->cfg[offset], len);
    pthread_mutex_unlock(&pci_lock);
    return len;
}

/* One byte written by the driver at off. */
static void cfg_write_byte(mdlkit_pci_device *d, ULONG off, UCHAR v)
{
    if (off == 0x04 || off == 0x05) { /* command: the enables and INTx disable */
        USHORT mask = PCI_ENABLE_IO_SPACE | PCI_ENABLE_MEMORY_SPACE | PCI_ENABLE_BUS_MASTER |
                      PCI_ENABLE_PARITY | PCI_ENABLE_SERR | PCI_DISABLE_LEVEL_INTERRUPT;
        UCHAR m = (UCHAR)(off == 0x04 ? mask : mask >> 8);
        d->cfg[off] = (UCHAR)((d->cfg[off] & ~m) | (v & m));
        return;
    }
    if (off >= 0x10 && off < 0x28) { /* BARs: address bits only, sizing reads back the mask */
        ULONG bar = (off - 0x10) / 4, byte = (off - 0x10) % 4;
        const mdlkit_pci_bar *b = &d->fn.bars[bar];
        ULONG64 mask;
        ULONG flagbits;
        if (b->kind == MDLKIT_BAR_NONE) {
            if (bar > 0 && d->fn.bars[bar - 1].kind == MDLKIT_BAR_MEMORY64) {
                d->cfg[off] = v; /* upper half of a 64-bit BAR: all bits writable */
            }
            return;
        }
        mask = ~(ULONG64)(b->size - 1);
        flagbits = b->kind == MDLKIT_BAR_IO ? 0x3 : 0xF;
        ULONG cur;
        memcpy(&cur, &d->cfg[0x10 + 4 * bar], 4);
        ULONG nv = (cur & ~(0xFFu << (8 * byte))) | ((ULONG)v << (8 * byte));
        nv = (nv & (ULONG)mask & ~flagbits) | (cur & flagbits);
        memcpy(&d->cfg[0x10 + 4 * bar], &nv, 4);
        return;
    }
    if (off == 0x3C) { /* interrupt line: scratch */
        d->cfg[off] = v;
        return;
    }
    if (d->msix_cap && off == d->msix_cap + 3) { /* MSI-X enable (bit 15) and function mask (bit 14) */
        d->cfg[off] = (UCHAR)((d->cfg[off] & 0x3F) | (v & 0xC0));
        return;
    }
    if (off >= PCI_CAP_START && off < d->cap_end) {
        /* capability bodies other than headers are the model's registers;
         * the header bytes (id, next) are read-only. */
        ULONG c = d->cfg[0x34];
        while (c) {
            if (off == c || off == c + 1)
                return;
            c = d->cfg[c + 1];
        }
        if (d->msix_cap && off >= d->msix_cap && off < d->msix_cap + 12)
            return;
        d->cfg[off] = v;
    }
}

ULONG mdlkit_pci_config_write(mdlkit_pci_device *dev, ULONG offset, const void *buf, ULONG len)
{
    MK_ENTER("mdlkit_pci_config_write");
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_config_write");
    if (!dev || !buf || offset >= PCI_CFG_SIZE)
        return 0;
    if (len > PCI_CFG_SIZE - offset)
        len = PCI_CFG_SIZE - offset;
    pthread_mutex_lock(&pci_lock);
    for (ULONG i = 0; i < len; i++)
        cfg_write_byte(dev, offset + i, ((const UCHAR *)buf)[i]);
    pthread_mutex_unlock(&pci_lock);
    return len;
}

int mk_pci_msix_enabled(mdlkit_pci_device *dev)
{
    return dev->msix_cap && (cfg_get16(dev, dev->msix_cap + 2) & 0x8000) != 0;
}

void mk_pci_enable(mdlkit_pci_device *dev, int msix)
{
    pthread_mutex_lock(&pci_lock);
    cfg_put16(dev, 0x04, PCI_ENABLE_IO_SPACE | PCI_ENABLE_MEMORY_SPACE | PCI_ENABLE_BUS_MASTER);
    if (msix && dev->msix_cap) {
        for (ULONG v = 0; v < dev->fn.msix_vectors; v++) {
            ULONG lo = PCI_MSI_ADDRESS, hi = 0, data = v, ctl = 0;
            memcpy(&dev->msix_table[v * 16], &lo, 4);
            memcpy(&dev->msix_table[v * 16 + 4], &hi, 4);
            memcpy(&dev->msix_table[v * 16 + 8], &data, 4);
            memcpy(&dev->msix_table[v * 16 + 12], &ctl, 4);
        }
        cfg_put16(dev, dev->msix_cap + 2, (USHORT)(cfg_get16(dev, dev->msix_cap + 2) | 0x8000));
    }
    pthread_mutex_unlock(&pci_lock);
}

void mk_pci_disable(mdlkit_pci_device *dev)
{
    pthread_mutex_lock(&pci_lock);
    cfg_put16(dev, 0x04, 0);
    if (dev->msix_cap)
        cfg_put16(dev, dev->msix_cap + 2, (USHORT)(cfg_get16(dev, dev->msix_cap + 2) & 0x3FFF));
    atomic_store(&dev->pending, 0);
    atomic_store(&dev->pba, 0);
    atomic_store(&dev->intx, 0);
    pthread_mutex_unlock(&pci_lock);
}

/* ------------------------------------------------------------------------
 * Mappings and register access
 * ---------------------------------------------------------------------- */
void *mk_pci_map(mdlkit_pci_device *dev, ULONG64 bus_addr, ULONG len, int io, void *owner)
{
    ULONG64 off;
    if (!dev || !len)
        return NULL;
    int bar = mk_pci_bar_of(dev, bus_addr, len, io, &off);
    if (bar < 0)
        return NULL;
    if (io)
        return (void *)(uintptr_t)bus_addr; /* ports: the port number, as on x64 Windows */
    size_t span = (size_t)align_up(len + (bus_addr & (PAGE_SIZE - 1)), PAGE_SIZE);
    char *va = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (va == MAP_FAILED)
        return NULL;
    pthread_mutex_lock(&pci_lock);
    int slot = -1;
    for (int i = 0; i < PCI_MAX_MAPPINGS; i++)
        if (!pci_maps[i].va) {
            slot = i;
            break;
        }
    if (slot < 0) {
        pthread_mutex_unlock(&pci_lock);
        munmap(va, span);
        return NULL;
    }
    char *user = va + (bus_addr & (PAGE_SIZE - 1));
    pci_maps[slot] = (pci_mapping){user, len, span, dev, (ULONG)bar, off, owner};
    if (slot + 1 > atomic_load(&pci_nmaps))
        atomic_store(&pci_nmaps, slot + 1);
    dev->mappings++;
    pthread_mutex_unlock(&pci_lock);
    return user;
}

static void pci_unmap_slot(int i)
{
    pci_mapping m = pci_maps[i];
    pci_maps[i].va = NULL;
    m.dev->mappings--;
    munmap((void *)((uintptr_t)m.va & ~(uintptr_t)(PAGE_SIZE - 1)), m.span);
}

int mk_pci_unmap(void *va, void *owner)
{
    if ((uintptr_t)va < PCI_IO_END)
        return 0; /* a port base: nothing was reserved */
    int rc = -1;
    pthread_mutex_lock(&pci_lock);
    for (int i = 0; i < atomic_load(&pci_nmaps); i++)
        if (pci_maps[i].va == va && pci_maps[i].owner == owner) {
            pci_unmap_slot(i);
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&pci_lock);
    return rc;
}

ULONG mk_pci_unmap_owner(void *owner)
{
    ULONG n = 0;
    pthread_mutex_lock(&pci_lock);
    for (int i = 0; i < atomic_load(&pci_nmaps); i++)
        if (pci_maps[i].va && pci_maps[i].owner == owner) {
            pci_unmap_slot(i);
            n++;
        }
    pthread_mutex_unlock(&pci_lock);
    return n;
}

static ULONG64 msix_read(mdlkit_pci_device *d, ULONG64 off, ULONG width)
{
    ULONG64 v = 0;
    const mdlkit_pci_function *f = &d->fn;
    if (off >= f->msix_table_offset && off + width <= f->msix_table_offset + 16ULL * f->msix_vectors) {
        memcpy(&v, &d->msix_table[off - f->msix_table_offset], width);
    } else {
        uint64_t pba = atomic_load(&d->pba);
        ULONG64 o = off - f->msix_pba_offset;
        memcpy(&v, (const UCHAR *)&pba + o, width);
    }
    return v;
}

static void pci_raise_locked(mdlkit_pci_device *d, ULONG v);

static void msix_write(mdlkit_pci_device *d, ULONG64 off, ULONG width, ULONG64 value)
{
    const mdlkit_pci_function *f = &d->fn;
    if (off >= f->msix_table_offset && off + width <= f->msix_table_offset + 16ULL * f->msix_vectors) {
        ULONG64 o = off - f->msix_table_offset;
        memcpy(&d->msix_table[o], &value, width);
        ULONG v = (ULONG)(o / 16);
        if (!(d->msix_table[v * 16 + 12] & 1) && (atomic_load(&d->pba) & (1ULL << v))) {
            atomic_fetch_and(&d->pba, ~(1ULL << v));
            pci_raise_locked(d, v); /* unmasked with a pending message */
        }
    }
    /* the PBA is read-only */
}

static int pci_is_msix(const mdlkit_pci_device *d, ULONG bar, ULONG64 off, ULONG width)
{
    const mdlkit_pci_function *f = &d->fn;
    if (!f->msix_vectors || bar != f->msix_bar)
        return 0;
    if (off >= f->msix_table_offset && off + width <= f->msix_table_offset + 16ULL * f->msix_vectors)
        return 1;
    return off >= f->msix_pba_offset && off + width <= f->msix_pba_offset + 8;
}

static int pci_access(mdlkit_pci_device *d, ULONG bar, ULONG64 off, ULONG width, int write, ULONG64 *value)
{
    if (pci_is_msix(d, bar, off, width)) {
        pthread_mutex_lock(&pci_lock);
        if (write)
            msix_write(d, off, width, *value);
        else
            *value = msix_read(d, off, width);
        pthread_mutex_unlock(&pci_lock);
        return 0;
    }
    if (write) {
        if (d->fn.write)
            d->fn.write(d->fn.ctx, bar, off, width, *value);
    } else {
        ULONG64 v = d->fn.read ? d->fn.read(d->fn.ctx, bar, off, width) : ~0ULL;
        *value = width == 8 ? v : v & ((1ULL << (8 * width)) - 1);
    }
    return 0;
}

int mk_pci_mmio(const volatile void *va, ULONG width, int write, ULONG64 *value)
{
    const char *p = (const char *)va;
    mdlkit_pci_device *dev = NULL;
    ULONG bar = 0;
    ULONG64 off = 0;
    pthread_mutex_lock(&pci_lock);
    int n = atomic_load(&pci_nmaps);
    for (int i = 0; i < n; i++) {
        pci_mapping *m = &pci_maps[i];
        if (m->va && p >= m->va && p < m->va + m->len) {
            if ((size_t)(p - m->va) + width > m->len)
                break;
            if (!(cfg_get16(m->dev, 0x04) & PCI_ENABLE_MEMORY_SPACE))
                break;
            dev = m->dev;
            bar = m->bar;
            off = m->bar_off + (ULONG64)(p - m->va);
            break;
        }
    }
    pthread_mutex_unlock(&pci_lock);
    if (!dev)
        return -1;
    return pci_access(dev, bar, off, width, write, value);
}

int mk_pci_pio(ULONG_PTR port, ULONG width, int write, ULONG64 *value)
{
    mdlkit_pci_device *dev = NULL;
    int bar = -1;
    ULONG64 off = 0;
    pthread_mutex_lock(&pci_lock);
    for (int i = 0; i < MK_PCI_SLOTS && bar < 0; i++) {
        mdlkit_pci_device *d = pci_slots[i];
        if (!d || !(cfg_get16(d, 0x04) & PCI_ENABLE_IO_SPACE))
            continue;
        bar = mk_pci_bar_of(d, port, width, 1, &off);
        if (bar >= 0)
            dev = d;
    }
    pthread_mutex_unlock(&pci_lock);
    if (!dev)
        return -1;
    return pci_access(dev, (ULONG)bar, off, width, write, value);
}

static int pci_direct(mdlkit_pci_device *dev, ULONG bar, ULONG64 offset, ULONG width, int write, ULONG64 *value)
{
    if (!dev || bar > 5 || !value || (width != 1 && width != 2 && width != 4 && width != 8))
        return -1;
    const mdlkit_pci_bar *b = &dev->fn.bars[bar];
    if (b->kind == MDLKIT_BAR_NONE || offset >= b->size || width > b->size - offset)
        return -1;
    USHORT need = b->kind == MDLKIT_BAR_IO ? PCI_ENABLE_IO_SPACE : PCI_ENABLE_MEMORY_SPACE;
    pthread_mutex_lock(&pci_lock);
    USHORT cmd = cfg_get16(dev, 0x04);
    pthread_mutex_unlock(&pci_lock);
    if (!(cmd & need))
        return -1;
    return pci_access(dev, bar, offset, width, write, value);
}

int mdlkit_pci_bar_read(mdlkit_pci_device *dev, ULONG bar, ULONG64 offset, ULONG width, ULONG64 *value)
{
    MK_ENTER("mdlkit_pci_bar_read");
    MK_HARNESS_OBJ(dev, "mdlkit_pci_bar_read");
    return pci_direct(dev, bar, offset, width, 0, value);
}

int mdlkit_pci_bar_write(mdlkit_pci_device *dev, ULONG bar, ULONG64 offset, ULONG width, ULONG64 value)
{
    MK_ENTER("mdlkit_pci_bar_write");
    MK_HARNESS_OBJ(dev, "mdlkit_pci_bar_write");
    return pci_direct(dev, bar, offset, width, 1, &value);
}

/* ------------------------------------------------------------------------
 * Interrupts
 * ---------------------------------------------------------------------- */
static void pci_raise_locked(mdlkit_pci_device *d, ULONG v)
{
    atomic_fetch_or(&d->pending, 1ULL << v);
}

int mdlkit_pci_interrupt(mdlkit_pci_device *dev, ULONG vector)
{
    MK_HARNESS_OBJ_OPT(dev, "mdlkit_pci_interrupt");
    if (!dev)
        return -1;
    pthread_mutex_lock(&pci_lock);
    int rc = 0;
    if (mk_pci_msix_enabled(dev)) {
        if (vector >= dev->fn.msix_vectors) {
            rc = -1;
        } else if ((dev->msix_table[vector * 16 + 12] & 1) || (cfg_get16(dev, dev->msix_cap + 2) & 0x4000)) {
            atomic_fetch_or(&dev->pba, 1ULL << vector); /* masked: pending bit */
        } else {
            pci_raise_locked(dev, vector);
        }
    } else if (dev->fn.interrupt_pin && !(cfg_get16(dev, 0x04) & PCI_DISABLE_LEVEL_INTERRUPT)) {
        atomic_store(&dev->intx, 1);
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&pci_lock);
    return rc;
}

int mk_pci_take_interrupt(mdlkit_pci_device *dev, ULONG *message)
{
    uint64_t p = atomic_load(&dev->pending);
    while (p) {
        ULONG v = (ULONG)__builtin_ctzll(p);
        if (atomic_compare_exchange_weak(&dev->pending, &p, p & ~(1ULL << v))) {
            *message = v;
            return 1;
        }
    }
    if (atomic_exchange(&dev->intx, 0)) {
        *message = 0;
        return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * DMA
 * ---------------------------------------------------------------------- */
/* The host address of a physical address, or NULL (not memory). */
static char *pci_pa_to_host(ULONG64 pa)
{
    PFN_NUMBER pfn = (PFN_NUMBER)(pa >> PAGE_SHIFT);
    if (mk_pfn_is_ram(pfn))
        return (char *)mk_pfn_to_direct(pfn) + (pa & (PAGE_SIZE - 1));
    if (mk_pfn_is_foreign(pfn))
        return (char *)(uintptr_t)(((pfn - MK_FOREIGN_PFN_BASE) << PAGE_SHIFT) | (pa & (PAGE_SIZE - 1)));
    return NULL;
}

/* A device's bus-master access is outside the processors' memory model: the
 * driver and the device share rings by protocol (barriers and indices),
 * not by locks. Under ThreadSanitizer the copy is therefore not
 * instrumented (a device is not a thread whose accesses TSan could order). */
#if defined(__SANITIZE_THREAD__)
#define PCI_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PCI_TSAN 1
#endif
#endif
#ifdef PCI_TSAN
__attribute__((no_sanitize("thread"), noinline)) static void pci_dma_copy(char *dst, const char *src, size_t n)
{
    volatile char *d = dst;
    const volatile char *s = src;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i];
}
#else
static inline void pci_dma_copy(char *dst, const char *src, size_t n) { memcpy(dst, src, n); }
#endif

static int pci_dma(mdlkit_pci_device *dev, ULONG64 pa, void *buf, size_t len, int to_memory)
{
    if (!dev || (!buf && len))
        return -1;
    if (!(cfg_get16(dev, 0x04) & PCI_ENABLE_BUS_MASTER))
        return -1;
    /* Check every page first: nothing is copied on a master abort. */
    for (size_t done = 0; done < len;) {
        ULONG64 a = pa + done;
        size_t chunk = PAGE_SIZE - (size_t)(a & (PAGE_SIZE - 1));
        if (!pci_pa_to_host(a))
            return -1;
        done += chunk;
    }
    for (size_t done = 0; done < len;) {
        ULONG64 a = pa + done;
        size_t chunk = PAGE_SIZE - (size_t)(a & (PAGE_SIZE - 1));
        if (chunk > len - done)
            chunk = len - done;
        char *h = pci_pa_to_host(a);
        if (to_memory)
            pci_dma_copy(h, (const char *)buf + done, chunk);
        else
            pci_dma_copy((char *)buf + done, h, chunk);
        done += chunk;
    }
    return 0;
}

int mdlkit_dma_read(mdlkit_pci_device *dev, ULONG64 pa, void *buf, size_t len)
{
    MK_HARNESS_OBJ(dev, "mdlkit_dma_read");
    return pci_dma(dev, pa, buf, len, 0);
}

int mdlkit_dma_write(mdlkit_pci_device *dev, ULONG64 pa, const void *buf, size_t len)
{
    MK_HARNESS_OBJ(dev, "mdlkit_dma_write");
    return pci_dma(dev, pa, (void *)buf, len, 1);
}

void mk_pci_shutdown(void)
{
    pthread_mutex_lock(&pci_lock);
    for (int i = 0; i < atomic_load(&pci_nmaps); i++)
        if (pci_maps[i].va)
            pci_unmap_slot(i);
    atomic_store(&pci_nmaps, 0);
    for (int i = 0; i < MK_PCI_SLOTS; i++) {
        free(pci_slots[i]); /* functions still present go with the machine (docs/devices.md) */
        pci_slots[i] = NULL;
    }
    pci_next_io = PCI_IO_BASE;
    pci_next_mem32 = PCI_MEM32_BASE;
    pci_next_mem64 = PCI_MEM64_BASE;
    pthread_mutex_unlock(&pci_lock);
}
