/* Termination handlers: __try / __finally (and MDLKIT_TRY / MDLKIT_FINALLY)
 * run after the guarded block completes, after __leave, and while an
 * exception passes through (AbnormalTermination() TRUE, the exception then
 * goes on outwards with its status and raise address); nesting; raising
 * inside the handler; jumping out of the guarded block by return / break /
 * goto is reported (0xC4, MDLKIT_RULE_SEH_FINALLY_SKIPPED), never a silent
 * skip. */
#include "testutil.h"
#include "mk_base.h" /* mk_self.seh_top: the frame stack must stay clean */

#include <string.h>

/* The order things ran in: one letter per step. */
static char g_trace[32];
static void step(char c)
{
    size_t n = strlen(g_trace);
    if (n + 1 < sizeof g_trace) {
        g_trace[n] = c;
        g_trace[n + 1] = 0;
    }
}
static void trace_reset(void) { g_trace[0] = 0; }

static void test_runs_after_normal_completion(void **state)
{
    (void)state;
    trace_reset();
    volatile int abnormal = -1;
    __try {
        step('b');
    } __finally {
        abnormal = AbnormalTermination();
        step('f');
    }
    step('a');
    assert_string_equal(g_trace, "bfa");
    assert_int_equal(abnormal, 0);
    assert_null(mk_self.seh_top);

    /* the MDLKIT_ spelling, and _abnormal_termination() */
    trace_reset();
    MDLKIT_TRY {
        step('b');
    }
    MDLKIT_FINALLY {
        abnormal = _abnormal_termination();
        step('f');
    }
    MDLKIT_END;
    assert_string_equal(g_trace, "bf");
    assert_int_equal(abnormal, 0);
    assert_null(mk_self.seh_top);
}

/* The usual driver pattern: __leave to the cleanup in __finally. */
static NTSTATUS leave_to_cleanup(BOOLEAN early, void **out)
{
    NTSTATUS status = STATUS_INSUFFICIENT_RESOURCES;
    void *volatile buf = NULL;
    __try {
        buf = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'nifT');
        if (!buf)
            __leave;
        step('1');
        if (early) {
            status = STATUS_UNSUCCESSFUL;
            __leave;
        }
        step('2');
        status = STATUS_SUCCESS;
    } __finally {
        step('f');
        if (!NT_SUCCESS(status) && buf) {
            ExFreePoolWithTag(buf, 'nifT');
            buf = NULL;
        }
    }
    *out = buf;
    return status;
}

static void test_runs_after_leave(void **state)
{
    (void)state;
    void *buf;
    trace_reset();
    assert_int_equal(leave_to_cleanup(TRUE, &buf), STATUS_UNSUCCESSFUL);
    assert_string_equal(g_trace, "1f");
    assert_null(buf); /* the handler freed it */

    trace_reset();
    assert_int_equal(leave_to_cleanup(FALSE, &buf), STATUS_SUCCESS);
    assert_string_equal(g_trace, "12f");
    assert_non_null(buf);
    ExFreePoolWithTag(buf, 'nifT');
    assert_null(mk_self.seh_top);
}

/* An exception passes through two termination handlers, innermost first,
 * and reaches the outer __except with its own status. */
static int g_filter_saw_trace_len;
static int record_filter(void)
{
    g_filter_saw_trace_len = (int)strlen(g_trace);
    step('x');
    return EXCEPTION_EXECUTE_HANDLER;
}

static void test_runs_while_exception_passes(void **state)
{
    (void)state;
    trace_reset();
    volatile NTSTATUS code = 0;
    volatile int abnormal_inner = -1, abnormal_outer = -1;
    volatile int after_raise = 0;
    __try {
        __try {
            __try {
                step('b');
                ExRaiseStatus(STATUS_DATATYPE_MISALIGNMENT);
                after_raise = 1;
            } __finally {
                abnormal_inner = AbnormalTermination();
                step('i');
            }
            after_raise = 2;
        } __finally {
            abnormal_outer = AbnormalTermination();
            step('o');
        }
        after_raise = 3;
    } __except (record_filter()) {
        code = GetExceptionCode();
        step('h');
    }
    assert_int_equal(after_raise, 0);
    assert_int_equal(code, STATUS_DATATYPE_MISALIGNMENT);
    assert_int_equal(abnormal_inner, 1);
    assert_int_equal(abnormal_outer, 1);
    /* mdlkit unwinds one frame at a time: each termination handler runs
     * before the outer filter (Windows runs the filter first) */
    assert_string_equal(g_trace, "bioxh");
    assert_int_equal(g_filter_saw_trace_len, 3);
    assert_null(mk_self.seh_top);
}

/* The handler runs with its frame popped: a raise inside it goes outwards,
 * replacing the exception that was passing through. */
