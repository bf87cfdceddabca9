/*
 * device.c -- device objects: IoCreateDevice, IoCreateDeviceSecure (wdmsec.h),
 * IoDeleteDevice, IoAttachDeviceToDeviceStack, IoDetachDevice,
 * IoGetAttachedDeviceReference, IoGetRelatedDeviceObject,
 * IoGetDeviceObjectPointer.
 *
 * A device object is an object of type *IoDeviceObjectType (src/mk_ob.h):
 * one block of non-paged pool holding the DEVICE_OBJECT, its extension
 * (zeroed, 16-byte aligned) and mdlkit's private extension
 * (DeviceObjectExtension). It is allocated on the system's behalf (not
 * charged to the driver). IoDeleteDevice removes its name and takes it off
 * the driver's list at once; the memory goes when the last reference does
 * (open file objects and ObReferenceObject hold it), as on Windows.
 */
#include "mk_machine.h"
#include "mk_io.h"
#include "mk_mdl.h"
#include "mk_ob.h"
#include "mk_hooks.h"

#include <wdmsec.h>

#include <pthread.h>
#include <string.h>

#define DEV_RULE_IRQL_IO_APC_LTE 0x00020009UL  /* IrqlIoApcLte (IoDeleteDevice) */
#define DEV_RULE_IRQL_IO_PASSIVE1 0x0002000AUL /* IrqlIoPassive1 (IoCreateDevice) */
#define DEV_RULE_IRQL_IO_PASSIVE2 0x0002000BUL /* IrqlIoPassive2 (IoGetDeviceObjectPointer) */
#define DEV_RULE_IRQL_IO_PASSIVE3 0x0002000CUL /* IrqlIoPassive3 (IoDetachDevice) */

static pthread_mutex_t dev_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t dev_align16(size_t n) { return (n + 15) & ~(size_t)15; }

mk_devobj_ext *mk_io_device_ext(PDEVICE_OBJECT dev)
{
    if (!dev || ((ULONG_PTR)dev & 7) || dev->Type != IO_TYPE_DEVICE)
        return NULL;
    mk_devobj_ext *x = (mk_devobj_ext *)dev->DeviceObjectExtension;
    if (!x || x->magic != MK_DEVICE_MAGIC || x->DeviceObject != dev)
        return NULL;
    return x;
}

bool mk_io_device_valid(PDEVICE_OBJECT dev)
{
    mk_devobj_ext *x = mk_io_device_ext(dev);
    return x && !x->deleted;
}

void mk_io_device_reference(PDEVICE_OBJECT dev) { mk_ob_reference(dev); }
void mk_io_device_dereference(PDEVICE_OBJECT dev) { mk_ob_dereference(dev); }

PDEVICE_OBJECT mk_io_attached_top(PDEVICE_OBJECT dev)
{
    pthread_mutex_lock(&dev_lock);
    while (dev->AttachedDevice)
        dev = dev->AttachedDevice;
    pthread_mutex_unlock(&dev_lock);
    return dev;
}

/* The last reference went: the block is freed by the object manager. */
static void dev_destroy(void *body)
{
    PDEVICE_OBJECT dev = body;
    mk_devobj_ext *x = (mk_devobj_ext *)dev->DeviceObjectExtension;
    if (x)
        x->magic = 0;
    dev->Type = 0;
}

static const mk_ob_type_ops dev_ops = {"Device", NULL, dev_destroy};

