/*
 * srb.c -- StorPort requests: the SRB (SCSI_REQUEST_BLOCK or SRB_EX) the
 * port builds for the class driver's command, the IRP and MDL around its
 * data buffer, the SRB extension, HwBuildIo and HwStartIo, completion
 * (StorPortNotification RequestComplete, once), and the class-driver
 * harness (mdlkit_storport_send / _wait / _scsi / _submit / _reset).
 */
#include "sp.h"

#include <srbhelper.h>

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SP_STATUS_IO_TIMEOUT ((NTSTATUS)0xC00000B5L)
#define SP_SENSE_BYTES 32

struct mdlkit_storport_io {
    mk_sp_adapter *a;
    mk_sp_request *r;
};

/* The SRB_EX the port builds: header, BTL8 address, one CDB16 block. */
typedef struct sp_srbex {
    STORAGE_REQUEST_BLOCK srb;      /* SrbExDataOffset[0] is the one offset */
    STOR_ADDR_BTL8 addr;
    SRBEX_DATA_SCSI_CDB16 cdb;
} sp_srbex;

void mk_sp_srb_data(PVOID srb, PVOID *buf, ULONG *len, PVOID **orig)
{
    if (MDLKIT_SRB_IS_EX(srb)) {
        PSTORAGE_REQUEST_BLOCK x = srb;
        *buf = x->DataBuffer;
        *len = x->DataTransferLength;
        *orig = &x->OriginalRequest;
    } else {
        PSCSI_REQUEST_BLOCK s = srb;
        *buf = s->DataBuffer;
        *len = s->DataTransferLength;
        *orig = &s->OriginalRequest;
    }
}

ULONG mk_sp_srb_flags(PVOID srb) { return SrbGetSrbFlags(srb); }

NTSTATUS mk_sp_srb_to_status(UCHAR srb_status)
{
    switch (SRB_STATUS(srb_status)) {
    case SRB_STATUS_SUCCESS:
        return STATUS_SUCCESS;
    case SRB_STATUS_PENDING:
        return STATUS_PENDING;
    case SRB_STATUS_INVALID_REQUEST:
    case SRB_STATUS_BAD_FUNCTION:
        return STATUS_INVALID_DEVICE_REQUEST;
    case SRB_STATUS_BUSY:
        return STATUS_DEVICE_BUSY;
    case SRB_STATUS_DATA_OVERRUN:
        return STATUS_BUFFER_OVERFLOW;
    case SRB_STATUS_INSUFFICIENT_RESOURCES:
        return STATUS_INSUFFICIENT_RESOURCES;
    case SRB_STATUS_NO_DEVICE:
    case SRB_STATUS_INVALID_LUN:
    case SRB_STATUS_INVALID_TARGET_ID:
    case SRB_STATUS_INVALID_PATH_ID:
        return STATUS_NO_SUCH_DEVICE;
    case SRB_STATUS_TIMEOUT:
    case SRB_STATUS_COMMAND_TIMEOUT:
    case SRB_STATUS_SELECTION_TIMEOUT:
        return SP_STATUS_IO_TIMEOUT;
    case SRB_STATUS_ABORTED:
    case SRB_STATUS_REQUEST_FLUSHED:
    case SRB_STATUS_BUS_RESET:
        return STATUS_CANCELLED;
    default:
        return STATUS_UNSUCCESSFUL;
    }
}

/* Copies the outcome of a completed request into the harness structure. */
static void sp_harness_result(mk_sp_request *r)
{
    mdlkit_scsi_request *h = r->harness;
    if (!h)
        return;
    h->srb_status = SrbGetSrbStatus(r->srb);
    h->scsi_status = SrbGetScsiStatus(r->srb);
    h->transferred = SrbGetDataTransferLength(r->srb);
    h->sense_length = 0;
    if ((h->srb_status & SRB_STATUS_AUTOSENSE_VALID) && r->sense) {
        UCHAR n = SrbGetSenseInfoBufferLength(r->srb);
        if (n > sizeof h->sense)
            n = sizeof h->sense;
        memcpy(h->sense, r->sense, n);
        h->sense_length = n;
    }
}

