/*
 * strsafe.c -- ntstrsafe.h: the RtlStringCch* / RtlStringCb* functions in A
 * and W forms and the RtlUnicodeString* family.
 *
 * One worker per operation (copy/cat with an optional source limit,
 * printf, length) works on code units of 1 (A) or 2 (W) bytes; the public
 * functions are thin wrappers. Failure handling follows the documented
 * flags: STRSAFE_FILL_BEHIND_NULL fills the unused buffer after the NUL
 * on success; on failure STRSAFE_FILL_ON_FAILURE fills the buffer and
 * NUL-terminates it, STRSAFE_NULL_ON_FAILURE leaves an empty string,
 * STRSAFE_NO_TRUNCATION leaves the destination as it was (a copy leaves an
 * empty string); without them a truncated result stays in place.
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <ntstrsafe.h>
#include <stdint.h>
#include <string.h>

#define SS_NO_LIMIT SIZE_MAX

static size_t ss_unit(int w) { return w ? sizeof(WCHAR) : 1; }


static unsigned ss_get(const void *p, int w, size_t i)
{
    return w ? ((const WCHAR *)p)[i] : (unsigned char)((const char *)p)[i];
}

static void ss_set(void *p, int w, size_t i, unsigned v)
{
    if (w)
        ((WCHAR *)p)[i] = (WCHAR)v;
    else
        ((char *)p)[i] = (char)v;
}

/* The source limit of a CopyN / CatN: in units; beyond the maximum it is
 * invalid (SIZE_MAX - 1 stands for "invalid"). */
static size_t ss_limit(size_t n, int cb, int w)
{
    size_t units = cb ? n / ss_unit(w) : n;
    return units > NTSTRSAFE_MAX_CCH ? SIZE_MAX - 1 : units;
}

/* Common epilogue: applies the failure flags, sets the Ex outputs. `len`
 * is the length of the text now in the buffer. */
static NTSTATUS ss_finish(void *dst, size_t cch, int w, NTSTATUS st, size_t len, size_t orig_len, int cat,
                          ULONG flags, void **end, size_t *rem, int cb)
{
    if (dst && cch > 0 && cch <= NTSTRSAFE_MAX_CCH) {
        if (NT_SUCCESS(st)) {
            if (flags & STRSAFE_FILL_BEHIND_NULL) {
                if (w) {
                    for (size_t i = len + 1; i < cch; i++)
                        memset((WCHAR *)dst + i, (int)(flags & 0xFF), sizeof(WCHAR));
                } else if (len + 1 < cch) {
                    memset((char *)dst + len + 1, (int)(flags & 0xFF), cch - len - 1);
                }
            }
        } else if (flags & (STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE | STRSAFE_NO_TRUNCATION)) {
            if (flags & STRSAFE_FILL_ON_FAILURE) {
                memset(dst, (int)(flags & 0xFF), cch * ss_unit(w));
                len = cch - 1;
            } else if (flags & STRSAFE_NULL_ON_FAILURE) {
                len = 0;
            } else if (st == STATUS_BUFFER_OVERFLOW) { /* STRSAFE_NO_TRUNCATION */
                len = cat ? orig_len : 0;
            }
            ss_set(dst, w, len, 0);
        }
    }
    if (NT_SUCCESS(st) || st == STATUS_BUFFER_OVERFLOW) {
        if (end)
            *end = (char *)dst + len * ss_unit(w);
        if (rem)
            *rem = (cch - len) * (cb ? ss_unit(w) : 1);
    }
    return st;
}

