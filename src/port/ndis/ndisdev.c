/*
 * ndisdev.c -- NDIS control devices: NdisRegisterDeviceEx,
 * NdisDeregisterDeviceEx, NdisGetDeviceReservedExtension.
 *
 * A miniport or filter driver does not own its DRIVER_OBJECT's dispatch
 * table (NDIS does), so it gives NdisRegisterDeviceEx a table of its own
 * per device. mdlkit creates the device with IoCreateDevice (and the
 * symbolic link with IoCreateSymbolicLink), keeps a copy of that table at
 * the head of the device extension, and routes every IRP for the device
 * through it: the driver object's entries become a dispatcher that calls
 * the device's routine, completes the IRP with
 * STATUS_INVALID_DEVICE_REQUEST when the table has none, and hands IRPs
 * for other devices of the driver to whatever routine the entry held
 * before. NdisGetDeviceReservedExtension gives the ExtensionSize bytes
 * after that head.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_port.h"

#include <ndis.h>

#include <stdlib.h>
#include <string.h>

#define NV_MAGIC 0x4E564544u /* 'NVED' */

/* The head of the device extension; the driver's part follows. */
typedef struct nv_head {
    uint32_t magic;
    struct nv_dev *rec;
    PDRIVER_DISPATCH table[IRP_MJ_MAXIMUM_FUNCTION + 1];
} nv_head;
#define NV_HEAD_SIZE ((sizeof(nv_head) + 15) & ~(size_t)15)

typedef struct nv_dev {
    mk_driver *drv;              /* first member (mk_ndis_find_handle) */
    PDEVICE_OBJECT dev;
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

static nv_head *nv_head_of(PDEVICE_OBJECT dev)
{
    if (!dev || !dev->DeviceExtension)
        return NULL;
    nv_head *h = dev->DeviceExtension;
    return h->magic == NV_MAGIC ? h : NULL;
}

static NTSTATUS nv_dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    UCHAR major = sp->MajorFunction;
    nv_head *h = nv_head_of(DeviceObject);
    if (h && major <= IRP_MJ_MAXIMUM_FUNCTION) {
        if (h->table[major])
            return h->table[major](DeviceObject, Irp);
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
    mk_driver *d = *(mk_driver **)mk_ndis_lookup(NdisHandle, kind);
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
    NTSTATUS st = IoCreateDevice(&d->obj, (ULONG)(NV_HEAD_SIZE + a->ExtensionSize), a->DeviceName,
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
    nv_head *h = dev->DeviceExtension;
    h->magic = NV_MAGIC;
    h->rec = rec;
    memcpy(h->table, a->MajorFunctions, sizeof h->table);
    rec->dev = dev;
    if (!nv_take_dispatch(&d->obj) || !mk_ndis_register_handle(rec, MK_NDIS_DEVICE, rec)) {
        if (rec->link.Buffer)
            IoDeleteSymbolicLink(&rec->link);
        h->magic = 0;
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
    nv_head *h = rec->dev->DeviceExtension;
    h->magic = 0;
    IoDeleteDevice(rec->dev);
    free(rec);
}

PVOID NdisGetDeviceReservedExtension(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("NdisGetDeviceReservedExtension");
    nv_head *h = nv_head_of(DeviceObject);
    return h ? (PUCHAR)h + NV_HEAD_SIZE : NULL;
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
