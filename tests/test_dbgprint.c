/* DbgPrint family: Windows format specifiers, component/level filtering,
 * MDLKIT_DBGPRINT, the harness masks and capture, the 512-byte limit,
 * DbgBreakPoint's two behaviours and PAGED_CODE. */
#include "testutil.h"

static char captured[4096];
static ULONG captured_component, captured_level;
static int captured_count;

static void capture(void *ctx, ULONG component, ULONG level, const char *text)
{
    (void)ctx;
    size_t used = strlen(captured);
    snprintf(captured + used, sizeof captured - used, "%s", text);
    captured_component = component;
    captured_level = level;
    captured_count++;
}

static void reset_capture(void)
{
    captured[0] = 0;
    captured_count = 0;
    mdlkit_dbgprint_capture(capture, NULL);
}

static int setup(void **state)
{
    unsetenv("MDLKIT_DBGPRINT");
    unsetenv("MDLKIT_BREAK");
    return mk_test_setup(state);
}

static int teardown(void **state)
{
    mdlkit_dbgprint_capture(NULL, NULL);
    return mk_test_teardown(state);
}

static void test_formats(void **state)
{
    (void)state;
    reset_capture();
    UNICODE_STRING us = RTL_CONSTANT_STRING(L"\\Device\\Foo");
    ANSI_STRING as = RTL_CONSTANT_STRING("ansi");
    PUNICODE_STRING nul = NULL;
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "[%wZ][%Z][%wZ][%ws][%S][%wc%C][%hs]\n", &us, &as, nul,
               L"wide", L"S", L'x', L'y', "narrow");
    assert_string_equal(captured, "[\\Device\\Foo][ansi][(null)][wide][S][xy][narrow]\n");
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%I64d %I64x %I64u %Ix %Id %I32x %lx %ld", -5LL,
               0xFEDCBA9876543210ULL, 18446744073709551615ULL, (ULONG_PTR)0xABCDEF012345ULL, (LONG_PTR)-3,
               0xCAFEu, 0xFFFFFFFFUL, (LONG)-1);
    assert_string_equal(captured, "-5 fedcba9876543210 18446744073709551615 abcdef012345 -3 cafe ffffffff -1");
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%p|%p|%#x|%08X|%-4d|%+d|%5.2s|%%|%c|%.3d|%*d",
               (void *)0xFFFFF80012345678ULL, (void *)NULL, 0x1f, 0xbeef, 7, 3, "abc", 'q', 5, 4, 9);
    assert_string_equal(captured, "FFFFF80012345678|0000000000000000|0x1f|0000BEEF|7   |+3|   ab|%|q|005|   9");
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%s %ws %.2f", (char *)NULL, (WCHAR *)NULL, 1.5);
    assert_string_equal(captured, "(null) (null) 1.50");
}

static void test_truncation_and_return(void **state)
{
    (void)state;
    reset_capture();
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "%s", big), STATUS_SUCCESS);
    assert_int_equal(strlen(captured), 511);
    assert_int_equal(DbgPrint("hidden"), STATUS_SUCCESS);
}

static void test_filtering(void **state)
{
    (void)state;
    reset_capture();
    /* defaults: only error level passes (the system-wide mask) */
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "e");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "w");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_TRACE_LEVEL, "t");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "i");
    DbgPrint("p");
    KdPrint(("k"));
    KdPrintEx((DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "K"));
    assert_string_equal(captured, "eK");
    assert_int_equal(captured_component, DPFLTR_IHVDRIVER_ID);
    assert_int_equal(captured_level, DPFLTR_ERROR_LEVEL);
    /* a Level above 31 is a mask */
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, 0x1 | DPFLTR_MASK, "m1");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, 0x8 | DPFLTR_MASK, "m8");
    assert_string_equal(captured, "m1");
    /* the component's mask */
    mdlkit_dbgprint_set_mask(DPFLTR_IHVDRIVER_ID, 0x8);
    assert_int_equal(mdlkit_dbgprint_get_mask(DPFLTR_IHVDRIVER_ID), 0x8);
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "i");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_WARNING_LEVEL, "w");
    DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "n");
    assert_string_equal(captured, "i");
    assert_int_equal(DbgQueryDebugFilterState(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL), TRUE);
    assert_int_equal(DbgQueryDebugFilterState(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL), FALSE);
    assert_int_equal(DbgQueryDebugFilterState(9999, 0), STATUS_INVALID_PARAMETER_1);
    assert_int_equal(DbgSetDebugFilterState(DPFLTR_IHVNETWORK_ID, DPFLTR_TRACE_LEVEL, TRUE), STATUS_SUCCESS);
    assert_int_equal(mdlkit_dbgprint_get_mask(DPFLTR_IHVNETWORK_ID), 0x4);
    assert_int_equal(DbgSetDebugFilterState(9999, 0, TRUE), STATUS_INVALID_PARAMETER_1);
    /* DbgPrint is the default component at info level */
    mdlkit_dbgprint_set_mask(DPFLTR_DEFAULT_ID, 0x8);
    reset_capture();
    DbgPrint("plain %d", 1);
    assert_string_equal(captured, "plain 1");
    assert_int_equal(captured_component, DPFLTR_DEFAULT_ID);
    assert_int_equal(captured_level, DPFLTR_INFO_LEVEL);
    /* silence everything, even errors */
    mdlkit_dbgprint_set_mask(MDLKIT_DBGPRINT_SYSTEM, 0);
    mdlkit_dbgprint_set_mask(MDLKIT_DBGPRINT_EVERY_COMPONENT, 0);
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "e");
    assert_int_equal(captured_count, 0);
}

