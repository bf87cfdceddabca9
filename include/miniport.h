/*
 * miniport.h -- mdlkit's own text of the header miniport drivers (StorPort,
 * SCSI port) include before <storport.h>: the base NT types, INTERFACE_TYPE,
 * DMA_WIDTH / DMA_SPEED, KINTERRUPT_MODE and the PCI configuration types.
 * Here they all come from the kernel headers, so the two may be included in
 * either order, together with <wdm.h> or <ntddk.h>.
 */
#ifndef MDLKIT_MINIPORT_H
#define MDLKIT_MINIPORT_H

#include <wdm.h>
#include "mkstor/pci.h"

#endif /* MDLKIT_MINIPORT_H */
