/*
 * mdlkit_test.h -- support for tests of driver code: a fresh machine per
 * test (with Driver Verifier options), assertions on a caught bug check's
 * code and parameters, the JSON report read back, and a teardown that runs
 * the final leak check. Plain C, header-only, usable from any test
 * framework; when <cmocka.h> is included first, the cmocka-shaped wrappers
 * (mdlkit_test_setup / mdlkit_test_teardown, usable with
 * cmocka_unit_test_setup_teardown) fail the running cmocka test.
 *
 *     #include <mdlkit_test.h>
 *
 * Per test:  mdlkit_test_start(flags) ... mdlkit_test_finish()
 *
 * mdlkit_test_start reads the MDLKIT_* environment first, so one test binary
 * runs under `MDLKIT_VERIFIER=standard ./mytest` with the standard options
 * added to those each test asks for.
 */
#ifndef MDLKIT_TEST_H
#define MDLKIT_TEST_H

#include <mdlkit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

MDLKIT_EXTERN_C_BEGIN

/* A parameter that mdlkit_test_expect_bugcheck does not check. */
#define MDLKIT_TEST_ANY ((ULONG_PTR)0xA11A11A11A11A11AULL)

/* What a failed expectation calls: cmocka's fail() when <cmocka.h> was
 * included before this header, else abort(). Define it to your framework's
 * own failure before including this header. */
#ifndef MDLKIT_TEST_FAIL
#ifdef cmocka_unit_test
#define MDLKIT_TEST_FAIL() fail()
#else
#define MDLKIT_TEST_FAIL() abort()
#endif
#endif

#if defined(__GNUC__) || defined(__clang__)
#define MDLKIT_TEST_UNUSED_ __attribute__((unused))
#else
#define MDLKIT_TEST_UNUSED_
#endif

/* The last bug check mdlkit_test_expect_bugcheck caught, and the one the
 * final leak check of mdlkit_test_finish raised (code 0: none). */
static mdlkit_bugcheck mdlkit_test_caught MDLKIT_TEST_UNUSED_;
static mdlkit_bugcheck mdlkit_test_final MDLKIT_TEST_UNUSED_;

/* Starts a fresh machine for one test: mdlkit_config_default (the MDLKIT_*
 * environment variables), 256 MiB of simulated RAM unless MDLKIT_PHYS_MB
 * says otherwise, `verifier_flags` added to MDLKIT_VERIFIER's, bug-check
 * reports of caught bug checks quiet unless MDLKIT_TEST_VERBOSE is set to a
 * non-empty value. Returns 0, or -1 (mdlkit_init printed why). */
static inline int mdlkit_test_start(ULONG verifier_flags)
{
    mdlkit_config c;
    const char *mb = getenv("MDLKIT_PHYS_MB");
    const char *verbose = getenv("MDLKIT_TEST_VERBOSE");
    mdlkit_config_default(&c);
    if (!mb || !*mb)
        c.physical_memory = (size_t)256 << 20;
    c.verifier_flags |= verifier_flags;
    c.quiet = !(verbose && *verbose);
    memset(&mdlkit_test_caught, 0, sizeof mdlkit_test_caught);
    memset(&mdlkit_test_final, 0, sizeof mdlkit_test_final);
    return mdlkit_init(&c);
}

static inline void mdlkit_test_shutdown_fn_(void *arg)
{
    (void)arg;
    mdlkit_shutdown();
}

/* Ends the test's machine with mdlkit_shutdown. Returns 0 when the final
 * check passed; -1 when it raised a bug check (a leak: the bug check is in
 * mdlkit_test_final, a line on stderr names it, the machine is torn down
 * anyway). After a bug check the test caught (mdlkit_is_crashed) what the
 * interrupted call left behind is expected: it is torn down and reported
 * only as information, and the result is 0. */
static inline int mdlkit_test_finish(void)
{
    mdlkit_bugcheck bc;
    if (!mdlkit_is_initialized())
        return 0;
    if (mdlkit_is_crashed()) {
        mdlkit_shutdown();
        return 0;
    }
    memset(&bc, 0, sizeof bc);
    if (mdlkit_catch_bugcheck(mdlkit_test_shutdown_fn_, NULL, &bc)) {
        const char *name = mdlkit_bugcheck_name(bc.code);
        mdlkit_test_final = bc;
        fprintf(stderr,
                "mdlkit_test: the final check at shutdown raised bug check 0x%08X %s (%lx, %lx, %lx, %lx); run with "
                "MDLKIT_TEST_VERBOSE=1 for the full report\n",
                (unsigned)bc.code, name ? name : "?", (unsigned long)bc.param[0], (unsigned long)bc.param[1],
                (unsigned long)bc.param[2], (unsigned long)bc.param[3]);
        mdlkit_shutdown(); /* crashed now: the rest is torn down quietly */
        return -1;
    }
    return 0;
}

