/*
 * userio.c -- driving a driver as a user-mode program would (DESIGN.md,
 * pinned names): mdlkit_open, mdlkit_ioctl, mdlkit_read, mdlkit_write,
 * mdlkit_close and the asynchronous forms mdlkit_read_async,
 * mdlkit_ioctl_async, mdlkit_wait, mdlkit_cancel.
 *
 * Each request is an IRP built as the I/O manager builds it for a
 * user-mode caller (NtDeviceIoControlFile, NtReadFile, NtWriteFile on a
 * handle opened for synchronous I/O): RequestorMode UserMode; buffered
 * I/O through a system buffer the I/O manager fills and copies back;
 * direct I/O through an MDL it probes and locks; METHOD_NEITHER with the
 * caller's addresses as they are. Its own probes run before the driver is
 * called: an exception there fails the call with the exception's status
 * and information 0, and the driver never sees the IRP.
 *
 * A caller's buffer in the simulated machine's address space is used in
 * place; a host buffer (stack, malloc) is copied into simulated user
 * memory for the call and back after completion.
 *
 * Completion (IofCompleteRequest -> mk_io_user_complete) does the I/O
 * manager's final work -- copy-back, freeing the system buffer and MDLs,
 * the I/O status -- and wakes the waiter. The file object reference the
 * IRP held is handed to a deferred list that the harness entry points
 * drop at PASSIVE_LEVEL, as Windows drops it in the requesting thread's
 * APC: IRP_MJ_CLOSE never runs nested inside a driver's IoCompleteRequest.
 */
#include "mk_io.h"
#include "mk_machine.h"
#include "mk_mdl.h"
#include "mk_ob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UIO_SYSBUF_TAG 'BSoI' /* "IoSB": the I/O manager's system buffers */

struct mdlkit_request {
    mk_ioreq q;
    struct mdlkit_request *prev, *next; /* every request not yet finished */
};

static pthread_mutex_t uio_req_lock = PTHREAD_MUTEX_INITIALIZER;
static mdlkit_request *uio_reqs;

/* ------------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------- */
static mdlkit_request uio_nomem = {.q = {.iosb = {.Status = STATUS_INSUFFICIENT_RESOURCES}, .done = 1, .sentinel = 1}};

mk_ioreq *mk_ioreq_new(void)
{
    mdlkit_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_lock(&uio_req_lock);
    r->next = uio_reqs;
    if (uio_reqs)
        uio_reqs->prev = r;
    uio_reqs = r;
    pthread_mutex_unlock(&uio_req_lock);
    pthread_mutex_init(&r->q.m, NULL);
    pthread_cond_init(&r->q.cv, NULL);
    r->q.iosb.Status = STATUS_PENDING;
    return &r->q;
}

NTSTATUS mk_ioreq_call(mk_ioreq *r)
{
    PFILE_OBJECT fo = r->irp->Tail.Overlay.OriginalFileObject;
    PDEVICE_OBJECT top = mk_io_attached_top(fo->DeviceObject);
    r->called = 1;
    int proc = mk_ob_enter_user_process(); /* the driver runs in the calling user process */
    r->dispatch_status = IoCallDriver(top, r->irp);
    mk_ob_leave_user_process(proc);
    return r->dispatch_status;
}

int mk_ioreq_wait(mk_ioreq *r, ULONG timeout_ms)
{
    pthread_mutex_lock(&r->m);
    if (timeout_ms == ~0u) {
        while (!r->done)
            pthread_cond_wait(&r->cv, &r->m);
    } else if (!r->done) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!r->done)
            if (pthread_cond_timedwait(&r->cv, &r->m, &ts) == ETIMEDOUT)
                break;
    }
    int done = r->done;
    pthread_mutex_unlock(&r->m);
    return done;
}

/* ------------------------------------------------------------------------
 * Copies of host buffers
 * ---------------------------------------------------------------------- */
