/*
 * format.c -- the kernel's printf formatter, used by DbgPrint (ke/debug.c),
 * the RtlStringCb/CchPrintf families (rtl/strsafe.c) and the WPP macros.
 *
 * Windows' rules, not glibc's: `l` is 32 bits (LONG), I64 / ll 64 bits, I
 * pointer-sized, I32 32 bits, h 16 bits; %Z takes a PANSI_STRING and %wZ a
 * PUNICODE_STRING; %ws / %ls and (in a narrow format) %S take a WCHAR
 * string; %wc / %lc / %C a WCHAR; %hs / %hc narrow ones whatever the format's
 * width; %p prints 16 upper-case hex digits with no prefix. NULL strings
 * print "(null)". %n is refused (prints nothing and writes nothing), as
 * in the kernel CRT. Floating point goes through the host's snprintf.
 */
#include "mk_rtl.h"

#include <stdio.h>
#include <string.h>

static void fo_put(mk_fmt_out *o, unsigned unit)
{
    if (o->len < o->cap) {
        if (o->wide)
            ((WCHAR *)o->buf)[o->len] = (WCHAR)unit;
        else
            ((char *)o->buf)[o->len] = (char)unit;
    }
    o->len++;
}

/* A character of a string argument, narrow (byte) or wide (WCHAR). */
static void fo_char(mk_fmt_out *o, unsigned c, int c_wide)
{
    if (o->wide)
        fo_put(o, c_wide ? c : (unsigned)mk_ansi_to_wchar((char)c));
    else
        fo_put(o, c_wide ? (unsigned char)mk_wchar_to_ansi((WCHAR)c) : c);
}

static void fo_pad(mk_fmt_out *o, int n, unsigned c)
{
    while (n-- > 0)
        fo_put(o, c);
}

/* A string argument: n units of s (narrow or wide), with width and
 * precision applied. */
static void fo_string(mk_fmt_out *o, const void *s, size_t n, int s_wide, int width, int prec, int left)
{
    if (prec >= 0 && (size_t)prec < n)
        n = (size_t)prec;
    int pad = width > (int)n ? width - (int)n : 0;
    if (!left)
        fo_pad(o, pad, ' ');
    for (size_t i = 0; i < n; i++)
        fo_char(o, s_wide ? ((const WCHAR *)s)[i] : (unsigned char)((const char *)s)[i], s_wide);
    if (left)
        fo_pad(o, pad, ' ');
}

static size_t fo_wcslen(const WCHAR *s, int prec)
{
    size_t n = 0;
    while ((prec < 0 || n < (size_t)prec) && s[n])
        n++;
    return n;
}

static size_t fo_strlen(const char *s, int prec)
{
    size_t n = 0;
    while ((prec < 0 || n < (size_t)prec) && s[n])
        n++;
    return n;
}

enum { F_LEFT = 1, F_PLUS = 2, F_SPACE = 4, F_ALT = 8, F_ZERO = 16 };

static void fo_integer(mk_fmt_out *o, ULONGLONG v, int negative, int base, int upper, int flags, int width,
                       int prec, int is_pointer)
{
    char digits[72];
    int nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    if (!(v == 0 && prec == 0))
        do {
            digits[nd++] = set[v % (unsigned)base];
            v /= (unsigned)base;
        } while (v);
    int zeros = prec > nd ? prec - nd : 0;
    if (base == 8 && (flags & F_ALT) && zeros == 0 && (nd == 0 || digits[nd - 1] != '0'))
        zeros = 1;
    char prefix[3];
    int np = 0;
    if (negative)
        prefix[np++] = '-';
    else if (flags & F_PLUS)
        prefix[np++] = '+';
    else if (flags & F_SPACE)
        prefix[np++] = ' ';
    if (base == 16 && (flags & F_ALT) && (nd > 0 || is_pointer)) {
        prefix[np++] = '0';
        prefix[np++] = upper ? 'X' : 'x';
    }
    int total = np + zeros + nd;
    int pad = width > total ? width - total : 0;
    if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!(flags & F_LEFT))
        fo_pad(o, pad, ' ');
    for (int i = 0; i < np; i++)
        fo_put(o, (unsigned char)prefix[i]);
    fo_pad(o, zeros, '0');
    while (nd > 0)
        fo_put(o, (unsigned char)digits[--nd]);
    if (flags & F_LEFT)
        fo_pad(o, pad, ' ');
}

