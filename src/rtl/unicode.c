/*
 * unicode.c -- UNICODE_STRING routines: RtlInitUnicodeString(Ex),
 * RtlCreateUnicodeString, RtlDuplicateUnicodeString, RtlCopyUnicodeString,
 * RtlAppendUnicodeToString, RtlAppendUnicodeStringToString,
 * RtlCompareUnicodeString(s), RtlEqualUnicodeString,
 * RtlPrefix/SuffixUnicodeString, RtlUpcase/DowncaseUnicodeString(Char),
 * RtlFreeUnicodeString, RtlIntegerToUnicodeString, RtlInt64ToUnicodeString,
 * RtlUnicodeStringToInteger, RtlUnicodeStringToInt64, RtlHashUnicodeString,
 * RtlStringFromGUID, RtlGUIDFromString, and the string allocator.
 *
 * Case mapping (docs/ddi-notes.md "Rtl strings"): the simple one-to-one
 * mappings of ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and
 * fullwidth Latin; other characters map to themselves.
 *
 * IRQL: the routines Microsoft documents for PASSIVE_LEVEL (those that
 * allocate, convert, compare or case-map) check it; the others allow
 * DISPATCH_LEVEL. A violation is bug check 0xA (routine, IRQL, 0, caller).
 */
#include "mk_machine.h"
#include "mk_rtl.h"

#include <string.h>

static mk_rtl_alloc_fn *_Atomic us_alloc_fn;
static mk_rtl_free_fn *_Atomic us_free_fn;

void mk_rtl_set_string_allocator(mk_rtl_alloc_fn *alloc, mk_rtl_free_fn *free_fn)
{
    atomic_store(&us_alloc_fn, alloc);
    atomic_store(&us_free_fn, free_fn);
}

void *mk_rtl_string_alloc(SIZE_T bytes)
{
    mk_rtl_alloc_fn *fn = atomic_load(&us_alloc_fn);
    return fn ? fn(bytes) : NULL;
}

void mk_rtl_string_free(void *p)
{
    mk_rtl_free_fn *fn = atomic_load(&us_free_fn);
    if (fn)
        fn(p);
}

static size_t us_wcslen(PCWSTR s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* ---- case mapping ---- */
WCHAR RtlUpcaseUnicodeChar(WCHAR c)
{
    if (c < 0x80)
        return (c >= 'a' && c <= 'z') ? (WCHAR)(c - 0x20) : c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7)
        return (WCHAR)(c - 0x20);
    if (c == 0xFF)
        return 0x178;
    if (c == 0xB5)
        return 0x39C;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x131)
            return 'I';
        if (c == 0x17F)
            return 'S';
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? c : (WCHAR)(c - 1);
        if (c == 0x130 || c == 0x138 || c == 0x149)
            return c;
        return (c & 1) ? (WCHAR)(c - 1) : c;
    }
    if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2)
        return (WCHAR)(c - 0x20);
    if (c == 0x3C2)
        return 0x3A3;
    if (c >= 0x430 && c <= 0x44F)
        return (WCHAR)(c - 0x20);
    if (c >= 0x450 && c <= 0x45F)
        return (WCHAR)(c - 0x50);
    if (c >= 0xFF41 && c <= 0xFF5A)
        return (WCHAR)(c - 0x20);
    return c;
}

WCHAR RtlDowncaseUnicodeChar(WCHAR c)
{
    if (c < 0x80)
        return (c >= 'A' && c <= 'Z') ? (WCHAR)(c + 0x20) : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
        return (WCHAR)(c + 0x20);
    if (c == 0x178)
        return 0xFF;
    if (c >= 0x100 && c <= 0x17F) {
        if (c == 0x130)
            return 'i';
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
            return (c & 1) ? (WCHAR)(c + 1) : c;
        if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17F)
            return c;
        return (c & 1) ? c : (WCHAR)(c + 1);
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2)
        return (WCHAR)(c + 0x20);
    if (c >= 0x410 && c <= 0x42F)
        return (WCHAR)(c + 0x20);
    if (c >= 0x400 && c <= 0x40F)
        return (WCHAR)(c + 0x50);
    if (c >= 0xFF21 && c <= 0xFF3A)
        return (WCHAR)(c + 0x20);
    return c;
}

