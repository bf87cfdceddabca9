/*
 * security.c -- Driver Verifier's Security Checks (option 0x100): a ZwXxx
 * routine called from kernel mode treats every parameter as a kernel
 * address (PreviousMode becomes KernelMode), so a driver must capture a
 * user buffer into kernel memory before passing it. The Zw routines call
 * mk_verifier_zw_param (src/mk_verifier.h) for each pointer parameter and
 * for the Buffer of each UNICODE_STRING they take; an address in the
 * simulated user region is bug check 0xC4/0xE3 (routine name, the
 * user-mode address, the caller). Host memory (the test's stack, globals,
 * malloc) is the kernel's own memory here, never a user address.
 */
#include "mk_base.h"
#include "mk_machine.h"
#include "vf_internal.h"

void mk_vf_zw_user_address(const char *routine, const void *addr, void *caller)
{
    const char *a = (const char *)addr;
    if (!a || a < mk_as.rgn_base[MK_RGN_USER] || a >= mk_as.rgn_end[MK_RGN_USER])
        return;
    char where[256];
    mk_symbolize(caller, where, sizeof where);
    mk_bugcheck_note("security checks: %s was given the user-mode address %p by %s (a Zw routine treats its "
                     "parameters as kernel addresses: capture the buffer first)",
                     routine, addr, where);
    mk_bugcheck(DRIVER_VERIFIER_DETECTED_VIOLATION, 0xE3, (ULONG_PTR)routine, (ULONG_PTR)addr, (ULONG_PTR)caller);
}
