/*
 * storport.h -- mdlkit's own StorPort header: what a StorPort miniport needs
 * to compile and run under mdlkit. Names, values and field names are the
 * documented ones (docs/ddi-notes.md, "StorPort and NDIS"); the text is
 * mdlkit's. The real header is included without wdm.h, so this one pulls in
 * the kernel types itself; it may also be combined with <wdm.h>, <ntddk.h>,
 * <ndis.h> and <mdlkit.h> in one translation unit.
 *
 * Every routine declared here is implemented by libmdlkit (src/port/).
 */
#ifndef MDLKIT_STORPORT_H
#define MDLKIT_STORPORT_H

#include <wdm.h>
#include <srb.h>
#include <scsi.h>
#include <ntddstor.h>
#include "mkstor/pci.h"

MDLKIT_EXTERN_C_BEGIN

#define STORPORT_API DECLSPEC_IMPORT

typedef PHYSICAL_ADDRESS STOR_PHYSICAL_ADDRESS, *PSTOR_PHYSICAL_ADDRESS;


/* ------------------------------------------------------------------------
 * STOR_STATUS codes
 * ---------------------------------------------------------------------- */
#define STOR_STATUS_SUCCESS (0x00000000UL)
#define STOR_STATUS_UNSUCCESSFUL (0xC1000001UL)
#define STOR_STATUS_NOT_IMPLEMENTED (0xC1000002UL)
#define STOR_STATUS_INSUFFICIENT_RESOURCES (0xC1000003UL)
#define STOR_STATUS_BUFFER_TOO_SMALL (0xC1000004UL)
#define STOR_STATUS_ACCESS_DENIED (0xC1000005UL)
#define STOR_STATUS_INVALID_PARAMETER (0xC1000006UL)
#define STOR_STATUS_INVALID_DEVICE_REQUEST (0xC1000007UL)
#define STOR_STATUS_INVALID_IRQL (0xC1000008UL)
#define STOR_STATUS_INVALID_DEVICE_STATE (0xC1000009UL)
#define STOR_STATUS_INVALID_BUFFER_SIZE (0xC100000AUL)
#define STOR_STATUS_UNSUPPORTED_VERSION (0xC100000BUL)
#define STOR_STATUS_BUSY (0xC100000CUL)

/* ------------------------------------------------------------------------
 * Adapter configuration
 * ---------------------------------------------------------------------- */
#define SP_RETURN_NOT_FOUND 0
#define SP_RETURN_FOUND 1
#define SP_RETURN_ERROR 2
#define SP_RETURN_BAD_CONFIG 3

#define SCSI_DMA64_MINIPORT_SUPPORTED 0x01
#define SCSI_DMA64_MINIPORT_FULL64BIT_SUPPORTED 0x02
/* set by the port in Dma64BitAddresses when the system has 64-bit DMA */
#define SCSI_DMA64_SYSTEM_SUPPORTED 0x80

#define STOR_MAP_NO_BUFFERS 0
#define STOR_MAP_ALL_BUFFERS 1
#define STOR_MAP_NON_READ_WRITE_BUFFERS 2
#define STOR_MAP_ALL_BUFFERS_INCLUDING_READ_WRITE 3

typedef enum _STOR_SYNCHRONIZATION_MODEL {
    StorSynchronizeHalfDuplex = 0,
    StorSynchronizeFullDuplex = 1
} STOR_SYNCHRONIZATION_MODEL;

typedef struct _ACCESS_RANGE {
    STOR_PHYSICAL_ADDRESS RangeStart;
    ULONG RangeLength;
    BOOLEAN RangeInMemory;
} ACCESS_RANGE, *PACCESS_RANGE;

typedef BOOLEAN HW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE(PVOID HwDeviceExtension, ULONG MessageId);
typedef HW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE *PHW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE;

typedef enum _INTERRUPT_SYNCHRONIZATION_MODE {
    InterruptSupportNone = 0,
    InterruptSynchronizeAll = 1,
    InterruptSynchronizePerMessage = 2
} INTERRUPT_SYNCHRONIZATION_MODE;

#define SCSI_MINIMUM_PHYSICAL_BREAKS 16
#define SCSI_MAXIMUM_PHYSICAL_BREAKS 255
#define SCSI_MAXIMUM_BUSES 8
#define SCSI_MAXIMUM_TARGETS 8
#define SCSI_MAXIMUM_LOGICAL_UNITS 8
#define SCSI_MAXIMUM_TARGETS_PER_BUS 128
#define SCSI_MAXIMUM_LUNS_PER_TARGET 255

typedef struct _PORT_CONFIGURATION_INFORMATION {
    ULONG Length;
    ULONG SystemIoBusNumber;
    INTERFACE_TYPE AdapterInterfaceType;
    ULONG BusInterruptLevel;
    ULONG BusInterruptVector;
    KINTERRUPT_MODE InterruptMode;
    ULONG MaximumTransferLength;
    ULONG NumberOfPhysicalBreaks;
    ULONG DmaChannel;
    ULONG DmaPort;
    DMA_WIDTH DmaWidth;
    DMA_SPEED DmaSpeed;
    ULONG AlignmentMask;
    ULONG NumberOfAccessRanges;
    ACCESS_RANGE (*AccessRanges)[];
    PVOID MiniportDumpData;
    UCHAR NumberOfBuses;
    UCHAR InitiatorBusId[8];
    BOOLEAN ScatterGather;
    BOOLEAN Master;
    BOOLEAN CachesData;
    BOOLEAN AdapterScansDown;
    BOOLEAN AtdiskPrimaryClaimed;
    BOOLEAN AtdiskSecondaryClaimed;
    BOOLEAN Dma32BitAddresses;
    BOOLEAN DemandMode;
    UCHAR MapBuffers;
    BOOLEAN NeedPhysicalAddresses;
    BOOLEAN TaggedQueuing;
    BOOLEAN AutoRequestSense;
    BOOLEAN MultipleRequestPerLu;
    BOOLEAN ReceiveEvent;
    BOOLEAN RealModeInitialized;
    BOOLEAN BufferAccessScsiPortControlled;
    UCHAR MaximumNumberOfTargets;
    UCHAR SrbType;
    UCHAR ReservedUchars[1];
    ULONG SlotNumber;
    ULONG BusInterruptLevel2;
    ULONG BusInterruptVector2;
    KINTERRUPT_MODE InterruptMode2;
    ULONG DmaChannel2;
    ULONG DmaPort2;
    DMA_WIDTH DmaWidth2;
    DMA_SPEED DmaSpeed2;
    ULONG DeviceExtensionSize;
    ULONG SpecificLuExtensionSize;
    ULONG SrbExtensionSize;
    UCHAR Dma64BitAddresses;
    BOOLEAN ResetTargetSupported;
    UCHAR MaximumNumberOfLogicalUnits;
    BOOLEAN WmiDataProvider;
    STOR_SYNCHRONIZATION_MODEL SynchronizationModel;
    PHW_MESSAGE_SIGNALED_INTERRUPT_ROUTINE HwMSInterruptRoutine;
    INTERRUPT_SYNCHRONIZATION_MODE InterruptSynchronizationMode;
    ULONG RequestedDumpBufferSize;
    BOOLEAN VirtualDevice;
    UCHAR DumpMode;
    ULONG ExtendedFlags1;
    ULONG MaxNumberOfIO;
    ULONG MaxIOsPerLun;
    ULONG InitialLunQueueDepth;
    ULONG BusResetHoldTime;
    ULONG FeatureSupport;
} PORT_CONFIGURATION_INFORMATION, *PPORT_CONFIGURATION_INFORMATION;

