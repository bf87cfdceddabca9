/*
 * pnp.c -- Plug and Play and power for hosted WDM function drivers:
 *
 *  - mdlkit's root bus (the harness's mdlkit_pnp_add_device and friends):
 *    a bus driver of the I/O manager's own that creates a PDO, calls the
 *    function driver's AddDevice for it, and sends the PnP IRPs the PnP
 *    manager sends (start, query/cancel remove, surprise removal, remove)
 *    to the top of the device's stack, waiting for each. The PDO answers
 *    what a bus driver answers: the state changes succeed,
 *    IRP_MN_QUERY_DEVICE_RELATIONS/TargetDeviceRelation returns the PDO
 *    (referenced), anything else keeps the status it came with. Power IRPs
 *    succeed.
 *  - IoRegisterPlugPlayNotification / IoUnregisterPlugPlayNotification(Ex):
 *    registrations are kept; target-device registrations (on a FILE_OBJECT
 *    of a device) are called with GUID_TARGET_DEVICE_QUERY_REMOVE /
 *    _REMOVE_CANCELLED / _REMOVE_COMPLETE when the root bus removes that
 *    device; interface-change registrations are called with
 *    GUID_DEVICE_INTERFACE_ARRIVAL / _REMOVAL when an interface of their
 *    class is enabled or disabled (and at once for the enabled ones with
 *    PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES).
 *  - Device interfaces of root-bus PDOs: IoRegisterDeviceInterface,
 *    IoSetDeviceInterfaceState. An enabled interface is a symbolic link
 *    "\??\<hardware ID with # for \>#<PDO number>#{class}[\ref]" to the
 *    PDO's name; removing the device disables its interfaces.
 *  - PoStartNextPowerIrp (a no-op since Windows Vista), PoCallDriver,
 *    IoWMIDeviceObjectToProviderId, IoGetDeviceProperty.
 */
#include "mk_machine.h"
#include "mk_driver.h"
#include "mk_io.h"
#include "mk_ke.h"
#include "mk_ob.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* The event GUIDs of <wdmguid.h>, kept here under names of this file: a
 * driver that includes <initguid.h> defines the public names itself. */
