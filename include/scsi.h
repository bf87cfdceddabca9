/*
 * scsi.h -- mdlkit's own text of the SCSI definitions a storage miniport
 * uses: operation codes (an X-macro table with names), command descriptor
 * blocks, status and sense codes, INQUIRY / READ CAPACITY / MODE SENSE /
 * VPD / UNMAP / REPORT LUNS data. Names, values and layouts are the
 * documented ones (SCSI Primary and Block Commands, and the WDK's
 * documentation of scsi.h); the text is mdlkit's.
 */
#ifndef MDLKIT_SCSI_H
#define MDLKIT_SCSI_H

#include <srb.h>

MDLKIT_EXTERN_C_BEGIN

/* ------------------------------------------------------------------------
 * Operation codes. X(name, value); a value may carry several names (the
 * first one is what mdlkit_scsiop_name prints).
 * ---------------------------------------------------------------------- */
#define MDLKIT_SCSIOP_NAMES(X)                                                                              \
    X(SCSIOP_TEST_UNIT_READY, 0x00) X(SCSIOP_REZERO_UNIT, 0x01) X(SCSIOP_REWIND, 0x01)                      \
    X(SCSIOP_REQUEST_BLOCK_ADDR, 0x02) X(SCSIOP_REQUEST_SENSE, 0x03) X(SCSIOP_FORMAT_UNIT, 0x04)             \
    X(SCSIOP_READ_BLOCK_LIMITS, 0x05) X(SCSIOP_REASSIGN_BLOCKS, 0x07) X(SCSIOP_INIT_ELEMENT_STATUS, 0x07)    \
    X(SCSIOP_READ6, 0x08) X(SCSIOP_RECEIVE, 0x08) X(SCSIOP_WRITE6, 0x0A) X(SCSIOP_PRINT, 0x0A)               \
    X(SCSIOP_SEND, 0x0A) X(SCSIOP_SEEK6, 0x0B) X(SCSIOP_TRACK_SELECT, 0x0B) X(SCSIOP_SLEW_PRINT, 0x0B)      \
    X(SCSIOP_SET_CAPACITY, 0x0B) X(SCSIOP_SEEK_BLOCK, 0x0C) X(SCSIOP_PARTITION, 0x0D)                        \
    X(SCSIOP_READ_REVERSE, 0x0F) X(SCSIOP_WRITE_FILEMARKS, 0x10) X(SCSIOP_FLUSH_BUFFER, 0x10)               \
    X(SCSIOP_SPACE, 0x11) X(SCSIOP_INQUIRY, 0x12) X(SCSIOP_VERIFY6, 0x13) X(SCSIOP_RECOVER_BUF_DATA, 0x14)  \
    X(SCSIOP_MODE_SELECT, 0x15) X(SCSIOP_RESERVE_UNIT, 0x16) X(SCSIOP_RELEASE_UNIT, 0x17)                   \
    X(SCSIOP_COPY, 0x18) X(SCSIOP_ERASE, 0x19) X(SCSIOP_MODE_SENSE, 0x1A) X(SCSIOP_START_STOP_UNIT, 0x1B)   \
    X(SCSIOP_STOP_PRINT, 0x1B) X(SCSIOP_LOAD_UNLOAD, 0x1B) X(SCSIOP_RECEIVE_DIAGNOSTIC, 0x1C)               \
    X(SCSIOP_SEND_DIAGNOSTIC, 0x1D) X(SCSIOP_MEDIUM_REMOVAL, 0x1E) X(SCSIOP_READ_FORMATTED_CAPACITY, 0x23)  \
    X(SCSIOP_READ_CAPACITY, 0x25) X(SCSIOP_READ, 0x28) X(SCSIOP_WRITE, 0x2A) X(SCSIOP_SEEK, 0x2B)           \
    X(SCSIOP_LOCATE, 0x2B) X(SCSIOP_POSITION_TO_ELEMENT, 0x2B) X(SCSIOP_WRITE_VERIFY, 0x2E)                 \
    X(SCSIOP_VERIFY, 0x2F) X(SCSIOP_SEARCH_DATA_HIGH, 0x30) X(SCSIOP_SEARCH_DATA_EQUAL, 0x31)               \
    X(SCSIOP_SEARCH_DATA_LOW, 0x32) X(SCSIOP_SET_LIMITS, 0x33) X(SCSIOP_READ_POSITION, 0x34)                \
    X(SCSIOP_SYNCHRONIZE_CACHE, 0x35) X(SCSIOP_COMPARE, 0x39) X(SCSIOP_COPY_COMPARE, 0x3A)                  \
    X(SCSIOP_WRITE_DATA_BUFF, 0x3B) X(SCSIOP_READ_DATA_BUFF, 0x3C) X(SCSIOP_WRITE_LONG, 0x3F)               \
    X(SCSIOP_CHANGE_DEFINITION, 0x40) X(SCSIOP_WRITE_SAME, 0x41) X(SCSIOP_READ_SUB_CHANNEL, 0x42)           \
    X(SCSIOP_UNMAP, 0x42) X(SCSIOP_READ_TOC, 0x43) X(SCSIOP_READ_HEADER, 0x44)                               \
    X(SCSIOP_REPORT_DENSITY_SUPPORT, 0x44) X(SCSIOP_PLAY_AUDIO, 0x45) X(SCSIOP_GET_CONFIGURATION, 0x46)     \
    X(SCSIOP_PLAY_AUDIO_MSF, 0x47) X(SCSIOP_SANITIZE, 0x48) X(SCSIOP_GET_EVENT_STATUS, 0x4A)                \
    X(SCSIOP_PAUSE_RESUME, 0x4B) X(SCSIOP_LOG_SELECT, 0x4C) X(SCSIOP_LOG_SENSE, 0x4D)                       \
    X(SCSIOP_STOP_PLAY_SCAN, 0x4E) X(SCSIOP_XDWRITE, 0x50) X(SCSIOP_XPWRITE, 0x51)                          \
    X(SCSIOP_READ_DISC_INFORMATION, 0x51) X(SCSIOP_READ_TRACK_INFORMATION, 0x52) X(SCSIOP_XDWRITE_READ, 0x53) \
    X(SCSIOP_RESERVE_TRACK_RZONE, 0x53) X(SCSIOP_SEND_OPC_INFORMATION, 0x54) X(SCSIOP_MODE_SELECT10, 0x55)  \
    X(SCSIOP_RESERVE_UNIT10, 0x56) X(SCSIOP_RESERVE_ELEMENT, 0x56) X(SCSIOP_RELEASE_UNIT10, 0x57)           \
    X(SCSIOP_RELEASE_ELEMENT, 0x57) X(SCSIOP_REPAIR_TRACK, 0x58) X(SCSIOP_MODE_SENSE10, 0x5A)               \
    X(SCSIOP_CLOSE_TRACK_SESSION, 0x5B) X(SCSIOP_READ_BUFFER_CAPACITY, 0x5C) X(SCSIOP_SEND_CUE_SHEET, 0x5D) \
    X(SCSIOP_PERSISTENT_RESERVE_IN, 0x5E) X(SCSIOP_PERSISTENT_RESERVE_OUT, 0x5F)                            \
    X(SCSIOP_OPERATION32, 0x7F) X(SCSIOP_XDWRITE_EXTENDED16, 0x80) X(SCSIOP_WRITE_FILEMARKS16, 0x80)        \
    X(SCSIOP_REBUILD16, 0x81) X(SCSIOP_READ_REVERSE16, 0x81) X(SCSIOP_REGENERATE16, 0x82)                   \
    X(SCSIOP_EXTENDED_COPY, 0x83) X(SCSIOP_POPULATE_TOKEN, 0x83) X(SCSIOP_WRITE_USING_TOKEN, 0x83)          \
    X(SCSIOP_RECEIVE_COPY_RESULTS, 0x84) X(SCSIOP_RECEIVE_ROD_TOKEN_INFORMATION, 0x84)                      \
    X(SCSIOP_ATA_PASSTHROUGH16, 0x85) X(SCSIOP_ACCESS_CONTROL_IN, 0x86) X(SCSIOP_ACCESS_CONTROL_OUT, 0x87)  \
    X(SCSIOP_READ16, 0x88) X(SCSIOP_COMPARE_AND_WRITE, 0x89) X(SCSIOP_WRITE16, 0x8A)                        \
    X(SCSIOP_READ_ATTRIBUTES, 0x8C) X(SCSIOP_WRITE_ATTRIBUTES, 0x8D) X(SCSIOP_WRITE_VERIFY16, 0x8E)         \
    X(SCSIOP_VERIFY16, 0x8F) X(SCSIOP_PREFETCH16, 0x90) X(SCSIOP_SYNCHRONIZE_CACHE16, 0x91)                 \
    X(SCSIOP_SPACE16, 0x91) X(SCSIOP_LOCK_UNLOCK_CACHE16, 0x92) X(SCSIOP_LOCATE16, 0x92)                    \
    X(SCSIOP_WRITE_SAME16, 0x93) X(SCSIOP_ERASE16, 0x93) X(SCSIOP_ZBC_OUT, 0x94) X(SCSIOP_ZBC_IN, 0x95)     \
    X(SCSIOP_READ_DATA_BUFF16, 0x9B) X(SCSIOP_READ_CAPACITY16, 0x9E) X(SCSIOP_GET_LBA_STATUS, 0x9E)         \
    X(SCSIOP_GET_PHYSICAL_ELEMENT_STATUS, 0x9E) X(SCSIOP_REMOVE_ELEMENT_AND_TRUNCATE, 0x9E)                 \
    X(SCSIOP_SERVICE_ACTION_IN16, 0x9E) X(SCSIOP_SERVICE_ACTION_OUT16, 0x9F) X(SCSIOP_REPORT_LUNS, 0xA0)    \
    X(SCSIOP_BLANK, 0xA1) X(SCSIOP_ATA_PASSTHROUGH12, 0xA1) X(SCSIOP_SEND_EVENT, 0xA2)                      \
    X(SCSIOP_SECURITY_PROTOCOL_IN, 0xA2) X(SCSIOP_SEND_KEY, 0xA3) X(SCSIOP_MAINTENANCE_IN, 0xA3)            \
    X(SCSIOP_REPORT_KEY, 0xA4) X(SCSIOP_MAINTENANCE_OUT, 0xA4) X(SCSIOP_MOVE_MEDIUM, 0xA5)                  \
    X(SCSIOP_LOAD_UNLOAD_SLOT, 0xA6) X(SCSIOP_EXCHANGE_MEDIUM, 0xA6) X(SCSIOP_SET_READ_AHEAD, 0xA7)         \
    X(SCSIOP_MOVE_MEDIUM_ATTACHED, 0xA7) X(SCSIOP_READ12, 0xA8) X(SCSIOP_GET_MESSAGE, 0xA8)                 \
    X(SCSIOP_SERVICE_ACTION_OUT12, 0xA9) X(SCSIOP_WRITE12, 0xAA) X(SCSIOP_SEND_MESSAGE, 0xAB)               \
    X(SCSIOP_SERVICE_ACTION_IN12, 0xAB) X(SCSIOP_GET_PERFORMANCE, 0xAC) X(SCSIOP_READ_DVD_STRUCTURE, 0xAD)  \
    X(SCSIOP_WRITE_VERIFY12, 0xAE) X(SCSIOP_VERIFY12, 0xAF) X(SCSIOP_SEARCH_DATA_HIGH12, 0xB0)              \
    X(SCSIOP_SEARCH_DATA_EQUAL12, 0xB1) X(SCSIOP_SEARCH_DATA_LOW12, 0xB2) X(SCSIOP_SET_LIMITS12, 0xB3)      \
    X(SCSIOP_READ_ELEMENT_STATUS_ATTACHED, 0xB4) X(SCSIOP_REQUEST_VOL_ELEMENT, 0xB5)                        \
    X(SCSIOP_SECURITY_PROTOCOL_OUT, 0xB5) X(SCSIOP_SEND_VOLUME_TAG, 0xB6) X(SCSIOP_SET_STREAMING, 0xB6)     \
    X(SCSIOP_READ_DEFECT_DATA, 0xB7) X(SCSIOP_READ_ELEMENT_STATUS, 0xB8) X(SCSIOP_READ_CD_MSF, 0xB9)        \
    X(SCSIOP_SCAN_CD, 0xBA) X(SCSIOP_REDUNDANCY_GROUP_IN, 0xBA) X(SCSIOP_SET_CD_SPEED, 0xBB)                \
    X(SCSIOP_REDUNDANCY_GROUP_OUT, 0xBB) X(SCSIOP_PLAY_CD, 0xBC) X(SCSIOP_SPARE_IN, 0xBC)                   \
    X(SCSIOP_MECHANISM_STATUS, 0xBD) X(SCSIOP_SPARE_OUT, 0xBD) X(SCSIOP_READ_CD, 0xBE)                      \
    X(SCSIOP_VOLUME_SET_IN, 0xBE) X(SCSIOP_SEND_DVD_STRUCTURE, 0xBF) X(SCSIOP_VOLUME_SET_OUT, 0xBF)         \
    X(SCSIOP_INIT_ELEMENT_RANGE, 0xE7)