/* ------------------------------------------------------------------------
 * Miniport callbacks
 * ---------------------------------------------------------------------- */
typedef enum _SCSI_ADAPTER_CONTROL_TYPE {
    ScsiQuerySupportedControlTypes = 0,
    ScsiStopAdapter = 1,
    ScsiRestartAdapter = 2,
    ScsiSetBootConfig = 3,
    ScsiSetRunningConfig = 4,
    ScsiAdapterControlMax = 5,
    MakeAdapterControlTypeSizeOfUlong = 0xffffffff
} SCSI_ADAPTER_CONTROL_TYPE, *PSCSI_ADAPTER_CONTROL_TYPE;

typedef enum _SCSI_ADAPTER_CONTROL_STATUS {
    ScsiAdapterControlSuccess = 0,
    ScsiAdapterControlUnsuccessful = 1
} SCSI_ADAPTER_CONTROL_STATUS, *PSCSI_ADAPTER_CONTROL_STATUS;

typedef struct _SCSI_SUPPORTED_CONTROL_TYPE_LIST {
    ULONG MaxControlType;
    BOOLEAN SupportedTypeList[];
} SCSI_SUPPORTED_CONTROL_TYPE_LIST, *PSCSI_SUPPORTED_CONTROL_TYPE_LIST;

typedef enum _SCSI_UNIT_CONTROL_TYPE {
    ScsiQuerySupportedUnitControlTypes = 0,
    ScsiUnitUsage = 1,
    ScsiUnitStart = 2,
    ScsiUnitPower = 3,
    ScsiUnitControlMax = 4
} SCSI_UNIT_CONTROL_TYPE, *PSCSI_UNIT_CONTROL_TYPE;

typedef enum _SCSI_UNIT_CONTROL_STATUS {
    ScsiUnitControlSuccess = 0,
    ScsiUnitControlUnsuccessful = 1
} SCSI_UNIT_CONTROL_STATUS, *PSCSI_UNIT_CONTROL_STATUS;

typedef BOOLEAN HW_INITIALIZE(PVOID DeviceExtension);
typedef HW_INITIALIZE *PHW_INITIALIZE;
typedef BOOLEAN HW_STARTIO(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
typedef HW_STARTIO *PHW_STARTIO;
typedef BOOLEAN HW_BUILDIO(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
typedef HW_BUILDIO *PHW_BUILDIO;
typedef BOOLEAN HW_INTERRUPT(PVOID DeviceExtension);
typedef HW_INTERRUPT *PHW_INTERRUPT;
typedef ULONG HW_FIND_ADAPTER(PVOID DeviceExtension, PVOID HwContext, PVOID BusInformation, PCHAR ArgumentString,
                              PPORT_CONFIGURATION_INFORMATION ConfigInfo, PBOOLEAN Reserved3);
typedef HW_FIND_ADAPTER *PHW_FIND_ADAPTER;
typedef BOOLEAN HW_RESET_BUS(PVOID DeviceExtension, ULONG PathId);
typedef HW_RESET_BUS *PHW_RESET_BUS;
typedef void HW_DMA_STARTED(PVOID DeviceExtension);
typedef HW_DMA_STARTED *PHW_DMA_STARTED;
typedef BOOLEAN HW_ADAPTER_STATE(PVOID DeviceExtension, PVOID Context, BOOLEAN SaveState);
typedef HW_ADAPTER_STATE *PHW_ADAPTER_STATE;
typedef SCSI_ADAPTER_CONTROL_STATUS HW_ADAPTER_CONTROL(PVOID DeviceExtension, SCSI_ADAPTER_CONTROL_TYPE ControlType,
                                                       PVOID Parameters);
typedef HW_ADAPTER_CONTROL *PHW_ADAPTER_CONTROL;
typedef void HW_FREE_ADAPTER_RESOURCES(PVOID DeviceExtension);
typedef HW_FREE_ADAPTER_RESOURCES *PHW_FREE_ADAPTER_RESOURCES;
typedef void HW_PROCESS_SERVICE_REQUEST(PVOID DeviceExtension, PVOID Irp);
typedef HW_PROCESS_SERVICE_REQUEST *PHW_PROCESS_SERVICE_REQUEST;
typedef void HW_COMPLETE_SERVICE_IRP(PVOID DeviceExtension);
typedef HW_COMPLETE_SERVICE_IRP *PHW_COMPLETE_SERVICE_IRP;
typedef void HW_INITIALIZE_TRACING(PVOID Arg1, PVOID Arg2);
typedef HW_INITIALIZE_TRACING *PHW_INITIALIZE_TRACING;
typedef void HW_CLEANUP_TRACING(PVOID Arg1);
typedef HW_CLEANUP_TRACING *PHW_CLEANUP_TRACING;
typedef SCSI_UNIT_CONTROL_STATUS HW_UNIT_CONTROL(PVOID DeviceExtension, SCSI_UNIT_CONTROL_TYPE ControlType,
                                                 PVOID Parameters);
typedef HW_UNIT_CONTROL *PHW_UNIT_CONTROL;

typedef struct _HW_INITIALIZATION_DATA {
    ULONG HwInitializationDataSize;
    INTERFACE_TYPE AdapterInterfaceType;
    PHW_INITIALIZE HwInitialize;
    PHW_STARTIO HwStartIo;
    PHW_INTERRUPT HwInterrupt;
    PHW_FIND_ADAPTER HwFindAdapter;
    PHW_RESET_BUS HwResetBus;
    PHW_DMA_STARTED HwDmaStarted;
    PHW_ADAPTER_STATE HwAdapterState;
    ULONG DeviceExtensionSize;
    ULONG SpecificLuExtensionSize;
    ULONG SrbExtensionSize;
    ULONG NumberOfAccessRanges;
    PVOID Reserved;
    UCHAR MapBuffers;
    BOOLEAN NeedPhysicalAddresses;
    BOOLEAN TaggedQueuing;
    BOOLEAN AutoRequestSense;
    BOOLEAN MultipleRequestPerLu;
    BOOLEAN ReceiveEvent;
    USHORT VendorIdLength;
    PVOID VendorId;
    union {
        USHORT ReservedUshort;
        USHORT PortVersionFlags;
    };
    USHORT DeviceIdLength;
    PVOID DeviceId;
    PHW_ADAPTER_CONTROL HwAdapterControl;
    PHW_BUILDIO HwBuildIo;
    PHW_FREE_ADAPTER_RESOURCES HwFreeAdapterResources;
    PHW_PROCESS_SERVICE_REQUEST HwProcessServiceRequest;
    PHW_COMPLETE_SERVICE_IRP HwCompleteServiceIrp;
    PHW_INITIALIZE_TRACING HwInitializeTracing;
    PHW_CLEANUP_TRACING HwCleanupTracing;
    PVOID HwTracingEnabled;
    ULONG FeatureSupport;
    ULONG SrbTypeFlags;
    ULONG AddressTypeFlags;
    ULONG Reserved1;
    PHW_UNIT_CONTROL HwUnitControl;
} HW_INITIALIZATION_DATA, *PHW_INITIALIZATION_DATA;

/* ------------------------------------------------------------------------
 * Port-driver routines
 * ---------------------------------------------------------------------- */
STORPORT_API ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2,
                                      struct _HW_INITIALIZATION_DATA *HwInitializationData, PVOID HwContext);

typedef enum _SCSI_NOTIFICATION_TYPE {
    RequestComplete = 0,
    NextRequest = 1,
    NextLuRequest = 2,
    ResetDetected = 3,
    CallDisableInterrupts = 4,
    CallEnableInterrupts = 5,
    RequestTimerCall = 6,
    BusChangeDetected = 7,
    WMIEvent = 8,
    WMIReregister = 9,
    LinkUp = 10,
    LinkDown = 11,
    QueryTickCount = 12,
    BufferOverrunDetected = 13,
    TraceNotification = 14,
    GetExtendedFunctionTable = 15,
    EnablePassiveInitialization = 0x1000,
    InitializeDpc = 0x1001,
    IssueDpc = 0x1002,
    AcquireSpinLock = 0x1003,
    ReleaseSpinLock = 0x1004
} SCSI_NOTIFICATION_TYPE, *PSCSI_NOTIFICATION_TYPE;

/* RequestComplete (Srb), NextRequest, NextLuRequest (PathId, TargetId, Lun),
 * ResetDetected, BusChangeDetected and QueryTickCount (PLARGE_INTEGER) are
 * emulated; see docs/ddi-notes.md for the others. */
STORPORT_API void StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension, ...);

