/*
 * datapath.c -- the send and receive paths between the harness (acting as
 * the protocol) and the miniport: mdlkit_ndis_build_nbl / _send /
 * _send_completed, NdisMSendNetBufferListsComplete,
 * NdisMIndicateReceiveNetBufferLists, mdlkit_ndis_receive / _release /
 * _return (MiniportReturnNetBufferLists).
 *
 * Ownership (docs/ndis.md): a sent NBL is the miniport's from
 * MiniportSendNetBufferLists until NdisMSendNetBufferListsComplete; an
 * indicated NBL is the protocol's until it is returned, except with
 * NDIS_RECEIVE_FLAGS_RESOURCES, when it is the miniport's again as soon as
 * the indication returns. The checks are the NDIS verifier's: completing an
 * NBL that is not pending at the miniport, returning one that was not
 * indicated (or twice), a *_DISPATCH_LEVEL flag at another IRQL, an
 * indication whose NumberOfNetBufferLists is not the chain's length, an
 * indication on an adapter that is not running.
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_mdl.h"
#include "mk_ndis.h"
#include "mk_pool.h"
#include "mk_port.h"
#include "mk_verifier.h"

#include <stdlib.h>
#include <string.h>

#define DP_TAG 'pDkM'
#define DP_MAX_FRAME 65536

struct mk_ndis_done {
    PNET_BUFFER_LIST nbl;
    NDIS_STATUS status;
    struct mk_ndis_done *next;
};

struct mk_ndis_rx_frame {
    mdlkit_ndis_frame f;
    struct mk_ndis_rx_frame *next;
};

/* The harness's own NBLs (host memory, data in non-paged pool). */
static int dp_harness_pool; /* its address marks a harness NBL (NdisPoolHandle) */

typedef struct dp_nbl {
    NET_BUFFER_LIST nbl;
    NET_BUFFER nb;
    void *data;
    ULONG length;
    struct dp_nbl *prev, *next; /* every harness NBL not freed yet */
} dp_nbl;

static pthread_mutex_t dp_lock = PTHREAD_MUTEX_INITIALIZER;
static dp_nbl *dp_all;

static void dp_link(dp_nbl *d)
{
    pthread_mutex_lock(&dp_lock);
    d->prev = NULL;
    d->next = dp_all;
    if (dp_all)
        dp_all->prev = d;
    dp_all = d;
    pthread_mutex_unlock(&dp_lock);
}

static void dp_unlink(dp_nbl *d)
{
    pthread_mutex_lock(&dp_lock);
    if (d->prev)
        d->prev->next = d->next;
    else if (dp_all == d)
        dp_all = d->next;
    if (d->next)
        d->next->prev = d->prev;
    d->prev = d->next = NULL;
    pthread_mutex_unlock(&dp_lock);
}

/* Machine shutdown: the harness NBLs the test did not free (after a caught
 * bug check, typically) go; their pool data and MDLs go with the machine. */
void mk_ndis_datapath_shutdown(void)
{
    pthread_mutex_lock(&dp_lock);
    dp_nbl *d = dp_all;
    dp_all = NULL;
    pthread_mutex_unlock(&dp_lock);
    while (d) {
        dp_nbl *n = d->next;
        free(d);
        d = n;
    }
}

static mk_ndis_adapter *dp_adapter(PVOID h)
{
    mk_thread_attach();
    return mk_ndis_adapter_from(h);
}

PNET_BUFFER_LIST mdlkit_ndis_build_nbl(PVOID miniport_adapter_handle, const void *data, ULONG length,
                                       ULONG mdl_chunk)
{
    MK_ENTER("mdlkit_ndis_build_nbl");
    (void)miniport_adapter_handle;
    mk_thread_attach();
    if (!data || !length || length > DP_MAX_FRAME)
        return NULL;
    dp_nbl *d = aligned_alloc(16, (sizeof(dp_nbl) + 15) & ~(size_t)15);
    if (!d)
        return NULL;
    memset(d, 0, sizeof *d);
    mk_driver *old = mk_driver_enter(NULL);
    mk_port_begin();
    d->data = mk_ex_allocate(NonPagedPool, length, DP_TAG, NormalPoolPriority, 0, __builtin_return_address(0));
    mk_port_end();
    if (!d->data) {
        mk_driver_leave(old);
        free(d);
        return NULL;
    }
    dp_link(d);
    memcpy(d->data, data, length);
    d->length = length;
    if (!mdl_chunk || mdl_chunk > length)
        mdl_chunk = length;
    PMDL *tail = &d->nb.MdlChain;
    for (ULONG at = 0; at < length; at += mdl_chunk) {
        ULONG n = length - at < mdl_chunk ? length - at : mdl_chunk;
        mk_port_begin();
        PMDL m = mk_mdl_allocate((PUCHAR)d->data + at, n);
        if (m)
            mk_mdl_build_nonpaged(m);
        mk_port_end();
        if (!m) {
            mk_driver_leave(old);
            mdlkit_ndis_free_nbl(&d->nbl);
            return NULL;
        }
        *tail = m;
        tail = &m->Next;
    }
    mk_driver_leave(old);
    d->nb.CurrentMdl = d->nb.MdlChain;
    d->nb.stDataLength = length;
    d->nb.NdisPoolHandle = &dp_harness_pool;
    d->nbl.FirstNetBuffer = &d->nb;
    d->nbl.NdisPoolHandle = &dp_harness_pool;
    return &d->nbl;
}

