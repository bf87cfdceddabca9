/* Bug checks: KeBugCheckEx caught with all four parameters, the runtime
 * still usable afterwards, nesting, names, the report text, stacks. */
#include "testutil.h"
#include "mk_base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int setup_loud(void **state)
{
    (void)state;
    mdlkit_config c;
    mk_test_config(&c);
    c.quiet = 0; /* reports are printed even when caught */
    return mdlkit_init(&c);
}

static void bugcheck_at_dispatch(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeBugCheckEx(BAD_POOL_CALLER, 0x0A, 0x1111, 0x2222, 0x3333);
}

static void test_catch_returns_code_and_params(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    memset(&bc, 0xEE, sizeof bc);
    assert_int_equal(mdlkit_catch_bugcheck(bugcheck_at_dispatch, NULL, &bc), 1);
    assert_int_equal(bc.code, BAD_POOL_CALLER);
    assert_int_equal(bc.param[0], 0x0A);
    assert_int_equal(bc.param[1], 0x1111);
    assert_int_equal(bc.param[2], 0x2222);
    assert_int_equal(bc.param[3], 0x3333);

    /* the runtime still works: IRQL put back, pool usable */
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    assert_null(mk_self.seh_top);
    void *p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'gaT1');
    assert_non_null(p);
    memset(p, 0x5A, 64);
    ExFreePoolWithTag(p, 'gaT1');

    mdlkit_bugcheck last = mdlkit_last_bugcheck();
    assert_int_equal(last.code, BAD_POOL_CALLER);
    assert_int_equal(last.param[3], 0x3333);
}

static void no_bugcheck(void *arg) { *(int *)arg = 7; }

static void test_catch_without_bugcheck(void **state)
{
    (void)state;
    int x = 0;
    mdlkit_bugcheck bc = {0, {0, 0, 0, 0}};
    assert_int_equal(mdlkit_catch_bugcheck(no_bugcheck, &x, &bc), 0);
    assert_int_equal(x, 7);
    assert_int_equal(bc.code, 0);
    /* a NULL out pointer is allowed */
    assert_int_equal(mdlkit_catch_bugcheck(bugcheck_at_dispatch, NULL, NULL), 1);
}

static void keb_simple(void *arg)
{
    (void)arg;
    KeBugCheck(TARGET_MDL_TOO_SMALL);
}

static void test_kebugcheck(void **state)
{
    (void)state;
    mk_expect_bugcheck(keb_simple, NULL, TARGET_MDL_TOO_SMALL, 0, 0, 0, 0);
}

/* Nested catches: the innermost takes the bug check. */
static void inner_catch(void *arg)
{
    mdlkit_bugcheck *bc = arg;
    KIRQL old;
    KeRaiseIrql(APC_LEVEL, &old);
    int r = mdlkit_catch_bugcheck(bugcheck_at_dispatch, NULL, bc);
    assert_int_equal(r, 1);
    assert_int_equal(KeGetCurrentIrql(), APC_LEVEL); /* inner catch's entry IRQL */
    KeLowerIrql(old);
}

static void test_nested_catch(void **state)
{
    (void)state;
    mdlkit_bugcheck inner, outer;
    memset(&inner, 0, sizeof inner);
    assert_int_equal(mdlkit_catch_bugcheck(inner_catch, &inner, &outer), 0);
    assert_int_equal(inner.code, BAD_POOL_CALLER);
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
}

/* A bug check inside nested __try blocks unwinds them all. */
static void bugcheck_inside_try(void *arg)
{
    (void)arg;
    MDLKIT_TRY {
        MDLKIT_TRY {
            KeBugCheckEx(PFN_LIST_CORRUPT, 7, 0x1234, 1, 0);
        }
        MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
            fail_msg("a bug check is not an exception");
        }
        MDLKIT_END;
    }
    MDLKIT_EXCEPT(EXCEPTION_EXECUTE_HANDLER) {
        fail_msg("a bug check is not an exception");
    }
    MDLKIT_END;
}