/* Only from HwFindAdapter; one common buffer per adapter. */
STORPORT_API PVOID StorPortGetUncachedExtension(PVOID HwDeviceExtension, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                                ULONG NumberOfBytes);
STORPORT_API STOR_PHYSICAL_ADDRESS StorPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                              PVOID VirtualAddress, ULONG *Length);

/* ------------------------------------------------------------------------
 * Extended functions: one exported variadic entry point and the inline
 * wrappers drivers call.
 * ---------------------------------------------------------------------- */
typedef enum _STORPORT_FUNCTION_CODE {
    ExtFunctionAllocatePool = 0,
    ExtFunctionFreePool = 1,
    ExtFunctionAllocateMdl = 2,
    ExtFunctionFreeMdl = 3,
    ExtFunctionBuildMdlForNonPagedPool = 4,
    ExtFunctionGetSystemAddress = 5,
    ExtFunctionGetOriginalMdl = 6,
    ExtFunctionCompleteServiceIrp = 7,
    ExtFunctionGetDeviceObjects = 8,
    ExtFunctionBuildScatterGatherList = 9,
    ExtFunctionPutScatterGatherList = 10,
    ExtFunctionAcquireMSISpinLock = 11,
    ExtFunctionReleaseMSISpinLock = 12,
    ExtFunctionGetMessageInterruptInformation = 13,
    ExtFunctionInitializePerformanceOptimizations = 14,
    ExtFunctionGetStartIoPerformanceParameters = 15,
    ExtFunctionLogSystemEvent = 16,
    ExtFunctionGetCurrentProcessorNumber = 17,
    ExtFunctionGetActiveGroupCount = 18,
    ExtFunctionGetGroupAffinity = 19,
    ExtFunctionGetActiveNodeCount = 20,
    ExtFunctionGetNodeAffinity = 21,
    ExtFunctionGetHighestNodeNumber = 22,
    ExtFunctionGetLogicalProcessorRelationship = 23,
    ExtFunctionAllocateContiguousMemorySpecifyCacheNode = 24,
    ExtFunctionFreeContiguousMemorySpecifyCache = 25,
    ExtFunctionSetPowerSettingNotificationGuids = 26,
    ExtFunctionInvokeAcpiMethod = 27,
    ExtFunctionGetRequestInfo = 28,
    ExtFunctionInitializeWorker = 29,
    ExtFunctionQueueWorkItem = 30,
    ExtFunctionFreeWorker = 31,
    ExtFunctionInitializeTimer = 32,
    ExtFunctionRequestTimer = 33,
    ExtFunctionFreeTimer = 34,
    ExtFunctionInitializeSListHead = 35,
    ExtFunctionInterlockedFlushSList = 36,
    ExtFunctionInterlockedPopEntrySList = 37,
    ExtFunctionInterlockedPushEntrySList = 38,
    ExtFunctionQueryDepthSList = 39,
    ExtFunctionGetActivityId = 40,
    ExtFunctionGetSystemPortNumber = 41,
    ExtFunctionGetDataInBufferMdl = 42,
    ExtFunctionGetDataInBufferSystemAddress = 43,
    ExtFunctionGetDataInBufferScatterGatherList = 44,
    ExtFunctionMarkDumpMemory = 45,
    ExtFunctionSetUnitAttributes = 46,
    ExtFunctionQueryPerformanceCounter = 47,
    ExtFunctionInitializePoFxPower = 48,
    ExtFunctionPoFxActivateComponent = 49,
    ExtFunctionPoFxIdleComponent = 50,
    ExtFunctionPoFxSetComponentLatency = 51,
    ExtFunctionPoFxSetComponentResidency = 52,
    ExtFunctionPoFxPowerControl = 53,
    ExtFunctionFlushDataBufferMdl = 54,
    ExtFunctionDeviceOperationAllowed = 55,
    ExtFunctionGetProcessorIndexFromNumber = 56,
    ExtFunctionPoFxSetIdleTimeout = 57,
    ExtFunctionMiniportEtwEvent2 = 58,
    ExtFunctionMiniportEtwEvent4 = 59,
    ExtFunctionMiniportEtwEvent8 = 60,
    ExtFunctionCurrentOsInstallationUpgrade = 61,
    ExtFunctionRegistryReadAdapterKey = 62,
    ExtFunctionRegistryWriteAdapterKey = 63,
    ExtFunctionSetAdapterBusType = 64,
    ExtFunctionPoFxRegisterPerfStates = 65,
    ExtFunctionPoFxSetPerfState = 66,
    ExtFunctionGetD3ColdSupport = 67,
    ExtFunctionInitializeRpmb = 68,
    ExtFunctionAllocateHmb = 69,
    ExtFunctionFreeHmb = 70,
    ExtFunctionPropagateIrpExtension = 71,
    ExtFunctionInterlockedInsertHeadList = 72,
    ExtFunctionInterlockedInsertTailList = 73,
    ExtFunctionInterlockedRemoveHeadList = 74,
    ExtFunctionInitializeSpinlock = 75,
    ExtFunctionGetPfns = 76,
    ExtFunctionInitializeCryptoEngine = 77,
    ExtFunctionGetRequestCryptoInfo = 78,
    ExtFunctionMiniportTelemetry = 79,
    ExtFunctionUpdateAdapterMaxIO = 80
} STORPORT_FUNCTION_CODE, *PSTORPORT_FUNCTION_CODE;