static const GUID pnp_ev_query_remove = {0xcb3a4006, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};
static const GUID pnp_ev_remove_cancelled = {0xcb3a4007, 0x46f0, 0x11d0,
                                             {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};
static const GUID pnp_ev_remove_complete = {0xcb3a4008, 0x46f0, 0x11d0,
                                            {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};

/* What the root bus knows of one of its PDOs. */
typedef struct pnp_pdo {
    PDEVICE_OBJECT pdo;
    WCHAR hwid[128];        /* DevicePropertyHardwareID: one string, double NUL */
    WCHAR description[128]; /* DevicePropertyDeviceDescription */
    WCHAR name[32];         /* DevicePropertyPhysicalDeviceObjectName */
    int started, removed;
    struct pnp_pdo *next;
} pnp_pdo;

typedef struct pnp_reg {
    IO_NOTIFICATION_EVENT_CATEGORY category;
    GUID guid;              /* interface class (device-interface changes) */
    PFILE_OBJECT file;      /* target device changes: the caller's file object */
    PDEVICE_OBJECT pdo;     /* ... the bottom of its device's stack, referenced */
    PDRIVER_OBJECT driver;
    mk_driver *owner;
    PDRIVER_NOTIFICATION_CALLBACK_ROUTINE callback;
    PVOID context;
    int dead;
    struct pnp_reg *next;
} pnp_reg;

typedef struct pnp_iface {
    PDEVICE_OBJECT pdo;
    GUID guid;
    WCHAR link[200];        /* \??\... (NUL-terminated) */
    USHORT link_len;        /* bytes, without the NUL */
    int enabled;
    int arrival_due;        /* enabled before its device's start completed */
    struct pnp_iface *next;
} pnp_iface;

static pnp_iface *pnp_ifaces;
static pthread_mutex_t pnp_lock = PTHREAD_MUTEX_INITIALIZER;
static pnp_pdo *pnp_pdos;
static pnp_reg *pnp_regs;
static PDRIVER_OBJECT pnp_bus;
static ULONG pnp_next;

static size_t wlen_(const WCHAR *w)
{
    size_t n = 0;
    while (w[n])
        n++;
    return n;
}

static pnp_pdo *pnp_find(PDEVICE_OBJECT pdo)
{
    pnp_pdo *p;
    pthread_mutex_lock(&pnp_lock);
    for (p = pnp_pdos; p && p->pdo != pdo; p = p->next)
        ;
    pthread_mutex_unlock(&pnp_lock);
    return p;
}

static void pnp_passive(const char *why, void *caller)
{
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(0, why, NULL, caller);
}

/* ------------------------------------------------------ the root bus */

static NTSTATUS bus_complete(PIRP Irp, NTSTATUS st, ULONG_PTR info)
{
    Irp->IoStatus.Status = st;
    Irp->IoStatus.Information = info;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS bus_pnp(PDEVICE_OBJECT dev, PIRP Irp)
{
    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
    switch (sp->MinorFunction) {
    case IRP_MN_START_DEVICE:
    case IRP_MN_QUERY_STOP_DEVICE:
    case IRP_MN_STOP_DEVICE:
    case IRP_MN_CANCEL_STOP_DEVICE:
    case IRP_MN_QUERY_REMOVE_DEVICE:
    case IRP_MN_CANCEL_REMOVE_DEVICE:
    case IRP_MN_SURPRISE_REMOVAL:
    case IRP_MN_REMOVE_DEVICE:
        return bus_complete(Irp, STATUS_SUCCESS, 0);
    case IRP_MN_QUERY_DEVICE_RELATIONS:
        if (sp->Parameters.QueryDeviceRelations.Type == TargetDeviceRelation) {
            PDEVICE_RELATIONS r = ExAllocatePool2(POOL_FLAG_PAGED, sizeof *r, 'rDnP');
            if (!r)
                return bus_complete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
            r->Count = 1;
            r->Objects[0] = dev;
            ObReferenceObject(dev); /* the receiver dereferences it */
            return bus_complete(Irp, STATUS_SUCCESS, (ULONG_PTR)r);
        }
        break;
    default:
        break;
    }
    /* not handled by the bus: the status the IRP came with */
    NTSTATUS st = Irp->IoStatus.Status;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS bus_power(PDEVICE_OBJECT dev, PIRP Irp)
{
    (void)dev;
    PoStartNextPowerIrp(Irp);
    return bus_complete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS bus_open_close(PDEVICE_OBJECT dev, PIRP Irp)
{
    (void)dev;
    return bus_complete(Irp, STATUS_SUCCESS, 0);
}

static NTSTATUS bus_pass_status(PDEVICE_OBJECT dev, PIRP Irp)
{
    (void)dev;
    NTSTATUS st = Irp->IoStatus.Status;
    IofCompleteRequest(Irp, IO_NO_INCREMENT);
    return st;
}

static NTSTATUS bus_entry(PDRIVER_OBJECT d, PUNICODE_STRING reg)
{
    (void)reg;
    d->MajorFunction[IRP_MJ_PNP] = bus_pnp;
    d->MajorFunction[IRP_MJ_POWER] = bus_power;
    d->MajorFunction[IRP_MJ_CREATE] = bus_open_close;
    d->MajorFunction[IRP_MJ_CLEANUP] = bus_open_close;
    d->MajorFunction[IRP_MJ_CLOSE] = bus_open_close;
    d->MajorFunction[IRP_MJ_SYSTEM_CONTROL] = bus_pass_status; /* no WMI */
    return STATUS_SUCCESS;
}

/* Sends one PnP IRP to the top of pdo's stack as the PnP manager does
 * (IoStatus.Status STATUS_NOT_SUPPORTED, at PASSIVE_LEVEL) and waits. */
static NTSTATUS pnp_send(PDEVICE_OBJECT pdo, UCHAR minor, ULONG_PTR *info)
{
    KEVENT ev;
    IO_STATUS_BLOCK iosb;
    PDEVICE_OBJECT top = mk_io_attached_top(pdo);
    KeInitializeEvent(&ev, NotificationEvent, FALSE);
    /* The PnP manager's own IRP is not one Driver Verifier's low-resources
     * simulation fails (only the verified drivers' calls are). */
    mk_driver *old = mk_io_manager_enter();
    PIRP irp = IoBuildSynchronousFsdRequest(IRP_MJ_PNP, top, NULL, 0, NULL, &ev, &iosb);
    mk_io_manager_leave(old);
    if (!irp)
        return STATUS_INSUFFICIENT_RESOURCES;
    irp->IoStatus.Status = STATUS_NOT_SUPPORTED;
    IoGetNextIrpStackLocation(irp)->MinorFunction = minor;
    NTSTATUS st = IoCallDriver(top, irp);
    if (st == STATUS_PENDING) {
        KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL);
        st = iosb.Status;
    }
    if (info)
        *info = iosb.Information;
    return st;
}

/* Calls the target-device registrations on pdo's stack with event. */
static void pnp_notify_target(PDEVICE_OBJECT pdo, const GUID *event)
{
    for (;;) {
        pnp_reg *hit = NULL;
        pthread_mutex_lock(&pnp_lock);
        for (pnp_reg *r = pnp_regs; r; r = r->next)
            if (!r->dead && r->category == EventCategoryTargetDeviceChange && r->pdo == pdo) {
                hit = r;
                break;
            }
        if (hit)
            hit->dead = 2; /* called for this event */
        pthread_mutex_unlock(&pnp_lock);
        if (!hit)
            break;
        TARGET_DEVICE_REMOVAL_NOTIFICATION n;
        memset(&n, 0, sizeof n);
        n.Version = 1;
        n.Size = (USHORT)sizeof n;
        n.Event = *event;
        n.FileObject = hit->file;
        mk_driver *old = mk_driver_enter(hit->owner);
        (void)hit->callback(&n, hit->context);
        mk_driver_leave(old);
    }
    pthread_mutex_lock(&pnp_lock);
    for (pnp_reg *r = pnp_regs; r; r = r->next)
        if (r->dead == 2)
            r->dead = 0;
    pthread_mutex_unlock(&pnp_lock);
}

static void pnp_iface_started(PDEVICE_OBJECT pdo);
static void pnp_iface_drop(PDEVICE_OBJECT pdo);

/* The bus forgets and deletes a PDO (after its stack was removed). */
static void pnp_delete_pdo(pnp_pdo *p)
{
    pnp_iface_drop(p->pdo); /* still enabled: disabled by the PnP manager */
    pthread_mutex_lock(&pnp_lock);
    for (pnp_pdo **pp = &pnp_pdos; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    pthread_mutex_unlock(&pnp_lock);
    mk_devobj_ext *x = mk_io_device_ext(p->pdo);
    if (x)
        x->pnp = NULL;
    mk_driver *old = mk_driver_enter(mk_driver_from_object(pnp_bus));
    IoDeleteDevice(p->pdo);
    mk_driver_leave(old);
    free(p);
}

NTSTATUS mdlkit_pnp_add_device(PDRIVER_OBJECT driver, const char *hardware_id, PDEVICE_OBJECT *pdo_out)
{
    MK_ENTER("mdlkit_pnp_add_device");
    mk_thread_attach();
    if (pdo_out)
        *pdo_out = NULL;
    mk_driver *d = mk_driver_from_object(driver);
    if (!d || !pdo_out || !driver->DriverExtension || !driver->DriverExtension->AddDevice)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    if (!pnp_bus) {
        NTSTATUS st = mdlkit_driver_load("mdlkit_root_bus", bus_entry, &pnp_bus);
        if (!NT_SUCCESS(st))
            return st;
    }
    pnp_pdo *p = calloc(1, sizeof *p);
    if (!p)
        return STATUS_INSUFFICIENT_RESOURCES;
    const char *id = hardware_id && *hardware_id ? hardware_id : "ROOT\\MDLKIT";
    size_t i = 0;
    for (; id[i] && i < MK_ARRAY_SIZE(p->hwid) - 2; i++)
        p->hwid[i] = (WCHAR)(unsigned char)id[i];
    for (size_t j = 0; j < i && j < MK_ARRAY_SIZE(p->description) - 1; j++)
        p->description[j] = p->hwid[j];
    WCHAR *name = p->name;
    ULONG n = __atomic_add_fetch(&pnp_next, 1, __ATOMIC_RELAXED);
    static const char hex[] = "0123456789ABCDEF";
    const char *prefix = "\\Device\\";
    size_t k = 0;
    while (prefix[k]) {
        name[k] = (WCHAR)prefix[k];
        k++;
    }
    for (int s = 28; s >= 0; s -= 4)
        name[k++] = (WCHAR)hex[(n >> s) & 0xF];
    name[k] = 0;
    UNICODE_STRING us = {(USHORT)(k * sizeof(WCHAR)), (USHORT)((k + 1) * sizeof(WCHAR)), name};
    PDEVICE_OBJECT pdo;
    mk_driver *old = mk_driver_enter(mk_driver_from_object(pnp_bus));
    NTSTATUS st = IoCreateDevice(pnp_bus, 0, &us, FILE_DEVICE_BUS_EXTENDER, FILE_AUTOGENERATED_DEVICE_NAME, FALSE,
                                 &pdo);
    mk_driver_leave(old);
    if (!NT_SUCCESS(st)) {
        free(p);
        return st;
    }
    pdo->Flags |= DO_BUS_ENUMERATED_DEVICE | DO_POWER_PAGABLE;
    pdo->Flags &= ~(ULONG)DO_DEVICE_INITIALIZING;
    p->pdo = pdo;
    mk_io_device_ext(pdo)->pnp = p;
    pthread_mutex_lock(&pnp_lock);
    p->next = pnp_pdos;
    pnp_pdos = p;
    pthread_mutex_unlock(&pnp_lock);

    old = mk_driver_enter(d);
    st = driver->DriverExtension->AddDevice(driver, pdo);
    mk_driver_leave(old);
    if (!NT_SUCCESS(st)) {
        /* A failed AddDevice cleans up after itself (no IRP follows). A
         * device it left attached keeps the PDO alive: the PDO stays with
         * the bus (its stack is deleted with the driver), so nothing points
         * at a deleted object. */
        if (!pdo->AttachedDevice)
            pnp_delete_pdo(p);
        return st;
    }
    st = pnp_send(pdo, IRP_MN_START_DEVICE, NULL);
    if (!NT_SUCCESS(st)) {
        /* a failed start: the PnP manager removes the stack */
        (void)pnp_send(pdo, IRP_MN_REMOVE_DEVICE, NULL);
        if (!pdo->AttachedDevice)
            pnp_delete_pdo(p);
        return st;
    }
    p->started = 1;
    pnp_iface_started(pdo);
    *pdo_out = pdo;
    return STATUS_SUCCESS;
}

/* ------------------------------------------------- device interfaces */

static const GUID pnp_ev_arrival = {0xcb3a4004, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};
static const GUID pnp_ev_removal = {0xcb3a4005, 0x46f0, 0x11d0, {0xb0, 0x8f, 0x00, 0x60, 0x97, 0x13, 0x05, 0x3f}};

/* Calls one interface-change registration (outside the lock). */
static void pnp_call_iface(pnp_reg *r, const GUID *event, const GUID *cls, const WCHAR *link, USHORT link_len)
{
    WCHAR copy[200];
    memcpy(copy, link, link_len);
    copy[link_len / sizeof(WCHAR)] = 0;
    UNICODE_STRING name = {link_len, (USHORT)(link_len + sizeof(WCHAR)), copy};
    DEVICE_INTERFACE_CHANGE_NOTIFICATION n;
    memset(&n, 0, sizeof n);
    n.Version = 1;
    n.Size = (USHORT)sizeof n;
    n.Event = *event;
    n.InterfaceClassGuid = *cls;
    n.SymbolicLinkName = &name;
    mk_driver *old = mk_driver_enter(r->owner);
    (void)r->callback(&n, r->context);
    mk_driver_leave(old);
}

/* Calls every interface-change registration of the interface's class. */
static void pnp_notify_iface(const GUID *event, const GUID *cls, const WCHAR *link, USHORT link_len)
{
    for (;;) {
        pnp_reg *hit = NULL;
        pthread_mutex_lock(&pnp_lock);
        for (pnp_reg *r = pnp_regs; r; r = r->next)
            if (!r->dead && r->category == EventCategoryDeviceInterfaceChange && IsEqualGUID(&r->guid, cls)) {
                hit = r;
                break;
            }
        if (hit)
            hit->dead = 2;
        pthread_mutex_unlock(&pnp_lock);
        if (!hit)
            break;
        pnp_call_iface(hit, event, cls, link, link_len);
    }
    pthread_mutex_lock(&pnp_lock);
    for (pnp_reg *r = pnp_regs; r; r = r->next)
        if (r->dead == 2)
            r->dead = 0;
    pthread_mutex_unlock(&pnp_lock);
}

static void pnp_put_hex(WCHAR *w, size_t *k, ULONG v, int digits)
{
    static const char hex[] = "0123456789abcdef";
    for (int s = (digits - 1) * 4; s >= 0; s -= 4)
        w[(*k)++] = (WCHAR)hex[(v >> s) & 0xF];
}

NTSTATUS IoRegisterDeviceInterface(PDEVICE_OBJECT PhysicalDeviceObject, CONST GUID *InterfaceClassGuid,
                                   PUNICODE_STRING ReferenceString, PUNICODE_STRING SymbolicLinkName)
{
    MK_ENTER("IoRegisterDeviceInterface");
    pnp_passive("IoRegisterDeviceInterface must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    mk_devobj_ext *x = mk_io_device_ext(PhysicalDeviceObject);
    pnp_pdo *p = x ? x->pnp : NULL;
    if (!p) /* a routine that needs a PDO, given another device object */
        mk_bugcheck(PNP_DETECTED_FATAL_ERROR, 0x2, (ULONG_PTR)PhysicalDeviceObject, 0, 0);
    if (!InterfaceClassGuid || !SymbolicLinkName)
        return STATUS_INVALID_PARAMETER;
    /* the link's name: \??\<hardware id, '\' as '#'>#<pdo number>#{guid}[\ref] */
    WCHAR w[200];
    size_t k = 0;
    const char *pre = "\\??\\";
    for (; *pre; pre++)
        w[k++] = (WCHAR)*pre;
    for (size_t i = 0; p->hwid[i] && k < 100; i++)
        w[k++] = p->hwid[i] == '\\' ? (WCHAR)'#' : p->hwid[i];
    w[k++] = '#';
    size_t nlen = wlen_(p->name);
    for (size_t i = nlen >= 8 ? nlen - 8 : 0; i < nlen; i++)
        w[k++] = p->name[i];
    w[k++] = '#';
    w[k++] = '{';
    const GUID *g = InterfaceClassGuid;
    pnp_put_hex(w, &k, g->Data1, 8);
    w[k++] = '-';
    pnp_put_hex(w, &k, g->Data2, 4);
    w[k++] = '-';
    pnp_put_hex(w, &k, g->Data3, 4);
    w[k++] = '-';
    for (int i = 0; i < 8; i++) {
        if (i == 2)
            w[k++] = '-';
        pnp_put_hex(w, &k, g->Data4[i], 2);
    }
    w[k++] = '}';
    if (ReferenceString && ReferenceString->Length) {
        size_t rn = ReferenceString->Length / sizeof(WCHAR);
        if (!ReferenceString->Buffer || rn > 40)
            return STATUS_INVALID_PARAMETER;
        w[k++] = '\\';
        for (size_t i = 0; i < rn; i++) {
            if (ReferenceString->Buffer[i] == '\\' || ReferenceString->Buffer[i] == '/')
                return STATUS_INVALID_DEVICE_REQUEST; /* one path element */
            w[k++] = ReferenceString->Buffer[i];
        }
    }
    w[k] = 0;
    USHORT bytes = (USHORT)(k * sizeof(WCHAR));
    pnp_iface *f;
    pthread_mutex_lock(&pnp_lock);
    for (f = pnp_ifaces; f; f = f->next)
        if (f->link_len == bytes && !memcmp(f->link, w, bytes))
            break;
    if (!f) {
        f = calloc(1, sizeof *f);
        if (f) {
            f->pdo = PhysicalDeviceObject;
            f->guid = *InterfaceClassGuid;
            memcpy(f->link, w, bytes + sizeof(WCHAR));
            f->link_len = bytes;
            f->next = pnp_ifaces;
            pnp_ifaces = f;
        }
    }
    pthread_mutex_unlock(&pnp_lock);
    if (!f)
        return STATUS_INSUFFICIENT_RESOURCES;
    /* the caller frees the name with RtlFreeUnicodeString */
    UNICODE_STRING src = {bytes, (USHORT)(bytes + sizeof(WCHAR)), w};
    return RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &src, SymbolicLinkName);
}

static pnp_iface *pnp_iface_find(PUNICODE_STRING name)
{
    pnp_iface *f;
    for (f = pnp_ifaces; f; f = f->next)
        if (f->link_len == name->Length && !memcmp(f->link, name->Buffer, name->Length))
            break;
    return f;
}

/* Enables or disables f (pnp_lock not held); 1 if its state changed. */
static int pnp_iface_set(pnp_iface *f, int enable)
{
    pnp_pdo *p = mk_io_device_ext(f->pdo)->pnp;
    pthread_mutex_lock(&pnp_lock);
    int change = f->enabled != enable;
    int was_due = f->arrival_due;
    f->enabled = enable;
    /* the PnP manager announces an interface only once the device's start
     * IRP has completed (mdlkit_pnp_add_device sends what is due then) */
    f->arrival_due = enable && !p->started;
    pthread_mutex_unlock(&pnp_lock);
    if (!change)
        return 0;
    UNICODE_STRING link = {f->link_len, (USHORT)(f->link_len + sizeof(WCHAR)), f->link};
    if (enable) {
        UNICODE_STRING target = {(USHORT)(wlen_(p->name) * sizeof(WCHAR)), (USHORT)sizeof p->name, p->name};
        (void)IoCreateSymbolicLink(&link, &target);
    } else {
        (void)IoDeleteSymbolicLink(&link);
    }
    if ((enable && !f->arrival_due) || (!enable && !was_due))
        pnp_notify_iface(enable ? &pnp_ev_arrival : &pnp_ev_removal, &f->guid, f->link, f->link_len);
    return 1;
}

/* The device started: announce the interfaces enabled during its start. */
static void pnp_iface_started(PDEVICE_OBJECT pdo)
{
    for (;;) {
        pnp_iface *f;
        pthread_mutex_lock(&pnp_lock);
        for (f = pnp_ifaces; f && !(f->pdo == pdo && f->arrival_due); f = f->next)
            ;
        if (f)
            f->arrival_due = 0;
        pthread_mutex_unlock(&pnp_lock);
        if (!f)
            break;
        pnp_notify_iface(&pnp_ev_arrival, &f->guid, f->link, f->link_len);
    }
}

NTSTATUS IoSetDeviceInterfaceState(PUNICODE_STRING SymbolicLinkName, BOOLEAN Enable)
{
    MK_ENTER("IoSetDeviceInterfaceState");
    pnp_passive("IoSetDeviceInterfaceState must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    if (!SymbolicLinkName || !SymbolicLinkName->Buffer || !SymbolicLinkName->Length)
        return STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&pnp_lock);
    pnp_iface *f = pnp_iface_find(SymbolicLinkName);
    pthread_mutex_unlock(&pnp_lock);
    if (!f)
        return STATUS_OBJECT_NAME_NOT_FOUND;
    if (!pnp_iface_set(f, Enable != FALSE))
        return Enable ? STATUS_OBJECT_NAME_EXISTS : STATUS_OBJECT_NAME_NOT_FOUND;
    return STATUS_SUCCESS;
}

/* The device is gone: its interfaces are disabled (removal callbacks) and
 * forgotten. */
static void pnp_iface_drop(PDEVICE_OBJECT pdo)
{
    for (;;) {
        pnp_iface *f;
        pthread_mutex_lock(&pnp_lock);
        for (f = pnp_ifaces; f && !(f->pdo == pdo && f->enabled); f = f->next)
            ;
        pthread_mutex_unlock(&pnp_lock);
        if (!f)
            break;
        pnp_iface_set(f, 0);
    }
    pthread_mutex_lock(&pnp_lock);
    for (pnp_iface **pp = &pnp_ifaces; *pp;) {
        pnp_iface *f = *pp;
        if (f->pdo == pdo) {
            *pp = f->next;
            free(f);
        } else {
            pp = &f->next;
        }
    }
    pthread_mutex_unlock(&pnp_lock);
}

NTSTATUS mdlkit_pnp_surprise_remove(PDEVICE_OBJECT pdo)
{
    MK_ENTER("mdlkit_pnp_surprise_remove");
    mk_thread_attach();
    pnp_pdo *p = pnp_find(pdo);
    if (!p || p->removed)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    p->removed = 1; /* the device is gone: only IRP_MN_REMOVE_DEVICE may follow */
    NTSTATUS st = pnp_send(pdo, IRP_MN_SURPRISE_REMOVAL, NULL);
    pnp_notify_target(pdo, &pnp_ev_remove_complete);
    return st;
}

NTSTATUS mdlkit_pnp_remove(PDEVICE_OBJECT pdo)
{
    MK_ENTER("mdlkit_pnp_remove");
    mk_thread_attach();
    pnp_pdo *p = pnp_find(pdo);
    if (!p)
        return STATUS_INVALID_PARAMETER;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    if (!p->removed) {
        /* an orderly removal: the holders of handles are asked first, then
         * the stack; a failed query is cancelled and the device stays */
        pnp_notify_target(pdo, &pnp_ev_query_remove);
        NTSTATUS st = pnp_send(pdo, IRP_MN_QUERY_REMOVE_DEVICE, NULL);
        if (!NT_SUCCESS(st)) {
            (void)pnp_send(pdo, IRP_MN_CANCEL_REMOVE_DEVICE, NULL);
            pnp_notify_target(pdo, &pnp_ev_remove_cancelled);
            return st;
        }
    }
    NTSTATUS st = pnp_send(pdo, IRP_MN_REMOVE_DEVICE, NULL);
    if (!p->removed)
        pnp_notify_target(pdo, &pnp_ev_remove_complete);
    p->removed = 1;
    pnp_delete_pdo(p);
    return st;
}

/* ----------------------------------------------------- notifications */

NTSTATUS IoRegisterPlugPlayNotification(IO_NOTIFICATION_EVENT_CATEGORY EventCategory, ULONG EventCategoryFlags,
                                        PVOID EventCategoryData, PDRIVER_OBJECT DriverObject,
                                        PDRIVER_NOTIFICATION_CALLBACK_ROUTINE CallbackRoutine, PVOID Context,
                                        PVOID *NotificationEntry)
{
    MK_ENTER("IoRegisterPlugPlayNotification");
    pnp_passive("IoRegisterPlugPlayNotification must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    if (!NotificationEntry || !CallbackRoutine || !DriverObject)
        return STATUS_INVALID_PARAMETER;
    *NotificationEntry = NULL;
    pnp_reg *r = calloc(1, sizeof *r);
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES;
    r->category = EventCategory;
    r->driver = DriverObject;
    r->owner = mk_driver_from_object(DriverObject);
    r->callback = CallbackRoutine;
    r->context = Context;
    switch (EventCategory) {
    case EventCategoryHardwareProfileChange:
        break;
    case EventCategoryDeviceInterfaceChange:
        if (!EventCategoryData || (EventCategoryFlags & ~(ULONG)PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES)) {
            free(r);
            return STATUS_INVALID_PARAMETER;
        }
        r->guid = *(const GUID *)EventCategoryData;
        break;
    case EventCategoryTargetDeviceChange: {
        PFILE_OBJECT f = EventCategoryData;
        if (!f || EventCategoryFlags) {
            free(r);
            return STATUS_INVALID_PARAMETER;
        }
        /* as the PnP manager does, hold the device's PDO (the file object
         * and the upper devices may go before the registration does) */
        PDEVICE_OBJECT d = IoGetRelatedDeviceObject(f);
        for (;;) {
            mk_devobj_ext *x = mk_io_device_ext(d);
            if (!x || !x->attached_to)
                break;
            d = x->attached_to;
        }
        r->file = f;
        r->pdo = d;
        mk_io_device_reference(d);
        break;
    }
    default:
        free(r);
        return STATUS_INVALID_PARAMETER;
    }
    /* the interfaces of the class already enabled (and announced), each
     * once, before the registration sees later changes. The record is
     * listed first, hidden (dead 3), so that a bug check raised in a
     * callback leaves nothing behind but a record the reset frees. */
    pthread_mutex_lock(&pnp_lock);
    r->dead = 3;
    r->next = pnp_regs;
    pnp_regs = r;
    pthread_mutex_unlock(&pnp_lock);
    if (EventCategory == EventCategoryDeviceInterfaceChange &&
        (EventCategoryFlags & PNPNOTIFY_DEVICE_INTERFACE_INCLUDE_EXISTING_INTERFACES)) {
        for (size_t i = 0;; i++) {
            WCHAR link[200];
            USHORT len = 0;
            size_t k = 0;
            pthread_mutex_lock(&pnp_lock);
            for (pnp_iface *f = pnp_ifaces; f; f = f->next)
                if (f->enabled && !f->arrival_due && IsEqualGUID(&f->guid, &r->guid) && k++ == i) {
                    memcpy(link, f->link, f->link_len);
                    len = f->link_len;
                    break;
                }
            pthread_mutex_unlock(&pnp_lock);
            if (!len)
                break;
            pnp_call_iface(r, &pnp_ev_arrival, &r->guid, link, len);
        }
    }
    pthread_mutex_lock(&pnp_lock);
    r->dead = 0;
    pthread_mutex_unlock(&pnp_lock);
    *NotificationEntry = r;
    return STATUS_SUCCESS;
}

static NTSTATUS pnp_unregister(PVOID NotificationEntry)
{
    pnp_reg *found = NULL;
    pthread_mutex_lock(&pnp_lock);
    for (pnp_reg **pp = &pnp_regs; *pp; pp = &(*pp)->next)
        if (*pp == NotificationEntry) {
            found = *pp;
            *pp = found->next;
            break;
        }
    pthread_mutex_unlock(&pnp_lock);
    if (!found)
        return STATUS_INVALID_PARAMETER;
    if (found->pdo)
        mk_io_device_dereference(found->pdo);
    free(found);
    return STATUS_SUCCESS;
}

NTSTATUS IoUnregisterPlugPlayNotification(PVOID NotificationEntry)
{
    MK_ENTER("IoUnregisterPlugPlayNotification");
    pnp_passive("IoUnregisterPlugPlayNotification must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    return pnp_unregister(NotificationEntry);
}

NTSTATUS IoUnregisterPlugPlayNotificationEx(PVOID NotificationEntry)
{
    MK_ENTER("IoUnregisterPlugPlayNotificationEx");
    pnp_passive("IoUnregisterPlugPlayNotificationEx must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    return pnp_unregister(NotificationEntry);
}

/* ------------------------------------------------------------- power */

VOID PoStartNextPowerIrp(PIRP Irp)
{
    MK_ENTER("PoStartNextPowerIrp");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, PoStartNextPowerIrp);
    if (!Irp || Irp->Type != IO_TYPE_IRP)
        mk_violation(0x16, "PoStartNextPowerIrp: not an IRP", (ULONG_PTR)Irp, 0);
    /* Windows Vista and later start the next power IRP themselves. */
}

NTSTATUS PoCallDriver(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    MK_ENTER("PoCallDriver");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, PoCallDriver);
    return IofCallDriver(DeviceObject, Irp);
}

/* ------------------------------------------------------- WMI, properties */

ULONG IoWMIDeviceObjectToProviderId(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("IoWMIDeviceObjectToProviderId");
    /* mdlkit's choice: the low 32 bits of the device object's address */
    return (ULONG)(ULONG_PTR)DeviceObject;
}

static NTSTATUS prop_copy(const void *src, ULONG bytes, ULONG BufferLength, PVOID PropertyBuffer,
                          PULONG ResultLength)
{
    *ResultLength = bytes;
    if (BufferLength < bytes)
        return STATUS_BUFFER_TOO_SMALL;
    if (!PropertyBuffer)
        return STATUS_INVALID_PARAMETER_4;
    memcpy(PropertyBuffer, src, bytes);
    return STATUS_SUCCESS;
}

static ULONG wlen(const WCHAR *w)
{
    ULONG n = 0;
    while (w[n])
        n++;
    return n;
}

NTSTATUS IoGetDeviceProperty(PDEVICE_OBJECT DeviceObject, DEVICE_REGISTRY_PROPERTY DeviceProperty,
                             ULONG BufferLength, PVOID PropertyBuffer, PULONG ResultLength)
{
    MK_ENTER("IoGetDeviceProperty");
    pnp_passive("IoGetDeviceProperty must be called at PASSIVE_LEVEL", __builtin_return_address(0));
    mk_devobj_ext *x = mk_io_device_ext(DeviceObject);
    pnp_pdo *p = x ? x->pnp : NULL;
    if (!p) /* not a PDO: the PnP manager's fatal error 0xCA, subcode 2 (invalid PDO) */
        mk_bugcheck(PNP_DETECTED_FATAL_ERROR, 0x2, (ULONG_PTR)DeviceObject, 0, 0);
    if (!ResultLength)
        return STATUS_INVALID_PARAMETER_5;
    *ResultLength = 0;
    static const WCHAR root[] = {'R', 'O', 'O', 'T', 0};
    switch (DeviceProperty) {
    case DevicePropertyDeviceDescription:
        return prop_copy(p->description, (wlen(p->description) + 1) * sizeof(WCHAR), BufferLength, PropertyBuffer,
                         ResultLength);
    case DevicePropertyHardwareID:
        return prop_copy(p->hwid, (wlen(p->hwid) + 2) * sizeof(WCHAR), BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyEnumeratorName:
        return prop_copy(root, sizeof root, BufferLength, PropertyBuffer, ResultLength);
    case DevicePropertyPhysicalDeviceObjectName:
        return prop_copy(p->name, (wlen(p->name) + 1) * sizeof(WCHAR), BufferLength, PropertyBuffer, ResultLength);
    default:
        if ((ULONG)DeviceProperty > (ULONG)DevicePropertyContainerID)
            return STATUS_INVALID_PARAMETER_2;
        /* the root bus sets no other property */
        return STATUS_OBJECT_NAME_NOT_FOUND;
    }
}

void mk_io_pnp_reset(void)
{
    pthread_mutex_lock(&pnp_lock);
    pnp_pdo *p = pnp_pdos;
    pnp_reg *r = pnp_regs;
    pnp_iface *f = pnp_ifaces;
    pnp_ifaces = NULL;
    pnp_pdos = NULL;
    pnp_regs = NULL;
    pnp_bus = NULL;
    pnp_next = 0;
    pthread_mutex_unlock(&pnp_lock);
    while (p) {
        pnp_pdo *n = p->next;
        free(p);
        p = n;
    }
    while (r) {
        pnp_reg *n = r->next;
        free(r);
        r = n;
    }
    while (f) {
        pnp_iface *n = f->next;
        free(f);
        f = n;
    }
}