static NTSTATUS ss_copy(void *dst, size_t n, int cb, int w, const void *src, size_t limit, int cat, void **end,
                        size_t *rem, ULONG flags, int ex)
{
    size_t cch = cb ? n / ss_unit(w) : n;
    if (flags & ~(ULONG)STRSAFE_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if (flags & STRSAFE_IGNORE_NULLS) {
        if (!src)
            src = w ? (const void *)L"" : (const void *)"";
        if (!dst && cch == 0) {
            if (cat || ss_get(src, w, 0) == 0) /* nothing to copy: success */
                return ss_finish(dst, cch, w, STATUS_SUCCESS, 0, 0, cat, flags, end, rem, cb);
            return STATUS_BUFFER_OVERFLOW;
        }
    }
    if (cch == 0 || cch > NTSTRSAFE_MAX_CCH || !dst || limit == SIZE_MAX - 1) {
        if (!ex && !cat && dst && cch > 0) /* the non-Ex forms empty what they can */
            ss_set(dst, w, 0, 0);
        return ss_finish(dst, cch, w, STATUS_INVALID_PARAMETER, 0, 0, cat, ex ? flags : 0, NULL, NULL, cb);
    }
    size_t len = 0;
    if (cat) {
        while (len < cch && ss_get(dst, w, len) != 0)
            len++;
        if (len == cch) /* no NUL in the buffer: nothing to append to */
            return ss_finish(dst, cch, w, STATUS_INVALID_PARAMETER, len - 1, len - 1, cat, 0, NULL, NULL, cb);
    }
    if (!src)
        return ss_finish(dst, cch, w, STATUS_INVALID_PARAMETER, len, len, cat, flags, NULL, NULL, cb);
    size_t orig = len, i = 0;
    NTSTATUS st = STATUS_SUCCESS;
    while (i < limit) {
        unsigned c = ss_get(src, w, i);
        if (c == 0)
            break;
        if (len + 1 >= cch) {
            st = STATUS_BUFFER_OVERFLOW;
            break;
        }
        ss_set(dst, w, len++, c);
        i++;
    }
    ss_set(dst, w, len, 0);
    return ss_finish(dst, cch, w, st, len, orig, cat, flags, end, rem, cb);
}

static NTSTATUS ss_vprintf(void *dst, size_t n, int cb, int w, void **end, size_t *rem, ULONG flags, int ex,
                           const void *fmt, va_list ap)
{
    size_t cch = cb ? n / ss_unit(w) : n;
    if (flags & ~(ULONG)STRSAFE_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    if ((flags & STRSAFE_IGNORE_NULLS) && !fmt)
        fmt = w ? (const void *)L"" : (const void *)"";
    if (cch == 0 || cch > NTSTRSAFE_MAX_CCH || !dst || !fmt) {
        if (!ex && dst && cch > 0)
            ss_set(dst, w, 0, 0);
        return ss_finish(dst, cch, w, STATUS_INVALID_PARAMETER, 0, 0, 0, ex ? flags : 0, NULL, NULL, cb);
    }
    mk_fmt_out o = {w, dst, cch - 1, 0};
    va_list copy;
    va_copy(copy, ap);
    mk_vformat(&o, fmt, w, &copy);
    va_end(copy);
    size_t len = o.len < cch - 1 ? o.len : cch - 1;
    ss_set(dst, w, len, 0);
    return ss_finish(dst, cch, w, o.len > cch - 1 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, len, 0, 0, flags,
                     end, rem, cb);
}

static NTSTATUS ss_length(const void *psz, size_t n, int cb, int w, size_t *out)
{
    size_t max = cb ? n / ss_unit(w) : n;
    if (!psz || max > NTSTRSAFE_MAX_CCH) {
        if (out)
            *out = 0;
        return STATUS_INVALID_PARAMETER;
    }
    size_t len = 0;
    while (len < max && ss_get(psz, w, len) != 0)
        len++;
    if (len == max) {
        if (out)
            *out = 0;
        return STATUS_INVALID_PARAMETER;
    }
    if (out)
        *out = cb ? len * ss_unit(w) : len;
    return STATUS_SUCCESS;
}

/* The public functions, one family per (count unit, character type): Cch
 * or Cb counts (`cb`), A or W characters (`w`). Each is one call of the
 * worker above; the X-macro writes the sixteen names of a family so the
 * four families cannot drift apart. */
#define SS_COPYCAT(U, S, cb, w, P, PC, Op, cat)                                                                  \
    NTSTATUS RtlString##U##Op##S(P d, size_t n, PC s)                                                             \
    {                                                                                                             \
        return ss_copy(d, n, cb, w, s, SS_NO_LIMIT, cat, NULL, NULL, 0, 0);                                       \
    }                                                                                                             \
    NTSTATUS RtlString##U##Op##Ex##S(P d, size_t n, PC s, P *e, size_t *r, ULONG f)                               \
    {                                                                                                             \
        return ss_copy(d, n, cb, w, s, SS_NO_LIMIT, cat, (void **)e, r, f, 1);                                    \
    }                                                                                                             \
    NTSTATUS RtlString##U##Op##N##S(P d, size_t n, PC s, size_t lim)                                              \
    {                                                                                                             \
        return ss_copy(d, n, cb, w, s, ss_limit(lim, cb, w), cat, NULL, NULL, 0, 0);                              \
    }                                                                                                             \
    NTSTATUS RtlString##U##Op##NEx##S(P d, size_t n, PC s, size_t lim, P *e, size_t *r, ULONG f)                  \
    {                                                                                                             \
        return ss_copy(d, n, cb, w, s, ss_limit(lim, cb, w), cat, (void **)e, r, f, 1);                           \
    }

#define SS_FAMILY(U, S, cb, w, P, PC)                                                                            \
    SS_COPYCAT(U, S, cb, w, P, PC, Copy, 0)                                                                       \
    SS_COPYCAT(U, S, cb, w, P, PC, Cat, 1)                                                                        \
    NTSTATUS RtlString##U##VPrintf##S(P d, size_t n, PC fmt, va_list ap)                                          \
    {                                                                                                             \
        return ss_vprintf(d, n, cb, w, NULL, NULL, 0, 0, fmt, ap);                                                \
    }                                                                                                             \
    NTSTATUS RtlString##U##VPrintfEx##S(P d, size_t n, P *e, size_t *r, ULONG f, PC fmt, va_list ap)              \
    {                                                                                                             \
        return ss_vprintf(d, n, cb, w, (void **)e, r, f, 1, fmt, ap);                                             \
    }                                                                                                             \
    NTSTATUS RtlString##U##Printf##S(P d, size_t n, PC fmt, ...)                                                  \
    {                                                                                                             \
        va_list ap;                                                                                               \
        va_start(ap, fmt);                                                                                        \
        NTSTATUS st = ss_vprintf(d, n, cb, w, NULL, NULL, 0, 0, fmt, ap);                                         \
        va_end(ap);                                                                                               \
        return st;                                                                                                \
    }                                                                                                             \
    NTSTATUS RtlString##U##PrintfEx##S(P d, size_t n, P *e, size_t *r, ULONG f, PC fmt, ...)                      \
    {                                                                                                             \
        va_list ap;                                                                                               \
        va_start(ap, fmt);                                                                                        \
        NTSTATUS st = ss_vprintf(d, n, cb, w, (void **)e, r, f, 1, fmt, ap);                                      \
        va_end(ap);                                                                                               \
        return st;                                                                                                \
    }                                                                                                             \
    NTSTATUS RtlString##U##Length##S(PC s, size_t max, size_t *len) { return ss_length(s, max, cb, w, len); }

SS_FAMILY(Cch, A, 0, 0, NTSTRSAFE_PSTR, NTSTRSAFE_PCSTR)
SS_FAMILY(Cb, A, 1, 0, NTSTRSAFE_PSTR, NTSTRSAFE_PCSTR)
SS_FAMILY(Cch, W, 0, 1, NTSTRSAFE_PWSTR, NTSTRSAFE_PCWSTR)
SS_FAMILY(Cb, W, 1, 1, NTSTRSAFE_PWSTR, NTSTRSAFE_PCWSTR)

/* ------------------------------------------------------------------------
 * UNICODE_STRING
 * ---------------------------------------------------------------------- */
#define US_MAX_BYTES (NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR))

static NTSTATUS us_validate(PCUNICODE_STRING s, ULONG flags)
{
    if (!s)
        return (flags & STRSAFE_IGNORE_NULL_UNICODE_STRINGS) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    if ((s->Length & 1) || (s->MaximumLength & 1) || s->Length > s->MaximumLength ||
        s->MaximumLength > US_MAX_BYTES)
        return STATUS_INVALID_PARAMETER;
    if (!s->Buffer && (s->Length || s->MaximumLength))
        return STATUS_INVALID_PARAMETER;
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringValidate(PCUNICODE_STRING SourceString)
{
    return us_validate(SourceString, 0);
}

NTSTATUS RtlUnicodeStringValidateEx(PCUNICODE_STRING SourceString, ULONG dwFlags)
{
    if (dwFlags & ~(ULONG)STRSAFE_IGNORE_NULL_UNICODE_STRINGS)
        return STATUS_INVALID_PARAMETER;
    return us_validate(SourceString, dwFlags);
}

static NTSTATUS us_init(PUNICODE_STRING d, PCWSTR src, ULONG flags)
{
    if (flags & ~(ULONG)(STRSAFE_IGNORE_NULLS | STRSAFE_FILL_ON_FAILURE | STRSAFE_NULL_ON_FAILURE))
        return STATUS_INVALID_PARAMETER;
    if (!d)
        return (flags & STRSAFE_IGNORE_NULLS) ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
    d->Length = d->MaximumLength = 0;
    d->Buffer = (PWSTR)src;
    if (!src)
        return STATUS_SUCCESS;
    size_t n = 0;
    while (n < NTSTRSAFE_UNICODE_STRING_MAX_CCH && src[n])
        n++;
    if (n >= NTSTRSAFE_UNICODE_STRING_MAX_CCH) {
        d->Buffer = NULL;
        return STATUS_INVALID_PARAMETER;
    }
    d->Length = (USHORT)(n * sizeof(WCHAR));
    d->MaximumLength = (USHORT)((n + 1) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringInit(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    MK_OBJ_FAULT(DestinationString);
    return us_init(DestinationString, pszSrc, 0);
}

NTSTATUS RtlUnicodeStringInitEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc, ULONG dwFlags)
{
    MK_OBJ_FAULT(DestinationString);
    return us_init(DestinationString, pszSrc, dwFlags);
}

/* The remaining space of a destination, as the Ex functions report it. */
static void us_remaining(PUNICODE_STRING d, PUNICODE_STRING rem)
{
    if (!rem)
        return;
    rem->Buffer = d->Buffer ? d->Buffer + d->Length / sizeof(WCHAR) : NULL;
    rem->Length = 0;
    rem->MaximumLength = (USHORT)(d->MaximumLength - d->Length);
}

/* Copies or appends n WCHARs of src (no NUL needed) to d. */
static NTSTATUS us_put(PUNICODE_STRING d, const WCHAR *src, size_t n, int cat, PUNICODE_STRING rem, ULONG flags)
{
    if (flags & ~(ULONG)STRSAFE_UNICODE_STRING_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = us_validate(d, 0);
    if (!NT_SUCCESS(st))
        return st;
    size_t cap = d->MaximumLength / sizeof(WCHAR);
    size_t orig = cat ? d->Length / sizeof(WCHAR) : 0;
    size_t len = orig;
    /* documented: a source with characters and a destination with no room
     * at all (a zero-length buffer, or a full one to append to) */
    if (n > 0 && (cap == 0 || (cat && orig == cap)))
        return STATUS_INVALID_PARAMETER;
    st = STATUS_SUCCESS;
    size_t room = cap - len;
    if (n > room) {
        st = STATUS_BUFFER_OVERFLOW;
        n = room;
    }
    if (n)
        memmove(d->Buffer + len, src, n * sizeof(WCHAR));
    len += n;
    if (!NT_SUCCESS(st)) {
        if (flags & STRSAFE_FILL_ON_FAILURE) {
            memset(d->Buffer, (int)(flags & 0xFF), cap * sizeof(WCHAR));
            len = 0;
        } else if (flags & STRSAFE_ZERO_LENGTH_ON_FAILURE) {
            len = 0;
        } else if (flags & STRSAFE_NO_TRUNCATION) {
            len = orig;
        }
    } else if ((flags & STRSAFE_FILL_BEHIND) && len < cap) {
        memset(d->Buffer + len, (int)(flags & 0xFF), (cap - len) * sizeof(WCHAR));
    }
    d->Length = (USHORT)(len * sizeof(WCHAR));
    if (NT_SUCCESS(st) || st == STATUS_BUFFER_OVERFLOW)
        us_remaining(d, rem);
    return st;
}

static NTSTATUS us_put_psz(PUNICODE_STRING d, PCWSTR src, size_t limit, int cat, PUNICODE_STRING rem, ULONG flags)
{
    if (limit == SIZE_MAX - 1)
        return STATUS_INVALID_PARAMETER;
    if (!src) {
        if (!(flags & STRSAFE_IGNORE_NULLS))
            return STATUS_INVALID_PARAMETER;
        src = L"";
    }
    size_t n = 0;
    while (n < limit && src[n])
        n++;
    return us_put(d, src, n, cat, rem, flags);
}

static NTSTATUS us_put_us(PUNICODE_STRING d, PCUNICODE_STRING s, size_t limit, int cat, PUNICODE_STRING rem,
                          ULONG flags)
{
    if (limit == SIZE_MAX - 1)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = us_validate(s, flags & STRSAFE_IGNORE_NULL_UNICODE_STRINGS);
    if (!NT_SUCCESS(st))
        return st;
    size_t n = s ? s->Length / sizeof(WCHAR) : 0;
    if (n > limit)
        n = limit;
    return us_put(d, s ? s->Buffer : NULL, n, cat, rem, flags);
}

NTSTATUS RtlUnicodeStringCopyString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_psz(DestinationString, pszSrc, SIZE_MAX, 0, NULL, 0);
}
NTSTATUS RtlUnicodeStringCopyStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                      PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_psz(DestinationString, pszSrc, SIZE_MAX, 0, RemainingString, dwFlags);
}
NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_us(DestinationString, SourceString, SIZE_MAX, 0, NULL, 0);
}
NTSTATUS RtlUnicodeStringCopyEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_us(DestinationString, SourceString, SIZE_MAX, 0, RemainingString, dwFlags);
}
NTSTATUS RtlUnicodeStringCatString(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_psz(DestinationString, pszSrc, SIZE_MAX, 1, NULL, 0);
}
NTSTATUS RtlUnicodeStringCatStringEx(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszSrc,
                                     PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_psz(DestinationString, pszSrc, SIZE_MAX, 1, RemainingString, dwFlags);
}
NTSTATUS RtlUnicodeStringCat(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_us(DestinationString, SourceString, SIZE_MAX, 1, NULL, 0);
}
NTSTATUS RtlUnicodeStringCatEx(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                               PUNICODE_STRING RemainingString, ULONG dwFlags)
{
    MK_OBJ_FAULT(DestinationString);
    return us_put_us(DestinationString, SourceString, SIZE_MAX, 1, RemainingString, dwFlags);
}

/* The N forms: a limit in characters (Cch) or bytes (Cb). */
static size_t us_limit(size_t n, int cb)
{
    if (cb)
        return n > NTSTRSAFE_UNICODE_STRING_MAX_CCH * sizeof(WCHAR) ? SIZE_MAX - 1 : n / sizeof(WCHAR);
    return n > NTSTRSAFE_UNICODE_STRING_MAX_CCH ? SIZE_MAX - 1 : n;
}
/* The N forms, one family per count unit (Cch or Cb: `cb`) and operation
 * (Copy or Cat: `cat`), each from a NUL-terminated string (StringN) or a
 * UNICODE_STRING (N), with and without the Ex outputs: the X-macro writes
 * the sixteen names so the families cannot drift apart. */
#define US_NFAMILY(U, cb, Op, cat)                                                                               \
    NTSTATUS RtlUnicodeString##U##Op##StringN(PUNICODE_STRING d, NTSTRSAFE_PCWSTR s, size_t n)                   \
    {                                                                                                            \
        MK_OBJ_FAULT(d);                                                                                         \
        return us_put_psz(d, s, us_limit(n, cb), cat, NULL, 0);                                                  \
    }                                                                                                            \
    NTSTATUS RtlUnicodeString##U##Op##StringNEx(PUNICODE_STRING d, NTSTRSAFE_PCWSTR s, size_t n,                 \
                                               PUNICODE_STRING rem, ULONG f)                                     \
    {                                                                                                            \
        MK_OBJ_FAULT(d);                                                                                         \
        return us_put_psz(d, s, us_limit(n, cb), cat, rem, f);                                                   \
    }                                                                                                            \
    NTSTATUS RtlUnicodeString##U##Op##N(PUNICODE_STRING d, PCUNICODE_STRING s, size_t n)                         \
    {                                                                                                            \
        MK_OBJ_FAULT(d);                                                                                         \
        return us_put_us(d, s, us_limit(n, cb), cat, NULL, 0);                                                   \
    }                                                                                                            \
    NTSTATUS RtlUnicodeString##U##Op##NEx(PUNICODE_STRING d, PCUNICODE_STRING s, size_t n, PUNICODE_STRING rem,  \
                                         ULONG f)                                                                \
    {                                                                                                            \
        MK_OBJ_FAULT(d);                                                                                         \
        return us_put_us(d, s, us_limit(n, cb), cat, rem, f);                                                    \
    }