/* The table StorPortNotification(GetExtendedFunctionTable) once returned
 * (Windows Server 2003 SP1). The notification type is not a documented one
 * (StorPortNotification2 rule); mdlkit offers no table: it stores NULL. */
typedef struct _STORPORT_EXTENDED_FUNCTIONS {
    ULONG Version;
    PVOID GetMessageInterruptInformation;
    PVOID PutScatterGatherList;
    PVOID BuildScatterGatherList;
    PVOID FreePool;
    PVOID AllocatePool;
    PVOID GetSystemAddress;
} STORPORT_EXTENDED_FUNCTIONS, *PSTORPORT_EXTENDED_FUNCTIONS;

/* Returns a STOR_STATUS_* code. What each code does, and which answer
 * STOR_STATUS_NOT_IMPLEMENTED (facilities absent from a test process), is
 * listed in docs/storport.md. */
STORPORT_API ULONG StorPortExtendedFunction(STORPORT_FUNCTION_CODE FunctionCode, PVOID HwDeviceExtension, ...);

MDLKIT_FORCEINLINE ULONG StorPortAllocatePool(PVOID HwDeviceExtension, ULONG NumberOfBytes, ULONG Tag,
                                       PVOID *BufferPointer)
{
    return StorPortExtendedFunction(ExtFunctionAllocatePool, HwDeviceExtension, NumberOfBytes, Tag, BufferPointer);
}

MDLKIT_FORCEINLINE ULONG StorPortFreePool(PVOID HwDeviceExtension, PVOID BufferPointer)
{
    return StorPortExtendedFunction(ExtFunctionFreePool, HwDeviceExtension, BufferPointer);
}

MDLKIT_FORCEINLINE ULONG StorPortAllocateMdl(PVOID HwDeviceExtension, PVOID BufferPointer, ULONG NumberOfBytes, PVOID *Mdl)
{
    return StorPortExtendedFunction(ExtFunctionAllocateMdl, HwDeviceExtension, BufferPointer, NumberOfBytes, Mdl);
}

MDLKIT_FORCEINLINE ULONG StorPortFreeMdl(PVOID HwDeviceExtension, PVOID Mdl)
{
    return StorPortExtendedFunction(ExtFunctionFreeMdl, HwDeviceExtension, Mdl);
}

MDLKIT_FORCEINLINE ULONG StorPortBuildMdlForNonPagedPool(PVOID HwDeviceExtension, PVOID Mdl)
{
    return StorPortExtendedFunction(ExtFunctionBuildMdlForNonPagedPool, HwDeviceExtension, Mdl);
}

MDLKIT_FORCEINLINE ULONG StorPortGetSystemAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, PVOID *SystemAddress)
{
    return StorPortExtendedFunction(ExtFunctionGetSystemAddress, HwDeviceExtension, Srb, SystemAddress);
}

MDLKIT_FORCEINLINE ULONG StorPortGetOriginalMdl(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, PVOID *Mdl)
{
    return StorPortExtendedFunction(ExtFunctionGetOriginalMdl, HwDeviceExtension, Srb, Mdl);
}

MDLKIT_FORCEINLINE ULONG StorPortAllocateContiguousMemorySpecifyCacheNode(
    PVOID HwDeviceExtension, SIZE_T NumberOfBytes, PHYSICAL_ADDRESS LowestAcceptableAddress,
    PHYSICAL_ADDRESS HighestAcceptableAddress, PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType,
    NODE_REQUIREMENT PreferredNode, PVOID *BufferPointer)
{
    return StorPortExtendedFunction(ExtFunctionAllocateContiguousMemorySpecifyCacheNode, HwDeviceExtension,
                                    NumberOfBytes, LowestAcceptableAddress, HighestAcceptableAddress,
                                    BoundaryAddressMultiple, CacheType, PreferredNode, BufferPointer);
}

MDLKIT_FORCEINLINE ULONG StorPortFreeContiguousMemorySpecifyCache(PVOID HwDeviceExtension, PVOID BaseAddress,
                                                           SIZE_T NumberOfBytes, MEMORY_CACHING_TYPE CacheType)
{
    return StorPortExtendedFunction(ExtFunctionFreeContiguousMemorySpecifyCache, HwDeviceExtension, BaseAddress,
                                    NumberOfBytes, CacheType);
}

/* ------------------------------------------------------------------------
 * Driver entry, error-log codes, features
 * ---------------------------------------------------------------------- */
typedef ULONG sp_DRIVER_INITIALIZE(PVOID DriverObject, PVOID Argument2);

#define SP_BUS_PARITY_ERROR 0x0001
#define SP_UNEXPECTED_DISCONNECT 0x0002
#define SP_INVALID_RESELECTION 0x0003
#define SP_BUS_TIME_OUT 0x0004
#define SP_PROTOCOL_ERROR 0x0005
#define SP_INTERNAL_ADAPTER_ERROR 0x0006
#define SP_REQUEST_TIMEOUT 0x0007
#define SP_IRQ_NOT_RESPONDING 0x0008
#define SP_BAD_FW_WARNING 0x0009
#define SP_BAD_FW_ERROR 0x000a
#define SP_LOST_WMI_MINIPORT_REQUEST 0x000b

#define STOR_FEATURE_VIRTUAL_MINIPORT 0x00000001
#define STOR_FEATURE_ATA_PASSTHROUGH 0x00000002
#define STOR_FEATURE_FULL_PNP_DEVICE_CAPABILITIES 0x00000004
#define STOR_FEATURE_DUMP_POINTERS 0x00000008
#define STOR_FEATURE_DEVICE_NAME_NO_SUFFIX 0x00000010
#define STOR_FEATURE_DUMP_RESUME_CAPABLE 0x00000020
#define STOR_FEATURE_DEVICE_DESCRIPTOR_FROM_ATA_INFO_VPD 0x00000040
#define STOR_FEATURE_ENABLE_SMART 0x00000080
#define STOR_FEATURE_EXTRA_IO_INFORMATION 0x00000100
#define STOR_FEATURE_ADAPTER_CONTROL_PRE_FINDADAPTER 0x00000200
#define STOR_FEATURE_ADAPTER_NOT_REQUIRE_IO_PORT 0x00000400
#define STOR_FEATURE_DUMP_16_BYTE_ALIGNMENT 0x00000800
#define STOR_FEATURE_SET_ADAPTER_INTERFACE_TYPE 0x00001000
#define STOR_FEATURE_DUMP_INFO 0x00002000
#define STOR_FEATURE_DMA_ALL_ADDRESSES 0x00004000

