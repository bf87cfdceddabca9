/*
 * ntddstor.h -- mdlkit's own text of the storage-class IOCTL definitions a
 * miniport sees: bus types, the property query, device descriptors and the
 * firmware structures of IOCTL_SCSI_MINIPORT_FIRMWARE. Names, values and
 * layouts are the documented ones; the text is mdlkit's.
 */
#ifndef MDLKIT_NTDDSTOR_H
#define MDLKIT_NTDDSTOR_H

#include <wdm.h>

MDLKIT_EXTERN_C_BEGIN

/* CTL_CODE of FILE_DEVICE_MASS_STORAGE (0x2D) requests, spelled out so this
 * header does not depend on devioctl.h. */
#define MDLKIT_STORAGE_CTL(fn, method, access) ((0x2DUL << 16) | ((ULONG)(access) << 14) | ((fn) << 2) | (method))
#define IOCTL_STORAGE_BASE 0x2D
#define IOCTL_STORAGE_CHECK_VERIFY MDLKIT_STORAGE_CTL(0x0200, 0, 1)
#define IOCTL_STORAGE_MEDIA_REMOVAL MDLKIT_STORAGE_CTL(0x0201, 0, 1)
#define IOCTL_STORAGE_EJECT_MEDIA MDLKIT_STORAGE_CTL(0x0202, 0, 1)
#define IOCTL_STORAGE_RESET_BUS MDLKIT_STORAGE_CTL(0x0400, 0, 1)
#define IOCTL_STORAGE_RESET_DEVICE MDLKIT_STORAGE_CTL(0x0401, 0, 1)
#define IOCTL_STORAGE_GET_DEVICE_NUMBER MDLKIT_STORAGE_CTL(0x0420, 0, 0)
#define IOCTL_STORAGE_QUERY_PROPERTY MDLKIT_STORAGE_CTL(0x0500, 0, 0)
#define IOCTL_STORAGE_FIRMWARE_GET_INFO MDLKIT_STORAGE_CTL(0x0700, 0, 0)
#define IOCTL_STORAGE_FIRMWARE_DOWNLOAD MDLKIT_STORAGE_CTL(0x0701, 0, 3)
#define IOCTL_STORAGE_FIRMWARE_ACTIVATE MDLKIT_STORAGE_CTL(0x0702, 0, 3)

typedef enum _STORAGE_BUS_TYPE {
    BusTypeUnknown = 0x00,
    BusTypeScsi,
    BusTypeAtapi,
    BusTypeAta,
    BusType1394,
    BusTypeSsa,
    BusTypeFibre,
    BusTypeUsb,
    BusTypeRAID,
    BusTypeiScsi,
    BusTypeSas,
    BusTypeSata,
    BusTypeSd,
    BusTypeMmc,
    BusTypeVirtual,
    BusTypeFileBackedVirtual,
    BusTypeSpaces,
    BusTypeNvme,
    BusTypeSCM,
    BusTypeUfs,
    BusTypeMax,
    BusTypeMaxReserved = 0x7F
} STORAGE_BUS_TYPE, *PSTORAGE_BUS_TYPE;

typedef enum _STORAGE_PROPERTY_ID {
    StorageDeviceProperty = 0,
    StorageAdapterProperty,
    StorageDeviceIdProperty,
    StorageDeviceUniqueIdProperty,
    StorageDeviceWriteCacheProperty,
    StorageMiniportProperty,
    StorageAccessAlignmentProperty,
    StorageDeviceSeekPenaltyProperty,
    StorageDeviceTrimProperty
} STORAGE_PROPERTY_ID, *PSTORAGE_PROPERTY_ID;

typedef enum _STORAGE_QUERY_TYPE {
    PropertyStandardQuery = 0,
    PropertyExistsQuery,
    PropertyMaskQuery,
    PropertyQueryMaxDefined
} STORAGE_QUERY_TYPE, *PSTORAGE_QUERY_TYPE;

