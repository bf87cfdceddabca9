/*
 * mkndis/types.h -- part of mdlkit's <ndis.h>; not meant to be included
 * directly. Contents: the NDIS version a miniport targets, basic types,
 * NDIS_STATUS codes (an X-macro table), object headers, NDIS_STRING,
 * spin locks, read/write locks, list and interlocked helpers, Ethernet
 * helpers, configuration. Names, values and layouts are the documented
 * ones; the text is mdlkit's.
 */
#ifndef MDLKIT_MKNDIS_TYPES_H
#define MDLKIT_MKNDIS_TYPES_H

/* ------------------------------------------------------------------------
 * The NDIS version a driver targets: NDISxy_MINIPORT (x.y from 6.0 to 6.89)
 * gives NDIS_MINIPORT_MAJOR_VERSION / _MINOR_VERSION and the
 * NDIS_SUPPORT_NDISxy switches a driver tests with #if.
 * ---------------------------------------------------------------------- */
#if defined(NDIS689_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 89
#elif defined(NDIS688_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 88
#elif defined(NDIS687_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 87
#elif defined(NDIS686_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 86
#elif defined(NDIS685_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 85
#elif defined(NDIS684_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 84
#elif defined(NDIS683_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 83
#elif defined(NDIS682_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 82
#elif defined(NDIS681_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 81
#elif defined(NDIS680_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 80
#elif defined(NDIS660_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 60
#elif defined(NDIS651_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 51
#elif defined(NDIS650_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 50
#elif defined(NDIS640_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 40
#elif defined(NDIS630_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 30
#elif defined(NDIS620_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 20
#elif defined(NDIS61_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 1
#elif defined(NDIS60_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 0
#endif
/* A filter or protocol driver picks its version with NDISxy (NDIS60 ...
 * NDIS689): NDIS_FILTER_MINOR_VERSION and NDIS_PROTOCOL_MINOR_VERSION. */
#if defined(NDIS689)
#define MDLKIT_NDIS_DRIVER_MINOR 89
#elif defined(NDIS688)
#define MDLKIT_NDIS_DRIVER_MINOR 88
#elif defined(NDIS687)
#define MDLKIT_NDIS_DRIVER_MINOR 87
#elif defined(NDIS686)
#define MDLKIT_NDIS_DRIVER_MINOR 86
#elif defined(NDIS685)
#define MDLKIT_NDIS_DRIVER_MINOR 85
#elif defined(NDIS684)
#define MDLKIT_NDIS_DRIVER_MINOR 84
#elif defined(NDIS683)
#define MDLKIT_NDIS_DRIVER_MINOR 83
#elif defined(NDIS682)
#define MDLKIT_NDIS_DRIVER_MINOR 82
#elif defined(NDIS681)
#define MDLKIT_NDIS_DRIVER_MINOR 81
#elif defined(NDIS680)
#define MDLKIT_NDIS_DRIVER_MINOR 80
#elif defined(NDIS660)
#define MDLKIT_NDIS_DRIVER_MINOR 60
#elif defined(NDIS651)
#define MDLKIT_NDIS_DRIVER_MINOR 51
#elif defined(NDIS650)
#define MDLKIT_NDIS_DRIVER_MINOR 50
#elif defined(NDIS640)
#define MDLKIT_NDIS_DRIVER_MINOR 40
#elif defined(NDIS630)
#define MDLKIT_NDIS_DRIVER_MINOR 30
#elif defined(NDIS620)
#define MDLKIT_NDIS_DRIVER_MINOR 20
#elif defined(NDIS61)
#define MDLKIT_NDIS_DRIVER_MINOR 1
#elif defined(NDIS60)
#define MDLKIT_NDIS_DRIVER_MINOR 0
#endif
#if defined(MDLKIT_NDIS_DRIVER_MINOR)
#define NDIS_FILTER_MAJOR_VERSION 6
#define NDIS_FILTER_MINOR_VERSION MDLKIT_NDIS_DRIVER_MINOR
#define NDIS_PROTOCOL_MAJOR_VERSION 6
#define NDIS_PROTOCOL_MINOR_VERSION MDLKIT_NDIS_DRIVER_MINOR
#endif
#if defined(NDIS_MINIPORT_MINOR_VERSION)
#define NDIS_MINIPORT_MAJOR_VERSION 6
#define MDLKIT_NDIS_TARGET NDIS_MINIPORT_MINOR_VERSION
#elif defined(MDLKIT_NDIS_DRIVER_MINOR)
#define MDLKIT_NDIS_TARGET MDLKIT_NDIS_DRIVER_MINOR
#else
/* Not a driver build (a harness, a test): everything up to 6.89. */
#define MDLKIT_NDIS_TARGET 89
#endif
#define NDIS_SUPPORT_NDIS6 1
#define NDIS_SUPPORT_NDIS61 (MDLKIT_NDIS_TARGET >= 1)
#define NDIS_SUPPORT_NDIS620 (MDLKIT_NDIS_TARGET >= 20)
#define NDIS_SUPPORT_NDIS630 (MDLKIT_NDIS_TARGET >= 30)
#define NDIS_SUPPORT_NDIS640 (MDLKIT_NDIS_TARGET >= 40)
#define NDIS_SUPPORT_NDIS650 (MDLKIT_NDIS_TARGET >= 50)
#define NDIS_SUPPORT_NDIS651 (MDLKIT_NDIS_TARGET >= 51)
#define NDIS_SUPPORT_NDIS660 (MDLKIT_NDIS_TARGET >= 60)
#define NDIS_SUPPORT_NDIS680 (MDLKIT_NDIS_TARGET >= 80)
#define NDIS_SUPPORT_NDIS681 (MDLKIT_NDIS_TARGET >= 81)
#define NDIS_SUPPORT_NDIS682 (MDLKIT_NDIS_TARGET >= 82)
#define NDIS_SUPPORT_NDIS683 (MDLKIT_NDIS_TARGET >= 83)
#define NDIS_SUPPORT_NDIS684 (MDLKIT_NDIS_TARGET >= 84)
#define NDIS_SUPPORT_NDIS685 (MDLKIT_NDIS_TARGET >= 85)
#define NDIS_SUPPORT_NDIS686 (MDLKIT_NDIS_TARGET >= 86)
#define NDIS_SUPPORT_NDIS687 (MDLKIT_NDIS_TARGET >= 87)
#define NDIS_SUPPORT_NDIS688 (MDLKIT_NDIS_TARGET >= 88)
#define NDIS_SUPPORT_NDIS689 (MDLKIT_NDIS_TARGET >= 89)

