/*
 * ata.h -- mdlkit's own text of the ATA definitions storage miniports use
 * (storahci and other SATA/AHCI drivers): task-file register bits, command
 * codes, SET FEATURES / SMART / NCQ subcommands, general-purpose log
 * addresses and device signatures. Names and values are the documented ones
 * (ATA8-ACS and Microsoft's ata.h reference); the text is mdlkit's.
 *
 * IDENTIFY_DEVICE_DATA and IDENTIFY_PACKET_DATA are here; not yet the
 * log-page structures (docs/storport.md, "Other miniports").
 */
#ifndef MDLKIT_ATA_H
#define MDLKIT_ATA_H

#include <ntdef.h>

/* LBA addressing in the Device register */
#define IDE_LBA_MODE (1 << 6)

/* Transfer-mode values for SET FEATURES / SET_TRANSFER_MODE (Count register) */
#define IDE_SET_DEFAULT_PIO_MODE(mode) ((UCHAR)1)
#define IDE_SET_ADVANCE_PIO_MODE(mode) ((UCHAR)(0x08 | (mode)))
#define IDE_SET_SWDMA_MODE(mode) ((UCHAR)(0x10 | (mode)))
#define IDE_SET_MWDMA_MODE(mode) ((UCHAR)(0x20 | (mode)))
#define IDE_SET_UDMA_MODE(mode) ((UCHAR)(0x40 | (mode)))

/* DATA SET MANAGEMENT: the TRIM bit of the Features register */
#define IDE_DSM_FEATURE_TRIM 0x0001

/* Task-file status register bits (ATA8-ACS) */
#define IDE_STATUS_ERROR 0x01
#define IDE_STATUS_INDEX 0x02
#define IDE_STATUS_CORRECTED_ERROR 0x04
#define IDE_STATUS_DRQ 0x08
#define IDE_STATUS_DSC 0x10
#define IDE_STATUS_DEVICE_FAULT 0x20
#define IDE_STATUS_DRDY 0x40
#define IDE_STATUS_IDLE 0x50
#define IDE_STATUS_BUSY 0x80

/* Error register bits; two pairs share a bit (ICRC/bad block, ILI/address not found) */
#define IDE_ERROR_ILLEGAL_LENGTH 0x01
#define IDE_ERROR_ADDRESS_NOT_FOUND 0x01
#define IDE_ERROR_END_OF_MEDIA 0x02
#define IDE_ERROR_COMMAND_ABORTED 0x04
#define IDE_ERROR_MEDIA_CHANGE_REQ 0x08
#define IDE_ERROR_ID_NOT_FOUND 0x10
#define IDE_ERROR_MEDIA_CHANGE 0x20
#define IDE_ERROR_DATA_ERROR 0x40
#define IDE_ERROR_BAD_BLOCK 0x80
#define IDE_ERROR_CRC_ERROR 0x80

/* Device control register */
#define IDE_DC_REENABLE_CONTROLLER 0x00
#define IDE_DC_DISABLE_INTERRUPTS 0x02
#define IDE_DC_RESET_CONTROLLER 0x04

