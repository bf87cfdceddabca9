/* Regression found by the hostile-argument sweep (docs/reliability.md): a
 * wild DPC routine or system-thread start routine faulted on one of the
 * machine's own threads, and the fault handler offered the fault to the
 * test framework's SIGSEGV handler (as it does for harness code outside any
 * __try or mdlkit_catch_bugcheck). cmocka took it for a failure of the
 * running test and exited the process with status 255: no bug check, no
 * report. On Windows a fault in a DPC or a system thread with no handler is
 * a bug check (0xD1 at DISPATCH_LEVEL, 0x50 / 0x7E at PASSIVE_LEVEL) that
 * stops the machine; mdlkit reports it and stops the process the same way
 * (SIGABRT after the report), whatever test framework runs the harness.
 *
 * Each case runs in a child process, because an uncaught bug check on a
 * machine thread ends the process. */
#include "testutil.h"

#include <sys/wait.h>

#define WILD_ROUTINE ((ULONG_PTR)0x1234567800ULL)

static void dpc_case(void)
{
    static KDPC dpc;
    KeInitializeDpc(&dpc, (PKDEFERRED_ROUTINE)WILD_ROUTINE, NULL);
    KeInsertQueueDpc(&dpc, NULL, NULL);
}

static void thread_case(void)
{
    HANDLE h;
    PsCreateSystemThread(&h, THREAD_ALL_ACCESS, NULL, NULL, NULL, (PKSTART_ROUTINE)WILD_ROUTINE, NULL);
}

/* In the child: a machine of its own, then the case. */
static void child_case(void *arg)
{
    void (*body)(void) = (void (*)(void))(uintptr_t)arg;
    mdlkit_config c;
    mk_test_config(&c);
    c.quiet = 0; /* the report is what the parent checks */
    if (mdlkit_init(&c) != 0)
        _exit(10);
    body();
    sleep(10); /* the machine's thread bug-checks long before */
    _exit(11);
}

/* The child's stderr and its wait status. */
static int run_child(void (*body)(void), char *err, size_t errlen)
{
    return mk_test_fork_capture(child_case, (void *)(uintptr_t)body, 0, err, errlen);
}

static void expect_bugcheck_stop(void (*body)(void), const char *code)
{
    static char err[65536];
    int st = run_child(body, err, sizeof err);
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGABRT)
        fprintf(stderr, "child status %#x, stderr:\n%s\n", st, err);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGABRT);
    assert_non_null(strstr(err, code));
}

static void test_wild_dpc_routine_is_a_bug_check(void **state)
{
    (void)state;
    /* The DPC runs at DISPATCH_LEVEL: the wild call is 0xD1. */
    expect_bugcheck_stop(dpc_case, "mdlkit: BUG CHECK 0x000000D1");
}

static void test_wild_system_thread_start_is_a_bug_check(void **state)
{
    (void)state;
    /* At PASSIVE_LEVEL, outside the null page: 0x50 (execute). */
    expect_bugcheck_stop(thread_case, "mdlkit: BUG CHECK 0x00000050");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wild_dpc_routine_is_a_bug_check),
        cmocka_unit_test(test_wild_system_thread_start_is_a_bug_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
