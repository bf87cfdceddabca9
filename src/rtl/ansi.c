/*
 * ansi.c -- STRING / ANSI_STRING / UTF8_STRING routines and the code-page
 * conversions: RtlInitAnsiString(Ex), RtlInitString(Ex),
 * RtlInitUTF8String(Ex), RtlCopyString, RtlAppendStringToString,
 * RtlCompareString, RtlEqualString, RtlPrefixString, RtlUpperChar,
 * RtlUpperString, RtlAnsiStringToUnicodeString,
 * RtlUnicodeStringToAnsiString, RtlUpcaseUnicodeStringToAnsiString,
 * RtlUTF8StringToUnicodeString, RtlUnicodeStringToUTF8String,
 * RtlxAnsiStringToUnicodeSize, RtlxUnicodeStringToAnsiSize,
 * RtlFreeAnsiString, RtlFreeUTF8String, RtlCharToInteger,
 * RtlUnicodeToUTF8N, RtlUTF8ToUnicodeN, RtlMultiByteToUnicodeN/Size,
 * RtlUnicodeToMultiByteN/Size.
 *
 * The ANSI code page of the simulated machine is ISO-8859-1 (a single-byte
 * code page, so sizes are those Windows computes for one): characters it
 * lacks become '?' (docs/ddi-notes.md "Rtl strings").
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <string.h>

#define AS_MAX 0xFFFFu

static void as_init(PSTRING d, PCSTR s, USHORT *too_long)
{
    d->Buffer = (PCHAR)s;
    d->Length = d->MaximumLength = 0;
    if (!s)
        return;
    size_t n = strlen(s);
    if (n > AS_MAX - 1) {
        if (too_long)
            *too_long = 1;
        n = AS_MAX - 1;
    }
    d->Length = (USHORT)n;
    d->MaximumLength = (USHORT)(n + 1);
}

void RtlInitAnsiString(PANSI_STRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitAnsiString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitAnsiString);
    MK_OBJ_FAULT(DestinationString);
    as_init(DestinationString, SourceString, NULL);
}

void RtlInitString(PSTRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitString);
    MK_OBJ_FAULT(DestinationString);
    as_init(DestinationString, SourceString, NULL);
}

void RtlInitUTF8String(PUTF8_STRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitUTF8String");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitUTF8String);
    MK_OBJ_FAULT(DestinationString);
    as_init(DestinationString, SourceString, NULL);
}

static NTSTATUS as_init_ex(PSTRING d, PCSTR s)
{
    USHORT too_long = 0;
    as_init(d, s, &too_long);
    if (too_long) {
        d->Length = d->MaximumLength = 0;
        return STATUS_NAME_TOO_LONG;
    }
    return STATUS_SUCCESS;
}

NTSTATUS RtlInitAnsiStringEx(PANSI_STRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitAnsiStringEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitAnsiStringEx);
    MK_OBJ_FAULT(DestinationString);
    return as_init_ex(DestinationString, SourceString);
}

NTSTATUS RtlInitStringEx(PSTRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitStringEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitStringEx);
    MK_OBJ_FAULT(DestinationString);
    return as_init_ex(DestinationString, SourceString);
}

NTSTATUS RtlInitUTF8StringEx(PUTF8_STRING DestinationString, PCSTR SourceString)
{
    MK_ENTER("RtlInitUTF8StringEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitUTF8StringEx);
    MK_OBJ_FAULT(DestinationString);
    return as_init_ex(DestinationString, SourceString);
}

void RtlCopyString(PSTRING DestinationString, const STRING *SourceString)
{
    MK_ENTER("RtlCopyString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlCopyString);
    MK_OBJ_FAULT(DestinationString);
    if (!SourceString) {
        DestinationString->Length = 0;
        return;
    }
    mk_rtl_copy_counted(&DestinationString->Length, DestinationString->MaximumLength, DestinationString->Buffer,
                        SourceString->Length, SourceString->Buffer, 0);
}

NTSTATUS RtlAppendStringToString(PSTRING Destination, const STRING *Source)
{
    MK_ENTER("RtlAppendStringToString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlAppendStringToString);
    MK_OBJ_FAULT(Destination);
    if (Source->Length == 0)
        return STATUS_SUCCESS;
    if ((size_t)Destination->Length + Source->Length > Destination->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    memmove(Destination->Buffer + Destination->Length, Source->Buffer, Source->Length);
    Destination->Length = (USHORT)(Destination->Length + Source->Length);
    return STATUS_SUCCESS;
}

CHAR RtlUpperChar(CHAR Character)
{
    MK_ENTER("RtlUpperChar");
    return mk_wchar_to_ansi(RtlUpcaseUnicodeChar(mk_ansi_to_wchar(Character)));
}

static UCHAR as_upper(UCHAR c)
{
    WCHAR u = RtlUpcaseUnicodeChar(c);
    return u < 0x100 ? (UCHAR)u : c; /* ÿ's capital is not in the code page */
}