typedef struct _STORAGE_PROPERTY_QUERY {
    STORAGE_PROPERTY_ID PropertyId;
    STORAGE_QUERY_TYPE QueryType;
    UCHAR AdditionalParameters[1];
} STORAGE_PROPERTY_QUERY, *PSTORAGE_PROPERTY_QUERY;

typedef struct _STORAGE_DEVICE_DESCRIPTOR {
    ULONG Version;
    ULONG Size;
    UCHAR DeviceType;
    UCHAR DeviceTypeModifier;
    BOOLEAN RemovableMedia;
    BOOLEAN CommandQueueing;
    ULONG VendorIdOffset;
    ULONG ProductIdOffset;
    ULONG ProductRevisionOffset;
    ULONG SerialNumberOffset;
    STORAGE_BUS_TYPE BusType;
    ULONG RawPropertiesLength;
    UCHAR RawDeviceProperties[1];
} STORAGE_DEVICE_DESCRIPTOR, *PSTORAGE_DEVICE_DESCRIPTOR;

typedef struct _STORAGE_DEVICE_NUMBER {
    ULONG DeviceType;
    ULONG DeviceNumber;
    ULONG PartitionNumber;
} STORAGE_DEVICE_NUMBER, *PSTORAGE_DEVICE_NUMBER;

/* Firmware (IOCTL_STORAGE_FIRMWARE_* and IOCTL_SCSI_MINIPORT_FIRMWARE) */
#define STORAGE_FIRMWARE_INFO_STRUCTURE_VERSION 0x1
#define STORAGE_FIRMWARE_INFO_STRUCTURE_VERSION_V2 0x2
#define STORAGE_FIRMWARE_INFO_INVALID_SLOT 0xFF
#define STORAGE_FIRMWARE_SLOT_INFO_V2_REVISION_LENGTH 16

typedef struct _STORAGE_FIRMWARE_SLOT_INFO {
    UCHAR SlotNumber;
    BOOLEAN ReadOnly;
    UCHAR Reserved[6];
    union {
        UCHAR Info[8];
        ULONGLONG AsUlonglong;
    } Revision;
} STORAGE_FIRMWARE_SLOT_INFO, *PSTORAGE_FIRMWARE_SLOT_INFO;

typedef struct _STORAGE_FIRMWARE_SLOT_INFO_V2 {
    UCHAR SlotNumber;
    BOOLEAN ReadOnly;
    UCHAR Reserved[6];
    UCHAR Revision[STORAGE_FIRMWARE_SLOT_INFO_V2_REVISION_LENGTH];
} STORAGE_FIRMWARE_SLOT_INFO_V2, *PSTORAGE_FIRMWARE_SLOT_INFO_V2;

typedef struct _STORAGE_FIRMWARE_INFO_V2 {
    ULONG Version;
    ULONG Size;
    BOOLEAN UpgradeSupport;
    UCHAR SlotCount;
    UCHAR ActiveSlot;
    UCHAR PendingActivateSlot;
    BOOLEAN FirmwareShared;
    UCHAR Reserved[3];
    ULONG ImagePayloadAlignment;
    ULONG ImagePayloadMaxSize;
    STORAGE_FIRMWARE_SLOT_INFO_V2 Slot[ANYSIZE_ARRAY];
} STORAGE_FIRMWARE_INFO_V2, *PSTORAGE_FIRMWARE_INFO_V2;

#define STORAGE_FIRMWARE_DOWNLOAD_STRUCTURE_VERSION 0x1
#define STORAGE_FIRMWARE_DOWNLOAD_STRUCTURE_VERSION_V2 0x2

typedef struct _STORAGE_FIRMWARE_DOWNLOAD_V2 {
    ULONG Version;
    ULONG Size;
    ULONGLONG Offset;
    ULONGLONG BufferSize;
    UCHAR Slot;
    UCHAR Reserved[3];
    ULONG ImageSize;
    UCHAR ImageBuffer[ANYSIZE_ARRAY];
} STORAGE_FIRMWARE_DOWNLOAD_V2, *PSTORAGE_FIRMWARE_DOWNLOAD_V2;

#define STORAGE_FIRMWARE_ACTIVATE_STRUCTURE_VERSION 0x1

