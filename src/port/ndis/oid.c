/*
 * oid.c -- OID requests and status indications: mdlkit_ndis_oid (the
 * protocol's NdisOidRequest: MiniportOidRequest at PASSIVE_LEVEL, one
 * request at a time per adapter as NDIS serialises them),
 * NdisMOidRequestComplete, NdisMDirectOidRequestComplete,
 * NdisMIndicateStatusEx and mdlkit_ndis_next_status, and the names of OIDs
 * and NDIS_STATUS codes (from the X-macro tables in <ndis.h>).
 */
#include "mk_base.h"
#include "mk_driver.h"
#include "mk_ndis.h"
#include "mk_port.h"

#include <stdlib.h>
#include <string.h>

struct mk_ndis_status_rec {
    NDIS_STATUS code;
    ULONG length;
    struct mk_ndis_status_rec *next;
    UCHAR data[];
};

#define OID_NAME_(name, value) {(NDIS_OID)(value), #name},
static const struct {
    NDIS_OID oid;
    const char *name;
} oid_names[] = {MDLKIT_NDIS_OIDS(OID_NAME_)};
#undef OID_NAME_

#define ST_NAME_(name, value) {(NDIS_STATUS)(value), #name},
static const struct {
    NDIS_STATUS status;
    const char *name;
} status_names[] = {MDLKIT_NDIS_STATUS_CODES(ST_NAME_)};
#undef ST_NAME_

const char *mdlkit_ndis_oid_name(NDIS_OID oid)
{
    for (size_t i = 0; i < sizeof oid_names / sizeof oid_names[0]; i++)
        if (oid_names[i].oid == oid)
            return oid_names[i].name;
    return NULL;
}

const char *mdlkit_ndis_status_name(NDIS_STATUS status)
{
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (status_names[i].status == status)
            return status_names[i].name;
    return NULL;
}

/* The general OID queries NDIS answers itself for an NDIS 6 miniport,
 * from the general attributes and the sets that succeeded (the miniport
 * never sees them). 0 if `oid` is not one of them. */
static int oid_ndis_answers(mk_ndis_adapter *ad, NDIS_OID oid, void *buffer, ULONG length, NDIS_STATUS *st,
                            mdlkit_ndis_oid_result *res)
{
    ULONG u = 0;
    const void *src = &u;
    ULONG n = sizeof(ULONG);
    NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *g = &ad->gen;
    if (!ad->general)
        return 0;
    switch (oid) {
    case OID_GEN_CURRENT_PACKET_FILTER: u = ad->packet_filter; break;
    case OID_GEN_CURRENT_LOOKAHEAD: u = ad->lookahead ? ad->lookahead : g->LookaheadSize; break;
    case OID_GEN_MAXIMUM_LOOKAHEAD: u = g->LookaheadSize; break;
    case OID_GEN_MEDIA_SUPPORTED:
    case OID_GEN_MEDIA_IN_USE: u = (ULONG)g->MediaType; break;
    case OID_GEN_PHYSICAL_MEDIUM: u = (ULONG)g->PhysicalMediumType; break;
    case OID_GEN_MAXIMUM_FRAME_SIZE: u = g->MtuSize; break;
    case OID_GEN_MAC_OPTIONS: u = g->MacOptions; break;
    case OID_802_3_MAXIMUM_LIST_SIZE: u = g->MaxMulticastListSize; break;
    case OID_802_3_MULTICAST_LIST:
        src = ad->mcast;
        n = ad->mcast_len;
        break;
    default:
        return 0;
    }
    if (length < n) {
        res->bytes_needed = n;
        *st = NDIS_STATUS_BUFFER_TOO_SHORT;
        return 1;
    }
    if (n)
        memcpy(buffer, src, n);
    res->bytes_written = n;
    *st = NDIS_STATUS_SUCCESS;
    return 1;
}

