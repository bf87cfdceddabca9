/*
 * mkwdk/ke.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: kernel: dispatcher objects, DPCs, timers, waits, time, threads and processes, objects and handles.
 */
#ifndef MDLKIT_MKWDK_KE_H
#define MDLKIT_MKWDK_KE_H

#endif /* MDLKIT_MKWDK_KE_H */
