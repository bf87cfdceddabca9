/*
 * mkndis/filter.h -- part of mdlkit's <ndis.h>; not meant to be included
 * directly. Contents: what an NDIS 6 lightweight filter driver registers
 * with (its characteristics, the FilterXxx handler types, attach / pause /
 * restart parameters, filter attributes), the restart attributes NDIS
 * hands down a stack, network PnP event notifications, and NDIS_EVENT.
 * Names, values and layouts are the documented ones; the text is
 * mdlkit's. What mdlkit implements of a filter's life is in docs/ndis.md,
 * "Filter drivers"; every routine declared here is implemented.
 */
#ifndef MDLKIT_MKNDIS_FILTER_H
#define MDLKIT_MKNDIS_FILTER_H

/* ------------------------------------------------------------------------
 * NDIS_EVENT: a notification event NDIS drivers wait on at PASSIVE_LEVEL
 * ---------------------------------------------------------------------- */
typedef struct _NDIS_EVENT {
    KEVENT Event;
} NDIS_EVENT, *PNDIS_EVENT;

NDIS_API void NdisInitializeEvent(PNDIS_EVENT Event);
NDIS_API void NdisSetEvent(PNDIS_EVENT Event);
NDIS_API void NdisResetEvent(PNDIS_EVENT Event);
/* Waits up to MsToWait milliseconds (0: for ever); TRUE if signalled. */
NDIS_API BOOLEAN NdisWaitEvent(PNDIS_EVENT Event, UINT MsToWait);

/* ------------------------------------------------------------------------
 * Restart attributes: the general block (OID_GEN_MINIPORT_RESTART_ATTRIBUTES)
 * ---------------------------------------------------------------------- */
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_1 1
#define NDIS_RESTART_GENERAL_ATTRIBUTES_REVISION_2 2
#define NDIS_OBJECT_TYPE_RESTART_GENERIC_ATTRIBUTES NDIS_OBJECT_TYPE_RESTART_GENERAL_ATTRIBUTES
typedef struct _NDIS_RESTART_GENERAL_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG MtuSize;
    ULONG64 MaxXmitLinkSpeed;
    ULONG64 MaxRcvLinkSpeed;
    ULONG LookaheadSize;
    ULONG MacOptions;
    ULONG SupportedPacketFilters;
    ULONG MaxMulticastListSize;
    PNDIS_RECEIVE_SCALE_CAPABILITIES RecvScaleCapabilities;
    NET_IF_ACCESS_TYPE AccessType;
    ULONG Flags;
    NET_IF_CONNECTION_TYPE ConnectionType;
    ULONG SupportedStatistics;
    ULONG DataBackFillSize;
    ULONG ContextBackFillSize;
    PNDIS_OID SupportedOidList;
    ULONG SupportedOidListLength;
    ULONG MaxLookaheadSizeAccessed; /* revision 2 (NDIS 6.20) */
} NDIS_RESTART_GENERAL_ATTRIBUTES, *PNDIS_RESTART_GENERAL_ATTRIBUTES;
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_RESTART_GENERAL_ATTRIBUTES, SupportedOidListLength)
#define NDIS_SIZEOF_RESTART_GENERAL_ATTRIBUTES_REVISION_2 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_RESTART_GENERAL_ATTRIBUTES, MaxLookaheadSizeAccessed)

/* ------------------------------------------------------------------------
 * Network PnP events (NetEventXxx) as NDIS gives them to filters and
 * protocols
 * ---------------------------------------------------------------------- */
typedef enum _NET_PNP_EVENT_CODE {
    NetEventSetPower,
    NetEventQueryPower,
    NetEventQueryRemoveDevice,
    NetEventCancelRemoveDevice,
    NetEventReconfigure,
    NetEventBindList,
    NetEventBindsComplete,
    NetEventPnPCapabilities,
    NetEventPause,
    NetEventRestart,
    NetEventPortActivation,
    NetEventPortDeactivation,
    NetEventIMReEnableDevice
} NET_PNP_EVENT_CODE, *PNET_PNP_EVENT_CODE;

typedef struct _NET_PNP_EVENT {
    NET_PNP_EVENT_CODE NetEvent;
    PVOID Buffer;
    ULONG BufferLength;
    ULONG_PTR NdisReserved[4];
    ULONG_PTR TransportReserved[4];
    ULONG_PTR TdiReserved[4];
    ULONG_PTR TdiClientReserved[4];
} NET_PNP_EVENT, *PNET_PNP_EVENT;