NTSTATUS mk_io_create_device(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                             DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                             PDEVICE_OBJECT *DeviceObject, const void *class_guid, int secure)
{
    mk_driver *d = mk_driver_from_object(DriverObject);
    if (!d || !DeviceObject)
        mk_violation(0x16, "IoCreateDevice: DriverObject is not a loaded driver, or DeviceObject is NULL",
                     (ULONG_PTR)DriverObject, (ULONG_PTR)DeviceObject);
    *DeviceObject = NULL;
    WCHAR canon[MK_NAME_MAX];
    size_t clen = 0;
    if (DeviceName) {
        if ((DeviceName->Length && !DeviceName->Buffer) || (DeviceName->Length & 1) ||
            DeviceName->Length > DeviceName->MaximumLength)
            return STATUS_OBJECT_NAME_INVALID;
        NTSTATUS st = mk_obname_canon(DeviceName->Buffer, DeviceName->Length / sizeof(WCHAR), canon, &clen);
        if (!NT_SUCCESS(st))
            return st;
    }
    size_t off_ext = dev_align16(sizeof(DEVICE_OBJECT));
    size_t off_priv = off_ext + dev_align16(DeviceExtensionSize);
    size_t size = off_priv + sizeof(mk_devobj_ext);
    if (DeviceExtensionSize > 0x7fffffffUL)
        return STATUS_INSUFFICIENT_RESOURCES;
    mk_ob_type_set_ops(*IoDeviceObjectType, &dev_ops);
    mk_driver *old = mk_driver_enter(NULL); /* the I/O manager's allocation */
    PDEVICE_OBJECT dev = mk_ob_create(*IoDeviceObjectType, size);
    mk_driver_leave(old);
    if (!dev)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(dev, 0, size);
    mk_devobj_ext *x = (mk_devobj_ext *)((char *)dev + off_priv);
    dev->Type = IO_TYPE_DEVICE;
    dev->Size = (USHORT)(sizeof(DEVICE_OBJECT) + DeviceExtensionSize);
    dev->DriverObject = DriverObject;
    dev->Flags = DO_DEVICE_INITIALIZING | (Exclusive ? DO_EXCLUSIVE : 0) | (DeviceName ? DO_DEVICE_HAS_NAME : 0);
    dev->Characteristics = DeviceCharacteristics;
    dev->DeviceExtension = DeviceExtensionSize ? (char *)dev + off_ext : NULL;
    dev->DeviceType = DeviceType;
    dev->StackSize = 1;
    dev->AlignmentRequirement = FILE_BYTE_ALIGNMENT;
    dev->SectorSize = (DeviceType == FILE_DEVICE_DISK || DeviceType == FILE_DEVICE_CD_ROM) ? 512 : 0;
    InitializeListHead(&dev->Queue.ListEntry);
    dev->DeviceQueue.Type = 0x14; /* DeviceQueueObject */
    dev->DeviceQueue.Size = (CSHORT)sizeof(KDEVICE_QUEUE);
    InitializeListHead(&dev->DeviceQueue.DeviceListHead);
    dev->DeviceObjectExtension = (PDEVOBJ_EXTENSION)x;
    x->Type = IO_TYPE_DEVICE_OBJECT_EXTENSION;
    x->Size = (USHORT)sizeof *x;
    x->DeviceObject = dev;
    x->magic = MK_DEVICE_MAGIC;
    x->exclusive = Exclusive != 0;
    x->secure = secure;
    x->driver = d;
    if (class_guid) {
        memcpy(x->class_guid, class_guid, 16);
        x->has_class_guid = 1;
    }
    if (DeviceName) {
        NTSTATUS st = mk_obname_insert_device(canon, clen, dev);
        if (!NT_SUCCESS(st)) {
            x->magic = 0;
            old = mk_driver_enter(NULL);
            mk_ob_dereference(dev);
            mk_driver_leave(old);
            return st;
        }
        x->named = 1;
    }
    pthread_mutex_lock(&dev_lock);
    dev->NextDevice = DriverObject->DeviceObject; /* newest first, as Windows */
    DriverObject->DeviceObject = dev;
    pthread_mutex_unlock(&dev_lock);
    /* A device created by DriverEntry is ready when DriverEntry returns: the
     * I/O manager clears DO_DEVICE_INITIALIZING then (mdlkit_driver_load).
     * Others (AddDevice) must clear it themselves. */
    *DeviceObject = dev;
    return STATUS_SUCCESS;
}

