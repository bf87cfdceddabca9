/*
 * driver.c -- driver hosting: mdlkit_driver_load / mdlkit_driver_unload /
 * mdlkit_driver_call, and the device objects a driver creates
 * (IoCreateDevice, IoDeleteDevice).
 *
 * A hosted driver is a struct mk_driver (src/mk_driver.h) whose first member
 * is the DRIVER_OBJECT handed to DriverEntry. Driver objects are mdlkit's own
 * structures (host memory); device objects and their extensions are
 * non-paged pool allocated on the system's behalf (not charged to the
 * driver), as on Windows.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ke.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DRV_RULE_IRQL_IO_APC_LTE 0x00020009UL  /* IrqlIoApcLte */
#define DRV_RULE_IRQL_IO_PASSIVE1 0x0002000AUL /* IrqlIoPassive1 (IoCreateDevice) */
#define DRV_DEVICE_TAG 'veDk'
#define DRV_NO_MORE_IRP_STACK_LOCATIONS 0x35

static pthread_mutex_t drv_lock = PTHREAD_MUTEX_INITIALIZER;
static mk_driver *drv_all;       /* every driver loaded on this machine */
static unsigned drv_next_id = 1;

static void drv_widen(WCHAR *dst, size_t cap, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *p = a; *p && n + 1 < cap; p++)
        dst[n++] = (WCHAR)(unsigned char)*p;
    for (const char *p = b; *p && n + 1 < cap; p++)
        dst[n++] = (WCHAR)(unsigned char)*p;
    dst[n] = 0;
}

static USHORT drv_wlen(const WCHAR *w)
{
    USHORT n = 0;
    while (w[n])
        n++;
    return (USHORT)(n * sizeof(WCHAR));
}

mk_driver *mk_driver_from_object(PDRIVER_OBJECT obj)
{
    if (!obj)
        return NULL;
    mk_driver *found = NULL;
    pthread_mutex_lock(&drv_lock);
    for (mk_driver *d = drv_all; d; d = d->next)
        if (&d->obj == obj && d->magic == MK_DRIVER_MAGIC && d->state != MK_DRV_UNLOADED) {
            found = d;
            break;
        }
    pthread_mutex_unlock(&drv_lock);
    return found;
}

const char *mk_driver_current_name(void) { return mk_self.driver ? mk_self.driver->name : "(system)"; }

/* The I/O manager's answer for a major function the driver did not set. */
static NTSTATUS drv_invalid_request(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    return STATUS_INVALID_DEVICE_REQUEST;
}

static void drv_delete_devices(mk_driver *d)
{
    while (d->obj.DeviceObject)
        IoDeleteDevice(d->obj.DeviceObject);
}

