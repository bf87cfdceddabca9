/*
 * ramdisk.c -- "ramdisk", an example StorPort miniport that serves a RAM
 * disk. Written exactly as a Windows miniport is written: <storport.h> only,
 * DriverEntry -> StorPortInitialize, HwFindAdapter, HwInitialize, HwStartIo,
 * HwResetBus, HwAdapterControl, HwFreeAdapterResources.
 *
 *  - The disk is RAMDISK_CHUNKS separate StorPortAllocatePool chunks.
 *  - READ(10)/WRITE(10) SRBs carry MDL-described buffers; the miniport gets
 *    the system address with StorPortGetSystemAddress and the MDL with
 *    StorPortGetOriginalMdl.
 *  - A transfer that crosses a chunk boundary is split: each piece is
 *    described by the adapter's one partial MDL (IoAllocateMdl with a NULL
 *    address at start, IoBuildPartialMdl per piece, MmPrepareMdlForReuse
 *    between pieces -- the classpnp transfer-packet pattern).
 *  - Each request has a small context from StorPortAllocatePool.
 */
#include <storport.h>

#include "ramdisk.h"

ULONG RamDiskDebugFlags = 0;

typedef struct _RAMDISK_REQUEST {
    ULONG Lba;
    ULONG Sectors;
    BOOLEAN Write;
    ULONG Pieces;
} RAMDISK_REQUEST, *PRAMDISK_REQUEST;

typedef struct _RAMDISK_EXTENSION {
    PUCHAR Chunk[RAMDISK_CHUNKS];
    PMDL PartialMdl;     /* reused for every piece of a split transfer */
    ULONG DebugFlags;
    ULONG Reads, Writes, SplitTransfers;
} RAMDISK_EXTENSION, *PRAMDISK_EXTENSION;

static HW_FIND_ADAPTER RamDiskFindAdapter;
static HW_INITIALIZE RamDiskInitialize;
static HW_STARTIO RamDiskStartIo;
static HW_RESET_BUS RamDiskResetBus;
static HW_ADAPTER_CONTROL RamDiskAdapterControl;
static HW_FREE_ADAPTER_RESOURCES RamDiskFreeAdapterResources;

static void RamDiskFreeResources(PRAMDISK_EXTENSION Ext)
{
    for (ULONG i = 0; i < RAMDISK_CHUNKS; i++)
        if (Ext->Chunk[i] != NULL) {
            StorPortFreePool(Ext, Ext->Chunk[i]);
            Ext->Chunk[i] = NULL;
        }
    if (Ext->PartialMdl != NULL) {
        IoFreeMdl(Ext->PartialMdl);
        Ext->PartialMdl = NULL;
    }
}

static ULONG RamDiskFindAdapter(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation,
                                PCHAR ArgumentString, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                PBOOLEAN Reserved3)
{
    PRAMDISK_EXTENSION ext = (PRAMDISK_EXTENSION)DeviceExtension;
    UNREFERENCED_PARAMETER(HwContext);
    UNREFERENCED_PARAMETER(BusInformation);
    UNREFERENCED_PARAMETER(ArgumentString);
    UNREFERENCED_PARAMETER(Reserved3);

    ext->DebugFlags = RamDiskDebugFlags;
    ConfigInfo->MaximumTransferLength = RAMDISK_MAX_TRANSFER;
    ConfigInfo->NumberOfPhysicalBreaks = RAMDISK_MAX_TRANSFER / PAGE_SIZE + 1;
    ConfigInfo->AlignmentMask = 0;
    ConfigInfo->ScatterGather = TRUE;
    ConfigInfo->Master = TRUE;
    ConfigInfo->CachesData = FALSE;
    ConfigInfo->MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
    ConfigInfo->MaximumNumberOfTargets = 1;
    ConfigInfo->MaximumNumberOfLogicalUnits = 1;
    ConfigInfo->NumberOfBuses = 1;
    ConfigInfo->SynchronizationModel = StorSynchronizeFullDuplex;
    ConfigInfo->VirtualDevice = TRUE;

    for (ULONG i = 0; i < RAMDISK_CHUNKS; i++) {
        PVOID p = NULL;
        if (StorPortAllocatePool(ext, RAMDISK_CHUNK_SIZE, RAMDISK_TAG_DISK, &p) != STOR_STATUS_SUCCESS || p == NULL) {
            RamDiskFreeResources(ext);
            return SP_RETURN_ERROR;
        }
        RtlZeroMemory(p, RAMDISK_CHUNK_SIZE);
        ext->Chunk[i] = (PUCHAR)p;
    }
    /* One partial MDL big enough for any piece at any page offset. */
    ext->PartialMdl = IoAllocateMdl(NULL, RAMDISK_MAX_TRANSFER + PAGE_SIZE, FALSE, FALSE, NULL);
    if (ext->PartialMdl == NULL) {
        RamDiskFreeResources(ext);
        return SP_RETURN_ERROR;
    }
    return SP_RETURN_FOUND;
}

