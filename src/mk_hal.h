/*
 * mk_hal.h -- the hardware abstraction layer's internal interface
 * (src/hal/). The system DMA controller model (sysdma.c) that slave DMA
 * adapters (src/io/dma.c) program; and the simulated platform's buses (pci.c): PCI functions that
 * device models describe, BAR mappings drivers make, register and port
 * access routed to the models, and interrupt delivery to a hosting port.
 * Below the port layers (they call down into it); device models call it
 * through the public mdlkit_pci_* / mdlkit_dma_* API.
 */
#ifndef MK_HAL_H
#define MK_HAL_H

#include "mk_base.h"

#include <mdlkit.h>

/* Bus-0 slots. */
#define MK_PCI_SLOTS 32
mdlkit_pci_device *mk_pci_at_slot(ULONG slot);

/* The BAR holding [bus_addr, bus_addr + len) of the given kind (io: 1 for
 * I/O space), or -1. *offset gets the offset inside the BAR. */
int mk_pci_bar_of(mdlkit_pci_device *dev, ULONG64 bus_addr, ULONG len, int io, ULONG64 *offset);
/* The I/O or memory ranges of the device, as StorPort hands them to
 * HwFindAdapter (in BAR order): up to max; returns the count. */
typedef struct mk_pci_range {
    ULONG64 start;
    ULONG length;
    int io;
} mk_pci_range;
ULONG mk_pci_ranges(mdlkit_pci_device *dev, mk_pci_range *out, ULONG max);
USHORT mk_pci_msix_vectors(mdlkit_pci_device *dev);
UCHAR mk_pci_interrupt_pin(mdlkit_pci_device *dev);

/* What PnP does before a driver starts: enables I/O, memory and bus
 * mastering and, if msix, MSI-X with every vector unmasked and
 * programmed (message address 0xFEE00000, data = vector). */
void mk_pci_enable(mdlkit_pci_device *dev, int msix);
/* ...and after it stops: everything disabled again. */
void mk_pci_disable(mdlkit_pci_device *dev);
int mk_pci_msix_enabled(mdlkit_pci_device *dev);

/* Mappings of BARs into the driver's address space (StorPortGetDeviceBase):
 * memory BARs get a reserved, inaccessible virtual range (a direct touch
 * faults; accesses go through the register routines); I/O BARs answer the
 * port number itself. NULL if [bus_addr, +len) is not inside one BAR of
 * that kind. `owner` is recorded (the adapter). */
void *mk_pci_map(mdlkit_pci_device *dev, ULONG64 bus_addr, ULONG len, int io, void *owner);
/* 0, or -1 if va is not a mapping (or owner differs). */
int mk_pci_unmap(void *va, void *owner);
/* Drops every mapping of owner; returns how many there were. */
ULONG mk_pci_unmap_owner(void *owner);

/* Register (memory) and port accesses. 0 on success, -1 if the address is
 * not inside a mapping (memory) / an enabled I/O BAR (ports), or the
 * access would cross its end. */
int mk_pci_mmio(const volatile void *va, ULONG width, int write, ULONG64 *value);
int mk_pci_pio(ULONG_PTR port, ULONG width, int write, ULONG64 *value);

/* Interrupt delivery. The hosting port takes pending interrupts of the
 * device: returns 1 and the message number (line interrupt: 0) of one
 * pending interrupt, 0 if none is pending. */
int mk_pci_take_interrupt(mdlkit_pci_device *dev, ULONG *message);
/* The owner (a hosting adapter) of the device, set by the port. */
void mk_pci_set_owner(mdlkit_pci_device *dev, void *owner);
void *mk_pci_owner(mdlkit_pci_device *dev);

void mk_pci_shutdown(void);

/* ------------------------------------------------------------------------
 * The system DMA controller (sysdma.c)
 * ---------------------------------------------------------------------- */
/* Runs one transfer of the system DMA controller on `request_line`
 * between simulated physical memory at `pa` (one physically contiguous run
 * of RAM) and the device on that line: to the device, the device (or the
 * line's default sink) receives the bytes; from the device, the device
 * (or the line's default source: the bytes of the last transfer to it)
 * provides them and they are written at `pa`. Returns 0, or -1 when
 * [pa, pa+length) is not RAM. */
int mk_sysdma_transfer(ULONG request_line, PHYSICAL_ADDRESS pa, ULONG length, BOOLEAN to_device);
/* Forgets every line (machine shutdown). */
void mk_sysdma_reset(void);


#endif /* MK_HAL_H */