NTSTATUS IoCreateDevice(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                        DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                        PDEVICE_OBJECT *DeviceObject)
{
    MK_ENTER("IoCreateDevice");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(DEV_RULE_IRQL_IO_PASSIVE1, "IoCreateDevice must be called at IRQL == PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)DriverObject);
    return mk_io_create_device(DriverObject, DeviceExtensionSize, DeviceName, DeviceType, DeviceCharacteristics,
                               Exclusive, DeviceObject, NULL, 0);
}

void IoDeleteDevice(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("IoDeleteDevice");
    mk_ddi_prohibited_check("IoDeleteDevice");
    if (mk_irql() > APC_LEVEL)
        mk_violation(DEV_RULE_IRQL_IO_APC_LTE, "IoDeleteDevice must be called at IRQL <= APC_LEVEL", mk_irql(),
                     (ULONG_PTR)DeviceObject);
    mk_devobj_ext *x = mk_io_device_ext(DeviceObject);
    int found = 0;
    pthread_mutex_lock(&dev_lock);
    if (x && !x->deleted) {
        PDRIVER_OBJECT obj = DeviceObject->DriverObject;
        for (PDEVICE_OBJECT *pp = &obj->DeviceObject; *pp; pp = &(*pp)->NextDevice)
            if (*pp == DeviceObject) {
                *pp = DeviceObject->NextDevice;
                found = 1;
                break;
            }
        if (found)
            x->deleted = 1;
    }
    pthread_mutex_unlock(&dev_lock);
    if (!found)
        mk_violation(0x16, "IoDeleteDevice: not a live device object (deleted twice?)", (ULONG_PTR)DeviceObject, 0);
    if (x->named)
        mk_obname_remove_device(DeviceObject);
    /* A device still attached above another is detached by its driver
     * (IoDetachDevice) before deletion; do it for a driver that did not. */
    pthread_mutex_lock(&dev_lock);
    if (x->attached_to && x->attached_to->AttachedDevice == DeviceObject)
        x->attached_to->AttachedDevice = NULL;
    x->attached_to = NULL;
    pthread_mutex_unlock(&dev_lock);
    mk_driver *old = mk_driver_enter(NULL);
    mk_ob_dereference(DeviceObject); /* the creation reference */
    mk_driver_leave(old);
}

PDEVICE_OBJECT IoAttachDeviceToDeviceStack(PDEVICE_OBJECT SourceDevice, PDEVICE_OBJECT TargetDevice)
{
    MK_ENTER("IoAttachDeviceToDeviceStack");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoAttachDeviceToDeviceStack);
    mk_devobj_ext *sx = mk_io_device_ext(SourceDevice), *tx = mk_io_device_ext(TargetDevice);
    if (!sx || !tx)
        mk_violation(0x16, "IoAttachDeviceToDeviceStack: not a device object", (ULONG_PTR)SourceDevice,
                     (ULONG_PTR)TargetDevice);
    pthread_mutex_lock(&dev_lock);
    PDEVICE_OBJECT top = TargetDevice;
    while (top->AttachedDevice)
        top = top->AttachedDevice;
    mk_devobj_ext *topx = mk_io_device_ext(top);
    if (!topx || topx->deleted || sx->attached_to || top == SourceDevice) {
        pthread_mutex_unlock(&dev_lock);
        return NULL;
    }
    top->AttachedDevice = SourceDevice;
    sx->attached_to = top;
    SourceDevice->StackSize = (CCHAR)(top->StackSize + 1);
    if (top->AlignmentRequirement > SourceDevice->AlignmentRequirement)
        SourceDevice->AlignmentRequirement = top->AlignmentRequirement;
    if (top->SectorSize)
        SourceDevice->SectorSize = top->SectorSize;
    pthread_mutex_unlock(&dev_lock);
    return top;
}

