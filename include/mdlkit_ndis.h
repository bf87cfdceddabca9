/*
 * mdlkit_ndis.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: acting as the protocol above an NDIS 6 miniport: start adapters
 * with configuration values, pause/restart/halt them, send chains of
 * NET_BUFFER_LISTs and collect their completions, receive what the miniport
 * indicates (and return it at once or later), issue OID requests, collect
 * status indications. The contract (NBL ownership, IRQL of the calls into
 * the miniport, blocking) is in docs/ndis.md.
 *
 * Every call here is made at PASSIVE_LEVEL from a thread of the test; the
 * waits are bounded by the timeout the caller gives (milliseconds).
 */
#ifndef MDLKIT_HARNESS_NDIS_H
#define MDLKIT_HARNESS_NDIS_H

#include <ndis.h>

/* mdlkit's own rule IDs for the NDIS checks (0xC4, P1 = rule; P3/P4 as
 * listed; docs/rules.md). */
#define MDLKIT_RULE_NDIS_NBL_DOUBLE_COMPLETE 0x00A2000CUL /* P3 = NBL, P4 = adapter: completed an NBL not pending at the miniport */
#define MDLKIT_RULE_NDIS_NBL_DOUBLE_RETURN 0x00A2000DUL   /* P3 = NBL, P4 = adapter: returned an NBL not indicated (or twice) */
#define MDLKIT_RULE_NDIS_NBL_NOT_RETURNED 0x00A2000EUL    /* P3 = count, P4 = adapter: halt with indicated NBLs not returned */
#define MDLKIT_RULE_NDIS_DISPATCH_FLAG 0x00A2000FUL       /* P3 = IRQL, P4 = flags: a *_DISPATCH_LEVEL flag at another IRQL */
#define MDLKIT_RULE_NDIS_POOL_OUTSTANDING 0x00A20010UL    /* P3 = pool, P4 = NBLs/NBs still allocated from it */
#define MDLKIT_RULE_NDIS_NBL_FREE_PENDING 0x00A20011UL    /* P3 = NBL, P4 = pool: freed an NBL indicated and not returned */
#define MDLKIT_RULE_NDIS_PAUSE_PENDING_IO 0x00A20012UL    /* P3 = sends pending, P4 = receives pending at pause complete */
#define MDLKIT_RULE_NDIS_STATE 0x00A20013UL               /* P3 = adapter, P4 = state: a call the adapter's state forbids */
#define MDLKIT_RULE_NDIS_OBJECT_HEADER 0x00A20014UL       /* P3 = structure, P4 = (Type << 16 | Revision << 8 ...) bad header */
#define MDLKIT_RULE_NDIS_INDICATE_COUNT 0x00A20015UL      /* P3 = NBLs in the chain, P4 = NumberOfNetBufferLists */
#define MDLKIT_RULE_NDIS_OBJECT_LEAK 0x00A20016UL         /* P3 = count, P4 = owner: pools/timers/work items left */
#define MDLKIT_RULE_NDIS_STALL_EXECUTION_DELAY 0x00A20017UL /* P3 = microseconds asked, P4 = 50: NdisStallExecution_Delay */
#define MDLKIT_RULE_IRQL_FILTER_DRIVER_FUNCTION 0x00A20019UL /* P3 = IRQL, P4 = handle: an NdisF* routine at the wrong IRQL */
#define MDLKIT_RULE_NDIS_SG_DMA_LEAK 0x00A20018UL         /* P3 = DMA handle, P4 = adapter: Init_RegisterSG, not deregistered */

/* Configuration values NdisReadConfiguration returns for the adapter
 * (keywords compare case-insensitively, as NDIS does). */
typedef struct mdlkit_ndis_config_value {
    const char *keyword;
    int type;               /* NDIS_PARAMETER_TYPE: NdisParameterInteger, ...HexInteger, ...String, ...Binary */
    ULONG integer;          /* Integer, HexInteger */
    const char *string;     /* String (ASCII; NdisReadConfiguration gives it as UTF-16) */
    const void *binary;     /* Binary */
    USHORT binary_length;
} mdlkit_ndis_config_value;

typedef struct mdlkit_ndis_adapter_params {
    const mdlkit_ndis_config_value *config;
    size_t config_count;
} mdlkit_ndis_adapter_params;

/* Starts an adapter: MiniportInitializeEx, then (for a miniport with a
 * data path) MiniportRestart, so it returns a running adapter. params may
 * be NULL (no configuration values). */
NTSTATUS mdlkit_ndis_start_adapter_ex(PDRIVER_OBJECT driver, const mdlkit_ndis_adapter_params *params,
                                      PVOID *miniport_adapter_handle);
/* MiniportPause (waiting up to timeout_ms for NdisMPauseComplete) and
 * MiniportRestart (for NdisMRestartComplete). STATUS_TIMEOUT if the
 * miniport did not complete in time; the NDIS status otherwise. */
NTSTATUS mdlkit_ndis_pause_adapter(PVOID miniport_adapter_handle, ULONG timeout_ms);
NTSTATUS mdlkit_ndis_restart_adapter(PVOID miniport_adapter_handle, ULONG timeout_ms);
/* A PnP event to the miniport: MiniportDevicePnPEventNotify at
 * PASSIVE_LEVEL with a NET_DEVICE_PNP_EVENT (NdisDevicePnPEvent..., its
 * InformationBuffer). STATUS_NOT_SUPPORTED for a miniport without a data
 * path. */
NTSTATUS mdlkit_ndis_pnp_event(PVOID miniport_adapter_handle, int event, void *buffer, ULONG length);
/* The adapter context and the general attributes the miniport set (NULL /
 * 0 if none). */
