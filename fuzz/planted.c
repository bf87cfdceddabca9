/*
 * planted.c -- a small WDM driver with deliberate bugs, for testing that the
 * driver-fuzzing runtime and its fuzzer find them (fuzz/fuzz_planted.c,
 * the planted_* tests in fuzz/CMakeLists.txt). WDK headers only.
 *
 * One METHOD_BUFFERED device control; the input is an operation byte, a
 * 16-bit length and a payload. Each operation is correct unless its bug is
 * selected in PlantedBugs (set by the harness before the driver loads, as
 * a driver reads a registry value):
 *   'C' copy    PLANTED_OVERRUN   copies the whole payload into a block sized
 *                                 by the length field (pool overrun)
 *   'P' pair    PLANTED_UNDERRUN  writes element idx-1 without checking
 *                                 idx != 0 (pool under-run)
 *   'S' stash   PLANTED_UAF       frees its context on the error path, then
 *                                 reads it (use after free)
 *   'V' view    PLANTED_MDL       checksums `length` bytes of the system
 *                                 mapping of a 256-byte partial MDL, bounded
 *                                 by the page instead of the MDL's byte
 *                                 count (MDL over-read)
 *   'L' link    PLANTED_LEAK      two allocations; when the second fails the
 *                                 first leaks (reachable only with faults)
 */
#include <wdm.h>

#define PLANTED_OVERRUN 0x01
#define PLANTED_UNDERRUN 0x02
#define PLANTED_UAF 0x04
#define PLANTED_MDL 0x08
#define PLANTED_LEAK 0x10

#define PLANTED_TAG 'tnlP'
#define PLANTED_VIEW_BYTES 256u
#define IOCTL_PLANTED CTL_CODE(FILE_DEVICE_UNKNOWN, 0x950, METHOD_BUFFERED, FILE_ANY_ACCESS)

ULONG PlantedBugs = 0;

typedef struct _PLANTED_STASH {
    ULONG Length;
    UCHAR Bytes[20];
} PLANTED_STASH, *PPLANTED_STASH;

static NTSTATUS PlantedCopy(const UCHAR *Payload, ULONG PayloadLength, ULONG Length, PULONG_PTR Information)
{
    if (Length == 0 || Length > 1024)
        return STATUS_INVALID_PARAMETER;
    PUCHAR buf = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, Length, PLANTED_TAG);
    if (buf == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    ULONG n = (PlantedBugs & PLANTED_OVERRUN) ? PayloadLength : min(PayloadLength, Length);
    RtlCopyMemory(buf, Payload, n);
    ULONG sum = 0;
    for (ULONG i = 0; i < min(n, Length); i++)
        sum += buf[i];
    ExFreePoolWithTag(buf, PLANTED_TAG);
    *Information = sum;
    return STATUS_SUCCESS;
}

static NTSTATUS PlantedPair(const UCHAR *Payload, ULONG PayloadLength)
{
    PUCHAR pair = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, PLANTED_TAG);
    if (pair == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    LONG idx = PayloadLength ? Payload[0] : 1;
    NTSTATUS status = STATUS_SUCCESS;
    if (idx > 16 || (idx == 0 && !(PlantedBugs & PLANTED_UNDERRUN)))
        status = STATUS_INVALID_PARAMETER;
    else
        pair[idx - 1] = 0xAA; /* idx is 1-based */
    ExFreePoolWithTag(pair, PLANTED_TAG);
    return status;
}

static NTSTATUS PlantedStash(const UCHAR *Payload, ULONG PayloadLength, PULONG_PTR Information)
{
    PPLANTED_STASH s = (PPLANTED_STASH)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof *s, PLANTED_TAG);
    if (s == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    s->Length = min(PayloadLength, (ULONG)sizeof s->Bytes);
    RtlCopyMemory(s->Bytes, Payload, s->Length);
    NTSTATUS status = STATUS_SUCCESS;
    if (s->Length && s->Bytes[0] == '!') {
        status = STATUS_INVALID_PARAMETER;
        ExFreePoolWithTag(s, PLANTED_TAG);
        if (!(PlantedBugs & PLANTED_UAF))
            return status;
    }
    *Information = s->Length ? s->Bytes[s->Length - 1] : 0; /* after the free when the bug is on */
    if (NT_SUCCESS(status))
        ExFreePoolWithTag(s, PLANTED_TAG);
    return status;
}