US_NFAMILY(Cch, 0, Copy, 0)
US_NFAMILY(Cch, 0, Cat, 1)
US_NFAMILY(Cb, 1, Copy, 0)
US_NFAMILY(Cb, 1, Cat, 1)

static NTSTATUS us_vprintf(PUNICODE_STRING d, PUNICODE_STRING rem, ULONG flags, PCWSTR fmt, va_list ap)
{
    if (flags & ~(ULONG)STRSAFE_UNICODE_STRING_VALID_FLAGS)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = us_validate(d, 0);
    if (!NT_SUCCESS(st))
        return st;
    if (!fmt) {
        if (!(flags & STRSAFE_IGNORE_NULLS))
            return STATUS_INVALID_PARAMETER;
        fmt = L"";
    }
    size_t cap = d->MaximumLength / sizeof(WCHAR);
    mk_fmt_out o = {1, d->Buffer, cap, 0};
    va_list copy;
    va_copy(copy, ap);
    mk_vformat(&o, fmt, 1, &copy);
    va_end(copy);
    size_t len = o.len < cap ? o.len : cap;
    d->Length = (USHORT)(len * sizeof(WCHAR));
    /* The text is in place; us_put with nothing more applies the flags. */
    if (o.len > cap) {
        st = STATUS_BUFFER_OVERFLOW;
        if (flags & STRSAFE_FILL_ON_FAILURE) {
            memset(d->Buffer, (int)(flags & 0xFF), cap * sizeof(WCHAR));
            d->Length = 0;
        } else if (flags & (STRSAFE_ZERO_LENGTH_ON_FAILURE | STRSAFE_NO_TRUNCATION)) {
            d->Length = 0;
        }
    } else if ((flags & STRSAFE_FILL_BEHIND) && len < cap) {
        memset(d->Buffer + len, (int)(flags & 0xFF), (cap - len) * sizeof(WCHAR));
    }
    us_remaining(d, rem);
    return st;
}

