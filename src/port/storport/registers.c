/*
 * registers.c -- the device's resources as a StorPort miniport reaches
 * them: StorPortGetDeviceBase / FreeDeviceBase (BAR mappings),
 * StorPortRead/WriteRegister* and StorPortRead/WritePort* (and their
 * buffer forms), routed through the simulated PCI bus to the device model,
 * StorPortGetBusData / SetBusDataByOffset (configuration space) and the
 * obsolete StorPortValidateRange. An
 * access outside every mapped BAR is 0xC4 MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED
 * (on Windows it touches whatever is there, or faults).
 */
#include "sp.h"

#include <string.h>

PVOID StorPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType, ULONG SystemIoBusNumber,
                            STOR_PHYSICAL_ADDRESS IoAddress, ULONG NumberOfBytes, BOOLEAN InIoSpace)
{
    MK_ENTER("StorPortGetDeviceBase");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (mk_irql() != PASSIVE_LEVEL && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortGetDeviceBase must be called at PASSIVE_LEVEL", mk_irql(),
                     0);
    (void)BusType;
    if (!a->dev || SystemIoBusNumber != 0 || !NumberOfBytes || IoAddress.QuadPart < 0)
        return NULL;
    /* Only ranges the port assigned to this adapter (its ACCESS_RANGEs). */
    return mk_pci_map(a->dev, (ULONG64)IoAddress.QuadPart, NumberOfBytes, InIoSpace ? 1 : 0, a);
}

void StorPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress)
{
    MK_ENTER("StorPortFreeDeviceBase");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    if (mk_pci_unmap(MappedAddress, a) != 0)
        mk_violation(MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED,
                     "StorPortFreeDeviceBase was given an address StorPortGetDeviceBase did not return for this "
                     "adapter",
                     (ULONG_PTR)MappedAddress, 0);
}

void mk_sp_registers_release(mk_sp_adapter *a) { mk_pci_unmap_owner(a); }

/* Obsolete since Windows NT 4.0: the documentation says it always answers
 * TRUE (the port gave the miniport its ranges in ConfigInfo->AccessRanges).
 * Calling it breaks the StorPortDeprecated rule, reported under DDI
 * compliance checking. */
BOOLEAN StorPortValidateRange(PVOID HwDeviceExtension, INTERFACE_TYPE BusType, ULONG SystemIoBusNumber,
                              STOR_PHYSICAL_ADDRESS IoAddress, ULONG NumberOfBytes, BOOLEAN InIoSpace)
{
    MK_ENTER("StorPortValidateRange");
    (void)mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    (void)BusType;
    (void)SystemIoBusNumber;
    (void)IoAddress;
    (void)NumberOfBytes;
    (void)InIoSpace;
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_DEPRECATED,
                     "StorPortDeprecated: StorPortValidateRange is obsolete; the port already gave the miniport its "
                     "access ranges in ConfigInfo->AccessRanges",
                     1, 0);
    return TRUE;
}

/* ------------------------------------------------------------------------
 * Register and port access
 * ---------------------------------------------------------------------- */
static ULONG64 sp_reg(const volatile void *addr, ULONG width, int write, ULONG64 value)
{
    if (mk_pci_mmio(addr, width, write, &value) != 0)
        mk_violation(MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED,
                     "A StorPort register routine was given an address outside every BAR mapped with "
                     "StorPortGetDeviceBase (or the memory space is disabled)",
                     (ULONG_PTR)addr, width);
    return value;
}

static ULONG64 sp_port(const volatile void *addr, ULONG width, int write, ULONG64 value)
{
    if (mk_pci_pio((ULONG_PTR)addr, width, write, &value) != 0)
        mk_violation(MDLKIT_RULE_STORPORT_REGISTER_UNMAPPED,
                     "A StorPort port routine was given a port outside every I/O BAR of the machine",
                     (ULONG_PTR)addr, width);
    return value;
}

