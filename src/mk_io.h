/*
 * mk_io.h -- what the I/O manager's files (src/io/) share among themselves:
 * the object namespace (obname.c), device objects (device.c), file objects
 * (file.c), user-mode requests (userio.c) and the I/O manager's end of
 * completion (irp.c).
 *
 *   device.c   IoCreateDevice, IoDeleteDevice, attachment, IoGetDeviceObjectPointer
 *   obname.c   "\Device\X", symbolic links ("\DosDevices\X" = "\??\X" = "\GLOBAL??\X")
 *   file.c     FILE_OBJECTs: IRP_MJ_CREATE, CLEANUP at the last handle, CLOSE at the last reference
 *   irp.c      IRPs, IofCallDriver, IofCompleteRequest
 *   cancel.c   IoCancelIrp and the cancel spin lock
 *   csq.c      cancel-safe queues;  remlock.c remove locks
 *   iobuild.c  IoBuild*Request;     workitem.c IO_WORKITEM
 *   userio.c   mdlkit_open / _ioctl / _read / _write / _close and the async forms
 */
#ifndef MK_IO_H
#define MK_IO_H

#include "mk_base.h"
#include "mk_driver.h"

#include <pthread.h>

/* mdlkit's private bit in Irp->Flags: the IRP is a user-mode request built
 * by userio.c (Irp->UserIosb is the request's IO_STATUS_BLOCK). */
#define MK_IRP_USER_REQUEST 0x40000000UL
/* Irp->Flags: IofCompleteRequest has run the IRP up past its top. */
#define MK_IRP_COMPLETED 0x20000000UL

/* ---- the object namespace (obname.c) ---- */
/* Canonical form of a name: a WCHAR string starting with '\', with
 * "\DosDevices\" and "\??\" turned into "\GLOBAL??\". */
#define MK_NAME_MAX 512
NTSTATUS mk_obname_canon(const WCHAR *name, size_t len, WCHAR *out, size_t *out_len);
/* Inserts a device name (canonical); STATUS_OBJECT_NAME_COLLISION if taken. */
NTSTATUS mk_obname_insert_device(const WCHAR *name, size_t len, PDEVICE_OBJECT dev);
void mk_obname_remove_device(PDEVICE_OBJECT dev);
/* Resolves a canonical name through symbolic links to a device object.
 * Returns the device with a reference taken (mk_io_device_reference) and
 * the remaining path after the device's name in rest/rest_len (0 if none). */
NTSTATUS mk_obname_open_device(const WCHAR *name, size_t len, PDEVICE_OBJECT *dev, WCHAR *rest, size_t *rest_len);
void mk_obname_reset(void);

/* ---- device objects (device.c) ---- */
/* The device's private extension (DEVICE_OBJECT.DeviceObjectExtension). */
typedef struct mk_devobj_ext {
    CSHORT Type;                 /* IO_TYPE_DEVICE_OBJECT_EXTENSION */
    USHORT Size;
    PDEVICE_OBJECT DeviceObject;
    uint32_t magic;              /* MK_DEVICE_MAGIC while live */
    int deleted;                 /* IoDeleteDevice has run */
    int named;
    int exclusive;
    LONG opens;                  /* file objects open on the device (Exclusive) */
    PDEVICE_OBJECT attached_to;  /* the device this one is attached above */
    int secure;                  /* IoCreateDeviceSecure */
    unsigned char class_guid[16];
    int has_class_guid;
    mk_driver *driver;           /* the hosted driver that created it */
    void *pnp;                   /* a PDO of mdlkit's root bus: its record (pnp.c) */
} mk_devobj_ext;
#define MK_DEVICE_MAGIC 0x7645444bU /* "KDEv" */

/* The live (not deleted) device's extension, or NULL. */
mk_devobj_ext *mk_io_device_ext(PDEVICE_OBJECT dev);
/* Is dev a device object mdlkit created that IoDeleteDevice has not freed? */
bool mk_io_device_valid(PDEVICE_OBJECT dev);
void mk_io_device_reference(PDEVICE_OBJECT dev);
void mk_io_device_dereference(PDEVICE_OBJECT dev);
/* The top of the attachment stack dev belongs to (no reference). */
PDEVICE_OBJECT mk_io_attached_top(PDEVICE_OBJECT dev);
/* IoCreateDevice's body, with IoCreateDeviceSecure's extras. */
NTSTATUS mk_io_create_device(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize, PUNICODE_STRING DeviceName,
                             DEVICE_TYPE DeviceType, ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                             PDEVICE_OBJECT *DeviceObject, const void *class_guid, int secure);

