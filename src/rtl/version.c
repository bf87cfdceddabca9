/*
 * version.c -- RtlGetVersion, RtlVerifyVersionInfo, VerSetConditionMask,
 * RtlIsNtDdiVersionAvailable and RtlIsServicePackVersionInstalled,
 * answering for the emulated Windows (mdlkit_config.os_version, an NTDDI
 * value). PsGetVersion is the process structure's (src/ps/psversion.c).
 *
 * An NTDDI value is 0xMMmmSSss: major, minor, service pack, and for
 * Windows 10 and later the release (RS1, ..., 24H2), mapped to the build
 * number that release shipped with. The product is a workstation
 * (VER_NT_WORKSTATION) on the NT platform; the build is a free build.
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <string.h>

/* Windows 10 and 11 releases: the low byte of their NTDDI value. */
static const ULONG ver_win10_builds[] = {
    10240, /* 0: 1507 */
    10586, /* 1: TH2 1511 */
    14393, /* 2: RS1 1607 */
    15063, /* 3: RS2 1703 */
    16299, /* 4: RS3 1709 */
    17134, /* 5: RS4 1803 */
    17763, /* 6: RS5 1809 */
    18362, /* 7: 19H1 1903 */
    19041, /* 8: VB 2004 */
    19042, /* 9: MN 20H2 */
    20348, /* 0xA: FE (Server 2022) */
    22000, /* 0xB: CO (Windows 11 21H2) */
    22621, /* 0xC: NI 22H2 */
    22631, /* 0xD: CU 23H2 */
    25398, /* 0xE: ZN */
    25941, /* 0xF: GA */
    26100, /* 0x10: GE 24H2 */
};

typedef struct ver_info {
    ULONG major, minor, build, sp_major, sp_minor;
} ver_info;

static ver_info ver_of(ULONG ntddi)
{
    ver_info v = {ntddi >> 24, (ntddi >> 16) & 0xFF, 0, (ntddi >> 8) & 0xFF, ntddi & 0xFF};
    if (v.major >= 10) {
        ULONG rel = ntddi & 0xFF;
        v.build = rel < MK_ARRAY_SIZE(ver_win10_builds) ? ver_win10_builds[rel]
                                                         : ver_win10_builds[MK_ARRAY_SIZE(ver_win10_builds) - 1];
        v.sp_major = v.sp_minor = 0;
        return v;
    }
    switch ((v.major << 8) | v.minor) {
    case 0x500: v.build = 2195; break;
    case 0x501: v.build = 2600; break;
    case 0x502: v.build = 3790; break;
    case 0x600: v.build = 6000 + v.sp_major; break; /* 6001 SP1, 6002 SP2 */
    case 0x601: v.build = 7600 + v.sp_major; break; /* 7601 SP1 */
    case 0x602: v.build = 9200; break;
    case 0x603: v.build = 9600; break;
    default: v.build = 0; break;
    }
    v.sp_minor = 0;
    return v;
}

static void ver_csd(ULONG sp, WCHAR *out, size_t cap)
{
    out[0] = 0;
    if (!sp || cap < 16)
        return;
    const char *p = "Service Pack ";
    size_t i = 0;
    while (*p)
        out[i++] = (WCHAR)*p++;
    out[i++] = (WCHAR)('0' + (sp % 10));
    out[i] = 0;
}

NTSTATUS RtlGetVersion(PRTL_OSVERSIONINFOW lpVersionInformation)
{
    MK_ENTER("RtlGetVersion");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlGetVersion);
    MK_OBJ_FAULT(lpVersionInformation);
    ULONG size = lpVersionInformation->dwOSVersionInfoSize;
    if (size != sizeof(RTL_OSVERSIONINFOW) && size != sizeof(RTL_OSVERSIONINFOEXW))
        return STATUS_INVALID_PARAMETER;
    ver_info v = ver_of(mk_rt.os);
    lpVersionInformation->dwMajorVersion = v.major;
    lpVersionInformation->dwMinorVersion = v.minor;
    lpVersionInformation->dwBuildNumber = v.build;
    lpVersionInformation->dwPlatformId = VER_PLATFORM_WIN32_NT;
    ver_csd(v.sp_major, lpVersionInformation->szCSDVersion, MK_ARRAY_SIZE(lpVersionInformation->szCSDVersion));
    if (size == sizeof(RTL_OSVERSIONINFOEXW)) {
        PRTL_OSVERSIONINFOEXW ex = (PRTL_OSVERSIONINFOEXW)lpVersionInformation;
        ex->wServicePackMajor = (USHORT)v.sp_major;
        ex->wServicePackMinor = (USHORT)v.sp_minor;
        ex->wSuiteMask = 0x0100; /* VER_SUITE_SINGLEUSERTS, as a workstation reports */
        ex->wProductType = VER_NT_WORKSTATION;
        ex->wReserved = 0;
    }
    return STATUS_SUCCESS;
}

/* The bit index of each VER_* type in a condition mask (3 bits each). */
static int ver_index(ULONG type)
{
    switch (type) {
    case VER_MINORVERSION: return 0;
    case VER_MAJORVERSION: return 1;
    case VER_BUILDNUMBER: return 2;
    case VER_PLATFORMID: return 3;
    case VER_SERVICEPACKMINOR: return 4;
    case VER_SERVICEPACKMAJOR: return 5;
    case VER_SUITENAME: return 6;
    case VER_PRODUCT_TYPE: return 7;
    default: return -1;
    }
}