/* ---- initialisation ---- */
void RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    MK_ENTER("RtlInitUnicodeString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    DestinationString->Buffer = (PWSTR)SourceString;
    if (!SourceString) {
        DestinationString->Length = DestinationString->MaximumLength = 0;
        return;
    }
    size_t bytes = us_wcslen(SourceString) * sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES - sizeof(WCHAR)) /* documented: truncated to the maximum */
        bytes = UNICODE_STRING_MAX_BYTES - sizeof(WCHAR);
    DestinationString->Length = (USHORT)bytes;
    DestinationString->MaximumLength = (USHORT)(bytes + sizeof(WCHAR));
}

NTSTATUS RtlInitUnicodeStringEx(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    MK_ENTER("RtlInitUnicodeStringEx");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlInitUnicodeStringEx);
    MK_OBJ_FAULT(DestinationString);
    DestinationString->Length = DestinationString->MaximumLength = 0;
    DestinationString->Buffer = (PWSTR)SourceString;
    if (!SourceString)
        return STATUS_SUCCESS;
    size_t bytes = us_wcslen(SourceString) * sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES - sizeof(WCHAR))
        return STATUS_NAME_TOO_LONG;
    DestinationString->Length = (USHORT)bytes;
    DestinationString->MaximumLength = (USHORT)(bytes + sizeof(WCHAR));
    return STATUS_SUCCESS;
}

BOOLEAN RtlCreateUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    MK_ENTER("RtlCreateUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlCreateUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    size_t bytes = (us_wcslen(SourceString) + 1) * sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES)
        return FALSE;
    PWSTR buf = mk_rtl_string_alloc(bytes);
    if (!buf)
        return FALSE;
    memcpy(buf, SourceString, bytes);
    DestinationString->Buffer = buf;
    DestinationString->Length = (USHORT)(bytes - sizeof(WCHAR));
    DestinationString->MaximumLength = (USHORT)bytes;
    return TRUE;
}

