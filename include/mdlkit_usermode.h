/*
 * mdlkit_usermode.h -- part of the harness API, included by <mdlkit.h>.
 * Contents: driving a driver as a user-mode program would: handles, synchronous and asynchronous requests, user-mode events, the system DMA controller.
 */
#ifndef MDLKIT_HARNESS_USERMODE_H
#define MDLKIT_HARNESS_USERMODE_H

#endif /* MDLKIT_HARNESS_USERMODE_H */