/* Version words (major << 16 | minor) NdisGetVersion returns. */
#define NDIS_RUNTIME_VERSION_60 ((6 << 16) | 0)
#define NDIS_RUNTIME_VERSION_61 ((6 << 16) | 1)
#define NDIS_RUNTIME_VERSION_620 ((6 << 16) | 20)
#define NDIS_RUNTIME_VERSION_630 ((6 << 16) | 30)
#define NDIS_RUNTIME_VERSION_640 ((6 << 16) | 40)
#define NDIS_RUNTIME_VERSION_650 ((6 << 16) | 50)
#define NDIS_RUNTIME_VERSION_660 ((6 << 16) | 60)
#define NDIS_RUNTIME_VERSION_680 ((6 << 16) | 80)
#define NDIS_RUNTIME_VERSION_689 ((6 << 16) | 89)

/* Code placement markers (no meaning outside the Windows loader). */
#define NDIS_INIT_FUNCTION(f)
#define NDIS_PAGEABLE_FUNCTION(f)
#define NDIS_PAGABLE_FUNCTION(f)
#define NDIS_DECLARE_MINIPORT_DRIVER_CONTEXT(type)
#define NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(type)
#define NDIS_DECLARE_MINIPORT_INTERRUPT_CONTEXT(type)
#define NDIS_DECLARE_MINIPORT_DMA_CONTEXT(type)
#define NDIS_DECLARE_FILTER_MODULE_CONTEXT(type)
#define NDIS_DECLARE_PROTOCOL_BINDING_CONTEXT(type)

/* ------------------------------------------------------------------------
 * Basic types
 * ---------------------------------------------------------------------- */
typedef int NDIS_STATUS, *PNDIS_STATUS;
typedef PVOID NDIS_HANDLE, *PNDIS_HANDLE;
typedef PHYSICAL_ADDRESS NDIS_PHYSICAL_ADDRESS, *PNDIS_PHYSICAL_ADDRESS;
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
typedef ULONG NET_IFINDEX, *PNET_IFINDEX;
typedef USHORT NET_IFTYPE, *PNET_IFTYPE;
typedef ULONG NDIS_OID, *PNDIS_OID;
typedef ULONG NDIS_RECEIVE_QUEUE_ID, *PNDIS_RECEIVE_QUEUE_ID;
typedef ULONG NDIS_RECEIVE_FILTER_ID, *PNDIS_RECEIVE_FILTER_ID;
typedef ULONG NDIS_NIC_SWITCH_ID, *PNDIS_NIC_SWITCH_ID;
typedef ULONG NDIS_NIC_SWITCH_VPORT_ID, *PNDIS_NIC_SWITCH_VPORT_ID;
typedef ULONG NDIS_SWITCH_ID, *PNDIS_SWITCH_ID;
typedef ULONG NDIS_VF_RID;
typedef USHORT NDIS_SRIOV_FUNCTION_ID;
typedef ULONG NDIS_RECEIVE_QUEUE_GROUP_ID;
typedef UCHAR NDIS_QOS_TC;
typedef ULONG NDIS_EX_RECEIVE_QUEUE_ID;
typedef ULONG NDIS_EX_RECEIVE_QUEUE_GROUP_ID;
typedef ULONG NDIS_ERROR_CODE, *PNDIS_ERROR_CODE;
typedef ULONG NET_IF_COMPARTMENT_ID;
typedef GUID NET_IF_NETWORK_GUID;
typedef ULONG NDIS_MINIPORT_DRIVER_VERSION;

#define NDIS_DEFAULT_PORT_NUMBER ((NDIS_PORT_NUMBER)0)
#define NDIS_DEFAULT_RECEIVE_QUEUE_ID 0
#define NDIS_DEFAULT_RECEIVE_QUEUE_GROUP_ID 0
#define NDIS_DEFAULT_RECEIVE_FILTER_ID 0
#define NDIS_DEFAULT_SWITCH_ID 0
#define NDIS_INVALID_SWITCH_ID ((NDIS_SWITCH_ID)-1)
#define NDIS_DEFAULT_VPORT_ID 0
#define NDIS_INVALID_VPORT_ID ((NDIS_NIC_SWITCH_VPORT_ID)-1)
#define NDIS_INVALID_RID ((NDIS_VF_RID)-1)
#define NDIS_DEFAULT_VF_ID 0
#define NDIS_INVALID_VF_ID ((NDIS_SRIOV_FUNCTION_ID)-1)
#define NDIS_PF_FUNCTION_ID ((NDIS_SRIOV_FUNCTION_ID)-1)
#define NDIS_INVALID_RECEIVE_QUEUE_ID ((NDIS_RECEIVE_QUEUE_ID)-1)

typedef union _NET_LUID_LH {
    ULONG64 Value;
    struct {
        ULONG64 Reserved : 24;
        ULONG64 NetLuidIndex : 24;
        ULONG64 IfType : 16;
    } Info;
} NET_LUID_LH, *PNET_LUID_LH, NET_LUID, *PNET_LUID, IF_LUID, *PIF_LUID;

typedef struct _IF_COUNTED_STRING_LH {
    USHORT Length; /* bytes */
    WCHAR String[256 + 1];
} IF_COUNTED_STRING_LH, *PIF_COUNTED_STRING_LH, IF_COUNTED_STRING, *PIF_COUNTED_STRING;
typedef struct _IF_PHYSICAL_ADDRESS_LH {
    USHORT Length;
    UCHAR Address[32];
} IF_PHYSICAL_ADDRESS_LH, *PIF_PHYSICAL_ADDRESS_LH, IF_PHYSICAL_ADDRESS, *PIF_PHYSICAL_ADDRESS;

/* GROUP_AFFINITY (also declared by <storport.h> and the kernel headers
 * under the same guard) */
#if !defined(MDLKIT_GROUP_AFFINITY_DEFINED) && !defined(ALL_PROCESSOR_GROUPS)
#define MDLKIT_GROUP_AFFINITY_DEFINED 1
#define ALL_PROCESSOR_GROUPS 0xffff
typedef struct _GROUP_AFFINITY {
    KAFFINITY Mask;
    USHORT Group;
    USHORT Reserved[3];
} GROUP_AFFINITY, *PGROUP_AFFINITY;
#endif

#define IF_TYPE_OTHER 1
#define IF_TYPE_ETHERNET_CSMACD 6
#define IF_TYPE_SOFTWARE_LOOPBACK 24
#define IF_TYPE_IEEE80211 71
#define IF_TYPE_TUNNEL 131
#define IF_MAX_STRING_SIZE 256
#define IF_MAX_PHYS_ADDRESS_LENGTH 32