/* The names as the WDK spells them (macros, so #ifdef SCSIOP_X works;
 * libmdlkit checks at compile time that each equals its table entry). */
#define SCSIOP_TEST_UNIT_READY 0x00
#define SCSIOP_REZERO_UNIT 0x01
#define SCSIOP_REWIND 0x01
#define SCSIOP_REQUEST_BLOCK_ADDR 0x02
#define SCSIOP_REQUEST_SENSE 0x03
#define SCSIOP_FORMAT_UNIT 0x04
#define SCSIOP_READ_BLOCK_LIMITS 0x05
#define SCSIOP_REASSIGN_BLOCKS 0x07
#define SCSIOP_INIT_ELEMENT_STATUS 0x07
#define SCSIOP_READ6 0x08
#define SCSIOP_RECEIVE 0x08
#define SCSIOP_WRITE6 0x0A
#define SCSIOP_PRINT 0x0A
#define SCSIOP_SEND 0x0A
#define SCSIOP_SEEK6 0x0B
#define SCSIOP_TRACK_SELECT 0x0B
#define SCSIOP_SLEW_PRINT 0x0B
#define SCSIOP_SET_CAPACITY 0x0B
#define SCSIOP_SEEK_BLOCK 0x0C
#define SCSIOP_PARTITION 0x0D
#define SCSIOP_READ_REVERSE 0x0F
#define SCSIOP_WRITE_FILEMARKS 0x10
#define SCSIOP_FLUSH_BUFFER 0x10
#define SCSIOP_SPACE 0x11
#define SCSIOP_INQUIRY 0x12
#define SCSIOP_VERIFY6 0x13
#define SCSIOP_RECOVER_BUF_DATA 0x14
#define SCSIOP_MODE_SELECT 0x15
#define SCSIOP_RESERVE_UNIT 0x16
#define SCSIOP_RELEASE_UNIT 0x17
#define SCSIOP_COPY 0x18
#define SCSIOP_ERASE 0x19
#define SCSIOP_MODE_SENSE 0x1A
#define SCSIOP_START_STOP_UNIT 0x1B
#define SCSIOP_STOP_PRINT 0x1B
#define SCSIOP_LOAD_UNLOAD 0x1B
#define SCSIOP_RECEIVE_DIAGNOSTIC 0x1C
#define SCSIOP_SEND_DIAGNOSTIC 0x1D
#define SCSIOP_MEDIUM_REMOVAL 0x1E
#define SCSIOP_READ_FORMATTED_CAPACITY 0x23
#define SCSIOP_READ_CAPACITY 0x25
#define SCSIOP_READ 0x28
#define SCSIOP_WRITE 0x2A
#define SCSIOP_SEEK 0x2B
#define SCSIOP_LOCATE 0x2B
#define SCSIOP_POSITION_TO_ELEMENT 0x2B
#define SCSIOP_WRITE_VERIFY 0x2E
#define SCSIOP_VERIFY 0x2F
#define SCSIOP_SEARCH_DATA_HIGH 0x30
#define SCSIOP_SEARCH_DATA_EQUAL 0x31
#define SCSIOP_SEARCH_DATA_LOW 0x32
#define SCSIOP_SET_LIMITS 0x33
#define SCSIOP_READ_POSITION 0x34
#define SCSIOP_SYNCHRONIZE_CACHE 0x35
#define SCSIOP_COMPARE 0x39
#define SCSIOP_COPY_COMPARE 0x3A
#define SCSIOP_WRITE_DATA_BUFF 0x3B
#define SCSIOP_READ_DATA_BUFF 0x3C
#define SCSIOP_WRITE_LONG 0x3F
#define SCSIOP_CHANGE_DEFINITION 0x40
#define SCSIOP_WRITE_SAME 0x41
#define SCSIOP_READ_SUB_CHANNEL 0x42
#define SCSIOP_UNMAP 0x42
#define SCSIOP_READ_TOC 0x43
#define SCSIOP_READ_HEADER 0x44
#define SCSIOP_REPORT_DENSITY_SUPPORT 0x44
#define SCSIOP_PLAY_AUDIO 0x45
#define SCSIOP_GET_CONFIGURATION 0x46
#define SCSIOP_PLAY_AUDIO_MSF 0x47
#define SCSIOP_SANITIZE 0x48
#define SCSIOP_GET_EVENT_STATUS 0x4A
#define SCSIOP_PAUSE_RESUME 0x4B
#define SCSIOP_LOG_SELECT 0x4C
#define SCSIOP_LOG_SENSE 0x4D
#define SCSIOP_STOP_PLAY_SCAN 0x4E
#define SCSIOP_XDWRITE 0x50
#define SCSIOP_XPWRITE 0x51
#define SCSIOP_READ_DISC_INFORMATION 0x51
#define SCSIOP_READ_TRACK_INFORMATION 0x52
#define SCSIOP_XDWRITE_READ 0x53
#define SCSIOP_RESERVE_TRACK_RZONE 0x53
#define SCSIOP_SEND_OPC_INFORMATION 0x54
#define SCSIOP_MODE_SELECT10 0x55
#define SCSIOP_RESERVE_UNIT10 0x56
#define SCSIOP_RESERVE_ELEMENT 0x56
#define SCSIOP_RELEASE_UNIT10 0x57
#define SCSIOP_RELEASE_ELEMENT 0x57
#define SCSIOP_REPAIR_TRACK 0x58
#define SCSIOP_MODE_SENSE10 0x5A
#define SCSIOP_CLOSE_TRACK_SESSION 0x5B
#define SCSIOP_READ_BUFFER_CAPACITY 0x5C
#define SCSIOP_SEND_CUE_SHEET 0x5D
#define SCSIOP_PERSISTENT_RESERVE_IN 0x5E
#define SCSIOP_PERSISTENT_RESERVE_OUT 0x5F
#define SCSIOP_OPERATION32 0x7F
#define SCSIOP_XDWRITE_EXTENDED16 0x80
#define SCSIOP_WRITE_FILEMARKS16 0x80
#define SCSIOP_REBUILD16 0x81
#define SCSIOP_READ_REVERSE16 0x81
#define SCSIOP_REGENERATE16 0x82
#define SCSIOP_EXTENDED_COPY 0x83
#define SCSIOP_POPULATE_TOKEN 0x83
#define SCSIOP_WRITE_USING_TOKEN 0x83
#define SCSIOP_RECEIVE_COPY_RESULTS 0x84
#define SCSIOP_RECEIVE_ROD_TOKEN_INFORMATION 0x84
#define SCSIOP_ATA_PASSTHROUGH16 0x85
#define SCSIOP_ACCESS_CONTROL_IN 0x86
#define SCSIOP_ACCESS_CONTROL_OUT 0x87
#define SCSIOP_READ16 0x88
#define SCSIOP_COMPARE_AND_WRITE 0x89
#define SCSIOP_WRITE16 0x8A
#define SCSIOP_READ_ATTRIBUTES 0x8C
#define SCSIOP_WRITE_ATTRIBUTES 0x8D
#define SCSIOP_WRITE_VERIFY16 0x8E
#define SCSIOP_VERIFY16 0x8F
#define SCSIOP_PREFETCH16 0x90
#define SCSIOP_SYNCHRONIZE_CACHE16 0x91
#define SCSIOP_SPACE16 0x91
#define SCSIOP_LOCK_UNLOCK_CACHE16 0x92
#define SCSIOP_LOCATE16 0x92
#define SCSIOP_WRITE_SAME16 0x93
#define SCSIOP_ERASE16 0x93
#define SCSIOP_ZBC_OUT 0x94
#define SCSIOP_ZBC_IN 0x95
#define SCSIOP_READ_DATA_BUFF16 0x9B
#define SCSIOP_READ_CAPACITY16 0x9E
#define SCSIOP_GET_LBA_STATUS 0x9E
#define SCSIOP_GET_PHYSICAL_ELEMENT_STATUS 0x9E
#define SCSIOP_REMOVE_ELEMENT_AND_TRUNCATE 0x9E
#define SCSIOP_SERVICE_ACTION_IN16 0x9E
#define SCSIOP_SERVICE_ACTION_OUT16 0x9F
#define SCSIOP_REPORT_LUNS 0xA0
#define SCSIOP_BLANK 0xA1
#define SCSIOP_ATA_PASSTHROUGH12 0xA1
#define SCSIOP_SEND_EVENT 0xA2
#define SCSIOP_SECURITY_PROTOCOL_IN 0xA2
#define SCSIOP_SEND_KEY 0xA3
#define SCSIOP_MAINTENANCE_IN 0xA3
#define SCSIOP_REPORT_KEY 0xA4
#define SCSIOP_MAINTENANCE_OUT 0xA4
#define SCSIOP_MOVE_MEDIUM 0xA5
#define SCSIOP_LOAD_UNLOAD_SLOT 0xA6
#define SCSIOP_EXCHANGE_MEDIUM 0xA6
#define SCSIOP_SET_READ_AHEAD 0xA7
#define SCSIOP_MOVE_MEDIUM_ATTACHED 0xA7
#define SCSIOP_READ12 0xA8
#define SCSIOP_GET_MESSAGE 0xA8
#define SCSIOP_SERVICE_ACTION_OUT12 0xA9
#define SCSIOP_WRITE12 0xAA
#define SCSIOP_SEND_MESSAGE 0xAB
#define SCSIOP_SERVICE_ACTION_IN12 0xAB
#define SCSIOP_GET_PERFORMANCE 0xAC
#define SCSIOP_READ_DVD_STRUCTURE 0xAD
#define SCSIOP_WRITE_VERIFY12 0xAE
#define SCSIOP_VERIFY12 0xAF
#define SCSIOP_SEARCH_DATA_HIGH12 0xB0
#define SCSIOP_SEARCH_DATA_EQUAL12 0xB1
#define SCSIOP_SEARCH_DATA_LOW12 0xB2
#define SCSIOP_SET_LIMITS12 0xB3
#define SCSIOP_READ_ELEMENT_STATUS_ATTACHED 0xB4
#define SCSIOP_REQUEST_VOL_ELEMENT 0xB5
#define SCSIOP_SECURITY_PROTOCOL_OUT 0xB5
#define SCSIOP_SEND_VOLUME_TAG 0xB6
#define SCSIOP_SET_STREAMING 0xB6
#define SCSIOP_READ_DEFECT_DATA 0xB7
#define SCSIOP_READ_ELEMENT_STATUS 0xB8
#define SCSIOP_READ_CD_MSF 0xB9
#define SCSIOP_SCAN_CD 0xBA
#define SCSIOP_REDUNDANCY_GROUP_IN 0xBA
#define SCSIOP_SET_CD_SPEED 0xBB
#define SCSIOP_REDUNDANCY_GROUP_OUT 0xBB
#define SCSIOP_PLAY_CD 0xBC
#define SCSIOP_SPARE_IN 0xBC
#define SCSIOP_MECHANISM_STATUS 0xBD
#define SCSIOP_SPARE_OUT 0xBD
#define SCSIOP_READ_CD 0xBE
#define SCSIOP_VOLUME_SET_IN 0xBE
#define SCSIOP_SEND_DVD_STRUCTURE 0xBF
#define SCSIOP_VOLUME_SET_OUT 0xBF
#define SCSIOP_INIT_ELEMENT_RANGE 0xE7

