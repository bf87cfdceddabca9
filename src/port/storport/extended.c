/*
 * extended.c -- the two variadic entry points behind StorPort's inline
 * wrappers: StorPortExtendedFunction (memory, MSI, processors, timers,
 * unit attributes, event log, performance options; the facilities a test
 * process does not have -- PoFx, ETW, ACPI, crypto, HMB, RPMB -- answer
 * STOR_STATUS_NOT_IMPLEMENTED as StorPort does where they are absent) and
 * StorPortNotification. Which OS version has which function:
 * mk_sp_min_os. docs/storport.md lists every code and its answer.
 */
#include "sp.h"

#include <srbhelper.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#define SP_NTDDI_WS03SP2 0x05020200UL

ULONG mk_sp_min_os(STORPORT_FUNCTION_CODE code)
{
    switch (code) {
    case ExtFunctionAllocatePool:
    case ExtFunctionFreePool:
    case ExtFunctionAllocateMdl:
    case ExtFunctionFreeMdl:
    case ExtFunctionBuildMdlForNonPagedPool:
    case ExtFunctionGetOriginalMdl:
        return NTDDI_WS03SP1;
    case ExtFunctionGetSystemAddress:
        return SP_NTDDI_WS03SP2;
    case ExtFunctionAcquireMSISpinLock:
    case ExtFunctionReleaseMSISpinLock:
    case ExtFunctionGetMessageInterruptInformation:
    case ExtFunctionInitializePerformanceOptimizations:
    case ExtFunctionGetStartIoPerformanceParameters:
    case ExtFunctionLogSystemEvent:
        return NTDDI_VISTA;
    case ExtFunctionGetCurrentProcessorNumber:
    case ExtFunctionGetActiveGroupCount:
    case ExtFunctionGetGroupAffinity:
    case ExtFunctionGetActiveNodeCount:
    case ExtFunctionGetNodeAffinity:
    case ExtFunctionGetHighestNodeNumber:
    case ExtFunctionAllocateContiguousMemorySpecifyCacheNode:
    case ExtFunctionFreeContiguousMemorySpecifyCache:
        return NTDDI_WIN7;
    case ExtFunctionInitializeTimer:
    case ExtFunctionRequestTimer:
    case ExtFunctionFreeTimer:
    case ExtFunctionSetUnitAttributes:
    case ExtFunctionQueryPerformanceCounter:
    case ExtFunctionInvokeAcpiMethod:
        return NTDDI_WIN8;
    default:
        return 0; /* not emulated: STOR_STATUS_NOT_IMPLEMENTED */
    }
}

static ULONG sp_perf_opts(mk_sp_adapter *a, BOOLEAN query, PPERF_CONFIGURATION_DATA d)
{
    (void)a;
    if (!d)
        return STOR_STATUS_INVALID_PARAMETER;
    if (d->Version < STOR_PERF_VERSION_2 || d->Version > STOR_PERF_VERSION)
        return STOR_STATUS_UNSUPPORTED_VERSION;
    if (d->Size < sizeof(PERF_CONFIGURATION_DATA))
        return STOR_STATUS_INVALID_BUFFER_SIZE;
    /* mdlkit's port has one queue per adapter and completes on the
     * interrupted processor: it offers no optimisation (docs/ddi-notes.md). */
    if (query) {
        d->Flags = 0;
        return STOR_STATUS_SUCCESS;
    }
    return d->Flags == 0 ? STOR_STATUS_SUCCESS : STOR_STATUS_INVALID_PARAMETER;
}

static ULONG sp_log_event(mk_sp_adapter *a, PSTOR_LOG_EVENT_DETAILS d, PULONG max)
{
    if (max)
        *max = 0x100; /* an error-log entry's room, as IO_ERROR_LOG_PACKET limits it */
    if (!d)
        return max ? STOR_STATUS_SUCCESS : STOR_STATUS_INVALID_PARAMETER;
    if (d->InterfaceRevision != STOR_CURRENT_LOG_INTERFACE_REVISION)
        return STOR_STATUS_UNSUPPORTED_VERSION;
    if (d->Size < sizeof *d || d->EventAssociation >= StorEventInvalidAssociation)
        return STOR_STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&a->lock);
    a->info.errors_logged++;
    a->info.last_error_code = d->ErrorCode;
    pthread_mutex_unlock(&a->lock);
    return STOR_STATUS_SUCCESS;
}

