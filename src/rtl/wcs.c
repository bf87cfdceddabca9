/*
 * wcs.c -- the wide-string C routines the kernel exports, on 16-bit WCHAR:
 * wcslen, wcschr, wcsstr (mdlkit_wcslen, mdlkit_wcschr, mdlkit_wcsstr; the
 * headers map the C names to them, see include/mkwdk/rtl.h).
 *
 * As the C library defines them: wcschr finds the terminating null when c
 * is 0; wcsstr of an empty string is the string itself.
 */
#include "mk_machine.h"
#include "mk_rtl.h"

size_t mdlkit_wcslen(PCWSTR s)
{
    MK_OBJ_FAULT(s);
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

PWCHAR mdlkit_wcschr(PCWSTR s, WCHAR c)
{
    MK_OBJ_FAULT(s);
    for (;; s++) {
        if (*s == c)
            return (PWCHAR)s;
        if (!*s)
            return NULL;
    }
}

PWCHAR mdlkit_wcsstr(PCWSTR s, PCWSTR find)
{
    MK_OBJ_FAULT(s);
    MK_OBJ_FAULT(find);
    if (!*find)
        return (PWCHAR)s;
    for (; *s; s++) {
        size_t i = 0;
        while (find[i] && s[i] == find[i])
            i++;
        if (!find[i])
            return (PWCHAR)s;
    }
    return NULL;
}
