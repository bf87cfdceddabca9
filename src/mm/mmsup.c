/*
 * mmsup.c -- address queries: MmGetPhysicalAddress, MmGetVirtualForPhysical,
 * MmIsAddressValid, MmGetSystemRoutineAddress, and the harness's
 * mdlkit_phys_to_va.
 */
#define _GNU_SOURCE
#include "mk_machine.h"

#include <dlfcn.h>

#include <errno.h>
#include <string.h>
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

/* The kernel's exports are the routines libmdlkit implements: the name is
 * looked up among the dynamic symbols of the object that holds this routine
 * (libmdlkit.so, or the program when it is linked statically with
 * -rdynamic); a symbol of another object (the C library, the driver), one
 * of mdlkit's own names (mdlkit_*, mk_*), a name the C library defines
 * or a name that is not an identifier is not an export: NULL, as Windows answers for a routine it
 * does not export (IoWMIOpenBlock, for example, which mdlkit lacks).
 * PASSIVE_LEVEL. */
PVOID MmGetSystemRoutineAddress(PUNICODE_STRING SystemRoutineName)
{
    MK_ENTER("MmGetSystemRoutineAddress");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, MmGetSystemRoutineAddress);
    MK_OBJ_FAULT(SystemRoutineName);
    char name[128];
    size_t n = SystemRoutineName->Length / sizeof(WCHAR);
    if (!n || n >= sizeof name || !SystemRoutineName->Buffer)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        WCHAR c = SystemRoutineName->Buffer[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (i && c >= '0' && c <= '9');
        if (!ok)
            return NULL;
        name[i] = (char)c;
    }
    name[n] = 0;
    if (!strncmp(name, "mdlkit_", 7) || !strncmp(name, "mk_", 3) || !strncmp(name, "MK_", 3) ||
        !strncmp(name, "__", 2))
        return NULL;
    /* a name the C library defines is the C library's, wherever the lookup
     * finds it (a static link or a sanitizer's runtime puts interceptors of
     * C library routines in the object that holds mdlkit) */
    void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
    int in_libc = libc && dlsym(libc, name);
    if (libc)
        dlclose(libc);
    if (in_libc)
        return NULL;
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (!sym)
        return NULL;
    Dl_info mine, found;
    if (!dladdr((void *)MmGetSystemRoutineAddress, &mine) || !dladdr(sym, &found) ||
        mine.dli_fbase != found.dli_fbase)
        return NULL;
    return sym;
}
