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

/* ExUuidCreate (src/ex/uuid.c): a version-1 (time-based) UUID. The
 * simulated machine has no network adapter, so the node is random and the
 * status is RPC_NT_UUID_LOCAL_ONLY (a success), as on Windows without one. */
#ifndef UUID_DEFINED
#define UUID_DEFINED
typedef GUID UUID;
#endif
NTKERNELAPI NTSTATUS ExUuidCreate(UUID *Uuid);

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTDDK_H */
