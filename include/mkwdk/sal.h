/*
 * mkwdk/sal.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: SAL annotations (_In_, _Out_, ...): no-ops, as they are for any compiler but MSVC's analyser.
 */
#ifndef MDLKIT_MKWDK_SAL_H
#define MDLKIT_MKWDK_SAL_H

#endif /* MDLKIT_MKWDK_SAL_H */