/* Command codes, by value */
#define IDE_COMMAND_NOP 0x00
#define IDE_COMMAND_DATA_SET_MANAGEMENT 0x06
#define IDE_COMMAND_ATAPI_RESET 0x08
#define IDE_COMMAND_GET_PHYSICAL_ELEMENT_STATUS 0x12
#define IDE_COMMAND_READ 0x20
#define IDE_COMMAND_READ_EXT 0x24
#define IDE_COMMAND_READ_DMA_EXT 0x25
#define IDE_COMMAND_READ_DMA_QUEUED_EXT 0x26
#define IDE_COMMAND_READ_MULTIPLE_EXT 0x29
#define IDE_COMMAND_READ_LOG_EXT 0x2F
#define IDE_COMMAND_WRITE 0x30
#define IDE_COMMAND_WRITE_EXT 0x34
#define IDE_COMMAND_WRITE_DMA_EXT 0x35
#define IDE_COMMAND_WRITE_DMA_QUEUED_EXT 0x36
#define IDE_COMMAND_WRITE_MULTIPLE_EXT 0x39
#define IDE_COMMAND_WRITE_DMA_FUA_EXT 0x3D
#define IDE_COMMAND_WRITE_DMA_QUEUED_FUA_EXT 0x3E
#define IDE_COMMAND_WRITE_LOG_EXT 0x3F
#define IDE_COMMAND_VERIFY 0x40
#define IDE_COMMAND_VERIFY_EXT 0x42
#define IDE_COMMAND_ZAC_MANAGEMENT_IN 0x4A
#define IDE_COMMAND_WRITE_LOG_DMA_EXT 0x57
#define IDE_COMMAND_TRUSTED_NON_DATA 0x5B
#define IDE_COMMAND_TRUSTED_RECEIVE 0x5C
#define IDE_COMMAND_TRUSTED_RECEIVE_DMA 0x5D
#define IDE_COMMAND_TRUSTED_SEND 0x5E
#define IDE_COMMAND_TRUSTED_SEND_DMA 0x5F
#define IDE_COMMAND_READ_FPDMA_QUEUED 0x60
#define IDE_COMMAND_WRITE_FPDMA_QUEUED 0x61
#define IDE_COMMAND_NCQ_NON_DATA 0x63
#define IDE_COMMAND_SEND_FPDMA_QUEUED 0x64
#define IDE_COMMAND_RECEIVE_FPDMA_QUEUED 0x65
#define IDE_COMMAND_SET_DATE_AND_TIME 0x77
#define IDE_COMMAND_REMOVE_ELEMENT_AND_TRUNCATE 0x7C
#define IDE_COMMAND_EXECUTE_DEVICE_DIAGNOSTIC 0x90
#define IDE_COMMAND_SET_DRIVE_PARAMETERS 0x91
#define IDE_COMMAND_DOWNLOAD_MICROCODE 0x92
#define IDE_COMMAND_DOWNLOAD_MICROCODE_DMA 0x93
#define IDE_COMMAND_ZAC_MANAGEMENT_OUT 0x9F
#define IDE_COMMAND_ATAPI_PACKET 0xA0
#define IDE_COMMAND_ATAPI_IDENTIFY 0xA1
#define IDE_COMMAND_SMART 0xB0
#define IDE_COMMAND_READ_LOG_DMA_EXT 0xB1
#define IDE_COMMAND_SANITIZE_DEVICE 0xB4
#define IDE_COMMAND_READ_MULTIPLE 0xC4
#define IDE_COMMAND_WRITE_MULTIPLE 0xC5
#define IDE_COMMAND_SET_MULTIPLE 0xC6
#define IDE_COMMAND_READ_DMA 0xC8
#define IDE_COMMAND_WRITE_DMA 0xCA
#define IDE_COMMAND_WRITE_DMA_QUEUED 0xCC
#define IDE_COMMAND_WRITE_MULTIPLE_FUA_EXT 0xCE
#define IDE_COMMAND_GET_MEDIA_STATUS 0xDA
#define IDE_COMMAND_DOOR_LOCK 0xDE
#define IDE_COMMAND_DOOR_UNLOCK 0xDF
#define IDE_COMMAND_STANDBY_IMMEDIATE 0xE0
#define IDE_COMMAND_IDLE_IMMEDIATE 0xE1
#define IDE_COMMAND_CHECK_POWER 0xE5
#define IDE_COMMAND_SLEEP 0xE6
#define IDE_COMMAND_FLUSH_CACHE 0xE7
#define IDE_COMMAND_FLUSH_CACHE_EXT 0xEA
#define IDE_COMMAND_IDENTIFY 0xEC
#define IDE_COMMAND_MEDIA_EJECT 0xED
#define IDE_COMMAND_SET_FEATURE 0xEF
#define IDE_COMMAND_SECURITY_SET_PASSWORD 0xF1
#define IDE_COMMAND_SECURITY_UNLOCK 0xF2
#define IDE_COMMAND_SECURITY_ERASE_PREPARE 0xF3
#define IDE_COMMAND_SECURITY_ERASE_UNIT 0xF4
#define IDE_COMMAND_SECURITY_FREEZE_LOCK 0xF5
#define IDE_COMMAND_SECURITY_DISABLE_PASSWORD 0xF6
#define IDE_COMMAND_NOT_VALID 0xFF

/* SET FEATURES subcommands (Features register) */
#define IDE_FEATURE_ENABLE_WRITE_CACHE 0x02
#define IDE_FEATURE_SET_TRANSFER_MODE 0x03
#define IDE_FEATURE_ENABLE_PUIS 0x06
#define IDE_FEATURE_PUIS_SPIN_UP 0x07
#define IDE_FEATURE_ENABLE_SATA_FEATURE 0x10
#define IDE_FEATURE_DISABLE_MSN 0x31
#define IDE_FEATURE_DISABLE_REVERT_TO_POWER_ON 0x66
#define IDE_FEATURE_DISABLE_WRITE_CACHE 0x82
#define IDE_FEATURE_DISABLE_PUIS 0x86
#define IDE_FEATURE_DISABLE_SATA_FEATURE 0x90
#define IDE_FEATURE_ENABLE_MSN 0x95

/* Serial ATA features (Count register of SET FEATURES 0x10 / 0x90) */
#define IDE_SATA_FEATURE_NON_ZERO_DMA_BUFFER_OFFSET 0x01
#define IDE_SATA_FEATURE_DMA_SETUP_FIS_AUTO_ACTIVATE 0x02
#define IDE_SATA_FEATURE_DEVICE_INITIATED_POWER_MANAGEMENT 0x03
#define IDE_SATA_FEATURE_GUARANTEED_IN_ORDER_DELIVERY 0x04
#define IDE_SATA_FEATURE_ASYNCHRONOUS_NOTIFICATION 0x05
#define IDE_SATA_FEATURE_SOFTWARE_SETTINGS_PRESERVATION 0x06
#define IDE_SATA_FEATURE_DEVICE_AUTO_PARTIAL_TO_SLUMBER 0x07
#define IDE_SATA_FEATURE_ENABLE_HARDWARE_FEATURE_CONTROL 0x08
#define IDE_SATA_FEATURE_DEVSLP 0x09
#define IDE_SATA_FEATURE_HYBRID_INFORMATION 0x0A

/* SMART subcommands (Features register of IDE_COMMAND_SMART) */
#define IDE_SMART_READ_ATTRIBUTES 0xD0
#define IDE_SMART_READ_THRESHOLDS 0xD1
#define IDE_SMART_ENABLE_DISABLE_AUTOSAVE 0xD2
#define IDE_SMART_SAVE_ATTRIBUTE_VALUES 0xD3
#define IDE_SMART_EXECUTE_OFFLINE_DIAGS 0xD4
#define IDE_SMART_READ_LOG 0xD5
#define IDE_SMART_WRITE_LOG 0xD6
#define IDE_SMART_ENABLE 0xD8
#define IDE_SMART_DISABLE 0xD9
#define IDE_SMART_RETURN_STATUS 0xDA
#define IDE_SMART_ENABLE_DISABLE_AUTO_OFFLINE 0xDB

