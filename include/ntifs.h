/*
 * ntifs.h -- mdlkit's own text of the file-system header: everything of
 * <ntddk.h>, which is what mdlkit implements for file-system and filter
 * drivers today. Routines only file systems use are not declared, so a
 * driver that needs one fails to compile rather than running a stub.
 */
#ifndef MDLKIT_NTIFS_H
#define MDLKIT_NTIFS_H

#include <ntddk.h>

#endif /* MDLKIT_NTIFS_H */