NTSTATUS RtlUnicodeStringVPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    MK_OBJ_FAULT(DestinationString);
    return us_vprintf(DestinationString, NULL, 0, pszFormat, argList);
}
NTSTATUS RtlUnicodeStringVPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString, ULONG dwFlags,
                                   NTSTRSAFE_PCWSTR pszFormat, va_list argList)
{
    MK_OBJ_FAULT(DestinationString);
    return us_vprintf(DestinationString, RemainingString, dwFlags, pszFormat, argList);
}
NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING DestinationString, NTSTRSAFE_PCWSTR pszFormat, ...)
{
    MK_OBJ_FAULT(DestinationString);
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = us_vprintf(DestinationString, NULL, 0, pszFormat, ap);
    va_end(ap);
    return st;
}
NTSTATUS RtlUnicodeStringPrintfEx(PUNICODE_STRING DestinationString, PUNICODE_STRING RemainingString, ULONG dwFlags,
                                  NTSTRSAFE_PCWSTR pszFormat, ...)
{
    MK_OBJ_FAULT(DestinationString);
    va_list ap;
    va_start(ap, pszFormat);
    NTSTATUS st = us_vprintf(DestinationString, RemainingString, dwFlags, pszFormat, ap);
    va_end(ap);
    return st;
}

