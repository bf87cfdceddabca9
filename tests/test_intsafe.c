/* ntintsafe.h: overflow-checked arithmetic and conversions. */
#include "testutil.h"
#include <ntintsafe.h>

static void test_arithmetic(void **state)
{
    (void)state;
    ULONG u;
    assert_int_equal(RtlULongAdd(1, 2, &u), STATUS_SUCCESS);
    assert_int_equal(u, 3);
    assert_int_equal(RtlULongAdd(0xFFFFFFFFUL, 1, &u), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(u, ULONG_ERROR);
    assert_int_equal(RtlULongMult(0x10000, 0x10000, &u), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(RtlULongSub(1, 2, &u), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(RtlULongMult(0x10000, 0xFFFF, &u), STATUS_SUCCESS);
    assert_int_equal(u, 0xFFFF0000UL);
    SIZE_T s;
    assert_int_equal(RtlSizeTAdd(SIZE_MAX, 1, &s), STATUS_INTEGER_OVERFLOW);
    assert_true(s == SIZE_T_ERROR);
    assert_int_equal(RtlSizeTMult((SIZE_T)1 << 32, (SIZE_T)1 << 31, &s), STATUS_SUCCESS);
    assert_int_equal(RtlSizeTSub(5, 6, &s), STATUS_INTEGER_OVERFLOW);
    USHORT us;
    assert_int_equal(RtlUShortAdd(0xFFFF, 1, &us), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(us, USHORT_ERROR);
    INT i;
    assert_int_equal(RtlIntAdd(0x7FFFFFFF, 1, &i), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(i, INT_ERROR);
    assert_int_equal(RtlIntAdd(-5, 3, &i), STATUS_SUCCESS);
    assert_int_equal(i, -2);
    LONGLONG ll;
    assert_int_equal(RtlLongLongMult(-(1LL << 62), 2, &ll), STATUS_SUCCESS);
    assert_int_equal(RtlLongLongMult(-(1LL << 62), 3, &ll), STATUS_INTEGER_OVERFLOW);
    ULONGLONG ull;
    assert_int_equal(RtlULongLongAdd(~0ULL, 0, &ull), STATUS_SUCCESS);
    assert_int_equal(RtlDWordAdd(1, 1, &u), STATUS_SUCCESS);
    UINT8 b;
    assert_int_equal(RtlUInt8Add(200, 100, &b), STATUS_INTEGER_OVERFLOW);
}

static void test_conversions(void **state)
{
    (void)state;
    ULONG u;
    assert_int_equal(RtlULongLongToULong(0x100000000ULL, &u), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(u, ULONG_ERROR);
    assert_int_equal(RtlULongLongToULong(0xFFFFFFFFULL, &u), STATUS_SUCCESS);
    assert_int_equal(u, 0xFFFFFFFFUL);
    assert_int_equal(RtlLongToULong(-1, &u), STATUS_INTEGER_OVERFLOW);
    LONG l;
    assert_int_equal(RtlULongToLong(0x80000000UL, &l), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(l, LONG_ERROR);
    assert_int_equal(RtlULongToLong(5, &l), STATUS_SUCCESS);
    USHORT us;
    assert_int_equal(RtlULongToUShort(0x10000, &us), STATUS_INTEGER_OVERFLOW);
    assert_int_equal(RtlSizeTToULong(0xFFFFFFFFULL, &u), STATUS_SUCCESS);
    assert_int_equal(RtlSizeTToULong(0x100000000ULL, &u), STATUS_INTEGER_OVERFLOW);
    UCHAR c;
    assert_int_equal(RtlIntToUChar(-1, &c), STATUS_INTEGER_OVERFLOW);
    INT i;
    assert_int_equal(RtlLongLongToInt(-2147483648LL, &i), STATUS_SUCCESS);
    assert_int_equal(RtlLongLongToInt(-2147483649LL, &i), STATUS_INTEGER_OVERFLOW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_arithmetic), cmocka_unit_test(test_conversions)};
    return cmocka_run_group_tests_name("intsafe", tests, NULL, NULL);
}
