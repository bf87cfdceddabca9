/*
 * ioctl.c -- "mdlfill", an example WDM driver with a METHOD_OUT_DIRECT and a
 * METHOD_NEITHER device control. Written exactly as a Windows driver is
 * written: WDK headers only, DriverEntry, dispatch routines, IRQL rules.
 * mdlkit compiles and runs it unchanged (see ioctl_harness.c).
 *
 *  - IOCTL_MDLFILL_FILL (METHOD_OUT_DIRECT): writes a pattern through
 *    MmGetSystemAddressForMdlSafe(Irp->MdlAddress) into the caller's buffer.
 *  - IOCTL_MDLFILL_CHECKSUM (METHOD_NEITHER): locks the caller's user buffer
 *    itself (IoAllocateMdl + MmProbeAndLockPages(UserMode) under __try, as
 *    the sioctl sample does), checksums it, unlocks and frees the MDL.
 *  - Every request is logged in a small history ring under a spin lock.
 *
 * MdlFillDebugFlags turns on two deliberate bugs (see ioctl.h).
 */
#include <wdm.h>

#include "ioctl.h"

ULONG MdlFillDebugFlags = 0;

typedef struct _MDLFILL_HISTORY_ENTRY {
    ULONG IoControlCode;
    ULONG Length;
    ULONG Seed;
    NTSTATUS Status;
} MDLFILL_HISTORY_ENTRY, *PMDLFILL_HISTORY_ENTRY;

typedef struct _MDLFILL_EXTENSION {
    KSPIN_LOCK Lock;                 /* protects everything below */
    ULONG DebugFlags;                /* MdlFillDebugFlags at load time */
    ULONG Fills;
    ULONG Checksums;
    ULONG64 Bytes;
    ULONG HistoryNext;
    PMDLFILL_HISTORY_ENTRY History;  /* MDLFILL_HISTORY_ENTRIES entries */
} MDLFILL_EXTENSION, *PMDLFILL_EXTENSION;

static DRIVER_UNLOAD MdlFillUnload;
static DRIVER_DISPATCH MdlFillCreateClose;
static DRIVER_DISPATCH MdlFillDeviceControl;

/* Runs at DISPATCH_LEVEL (spin lock held): the history must be non-paged. */
static void MdlFillRecord(PMDLFILL_EXTENSION Ext, ULONG Code, ULONG Length, ULONG Seed, NTSTATUS Status)
{
    KIRQL oldIrql;
    KeAcquireSpinLock(&Ext->Lock, &oldIrql);
    PMDLFILL_HISTORY_ENTRY e = &Ext->History[Ext->HistoryNext++ % MDLFILL_HISTORY_ENTRIES];
    e->IoControlCode = Code;
    e->Length = Length;
    e->Seed = Seed;
    e->Status = Status;
    if (NT_SUCCESS(Status)) {
        if (Code == IOCTL_MDLFILL_FILL)
            Ext->Fills++;
        else
            Ext->Checksums++;
        Ext->Bytes += Length;
    }
    KeReleaseSpinLock(&Ext->Lock, oldIrql);
}