/* NCQ NON-DATA and SEND FPDMA QUEUED subcommands */
#define IDE_NCQ_NON_DATA_ABORT_NCQ_QUEUE 0x00
#define IDE_NCQ_NON_DATA_DEADLINE_HANDLING 0x01
#define IDE_NCQ_NON_DATA_HYBRID_CHANGE_BY_SIZE 0x02
#define IDE_NCQ_NON_DATA_HYBRID_DEMOTE_BY_SIZE 0x02
#define IDE_NCQ_NON_DATA_HYBRID_CHANGE_BY_LBA_RANGE 0x03
#define IDE_NCQ_NON_DATA_HYBRID_CONTROL 0x04
#define IDE_NCQ_SEND_DATA_SET_MANAGEMENT 0x00
#define IDE_NCQ_SEND_HYBRID_EVICT 0x01

/* General-purpose log addresses (READ LOG EXT) */
#define IDE_GP_LOG_DIRECTORY_ADDRESS 0x00
#define IDE_GP_SUMMARY_SMART_ERROR 0x01
#define IDE_GP_COMPREHENSIVE_SMART_ERROR 0x02
#define IDE_GP_EXTENDED_COMPREHENSIVE_SMART_ERROR 0x03
#define IDE_GP_LOG_DEVICE_STATISTICS_ADDRESS 0x04
#define IDE_GP_SMART_SELF_TEST 0x06
#define IDE_GP_EXTENDED_SMART_SELF_TEST 0x07
#define IDE_GP_LOG_POWER_CONDITIONS 0x08
#define IDE_GP_SELECTIVE_SELF_TEST 0x09
#define IDE_GP_DEVICE_STATISTICS_NOTIFICATION 0x0A
#define IDE_GP_PENDING_DEFECTS 0x0C
#define IDE_GP_LPS_MISALIGNMENT 0x0D
#define IDE_GP_LOG_NCQ_COMMAND_ERROR_ADDRESS 0x10
#define IDE_GP_LOG_PHY_EVENT_COUNTER_ADDRESS 0x11
#define IDE_GP_LOG_NCQ_NON_DATA_ADDRESS 0x12
#define IDE_GP_LOG_NCQ_SEND_RECEIVE_ADDRESS 0x13
#define IDE_GP_LOG_HYBRID_INFO_ADDRESS 0x14
#define IDE_GP_LOG_REBUILD_ASSIST 0x15
#define IDE_GP_LOG_LBA_STATUS 0x19
#define IDE_GP_LOG_WRITE_STREAM_ERROR 0x21
#define IDE_GP_LOG_READ_STREAM_ERROR 0x22
#define IDE_GP_LOG_CURRENT_DEVICE_INTERNAL_STATUS 0x24
#define IDE_GP_LOG_SAVED_DEVICE_INTERNAL_STATUS 0x25
#define IDE_GP_LOG_IDENTIFY_DEVICE_DATA_ADDRESS 0x30
#define IDE_GP_LOG_SCT_COMMAND_STATUS 0xE0
#define IDE_GP_LOG_SCT_DATA_TRANSFER 0xE1
#define IDE_GP_LOG_SECTOR_SIZE 0x0200
#define IDE_GP_LOG_VERSION 0x01
#define IDE_GP_LOG_SUPPORTED_PAGES 0x00
#define IDE_GP_LOG_IDENTIFY_DEVICE_DATA_SUPPORTED_CAPABILITIES_PAGE 0x03
#define IDE_GP_LOG_IDENTIFY_DEVICE_DATA_SATA_PAGE 0x08
#define IDE_GP_LOG_IDENTIFY_DEVICE_DATA_ZONED_DEVICE_INFORMATION_PAGE 0x09
#define IDE_GP_LOG_DEVICE_STATISTICS_GENERAL_PAGE 0x01
#define IDE_GP_LOG_DEVICE_STATISTICS_FREE_FALL_PAGE 0x02
#define IDE_GP_LOG_DEVICE_STATISTICS_ROTATING_MEDIA_PAGE 0x03
#define IDE_GP_LOG_DEVICE_STATISTICS_GENERAL_ERROR_PAGE 0x04
#define IDE_GP_LOG_DEVICE_STATISTICS_TEMPERATURE_PAGE 0x05
#define IDE_GP_LOG_DEVICE_STATISTICS_TRANSPORT_PAGE 0x06
#define IDE_GP_LOG_DEVICE_STATISTICS_SSD_PAGE 0x07

/* Device signatures (the Sector Count / LBA registers after reset, as one ULONG) */
#define ATA_DEVICE_SIGNATURE_ATA 0x0101
#define ATA_DEVICE_SIGNATURE_ATAPI 0xEB140101
#define ATA_DEVICE_SIGNATURE_HOST_ZONED 0xABCD0101
#define ATA_DEVICE_SIGNATURE_ENCLOSURE 0xC33C0101
#define ATA_DEVICE_SIGNATURE_PORT_MULTIPLIER 0x96690101


/* ------------------------------------------------------------------------
 * IDENTIFY DEVICE data: 256 little-endian words (ATA8-ACS / ACS-3); the
 * field names are the WDK's. Strings are byte-swapped pairs, as the device
 * sends them.
 * ---------------------------------------------------------------------- */