/* Service actions of SERVICE ACTION IN (16). */
#define SERVICE_ACTION_READ_CAPACITY16 0x10
#define SERVICE_ACTION_GET_LBA_STATUS 0x12

/* The name of an operation code ("SCSIOP_READ"), or NULL (libmdlkit). */
const char *mdlkit_scsiop_name(UCHAR opcode);

/* ------------------------------------------------------------------------
 * Byte-order helpers (big-endian wire fields are copied byte by byte)
 * ---------------------------------------------------------------------- */
typedef union _TWO_BYTE {
    struct {
        UCHAR Byte0;
        UCHAR Byte1;
    };
    USHORT AsUShort;
} TWO_BYTE, *PTWO_BYTE;

typedef union _FOUR_BYTE {
    struct {
        UCHAR Byte0;
        UCHAR Byte1;
        UCHAR Byte2;
        UCHAR Byte3;
    };
    ULONG AsULong;
} FOUR_BYTE, *PFOUR_BYTE;

typedef union _EIGHT_BYTE {
    struct {
        UCHAR Byte0;
        UCHAR Byte1;
        UCHAR Byte2;
        UCHAR Byte3;
        UCHAR Byte4;
        UCHAR Byte5;
        UCHAR Byte6;
        UCHAR Byte7;
    };
    ULONGLONG AsULongLong;
} EIGHT_BYTE, *PEIGHT_BYTE;

