/*
 * ndisdev.c -- NDIS control devices: NdisRegisterDeviceEx,
 * NdisDeregisterDeviceEx, NdisGetDeviceReservedExtension.
 *
 * A miniport or filter driver does not own its DRIVER_OBJECT's dispatch
 * table (NDIS does), so it gives NdisRegisterDeviceEx a table of its own
 * per device. mdlkit creates the device with IoCreateDevice (and the
 * symbolic link with IoCreateSymbolicLink), keeps a copy of that table in
 * its record of the device, and routes every IRP for the device
 * through it: the driver object's entries become a dispatcher that calls
 * the device's routine, completes the IRP with
 * STATUS_INVALID_DEVICE_REQUEST when the table has none, and hands IRPs
 * for other devices of the driver to whatever routine the entry held
 * before. NdisGetDeviceReservedExtension gives the device's extension
 * (ExtensionSize bytes).
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_port.h"

#include <ndis.h>

#include <stdlib.h>
#include <string.h>

typedef struct nv_dev {
    PDEVICE_OBJECT dev;          /* first member (mk_ndis_find_handle's key) */
    mk_driver *drv;
    PDRIVER_DISPATCH table[IRP_MJ_MAXIMUM_FUNCTION + 1]; /* the driver's MajorFunctions */
    UNICODE_STRING link;         /* the symbolic link's name (link_buf), or empty */
    WCHAR link_buf[512];
} nv_dev;

/* What each driver's entries held before the dispatcher took them. */
typedef struct nv_saved {
    PDRIVER_OBJECT obj;
    PDRIVER_DISPATCH before[IRP_MJ_MAXIMUM_FUNCTION + 1];
    struct nv_saved *next;
} nv_saved;
static nv_saved *nv_saved_list;
static pthread_mutex_t nv_lock = PTHREAD_MUTEX_INITIALIZER;

/* The record of a device NdisRegisterDeviceEx created (found by address,
 * so any pointer may be asked about). */
static nv_dev *nv_of(PDEVICE_OBJECT dev)
{
    return dev ? mk_ndis_find_handle(MK_NDIS_DEVICE, dev) : NULL;
}

static NTSTATUS nv_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    UCHAR major = sp->MajorFunction;
    nv_dev *rec = nv_of(DeviceObject);
    if (rec && major <= IRP_MJ_MAXIMUM_FUNCTION) {
        PDRIVER_DISPATCH fn = rec->table[major];
        if (fn)
            return fn(DeviceObject, Irp);
    } else if (major <= IRP_MJ_MAXIMUM_FUNCTION) {
        PDRIVER_DISPATCH before = NULL;
        pthread_mutex_lock(&nv_lock);
        for (nv_saved *s = nv_saved_list; s; s = s->next)
            if (s->obj == DeviceObject->DriverObject)
                before = s->before[major];
        pthread_mutex_unlock(&nv_lock);
        if (before && before != nv_dispatch)
            return before(DeviceObject, Irp);
    }
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_DEVICE_REQUEST;
}

static int nv_take_dispatch(PDRIVER_OBJECT obj)
{
    pthread_mutex_lock(&nv_lock);
    nv_saved *s = nv_saved_list;
    while (s && s->obj != obj)
        s = s->next;
    if (!s) {
        s = calloc(1, sizeof *s);
        if (!s) {
            pthread_mutex_unlock(&nv_lock);
            return 0;
        }
        s->obj = obj;
        s->next = nv_saved_list;
        nv_saved_list = s;
    }
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        if (obj->MajorFunction[i] != nv_dispatch) {
            s->before[i] = obj->MajorFunction[i];
            obj->MajorFunction[i] = nv_dispatch;
        }
    pthread_mutex_unlock(&nv_lock);
    return 1;
}