static void test_bugcheck_unwinds_try_frames(void **state)
{
    (void)state;
    mk_expect_bugcheck(bugcheck_inside_try, NULL, PFN_LIST_CORRUPT, 7, 0x1234, 1, 0);
    assert_null(mk_self.seh_top);
}

static const char violation_why[] = "this rule was broken on purpose";
static void raise_violation(void *arg)
{
    (void)arg;
    mk_violation(MDLKIT_RULE_NDIS_ALLOCATE_MDL, violation_why, 0x33, 0x44);
}

static void test_violation_parameters(void **state)
{
    (void)state;
    mk_expect_bugcheck(raise_violation, NULL, DRIVER_VERIFIER_DETECTED_VIOLATION, MDLKIT_RULE_NDIS_ALLOCATE_MDL,
                       violation_why, 0x33, 0x44);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(mdlkit_bugcheck_name(0xC4), "DRIVER_VERIFIER_DETECTED_VIOLATION");
    assert_string_equal(mdlkit_bugcheck_name(0x1E), "KMODE_EXCEPTION_NOT_HANDLED");
    assert_string_equal(mdlkit_bugcheck_name(0x0F), "SPIN_LOCK_ALREADY_OWNED");
    assert_string_equal(mdlkit_bugcheck_name(0x09), "IRQL_NOT_GREATER_OR_EQUAL");
    assert_null(mdlkit_bugcheck_name(0xDEADBEEF));
    assert_string_equal(mdlkit_ntstatus_name(STATUS_ACCESS_VIOLATION), "STATUS_ACCESS_VIOLATION");
    assert_string_equal(mdlkit_ntstatus_name(STATUS_SUCCESS), "STATUS_SUCCESS");
    assert_string_equal(mdlkit_ntstatus_name(STATUS_ASSERTION_FAILURE), "STATUS_ASSERTION_FAILURE");
    assert_null(mdlkit_ntstatus_name((NTSTATUS)0xC0DEC0DE));
}

/* Bug checks are per thread: another thread can catch its own. */
static void *thread_catch(void *arg)
{
    mdlkit_bugcheck *bc = arg;
    if (!mdlkit_catch_bugcheck(bugcheck_at_dispatch, NULL, bc))
        bc->code = 0;
    if (KeGetCurrentIrql() != PASSIVE_LEVEL)
        bc->code = 1;
    return NULL;
}

static void test_catch_on_another_thread(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, thread_catch, &bc), 0);
    pthread_join(t, NULL);
    assert_int_equal(bc.code, BAD_POOL_CALLER);
}

static MK_NOINLINE int capture_here(void **pcs, int max) { return mk_capture_stack(pcs, max, 0); }

static void test_capture_and_symbolize(void **state)
{
    (void)state;
    void *pcs[16];
    int n = capture_here(pcs, 16);
    assert_true(n >= 2);
    /* frame 0 is inside capture_here, frame 1 inside this test */
    assert_true((char *)pcs[0] > (char *)capture_here && (char *)pcs[0] < (char *)capture_here + 512);
    char buf[512];
    mk_symbolize(pcs[1], buf, sizeof buf);
    assert_non_null(strstr(buf, "test_capture_and_symbolize"));
    assert_non_null(strstr(buf, "test_bugcheck.c"));
    /* skip drops frames */
    void *pcs2[16];
    int m = mk_capture_stack(pcs2, 16, 1);
    assert_true(m >= 1);
    assert_int_equal(mk_capture_stack(pcs2, 0, 0), 0);
}

/* The report: name, parameter meanings, the offending function, notes. */
static MK_NOINLINE void offending_driver_routine(void *arg)
{
    (void)arg;
    KIRQL old;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    mk_bugcheck_note("leaked allocation: tag 'gaT1' 64 bytes");
    KeRaiseIrql(PASSIVE_LEVEL, &old);
}

