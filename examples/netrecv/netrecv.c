/*
 * netrecv.c -- "netrecv", an example NDIS 6 miniport for a bus-master NIC
 * that receives frames. Written exactly as a Windows miniport is written:
 * <ndis.h> only, DriverEntry -> NdisMRegisterMiniportDriver,
 * MiniportInitializeEx, MiniportInterrupt, MiniportInterruptDPC,
 * MiniportHaltEx, MiniportShutdownEx, MiniportDriverUnload.
 *
 *  - Each receive buffer comes from NdisAllocateMemoryWithTagPriority and is
 *    described by an MDL from NdisAllocateMdl; the device is given its
 *    physical pieces from the MDL's PFN array.
 *  - The descriptor ring is in NdisMAllocateSharedMemory memory (after
 *    NdisMRegisterScatterGatherDma); the device writes frames and
 *    descriptors by physical address and raises its interrupt.
 *  - The ISR claims the interrupt, masks it and queues the DPC; the DPC
 *    walks the ring, validates each frame through
 *    MmGetSystemAddressForMdlSafe of its buffer's MDL, hands good frames up,
 *    returns the descriptors to the device and unmasks the interrupt.
 *  - MiniportHaltEx stops the device and frees everything.
 */
#include <ndis.h>

#include "netrecv.h"

ULONG NetRecvDebugFlags = 0;
PNETRECV_REGISTERS NetRecvRegisters = NULL;
NETRECV_INDICATE *NetRecvIndicate = NULL;
PVOID NetRecvIndicateContext = NULL;

typedef struct _NETRECV_BUFFER {
    PUCHAR Va;
    PMDL Mdl;
} NETRECV_BUFFER, *PNETRECV_BUFFER;

typedef struct _NETRECV_ADAPTER {
    NDIS_HANDLE AdapterHandle;
    NDIS_HANDLE DmaHandle;
    NDIS_HANDLE InterruptHandle;
    PNETRECV_REGISTERS Regs;
    PNETRECV_DESCRIPTOR Ring;
    NDIS_PHYSICAL_ADDRESS RingPa;
    ULONG RingBytes;
    PNETRECV_BUFFER Buffers; /* NETRECV_RING_SIZE, tag NETRECV_TAG_RING */
    ULONG Next;              /* next descriptor to look at */
    ULONG DebugFlags;
    UCHAR Mac[6];
    ULONG Received, Dropped, Wraps, Interrupts;
} NETRECV_ADAPTER, *PNETRECV_ADAPTER;

static NDIS_HANDLE NetRecvDriverHandle;

static MINIPORT_INITIALIZE NetRecvInitialize;
static MINIPORT_HALT NetRecvHalt;
static MINIPORT_SHUTDOWN NetRecvShutdown;
static MINIPORT_UNLOAD NetRecvUnload;
static MINIPORT_ISR NetRecvIsr;
static MINIPORT_INTERRUPT_DPC NetRecvDpc;
static MINIPORT_DISABLE_INTERRUPT NetRecvDisableInterrupt;
static MINIPORT_ENABLE_INTERRUPT NetRecvEnableInterrupt;
static MINIPORT_PROCESS_SG_LIST NetRecvProcessSgList;

/* Gives descriptor i (with its buffer) to the device. */
static void NetRecvArmDescriptor(PNETRECV_ADAPTER Ad, ULONG i)
{
    PNETRECV_DESCRIPTOR d = &Ad->Ring[i];
    PMDL mdl = Ad->Buffers[i].Mdl;
    PPFN_NUMBER pfn = MmGetMdlPfnArray(mdl);
    ULONG offset = MmGetMdlByteOffset(mdl);
    ULONG first = PAGE_SIZE - offset;
    if (first > NETRECV_BUFFER_SIZE)
        first = NETRECV_BUFFER_SIZE;
    d->Fragment[0] = ((ULONG64)pfn[0] << PAGE_SHIFT) + offset;
    d->FragmentLength[0] = (USHORT)first;
    d->Fragment[1] = first < NETRECV_BUFFER_SIZE ? (ULONG64)pfn[1] << PAGE_SHIFT : 0;
    d->FragmentLength[1] = (USHORT)(NETRECV_BUFFER_SIZE - first);
    d->FrameLength = 0;
    d->Sequence = 0;
    d->Checksum = 0;
    d->Status = 0; /* owned by the device */
}