#define REVERSE_BYTES_SHORT(Destination, Source)                                                      \
    do {                                                                                              \
        PTWO_BYTE d_ = (PTWO_BYTE)(Destination), s_ = (PTWO_BYTE)(Source);                           \
        d_->Byte0 = s_->Byte1;                                                                        \
        d_->Byte1 = s_->Byte0;                                                                        \
    } while (0)
#define REVERSE_BYTES(Destination, Source)                                                            \
    do {                                                                                              \
        PFOUR_BYTE d_ = (PFOUR_BYTE)(Destination), s_ = (PFOUR_BYTE)(Source);                         \
        d_->Byte0 = s_->Byte3;                                                                        \
        d_->Byte1 = s_->Byte2;                                                                        \
        d_->Byte2 = s_->Byte1;                                                                        \
        d_->Byte3 = s_->Byte0;                                                                        \
    } while (0)
#define REVERSE_BYTES_QUAD(Destination, Source)                                                       \
    do {                                                                                              \
        PEIGHT_BYTE d_ = (PEIGHT_BYTE)(Destination), s_ = (PEIGHT_BYTE)(Source);                      \
        d_->Byte0 = s_->Byte7;                                                                        \
        d_->Byte1 = s_->Byte6;                                                                        \
        d_->Byte2 = s_->Byte5;                                                                        \
        d_->Byte3 = s_->Byte4;                                                                        \
        d_->Byte4 = s_->Byte3;                                                                        \
        d_->Byte5 = s_->Byte2;                                                                        \
        d_->Byte6 = s_->Byte1;                                                                        \
        d_->Byte7 = s_->Byte0;                                                                        \
    } while (0)

/* ------------------------------------------------------------------------
 * Command descriptor blocks
 * ---------------------------------------------------------------------- */
#pragma pack(push, 1)
typedef union _CDB {
    struct _CDB6GENERIC {
        UCHAR OperationCode;
        UCHAR Immediate : 1;
        UCHAR CommandUniqueBits : 4;
        UCHAR LogicalUnitNumber : 3;
        UCHAR CommandUniqueBytes[3];
        UCHAR Link : 1;
        UCHAR Flag : 1;
        UCHAR Reserved : 4;
        UCHAR VendorUnique : 2;
    } CDB6GENERIC;
    struct _CDB6READWRITE {
        UCHAR OperationCode;
        UCHAR LogicalBlockMsb1 : 5;
        UCHAR LogicalUnitNumber : 3;
        UCHAR LogicalBlockMsb0;
        UCHAR LogicalBlockLsb;
        UCHAR TransferBlocks;
        UCHAR Control;
    } CDB6READWRITE;
    struct _CDB6INQUIRY {
        UCHAR OperationCode;
        UCHAR Reserved1 : 5;
        UCHAR LogicalUnitNumber : 3;
        UCHAR PageCode;
        UCHAR IReserved;
        UCHAR AllocationLength;
        UCHAR Control;
    } CDB6INQUIRY;
    struct _CDB6INQUIRY3 {
        UCHAR OperationCode;
        UCHAR EnableVitalProductData : 1;
        UCHAR CommandSupportData : 1;
        UCHAR Reserved1 : 6;
        UCHAR PageCode;
        UCHAR AllocationLength[2];
        UCHAR Control;
    } CDB6INQUIRY3;
    struct _CDB6VERIFY {
        UCHAR OperationCode;
        UCHAR Fixed : 1;
        UCHAR ByteCompare : 1;
        UCHAR Immediate : 1;
        UCHAR Reserved : 2;
        UCHAR LogicalUnitNumber : 3;
        UCHAR VerificationLength[3];
        UCHAR Control;
    } CDB6VERIFY;
    struct _CDB6FORMAT {
        UCHAR OperationCode;
        UCHAR FormatControl : 5;
        UCHAR LogicalUnitNumber : 3;
        UCHAR FReserved1;
        UCHAR InterleaveMsb;
        UCHAR InterleaveLsb;
        UCHAR FReserved2;
    } CDB6FORMAT;
    struct _CDB10 {
        UCHAR OperationCode;
        UCHAR RelativeAddress : 1;
        UCHAR Reserved1 : 2;
        UCHAR ForceUnitAccess : 1;
        UCHAR DisablePageOut : 1;
        UCHAR LogicalUnitNumber : 3;
        UCHAR LogicalBlockByte0;
        UCHAR LogicalBlockByte1;
        UCHAR LogicalBlockByte2;
        UCHAR LogicalBlockByte3;
        UCHAR Reserved2;
        UCHAR TransferBlocksMsb;
        UCHAR TransferBlocksLsb;
        UCHAR Control;
    } CDB10;
    struct _CDB12 {
        UCHAR OperationCode;
        UCHAR RelativeAddress : 1;
        UCHAR Reserved1 : 2;
        UCHAR ForceUnitAccess : 1;
        UCHAR DisablePageOut : 1;
        UCHAR LogicalUnitNumber : 3;
        UCHAR LogicalBlock[4];
        UCHAR TransferLength[4];
        UCHAR Reserved2;
        UCHAR Control;
    } CDB12;
    struct _CDB16 {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR ForceUnitAccess : 1;
        UCHAR DisablePageOut : 1;
        UCHAR Protection : 3;
        UCHAR LogicalBlock[8];
        UCHAR TransferLength[4];
        UCHAR Reserved2;
        UCHAR Control;
    } CDB16;
    struct _MODE_SENSE {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR Dbd : 1;
        UCHAR Reserved2 : 1;
        UCHAR LogicalUnitNumber : 3;
        UCHAR PageCode : 6;
        UCHAR Pc : 2;
        UCHAR SubPageCode;
        UCHAR AllocationLength;
        UCHAR Control;
    } MODE_SENSE;
    struct _MODE_SENSE10 {
        UCHAR OperationCode;
        UCHAR Reserved1 : 3;
        UCHAR Dbd : 1;
        UCHAR LongLBAAccepted : 1;
        UCHAR LogicalUnitNumber : 3;
        UCHAR PageCode : 6;
        UCHAR Pc : 2;
        UCHAR SubPageCode;
        UCHAR Reserved3[3];
        UCHAR AllocationLength[2];
        UCHAR Control;
    } MODE_SENSE10;
    struct _MODE_SELECT {
        UCHAR OperationCode;
        UCHAR SPBit : 1;
        UCHAR Reserved1 : 3;
        UCHAR PFBit : 1;
        UCHAR LogicalUnitNumber : 3;
        UCHAR Reserved2[2];
        UCHAR ParameterListLength;
        UCHAR Control;
    } MODE_SELECT;
    struct _START_STOP {
        UCHAR OperationCode;
        UCHAR Immediate : 1;
        UCHAR Reserved1 : 4;
        UCHAR LogicalUnitNumber : 3;
        UCHAR Reserved2[2];
        UCHAR Start : 1;
        UCHAR LoadEject : 1;
        UCHAR Reserved3 : 6;
        UCHAR Control;
    } START_STOP;
    struct _MEDIA_REMOVAL {
        UCHAR OperationCode;
        UCHAR Reserved1 : 5;
        UCHAR LogicalUnitNumber : 3;
        UCHAR Reserved2[2];
        UCHAR Prevent : 1;
        UCHAR Persistant : 1;
        UCHAR Reserved3 : 6;
        UCHAR Control;
    } MEDIA_REMOVAL;
    struct _SYNCHRONIZE_CACHE10 {
        UCHAR OperationCode;
        UCHAR RelAddr : 1;
        UCHAR Immediate : 1;
        UCHAR Reserved : 3;
        UCHAR Lun : 3;
        UCHAR LogicalBlockAddress[4];
        UCHAR Reserved2;
        UCHAR BlockCount[2];
        UCHAR Control;
    } SYNCHRONIZE_CACHE10;
    struct _SYNCHRONIZE_CACHE16 {
        UCHAR OperationCode;
        UCHAR Reserved1 : 1;
        UCHAR Immediate : 1;
        UCHAR Reserved2 : 6;
        UCHAR LogicalBlock[8];
        UCHAR BlockCount[4];
        UCHAR Reserved3;
        UCHAR Control;
    } SYNCHRONIZE_CACHE16;
    struct _READ_CAPACITY16 {
        UCHAR OperationCode;
        UCHAR ServiceAction : 5;
        UCHAR Reserved1 : 3;
        UCHAR LogicalBlock[8];
        UCHAR AllocationLength[4];
        UCHAR PMI : 1;
        UCHAR Reserved2 : 7;
        UCHAR Control;
    } READ_CAPACITY16;
    struct _ATA_PASSTHROUGH16 { /* SAT: an ATA command in a 16-byte CDB */
        UCHAR OperationCode;
        UCHAR Extend : 1;
        UCHAR Protocol : 4;
        UCHAR MultipleCount : 3;
        UCHAR TLength : 2;
        UCHAR ByteBlock : 1;
        UCHAR TDir : 1;
        UCHAR Reserved1 : 1;
        UCHAR CkCond : 1;
        UCHAR Offline : 2;
        UCHAR Features15_8;
        UCHAR Features7_0;
        UCHAR SectorCount15_8;
        UCHAR SectorCount7_0;
        UCHAR LbaLow15_8;
        UCHAR LbaLow7_0;
        UCHAR LbaMid15_8;
        UCHAR LbaMid7_0;
        UCHAR LbaHigh15_8;
        UCHAR LbaHigh7_0;
        UCHAR Device;
        UCHAR Command;
        UCHAR Control;
    } ATA_PASSTHROUGH16;
    struct _WRITE_BUFFER { /* 10 bytes; offset and length big-endian */
        UCHAR OperationCode;
        UCHAR Mode : 5;
        UCHAR ModeSpecific : 3;
        UCHAR BufferID;
        UCHAR BufferOffset[3];
        UCHAR ParameterListLength[3];
        UCHAR Control;
    } WRITE_BUFFER;
    struct _SECURITY_PROTOCOL_IN { /* 12 bytes; INC_512: the length counts 512-byte blocks */
        UCHAR OperationCode;
        UCHAR SecurityProtocol;
        UCHAR SecurityProtocolSpecific[2];
        UCHAR Reserved1 : 7;
        UCHAR INC_512 : 1;
        UCHAR Reserved2;
        UCHAR AllocationLength[4];
        UCHAR Reserved3;
        UCHAR Control;
    } SECURITY_PROTOCOL_IN;
    struct _UNMAP {
        UCHAR OperationCode;
        UCHAR Anchor : 1;
        UCHAR Reserved1 : 7;
        UCHAR Reserved2[4];
        UCHAR GroupNumber : 5;
        UCHAR Reserved3 : 3;
        UCHAR AllocationLength[2];
        UCHAR Control;
    } UNMAP;
    struct _REPORT_LUNS {
        UCHAR OperationCode;
        UCHAR Reserved1[5];
        UCHAR AllocationLength[4];
        UCHAR Reserved2[1];
        UCHAR Control;
    } REPORT_LUNS;
    struct _REQUEST_SENSE {
        UCHAR OperationCode;
        UCHAR DescriptorFormat : 1;
        UCHAR Reserved1 : 7;
        UCHAR Reserved2[2];
        UCHAR AllocationLength;
        UCHAR Control;
    } REQUEST_SENSE;
    struct _TEST_UNIT_READY {
        UCHAR OperationCode;
        UCHAR Reserved[4];
        UCHAR Control;
    } TEST_UNIT_READY;
    ULONG AsUlong[4];
    UCHAR AsByte[16];
} CDB, *PCDB;
#pragma pack(pop)