/* What a successful set changed that NDIS answers queries for. */
static void oid_note_set(mk_ndis_adapter *ad, NDIS_OID oid, const void *buffer, ULONG length)
{
    if (oid == OID_GEN_CURRENT_PACKET_FILTER && length >= sizeof(ULONG))
        memcpy(&ad->packet_filter, buffer, sizeof(ULONG));
    else if (oid == OID_GEN_CURRENT_LOOKAHEAD && length >= sizeof(ULONG))
        memcpy(&ad->lookahead, buffer, sizeof(ULONG));
    else if (oid == OID_802_3_MULTICAST_LIST && length <= sizeof ad->mcast) {
        memcpy(ad->mcast, buffer, length);
        ad->mcast_len = length;
    }
}

NDIS_STATUS mdlkit_ndis_oid(PVOID miniport_adapter_handle, int request_type, NDIS_OID oid, void *buffer,
                            ULONG length, ULONG in_length, ULONG timeout_ms, mdlkit_ndis_oid_result *result)
{
    MK_ENTER("mdlkit_ndis_oid");
    mk_thread_attach();
    if (result)
        memset(result, 0, sizeof *result);
    mk_ndis_adapter *ad = mk_ndis_adapter_from(miniport_adapter_handle);
    if (!ad || (length && !buffer))
        return NDIS_STATUS_INVALID_PARAMETER;
    if (!ad->nd->data_path)
        return NDIS_STATUS_NOT_SUPPORTED;
    if (mk_irql() != PASSIVE_LEVEL || (ad->state != MK_NDIS_RUNNING && ad->state != MK_NDIS_PAUSED))
        return NDIS_STATUS_ADAPTER_NOT_READY;
    if (request_type != NdisRequestQueryInformation && request_type != NdisRequestSetInformation &&
        request_type != NdisRequestQueryStatistics && request_type != NdisRequestMethod)
        return NDIS_STATUS_INVALID_PARAMETER;
    pthread_mutex_lock(&ad->oid_serial);
    mdlkit_ndis_oid_result scratch;
    memset(&scratch, 0, sizeof scratch);
    NDIS_STATUS answered;
    if ((request_type == NdisRequestQueryInformation || request_type == NdisRequestQueryStatistics) &&
        oid_ndis_answers(ad, oid, buffer, length, &answered, result ? result : &scratch)) {
        pthread_mutex_unlock(&ad->oid_serial);
        return answered;
    }
    PNDIS_OID_REQUEST r = calloc(1, sizeof *r);
    if (!r) {
        pthread_mutex_unlock(&ad->oid_serial);
        return NDIS_STATUS_RESOURCES;
    }
    r->Header.Type = NDIS_OBJECT_TYPE_OID_REQUEST;
    r->Header.Revision = NDIS_OID_REQUEST_REVISION_1;
    r->Header.Size = NDIS_SIZEOF_OID_REQUEST_REVISION_1;
    r->RequestType = (NDIS_REQUEST_TYPE)request_type;
    r->PortNumber = NDIS_DEFAULT_PORT_NUMBER;
    r->RequestId = r;
    r->RequestHandle = ad;
    switch (request_type) {
    case NdisRequestSetInformation:
        r->DATA.SET_INFORMATION.Oid = oid;
        r->DATA.SET_INFORMATION.InformationBuffer = buffer;
        r->DATA.SET_INFORMATION.InformationBufferLength = length;
        break;
    case NdisRequestMethod:
        r->DATA.METHOD_INFORMATION.Oid = oid;
        r->DATA.METHOD_INFORMATION.InformationBuffer = buffer;
        r->DATA.METHOD_INFORMATION.InputBufferLength = in_length;
        r->DATA.METHOD_INFORMATION.OutputBufferLength = length;
        break;
    default:
        r->DATA.QUERY_INFORMATION.Oid = oid;
        r->DATA.QUERY_INFORMATION.InformationBuffer = buffer;
        r->DATA.QUERY_INFORMATION.InformationBufferLength = length;
        break;
    }
    pthread_mutex_lock(&ad->lock);
    ad->oid_pending = r;
    ad->oid_done = 0;
    pthread_mutex_unlock(&ad->lock);
    NDIS_STATUS st;
    MK_NDIS_CALL(ad, st = ad->nd->ch.OidRequestHandler(ad->ctx, r));
    pthread_mutex_lock(&ad->lock);
    if (st == NDIS_STATUS_PENDING) {
        if (!mk_ndis_wait(ad, &ad->oid_done, timeout_ms)) {
            /* Too slow: NDIS cancels the request and waits for it to
             * complete with NDIS_STATUS_REQUEST_ABORTED. */
            pthread_mutex_unlock(&ad->lock);
            MK_NDIS_CALL(ad, ad->nd->ch.CancelOidRequestHandler(ad->ctx, r));
            pthread_mutex_lock(&ad->lock);
            mk_ndis_wait(ad, &ad->oid_done, timeout_ms);
            if (!ad->oid_done) {
                /* Never completed: the request stays the miniport's. */
                ad->oid_pending = NULL;
                pthread_mutex_unlock(&ad->lock);
                pthread_mutex_unlock(&ad->oid_serial);
                return NDIS_STATUS_REQUEST_ABORTED;
            }
        }
        st = ad->oid_status;
    }
    ad->oid_pending = NULL;
    pthread_mutex_unlock(&ad->lock);
    if (st == NDIS_STATUS_SUCCESS && request_type == NdisRequestSetInformation)
        oid_note_set(ad, oid, buffer, r->DATA.SET_INFORMATION.BytesRead ? r->DATA.SET_INFORMATION.BytesRead : length);
    if (result) {
        switch (request_type) {
        case NdisRequestSetInformation:
            result->bytes_read = r->DATA.SET_INFORMATION.BytesRead;
            result->bytes_needed = r->DATA.SET_INFORMATION.BytesNeeded;
            break;
        case NdisRequestMethod:
            result->bytes_written = r->DATA.METHOD_INFORMATION.BytesWritten;
            result->bytes_read = r->DATA.METHOD_INFORMATION.BytesRead;
            result->bytes_needed = r->DATA.METHOD_INFORMATION.BytesNeeded;
            break;
        default:
            result->bytes_written = r->DATA.QUERY_INFORMATION.BytesWritten;
            result->bytes_needed = r->DATA.QUERY_INFORMATION.BytesNeeded;
            break;
        }
    }
    free(r);
    pthread_mutex_unlock(&ad->oid_serial);
    return st;
}

