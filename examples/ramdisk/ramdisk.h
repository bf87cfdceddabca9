/* ramdisk.h -- the "ramdisk" example StorPort miniport: its geometry, pool
 * tags and debug knob. WDK headers only. */
#ifndef RAMDISK_H
#define RAMDISK_H

#include <storport.h>

#define RAMDISK_SECTOR_SIZE 512u
#define RAMDISK_CHUNK_SIZE (64u * 1024u)       /* the disk is kept in chunks of this size */
#define RAMDISK_CHUNKS 32u                     /* 2 MiB disk */
#define RAMDISK_SECTORS (RAMDISK_CHUNKS * (RAMDISK_CHUNK_SIZE / RAMDISK_SECTOR_SIZE))
#define RAMDISK_MAX_TRANSFER (128u * 1024u)

#define RAMDISK_TAG_DISK 'kDmR'     /* "RmDk": disk chunks */
#define RAMDISK_TAG_REQUEST 'qRmR'  /* "RmRq": per-request context */

#ifndef SCSIOP_READ
#define SCSIOP_TEST_UNIT_READY 0x00
#define SCSIOP_READ 0x28
#define SCSIOP_WRITE 0x2A
#endif

/* Debug knob, read by HwFindAdapter as a real miniport reads a registry
 * parameter. Set it before loading the driver. */
extern ULONG RamDiskDebugFlags;
#define RAMDISK_DEBUG_LEAK_ON_ERROR 0x1 /* bug: out-of-range requests leak their request context */

#endif