static void NetRecvFreeBuffers(PNETRECV_ADAPTER Ad)
{
    if (Ad->Buffers == NULL)
        return;
    for (ULONG i = 0; i < NETRECV_RING_SIZE; i++) {
        if (Ad->Buffers[i].Mdl != NULL)
            NdisFreeMdl(Ad->Buffers[i].Mdl);
        if (Ad->Buffers[i].Va != NULL)
            NdisFreeMemoryWithTagPriority(Ad->AdapterHandle, Ad->Buffers[i].Va,
                                          (Ad->DebugFlags & NETRECV_DEBUG_WRONG_TAG) ? NETRECV_TAG_RING
                                                                                     : NETRECV_TAG_BUFFER);
    }
    NdisFreeMemoryWithTagPriority(Ad->AdapterHandle, Ad->Buffers, NETRECV_TAG_RING);
    Ad->Buffers = NULL;
}

static void NetRecvFreeAdapter(PNETRECV_ADAPTER Ad)
{
    if (Ad->Regs != NULL) {
        Ad->Regs->InterruptMask = 0;
        Ad->Regs->Enable = 0;
        Ad->Regs->RingBase = 0;
    }
    if (Ad->InterruptHandle != NULL)
        NdisMDeregisterInterruptEx(Ad->InterruptHandle);
    NetRecvFreeBuffers(Ad);
    if (Ad->Ring != NULL)
        NdisMFreeSharedMemory(Ad->AdapterHandle, Ad->RingBytes, TRUE, Ad->Ring, Ad->RingPa);
    if (Ad->DmaHandle != NULL)
        NdisMDeregisterScatterGatherDma(Ad->DmaHandle);
    NdisFreeMemoryWithTagPriority(Ad->AdapterHandle, Ad, NETRECV_TAG_ADAPTER);
}