#define SP_READ(name, type, fn, w)                                                                            \
    type name(PVOID HwDeviceExtension, type *Address)                                                         \
    {                                                                                                         \
        MK_ENTER(#name);                                                                                      \
        (void)HwDeviceExtension;                                                                              \
        return (type)fn(Address, w, 0, 0);                                                                    \
    }
#define SP_WRITE(name, type, fn, w)                                                                           \
    void name(PVOID HwDeviceExtension, type *Address, type Value)                                             \
    {                                                                                                         \
        MK_ENTER(#name);                                                                                      \
        (void)HwDeviceExtension;                                                                              \
        fn(Address, w, 1, (ULONG64)Value);                                                                    \
    }
#define SP_READ_BUF(name, type, fn, w)                                                                        \
    void name(PVOID HwDeviceExtension, type *Address, type *Buffer, ULONG Count)                              \
    {                                                                                                         \
        MK_ENTER(#name);                                                                                      \
        (void)HwDeviceExtension;                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                                     \
            Buffer[i] = (type)fn(Address, w, 0, 0);                                                           \
    }
#define SP_WRITE_BUF(name, type, fn, w)                                                                       \
    void name(PVOID HwDeviceExtension, type *Address, type *Buffer, ULONG Count)                              \
    {                                                                                                         \
        MK_ENTER(#name);                                                                                      \
        (void)HwDeviceExtension;                                                                              \
        for (ULONG i = 0; i < Count; i++)                                                                     \
            fn(Address, w, 1, (ULONG64)Buffer[i]);                                                            \
    }

/* The port forms access one port repeatedly; the register buffer forms
 * too (a FIFO register), as HAL's READ_REGISTER_BUFFER_* do. */
SP_READ(StorPortReadPortUchar, UCHAR, sp_port, 1)
SP_READ(StorPortReadPortUshort, USHORT, sp_port, 2)
SP_READ(StorPortReadPortUlong, ULONG, sp_port, 4)
SP_WRITE(StorPortWritePortUchar, UCHAR, sp_port, 1)
SP_WRITE(StorPortWritePortUshort, USHORT, sp_port, 2)
SP_WRITE(StorPortWritePortUlong, ULONG, sp_port, 4)
SP_READ_BUF(StorPortReadPortBufferUchar, UCHAR, sp_port, 1)
SP_READ_BUF(StorPortReadPortBufferUshort, USHORT, sp_port, 2)
SP_READ_BUF(StorPortReadPortBufferUlong, ULONG, sp_port, 4)
SP_WRITE_BUF(StorPortWritePortBufferUchar, UCHAR, sp_port, 1)
SP_WRITE_BUF(StorPortWritePortBufferUshort, USHORT, sp_port, 2)
SP_WRITE_BUF(StorPortWritePortBufferUlong, ULONG, sp_port, 4)
SP_READ(StorPortReadRegisterUchar, UCHAR, sp_reg, 1)
SP_READ(StorPortReadRegisterUshort, USHORT, sp_reg, 2)
SP_READ(StorPortReadRegisterUlong, ULONG, sp_reg, 4)
SP_READ(StorPortReadRegisterUlong64, ULONG64, sp_reg, 8)
SP_WRITE(StorPortWriteRegisterUchar, UCHAR, sp_reg, 1)
SP_WRITE(StorPortWriteRegisterUshort, USHORT, sp_reg, 2)
SP_WRITE(StorPortWriteRegisterUlong, ULONG, sp_reg, 4)
SP_WRITE(StorPortWriteRegisterUlong64, ULONG64, sp_reg, 8)
SP_READ_BUF(StorPortReadRegisterBufferUchar, UCHAR, sp_reg, 1)
SP_READ_BUF(StorPortReadRegisterBufferUshort, USHORT, sp_reg, 2)
SP_READ_BUF(StorPortReadRegisterBufferUlong, ULONG, sp_reg, 4)
SP_WRITE_BUF(StorPortWriteRegisterBufferUchar, UCHAR, sp_reg, 1)
SP_WRITE_BUF(StorPortWriteRegisterBufferUshort, USHORT, sp_reg, 2)
SP_WRITE_BUF(StorPortWriteRegisterBufferUlong, ULONG, sp_reg, 4)

/* ------------------------------------------------------------------------
 * Bus data
 * ---------------------------------------------------------------------- */
/* The adapter's own function: PCIConfiguration on bus 0 at the adapter's
 * slot. Returns NULL for anything else. */
static mdlkit_pci_device *sp_bus_device(mk_sp_adapter *a, ULONG type, ULONG bus, ULONG slot)
{
    if (type != PCIConfiguration || bus != 0 || !a->dev)
        return NULL;
    mdlkit_pci_device *d = mk_pci_at_slot(slot);
    return d == a->dev ? d : NULL;
}

ULONG StorPortGetBusData(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber, ULONG SlotNumber,
                         PVOID Buffer, ULONG Length)
{
    MK_ENTER("StorPortGetBusData");
    mk_sp_adapter *a = mk_sp_find_or_report(DeviceExtension, MK_SP_WHO_OTHER);
    mdlkit_pci_device *d = sp_bus_device(a, BusDataType, SystemIoBusNumber, SlotNumber);
    if (!d) {
        /* Documented: 0 when the bus does not exist; for PCI, 2 when the
         * slot holds no device (the vendor ID reads 0xFFFF). */
        if (BusDataType == PCIConfiguration && SystemIoBusNumber == 0 && Buffer && Length >= 2) {
            USHORT none = PCI_INVALID_VENDORID;
            memcpy(Buffer, &none, 2);
            return 2;
        }
        return 0;
    }
    if (!Buffer)
        return 0;
    if (Length == 0)
        return 0;
    return mdlkit_pci_config_read(d, 0, Buffer, Length);
}

ULONG StorPortSetBusDataByOffset(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber,
                                 ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length)
{
    MK_ENTER("StorPortSetBusDataByOffset");
    mk_sp_adapter *a = mk_sp_find_or_report(DeviceExtension, MK_SP_WHO_OTHER);
    mdlkit_pci_device *d = sp_bus_device(a, BusDataType, SystemIoBusNumber, SlotNumber);
    if (!d || !Buffer)
        return 0;
    return mdlkit_pci_config_write(d, Offset, Buffer, Length);
}
