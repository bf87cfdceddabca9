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

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTDDSTOR_H */
