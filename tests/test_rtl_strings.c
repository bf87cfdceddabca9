/* Rtl string routines: UNICODE_STRING / ANSI_STRING / UTF-8, conversions,
 * integers, GUIDs, hashing, their pool allocations (tag "Strg") and IRQL
 * rules. */
#include "testutil.h"

static const WCHAR *const kHello = L"Hello";

static void test_init_strings(void **state)
{
    (void)state;
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, kHello);
    assert_int_equal(u.Length, 10);
    assert_int_equal(u.MaximumLength, 12);
    assert_ptr_equal(u.Buffer, kHello);
    RtlInitUnicodeString(&u, NULL);
    assert_int_equal(u.Length, 0);
    assert_int_equal(u.MaximumLength, 0);
    assert_null(u.Buffer);

    ANSI_STRING a;
    RtlInitAnsiString(&a, "abc");
    assert_int_equal(a.Length, 3);
    assert_int_equal(a.MaximumLength, 4);
    STRING s;
    RtlInitString(&s, NULL);
    assert_int_equal(s.Length, 0);
    assert_int_equal(RtlInitAnsiStringEx(&a, "xyz"), STATUS_SUCCESS);
    assert_int_equal(a.Length, 3);

    UNICODE_STRING c = RTL_CONSTANT_STRING(L"const");
    assert_int_equal(c.Length, 10);
    assert_int_equal(c.MaximumLength, 12);
    DECLARE_CONST_UNICODE_STRING(dc, L"ab");
    assert_int_equal(dc.Length, 4);
    DECLARE_UNICODE_STRING_SIZE(sized, 8);
    assert_int_equal(sized.Length, 0);
    assert_int_equal(sized.MaximumLength, 16);
    WCHAR buf[4];
    RtlInitEmptyUnicodeString(&u, buf, sizeof buf);
    assert_int_equal(u.MaximumLength, 8);
    assert_int_equal(u.Length, 0);
}

/* Too long for a UNICODE_STRING: RtlInitUnicodeString truncates to the
 * maximum (0xFFFC/0xFFFE), RtlInitUnicodeStringEx fails. */
static void test_init_too_long(void **state)
{
    (void)state;
    size_t n = 40000;
    WCHAR *big = calloc(n + 1, sizeof(WCHAR));
    for (size_t i = 0; i < n; i++)
        big[i] = 'x';
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, big);
    assert_int_equal(u.Length, 0xFFFC);
    assert_int_equal(u.MaximumLength, 0xFFFE);
    assert_int_equal(RtlInitUnicodeStringEx(&u, big), STATUS_NAME_TOO_LONG);
    char *abig = calloc(70000, 1);
    memset(abig, 'a', 69999);
    ANSI_STRING a;
    assert_int_equal(RtlInitAnsiStringEx(&a, abig), STATUS_NAME_TOO_LONG);
    assert_int_equal(RtlInitStringEx(&a, abig), STATUS_NAME_TOO_LONG);
    free(abig);
    free(big);
}

