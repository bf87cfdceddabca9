/*
 * ioctl.h -- the interface of the "mdlfill" example WDM driver (shared by the
 * driver and the application/harness that talks to it). WDK headers only.
 */
#ifndef MDLFILL_IOCTL_H
#define MDLFILL_IOCTL_H

#include <wdm.h>

/* The device's names: the NT name, and the link applications open as
 * "\\.\MdlFill". */
#define MDLFILL_NT_NAME L"\\Device\\MdlFill"
#define MDLFILL_DOS_NAME L"\\DosDevices\\MdlFill"
#define MDLFILL_USER_NAME "\\\\.\\MdlFill"

/* Fill the caller's output buffer with a pseudo-random pattern derived from
 * the seed in the input buffer. METHOD_OUT_DIRECT: the I/O manager locks the
 * output buffer and passes it as Irp->MdlAddress; the input (MDLFILL_REQUEST)
 * is copied to Irp->AssociatedIrp.SystemBuffer. Information = bytes written. */
#define IOCTL_MDLFILL_FILL CTL_CODE(FILE_DEVICE_UNKNOWN, 0x900, METHOD_OUT_DIRECT, FILE_ANY_ACCESS)

/* Checksum a user buffer. METHOD_NEITHER: Type3InputBuffer is the caller's
 * user-mode address; the driver locks it itself (IoAllocateMdl +
 * MmProbeAndLockPages(UserMode)). Information = the 32-bit checksum. */
#define IOCTL_MDLFILL_CHECKSUM CTL_CODE(FILE_DEVICE_UNKNOWN, 0x901, METHOD_NEITHER, FILE_ANY_ACCESS)

typedef struct _MDLFILL_REQUEST {
    ULONG Seed;
    ULONG Reserved;
} MDLFILL_REQUEST, *PMDLFILL_REQUEST;

/* The pattern the driver writes: byte i of a FILL with seed s. */
FORCEINLINE UCHAR MdlFillPatternByte(ULONG Seed, ULONG Index)
{
    ULONG x = Seed * 2654435761u + Index * 40503u;
    x ^= x >> 13;
    x *= 0x5bd1e995u;
    x ^= x >> 15;
    return (UCHAR)x;
}

/* The checksum CHECKSUM computes (Adler-32 style, byte at a time). */
FORCEINLINE ULONG MdlFillChecksumStep(ULONG Sum, UCHAR Byte)
{
    ULONG a = (Sum & 0xffff) + Byte, b = (Sum >> 16) + a;
    return ((b % 65521u) << 16) | (a % 65521u);
}

/* Debug knob: the driver reads it in DriverEntry, as a real driver reads a
 * "DebugFlags" registry value. Set it before loading the driver. */
extern ULONG MdlFillDebugFlags;
#define MDLFILL_DEBUG_PAGED_HISTORY 0x1  /* bug: request history in paged pool, touched under a spin lock */
#define MDLFILL_DEBUG_EARLY_UNLOCK 0x2   /* bug: CHECKSUM unlocks the user buffer twice */

#define MDLFILL_TAG 'lFdM'          /* "MdFl": device history */
#define MDLFILL_HISTORY_ENTRIES 64

#endif
