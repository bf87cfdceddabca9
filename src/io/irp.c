/*
 * irp.c -- the minimal I/O manager: IoAllocateIrp, IoInitializeIrp,
 * IoFreeIrp, IoReuseIrp, IofCallDriver, IofCompleteRequest.
 *
 * IofCallDriver runs the driver's dispatch routine as that driver (its
 * allocations are charged to it). IofCompleteRequest runs the completion
 * routines from the bottom of the stack up; when none claims the IRP (no
 * STATUS_MORE_PROCESSING_REQUIRED) it does what the I/O manager does at the
 * end of completion: for an IRP it built for a user-mode request
 * (userio.c) or with IoBuild*Request (iobuild.c), the copy-back, freeing
 * and signalling those need; for any other, unlocks and frees every MDL on
 * Irp->MdlAddress and copies IoStatus to Irp->UserIosb. An IRP a driver
 * allocated stays with it; IoFreeIrp frees it and never frees MDLs.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"
#include "mk_verifier.h"
#include "mk_hooks.h"

#include <string.h>

/* Bug checks the I/O manager raises. */
#define IRP_NO_MORE_IRP_STACK_LOCATIONS 0x35
#define IRP_MULTIPLE_IRP_COMPLETE_REQUESTS 0x44

/* I/O Verification (0x10): DRIVER_VERIFIER_IOMANAGER_VIOLATION (0xC9)
 * subcodes (P1) this I/O manager can see; docs/verifier.md lists them. */
#define IRP_VF_FREE_NOT_IRP 0x01
#define IRP_VF_FREE_THREADED 0x02
#define IRP_VF_CALL_NOT_IRP 0x03
#define IRP_VF_CALL_BAD_DEVICE 0x04
#define IRP_VF_CALL_IRQL_CHANGED 0x05
#define IRP_VF_COMPLETE_PENDING 0x06
#define IRP_VF_COMPLETE_CANCEL_SET 0x07
#define IRP_VF_COMPLETE_IRQL 0x0E
#define IRP_VF_CALL_IRQL 0x10

static inline bool irp_io_verify(void) { return MK_UNLIKELY(mk_verifier_on(MDLKIT_VERIFY_IO_CHECKING)); }

/* IoFreeIrp under I/O verification: what Windows checks (0xC9/0x01, 0x02)
 * plus a locked MDL left on Irp->MdlAddress -- freeing the IRP loses the
 * only record of those pages, reported as mk_mdl_free reports it (0xCB). */
static MK_NOINLINE void irp_verify_free(PIRP Irp, void *caller)
{
    if (!Irp || Irp->Type != IO_TYPE_IRP)
        mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_FREE_NOT_IRP, (ULONG_PTR)Irp, 0, 0);
    PLIST_ENTRY t = &Irp->ThreadListEntry;
    if (t->Flink && t->Flink != t)
        mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_FREE_THREADED, (ULONG_PTR)Irp, 0, 0);
    for (PMDL m = Irp->MdlAddress; m; m = m->Next)
        if ((m->MdlFlags & MDL_PAGES_LOCKED) && !(m->MdlFlags & MDL_PARTIAL))
            mk_bugcheck(DRIVER_LEFT_LOCKED_PAGES_IN_PROCESS, (ULONG_PTR)caller, 0, (ULONG_PTR)m,
                        ADDRESS_AND_SIZE_TO_SPAN_PAGES(MmGetMdlVirtualAddress(m), m->ByteCount));
}

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
    MK_ENTER("IoAllocateIrp");
    mk_ddi_prohibited_check("IoAllocateIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAllocateIrp);
    (void)ChargeQuota;
    if (StackSize < 1)
        return NULL;
    if (mk_verifier_fail_now(MK_FAULT_IRP, MK_IRP_TAG, __builtin_return_address(0)))
        return NULL;
    USHORT size = IoSizeOfIrp(StackSize);
    PIRP irp = ExAllocatePoolWithTag(mk_os_at_least(NTDDI_WIN8) ? NonPagedPoolNx : NonPagedPool, size, MK_IRP_TAG);
    if (!irp)
        return NULL;
    IoInitializeIrp(irp, size, StackSize);
    return irp;
}

