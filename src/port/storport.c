/*
 * storport.c -- StorPort hosting and the StorPort support routines:
 * StorPortInitialize, mdlkit_storport_start_adapter / _submit /
 * _stop_adapter, StorPortNotification, StorPortGetUncachedExtension,
 * StorPortGetPhysicalAddress and StorPortExtendedFunction (the entry point
 * behind StorPortAllocatePool, StorPortAllocateMdl, ...).
 *
 * An adapter is found from its HwDeviceExtension through a small lock-free
 * table. Everything a miniport allocates through StorPort is tracked per
 * adapter (hash of addresses) so that frees can be checked and leaks named
 * when the adapter stops. Choices where the documentation is silent are in
 * docs/ddi-notes.md ("StorPort and NDIS").
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <storport.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SP_MAX_ADAPTERS 64
#define SP_HASH 256
#define SP_ADAPTER_MAGIC 0x53704164U /* "dApS" */
#define SP_DIRQL 4                   /* the simulated device IRQL (between DISPATCH and CLOCK) */
#define SP_EXT_TAG 'xEpS'
#define SP_SRBEXT_TAG 'xSpS'
#define SP_NTDDI_WS03SP2 0x05020200UL
#define SP_LEAK_NOTES_MAX 32
#define SP_STATUS_REVISION_MISMATCH ((NTSTATUS)0xC0000059L)
#define SP_STATUS_IO_TIMEOUT ((NTSTATUS)0xC00000B5L)

/* P4 of MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION for routines that are not
 * extended functions (those give their STORPORT_FUNCTION_CODE). */
#define SP_WHO_NOTIFICATION 0x1000
#define SP_WHO_UNCACHED 0x1001
#define SP_WHO_PHYSICAL 0x1002

/* SCSI_VERIFIER_DETECTED_VIOLATION (0xF1) subcodes (Storport verification). */
#define SP_F1_UNCACHED_OUTSIDE_FINDADAPTER 0x2002
#define SP_F1_REQUEST_COMPLETED_TWICE 0x2004

enum sp_kind { SP_POOL = 1, SP_MDL, SP_CONTIG };
enum sp_phase { SP_PHASE_FINDADAPTER = 1, SP_PHASE_INITIALIZE, SP_PHASE_RUNNING, SP_PHASE_STOPPING };

typedef struct sp_driver {
    HW_INITIALIZATION_DATA hw;
    PVOID hw_context;
    mk_driver *drv;
    struct sp_driver *next;
} sp_driver;

typedef struct sp_request {
    PSCSI_REQUEST_BLOCK srb;
    PIRP irp;
    PMDL mdl;
    int mdl_locked;
    PVOID srb_ext;
    int completed;
    int in_submit;
    struct sp_request *next;
} sp_request;

typedef struct sp_adapter {
    uint32_t magic;
    sp_driver *spd;
    PVOID ext;
    enum sp_phase phase;
    PORT_CONFIGURATION_INFORMATION config;
    ACCESS_RANGE *ranges;
    PVOID uncached;
    SIZE_T uncached_size;
    PHYSICAL_ADDRESS uncached_pa;
    pthread_mutex_t lock;
    mk_port_track *allocs[SP_HASH];
    size_t nallocs;
    sp_request *requests;
} sp_adapter;

static _Atomic(sp_adapter *) sp_adapters[SP_MAX_ADAPTERS];
static pthread_mutex_t sp_global = PTHREAD_MUTEX_INITIALIZER;
static sp_driver *sp_drivers;
static struct timespec sp_boot;

/* ------------------------------------------------------------------------
 * Adapters and allocation tracking
 * ---------------------------------------------------------------------- */
static sp_adapter *sp_find(PVOID ext)
{
    if (!ext)
        return NULL;
    for (int i = 0; i < SP_MAX_ADAPTERS; i++) {
        sp_adapter *a = atomic_load_explicit(&sp_adapters[i], memory_order_acquire);
        if (a && a->ext == ext)
            return a;
    }
    return NULL;
}

static sp_adapter *sp_find_or_report(PVOID ext, ULONG who)
{
    sp_adapter *a = sp_find(ext);
    if (MK_UNLIKELY(!a))
        mk_violation(MDLKIT_RULE_STORPORT_UNKNOWN_EXTENSION,
                     "A StorPort routine was given a HwDeviceExtension that is not the device extension of a "
                     "started adapter",
                     (ULONG_PTR)ext, who);
    return a;
}

static unsigned sp_hash(const void *p) { return (unsigned)(((uintptr_t)p >> 4) ^ ((uintptr_t)p >> 12)) % SP_HASH; }

static void sp_track_add(sp_adapter *a, mk_port_track *t)
{
    unsigned h = sp_hash(t->addr);
    pthread_mutex_lock(&a->lock);
    t->next = a->allocs[h];
    a->allocs[h] = t;
    a->nallocs++;
    pthread_mutex_unlock(&a->lock);
}

/* The record of addr (of kind `kind`), left in place, or NULL; *copy gets
 * its contents, read under the lock. A free looks its record up with this,
 * frees, and only then drops the record (sp_track_drop): a bug check the
 * free raises and the test catches leaves the block AND its record, so the
 * leak check at stop still lists it. */