static NTSTATUS PlantedView(const UCHAR *Payload, ULONG PayloadLength, ULONG Length, PULONG_PTR Information)
{
    PHYSICAL_ADDRESS low, high, skip;
    low.QuadPart = 0;
    high.QuadPart = -1;
    skip.QuadPart = 0;
    PMDL pages = MmAllocatePagesForMdlEx(low, high, skip, PAGE_SIZE, MmCached, 0);
    if (pages == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    if (MmGetMdlByteCount(pages) < PAGE_SIZE) {
        MmFreePagesFromMdl(pages);
        ExFreePool(pages);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    /* A view of the first PLANTED_VIEW_BYTES of the page, mapped. */
    NTSTATUS status = STATUS_SUCCESS;
    PUCHAR view = NULL;
    PMDL part = IoAllocateMdl(MmGetMdlVirtualAddress(pages), PLANTED_VIEW_BYTES, FALSE, FALSE, NULL);
    if (part != NULL) {
        IoBuildPartialMdl(pages, part, MmGetMdlVirtualAddress(pages), PLANTED_VIEW_BYTES);
        view = (PUCHAR)MmGetSystemAddressForMdlSafe(part, NormalPagePriority | MdlMappingNoExecute);
    }
    ULONG limit = (PlantedBugs & PLANTED_MDL) ? PAGE_SIZE : PLANTED_VIEW_BYTES;
    if (view == NULL) {
        status = STATUS_INSUFFICIENT_RESOURCES;
    } else if (Length > limit) {
        status = STATUS_INVALID_PARAMETER;
    } else {
        RtlCopyMemory(view, Payload, min(PayloadLength, (ULONG)PLANTED_VIEW_BYTES));
        ULONG sum = 0;
        for (ULONG i = 0; i < Length; i++)
            sum = sum * 31 + view[i];
        *Information = sum;
    }
    if (view != NULL)
        MmUnmapLockedPages(view, part);
    if (part != NULL)
        IoFreeMdl(part);
    MmFreePagesFromMdl(pages);
    ExFreePool(pages);
    return status;
}

static NTSTATUS PlantedLink(void)
{
    PVOID a = ExAllocatePool2(POOL_FLAG_NON_PAGED, 24, PLANTED_TAG);
    if (a == NULL)
        return STATUS_INSUFFICIENT_RESOURCES;
    PVOID b = ExAllocatePool2(POOL_FLAG_NON_PAGED, 40, PLANTED_TAG);
    if (b == NULL) {
        if (!(PlantedBugs & PLANTED_LEAK))
            ExFreePoolWithTag(a, PLANTED_TAG);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ExFreePoolWithTag(b, PLANTED_TAG);
    ExFreePoolWithTag(a, PLANTED_TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS PlantedDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    const UCHAR *in = (const UCHAR *)Irp->AssociatedIrp.SystemBuffer;
    ULONG inLen = sp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG_PTR information = 0;
    NTSTATUS status;
    if (sp->Parameters.DeviceIoControl.IoControlCode != IOCTL_PLANTED) {
        status = STATUS_INVALID_DEVICE_REQUEST;
    } else if (in == NULL || inLen < 3) {
        status = STATUS_BUFFER_TOO_SMALL;
    } else {
        ULONG length = in[1] | ((ULONG)in[2] << 8);
        const UCHAR *payload = in + 3;
        ULONG payloadLength = inLen - 3;
        switch (in[0]) {
        case 'C':
            status = PlantedCopy(payload, payloadLength, length, &information);
            break;
        case 'P':
            status = PlantedPair(payload, payloadLength);
            break;
        case 'S':
            status = PlantedStash(payload, payloadLength, &information);
            break;
        case 'V':
            status = PlantedView(payload, payloadLength, length, &information);
            break;
        case 'L':
            status = PlantedLink();
            break;
        default:
            status = STATUS_INVALID_PARAMETER;
            break;
        }
    }
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = 0;
    (void)information;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

static NTSTATUS PlantedCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

static void PlantedUnload(PDRIVER_OBJECT DriverObject)
{
    if (DriverObject->DeviceObject != NULL)
        IoDeleteDevice(DriverObject->DeviceObject);
}

NTSTATUS PlantedDriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
    PDEVICE_OBJECT dev = NULL;
    NTSTATUS status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &dev);
    if (!NT_SUCCESS(status))
        return status;
    DriverObject->MajorFunction[IRP_MJ_CREATE] = PlantedCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = PlantedCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = PlantedDeviceControl;
    DriverObject->DriverUnload = PlantedUnload;
    dev->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
