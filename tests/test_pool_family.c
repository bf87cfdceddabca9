/* The pool family drivers use beyond ExAllocatePool2: quota and priority
 * variants, POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, ExAllocatePool3 with extended
 * parameters, ExInitializeDriverRuntime and the POOL_NX_OPTIN build. */
#define POOL_NX_OPTIN 1
#include "testutil.h"
#include "mk_pool.h"

static void test_nx_optin(void **state)
{
    (void)state;
    /* before the opt-in, NonPagedPool in a POOL_NX_OPTIN build is executable pool */
    assert_int_equal(NonPagedPool, NonPagedPoolExecute);
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);
    assert_int_equal(NonPagedPool, NonPagedPoolNx);
    assert_int_equal(NonPagedPoolCacheAligned, NonPagedPoolNxCacheAligned);
    assert_int_equal(ExDefaultMdlProtection, MdlMappingNoExecute);
    void *p = ExAllocatePoolWithTag(NonPagedPool, 64, 'xNtT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'xNtT');
}

static void test_nx_optin_win7(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = NTDDI_WIN7;
    assert_int_equal(mdlkit_init(&c), 0);
    assert_int_equal(NonPagedPool, NonPagedPoolExecute); /* a fresh machine */
    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);          /* no NX pool before Windows 8 */
    assert_int_equal(NonPagedPool, NonPagedPoolExecute);
    void *p = ExAllocatePoolQuotaZero(NonPagedPool, 32, 'zQtT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'zQtT');
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

static void test_zero_and_uninitialized(void **state)
{
    (void)state;
    UCHAR *p = ExAllocatePoolQuotaZero(NonPagedPoolNx | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 100, 'zQtT');
    assert_non_null(p);
    for (int i = 0; i < 100; i++)
        assert_int_equal(p[i], 0);
    ExFreePoolWithTag(p, 'zQtT');
    p = ExAllocatePoolQuotaUninitialized(PagedPool, 10, 'uQtT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'uQtT');
    p = ExAllocatePoolPriorityZero(NonPagedPoolNx, 50, 'zPtT', HighPoolPriority);
    assert_non_null(p);
    for (int i = 0; i < 50; i++)
        assert_int_equal(p[i], 0);
    ExFreePoolWithTag(p, 'zPtT');
    p = ExAllocatePoolPriorityUninitialized(PagedPool, 50, 'uPtT', LowPoolPriority);
    assert_non_null(p);
    ExFreePoolWithTag(p, 'uPtT');
    p = ExAllocatePoolWithQuotaTag(NonPagedPoolNx, 8, 'qWtT');
    assert_non_null(p);
    ExFreePoolWithTag(p, 'qWtT');
    p = ExAllocatePoolWithQuota(PagedPool, 8);
    assert_non_null(p);
    ExFreePool(p);
    mdlkit_pool_tag_usage u;
    assert_int_equal(mdlkit_pool_usage_tag('zQtT', &u), 1);
    assert_int_equal(u.nonpaged_allocs, 1);
    assert_int_equal(u.nonpaged_outstanding, 0);
}

/* Quota allocations charge the current process: IRQL <= APC_LEVEL. */
static void quota_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    ExAllocatePoolQuotaZero(NonPagedPoolNx, 16, 'dQtT');
}

static void test_quota_irql(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(quota_at_dispatch, NULL, &bc), 1);
    assert_int_equal(bc.code, IRQL_NOT_LESS_OR_EQUAL);
    assert_int_equal(bc.param[0], (ULONG_PTR)ExAllocatePoolQuotaZero);
    assert_int_equal(bc.param[1], DISPATCH_LEVEL);
}

/* A failed quota allocation raises STATUS_INSUFFICIENT_RESOURCES unless
 * POOL_QUOTA_FAIL_INSTEAD_OF_RAISE is given (low-resources simulation makes
 * every allocation fail). */
static void test_quota_failure(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = MDLKIT_VERIFY_LOW_RESOURCES;
    c.fault_probability = 10000;
    c.fault_seed = 1;
    assert_int_equal(mdlkit_init(&c), 0);
    assert_null(ExAllocatePoolQuotaZero(NonPagedPoolNx | POOL_QUOTA_FAIL_INSTEAD_OF_RAISE, 16, 'fQtT'));
    volatile NTSTATUS code = 0;
    __try {
        ExAllocatePoolWithQuotaTag(NonPagedPoolNx, 16, 'fQtT');
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

static void test_pool3(void **state)
{
    (void)state;
    POOL_EXTENDED_PARAMETER params[2];
    memset(params, 0, sizeof params);
    params[0].Type = PoolExtendedParameterPriority;
    params[0].Priority = HighPoolPriority;
    params[1].Type = PoolExtendedParameterNumaNode;
    params[1].PreferredNode = 0;
    UCHAR *p = ExAllocatePool3(POOL_FLAG_NON_PAGED, 40, 'e3tT', params, 2);
    assert_non_null(p);
    for (int i = 0; i < 40; i++)
        assert_int_equal(p[i], 0);
    ExFreePoolWithTag(p, 'e3tT');
    p = ExAllocatePool3(POOL_FLAG_PAGED, 40, 'e3tT', NULL, 0);
    assert_non_null(p);
    ExFreePoolWithTag(p, 'e3tT');
    /* secure pool needs VBS, which the machine lacks; duplicate or invalid types fail */
    POOL_EXTENDED_PARAMS_SECURE_POOL sp = {0};
    params[0].Type = PoolExtendedParameterSecurePool;
    params[0].SecurePoolParams = &sp;
    assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 40, 'e3tT', params, 1));
    params[0].Type = PoolExtendedParameterNumaNode;
    assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 40, 'e3tT', params, 2));
    params[0].Type = PoolExtendedParameterInvalidType;
    assert_null(ExAllocatePool3(POOL_FLAG_NON_PAGED, 40, 'e3tT', params, 1));
    volatile NTSTATUS code = 0;
    __try {
        ExAllocatePool3(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, 40, 'e3tT', params, 1);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
}

static void pool3_on_win10(void *arg)
{
    (void)arg;
    ExAllocatePool3(POOL_FLAG_NON_PAGED, 8, 'e3tT', NULL, 0);
}

static void test_pool3_not_available(void **state)
{
    (void)state;
    mdlkit_shutdown();
    mdlkit_config c;
    mk_test_config(&c);
    c.os_version = NTDDI_WIN10_RS1;
    assert_int_equal(mdlkit_init(&c), 0);
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(pool3_on_win10, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_DDI_NOT_AVAILABLE);
    mdlkit_shutdown();
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nx_optin),     cmocka_unit_test(test_nx_optin_win7),
        cmocka_unit_test(test_zero_and_uninitialized), cmocka_unit_test(test_quota_irql),
        cmocka_unit_test(test_quota_failure), cmocka_unit_test(test_pool3),
        cmocka_unit_test(test_pool3_not_available),
    };
    return cmocka_run_group_tests_name("pool_family", tests, mk_test_setup, mk_test_teardown);
}