typedef enum _NET_IF_ACCESS_TYPE {
    NET_IF_ACCESS_LOOPBACK = 1,
    NET_IF_ACCESS_BROADCAST = 2,
    NET_IF_ACCESS_POINT_TO_POINT = 3,
    NET_IF_ACCESS_POINT_TO_MULTI_POINT = 4,
    NET_IF_ACCESS_MAXIMUM = 5
} NET_IF_ACCESS_TYPE, *PNET_IF_ACCESS_TYPE;
typedef enum _NET_IF_DIRECTION_TYPE {
    NET_IF_DIRECTION_SENDRECEIVE,
    NET_IF_DIRECTION_SENDONLY,
    NET_IF_DIRECTION_RECEIVEONLY,
    NET_IF_DIRECTION_MAXIMUM
} NET_IF_DIRECTION_TYPE, *PNET_IF_DIRECTION_TYPE;
typedef enum _NET_IF_CONNECTION_TYPE {
    NET_IF_CONNECTION_DEDICATED = 1,
    NET_IF_CONNECTION_PASSIVE = 2,
    NET_IF_CONNECTION_DEMAND = 3,
    NET_IF_CONNECTION_MAXIMUM = 4
} NET_IF_CONNECTION_TYPE, *PNET_IF_CONNECTION_TYPE;
typedef enum _NET_IF_MEDIA_CONNECT_STATE {
    MediaConnectStateUnknown,
    MediaConnectStateConnected,
    MediaConnectStateDisconnected
} NET_IF_MEDIA_CONNECT_STATE, *PNET_IF_MEDIA_CONNECT_STATE, NDIS_MEDIA_CONNECT_STATE, *PNDIS_MEDIA_CONNECT_STATE;
typedef enum _NET_IF_MEDIA_DUPLEX_STATE {
    MediaDuplexStateUnknown,
    MediaDuplexStateHalf,
    MediaDuplexStateFull
} NET_IF_MEDIA_DUPLEX_STATE, *PNET_IF_MEDIA_DUPLEX_STATE, NDIS_MEDIA_DUPLEX_STATE, *PNDIS_MEDIA_DUPLEX_STATE;
typedef enum _NET_IF_OPER_STATUS {
    NET_IF_OPER_STATUS_UP = 1,
    NET_IF_OPER_STATUS_DOWN,
    NET_IF_OPER_STATUS_TESTING,
    NET_IF_OPER_STATUS_UNKNOWN,
    NET_IF_OPER_STATUS_DORMANT,
    NET_IF_OPER_STATUS_NOT_PRESENT,
    NET_IF_OPER_STATUS_LOWER_LAYER_DOWN
} NET_IF_OPER_STATUS, *PNET_IF_OPER_STATUS;

typedef enum _NDIS_INTERFACE_TYPE {
    NdisInterfaceInternal = Internal,
    NdisInterfaceIsa = Isa,
    NdisInterfaceEisa = Eisa,
    NdisInterfaceMca = MicroChannel,
    NdisInterfaceTurboChannel = TurboChannel,
    NdisInterfacePci = PCIBus,
    NdisInterfacePcMcia = PCMCIABus,
    NdisInterfaceCBus = CBus,
    NdisInterfaceMPIBus = MPIBus,
    NdisInterfaceMPSABus = MPSABus,
    NdisInterfaceProcessorInternal = ProcessorInternal,
    NdisInterfaceInternalPowerBus = InternalPowerBus,
    NdisInterfacePNPISABus = PNPISABus,
    NdisInterfacePNPBus = PNPBus,
    NdisInterfaceUSB,
    NdisInterfaceIrda,
    NdisInterface1394,
    NdisMaximumInterfaceType
} NDIS_INTERFACE_TYPE, *PNDIS_INTERFACE_TYPE;

typedef enum _NDIS_MEDIUM {
    NdisMedium802_3,
    NdisMedium802_5,
    NdisMediumFddi,
    NdisMediumWan,
    NdisMediumLocalTalk,
    NdisMediumDix,
    NdisMediumArcnetRaw,
    NdisMediumArcnet878_2,
    NdisMediumAtm,
    NdisMediumWirelessWan,
    NdisMediumIrda,
    NdisMediumBpc,
    NdisMediumCoWan,
    NdisMedium1394,
    NdisMediumInfiniBand,
    NdisMediumTunnel,
    NdisMediumNative802_11,
    NdisMediumLoopback,
    NdisMediumWiMAX,
    NdisMediumIP,
    NdisMediumMax
} NDIS_MEDIUM, *PNDIS_MEDIUM;

typedef enum _NDIS_PHYSICAL_MEDIUM {
    NdisPhysicalMediumUnspecified,
    NdisPhysicalMediumWirelessLan,
    NdisPhysicalMediumCableModem,
    NdisPhysicalMediumPhoneLine,
    NdisPhysicalMediumPowerLine,
    NdisPhysicalMediumDSL,
    NdisPhysicalMediumFibreChannel,
    NdisPhysicalMedium1394,
    NdisPhysicalMediumWirelessWan,
    NdisPhysicalMediumNative802_11,
    NdisPhysicalMediumBluetooth,
    NdisPhysicalMediumInfiniband,
    NdisPhysicalMediumWiMax,
    NdisPhysicalMediumUWB,
    NdisPhysicalMedium802_3,
    NdisPhysicalMedium802_5,
    NdisPhysicalMediumIrda,
    NdisPhysicalMediumWiredWAN,
    NdisPhysicalMediumWiredCoWan,
    NdisPhysicalMediumOther,
    NdisPhysicalMediumNative802_15_4,
    NdisPhysicalMediumMax
} NDIS_PHYSICAL_MEDIUM, *PNDIS_PHYSICAL_MEDIUM;

typedef enum _NDIS_HARDWARE_STATUS {
    NdisHardwareStatusReady,
    NdisHardwareStatusInitializing,
    NdisHardwareStatusReset,
    NdisHardwareStatusClosing,
    NdisHardwareStatusNotReady
} NDIS_HARDWARE_STATUS, *PNDIS_HARDWARE_STATUS;

typedef enum _NDIS_MEDIA_STATE { NdisMediaStateConnected, NdisMediaStateDisconnected } NDIS_MEDIA_STATE,
    *PNDIS_MEDIA_STATE;

typedef enum _NDIS_DEVICE_POWER_STATE {
    NdisDeviceStateUnspecified = 0,
    NdisDeviceStateD0,
    NdisDeviceStateD1,
    NdisDeviceStateD2,
    NdisDeviceStateD3,
    NdisDeviceStateMaximum
} NDIS_DEVICE_POWER_STATE, *PNDIS_DEVICE_POWER_STATE;

/* ------------------------------------------------------------------------
 * NDIS_STATUS codes: MDLKIT_NDIS_STATUS_CODES(X) calls X(name, value) for
 * each; the harness derives its name table from it.
 * ---------------------------------------------------------------------- */
