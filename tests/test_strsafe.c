/* ntstrsafe.h: the RtlStringCch* / RtlStringCb* families (A and W) and the
 * RtlUnicodeString* functions, their documented results and flags. */
#define NTSTRSAFE_NO_DEPRECATE
#include "testutil.h"
#include <ntstrsafe.h>

static void test_copy(void **state)
{
    (void)state;
    char d[8];
    assert_int_equal(RtlStringCchCopyA(d, sizeof d, "hello"), STATUS_SUCCESS);
    assert_string_equal(d, "hello");
    assert_int_equal(RtlStringCchCopyA(d, sizeof d, "too long text"), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "too lon"); /* truncated, NUL-terminated */
    assert_int_equal(RtlStringCchCopyA(d, 0, "x"), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlStringCchCopyA(d, (size_t)NTSTRSAFE_MAX_CCH + 1, "x"), STATUS_INVALID_PARAMETER);
    assert_int_equal(d[0], 0);
    WCHAR w[4];
    assert_int_equal(RtlStringCbCopyW(w, sizeof w, L"abc"), STATUS_SUCCESS);
    assert_memory_equal(w, L"abc", 8);
    assert_int_equal(RtlStringCbCopyW(w, sizeof w, L"abcd"), STATUS_BUFFER_OVERFLOW);
    assert_memory_equal(w, L"abc", 8);
    assert_int_equal(RtlStringCchCopyNA(d, sizeof d, "abcdef", 3), STATUS_SUCCESS);
    assert_string_equal(d, "abc");
    assert_int_equal(RtlStringCbCopyNW(w, sizeof w, L"xyz", 2 * sizeof(WCHAR)), STATUS_SUCCESS);
    assert_memory_equal(w, L"xy", 6);
    assert_int_equal(RtlStringCchCopyNA(d, sizeof d, "abc", (size_t)NTSTRSAFE_MAX_CCH + 1), STATUS_INVALID_PARAMETER);
}

static void test_copy_ex_flags(void **state)
{
    (void)state;
    char d[8];
    char *end = NULL;
    size_t rem = 0;
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "abc", &end, &rem, STRSAFE_FILL_BEHIND_NULL | 0x5A),
                     STATUS_SUCCESS);
    assert_ptr_equal(end, d + 3);
    assert_int_equal(rem, 5);
    assert_int_equal(d[3], 0);
    assert_int_equal((unsigned char)d[4], 0x5A);
    assert_int_equal((unsigned char)d[7], 0x5A);
    /* NULL source with STRSAFE_IGNORE_NULLS is an empty string */
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, NULL, &end, &rem, STRSAFE_IGNORE_NULLS), STATUS_SUCCESS);
    assert_string_equal(d, "");
    assert_int_equal(rem, 8);
    /* failures */
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "0123456789", &end, &rem, STRSAFE_NULL_ON_FAILURE),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "");
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "0123456789", &end, &rem, STRSAFE_FILL_ON_FAILURE | '*'),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "*******");
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "0123456789", &end, &rem, STRSAFE_NO_TRUNCATION),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "");
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "0123456789", &end, &rem, 0), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "0123456");
    assert_ptr_equal(end, d + 7);
    assert_int_equal(rem, 1);
    assert_int_equal(RtlStringCchCopyExA(d, sizeof d, "x", &end, &rem, 0x100000), STATUS_INVALID_PARAMETER);
    WCHAR w[6];
    WCHAR *wend;
    size_t wrem;
    assert_int_equal(RtlStringCbCopyExW(w, sizeof w, L"ab", &wend, &wrem, 0), STATUS_SUCCESS);
    assert_int_equal(wrem, 4 * sizeof(WCHAR)); /* Cb: bytes */
    assert_ptr_equal(wend, w + 2);
}

