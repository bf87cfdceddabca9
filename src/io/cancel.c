/*
 * cancel.c -- IRP cancellation: the system-wide cancel spin lock
 * (IoAcquireCancelSpinLock, IoReleaseCancelSpinLock) and IoCancelIrp.
 *
 * IoCancelIrp sets Irp->Cancel and takes the cancel routine out of the IRP
 * atomically; if there was one, it calls it at DISPATCH_LEVEL with the
 * cancel spin lock held (Irp->CancelIrql is the IRQL to give back), as
 * documented: the routine releases the lock. IoSetCancelRoutine is the
 * documented interlocked exchange (inline in io.h).
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"

static KSPIN_LOCK cancel_lock;

void IoAcquireCancelSpinLock(PKIRQL Irql)
{
    MK_ENTER("IoAcquireCancelSpinLock");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAcquireCancelSpinLock);
    if (!Irql)
        mk_violation(0x16, "IoAcquireCancelSpinLock: Irql is not optional", 0, 0);
    KeAcquireSpinLock(&cancel_lock, Irql);
}

void IoReleaseCancelSpinLock(KIRQL Irql)
{
    MK_ENTER("IoReleaseCancelSpinLock");
    KeReleaseSpinLock(&cancel_lock, Irql);
}

BOOLEAN IoCancelIrp(PIRP Irp)
{
    MK_ENTER("IoCancelIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCancelIrp);
    if (!Irp || Irp->Type != IO_TYPE_IRP)
        mk_violation(0x16, "IoCancelIrp: not an IRP", (ULONG_PTR)Irp, 0);
    KIRQL irql;
    IoAcquireCancelSpinLock(&irql);
    Irp->Cancel = TRUE;
    PDRIVER_CANCEL routine = IoSetCancelRoutine(Irp, NULL);
    if (!routine) {
        IoReleaseCancelSpinLock(irql);
        return FALSE;
    }
    Irp->CancelIrql = irql;
    /* the driver the IRP is with: the device of its current stack location */
    PDEVICE_OBJECT dev = NULL;
    if (Irp->CurrentLocation <= Irp->StackCount)
        dev = IoGetCurrentIrpStackLocation(Irp)->DeviceObject;
    mk_devobj_ext *x = dev ? mk_io_device_ext(dev) : NULL;
    mk_driver *old = mk_driver_enter(x ? x->driver : mk_self.driver);
    routine(dev, Irp);
    mk_driver_leave(old);
    return TRUE;
}

void mk_io_cancel_reset(void) { cancel_lock = 0; }