static void test_copy_append_compare(void **state)
{
    (void)state;
    WCHAR buf[8];
    UNICODE_STRING d, s;
    RtlInitEmptyUnicodeString(&d, buf, sizeof buf);
    RtlInitUnicodeString(&s, L"abc");
    RtlCopyUnicodeString(&d, &s);
    assert_int_equal(d.Length, 6);
    assert_int_equal(buf[3], 0); /* room left: NUL-terminated */
    assert_int_equal(RtlAppendUnicodeToString(&d, L"de"), STATUS_SUCCESS);
    assert_int_equal(d.Length, 10);
    assert_memory_equal(buf, L"abcde", 10);
    /* 5 + 4 > 8 characters: refused, nothing changed */
    assert_int_equal(RtlAppendUnicodeToString(&d, L"fghi"), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(d.Length, 10);
    RtlInitUnicodeString(&s, L"xyz");
    assert_int_equal(RtlAppendUnicodeStringToString(&d, &s), STATUS_SUCCESS);
    assert_int_equal(d.Length, 16); /* full: no NUL */
    assert_int_equal(RtlAppendUnicodeStringToString(&d, &s), STATUS_BUFFER_TOO_SMALL);
    /* copy into a smaller buffer truncates */
    WCHAR small[2];
    UNICODE_STRING sm;
    RtlInitEmptyUnicodeString(&sm, small, sizeof small);
    RtlCopyUnicodeString(&sm, &d);
    assert_int_equal(sm.Length, 4);
    RtlCopyUnicodeString(&sm, NULL);
    assert_int_equal(sm.Length, 0);

    UNICODE_STRING a, b;
    RtlInitUnicodeString(&a, L"Driver");
    RtlInitUnicodeString(&b, L"DRIVER");
    assert_true(RtlCompareUnicodeString(&a, &b, FALSE) > 0);
    assert_int_equal(RtlCompareUnicodeString(&a, &b, TRUE), 0);
    assert_false(RtlEqualUnicodeString(&a, &b, FALSE));
    assert_true(RtlEqualUnicodeString(&a, &b, TRUE));
    RtlInitUnicodeString(&b, L"Drive");
    assert_true(RtlCompareUnicodeString(&a, &b, FALSE) > 0);
    assert_true(RtlPrefixUnicodeString(&b, &a, FALSE));
    assert_false(RtlPrefixUnicodeString(&a, &b, FALSE));
    RtlInitUnicodeString(&b, L"VER");
    assert_true(RtlSuffixUnicodeString(&b, &a, TRUE));

    STRING x, y;
    RtlInitString(&x, "abc");
    RtlInitString(&y, "ABC");
    assert_true(RtlEqualString(&x, &y, TRUE));
    assert_false(RtlEqualString(&x, &y, FALSE));
    assert_true(RtlCompareString(&x, &y, FALSE) > 0);
    RtlInitString(&y, "ab");
    assert_true(RtlPrefixString(&y, &x, FALSE));
    char cb[8];
    STRING cs = {0, sizeof cb, cb};
    RtlCopyString(&cs, &x);
    assert_int_equal(cs.Length, 3);
    assert_string_equal(cb, "abc");
    assert_int_equal(RtlAppendStringToString(&cs, &y), STATUS_SUCCESS);
    assert_int_equal(cs.Length, 5);
    assert_int_equal(RtlAppendStringToString(&cs, &x), STATUS_SUCCESS); /* exactly full: no NUL */
    assert_int_equal(cs.Length, 8);
    assert_int_equal(RtlAppendStringToString(&cs, &y), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(cs.Length, 8);
}

static void test_case(void **state)
{
    (void)state;
    assert_int_equal(RtlUpcaseUnicodeChar(L'a'), L'A');
    assert_int_equal(RtlUpcaseUnicodeChar(0x00E9), 0x00C9); /* e acute */
    assert_int_equal(RtlUpcaseUnicodeChar(0x0430), 0x0410); /* Cyrillic a */
    assert_int_equal(RtlUpcaseUnicodeChar(0x03B1), 0x0391); /* Greek alpha */
    assert_int_equal(RtlDowncaseUnicodeChar(L'Q'), L'q');
    assert_int_equal(RtlUpcaseUnicodeChar(L'1'), L'1');
    WCHAR buf[3];
    UNICODE_STRING d = {0, sizeof buf, buf}, s;
    RtlInitUnicodeString(&s, L"abc");
    assert_int_equal(RtlUpcaseUnicodeString(&d, &s, FALSE), STATUS_SUCCESS);
    assert_memory_equal(buf, L"ABC", 6);
    RtlInitUnicodeString(&s, L"abcd");
    assert_int_equal(RtlUpcaseUnicodeString(&d, &s, FALSE), STATUS_BUFFER_OVERFLOW);
    UNICODE_STRING alloc;
    assert_int_equal(RtlDowncaseUnicodeString(&alloc, &s, TRUE), STATUS_SUCCESS);
    assert_int_equal(alloc.Length, 8);
    assert_memory_equal(alloc.Buffer, L"abcd", 8);
    RtlFreeUnicodeString(&alloc);
    assert_null(alloc.Buffer);
    assert_int_equal(RtlUpperChar('z'), 'Z');
}

static void test_conversions(void **state)
{
    (void)state;
    ANSI_STRING a;
    RtlInitAnsiString(&a, "Caf\xe9");
    assert_int_equal(RtlxAnsiStringToUnicodeSize(&a), 10);
    UNICODE_STRING u;
    mdlkit_pool_tag_usage before, after;
    int had = mdlkit_pool_usage_tag('grtS', &before);
    assert_int_equal(RtlAnsiStringToUnicodeString(&u, &a, TRUE), STATUS_SUCCESS);
    assert_int_equal(u.Length, 8);
    assert_int_equal(u.MaximumLength, 10);
    assert_int_equal(u.Buffer[3], 0xE9);
    assert_int_equal(u.Buffer[4], 0);
    /* the buffer is paged pool tagged "Strg", so a leak shows in pool tracking */
    assert_int_equal(mdlkit_pool_usage_tag('grtS', &after), 1);
    assert_int_equal(after.paged_outstanding, (had ? before.paged_outstanding : 0) + 1);

    ANSI_STRING back;
    assert_int_equal(RtlxUnicodeStringToAnsiSize(&u), 5);
    assert_int_equal(RtlUnicodeStringToAnsiString(&back, &u, TRUE), STATUS_SUCCESS);
    assert_int_equal(back.Length, 4);
    assert_string_equal(back.Buffer, "Caf\xe9");
    RtlFreeAnsiString(&back);
    /* a character the code page lacks becomes '?' */
    UNICODE_STRING w;
    RtlInitUnicodeString(&w, L"a\x4E2D");
    char cb[3];
    ANSI_STRING cs = {0, sizeof cb, cb};
    assert_int_equal(RtlUnicodeStringToAnsiString(&cs, &w, FALSE), STATUS_SUCCESS);
    assert_string_equal(cb, "a?");
    /* too small without allocation: truncated, STATUS_BUFFER_OVERFLOW */
    char tiny[2];
    ANSI_STRING ts = {0, sizeof tiny, tiny};
    assert_int_equal(RtlUnicodeStringToAnsiString(&ts, &u, FALSE), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(ts.Length, 1);
    assert_string_equal(tiny, "C");
    WCHAR wb[4];
    UNICODE_STRING ws = {0, sizeof wb, wb};
    assert_int_equal(RtlAnsiStringToUnicodeString(&ws, &a, FALSE), STATUS_BUFFER_OVERFLOW);
    RtlFreeUnicodeString(&u);
    assert_int_equal(mdlkit_pool_usage_tag('grtS', &after), 1);
    assert_int_equal(after.paged_outstanding, had ? before.paged_outstanding : 0);

    UNICODE_STRING cr;
    assert_true(RtlCreateUnicodeString(&cr, L"created"));
    assert_int_equal(cr.Length, 14);
    assert_int_equal(cr.MaximumLength, 16);
    UNICODE_STRING dup;
    assert_int_equal(RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, &cr, &dup),
                     STATUS_SUCCESS);
    assert_int_equal(dup.Length, 14);
    assert_int_equal(dup.Buffer[7], 0);
    assert_int_equal(RtlDuplicateUnicodeString(0x10, &cr, &dup), STATUS_INVALID_PARAMETER);
    RtlFreeUnicodeString(&dup);
    RtlFreeUnicodeString(&cr);
    /* a buffer the driver allocated with its own tag is freed too (untagged free) */
    UNICODE_STRING own = {0, 8, ExAllocatePoolWithTag(PagedPool, 8, 'nwOT')};
    assert_non_null(own.Buffer);
    RtlFreeUnicodeString(&own);
    assert_null(own.Buffer);
    UNICODE_STRING empty = {0, 0, NULL};
    assert_int_equal(RtlDuplicateUnicodeString(0, &empty, &dup), STATUS_SUCCESS);
    assert_null(dup.Buffer);
}

static void test_utf8(void **state)
{
    (void)state;
    const WCHAR src[] = {'A', 0xE9, 0x20AC, 0xD83D, 0xDE00}; /* A, e acute, euro, U+1F600 */
    char out[16];
    ULONG n = 0;
    assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, &n, src, sizeof src), STATUS_SUCCESS);
    assert_int_equal(n, 1 + 2 + 3 + 4);
    assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &n, src, sizeof src), STATUS_SUCCESS);
    assert_memory_equal(out, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10);
    assert_int_equal(RtlUnicodeToUTF8N(out, 4, &n, src, sizeof src), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(n, 3);
    const WCHAR lone[] = {0xD800, 'x'};
    assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &n, lone, sizeof lone), STATUS_SOME_NOT_MAPPED);
    assert_memory_equal(out, "\xEF\xBF\xBDx", 4);
    assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &n, NULL, 2), STATUS_INVALID_PARAMETER_4);
    assert_int_equal(RtlUnicodeToUTF8N(NULL, 0, NULL, src, 2), STATUS_INVALID_PARAMETER);
    assert_int_equal(RtlUnicodeToUTF8N(out, sizeof out, &n, src, 3), STATUS_INVALID_PARAMETER_5);

    WCHAR w[8];
    assert_int_equal(RtlUTF8ToUnicodeN(w, sizeof w, &n, "A\xC3\xA9\xF0\x9F\x98\x80", 7), STATUS_SUCCESS);
    assert_int_equal(n, 8);
    assert_int_equal(w[1], 0xE9);
    assert_int_equal(w[2], 0xD83D);
    assert_int_equal(w[3], 0xDE00);
    assert_int_equal(RtlUTF8ToUnicodeN(w, sizeof w, &n, "\xC3(", 2), STATUS_SOME_NOT_MAPPED);
    assert_int_equal(w[0], 0xFFFD);
    assert_int_equal(RtlUTF8ToUnicodeN(w, 2, &n, "ab", 2), STATUS_BUFFER_TOO_SMALL);
    assert_int_equal(n, 2);
    assert_int_equal(RtlUTF8ToUnicodeN(w, 2, &n, NULL, 2), STATUS_INVALID_PARAMETER_4);

    UTF8_STRING u8;
    RtlInitUTF8String(&u8, "\xE2\x82\xAC 5");
    UNICODE_STRING us;
    assert_int_equal(RtlUTF8StringToUnicodeString(&us, &u8, TRUE), STATUS_SUCCESS);
    assert_int_equal(us.Length, 6);
    assert_int_equal(us.Buffer[0], 0x20AC);
    UTF8_STRING back;
    assert_int_equal(RtlUnicodeStringToUTF8String(&back, &us, TRUE), STATUS_SUCCESS);
    assert_int_equal(back.Length, 5);
    assert_string_equal(back.Buffer, "\xE2\x82\xAC 5");
    RtlFreeUTF8String(&back);
    RtlFreeUnicodeString(&us);
}