static void test_cat(void **state)
{
    (void)state;
    char d[8] = "ab";
    assert_int_equal(RtlStringCchCatA(d, sizeof d, "cd"), STATUS_SUCCESS);
    assert_string_equal(d, "abcd");
    assert_int_equal(RtlStringCchCatA(d, sizeof d, "efghij"), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "abcdefg");
    strcpy(d, "ab");
    assert_int_equal(RtlStringCchCatExA(d, sizeof d, "efghijk", NULL, NULL, STRSAFE_NO_TRUNCATION),
                     STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "ab"); /* left as it was */
    assert_int_equal(RtlStringCchCatNA(d, sizeof d, "xyz", 1), STATUS_SUCCESS);
    assert_string_equal(d, "abx");
    memset(d, 'z', sizeof d); /* no NUL anywhere: nothing to append to */
    assert_int_equal(RtlStringCchCatA(d, sizeof d, "q"), STATUS_INVALID_PARAMETER);
    WCHAR w[8] = L"a";
    assert_int_equal(RtlStringCbCatW(w, sizeof w, L"bc"), STATUS_SUCCESS);
    assert_memory_equal(w, L"abc", 8);
    assert_int_equal(RtlStringCbCatNW(w, sizeof w, L"defg", 2 * sizeof(WCHAR)), STATUS_SUCCESS);
    assert_memory_equal(w, L"abcde", 12);
}

static void test_printf(void **state)
{
    (void)state;
    char d[32];
    UNICODE_STRING us = RTL_CONSTANT_STRING(L"Dev");
    ANSI_STRING as = RTL_CONSTANT_STRING("ans");
    assert_int_equal(RtlStringCchPrintfA(d, sizeof d, "%wZ/%Z %ws %I64x %lu", &us, &as, L"w", 0x1234567890ULL, 7UL),
                     STATUS_SUCCESS);
    assert_string_equal(d, "Dev/ans w 1234567890 7");
    assert_int_equal(RtlStringCchPrintfA(d, 6, "%d-%d", 1234, 5678), STATUS_BUFFER_OVERFLOW);
    assert_string_equal(d, "1234-");
    WCHAR w[16];
    assert_int_equal(RtlStringCbPrintfW(w, sizeof w, L"%s=%d %S", L"k", 42, "n"), STATUS_SUCCESS);
    assert_memory_equal(w, L"k=42 n", 14);
    WCHAR *end;
    size_t rem;
    assert_int_equal(RtlStringCchPrintfExW(w, 16, &end, &rem, 0, L"%04x", 0xab), STATUS_SUCCESS);
    assert_memory_equal(w, L"00ab", 10);
    assert_int_equal(rem, 12);
    assert_int_equal(RtlStringCchPrintfA(d, sizeof d, "%p", (void *)0x1234), STATUS_SUCCESS);
    assert_string_equal(d, "0000000000001234");
    assert_int_equal(RtlStringCchPrintfA(d, 0, "x"), STATUS_INVALID_PARAMETER);
}

static void test_length(void **state)
{
    (void)state;
    size_t n = 99;
    assert_int_equal(RtlStringCchLengthA("abc", 10, &n), STATUS_SUCCESS);
    assert_int_equal(n, 3);
    assert_int_equal(RtlStringCchLengthA("abc", 3, &n), STATUS_INVALID_PARAMETER);
    assert_int_equal(n, 0);
    assert_int_equal(RtlStringCbLengthW(L"abcd", 20, &n), STATUS_SUCCESS);
    assert_int_equal(n, 8);
    assert_int_equal(RtlStringCchLengthW(NULL, 5, &n), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlStringCchLengthA("x", (size_t)NTSTRSAFE_MAX_CCH + 1, &n), STATUS_INVALID_PARAMETER);
}