NDIS_STATUS NdisRegisterDeviceEx(NDIS_HANDLE NdisHandle, PNDIS_DEVICE_OBJECT_ATTRIBUTES DeviceObjectAttributes,
                                 PDEVICE_OBJECT *pDeviceObject, PNDIS_HANDLE NdisDeviceHandle)
{
    MK_ENTER("NdisRegisterDeviceEx");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisRegisterDeviceEx must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisHandle);
    if (pDeviceObject)
        *pDeviceObject = NULL;
    int kind = mk_ndis_handle_kind(NdisHandle);
    if (kind != MK_NDIS_DRIVER && kind != MK_NDIS_FILTER_DRIVER)
        return NDIS_STATUS_NOT_SUPPORTED; /* the caller is not an NDIS driver */
    mk_driver **owner = mk_ndis_lookup(NdisHandle, kind);
    if (!owner)
        return NDIS_STATUS_NOT_SUPPORTED;
    mk_driver *d = *owner;
    PNDIS_DEVICE_OBJECT_ATTRIBUTES a = DeviceObjectAttributes;
    if (!a || !pDeviceObject || !NdisDeviceHandle || a->Header.Type != NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES ||
        a->Header.Revision < NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 ||
        a->Header.Size < NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1 || !a->MajorFunctions)
        return NDIS_STATUS_INVALID_PARAMETER;
    if (a->ExtensionSize > 0x10000000u)
        return NDIS_STATUS_RESOURCES;
    if (a->SymbolicName && a->SymbolicName->Length > sizeof(((nv_dev *)0)->link_buf) - sizeof(WCHAR))
        return NDIS_STATUS_INVALID_PARAMETER; /* longer than any object name mdlkit keeps */
    nv_dev *rec = calloc(1, sizeof *rec);
    if (!rec)
        return NDIS_STATUS_RESOURCES;
    rec->drv = d;
    PDEVICE_OBJECT dev = NULL;
    memcpy(rec->table, a->MajorFunctions, sizeof rec->table);
    NTSTATUS st = IoCreateDevice(&d->obj, a->ExtensionSize, a->DeviceName,
                                 FILE_DEVICE_NETWORK, FILE_DEVICE_SECURE_OPEN, FALSE, &dev);
    if (!NT_SUCCESS(st)) {
        free(rec);
        return (NDIS_STATUS)st;
    }
    if (a->SymbolicName && a->SymbolicName->Buffer) {
        st = IoCreateSymbolicLink(a->SymbolicName, a->DeviceName);
        if (!NT_SUCCESS(st)) {
            IoDeleteDevice(dev);
            free(rec);
            return (NDIS_STATUS)st;
        }
        rec->link.Buffer = rec->link_buf;
        rec->link.Length = a->SymbolicName->Length;
        rec->link.MaximumLength = (USHORT)sizeof rec->link_buf;
        memcpy(rec->link_buf, a->SymbolicName->Buffer, a->SymbolicName->Length);
    }
    rec->dev = dev;
    if (!nv_take_dispatch(&d->obj) || !mk_ndis_register_handle(rec, MK_NDIS_DEVICE, rec)) {
        if (rec->link.Buffer)
            IoDeleteSymbolicLink(&rec->link);
        IoDeleteDevice(dev);
        free(rec);
        return NDIS_STATUS_RESOURCES;
    }
    dev->Flags &= ~DO_DEVICE_INITIALIZING; /* NDIS hands it over ready */
    *pDeviceObject = dev;
    *NdisDeviceHandle = rec;
    return NDIS_STATUS_SUCCESS;
}

void NdisDeregisterDeviceEx(NDIS_HANDLE NdisDeviceHandle)
{
    MK_ENTER("NdisDeregisterDeviceEx");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MISCELLANEOUS_FUNCTION, "NdisDeregisterDeviceEx must be called at PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)NdisDeviceHandle);
    nv_dev *rec = mk_ndis_lookup_or_report(NdisDeviceHandle, MK_NDIS_DEVICE,
                                           "NdisDeregisterDeviceEx: not a handle from NdisRegisterDeviceEx (or "
                                           "deregistered twice)");
    mk_ndis_unregister_handle(rec);
    if (rec->link.Buffer)
        IoDeleteSymbolicLink(&rec->link);
    IoDeleteDevice(rec->dev);
    free(rec);
}

PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("NdisGetDeviceReservedExtension");
    nv_dev *rec = nv_of(DeviceObject);
    return rec ? rec->dev->DeviceExtension : NULL;
}

/* Runtime stop: the saved dispatch entries (device records go with the
 * handle table). */
void mk_ndis_device_shutdown(void)
{
    pthread_mutex_lock(&nv_lock);
    for (nv_saved *s = nv_saved_list, *n; s; s = n) {
        n = s->next;
        free(s);
    }
    nv_saved_list = NULL;
    pthread_mutex_unlock(&nv_lock);
}