static NTSTATUS MdlFillFill(PIRP Irp, PIO_STACK_LOCATION Sp, PULONG Seed, PULONG_PTR Information)
{
    PMDLFILL_REQUEST req = (PMDLFILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    if (Sp->Parameters.DeviceIoControl.InputBufferLength < sizeof(MDLFILL_REQUEST) || req == NULL)
        return STATUS_BUFFER_TOO_SMALL;
    if (Irp->MdlAddress == NULL)
        return STATUS_INVALID_PARAMETER;
    *Seed = req->Seed;
    ULONG length = MmGetMdlByteCount(Irp->MdlAddress);
    PUCHAR out = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
    if (out == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    for (ULONG i = 0; i < length; i++)
        out[i] = MdlFillPatternByte(req->Seed, i);
    *Information = length;
    return STATUS_SUCCESS;
}

static NTSTATUS MdlFillChecksum(PMDLFILL_EXTENSION Ext, PIO_STACK_LOCATION Sp, PULONG_PTR Information)
{
    PVOID userBuffer = Sp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG length = Sp->Parameters.DeviceIoControl.InputBufferLength;
    if (userBuffer == NULL || length == 0)
        return STATUS_INVALID_PARAMETER;

    PMDL mdl = IoAllocateMdl(userBuffer, length, FALSE, FALSE, NULL);
    if (mdl == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;

    volatile NTSTATUS status = STATUS_SUCCESS;
    __try {
        MmProbeAndLockPages(mdl, UserMode, IoReadAccess);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    if (!NT_SUCCESS(status)) {
        IoFreeMdl(mdl);
        return status;
    }

    PUCHAR p = (PUCHAR)MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
    if (p == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    } else {
        ULONG sum = 1;
        for (ULONG i = 0; i < length; i++)
            sum = MdlFillChecksumStep(sum, p[i]);
        *Information = sum;
        if (Ext->DebugFlags & MDLFILL_DEBUG_EARLY_UNLOCK)
            MmUnlockPages(mdl); /* BUG: "done with the pages" -- but the cleanup below unlocks them again */
    }
    MmUnlockPages(mdl);
    IoFreeMdl(mdl);
    return status;
}

static NTSTATUS MdlFillDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PMDLFILL_EXTENSION ext = (PMDLFILL_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    ULONG code = sp->Parameters.DeviceIoControl.IoControlCode;
    ULONG_PTR information = 0;
    ULONG seed = 0;
    NTSTATUS status;

    switch (code) {
    case IOCTL_MDLFILL_FILL:
        status = MdlFillFill(Irp, sp, &seed, &information);
        MdlFillRecord(ext, code, (ULONG)information, seed, status);
        break;
    case IOCTL_MDLFILL_CHECKSUM:
        status = MdlFillChecksum(ext, sp, &information);
        MdlFillRecord(ext, code, sp->Parameters.DeviceIoControl.InputBufferLength, 0, status);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS MdlFillCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void MdlFillUnload(PDRIVER_OBJECT DriverObject)
{
    PDEVICE_OBJECT dev = DriverObject->DeviceObject;
    UNICODE_STRING link;
    RtlInitUnicodeString(&link, MDLFILL_DOS_NAME);
    IoDeleteSymbolicLink(&link);
    if (dev != NULL) {
        PMDLFILL_EXTENSION ext = (PMDLFILL_EXTENSION)dev->DeviceExtension;
        if (ext->History != NULL)
            ExFreePoolWithTag(ext->History, MDLFILL_TAG);
        IoDeleteDevice(dev);
    }
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    PDEVICE_OBJECT dev = NULL;
    UNICODE_STRING name, link;
    RtlInitUnicodeString(&name, MDLFILL_NT_NAME);
    RtlInitUnicodeString(&link, MDLFILL_DOS_NAME);
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(MDLFILL_EXTENSION), &name, FILE_DEVICE_UNKNOWN,
                                     FILE_DEVICE_SECURE_OPEN, FALSE, &dev);
    if (!NT_SUCCESS(status))
        return status;
    status = IoCreateSymbolicLink(&link, &name); /* what applications open: \\.\MdlFill */
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(dev);
        return status;
    }

    PMDLFILL_EXTENSION ext = (PMDLFILL_EXTENSION)dev->DeviceExtension;
    RtlZeroMemory(ext, sizeof *ext);
    KeInitializeSpinLock(&ext->Lock);
    ext->DebugFlags = MdlFillDebugFlags;
    /* The history is touched with the spin lock held, so it must be
     * non-paged. The "paged history" debug flag is the classic mistake. */
    POOL_FLAGS poolFlags = (ext->DebugFlags & MDLFILL_DEBUG_PAGED_HISTORY) ? POOL_FLAG_PAGED : POOL_FLAG_NON_PAGED;
    ext->History = (PMDLFILL_HISTORY_ENTRY)ExAllocatePool2(
        poolFlags, sizeof(MDLFILL_HISTORY_ENTRY) * MDLFILL_HISTORY_ENTRIES, MDLFILL_TAG);
    if (ext->History == NULL) {
        IoDeleteSymbolicLink(&link);
        IoDeleteDevice(dev);
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    DriverObject->MajorFunction[IRP_MJ_CREATE] = MdlFillCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = MdlFillCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = MdlFillDeviceControl;
    DriverObject->DriverUnload = MdlFillUnload;
    dev->Flags |= DO_DIRECT_IO;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