static void test_raise_inside_handler(void **state)
{
    (void)state;
    volatile NTSTATUS code = 0;
    volatile int handler_ran = 0;
    MDLKIT_TRY {
        MDLKIT_TRY {
            ExRaiseStatus(STATUS_IN_PAGE_ERROR);
        }
        MDLKIT_FINALLY {
            handler_ran = 1;
            ExRaiseStatus(STATUS_INVALID_PARAMETER);
        }
        MDLKIT_END;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    MDLKIT_END;
    assert_int_equal(handler_ran, 1);
    assert_int_equal(code, STATUS_INVALID_PARAMETER);
    assert_null(mk_self.seh_top);

    /* a raise in the handler after a normal completion */
    code = 0;
    __try {
        __try {
            step('b');
        } __finally {
            ExRaiseStatus(STATUS_CANCELLED);
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        code = GetExceptionCode();
    }
    assert_int_equal(code, STATUS_CANCELLED);
    assert_null(mk_self.seh_top);
}

/* An exception no frame handles: the handler runs, then 0x1E with the
 * original status and raise address. */
static volatile int g_unhandled_finally;
static void raise_through_finally(void *arg)
{
    (void)arg;
    __try {
        ExRaiseStatus(STATUS_NO_MEMORY);
    } __finally {
        g_unhandled_finally = 1;
    }
}

static void test_unhandled_after_handler(void **state)
{
    (void)state;
    g_unhandled_finally = 0;
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(raise_through_finally, NULL, &bc), 1);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_int_equal(bc.param[0], (ULONG_PTR)(LONG_PTR)STATUS_NO_MEMORY);
    /* P2: the address of the raise, inside raise_through_finally */
    assert_true(bc.param[1] > (ULONG_PTR)raise_through_finally &&
                bc.param[1] < (ULONG_PTR)raise_through_finally + 1024);
    assert_int_equal(g_unhandled_finally, 1);
    assert_null(mk_self.seh_top);
}

/* Jumping out of the guarded block cannot run the handler: reported. */
static volatile int g_skipped_handler_ran;
static __attribute__((noinline)) int return_out_of_try(void)
{
    __try {
        return 1;
    } __finally {
        g_skipped_handler_ran = 1;
    }
    return 0;
}
static void run_return_out(void *arg)
{
    (void)arg;
    (void)return_out_of_try();
}

static void run_break_out(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) {
        __try {
            if (i == 0)
                break;
        } __finally {
            g_skipped_handler_ran = 1;
        }
    }
}

static void run_goto_out(void *arg)
{
    (void)arg;
    __try {
        goto out;
    } __finally {
        g_skipped_handler_ran = 1;
    }
out:
    return;
}

static __attribute__((noinline)) int return_out_of_except(void)
{
    __try {
        return 1;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
    }
    return 0;
}

static __attribute__((noinline)) int goto_out_of_except(void)
{
    volatile int r = 0;
    __try {
        r = 2;
        goto out;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        r = 3;
    }
    r = 4;
out:
    return r;
}

static void test_jump_out_is_reported(void **state)
{
    (void)state;
    void (*const runs[])(void *) = {run_return_out, run_break_out, run_goto_out};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        g_skipped_handler_ran = 0;
        mdlkit_bugcheck bc;
        assert_int_equal(mdlkit_catch_bugcheck(runs[i], NULL, &bc), 1);
        assert_int_equal(bc.code, DRIVER_VERIFIER_DETECTED_VIOLATION);
        assert_int_equal(bc.param[0], MDLKIT_RULE_SEH_FINALLY_SKIPPED);
        assert_true(bc.param[2] != 0); /* the frame */
        assert_true(bc.param[3] != 0); /* a pc in the function that jumped */
        assert_int_equal(g_skipped_handler_ran, 0);
        assert_null(mk_self.seh_top);
    }
    /* a pc inside the function that returned out of the block */
    mdlkit_bugcheck bc;
    assert_int_equal(mdlkit_catch_bugcheck(run_return_out, NULL, &bc), 1);
    assert_true(bc.param[3] > (ULONG_PTR)return_out_of_try && bc.param[3] < (ULONG_PTR)return_out_of_try + 4096);

    /* return and goto out of a block with __except are fine */
    assert_int_equal(return_out_of_except(), 1);
    assert_int_equal(goto_out_of_except(), 2);
    assert_null(mk_self.seh_top);
}

/* Filters and handlers of an enclosing __except see the right status when
 * a termination handler handles (and swallows) its own inner exception. */
static void test_inner_exception_in_handler_handled(void **state)
{
    (void)state;
    volatile NTSTATUS outer = 0, inner = 0;
    __try {
        __try {
            ExRaiseStatus(STATUS_ACCESS_VIOLATION);
        } __finally {
            __try {
                ExRaiseStatus(STATUS_CANCELLED);
            } __except (EXCEPTION_EXECUTE_HANDLER) {
                inner = GetExceptionCode();
            }
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        outer = GetExceptionCode();
    }
    assert_int_equal(inner, STATUS_CANCELLED);
    assert_int_equal(outer, STATUS_ACCESS_VIOLATION);
    assert_null(mk_self.seh_top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_after_normal_completion),
        cmocka_unit_test(test_runs_after_leave),
        cmocka_unit_test(test_runs_while_exception_passes),
        cmocka_unit_test(test_raise_inside_handler),
        cmocka_unit_test(test_unhandled_after_handler),
        cmocka_unit_test(test_jump_out_is_reported),
        cmocka_unit_test(test_inner_exception_in_handler_handled),
    };
    return cmocka_run_group_tests_name("except_finally", tests, mk_test_setup, mk_test_teardown);
}
