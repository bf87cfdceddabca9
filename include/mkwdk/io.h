/*
 * mkwdk/io.h -- part of mdlkit's WDK headers, included by <wdm.h>; not meant
 * to be included directly. Contents: I/O manager: devices, IRPs, files, cancel, cancel-safe queues, remove locks, DMA.
 */
#ifndef MDLKIT_MKWDK_IO_H
#define MDLKIT_MKWDK_IO_H

#endif /* MDLKIT_MKWDK_IO_H */