NTSTATUS RtlDuplicateUnicodeString(ULONG Flags, PCUNICODE_STRING StringIn, PUNICODE_STRING StringOut)
{
    MK_ENTER("RtlDuplicateUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlDuplicateUnicodeString);
    MK_OBJ_FAULT(StringIn);
    if (!StringIn || !StringOut ||
        (Flags & ~(ULONG)(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE |
                          RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)) ||
        (StringIn->Length & 1) || StringIn->Length > StringIn->MaximumLength ||
        (StringIn->Length && !StringIn->Buffer))
        return STATUS_INVALID_PARAMETER;
    if (StringIn->Length == 0 && !(Flags & RTL_DUPLICATE_UNICODE_STRING_ALLOCATE_NULL_STRING)) {
        StringOut->Length = StringOut->MaximumLength = 0;
        StringOut->Buffer = NULL;
        return STATUS_SUCCESS;
    }
    size_t bytes = StringIn->Length;
    if (Flags & RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE)
        bytes += sizeof(WCHAR);
    if (bytes > UNICODE_STRING_MAX_BYTES)
        return STATUS_NAME_TOO_LONG;
    if (bytes == 0)
        bytes = sizeof(WCHAR); /* an allocated empty string still has a buffer */
    PWSTR buf = mk_rtl_string_alloc(bytes);
    if (!buf)
        return STATUS_NO_MEMORY;
    if (StringIn->Length)
        memcpy(buf, StringIn->Buffer, StringIn->Length);
    if (bytes > StringIn->Length)
        buf[StringIn->Length / sizeof(WCHAR)] = 0;
    StringOut->Buffer = buf;
    StringOut->Length = StringIn->Length;
    StringOut->MaximumLength = (USHORT)bytes;
    return STATUS_SUCCESS;
}

void RtlFreeUnicodeString(PUNICODE_STRING UnicodeString)
{
    MK_ENTER("RtlFreeUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlFreeUnicodeString);
    MK_OBJ_FAULT(UnicodeString);
    if (UnicodeString->Buffer)
        mk_rtl_string_free(UnicodeString->Buffer);
    UnicodeString->Buffer = NULL;
    UnicodeString->Length = UnicodeString->MaximumLength = 0;
}

/* ---- copy and append ---- */
void mk_rtl_copy_counted(USHORT *dlen, USHORT dmax, void *dbuf, USHORT slen, const void *sbuf, int wide)
{
    size_t unit = wide ? sizeof(WCHAR) : 1;
    USHORT n = slen < dmax ? slen : dmax;
    n = (USHORT)(n - n % unit);
    if (n)
        memmove(dbuf, sbuf, n);
    *dlen = n;
    if ((size_t)n + unit <= dmax)
        memset((char *)dbuf + n, 0, unit);
}

void RtlCopyUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString)
{
    MK_ENTER("RtlCopyUnicodeString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlCopyUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    if (!SourceString) {
        DestinationString->Length = 0;
        return;
    }
    mk_rtl_copy_counted(&DestinationString->Length, DestinationString->MaximumLength, DestinationString->Buffer,
                        SourceString->Length, SourceString->Buffer, 1);
}

static NTSTATUS us_append(PUNICODE_STRING d, const WCHAR *src, size_t bytes)
{
    if (bytes == 0)
        return STATUS_SUCCESS;
    if ((size_t)d->Length + bytes > d->MaximumLength)
        return STATUS_BUFFER_TOO_SMALL;
    memmove((PUCHAR)d->Buffer + d->Length, src, bytes);
    d->Length = (USHORT)(d->Length + bytes);
    if ((size_t)d->Length + sizeof(WCHAR) <= d->MaximumLength)
        d->Buffer[d->Length / sizeof(WCHAR)] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS RtlAppendUnicodeToString(PUNICODE_STRING Destination, PCWSTR Source)
{
    MK_ENTER("RtlAppendUnicodeToString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlAppendUnicodeToString);
    MK_OBJ_FAULT(Destination);
    if (!Source)
        return STATUS_SUCCESS;
    return us_append(Destination, Source, us_wcslen(Source) * sizeof(WCHAR));
}

NTSTATUS RtlAppendUnicodeStringToString(PUNICODE_STRING Destination, PCUNICODE_STRING Source)
{
    MK_ENTER("RtlAppendUnicodeStringToString");
    MK_CHECK_IRQL_MAX(DISPATCH_LEVEL, RtlAppendUnicodeStringToString);
    MK_OBJ_FAULT(Destination);
    MK_OBJ_FAULT(Source);
    return us_append(Destination, Source->Buffer, Source->Length);
}

/* ---- comparison ---- */
LONG RtlCompareUnicodeStrings(PCWCH String1, SIZE_T String1Length, PCWCH String2, SIZE_T String2Length,
                              BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlCompareUnicodeStrings");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlCompareUnicodeStrings);
    MK_OBJ_FAULT(String1);
    SIZE_T n = String1Length < String2Length ? String1Length : String2Length;
    for (SIZE_T i = 0; i < n; i++) {
        WCHAR a = String1[i], b = String2[i];
        if (CaseInSensitive) {
            a = RtlUpcaseUnicodeChar(a);
            b = RtlUpcaseUnicodeChar(b);
        }
        if (a != b)
            return (LONG)a - (LONG)b;
    }
    return String1Length == String2Length ? 0 : String1Length < String2Length ? -1 : 1;
}

LONG RtlCompareUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlCompareUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlCompareUnicodeString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return RtlCompareUnicodeStrings(String1->Buffer, String1->Length / sizeof(WCHAR), String2->Buffer,
                                    String2->Length / sizeof(WCHAR), CaseInSensitive);
}

/* String1 against the String1->Length bytes of String2 that start `skip`
 * characters in. */
static BOOLEAN us_match(PCUNICODE_STRING String1, PCUNICODE_STRING String2, size_t skip, BOOLEAN CaseInSensitive)
{
    size_t n = String1->Length / sizeof(WCHAR);
    return RtlCompareUnicodeStrings(String1->Buffer, n, String2->Buffer + skip, n, CaseInSensitive) == 0;
}

BOOLEAN RtlEqualUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlEqualUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlEqualUnicodeString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return String1->Length == String2->Length && us_match(String1, String2, 0, CaseInSensitive);
}

BOOLEAN RtlPrefixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlPrefixUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlPrefixUnicodeString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return String1->Length <= String2->Length && us_match(String1, String2, 0, CaseInSensitive);
}

