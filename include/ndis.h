/*
 * ndis.h -- mdlkit's own NDIS header: what an NDIS 6 miniport (6.0 to
 * 6.89) compiles against -- its registration and adapter life cycle, its
 * send and receive paths (NET_BUFFER_LISTs, NET_BUFFERs, MDL chains,
 * pools), OID requests, status indications, configuration, timers, work
 * items, locks and memory. Names, values and layouts are the documented
 * ones; the text is mdlkit's. It may be combined with <wdm.h>, <ntddk.h>,
 * <storport.h> and <mdlkit.h> in one translation unit.
 *
 * A miniport selects its NDIS version with NDISxy_MINIPORT, a filter or
 * protocol driver with NDISxy (mkndis/types.h).
 * The contents are split by concept:
 *   mkndis/types.h     versions, basic types, NDIS_STATUS, object headers,
 *                      strings, locks, list/interlocked/Ethernet helpers,
 *                      configuration types
 *   mkndis/nbl.h       NET_BUFFER, NET_BUFFER_LIST, pools, NBL routines
 *   mkndis/oid.h       OIDs, NDIS_OID_REQUEST, statistics, status, PnP
 *   mkndis/offload.h   RSS, VMQ, NIC switch, QoS, offload, shared memory
 *   mkndis/miniport.h  characteristics, attributes, DMA, interrupts,
 *                      timers, work items, and the miniport routines
 *   mkndis/filter.h    filter drivers: characteristics, FilterXxx
 *                      handler types, attach/pause/restart parameters,
 *                      restart attributes, net PnP events, NDIS_EVENT
 *
 * Every routine declared here is implemented by libmdlkit (src/port/ndis/).
 */
#ifndef MDLKIT_NDIS_H
#define MDLKIT_NDIS_H

#include <wdm.h>

MDLKIT_EXTERN_C_BEGIN

#define NDIS_API DECLSPEC_IMPORT
#define NDISAPI

#include "mkndis/types.h"
#include "mkndis/nbl.h"
#include "mkndis/oid.h"
#include "mkndis/offload.h"
#include "mkndis/miniport.h"
#include "mkndis/filter.h"

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_NDIS_H */