static void test_integers(void **state)
{
    (void)state;
    WCHAR buf[12];
    UNICODE_STRING s = {0, sizeof buf, buf};
    assert_int_equal(RtlIntegerToUnicodeString(1234, 10, &s), STATUS_SUCCESS);
    assert_int_equal(s.Length, 8);
    assert_memory_equal(buf, L"1234", 10);
    assert_int_equal(RtlIntegerToUnicodeString(0xBEEF, 16, &s), STATUS_SUCCESS);
    assert_memory_equal(buf, L"BEEF", 8);
    assert_int_equal(RtlIntegerToUnicodeString(5, 2, &s), STATUS_SUCCESS);
    assert_memory_equal(buf, L"101", 6);
    assert_int_equal(RtlIntegerToUnicodeString(5, 7, &s), STATUS_INVALID_PARAMETER);
    WCHAR tiny[2];
    UNICODE_STRING t = {0, sizeof tiny, tiny};
    assert_int_equal(RtlIntegerToUnicodeString(123, 10, &t), STATUS_BUFFER_OVERFLOW);
    assert_int_equal(RtlInt64ToUnicodeString(10000000000ULL, 0, &s), STATUS_SUCCESS);
    assert_int_equal(s.Length, 22);

    ULONG v = 0;
    UNICODE_STRING in;
    RtlInitUnicodeString(&in, L"  -42xyz");
    assert_int_equal(RtlUnicodeStringToInteger(&in, 0, &v), STATUS_SUCCESS);
    assert_int_equal((LONG)v, -42);
    RtlInitUnicodeString(&in, L"0x1F");
    assert_int_equal(RtlUnicodeStringToInteger(&in, 0, &v), STATUS_SUCCESS);
    assert_int_equal(v, 31);
    RtlInitUnicodeString(&in, L"777");
    assert_int_equal(RtlUnicodeStringToInteger(&in, 8, &v), STATUS_SUCCESS);
    assert_int_equal(v, 511);
    assert_int_equal(RtlUnicodeStringToInteger(&in, 3, &v), STATUS_INVALID_PARAMETER);
    LONG64 big;
    PWSTR end;
    RtlInitUnicodeString(&in, L"123456789012;");
    assert_int_equal(RtlUnicodeStringToInt64(&in, 10, &big, &end), STATUS_SUCCESS);
    assert_int_equal(big, 123456789012LL);
    assert_int_equal(*end, L';');
    assert_int_equal(RtlCharToInteger("0b101", 0, &v), STATUS_SUCCESS);
    assert_int_equal(v, 5);
    assert_int_equal(RtlCharToInteger("12", 5, &v), STATUS_INVALID_PARAMETER);
    char cbuf[8];
    assert_int_equal(RtlIntegerToChar(255, 16, sizeof cbuf, cbuf), STATUS_SUCCESS);
    assert_string_equal(cbuf, "FF");
    assert_int_equal(RtlIntegerToChar(12345, 10, 3, cbuf), STATUS_BUFFER_OVERFLOW);
}

