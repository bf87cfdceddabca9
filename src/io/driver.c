/*
 * driver.c -- driver hosting: mdlkit_driver_load / mdlkit_driver_unload /
 * mdlkit_driver_call. (Device objects: device.c.)
 *
 * A hosted driver is a struct mk_driver (src/mk_driver.h) whose first member
 * is the DRIVER_OBJECT handed to DriverEntry. Driver objects are mdlkit's own
 * structures (host memory). As the I/O manager does, the load clears
 * DO_DEVICE_INITIALIZING on the devices DriverEntry created.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ke.h"
#include "mk_hal.h"
#include "mk_io.h"
#include "mk_hooks.h"
#include "mk_verifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The I/O manager's answer for a major function the driver did not set:
 * the request completes as invalid. */
static NTSTATUS drv_invalid_request(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    (void)DeviceObject;
    Irp->IoStatus.Status = STATUS_INVALID_DEVICE_REQUEST;
    Irp->IoStatus.Information = 0;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
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

    mk_driver *old_drv_ = mk_driver_enter(d);
    NTSTATUS st = entry(&d->obj, &d->regpath);
    mk_driver_leave(old_drv_);

    if (!NT_SUCCESS(st)) {
        /* The I/O manager deletes what the failed driver left behind. */
        mk_driver_unloading_notify(d);
        drv_delete_devices(d);
        mk_driver_unloaded_notify(d);
        d->state = MK_DRV_UNLOADED;
        d->magic = 0;
        return st;
    }
    pthread_mutex_lock(&drv_lock);
    for (PDEVICE_OBJECT dev = d->obj.DeviceObject; dev; dev = dev->NextDevice)
        dev->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
    pthread_mutex_unlock(&drv_lock);
    d->state = MK_DRV_LOADED;
    *out = &d->obj;
    return st;
}

static void drv_unload(void *arg);

NTSTATUS mdlkit_driver_unload(PDRIVER_OBJECT driver)
{
    MK_ENTER("mdlkit_driver_unload");
    mk_thread_attach();
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || d->state != MK_DRV_LOADED)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    mk_io_deferred_flush(); /* completed requests give their file objects back */
    /* After a caught bug check, what this unload would raise is information
     * (mk_cleanup_call): a driver whose call bug-checked can be unloaded. */
    (void)mk_cleanup_call(drv_unload, d);
    return STATUS_SUCCESS;
}

static void drv_unload(void *arg)
{
    mk_driver *d = arg;
    mk_io_workitem_drain(d); /* its work items hold its device objects */
    d->state = MK_DRV_UNLOADING;
    /* PnP stops the devices first: adapters still started are stopped (and
     * leak-checked) by their port layer. */
    mk_driver_unloading_notify(d);
    if (d->obj.DriverUnload) {
        mk_driver *old_drv_ = mk_driver_enter(d);
        d->obj.DriverUnload(&d->obj);
        mk_driver_leave(old_drv_);
    }
    drv_delete_devices(d);
    mk_driver_unloaded_notify(d);
    d->state = MK_DRV_UNLOADED;
    /* its system threads must have ended, its timers and DPCs be cancelled */
    mk_exec_driver_unloaded(d);
    /* Pool tracking: anything still charged to the driver is a leak (may bug
     * check; the driver object stays allocated until shutdown either way). */
    mk_verifier_on_driver_unload(d);
    d->magic = 0;
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
    mk_driver *old_drv_ = mk_driver_enter(d);
    NTSTATUS st = fn(d->obj.DeviceObject, irp);
    mk_driver_leave(old_drv_);
    return st;
}

/* Shutdown, before the final leak check: the device objects of drivers
 * still loaded go with the machine (the I/O manager charges device objects
 * to no driver, so they would otherwise count as the process's leaks).
 * Tops of stacks first, so that no device is deleted under another. */
void mk_driver_release_devices(void)
{
    for (;;) {
        PDEVICE_OBJECT victim = NULL, any = NULL;
        pthread_mutex_lock(&drv_lock);
        for (mk_driver *d = drv_all; d && !victim; d = d->next) {
            if (d->magic != MK_DRIVER_MAGIC || d->state != MK_DRV_LOADED)
                continue;
            for (PDEVICE_OBJECT dev = d->obj.DeviceObject; dev; dev = dev->NextDevice) {
                any = dev;
                if (!dev->AttachedDevice) {
                    victim = dev;
                    break;
                }
            }
        }
        pthread_mutex_unlock(&drv_lock);
        if (!victim)
            victim = any; /* attached to a device of an unloaded driver */
        if (!victim)
            return;
        IoDeleteDevice(victim);
    }
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
    mk_io_workitem_reset();
    mk_io_dma_reset();
    mk_obname_reset();
    mk_io_userio_reset();
    mk_io_remlock_reset();
    mk_io_pnp_reset();
    mk_io_cancel_reset();
    mk_io_device_reset();
}