/* A host buffer is copied into simulated user memory for the call. A copy
 * is kept for a later call instead of being unmapped (a fresh
 * mdlkit_user_alloc costs two mmaps, a hole punch and a page fault per page
 * on every call): kept, its pages are no-access, so a driver that touches
 * it after its request gets the access violation of a freed buffer; handed
 * out again, only for the same number of pages and with the bytes past the
 * caller's zeroed, it shows what a fresh buffer shows -- same layout (on a
 * 64 KiB boundary, guard page behind the last page), same contents. A copy
 * whose pages a driver left locked is freed (0x76, as before). The kept
 * copies belong to the machine that made them (generation). */
#define UIO_KEEP 8
#define UIO_KEEP_MAX_PAGES 16

static pthread_mutex_t uio_keep_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char *va;
    size_t npages;
} uio_kept[UIO_KEEP];
static int uio_nkept;
static size_t uio_kept_pages;
static unsigned uio_kept_generation;

/* Forgets copies of an earlier machine (its memory is gone). uio_keep_lock held. */
static void uio_keep_check_generation(void)
{
    unsigned g = atomic_load(&mk_rt.generation);
    if (uio_kept_generation != g) {
        uio_nkept = 0;
        uio_kept_pages = 0;
        uio_kept_generation = g;
    }
}

static void *uio_copy_alloc(size_t size)
{
    size_t npages = BYTES_TO_PAGES(size);
    char *va = NULL;
    if (npages <= UIO_KEEP_MAX_PAGES) {
        pthread_mutex_lock(&uio_keep_lock);
        uio_keep_check_generation();
        for (int i = 0; i < uio_nkept; i++)
            if (uio_kept[i].npages == npages) {
                va = uio_kept[i].va;
                uio_kept[i] = uio_kept[--uio_nkept];
                uio_kept_pages -= npages;
                break;
            }
        pthread_mutex_unlock(&uio_keep_lock);
    }
    if (va) {
        if (mk_va_protect(va, npages, MK_PG_READ | MK_PG_WRITE, 0) == 0) {
            memset(va + size, 0, (npages << PAGE_SHIFT) - size);
            return va;
        }
        mk_user_release(va, npages);
    }
    return mdlkit_user_alloc(size, PAGE_READWRITE);
}

static void uio_copy_free(void *p)
{
    size_t npages = mk_user_pages(p);
    int kept = 0;
    if (npages && npages <= UIO_KEEP_MAX_PAGES && atomic_load(&mk_rt.up)) {
        size_t idx = mk_va_index(p);
        int locked = 0;
        for (size_t k = 0; k < npages && !locked; k++)
            locked = mk_pfn_locks(mk_as.pfn[idx + k]) != 0;
        pthread_mutex_lock(&uio_keep_lock);
        uio_keep_check_generation();
        if (!locked && uio_nkept < UIO_KEEP && mk_va_protect(p, npages, 0, 0) == 0) {
            uio_kept[uio_nkept].va = p;
            uio_kept[uio_nkept].npages = npages;
            uio_nkept++;
            uio_kept_pages += npages;
            kept = 1;
        }
        pthread_mutex_unlock(&uio_keep_lock);
    }
    if (!kept)
        mdlkit_user_free(p);
}

void mk_io_user_copies_held(size_t *frames, size_t *va_pages)
{
    pthread_mutex_lock(&uio_keep_lock);
    uio_keep_check_generation();
    *frames = uio_kept_pages;
    *va_pages = uio_kept_pages + (size_t)uio_nkept; /* each with its guard page */
    pthread_mutex_unlock(&uio_keep_lock);
}

/* ------------------------------------------------------------------------
 * File-object references handed over by completions
 * ---------------------------------------------------------------------- */
typedef struct uio_deferred {
    void *obj;
    struct uio_deferred *next;
} uio_deferred;
static pthread_mutex_t uio_lock = PTHREAD_MUTEX_INITIALIZER;
static uio_deferred *uio_pending;

static void uio_defer(void *obj)
{
    uio_deferred *d = malloc(sizeof *d);
    if (!d) {
        /* no memory for the note: drop it here, as late as we can */
        mk_ob_dereference(obj);
        return;
    }
    d->obj = obj;
    pthread_mutex_lock(&uio_lock);
    d->next = uio_pending;
    uio_pending = d;
    pthread_mutex_unlock(&uio_lock);
}