typedef struct _STORAGE_FIRMWARE_ACTIVATE {
    ULONG Version;
    ULONG Size;
    UCHAR SlotToActivate;
    UCHAR Reserved0[3];
} STORAGE_FIRMWARE_ACTIVATE, *PSTORAGE_FIRMWARE_ACTIVATE;

/* ------------------------------------------------------------------------
 * IOCTL_STORAGE_MANAGE_DATA_SET_ATTRIBUTES (TRIM and the other data-set
 * management actions): the action codes (the high bit marks an action that
 * changes no data), the input header and the ranges that follow it.
 * ---------------------------------------------------------------------- */
typedef ULONG DEVICE_DATA_MANAGEMENT_SET_ACTION, DEVICE_DSM_ACTION;
#define DeviceDsmActionFlag_NonDestructive 0x80000000
#define DeviceDsmAction_None (0x00u)
#define DeviceDsmAction_Trim (0x01u)
#define DeviceDsmAction_Notification (0x02u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_OffloadRead (0x03u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_OffloadWrite (0x04u)
#define DeviceDsmAction_Allocation (0x05u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_Repair (0x06u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_Scrub (0x07u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_DrtQuery (0x08u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_DrtClear (0x09u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_DrtDisable (0x0Au | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_TieringQuery (0x0Bu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_Map (0x0Cu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_RegenerateParity (0x0Du | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_NvCache_Change_Priority (0x0Eu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_NvCache_Evict (0x0Fu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_TopologyIdQuery (0x10u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_GetPhysicalAddresses (0x11u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_ScopeRegen (0x12u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_ReportZones (0x13u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_OpenZone (0x14u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_FinishZone (0x15u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_CloseZone (0x16u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_ResetWritePointer (0x17u)
#define DeviceDsmAction_GetRangeErrorInfo (0x18u | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_WriteZeroes (0x19u)
#define DeviceDsmAction_LostQuery (0x1Au | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_GetFreeSpace (0x1Bu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_ConversionQuery (0x1Cu | DeviceDsmActionFlag_NonDestructive)
#define DeviceDsmAction_VdtSet (0x1Du)

#define DEVICE_DSM_FLAG_ENTIRE_DATA_SET_RANGE 0x00000001 /* the ranges are ignored: the whole device */
#define DEVICE_DSM_FLAG_TRIM_NOT_FS_ALLOCATED 0x80000000

typedef struct _DEVICE_DATA_SET_RANGE {
    LONGLONG StartingOffset; /* bytes */
    ULONGLONG LengthInBytes;
} DEVICE_DATA_SET_RANGE, *PDEVICE_DATA_SET_RANGE;

typedef struct _DEVICE_MANAGE_DATA_SET_ATTRIBUTES {
    ULONG Size; /* of this header */
    DEVICE_DATA_MANAGEMENT_SET_ACTION Action;
    ULONG Flags; /* DEVICE_DSM_FLAG_* */
    ULONG ParameterBlockOffset;
    ULONG ParameterBlockLength;
    ULONG DataSetRangesOffset; /* from the start of the header */
    ULONG DataSetRangesLength; /* bytes of DEVICE_DATA_SET_RANGE entries */
} DEVICE_MANAGE_DATA_SET_ATTRIBUTES, *PDEVICE_MANAGE_DATA_SET_ATTRIBUTES;

/* Nominal form factor of a storage device (StorageDevicePhysicalTopologyProperty
 * and the device descriptors that report it). */
typedef enum _STORAGE_DEVICE_FORM_FACTOR {
    FormFactorUnknown = 0,
    FormFactor3_5,
    FormFactor2_5,
    FormFactor1_8,
    FormFactor1_8Less,
    FormFactorEmbedded,
    FormFactorMemoryCard,
    FormFactormSata,
    FormFactorM_2,
    FormFactorPCIeBoard,
    FormFactorDimm
} STORAGE_DEVICE_FORM_FACTOR, *PSTORAGE_DEVICE_FORM_FACTOR;

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTDDSTOR_H */