/* StorPortStateChangeDetected */
#define STATE_CHANGE_LUN 0x1
#define STATE_CHANGE_TARGET 0x2
#define STATE_CHANGE_BUS 0x4

/* ------------------------------------------------------------------------
 * Scatter-gather lists (elements are bus = simulated physical addresses)
 * ---------------------------------------------------------------------- */
typedef struct _STOR_SCATTER_GATHER_ELEMENT {
    STOR_PHYSICAL_ADDRESS PhysicalAddress;
    ULONG Length;
    ULONG_PTR Reserved;
} STOR_SCATTER_GATHER_ELEMENT, *PSTOR_SCATTER_GATHER_ELEMENT;

typedef struct _STOR_SCATTER_GATHER_LIST {
    ULONG NumberOfElements;
    ULONG_PTR Reserved;
    STOR_SCATTER_GATHER_ELEMENT List[];
} STOR_SCATTER_GATHER_LIST, *PSTOR_SCATTER_GATHER_LIST;

/* ------------------------------------------------------------------------
 * Locks, DPCs, timers, passive initialisation
 * ---------------------------------------------------------------------- */
typedef enum _STOR_SPINLOCK {
    DpcLock = 1,
    StartIoLock = 2,
    InterruptLock = 3,
    ThreadedDpcLock = 4,
    DpcLevelLock = 5
} STOR_SPINLOCK;

typedef struct _STOR_LOCK_HANDLE {
    STOR_SPINLOCK Lock;
    struct {
        struct {
            PVOID Next;
            PVOID Lock;
        } LockQueue;
        KIRQL OldIrql;
    } Context;
} STOR_LOCK_HANDLE, *PSTOR_LOCK_HANDLE;

typedef struct _STOR_DPC {
    KDPC Dpc;
    KSPIN_LOCK Lock;
} STOR_DPC, *PSTOR_DPC;

typedef void HW_DPC_ROUTINE(PSTOR_DPC Dpc, PVOID HwDeviceExtension, PVOID SystemArgument1, PVOID SystemArgument2);
typedef HW_DPC_ROUTINE *PHW_DPC_ROUTINE;
typedef BOOLEAN HW_PASSIVE_INITIALIZE_ROUTINE(PVOID DeviceExtension);
typedef HW_PASSIVE_INITIALIZE_ROUTINE *PHW_PASSIVE_INITIALIZE_ROUTINE;
typedef void HW_TIMER(PVOID DeviceExtension);
typedef HW_TIMER *PHW_TIMER;
typedef void HW_TIMER_EX(PVOID DeviceExtension, PVOID Context);
typedef HW_TIMER_EX *PHW_TIMER_EX;
typedef void HW_STATE_CHANGE_DETECTED_CALLBACK(PVOID HwDeviceExtension, PVOID Context, SHORT AddressType,
                                               PVOID Address, ULONG Status);
typedef HW_STATE_CHANGE_DETECTED_CALLBACK *PHW_STATE_CHANGE_DETECTED_CALLBACK;

MDLKIT_FORCEINLINE void StorPortInitializeDpc(PVOID HwDeviceExtension, PSTOR_DPC Dpc, PHW_DPC_ROUTINE HwDpcRoutine)
{
    StorPortNotification(InitializeDpc, HwDeviceExtension, Dpc, HwDpcRoutine);
}

MDLKIT_FORCEINLINE BOOLEAN StorPortIssueDpc(PVOID HwDeviceExtension, PSTOR_DPC Dpc, PVOID SystemArgument1,
                                            PVOID SystemArgument2)
{
    BOOLEAN queued = FALSE;
    StorPortNotification(IssueDpc, HwDeviceExtension, Dpc, SystemArgument1, SystemArgument2, &queued);
    return queued;
}

MDLKIT_FORCEINLINE void StorPortAcquireSpinLock(PVOID HwDeviceExtension, STOR_SPINLOCK SpinLock, PVOID LockContext,
                                                PSTOR_LOCK_HANDLE LockHandle)
{
    StorPortNotification(AcquireSpinLock, HwDeviceExtension, SpinLock, LockContext, LockHandle);
}

MDLKIT_FORCEINLINE void StorPortReleaseSpinLock(PVOID HwDeviceExtension, PSTOR_LOCK_HANDLE LockHandle)
{
    StorPortNotification(ReleaseSpinLock, HwDeviceExtension, LockHandle);
}

MDLKIT_FORCEINLINE BOOLEAN StorPortEnablePassiveInitialization(PVOID HwDeviceExtension,
                                                              PHW_PASSIVE_INITIALIZE_ROUTINE HwPassiveInitializeRoutine)
{
    BOOLEAN ok = FALSE;
    StorPortNotification(EnablePassiveInitialization, HwDeviceExtension, HwPassiveInitializeRoutine, &ok);
    return ok;
}

/* HW_TIMER_EX timers (Windows 8 and later): extended functions. */
MDLKIT_FORCEINLINE ULONG StorPortInitializeTimer(PVOID HwDeviceExtension, PVOID *TimerHandle)
{
    return StorPortExtendedFunction(ExtFunctionInitializeTimer, HwDeviceExtension, TimerHandle);
}
MDLKIT_FORCEINLINE ULONG StorPortRequestTimer(PVOID HwDeviceExtension, PVOID TimerHandle, PHW_TIMER_EX TimerCallback,
                                             PVOID CallbackContext, ULONGLONG TimerValue, ULONGLONG TolerableDelay)
{
    return StorPortExtendedFunction(ExtFunctionRequestTimer, HwDeviceExtension, TimerHandle, TimerCallback,
                                    CallbackContext, TimerValue, TolerableDelay);
}
MDLKIT_FORCEINLINE ULONG StorPortFreeTimer(PVOID HwDeviceExtension, PVOID TimerHandle)
{
    return StorPortExtendedFunction(ExtFunctionFreeTimer, HwDeviceExtension, TimerHandle);
}

/* ------------------------------------------------------------------------
 * Message-signalled interrupts
 * ---------------------------------------------------------------------- */
typedef struct _MESSAGE_INTERRUPT_INFORMATION {
    ULONG MessageId;
    ULONG MessageData;
    STOR_PHYSICAL_ADDRESS MessageAddress;
    ULONG InterruptVector;
    ULONG InterruptLevel;
    KINTERRUPT_MODE InterruptMode;
} MESSAGE_INTERRUPT_INFORMATION, *PMESSAGE_INTERRUPT_INFORMATION;

