/*
 * mmsup.c -- address queries: MmGetPhysicalAddress, MmGetVirtualForPhysical,
 * MmIsAddressValid, and the harness's mdlkit_phys_to_va.
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <errno.h>
#include <sys/mman.h>

PHYSICAL_ADDRESS MmGetPhysicalAddress(PVOID BaseAddress)
{
    MK_ENTER("MmGetPhysicalAddress");
    PHYSICAL_ADDRESS pa;
    PFN_NUMBER pfn = mk_va_to_pfn(BaseAddress);
    /* Windows returns zero for an address with no valid translation. */
    pa.QuadPart = pfn ? (LONGLONG)((pfn << PAGE_SHIFT) | BYTE_OFFSET(BaseAddress)) : 0;
    return pa;
}

PVOID MmGetVirtualForPhysical(PHYSICAL_ADDRESS PhysicalAddress)
{
    MK_ENTER("MmGetVirtualForPhysical");
    PFN_NUMBER pfn = (PFN_NUMBER)PhysicalAddress.QuadPart >> PAGE_SHIFT;
    ULONG off = (ULONG)(PhysicalAddress.QuadPart & (PAGE_SIZE - 1));
    if (mk_pfn_is_ram(pfn))
        return (char *)mk_pfn_to_direct(pfn) + off;
    if (mk_pfn_is_foreign(pfn))
        return (PVOID)(((pfn - MK_FOREIGN_PFN_BASE) << PAGE_SHIFT) | off);
    return NULL;
}

void *mdlkit_phys_to_va(PHYSICAL_ADDRESS pa)
{
    MK_ENTER("mdlkit_phys_to_va");
    PFN_NUMBER pfn = (PFN_NUMBER)pa.QuadPart >> PAGE_SHIFT;
    if (pa.QuadPart < 0 || !mk_pfn_is_ram(pfn))
        return NULL;
    return (char *)mk_pfn_to_direct(pfn) + (pa.QuadPart & (PAGE_SIZE - 1));
}

BOOLEAN MmIsAddressValid(PVOID VirtualAddress)
{
    MK_ENTER("MmIsAddressValid");
    if (mk_va_region(VirtualAddress) == MK_RGN_FOREIGN) {
        /* Host memory: valid if the host has it mapped. msync on an unmapped
         * page fails with ENOMEM without touching it. */
        void *page = PAGE_ALIGN(VirtualAddress);
        if (!page)
            return FALSE;
        return (BOOLEAN)(msync(page, PAGE_SIZE, MS_ASYNC) == 0 || errno != ENOMEM);
    }
    uint8_t b = mk_va_bits(VirtualAddress);
    /* A resident, accessible page: a touch would not fault. Trimmed pages,
     * guard pages and no-access pages have no valid PTE. */
    return (BOOLEAN)((b & MK_PG_MAPPED) && (b & MK_PG_READ) && !(b & (MK_PG_TRIMMED | MK_PG_GUARD)));
}