static mk_port_track *sp_track_find(sp_adapter *a, const void *addr, int kind, mk_port_track *copy)
{
    unsigned h = sp_hash(addr);
    mk_port_track *found = NULL;
    pthread_mutex_lock(&a->lock);
    for (mk_port_track *t = a->allocs[h]; t; t = t->next)
        if (t->addr == addr && t->kind == kind) {
            found = t;
            *copy = *t;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    return found;
}

/* Unlinks record t (found by sp_track_find) and frees it. */
static void sp_track_drop(sp_adapter *a, mk_port_track *t)
{
    unsigned h = sp_hash(t->addr);
    int unlinked = 0;
    pthread_mutex_lock(&a->lock);
    for (mk_port_track **pp = &a->allocs[h]; *pp; pp = &(*pp)->next)
        if (*pp == t) {
            *pp = t->next;
            a->nallocs--;
            unlinked = 1;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    if (unlinked)
        free(t);
}

static int sp_track_has(sp_adapter *a, const void *addr, int kind)
{
    unsigned h = sp_hash(addr);
    int yes = 0;
    pthread_mutex_lock(&a->lock);
    for (mk_port_track *t = a->allocs[h]; t; t = t->next)
        if (t->addr == addr && t->kind == kind) {
            yes = 1;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    return yes;
}

static mk_port_track *sp_track_new(void *addr, size_t len, ULONG tag, int kind, void *caller)
{
    mk_port_track *t = calloc(1, sizeof *t);
    if (t) {
        t->addr = addr;
        t->len = len;
        t->tag = tag;
        t->kind = kind;
        t->caller = caller;
    }
    return t;
}

static POOL_TYPE sp_nonpaged_type(void) { return mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool; }

/* ------------------------------------------------------------------------
 * Running miniport code
 * ---------------------------------------------------------------------- */
static KIRQL sp_raise(KIRQL to)
{
    KIRQL old = KeGetCurrentIrql();
    if (to > old)
        KfRaiseIrql(to);
    return old;
}
static void sp_lower(KIRQL old)
{
    if (KeGetCurrentIrql() != old)
        KeLowerIrql(old);
}

/* ------------------------------------------------------------------------
 * StorPortInitialize
 * ---------------------------------------------------------------------- */
ULONG StorPortInitialize(PVOID Argument1, PVOID Argument2, struct _HW_INITIALIZATION_DATA *HwInitializationData,
                         PVOID HwContext)
{
    MK_ENTER("StorPortInitialize");
    (void)Argument2;
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_STORPORT_IRQL, "StorPortInitialize must be called at PASSIVE_LEVEL (from DriverEntry)",
                     mk_irql(), 0);
    mk_driver *d = mk_driver_from_object((PDRIVER_OBJECT)Argument1);
    if (!d || !HwInitializationData)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (HwInitializationData->HwInitializationDataSize < sizeof(HW_INITIALIZATION_DATA))
        return (ULONG)SP_STATUS_REVISION_MISMATCH;
    if (!HwInitializationData->HwFindAdapter || !HwInitializationData->HwInitialize ||
        !HwInitializationData->HwStartIo || !HwInitializationData->HwResetBus)
        return (ULONG)STATUS_INVALID_PARAMETER;
    if (d->model != MK_MODEL_WDM && d->model != MK_MODEL_STORPORT)
        return (ULONG)STATUS_INVALID_DEVICE_STATE;
    sp_driver *s = d->port;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s)
            return (ULONG)STATUS_INSUFFICIENT_RESOURCES;
        s->drv = d;
        pthread_mutex_lock(&sp_global);
        s->next = sp_drivers;
        sp_drivers = s;
        pthread_mutex_unlock(&sp_global);
        d->port = s;
    }
    s->hw = *HwInitializationData;
    s->hw_context = HwContext;
    d->model = MK_MODEL_STORPORT;
    return (ULONG)STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------- */
static void sp_srb_data(PSCSI_REQUEST_BLOCK srb, PVOID *buf, ULONG *len, PVOID **orig)
{
    if (srb->Function == SRB_FUNCTION_STORAGE_REQUEST_BLOCK) {
        PSTORAGE_REQUEST_BLOCK x = (PSTORAGE_REQUEST_BLOCK)srb;
        *buf = x->DataBuffer;
        *len = x->DataTransferLength;
        *orig = &x->OriginalRequest;
    } else {
        *buf = srb->DataBuffer;
        *len = srb->DataTransferLength;
        *orig = &srb->OriginalRequest;
    }
}

static ULONG sp_srb_flags(PSCSI_REQUEST_BLOCK srb)
{
    return srb->Function == SRB_FUNCTION_STORAGE_REQUEST_BLOCK ? ((PSTORAGE_REQUEST_BLOCK)srb)->SrbFlags
                                                                 : srb->SrbFlags;
}

/* Releases what the port built for a request (at <= DISPATCH_LEVEL). */
static void sp_request_release(sp_request *r)
{
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    if (r->mdl) {
        if (r->mdl_locked)
            MmUnlockPages(r->mdl);
        if (r->irp)
            r->irp->MdlAddress = NULL;
        mk_mdl_free(r->mdl);
    }
    if (r->irp)
        IoFreeIrp(r->irp);
    if (r->srb_ext)
        mk_ex_free(r->srb_ext, SP_SRBEXT_TAG, NULL);
    mk_port_end();
    mk_driver_leave(old);
    free(r);
}

/* Finalises requests completed while the caller could not (above DISPATCH_LEVEL). */
static void sp_reap(sp_adapter *a)
{
    if (mk_irql() > DISPATCH_LEVEL)
        return;
    for (;;) {
        sp_request *done = NULL;
        pthread_mutex_lock(&a->lock);
        for (sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
            if ((*pp)->completed && !(*pp)->in_submit) {
                done = *pp;
                *pp = done->next;
                break;
            }
        pthread_mutex_unlock(&a->lock);
        if (!done)
            return;
        sp_request_release(done);
    }
}

static NTSTATUS sp_srb_to_status(UCHAR srb_status)
{
    switch (SRB_STATUS(srb_status)) {
    case SRB_STATUS_SUCCESS:
        return STATUS_SUCCESS;
    case SRB_STATUS_PENDING:
        return STATUS_PENDING;
    case SRB_STATUS_INVALID_REQUEST:
    case SRB_STATUS_BAD_FUNCTION:
        return STATUS_INVALID_DEVICE_REQUEST;
    case SRB_STATUS_BUSY:
        return STATUS_DEVICE_BUSY;
    case SRB_STATUS_DATA_OVERRUN:
        return STATUS_BUFFER_OVERFLOW;
    case SRB_STATUS_INSUFFICIENT_RESOURCES:
        return STATUS_INSUFFICIENT_RESOURCES;
    case SRB_STATUS_NO_DEVICE:
    case SRB_STATUS_INVALID_LUN:
    case SRB_STATUS_INVALID_TARGET_ID:
    case SRB_STATUS_INVALID_PATH_ID:
        return STATUS_NO_SUCH_DEVICE;
    case SRB_STATUS_TIMEOUT:
    case SRB_STATUS_COMMAND_TIMEOUT:
    case SRB_STATUS_SELECTION_TIMEOUT:
        return SP_STATUS_IO_TIMEOUT;
    case SRB_STATUS_ABORTED:
    case SRB_STATUS_REQUEST_FLUSHED:
        return STATUS_CANCELLED;
    default:
        return STATUS_UNSUCCESSFUL;
    }
}

NTSTATUS mdlkit_storport_submit(PVOID hw_device_extension, PSCSI_REQUEST_BLOCK srb)
{
    MK_ENTER("mdlkit_storport_submit");
    mk_thread_attach();
    sp_adapter *a = sp_find(hw_device_extension);
    if (!a || !srb)
        return STATUS_INVALID_PARAMETER;
    if (a->phase != SP_PHASE_RUNNING || mk_irql() > DISPATCH_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    sp_reap(a);
    pthread_mutex_lock(&a->lock);
    for (sp_request *r = a->requests; r; r = r->next)
        if (r->srb == srb) {
            pthread_mutex_unlock(&a->lock);
            return STATUS_DEVICE_BUSY; /* already outstanding */
        }
    pthread_mutex_unlock(&a->lock);

    sp_request *r = calloc(1, sizeof *r);
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES;
    r->srb = srb;
    PVOID buf;
    ULONG len;
    PVOID *orig;
    sp_srb_data(srb, &buf, &len, &orig);

    /* Build the request the way the port driver receives it from the class
     * driver: an IRP whose MdlAddress describes the locked data buffer. */
    NTSTATUS st = STATUS_SUCCESS;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    r->irp = IoAllocateIrp(1, FALSE);
    if (!r->irp)
        st = STATUS_INSUFFICIENT_RESOURCES;
    if (NT_SUCCESS(st) && buf && len) {
        r->mdl = mk_mdl_allocate(buf, len);
        if (!r->mdl) {
            st = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            r->irp->MdlAddress = r->mdl;
            unsigned kinds = mk_mdl_memory_kinds(buf, len);
            if ((kinds & ~(MK_MEM_NPOOL | MK_MEM_CONTIG)) == 0) {
                mk_mdl_build_nonpaged(r->mdl);
            } else {
                volatile NTSTATUS probe = STATUS_SUCCESS;
                KPROCESSOR_MODE mode = (kinds & MK_MEM_USER) ? UserMode : KernelMode;
                LOCK_OPERATION op = (sp_srb_flags(srb) & SRB_FLAGS_DATA_IN) ? IoWriteAccess : IoReadAccess;
                MDLKIT_TRY { MmProbeAndLockPages(r->mdl, mode, op); }
                MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { probe = GetExceptionCode(); }
                MDLKIT_END;
                if (NT_SUCCESS(probe))
                    r->mdl_locked = 1;
                else
                    st = probe;
            }
        }
    }
    if (NT_SUCCESS(st) && a->config.SrbExtensionSize) {
        r->srb_ext = mk_ex_allocate(sp_nonpaged_type(), a->config.SrbExtensionSize, SP_SRBEXT_TAG,
                                    NormalPoolPriority, 1, NULL);
        if (!r->srb_ext)
            st = STATUS_INSUFFICIENT_RESOURCES;
    }
    mk_port_end();
    mk_driver_leave(old);
    if (!NT_SUCCESS(st)) {
        sp_request_release(r);
        return st;
    }
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(r->irp);
    sp->MajorFunction = IRP_MJ_SCSI;
    sp->Parameters.Scsi.Srb = srb;
    IoSetNextIrpStackLocation(r->irp);
    *orig = r->irp;
    if (srb->Function != SRB_FUNCTION_STORAGE_REQUEST_BLOCK)
        srb->SrbExtension = r->srb_ext;
    else
        ((PSTORAGE_REQUEST_BLOCK)srb)->MiniportContext = r->srb_ext;
    srb->SrbStatus = SRB_STATUS_PENDING;
    r->in_submit = 1;
    pthread_mutex_lock(&a->lock);
    r->next = a->requests;
    a->requests = r;
    pthread_mutex_unlock(&a->lock);

    /* HwBuildIo then HwStartIo, both at DISPATCH_LEVEL. */
    sp_driver *s = a->spd;
    mk_port_frame f;
    KIRQL oldirql = sp_raise(DISPATCH_LEVEL);
    mk_port_call_miniport(&f, s->drv);
    BOOLEAN go = TRUE;
    if (s->hw.HwBuildIo)
        go = s->hw.HwBuildIo(a->ext, srb);
    if (go)
        s->hw.HwStartIo(a->ext, srb);
    mk_port_return_from_miniport(&f);
    sp_lower(oldirql);

    int done;
    pthread_mutex_lock(&a->lock);
    r->in_submit = 0;
    done = r->completed;
    if (done)
        for (sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
            if (*pp == r) {
                *pp = r->next;
                break;
            }
    pthread_mutex_unlock(&a->lock);
    if (!done)
        return STATUS_PENDING;
    UCHAR status = srb->SrbStatus;
    sp_request_release(r);
    return sp_srb_to_status(status);
}

static void sp_request_complete(sp_adapter *a, PSCSI_REQUEST_BLOCK srb)
{
    sp_request *r = NULL;
    int release = 0;
    pthread_mutex_lock(&a->lock);
    for (sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
        if ((*pp)->srb == srb && !(*pp)->completed) {
            r = *pp;
            r->completed = 1;
            if (!r->in_submit && mk_irql() <= DISPATCH_LEVEL) {
                *pp = r->next;
                release = 1;
            }
            break;
        }
    pthread_mutex_unlock(&a->lock);
    if (!r)
        mk_bugcheck(SCSI_VERIFIER_DETECTED_VIOLATION, SP_F1_REQUEST_COMPLETED_TWICE, (ULONG_PTR)srb, (ULONG_PTR)a->ext,
                    0);
    if (release)
        sp_request_release(r);
}

/* ------------------------------------------------------------------------
 * StorPortNotification
 * ---------------------------------------------------------------------- */
void StorPortNotification(SCSI_NOTIFICATION_TYPE NotificationType, PVOID HwDeviceExtension, ...)
{
    MK_ENTER("StorPortNotification");
    sp_adapter *a = sp_find_or_report(HwDeviceExtension, SP_WHO_NOTIFICATION);
    va_list ap;
    va_start(ap, HwDeviceExtension);
    switch (NotificationType) {
    case RequestComplete: {
        PSCSI_REQUEST_BLOCK srb = va_arg(ap, PSCSI_REQUEST_BLOCK);
        va_end(ap);
        sp_request_complete(a, srb);
        return;
    }
    case NextRequest:
    case NextLuRequest:
    case ResetDetected:
    case BusChangeDetected:
        /* mdlkit hands requests to HwStartIo one at a time, synchronously:
         * there is no queue to restart and no bus to rescan. */
        break;
    case QueryTickCount: {
        PLARGE_INTEGER t = va_arg(ap, PLARGE_INTEGER);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ns = (long long)(now.tv_sec - sp_boot.tv_sec) * 1000000000LL + (now.tv_nsec - sp_boot.tv_nsec);
        if (t)
            t->QuadPart = ns / 15625000LL; /* 15.625 ms ticks */
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

/* ------------------------------------------------------------------------
 * Uncached extension and physical addresses
 * ---------------------------------------------------------------------- */
PVOID StorPortGetUncachedExtension(PVOID HwDeviceExtension, PPORT_CONFIGURATION_INFORMATION ConfigInfo,
                                   ULONG NumberOfBytes)
{
    MK_ENTER("StorPortGetUncachedExtension");
    sp_adapter *a = sp_find_or_report(HwDeviceExtension, SP_WHO_UNCACHED);
    if (a->phase != SP_PHASE_FINDADAPTER) {
        if (mk_rt.verifier)
            mk_bugcheck(SCSI_VERIFIER_DETECTED_VIOLATION, SP_F1_UNCACHED_OUTSIDE_FINDADAPTER,
                        (ULONG_PTR)HwDeviceExtension, NumberOfBytes, 0);
        return NULL;
    }
    if (!NumberOfBytes)
        return NULL;
    if (a->uncached)
        return NumberOfBytes <= a->uncached_size ? a->uncached : NULL;
    PPORT_CONFIGURATION_INFORMATION cfg = ConfigInfo ? ConfigInfo : &a->config;
    PHYSICAL_ADDRESS low, high, none;
    low.QuadPart = 0;
    none.QuadPart = 0;
    high.QuadPart = cfg->Dma64BitAddresses ? (LONGLONG)0x7FFFFFFFFFFFFFFFLL : (LONGLONG)0xFFFFFFFFLL;
    mk_driver *old = mk_driver_enter(NULL); /* the port's memory, not the miniport's */
    mk_port_begin();
    PVOID p = MmAllocateContiguousMemorySpecifyCache(NumberOfBytes, low, high, none, MmCached);
    if (p)
        a->uncached_pa = MmGetPhysicalAddress(p);
    mk_port_end();
    mk_driver_leave(old);
    if (p) {
        memset(p, 0, NumberOfBytes);
        a->uncached = p;
        a->uncached_size = NumberOfBytes;
    }
    return p;
}

STOR_PHYSICAL_ADDRESS StorPortGetPhysicalAddress(PVOID HwDeviceExtension, PSCSI_REQUEST_BLOCK Srb,
                                                 PVOID VirtualAddress, ULONG *Length)
{
    MK_ENTER("StorPortGetPhysicalAddress");
    sp_adapter *a = sp_find_or_report(HwDeviceExtension, SP_WHO_PHYSICAL);
    STOR_PHYSICAL_ADDRESS pa;
    pa.QuadPart = 0;
    const char *va = VirtualAddress;
    ULONG len = 0;
    if (a->uncached && va >= (char *)a->uncached && va < (char *)a->uncached + a->uncached_size) {
        size_t off = (size_t)(va - (char *)a->uncached);
        pa.QuadPart = a->uncached_pa.QuadPart + (LONGLONG)off;
        len = (ULONG)(a->uncached_size - off);
    } else {
        PVOID buf = NULL;
        ULONG blen = 0;
        PVOID *orig = NULL;
        PMDL mdl = NULL;
        if (Srb) {
            sp_srb_data(Srb, &buf, &blen, &orig);
            PIRP irp = *orig;
            mdl = irp ? irp->MdlAddress : NULL;
        }
        if (mdl && buf && va >= (char *)buf && va < (char *)buf + blen) {
            /* The data buffer: read the frames from the request's MDL. */
            size_t off = (size_t)(va - (char *)MmGetMdlVirtualAddress(mdl)) + MmGetMdlByteOffset(mdl);
            PPFN_NUMBER pfns = MmGetMdlPfnArray(mdl);
            size_t page = off >> PAGE_SHIFT;
            size_t remain = (size_t)((char *)buf + blen - va);
            pa.QuadPart = (LONGLONG)((pfns[page] << PAGE_SHIFT) | (off & (PAGE_SIZE - 1)));
            size_t run = PAGE_SIZE - (off & (PAGE_SIZE - 1));
            size_t npages = ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(mdl), MmGetMdlByteCount(mdl));
            while (run < remain && page + 1 < npages && pfns[page + 1] == pfns[page] + 1) {
                page++;
                run += PAGE_SIZE;
            }
            len = (ULONG)(run < remain ? run : remain);
        } else {
            pa = MmGetPhysicalAddress(VirtualAddress);
            len = PAGE_SIZE - BYTE_OFFSET(VirtualAddress);
        }
    }
    if (Length)
        *Length = len;
    return pa;
}

/* ------------------------------------------------------------------------
 * StorPortExtendedFunction
 * ---------------------------------------------------------------------- */
static ULONG sp_min_os(STORPORT_FUNCTION_CODE code)
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
    case ExtFunctionAllocateContiguousMemorySpecifyCacheNode:
    case ExtFunctionFreeContiguousMemorySpecifyCache:
        return NTDDI_WIN7;
    default:
        return 0; /* not emulated */
    }
}

static ULONG sp_bad_irql(STORPORT_FUNCTION_CODE code)
{
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_IRQL,
                     "A StorPort memory routine was called above DISPATCH_LEVEL (StorPortIrql rule)", mk_irql(),
                     (ULONG_PTR)code);
    return STOR_STATUS_INVALID_IRQL;
}

static ULONG sp_allocate_pool(sp_adapter *a, ULONG bytes, ULONG tag, PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL) {
        *out = NULL;
        return sp_bad_irql(ExtFunctionAllocatePool);
    }
    if (mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE) && *out && sp_track_has(a, *out, SP_POOL))
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL2,
                     "StorPortAllocatePool would overwrite the only pointer to a buffer it returned earlier and "
                     "that was not freed (StorPortAllocatePool2 rule)",
                     (ULONG_PTR)*out, (ULONG_PTR)a->ext);
    mk_port_begin();
    PVOID p = mk_ex_allocate(sp_nonpaged_type(), bytes, tag, NormalPoolPriority, 0, caller);
    mk_port_end();
    mk_port_track *t = p ? sp_track_new(p, bytes, tag, SP_POOL, caller) : NULL;
    if (!t) {
        if (p)
            mk_ex_free(p, tag, caller);
        *out = NULL;
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    }
    sp_track_add(a, t);
    *out = p;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_pool(sp_adapter *a, PVOID p, void *caller)
{
    if (!p)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreePool);
    mk_port_track c;
    mk_port_track *t = sp_track_find(a, p, SP_POOL, &c);
    if (!t)
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL,
                     "StorPortFreePool was given a buffer that StorPortAllocatePool did not return for this "
                     "adapter, or that was already freed (StorPortAllocatePool rule)",
                     (ULONG_PTR)p, (ULONG_PTR)a->ext);
    mk_port_begin();
    mk_ex_free(p, c.tag, caller);
    mk_port_end();
    sp_track_drop(a, t);
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_allocate_mdl(sp_adapter *a, PVOID buf, ULONG bytes, PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionAllocateMdl);
    if (!buf || !bytes)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_port_begin();
    PMDL mdl = mk_mdl_allocate(buf, bytes);
    if (mdl)
        mk_mdl_build_nonpaged(mdl); /* allocated and built: ready for MmGetSystemAddressForMdlSafe */
    mk_port_end();
    mk_port_track *t = mdl ? sp_track_new(mdl, bytes, 0, SP_MDL, caller) : NULL;
    if (!t) {
        if (mdl)
            mk_mdl_free(mdl);
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    }
    sp_track_add(a, t);
    *out = mdl;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_mdl(sp_adapter *a, PVOID mdl)
{
    if (!mdl)
        return STOR_STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreeMdl);
    mk_port_track c;
    mk_port_track *t = sp_track_find(a, mdl, SP_MDL, &c);
    if (!t)
        mk_violation(MDLKIT_RULE_STORPORT_FREE_MDL,
                     "StorPortFreeMdl was given an MDL that StorPortAllocateMdl did not return for this adapter, "
                     "or that was already freed",
                     (ULONG_PTR)mdl, (ULONG_PTR)a->ext);
    mk_port_begin();
    mk_mdl_free(mdl);
    mk_port_end();
    sp_track_drop(a, t);
    return STOR_STATUS_SUCCESS;
}

