/*
 * iobuild.c -- IRPs a driver builds for another driver:
 * IoBuildDeviceIoControlRequest, IoBuildSynchronousFsdRequest,
 * IoBuildAsynchronousFsdRequest.
 *
 * The buffers are described as the target device wants them (a system
 * buffer for METHOD_BUFFERED / DO_BUFFERED_IO, an MDL probed and locked in
 * kernel mode for direct I/O, the caller's addresses for METHOD_NEITHER).
 * The first two IRPs belong to the I/O manager: when they complete it
 * copies buffered output back, frees the system buffer and MDLs, stores
 * the I/O status, signals the event and frees the IRP
 * (mk_io_build_complete). An asynchronous FSD request belongs to its
 * caller, who frees it (IoFreeIrp) from its completion routine.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"

#include <string.h>

#define BLD_SYSBUF_TAG 'BSoI'       /* "IoSB" */
#define MK_IRP_BUILT 0x10000000UL   /* private Irp->Flags bit: freed by mk_io_build_complete */

static void *bld_sysbuf(ULONG size)
{
    mk_driver *old = mk_driver_enter(NULL);
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, size, BLD_SYSBUF_TAG);
    mk_driver_leave(old);
    return p;
}

static void bld_free_sysbuf(PIRP irp)
{
    if ((irp->Flags & IRP_DEALLOCATE_BUFFER) && irp->AssociatedIrp.SystemBuffer) {
        mk_driver *old = mk_driver_enter(NULL);
        ExFreePoolWithTag(irp->AssociatedIrp.SystemBuffer, BLD_SYSBUF_TAG);
        mk_driver_leave(old);
    }
    irp->AssociatedIrp.SystemBuffer = NULL;
    irp->Flags &= ~(ULONG)IRP_DEALLOCATE_BUFFER;
}

/* Describes buf with an MDL on the IRP, locked for `op`: STATUS_SUCCESS, or
 * why not (the probe's exception, or no MDL). */
static NTSTATUS bld_lock(PIRP irp, PVOID buf, ULONG len, LOCK_OPERATION op)
{
    PMDL mdl = IoAllocateMdl(buf, len, FALSE, FALSE, irp);
    if (!mdl)
        return STATUS_INSUFFICIENT_RESOURCES;
    volatile NTSTATUS st = STATUS_SUCCESS;
    MDLKIT_TRY { MmProbeAndLockPages(mdl, KernelMode, op); }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { st = GetExceptionCode(); }
    MDLKIT_END;
    if (!NT_SUCCESS(st)) {
        irp->MdlAddress = NULL;
        IoFreeMdl(mdl);
    }
    return st;
}

/* I/O verification: a buffer the I/O manager could not lock is the
 * documented 0xC9/0x08 (FSD requests) or 0x09 (device controls) with the
 * device, the major function or control code, and the exception status. */
static void bld_bad_buffer(ULONG subcode, PDEVICE_OBJECT dev, ULONG what, NTSTATUS st)
{
    if (st != STATUS_INSUFFICIENT_RESOURCES && mk_verifier_on(MDLKIT_VERIFY_IO_CHECKING))
        mk_bugcheck(DRIVER_VERIFIER_IOMANAGER_VIOLATION, subcode, (ULONG_PTR)dev, what, (ULONG_PTR)(ULONG)st);
}

static void bld_discard(PIRP irp)
{
    bld_free_sysbuf(irp);
    mk_irp_release_mdls(irp);
    IoFreeIrp(irp);
}