static NDIS_STATUS NetRecvInitialize(NDIS_HANDLE MiniportAdapterHandle, NDIS_HANDLE MiniportDriverContext,
                                     PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters)
{
    UNREFERENCED_PARAMETER(MiniportDriverContext);
    UNREFERENCED_PARAMETER(MiniportInitParameters);
    static const UCHAR mac[6] = NETRECV_MAC_INIT;

    if (NetRecvRegisters == NULL)
        return NDIS_STATUS_ADAPTER_NOT_READY; /* no device */
    PNETRECV_ADAPTER ad = (PNETRECV_ADAPTER)NdisAllocateMemoryWithTagPriority(
        MiniportAdapterHandle, sizeof(NETRECV_ADAPTER), NETRECV_TAG_ADAPTER, NormalPoolPriority);
    if (ad == NULL)
        return NDIS_STATUS_RESOURCES;
    NdisZeroMemory(ad, sizeof *ad);
    ad->AdapterHandle = MiniportAdapterHandle;
    ad->Regs = NetRecvRegisters;
    ad->DebugFlags = NetRecvDebugFlags;
    NdisMoveMemory(ad->Mac, mac, sizeof ad->Mac);

    NDIS_MINIPORT_ADAPTER_ATTRIBUTES attrs;
    NdisZeroMemory(&attrs, sizeof attrs);
    attrs.RegistrationAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES;
    attrs.RegistrationAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    attrs.RegistrationAttributes.Header.Size = NDIS_SIZEOF_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES_REVISION_1;
    attrs.RegistrationAttributes.MiniportAdapterContext = ad;
    attrs.RegistrationAttributes.AttributeFlags =
        NDIS_MINIPORT_ATTRIBUTES_HARDWARE_DEVICE | NDIS_MINIPORT_ATTRIBUTES_BUS_MASTER;
    attrs.RegistrationAttributes.CheckForHangTimeInSeconds = 2;
    attrs.RegistrationAttributes.InterfaceType = NdisInterfacePci;
    NDIS_STATUS status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attrs);
    if (status != NDIS_STATUS_SUCCESS)
        goto fail;

    NdisZeroMemory(&attrs, sizeof attrs);
    attrs.GeneralAttributes.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES;
    attrs.GeneralAttributes.Header.Revision = NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES_REVISION_1;
    attrs.GeneralAttributes.Header.Size = sizeof attrs.GeneralAttributes;
    attrs.GeneralAttributes.MediaType = NdisMedium802_3;
    attrs.GeneralAttributes.MtuSize = 1500;
    attrs.GeneralAttributes.MaxRcvLinkSpeed = attrs.GeneralAttributes.RcvLinkSpeed = 1000000000ULL;
    attrs.GeneralAttributes.MediaConnectState = MediaConnectStateConnected;
    attrs.GeneralAttributes.MediaDuplexState = MediaDuplexStateFull;
    attrs.GeneralAttributes.LookaheadSize = NETRECV_MAX_FRAME;
    attrs.GeneralAttributes.MacAddressLength = 6;
    NdisMoveMemory(attrs.GeneralAttributes.PermanentMacAddress, mac, 6);
    NdisMoveMemory(attrs.GeneralAttributes.CurrentMacAddress, mac, 6);
    status = NdisMSetMiniportAttributes(MiniportAdapterHandle, &attrs);
    if (status != NDIS_STATUS_SUCCESS)
        goto fail;

    /* Bus-master DMA, then the descriptor ring in shared memory. */
    NDIS_SG_DMA_DESCRIPTION dma;
    NdisZeroMemory(&dma, sizeof dma);
    dma.Header.Type = NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION;
    dma.Header.Revision = NDIS_SG_DMA_DESCRIPTION_REVISION_1;
    dma.Header.Size = NDIS_SIZEOF_SG_DMA_DESCRIPTION_REVISION_1;
    dma.Flags = NDIS_SG_DMA_64_BIT_ADDRESS;
    dma.MaximumPhysicalMapping = NETRECV_BUFFER_SIZE;
    dma.ProcessSGListHandler = NetRecvProcessSgList;
    status = NdisMRegisterScatterGatherDma(MiniportAdapterHandle, &dma, &ad->DmaHandle);
    if (status != NDIS_STATUS_SUCCESS)
        goto fail;
    ad->RingBytes = NETRECV_RING_SIZE * sizeof(NETRECV_DESCRIPTOR);
    NdisMAllocateSharedMemory(MiniportAdapterHandle, ad->RingBytes, TRUE, (PVOID *)&ad->Ring, &ad->RingPa);
    if (ad->Ring == NULL) {
        status = NDIS_STATUS_RESOURCES;
        goto fail;
    }
    NdisZeroMemory(ad->Ring, ad->RingBytes);

    /* The receive buffers, each described by an MDL. */
    ad->Buffers = (PNETRECV_BUFFER)NdisAllocateMemoryWithTagPriority(
        MiniportAdapterHandle, NETRECV_RING_SIZE * sizeof(NETRECV_BUFFER), NETRECV_TAG_RING, NormalPoolPriority);
    if (ad->Buffers == NULL) {
        status = NDIS_STATUS_RESOURCES;
        goto fail;
    }
    NdisZeroMemory(ad->Buffers, NETRECV_RING_SIZE * sizeof(NETRECV_BUFFER));
    for (ULONG i = 0; i < NETRECV_RING_SIZE; i++) {
        ad->Buffers[i].Va = (PUCHAR)NdisAllocateMemoryWithTagPriority(MiniportAdapterHandle, NETRECV_BUFFER_SIZE,
                                                                      NETRECV_TAG_BUFFER, NormalPoolPriority);
        if (ad->Buffers[i].Va == NULL) {
            status = NDIS_STATUS_RESOURCES;
            goto fail;
        }
        ad->Buffers[i].Mdl = NdisAllocateMdl(MiniportAdapterHandle, ad->Buffers[i].Va, NETRECV_BUFFER_SIZE);
        if (ad->Buffers[i].Mdl == NULL) {
            status = NDIS_STATUS_RESOURCES;
            goto fail;
        }
        NetRecvArmDescriptor(ad, i);
    }

    /* The interrupt, then start the receiver. */
    NDIS_MINIPORT_INTERRUPT_CHARACTERISTICS intr;
    NdisZeroMemory(&intr, sizeof intr);
    intr.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT;
    intr.Header.Revision = NDIS_MINIPORT_INTERRUPT_REVISION_1;
    intr.Header.Size = NDIS_SIZEOF_MINIPORT_INTERRUPT_CHARACTERISTICS_REVISION_1;
    intr.InterruptHandler = NetRecvIsr;
    intr.InterruptDpcHandler = NetRecvDpc;
    intr.DisableInterruptHandler = NetRecvDisableInterrupt;
    intr.EnableInterruptHandler = NetRecvEnableInterrupt;
    status = NdisMRegisterInterruptEx(MiniportAdapterHandle, ad, &intr, &ad->InterruptHandle);
    if (status != NDIS_STATUS_SUCCESS) {
        ad->InterruptHandle = NULL;
        goto fail;
    }
    ad->Regs->RingBase = (ULONG64)ad->RingPa.QuadPart;
    ad->Regs->RingSize = NETRECV_RING_SIZE;
    ad->Regs->Head = 0;
    ad->Regs->Tail = 0;
    NdisMoveMemory((PVOID)ad->Regs->StationAddress, mac, 6);
    ad->Regs->InterruptCause = 0;
    ad->Regs->InterruptMask = NETRECV_INT_RX;
    ad->Regs->Enable = 1;
    return NDIS_STATUS_SUCCESS;