/* Runs fn(arg) under mdlkit_catch_bugcheck and compares what it raised with
 * `code` and the four parameters (MDLKIT_TEST_ANY: not compared). Returns 0
 * on a match; -1, with a line on stderr saying what differed (file:line),
 * when nothing was raised or something else was. The caught bug check is
 * kept in mdlkit_test_caught either way. */
static inline int mdlkit_test_expect_bugcheck_at(void (*fn)(void *), void *arg, ULONG code, ULONG_PTR p1, ULONG_PTR p2,
                                                 ULONG_PTR p3, ULONG_PTR p4, const char *file, int line)
{
    mdlkit_bugcheck bc;
    ULONG_PTR want[4];
    int i;
    const char *wname = mdlkit_bugcheck_name(code), *gname;
    want[0] = p1;
    want[1] = p2;
    want[2] = p3;
    want[3] = p4;
    memset(&bc, 0, sizeof bc);
    if (!mdlkit_catch_bugcheck(fn, arg, &bc)) {
        memset(&mdlkit_test_caught, 0, sizeof mdlkit_test_caught);
        fprintf(stderr, "%s:%d: expected bug check 0x%08X %s, none was raised\n", file, line, (unsigned)code,
                wname ? wname : "?");
        return -1;
    }
    mdlkit_test_caught = bc;
    gname = mdlkit_bugcheck_name(bc.code);
    if (bc.code != code) {
        fprintf(stderr, "%s:%d: expected bug check 0x%08X %s, got 0x%08X %s (%lx, %lx, %lx, %lx)\n", file, line,
                (unsigned)code, wname ? wname : "?", (unsigned)bc.code, gname ? gname : "?",
                (unsigned long)bc.param[0], (unsigned long)bc.param[1], (unsigned long)bc.param[2],
                (unsigned long)bc.param[3]);
        return -1;
    }
    for (i = 0; i < 4; i++)
        if (want[i] != MDLKIT_TEST_ANY && want[i] != bc.param[i]) {
            fprintf(stderr, "%s:%d: bug check 0x%08X %s: parameter %d is 0x%lx, expected 0x%lx\n", file, line,
                    (unsigned)code, wname ? wname : "?", i + 1, (unsigned long)bc.param[i], (unsigned long)want[i]);
            return -1;
        }
    return 0;
}
#define mdlkit_test_expect_bugcheck(fn, arg, code, p1, p2, p3, p4)                                            \
    mdlkit_test_expect_bugcheck_at((fn), (arg), (code), (ULONG_PTR)(p1), (ULONG_PTR)(p2), (ULONG_PTR)(p3), \
                                   (ULONG_PTR)(p4), __FILE__, __LINE__)
/* The same as an assertion: MDLKIT_TEST_FAIL() when it does not match. */
#define mdlkit_assert_bugcheck(fn, arg, code, p1, p2, p3, p4)                      \
    do {                                                                          \
        if (mdlkit_test_expect_bugcheck((fn), (arg), (code), p1, p2, p3, p4) != 0) \
            MDLKIT_TEST_FAIL();                                                   \
    } while (0)

/* The JSON report (docs/report-format.md) as mdlkit_report_write would write
 * it now, in a buffer from malloc (free it), or NULL. */
static inline char *mdlkit_test_report_json(void)
{
    char path[] = "/tmp/mdlkit_test_report_XXXXXX";
    char *text = NULL;
    long size;
    FILE *f;
    int fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    close(fd);
    if (mdlkit_report_write(path) == 0 && (f = fopen(path, "r")) != NULL) {
        if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
            (text = (char *)malloc((size_t)size + 1)) != NULL) {
            size_t n = fread(text, 1, (size_t)size, f);
            text[n] = 0;
        }
        fclose(f);
    }
    unlink(path);
    return text;
}

/* 1 when the JSON report now contains `needle`, else 0. */
static inline int mdlkit_test_report_contains(const char *needle)
{
    char *json = mdlkit_test_report_json();
    int found = json && strstr(json, needle) != NULL;
    free(json);
    return found;
}

/* cmocka-shaped setup and teardown (int fn(void **state)): a fresh machine
 * with the environment's options, with the standard Driver Verifier options
 * added, or with Pool Tracking added; the teardown fails the test when the
 * final leak check raised (mdlkit_test_finish). */
static inline int mdlkit_test_setup(void **state)
{
    (void)state;
    return mdlkit_test_start(0);
}
static inline int mdlkit_test_setup_standard(void **state)
{
    (void)state;
    return mdlkit_test_start(MDLKIT_VERIFY_STANDARD);
}
static inline int mdlkit_test_setup_pool_tracking(void **state)
{
    (void)state;
    return mdlkit_test_start(MDLKIT_VERIFY_POOL_TRACKING);
}
static inline int mdlkit_test_teardown(void **state)
{
    (void)state;
    return mdlkit_test_finish();
}

MDLKIT_EXTERN_C_END

#endif /* MDLKIT_TEST_H */