BOOLEAN RtlSuffixUnicodeString(PCUNICODE_STRING String1, PCUNICODE_STRING String2, BOOLEAN CaseInSensitive)
{
    MK_ENTER("RtlSuffixUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlSuffixUnicodeString);
    MK_OBJ_FAULT(String1);
    MK_OBJ_FAULT(String2);
    return String1->Length <= String2->Length &&
           us_match(String1, String2, (size_t)(String2->Length - String1->Length) / sizeof(WCHAR), CaseInSensitive);
}

/* ---- case conversion ---- */
static NTSTATUS us_map_case(PUNICODE_STRING d, PCUNICODE_STRING s, BOOLEAN allocate, WCHAR (*map)(WCHAR))
{
    if (allocate) {
        PWSTR buf = mk_rtl_string_alloc(s->Length ? s->Length : sizeof(WCHAR));
        if (!buf)
            return STATUS_NO_MEMORY;
        d->Buffer = buf;
        d->MaximumLength = s->Length;
    } else if (s->Length > d->MaximumLength) {
        return STATUS_BUFFER_OVERFLOW;
    }
    size_t n = s->Length / sizeof(WCHAR);
    for (size_t i = 0; i < n; i++)
        d->Buffer[i] = map(s->Buffer[i]);
    d->Length = (USHORT)(n * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS RtlUpcaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlUpcaseUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUpcaseUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    return us_map_case(DestinationString, SourceString, AllocateDestinationString, RtlUpcaseUnicodeChar);
}

NTSTATUS RtlDowncaseUnicodeString(PUNICODE_STRING DestinationString, PCUNICODE_STRING SourceString,
                                  BOOLEAN AllocateDestinationString)
{
    MK_ENTER("RtlDowncaseUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlDowncaseUnicodeString);
    MK_OBJ_FAULT(DestinationString);
    MK_OBJ_FAULT(SourceString);
    return us_map_case(DestinationString, SourceString, AllocateDestinationString, RtlDowncaseUnicodeChar);
}

/* ---- integers ---- */
static int us_digits(ULONGLONG v, ULONG base, char *out)
{
    char tmp[65];
    int n = 0;
    do {
        tmp[n++] = "0123456789ABCDEF"[v % base];
        v /= base;
    } while (v);
    for (int i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static NTSTATUS us_int_to_string(ULONGLONG value, ULONG base, PUNICODE_STRING s)
{
    if (base == 0)
        base = 10;
    if (base != 2 && base != 8 && base != 10 && base != 16)
        return STATUS_INVALID_PARAMETER;
    char d[65];
    int n = us_digits(value, base, d);
    if ((size_t)n * sizeof(WCHAR) > s->MaximumLength)
        return STATUS_BUFFER_OVERFLOW;
    for (int i = 0; i < n; i++)
        s->Buffer[i] = (WCHAR)d[i];
    s->Length = (USHORT)(n * sizeof(WCHAR));
    if ((size_t)s->Length + sizeof(WCHAR) <= s->MaximumLength)
        s->Buffer[n] = 0;
    return STATUS_SUCCESS;
}

NTSTATUS RtlIntegerToUnicodeString(ULONG Value, ULONG Base, PUNICODE_STRING String)
{
    MK_ENTER("RtlIntegerToUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlIntegerToUnicodeString);
    MK_OBJ_FAULT(String);
    return us_int_to_string(Value, Base, String);
}

NTSTATUS RtlInt64ToUnicodeString(ULONGLONG Value, ULONG Base, PUNICODE_STRING String)
{
    MK_ENTER("RtlInt64ToUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlInt64ToUnicodeString);
    MK_OBJ_FAULT(String);
    return us_int_to_string(Value, Base, String);
}

NTSTATUS RtlIntegerToChar(ULONG Value, ULONG Base, LONG OutputLength, PSTR String)
{
    MK_ENTER("RtlIntegerToChar");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlIntegerToChar);
    if (Base == 0)
        Base = 10;
    if (Base != 2 && Base != 8 && Base != 10 && Base != 16)
        return STATUS_INVALID_PARAMETER;
    char d[65];
    int n = us_digits(Value, Base, d);
    if (OutputLength < 0) /* unbounded buffer: the digits and a NUL */
        OutputLength = n + 1;
    if (n > OutputLength)
        return STATUS_BUFFER_OVERFLOW;
    memcpy(String, d, (size_t)n);
    if (n < OutputLength)
        String[n] = 0;
    return STATUS_SUCCESS;
}

/* Shared by the Unicode and ANSI parsers (mk_rtl.h). */
NTSTATUS mk_rtl_parse_integer(const void *s, size_t n, int wide, ULONG base, ULONGLONG *value, size_t *used)
{
#define AT(k) (wide ? ((const WCHAR *)s)[k] : (unsigned char)((const char *)s)[k])
    if (base != 0 && base != 2 && base != 8 && base != 10 && base != 16)
        return STATUS_INVALID_PARAMETER;
    size_t i = 0;
    while (i < n && AT(i) <= ' ' && AT(i) != 0)
        i++;
    int neg = 0;
    if (i < n && (AT(i) == '+' || AT(i) == '-')) {
        neg = AT(i) == '-';
        i++;
    }
    if (base == 0) {
        base = 10;
        if (i + 1 < n && AT(i) == '0') {
            unsigned p = AT(i + 1);
            if (p == 'x' || p == 'X')
                base = 16;
            else if (p == 'o' || p == 'O')
                base = 8;
            else if (p == 'b' || p == 'B')
                base = 2;
            if (base != 10)
                i += 2;
        }
    }
    ULONGLONG v = 0;
    while (i < n) {
        unsigned c = AT(i), d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        if (d >= base)
            break;
        v = v * base + d;
        i++;
    }
    *value = neg ? (ULONGLONG)0 - v : v;
    if (used)
        *used = i;
    return STATUS_SUCCESS;
#undef AT
}

NTSTATUS RtlUnicodeStringToInteger(PCUNICODE_STRING String, ULONG Base, PULONG Value)
{
    MK_ENTER("RtlUnicodeStringToInteger");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUnicodeStringToInteger);
    MK_OBJ_FAULT(String);
    ULONGLONG v;
    NTSTATUS st = mk_rtl_parse_integer(String->Buffer, String->Length / sizeof(WCHAR), 1, Base, &v, NULL);
    if (!NT_SUCCESS(st))
        return st;
    if (!Value)
        return STATUS_ACCESS_VIOLATION;
    *Value = (ULONG)v;
    return STATUS_SUCCESS;
}

NTSTATUS RtlUnicodeStringToInt64(PCUNICODE_STRING String, ULONG Base, PLONG64 Number, PWSTR *EndPointer)
{
    MK_ENTER("RtlUnicodeStringToInt64");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlUnicodeStringToInt64);
    MK_OBJ_FAULT(String);
    ULONGLONG v;
    size_t used;
    NTSTATUS st = mk_rtl_parse_integer(String->Buffer, String->Length / sizeof(WCHAR), 1, Base, &v, &used);
    if (!NT_SUCCESS(st))
        return st;
    if (!Number)
        return STATUS_ACCESS_VIOLATION;
    *Number = (LONG64)v;
    if (EndPointer)
        *EndPointer = String->Buffer + used;
    return STATUS_SUCCESS;
}

/* ---- hashing ---- */
NTSTATUS RtlHashUnicodeString(PCUNICODE_STRING String, BOOLEAN CaseInSensitive, ULONG HashAlgorithm,
                              PULONG HashValue)
{
    MK_ENTER("RtlHashUnicodeString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlHashUnicodeString);
    if (!String || !HashValue)
        return STATUS_INVALID_PARAMETER;
    if (HashAlgorithm != HASH_STRING_ALGORITHM_DEFAULT && HashAlgorithm != HASH_STRING_ALGORITHM_X65599)
        return STATUS_INVALID_PARAMETER;
    ULONG h = 0;
    for (size_t i = 0; i < String->Length / sizeof(WCHAR); i++) {
        WCHAR c = String->Buffer[i];
        if (CaseInSensitive)
            c = RtlUpcaseUnicodeChar(c);
        h = h * 65599 + c;
    }
    *HashValue = h;
    return STATUS_SUCCESS;
}

/* ---- GUIDs: "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}" with upper-case hex ---- */
NTSTATUS RtlStringFromGUID(const GUID *Guid, PUNICODE_STRING GuidString)
{
    MK_ENTER("RtlStringFromGUID");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlStringFromGUID);
    MK_OBJ_FAULT(GuidString);
    const size_t chars = 38;
    PWSTR buf = mk_rtl_string_alloc((chars + 1) * sizeof(WCHAR));
    if (!buf)
        return STATUS_NO_MEMORY;
    static const char hex[] = "0123456789ABCDEF";
    UCHAR bytes[16];
    bytes[0] = (UCHAR)(Guid->Data1 >> 24);
    bytes[1] = (UCHAR)(Guid->Data1 >> 16);
    bytes[2] = (UCHAR)(Guid->Data1 >> 8);
    bytes[3] = (UCHAR)Guid->Data1;
    bytes[4] = (UCHAR)(Guid->Data2 >> 8);
    bytes[5] = (UCHAR)Guid->Data2;
    bytes[6] = (UCHAR)(Guid->Data3 >> 8);
    bytes[7] = (UCHAR)Guid->Data3;
    memcpy(bytes + 8, Guid->Data4, 8);
    size_t k = 0;
    buf[k++] = '{';
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            buf[k++] = '-';
        buf[k++] = (WCHAR)hex[bytes[i] >> 4];
        buf[k++] = (WCHAR)hex[bytes[i] & 15];
    }
    buf[k++] = '}';
    buf[k] = 0;
    GuidString->Buffer = buf;
    GuidString->Length = (USHORT)(chars * sizeof(WCHAR));
    GuidString->MaximumLength = (USHORT)((chars + 1) * sizeof(WCHAR));
    return STATUS_SUCCESS;
}

NTSTATUS RtlGUIDFromString(PCUNICODE_STRING GuidString, GUID *Guid)
{
    MK_ENTER("RtlGUIDFromString");
    MK_CHECK_IRQL_MAX(PASSIVE_LEVEL, RtlGUIDFromString);
    if (!GuidString || !Guid || GuidString->Length != 38 * sizeof(WCHAR) || !GuidString->Buffer)
        return STATUS_INVALID_PARAMETER;
    const WCHAR *s = GuidString->Buffer;
    if (s[0] != '{' || s[37] != '}')
        return STATUS_INVALID_PARAMETER;
    UCHAR bytes[16];
    size_t k = 1;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            if (s[k] != '-')
                return STATUS_INVALID_PARAMETER;
            k++;
        }
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            WCHAR c = s[k++];
            unsigned d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return STATUS_INVALID_PARAMETER;
            v = v * 16 + d;
        }
        bytes[i] = (UCHAR)v;
    }
    Guid->Data1 = ((unsigned)bytes[0] << 24) | ((unsigned)bytes[1] << 16) | ((unsigned)bytes[2] << 8) | bytes[3];
    Guid->Data2 = (unsigned short)((bytes[4] << 8) | bytes[5]);
    Guid->Data3 = (unsigned short)((bytes[6] << 8) | bytes[7]);
    memcpy(Guid->Data4, bytes + 8, 8);
    return STATUS_SUCCESS;
}