MDLKIT_FORCEINLINE ULONG StorPortGetMSIInfo(PVOID HwDeviceExtension, ULONG MessageId,
                                           PMESSAGE_INTERRUPT_INFORMATION InterruptInfo)
{
    return StorPortExtendedFunction(ExtFunctionGetMessageInterruptInformation, HwDeviceExtension, MessageId,
                                    InterruptInfo);
}
MDLKIT_FORCEINLINE ULONG StorPortAcquireMSISpinLock(PVOID HwDeviceExtension, ULONG MessageId, PULONG OldIrql)
{
    return StorPortExtendedFunction(ExtFunctionAcquireMSISpinLock, HwDeviceExtension, MessageId, OldIrql);
}
MDLKIT_FORCEINLINE ULONG StorPortReleaseMSISpinLock(PVOID HwDeviceExtension, ULONG MessageId, ULONG OldIrql)
{
    return StorPortExtendedFunction(ExtFunctionReleaseMSISpinLock, HwDeviceExtension, MessageId, OldIrql);
}

/* Processor groups: defined here until <wdm.h> has them (it then defines
 * MDLKIT_GROUP_AFFINITY_DEFINED). */
#if !defined(MDLKIT_GROUP_AFFINITY_DEFINED) && !defined(ALL_PROCESSOR_GROUPS)
#define MDLKIT_GROUP_AFFINITY_DEFINED 1
#define ALL_PROCESSOR_GROUPS 0xffff
typedef struct _GROUP_AFFINITY {
    KAFFINITY Mask;
    USHORT Group;
    USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;
#endif

/* Processors, groups and NUMA nodes (Windows 7 and later) and the
 * performance counter (Windows 8 and later): extended functions. */
MDLKIT_FORCEINLINE ULONG StorPortGetCurrentProcessorNumber(PVOID HwDeviceExtension, PPROCESSOR_NUMBER ProcNumber)
{
    return StorPortExtendedFunction(ExtFunctionGetCurrentProcessorNumber, HwDeviceExtension, ProcNumber);
}

MDLKIT_FORCEINLINE ULONG StorPortGetActiveGroupCount(PVOID HwDeviceExtension, PUSHORT NumberGroups)
{
    return StorPortExtendedFunction(ExtFunctionGetActiveGroupCount, HwDeviceExtension, NumberGroups);
}

MDLKIT_FORCEINLINE ULONG StorPortGetGroupAffinity(PVOID HwDeviceExtension, USHORT GroupNumber,
                                                  PKAFFINITY GroupAffinityMask)
{
    return StorPortExtendedFunction(ExtFunctionGetGroupAffinity, HwDeviceExtension, GroupNumber, GroupAffinityMask);
}

MDLKIT_FORCEINLINE ULONG StorPortGetActiveNodeCount(PVOID HwDeviceExtension, PULONG NumberNodes)
{
    return StorPortExtendedFunction(ExtFunctionGetActiveNodeCount, HwDeviceExtension, NumberNodes);
}

MDLKIT_FORCEINLINE ULONG StorPortGetNodeAffinity(PVOID HwDeviceExtension, ULONG NodeNumber,
                                                 PGROUP_AFFINITY NodeAffinityMask)
{
    return StorPortExtendedFunction(ExtFunctionGetNodeAffinity, HwDeviceExtension, NodeNumber, NodeAffinityMask);
}

MDLKIT_FORCEINLINE ULONG StorPortGetHighestNodeNumber(PVOID HwDeviceExtension, PULONG HighestNode)
{
    return StorPortExtendedFunction(ExtFunctionGetHighestNodeNumber, HwDeviceExtension, HighestNode);
}

/* Windows 8 and later. mdlkit has no ACPI namespace: every method answers
 * STOR_STATUS_NOT_IMPLEMENTED (STOR_STATUS_INVALID_IRQL above PASSIVE_LEVEL). */
MDLKIT_FORCEINLINE ULONG StorPortInvokeAcpiMethod(PVOID HwDeviceExtension, PSTOR_ADDRESS Address, ULONG MethodName,
                                                  PVOID InputBuffer, ULONG InputBufferLength, PVOID OutputBuffer,
                                                  ULONG OutputBufferLength, PULONG BytesReturned)
{
    return StorPortExtendedFunction(ExtFunctionInvokeAcpiMethod, HwDeviceExtension, Address, MethodName, InputBuffer,
                                    InputBufferLength, OutputBuffer, OutputBufferLength, BytesReturned);
}

MDLKIT_FORCEINLINE ULONG StorPortQueryPerformanceCounter(PVOID HwDeviceExtension, PLARGE_INTEGER PerformanceFreq,
                                                         PLARGE_INTEGER PerformanceCounter)
{
    return StorPortExtendedFunction(ExtFunctionQueryPerformanceCounter, HwDeviceExtension, PerformanceFreq,
                                    PerformanceCounter);
}

/* ------------------------------------------------------------------------
 * Performance options
 * ---------------------------------------------------------------------- */
#define STOR_PERF_DPC_REDIRECTION 0x00000001
#define STOR_PERF_CONCURRENT_CHANNELS 0x00000002
#define STOR_PERF_INTERRUPT_MESSAGE_RANGES 0x00000004
#define STOR_PERF_ADV_CONFIG_LOCALITY 0x00000008
#define STOR_PERF_OPTIMIZE_FOR_COMPLETION_DURING_STARTIO 0x00000010
#define STOR_PERF_DPC_REDIRECTION_CURRENT_CPU 0x00000020
#define STOR_PERF_NO_SGL 0x00000040
#define STOR_PERF_VERSION_2 0x2
#define STOR_PERF_VERSION_3 0x3
#define STOR_PERF_VERSION_4 0x4
#define STOR_PERF_VERSION_5 0x5
#define STOR_PERF_VERSION STOR_PERF_VERSION_5

typedef struct _PERF_CONFIGURATION_DATA {
    ULONG Version;
    ULONG Size;
    ULONG Flags;
    ULONG ConcurrentChannels;
    ULONG FirstRedirectionMessageNumber;
    union {
        ULONG LastRedirectionMessageNumber;
        ULONG lastRedirectionMessageNumber; /* alias: see docs/ddi-notes.md */
    };
    ULONG DeviceNode;
    ULONG Reserved;
    PGROUP_AFFINITY MessageTargets;
} PERF_CONFIGURATION_DATA, *PPERF_CONFIGURATION_DATA;

typedef struct _STARTIO_PERFORMANCE_PARAMETERS {
    ULONG Version;
    ULONG Size;
    ULONG MessageNumber;
    ULONG ChannelNumber;
} STARTIO_PERFORMANCE_PARAMETERS, *PSTARTIO_PERFORMANCE_PARAMETERS;

MDLKIT_FORCEINLINE ULONG StorPortInitializePerfOpts(PVOID HwDeviceExtension, BOOLEAN Query,
                                                   PPERF_CONFIGURATION_DATA PerfConfigData)
{
    return StorPortExtendedFunction(ExtFunctionInitializePerformanceOptimizations, HwDeviceExtension, (int)Query,
                                    PerfConfigData);
}
MDLKIT_FORCEINLINE ULONG StorPortGetStartIoPerfParams(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                     PSTARTIO_PERFORMANCE_PARAMETERS StartIoPerfParams)
{
    return StorPortExtendedFunction(ExtFunctionGetStartIoPerformanceParameters, HwDeviceExtension, Srb,
                                    StartIoPerfParams);
}

/* ------------------------------------------------------------------------
 * Event log, unit attributes, device capabilities
 * ---------------------------------------------------------------------- */
typedef enum _STOR_EVENT_ASSOCIATION_ENUM {
    StorEventAdapterAssociation = 0,
    StorEventLunAssociation,
    StorEventTargetAssociation,
    StorEventInvalidAssociation
} STOR_EVENT_ASSOCIATION_ENUM;

#define STOR_LOG_EVENT_INTERFACE_REVISION_1 0x100
#define STOR_CURRENT_LOG_INTERFACE_REVISION STOR_LOG_EVENT_INTERFACE_REVISION_1

typedef struct _STOR_LOG_EVENT_DETAILS {
    ULONG InterfaceRevision;
    ULONG Size;
    ULONG Flags;
    STOR_EVENT_ASSOCIATION_ENUM EventAssociation;
    ULONG PathId;
    ULONG TargetId;
    ULONG LunId;
    BOOLEAN StorportSpecificErrorCode;
    ULONG ErrorCode;
    ULONG UniqueId;
    ULONG DumpDataSize;
    PVOID DumpData;
    ULONG StringCount;
    PWSTR *StringList;
} STOR_LOG_EVENT_DETAILS, *PSTOR_LOG_EVENT_DETAILS;

MDLKIT_FORCEINLINE ULONG StorPortLogSystemEvent(PVOID HwDeviceExtension, PSTOR_LOG_EVENT_DETAILS LogDetails,
                                               PULONG MaximumSize)
{
    return StorPortExtendedFunction(ExtFunctionLogSystemEvent, HwDeviceExtension, LogDetails, MaximumSize);
}

typedef struct _STOR_UNIT_ATTRIBUTES {
    ULONG DeviceAttentionSupported : 1;
    ULONG AsyncNotificationSupported : 1;
    ULONG D3ColdNotSupported : 1;
    ULONG Reserved : 29;
} STOR_UNIT_ATTRIBUTES, *PSTOR_UNIT_ATTRIBUTES;

MDLKIT_FORCEINLINE ULONG StorPortSetUnitAttributes(PVOID HwDeviceExtension, PSTOR_ADDRESS Address,
                                                  STOR_UNIT_ATTRIBUTES Attributes)
{
    return StorPortExtendedFunction(ExtFunctionSetUnitAttributes, HwDeviceExtension, Address, Attributes);
}

typedef struct _STOR_DEVICE_CAPABILITIES {
    USHORT Version;
    ULONG DeviceD1 : 1;
    ULONG DeviceD2 : 1;
    ULONG LockSupported : 1;
    ULONG EjectSupported : 1;
    ULONG Removable : 1;
    ULONG DockDevice : 1;
    ULONG UniqueID : 1;
    ULONG SilentInstall : 1;
    ULONG SurpriseRemovalOK : 1;
    ULONG NoDisplayInUI : 1;
} STOR_DEVICE_CAPABILITIES, *PSTOR_DEVICE_CAPABILITIES;

#define STOR_DEVICE_CAPABILITIES_EX_VERSION_1 0x1
typedef struct _STOR_DEVICE_CAPABILITIES_EX {
    USHORT Version;
    USHORT Size;
    ULONG DeviceD1 : 1;
    ULONG DeviceD2 : 1;
    ULONG LockSupported : 1;
    ULONG EjectSupported : 1;
    ULONG Removable : 1;
    ULONG DockDevice : 1;
    ULONG UniqueID : 1;
    ULONG SilentInstall : 1;
    ULONG SurpriseRemovalOK : 1;
    ULONG NoDisplayInUI : 1;
    ULONG Reserved1 : 22;
    ULONG Address;
    ULONG UINumber;
    ULONG Reserved2[2];
} STOR_DEVICE_CAPABILITIES_EX, *PSTOR_DEVICE_CAPABILITIES_EX;

/* ------------------------------------------------------------------------
 * Exported routines
 * ---------------------------------------------------------------------- */
STORPORT_API PVOID StorPortGetDeviceBase(PVOID HwDeviceExtension, INTERFACE_TYPE BusType, ULONG SystemIoBusNumber,
                                         STOR_PHYSICAL_ADDRESS IoAddress, ULONG NumberOfBytes, BOOLEAN InIoSpace);
STORPORT_API void StorPortFreeDeviceBase(PVOID HwDeviceExtension, PVOID MappedAddress);
STORPORT_API ULONG StorPortGetBusData(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber,
                                      ULONG SlotNumber, PVOID Buffer, ULONG Length);
STORPORT_API ULONG StorPortSetBusDataByOffset(PVOID DeviceExtension, ULONG BusDataType, ULONG SystemIoBusNumber,
                                              ULONG SlotNumber, PVOID Buffer, ULONG Offset, ULONG Length);
STORPORT_API PSTOR_SCATTER_GATHER_LIST StorPortGetScatterGatherList(PVOID DeviceExtension, PSCSI_REQUEST_BLOCK Srb);
STORPORT_API PVOID StorPortGetVirtualAddress(PVOID HwDeviceExtension, STOR_PHYSICAL_ADDRESS PhysicalAddress);
STORPORT_API PVOID StorPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun);