#define MDLKIT_NDIS_STATUS_CODES(X)                                   \
    X(NDIS_STATUS_SUCCESS, 0x00000000L)                               \
    X(NDIS_STATUS_PENDING, 0x00000103L)                               \
    X(NDIS_STATUS_NOT_RECOGNIZED, 0x00010001L)                        \
    X(NDIS_STATUS_NOT_COPIED, 0x00010002L)                            \
    X(NDIS_STATUS_NOT_ACCEPTED, 0x00010003L)                          \
    X(NDIS_STATUS_CALL_ACTIVE, 0x00010007L)                           \
    X(NDIS_STATUS_INDICATION_REQUIRED, 0x00040001L)                   \
    X(NDIS_STATUS_ONLINE, 0x40010003L)                                \
    X(NDIS_STATUS_RESET_START, 0x40010004L)                           \
    X(NDIS_STATUS_RESET_END, 0x40010005L)                             \
    X(NDIS_STATUS_RING_STATUS, 0x40010006L)                           \
    X(NDIS_STATUS_CLOSED, 0x40010007L)                                \
    X(NDIS_STATUS_WAN_LINE_UP, 0x40010008L)                           \
    X(NDIS_STATUS_WAN_LINE_DOWN, 0x40010009L)                         \
    X(NDIS_STATUS_WAN_FRAGMENT, 0x4001000AL)                          \
    X(NDIS_STATUS_MEDIA_CONNECT, 0x4001000BL)                         \
    X(NDIS_STATUS_MEDIA_DISCONNECT, 0x4001000CL)                      \
    X(NDIS_STATUS_HARDWARE_LINE_UP, 0x4001000DL)                      \
    X(NDIS_STATUS_HARDWARE_LINE_DOWN, 0x4001000EL)                    \
    X(NDIS_STATUS_INTERFACE_UP, 0x4001000FL)                          \
    X(NDIS_STATUS_INTERFACE_DOWN, 0x40010010L)                        \
    X(NDIS_STATUS_MEDIA_BUSY, 0x40010011L)                            \
    X(NDIS_STATUS_MEDIA_SPECIFIC_INDICATION, 0x40010012L)             \
    X(NDIS_STATUS_LINK_SPEED_CHANGE, 0x40010013L)                     \
    X(NDIS_STATUS_WAN_GET_STATS, 0x40010014L)                         \
    X(NDIS_STATUS_WAN_CO_FRAGMENT, 0x40010015L)                       \
    X(NDIS_STATUS_WAN_CO_LINKPARAMS, 0x40010016L)                     \
    X(NDIS_STATUS_LINK_STATE, 0x40010017L)                            \
    X(NDIS_STATUS_NETWORK_CHANGE, 0x40010018L)                        \
    X(NDIS_STATUS_MEDIA_SPECIFIC_INDICATION_EX, 0x40010019L)          \
    X(NDIS_STATUS_PORT_STATE, 0x40010022L)                            \
    X(NDIS_STATUS_OPER_STATUS, 0x40010023L)                           \
    X(NDIS_STATUS_PACKET_FILTER, 0x40010024L)                         \
    X(NDIS_STATUS_OFFLOAD_CURRENT_CONFIG, 0x4002000EL)                \
    X(NDIS_STATUS_RECEIVE_QUEUE_STATE, 0x4002002CL)                   \
    X(NDIS_STATUS_QOS_CAPABILITIES_CHANGE, 0x40020040L)               \
    X(NDIS_STATUS_QOS_OPERATIONAL_PARAMETERS_CHANGE, 0x40020041L)     \
    X(NDIS_STATUS_QOS_REMOTE_PARAMETERS_CHANGE, 0x40020042L)          \
    X(NDIS_STATUS_BUFFER_OVERFLOW, 0x80000005L)                       \
    X(NDIS_STATUS_BUSY, 0x80000011L)                                  \
    X(NDIS_STATUS_NOT_RESETTABLE, 0x80010001L)                        \
    X(NDIS_STATUS_SOFT_ERRORS, 0x80010003L)                           \
    X(NDIS_STATUS_HARD_ERRORS, 0x80010004L)                           \
    X(NDIS_STATUS_FAILURE, 0xC0000001L)                               \
    X(NDIS_STATUS_INVALID_PARAMETER, 0xC000000DL)                     \
    X(NDIS_STATUS_INVALID_DEVICE_REQUEST, 0xC0000010L)                \
    X(NDIS_STATUS_RESOURCES, 0xC000009AL)                             \
    X(NDIS_STATUS_NOT_SUPPORTED, 0xC00000BBL)                         \
    X(NDIS_STATUS_CLOSING, 0xC0010002L)                               \
    X(NDIS_STATUS_BAD_VERSION, 0xC0010004L)                           \
    X(NDIS_STATUS_BAD_CHARACTERISTICS, 0xC0010005L)                   \
    X(NDIS_STATUS_ADAPTER_NOT_FOUND, 0xC0010006L)                     \
    X(NDIS_STATUS_OPEN_FAILED, 0xC0010007L)                           \
    X(NDIS_STATUS_DEVICE_FAILED, 0xC0010008L)                         \
    X(NDIS_STATUS_MULTICAST_FULL, 0xC0010009L)                        \
    X(NDIS_STATUS_MULTICAST_EXISTS, 0xC001000AL)                      \
    X(NDIS_STATUS_MULTICAST_NOT_FOUND, 0xC001000BL)                   \
    X(NDIS_STATUS_REQUEST_ABORTED, 0xC001000CL)                       \
    X(NDIS_STATUS_RESET_IN_PROGRESS, 0xC001000DL)                     \
    X(NDIS_STATUS_CLOSING_INDICATING, 0xC001000EL)                    \
    X(NDIS_STATUS_INVALID_PACKET, 0xC001000FL)                        \
    X(NDIS_STATUS_OPEN_LIST_FULL, 0xC0010010L)                        \
    X(NDIS_STATUS_ADAPTER_NOT_READY, 0xC0010011L)                     \
    X(NDIS_STATUS_ADAPTER_NOT_OPEN, 0xC0010012L)                      \
    X(NDIS_STATUS_NOT_INDICATING, 0xC0010013L)                        \
    X(NDIS_STATUS_INVALID_LENGTH, 0xC0010014L)                        \
    X(NDIS_STATUS_INVALID_DATA, 0xC0010015L)                          \
    X(NDIS_STATUS_BUFFER_TOO_SHORT, 0xC0010016L)                      \
    X(NDIS_STATUS_INVALID_OID, 0xC0010017L)                           \
    X(NDIS_STATUS_ADAPTER_REMOVED, 0xC0010018L)                       \
    X(NDIS_STATUS_UNSUPPORTED_MEDIA, 0xC0010019L)                     \
    X(NDIS_STATUS_GROUP_ADDRESS_IN_USE, 0xC001001AL)                  \
    X(NDIS_STATUS_FILE_NOT_FOUND, 0xC001001BL)                        \
    X(NDIS_STATUS_ERROR_READING_FILE, 0xC001001CL)                    \
    X(NDIS_STATUS_ALREADY_MAPPED, 0xC001001DL)                        \
    X(NDIS_STATUS_RESOURCE_CONFLICT, 0xC001001EL)                     \
    X(NDIS_STATUS_MEDIA_DISCONNECTED, 0xC001001FL)                    \
    X(NDIS_STATUS_INVALID_ADDRESS, 0xC0010022L)                       \
    X(NDIS_STATUS_PAUSED, 0xC023002AL)                                \
    X(NDIS_STATUS_INTERFACE_NOT_FOUND, 0xC023002BL)                   \
    X(NDIS_STATUS_UNSUPPORTED_REVISION, 0xC023002CL)                  \
    X(NDIS_STATUS_INVALID_PORT, 0xC023002DL)                          \
    X(NDIS_STATUS_INVALID_PORT_STATE, 0xC023002EL)                    \
    X(NDIS_STATUS_LOW_POWER_STATE, 0xC023002FL)                       \
    X(NDIS_STATUS_REINIT_REQUIRED, 0xC0230030L)                       \
    X(NDIS_STATUS_NO_QUEUES, 0xC0230031L)                             \
    X(NDIS_STATUS_SEND_ABORTED, 0xC0010024L)                          \
    X(NDIS_STATUS_OFFLOAD_POLICY, 0xC023100FL)                        \
    X(NDIS_STATUS_OFFLOAD_CONNECTION_REJECTED, 0xC0231012L)           \
    X(NDIS_STATUS_UPLOAD_ALL, 0xC0231013L)

