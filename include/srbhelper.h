/*
 * srbhelper.h -- mdlkit's own text of the SRB accessors: each Srb* routine
 * reads or writes a field of either a SCSI_REQUEST_BLOCK or a
 * STORAGE_REQUEST_BLOCK (SRB_EX), telling them apart by Function ==
 * SRB_FUNCTION_STORAGE_REQUEST_BLOCK, as documented. For SRB_EX the SCSI
 * fields live in the first SRBEX_DATA block of a CDB type and the
 * path/target/LUN in its BTL8 address. The text is mdlkit's.
 */
#ifndef MDLKIT_SRBHELPER_H
#define MDLKIT_SRBHELPER_H

#include <srb.h>
#include <scsi.h>

MDLKIT_EXTERN_C_BEGIN

#define MDLKIT_SRB_IS_EX(Srb) (((PSTORAGE_REQUEST_BLOCK_HEADER)(Srb))->Function == SRB_FUNCTION_STORAGE_REQUEST_BLOCK)

MDLKIT_FORCEINLINE PSRBEX_DATA SrbGetSrbExDataByIndex(PSTORAGE_REQUEST_BLOCK Srb, ULONG SrbExDataIndex)
{
    if (Srb->Function != SRB_FUNCTION_STORAGE_REQUEST_BLOCK || SrbExDataIndex >= Srb->NumSrbExData)
        return NULL;
    ULONG off = Srb->SrbExDataOffset[SrbExDataIndex];
    if (off < sizeof(STORAGE_REQUEST_BLOCK) || off >= Srb->SrbLength)
        return NULL;
    return (PSRBEX_DATA)((PUCHAR)Srb + off);
}

MDLKIT_FORCEINLINE PSRBEX_DATA SrbGetSrbExDataByType(PSTORAGE_REQUEST_BLOCK Srb, SRBEXDATATYPE Type)
{
    if (Srb->Function != SRB_FUNCTION_STORAGE_REQUEST_BLOCK)
        return NULL;
    for (ULONG i = 0; i < Srb->NumSrbExData; i++) {
        PSRBEX_DATA d = SrbGetSrbExDataByIndex(Srb, i);
        if (d && d->Type == Type)
            return d;
    }
    return NULL;
}

/* The SCSI CDB block of an SRB_EX (CDB16, CDB32 or variable), or NULL. */
MDLKIT_FORCEINLINE PSRBEX_DATA mdlkit_srb_scsi_block(PSTORAGE_REQUEST_BLOCK Srb)
{
    if (Srb->Function != SRB_FUNCTION_STORAGE_REQUEST_BLOCK || Srb->SrbFunction != SRB_FUNCTION_EXECUTE_SCSI)
        return NULL;
    for (ULONG i = 0; i < Srb->NumSrbExData; i++) {
        PSRBEX_DATA d = SrbGetSrbExDataByIndex(Srb, i);
        if (d && (d->Type == SrbExDataTypeScsiCdb16 || d->Type == SrbExDataTypeScsiCdb32 ||
                  d->Type == SrbExDataTypeScsiCdbVar))
            return d;
    }
    return NULL;
}

MDLKIT_FORCEINLINE PSTOR_ADDRESS SrbGetAddress(PSTORAGE_REQUEST_BLOCK Srb)
{
    if (Srb->Function != SRB_FUNCTION_STORAGE_REQUEST_BLOCK || Srb->AddressOffset == 0)
        return NULL;
    return (PSTOR_ADDRESS)((PUCHAR)Srb + Srb->AddressOffset);
}

MDLKIT_FORCEINLINE PCDB SrbGetCdb(PVOID Srb)
{
    if (!MDLKIT_SRB_IS_EX(Srb))
        return (PCDB)((PSCSI_REQUEST_BLOCK)Srb)->Cdb;
    PSRBEX_DATA d = mdlkit_srb_scsi_block((PSTORAGE_REQUEST_BLOCK)Srb);
    if (!d)
        return NULL;
    switch (d->Type) {
    case SrbExDataTypeScsiCdb16:
        return (PCDB)((PSRBEX_DATA_SCSI_CDB16)d)->Cdb;
    case SrbExDataTypeScsiCdb32:
        return (PCDB)((PSRBEX_DATA_SCSI_CDB32)d)->Cdb;
    default:
        return (PCDB)((PSRBEX_DATA_SCSI_CDB_VAR)d)->Cdb;
    }
}

MDLKIT_FORCEINLINE ULONG SrbGetSrbFunction(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbFunction : ((PSCSI_REQUEST_BLOCK)Srb)->Function;
}

MDLKIT_FORCEINLINE ULONG SrbGetSrbLength(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbLength : ((PSCSI_REQUEST_BLOCK)Srb)->Length;
}