STORPORT_API BOOLEAN StorPortBusy(PVOID HwDeviceExtension, ULONG RequestsToComplete);
STORPORT_API BOOLEAN StorPortReady(PVOID HwDeviceExtension);
STORPORT_API BOOLEAN StorPortPause(PVOID HwDeviceExtension, ULONG TimeOut);
STORPORT_API BOOLEAN StorPortResume(PVOID HwDeviceExtension);
STORPORT_API BOOLEAN StorPortSetDeviceQueueDepth(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                                                 ULONG Depth);
STORPORT_API void StorPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                                          UCHAR SrbStatus);
STORPORT_API void StorPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId, UCHAR TargetId,
                                   UCHAR Lun, ULONG ErrorCode, ULONG UniqueId);
STORPORT_API ULONG StorPortStateChangeDetected(PVOID HwDeviceExtension, ULONG ChangedEntity, PSTOR_ADDRESS Address,
                                               ULONG Attributes, PHW_STATE_CHANGE_DETECTED_CALLBACK Callback,
                                               PVOID CallbackContext);

/* Runs the routine synchronised with the ISR (under the interrupt lock, at
 * the device IRQL) and returns what it returns. */
typedef BOOLEAN STOR_SYNCHRONIZED_ACCESS(PVOID HwDeviceExtension, PVOID Context);
typedef STOR_SYNCHRONIZED_ACCESS *PSTOR_SYNCHRONIZED_ACCESS;
STORPORT_API BOOLEAN StorPortSynchronizeAccess(PVOID HwDeviceExtension, PSTOR_SYNCHRONIZED_ACCESS SynchronizedAccessRoutine,
                                               PVOID Context);
/* Obsolete (StorPortDeprecated rule): always TRUE, as documented. */
STORPORT_API BOOLEAN StorPortValidateRange(PVOID HwDeviceExtension, INTERFACE_TYPE BusType, ULONG SystemIoBusNumber,
                                           STOR_PHYSICAL_ADDRESS IoAddress, ULONG NumberOfBytes, BOOLEAN InIoSpace);
