/*
 * mdlkit_storport.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: acting as the class driver above a StorPort miniport.
 */
#ifndef MDLKIT_HARNESS_STORPORT_H
#define MDLKIT_HARNESS_STORPORT_H

#endif /* MDLKIT_HARNESS_STORPORT_H */
