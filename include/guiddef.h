/*
 * guiddef.h -- mdlkit's own text: the GUID type, DEFINE_GUID and GUID
 * comparison.
 *
 * DEFINE_GUID(name, l, w1, w2, b1..b8) declares `extern const GUID name`;
 * in a translation unit that included <initguid.h> first it also defines
 * it (INITGUID). Including this header again after <initguid.h> switches
 * DEFINE_GUID to its defining form.
 */
#ifndef MDLKIT_GUIDDEF_H
#define MDLKIT_GUIDDEF_H

#include <string.h>

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    unsigned int Data1; /* 32 bits, as Windows' unsigned long */
    unsigned short Data2;
    unsigned short Data3;
    unsigned char Data4[8];
} GUID;
#endif
_Static_assert(sizeof(GUID) == 16, "GUID is 16 bytes");

typedef GUID *LPGUID, *PGUID;
typedef const GUID *LPCGUID, *PCGUID;
typedef GUID IID, CLSID, FMTID;
typedef GUID *LPIID, *LPCLSID;
#ifndef REFGUID
#define REFGUID const GUID *
#define REFIID const IID *
#define REFCLSID const CLSID *
#define REFFMTID const FMTID *
#endif

/* IsEqualGUID and InlineIsEqualGUID take pointers in C, as in the WDK. */
static inline int mdlkit_is_equal_guid(const GUID *a, const GUID *b)
{
    return memcmp(a, b, sizeof(GUID)) == 0;
}
#ifndef IsEqualGUID
#define InlineIsEqualGUID(a, b) mdlkit_is_equal_guid((a), (b))
#define IsEqualGUID(a, b) mdlkit_is_equal_guid((a), (b))
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)
#endif

#endif /* MDLKIT_GUIDDEF_H */

/* DEFINE_GUID follows INITGUID each time this header is read. */
#ifdef DEFINE_GUID
#undef DEFINE_GUID
#endif
#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)                                     \
    extern const GUID name;                                                                           \
    const GUID __attribute((weak)) name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#ifndef DEFINE_GUIDEX
#define DEFINE_GUIDEX(name) extern const GUID name
#endif