/* CDB lengths */
#define CDB6GENERIC_LENGTH 6
#define CDB10GENERIC_LENGTH 10
#define CDB12GENERIC_LENGTH 12
#define CDB16GENERIC_LENGTH 16

/* ------------------------------------------------------------------------
 * SCSI bus messages (parallel SCSI, SPI): message codes a miniport for a
 * parallel bus adapter puts on the bus, and the extended-message forms.
 * ---------------------------------------------------------------------- */
#define SCSIMESS_COMMAND_COMPLETE 0x00
#define SCSIMESS_EXTENDED_MESSAGE 0x01
#define SCSIMESS_SAVE_DATA_POINTER 0x02
#define SCSIMESS_RESTORE_POINTERS 0x03
#define SCSIMESS_DISCONNECT 0x04
#define SCSIMESS_INIT_DETECTED_ERROR 0x05
#define SCSIMESS_ABORT 0x06
#define SCSIMESS_MESSAGE_REJECT 0x07
#define SCSIMESS_NO_OPERATION 0x08
#define SCSIMESS_MESS_PARITY_ERROR 0x09
#define SCSIMESS_LINK_CMD_COMP 0x0A
#define SCSIMESS_LINK_CMD_COMP_W_FLAG 0x0B
#define SCSIMESS_BUS_DEVICE_RESET 0x0C
#define SCSIMESS_ABORT_WITH_TAG 0x0D
#define SCSIMESS_CLEAR_QUEUE 0x0E
#define SCSIMESS_INITIATE_RECOVERY 0x0F
#define SCSIMESS_RELEASE_RECOVERY 0x10
#define SCSIMESS_TERMINATE_IO_PROCESS 0x11
#define SCSIMESS_SIMPLE_QUEUE_TAG 0x20
#define SCSIMESS_HEAD_OF_QUEUE_TAG 0x21
#define SCSIMESS_ORDERED_QUEUE_TAG 0x22
#define SCSIMESS_IGNORE_WIDE_RESIDUE 0x23
#define SCSIMESS_IDENTIFY 0x80
#define SCSIMESS_IDENTIFY_WITH_DISCON 0xC0
#define SCSIMESS_IDENTIFY_WITH_DISCONNECT SCSIMESS_IDENTIFY_WITH_DISCON
/* extended message codes (the byte after the length) and their lengths */
#define SCSIMESS_MODIFY_DATA_POINTER 0x00
#define SCSIMESS_SYNCHRONOUS_DATA_REQ 0x01
#define SCSIMESS_WIDE_DATA_REQUEST 0x03
#define SCSIMESS_PARALLEL_PROTOCOL_REQUEST 0x04
#define SCSIMESS_MODIFY_DATA_LENGTH 5
#define SCSIMESS_SYNCH_DATA_LENGTH 3
#define SCSIMESS_WIDE_DATA_LENGTH 2
#define SCSIMESS_PARALLEL_PROTOCOL_LENGTH 6

/* ------------------------------------------------------------------------
 * SCSI status, sense keys, additional sense codes
 * ---------------------------------------------------------------------- */
#define SCSISTAT_GOOD 0x00
#define SCSISTAT_CHECK_CONDITION 0x02
#define SCSISTAT_CONDITION_MET 0x04
#define SCSISTAT_BUSY 0x08
#define SCSISTAT_INTERMEDIATE 0x10
#define SCSISTAT_INTERMEDIATE_COND_MET 0x14
#define SCSISTAT_RESERVATION_CONFLICT 0x18
#define SCSISTAT_COMMAND_TERMINATED 0x22
#define SCSISTAT_QUEUE_FULL 0x28