static unsigned fo_at(const void *fmt, int wide, size_t i)
{
    return wide ? ((const WCHAR *)fmt)[i] : (unsigned char)((const char *)fmt)[i];
}

static void fo_cstr(mk_fmt_out *o, const char *s)
{
    while (*s)
        fo_char(o, (unsigned char)*s++, 0);
}

static const char *fo_basename(const char *path)
{
    const char *b = path;
    for (const char *p = path; *p; p++)
        if (*p == '/' || *p == '\\')
            b = p + 1;
    return b;
}

/* One WPP %!NAME! specifier (name[0..n)). */
static void fo_wpp(mk_fmt_out *o, const char *name, size_t n, va_list *ap)
{
    const mk_fmt_wpp *w = o->wpp;
    char tmp[96];
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
    if (IS("FUNC")) {
        fo_cstr(o, w->func ? w->func : "?");
    } else if (IS("FILE")) {
        fo_cstr(o, w->file ? fo_basename(w->file) : "?");
    } else if (IS("LINE")) {
        snprintf(tmp, sizeof tmp, "%d", w->line);
        fo_cstr(o, tmp);
    } else if (IS("STDPREFIX")) {
        snprintf(tmp, sizeof tmp, "[%u]%s(%d)", (unsigned)w->cpu, w->file ? fo_basename(w->file) : "?",
                 w->line);
        fo_cstr(o, tmp);
    } else if (IS("LEVEL")) {
        snprintf(tmp, sizeof tmp, "%u", (unsigned)w->level);
        fo_cstr(o, tmp);
    } else if (IS("COMPNAME")) {
        snprintf(tmp, sizeof tmp, "%u", (unsigned)w->component);
        fo_cstr(o, tmp);
    } else if (IS("STATUS") || IS("NTSTATUS")) {
        NTSTATUS st = (NTSTATUS)va_arg(*ap, int);
        const char *nm = w->status_name ? w->status_name(st) : NULL;
        if (nm)
            snprintf(tmp, sizeof tmp, "%s (0x%08X)", nm, (unsigned)st);
        else
            snprintf(tmp, sizeof tmp, "0x%08X", (unsigned)st);
        fo_cstr(o, tmp);
    } else if (IS("HRESULT") || IS("WINERROR")) {
        snprintf(tmp, sizeof tmp, "0x%08X", (unsigned)va_arg(*ap, int));
        fo_cstr(o, tmp);
    } else if (IS("bool") || IS("BOOLEAN") || IS("BOOL")) {
        fo_cstr(o, va_arg(*ap, int) ? "TRUE" : "FALSE");
    } else if (IS("GUID")) {
        const GUID *g = va_arg(*ap, const GUID *);
        if (!g)
            snprintf(tmp, sizeof tmp, "(null)");
        else
            snprintf(tmp, sizeof tmp, "{%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x}", (unsigned)g->Data1,
                     g->Data2, g->Data3, g->Data4[0], g->Data4[1], g->Data4[2], g->Data4[3], g->Data4[4],
                     g->Data4[5], g->Data4[6], g->Data4[7]);
        fo_cstr(o, tmp);
    } else if (IS("IPADDR")) {
        ULONG a = va_arg(*ap, ULONG);
        const UCHAR *b = (const UCHAR *)&a;
        snprintf(tmp, sizeof tmp, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
        fo_cstr(o, tmp);
    } else if (IS("PORT")) {
        unsigned v = (USHORT)va_arg(*ap, unsigned);
        snprintf(tmp, sizeof tmp, "%u", ((v & 0xFF) << 8) | (v >> 8));
        fo_cstr(o, tmp);
    } else if (IS("HEXDUMP")) {
        mdlkit_wpp_hexdump h = va_arg(*ap, mdlkit_wpp_hexdump);
        for (USHORT i = 0; i < h.Length && h.Buffer; i++) {
            snprintf(tmp, sizeof tmp, i ? " %02X" : "%02X", ((const UCHAR *)h.Buffer)[i]);
            fo_cstr(o, tmp);
        }
    } else {
        fo_put(o, '%');
        fo_put(o, '!');
        for (size_t i = 0; i < n; i++)
            fo_char(o, (unsigned char)name[i], 0);
        fo_put(o, '!');
    }
#undef IS
}

size_t mk_vformat(mk_fmt_out *o, const void *fmt, int fw, va_list *ap)
{
    size_t i = 0;
    for (;;) {
        unsigned c = fo_at(fmt, fw, i++);
        if (c == 0)
            break;
        if (c != '%') {
            fo_put(o, o->wide ? (fw ? c : mk_ansi_to_wchar((char)c))
                              : (fw ? (unsigned char)mk_wchar_to_ansi((WCHAR)c) : c));
            continue;
        }
        size_t start = i - 1;
        if (o->wpp && !fw && fo_at(fmt, fw, i) == '!') {
            const char *f = (const char *)fmt + i + 1;
            const char *e = strchr(f, '!');
            if (e && e - f < 32) {
                fo_wpp(o, f, (size_t)(e - f), ap);
                i += (size_t)(e - f) + 2;
                continue;
            }
        }
        int flags = 0;
        for (;; i++) {
            c = fo_at(fmt, fw, i);
            if (c == '-')
                flags |= F_LEFT;
            else if (c == '+')
                flags |= F_PLUS;
            else if (c == ' ')
                flags |= F_SPACE;
            else if (c == '#')
                flags |= F_ALT;
            else if (c == '0')
                flags |= F_ZERO;
            else
                break;
        }
        int width = 0, prec = -1;
        if (fo_at(fmt, fw, i) == '*') {
            width = va_arg(*ap, int);
            if (width < 0) {
                flags |= F_LEFT;
                width = -width;
            }
            i++;
        } else {
            while ((c = fo_at(fmt, fw, i)) >= '0' && c <= '9') {
                if (width < 100000)
                    width = width * 10 + (int)(c - '0');
                i++;
            }
        }
        if (fo_at(fmt, fw, i) == '.') {
            i++;
            prec = 0;
            if (fo_at(fmt, fw, i) == '*') {
                prec = va_arg(*ap, int);
                if (prec < 0)
                    prec = -1;
                i++;
            } else {
                while ((c = fo_at(fmt, fw, i)) >= '0' && c <= '9') {
                    if (prec < 100000)
                        prec = prec * 10 + (int)(c - '0');
                    i++;
                }
            }
        }
        /* Size: 0 default, 'h' 16-bit / narrow, 'H' char (hh), 'l' 32-bit / wide,
         * 'q' 64-bit, 'w' wide, 'I' pointer-sized. */
        int size = 0;
        c = fo_at(fmt, fw, i);
        if (c == 'h') {
            i++;
            size = 'h';
            if (fo_at(fmt, fw, i) == 'h') {
                i++;
                size = 'H';
            }
        } else if (c == 'l') {
            i++;
            size = 'l';
            if (fo_at(fmt, fw, i) == 'l') {
                i++;
                size = 'q';
            }
        } else if (c == 'w') {
            i++;
            size = 'w';
        } else if (c == 'L') {
            i++;
            size = 'L';
        } else if (c == 'z' || c == 't' || c == 'j') {
            i++;
            size = 'q';
        } else if (c == 'I') {
            if (fo_at(fmt, fw, i + 1) == '6' && fo_at(fmt, fw, i + 2) == '4') {
                i += 3;
                size = 'q';
            } else if (fo_at(fmt, fw, i + 1) == '3' && fo_at(fmt, fw, i + 2) == '2') {
                i += 3;
                size = 'l';
            } else {
                i++;
                size = 'I';
            }
        }
        unsigned conv = fo_at(fmt, fw, i++);
        switch (conv) {
        case 'd':
        case 'i': {
            LONGLONG v;
            if (size == 'q' || size == 'I')
                v = va_arg(*ap, LONGLONG);
            else if (size == 'h')
                v = (SHORT)va_arg(*ap, int);
            else if (size == 'H')
                v = (signed char)va_arg(*ap, int);
            else
                v = va_arg(*ap, LONG);
            ULONGLONG mag = v < 0 ? (ULONGLONG)0 - (ULONGLONG)v : (ULONGLONG)v;
            fo_integer(o, mag, v < 0, 10, 0, flags, width, prec, 0);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X': {
            ULONGLONG v;
            if (size == 'q' || size == 'I')
                v = va_arg(*ap, ULONGLONG);
            else if (size == 'h')
                v = (USHORT)va_arg(*ap, unsigned);
            else if (size == 'H')
                v = (UCHAR)va_arg(*ap, unsigned);
            else
                v = va_arg(*ap, ULONG);
            int base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            fo_integer(o, v, 0, base, conv == 'X', flags & ~(F_PLUS | F_SPACE), width, prec, 0);
            break;
        }
        case 'p': {
            ULONG_PTR v = (ULONG_PTR)va_arg(*ap, void *);
            fo_integer(o, v, 0, 16, 1, flags & (F_LEFT | F_ALT), width, prec < 0 ? 16 : prec, 1);
            break;
        }
        case 'c':
        case 'C': {
            /* %c is the format's own width; %C the other one; h / l / w force it. */
            int wide_arg = (conv == 'c') == (fw != 0);
            if (size == 'h' || size == 'H')
                wide_arg = 0;
            else if (size == 'l' || size == 'w')
                wide_arg = 1;
            unsigned ch = wide_arg ? (WCHAR)va_arg(*ap, int) : (unsigned char)va_arg(*ap, int);
            int pad = width > 1 ? width - 1 : 0;
            if (!(flags & F_LEFT))
                fo_pad(o, pad, ' ');
            fo_char(o, ch, wide_arg);
            if (flags & F_LEFT)
                fo_pad(o, pad, ' ');
            break;
        }
        case 's':
        case 'S': {
            int wide_arg = (conv == 's') == (fw != 0);
            if (size == 'h' || size == 'H')
                wide_arg = 0;
            else if (size == 'l' || size == 'w')
                wide_arg = 1;
            const void *s = va_arg(*ap, const void *);
            if (!s)
                fo_string(o, "(null)", 6, 0, width, prec, flags & F_LEFT);
            else if (wide_arg)
                fo_string(o, s, fo_wcslen(s, prec), 1, width, prec, flags & F_LEFT);
            else
                fo_string(o, s, fo_strlen(s, prec), 0, width, prec, flags & F_LEFT);
            break;
        }
        case 'Z': {
            /* %Z: PANSI_STRING (PSTRING); %wZ / %lZ: PUNICODE_STRING. */
            int wide_arg = size == 'w' || size == 'l';
            if (wide_arg) {
                const UNICODE_STRING *us = va_arg(*ap, const UNICODE_STRING *);
                if (!us || !us->Buffer)
                    fo_string(o, "(null)", 6, 0, width, prec, flags & F_LEFT);
                else
                    fo_string(o, us->Buffer, us->Length / sizeof(WCHAR), 1, width, prec, flags & F_LEFT);
            } else {
                const STRING *as = va_arg(*ap, const STRING *);
                if (!as || !as->Buffer)
                    fo_string(o, "(null)", 6, 0, width, prec, flags & F_LEFT);
                else
                    fo_string(o, as->Buffer, as->Length, 0, width, prec, flags & F_LEFT);
            }
            break;
        }
        case 'e':
        case 'E':
        case 'f':
        case 'F':
        case 'g':
        case 'G':
        case 'a':
        case 'A': {
            double d = size == 'L' ? (double)va_arg(*ap, long double) : va_arg(*ap, double);
            char spec[32], text[128];
            int n = 0;
            spec[n++] = '%';
            if (flags & F_LEFT)
                spec[n++] = '-';
            if (flags & F_PLUS)
                spec[n++] = '+';
            if (flags & F_SPACE)
                spec[n++] = ' ';
            if (flags & F_ALT)
                spec[n++] = '#';
            if (flags & F_ZERO)
                spec[n++] = '0';
            snprintf(spec + n, sizeof spec - (size_t)n, "%d.%d%c", width > 60 ? 60 : width,
                     prec < 0 ? 6 : prec > 40 ? 40 : prec, (char)conv);
            int len = snprintf(text, sizeof text, spec, d);
            if (len < 0)
                len = 0;
            if ((size_t)len >= sizeof text)
                len = (int)sizeof text - 1;
            fo_string(o, text, (size_t)len, 0, 0, -1, 0);
            break;
        }
        case 'n':
            (void)va_arg(*ap, void *); /* refused: nothing written */
            break;
        case '%':
            fo_put(o, '%');
            break;
        default:
            /* Unknown conversion (or the end of the format): printed as is. */
            if (conv == 0)
                i--;
            for (size_t k = start; k < i; k++)
                fo_put(o, o->wide ? (fw ? fo_at(fmt, fw, k) : mk_ansi_to_wchar((char)fo_at(fmt, fw, k)))
                                  : (fw ? (unsigned char)mk_wchar_to_ansi((WCHAR)fo_at(fmt, fw, k)) : fo_at(fmt, fw, k)));
            break;
        }
    }
    return o->len;
}