static void oid_complete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status,
                         const char *routine)
{
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION, routine, mk_irql(), (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMOidRequestComplete: not a miniport adapter handle");
    pthread_mutex_lock(&ad->lock);
    int ok = OidRequest && ad->oid_pending == OidRequest && !ad->oid_done;
    if (ok) {
        ad->oid_status = Status;
        ad->oid_done = 1;
        pthread_cond_broadcast(&ad->cv);
    }
    pthread_mutex_unlock(&ad->lock);
    if (!ok)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisMOidRequestComplete: the request is not pending at this miniport (MiniportOidRequest did "
                     "not return NDIS_STATUS_PENDING for it, or it was completed already)",
                     (ULONG_PTR)OidRequest, (ULONG_PTR)ad);
}

void NdisMOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status)
{
    MK_ENTER("NdisMOidRequestComplete");
    oid_complete(MiniportAdapterHandle, OidRequest, Status,
                 "NdisMOidRequestComplete must be called at IRQL <= DISPATCH_LEVEL");
}

void NdisMDirectOidRequestComplete(NDIS_HANDLE MiniportAdapterHandle, PNDIS_OID_REQUEST OidRequest,
                                   NDIS_STATUS Status)
{
    MK_ENTER("NdisMDirectOidRequestComplete");
    /* mdlkit issues no direct OID requests: none can be pending. */
    oid_complete(MiniportAdapterHandle, OidRequest, Status,
                 "NdisMDirectOidRequestComplete must be called at IRQL <= DISPATCH_LEVEL");
}

/* ------------------------------------------------------------------------
 * Status indications
 * ---------------------------------------------------------------------- */