#define SCSI_SENSE_NO_SENSE 0x00
#define SCSI_SENSE_RECOVERED_ERROR 0x01
#define SCSI_SENSE_NOT_READY 0x02
#define SCSI_SENSE_MEDIUM_ERROR 0x03
#define SCSI_SENSE_HARDWARE_ERROR 0x04
#define SCSI_SENSE_ILLEGAL_REQUEST 0x05
#define SCSI_SENSE_UNIT_ATTENTION 0x06
#define SCSI_SENSE_DATA_PROTECT 0x07
#define SCSI_SENSE_BLANK_CHECK 0x08
#define SCSI_SENSE_UNIQUE 0x09
#define SCSI_SENSE_COPY_ABORTED 0x0A
#define SCSI_SENSE_ABORTED_COMMAND 0x0B
#define SCSI_SENSE_EQUAL 0x0C
#define SCSI_SENSE_VOL_OVERFLOW 0x0D
#define SCSI_SENSE_MISCOMPARE 0x0E
#define SCSI_SENSE_RESERVED 0x0F

#define SCSI_SENSE_ERRORCODE_FIXED_CURRENT 0x70
#define SCSI_SENSE_ERRORCODE_FIXED_DEFERRED 0x71
#define SCSI_SENSE_ERRORCODE_DESCRIPTOR_CURRENT 0x72
#define SCSI_SENSE_ERRORCODE_DESCRIPTOR_DEFERRED 0x73

#define SCSI_ADSENSE_NO_SENSE 0x00
#define SCSI_ADSENSE_NO_SEEK_COMPLETE 0x02
#define SCSI_ADSENSE_WRITE 0x03
#define SCSI_ADSENSE_LUN_NOT_READY 0x04
#define SCSI_ADSENSE_LUN_COMMUNICATION 0x08
#define SCSI_ADSENSE_WRITE_ERROR 0x0C
#define SCSI_ADSENSE_TRACK_ERROR 0x14
#define SCSI_ADSENSE_SEEK_ERROR 0x15
#define SCSI_ADSENSE_REC_DATA_NOECC 0x17
#define SCSI_ADSENSE_REC_DATA_ECC 0x18
#define SCSI_ADSENSE_PARAMETER_LIST_LENGTH 0x1A
#define SCSI_ADSENSE_ILLEGAL_COMMAND 0x20
#define SCSI_ADSENSE_ILLEGAL_BLOCK 0x21
#define SCSI_ADSENSE_INVALID_CDB 0x24
#define SCSI_ADSENSE_INVALID_LUN 0x25
#define SCSI_ADSENSE_INVALID_FIELD_PARAMETER_LIST 0x26
#define SCSI_ADSENSE_WRITE_PROTECT 0x27
#define SCSI_ADSENSE_MEDIUM_CHANGED 0x28
#define SCSI_ADSENSE_BUS_RESET 0x29
#define SCSI_ADSENSE_PARAMETERS_CHANGED 0x2A
#define SCSI_ADSENSE_INSUFFICIENT_TIME_FOR_OPERATION 0x2E
#define SCSI_ADSENSE_INVALID_MEDIA 0x30
#define SCSI_ADSENSE_NO_MEDIA_IN_DEVICE 0x3a
#define SCSI_ADSENSE_POSITION_ERROR 0x3b
#define SCSI_ADSENSE_OPERATING_CONDITIONS_CHANGED 0x3f
#define SCSI_ADSENSE_INTERNAL_TARGET_FAILURE 0x44
#define SCSI_ADSENSE_OPERATOR_REQUEST 0x5a
#define SCSI_ADSENSE_FAILURE_PREDICTION_THRESHOLD_EXCEEDED 0x5d
#define SCSI_ADSENSE_COPY_PROTECTION_FAILURE 0x6f
#define SCSI_ADSENSE_LOGICAL_UNIT_ERROR 0x3e
#define SCSI_ADSENSE_UNRECOVERED_ERROR 0x11

#define SCSI_SENSEQ_CAUSE_NOT_REPORTABLE 0x00
#define SCSI_SENSEQ_BECOMING_READY 0x01
#define SCSI_SENSEQ_INIT_COMMAND_REQUIRED 0x02
#define SCSI_SENSEQ_MANUAL_INTERVENTION_REQUIRED 0x03
#define SCSI_SENSEQ_FORMAT_IN_PROGRESS 0x04
#define SCSI_SENSEQ_OPERATION_IN_PROGRESS 0x07
#define SCSI_SENSEQ_CAPACITY_DATA_CHANGED 0x09
#define SCSI_SENSEQ_SPACE_ALLOC_FAILED_WRITE_PROTECT 0x07
#define SCSI_SENSEQ_MODE_PARAMETERS_CHANGED 0x01
#define SCSI_SENSEQ_POWER_ON_RESET 0x01
#define SCSI_SENSEQ_SCSI_BUS_RESET 0x02

/* Fixed-format sense data (18 bytes). */
typedef struct _SENSE_DATA {
    UCHAR ErrorCode : 7;
    UCHAR Valid : 1;
    UCHAR SegmentNumber;
    UCHAR SenseKey : 4;
    UCHAR Reserved : 1;
    UCHAR IncorrectLength : 1;
    UCHAR EndOfMedia : 1;
    UCHAR FileMark : 1;
    UCHAR Information[4];
    UCHAR AdditionalSenseLength;
    UCHAR CommandSpecificInformation[4];
    UCHAR AdditionalSenseCode;
    UCHAR AdditionalSenseCodeQualifier;
    UCHAR FieldReplaceableUnitCode;
    UCHAR SenseKeySpecific[3];
} SENSE_DATA, *PSENSE_DATA;
#define SENSE_BUFFER_SIZE sizeof(SENSE_DATA)
#define MAX_SENSE_BUFFER_SIZE 255

/* Descriptor-format sense data (response codes 72h/73h, SPC-4): an 8-byte
 * header, then descriptors of (type, additional length, body). */
typedef SENSE_DATA FIXED_SENSE_DATA, *PFIXED_SENSE_DATA;
#pragma pack(push, 1)
typedef struct _DESCRIPTOR_SENSE_DATA {
    UCHAR ErrorCode : 7;
    UCHAR Reserved1 : 1;
    UCHAR SenseKey : 4;
    UCHAR Reserved2 : 4;
    UCHAR AdditionalSenseCode;
    UCHAR AdditionalSenseCodeQualifier;
    UCHAR Reserved3[3];
    UCHAR AdditionalSenseLength; /* bytes of descriptors that follow */
    UCHAR DescriptorBuffer[ANYSIZE_ARRAY];
} DESCRIPTOR_SENSE_DATA, *PDESCRIPTOR_SENSE_DATA;
typedef union _SENSE_DATA_EX {
    FIXED_SENSE_DATA FixedData;
    DESCRIPTOR_SENSE_DATA DescriptorData;
} SENSE_DATA_EX, *PSENSE_DATA_EX;
typedef struct _SCSI_SENSE_DESCRIPTOR_HEADER {
    UCHAR DescriptorType;
    UCHAR AdditionalLength; /* bytes after this header */
} SCSI_SENSE_DESCRIPTOR_HEADER, *PSCSI_SENSE_DESCRIPTOR_HEADER;
/* SAT: the ATA registers after an ATA PASS-THROUGH with CK_COND, or an error */
typedef struct _SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN {
    SCSI_SENSE_DESCRIPTOR_HEADER Header;
    UCHAR Extend : 1;
    UCHAR Reserved1 : 7;
    UCHAR Error;
    UCHAR SectorCount15_8;
    UCHAR SectorCount7_0;
    UCHAR LbaLow15_8;
    UCHAR LbaLow7_0;
    UCHAR LbaMid15_8;
    UCHAR LbaMid7_0;
    UCHAR LbaHigh15_8;
    UCHAR LbaHigh7_0;
    UCHAR Device;
    UCHAR Status;
} SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN, *PSCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN;
#pragma pack(pop)
/* descriptor type of SCSI_SENSE_DESCRIPTOR_ATA_STATUS_RETURN (SPC-4) */
#define SCSI_SENSE_DESCRIPTOR_TYPE_ATA_STATUS_RETURN 0x09