MDLKIT_FORCEINLINE void SrbSetSrbLength(PVOID Srb, ULONG Length)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbLength = Length;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->Length = (USHORT)Length;
}

MDLKIT_FORCEINLINE ULONG SrbGetSrbFlags(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbFlags : ((PSCSI_REQUEST_BLOCK)Srb)->SrbFlags;
}

MDLKIT_FORCEINLINE void SrbSetSrbFlags(PVOID Srb, ULONG Flags)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbFlags |= Flags;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->SrbFlags |= Flags;
}

MDLKIT_FORCEINLINE void SrbClearSrbFlags(PVOID Srb, ULONG Flags)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbFlags &= ~Flags;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->SrbFlags &= ~Flags;
}

MDLKIT_FORCEINLINE void SrbAssignSrbFlags(PVOID Srb, ULONG Flags)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->SrbFlags = Flags;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->SrbFlags = Flags;
}

/* Get/Set for a member both SRB kinds have under the same name. */
#define MDLKIT_SRB_FIELD_ACCESSORS(Type, Field)                                                           \
    MDLKIT_FORCEINLINE Type SrbGet##Field(PVOID Srb)                                                      \
    {                                                                                                     \
        return MDLKIT_SRB_IS_EX(Srb) ? (Type)((PSTORAGE_REQUEST_BLOCK)Srb)->Field                        \
                                     : (Type)((PSCSI_REQUEST_BLOCK)Srb)->Field;                          \
    }                                                                                                     \
    MDLKIT_FORCEINLINE void SrbSet##Field(PVOID Srb, Type Value)                                          \
    {                                                                                                     \
        if (MDLKIT_SRB_IS_EX(Srb))                                                                        \
            ((PSTORAGE_REQUEST_BLOCK)Srb)->Field = Value;                                                 \
        else                                                                                              \
            ((PSCSI_REQUEST_BLOCK)Srb)->Field = Value;                                                    \
    }
MDLKIT_SRB_FIELD_ACCESSORS(PVOID, DataBuffer)
MDLKIT_SRB_FIELD_ACCESSORS(ULONG, DataTransferLength)
MDLKIT_SRB_FIELD_ACCESSORS(ULONG, TimeOutValue)
MDLKIT_SRB_FIELD_ACCESSORS(PVOID, OriginalRequest)

MDLKIT_FORCEINLINE PVOID SrbGetMiniportContext(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->MiniportContext
                                 : ((PSCSI_REQUEST_BLOCK)Srb)->SrbExtension;
}

MDLKIT_FORCEINLINE PVOID SrbGetNextSrb(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? (PVOID)((PSTORAGE_REQUEST_BLOCK)Srb)->NextSrb
                                 : (PVOID)((PSCSI_REQUEST_BLOCK)Srb)->NextSrb;
}

MDLKIT_FORCEINLINE void SrbSetNextSrb(PVOID Srb, PVOID NextSrb)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->NextSrb = (PSTORAGE_REQUEST_BLOCK)NextSrb;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->NextSrb = (PSCSI_REQUEST_BLOCK)NextSrb;
}

MDLKIT_FORCEINLINE UCHAR SrbGetSrbStatus(PVOID Srb)
{
    return ((PSTORAGE_REQUEST_BLOCK_HEADER)Srb)->SrbStatus;
}

MDLKIT_FORCEINLINE void SrbSetSrbStatus(PVOID Srb, UCHAR Status)
{
    PSTORAGE_REQUEST_BLOCK_HEADER h = (PSTORAGE_REQUEST_BLOCK_HEADER)Srb;
    /* AUTOSENSE_VALID is kept unless the caller sets it, as documented. */
    if (h->SrbStatus & SRB_STATUS_AUTOSENSE_VALID)
        h->SrbStatus = (UCHAR)(Status | SRB_STATUS_AUTOSENSE_VALID);
    else
        h->SrbStatus = Status;
}

MDLKIT_FORCEINLINE void mdlkit_srb_btl(PVOID Srb, UCHAR *path, UCHAR *target, UCHAR *lun)
{
    if (!MDLKIT_SRB_IS_EX(Srb)) {
        PSCSI_REQUEST_BLOCK s = (PSCSI_REQUEST_BLOCK)Srb;
        *path = s->PathId;
        *target = s->TargetId;
        *lun = s->Lun;
        return;
    }
    PSTOR_ADDRESS a = SrbGetAddress((PSTORAGE_REQUEST_BLOCK)Srb);
    if (a && a->Type == STOR_ADDRESS_TYPE_BTL8) {
        PSTOR_ADDR_BTL8 b = (PSTOR_ADDR_BTL8)a;
        *path = b->Path;
        *target = b->Target;
        *lun = b->Lun;
    } else {
        *path = *target = *lun = 0xFF;
    }
}

