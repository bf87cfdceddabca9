/*
 * misc.c -- the remaining StorPort routines: StorPortLogError,
 * StorPortStateChangeDetected, StorPortMoveMemory, StorPortStallExecution,
 * StorPortDebugPrint, StorPortGetLogicalUnit, the SCSI WMI library entry
 * points (no WMI in a test process), and the operation-code names.
 */
#include "sp.h"

#include <scsiwmi.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

void StorPortLogError(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb, UCHAR PathId, UCHAR TargetId, UCHAR Lun,
                      ULONG ErrorCode, ULONG UniqueId)
{
    MK_ENTER("StorPortLogError");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    (void)Srb;
    pthread_mutex_lock(&a->lock);
    a->info.errors_logged++;
    a->info.last_error_code = ErrorCode;
    pthread_mutex_unlock(&a->lock);
    if (!mk_rt.cfg.quiet)
        fprintf(stderr, "mdlkit: StorPortLogError(%u/%u/%u, error 0x%x, unique 0x%x)\n", PathId, TargetId, Lun,
                ErrorCode, UniqueId);
}

ULONG StorPortStateChangeDetected(PVOID HwDeviceExtension, ULONG ChangedEntity, PSTOR_ADDRESS Address,
                                  ULONG Attributes, PHW_STATE_CHANGE_DETECTED_CALLBACK Callback,
                                  PVOID CallbackContext)
{
    MK_ENTER("StorPortStateChangeDetected");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    (void)Attributes;
    if (!ChangedEntity || (ChangedEntity & ~(STATE_CHANGE_LUN | STATE_CHANGE_TARGET | STATE_CHANGE_BUS)))
        return STOR_STATUS_INVALID_PARAMETER;
    if ((ChangedEntity & (STATE_CHANGE_LUN | STATE_CHANGE_TARGET)) && !Address)
        return STOR_STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&a->lock);
    a->info.state_changes++;
    pthread_mutex_unlock(&a->lock);
    /* The rescan the port would start has nothing to find; the callback
     * reports that it was done. */
    if (Callback)
        Callback(HwDeviceExtension, CallbackContext, Address ? (SHORT)Address->Type : 0, Address,
                 STOR_STATUS_SUCCESS);
    return STOR_STATUS_SUCCESS;
}

void StorPortMoveMemory(PVOID WriteBuffer, PVOID ReadBuffer, ULONG Length)
{
    MK_ENTER("StorPortMoveMemory");
    memmove(WriteBuffer, ReadBuffer, Length);
}

void StorPortStallExecution(ULONG Delay)
{
    MK_ENTER("StorPortStallExecution");
    if (mk_sp_in_startio() && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_STARTIO,
                     "StorPortStartIo: HwStartIo must not wait (StorPortStallExecution); waits belong in HwBuildIo",
                     Delay, 0);
    /* A busy wait on Windows; the simulated device never needs the time to
     * pass, so only the documented limit is kept (docs/ddi-notes.md). */
    struct timespec ts = {0, (long)(Delay < 1000 ? Delay : 1000) * 1000L};
    if (Delay)
        nanosleep(&ts, NULL);
}

void StorPortDebugPrint(ULONG DebugPrintLevel, PCCHAR DebugMessage, ...)
{
    MK_ENTER("StorPortDebugPrint");
    va_list ap;
    va_start(ap, DebugMessage);
    vDbgPrintEx(DPFLTR_STORMINIPORT_ID, DebugPrintLevel, DebugMessage, ap);
    va_end(ap);
}

PVOID StorPortGetLogicalUnit(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun)
{
    MK_ENTER("StorPortGetLogicalUnit");
    mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    (void)PathId;
    (void)TargetId;
    (void)Lun;
    /* mdlkit's port keeps no per-LUN extension (SpecificLuExtensionSize is
     * not allocated): NULL, as for a LUN the port does not know. */
    return NULL;
}

BOOLEAN ScsiPortWmiDispatchFunction(PSCSI_WMILIB_CONTEXT WmiLibInfo, UCHAR MinorFunction, PVOID DeviceContext,
                                    PSCSIWMI_REQUEST_CONTEXT RequestContext, PVOID DataPath, ULONG BufferSize,
                                    PVOID Buffer)
{
    MK_OBJ_FAULT(WmiLibInfo);
    (void)WmiLibInfo;
    (void)MinorFunction;
    (void)DeviceContext;
    (void)DataPath;
    (void)BufferSize;
    (void)Buffer;
    if (RequestContext) {
        RequestContext->ReturnStatus = SRB_STATUS_ERROR;
        RequestContext->ReturnSize = 0;
    }
    return FALSE;
}

void ScsiPortWmiPostProcess(PSCSIWMI_REQUEST_CONTEXT RequestContext, UCHAR SrbStatus, ULONG BufferUsed)
{
    if (RequestContext) {
        RequestContext->ReturnStatus = SrbStatus;
        RequestContext->ReturnSize = BufferUsed;
    }
}

/* ------------------------------------------------------------------------
 * Operation-code names (from the X-macro table in scsi.h)
 * ---------------------------------------------------------------------- */
#define SP_CHECK(name, value) _Static_assert(name == value, #name " differs from its table entry");
MDLKIT_SCSIOP_NAMES(SP_CHECK)
#undef SP_CHECK

const char *mdlkit_scsiop_name(UCHAR opcode)
{
#define SP_NAME(name, value)                                                                                  \
    if (opcode == (value))                                                                                    \
        return #name;
    MDLKIT_SCSIOP_NAMES(SP_NAME)
#undef SP_NAME
    return NULL;
}