static void bad_mask_component(void *arg)
{
    (void)arg;
    mdlkit_dbgprint_set_mask(5000, 1);
}

static void test_bad_component(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(bad_mask_component, NULL, &bc), 1);
    assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
    assert_int_equal(bc.param[0], MDLKIT_RULE_HARNESS_MISUSE);
}

static void env_prints(void)
{
    reset_capture();
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "E");
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "I");
    DbgPrintEx(DPFLTR_STORMINIPORT_ID, DPFLTR_TRACE_LEVEL, "S");
    DbgPrint("P");
}

static void test_environment(void **state)
{
    (void)state;
    mdlkit_config c;
    mdlkit_shutdown();
    setenv("MDLKIT_DBGPRINT", "all", 1);
    mk_test_config(&c);
    assert_int_equal(mdlkit_init(&c), 0);
    env_prints();
    assert_string_equal(captured, "EISP");
    mdlkit_shutdown();
    setenv("MDLKIT_DBGPRINT", "none", 1);
    assert_int_equal(mdlkit_init(&c), 0);
    env_prints();
    assert_string_equal(captured, "");
    mdlkit_shutdown();
    setenv("MDLKIT_DBGPRINT", "ihvdriver=0x8,DPFLTR_STORMINIPORT_ID=4", 1);
    assert_int_equal(mdlkit_init(&c), 0);
    env_prints();
    assert_string_equal(captured, "EIS");
    mdlkit_shutdown();
    setenv("MDLKIT_DBGPRINT", "101=all,system=0", 1);
    assert_int_equal(mdlkit_init(&c), 0);
    env_prints();
    assert_string_equal(captured, "P");
    mdlkit_shutdown();
    unsetenv("MDLKIT_DBGPRINT");
    assert_int_equal(mdlkit_init(&c), 0);
}

/* vDbgPrintExWithPrefix and vDbgPrintEx take a va_list. */
static void vprint(const char *prefix, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (prefix)
        vDbgPrintExWithPrefix(prefix, DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap);
    else
        vDbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, fmt, ap);
    va_end(ap);
}

static void test_vprint(void **state)
{
    (void)state;
    reset_capture();
    vprint("MyDrv: ", "%u items", 3u);
    vprint(NULL, "|%ws", L"x");
    assert_string_equal(captured, "MyDrv: 3 items|x");
}

static void break_with_handler(void *arg)
{
    volatile NTSTATUS *code = arg;
    __try {
        DbgBreakPoint();
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        *code = GetExceptionCode();
    }
}

static void break_unhandled(void *arg)
{
    (void)arg;
    KdBreakPoint();
}

static void test_breakpoint(void **state)
{
    (void)state;
    /* default: printed, then execution continues */
    volatile NTSTATUS code = 0;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(break_with_handler, (void *)&code, &bc), 0);
    assert_int_equal(code, 0);
    DbgBreakPointWithStatus(DBG_STATUS_CONTROL_C);
    /* MDLKIT_BREAK=bugcheck: the breakpoint exception, and with no handler
     * bug check 0x1E (STATUS_BREAKPOINT) */
    setenv("MDLKIT_BREAK", "bugcheck", 1);
    assert_int_equal(mdlkit_catch_bugcheck(break_with_handler, (void *)&code, &bc), 0);
    assert_int_equal(code, STATUS_BREAKPOINT);
    assert_int_equal(mdlkit_catch_bugcheck(break_unhandled, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_BREAKPOINT);
    unsetenv("MDLKIT_BREAK");
    assert_false(KD_DEBUGGER_ENABLED);
    assert_true(KD_DEBUGGER_NOT_PRESENT);
    assert_true(KdRefreshDebuggerNotPresent());
}

static void paged_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    PAGED_CODE();
}

static void paged_at_apc(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    PAGED_CODE();
    PAGED_CODE_LOCKED();
    KeLowerIrql(old);
}

static void assert_with_handler(void *arg)
{
    volatile NTSTATUS *code = arg;
    __try {
        RtlAssert((PVOID) "x == 1", (PVOID) "file.c", 12, NULL);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        *code = GetExceptionCode();
    }
}

static void test_rtl_assert_and_misc(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(assert_with_handler, (void *)&code, &bc), 0);
    assert_int_equal(code, 0); /* printed, then continued */
    setenv("MDLKIT_BREAK", "bugcheck", 1);
    assert_int_equal(mdlkit_catch_bugcheck(assert_with_handler, (void *)&code, &bc), 0);
    assert_int_equal(code, STATUS_BREAKPOINT);
    unsetenv("MDLKIT_BREAK");
    reset_capture();
    assert_int_equal(DbgPrintReturnControlC("c"), STATUS_SUCCESS);
    assert_int_equal(mdlkit_dbgprint_get_mask(MDLKIT_DBGPRINT_SYSTEM), 1);
    assert_int_equal(mdlkit_dbgprint_get_mask(DPFLTR_DEFAULT_ID), 0);
}

static void test_paged_code(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(paged_at_apc, NULL, &bc), 0);
    assert_int_equal(mdlkit_catch_bugcheck(paged_at_dispatch, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_ASSERTION_FAILURE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),   cmocka_unit_test(test_truncation_and_return),
        cmocka_unit_test(test_filtering), cmocka_unit_test(test_bad_component),
        cmocka_unit_test(test_environment), cmocka_unit_test(test_vprint),
        cmocka_unit_test(test_breakpoint), cmocka_unit_test(test_paged_code),
        cmocka_unit_test(test_rtl_assert_and_misc),
    };
    return cmocka_run_group_tests_name("dbgprint", tests, setup, teardown);
}
