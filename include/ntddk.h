/*
 * ntddk.h -- mdlkit's own NTDDK header: wdm.h plus the few routines the WDK
 * declares only in ntddk.h.
 */
#ifndef MDLKIT_NTDDK_H
#define MDLKIT_NTDDK_H

#include <wdm.h>
#include "mkstor/pci.h" /* PCI configuration space (HalGetBusData, StorPortGetBusData) */

MDLKIT_EXTERN_C_BEGIN

NTKERNELAPI PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress);
NTKERNELAPI PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress);
NTKERNELAPI BOOLEAN MmIsAddressValid(PVOID VirtualAddress);

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTDDK_H */