PIRP IoBuildDeviceIoControlRequest(ULONG IoControlCode, PDEVICE_OBJECT DeviceObject, PVOID InputBuffer,
                                   ULONG InputBufferLength, PVOID OutputBuffer, ULONG OutputBufferLength,
                                   BOOLEAN InternalDeviceIoControl, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)
{
    MK_ENTER("IoBuildDeviceIoControlRequest");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, IoBuildDeviceIoControlRequest);
    if (!DeviceObject || DeviceObject->Type != IO_TYPE_DEVICE || !IoStatusBlock)
        mk_violation(0x16, "IoBuildDeviceIoControlRequest: DeviceObject and IoStatusBlock are not optional",
                     (ULONG_PTR)DeviceObject, (ULONG_PTR)IoStatusBlock);
    PIRP irp = IoAllocateIrp(DeviceObject->StackSize, FALSE);
    if (!irp)
        return NULL;
    irp->Flags = MK_IRP_BUILT;
    irp->RequestorMode = KernelMode;
    irp->UserIosb = IoStatusBlock;
    irp->UserEvent = Event;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = InternalDeviceIoControl ? IRP_MJ_INTERNAL_DEVICE_CONTROL : IRP_MJ_DEVICE_CONTROL;
    sp->Parameters.DeviceIoControl.IoControlCode = IoControlCode;
    sp->Parameters.DeviceIoControl.InputBufferLength = InputBufferLength;
    sp->Parameters.DeviceIoControl.OutputBufferLength = OutputBufferLength;
    irp->Overlay.AllocationSize.QuadPart = OutputBufferLength; /* the copy-back limit (a kernel IRP has no APC) */
    ULONG method = METHOD_FROM_CTL_CODE(IoControlCode);
    if (method == METHOD_BUFFERED) {
        ULONG size = InputBufferLength > OutputBufferLength ? InputBufferLength : OutputBufferLength;
        if (size) {
            irp->AssociatedIrp.SystemBuffer = bld_sysbuf(size);
            if (!irp->AssociatedIrp.SystemBuffer) {
                IoFreeIrp(irp);
                return NULL;
            }
            irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (OutputBufferLength ? IRP_INPUT_OPERATION : 0);
            memset(irp->AssociatedIrp.SystemBuffer, 0, size);
            if (InputBuffer && InputBufferLength)
                memcpy(irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
        }
        irp->UserBuffer = OutputBuffer;
    } else if (method == METHOD_IN_DIRECT || method == METHOD_OUT_DIRECT) {
        if (InputBuffer && InputBufferLength) {
            irp->AssociatedIrp.SystemBuffer = bld_sysbuf(InputBufferLength);
            if (!irp->AssociatedIrp.SystemBuffer) {
                IoFreeIrp(irp);
                return NULL;
            }
            irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
            memcpy(irp->AssociatedIrp.SystemBuffer, InputBuffer, InputBufferLength);
        }
        if (OutputBuffer && OutputBufferLength) {
            NTSTATUS st = bld_lock(irp, OutputBuffer, OutputBufferLength,
                                   method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
            if (!NT_SUCCESS(st)) {
                bld_discard(irp);
                bld_bad_buffer(0x09, DeviceObject, IoControlCode, st);
                return NULL;
            }
        }
        irp->UserBuffer = OutputBuffer;
    } else {
        sp->Parameters.DeviceIoControl.Type3InputBuffer = InputBuffer;
        irp->UserBuffer = OutputBuffer;
    }
    return irp;
}

static PIRP bld_fsd(const char *routine, ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer,
                    ULONG Length, PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock)
{
    if (!DeviceObject || DeviceObject->Type != IO_TYPE_DEVICE)
        mk_violation(0x16, routine, (ULONG_PTR)DeviceObject, MajorFunction);
    if (MajorFunction != IRP_MJ_READ && MajorFunction != IRP_MJ_WRITE && MajorFunction != IRP_MJ_FLUSH_BUFFERS &&
        MajorFunction != IRP_MJ_SHUTDOWN && MajorFunction != IRP_MJ_PNP && MajorFunction != IRP_MJ_POWER)
        mk_violation(0x16, routine, (ULONG_PTR)DeviceObject, MajorFunction);
    PIRP irp = IoAllocateIrp(DeviceObject->StackSize, FALSE);
    if (!irp)
        return NULL;
    irp->RequestorMode = KernelMode;
    irp->UserIosb = IoStatusBlock;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = (UCHAR)MajorFunction;
    if (MajorFunction != IRP_MJ_READ && MajorFunction != IRP_MJ_WRITE)
        return irp;
    int reading = MajorFunction == IRP_MJ_READ;
    sp->Parameters.Read.Length = Length;
    irp->Overlay.AllocationSize.QuadPart = reading ? Length : 0; /* the copy-back limit */
    if (StartingOffset)
        sp->Parameters.Read.ByteOffset = *StartingOffset;
    if (DeviceObject->Flags & DO_BUFFERED_IO) {
        if (Length) {
            irp->AssociatedIrp.SystemBuffer = bld_sysbuf(Length);
            if (!irp->AssociatedIrp.SystemBuffer) {
                IoFreeIrp(irp);
                return NULL;
            }
            irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (reading ? IRP_INPUT_OPERATION : 0);
            if (reading)
                memset(irp->AssociatedIrp.SystemBuffer, 0, Length);
            else
                memcpy(irp->AssociatedIrp.SystemBuffer, Buffer, Length);
        }
        irp->UserBuffer = Buffer;
    } else if (DeviceObject->Flags & DO_DIRECT_IO) {
        NTSTATUS st = Length ? bld_lock(irp, Buffer, Length, reading ? IoWriteAccess : IoReadAccess) : STATUS_SUCCESS;
        if (!NT_SUCCESS(st)) {
            bld_discard(irp);
            bld_bad_buffer(0x08, DeviceObject, MajorFunction, st);
            return NULL;
        }
    } else {
        irp->UserBuffer = Buffer;
    }
    return irp;
}

PIRP IoBuildSynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
                                  PLARGE_INTEGER StartingOffset, PKEVENT Event, PIO_STATUS_BLOCK IoStatusBlock)
{
    MK_ENTER("IoBuildSynchronousFsdRequest");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, IoBuildSynchronousFsdRequest);
    if (!Event || !IoStatusBlock)
        mk_violation(0x16, "IoBuildSynchronousFsdRequest: Event and IoStatusBlock are not optional", (ULONG_PTR)Event,
                     (ULONG_PTR)IoStatusBlock);
    PIRP irp = bld_fsd("IoBuildSynchronousFsdRequest: bad device object or major function", MajorFunction,
                       DeviceObject, Buffer, Length, StartingOffset, IoStatusBlock);
    if (irp) {
        irp->Flags |= MK_IRP_BUILT;
        irp->UserEvent = Event;
    }
    return irp;
}

