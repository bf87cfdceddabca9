/*
 * csq.c -- cancel-safe IRP queues: IoCsqInitialize, IoCsqInitializeEx,
 * IoCsqInsertIrp, IoCsqInsertIrpEx, IoCsqRemoveIrp, IoCsqRemoveNextIrp.
 *
 * The driver keeps the queue and its lock (the callbacks); these routines
 * keep the cancel routine of every queued IRP in step with it, so that an
 * IRP is taken out of the queue exactly once: by a remove routine that
 * cleared its cancel routine first, or by the queue's own cancel routine,
 * which hands it to CsqCompleteCanceledIrp.
 *
 * Irp->Tail.Overlay.DriverContext[3] holds the queue (or the
 * IO_CSQ_IRP_CONTEXT given at insertion) while the IRP is queued, as the
 * documentation reserves it.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"

#define CSQ_SLOT 3

static PIO_CSQ csq_of(PIRP Irp)
{
    PVOID p = Irp->Tail.Overlay.DriverContext[CSQ_SLOT];
    if (!p)
        return NULL;
    if (*(const ULONG *)p == IO_TYPE_CSQ_IRP_CONTEXT)
        return ((PIO_CSQ_IRP_CONTEXT)p)->Csq;
    return (PIO_CSQ)p;
}

/* The IRP is out of the queue: forget the association. */
static void csq_detach(PIRP Irp)
{
    PVOID p = Irp->Tail.Overlay.DriverContext[CSQ_SLOT];
    if (p && *(const ULONG *)p == IO_TYPE_CSQ_IRP_CONTEXT)
        ((PIO_CSQ_IRP_CONTEXT)p)->Irp = NULL;
    Irp->Tail.Overlay.DriverContext[CSQ_SLOT] = NULL;
}

static void csq_check(PIO_CSQ Csq, const char *routine)
{
    if (!Csq || (Csq->Type != IO_TYPE_CSQ && Csq->Type != IO_TYPE_CSQ_EX))
        mk_violation(0x16, routine, (ULONG_PTR)Csq, 0);
}

/* The cancel routine of every queued IRP (called with the cancel spin
 * lock held). */
static void csq_cancel(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    PIO_CSQ csq = csq_of(Irp);
    IoReleaseCancelSpinLock(Irp->CancelIrql);
    KIRQL irql;
    csq->CsqAcquireLock(csq, &irql);
    csq->CsqRemoveIrp(csq, Irp);
    csq_detach(Irp);
    csq->CsqReleaseLock(csq, irql);
    csq->CsqCompleteCanceledIrp(csq, Irp);
}

static NTSTATUS csq_init(const char *why, ULONG type, PIO_CSQ Csq, void *CsqInsertIrp,
                         PIO_CSQ_REMOVE_IRP CsqRemoveIrp, PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp,
                         PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock, PIO_CSQ_RELEASE_LOCK CsqReleaseLock,
                         PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    if (!Csq || !CsqInsertIrp || !CsqRemoveIrp || !CsqPeekNextIrp || !CsqAcquireLock || !CsqReleaseLock ||
        !CsqCompleteCanceledIrp)
        mk_violation(0x16, why, (ULONG_PTR)Csq, 0);
    Csq->Type = type;
    Csq->CsqInsertIrp = (PIO_CSQ_INSERT_IRP)CsqInsertIrp;
    Csq->CsqRemoveIrp = CsqRemoveIrp;
    Csq->CsqPeekNextIrp = CsqPeekNextIrp;
    Csq->CsqAcquireLock = CsqAcquireLock;
    Csq->CsqReleaseLock = CsqReleaseLock;
    Csq->CsqCompleteCanceledIrp = CsqCompleteCanceledIrp;
    Csq->ReservePointer = NULL;
    return STATUS_SUCCESS;
}

NTSTATUS IoCsqInitialize(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                         PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                         PIO_CSQ_RELEASE_LOCK CsqReleaseLock, PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    MK_ENTER("IoCsqInitialize");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCsqInitialize);
    MK_OBJ_FAULT(Csq);
    return csq_init("IoCsqInitialize: the queue and every callback are required", IO_TYPE_CSQ, Csq,
                    (void *)CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp);
}