static void test_guid_and_hash(void **state)
{
    (void)state;
    GUID g = {0x12345678, 0x9ABC, 0xDEF0, {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF}};
    UNICODE_STRING s;
    assert_int_equal(RtlStringFromGUID(&g, &s), STATUS_SUCCESS);
    assert_int_equal(s.Length, 76);
    assert_memory_equal(s.Buffer, L"{12345678-9ABC-DEF0-0123-456789ABCDEF}", 78);
    GUID back;
    assert_int_equal(RtlGUIDFromString(&s, &back), STATUS_SUCCESS);
    assert_true(IsEqualGUID(&g, &back));
    RtlFreeUnicodeString(&s);
    UNICODE_STRING bad;
    RtlInitUnicodeString(&bad, L"{12345678-9ABC-DEF0-0123-456789ABCDEX}");
    assert_int_equal(RtlGUIDFromString(&bad, &back), STATUS_INVALID_PARAMETER);
    RtlInitUnicodeString(&bad, L"12345678");
    assert_int_equal(RtlGUIDFromString(&bad, &back), STATUS_INVALID_PARAMETER);

    UNICODE_STRING a, b;
    RtlInitUnicodeString(&a, L"Name");
    RtlInitUnicodeString(&b, L"NAME");
    ULONG ha, hb;
    assert_int_equal(RtlHashUnicodeString(&a, TRUE, HASH_STRING_ALGORITHM_DEFAULT, &ha), STATUS_SUCCESS);
    assert_int_equal(RtlHashUnicodeString(&b, TRUE, HASH_STRING_ALGORITHM_X65599, &hb), STATUS_SUCCESS);
    assert_int_equal(ha, hb);
    assert_int_equal(RtlHashUnicodeString(&a, FALSE, HASH_STRING_ALGORITHM_DEFAULT, &ha), STATUS_SUCCESS);
    assert_int_not_equal(ha, hb);
    assert_int_equal(RtlHashUnicodeString(&a, FALSE, 7, &ha), STATUS_INVALID_PARAMETER);
}