void NdisMIndicateStatusEx(NDIS_HANDLE MiniportAdapterHandle, PNDIS_STATUS_INDICATION StatusIndication)
{
    MK_ENTER("NdisMIndicateStatusEx");
    if (mk_irql() > DISPATCH_LEVEL)
        mk_violation(MDLKIT_RULE_IRQL_MINIPORT_DRIVER_FUNCTION,
                     "NdisMIndicateStatusEx must be called at IRQL <= DISPATCH_LEVEL", mk_irql(),
                     (ULONG_PTR)MiniportAdapterHandle);
    mk_ndis_adapter *ad = mk_ndis_lookup_or_report(MiniportAdapterHandle, MK_NDIS_ADAPTER,
                                                   "NdisMIndicateStatusEx: not a miniport adapter handle");
    PNDIS_STATUS_INDICATION s = StatusIndication;
    if (!s || s->Header.Type != NDIS_OBJECT_TYPE_STATUS_INDICATION ||
        s->Header.Revision < NDIS_STATUS_INDICATION_REVISION_1 || s->Header.Size < NDIS_SIZEOF_STATUS_INDICATION_REVISION_1)
        mk_violation(MDLKIT_RULE_NDIS_OBJECT_HEADER,
                     "NdisMIndicateStatusEx: the NDIS_STATUS_INDICATION header is not "
                     "NDIS_OBJECT_TYPE_STATUS_INDICATION, revision 1, of at least NDIS_SIZEOF_STATUS_INDICATION_"
                     "REVISION_1 bytes",
                     (ULONG_PTR)s, s ? ((ULONG_PTR)s->Header.Type << 24) | ((ULONG_PTR)s->Header.Revision << 16) |
                                           s->Header.Size
                                     : 0);
    /* SourceHandle "should be" the adapter handle; NULL is taken as it (Microsoft's own netvmini leaves
     * it NULL in qos.c), another handle is reported. */
    if (s->SourceHandle && s->SourceHandle != MiniportAdapterHandle)
        mk_violation(MDLKIT_RULE_NDIS_STATE,
                     "NdisMIndicateStatusEx: SourceHandle must be the miniport adapter handle", (ULONG_PTR)s,
                     (ULONG_PTR)s->SourceHandle);
    if (s->StatusBufferSize && !s->StatusBuffer)
        mk_violation(MDLKIT_RULE_NDIS_STATE, "NdisMIndicateStatusEx: StatusBufferSize without a StatusBuffer",
                     (ULONG_PTR)s, s->StatusBufferSize);
    ULONG len = s->StatusBufferSize;
    mk_ndis_status_rec *r = malloc(sizeof *r + len);
    if (!r)
        return;
    r->code = s->StatusCode;
    r->length = len;
    r->next = NULL;
    if (len)
        memcpy(r->data, s->StatusBuffer, len);
    pthread_mutex_lock(&ad->lock);
    if (ad->st_tail)
        ad->st_tail->next = r;
    else
        ad->st_head = r;
    ad->st_tail = r;
    pthread_cond_broadcast(&ad->cv);
    pthread_mutex_unlock(&ad->lock);
}

NDIS_STATUS mdlkit_ndis_next_status(PVOID miniport_adapter_handle, ULONG timeout_ms, void *buffer,
                                    ULONG buffer_length, ULONG *length)
{
    MK_ENTER("mdlkit_ndis_next_status");
    mk_thread_attach();
    if (length)
        *length = 0;
    mk_ndis_adapter *ad = mk_ndis_adapter_from(miniport_adapter_handle);
    if (!ad)
        return 0;
    ULONG64 deadline = mk_ndis_deadline(timeout_ms);
    pthread_mutex_lock(&ad->lock);
    while (!ad->st_head)
        if (!mk_ndis_timed_wait(ad, deadline) && !ad->st_head) {
            pthread_mutex_unlock(&ad->lock);
            return 0;
        }
    mk_ndis_status_rec *r = ad->st_head;
    ad->st_head = r->next;
    if (!ad->st_head)
        ad->st_tail = NULL;
    pthread_mutex_unlock(&ad->lock);
    if (buffer && buffer_length)
        memcpy(buffer, r->data, r->length < buffer_length ? r->length : buffer_length);
    if (length)
        *length = r->length;
    NDIS_STATUS code = r->code;
    free(r);
    return code;
}

void mk_ndis_status_drop(mk_ndis_status_rec *s)
{
    while (s) {
        mk_ndis_status_rec *n = s->next;
        free(s);
        s = n;
    }
}