#include <pshpack1.h>
typedef struct _IDENTIFY_DEVICE_DATA {
    struct { /* word 0 */
        USHORT Reserved1 : 1;
        USHORT Retired3 : 1;
        USHORT ResponseIncomplete : 1;
        USHORT Retired2 : 3;
        USHORT FixedDevice : 1;
        USHORT RemovableMedia : 1;
        USHORT Retired1 : 7;
        USHORT DeviceType : 1;
    } GeneralConfiguration;
    USHORT NumCylinders;          /* 1 */
    USHORT SpecificConfiguration; /* 2 */
    USHORT NumHeads;              /* 3 */
    USHORT Retired1[2];           /* 4-5 */
    USHORT NumSectorsPerTrack;    /* 6 */
    USHORT VendorUnique1[3];      /* 7-9 */
    UCHAR SerialNumber[20];       /* 10-19 */
    USHORT Retired2[2];           /* 20-21 */
    USHORT Obsolete1;             /* 22 */
    UCHAR FirmwareRevision[8];    /* 23-26 */
    UCHAR ModelNumber[40];        /* 27-46 */
    UCHAR MaximumBlockTransfer;   /* 47 */
    UCHAR VendorUnique2;
    struct { /* 48 */
        USHORT FeatureSupported : 1;
        USHORT Reserved : 15;
    } TrustedComputing;
    struct { /* 49-50 */
        UCHAR CurrentLongPhysicalSectorAlignment : 2;
        UCHAR ReservedByte49 : 6;
        UCHAR DmaSupported : 1;
        UCHAR LbaSupported : 1;
        UCHAR IordyDisable : 1;
        UCHAR IordySupported : 1;
        UCHAR Reserved1 : 1;
        UCHAR StandybyTimerSupport : 1;
        UCHAR Reserved2 : 2;
        USHORT ReservedWord50;
    } Capabilities;
    USHORT ObsoleteWords51[2];         /* 51-52 */
    USHORT TranslationFieldsValid : 3; /* 53 */
    USHORT Reserved3 : 5;
    USHORT FreeFallControlSensitivity : 8;
    USHORT NumberOfCurrentCylinders; /* 54 */
    USHORT NumberOfCurrentHeads;     /* 55 */
    USHORT CurrentSectorsPerTrack;   /* 56 */
    ULONG CurrentSectorCapacity;     /* 57-58 */
    UCHAR CurrentMultiSectorSetting; /* 59 */
    UCHAR MultiSectorSettingValid : 1;
    UCHAR ReservedByte59 : 3;
    UCHAR SanitizeFeatureSupported : 1;
    UCHAR CryptoScrambleExtCommandSupported : 1;
    UCHAR OverwriteExtCommandSupported : 1;
    UCHAR BlockEraseExtCommandSupported : 1;
    ULONG UserAddressableSectors;   /* 60-61: the 28-bit capacity */
    USHORT ObsoleteWord62;          /* 62 */
    USHORT MultiWordDMASupport : 8; /* 63 */
    USHORT MultiWordDMAActive : 8;
    USHORT AdvancedPIOModes : 8; /* 64 */
    USHORT ReservedByte64 : 8;
    USHORT MinimumMWXferCycleTime;     /* 65 */
    USHORT RecommendedMWXferCycleTime; /* 66 */
    USHORT MinimumPIOCycleTime;        /* 67 */
    USHORT MinimumPIOCycleTimeIORDY;   /* 68 */
    struct { /* 69 */
        USHORT ZonedCapabilities : 2;
        USHORT NonVolatileWriteCache : 1;
        USHORT ExtendedUserAddressableSectorsSupported : 1;
        USHORT DeviceEncryptsAllUserData : 1;
        USHORT ReadZeroAfterTrimSupported : 1;
        USHORT Optional28BitCommandsSupported : 1;
        USHORT IEEE1667 : 1;
        USHORT DownloadMicrocodeDmaSupported : 1;
        USHORT SetMaxSetPasswordUnlockDmaSupported : 1;
        USHORT WriteBufferDmaSupported : 1;
        USHORT ReadBufferDmaSupported : 1;
        USHORT DeviceConfigIdentifySetDmaSupported : 1;
        USHORT LPSAERCSupported : 1;
        USHORT DeterministicReadAfterTrimSupported : 1;
        USHORT CFastSpecSupported : 1;
    } AdditionalSupported;
    USHORT ReservedWords70[5]; /* 70-74 */
    USHORT QueueDepth : 5;     /* 75: maximum queue depth - 1 */
    USHORT ReservedWord75 : 11;
    struct { /* 76-77 */
        USHORT Reserved0 : 1;
        USHORT SataGen1 : 1;
        USHORT SataGen2 : 1;
        USHORT SataGen3 : 1;
        USHORT Reserved1 : 4;
        USHORT NCQ : 1;
        USHORT HIPM : 1;
        USHORT PhyEvents : 1;
        USHORT NcqUnload : 1;
        USHORT NcqPriority : 1;
        USHORT HostAutoPS : 1;
        USHORT DeviceAutoPS : 1;
        USHORT ReadLogDMA : 1;
        USHORT Reserved2 : 1;
        USHORT CurrentSpeed : 3;
        USHORT NcqStreaming : 1;
        USHORT NcqQueueMgmt : 1;
        USHORT NcqReceiveSend : 1;
        USHORT DEVSLPtoReducedPwrState : 1;
        USHORT Reserved3 : 8;
    } SerialAtaCapabilities;
    struct { /* 78 */
        USHORT Reserved0 : 1;
        USHORT NonZeroOffsets : 1;
        USHORT DmaSetupAutoActivate : 1;
        USHORT DIPM : 1;
        USHORT InOrderData : 1;
        USHORT HardwareFeatureControl : 1;
        USHORT SoftwareSettingsPreservation : 1;
        USHORT NCQAutosense : 1;
        USHORT DEVSLP : 1;
        USHORT HybridInformation : 1;
        USHORT Reserved1 : 6;
    } SerialAtaFeaturesSupported;
    struct { /* 79 */
        USHORT Reserved0 : 1;
        USHORT NonZeroOffsets : 1;
        USHORT DmaSetupAutoActivate : 1;
        USHORT DIPM : 1;
        USHORT InOrderData : 1;
        USHORT HardwareFeatureControl : 1;
        USHORT SoftwareSettingsPreservation : 1;
        USHORT DeviceAutoPS : 1;
        USHORT DEVSLP : 1;
        USHORT HybridInformation : 1;
        USHORT Reserved1 : 6;
    } SerialAtaFeaturesEnabled;
    USHORT MajorRevision; /* 80 */
    USHORT MinorRevision; /* 81 */
    struct { /* 82-84: supported */
        USHORT SmartCommands : 1;
        USHORT SecurityMode : 1;
        USHORT RemovableMediaFeature : 1;
        USHORT PowerManagement : 1;
        USHORT Reserved1 : 1;
        USHORT WriteCache : 1;
        USHORT LookAhead : 1;
        USHORT ReleaseInterrupt : 1;
        USHORT ServiceInterrupt : 1;
        USHORT DeviceReset : 1;
        USHORT HostProtectedArea : 1;
        USHORT Obsolete1 : 1;
        USHORT WriteBuffer : 1;
        USHORT ReadBuffer : 1;
        USHORT Nop : 1;
        USHORT Obsolete2 : 1;
        USHORT DownloadMicrocode : 1;
        USHORT DmaQueued : 1;
        USHORT Cfa : 1;
        USHORT AdvancedPm : 1;
        USHORT Msn : 1;
        USHORT PowerUpInStandby : 1;
        USHORT ManualPowerUp : 1;
        USHORT Reserved2 : 1;
        USHORT SetMax : 1;
        USHORT Acoustics : 1;
        USHORT BigLba : 1;
        USHORT DeviceConfigOverlay : 1;
        USHORT FlushCache : 1;
        USHORT FlushCacheExt : 1;
        USHORT WordValid83 : 2;
        USHORT SmartErrorLog : 1;
        USHORT SmartSelfTest : 1;
        USHORT MediaSerialNumber : 1;
        USHORT MediaCardPassThrough : 1;
        USHORT StreamingFeature : 1;
        USHORT GpLogging : 1;
        USHORT WriteFua : 1;
        USHORT WriteQueuedFua : 1;
        USHORT WWN64Bit : 1;
        USHORT URGReadStream : 1;
        USHORT URGWriteStream : 1;
        USHORT ReservedForTechReport : 2;
        USHORT IdleWithUnloadFeature : 1;
        USHORT WordValid : 2;
    } CommandSetSupport;
    struct { /* 85-87: enabled */
        USHORT SmartCommands : 1;
        USHORT SecurityMode : 1;
        USHORT RemovableMediaFeature : 1;
        USHORT PowerManagement : 1;
        USHORT Reserved1 : 1;
        USHORT WriteCache : 1;
        USHORT LookAhead : 1;
        USHORT ReleaseInterrupt : 1;
        USHORT ServiceInterrupt : 1;
        USHORT DeviceReset : 1;
        USHORT HostProtectedArea : 1;
        USHORT Obsolete1 : 1;
        USHORT WriteBuffer : 1;
        USHORT ReadBuffer : 1;
        USHORT Nop : 1;
        USHORT Obsolete2 : 1;
        USHORT DownloadMicrocode : 1;
        USHORT DmaQueued : 1;
        USHORT Cfa : 1;
        USHORT AdvancedPm : 1;
        USHORT Msn : 1;
        USHORT PowerUpInStandby : 1;
        USHORT ManualPowerUp : 1;
        USHORT Reserved2 : 1;
        USHORT SetMax : 1;
        USHORT Acoustics : 1;
        USHORT BigLba : 1;
        USHORT DeviceConfigOverlay : 1;
        USHORT FlushCache : 1;
        USHORT FlushCacheExt : 1;
        USHORT Resrved3 : 1;
        USHORT Words119_120Valid : 1;
        USHORT SmartErrorLog : 1;
        USHORT SmartSelfTest : 1;
        USHORT MediaSerialNumber : 1;
        USHORT MediaCardPassThrough : 1;
        USHORT StreamingFeature : 1;
        USHORT GpLogging : 1;
        USHORT WriteFua : 1;
        USHORT WriteQueuedFua : 1;
        USHORT WWN64Bit : 1;
        USHORT URGReadStream : 1;
        USHORT URGWriteStream : 1;
        USHORT ReservedForTechReport : 2;
        USHORT IdleWithUnloadFeature : 1;
        USHORT Reserved4 : 2;
    } CommandSetActive;
    USHORT UltraDMASupport : 8; /* 88 */
    USHORT UltraDMAActive : 8;
    struct { /* 89 */
        USHORT TimeRequired : 15;
        USHORT ExtendedTimeReported : 1;
    } NormalSecurityEraseUnit;
    struct { /* 90 */
        USHORT TimeRequired : 15;
        USHORT ExtendedTimeReported : 1;
    } EnhancedSecurityEraseUnit;
    USHORT CurrentAPMLevel : 8; /* 91 */
    USHORT ReservedWord91 : 8;
    USHORT MasterPasswordID;         /* 92 */
    USHORT HardwareResetResult;      /* 93 */
    USHORT CurrentAcousticValue : 8; /* 94 */
    USHORT RecommendedAcousticValue : 8;
    USHORT StreamMinRequestSize;         /* 95 */
    USHORT StreamingTransferTimeDMA;     /* 96 */
    USHORT StreamingAccessLatencyDMAPIO; /* 97 */
    ULONG StreamingPerfGranularity;      /* 98-99 */
    ULONG Max48BitLBA[2];                /* 100-103 */
    USHORT StreamingTransferTime;        /* 104 */
    USHORT DsmCap;                       /* 105 */
    struct { /* 106 */
        USHORT LogicalSectorsPerPhysicalSector : 4;
        USHORT Reserved0 : 8;
        USHORT LogicalSectorLongerThan256Words : 1;
        USHORT MultipleLogicalSectorsPerPhysicalSector : 1;
        USHORT Reserved1 : 2;
    } PhysicalLogicalSectorSize;
    USHORT InterSeekDelay;                 /* 107 */
    USHORT WorldWideName[4];               /* 108-111 */
    USHORT ReservedForWorldWideName128[4]; /* 112-115 */
    USHORT ReservedForTlcTechnicalReport;  /* 116 */
    USHORT WordsPerLogicalSector[2];       /* 117-118 */
    struct { /* 119 */
        USHORT ReservedForDrqTechnicalReport : 1;
        USHORT WriteReadVerify : 1;
        USHORT WriteUncorrectableExt : 1;
        USHORT ReadWriteLogDmaExt : 1;
        USHORT DownloadMicrocodeMode3 : 1;
        USHORT FreefallControl : 1;
        USHORT SenseDataReporting : 1;
        USHORT ExtendedPowerConditions : 1;
        USHORT Reserved0 : 6;
        USHORT WordValid : 2;
    } CommandSetSupportExt;
    struct { /* 120 */
        USHORT ReservedForDrqTechnicalReport : 1;
        USHORT WriteReadVerify : 1;
        USHORT WriteUncorrectableExt : 1;
        USHORT ReadWriteLogDmaExt : 1;
        USHORT DownloadMicrocodeMode3 : 1;
        USHORT FreefallControl : 1;
        USHORT SenseDataReporting : 1;
        USHORT ExtendedPowerConditions : 1;
        USHORT Reserved0 : 6;
        USHORT Reserved1 : 2;
    } CommandSetActiveExt;
    USHORT ReservedForExpandedSupportandActive[6]; /* 121-126 */
    USHORT MsnSupport : 2;                         /* 127 */
    USHORT ReservedWord127 : 14;
    struct { /* 128 */
        USHORT SecuritySupported : 1;
        USHORT SecurityEnabled : 1;
        USHORT SecurityLocked : 1;
        USHORT SecurityFrozen : 1;
        USHORT SecurityCountExpired : 1;
        USHORT EnhancedSecurityEraseSupported : 1;
        USHORT Reserved0 : 2;
        USHORT SecurityLevel : 1;
        USHORT Reserved1 : 7;
    } SecurityStatus;
    USHORT ReservedWord129[31]; /* 129-159 */
    struct { /* 160 */
        USHORT MaximumCurrentInMA : 12;
        USHORT CfaPowerMode1Disabled : 1;
        USHORT CfaPowerMode1Required : 1;
        USHORT Reserved0 : 1;
        USHORT Word160Supported : 1;
    } CfaPowerMode1;
    USHORT ReservedForCfaWord161[7]; /* 161-167 */
    USHORT NominalFormFactor : 4;    /* 168 */
    USHORT ReservedWord168 : 12;
    struct { /* 169 */
        USHORT SupportsTrim : 1;
        USHORT Reserved0 : 15;
    } DataSetManagementFeature;
    USHORT AdditionalProductID[4];       /* 170-173 */
    USHORT ReservedForCfaWord174[2];     /* 174-175 */
    USHORT CurrentMediaSerialNumber[30]; /* 176-205 */
    struct { /* 206 */
        USHORT Supported : 1;
        USHORT Reserved0 : 1;
        USHORT WriteSameSuported : 1;
        USHORT ErrorRecoveryControlSupported : 1;
        USHORT FeatureControlSuported : 1;
        USHORT DataTablesSuported : 1;
        USHORT Reserved1 : 6;
        USHORT VendorSpecific : 4;
    } SCTCommandTransport;
    USHORT ReservedWord207[2]; /* 207-208 */
    struct { /* 209 */
        USHORT AlignmentOfLogicalWithinPhysical : 14;
        USHORT Word209Supported : 1;
        USHORT Reserved0 : 1;
    } BlockAlignment;
    USHORT WriteReadVerifySectorCountMode3Only[2]; /* 210-211 */
    USHORT WriteReadVerifySectorCountMode2Only[2]; /* 212-213 */
    struct { /* 214 */
        USHORT NVCachePowerModeEnabled : 1;
        USHORT Reserved0 : 3;
        USHORT NVCacheFeatureSetEnabled : 1;
        USHORT Reserved1 : 3;
        USHORT NVCachePowerModeVersion : 4;
        USHORT NVCacheFeatureSetVersion : 4;
    } NVCacheCapabilities;
    USHORT NVCacheSizeLSW;           /* 215 */
    USHORT NVCacheSizeMSW;           /* 216 */
    USHORT NominalMediaRotationRate; /* 217: 1 = not rotating */
    USHORT ReservedWord218;          /* 218 */
    struct { /* 219 */
        UCHAR NVCacheEstimatedTimeToSpinUpInSeconds;
        UCHAR Reserved;
    } NVCacheOptions;
    USHORT WriteReadVerifySectorCountMode : 8; /* 220 */
    USHORT ReservedWord220 : 8;
    USHORT ReservedWord221; /* 221 */
    struct { /* 222 */
        USHORT MajorVersion : 12;
        USHORT TransportType : 4;
    } TransportMajorVersion;
    USHORT TransportMinorVersion;                    /* 223 */
    USHORT ReservedWord224[6];                       /* 224-229 */
    ULONG ExtendedNumberOfUserAddressableSectors[2]; /* 230-233 */
    USHORT MinBlocksPerDownloadMicrocodeMode03;      /* 234 */
    USHORT MaxBlocksPerDownloadMicrocodeMode03;      /* 235 */
    USHORT ReservedWord236[19];                      /* 236-254 */
    USHORT Signature : 8;                            /* 255: A5h when the checksum is valid */
    USHORT CheckSum : 8;
} IDENTIFY_DEVICE_DATA, *PIDENTIFY_DEVICE_DATA;
#include <poppack.h>