void mk_io_deferred_flush(void)
{
    if (mk_irql() != PASSIVE_LEVEL)
        return;
    for (;;) {
        pthread_mutex_lock(&uio_lock);
        uio_deferred *d = uio_pending;
        uio_pending = NULL;
        pthread_mutex_unlock(&uio_lock);
        if (!d)
            return;
        while (d) {
            uio_deferred *next = d->next;
            mk_ob_dereference(d->obj);
            free(d);
            d = next;
        }
    }
}

void mk_io_userio_reset(void)
{
    /* requests never finished (a bug check caught inside the call, a
     * request never waited for) go with the machine */
    pthread_mutex_lock(&uio_req_lock);
    mdlkit_request *r = uio_reqs;
    uio_reqs = NULL;
    pthread_mutex_unlock(&uio_req_lock);
    while (r) {
        mdlkit_request *next = r->next;
        pthread_cond_destroy(&r->q.cv);
        pthread_mutex_destroy(&r->q.m);
        free(r);
        r = next;
    }
    pthread_mutex_lock(&uio_lock);
    uio_deferred *d = uio_pending;
    uio_pending = NULL;
    pthread_mutex_unlock(&uio_lock);
    while (d) {
        uio_deferred *next = d->next;
        free(d);
        d = next;
    }
    /* the kept copies of host buffers go back to the machine */
    pthread_mutex_lock(&uio_keep_lock);
    uio_keep_check_generation();
    int up = atomic_load(&mk_rt.up);
    for (int i = 0; i < uio_nkept; i++)
        if (up)
            mk_user_release(uio_kept[i].va, uio_kept[i].npages);
    uio_nkept = 0;
    uio_kept_pages = 0;
    pthread_mutex_unlock(&uio_keep_lock);
}

void mk_ioreq_finish(mk_ioreq *r)
{
    if (r->sentinel)
        return;
    if (r->host_out && r->shadow_out)
        memcpy(r->host_out, r->shadow_out, r->out_len);
    if (r->shadow_out)
        uio_copy_free(r->shadow_out);
    if (r->shadow_in && r->shadow_in != r->shadow_out)
        uio_copy_free(r->shadow_in);
    if (r->irp)
        IoFreeIrp(r->irp);
    if (r->fo)
        mk_ob_dereference(r->fo);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->m);
    mdlkit_request *req = (mdlkit_request *)r;
    pthread_mutex_lock(&uio_req_lock);
    if (req->prev)
        req->prev->next = req->next;
    else
        uio_reqs = req->next;
    if (req->next)
        req->next->prev = req->prev;
    pthread_mutex_unlock(&uio_req_lock);
    free(req);
    mk_io_deferred_flush();
}

/* ------------------------------------------------------------------------
 * Completion: the I/O manager's end of it
 * ---------------------------------------------------------------------- */
void mk_io_user_complete(PIRP Irp)
{
    mk_ioreq *r = (mk_ioreq *)Irp->UserIosb;
    if ((Irp->Flags & (IRP_BUFFERED_IO | IRP_INPUT_OPERATION)) == (IRP_BUFFERED_IO | IRP_INPUT_OPERATION) &&
        !NT_ERROR(Irp->IoStatus.Status) && Irp->AssociatedIrp.SystemBuffer && Irp->UserBuffer) {
        ULONG_PTR n = Irp->IoStatus.Information < r->out_len ? Irp->IoStatus.Information : r->out_len;
        volatile NTSTATUS copy = STATUS_SUCCESS;
        MDLKIT_TRY { memcpy(Irp->UserBuffer, Irp->AssociatedIrp.SystemBuffer, n); }
        MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { copy = GetExceptionCode(); }
        MDLKIT_END;
        if (!NT_SUCCESS(copy))
            Irp->IoStatus.Status = copy;
    }
    if ((Irp->Flags & IRP_DEALLOCATE_BUFFER) && Irp->AssociatedIrp.SystemBuffer) {
        mk_driver *old = mk_driver_enter(NULL);
        ExFreePoolWithTag(Irp->AssociatedIrp.SystemBuffer, UIO_SYSBUF_TAG);
        mk_driver_leave(old);
        Irp->AssociatedIrp.SystemBuffer = NULL;
        Irp->Flags &= ~(ULONG)IRP_DEALLOCATE_BUFFER;
    }
    mk_irp_release_mdls(Irp);
    /* the file-object reference is handed over before the waiter wakes, so
     * the waiter's own flush drops it */
    PFILE_OBJECT fo = r->fo;
    r->fo = NULL;
    if (fo)
        uio_defer(fo);
    pthread_mutex_lock(&r->m);
    r->iosb = Irp->IoStatus;
    r->done = 1;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->m);
}