/* What GetSystemAddress and GetOriginalMdl check first: the out pointer
 * (cleared), the IRQL, the SRB; then the SRB's data buffer and the MDL of
 * its original request. STOR_STATUS_SUCCESS or the status to return. */
static ULONG sp_srb_request(PSCSI_REQUEST_BLOCK srb, PVOID *out, STORPORT_FUNCTION_CODE fn, PVOID *buf, ULONG *len,
                            PMDL *mdl)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(fn);
    if (!srb)
        return STOR_STATUS_INVALID_PARAMETER;
    PVOID *orig;
    sp_srb_data(srb, buf, len, &orig);
    PIRP irp = *orig;
    *mdl = irp ? irp->MdlAddress : NULL;
    return *mdl ? STOR_STATUS_SUCCESS : STOR_STATUS_INVALID_PARAMETER;
}

static ULONG sp_get_system_address(PSCSI_REQUEST_BLOCK srb, PVOID *out)
{
    PVOID buf;
    ULONG len;
    PMDL mdl;
    ULONG st = sp_srb_request(srb, out, ExtFunctionGetSystemAddress, &buf, &len, &mdl);
    if (st != STOR_STATUS_SUCCESS)
        return st;
    if (!buf || !len)
        return STOR_STATUS_INVALID_PARAMETER; /* the SRB has no data buffer */
    char *base = MmGetMdlVirtualAddress(mdl);
    if ((char *)buf < base || (char *)buf + len > base + MmGetMdlByteCount(mdl))
        return STOR_STATUS_INVALID_PARAMETER;
    ULONG prio = NormalPagePriority | (mk_os_at_least(NTDDI_WIN8) ? MdlMappingNoExecute : 0);
    mk_port_begin();
    char *sys = mk_mdl_system_address(mdl, prio);
    mk_port_end();
    if (!sys)
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    *out = sys + ((char *)buf - base);
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_get_original_mdl(PSCSI_REQUEST_BLOCK srb, PVOID *out)
{
    PVOID buf;
    ULONG len;
    PMDL mdl;
    ULONG st = sp_srb_request(srb, out, ExtFunctionGetOriginalMdl, &buf, &len, &mdl);
    if (st == STOR_STATUS_SUCCESS)
        *out = mdl;
    return st;
}

static ULONG sp_allocate_contiguous(sp_adapter *a, SIZE_T bytes, PHYSICAL_ADDRESS low, PHYSICAL_ADDRESS high,
                                    PHYSICAL_ADDRESS boundary, MEMORY_CACHING_TYPE cache, NODE_REQUIREMENT node,
                                    PVOID *out, void *caller)
{
    if (!out)
        return STOR_STATUS_INVALID_PARAMETER;
    *out = NULL;
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionAllocateContiguousMemorySpecifyCacheNode);
    if (!bytes)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_port_begin();
    PVOID p = MmAllocateContiguousMemorySpecifyCacheNode(bytes, low, high, boundary, cache, node);
    mk_port_end();
    mk_port_track *t = p ? sp_track_new(p, bytes, (ULONG)cache, SP_CONTIG, caller) : NULL;
    if (!t) {
        if (p) {
            mk_port_begin();
            MmFreeContiguousMemorySpecifyCache(p, bytes, cache);
            mk_port_end();
        }
        return STOR_STATUS_INSUFFICIENT_RESOURCES;
    }
    sp_track_add(a, t);
    *out = p;
    return STOR_STATUS_SUCCESS;
}

