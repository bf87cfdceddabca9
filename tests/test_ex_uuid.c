/* ExUuidCreate: version-1 UUIDs with the RFC 4122 variant, all different
 * and in increasing time order, one random multicast node per machine,
 * RPC_NT_UUID_LOCAL_ONLY (no network adapter: still a success), and its
 * PASSIVE_LEVEL rule. */
#include "testutil.h"
#include <ntddk.h>

static ULONGLONG uuid_time(const UUID *u)
{
    return (ULONGLONG)u->Data1 | (ULONGLONG)u->Data2 << 32 | (ULONGLONG)(u->Data3 & 0x0FFF) << 48;
}

static void test_uuid_create(void **state)
{
    (void)state;
    UUID a, b;
    memset(&a, 0, sizeof a);
    NTSTATUS st = ExUuidCreate(&a);
    assert_int_equal(st, RPC_NT_UUID_LOCAL_ONLY);
    assert_true(NT_SUCCESS(st));
    assert_int_equal(a.Data3 >> 12, 1);           /* version 1 */
    assert_int_equal(a.Data4[0] & 0xC0, 0x80);    /* RFC 4122 variant */
    assert_int_equal(a.Data4[2] & 0x01, 0x01);    /* multicast node: no IEEE address */
    /* the time is the system time, counted from 1582-10-15 */
    LARGE_INTEGER now;
    KeQuerySystemTimePrecise(&now);
    ULONGLONG t = uuid_time(&a) - 0x00146BF33E42C000ULL;
    assert_true(t <= (ULONGLONG)now.QuadPart);
    assert_true((ULONGLONG)now.QuadPart - t < 600000000ULL); /* within a minute */
    ULONGLONG last = uuid_time(&a);
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(ExUuidCreate(&b), RPC_NT_UUID_LOCAL_ONLY);
        assert_true(uuid_time(&b) > last); /* never the same value twice */
        last = uuid_time(&b);
        assert_memory_equal(&b.Data4[0], &a.Data4[0], 8); /* clock sequence and node stay */
    }
    assert_false(IsEqualGUID(&a, &b));
}

static void uuid_at_dispatch(void *arg)
{
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExUuidCreate(arg);
}
static void test_uuid_irql(void **state)
{
    (void)state;
    UUID u;
    mk_expect_bugcheck(uuid_at_dispatch, &u, IRQL_NOT_LESS_OR_EQUAL, MK_ANY, DISPATCH_LEVEL, MK_ANY, MK_ANY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_uuid_create, mk_test_setup, mk_test_teardown),
        cmocka_unit_test_setup_teardown(test_uuid_irql, mk_test_setup, mk_test_teardown_after_bugcheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