void RtlUpperString(PSTRING DestinationString, const STRING *SourceString)
{
    MK_ENTER("RtlUpperString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUpperString);
    MK_OBJ_FAULT(DestinationString);
    USHORT n = SourceString->Length;
    if (n > DestinationString->MaximumLength)
        n = DestinationString->MaximumLength;
    for (USHORT i = 0; i < n; i++)
        DestinationString->Buffer[i] = (CHAR)as_upper((UCHAR)SourceString->Buffer[i]);
    DestinationString->Length = n;
}

static LONG as_compare(const STRING *a, const STRING *b, size_t n1, size_t n2, BOOLEAN ci)
{
    size_t n = n1 < n2 ? n1 : n2;
    for (size_t i = 0; i < n; i++) {
        UCHAR x = (UCHAR)a->Buffer[i], y = (UCHAR)b->Buffer[i];
        if (ci) {
            x = as_upper(x);
            y = as_upper(y);
        }
        if (x != y)
            return (LONG)x - (LONG)y;
    }
    return n1 == n2 ? 0 : n1 < n2 ? -1 : 1;
}

LONG RtlCompareString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlCompareString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlCompareString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return as_compare(String1, String2, String1->Length, String2->Length, CaseInSensitive);
}

BOOLEAN RtlEqualString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlEqualString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlEqualString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return String1->Length == String2->Length &&
           as_compare(String1, String2, String1->Length, String2->Length, CaseInSensitive) == 0;
}

BOOLEAN RtlPrefixString(const STRING *String1, const STRING *String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlPrefixString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlPrefixString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return String1->Length <= String2->Length &&
           as_compare(String1, String2, String1->Length, String1->Length, CaseInSensitive) == 0;
}

ULONG RtlxAnsiStringToUnicodeSize(PCANSI_STRING AnsiString)
{
    MK_ENTER("RtlxAnsiStringToUnicodeSize");
    MK_OBJ_FAULT(AnsiString);
    return ((ULONG)AnsiString->Length + 1) * sizeof(WCHAR);
}

ULONG RtlxUnicodeStringToAnsiSize(PCUNICODE_STRING UnicodeString)
{
    MK_ENTER("RtlxUnicodeStringToAnsiSize");
    MK_OBJ_FAULT(UnicodeString);
    return (ULONG)UnicodeString->Length / sizeof(WCHAR) + 1;
}

NTSTATUS RtlAnsiStringToUnicodeString(PUNICODE_STRING DestinationString, PCANSI_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlAnsiStringToUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlAnsiStringToUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    ULONG size = ((ULONG)SourceString->Length + 1) * sizeof(WCHAR);
    if (size > AS_MAX)
        return STATUS_INVALID_PARAMETER_2;
    USHORT len = (USHORT)(size - sizeof(WCHAR));
    if (AllocateDestinationString) {
        PWSTR buf = mk_rtl_string_alloc(size);
        if (!buf)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = buf;
        DestinationString->MaximumLength = (USHORT)size;
    } else if (len >= DestinationString->MaximumLength) {
        return STATUS_BUFFER_OVERFLOW; /* no room for the text and its NUL */
    }
    for (USHORT i = 0; i < SourceString->Length; i++)
        DestinationString->Buffer[i] = mk_ansi_to_wchar(SourceString->Buffer[i]);
    DestinationString->Buffer[SourceString->Length] = 0;
    DestinationString->Length = len;
    return STATUS_SUCCESS;
}