#define MDLKIT_NDIS_STATUS_DEFINE_(name, value) MDLKIT_NDIS_STATUS_ENUM_##name = (int)value,
/* The codes as an enum (so a table can be built); the documented names are
 * the macros below. */
enum mdlkit_ndis_status_code { MDLKIT_NDIS_STATUS_CODES(MDLKIT_NDIS_STATUS_DEFINE_) MDLKIT_NDIS_STATUS_ENUM_END_ };
#undef MDLKIT_NDIS_STATUS_DEFINE_

#define NDIS_STATUS_SUCCESS ((NDIS_STATUS)0x00000000L)
#define NDIS_STATUS_PENDING ((NDIS_STATUS)0x00000103L)
#define NDIS_STATUS_NOT_RECOGNIZED ((NDIS_STATUS)0x00010001L)
#define NDIS_STATUS_NOT_COPIED ((NDIS_STATUS)0x00010002L)
#define NDIS_STATUS_NOT_ACCEPTED ((NDIS_STATUS)0x00010003L)
#define NDIS_STATUS_CALL_ACTIVE ((NDIS_STATUS)0x00010007L)
#define NDIS_STATUS_INDICATION_REQUIRED ((NDIS_STATUS)0x00040001L)
#define NDIS_STATUS_ONLINE ((NDIS_STATUS)0x40010003L)
#define NDIS_STATUS_RESET_START ((NDIS_STATUS)0x40010004L)
#define NDIS_STATUS_RESET_END ((NDIS_STATUS)0x40010005L)
#define NDIS_STATUS_RING_STATUS ((NDIS_STATUS)0x40010006L)
#define NDIS_STATUS_CLOSED ((NDIS_STATUS)0x40010007L)
#define NDIS_STATUS_WAN_LINE_UP ((NDIS_STATUS)0x40010008L)
#define NDIS_STATUS_WAN_LINE_DOWN ((NDIS_STATUS)0x40010009L)
#define NDIS_STATUS_WAN_FRAGMENT ((NDIS_STATUS)0x4001000AL)
#define NDIS_STATUS_MEDIA_CONNECT ((NDIS_STATUS)0x4001000BL)
#define NDIS_STATUS_MEDIA_DISCONNECT ((NDIS_STATUS)0x4001000CL)
#define NDIS_STATUS_HARDWARE_LINE_UP ((NDIS_STATUS)0x4001000DL)
#define NDIS_STATUS_HARDWARE_LINE_DOWN ((NDIS_STATUS)0x4001000EL)
#define NDIS_STATUS_INTERFACE_UP ((NDIS_STATUS)0x4001000FL)
#define NDIS_STATUS_INTERFACE_DOWN ((NDIS_STATUS)0x40010010L)
#define NDIS_STATUS_MEDIA_BUSY ((NDIS_STATUS)0x40010011L)
#define NDIS_STATUS_MEDIA_SPECIFIC_INDICATION ((NDIS_STATUS)0x40010012L)
#define NDIS_STATUS_LINK_SPEED_CHANGE ((NDIS_STATUS)0x40010013L)
#define NDIS_STATUS_WAN_GET_STATS ((NDIS_STATUS)0x40010014L)
#define NDIS_STATUS_WAN_CO_FRAGMENT ((NDIS_STATUS)0x40010015L)
#define NDIS_STATUS_WAN_CO_LINKPARAMS ((NDIS_STATUS)0x40010016L)
#define NDIS_STATUS_LINK_STATE ((NDIS_STATUS)0x40010017L)
#define NDIS_STATUS_NETWORK_CHANGE ((NDIS_STATUS)0x40010018L)
#define NDIS_STATUS_MEDIA_SPECIFIC_INDICATION_EX ((NDIS_STATUS)0x40010019L)
#define NDIS_STATUS_PORT_STATE ((NDIS_STATUS)0x40010022L)
#define NDIS_STATUS_OPER_STATUS ((NDIS_STATUS)0x40010023L)
#define NDIS_STATUS_PACKET_FILTER ((NDIS_STATUS)0x40010024L)
#define NDIS_STATUS_OFFLOAD_CURRENT_CONFIG ((NDIS_STATUS)0x4002000EL)
#define NDIS_STATUS_RECEIVE_QUEUE_STATE ((NDIS_STATUS)0x4002002CL)
#define NDIS_STATUS_QOS_CAPABILITIES_CHANGE ((NDIS_STATUS)0x40020040L)
#define NDIS_STATUS_QOS_OPERATIONAL_PARAMETERS_CHANGE ((NDIS_STATUS)0x40020041L)
#define NDIS_STATUS_QOS_REMOTE_PARAMETERS_CHANGE ((NDIS_STATUS)0x40020042L)
#define NDIS_STATUS_BUFFER_OVERFLOW ((NDIS_STATUS)0x80000005L)
#define NDIS_STATUS_BUSY ((NDIS_STATUS)0x80000011L)
#define NDIS_STATUS_NOT_RESETTABLE ((NDIS_STATUS)0x80010001L)
#define NDIS_STATUS_SOFT_ERRORS ((NDIS_STATUS)0x80010003L)
#define NDIS_STATUS_HARD_ERRORS ((NDIS_STATUS)0x80010004L)
#define NDIS_STATUS_FAILURE ((NDIS_STATUS)0xC0000001L)
#define NDIS_STATUS_INVALID_PARAMETER ((NDIS_STATUS)0xC000000DL)
#define NDIS_STATUS_INVALID_DEVICE_REQUEST ((NDIS_STATUS)0xC0000010L)
#define NDIS_STATUS_RESOURCES ((NDIS_STATUS)0xC000009AL)
#define NDIS_STATUS_NOT_SUPPORTED ((NDIS_STATUS)0xC00000BBL)
#define NDIS_STATUS_CLOSING ((NDIS_STATUS)0xC0010002L)
#define NDIS_STATUS_BAD_VERSION ((NDIS_STATUS)0xC0010004L)
#define NDIS_STATUS_BAD_CHARACTERISTICS ((NDIS_STATUS)0xC0010005L)
#define NDIS_STATUS_ADAPTER_NOT_FOUND ((NDIS_STATUS)0xC0010006L)
#define NDIS_STATUS_OPEN_FAILED ((NDIS_STATUS)0xC0010007L)
#define NDIS_STATUS_DEVICE_FAILED ((NDIS_STATUS)0xC0010008L)
#define NDIS_STATUS_MULTICAST_FULL ((NDIS_STATUS)0xC0010009L)
#define NDIS_STATUS_MULTICAST_EXISTS ((NDIS_STATUS)0xC001000AL)
#define NDIS_STATUS_MULTICAST_NOT_FOUND ((NDIS_STATUS)0xC001000BL)
#define NDIS_STATUS_REQUEST_ABORTED ((NDIS_STATUS)0xC001000CL)
#define NDIS_STATUS_RESET_IN_PROGRESS ((NDIS_STATUS)0xC001000DL)
#define NDIS_STATUS_CLOSING_INDICATING ((NDIS_STATUS)0xC001000EL)
#define NDIS_STATUS_INVALID_PACKET ((NDIS_STATUS)0xC001000FL)
#define NDIS_STATUS_OPEN_LIST_FULL ((NDIS_STATUS)0xC0010010L)
#define NDIS_STATUS_ADAPTER_NOT_READY ((NDIS_STATUS)0xC0010011L)
#define NDIS_STATUS_ADAPTER_NOT_OPEN ((NDIS_STATUS)0xC0010012L)
#define NDIS_STATUS_NOT_INDICATING ((NDIS_STATUS)0xC0010013L)
#define NDIS_STATUS_INVALID_LENGTH ((NDIS_STATUS)0xC0010014L)
#define NDIS_STATUS_INVALID_DATA ((NDIS_STATUS)0xC0010015L)
#define NDIS_STATUS_BUFFER_TOO_SHORT ((NDIS_STATUS)0xC0010016L)
#define NDIS_STATUS_INVALID_OID ((NDIS_STATUS)0xC0010017L)
#define NDIS_STATUS_ADAPTER_REMOVED ((NDIS_STATUS)0xC0010018L)
#define NDIS_STATUS_UNSUPPORTED_MEDIA ((NDIS_STATUS)0xC0010019L)
#define NDIS_STATUS_GROUP_ADDRESS_IN_USE ((NDIS_STATUS)0xC001001AL)
#define NDIS_STATUS_FILE_NOT_FOUND ((NDIS_STATUS)0xC001001BL)
#define NDIS_STATUS_ERROR_READING_FILE ((NDIS_STATUS)0xC001001CL)
#define NDIS_STATUS_ALREADY_MAPPED ((NDIS_STATUS)0xC001001DL)
#define NDIS_STATUS_RESOURCE_CONFLICT ((NDIS_STATUS)0xC001001EL)
#define NDIS_STATUS_MEDIA_DISCONNECTED ((NDIS_STATUS)0xC001001FL)
#define NDIS_STATUS_INVALID_ADDRESS ((NDIS_STATUS)0xC0010022L)
#define NDIS_STATUS_PAUSED ((NDIS_STATUS)0xC023002AL)
#define NDIS_STATUS_INTERFACE_NOT_FOUND ((NDIS_STATUS)0xC023002BL)
#define NDIS_STATUS_UNSUPPORTED_REVISION ((NDIS_STATUS)0xC023002CL)
#define NDIS_STATUS_INVALID_PORT ((NDIS_STATUS)0xC023002DL)
#define NDIS_STATUS_INVALID_PORT_STATE ((NDIS_STATUS)0xC023002EL)
#define NDIS_STATUS_LOW_POWER_STATE ((NDIS_STATUS)0xC023002FL)
#define NDIS_STATUS_REINIT_REQUIRED ((NDIS_STATUS)0xC0230030L)
#define NDIS_STATUS_NO_QUEUES ((NDIS_STATUS)0xC0230031L)
#define NDIS_STATUS_SEND_ABORTED ((NDIS_STATUS)0xC0010024L)
#define NDIS_STATUS_OFFLOAD_POLICY ((NDIS_STATUS)0xC023100FL)
#define NDIS_STATUS_OFFLOAD_CONNECTION_REJECTED ((NDIS_STATUS)0xC0231012L)
#define NDIS_STATUS_UPLOAD_ALL ((NDIS_STATUS)0xC0231013L)

