/*
 * codeint.c -- Driver Verifier's Code integrity checking (option
 * 0x02000000): a driver that asks for memory that is both writable and
 * executable is not compatible with memory integrity (HVCI). The layers
 * call mk_verifier_codeint (src/mk_verifier.h) where a driver asks for it;
 * with the option on the check is bug check 0xC4 with the documented
 * subcode, parameter 2 the address in the driver's code that asked:
 *
 *   0x2000  an executable pool type (NonPagedPool, NonPagedPoolExecute,
 *           POOL_FLAG_NON_PAGED_EXECUTE, an executable lookaside list):
 *           P3 pool type, P4 tag
 *   0x2001  an executable page protection (PAGE_EXECUTE*): P3 protection
 *   0x2002  an MDL mapping without MdlMappingNoExecute: P3 the priority
 *           argument (MM_PAGE_PRIORITY with its MdlMapping* flags)
 *
 * 0x2003-0x2005 judge the driver's image (writable+executable sections,
 * section alignment, the IAT in an executable section): drivers run here
 * are host code, not PE images, so they have no equivalent.
 */
#include "mk_base.h"
#include "vf_internal.h"

void mk_vf_codeint(ULONG subcode, ULONG_PTR p3, ULONG_PTR p4, void *caller)
{
    char where[256];
    mk_symbolize(caller, where, sizeof where);
    switch (subcode) {
    case 0x2000:
        mk_bugcheck_note("code integrity: executable pool type 0x%lx requested at %s (use NonPagedPoolNx / "
                         "POOL_FLAG_NON_PAGED)",
                         (unsigned long)p3, where);
        break;
    case 0x2001:
        mk_bugcheck_note("code integrity: executable page protection 0x%lx requested at %s", (unsigned long)p3, where);
        break;
    default:
        mk_bugcheck_note("code integrity: MDL mapped without MdlMappingNoExecute at %s (priority 0x%lx)", where,
                         (unsigned long)p3);
        break;
    }
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, subcode, (ULONG_PTR)caller, p3, p4);
}