static NTSTATUS as_from_unicode(PANSI_STRING d, PCUNICODE_STRING s, BOOLEAN allocate, int upcase)
{
    ULONG size = (ULONG)s->Length / sizeof(WCHAR) + 1;
    if (size > AS_MAX)
        return STATUS_INVALID_PARAMETER_2;
    USHORT n = (USHORT)(size - 1);
    NTSTATUS st = STATUS_SUCCESS;
    if (allocate) {
        PCHAR buf = mk_rtl_string_alloc(size);
        if (!buf)
            return STATUS_NO_MEMORY;
        d->Buffer = buf;
        d->MaximumLength = (USHORT)size;
    } else if (n >= d->MaximumLength) {
        /* Windows converts what fits (leaving room for the NUL) and says so. */
        if (d->MaximumLength == 0)
            return STATUS_BUFFER_OVERFLOW;
        n = (USHORT)(d->MaximumLength - 1);
        st = STATUS_BUFFER_OVERFLOW;
    }
    for (USHORT i = 0; i < n; i++) {
        WCHAR c = s->Buffer[i];
        d->Buffer[i] = mk_wchar_to_ansi(upcase ? RtlUpcaseUnicodeChar(c) : c);
    }
    d->Buffer[n] = 0;
    d->Length = n;
    return st;
}

NTSTATUS RtlUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlUnicodeStringToAnsiString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUnicodeStringToAnsiString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    return as_from_unicode(DestinationString, SourceString, AllocateDestinationString, 0);
}

NTSTATUS RtlUpcaseUnicodeStringToAnsiString(PANSI_STRING DestinationString, PCUNICODE_STRING SourceString,
                                            BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlUpcaseUnicodeStringToAnsiString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUpcaseUnicodeStringToAnsiString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    return as_from_unicode(DestinationString, SourceString, AllocateDestinationString, 1);
}

void RtlFreeAnsiString(PANSI_STRING AnsiString)
{
    MK_ENTER("RtlFreeAnsiString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlFreeAnsiString);
    MK_OBJ_FAULT(AnsiString);
    if (AnsiString->Buffer)
        mk_rtl_string_free(AnsiString->Buffer);
    AnsiString->Buffer = NULL;
    AnsiString->Length = AnsiString->MaximumLength = 0;
}

void RtlFreeUTF8String(PUTF8_STRING Utf8String)
{
    MK_ENTER("RtlFreeUTF8String");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlFreeUTF8String);
    MK_OBJ_FAULT(Utf8String);
    if (Utf8String->Buffer)
        mk_rtl_string_free(Utf8String->Buffer);
    Utf8String->Buffer = NULL;
    Utf8String->Length = Utf8String->MaximumLength = 0;
}

NTSTATUS RtlCharToInteger(PCSZ String, ULONG Base, PULONG Value)
{
    MK_ENTER("RtlCharToInteger");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlCharToInteger);
    ULONGLONG v;
    NTSTATUS st = mk_rtl_parse_integer(String, strlen(String), 0, Base, &v, NULL);
    if (!NT_SUCCESS(st))
        return st;
    if (!Value)
        return STATUS_ACCESS_VIOLATION;
    *Value = (ULONG)v;
    return STATUS_SUCCESS;
}

/* ---- UTF-8 ---- */
static int as_utf8_encode(ULONG cp, UCHAR *out)
{
    if (cp < 0x80) {
        out[0] = (UCHAR)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (UCHAR)(0xC0 | (cp >> 6));
        out[1] = (UCHAR)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (UCHAR)(0xE0 | (cp >> 12));
        out[1] = (UCHAR)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (UCHAR)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (UCHAR)(0xF0 | (cp >> 18));
    out[1] = (UCHAR)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (UCHAR)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (UCHAR)(0x80 | (cp & 0x3F));
    return 4;
}

NTSTATUS RtlUnicodeToUTF8N(PCHAR UTF8StringDestination, ULONG UTF8StringMaxByteCount,
                           PULONG UTF8StringActualByteCount, PCWCH UnicodeStringSource, ULONG UnicodeStringByteCount)
{
    MK_ENTER("RtlUnicodeToUTF8N");
    MK_CHECK_IRQL_MAX(APC_LEVEL, RtlUnicodeToUTF8N);
    if (!UnicodeStringSource)
        return STATUS_INVALID_PARAMETER_4;
    if (!UTF8StringDestination && !UTF8StringActualByteCount)
        return STATUS_INVALID_PARAMETER;
    if (UTF8StringDestination && (UnicodeStringByteCount % sizeof(WCHAR)))
        return STATUS_INVALID_PARAMETER_5;
    NTSTATUS st = STATUS_SUCCESS;
    ULONG written = 0, n = UnicodeStringByteCount / sizeof(WCHAR);
    for (ULONG i = 0; i < n; i++) {
        ULONG cp = UnicodeStringSource[i];
        if (cp >= 0xD800 && cp <= 0xDBFF && i + 1 < n && UnicodeStringSource[i + 1] >= 0xDC00 &&
            UnicodeStringSource[i + 1] <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (UnicodeStringSource[i + 1] - 0xDC00u);
            i++;
        } else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
            st = STATUS_SOME_NOT_MAPPED;
        }
        UCHAR enc[4];
        int len = as_utf8_encode(cp, enc);
        if (UTF8StringDestination) {
            if (written + (ULONG)len > UTF8StringMaxByteCount) {
                st = STATUS_BUFFER_TOO_SMALL;
                break;
            }
            memcpy(UTF8StringDestination + written, enc, (size_t)len);
        }
        written += (ULONG)len;
    }
    if (UTF8StringActualByteCount)
        *UTF8StringActualByteCount = written;
    return st;
}