/* ------------------------------------------------------------------------
 * IDENTIFY PACKET DEVICE data (ATAPI devices): 256 words, WDK field names.
 * ---------------------------------------------------------------------- */
#include <pshpack1.h>
typedef struct _IDENTIFY_PACKET_DATA {
    struct { /* word 0 */
        USHORT PacketType : 2; /* 0: 12-byte packets, 1: 16-byte */
        USHORT IncompleteResponse : 1;
        USHORT Reserved1 : 2;
        USHORT DrqDelay : 2;
        USHORT RemovableMedia : 1;
        USHORT CommandPacketType : 5; /* SPC peripheral device type (5: CD/DVD) */
        USHORT Reserved2 : 1;
        USHORT DeviceType : 2; /* 2: ATAPI */
    } GeneralConfiguration;
    USHORT ResevedWord1;         /* 1 (the WDK's spelling) */
    USHORT UniqueConfiguration;  /* 2 */
    USHORT ReservedWords3[7];    /* 3-9 */
    UCHAR SerialNumber[20];      /* 10-19 */
    USHORT ReservedWords20[3];   /* 20-22 */
    UCHAR FirmwareRevision[8];   /* 23-26 */
    UCHAR ModelNumber[40];       /* 27-46 */
    USHORT ReservedWords47[2];   /* 47-48 */
    struct { /* 49-50 */
        USHORT VendorSpecific : 8;
        USHORT DmaSupported : 1;
        USHORT LbaSupported : 1;
        USHORT IordyDisabled : 1;
        USHORT IordySupported : 1;
        USHORT Obsolete : 1;
        USHORT OverlapSupported : 1;
        USHORT QueuedCommandsSupported : 1;
        USHORT InterleavedDmaSupported : 1;
        USHORT DeviceSpecificStandbyTimerValueMin : 1;
        USHORT Obsolete1 : 1;
        USHORT ReservedWord50 : 12;
        USHORT WordValid : 2;
    } Capabilities;
    USHORT ObsoleteWords51[2];         /* 51-52 */
    USHORT TranslationFieldsValid : 3; /* 53 */
    USHORT Reserved3 : 13;
    USHORT ReservedWords54[8]; /* 54-61 */
    struct { /* 62 */
        USHORT UDMA0Supported : 1;
        USHORT UDMA1Supported : 1;
        USHORT UDMA2Supported : 1;
        USHORT UDMA3Supported : 1;
        USHORT UDMA4Supported : 1;
        USHORT UDMA5Supported : 1;
        USHORT UDMA6Supported : 1;
        USHORT MDMA0Supported : 1;
        USHORT MDMA1Supported : 1;
        USHORT MDMA2Supported : 1;
        USHORT DMASupported : 1;
        USHORT ReservedWord62 : 4;
        USHORT DMADIRBitRequired : 1;
    } DMADIR;
    USHORT MultiWordDMASupport : 8; /* 63 */
    USHORT MultiWordDMAActive : 8;
    USHORT AdvancedPIOModes : 8; /* 64 */
    USHORT ReservedByte64 : 8;
    USHORT MinimumMWXferCycleTime;     /* 65 */
    USHORT RecommendedMWXferCycleTime; /* 66 */
    USHORT MinimumPIOCycleTime;        /* 67 */
    USHORT MinimumPIOCycleTimeIORDY;   /* 68 */
    USHORT ReservedWords69[2];         /* 69-70 */
    USHORT BusReleaseDelay;            /* 71 */
    USHORT ServiceCommandDelay;        /* 72 */
    USHORT ReservedWords73[2];         /* 73-74 */
    USHORT QueueDepth : 5;             /* 75 */
    USHORT ReservedWord75 : 11;
    struct { /* 76-77 */
        USHORT Reserved0 : 1;
        USHORT SataGen1 : 1;
        USHORT SataGen2 : 1;
        USHORT SataGen3 : 1;
        USHORT Reserved1 : 5;
        USHORT HIPM : 1;
        USHORT PhyEvents : 1;
        USHORT Reserved3 : 2;
        USHORT HostAutoPS : 1;
        USHORT DeviceAutoPS : 1;
        USHORT Reserved4 : 1;
        USHORT Reserved5 : 1;
        USHORT CurrentSpeed : 3;
        USHORT SlimlineDeviceAttention : 1;
        USHORT HostEnvironmentDetect : 1;
        USHORT Reserved : 10;
    } SerialAtaCapabilities;
    struct { /* 78 */
        USHORT Reserved0 : 1;
        USHORT Reserved1 : 2;
        USHORT DIPM : 1;
        USHORT Reserved2 : 1;
        USHORT AsynchronousNotification : 1;
        USHORT SoftwareSettingsPreservation : 1;
        USHORT Reserved3 : 9;
    } SerialAtaFeaturesSupported;
    struct { /* 79 */
        USHORT Reserved0 : 1;
        USHORT Reserved1 : 2;
        USHORT DIPM : 1;
        USHORT Reserved2 : 1;
        USHORT AsynchronousNotification : 1;
        USHORT SoftwareSettingsPreservation : 1;
        USHORT DeviceAutoPS : 1;
        USHORT Reserved3 : 8;
    } SerialAtaFeaturesEnabled;
    USHORT MajorRevision; /* 80 */
    USHORT MinorRevision; /* 81 */
    struct { /* 82-83 */
        USHORT SmartCommands : 1;
        USHORT SecurityMode : 1;
        USHORT RemovableMedia : 1;
        USHORT PowerManagement : 1;
        USHORT PacketCommands : 1;
        USHORT WriteCache : 1;
        USHORT LookAhead : 1;
        USHORT ReleaseInterrupt : 1;
        USHORT ServiceInterrupt : 1;
        USHORT DeviceReset : 1;
        USHORT HostProtectedArea : 1;
        USHORT Obsolete1 : 1;
        USHORT WriteBuffer : 1;
        USHORT ReadBuffer : 1;
        USHORT Nop : 1;
        USHORT Obsolete2 : 1;
        USHORT DownloadMicrocode : 1;
        USHORT Reserved1 : 2;
        USHORT AdvancedPm : 1;
        USHORT Msn : 1;
        USHORT PowerUpInStandby : 1;
        USHORT ManualPowerUp : 1;
        USHORT Reserved2 : 1;
        USHORT SetMax : 1;
        USHORT Reserved3 : 3;
        USHORT FlushCache : 1;
        USHORT Reserved4 : 1;
        USHORT WordValid : 2;
    } CommandSetSupport;
    struct { /* 84 */
        USHORT Reserved0 : 5;
        USHORT GpLogging : 1;
        USHORT Reserved1 : 2;
        USHORT WWN64Bit : 1;
        USHORT Reserved2 : 5;
        USHORT WordValid : 2;
    } CommandSetSupportExt;
    struct { /* 85-86 */
        USHORT SmartCommands : 1;
        USHORT SecurityMode : 1;
        USHORT RemovableMedia : 1;
        USHORT PowerManagement : 1;
        USHORT PacketCommands : 1;
        USHORT WriteCache : 1;
        USHORT LookAhead : 1;
        USHORT ReleaseInterrupt : 1;
        USHORT ServiceInterrupt : 1;
        USHORT DeviceReset : 1;
        USHORT HostProtectedArea : 1;
        USHORT Obsolete1 : 1;
        USHORT WriteBuffer : 1;
        USHORT ReadBuffer : 1;
        USHORT Nop : 1;
        USHORT Obsolete2 : 1;
        USHORT DownloadMicrocode : 1;
        USHORT Reserved1 : 2;
        USHORT AdvancedPm : 1;
        USHORT Msn : 1;
        USHORT PowerUpInStandby : 1;
        USHORT ManualPowerUp : 1;
        USHORT Reserved2 : 1;
        USHORT SetMax : 1;
        USHORT Reserved3 : 3;
        USHORT FlushCache : 1;
        USHORT Reserved : 3;
    } CommandSetActive;
    struct { /* 87 */
        USHORT Reserved0 : 5;
        USHORT GpLogging : 1;
        USHORT Reserved1 : 2;
        USHORT WWN64Bit : 1;
        USHORT Reserved2 : 5;
        USHORT WordValid : 2;
    } CommandSetActiveExt;
    USHORT UltraDMASupport : 8; /* 88 */
    USHORT UltraDMAActive : 8;
    USHORT TimeRequiredForNormalEraseModeSecurityEraseUnit;   /* 89 */
    USHORT TimeRequiredForEnhancedEraseModeSecurityEraseUnit; /* 90 */
    USHORT CurrentAPMLevel;                                   /* 91 */
    USHORT MasterPasswordID;                                  /* 92 */
    USHORT HardwareResetResult;                               /* 93 */
    USHORT ReservedWords94[14];                               /* 94-107 */
    USHORT WorldWideName[4];                                  /* 108-111 */
    USHORT ReservedWords112[13];                              /* 112-124 */
    USHORT AtapiZeroByteCount;                                /* 125 */
    USHORT ReservedWord126;                                   /* 126 */
    USHORT MsnSupport : 2;                                    /* 127 */
    USHORT ReservedWord127 : 14;
    USHORT SecurityStatus;      /* 128 */
    USHORT VendorSpecific[31];  /* 129-159 */
    USHORT ReservedWord160[16]; /* 160-175 */
    USHORT ReservedWord176[46]; /* 176-221 */
    struct { /* 222 */
        USHORT MajorVersion : 12;
        USHORT TransportType : 4;
    } TransportMajorVersion;
    USHORT TransportMinorVersion; /* 223 */
    USHORT ReservedWord224[31];   /* 224-254 */
    USHORT Signature : 8;         /* 255 */
    USHORT CheckSum : 8;
} IDENTIFY_PACKET_DATA, *PIDENTIFY_PACKET_DATA;
#include <poppack.h>

#endif /* MDLKIT_ATA_H */