/* IRQL rules: conversions run at PASSIVE_LEVEL; init at <= DISPATCH_LEVEL. */
static void convert_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"fine at DISPATCH_LEVEL");
    ANSI_STRING a;
    RtlInitAnsiString(&a, "x");
    RtlAnsiStringToUnicodeString(&u, &a, TRUE);
}

static void init_at_high(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(HIGH_LEVEL, &old);
    UNICODE_STRING u;
    RtlInitUnicodeString(&u, L"x");
}

static void test_irql_rules(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(convert_at_dispatch, NULL, &bc), 1);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)RtlAnsiStringToUnicodeString);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
    assert_int_equal(mdlkit_catch_bugcheck(init_at_high, NULL, &bc), 1);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)RtlInitUnicodeString);
    assert_int_equal(bc.param[1], HIGH_LEVEL);
}

/* A driver that forgets RtlFreeUnicodeString: Pool Tracking names the leak
 * at unload (0xC4/0x62), as the "Strg" allocation is the driver's. */
static UNICODE_STRING g_kept;
static NTSTATUS leaky_entry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    (void)DriverObject;
    (void)RegistryPath;
    return RtlCreateUnicodeString(&g_kept, L"never freed") ? STATUS_SUCCESS : STATUS_NO_MEMORY;
}

