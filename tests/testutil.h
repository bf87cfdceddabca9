/* Shared helpers for the cmocka tests. */
#ifndef MDLKIT_TESTUTIL_H
#define MDLKIT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <mdlkit.h>

/* A fresh machine per test group: 256 MiB of RAM, quiet bug-check reports. */
static inline int mk_test_config(mdlkit_config *c)
{
    mdlkit_config_default(c);
    c->physical_memory = (size_t)256 << 20;
    c->quiet = 1;
    c->report_path = NULL;
    return 0;
}
static inline int mk_test_setup(void **state)
{
    mdlkit_config c;
    (void)state;
    mk_test_config(&c);
    return mdlkit_init(&c);
}
static inline int mk_test_teardown(void **state)
{
    (void)state;
    mdlkit_shutdown();
    return 0;
}

/* A fresh machine as mk_test_setup makes, with these verifier options. */
static inline int mk_test_setup_flags(ULONG flags)
{
    mdlkit_config c;
    mk_test_config(&c);
    c.verifier_flags = flags;
    return mdlkit_init(&c);
}
/* The options `mdlkit demo` runs the example drivers under. */
#define MK_TEST_DEMO_FLAGS                                                                        \
    (MDLKIT_VERIFY_SPECIAL_POOL | MDLKIT_VERIFY_FORCE_IRQL_CHECKING | MDLKIT_VERIFY_POOL_TRACKING | \
     MDLKIT_VERIFY_DDI_COMPLIANCE)
static inline int mk_test_setup_demo_flags(void **state)
{
    (void)state;
    return mk_test_setup_flags(MK_TEST_DEMO_FLAGS);
}
static inline int mk_test_setup_no_verifier(void **state)
{
    (void)state;
    return mk_test_setup_flags(0);
}
static inline void mk_test_shutdown_fn_(void *arg)
{
    (void)arg;
    mdlkit_shutdown();
}
/* Teardown after a caught bug check: the driver may still be loaded, so the
 * final leak check may bug check again; that is expected. */
static inline int mk_test_teardown_after_bugcheck(void **state)
{
    (void)state;
    mdlkit_bugcheck bc;
    mdlkit_catch_bugcheck(mk_test_shutdown_fn_, NULL, &bc);
    if (mdlkit_is_initialized())
        mdlkit_shutdown();
    return 0;
}

/* The JSON report (mdlkit_report_write) read back, in a static buffer. */
static inline const char *mk_test_report_json(void)
{
    char path[] = "/tmp/mdlkit_test_report_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(mdlkit_report_write(path), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char json[1 << 16];
    size_t n = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    unlink(path);
    json[n] = 0;
    return json;
}

/* Asserts that fn(arg) raises bug check `code` with the four parameters
 * (pass MK_ANY for a parameter that is not checked). */
#define MK_ANY ((ULONG_PTR)0xA11A11A11A11A11AULL)
static inline void mk_expect_bugcheck_(void (*fn)(void *), void *arg, ULONG code, ULONG_PTR p1, ULONG_PTR p2,
                                       ULONG_PTR p3, ULONG_PTR p4, const char *file, int line)
{
    mdlkit_bugcheck bc;
    memset(&bc, 0, sizeof bc);
    if (!mdlkit_catch_bugcheck(fn, arg, &bc))
        _fail(file, line);
    ULONG_PTR want[4] = {p1, p2, p3, p4};
    _assert_int_equal(bc.code, code, file, line);
    for (int i = 0; i < 4; i++)
        if (want[i] != MK_ANY)
            _assert_int_equal(bc.param[i], want[i], file, line);
}
#define mk_expect_bugcheck(fn, arg, code, p1, p2, p3, p4) \
    mk_expect_bugcheck_((fn), (arg), (code), (ULONG_PTR)(p1), (ULONG_PTR)(p2), (ULONG_PTR)(p3), (ULONG_PTR)(p4), __FILE__, __LINE__)

/* Runs child(arg) in a forked process whose stdout (when `with_stdout`) and
 * stderr go to a temporary file; child must end the process (_exit / exec).
 * Returns the wait status, with what the child wrote in out (NUL-ended). */
#include <sys/wait.h>
static inline int mk_test_fork_capture(void (*child)(void *), void *arg, int with_stdout, char *out, size_t outlen)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (with_stdout)
            dup2(fileno(f), 1);
        dup2(fileno(f), 2);
        child(arg);
        _exit(127);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    rewind(f);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = 0;
    fclose(f);
    return st;
}


#endif
