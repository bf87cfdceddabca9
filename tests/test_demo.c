/* test_demo.c -- the `mdlkit` command as a user runs it: `mdlkit demo`
 * serves every request with no violations and prints stable counts; each
 * `mdlkit demo --bug NAME` ends in its expected bug check (a real abort in
 * a child process) and exits 0; `mdlkit report` renders the saved report;
 * `mdlkit --help` lists the commands. */
#include "testutil.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char mdlkit_bin[4096];

static int find_binary(void **state)
{
    (void)state;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return -1;
    self[n] = 0;
    snprintf(mdlkit_bin, sizeof mdlkit_bin, "%s/../tools/mdlkit", dirname(self));
    /* deterministic: the demo's own verifier options and machine size */
    setenv("MDLKIT_VERIFIER", "", 1);
    setenv("MDLKIT_PHYS_MB", "", 1);
    setenv("MDLKIT_REPORT", "", 1);
    return access(mdlkit_bin, X_OK);
}

/* Runs `mdlkit ARGS`, returns its exit status and its output (stdout+stderr). */
static int run(const char *args, char **out)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", mdlkit_bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += got;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = 0;
    int st = pclose(p);
    *out = buf;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void expect_line(const char *out, const char *needle)
{
    if (!strstr(out, needle)) {
        print_error("missing from the output: \"%s\"\n--- output ---\n%s\n", needle, out);
        fail();
    }
}

static void demo_serves_everything_without_violations(void **state)
{
    (void)state;
    char *out;
    char rep[] = "/tmp/mdlkit-test-demo-XXXXXX";
    int fd = mkstemp(rep);
    assert_true(fd >= 0);
    close(fd);
    char args[256];
    snprintf(args, sizeof args, "demo --report %s", rep);
    assert_int_equal(run(args, &out), 0);
    expect_line(out, "verifier flags 0x0002000b (special pool, force IRQL checking, pool tracking, DDI compliance checking)");
    expect_line(out, "driver mdlfill: requests served: 400, failed: 0");
    expect_line(out, "300 METHOD_OUT_DIRECT fills, 100 METHOD_NEITHER checksums");
    expect_line(out, "driver ramdisk: requests served: 400, failed: 0");
    expect_line(out, "16 out-of-range rejected");
    expect_line(out, "mdlkit demo: 3 example drivers");
    expect_line(out, "driver netrecv: requests served: 400, failed: 0");
    expect_line(out, "bad or misaddressed frames dropped");
    expect_line(out, "  RvBf   Nonp ");
    expect_line(out, "Result: 3 drivers, 1200 requests served, 0 failed, no violations");
    expect_line(out, "Pool use by tag");
    expect_line(out, "  RmDk   Nonp ");
    expect_line(out, "no violations");
    free(out);

    /* the kept report renders the same tables, sorted by bytes */
    snprintf(args, sizeof args, "report --sort bytes %s", rep);
    assert_int_equal(run(args, &out), 0);
    expect_line(out, "sorted by bytes");
    expect_line(out, "  MdFl   Nonp ");
    expect_line(out, "No bug check: no violations.");
    free(out);
    unlink(rep);
}

static void each_bug_gives_its_bug_check(void **state)
{
    (void)state;
    static const struct {
        const char *bug, *line, *where;
    } bugs[] = {
        {"leak", "BUG CHECK 0x000000C4 DRIVER_VERIFIER_DETECTED_VIOLATION", "tag 'RmRq'"},
        {"paged-at-dispatch", "BUG CHECK 0x000000D1 DRIVER_IRQL_NOT_LESS_OR_EQUAL", "MdlFillRecord (" },
        {"double-unlock", "BUG CHECK 0x00000076 PROCESS_HAS_LOCKED_PAGES", "MdlFillChecksum ("},
        {"wrong-tag", "BUG CHECK 0x000000C2 BAD_POOL_CALLER", "NetRecvFreeBuffers ("},
    };
    for (size_t i = 0; i < sizeof bugs / sizeof bugs[0]; i++) {
        char args[128], *out;
        snprintf(args, sizeof args, "demo --bug %s", bugs[i].bug);
        assert_int_equal(run(args, &out), 0);
        expect_line(out, bugs[i].line);
        expect_line(out, bugs[i].where);
        expect_line(out, "stopped by signal 6 (SIGABRT)");
        expect_line(out, "OK: expected bug check");
        free(out);
    }
    char *out;
    assert_int_equal(run("demo --bug no-such-bug", &out), 2);
    free(out);
}

static void help_is_complete(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(run("--help", &out), 0);
    expect_line(out, "demo");
    expect_line(out, "report");
    expect_line(out, "layout");
    expect_line(out, "MDLKIT_VERIFIER");
    free(out);
    assert_int_equal(run("demo --help", &out), 0);
    expect_line(out, "--bug NAME");
    expect_line(out, "double-unlock");
    expect_line(out, "wrong-tag");
    free(out);
    assert_int_equal(run("report --help", &out), 0);
    expect_line(out, "--sort");
    free(out);
    assert_int_equal(run("report", &out), 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(demo_serves_everything_without_violations),
        cmocka_unit_test(each_bug_gives_its_bug_check),
        cmocka_unit_test(help_is_complete),
    };
    return cmocka_run_group_tests(tests, find_binary, NULL);
}
