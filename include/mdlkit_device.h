/*
 * mdlkit_device.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: device models: PCI functions, BARs, DMA by physical address, interrupts.
 */
#ifndef MDLKIT_HARNESS_DEVICE_H
#define MDLKIT_HARNESS_DEVICE_H

#endif /* MDLKIT_HARNESS_DEVICE_H */