static void test_unicode_string(void **state)
{
    (void)state;
    UNICODE_STRING s;
    assert_int_equal(RtlUnicodeStringInit(&s, L"abc"), STATUS_SUCCESS);
    assert_int_equal(s.Length, 6);
    assert_int_equal(s.MaximumLength, 8);
    assert_int_equal(RtlUnicodeStringValidate(&s), STATUS_SUCCESS);
    UNICODE_STRING bad = {3, 8, s.Buffer};
    assert_int_equal(RtlUnicodeStringValidate(&bad), STATUS_INVALID_PARAMETER);
    bad.Length = 10;
    bad.MaximumLength = 8;
    assert_int_equal(RtlUnicodeStringValidate(&bad), STATUS_INVALID_PARAMETER);
    UNICODE_STRING nul = {2, 2, NULL};
    assert_int_equal(RtlUnicodeStringValidate(&nul), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringValidateEx(NULL, STRSAFE_IGNORE_NULL_UNICODE_STRINGS), STATUS_SUCCESS);

    WCHAR buf[6];
    UNICODE_STRING d = {0, sizeof buf, buf};
    assert_int_equal(RtlUnicodeStringCopyString(&d, L"hey"), STATUS_SUCCESS);
    assert_int_equal(d.Length, 6);
    assert_int_equal(RtlUnicodeStringCatString(&d, L"you"), STATUS_SUCCESS);
    assert_int_equal(d.Length, 12);
    assert_memory_equal(buf, L"heyyou", 12);
    assert_int_equal(RtlUnicodeStringCatString(&d, L"!"), STATUS_INVALID_PARAMETER); /* already full */
    assert_int_equal(d.Length, 12);
    assert_int_equal(RtlUnicodeStringCopy(&d, &s), STATUS_SUCCESS);
    assert_int_equal(d.Length, 6);
    assert_int_equal(RtlUnicodeStringCatString(&d, L"d"), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringCat(&d, &s), STATUS_BUFFER_OVERFLOW); /* "ab" fits */
    assert_int_equal(d.Length, 12);
    assert_memory_equal(buf, L"abcdab", 12);
    UNICODE_STRING rem;
    assert_int_equal(RtlUnicodeStringCopyStringEx(&d, L"toolong!", &rem, STRSAFE_NO_TRUNCATION),
                     STATUS_BUFFER_OVERFLOW);
    assert_int_equal(d.Length, 0);
    assert_int_equal(RtlUnicodeStringCopyStringEx(&d, L"ab", &rem, 0), STATUS_SUCCESS);
    assert_ptr_equal(rem.Buffer, buf + 2);
    assert_int_equal(rem.MaximumLength, 8);
    assert_int_equal(RtlUnicodeStringCchCopyStringN(&d, L"abcdef", 2), STATUS_SUCCESS);
    assert_int_equal(d.Length, 4);
    assert_int_equal(RtlUnicodeStringCchCatN(&d, &s, 1), STATUS_SUCCESS);
    assert_int_equal(d.Length, 6);
    assert_int_equal(RtlUnicodeStringCbCopyStringN(&d, L"wxyz", 3 * sizeof(WCHAR)), STATUS_SUCCESS);
    assert_int_equal(d.Length, 6);
    assert_int_equal(RtlUnicodeStringCbCatN(&d, &s, 2 * sizeof(WCHAR)), STATUS_SUCCESS);
    assert_int_equal(d.Length, 10);
    assert_int_equal(RtlUnicodeStringCchCopyN(&d, &s, NTSTRSAFE_UNICODE_STRING_MAX_CCH + 1), STATUS_INVALID_PARAMETER);
    /* documented: a full destination to append to, or no room at all */
    assert_int_equal(RtlUnicodeStringCatString(&d, L"q"), STATUS_SUCCESS);
    assert_int_equal(d.Length, 12);
    assert_int_equal(RtlUnicodeStringCatString(&d, L"r"), STATUS_INVALID_PARAMETER);
    UNICODE_STRING zero = {0, 0, buf};
    assert_int_equal(RtlUnicodeStringCopyString(&zero, L"r"), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeStringCopyString(&zero, L""), STATUS_SUCCESS);
    assert_int_equal(RtlUnicodeStringPrintf(&d, L"%d-%wZ", 7, &s), STATUS_SUCCESS);
    assert_int_equal(d.Length, 10);
    assert_memory_equal(buf, L"7-abc", 10);
    assert_int_equal(RtlUnicodeStringPrintf(&d, L"%s", L"1234567"), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(d.Length, 12);
    assert_int_equal(RtlUnicodeStringPrintfEx(&d, NULL, STRSAFE_ZERO_LENGTH_ON_FAILURE, L"%s", L"1234567"),
                     STATUS_BUFFER_OVERFLOW);
    assert_int_equal(d.Length, 0);
    assert_int_equal(RtlUnicodeStringCopyString(&bad, L"x"), STATUS_INVALID_PARAMETER);
    WCHAR c[8];
    assert_int_equal(RtlStringCchCopyUnicodeString(c, 8, &s), STATUS_SUCCESS);
    assert_memory_equal(c, L"abc", 8);
    assert_int_equal(RtlStringCchCatUnicodeString(c, 8, &s), STATUS_SUCCESS);
    assert_memory_equal(c, L"abcabc", 14);
    assert_int_equal(RtlStringCchCatUnicodeString(c, 8, &s), STATUS_BUFFER_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copy),   cmocka_unit_test(test_copy_ex_flags), cmocka_unit_test(test_cat),
        cmocka_unit_test(test_printf), cmocka_unit_test(test_length),        cmocka_unit_test(test_unicode_string),
    };
    return cmocka_run_group_tests_name("strsafe", tests, mk_test_setup, mk_test_teardown);
}