/* ---- file objects (file.c) ---- */
/* Opens a file object on the device (IRP_MJ_CREATE sent to the top of its
 * stack and waited for). On success *out holds one reference. */
NTSTATUS mk_io_open_file(PDEVICE_OBJECT dev, const WCHAR *rest, size_t rest_len, ACCESS_MASK access,
                         KPROCESSOR_MODE mode, PFILE_OBJECT *out);
/* Sets up the file object type's callbacks (cleanup at the last handle,
 * close at the last reference). Called by mk_io_open_file. */
void mk_io_file_type_init(void);
/* Sends a synchronous IRP with no buffers (IRP_MJ_CLEANUP, IRP_MJ_CLOSE) for
 * the file object and waits for it; returns its status. */
NTSTATUS mk_io_file_simple_irp(PFILE_OBJECT fo, UCHAR major);
/* IRP_MJ_CLEANUP for a file object that has no handle (once). */
void mk_io_file_cleanup(PFILE_OBJECT fo);

/* ---- requests the I/O manager itself sends (file.c, userio.c) ---- */
/* Irp->UserIosb points at `iosb`, the first member, for an IRP flagged
 * MK_IRP_USER_REQUEST. Completion fills iosb, sets `done` and signals. */
typedef struct mk_ioreq {
    IO_STATUS_BLOCK iosb;
    PIRP irp;
    PFILE_OBJECT fo;            /* the file object the IRP holds a reference on (NULL: none) */
    pthread_mutex_t m;
    pthread_cond_t cv;
    int done;                   /* completion ran (under m) */
    int called;                 /* the IRP was sent */
    NTSTATUS dispatch_status;   /* what IoCallDriver returned */
    /* host buffers copied into simulated user memory for the call */
    void *host_out;             /* host buffer to copy back, or NULL */
    void *shadow_out;           /* its simulated copy */
    ULONG out_len;
    void *shadow_in;            /* simulated copy of a host input buffer, or NULL */
    int sentinel;               /* the static request handed out when memory ran out */
} mk_ioreq;
mk_ioreq *mk_ioreq_new(void);
/* Sends the IRP (stack location filled in) to the top of the file's device
 * stack: IoCallDriver at the caller's IRQL. */
NTSTATUS mk_ioreq_call(mk_ioreq *r);
/* Waits for completion: 1 when done, 0 on timeout (timeout_ms ~0: forever). */
int mk_ioreq_wait(mk_ioreq *r, ULONG timeout_ms);
/* After completion: copy host buffers back, free the IRP and the request. */
void mk_ioreq_finish(mk_ioreq *r);
/* Drops file-object references that completions handed over (run at
 * PASSIVE_LEVEL by the harness entry points). */
void mk_io_deferred_flush(void);

/* ---- completion (irp.c -> userio.c) ---- */
/* The end of completion for an IRP with MK_IRP_USER_REQUEST: copy back
 * buffered output, free the system buffer, unlock and free MDLs, write the
 * I/O status and wake the waiter. Called by IofCompleteRequest. */
void mk_io_user_complete(PIRP Irp);
/* Unlocks and frees every MDL on Irp->MdlAddress (irp.c). */
void mk_irp_release_mdls(PIRP Irp);
/* The end of completion of an IRP built by IoBuild*Request (iobuild.c):
 * copy back, free, signal the event. Returns 1 if it handled the IRP. */
int mk_io_build_complete(PIRP Irp);

/* Copies of host buffers the user-mode request path keeps for later calls
 * (userio.c): the frames they hold and the user address space (pages,
 * guard pages included). The driver-fuzzing runtime leaves them out of its
 * fingerprint of the machine. */
void mk_io_user_copies_held(size_t *frames, size_t *va_pages);

/* Resets (called from mk_driver_shutdown_all). */
void mk_io_cancel_reset(void);
void mk_io_remlock_reset(void);
void mk_io_userio_reset(void);
void mk_io_device_reset(void);
void mk_io_workitem_reset(void);
void mk_io_dma_reset(void);
void mk_io_pnp_reset(void);
/* Waits until no work item of driver d is queued or running (workitem.c). */
void mk_io_workitem_drain(mk_driver *d);
/* An I/O work item still queued (IoQueueWorkItem, not yet running) that lies
 * in [lo, hi), or NULL: Miscellaneous Checks at a pool free (src/verifier/misc.c). */
PIO_WORKITEM mk_io_workitem_queued_in(const void *lo, const void *hi);

#endif /* MK_IO_H */
