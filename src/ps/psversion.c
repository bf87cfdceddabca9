/*
 * psversion.c -- PsGetVersion, the process structure's view of the
 * emulated Windows version (the values come from RtlGetVersion).
 *
 * The routine is documented for IRQL PASSIVE_LEVEL, and Driver Verifier's
 * DDI compliance rule IrqlPsPassive (0x0002001C) names it: called above
 * PASSIVE_LEVEL it is 0xC4/0x0002001C with that option, else 0xA (as
 * every IRQL misuse of a kernel routine is here). The check comes before
 * anything is written. A free build: the routine returns FALSE.
 */
#include "mk_ke.h"
#include "mk_rtl.h"

#include <string.h>

BOOLEAN PsGetVersion(PULONG MajorVersion, PULONG MinorVersion, PULONG BuildNumber, PUNICODE_STRING CSDVersion)
{
    MK_ENTER("PsGetVersion");
    mk_thread_attach();
    if (mk_self.irql != PASSIVE_LEVEL)
        mk_ke_irql_violation(MK_RULE_IRQL_PS_PASSIVE, "IrqlPsPassive: PsGetVersion called above PASSIVE_LEVEL",
                             NULL, __builtin_return_address(0));
    RTL_OSVERSIONINFOW v;
    memset(&v, 0, sizeof v);
    v.dwOSVersionInfoSize = sizeof v;
    (void)RtlGetVersion(&v);
    if (MajorVersion)
        *MajorVersion = v.dwMajorVersion;
    if (MinorVersion)
        *MinorVersion = v.dwMinorVersion;
    if (BuildNumber)
        *BuildNumber = v.dwBuildNumber;
    if (CSDVersion) {
        /* the service-pack string ("" with none), truncated to the
         * caller's buffer; NUL-terminated when there is room */
        size_t n = 0;
        while (n < MK_ARRAY_SIZE(v.szCSDVersion) && v.szCSDVersion[n])
            n++;
        size_t bytes = n * sizeof(WCHAR);
        if (bytes > (size_t)(CSDVersion->MaximumLength & ~1u))
            bytes = CSDVersion->MaximumLength & ~1u;
        if (bytes)
            memcpy(CSDVersion->Buffer, v.szCSDVersion, bytes);
        CSDVersion->Length = (USHORT)bytes;
        if (bytes + sizeof(WCHAR) <= CSDVersion->MaximumLength)
            CSDVersion->Buffer[bytes / sizeof(WCHAR)] = 0;
    }
    return FALSE;
}