void mdlkit_ndis_free_nbl(PNET_BUFFER_LIST nbl)
{
    MK_ENTER("mdlkit_ndis_free_nbl");
    mk_thread_attach();
    if (!nbl)
        return;
    if (nbl->NdisPoolHandle != &dp_harness_pool)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_ndis_free_nbl: not an NBL from mdlkit_ndis_build_nbl",
                     (ULONG_PTR)nbl, 0);
    if (MK_NBL_STATE(nbl) == MK_NBL_AT_MINIPORT)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE,
                     "mdlkit_ndis_free_nbl: the NBL is still pending at the miniport (wait for its completion)",
                     (ULONG_PTR)nbl, 0);
    dp_nbl *d = (dp_nbl *)nbl;
    mk_driver *old = mk_driver_enter(NULL);
    for (PMDL m = d->nb.MdlChain, n; m; m = n) {
        n = m->Next;
        mk_port_begin();
        mk_mdl_free(m);
        mk_port_end();
    }
    if (d->data) {
        mk_port_begin();
        mk_ex_free(d->data, DP_TAG, __builtin_return_address(0));
        mk_port_end();
    }
    mk_driver_leave(old);
    nbl->NdisPoolHandle = NULL;
    dp_unlink(d);
    free(d);
}

/* ------------------------------------------------------------------------
 * Sending
 * ---------------------------------------------------------------------- */
NTSTATUS mdlkit_ndis_send(PVOID miniport_adapter_handle, PNET_BUFFER_LIST chain, ULONG send_flags)
{
    MK_ENTER("mdlkit_ndis_send");
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad || !chain)
        return STATUS_INVALID_PARAMETER;
    if (!ad->nd->data_path)
        return STATUS_NOT_SUPPORTED;
    if (mk_irql() != PASSIVE_LEVEL)
        return STATUS_INVALID_DEVICE_STATE;
    pthread_mutex_lock(&ad->lock);
    if (ad->state != MK_NDIS_RUNNING) {
        pthread_mutex_unlock(&ad->lock);
        return STATUS_INVALID_DEVICE_STATE; /* NDIS sends nothing to a paused adapter */
    }
    for (PNET_BUFFER_LIST n = chain; n; n = n->Next) {
        if (MK_NBL_STATE(n) == MK_NBL_AT_MINIPORT || MK_NBL_STATE(n) == MK_NBL_AT_PROTOCOL) {
            pthread_mutex_unlock(&ad->lock);
            mk_violation(MDLKIT_RULE_HARNESS_MISUSE,
                         "mdlkit_ndis_send: an NBL of the chain is already pending at a miniport",
                         (ULONG_PTR)n, (ULONG_PTR)ad);
        }
        MK_NBL_STATE(n) = MK_NBL_AT_MINIPORT;
        n->NdisReserved[1] = ad;
        n->SourceHandle = ad;
        n->Status = NDIS_STATUS_SUCCESS;
        ad->sends_pending++;
    }
    pthread_mutex_unlock(&ad->lock);
    KIRQL old = PASSIVE_LEVEL;
    int raise = (send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL) != 0;
    if (raise)
        KeRaiseIrql(DISPATCH_LEVEL, &old);
    MK_NDIS_CALL(ad, ad->nd->ch.SendNetBufferListsHandler(ad->ctx, chain, NDIS_DEFAULT_PORT_NUMBER, send_flags));
    if (raise)
        KeLowerIrql(old);
    return STATUS_SUCCESS;
}

/* A *_DISPATCH_LEVEL flag says the caller is at DISPATCH_LEVEL: NDIS then
 * calls the protocol without raising. A DDI compliance rule (checked under
 * DDI compliance checking, as the project checks the static rules). */
