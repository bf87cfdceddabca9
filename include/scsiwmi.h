/*
 * scsiwmi.h -- mdlkit's own text of the SCSI/StorPort WMI helper library
 * interface (ScsiPortWmi*). WMI has no consumer in a test process: the
 * port never sends SRB_FUNCTION_WMI, and ScsiPortWmiDispatchFunction
 * answers FALSE with SRB_STATUS_ERROR as the library does for a request
 * it cannot route (docs/storport.md). Names and layouts are the
 * documented ones; the text is mdlkit's.
 */
#ifndef MDLKIT_SCSIWMI_H
#define MDLKIT_SCSIWMI_H

#include <storport.h>
#include <guiddef.h>

MDLKIT_EXTERN_C_BEGIN

typedef struct _SCSIWMI_REQUEST_CONTEXT {
    PVOID UserContext;
    ULONG BufferSize;
    PUCHAR Buffer;
    UCHAR MinorFunction;
    UCHAR ReturnStatus;
    ULONG ReturnSize;
} SCSIWMI_REQUEST_CONTEXT, *PSCSIWMI_REQUEST_CONTEXT;

typedef struct _SCSIWMIGUIDREGINFO {
    const GUID *Guid;
    ULONG InstanceCount;
    ULONG Flags;
} SCSIWMIGUIDREGINFO, *PSCSIWMIGUIDREGINFO;

typedef UCHAR (*PSCSIWMI_QUERY_REGINFO)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                        PWCHAR *MofResourceName);
typedef BOOLEAN (*PSCSIWMI_QUERY_DATABLOCK)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                            ULONG GuidIndex, ULONG InstanceIndex, ULONG InstanceCount,
                                            PULONG InstanceLengthArray, ULONG BufferAvail, PUCHAR Buffer);
typedef BOOLEAN (*PSCSIWMI_SET_DATABLOCK)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                          ULONG GuidIndex, ULONG InstanceIndex, ULONG BufferSize, PUCHAR Buffer);
typedef BOOLEAN (*PSCSIWMI_SET_DATAITEM)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                         ULONG GuidIndex, ULONG InstanceIndex, ULONG DataItemId, ULONG BufferSize,
                                         PUCHAR Buffer);
typedef BOOLEAN (*PSCSIWMI_EXECUTE_METHOD)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                           ULONG GuidIndex, ULONG InstanceIndex, ULONG MethodId,
                                           ULONG InBufferSize, ULONG OutBufferSize, PUCHAR Buffer);
typedef enum { ScsiWmiEventControl, ScsiWmiDataBlockControl } SCSIWMI_ENABLE_DISABLE_CONTROL;
typedef BOOLEAN (*PSCSIWMI_FUNCTION_CONTROL)(PVOID DeviceContext, PSCSIWMI_REQUEST_CONTEXT RequestContext,
                                             ULONG GuidIndex, SCSIWMI_ENABLE_DISABLE_CONTROL Function,
                                             BOOLEAN Enable);

typedef struct _SCSIWMILIB_CONTEXT {
    ULONG GuidCount;
    PSCSIWMIGUIDREGINFO GuidList;
    PSCSIWMI_QUERY_REGINFO QueryWmiRegInfo;
    PSCSIWMI_QUERY_DATABLOCK QueryWmiDataBlock;
    PSCSIWMI_SET_DATABLOCK SetWmiDataBlock;
    PSCSIWMI_SET_DATAITEM SetWmiDataItem;
    PSCSIWMI_EXECUTE_METHOD ExecuteWmiMethod;
    PSCSIWMI_FUNCTION_CONTROL WmiFunctionControl;
} SCSI_WMILIB_CONTEXT, *PSCSI_WMILIB_CONTEXT;

/* Routes an SRB_FUNCTION_WMI request to the callbacks; see above. */
BOOLEAN ScsiPortWmiDispatchFunction(PSCSI_WMILIB_CONTEXT WmiLibInfo, UCHAR MinorFunction, PVOID DeviceContext,
                                    PSCSIWMI_REQUEST_CONTEXT RequestContext, PVOID DataPath, ULONG BufferSize,
                                    PVOID Buffer);
void ScsiPortWmiPostProcess(PSCSIWMI_REQUEST_CONTEXT RequestContext, UCHAR SrbStatus, ULONG BufferUsed);

#define ScsiPortWmiGetReturnStatus(RequestContext) ((RequestContext)->ReturnStatus)
#define ScsiPortWmiGetReturnSize(RequestContext) ((RequestContext)->ReturnSize)

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_SCSIWMI_H */