/* C string <- UNICODE_STRING: a CopyN / CatN of its characters. */
static NTSTATUS ss_from_us(PWSTR dst, size_t n, int cb, PCUNICODE_STRING s, int cat)
{
    NTSTATUS st = us_validate(s, 0);
    if (!NT_SUCCESS(st)) {
        size_t cch = cb ? n / sizeof(WCHAR) : n;
        if (!cat && dst && cch > 0 && cch <= NTSTRSAFE_MAX_CCH)
            dst[0] = 0;
        return st;
    }
    static const WCHAR empty[1] = {0};
    return ss_copy(dst, n, cb, 1, s->Buffer ? s->Buffer : empty, s->Length / sizeof(WCHAR), cat, NULL, NULL, 0, 0);
}

NTSTATUS RtlStringCchCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString)
{
    return ss_from_us(pszDest, cchDest, 0, SourceString, 0);
}
NTSTATUS RtlStringCbCopyUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString)
{
    return ss_from_us(pszDest, cbDest, 1, SourceString, 0);
}
NTSTATUS RtlStringCchCatUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cchDest, PCUNICODE_STRING SourceString)
{
    return ss_from_us(pszDest, cchDest, 0, SourceString, 1);
}
NTSTATUS RtlStringCbCatUnicodeString(NTSTRSAFE_PWSTR pszDest, size_t cbDest, PCUNICODE_STRING SourceString)
{
    return ss_from_us(pszDest, cbDest, 1, SourceString, 1);
}