/* Decodes one UTF-8 sequence at s[0..n): the code point, or 0xFFFD for an
 * invalid sequence (then *len is the bytes to skip). */
static ULONG as_utf8_decode(const UCHAR *s, ULONG n, ULONG *len)
{
    UCHAR c = s[0];
    ULONG need, cp, min;
    if (c < 0x80) {
        *len = 1;
        return c;
    } else if ((c & 0xE0) == 0xC0) {
        need = 1, cp = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        need = 2, cp = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        need = 3, cp = c & 0x07, min = 0x10000;
    } else {
        *len = 1;
        return 0xFFFD;
    }
    ULONG k = 1;
    for (; k <= need; k++) {
        if (k >= n || (s[k] & 0xC0) != 0x80) {
            *len = k;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *len = k;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    return cp;
}

NTSTATUS RtlUTF8ToUnicodeN(PWSTR UnicodeStringDestination, ULONG UnicodeStringMaxByteCount,
                           PULONG UnicodeStringActualByteCount, PCCH UTF8StringSource, ULONG UTF8StringByteCount)
{
    MK_ENTER("RtlUTF8ToUnicodeN");
    MK_CHECK_IRQL_MAX(APC_LEVEL, RtlUTF8ToUnicodeN);
    if (!UTF8StringSource)
        return STATUS_INVALID_PARAMETER_4;
    if (!UnicodeStringDestination && !UnicodeStringActualByteCount)
        return STATUS_INVALID_PARAMETER;
    NTSTATUS st = STATUS_SUCCESS;
    ULONG written = 0;
    const UCHAR *s = (const UCHAR *)UTF8StringSource;
    for (ULONG i = 0; i < UTF8StringByteCount;) {
        ULONG len;
        ULONG cp = as_utf8_decode(s + i, UTF8StringByteCount - i, &len);
        if (cp == 0xFFFD && !(len == 3 && s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] == 0xBD))
            st = STATUS_SOME_NOT_MAPPED;
        WCHAR units[2];
        ULONG nu = 1;
        if (cp >= 0x10000) {
            units[0] = (WCHAR)(0xD800 + ((cp - 0x10000) >> 10));
            units[1] = (WCHAR)(0xDC00 + ((cp - 0x10000) & 0x3FF));
            nu = 2;
        } else {
            units[0] = (WCHAR)cp;
        }
        if (UnicodeStringDestination) {
            if (written + nu * sizeof(WCHAR) > UnicodeStringMaxByteCount) {
                st = STATUS_BUFFER_TOO_SMALL;
                break;
            }
            memcpy((PUCHAR)UnicodeStringDestination + written, units, nu * sizeof(WCHAR));
        }
        written += nu * (ULONG)sizeof(WCHAR);
        i += len;
    }
    if (UnicodeStringActualByteCount)
        *UnicodeStringActualByteCount = written;
    return st;
}

NTSTATUS RtlUTF8StringToUnicodeString(PUNICODE_STRING DestinationString, PCUTF8_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlUTF8StringToUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUTF8StringToUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    ULONG need;
    NTSTATUS st = RtlUTF8ToUnicodeN(NULL, 0, &need, SourceString->Buffer ? SourceString->Buffer : "",
                                    SourceString->Length);
    if (need + sizeof(WCHAR) > AS_MAX)
        return STATUS_INVALID_PARAMETER_2;
    if (AllocateDestinationString) {
        PWSTR buf = mk_rtl_string_alloc(need + sizeof(WCHAR));
        if (!buf)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = buf;
        DestinationString->MaximumLength = (USHORT)(need + sizeof(WCHAR));
    } else if (need > DestinationString->MaximumLength) {
        return STATUS_BUFFER_OVERFLOW;
    }
    ULONG got;
    st = RtlUTF8ToUnicodeN(DestinationString->Buffer, DestinationString->MaximumLength, &got,
                           SourceString->Buffer ? SourceString->Buffer : "", SourceString->Length);
    DestinationString->Length = (USHORT)got;
    if (got + sizeof(WCHAR) <= DestinationString->MaximumLength)
        DestinationString->Buffer[got / sizeof(WCHAR)] = 0;
    return st;
}

NTSTATUS RtlUnicodeStringToUTF8String(PUTF8_STRING DestinationString, PCUNICODE_STRING SourceString,
                                      BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlUnicodeStringToUTF8String");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUnicodeStringToUTF8String);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    static const WCHAR empty[1] = {0};
    PCWCH src = SourceString->Buffer ? SourceString->Buffer : empty;
    ULONG need;
    NTSTATUS st = RtlUnicodeToUTF8N(NULL, 0, &need, src, SourceString->Length & ~1u);
    if (need + 1 > AS_MAX)
        return STATUS_INVALID_PARAMETER_2;
    if (AllocateDestinationString) {
        PCHAR buf = mk_rtl_string_alloc(need + 1);
        if (!buf)
            return STATUS_NO_MEMORY;
        DestinationString->Buffer = buf;
        DestinationString->MaximumLength = (USHORT)(need + 1);
    } else if (need >= DestinationString->MaximumLength) {
        return STATUS_BUFFER_OVERFLOW;
    }
    ULONG got;
    st = RtlUnicodeToUTF8N(DestinationString->Buffer, DestinationString->MaximumLength, &got, src,
                           SourceString->Length & ~1u);
    DestinationString->Length = (USHORT)got;
    DestinationString->Buffer[got] = 0;
    return st;
}

/* ---- the ANSI code page ---- */
NTSTATUS RtlMultiByteToUnicodeN(PWCH UnicodeString, ULONG MaxBytesInUnicodeString, PULONG BytesInUnicodeString,
                                const CHAR *MultiByteString, ULONG BytesInMultiByteString)
{
    MK_ENTER("RtlMultiByteToUnicodeN");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlMultiByteToUnicodeN);
    ULONG n = MaxBytesInUnicodeString / sizeof(WCHAR);
    if (n > BytesInMultiByteString)
        n = BytesInMultiByteString;
    for (ULONG i = 0; i < n; i++)
        UnicodeString[i] = mk_ansi_to_wchar(MultiByteString[i]);
    if (BytesInUnicodeString)
        *BytesInUnicodeString = n * (ULONG)sizeof(WCHAR);
    return STATUS_SUCCESS;
}