static void dp_flag_irql(ULONG flags, ULONG dispatch_flag, const char *why)
{
    if (MK_UNLIKELY(flags & dispatch_flag) && mk_irql() != DISPATCH_LEVEL &&
        mk_verifier_on(MDLKIT_VERIFY_DDI_COMPLIANCE))
        mk_violation(MDLKIT_RULE_NDIS_DISPATCH_FLAG, why, mk_irql(), flags);
}

void NdisMSendNetBufferListsComplete(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferLists,
                                     ULONG SendCompleteFlags)
{
    MK_ENTER("NdisMSendNetBufferListsComplete");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisMSendNetBufferListsComplete must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    dp_flag_irql(SendCompleteFlags, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL,
                 "NdisMSendNetBufferListsComplete: NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL set while the IRQL is not "
                 "DISPATCH_LEVEL");
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMSendNetBufferListsComplete: not a miniport adapter handle");
    if (!NetBufferLists)
        mk_violation(MDLKIT_RULE_NDIS_NBL_DOUBLE_COMPLETE, "NdisMSendNetBufferListsComplete was given no NBL", 0,
                     (ULONG_PTR)ad);
    /* Check the whole chain before taking any of it. */
    for (PNET_BUFFER_LIST n = NetBufferLists; n; n = n->Next)
        if (MK_NBL_STATE(n) != MK_NBL_AT_MINIPORT || n->NdisReserved[1] != ad)
            mk_violation(MDLKIT_RULE_NDIS_NBL_DOUBLE_COMPLETE,
                         "NdisMSendNetBufferListsComplete: an NBL of the chain is not pending at this miniport (it "
                         "was completed already, never sent to it, or belongs to another adapter)",
                         (ULONG_PTR)n, (ULONG_PTR)ad);
    pthread_mutex_lock(&ad->lock);
    for (PNET_BUFFER_LIST n = NetBufferLists, next; n; n = next) {
        next = n->Next;
        n->Next = NULL;
        MK_NBL_STATE(n) = NULL;
        n->NdisReserved[1] = NULL;
        ad->sends_pending--;
        mk_ndis_done *d = malloc(sizeof *d);
        if (!d)
            continue; /* the completion is lost to the harness (host memory exhausted) */
        d->nbl = n;
        d->status = n->Status;
        d->next = NULL;
        if (ad->done_tail)
            ad->done_tail->next = d;
        else
            ad->done_head = d;
        ad->done_tail = d;
    }
    pthread_cond_broadcast(&ad->cv);
    pthread_mutex_unlock(&ad->lock);
}

PNET_BUFFER_LIST mdlkit_ndis_send_completed(PVOID miniport_adapter_handle, ULONG timeout_ms, NDIS_STATUS *status)
{
    MK_ENTER("mdlkit_ndis_send_completed");
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return NULL;
    ULONG64 deadline = mk_ndis_deadline(timeout_ms);
    pthread_mutex_lock(&ad->lock);
    while (!ad->done_head)
        if (!mk_ndis_timed_wait(ad, deadline) && !ad->done_head) {
            pthread_mutex_unlock(&ad->lock);
            return NULL;
        }
    mk_ndis_done *d = ad->done_head;
    ad->done_head = d->next;
    if (!ad->done_head)
        ad->done_tail = NULL;
    pthread_mutex_unlock(&ad->lock);
    PNET_BUFFER_LIST nbl = d->nbl;
    if (status)
        *status = d->status;
    free(d);
    return nbl;
}

LONG mdlkit_ndis_sends_pending(PVOID miniport_adapter_handle)
{
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return 0;
    pthread_mutex_lock(&ad->lock);
    LONG n = ad->sends_pending;
    pthread_mutex_unlock(&ad->lock);
    return n;
}

/* ------------------------------------------------------------------------
 * Receiving
 * ---------------------------------------------------------------------- */
static void dp_return(mk_ndis_adapter *ad, PNET_BUFFER_LIST chain)
{
    ULONG flags = mk_irql() == DISPATCH_LEVEL ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0;
    MK_NDIS_CALL(ad, ad->nd->ch.ReturnNetBufferListsHandler(ad->ctx, chain, flags));
}