#define NET_PNP_EVENT_NOTIFICATION_REVISION_1 1
typedef struct _NET_PNP_EVENT_NOTIFICATION {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NET_PNP_EVENT NetPnPEvent;
    ULONG Flags;
} NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;
#define NDIS_SIZEOF_NET_PNP_EVENT_NOTIFICATION_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NET_PNP_EVENT_NOTIFICATION, Flags)

/* ------------------------------------------------------------------------
 * Filter module parameters
 * ---------------------------------------------------------------------- */
typedef struct _NDIS_HD_SPLIT_CURRENT_CONFIG NDIS_HD_SPLIT_CURRENT_CONFIG, *PNDIS_HD_SPLIT_CURRENT_CONFIG;
typedef struct _NDIS_NIC_SWITCH_INFO_ARRAY NDIS_NIC_SWITCH_INFO_ARRAY, *PNDIS_NIC_SWITCH_INFO_ARRAY;

#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_1 1
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_2 2
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_3 3
#define NDIS_FILTER_ATTACH_PARAMETERS_REVISION_4 4
typedef struct _NDIS_FILTER_ATTACH_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_STRING FilterModuleGuidName;
    NET_IFINDEX BaseMiniportIfIndex;
    PNDIS_STRING BaseMiniportInstanceName;
    PNDIS_STRING BaseMiniportName;
    NDIS_MEDIA_CONNECT_STATE MediaConnectState;
    NET_IF_MEDIA_DUPLEX_STATE MediaDuplexState;
    ULONG64 XmitLinkSpeed;
    ULONG64 RcvLinkSpeed;
    NDIS_MEDIUM MiniportMediaType;
    NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
    NDIS_HANDLE MiniportMediaSpecificAttributes;
    PNDIS_OFFLOAD DefaultOffloadConfiguration;
    USHORT MacAddressLength;
    UCHAR CurrentMacAddress[NDIS_MAX_PHYS_ADDRESS_LENGTH];
    NET_LUID BaseMiniportNetLuid;
    NET_IFINDEX LowerIfIndex;
    NET_LUID LowerIfNetLuid;
    ULONG Flags;
    PNDIS_HD_SPLIT_CURRENT_CONFIG HDSplitCurrentConfig;            /* revision 2 */
    PNDIS_RECEIVE_FILTER_CAPABILITIES ReceiveFilterCapabilities;   /* revision 3 */
    PDEVICE_OBJECT MiniportPhysicalDeviceObject;
    PNDIS_NIC_SWITCH_CAPABILITIES NicSwitchCapabilities;
    BOOLEAN BaseMiniportIfConnectorPresent;                        /* revision 4 */
    PNDIS_SRIOV_CAPABILITIES SriovCapabilities;
    PNDIS_NIC_SWITCH_INFO_ARRAY NicSwitchArray;
} NDIS_FILTER_ATTACH_PARAMETERS, *PNDIS_FILTER_ATTACH_PARAMETERS;
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_ATTACH_PARAMETERS, Flags)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_2 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_ATTACH_PARAMETERS, HDSplitCurrentConfig)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_3 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_ATTACH_PARAMETERS, NicSwitchCapabilities)
#define NDIS_SIZEOF_FILTER_ATTACH_PARAMETERS_REVISION_4 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_ATTACH_PARAMETERS, NicSwitchArray)

#define NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1 1
typedef struct _NDIS_FILTER_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason;
} NDIS_FILTER_PAUSE_PARAMETERS, *PNDIS_FILTER_PAUSE_PARAMETERS;
#define NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_PAUSE_PARAMETERS, PauseReason)

#define NDIS_FILTER_RESTART_PARAMETERS_REVISION_1 1
typedef struct _NDIS_FILTER_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    NDIS_MEDIUM MiniportMediaType;
    NDIS_PHYSICAL_MEDIUM MiniportPhysicalMediaType;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    NET_IFINDEX LowerIfIndex;
    NET_LUID LowerIfNetLuid;
    ULONG Flags;
} NDIS_FILTER_RESTART_PARAMETERS, *PNDIS_FILTER_RESTART_PARAMETERS;
#define NDIS_SIZEOF_FILTER_RESTART_PARAMETERS_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_RESTART_PARAMETERS, Flags)

