/*
 * mdlkit_ndis.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: acting as the protocol above an NDIS 6 miniport.
 */
#ifndef MDLKIT_HARNESS_NDIS_H
#define MDLKIT_HARNESS_NDIS_H

#endif /* MDLKIT_HARNESS_NDIS_H */