void NdisMIndicateReceiveNetBufferLists(NDIS_HANDLE MiniportAdapterHandle, PNET_BUFFER_LIST NetBufferLists,
                                        NDIS_PORT_NUMBER PortNumber, ULONG NumberOfNetBufferLists,
                                        ULONG ReceiveFlags)
{
    MK_ENTER("NdisMIndicateReceiveNetBufferLists");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_NETBUFFER_FUNCTION,
                     "NdisMIndicateReceiveNetBufferLists must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    dp_flag_irql(ReceiveFlags, NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL,
                 "NdisMIndicateReceiveNetBufferLists: NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL set while the IRQL is not "
                 "DISPATCH_LEVEL");
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMIndicateReceiveNetBufferLists: not a miniport adapter handle");
    int state = ad->state;
    if (state != MK_NDIS_RUNNING && state != MK_NDIS_PAUSING)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisMIndicateReceiveNetBufferLists: the adapter is not running (a miniport indicates nothing "
                     "once its pause completed, before its restart, or while it halts)",
                     (ULONG_PTR)ad, (ULONG_PTR)state);
    ULONG count = 0;
    for (PNET_BUFFER_LIST n = NetBufferLists; n; n = n->Next) {
        count++;
        if (MK_NBL_STATE(n) == MK_NBL_AT_PROTOCOL || MK_NBL_STATE(n) == MK_NBL_AT_MINIPORT)
            mk_violation(MDLKIT_RULE_NDIS_NBL_DOUBLE_RETURN,
                         "NdisMIndicateReceiveNetBufferLists: an NBL of the chain is still the protocol's (indicated "
                         "before and not returned, or a sent NBL not completed)",
                         (ULONG_PTR)n, (ULONG_PTR)ad);
        if (!n->FirstNetBuffer)
            mk_violation(MDLKIT_RULE_NDIS_STATE,
                         "NdisMIndicateReceiveNetBufferLists: an NBL of the chain has no NET_BUFFER", (ULONG_PTR)n,
                         (ULONG_PTR)ad);
    }
    if (!NetBufferLists || count != NumberOfNetBufferLists)
        mk_violation(MDLKIT_RULE_NDIS_INDICATE_COUNT,
                     "NdisMIndicateReceiveNetBufferLists: NumberOfNetBufferLists is not the number of NBLs in the "
                     "chain",
                     count, NumberOfNetBufferLists);
    int keep = ad->rx_mode == MDLKIT_NDIS_RX_KEEP && !(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES);
    PNET_BUFFER_LIST ret = NULL, *rtail = &ret;
    mk_ndis_rx_frame *first = NULL, **ftail = &first, *last = NULL;
    ULONG frames = 0, kept = 0;
    for (PNET_BUFFER_LIST n = NetBufferLists, next; n; n = next) {
        next = n->Next;
        PNET_BUFFER nb = n->FirstNetBuffer;
        ULONG len = nb->DataLength < DP_MAX_FRAME ? nb->DataLength : DP_MAX_FRAME;
        mk_ndis_rx_frame *f = malloc(sizeof *f + len);
        if (f) {
            memset(f, 0, sizeof *f);
            f->f.data = (UCHAR *)(f + 1);
            f->f.length = mk_ndis_nb_copy_out(nb, f->f.data, len);
            f->f.receive_flags = ReceiveFlags;
            f->f.port = PortNumber;
            *ftail = f;
            ftail = &f->next;
            last = f;
            frames++;
        }
        if (keep && f) {
            n->Next = NULL;
            MK_NBL_STATE(n) = MK_NBL_AT_PROTOCOL;
            n->NdisReserved[1] = ad;
            f->f.nbl = n;
            kept++;
        } else if (!(ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES)) {
            n->Next = NULL;
            *rtail = n;
            rtail = &n->Next;
        }
    }
    if (ReceiveFlags & NDIS_RECEIVE_FLAGS_RESOURCES) {
        /* The chain is the miniport's again when this returns: leave it as
         * it was given. */
    }
    pthread_mutex_lock(&ad->lock);
    if (first) {
        if (ad->rx_tail)
            ad->rx_tail->next = first;
        else
            ad->rx_head = first;
        ad->rx_tail = last;
    }
    ad->rx_frames += frames;
    ad->rx_pending += (LONG)kept;
    pthread_cond_broadcast(&ad->cv);
    pthread_mutex_unlock(&ad->lock);
    /* The protocol returns what it does not keep from within its receive
     * handler (NdisReturnNetBufferLists may be called there). */
    if (ret)
        dp_return(ad, ret);
}

void mdlkit_ndis_set_receive_mode(PVOID miniport_adapter_handle, int mode)
{
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return;
    pthread_mutex_lock(&ad->lock);
    ad->rx_mode = mode == MDLKIT_NDIS_RX_KEEP ? MDLKIT_NDIS_RX_KEEP : MDLKIT_NDIS_RX_RETURN_AT_ONCE;
    pthread_mutex_unlock(&ad->lock);
}

