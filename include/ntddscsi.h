/*
 * ntddscsi.h -- mdlkit's own text of the SCSI port IOCTL definitions:
 * IOCTL_SCSI_* codes, SRB_IO_CONTROL (the header of IOCTL_SCSI_MINIPORT
 * requests) and the miniport firmware request block. Names, values and
 * layouts are the documented ones; the text is mdlkit's.
 */
#ifndef MDLKIT_NTDDSCSI_H
#define MDLKIT_NTDDSCSI_H

#include <ntddstor.h>

MDLKIT_EXTERN_C_BEGIN

/* CTL_CODE of FILE_DEVICE_CONTROLLER (0x04) requests. */
#define MDLKIT_SCSI_CTL(fn, method, access) ((0x04UL << 16) | ((ULONG)(access) << 14) | ((fn) << 2) | (method))
#define IOCTL_SCSI_BASE 0x04
#define IOCTL_SCSI_PASS_THROUGH MDLKIT_SCSI_CTL(0x0401, 0, 3)
#define IOCTL_SCSI_MINIPORT MDLKIT_SCSI_CTL(0x0402, 0, 3)
#define IOCTL_SCSI_GET_INQUIRY_DATA MDLKIT_SCSI_CTL(0x0403, 0, 0)
#define IOCTL_SCSI_GET_CAPABILITIES MDLKIT_SCSI_CTL(0x0404, 0, 0)
#define IOCTL_SCSI_PASS_THROUGH_DIRECT MDLKIT_SCSI_CTL(0x0405, 2, 3)
#define IOCTL_SCSI_GET_ADDRESS MDLKIT_SCSI_CTL(0x0406, 0, 0)
#define IOCTL_SCSI_RESCAN_BUS MDLKIT_SCSI_CTL(0x0407, 0, 0)
#define IOCTL_SCSI_GET_DUMP_POINTERS MDLKIT_SCSI_CTL(0x0408, 0, 0)
#define IOCTL_SCSI_FREE_DUMP_POINTERS MDLKIT_SCSI_CTL(0x0409, 0, 0)

/* Control codes inside SRB_IO_CONTROL (FILE_DEVICE_SCSI = 0x1B). */
#define IOCTL_SCSI_MINIPORT_SMART_VERSION ((0x1BUL << 16) + 0x0500)
#define IOCTL_SCSI_MINIPORT_FIRMWARE ((0x1BUL << 16) + 0x0780)

typedef struct _SRB_IO_CONTROL {
    ULONG HeaderLength;
    UCHAR Signature[8];
    ULONG Timeout;
    ULONG ControlCode;
    ULONG ReturnCode;
    ULONG Length;
} SRB_IO_CONTROL, *PSRB_IO_CONTROL;

typedef struct _SCSI_ADDRESS {
    ULONG Length;
    UCHAR PortNumber;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
} SCSI_ADDRESS, *PSCSI_ADDRESS;

#define FIRMWARE_FUNCTION_GET_INFO 0x01
#define FIRMWARE_FUNCTION_DOWNLOAD 0x02
#define FIRMWARE_FUNCTION_ACTIVATE 0x03

#define FIRMWARE_STATUS_SUCCESS 0x0
#define FIRMWARE_STATUS_ERROR 0x1
#define FIRMWARE_STATUS_ILLEGAL_REQUEST 0x2
#define FIRMWARE_STATUS_INVALID_PARAMETER 0x3
#define FIRMWARE_STATUS_INPUT_BUFFER_TOO_BIG 0x4
#define FIRMWARE_STATUS_OUTPUT_BUFFER_TOO_SMALL 0x5
#define FIRMWARE_STATUS_INVALID_SLOT 0x6
#define FIRMWARE_STATUS_INVALID_IMAGE 0x7
#define FIRMWARE_STATUS_CONTROLLER_ERROR 0x10
#define FIRMWARE_STATUS_POWER_CYCLE_REQUIRED 0x20
#define FIRMWARE_STATUS_DEVICE_ERROR 0x40
#define FIRMWARE_STATUS_INTERFACE_CRC_ERROR 0x80
#define FIRMWARE_STATUS_UNCORRECTABLE_DATA_ERROR 0x81
#define FIRMWARE_STATUS_MEDIA_CHANGE 0x82
#define FIRMWARE_STATUS_ID_NOT_FOUND 0x83
#define FIRMWARE_STATUS_MEDIA_CHANGE_REQUEST 0x84
#define FIRMWARE_STATUS_COMMAND_ABORT 0x85
#define FIRMWARE_STATUS_END_OF_MEDIA 0x86
#define FIRMWARE_STATUS_ILLEGAL_LENGTH 0x87

#define FIRMWARE_REQUEST_BLOCK_STRUCTURE_VERSION 0x1
#define FIRMWARE_REQUEST_FLAG_CONTROLLER 0x00000001
#define FIRMWARE_REQUEST_FLAG_LAST_SEGMENT 0x00000002
#define FIRMWARE_REQUEST_FLAG_SWITCH_TO_EXISTING_FIRMWARE 0x80000000

typedef struct _FIRMWARE_REQUEST_BLOCK {
    ULONG Version;
    ULONG Size;
    ULONG Function;
    ULONG Flags;
    ULONG DataBufferOffset;
    ULONG DataBufferLength;
} FIRMWARE_REQUEST_BLOCK, *PFIRMWARE_REQUEST_BLOCK;

/* IOCTL_ATA_PASS_THROUGH(_DIRECT): an ATA command embedded in a request.
 * AtaFlags is a combination of the ATA_FLAGS_* bits. */
#define ATA_FLAGS_DRDY_REQUIRED 0x01 /* wait for DRDY before the command */
#define ATA_FLAGS_DATA_IN 0x02
#define ATA_FLAGS_DATA_OUT 0x04
#define ATA_FLAGS_48BIT_COMMAND 0x08 /* PreviousTaskFile is valid */
#define ATA_FLAGS_USE_DMA 0x10
#define ATA_FLAGS_NO_MULTIPLE 0x20 /* one sector at a time */

typedef struct _ATA_PASS_THROUGH_EX {
    USHORT Length;
    USHORT AtaFlags;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR ReservedAsUchar;
    ULONG DataTransferLength;
    ULONG TimeOutValue;
    ULONG ReservedAsUlong;
    ULONG_PTR DataBufferOffset;
    UCHAR PreviousTaskFile[8];
    UCHAR CurrentTaskFile[8]; /* features, count, LBA low/mid/high, device, command, reserved */
} ATA_PASS_THROUGH_EX, *PATA_PASS_THROUGH_EX;

typedef struct _ATA_PASS_THROUGH_DIRECT {
    USHORT Length;
    USHORT AtaFlags;
    UCHAR PathId;
    UCHAR TargetId;
    UCHAR Lun;
    UCHAR ReservedAsUchar;
    ULONG DataTransferLength;
    ULONG TimeOutValue;
    ULONG ReservedAsUlong;
    PVOID DataBuffer;
    UCHAR PreviousTaskFile[8];
    UCHAR CurrentTaskFile[8];
} ATA_PASS_THROUGH_DIRECT, *PATA_PASS_THROUGH_DIRECT;

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NTDDSCSI_H */