/* ------------------------------------------------------------------------
 * Object headers: every NDIS 6 structure starts with one; NDIS checks
 * Type, and that Size is at least the NDIS_SIZEOF_..._REVISION_n of the
 * Revision given.
 * ---------------------------------------------------------------------- */
typedef struct _NDIS_OBJECT_HEADER {
    UCHAR Type;
    UCHAR Revision;
    USHORT Size;
} NDIS_OBJECT_HEADER, *PNDIS_OBJECT_HEADER;

#define NDIS_OBJECT_TYPE_DEFAULT 0x80
#define NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS 0x81
#define NDIS_OBJECT_TYPE_SG_DMA_DESCRIPTION 0x83
#define NDIS_OBJECT_TYPE_MINIPORT_INTERRUPT 0x84
#define NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES 0x85
#define NDIS_OBJECT_TYPE_BIND_PARAMETERS 0x86
#define NDIS_OBJECT_TYPE_OPEN_PARAMETERS 0x87
#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES 0x88
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS 0x89
#define NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS 0x8A
#define NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS 0x8B
#define NDIS_OBJECT_TYPE_FILTER_PARTIAL_CHARACTERISTICS 0x8C
#define NDIS_OBJECT_TYPE_FILTER_ATTRIBUTES 0x8D
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8E
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_GENERIC_CHARACTERISTICS 0x8F
#define NDIS_OBJECT_TYPE_CO_PROTOCOL_CHARACTERISTICS 0x90
#define NDIS_OBJECT_TYPE_CO_MINIPORT_CHARACTERISTICS 0x91
#define NDIS_OBJECT_TYPE_MINIPORT_PNP_CHARACTERISTICS 0x92
#define NDIS_OBJECT_TYPE_CLIENT_CHIMNEY_OFFLOAD_CHARACTERISTICS 0x93
#define NDIS_OBJECT_TYPE_PROVIDER_CHIMNEY_OFFLOAD_CHARACTERISTICS 0x94
#define NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS 0x95
#define NDIS_OBJECT_TYPE_REQUEST_EX 0x96
#define NDIS_OBJECT_TYPE_OID_REQUEST 0x96
#define NDIS_OBJECT_TYPE_TIMER_CHARACTERISTICS 0x97
#define NDIS_OBJECT_TYPE_STATUS_INDICATION 0x98
#define NDIS_OBJECT_TYPE_FILTER_ATTACH_PARAMETERS 0x99
#define NDIS_OBJECT_TYPE_FILTER_PAUSE_PARAMETERS 0x9A
#define NDIS_OBJECT_TYPE_FILTER_RESTART_PARAMETERS 0x9B
#define NDIS_OBJECT_TYPE_PORT_CHARACTERISTICS 0x9C
#define NDIS_OBJECT_TYPE_PORT_STATE 0x9D
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES 0x9E
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES 0x9F
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_OFFLOAD_ATTRIBUTES 0xA0
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NATIVE_802_11_ATTRIBUTES 0xA1
#define NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES 0xA2
#define NDIS_OBJECT_TYPE_PROTOCOL_RESTART_PARAMETERS 0xA3
#define NDIS_OBJECT_TYPE_MINIPORT_ADD_DEVICE_REGISTRATION_ATTRIBUTES 0xA4
#define NDIS_OBJECT_TYPE_CO_CALL_MANAGER_OPTIONAL_HANDLERS 0xA5
#define NDIS_OBJECT_TYPE_CO_CLIENT_OPTIONAL_HANDLERS 0xA6
#define NDIS_OBJECT_TYPE_OFFLOAD 0xA7
#define NDIS_OBJECT_TYPE_OFFLOAD_ENCAPSULATION 0xA8
#define NDIS_OBJECT_TYPE_CONFIGURATION_OBJECT 0xA9
#define NDIS_OBJECT_TYPE_DRIVER_WRAPPER_OBJECT 0xAA
#define NDIS_OBJECT_TYPE_HD_SPLIT_ATTRIBUTES 0xAB
#define NDIS_OBJECT_TYPE_NSI_NETWORK_RW_STRUCT 0xAC
#define NDIS_OBJECT_TYPE_NSI_COMPARTMENT_RW_STRUCT 0xAD
#define NDIS_OBJECT_TYPE_NSI_INTERFACE_PERSIST_RW_STRUCT 0xAE
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_HARDWARE_ASSIST_ATTRIBUTES 0xAF
#define NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS 0xB0
#define NDIS_OBJECT_TYPE_RSS_PROCESSOR_INFO 0xB1
#define NDIS_OBJECT_TYPE_NDK_PROVIDER_CHARACTERISTICS 0xB2
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_NDK_ATTRIBUTES 0xB3
#define NDIS_OBJECT_TYPE_MINIPORT_SS_CHARACTERISTICS 0xB4
#define NDIS_OBJECT_TYPE_QOS_CAPABILITIES 0xB5
#define NDIS_OBJECT_TYPE_QOS_PARAMETERS 0xB6
#define NDIS_OBJECT_TYPE_QOS_CLASSIFICATION_ELEMENT 0xB7
#define NDIS_OBJECT_TYPE_SWITCH_OPTIONAL_HANDLERS 0xB8
#define NDIS_OBJECT_TYPE_PD_TRANSMIT_QUEUE 0xBE
#define NDIS_OBJECT_TYPE_PD_RECEIVE_QUEUE 0xBF
#define NDIS_OBJECT_TYPE_MINIPORT_ADAPTER_PACKET_DIRECT_ATTRIBUTES 0xC5
#define NDIS_OBJECT_TYPE_MINIPORT_DEVICE_POWER_NOTIFICATION 0xC6
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS_V2 0xC8
#define NDIS_OBJECT_TYPE_RSS_SET_INDIRECTION_ENTRIES 0xC9