ULONGLONG VerSetConditionMask(ULONGLONG ConditionMask, ULONG TypeMask, UCHAR Condition)
{
    Condition &= VER_CONDITION_MASK;
    if (!TypeMask || !Condition)
        return ConditionMask;
    for (ULONG bit = 1; bit <= VER_PRODUCT_TYPE; bit <<= 1) {
        if (!(TypeMask & bit))
            continue;
        int i = ver_index(bit);
        ConditionMask &= ~((ULONGLONG)VER_CONDITION_MASK << (i * VER_NUM_BITS_PER_CONDITION_MASK));
        ConditionMask |= (ULONGLONG)Condition << (i * VER_NUM_BITS_PER_CONDITION_MASK);
    }
    return ConditionMask;
}

static int ver_cond(ULONGLONG mask, ULONG type)
{
    return (int)((mask >> (ver_index(type) * VER_NUM_BITS_PER_CONDITION_MASK)) & VER_CONDITION_MASK);
}

/* Compares two numbers under a VER_EQUAL..VER_LESS_EQUAL condition. */
static int ver_compare(LONGLONG have, LONGLONG want, int cond)
{
    switch (cond) {
    case VER_EQUAL: return have == want;
    case VER_GREATER: return have > want;
    case VER_GREATER_EQUAL: return have >= want;
    case VER_LESS: return have < want;
    case VER_LESS_EQUAL: return have <= want;
    default: return 0;
    }
}

/* Major, minor and service-pack major/minor are compared together, most
 * significant first, under the condition of the most significant one
 * asked for (as documented: the comparison is hierarchical). */
NTSTATUS RtlVerifyVersionInfo(PRTL_OSVERSIONINFOEXW VersionInfo, ULONG TypeMask, ULONGLONG ConditionMask)
{
    MK_ENTER("RtlVerifyVersionInfo");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlVerifyVersionInfo);
    const ULONG known = VER_MINORVERSION | VER_MAJORVERSION | VER_BUILDNUMBER | VER_PLATFORMID |
                        VER_SERVICEPACKMINOR | VER_SERVICEPACKMAJOR | VER_SUITENAME | VER_PRODUCT_TYPE;
    if (!VersionInfo || TypeMask == 0 || (TypeMask & ~known))
        return STATUS_INVALID_PARAMETER;
    for (ULONG bit = 1; bit <= VER_PRODUCT_TYPE; bit <<= 1)
        if ((TypeMask & bit) && bit != VER_SUITENAME && ver_cond(ConditionMask, bit) == 0)
            return STATUS_INVALID_PARAMETER;
    ver_info v = ver_of(mk_rt.os);
    int ok = 1;
    /* the hierarchical part */
    static const ULONG order[4] = {VER_MAJORVERSION, VER_MINORVERSION, VER_SERVICEPACKMAJOR, VER_SERVICEPACKMINOR};
    LONGLONG have = 0, want = 0;
    int cond = 0;
    for (int i = 0; i < 4; i++) {
        ULONG h = i == 0 ? v.major : i == 1 ? v.minor : i == 2 ? v.sp_major : v.sp_minor;
        ULONG w = i == 0 ? VersionInfo->dwMajorVersion
                  : i == 1 ? VersionInfo->dwMinorVersion
                  : i == 2 ? VersionInfo->wServicePackMajor
                           : VersionInfo->wServicePackMinor;
        if (TypeMask & order[i]) {
            if (!cond)
                cond = ver_cond(ConditionMask, order[i]);
            have = have * 65536 + h;
            want = want * 65536 + w;
        } else if (cond) {
            have *= 65536;
            want *= 65536;
        }
    }
    if (cond)
        ok &= ver_compare(have, want, cond);
    if (TypeMask & VER_BUILDNUMBER)
        ok &= ver_compare(v.build, VersionInfo->dwBuildNumber, ver_cond(ConditionMask, VER_BUILDNUMBER));
    if (TypeMask & VER_PLATFORMID)
        ok &= ver_compare(VER_PLATFORM_WIN32_NT, VersionInfo->dwPlatformId, ver_cond(ConditionMask, VER_PLATFORMID));
    if (TypeMask & VER_PRODUCT_TYPE)
        ok &= ver_compare(VER_NT_WORKSTATION, VersionInfo->wProductType, ver_cond(ConditionMask, VER_PRODUCT_TYPE));
    if (TypeMask & VER_SUITENAME) {
        ULONG have_suite = 0x0100, want_suite = VersionInfo->wSuiteMask;
        int c = ver_cond(ConditionMask, VER_SUITENAME);
        ok &= c == VER_OR ? (have_suite & want_suite) != 0 : (have_suite & want_suite) == want_suite;
    }
    return ok ? STATUS_SUCCESS : STATUS_REVISION_MISMATCH;
}

BOOLEAN RtlIsNtDdiVersionAvailable(ULONG Version)
{
    MK_ENTER("RtlIsNtDdiVersionAvailable");
    return Version <= mk_rt.os;
}

BOOLEAN RtlIsServicePackVersionInstalled(ULONG Version)
{
    MK_ENTER("RtlIsServicePackVersionInstalled");
    if ((Version >> 16) != (mk_rt.os >> 16))
        return FALSE;
    return ((Version >> 8) & 0xFF) <= ((mk_rt.os >> 8) & 0xFF);
}