void IoDetachDevice(PDEVICE_OBJECT TargetDevice)
{
    MK_ENTER("IoDetachDevice");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(DEV_RULE_IRQL_IO_PASSIVE3, "IoDetachDevice must be called at IRQL == PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)TargetDevice);
    mk_devobj_ext *tx = mk_io_device_ext(TargetDevice);
    if (!tx)
        mk_violation(0x16, "IoDetachDevice: not a device object", (ULONG_PTR)TargetDevice, 0);
    pthread_mutex_lock(&dev_lock);
    PDEVICE_OBJECT above = TargetDevice->AttachedDevice;
    mk_devobj_ext *ax = above ? mk_io_device_ext(above) : NULL;
    if (ax && ax->attached_to == TargetDevice)
        ax->attached_to = NULL;
    TargetDevice->AttachedDevice = NULL;
    pthread_mutex_unlock(&dev_lock);
    if (!above)
        mk_violation(0x16, "IoDetachDevice: nothing is attached to this device", (ULONG_PTR)TargetDevice, 0);
}

PDEVICE_OBJECT IoGetAttachedDeviceReference(PDEVICE_OBJECT DeviceObject)
{
    MK_ENTER("IoGetAttachedDeviceReference");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoGetAttachedDeviceReference);
    if (!mk_io_device_ext(DeviceObject))
        mk_violation(0x16, "IoGetAttachedDeviceReference: not a device object", (ULONG_PTR)DeviceObject, 0);
    pthread_mutex_lock(&dev_lock);
    PDEVICE_OBJECT top = DeviceObject;
    while (top->AttachedDevice)
        top = top->AttachedDevice;
    mk_ob_reference(top);
    pthread_mutex_unlock(&dev_lock);
    return top;
}

PDEVICE_OBJECT IoGetRelatedDeviceObject(PFILE_OBJECT FileObject)
{
    MK_ENTER("IoGetRelatedDeviceObject");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, IoGetRelatedDeviceObject);
    if (!FileObject || FileObject->Type != IO_TYPE_FILE || !FileObject->DeviceObject)
        mk_violation(0x16, "IoGetRelatedDeviceObject: not a file object", (ULONG_PTR)FileObject, 0);
    return mk_io_attached_top(FileObject->DeviceObject);
}

NTSTATUS IoGetDeviceObjectPointer(PUNICODE_STRING ObjectName, ACCESS_MASK DesiredAccess, PFILE_OBJECT *FileObject,
                                  PDEVICE_OBJECT *DeviceObject)
{
    MK_ENTER("IoGetDeviceObjectPointer");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(DEV_RULE_IRQL_IO_PASSIVE2, "IoGetDeviceObjectPointer must be called at IRQL == PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)ObjectName);
    if (!ObjectName || !FileObject || !DeviceObject)
        mk_violation(0x16, "IoGetDeviceObjectPointer: ObjectName, FileObject and DeviceObject are not optional",
                     (ULONG_PTR)ObjectName, (ULONG_PTR)FileObject);
    if ((ObjectName->Length && !ObjectName->Buffer) || (ObjectName->Length & 1))
        return STATUS_OBJECT_NAME_INVALID;
    PDEVICE_OBJECT dev = NULL;
    WCHAR rest[MK_NAME_MAX];
    size_t rest_len = 0;
    NTSTATUS st = mk_obname_open_device(ObjectName->Buffer, ObjectName->Length / sizeof(WCHAR), &dev, rest, &rest_len);
    if (!NT_SUCCESS(st))
        return st;
    PFILE_OBJECT fo = NULL;
    st = mk_io_open_file(dev, rest, rest_len, DesiredAccess, KernelMode, &fo);
    mk_io_device_dereference(dev);
    if (!NT_SUCCESS(st))
        return st;
    /* Windows opens a handle and closes it at once: the cleanup comes now. */
    mk_io_file_cleanup(fo);
    *FileObject = fo;
    *DeviceObject = mk_io_attached_top(fo->DeviceObject);
    return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------
 * IoCreateDeviceSecure (wdmsec.h)
 * ---------------------------------------------------------------------- */
#define DEV_SDDL(name, text)                                                                  \
    static WCHAR name##_buf_[] = L##text;                                                     \
    const UNICODE_STRING name = {sizeof(name##_buf_) - sizeof(WCHAR), sizeof(name##_buf_), name##_buf_}
DEV_SDDL(SDDL_DEVOBJ_KERNEL_ONLY, "D:P");
DEV_SDDL(SDDL_DEVOBJ_INF_SUPPLIED, "D:P");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL, "D:P(A;;GA;;;SY)");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_ALL, "D:P(A;;GA;;;SY)(A;;GA;;;BA)");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RX, "D:P(A;;GA;;;SY)(A;;GRGX;;;BA)");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R, "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R, "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)");
DEV_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX,
         "D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)");