static char *capture_stderr_of(void (*fn)(void *), void *arg, mdlkit_bugcheck *bc)
{
    char path[] = "/tmp/mdlkit_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    int r = mdlkit_catch_bugcheck(fn, arg, bc);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    assert_int_equal(r, 1);
    off_t size = lseek(fd, 0, SEEK_END);
    char *text = calloc(1, (size_t)size + 1);
    assert_int_equal(pread(fd, text, (size_t)size, 0), size);
    close(fd);
    unlink(path);
    return text;
}

static void test_report_text(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    char *text = capture_stderr_of(offending_driver_routine, NULL, &bc);
    assert_int_equal(bc.code, IRQL_NOT_GREATER_OR_EQUAL);
    assert_non_null(strstr(text, "BUG CHECK 0x00000009 IRQL_NOT_GREATER_OR_EQUAL"));
    assert_non_null(strstr(text, "Arg1: 0000000000000002, current IRQL"));
    assert_non_null(strstr(text, "Arg2: 0000000000000000, requested IRQL"));
    assert_non_null(strstr(text, "What went wrong: KeRaiseIrql"));
    /* the offending function (ours), not mdlkit's frames */
    char *stack = strstr(text, "Stack of the offending call");
    assert_non_null(stack);
    char *first = strstr(stack, "#0 ");
    assert_non_null(first);
    char *eol = strchr(first, '\n');
    assert_non_null(eol);
    *eol = 0;
    assert_non_null(strstr(first, "offending_driver_routine"));
    *eol = '\n';
    assert_null(strstr(stack, "KfRaiseIrql"));
    assert_null(strstr(stack, "bc_raise"));
    assert_non_null(strstr(text, "leaked allocation: tag 'gaT1' 64 bytes"));
    free(text);

    /* notes are cleared after each report */
    text = capture_stderr_of(bugcheck_at_dispatch, NULL, &bc);
    assert_null(strstr(text, "leaked allocation"));
    assert_non_null(strstr(text, "BAD_POOL_CALLER"));
    assert_non_null(strstr(text, "ExFreePoolWithTag was given a tag different"));
    assert_non_null(strstr(text, "bugcheck_at_dispatch"));
    free(text);

    /* 0xC4 rule: the violated condition is printed */
    text = capture_stderr_of(raise_violation, NULL, &bc);
    assert_non_null(strstr(text, violation_why));
    assert_non_null(strstr(text, "NdisAllocateMdl"));
    free(text);

    /* a code without parameters */
    text = capture_stderr_of(keb_simple, NULL, &bc);
    assert_non_null(strstr(text, "TARGET_MDL_TOO_SMALL"));
    free(text);
}

static void raise_av(void *arg)
{
    (void)arg;
    ExRaiseStatus(STATUS_ACCESS_VIOLATION);
}

static void test_report_unhandled_exception(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    char *text = capture_stderr_of(raise_av, NULL, &bc);
    assert_int_equal(bc.code, KMODE_EXCEPTION_NOT_HANDLED);
    assert_non_null(strstr(text, "KMODE_EXCEPTION_NOT_HANDLED"));
    assert_non_null(strstr(text, "[STATUS_ACCESS_VIOLATION]"));
    assert_non_null(strstr(text, "raise_av"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest quiet[] = {
        cmocka_unit_test(test_catch_returns_code_and_params),
        cmocka_unit_test(test_catch_without_bugcheck),
        cmocka_unit_test(test_kebugcheck),
        cmocka_unit_test(test_nested_catch),
        cmocka_unit_test(test_bugcheck_unwinds_try_frames),
        cmocka_unit_test(test_violation_parameters),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_catch_on_another_thread),
        cmocka_unit_test(test_capture_and_symbolize),
    };
    const struct CMUnitTest loud[] = {
        cmocka_unit_test(test_report_text),
        cmocka_unit_test(test_report_unhandled_exception),
    };
    int rc = cmocka_run_group_tests_name("bugcheck", quiet, mk_test_setup, mk_test_teardown);
    rc |= cmocka_run_group_tests_name("bugcheck_report", loud, setup_loud, mk_test_teardown);
    return rc;
}
