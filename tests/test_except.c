/* Structured exceptions: MDLKIT_TRY / MDLKIT_EXCEPT and __try / __except,
 * nesting, filters, raising inside handlers, leaving the guarded block by
 * return / __leave, unhandled exceptions (0x1E), faults on user memory. */
#include "testutil.h"
#include "mk_base.h" /* mk_self.seh_top: the frame stack must stay clean */
#include "mk_machine.h" /* mk_fault_install */

static void test_basic_handler(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    volatile int after_raise = 0;
    MDLKIT_TRY {
        ExRaiseStatus(STATUS_INSUFFICIENT_RESOURCES);
        after_raise = 1;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(code, STATUS_INSUFFICIENT_RESOURCES);
    assert_int_equal(after_raise, 0);
    assert_null(mk_self.seh_top);

    /* no exception: the handler does not run */
    volatile int handled = 0, body = 0;
    MDLKIT_TRY {
        body = 1;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        handled = 1;
    }
    MDLKIT_END;
    assert_int_equal(body, 1);
    assert_int_equal(handled, 0);
    assert_null(mk_self.seh_top);
}

static int filter_calls;
static int only_access_violation(NTSTATUS code)
{
    filter_calls++;
    return code == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

static void test_continue_search_reaches_outer(void **state)
{
    (void)state;
    volatile int inner = 0, outer = 0;
    volatile NTSTATUS outer_code = 0;
    filter_calls = 0;
    MDLKIT_TRY {
        MDLKIT_TRY {
            ExRaiseStatus(STATUS_INVALID_PARAMETER);
        }
        MDLKIT_EXCEPT(only_access_violation(GetExceptionCode())) {
            inner = 1;
        }
        MDLKIT_END;
        fail_msg("execution continued after an exception the inner block did not handle");
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        outer = 1;
        outer_code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(filter_calls, 1);
    assert_int_equal(inner, 0);
    assert_int_equal(outer, 1);
    assert_int_equal(outer_code, STATUS_INVALID_PARAMETER);
    assert_null(mk_self.seh_top);

    /* the inner handler takes the one it wants; the outer sees nothing */
    inner = outer = 0;
    MDLKIT_TRY {
        MDLKIT_TRY {
            ExRaiseStatus(STATUS_ACCESS_VIOLATION);
        }
        MDLKIT_EXCEPT(only_access_violation(GetExceptionCode())) {
            inner = 1;
        }
        MDLKIT_END;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        outer = 1;
    }
    MDLKIT_END;
    assert_int_equal(inner, 1);
    assert_int_equal(outer, 0);
}

static void test_raise_inside_handler(void **state)
{
    (void)state;
    volatile NTSTATUS first = 0, second = 0;
    MDLKIT_TRY {
        MDLKIT_TRY {
            ExRaiseStatus(STATUS_ACCESS_VIOLATION);
        }
        MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
            first = GetExceptionCode();
            ExRaiseStatus(STATUS_NO_MEMORY); /* goes to the outer frame */
        }
        MDLKIT_END;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        second = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(first, STATUS_ACCESS_VIOLATION);
    assert_int_equal(second, STATUS_NO_MEMORY);
    assert_null(mk_self.seh_top);
}

static void test_continue_execution_is_noncontinuable(void **state)
{
    (void)state;
    volatile NTSTATUS outer_code = 0;
    MDLKIT_TRY {
        MDLKIT_TRY {
            ExRaiseStatus(STATUS_ACCESS_VIOLATION);
        }
        MDLKIT_EXCEPT(EXCEPTION_CONTINUE_EXECUTION) {
            fail_msg("handler ran for EXCEPTION_CONTINUE_EXECUTION");
        }
        MDLKIT_END;
        fail_msg("execution resumed after a non-continuable exception");
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        outer_code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(outer_code, STATUS_NONCONTINUABLE_EXCEPTION);
}

/* return / __leave from inside the guarded block pop the frame. */
static int returns_from_try(int x)
{
    MDLKIT_TRY {
        if (x > 0)
            return x * 2;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        return -1;
    }
    MDLKIT_END;
    return 0;
}

static int leaves_try(void)
{
    volatile int steps = 0;
    MDLKIT_TRY {
        steps = 1;
        MDLKIT_LEAVE;
        steps = 2;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        steps = -1;
    }
    MDLKIT_END;
    return steps;
}

static void test_leaving_guarded_block(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(returns_from_try(21), 42);
        assert_null(mk_self.seh_top);
    }
    assert_int_equal(leaves_try(), 1);
    assert_null(mk_self.seh_top);
    /* a raise after those goes to the right frame */
    volatile int got = 0;
    MDLKIT_TRY {
        (void)returns_from_try(1);
        ExRaiseStatus(STATUS_UNSUCCESSFUL);
    }
    MDLKIT_EXCEPT(GetExceptionCode() == STATUS_UNSUCCESSFUL) {
        got = 1;
    }
    MDLKIT_END;
    assert_int_equal(got, 1);
    assert_null(mk_self.seh_top);
}

/* Driver-style code with the Microsoft keywords, unmodified. */
static NTSTATUS driver_style_probe(BOOLEAN fail)
{
    NTSTATUS status = STATUS_SUCCESS;
    __try {
        if (fail)
            ExRaiseStatus(STATUS_ACCESS_VIOLATION);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

static NTSTATUS driver_style_leave(void)
{
    NTSTATUS status = STATUS_PENDING;
    __try {
        status = STATUS_SUCCESS;
        __leave;
    } __except (GetExceptionCode() == STATUS_ACCESS_VIOLATION ? EXCEPTION_EXECUTE_HANDLER
                                                                : EXCEPTION_CONTINUE_SEARCH) {
        status = STATUS_UNSUCCESSFUL;
    }
    return status;
}

static void test_driver_style_keywords(void **state)
{
    (void)state;
    assert_int_equal(driver_style_probe(FALSE), STATUS_SUCCESS);
    assert_int_equal(driver_style_probe(TRUE), STATUS_ACCESS_VIOLATION);
    assert_int_equal(driver_style_leave(), STATUS_SUCCESS);
    assert_null(mk_self.seh_top);
}

/* Unhandled: bug check 0x1E with the status and the raising address. */
static void raise_unhandled(void *arg)
{
    ExRaiseStatus((NTSTATUS)(ULONG_PTR)arg);
}

static void raise_through_search(void *arg)
{
    (void)arg;
    MDLKIT_TRY {
        ExRaiseStatus(STATUS_IN_PAGE_ERROR);
    }
    MDLKIT_EXCEPT(EXCEPTION_CONTINUE_SEARCH) {
    }
    MDLKIT_END;
}

static void test_unhandled_exception_bugchecks(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(raise_unhandled, (void *)(ULONG_PTR)STATUS_INSUFFICIENT_RESOURCES, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)STATUS_INSUFFICIENT_RESOURCES);
    /* P2: the address of the raise, inside raise_unhandled */
    assert_true(bc.param[1] > (ULONG_PTR)raise_unhandled && bc.param[1] < (ULONG_PTR)raise_unhandled + 1024);
    assert_int_equal(bc.param[2], 0);
    assert_int_equal(bc.param[3], 0);
    assert_null(mk_self.seh_top);

    mk_expect_bugcheck(raise_through_search, NULL, KMODE_EXCEPTION_NOT_HANDLED, STATUS_IN_PAGE_ERROR, MK_ANY, 0, 0);
    assert_null(mk_self.seh_top);
}

/* An exception does not escape the function mdlkit_catch_bugcheck runs:
 * it is unhandled there, and the __try around the catch stays intact. */
static void test_catch_is_exception_barrier(void **state)
{
    (void)state;
    volatile int outer = 0, caught = 0;
    mdlkit_bugcheck bc;
    MDLKIT_TRY {
        caught = mdlkit_catch_bugcheck(raise_unhandled, (void *)(ULONG_PTR)STATUS_NO_MEMORY, &bc);
        assert_non_null(mk_self.seh_top); /* our frame is still there */
        ExRaiseStatus(STATUS_CANCELLED);
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode() == STATUS_CANCELLED;
    }
    MDLKIT_END;
    assert_int_equal(caught, 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)STATUS_NO_MEMORY);
    assert_int_equal(outer, 1);
    assert_null(mk_self.seh_top);
}

static void test_breakpoint_and_assert(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    setenv("MDLKIT_BREAK", "bugcheck", 1); /* a breakpoint as with no debugger: raised */
    MDLKIT_TRY {
        DbgBreakPoint();
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    MDLKIT_END;
    unsetenv("MDLKIT_BREAK");
    assert_int_equal(code, STATUS_BREAKPOINT);

    code = 0;
    volatile int one = 1;
    MDLKIT_TRY {
        ASSERT(one == 1); /* holds: nothing happens */
        NT_ASSERT(one == 2);
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(code, STATUS_ASSERTION_FAILURE);
}

static void assert_unhandled(void *arg)
{
    (void)arg;
    ASSERT(arg != NULL);
}

static void test_unhandled_assert_bugchecks(void **state)
{
    (void)state;
    mk_expect_bugcheck(assert_unhandled, NULL, KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, MK_ANY, 0, 0);
}

/* A fault on user memory raises STATUS_ACCESS_VIOLATION (through the
 * machine's SIGSEGV handler), repeatedly. */
static void test_user_fault_is_access_violation(void **state)
{
    (void)state;
    /* cmocka installs its own SIGSEGV handler around every test, on top of
     * the machine's; put the machine's back on top for this test. */
    mk_fault_uninstall();
    assert_int_equal(mk_fault_install(), 0);
    char *p = mdlkit_user_alloc(PAGE_SIZE, PAGE_NOACCESS);
    assert_non_null(p);
    for (int i = 0; i < 3; i++) {
        volatile NTSTATUS code = 0;
        MDLKIT_TRY {
            *(volatile char *)p = 1;
            fail_msg("write to a no-access user page did not fault");
        }
        MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
            code = GetExceptionCode();
        }
        MDLKIT_END;
        assert_int_equal(code, STATUS_ACCESS_VIOLATION);
    }
    assert_null(mk_self.seh_top);
    mdlkit_user_free(p);
}

/* DbgRaiseAssertionFailure (what an NT_ASSERT-style macro of a driver's own
 * calls): STATUS_ASSERTION_FAILURE, 0x1E when unhandled. */
static void raise_assertion(void *arg)
{
    (void)arg;
    DbgRaiseAssertionFailure();
}
static void test_raise_assertion_failure(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    MDLKIT_TRY {
        DbgRaiseAssertionFailure();
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(code, STATUS_ASSERTION_FAILURE);
    mk_expect_bugcheck(raise_assertion, NULL, KMODE_EXCEPTION_NOT_HANDLED, STATUS_ASSERTION_FAILURE, MK_ANY, 0, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_handler),
        cmocka_unit_test(test_continue_search_reaches_outer),
        cmocka_unit_test(test_raise_inside_handler),
        cmocka_unit_test(test_continue_execution_is_noncontinuable),
        cmocka_unit_test(test_leaving_guarded_block),
        cmocka_unit_test(test_driver_style_keywords),
        cmocka_unit_test(test_unhandled_exception_bugchecks),
        cmocka_unit_test(test_catch_is_exception_barrier),
        cmocka_unit_test(test_breakpoint_and_assert),
        cmocka_unit_test(test_unhandled_assert_bugchecks),
        cmocka_unit_test(test_raise_assertion_failure),
        cmocka_unit_test(test_user_fault_is_access_violation),
    };
    return cmocka_run_group_tests_name("except", tests, mk_test_setup, mk_test_teardown);
}