fail:
    NetRecvFreeAdapter(ad);
    return status;
}

/* ---- interrupt ---- */
static BOOLEAN NetRecvIsr(NDIS_HANDLE MiniportInterruptContext, PBOOLEAN QueueDefaultInterruptDpc,
                          PULONG TargetProcessors)
{
    PNETRECV_ADAPTER ad = (PNETRECV_ADAPTER)MiniportInterruptContext;
    ULONG cause = ad->Regs->InterruptCause & ad->Regs->InterruptMask;
    *TargetProcessors = 0;
    if (cause == 0) {
        *QueueDefaultInterruptDpc = FALSE;
        return FALSE; /* not ours: the line is shared */
    }
    ad->Regs->InterruptCause &= ~cause; /* acknowledge */
    ad->Regs->InterruptMask = 0;        /* quiet until the DPC has run */
    ad->Interrupts++;
    *QueueDefaultInterruptDpc = TRUE;
    return TRUE;
}

/* Checks one received frame in place; TRUE if it may go up. */
static BOOLEAN NetRecvFrameIsGood(PNETRECV_ADAPTER Ad, PNETRECV_DESCRIPTOR D, const UCHAR *Frame)
{
    static const UCHAR broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
    if (D->FrameLength < NETRECV_MIN_FRAME || D->FrameLength > NETRECV_MAX_FRAME)
        return FALSE;
    if (NetRecvChecksum(Frame, D->FrameLength) != D->Checksum)
        return FALSE;
    return NdisEqualMemory(Frame, Ad->Mac, 6) || NdisEqualMemory(Frame, broadcast, 6);
}