static BOOLEAN RamDiskInitialize(PVOID DeviceExtension)
{
    UNREFERENCED_PARAMETER(DeviceExtension);
    return TRUE;
}

static void RamDiskComplete(PRAMDISK_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb, UCHAR Status)
{
    Srb->SrbStatus = Status;
    StorPortNotification(RequestComplete, Ext, Srb);
}

/* Copies one piece between the disk and the SRB's buffer through the
 * partial MDL. */
static BOOLEAN RamDiskCopyPiece(PRAMDISK_EXTENSION Ext, PMDL OriginalMdl, PUCHAR DataVa, ULONG Done,
                                ULONG64 DiskOffset, ULONG Length, BOOLEAN Write)
{
    IoBuildPartialMdl(OriginalMdl, Ext->PartialMdl, DataVa + Done, Length);
    PUCHAR buffer = (PUCHAR)MmGetSystemAddressForMdlSafe(Ext->PartialMdl, NormalPagePriority | MdlMappingNoExecute);
    if (buffer == NULL) {
        MmPrepareMdlForReuse(Ext->PartialMdl);
        return FALSE;
    }
    PUCHAR disk = Ext->Chunk[DiskOffset / RAMDISK_CHUNK_SIZE] + DiskOffset % RAMDISK_CHUNK_SIZE;
    if (Write)
        RtlCopyMemory(disk, buffer, Length);
    else
        RtlCopyMemory(buffer, disk, Length);
    MmPrepareMdlForReuse(Ext->PartialMdl);
    return TRUE;
}

static void RamDiskReadWrite(PRAMDISK_EXTENSION Ext, PSCSI_REQUEST_BLOCK Srb, BOOLEAN Write)
{
    PRAMDISK_REQUEST req = NULL;
    if (StorPortAllocatePool(Ext, sizeof(*req), RAMDISK_TAG_REQUEST, (PVOID *)&req) != STOR_STATUS_SUCCESS ||
        req == NULL) {
        RamDiskComplete(Ext, Srb, SRB_STATUS_BUSY);
        return;
    }
    req->Write = Write;
    req->Lba = ((ULONG)Srb->Cdb[2] << 24) | ((ULONG)Srb->Cdb[3] << 16) | ((ULONG)Srb->Cdb[4] << 8) | Srb->Cdb[5];
    req->Sectors = ((ULONG)Srb->Cdb[7] << 8) | Srb->Cdb[8];
    req->Pieces = 0;

    UCHAR status = SRB_STATUS_SUCCESS;
    ULONG length = req->Sectors * RAMDISK_SECTOR_SIZE;
    if ((ULONG64)req->Lba + req->Sectors > RAMDISK_SECTORS || length != Srb->DataTransferLength) {
        if (Ext->DebugFlags & RAMDISK_DEBUG_LEAK_ON_ERROR) {
            RamDiskComplete(Ext, Srb, SRB_STATUS_ERROR);
            return; /* BUG: req is never freed on this path */
        }
        status = SRB_STATUS_ERROR;
        goto done;
    }

    PVOID dataVa = NULL;
    PVOID mdl = NULL;
    if (StorPortGetSystemAddress(Ext, Srb, &dataVa) != STOR_STATUS_SUCCESS ||
        StorPortGetOriginalMdl(Ext, Srb, &mdl) != STOR_STATUS_SUCCESS || mdl == NULL) {
        status = SRB_STATUS_ERROR;
        goto done;
    }
    /* Walk the transfer chunk by chunk; DataBuffer is the MDL's VA. */
    ULONG done = 0;
    ULONG64 offset = (ULONG64)req->Lba * RAMDISK_SECTOR_SIZE;
    while (done < length) {
        ULONG inChunk = RAMDISK_CHUNK_SIZE - (ULONG)(offset % RAMDISK_CHUNK_SIZE);
        ULONG piece = length - done < inChunk ? length - done : inChunk;
        if (!RamDiskCopyPiece(Ext, (PMDL)mdl, (PUCHAR)Srb->DataBuffer, done, offset, piece, Write)) {
            status = SRB_STATUS_ERROR;
            break;
        }
        req->Pieces++;
        done += piece;
        offset += piece;
    }
    if (status == SRB_STATUS_SUCCESS) {
        if (Write)
            Ext->Writes++;
        else
            Ext->Reads++;
        if (req->Pieces > 1)
            Ext->SplitTransfers++;
    }
done:
    StorPortFreePool(Ext, req);
    RamDiskComplete(Ext, Srb, status);
}