#define NDIS_SIZEOF_THROUGH_FIELD_(type, field) ((USHORT)RTL_SIZEOF_THROUGH_FIELD(type, field))

/* The header checks NDIS makes of a structure a driver passes in. */
#define NDIS_CHECK_HEADER_(h, type, rev, size)                                                          \
    ((h)->Type == (type) && (h)->Revision >= (rev) && (h)->Size >= (size))

/* ------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------- */
typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;
typedef ANSI_STRING NDIS_ANSI_STRING, *PNDIS_ANSI_STRING;
#define NDIS_STRING_CONST(x) {sizeof(L##x) - sizeof(WCHAR), sizeof(L##x), (PWSTR)L##x}
#define NdisInitUnicodeString(Destination, Source) RtlInitUnicodeString(Destination, Source)
#define NdisInitializeString(Destination, Source) RtlInitUnicodeString(Destination, Source)
#define NdisEqualString(String1, String2, CaseInsensitive) RtlEqualUnicodeString(String1, String2, CaseInsensitive)

/* ------------------------------------------------------------------------
 * Memory helpers
 * ---------------------------------------------------------------------- */
#define NdisZeroMemory(Destination, Length) RtlZeroMemory(Destination, Length)
#define NdisMoveMemory(Destination, Source, Length) RtlCopyMemory(Destination, Source, Length)
#define NdisFillMemory(Destination, Length, Fill) RtlFillMemory(Destination, Length, Fill)
#define NdisEqualMemory(Source1, Source2, Length) RtlEqualMemory(Source1, Source2, Length)
#define NdisRetrieveUlong(DestinationAddress, SourceAddress) \
    RtlCopyMemory((DestinationAddress), (SourceAddress), sizeof(ULONG))
#define NdisStoreUlong(DestinationAddress, Value)                \
    do {                                                         \
        ULONG mdlkit_v_ = (ULONG)(Value);                        \
        RtlCopyMemory((DestinationAddress), &mdlkit_v_, sizeof(ULONG)); \
    } while (0)
#define NDIS_GET_PHYSICAL_ADDRESS_LOW(PhysicalAddress) ((PhysicalAddress).LowPart)
#define NDIS_GET_PHYSICAL_ADDRESS_HIGH(PhysicalAddress) ((PhysicalAddress).HighPart)
#define NdisGetPhysicalAddressLow(PhysicalAddress) ((PhysicalAddress).LowPart)
#define NdisGetPhysicalAddressHigh(PhysicalAddress) ((PhysicalAddress).HighPart)
#define NdisSetPhysicalAddressLow(PhysicalAddress, Value) ((PhysicalAddress).LowPart = (Value))
#define NdisSetPhysicalAddressHigh(PhysicalAddress, Value) ((PhysicalAddress).HighPart = (Value))
#define NDIS_PHYSICAL_ADDRESS_CONST(Low, High) {{(ULONG)(Low), (LONG)(High)}}

/* ------------------------------------------------------------------------
 * IRQL helpers
 * ---------------------------------------------------------------------- */