MDLKIT_FORCEINLINE UCHAR SrbGetPathId(PVOID Srb)
{
    UCHAR p, t, l;
    mdlkit_srb_btl(Srb, &p, &t, &l);
    return p;
}

MDLKIT_FORCEINLINE UCHAR SrbGetTargetId(PVOID Srb)
{
    UCHAR p, t, l;
    mdlkit_srb_btl(Srb, &p, &t, &l);
    return t;
}

MDLKIT_FORCEINLINE UCHAR SrbGetLun(PVOID Srb)
{
    UCHAR p, t, l;
    mdlkit_srb_btl(Srb, &p, &t, &l);
    return l;
}

MDLKIT_FORCEINLINE void SrbGetPathTargetLun(PVOID Srb, PUCHAR PathId, PUCHAR TargetId, PUCHAR Lun)
{
    UCHAR p, t, l;
    mdlkit_srb_btl(Srb, &p, &t, &l);
    if (PathId)
        *PathId = p;
    if (TargetId)
        *TargetId = t;
    if (Lun)
        *Lun = l;
}

MDLKIT_FORCEINLINE void SrbGetScsiData(PVOID Srb, PUCHAR CdbLength8, PULONG CdbLength32, PUCHAR ScsiStatus,
                                       PVOID *SenseInfoBuffer, PUCHAR SenseInfoBufferLength)
{
    if (!MDLKIT_SRB_IS_EX(Srb)) {
        PSCSI_REQUEST_BLOCK s = (PSCSI_REQUEST_BLOCK)Srb;
        if (CdbLength8)
            *CdbLength8 = s->CdbLength;
        if (CdbLength32)
            *CdbLength32 = s->CdbLength;
        if (ScsiStatus)
            *ScsiStatus = s->ScsiStatus;
        if (SenseInfoBuffer)
            *SenseInfoBuffer = s->SenseInfoBuffer;
        if (SenseInfoBufferLength)
            *SenseInfoBufferLength = s->SenseInfoBufferLength;
        return;
    }
    PSRBEX_DATA d = mdlkit_srb_scsi_block((PSTORAGE_REQUEST_BLOCK)Srb);
    UCHAR len8 = 0, status = SCSISTAT_GOOD, slen = 0;
    ULONG len32 = 0;
    PVOID sense = NULL;
    if (d && d->Type == SrbExDataTypeScsiCdb16) {
        PSRBEX_DATA_SCSI_CDB16 c = (PSRBEX_DATA_SCSI_CDB16)d;
        len8 = c->CdbLength, status = c->ScsiStatus, sense = c->SenseInfoBuffer, slen = c->SenseInfoBufferLength;
    } else if (d && d->Type == SrbExDataTypeScsiCdb32) {
        PSRBEX_DATA_SCSI_CDB32 c = (PSRBEX_DATA_SCSI_CDB32)d;
        len8 = c->CdbLength, status = c->ScsiStatus, sense = c->SenseInfoBuffer, slen = c->SenseInfoBufferLength;
    } else if (d) {
        PSRBEX_DATA_SCSI_CDB_VAR c = (PSRBEX_DATA_SCSI_CDB_VAR)d;
        len32 = c->CdbLength, status = c->ScsiStatus, sense = c->SenseInfoBuffer, slen = c->SenseInfoBufferLength;
    }
    if (CdbLength8)
        *CdbLength8 = len8;
    if (CdbLength32)
        *CdbLength32 = len32;
    if (ScsiStatus)
        *ScsiStatus = status;
    if (SenseInfoBuffer)
        *SenseInfoBuffer = sense;
    if (SenseInfoBufferLength)
        *SenseInfoBufferLength = slen;
}

