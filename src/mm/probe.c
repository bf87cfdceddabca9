/*
 * probe.c -- ProbeForRead and ProbeForWrite: user-buffer checks.
 *
 * Both raise STATUS_DATATYPE_MISALIGNMENT for a misaligned address and
 * STATUS_ACCESS_VIOLATION for a range that is not user space (it must lie
 * in the simulated user region and end at or below MmUserProbeAddress, with
 * no wraparound). Length 0 does nothing. ProbeForWrite also checks each page
 * for write access, as the real routine's write touch of each page does.
 */
#include "mk_mdl.h"
#include "mk_machine.h"

static void probe_range(volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    MK_CHECK_IRQL_MAX(APC_LEVEL, ProbeForRead);
    ULONG_PTR start = (ULONG_PTR)Address;
    if (Alignment != 1 && Alignment != 2 && Alignment != 4 && Alignment != 8 && Alignment != 16)
        mk_raise(STATUS_DATATYPE_MISALIGNMENT);
    if (start & (Alignment - 1))
        mk_raise(STATUS_DATATYPE_MISALIGNMENT);
    ULONG_PTR end = start + Length;
    if (end < start || end > MmUserProbeAddress || mk_va_region((const void *)start) != MK_RGN_USER)
        mk_raise(STATUS_ACCESS_VIOLATION);
}

void ProbeForRead(volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    MK_ENTER("ProbeForRead");
    if (Length == 0)
        return;
    probe_range(Address, Length, Alignment);
}

void ProbeForWrite(volatile void *Address, SIZE_T Length, ULONG Alignment)
{
    MK_ENTER("ProbeForWrite");
    if (Length == 0)
        return;
    probe_range(Address, Length, Alignment);
    const char *p = (const char *)PAGE_ALIGN((const void *)Address);
    const char *end = (const char *)Address + Length;
    for (; p < end; p += PAGE_SIZE) {
        uint8_t b = mk_va_bits(p);
        if ((b & (MK_PG_MAPPED | MK_PG_WRITE)) != (MK_PG_MAPPED | MK_PG_WRITE))
            mk_raise(STATUS_ACCESS_VIOLATION);
    }
}