static void NetRecvDpc(NDIS_HANDLE MiniportInterruptContext, PVOID MiniportDpcContext,
                       PVOID ReceiveThrottleParameters, PVOID NdisReserved2)
{
    PNETRECV_ADAPTER ad = (PNETRECV_ADAPTER)MiniportInterruptContext;
    PNDIS_RECEIVE_THROTTLE_PARAMETERS throttle = (PNDIS_RECEIVE_THROTTLE_PARAMETERS)ReceiveThrottleParameters;
    UNREFERENCED_PARAMETER(MiniportDpcContext);
    UNREFERENCED_PARAMETER(NdisReserved2);
    ULONG budget = throttle != NULL ? throttle->MaxNblsToIndicate : NDIS_INDICATE_ALL_NBLS;
    ULONG done = 0;

    while (ad->Ring[ad->Next].Status & NETRECV_DESC_DONE) {
        if (done == budget) {
            throttle->MoreNblsPending = 1; /* NDIS runs the DPC again */
            return;
        }
        PNETRECV_DESCRIPTOR d = &ad->Ring[ad->Next];
        PUCHAR frame = (PUCHAR)MmGetSystemAddressForMdlSafe(ad->Buffers[ad->Next].Mdl,
                                                            NormalPagePriority | MdlMappingNoExecute);
        if (frame != NULL && NetRecvFrameIsGood(ad, d, frame)) {
            if (NetRecvIndicate != NULL)
                NetRecvIndicate(NetRecvIndicateContext, frame, d->FrameLength);
            ad->Received++;
        } else {
            ad->Dropped++;
        }
        done++;
        NetRecvArmDescriptor(ad, ad->Next); /* back to the device */
        if (++ad->Next == NETRECV_RING_SIZE) {
            ad->Next = 0;
            ad->Wraps++;
        }
        ad->Regs->Tail = ad->Next;
    }
    ad->Regs->InterruptMask = NETRECV_INT_RX;
}

static void NetRecvDisableInterrupt(NDIS_HANDLE MiniportInterruptContext)
{
    ((PNETRECV_ADAPTER)MiniportInterruptContext)->Regs->InterruptMask = 0;
}

static void NetRecvEnableInterrupt(NDIS_HANDLE MiniportInterruptContext)
{
    ((PNETRECV_ADAPTER)MiniportInterruptContext)->Regs->InterruptMask = NETRECV_INT_RX;
}

static void NetRecvProcessSgList(PDEVICE_OBJECT pDO, PVOID Reserved, PSCATTER_GATHER_LIST pSGL, PVOID Context)
{
    /* Send path: this example only receives. */
    UNREFERENCED_PARAMETER(pDO);
    UNREFERENCED_PARAMETER(Reserved);
    UNREFERENCED_PARAMETER(pSGL);
    UNREFERENCED_PARAMETER(Context);
}

/* ---- halt, shutdown, unload ---- */
static void NetRecvHalt(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction)
{
    UNREFERENCED_PARAMETER(HaltAction);
    NetRecvFreeAdapter((PNETRECV_ADAPTER)MiniportAdapterContext);
}

static void NetRecvShutdown(NDIS_HANDLE MiniportAdapterContext, NDIS_SHUTDOWN_ACTION ShutdownAction)
{
    /* Stop the device; memory is freed in MiniportHaltEx. */
    PNETRECV_ADAPTER ad = (PNETRECV_ADAPTER)MiniportAdapterContext;
    UNREFERENCED_PARAMETER(ShutdownAction);
    ad->Regs->InterruptMask = 0;
    ad->Regs->Enable = 0;
}

static void NetRecvUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisMDeregisterMiniportDriver(NetRecvDriverHandle);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS ch;
    NdisZeroMemory(&ch, sizeof ch);
    ch.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    ch.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    ch.MajorNdisVersion = 6;
    ch.MinorNdisVersion = 20;
    ch.MajorDriverVersion = 1;
    ch.InitializeHandlerEx = NetRecvInitialize;
    ch.HaltHandlerEx = NetRecvHalt;
    ch.ShutdownHandlerEx = NetRecvShutdown;
    ch.UnloadHandler = NetRecvUnload;
    NDIS_STATUS status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &ch, &NetRecvDriverHandle);
    if (status != NDIS_STATUS_SUCCESS)
        return (NTSTATUS)status;
    DriverObject->DriverUnload = NetRecvUnload;
    return STATUS_SUCCESS;
}
