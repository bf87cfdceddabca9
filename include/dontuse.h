/*
 * dontuse.h -- mdlkit's own text. The WDK header of this name marks C
 * library routines that drivers should not call (unbounded string copies
 * and formatting) as deprecated in favour of <ntstrsafe.h>; it does the
 * same here, through ntstrsafe.h's deprecation list (a warning on use).
 * NTSTRSAFE_NO_DEPRECATE turns it off.
 */
#ifndef MDLKIT_DONTUSE_H
#define MDLKIT_DONTUSE_H
#include <ntstrsafe.h>
#endif /* MDLKIT_DONTUSE_H */