PVOID mdlkit_ndis_adapter_context(PVOID miniport_adapter_handle);
int mdlkit_ndis_general_attributes(PVOID miniport_adapter_handle, NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES *out);

/* ---- Sending ----
 * mdlkit_ndis_build_nbl: one NET_BUFFER_LIST with one NET_BUFFER holding a
 * copy of data[0..length) in non-paged pool, described by a chain of MDLs
 * of at most mdl_chunk bytes each (0: one MDL). The NBL is the test's
 * (the protocol's) until it is sent. */
PNET_BUFFER_LIST mdlkit_ndis_build_nbl(PVOID miniport_adapter_handle, const void *data, ULONG length,
                                       ULONG mdl_chunk);
void mdlkit_ndis_free_nbl(PNET_BUFFER_LIST nbl);
/* MiniportSendNetBufferLists with the chain (linked through Next); at
 * DISPATCH_LEVEL with NDIS_SEND_FLAGS_DISPATCH_LEVEL if send_flags has it.
 * The NBLs belong to the miniport until it completes them. */
NTSTATUS mdlkit_ndis_send(PVOID miniport_adapter_handle, PNET_BUFFER_LIST chain, ULONG send_flags);
/* The next NBL the miniport completed (NdisMSendNetBufferListsComplete),
 * one at a time, with its NET_BUFFER_LIST_STATUS; NULL after timeout_ms. */
PNET_BUFFER_LIST mdlkit_ndis_send_completed(PVOID miniport_adapter_handle, ULONG timeout_ms, NDIS_STATUS *status);
/* NBLs sent and not yet completed. */
LONG mdlkit_ndis_sends_pending(PVOID miniport_adapter_handle);

/* ---- Receiving ---- */
typedef struct mdlkit_ndis_frame {
    PNET_BUFFER_LIST nbl;   /* the indicated NBL while the test keeps it, else NULL */
    ULONG receive_flags;    /* as indicated */
    NDIS_PORT_NUMBER port;
    ULONG length;           /* bytes of the NBL's first NET_BUFFER */
    UCHAR *data;            /* copy of them taken during the indication */
} mdlkit_ndis_frame;
/* What happens to an indicated NBL: returned to the miniport from within
 * the indication after its data was copied (the default), or kept until
 * the test calls mdlkit_ndis_release / mdlkit_ndis_return. NBLs indicated
 * with NDIS_RECEIVE_FLAGS_RESOURCES are never kept (NDIS forbids it). */
enum { MDLKIT_NDIS_RX_RETURN_AT_ONCE = 0, MDLKIT_NDIS_RX_KEEP = 1 };
void mdlkit_ndis_set_receive_mode(PVOID miniport_adapter_handle, int mode);
/* The next indicated frame (one per NBL, in indication order), or NULL
 * after timeout_ms. */
mdlkit_ndis_frame *mdlkit_ndis_receive(PVOID miniport_adapter_handle, ULONG timeout_ms);
/* Returns frame->nbl (if kept) to the miniport and frees the frame. */
void mdlkit_ndis_release(PVOID miniport_adapter_handle, mdlkit_ndis_frame *frame);
/* Returns NBLs (a chain) the test kept: MiniportReturnNetBufferLists. */
void mdlkit_ndis_return(PVOID miniport_adapter_handle, PNET_BUFFER_LIST nbls);
/* Frees a frame without returning anything. */
void mdlkit_ndis_frame_free(mdlkit_ndis_frame *frame);
/* Frames indicated so far (received), and NBLs kept and not returned. */
ULONG64 mdlkit_ndis_frames_indicated(PVOID miniport_adapter_handle);
LONG mdlkit_ndis_receives_pending(PVOID miniport_adapter_handle);

/* ---- OID requests ----
 * One request (NdisRequestQueryInformation, ...SetInformation,
 * ...QueryStatistics or ...Method) through MiniportOidRequest at
 * PASSIVE_LEVEL, waiting up to timeout_ms for NdisMOidRequestComplete if
 * it pends. Returns the NDIS status (NDIS_STATUS_REQUEST_ABORTED if it did
 * not complete in time: MiniportCancelOidRequest was called). For a method
 * request buffer holds the input (in_length bytes) and receives the output
 * (up to length). The counts are the request's BytesWritten / BytesRead /
 * BytesNeeded. */
typedef struct mdlkit_ndis_oid_result {
    ULONG bytes_written;
    ULONG bytes_read;
    ULONG bytes_needed;
} mdlkit_ndis_oid_result;
NDIS_STATUS mdlkit_ndis_oid(PVOID miniport_adapter_handle, int request_type, NDIS_OID oid, void *buffer,
                            ULONG length, ULONG in_length, ULONG timeout_ms, mdlkit_ndis_oid_result *result);
/* The OID's name ("OID_GEN_CURRENT_PACKET_FILTER"), or NULL. */
const char *mdlkit_ndis_oid_name(NDIS_OID oid);
const char *mdlkit_ndis_status_name(NDIS_STATUS status);

/* ---- Status indications (NdisMIndicateStatusEx) ----
 * The next one, or 0 with nothing after timeout_ms; up to buffer_length
 * bytes of its StatusBuffer are copied, *length is its full size. */
NDIS_STATUS mdlkit_ndis_next_status(PVOID miniport_adapter_handle, ULONG timeout_ms, void *buffer,
                                    ULONG buffer_length, ULONG *length);

#endif /* MDLKIT_HARNESS_NDIS_H */