/* ------------------------------------------------------------------------
 * Building requests
 * ---------------------------------------------------------------------- */
static void uio_enter(const char *routine)
{
    mk_thread_attach();
    if (mk_irql() != PASSIVE_LEVEL)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "the user-mode request calls run at PASSIVE_LEVEL", mk_irql(),
                     (ULONG_PTR)routine);
    mk_io_deferred_flush();
}

static void uio_fail(mk_ioreq *r, NTSTATUS st)
{
    r->iosb.Status = st;
    r->iosb.Information = 0;
    r->done = 1;
}

/* The address the driver sees for a caller's buffer: in place for an
 * address of the simulated machine, else a copy in simulated user memory. */
static void *uio_place(mk_ioreq *r, void *buf, ULONG len, int out, void *other, ULONG other_len)
{
    if (!buf || !len || mk_va_region(buf) != MK_RGN_FOREIGN)
        return buf;
    if (out && other == buf && r->shadow_in) {
        /* the same host buffer as input and output: one copy */
        r->host_out = buf;
        r->shadow_out = r->shadow_in;
        return r->shadow_in;
    }
    ULONG size = (other == buf && other_len > len) ? other_len : len;
    void *u = uio_copy_alloc(size);
    if (!u)
        return NULL;
    memcpy(u, buf, size);
    if (out) {
        r->host_out = buf;
        r->shadow_out = u;
    } else {
        r->shadow_in = u;
    }
    return u;
}

static void *uio_sysbuf(ULONG size)
{
    mk_driver *old = mk_io_manager_enter();
    void *p = ExAllocatePoolWithTag(NonPagedPoolNx, size, UIO_SYSBUF_TAG);
    mk_io_manager_leave(old);
    if (!p)
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    return p;
}

static void uio_lock_mdl(PIRP irp, void *buf, ULONG len, LOCK_OPERATION op)
{
    mk_driver *old = mk_io_manager_enter();
    PMDL mdl = IoAllocateMdl(buf, len, FALSE, TRUE, irp);
    mk_io_manager_leave(old);
    if (!mdl)
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
    /* (its raise leaves for the caller's __except, which puts the count back) */
    mk_self.io_manager++;
    MmProbeAndLockPages(mdl, UserMode, op);
    mk_self.io_manager--;
}

/* Undo what the I/O manager built when its own probe failed. */
static void uio_unbuild(PIRP irp)
{
    if ((irp->Flags & IRP_DEALLOCATE_BUFFER) && irp->AssociatedIrp.SystemBuffer) {
        mk_driver *old = mk_driver_enter(NULL);
        ExFreePoolWithTag(irp->AssociatedIrp.SystemBuffer, UIO_SYSBUF_TAG);
        mk_driver_leave(old);
        irp->AssociatedIrp.SystemBuffer = NULL;
    }
    mk_irp_release_mdls(irp);
}

/* A request on handle h: the file object referenced, the IRP allocated. */
static mk_ioreq *uio_begin(HANDLE h, UCHAR major)
{
    mk_ioreq *r = mk_ioreq_new();
    if (!r)
        return NULL;
    void *body = NULL;
    NTSTATUS st = mk_ob_reference_handle(h, *IoFileObjectType, UserMode, &body);
    if (!NT_SUCCESS(st)) {
        uio_fail(r, st);
        return r;
    }
    PFILE_OBJECT fo = body;
    r->fo = fo;
    PDEVICE_OBJECT top = mk_io_attached_top(fo->DeviceObject);
    mk_driver *old = mk_io_manager_enter();
    PIRP irp = IoAllocateIrp(top->StackSize, FALSE);
    mk_io_manager_leave(old);
    if (!irp) {
        uio_fail(r, STATUS_INSUFFICIENT_RESOURCES);
        return r;
    }
    r->irp = irp;
    irp->Flags = MK_IRP_USER_REQUEST;
    irp->UserIosb = &r->iosb;
    irp->RequestorMode = UserMode;
    irp->Tail.Overlay.OriginalFileObject = fo;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->MajorFunction = major;
    sp->FileObject = fo;
    return r;
}

