/* wppdrv.c -- a small WPP-traced driver for script_tracewpp.sh: its trace
 * calls need the .tmh that mdlkit-tracewpp writes. */
#include <ntddk.h>
#include "wpptrace.h"
#include "wppdrv.tmh"

#define MY_LEVEL TRACE_LEVEL_WARNING /* a level given through a macro */

NTSTATUS WppTestRun(ULONG value, PUNICODE_STRING name)
{
    GUID g = {0x6a2d1f3e, 0x1234, 0x4a5b, {0x9c, 0x8d, 1, 2, 3, 4, 5, 6}};
    FuncEntry(TRACE_QUEUE); /* a FUNC without MSG: its prefix only */
    TraceEvents(TRACE_LEVEL_ERROR, TRACE_QUEUE, "error %u on %wZ", value, name);
    TraceEvents(TRACE_LEVEL_INFORMATION, TRACE_DEVICE,
                "info: status %!STATUS! ok=%!bool!",
                STATUS_INSUFFICIENT_RESOURCES,
                value > 1);
    TraceEvents(MY_LEVEL, TRACE_DEVICE, "warning via a macro level, guid %!GUID!", &g);
    Trace(TRACE_LEVEL_VERBOSE, "verbose %I64x %ws", (ULONGLONG)value << 32, L"wide");
    DoTraceMessage(TRACE_LOUD, "loud %d", (int)value + 1);
    DEBUGP(TRACE_DRIVER, "debugp at %!FILE!:%!LINE!\n");
    return STATUS_SUCCESS;
}