#define NDIS_FILTER_ATTRIBUTES_REVISION_1 1
typedef struct _NDIS_FILTER_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
} NDIS_FILTER_ATTRIBUTES, *PNDIS_FILTER_ATTRIBUTES;
#define NDIS_SIZEOF_FILTER_ATTRIBUTES_REVISION_1 NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_ATTRIBUTES, Flags)

/* ------------------------------------------------------------------------
 * FilterXxx handlers (role types and pointer types)
 * ---------------------------------------------------------------------- */
typedef SET_OPTIONS FILTER_SET_OPTIONS;
typedef NDIS_STATUS FILTER_SET_MODULE_OPTIONS(NDIS_HANDLE FilterModuleContext);
typedef FILTER_SET_MODULE_OPTIONS(*FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER);
typedef NDIS_STATUS FILTER_ATTACH(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                  PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters);
typedef FILTER_ATTACH(*FILTER_ATTACH_HANDLER);
typedef void FILTER_DETACH(NDIS_HANDLE FilterModuleContext);
typedef FILTER_DETACH(*FILTER_DETACH_HANDLER);
typedef NDIS_STATUS FILTER_RESTART(NDIS_HANDLE FilterModuleContext,
                                   PNDIS_FILTER_RESTART_PARAMETERS RestartParameters);