mdlkit_ndis_frame *mdlkit_ndis_receive(PVOID miniport_adapter_handle, ULONG timeout_ms)
{
    MK_ENTER("mdlkit_ndis_receive");
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return NULL;
    ULONG64 deadline = mk_ndis_deadline(timeout_ms);
    pthread_mutex_lock(&ad->lock);
    while (!ad->rx_head)
        if (!mk_ndis_timed_wait(ad, deadline) && !ad->rx_head) {
            pthread_mutex_unlock(&ad->lock);
            return NULL;
        }
    mk_ndis_rx_frame *f = ad->rx_head;
    ad->rx_head = f->next;
    if (!ad->rx_head)
        ad->rx_tail = NULL;
    pthread_mutex_unlock(&ad->lock);
    return &f->f;
}

void mdlkit_ndis_frame_free(mdlkit_ndis_frame *frame)
{
    if (frame && mk_va_region(frame) != MK_RGN_FOREIGN) /* the harness's objects are host memory */
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_ndis_frame_free: not an object of the harness",
                     (ULONG_PTR)frame, 0);
    free(frame); /* f is the first member of mk_ndis_rx_frame */
}

void mdlkit_ndis_return(PVOID miniport_adapter_handle, PNET_BUFFER_LIST nbls)
{
    MK_ENTER("mdlkit_ndis_return");
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_ndis_return: not a started adapter",
                     (ULONG_PTR)miniport_adapter_handle, 0);
    if (!nbls)
        return;
    ULONG n = 0;
    for (PNET_BUFFER_LIST b = nbls; b; b = b->Next, n++)
        if (MK_NBL_STATE(b) != MK_NBL_AT_PROTOCOL || b->NdisReserved[1] != ad)
            mk_violation(MDLKIT_RULE_NDIS_NBL_DOUBLE_RETURN,
                         "An NBL returned to the miniport was not indicated by it, or was returned already",
                         (ULONG_PTR)b, (ULONG_PTR)ad);
    for (PNET_BUFFER_LIST b = nbls; b; b = b->Next) {
        MK_NBL_STATE(b) = NULL;
        b->NdisReserved[1] = NULL;
    }
    pthread_mutex_lock(&ad->lock);
    ad->rx_pending -= (LONG)n;
    pthread_mutex_unlock(&ad->lock);
    dp_return(ad, nbls);
}

void mdlkit_ndis_release(PVOID miniport_adapter_handle, mdlkit_ndis_frame *frame)
{
    if (!frame)
        return;
    if (mk_va_region(frame) != MK_RGN_FOREIGN) /* the harness's objects are host memory */
        mk_violation(MDLKIT_RULE_HARNESS_MISUSE, "mdlkit_ndis_release: not an object of the harness", (ULONG_PTR)frame, 0);
    if (frame->nbl) {
        PNET_BUFFER_LIST nbl = frame->nbl;
        frame->nbl = NULL;
        mdlkit_ndis_return(miniport_adapter_handle, nbl);
    }
    mdlkit_ndis_frame_free(frame);
}

ULONG64 mdlkit_ndis_frames_indicated(PVOID miniport_adapter_handle)
{
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return 0;
    pthread_mutex_lock(&ad->lock);
    ULONG64 n = ad->rx_frames;
    pthread_mutex_unlock(&ad->lock);
    return n;
}

LONG mdlkit_ndis_receives_pending(PVOID miniport_adapter_handle)
{
    mk_ndis_adapter *ad = dp_adapter(miniport_adapter_handle);
    if (!ad)
        return 0;
    pthread_mutex_lock(&ad->lock);
    LONG n = ad->rx_pending;
    pthread_mutex_unlock(&ad->lock);
    return n;
}

/* The harness's queues go with the adapter (frames the test did not take
 * are dropped; kept NBLs were checked at halt). */
void mk_ndis_datapath_drop(mk_ndis_adapter *ad)
{
    pthread_mutex_lock(&ad->lock);
    mk_ndis_done *d = ad->done_head;
    mk_ndis_rx_frame *f = ad->rx_head;
    mk_ndis_status_rec *s = ad->st_head;
    ad->done_head = ad->done_tail = NULL;
    ad->rx_head = ad->rx_tail = NULL;
    ad->st_head = ad->st_tail = NULL;
    pthread_mutex_unlock(&ad->lock);
    while (d) {
        mk_ndis_done *n = d->next;
        free(d);
        d = n;
    }
    while (f) {
        mk_ndis_rx_frame *n = f->next;
        free(f);
        f = n;
    }
    mk_ndis_status_drop(s);
}