/* The I/O manager's own probe of the caller's buffers failed: the request
 * fails with the exception's status and the driver is not called, as on
 * Windows; else the IRP goes to the driver. */
static mk_ioreq *uio_dispatch(mk_ioreq *r, NTSTATUS probe)
{
    if (!NT_SUCCESS(probe)) {
        uio_unbuild(r->irp);
        uio_fail(r, probe);
        return r;
    }
    mk_ioreq_call(r);
    return r;
}

static mk_ioreq *uio_ioctl_start(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len)
{
    mk_ioreq *r = uio_begin(h, IRP_MJ_DEVICE_CONTROL);
    if (!r || r->done)
        return r;
    PIRP irp = r->irp;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    sp->Parameters.DeviceIoControl.OutputBufferLength = out_len;
    sp->Parameters.DeviceIoControl.InputBufferLength = in_len;
    sp->Parameters.DeviceIoControl.IoControlCode = code;
    r->out_len = out_len;
    void *uin = uio_place(r, in, in_len, 0, out, out_len);
    void *uout = uio_place(r, out, out_len, 1, in, in_len);
    if ((in && in_len && !uin) || (out && out_len && !uout)) {
        uio_fail(r, STATUS_INSUFFICIENT_RESOURCES);
        return r;
    }
    ULONG method = METHOD_FROM_CTL_CODE(code);
    volatile NTSTATUS probe = STATUS_SUCCESS;
    const int iom = mk_self.io_manager; /* (a probe's raise leaves uio_lock_mdl's count up) */
    MDLKIT_TRY {
        if (method == METHOD_BUFFERED) {
            ULONG size = in_len > out_len ? in_len : out_len;
            if (out_len)
                ProbeForWrite(uout, out_len, sizeof(UCHAR));
            if (in_len)
                ProbeForRead(uin, in_len, sizeof(UCHAR));
            if (size) {
                irp->AssociatedIrp.SystemBuffer = uio_sysbuf(size);
                irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (out_len ? IRP_INPUT_OPERATION : 0);
                memset(irp->AssociatedIrp.SystemBuffer, 0, size);
                if (in_len)
                    memcpy(irp->AssociatedIrp.SystemBuffer, uin, in_len);
            }
        } else if (method == METHOD_IN_DIRECT || method == METHOD_OUT_DIRECT) {
            if (in_len) {
                ProbeForRead(uin, in_len, sizeof(UCHAR));
                irp->AssociatedIrp.SystemBuffer = uio_sysbuf(in_len);
                irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER;
                memcpy(irp->AssociatedIrp.SystemBuffer, uin, in_len);
            }
            if (out_len)
                uio_lock_mdl(irp, uout, out_len, method == METHOD_IN_DIRECT ? IoReadAccess : IoWriteAccess);
        } else {
            sp->Parameters.DeviceIoControl.Type3InputBuffer = uin;
        }
        irp->UserBuffer = uout;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER)
    {
        probe = GetExceptionCode();
        mk_self.io_manager = iom;
    }
    MDLKIT_END;
    return uio_dispatch(r, probe);
}

