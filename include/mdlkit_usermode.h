/*
 * mdlkit_usermode.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: driving a driver as a user-mode program would: handles, synchronous and asynchronous requests, user-mode events, the system DMA controller.
 *
 * The declarations are the pinned names of DESIGN.md ("Driving a driver as
 * a user-mode program would"); their rules:
 * - Handles from mdlkit_open and mdlkit_event_create live in one handle
 *   table of the simulated process; using one as the other is
 *   STATUS_OBJECT_TYPE_MISMATCH, a closed or made-up handle
 *   STATUS_INVALID_HANDLE.
 * - The synchronous calls behave as on a handle opened for synchronous I/O:
 *   they wait until the IRP completes, even if the driver returned
 *   STATUS_PENDING.
 * - The asynchronous calls never return NULL: a request on an invalid
 *   handle completes with STATUS_INVALID_HANDLE. Host buffers are copied
 *   back before mdlkit_wait returns the final status.
 * - When the I/O manager's own probe of a user buffer fails (METHOD_BUFFERED
 *   copy, direct I/O probe and lock), the call fails with the exception's
 *   status and information 0, and the driver is not called.
 * - mdlkit_close sends IRP_MJ_CLEANUP, then IRP_MJ_CLOSE once every IRP
 *   still pending on the handle has completed.
 * A buffer in the simulated machine's address space (mdlkit_user_alloc,
 * pool, any system address) is passed in place; any other (host) buffer is
 * copied into simulated user memory for the call and back after it.
 * Call these at PASSIVE_LEVEL.
 */
#ifndef MDLKIT_HARNESS_USERMODE_H
#define MDLKIT_HARNESS_USERMODE_H

HANDLE   mdlkit_open(const char *name);    /* "\\Device\\X" or "\\\\.\\X" (a symbolic link);
                                              IRP_MJ_CREATE; NULL on failure */
NTSTATUS mdlkit_ioctl(HANDLE h, ULONG code, void *in, ULONG in_len,
                      void *out, ULONG out_len, ULONG_PTR *information);
NTSTATUS mdlkit_read(HANDLE h, void *buf, ULONG len, ULONG_PTR *information);
NTSTATUS mdlkit_write(HANDLE h, const void *buf, ULONG len, ULONG_PTR *information);
NTSTATUS mdlkit_close(HANDLE h);            /* IRP_MJ_CLEANUP then IRP_MJ_CLOSE; also closes events */

/* Asynchronous requests (as overlapped I/O): they return once the driver has returned
   from its dispatch routine; the request completes when the driver completes the IRP. */
typedef struct mdlkit_request mdlkit_request;
mdlkit_request *mdlkit_read_async(HANDLE h, void *buf, ULONG len);
mdlkit_request *mdlkit_ioctl_async(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len);
NTSTATUS mdlkit_wait(mdlkit_request *r, ULONG timeout_ms, ULONG_PTR *information);
         /* STATUS_TIMEOUT if not completed in time (the request stays valid);
            otherwise the IRP's final status, and the request is released */
void     mdlkit_cancel(mdlkit_request *r);  /* as CancelIoEx: IoCancelIrp on it */

HANDLE   mdlkit_event_create(BOOLEAN manual_reset);  /* a user-mode event handle a driver can
                                                         reference with ObReferenceObjectByHandle */
NTSTATUS mdlkit_event_wait(HANDLE event, ULONG timeout_ms); /* STATUS_SUCCESS or STATUS_TIMEOUT */
NTSTATUS mdlkit_event_set(HANDLE event);
NTSTATUS mdlkit_event_reset(HANDLE event);

/* The system DMA controller (for drivers that use IoGetDmaAdapter with Master == FALSE):
   every request line exists; by default a line is a memory sink/source that keeps the
   bytes of its last transfer. */
typedef void mdlkit_sysdma_fn(void *ctx, ULONG request_line, BOOLEAN to_device,
                              void *data, ULONG length);   /* data: the transferred bytes */
void  mdlkit_sysdma_set_device(ULONG request_line, mdlkit_sysdma_fn *fn, void *ctx);
ULONG mdlkit_sysdma_last(ULONG request_line, void *buf, ULONG len); /* copies the last transfer
                                                                       to the device; returns its length */

/* 0xC4 parameter 1 for I/O manager misuse Windows checks only in checked
 * builds or statically (docs/ddi-notes.md "I/O manager"): P3 = the remove
 * lock, P4 = the tag (or the size passed). */
#define MDLKIT_RULE_REMOVE_LOCK 0x00A50001UL
/* P3 = the work item, P4 = the routine (queued twice, freed while queued)
 * or the IRQL its routine returned at. */
#define MDLKIT_RULE_WORK_ITEM_QUEUED 0x00A50002UL
#define MDLKIT_RULE_WORK_ITEM_IRQL 0x00A50003UL
/* DMA adapter misuse (src/io/dma.c): P3 = the adapter (or address), P4 as
 * the sentence says. */
#define MDLKIT_RULE_DMA 0x00A50004UL
/* Callback registration misuse (src/ob/obcallbk.c, src/ps/psnotify.c):
 * ObUnRegisterCallbacks of a handle ObRegisterCallbacks did not return or
 * that was already unregistered. P3 = the handle. */
#define MDLKIT_RULE_CALLBACK 0x00A50005UL

#endif /* MDLKIT_HARNESS_USERMODE_H */