ULONG StorPortExtendedFunction(STORPORT_FUNCTION_CODE FunctionCode, PVOID HwDeviceExtension, ...)
{
    MK_ENTER("StorPortExtendedFunction");
    void *caller = __builtin_return_address(0);
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, (ULONG)FunctionCode);
    va_list ap;
    va_start(ap, HwDeviceExtension);
    ULONG min = mk_sp_min_os(FunctionCode);
    ULONG st = STOR_STATUS_NOT_IMPLEMENTED;
    if (!min || !mk_os_at_least(min)) {
        /* Out-pointers are cleared as the documentation promises for failures. */
        if (FunctionCode == ExtFunctionAllocatePool) {
            (void)va_arg(ap, ULONG);
            (void)va_arg(ap, ULONG);
            PVOID *out = va_arg(ap, PVOID *);
            if (out)
                *out = NULL;
        } else if (FunctionCode == ExtFunctionAllocateContiguousMemorySpecifyCacheNode) {
            (void)va_arg(ap, SIZE_T);
            (void)va_arg(ap, PHYSICAL_ADDRESS);
            (void)va_arg(ap, PHYSICAL_ADDRESS);
            (void)va_arg(ap, PHYSICAL_ADDRESS);
            (void)va_arg(ap, int);
            (void)va_arg(ap, NODE_REQUIREMENT);
            PVOID *out = va_arg(ap, PVOID *);
            if (out)
                *out = NULL;
        } else if (FunctionCode == ExtFunctionAllocateMdl) {
            (void)va_arg(ap, PVOID);
            (void)va_arg(ap, ULONG);
            PVOID *out = va_arg(ap, PVOID *);
            if (out)
                *out = NULL;
        } else if (FunctionCode == ExtFunctionInitializeTimer) {
            PVOID *out = va_arg(ap, PVOID *);
            if (out)
                *out = NULL;
        }
        va_end(ap);
        return STOR_STATUS_NOT_IMPLEMENTED;
    }
    int handled;
    st = mk_sp_memory_function(a, FunctionCode, &ap, caller, &handled);
    if (handled) {
        va_end(ap);
        return st;
    }
    switch (FunctionCode) {
    case ExtFunctionAcquireMSISpinLock:
        st = mk_sp_msi_lock_function(a, 1, &ap);
        break;
    case ExtFunctionReleaseMSISpinLock:
        st = mk_sp_msi_lock_function(a, 0, &ap);
        break;
    case ExtFunctionGetMessageInterruptInformation: {
        ULONG msg = va_arg(ap, ULONG);
        PMESSAGE_INTERRUPT_INFORMATION out = va_arg(ap, PMESSAGE_INTERRUPT_INFORMATION);
        st = mk_sp_msi_info(a, msg, out);
        break;
    }
    case ExtFunctionInitializePerformanceOptimizations: {
        BOOLEAN query = (BOOLEAN)va_arg(ap, int);
        PPERF_CONFIGURATION_DATA d = va_arg(ap, PPERF_CONFIGURATION_DATA);
        st = sp_perf_opts(a, query, d);
        break;
    }
    case ExtFunctionGetStartIoPerformanceParameters: {
        PVOID srb = va_arg(ap, PVOID);
        PSTARTIO_PERFORMANCE_PARAMETERS p = va_arg(ap, PSTARTIO_PERFORMANCE_PARAMETERS);
        if (!srb || !p || p->Size < sizeof *p) {
            st = STOR_STATUS_INVALID_PARAMETER;
        } else {
            mk_sp_check_srb_live(a, srb, "StorPortGetStartIoPerfParams");
            p->MessageNumber = 0; /* the one queue, the first message */
            p->ChannelNumber = 0;
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    case ExtFunctionLogSystemEvent: {
        PSTOR_LOG_EVENT_DETAILS d = va_arg(ap, PSTOR_LOG_EVENT_DETAILS);
        PULONG max = va_arg(ap, PULONG);
        st = sp_log_event(a, d, max);
        break;
    }
    case ExtFunctionGetCurrentProcessorNumber: {
        PPROCESSOR_NUMBER p = va_arg(ap, PPROCESSOR_NUMBER);
        if (!p) {
            st = STOR_STATUS_INVALID_PARAMETER;
        } else {
            mk_thread_attach();
            memset(p, 0, sizeof *p);
            p->Number = (UCHAR)mk_self.cpu;
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    case ExtFunctionGetActiveGroupCount: {
        PUSHORT n = va_arg(ap, PUSHORT);
        st = n ? (*n = 1, STOR_STATUS_SUCCESS) : STOR_STATUS_INVALID_PARAMETER;
        break;
    }
    case ExtFunctionGetGroupAffinity: {
        USHORT group = (USHORT)va_arg(ap, int);
        PKAFFINITY aff = va_arg(ap, PKAFFINITY);
        /* Documented at IRQL <= DISPATCH_LEVEL (StorPortIrql rule). */
        if (mk_irql() > DISPATCH_LEVEL && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortIrql: StorPortGetGroupAffinity above DISPATCH_LEVEL",
                         mk_irql(), (ULONG_PTR)FunctionCode);
        if (!aff)
            st = STOR_STATUS_INVALID_PARAMETER;
        else if (group != 0) /* beyond the active group count (one group) */
            st = STOR_STATUS_UNSUCCESSFUL;
        else {
            ULONG n = mk_rt.ncpu < 64 ? mk_rt.ncpu : 64;
            *aff = n >= 64 ? ~(KAFFINITY)0 : (((KAFFINITY)1 << n) - 1);
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    case ExtFunctionGetActiveNodeCount: {
        PULONG n = va_arg(ap, PULONG);
        st = n ? (*n = 1, STOR_STATUS_SUCCESS) : STOR_STATUS_INVALID_PARAMETER;
        break;
    }
    case ExtFunctionGetNodeAffinity: {
        ULONG node = va_arg(ap, ULONG);
        PGROUP_AFFINITY aff = va_arg(ap, PGROUP_AFFINITY);
        if (!aff || node != 0)
            st = STOR_STATUS_INVALID_PARAMETER;
        else {
            ULONG n = mk_rt.ncpu < 64 ? mk_rt.ncpu : 64;
            memset(aff, 0, sizeof *aff);
            aff->Mask = n >= 64 ? ~(KAFFINITY)0 : (((KAFFINITY)1 << n) - 1);
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    case ExtFunctionGetHighestNodeNumber: {
        PULONG n = va_arg(ap, PULONG);
        st = n ? (*n = 0, STOR_STATUS_SUCCESS) : STOR_STATUS_INVALID_PARAMETER;
        break;
    }
    case ExtFunctionInitializeTimer:
    case ExtFunctionRequestTimer:
    case ExtFunctionFreeTimer:
        st = mk_sp_timer_function(a, FunctionCode, &ap);
        break;
    case ExtFunctionSetUnitAttributes: {
        PSTOR_ADDRESS addr = va_arg(ap, PSTOR_ADDRESS);
        STOR_UNIT_ATTRIBUTES attr = va_arg(ap, STOR_UNIT_ATTRIBUTES);
        (void)attr;
        st = (addr && addr->Type == STOR_ADDRESS_TYPE_BTL8) ? STOR_STATUS_SUCCESS : STOR_STATUS_INVALID_PARAMETER;
        break;
    }
    case ExtFunctionInvokeAcpiMethod: {
        /* The simulated machine has no ACPI namespace: no method exists, which
         * the documentation answers with STOR_STATUS_NOT_IMPLEMENTED, after
         * its IRQL rule (PASSIVE_LEVEL only). */
        (void)va_arg(ap, PSTOR_ADDRESS);
        (void)va_arg(ap, ULONG);
        (void)va_arg(ap, PVOID);
        (void)va_arg(ap, ULONG);
        (void)va_arg(ap, PVOID);
        (void)va_arg(ap, ULONG);
        PULONG returned = va_arg(ap, PULONG);
        if (returned)
            *returned = 0;
        st = mk_irql() > PASSIVE_LEVEL ? STOR_STATUS_INVALID_IRQL : STOR_STATUS_NOT_IMPLEMENTED;
        break;
    }
    case ExtFunctionQueryPerformanceCounter: {
        PLARGE_INTEGER freq = va_arg(ap, PLARGE_INTEGER);
        PLARGE_INTEGER counter = va_arg(ap, PLARGE_INTEGER);
        if (!counter) {
            st = STOR_STATUS_INVALID_PARAMETER;
        } else {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            counter->QuadPart = (LONGLONG)now.tv_sec * 10000000LL + now.tv_nsec / 100; /* 10 MHz */
            if (freq)
                freq->QuadPart = 10000000LL;
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    default:
        st = STOR_STATUS_NOT_IMPLEMENTED;
        break;
    }
    va_end(ap);
    return st;
}

/* ------------------------------------------------------------------------
 * StorPortNotification
 * ---------------------------------------------------------------------- */
void StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension, ...)
{
    MK_ENTER("StorPortNotification");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_NOTIFICATION);
    va_list ap;
    va_start(ap, HwDeviceExtension);
    switch (NotificationType) {
    case RequestComplete: {
        PVOID srb = va_arg(ap, PVOID);
        mk_sp_request_complete(a, srb);
        break;
    }
    case NextRequest:
    case NextLuRequest:
    case ResetDetected:
    case BusChangeDetected:
    case LinkUp:
    case LinkDown:
    case BufferOverrunDetected:
        /* mdlkit hands requests to HwStartIo as the harness sends them:
         * there is no queue to restart and no bus to rescan. */
        break;
    case WMIEvent:
    case WMIReregister:
    case TraceNotification:
        /* WMI and tracing have no consumer in a test process. */
        break;
    case RequestTimerCall:
        mk_sp_notify_timer(a, &ap);
        break;
    case QueryTickCount: {
        PLARGE_INTEGER t = va_arg(ap, PLARGE_INTEGER);
        if (t)
            t->QuadPart = mk_sp_tick_count();
        break;
    }
    case CallDisableInterrupts:
    case CallEnableInterrupts: {
        /* The routine runs with the device's interrupt disabled / enabled:
         * at once here, at DISPATCH_LEVEL, synchronised with the ISR by the
         * interrupt lock the port does not hold. */
        PHW_INTERRUPT fn = va_arg(ap, PHW_INTERRUPT);
        if (fn) {
            KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
            fn(a->ext);
            mk_sp_lower(old);
        }
        break;
    }
    case EnablePassiveInitialization: {
        PHW_PASSIVE_INITIALIZE_ROUTINE fn = va_arg(ap, PHW_PASSIVE_INITIALIZE_ROUTINE);
        BOOLEAN *ok = va_arg(ap, BOOLEAN *);
        /* Only from HwInitialize (documented; StorPortEnablePassive rule). */
        if (a->phase != MK_SP_PHASE_INITIALIZE && mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MDLKIT_RULE_STORPORT_ENABLE_PASSIVE,
                         "StorPortEnablePassive: StorPortEnablePassiveInitialization outside HwInitialize",
                         (ULONG_PTR)fn, 0);
        BOOLEAN yes = fn && a->phase == MK_SP_PHASE_INITIALIZE;
        if (yes)
            a->passive_init = fn;
        if (ok)
            *ok = yes;
        break;
    }
    case InitializeDpc:
        mk_sp_notify_dpc(a, &ap, 0);
        break;
    case IssueDpc:
        mk_sp_notify_dpc(a, &ap, 1);
        break;
    case AcquireSpinLock:
        mk_sp_notify_lock(a, &ap, 1);
        break;
    case ReleaseSpinLock:
        mk_sp_notify_lock(a, &ap, 0);
        break;
    case GetExtendedFunctionTable: {
        /* Not a documented notification type (StorPortNotification2 rule):
         * the Windows Server 2003 SP1 function table is not offered. */
        PSTORPORT_EXTENDED_FUNCTIONS *table = va_arg(ap, PSTORPORT_EXTENDED_FUNCTIONS *);
        if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
            mk_violation(MDLKIT_RULE_STORPORT_NOTIFICATION2,
                         "StorPortNotification2: GetExtendedFunctionTable is not a documented notification type",
                         (ULONG_PTR)NotificationType, 0);
        if (table)
            *table = NULL;
        break;
    }
    default: {
        static atomic_int warned;
        if (!atomic_exchange(&warned, 1))
            fprintf(stderr, "mdlkit: StorPortNotification type %d is not emulated; ignored\n", (int)NotificationType);
        break;
    }
    }
    va_end(ap);
}