STORPORT_API STOR_PHYSICAL_ADDRESS StorPortConvertUlongToPhysicalAddress(ULONG_PTR UlongAddress);
#define StorPortConvertPhysicalAddressToULong64(Address) ((ULONG64)(Address).QuadPart)
/* the low 32 bits of the address (the high part is dropped) */
#define StorPortConvertPhysicalAddressToUlong(Address) ((Address).LowPart)

/* Miniports print through DebugPrint((level, format, ...)): with DBG set
 * (a checked build) it is StorPortDebugPrint, otherwise nothing. */
#ifndef DebugPrint
#if defined(DBG) && DBG
#define DebugPrint(x) StorPortDebugPrint x
#else
#define DebugPrint(x)
#endif
#endif

/* Windows 10 version 1803 and later (STOR_STATUS_NOT_IMPLEMENTED before). */
STORPORT_API ULONG StorPortAllocateDmaMemory(PVOID HwDeviceExtension, SIZE_T NumberOfBytes,
                                            PHYSICAL_ADDRESS LowestAcceptableAddress,
                                            PHYSICAL_ADDRESS HighestAcceptableAddress,
                                            PHYSICAL_ADDRESS BoundaryAddressMultiple, MEMORY_CACHING_TYPE CacheType,
                                            NODE_REQUIREMENT PreferredNode, PVOID *BufferPointer,
                                            PPHYSICAL_ADDRESS PhysicalAddress);
STORPORT_API ULONG StorPortFreeDmaMemory(PVOID HwDeviceExtension, PVOID BaseAddress, SIZE_T NumberOfBytes,
                                        MEMORY_CACHING_TYPE CacheType, PHYSICAL_ADDRESS PhysicalAddress);

STORPORT_API void StorPortMoveMemory(PVOID WriteBuffer, PVOID ReadBuffer, ULONG Length);
#define StorPortCopyMemory(Destination, Source, Length) memcpy((Destination), (Source), (Length))
STORPORT_API void StorPortStallExecution(ULONG Delay);
STORPORT_API void StorPortDebugPrint(ULONG DebugPrintLevel, PCCHAR DebugMessage, ...);

/* Registry (values under the adapter's Parameters\Device key, supplied by
 * the harness: mdlkit_storport_set_registry). */
STORPORT_API PVOID StorPortAllocateRegistryBuffer(PVOID HwDeviceExtension, PULONG Length);
STORPORT_API void StorPortFreeRegistryBuffer(PVOID HwDeviceExtension, PVOID Buffer);
STORPORT_API BOOLEAN StorPortRegistryRead(PVOID HwDeviceExtension, PUCHAR ValueName, ULONG Global, ULONG Type,
                                          PUCHAR Buffer, PULONG BufferLength);
STORPORT_API BOOLEAN StorPortRegistryWrite(PVOID HwDeviceExtension, PUCHAR ValueName, ULONG Global, ULONG Type,
                                           PUCHAR Buffer, ULONG BufferLength);

/* Register (memory BAR) and port (I/O BAR) access: routed to the device
 * model that owns the address (mdlkit_device.h). */
STORPORT_API UCHAR StorPortReadPortUchar(PVOID HwDeviceExtension, PUCHAR Port);
STORPORT_API USHORT StorPortReadPortUshort(PVOID HwDeviceExtension, PUSHORT Port);
STORPORT_API ULONG StorPortReadPortUlong(PVOID HwDeviceExtension, PULONG Port);
STORPORT_API void StorPortReadPortBufferUchar(PVOID HwDeviceExtension, PUCHAR Port, PUCHAR Buffer, ULONG Count);
STORPORT_API void StorPortReadPortBufferUshort(PVOID HwDeviceExtension, PUSHORT Port, PUSHORT Buffer, ULONG Count);
STORPORT_API void StorPortReadPortBufferUlong(PVOID HwDeviceExtension, PULONG Port, PULONG Buffer, ULONG Count);
STORPORT_API void StorPortWritePortUchar(PVOID HwDeviceExtension, PUCHAR Port, UCHAR Value);
STORPORT_API void StorPortWritePortUshort(PVOID HwDeviceExtension, PUSHORT Port, USHORT Value);
STORPORT_API void StorPortWritePortUlong(PVOID HwDeviceExtension, PULONG Port, ULONG Value);
STORPORT_API void StorPortWritePortBufferUchar(PVOID HwDeviceExtension, PUCHAR Port, PUCHAR Buffer, ULONG Count);
STORPORT_API void StorPortWritePortBufferUshort(PVOID HwDeviceExtension, PUSHORT Port, PUSHORT Buffer, ULONG Count);
STORPORT_API void StorPortWritePortBufferUlong(PVOID HwDeviceExtension, PULONG Port, PULONG Buffer, ULONG Count);
STORPORT_API UCHAR StorPortReadRegisterUchar(PVOID HwDeviceExtension, PUCHAR Register);
STORPORT_API USHORT StorPortReadRegisterUshort(PVOID HwDeviceExtension, PUSHORT Register);
STORPORT_API ULONG StorPortReadRegisterUlong(PVOID HwDeviceExtension, PULONG Register);
STORPORT_API ULONG64 StorPortReadRegisterUlong64(PVOID HwDeviceExtension, PULONG64 Register);
STORPORT_API void StorPortReadRegisterBufferUchar(PVOID HwDeviceExtension, PUCHAR Register, PUCHAR Buffer,
                                                  ULONG Count);
STORPORT_API void StorPortReadRegisterBufferUshort(PVOID HwDeviceExtension, PUSHORT Register, PUSHORT Buffer,
                                                   ULONG Count);
STORPORT_API void StorPortReadRegisterBufferUlong(PVOID HwDeviceExtension, PULONG Register, PULONG Buffer,
                                                  ULONG Count);
STORPORT_API void StorPortWriteRegisterUchar(PVOID HwDeviceExtension, PUCHAR Register, UCHAR Value);
STORPORT_API void StorPortWriteRegisterUshort(PVOID HwDeviceExtension, PUSHORT Register, USHORT Value);
STORPORT_API void StorPortWriteRegisterUlong(PVOID HwDeviceExtension, PULONG Register, ULONG Value);
STORPORT_API void StorPortWriteRegisterUlong64(PVOID HwDeviceExtension, PULONG64 Register, ULONG64 Value);
STORPORT_API void StorPortWriteRegisterBufferUchar(PVOID HwDeviceExtension, PUCHAR Register, PUCHAR Buffer,
                                                   ULONG Count);
STORPORT_API void StorPortWriteRegisterBufferUshort(PVOID HwDeviceExtension, PUSHORT Register, PUSHORT Buffer,
                                                    ULONG Count);
STORPORT_API void StorPortWriteRegisterBufferUlong(PVOID HwDeviceExtension, PULONG Register, PULONG Buffer,
                                                   ULONG Count);

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_STORPORT_H */