static bool sddl_code(const WCHAR *p, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[0] == (WCHAR)set[i][0] && p[1] == (WCHAR)set[i][1])
            return true;
    return false;
}

/* The subset of SDDL IoCreateDeviceSecure accepts: "D:P" then
 * "(A;;Access;;;SID)" expressions, Access as 0xhex or two-letter rights,
 * SID as a two-letter account or group. */
static bool sddl_valid(PCUNICODE_STRING s)
{
    static const char *const rights[] = {"GA", "GR", "GW", "GX", "RC", "SD", "WD", "WO"};
    static const char *const sids[] = {"SY", "LS", "NS", "BA", "BU", "BG", "AU", "AN", "WD", "RC",
                                       "IU", "NU", "SU", "PU", "SO", "BO", "CO", "LA", "LG", "PS"};
    if (!s || !s->Buffer || (s->Length & 1) || s->Length > s->MaximumLength)
        return false;
    const WCHAR *p = s->Buffer, *end = s->Buffer + s->Length / sizeof(WCHAR);
    if (end - p < 3 || p[0] != 'D' || p[1] != ':' || p[2] != 'P')
        return false;
    p += 3;
    while (p < end) {
        if (end - p < 4 || p[0] != '(' || p[1] != 'A' || p[2] != ';' || p[3] != ';')
            return false;
        p += 4;
        if (end - p > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
            p += 2;
            const WCHAR *h = p;
            while (p < end && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
                p++;
            if (p == h || p - h > 8)
                return false;
        } else {
            const WCHAR *r = p;
            while (end - p >= 2 && sddl_code(p, rights, MK_ARRAY_SIZE(rights)))
                p += 2;
            if (p == r)
                return false;
        }
        if (end - p < 3 || p[0] != ';' || p[1] != ';' || p[2] != ';')
            return false;
        p += 3;
        if (end - p < 3 || !sddl_code(p, sids, MK_ARRAY_SIZE(sids)) || p[2] != ')')
            return false;
        p += 3;
    }
    return true;
}

NTSTATUS IoCreateDeviceSecure(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                              DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                              PCUNICODE_STRING DefaultSDDLString, const struct _GUID *DeviceClassGuid,
                              PDEVICE_OBJECT *DeviceObject)
{
    MK_ENTER("IoCreateDeviceSecure");
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(DEV_RULE_IRQL_IO_PASSIVE1, "IoCreateDeviceSecure must be called at IRQL == PASSIVE_LEVEL",
                     mk_irql(), (ULONG_PTR)DriverObject);
    if (!DefaultSDDLString)
        mk_violation(0x16, "IoCreateDeviceSecure: DefaultSDDLString is not optional", (ULONG_PTR)DriverObject, 0);
    if (!sddl_valid(DefaultSDDLString)) {
        if (DeviceObject)
            *DeviceObject = NULL;
        return STATUS_INVALID_PARAMETER;
    }
    return mk_io_create_device(DriverObject, DeviceExtensionSize, DeviceName, DeviceType, DeviceCharacteristics,
                               Exclusive, DeviceObject, DeviceClassGuid, 1);
}

void mk_io_device_reset(void) {}