/* Releases what the port built for a request (at <= DISPATCH_LEVEL). */
static void sp_request_release(mk_sp_request *r)
{
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    mk_sp_sg_free(r);
    if (r->mdl) {
        if (r->mdl_locked)
            MmUnlockPages(r->mdl);
        if (r->irp)
            r->irp->MdlAddress = NULL;
        mk_mdl_free(r->mdl);
    }
    if (r->irp)
        IoFreeIrp(r->irp);
    if (r->srb_ext)
        mk_ex_free(r->srb_ext, MK_SP_SRBEXT_TAG, NULL);
    if (r->sense)
        mk_ex_free(r->sense, MK_SP_REQ_TAG, NULL);
    if (r->owned)
        mk_ex_free(r->srb, MK_SP_REQ_TAG, NULL);
    mk_port_end();
    mk_driver_leave(old);
    free(r);
}

mk_sp_request *mk_sp_request_of(mk_sp_adapter *a, PVOID srb, int include_completed)
{
    mk_sp_request *found = NULL;
    pthread_mutex_lock(&a->lock);
    for (mk_sp_request *r = a->requests; r; r = r->next)
        if (r->srb == srb && (include_completed || !atomic_load(&r->completed))) {
            found = r;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    return found;
}

void mk_sp_check_srb_live(mk_sp_adapter *a, PVOID srb, const char *routine)
{
    if (!srb)
        return;
    mk_sp_request *r = mk_sp_request_of(a, srb, 1);
    if (r && atomic_load(&r->completed))
        mk_violation(MDLKIT_RULE_STORPORT_COMPLETED_SRB_USED,
                     "A StorPort routine was given an SRB the miniport had already completed "
                     "(StorPortNotification RequestComplete): the port owns it again",
                     (ULONG_PTR)srb, (ULONG_PTR)routine);
}

/* Finalises requests completed while the caller could not (above
 * DISPATCH_LEVEL, or inside the submit), except harness requests, which
 * mdlkit_storport_wait releases. */
void mk_sp_reap(mk_sp_adapter *a)
{
    if (mk_irql() > DISPATCH_LEVEL)
        return;
    for (;;) {
        mk_sp_request *done = NULL;
        pthread_mutex_lock(&a->lock);
        for (mk_sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
            if (atomic_load(&(*pp)->completed) && !(*pp)->in_submit && !(*pp)->harness) {
                done = *pp;
                *pp = done->next;
                break;
            }
        pthread_mutex_unlock(&a->lock);
        if (!done)
            return;
        sp_request_release(done);
    }
}

void mk_sp_request_complete(mk_sp_adapter *a, PVOID srb)
{
    mk_sp_request *r = NULL;
    int twice = 0, in_submit = 0;
    PSTOR_SCATTER_GATHER_LIST sg = NULL;
    int low = mk_irql() <= DISPATCH_LEVEL;
    if (srb && SRB_STATUS(SrbGetSrbStatus(srb)) == SRB_STATUS_PENDING &&
        mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_STORPORT_STATUS_PENDING,
                     "StorPortStatusPending: an SRB was completed with SRB_STATUS_PENDING as its status",
                     (ULONG_PTR)srb, 0);
    pthread_mutex_lock(&a->lock);
    for (mk_sp_request *q = a->requests; q; q = q->next)
        if (q->srb == srb) {
            if (atomic_load(&q->completed)) {
                twice = 1;
                continue; /* the same SRB may be on the list again, outstanding */
            }
            r = q;
            break;
        }
    if (r) {
        r->final_status = SrbGetSrbStatus(srb);
        sp_harness_result(r);
        a->outstanding--;
        if (a->info.busy_requests) /* StorPortBusy: one of the completions it waits for */
            a->info.busy_requests--;
        in_submit = r->in_submit;
        if (low) {
            /* The scatter-gather list goes back at once: a touch after the
             * completion is a use after free (caught under Special Pool). */
            sg = r->sg;
            r->sg = NULL;
        }
        atomic_store(&r->completed, 1);
    }
    pthread_mutex_unlock(&a->lock);
    if (!r) {
        /* Completed twice, or never given to the miniport: Storport
         * verification's 0xF1 (twice: 1 in P4). */
        mk_bugcheck(SCSI_VERIFIER_DETECTED_VIOLATION, MK_SP_F1_REQUEST_COMPLETED_TWICE, (ULONG_PTR)srb,
                    (ULONG_PTR)a->ext, 0);
    }
    (void)twice;
    if (low) {
        if (sg) {
            mk_driver *old = mk_driver_enter(NULL);
            mk_port_begin();
            mk_ex_free(sg, MK_SP_SG_TAG, NULL);
            mk_port_end();
            mk_driver_leave(old);
        }
        if (!in_submit)
            mk_sp_reap(a);
    }
}

/* Completes every outstanding request with srb_status (the port's abort at
 * stop, or after a bus reset) and releases every request. */
void mk_sp_abort_all(mk_sp_adapter *a, UCHAR srb_status)
{
    mk_sp_reap(a);
    pthread_mutex_lock(&a->lock);
    mk_sp_request *reqs = a->requests;
    a->requests = NULL;
    a->outstanding = 0;
    a->held_head = a->held_tail = NULL; /* held requests are on a->requests too */
    a->held = 0;
    pthread_mutex_unlock(&a->lock);
    while (reqs) {
        mk_sp_request *next = reqs->next;
        if (!atomic_load(&reqs->completed)) {
            SrbSetSrbStatus(reqs->srb, srb_status);
            sp_harness_result(reqs);
        }
        if (reqs->harness)
            reqs->harness->srb_status = atomic_load(&reqs->completed) ? reqs->final_status : srb_status;
        sp_request_release(reqs);
        reqs = next;
    }
}

/* ------------------------------------------------------------------------
 * Sending a request
 * ---------------------------------------------------------------------- */
static void sp_start(mk_sp_adapter *a, mk_sp_request *r);

/* Builds IRP, MDL and SRB extension for r; runs HwBuildIo/HwStartIo, or
 * holds the request while the adapter is busy or paused. */
static NTSTATUS sp_issue(mk_sp_adapter *a, mk_sp_request *r)
{
    PVOID buf;
    ULONG len;
    PVOID *orig;
    mk_sp_srb_data(r->srb, &buf, &len, &orig);

    /* The request as the port driver receives it from the class driver: an
     * IRP whose MdlAddress describes the locked data buffer. */
    NTSTATUS st = STATUS_SUCCESS;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    r->irp = IoAllocateIrp(1, FALSE);
    if (!r->irp)
        st = STATUS_INSUFFICIENT_RESOURCES;
    if (NT_SUCCESS(st) && buf && len) {
        r->mdl = mk_mdl_allocate(buf, len);
        if (!r->mdl) {
            st = STATUS_INSUFFICIENT_RESOURCES;
        } else {
            r->irp->MdlAddress = r->mdl;
            unsigned kinds = mk_mdl_memory_kinds(buf, len);
            if ((kinds & ~(MK_MEM_NPOOL | MK_MEM_CONTIG)) == 0) {
                mk_mdl_build_nonpaged(r->mdl);
            } else {
                volatile NTSTATUS probe = STATUS_SUCCESS;
                KPROCESSOR_MODE mode = (kinds & MK_MEM_USER) ? UserMode : KernelMode;
                LOCK_OPERATION op = (mk_sp_srb_flags(r->srb) & SRB_FLAGS_DATA_IN) ? IoWriteAccess : IoReadAccess;
                MDLKIT_TRY { MmProbeAndLockPages(r->mdl, mode, op); }
                MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) { probe = GetExceptionCode(); }
                MDLKIT_END;
                if (NT_SUCCESS(probe))
                    r->mdl_locked = 1;
                else
                    st = probe;
            }
        }
    }
    if (NT_SUCCESS(st) && a->config.SrbExtensionSize) {
        r->srb_ext = mk_ex_allocate(mk_sp_nonpaged_type(), a->config.SrbExtensionSize, MK_SP_SRBEXT_TAG,
                                    NormalPoolPriority, 1, NULL);
        if (!r->srb_ext)
            st = STATUS_INSUFFICIENT_RESOURCES;
    }
    mk_port_end();
    mk_driver_leave(old);
    if (!NT_SUCCESS(st))
        return st;
    PIO_STACK_LOCATION sp = IoGetNextIrpStackLocation(r->irp);
    sp->MajorFunction = IRP_MJ_SCSI;
    sp->Parameters.Scsi.Srb = r->srb;
    IoSetNextIrpStackLocation(r->irp);
    *orig = r->irp;
    if (r->ex)
        ((PSTORAGE_REQUEST_BLOCK)r->srb)->MiniportContext = r->srb_ext;
    else
        ((PSCSI_REQUEST_BLOCK)r->srb)->SrbExtension = r->srb_ext;
    ((PSTORAGE_REQUEST_BLOCK_HEADER)r->srb)->SrbStatus = SRB_STATUS_PENDING;
    r->in_submit = 1;
    pthread_mutex_lock(&a->lock);
    r->next = a->requests;
    a->requests = r;
    a->outstanding++;
    /* Busy or paused (or older requests still held): the port keeps it, in
     * order, until the adapter takes requests again (mk_sp_start_held). */
    if (mk_sp_holding_locked(a) || a->held_head) {
        r->held = 1;
        if (a->held_tail)
            a->held_tail->held_next = r;
        else
            a->held_head = r;
        a->held_tail = r;
        a->held++;
        pthread_mutex_unlock(&a->lock);
        return STATUS_SUCCESS;
    }
    pthread_mutex_unlock(&a->lock);
    sp_start(a, r);
    return STATUS_SUCCESS; /* r->in_submit stays set: the caller clears it */
}

int mk_sp_holding_locked(mk_sp_adapter *a)
{
    if (a->info.paused && a->clock_us >= a->pause_until)
        a->info.paused = 0; /* the pause's time-out has passed */
    if (a->info.busy_requests) {
        /* More completions asked for than requests the miniport holds: the
         * port waits for those it has (the documented rule), none if none. */
        ULONG in_miniport = a->outstanding - a->held;
        if (a->info.busy_requests > in_miniport)
            a->info.busy_requests = in_miniport;
    }
    return a->info.busy_requests != 0 || a->info.paused;
}

ULONG mk_sp_start_held(mk_sp_adapter *a)
{
    ULONG started = 0;
    for (;;) {
        pthread_mutex_lock(&a->lock);
        mk_sp_request *r = a->held_head;
        if (!r || mk_sp_holding_locked(a)) {
            pthread_mutex_unlock(&a->lock);
            return started;
        }
        a->held_head = r->held_next;
        if (!a->held_head)
            a->held_tail = NULL;
        r->held_next = NULL;
        r->held = 0;
        a->held--;
        pthread_mutex_unlock(&a->lock);
        sp_start(a, r);
        started++;
    }
}

/* HwBuildIo (no lock) then HwStartIo, both at DISPATCH_LEVEL; half duplex:
 * HwStartIo under the StartIo lock. */
static void sp_start(mk_sp_adapter *a, mk_sp_request *r)
{
    mk_sp_driver *s = a->spd;
    mk_port_frame f;
    KIRQL oldirql = mk_sp_raise(DISPATCH_LEVEL);
    mk_port_call_miniport(&f, s->drv);
    BOOLEAN go = TRUE;
    if (s->hw.HwBuildIo)
        go = s->hw.HwBuildIo(a->ext, r->srb);
    mk_port_return_from_miniport(&f);
    mk_sp_check_no_locks(a, 1);
    if (go && !atomic_load(&r->completed)) {
        int half = a->config.SynchronizationModel == StorSynchronizeHalfDuplex;
        if (half)
            mk_sp_startio_lock(a);
        mk_port_call_miniport(&f, s->drv);
        mk_sp_startio_enter();
        s->hw.HwStartIo(a->ext, r->srb);
        mk_sp_startio_leave();
        mk_port_return_from_miniport(&f);
        if (half)
            mk_sp_startio_unlock(a);
        mk_sp_check_no_locks(a, 1);
    }
    mk_sp_lower(oldirql);
}

NTSTATUS mdlkit_storport_submit(PVOID hw_device_extension, PSCSI_REQUEST_BLOCK srb)
{
    MK_ENTER("mdlkit_storport_submit");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a || !srb)
        return STATUS_INVALID_PARAMETER;
    if (a->phase != MK_SP_PHASE_RUNNING || mk_irql() > DISPATCH_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    mk_sp_reap(a);
    if (mk_sp_request_of(a, srb, 0))
        return STATUS_DEVICE_BUSY; /* already outstanding */
    mk_sp_request *r = calloc(1, sizeof *r);
    if (!r)
        return STATUS_INSUFFICIENT_RESOURCES;
    r->srb = srb;
    r->ex = MDLKIT_SRB_IS_EX(srb);
    NTSTATUS st = sp_issue(a, r);
    if (!NT_SUCCESS(st)) {
        sp_request_release(r);
        return st;
    }
    mk_sp_deliver(a);
    int done;
    pthread_mutex_lock(&a->lock);
    done = atomic_load(&r->completed);
    if (done)
        for (mk_sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
            if (*pp == r) {
                *pp = r->next;
                break;
            }
    r->in_submit = 0; /* not done: a later completion's reap releases it */
    pthread_mutex_unlock(&a->lock);
    if (!done)
        return STATUS_PENDING;
    UCHAR status = r->final_status;
    sp_request_release(r);
    return mk_sp_srb_to_status(status);
}

/* ------------------------------------------------------------------------
 * The class-driver harness
 * ---------------------------------------------------------------------- */
static PVOID sp_build_srb(mk_sp_adapter *a, mk_sp_request *r, mdlkit_scsi_request *h)
{
    ULONG flags = h->srb_flags | SRB_FLAGS_QUEUE_ACTION_ENABLE;
    if (h->direction == MDLKIT_SCSI_DATA_IN)
        flags |= SRB_FLAGS_DATA_IN;
    else if (h->direction == MDLKIT_SCSI_DATA_OUT)
        flags |= SRB_FLAGS_DATA_OUT;
    ULONG timeout = h->timeout_seconds ? h->timeout_seconds : 10;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    r->sense = mk_ex_allocate(mk_sp_nonpaged_type(), SP_SENSE_BYTES, MK_SP_REQ_TAG, NormalPoolPriority, 1, NULL);
    PVOID srb = NULL;
    if (r->sense) {
        if (a->config.SrbType == SRB_TYPE_STORAGE_REQUEST_BLOCK)
            srb = mk_ex_allocate(mk_sp_nonpaged_type(), sizeof(sp_srbex), MK_SP_REQ_TAG, NormalPoolPriority, 1,
                                 NULL);
        else
            srb = mk_ex_allocate(mk_sp_nonpaged_type(), sizeof(SCSI_REQUEST_BLOCK), MK_SP_REQ_TAG,
                                 NormalPoolPriority, 1, NULL);
    }
    mk_port_end();
    mk_driver_leave(old);
    if (!srb)
        return NULL;
    r->owned = 1;
    if (a->config.SrbType == SRB_TYPE_STORAGE_REQUEST_BLOCK) {
        sp_srbex *x = srb;
        x->srb.Length = sizeof(STORAGE_REQUEST_BLOCK_HEADER);
        x->srb.Function = SRB_FUNCTION_STORAGE_REQUEST_BLOCK;
        x->srb.Signature = SRB_SIGNATURE;
        x->srb.Version = STORAGE_REQUEST_BLOCK_VERSION_1;
        x->srb.SrbLength = sizeof *x;
        x->srb.SrbFunction = SRB_FUNCTION_EXECUTE_SCSI;
        x->srb.SrbFlags = flags;
        x->srb.TimeOutValue = timeout;
        x->srb.DataBuffer = h->direction == MDLKIT_SCSI_NO_DATA ? NULL : h->data;
        x->srb.DataTransferLength = h->direction == MDLKIT_SCSI_NO_DATA ? 0 : h->data_length;
        x->srb.AddressOffset = (ULONG)offsetof(sp_srbex, addr);
        x->srb.NumSrbExData = 1;
        x->srb.SrbExDataOffset[0] = (ULONG)offsetof(sp_srbex, cdb);
        x->addr.Type = STOR_ADDRESS_TYPE_BTL8;
        x->addr.AddressLength = STOR_ADDR_BTL8_ADDRESS_LENGTH;
        x->addr.Path = h->path_id;
        x->addr.Target = h->target_id;
        x->addr.Lun = h->lun;
        x->cdb.Type = SrbExDataTypeScsiCdb16;
        x->cdb.Length = SRBEX_DATA_SCSI_CDB16_LENGTH;
        x->cdb.CdbLength = h->cdb_length;
        x->cdb.SenseInfoBuffer = r->sense;
        x->cdb.SenseInfoBufferLength = SP_SENSE_BYTES;
        memcpy(x->cdb.Cdb, h->cdb, sizeof x->cdb.Cdb);
        r->ex = 1;
    } else {
        PSCSI_REQUEST_BLOCK s = srb;
        s->Length = sizeof *s;
        s->Function = SRB_FUNCTION_EXECUTE_SCSI;
        s->PathId = h->path_id;
        s->TargetId = h->target_id;
        s->Lun = h->lun;
        s->CdbLength = h->cdb_length;
        s->SenseInfoBufferLength = SP_SENSE_BYTES;
        s->SenseInfoBuffer = r->sense;
        s->SrbFlags = flags;
        s->TimeOutValue = timeout;
        s->QueueTag = SP_UNTAGGED;
        s->QueueAction = SRB_SIMPLE_TAG_REQUEST;
        s->DataBuffer = h->direction == MDLKIT_SCSI_NO_DATA ? NULL : h->data;
        s->DataTransferLength = h->direction == MDLKIT_SCSI_NO_DATA ? 0 : h->data_length;
        memcpy(s->Cdb, h->cdb, sizeof s->Cdb);
    }
    return srb;
}

mdlkit_storport_io *mdlkit_storport_send(PVOID hw_device_extension, mdlkit_scsi_request *req, NTSTATUS *status)
{
    MK_ENTER("mdlkit_storport_send");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    NTSTATUS dummy;
    if (!status)
        status = &dummy;
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a || !req || req->cdb_length == 0 || req->cdb_length > 16 || req->direction < 0 || req->direction > 2 ||
        (req->direction != MDLKIT_SCSI_NO_DATA && (!req->data || !req->data_length))) {
        *status = STATUS_INVALID_PARAMETER;
        return NULL;
    }
    if (a->phase != MK_SP_PHASE_RUNNING || mk_irql() != PASSIVE_LEVEL) {
        *status = STATUS_INVALID_DEVICE_STATE;
        return NULL;
    }
    mk_sp_reap(a);
    /* The handle is made after the miniport has seen the request: a bug
     * check caught inside HwBuildIo/HwStartIo leaves nothing unowned (the
     * request is on the adapter's list). */
    mdlkit_storport_io *io = NULL;
    mk_sp_request *r = calloc(1, sizeof *r);
    if (!r) {
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    r->harness = req;
    req->srb_status = SRB_STATUS_PENDING;
    req->sense_length = 0;
    r->srb = sp_build_srb(a, r, req);
    if (!r->srb) {
        r->harness = NULL;
        sp_request_release(r);
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    NTSTATUS st = sp_issue(a, r);
    if (!NT_SUCCESS(st)) {
        r->harness = NULL;
        sp_request_release(r);
        *status = st;
        return NULL;
    }
    io = calloc(1, sizeof *io);
    pthread_mutex_lock(&a->lock);
    r->in_submit = 0;
    if (!io)
        r->harness = NULL; /* released when it completes */
    pthread_mutex_unlock(&a->lock);
    if (!io) {
        *status = STATUS_INSUFFICIENT_RESOURCES;
        return NULL;
    }
    io->a = a;
    io->r = r;
    *status = STATUS_PENDING;
    return io;
}

NTSTATUS mdlkit_storport_wait(mdlkit_storport_io *io, ULONG timeout_ms)
{
    MK_ENTER("mdlkit_storport_wait");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    if (!io)
        return STATUS_INVALID_PARAMETER;
    mk_sp_adapter *a = io->a;
    mk_sp_request *r = io->r;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        mk_sp_deliver(a);
        if (atomic_load(&r->completed))
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long long ms = (now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000LL;
        if (ms >= timeout_ms)
            return STATUS_TIMEOUT;
        sched_yield();
    }
    pthread_mutex_lock(&a->lock);
    for (mk_sp_request **pp = &a->requests; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    pthread_mutex_unlock(&a->lock);
    UCHAR status = r->final_status;
    r->harness = NULL;
    sp_request_release(r);
    free(io);
    return mk_sp_srb_to_status(status);
}

NTSTATUS mdlkit_storport_scsi(PVOID hw_device_extension, mdlkit_scsi_request *req)
{
    MK_ENTER("mdlkit_storport_scsi");
    NTSTATUS st;
    mdlkit_storport_io *io = mdlkit_storport_send(hw_device_extension, req, &st);
    if (!io)
        return st;
    return mdlkit_storport_wait(io, 10000);
}

NTSTATUS mdlkit_storport_enumerate_lun(PVOID hw_device_extension, UCHAR path_id, UCHAR target_id, UCHAR lun,
                                       mdlkit_storport_lun *out)
{
    MK_ENTER("mdlkit_storport_enumerate_lun");
    if (!out)
        return STATUS_INVALID_PARAMETER;
    memset(out, 0, sizeof *out);
    mdlkit_scsi_request r;
    UCHAR buf[32];
    memset(&r, 0, sizeof r);
    r.path_id = path_id;
    r.target_id = target_id;
    r.lun = lun;
    r.cdb[0] = SCSIOP_INQUIRY;
    r.cdb[4] = sizeof out->inquiry;
    r.cdb_length = 6;
    r.direction = MDLKIT_SCSI_DATA_IN;
    r.data = out->inquiry;
    r.data_length = sizeof out->inquiry;
    NTSTATUS st = mdlkit_storport_scsi(hw_device_extension, &r);
    if (!NT_SUCCESS(st))
        return st;
    memset(&r.cdb, 0, sizeof r.cdb);
    r.cdb[0] = SCSIOP_READ_CAPACITY;
    r.cdb_length = 10;
    r.data = buf;
    r.data_length = 8;
    st = mdlkit_storport_scsi(hw_device_extension, &r);
    if (!NT_SUCCESS(st))
        return st;
    ULONG last = ((ULONG)buf[0] << 24) | ((ULONG)buf[1] << 16) | ((ULONG)buf[2] << 8) | buf[3];
    out->block_size = ((ULONG)buf[4] << 24) | ((ULONG)buf[5] << 16) | ((ULONG)buf[6] << 8) | buf[7];
    out->last_lba = last;
    if (last == 0xFFFFFFFFu) {
        memset(&r.cdb, 0, sizeof r.cdb);
        r.cdb[0] = SCSIOP_READ_CAPACITY16;
        r.cdb[1] = SERVICE_ACTION_READ_CAPACITY16;
        r.cdb[13] = 32;
        r.cdb_length = 16;
        r.data_length = 32;
        st = mdlkit_storport_scsi(hw_device_extension, &r);
        if (!NT_SUCCESS(st))
            return st;
        out->last_lba = 0;
        for (int i = 0; i < 8; i++)
            out->last_lba = (out->last_lba << 8) | buf[i];
        out->block_size = ((ULONG)buf[8] << 24) | ((ULONG)buf[9] << 16) | ((ULONG)buf[10] << 8) | buf[11];
    }
    return STATUS_SUCCESS;
}

ULONG mdlkit_storport_poll(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_poll");
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    return a ? mk_sp_deliver(a) : 0;
}

ULONG mdlkit_storport_outstanding(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_outstanding");
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a)
        return 0;
    pthread_mutex_lock(&a->lock);
    ULONG n = a->outstanding;
    pthread_mutex_unlock(&a->lock);
    return n;
}

/* The checks the harness's adapter-wide requests share: a running adapter,
 * called at PASSIVE_LEVEL; completions already due are delivered first. */
static NTSTATUS sp_harness_adapter(PVOID hw_device_extension, mk_sp_adapter **out)
{
    mk_thread_attach();
    mk_sp_locks_reset_stale();
    mk_sp_adapter *a = mk_sp_find(hw_device_extension);
    if (!a)
        return STATUS_INVALID_PARAMETER;
    if (a->phase != MK_SP_PHASE_RUNNING || mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    mk_sp_deliver(a);
    *out = a;
    return STATUS_SUCCESS;
}

NTSTATUS mdlkit_storport_reset(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_reset");
    mk_sp_adapter *a;
    NTSTATUS st = sp_harness_adapter(hw_device_extension, &a);
    if (!NT_SUCCESS(st))
        return st;
    mk_sp_driver *s = a->spd;
    /* As documented for HwStorResetBus: at DISPATCH_LEVEL, holding the
     * StartIo lock (so no request reaches HwStartIo meanwhile). The
     * miniport may synchronise with its ISR from there
     * (StorPortSynchronizeAccess, InterruptLock, its MSI locks). */
    KIRQL old = mk_sp_raise(DISPATCH_LEVEL);
    mk_sp_startio_lock(a);
    mk_port_frame f;
    mk_port_call_miniport(&f, s->drv);
    BOOLEAN ok = s->hw.HwResetBus(a->ext, 0);
    mk_port_return_from_miniport(&f);
    mk_sp_startio_unlock(a);
    mk_sp_lower(old);
    mk_sp_check_no_locks(a, 0);
    mk_sp_deliver(a);
    /* What the miniport did not complete, the port completes with
     * SRB_STATUS_BUS_RESET (harness requests stay until waited for). */
    for (;;) {
        mk_sp_request *victim = NULL;
        pthread_mutex_lock(&a->lock);
        for (mk_sp_request *r = a->requests; r; r = r->next)
            if (!atomic_load(&r->completed)) {
                victim = r;
                break;
            }
        pthread_mutex_unlock(&a->lock);
        if (!victim)
            break;
        SrbSetSrbStatus(victim->srb, SRB_STATUS_BUS_RESET);
        mk_sp_request_complete(a, victim->srb);
    }
    return ok ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

NTSTATUS mdlkit_storport_remove_adapter(PVOID hw_device_extension)
{
    MK_ENTER("mdlkit_storport_remove_adapter");
    mk_sp_adapter *a;
    NTSTATUS st = sp_harness_adapter(hw_device_extension, &a);
    if (!NT_SUCCESS(st))
        return st;
    /* SRB_FUNCTION_PNP / StorRemoveDevice, adapter request, as SRB_EX or SRB. */
    union {
        struct {
            STORAGE_REQUEST_BLOCK srb;
            STOR_ADDR_BTL8 addr;
            SRBEX_DATA_PNP pnp;
        } ex;
        SCSI_PNP_REQUEST_BLOCK classic;
    } *u;
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    u = mk_ex_allocate(mk_sp_nonpaged_type(), sizeof *u, MK_SP_REQ_TAG, NormalPoolPriority, 1, NULL);
    mk_port_end();
    mk_driver_leave(old);
    if (u) {
        mk_sp_request *r = calloc(1, sizeof *r);
        if (r) {
            r->owned = 1;
            r->srb = u;
            if (a->config.SrbType == SRB_TYPE_STORAGE_REQUEST_BLOCK) {
                u->ex.srb.Length = sizeof(STORAGE_REQUEST_BLOCK_HEADER);
                u->ex.srb.Function = SRB_FUNCTION_STORAGE_REQUEST_BLOCK;
                u->ex.srb.Signature = SRB_SIGNATURE;
                u->ex.srb.Version = STORAGE_REQUEST_BLOCK_VERSION_1;
                u->ex.srb.SrbLength = sizeof u->ex;
                u->ex.srb.SrbFunction = SRB_FUNCTION_PNP;
                u->ex.srb.AddressOffset = (ULONG)offsetof(__typeof__(u->ex), addr);
                u->ex.srb.NumSrbExData = 1;
                u->ex.srb.SrbExDataOffset[0] = (ULONG)offsetof(__typeof__(u->ex), pnp);
                u->ex.addr.Type = STOR_ADDRESS_TYPE_BTL8;
                u->ex.addr.AddressLength = STOR_ADDR_BTL8_ADDRESS_LENGTH;
                u->ex.pnp.Type = SrbExDataTypePnP;
                u->ex.pnp.Length = SRBEX_DATA_PNP_LENGTH;
                u->ex.pnp.PnPAction = StorRemoveDevice;
                u->ex.pnp.SrbPnPFlags = SRB_PNP_FLAGS_ADAPTER_REQUEST;
                r->ex = 1;
            } else {
                u->classic.Length = sizeof u->classic;
                u->classic.Function = SRB_FUNCTION_PNP;
                u->classic.PnPAction = StorRemoveDevice;
                u->classic.SrbPnPFlags = SRB_PNP_FLAGS_ADAPTER_REQUEST;
            }
            if (NT_SUCCESS(sp_issue(a, r))) {
                pthread_mutex_lock(&a->lock);
                r->in_submit = 0;
                pthread_mutex_unlock(&a->lock);
                mk_sp_deliver(a);
            } else {
                sp_request_release(r);
            }
        } else {
            mk_ex_free(u, MK_SP_REQ_TAG, NULL);
        }
    }
    return mdlkit_storport_stop_adapter(hw_device_extension);
}

/* StorPortCompleteRequest: every outstanding request of the LUN (0xFF:
 * any) is completed with SrbStatus. */
void StorPortCompleteRequest(PVOID HwDeviceExtension, UCHAR PathId, UCHAR TargetId, UCHAR Lun, UCHAR SrbStatus)
{
    MK_ENTER("StorPortCompleteRequest");
    mk_sp_adapter *a = mk_sp_find_or_report(HwDeviceExtension, MK_SP_WHO_OTHER);
    for (;;) {
        mk_sp_request *victim = NULL;
        pthread_mutex_lock(&a->lock);
        for (mk_sp_request *r = a->requests; r; r = r->next) {
            if (atomic_load(&r->completed))
                continue;
            UCHAR p, t, l;
            mdlkit_srb_btl(r->srb, &p, &t, &l);
            if ((PathId == 0xFF || p == PathId) && (TargetId == 0xFF || t == TargetId) && (Lun == 0xFF || l == Lun)) {
                victim = r;
                break;
            }
        }
        pthread_mutex_unlock(&a->lock);
        if (!victim)
            return;
        SrbSetSrbStatus(victim->srb, SrbStatus);
        mk_sp_request_complete(a, victim->srb);
    }
}
