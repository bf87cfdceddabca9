/*
 * file.c -- file objects on devices.
 *
 * Opening a device (mdlkit_open, IoGetDeviceObjectPointer) creates a
 * FILE_OBJECT of type *IoFileObjectType and sends IRP_MJ_CREATE to the top
 * of the device's stack. The object manager then tells this file when the
 * last handle goes (IRP_MJ_CLEANUP is sent) and when the last reference
 * goes (IRP_MJ_CLOSE is sent, then the device loses the reference the file
 * held). IRPs in flight hold references, so IRP_MJ_CLOSE follows the
 * completion of every IRP still pending on the file.
 *
 * These IRPs are sent at PASSIVE_LEVEL and waited for, as the I/O manager
 * does for a create, cleanup or close.
 */
#include "mk_io.h"
#include "mk_mdl.h"
#include "mk_ob.h"

#include <string.h>

typedef struct mk_file {
    FILE_OBJECT fo;
    int opened;      /* IRP_MJ_CREATE succeeded: CLOSE is owed */
    int cleaned;     /* IRP_MJ_CLEANUP sent */
    WCHAR name[MK_NAME_MAX];
} mk_file;

NTSTATUS mk_io_file_simple_irp(PFILE_OBJECT fo, UCHAR major)
{
    PDEVICE_OBJECT top = mk_io_attached_top(fo->DeviceObject);
    mk_ioreq *r = mk_ioreq_new();
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES;
    PIRP irp = IoAllocateIrp(top->StackSize, FALSE);
    if (!irp) {
        r->sentinel = 0;
        mk_ioreq_finish(r);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    r->irp = irp;
    irp->Flags |= MK_IRP_USER_REQUEST | IRP_SYNCHRONOUS_API;
    if (major == IRP_MJ_CREATE)
        irp->Flags |= IRP_CREATE_OPERATION;
    if (major == IRP_MJ_CLOSE)
        irp->Flags |= IRP_CLOSE_OPERATION;
    irp->UserIosb = &r->iosb;
    irp->RequestorMode = KernelMode; /* create is sent with the caller's mode; see mk_io_open_file */
    irp->Tail.Overlay.OriginalFileObject = fo;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = major;
    sp->FileObject = fo;
    /* no reference taken for these: the caller holds the file object */
    r->fo = NULL;
    mk_ioreq_call(r);
    mk_ioreq_wait(r, ~0u);
    NTSTATUS st = r->iosb.Status;
    mk_ioreq_finish(r);
    return st;
}

static void file_close(void *body, ULONG handle_count)
{
    mk_file *f = body;
    if (handle_count != 0 || !f->opened || f->cleaned)
        return;
    f->cleaned = 1;
    mk_io_file_simple_irp(&f->fo, IRP_MJ_CLEANUP);
    f->fo.Flags |= FO_CLEANUP_COMPLETE;
}

static void file_destroy(void *body)
{
    mk_file *f = body;
    PDEVICE_OBJECT dev = f->fo.DeviceObject;
    if (f->opened) {
        if (!f->cleaned) {
            /* a file object that never had a handle (IoGetDeviceObjectPointer
             * sends its cleanup itself); kept for completeness */
            f->cleaned = 1;
            mk_io_file_simple_irp(&f->fo, IRP_MJ_CLEANUP);
        }
        mk_io_file_simple_irp(&f->fo, IRP_MJ_CLOSE);
        f->opened = 0;
    }
    mk_devobj_ext *x = mk_io_device_ext(dev);
    if (x)
        __atomic_sub_fetch(&x->opens, 1, __ATOMIC_SEQ_CST);
    if (dev) {
        __atomic_sub_fetch(&dev->ReferenceCount, 1, __ATOMIC_SEQ_CST);
        mk_io_device_dereference(dev);
    }
    f->fo.Type = 0;
}

void mk_io_file_cleanup(PFILE_OBJECT fo)
{
    mk_file *f = (mk_file *)fo;
    if (!f->opened || f->cleaned)
        return;
    f->cleaned = 1;
    mk_io_file_simple_irp(fo, IRP_MJ_CLEANUP);
    fo->Flags |= FO_CLEANUP_COMPLETE;
}

static const mk_ob_type_ops file_ops = {"File", file_close, file_destroy};

void mk_io_file_type_init(void) { mk_ob_type_set_ops(*IoFileObjectType, &file_ops); }

NTSTATUS mk_io_open_file(PDEVICE_OBJECT dev, const WCHAR *rest, size_t rest_len, ACCESS_MASK access,
                         KPROCESSOR_MODE mode, PFILE_OBJECT *out)
{
    *out = NULL;
    mk_devobj_ext *x = mk_io_device_ext(dev);
    if (!x || x->deleted)
        return STATUS_NO_SUCH_DEVICE;
    PDEVICE_OBJECT top = mk_io_attached_top(dev);
    if ((dev->Flags & DO_DEVICE_INITIALIZING) || (top->Flags & DO_DEVICE_INITIALIZING))
        return STATUS_NO_SUCH_DEVICE; /* not ready for I/O yet */
    /* FILE_DEVICE_SECURE_OPEN: the device's security applies to names
     * below it too; mdlkit has one (administrator) caller, so only the
     * exclusive rule can refuse. */
    if (x->exclusive && __atomic_load_n(&x->opens, __ATOMIC_SEQ_CST) > 0)
        return STATUS_ACCESS_DENIED;
    mk_io_file_type_init();
    mk_driver *old = mk_io_manager_enter();
    mk_file *f = mk_ob_create(*IoFileObjectType, sizeof(mk_file));
    mk_io_manager_leave(old);
    if (!f)
        return STATUS_INSUFFICIENT_RESOURCES;
    memset(f, 0, sizeof *f);
    PFILE_OBJECT fo = &f->fo;
    fo->Type = IO_TYPE_FILE;
    fo->Size = (CSHORT)sizeof(FILE_OBJECT);
    fo->DeviceObject = dev;
    fo->ReadAccess = (access & (GENERIC_READ | GENERIC_ALL | FILE_READ_DATA | MAXIMUM_ALLOWED)) != 0;
    fo->WriteAccess =
        (access & (GENERIC_WRITE | GENERIC_ALL | FILE_WRITE_DATA | FILE_APPEND_DATA | MAXIMUM_ALLOWED)) != 0;
    fo->Flags = FO_SYNCHRONOUS_IO | (rest_len == 0 ? FO_DIRECT_DEVICE_OPEN : 0);
    if (rest_len >= MK_NAME_MAX)
        rest_len = MK_NAME_MAX - 1;
    memcpy(f->name, rest, rest_len * sizeof(WCHAR));
    fo->FileName.Buffer = f->name;
    fo->FileName.Length = (USHORT)(rest_len * sizeof(WCHAR));
    fo->FileName.MaximumLength = (USHORT)(MK_NAME_MAX * sizeof(WCHAR));
    InitializeListHead(&fo->IrpList);
    mk_io_device_reference(dev); /* released by file_destroy */
    __atomic_add_fetch(&dev->ReferenceCount, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&x->opens, 1, __ATOMIC_SEQ_CST);

    /* IRP_MJ_CREATE */
    mk_ioreq *r = mk_ioreq_new();
    old = mk_io_manager_enter();
    PIRP irp = r ? IoAllocateIrp(top->StackSize, FALSE) : NULL;
    mk_io_manager_leave(old);
    if (!irp) {
        if (r)
            mk_ioreq_finish(r);
        mk_ob_dereference(fo);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    r->irp = irp;
    irp->Flags |= MK_IRP_USER_REQUEST | IRP_SYNCHRONOUS_API | IRP_CREATE_OPERATION;
    irp->UserIosb = &r->iosb;
    irp->RequestorMode = mode;
    irp->Tail.Overlay.OriginalFileObject = fo;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = IRP_MJ_CREATE;
    sp->FileObject = fo;
    sp->Parameters.Create.Options = (ULONG)1 << 24; /* FILE_OPEN disposition, as CreateFile(OPEN_EXISTING) */
    sp->Parameters.Create.ShareAccess = 0x3;        /* FILE_SHARE_READ | FILE_SHARE_WRITE */
    mk_ioreq_call(r);
    mk_ioreq_wait(r, ~0u);
    NTSTATUS st = r->iosb.Status;
    mk_ioreq_finish(r);
    if (!NT_SUCCESS(st)) {
        fo->Flags |= FO_FILE_OPEN_CANCELLED;
        mk_ob_dereference(fo); /* no CLEANUP or CLOSE for a failed create */
        return st;
    }
    f->opened = 1;
    fo->Flags |= FO_FILE_OPEN;
    *out = fo;
    return STATUS_SUCCESS;
}