static void unload_fn(void *drv) { mdlkit_driver_unload(drv); }

static void test_leak_is_tracked(void **state)
{
    (void)state;
    mdlkit_shutdown();
    assert_int_equal(mk_test_setup_flags(MDLKIT_VERIFY_POOL_TRACKING), 0);
    PDRIVER_OBJECT drv;
    assert_int_equal(mdlkit_driver_load("strleak", leaky_entry, &drv), STATUS_SUCCESS);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(unload_fn, drv, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], 0x62);
    assert_string_equal((const char *)bc.param[1], "strleak");
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('grtS', &u), 1);
    assert_int_equal(u.paged_outstanding, 1);
    RtlFreeUnicodeString(&g_kept);
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

/* wcslen, wcschr, wcsstr on 16-bit WCHAR strings (the kernel's CRT
 * exports; the host library's work on 32-bit wchar_t). */
static void test_wide_crt(void **state)
{
    (void)state;
    WCHAR hay[] = L"C:\\Windows\\notepad.exe -x";
    assert_int_equal(wcslen(hay), 25);
    assert_int_equal(wcslen(L""), 0);
    assert_ptr_equal(wcschr(hay, L'n'), &hay[5]); /* the n of Windows */
    assert_ptr_equal(wcschr(hay, 0), &hay[25]);
    assert_null(wcschr(hay, L'Z'));
    assert_ptr_equal(wcsstr(hay, L"notepad"), &hay[11]);
    assert_ptr_equal(wcsstr(hay, L"-x"), &hay[23]);
    assert_ptr_equal(wcsstr(hay, L""), hay);
    assert_null(wcsstr(hay, L"notepadd"));
    assert_null(wcsstr(hay, L"x -"));
    WCHAR hi[] = {0x4e2d, 0x6587, 0};
    WCHAR find[] = {0x6587, 0};
    assert_ptr_equal(wcsstr(hi, find), &hi[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_strings),  cmocka_unit_test(test_init_too_long),
        cmocka_unit_test(test_copy_append_compare), cmocka_unit_test(test_case),
        cmocka_unit_test(test_conversions),   cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_integers),      cmocka_unit_test(test_guid_and_hash),
        cmocka_unit_test(test_irql_rules),    cmocka_unit_test(test_leak_is_tracked),
        cmocka_unit_test(test_wide_crt),
    };
    return cmocka_run_group_tests_name("rtl_strings", tests, mk_test_setup, mk_test_teardown);
}