static BOOLEAN RamDiskStartIo(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb)
{
    PRAMDISK_EXTENSION ext = (PRAMDISK_EXTENSION)DeviceExtension;
    if (Srb->Function != SRB_FUNCTION_EXECUTE_SCSI) {
        RamDiskComplete(ext, Srb, Srb->Function == SRB_FUNCTION_FLUSH ? SRB_STATUS_SUCCESS : SRB_STATUS_INVALID_REQUEST);
        return TRUE;
    }
    if (Srb->PathId != 0 || Srb->TargetId != 0 || Srb->Lun != 0) {
        RamDiskComplete(ext, Srb, SRB_STATUS_NO_DEVICE);
        return TRUE;
    }
    switch (Srb->Cdb[0]) {
    case SCSIOP_READ:
        RamDiskReadWrite(ext, Srb, FALSE);
        break;
    case SCSIOP_WRITE:
        RamDiskReadWrite(ext, Srb, TRUE);
        break;
    case SCSIOP_TEST_UNIT_READY:
        RamDiskComplete(ext, Srb, SRB_STATUS_SUCCESS);
        break;
    default:
        RamDiskComplete(ext, Srb, SRB_STATUS_INVALID_REQUEST);
        break;
    }
    return TRUE;
}

static BOOLEAN RamDiskResetBus(PVOID DeviceExtension, ULONG PathId)
{
    UNREFERENCED_PARAMETER(DeviceExtension);
    UNREFERENCED_PARAMETER(PathId);
    return TRUE;
}

static SCSI_ADAPTER_CONTROL_STATUS RamDiskAdapterControl(PVOID DeviceExtension, SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                         PVOID Parameters)
{
    UNREFERENCED_PARAMETER(DeviceExtension);
    if (ControlType == ScsiQuerySupportedControlTypes) {
        PSCSI_SUPPORTED_CONTROL_TYPE_LIST list = (PSCSI_SUPPORTED_CONTROL_TYPE_LIST)Parameters;
        if (list->MaxControlType > ScsiStopAdapter)
            list->SupportedTypeList[ScsiStopAdapter] = TRUE;
        list->SupportedTypeList[ScsiQuerySupportedControlTypes] = TRUE;
        return ScsiAdapterControlSuccess;
    }
    if (ControlType == ScsiStopAdapter)
        return ScsiAdapterControlSuccess;
    return ScsiAdapterControlUnsuccessful;
}

static void RamDiskFreeAdapterResources(PVOID DeviceExtension)
{
    RamDiskFreeResources((PRAMDISK_EXTENSION)DeviceExtension);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    HW_INITIALIZATION_DATA init;
    RtlZeroMemory(&init, sizeof init);
    init.HwInitializationDataSize = sizeof(HW_INITIALIZATION_DATA);
    init.AdapterInterfaceType = Internal;
    init.HwFindAdapter = RamDiskFindAdapter;
    init.HwInitialize = RamDiskInitialize;
    init.HwStartIo = RamDiskStartIo;
    init.HwResetBus = RamDiskResetBus;
    init.HwAdapterControl = RamDiskAdapterControl;
    init.HwFreeAdapterResources = RamDiskFreeAdapterResources;
    init.DeviceExtensionSize = sizeof(RAMDISK_EXTENSION);
    init.SpecificLuExtensionSize = 0;
    init.SrbExtensionSize = 0;
    init.NumberOfAccessRanges = 0;
    init.MapBuffers = STOR_MAP_NON_READ_WRITE_BUFFERS;
    init.TaggedQueuing = TRUE;
    init.AutoRequestSense = TRUE;
    init.MultipleRequestPerLu = TRUE;
    return (NTSTATUS)StorPortInitialize(DriverObject, RegistryPath, &init, NULL);
}