PIRP IoBuildAsynchronousFsdRequest(ULONG MajorFunction, PDEVICE_OBJECT DeviceObject, PVOID Buffer, ULONG Length,
                                   PLARGE_INTEGER StartingOffset, PIO_STATUS_BLOCK IoStatusBlock)
{
    MK_ENTER("IoBuildAsynchronousFsdRequest");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoBuildAsynchronousFsdRequest);
    return bld_fsd("IoBuildAsynchronousFsdRequest: bad device object or major function", MajorFunction,
                   DeviceObject, Buffer, Length, StartingOffset, IoStatusBlock);
}

int mk_io_build_complete(PIRP Irp)
{
    if (!(Irp->Flags & MK_IRP_BUILT))
        return 0;
    if ((Irp->Flags & (IRP_BUFFERED_IO | IRP_INPUT_OPERATION)) == (IRP_BUFFERED_IO | IRP_INPUT_OPERATION) &&
        !NT_ERROR(Irp->IoStatus.Status) && Irp->AssociatedIrp.SystemBuffer && Irp->UserBuffer) {
        ULONG_PTR cap = (ULONG_PTR)Irp->Overlay.AllocationSize.QuadPart;
        ULONG_PTR n = Irp->IoStatus.Information < cap ? Irp->IoStatus.Information : cap;
        memcpy(Irp->UserBuffer, Irp->AssociatedIrp.SystemBuffer, n);
    }
    bld_free_sysbuf(Irp);
    mk_irp_release_mdls(Irp);
    if (Irp->UserIosb)
        *Irp->UserIosb = Irp->IoStatus;
    PKEVENT ev = Irp->UserEvent;
    Irp->Flags &= ~(ULONG)MK_IRP_BUILT;
    IoFreeIrp(Irp);
    if (ev)
        KeSetEvent(ev, IO_NO_INCREMENT, FALSE);
    return 1;
}