#define NDIS_CURRENT_IRQL() KeGetCurrentIrql()
#define NDIS_RAISE_IRQL_TO_DISPATCH(pIrql) KeRaiseIrql(DISPATCH_LEVEL, (pIrql))
#define NDIS_LOWER_IRQL(OldIrql, CurrentIrql) KeLowerIrql(OldIrql)
#define NDIS_TEST_IRQL_ASSERT_(x) ((void)0)

/* ------------------------------------------------------------------------
 * Spin locks (NdisAllocateSpinLock ... ; implemented in ndislock.c)
 * ---------------------------------------------------------------------- */
typedef struct _NDIS_SPIN_LOCK {
    KSPIN_LOCK SpinLock;
    KIRQL OldIrql;
} NDIS_SPIN_LOCK, *PNDIS_SPIN_LOCK;

/* NDIS 5 read/write lock (NdisInitializeReadWriteLock) */
typedef union _NDIS_RW_LOCK_REFCOUNT {
    ULONG RefCount;
    UCHAR cacheLine[16];
} NDIS_RW_LOCK_REFCOUNT;
typedef struct _NDIS_RW_LOCK {
    union {
        struct {
            KSPIN_LOCK SpinLock;
            PVOID Context;
        };
        UCHAR Reserved[16];
    };
    union {
        NDIS_RW_LOCK_REFCOUNT RefCount[64]; /* MAXIMUM_PROCESSORS on x64 */
        ULONG RefCountEx[sizeof(NDIS_RW_LOCK_REFCOUNT) / sizeof(ULONG) * 64];
        struct {
            KSPIN_LOCK RefCountLock;
            volatile ULONG SharedRefCount;
            volatile BOOLEAN WriterWaiting;
        };
    };
} NDIS_RW_LOCK, *PNDIS_RW_LOCK;
typedef struct _LOCK_STATE {
    USHORT LockState;
    KIRQL OldIrql;
} LOCK_STATE, *PLOCK_STATE;

/* NDIS 6.20 read/write lock (NdisAllocateRWLock). Opaque. */
typedef struct _NDIS_RW_LOCK_EX NDIS_RW_LOCK_EX, *PNDIS_RW_LOCK_EX;
typedef struct _LOCK_STATE_EX {
    KIRQL OldIrql;
    UCHAR LockState;
    UCHAR Flags;
} LOCK_STATE_EX, *PLOCK_STATE_EX;
#define NDIS_RWL_AT_DISPATCH_LEVEL 1

/* ------------------------------------------------------------------------
 * Lists and interlocked helpers
 * ---------------------------------------------------------------------- */
#define NdisInitializeListHead(ListHead) InitializeListHead(ListHead)
#define NdisInterlockedIncrement(Addend) InterlockedIncrement(Addend)
#define NdisInterlockedDecrement(Addend) InterlockedDecrement(Addend)
#define NdisInterlockedAddUlong(Addend, Increment, SpinLock) \
    ExInterlockedAddUlong((Addend), (Increment), &(SpinLock)->SpinLock)
#define NdisInterlockedExchange(Target, Value) InterlockedExchange((Target), (Value))
#define NdisInterlockedCompareExchange(Destination, Exchange, Comparand) \
    InterlockedCompareExchange((Destination), (Exchange), (Comparand))
#define NdisInitializeSListHead(SListHead) InitializeSListHead(SListHead)
#define NdisQueryDepthSList(SListHead) QueryDepthSList(SListHead)

/* ------------------------------------------------------------------------
 * Ethernet helpers
 * ---------------------------------------------------------------------- */
#define ETH_LENGTH_OF_ADDRESS 6
#define ETH_IS_BROADCAST(Address) \
    ((((PUCHAR)(Address))[0] == 0xFF) && (((PUCHAR)(Address))[1] == 0xFF) && \
     (((PUCHAR)(Address))[2] == 0xFF) && (((PUCHAR)(Address))[3] == 0xFF) && \
     (((PUCHAR)(Address))[4] == 0xFF) && (((PUCHAR)(Address))[5] == 0xFF))
#define ETH_IS_MULTICAST(Address) ((BOOLEAN)(((PUCHAR)(Address))[0] & 0x01))
#define ETH_IS_LOCALLY_ADMINISTERED(Address) ((BOOLEAN)(((PUCHAR)(Address))[0] & 0x02))
#define ETH_COMPARE_NETWORK_ADDRESSES(A, B, Result)                  \
    do {                                                             \
        int mdlkit_c_ = __builtin_memcmp((A), (B), ETH_LENGTH_OF_ADDRESS);     \
        *(Result) = mdlkit_c_ < 0 ? -1 : mdlkit_c_ > 0 ? 1 : 0;      \
    } while (0)
#define ETH_COMPARE_NETWORK_ADDRESSES_EQ(A, B, Result) \
    (*(Result) = __builtin_memcmp((A), (B), ETH_LENGTH_OF_ADDRESS) != 0)
#define ETH_COPY_NETWORK_ADDRESS(D, S) RtlCopyMemory((D), (S), ETH_LENGTH_OF_ADDRESS)

/* ------------------------------------------------------------------------
 * Configuration (NdisOpenConfigurationEx ...; config.c). The values are
 * the ones the test gave its adapter (mdlkit_ndis_adapter_params).
 * ---------------------------------------------------------------------- */
typedef enum _NDIS_PARAMETER_TYPE {
    NdisParameterInteger,
    NdisParameterHexInteger,
    NdisParameterString,
    NdisParameterMultiString,
    NdisParameterBinary
} NDIS_PARAMETER_TYPE, *PNDIS_PARAMETER_TYPE;

typedef struct _BINARY_DATA {
    USHORT Length;
    PVOID Buffer;
} BINARY_DATA;

typedef struct _NDIS_CONFIGURATION_PARAMETER {
    NDIS_PARAMETER_TYPE ParameterType;
    union {
        ULONG IntegerData;
        NDIS_STRING StringData;
        BINARY_DATA BinaryData;
    } ParameterData;
} NDIS_CONFIGURATION_PARAMETER, *PNDIS_CONFIGURATION_PARAMETER;

#define NDIS_CONFIGURATION_OBJECT_REVISION_1 1
#define NDIS_CONFIG_FLAG_FILTER_INSTANCE_CONFIGURATION 0x00000001
typedef struct _NDIS_CONFIGURATION_OBJECT {
    NDIS_OBJECT_HEADER Header;
    NDIS_HANDLE NdisHandle;
    ULONG Flags;
} NDIS_CONFIGURATION_OBJECT, *PNDIS_CONFIGURATION_OBJECT;
#define NDIS_SIZEOF_CONFIGURATION_OBJECT_REVISION_1 NDIS_SIZEOF_THROUGH_FIELD_(NDIS_CONFIGURATION_OBJECT, Flags)

#endif /* MDLKIT_MKNDIS_TYPES_H */
