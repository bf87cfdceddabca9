/*
 * stortrce.h -- mdlkit's own text of StorPort's tracing header: what a
 * miniport that traces through StorPort's ETW/WPP bridge includes. ETW has
 * no consumer in a test process: the trace macros reach
 * DbgPrintEx through the WPP support of the package (mdlkit-tracewpp).
 */
#ifndef MDLKIT_STORTRCE_H
#define MDLKIT_STORTRCE_H

#include <storport.h>

MDLKIT_EXTERN_C_BEGIN

#ifndef TRACE_LEVEL_NONE
#define TRACE_LEVEL_NONE 0
#define TRACE_LEVEL_CRITICAL 1
#define TRACE_LEVEL_FATAL 1
#define TRACE_LEVEL_ERROR 2
#define TRACE_LEVEL_WARNING 3
#define TRACE_LEVEL_INFORMATION 4
#define TRACE_LEVEL_VERBOSE 5
#endif

/* WPP in a StorPort miniport: the control-GUID logger is StorPort's. */
#define WPP_TRACE_CONTROL_NULL_GUID
#ifndef WPP_GLOBALLOGGER
#define WPP_GLOBALLOGGER
#endif

/* What a miniport passes to WPP_INIT_TRACING(DriverObject, RegistryPath,
 * &InitInfo). With no ETW in the process, the .tmh's WPP_INIT_TRACING
 * leaves TraceContext NULL, and StorPort never calls TraceCleanupRoutine. */
typedef VOID (*STOR_CLEANUP_TRACING)(PVOID Arg1);
typedef struct _STORAGE_TRACE_INIT_INFO {
    ULONG Size;
    ULONG NumDiagEventRecords;
    ULONG DiagEventRecordUserDataSize;
    ULONG NumErrorLogRecords;
    GUID TraceGuid;
    STOR_CLEANUP_TRACING TraceCleanupRoutine;
    PVOID DriverObject;
    PVOID TraceContext;
} STORAGE_TRACE_INIT_INFO, *PSTORAGE_TRACE_INIT_INFO;

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_STORTRCE_H */