static ULONG sp_free_contiguous(sp_adapter *a, PVOID base, SIZE_T bytes, MEMORY_CACHING_TYPE cache)
{
    if (mk_irql() > DISPATCH_LEVEL)
        return sp_bad_irql(ExtFunctionFreeContiguousMemorySpecifyCache);
    if (!base)
        return STOR_STATUS_INVALID_PARAMETER;
    mk_port_track c;
    mk_port_track *t = sp_track_find(a, base, SP_CONTIG, &c);
    if (!t || c.len != bytes || c.tag != (ULONG)cache) /* (the record stays: the caller still owns the block) */
        mk_violation(MDLKIT_RULE_STORPORT_FREE_CONTIGUOUS,
                     "StorPortFreeContiguousMemorySpecifyCache: the block was not allocated for this adapter, was "
                     "already freed, or NumberOfBytes/CacheType differ from the allocation",
                     (ULONG_PTR)base, (ULONG_PTR)bytes);
    mk_port_begin();
    MmFreeContiguousMemorySpecifyCache(base, bytes, cache);
    mk_port_end();
    sp_track_drop(a, t);
    return STOR_STATUS_SUCCESS;
}

ULONG StorPortExtendedFunction(STORPORT_FUNCTION_CODE FunctionCode, PVOID HwDeviceExtension, ...)
{
    MK_ENTER("StorPortExtendedFunction");
    void *caller = __builtin_return_address(0);
    sp_adapter *a = sp_find_or_report(HwDeviceExtension, (ULONG)FunctionCode);
    va_list ap;
    va_start(ap, HwDeviceExtension);
    ULONG min = sp_min_os(FunctionCode);
    ULONG st;
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
        }
        va_end(ap);
        return STOR_STATUS_NOT_IMPLEMENTED;
    }
    switch (FunctionCode) {
    case ExtFunctionAllocatePool: {
        ULONG bytes = va_arg(ap, ULONG);
        ULONG tag = va_arg(ap, ULONG);
        PVOID *out = va_arg(ap, PVOID *);
        st = sp_allocate_pool(a, bytes, tag, out, caller);
        break;
    }
    case ExtFunctionFreePool:
        st = sp_free_pool(a, va_arg(ap, PVOID), caller);
        break;
    case ExtFunctionAllocateMdl: {
        PVOID buf = va_arg(ap, PVOID);
        ULONG bytes = va_arg(ap, ULONG);
        PVOID *out = va_arg(ap, PVOID *);
        st = sp_allocate_mdl(a, buf, bytes, out, caller);
        break;
    }
    case ExtFunctionFreeMdl:
        st = sp_free_mdl(a, va_arg(ap, PVOID));
        break;
    case ExtFunctionBuildMdlForNonPagedPool: {
        PMDL mdl = va_arg(ap, PMDL);
        if (mk_irql() > DISPATCH_LEVEL) {
            st = sp_bad_irql(FunctionCode);
        } else if (!mdl) {
            st = STOR_STATUS_INVALID_PARAMETER;
        } else {
            mk_port_begin();
            mk_mdl_build_nonpaged(mdl);
            mk_port_end();
            st = STOR_STATUS_SUCCESS;
        }
        break;
    }
    case ExtFunctionGetSystemAddress: {
        PSCSI_REQUEST_BLOCK srb = va_arg(ap, PSCSI_REQUEST_BLOCK);
        PVOID *out = va_arg(ap, PVOID *);
        st = sp_get_system_address(srb, out);
        break;
    }
    case ExtFunctionGetOriginalMdl: {
        PSCSI_REQUEST_BLOCK srb = va_arg(ap, PSCSI_REQUEST_BLOCK);
        PVOID *out = va_arg(ap, PVOID *);
        st = sp_get_original_mdl(srb, out);
        break;
    }
    case ExtFunctionAllocateContiguousMemorySpecifyCacheNode: {
        SIZE_T bytes = va_arg(ap, SIZE_T);
        PHYSICAL_ADDRESS low = va_arg(ap, PHYSICAL_ADDRESS);
        PHYSICAL_ADDRESS high = va_arg(ap, PHYSICAL_ADDRESS);
        PHYSICAL_ADDRESS boundary = va_arg(ap, PHYSICAL_ADDRESS);
        MEMORY_CACHING_TYPE cache = (MEMORY_CACHING_TYPE)va_arg(ap, int);
        NODE_REQUIREMENT node = va_arg(ap, NODE_REQUIREMENT);
        PVOID *out = va_arg(ap, PVOID *);
        st = sp_allocate_contiguous(a, bytes, low, high, boundary, cache, node, out, caller);
        break;
    }
    case ExtFunctionFreeContiguousMemorySpecifyCache: {
        PVOID base = va_arg(ap, PVOID);
        SIZE_T bytes = va_arg(ap, SIZE_T);
        MEMORY_CACHING_TYPE cache = (MEMORY_CACHING_TYPE)va_arg(ap, int);
        st = sp_free_contiguous(a, base, bytes, cache);
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
 * Adapter start and stop
 * ---------------------------------------------------------------------- */
static const char *sp_kind_name(int kind)
{
    switch (kind) {
    case SP_POOL:
        return "StorPortAllocatePool block";
    case SP_MDL:
        return "StorPortAllocateMdl MDL";
    default:
        return "StorPortAllocateContiguousMemorySpecifyCacheNode block";
    }
}

/* Frees everything the adapter still holds. Returns the number of
 * allocations the miniport left behind (each named in a bug-check note). */
static size_t sp_destroy(sp_adapter *a)
{
    /* Requests the miniport never completed: aborted. */
    sp_reap(a);
    pthread_mutex_lock(&a->lock);
    sp_request *reqs = a->requests;
    a->requests = NULL;
    pthread_mutex_unlock(&a->lock);
    while (reqs) {
        sp_request *next = reqs->next;
        reqs->srb->SrbStatus = SRB_STATUS_ABORTED;
        sp_request_release(reqs);
        reqs = next;
    }
    size_t leaks = 0;
    for (int h = 0; h < SP_HASH; h++) {
        mk_port_track *t = a->allocs[h];
        a->allocs[h] = NULL;
        while (t) {
            mk_port_track *next = t->next;
            if (leaks < SP_LEAK_NOTES_MAX) {
                char who[256];
                mk_port_caller_name(t->caller, who, sizeof who);
                if (t->kind == SP_POOL) {
                    char tag[5];
                    memcpy(tag, &t->tag, 4);
                    tag[4] = 0;
                    mk_bugcheck_note("leaked %s %p, %zu bytes, tag '%s', allocated at %s", sp_kind_name(t->kind),
                                     t->addr, t->len, tag, who);
                } else {
                    mk_bugcheck_note("leaked %s %p, %zu bytes, allocated at %s", sp_kind_name(t->kind), t->addr,
                                     t->len, who);
                }
            }
            leaks++;
            /* with Pool Tracking, listed with its allocating stack (JSON "leaks") */
            mk_verifier_untrack_leak(t->kind == SP_CONTIG ? MK_TRACK_CONTIG : MK_TRACK_POOL, t->addr);
            mk_driver *old = mk_driver_enter(NULL);
            mk_port_begin();
            if (t->kind == SP_POOL)
                mk_ex_free(t->addr, t->tag, NULL);
            else if (t->kind == SP_MDL)
                mk_mdl_free(t->addr);
            else
                MmFreeContiguousMemorySpecifyCache(t->addr, t->len, (MEMORY_CACHING_TYPE)t->tag);
            mk_port_end();
            mk_driver_leave(old);
            free(t);
            t = next;
        }
    }
    if (leaks > SP_LEAK_NOTES_MAX)
        mk_bugcheck_note("... and %zu more", leaks - SP_LEAK_NOTES_MAX);
    a->nallocs = 0;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    if (a->uncached)
        MmFreeContiguousMemorySpecifyCache(a->uncached, a->uncached_size, MmCached);
    if (a->ext)
        mk_ex_free(a->ext, SP_EXT_TAG, NULL);
    mk_port_end();
    mk_driver_leave(old);
    for (int i = 0; i < SP_MAX_ADAPTERS; i++) {
        sp_adapter *exp = a;
        atomic_compare_exchange_strong(&sp_adapters[i], &exp, NULL);
    }
    a->magic = 0;
    free(a->ranges);
    pthread_mutex_destroy(&a->lock);
    free(a);
    return leaks;
}

static void sp_report_leaks(size_t leaks, PVOID ext)
{
    if (leaks)
        mk_violation(MDLKIT_RULE_STORPORT_ALLOCATE_POOL2,
                     "The adapter stopped with memory it allocated through StorPort still outstanding (each leak "
                     "is listed below)",
                     (ULONG_PTR)leaks, (ULONG_PTR)ext);
}

NTSTATUS mdlkit_storport_start_adapter(PDRIVER_OBJECT driver, PVOID *hw_device_extension)
{
    MK_ENTER("mdlkit_storport_start_adapter");
    mk_thread_attach();
    if (!hw_device_extension)
        return STATUS_INVALID_PARAMETER;
    *hw_device_extension = NULL;
    mk_driver *d = mk_driver_from_object(driver);
    if (!d)
        return STATUS_INVALID_PARAMETER;
    if (d->model != MK_MODEL_STORPORT || !d->port || mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    sp_driver *s = d->port;
    sp_adapter *a = calloc(1, sizeof *a);
    if (!a)
        return STATUS_INSUFFICIENT_RESOURCES;
    a->magic = SP_ADAPTER_MAGIC;
    a->spd = s;
    pthread_mutex_init(&a->lock, NULL);
    ULONG n = s->hw.NumberOfAccessRanges;
    a->ranges = calloc(n ? n : 1, sizeof(ACCESS_RANGE));
    SIZE_T ext_size = s->hw.DeviceExtensionSize ? s->hw.DeviceExtensionSize : 16;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    a->ext = mk_ex_allocate(sp_nonpaged_type(), ext_size, SP_EXT_TAG, NormalPoolPriority, 1, NULL);
    mk_port_end();
    mk_driver_leave(old);
    int slot = -1;
    if (a->ext && a->ranges)
        for (int i = 0; i < SP_MAX_ADAPTERS && slot < 0; i++) {
            sp_adapter *exp = NULL;
            if (atomic_compare_exchange_strong(&sp_adapters[i], &exp, a))
                slot = i;
        }
    if (slot < 0) {
        sp_destroy(a);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    PORT_CONFIGURATION_INFORMATION *c = &a->config;
    c->Length = sizeof *c;
    c->AdapterInterfaceType = s->hw.AdapterInterfaceType;
    c->InterruptMode = LevelSensitive;
    c->MaximumTransferLength = SP_UNINITIALIZED_VALUE;
    c->NumberOfPhysicalBreaks = SP_UNINITIALIZED_VALUE;
    c->DmaChannel = SP_UNINITIALIZED_VALUE;
    c->DmaPort = SP_UNINITIALIZED_VALUE;
    c->NumberOfAccessRanges = n;
    c->AccessRanges = (ACCESS_RANGE(*)[])a->ranges;
    c->NumberOfBuses = 1;
    c->InitiatorBusId[0] = SP_UNTAGGED;
    c->MaximumNumberOfTargets = 8;
    c->MaximumNumberOfLogicalUnits = 8;
    c->MapBuffers = s->hw.MapBuffers;
    c->NeedPhysicalAddresses = s->hw.NeedPhysicalAddresses;
    c->TaggedQueuing = s->hw.TaggedQueuing;
    c->AutoRequestSense = s->hw.AutoRequestSense;
    c->MultipleRequestPerLu = s->hw.MultipleRequestPerLu;
    c->ReceiveEvent = s->hw.ReceiveEvent;
    c->DeviceExtensionSize = s->hw.DeviceExtensionSize;
    c->SpecificLuExtensionSize = s->hw.SpecificLuExtensionSize;
    c->SrbExtensionSize = s->hw.SrbExtensionSize;
    c->SynchronizationModel = StorSynchronizeHalfDuplex;
    c->FeatureSupport = s->hw.FeatureSupport;

    /* HwFindAdapter at PASSIVE_LEVEL. */
    a->phase = SP_PHASE_FINDADAPTER;
    BOOLEAN again = FALSE;
    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    ULONG found = s->hw.HwFindAdapter(a->ext, s->hw_context, NULL, NULL, c, &again);
    mk_port_return_from_miniport(&f);
    if (found != SP_RETURN_FOUND) {
        PVOID ext = a->ext;
        sp_report_leaks(sp_destroy(a), ext);
        return found == SP_RETURN_NOT_FOUND ? STATUS_NO_SUCH_DEVICE : STATUS_UNSUCCESSFUL;
    }

    /* HwInitialize at the (simulated) device IRQL. */
    a->phase = SP_PHASE_INITIALIZE;
    KIRQL oldirql = sp_raise(SP_DIRQL);
    mk_port_call_miniport(&f, d);
    BOOLEAN ok = s->hw.HwInitialize(a->ext);
    mk_port_return_from_miniport(&f);
    sp_lower(oldirql);
    if (!ok) {
        PVOID ext = a->ext;
        sp_report_leaks(sp_destroy(a), ext);
        return STATUS_UNSUCCESSFUL;
    }
    a->phase = SP_PHASE_RUNNING;
    *hw_device_extension = a->ext;
    return STATUS_SUCCESS;
}

/* ScsiStopAdapter through HwAdapterControl, if the miniport supports it. */
static void sp_stop_miniport(sp_adapter *a)
{
    sp_driver *s = a->spd;
    if (!s->hw.HwAdapterControl)
        goto free_resources;
    union {
        SCSI_SUPPORTED_CONTROL_TYPE_LIST l;
        UCHAR room[sizeof(SCSI_SUPPORTED_CONTROL_TYPE_LIST) + ScsiAdapterControlMax + 1];
    } q;
    memset(&q, 0, sizeof q);
    q.l.MaxControlType = ScsiAdapterControlMax;
    mk_port_frame f;
    mk_port_call_miniport(&f, s->drv);
    s->hw.HwAdapterControl(a->ext, ScsiQuerySupportedControlTypes, &q.l);
    mk_port_return_from_miniport(&f);
    if (q.l.SupportedTypeList[ScsiStopAdapter]) {
        KIRQL oldirql = sp_raise(SP_DIRQL);
        mk_port_call_miniport(&f, s->drv);
        s->hw.HwAdapterControl(a->ext, ScsiStopAdapter, NULL);
        mk_port_return_from_miniport(&f);
        sp_lower(oldirql);
    }
free_resources:
    /* Then, at PASSIVE_LEVEL, the place to free what the miniport
     * allocated through StorPort (docs/ddi-notes.md). */
    if (s->hw.HwFreeAdapterResources) {
        mk_port_frame g;
        mk_port_call_miniport(&g, s->drv);
        s->hw.HwFreeAdapterResources(a->ext);
        mk_port_return_from_miniport(&g);
    }
}

NTSTATUS mdlkit_storport_stop_adapter(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_stop_adapter");
    mk_thread_attach();
    sp_adapter *a = sp_find(hw_device_extension);
    if (!a)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL || a->phase != SP_PHASE_RUNNING)
        return STATUS_INVALID_DEVICE_STATE;
    a->phase = SP_PHASE_STOPPING;
    sp_stop_miniport(a);
    sp_report_leaks(sp_destroy(a), hw_device_extension);
    return STATUS_SUCCESS;
}

void mk_storport_driver_unloading(mk_driver *d)
{
    for (int i = 0; i < SP_MAX_ADAPTERS; i++) {
        sp_adapter *a = atomic_load(&sp_adapters[i]);
        if (a && a->spd && a->spd->drv == d && a->phase == SP_PHASE_RUNNING)
            mdlkit_storport_stop_adapter(a->ext);
    }
}

void mk_storport_shutdown(void)
{
    /* The machine is going away: drop the records (the memory itself goes
     * with the machine). */
    for (int i = 0; i < SP_MAX_ADAPTERS; i++) {
        sp_adapter *a = atomic_exchange(&sp_adapters[i], NULL);
        if (!a)
            continue;
        for (int h = 0; h < SP_HASH; h++)
            for (mk_port_track *t = a->allocs[h], *n; t; t = n) {
                n = t->next;
                free(t);
            }
        for (sp_request *r = a->requests, *n; r; r = n) {
            n = r->next;
            free(r);
        }
        free(a->ranges);
        pthread_mutex_destroy(&a->lock);
        free(a);
    }
    pthread_mutex_lock(&sp_global);
    sp_driver *s = sp_drivers;
    sp_drivers = NULL;
    pthread_mutex_unlock(&sp_global);
    while (s) {
        sp_driver *n = s->next;
        free(s);
        s = n;
    }
}

void mk_storport_init(void) { clock_gettime(CLOCK_MONOTONIC, &sp_boot); }