MDLKIT_FORCEINLINE void SrbSetScsiData(PVOID Srb, PUCHAR CdbLength8, PULONG CdbLength32, PUCHAR ScsiStatus,
                                       PVOID *SenseInfoBuffer, PUCHAR SenseInfoBufferLength)
{
    if (!MDLKIT_SRB_IS_EX(Srb)) {
        PSCSI_REQUEST_BLOCK s = (PSCSI_REQUEST_BLOCK)Srb;
        if (CdbLength8)
            s->CdbLength = *CdbLength8;
        if (ScsiStatus)
            s->ScsiStatus = *ScsiStatus;
        if (SenseInfoBuffer)
            s->SenseInfoBuffer = *SenseInfoBuffer;
        if (SenseInfoBufferLength)
            s->SenseInfoBufferLength = *SenseInfoBufferLength;
        return;
    }
    PSRBEX_DATA d = mdlkit_srb_scsi_block((PSTORAGE_REQUEST_BLOCK)Srb);
    if (d && d->Type == SrbExDataTypeScsiCdb16) {
        PSRBEX_DATA_SCSI_CDB16 c = (PSRBEX_DATA_SCSI_CDB16)d;
        if (CdbLength8)
            c->CdbLength = *CdbLength8;
        if (ScsiStatus)
            c->ScsiStatus = *ScsiStatus;
        if (SenseInfoBuffer)
            c->SenseInfoBuffer = *SenseInfoBuffer;
        if (SenseInfoBufferLength)
            c->SenseInfoBufferLength = *SenseInfoBufferLength;
    } else if (d && d->Type == SrbExDataTypeScsiCdb32) {
        PSRBEX_DATA_SCSI_CDB32 c = (PSRBEX_DATA_SCSI_CDB32)d;
        if (CdbLength8)
            c->CdbLength = *CdbLength8;
        if (ScsiStatus)
            c->ScsiStatus = *ScsiStatus;
        if (SenseInfoBuffer)
            c->SenseInfoBuffer = *SenseInfoBuffer;
        if (SenseInfoBufferLength)
            c->SenseInfoBufferLength = *SenseInfoBufferLength;
    } else if (d) {
        PSRBEX_DATA_SCSI_CDB_VAR c = (PSRBEX_DATA_SCSI_CDB_VAR)d;
        if (CdbLength32)
            c->CdbLength = *CdbLength32;
        if (ScsiStatus)
            c->ScsiStatus = *ScsiStatus;
        if (SenseInfoBuffer)
            c->SenseInfoBuffer = *SenseInfoBuffer;
        if (SenseInfoBufferLength)
            c->SenseInfoBufferLength = *SenseInfoBufferLength;
    }
}

MDLKIT_FORCEINLINE UCHAR SrbGetScsiStatus(PVOID Srb)
{
    UCHAR st = 0;
    SrbGetScsiData(Srb, NULL, NULL, &st, NULL, NULL);
    return st;
}

MDLKIT_FORCEINLINE void SrbSetScsiStatus(PVOID Srb, UCHAR ScsiStatus)
{
    SrbSetScsiData(Srb, NULL, NULL, &ScsiStatus, NULL, NULL);
}

MDLKIT_FORCEINLINE UCHAR SrbGetCdbLength(PVOID Srb)
{
    UCHAR len = 0;
    SrbGetScsiData(Srb, &len, NULL, NULL, NULL, NULL);
    return len;
}

MDLKIT_FORCEINLINE void SrbSetCdbLength(PVOID Srb, UCHAR CdbLength)
{
    SrbSetScsiData(Srb, &CdbLength, NULL, NULL, NULL, NULL);
}

MDLKIT_FORCEINLINE PVOID SrbGetSenseInfoBuffer(PVOID Srb)
{
    PVOID p = NULL;
    SrbGetScsiData(Srb, NULL, NULL, NULL, &p, NULL);
    return p;
}

MDLKIT_FORCEINLINE void SrbSetSenseInfoBuffer(PVOID Srb, PVOID SenseInfoBuffer)
{
    SrbSetScsiData(Srb, NULL, NULL, NULL, &SenseInfoBuffer, NULL);
}

MDLKIT_FORCEINLINE UCHAR SrbGetSenseInfoBufferLength(PVOID Srb)
{
    UCHAR len = 0;
    SrbGetScsiData(Srb, NULL, NULL, NULL, NULL, &len);
    return len;
}

MDLKIT_FORCEINLINE void SrbSetSenseInfoBufferLength(PVOID Srb, UCHAR SenseInfoBufferLength)
{
    SrbSetScsiData(Srb, NULL, NULL, NULL, NULL, &SenseInfoBufferLength);
}

MDLKIT_FORCEINLINE ULONG SrbGetQueueTag(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->RequestTag : ((PSCSI_REQUEST_BLOCK)Srb)->QueueTag;
}

MDLKIT_FORCEINLINE PVOID SrbGetPortContext(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->PortContext : NULL;
}

MDLKIT_FORCEINLINE ULONG SrbGetSystemStatus(PVOID Srb)
{
    return MDLKIT_SRB_IS_EX(Srb) ? ((PSTORAGE_REQUEST_BLOCK)Srb)->SystemStatus
                                 : ((PSCSI_REQUEST_BLOCK)Srb)->InternalStatus;
}

MDLKIT_FORCEINLINE void SrbSetSystemStatus(PVOID Srb, ULONG Status)
{
    if (MDLKIT_SRB_IS_EX(Srb))
        ((PSTORAGE_REQUEST_BLOCK)Srb)->SystemStatus = Status;
    else
        ((PSCSI_REQUEST_BLOCK)Srb)->InternalStatus = Status;
}

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_SRBHELPER_H */