NTSTATUS RtlMultiByteToUnicodeSize(PULONG BytesInUnicodeString, const CHAR *MultiByteString,
                                   ULONG BytesInMultiByteString)
{
    MK_ENTER("RtlMultiByteToUnicodeSize");
    MK_OBJ_FAULT(BytesInUnicodeString);
    (void)MultiByteString;
    *BytesInUnicodeString = BytesInMultiByteString * (ULONG)sizeof(WCHAR);
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeToMultiByteN(PCHAR MultiByteString, ULONG MaxBytesInMultiByteString,
                                PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)
{
    MK_ENTER("RtlUnicodeToMultiByteN");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUnicodeToMultiByteN);
    ULONG n = BytesInUnicodeString / sizeof(WCHAR);
    if (n > MaxBytesInMultiByteString)
        n = MaxBytesInMultiByteString;
    for (ULONG i = 0; i < n; i++)
        MultiByteString[i] = mk_wchar_to_ansi(UnicodeString[i]);
    if (BytesInMultiByteString)
        *BytesInMultiByteString = n;
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeToMultiByteSize(PULONG BytesInMultiByteString, PCWCH UnicodeString, ULONG BytesInUnicodeString)
{
    MK_ENTER("RtlUnicodeToMultiByteSize");
    MK_OBJ_FAULT(BytesInMultiByteString);
    (void)UnicodeString;
    *BytesInMultiByteString = BytesInUnicodeString / sizeof(WCHAR);
    return STATUS_SUCCESS;
}