/* ------------------------------------------------------------------------
 * INQUIRY
 * ---------------------------------------------------------------------- */
#define DIRECT_ACCESS_DEVICE 0x00
#define SEQUENTIAL_ACCESS_DEVICE 0x01
#define PRINTER_DEVICE 0x02
#define PROCESSOR_DEVICE 0x03
#define WRITE_ONCE_READ_MULTIPLE_DEVICE 0x04
#define READ_ONLY_DIRECT_ACCESS_DEVICE 0x05
#define SCANNER_DEVICE 0x06
#define OPTICAL_DEVICE 0x07
#define MEDIUM_CHANGER 0x08
#define COMMUNICATION_DEVICE 0x09
#define ARRAY_CONTROLLER_DEVICE 0x0C
#define SCSI_ENCLOSURE_DEVICE 0x0D
#define REDUCED_BLOCK_DEVICE 0x0E
#define OPTICAL_CARD_READER_WRITER_DEVICE 0x0F
#define BRIDGE_CONTROLLER_DEVICE 0x10
#define OBJECT_BASED_STORAGE_DEVICE 0x11
#define LOGICAL_UNIT_NOT_PRESENT_DEVICE 0x7F

#define DEVICE_QUALIFIER_ACTIVE 0x00
#define DEVICE_QUALIFIER_NOT_ACTIVE 0x01
#define DEVICE_QUALIFIER_NOT_SUPPORTED 0x03
#define DEVICE_CONNECTED 0x00

typedef struct _INQUIRYDATA {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR DeviceTypeModifier : 7;
    UCHAR RemovableMedia : 1;
    union {
        UCHAR Versions;
        struct {
            UCHAR ANSIVersion : 3;
            UCHAR ECMAVersion : 3;
            UCHAR ISOVersion : 2;
        };
    };
    UCHAR ResponseDataFormat : 4;
    UCHAR HiSupport : 1;
    UCHAR NormACA : 1;
    UCHAR TerminateTask : 1;
    UCHAR AERC : 1;
    UCHAR AdditionalLength;
    union {
        UCHAR Reserved;
        struct {
            UCHAR PROTECT : 1;
            UCHAR Reserved_1 : 2;
            UCHAR ThirdPartyCoppy : 1;
            UCHAR TPGS : 2;
            UCHAR ACC : 1;
            UCHAR SCCS : 1;
        };
    };
    UCHAR Addr16 : 1;
    UCHAR Addr32 : 1;
    UCHAR AckReqQ : 1;
    UCHAR MediumChanger : 1;
    UCHAR MultiPort : 1;
    UCHAR ReservedBit2 : 1;
    UCHAR EnclosureServices : 1;
    UCHAR ReservedBit3 : 1;
    UCHAR SoftReset : 1;
    UCHAR CommandQueue : 1;
    UCHAR TransferDisable : 1;
    UCHAR LinkedCommands : 1;
    UCHAR Synchronous : 1;
    UCHAR Wide16Bit : 1;
    UCHAR Wide32Bit : 1;
    UCHAR RelativeAddressing : 1;
    UCHAR VendorId[8];
    UCHAR ProductId[16];
    UCHAR ProductRevisionLevel[4];
    UCHAR VendorSpecific[20];
    UCHAR Reserved3[2];
    USHORT VersionDescriptors[8];
    UCHAR Reserved4[30];
} INQUIRYDATA, *PINQUIRYDATA;
#define INQUIRYDATABUFFERSIZE 36

/* Vital product data pages */
#define VPD_SUPPORTED_PAGES 0x00
#define VPD_SERIAL_NUMBER 0x80
#define VPD_DEVICE_IDENTIFIERS 0x83
#define VPD_MEDIA_SERIAL_NUMBER 0x84
#define VPD_SOFTWARE_INTERFACE_IDENTIFIERS 0x84
#define VPD_NETWORK_MANAGEMENT_ADDRESSES 0x85
#define VPD_EXTENDED_INQUIRY_DATA 0x86
#define VPD_MODE_PAGE_POLICY 0x87
#define VPD_SCSI_PORTS 0x88
#define VPD_ATA_INFORMATION 0x89
#define VPD_THIRD_PARTY_COPY 0x8F
#define VPD_BLOCK_LIMITS 0xB0
#define VPD_BLOCK_DEVICE_CHARACTERISTICS 0xB1
#define VPD_LOGICAL_BLOCK_PROVISIONING 0xB2
#define VPD_ZONED_BLOCK_DEVICE_CHARACTERISTICS 0xB6

typedef enum _VPD_CODE_SET {
    VpdCodeSetReserved = 0,
    VpdCodeSetBinary = 1,
    VpdCodeSetAscii = 2,
    VpdCodeSetUTF8 = 3
} VPD_CODE_SET, *PVPD_CODE_SET;

typedef enum _VPD_ASSOCIATION {
    VpdAssocDevice = 0,
    VpdAssocPort = 1,
    VpdAssocTarget = 2,
    VpdAssocReserved1 = 3,
    VpdAssocReserved2 = 4
} VPD_ASSOCIATION, *PVPD_ASSOCIATION;

typedef enum _VPD_IDENTIFIER_TYPE {
    VpdIdentifierTypeVendorSpecific = 0,
    VpdIdentifierTypeVendorId = 1,
    VpdIdentifierTypeEUI64 = 2,
    VpdIdentifierTypeFCPHName = 3,
    VpdIdentifierTypePortRelative = 4,
    VpdIdentifierTypeTargetPortGroup = 5,
    VpdIdentifierTypeLogicalUnitGroup = 6,
    VpdIdentifierTypeMD5LogicalUnitId = 7,
    VpdIdentifierTypeSCSINameString = 8
} VPD_IDENTIFIER_TYPE, *PVPD_IDENTIFIER_TYPE;

typedef struct _VPD_SUPPORTED_PAGES_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR Reserved;
    UCHAR PageLength;
    UCHAR SupportedPageList[0];
} VPD_SUPPORTED_PAGES_PAGE, *PVPD_SUPPORTED_PAGES_PAGE;

typedef struct _VPD_SERIAL_NUMBER_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR Reserved;
    UCHAR PageLength;
    UCHAR SerialNumber[0];
} VPD_SERIAL_NUMBER_PAGE, *PVPD_SERIAL_NUMBER_PAGE;

typedef struct _VPD_IDENTIFICATION_DESCRIPTOR {
    UCHAR CodeSet : 4;
    UCHAR Reserved : 4;
    UCHAR IdentifierType : 4;
    UCHAR Association : 2;
    UCHAR Reserved2 : 2;
    UCHAR Reserved3;
    UCHAR IdentifierLength;
    UCHAR Identifier[0];
} VPD_IDENTIFICATION_DESCRIPTOR, *PVPD_IDENTIFICATION_DESCRIPTOR;

typedef struct _VPD_IDENTIFICATION_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR Reserved;
    UCHAR PageLength;
    UCHAR Descriptors[0];
} VPD_IDENTIFICATION_PAGE, *PVPD_IDENTIFICATION_PAGE;

typedef struct _VPD_BLOCK_LIMITS_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR PageLength[2];
    union {
        struct {
            UCHAR Reserved0; /* bit 0: WSNZ */
            UCHAR MaximumCompareAndWriteLength;
            UCHAR OptimalTransferLengthGranularity[2];
            UCHAR MaximumTransferLength[4];
            UCHAR OptimalTransferLength[4];
            UCHAR MaxPrefetchXDReadXDWriteTransferLength[4];
            UCHAR MaximumUnmapLBACount[4];
            UCHAR MaximumUnmapBlockDescriptorCount[4];
            UCHAR OptimalUnmapGranularity[4];
            union {
                struct {
                    UCHAR UnmapGranularityAlignmentByte3 : 7;
                    UCHAR UGAValid : 1;
                    UCHAR UnmapGranularityAlignmentByte2;
                    UCHAR UnmapGranularityAlignmentByte1;
                    UCHAR UnmapGranularityAlignmentByte0;
                };
                UCHAR UnmapGranularityAlignment[4];
            };
            UCHAR MaxWriteSameLength[8];
            UCHAR MaximumAtomicTransferLength[4];
            UCHAR AtomicAlignment[4];
            UCHAR AtomicTransferLengthGranularity[4];
            UCHAR Reserved1[8];
        };
        UCHAR Descriptors[0];
    };
} VPD_BLOCK_LIMITS_PAGE, *PVPD_BLOCK_LIMITS_PAGE;