NTSTATUS mdlkit_driver_load(const char *name, PDRIVER_INITIALIZE entry, PDRIVER_OBJECT *out)
{
    MK_ENTER("mdlkit_driver_load");
    mk_thread_attach();
    if (out)
        *out = NULL;
    if (!name || !*name || !entry || !out)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL) {
        fprintf(stderr, "mdlkit_driver_load(%s): DriverEntry runs at PASSIVE_LEVEL; called at IRQL %u\n", name,
                mk_irql());
        return STATUS_INVALID_DEVICE_STATE;
    }
    mk_driver *d = calloc(1, sizeof *d);
    if (!d)
        return STATUS_INSUFFICIENT_RESOURCES;
    snprintf(d->name, sizeof d->name, "%s", name);
    drv_widen(d->name_w, MK_ARRAY_SIZE(d->name_w), "\\Driver\\", d->name);
    static const char services[] = "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\";
    drv_widen(d->regpath_w, MK_ARRAY_SIZE(d->regpath_w), services, d->name);
    d->obj.Type = IO_TYPE_DRIVER;
    d->obj.Size = (CSHORT)sizeof(DRIVER_OBJECT);
    d->obj.DriverExtension = &d->ext;
    d->obj.DriverName.Buffer = d->name_w;
    d->obj.DriverName.Length = drv_wlen(d->name_w);
    d->obj.DriverName.MaximumLength = (USHORT)(d->obj.DriverName.Length + sizeof(WCHAR));
    d->obj.DriverInit = entry;
    for (int i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++)
        d->obj.MajorFunction[i] = drv_invalid_request;
    d->ext.DriverObject = &d->obj;
    d->regpath.Buffer = d->regpath_w;
    d->regpath.Length = drv_wlen(d->regpath_w);
    d->regpath.MaximumLength = (USHORT)(d->regpath.Length + sizeof(WCHAR));
    d->ext.ServiceKeyName.Buffer = d->regpath_w + (sizeof services - 1); /* the service name ends the key */
    d->ext.ServiceKeyName.Length = (USHORT)(strlen(d->name) * sizeof(WCHAR));
    d->ext.ServiceKeyName.MaximumLength = d->ext.ServiceKeyName.Length;
    d->magic = MK_DRIVER_MAGIC;
    d->state = MK_DRV_LOADING;
    d->model = MK_MODEL_WDM;

    pthread_mutex_lock(&drv_lock);
    d->id = drv_next_id++;
    d->next = drv_all;
    drv_all = d;
    pthread_mutex_unlock(&drv_lock);

    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    NTSTATUS st = entry(&d->obj, &d->regpath);
    mk_port_return_from_miniport(&f);

    if (!NT_SUCCESS(st)) {
        /* The I/O manager deletes what the failed driver left behind. */
        mk_port_driver_unloading(d);
        drv_delete_devices(d);
        mk_port_driver_unloaded(d);
        d->state = MK_DRV_UNLOADED;
        d->magic = 0;
        return st;
    }
    d->state = MK_DRV_LOADED;
    *out = &d->obj;
    return st;
}

NTSTATUS mdlkit_driver_unload(PDRIVER_OBJECT driver)
{
    MK_ENTER("mdlkit_driver_unload");
    mk_thread_attach();
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || d->state != MK_DRV_LOADED)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    d->state = MK_DRV_UNLOADING;
    /* PnP stops the devices first: adapters still started are stopped (and
     * leak-checked) by their port layer. */
    mk_port_driver_unloading(d);
    if (d->obj.DriverUnload) {
        mk_port_frame f;
        mk_port_call_miniport(&f, d);
        d->obj.DriverUnload(&d->obj);
        mk_port_return_from_miniport(&f);
    }
    drv_delete_devices(d);
    mk_port_driver_unloaded(d);
    d->state = MK_DRV_UNLOADED;
    /* its system threads must have ended, its timers and DPCs be cancelled */
    mk_exec_driver_unloaded(d);
    /* Pool tracking: anything still charged to the driver is a leak (may bug
     * check; the driver object stays allocated until shutdown either way). */
    mk_verifier_on_driver_unload(d);
    d->magic = 0;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_driver_call(PDRIVER_OBJECT driver, PIRP irp)
{
    MK_ENTER("mdlkit_driver_call");
    mk_thread_attach();
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || !irp)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() > DISPATCH_LEVEL)
        mk_bugcheck(IRQL_NOT_LESS_OR_EQUAL, (ULONG_PTR)irp, mk_irql(), 0, (ULONG_PTR)__builtin_return_address(0));
    /* As IoCallDriver: move to the next stack location (filled in by the
     * caller), which becomes the driver's current one. */
    if (irp->CurrentLocation <= 1)
        mk_bugcheck(DRV_NO_MORE_IRP_STACK_LOCATIONS, (ULONG_PTR)irp, 0, 0, 0);
    irp->CurrentLocation--;
    irp->Tail.Overlay.CurrentStackLocation--;
    PIO_STACK_LOCATION sp = irp->Tail.Overlay.CurrentStackLocation;
    sp->DeviceObject = d->obj.DeviceObject;
    if (sp->MajorFunction > IRP_MJ_MAXIMUM_FUNCTION) {
        irp->CurrentLocation++;
        irp->Tail.Overlay.CurrentStackLocation++;
        return STATUS_INVALID_PARAMETER;
    }
    PDRIVER_DISPATCH fn = d->obj.MajorFunction[sp->MajorFunction];
    if (!fn)
        fn = drv_invalid_request;
    mk_port_frame f;
    mk_port_call_miniport(&f, d);
    NTSTATUS st = fn(d->obj.DeviceObject, irp);
    mk_port_return_from_miniport(&f);
    return st;
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                        ULONG DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    MK_ENTER("IoCreateDevice");
    (void)DeviceName;
    (void)Exclusive;
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(DRV_RULE_IRQL_IO_PASSIVE1, "IoCreateDevice must be called at IRQL == PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)DriverObject);
    mk_driver *d = mk_driver_from_object(DriverObject);
    if (!d || !DeviceObject)
        mk_violation(0x16, "IoCreateDevice: DriverObject is not a loaded driver, or DeviceObject is NULL",
                     (ULONG_PTR)DriverObject, (ULONG_PTR)DeviceObject);
    *DeviceObject = NULL;
    SIZE_T ext = ((SIZE_T)DeviceExtensionSize + 15) & ~(SIZE_T)15;
    SIZE_T size = ((sizeof(DEVICE_OBJECT) + 15) & ~(SIZE_T)15) + ext;
    mk_driver *old = mk_driver_enter(NULL); /* the I/O manager's allocation */
    mk_port_begin();
    PDEVICE_OBJECT dev = ExAllocatePoolWithTag(NonPagedPoolNx, size, DRV_DEVICE_TAG);
    mk_port_end();
    mk_driver_leave(old);
    if (!dev)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(dev, 0, size);
    dev->Type = IO_TYPE_DEVICE;
    dev->Size = (USHORT)(sizeof(DEVICE_OBJECT) + DeviceExtensionSize);
    dev->ReferenceCount = 0;
    dev->DriverObject = DriverObject;
    dev->Flags = DO_DEVICE_INITIALIZING;
    dev->Characteristics = DeviceCharacteristics;
    dev->DeviceExtension = DeviceExtensionSize ? (PCHAR)dev + ((sizeof(DEVICE_OBJECT) + 15) & ~(SIZE_T)15) : NULL;
    dev->DeviceType = DeviceType;
    dev->StackSize = 1;
    pthread_mutex_lock(&drv_lock);
    dev->NextDevice = DriverObject->DeviceObject; /* newest first, as Windows */
    DriverObject->DeviceObject = dev;
    pthread_mutex_unlock(&drv_lock);
    *DeviceObject = dev;
    return STATUS_SUCCESS;
}

void IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("IoDeleteDevice");
    mk_port_prohibited_ddi("IoDeleteDevice");
    if (mk_irql() > APC_LEVEL)
        mk_violation(DRV_RULE_IRQL_IO_APC_LTE, "IoDeleteDevice must be called at IRQL <= APC_LEVEL", mk_irql(),
                     (ULONG_PTR)DeviceObject);
    PDRIVER_OBJECT obj = DeviceObject ? DeviceObject->DriverObject : NULL;
    int found = 0;
    pthread_mutex_lock(&drv_lock);
    if (obj && DeviceObject->Type == IO_TYPE_DEVICE) {
        for (PDEVICE_OBJECT *pp = &obj->DeviceObject; *pp; pp = &(*pp)->NextDevice)
            if (*pp == DeviceObject) {
                *pp = DeviceObject->NextDevice;
                found = 1;
                break;
            }
    }
    pthread_mutex_unlock(&drv_lock);
    if (!found)
        mk_violation(0x16, "IoDeleteDevice: not a live device object (deleted twice?)", (ULONG_PTR)DeviceObject, 0);
    DeviceObject->Type = 0;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    ExFreePoolWithTag(DeviceObject, DRV_DEVICE_TAG);
    mk_port_end();
    mk_driver_leave(old);
}

void mk_driver_shutdown_all(void)
{
    pthread_mutex_lock(&drv_lock);
    mk_driver *d = drv_all;
    drv_all = NULL;
    drv_next_id = 1;
    pthread_mutex_unlock(&drv_lock);
    while (d) {
        mk_driver *next = d->next;
        d->magic = 0;
        free(d);
        d = next;
    }
    mk_self.driver = NULL;
}