void IoInitializeIrp(PIRP Irp, USHORT PacketSize, CCHAR StackSize)
{
    MK_ENTER("IoInitializeIrp");
    MK_OBJ_FAULT(Irp);
    memset(Irp, 0, PacketSize);
    Irp->Type = IO_TYPE_IRP;
    Irp->Size = PacketSize;
    Irp->StackCount = StackSize;
    Irp->CurrentLocation = (CHAR)(StackSize + 1);
    Irp->Tail.Overlay.CurrentStackLocation = (PIO_STACK_LOCATION)(Irp + 1) + StackSize;
}

void IoFreeIrp(PIRP Irp)
{
    MK_ENTER("IoFreeIrp");
    mk_ddi_prohibited_check("IoFreeIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoFreeIrp);
    if (irp_io_verify())
        irp_verify_free(Irp, __builtin_return_address(0));
    if (!Irp || Irp->Type != IO_TYPE_IRP)
        /* Not an IRP (or one already freed): bad parameters to a memory routine. */
        mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0x16, 0, (ULONG_PTR)Irp, 0);
    Irp->Type = 0;
    ExFreePoolWithTag(Irp, MK_IRP_TAG);
}

void IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)
{
    MK_ENTER("IoReuseIrp");
    MK_OBJ_FAULT(Irp);
    UCHAR alloc_flags = Irp->AllocationFlags;
    IoInitializeIrp(Irp, Irp->Size, Irp->StackCount);
    Irp->AllocationFlags = alloc_flags;
    Irp->IoStatus.Status = Iostatus;
}

NTSTATUS IofCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    MK_ENTER("IofCallDriver");
    bool verify = irp_io_verify();
    if (verify) {
        if (mk_irql() > DISPATCH_LEVEL)
            mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_CALL_IRQL, mk_irql(), 0, 0);
        if (!Irp || Irp->Type != IO_TYPE_IRP)
            mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_CALL_NOT_IRP, (ULONG_PTR)Irp, 0, 0);
        if (!DeviceObject || DeviceObject->Type != IO_TYPE_DEVICE)
            mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_CALL_BAD_DEVICE, (ULONG_PTR)DeviceObject, 0, 0);
    }
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IofCallDriver);
    MK_OBJ_FAULT(Irp);
    MK_OBJ_FAULT(DeviceObject);
    Irp->CurrentLocation--;
    if (Irp->CurrentLocation <= 0)
        mk_bugcheck(IRP_NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)Irp, 0, 0, 0);
    Irp->Tail.Overlay.CurrentStackLocation--;
    PIO_STACK_LOCATION sl = Irp->Tail.Overlay.CurrentStackLocation;
    sl->DeviceObject = DeviceObject;
    PDRIVER_OBJECT drv = DeviceObject->DriverObject;
    PDRIVER_DISPATCH fn = sl->MajorFunction <= IRP_MJ_MAXIMUM_FUNCTION ? drv->MajorFunction[sl->MajorFunction] : NULL;
    if (!fn) {
        /* No dispatch routine: what the I/O manager's default does. */
        Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
        Irp->IoStatus.Information = 0;
        IofCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_INVALID_DEVICE_REQUEST;
    }
    /* A device mdlkit created belongs to a hosted driver: run its code as it. */
    /* The device object is not touched once the dispatch routine ran: a
     * driver may delete it there (IoDeleteDevice in IRP_MN_REMOVE_DEVICE). */
    mk_devobj_ext *x = mk_io_device_ext(DeviceObject);
    mk_driver *owner = x ? x->driver : NULL;
    mk_driver *old_drv_ = mk_self.driver;
    if (owner)
        mk_driver_enter(owner);
    KIRQL before = mk_irql();
    NTSTATUS st = fn(DeviceObject, Irp);
    if (owner)
        mk_driver_leave(old_drv_);
    if (!verify)
        return st;
    if (mk_irql() != before)
        mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_CALL_IRQL_CHANGED, (ULONG_PTR)DeviceObject, before,
                    mk_irql());
    return st;
}