typedef FILTER_RESTART(*FILTER_RESTART_HANDLER);
typedef NDIS_STATUS FILTER_PAUSE(NDIS_HANDLE FilterModuleContext, PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters);
typedef FILTER_PAUSE(*FILTER_PAUSE_HANDLER);
typedef void FILTER_SEND_NET_BUFFER_LISTS(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                          NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS(*FILTER_SEND_NET_BUFFER_LISTS_HANDLER);
typedef void FILTER_SEND_NET_BUFFER_LISTS_COMPLETE(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                                   ULONG SendCompleteFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS_COMPLETE(*FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);
typedef void FILTER_CANCEL_SEND_NET_BUFFER_LISTS(NDIS_HANDLE FilterModuleContext, PVOID CancelId);
typedef FILTER_CANCEL_SEND_NET_BUFFER_LISTS(*FILTER_CANCEL_SEND_HANDLER);
typedef void FILTER_RECEIVE_NET_BUFFER_LISTS(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                             NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                             ULONG ReceiveFlags);
typedef FILTER_RECEIVE_NET_BUFFER_LISTS(*FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER);
typedef void FILTER_RETURN_NET_BUFFER_LISTS(NDIS_HANDLE FilterModuleContext, PNET_BUFFER_LIST NetBufferLists,
                                            ULONG ReturnFlags);
typedef FILTER_RETURN_NET_BUFFER_LISTS(*FILTER_RETURN_NET_BUFFER_LISTS_HANDLER);
typedef NDIS_STATUS FILTER_OID_REQUEST(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest);
typedef FILTER_OID_REQUEST(*FILTER_OID_REQUEST_HANDLER);
typedef void FILTER_OID_REQUEST_COMPLETE(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                         NDIS_STATUS Status);
typedef FILTER_OID_REQUEST_COMPLETE(*FILTER_OID_REQUEST_COMPLETE_HANDLER);
typedef void FILTER_CANCEL_OID_REQUEST(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_OID_REQUEST(*FILTER_CANCEL_OID_REQUEST_HANDLER);
typedef void FILTER_DEVICE_PNP_EVENT_NOTIFY(NDIS_HANDLE FilterModuleContext, PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef FILTER_DEVICE_PNP_EVENT_NOTIFY(*FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER);
typedef NDIS_STATUS FILTER_NET_PNP_EVENT(NDIS_HANDLE FilterModuleContext,
                                         PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef FILTER_NET_PNP_EVENT(*FILTER_NET_PNP_EVENT_HANDLER);
typedef void FILTER_STATUS(NDIS_HANDLE FilterModuleContext, PNDIS_STATUS_INDICATION StatusIndication);
typedef FILTER_STATUS(*FILTER_STATUS_HANDLER);
typedef NDIS_STATUS FILTER_DIRECT_OID_REQUEST(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest);
typedef FILTER_DIRECT_OID_REQUEST(*FILTER_DIRECT_OID_REQUEST_HANDLER);
typedef void FILTER_DIRECT_OID_REQUEST_COMPLETE(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                                NDIS_STATUS Status);
typedef FILTER_DIRECT_OID_REQUEST_COMPLETE(*FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER);
typedef void FILTER_CANCEL_DIRECT_OID_REQUEST(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_DIRECT_OID_REQUEST(*FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER);
typedef NDIS_STATUS FILTER_SYNCHRONOUS_OID_REQUEST(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                                   PVOID *CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST(*FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER);
typedef void FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE(NDIS_HANDLE FilterModuleContext, PNDIS_OID_REQUEST OidRequest,
                                                     PVOID CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE(*FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER);

/* ------------------------------------------------------------------------
 * Characteristics
 * ---------------------------------------------------------------------- */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_1 1 /* NDIS 6.0 */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_2 2 /* NDIS 6.1: direct OID requests */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_3 3 /* NDIS 6.80: synchronous OID requests */

/* Flags */
#define NDIS_FILTER_DRIVER_MANDATORY 0x00000001
#define NDIS_FILTER_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE 0x00000002
#define NDIS_FILTER_DRIVER_SUPPORTS_L2_MTU_SIZE_CHANGE 0x00000004

typedef struct _NDIS_FILTER_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING FriendlyName;
    NDIS_STRING UniqueName;
    NDIS_STRING ServiceName;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER SetFilterModuleOptionsHandler;
    FILTER_ATTACH_HANDLER AttachHandler;
    FILTER_DETACH_HANDLER DetachHandler;
    FILTER_RESTART_HANDLER RestartHandler;
    FILTER_PAUSE_HANDLER PauseHandler;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    FILTER_OID_REQUEST_HANDLER OidRequestHandler;
    FILTER_OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    FILTER_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    FILTER_NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    FILTER_STATUS_HANDLER StatusHandler;
    /* revision 2 */
    FILTER_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
    FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    /* revision 3 */
    FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER SynchronousOidRequestCompleteHandler;
} NDIS_FILTER_DRIVER_CHARACTERISTICS, *PNDIS_FILTER_DRIVER_CHARACTERISTICS;
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_DRIVER_CHARACTERISTICS, StatusHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_DRIVER_CHARACTERISTICS, SynchronousOidRequestCompleteHandler)

/* The data-path handlers a filter module may change per module
 * (NdisSetOptionalHandlers from FilterSetModuleOptions). */
#define NDIS_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 1
typedef struct _NDIS_FILTER_PARTIAL_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
} NDIS_FILTER_PARTIAL_CHARACTERISTICS, *PNDIS_FILTER_PARTIAL_CHARACTERISTICS;
#define NDIS_SIZEOF_FILTER_PARTIAL_CHARACTERISTICS_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_FILTER_PARTIAL_CHARACTERISTICS, ReturnNetBufferListsHandler)

/* ------------------------------------------------------------------------
 * Control devices (NdisRegisterDeviceEx): a device object for a miniport or
 * filter driver, not a PnP device, with its own dispatch routines
 * ---------------------------------------------------------------------- */
#define NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 1
typedef struct _NDIS_DEVICE_OBJECT_ATTRIBUTES {
    NDIS_OBJECT_HEADER Header;
    PNDIS_STRING DeviceName;
    PNDIS_STRING SymbolicName;
    PDRIVER_DISPATCH *MajorFunctions; /* IRP_MJ_MAXIMUM_FUNCTION + 1 entries, NULL for none */
    ULONG ExtensionSize;
    PCUNICODE_STRING DefaultSDDLString;
    LPCGUID DeviceClassGuid;
} NDIS_DEVICE_OBJECT_ATTRIBUTES, *PNDIS_DEVICE_OBJECT_ATTRIBUTES;
#define NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 \
    NDIS_SIZEOF_THROUGH_FIELD_(NDIS_DEVICE_OBJECT_ATTRIBUTES, DeviceClassGuid)

/* At PASSIVE_LEVEL, with a handle from NdisMRegisterMiniportDriver or
 * NdisFRegisterFilterDriver. */
NDIS_API NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle, PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                          PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle);
NDIS_API void NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle);
/* The ExtensionSize bytes of a device NdisRegisterDeviceEx created; NULL
 * for any other device. Any IRQL. */
NDIS_API PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject);

/* ------------------------------------------------------------------------
 * Filter driver routines
 * ---------------------------------------------------------------------- */
/* From DriverEntry, at PASSIVE_LEVEL. */
NDIS_API NDIS_STATUS NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                                               PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
                                               PNDIS_HANDLE NdisFilterDriverHandle);
/* From the driver's unload routine, at PASSIVE_LEVEL. */
NDIS_API void NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle);

#endif /* MDLKIT_MKNDIS_FILTER_H */
