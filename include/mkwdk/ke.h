/*
 * mkwdk/ke.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: kernel: dispatcher objects, DPCs, timers, waits, time, threads and processes, objects and handles.
 */
#ifndef MDLKIT_MKWDK_KE_H
#define MDLKIT_MKWDK_KE_H

/* ------------------------------------------------------------------------
 * Object types (the object manager's type objects, opaque to drivers)
 * ---------------------------------------------------------------------- */
typedef struct _OBJECT_TYPE *POBJECT_TYPE;

extern POBJECT_TYPE *ExEventObjectType;
extern POBJECT_TYPE *ExSemaphoreObjectType;
extern POBJECT_TYPE *PsThreadType;
extern POBJECT_TYPE *PsProcessType;
extern POBJECT_TYPE *IoFileObjectType;
extern POBJECT_TYPE *IoDeviceObjectType;

#endif /* MDLKIT_MKWDK_KE_H */