static mk_ioreq *uio_rw_start(HANDLE h, UCHAR major, void *buf, ULONG len)
{
    mk_ioreq *r = uio_begin(h, major);
    if (!r || r->done)
        return r;
    PIRP irp = r->irp;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(irp);
    PFILE_OBJECT fo = r->fo;
    sp->Parameters.Read.Length = len; /* Write has the same layout */
    sp->Parameters.Read.ByteOffset = fo->CurrentByteOffset;
    int reading = major == IRP_MJ_READ;
    r->out_len = reading ? len : 0;
    void *ubuf = uio_place(r, buf, len, reading, NULL, 0);
    if (buf && len && !ubuf) {
        uio_fail(r, STATUS_INSUFFICIENT_RESOURCES);
        return r;
    }
    if (!reading && r->shadow_in == NULL && ubuf != buf)
        r->shadow_in = ubuf;
    ULONG flags = mk_io_attached_top(fo->DeviceObject)->Flags;
    irp->Flags |= reading ? IRP_READ_OPERATION : IRP_WRITE_OPERATION;
    volatile NTSTATUS probe = STATUS_SUCCESS;
    const int iom = mk_self.io_manager; /* (a probe's raise leaves uio_lock_mdl's count up) */
    MDLKIT_TRY {
        if (flags & DO_BUFFERED_IO) {
            if (len) {
                if (reading)
                    ProbeForWrite(ubuf, len, sizeof(UCHAR));
                else
                    ProbeForRead(ubuf, len, sizeof(UCHAR));
                irp->AssociatedIrp.SystemBuffer = uio_sysbuf(len);
                irp->Flags |= IRP_BUFFERED_IO | IRP_DEALLOCATE_BUFFER | (reading ? IRP_INPUT_OPERATION : 0);
                if (reading)
                    memset(irp->AssociatedIrp.SystemBuffer, 0, len);
                else
                    memcpy(irp->AssociatedIrp.SystemBuffer, ubuf, len);
            }
        } else if (flags & DO_DIRECT_IO) {
            if (len)
                uio_lock_mdl(irp, ubuf, len, reading ? IoWriteAccess : IoReadAccess);
        }
        irp->UserBuffer = ubuf;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER)
    {
        probe = GetExceptionCode();
        mk_self.io_manager = iom;
    }
    MDLKIT_END;
    return uio_dispatch(r, probe);
}

/* A synchronous call: wait when the driver pended the IRP (a handle opened
 * for synchronous I/O); the status is the dispatch routine's, or the final
 * one for a pended IRP, as NtDeviceIoControlFile returns it. */
static NTSTATUS uio_sync(mk_ioreq *r, ULONG_PTR *information)
{
    if (information)
        *information = 0;
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES;
    NTSTATUS st;
    if (!r->called) {
        st = r->iosb.Status; /* failed before the driver was called */
    } else if (r->dispatch_status == STATUS_PENDING) {
        mk_ioreq_wait(r, ~0u);
        st = r->iosb.Status;
    } else {
        if (!mk_ioreq_wait(r, 0))
            return r->dispatch_status; /* returned without completing: the driver still owns the IRP */
        st = r->dispatch_status;
    }
    if (information)
        *information = r->iosb.Information;
    mk_ioreq_finish(r);
    return st;
}

/* ------------------------------------------------------------------------
 * The pinned names
 * ---------------------------------------------------------------------- */
HANDLE mdlkit_open(const char *name)
{
    MK_ENTER("mdlkit_open");
    uio_enter("mdlkit_open");
    if (!name)
        return NULL;
    WCHAR w[MK_NAME_MAX];
    size_t n = 0;
    const char *p = name;
    if (p[0] == '\\' && p[1] == '\\' && (p[2] == '.' || p[2] == '?') && p[3] == '\\') {
        static const char global[] = "\\GLOBAL??\\";
        for (const char *g = global; *g; g++)
            w[n++] = (WCHAR)*g;
        p += 4;
    }
    for (; *p && n + 1 < MK_NAME_MAX; p++)
        w[n++] = (WCHAR)(unsigned char)*p;
    if (*p)
        return NULL;
    w[n] = 0;
    PDEVICE_OBJECT dev = NULL;
    WCHAR rest[MK_NAME_MAX];
    size_t rest_len = 0;
    if (!NT_SUCCESS(mk_obname_open_device(w, n, &dev, rest, &rest_len)))
        return NULL;
    PFILE_OBJECT fo = NULL;
    int proc = mk_ob_enter_user_process(); /* IRP_MJ_CREATE runs in the calling user process */
    NTSTATUS st = mk_io_open_file(dev, rest, rest_len, GENERIC_READ | GENERIC_WRITE, UserMode, &fo);
    mk_io_device_dereference(dev);
    if (!NT_SUCCESS(st)) {
        mk_ob_leave_user_process(proc);
        return NULL;
    }
    HANDLE h = NULL;
    st = mk_ob_insert_handle(fo, FILE_ALL_ACCESS, UserMode, &h);
    mk_ob_dereference(fo); /* the handle holds its own reference (or the file goes: CLEANUP, CLOSE) */
    mk_ob_leave_user_process(proc);
    mk_io_deferred_flush();
    return NT_SUCCESS(st) ? h : NULL;
}