NTSTATUS IoCsqInitializeEx(PIO_CSQ Csq, PIO_CSQ_INSERT_IRP_EX CsqInsertIrp, PIO_CSQ_REMOVE_IRP CsqRemoveIrp,
                           PIO_CSQ_PEEK_NEXT_IRP CsqPeekNextIrp, PIO_CSQ_ACQUIRE_LOCK CsqAcquireLock,
                           PIO_CSQ_RELEASE_LOCK CsqReleaseLock, PIO_CSQ_COMPLETE_CANCELED_IRP CsqCompleteCanceledIrp)
{
    MK_ENTER("IoCsqInitializeEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCsqInitializeEx);
    MK_OBJ_FAULT(Csq);
    return csq_init("IoCsqInitializeEx: the queue and every callback are required", IO_TYPE_CSQ_EX, Csq,
                    (void *)CsqInsertIrp, CsqRemoveIrp, CsqPeekNextIrp, CsqAcquireLock, CsqReleaseLock,
                    CsqCompleteCanceledIrp);
}

NTSTATUS IoCsqInsertIrpEx(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context, PVOID InsertContext)
{
    MK_ENTER("IoCsqInsertIrpEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCsqInsertIrpEx);
    MK_OBJ_FAULT(Csq);
    csq_check(Csq, "IoCsqInsertIrp: not an initialised cancel-safe queue");
    if (!Irp || Irp->Type != IO_TYPE_IRP)
        mk_violation(0x16, "IoCsqInsertIrp: not an IRP", (ULONG_PTR)Irp, (ULONG_PTR)Csq);
    KIRQL irql;
    Csq->CsqAcquireLock(Csq, &irql);
    if (Csq->Type == IO_TYPE_CSQ_EX) {
        NTSTATUS st = ((PIO_CSQ_INSERT_IRP_EX)(void *)Csq->CsqInsertIrp)(Csq, Irp, InsertContext);
        if (!NT_SUCCESS(st)) {
            Csq->CsqReleaseLock(Csq, irql);
            return st; /* not queued: the caller still owns the IRP */
        }
    } else {
        Csq->CsqInsertIrp(Csq, Irp);
    }
    if (Context) {
        Context->Type = IO_TYPE_CSQ_IRP_CONTEXT;
        Context->Irp = Irp;
        Context->Csq = Csq;
        Irp->Tail.Overlay.DriverContext[CSQ_SLOT] = Context;
    } else {
        Irp->Tail.Overlay.DriverContext[CSQ_SLOT] = Csq;
    }
    IoMarkIrpPending(Irp);
    IoSetCancelRoutine(Irp, csq_cancel);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL)) {
        /* cancelled before it was queued, and the cancel routine will not
         * run: take it out again and complete it as cancelled */
        Csq->CsqRemoveIrp(Csq, Irp);
        csq_detach(Irp);
        Csq->CsqReleaseLock(Csq, irql);
        Csq->CsqCompleteCanceledIrp(Csq, Irp);
        return STATUS_SUCCESS;
    }
    Csq->CsqReleaseLock(Csq, irql);
    return STATUS_SUCCESS;
}

void IoCsqInsertIrp(PIO_CSQ Csq, PIRP Irp, PIO_CSQ_IRP_CONTEXT Context)
{
    MK_ENTER("IoCsqInsertIrp");
    MK_OBJ_FAULT(Csq);
    IoCsqInsertIrpEx(Csq, Irp, Context, NULL);
}

PIRP IoCsqRemoveIrp(PIO_CSQ Csq, PIO_CSQ_IRP_CONTEXT Context)
{
    MK_ENTER("IoCsqRemoveIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCsqRemoveIrp);
    MK_OBJ_FAULT(Csq);
    csq_check(Csq, "IoCsqRemoveIrp: not an initialised cancel-safe queue");
    if (!Context)
        mk_violation(0x16, "IoCsqRemoveIrp: Context is not optional", (ULONG_PTR)Csq, 0);
    KIRQL irql;
    Csq->CsqAcquireLock(Csq, &irql);
    PIRP irp = Context->Irp;
    if (irp) {
        if (IoSetCancelRoutine(irp, NULL)) {
            Csq->CsqRemoveIrp(Csq, irp);
            csq_detach(irp);
        } else {
            irp = NULL; /* being cancelled: its cancel routine takes it out */
        }
    }
    Csq->CsqReleaseLock(Csq, irql);
    return irp;
}

PIRP IoCsqRemoveNextIrp(PIO_CSQ Csq, PVOID PeekContext)
{
    MK_ENTER("IoCsqRemoveNextIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoCsqRemoveNextIrp);
    MK_OBJ_FAULT(Csq);
    csq_check(Csq, "IoCsqRemoveNextIrp: not an initialised cancel-safe queue");
    KIRQL irql;
    Csq->CsqAcquireLock(Csq, &irql);
    PIRP irp = Csq->CsqPeekNextIrp(Csq, NULL, PeekContext);
    while (irp) {
        if (IoSetCancelRoutine(irp, NULL)) {
            Csq->CsqRemoveIrp(Csq, irp);
            csq_detach(irp);
            break;
        }
        /* being cancelled: skip it, its cancel routine takes it out */
        irp = Csq->CsqPeekNextIrp(Csq, irp, PeekContext);
    }
    Csq->CsqReleaseLock(Csq, irql);
    return irp;
}