void mk_irp_release_mdls(PIRP Irp)
{
    PMDL mdl = Irp->MdlAddress;
    Irp->MdlAddress = NULL;
    while (mdl) {
        PMDL next = mdl->Next;
        if ((mdl->MdlFlags & MDL_PAGES_LOCKED) && !(mdl->MdlFlags & MDL_PARTIAL))
            MmUnlockPages(mdl);
        IoFreeMdl(mdl);
        mdl = next;
    }
}

/* The end of completion: the I/O manager unlocks and frees the MDL chain. */
static void irp_finish(PIRP Irp)
{
    if (Irp->Flags & MK_IRP_USER_REQUEST) {
        mk_io_user_complete(Irp);
        return;
    }
    if (mk_io_build_complete(Irp))
        return;
    mk_irp_release_mdls(Irp);
    if (Irp->UserIosb)
        *Irp->UserIosb = Irp->IoStatus;
}

void IofCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
    MK_ENTER("IofCompleteRequest");
    MK_OBJ_FAULT(Irp);
    bool verify = irp_io_verify();
    if (verify && mk_irql() > DISPATCH_LEVEL)
        mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_COMPLETE_IRQL, mk_irql(), (ULONG_PTR)Irp, 0);
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IofCompleteRequest);
    (void)PriorityBoost;
    if (Irp->CurrentLocation > Irp->StackCount + 1 || Irp->Type != IO_TYPE_IRP)
        mk_bugcheck(IRP_MULTIPLE_IRP_COMPLETE_REQUESTS, (ULONG_PTR)Irp, 0, 0, 0);
    if (verify) {
        NTSTATUS st = Irp->IoStatus.Status;
        if (st == STATUS_PENDING || st == (NTSTATUS)-1)
            mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_COMPLETE_PENDING, (ULONG_PTR)(ULONG)st,
                        (ULONG_PTR)Irp, 0);
        /* read as IoSetCancelRoutine / IoCancelIrp write it: atomically (a
         * cancel on another thread may be exchanging it right now) */
        PVOID cancel = __atomic_load_n((PVOID volatile *)&Irp->CancelRoutine, __ATOMIC_ACQUIRE);
        if (cancel)
            mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, IRP_VF_COMPLETE_CANCEL_SET, (ULONG_PTR)cancel,
                        (ULONG_PTR)Irp, 0);
    }
    Irp->PendingReturned = 0;
    while (Irp->CurrentLocation <= Irp->StackCount) {
        PIO_STACK_LOCATION sl = IoGetCurrentIrpStackLocation(Irp);
        Irp->PendingReturned = (sl->Control & SL_PENDING_RETURNED) != 0;
        PIO_COMPLETION_ROUTINE routine = sl->CompletionRoutine;
        PVOID ctx = sl->Context;
        UCHAR control = sl->Control;
        /* This location is done: move up before calling the routine. */
        IoSkipCurrentIrpStackLocation(Irp);
        memset(sl, 0, sizeof *sl);
        NTSTATUS st = Irp->IoStatus.Status;
        bool call = routine && ((NT_SUCCESS(st) && (control & SL_INVOKE_ON_SUCCESS)) ||
                                (!NT_SUCCESS(st) && (control & SL_INVOKE_ON_ERROR)) ||
                                (Irp->Cancel && (control & SL_INVOKE_ON_CANCEL)));
        if (call) {
            PDEVICE_OBJECT dev =
                Irp->CurrentLocation <= Irp->StackCount ? IoGetCurrentIrpStackLocation(Irp)->DeviceObject : NULL;
            if (routine(dev, Irp, ctx) == STATUS_MORE_PROCESSING_REQUIRED)
                return; /* the routine owns the IRP now */
        } else if (Irp->PendingReturned && Irp->CurrentLocation <= Irp->StackCount) {
            IoMarkIrpPending(Irp);
        }
    }
    /* Past the top: a second IofCompleteRequest is detected (0x44) until the
     * IRP is reused or freed. */
    IoSkipCurrentIrpStackLocation(Irp);
    irp_finish(Irp);
}