NTSTATUS mdlkit_close(HANDLE h)
{
    MK_ENTER("mdlkit_close");
    uio_enter("mdlkit_close");
    int proc = mk_ob_enter_user_process(); /* IRP_MJ_CLEANUP (and CLOSE) in the calling user process */
    NTSTATUS st = mk_ob_close_handle(h, UserMode);
    mk_ob_leave_user_process(proc);
    mk_io_deferred_flush();
    return st;
}

NTSTATUS mdlkit_ioctl(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len,
                      ULONG_PTR *information)
{
    MK_ENTER("mdlkit_ioctl");
    uio_enter("mdlkit_ioctl");
    return uio_sync(uio_ioctl_start(h, code, in, in_len, out, out_len), information);
}

NTSTATUS mdlkit_read(HANDLE h, void *buf, ULONG len, ULONG_PTR *information)
{
    MK_ENTER("mdlkit_read");
    uio_enter("mdlkit_read");
    return uio_sync(uio_rw_start(h, IRP_MJ_READ, buf, len), information);
}

NTSTATUS mdlkit_write(HANDLE h, const void *buf, ULONG len, ULONG_PTR *information)
{
    MK_ENTER("mdlkit_write");
    uio_enter("mdlkit_write");
    return uio_sync(uio_rw_start(h, IRP_MJ_WRITE, (void *)buf, len), information);
}

static mdlkit_request *uio_async(mk_ioreq *r) { return r ? (mdlkit_request *)r : &uio_nomem; }

mdlkit_request *mdlkit_read_async(HANDLE h, void *buf, ULONG len)
{
    MK_ENTER("mdlkit_read_async");
    uio_enter("mdlkit_read_async");
    return uio_async(uio_rw_start(h, IRP_MJ_READ, buf, len));
}

mdlkit_request *mdlkit_ioctl_async(HANDLE h, ULONG code, void *in, ULONG in_len, void *out, ULONG out_len)
{
    MK_ENTER("mdlkit_ioctl_async");
    uio_enter("mdlkit_ioctl_async");
    return uio_async(uio_ioctl_start(h, code, in, in_len, out, out_len));
}

NTSTATUS mdlkit_wait(mdlkit_request *req, ULONG timeout_ms, ULONG_PTR *information)
{
    MK_ENTER("mdlkit_wait");
    uio_enter("mdlkit_wait");
    if (information)
        *information = 0;
    if (!req)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_wait: the request is NULL", 0, 0);
    if (mk_va_region(req) != MK_RGN_FOREIGN) /* the harness's objects are host memory */
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_wait: not an object of the harness", (ULONG_PTR)req, 0);
    mk_ioreq *r = &req->q;
    if (r->sentinel)
        return r->iosb.Status;
    if (!mk_ioreq_wait(r, timeout_ms))
        return STATUS_TIMEOUT;
    NTSTATUS st = r->iosb.Status;
    if (information)
        *information = r->iosb.Information;
    mk_ioreq_finish(r);
    return st;
}

void mdlkit_cancel(mdlkit_request *req)
{
    MK_ENTER("mdlkit_cancel");
    uio_enter("mdlkit_cancel");
    if (!req)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_cancel: the request is NULL", 0, 0);
    mk_ioreq *r = &req->q;
    if (r->sentinel || !r->irp)
        return;
    pthread_mutex_lock(&r->m);
    int done = r->done;
    pthread_mutex_unlock(&r->m);
    if (!done)
        IoCancelIrp(r->irp);
}
