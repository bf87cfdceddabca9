/*
 * mkwdk/rtl.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: run-time library: strings, memory and list helpers, integer helpers.
 */
#ifndef MDLKIT_MKWDK_RTL_H
#define MDLKIT_MKWDK_RTL_H

#endif /* MDLKIT_MKWDK_RTL_H */