typedef struct _VPD_BLOCK_DEVICE_CHARACTERISTICS_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR Reserved0;
    UCHAR PageLength;
    UCHAR MediumRotationRateMsb;
    UCHAR MediumRotationRateLsb;
    UCHAR MediumProductType;
    UCHAR NominalFormFactor : 4;
    UCHAR WACEREQ : 2;
    UCHAR WABEREQ : 2;
    UCHAR VBULS : 1;
    UCHAR FUAB : 1;
    UCHAR BOCS : 1;
    UCHAR Reserved1 : 1;
    UCHAR ZONED : 2;
    UCHAR Reserved2 : 2;
    UCHAR Reserved3[3];
    UCHAR DepopulationTime[4];
    UCHAR Reserved4[48];
} VPD_BLOCK_DEVICE_CHARACTERISTICS_PAGE, *PVPD_BLOCK_DEVICE_CHARACTERISTICS_PAGE;

#define PROVISIONING_TYPE_UNKNOWN 0x0
#define PROVISIONING_TYPE_RESOURCE 0x1
#define PROVISIONING_TYPE_THIN 0x2

typedef struct _VPD_LOGICAL_BLOCK_PROVISIONING_PAGE {
    UCHAR DeviceType : 5;
    UCHAR DeviceTypeQualifier : 3;
    UCHAR PageCode;
    UCHAR PageLength[2];
    UCHAR ThresholdExponent;
    UCHAR DP : 1;
    UCHAR ANC_SUP : 1;
    UCHAR LBPRZ : 1;
    UCHAR Reserved0 : 2;
    UCHAR LBPWS10 : 1;
    UCHAR LBPWS : 1;
    UCHAR LBPU : 1;
    UCHAR ProvisioningType : 3;
    UCHAR Reserved1 : 5;
    UCHAR Reserved2;
    UCHAR ProvisioningGroupDescr[0];
} VPD_LOGICAL_BLOCK_PROVISIONING_PAGE, *PVPD_LOGICAL_BLOCK_PROVISIONING_PAGE;

/* ------------------------------------------------------------------------
 * READ CAPACITY
 * ---------------------------------------------------------------------- */
typedef struct _READ_CAPACITY_DATA {
    ULONG LogicalBlockAddress; /* big-endian on the wire */
    ULONG BytesPerBlock;
} READ_CAPACITY_DATA, *PREAD_CAPACITY_DATA;

typedef struct _READ_CAPACITY_DATA_EX {
    LARGE_INTEGER LogicalBlockAddress;
    ULONG BytesPerBlock;
} READ_CAPACITY_DATA_EX, *PREAD_CAPACITY_DATA_EX;

#pragma pack(push, 1)
typedef struct _READ_CAPACITY16_DATA {
    LARGE_INTEGER LogicalBlockAddress;
    ULONG BytesPerBlock;
    UCHAR ProtectionEnable : 1;
    UCHAR ProtectionType : 3;
    UCHAR RcBasis : 2;
    UCHAR Reserved : 2;
    UCHAR LogicalPerPhysicalExponent : 4;
    UCHAR ProtectionInfoExponent : 4;
    UCHAR LowestAlignedBlock_MSB : 6;
    UCHAR LBPRZ : 1;
    UCHAR LBPME : 1;
    UCHAR LowestAlignedBlock_LSB;
    UCHAR Reserved3[16];
} READ_CAPACITY16_DATA, *PREAD_CAPACITY16_DATA;
#pragma pack(pop)

/* ------------------------------------------------------------------------
 * MODE SENSE / MODE SELECT
 * ---------------------------------------------------------------------- */
#define MODE_PAGE_VENDOR_SPECIFIC 0x00
#define MODE_PAGE_ERROR_RECOVERY 0x01
#define MODE_PAGE_DISCONNECT 0x02
#define MODE_PAGE_FORMAT_DEVICE 0x03
#define MODE_PAGE_RIGID_GEOMETRY 0x04
#define MODE_PAGE_FLEXIBILE 0x05
#define MODE_PAGE_WRITE_PARAMETERS 0x05
#define MODE_PAGE_VERIFY_ERROR 0x07
#define MODE_PAGE_CACHING 0x08
#define MODE_PAGE_PERIPHERAL 0x09
#define MODE_PAGE_CONTROL 0x0A
#define MODE_PAGE_MEDIUM_TYPES 0x0B
#define MODE_PAGE_NOTCH_PARTITION 0x0C
#define MODE_PAGE_POWER_CONDITION 0x1A
#define MODE_PAGE_FAULT_REPORTING 0x1C
#define MODE_PAGE_CAPABILITIES 0x2A
#define MODE_SENSE_RETURN_ALL 0x3f

#define MODE_SENSE_CURRENT_VALUES 0x00
#define MODE_SENSE_CHANGEABLE_VALUES 0x40
#define MODE_SENSE_DEFAULT_VAULES 0x80
#define MODE_SENSE_SAVED_VALUES 0xc0

#define MODE_DSP_FUA_SUPPORTED 0x10
#define MODE_DSP_WRITE_PROTECT 0x80

typedef struct _MODE_PARAMETER_HEADER {
    UCHAR ModeDataLength;
    UCHAR MediumType;
    UCHAR DeviceSpecificParameter;
    UCHAR BlockDescriptorLength;
} MODE_PARAMETER_HEADER, *PMODE_PARAMETER_HEADER;

typedef struct _MODE_PARAMETER_HEADER10 {
    UCHAR ModeDataLength[2];
    UCHAR MediumType;
    UCHAR DeviceSpecificParameter;
    UCHAR Reserved[2];
    UCHAR BlockDescriptorLength[2];
} MODE_PARAMETER_HEADER10, *PMODE_PARAMETER_HEADER10;

typedef struct _MODE_PARAMETER_BLOCK {
    UCHAR DensityCode;
    UCHAR NumberOfBlocks[3];
    UCHAR Reserved;
    UCHAR BlockLength[3];
} MODE_PARAMETER_BLOCK, *PMODE_PARAMETER_BLOCK;

typedef struct _MODE_CACHING_PAGE {
    UCHAR PageCode : 6;
    UCHAR Reserved : 1;
    UCHAR PageSavable : 1;
    UCHAR PageLength;
    UCHAR ReadDisableCache : 1;
    UCHAR MultiplicationFactor : 1;
    UCHAR WriteCacheEnable : 1;
    UCHAR Reserved2 : 5;
    UCHAR WriteRetensionPriority : 4;
    UCHAR ReadRetensionPriority : 4;
    UCHAR DisablePrefetchTransfer[2];
    UCHAR MinimumPrefetch[2];
    UCHAR MaximumPrefetch[2];
    UCHAR MaximumPrefetchCeiling[2];
} MODE_CACHING_PAGE, *PMODE_CACHING_PAGE;

/* ------------------------------------------------------------------------
 * UNMAP and REPORT LUNS parameter data
 * ---------------------------------------------------------------------- */
typedef struct _UNMAP_BLOCK_DESCRIPTOR {
    UCHAR StartingLba[8];
    UCHAR LbaCount[4];
    UCHAR Reserved[4];
} UNMAP_BLOCK_DESCRIPTOR, *PUNMAP_BLOCK_DESCRIPTOR;

typedef struct _UNMAP_LIST_HEADER {
    UCHAR DataLength[2];
    UCHAR BlockDescrDataLength[2];
    UCHAR Reserved[4];
    UNMAP_BLOCK_DESCRIPTOR Descriptors[0];
} UNMAP_LIST_HEADER, *PUNMAP_LIST_HEADER;

typedef struct _LUN_LIST {
    UCHAR LunListLength[4];
    UCHAR Reserved[4];
    UCHAR Lun[0][8];
} LUN_LIST, *PLUN_LIST;

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_SCSI_H */
